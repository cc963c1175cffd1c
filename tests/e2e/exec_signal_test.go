package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const execSeed = `
iam:
  roles:
    - name: web-task
      policies: {exec: {Statement: [{Effect: Allow, Action: "ssmmessages:*", Resource: "*"}]}}
ecs:
  clusters: [{name: demo}]
  taskDefinitions:
    - family: web
      taskRoleArn: arn:aws:iam::123456789012:role/web-task
      containerDefinitions: [{name: app, image: "nginx:1.27", memory: 256, essential: true}]
  services:
    - {cluster: demo, serviceName: web, taskDefinition: web, desiredCount: 1, launchType: EC2, enableExecuteCommand: true}
`

// TestExecCtrlCGoesToTheSession: Ctrl-C (or Ctrl-\) during a session is the session's
// (the plugin forwards it into the container), so doppio neither dies nor
// reports an interruption; it ends with the plugin, exit 0.
func TestExecCtrlCGoesToTheSession(t *testing.T) {
	emu := seededEmulator(t, nil, []byte(execSeed))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ecspresso.yml"), []byte("region: us-east-1\ncluster: demo\nservice: web\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	log, done := filepath.Join(dir, "plugin.log"), filepath.Join(dir, "end-session")
	cmd := exec.Command(filepath.Join(binDir, "doppio"), "exec")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), emu.Env()...)
	cmd.Env = append(cmd.Env, "PATH="+pluginDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"), "AWS_PROFILE=",
		"FAKE_SMP_LOG="+log, "FAKE_SMP_WAIT_FILE="+done)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	// The plugin logs its call once it runs, after doppio handed Ctrl-C over.
	for deadline := time.Now().Add(20 * time.Second); ; {
		if _, err := os.Stat(log); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the plugin never started: %s", out.String())
		}
		time.Sleep(10 * time.Millisecond) // polling for the plugin's start
	}
	// Ctrl-C and Ctrl-\ (SIGQUIT would make a Go program dump its stacks and exit).
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGQUIT} {
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("doppio exec after Ctrl-C: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "fake shell on ecs:demo_") || strings.Contains(out.String(), "interrupted") {
		t.Fatalf("output:\n%s", out.String())
	}
}
