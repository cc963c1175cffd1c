package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/doppio-ecs/doppio/tests/awsemu"
)

// TestFleetLiveBlockOnATerminal deploys three services in one run of the
// built binary, as a user does from a terminal: stderr is a pseudo-terminal
// (stdout goes to a file, `doppio deploy ... > result.txt`). The terminal
// shows one live block, a header and a row per service, redrawn in place
// (cursor up over the block, erase, draw) while the progress lines scroll
// above it, and left on screen with every service's outcome; stdout holds
// the result table and nothing of the terminal's. The same run with stderr
// not a terminal writes lines prefixed with cluster/service and no escape
// sequence at all.
func TestFleetLiveBlockOnATerminal(t *testing.T) {
	t.Run("terminal", func(t *testing.T) {
		dir, emu := fleetWorld(t, 3)
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Skipf("no pseudo-terminal on this machine: %v", err)
		}
		defer ptmx.Close()
		if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
			t.Fatal(err)
		}
		var stdout bytes.Buffer
		cmd := fleetDeploy(dir, emu)
		cmd.Stdout, cmd.Stderr = &stdout, tty
		screen := &ptyReader{done: make(chan struct{})}
		go screen.drain(ptmx)
		runBounded(t, cmd, tty)
		out := screen.wait(t)

		lines, err := playTerminal(out)
		if err != nil {
			t.Fatalf("%v\nterminal output: %q", err, out)
		}
		// One block at the end of the screen: the header, then a row per
		// service with its outcome.
		var heads []int
		for i, l := range lines {
			if strings.HasPrefix(l, "deploy · 3 services · ") {
				heads = append(heads, i)
			}
		}
		if len(heads) != 1 || heads[0] != len(lines)-4 {
			t.Fatalf("want one block (a header and 3 rows) at the bottom of the screen, headers at %v:\n%s", heads, strings.Join(lines, "\n"))
		}
		if !strings.HasSuffix(lines[heads[0]], " · ended") {
			t.Errorf("the block's last draw says the run ended: %q", lines[heads[0]])
		}
		for i, svc := range []string{"s01", "s02", "s03"} {
			row := regexp.MustCompile(`^  ` + svc + `  COMPLETED ` + svc + `:2 \([0-9]+s\)$`)
			if l := lines[heads[0]+1+i]; !row.MatchString(l) {
				t.Errorf("row %d: %q, want %s", i+1, l, row)
			}
		}
		// Redrawn in place: every redraw moves up over the 4 rows of the
		// block and erases them, many times in a run.
		if n := bytes.Count(out, []byte("\r\x1b[4A\x1b[J")); n < 6 {
			t.Errorf("the block was redrawn in place %d times, want one redraw per step at least (>= 6):\n%q", n, out)
		}
		// Each row followed its service: waiting, then done.
		for _, svc := range []string{"s01", "s02", "s03"} {
			if !regexp.MustCompile(`\n  ` + svc + `  (waiting for |\S+ \d+/\d+ running )`).Match(out) {
				t.Errorf("%s's row never showed what it waited for", svc)
			}
		}
		// The progress lines scrolled above the block, once each.
		above := strings.Join(lines[:heads[0]], "\n")
		for _, svc := range []string{"s01", "s02", "s03"} {
			if c := strings.Count(above, "registered task definition "+svc+":2"); c != 1 {
				t.Errorf("%s's registration is above the block %d times, want 1:\n%s", svc, c, above)
			}
		}
		checkTable(t, stdout.String())
	})

	t.Run("no terminal", func(t *testing.T) {
		dir, emu := fleetWorld(t, 3)
		var stdout, stderr bytes.Buffer
		cmd := fleetDeploy(dir, emu)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		runBounded(t, cmd, nil)
		if bytes.ContainsRune(stderr.Bytes(), '\x1b') {
			t.Errorf("off a terminal, no escape sequence: %q", stderr.String())
		}
		for _, svc := range []string{"s01", "s02", "s03"} {
			want := "[INFO] demo/" + svc + ": registered task definition " + svc + ":2\n"
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
			}
		}
		for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
			if strings.HasPrefix(l, "[INFO] ") && !regexp.MustCompile(`^\[INFO\] demo/s0[123]: `).MatchString(l) {
				t.Errorf("a progress line names no service: %q", l)
			}
		}
		checkTable(t, stdout.String())
	})
}

// fleetWorld starts an emulator whose clock steps a second per request (a
// rollout completes while doppio polls), seeds it with n running services
// of cluster demo and writes their configs (tests/e2e/fleetgen.sh), each
// with a new image to deploy. It returns the directory holding services/.
func fleetWorld(t *testing.T, n int) (string, *awsemu.Emulator) {
	t.Helper()
	clock := awsemu.NewManualClock(time.Time{})
	clock.SetAutoStep(time.Second)
	dir := t.TempDir()
	_, file, _, _ := runtime.Caller(0)
	gen := exec.Command("sh", filepath.Join(filepath.Dir(file), "fleetgen.sh"), strconv.Itoa(n))
	gen.Dir = dir
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("fleetgen.sh: %v\n%s", err, out)
	}
	world, err := os.ReadFile(filepath.Join(dir, "world.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, seededEmulator(t, clock, world)
}

// fleetDeploy is `doppio deploy` of every service of fleetWorld's dir,
// against emu.
func fleetDeploy(dir string, emu *awsemu.Emulator) *exec.Cmd {
	cmd := exec.Command(filepath.Join(binDir, "doppio"), "deploy", "--config", "services/*/ecspresso.yml")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), emu.Env()...)
	cmd.Env = append(cmd.Env, "AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"),
		"AWS_PROFILE=", "DOPPIO_POLL_INTERVAL_MIN=10ms", "NO_COLOR=1", "TERM=xterm", "GITHUB_ACTIONS=", "CI=")
	return cmd
}

// runBounded runs cmd to its end, expecting exit 0; a run that has not
// ended after a minute is killed (a hung test must not hang CI). tty, the
// child's terminal, is closed in this process once the child has it, so
// that the terminal's reader sees the end when the child exits.
func runBounded(t *testing.T, cmd *exec.Cmd, tty *os.File) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if tty != nil {
		tty.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ended := make(chan error, 1)
	go func() { ended <- cmd.Wait() }()
	select {
	case err := <-ended:
		if err != nil {
			t.Fatalf("doppio deploy: %v", err)
		}
	case <-ctx.Done():
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-ended
		t.Fatal("doppio deploy did not end within a minute")
	}
}

// ptyReader keeps what the child wrote to its terminal: the terminal must
// be read while the child runs, or its writes block once the buffer fills.
type ptyReader struct {
	mu   sync.Mutex
	out  []byte
	err  error
	done chan struct{}
}

func (r *ptyReader) drain(ptmx io.Reader) {
	defer close(r.done)
	buf := make([]byte, 4096)
	for {
		n, err := ptmx.Read(buf)
		r.mu.Lock()
		r.out = append(r.out, buf[:n]...)
		r.mu.Unlock()
		if err != nil {
			// Linux answers EIO once no process has the terminal open.
			if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.EIO) {
				r.err = err
			}
			return
		}
	}
}

// wait returns everything once the child's side of the terminal closed.
func (r *ptyReader) wait(t *testing.T) []byte {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal did not close after doppio exited")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.out
}

// playTerminal replays what was written to a terminal and returns the
// screen's lines, as a terminal shows them. It knows what doppio's live
// block uses: text, carriage return, line feed (the terminal turns "\n"
// into "\r\n"), cursor up (ESC [ n A) and erase to the end of the screen
// (ESC [ J); any other control sequence is an error, so that the test also
// notices doppio writing something a terminal would show differently.
func playTerminal(out []byte) ([]string, error) {
	screen := [][]rune{{}}
	row, col := 0, 0
	s := []rune(string(out))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\r':
			col = 0
		case c == '\n':
			row++
			if row == len(screen) {
				screen = append(screen, []rune{})
			}
		case c == '\x1b':
			j := i + 1
			if j >= len(s) || s[j] != '[' {
				return nil, fmt.Errorf("escape at %d is not a control sequence", i)
			}
			j++
			n := 0
			start := j
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				n = n*10 + int(s[j]-'0')
				j++
			}
			if j >= len(s) {
				return nil, fmt.Errorf("control sequence at %d is cut off", i)
			}
			if j == start {
				n = -1
			}
			switch s[j] {
			case 'A':
				row -= max(n, 1)
				if row < 0 {
					return nil, fmt.Errorf("cursor up at %d leaves the screen's top: the block moved up more rows than it drew", i)
				}
			case 'J':
				if n > 0 {
					return nil, fmt.Errorf("ESC [ %d J at %d: only erase to the end (ESC [ J) is expected", n, i)
				}
				screen = screen[:row+1]
				screen[row] = screen[row][:min(col, len(screen[row]))]
			default:
				return nil, fmt.Errorf("unexpected control sequence %q at %d", string(s[i:j+1]), i)
			}
			i = j
		case c < ' ':
			return nil, fmt.Errorf("unexpected control character %q at %d", c, i)
		default:
			line := screen[row]
			for len(line) < col {
				line = append(line, ' ')
			}
			if col < len(line) {
				line[col] = c
			} else {
				line = append(line, c)
			}
			screen[row] = line
			col++
		}
	}
	var lines []string
	for _, l := range screen {
		lines = append(lines, string(l))
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines, nil
}

// checkTable: stdout is the result table, a row per service, nothing else.
func checkTable(t *testing.T, stdout string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	if len(lines) != 4 || !regexp.MustCompile(`^SERVICE +CLUSTER +REVISION +OUTCOME +DURATION +DEPLOYMENT$`).MatchString(lines[0]) {
		t.Fatalf("stdout is not the result table of 3 services:\n%q", stdout)
	}
	for i, svc := range []string{"s01", "s02", "s03"} {
		row := regexp.MustCompile(`^` + svc + ` +demo +` + svc + `:2 +completed +[0-9.]+m?s +ecs-svc/[0-9]+$`)
		if !row.MatchString(lines[i+1]) {
			t.Errorf("table row %d: %q, want %s", i+1, lines[i+1], row)
		}
	}
}
