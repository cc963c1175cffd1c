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

// completedEvent ends ECS's "(service S) (deployment ID) deployment
// completed." service event.
const completedEvent = "deployment completed."

// longStart: a previous rollout (or a task start) at least this long makes
// the waiter plan the start from it instead of backing off blindly.
const longStart = 2 * time.Minute

// The start is learnt at the first answer of the starting phase (the
// UpdateService answer) when no previous rollout is known: only from there
// does a 10-minute start fit 25 calls (polls planned from it cost what they
// cost after a known previous rollout). Read later, at 4 s (the second poll)
// or at 10 s, the fast early polls come on top: 27 and 29 calls at most over
// the 20 deploys of WaiterRollouts, against 25. A short first deploy pays
// the read (2 calls) for it; a deploy after one doppio rollout (whose
// "deployment completed" event names its length) never does.
//
// sharedLearnAfter: behind shared polls (SharedPolls) a poll costs a share
// of a round, so the early polls do not spend a budget, while a fleet's
// first deploy would pay two calls per service at once (ListTasks and
// DescribeTasks have their own throttling buckets). There the read waits
// until the start has lasted this long: the 10-30 s rollouts of a fleet
// never pay it.
const sharedLearnAfter = 45 * time.Second

// blindBackoff: after the first minute of a start that nothing predicts,
// the interval is this fraction of the time spent, so polls grow with the
// log of the start's length; the exit may come up to that fraction of the
// time spent after the tasks run.
const blindBackoff = 4

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
	// rate is how many seconds the service's clock advances in one of ours,
	// when the Date of successive answers proves it clearly faster (an
	// emulator run at --speed); 0: as fast as ours. anchor is the first
	// answer's Date, anchorAt our time when it came.
	rate             float64
	anchor, anchorAt time.Time
	// rateRead: a Date came rateAfter or more after the first.
	rateRead bool

	phase      string
	phaseSince time.Time // our time of the first poll in the phase
	phaseAfter time.Time // our time of the poll before it: the phase began after it
	lastPoll   time.Time
	drainFrom  time.Time // the service's time of the newest drain event
	// prior is how long the service's previous rollout took, from its
	// deployment's creation to ECS's "deployment completed" event for it:
	// both in the first answer, so it costs no call. 0 when unknown.
	prior     time.Duration
	priorRead bool
	// predictable: the rollout is a rolling one of the ECS controller, whose
	// length is the start of its tasks and the stop of the old ones.
	predictable bool
	// started is how long the service's tasks of earlier deployments took
	// to start (createdAt to startedAt), read once at the first answer of a
	// start without a load balancer when no previous rollout is known; 0
	// when unknown. startedFrom says which tasks: the running ones, or
	// (none running, a service scaled from 0) those ECS still lists as
	// stopped.
	started     time.Duration
	startedRead bool
	startedFrom ecstypes.DesiredStatus
	// learnAfter is how long the start must have lasted before started is
	// read: 0, or sharedLearnAfter behind shared polls.
	learnAfter time.Duration
	// readStarts reads started (Waiter.taskStarts) from the tasks whose
	// desired status is status; nil: never.
	readStarts func(ours *ecstypes.Deployment, status ecstypes.DesiredStatus) time.Duration
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
	ours := findDeployment(svc, want)
	if ours != nil {
		since = aws.ToTime(ours.CreatedAt)
	}
	if !s.priorRead {
		s.priorRead = true
		// A blue/green, linear or canary rollout's length holds bake times
		// and traffic shifts, not the start of its tasks.
		if !usesLifecycle(svc) && !want.until.needsLifecycle() && !externalController(svc) {
			s.predictable = true
			s.prior = priorRollout(svc, ours)
		}
	}
	for _, ev := range svc.Events {
		at := aws.ToTime(ev.CreatedAt)
		seen(at)
		if strings.Contains(aws.ToString(ev.Message), drainEvent) && !at.Before(since) && at.After(s.drainFrom) {
			s.drainFrom = at
		}
	}
}

// Below minRate the service's clock is taken to run as ours: an answer's
// Date has whole seconds, and rateAfter of ours must have passed since the
// first one.
const (
	minRate   = 2.0
	rateAfter = 4 * time.Second
)

// served takes the Date of an answer read at now (zero when it had none):
// like the timestamps in it, it bounds the service's clock from below, and
// against the first answer's Date it bounds the clock's rate from below, as
// the service's clock ran at least from that second to this one, less one
// for the rounding, while ours ran from then to now. The largest bound
// counts.
func (s *schedule) served(now, date time.Time) {
	if date.IsZero() {
		return
	}
	if d := date.Sub(now); d > s.offset {
		s.offset = d
	}
	if s.anchorAt.IsZero() {
		s.anchor, s.anchorAt = date, now
		return
	}
	el := now.Sub(s.anchorAt)
	if el < rateAfter {
		return
	}
	s.rateRead = true
	if r := float64(date.Sub(s.anchor)-time.Second) / float64(el); r >= minRate && r > s.rate {
		s.rate = r
	}
}

// serverAt is the service's time at our time t, as far as it is known: on
// a clock that runs faster, from the rate (an offset seen now would put past
// moments too late); else ours plus the offset.
func (s *schedule) serverAt(t time.Time) time.Time {
	if s.rate > 0 && !t.IsZero() {
		return s.anchor.Add(time.Duration(float64(t.Sub(s.anchorAt)) * s.rate))
	}
	return t.Add(s.offset)
}

// ours is our time of the service's time at, seen from our now.
func (s *schedule) ours(at, now time.Time) time.Time {
	return now.Add(s.oursDur(at.Sub(s.serverAt(now))))
}

// oursDur is how long a span of the service's clock lasts on ours.
func (s *schedule) oursDur(d time.Duration) time.Duration {
	if s.rate > 0 {
		return time.Duration(float64(d) / s.rate)
	}
	return d
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
		s.learnStart(in, svc, ours)
		p.delay = s.startingInterval(in, ours)
		switch {
		case !s.predictsStart():
		case s.prior > 0:
			p.waitingFor += fmt.Sprintf("; the previous rollout took %s", s.prior.Round(time.Second))
		case s.startedFrom == ecstypes.DesiredStatusStopped:
			p.waitingFor += fmt.Sprintf("; the service's recently stopped tasks took %s to start", s.started.Round(time.Second))
		default:
			p.waitingFor += fmt.Sprintf("; the running tasks took %s to start", s.started.Round(time.Second))
		}
		// The end of a drain lets the next batch of tasks start.
		if wake, _, ok := s.drainWake(now); ok {
			p.delay = min(p.delay, max(wake, s.lo))
		}
	case phaseDraining:
		if wake, end, ok := s.drainWake(now); ok && wake > s.lo {
			p.delay = wake
			p.waitingFor = fmt.Sprintf("old tasks to drain (deregistration delay %s, until about %s)", s.drain, s.ours(end, now).Local().Format("15:04:05"))
			if !s.anchorAt.IsZero() && !s.rateRead {
				// One dated answer only: whether the service's clock runs
				// faster shows rateAfter after it, before the long sleep.
				p.delay = min(p.delay, max(s.lo, s.anchorAt.Add(rateAfter).Sub(now)))
			}
			break
		}
		p.delay = s.dueInterval(now.Sub(s.dueSince(now)))
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
	if s.predictsStart() {
		return s.predictedStartInterval(in, ours)
	}
	floor, ceiling, ratio := min(2*s.lo, s.hi), s.hi, time.Duration(3)
	if in > time.Minute {
		// A slow start: fewer polls, for an exit up to a quarter of the
		// time spent after the tasks run.
		ceiling = max(3*s.hi, in/blindBackoff)
	}
	if s.drain > 0 {
		drain := s.oursDur(s.drain)
		floor, ceiling, ratio = max(floor, min(s.hi, drain/4)), max(ceiling, drain*4/5), 1
	}
	if ours != nil && ours.FailedTasks > 0 {
		ceiling = min(ceiling, 3*s.hi) // the circuit breaker may trip soon
	}
	return min(max(in/ratio, floor), ceiling)
}

// predictsStart tells whether the start is planned from the previous
// rollout, or from how long the running tasks took to start: without a load
// balancer nothing else says when a long start ends, and the end follows the
// new tasks within seconds; with one, the drain that must follow bounds the
// polls already.
func (s *schedule) predictsStart() bool { return s.drain <= 0 && s.expected() >= longStart }

// expected is the start's predicted length: the previous rollout's, else
// the running tasks' start; 0 when neither is known.
func (s *schedule) expected() time.Duration {
	if s.prior > 0 {
		return s.prior
	}
	return s.started
}

// learnStart reads, once, how long the service's earlier tasks took to
// start, at the first answer of a start without a load balancer (behind
// shared polls: once it lasted learnAfter) when no previous rollout says
// how long it may take: a first deploy, or one whose previous rollout's
// event ECS no longer lists. With old tasks running it reads those
// (ListTasks RUNNING, DescribeTasks); with none (a service scaled from 0)
// the tasks ECS still lists as stopped (it keeps them about an hour), which
// cost the same two calls: ListTasks STOPPED, DescribeTasks. A service
// created by our deployment has had no task: no call.
func (s *schedule) learnStart(in time.Duration, svc *ecstypes.Service, ours *ecstypes.Deployment) {
	if s.startedRead || s.readStarts == nil || !s.predictable || s.capped || s.drain > 0 || s.prior > 0 || in < s.learnAfter || ours == nil {
		return
	}
	s.startedRead = true
	status := ecstypes.DesiredStatusStopped
	for i := range svc.Deployments {
		if d := &svc.Deployments[i]; d != ours && d.RunningCount > 0 {
			status = ecstypes.DesiredStatusRunning
		}
	}
	if status == ecstypes.DesiredStatusStopped && createdBy(svc, ours) {
		return
	}
	s.started, s.startedFrom = s.readStarts(ours, status), status
}

// createdBy tells whether deployment ours created the service (CreateService):
// it is the only one listed and not a second younger than the service.
func createdBy(svc *ecstypes.Service, ours *ecstypes.Deployment) bool {
	if len(svc.Deployments) != 1 || svc.CreatedAt == nil || ours.CreatedAt == nil {
		return false
	}
	return ours.CreatedAt.Sub(*svc.CreatedAt) < time.Second
}

// predictedStartInterval sleeps a third of the time left until the expected
// length (the previous rollout's, or the running tasks' start), so polls
// thicken towards the moment the new tasks are likely to run, and backs off
// again in proportion to the overrun if they do not. The floor, 1/40 of that
// length (15 s for ten minutes), bounds the polls of a
// start that ends far from the prediction; the exit then comes up to about
// that much after the rollout's end.
func (s *schedule) predictedStartInterval(in time.Duration, ours *ecstypes.Deployment) time.Duration {
	expected := s.oursDur(s.expected())
	floor := max(min(2*s.lo, s.hi), expected/40)
	left := expected - in
	d := max(left, -left) / 3
	if ours != nil && ours.FailedTasks > 0 {
		d = min(d, 3*s.hi) // the circuit breaker may trip soon
	}
	return max(d, floor)
}

// externalController: CodeDeploy or an external controller deploys the
// service; ECS's deployments say nothing about its rollouts' length.
func externalController(svc *ecstypes.Service) bool {
	return svc.DeploymentController != nil && svc.DeploymentController.Type != "" && svc.DeploymentController.Type != ecstypes.DeploymentControllerTypeEcs
}

// priorRollout is how long the previous rollout of the service took: the
// newest deployment other than ours that ECS reported completed, from its
// creation to that event. 0 when the events no longer tell (ECS keeps the
// last 100).
func priorRollout(svc *ecstypes.Service, ours *ecstypes.Deployment) time.Duration {
	var best time.Duration
	var newest time.Time
	for i := range svc.Deployments {
		d := &svc.Deployments[i]
		if d == ours || d.CreatedAt == nil || aws.ToString(d.Id) == "" {
			continue
		}
		tag := "(deployment " + aws.ToString(d.Id) + ") " + completedEvent
		for _, ev := range svc.Events {
			at := aws.ToTime(ev.CreatedAt)
			if strings.HasSuffix(aws.ToString(ev.Message), tag) && at.After(aws.ToTime(d.CreatedAt)) && at.After(newest) {
				newest, best = at, at.Sub(aws.ToTime(d.CreatedAt))
			}
		}
	}
	return best
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
	_, end, ok := s.drainSpan()
	if !ok {
		return 0, time.Time{}, false
	}
	wake := s.ours(end, now).Add(-s.margin()).Sub(now)
	if wake <= 0 {
		return 0, end, false
	}
	return wake, end, true
}

// drainSpan is the service's times the running drain began and ends; ok is
// false when no drain of known length is known to run.
func (s *schedule) drainSpan() (from, end time.Time, ok bool) {
	if s.drain <= 0 {
		return time.Time{}, time.Time{}, false
	}
	from = s.drainFrom
	if s.phase == phaseDraining && (from.IsZero() || from.Before(s.serverAt(s.phaseAfter))) {
		// The drain event was missed: the drain began after the poll
		// before this phase, at the earliest.
		from = s.serverAt(s.phaseAfter)
		if s.phaseAfter.IsZero() {
			from = s.serverAt(s.phaseSince)
		}
	}
	if from.IsZero() {
		return time.Time{}, time.Time{}, false
	}
	return from, from.Add(s.drain), true
}

// drainGrace: after a drain's end ECS still stops the old tasks and marks
// the deployment completed; a timeout this soon after the end is still the
// drain's.
const drainGrace = 30 * time.Second

// drainAdvice is the next step when the wait timed out at now while the old
// tasks drained for a known delay: the drain, not the new tasks, held the
// deployment. "" when no such drain ran, or it should have ended a while
// before (then something else holds the old tasks), or the rollout is not
// a rolling one of the ECS controller (a blue/green bake keeps the old
// tasks too, CodeDeploy's task sets say nothing of a drain).
func (s *schedule) drainAdvice(now time.Time) string {
	if s.phase != phaseDraining || !s.predictable {
		return ""
	}
	from, end, ok := s.drainSpan()
	if !ok || now.After(s.ours(end, now).Add(drainGrace)) {
		return ""
	}
	at := func(t time.Time) string { return s.ours(t, now).Local().Format("15:04:05") }
	return fmt.Sprintf("the new tasks run; the old ones were draining connections until about %s (the target groups' deregistration delay, %s, from %s): give --timeout more than the drain, or lower deregistration_delay.timeout_seconds on the target group.",
		at(end), s.drain, at(from))
}

// dueSince is our time from which the end of the draining phase is due:
// shortly before the drain's predicted end, or the phase's start.
func (s *schedule) dueSince(now time.Time) time.Time {
	if s.drain <= 0 || s.drainFrom.IsZero() {
		return s.phaseSince
	}
	end := s.ours(s.drainFrom.Add(s.drain), now).Add(-s.margin())
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
