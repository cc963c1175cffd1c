package render

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDecodeTaskDefinitionStrictErrors(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{"misspelled nested key", `{
  "family": "web",
  "containerDefinitions": [
    {"name": "web", "enviroment": []}
  ]
}`, []string{`ecs-task-def.json:4:21: containerDefinitions[0].enviroment: unknown field (did you mean "environment"?)`}},
		{"environmentFile is environmentFiles", `{"containerDefinitions":[{"name":"a","environmentFile":[]}]}`, []string{`containerDefinitions[0].environmentFile: unknown field (did you mean "environmentFiles"?)`}},
		{"unknown key without suggestion", `{"family":"web","zzzzzzzz":1}`, []string{"zzzzzzzz: unknown field"}},
		{"memory as number", `{"family":"web","memory":512}`, []string{"ecs-task-def.json:1:17: memory: expected string, got number"}},
		{"container memory as string", `{"containerDefinitions":[{"name":"a","memory":"512"}]}`, []string{"containerDefinitions[0].memory: expected integer, got string"}},
		{"essential as string", `{"containerDefinitions":[{"essential":"true"}]}`, []string{"essential: expected boolean, got string"}},
		{"int overflow", `{"containerDefinitions":[{"cpu":99999999999}]}`, []string{"cpu: expected integer (32-bit)"}},
		{"fraction for int", `{"containerDefinitions":[{"cpu":1.5}]}`, []string{"cpu: expected integer"}},
		{"array expected", `{"requiresCompatibilities":"FARGATE"}`, []string{"requiresCompatibilities: expected array, got string"}},
		{"object expected", `{"runtimePlatform":[]}`, []string{"runtimePlatform: expected object, got array"}},
		{"enum wrong case", `{"networkMode":"AWSVPC"}`, []string{`networkMode: invalid value "AWSVPC" (did you mean "awsvpc"?)`}},
		{"several problems", `{"famly":"a","cpu":1}`, []string{"famly: unknown field", "cpu: expected string", "; "}},
		{"not an object", `[]`, []string{"must be a JSON object"}},
		{"syntax error", "{\n  \"family\": \"web\",\n}", []string{"ecs-task-def.json:3:1", "JSON syntax error"}},
		{"truncated", `{"family": "web"`, []string{"ecs-task-def.json:1:", "unexpected end"}},
		{"trailing data", `{"family": "web"} {}`, []string{"after the top-level value"}},
		{"wrapped with unknown sibling", `{"taskDefinition":{"family":"web"},"tagz":[]}`, []string{`tagz: unknown field next to taskDefinition (did you mean "tags"?)`}},
		{"wrapped typo inside", `{"taskDefinition":{"famiyl":"web"}}`, []string{`taskDefinition.famiyl: unknown field (did you mean "family"?)`}},
		{"wrapped not object", `{"taskDefinition":"web"}`, []string{"taskDefinition: expected object, got string"}},
		{"dockerLabels values are strings", `{"containerDefinitions":[{"dockerLabels":{"a":1}}]}`, []string{"containerDefinitions[0].dockerLabels.a: expected string, got number"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeTaskDefinition("ecs-task-def.json", []byte(tc.src))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n  %s\ndoes not contain\n  %s", err, w)
				}
			}
		})
	}
}

func TestDecodeTaskDefinitionRawAndWrappedAgree(t *testing.T) {
	raw := `{
  "family": "web",
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [
    {"name": "web", "image": "nginx", "essential": true,
     "dockerLabels": {"Com.Example": "x"},
     "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web"}},
     "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]}
  ],
  "tags": [{"key": "env", "value": "demo"}]
}`
	wrapped := `{
  "taskDefinition": {
    "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3",
    "Family": "web",
    "revision": 3,
    "status": "ACTIVE",
    "cpu": "256",
    "memory": "512",
    "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"}],
    "compatibilities": ["EC2", "FARGATE"],
    "registeredAt": "2024-03-01T10:00:00.123Z",
    "registeredBy": "arn:aws:sts::123456789012:assumed-role/deploy/ci",
    "ContainerDefinitions": [
      {"Name": "web", "image": "nginx", "essential": true,
       "dockerLabels": {"Com.Example": "x"},
       "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web"}},
       "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]}
    ]
  },
  "tags": [{"key": "env", "value": "demo"}]
}`
	a, err := DecodeTaskDefinition("raw.json", []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	b, err := DecodeTaskDefinition("wrapped.json", []byte(wrapped))
	if err != nil {
		t.Fatal(err)
	}
	opts := cmpopts.IgnoreUnexported(a.ContainerDefinitions[0], types.PortMapping{}, types.LogConfiguration{}, types.Tag{}, *a)
	if diff := cmp.Diff(a, b, opts); diff != "" {
		t.Errorf("raw and wrapped differ (-raw +wrapped):\n%s", diff)
	}
	if got := a.ContainerDefinitions[0].DockerLabels["Com.Example"]; got != "x" {
		t.Errorf("map keys must be kept as written, got %v", a.ContainerDefinitions[0].DockerLabels)
	}
	if aws.ToString(b.Family) != "web" || len(b.Tags) != 1 {
		t.Errorf("wrapped: family %q tags %v", aws.ToString(b.Family), b.Tags)
	}
}

func TestDecodeTaskDefinitionEmptyTags(t *testing.T) {
	td, err := DecodeTaskDefinition("td.json", []byte(`{"family":"web","tags":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	if td.Tags != nil {
		t.Errorf("empty tags must decode to nil, got %#v", td.Tags)
	}
}

func TestDecodeServiceDefinition(t *testing.T) {
	src := `{
  "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/demo/web",
  "serviceName": "web",
  "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/demo",
  "status": "ACTIVE", "runningCount": 2, "pendingCount": 0,
  "events": [{"id": "1", "message": "steady"}],
  "deployments": [{"id": "ecs-svc/1"}],
  "createdAt": 1700000000.5, "createdBy": "arn:aws:iam::123456789012:role/x",
  "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3",
  "roleArn": "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
  "launchType": "FARGATE",
  "loadBalancers": [{"targetGroupArn": "arn:tg", "containerName": "web", "containerPort": 80}],
  "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true}, "maximumPercent": 200},
  "enableECSManagedTags": true,
  "tags": []
}`
	sd, err := DecodeServiceDefinition("sd.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if sd.DesiredCount != nil {
		t.Errorf("absent desiredCount must stay nil (unmanaged), got %d", *sd.DesiredCount)
	}
	if sd.LaunchType != types.LaunchTypeFargate || !aws.ToBool(sd.EnableECSManagedTags) || sd.Tags == nil || len(sd.Tags) != 0 {
		t.Errorf("unexpected decode (\"tags\": [] must decode to no tags, not to unset): %+v", sd)
	}
	want := []string{"deploymentConfiguration", "enableECSManagedTags", "launchType", "loadBalancers", "tags"}
	if got := sd.Members(); !slices.Equal(got, want) {
		t.Errorf("Members() = %v, want %v (read-only members and serviceName are not desired state)", got, want)
	}
	if aws.ToString(sd.ServiceName) != "web" {
		t.Errorf("serviceName = %q", aws.ToString(sd.ServiceName))
	}

	_, err = DecodeServiceDefinition("sd.json", []byte(`{"desiredCount": 1, "lauchType": "FARGATE", "networkConfiguration": {"awsvpcConfiguration": {"subnet": []}}}`))
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{`sd.json:1:21: lauchType: unknown field (did you mean "launchType"?)`, `networkConfiguration.awsvpcConfiguration.subnet: unknown field (did you mean "subnets"?)`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

// Every key the file writes is desired state, whatever its value: the
// decoder records zero values that the Go types cannot tell from absence.
func TestDecodeServiceDefinitionZeroValues(t *testing.T) {
	src := `{"enableExecuteCommand": false, "EnableECSManagedTags": false, "healthCheckGracePeriodSeconds": 0,
  "placementConstraints": [], "propagateTags": "", "platformVersion": "", "desiredCount": 0, "loadBalancers": null,
  "deploymentConfiguration": {"MaximumPercent": 0, "strategy": "", "deploymentCircuitBreaker": {"enable": false}}}`
	sd, err := DecodeServiceDefinition("sd.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"deploymentConfiguration", "desiredCount", "enableECSManagedTags", "enableExecuteCommand", "healthCheckGracePeriodSeconds",
		"placementConstraints", "platformVersion", "propagateTags"}
	if got := sd.Members(); !slices.Equal(got, want) {
		t.Errorf("Members() = %v, want %v (null is absent)", got, want)
	}
	if sd.EnableExecuteCommand == nil || *sd.EnableExecuteCommand || sd.PlacementConstraints == nil || sd.Sets("loadBalancers") {
		t.Errorf("zero values lost: %+v", sd)
	}
	// Nested keys count too (UpdateService keeps what deploymentConfiguration
	// leaves out); a nested "" is not sent, so it is not set.
	for path, want := range map[string]bool{
		"deploymentConfiguration.maximumPercent":                    true,
		"deploymentConfiguration.strategy":                          false,
		"deploymentConfiguration.deploymentCircuitBreaker":          true,
		"deploymentConfiguration.deploymentCircuitBreaker.enable":   true,
		"deploymentConfiguration.deploymentCircuitBreaker.rollback": false,
		"deploymentConfiguration.minimumHealthyPercent":             false,
	} {
		if got := sd.Sets(path); got != want {
			t.Errorf("Sets(%s) = %v, want %v", path, got, want)
		}
	}
	built := &ServiceDefinition{EnableExecuteCommand: aws.Bool(false), PlacementStrategy: []types.PlacementStrategy{}}
	if got := built.Members(); !slices.Equal(got, []string{"enableExecuteCommand", "placementStrategy"}) {
		t.Errorf("Members() of a built definition = %v", got)
	}
	built.MarkSet("propagateTags")
	if !built.Sets("propagateTags") || !built.Sets("enableExecuteCommand") {
		t.Errorf("MarkSet: %v", built.Members())
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"environment", "environmentFiles", "essential", "image", "name"}
	for key, want := range map[string]string{
		"enviroment": "environment",
		"Enviroment": "environment",
		"imgae":      "image",
		"nam":        "name",
		"xyzzy":      "",
		"envFiles":   "",
		// Edit distance before prefixes: the closer name wins over the
		// shorter name the key starts with.
		"environmentFile":   "environmentFiles",
		"environmentFiless": "environmentFiles",
		"environ":           "environment",
	} {
		if got := suggest(key, names); got != want {
			t.Errorf("suggest(%q) = %q, want %q", key, got, want)
		}
	}
	config := []string{"region", "cluster", "service", "service_definition", "task_definition", "timeout", "codedeploy", "application_name"}
	for key, want := range map[string]string{
		"service_defintion": "service_definition",
		"servicedefinition": "service_definition",
		"task_defintion":    "task_definition",
		"servce":            "service",
		"application":       "application_name",
	} {
		if got := suggest(key, config); got != want {
			t.Errorf("suggest(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestLevenshtein(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2}} {
		if got := levenshtein(tc.a, tc.b); got != tc.d {
			t.Errorf("levenshtein(%q,%q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
}
