package e2e

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/doppio-ecs/doppio/tests/awsemu"
)

const interruptSeed = `
ecs:
  clusters: [{name: demo}]
  taskDefinitions:
    - family: web
      containerDefinitions: [{name: app, image: "nginx:1.27", memory: 256, essential: true}]
  services:
    - {cluster: demo, serviceName: web, taskDefinition: web, desiredCount: 1, launchType: EC2}
`

const interruptConfig = "region: us-east-1\ncluster: demo\nservice: web\ntask_definition: %s\n"

// TestInterruptEveryPhase: SIGINT or SIGTERM ends doppio promptly whatever
// it is doing, work that cannot be cancelled included (template and Jsonnet
// evaluation, a definition or config that is a FIFO nobody writes, gathering
// what explains a timed-out rollout while AWS does not answer), with exit 1
// and a line saying what was interrupted. Each case runs doppio with --debug
// and signals it once its log says the phase began (no fixed sleep).
func TestInterruptEveryPhase(t *testing.T) {
	cases := []struct {
		name    string
		files   map[string]string // "FIFO" makes a FIFO
		args    []string
		prepare func(t *testing.T, emu *awsemu.Emulator, dir string)
		phase   string // the --debug line after which doppio is signalled
		signal  os.Signal
		want    string
		// wantStdout: the outcome a deploy prints says what it applied.
		wantStdout string
	}{
		{
			name:   "template",
			files:  map[string]string{"ecspresso.yml": strings.ReplaceAll(interruptConfig, "%s", "td.json"), "td.json": `{"family": "web"{{ range 1000000000000 }}{{ end }}}`},
			args:   []string{"render", "taskdef"},
			phase:  "execute template",
			signal: os.Interrupt,
			want:   "doppio: interrupted by SIGINT during: render td.json",
		},
		{
			name:   "jsonnet",
			files:  map[string]string{"ecspresso.yml": strings.ReplaceAll(interruptConfig, "%s", "td.jsonnet"), "td.jsonnet": `{family: std.toString(std.foldl(function(a, b) a + b, std.range(1, 1000000000), 0))}`},
			args:   []string{"diff"},
			phase:  "evaluate Jsonnet",
			signal: syscall.SIGTERM,
			want:   "doppio: interrupted by SIGTERM during: evaluate td.jsonnet",
		},
		{
			name:   "definition_fifo",
			files:  map[string]string{"ecspresso.yml": strings.ReplaceAll(interruptConfig, "%s", "td.json"), "td.json": "FIFO"},
			args:   []string{"deploy", "--dry-run"},
			phase:  "read definition",
			signal: os.Interrupt,
			want:   "doppio: interrupted by SIGINT during: read definition: read ",
		},
		{
			name:   "config_fifo",
			files:  map[string]string{"ecspresso.yml": "FIFO"},
			args:   []string{"status"},
			phase:  "read config",
			signal: os.Interrupt,
			want:   "doppio: interrupted by SIGINT during: read config: read ",
		},
		{
			// A rollout that never ends (the emulator's clock stands still)
			// times out after 1 s; explaining it then waits on a ListTasks
			// the emulator never answers.
			name:  "failure_explanation",
			files: map[string]string{"ecspresso.yml": strings.ReplaceAll(interruptConfig, "%s", "td.json"), "td.json": `{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:1.28", "memory": 256, "essential": true}]}`},
			args:  []string{"deploy", "--timeout", "1s"},
			prepare: func(t *testing.T, emu *awsemu.Emulator, dir string) {
				f, err := awsemu.ParseFault([]string{"stall=1"})
				if err != nil {
					t.Fatal(err)
				}
				emu.SetFault("ECS.ListTasks", f)
			},
			phase:      "gathering what explains the outcome",
			signal:     os.Interrupt,
			want:       "doppio: interrupted by SIGINT during: doppio deploy",
			wantStdout: "already applied: registered web:2, service web now deploys web:2",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			emu := awsemu.New(awsemu.Options{Clock: awsemu.NewManualClock(time.Time{}), Seed: 1})
			if err := emu.Start(""); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = emu.Close() })
			seed, err := awsemu.ParseSeed([]byte(interruptSeed))
			if err != nil {
				t.Fatal(err)
			}
			if err := emu.ApplySeed(seed); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			for name, body := range c.files {
				path := filepath.Join(dir, name)
				if body == "FIFO" {
					if err := syscall.Mkfifo(path, 0o600); err != nil {
						t.Skip("no FIFOs here:", err)
					}
					continue
				}
				if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if c.prepare != nil {
				c.prepare(t, emu, dir)
			}
			cmd := exec.Command(filepath.Join(binDir, "doppio"), append([]string{"--debug"}, c.args...)...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), emu.Env()...)
			cmd.Env = append(cmd.Env, "AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"),
				"AWS_PROFILE=", "DOPPIO_POLL_INTERVAL_MIN=10ms", "NO_COLOR=1")
			var stdout strings.Builder
			cmd.Stdout = &stdout
			stderrPipe, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			var (
				mu     sync.Mutex
				stderr strings.Builder
			)
			inPhase, readAll := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(readAll)
				sc := bufio.NewScanner(stderrPipe)
				seen := false
				for sc.Scan() {
					mu.Lock()
					stderr.WriteString(sc.Text() + "\n")
					mu.Unlock()
					if !seen && strings.Contains(sc.Text(), c.phase) {
						seen = true
						close(inPhase)
					}
				}
			}()
			output := func() string { mu.Lock(); defer mu.Unlock(); return stderr.String() }
			select {
			case <-inPhase:
			case <-readAll:
				t.Fatalf("doppio ended before %q:\n%s", c.phase, output())
			case <-time.After(60 * time.Second):
				t.Fatalf("no %q line within 60 s:\n%s", c.phase, output())
			}
			signalled := time.Now()
			if err := cmd.Process.Signal(c.signal); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { <-readAll; exited <- cmd.Wait() }()
			select {
			case err = <-exited:
			case <-time.After(30 * time.Second):
				t.Fatalf("doppio still runs 30 s after %s:\n%s", c.signal, output())
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1:\n%s", err, output())
			}
			// The grace period for work that cannot be cancelled is 3 s:
			// a prompt end says what was interrupted rather than that
			// doppio did not stop.
			if strings.Contains(output(), "did not stop within") {
				t.Errorf("doppio waited out its grace period instead of stopping (%s after the signal):\n%s", time.Since(signalled), output())
			}
			if !strings.Contains(output(), c.want) {
				t.Errorf("stderr lacks %q:\n%s", c.want, output())
			}
			if c.wantStdout != "" && !strings.Contains(stdout.String(), c.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", c.wantStdout, stdout.String())
			}
		})
	}
}
