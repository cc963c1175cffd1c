package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-runewidth"

	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/fleet"
	"github.com/doppio-ecs/doppio/internal/golden"
)

// vterm is a fixed-size virtual terminal: enough of a VT100 to show what a
// person would see. It wraps at the last column like xterm (a pending wrap
// until the next character), treats "\n" as a tty with onlcr does (CR LF),
// scrolls at the bottom, and understands the sequences the live view sends:
// CSI n A (up), CSI J (erase below) and CSI K (erase the line's rest).
type vterm struct {
	cols, rows int
	screen     [][]rune
	x, y       int
	pending    bool // the last column was written; the next rune wraps
	scrolled   []string
}

func newVterm(cols, rows int) *vterm {
	t := &vterm{cols: cols, rows: rows}
	for range rows {
		t.screen = append(t.screen, t.blank())
	}
	return t
}

func (t *vterm) blank() []rune { return []rune(strings.Repeat(" ", t.cols)) }

func (t *vterm) lineFeed() {
	t.pending = false
	if t.y < t.rows-1 {
		t.y++
		return
	}
	t.scrolled = append(t.scrolled, strings.TrimRight(string(t.screen[0]), " "))
	t.screen = append(t.screen[1:], t.blank())
}

func (t *vterm) Write(p []byte) (int, error) {
	s := []rune(string(p))
	for i := 0; i < len(s); i++ {
		switch r := s[i]; r {
		case '\n':
			t.x = 0
			t.lineFeed()
		case '\r':
			t.x, t.pending = 0, false
		case '\x1b':
			if i+1 >= len(s) || s[i+1] != '[' {
				return 0, fmt.Errorf("vterm: lone ESC at %d", i)
			}
			j := i + 2
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';') {
				j++
			}
			if j >= len(s) {
				return 0, fmt.Errorf("vterm: unterminated CSI")
			}
			n, _ := strconv.Atoi(string(s[i+2 : j]))
			switch s[j] {
			case 'A':
				t.y = max(0, t.y-max(1, n))
				t.pending = false
			case 'J':
				copy(t.screen[t.y][t.x:], t.blank()[t.x:])
				for y := t.y + 1; y < t.rows; y++ {
					t.screen[y] = t.blank()
				}
			case 'K':
				copy(t.screen[t.y][t.x:], t.blank()[t.x:])
			default:
				return 0, fmt.Errorf("vterm: unsupported CSI %q", s[j])
			}
			i = j
		default:
			if t.pending {
				t.x = 0
				t.lineFeed()
			}
			w := runewidth.RuneWidth(r)
			if t.x+w > t.cols {
				t.x = 0
				t.lineFeed()
			}
			t.screen[t.y][t.x] = r
			for k := 1; k < w; k++ {
				t.screen[t.y][t.x+k] = 0
			}
			t.x += w
			if t.x >= t.cols {
				t.x, t.pending = t.cols-1, true
			}
		}
	}
	return len(p), nil
}

// String is the scrollback and the screen, trailing blanks cut, with a
// frame showing the screen's width.
func (t *vterm) String() string {
	var b strings.Builder
	for _, l := range t.scrolled {
		b.WriteString(l + "\n")
	}
	b.WriteString("+" + strings.Repeat("-", t.cols) + "+\n")
	last := t.rows - 1
	for last > 0 && strings.TrimSpace(string(t.screen[last])) == "" {
		last--
	}
	for _, row := range t.screen[:last+1] {
		b.WriteString("|" + strings.ReplaceAll(string(row), "\x00", "") + "|\n")
	}
	b.WriteString("+" + strings.Repeat("-", t.cols) + "+\n")
	return b.String()
}

// TestLiveViewGolden drives the live block as a deploy does, on virtual
// terminals of 80 and 200 columns: long rows are cut to the width and the
// block is redrawn in place, so no row is left over from an earlier draw.
func TestLiveViewGolden(t *testing.T) {
	for _, cols := range []int{80, 200} {
		t.Run(strconv.Itoa(cols), func(t *testing.T) {
			vt := newVterm(cols, 16)
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			clock := func() time.Time { return now }
			r := &progressReporter{w: vt, now: clock, scope: "demo/web", cluster: "demo", service: "web",
				live: newLiveView(vt, func() int { return cols }, clock, "deploy demo/web")}
			r.stop = make(chan struct{}) // the test ticks by hand
			at := func(d time.Duration) time.Time { now = now.Add(d); return now }
			r.Report(deploy.Event{Time: at(time.Second), Kind: deploy.EventInfo, Message: "deploy service web, cluster demo, region us-east-1, task definition web (new revision), strategy ROLLING"})
			r.Report(deploy.Event{Time: at(time.Second), Kind: deploy.EventInfo, Message: "registered task definition web:4"})
			r.Report(deploy.Waiting("deployment ecs-svc/4711 (web:4) to complete"))
			old := deploy.DeploymentState{ID: "ecs-svc/4710", Status: "ACTIVE", TaskDefinition: "web:3", Desired: 2, Running: 2, RolloutState: "COMPLETED", RolloutStateReason: "ECS deployment ecs-svc/4710 completed."}
			cur := deploy.DeploymentState{ID: "ecs-svc/4711", Status: "PRIMARY", TaskDefinition: "web:4", Desired: 2, Pending: 2, RolloutState: "IN_PROGRESS", RolloutStateReason: "ECS deployment ecs-svc/4711 in progress, waiting for the tasks of the new task definition to pass their health checks."}
			r.Report(deploy.Event{Time: at(time.Second), Kind: deploy.EventProgress, Deployments: []deploy.DeploymentState{cur, old}})
			for range 3 { // ticks: only the elapsed time changes
				at(time.Second)
				r.live.draw(nil)
			}
			mid := vt.String()
			r.Report(deploy.Event{Time: at(20 * time.Second), Kind: deploy.EventServiceEvent, Message: "(service web) has started 2 tasks: (task 0f1e2d3c4b5a69788796a5b4c3d2e1f0) (task 1a2b3c4d5e6f708192a3b4c5d6e7f8091)."})
			cur.Pending, cur.Running = 0, 2
			r.Report(deploy.Event{Time: at(30 * time.Second), Kind: deploy.EventProgress, Deployments: []deploy.DeploymentState{cur, old}})
			old.Desired, old.Running = 0, 0
			r.Report(deploy.Event{Time: at(35 * time.Second), Kind: deploy.EventProgress, Deployments: []deploy.DeploymentState{cur, old}})
			cur.RolloutState, cur.RolloutStateReason = "COMPLETED", "ECS deployment ecs-svc/4711 completed."
			r.Report(deploy.Event{Time: at(5 * time.Second), Kind: deploy.EventProgress, Deployments: []deploy.DeploymentState{cur}})
			r.Close()
			golden.Check(t, filepath.Join("testdata", fmt.Sprintf("live-%d.golden", cols)), "while waiting:\n"+mid+"\nat the end:\n"+vt.String())
		})
	}
}

// TestLiveViewRowsFitWidth: every row drawn fits the terminal, wide
// characters included, and a narrower terminal counts the rows the old
// lines now take.
func TestLiveViewRowsFitWidth(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v := newLiveView(nil, nil, func() time.Time { return now }, "deploy demo/ウェブサービス")
	v.waiting = "deployment ecs-svc/1 (web:2) to complete"
	v.deployments = []deploy.DeploymentState{{Status: "PRIMARY", TaskDefinition: "web:2", RolloutState: "IN_PROGRESS", RolloutStateReason: strings.Repeat("x", 300)}}
	for _, w := range []int{10, 40, 80, 200} {
		for _, r := range v.rows(w) {
			if got := runewidth.StringWidth(r); got > w-1 {
				t.Errorf("width %d: row of %d columns: %q", w, got, r)
			}
		}
	}
	v.drawn = []int{199, 50}
	if got := v.onScreen(80); got != 3+1 {
		t.Errorf("rows on screen after shrinking to 80 = %d, want 4", got)
	}
	if got := v.onScreen(200); got != 2 {
		t.Errorf("rows on screen at 200 = %d, want 2", got)
	}
}

func TestElapsed(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0s", 59 * time.Second: "59s", 65 * time.Second: "1m05s", 3723 * time.Second: "1h02m03s"} {
		if got := elapsed(d); got != want {
			t.Errorf("elapsed(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestFleetLiveRows: on a terminal a run over several services shows one
// block with a row per service, lines of every service scrolling above it.
func TestFleetLiveRows(t *testing.T) {
	term := newVterm(70, 12)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := newFleetLive(term, func() int { return 70 }, func() time.Time { return now }, "deploy · 3 services", []string{"api", "web", "worker"})
	f.set(0, "started")
	fmt.Fprintln(f, "2026/01/01 00:00:00 [INFO] demo/api: registered task definition api:2")
	f.event(0)(deploy.Event{Kind: deploy.EventProgress, Deployments: []deploy.DeploymentState{{Status: "PRIMARY", TaskDefinition: "api:2", Desired: 2, Running: 1, RolloutState: "IN_PROGRESS"}}})
	f.event(1)(deploy.Waiting("deployment ecs-svc/1 (web:7) to complete"))
	now = now.Add(65 * time.Second)
	f.done(2, fleet.Result{Outcome: "skipped"})
	f.close()
	screen := term.String()
	for _, want := range []string{
		"demo/api: registered task definition api:2",
		"deploy · 3 services · 1m05s · ended",
		"  api     api:2 1/2 running IN_PROGRESS",
		"  web     waiting for deployment ecs-svc/1 (web:7) to complete",
		"  worker  SKIPPED - (0s)",
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("screen lacks %q:\n%s", want, screen)
		}
	}
	if strings.Count(screen, "deploy · 3 services") != 1 {
		t.Errorf("the block is drawn more than once:\n%s", screen)
	}
}

// drainWaiting is the waiter's report at the start of a 37 s sleep through
// a drain, at.
func drainWaiting(at time.Time) deploy.Event {
	return deploy.Event{Time: at, Kind: deploy.EventWaiting, Next: at.Add(37 * time.Second),
		Message: drainWait + deploy.NextCheck(37*time.Second)}
}

const drainWait = "old tasks to drain (deregistration delay 5m0s, until about 00:05:05)"

// countdownSteps are the redraws after drainWaiting with no report between
// them: how long after the last, and how the countdown reads then.
var countdownSteps = []struct {
	after time.Duration
	want  string
}{
	{0, drainWait + "; next check in 37s"},
	{time.Second, drainWait + "; next check in 36s"},
	{10 * time.Second, drainWait + "; next check in 26s"},
	{25 * time.Second, drainWait + "; next check in 1s"},
	{time.Second, drainWait}, // the poll is due: no countdown left
}

// TestLiveViewCountsDownToTheNextPoll: between the waiter's reports (when
// what it waits for changes, a long sleep begins, and every 30 s of it)
// each redraw of the live block, a tick of its clock, counts down to the
// next poll; the CI log keeps the report's own text.
func TestLiveViewCountsDownToTheNextPoll(t *testing.T) {
	vt := newVterm(160, 8)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	r := &progressReporter{w: vt, now: clock, scope: "demo/web",
		live: newLiveView(vt, func() int { return 160 }, clock, "deploy demo/web")}
	r.stop = make(chan struct{}) // the test ticks by hand
	r.Report(drainWaiting(now))
	for i, s := range countdownSteps {
		now = now.Add(s.after)
		r.live.draw(nil)
		head := strings.Split(vt.String(), "\n")[1]
		if want := "|deploy demo/web · " + elapsed(now.Sub(r.live.start)) + " · waiting for " + s.want; strings.TrimRight(head, " |") != want {
			t.Errorf("redraw %d: header %q, want %q", i, head, want)
		}
	}
	// A heartbeat whose text is the last one's still sets the countdown.
	r.Report(deploy.Event{Time: now, Kind: deploy.EventWaiting, Message: drainWait})
	r.Report(deploy.Event{Time: now, Kind: deploy.EventWaiting, Message: drainWait, Next: now.Add(7 * time.Second)})
	r.live.draw(nil)
	if head := strings.Split(vt.String(), "\n")[1]; !strings.Contains(head, drainWait+"; next check in 7s") {
		t.Errorf("after a heartbeat of the same text: header %q", head)
	}

	var ci bytes.Buffer
	r = &progressReporter{w: &ci, now: clock, scope: "demo/web", started: now}
	r.Report(drainWaiting(now))
	if want := "waiting for " + drainWait + "; next check in 37s; 0s elapsed\n"; !strings.HasSuffix(ci.String(), want) {
		t.Errorf("CI line %q, want it to end with %q", ci.String(), want)
	}
}

// TestFleetLiveRowCountsDownToTheNextPoll: the row of one service of
// several counts down as the single-service header does, and a later
// snapshot of its deployments replaces the countdown.
func TestFleetLiveRowCountsDownToTheNextPoll(t *testing.T) {
	vt := newVterm(120, 8)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := newFleetLive(vt, func() int { return 120 }, func() time.Time { return now }, "deploy · 2 services", []string{"api", "web"})
	f.event(1)(drainWaiting(now))
	row := func() string { return strings.TrimRight(strings.Split(vt.String(), "\n")[3], " |") }
	for i, s := range countdownSteps {
		now = now.Add(s.after)
		f.view.draw(nil) // a tick
		if want := "|  web  waiting for " + s.want; row() != want {
			t.Errorf("redraw %d: row %q, want %q", i, row(), want)
		}
	}
	f.event(1)(drainWaiting(now))
	f.event(1)(deploy.Event{Kind: deploy.EventProgress, Deployments: []deploy.DeploymentState{{Status: "PRIMARY", TaskDefinition: "web:2", Desired: 2, Running: 2, RolloutState: "IN_PROGRESS"}}})
	now = now.Add(time.Second)
	f.view.draw(nil)
	if want := "|  web  web:2 2/2 running IN_PROGRESS"; row() != want {
		t.Errorf("after a snapshot: row %q, want %q", row(), want)
	}
}

// TestLiveViewKeepsTheCountdownWhenCut: on a terminal too narrow for the
// whole row, what the waiter waits for is cut, not the countdown; when too
// little of it would be left, the row is cut at its end as any other.
func TestLiveViewKeepsTheCountdownWhenCut(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	v := newLiveView(nil, nil, clock, "deploy demo/web")
	v.waiting, v.next = waitingOf(drainWaiting(now))
	f := newFleetLive(nil, nil, clock, "deploy · 2 services", []string{"api", "web"})
	f.next[1], f.state[1] = v.next, "waiting for "+v.waiting
	now = now.Add(time.Second)
	for _, r := range []struct {
		cols int
		row  string
	}{{80, v.rows(80)[0]}, {80, f.view.rows(80)[2]}, {60, f.view.rows(60)[2]}} {
		if !strings.HasSuffix(r.row, "…; next check in 36s") || runewidth.StringWidth(r.row) != r.cols-1 {
			t.Errorf("%d columns: row %q, want it cut before the countdown, to %d columns", r.cols, r.row, r.cols-1)
		}
	}
	if row := f.view.rows(60)[2]; !strings.HasPrefix(row, "  web  waiting for old tasks") {
		t.Errorf("60 columns: row %q", row)
	}
	if head := v.rows(60)[0]; head != "deploy demo/web · 1s · waiting for old tasks to drain (der…" {
		t.Errorf("60 columns: header %q, want it cut at its end", head)
	}
}
