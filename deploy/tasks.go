package deploy

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// TaskStopper stops a task (tasks --stop).
type TaskStopper interface {
	StopTask(context.Context, *ecs.StopTaskInput, ...func(*ecs.Options)) (*ecs.StopTaskOutput, error)
}

// TaskInfo is one line of `doppio tasks`.
type TaskInfo struct {
	ID             string     `json:"id"`
	TaskDefinition string     `json:"taskDefinition"`
	LastStatus     string     `json:"lastStatus"`
	DesiredStatus  string     `json:"desiredStatus"`
	Health         string     `json:"healthStatus"`
	Group          string     `json:"group,omitempty"`
	StartedAt      *time.Time `json:"startedAt,omitempty"`
	StoppedAt      *time.Time `json:"stoppedAt,omitempty"`
	StoppedReason  string     `json:"stoppedReason,omitempty"`
	StopCode       string     `json:"stopCode,omitempty"`
	ARN            string     `json:"taskArn"`
	// Task is the task as DescribeTasks returned it (with its tags).
	Task ecstypes.Task `json:"-"`
}

// ListTasks lists the service's tasks (or, without a service, the family's),
// running and recently stopped, newest first. It makes no mutating call.
func ListTasks(ctx context.Context, api ECSAPI, cluster, service, family string) ([]TaskInfo, error) {
	var arns []string
	for _, status := range []ecstypes.DesiredStatus{ecstypes.DesiredStatusRunning, ecstypes.DesiredStatusStopped} {
		in := &ecs.ListTasksInput{Cluster: aws.String(clusterName(cluster)), DesiredStatus: status}
		what := "family " + family
		if service != "" {
			in.ServiceName, what = aws.String(service), "service "+service
		} else {
			in.Family = aws.String(family)
		}
		p := ecs.NewListTasksPaginator(api, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				if isNotFound(err) {
					if service != "" {
						return nil, ErrServiceNotFound(cluster, service)
					}
					return nil, fmt.Errorf("cluster %s not found", clusterName(cluster))
				}
				return nil, fmt.Errorf("list tasks of %s in cluster %s: %w", what, clusterName(cluster), err)
			}
			arns = append(arns, page.TaskArns...)
		}
	}
	tasks, err := describeTasks(ctx, api, cluster, arns)
	if err != nil {
		return nil, err
	}
	infos := make([]TaskInfo, 0, len(tasks))
	for _, t := range tasks {
		infos = append(infos, taskInfo(t))
	}
	sort.SliceStable(infos, func(i, j int) bool {
		a, b := infos[i], infos[j]
		if (a.LastStatus == "STOPPED") != (b.LastStatus == "STOPPED") {
			return b.LastStatus == "STOPPED"
		}
		return aws.ToTime(a.StartedAt).After(aws.ToTime(b.StartedAt))
	})
	return infos, nil
}

func taskInfo(t ecstypes.Task) TaskInfo {
	return TaskInfo{
		ID:             taskID(aws.ToString(t.TaskArn)),
		ARN:            aws.ToString(t.TaskArn),
		TaskDefinition: shortTD(aws.ToString(t.TaskDefinitionArn)),
		LastStatus:     aws.ToString(t.LastStatus),
		DesiredStatus:  aws.ToString(t.DesiredStatus),
		Health:         string(t.HealthStatus),
		Group:          aws.ToString(t.Group),
		StartedAt:      t.StartedAt,
		StoppedAt:      t.StoppedAt,
		StoppedReason:  aws.ToString(t.StoppedReason),
		StopCode:       string(t.StopCode),
		Task:           t,
	}
}

// FindTask returns the task whose id (or ARN, or a unique id prefix) is id
// among tasks, the listed ones; else, for a whole id or ARN, any task of the
// cluster, whoever started it (doppio run, a scheduled task, another
// service): ListTasks by service or family does not list those, DescribeTasks
// finds them.
func FindTask(ctx context.Context, api ECSAPI, cluster string, tasks []TaskInfo, id string) (*TaskInfo, error) {
	var found []*TaskInfo
	for i := range tasks {
		t := &tasks[i]
		if t.ID == id || t.ARN == id {
			return t, nil
		}
		if strings.HasPrefix(t.ID, id) {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
	case 1:
		return found[0], nil
	default:
		return nil, fmt.Errorf("task id prefix %s matches %d tasks; give more characters", id, len(found))
	}
	described, err := describeTasks(ctx, api, cluster, []string{id})
	if err != nil {
		return nil, fmt.Errorf("find task %s: %w", id, err)
	}
	if len(described) == 0 {
		return nil, fmt.Errorf("task %s not found in cluster %s", id, clusterName(cluster))
	}
	t := taskInfo(described[0])
	return &t, nil
}

// StopTask stops one task.
func StopTask(ctx context.Context, api TaskStopper, cluster, arn, reason string) error {
	if _, err := api.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(clusterName(cluster)), Task: aws.String(arn), Reason: aws.String(reason)}); err != nil {
		return fmt.Errorf("stop task %s: %w", taskID(arn), err)
	}
	return nil
}

// TraceEvent is one line of a task's timeline.
type TraceEvent struct {
	Time    time.Time `json:"time"`
	Source  string    `json:"source"` // TASK, CONTAINER:<name>, LOG:<container>
	Message string    `json:"message"`
}

// TraceTask builds the timeline of one task: its lifecycle timestamps, how
// each container ended, and the last lines of each container's awslogs
// stream, oldest first. It makes no mutating call; logs that cannot be read
// are reported as problems, not errors.
func TraceTask(ctx context.Context, api ECSAPI, logs LogsAPI, t ecstypes.Task) ([]TraceEvent, []string) {
	var ev []TraceEvent
	at := func(tm *time.Time, source, msg string) {
		if tm != nil && !tm.IsZero() {
			ev = append(ev, TraceEvent{Time: *tm, Source: source, Message: msg})
		}
	}
	at(t.CreatedAt, "TASK", "created ("+shortTD(aws.ToString(t.TaskDefinitionArn))+", "+aws.ToString(t.Group)+")")
	at(t.PullStartedAt, "TASK", "image pull started")
	at(t.PullStoppedAt, "TASK", "image pull finished")
	at(t.StartedAt, "TASK", "started")
	stopping := "stopping"
	if r := aws.ToString(t.StoppedReason); r != "" {
		stopping += ": " + r
	}
	if t.StopCode != "" {
		stopping += " (" + string(t.StopCode) + ")"
	}
	at(t.StoppingAt, "TASK", stopping)
	at(t.ExecutionStoppedAt, "TASK", "execution stopped")
	at(t.StoppedAt, "TASK", "stopped")
	end := t.StoppedAt
	if end == nil {
		end = t.StoppingAt
	}
	for _, c := range t.Containers {
		name := aws.ToString(c.Name)
		msg := "last status " + aws.ToString(c.LastStatus)
		if c.ExitCode != nil {
			msg += fmt.Sprintf(", exit code %d", *c.ExitCode)
		}
		if r := aws.ToString(c.Reason); r != "" {
			msg += ", reason: " + r
		}
		tm := end
		if tm == nil {
			tm = t.StartedAt
		}
		if tm == nil {
			tm = t.CreatedAt
		}
		at(tm, "CONTAINER:"+name, msg)
	}
	cls, problems := containerLogs(ctx, api, logs, &t, func(string) bool { return true })
	for _, cl := range cls {
		for i, line := range cl.Lines {
			tm := cl.Times[i]
			at(&tm, "LOG:"+cl.Container, line)
		}
	}
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].Time.Before(ev[j].Time) })
	return ev, problems
}
