package action_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runArgs runs action/run.sh (the action's `args` step) with a fake doppio
// on PATH that prints each argument in brackets, one command per line, and
// exits 3 when its first argument is "fail".
func runArgs(t *testing.T, args string) (stdout, stderr string, code int) {
	t.Helper()
	for _, tool := range []string{"bash", "xargs"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("action/run.sh NOT tested: %s is not installed", tool)
		}
	}
	bin := t.TempDir()
	fake := "#!/usr/bin/env bash\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done; echo\n[[ \"${1:-}\" == fail ]] && exit 3\nexit 0\n"
	if err := os.WriteFile(filepath.Join(bin, "doppio"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(repoRoot, "action", "run.sh"))
	cmd.Env = []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "DOPPIO_ARGS=" + args, "HOME=/nonexistent"}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

// TestActionArgs: one command per line, quoting kept (JSON, paths with
// blanks), nothing expanded, the first failure stops with its exit code.
func TestActionArgs(t *testing.T) {
	stdout, stderr, code := runArgs(t, strings.Join([]string{
		`verify --config "services/my web/ecspresso.yml"`,
		``,
		`# a comment`,
		`  doppio run --overrides '{"containerOverrides":[{"name":"app","command":["migrate", "--all"]}]}'`,
		`diff $HOME $(id) ` + "`id`" + ` it\'s *`,
		`fail here`,
		`deploy`,
	}, "\n"))
	want := strings.Join([]string{
		`[verify][--config][services/my web/ecspresso.yml]`,
		`[run][--overrides][{"containerOverrides":[{"name":"app","command":["migrate", "--all"]}]}]`,
		`[diff][$HOME][$(id)][` + "`id`" + `][it's][*]`,
		`[fail][here]`,
	}, "\n") + "\n"
	if stdout != want || code != 3 {
		t.Errorf("exit %d, commands run:\n%s\nwant exit 3 and:\n%s\nstderr:\n%s", code, stdout, want, stderr)
	}
	if !strings.Contains(stderr, "doppio verify --config services/my web/ecspresso.yml\n") {
		t.Errorf("the log does not show the commands:\n%s", stderr)
	}

	// One line, as before: unchanged.
	if stdout, _, code := runArgs(t, "deploy --config ecspresso.yml"); code != 0 || stdout != "[deploy][--config][ecspresso.yml]\n" {
		t.Errorf("single line: exit %d, %q", code, stdout)
	}
	// An unmatched quote runs nothing and says which line.
	stdout, stderr, code = runArgs(t, "verify\nrun --overrides '{\"a\": 1}")
	if code != 1 || stdout != "[verify]\n" || !strings.Contains(stderr, "::error title=doppio action::args line 2: cannot split it into words") {
		t.Errorf("unmatched quote: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
}
