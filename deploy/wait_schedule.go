package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/awsapi"
)

// Clock is the waiter's time. The default is the wall clock; tests and
// benchmarks replace it with the emulator's, so that a 15-minute rollout runs
// in milliseconds and every sleep is visible.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx is done (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

// WallClock is the real time, the default Clock.
func WallClock() Clock { return awsapi.WallClock{} }

// The waiter's phases: what the rollout waits for decides how soon the next
// poll can see a change.
const (
	phaseStarting = "starting" // our new tasks are not all running
	phaseDraining = "draining" // ours run; the old tasks drain or stop
	phaseSettling = "settling" // only ECS's verdict is missing
	phaseOther    = "other"    // our deployment is not (or no longer) listed
)

// drainEvent is the start of ECS's "has begun draining connections on N
// tasks." service event.
const drainEvent = "has begun draining connections"

// schedule decides when the waiter polls next, from what the last answers
// tell: a rollout that must first start tasks for minutes, then drain old
// ones for a known deregistration delay, needs few polls, and polls fast only
// where its end can come.
type schedule struct {
	// lo is the fastest poll interval, used where the end is due; hi bounds
	// blind back-off where the end may follow a change within seconds.
	lo, hi time.Duration
	// capped: PollIntervalEnv is set (tests, demos against an emulator whose
	// clock may run fast), so no sleep exceeds hi.
	capped bool
	// drain is the longest deregistration delay of the service's target
	// groups; 0 when it has none or it could not be read.
	drain time.Duration
	// offset is how far the service's clock is ahead of ours, as far as the
	// timestamps in its answers prove it (never negative: in doubt, wake early).
	offset time.Duration

	phase      string
	phaseSince time.Time // our time of the first poll in the phase
	phaseAfter time.Time // our time of the poll before it: the phase began after it
	lastPoll   time.Time
	drainFrom  time.Time // the service's time of the newest drain event
}

// plan is the next poll: when, and what the rollout is waiting for.
type plan struct {
	delay      time.Duration
	waitingFor string
}

func newSchedule(lo, hi time.Duration, capped bool) *schedule {
	return &schedule{lo: lo, hi: hi, capped: capped}
}

// observe takes the timestamps of one answer: they bound the service's clock
// from below, and the newest drain event since our deployment began says
// when old tasks began draining (also when the event was seen before the
// wait, as for `doppio wait` started mid-drain).
func (s *schedule) observe(now time.Time, svc *ecstypes.Service, want expectation) {
	if svc == nil {
		return
	}
	seen := func(t time.Time) {
		if !t.IsZero() && t.Sub(now) > s.offset {
			s.offset = t.Sub(now)
		}
	}
	for _, d := range svc.Deployments {
		seen(aws.ToTime(d.UpdatedAt))
	}
	var since time.Time
	if ours := findDeployment(svc, want); ours != nil {
		since = aws.ToTime(ours.CreatedAt)
	}
	for _, ev := range svc.Events {
		at := aws.ToTime(ev.CreatedAt)
		seen(at)
		if strings.Contains(aws.ToString(ev.Message), drainEvent) && !at.Before(since) && at.After(s.drainFrom) {
			s.drainFrom = at
		}
	}
}

// next plans the poll after the answer svc, read at now.
func (s *schedule) next(now time.Time, svc *ecstypes.Service, want expectation) plan {
	prev := s.lastPoll
	s.lastPoll = now
	phase, what, ours := phaseOf(svc, want)
	if phase != s.phase {
		s.phase, s.phaseSince, s.phaseAfter = phase, now, prev
	}
	in := now.Sub(s.phaseSince)
	p := plan{waitingFor: what}
	switch phase {
	case phaseStarting:
		p.delay = s.startingInterval(in, ours)
		// The end of a drain lets the next batch of tasks start.
		if wake, _, ok := s.drainWake(now); ok {
			p.delay = min(p.delay, max(wake, s.lo))
		}
	case phaseDraining:
		if wake, end, ok := s.drainWake(now); ok && wake > s.lo {
			p.delay = wake
			p.waitingFor = fmt.Sprintf("old tasks to drain (deregistration delay %s, until about %s)", s.drain, end.Add(-s.offset).Local().Format("15:04:05"))
			break
		}
		p.delay = s.dueInterval(now.Sub(s.dueSince()))
	default:
		p.delay = s.dueInterval(in)
	}
	if s.capped {
		p.delay = min(p.delay, s.hi)
	}
	return p
}

// startingInterval backs off while new tasks provision and pull their
// images, in proportion to the time already spent: polls grow with the log of
// the rollout's length. Without a load balancer the rollout can end seconds
// after the tasks run, which bounds the interval; with one, a drain of known
// length must follow first, so the interval may grow towards it.
func (s *schedule) startingInterval(in time.Duration, ours *ecstypes.Deployment) time.Duration {
	floor, ceiling, ratio := min(2*s.lo, s.hi), s.hi, time.Duration(3)
	if in > 2*time.Minute {
		ceiling = 3 * s.hi // a slow start: fewer polls, a few seconds' more latency
	}
	if s.drain > 0 {
		floor, ceiling, ratio = max(floor, min(s.hi, s.drain/4)), max(ceiling, s.drain*4/5), 1
	}
	if ours != nil && ours.FailedTasks > 0 {
		ceiling = min(ceiling, 3*s.hi) // the circuit breaker may trip soon
	}
	return min(max(in/ratio, floor), ceiling)
}

// dueInterval polls fast while the end is due, and backs off slowly when it
// does not come (ECS's own bookkeeping, a bake time).
func (s *schedule) dueInterval(in time.Duration) time.Duration {
	ceiling := s.hi
	if in > time.Minute {
		ceiling = 6 * s.hi
	}
	return min(max(in/8, s.lo), ceiling)
}

// drainWake is how long to sleep (ours) until shortly before the running
// drain ends, and the service's time it ends; ok is false when no drain of
// known length runs.
func (s *schedule) drainWake(now time.Time) (time.Duration, time.Time, bool) {
	if s.drain <= 0 {
		return 0, time.Time{}, false
	}
	from := s.drainFrom
	if s.phase == phaseDraining && (from.IsZero() || from.Before(s.phaseAfter.Add(s.offset))) {
		// The drain event was missed: the drain began after the poll
		// before this phase, at the earliest.
		from = s.phaseAfter.Add(s.offset)
		if s.phaseAfter.IsZero() {
			from = s.phaseSince.Add(s.offset)
		}
	}
	if from.IsZero() {
		return 0, time.Time{}, false
	}
	end := from.Add(s.drain)
	wake := end.Add(-s.margin()).Sub(now.Add(s.offset))
	if wake <= 0 {
		return 0, end, false
	}
	return wake, end, true
}

// dueSince is our time from which the end of the draining phase is due:
// shortly before the drain's predicted end, or the phase's start.
func (s *schedule) dueSince() time.Time {
	if s.drain <= 0 || s.drainFrom.IsZero() {
		return s.phaseSince
	}
	end := s.drainFrom.Add(s.drain).Add(-s.margin()).Add(-s.offset)
	if end.Before(s.phaseSince) {
		return s.phaseSince
	}
	return end
}

// margin wakes the waiter before a drain's predicted end: clocks differ, and
// ELB may finish a little early.
func (s *schedule) margin() time.Duration { return s.lo/2 + s.drain/400 }

// phaseOf tells the phase of the rollout svc shows, and a short description
// of what it waits for.
func phaseOf(svc *ecstypes.Service, want expectation) (string, string, *ecstypes.Deployment) {
	if svc == nil {
		return phaseOther, "the service", nil
	}
	ours := findDeployment(svc, want)
	if ours == nil {
		if want.awaitPrimary {
			return phaseOther, "the rollback deployment to start", nil
		}
		return phaseOther, "the deployment to appear", nil
	}
	if ours.DesiredCount > 0 && ours.RunningCount < ours.DesiredCount {
		return phaseStarting, fmt.Sprintf("new tasks to start (%d/%d running)", ours.RunningCount, ours.DesiredCount), ours
	}
	// An old deployment stays listed until its last task stopped; tasks
	// that drain (DEACTIVATING) or stop no longer count as running.
	others, old := 0, int32(0)
	for i := range svc.Deployments {
		if d := &svc.Deployments[i]; d != ours {
			others++
			old += d.RunningCount + d.PendingCount
		}
	}
	if old > 0 {
		return phaseDraining, fmt.Sprintf("%d old task(s) to stop", old), ours
	}
	if others > 0 {
		return phaseDraining, "the old tasks to drain and stop", ours
	}
	return phaseSettling, "ECS to mark the deployment completed", ours
}
