package render

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doppio-ecs/doppio/apijson"
	"github.com/doppio-ecs/doppio/internal/golden"
)

// TestConfigFormatsGolden renders one service from a YAML (.yml and .yaml),
// JSON and Jsonnet config: every output must be identical.
func TestConfigFormatsGolden(t *testing.T) {
	t.Setenv("DOPPIO_TEST_CLUSTER", "demo")
	opts := Options{ExtStr: map[string]string{"service": "web"}, ExtCode: map[string]string{"minutes": "2+3"}}
	var first string
	for _, name := range []string{"ecspresso.yml", "ecspresso.yaml", "ecspresso.json", "ecspresso.jsonnet"} {
		t.Run(name, func(t *testing.T) {
			p := testProject(t, filepath.Join("testdata", "formats", name), opts)
			cfg := *p.Config
			cfg.TaskDefinitionPath, _ = filepath.Rel(cfg.Dir(), cfg.TaskDefinitionPath)
			cfg.ServiceDefinitionPath, _ = filepath.Rel(cfg.Dir(), cfg.ServiceDefinitionPath)
			cfgJSON, err := json.MarshalIndent(&cfg, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			sd, err := p.ServiceDefinition(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			td, err := p.TaskDefinition(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			sdJSON, err := apijson.Marshal(sd)
			if err != nil {
				t.Fatal(err)
			}
			tdJSON, err := apijson.Marshal(td)
			if err != nil {
				t.Fatal(err)
			}
			got := string(cfgJSON) + "\n" + string(sdJSON) + string(tdJSON)
			if first == "" {
				first = got
				golden.Check(t, filepath.Join("testdata", "formats.golden"), got)
			} else if got != first {
				t.Errorf("output differs from ecspresso.yml's:\n%s\nwant:\n%s", got, first)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigDefaultsAndPaths(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "conf/ecspresso.yml", "service: web\nservice_definition: sd.json\ntask_definition: /abs/td.json\n")
	cfg, err := LoadConfig(context.Background(), p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Cluster != "default" {
		t.Errorf("cluster = %q, want default", cfg.Cluster)
	}
	if cfg.Timeout.Duration != 10*time.Minute {
		t.Errorf("timeout = %v, want 10m", cfg.Timeout)
	}
	if want := filepath.Join(dir, "conf", "sd.json"); cfg.ServiceDefinitionPath != want {
		t.Errorf("service_definition = %q, want %q", cfg.ServiceDefinitionPath, want)
	}
	if cfg.TaskDefinitionPath != "/abs/td.json" {
		t.Errorf("absolute task_definition changed: %q", cfg.TaskDefinitionPath)
	}
	if cfg.Dir() != filepath.Join(dir, "conf") {
		t.Errorf("Dir = %q", cfg.Dir())
	}
}

func TestConfigTimeout(t *testing.T) {
	for in, want := range map[string]time.Duration{
		`"90s"`: 90 * time.Second,
		`120`:   2 * time.Minute,
		`1.5`:   1500 * time.Millisecond,
	} {
		p := writeFile(t, t.TempDir(), "c.json", `{"task_definition":"td.json","timeout":`+in+`}`)
		cfg, err := LoadConfig(context.Background(), p, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if cfg.Timeout.Duration != want {
			t.Errorf("timeout %s = %v, want %v", in, cfg.Timeout.Duration, want)
		}
	}
	for _, bad := range []string{`"10 minutes"`, `"0s"`, `0`, `"-5m"`} {
		p := writeFile(t, t.TempDir(), "c.json", `{"timeout":`+bad+`}`)
		if _, err := LoadConfig(context.Background(), p, nil, nil); err == nil || !strings.Contains(err.Error(), "timeout") {
			t.Errorf("timeout %s: error = %v", bad, err)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name, file, content string
		want                []string
	}{
		{"unknown key", "c.yml", "clustr: x\n", []string{"c.yml", "clustr: unknown field", `did you mean "cluster"`}},
		{"unknown key json has line", "c.json", "{\n  \"region\": \"x\",\n  \"sevice\": \"web\"\n}", []string{"c.json:3:3", "sevice", `"service"`}},
		{"misspelt service_definition", "c.yml", "service_defintion: sd.json\n", []string{"service_defintion: unknown field", `did you mean "service_definition"`}},
		{"nested unknown", "c.yml", "codedeploy:\n  application: x\n", []string{"codedeploy.application", `"application_name"`}},
		{"wrong type", "c.yml", "cluster: [a]\n", []string{"cluster: expected string, got array"}},
		{"plugins not a list", "c.yml", "plugins: tfstate\n", []string{"plugins: expected array, got string"}},
		{"plugin without name", "c.yml", "plugins:\n  - config: {}\n", []string{"plugins[0].name"}},
		{"yaml syntax", "c.yml", "cluster: [a\n", []string{"c.yml:1:10: YAML syntax error"}},
		{"json syntax", "c.json", "{\"cluster\": }", []string{"c.json", "jsonnet"}},
		{"jsonnet syntax", "c.jsonnet", "{ cluster: }", []string{"c.jsonnet:1"}},
		{"template error", "c.yml", "cluster: {{ nope }}\n", []string{"c.yml:1", "function \"nope\" not defined"}},
		{"must_env unset", "c.yml", "cluster: '{{ must_env \"DOPPIO_TEST_UNSET_VAR\" }}'\n", []string{"c.yml:1", "DOPPIO_TEST_UNSET_VAR is not set"}},
		{"jsonnet must_env unset", "c.jsonnet", "{ cluster: std.native('must_env')('DOPPIO_TEST_UNSET_VAR') }", []string{"c.jsonnet", "DOPPIO_TEST_UNSET_VAR is not set"}},
		{"not an object", "c.json", "[1]", []string{"must be an object"}},
		{"bad extension", "c.toml", "x=1", []string{"unsupported file type"}},
		{"bad required_version", "c.yml", "required_version: '>>> 1'\n", []string{"required_version", "invalid constraint"}},
		{"bad doppio.required_version", "c.yml", "doppio:\n  required_version: '>>> 1'\n", []string{"doppio.required_version", "invalid constraint"}},
		{"unknown doppio key", "c.yml", "doppio:\n  required_versoin: '1'\n", []string{"doppio.required_versoin", "unknown field"}},
		{"empty yaml", "c.yml", "# nothing\n", []string{"c.yml"}},
		{"huge timeout", "c.json", `{"timeout": 1e300}`, []string{"timeout", "out of range"}},
		{"deep nesting", "c.json", `{"appspec": ` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`, []string{"nested more than"}},
		{"duplicate key", "c.json", `{"cluster":"a","cluster":"b"}`, []string{"c.json:1:16", "duplicate key"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			writeFile(t, dir, tc.file, tc.content)
			_, err := LoadConfig(context.Background(), tc.file, nil, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error: %q", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestConfigMissingFile(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := LoadConfig(context.Background(), "nope.yml", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "nope.yml: no such file") {
		t.Fatalf("err = %v", err)
	}
}

func TestRequiredVersionIsEcspressos(t *testing.T) {
	for constraint, ok := range map[string]bool{
		">= 2.0.0, < 3": true, ">= 2.4": true, "~> 2": true, ">= v2.0.0": true,
		">= 3.0.0": false, "< 2": false, "= 1.9.0": false,
	} {
		cfg := &Config{RequiredVersion: constraint, path: "c.yml"}
		// doppio's own version never enters the ecspresso check.
		for _, v := range []string{"v0.3.0", "dev", "v9.0.0"} {
			err := cfg.CheckRequiredVersion(v)
			if (err == nil) != ok {
				t.Errorf("required_version %q, doppio %s: err = %v, want ok=%v", constraint, v, err, ok)
			}
			if err != nil && (!strings.Contains(err.Error(), EcspressoCompatVersion) || !strings.Contains(err.Error(), v)) {
				t.Errorf("error must name both versions: %v", err)
			}
		}
	}
}

func TestDoppioRequiredVersion(t *testing.T) {
	cfg := &Config{Doppio: &DoppioConfig{RequiredVersion: ">= 1.2, < 2"}}
	for v, ok := range map[string]bool{"v1.2.0": true, "1.9.9": true, "v2.0.0": false, "v1.1.0": false, "dev": true} {
		err := cfg.CheckRequiredVersion(v)
		if (err == nil) != ok {
			t.Errorf("version %s: err = %v, want ok=%v", v, err, ok)
		}
	}
}

func TestServiceDefinitionWithoutService(t *testing.T) {
	// ecspresso's tests/run-without-sv.yaml: run takes the network
	// configuration from the service definition of a family-only project.
	p := writeFile(t, t.TempDir(), "c.yml", "task_definition: td.json\nservice_definition: sv.json\n")
	cfg, err := LoadConfig(context.Background(), p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Service != "" || !strings.HasSuffix(cfg.ServiceDefinitionPath, "sv.json") {
		t.Fatalf("cfg = %+v", cfg)
	}
}

func TestFilterCommandAccepted(t *testing.T) {
	p := writeFile(t, t.TempDir(), "c.yml", "filter_command: peco\ntask_definition: td.json\n")
	cfg, err := LoadConfig(context.Background(), p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.FilterCommand != "peco" {
		t.Fatalf("filter_command = %q, want peco (exec uses it)", cfg.FilterCommand)
	}
}
