package verify

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"
)

func TestTrustsService(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want bool
		err  bool
	}{
		{"string principal and action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, true, false},
		{"list principal and action", `{"Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"]},"Action":["sts:TagSession","sts:AssumeRole"]}]}`, true, false},
		{"single statement object", `{"Statement":{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}}`, true, false},
		{"condition ignored", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`, true, false},
		{"action wildcard", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:*"}]}`, true, false},
		{"principal star", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`, true, false},
		{"action case", `{"Statement":[{"Effect":"allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"STS:assumerole"}]}`, true, false},
		{"other service", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, false, false},
		{"ecs not ecs-tasks", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ecs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, false, false},
		{"deny", `{"Statement":[{"Effect":"Deny","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, false, false},
		{"web identity only", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`, false, false},
		{"aws principal", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`, false, false},
		{"not json", `nope`, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, doc := range []string{tc.doc, url.QueryEscape(tc.doc)} {
				got, err := trustsService(doc, ecsTasksPrincipal)
				if (err != nil) != tc.err {
					t.Fatalf("error = %v, want error %v", err, tc.err)
				}
				if got != tc.want {
					t.Errorf("trustsService(%s) = %v, want %v", doc, got, tc.want)
				}
			}
		})
	}
}

func TestRoleName(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:iam::123456789012:role/exec":                "exec",
		"arn:aws:iam::123456789012:role/service-role/exec":   "exec",
		"arn:aws-cn:iam::123456789012:role/path/to/app-task": "app-task",
	} {
		got, err := roleName(arn)
		if err != nil || got != want {
			t.Errorf("roleName(%s) = %q, %v; want %q", arn, got, err, want)
		}
	}
	for _, bad := range []string{"exec", "arn:aws:iam::123456789012:user/bob", "arn:aws:s3:::bucket/role/x", "arn:aws:iam::123456789012:role/"} {
		if _, err := roleName(bad); err == nil {
			t.Errorf("roleName(%s) accepted", bad)
		}
	}
}

func TestMutableTag(t *testing.T) {
	for img, want := range map[string]bool{
		"nginx":                      true,
		"nginx:latest":               true,
		"nginx:1.27":                 false,
		"library/nginx":              true,
		"localhost:5000/app":         true,
		"localhost:5000/app:v1":      false,
		"ghcr.io/org/app@sha256:abc": false,
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:latest": true,
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1":     false,
	} {
		if got := mutableTag(img); got != want {
			t.Errorf("mutableTag(%s) = %v, want %v", img, got, want)
		}
	}
}

func TestParseValueFrom(t *testing.T) {
	cases := []struct {
		in   string
		want secretRef
		err  string
	}{
		{"/web/db", secretRef{Parameter: "/web/db"}, ""},
		{"db-host", secretRef{Parameter: "db-host"}, ""},
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/web/db", secretRef{Parameter: "arn:aws:ssm:eu-west-1:123456789012:parameter/web/db", Region: "eu-west-1"}, ""},
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", secretRef{Manager: true, SecretID: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", Region: "us-east-1"}, ""},
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:db", secretRef{Manager: true, SecretID: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db", Region: "us-east-1"}, ""},
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::", secretRef{Manager: true, SecretID: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", JSONKey: "password", Region: "us-east-1"}, ""},
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password:AWSPREVIOUS:", secretRef{Manager: true, SecretID: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", JSONKey: "password", VersionStage: "AWSPREVIOUS", Region: "us-east-1"}, ""},
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:::v-1", secretRef{Manager: true, SecretID: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", VersionID: "v-1", Region: "us-east-1"}, ""},
		{"arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db", secretRef{Manager: true, SecretID: "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db", Region: "cn-north-1"}, ""},
		{"", secretRef{}, "empty"},
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:db:k:AWSCURRENT:v1", secretRef{}, "both a version stage and a version id"},
		{"arn:aws:s3:::bucket/key", secretRef{}, "neither"},
		{"arn:aws:ssm:us-east-1:123456789012:document/x", secretRef{}, "not an SSM parameter ARN"},
	}
	for _, tc := range cases {
		got, err := parseValueFrom(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseValueFrom(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseValueFrom(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("parseValueFrom(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestParameterName(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:ssm:us-east-1:123456789012:parameter/web/db": "/web/db",
		"arn:aws:ssm:us-east-1:123456789012:parameter/db":     "db",
		"plain": "plain",
	} {
		if got := parameterName(in); got != want {
			t.Errorf("parameterName(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestTargetPlatform(t *testing.T) {
	cases := []struct {
		name string
		td   *ecs.RegisterTaskDefinitionInput
		svc  *Service
		want string // "" = unknown
	}{
		{"fargate only", &ecs.RegisterTaskDefinitionInput{RequiresCompatibilities: []ecstypes.Compatibility{"FARGATE"}}, nil, "linux/amd64"},
		{"fargate arm", &ecs.RegisterTaskDefinitionInput{RequiresCompatibilities: []ecstypes.Compatibility{"FARGATE"}, RuntimePlatform: &ecstypes.RuntimePlatform{CpuArchitecture: "ARM64"}}, nil, "linux/arm64"},
		{"fargate windows", &ecs.RegisterTaskDefinitionInput{RequiresCompatibilities: []ecstypes.Compatibility{"FARGATE"}, RuntimePlatform: &ecstypes.RuntimePlatform{OperatingSystemFamily: "WINDOWS_SERVER_2022_CORE"}}, nil, "windows/amd64"},
		{"ec2 and fargate, no service", &ecs.RegisterTaskDefinitionInput{RequiresCompatibilities: []ecstypes.Compatibility{"EC2", "FARGATE"}}, nil, ""},
		{"ec2 and fargate, fargate service", &ecs.RegisterTaskDefinitionInput{RequiresCompatibilities: []ecstypes.Compatibility{"EC2", "FARGATE"}}, &Service{LaunchType: "FARGATE"}, "linux/amd64"},
		{"capacity provider", &ecs.RegisterTaskDefinitionInput{}, &Service{CapacityProviderStrategy: []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE_SPOT")}}}, "linux/amd64"},
		{"platform version", &ecs.RegisterTaskDefinitionInput{}, &Service{PlatformVersion: aws.String("1.4.0")}, "linux/amd64"},
		{"ec2", &ecs.RegisterTaskDefinitionInput{RequiresCompatibilities: []ecstypes.Compatibility{"EC2"}}, &Service{LaunchType: "EC2"}, ""},
		{"ec2 with runtime platform", &ecs.RegisterTaskDefinitionInput{RuntimePlatform: &ecstypes.RuntimePlatform{CpuArchitecture: "ARM64"}}, nil, "linux/arm64"},
	}
	for _, tc := range cases {
		p, ok := targetPlatform(Input{TaskDefinition: tc.td, Service: tc.svc})
		got := ""
		if ok {
			got = p.String()
		}
		if got != tc.want {
			t.Errorf("%s: platform %q, want %q", tc.name, got, tc.want)
		}
	}
}
