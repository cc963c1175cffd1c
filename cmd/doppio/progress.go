package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/doppio-ecs/doppio/deploy"
)

// stamp is the one time format of doppio's stderr: log records, progress
// lines and the times of ECS service events inside them.
const stamp = "2006/01/02 15:04:05"

// progressReporter shows what deploy, rollback, wait and run report. Off a
// terminal (CI logs) it writes one line per change, each naming the cluster
// and service, folded into one GitHub Actions log group; on a terminal the
// lines scroll above a live status block (liveView) that ticks every second;
// with --log-format json every event is a JSON record.
type progressReporter struct {
	mu   sync.Mutex
	w    io.Writer
	json bool
	now  func() time.Time
	// started is when the command began reporting: a CI log's waiting
	// lines say the time elapsed since, as the live view's ticking clock does.
	started time.Time
	// scope ("demo/web") names the cluster and service on every line, so
	// the logs of several services deploying in one job stay apart.
	scope   string
	cluster string
	service string
	live    *liveView // nil off a terminal
	waiting string    // the last EventWaiting message
	closed  bool
	stop    chan struct{}
	// openGroup opens the GitHub Actions log group the progress lines are
	// folded into; it is opened with the first line, so a command that
	// reports nothing leaves no empty group, and closed by Close, so no
	// result printed after it is folded away.
	openGroup func() (end func())
	endGroup  func()
	// snaps are the deployment snapshots seen, for the summary's timeline.
	snaps []snapshot
	// row, when set, receives every event (one service of several on a
	// terminal); waits and snapshots then show in the row only.
	row func(deploy.Event)
}

func newProgressReporter(g *Globals) *progressReporter {
	r := &progressReporter{w: g.Stderr, json: g.LogFormat == "json", now: time.Now, started: time.Now()}
	g.progress = r
	if p := g.project; p != nil && p.Config != nil {
		r.cluster, r.service = p.Config.Cluster, p.Config.Service
	}
	r.scope = r.cluster
	if r.service != "" {
		r.scope += "/" + r.service
	}
	command := g.command
	if command == "" {
		command = "deploy"
	}
	title := fmt.Sprintf("doppio %s: progress", command)
	if r.scope != "" {
		title += " (" + r.scope + ")"
	}
	gh := g.GitHub()
	r.openGroup = func() func() { return gh.Group(title) }
	if width, ok := terminalWidth(g); ok && !r.json {
		r.live = newLiveView(g.Stderr, width, time.Now, command+" "+r.scope)
	}
	if g.row != nil {
		// One service of several on a terminal: its row in the run's block
		// shows what it waits for and its deployments.
		r.row, r.openGroup = g.row, nil
	}
	return r
}

// terminalWidth tells whether stderr is a terminal that can show a live
// block, and how to read its width.
func terminalWidth(g *Globals) (func() int, bool) {
	f, ok := g.rawStderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || os.Getenv("TERM") == "dumb" {
		return nil, false
	}
	fd := int(f.Fd())
	return func() int {
		w, _, err := term.GetSize(fd)
		if err != nil {
			return 0
		}
		return w
	}, true
}

// drawLive redraws the block and, once there is one, keeps it ticking.
func (r *progressReporter) drawLive() {
	r.live.draw(nil)
	if r.stop == nil {
		r.stop = make(chan struct{})
		go r.tick(time.Second)
	}
}

// snapshots returns the deployment snapshots seen so far.
func (r *progressReporter) snapshots() []snapshot {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]snapshot(nil), r.snaps...)
}

// tick redraws the live block (elapsed time, the countdown to the next
// poll, a resized terminal) between events. It makes no AWS call.
func (r *progressReporter) tick(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	resized, stop := resizeSignals()
	defer stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
		case <-resized:
		}
		r.mu.Lock()
		if !r.closed {
			r.live.draw(nil)
		}
		r.mu.Unlock()
	}
}

func (r *progressReporter) Report(e deploy.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Kind == deploy.EventProgress {
		r.snaps = append(r.snaps, snapshot{at: e.Time, states: e.Deployments})
	}
	if r.json {
		r.reportJSON(e)
		return
	}
	if r.row != nil {
		r.row(e)
		if e.Kind == deploy.EventProgress || e.Kind == deploy.EventWaiting {
			return
		}
	}
	live := r.live != nil && !r.closed
	at := e.Time
	var lines []string
	switch e.Kind {
	case deploy.EventInfo:
		lines = []string{r.line(at, "INFO", e.Message)}
	case deploy.EventWarning:
		lines = []string{r.line(at, "WARN", e.Message)}
	case deploy.EventServiceEvent:
		// The line's time is doppio's clock, when the event was seen; the
		// event's own time is ECS's clock, said as such.
		at = r.now()
		lines = []string{r.line(at, "INFO", fmt.Sprintf("ECS event %s: %s", e.Time.Local().Format(stamp), e.Message))}
	case deploy.EventWaiting:
		if live {
			// Every report may move the countdown, the same text too.
			r.waiting = e.Message
			r.live.waiting, r.live.next = waitingOf(e)
			r.drawLive()
			return
		}
		if e.Message == r.waiting {
			return
		}
		r.waiting = e.Message
		lines = []string{r.line(at, "INFO", fmt.Sprintf("waiting for %s; %s elapsed", e.Message, elapsed(r.now().Sub(r.started))))}
	case deploy.EventProgress:
		if live {
			r.live.deployments = e.Deployments
			r.drawLive()
			return
		}
		for _, l := range deploymentLines(e.Deployments) {
			lines = append(lines, r.line(at, "INFO", l))
		}
	}
	if live {
		r.live.draw(lines)
		return
	}
	r.writeCI(lines)
}

// writeCI writes lines into the progress log group.
func (r *progressReporter) writeCI(lines []string) {
	if r.openGroup != nil && !r.closed && r.endGroup == nil {
		r.endGroup = r.openGroup()
	}
	writeLines(r.w, lines)
}

// line is "2026/01/02 15:04:05 [INFO] demo/web: message", the shape of
// doppio's log records (log.go).
func (r *progressReporter) line(t time.Time, level, msg string) string {
	if r.scope != "" {
		msg = r.scope + ": " + msg
	}
	return fmt.Sprintf("%s [%s] %s", t.Local().Format(stamp), level, msg)
}

// reportJSON logs an event as slog records stamped with the event's time:
// one per step, warning, wait or service event, one per deployment of a
// progress snapshot; each names the cluster and service.
func (r *progressReporter) reportJSON(e deploy.Event) {
	h := slog.Default().Handler()
	emit := func(level slog.Level, msg string, attrs ...slog.Attr) {
		rec := slog.NewRecord(e.Time, level, msg, 0)
		rec.AddAttrs(attrs...)
		if r.cluster != "" {
			rec.AddAttrs(slog.String("cluster", r.cluster))
		}
		if r.service != "" {
			rec.AddAttrs(slog.String("service", r.service))
		}
		_ = h.Handle(context.Background(), rec)
	}
	switch e.Kind {
	case deploy.EventInfo:
		emit(slog.LevelInfo, e.Message, slog.String("event", "step"))
	case deploy.EventWarning:
		emit(slog.LevelWarn, e.Message, slog.String("event", "warning"))
	case deploy.EventServiceEvent:
		emit(slog.LevelInfo, e.Message, slog.String("event", "service_event"))
	case deploy.EventWaiting:
		attrs := []slog.Attr{slog.String("event", "waiting")}
		if !e.Next.IsZero() {
			attrs = append(attrs, slog.String("next", e.Next.Format(time.RFC3339)))
		}
		emit(slog.LevelInfo, "waiting for "+e.Message, attrs...)
	case deploy.EventProgress:
		for _, s := range e.Deployments {
			emit(slog.LevelInfo, "deployment", slog.String("event", "progress"),
				slog.String("id", s.ID), slog.String("status", s.Status), slog.String("task_definition", s.TaskDefinition),
				slog.Int("desired", int(s.Desired)), slog.Int("pending", int(s.Pending)),
				slog.Int("running", int(s.Running)), slog.Int("failed", int(s.Failed)),
				slog.String("rollout_state", s.RolloutState), slog.String("rollout_state_reason", s.RolloutStateReason))
		}
	}
}

// Close stops the live block's ticking and leaves it on screen, and closes
// the log group. Later events are still written, outside the group.
func (r *progressReporter) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	if r.stop != nil {
		close(r.stop)
	}
	if r.live != nil {
		r.live.ended = true
		r.live.draw(nil)
		r.live.forget()
	}
	if r.endGroup != nil {
		r.endGroup()
		r.endGroup = nil
	}
}

func deploymentLines(states []deploy.DeploymentState) []string {
	var out []string
	for _, s := range states {
		l := fmt.Sprintf("%-7s %s desired:%d pending:%d running:%d failed:%d", s.Status, s.TaskDefinition, s.Desired, s.Pending, s.Running, s.Failed)
		if s.RolloutState != "" {
			l += " " + s.RolloutState
			if s.RolloutStateReason != "" {
				l += " (" + s.RolloutStateReason + ")"
			}
		}
		out = append(out, l)
	}
	return out
}
