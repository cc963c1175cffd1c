package deploy

import (
	"context"
	"fmt"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// A controller knows one kind of deployment: what to read beyond
// DescribeServices, what progress to show and when it is over. The Waiter
// owns the loop, the polling cadence, the service events, timeouts and the
// Outcome, so every kind shares one waiting and outcome model:
//
//   - rollingController: ECS rolling updates (the DescribeServices
//     deployments, confirmed by the service deployment);
//   - blueGreenController: ECS-native BLUE_GREEN, LINEAR and CANARY
//     (lifecycle stages, traffic shift, lifecycle hooks; bluegreen.go);
//   - codeDeployController: services under the CODE_DEPLOY controller
//     (the CodeDeploy deployment, its lifecycle events and the task sets'
//     traffic split; codedeploy_wait.go).
type controller interface {
	// judge decides on one observed service state; a zero verdict means
	// "not over yet".
	judge(ctx context.Context, svc *ecstypes.Service, want expectation) verdict
}

// controllerFor picks the controller for the service as first observed.
func (w *Waiter) controllerFor(svc *ecstypes.Service, t WaitTarget) controller {
	if svc != nil && isCodeDeploy(svc) {
		return &codeDeployController{w: w, cd: w.CodeDeploy, id: t.CodeDeployID, rollback: t.Rollback}
	}
	if _, ok := w.Until.LifecycleEvent(); ok {
		return refusal{reason: fmt.Sprintf("--wait-until %s needs a service under the CODE_DEPLOY deployment controller; service %s is deployed by ECS (use deployed, stable or ecs:<STAGE>)", w.Until, w.Service)}
	}
	rolling := &rollingController{w: w, rollback: t.Rollback, prior: t.PriorServiceDeployment}
	if usesLifecycle(svc) || w.Until.needsLifecycle() {
		return &blueGreenController{w: w, rollback: t.Rollback, rolling: rolling, prior: t.PriorServiceDeployment, said: map[string]bool{}}
	}
	return rolling
}

// usesLifecycle tells whether the service deploys BLUE_GREEN, LINEAR or
// CANARY.
func usesLifecycle(svc *ecstypes.Service) bool {
	if svc == nil || svc.DeploymentConfiguration == nil {
		return false
	}
	switch svc.DeploymentConfiguration.Strategy {
	case "", ecstypes.DeploymentStrategyRolling:
		return false
	}
	return true
}

// refusal ends a wait that cannot apply to the service.
type refusal struct{ reason string }

func (r refusal) judge(context.Context, *ecstypes.Service, expectation) verdict {
	return verdict{done: true, class: Error, reason: r.reason}
}

type rollingController struct {
	w        *Waiter
	rollback bool
	prior    string // WaitTarget.PriorServiceDeployment
}

func (c *rollingController) judge(ctx context.Context, svc *ecstypes.Service, want expectation) verdict {
	v := classify(svc, want)
	if v.done && v.class == Completed {
		// Whatever --wait-until says: a deployment ECS rolled back is no success.
		v = c.w.confirmServiceDeployment(ctx, v, c.rollback, want.until, c.prior)
	}
	return v
}
