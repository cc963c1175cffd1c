package ecsbatch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/ecsbatch"
	"github.com/doppio-ecs/doppio/render"
	"github.com/doppio-ecs/doppio/tests/awsemu"
)

// The fleet benchmark: 50 services of one cluster, each rolling out in a
// random 10-30 s (the emulator in real time; a task's start is drawn per
// service with the awsemu.start-after label), against the documented ECS
// rate limits (awsemu --rate-limit aws). Two ways, in the same run:
//
//   - one process: 50 deploy.Deployer goroutines sharing one client set
//     (so one API budget) and one ecsbatch.Batcher;
//   - 50 separate `doppio deploy` processes of the built binary, each with
//     its own budget, as a CI matrix does.
//
// It takes about three minutes:
//
//	go test -tags no_gcs,no_azurerm,no_tfe ./ecsbatch/ -run '^$' -bench Fleet50 -benchtime 1x
//
// DOPPIO_FLEET_ONE_ONLY=1 skips the 50 processes (half the time, while
// iterating on the one-process run); DOPPIO_FLEET_TRACE=1 logs, for the
// service that completed last and the one that returned latest after its
// completion, each poll the waiter had answered (asked, answered) against
// its UpdateService answer, its "deployment completed" and its return.
const (
	fleetSize    = 50
	fleetCluster = "fleet"
)

// fleetStartAfter draws each service's task start so that its rollout
// (provision 1 s + start + steady state 1 s + old task stop) lasts 10-30 s.
func fleetStartAfter(rng *rand.Rand) time.Duration {
	return time.Duration((7.5 + rng.Float64()*19.5) * float64(time.Second))
}

func fleetTaskDef(i int, image string, startAfter time.Duration) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(fmt.Sprintf("svc-%02d", i)), NetworkMode: ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate}, Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("nginx:" + image), Essential: aws.Bool(true),
			DockerLabels: map[string]string{"awsemu.start-after": startAfter.Round(time.Millisecond).String()}}},
	}
}

func fleetServiceDef() *render.ServiceDefinition {
	return &render.ServiceDefinition{
		LaunchType: ecstypes.LaunchTypeFargate, DesiredCount: aws.Int32(1),
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}},
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{
			DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: true},
			MaximumPercent:           aws.Int32(200), MinimumHealthyPercent: aws.Int32(100),
		},
	}
}

// fleetResult is what one way of deploying reports.
type fleetResult struct {
	Wall      time.Duration
	Slowest   time.Duration // from the start to the last "deployment completed" event
	Rollout   time.Duration // the longest rollout: a service's UpdateService to its "deployment completed"
	Calls     int           // every AWS call the emulator answered
	Describe  int           // DescribeServices calls among them
	Throttled int           // answered ThrottlingException by the emulator
	Failed    []string      // errors that reached the caller
	PeakRSSKB []int64       // per process
	Batcher   ecsbatch.Stats
	// ExitLatency: from a service's "deployment completed" to its Deploy
	// returning (one process only).
	ExitLatency time.Duration
	// per service: its UpdateService answer, "deployment completed", and
	// the child's trace (one process only)
	updated, completed map[string]time.Time
	traces             map[string]*serviceTrace
	start              time.Time
}

func BenchmarkFleet50(b *testing.B) {
	emu := awsemu.New(awsemu.Options{Clock: awsemu.NewRealClock(1), Seed: 13})
	if err := emu.Start(""); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = emu.Close() })
	emu.SetECSTimings(awsemu.ECSTimings{Provision: time.Second, Pending: 2 * time.Second, Stop: time.Second, RunTask: 5 * time.Second, SteadyState: time.Second})
	limits, _ := awsemu.ParseRateLimits("aws")
	for p, l := range limits {
		emu.SetRateLimit(p, l)
	}
	if err := emu.CreateCluster(fleetCluster); err != nil {
		b.Fatal(err)
	}
	sd := fleetServiceDef()
	for i := 0; i < fleetSize; i++ {
		arn, err := emu.SeedTaskDefinition(fleetTaskDef(i, "v1", time.Second))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := emu.SeedService(&ecs.CreateServiceInput{Cluster: aws.String(fleetCluster), ServiceName: aws.String(fmt.Sprintf("svc-%02d", i)),
			TaskDefinition: aws.String(arn), DesiredCount: sd.DesiredCount, LaunchType: sd.LaunchType,
			NetworkConfiguration: sd.NetworkConfiguration, DeploymentConfiguration: sd.DeploymentConfiguration}); err != nil {
			b.Fatal(err)
		}
	}
	env := append(os.Environ(), emu.Env()...)
	env = append(env, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PROFILE=",
		awsapi.BudgetEnv+"=aws", deploy.PollIntervalEnv+"=", "NO_COLOR=1")
	// Let the first tasks start before deploying over them.
	waitSteady(b, emu, time.Now())

	doppio := filepath.Join(b.TempDir(), "doppio")
	build := exec.Command("go", "build", "-tags", "no_gcs,no_azurerm,no_tfe", "-o", doppio, "../cmd/doppio")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build doppio: %v\n%s", err, out)
	}
	for i := 0; i < b.N; i++ {
		one := measure(b, emu, func() ([]string, []int64, ecsbatch.Stats) { return runFleetChild(b, env, int64(2*i+1), "v2") })
		waitSteady(b, emu, time.Now())
		report(b, "one-process", one)
		if os.Getenv("DOPPIO_FLEET_TRACE") == "1" {
			logTraces(b, one)
		}
		var many fleetResult
		if os.Getenv("DOPPIO_FLEET_ONE_ONLY") != "1" {
			many = measure(b, emu, func() ([]string, []int64, ecsbatch.Stats) {
				return runProcesses(b, doppio, env, int64(2*i+2), "v3")
			})
			waitSteady(b, emu, time.Now())
			report(b, "50-processes", many)
		}
		rounds := one.Batcher.Rounds
		if one.Wall > one.Slowest+2*time.Second {
			b.Errorf("one process: wall %s > last rollout's end %s + 2 s", one.Wall, one.Slowest)
		}
		if max := rounds * ((fleetSize + 9) / 10); one.Describe > max {
			b.Errorf("one process: %d DescribeServices calls > %d poll rounds × 5 = %d", one.Describe, rounds, max)
		}
		for _, r := range []fleetResult{one, many} {
			if len(r.Failed) > 0 {
				b.Errorf("errors reached the caller: %v", r.Failed)
			}
		}
		b.ReportMetric(one.Wall.Seconds(), "s-wall-one-process")
		b.ReportMetric(one.Slowest.Seconds(), "s-last-rollout-done-one-process")
		b.ReportMetric(one.Rollout.Seconds(), "s-longest-rollout-one-process")
		b.ReportMetric(float64(one.Describe), "describe-calls-one-process")
		b.ReportMetric(float64(rounds), "poll-rounds-one-process")
		b.ReportMetric(one.ExitLatency.Seconds(), "s-max-exit-latency-one-process")
		b.ReportMetric(float64(one.Calls), "aws-calls-one-process")
		b.ReportMetric(float64(one.Throttled), "throttled-one-process")
		b.ReportMetric(float64(one.PeakRSSKB[0])/1024, "MB-peak-rss-one-process")
		if many.Wall == 0 {
			continue // DOPPIO_FLEET_ONE_ONLY
		}
		b.ReportMetric(many.Slowest.Seconds(), "s-last-rollout-done-50-processes")
		b.ReportMetric(many.Wall.Seconds(), "s-wall-50-processes")
		b.ReportMetric(float64(many.Describe), "describe-calls-50-processes")
		b.ReportMetric(float64(many.Calls), "aws-calls-50-processes")
		b.ReportMetric(float64(many.Throttled), "throttled-50-processes")
		sum := int64(0)
		for _, kb := range many.PeakRSSKB {
			sum += kb
		}
		b.ReportMetric(float64(sum)/1024, "MB-peak-rss-sum-50-processes")
	}
}

func report(b *testing.B, name string, r fleetResult) {
	b.Logf("%s: wall %s, last rollout done at %s, longest rollout %s, %d AWS calls (%d DescribeServices), %d throttled answers, batcher %+v, peak RSS KB %v, errors %d, max exit latency %s",
		name, r.Wall.Round(10*time.Millisecond), r.Slowest.Round(10*time.Millisecond), r.Rollout.Round(10*time.Millisecond), r.Calls, r.Describe, r.Throttled, r.Batcher, r.PeakRSSKB, len(r.Failed), r.ExitLatency.Round(time.Millisecond))
}

// measure runs one way of deploying and reads what the emulator saw.
func measure(b *testing.B, emu *awsemu.Emulator, run func() ([]string, []int64, ecsbatch.Stats)) fleetResult {
	mark := emu.Log.Len()
	start := time.Now()
	fleetTraces = nil
	failed, rss, stats := run()
	r := fleetResult{Wall: time.Since(start), Failed: failed, PeakRSSKB: rss, Batcher: stats, traces: fleetTraces, completed: map[string]time.Time{}, start: start}
	updated := map[string]time.Time{}
	r.updated = updated
	for _, req := range emu.Log.Since(mark) {
		if req.Operation == "UpdateService" && req.Status == 200 {
			var name string
			_ = json.Unmarshal(req.Members["service"], &name)
			updated[name] = req.Time
		}
		r.Calls++
		if req.Operation == "DescribeServices" {
			r.Describe++
		}
		if req.ErrorCode == "ThrottlingException" {
			r.Throttled++
		}
	}
	for i := 0; i < fleetSize; i++ {
		done, ok := completedSince(emu, fmt.Sprintf("svc-%02d", i), start)
		if !ok {
			r.Failed = append(r.Failed, fmt.Sprintf("svc-%02d: no deployment completed", i))
			continue
		}
		r.Slowest = max(r.Slowest, done.Sub(start))
		r.completed[fmt.Sprintf("svc-%02d", i)] = done
		if tr, ok := fleetTraces[fmt.Sprintf("svc-%02d", i)]; ok {
			r.ExitLatency = max(r.ExitLatency, tr.Returned.Sub(done))
		}
		if u, ok := updated[fmt.Sprintf("svc-%02d", i)]; ok {
			r.Rollout = max(r.Rollout, done.Sub(u))
		} else {
			r.Failed = append(r.Failed, fmt.Sprintf("svc-%02d: no UpdateService", i))
		}
	}
	return r
}

func completedSince(emu *awsemu.Emulator, service string, since time.Time) (time.Time, bool) {
	svc, _ := emu.ECSService(fleetCluster, service)
	for _, ev := range svc.Events { // newest first
		if at := aws.ToTime(ev.CreatedAt); at.After(since) && strings.Contains(aws.ToString(ev.Message), "deployment completed") {
			return at, true
		}
	}
	return time.Time{}, false
}

// waitSteady waits (polling the emulator, no AWS calls) until every service
// runs one deployment.
func waitSteady(b *testing.B, emu *awsemu.Emulator, since time.Time) {
	for deadline := since.Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		steady := 0
		for i := 0; i < fleetSize; i++ {
			svc, _ := emu.ECSService(fleetCluster, fmt.Sprintf("svc-%02d", i))
			if len(svc.Deployments) == 1 && svc.RunningCount == 1 {
				steady++
			}
		}
		if steady == fleetSize {
			return
		}
	}
	b.Fatal("services never settled")
}

// runFleetChild runs the in-process fleet in a child process (this test
// binary, TestFleetChild), so that its peak memory is doppio's alone.
func runFleetChild(b *testing.B, env []string, seed int64, image string) ([]string, []int64, ecsbatch.Stats) {
	cmd := exec.Command(os.Args[0], "-test.run", "^TestFleetChild$", "-test.count=1")
	cmd.Env = append(env, "DOPPIO_FLEET_CHILD=1", "DOPPIO_FLEET_SEED="+strconv.FormatInt(seed, 10), "DOPPIO_FLEET_IMAGE="+image)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var res struct {
		Failed []string
		Stats  ecsbatch.Stats
		Traces map[string]*serviceTrace
	}
	line := stdout.String()
	if i := strings.Index(line, "FLEET "); i >= 0 {
		line = line[i+len("FLEET "):]
		line, _, _ = strings.Cut(line, "\n")
		_ = json.Unmarshal([]byte(line), &res)
	} else {
		res.Failed = append(res.Failed, fmt.Sprintf("child: %v\n%s\n%s", err, stdout.String(), stderr.String()))
	}
	fleetTraces = res.Traces
	return res.Failed, []int64{cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss}, res.Stats
}

// fleetTraces is what each service's Deploy did in the last child.
var fleetTraces map[string]*serviceTrace

// serviceTrace is one service's deploy in the child: its UpdateService
// answer, each DescribeServices (asked, answered) and Deploy's return.
type serviceTrace struct {
	Updated  time.Time
	Polls    [][2]time.Time
	Returned time.Time
}

// tracingECS records, per service, what the deploy above it asked and when
// it got its answers, below deploy and above the batcher.
type tracingECS struct {
	deploy.ECSAPI
	mu     sync.Mutex
	traces map[string]*serviceTrace
}

// Unwrap lets the waiter find the batcher underneath (deploy.SharedPolls).
func (t *tracingECS) Unwrap() deploy.ECSAPI { return t.ECSAPI }

func (t *tracingECS) trace(service string) *serviceTrace {
	t.mu.Lock()
	defer t.mu.Unlock()
	tr := t.traces[service]
	if tr == nil {
		tr = &serviceTrace{}
		t.traces[service] = tr
	}
	return tr
}

func (t *tracingECS) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	asked := time.Now()
	out, err := t.ECSAPI.DescribeServices(ctx, in, optFns...)
	if len(in.Services) == 1 {
		tr := t.trace(in.Services[0])
		t.mu.Lock()
		tr.Polls = append(tr.Polls, [2]time.Time{asked, time.Now()})
		t.mu.Unlock()
	}
	return out, err
}

func (t *tracingECS) UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, optFns ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	out, err := t.ECSAPI.UpdateService(ctx, in, optFns...)
	tr := t.trace(aws.ToString(in.Service))
	t.mu.Lock()
	tr.Updated = time.Now()
	t.mu.Unlock()
	return out, err
}

// logTraces logs the polls of the service that completed last and of the
// one that returned latest after its completion, in seconds from its
// UpdateService answer.
func logTraces(b *testing.B, r fleetResult) {
	var last, late string
	for name, done := range r.completed {
		if last == "" || done.After(r.completed[last]) {
			last = name
		}
		if tr, ok := r.traces[name]; ok && (late == "" || tr.Returned.Sub(done) > r.traces[late].Returned.Sub(r.completed[late])) {
			late = name
		}
	}
	var lat []string
	for i := 0; i < fleetSize; i++ {
		name := fmt.Sprintf("svc-%02d", i)
		if tr, ok := r.traces[name]; ok {
			lat = append(lat, fmt.Sprintf("%.1f", tr.Returned.Sub(r.completed[name]).Seconds()))
		}
	}
	b.Logf("completed-to-returned per service (s): %v", lat)
	for _, name := range []string{last, late} {
		tr, ok := r.traces[name]
		if !ok {
			continue
		}
		t0 := tr.Updated
		sec := func(t time.Time) string { return fmt.Sprintf("%.2f", t.Sub(t0).Seconds()) }
		var polls []string
		for _, p := range tr.Polls {
			if p[0].Before(t0) {
				continue // the plan's read
			}
			polls = append(polls, sec(p[0])+"→"+sec(p[1]))
		}
		b.Logf("%s: UpdateService answered at %.2f s of the run; polls (asked→answered, s after it) %v; deployment completed %s, Deploy returned %s (+%.2f s)",
			name, t0.Sub(r.start).Seconds(), polls, sec(r.completed[name]), sec(tr.Returned), tr.Returned.Sub(r.completed[name]).Seconds())
	}
}

// TestFleetChild is the in-process fleet, run by BenchmarkFleet50 only.
func TestFleetChild(t *testing.T) {
	if os.Getenv("DOPPIO_FLEET_CHILD") != "1" {
		t.Skip("run by BenchmarkFleet50")
	}
	seed, _ := strconv.ParseInt(os.Getenv("DOPPIO_FLEET_SEED"), 10, 64)
	image := os.Getenv("DOPPIO_FLEET_IMAGE")
	ctx := context.Background()
	clients, err := awsapi.New(ctx, awsapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	batcher := ecsbatch.Wrap(clients.ECS)
	traced := &tracingECS{ECSAPI: batcher, traces: map[string]*serviceTrace{}}
	rng := rand.New(rand.NewSource(seed))
	var (
		mu     sync.Mutex
		failed []string
		wg     sync.WaitGroup
	)
	for i := 0; i < fleetSize; i++ {
		td := fleetTaskDef(i, image, fleetStartAfter(rng))
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := deploy.New(clients, nil)
			d.ECS = traced
			spec := &deploy.Spec{Cluster: fleetCluster, Service: fmt.Sprintf("svc-%02d", i), ServiceDefinition: fleetServiceDef(),
				TaskDefinition: func(context.Context) (*ecs.RegisterTaskDefinitionInput, error) { return td, nil }}
			_, out, err := d.Deploy(ctx, spec, deploy.Options{})
			tr := traced.trace(spec.Service)
			traced.mu.Lock()
			tr.Returned = time.Now()
			traced.mu.Unlock()
			if err != nil || out.Class != deploy.Completed {
				mu.Lock()
				failed = append(failed, fmt.Sprintf("%s: %v %+v", spec.Service, err, out))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res, _ := json.Marshal(map[string]any{"Failed": failed, "Stats": batcher.Stats(), "Traces": traced.traces})
	fmt.Printf("FLEET %s\n", res)
}

// runProcesses deploys each service with its own `doppio deploy` process,
// all at once.
func runProcesses(b *testing.B, doppio string, env []string, seed int64, image string) ([]string, []int64, ecsbatch.Stats) {
	dir := b.TempDir()
	rng := rand.New(rand.NewSource(seed))
	sdJSON, _ := json.Marshal(map[string]any{
		"launchType": "FARGATE", "desiredCount": 1,
		"networkConfiguration":    map[string]any{"awsvpcConfiguration": map[string]any{"subnets": []string{"subnet-1"}}},
		"deploymentConfiguration": map[string]any{"deploymentCircuitBreaker": map[string]any{"enable": true, "rollback": true}, "maximumPercent": 200, "minimumHealthyPercent": 100},
	})
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := 0; i < fleetSize; i++ {
		name := fmt.Sprintf("svc-%02d", i)
		sdir := filepath.Join(dir, name)
		td := map[string]any{
			"family": name, "networkMode": "awsvpc", "requiresCompatibilities": []string{"FARGATE"}, "cpu": "256", "memory": "512",
			"containerDefinitions": []any{map[string]any{"name": "app", "image": "nginx:" + image, "essential": true,
				"dockerLabels": map[string]string{"awsemu.start-after": fleetStartAfter(rng).Round(time.Millisecond).String()}}},
		}
		tdJSON, _ := json.Marshal(td)
		cfg := fmt.Sprintf("region: us-east-1\ncluster: %s\nservice: %s\nservice_definition: service.json\ntask_definition: task.json\ntimeout: 5m\n", fleetCluster, name)
		for file, body := range map[string][]byte{"ecspresso.yml": []byte(cfg), "service.json": sdJSON, "task.json": tdJSON} {
			if err := os.MkdirAll(sdir, 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(sdir, file), body, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		cmd := exec.Command(doppio, "deploy", "--config", filepath.Join(sdir, "ecspresso.yml"))
		cmd.Env = env
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
	}
	var failed []string
	var rss []int64
	for i, c := range cmds {
		err := c.Wait()
		rss = append(rss, c.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)
		if err != nil || strings.Contains(outs[i].String(), "Throttling") {
			failed = append(failed, fmt.Sprintf("svc-%02d: %v: %s", i, err, lastLines(outs[i].String(), 3)))
		}
	}
	return failed, rss, ecsbatch.Stats{}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
