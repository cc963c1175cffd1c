package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// continueAPI is ContinueServiceDeployment, kept out of ECSAPI so fakes of
// the waiter need not implement it.
type continueAPI interface {
	ContinueServiceDeployment(context.Context, *ecs.ContinueServiceDeploymentInput, ...func(*ecs.Options)) (*ecs.ContinueServiceDeploymentOutput, error)
}

// ContinueOptions are the `continue` flags.
type ContinueOptions struct {
	// Rollback rolls the deployment back instead of continuing it.
	Rollback bool
	// HookID picks the paused hook; empty: the only one waiting.
	HookID    string
	NoWait    bool
	WaitUntil WaitUntil
}

// Continue resolves a PAUSE lifecycle hook of the service's deployment in
// progress (ContinueServiceDeployment), then waits like deploy.
func (d *Deployer) Continue(ctx context.Context, cluster, service string, opts ContinueOptions) (*Outcome, error) {
	api, ok := d.ECS.(continueAPI)
	if !ok {
		return nil, fmt.Errorf("continue: this ECS client cannot call ContinueServiceDeployment")
	}
	svc, err := pollService(ctx, d.ECS, cluster, service)
	if err != nil {
		return nil, err
	}
	if svc == nil || aws.ToString(svc.Status) == "INACTIVE" {
		return nil, fmt.Errorf("service %s does not exist in cluster %s", service, cluster)
	}
	w := d.waiter(cluster, service, opts.WaitUntil)
	bg := &blueGreenController{w: w, said: map[string]bool{}}
	sd, err := bg.serviceDeployment(ctx, svc)
	if err != nil {
		return nil, err
	}
	if sd == nil || (sd.Status != ecstypes.ServiceDeploymentStatusInProgress && sd.Status != ecstypes.ServiceDeploymentStatusPending) {
		return nil, fmt.Errorf("service %s has no service deployment in progress: nothing to continue", service)
	}
	paused := pausedHooks(sd)
	var hookID string
	switch {
	case opts.HookID != "":
		for _, h := range paused {
			if aws.ToString(h.HookId) == opts.HookID {
				hookID = opts.HookID
			}
		}
		if hookID == "" {
			return nil, fmt.Errorf("--hook-id %s: no such lifecycle hook waits on service deployment %s%s", opts.HookID, shortID(aws.ToString(sd.ServiceDeploymentArn)), waitingList(paused))
		}
	case len(paused) == 1:
		hookID = aws.ToString(paused[0].HookId)
	case len(paused) == 0:
		return nil, fmt.Errorf("service deployment %s of %s is at %s and no PAUSE lifecycle hook waits: nothing to continue", shortID(aws.ToString(sd.ServiceDeploymentArn)), service, sd.LifecycleStage)
	default:
		return nil, fmt.Errorf("several lifecycle hooks wait on service deployment %s: choose one with --hook-id%s", shortID(aws.ToString(sd.ServiceDeploymentArn)), waitingList(paused))
	}
	action := ecstypes.DeploymentLifecycleHookActionContinue
	if opts.Rollback {
		action = ecstypes.DeploymentLifecycleHookActionRollback
	}
	if _, err := api.ContinueServiceDeployment(ctx, &ecs.ContinueServiceDeploymentInput{
		ServiceDeploymentArn: sd.ServiceDeploymentArn, HookId: aws.String(hookID), Action: action,
	}); err != nil {
		return nil, fmt.Errorf("continue service deployment %s (hook %s, %s): %w", shortID(aws.ToString(sd.ServiceDeploymentArn)), hookID, action, err)
	}
	d.info("%s service deployment %s at %s (lifecycle hook %s)", map[bool]string{false: "continued", true: "rolling back"}[opts.Rollback],
		shortID(aws.ToString(sd.ServiceDeploymentArn)), sd.LifecycleStage, hookID)
	out := &Outcome{Cluster: cluster, Service: service, TaskDefinition: aws.ToString(svc.TaskDefinition)}
	if opts.NoWait {
		out.Class, out.Reason = Submitted, fmt.Sprintf("%s accepted (not waiting: --no-wait)", strings.ToLower(string(action)))
		return out, nil
	}
	target := WaitTarget{TaskDefinition: aws.ToString(svc.TaskDefinition), KnownEvents: eventIDs(svc)}
	if p := primaryOf(svc); p != nil {
		target.DeploymentID = aws.ToString(p.Id)
	}
	if opts.Rollback {
		// Wait for the rollback: the revision the deployment started from.
		target = WaitTarget{TaskDefinition: "", KnownEvents: eventIDs(svc), Rollback: true}
		if td := d.sourceTaskDefinition(ctx, sd); td != "" {
			target.TaskDefinition = td
		}
	}
	return w.Wait(ctx, target), nil
}

func waitingList(hooks []ecstypes.DeploymentLifecycleHookDetail) string {
	if len(hooks) == 0 {
		return " (none waits)"
	}
	ids := make([]string, len(hooks))
	for i, h := range hooks {
		ids[i] = aws.ToString(h.HookId)
	}
	return " (waiting: " + strings.Join(ids, ", ") + ")"
}

// sourceTaskDefinition is the task definition of the revision a service
// deployment started from, "" when unknown.
func (d *Deployer) sourceTaskDefinition(ctx context.Context, sd *ecstypes.ServiceDeployment) string {
	if len(sd.SourceServiceRevisions) == 0 {
		return ""
	}
	tds, err := d.revisionTaskDefinitions(ctx, []string{aws.ToString(sd.SourceServiceRevisions[0].Arn)})
	if err != nil {
		return ""
	}
	for _, td := range tds {
		return td
	}
	return ""
}
