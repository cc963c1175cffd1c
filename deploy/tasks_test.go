package deploy

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// describeOnlyECS answers DescribeTasks with the cluster's tasks, whoever
// started them, as ECS does; it records what it was asked.
type describeOnlyECS struct {
	ECSAPI
	cluster map[string]ecstypes.Task // by id
	asked   [][]string
}

func (f *describeOnlyECS) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	f.asked = append(f.asked, append([]string{aws.ToString(in.Cluster)}, in.Tasks...))
	out := &ecs.DescribeTasksOutput{}
	for _, ref := range in.Tasks {
		if t, ok := f.cluster[taskID(ref)]; ok {
			out.Tasks = append(out.Tasks, t)
		} else {
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(ref), Reason: aws.String("MISSING")})
		}
	}
	return out, nil
}

func listedTask(id, group string) ecstypes.Task {
	return ecstypes.Task{TaskArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task/demo/" + id), Group: aws.String(group),
		TaskDefinitionArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"), LastStatus: aws.String("STOPPED")}
}

// --id names a task among the listed ones (id, ARN, unique prefix) without
// another call; a task the listing does not hold (doppio run's, not the
// service's) is looked up in the cluster by id or ARN.
func TestFindTaskListedOrInTheCluster(t *testing.T) {
	listed := []TaskInfo{taskInfo(listedTask("aaaa1111", "service:web")), taskInfo(listedTask("aaab2222", "service:web"))}
	run := listedTask("cccc3333", "family:web")
	f := &describeOnlyECS{cluster: map[string]ecstypes.Task{"cccc3333": run}}
	ctx := context.Background()

	for _, id := range []string{"aaaa1111", "aaaa", listed[0].ARN} {
		got, err := FindTask(ctx, f, "demo", listed, id)
		if err != nil || got.ID != "aaaa1111" {
			t.Errorf("FindTask(%s) = %+v, %v", id, got, err)
		}
	}
	if _, err := FindTask(ctx, f, "demo", listed, "aaa"); err == nil || !strings.Contains(err.Error(), "matches 2 tasks") {
		t.Errorf("ambiguous prefix: err = %v", err)
	}
	if len(f.asked) != 0 {
		t.Errorf("listed tasks need no DescribeTasks, got %v", f.asked)
	}

	for _, id := range []string{"cccc3333", aws.ToString(run.TaskArn)} {
		got, err := FindTask(ctx, f, "demo", listed, id)
		if err != nil || got.ID != "cccc3333" || got.Group != "family:web" || got.LastStatus != "STOPPED" {
			t.Errorf("FindTask(%s), a task the service does not hold = %+v, %v", id, got, err)
		}
	}
	if want := "[[demo cccc3333] [demo " + aws.ToString(run.TaskArn) + "]]"; fmt.Sprint(f.asked) != want {
		t.Errorf("DescribeTasks asked %v, want %s", f.asked, want)
	}
	if _, err := FindTask(ctx, f, "demo", listed, "ffff"); err == nil || err.Error() != "task ffff not found in cluster demo" {
		t.Errorf("no such task: err = %v", err)
	}
}
