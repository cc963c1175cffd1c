package deploy

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// planCodeDeployRollback plans the rollback of a CODE_DEPLOY service, as
// ecspresso does: a deployment in progress is stopped with auto-rollback
// (CodeDeploy returns traffic to the original task set); after it ended, a
// new deployment returns the service to the previous revision. It makes no
// mutating call.
func (d *Deployer) planCodeDeployRollback(ctx context.Context, p *RollbackPlan, svc *ecstypes.Service) error {
	if d.CodeDeploy == nil || d.CodeDeploy.API == nil {
		return fmt.Errorf("service %s uses the CODE_DEPLOY deployment controller, but no CodeDeploy client is configured", p.Service)
	}
	g, err := d.CodeDeploy.Group(ctx, p.Cluster, p.Service)
	if err != nil {
		return err
	}
	p.codeDeployGroup = g
	latest, err := d.CodeDeploy.Latest(ctx, g)
	if err != nil {
		return err
	}
	if latest != nil && slices.Contains(activeStatuses, latest.Status) {
		id := aws.ToString(latest.DeploymentId)
		if latest.Creator == cdtypes.DeploymentCreatorCodeDeployRollback {
			return fmt.Errorf("CodeDeploy deployment %s is already the rollback of deployment %s; follow it with `doppio wait`", id, aws.ToString(rollbackOf(latest)))
		}
		p.StopCodeDeploy = id
		if td := taskDefinitionOf(latest.Revision); td != "" {
			p.Current = td
		}
		p.Target = d.originalOf(ctx, id, p)
		if p.Target == "" {
			p.Target = taskDefinitionOf(latest.PreviousRevision)
		}
		if p.Target == "" {
			return fmt.Errorf("CodeDeploy deployment %s is in progress on service %s but the task definition it replaces is unknown", id, p.Service)
		}
		p.TargetSource = fmt.Sprintf("the task definition CodeDeploy deployment %s replaces", id)
		return nil
	}
	if latest != nil && latest.Status == cdtypes.DeploymentStatusSucceeded {
		if td := taskDefinitionOf(latest.PreviousRevision); td != "" && !sameTaskDefinition(td, p.Current) {
			if ok, err := d.isActive(ctx, td); err == nil && ok {
				p.Target, p.TargetSource = td, "the revision of the CodeDeploy deployment before "+aws.ToString(latest.DeploymentId)
			}
		}
	}
	if p.Target == "" {
		target, err := d.previousRevision(ctx, p.Current)
		if err != nil {
			return err
		}
		if target == "" {
			return fmt.Errorf("no task definition to roll back to: no earlier ACTIVE revision of %s", familyOf(p.Current))
		}
		p.Target, p.TargetSource = target, "the previous ACTIVE revision of the family"
	}
	content, err := d.CodeDeploy.appSpecContent(liveAppSpecService(svc), p.Target)
	if err != nil {
		return fmt.Errorf("service %s: %w", p.Service, err)
	}
	p.appSpec = content
	return nil
}

func liveAppSpecService(svc *ecstypes.Service) AppSpecService {
	return AppSpecService{LoadBalancers: svc.LoadBalancers, NetworkConfiguration: svc.NetworkConfiguration,
		PlatformVersion: svc.PlatformVersion, CapacityProviderStrategy: svc.CapacityProviderStrategy}
}

// originalOf is the task definition of the deployment's original (BLUE)
// task set, which a stop with rollback returns the service to.
func (d *Deployer) originalOf(ctx context.Context, id string, p *RollbackPlan) string {
	t, err := d.CodeDeploy.Target(ctx, id, p.Cluster, p.Service)
	if err != nil || t == nil {
		return ""
	}
	var blue string
	for _, ts := range t.TaskSetsInfo {
		if ts.TaskSetLabel == cdtypes.TargetLabelBlue {
			blue = aws.ToString(ts.Identifer)
		}
	}
	if blue == "" || p.live == nil {
		return ""
	}
	for _, ts := range p.live.TaskSets {
		if aws.ToString(ts.Id) == blue || aws.ToString(ts.TaskSetArn) == blue {
			return aws.ToString(ts.TaskDefinition)
		}
	}
	return ""
}

// rollbackCodeDeploy starts the planned CodeDeploy rollback and returns
// what the waiter follows.
func (d *Deployer) rollbackCodeDeploy(ctx context.Context, plan *RollbackPlan, opts RollbackOptions) (WaitTarget, *Outcome) {
	target := WaitTarget{TaskDefinition: plan.Target, KnownEvents: eventIDs(plan.live)}
	fail := func(err error) (WaitTarget, *Outcome) {
		return target, &Outcome{Class: Error, Reason: "rollback failed", Err: err, Cluster: plan.Cluster, Service: plan.Service}
	}
	if id := plan.StopCodeDeploy; id != "" {
		if _, err := d.CodeDeploy.API.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(true)}); err != nil {
			return fail(fmt.Errorf("stop CodeDeploy deployment %s with rollback: %w", id, err))
		}
		d.info("stopped CodeDeploy deployment %s with rollback to %s", id, shortTD(plan.Target))
		target.CodeDeployID, target.Rollback = id, true
		return target, nil
	}
	g := plan.codeDeployGroup
	id, err := d.CodeDeploy.create(ctx, g, plan.appSpec, opts.RollbackEvents, "doppio rollback to "+shortTD(plan.Target))
	if err != nil {
		return fail(err)
	}
	d.info("created CodeDeploy deployment %s of %s (rollback; application %s, deployment group %s): %s", id, shortTD(plan.Target), g.Application, g.DeploymentGroup, d.CodeDeploy.ConsoleURL(id))
	target.CodeDeployID = id
	return target, nil
}
