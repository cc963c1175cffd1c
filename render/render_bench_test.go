package render

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/doppio-ecs/doppio/plugins/tfstatetest"
)

// BenchmarkRenderTaskDefinition100Containers is the performance
// target: one op loads the config (reading a 20 MB Terraform state) and
// renders and decodes a task definition of 100 containers making 300 tfstate
// lookups. Budget: ≤ 0.5 s/op, ≤ 200 MB peak RSS.
func BenchmarkRenderTaskDefinition100Containers(b *testing.B) {
	dir := b.TempDir()
	resources, err := tfstatetest.Write(filepath.Join(dir, "terraform.tfstate"), 20<<20)
	if err != nil {
		b.Fatal(err)
	}
	writeBenchFile(b, dir, "ecspresso.yml", `region: us-east-1
cluster: bench
service: web
task_definition: ecs-task-def.json
plugins:
  - name: tfstate
    config:
      path: terraform.tfstate
`)
	var containers []string
	for c := range 100 {
		i := (c * 37) % (resources - 4)
		if i%4 == 3 {
			i++ // for_each resources have no plain attributes
		}
		shared := (c % 8) * 4
		containers = append(containers, fmt.Sprintf(`{
      "name": "app-%03d",
      "image": "{{ tfstate %q }}:v1",
      "essential": %t,
      "cpu": 16,
      "memory": 64,
      "portMappings": [{"containerPort": {{ tfstate %q }}, "protocol": "tcp"}],
      "environment": [{"name": "TEAM", "value": "{{ tfstate %q }}"}, {"name": "INDEX", "value": "%d"}],
      "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "app-%03d"}}
    }`, c, tfstatetest.Addr(i, "url"), c == 0, tfstatetest.Addr(i, "ingress[2].from_port"), tfstatetest.Addr(shared, "tags.tag-1"), c, c))
	}
	writeBenchFile(b, dir, "ecs-task-def.json", `{
  "family": "web",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "4096",
  "memory": "8192",
  "containerDefinitions": [
    `+strings.Join(containers, ",\n    ")+`
  ]
}
`)
	// No AWS call happens, but the client set is built: keep it offline.
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
	} {
		b.Setenv(k, v)
	}
	ctx := context.Background()
	opts := Options{ConfigPath: filepath.Join(dir, "ecspresso.yml"), Version: "dev"}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p, err := Load(ctx, opts)
		if err != nil {
			b.Fatal(err)
		}
		td, err := p.TaskDefinition(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(td.ContainerDefinitions) != 100 || !strings.HasSuffix(*td.ContainerDefinitions[99].Image, ":v1") {
			b.Fatalf("unexpected task definition: %d containers", len(td.ContainerDefinitions))
		}
	}
}

func writeBenchFile(b *testing.B, dir, name, content string) {
	b.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		b.Fatal(err)
	}
}
