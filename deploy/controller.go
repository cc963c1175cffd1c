package deploy

import (
	"context"

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
//     (lifecycle stages, traffic shift, lifecycle hooks; bluegreen.go).
type controller interface {
	// judge decides on one observed service state; a zero verdict means
	// "not over yet".
	judge(ctx context.Context, svc *ecstypes.Service, want expectation) verdict
}

// controllerFor picks the controller for the service as first observed.
func (w *Waiter) controllerFor(svc *ecstypes.Service, t WaitTarget) controller {
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
