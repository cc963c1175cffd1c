package deploy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/doppio-ecs/doppio/normalize"
	"github.com/doppio-ecs/doppio/render"
)

// TaskRunner starts tasks (doppio run).
type TaskRunner interface {
	RunTask(context.Context, *ecs.RunTaskInput, ...func(*ecs.Options)) (*ecs.RunTaskOutput, error)
}

// RunWaitUntil is what ends `doppio run`'s wait.
type RunWaitUntil string

const (
	RunUntilRunning RunWaitUntil = "running"
	RunUntilStopped RunWaitUntil = "stopped"
)

// RunTaskDefinitionOptions choose the task definition `doppio run` runs.
type RunTaskDefinitionOptions struct {
	Revision             int32
	LatestTaskDefinition bool
	SkipTaskDefinition   bool
	DryRun               bool
	Ignore               normalize.Ignore
	// Overrides and WatchContainer are checked against a rendered
	// definition before it is registered (CheckRunContainers).
	Overrides      *ecstypes.TaskOverride
	WatchContainer string
}

// RunTaskDefinition resolves the task definition to run: --revision (of the
// service's family, or the local file's without a service), then
// --latest-task-definition, then --skip-task-definition (what the service
// runs; the family's newest without a service), else the local file,
// registered unless an identical revision exists. The returned reference is
// empty on a dry run that would register.
func (d *Deployer) RunTaskDefinition(ctx context.Context, cluster, service string, local LocalTaskDefinition, o RunTaskDefinitionOptions) (string, error) {
	n := 0
	// --skip-task-definition --revision N is ecspresso's spelling of
	// --revision N: the revision wins.
	for _, b := range []bool{o.Revision > 0, o.LatestTaskDefinition, o.SkipTaskDefinition && o.Revision == 0} {
		if b {
			n++
		}
	}
	if n > 1 {
		return "", fmt.Errorf("use only one of --revision, --latest-task-definition and --skip-task-definition")
	}
	if o.Revision < 0 {
		return "", fmt.Errorf("--revision must be a positive revision number, got %d", o.Revision)
	}
	var current string
	if service != "" && (o.Revision > 0 || o.LatestTaskDefinition || o.SkipTaskDefinition) {
		svc, err := describeService(ctx, d.ECS, cluster, service)
		if err != nil {
			return "", err
		}
		if svc != nil {
			current = aws.ToString(svc.TaskDefinition)
		}
	}
	if n > 0 {
		if o.SkipTaskDefinition && o.Revision == 0 && current != "" {
			return current, nil
		}
		family := familyOf(current)
		if current == "" {
			f, err := d.Family(ctx, "", "", local)
			if err != nil {
				return "", err
			}
			family = f
		}
		ref := family
		if o.Revision > 0 {
			ref = fmt.Sprintf("%s:%d", family, o.Revision)
		}
		out, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
		if err != nil {
			if isNotFound(err) {
				return "", fmt.Errorf("task definition %s not found", ref)
			}
			return "", fmt.Errorf("describe task definition %s: %w", ref, err)
		}
		return aws.ToString(out.TaskDefinition.TaskDefinitionArn), nil
	}
	if local == nil {
		return "", fmt.Errorf("no task definition to run: the config has no task_definition (or use --skip-task-definition)")
	}
	in, err := local(ctx)
	if err != nil {
		return "", err
	}
	if err := CheckRunContainers(in.ContainerDefinitions, o.Overrides, o.WatchContainer, "family "+aws.ToString(in.Family)+" (rendered)"); err != nil {
		return "", err
	}
	reg, err := d.Register(ctx, in, o.Ignore, o.DryRun)
	if err != nil {
		return "", err
	}
	if reg.TaskDefinition == nil {
		return "", nil
	}
	return aws.ToString(reg.TaskDefinition.TaskDefinitionArn), nil
}

// RunOptions are `doppio run`'s flags about the task itself.
type RunOptions struct {
	Count         int32
	Overrides     *ecstypes.TaskOverride
	Tags          []ecstypes.Tag
	PropagateTags ecstypes.PropagateTags
	ClientToken   string
	// WatchContainer is the container whose exit code decides the outcome
	// and whose awslogs output is streamed; empty: the first essential one.
	WatchContainer         string
	WaitUntil              RunWaitUntil
	NoWait                 bool
	EBSDeleteOnTermination bool
}

// RunTaskInput builds the RunTask call: placement and network from the
// service definition sd (nil: the task definition alone).
func RunTaskInput(cluster, taskDef string, sd *render.ServiceDefinition, o RunOptions) *ecs.RunTaskInput {
	in := &ecs.RunTaskInput{
		Cluster:        aws.String(clusterName(cluster)),
		TaskDefinition: aws.String(taskDef),
		Count:          aws.Int32(max(o.Count, 1)),
		Overrides:      o.Overrides,
		Tags:           o.Tags,
		PropagateTags:  o.PropagateTags,
		StartedBy:      aws.String("doppio-run"),
	}
	if o.ClientToken != "" {
		in.ClientToken = aws.String(o.ClientToken)
	}
	if sd == nil {
		return in
	}
	in.NetworkConfiguration = sd.NetworkConfiguration
	in.LaunchType = sd.LaunchType
	in.CapacityProviderStrategy = sd.CapacityProviderStrategy
	in.PlacementConstraints = sd.PlacementConstraints
	in.PlacementStrategy = sd.PlacementStrategy
	in.PlatformVersion = sd.PlatformVersion
	in.EnableECSManagedTags = aws.ToBool(sd.EnableECSManagedTags)
	in.EnableExecuteCommand = aws.ToBool(sd.EnableExecuteCommand)
	for _, vc := range sd.VolumeConfigurations {
		m := vc.ManagedEBSVolume
		if m == nil {
			continue
		}
		tv := ecstypes.TaskVolumeConfiguration{Name: vc.Name, ManagedEBSVolume: &ecstypes.TaskManagedEBSVolumeConfiguration{
			RoleArn: m.RoleArn, Encrypted: m.Encrypted, FilesystemType: ecstypes.TaskFilesystemType(m.FilesystemType),
			Iops: m.Iops, KmsKeyId: m.KmsKeyId, SizeInGiB: m.SizeInGiB, SnapshotId: m.SnapshotId,
			Throughput: m.Throughput, VolumeType: m.VolumeType,
			TerminationPolicy: &ecstypes.TaskManagedEBSVolumeTerminationPolicy{DeleteOnTermination: aws.Bool(o.EBSDeleteOnTermination)},
		}}
		for _, ts := range m.TagSpecifications {
			// A task has no service to propagate tags from.
			if ts.PropagateTags == ecstypes.PropagateTagsService {
				continue
			}
			tv.ManagedEBSVolume.TagSpecifications = append(tv.ManagedEBSVolume.TagSpecifications, ts)
		}
		in.VolumeConfigurations = append(in.VolumeConfigurations, tv)
	}
	return in
}

// Runner runs one-off tasks and follows them.
type Runner struct {
	ECS      ECSAPI
	Run      TaskRunner
	Logs     LogsAPI // optional: without it no log lines are streamed
	Reporter Reporter
	// LogLine receives each line of the watched container's log.
	LogLine     func(taskID string, t time.Time, line string)
	MinInterval time.Duration
	MaxInterval time.Duration
}

// RunOutcome is how `doppio run` ended.
type RunOutcome struct {
	Outcome
	TaskARNs []string
	// ContainerExitCode is the watched container's exit code once stopped.
	ContainerExitCode *int32
}

// Start calls RunTask and returns the started tasks. When ECS answers with
// failures, the error is a *StartFailures; tasks that did start are
// returned with it, so that they are named and followed, not forgotten.
func (r *Runner) Start(ctx context.Context, in *ecs.RunTaskInput) ([]ecstypes.Task, error) {
	out, err := r.Run.RunTask(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("run task %s: %w", shortTD(aws.ToString(in.TaskDefinition)), err)
	}
	if len(out.Failures) > 0 {
		sf := &StartFailures{TaskDefinition: shortTD(aws.ToString(in.TaskDefinition)), Wanted: int(aws.ToInt32(in.Count)), Started: len(out.Tasks)}
		for _, f := range out.Failures {
			m := aws.ToString(f.Reason)
			if d := aws.ToString(f.Detail); d != "" {
				m += " (" + d + ")"
			}
			if a := aws.ToString(f.Arn); a != "" {
				m += " [" + a + "]"
			}
			sf.Reasons = append(sf.Reasons, m)
		}
		return out.Tasks, sf
	}
	if len(out.Tasks) == 0 {
		return nil, fmt.Errorf("run task %s: ECS started no task", shortTD(aws.ToString(in.TaskDefinition)))
	}
	return out.Tasks, nil
}

// StartFailures are the failures RunTask answered with.
type StartFailures struct {
	TaskDefinition  string
	Wanted, Started int
	Reasons         []string
}

func (f *StartFailures) Error() string {
	if f.Started == 0 {
		return fmt.Sprintf("failed to run task %s: %s", f.TaskDefinition, strings.Join(f.Reasons, "; "))
	}
	return fmt.Sprintf("%d of %d tasks of %s did not start: %s", f.Wanted-f.Started, f.Wanted, f.TaskDefinition, strings.Join(f.Reasons, "; "))
}

// WithStartFailures makes the outcome of following the tasks that started
// say that others did not: never a success (exit 3 when the started ones
// completed).
func (o *RunOutcome) WithStartFailures(f *StartFailures) *RunOutcome {
	if f == nil {
		return o
	}
	if o.Class == Completed {
		o.Class = Failed
	}
	o.Reason += "; " + f.Error()
	return o
}

// logTail follows one awslogs stream.
type logTail struct {
	taskID, group, stream string
	token                 *string
}

// Follow waits for the tasks until they all run (RunUntilRunning) or all
// stopped, streaming the watched container's log, and classifies the end:
// Completed, Failed (a task did not start, or the watched container exited
// non-zero), Timeout (ctx deadline) or Interrupted.
func (r *Runner) Follow(ctx context.Context, cluster string, td *ecstypes.TaskDefinition, tasks []ecstypes.Task, o RunOptions) *RunOutcome {
	out := &RunOutcome{Outcome: Outcome{Cluster: clusterName(cluster), TaskDefinition: aws.ToString(td.TaskDefinitionArn)}}
	for _, t := range tasks {
		out.TaskARNs = append(out.TaskARNs, aws.ToString(t.TaskArn))
	}
	watch := o.WatchContainer
	if watch == "" {
		watch = watchedContainer(td)
	}
	tails := r.tails(td, watch, out.TaskARNs)
	lo, hi := r.MinInterval, r.MaxInterval
	dlo, dhi, _ := PollIntervals()
	if lo <= 0 {
		lo = dlo
	}
	if hi < lo {
		hi = max(dhi, lo)
	}
	interval := lo
	until := o.WaitUntil
	if until == "" {
		until = RunUntilStopped
	}
	var last []ecstypes.Task
	errs := 0
	for {
		cur, err := describeTasks(ctx, r.ECS, cluster, out.TaskARNs)
		if ctx.Err() != nil {
			return r.stopped(ctx, out, last)
		}
		if err != nil {
			if errs++; errs >= maxConsecutiveErrors {
				out.Class, out.Reason, out.Err = Error, "cannot read the task state", err
				return out
			}
		} else {
			errs = 0
			last = cur
			r.pollLogs(ctx, tails)
			if done := classifyRun(cur, watch, until, out); done {
				r.pollLogs(ctx, tails) // the last lines written before the stop
				return out
			}
		}
		timer := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return r.stopped(ctx, out, last)
		case <-timer.C:
		}
		interval = min(hi, interval*3/2)
	}
}

func (r *Runner) stopped(ctx context.Context, out *RunOutcome, last []ecstypes.Task) *RunOutcome {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		out.Class = Timeout
		var states []string
		for _, t := range last {
			states = append(states, taskID(aws.ToString(t.TaskArn))+" "+aws.ToString(t.LastStatus))
		}
		out.Reason = "the task did not finish in time"
		if len(states) > 0 {
			out.Reason += " (" + strings.Join(states, ", ") + "); it keeps running: doppio tasks --stop ID stops it"
		}
		return out
	}
	out.Class, out.Reason = Interrupted, "stopped waiting on request; the task was not stopped"
	return out
}

// classifyRun decides from one DescribeTasks answer; it fills out when done.
func classifyRun(tasks []ecstypes.Task, watch string, until RunWaitUntil, out *RunOutcome) bool {
	allRunning, allStopped := true, true
	for _, t := range tasks {
		switch aws.ToString(t.LastStatus) {
		case "RUNNING":
			allStopped = false
		case "STOPPED":
			allRunning = false
			if until == RunUntilRunning || t.StopCode == ecstypes.TaskStopCodeTaskFailedToStart {
				// Stopped before we saw it run: judge it now.
				if failed := judgeStopped(t, watch, out); failed || t.StopCode == ecstypes.TaskStopCodeTaskFailedToStart {
					return true
				}
			}
		default:
			allRunning, allStopped = false, false
		}
	}
	if until == RunUntilRunning && allRunning {
		out.Class, out.Reason = Completed, fmt.Sprintf("%s running", plural(len(tasks), "task"))
		return true
	}
	if !allStopped {
		return false
	}
	sort.SliceStable(tasks, func(i, j int) bool { return aws.ToString(tasks[i].TaskArn) < aws.ToString(tasks[j].TaskArn) })
	for _, t := range tasks {
		if judgeStopped(t, watch, out) {
			return true
		}
	}
	out.Class = Completed
	out.Reason = fmt.Sprintf("%s completed", plural(len(tasks), "task"))
	if out.ContainerExitCode != nil {
		out.Reason += fmt.Sprintf(": container %s exited with code %d", watch, *out.ContainerExitCode)
	}
	return true
}

// judgeStopped sets a Failed outcome when the stopped task t failed.
func judgeStopped(t ecstypes.Task, watch string, out *RunOutcome) bool {
	id := taskID(aws.ToString(t.TaskArn))
	if t.StopCode == ecstypes.TaskStopCodeTaskFailedToStart {
		out.Class = Failed
		out.Reason = fmt.Sprintf("task %s failed to start: %s", id, orDash(aws.ToString(t.StoppedReason)))
		for _, c := range t.Containers {
			if r := aws.ToString(c.Reason); r != "" {
				out.Reason += fmt.Sprintf("; container %s: %s", aws.ToString(c.Name), r)
			}
		}
		return true
	}
	for _, c := range t.Containers {
		if aws.ToString(c.Name) != watch {
			continue
		}
		out.ContainerExitCode = c.ExitCode
		switch {
		case c.ExitCode != nil && *c.ExitCode != 0:
			out.Class = Failed
			out.Reason = fmt.Sprintf("container %s of task %s exited with code %d", watch, id, *c.ExitCode)
			if r := aws.ToString(t.StoppedReason); r != "" {
				out.Reason += " (" + r + ")"
			}
			return true
		case c.ExitCode == nil:
			out.Class = Failed
			out.Reason = fmt.Sprintf("container %s of task %s stopped without an exit code: %s", watch, id, orDash(firstNonEmpty(aws.ToString(c.Reason), aws.ToString(t.StoppedReason))))
			return true
		}
		return false
	}
	out.Class = Failed
	out.Reason = fmt.Sprintf("task %s has no container named %s (--watch-container)", id, watch)
	return true
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// watchedContainer is the first essential container (ECS's default for
// essential is true), else the first one.
func watchedContainer(td *ecstypes.TaskDefinition) string {
	for _, c := range td.ContainerDefinitions {
		if c.Essential == nil || *c.Essential {
			return aws.ToString(c.Name)
		}
	}
	if len(td.ContainerDefinitions) > 0 {
		return aws.ToString(td.ContainerDefinitions[0].Name)
	}
	return ""
}

// tails returns the awslogs streams of the watched container, one per
// task; none when the container does not log with awslogs and a prefix.
func (r *Runner) tails(td *ecstypes.TaskDefinition, watch string, arns []string) []*logTail {
	if r.Logs == nil || r.LogLine == nil {
		return nil
	}
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) != watch || c.LogConfiguration == nil || c.LogConfiguration.LogDriver != ecstypes.LogDriverAwslogs {
			continue
		}
		opts := c.LogConfiguration.Options
		group, prefix := opts["awslogs-group"], opts["awslogs-stream-prefix"]
		if group == "" || prefix == "" {
			return nil
		}
		var tails []*logTail
		for _, arn := range arns {
			id := taskID(arn)
			tails = append(tails, &logTail{taskID: id, group: group, stream: prefix + "/" + watch + "/" + id})
		}
		return tails
	}
	return nil
}

// pollLogs prints the new lines of every stream. A stream that does not
// exist yet (the container has not started) is not an error.
func (r *Runner) pollLogs(ctx context.Context, tails []*logTail) {
	for _, t := range tails {
		for range 10 { // pages per poll: bounded so that a chatty task cannot starve the status checks
			in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(t.group), LogStreamName: aws.String(t.stream), StartFromHead: aws.Bool(true), NextToken: t.token}
			out, err := r.Logs.GetLogEvents(ctx, in)
			if err != nil {
				var ae smithy.APIError
				if !errors.As(err, &ae) || ae.ErrorCode() != "ResourceNotFoundException" {
					r.reporter().Report(Event{Time: time.Now(), Kind: EventWarning, Message: fmt.Sprintf("read log stream %s %s: %v", t.group, t.stream, err)})
				}
				break
			}
			for _, e := range out.Events {
				r.LogLine(t.taskID, time.UnixMilli(aws.ToInt64(e.Timestamp)), aws.ToString(e.Message))
			}
			same := aws.ToString(out.NextForwardToken) == aws.ToString(t.token)
			t.token = out.NextForwardToken
			if same || len(out.Events) == 0 {
				break
			}
		}
	}
}

func (r *Runner) reporter() Reporter {
	if r.Reporter == nil {
		return discard{}
	}
	return r.Reporter
}
