package main

import (
	"os"
	"strings"
	"testing"
)

// init --compose on bad input: exit 1, one error naming the flag, file or
// compose key, and no file written.
func TestInitComposeBadInput(t *testing.T) {
	const fargateBad = "services:\n  app:\n    image: nginx:1.27\n    privileged: true\n    shm_size: 64m\n"
	cases := []struct {
		name  string
		files map[string]string
		args  []string
		want  []string
	}{
		{name: "ecs-params without compose", args: []string{"init", "--service", "web", "--ecs-params", "p.yml"}, want: []string{"--ecs-params, --project-name and --launch-type go with --compose"}},
		{name: "compose with task-definition", args: []string{"init", "--compose", "c.yml", "--task-definition", "web"}, want: []string{"--task-definition and --compose can't be used together"}},
		{name: "nothing to import", args: []string{"init"}, want: []string{"give --service, --task-definition or --compose"}},
		{name: "bad launch type", args: []string{"init", "--compose", "c.yml", "--launch-type", "LAMBDA"}, want: []string{"--launch-type", "LAMBDA"}},
		{name: "missing compose file", args: []string{"init", "--compose", "nope.yml"}, want: []string{"nope.yml: no such file"}},
		{name: "compose syntax", files: map[string]string{"c.yml": "services:\n  app:\n    image: [\n"}, args: []string{"init", "--compose", "c.yml"}, want: []string{"c.yml"}},
		{name: "unknown compose key", files: map[string]string{"c.yml": "services:\n  app:\n    imagee: nginx\n"}, args: []string{"init", "--compose", "c.yml"}, want: []string{"services.app.imagee: not a compose key"}},
		{name: "compose format 2 log_driver", files: map[string]string{"c.yml": "version: '2'\nservices:\n  app:\n    image: nginx\n    log_driver: awslogs\n"}, args: []string{"init", "--compose", "c.yml"}, want: []string{"services.app.log_driver: a compose file format 2 key", "logging: {driver: awslogs"}},
		{name: "undefined variable", files: map[string]string{"c.yml": "services:\n  app:\n    image: nginx:${TAG:?set TAG}\n"}, args: []string{"init", "--compose", "c.yml"}, want: []string{"set TAG"}},
		{name: "fargate rejections", files: map[string]string{"c.yml": fargateBad}, args: []string{"init", "--compose", "c.yml", "--launch-type", "FARGATE"}, want: []string{"services.app.privileged: Fargate", "services.app.shm_size: Fargate", "nothing written"}},
		{name: "ecs-params typo", files: map[string]string{"c.yml": "services:\n  app:\n    image: nginx\n    mem_limit: 64m\n", "p.yml": "version: 1\ntask_definiton: {}\n"}, args: []string{"init", "--compose", "c.yml", "--ecs-params", "p.yml"}, want: []string{"p.yml", `unknown field "task_definiton"`}},
		{name: "ecs-params unset variable", files: map[string]string{"c.yml": "services:\n  app:\n    image: nginx\n    mem_limit: 64m\n", "p.yml": "version: 1\ntask_definition:\n  task_role_arn: arn:aws:iam::${NO_SUCH_ACCOUNT_VAR}:role/x\n"}, args: []string{"init", "--compose", "c.yml", "--ecs-params", "p.yml"}, want: []string{"p.yml", "NO_SUCH_ACCOUNT_VAR not set"}},
		{name: "ecs-params health check test and command", files: map[string]string{"c.yml": "services:\n  app:\n    image: nginx\n    mem_limit: 64m\n", "p.yml": "version: 1\ntask_definition:\n  services:\n    app:\n      healthcheck: {test: [CMD, a], command: b}\n"}, args: []string{"init", "--compose", "c.yml", "--ecs-params", "p.yml"}, want: []string{"ecs-params task_definition.services.app.healthcheck: test and command both set"}},
		{name: "bad image tag env", files: map[string]string{"c.yml": "services:\n  app:\n    image: nginx\n    mem_limit: 64m\n"}, args: []string{"init", "--compose", "c.yml", "--image-tag-env", "1TAG"}, want: []string{`--image-tag-env "1TAG"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isolateAWS(t, "http://127.0.0.1:1")
			t.Setenv("AWS_REGION", "us-east-1")
			dir := t.TempDir()
			t.Chdir(dir)
			for name, content := range tc.files {
				if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r := runCLI(t, tc.args...)
			if r.code != 1 {
				t.Errorf("exit code %d, want 1; stderr: %s", r.code, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not contain %q:\n%s", w, r.stderr)
				}
			}
			if strings.Count(r.stderr, "doppio: ") != 1 || strings.Contains(r.stderr, "panic") {
				t.Errorf("want one doppio: error, no panic:\n%s", r.stderr)
			}
			for _, f := range []string{"ecspresso.yml", "ecs-task-def.json", "ecs-service-def.json"} {
				if _, err := os.Stat(f); err == nil {
					t.Errorf("%s written on bad input", f)
				}
			}
		})
	}
}
