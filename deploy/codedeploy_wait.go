package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// untilEventPrefix starts `codedeploy:<LifecycleEvent>` (ecspresso's
// spelling): the wait ends once that lifecycle event of the CodeDeploy
// deployment succeeded or was skipped.
const untilEventPrefix = "codedeploy:"

// codeDeployEvents are the lifecycle events of an ECS deployment, in order.
var codeDeployEvents = []string{"BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
	"BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"}

// parseEventWaitUntil accepts `codedeploy:<LifecycleEvent>` (any case).
func parseEventWaitUntil(s string) (WaitUntil, bool, error) {
	v := strings.TrimSpace(s)
	if len(v) < len(untilEventPrefix) || !strings.EqualFold(v[:len(untilEventPrefix)], untilEventPrefix) {
		return "", false, nil
	}
	name := v[len(untilEventPrefix):]
	for _, ev := range codeDeployEvents {
		if strings.EqualFold(ev, name) {
			return WaitUntil(untilEventPrefix + ev), true, nil
		}
	}
	return "", true, fmt.Errorf("invalid --wait-until %q: the CodeDeploy lifecycle event must be one of %s", s, strings.Join(codeDeployEvents, ", "))
}

// LifecycleEvent is the CodeDeploy lifecycle event `codedeploy:<Event>`
// waits for.
func (u WaitUntil) LifecycleEvent() (string, bool) {
	if !strings.HasPrefix(string(u), untilEventPrefix) {
		return "", false
	}
	return strings.TrimPrefix(string(u), untilEventPrefix), true
}

// codeDeployController follows a CodeDeploy blue/green deployment of a
// service under the CODE_DEPLOY controller: the deployment's status, its
// lifecycle events and the traffic split between the original and the
// replacement task sets (GetDeploymentTarget). Outcome classes are those of
// the other controllers: a failed lifecycle event or a rollback by
// CodeDeploy is RolledBack or Failed (exit 3), with the event's diagnostics.
type codeDeployController struct {
	w  *Waiter
	cd *CodeDeploy
	// id is the deployment followed; "" until found (wait, or a deploy that
	// changed only the desired count).
	id       string
	rollback bool
	// searched: with no id given, the in-progress deployment was looked
	// for once; none means the service's task set alone decides.
	searched bool
	group    *DeploymentGroupRef
	events   map[string]cdtypes.LifecycleEventStatus
	lastLine string
	said     map[string]bool
	info     *cdtypes.DeploymentInfo
	target   *cdtypes.ECSTarget
}

func (c *codeDeployController) judge(ctx context.Context, svc *ecstypes.Service, want expectation) verdict {
	if want.until.needsLifecycle() {
		return verdict{done: true, class: Error, reason: fmt.Sprintf("--wait-until %s needs an ECS-native BLUE_GREEN, LINEAR or CANARY deployment; service %s uses the CODE_DEPLOY controller (wait for a CodeDeploy lifecycle event with codedeploy:<LifecycleEvent>, e.g. codedeploy:AfterAllowTraffic)", want.until, c.w.Service)}
	}
	if c.cd == nil || c.cd.API == nil {
		return verdict{done: true, class: Error, reason: fmt.Sprintf("service %s uses the CODE_DEPLOY controller, but no CodeDeploy client was given to follow it", c.w.Service)}
	}
	if c.id == "" && !c.searched {
		g, err := c.cd.Group(ctx, c.w.Cluster, c.w.Service)
		if errors.Is(err, ErrNoDeploymentGroup) {
			// No deployment to follow (e.g. after scale): the task set decides.
			c.searched = true
			return taskSetVerdict(svc, want)
		}
		if err != nil {
			c.warn("%v (will retry)", err)
			return verdict{}
		}
		c.group = g
		id, err := c.cd.Active(ctx, g)
		if err != nil {
			c.warn("%v (will retry)", err)
			return verdict{}
		}
		c.id, c.searched = id, true
		if id != "" {
			c.w.reporter().Report(Waiting(fmt.Sprintf("CodeDeploy deployment %s to complete", id)))
		} else if id, err = c.endedWithoutRollback(ctx, g); err != nil {
			c.searched = false
			c.warn("%v (will retry)", err)
			return verdict{}
		} else if id != "" {
			c.id = id
			c.w.reporter().Report(Event{Time: time.Now(), Kind: EventInfo, Message: fmt.Sprintf("no CodeDeploy deployment is in progress; the newest one, %s, ended without a rollback", id)})
		}
	}
	if c.id == "" {
		return taskSetVerdict(svc, want)
	}
	info, err := c.cd.Get(ctx, c.id)
	if err != nil {
		c.warn("%v (will retry)", err)
		return verdict{}
	}
	if aws.ToString(info.DeploymentId) != aws.ToString(idOf(c.info)) {
		c.target = nil
	}
	c.info = info
	if t, err := c.cd.Target(ctx, c.id, c.w.Cluster, c.w.Service); err == nil {
		c.target = t
	} // else the deployment's status still decides; the last target read stays
	target := c.target
	c.progress(info, target)
	if c.rollback {
		// The deployment we stopped hands over to CodeDeploy's rollback
		// deployment: follow that one.
		if st := info.Status; (st == cdtypes.DeploymentStatusStopped || st == cdtypes.DeploymentStatusFailed) && info.RollbackInfo != nil {
			if next := aws.ToString(info.RollbackInfo.RollbackDeploymentId); next != "" && next != c.id {
				c.w.reporter().Report(Event{Time: time.Now(), Kind: EventInfo, Message: fmt.Sprintf("CodeDeploy rolls back deployment %s with deployment %s", c.id, next)})
				c.id, c.events, c.lastLine = next, nil, ""
				c.w.reporter().Report(Waiting(fmt.Sprintf("CodeDeploy rollback deployment %s to complete", next)))
				return verdict{}
			}
		}
	}
	if info.Status == cdtypes.DeploymentStatusReady && !c.said["ready:"+c.id] {
		if c.said == nil {
			c.said = map[string]bool{}
		}
		c.said["ready:"+c.id] = true
		c.warn("CodeDeploy deployment %s waits for traffic to be rerouted (READY_WAIT): continue it with `aws deploy continue-deployment --deployment-id %s` or stop it with `doppio rollback`", c.id, c.id)
	}
	v := judgeCodeDeploy(info, target, want.until, c.rollback)
	if v.done && v.class == Completed && want.until == UntilStable {
		if tv := taskSetVerdict(svc, want); !tv.done {
			return verdict{}
		}
	}
	return v
}

// endedWithoutRollback is the group's newest deployment when it failed or
// was stopped and CodeDeploy started no rollback deployment for it ("" else).
// Its replacement task set stays beside the original one, so the service
// never gets back to a single task set by itself: waiting for that would
// only run into the timeout, while the deployment's own outcome (the failed
// lifecycle event and its message) is what `wait` must report.
func (c *codeDeployController) endedWithoutRollback(ctx context.Context, g *DeploymentGroupRef) (string, error) {
	info, err := c.cd.Latest(ctx, g)
	if err != nil || info == nil {
		return "", err
	}
	switch info.Status {
	case cdtypes.DeploymentStatusFailed, cdtypes.DeploymentStatusStopped:
		if aws.ToString(rollbackDeployment(info)) == "" {
			return aws.ToString(info.DeploymentId), nil
		}
	}
	return "", nil
}

// taskSetVerdict decides without a CodeDeploy deployment: the service is
// done once it has a single PRIMARY task set in STEADY_STATE.
func taskSetVerdict(svc *ecstypes.Service, want expectation) verdict {
	if svc == nil {
		return verdict{done: true, class: Failed, reason: "the service no longer exists"}
	}
	if len(svc.TaskSets) == 1 && aws.ToString(svc.TaskSets[0].Status) == "PRIMARY" && svc.TaskSets[0].StabilityStatus == ecstypes.StabilityStatusSteadyState {
		ts := svc.TaskSets[0]
		return verdict{done: true, class: Completed, reason: fmt.Sprintf("no CodeDeploy deployment is in progress; the service's task set runs %s in steady state (%d/%d tasks)",
			shortTD(aws.ToString(ts.TaskDefinition)), ts.RunningCount, ts.ComputedDesiredCount)}
	}
	return verdict{}
}

// judgeCodeDeploy decides on one observed CodeDeploy deployment; target
// may be nil. With rollback the deployment is a rollback we asked for.
func judgeCodeDeploy(info *cdtypes.DeploymentInfo, target *cdtypes.ECSTarget, until WaitUntil, rollback bool) verdict {
	id := aws.ToString(info.DeploymentId)
	isRollback := info.Creator == cdtypes.DeploymentCreatorCodeDeployRollback
	switch info.Status {
	case cdtypes.DeploymentStatusSucceeded:
		if isRollback && !rollback {
			return verdict{done: true, class: RolledBack, reason: fmt.Sprintf("CodeDeploy deployment %s is the automatic rollback of deployment %s", id, aws.ToString(rollbackOf(info)))}
		}
		if rollback {
			return verdict{done: true, class: Completed, reason: fmt.Sprintf("CodeDeploy deployment %s rolled the service back", id)}
		}
		return verdict{done: true, class: Completed, reason: fmt.Sprintf("CodeDeploy deployment %s succeeded%s", id, trafficSuffix(target))}
	case cdtypes.DeploymentStatusFailed, cdtypes.DeploymentStatusStopped:
		word := "failed"
		if info.Status == cdtypes.DeploymentStatusStopped {
			word = "was stopped"
		}
		reason := fmt.Sprintf("CodeDeploy deployment %s %s", id, word)
		if isRollback {
			reason = fmt.Sprintf("CodeDeploy rollback deployment %s %s", id, word)
		}
		msg := ""
		if ei := info.ErrorInformation; ei != nil {
			msg = aws.ToString(ei.Message)
			if msg != "" {
				reason += ": " + msg
			}
		}
		for _, ev := range failedEvents(target) {
			if !strings.Contains(msg, ev.message) {
				reason += "; " + ev.String()
			}
		}
		if next := aws.ToString(rollbackDeployment(info)); next != "" && !isRollback {
			if rollback {
				return verdict{} // the caller follows the rollback deployment
			}
			return verdict{done: true, class: RolledBack, reason: reason + fmt.Sprintf("; CodeDeploy rolls the service back with deployment %s", next)}
		}
		if rollback && info.RollbackInfo != nil && !isRollback {
			// Stopped before the replacement took traffic: nothing to undo.
			return verdict{done: true, class: Completed, reason: fmt.Sprintf("CodeDeploy deployment %s was stopped before it changed the service", id)}
		}
		return verdict{done: true, class: Failed, reason: reason}
	}
	// Created, Queued, InProgress, Ready, Baking.
	if ev, ok := until.LifecycleEvent(); ok && target != nil {
		for _, e := range target.LifecycleEvents {
			if aws.ToString(e.LifecycleEventName) != ev {
				continue
			}
			switch e.Status {
			case cdtypes.LifecycleEventStatusSucceeded, cdtypes.LifecycleEventStatusSkipped:
				word := "succeeded"
				if e.Status == cdtypes.LifecycleEventStatusSkipped {
					word = "was skipped"
				}
				return verdict{done: true, class: Completed, reason: fmt.Sprintf("lifecycle event %s of CodeDeploy deployment %s %s%s", ev, id, word, trafficSuffix(target))}
			case cdtypes.LifecycleEventStatusFailed:
				return verdict{done: true, class: Failed, reason: fmt.Sprintf("CodeDeploy deployment %s: %s", id, lifecycleFailure{name: ev, message: diagnostics(e)}.String())}
			}
		}
	}
	return verdict{}
}

type lifecycleFailure struct{ name, message string }

func (f lifecycleFailure) String() string {
	if f.message == "" {
		return "lifecycle event " + f.name + " failed"
	}
	return "lifecycle event " + f.name + " failed: " + f.message
}

func failedEvents(t *cdtypes.ECSTarget) []lifecycleFailure {
	if t == nil {
		return nil
	}
	var out []lifecycleFailure
	for _, e := range t.LifecycleEvents {
		if e.Status == cdtypes.LifecycleEventStatusFailed {
			out = append(out, lifecycleFailure{name: aws.ToString(e.LifecycleEventName), message: diagnostics(e)})
		}
	}
	return out
}

func diagnostics(e cdtypes.LifecycleEvent) string {
	if e.Diagnostics == nil {
		return ""
	}
	return aws.ToString(e.Diagnostics.Message)
}

func rollbackDeployment(info *cdtypes.DeploymentInfo) *string {
	if info.RollbackInfo == nil {
		return nil
	}
	return info.RollbackInfo.RollbackDeploymentId
}

func idOf(info *cdtypes.DeploymentInfo) *string {
	if info == nil {
		return nil
	}
	return info.DeploymentId
}

func rollbackOf(info *cdtypes.DeploymentInfo) *string {
	if info.RollbackInfo == nil {
		return nil
	}
	return info.RollbackInfo.RollbackTriggeringDeploymentId
}

// replacement is the GREEN (replacement) task set of a deployment target.
func replacement(t *cdtypes.ECSTarget) *cdtypes.ECSTaskSet {
	if t == nil {
		return nil
	}
	for i := range t.TaskSetsInfo {
		if t.TaskSetsInfo[i].TaskSetLabel == cdtypes.TargetLabelGreen {
			return &t.TaskSetsInfo[i]
		}
	}
	return nil
}

func trafficSuffix(t *cdtypes.ECSTarget) string {
	if g := replacement(t); g != nil {
		return fmt.Sprintf(" (production traffic: %s on the replacement task set)", percent(g.TrafficWeight))
	}
	return ""
}

// CodeDeployLine is one line of a CodeDeploy deployment's state, e.g.
// "CodeDeploy d-ABC InProgress at AllowTraffic; traffic 10% replacement / 90% original; replacement 2/2 running".
func CodeDeployLine(info *cdtypes.DeploymentInfo, t *cdtypes.ECSTarget) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CodeDeploy %s %s", aws.ToString(info.DeploymentId), info.Status)
	if t != nil {
		for _, e := range t.LifecycleEvents {
			if e.Status == cdtypes.LifecycleEventStatusInProgress {
				fmt.Fprintf(&b, " at %s", aws.ToString(e.LifecycleEventName))
				break
			}
		}
		var blue, green *cdtypes.ECSTaskSet
		for i := range t.TaskSetsInfo {
			switch t.TaskSetsInfo[i].TaskSetLabel {
			case cdtypes.TargetLabelBlue:
				blue = &t.TaskSetsInfo[i]
			case cdtypes.TargetLabelGreen:
				green = &t.TaskSetsInfo[i]
			}
		}
		if green != nil {
			fmt.Fprintf(&b, "; traffic %s replacement", percent(green.TrafficWeight))
			if blue != nil {
				fmt.Fprintf(&b, " / %s original", percent(blue.TrafficWeight))
			}
			fmt.Fprintf(&b, "; replacement %d/%d running", green.RunningCount, green.DesiredCount)
		}
	}
	return b.String()
}

// progress reports each lifecycle event's change of status and the state
// line when it changes.
func (c *codeDeployController) progress(info *cdtypes.DeploymentInfo, t *cdtypes.ECSTarget) {
	if t != nil {
		if c.events == nil {
			c.events = map[string]cdtypes.LifecycleEventStatus{}
		}
		for _, e := range t.LifecycleEvents {
			name := aws.ToString(e.LifecycleEventName)
			if c.events[name] == e.Status {
				continue
			}
			c.events[name] = e.Status
			if e.Status == cdtypes.LifecycleEventStatusPending {
				continue
			}
			msg := fmt.Sprintf("CodeDeploy %s: lifecycle event %s %s", aws.ToString(info.DeploymentId), name, e.Status)
			if d := diagnostics(e); d != "" && e.Status == cdtypes.LifecycleEventStatusFailed {
				msg += ": " + d
			}
			c.w.reporter().Report(Event{Time: time.Now(), Kind: EventInfo, Message: msg})
		}
	}
	line := CodeDeployLine(info, t)
	if line != c.lastLine {
		c.lastLine = line
		c.w.reporter().Report(Event{Time: time.Now(), Kind: EventInfo, Message: line})
	}
}

func (c *codeDeployController) warn(format string, args ...any) {
	c.w.reporter().Report(Event{Time: time.Now(), Kind: EventWarning, Message: fmt.Sprintf(format, args...)})
}

// deployment names the deployment followed, for the outcome.
func (c *codeDeployController) deployment() (id, url string) {
	if c.id == "" {
		return "", ""
	}
	return c.id, c.cd.ConsoleURL(c.id)
}

// timeoutDetail says where the deployment stood when the wait ran out.
func (c *codeDeployController) timeoutDetail() string {
	if c.info == nil {
		return ""
	}
	return "; " + CodeDeployLine(c.info, c.target)
}

// explainWant points the explanation at the replacement task set, whose
// tasks ECS starts with the task set's id.
func (c *codeDeployController) explainWant(want expectation) expectation {
	if g := replacement(c.target); g != nil && aws.ToString(g.Identifer) != "" {
		want.deploymentID = aws.ToString(g.Identifer)
	}
	return want
}

// advice is the next step after a failed lifecycle event: the hook's
// function and where its log is.
func (c *codeDeployController) advice() string {
	if c.target == nil {
		return ""
	}
	for _, e := range c.target.LifecycleEvents {
		if e.Status != cdtypes.LifecycleEventStatusFailed || e.Diagnostics == nil {
			continue
		}
		fn := functionName(aws.ToString(e.Diagnostics.ScriptName))
		if fn == "" {
			return fmt.Sprintf("the %s lifecycle event failed: see the deployment's page in the CodeDeploy console (%s).", aws.ToString(e.LifecycleEventName), c.cd.ConsoleURL(c.id))
		}
		return fmt.Sprintf("the %s hook (Lambda function %s) reported failure: read its log group /aws/lambda/%s, fix the cause, then deploy again.", aws.ToString(e.LifecycleEventName), fn, fn)
	}
	return ""
}

// functionName is the name of a Lambda function given by name or ARN.
func functionName(ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		if parts := strings.Split(ref, ":"); len(parts) >= 7 {
			return parts[6]
		}
	}
	return ref
}

// waitingFor says what the wait is at, for the live view.
func (c *codeDeployController) waitingFor() string {
	if c.id == "" {
		return "the service's task set to be steady"
	}
	what := "CodeDeploy deployment " + c.id + " to complete"
	var at []string
	if c.target != nil {
		for _, e := range c.target.LifecycleEvents {
			if e.Status == cdtypes.LifecycleEventStatusInProgress {
				at = append(at, "at "+aws.ToString(e.LifecycleEventName))
				break
			}
		}
		if g := replacement(c.target); g != nil {
			at = append(at, percent(g.TrafficWeight)+" of traffic on the replacement")
		}
	}
	if len(at) > 0 {
		what += " (" + strings.Join(at, ", ") + ")"
	}
	return what
}
