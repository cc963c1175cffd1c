package deploy

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// WaitUntil is what "done" means for the waiter.
type WaitUntil string

const (
	// UntilDeployed: the PRIMARY deployment runs the deployed task
	// definition and ECS says its rollout is COMPLETED.
	UntilDeployed WaitUntil = "deployed"
	// UntilStable: a single deployment remains, it is ours, and running ==
	// desired (the SDK's ServicesStable condition, plus "it is ours").
	UntilStable WaitUntil = "stable"
)

// ParseWaitUntil accepts the --wait-until values.
func ParseWaitUntil(s string) (WaitUntil, error) {
	if u, ok, err := parseStageWaitUntil(s); ok {
		return u, err
	}
	if u, ok, err := parseEventWaitUntil(s); ok {
		return u, err
	}
	switch WaitUntil(strings.ToLower(strings.TrimSpace(s))) {
	case "", UntilDeployed:
		return UntilDeployed, nil
	case UntilStable:
		return UntilStable, nil
	}
	return "", fmt.Errorf("invalid --wait-until %q: use deployed, stable, ecs:<LIFECYCLE_STAGE>, paused or codedeploy:<LifecycleEvent>", s)
}

// Class is the outcome class of a deploy, a rollback or a wait. Each class
// has its own exit code so CI can tell a broken release from a slow one.
type Class string

const (
	Completed Class = "completed"
	// Submitted: ECS accepted the change and doppio did not wait for it
	// (--no-wait). Exit 0, but never reported as completed.
	Submitted   Class = "submitted"
	Failed      Class = "failed"
	RolledBack  Class = "rolled back"
	Timeout     Class = "timed out"
	Interrupted Class = "interrupted"
	Error       Class = "error"
)

// verdict is the decision taken on one observed service state.
type verdict struct {
	done   bool
	class  Class
	reason string
}

// expectation names the deployment the waiter follows.
type expectation struct {
	// taskDefinition is the ARN the service must end up running.
	taskDefinition string
	// deploymentID is our deployment's id (ecs-svc/...) when known; without
	// it the PRIMARY deployment running taskDefinition is ours.
	deploymentID string
	until        WaitUntil
	// awaitPrimary: ECS has been asked to start our deployment but may not
	// have made it PRIMARY yet (StopServiceDeployment with rollback), so
	// another PRIMARY is not a failure.
	awaitPrimary bool
}

// classify decides from one DescribeServices answer whether the rollout is
// over and how it ended. It is a pure function so that every recorded state
// can be tested on its own.
func classify(svc *ecstypes.Service, want expectation) verdict {
	if svc == nil {
		return verdict{done: true, class: Error, reason: "the service no longer exists"}
	}
	switch aws.ToString(svc.Status) {
	case "INACTIVE", "DRAINING":
		return verdict{done: true, class: Error, reason: fmt.Sprintf("the service is %s (deleted while waiting)", aws.ToString(svc.Status))}
	}
	primary := primaryOf(svc)
	ours := findDeployment(svc, want)
	if primary == nil {
		return verdict{}
	}
	primaryIsOurs := ours != nil && ours == primary

	if ours != nil && ours.RolloutState == ecstypes.DeploymentRolloutStateFailed {
		reason := "the deployment failed"
		if r := aws.ToString(ours.RolloutStateReason); r != "" {
			reason = "the deployment failed: " + r
		}
		if !primaryIsOurs {
			return verdict{done: true, class: RolledBack, reason: fmt.Sprintf("%s; ECS is rolling back to %s", reason, shortTD(aws.ToString(primary.TaskDefinition)))}
		}
		return verdict{done: true, class: Failed, reason: reason}
	}
	if !primaryIsOurs && want.awaitPrimary {
		return verdict{}
	}
	if !primaryIsOurs {
		primaryTD := aws.ToString(primary.TaskDefinition)
		if sameTaskDefinition(primaryTD, want.taskDefinition) && want.deploymentID != "" && ours == nil {
			// Our deployment was replaced by another one of the same task
			// definition (a forced redeploy by someone else): follow it.
			want.deploymentID = ""
			return classify(svc, want)
		}
		if rolledBackEvent(svc) {
			return verdict{done: true, class: RolledBack, reason: fmt.Sprintf("the deployment was rolled back; the service runs %s, not %s", shortTD(primaryTD), shortTD(want.taskDefinition))}
		}
		if primary.RolloutState == ecstypes.DeploymentRolloutStateInProgress && ours != nil {
			return verdict{done: true, class: Failed, reason: fmt.Sprintf("another deployment (%s, %s) replaced ours (%s)", aws.ToString(primary.Id), shortTD(primaryTD), shortTD(want.taskDefinition))}
		}
		return verdict{done: true, class: Failed, reason: fmt.Sprintf("the service settled on another task definition: %s is PRIMARY, %s was deployed", shortTD(primaryTD), shortTD(want.taskDefinition))}
	}

	switch want.until {
	case UntilStable:
		if len(svc.Deployments) == 1 && primary.RunningCount == primary.DesiredCount && svc.RunningCount == svc.DesiredCount {
			return verdict{done: true, class: Completed, reason: fmt.Sprintf("the service is stable: %d/%d tasks running %s", primary.RunningCount, primary.DesiredCount, shortTD(want.taskDefinition))}
		}
	default:
		switch primary.RolloutState {
		case ecstypes.DeploymentRolloutStateCompleted:
			return verdict{done: true, class: Completed, reason: fmt.Sprintf("deployment completed: %d/%d tasks running %s", primary.RunningCount, primary.DesiredCount, shortTD(want.taskDefinition))}
		case "":
			// Deployments without a rollout state (external or CodeDeploy
			// controllers) can only be judged as stable.
			if len(svc.Deployments) == 1 && primary.RunningCount == primary.DesiredCount {
				return verdict{done: true, class: Completed, reason: fmt.Sprintf("the service is stable: %d/%d tasks running %s", primary.RunningCount, primary.DesiredCount, shortTD(want.taskDefinition))}
			}
		}
	}
	return verdict{}
}

// rolledBackEvent tells whether the newest service events mention a
// circuit-breaker rollback, for the case where the failed deployment is
// already gone from the list when we look.
func rolledBackEvent(svc *ecstypes.Service) bool {
	for i, ev := range svc.Events {
		if i >= 10 {
			break
		}
		msg := strings.ToLower(aws.ToString(ev.Message))
		if strings.Contains(msg, "rolling back") || strings.Contains(msg, "rolled back") {
			return true
		}
	}
	return false
}

func primaryOf(svc *ecstypes.Service) *ecstypes.Deployment {
	if svc == nil {
		return nil
	}
	for i := range svc.Deployments {
		if aws.ToString(svc.Deployments[i].Status) == "PRIMARY" {
			return &svc.Deployments[i]
		}
	}
	return nil
}

func findDeployment(svc *ecstypes.Service, want expectation) *ecstypes.Deployment {
	if want.deploymentID != "" {
		for i := range svc.Deployments {
			if aws.ToString(svc.Deployments[i].Id) == want.deploymentID {
				return &svc.Deployments[i]
			}
		}
		return nil
	}
	// Without an id: the newest deployment running the task definition.
	var found *ecstypes.Deployment
	for i := range svc.Deployments {
		d := &svc.Deployments[i]
		if !sameTaskDefinition(aws.ToString(d.TaskDefinition), want.taskDefinition) {
			continue
		}
		if found == nil || (d.CreatedAt != nil && found.CreatedAt != nil && d.CreatedAt.After(*found.CreatedAt)) || aws.ToString(d.Status) == "PRIMARY" {
			found = d
		}
	}
	return found
}

// sameTaskDefinition compares task definitions given as ARNs or
// family:revision.
func sameTaskDefinition(a, b string) bool {
	return a != "" && b != "" && shortTD(a) == shortTD(b)
}

// shortTD turns a task definition ARN into family:revision.
func shortTD(arn string) string {
	if i := strings.LastIndex(arn, "task-definition/"); i >= 0 {
		return arn[i+len("task-definition/"):]
	}
	return arn
}
