package deploy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/tests/awsemu"
)

func rolloutService(oursRunning, oldRunning int32, oldListed bool) *ecstypes.Service {
	svc := &ecstypes.Service{ServiceName: aws.String("web"), Status: aws.String("ACTIVE"), Deployments: []ecstypes.Deployment{{
		Id: aws.String("ecs-svc/new"), Status: aws.String("PRIMARY"), TaskDefinition: aws.String("web:2"),
		DesiredCount: 2, RunningCount: oursRunning, RolloutState: ecstypes.DeploymentRolloutStateInProgress,
	}}}
	if oldListed {
		svc.Deployments = append(svc.Deployments, ecstypes.Deployment{Id: aws.String("ecs-svc/old"), Status: aws.String("ACTIVE"),
			TaskDefinition: aws.String("web:1"), DesiredCount: 0, RunningCount: oldRunning})
	}
	return svc
}

// The schedule sleeps through a drain of known length, waking shortly
// before it ends, and polls at the fastest interval from then on.
func TestScheduleSleepsThroughAKnownDrain(t *testing.T) {
	want := expectation{taskDefinition: "web:2", deploymentID: "ecs-svc/new", until: UntilDeployed}
	s := newSchedule(time.Second, 5*time.Second, false)
	s.drain = 300 * time.Second
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	// Starting: the interval grows with the time spent, up to 4/5 of the drain.
	s.next(t0, rolloutService(0, 2, true), want)
	p := s.next(t0.Add(10*time.Minute), rolloutService(0, 2, true), want)
	if p.delay != 240*time.Second || !strings.Contains(p.waitingFor, "new tasks to start (0/2 running)") {
		t.Fatalf("long start: %+v, want 240 s", p)
	}

	// Our tasks run; the old ones began draining 20 s ago.
	now := t0.Add(11 * time.Minute)
	drainAt := now.Add(-20 * time.Second)
	draining := rolloutService(2, 0, true)
	draining.Deployments[0].CreatedAt = aws.Time(t0)
	draining.Events = []ecstypes.ServiceEvent{
		{CreatedAt: aws.Time(drainAt), Message: aws.String("(service web) has begun draining connections on 2 tasks.")},
		// A drain of an earlier rollout is not this one's.
		{CreatedAt: aws.Time(t0.Add(-time.Hour)), Message: aws.String("(service web) has begun draining connections on 2 tasks.")},
	}
	s.observe(now, draining, want)
	p = s.next(now, draining, want)
	wake := drainAt.Add(300 * time.Second).Add(-s.margin())
	if p.delay != wake.Sub(now) || !strings.Contains(p.waitingFor, "deregistration delay 5m0s") {
		t.Fatalf("draining: %+v, want a sleep of %s", p, wake.Sub(now))
	}
	// After the wake-up: the end is due, poll at the fastest interval.
	p = s.next(wake, rolloutService(2, 0, true), want)
	if p.delay != time.Second {
		t.Fatalf("at the drain's end: %+v, want 1 s", p)
	}
	p = s.next(wake.Add(time.Second), rolloutService(2, 0, false), want)
	if p.delay != time.Second || p.waitingFor != "ECS to mark the deployment completed" {
		t.Fatalf("settling: %+v", p)
	}
}

// Without a load balancer the end can follow the new tasks within seconds:
// the back-off stays within the blind bound, and a missing drain event is
// no reason to sleep.
func TestScheduleWithoutDrainStaysWithinBound(t *testing.T) {
	want := expectation{taskDefinition: "web:2", deploymentID: "ecs-svc/new", until: UntilDeployed}
	s := newSchedule(time.Second, 5*time.Second, false)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.next(t0, rolloutService(0, 2, true), want)
	if p := s.next(t0.Add(90*time.Second), rolloutService(0, 2, true), want); p.delay != 5*time.Second {
		t.Fatalf("start after 90 s: %+v, want 5 s", p)
	}
	if p := s.next(t0.Add(5*time.Minute), rolloutService(1, 2, true), want); p.delay != 15*time.Second {
		t.Fatalf("slow start after 5 min: %+v, want 15 s", p)
	}
	if p := s.next(t0.Add(6*time.Minute), rolloutService(2, 1, true), want); p.delay != time.Second || p.waitingFor != "1 old task(s) to stop" {
		t.Fatalf("old tasks stopping: %+v, want 1 s", p)
	}
	// PollIntervalEnv's cap holds whatever is known.
	c := newSchedule(10*time.Millisecond, 50*time.Millisecond, true)
	c.drain = 300 * time.Second
	c.next(t0, rolloutService(0, 2, true), want)
	if p := c.next(t0.Add(time.Minute), rolloutService(0, 2, true), want); p.delay != 50*time.Millisecond {
		t.Fatalf("capped: %+v", p)
	}
}

// The waiter reads the deregistration delay once, polls a 300 s drain a
// handful of times, and keeps telling the reporter what it waits for while
// it sleeps.
func TestWaiterReportsWhileSleepingThroughADrain(t *testing.T) {
	clock := awsemu.NewManualClock(time.Time{})
	f := newFixtureWith(t, clock, serviceDef(1, true), 300*time.Second) // ELB's default delay
	emu := f.emu
	if _, err := emu.SeedTaskDefinition(taskDef("nginx:2", nil)); err != nil {
		t.Fatal(err)
	}
	clients := clientsFor(t, emu)
	up, err := clients.ECS.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String("demo"), Service: aws.String("web"), TaskDefinition: aws.String("web:2")})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(PollIntervalEnv, "")
	ev := &eventLog{}
	w := &Waiter{ECS: clients.ECS, ELB: clients.ELBv2, Cluster: "demo", Service: "web", Reporter: ev, Clock: &virtualClock{c: clock}}
	mark := emu.Log.Len()
	out := w.Wait(context.Background(), WaitTarget{TaskDefinition: "web:2", DeploymentID: aws.ToString(up.Service.Deployments[0].Id), Service: up.Service, KnownEvents: eventIDs(up.Service)})
	if out.Class != Completed {
		t.Fatalf("outcome %s: %s", out.Class, out.Reason)
	}
	if n := successes(emu, mark, "DescribeTargetGroupAttributes"); n != 1 {
		t.Errorf("%d DescribeTargetGroupAttributes calls, want 1", n)
	}
	if n := successes(emu, mark, "DescribeServices"); n > 10 {
		t.Errorf("%d DescribeServices calls for a 300 s drain, want at most 10", n)
	}
	var heartbeats, draining int
	ev.mu.Lock()
	for _, e := range ev.events {
		if e.Kind != EventWaiting {
			continue
		}
		if strings.Contains(e.Message, "deregistration delay 5m0s") {
			draining++
			if strings.Contains(e.Message, "next check in") {
				heartbeats++
			}
		}
	}
	ev.mu.Unlock()
	if draining < 8 || heartbeats < 8 {
		t.Errorf("%d waiting events name the drain, %d report during the sleep; want a heartbeat every 30 s", draining, heartbeats)
	}
}

// `doppio wait` started mid-drain: the drain event is older than the wait,
// and still tells when the drain ends.
func TestScheduleJoinsADrainUnderWay(t *testing.T) {
	want := expectation{taskDefinition: "web:2", deploymentID: "ecs-svc/new", until: UntilDeployed}
	s := newSchedule(time.Second, 5*time.Second, false)
	s.drain = 300 * time.Second
	now := time.Date(2026, 1, 1, 0, 10, 0, 0, time.UTC)
	svc := rolloutService(2, 0, true)
	svc.Deployments[0].CreatedAt = aws.Time(now.Add(-8 * time.Minute))
	svc.Events = []ecstypes.ServiceEvent{{CreatedAt: aws.Time(now.Add(-250 * time.Second)), Message: aws.String("(service web) has begun draining connections on 2 tasks.")}}
	s.observe(now, svc, want)
	if p, sleep := s.next(now, svc, want), 50*time.Second-s.margin(); p.delay != sleep {
		t.Fatalf("joined a drain 250 s in: %+v, want a sleep of %s", p, sleep)
	}
}

// A service without a load balancer whose previous rollout took ten
// minutes: the waiter reads that from the first answer's events (no call),
// sleeps long at first, polls more often towards the predicted start and
// backs off after it; a short previous rollout changes nothing.
func TestSchedulePlansALongStartFromThePreviousRollout(t *testing.T) {
	want := expectation{taskDefinition: "web:2", deploymentID: "ecs-svc/new", until: UntilDeployed}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	withHistory := func(took time.Duration) *ecstypes.Service {
		svc := rolloutService(0, 2, true)
		old := t0.Add(-time.Hour)
		svc.Deployments[1].CreatedAt = aws.Time(old)
		svc.Events = []ecstypes.ServiceEvent{
			{CreatedAt: aws.Time(old.Add(took)), Message: aws.String("(service web) (deployment ecs-svc/old) deployment completed.")},
			// Another deployment's completion says nothing of this one's.
			{CreatedAt: aws.Time(old.Add(-time.Hour)), Message: aws.String("(service web) (deployment ecs-svc/older) deployment completed.")},
		}
		return svc
	}
	s := newSchedule(time.Second, 5*time.Second, false)
	svc := withHistory(10 * time.Minute)
	s.observe(t0, svc, want)
	if s.prior != 10*time.Minute {
		t.Fatalf("prior = %s, want 10m", s.prior)
	}
	p := s.next(t0, svc, want)
	if p.delay != 200*time.Second || !strings.Contains(p.waitingFor, "the previous rollout took 10m0s") {
		t.Fatalf("first sleep: %+v, want 200 s and the previous rollout named", p)
	}
	if p = s.next(t0.Add(9*time.Minute), rolloutService(0, 2, true), want); p.delay != 20*time.Second {
		t.Fatalf("a minute before the predicted start: %+v, want 20 s", p)
	}
	if p = s.next(t0.Add(599*time.Second), rolloutService(0, 2, true), want); p.delay != 15*time.Second {
		t.Fatalf("at the predicted start: %+v, want the floor, 15 s", p)
	}
	if p = s.next(t0.Add(13*time.Minute), rolloutService(0, 2, true), want); p.delay != time.Minute {
		t.Fatalf("three minutes late: %+v, want 60 s", p)
	}

	// A blue/green service's previous rollout held a bake time: not a
	// prediction of its tasks' start.
	s = newSchedule(time.Second, 5*time.Second, false)
	bg := withHistory(10 * time.Minute)
	bg.DeploymentConfiguration = &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen}
	s.observe(t0, bg, want)
	if s.prior != 0 {
		t.Fatalf("blue/green: prior = %s, want none", s.prior)
	}

	// A previous rollout of 30 s: the blind back-off, within 5 s.
	s = newSchedule(time.Second, 5*time.Second, false)
	s.observe(t0, withHistory(30*time.Second), want)
	s.next(t0, withHistory(30*time.Second), want)
	if p = s.next(t0.Add(90*time.Second), rolloutService(0, 2, true), want); p.delay != 5*time.Second {
		t.Fatalf("short history: %+v, want 5 s", p)
	}
}
