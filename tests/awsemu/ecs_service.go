package awsemu

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// ecsSvc is one ECS service. Deployments are kept newest (PRIMARY) first.
type ecsSvc struct {
	cluster   *ecsCluster
	name, arn string
	status    string // ACTIVE, DRAINING, INACTIVE
	createdAt time.Time
	desired   int32
	// cfg holds the service's settings as DescribeServices returns them;
	// counts, deployments and events are filled per call.
	cfg         ecstypes.Service
	deployments []*ecsDeployment
	events      []ecstypes.ServiceEvent
	sds         []*ecsSvcDeployment // creation order
	revisions   map[string]*ecstypes.ServiceRevision
	tasks       []*ecsTask
	taskSets    []*ecsTaskSet // CODE_DEPLOY and EXTERNAL services (ecs_tasksets.go)

	lastCompleted *ecsDeployment // what a rollback returns to
	steadySince   time.Time      // when the primary first held its desired count alone
	steady        bool
	// placementWarned: the "unable to place a task" event was given.
	placementWarned bool
	// bgSwapped: the alternate target groups take production traffic (a
	// blue/green deployment succeeded an odd number of times).
	bgSwapped bool
}

// deploySpec is what a deployment runs; changing any of it makes a new one.
type deploySpec struct {
	td                   *ecsTaskDef
	launchType           ecstypes.LaunchType
	capacityProviders    []ecstypes.CapacityProviderStrategyItem
	networkConfiguration *ecstypes.NetworkConfiguration
	platformVersion      *string
	loadBalancers        []ecstypes.LoadBalancer
	serviceRegistries    []ecstypes.ServiceRegistry
	volumeConfigurations []ecstypes.ServiceVolumeConfiguration
	serviceConnect       *ecstypes.ServiceConnectConfiguration
	vpcLattice           []ecstypes.VpcLatticeConfiguration
	execCommand          bool
}

func (a deploySpec) equal(b deploySpec) bool {
	return a.td == b.td && a.launchType == b.launchType && a.execCommand == b.execCommand &&
		wireEqual(a.capacityProviders, b.capacityProviders) &&
		wireEqual(a.networkConfiguration, b.networkConfiguration) &&
		aws.ToString(a.platformVersion) == aws.ToString(b.platformVersion) &&
		wireEqual(a.loadBalancers, b.loadBalancers) &&
		wireEqual(a.serviceRegistries, b.serviceRegistries) &&
		wireEqual(a.volumeConfigurations, b.volumeConfigurations) &&
		wireEqual(a.serviceConnect, b.serviceConnect) &&
		wireEqual(a.vpcLattice, b.vpcLattice)
}

// wireEqual compares values as they would appear on the wire, so that nil and
// empty lists are the same.
func wireEqual(a, b any) bool {
	norm := func(v any) any {
		enc := wireEncode(v, true)
		if s, ok := enc.([]any); ok && len(s) == 0 {
			return nil
		}
		return enc
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

type ecsDeployment struct {
	id          string
	status      string // PRIMARY, ACTIVE, INACTIVE
	spec        deploySpec
	failed      int32
	rollout     ecstypes.DeploymentRolloutState
	reason      string
	createdAt   time.Time
	updatedAt   time.Time
	revisionArn string
	sd          *ecsSvcDeployment
	warned      bool // "unable to consistently start tasks" already said
}

func (s *ecsService) newServiceView(svc *ecsSvc, withTags bool) ecstypes.Service {
	out := svc.cfg
	out.ServiceName, out.ServiceArn, out.ClusterArn = aws.String(svc.name), aws.String(svc.arn), aws.String(svc.cluster.arn)
	out.Status = aws.String(svc.status)
	out.CreatedAt = aws.Time(svc.createdAt)
	out.DesiredCount = svc.desiredCount()
	out.Events = append([]ecstypes.ServiceEvent{}, svc.events...)
	out.Deployments = []ecstypes.Deployment{}
	out.CurrentServiceRevisions = []ecstypes.ServiceCurrentRevisionSummary{}
	for _, d := range svc.deployments {
		dv := s.deploymentView(svc, d)
		out.Deployments = append(out.Deployments, dv)
		out.RunningCount += dv.RunningCount
		out.PendingCount += dv.PendingCount
		out.CurrentServiceRevisions = append(out.CurrentServiceRevisions, ecstypes.ServiceCurrentRevisionSummary{
			Arn: aws.String(d.revisionArn), RequestedTaskCount: dv.DesiredCount, RunningTaskCount: dv.RunningCount, PendingTaskCount: dv.PendingCount,
		})
	}
	if len(svc.deployments) > 0 {
		p := svc.deployments[0]
		out.TaskDefinition = aws.String(p.spec.td.arn())
		out.LaunchType = p.spec.launchType
		out.CapacityProviderStrategy = p.spec.capacityProviders
		out.NetworkConfiguration = p.spec.networkConfiguration
		out.PlatformVersion = p.spec.platformVersion
		out.LoadBalancers = orEmpty(p.spec.loadBalancers)
		out.ServiceRegistries = orEmpty(p.spec.serviceRegistries)
		out.EnableExecuteCommand = p.spec.execCommand
		if p.spec.platformVersion != nil {
			out.PlatformFamily = aws.String("Linux")
		}
	}
	if len(svc.sds) > 0 {
		out.CurrentServiceDeployment = aws.String(svc.sds[len(svc.sds)-1].arn)
	}
	s.taskSetServiceView(svc, &out)
	if withTags {
		out.Tags = s.tagsOf(svc.arn)
	}
	return out
}

func orEmpty[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

func (s *ecsService) deploymentView(svc *ecsSvc, d *ecsDeployment) ecstypes.Deployment {
	running, pending, live := svc.counts(d)
	desired := int32(live)
	if d.status == "PRIMARY" {
		desired = svc.desiredCount()
	}
	out := ecstypes.Deployment{
		Id: aws.String(d.id), Status: aws.String(d.status), TaskDefinition: aws.String(d.spec.td.arn()),
		DesiredCount: desired, RunningCount: int32(running), PendingCount: int32(pending), FailedTasks: d.failed,
		CreatedAt: aws.Time(d.createdAt), UpdatedAt: aws.Time(d.updatedAt),
		LaunchType: d.spec.launchType, CapacityProviderStrategy: d.spec.capacityProviders,
		NetworkConfiguration: d.spec.networkConfiguration, PlatformVersion: d.spec.platformVersion,
		VolumeConfigurations: d.spec.volumeConfigurations, ServiceConnectConfiguration: d.spec.serviceConnect,
		VpcLatticeConfigurations: d.spec.vpcLattice, RolloutState: d.rollout, RolloutStateReason: aws.String(d.reason),
	}
	if d.spec.platformVersion != nil {
		out.PlatformFamily = aws.String("Linux")
	}
	return out
}

// counts returns the RUNNING and PENDING task counts of d and how many of its
// tasks are meant to run.
func (svc *ecsSvc) counts(d *ecsDeployment) (running, pending, live int) {
	for _, t := range svc.tasks {
		if t.dep != d || t.desiredStatus != "RUNNING" {
			continue
		}
		live++
		switch t.lastStatus {
		case "RUNNING":
			running++
		case "PROVISIONING", "PENDING", "ACTIVATING":
			pending++
		}
	}
	return
}

// desiredCount is what the scheduler aims for: the service's desired count,
// or one task per container instance for DAEMON services.
func (svc *ecsSvc) desiredCount() int32 {
	if svc.status != "ACTIVE" {
		return 0
	}
	if svc.cfg.SchedulingStrategy == ecstypes.SchedulingStrategyDaemon {
		return int32(len(svc.cluster.instances))
	}
	return svc.desired
}

func (s *ecsService) addEvent(svc *ecsSvc, at time.Time, format string, args ...any) {
	s.pushEvent(svc, at, fmt.Sprintf("(service %s) ", svc.name)+fmt.Sprintf(format, args...))
}

// pushEvent puts an event first; ECS keeps the newest 100.
func (s *ecsService) pushEvent(svc *ecsSvc, at time.Time, message string) {
	ev := ecstypes.ServiceEvent{Id: aws.String(s.uuid()), CreatedAt: aws.Time(at), Message: aws.String(message)}
	svc.events = append([]ecstypes.ServiceEvent{ev}, svc.events...)
	if len(svc.events) > 100 {
		svc.events = svc.events[:100]
	}
}

// --- CreateService ---

func (s *ecsService) specFor(c *ecsCluster, td *ecsTaskDef, launchType ecstypes.LaunchType, cps []ecstypes.CapacityProviderStrategyItem,
	nc *ecstypes.NetworkConfiguration, platformVersion *string) (deploySpec, error) {
	if launchType != "" && len(cps) > 0 {
		return deploySpec{}, apiErr("InvalidParameterException", "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.")
	}
	if launchType == "" && len(cps) == 0 {
		if len(c.defaultStrategy) > 0 {
			cps = c.defaultStrategy
		} else {
			launchType = ecstypes.LaunchTypeEc2
		}
	}
	fargate := launchType == ecstypes.LaunchTypeFargate
	for _, cp := range cps {
		if p := aws.ToString(cp.CapacityProvider); p == "FARGATE" || p == "FARGATE_SPOT" {
			fargate = true
		}
	}
	if fargate && !hasCompat(td.td.Compatibilities, ecstypes.CompatibilityFargate) {
		return deploySpec{}, apiErr("InvalidParameterException", "Task definition does not support launch_type FARGATE.")
	}
	awsvpc := td.td.NetworkMode == ecstypes.NetworkModeAwsvpc
	if awsvpc && (nc == nil || nc.AwsvpcConfiguration == nil) {
		return deploySpec{}, apiErr("InvalidParameterException", "Network Configuration must be provided when networkMode 'awsvpc' is specified.")
	}
	if !awsvpc && nc != nil && nc.AwsvpcConfiguration != nil {
		return deploySpec{}, apiErr("InvalidParameterException", "Network Configuration is not valid for the given networkMode of this task definition.")
	}
	if nc != nil && nc.AwsvpcConfiguration != nil {
		if len(nc.AwsvpcConfiguration.Subnets) == 0 {
			return deploySpec{}, apiErr("InvalidParameterException", "subnets can not be empty.")
		}
		cp := *nc.AwsvpcConfiguration
		if cp.AssignPublicIp == "" {
			cp.AssignPublicIp = ecstypes.AssignPublicIpDisabled
		}
		if cp.SecurityGroups == nil {
			cp.SecurityGroups = []string{}
		}
		nc = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &cp}
	}
	if fargate && platformVersion == nil {
		platformVersion = aws.String("LATEST")
	}
	return deploySpec{td: td, launchType: launchType, capacityProviders: cps, networkConfiguration: nc, platformVersion: platformVersion}, nil
}

func (s *ecsService) activeTaskDef(ref *string) (*ecsTaskDef, error) {
	if aws.ToString(ref) == "" {
		return nil, apiErr("InvalidParameterException", "TaskDefinition must be specified.")
	}
	td := s.taskDef(aws.ToString(ref))
	if td == nil {
		return nil, apiErr("InvalidParameterException", "TaskDefinition not found.")
	}
	if td.td.Status != ecstypes.TaskDefinitionStatusActive {
		return nil, apiErr("InvalidParameterException", "TaskDefinition is inactive")
	}
	return td, nil
}

func (s *ecsService) createService(in *ecs.CreateServiceInput, now time.Time) (any, error) {
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	token, params := aws.ToString(in.ClientToken), createServiceParams(in)
	prev, err := s.checkToken(c, "CreateService", token, 36, params, now)
	if err != nil {
		return nil, err
	}
	if prev != nil {
		return &ecs.CreateServiceOutput{Service: ptr(s.newServiceView(prev.svc, false))}, nil
	}
	svc, err := s.create(in, now)
	if err != nil {
		return nil, err
	}
	s.keepToken(c, "CreateService", token, &idemCall{params: params, at: now, svc: svc})
	s.reconcile(svc, now)
	return &ecs.CreateServiceOutput{Service: ptr(s.newServiceView(svc, false))}, nil
}

func ptr[T any](v T) *T { return &v }

func (s *ecsService) create(in *ecs.CreateServiceInput, now time.Time) (*ecsSvc, error) {
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	name := aws.ToString(in.ServiceName)
	if name == "" {
		return nil, apiErr("InvalidParameterException", "ServiceName must be provided.")
	}
	if !validName.MatchString(name) {
		return nil, apiErr("InvalidParameterException", "Service name contains invalid characters.")
	}
	if old := c.services[name]; old != nil && old.status != "INACTIVE" {
		return nil, apiErr("InvalidParameterException", "Creation of service was not idempotent.")
	}
	if err := checkController(in.DeploymentController); err != nil {
		return nil, err
	}
	td, err := s.activeTaskDef(in.TaskDefinition)
	if err != nil {
		return nil, err
	}
	spec, err := s.specFor(c, td, in.LaunchType, in.CapacityProviderStrategy, in.NetworkConfiguration, in.PlatformVersion)
	if err != nil {
		return nil, err
	}
	spec.loadBalancers, spec.serviceRegistries = in.LoadBalancers, in.ServiceRegistries
	if err := checkLoadBalancerContainers(td, spec.loadBalancers); err != nil {
		return nil, err
	}
	if err := s.e.serviceRegistries(spec.serviceRegistries, td); err != nil {
		return nil, err
	}
	spec.volumeConfigurations, spec.execCommand = in.VolumeConfigurations, in.EnableExecuteCommand
	spec.vpcLattice = in.VpcLatticeConfigurations
	if spec.serviceConnect, err = s.e.serviceConnectNamespace(in.ServiceConnectConfiguration); err != nil {
		return nil, err
	}
	sched := in.SchedulingStrategy
	if sched == "" {
		sched = ecstypes.SchedulingStrategyReplica
	}
	if sched == ecstypes.SchedulingStrategyDaemon && spec.launchType == ecstypes.LaunchTypeFargate {
		return nil, apiErr("InvalidParameterException", "The DAEMON scheduling strategy is not supported with the FARGATE launch type.")
	}
	desired := aws.ToInt32(in.DesiredCount)
	if desired < 0 {
		return nil, apiErr("InvalidParameterException", "desiredCount must be greater than or equal to 0.")
	}
	if sched == ecstypes.SchedulingStrategyDaemon && in.DesiredCount != nil {
		return nil, apiErr("InvalidParameterException", "The daemon scheduling strategy does not support a desired count for services.")
	}
	dc := defaultDeploymentConfiguration(sched)
	if err := mergeDeploymentConfiguration(&dc, in.DeploymentConfiguration, sched); err != nil {
		return nil, err
	}
	if err := s.validateStrategy(&dc, spec.loadBalancers); err != nil {
		return nil, err
	}
	propagate := in.PropagateTags
	if propagate == "" {
		propagate = ecstypes.PropagateTagsNone
	}
	svc := &ecsSvc{
		cluster: c, name: name, arn: s.arn("service/" + c.name + "/" + name), status: "ACTIVE", createdAt: now, desired: desired,
		revisions: map[string]*ecstypes.ServiceRevision{},
		cfg: ecstypes.Service{
			SchedulingStrategy:            sched,
			DeploymentConfiguration:       &dc,
			DeploymentController:          &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeEcs},
			PlacementConstraints:          orEmpty(in.PlacementConstraints),
			PlacementStrategy:             orEmpty(in.PlacementStrategy),
			HealthCheckGracePeriodSeconds: in.HealthCheckGracePeriodSeconds,
			PropagateTags:                 propagate,
			EnableECSManagedTags:          in.EnableECSManagedTags,
			RoleArn:                       in.Role,
			CreatedBy:                     aws.String(fmt.Sprintf("arn:aws:iam::%s:root", s.e.opts.AccountID)),
			AvailabilityZoneRebalancing:   in.AvailabilityZoneRebalancing,
		},
	}
	if svc.cfg.HealthCheckGracePeriodSeconds == nil && len(in.LoadBalancers) > 0 {
		svc.cfg.HealthCheckGracePeriodSeconds = aws.Int32(0)
	}
	c.services[name] = svc
	c.serviceOrder = append(c.serviceOrder, svc)
	if len(in.Tags) > 0 {
		s.tags[svc.arn] = in.Tags
	}
	s.startDeployment(svc, spec, now, nil)
	if dc := in.DeploymentController; dc != nil && dc.Type == ecstypes.DeploymentControllerTypeCodeDeploy {
		s.startTaskSets(svc, spec, now)
	} else if dc != nil && dc.Type == ecstypes.DeploymentControllerTypeExternal {
		svc.cfg.DeploymentController = &ecstypes.DeploymentController{Type: dc.Type}
	}
	return svc, nil
}

func defaultDeploymentConfiguration(sched ecstypes.SchedulingStrategy) ecstypes.DeploymentConfiguration {
	minPct, maxPct := int32(100), int32(200)
	if sched == ecstypes.SchedulingStrategyDaemon {
		minPct, maxPct = 0, 100
	}
	return ecstypes.DeploymentConfiguration{
		MinimumHealthyPercent:    aws.Int32(minPct),
		MaximumPercent:           aws.Int32(maxPct),
		DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{},
		Strategy:                 ecstypes.DeploymentStrategyRolling,
	}
}

func mergeDeploymentConfiguration(dst *ecstypes.DeploymentConfiguration, in *ecstypes.DeploymentConfiguration, sched ecstypes.SchedulingStrategy) error {
	if in == nil {
		return nil
	}
	if in.MinimumHealthyPercent != nil {
		if v := *in.MinimumHealthyPercent; v < 0 || v > 100 {
			return apiErr("InvalidParameterException", "minimumHealthyPercent must be between 0 and 100.")
		}
		dst.MinimumHealthyPercent = in.MinimumHealthyPercent
	}
	if in.MaximumPercent != nil {
		if sched == ecstypes.SchedulingStrategyDaemon && *in.MaximumPercent != 100 {
			return apiErr("InvalidParameterException", "The maximumPercent for a DAEMON service must be 100.")
		}
		dst.MaximumPercent = in.MaximumPercent
	}
	if sched == ecstypes.SchedulingStrategyReplica && aws.ToInt32(dst.MaximumPercent) < aws.ToInt32(dst.MinimumHealthyPercent) {
		return apiErr("InvalidParameterException", "maximumPercent must be greater than minimumHealthyPercent.")
	}
	if in.DeploymentCircuitBreaker != nil {
		cb := *in.DeploymentCircuitBreaker
		dst.DeploymentCircuitBreaker = &cb
	}
	if in.Alarms != nil {
		dst.Alarms = in.Alarms
	}
	if in.Strategy != "" {
		dst.Strategy = in.Strategy
	}
	if in.BakeTimeInMinutes != nil {
		dst.BakeTimeInMinutes = in.BakeTimeInMinutes
	}
	if in.LinearConfiguration != nil {
		dst.LinearConfiguration = in.LinearConfiguration
	}
	if in.CanaryConfiguration != nil {
		dst.CanaryConfiguration = in.CanaryConfiguration
	}
	if in.LifecycleHooks != nil {
		dst.LifecycleHooks = in.LifecycleHooks
	}
	return nil
}

// --- UpdateService ---

func (s *ecsService) updateService(in *ecs.UpdateServiceInput, now time.Time) (any, error) {
	c, svc, err := s.findService(in.Cluster, in.Service, true)
	if err != nil {
		return nil, err
	}
	if err := checkTaskSetUpdate(svc, in); err != nil {
		return nil, err
	}
	cur := svc.deployments[0].spec
	td := cur.td
	if in.TaskDefinition != nil {
		if td, err = s.activeTaskDef(in.TaskDefinition); err != nil {
			return nil, err
		}
	}
	launchType, cps := cur.launchType, cur.capacityProviders
	if in.CapacityProviderStrategy != nil {
		launchType, cps = "", in.CapacityProviderStrategy
	}
	nc := cur.networkConfiguration
	if in.NetworkConfiguration != nil {
		nc = in.NetworkConfiguration
	}
	pv := cur.platformVersion
	if in.PlatformVersion != nil {
		pv = in.PlatformVersion
	}
	spec, err := s.specFor(c, td, launchType, cps, nc, pv)
	if err != nil {
		return nil, err
	}
	spec.loadBalancers, spec.serviceRegistries = cur.loadBalancers, cur.serviceRegistries
	spec.volumeConfigurations, spec.serviceConnect, spec.execCommand = cur.volumeConfigurations, cur.serviceConnect, cur.execCommand
	spec.vpcLattice = cur.vpcLattice
	if in.VpcLatticeConfigurations != nil {
		spec.vpcLattice = in.VpcLatticeConfigurations
	}
	if in.LoadBalancers != nil {
		spec.loadBalancers = in.LoadBalancers
	}
	if err := checkLoadBalancerContainers(td, spec.loadBalancers); err != nil {
		return nil, err
	}
	if in.ServiceRegistries != nil {
		if err := s.e.serviceRegistries(in.ServiceRegistries, td); err != nil {
			return nil, err
		}
		spec.serviceRegistries = in.ServiceRegistries
	}
	if in.VolumeConfigurations != nil {
		spec.volumeConfigurations = in.VolumeConfigurations
	}
	if in.ServiceConnectConfiguration != nil {
		if spec.serviceConnect, err = s.e.serviceConnectNamespace(in.ServiceConnectConfiguration); err != nil {
			return nil, err
		}
	}
	if in.EnableExecuteCommand != nil {
		spec.execCommand = *in.EnableExecuteCommand
	}
	if in.DesiredCount != nil {
		if *in.DesiredCount < 0 {
			return nil, apiErr("InvalidParameterException", "desiredCount must be greater than or equal to 0.")
		}
		if svc.cfg.SchedulingStrategy == ecstypes.SchedulingStrategyDaemon {
			return nil, apiErr("InvalidParameterException", "The daemon scheduling strategy does not support a desired count for services.")
		}
	}
	dc := *svc.cfg.DeploymentConfiguration
	if err := mergeDeploymentConfiguration(&dc, in.DeploymentConfiguration, svc.cfg.SchedulingStrategy); err != nil {
		return nil, err
	}
	if err := s.validateStrategy(&dc, spec.loadBalancers); err != nil {
		return nil, err
	}
	// Validation passed: apply.
	svc.cfg.DeploymentConfiguration = &dc
	if in.DesiredCount != nil {
		svc.desired = *in.DesiredCount
	}
	if in.PlacementConstraints != nil {
		svc.cfg.PlacementConstraints = in.PlacementConstraints
	}
	if in.PlacementStrategy != nil {
		svc.cfg.PlacementStrategy = in.PlacementStrategy
	}
	if in.HealthCheckGracePeriodSeconds != nil {
		svc.cfg.HealthCheckGracePeriodSeconds = in.HealthCheckGracePeriodSeconds
	}
	if in.PropagateTags != "" {
		svc.cfg.PropagateTags = in.PropagateTags
	}
	if in.EnableECSManagedTags != nil {
		svc.cfg.EnableECSManagedTags = *in.EnableECSManagedTags
	}
	if in.AvailabilityZoneRebalancing != "" {
		svc.cfg.AvailabilityZoneRebalancing = in.AvailabilityZoneRebalancing
	}
	if in.ForceNewDeployment || !spec.equal(cur) {
		s.startDeployment(svc, spec, now, nil)
	} else if p := svc.deployments[0]; in.DesiredCount != nil {
		p.updatedAt = now
		svc.steady = false
	}
	s.reconcile(svc, now)
	return &ecs.UpdateServiceOutput{Service: ptr(s.newServiceView(svc, false))}, nil
}

// startDeployment makes spec the PRIMARY deployment. rollbackOf is the
// service deployment being rolled back, or nil for a new service deployment.
func (s *ecsService) startDeployment(svc *ecsSvc, spec deploySpec, now time.Time, rollbackOf *ecsSvcDeployment) *ecsDeployment {
	d := &ecsDeployment{id: s.deploymentID(), status: "PRIMARY", spec: spec, rollout: ecstypes.DeploymentRolloutStateInProgress,
		createdAt: now, updatedAt: now}
	d.reason = fmt.Sprintf("ECS deployment %s in progress.", d.id)
	d.revisionArn = s.newRevision(svc, d, now)
	var sources []string
	for _, old := range svc.deployments {
		old.status = "ACTIVE"
		old.updatedAt = now
		sources = append(sources, old.revisionArn)
	}
	svc.deployments = append([]*ecsDeployment{d}, svc.deployments...)
	svc.steadySince, svc.steady = time.Time{}, false
	if rollbackOf != nil {
		d.sd = rollbackOf
		return d
	}
	for _, sd := range svc.sds {
		if sd.inProgress() {
			sd.finish(ecstypes.ServiceDeploymentStatusStopped, "Service deployment was superseded by a new deployment.", now)
		}
	}
	d.sd = s.newServiceDeployment(svc, d, sources, now)
	s.startBlueGreen(svc, d.sd, now)
	return d
}

func (s *ecsService) newRevision(svc *ecsSvc, d *ecsDeployment, now time.Time) string {
	arn := s.arn(fmt.Sprintf("service-revision/%s/%s/%019d", svc.cluster.name, svc.name, s.rng.Int63n(9e18)+1e17))
	rev := &ecstypes.ServiceRevision{
		ServiceRevisionArn: aws.String(arn), ServiceArn: aws.String(svc.arn), ClusterArn: aws.String(svc.cluster.arn),
		TaskDefinition: aws.String(d.spec.td.arn()), CapacityProviderStrategy: d.spec.capacityProviders,
		LaunchType: d.spec.launchType, PlatformVersion: d.spec.platformVersion, LoadBalancers: d.spec.loadBalancers,
		ServiceRegistries: d.spec.serviceRegistries, NetworkConfiguration: d.spec.networkConfiguration,
		VolumeConfigurations: d.spec.volumeConfigurations, ServiceConnectConfiguration: d.spec.serviceConnect,
		CreatedAt: aws.Time(now), ContainerImages: []ecstypes.ContainerImage{},
	}
	if d.spec.platformVersion != nil {
		rev.PlatformFamily = aws.String("Linux")
	}
	for _, cd := range d.spec.td.td.ContainerDefinitions {
		rev.ContainerImages = append(rev.ContainerImages, ecstypes.ContainerImage{ContainerName: cd.Name, Image: cd.Image})
	}
	svc.revisions[arn] = rev
	return arn
}

// --- DeleteService ---

func (s *ecsService) deleteService(in *ecs.DeleteServiceInput, now time.Time) (any, error) {
	_, svc, err := s.findService(in.Cluster, in.Service, true)
	if err != nil {
		return nil, err
	}
	if svc.cfg.SchedulingStrategy == ecstypes.SchedulingStrategyReplica && svc.desired > 0 && !aws.ToBool(in.Force) {
		return nil, apiErr("InvalidParameterException", "The service cannot be stopped while it is scaled above 0.")
	}
	svc.desired = 0
	svc.status = "DRAINING"
	for _, sd := range svc.sds {
		if sd.inProgress() {
			sd.finish(ecstypes.ServiceDeploymentStatusStopped, "Service was deleted.", now)
		}
	}
	s.reconcile(svc, now)
	return &ecs.DeleteServiceOutput{Service: ptr(s.newServiceView(svc, false))}, nil
}

// --- DescribeServices / ListServices ---

func (s *ecsService) describeServices(in *ecs.DescribeServicesInput, now time.Time) (any, error) {
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if len(in.Services) == 0 {
		return nil, apiErr("InvalidParameterException", "Services cannot be empty.")
	}
	if len(in.Services) > 10 {
		return nil, apiErr("InvalidParameterException", "Too many services provided in the request; the maximum is 10.")
	}
	withTags := hasInclude(in.Include, string(ecstypes.ServiceFieldTags))
	out := &ecs.DescribeServicesOutput{Services: []ecstypes.Service{}, Failures: []ecstypes.Failure{}}
	for _, ref := range in.Services {
		svc := c.service(ref)
		if svc == nil {
			arn := ref
			if !strings.HasPrefix(ref, "arn:") {
				arn = s.arn("service/" + c.name + "/" + ref)
			}
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(arn), Reason: aws.String("MISSING")})
			continue
		}
		out.Services = append(out.Services, s.newServiceView(svc, withTags))
	}
	return out, nil
}

func (s *ecsService) listServices(in *ecs.ListServicesInput, now time.Time) (any, error) {
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	var arns []string
	for _, svc := range c.serviceOrder {
		if svc.status == "INACTIVE" || c.services[svc.name] != svc {
			continue
		}
		if in.SchedulingStrategy != "" && svc.cfg.SchedulingStrategy != in.SchedulingStrategy {
			continue
		}
		if in.LaunchType != "" && svc.deployments[0].spec.launchType != in.LaunchType {
			continue
		}
		arns = append(arns, svc.arn)
	}
	start, end, next, err := page(len(arns), in.MaxResults, in.NextToken, 10, 100)
	if err != nil {
		return nil, err
	}
	return &ecs.ListServicesOutput{ServiceArns: append([]string{}, arns[start:end]...), NextToken: next}, nil
}

// registryInUse: an ECS service that is not INACTIVE registers its tasks
// in the Cloud Map service arn.
func (s *ecsService) registryInUse(arn string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clusters {
		for _, svc := range c.services {
			if svc.status == "INACTIVE" || len(svc.deployments) == 0 {
				continue
			}
			for _, d := range svc.deployments {
				for _, r := range d.spec.serviceRegistries {
					if aws.ToString(r.RegistryArn) == arn {
						return true
					}
				}
			}
		}
	}
	return false
}

// checkLoadBalancerContainers is ECS's check that each load balancer names a
// container of the task definition and one of its container ports.
func checkLoadBalancerContainers(td *ecsTaskDef, lbs []ecstypes.LoadBalancer) error {
	for _, lb := range lbs {
		name := aws.ToString(lb.ContainerName)
		c := td.container(name)
		if c == nil {
			return apiErr("InvalidParameterException", "The container %s does not exist in the task definition.", name)
		}
		port := aws.ToInt32(lb.ContainerPort)
		found := false
		for _, pm := range c.PortMappings {
			if aws.ToInt32(pm.ContainerPort) == port {
				found = true
			}
		}
		if !found {
			return apiErr("InvalidParameterException", "The container %s did not have a container port %d defined.", name, port)
		}
	}
	return nil
}
