package awsemu

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

var logTimings = ECSTimings{Provision: time.Second, Pending: 2 * time.Second, Stop: time.Second, RunTask: 5 * time.Second, SteadyState: time.Second}

// loggingTD is a Fargate task definition whose container "app" logs with
// awslogs to group under prefix "job".
func loggingTD(group string, labels map[string]string, extra map[string]string) *ecs.RegisterTaskDefinitionInput {
	in := fargateTD("job", "busybox")
	opts := map[string]string{"awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "job"}
	for k, v := range extra {
		opts[k] = v
	}
	in.ContainerDefinitions[0].LogConfiguration = &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: opts}
	in.ContainerDefinitions[0].DockerLabels = labels
	return in
}

func (f *ecsFixture) runOne(td string) (arn, id string) {
	f.t.Helper()
	out, err := f.c.RunTask(f.ctx, &ecs.RunTaskInput{Cluster: aws.String("app"), TaskDefinition: aws.String(td), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork})
	if err != nil || len(out.Tasks) != 1 {
		f.t.Fatalf("run task: %v %+v", err, out)
	}
	arn = aws.ToString(out.Tasks[0].TaskArn)
	return arn, lastSegment(arn)
}

func (f *ecsFixture) task(arn string) ecstypes.Task {
	f.t.Helper()
	out, err := f.c.DescribeTasks(f.ctx, &ecs.DescribeTasksInput{Cluster: aws.String("app"), Tasks: []string{arn}})
	if err != nil || len(out.Tasks) != 1 {
		f.t.Fatalf("describe task: %v %+v", err, out)
	}
	return out.Tasks[0]
}

func messages(evs []logstypes.OutputLogEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, aws.ToString(e.Message))
	}
	return out
}

// The awslogs driver writes awsemu.log when the container starts and
// awsemu.log-on-exit when it exits non-zero, at the emulated times, and a
// CloudWatch Logs read sees them right after the clock moves (no ECS call
// in between).
func TestECSContainerLogs(t *testing.T) {
	f := newECSFixture(t)
	f.e.SetECSTimings(logTimings)
	logs := cloudwatchlogs.NewFromConfig(sdkConfig(t, f.e, 1))
	if err := f.e.CreateLogGroup(LogGroupSpec{Name: "/ecs/job"}); err != nil {
		t.Fatal(err)
	}
	td := f.register(loggingTD("/ecs/job", map[string]string{
		labelLog: "starting job\nconnecting to db.internal:5432\n", labelLogOnExit: "FATAL: cannot connect to database",
		labelExitCode: "2", labelExitAfter: "10s",
	}, nil))
	t0 := f.e.now()
	_, id := f.runOne(td)
	stream := "job/app/" + id
	get := func() []logstypes.OutputLogEvent {
		t.Helper()
		out, err := logs.GetLogEvents(f.ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/ecs/job"), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true)})
		if err != nil {
			t.Fatalf("get log events of %s: %v", stream, err)
		}
		return out.Events
	}

	// Still PENDING: the stream does not exist yet, as with awslogs.
	f.clk.Advance(2 * time.Second)
	_, err := logs.GetLogEvents(f.ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/ecs/job"), LogStreamName: aws.String(stream)})
	var rnf *logstypes.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Fatalf("before the container starts: want ResourceNotFoundException, got %v", err)
	}

	// RUNNING at t0+3s: the start lines, stamped with the start time.
	f.clk.Advance(2 * time.Second)
	evs := get()
	if got, want := messages(evs), []string{"starting job", "connecting to db.internal:5432"}; !slices.Equal(got, want) {
		t.Fatalf("after start: %q, want %q", got, want)
	}
	if ts := aws.ToInt64(evs[0].Timestamp); ts != t0.Add(3*time.Second).UnixMilli() {
		t.Errorf("start line at %d, want %d (t0+3s)", ts, t0.Add(3*time.Second).UnixMilli())
	}

	// Exit code 2 at t0+13s: the exit line follows.
	f.clk.Advance(15 * time.Second)
	evs = get()
	if got := messages(evs); len(got) != 3 || got[2] != "FATAL: cannot connect to database" {
		t.Fatalf("after exit: %q", got)
	}
	if ts := aws.ToInt64(evs[2].Timestamp); ts != t0.Add(13*time.Second).UnixMilli() {
		t.Errorf("exit line at %d, want %d (t0+13s)", ts, t0.Add(13*time.Second).UnixMilli())
	}
	fl, err := logs.FilterLogEvents(f.ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/ecs/job"), LogStreamNamePrefix: aws.String("job/app/"), FilterPattern: aws.String("FATAL")})
	if err != nil || len(fl.Events) != 1 || aws.ToString(fl.Events[0].LogStreamName) != stream {
		t.Fatalf("filter FATAL: %v %+v", err, fl)
	}
	if got := f.e.LogEvents("/ecs/job", stream); len(got) != 3 {
		t.Errorf("Go API LogEvents = %q", got)
	}
}

// Exit code 0 writes no exit lines; a container that exits while starting
// still printed its start lines; a container without labels gets an empty
// stream.
func TestECSContainerLogsExitVariants(t *testing.T) {
	f := newECSFixture(t)
	f.e.SetECSTimings(logTimings)
	if err := f.e.CreateLogGroup(LogGroupSpec{Name: "/ecs/job"}); err != nil {
		t.Fatal(err)
	}
	ok := f.register(loggingTD("/ecs/job", map[string]string{labelLog: "done", labelLogOnExit: "never printed"}, nil))
	crash := f.register(loggingTD("/ecs/job", map[string]string{labelLog: "boot", labelLogOnExit: "panic: nil map\ngoroutine 1 [running]:", labelExitCode: "1"}, nil))
	quiet := f.register(loggingTD("/ecs/job", nil, nil))
	_, okID := f.runOne(ok)
	crashARN, crashID := f.runOne(crash)
	_, quietID := f.runOne(quiet)
	f.clk.Advance(time.Minute)

	if tk := f.task(crashARN); aws.ToString(tk.LastStatus) != "STOPPED" || aws.ToInt32(tk.Containers[0].ExitCode) != 1 {
		t.Fatalf("crashing task: %s exit=%v", aws.ToString(tk.LastStatus), tk.Containers[0].ExitCode)
	}
	for _, c := range []struct {
		id   string
		want []string
	}{
		{okID, []string{"done"}},
		{crashID, []string{"boot", "panic: nil map", "goroutine 1 [running]:"}},
		{quietID, nil},
	} {
		if got := f.e.LogEvents("/ecs/job", "job/app/"+c.id); !slices.Equal(got, c.want) {
			t.Errorf("task %s: %q, want %q", c.id, got, c.want)
		}
	}
	logs := cloudwatchlogs.NewFromConfig(sdkConfig(t, f.e, 1))
	st, err := logs.DescribeLogStreams(f.ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/ecs/job")})
	if err != nil || len(st.LogStreams) != 3 {
		t.Fatalf("streams: %v %+v", err, st)
	}
}

// A missing log group fails the task as on Fargate, unless the task may
// create it.
func TestECSContainerLogsMissingGroup(t *testing.T) {
	f := newECSFixture(t)
	f.e.SetECSTimings(logTimings)
	missing := f.register(loggingTD("/ecs/missing", map[string]string{labelLog: "hello"}, nil))
	create := f.register(loggingTD("/ecs/created", map[string]string{labelLog: "hello"}, map[string]string{"awslogs-create-group": "true"}))
	failARN, _ := f.runOne(missing)
	_, createdID := f.runOne(create)
	f.clk.Advance(4 * time.Second)

	tk := f.task(failARN)
	want := "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1"
	if aws.ToString(tk.LastStatus) != "STOPPED" || tk.StopCode != ecstypes.TaskStopCodeTaskFailedToStart || aws.ToString(tk.StoppedReason) != want {
		t.Fatalf("task with a missing group: %s %s %q", aws.ToString(tk.LastStatus), tk.StopCode, aws.ToString(tk.StoppedReason))
	}
	if tk.StartedAt != nil {
		t.Errorf("a task that failed to start has startedAt %v", tk.StartedAt)
	}
	if f.e.LogGroupExists("/ecs/missing") {
		t.Error("the failing task created its log group")
	}
	if got := f.e.LogEvents("/ecs/created", "job/app/"+createdID); !slices.Equal(got, []string{"hello"}) {
		t.Errorf("awslogs-create-group: %q", got)
	}
}

// A service whose new tasks cannot create their log stream trips the
// circuit breaker; every failing task of a crashing revision has its own
// stream with the exit line.
func TestECSContainerLogsInRollout(t *testing.T) {
	f := newECSFixture(t)
	f.e.SetECSTimings(logTimings)
	// Seeded tasks start RUNNING: no logger check, no group created.
	quiet := loggingTD("/ecs/web", nil, nil)
	quiet.Family = aws.String("web")
	f.seedWeb(f.register(quiet), 2, &ecstypes.DeploymentConfiguration{DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: true}})
	if f.e.LogGroupExists("/ecs/web") {
		t.Fatal("seeding created the log group")
	}
	if err := f.e.CreateLogGroup(LogGroupSpec{Name: "/ecs/web"}); err != nil {
		t.Fatal(err)
	}
	bad := loggingTD("/ecs/web", map[string]string{labelLog: "boot", labelLogOnExit: "FATAL: cannot connect to database", labelExitCode: "1"}, nil)
	bad.Family = aws.String("web")
	if _, err := f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"), TaskDefinition: aws.String(f.register(bad))}); err != nil {
		t.Fatal(err)
	}
	f.until("web", time.Second, 120, func(s ecstypes.Service) bool {
		return len(s.Deployments) == 1 && s.Deployments[0].RolloutState == ecstypes.DeploymentRolloutStateCompleted && hasEvent(s, "rolling back")
	})
	logs := cloudwatchlogs.NewFromConfig(sdkConfig(t, f.e, 1))
	fl, err := logs.FilterLogEvents(f.ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/ecs/web"), FilterPattern: aws.String(`"cannot connect"`)})
	if err != nil || len(fl.Events) < 3 {
		t.Fatalf("exit lines of the failed tasks: %v %+v", err, fl)
	}
	streams := map[string]bool{}
	for _, e := range fl.Events {
		streams[aws.ToString(e.LogStreamName)] = true
	}
	if len(streams) != len(fl.Events) {
		t.Errorf("%d exit lines in %d streams, want one per task", len(fl.Events), len(streams))
	}
}
