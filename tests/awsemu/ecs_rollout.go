package awsemu

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// The ECS scheduler, simulated lazily: nothing runs in the background. Every
// ECS request first replays, in order, each lifecycle event due up to the
// clock's now (task transitions, steady-state deadlines), letting the
// scheduler react after each one. The outcome depends only on the clock, not
// on how often clients poll, so ManualClock tests are deterministic.

// advance replays every event due up to now.
func (s *ecsService) advance(now time.Time) {
	// The bound only guards against a bug looping at one instant; real
	// progress is far below it (every lifecycle step takes ≥ 1 ms).
	for i := 0; i < 1_000_000; i++ {
		at, ok := s.nextEvent()
		if !ok || at.After(now) {
			break
		}
		s.stepAt(at)
		if i%512 == 511 {
			s.prune(at) // keep long replays (a stuck deployment over hours) linear
		}
	}
	s.prune(now)
}

func (s *ecsService) nextEvent() (time.Time, bool) {
	var best time.Time
	found := false
	consider := func(t time.Time) {
		if !found || t.Before(best) {
			best, found = t, true
		}
	}
	for _, name := range s.clusterOrder {
		c := s.clusters[name]
		for _, t := range c.tasks {
			if !t.due.IsZero() {
				consider(t.due)
			}
		}
		for _, svc := range c.serviceOrder {
			if svc.status == "ACTIVE" && !svc.steadySince.IsZero() && svc.deployments[0].rollout == ecstypes.DeploymentRolloutStateInProgress {
				consider(svc.steadySince.Add(s.timings.SteadyState))
			}
			for _, sd := range svc.sds {
				if t, ok := sd.nextBlueGreenEvent(); ok {
					consider(t)
				}
			}
		}
	}
	return best, found
}

func (s *ecsService) stepAt(at time.Time) {
	for _, name := range s.clusterOrder {
		c := s.clusters[name]
		for _, t := range c.tasks {
			if !t.due.IsZero() && !t.due.After(at) {
				s.transition(t, at)
			}
		}
	}
	s.reconcileAll(at)
}

func (s *ecsService) reconcileAll(at time.Time) {
	for _, name := range s.clusterOrder {
		for _, svc := range s.clusters[name].serviceOrder {
			s.reconcile(svc, at)
		}
	}
}

// prune forgets tasks stopped longer ago than ECS keeps them.
func (s *ecsService) prune(now time.Time) {
	cutoff := now.Add(-stoppedTaskRetention)
	keep := func(t *ecsTask) bool { return t.stoppedAt == nil || t.stoppedAt.After(cutoff) }
	for _, c := range s.clusters {
		expired := 0
		for _, t := range c.tasks {
			if !keep(t) {
				expired++
			}
		}
		if expired == 0 {
			continue
		}
		kept := c.tasks[:0]
		for _, t := range c.tasks {
			if keep(t) {
				kept = append(kept, t)
			} else {
				delete(c.taskByID, t.id)
				delete(s.tags, t.arn)
			}
		}
		c.tasks = kept
		for _, svc := range c.serviceOrder {
			st := svc.tasks[:0]
			for _, t := range svc.tasks {
				if keep(t) {
					st = append(st, t)
				}
			}
			svc.tasks = st
		}
	}
}

func (svc *ecsSvc) liveTasks(d *ecsDeployment) []*ecsTask {
	var out []*ecsTask
	for _, t := range svc.tasks {
		if (d == nil || t.dep == d) && t.desiredStatus == "RUNNING" {
			out = append(out, t)
		}
	}
	return out
}

func (svc *ecsSvc) hasUnstopped(d *ecsDeployment) bool {
	for _, t := range svc.tasks {
		if t.dep == d && t.lastStatus != "STOPPED" {
			return true
		}
	}
	return false
}

// breakerThreshold is the documented circuit-breaker failure threshold.
func breakerThreshold(desired int32) int32 {
	half := (desired + 1) / 2 // ceil(0.5 × desired)
	if half > 200 {
		half = 200
	}
	if half < 3 {
		half = 3
	}
	return half
}

// reconcile is one pass of the service scheduler at time at.
func (s *ecsService) reconcile(svc *ecsSvc, at time.Time) {
	switch svc.status {
	case "INACTIVE":
		return
	}
	if svc.usesTaskSets() {
		return // task sets run it (ecs_tasksets.go)
	}
	switch svc.status {
	case "DRAINING":
		var stopped []*ecsTask
		for _, t := range svc.liveTasks(nil) {
			if t.lastStatus == "RUNNING" {
				stopped = append(stopped, t)
			}
			s.stopTaskAt(t, at, ecstypes.TaskStopCodeServiceSchedulerInitiated, fmt.Sprintf("Scaling activity initiated by (deployment %s)", svc.deployments[0].id), false)
		}
		s.stoppedEvent(svc, stopped, at)
		for _, t := range svc.tasks {
			if t.lastStatus != "STOPPED" {
				return
			}
		}
		svc.status = "INACTIVE"
		svc.deployments = svc.deployments[:1]
		return
	}
	s.checkBreaker(svc, at)
	s.stepBlueGreen(svc, at)
	// A blue/green deployment keeps blue running and does not complete
	// before CLEAN_UP, and starts green only at SCALE_UP.
	bg := svc.bgActive()
	holdBlue := bg != nil && bg.stage < bgCleanUp
	primary := svc.deployments[0]
	desired := int(svc.desiredCount())
	dc := svc.cfg.DeploymentConfiguration
	minPct, maxPct := int(aws.ToInt32(dc.MinimumHealthyPercent)), int(aws.ToInt32(dc.MaximumPercent))
	maxTotal := desired * maxPct / 100
	if maxTotal < 1 && desired > 0 {
		maxTotal = 1
	}
	minHealthy := (desired*minPct + 99) / 100
	reason := fmt.Sprintf("Scaling activity initiated by (deployment %s)", primary.id)
	var stopped []*ecsTask
	stop := func(t *ecsTask) {
		if t.lastStatus == "RUNNING" {
			stopped = append(stopped, t)
		}
		s.stopTaskAt(t, at, ecstypes.TaskStopCodeServiceSchedulerInitiated, reason, false)
	}

	// Scale in: drop surplus primary tasks, those not yet running first.
	if live := svc.liveTasks(primary); len(live) > desired {
		surplus := len(live) - desired
		for pass := 0; pass < 2 && surplus > 0; pass++ {
			for i := len(live) - 1; i >= 0 && surplus > 0; i-- {
				t := live[i]
				if t.desiredStatus == "RUNNING" && (pass == 1 || t.lastStatus != "RUNNING") {
					stop(t)
					surplus--
				}
			}
		}
	}
	// Old deployments: tasks not yet running go at once; running ones only
	// while minimumHealthyPercent still holds.
	for _, d := range svc.deployments[1:] {
		for _, t := range svc.liveTasks(d) {
			if t.lastStatus != "RUNNING" {
				stop(t)
			}
		}
	}
	if primary.rollout != ecstypes.DeploymentRolloutStateFailed && !holdBlue {
		healthy := 0
		for _, t := range svc.liveTasks(nil) {
			if t.lastStatus == "RUNNING" {
				healthy++
			}
		}
		for i := len(svc.deployments) - 1; i >= 1; i-- {
			for _, t := range svc.liveTasks(svc.deployments[i]) {
				if t.lastStatus == "RUNNING" && healthy-1 >= minHealthy {
					stop(t)
					healthy--
				}
			}
		}
	}
	if len(stopped) > 0 && len(primary.spec.loadBalancers) > 0 {
		s.addEvent(svc, at, "has begun draining connections on %d tasks.", len(stopped))
	}
	s.stoppedEvent(svc, stopped, at)

	// Scale out within maximumPercent. A FAILED primary launches nothing.
	if primary.rollout != ecstypes.DeploymentRolloutStateFailed {
		need := desired - len(svc.liveTasks(primary))
		room := maxTotal - len(svc.liveTasks(nil))
		if bg != nil {
			// Blue/green starts the whole green revision beside blue.
			room = need
			if bg.stage < bgScaleUp {
				need = 0
			}
		}
		if need > 0 && primary.spec.launchType == ecstypes.LaunchTypeEc2 && len(svc.cluster.instances) == 0 {
			if !svc.placementWarned {
				svc.placementWarned = true
				s.addEvent(svc, at, "was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster.")
			}
			need = 0
		}
		if n := min(need, room); n > 0 {
			svc.placementWarned = false
			msg := ""
			for i := 0; i < n; i++ {
				t := s.newTask(svc.cluster, primary.spec.td, primary.spec, at, false)
				t.svc, t.dep = svc, primary
				t.base.StartedBy = aws.String(primary.id)
				t.base.Group = aws.String("service:" + svc.name)
				if svc.cfg.PropagateTags == ecstypes.PropagateTagsService {
					if tags := s.tags[svc.arn]; len(tags) > 0 {
						s.tags[t.arn] = append([]ecstypes.Tag{}, tags...)
					}
				} else if svc.cfg.PropagateTags == ecstypes.PropagateTagsTaskDefinition {
					if tags := s.tags[primary.spec.td.arn()]; len(tags) > 0 {
						s.tags[t.arn] = append([]ecstypes.Tag{}, tags...)
					}
				}
				svc.tasks = append(svc.tasks, t)
				msg += fmt.Sprintf(" (task %s)", t.id)
			}
			primary.updatedAt = at
			s.addEvent(svc, at, "has started %d tasks:%s.", n, msg)
		}
	}

	// Drained deployments leave the list.
	kept := svc.deployments[:1]
	for _, d := range svc.deployments[1:] {
		if svc.hasUnstopped(d) {
			kept = append(kept, d)
		} else {
			d.status = "INACTIVE"
		}
	}
	svc.deployments = kept

	running, _, live := svc.counts(primary)
	steady := len(svc.deployments) == 1 && running == desired && live == desired
	if sd := primary.sd; sd != nil && sd.inProgress() && sd.bg == nil {
		stage := ecstypes.ServiceDeploymentLifecycleStageScaleUp
		if running >= desired {
			stage = ecstypes.ServiceDeploymentLifecycleStageCleanUp
		}
		if sd.stage != stage {
			sd.stage, sd.updatedAt = stage, at
		}
	}
	switch primary.rollout {
	case ecstypes.DeploymentRolloutStateInProgress:
		if !steady || holdBlue {
			svc.steadySince = time.Time{}
			break
		}
		if svc.steadySince.IsZero() {
			svc.steadySince = at
		}
		if !at.Before(svc.steadySince.Add(s.timings.SteadyState)) {
			s.completeDeployment(svc, primary, at)
		}
	case ecstypes.DeploymentRolloutStateCompleted:
		if steady && !svc.steady {
			s.addEvent(svc, at, "has reached a steady state.")
		}
	}
	svc.steady = steady
}

func (s *ecsService) stoppedEvent(svc *ecsSvc, stopped []*ecsTask, at time.Time) {
	if len(stopped) == 0 {
		return
	}
	msg := ""
	for _, t := range stopped {
		msg += fmt.Sprintf(" (task %s)", t.id)
	}
	s.addEvent(svc, at, "has stopped %d running tasks:%s.", len(stopped), msg)
}

func (s *ecsService) completeDeployment(svc *ecsSvc, d *ecsDeployment, at time.Time) {
	d.rollout = ecstypes.DeploymentRolloutStateCompleted
	d.reason = fmt.Sprintf("ECS deployment %s completed.", d.id)
	d.updatedAt = at
	svc.lastCompleted = d
	svc.steadySince = time.Time{}
	s.addEvent(svc, at, "(deployment %s) deployment completed.", d.id)
	s.addEvent(svc, at, "has reached a steady state.")
	if sd := d.sd; sd != nil && sd.inProgress() {
		if sd.bg != nil && len(sd.bg.lbs) > 0 {
			svc.bgSwapped = !svc.bgSwapped // green's target group now takes production
		}
		if sd.status == ecstypes.ServiceDeploymentStatusRollbackInProgress {
			sd.finish(ecstypes.ServiceDeploymentStatusRollbackSuccessful, "", at)
		} else {
			sd.finish(ecstypes.ServiceDeploymentStatusSuccessful, "", at)
		}
	}
}

// checkBreaker trips the deployment circuit breaker of the primary
// deployment once its failed tasks reach the threshold.
func (s *ecsService) checkBreaker(svc *ecsSvc, at time.Time) {
	p := svc.deployments[0]
	if p.rollout != ecstypes.DeploymentRolloutStateInProgress {
		return
	}
	threshold := breakerThreshold(svc.desiredCount())
	if p.failed < threshold {
		return
	}
	cb := svc.cfg.DeploymentConfiguration.DeploymentCircuitBreaker
	if cb == nil || !cb.Enable {
		// Without a breaker ECS keeps launching, and says so once.
		if !p.warned {
			p.warned = true
			s.addEvent(svc, at, "is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.")
		}
		return
	}
	s.failDeployment(svc, p, at, "ECS deployment circuit breaker: tasks failed to start.",
		fmt.Sprintf("(deployment %s) deployment failed: tasks failed to start.", p.id),
		cb.Rollback, "Service deployment rolled back because the circuit breaker threshold was exceeded.")
}

// failDeployment marks primary p FAILED and, when asked and possible, rolls
// the service back to its last COMPLETED deployment within the same service
// deployment.
func (s *ecsService) failDeployment(svc *ecsSvc, p *ecsDeployment, at time.Time, rolloutReason, event string, rollback bool, rollbackReason string) {
	sd := p.sd
	if sd != nil && sd.bg != nil && !sd.bg.rollingBack && rollback {
		s.addEvent(svc, at, "%s", event)
		s.rollbackBlueGreen(svc, sd, at, rollbackReason)
		return
	}
	p.rollout, p.reason, p.updatedAt = ecstypes.DeploymentRolloutStateFailed, rolloutReason, at
	s.addEvent(svc, at, "%s", event)
	if sd != nil && sd.status == ecstypes.ServiceDeploymentStatusRollbackInProgress {
		sd.finish(ecstypes.ServiceDeploymentStatusRollbackFailed, rolloutReason, at)
		return
	}
	target := svc.lastCompleted
	if !rollback || target == nil || target == p {
		if sd != nil && sd.inProgress() {
			sd.finish(ecstypes.ServiceDeploymentStatusStopped, rolloutReason, at)
		}
		return
	}
	rb := s.startDeployment(svc, target.spec, at, sd)
	delete(svc.revisions, rb.revisionArn)
	rb.revisionArn = target.revisionArn
	rb.reason = fmt.Sprintf("ECS deployment circuit breaker: rolling back to deploymentId %s.", target.id)
	s.addEvent(svc, at, "rolling back to deployment %s.", target.id)
	if sd != nil {
		sd.status, sd.statusReason, sd.updatedAt = ecstypes.ServiceDeploymentStatusRollbackInProgress, rollbackReason, at
		sd.rollback = &ecstypes.Rollback{Reason: aws.String(rollbackReason), StartedAt: aws.Time(at), ServiceRevisionArn: aws.String(target.revisionArn)}
		sd.rollbackDep = rb
	}
}
