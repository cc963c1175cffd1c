package deploy

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/doppio-ecs/doppio/tests/awsemu"
)

// BenchmarkDeployExitLatency deploys against the emulator in real time with
// a rollout of about 30 s (tasks provision 5 s, pull 20 s, old tasks drain
// 3 s, steady after 2 s) and the production poll intervals (1 s to 5 s). It
// reports the median time from the emulator reaching steady state (the
// "deployment completed" event) to Deploy returning, and the AWS calls of one
// deploy. Each iteration takes ~30 s of wall time: run it with
//
//	go test ./deploy/ -run '^$' -bench DeployExitLatency -benchtime 3x
func BenchmarkDeployExitLatency(b *testing.B) {
	clock := awsemu.NewRealClock(1)
	f := newFixture(b, clock, true)
	f.emu.SetECSTimings(awsemu.ECSTimings{
		Provision: 5 * time.Second, Pending: 20 * time.Second, Stop: 3 * time.Second,
		RunTask: 5 * time.Second, SteadyState: 2 * time.Second,
	})
	f.d.MinInterval, f.d.MaxInterval = 0, 0 // production intervals
	b.Setenv(PollIntervalEnv, "")
	var latencies []time.Duration
	var calls []int
	var rollouts []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mark := f.emu.Log.Len()
		start := clock.Now()
		_, out, err := f.d.Deploy(context.Background(), f.spec(taskDef(fmt.Sprintf("nginx:bench-%d", i), nil), serviceDef(2, true)), Options{})
		exit := clock.Now()
		if err != nil || out.Class != Completed {
			b.Fatalf("deploy %d: %v %+v", i, err, out)
		}
		svc, _ := f.emu.ECSService("demo", "web")
		var steady time.Time
		for _, ev := range svc.Events {
			if strings.Contains(aws.ToString(ev.Message), "deployment completed") {
				steady = aws.ToTime(ev.CreatedAt)
				break
			}
		}
		if steady.IsZero() {
			b.Fatal("no deployment completed event")
		}
		latencies = append(latencies, exit.Sub(steady))
		rollouts = append(rollouts, steady.Sub(start))
		calls = append(calls, len(f.emu.Log.Since(mark)))
	}
	b.StopTimer()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	median := latencies[len(latencies)/2]
	maxCalls := 0
	for _, c := range calls {
		maxCalls = max(maxCalls, c)
	}
	b.ReportMetric(median.Seconds(), "s-exit-latency-median")
	b.ReportMetric(float64(maxCalls), "aws-calls-max")
	b.Logf("rollouts %v, exit latencies %v, AWS calls per deploy %v", rollouts, latencies, calls)
	if median > 1500*time.Millisecond {
		b.Errorf("median exit latency %s > 1.5 s", median)
	}
	if maxCalls > 25 {
		b.Errorf("%d AWS calls for one deploy > 25", maxCalls)
	}
}
