package awsapi

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"

	"github.com/doppio-ecs/doppio/tests/awsemu"
)

// useEmulator points the standard credential chain and every endpoint at a
// fresh emulator, with nothing read from the machine's AWS files.
func useEmulator(t *testing.T) *awsemu.Emulator {
	t.Helper()
	e := awsemu.New(awsemu.Options{})
	if err := e.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	for _, kv := range e.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_RETRY_MODE", "")
	t.Setenv("AWS_MAX_ATTEMPTS", "")
	return e
}

// --assume-role-arn must reach every client, plugin lookups included: each
// call after the one AssumeRole is signed with the role's session.
func TestAssumeRoleAppliesToEveryClient(t *testing.T) {
	e := useEmulator(t)
	roleARN, err := e.PutRole(awsemu.RoleSpec{Name: "deployer", TrustPolicy: `{"Version":"2012-10-17","Statement":[]}`})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.PutS3Object("states", "app.tfstate", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := New(ctx, Options{AssumeRoleARN: roleARN})
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]func() error{
		"ECS": func() error { _, err := c.ECS.ListClusters(ctx, &ecs.ListClustersInput{}); return err },
		"ECR": func() error { _, err := c.ECR.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{}); return err },
		"ECRIn": func() error {
			_, err := c.ECRIn("eu-west-1").DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
			return err
		},
		"IAM": func() error {
			_, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deployer")})
			return err
		},
		"SSM": func() error {
			_, err := c.SSM.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/x"}})
			return err
		},
		"Secrets": func() error {
			_, err := c.SecretsManager.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("x")})
			return err
		},
		"CFN": func() error {
			_, err := c.CloudFormation.ListExports(ctx, &cloudformation.ListExportsInput{})
			return err
		},
		"Logs": func() error {
			_, err := c.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
			return err
		},
		"ELBv2": func() error {
			_, err := c.ELBv2.DescribeTargetGroups(ctx, &elasticloadbalancingv2.DescribeTargetGroupsInput{})
			return err
		},
		"Scaling": func() error {
			_, err := c.AutoScaling.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs})
			return err
		},
		"CloudMap": func() error {
			_, err := c.ServiceDiscovery.ListNamespaces(ctx, &servicediscovery.ListNamespacesInput{})
			return err
		},
		"S3": func() error {
			_, err := c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("states"), Key: aws.String("app.tfstate")})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); err != nil {
			// A service error still proves the request was signed and
			// reached the emulator; only transport failures do not.
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	id, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	const want = "arn:aws:sts::123456789012:assumed-role/deployer/doppio"
	if aws.ToString(id.Arn) != want {
		t.Errorf("caller = %s, want %s", aws.ToString(id.Arn), want)
	}
	assumes := 0
	for _, r := range e.Log.All() {
		if r.Operation == "AssumeRole" {
			assumes++
			continue
		}
		if r.Caller != want {
			t.Errorf("%s.%s signed as %q, want the assumed role", r.Service, r.Operation, r.Caller)
		}
	}
	if assumes != 1 {
		t.Errorf("%d AssumeRole calls, want 1 (credentials are cached for the run)", assumes)
	}
	if n := e.Log.Len(); n != len(calls)+2 {
		t.Errorf("%d requests logged, want %d", n, len(calls)+2)
	}
}

func TestRegionFromOptionsWinsOverEnvironment(t *testing.T) {
	useEmulator(t)
	t.Setenv("AWS_REGION", "eu-west-1")
	ctx := context.Background()
	c, err := New(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Region() != "eu-west-1" {
		t.Errorf("region from AWS_REGION = %q", c.Region())
	}
	c, err = New(ctx, Options{Region: "ap-northeast-1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Region() != "ap-northeast-1" || c.ECS.Options().Region != "ap-northeast-1" {
		t.Errorf("region from options = %q (ECS %q)", c.Region(), c.ECS.Options().Region)
	}
}

func TestRetryDefaultsAndOverrides(t *testing.T) {
	useEmulator(t)
	ctx := context.Background()
	c, err := New(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Config.RetryMode != aws.RetryModeAdaptive || c.Config.RetryMaxAttempts != defaultMaxAttempts {
		t.Errorf("defaults: mode %q, attempts %d", c.Config.RetryMode, c.Config.RetryMaxAttempts)
	}
	t.Setenv("AWS_RETRY_MODE", "standard")
	t.Setenv("AWS_MAX_ATTEMPTS", "4")
	c, err = New(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Config.RetryMode != aws.RetryModeStandard || c.Config.RetryMaxAttempts != 4 {
		t.Errorf("the user's AWS_RETRY_MODE/AWS_MAX_ATTEMPTS must win: mode %q, attempts %d", c.Config.RetryMode, c.Config.RetryMaxAttempts)
	}
}

func TestECRInKeepsOneClientPerRegion(t *testing.T) {
	c := FromConfig(aws.Config{Region: "us-east-1"})
	if c.ECRIn("") != c.ECR || c.ECRIn("us-east-1") != c.ECR {
		t.Error("the run's own region must use the main ECR client")
	}
	eu := c.ECRIn("eu-west-1")
	if eu == c.ECR || c.ECRIn("eu-west-1") != eu {
		t.Error("another region needs its own client, built once")
	}
	if eu.Options().Region != "eu-west-1" {
		t.Errorf("region %q", eu.Options().Region)
	}
}

func TestSDKMessagesGoThroughSlog(t *testing.T) {
	useEmulator(t)
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	c, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.Config.Logger.Logf(logging.Warn, "failed to discard %s", "body")
	c.Config.Logger.Logf(logging.Debug, "request %d", 1)
	want := `"level":"WARN","msg":"failed to discard body","source":"aws-sdk"}`
	if !strings.Contains(buf.String(), want) || strings.Contains(buf.String(), "request 1") {
		t.Errorf("slog got %s", buf.String())
	}
}
