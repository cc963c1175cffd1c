package deploy

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/tests/awsemu"
)

// BenchmarkBlueGreenBakeTimeExit deploys a BLUE_GREEN service with a
// 10-minute bake against the emulator in real time, with randomised task
// start times (provision and pull 1–3 s each) and the production poll
// intervals, waiting --wait-until ecs:BAKE_TIME. It reports the median time
// from ECS entering BAKE_TIME (production traffic on green) to Deploy
// returning, and the AWS calls of one deploy:
//
//	go test ./deploy/ -run '^$' -bench BlueGreenBakeTimeExit -benchtime 3x
func BenchmarkBlueGreenBakeTimeExit(b *testing.B) {
	clock := awsemu.NewRealClock(1)
	f := newFixture(b, clock, false)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	// No connection draining (ELB's default is 300 s): the rollback between
	// two deploys would wait it out in real time.
	noDrain := map[string]string{"deregistration_delay.timeout_seconds": "0"}
	blue, err := f.emu.PutTargetGroup(awsemu.TargetGroupSpec{Name: "web-blue", ID: "00000000000000b1", Attributes: noDrain})
	if err != nil {
		b.Fatal(err)
	}
	green, err := f.emu.PutTargetGroup(awsemu.TargetGroupSpec{Name: "web-green", ID: "00000000000000b2", Attributes: noDrain})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.emu.PutLoadBalancer(awsemu.LoadBalancerSpec{Name: "web", ID: "00000000000000a1", Listeners: []awsemu.ListenerSpec{
		{Port: 80, ID: "00000000000000a2", Rules: []awsemu.ListenerRuleSpec{{Priority: 1, ID: "00000000000000a3", Forward: "web-blue"}}}}}); err != nil {
		b.Fatal(err)
	}
	sd := serviceDef(2, false)
	sd.DeploymentConfiguration.Strategy = ecstypes.DeploymentStrategyBlueGreen
	sd.DeploymentConfiguration.BakeTimeInMinutes = aws.Int32(10)
	sd.LoadBalancers = []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(blue), ContainerName: aws.String("app"), ContainerPort: aws.Int32(80),
		AdvancedConfiguration: &ecstypes.AdvancedConfiguration{AlternateTargetGroupArn: aws.String(green),
			ProductionListenerRule: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/00000000000000a1/00000000000000a2/00000000000000a3"),
			RoleArn:                aws.String("arn:aws:iam::123456789012:role/ecsInfrastructureRole")}}}
	f.d.MinInterval, f.d.MaxInterval = 0, 0 // production intervals
	b.Setenv(PollIntervalEnv, "")
	until, _ := ParseWaitUntil("ecs:BAKE_TIME")
	var latencies []time.Duration
	var calls []int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.emu.SetECSTimings(awsemu.ECSTimings{
			Provision: time.Second + time.Duration(rng.Int63n(int64(2*time.Second))), Pending: time.Second + time.Duration(rng.Int63n(int64(2*time.Second))),
			Stop: time.Second, RunTask: 5 * time.Second, SteadyState: time.Second,
		})
		mark := f.emu.Log.Len()
		td := taskDef(fmt.Sprintf("nginx:bg-%d", i), nil)
		td.ContainerDefinitions[0].PortMappings = []ecstypes.PortMapping{{ContainerPort: aws.Int32(80)}}
		_, out, err := f.d.Deploy(context.Background(), f.spec(td, sd), Options{WaitUntil: until})
		exit := clock.Now()
		if err != nil || out.Class != Completed {
			b.Fatalf("deploy %d: %v %+v", i, err, out)
		}
		svc, _ := f.emu.ECSService("demo", "web")
		var baking time.Time
		for _, ev := range svc.Events { // newest first: the latest bake
			if strings.Contains(aws.ToString(ev.Message), "entered lifecycle stage BAKE_TIME") {
				baking = aws.ToTime(ev.CreatedAt)
				break
			}
		}
		if baking.IsZero() {
			b.Fatal("no BAKE_TIME event")
		}
		latencies = append(latencies, exit.Sub(baking))
		calls = append(calls, len(f.emu.Log.Since(mark)))
		// Let the next deploy start from a completed deployment: stop this
		// one with rollback (the bake would take 10 minutes).
		if _, _, err := f.d.Rollback(context.Background(), "demo", "web", RollbackOptions{}); err != nil {
			b.Fatal(err)
		}
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
	b.Logf("exit latencies after BAKE_TIME began %v, AWS calls per deploy %v", latencies, calls)
	if median > 1500*time.Millisecond {
		b.Errorf("median exit latency %s > 1.5 s", median)
	}
}
