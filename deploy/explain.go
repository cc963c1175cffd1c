package deploy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/internal/interrupt"
)

// Explanation says why a deployment failed or did not finish: what the
// stopped tasks of the new deployment died of, what ECS said, and what the
// failing container printed last.
type Explanation struct {
	// StoppedTasks groups the deployment's stopped tasks by reason and
	// container exit codes, most frequent first.
	StoppedTasks []StoppedGroup
	// Events are the last service events of this deployment, oldest first.
	Events []ServiceEvent
	// Logs are the last lines of the failing containers' awslogs streams.
	Logs []ContainerLog
	// Network is what the network check of the tasks' subnets found
	// missing, when tasks failed to reach AWS at start (netcheck).
	Network *NetworkFinding
	// Problems are what could not be gathered (permissions, throttling);
	// an explanation is best effort and never fails the command.
	Problems []string
	// Advice, when set by the controller (a failed CodeDeploy lifecycle
	// hook), is the next step instead of the one read from the tasks.
	Advice string
}

// StoppedGroup is a set of stopped tasks that died the same way.
type StoppedGroup struct {
	Count      int
	StopCode   string
	Reason     string
	Containers []ContainerExit
	// TaskIDs is a sample of the tasks (at most three).
	TaskIDs []string
}

// ContainerExit is how one container of a stopped task ended.
type ContainerExit struct {
	Name     string
	ExitCode *int32
	// Reason is left empty when it repeats the task's stopped reason (a
	// pull error is given on both).
	Reason string
	// NeverStarted: the task failed before this container ran (image
	// pull, secrets, log driver): it has no exit code and no log.
	NeverStarted bool
}

func (c ContainerExit) String() string {
	s := c.Name
	if c.ExitCode != nil {
		s += fmt.Sprintf(" exited %d", *c.ExitCode)
	} else if c.NeverStarted {
		s += " never started"
	}
	if c.Reason != "" {
		s += " (" + c.Reason + ")"
	}
	return s
}

// neverStarted tells whether container c of stopped task t never ran.
func neverStarted(t ecstypes.Task, c ecstypes.Container) bool {
	if c.ExitCode != nil {
		return false
	}
	return t.StopCode == ecstypes.TaskStopCodeTaskFailedToStart || t.StartedAt == nil
}

// sameText tells whether two reasons say the same (one holds the other).
func sameText(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	return a != "" && b != "" && (strings.Contains(a, b) || strings.Contains(b, a))
}

// ServiceEvent is one ECS service event.
type ServiceEvent struct {
	Time    time.Time
	Message string
}

// ContainerLog holds the last lines of one container's log stream.
type ContainerLog struct {
	Container string
	TaskID    string
	Group     string
	Stream    string
	Lines     []string
	// NoLogs says why there is no log to read ("the container never
	// started"); Lines is empty then.
	NoLogs string
	// Times are the lines' event times, index for index.
	Times []time.Time `json:"-"`
}

const (
	maxExplainTasks  = 100
	maxExplainEvents = 8
	maxLogLines      = 20
)

// explain gathers an Explanation. It runs on its own short budget so that a
// timed-out command can still say why.
func (w *Waiter) explain(ctx context.Context, svc *ecstypes.Service, want expectation, fresh []ServiceEvent) *Explanation {
	// Beyond the command's deadline (to say why it timed out), not beyond
	// SIGINT/SIGTERM.
	ctx, cancel := interrupt.Detach(ctx, explainBudget)
	defer cancel()
	slog.Debug("gathering what explains the outcome", "service", w.Service)
	ex := &Explanation{}
	if svc == nil {
		s, err := pollService(ctx, w.ECS, w.Cluster, w.Service)
		if err != nil {
			ex.Problems = append(ex.Problems, err.Error())
			return ex
		}
		svc = s
	}
	if svc == nil {
		return ex
	}
	d := findDeployment(svc, want)
	startedBy := want.deploymentID
	if startedBy == "" && d != nil {
		startedBy = aws.ToString(d.Id)
	}
	var since time.Time
	if d != nil && d.CreatedAt != nil {
		since = *d.CreatedAt
	}
	if len(fresh) > 0 {
		ex.Events = fresh[max(0, len(fresh)-maxExplainEvents):]
	} else {
		ex.Events = relevantEvents(svc, since)
	}

	tasks, err := stoppedTasks(ctx, w.ECS, w.Cluster, w.Service, startedBy, want.taskDefinition)
	if err != nil {
		ex.Problems = append(ex.Problems, err.Error())
	}
	ex.StoppedTasks = groupStopped(tasks)
	if w.EC2 != nil {
		ex.Network, err = w.explainNetwork(ctx, svc, d, tasks)
		if err != nil {
			ex.Problems = append(ex.Problems, err.Error())
		}
	}
	if w.Logs != nil && len(tasks) > 0 {
		logs, problems := lastLogLines(ctx, w.ECS, w.Logs, tasks)
		ex.Logs = logs
		ex.Problems = append(ex.Problems, problems...)
	}
	return ex
}

// relevantEvents keeps the newest events since the deployment started
// (all of them when the start is unknown), oldest first.
func relevantEvents(svc *ecstypes.Service, since time.Time) []ServiceEvent {
	var out []ServiceEvent
	for _, ev := range svc.Events { // newest first
		t := aws.ToTime(ev.CreatedAt)
		if !since.IsZero() && t.Before(since) {
			continue
		}
		out = append(out, ServiceEvent{Time: t, Message: aws.ToString(ev.Message)})
		if len(out) == maxExplainEvents {
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// stoppedTasks lists the stopped tasks of one deployment (startedBy is the
// deployment id ECS stamps on the tasks it starts for a service). Without
// a deployment id it falls back to the service's stopped tasks of the task
// definition.
func stoppedTasks(ctx context.Context, api ECSAPI, cluster, service, startedBy, taskDef string) ([]ecstypes.Task, error) {
	in := &ecs.ListTasksInput{Cluster: aws.String(cluster), DesiredStatus: ecstypes.DesiredStatusStopped, MaxResults: aws.Int32(maxExplainTasks)}
	if startedBy != "" {
		in.StartedBy = aws.String(startedBy)
	} else {
		in.ServiceName = aws.String(service)
	}
	list, err := api.ListTasks(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("list stopped tasks of %s: %w", service, err)
	}
	if len(list.TaskArns) == 0 {
		return nil, nil
	}
	desc, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: list.TaskArns})
	if err != nil {
		return nil, fmt.Errorf("describe stopped tasks of %s: %w", service, err)
	}
	var tasks []ecstypes.Task
	for _, t := range desc.Tasks {
		if startedBy == "" && taskDef != "" && !sameTaskDefinition(aws.ToString(t.TaskDefinitionArn), taskDef) {
			continue
		}
		tasks = append(tasks, t)
	}
	return tasks, nil
}

// groupStopped groups tasks that died the same way, most frequent first.
func groupStopped(tasks []ecstypes.Task) []StoppedGroup {
	groups := map[string]*StoppedGroup{}
	var order []string
	for _, t := range tasks {
		g := StoppedGroup{StopCode: string(t.StopCode), Reason: aws.ToString(t.StoppedReason)}
		for _, c := range t.Containers {
			ce := ContainerExit{Name: aws.ToString(c.Name), ExitCode: c.ExitCode, Reason: aws.ToString(c.Reason), NeverStarted: neverStarted(t, c)}
			if sameText(ce.Reason, g.Reason) {
				ce.Reason = ""
			}
			if ce.ExitCode == nil && ce.Reason == "" && !ce.NeverStarted {
				continue
			}
			g.Containers = append(g.Containers, ce)
		}
		sort.Slice(g.Containers, func(i, j int) bool { return g.Containers[i].Name < g.Containers[j].Name })
		key := g.StopCode + "\x00" + g.Reason
		for _, c := range g.Containers {
			key += "\x00" + c.String()
		}
		if groups[key] == nil {
			groups[key] = &g
			order = append(order, key)
		}
		gr := groups[key]
		gr.Count++
		if len(gr.TaskIDs) < 3 {
			gr.TaskIDs = append(gr.TaskIDs, taskID(aws.ToString(t.TaskArn)))
		}
	}
	out := make([]StoppedGroup, 0, len(order))
	for _, k := range order {
		out = append(out, *groups[k])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}

func taskID(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// lastLogLines reads, for the first task of the largest group, the log of
// each container that failed, when it logs with awslogs.
func lastLogLines(ctx context.Context, api ECSAPI, logs LogsAPI, tasks []ecstypes.Task) ([]ContainerLog, []string) {
	task, failing := pickFailingTask(tasks)
	if task == nil {
		return nil, nil
	}
	return containerLogs(ctx, api, logs, task, func(name string) bool { return failing[name] })
}

// containerLogs reads the last lines of the awslogs stream of each container
// of task that want accepts.
func containerLogs(ctx context.Context, api ECSAPI, logs LogsAPI, task *ecstypes.Task, want func(container string) bool) ([]ContainerLog, []string) {
	var problems []string
	td, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: task.TaskDefinitionArn})
	if err != nil {
		return nil, []string{fmt.Sprintf("describe task definition %s: %v", shortTD(aws.ToString(task.TaskDefinitionArn)), err)}
	}
	id := taskID(aws.ToString(task.TaskArn))
	started := map[string]bool{}
	for _, c := range task.Containers {
		started[aws.ToString(c.Name)] = !neverStarted(*task, c)
	}
	var out []ContainerLog
	for _, cd := range td.TaskDefinition.ContainerDefinitions {
		name := aws.ToString(cd.Name)
		if !want(name) {
			continue
		}
		if !started[name] {
			out = append(out, ContainerLog{Container: name, TaskID: id, NoLogs: "the container never started"})
			continue
		}
		lc := cd.LogConfiguration
		if lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs {
			continue
		}
		group, prefix := lc.Options["awslogs-group"], lc.Options["awslogs-stream-prefix"]
		if group == "" || prefix == "" {
			continue // without a prefix the stream name is not predictable
		}
		stream := prefix + "/" + name + "/" + id
		var optFns []func(*cloudwatchlogs.Options)
		if region := lc.Options["awslogs-region"]; region != "" {
			optFns = append(optFns, func(o *cloudwatchlogs.Options) { o.Region = region })
		}
		res, err := logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName:  aws.String(group),
			LogStreamName: aws.String(stream),
			Limit:         aws.Int32(maxLogLines),
			StartFromHead: aws.Bool(false),
		}, optFns...)
		var missing *logstypes.ResourceNotFoundException
		if errors.As(err, &missing) {
			out = append(out, ContainerLog{Container: name, TaskID: id, Group: group, Stream: stream, NoLogs: "the log stream does not exist (the container wrote nothing)"})
			continue
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("read log %s %s: %v", group, stream, err))
			continue
		}
		cl := ContainerLog{Container: name, TaskID: id, Group: group, Stream: stream}
		for _, e := range res.Events {
			cl.Lines = append(cl.Lines, strings.TrimRight(aws.ToString(e.Message), "\n"))
			cl.Times = append(cl.Times, time.UnixMilli(aws.ToInt64(e.Timestamp)))
		}
		out = append(out, cl)
	}
	return out, problems
}

// pickFailingTask chooses the newest stopped task with a failing container
// and names its failing containers (non-zero exit or a reason).
func pickFailingTask(tasks []ecstypes.Task) (*ecstypes.Task, map[string]bool) {
	sorted := append([]ecstypes.Task(nil), tasks...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return aws.ToTime(sorted[i].StoppedAt).After(aws.ToTime(sorted[j].StoppedAt))
	})
	for i := range sorted {
		failing := map[string]bool{}
		for _, c := range sorted[i].Containers {
			if (c.ExitCode != nil && *c.ExitCode != 0) || aws.ToString(c.Reason) != "" {
				failing[aws.ToString(c.Name)] = true
			}
		}
		if len(failing) > 0 {
			return &sorted[i], failing
		}
	}
	return nil, nil
}

// Lines renders the explanation as plain text lines, for any reporter.
func (ex *Explanation) Lines() []string {
	if ex == nil {
		return nil
	}
	var lines []string
	if len(ex.StoppedTasks) > 0 {
		lines = append(lines, "Stopped tasks of the deployment:")
		for _, g := range ex.StoppedTasks {
			reason := orDash(g.Reason)
			if g.StopCode != "" {
				reason += " [" + g.StopCode + "]"
			}
			lines = append(lines, hang(fmt.Sprintf("  %d× ", g.Count), reason)...)
			for _, c := range g.Containers {
				lines = append(lines, hang("      container ", c.String())...)
			}
			lines = append(lines, "      e.g. task "+strings.Join(g.TaskIDs, ", "))
		}
	} else {
		lines = append(lines, "No stopped tasks in this deployment.")
	}
	if events := ex.eventLines(); len(events) > 0 {
		lines = append(lines, "Last service events:")
		lines = append(lines, events...)
	}
	for _, l := range ex.Logs {
		if l.NoLogs != "" {
			lines = append(lines, fmt.Sprintf("No logs of container %s (task %s): %s.", l.Container, l.TaskID, l.NoLogs))
			continue
		}
		lines = append(lines, fmt.Sprintf("Last log lines of container %s (task %s, %s %s):", l.Container, l.TaskID, l.Group, l.Stream))
		if len(l.Lines) == 0 {
			lines = append(lines, "  (empty)")
		}
		for _, s := range l.Lines {
			for _, part := range splitBreaks(s) {
				lines = append(lines, "  | "+part)
			}
		}
	}
	if n := ex.Network; n != nil {
		lines = append(lines, fmt.Sprintf("Network check of the tasks' subnets (%s):", strings.Join(n.Subnets, ", ")))
		for _, p := range n.Missing {
			lines = append(lines, "  "+p)
		}
		if n.Denied != "" {
			lines = append(lines, "  not checked: access denied ("+n.Denied+")")
		} else if len(n.Missing) == 0 {
			lines = append(lines, "  nothing missing: every endpoint the task needs is reachable (check the endpoints' own security groups and DNS)")
		}
	}
	for _, p := range ex.Problems {
		lines = append(lines, "(could not gather: "+p+")")
	}
	if next := ex.NextStep(); next != "" {
		lines = append(lines, "Next: "+next)
	}
	return breakLines(lines)
}

// eventLines are the events worth a line: one without a message (a blank
// one from an API answer) says nothing, and a header over nothing but such
// events would promise what is not there.
func (ex *Explanation) eventLines() []string {
	var lines []string
	for _, e := range ex.Events {
		if strings.TrimSpace(e.Message) == "" {
			continue
		}
		lines = append(lines, hang("  "+e.Time.Local().Format("2006/01/02 15:04:05")+" ", strings.TrimSpace(e.Message))...)
	}
	return lines
}

// NextStep is what to do about the most frequent way the tasks died ("" when
// there is nothing specific to say).
func (ex *Explanation) NextStep() string {
	if ex == nil {
		return ""
	}
	if ex.Advice != "" && len(ex.StoppedTasks) == 0 {
		return ex.Advice
	}
	if len(ex.StoppedTasks) == 0 {
		for _, e := range ex.Events {
			if strings.Contains(e.Message, "unable to place a task") || strings.Contains(e.Message, "was unable to place") {
				return "ECS cannot place the tasks: add capacity to the cluster (or a capacity provider), or relax the placement constraints and the CPU/memory the task asks for."
			}
		}
		events := "read the service events above"
		if len(ex.eventLines()) == 0 {
			events = "the service shows no event of it (`doppio status` lists the newest)"
		}
		return "no task of this deployment stopped: " + events + "; if tasks stay PENDING or keep failing health checks, raise healthCheckGracePeriodSeconds or the timeout."
	}
	g := ex.StoppedTasks[0]
	reason := g.Reason
	for _, c := range g.Containers {
		reason += " " + c.Reason
	}
	switch {
	case strings.Contains(reason, "CannotPullContainerError"):
		return "the image could not be pulled: check that the image and tag exist and that the execution role may pull them (doppio verify checks both)."
	case strings.Contains(reason, "ResourceInitializationError") && strings.Contains(reason, "log"):
		return "the log configuration is wrong: create the log group (or set awslogs-create-group) and let the execution role write to it (doppio verify checks it)."
	case strings.Contains(reason, "ResourceInitializationError") && (strings.Contains(reason, "secret") || strings.Contains(reason, "ssm")):
		return "the task's secrets could not be read: check their ARNs and the execution role's access to them (doppio verify checks both)."
	case strings.Contains(reason, "OutOfMemory"):
		return "a container ran out of memory: raise its memory (or the task's) in the task definition."
	case strings.Contains(reason, "health check"):
		return "the tasks failed their health checks: check the health check path and port, and raise healthCheckGracePeriodSeconds if the application starts slowly."
	}
	for _, c := range g.Containers {
		if c.ExitCode != nil && *c.ExitCode != 0 {
			return fmt.Sprintf("container %s exited %d: read its log; `doppio run` of the same revision reproduces it outside the service.", c.Name, *c.ExitCode)
		}
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
