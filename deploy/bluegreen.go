package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// blueGreenController follows an ECS-native BLUE_GREEN, LINEAR or CANARY
// deployment through its service deployment: the lifecycle stage, the
// traffic split and the lifecycle hooks, which DescribeServices does not
// show. The rolling view still decides what it can see first (a
// circuit-breaker rollback), so outcome classes stay those of a rolling
// deployment: a failed hook or any rollback is RolledBack (exit 3).
type blueGreenController struct {
	w        *Waiter
	rollback bool
	rolling  *rollingController
	// prior is WaitTarget.PriorServiceDeployment: still current, it is not
	// this deploy's, and the rolling view judges.
	prior string
	// said keeps the progress line and the pause notices already reported.
	said       map[string]bool
	lastLine   string
	record     *LifecycleRecord
	stageSince time.Time
}

// serviceDeployment reads the service's current service deployment.
func (c *blueGreenController) serviceDeployment(ctx context.Context, svc *ecstypes.Service) (*ecstypes.ServiceDeployment, error) {
	arn := aws.ToString(svc.CurrentServiceDeployment)
	if arn == "" {
		brief, err := latestServiceDeployment(ctx, c.w.ECS, c.w.Cluster, c.w.Service)
		if err != nil || brief == nil {
			return nil, err
		}
		arn = aws.ToString(brief.ServiceDeploymentArn)
	}
	out, err := c.w.ECS.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
	if err != nil {
		return nil, fmt.Errorf("describe service deployment %s: %w", shortID(arn), err)
	}
	if len(out.ServiceDeployments) == 0 {
		return nil, nil
	}
	return &out.ServiceDeployments[0], nil
}

func (c *blueGreenController) judge(ctx context.Context, svc *ecstypes.Service, want expectation) verdict {
	if want.until.needsLifecycle() && !usesLifecycle(svc) {
		strategy := "ROLLING"
		if svc != nil && svc.DeploymentConfiguration != nil && svc.DeploymentConfiguration.Strategy != "" {
			strategy = string(svc.DeploymentConfiguration.Strategy)
		}
		return verdict{done: true, class: Error, reason: fmt.Sprintf("--wait-until %s needs a BLUE_GREEN, LINEAR or CANARY deployment strategy; service %s deploys %s", want.until, c.w.Service, strategy)}
	}
	sd, err := c.serviceDeployment(ctx, svc)
	if err != nil {
		c.w.reporter().Report(Event{Time: time.Now(), Kind: EventWarning, Message: fmt.Sprintf("%v (will retry)", err)})
		return verdict{}
	}
	if sd == nil || c.prior != "" && aws.ToString(sd.ServiceDeploymentArn) == c.prior {
		v := c.rolling.judge(ctx, svc, want)
		if v.done && v.class == Completed && want.until.needsLifecycle() {
			// Nothing can pause or reach a stage: say so rather than
			// "deployment completed", which reads as if ours ran.
			what := "nothing to pause"
			if stage, ok := want.until.Stage(); ok {
				what = fmt.Sprintf("none to reach %s", stage)
			}
			v.reason = fmt.Sprintf("the change started no service deployment: %s (%s)", what, v.reason)
		}
		return v
	}
	c.progress(sd)
	c.observe(sd, time.Now())
	switch sd.Status {
	case ecstypes.ServiceDeploymentStatusSuccessful:
		if c.rollback {
			return verdict{done: true, class: Failed, reason: "the service deployment succeeded instead of rolling back"}
		}
		if v := classify(svc, want); v.done {
			return v
		}
		if want.until != UntilStable {
			return verdict{done: true, class: Completed, reason: "the service deployment is SUCCESSFUL" + c.split(sd)}
		}
		return verdict{}
	case ecstypes.ServiceDeploymentStatusRollbackSuccessful:
		if c.rollback {
			return verdict{done: true, class: Completed, reason: "the service deployment rolled back" + c.split(sd)}
		}
		return verdict{done: true, class: RolledBack, reason: "the service deployment was rolled back" + reasonSuffix(sd.StatusReason) + c.failedHooks(sd)}
	case ecstypes.ServiceDeploymentStatusRollbackInProgress, ecstypes.ServiceDeploymentStatusRollbackRequested:
		if c.rollback {
			return verdict{} // the rollback we asked for: wait for its end
		}
		return verdict{done: true, class: RolledBack, reason: "the service deployment is rolling back" + reasonSuffix(sd.StatusReason) + c.failedHooks(sd)}
	case ecstypes.ServiceDeploymentStatusStopped, ecstypes.ServiceDeploymentStatusStopRequested, ecstypes.ServiceDeploymentStatusRollbackFailed:
		return verdict{done: true, class: Failed, reason: "the service deployment is " + strings.ToLower(string(sd.Status)) + reasonSuffix(sd.StatusReason) + c.failedHooks(sd)}
	}
	// In progress.
	if c.rollback {
		return verdict{}
	}
	if v := classify(svc, want); v.done && v.class != Completed {
		return v
	}
	paused := pausedHooks(sd)
	if want.until == UntilPaused && len(paused) > 0 {
		h := paused[0]
		return verdict{done: true, class: Completed, reason: fmt.Sprintf("the deployment is paused at %s by lifecycle hook %s; resume it with `doppio continue` (or roll back with `doppio continue --rollback`)", sd.LifecycleStage, aws.ToString(h.HookId))}
	}
	if stage, ok := want.until.Stage(); ok && stageIndex(sd.LifecycleStage) >= stageIndex(stage) {
		return verdict{done: true, class: Completed, reason: fmt.Sprintf("the service deployment reached %s%s", sd.LifecycleStage, c.split(sd))}
	}
	for _, h := range paused {
		id := aws.ToString(h.HookId)
		if c.said["pause:"+id] {
			continue
		}
		c.said["pause:"+id] = true
		c.w.reporter().Report(Event{Time: time.Now(), Kind: EventWarning, Message: fmt.Sprintf(
			"the deployment is paused at %s by PAUSE lifecycle hook %s until %s (then: %s); resume it with `doppio continue --hook-id %s` or roll back with `doppio continue --rollback --hook-id %s`",
			sd.LifecycleStage, id, aws.ToTime(h.ExpiresAt).UTC().Format(time.RFC3339), strings.ToLower(string(h.TimeoutAction)), id, id)})
	}
	return verdict{}
}

// progress reports the stage, traffic split and hook states when they change.
func (c *blueGreenController) progress(sd *ecstypes.ServiceDeployment) {
	line := ProgressLine(sd)
	if line == c.lastLine {
		return
	}
	c.lastLine = line
	c.w.reporter().Report(Event{Time: time.Now(), Kind: EventInfo, Message: line})
}

// ProgressLine is one line of a service deployment's state, e.g.
// "PRODUCTION_TRAFFIC_SHIFT 40% green (test 100%); hook 3f… AWS_LAMBDA IN_PROGRESS".
func ProgressLine(sd *ecstypes.ServiceDeployment) string {
	var b strings.Builder
	b.WriteString(string(sd.LifecycleStage))
	if sd.Status != ecstypes.ServiceDeploymentStatusInProgress {
		fmt.Fprintf(&b, " %s", sd.Status)
	}
	if t := sd.TargetServiceRevision; t != nil && t.RequestedProductionTrafficWeight != nil {
		fmt.Fprintf(&b, " %s green", percent(aws.ToFloat64(t.RequestedProductionTrafficWeight)))
		if t.RequestedTestTrafficWeight != nil {
			fmt.Fprintf(&b, " (test %s)", percent(aws.ToFloat64(t.RequestedTestTrafficWeight)))
		}
		fmt.Fprintf(&b, ", %d/%d green tasks running", t.RunningTaskCount, t.RequestedTaskCount)
	}
	for _, h := range sd.LifecycleHookDetails {
		fmt.Fprintf(&b, "; hook %s %s %s", aws.ToString(h.HookId), h.TargetType, h.Status)
	}
	return b.String()
}

func percent(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0") + "%"
}

func (c *blueGreenController) split(sd *ecstypes.ServiceDeployment) string {
	if t := sd.TargetServiceRevision; t != nil && t.RequestedProductionTrafficWeight != nil {
		return fmt.Sprintf(" (production traffic: %s on the new revision)", percent(aws.ToFloat64(t.RequestedProductionTrafficWeight)))
	}
	return ""
}

func pausedHooks(sd *ecstypes.ServiceDeployment) []ecstypes.DeploymentLifecycleHookDetail {
	var out []ecstypes.DeploymentLifecycleHookDetail
	for _, h := range sd.LifecycleHookDetails {
		if h.Status == ecstypes.DeploymentLifecycleHookStatusAwaitingAction {
			out = append(out, h)
		}
	}
	return out
}

// failedHooks names the hooks that failed or timed out.
func (c *blueGreenController) failedHooks(sd *ecstypes.ServiceDeployment) string {
	var parts []string
	for _, h := range sd.LifecycleHookDetails {
		if h.Status != ecstypes.DeploymentLifecycleHookStatusFailed && h.Status != ecstypes.DeploymentLifecycleHookStatusTimedOut {
			continue
		}
		target := string(h.TargetType)
		if arn := aws.ToString(h.TargetArn); arn != "" {
			target = arn
		}
		parts = append(parts, fmt.Sprintf("lifecycle hook %s (%s) %s", aws.ToString(h.HookId), target, h.Status))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, ", ")
}

// LifecycleRecord is what the waiter saw of a lifecycle deployment: each
// stage with how long it was observed, and the final production traffic
// share of the new revision.
type LifecycleRecord struct {
	Stages            []StageTiming `json:"stages"`
	ProductionPercent *float64      `json:"productionTrafficPercent,omitempty"`
}

// StageTiming is one observed lifecycle stage.
type StageTiming struct {
	Stage    string        `json:"stage"`
	Duration time.Duration `json:"duration"`
}

// observe records the stage of sd. Times are ECS's own (updatedAt, when a
// stage change updates it; finishedAt at the end), so durations do not
// depend on how often doppio polls; now stands in when ECS gives none.
func (c *blueGreenController) observe(sd *ecstypes.ServiceDeployment, now time.Time) {
	if c.record == nil {
		c.record = &LifecycleRecord{}
	}
	r := c.record
	if t := sd.TargetServiceRevision; t != nil && t.RequestedProductionTrafficWeight != nil {
		r.ProductionPercent = aws.Float64(*t.RequestedProductionTrafficWeight)
	}
	at := now
	if sd.UpdatedAt != nil {
		at = *sd.UpdatedAt
	}
	end := at
	if sd.FinishedAt != nil {
		end = *sd.FinishedAt
	}
	if n := len(r.Stages); n > 0 {
		same := r.Stages[n-1].Stage == string(sd.LifecycleStage)
		if same {
			r.Stages[n-1].Duration = end.Sub(c.stageSince)
			return
		}
		r.Stages[n-1].Duration = at.Sub(c.stageSince)
	}
	c.stageSince = at
	r.Stages = append(r.Stages, StageTiming{Stage: string(sd.LifecycleStage), Duration: end.Sub(at)})
}

func lifecycleOf(ctl controller) *LifecycleRecord {
	if c, ok := ctl.(*blueGreenController); ok {
		return c.record
	}
	return nil
}
