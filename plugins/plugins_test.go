package plugins

import (
	"context"
	"strings"
	"testing"
)

func funcNames(s *Set) []string {
	var names []string
	for _, f := range s.Funcs() {
		names = append(names, f.Name)
	}
	return names
}

func findFunc(t *testing.T, s *Set, name string) Func {
	t.Helper()
	for _, f := range s.Funcs() {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("function %s not loaded; have %v", name, funcNames(s))
	return Func{}
}

func tfSpec(prefix string) Spec {
	return Spec{Name: "tfstate", Config: map[string]any{"path": "terraform.tfstate"}, FuncPrefix: prefix}
}

func TestLoadDefaults(t *testing.T) {
	s, err := Load(context.Background(), nil, Env{BaseDir: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(funcNames(s), " ")
	if got != "ssm ssm_list secretsmanager_arn" {
		t.Errorf("default functions = %q", got)
	}
}

func TestLoadConfiguredPlugins(t *testing.T) {
	specs := []Spec{
		tfSpec(""),
		tfSpec("second_"),
		{Name: "cloudformation"},
		{Name: "ssm"},                       // duplicate of the default: skipped silently
		{Name: "ssm", FuncPrefix: "other_"}, // adds prefixed names
		{Name: "secretsmanager", FuncPrefix: "x_"},
	}
	s, err := Load(context.Background(), specs, Env{BaseDir: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	want := "ssm ssm_list secretsmanager_arn tfstate tfstatef second_tfstate second_tfstatef cfn_output cfn_export other_ssm other_ssm_list x_secretsmanager_arn"
	if got := strings.Join(funcNames(s), " "); got != want {
		t.Errorf("functions =\n %s\nwant\n %s", got, want)
	}
	if f := findFunc(t, s, "tfstatef"); f.Params != nil {
		t.Errorf("tfstatef must be template only, has Params %v", f.Params)
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name  string
		specs []Spec
		want  []string
	}{
		{"unknown plugin", []Spec{{Name: "vault"}}, []string{`plugins[0]`, `plugin "vault" is not available`, "cloudformation, external, secretsmanager, ssm, tfstate"}},
		{"missing name", []Spec{{}}, []string{"plugins[0]: name is missing"}},
		{"two tfstate without prefix", []Spec{tfSpec(""), tfSpec("")},
			[]string{"plugin tfstate (plugins[1])", `function "tfstate" is already defined by plugin tfstate (plugins[0])`, "func_prefix"}},
		{"two cloudformation", []Spec{{Name: "cloudformation"}, {Name: "cloudformation"}},
			[]string{"plugin cloudformation (plugins[1])", `"cfn_output" is already defined by plugin cloudformation (plugins[0])`, "func_prefix"}},
		{"same prefix twice", []Spec{tfSpec("a_"), tfSpec("a_")}, []string{`"a_tfstate" is already defined`}},
		{"tfstate without location", []Spec{{Name: "tfstate"}}, []string{"plugin tfstate (plugins[0])", "needs path", "url"}},
		{"tfstate with both", []Spec{{Name: "tfstate", Config: map[string]any{"path": "a", "url": "s3://b/k"}}}, []string{"both path and url"}},
		{"tfstate unknown key", []Spec{{Name: "tfstate", Config: map[string]any{"pth": "a"}}}, []string{"config.pth: unknown key", "path, url, optional"}},
		{"tfstate path not a string", []Spec{{Name: "tfstate", Config: map[string]any{"path": 3}}}, []string{"config.path: expected a string"}},
		{"tfstate missing file", []Spec{{Name: "tfstate", Config: map[string]any{"path": "nope.tfstate"}}},
			[]string{"plugin tfstate (plugins[0])", `path "nope.tfstate"`, "no such file"}},
		{"tfstate bad json", []Spec{{Name: "tfstate", Config: map[string]any{"path": "plugins_test.go"}}},
			[]string{`path "plugins_test.go"`, "invalid json"}},
		{"tfstate unsupported scheme", []Spec{{Name: "tfstate", Config: map[string]any{"url": "ftp://x/y"}}},
			[]string{`url "ftp://x/y"`, "not supported"}},
		{"tfstate s3 without clients", []Spec{{Name: "tfstate", Config: map[string]any{"url": "s3://b/k"}}},
			[]string{`url "s3://b/k"`, "no AWS client"}},
		{"tfstate optional not bool", []Spec{{Name: "tfstate", Config: map[string]any{"path": "x", "optional": "yes"}}},
			[]string{"config.optional: expected true or false"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			baseDir := "testdata"
			if strings.Contains(tc.name, "bad json") {
				baseDir = "."
			}
			_, err := Load(context.Background(), tc.specs, Env{BaseDir: baseDir})
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

func TestTemplateAndJsonnetAdapters(t *testing.T) {
	s, err := Load(context.Background(), []Spec{tfSpec("")}, Env{BaseDir: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	fm := s.TemplateFuncs(context.Background())
	for _, n := range []string{"tfstate", "tfstatef", "ssm", "ssm_list", "secretsmanager_arn"} {
		if fm[n] == nil {
			t.Errorf("template function %s missing", n)
		}
	}
	natives := s.JsonnetNatives(context.Background())
	var names []string
	for _, n := range natives {
		names = append(names, n.Name)
	}
	if got := strings.Join(names, " "); got != "ssm ssm_list secretsmanager_arn tfstate" {
		t.Errorf("natives = %q", got)
	}
}
