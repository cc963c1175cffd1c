package deploy

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// taskStarts is how long the service's tasks of earlier deployments whose
// desired status is status (RUNNING, or STOPPED: those ECS still lists, for
// about an hour) took to start, from createdAt (the task placed) to
// startedAt (RUNNING; a task that stopped before it has none and does not
// count): two calls, ListTasks and DescribeTasks of up to 100 tasks. 0 when
// it cannot tell (no permission, no such task).
//
// The statistic is the upper median: a rollout waits for all its tasks, so
// the longer half of the sample is what matters, while one task that
// started apart from its deployment (a replacement that waited for
// capacity, or found its image cached on an instance) cannot move it unless
// it is half the sample. With two tasks it is the longer.
func (w *Waiter) taskStarts(ctx context.Context, ours *ecstypes.Deployment, status ecstypes.DesiredStatus) time.Duration {
	list, err := w.ECS.ListTasks(ctx, &ecs.ListTasksInput{
		Cluster: aws.String(w.Cluster), ServiceName: aws.String(w.Service),
		DesiredStatus: status, MaxResults: aws.Int32(100),
	})
	if err != nil {
		slog.Debug("cannot list the service's tasks; polling without their start times", "service", w.Service, "status", status, "err", err)
		return 0
	}
	if len(list.TaskArns) == 0 {
		return 0
	}
	out, err := w.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(w.Cluster), Tasks: list.TaskArns})
	if err != nil {
		slog.Debug("cannot describe the service's tasks; polling without their start times", "service", w.Service, "status", status, "err", err)
		return 0
	}
	return upperMedianStart(out.Tasks, aws.ToString(ours.Id))
}

// upperMedianStart is the upper median of the start durations of tasks
// not started by deployment ours.
func upperMedianStart(tasks []ecstypes.Task, ours string) time.Duration {
	var took []time.Duration
	for _, t := range tasks {
		if t.CreatedAt == nil || t.StartedAt == nil || ours != "" && aws.ToString(t.StartedBy) == ours {
			continue
		}
		if d := t.StartedAt.Sub(*t.CreatedAt); d > 0 {
			took = append(took, d)
		}
	}
	if len(took) == 0 {
		return 0
	}
	slices.Sort(took)
	return took[len(took)/2]
}
