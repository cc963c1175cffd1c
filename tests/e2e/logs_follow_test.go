package e2e

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doppio-ecs/doppio/tests/awsemu"
)

const followSeed = `
logs:
  groups: [{name: /ecs/web}]
ecs:
  clusters: [{name: demo}]
  taskDefinitions:
    - family: web
      containerDefinitions:
        - name: app
          image: nginx:1.27
          memory: 256
          essential: true
          logConfiguration: {logDriver: awslogs, options: {awslogs-group: /ecs/web, awslogs-region: us-east-1, awslogs-stream-prefix: web}}
  services:
    - {cluster: demo, serviceName: web, taskDefinition: web, desiredCount: 1, launchType: EC2}
`

// TestTasksLogsFollow runs `doppio tasks logs -f` as a user does: it prints
// what the container wrote before, then each line the container writes
// while it runs (once, even several in one millisecond), and Ctrl-C ends it
// with exit 0.
func TestTasksLogsFollow(t *testing.T) {
	clock := awsemu.NewManualClock(time.Time{})
	emu := seededEmulator(t, clock, []byte(followSeed))
	arn := *emu.ECSTasks("demo")[0].TaskArn
	stream := "web/app/" + arn[strings.LastIndex(arn, "/")+1:]
	write := func(msgs ...string) {
		var events []awsemu.LogEvent
		for _, m := range msgs {
			events = append(events, awsemu.LogEvent{Time: clock.Now(), Message: m})
		}
		emu.AppendLogEvents("/ecs/web", stream, events...)
	}
	write("before start")

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ecspresso.yml"), []byte("region: us-east-1\ncluster: demo\nservice: web\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(binDir, "doppio"), "tasks", "logs", "--follow")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), emu.Env()...)
	cmd.Env = append(cmd.Env, "AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"),
		"AWS_PROFILE=", "DOPPIO_POLL_INTERVAL_MIN=10ms", "NO_COLOR=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func(want string) {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("doppio stopped before %q; stderr: %s", want, stderr.String())
			}
			if !strings.HasSuffix(l, " "+want) || !strings.HasPrefix(l, stream[len("web/app/"):]+"/app ") {
				t.Fatalf("line %q, want TASK/app TIME %s", l, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no line %q within 20 s; stderr: %s", want, stderr.String())
		}
	}
	next("before start")
	clock.Advance(time.Second)
	write("while running 1")
	next("while running 1")
	// Two lines in the same millisecond as the last one read: both once.
	write("same instant a", "same instant b")
	next("same instant a")
	next("same instant b")

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	// Read to the end before Wait, which closes the pipe.
	deadline := time.After(20 * time.Second)
	for open := true; open; {
		select {
		case l, ok := <-lines:
			if open = ok; ok {
				t.Errorf("extra line after the last one written: %q", l)
			}
		case <-deadline:
			t.Fatal("doppio tasks logs -f did not stop on Ctrl-C")
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after Ctrl-C: %v; stderr: %s", err, stderr.String())
	}
	if strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("Ctrl-C ends a follow normally, stderr: %s", stderr.String())
	}
}
