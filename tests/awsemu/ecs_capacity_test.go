package awsemu

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const capacitySeed = `
ecs:
  clusters:
    - {name: small, containerInstances: 1, instanceResources: {cpu: 1024, memory: 1024}}
  taskDefinitions:
    - family: job
      containerDefinitions: [{name: app, image: busybox, cpu: 256, memory: 512}]
    - family: cpu-heavy
      cpu: "1024"
      memory: "256"
      containerDefinitions: [{name: app, image: busybox}]
`

// RunTask on the EC2 launch type places tasks while the instances have
// CPU and memory left, and answers the rest as failures, as ECS does.
func TestRunTaskCapacity(t *testing.T) {
	clock := NewManualClock(time.Time{})
	e := startEmulator(t, Options{Clock: clock})
	seed, err := ParseSeed([]byte(capacitySeed))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ApplySeed(seed); err != nil {
		t.Fatal(err)
	}
	client := ecs.NewFromConfig(sdkConfig(t, e, 1))
	ctx := context.Background()

	out, err := client.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("small"), TaskDefinition: aws.String("job"), Count: aws.Int32(3), LaunchType: ecstypes.LaunchTypeEc2})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tasks) != 2 || len(out.Failures) != 1 {
		t.Fatalf("tasks %d, failures %+v; want 2 started and 1 failure", len(out.Tasks), out.Failures)
	}
	instance := aws.ToString(out.Tasks[0].ContainerInstanceArn)
	if f := out.Failures[0]; aws.ToString(f.Reason) != "RESOURCE:MEMORY" || aws.ToString(f.Arn) != instance {
		t.Errorf("failure = %s %s, want RESOURCE:MEMORY on %s", aws.ToString(f.Arn), aws.ToString(f.Reason), instance)
	}
	ci, err := client.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("small"), ContainerInstances: []string{instance}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int32{}
	for _, r := range ci.ContainerInstances[0].RemainingResources {
		got[aws.ToString(r.Name)] = r.IntegerValue
	}
	if got["CPU"] != 512 || got["MEMORY"] != 0 {
		t.Errorf("remaining = %v, want CPU 512 MEMORY 0", got)
	}

	// Memory fits, CPU does not.
	out, err = client.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("small"), TaskDefinition: aws.String("cpu-heavy"), LaunchType: ecstypes.LaunchTypeEc2, Overrides: &ecstypes.TaskOverride{Memory: aws.String("0")}})
	if err != nil || len(out.Tasks) != 0 || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "RESOURCE:CPU" {
		t.Fatalf("cpu-heavy: %+v, %v; want one RESOURCE:CPU failure", out, err)
	}

	// A stopped task frees what it held.
	first, err := client.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("small"), TaskDefinition: aws.String("job"), LaunchType: ecstypes.LaunchTypeEc2})
	if err != nil || len(first.Tasks) != 0 {
		t.Fatalf("a full instance took a task: %+v, %v", first, err)
	}
	list, err := client.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("small")})
	if err != nil || len(list.TaskArns) != 2 {
		t.Fatalf("tasks = %+v, %v", list, err)
	}
	if _, err := client.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("small"), Task: aws.String(list.TaskArns[0])}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Minute)
	again, err := client.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("small"), TaskDefinition: aws.String("job"), LaunchType: ecstypes.LaunchTypeEc2})
	if err != nil || len(again.Tasks) != 1 || len(again.Failures) != 0 {
		t.Fatalf("after a stop: %+v, %v; want the task started", again, err)
	}
}
