package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/fleet"
)

// fleetLive is the terminal's view of a run over several services: the
// steps, warnings and service events of every service scroll above one live
// block (liveView) with a row per service saying where it is: pending,
// what it waits for and its primary deployment's counts, then its outcome.
// It is also the services' stderr, so that every line goes above the block.
type fleetLive struct {
	mu    sync.Mutex
	view  *liveView
	names []string
	width int // of the name column
	state []string
	next  []time.Time // when a waiting service's waiter polls next
	stop  chan struct{}
}

func newFleetLive(w io.Writer, width func() int, now func() time.Time, title string, names []string) *fleetLive {
	f := &fleetLive{names: names, state: make([]string, len(names)), next: make([]time.Time, len(names))}
	for i, n := range names {
		f.width = max(f.width, len(n))
		f.state[i] = "pending"
	}
	f.view = newLiveView(w, width, now, title)
	f.view.body = f.rows
	return f
}

func (f *fleetLive) rows(now time.Time, cols int) []string {
	out := make([]string, len(f.names))
	for i, n := range f.names {
		out[i] = countdown(fmt.Sprintf("%-*s  ", f.width, n), f.state[i], f.next[i], now, cols)
	}
	return out
}

// Write puts whole lines above the block.
func (f *fleetLive) Write(p []byte) (int, error) {
	lines := strings.Split(strings.TrimRight(string(p), "\n"), "\n")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.view.draw(lines)
	return len(p), nil
}

// set changes service i's row.
func (f *fleetLive) set(i int, state string) { f.setUntil(i, state, time.Time{}) }

// setUntil changes service i's row, which counts down to next.
func (f *fleetLive) setUntil(i int, state string, next time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state[i], f.next[i] = state, next
	f.view.draw(nil)
}

// event turns service i's event into its row.
func (f *fleetLive) event(i int) func(deploy.Event) {
	return func(e deploy.Event) {
		switch e.Kind {
		case deploy.EventWaiting:
			what, next := waitingOf(e)
			f.setUntil(i, "waiting for "+what, next)
		case deploy.EventProgress:
			for _, d := range e.Deployments {
				if d.Status == "PRIMARY" {
					f.set(i, fmt.Sprintf("%s %d/%d running %s", d.TaskDefinition, d.Running, d.Desired, d.RolloutState))
				}
			}
		}
	}
}

// done shows service i's outcome.
func (f *fleetLive) done(i int, r fleet.Result) {
	f.set(i, fmt.Sprintf("%s %s (%s)", strings.ToUpper(r.Outcome), dash(r.Revision), elapsed(r.Duration)))
}

// start ticks the block (elapsed time, countdowns) once a second until
// close.
func (f *fleetLive) start() {
	f.stop = make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-f.stop:
				return
			case <-t.C:
				f.mu.Lock()
				f.view.draw(nil)
				f.mu.Unlock()
			}
		}
	}()
}

// close leaves the block on screen as it was last.
func (f *fleetLive) close() {
	if f.stop != nil {
		close(f.stop)
		f.stop = nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.view.ended = true
	f.view.draw(nil)
	f.view.forget()
}
