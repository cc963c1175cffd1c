package deploy

import (
	"context"
	"testing"
	"time"

	"github.com/doppio-ecs/doppio/tests/awsemu"
)

// Every long sleep tells when the waiter polls next, as a time (Next) and
// in the message, from its start, even when what it waits for did not
// change since the last sleep: a live view counts down to it between the
// heartbeats. Short sleeps say nothing new and carry no time.
func TestWaiterLongSleepsCarryTheNextPoll(t *testing.T) {
	clock := &virtualClock{c: awsemu.NewManualClock(time.Time{})}
	ev := &eventLog{}
	w := &Waiter{Reporter: ev}
	last := ""
	p := plan{waitingFor: "new tasks to start (0/2 running)"}
	for _, d := range []time.Duration{3 * time.Second, 3 * time.Second, 37 * time.Second, 37 * time.Second} {
		if err := w.sleep(context.Background(), clock, clock.Now().Add(d), p, &last); err != nil {
			t.Fatal(err)
		}
	}
	type report struct {
		msg  string
		next time.Duration
	}
	var got []report
	for _, e := range ev.events {
		r := report{msg: e.Message}
		if !e.Next.IsZero() {
			r.next = e.Next.Sub(e.Time)
		}
		got = append(got, r)
	}
	p37 := p.waitingFor + "; next check in 37s"
	want := []report{
		{p.waitingFor, 0},               // the first short sleep: what it waits for
		{p37, 37 * time.Second},         // a long sleep begins
		{p.waitingFor, 7 * time.Second}, // its heartbeat, 30 s in
		{p37, 37 * time.Second},         // the next long sleep begins, the same wait
		{p.waitingFor, 7 * time.Second},
	}
	if len(got) != len(want) {
		t.Fatalf("reports %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("report %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
