package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/doppio-ecs/doppio/internal/golden"
	"github.com/doppio-ecs/doppio/tests/awsemu"
)

const githubWorld = `
ecs:
  clusters:
    - name: demo
  taskDefinitions:
    - family: web
      containerDefinitions: [{name: app, image: nginx:1.26, memory: 256, essential: true}]
    - family: web
      containerDefinitions: [{name: app, image: nginx:1.27, memory: 256, essential: true}]
  services:
    - cluster: demo
      serviceName: web
      taskDefinition: web:2
      desiredCount: 1
      launchType: EC2
ecr:
  repositories:
    - name: web
      images:
        - tags: ["1.28"]
ssm:
  parameters:
    - {name: /web/token, type: SecureString, value: s3cr3t-t0ken}
`

const githubTaskDef = `{
  "family": "web",
  "containerDefinitions": [{
    "name": "app", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.28", "memory": 256, "essential": true,
    "environment": [{"name": "TOKEN", "value": "{{ ssm ` + "`/web/token`" + ` }}"}]
  }]
}`

// startEmulator runs tests/awsemu in-process on a manual clock and points the
// SDK at it.
func startEmulator(t *testing.T, world string) (*awsemu.Emulator, *awsemu.ManualClock) {
	t.Helper()
	clock := awsemu.NewManualClock(time.Time{})
	emu := awsemu.New(awsemu.Options{Clock: clock, Seed: 1})
	if err := emu.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	isolateAWS(t, emu.URL())
	for _, kv := range emu.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("DOPPIO_POLL_INTERVAL_MIN", "10ms")
	seed := filepath.Join(t.TempDir(), "world.yml")
	if err := os.WriteFile(seed, []byte(world), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := awsemu.LoadSeedFile(seed)
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.ApplySeed(s); err != nil {
		t.Fatal(err)
	}
	return emu, clock
}

// TestGitHubActionsStdoutIsData runs every command that prints data with
// GITHUB_ACTIONS=true: stdout holds only the data (JSON parses), workflow
// commands go to stderr, every log group is closed, and no result is folded
// into a group. The stdouts are kept as a golden file.
func TestGitHubActionsStdoutIsData(t *testing.T) {
	_, clock := startEmulator(t, githubWorld)
	dir := t.TempDir()
	t.Chdir(dir)
	for name, body := range map[string]string{
		"ecspresso.yml":          "region: us-east-1\ncluster: demo\nservice: web\ntask_definition: ecs-task-def.json\nservice_definition: ecs-service-def.json\n",
		"ecs-task-def.json":      githubTaskDef,
		"ecs-service-def.json":   `{"launchType": "EC2", "desiredCount": 1}`,
		"github_output.txt":      "",
		"github_step_summary.md": "",
	} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_OUTPUT", filepath.Join(dir, "github_output.txt"))
	t.Setenv("GITHUB_STEP_SUMMARY", filepath.Join(dir, "github_step_summary.md"))

	var all strings.Builder
	for _, tc := range []struct {
		args []string
		json bool // stdout is one JSON document
		code int
	}{
		{[]string{"render", "taskdef"}, true, 0},
		{[]string{"verify", "--output", "json"}, true, 0},
		{[]string{"diff", "--output", "json"}, true, 0},
		{[]string{"status", "--output", "json"}, true, 0},
		{[]string{"tasks", "--output", "json"}, true, 0},
		{[]string{"revisions", "--output", "json"}, true, 0},
		{[]string{"revisions", "--revision", "current"}, true, 0},
		{[]string{"register", "--dry-run"}, true, 0},
		{[]string{"deregister", "--dry-run", "--keeps", "0"}, false, 0},
		{[]string{"register", "--output"}, true, 0},
		{[]string{"deploy", "--dry-run"}, false, 0},
		{[]string{"deploy"}, false, 0},
		{[]string{"run", "--no-wait"}, false, 0},
		{[]string{"run"}, false, 0},
	} {
		if tc.args[0] == "deploy" && len(tc.args) == 1 {
			clock.SetAutoStep(time.Second)
		}
		var stdout, stderr, combined bytes.Buffer
		code := run(context.Background(), tc.args, io.MultiWriter(&stdout, &combined), io.MultiWriter(&stderr, &combined))
		cmd := strings.Join(tc.args, " ")
		if code != tc.code {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", cmd, code, tc.code, stdout.String(), stderr.String())
		}
		for _, l := range strings.Split(stdout.String(), "\n") {
			if strings.HasPrefix(l, "::") {
				t.Errorf("%s: a workflow command on stdout: %q", cmd, l)
			}
		}
		if strings.Contains(stdout.String(), "s3cr3t-t0ken") || strings.Contains(stderr.String(), "s3cr3t") && !strings.Contains(stderr.String(), "::add-mask::s3cr3t-t0ken") {
			t.Errorf("%s: the secret leaked:\nstdout:\n%s\nstderr:\n%s", cmd, stdout.String(), stderr.String())
		}
		if tc.json {
			// One JSON value, or (tasks, revisions: ecspresso's format) a
			// stream of them, one after another, as jq reads it.
			dec := json.NewDecoder(bytes.NewReader(stdout.Bytes()))
			for n := 0; ; n++ {
				var v any
				err := dec.Decode(&v)
				if err == io.EOF && n > 0 {
					break
				}
				if err != nil {
					t.Errorf("%s: stdout is not JSON: %v\n%s", cmd, err, stdout.String())
					break
				}
			}
		}
		checkGroups(t, cmd, stdout.String(), combined.String())
		fmt.Fprintf(&all, "$ doppio %s\n%s\n", cmd, stdout.String())
	}
	golden.Check(t, filepath.Join(testWD, "testdata", "github-stdout.golden"), maskVolatile(all.String()))
	outputs, _ := os.ReadFile(filepath.Join(dir, "github_output.txt"))
	for _, want := range []string{
		"task-definition-arn=arn:aws:ecs:us-east-1:123456789012:task-definition/web:3\n", // register --output
		"task-arn=arn:aws:ecs:us-east-1:123456789012:task/demo/",                         // run
		"exit-code=0\n", // run, once the task stopped
	} {
		if !strings.Contains(string(outputs), want) {
			t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, outputs)
		}
	}
	summary, _ := os.ReadFile(filepath.Join(dir, "github_step_summary.md"))
	if !strings.Contains(string(summary), "doppio deploy: web") {
		t.Errorf("step summary lacks the deploy:\n%s", summary)
	}
}

// checkGroups: every ::group:: is closed, and no line of stdout lies inside
// a group of the combined log.
func checkGroups(t *testing.T, cmd, stdout, combined string) {
	t.Helper()
	out := map[string]bool{}
	for _, l := range strings.Split(stdout, "\n") {
		if strings.TrimSpace(l) != "" {
			out[l] = true
		}
	}
	open := false
	for _, l := range strings.Split(combined, "\n") {
		switch {
		case strings.HasPrefix(l, "::group::"):
			if open {
				t.Errorf("%s: a group opened inside a group", cmd)
			}
			open = true
		case l == "::endgroup::":
			open = false
		case open && out[l]:
			t.Errorf("%s: a result line is folded into a log group: %q", cmd, l)
		}
	}
	if open {
		t.Errorf("%s: a log group is left open:\n%s", cmd, combined)
	}
}

// testWD is the package directory (tests may t.Chdir away from it).
var testWD, _ = os.Getwd()

// taskID is an ECS task id, which the emulator draws at random.
var taskID = regexp.MustCompile(`\b[0-9a-f]{32}\b`)

// maskVolatile replaces what changes from run to run in a golden text.
// containerID is the UUID ending a container ARN; the emulator draws it at
// random.
var containerID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

func maskVolatile(s string) string {
	return containerID.ReplaceAllString(taskID.ReplaceAllString(s, "TASKID"), "CONTAINERID")
}
