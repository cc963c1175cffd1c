package awsemu

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/tests/awsemu/core"
)

// A RunTask whose answer is lost after it took effect is retried by the SDK
// with the same client token: one task runs, and the retry answers it.
func TestRunTaskAnswerLostRunsOneTask(t *testing.T) {
	f := newECSFixture(t)
	td := f.register(fargateTD("job", "nginx"))
	f.e.SetFault("ECS.RunTask", Fault{DropAfterRate: 1, Times: 1})
	c := ecs.NewFromConfig(sdkConfig(t, f.e, 3), func(o *ecs.Options) { o.Retryer = retryNoDelay(o.Retryer) })
	out, err := c.RunTask(f.ctx, &ecs.RunTaskInput{Cluster: aws.String("app"), TaskDefinition: aws.String(td), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork})
	if err != nil {
		t.Fatal(err)
	}
	if tasks := f.e.ECSTasks("app"); len(tasks) != 1 || len(out.Tasks) != 1 || aws.ToString(out.Tasks[0].TaskArn) != aws.ToString(tasks[0].TaskArn) {
		t.Fatalf("want the one task started by the first call answered, got %d task(s), answer %+v", len(tasks), out.Tasks)
	}
	var dropped int
	for _, r := range f.e.Log.All() {
		if r.Operation == "RunTask" && r.ErrorCode == core.DroppedAfterApply {
			dropped++
		}
	}
	if dropped != 1 || f.e.Log.Count("ECS.RunTask") != 2 {
		t.Fatalf("want one dropped answer and one retry, log: %+v", f.e.Log.All())
	}
}

func TestRunTaskTokenWithOtherParametersConflicts(t *testing.T) {
	f := newECSFixture(t)
	td := f.register(fargateTD("job", "nginx"))
	in := &ecs.RunTaskInput{Cluster: aws.String("app"), TaskDefinition: aws.String(td), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork, ClientToken: aws.String("tok-1")}
	first, err := f.c.RunTask(f.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.RunTask(f.ctx, in); err != nil {
		t.Fatal(err)
	}
	if n := len(f.e.ECSTasks("app")); n != 1 {
		t.Fatalf("same token twice started %d tasks", n)
	}
	in.Count = aws.Int32(2)
	_, err = f.c.RunTask(f.ctx, in)
	var ce *ecstypes.ConflictException
	if !errors.As(err, &ce) {
		t.Fatalf("same token, other count: want ConflictException, got %v", err)
	}
	// Tokens live 24 hours.
	in.Count = nil
	f.clk.Advance(25 * time.Hour)
	later, err := f.c.RunTask(f.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(later.Tasks[0].TaskArn) == aws.ToString(first.Tasks[0].TaskArn) {
		t.Fatal("an expired token must start a new task")
	}
}

func TestCreateServiceClientToken(t *testing.T) {
	f := newECSFixture(t)
	td := f.register(fargateTD("web", "nginx"))
	in := &ecs.CreateServiceInput{Cluster: aws.String("app"), ServiceName: aws.String("web"), TaskDefinition: aws.String(td),
		DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork, ClientToken: aws.String("create-1")}
	first, err := f.c.CreateService(f.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.c.CreateService(f.ctx, in)
	if err != nil {
		t.Fatalf("a retry with the same token must succeed: %v", err)
	}
	if aws.ToString(again.Service.ServiceArn) != aws.ToString(first.Service.ServiceArn) || len(again.Service.Deployments) != 1 {
		t.Fatalf("retry answered another service: %+v", again.Service)
	}
	in.ClientToken = aws.String("create-2")
	if _, err := f.c.CreateService(f.ctx, in); err == nil {
		t.Fatal("another token for an existing service must fail")
	}
	in.ClientToken, in.DesiredCount = aws.String("create-1"), aws.Int32(3)
	if _, err := f.c.CreateService(f.ctx, in); err == nil {
		t.Fatal("the same token with other parameters must fail")
	}
}

// A stalled call is never answered: the client's own deadline ends it.
func TestStallFaultHangsUntilTheClientGivesUp(t *testing.T) {
	f := newECSFixture(t)
	f.e.SetFault("ECS.ListClusters", Fault{StallRate: 1})
	ctx, cancel := context.WithTimeout(f.ctx, 200*time.Millisecond)
	defer cancel()
	_, err := f.c.ListClusters(ctx, &ecs.ListClustersInput{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want the client's deadline, got %v", err)
	}
	// Once the client hung up, the request log has the call, as every
	// request the emulator saw (polled: the server notices the hang-up on
	// its own connection goroutine).
	logged := func() bool {
		for _, r := range f.e.Log.All() {
			if r.Operation == "ListClusters" && r.ErrorCode == "(stalled)" {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(5 * time.Second); !logged(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the stalled call is not in the request log: %+v", f.e.Log.All())
		}
	}
	f.e.SetFault("ECS.ListClusters", Fault{})
	if _, err := f.c.ListClusters(f.ctx, &ecs.ListClustersInput{}); err != nil {
		t.Fatal(err)
	}
}

// ECS refuses load balancers and overrides that name containers or ports
// the task definition lacks, and a maximumPercent below minimumHealthyPercent.
func TestECSValidatesContainerReferences(t *testing.T) {
	f := newECSFixture(t)
	td := f.register(fargateTD("web", "nginx"))
	tg := "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
	create := func(lb ecstypes.LoadBalancer, dc *ecstypes.DeploymentConfiguration) error {
		_, err := f.c.CreateService(f.ctx, &ecs.CreateServiceInput{Cluster: aws.String("app"), ServiceName: aws.String("web"), TaskDefinition: aws.String(td),
			DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork,
			LoadBalancers: []ecstypes.LoadBalancer{lb}, DeploymentConfiguration: dc})
		return err
	}
	for _, tc := range []struct {
		lb   ecstypes.LoadBalancer
		dc   *ecstypes.DeploymentConfiguration
		want string
	}{
		{ecstypes.LoadBalancer{TargetGroupArn: aws.String(tg), ContainerName: aws.String("nginx"), ContainerPort: aws.Int32(8080)}, nil, "The container nginx does not exist"},
		{ecstypes.LoadBalancer{TargetGroupArn: aws.String(tg), ContainerName: aws.String("app"), ContainerPort: aws.Int32(9090)}, nil, "did not have a container port 9090"},
		{ecstypes.LoadBalancer{TargetGroupArn: aws.String(tg), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)},
			&ecstypes.DeploymentConfiguration{MinimumHealthyPercent: aws.Int32(100), MaximumPercent: aws.Int32(50)}, "maximumPercent"},
	} {
		if err := create(tc.lb, tc.dc); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want %q, got %v", tc.want, err)
		}
	}
	if err := create(ecstypes.LoadBalancer{TargetGroupArn: aws.String(tg), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}, nil); err != nil {
		t.Fatal(err)
	}
	_, err := f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"),
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{MinimumHealthyPercent: aws.Int32(100), MaximumPercent: aws.Int32(90)}})
	if err == nil {
		t.Error("UpdateService with maximumPercent below minimumHealthyPercent must fail")
	}
	other := fargateTD("web", "nginx")
	other.ContainerDefinitions[0].Name = aws.String("web")
	_, err = f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"), TaskDefinition: aws.String(f.register(other))})
	if err == nil || !strings.Contains(err.Error(), "The container app does not exist") {
		t.Errorf("a revision without the load balancer's container: got %v", err)
	}
	_, err = f.c.RunTask(f.ctx, &ecs.RunTaskInput{Cluster: aws.String("app"), TaskDefinition: aws.String(td), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork,
		Overrides: &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{Name: aws.String("nope")}}}})
	if err == nil || !strings.Contains(err.Error(), "Override for container named nope") {
		t.Errorf("RunTask override of an unknown container: got %v", err)
	}
}
