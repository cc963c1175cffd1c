package deploy

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/render"
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
	if p := s.next(t0.Add(50*time.Second), rolloutService(0, 2, true), want); p.delay != 5*time.Second {
		t.Fatalf("start after 50 s: %+v, want 5 s", p)
	}
	if p := s.next(t0.Add(5*time.Minute), rolloutService(1, 2, true), want); p.delay != 75*time.Second {
		t.Fatalf("slow start after 5 min: %+v, want a quarter of it, 75 s", p)
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
	if p = s.next(t0.Add(50*time.Second), rolloutService(0, 2, true), want); p.delay != 5*time.Second {
		t.Fatalf("short history: %+v, want 5 s", p)
	}
}

// After the first minute, a start that nothing predicts backs off by a
// quarter of the time spent, so its polls grow with the log of its length;
// the first minute keeps the short rollouts' intervals, and a failing task
// (the circuit breaker may trip) keeps the interval short.
func TestScheduleBlindBackoffGrowsWithTheTimeSpent(t *testing.T) {
	want := expectation{taskDefinition: "web:2", deploymentID: "ecs-svc/new", until: UntilDeployed}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newSchedule(time.Second, 5*time.Second, false)
	s.observe(t0, rolloutService(0, 0, true), want)
	s.next(t0, rolloutService(0, 0, true), want)
	for _, c := range []struct {
		in, delay time.Duration
	}{{3 * time.Second, 2 * time.Second}, {12 * time.Second, 4 * time.Second}, {59 * time.Second, 5 * time.Second},
		{90 * time.Second, 22500 * time.Millisecond}, {10 * time.Minute, 150 * time.Second}} {
		p := s.next(t0.Add(c.in), rolloutService(0, 0, true), want)
		if p.delay != c.delay || p.waitingFor != "new tasks to start (0/2 running)" {
			t.Errorf("after %s: %+v, want %s", c.in, p, c.delay)
		}
	}
	failing := rolloutService(0, 0, true)
	failing.Deployments[0].FailedTasks = 1
	if p := s.next(t0.Add(11*time.Minute), failing, want); p.delay != 15*time.Second {
		t.Errorf("with a failed task: %+v, want 15 s", p)
	}
}

// With no previous rollout known, a start without a load balancer reads
// once, at its first answer, how long the service's old tasks took to start
// (the running ones; with none running, those ECS still lists as stopped),
// and plans from it as from a previous rollout, from the first sleep on
// (behind shared polls, after sharedLearnAfter). It does not read with a previous rollout known, behind a load balancer, for
// a service our deployment created, under PollIntervalEnv's cap, or for a
// blue/green rollout; an answer it cannot use leaves the blind back-off.
func TestScheduleLearnsTheStartFromTheServicesTasks(t *testing.T) {
	want := expectation{taskDefinition: "web:2", deploymentID: "ecs-svc/new", until: UntilDeployed}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type read struct{ status ecstypes.DesiredStatus }
	start := func(svc *ecstypes.Service, took time.Duration, tune func(*schedule)) (*schedule, *[]read, plan) {
		s := newSchedule(time.Second, 5*time.Second, false)
		reads := &[]read{}
		s.readStarts = func(ours *ecstypes.Deployment, status ecstypes.DesiredStatus) time.Duration {
			if aws.ToString(ours.Id) != "ecs-svc/new" {
				t.Errorf("read for deployment %s", aws.ToString(ours.Id))
			}
			*reads = append(*reads, read{status})
			return took
		}
		if tune != nil {
			tune(s)
		}
		s.observe(t0, svc, want)
		return s, reads, s.next(t0, svc, want)
	}

	svc := rolloutService(0, 2, true)
	s, reads, p := start(svc, 9*time.Minute, nil)
	if len(*reads) != 1 || (*reads)[0].status != ecstypes.DesiredStatusRunning {
		t.Fatalf("first answer: reads %+v; want one of the RUNNING tasks at the first answer", *reads)
	}
	if p.delay != 180*time.Second || !strings.Contains(p.waitingFor, "the running tasks took 9m0s to start") {
		t.Fatalf("first answer: %+v; want a third of the 9 min left and the tasks' start named", p)
	}
	if p = s.next(t0.Add(5*time.Minute), svc, want); len(*reads) != 1 || p.delay != 80*time.Second {
		t.Fatalf("later: %d reads, %+v; want still one read and 80 s", len(*reads), p)
	}

	// No old task running (scaled from 0): the stopped ones tell.
	fromZero := rolloutService(0, 0, true)
	_, reads, p = start(fromZero, 9*time.Minute, nil)
	if len(*reads) != 1 || (*reads)[0].status != ecstypes.DesiredStatusStopped {
		t.Fatalf("from 0: reads %+v; want one of the STOPPED tasks", *reads)
	}
	if p.delay != 180*time.Second || !strings.Contains(p.waitingFor, "the service's recently stopped tasks took 9m0s to start") {
		t.Fatalf("from 0: %+v; want a third of the 9 min left and the stopped tasks named", p)
	}

	// Behind shared polls the early polls cost shares of rounds: the read
	// waits until the start has lasted sharedLearnAfter.
	s, reads, _ = start(svc, 9*time.Minute, func(s *schedule) { s.learnAfter = sharedLearnAfter })
	if s.next(t0.Add(44*time.Second), svc, want); len(*reads) != 0 {
		t.Fatalf("shared, before %s: %d reads, want none", sharedLearnAfter, len(*reads))
	}
	if p := s.next(t0.Add(54*time.Second), svc, want); len(*reads) != 1 || p.delay != 162*time.Second {
		t.Fatalf("shared, after %s: %d reads, %+v; want one read and a third of the 8m06s left", sharedLearnAfter, len(*reads), p)
	}

	// An answer that cannot be used (no permission, no task with both
	// times): read once, then the blind back-off.
	s, reads, _ = start(svc, 0, nil)
	s.next(t0.Add(50*time.Second), svc, want)
	if p := s.next(t0.Add(90*time.Second), svc, want); len(*reads) != 1 || p.delay != 22500*time.Millisecond {
		t.Fatalf("nothing learnt: %d reads, %+v; want one read and the blind 22.5 s", len(*reads), p)
	}

	withPrior := rolloutService(0, 2, true)
	withPrior.Deployments[1].CreatedAt = aws.Time(t0.Add(-time.Hour))
	withPrior.Events = []ecstypes.ServiceEvent{{CreatedAt: aws.Time(t0.Add(-time.Hour + 30*time.Second)), Message: aws.String("(service web) (deployment ecs-svc/old) deployment completed.")}}
	blueGreen := rolloutService(0, 2, true)
	blueGreen.DeploymentConfiguration = &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen}
	created := rolloutService(0, 0, false)
	created.CreatedAt = aws.Time(t0.Add(-2 * time.Second))
	created.Deployments[0].CreatedAt = aws.Time(t0.Add(-1500 * time.Millisecond))
	for _, c := range []struct {
		name string
		svc  *ecstypes.Service
		tune func(*schedule)
	}{
		{"a previous rollout known", withPrior, nil},
		{"a load balancer", svc, func(s *schedule) { s.drain = 300 * time.Second }},
		{"a service our deployment created", created, nil},
		{"capped", svc, func(s *schedule) { s.capped = true }},
		{"blue/green", blueGreen, nil},
	} {
		s, reads, _ := start(c.svc, 9*time.Minute, c.tune)
		s.next(t0.Add(50*time.Second), c.svc, want)
		s.next(t0.Add(90*time.Second), c.svc, want)
		if len(*reads) != 0 {
			t.Errorf("%s: %d reads, want none", c.name, len(*reads))
		}
	}
}

// The start learnt is the upper median of the old tasks' createdAt to
// startedAt: our deployment's tasks and tasks that never started do not
// count, and one outlier cannot move it.
func TestUpperMedianStart(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	task := func(by string, took time.Duration) ecstypes.Task {
		tk := ecstypes.Task{StartedBy: aws.String(by), CreatedAt: aws.Time(t0)}
		if took > 0 {
			tk.StartedAt = aws.Time(t0.Add(took))
		}
		return tk
	}
	for _, c := range []struct {
		name  string
		tasks []ecstypes.Task
		want  time.Duration
	}{
		{"two", []ecstypes.Task{task("ecs-svc/old", 8*time.Minute), task("ecs-svc/old", 9*time.Minute)}, 9 * time.Minute},
		{"an outlier of three", []ecstypes.Task{task("ecs-svc/old", 9*time.Minute), task("ecs-svc/old", 40*time.Minute), task("ecs-svc/old", 8*time.Minute)}, 9 * time.Minute},
		{"a cached image of three", []ecstypes.Task{task("ecs-svc/old", 9*time.Minute), task("ecs-svc/old", 5*time.Second), task("ecs-svc/old", 8*time.Minute)}, 8 * time.Minute},
		{"ours and unstarted ones left out", []ecstypes.Task{task("ecs-svc/new", 20*time.Second), task("ecs-svc/new", 30*time.Second), task("ecs-svc/old", 0), task("ecs-svc/old", 7*time.Minute)}, 7 * time.Minute},
		{"none", []ecstypes.Task{task("ecs-svc/new", 20*time.Second)}, 0},
	} {
		if got := upperMedianStart(c.tasks, "ecs-svc/new"); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// A first deploy of a service whose tasks take nine minutes to start, its
// previous rollout no longer in the events: the waiter reads, at its first
// answer, the running tasks' start once (ListTasks, DescribeTasks), says so
// while it sleeps, and polls far less than the blind back-off. Without the permission it does
// without, and the deploy still completes.
func TestWaiterLearnsALongStartFromTheRunningTasks(t *testing.T) {
	for _, denied := range []bool{false, true} {
		f, sd := longStartService(t)
		emu, d, clock := f.emu, f.d, f.clock.(*awsemu.ManualClock)
		clock.Advance(time.Hour)
		forgetRollouts(t, f)
		if denied {
			emu.SetFault("ECS.ListTasks", awsemu.Fault{DenyRate: 1})
		}
		f.events.mu.Lock()
		f.events.events = nil
		f.events.mu.Unlock()
		mark := emu.Log.Len()
		if _, out, err := d.Deploy(context.Background(), f.spec(taskDef("nginx:3", nil), sd), Options{}); err != nil || out.Class != Completed {
			t.Fatalf("denied %v: %v %+v", denied, err, out)
		}
		lists, describes, polls := 0, successes(emu, mark, "DescribeTasks"), successes(emu, mark, "DescribeServices")
		for _, r := range emu.Log.Since(mark) {
			if r.Operation == "ListTasks" {
				lists++
			}
		}
		named := strings.Contains(f.events.text(), "the running tasks took 9m0s to start; next check in")
		if denied {
			// The blind back-off's long sleeps still say what the rollout
			// waits for and when it looks next (a quarter of the time spent).
			blind := strings.Contains(f.events.text(), "new tasks to start (0/2 running); next check in 1m")
			if lists != 1 || describes != 0 || named || polls < 25 || !blind {
				t.Errorf("denied: %d ListTasks, %d DescribeTasks, %d polls, tasks' start named %v, blind sleeps reported %v; want one refused list and the blind back-off\n%s", lists, describes, polls, named, blind, f.events.text())
			}
			continue
		}
		if lists != 1 || describes != 1 || !named || polls > 13 {
			t.Errorf("%d ListTasks, %d DescribeTasks, %d DescribeServices, tasks' start named %v; want 1, 1, at most 13 and the start named\n%s", lists, describes, polls, named, f.events.text())
		}
	}
}

// An emulator run at --speed 20 drains a 300 s delay in 15 s of ours: the
// waiter sees from the Date of successive answers that the service's clock
// runs faster and bounds the drain's sleep by that rate, even though
// nothing in the answers changed since the drain began. A clock that is
// only ahead, and answers without a Date, keep the service's time as ours.
func TestScheduleBoundsADrainByAFasterServerClock(t *testing.T) {
	want := expectation{taskDefinition: "web:2", deploymentID: "ecs-svc/new", until: UntilDeployed}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s0 := t0.Add(time.Hour) // the service's clock is also an hour ahead
	run := func(speed float64, dated bool) (*schedule, plan) {
		s := newSchedule(time.Second, 5*time.Second, false)
		s.drain = 300 * time.Second
		date := func(ours time.Duration) time.Time {
			if !dated {
				return time.Time{}
			}
			return s0.Add(time.Duration(float64(ours) * speed)).Truncate(time.Second)
		}
		first := rolloutService(0, 2, true)
		first.Deployments[0].CreatedAt = aws.Time(s0)
		s.served(t0, date(0))
		s.observe(t0, first, want)
		s.next(t0, first, want)
		// 5 s of ours later: our tasks run, and the old ones began
		// draining 3 s of the service's after our deployment began.
		now, drainAt := t0.Add(5*time.Second), s0.Add(3*time.Second)
		draining := rolloutService(2, 0, true)
		draining.Deployments[0].CreatedAt = aws.Time(s0)
		draining.Events = []ecstypes.ServiceEvent{{CreatedAt: aws.Time(drainAt), Message: aws.String("(service web) has begun draining connections on 2 tasks.")}}
		s.served(now, date(5*time.Second))
		s.observe(now, draining, want)
		return s, s.next(now, draining, want)
	}
	s, p := run(20, true)
	rate := 99.0 / 5                                       // 100 s of the service's, less the Date's rounding, in 5 s
	left := time.Duration(float64(204*time.Second) / rate) // from 99 s, the rate's bound, to the drain's end at 303 s
	if p.delay != left-s.margin() || s.rate != rate {
		t.Fatalf("speed 20: rate %.2f, %+v; want rate %.2f and a sleep of %s", s.rate, p, rate, left-s.margin())
	}
	if end := t0.Add(5*time.Second + left).Local().Format("15:04:05"); !strings.Contains(p.waitingFor, end) {
		t.Errorf("speed 20: %q does not name our time of the drain's end, %s", p.waitingFor, end)
	}
	// While the new tasks start, the intervals that follow from the drain
	// (up to 4/5 of it) are of the service's clock too: 12 s of ours.
	starting := newSchedule(time.Second, 5*time.Second, false)
	starting.drain = 300 * time.Second
	starting.served(t0, s0)
	starting.next(t0, rolloutService(0, 2, true), want)
	starting.served(t0.Add(5*time.Second), s0.Add(101*time.Second)) // rate 20
	if p := starting.next(t0.Add(30*time.Second), rolloutService(0, 2, true), want); starting.rate != 20 || p.delay != 12*time.Second {
		t.Errorf("starting at speed 20: rate %.2f, %+v; want 4/5 of the drain on our clock, 12 s", starting.rate, p)
	}

	// A start planned from the previous rollout (10 min of the service's
	// clock, 30 s of ours): a third of the 25 s left after 5 s.
	planned := newSchedule(time.Second, 5*time.Second, false)
	planned.prior = 10 * time.Minute
	planned.served(t0, s0)
	planned.next(t0, rolloutService(0, 2, true), want)
	planned.served(t0.Add(5*time.Second), s0.Add(101*time.Second))
	if p := planned.next(t0.Add(5*time.Second), rolloutService(0, 2, true), want); p.delay != 25*time.Second/3 {
		t.Errorf("planned start at speed 20: %+v, want a third of the 25 s left", p)
	}

	// With one dated answer only, the drain's sleep ends when a second
	// can tell the rate.
	one := newSchedule(time.Second, 5*time.Second, false)
	one.drain = 300 * time.Second
	draining := rolloutService(2, 0, true)
	draining.Events = []ecstypes.ServiceEvent{{CreatedAt: aws.Time(t0), Message: aws.String("(service web) has begun draining connections on 2 tasks.")}}
	one.served(t0.Add(time.Second), t0.Add(time.Second))
	one.observe(t0.Add(time.Second), draining, want)
	if p := one.next(t0.Add(time.Second), draining, want); p.delay != rateAfter || !strings.Contains(p.waitingFor, "deregistration delay 5m0s") {
		t.Errorf("one dated answer: %+v, want a sleep until rateAfter after it", p)
	}
	for _, c := range []struct {
		name  string
		speed float64
		dated bool
	}{{"ahead only", 1, true}, {"no Date", 20, false}} {
		if s, p := run(c.speed, c.dated); s.rate != 0 || p.delay < 290*time.Second {
			t.Errorf("%s: rate %.2f, %+v; want the service's time taken as ours (a sleep of nearly the 297 s left)", c.name, s.rate, p)
		}
	}
}

// fastServer is the waiter's clock against an emulator run at --speed: a
// second of ours is speed seconds of the emulator's.
type fastServer struct {
	mu    sync.Mutex
	emu   *awsemu.ManualClock
	ours  time.Time
	speed float64
}

func (f *fastServer) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ours
}

func (f *fastServer) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	f.ours = f.ours.Add(d)
	f.emu.Advance(time.Duration(float64(d) * f.speed))
	f.mu.Unlock()
	return nil
}

// Against an emulator at --speed 20 a 300 s deregistration delay lasts 15 s
// of ours: the deploy returns within seconds of that, not after 300 s.
func TestDeployAgainstAFasterServerClock(t *testing.T) {
	f, sd, clock := productionFixture(t, 300*time.Second)
	fast := &fastServer{emu: clock, ours: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), speed: 20}
	f.d.Clock = fast
	start, began := fast.Now(), clock.Now()
	if _, out, err := f.d.Deploy(context.Background(), f.spec(taskDef("nginx:2", nil), sd), Options{}); err != nil || out.Class != Completed {
		t.Fatalf("%v %+v", err, out)
	}
	if took, rollout := fast.Now().Sub(start), completedAt(t, f.emu).Sub(began); took > rollout/20+5*time.Second {
		t.Errorf("the deploy took %s of ours for a rollout of %s of the server's (%s of ours at speed 20)", took, rollout, rollout/20)
	}
}

// A deploy of a service scaled to 0 a minute before, its previous rollout
// no longer in the events: no task runs, but ECS still lists the stopped
// ones (for about an hour), whose createdAt to startedAt tell the start.
// The waiter lists them (ListTasks STOPPED) and describes them: the same
// two calls as with running tasks, and the polls of a known start. An hour
// later they are gone: one empty list, and the blind back-off.
func TestWaiterLearnsALongStartFromTheStoppedTasks(t *testing.T) {
	for _, gone := range []bool{false, true} {
		f, sd := longStartService(t)
		emu, d, clock := f.emu, f.d, f.clock.(*awsemu.ManualClock)
		scaleToZero(t, f)
		clock.Advance(time.Minute)
		if gone {
			clock.Advance(time.Hour)
		}
		forgetRollouts(t, f)
		f.events.mu.Lock()
		f.events.events = nil
		f.events.mu.Unlock()
		mark := emu.Log.Len()
		if _, out, err := d.Deploy(context.Background(), f.spec(taskDef("nginx:3", nil), sd), Options{}); err != nil || out.Class != Completed {
			t.Fatalf("gone %v: %v %+v", gone, err, out)
		}
		var lists []string
		for _, r := range emu.Log.Since(mark) {
			if r.Operation == "ListTasks" {
				lists = append(lists, string(r.Members["desiredStatus"]))
			}
		}
		describes, polls := successes(emu, mark, "DescribeTasks"), successes(emu, mark, "DescribeServices")
		named := strings.Contains(f.events.text(), "the service's recently stopped tasks took 9m0s to start; next check in")
		if gone {
			if len(lists) != 1 || lists[0] != `"STOPPED"` || describes != 0 || named || polls < 25 {
				t.Errorf("stopped tasks gone: ListTasks %v, %d DescribeTasks, %d polls, start named %v; want one empty list and the blind back-off\n%s", lists, describes, polls, named, f.events.text())
			}
			continue
		}
		if len(lists) != 1 || lists[0] != `"STOPPED"` || describes != 1 || !named || polls > 13 {
			t.Errorf("ListTasks %v, %d DescribeTasks, %d DescribeServices, start named %v; want one of the STOPPED tasks, one describe, at most 13 polls and the start named\n%s", lists, describes, polls, named, f.events.text())
		}
	}
}

// longStartService is a service without a load balancer on a virtual
// clock, production poll intervals, whose one rollout so far took nine
// minutes to start its tasks.
func longStartService(t *testing.T) (*fixture, *render.ServiceDefinition) {
	t.Helper()
	f, sd, clock := productionFixture(t, 0)
	f.d.Clock = &virtualClock{c: clock}
	f.emu.SetECSTimings(awsemu.ECSTimings{Provision: 70 * time.Second, Pending: 470 * time.Second, Stop: time.Second, SteadyState: time.Second, RunTask: time.Second})
	if _, out, err := f.d.Deploy(context.Background(), f.spec(taskDef("nginx:2", nil), sd), Options{}); err != nil || out.Class != Completed {
		t.Fatalf("first rollout: %v %+v", err, out)
	}
	return f, sd
}

// forgetRollouts pushes the service's rollouts out of its last 100 events,
// as on a first deploy with doppio.
func forgetRollouts(t testing.TB, f *fixture) {
	t.Helper()
	for range 100 {
		if err := f.emu.AppendServiceEvent("demo", "web", "(service web) has reached a steady state."); err != nil {
			t.Fatal(err)
		}
	}
}

// virtualDeadline is a context whose deadline is on the emulator's virtual
// clock: the clock's sleep that reaches it ends the context, with
// context.DeadlineExceeded, as a --timeout does in real time.
type virtualDeadline struct {
	context.Context
	at   time.Time
	done chan struct{}
	once sync.Once
}

func (v *virtualDeadline) Deadline() (time.Time, bool) { return v.at, true }
func (v *virtualDeadline) Done() <-chan struct{}       { return v.done }
func (v *virtualDeadline) Err() error {
	select {
	case <-v.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// deadlineClock advances the virtual clock, up to the deadline at most.
type deadlineClock struct {
	virtualClock
	ctx *virtualDeadline
}

func (c *deadlineClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if left := c.ctx.at.Sub(c.Now()); d >= left {
		c.virtualClock.Sleep(ctx, left)
		c.ctx.once.Do(func() { close(c.ctx.done) })
		return context.DeadlineExceeded
	}
	return c.virtualClock.Sleep(ctx, d)
}

// A timeout that comes while the old tasks drain for the target groups'
// deregistration delay is the drain's: the next step names the drain and
// when it ends, and advises a longer --timeout or a shorter delay, not the
// new tasks' health check grace period (they run).
func TestTimeoutDuringADrainNamesTheDrain(t *testing.T) {
	f, sd, clock := productionFixture(t, 40*time.Second)
	f.emu.SetECSTimings(awsemu.ECSTimings{Provision: 2 * time.Second, Pending: 3 * time.Second, Stop: time.Second, SteadyState: time.Second, RunTask: time.Second})
	ctx := &virtualDeadline{Context: context.Background(), at: clock.Now().Add(12 * time.Second), done: make(chan struct{})}
	f.d.Clock = &deadlineClock{virtualClock: virtualClock{c: clock}, ctx: ctx}
	_, out, err := f.d.Deploy(ctx, f.spec(taskDef("nginx:2", nil), sd), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Class != Timeout || out.Explanation == nil {
		t.Fatalf("outcome %s (%s), want a timeout explained\n%s", out.Class, out.Reason, f.events.text())
	}
	svc, _ := f.emu.ECSService("demo", "web")
	var began time.Time
	for _, ev := range svc.Events {
		if strings.Contains(aws.ToString(ev.Message), drainEvent) {
			began = aws.ToTime(ev.CreatedAt)
		}
	}
	if began.IsZero() {
		t.Fatalf("the emulator reported no drain\n%s", f.events.text())
	}
	next := out.Explanation.NextStep()
	for _, w := range []string{
		"draining connections until about " + began.Add(40*time.Second).Local().Format("15:04:05"),
		"deregistration delay, 40s, from " + began.Local().Format("15:04:05"),
		"give --timeout more than the drain", "deregistration_delay.timeout_seconds",
	} {
		if !strings.Contains(next, w) {
			t.Errorf("next step %q lacks %q", next, w)
		}
	}
	if strings.Contains(next, "healthCheckGracePeriodSeconds") {
		t.Errorf("next step %q blames the new tasks' health checks", next)
	}
}

// productionFixture is a service (behind a target group whose
// deregistration delay is drain, if not 0) on a manual clock, waited for
// with the production poll intervals.
func productionFixture(t *testing.T, drain time.Duration) (*fixture, *render.ServiceDefinition, *awsemu.ManualClock) {
	t.Helper()
	clock := awsemu.NewManualClock(time.Time{})
	sd := serviceDef(2, true)
	f := newFixtureWith(t, clock, sd, drain)
	f.d.MinInterval, f.d.MaxInterval = 0, 0
	t.Setenv(PollIntervalEnv, "")
	return f, sd, clock
}

// The drain's advice holds while the drain runs and 30 s after its end, for
// a rolling rollout only: later something else holds the old tasks, and a
// blue/green rollout keeps them for its bake.
func TestDrainAdviceOnlyWhileTheDrainHolds(t *testing.T) {
	want := expectation{taskDefinition: "web:2", deploymentID: "ecs-svc/new", until: UntilDeployed}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	draining := func(bg bool) *ecstypes.Service {
		svc := rolloutService(2, 0, true)
		svc.Deployments[0].CreatedAt = aws.Time(t0)
		svc.Events = []ecstypes.ServiceEvent{{CreatedAt: aws.Time(t0.Add(10 * time.Second)), Message: aws.String("(service web) has begun draining connections on 2 tasks.")}}
		if bg {
			svc.DeploymentConfiguration = &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen}
		}
		return svc
	}
	for _, c := range []struct {
		name   string
		bg     bool
		at     time.Duration
		advice bool
	}{
		{"during the drain", false, 30 * time.Second, true},
		{"just after its end", false, 75 * time.Second, true},
		{"long after its end", false, 90 * time.Second, false},
		{"blue/green", true, 30 * time.Second, false},
	} {
		s := newSchedule(time.Second, 5*time.Second, false)
		s.drain = 40 * time.Second
		svc := draining(c.bg)
		s.observe(t0.Add(20*time.Second), svc, want)
		s.next(t0.Add(20*time.Second), svc, want)
		got := s.drainAdvice(t0.Add(c.at))
		if c.advice != (got != "") || c.advice && !strings.Contains(got, "until about "+t0.Add(50*time.Second).Local().Format("15:04:05")) {
			t.Errorf("%s: advice %q, want one: %v", c.name, got, c.advice)
		}
	}
}
