package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodTD = `{"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx:1.27", "essential": true}]}`

// TestBadInput runs the real CLI entry point on broken inputs: each must exit
// with the right code and one clear "doppio: ..." line naming the file or
// field, never a panic or a stack trace.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		env   map[string]string
		args  []string
		code  int
		want  []string // substrings of stderr
		ver   string   // binary version for the case, "" = dev
	}{
		{name: "unknown flag", args: []string{"--bogus"}, code: 1, want: []string{"unknown flag --bogus"}},
		{name: "exec port without port-forward", args: []string{"exec", "--port", "80"}, code: 1, want: []string{"--port, --local-port and --host need --port-forward"}},
		{name: "exec port out of range", args: []string{"exec", "--port-forward", "--port", "70000"}, code: 1, want: []string{"--port-forward needs --port between 1 and 65535, got 70000"}},
		{name: "exec json without check", args: []string{"exec", "--output", "json"}, code: 1, want: []string{"--output needs --check"}},
		{name: "deploy dry-run json", args: []string{"deploy", "--dry-run", "--output", "json"}, code: 1, want: []string{"--output json", "--dry-run", "as text"}},
		{name: "rollback dry-run json", args: []string{"rollback", "--dry-run", "--output", "json"}, code: 1, want: []string{"--output json", "--dry-run"}},
		{name: "refresh dry-run json", args: []string{"refresh", "--dry-run", "--output", "json"}, code: 1, want: []string{"--output json", "--dry-run"}},
		{name: "scale dry-run json", args: []string{"scale", "--dry-run", "--output", "json"}, code: 1, want: []string{"--output json", "--dry-run"}},
		{name: "exec id and find", args: []string{"exec", "--id", "a", "--find"}, code: 1, want: []string{"--id and --find exclude each other"}},
		{name: "tasks logs negative since", args: []string{"tasks", "logs", "--since=-1m"}, code: 1, want: []string{"--since must be a positive duration"}},
		{name: "unknown command", args: []string{"deplyo"}, code: 1, want: []string{"deplyo"}},
		{name: "render without target", args: []string{"render"}, code: 1, want: []string{"<targets>"}},
		{name: "render bad target", args: []string{"render", "taskdefs"}, code: 1, want: []string{`"taskdefs"`, "taskdef"}},
		{name: "bad log format", args: []string{"--log-format", "xml", "version"}, code: 1, want: []string{"log-format", "xml"}},
		{name: "bad timeout flag", args: []string{"--timeout", "soon", "version"}, code: 1, want: []string{"timeout", "soon"}},
		{name: "bad ext-str", args: []string{"--ext-str", "novalue", "version"}, code: 1, want: []string{"ext-str"}},
		{name: "missing config file", args: []string{"--config", "nope.yml", "render", "config"}, code: 1, want: []string{"nope.yml: no such file"}},
		{name: "no config in cwd", args: []string{"render", "config"}, code: 1, want: []string{"no config file found", "ecspresso.yml"}},
		{name: "config is a directory", files: map[string]string{"conf.yml/x": ""}, args: []string{"--config", "conf.yml", "render", "config"}, code: 1, want: []string{"conf.yml", "directory"}},
		{name: "config bad extension", files: map[string]string{"ecspresso.toml": "x=1"}, args: []string{"--config", "ecspresso.toml", "render", "config"}, code: 1, want: []string{"ecspresso.toml", "unsupported file type"}},
		{name: "yaml syntax error", files: map[string]string{"ecspresso.yml": "cluster: [demo\n"}, args: []string{"render", "config"}, code: 1, want: []string{"ecspresso.yml:1:10: YAML syntax error"}},
		{name: "json config syntax error", files: map[string]string{"ecspresso.json": "{\"cluster\": \"demo\",,}"}, args: []string{"render", "config"}, code: 1, want: []string{"ecspresso.json:1"}},
		{name: "jsonnet config syntax error", files: map[string]string{"ecspresso.jsonnet": "{ cluster: 'demo' "}, args: []string{"render", "config"}, code: 1, want: []string{"ecspresso.jsonnet:1"}},
		{name: "unknown config key", files: map[string]string{"ecspresso.yml": "cluster: demo\ntask_defintion: td.json\n"}, args: []string{"render", "config"}, code: 1, want: []string{"ecspresso.yml", "task_defintion: unknown field", `did you mean "task_definition"`}},
		{name: "config wrong type", files: map[string]string{"ecspresso.yml": "cluster: {name: demo}\n"}, args: []string{"render", "config"}, code: 1, want: []string{"ecspresso.yml", "cluster: expected string, got object"}},
		{name: "config bad timeout", files: map[string]string{"ecspresso.yml": "timeout: forever\n"}, args: []string{"render", "config"}, code: 1, want: []string{"ecspresso.yml", "timeout", "forever"}},
		{name: "config template error", files: map[string]string{"ecspresso.yml": "cluster: '{{ tfstate `x` }}'\n"}, args: []string{"render", "config"}, code: 1, want: []string{"ecspresso.yml:1", `"tfstate" not defined`}},
		{name: "config must_env unset", files: map[string]string{"ecspresso.yml": "cluster: '{{ must_env `DOPPIO_BAD_UNSET` }}'\n"}, args: []string{"render", "config"}, code: 1, want: []string{"ecspresso.yml:1", "DOPPIO_BAD_UNSET is not set"}},
		{name: "jsonnet config must_env unset", files: map[string]string{"ecspresso.jsonnet": "{ cluster: std.native('must_env')('DOPPIO_BAD_UNSET') }"}, args: []string{"render", "config"}, code: 1, want: []string{"ecspresso.jsonnet", "DOPPIO_BAD_UNSET is not set"}},
		{name: "unmet required_version", ver: "v0.1.0", files: map[string]string{"ecspresso.yml": "required_version: '>= 9.0.0'\ntask_definition: td.json\n"}, args: []string{"render", "config"}, code: 1, want: []string{"ecspresso.yml", "required_version", "v0.1.0"}},
		{name: "invalid required_version", files: map[string]string{"ecspresso.yml": "required_version: 'at least two'\n"}, args: []string{"render", "config"}, code: 1, want: []string{"ecspresso.yml", "required_version", "invalid constraint"}},
		{name: "unknown plugin", files: map[string]string{"ecspresso.yml": "plugins:\n  - name: vault\n"}, args: []string{"render", "config"}, code: 1, want: []string{"ecspresso.yml", "vault", "not available"}},
		{name: "tfstate plugin without location", files: map[string]string{"ecspresso.yml": "plugins:\n  - name: tfstate\n    config: {}\n"}, args: []string{"render", "config"}, code: 1, want: []string{"ecspresso.yml", "tfstate"}},
		{name: "tfstate file missing", files: map[string]string{"ecspresso.yml": "plugins:\n  - name: tfstate\n    config: {path: missing.tfstate}\n"}, args: []string{"render", "config"}, code: 1, want: []string{"ecspresso.yml", "missing.tfstate"}},
		{name: "two tfstate plugins without prefix", files: map[string]string{"ecspresso.yml": "plugins:\n  - name: tfstate\n    config: {path: a.tfstate}\n  - name: tfstate\n    config: {path: a.tfstate}\n", "a.tfstate": `{"version": 4, "resources": []}`}, args: []string{"render", "config"}, code: 1, want: []string{"ecspresso.yml", "func_prefix"}},
		{name: "missing tfstate address", files: map[string]string{
			"ecspresso.yml": "task_definition: td.json\nplugins:\n  - name: tfstate\n    config: {path: a.tfstate}\n",
			"a.tfstate":     `{"version": 4, "resources": []}`,
			"td.json":       `{"family": "{{ tfstate "aws_iam_role.nope.arn" }}"}`,
		}, args: []string{"render", "taskdef"}, code: 1, want: []string{"td.json:1", "aws_iam_role.nope.arn"}},
		{name: "missing task definition file", files: map[string]string{"ecspresso.yml": "task_definition: td.json\n"}, args: []string{"render", "taskdef"}, code: 1, want: []string{"td.json: no such file"}},
		{name: "task definition syntax error", files: map[string]string{"ecspresso.yml": "task_definition: td.json\n", "td.json": "{\n  \"family\": \"web\"\n  \"cpu\": \"256\"\n}"}, args: []string{"render", "taskdef"}, code: 1, want: []string{"td.json:3:", "JSON syntax error"}},
		{name: "task definition unknown field", files: map[string]string{"ecspresso.yml": "task_definition: td.json\n", "td.json": "{\n  \"family\": \"web\",\n  \"containerDefinitions\": [{\"name\": \"web\", \"enviroment\": []}]\n}"}, args: []string{"render", "taskdef"}, code: 1, want: []string{`td.json:3:44: containerDefinitions[0].enviroment: unknown field (did you mean "environment"?)`}},
		{name: "task definition wrong type", files: map[string]string{"ecspresso.yml": "task_definition: td.json\n", "td.json": `{"family": "web", "memory": 512}`}, args: []string{"render", "taskdef"}, code: 1, want: []string{"td.json:1:19: memory: expected string, got number"}},
		{name: "task definition must_env unset", files: map[string]string{"ecspresso.yml": "task_definition: td.json\n", "td.json": `{"family": "{{ must_env "DOPPIO_BAD_UNSET" }}"}`}, args: []string{"render", "taskdef"}, code: 1, want: []string{"td.json:1", "DOPPIO_BAD_UNSET is not set"}},
		{name: "task definition template syntax", files: map[string]string{"ecspresso.yml": "task_definition: td.json\n", "td.json": `{"family": "{{ env "X" }"}`}, args: []string{"render", "taskdef"}, code: 1, want: []string{"td.json:1", "template"}},
		{name: "wrapped task definition unknown sibling", files: map[string]string{"ecspresso.yml": "task_definition: td.json\n", "td.json": `{"taskDefinition": ` + goodTD + `, "tag": []}`}, args: []string{"render", "taskdef"}, code: 1, want: []string{"td.json", `tag: unknown field next to taskDefinition (did you mean "tags"?)`}},
		{name: "jsonnet task definition syntax", files: map[string]string{"ecspresso.yml": "task_definition: td.jsonnet\n", "td.jsonnet": "{ family: 'web', "}, args: []string{"render", "taskdef"}, code: 1, want: []string{"td.jsonnet:1"}},
		{name: "jsonnet missing import", files: map[string]string{"ecspresso.yml": "task_definition: td.jsonnet\n", "td.jsonnet": "(import 'lib/missing.libsonnet') + { family: 'web' }"}, args: []string{"render", "taskdef"}, code: 1, want: []string{"td.jsonnet", "lib/missing.libsonnet"}},
		{name: "jsonnet bad ext-code", files: map[string]string{"ecspresso.yml": "task_definition: td.jsonnet\n", "td.jsonnet": "{ family: std.extVar('fam') }"}, args: []string{"--ext-code", "fam=1 +", "render", "taskdef"}, code: 1, want: []string{"fam"}},
		{name: "service definition unknown field", files: map[string]string{"ecspresso.yml": "service: web\nservice_definition: sd.json\ntask_definition: td.json\n", "sd.json": `{"desiredCount": 1, "lauchType": "FARGATE"}`}, args: []string{"render", "servicedef"}, code: 1, want: []string{`sd.json:1:21: lauchType: unknown field (did you mean "launchType"?)`}},
		{name: "ext-code not Jsonnet, YAML config", files: map[string]string{"ecspresso.yml": "task_definition: td.json\n", "td.json": goodTD}, args: []string{"--ext-code", "replicas=1 +", "render", "taskdef"}, code: 1, want: []string{"--ext-code replicas=1 +: not valid Jsonnet"}},
		{name: "servicedef not configured", files: map[string]string{"ecspresso.yml": "task_definition: td.json\n"}, args: []string{"render", "servicedef"}, code: 1, want: []string{"no service_definition"}},
		{name: "missing envfile", args: []string{"--envfile", "nope.env", "version"}, code: 1, want: []string{"envfile", "nope.env"}},
		{name: "bad envfile", files: map[string]string{"bad.env": "not a valid line\n"}, args: []string{"version", "--envfile", "bad.env"}, code: 1, want: []string{"envfile bad.env"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isolateAWS(t, "http://127.0.0.1:1")
			dir := t.TempDir()
			t.Chdir(dir)
			for name, content := range tc.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			if tc.ver != "" {
				old := version
				version = tc.ver
				t.Cleanup(func() { version = old })
			}
			r := runCLI(t, tc.args...)
			if os.Getenv("SHOW_STDERR") != "" {
				t.Logf("%s", r.stderr)
			}
			if r.code != tc.code {
				t.Errorf("exit code %d, want %d; stderr: %s", r.code, tc.code, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not contain %q:\n%s", w, r.stderr)
				}
			}
			all := r.stdout + r.stderr
			for _, bad := range []string{"panic", "goroutine ", ".go:"} {
				if strings.Contains(all, bad) {
					t.Errorf("output contains %q:\n%s", bad, all)
				}
			}
			errLines := 0
			for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
				if strings.HasPrefix(l, "doppio: ") {
					errLines++
				}
			}
			if errLines != 1 {
				t.Errorf("want exactly one doppio: error line, got:\n%s", r.stderr)
			}
		})
	}
	if len(cases) < 30 {
		t.Errorf("only %d cases", len(cases))
	}
}

func TestEnvfileAndAliases(t *testing.T) {
	isolateAWS(t, "http://127.0.0.1:1")
	dir := t.TempDir()
	t.Chdir(dir)
	files := map[string]string{
		"a.env":         "DOPPIO_T_CLUSTER=from-a\nDOPPIO_T_FAMILY=fam-a\n",
		"b.env":         "export DOPPIO_T_FAMILY=\"fam-b\"\n",
		"conf/app.yml":  "cluster: '{{ must_env `DOPPIO_T_CLUSTER` }}'\ntask_definition: td.json\n",
		"conf/td.json":  `{"family": "{{ must_env "DOPPIO_T_FAMILY" }}"}`,
		"ecspresso.yml": "cluster: wrong\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("ECSPRESSO_CONFIG", "conf/app.yml")
	r := runCLI(t, "--envfile", "a.env", "render", "taskdef", "config", "--envfile", "b.env")
	if r.code != 0 {
		t.Fatalf("render: %+v", r)
	}
	if !strings.Contains(r.stdout, `"family": "fam-b"`) || !strings.Contains(r.stdout, "cluster: from-a") {
		t.Errorf("envfiles not applied in order:\n%s", r.stdout)
	}
	// DOPPIO_* wins over the ECSPRESSO_* alias.
	t.Setenv("DOPPIO_CONFIG", "ecspresso.yml")
	r = runCLI(t, "render", "config")
	if r.code != 0 || !strings.Contains(r.stdout, "cluster: wrong") {
		t.Errorf("DOPPIO_CONFIG: %+v", r)
	}
}

func TestDefaultConfigOrder(t *testing.T) {
	isolateAWS(t, "http://127.0.0.1:1")
	dir := t.TempDir()
	t.Chdir(dir)
	for name, cluster := range map[string]string{"ecspresso.yml": "ecspresso", "doppio.jsonnet": "doppio-jsonnet", "ecspresso.json": "ejson"} {
		content := "cluster: " + cluster + "\n"
		if strings.HasSuffix(name, "json") || strings.HasSuffix(name, "jsonnet") {
			content = `{"cluster": "` + cluster + `"}`
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := runCLI(t, "render", "config")
	if r.code != 0 || !strings.Contains(r.stdout, "cluster: doppio-jsonnet") {
		t.Errorf("doppio.* must win over ecspresso.*: %+v", r)
	}
}

func TestSecretsAreMasked(t *testing.T) {
	var out strings.Builder
	g := newGlobals(t.Context(), &out, &out)
	g.Secrets.Add("s3cr3t-value")
	_, _ = g.Stdout.Write([]byte("token=s3cr3t-value\n"))
	if strings.Contains(out.String(), "s3cr3t") {
		t.Errorf("secret leaked: %q", out.String())
	}
}
