package awsemu

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/document"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/tests/awsemu/core"
)

// ECS-native blue/green, linear and canary deployments
// (deploymentConfiguration.strategy), as the ECS developer guide describes
// them: the new (green) revision scales up beside the old (blue) one, test
// then production traffic moves to it through the load balancer's listener
// rules, the deployment bakes, and only then CLEAN_UP stops blue. Lifecycle
// hooks (Lambda or PAUSE) run at the stages they name; a failed hook, a
// circuit-breaker trip or StopServiceDeployment ROLLBACK returns all traffic
// to blue, stops green and ends ROLLBACK_SUCCESSFUL.
//
// Like the rolling scheduler, nothing runs in the background: the state
// machine steps whenever the ECS simulation replays the clock.

// bgStages is the order a blue/green service deployment walks.
var bgStages = []ecstypes.ServiceDeploymentLifecycleStage{
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

// Where in bgStages each stage is.
const (
	bgReconcile = iota
	bgPreScaleUp
	bgScaleUp
	bgPostScaleUp
	bgTestShift
	bgPostTestShift
	bgProdShift
	bgPostProdShift
	bgBake
	bgCleanUp
)

// defaultHookCallBackDelay is how long ECS waits before invoking a Lambda
// hook again after it answered IN_PROGRESS without a callBackDelay.
const defaultHookCallBackDelay = 30 * time.Second

type bgState struct {
	stage   int
	blue    *ecsDeployment
	lbs     []bgTraffic
	prodPct float64 // production traffic on green
	testPct float64
	// Within PRODUCTION_TRAFFIC_SHIFT: pre-shift hooks ran (preDone), and
	// when the current step's bake ends (stepUntil).
	preDone   bool
	stepUntil time.Time
	bakeUntil time.Time
	hooks     []*bgHook // executions at the current stage
	// rollingBack: traffic is back on blue and green is stopping; the
	// hooks of the traffic shift stages run again (rollbackHooks).
	rollingBack bool
}

// bgTraffic is one load balancer's pair of target groups and its rules.
type bgTraffic struct {
	blueTG, greenTG   string
	prodRule, testRul string
}

type bgHook struct {
	id        string
	stage     ecstypes.DeploymentLifecycleHookStage
	hook      ecstypes.DeploymentLifecycleHook
	status    ecstypes.DeploymentLifecycleHookStatus
	expiresAt time.Time
	nextCall  time.Time // Lambda: when to invoke (again)
	answer    string    // the Lambda's last answer, for the service events
}

func (h *bgHook) done() bool {
	return h.status != ecstypes.DeploymentLifecycleHookStatusInProgress && h.status != ecstypes.DeploymentLifecycleHookStatusAwaitingAction
}

func isBlueGreen(dc *ecstypes.DeploymentConfiguration) bool {
	return dc != nil && dc.Strategy != "" && dc.Strategy != ecstypes.DeploymentStrategyRolling
}

// validateStrategy checks a merged deployment configuration and the load
// balancers it will shift, before anything changes.
func (s *ecsService) validateStrategy(dc *ecstypes.DeploymentConfiguration, lbs []ecstypes.LoadBalancer) error {
	switch dc.Strategy {
	case "", ecstypes.DeploymentStrategyRolling, ecstypes.DeploymentStrategyBlueGreen, ecstypes.DeploymentStrategyLinear, ecstypes.DeploymentStrategyCanary:
	default:
		return apiErr("InvalidParameterException", "Invalid deployment strategy %q. Valid values are ROLLING, BLUE_GREEN, LINEAR and CANARY.", dc.Strategy)
	}
	if b := dc.BakeTimeInMinutes; b != nil && (*b < 0 || *b > 1440) {
		return apiErr("InvalidParameterException", "bakeTimeInMinutes must be between 0 and 1440.")
	}
	// A linear or canary configuration kept from an earlier strategy is
	// ignored, not refused: UpdateService merges deploymentConfiguration.
	if lc := dc.LinearConfiguration; lc != nil {
		if p := lc.StepPercent; p != nil && (*p < 3 || *p > 100 || !tenths(*p)) {
			return apiErr("InvalidParameterException", "stepPercent must be a multiple of 0.1 between 3.0 and 100.0.")
		}
		if b := lc.StepBakeTimeInMinutes; b != nil && (*b < 0 || *b > 1440) {
			return apiErr("InvalidParameterException", "stepBakeTimeInMinutes must be between 0 and 1440.")
		}
	}
	if cc := dc.CanaryConfiguration; cc != nil {
		if p := cc.CanaryPercent; p != nil && (*p < 0.1 || *p > 100 || !tenths(*p)) {
			return apiErr("InvalidParameterException", "canaryPercent must be a multiple of 0.1 between 0.1 and 100.0.")
		}
		if b := cc.CanaryBakeTimeInMinutes; b != nil && (*b < 0 || *b > 1440) {
			return apiErr("InvalidParameterException", "canaryBakeTimeInMinutes must be between 0 and 1440.")
		}
	}
	if len(dc.LifecycleHooks) > 0 && !isBlueGreen(dc) {
		return apiErr("InvalidParameterException", "Lifecycle hooks are only supported with the BLUE_GREEN, LINEAR and CANARY deployment strategies.")
	}
	for i, h := range dc.LifecycleHooks {
		if len(h.LifecycleStages) == 0 {
			return apiErr("InvalidParameterException", "lifecycleHooks[%d].lifecycleStages must not be empty.", i)
		}
		pause := h.TargetType == ecstypes.DeploymentLifecycleHookTargetTypePause
		switch {
		case h.TargetType != "" && h.TargetType != ecstypes.DeploymentLifecycleHookTargetTypeAwsLambda && !pause:
			return apiErr("InvalidParameterException", "lifecycleHooks[%d].targetType %q is not valid. Valid values are AWS_LAMBDA and PAUSE.", i, h.TargetType)
		case !pause && aws.ToString(h.HookTargetArn) == "":
			return apiErr("InvalidParameterException", "lifecycleHooks[%d].hookTargetArn must be provided for an AWS_LAMBDA lifecycle hook.", i)
		case !pause && aws.ToString(h.RoleArn) == "":
			return apiErr("InvalidParameterException", "lifecycleHooks[%d].roleArn must be provided for an AWS_LAMBDA lifecycle hook.", i)
		case pause && aws.ToString(h.HookTargetArn) != "":
			return apiErr("InvalidParameterException", "lifecycleHooks[%d].hookTargetArn is not applicable for a PAUSE lifecycle hook.", i)
		}
		for _, st := range h.LifecycleStages {
			if !validHookStage(st) {
				return apiErr("InvalidParameterException", "lifecycleHooks[%d].lifecycleStages: %q is not a valid lifecycle stage.", i, st)
			}
			if pause && (st == ecstypes.DeploymentLifecycleHookStageTestTrafficShift || st == ecstypes.DeploymentLifecycleHookStageProductionTrafficShift) {
				return apiErr("InvalidParameterException", "PAUSE lifecycle hooks cannot be configured at the %s lifecycle stage.", st)
			}
		}
		if tc := h.TimeoutConfiguration; tc != nil {
			// API_DeploymentLifecycleHookTimeoutConfiguration: "Valid Range:
			// Minimum value of 1. Maximum value of 20160."
			if tc.TimeoutInMinutes != nil && (*tc.TimeoutInMinutes < 1 || *tc.TimeoutInMinutes > 20160) {
				return apiErr("InvalidParameterException", "lifecycleHooks[%d].timeoutConfiguration.timeoutInMinutes must be between 1 and 20160.", i)
			}
			if a := tc.Action; a != "" && a != ecstypes.DeploymentLifecycleHookActionContinue && a != ecstypes.DeploymentLifecycleHookActionRollback {
				return apiErr("InvalidParameterException", "lifecycleHooks[%d].timeoutConfiguration.action %q is not valid. Valid values are CONTINUE and ROLLBACK.", i, a)
			}
		}
	}
	for i, lb := range lbs {
		ac := lb.AdvancedConfiguration
		if !isBlueGreen(dc) {
			continue
		}
		if ac == nil {
			return apiErr("InvalidParameterException", "loadBalancers[%d].advancedConfiguration must be provided for the %s deployment strategy.", i, dc.Strategy)
		}
		alt := aws.ToString(ac.AlternateTargetGroupArn)
		switch {
		case alt == "":
			return apiErr("InvalidParameterException", "loadBalancers[%d].advancedConfiguration.alternateTargetGroupArn must be provided for the %s deployment strategy.", i, dc.Strategy)
		case alt == aws.ToString(lb.TargetGroupArn):
			return apiErr("InvalidParameterException", "loadBalancers[%d].advancedConfiguration.alternateTargetGroupArn must differ from targetGroupArn.", i)
		case !s.e.targetGroupExists(alt):
			return apiErr("InvalidParameterException", "Unable to find the alternate target group %s.", alt)
		case aws.ToString(ac.ProductionListenerRule) == "":
			return apiErr("InvalidParameterException", "loadBalancers[%d].advancedConfiguration.productionListenerRule must be provided for the %s deployment strategy.", i, dc.Strategy)
		case !s.e.listenerRuleExists(aws.ToString(ac.ProductionListenerRule)):
			return apiErr("InvalidParameterException", "Unable to find the production listener rule %s.", aws.ToString(ac.ProductionListenerRule))
		case aws.ToString(ac.TestListenerRule) != "" && !s.e.listenerRuleExists(aws.ToString(ac.TestListenerRule)):
			return apiErr("InvalidParameterException", "Unable to find the test listener rule %s.", aws.ToString(ac.TestListenerRule))
		case aws.ToString(ac.RoleArn) == "":
			return apiErr("InvalidParameterException", "loadBalancers[%d].advancedConfiguration.roleArn must be provided for the %s deployment strategy.", i, dc.Strategy)
		}
	}
	return nil
}

func tenths(v float64) bool { return math.Abs(v*10-math.Round(v*10)) < 1e-6 }

func validHookStage(st ecstypes.DeploymentLifecycleHookStage) bool {
	for _, v := range st.Values() {
		if v == st {
			return true
		}
	}
	return false
}

// startBlueGreen gives service deployment sd, just started, its blue/green
// state when the strategy asks for one and a COMPLETED revision (blue)
// exists: a service's first deployment has nothing to shift from.
func (s *ecsService) startBlueGreen(svc *ecsSvc, sd *ecsSvcDeployment, now time.Time) {
	blue := svc.lastCompleted
	if !isBlueGreen(&sd.config) || blue == nil || blue == sd.target {
		return
	}
	bg := &bgState{blue: blue, stage: bgReconcile}
	for _, lb := range sd.target.spec.loadBalancers {
		ac := lb.AdvancedConfiguration
		if ac == nil {
			continue
		}
		t := bgTraffic{blueTG: aws.ToString(lb.TargetGroupArn), greenTG: aws.ToString(ac.AlternateTargetGroupArn),
			prodRule: aws.ToString(ac.ProductionListenerRule), testRul: aws.ToString(ac.TestListenerRule)}
		if svc.bgSwapped {
			t.blueTG, t.greenTG = t.greenTG, t.blueTG
		}
		bg.lbs = append(bg.lbs, t)
	}
	sd.bg = bg
	s.enterStage(svc, sd, bgReconcile, now)
}

func (s *ecsService) enterStage(svc *ecsSvc, sd *ecsSvcDeployment, stage int, at time.Time) {
	bg := sd.bg
	bg.stage = stage
	bg.hooks = nil
	sd.stage, sd.updatedAt = bgStages[stage], at
	s.addEvent(svc, at, "(service deployment %s) entered lifecycle stage %s.", lastSegment(sd.arn), bgStages[stage])
	switch stage {
	case bgReconcile:
		// The RECONCILE_SERVICE hooks run only when more than one revision
		// is ACTIVE as the deployment starts.
		if len(sd.sources) > 1 {
			s.startHooks(svc, sd, ecstypes.DeploymentLifecycleHookStageReconcileService, at)
		}
	case bgPreScaleUp:
		s.startHooks(svc, sd, ecstypes.DeploymentLifecycleHookStagePreScaleUp, at)
	case bgPostScaleUp:
		s.startHooks(svc, sd, ecstypes.DeploymentLifecycleHookStagePostScaleUp, at)
	case bgTestShift:
		bg.testPct = 100
		s.applyWeights(svc, sd, at)
		s.startHooks(svc, sd, ecstypes.DeploymentLifecycleHookStageTestTrafficShift, at)
	case bgPostTestShift:
		s.startHooks(svc, sd, ecstypes.DeploymentLifecycleHookStagePostTestTrafficShift, at)
	case bgProdShift:
		bg.preDone, bg.stepUntil = false, time.Time{}
		s.startHooks(svc, sd, ecstypes.DeploymentLifecycleHookStagePreProductionTrafficShift, at)
	case bgPostProdShift:
		s.startHooks(svc, sd, ecstypes.DeploymentLifecycleHookStagePostProductionTrafficShift, at)
	case bgBake:
		bg.bakeUntil = at.Add(time.Duration(aws.ToInt32(sd.config.BakeTimeInMinutes)) * time.Minute)
	}
}

func (s *ecsService) startHooks(svc *ecsSvc, sd *ecsSvcDeployment, stage ecstypes.DeploymentLifecycleHookStage, at time.Time) {
	bg := sd.bg
	bg.hooks = nil
	for _, h := range sd.config.LifecycleHooks {
		if !hasInclude(h.LifecycleStages, string(stage)) {
			continue
		}
		x := &bgHook{id: s.uuid(), stage: stage, hook: h, status: ecstypes.DeploymentLifecycleHookStatusInProgress, expiresAt: at.Add(hookTimeout(h)), nextCall: at}
		if h.TargetType == ecstypes.DeploymentLifecycleHookTargetTypePause {
			x.status, x.nextCall = ecstypes.DeploymentLifecycleHookStatusAwaitingAction, time.Time{}
			s.addEvent(svc, at, "(service deployment %s) lifecycle hook %s paused the deployment at %s: waiting for ContinueServiceDeployment until %s.",
				lastSegment(sd.arn), x.id, stage, x.expiresAt.Format(time.RFC3339))
		}
		bg.hooks = append(bg.hooks, x)
	}
}

func timeoutAction(h ecstypes.DeploymentLifecycleHook) ecstypes.DeploymentLifecycleHookAction {
	if tc := h.TimeoutConfiguration; tc != nil && tc.Action != "" {
		return tc.Action
	}
	return ecstypes.DeploymentLifecycleHookActionRollback
}

// runHooks moves the current stage's hooks on; it returns whether all are
// done, and a failure reason when the deployment must roll back. During a
// rollback a failed or timed-out hook is reported, but there is nothing
// left to roll back to: the others still run.
func (s *ecsService) runHooks(svc *ecsSvc, sd *ecsSvcDeployment, at time.Time) (bool, string) {
	all := true
	rollingBack := sd.bg.rollingBack
	for _, h := range sd.bg.hooks {
		if h.done() {
			continue
		}
		if !at.Before(h.expiresAt) {
			h.status = ecstypes.DeploymentLifecycleHookStatusTimedOut
			s.addEvent(svc, at, "(service deployment %s) lifecycle hook %s timed out at %s.", lastSegment(sd.arn), h.id, h.stage)
			if !rollingBack && timeoutAction(h.hook) == ecstypes.DeploymentLifecycleHookActionRollback {
				return true, fmt.Sprintf("Service deployment rolled back because lifecycle hook %s timed out at %s.", h.id, h.stage)
			}
			continue
		}
		if h.hook.TargetType == ecstypes.DeploymentLifecycleHookTargetTypePause {
			all = false
			continue
		}
		if at.Before(h.nextCall) {
			all = false
			continue
		}
		status, delay := s.invokeHook(svc, sd, h)
		switch status {
		case "SUCCEEDED":
			h.status = ecstypes.DeploymentLifecycleHookStatusSucceeded
			if rollingBack {
				s.addEvent(svc, at, "(service deployment %s) lifecycle hook %s succeeded at %s during the rollback.", lastSegment(sd.arn), h.id, h.stage)
			}
		case "IN_PROGRESS":
			h.nextCall = at.Add(delay)
			all = false
		default:
			h.status = ecstypes.DeploymentLifecycleHookStatusFailed
			s.addEvent(svc, at, "(service deployment %s) lifecycle hook %s failed at %s: %s", lastSegment(sd.arn), h.id, h.stage, h.answer)
			if !rollingBack {
				return true, fmt.Sprintf("Service deployment rolled back because lifecycle hook %s failed at %s.", h.id, h.stage)
			}
		}
	}
	return all, ""
}

// invokeHook calls a Lambda hook with the payload ECS documents and reads its
// hookStatus; anything but a valid answer is a failure.
func (s *ecsService) invokeHook(svc *ecsSvc, sd *ecsSvcDeployment, h *bgHook) (string, time.Duration) {
	weights := func(pct float64) (map[string]float64, map[string]float64) {
		test := map[string]float64{sd.target.revisionArn: sd.bg.testPct, sd.bg.blue.revisionArn: 100 - sd.bg.testPct}
		prod := map[string]float64{sd.target.revisionArn: pct, sd.bg.blue.revisionArn: 100 - pct}
		return test, prod
	}
	test, prod := weights(sd.bg.prodPct)
	payload, _ := json.Marshal(map[string]any{
		"executionDetails": map[string]any{
			"testTrafficWeights": test, "productionTrafficWeights": prod,
			"serviceArn": svc.arn, "targetServiceRevisionArn": sd.target.revisionArn,
		},
		"executionId": h.id, "lifecycleStage": string(h.stage), "resourceArn": sd.arn,
		"hookDetails": hookDetailsValue(h.hook.HookDetails),
	})
	out, fnErr, err := s.e.services.lambda.Invoke(aws.ToString(h.hook.HookTargetArn), payload)
	switch {
	case err != nil:
		h.answer = err.Error()
		return "FAILED", 0
	case fnErr != "":
		h.answer = fnErr + ": " + string(out)
		return "FAILED", 0
	}
	h.answer = string(out)
	var ans struct {
		HookStatus    string `json:"hookStatus"`
		CallBackDelay *int   `json:"callBackDelay"`
	}
	if json.Unmarshal(out, &ans) != nil {
		return "FAILED", 0
	}
	delay := defaultHookCallBackDelay
	if ans.CallBackDelay != nil && *ans.CallBackDelay >= 0 {
		delay = time.Duration(*ans.CallBackDelay) * time.Second
	}
	if delay == 0 {
		delay = time.Millisecond // never twice at one instant
	}
	return ans.HookStatus, delay
}

// applyWeights writes the current traffic split into the listener rules.
func (s *ecsService) applyWeights(svc *ecsSvc, sd *ecsSvcDeployment, at time.Time) {
	for _, t := range sd.bg.lbs {
		s.e.setForwardWeights(t.prodRule, t.blueTG, t.greenTG, int32(math.Round(sd.bg.prodPct)))
		if t.testRul != "" {
			s.e.setForwardWeights(t.testRul, t.blueTG, t.greenTG, int32(math.Round(sd.bg.testPct)))
		}
	}
	sd.updatedAt = at
}

// nextProdPct is the production share on green after the next shift step.
func nextProdPct(dc ecstypes.DeploymentConfiguration, cur float64) (pct float64, bake time.Duration) {
	switch dc.Strategy {
	case ecstypes.DeploymentStrategyLinear:
		step, bakeMin := 10.0, int32(6)
		if lc := dc.LinearConfiguration; lc != nil {
			if lc.StepPercent != nil {
				step = *lc.StepPercent
			}
			if lc.StepBakeTimeInMinutes != nil {
				bakeMin = *lc.StepBakeTimeInMinutes
			}
		}
		return math.Min(100, math.Round((cur+step)*10)/10), time.Duration(bakeMin) * time.Minute
	case ecstypes.DeploymentStrategyCanary:
		canary, bakeMin := 5.0, int32(10)
		if cc := dc.CanaryConfiguration; cc != nil {
			if cc.CanaryPercent != nil {
				canary = *cc.CanaryPercent
			}
			if cc.CanaryBakeTimeInMinutes != nil {
				bakeMin = *cc.CanaryBakeTimeInMinutes
			}
		}
		if cur == 0 && canary < 100 {
			return canary, time.Duration(bakeMin) * time.Minute
		}
	}
	return 100, 0
}

// stepBlueGreen moves every blue/green service deployment of svc on, as far
// as the state at time at allows.
func (s *ecsService) stepBlueGreen(svc *ecsSvc, at time.Time) {
	for _, sd := range svc.sds {
		if sd.bg == nil || !sd.inProgress() {
			continue
		}
		for i := 0; i < 64 && s.stepOnce(svc, sd, at); i++ {
		}
	}
}

// stepOnce makes one move and tells whether it made any.
func (s *ecsService) stepOnce(svc *ecsSvc, sd *ecsSvcDeployment, at time.Time) bool {
	bg := sd.bg
	if bg.rollingBack {
		if len(bg.hooks) > 0 {
			if done, _ := s.runHooks(svc, sd, at); !done {
				return false
			}
		}
		if !svc.hasUnstopped(sd.target) {
			sd.finish(ecstypes.ServiceDeploymentStatusRollbackSuccessful, "", at)
			s.addEvent(svc, at, "(service deployment %s) rolled back: all traffic is on revision %s.", lastSegment(sd.arn), lastSegment(bg.blue.revisionArn))
			return false
		}
		return false
	}
	if len(bg.hooks) > 0 {
		done, failure := s.runHooks(svc, sd, at)
		if failure != "" {
			s.rollbackBlueGreen(svc, sd, at, failure)
			return true
		}
		if !done {
			return false
		}
		bg.hooks = bg.hooks[:0]
		if bg.stage != bgProdShift {
			s.enterStage(svc, sd, bg.stage+1, at)
			return true
		}
	}
	desired := int(svc.desiredCount())
	switch bg.stage {
	case bgReconcile, bgPreScaleUp, bgPostScaleUp, bgTestShift, bgPostTestShift, bgPostProdShift:
		s.enterStage(svc, sd, bg.stage+1, at)
		return true
	case bgScaleUp:
		if running, _, _ := svc.counts(sd.target); running >= desired {
			s.enterStage(svc, sd, bgPostScaleUp, at)
			return true
		}
		return false
	case bgProdShift:
		if !bg.preDone {
			bg.preDone = true
			return true
		}
		if !bg.stepUntil.IsZero() {
			if at.Before(bg.stepUntil) {
				return false
			}
			bg.stepUntil = time.Time{}
			if bg.prodPct >= 100 {
				s.enterStage(svc, sd, bgPostProdShift, at)
				return true
			}
			// Linear and canary run the pre-shift hooks before every step.
			bg.preDone = false
			s.startHooks(svc, sd, ecstypes.DeploymentLifecycleHookStagePreProductionTrafficShift, at)
			return true
		}
		pct, bake := nextProdPct(sd.config, bg.prodPct)
		bg.prodPct = pct
		s.applyWeights(svc, sd, at)
		s.addEvent(svc, at, "(service deployment %s) shifted %.1f%% of production traffic to revision %s.", lastSegment(sd.arn), pct, lastSegment(sd.target.revisionArn))
		if pct >= 100 {
			bake = 0
		}
		bg.stepUntil = at.Add(bake)
		if bake == 0 {
			bg.stepUntil = at
		}
		s.startHooks(svc, sd, ecstypes.DeploymentLifecycleHookStageProductionTrafficShift, at)
		return true
	case bgBake:
		if at.Before(bg.bakeUntil) {
			return false
		}
		s.enterStage(svc, sd, bgCleanUp, at)
		return true
	}
	return false // CLEAN_UP: the rolling scheduler stops blue and completes
}

// nextBlueGreenEvent is when a blue/green deployment of svc next moves on
// by the clock alone (hook calls and timeouts, step and bake ends).
func (sd *ecsSvcDeployment) nextBlueGreenEvent() (time.Time, bool) {
	bg := sd.bg
	if bg == nil || !sd.inProgress() {
		return time.Time{}, false
	}
	var best time.Time
	found := false
	consider := func(t time.Time) {
		if !t.IsZero() && (!found || t.Before(best)) {
			best, found = t, true
		}
	}
	for _, h := range bg.hooks {
		if !h.done() {
			consider(h.expiresAt)
			consider(h.nextCall)
		}
	}
	if len(bg.hooks) == 0 && !bg.rollingBack {
		switch bg.stage {
		case bgProdShift:
			consider(bg.stepUntil)
		case bgBake:
			consider(bg.bakeUntil)
		}
	}
	return best, found
}

// bgHolds tells the rolling scheduler to leave blue running and not to
// complete: the blue/green state machine owns the deployment until CLEAN_UP.
func (svc *ecsSvc) bgActive() *bgState {
	if len(svc.deployments) == 0 {
		return nil
	}
	sd := svc.deployments[0].sd
	if sd == nil || sd.bg == nil || !sd.inProgress() || sd.bg.rollingBack {
		return nil
	}
	return sd.bg
}

// rollbackBlueGreen returns all traffic to blue, makes blue the primary
// deployment again and lets the scheduler stop green.
func (s *ecsService) rollbackBlueGreen(svc *ecsSvc, sd *ecsSvcDeployment, at time.Time, reason string) {
	bg := sd.bg
	green := sd.target
	bg.rollingBack = true
	shiftedTest, shiftedProd := bg.testPct > 0, bg.prodPct > 0
	bg.prodPct, bg.testPct = 0, 0
	s.applyWeights(svc, sd, at)
	green.rollout, green.reason, green.updatedAt = ecstypes.DeploymentRolloutStateFailed, "ECS deployment rolled back.", at
	kept := []*ecsDeployment{bg.blue}
	for _, d := range svc.deployments {
		if d != bg.blue {
			d.status = "ACTIVE"
			kept = append(kept, d)
		}
	}
	bg.blue.status, bg.blue.updatedAt = "PRIMARY", at
	svc.deployments = kept
	svc.steadySince, svc.steady = time.Time{}, false
	sd.status, sd.statusReason, sd.updatedAt = ecstypes.ServiceDeploymentStatusRollbackInProgress, reason, at
	sd.rollback = &ecstypes.Rollback{Reason: aws.String(reason), StartedAt: aws.Time(at), ServiceRevisionArn: aws.String(bg.blue.revisionArn)}
	s.addEvent(svc, at, "(service deployment %s) rolling back to revision %s: all traffic returns to it.", lastSegment(sd.arn), lastSegment(bg.blue.revisionArn))
	s.rollbackHooks(svc, sd, at, shiftedTest, shiftedProd)
}

// rollbackHooks starts, for a rollback, the hooks of the stages whose
// traffic moves back. The ECS developer guide (Lifecycle hooks for Amazon
// ECS service deployments): "When a roll back happens, Amazon ECS runs the
// lifecycle hooks for the following lifecycle stages: PRODUCTION_TRAFFIC_SHIFT,
// TEST_TRAFFIC_SHIFT." Only stages whose traffic had moved run (a rollback
// before any shift moves no traffic), and the hooks of the stage being left
// that had not finished are dropped: ECS no longer waits for them. PAUSE
// hooks cannot be configured at those two stages.
func (s *ecsService) rollbackHooks(svc *ecsSvc, sd *ecsSvcDeployment, at time.Time, test, prod bool) {
	bg := sd.bg
	kept := bg.hooks[:0]
	for _, h := range bg.hooks {
		if h.done() {
			kept = append(kept, h)
		}
	}
	bg.hooks = kept
	for _, st := range []struct {
		stage ecstypes.DeploymentLifecycleHookStage
		moved bool
	}{{ecstypes.DeploymentLifecycleHookStageTestTrafficShift, test}, {ecstypes.DeploymentLifecycleHookStageProductionTrafficShift, prod}} {
		if !st.moved {
			continue
		}
		for _, h := range sd.config.LifecycleHooks {
			if !hasInclude(h.LifecycleStages, string(st.stage)) || h.TargetType == ecstypes.DeploymentLifecycleHookTargetTypePause {
				continue
			}
			x := &bgHook{id: s.uuid(), stage: st.stage, hook: h, status: ecstypes.DeploymentLifecycleHookStatusInProgress, expiresAt: at.Add(hookTimeout(h)), nextCall: at}
			bg.hooks = append(bg.hooks, x)
			s.addEvent(svc, at, "(service deployment %s) rolling back: running lifecycle hook %s of %s.", lastSegment(sd.arn), x.id, st.stage)
		}
	}
}

// hookTimeout is how long ECS waits for a hook: 1440 minutes unless its
// timeoutConfiguration says otherwise.
func hookTimeout(h ecstypes.DeploymentLifecycleHook) time.Duration {
	if tc := h.TimeoutConfiguration; tc != nil && tc.TimeoutInMinutes != nil {
		return time.Duration(*tc.TimeoutInMinutes) * time.Minute
	}
	return 1440 * time.Minute
}

// continueServiceDeployment resolves a PAUSE hook.
func (s *ecsService) continueServiceDeployment(in *ecs.ContinueServiceDeploymentInput, now time.Time) (any, error) {
	sd := s.findServiceDeployment(aws.ToString(in.ServiceDeploymentArn))
	if sd == nil {
		return nil, apiErr("ServiceDeploymentNotFoundException", "The service deployment does not exist.")
	}
	if aws.ToString(in.HookId) == "" {
		return nil, apiErr("InvalidParameterException", "hookId must be specified.")
	}
	var hook *bgHook
	if sd.bg != nil && sd.inProgress() {
		for _, h := range sd.bg.hooks {
			if h.id == aws.ToString(in.HookId) {
				hook = h
			}
		}
	}
	if hook == nil || hook.status != ecstypes.DeploymentLifecycleHookStatusAwaitingAction {
		return nil, apiErr("InvalidParameterException", "The lifecycle hook %s is not waiting for an action on this service deployment.", aws.ToString(in.HookId))
	}
	action := in.Action
	if action == "" {
		action = ecstypes.DeploymentLifecycleHookActionContinue
	}
	svc := sd.svc
	switch action {
	case ecstypes.DeploymentLifecycleHookActionContinue:
		hook.status = ecstypes.DeploymentLifecycleHookStatusSucceeded
		s.addEvent(svc, now, "(service deployment %s) lifecycle hook %s continued.", lastSegment(sd.arn), hook.id)
	case ecstypes.DeploymentLifecycleHookActionRollback:
		hook.status = ecstypes.DeploymentLifecycleHookStatusFailed
		s.rollbackBlueGreen(svc, sd, now, fmt.Sprintf("Service deployment rolled back by a ContinueServiceDeployment request for lifecycle hook %s.", hook.id))
	default:
		return nil, apiErr("InvalidParameterException", "Invalid action %q. Valid values are CONTINUE and ROLLBACK.", action)
	}
	s.stepBlueGreen(svc, now)
	return &ecs.ContinueServiceDeploymentOutput{ServiceDeploymentArn: aws.String(sd.arn)}, nil
}

// hookDetails is what DescribeServiceDeployments shows of the hooks.
func (sd *ecsSvcDeployment) hookDetails() []ecstypes.DeploymentLifecycleHookDetail {
	if sd.bg == nil {
		return nil
	}
	out := []ecstypes.DeploymentLifecycleHookDetail{}
	for _, h := range sd.bg.hooks {
		d := ecstypes.DeploymentLifecycleHookDetail{HookId: aws.String(h.id), Status: h.status, TargetType: h.hook.TargetType,
			ExpiresAt: aws.Time(h.expiresAt), TimeoutAction: timeoutAction(h.hook)}
		if d.TargetType == "" {
			d.TargetType = ecstypes.DeploymentLifecycleHookTargetTypeAwsLambda
		}
		if d.TargetType == ecstypes.DeploymentLifecycleHookTargetTypeAwsLambda {
			d.TargetArn = h.hook.HookTargetArn
		}
		out = append(out, d)
	}
	return out
}

// trafficWeights fills the revision summaries' requested traffic shares.
func (sd *ecsSvcDeployment) trafficWeights(target *ecstypes.ServiceRevisionSummary, sources []ecstypes.ServiceRevisionSummary) {
	if sd.bg == nil {
		return
	}
	target.RequestedProductionTrafficWeight = aws.Float64(sd.bg.prodPct)
	target.RequestedTestTrafficWeight = aws.Float64(sd.bg.testPct)
	for i := range sources {
		if aws.ToString(sources[i].Arn) == sd.bg.blue.revisionArn {
			sources[i].RequestedProductionTrafficWeight = aws.Float64(100 - sd.bg.prodPct)
			sources[i].RequestedTestTrafficWeight = aws.Float64(100 - sd.bg.testPct)
		}
	}
}

func init() {
	// hookDetails is free JSON that ECS passes to the hook and returns as sent.
	core.RegisterDocument(reflect.TypeOf((*document.Interface)(nil)).Elem(), func(raw any) any { return document.NewLazyDocument(raw) })
}

func hookDetailsValue(d document.Interface) any {
	if d == nil {
		return nil
	}
	b, err := d.MarshalSmithyDocument()
	if err != nil {
		return nil
	}
	return json.RawMessage(b)
}
