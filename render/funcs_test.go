package render

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func TestEnvFunc(t *testing.T) {
	t.Setenv("DOPPIO_A", "a")
	t.Setenv("DOPPIO_EMPTY", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"DOPPIO_A"}, "a"},
		{[]string{"DOPPIO_A", "dflt"}, "a"},
		{[]string{"DOPPIO_UNSET", "dflt"}, "dflt"},
		{[]string{"DOPPIO_EMPTY", "dflt"}, "dflt"},
		// ecspresso compatibility: no value → the last argument itself.
		{[]string{"DOPPIO_UNSET"}, "DOPPIO_UNSET"},
		{[]string{"DOPPIO_UNSET", "DOPPIO_A", "dflt"}, "a"},
	} {
		got, err := envValue(tc.args...)
		if err != nil || got != tc.want {
			t.Errorf("env %v = %q, %v; want %q", tc.args, got, err, tc.want)
		}
	}
	if _, err := envValue(); err == nil {
		t.Error("env with no argument must fail")
	}
}

func TestMustEnvAndJSONEscape(t *testing.T) {
	t.Setenv("DOPPIO_EMPTY", "")
	if v, err := mustEnv("DOPPIO_EMPTY"); err != nil || v != "" {
		t.Errorf("must_env of an empty variable = %q, %v", v, err)
	}
	if _, err := mustEnv("DOPPIO_UNSET_X"); err == nil || !strings.Contains(err.Error(), "DOPPIO_UNSET_X") {
		t.Errorf("must_env unset: %v", err)
	}
	got, _ := jsonEscape("a\"b\\c\nd<e>")
	if want := `a\"b\\c\nd\u003ce\u003e`; got != want {
		t.Errorf("json_escape = %q, want %q", got, want)
	}
}

// renderDir writes a config plus files into a temp dir and returns a
// project over fake lookups.
func renderDir(t *testing.T, files map[string]string, opts Options) *Project {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	for name, content := range files {
		writeFile(t, dir, name, content)
	}
	return testProject(t, "ecspresso.yml", opts)
}

func TestTemplateFunctionsInDefinitions(t *testing.T) {
	t.Setenv("DOPPIO_TAG", "v7")
	t.Setenv("DOPPIO_JSON", `say "hi"`)
	p := renderDir(t, map[string]string{
		"ecspresso.yml": "task_definition: td.json\n",
		"td.json": `{
  "family": "{{ tfstatef "aws_%s.name" "x" }}",
  "containerDefinitions": [{
    "name": "{{ env "DOPPIO_UNSET" "app" }}",
    "image": "{{ tfstate "repo.url" }}:{{ must_env "DOPPIO_TAG" }}",
    "command": ["echo", "{{ env "DOPPIO_JSON" | json_escape }}"],
    "environment": [{"name": "DB", "value": "{{ ssm "/db/host" }}"}]
  }]
}`,
	}, Options{})
	td, err := p.TaskDefinition(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := td.ContainerDefinitions[0]
	if aws.ToString(td.Family) != "tf:aws_x.name" || aws.ToString(c.Name) != "app" ||
		aws.ToString(c.Image) != "tf:repo.url:v7" || c.Command[1] != `say "hi"` ||
		aws.ToString(c.Environment[0].Value) != "ssm:/db/host" {
		t.Errorf("unexpected render: family=%q name=%q image=%q command=%q env=%q",
			aws.ToString(td.Family), aws.ToString(c.Name), aws.ToString(c.Image), c.Command, aws.ToString(c.Environment[0].Value))
	}
}

func TestJsonnetDefinitions(t *testing.T) {
	t.Setenv("DOPPIO_TAG", "v7")
	p := renderDir(t, map[string]string{
		"ecspresso.yml":      "service: web\nservice_definition: defs/sd.jsonnet\ntask_definition: defs/td.jsonnet\n",
		"defs/lib.libsonnet": `{ port: 8080 }`,
		"defs/sd.jsonnet": `local lib = import 'lib.libsonnet';
{
  desiredCount: std.extVar('count'),
  loadBalancers: [{ containerName: 'web', containerPort: lib.port, targetGroupArn: std.native('tfstate')('tg.arn') }],
  launchType: std.extVar('launch'),
}`,
		"defs/td.jsonnet": `local env = std.native('env'), must_env = std.native('must_env'), obj = std.native('obj');
{
  family: obj('web').id,
  containerDefinitions: [{
    name: env('DOPPIO_UNSET', 'app'),
    image: 'nginx:' + must_env('DOPPIO_TAG'),
    memory: obj('x').n * 128,
    environment: [{ name: 'X', value: '{{ ssm ` + "`/x`" + ` }}' }],
  }],
}`,
	}, Options{ExtStr: map[string]string{"launch": "FARGATE"}, ExtCode: map[string]string{"count": "1+1"}})
	sd, err := p.ServiceDefinition(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(sd.DesiredCount) != 2 || sd.LaunchType != types.LaunchTypeFargate ||
		aws.ToInt32(sd.LoadBalancers[0].ContainerPort) != 8080 || aws.ToString(sd.LoadBalancers[0].TargetGroupArn) != "tf:tg.arn" {
		t.Errorf("service definition: %+v", sd)
	}
	td, err := p.TaskDefinition(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := td.ContainerDefinitions[0]
	if aws.ToString(td.Family) != "web" || aws.ToString(c.Name) != "app" || aws.ToString(c.Image) != "nginx:v7" ||
		aws.ToInt32(c.Memory) != 384 || aws.ToString(c.Environment[0].Value) != "ssm:/x" {
		t.Errorf("task definition: family=%q name=%q image=%q memory=%d env=%q", aws.ToString(td.Family), aws.ToString(c.Name),
			aws.ToString(c.Image), aws.ToInt32(c.Memory), aws.ToString(c.Environment[0].Value))
	}
}

func TestDefinitionErrorsNameTheFile(t *testing.T) {
	cases := []struct {
		name, td string
		want     []string
	}{
		{"lookup fails", `{"family": "{{ tfstate "missing" }}"}`, []string{"td.json:1:15", "tfstate", `"missing" not found`}},
		{"must_env unset", `{"family": "{{ must_env "DOPPIO_UNSET_Y" }}"}`, []string{"td.json:1:15", "DOPPIO_UNSET_Y is not set"}},
		{"unknown function", `{"family": "{{ nope }}"}`, []string{"td.json:1", `function "nope" not defined`}},
		{"wrong arity", `{"family": "{{ tfstate }}"}`, []string{"td.json:1", "want 1 argument"}},
		{"strict decode", `{"famly": "web"}`, []string{"td.json:1:2: famly: unknown field"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := renderDir(t, map[string]string{"ecspresso.yml": "task_definition: td.json\n", "td.json": tc.td}, Options{})
			_, err := p.TaskDefinition(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestJsonnetDefinitionErrors(t *testing.T) {
	for name, tc := range map[string]struct{ src, want string }{
		"syntax":         {`{ family: }`, "td.jsonnet:1"},
		"must_env":       {`{ family: std.native('must_env')('DOPPIO_UNSET_Z') }`, "DOPPIO_UNSET_Z is not set"},
		"lookup":         {`{ family: std.native('tfstate')('missing') }`, `"missing" not found`},
		"missing import": {`(import 'nope.libsonnet') + {}`, "nope.libsonnet"},
		"missing extvar": {`{ family: std.extVar('nope') }`, "nope"},
		"template-only":  {`{ family: std.native('tfstatef')('x') }`, "tfstatef"},
	} {
		t.Run(name, func(t *testing.T) {
			p := renderDir(t, map[string]string{"ecspresso.yml": "task_definition: td.jsonnet\n", "td.jsonnet": tc.src}, Options{})
			_, err := p.TaskDefinition(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line containing %q", err, tc.want)
			}
		})
	}
}

func TestRenderFileOverrides(t *testing.T) {
	p := renderDir(t, map[string]string{
		"ecspresso.yml":  "task_definition: td.json\n",
		"overrides.json": `{"containerOverrides": [{"name": "web", "command": ["{{ tfstate "cmd" }}"]}], "cpu": "512"}`,
		"bad.json":       `{"containerOverride": []}`,
	}, Options{})
	var ov types.TaskOverride
	if err := p.RenderFile(context.Background(), "overrides.json", &ov); err != nil {
		t.Fatal(err)
	}
	if ov.ContainerOverrides[0].Command[0] != "tf:cmd" || aws.ToString(ov.Cpu) != "512" {
		t.Errorf("overrides: %+v", ov)
	}
	err := p.RenderFile(context.Background(), "bad.json", &ov)
	if err == nil || !strings.Contains(err.Error(), `did you mean "containerOverrides"`) {
		t.Errorf("err = %v", err)
	}
	if err := p.RenderFile(context.Background(), "overrides.json", ov); err == nil {
		t.Error("non-pointer target must fail")
	}
}

func TestNoServiceDefinition(t *testing.T) {
	p := renderDir(t, map[string]string{"ecspresso.yml": "task_definition: td.json\n"}, Options{})
	sd, err := p.ServiceDefinition(context.Background())
	if sd != nil || err != nil {
		t.Errorf("got %v, %v; want nil, nil", sd, err)
	}
	if _, err := p.TaskDefinition(context.Background()); err == nil || !strings.Contains(err.Error(), "td.json: no such file") {
		t.Errorf("missing task definition: %v", err)
	}
}

func TestServiceNameForcedFromConfig(t *testing.T) {
	p := renderDir(t, map[string]string{
		"ecspresso.yml": "service: web\nservice_definition: sd.json\ntask_definition: td.json\n",
		"sd.json":       `{"serviceName": "other", "desiredCount": 0}`,
	}, Options{})
	sd, err := p.ServiceDefinition(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(sd.ServiceName) != "web" || sd.DesiredCount == nil || *sd.DesiredCount != 0 {
		t.Errorf("serviceName %q desiredCount %v", aws.ToString(sd.ServiceName), sd.DesiredCount)
	}
}
