package action_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doppio-ecs/doppio/tests/awsemu"
)

// The doppio binary, built once for the command tests.
var (
	buildOnce sync.Once
	doppioBin string
	buildErr  error
)

func doppio(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "doppio-action-bin-")
		if err != nil {
			buildErr = err
			return
		}
		doppioBin = filepath.Join(dir, "doppio")
		out, err := exec.Command("go", "build", "-tags", os.Getenv("DOPPIO_TEST_TAGS"), "-o", doppioBin, "../../cmd/doppio").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build doppio: %v", buildErr)
	}
	return doppioBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if doppioBin != "" {
		os.RemoveAll(filepath.Dir(doppioBin))
	}
	os.Exit(code)
}

const (
	seedYAML = `
ecs:
  clusters:
    - name: demo
`
	configYAML = `region: us-east-1
cluster: demo
timeout: 2m
service: web
service_definition: ecs-service-def.json
task_definition: ecs-task-def.json
`
	serviceDef = `{
  "desiredCount": 1,
  "launchType": "FARGATE",
  "networkConfiguration": {
    "awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"]}
  }
}
`
	taskDef = `{
  "family": "web",
  "cpu": "256",
  "memory": "512",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "executionRoleArn": "arn:aws:iam::123456789012:role/missing-execution-role",
  "containerDefinitions": [
    {"name": "web", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:{{ must_env ` + "`IMAGE_TAG`" + ` }}", "essential": true}
  ]
}
`
)

// ghRun is one doppio step on a simulated runner: the repository checkout
// (workspace) holds services/web, where doppio runs.
type ghRun struct {
	workspace, dir, output, summary string
	env                             []string
}

func newGHRun(t *testing.T, taskDefinition string) *ghRun {
	t.Helper()
	return newGHRunWith(t, seedYAML, serviceDef, taskDefinition)
}

func newGHRunWith(t *testing.T, seedText, serviceDefinition, taskDefinition string) *ghRun {
	t.Helper()
	// Rollouts advance on the emulator's clock, stepped on each read: no sleeps.
	clock := awsemu.NewManualClock(time.Time{})
	clock.SetAutoStep(time.Second)
	emu := awsemu.New(awsemu.Options{Seed: 1, Clock: clock})
	if err := emu.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Error(err)
		}
	})
	seed, err := awsemu.ParseSeed([]byte(seedText))
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.ApplySeed(seed); err != nil {
		t.Fatal(err)
	}

	root := t.TempDir()
	r := &ghRun{
		workspace: filepath.Join(root, "repo"),
		output:    filepath.Join(root, "github_output"),
		summary:   filepath.Join(root, "step_summary"),
	}
	r.dir = filepath.Join(r.workspace, "services", "web")
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"ecspresso.yml":        configYAML,
		"ecs-service-def.json": serviceDefinition,
		"ecs-task-def.json":    taskDefinition,
	} {
		if err := os.WriteFile(filepath.Join(r.dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r.env = append(emu.Env(),
		"PATH="+os.Getenv("PATH"),
		"HOME="+root,
		"NO_COLOR=1",
		"IMAGE_TAG=abc123",
		"DOPPIO_POLL_INTERVAL_MIN=10ms",
		"AWS_CONFIG_FILE="+filepath.Join(root, "absent"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(root, "absent"),
		"GITHUB_ACTIONS=true",
		"GITHUB_WORKSPACE="+r.workspace,
		"GITHUB_OUTPUT="+r.output,
		"GITHUB_STEP_SUMMARY="+r.summary,
	)
	return r
}

// doppio runs the binary and returns stdout, stderr and the exit code.
func (r *ghRun) doppio(t *testing.T, extraEnv []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(doppio(t), args...)
	cmd.Dir = r.dir
	cmd.Env = append(append([]string{}, r.env...), extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func (r *ghRun) file(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func requireContains(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

func TestDiffGitHubOutput(t *testing.T) {
	r := newGHRun(t, taskDef)
	stdout, stderr, code := r.doppio(t, nil, "diff")
	if code != 0 {
		t.Fatalf("doppio diff exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	t.Logf("summary:\n%s", r.file(t, r.summary))
	if got := r.file(t, r.output); got != "has-diff=true\n" {
		t.Errorf("GITHUB_OUTPUT = %q, want has-diff=true", got)
	}
	requireContains(t, "step summary", r.file(t, r.summary),
		"### doppio diff\n",
		"<details><summary>",
		"```diff\n",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:abc123",
	)
}

func TestVerifyGitHubOutput(t *testing.T) {
	r := newGHRun(t, taskDef)
	stdout, stderr, code := r.doppio(t, nil, "verify")
	if code != 3 {
		t.Fatalf("doppio verify exited %d, want 3 (NG: image and role do not exist)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	t.Logf("stderr:\n%s\nsummary:\n%s", stderr, r.file(t, r.summary))
	// Workflow commands go to stderr: stdout stays the report.
	requireContains(t, "stderr", stderr, "::error file=services/web/ecs-task-def.json,title=doppio verify%3A NG::verify TaskDefinition[web] › ExecutionRole[", "missing-execution-role")
	noWorkflowCommands(t, "verify", stdout)
	if got := r.file(t, r.output); got != "outcome=failed\n" {
		t.Errorf("GITHUB_OUTPUT = %q, want outcome=failed", got)
	}
	requireContains(t, "step summary", r.file(t, r.summary),
		"### doppio verify\n", "❌", "| Check | Result | Reason |\n")
}

func TestConfigErrorAnnotatedOnFile(t *testing.T) {
	bad := strings.Replace(taskDef, `"essential": true`, `"essential": true, "imag": "typo"`, 1)
	r := newGHRun(t, bad)
	stdout, stderr, code := r.doppio(t, nil, "diff")
	if code != 1 {
		t.Fatalf("doppio diff exited %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// Relative to the repository root, so GitHub shows it on the PR's file.
	requireContains(t, "stderr", stderr, "::error file=services/web/ecs-task-def.json,line=9,col=108,title=doppio diff::")
	noWorkflowCommands(t, "diff", stdout)
}

func TestGitHubOutputOff(t *testing.T) {
	r := newGHRun(t, taskDef)
	for _, c := range []struct {
		name string
		env  []string
		args []string
	}{
		{"off a runner", []string{"GITHUB_ACTIONS="}, []string{"verify"}},
		{"--ci none on a runner", nil, []string{"--ci", "none", "verify"}},
	} {
		stdout, stderr, _ := r.doppio(t, c.env, c.args...)
		noWorkflowCommands(t, c.name, stdout+stderr)
		if r.file(t, r.output) != "" || r.file(t, r.summary) != "" {
			t.Errorf("%s: GitHub files written", c.name)
		}
	}
	// --ci github forces it anywhere.
	_, stderr, _ := r.doppio(t, []string{"GITHUB_ACTIONS="}, "--ci", "github", "verify")
	requireContains(t, "stderr with --ci github", stderr, "::error file=services/web/ecs-task-def.json,title=doppio verify%3A NG::verify ")
}

func noWorkflowCommands(t *testing.T, what, text string) {
	t.Helper()
	if strings.HasPrefix(text, "::") || strings.Contains(text, "\n::") {
		t.Errorf("%s: workflow commands printed:\n%s", what, text)
	}
}

// nginxTaskDef runs in the emulator (a public image it can "pull").
const nginxTaskDef = `{"family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
 "containerDefinitions": [{"name": "app", "image": "nginx:1.28", "essential": true%s}]}`

func TestDeployGitHubOutput(t *testing.T) {
	r := newGHRun(t, fmt.Sprintf(nginxTaskDef, ""))
	stdout, stderr, code := r.doppio(t, nil, "deploy")
	if code != 0 {
		t.Fatalf("doppio deploy exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// The rollout's progress is folded into a log group on stderr (that it
	// closes before the outcome is printed is tested in cmd/doppio); stdout
	// holds the outcome only.
	group, endGroup := strings.Index(stderr, "::group::doppio deploy: progress (demo/web)\n"), strings.Index(stderr, "::endgroup::\n")
	if group < 0 || endGroup < group {
		t.Errorf("want ::group:: ... ::endgroup:: on stderr, got:\n%s", stderr)
	}
	noWorkflowCommands(t, "deploy", stdout)
	requireContains(t, "stdout", stdout, "COMPLETED:")
	out := r.file(t, r.output)
	t.Logf("outputs:\n%s\nsummary:\n%s", out, r.file(t, r.summary))
	requireContains(t, "GITHUB_OUTPUT", out,
		"task-definition-arn=arn:aws:ecs:us-east-1:123456789012:task-definition/web:1\n",
		"deployment-id=ecs-svc/",
		"outcome=success\n")
	requireContains(t, "step summary", r.file(t, r.summary),
		"### doppio deploy: web\n", "✅ **Succeeded**.", "```mermaid\ngantt\n", "steady :milestone", "| Task definition | `arn:aws:ecs:us-east-1:123456789012:task-definition/web:1` |")
}

// A circuit-breaker rollback: the summary says why and the outputs say so.
func TestDeployRolledBackGitHubOutput(t *testing.T) {
	seed := `
ecs:
  clusters:
    - name: demo
  taskDefinitions:
    - family: web
      networkMode: awsvpc
      requiresCompatibilities: [FARGATE]
      cpu: "256"
      memory: "512"
      containerDefinitions:
        - {name: app, image: "nginx:1.27", essential: true}
  services:
    - cluster: demo
      serviceName: web
      taskDefinition: web
      desiredCount: 1
      launchType: FARGATE
      networkConfiguration:
        awsvpcConfiguration: {subnets: [subnet-1]}
      deploymentConfiguration:
        deploymentCircuitBreaker: {enable: true, rollback: true}
`
	sd := `{"desiredCount": 1, "launchType": "FARGATE", "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
 "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true}}}`
	r := newGHRunWith(t, seed, sd, fmt.Sprintf(nginxTaskDef, `, "dockerLabels": {"awsemu.exit-code": "1"}`))
	stdout, stderr, code := r.doppio(t, nil, "deploy")
	if code != 3 {
		t.Fatalf("doppio deploy exited %d, want 3\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	summary := r.file(t, r.summary)
	t.Logf("stdout:\n%s\nsummary:\n%s", stdout, summary)
	requireContains(t, "stderr", stderr, "::error title=doppio deploy%3A web rolled back::deploy of service web rolled back: ")
	requireContains(t, "GITHUB_OUTPUT", r.file(t, r.output), "task-definition-arn=arn:aws:ecs:us-east-1:123456789012:task-definition/web:2\n", "outcome=rolled_back\n")
	requireContains(t, "step summary", summary, "⚠️ **Rolled back**: the service runs `web:1` now, not `web:2`.", "```mermaid\ngantt\n", "rolling back :active", "**Next:** container app exited 1", "#### Stopped tasks", "Essential container in task exited", "app exited 1", "Service events")
}
