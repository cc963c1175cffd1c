package deploy

import (
	"fmt"
	"strings"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// The --wait-until values of ECS-native blue/green, linear and canary
// deployments (ecspresso's `ecs:<STAGE>` and `paused`).
const (
	// UntilPaused: a PAUSE lifecycle hook waits for `doppio continue`.
	UntilPaused WaitUntil = "paused"
	// untilStagePrefix starts `ecs:<LIFECYCLE_STAGE>`: the service deployment
	// reached that stage (or ended successfully).
	untilStagePrefix = "ecs:"
)

// lifecycleStages is the order a service deployment walks its stages.
var lifecycleStages = []ecstypes.ServiceDeploymentLifecycleStage{
	ecstypes.ServiceDeploymentLifecycleStageReconcileService,
	ecstypes.ServiceDeploymentLifecycleStagePreScaleUp,
	ecstypes.ServiceDeploymentLifecycleStageScaleUp,
	ecstypes.ServiceDeploymentLifecycleStagePostScaleUp,
	ecstypes.ServiceDeploymentLifecycleStageTestTrafficShift,
	ecstypes.ServiceDeploymentLifecycleStagePostTestTrafficShift,
	ecstypes.ServiceDeploymentLifecycleStageProductionTrafficShift,
	ecstypes.ServiceDeploymentLifecycleStagePostProductionTrafficShift,
	ecstypes.ServiceDeploymentLifecycleStageBakeTime,
	ecstypes.ServiceDeploymentLifecycleStageCleanUp,
}

func stageIndex(st ecstypes.ServiceDeploymentLifecycleStage) int {
	for i, s := range lifecycleStages {
		if s == st {
			return i
		}
	}
	return -1
}

// parseStageWaitUntil accepts `paused` and `ecs:<STAGE>` (any case).
func parseStageWaitUntil(s string) (WaitUntil, bool, error) {
	v := strings.TrimSpace(s)
	if strings.EqualFold(v, string(UntilPaused)) {
		return UntilPaused, true, nil
	}
	if len(v) < len(untilStagePrefix) || !strings.EqualFold(v[:len(untilStagePrefix)], untilStagePrefix) {
		return "", false, nil
	}
	st := ecstypes.ServiceDeploymentLifecycleStage(strings.ToUpper(v[len(untilStagePrefix):]))
	if stageIndex(st) < 0 {
		names := make([]string, len(lifecycleStages))
		for i, s := range lifecycleStages {
			names[i] = string(s)
		}
		return "", true, fmt.Errorf("invalid --wait-until %q: the stage must be one of %s", s, strings.Join(names, ", "))
	}
	return WaitUntil(untilStagePrefix + string(st)), true, nil
}

// Stage is the lifecycle stage `ecs:<STAGE>` waits for.
func (u WaitUntil) Stage() (ecstypes.ServiceDeploymentLifecycleStage, bool) {
	if !strings.HasPrefix(string(u), untilStagePrefix) {
		return "", false
	}
	return ecstypes.ServiceDeploymentLifecycleStage(strings.TrimPrefix(string(u), untilStagePrefix)), true
}

// needsLifecycle tells whether u only makes sense for BLUE_GREEN, LINEAR
// and CANARY deployments.
func (u WaitUntil) needsLifecycle() bool {
	_, stage := u.Stage()
	return stage || u == UntilPaused
}

// WaitUntilHelp documents the values for --help texts.
const WaitUntilHelp = "deployed (the service deployment is SUCCESSFUL on our task definition), stable (one deployment, running == desired), " +
	"ecs:<STAGE> (a BLUE_GREEN, LINEAR or CANARY deployment reached that lifecycle stage, e.g. ecs:BAKE_TIME once production traffic is on green) " +
	"paused (a PAUSE lifecycle hook waits for `doppio continue`) " +
	"or codedeploy:<LifecycleEvent> (that lifecycle event of a CODE_DEPLOY service's CodeDeploy deployment succeeded, e.g. codedeploy:AfterAllowTraffic)"
