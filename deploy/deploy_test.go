package deploy

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/render"
	"github.com/doppio-ecs/doppio/tests/awsemu"
)

// fixture is an emulator with cluster demo and a steady service web on
// web:1, plus a Deployer pointed at it.
type fixture struct {
	emu    *awsemu.Emulator
	clock  awsemu.Clock
	d      *Deployer
	events *eventLog
}

type eventLog struct {
	mu     sync.Mutex
	events []Event
}

func (l *eventLog) Report(e Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

func (l *eventLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, e := range l.events {
		b.WriteString(e.Message)
		for _, d := range e.Deployments {
			b.WriteString(d.Status + " " + d.TaskDefinition + " " + d.RolloutState + ";")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func clientsFor(t testing.TB, emu *awsemu.Emulator) *awsapi.Clients {
	t.Helper()
	for _, kv := range emu.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	clients, err := awsapi.New(context.Background(), awsapi.Options{Region: emu.Region()})
	if err != nil {
		t.Fatal(err)
	}
	return clients
}

func taskDef(image string, labels map[string]string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String("web"),
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu:                     aws.String("256"),
		Memory:                  aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String(image), Essential: aws.Bool(true), DockerLabels: labels,
			// Port 80 is what a fixture behind a target group balances (newFixtureWith).
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(80)}},
		}},
	}
}

func serviceDef(desired int32, breaker bool) *render.ServiceDefinition {
	return &render.ServiceDefinition{
		LaunchType:   ecstypes.LaunchTypeFargate,
		DesiredCount: aws.Int32(desired),
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: []string{"subnet-1"},
		}},
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{
			DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: breaker, Rollback: breaker},
			MaximumPercent:           aws.Int32(200), MinimumHealthyPercent: aws.Int32(100),
		},
	}
}

func newFixture(t testing.TB, clock awsemu.Clock, breaker bool) *fixture {
	t.Helper()
	return newFixtureWith(t, clock, serviceDef(2, breaker), 0)
}

// newFixtureWith seeds service web from sd (its count, network and
// deployment configuration) on web:1. A drain > 0 puts the service behind a
// target group with that deregistration delay, and sd with it.
func newFixtureWith(t testing.TB, clock awsemu.Clock, sd *render.ServiceDefinition, drain time.Duration) *fixture {
	t.Helper()
	emu := awsemu.New(awsemu.Options{Clock: clock, Seed: 7})
	if err := emu.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := emu.CreateCluster("demo"); err != nil {
		t.Fatal(err)
	}
	if drain > 0 {
		tg, err := emu.PutTargetGroup(awsemu.TargetGroupSpec{Name: "web", Attributes: map[string]string{
			"deregistration_delay.timeout_seconds": strconv.Itoa(int(drain / time.Second))}})
		if err != nil {
			t.Fatal(err)
		}
		sd.LoadBalancers = []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(tg), ContainerName: aws.String("app"), ContainerPort: aws.Int32(80)}}
	}
	arn, err := emu.SeedTaskDefinition(taskDef("nginx:1", nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emu.SeedService(&ecs.CreateServiceInput{
		Cluster: aws.String("demo"), ServiceName: aws.String("web"), TaskDefinition: aws.String(arn),
		DesiredCount: sd.DesiredCount, LaunchType: sd.LaunchType, NetworkConfiguration: sd.NetworkConfiguration,
		DeploymentConfiguration: sd.DeploymentConfiguration, LoadBalancers: sd.LoadBalancers,
	}); err != nil {
		t.Fatal(err)
	}
	ev := &eventLog{}
	d := New(clientsFor(t, emu), ev)
	d.MinInterval, d.MaxInterval = 2*time.Millisecond, 10*time.Millisecond
	return &fixture{emu: emu, clock: clock, d: d, events: ev}
}

func (f *fixture) spec(td *ecs.RegisterTaskDefinitionInput, sd *render.ServiceDefinition) *Spec {
	return &Spec{Cluster: "demo", Service: "web", ServiceDefinition: sd,
		TaskDefinition: func(context.Context) (*ecs.RegisterTaskDefinitionInput, error) { return td, nil }}
}

func successes(emu *awsemu.Emulator, mark int, op string) int {
	n := 0
	for _, r := range emu.Log.Since(mark) {
		if (r.Operation == op || r.Service+"."+r.Operation == op) && r.Status == 200 {
			n++
		}
	}
	return n
}

func autoStepClock() *awsemu.ManualClock {
	c := awsemu.NewManualClock(time.Time{})
	c.SetAutoStep(500 * time.Millisecond)
	return c
}

func TestDeployRollingUpdateCompletes(t *testing.T) {
	f := newFixture(t, autoStepClock(), true)
	ctx := context.Background()
	mark := f.emu.Log.Len()
	plan, out, err := f.d.Deploy(ctx, f.spec(taskDef("nginx:2", nil), serviceDef(2, true)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Class != Completed {
		t.Fatalf("outcome %s: %s\n%s", out.Class, out.Reason, f.events.text())
	}
	if plan.TaskDefinitionAction != TDRegister || len(plan.Attributes) != 0 {
		t.Errorf("plan: %v attributes %v", plan.TaskDefinitionAction, plan.Attributes)
	}
	if !strings.HasSuffix(out.TaskDefinition, "web:2") {
		t.Errorf("deployed %s, want web:2", out.TaskDefinition)
	}
	if n := successes(f.emu, mark, "ECS.RegisterTaskDefinition"); n != 1 {
		t.Errorf("%d RegisterTaskDefinition calls, want 1", n)
	}
	if n := successes(f.emu, mark, "ECS.UpdateService"); n != 1 {
		t.Errorf("%d UpdateService calls, want 1", n)
	}
	if !strings.Contains(f.events.text(), "steady state") {
		t.Errorf("service events not reported:\n%s", f.events.text())
	}

	// The same definition again: the revision is reused, nothing changes.
	mark = f.emu.Log.Len()
	plan, out, err = f.d.Deploy(ctx, f.spec(taskDef("nginx:2", nil), serviceDef(2, true)), Options{})
	if err != nil || out.Class != Completed {
		t.Fatalf("redeploy: %v %+v", err, out)
	}
	if plan.TaskDefinitionAction != TDReuse || !plan.NoChange() {
		t.Errorf("redeploy plan: %s\n%s", plan.TaskDefinitionAction, strings.Join(plan.Lines(), "\n"))
	}
	if muts := f.emu.Log.Mutating(mark); len(muts) != 0 {
		t.Errorf("redeploy made mutating calls: %+v", muts)
	}

	// Back to the old image: web:1 is reused, not registered again.
	mark = f.emu.Log.Len()
	plan, out, err = f.d.Deploy(ctx, f.spec(taskDef("nginx:1", nil), serviceDef(2, true)), Options{})
	if err != nil || out.Class != Completed {
		t.Fatalf("deploy old image: %v %+v", err, out)
	}
	if plan.TaskDefinitionAction != TDReuse || !strings.HasSuffix(plan.TaskDefinitionARN, "web:1") {
		t.Errorf("old image plan: %s %s", plan.TaskDefinitionAction, plan.TaskDefinitionARN)
	}
	if n := successes(f.emu, mark, "ECS.RegisterTaskDefinition"); n != 0 {
		t.Errorf("%d RegisterTaskDefinition calls, want 0", n)
	}
}

func TestDeployCircuitBreakerRollbackIsAFailure(t *testing.T) {
	f := newFixture(t, autoStepClock(), true)
	_, out, err := f.d.Deploy(context.Background(), f.spec(taskDef("nginx:2", map[string]string{"awsemu.exit-code": "2"}), serviceDef(2, true)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Class != RolledBack || out.ExitCode() != 3 {
		t.Fatalf("outcome %s (%s), want rolled back\n%s", out.Class, out.Reason, f.events.text())
	}
	text := strings.Join(out.Explanation.Lines(), "\n")
	t.Logf("%s: %s\n%s\nevents:\n%s", out.Class, out.Reason, text, f.events.text())
	if !strings.Contains(text, "Essential container in task exited") || !strings.Contains(text, "exited 2") {
		t.Errorf("explanation lacks the stopped reason and exit code:\n%s", text)
	}
}

func TestDeployStuckWithoutBreakerTimesOut(t *testing.T) {
	f := newFixture(t, autoStepClock(), false)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, out, err := f.d.Deploy(ctx, f.spec(taskDef("nginx:2", map[string]string{"awsemu.exit-code": "1"}), serviceDef(2, false)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Class != Timeout || out.ExitCode() != 4 {
		t.Fatalf("outcome %s (%s), want timed out", out.Class, out.Reason)
	}
	if out.Explanation == nil || len(out.Explanation.StoppedTasks) == 0 {
		t.Fatalf("timeout without explanation: %+v", out.Explanation)
	}
}

func TestRollbackAfterSuccess(t *testing.T) {
	f := newFixture(t, autoStepClock(), true)
	ctx := context.Background()
	if _, out, err := f.d.Deploy(ctx, f.spec(taskDef("nginx:2", nil), serviceDef(2, true)), Options{}); err != nil || out.Class != Completed {
		t.Fatalf("deploy: %v %+v", err, out)
	}
	plan, out, err := f.d.Rollback(ctx, "demo", "web", RollbackOptions{DeregisterTaskDefinition: true})
	if err != nil {
		t.Fatal(err)
	}
	if out.Class != Completed {
		t.Fatalf("rollback %s: %s\n%s", out.Class, out.Reason, f.events.text())
	}
	if !strings.HasSuffix(plan.Target, "web:1") || !strings.HasSuffix(plan.Deregister, "web:2") {
		t.Errorf("plan %+v", plan)
	}
	svc, _ := f.emu.ECSService("demo", "web")
	if !strings.HasSuffix(aws.ToString(svc.TaskDefinition), "web:1") {
		t.Errorf("service runs %s", aws.ToString(svc.TaskDefinition))
	}
	if n := successes(f.emu, 0, "ECS.DeregisterTaskDefinition"); n != 1 {
		t.Errorf("%d deregistrations, want 1", n)
	}
}

func TestDryRunMakesNoMutatingCall(t *testing.T) {
	f := newFixture(t, autoStepClock(), true)
	mark := f.emu.Log.Len()
	plan, out, err := f.d.Deploy(context.Background(), f.spec(taskDef("nginx:3", nil), serviceDef(3, true)), Options{DryRun: true})
	if err != nil || out.Class != Completed {
		t.Fatalf("%v %+v", err, out)
	}
	if muts := f.emu.Log.Mutating(mark); len(muts) != 0 {
		t.Errorf("dry run made mutating calls: %+v", muts)
	}
	if plan.DesiredCount == nil || *plan.DesiredCount != 3 || plan.TaskDefinitionAction != TDRegister {
		t.Errorf("plan:\n%s", strings.Join(plan.Lines(), "\n"))
	}
}

// Ctrl-C while waiting stops the wait, says what was already applied, and
// touches nothing more.
func TestInterruptStopsWaitingWithoutTouchingTheService(t *testing.T) {
	f := newFixture(t, awsemu.NewManualClock(time.Time{}), true) // the rollout never progresses
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mark int
	f.d.Reporter = ReporterFunc(func(e Event) {
		if e.Kind == EventProgress && mark == 0 {
			mark = f.emu.Log.Len()
			cancel() // the user presses Ctrl-C once the rollout is under way
		}
	})
	_, out, err := f.d.Deploy(ctx, f.spec(taskDef("nginx:2", nil), serviceDef(2, true)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Class != Interrupted || out.ExitCode() != 1 || !strings.Contains(out.Reason, "ECS continues the deployment") ||
		!strings.Contains(out.Reason, "already applied: registered web:2, service web now deploys web:2") {
		t.Fatalf("outcome %s: %s", out.Class, out.Reason)
	}
	if muts := f.emu.Log.Mutating(mark); len(muts) != 0 {
		t.Errorf("mutating calls after Ctrl-C: %+v", muts)
	}
}

// cutOffServiceChange serves UpdateService and CreateService, then cancels
// the command and answers as the SDK does when Ctrl-C lands before the
// response is read.
type cutOffServiceChange struct {
	ECSAPI
	cancel context.CancelFunc
}

// newCutOffFixture is newFixture (a rollout that never progresses) whose
// service changes are cut off so; ctx is the command's context.
func newCutOffFixture(t *testing.T) (*fixture, context.Context) {
	f := newFixture(t, awsemu.NewManualClock(time.Time{}), true)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f.d.ECS = cutOffServiceChange{ECSAPI: f.d.ECS, cancel: cancel}
	return f, ctx
}

func (c cutOffServiceChange) CreateService(ctx context.Context, in *ecs.CreateServiceInput, optFns ...func(*ecs.Options)) (*ecs.CreateServiceOutput, error) {
	if _, err := c.ECSAPI.CreateService(context.WithoutCancel(ctx), in, optFns...); err != nil {
		return nil, err
	}
	c.cancel()
	return nil, fmt.Errorf("operation error ECS: CreateService, canceled, %w", ctx.Err())
}

func (c cutOffServiceChange) UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, optFns ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	if _, err := c.ECSAPI.UpdateService(context.WithoutCancel(ctx), in, optFns...); err != nil {
		return nil, err
	}
	c.cancel()
	return nil, fmt.Errorf("operation error ECS: UpdateService, canceled, %w", ctx.Err())
}

// Ctrl-C while UpdateService is in flight: ECS applied it, so the outcome
// must not say the deployment never started, and nothing is sent again.
// The tags due after it are not applied, and the outcome says so too.
func TestInterruptDuringUpdateServiceReportsWhatECSApplied(t *testing.T) {
	f, ctx := newCutOffFixture(t)
	mark := f.emu.Log.Len()
	sd := serviceDef(2, true)
	sd.Tags = []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("web")}}
	_, out, err := f.d.Deploy(ctx, f.spec(taskDef("nginx:2", nil), sd), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Class != Interrupted || strings.Contains(out.Reason, "before the deployment started") ||
		!strings.Contains(out.Reason, "ECS continues the deployment") ||
		!strings.Contains(out.Reason, "service web now deploys web:2") || !strings.Contains(out.Reason, "not applied: tag service web") {
		t.Fatalf("outcome %s: %s", out.Class, out.Reason)
	}
	if n := successes(f.emu, mark, "ECS.UpdateService"); n != 1 {
		t.Errorf("UpdateService served %d times, want 1", n)
	}
}

// The same for CreateService: the service exists, so the outcome says so.
func TestInterruptDuringCreateServiceReportsWhatECSApplied(t *testing.T) {
	f, ctx := newCutOffFixture(t)
	spec := f.spec(taskDef("nginx:2", nil), serviceDef(1, true))
	spec.Service = "api"
	_, out, err := f.d.Deploy(ctx, spec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Class != Interrupted || strings.Contains(out.Reason, "before the deployment started") ||
		!strings.Contains(out.Reason, "created service api running web:2") {
		t.Fatalf("outcome %s: %s", out.Class, out.Reason)
	}
}

// A breaker without rollback leaves the failed revision PRIMARY: deploying
// the same files again changes nothing but must not report success.
func TestRedeployOfAFailedRevisionIsNotASuccess(t *testing.T) {
	f := newFixture(t, autoStepClock(), true)
	sd := serviceDef(2, true)
	sd.DeploymentConfiguration.DeploymentCircuitBreaker.Rollback = false
	bad := taskDef("nginx:2", map[string]string{"awsemu.exit-code": "1"})
	_, out, err := f.d.Deploy(context.Background(), f.spec(bad, sd), Options{})
	if err != nil || out.Class != Failed {
		t.Fatalf("first deploy: %v %s %s", err, out.Class, out.Reason)
	}
	mark := f.emu.Log.Len()
	plan, out, err := f.d.Deploy(context.Background(), f.spec(bad, sd), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Class != Failed || !plan.NoChange() {
		t.Fatalf("redeploy: %s %s (no change %v)\n%s", out.Class, out.Reason, plan.NoChange(), strings.Join(plan.Lines(), "\n"))
	}
	if muts := f.emu.Log.Mutating(mark); len(muts) != 0 {
		t.Errorf("mutating calls: %+v", muts)
	}
}

func TestWaitCurrentFollowsTheRunningDeployment(t *testing.T) {
	f := newFixture(t, autoStepClock(), true)
	if _, out, err := f.d.Deploy(context.Background(), f.spec(taskDef("nginx:2", nil), serviceDef(2, true)), Options{NoWait: true}); err != nil || out.Class != Submitted {
		t.Fatalf("deploy: %v %+v", err, out)
	}
	out, err := f.d.WaitCurrent(context.Background(), "demo", "web", UntilStable)
	if err != nil || out.Class != Completed || !strings.HasSuffix(out.TaskDefinition, "web:2") {
		t.Fatalf("wait: %v %+v", err, out)
	}
}
