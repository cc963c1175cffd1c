package codedeploy

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cd "github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// The lifecycle events of an ECS blue/green deployment, in order.
var ecsEvents = []string{"BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
	"BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"}

const (
	idxBeforeAllowTraffic = 5
	idxAllowTraffic       = 6
)

// Phases of a deployment between its lifecycle events.
const (
	phaseEvents      = "events"      // running events[cur]
	phaseReady       = "ready"       // READY_WAIT: waiting for ContinueDeployment
	phaseTermination = "termination" // TERMINATION_WAIT: original task set kept
	phaseRollback    = "rollback"    // a rollback deployment restoring the original
	phaseDone        = "done"
)

type deployment struct {
	info             cdtypes.DeploymentInfo
	app              *application
	group            *group
	cluster, service string
	spec             TaskSetSpec
	hooks            map[string]string
	routing          cdtypes.TrafficRoutingConfig
	testRoute        bool

	events   []cdtypes.LifecycleEvent
	cur      int
	phase    string
	due      time.Time // next step; zero when nothing is scheduled
	updated  time.Time
	original string // task set ids
	replace  string
	traffic  float64           // percent of production traffic on the replacement
	primary  bool              // the replacement was made PRIMARY
	hook     *hookExec         // the running event's hook, if it has one
	hookIDs  map[string]string // hook execution ids so far, by event

	rollbackOf *deployment
}

func (s *Service) newDeploymentID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for {
		// core ids end in a sequence number; their first half is random.
		h := s.srv.NewID(18)
		var b strings.Builder
		b.WriteString("d-")
		for i := 0; i < 9; i++ {
			var v byte
			fmt.Sscanf(h[2*i:2*i+2], "%02x", &v)
			b.WriteByte(alphabet[int(v)%len(alphabet)])
		}
		if id := b.String(); s.deployments[id] == nil {
			return id
		}
	}
}

func (s *Service) createDeployment(in *cd.CreateDeploymentInput, now time.Time) (any, error) {
	a, g, err := s.group(in.ApplicationName, in.DeploymentGroupName)
	if err != nil {
		return nil, err
	}
	if a.info.ComputePlatform != cdtypes.ComputePlatformEcs {
		return nil, apiErr("InvalidComputePlatformException", "awsemu emulates CodeDeploy deployments for the ECS compute platform only, not %s.", a.info.ComputePlatform)
	}
	if g.active != nil {
		return nil, apiErr("DeploymentLimitExceededException", "The Deployment Group '%s' already has an active Deployment '%s'",
			aws.ToString(g.info.DeploymentGroupName), aws.ToString(g.active.info.DeploymentId))
	}
	rev := in.Revision
	if rev == nil {
		return nil, apiErr("RevisionRequiredException", "Revision must be specified.")
	}
	if rev.RevisionType != cdtypes.RevisionLocationTypeAppSpecContent || rev.AppSpecContent == nil {
		return nil, apiErr("InvalidRevisionException", "An ECS deployment needs a revision of revisionType AppSpecContent.")
	}
	spec, hooks, err := parseAppSpec(aws.ToString(rev.AppSpecContent.Content))
	if err != nil {
		return nil, apiErr("InvalidRevisionException", "%s", err.Error())
	}
	cfgName := aws.ToString(g.info.DeploymentConfigName)
	if in.DeploymentConfigName != nil {
		cfgName = *in.DeploymentConfigName
	}
	cfg, err := s.config(cfgName)
	if err != nil {
		return nil, err
	}
	routing := *cfg.TrafficRoutingConfig
	svc := g.info.EcsServices[0]
	cluster, service := aws.ToString(svc.ClusterName), aws.ToString(svc.ServiceName)
	if err := s.ecs.CheckService(cluster, service); err != nil {
		return nil, apiErr("InvalidECSServiceException", "%s", err.Error())
	}
	original, _, err := s.ecs.PrimaryTaskSet(cluster, service)
	if err != nil {
		return nil, apiErr("InvalidECSServiceException", "%s", err.Error())
	}
	pair := g.info.LoadBalancerInfo.TargetGroupPairInfoList[0]
	spec.TargetGroupARN = s.targetGroupARN(aws.ToString(pair.TargetGroups[1].Name))
	arc := g.info.AutoRollbackConfiguration
	if in.AutoRollbackConfiguration != nil {
		arc = in.AutoRollbackConfiguration
	}
	content := aws.ToString(rev.AppSpecContent.Content)
	revision := &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent,
		AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(content), Sha256: aws.String(sha256Hex(content))}}
	d := &deployment{
		app: a, group: g, cluster: cluster, service: service, spec: spec, hooks: hooks, routing: routing,
		testRoute: pair.TestTrafficRoute != nil && len(pair.TestTrafficRoute.ListenerArns) > 0,
		phase:     phaseEvents, due: now, updated: now, original: original,
		info: cdtypes.DeploymentInfo{
			ApplicationName: a.info.ApplicationName, DeploymentGroupName: g.info.DeploymentGroupName, DeploymentConfigName: aws.String(cfgName),
			DeploymentId: aws.String(s.newDeploymentID()), Status: cdtypes.DeploymentStatusCreated, Creator: cdtypes.DeploymentCreatorUser,
			CreateTime: aws.Time(now), ComputePlatform: cdtypes.ComputePlatformEcs, Description: in.Description,
			Revision: revision, PreviousRevision: g.lastRevision(s), DeploymentStyle: g.info.DeploymentStyle,
			BlueGreenDeploymentConfiguration: g.info.BlueGreenDeploymentConfiguration, LoadBalancerInfo: g.info.LoadBalancerInfo,
			AutoRollbackConfiguration: arc, FileExistsBehavior: cdtypes.FileExistsBehaviorDisallow,
			DeploymentStatusMessages: []string{},
		},
	}
	for _, name := range ecsEvents {
		d.events = append(d.events, cdtypes.LifecycleEvent{LifecycleEventName: aws.String(name), Status: cdtypes.LifecycleEventStatusPending})
	}
	s.addDeployment(d)
	return &cd.CreateDeploymentOutput{DeploymentId: d.info.DeploymentId}, nil
}

func (s *Service) addDeployment(d *deployment) {
	s.deployments[aws.ToString(d.info.DeploymentId)] = d
	s.depOrder = append(s.depOrder, d)
	d.group.active = d
}

// targetGroupARN is the ARN ELBv2 gives a target group of that name.
func (s *Service) targetGroupARN(name string) string {
	return fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s", s.region, s.account, name)
}

func (g *group) lastRevision(s *Service) *cdtypes.RevisionLocation {
	for i := len(s.depOrder) - 1; i >= 0; i-- {
		if d := s.depOrder[i]; d.group == g && d.info.Status == cdtypes.DeploymentStatusSucceeded {
			return d.info.Revision
		}
	}
	return nil
}

// advance replays every step due up to now, oldest first, so the outcome
// depends only on the clock, never on how often a client polls.
func (s *Service) advance(now time.Time) {
	for i := 0; i < 100_000; i++ {
		var next *deployment
		for _, d := range s.depOrder {
			if !d.due.IsZero() && !d.due.After(now) && (next == nil || d.due.Before(next.due)) {
				next = d
			}
		}
		if next == nil {
			return
		}
		at := next.due
		next.due = time.Time{}
		s.step(next, at)
	}
}

func (s *Service) step(d *deployment, at time.Time) {
	d.updated = at
	switch d.phase {
	case phaseRollback:
		s.finishRollback(d, at)
		return
	case phaseReady:
		// The ready wait timed out with actionOnTimeout STOP_DEPLOYMENT.
		s.fail(d, at, cdtypes.DeploymentStatusStopped, cdtypes.ErrorCodeTimeout,
			"The deployment timed out while waiting for the replacement task set to become ready. This time out period can be changed in the deployment group.", true)
		return
	case phaseTermination:
		if s.terminationAction(d) == cdtypes.InstanceActionTerminate {
			_ = s.ecs.DeleteTaskSet(at, d.cluster, d.service, d.original)
		}
		s.finish(d, at, cdtypes.DeploymentStatusSucceeded)
		return
	case phaseDone:
		return
	}
	if d.info.Status == cdtypes.DeploymentStatusCreated {
		d.info.Status = cdtypes.DeploymentStatusInProgress
		s.startEvent(d, 0, at)
		return
	}
	s.endEvent(d, at)
}

func (s *Service) startEvent(d *deployment, i int, at time.Time) {
	d.cur = i
	if i == len(d.events) {
		d.phase = phaseTermination
		d.info.InstanceTerminationWaitTimeStarted = true
		d.due = at.Add(time.Duration(s.terminationWait(d)) * time.Minute)
		return
	}
	if i == idxBeforeAllowTraffic && d.phase != phaseReady {
		if ro := d.info.BlueGreenDeploymentConfiguration.DeploymentReadyOption; ro != nil &&
			ro.ActionOnTimeout == cdtypes.DeploymentReadyActionStopDeployment && ro.WaitTimeInMinutes > 0 {
			d.phase = phaseReady
			d.info.Status = cdtypes.DeploymentStatusReady
			d.due = at.Add(time.Duration(ro.WaitTimeInMinutes) * time.Minute)
			return
		}
	}
	d.phase = phaseEvents
	ev := &d.events[i]
	name := aws.ToString(ev.LifecycleEventName)
	ev.Status, ev.StartTime = cdtypes.LifecycleEventStatusInProgress, aws.Time(at)
	switch {
	case hookEvents[name]:
		if fn, ok := d.hooks[name]; ok {
			s.startHook(d, i, fn, at)
		} else {
			d.due = at.Add(s.timings.Event)
		}
	case name == "Install":
		id, err := s.ecs.CreateReplacementTaskSet(at, d.cluster, d.service, d.spec)
		if err != nil {
			ev.Status, ev.EndTime = cdtypes.LifecycleEventStatusFailed, aws.Time(at)
			s.fail(d, at, cdtypes.DeploymentStatusFailed, cdtypes.ErrorCodeEcsUpdateError, "The ECS service cannot be updated due to an error. Error message: "+err.Error(), false)
			return
		}
		d.replace = id
		d.due = at.Add(s.timings.Event)
	case name == "AllowTestTraffic":
		if !d.testRoute {
			ev.Status, ev.EndTime = cdtypes.LifecycleEventStatusSkipped, aws.Time(at)
			s.startEvent(d, i+1, at)
			return
		}
		d.due = at.Add(s.timings.Event)
	case name == "AllowTraffic":
		s.shift(d, s.firstShare(d), at)
		d.due = at.Add(s.shiftInterval(d))
	}
}

func (s *Service) endEvent(d *deployment, at time.Time) {
	ev := &d.events[d.cur]
	name := aws.ToString(ev.LifecycleEventName)
	if fn, ok := d.hooks[name]; ok && d.hook != nil && d.hook.event == d.cur {
		status, msg := s.hookOutcome(d, at)
		switch status {
		case "":
			return // still running; hookOutcome set d.due
		case "Failed", "TimedOut":
			code := cdtypes.LifecycleErrorCodeScriptFailed
			if status == "TimedOut" {
				code = cdtypes.LifecycleErrorCodeScriptTimedOut
			}
			if msg == "" {
				msg = fmt.Sprintf("The %s hook %s reported failure.", name, fn)
			}
			d.hook = nil
			ev.Status, ev.EndTime = cdtypes.LifecycleEventStatusFailed, aws.Time(at)
			ev.Diagnostics = &cdtypes.Diagnostics{ErrorCode: code, Message: aws.String(msg),
				ScriptName: aws.String(fn), LogTail: aws.String(msg)}
			s.fail(d, at, cdtypes.DeploymentStatusFailed, cdtypes.ErrorCodeHookExecutionFailure,
				"The deployment failed because one or more of the lifecycle event hooks failed. "+name+": "+msg, false)
			return
		}
		d.hook = nil
	}
	if name == "Install" {
		// Install lasts until the replacement task set runs its tasks.
		if desired, running, _, _, err := s.ecs.TaskSetCounts(at, d.cluster, d.service, d.replace); err == nil && running < desired {
			d.due = at.Add(s.timings.Event)
			return
		}
	}
	if name == "AllowTraffic" {
		if d.traffic < 100 {
			s.shift(d, d.traffic+s.nextShare(d), at)
			d.due = at.Add(s.shiftInterval(d))
			return
		}
		if err := s.ecs.MakePrimary(at, d.cluster, d.service, d.replace); err == nil {
			d.primary = true
		}
	}
	ev.Status, ev.EndTime = cdtypes.LifecycleEventStatusSucceeded, aws.Time(at)
	s.startEvent(d, d.cur+1, at)
}

// firstShare is the traffic the replacement gets when AllowTraffic starts.
func (s *Service) firstShare(d *deployment) float64 {
	switch d.routing.Type {
	case cdtypes.TrafficRoutingTypeTimeBasedCanary:
		return float64(d.routing.TimeBasedCanary.CanaryPercentage)
	case cdtypes.TrafficRoutingTypeTimeBasedLinear:
		return float64(d.routing.TimeBasedLinear.LinearPercentage)
	}
	return 100
}

// nextShare is what each later step adds: a canary moves the rest at once.
func (s *Service) nextShare(d *deployment) float64 {
	if d.routing.Type == cdtypes.TrafficRoutingTypeTimeBasedLinear {
		return float64(d.routing.TimeBasedLinear.LinearPercentage)
	}
	return 100
}

func (s *Service) shiftInterval(d *deployment) time.Duration {
	if d.traffic >= 100 {
		return s.timings.Event
	}
	switch d.routing.Type {
	case cdtypes.TrafficRoutingTypeTimeBasedCanary:
		return time.Duration(d.routing.TimeBasedCanary.CanaryInterval) * time.Minute
	case cdtypes.TrafficRoutingTypeTimeBasedLinear:
		return time.Duration(d.routing.TimeBasedLinear.LinearInterval) * time.Minute
	}
	return s.timings.Event
}

func (s *Service) shift(d *deployment, pct float64, at time.Time) {
	if pct > 100 {
		pct = 100
	}
	d.traffic = pct
	_ = s.ecs.ShiftTraffic(at, d.cluster, d.service, d.replace, pct)
}

func (s *Service) terminationAction(d *deployment) cdtypes.InstanceAction {
	if t := d.info.BlueGreenDeploymentConfiguration.TerminateBlueInstancesOnDeploymentSuccess; t != nil && t.Action != "" {
		return t.Action
	}
	return cdtypes.InstanceActionTerminate
}

func (s *Service) terminationWait(d *deployment) int32 {
	if t := d.info.BlueGreenDeploymentConfiguration.TerminateBlueInstancesOnDeploymentSuccess; t != nil {
		return t.TerminationWaitTimeInMinutes
	}
	return 0
}

func (s *Service) finish(d *deployment, at time.Time, status cdtypes.DeploymentStatus) {
	d.phase, d.due = phaseDone, time.Time{}
	d.info.Status, d.info.CompleteTime = status, aws.Time(at)
	if d.group.active == d {
		d.group.active = nil
	}
}

// fail ends d with status and, when its auto-rollback configuration asks for
// it (or stopped says the caller asked), starts a rollback deployment.
func (s *Service) fail(d *deployment, at time.Time, status cdtypes.DeploymentStatus, code cdtypes.ErrorCode, msg string, rollback bool) {
	for i := range d.events {
		if d.events[i].Status == cdtypes.LifecycleEventStatusPending {
			d.events[i].Status = cdtypes.LifecycleEventStatusSkipped
		}
		if d.events[i].Status == cdtypes.LifecycleEventStatusInProgress {
			d.events[i].Status, d.events[i].EndTime = cdtypes.LifecycleEventStatusFailed, aws.Time(at)
		}
	}
	d.info.ErrorInformation = &cdtypes.ErrorInformation{Code: code, Message: aws.String(msg)}
	s.finish(d, at, status)
	if status == cdtypes.DeploymentStatusFailed && rollbackOn(d.info.AutoRollbackConfiguration, cdtypes.AutoRollbackEventDeploymentFailure) {
		rollback = true
	}
	if rollback && d.replace != "" {
		s.startRollback(d, at)
	} else if rollback {
		d.info.RollbackInfo = &cdtypes.RollbackInfo{RollbackMessage: aws.String("No rollback needed: the replacement task set was never created.")}
	}
}

func rollbackOn(arc *cdtypes.AutoRollbackConfiguration, ev cdtypes.AutoRollbackEvent) bool {
	if arc == nil || !arc.Enabled {
		return false
	}
	for _, e := range arc.Events {
		if e == ev {
			return true
		}
	}
	return false
}

// startRollback creates the deployment that returns traffic to the
// original task set and removes the replacement, as CodeDeploy's automatic
// rollback of an ECS deployment does.
func (s *Service) startRollback(d *deployment, at time.Time) {
	r := &deployment{app: d.app, group: d.group, cluster: d.cluster, service: d.service, phase: phaseRollback,
		due: at.Add(s.timings.Event), updated: at, original: d.original, replace: d.replace, traffic: d.traffic, primary: d.primary, rollbackOf: d}
	r.info = d.info
	r.info.DeploymentId = aws.String(s.newDeploymentID())
	r.info.Status, r.info.Creator = cdtypes.DeploymentStatusInProgress, cdtypes.DeploymentCreatorCodeDeployRollback
	r.info.CreateTime, r.info.CompleteTime, r.info.ErrorInformation = aws.Time(at), nil, nil
	r.info.Revision, r.info.PreviousRevision = d.info.PreviousRevision, d.info.Revision
	r.info.InstanceTerminationWaitTimeStarted = false
	r.info.RollbackInfo = &cdtypes.RollbackInfo{RollbackTriggeringDeploymentId: d.info.DeploymentId}
	d.info.RollbackInfo = &cdtypes.RollbackInfo{RollbackDeploymentId: r.info.DeploymentId,
		RollbackMessage: aws.String(fmt.Sprintf("Deployment %s was rolled back by deployment %s.", aws.ToString(d.info.DeploymentId), aws.ToString(r.info.DeploymentId)))}
	for _, name := range []string{"BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"} {
		r.events = append(r.events, cdtypes.LifecycleEvent{LifecycleEventName: aws.String(name), Status: cdtypes.LifecycleEventStatusInProgress, StartTime: aws.Time(at)})
	}
	s.addDeployment(r)
}

func (s *Service) finishRollback(r *deployment, at time.Time) {
	_ = s.ecs.ShiftTraffic(at, r.cluster, r.service, r.replace, 0)
	if r.primary {
		_ = s.ecs.MakePrimary(at, r.cluster, r.service, r.original)
	}
	_ = s.ecs.DeleteTaskSet(at, r.cluster, r.service, r.replace)
	r.traffic = 0
	for i := range r.events {
		r.events[i].Status, r.events[i].EndTime = cdtypes.LifecycleEventStatusSucceeded, aws.Time(at)
	}
	s.finish(r, at, cdtypes.DeploymentStatusSucceeded)
}

// --- reading deployments ---

func (s *Service) find(id *string) (*deployment, error) {
	if aws.ToString(id) == "" {
		return nil, apiErr("DeploymentIdRequiredException", "At least one deployment ID must be specified.")
	}
	d, ok := s.deployments[*id]
	if !ok {
		if !strings.HasPrefix(*id, "d-") {
			return nil, apiErr("InvalidDeploymentIdException", "Specified DeploymentId is not in the valid format: %s", *id)
		}
		return nil, apiErr("DeploymentDoesNotExistException", "The deployment %s could not be found.", *id)
	}
	return d, nil
}

func (s *Service) view(d *deployment) *cdtypes.DeploymentInfo {
	out := d.info
	ov := &cdtypes.DeploymentOverview{}
	switch s.targetStatus(d) {
	case cdtypes.TargetStatusSucceeded:
		ov.Succeeded = 1
	case cdtypes.TargetStatusFailed:
		ov.Failed = 1
	case cdtypes.TargetStatusInProgress:
		ov.InProgress = 1
	case cdtypes.TargetStatusReady:
		ov.Ready = 1
	case cdtypes.TargetStatusSkipped:
		ov.Skipped = 1
	default:
		ov.Pending = 1
	}
	out.DeploymentOverview = ov
	return &out
}

func (s *Service) getDeployment(in *cd.GetDeploymentInput, now time.Time) (any, error) {
	d, err := s.find(in.DeploymentId)
	if err != nil {
		return nil, err
	}
	return &cd.GetDeploymentOutput{DeploymentInfo: s.view(d)}, nil
}

func (s *Service) batchGetDeployments(in *cd.BatchGetDeploymentsInput, now time.Time) (any, error) {
	out := &cd.BatchGetDeploymentsOutput{DeploymentsInfo: []cdtypes.DeploymentInfo{}}
	for _, id := range in.DeploymentIds {
		d, err := s.find(aws.String(id))
		if err != nil {
			return nil, err
		}
		out.DeploymentsInfo = append(out.DeploymentsInfo, *s.view(d))
	}
	return out, nil
}

func (s *Service) listDeployments(in *cd.ListDeploymentsInput, now time.Time) (any, error) {
	var g *group
	if in.ApplicationName != nil || in.DeploymentGroupName != nil {
		if aws.ToString(in.DeploymentGroupName) == "" {
			return nil, apiErr("DeploymentGroupNameRequiredException", "The deployment group name was not specified.")
		}
		var err error
		if _, g, err = s.group(in.ApplicationName, in.DeploymentGroupName); err != nil {
			return nil, err
		}
	}
	want := map[cdtypes.DeploymentStatus]bool{}
	for _, st := range in.IncludeOnlyStatuses {
		want[st] = true
	}
	var ids []string
	for i := len(s.depOrder) - 1; i >= 0; i-- {
		d := s.depOrder[i]
		if (g == nil || d.group == g) && (len(want) == 0 || want[d.info.Status]) {
			ids = append(ids, aws.ToString(d.info.DeploymentId))
		}
	}
	page, next, err := pageOf(ids, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &cd.ListDeploymentsOutput{Deployments: orEmpty(page), NextToken: next}, nil
}

func orEmpty(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// --- StopDeployment / ContinueDeployment ---

func (s *Service) stopDeployment(in *cd.StopDeploymentInput, now time.Time) (any, error) {
	d, err := s.find(in.DeploymentId)
	if err != nil {
		return nil, err
	}
	if d.phase == phaseDone {
		return nil, apiErr("DeploymentAlreadyCompletedException", "Deployment %s has already completed.", aws.ToString(d.info.DeploymentId))
	}
	rollback := rollbackOn(d.info.AutoRollbackConfiguration, cdtypes.AutoRollbackEventDeploymentStopOnRequest)
	if in.AutoRollbackEnabled != nil {
		rollback = *in.AutoRollbackEnabled
	}
	if d.phase == phaseRollback {
		return nil, apiErr("DeploymentAlreadyCompletedException", "Deployment %s is a rollback and cannot be stopped.", aws.ToString(d.info.DeploymentId))
	}
	d.updated = now
	s.fail(d, now, cdtypes.DeploymentStatusStopped, cdtypes.ErrorCodeManualStop, "The deployment was stopped by a user.", rollback)
	return &cd.StopDeploymentOutput{Status: cdtypes.StopStatusPending, StatusMessage: aws.String("Stopping Pending. Stopping to deploy " + aws.ToString(d.info.DeploymentId))}, nil
}

func (s *Service) continueDeployment(in *cd.ContinueDeploymentInput, now time.Time) (any, error) {
	d, err := s.find(in.DeploymentId)
	if err != nil {
		return nil, err
	}
	wait := in.DeploymentWaitType
	if wait == "" {
		wait = cdtypes.DeploymentWaitTypeReadyWait
	}
	switch {
	case d.phase == phaseDone:
		return nil, apiErr("DeploymentAlreadyCompletedException", "Deployment %s has already completed.", aws.ToString(d.info.DeploymentId))
	case wait == cdtypes.DeploymentWaitTypeReadyWait && d.phase == phaseReady:
		d.info.Status = cdtypes.DeploymentStatusInProgress
		d.updated = now
		s.startEvent(d, idxBeforeAllowTraffic, now)
	case wait == cdtypes.DeploymentWaitTypeTerminationWait && d.phase == phaseTermination:
		d.due = now
		s.advance(now)
	default:
		return nil, apiErr("DeploymentIsNotInReadyStateException", "The deployment %s is not in a %s state.", aws.ToString(d.info.DeploymentId), wait)
	}
	return &cd.ContinueDeploymentOutput{}, nil
}

// --- deployment targets ---

func (s *Service) targetID(d *deployment) string { return d.cluster + ":" + d.service }

func (s *Service) targetStatus(d *deployment) cdtypes.TargetStatus {
	switch d.info.Status {
	case cdtypes.DeploymentStatusSucceeded:
		return cdtypes.TargetStatusSucceeded
	case cdtypes.DeploymentStatusFailed, cdtypes.DeploymentStatusStopped:
		return cdtypes.TargetStatusFailed
	case cdtypes.DeploymentStatusReady:
		return cdtypes.TargetStatusReady
	case cdtypes.DeploymentStatusInProgress:
		return cdtypes.TargetStatusInProgress
	}
	return cdtypes.TargetStatusPending
}

func (s *Service) listDeploymentTargets(in *cd.ListDeploymentTargetsInput, now time.Time) (any, error) {
	d, err := s.find(in.DeploymentId)
	if err != nil {
		return nil, err
	}
	return &cd.ListDeploymentTargetsOutput{TargetIds: []string{s.targetID(d)}}, nil
}

func (s *Service) getDeploymentTarget(in *cd.GetDeploymentTargetInput, now time.Time) (any, error) {
	d, err := s.find(in.DeploymentId)
	if err != nil {
		return nil, err
	}
	if aws.ToString(in.TargetId) != s.targetID(d) {
		return nil, apiErr("DeploymentTargetDoesNotExistException", "The target %s of deployment %s could not be found.", aws.ToString(in.TargetId), aws.ToString(d.info.DeploymentId))
	}
	t := &cdtypes.ECSTarget{
		DeploymentId: d.info.DeploymentId, TargetId: aws.String(s.targetID(d)), Status: s.targetStatus(d), LastUpdatedAt: aws.Time(d.updated),
		TargetArn:       aws.String(fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", s.region, s.account, d.cluster, d.service)),
		LifecycleEvents: append([]cdtypes.LifecycleEvent{}, d.events...),
	}
	pair := d.group.info.LoadBalancerInfo.TargetGroupPairInfoList[0]
	sets := []struct {
		id     string
		label  cdtypes.TargetLabel
		tg     cdtypes.TargetGroupInfo
		weight float64
	}{{d.original, cdtypes.TargetLabelBlue, pair.TargetGroups[0], 100 - d.traffic}, {d.replace, cdtypes.TargetLabelGreen, pair.TargetGroups[1], d.traffic}}
	for _, ts := range sets {
		if ts.id == "" {
			continue
		}
		desired, running, pending, status, err := s.ecs.TaskSetCounts(now, d.cluster, d.service, ts.id)
		if err != nil {
			continue // deleted
		}
		tg := ts.tg
		t.TaskSetsInfo = append(t.TaskSetsInfo, cdtypes.ECSTaskSet{Identifer: aws.String(ts.id), DesiredCount: desired, RunningCount: running,
			PendingCount: pending, Status: aws.String(status), TaskSetLabel: ts.label, TargetGroup: &tg, TrafficWeight: ts.weight})
	}
	sort.SliceStable(t.TaskSetsInfo, func(i, j int) bool { return t.TaskSetsInfo[i].TaskSetLabel < t.TaskSetsInfo[j].TaskSetLabel })
	return &cd.GetDeploymentTargetOutput{DeploymentTarget: &cdtypes.DeploymentTarget{DeploymentTargetType: cdtypes.DeploymentTargetTypeEcsTarget, EcsTarget: t}}, nil
}
