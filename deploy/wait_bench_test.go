package deploy

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/doppio-ecs/doppio/tests/awsemu"
)

// virtualClock is the waiter's clock on the emulator's ManualClock: a sleep
// moves the emulator's time, so a 15-minute rollout runs in a moment and
// its timing is exact. Requests take no virtual time.
type virtualClock struct {
	mu sync.Mutex // one sleeper at a time, as in one waiter
	c  *awsemu.ManualClock
}

func (v *virtualClock) Now() time.Time { return v.c.Now() }

func (v *virtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v.mu.Lock()
	v.c.Advance(d)
	v.mu.Unlock()
	return nil
}

// rolloutScenario draws the emulator's phase lengths for one deploy.
type rolloutScenario struct {
	name string
	// drain is the target group's deregistration delay; 0: no load balancer.
	drain                            time.Duration
	provision, pending, stop, steady [2]float64 // seconds, uniform in [lo, hi)
	// slowStart: a service without a load balancer whose tasks take minutes
	// to start. Its previous rollout (one unmeasured deploy first) is all the
	// waiter can plan from; the exit latency target does not apply, the
	// figure is reported.
	slowStart bool
	// forget pushes the previous rollout out of the service's last 100
	// events before each deploy, as on a first deploy with doppio: the old
	// tasks' start times are what is left to plan from.
	forget bool
	// fromZero scales the service to 0 a minute before each deploy (and
	// forgets): no task runs; the tasks it stopped are still listed.
	fromZero bool
	// blind: fromZero, and the stopped tasks are gone too (the service was
	// scaled to 0 over an hour before, ECS lists them no longer): nothing
	// tells how long a start takes.
	blind bool
}

// overBudget: the first minute's blind polls (what a 10 s or 30 s rollout
// needs to exit within 1.5 s) and the deploy's own calls already come to
// about 25 before a long start is known to be long; a blind scenario
// reports its calls (docs/performance.md) instead of failing on the target.
func (s rolloutScenario) overBudget() bool { return s.blind }

func (s rolloutScenario) timings(rng *rand.Rand) awsemu.ECSTimings {
	u := func(r [2]float64) time.Duration {
		return time.Duration((r[0] + rng.Float64()*(r[1]-r[0])) * float64(time.Second))
	}
	return awsemu.ECSTimings{Provision: u(s.provision), Pending: u(s.pending), Stop: u(s.stop), SteadyState: u(s.steady), RunTask: 5 * time.Second}
}

// rolloutScenarios are the rollouts docs/performance.md reports: two
// without a load balancer (the end can follow the new tasks within
// seconds), the same two as first deploys (no previous rollout in the
// events: the waiter pays its read of the old tasks' start), three with a
// load balancer whose old tasks drain for the deregistration delay, and
// long starts without one. Phase lengths are random, never whole seconds.
var rolloutScenarios = []rolloutScenario{
	{name: "10s", provision: [2]float64{1, 3}, pending: [2]float64{3, 6}, stop: [2]float64{0.5, 2}, steady: [2]float64{0.5, 1.5}},
	{name: "30s", provision: [2]float64{3, 8}, pending: [2]float64{14, 22}, stop: [2]float64{1, 4}, steady: [2]float64{1, 3}},
	{name: "10s-first-deploy", provision: [2]float64{1, 3}, pending: [2]float64{3, 6}, stop: [2]float64{0.5, 2}, steady: [2]float64{0.5, 1.5}, forget: true},
	{name: "30s-first-deploy", provision: [2]float64{3, 8}, pending: [2]float64{14, 22}, stop: [2]float64{1, 4}, steady: [2]float64{1, 3}, forget: true},
	{name: "60s-drain", drain: 60 * time.Second, provision: [2]float64{3, 8}, pending: [2]float64{10, 25}, stop: [2]float64{0.5, 3}, steady: [2]float64{1, 3}},
	{name: "300s-drain", drain: 300 * time.Second, provision: [2]float64{5, 30}, pending: [2]float64{20, 60}, stop: [2]float64{0.5, 3}, steady: [2]float64{1, 3}},
	{name: "15min-300s-drain", drain: 300 * time.Second, provision: [2]float64{60, 120}, pending: [2]float64{400, 470}, stop: [2]float64{0.5, 3}, steady: [2]float64{1, 3}},
	{name: "8-10min-start-no-lb", provision: [2]float64{60, 120}, pending: [2]float64{420, 480}, stop: [2]float64{0.5, 3}, steady: [2]float64{1, 3}, slowStart: true},
	{name: "8-10min-start-no-lb-first-deploy", provision: [2]float64{60, 120}, pending: [2]float64{420, 480}, stop: [2]float64{0.5, 3}, steady: [2]float64{1, 3}, slowStart: true, forget: true},
	{name: "8-10min-start-no-lb-from-0", provision: [2]float64{60, 120}, pending: [2]float64{420, 480}, stop: [2]float64{0.5, 3}, steady: [2]float64{1, 3}, slowStart: true, fromZero: true},
	{name: "8-10min-start-no-lb-from-0-blind", provision: [2]float64{60, 120}, pending: [2]float64{420, 480}, stop: [2]float64{0.5, 3}, steady: [2]float64{1, 3}, slowStart: true, fromZero: true, blind: true},
}

// BenchmarkWaiterRollouts deploys 20 times per scenario against the
// emulator on a virtual clock, with the production poll schedule, and
// reports the most AWS calls of one deploy (every call: plan, register,
// update and wait) and the 95th percentile of the time from the emulator's
// "deployment completed" event to Deploy returning. It takes seconds:
//
//	go test ./deploy/ -run '^$' -bench WaiterRollouts -benchtime 1x
func BenchmarkWaiterRollouts(b *testing.B) {
	for _, sc := range rolloutScenarios {
		b.Run(sc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				runRolloutScenario(b, sc, 20)
			}
		})
	}
}

func runRolloutScenario(b *testing.B, sc rolloutScenario, deploys int) {
	clock := awsemu.NewManualClock(time.Time{})
	sd := serviceDef(2, true)
	f := newFixtureWith(b, clock, sd, sc.drain)
	emu, d := f.emu, f.d
	d.Reporter, d.MinInterval, d.MaxInterval = nil, 0, 0 // production intervals
	d.Clock = &virtualClock{c: clock}
	b.Setenv(PollIntervalEnv, "")
	rng := rand.New(rand.NewSource(int64(len(sc.name)) * 7919))
	var latencies, rollouts []time.Duration
	var calls []int
	var busiest string
	if sc.slowStart && !sc.blind {
		// The service's history: one rollout of the same kind before.
		emu.SetECSTimings(sc.timings(rng))
		if _, out, err := d.Deploy(context.Background(), f.spec(taskDef("nginx:warm-up", nil), sd), Options{}); err != nil || out.Class != Completed {
			b.Fatalf("warm-up deploy: %v %+v", err, out)
		}
		clock.Advance(time.Minute)
	}
	for i := 0; i < deploys; i++ {
		if sc.fromZero {
			scaleToZero(b, f)
			clock.Advance(time.Minute)
			if sc.blind {
				clock.Advance(time.Hour) // past the stopped tasks' listing
			}
		}
		if sc.forget || sc.fromZero {
			for range 100 {
				if err := emu.AppendServiceEvent("demo", "web", "(service web) has reached a steady state."); err != nil {
					b.Fatal(err)
				}
			}
		}
		emu.SetECSTimings(sc.timings(rng))
		mark := emu.Log.Len()
		start := clock.Now()
		_, out, err := d.Deploy(context.Background(), f.spec(taskDef(fmt.Sprintf("nginx:bench-%d", i), nil), sd), Options{})
		exit := clock.Now()
		if err != nil || out.Class != Completed {
			b.Fatalf("deploy %d: %v %+v", i, err, out)
		}
		steady := completedAt(b, emu)
		latencies = append(latencies, exit.Sub(steady))
		rollouts = append(rollouts, steady.Sub(start))
		reqs := emu.Log.Since(mark)
		if len(calls) == 0 || len(reqs) > max(calls[0], calls[len(calls)-1]) {
			ops := map[string]int{}
			for _, r := range reqs {
				ops[r.Operation]++
			}
			busiest = fmt.Sprint(ops)
		}
		calls = append(calls, len(reqs))
		// The next deploy starts from a steady service, a minute later.
		clock.Advance(time.Minute)
	}
	sorted := append([]time.Duration{}, latencies...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	p95 := sorted[(len(sorted)*95+99)/100-1]
	maxCalls, sumCalls := 0, 0
	for _, c := range calls {
		maxCalls, sumCalls = max(maxCalls, c), sumCalls+c
	}
	longest := time.Duration(0)
	for _, r := range rollouts {
		longest = max(longest, r)
	}
	b.ReportMetric(float64(maxCalls), "aws-calls-max")
	b.ReportMetric(float64(sumCalls)/float64(len(calls)), "aws-calls-mean")
	b.ReportMetric(p95.Seconds(), "s-exit-latency-p95")
	b.ReportMetric(sorted[len(sorted)-1].Seconds(), "s-exit-latency-max")
	b.ReportMetric(longest.Seconds(), "s-rollout-max")
	b.Logf("%s: rollouts %v\nexit latencies %v\nAWS calls per deploy %v\na busy deploy's calls: %s", sc.name, rollouts, latencies, calls, busiest)
	if p95 > 1500*time.Millisecond && !sc.slowStart {
		b.Errorf("%s: p95 exit latency %s > 1.5 s", sc.name, p95)
	}
	if maxCalls > 25 && !sc.overBudget() {
		b.Errorf("%s: %d AWS calls for one deploy > 25", sc.name, maxCalls)
	}
}

// scaleToZero sets the service's desired count to 0, as a user would.
func scaleToZero(t testing.TB, f *fixture) {
	t.Helper()
	if _, err := f.d.ECS.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String("demo"), Service: aws.String("web"), DesiredCount: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
}

// completedAt is the time of the service's newest "deployment completed"
// event: when the emulator's rollout ended.
func completedAt(t testing.TB, emu *awsemu.Emulator) time.Time {
	t.Helper()
	svc, _ := emu.ECSService("demo", "web")
	for _, ev := range svc.Events {
		if strings.Contains(aws.ToString(ev.Message), "deployment completed") {
			return aws.ToTime(ev.CreatedAt)
		}
	}
	t.Fatal("no deployment completed event")
	return time.Time{}
}
