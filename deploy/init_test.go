package deploy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/normalize"
	"github.com/doppio-ecs/doppio/render"
)

func chdir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	return dir
}

// Round trip: the files init writes, decoded the way render decodes them,
// diff empty against the live service.
func TestImportRoundTrip(t *testing.T) {
	chdir(t)
	f := newFake(3)
	f.tags = []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("a")}}
	res, err := Import(context.Background(), f, ImportOptions{Region: "us-east-1", Cluster: "prod", Service: "web"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Written, ","); got != "ecs-task-def.json,ecs-service-def.json,ecspresso.yml" {
		t.Errorf("written %s", got)
	}
	tdSrc, _ := os.ReadFile("ecs-task-def.json")
	sdSrc, _ := os.ReadFile("ecs-service-def.json")
	cfg, _ := os.ReadFile("ecspresso.yml")
	for _, unwanted := range []string{"revision", "taskDefinitionArn", "requiresAttributes", "compatibilities", `"essential"`, `"protocol"`, `"hostPort"`, "status"} {
		if strings.Contains(string(tdSrc), unwanted) {
			t.Errorf("task definition has %s:\n%s", unwanted, tdSrc)
		}
	}
	for _, unwanted := range []string{"runningCount", "deployments", "serviceArn", "LATEST", "assignPublicIp", "maximumPercent", "taskDefinition"} {
		if strings.Contains(string(sdSrc), unwanted) {
			t.Errorf("service definition has %s:\n%s", unwanted, sdSrc)
		}
	}
	if !strings.Contains(string(sdSrc), `"serviceConnectConfiguration"`) || !strings.Contains(string(sdSrc), `"desiredCount": 2`) {
		t.Errorf("service definition lacks members:\n%s", sdSrc)
	}
	wantCfg := "region: us-east-1\ncluster: prod\nservice: web\nservice_definition: ecs-service-def.json\ntask_definition: ecs-task-def.json\ntimeout: 10m0s\n"
	if string(cfg) != wantCfg {
		t.Errorf("config:\n%s\nwant:\n%s", cfg, wantCfg)
	}

	td, err := render.DecodeTaskDefinition("ecs-task-def.json", tdSrc)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := render.DecodeServiceDefinition("ecs-service-def.json", sdSrc)
	if err != nil {
		t.Fatal(err)
	}
	diff := runDiff(t, f, Local{TaskDefinition: td, TaskDefinitionPath: "ecs-task-def.json", Service: sd, ServicePath: "ecs-service-def.json"}, "web", normalize.Ignore{})
	for _, r := range diff.Resources() {
		if r.Differs() {
			u, _ := r.Unified(false)
			t.Errorf("diff after init:\n%s", u)
		}
	}

	// Never overwrite without ForceOverwrite.
	if _, err := Import(context.Background(), f, ImportOptions{Cluster: "prod", Service: "web"}); err == nil || !strings.Contains(err.Error(), "already exist") {
		t.Errorf("second import: %v", err)
	}
	if _, err := Import(context.Background(), f, ImportOptions{Cluster: "prod", Service: "web", ForceOverwrite: true}); err != nil {
		t.Errorf("forced import: %v", err)
	}
}

func TestImportTaskDefinitionOnlyJsonnet(t *testing.T) {
	chdir(t)
	f := newFake(1)
	res, err := Import(context.Background(), f, ImportOptions{TaskDefinition: "web", Jsonnet: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Written, ","); got != "ecs-task-def.jsonnet,ecspresso.jsonnet" {
		t.Errorf("written %s", got)
	}
	cfg, _ := os.ReadFile("ecspresso.jsonnet")
	if strings.Contains(string(cfg), "service") || !strings.Contains(string(cfg), "task_definition: 'ecs-task-def.jsonnet'") {
		t.Errorf("config:\n%s", cfg)
	}
}

func TestImportNotFound(t *testing.T) {
	chdir(t)
	f := &fakeECS{}
	if _, err := Import(context.Background(), f, ImportOptions{Service: "nope"}); err == nil || !strings.Contains(err.Error(), "service nope not found in cluster default") {
		t.Errorf("err = %v", err)
	}
	if _, err := Import(context.Background(), f, ImportOptions{}); err == nil {
		t.Error("want an error without --service or --task-definition")
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("files written on error: %v", entries)
	}
}

const testState = `{
  "version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "x",
  "outputs": {},
  "resources": [
    {"mode": "managed", "type": "aws_subnet", "name": "a", "provider": "p",
     "instances": [{"schema_version": 1, "attributes": {"id": "subnet-0123456789abcdef0", "arn": "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0123456789abcdef0", "cidr_block": "10.0.0.0/24"}}]},
    {"mode": "managed", "type": "aws_iam_role", "name": "exec", "provider": "p",
     "instances": [{"schema_version": 0, "attributes": {"id": "exec", "arn": "arn:aws:iam::123456789012:role/exec", "name": "exec"}}]},
    {"mode": "managed", "type": "aws_ecr_repository", "name": "app", "provider": "p",
     "instances": [{"schema_version": 0, "attributes": {"id": "app0", "repository_url": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app0"}}]}
  ]
}`

func TestImportTFState(t *testing.T) {
	dir := chdir(t)
	if err := os.WriteFile(filepath.Join(dir, "terraform.tfstate"), []byte(testState), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFake(1)
	f.services[0].NetworkConfiguration.AwsvpcConfiguration.Subnets = []string{"subnet-0123456789abcdef0"}
	if _, err := Import(context.Background(), f, ImportOptions{Cluster: "prod", Service: "web", TFState: "terraform.tfstate"}); err != nil {
		t.Fatal(err)
	}
	td, _ := os.ReadFile("ecs-task-def.json")
	sd, _ := os.ReadFile("ecs-service-def.json")
	cfg, _ := os.ReadFile("ecspresso.yml")
	for file, wants := range map[string][]string{
		string(td):  {"\"executionRoleArn\": \"{{ tfstate `aws_iam_role.exec.arn` }}\"", "\"image\": \"{{ tfstate `aws_ecr_repository.app.repository_url` }}:v1\""},
		string(sd):  {"\"{{ tfstate `aws_subnet.a.id` }}\""},
		string(cfg): {"plugins:", "name: tfstate", "path: terraform.tfstate"},
	} {
		for _, w := range wants {
			if !strings.Contains(file, w) {
				t.Errorf("lacks %s:\n%s", w, file)
			}
		}
	}

	chdir(t)
	os.WriteFile("terraform.tfstate", []byte(testState), 0o644)
	if _, err := Import(context.Background(), f, ImportOptions{TaskDefinition: "web", TFState: "terraform.tfstate", Jsonnet: true}); err != nil {
		t.Fatal(err)
	}
	js, _ := os.ReadFile("ecs-task-def.jsonnet")
	if !strings.Contains(string(js), "image: std.native('tfstate')('aws_ecr_repository.app.repository_url') + ':v1'") {
		t.Errorf("jsonnet:\n%s", js)
	}
}

// --image-tag-env: every image tag becomes a must_env lookup, after the
// tfstate rewrite of the repository URL, in JSON and in Jsonnet; digests
// stay pinned.
func TestWriteDefinitionsImageTagEnv(t *testing.T) {
	td := map[string]any{
		"family": "web",
		"containerDefinitions": []any{
			map[string]any{"name": "app", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app0:v1"},
			map[string]any{"name": "proxy", "image": "localhost:5000/nginx"},
			map[string]any{"name": "pinned", "image": "nginx@sha256:0123"},
		},
	}
	for _, tc := range []struct{ jsonnet, tfstate bool }{{false, true}, {true, true}, {false, false}} {
		jsonnet := tc.jsonnet
		chdir(t)
		os.WriteFile("terraform.tfstate", []byte(testState), 0o644)
		opts := ImportOptions{Cluster: "c", ImageTagEnv: "IMAGE_TAG", Jsonnet: jsonnet}
		if tc.tfstate {
			opts.TFState = "terraform.tfstate"
		}
		res, err := WriteDefinitions(context.Background(), opts, td, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Written) != 2 {
			t.Errorf("written %v", res.Written)
		}
		path, wants := "ecs-task-def.json", []string{
			"\"image\": \"{{ tfstate `aws_ecr_repository.app.repository_url` }}:{{ must_env `IMAGE_TAG` }}\"",
			"\"image\": \"localhost:5000/nginx:{{ must_env `IMAGE_TAG` }}\"",
			"\"image\": \"nginx@sha256:0123\"",
		}
		if !tc.tfstate {
			wants[0] = "\"image\": \"123456789012.dkr.ecr.us-east-1.amazonaws.com/app0:{{ must_env `IMAGE_TAG` }}\""
		}
		if jsonnet {
			path, wants = "ecs-task-def.jsonnet", []string{
				"image: std.native('tfstate')('aws_ecr_repository.app.repository_url') + ':' + std.native('must_env')('IMAGE_TAG')",
				"image: 'localhost:5000/nginx:' + std.native('must_env')('IMAGE_TAG')",
				"image: 'nginx@sha256:0123'",
			}
		}
		got, _ := os.ReadFile(path)
		for _, w := range wants {
			if !strings.Contains(string(got), w) {
				t.Errorf("%s lacks %s:\n%s", path, w, got)
			}
		}
	}
	if img := td["containerDefinitions"].([]any)[1].(map[string]any)["image"]; img != "localhost:5000/nginx" {
		t.Errorf("the caller's document changed: %v", img)
	}
	if _, err := WriteDefinitions(context.Background(), ImportOptions{ImageTagEnv: "IMAGE-TAG"}, td, nil); err == nil || !strings.Contains(err.Error(), "IMAGE-TAG") {
		t.Errorf("bad variable name: %v", err)
	}
}
