package render

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/doppio-ecs/doppio/mask"
	"github.com/doppio-ecs/doppio/plugins"
)

// BenchmarkRenderTaskDefinition is the performance target: a task
// definition with 100 containers and 300 tfstate lookups over a generated
// 20 MB state, through the real tfstate plugin. Each iteration loads the
// plugins (reading the state) and renders, as one doppio run does.
//
//	go test ./render -run XXX -bench RenderTaskDefinition -benchmem
func BenchmarkRenderTaskDefinition(b *testing.B) {
	dir := b.TempDir()
	writeBenchState(b, filepath.Join(dir, "terraform.tfstate"), 20<<20)
	var containers []string
	for i := range 100 {
		containers = append(containers, fmt.Sprintf(`{
  "name": "app%[1]d",
  "image": "{{ tfstate "aws_ecr_repository.repo[%[1]d].repository_url" }}:v1",
  "essential": %[2]t,
  "environment": [{"name": "ROLE", "value": "{{ tfstate "aws_iam_role.role[%[1]d].arn" }}"}],
  "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "{{ tfstate "aws_cloudwatch_log_group.log[%[1]d].name" }}"}}
}`, i, i == 0))
	}
	td := `{"family": "bench", "containerDefinitions": [` + strings.Join(containers, ",") + `]}`
	if err := os.WriteFile(filepath.Join(dir, "td.json"), []byte(td), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ecspresso.yml"), []byte("task_definition: td.json\nplugins:\n  - name: tfstate\n    config: {path: terraform.tfstate}\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		cfg, err := LoadConfig(filepath.Join(dir, "ecspresso.yml"), nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		secrets := &mask.Set{}
		set, err := plugins.Load(ctx, cfg.Plugins, plugins.Env{BaseDir: cfg.Dir(), Secrets: secrets})
		if err != nil {
			b.Fatal(err)
		}
		p := NewProject(cfg, nil, set.Funcs(), secrets, Options{})
		out, err := p.TaskDefinition(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(out.ContainerDefinitions) != 100 {
			b.Fatalf("%d containers", len(out.ContainerDefinitions))
		}
	}
}

// writeBenchState writes a version 4 state with counted resources for the
// lookups plus padding resources up to size bytes.
func writeBenchState(b *testing.B, path string, size int) {
	b.Helper()
	type instance struct {
		IndexKey   any            `json:"index_key,omitempty"`
		Attributes map[string]any `json:"attributes"`
	}
	type resource struct {
		Mode      string     `json:"mode"`
		Type      string     `json:"type"`
		Name      string     `json:"name"`
		Provider  string     `json:"provider"`
		Instances []instance `json:"instances"`
	}
	provider := `provider["registry.terraform.io/hashicorp/aws"]`
	counted := func(typ, name string, attrs func(i int) map[string]any) resource {
		r := resource{Mode: "managed", Type: typ, Name: name, Provider: provider}
		for i := range 100 {
			r.Instances = append(r.Instances, instance{IndexKey: i, Attributes: attrs(i)})
		}
		return r
	}
	resources := []resource{
		counted("aws_ecr_repository", "repo", func(i int) map[string]any {
			return map[string]any{"repository_url": fmt.Sprintf("123456789012.dkr.ecr.us-east-1.amazonaws.com/app%d", i)}
		}),
		counted("aws_iam_role", "role", func(i int) map[string]any {
			return map[string]any{"arn": fmt.Sprintf("arn:aws:iam::123456789012:role/app%d", i)}
		}),
		counted("aws_cloudwatch_log_group", "log", func(i int) map[string]any {
			return map[string]any{"name": fmt.Sprintf("/ecs/app%d", i)}
		}),
	}
	padding := strings.Repeat("x", 1000)
	est := 0
	for i := 0; est < size; i++ {
		r := resource{Mode: "managed", Type: "aws_ssm_parameter", Name: fmt.Sprintf("pad%d", i), Provider: provider}
		for j := range 10 {
			r.Instances = append(r.Instances, instance{IndexKey: j, Attributes: map[string]any{"id": fmt.Sprintf("/pad/%d/%d", i, j), "value": padding}})
			est += len(padding) + 100
		}
		resources = append(resources, r)
	}
	state, err := json.Marshal(map[string]any{"version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": "bench", "outputs": map[string]any{}, "resources": resources})
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path, state, 0o644); err != nil {
		b.Fatal(err)
	}
}
