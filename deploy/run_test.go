package deploy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// runECS answers DescribeTasks with one scripted state per call; the last
// state repeats.
type runECS struct {
	ECSAPI
	states [][]ecstypes.Task
	calls  int
}

func (f *runECS) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	s := f.states[min(f.calls, len(f.states)-1)]
	f.calls++
	return &ecs.DescribeTasksOutput{Tasks: append([]ecstypes.Task(nil), s...)}, nil
}

// runLogs serves a stream that does not exist on the first call, then two
// lines, then the same token (no new lines).
type runLogs struct {
	calls  int
	stream string
}

func (f *runLogs) GetLogEvents(_ context.Context, in *cloudwatchlogs.GetLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error) {
	f.calls++
	f.stream = aws.ToString(in.LogStreamName)
	switch {
	case f.calls == 1:
		return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "The specified log stream does not exist."}
	case in.NextToken == nil:
		return &cloudwatchlogs.GetLogEventsOutput{NextForwardToken: aws.String("f/2"), Events: []cwtypes.OutputLogEvent{
			{Timestamp: aws.Int64(1000), Message: aws.String("migrating")},
			{Timestamp: aws.Int64(2000), Message: aws.String("boom")},
		}}, nil
	}
	return &cloudwatchlogs.GetLogEventsOutput{NextForwardToken: in.NextToken}, nil
}

const runTaskARN = "arn:aws:ecs:us-east-1:123456789012:task/demo/0123456789abcdef"

func runTD() *ecstypes.TaskDefinition {
	return &ecstypes.TaskDefinition{
		TaskDefinitionArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/job:7"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{
			{Name: aws.String("sidecar"), Essential: aws.Bool(false)},
			{Name: aws.String("app"), LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs,
				Options: map[string]string{"awslogs-group": "/ecs/job", "awslogs-stream-prefix": "ecs"}}},
		},
	}
}

func task(status string, exit *int32, stopCode ecstypes.TaskStopCode, reason string) ecstypes.Task {
	return ecstypes.Task{
		TaskArn: aws.String(runTaskARN), LastStatus: aws.String(status), StopCode: stopCode, StoppedReason: aws.String(reason),
		Containers: []ecstypes.Container{{Name: aws.String("app"), ExitCode: exit}, {Name: aws.String("sidecar"), ExitCode: aws.Int32(0)}},
	}
}

func follow(t *testing.T, ctx context.Context, states [][]ecstypes.Task, o RunOptions) (*RunOutcome, []string, *runLogs) {
	t.Helper()
	logs := &runLogs{}
	var lines []string
	r := &Runner{
		ECS: &runECS{states: states}, Logs: logs, MinInterval: time.Millisecond, MaxInterval: 2 * time.Millisecond,
		LogLine: func(id string, _ time.Time, l string) { lines = append(lines, id+" "+l) },
	}
	out := r.Follow(ctx, "demo", runTD(), []ecstypes.Task{{TaskArn: aws.String(runTaskARN)}}, o)
	return out, lines, logs
}

func TestRunStreamsLogsAndFailsOnNonZeroExit(t *testing.T) {
	out, lines, logs := follow(t, context.Background(), [][]ecstypes.Task{
		{task("PENDING", nil, "", "")},
		{task("RUNNING", nil, "", "")},
		{task("STOPPED", aws.Int32(3), ecstypes.TaskStopCodeEssentialContainerExited, "Essential container in task exited")},
	}, RunOptions{})
	if out.Class != Failed || out.ExitCode() != 3 {
		t.Fatalf("class %s exit %d, want failed/3: %s", out.Class, out.ExitCode(), out.Reason)
	}
	if want := "container app of task 0123456789abcdef exited with code 3 (Essential container in task exited)"; out.Reason != want {
		t.Errorf("reason %q, want %q", out.Reason, want)
	}
	if got := strings.Join(lines, "|"); got != "0123456789abcdef migrating|0123456789abcdef boom" {
		t.Errorf("log lines %q: each line once, in order", got)
	}
	if logs.stream != "ecs/app/0123456789abcdef" {
		t.Errorf("stream %q, want prefix/container/task", logs.stream)
	}
}

func TestRunCompletesOnZeroExit(t *testing.T) {
	out, _, _ := follow(t, context.Background(), [][]ecstypes.Task{{task("STOPPED", aws.Int32(0), ecstypes.TaskStopCodeEssentialContainerExited, "")}}, RunOptions{})
	if out.Class != Completed || out.Reason != "1 task completed: container app exited with code 0" {
		t.Fatalf("got %s: %s", out.Class, out.Reason)
	}
}

func TestRunTaskThatNeverStartsIsAFailure(t *testing.T) {
	out, _, _ := follow(t, context.Background(), [][]ecstypes.Task{
		{task("PROVISIONING", nil, "", "")},
		{task("STOPPED", nil, ecstypes.TaskStopCodeTaskFailedToStart, "CannotPullContainerError: pull image manifest has been retried 5 time(s)")},
	}, RunOptions{WaitUntil: RunUntilRunning})
	if out.Class != Failed || !strings.Contains(out.Reason, "failed to start: CannotPullContainerError") {
		t.Fatalf("got %s: %s", out.Class, out.Reason)
	}
}

func TestRunUntilRunning(t *testing.T) {
	out, _, _ := follow(t, context.Background(), [][]ecstypes.Task{{task("PENDING", nil, "", "")}, {task("RUNNING", nil, "", "")}}, RunOptions{WaitUntil: RunUntilRunning})
	if out.Class != Completed || out.Reason != "1 task running" {
		t.Fatalf("got %s: %s", out.Class, out.Reason)
	}
}

func TestRunTimeoutAndInterrupt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	out, _, _ := follow(t, ctx, [][]ecstypes.Task{{task("RUNNING", nil, "", "")}}, RunOptions{})
	if out.Class != Timeout || out.ExitCode() != 4 || !strings.Contains(out.Reason, "0123456789abcdef RUNNING") {
		t.Fatalf("got %s (%d): %s", out.Class, out.ExitCode(), out.Reason)
	}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	out, _, _ = follow(t, ctx, [][]ecstypes.Task{{task("RUNNING", nil, "", "")}}, RunOptions{})
	if out.Class != Interrupted {
		t.Fatalf("got %s: %s", out.Class, out.Reason)
	}
}

func TestRunTaskInputFromServiceDefinition(t *testing.T) {
	sd := ServiceDefinition(&ecstypes.Service{
		LaunchType:           ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}},
		EnableExecuteCommand: true,
	})
	in := RunTaskInput("", "job:7", sd, RunOptions{Count: 2, ClientToken: "t1"})
	if aws.ToString(in.Cluster) != "default" || aws.ToInt32(in.Count) != 2 || in.LaunchType != ecstypes.LaunchTypeFargate ||
		in.NetworkConfiguration.AwsvpcConfiguration.Subnets[0] != "subnet-1" || !in.EnableExecuteCommand || aws.ToString(in.ClientToken) != "t1" {
		t.Fatalf("unexpected input %+v", in)
	}
	if in := RunTaskInput("demo", "job:7", nil, RunOptions{}); in.NetworkConfiguration != nil || aws.ToInt32(in.Count) != 1 {
		t.Fatalf("a family alone has no network configuration and runs one task: %+v", in)
	}
}

type partialRunner struct{}

func (partialRunner) RunTask(_ context.Context, in *ecs.RunTaskInput, _ ...func(*ecs.Options)) (*ecs.RunTaskOutput, error) {
	return &ecs.RunTaskOutput{
		Tasks:    []ecstypes.Task{{TaskArn: aws.String(runTaskARN)}},
		Failures: []ecstypes.Failure{{Reason: aws.String("RESOURCE:MEMORY"), Arn: aws.String("arn:aws:ecs:us-east-1:123456789012:container-instance/demo/1")}},
	}, nil
}

// RunTask answering some tasks and some failures: the started tasks are
// returned (to be named and followed) and the outcome is never a success.
func TestRunTaskPartialFailure(t *testing.T) {
	r := &Runner{Run: partialRunner{}}
	tasks, err := r.Start(context.Background(), &ecs.RunTaskInput{TaskDefinition: aws.String("job:7"), Count: aws.Int32(2)})
	var sf *StartFailures
	if len(tasks) != 1 || !errors.As(err, &sf) {
		t.Fatalf("want the started task and StartFailures, got %d task(s), %v", len(tasks), err)
	}
	if !strings.Contains(err.Error(), "1 of 2 tasks of job:7 did not start: RESOURCE:MEMORY") {
		t.Errorf("error = %v", err)
	}
	out, _, _ := follow(t, context.Background(), [][]ecstypes.Task{{task("STOPPED", aws.Int32(0), ecstypes.TaskStopCodeEssentialContainerExited, "done")}}, RunOptions{})
	out = out.WithStartFailures(sf)
	if out.Class != Failed || out.ExitCode() != 3 || !strings.Contains(out.Reason, "1 task completed") || !strings.Contains(out.Reason, "did not start") {
		t.Errorf("outcome %s: %s", out.Class, out.Reason)
	}
}
