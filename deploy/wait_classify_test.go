package deploy

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const (
	tdOld = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"
	tdNew = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
	tdX   = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func dep(id, status, td string, desired, running, failed int32, rollout ecstypes.DeploymentRolloutState, age int) ecstypes.Deployment {
	return ecstypes.Deployment{
		Id: aws.String(id), Status: aws.String(status), TaskDefinition: aws.String(td),
		DesiredCount: desired, RunningCount: running, FailedTasks: failed, RolloutState: rollout,
		CreatedAt: aws.Time(t0.Add(time.Duration(age) * time.Minute)),
	}
}

func service(desired, running int32, deps ...ecstypes.Deployment) *ecstypes.Service {
	return &ecstypes.Service{ServiceName: aws.String("web"), Status: aws.String("ACTIVE"), DesiredCount: desired, RunningCount: running, Deployments: deps}
}

// TestClassify runs the outcome state machine over DescribeServices states
// recorded from rollouts (shapes as ECS returns them).
func TestClassify(t *testing.T) {
	const (
		in   = ecstypes.DeploymentRolloutStateInProgress
		done = ecstypes.DeploymentRolloutStateCompleted
		fail = ecstypes.DeploymentRolloutStateFailed
	)
	ours := expectation{taskDefinition: tdNew, deploymentID: "ecs-svc/2", until: UntilDeployed}
	oursStable := expectation{taskDefinition: tdNew, deploymentID: "ecs-svc/2", until: UntilStable}
	byTD := expectation{taskDefinition: tdNew, until: UntilDeployed}
	withEvents := func(s *ecstypes.Service, msgs ...string) *ecstypes.Service {
		for _, m := range msgs {
			s.Events = append(s.Events, ecstypes.ServiceEvent{Id: aws.String(m), Message: aws.String(m), CreatedAt: aws.Time(t0)})
		}
		return s
	}
	cases := []struct {
		name  string
		svc   *ecstypes.Service
		want  expectation
		done  bool
		class Class
	}{
		{"just started", service(2, 2, dep("ecs-svc/2", "PRIMARY", tdNew, 2, 0, 0, in, 2), dep("ecs-svc/1", "ACTIVE", tdOld, 2, 2, 0, done, 1)), ours, false, ""},
		{"new tasks running, old draining", service(2, 4, dep("ecs-svc/2", "PRIMARY", tdNew, 2, 2, 0, in, 2), dep("ecs-svc/1", "ACTIVE", tdOld, 2, 2, 0, done, 1)), ours, false, ""},
		{"single deployment, not yet COMPLETED", service(2, 2, dep("ecs-svc/2", "PRIMARY", tdNew, 2, 2, 0, in, 2)), ours, false, ""},
		{"completed", service(2, 2, dep("ecs-svc/2", "PRIMARY", tdNew, 2, 2, 0, done, 2)), ours, true, Completed},
		{"stable before COMPLETED counts for --wait-until stable", service(2, 2, dep("ecs-svc/2", "PRIMARY", tdNew, 2, 2, 0, in, 2)), oursStable, true, Completed},
		{"stable needs one deployment", service(2, 4, dep("ecs-svc/2", "PRIMARY", tdNew, 2, 2, 0, in, 2), dep("ecs-svc/1", "ACTIVE", tdOld, 2, 2, 0, done, 1)), oursStable, false, ""},
		{"stable needs running == desired", service(2, 1, dep("ecs-svc/2", "PRIMARY", tdNew, 2, 1, 0, in, 2)), oursStable, false, ""},
		{"failed tasks, breaker not tripped yet", service(2, 2, dep("ecs-svc/2", "PRIMARY", tdNew, 2, 0, 2, in, 2), dep("ecs-svc/1", "ACTIVE", tdOld, 2, 2, 0, done, 1)), ours, false, ""},
		{"circuit breaker without rollback", service(2, 2, dep("ecs-svc/2", "PRIMARY", tdNew, 2, 0, 3, fail, 2), dep("ecs-svc/1", "ACTIVE", tdOld, 2, 2, 0, done, 1)), ours, true, Failed},
		{"circuit breaker rolling back", service(2, 2, dep("ecs-svc/3", "PRIMARY", tdOld, 2, 0, 0, in, 3), dep("ecs-svc/2", "ACTIVE", tdNew, 2, 0, 3, fail, 2), dep("ecs-svc/1", "ACTIVE", tdOld, 2, 2, 0, done, 1)), ours, true, RolledBack},
		// The classic false success: after a rollback one deployment on the
		// old revision remains, running == desired. It must not pass.
		{"rolled back and stable on the old revision", withEvents(service(2, 2, dep("ecs-svc/3", "PRIMARY", tdOld, 2, 2, 0, done, 3)), "(service web) rolling back to deployment ecs-svc/1."), ours, true, RolledBack},
		{"rolled back and stable, --wait-until stable", withEvents(service(2, 2, dep("ecs-svc/3", "PRIMARY", tdOld, 2, 2, 0, done, 3)), "(service web) rolling back to deployment ecs-svc/1."), oursStable, true, RolledBack},
		{"settled on another task definition", service(2, 2, dep("ecs-svc/9", "PRIMARY", tdX, 2, 2, 0, done, 9)), ours, true, Failed},
		{"replaced by another deploy", service(2, 2, dep("ecs-svc/9", "PRIMARY", tdX, 2, 0, 0, in, 9), dep("ecs-svc/2", "ACTIVE", tdNew, 2, 1, 0, in, 2)), ours, true, Failed},
		{"forced redeploy of the same revision by someone else", service(2, 2, dep("ecs-svc/7", "PRIMARY", tdNew, 2, 2, 0, done, 7)), ours, true, Completed},
		{"no deployment id: PRIMARY on our revision", service(2, 2, dep("ecs-svc/5", "PRIMARY", tdNew, 2, 2, 0, done, 5)), byTD, true, Completed},
		{"no deployment id, old ACTIVE on same revision", service(2, 4, dep("ecs-svc/5", "PRIMARY", tdNew, 2, 1, 0, in, 5), dep("ecs-svc/1", "ACTIVE", tdNew, 2, 2, 0, done, 1)), byTD, false, ""},
		{"family:revision matches ARN", service(1, 1, dep("ecs-svc/2", "PRIMARY", tdNew, 1, 1, 0, done, 2)), expectation{taskDefinition: "web:2", until: UntilDeployed}, true, Completed},
		{"no rollout state (external controller), stable", service(1, 1, dep("ecs-svc/2", "PRIMARY", tdNew, 1, 1, 0, "", 2)), ours, true, Completed},
		{"service deleted", &ecstypes.Service{Status: aws.String("DRAINING")}, ours, true, Error},
		{"service missing", nil, ours, true, Error},
		{"rollback requested, not PRIMARY yet", service(2, 2, dep("ecs-svc/2", "PRIMARY", tdNew, 2, 1, 0, in, 2), dep("ecs-svc/1", "ACTIVE", tdOld, 2, 2, 0, done, 1)), expectation{taskDefinition: tdOld, until: UntilDeployed, awaitPrimary: true}, false, ""},
		{"rollback completed", service(2, 2, dep("ecs-svc/3", "PRIMARY", tdOld, 2, 2, 0, done, 3)), expectation{taskDefinition: tdOld, until: UntilDeployed, awaitPrimary: true}, true, Completed},
		{"zero desired completes", service(0, 0, dep("ecs-svc/2", "PRIMARY", tdNew, 0, 0, 0, done, 2)), ours, true, Completed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := classify(c.svc, c.want)
			if v.done != c.done || v.class != c.class {
				t.Fatalf("classify = done %v class %q (%s); want done %v class %q", v.done, v.class, v.reason, c.done, c.class)
			}
			if v.done && v.reason == "" {
				t.Fatal("a final verdict needs a reason")
			}
		})
	}
}

func TestOutcomeExitCodes(t *testing.T) {
	for class, code := range map[Class]int{Completed: 0, Failed: 3, RolledBack: 3, Timeout: 4, Error: 1, Interrupted: 1} {
		if got := (&Outcome{Class: class}).ExitCode(); got != code {
			t.Errorf("%s: exit %d, want %d", class, got, code)
		}
	}
	if (&Outcome{Class: Completed}).AsError() != nil {
		t.Error("completed must not be an error")
	}
}

func TestGroupStopped(t *testing.T) {
	task := func(id, reason string, code int32) ecstypes.Task {
		return ecstypes.Task{
			TaskArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task/demo/" + id), StoppedReason: aws.String(reason),
			StopCode:   ecstypes.TaskStopCodeEssentialContainerExited,
			Containers: []ecstypes.Container{{Name: aws.String("app"), ExitCode: aws.Int32(code)}},
		}
	}
	g := groupStopped([]ecstypes.Task{
		task("a", "Essential container in task exited", 1),
		task("b", "Essential container in task exited", 1),
		task("c", "Essential container in task exited", 137),
		task("d", "Essential container in task exited", 1),
	})
	if len(g) != 2 || g[0].Count != 3 || g[1].Count != 1 || *g[0].Containers[0].ExitCode != 1 {
		t.Fatalf("groups = %+v", g)
	}
	if len(g[0].TaskIDs) != 3 || g[0].TaskIDs[0] != "a" {
		t.Fatalf("task ids = %v", g[0].TaskIDs)
	}
}

func TestParseWaitUntil(t *testing.T) {
	for in, want := range map[string]WaitUntil{"": UntilDeployed, "deployed": UntilDeployed, "STABLE": UntilStable} {
		if got, err := ParseWaitUntil(in); err != nil || got != want {
			t.Errorf("ParseWaitUntil(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseWaitUntil("ready"); err == nil {
		t.Error("want an error for an unknown value")
	}
}
