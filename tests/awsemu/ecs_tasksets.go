package awsemu

import (
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/tests/awsemu/codedeploy"
)

// ECS task sets: how services under the CODE_DEPLOY and EXTERNAL deployment
// controllers run. The service scheduler does not reconcile such services;
// their task sets hold their counts instead of tasks: a task set runs its
// computed desired count (⌈desiredCount × scale⌉) from Provision + Pending
// after its last change, and is STEADY_STATE from then on.

type ecsTaskSet struct {
	id, arn    string
	status     string // PRIMARY, ACTIVE, DRAINING
	spec       deploySpec
	scale      float64 // percent
	externalID *string
	startedBy  *string
	createdAt  time.Time
	updatedAt  time.Time
	computed   int32     // computed desired count at the last change
	readyAt    time.Time // when running reaches computed
	traffic    float64   // percent of production traffic (CodeDeploy)
}

// usesTaskSets tells whether svc is deployed by task sets.
func (svc *ecsSvc) usesTaskSets() bool {
	t := svc.cfg.DeploymentController
	return t != nil && (t.Type == ecstypes.DeploymentControllerTypeCodeDeploy || t.Type == ecstypes.DeploymentControllerTypeExternal)
}

func (s *ecsService) registerTaskSetOps() {
	s.e.core.AddJSONOps("AmazonEC2ContainerServiceV20141113", map[string]jsonOp{
		"CreateTaskSet":               ecsOp(s, s.createTaskSet),
		"DescribeTaskSets":            ecsOp(s, s.describeTaskSets),
		"UpdateTaskSet":               ecsOp(s, s.updateTaskSet),
		"UpdateServicePrimaryTaskSet": ecsOp(s, s.updateServicePrimaryTaskSet),
		"DeleteTaskSet":               ecsOp(s, s.deleteTaskSet),
	})
}

// checkController validates a CreateService deploymentController.
func checkController(dc *ecstypes.DeploymentController) error {
	if dc == nil {
		return nil
	}
	switch dc.Type {
	case "", ecstypes.DeploymentControllerTypeEcs, ecstypes.DeploymentControllerTypeCodeDeploy, ecstypes.DeploymentControllerTypeExternal:
		return nil
	}
	return apiErr("InvalidParameterException", "Invalid deployment controller type %s.", dc.Type)
}

// startTaskSets gives a new CODE_DEPLOY service its first, PRIMARY task
// set, as ECS does when such a service is created.
func (s *ecsService) startTaskSets(svc *ecsSvc, spec deploySpec, now time.Time) {
	svc.cfg.DeploymentController = &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeCodeDeploy}
	ts := s.newTaskSet(svc, spec, 100, now)
	ts.status = "PRIMARY"
	ts.traffic = 100
}

func (s *ecsService) newTaskSet(svc *ecsSvc, spec deploySpec, scale float64, now time.Time) *ecsTaskSet {
	id := s.deploymentID()
	ts := &ecsTaskSet{id: id, status: "ACTIVE", spec: spec, scale: scale, createdAt: now,
		arn: s.arn(fmt.Sprintf("task-set/%s/%s/%s", svc.cluster.name, svc.name, id[len("ecs-svc/"):]))}
	s.touchTaskSet(svc, ts, now)
	svc.taskSets = append(svc.taskSets, ts)
	return ts
}

func (s *ecsService) computedCount(svc *ecsSvc, ts *ecsTaskSet) int32 {
	return int32(math.Ceil(float64(svc.desiredCount()) * ts.scale / 100))
}

// touchTaskSet restarts the task set's stabilisation after a change.
func (s *ecsService) touchTaskSet(svc *ecsSvc, ts *ecsTaskSet, now time.Time) {
	ts.updatedAt = now
	ts.computed = s.computedCount(svc, ts)
	ts.readyAt = now.Add(s.minDur(s.timings.Provision) + s.minDur(s.timings.Pending))
}

// counts of ts at now; a desired count changed since the last touch counts
// as a change made now.
func (s *ecsService) taskSetCounts(svc *ecsSvc, ts *ecsTaskSet, now time.Time) (desired, running, pending int32, steady bool) {
	if c := s.computedCount(svc, ts); c != ts.computed {
		s.touchTaskSet(svc, ts, now)
	}
	if ts.status == "DRAINING" {
		return 0, 0, 0, false
	}
	if now.Before(ts.readyAt) {
		return ts.computed, 0, ts.computed, false
	}
	return ts.computed, ts.computed, 0, true
}

func (s *ecsService) taskSetView(svc *ecsSvc, ts *ecsTaskSet, now time.Time) ecstypes.TaskSet {
	desired, running, pending, steady := s.taskSetCounts(svc, ts, now)
	stability := ecstypes.StabilityStatusStabilizing
	if steady {
		stability = ecstypes.StabilityStatusSteadyState
	}
	out := ecstypes.TaskSet{
		Id: aws.String(ts.id), TaskSetArn: aws.String(ts.arn), ServiceArn: aws.String(svc.arn), ClusterArn: aws.String(svc.cluster.arn),
		Status: aws.String(ts.status), TaskDefinition: aws.String(ts.spec.td.arn()), ComputedDesiredCount: desired,
		RunningCount: running, PendingCount: pending, CreatedAt: aws.Time(ts.createdAt), UpdatedAt: aws.Time(ts.updatedAt),
		LaunchType: ts.spec.launchType, CapacityProviderStrategy: ts.spec.capacityProviders, PlatformVersion: ts.spec.platformVersion,
		NetworkConfiguration: ts.spec.networkConfiguration, LoadBalancers: orEmpty(ts.spec.loadBalancers),
		ServiceRegistries: orEmpty(ts.spec.serviceRegistries), Scale: &ecstypes.Scale{Value: ts.scale, Unit: ecstypes.ScaleUnitPercent},
		StabilityStatus: stability, StabilityStatusAt: aws.Time(ts.updatedAt), ExternalId: ts.externalID, StartedBy: ts.startedBy,
	}
	if steady {
		out.StabilityStatusAt = aws.Time(ts.readyAt)
	}
	if ts.spec.platformVersion != nil {
		out.PlatformFamily = aws.String("Linux")
	}
	return out
}

// taskSetServiceView fills DescribeServices fields of a task-set service:
// taskSets, one deployment per task set, counts and the primary's settings.
func (s *ecsService) taskSetServiceView(svc *ecsSvc, out *ecstypes.Service) {
	if !svc.usesTaskSets() {
		return
	}
	now := s.e.now()
	out.TaskSets = []ecstypes.TaskSet{}
	out.Deployments = []ecstypes.Deployment{}
	out.RunningCount, out.PendingCount = 0, 0
	out.TaskDefinition = nil
	for _, ts := range svc.taskSets {
		v := s.taskSetView(svc, ts, now)
		out.TaskSets = append(out.TaskSets, v)
		out.RunningCount += v.RunningCount
		out.PendingCount += v.PendingCount
		rollout := ecstypes.DeploymentRolloutStateInProgress
		if v.StabilityStatus == ecstypes.StabilityStatusSteadyState {
			rollout = ecstypes.DeploymentRolloutStateCompleted
		}
		out.Deployments = append(out.Deployments, ecstypes.Deployment{
			Id: v.Id, Status: v.Status, TaskDefinition: v.TaskDefinition, DesiredCount: v.ComputedDesiredCount,
			RunningCount: v.RunningCount, PendingCount: v.PendingCount, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
			LaunchType: v.LaunchType, CapacityProviderStrategy: v.CapacityProviderStrategy, PlatformVersion: v.PlatformVersion,
			NetworkConfiguration: v.NetworkConfiguration, RolloutState: rollout,
		})
		if ts.status == "PRIMARY" {
			out.TaskDefinition, out.LaunchType, out.PlatformVersion = v.TaskDefinition, v.LaunchType, v.PlatformVersion
			out.CapacityProviderStrategy, out.NetworkConfiguration = v.CapacityProviderStrategy, v.NetworkConfiguration
			out.LoadBalancers = v.LoadBalancers
		}
	}
	out.CurrentServiceRevisions, out.CurrentServiceDeployment = nil, nil
}

// checkTaskSetUpdate refuses what UpdateService cannot change on a service
// deployed by task sets, with the messages ECS gives.
func checkTaskSetUpdate(svc *ecsSvc, in *ecs.UpdateServiceInput) error {
	if !svc.usesTaskSets() {
		return nil
	}
	kind := "CODE_DEPLOY"
	if svc.cfg.DeploymentController.Type == ecstypes.DeploymentControllerTypeExternal {
		kind = "EXTERNAL"
	}
	refuse := func(what string) error {
		if kind == "CODE_DEPLOY" {
			return apiErr("InvalidParameterException", "Unable to update %s on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.", what)
		}
		return apiErr("InvalidParameterException", "Unable to update %s on services with an EXTERNAL deployment controller. Use task sets instead.", what)
	}
	switch {
	case in.TaskDefinition != nil:
		return refuse("task definition")
	case in.NetworkConfiguration != nil:
		return refuse("network configuration")
	case in.PlatformVersion != nil:
		return refuse("platform version")
	case in.LoadBalancers != nil:
		return refuse("load balancers")
	case in.CapacityProviderStrategy != nil:
		return refuse("capacity provider strategy")
	case in.ServiceRegistries != nil:
		return refuse("service registries")
	case in.ServiceConnectConfiguration != nil:
		return refuse("service connect configuration")
	case in.VolumeConfigurations != nil:
		return refuse("volume configurations")
	case in.ForceNewDeployment:
		if kind == "CODE_DEPLOY" {
			return apiErr("InvalidParameterException", "Unable to force a new deployment on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.")
		}
		return apiErr("InvalidParameterException", "Unable to force a new deployment on services with an EXTERNAL deployment controller. Use task sets instead.")
	case in.DeploymentConfiguration != nil && in.DeploymentConfiguration.Strategy != "":
		return refuse("deployment strategy")
	}
	return nil
}

// --- the ECS task set API (EXTERNAL services; DescribeTaskSets for both) ---

func (s *ecsService) taskSetService(clusterRef, serviceRef *string, external bool) (*ecsSvc, error) {
	_, svc, err := s.findService(clusterRef, serviceRef, true)
	if err != nil {
		return nil, err
	}
	if !svc.usesTaskSets() {
		return nil, apiErr("InvalidParameterException", "Amazon ECS only supports task set management on services configured to use external deployment controllers.")
	}
	if external && svc.cfg.DeploymentController.Type != ecstypes.DeploymentControllerTypeExternal {
		return nil, apiErr("InvalidParameterException", "Amazon ECS only supports task set management on services configured to use external deployment controllers.")
	}
	return svc, nil
}

func (svc *ecsSvc) taskSet(ref string) *ecsTaskSet {
	for _, ts := range svc.taskSets {
		if ts.id == ref || ts.arn == ref {
			return ts
		}
	}
	return nil
}

// externalTaskSet finds a task set of an EXTERNAL service.
func (s *ecsService) externalTaskSet(clusterRef, serviceRef, ref *string) (*ecsSvc, *ecsTaskSet, error) {
	svc, err := s.taskSetService(clusterRef, serviceRef, true)
	if err != nil {
		return nil, nil, err
	}
	ts, err := svc.findTaskSet(aws.ToString(ref))
	return svc, ts, err
}

func (svc *ecsSvc) findTaskSet(ref string) (*ecsTaskSet, error) {
	if ts := svc.taskSet(ref); ts != nil {
		return ts, nil
	}
	return nil, taskSetNotFound(ref)
}

func taskSetNotFound(ref string) error {
	return apiErr("TaskSetNotFoundException", "The specified task set %s does not exist.", ref)
}

func (s *ecsService) createTaskSet(in *ecs.CreateTaskSetInput, now time.Time) (any, error) {
	svc, err := s.taskSetService(in.Cluster, in.Service, true)
	if err != nil {
		return nil, err
	}
	ts, err := s.addTaskSet(svc, in, now)
	if err != nil {
		return nil, err
	}
	return &ecs.CreateTaskSetOutput{TaskSet: ptr(s.taskSetView(svc, ts, now))}, nil
}

func (s *ecsService) addTaskSet(svc *ecsSvc, in *ecs.CreateTaskSetInput, now time.Time) (*ecsTaskSet, error) {
	td, err := s.activeTaskDef(in.TaskDefinition)
	if err != nil {
		return nil, err
	}
	spec, err := s.specFor(svc.cluster, td, in.LaunchType, in.CapacityProviderStrategy, in.NetworkConfiguration, in.PlatformVersion)
	if err != nil {
		return nil, err
	}
	spec.loadBalancers, spec.serviceRegistries = in.LoadBalancers, in.ServiceRegistries
	if err := s.e.serviceRegistries(spec.serviceRegistries, td); err != nil {
		return nil, err
	}
	scale := 100.0
	if in.Scale != nil {
		if in.Scale.Value < 0 || in.Scale.Value > 100 {
			return nil, apiErr("InvalidParameterException", "Scale value must be between 0 and 100.")
		}
		scale = in.Scale.Value
	}
	ts := s.newTaskSet(svc, spec, scale, now)
	ts.externalID = in.ExternalId
	if len(svc.taskSets) == 1 {
		ts.status = "PRIMARY"
	}
	return ts, nil
}

func (s *ecsService) describeTaskSets(in *ecs.DescribeTaskSetsInput, now time.Time) (any, error) {
	svc, err := s.taskSetService(in.Cluster, in.Service, false)
	if err != nil {
		return nil, err
	}
	out := &ecs.DescribeTaskSetsOutput{TaskSets: []ecstypes.TaskSet{}, Failures: []ecstypes.Failure{}}
	if len(in.TaskSets) == 0 {
		for _, ts := range svc.taskSets {
			out.TaskSets = append(out.TaskSets, s.taskSetView(svc, ts, now))
		}
		return out, nil
	}
	for _, ref := range in.TaskSets {
		if ts := svc.taskSet(ref); ts != nil {
			out.TaskSets = append(out.TaskSets, s.taskSetView(svc, ts, now))
		} else {
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(ref), Reason: aws.String("MISSING")})
		}
	}
	return out, nil
}

func (s *ecsService) updateTaskSet(in *ecs.UpdateTaskSetInput, now time.Time) (any, error) {
	svc, ts, err := s.externalTaskSet(in.Cluster, in.Service, in.TaskSet)
	if err != nil {
		return nil, err
	}
	if in.Scale == nil || in.Scale.Value < 0 || in.Scale.Value > 100 {
		return nil, apiErr("InvalidParameterException", "Scale value must be between 0 and 100.")
	}
	ts.scale = in.Scale.Value
	s.touchTaskSet(svc, ts, now)
	return &ecs.UpdateTaskSetOutput{TaskSet: ptr(s.taskSetView(svc, ts, now))}, nil
}

func (s *ecsService) updateServicePrimaryTaskSet(in *ecs.UpdateServicePrimaryTaskSetInput, now time.Time) (any, error) {
	svc, err := s.taskSetService(in.Cluster, in.Service, true)
	if err != nil {
		return nil, err
	}
	ts, err := s.makePrimary(svc, aws.ToString(in.PrimaryTaskSet), now)
	if err != nil {
		return nil, err
	}
	return &ecs.UpdateServicePrimaryTaskSetOutput{TaskSet: ptr(s.taskSetView(svc, ts, now))}, nil
}

func (s *ecsService) makePrimary(svc *ecsSvc, ref string, now time.Time) (*ecsTaskSet, error) {
	ts, err := svc.findTaskSet(ref)
	if err != nil {
		return nil, err
	}
	for _, o := range svc.taskSets {
		if o.status == "PRIMARY" && o != ts {
			o.status, o.updatedAt = "ACTIVE", now
		}
	}
	ts.status, ts.updatedAt = "PRIMARY", now
	s.addEvent(svc, now, "updated primary task set to %s.", ts.id)
	return ts, nil
}

func (s *ecsService) deleteTaskSet(in *ecs.DeleteTaskSetInput, now time.Time) (any, error) {
	svc, ts, err := s.externalTaskSet(in.Cluster, in.Service, in.TaskSet)
	if err != nil {
		return nil, err
	}
	if ts.status == "PRIMARY" && !aws.ToBool(in.Force) {
		return nil, apiErr("InvalidParameterException", "Cannot delete the primary task set of a service unless force is set.")
	}
	view := s.taskSetView(svc, ts, now)
	s.removeTaskSet(svc, ts)
	view.Status = aws.String("DRAINING")
	return &ecs.DeleteTaskSetOutput{TaskSet: &view}, nil
}

func (s *ecsService) removeTaskSet(svc *ecsSvc, ts *ecsTaskSet) {
	kept := svc.taskSets[:0]
	for _, o := range svc.taskSets {
		if o != ts {
			kept = append(kept, o)
		}
	}
	svc.taskSets = kept
}

// --- what CodeDeploy does to ECS (codedeploy.ECS) ---

// codeDeployECS lets the emulated CodeDeploy act on CODE_DEPLOY services.
type codeDeployECS struct{ s *ecsService }

var _ codedeploy.ECS = codeDeployECS{}

// with runs fn on the named CODE_DEPLOY service under the ECS lock, the
// simulation advanced to now.
func (c codeDeployECS) with(at time.Time, cluster, service string, fn func(svc *ecsSvc, at time.Time) error) error {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.e.now()
	s.advance(now)
	if at.IsZero() || at.After(now) {
		at = now
	}
	_, svc, err := s.findService(aws.String(cluster), aws.String(service), true)
	if err != nil {
		return err
	}
	if svc.cfg.DeploymentController == nil || svc.cfg.DeploymentController.Type != ecstypes.DeploymentControllerTypeCodeDeploy {
		return fmt.Errorf("the ECS service %s in cluster %s does not use the CODE_DEPLOY deployment controller", service, cluster)
	}
	return fn(svc, at)
}

func (c codeDeployECS) CheckService(cluster, service string) error {
	return c.with(time.Time{}, cluster, service, func(*ecsSvc, time.Time) error { return nil })
}

func (c codeDeployECS) PrimaryTaskSet(cluster, service string) (id, td string, err error) {
	err = c.with(time.Time{}, cluster, service, func(svc *ecsSvc, now time.Time) error {
		for _, ts := range svc.taskSets {
			if ts.status == "PRIMARY" {
				id, td = ts.id, ts.spec.td.arn()
				return nil
			}
		}
		return fmt.Errorf("the ECS service %s has no primary task set", service)
	})
	return
}

func (c codeDeployECS) CreateReplacementTaskSet(at time.Time, cluster, service string, spec codedeploy.TaskSetSpec) (id string, err error) {
	err = c.with(at, cluster, service, func(svc *ecsSvc, at time.Time) error {
		var primary *ecsTaskSet
		for _, ts := range svc.taskSets {
			if ts.status == "PRIMARY" {
				primary = ts
			}
		}
		in := &ecs.CreateTaskSetInput{TaskDefinition: aws.String(spec.TaskDefinition), PlatformVersion: spec.PlatformVersion,
			NetworkConfiguration: spec.NetworkConfiguration, CapacityProviderStrategy: spec.CapacityProviderStrategy,
			LoadBalancers: []ecstypes.LoadBalancer{{ContainerName: aws.String(spec.ContainerName), ContainerPort: aws.Int32(spec.ContainerPort), TargetGroupArn: aws.String(spec.TargetGroupARN)}}}
		if primary != nil {
			// What the AppSpec leaves out stays as the original task set has it.
			if in.NetworkConfiguration == nil {
				in.NetworkConfiguration = primary.spec.networkConfiguration
			}
			if in.CapacityProviderStrategy == nil {
				in.CapacityProviderStrategy, in.LaunchType = primary.spec.capacityProviders, primary.spec.launchType
			}
			if in.PlatformVersion == nil {
				in.PlatformVersion = primary.spec.platformVersion
			}
			in.ServiceRegistries = primary.spec.serviceRegistries
		}
		ts, err := c.s.addTaskSet(svc, in, at)
		if err != nil {
			return err
		}
		ts.startedBy = aws.String("CodeDeploy")
		id = ts.id
		return nil
	})
	return
}

func (c codeDeployECS) ShiftTraffic(at time.Time, cluster, service, id string, percent float64) error {
	return c.with(at, cluster, service, func(svc *ecsSvc, at time.Time) error {
		ts, err := svc.findTaskSet(id)
		if err != nil {
			return err
		}
		ts.traffic = percent
		for _, o := range svc.taskSets {
			if o != ts {
				o.traffic = 100 - percent
			}
		}
		return nil
	})
}

func (c codeDeployECS) MakePrimary(at time.Time, cluster, service, id string) error {
	return c.with(at, cluster, service, func(svc *ecsSvc, at time.Time) error {
		_, err := c.s.makePrimary(svc, id, at)
		return err
	})
}

func (c codeDeployECS) DeleteTaskSet(at time.Time, cluster, service, id string) error {
	return c.with(at, cluster, service, func(svc *ecsSvc, at time.Time) error {
		ts, err := svc.findTaskSet(id)
		if err != nil {
			return err
		}
		c.s.removeTaskSet(svc, ts)
		return nil
	})
}

func (c codeDeployECS) TaskSetCounts(at time.Time, cluster, service, id string) (desired, running, pending int64, status string, err error) {
	err = c.with(at, cluster, service, func(svc *ecsSvc, at time.Time) error {
		ts, err := svc.findTaskSet(id)
		if err != nil {
			return err
		}
		d, r, p, _ := c.s.taskSetCounts(svc, ts, at)
		desired, running, pending, status = int64(d), int64(r), int64(p), ts.status
		return nil
	})
	return
}

// TaskSetTraffic is the share of production traffic (percent) CodeDeploy
// gave each task set of a service, by task set id: what the ELB listener's
// weights would say.
func (e *Emulator) TaskSetTraffic(cluster, service string) map[string]float64 {
	s := e.services.ecs
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]float64{}
	if c := s.clusters[cluster]; c != nil {
		if svc := c.service(service); svc != nil {
			for _, ts := range svc.taskSets {
				out[ts.id] = ts.traffic
			}
		}
	}
	return out
}

// CodeDeploy is the emulated CodeDeploy, for SetTimings and SetHookResult.
func (e *Emulator) CodeDeploy() *codedeploy.Service { return e.services.cd }
