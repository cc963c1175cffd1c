package deploy

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/doppio-ecs/doppio/tests/awsemu"
)

// tracedECS records, on the waiter's virtual clock, when the deploy's
// UpdateService was answered and each later DescribeServices asked and
// answered. registerWait holds RegisterTaskDefinition that long first, as
// the ECS bucket (1 a second) holds the 50th service of a fleet.
type tracedECS struct {
	ECSAPI
	clock        *virtualClock
	registerWait time.Duration
	updated      time.Time
	polls        [][2]time.Time // asked, answered
}

func (e *tracedECS) RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	_ = e.clock.Sleep(ctx, e.registerWait)
	return e.ECSAPI.RegisterTaskDefinition(ctx, in, optFns...)
}

func (e *tracedECS) UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, optFns ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	out, err := e.ECSAPI.UpdateService(ctx, in, optFns...)
	e.updated = e.clock.Now()
	return out, err
}

func (e *tracedECS) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	asked := e.clock.Now()
	out, err := e.describe(ctx, in, optFns...)
	if !e.updated.IsZero() {
		e.polls = append(e.polls, [2]time.Time{asked, e.clock.Now()})
	}
	return out, err
}

func (e *tracedECS) describe(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	return e.ECSAPI.DescribeServices(ctx, in, optFns...)
}

// sharedECS is tracedECS behind a batcher's rounds (deploy.SharedPolls):
// every other poll waits a whole round before it is sent, the most a round
// can hold it; the others find their round going out at once.
type sharedECS struct {
	*tracedECS
	round time.Duration
	n     int
}

func (s *sharedECS) PollRound() time.Duration { return s.round }

func (s *sharedECS) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	asked := s.clock.Now()
	if !s.updated.IsZero() {
		if s.n%2 == 0 {
			_ = s.clock.Sleep(ctx, s.round)
		}
		s.n++
	}
	out, err := s.describe(ctx, in, optFns...)
	if !s.updated.IsZero() {
		s.polls = append(s.polls, [2]time.Time{asked, s.clock.Now()})
	}
	return out, err
}

// wrapped hides an API behind a wrapper that only unwraps, as fleet's
// RegisterOnce does.
type wrapped struct{ ECSAPI }

func (w wrapped) Unwrap() ECSAPI { return w.ECSAPI }

// tracedDeploy deploys web:2 of a service without a load balancer whose new
// task starts 40.3 s after its UpdateService and whose rollout then ends
// 2.2 s later (old task stopped, steady state), with the production poll
// schedule on a virtual clock; wrap puts the deploy's ECS client behind
// what the test compares. It returns the trace, the emulator's "deployment
// completed" and Deploy's return.
func tracedDeploy(t *testing.T, registerWait time.Duration, wrap func(*tracedECS) ECSAPI) (tr *tracedECS, completed, returned time.Time) {
	t.Helper()
	clock := awsemu.NewManualClock(time.Time{})
	sd := serviceDef(1, true)
	f := newFixtureWith(t, clock, sd, 0)
	f.emu.SetECSTimings(awsemu.ECSTimings{Provision: 1100 * time.Millisecond, Pending: 39200 * time.Millisecond, Stop: 1100 * time.Millisecond,
		SteadyState: 1100 * time.Millisecond, RunTask: 5 * time.Second})
	t.Setenv(PollIntervalEnv, "")
	vc := &virtualClock{c: clock}
	f.d.Reporter, f.d.MinInterval, f.d.MaxInterval, f.d.Clock = nil, 0, 0, vc
	tr = &tracedECS{ECSAPI: f.d.ECS, clock: vc, registerWait: registerWait}
	f.d.ECS = wrap(tr)
	_, out, err := f.d.Deploy(context.Background(), f.spec(taskDef("nginx:2", nil), sd), Options{})
	if err != nil || out.Class != Completed {
		t.Fatalf("deploy: %v %+v", err, out)
	}
	return tr, completedAt(t, f.emu), clock.Now()
}

// answers lists when the polls were answered, after the UpdateService
// answer.
func (e *tracedECS) answers() []time.Duration {
	var s []time.Duration
	for _, p := range e.polls {
		s = append(s, p[1].Sub(e.updated))
	}
	return s
}

// A waiter whose deploy waited 40 s for its registration (the 40th service
// of a fleet in ECS's RegisterTaskDefinition bucket) plans its polls from
// its own UpdateService answer: the starting phase begins at its 2 s floor,
// as for a deploy that did not wait.
func TestWaiterScheduleStartsAtTheUpdate(t *testing.T) {
	queued, _, _ := tracedDeploy(t, 40*time.Second, func(e *tracedECS) ECSAPI { return e })
	at := queued.answers()
	if len(at) < 3 || at[0] != 2*time.Second || at[1] != 4*time.Second || at[2] != 6*time.Second {
		t.Fatalf("polls after a 40 s wait for the registration, in s after the update: %v; want 2, 4, 6, ... as without the wait", at)
	}
	direct, _, _ := tracedDeploy(t, 0, func(e *tracedECS) ECSAPI { return e })
	if got, want := len(queued.polls), len(direct.polls); got != want {
		t.Errorf("%d polls after a queued registration, %d without: the queue must not change the schedule", got, want)
	}
}

// Behind a batcher (shared polls, found through a wrapper), each poll is
// asked a round before its planned time, so the round's wait does not add
// to it: an answer comes at most the planned interval after the previous
// one, whether its round came at once or a round later. And the start of a
// service without a load balancer is polled at the 2 s floor instead of
// backing off to 5 s, so a rollout that ends 2 s after its task runs is
// seen within a second. The same deploy alone keeps its back-off.
func TestSharedPollsKeepThePlannedTime(t *testing.T) {
	const round = 500 * time.Millisecond
	shared, completed, returned := tracedDeploy(t, 0, func(e *tracedECS) ECSAPI { return wrapped{&sharedECS{tracedECS: e, round: round}} })
	at := shared.answers()
	var gaps []time.Duration
	prev := time.Duration(0) // the UpdateService answer
	for _, d := range at {
		if d-prev > 2*time.Second {
			gaps = append(gaps, d-prev)
		}
		prev = d
	}
	if len(gaps) > 0 {
		t.Errorf("gaps of %v between answers: shared polls of a starting service without a load balancer are planned every 2 s, and every other one waited %s for its round; answers %v after the update", gaps, round, at)
	}
	if late := returned.Sub(completed); late > time.Second {
		t.Errorf("returned %s after the deployment completed, want ≤ 1 s; polls %v", late, at)
	}

	alone, completed, returned := tracedDeploy(t, 0, func(e *tracedECS) ECSAPI { return e })
	if len(alone.polls) >= len(shared.polls) {
		t.Errorf("alone %d polls, shared %d: a lone waiter must keep backing off", len(alone.polls), len(shared.polls))
	}
	if late := returned.Sub(completed); late <= time.Second {
		t.Errorf("alone: returned %s after the deployment completed: the scenario no longer shows the lone back-off's overshoot, so it tests nothing (polls %v)", late, alone.answers())
	}
}
