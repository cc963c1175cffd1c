// Package codedeploy emulates AWS CodeDeploy for Amazon ECS blue/green
// deployments (compute platform ECS) over the emulator's core: applications,
// deployment groups, deployments with their lifecycle events on the
// emulator's clock, StopDeployment with rollback and ContinueDeployment.
//
// CodeDeploy acts on ECS only through the ECS interface, which the package
// awsemu implements with ECS task sets.
package codedeploy

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cd "github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/tests/awsemu/core"
)

// ECS is what CodeDeploy does to an ECS service under the CODE_DEPLOY
// deployment controller during a blue/green deployment. at is when the step
// happens on the emulator's clock: CodeDeploy replays its steps lazily, so it
// can be earlier than now, never later.
type ECS interface {
	// CheckService tells whether cluster/service exists, is ACTIVE and uses
	// the CODE_DEPLOY deployment controller; the error says why not.
	CheckService(cluster, service string) error
	// PrimaryTaskSet is the service's PRIMARY task set: its id and task
	// definition ARN.
	PrimaryTaskSet(cluster, service string) (id, taskDefinition string, err error)
	// CreateReplacementTaskSet starts a task set of spec at 100% scale that
	// receives no production traffic yet; it returns its id.
	CreateReplacementTaskSet(at time.Time, cluster, service string, spec TaskSetSpec) (string, error)
	// ShiftTraffic gives percent (0-100) of production traffic to task set
	// id, the rest to the service's other task set.
	ShiftTraffic(at time.Time, cluster, service, id string, percent float64) error
	// MakePrimary makes task set id the service's PRIMARY.
	MakePrimary(at time.Time, cluster, service, id string) error
	// DeleteTaskSet terminates task set id and its tasks.
	DeleteTaskSet(at time.Time, cluster, service, id string) error
	// TaskSetCounts are the desired, running and pending task counts of a
	// task set and its status (PRIMARY, ACTIVE, DRAINING).
	TaskSetCounts(at time.Time, cluster, service, id string) (desired, running, pending int64, status string, err error)
}

// TaskSetSpec is the replacement task set an AppSpec asks for.
type TaskSetSpec struct {
	TaskDefinition           string
	ContainerName            string
	ContainerPort            int32
	TargetGroupARN           string
	PlatformVersion          *string
	NetworkConfiguration     *ecstypes.NetworkConfiguration
	CapacityProviderStrategy []ecstypes.CapacityProviderStrategyItem
}

// Timings are how long lifecycle events take on the emulator's clock.
type Timings struct {
	// Event is the duration of an event that runs no hook and shifts no
	// traffic (BeforeInstall without a hook, Install, AllowTestTraffic...).
	Event time.Duration
	// Hook is how long a hook Lambda function takes to report its status.
	Hook time.Duration
	// HookTimeout is how long CodeDeploy waits for a hook function that
	// does not report (DefaultHookTimeout when zero).
	HookTimeout time.Duration
}

// DefaultTimings are used until SetTimings is called.
var DefaultTimings = Timings{Event: time.Second, Hook: 2 * time.Second, HookTimeout: DefaultHookTimeout}

// HookResult is how a hook function named by SetHookResult or the seed's
// codedeploy.hooks reports, without any Lambda function: "Succeeded" or
// "Failed" with a message that becomes the lifecycle event's diagnostics.
// Functions created in the emulated Lambda decide by their environment
// instead (see startHook).
type HookResult struct {
	Status  string `json:"status" yaml:"status"`
	Message string `json:"message,omitempty" yaml:"message,omitempty"`
}

// Service is the emulated CodeDeploy control plane; one lock guards it.
type Service struct {
	srv             *core.Server
	ecs             ECS
	fns             Functions
	region, account string

	mu          sync.Mutex
	timings     Timings
	apps        map[string]*application
	appOrder    []string
	deployments map[string]*deployment
	depOrder    []*deployment
	hooks       map[string]HookResult                    // by function name
	configs     map[string]*cdtypes.DeploymentConfigInfo // custom ones, by name
}

type application struct {
	info   cdtypes.ApplicationInfo
	groups map[string]*group
	order  []string
}

type group struct {
	info   cdtypes.DeploymentGroupInfo
	active *deployment // in progress, at most one
}

// New registers CodeDeploy (target prefix CodeDeploy_20141006) on srv.
// Hooks invoke their functions through fns.
func New(srv *core.Server, ecs ECS, fns Functions, region, account string) *Service {
	s := &Service{srv: srv, ecs: ecs, fns: fns, region: region, account: account, timings: DefaultTimings,
		apps: map[string]*application{}, deployments: map[string]*deployment{}, hooks: map[string]HookResult{},
		configs: map[string]*cdtypes.DeploymentConfigInfo{}}
	srv.AddJSONService("CodeDeploy_20141006", "CodeDeploy", true, map[string]core.JSONOp{
		"CreateApplication":                    op(s, s.createApplication),
		"GetApplication":                       op(s, s.getApplication),
		"ListApplications":                     op(s, s.listApplications),
		"CreateDeploymentGroup":                op(s, s.createDeploymentGroup),
		"GetDeploymentGroup":                   op(s, s.getDeploymentGroup),
		"ListDeploymentGroups":                 op(s, s.listDeploymentGroups),
		"GetDeploymentConfig":                  op(s, s.getDeploymentConfig),
		"CreateDeploymentConfig":               op(s, s.createDeploymentConfig),
		"ListDeploymentConfigs":                op(s, s.listDeploymentConfigs),
		"CreateDeployment":                     op(s, s.createDeployment),
		"GetDeployment":                        op(s, s.getDeployment),
		"ListDeployments":                      op(s, s.listDeployments),
		"StopDeployment":                       op(s, s.stopDeployment),
		"ContinueDeployment":                   op(s, s.continueDeployment),
		"ListDeploymentTargets":                op(s, s.listDeploymentTargets),
		"GetDeploymentTarget":                  op(s, s.getDeploymentTarget),
		"BatchGetDeployments":                  op(s, s.batchGetDeployments),
		"BatchGetApplications":                 op(s, s.batchGetApplications),
		"BatchGetDeploymentGroups":             op(s, s.batchGetDeploymentGroups),
		"PutLifecycleEventHookExecutionStatus": op(s, s.putLifecycleEventHookExecutionStatus),
	})
	return s
}

// op takes the lock and replays lifecycle events due up to now first.
func op[I any](s *Service, fn func(in *I, now time.Time) (any, error)) core.JSONOp {
	return core.Op(func(in *I) (any, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		now := s.srv.Now()
		s.advance(now)
		return fn(in, now)
	})
}

// Advance replays the lifecycle steps due up to now. CodeDeploy requests do
// it themselves; ECS calls it before each request, so a client that only
// polls ECS (DescribeServices, DescribeTaskSets) sees the task sets
// CodeDeploy has changed meanwhile, as in AWS.
func (s *Service) Advance() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.srv.Now())
}

// SetTimings changes lifecycle event durations for events started from now on.
func (s *Service) SetTimings(t Timings) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.Event <= 0 {
		t.Event = DefaultTimings.Event
	}
	if t.Hook <= 0 {
		t.Hook = DefaultTimings.Hook
	}
	if t.HookTimeout <= 0 {
		t.HookTimeout = DefaultTimings.HookTimeout
	}
	s.timings = t
}

// SetHookResult decides how the hook function named function (a name or an
// ARN: the last segment counts) reports from now on, whether or not the
// emulated Lambda has it; it overrides the function's own answer.
func (s *Service) SetHookResult(function string, r HookResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks[functionName(function)] = r
}

func functionName(ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.Split(ref, ":")
		if len(parts) >= 7 {
			return parts[6]
		}
	}
	return ref
}

func (s *Service) arn(resource string) string {
	return fmt.Sprintf("arn:aws:codedeploy:%s:%s:%s", s.region, s.account, resource)
}

func (s *Service) uuid() string {
	h := s.srv.NewID(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func apiErr(code, format string, args ...any) *core.APIError {
	return core.APIErr(code, format, args...)
}

// --- applications ---

func (s *Service) createApplication(in *cd.CreateApplicationInput, now time.Time) (any, error) {
	name := aws.ToString(in.ApplicationName)
	if name == "" {
		return nil, apiErr("ApplicationNameRequiredException", "The application name was not specified.")
	}
	if len(name) > 100 {
		return nil, apiErr("InvalidApplicationNameException", "The application name was specified in an invalid format.")
	}
	if _, ok := s.apps[name]; ok {
		return nil, apiErr("ApplicationAlreadyExistsException", "%s already exists in your account", name)
	}
	platform := in.ComputePlatform
	if platform == "" {
		platform = cdtypes.ComputePlatformServer
	}
	a := &application{groups: map[string]*group{}, info: cdtypes.ApplicationInfo{
		ApplicationId: aws.String(s.uuid()), ApplicationName: aws.String(name), ComputePlatform: platform, CreateTime: aws.Time(now),
	}}
	s.apps[name] = a
	s.appOrder = append(s.appOrder, name)
	return &cd.CreateApplicationOutput{ApplicationId: a.info.ApplicationId}, nil
}

func (s *Service) app(name *string) (*application, error) {
	if aws.ToString(name) == "" {
		return nil, apiErr("ApplicationNameRequiredException", "The application name was not specified.")
	}
	a, ok := s.apps[*name]
	if !ok {
		return nil, apiErr("ApplicationDoesNotExistException", "No application found for name: %s", *name)
	}
	return a, nil
}

func (s *Service) getApplication(in *cd.GetApplicationInput, now time.Time) (any, error) {
	a, err := s.app(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	return &cd.GetApplicationOutput{Application: &a.info}, nil
}

func (s *Service) batchGetApplications(in *cd.BatchGetApplicationsInput, now time.Time) (any, error) {
	out := &cd.BatchGetApplicationsOutput{ApplicationsInfo: []cdtypes.ApplicationInfo{}}
	for _, n := range in.ApplicationNames {
		a, err := s.app(aws.String(n))
		if err != nil {
			return nil, err
		}
		out.ApplicationsInfo = append(out.ApplicationsInfo, a.info)
	}
	return out, nil
}

// pageSize is how many names a List call returns per page.
const pageSize = 100

func pageOf(names []string, token *string) ([]string, *string, error) {
	start := 0
	if t := aws.ToString(token); t != "" {
		if _, err := fmt.Sscanf(t, "p%d", &start); err != nil || start < 0 || start > len(names) {
			return nil, nil, apiErr("InvalidNextTokenException", "The next token was specified in an invalid format.")
		}
	}
	end := start + pageSize
	if end >= len(names) {
		return names[start:], nil, nil
	}
	return names[start:end], aws.String(fmt.Sprintf("p%d", end)), nil
}

func (s *Service) listApplications(in *cd.ListApplicationsInput, now time.Time) (any, error) {
	names := append([]string{}, s.appOrder...)
	sort.Strings(names)
	page, next, err := pageOf(names, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &cd.ListApplicationsOutput{Applications: page, NextToken: next}, nil
}

// --- deployment groups ---

func (s *Service) createDeploymentGroup(in *cd.CreateDeploymentGroupInput, now time.Time) (any, error) {
	a, err := s.app(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	name := aws.ToString(in.DeploymentGroupName)
	if name == "" {
		return nil, apiErr("DeploymentGroupNameRequiredException", "The deployment group name was not specified.")
	}
	if _, ok := a.groups[name]; ok {
		return nil, apiErr("DeploymentGroupAlreadyExistsException", "A deployment group named %s already exists for application %s", name, aws.ToString(a.info.ApplicationName))
	}
	if aws.ToString(in.ServiceRoleArn) == "" {
		return nil, apiErr("RoleRequiredException", "The role ID was not specified.")
	}
	cfgName := aws.ToString(in.DeploymentConfigName)
	if cfgName == "" {
		cfgName = "CodeDeployDefault.OneAtATime"
		if a.info.ComputePlatform == cdtypes.ComputePlatformEcs {
			cfgName = "CodeDeployDefault.ECSAllAtOnce"
		}
	}
	if a.info.ComputePlatform == cdtypes.ComputePlatformEcs {
		if _, err := s.config(cfgName); err != nil {
			return nil, err
		}
		if err := s.checkECSGroup(in); err != nil {
			return nil, err
		}
	}
	if arc := in.AutoRollbackConfiguration; arc != nil && arc.Enabled && len(arc.Events) == 0 {
		return nil, apiErr("InvalidAutoRollbackConfigException", "Auto rollback is enabled but no events are specified.")
	}
	g := &group{info: cdtypes.DeploymentGroupInfo{
		ApplicationName: a.info.ApplicationName, DeploymentGroupId: aws.String(s.uuid()), DeploymentGroupName: aws.String(name),
		ComputePlatform: a.info.ComputePlatform, DeploymentConfigName: aws.String(cfgName), ServiceRoleArn: in.ServiceRoleArn,
		EcsServices: in.EcsServices, LoadBalancerInfo: in.LoadBalancerInfo, AutoRollbackConfiguration: in.AutoRollbackConfiguration,
		BlueGreenDeploymentConfiguration: in.BlueGreenDeploymentConfiguration, DeploymentStyle: in.DeploymentStyle,
		AlarmConfiguration: in.AlarmConfiguration, TriggerConfigurations: in.TriggerConfigurations,
		OutdatedInstancesStrategy: cdtypes.OutdatedInstancesStrategyUpdate,
	}}
	if g.info.AutoRollbackConfiguration == nil {
		g.info.AutoRollbackConfiguration = &cdtypes.AutoRollbackConfiguration{}
	}
	a.groups[name] = g
	a.order = append(a.order, name)
	return &cd.CreateDeploymentGroupOutput{DeploymentGroupId: g.info.DeploymentGroupId}, nil
}

// checkECSGroup validates what an ECS deployment group needs, as CodeDeploy
// does when the group is created.
func (s *Service) checkECSGroup(in *cd.CreateDeploymentGroupInput) error {
	if len(in.EcsServices) != 1 {
		return apiErr("InvalidECSServiceException", "Exactly one ECS service must be specified for a deployment group of an ECS application.")
	}
	svc := in.EcsServices[0]
	if err := s.ecs.CheckService(aws.ToString(svc.ClusterName), aws.ToString(svc.ServiceName)); err != nil {
		return apiErr("InvalidECSServiceException", "%s", err.Error())
	}
	for _, a := range s.apps {
		for _, g := range a.groups {
			for _, o := range g.info.EcsServices {
				if aws.ToString(o.ClusterName) == aws.ToString(svc.ClusterName) && aws.ToString(o.ServiceName) == aws.ToString(svc.ServiceName) {
					return apiErr("ECSServiceMappingLimitExceededException", "The ECS service %s in cluster %s is already associated with deployment group %s.",
						aws.ToString(svc.ServiceName), aws.ToString(svc.ClusterName), aws.ToString(g.info.DeploymentGroupName))
				}
			}
		}
	}
	lb := in.LoadBalancerInfo
	if lb == nil || len(lb.TargetGroupPairInfoList) != 1 || len(lb.TargetGroupPairInfoList[0].TargetGroups) != 2 {
		return apiErr("InvalidLoadBalancerInfoException", "An ECS deployment group needs one target group pair with two target groups in loadBalancerInfo.targetGroupPairInfoList.")
	}
	if p := lb.TargetGroupPairInfoList[0].ProdTrafficRoute; p == nil || len(p.ListenerArns) != 1 {
		return apiErr("InvalidLoadBalancerInfoException", "The target group pair needs a prodTrafficRoute with one listener ARN.")
	}
	if in.DeploymentStyle == nil || in.DeploymentStyle.DeploymentType != cdtypes.DeploymentTypeBlueGreen || in.DeploymentStyle.DeploymentOption != cdtypes.DeploymentOptionWithTrafficControl {
		return apiErr("InvalidDeploymentStyleException", "An ECS deployment group must use deploymentType BLUE_GREEN and deploymentOption WITH_TRAFFIC_CONTROL.")
	}
	if in.BlueGreenDeploymentConfiguration == nil || in.BlueGreenDeploymentConfiguration.TerminateBlueInstancesOnDeploymentSuccess == nil {
		return apiErr("InvalidBlueGreenDeploymentConfigurationException", "An ECS deployment group needs blueGreenDeploymentConfiguration.terminateBlueInstancesOnDeploymentSuccess.")
	}
	return nil
}

func (s *Service) group(appName, groupName *string) (*application, *group, error) {
	a, err := s.app(appName)
	if err != nil {
		return nil, nil, err
	}
	if aws.ToString(groupName) == "" {
		return nil, nil, apiErr("DeploymentGroupNameRequiredException", "The deployment group name was not specified.")
	}
	g, ok := a.groups[*groupName]
	if !ok {
		return nil, nil, apiErr("DeploymentGroupDoesNotExistException", "No Deployment Group found for name: %s", *groupName)
	}
	return a, g, nil
}

func (s *Service) groupView(g *group) *cdtypes.DeploymentGroupInfo {
	out := g.info
	last := func(d *deployment) *cdtypes.LastDeploymentInfo {
		return &cdtypes.LastDeploymentInfo{DeploymentId: d.info.DeploymentId, Status: d.info.Status, CreateTime: d.info.CreateTime, EndTime: d.info.CompleteTime}
	}
	for i := len(s.depOrder) - 1; i >= 0 && out.LastSuccessfulDeployment == nil; i-- {
		d := s.depOrder[i]
		if d.group != g {
			continue
		}
		if out.LastAttemptedDeployment == nil {
			out.LastAttemptedDeployment = last(d)
		}
		if d.info.Status == cdtypes.DeploymentStatusSucceeded {
			out.LastSuccessfulDeployment = last(d)
			out.TargetRevision = d.info.Revision
		}
	}
	return &out
}

func (s *Service) getDeploymentGroup(in *cd.GetDeploymentGroupInput, now time.Time) (any, error) {
	_, g, err := s.group(in.ApplicationName, in.DeploymentGroupName)
	if err != nil {
		return nil, err
	}
	return &cd.GetDeploymentGroupOutput{DeploymentGroupInfo: s.groupView(g)}, nil
}

func (s *Service) batchGetDeploymentGroups(in *cd.BatchGetDeploymentGroupsInput, now time.Time) (any, error) {
	out := &cd.BatchGetDeploymentGroupsOutput{DeploymentGroupsInfo: []cdtypes.DeploymentGroupInfo{}}
	for _, n := range in.DeploymentGroupNames {
		_, g, err := s.group(in.ApplicationName, aws.String(n))
		if err != nil {
			msg := err.Error()
			out.ErrorMessage = &msg
			continue
		}
		out.DeploymentGroupsInfo = append(out.DeploymentGroupsInfo, *s.groupView(g))
	}
	return out, nil
}

func (s *Service) listDeploymentGroups(in *cd.ListDeploymentGroupsInput, now time.Time) (any, error) {
	a, err := s.app(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	names := append([]string{}, a.order...)
	sort.Strings(names)
	page, next, err := pageOf(names, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &cd.ListDeploymentGroupsOutput{ApplicationName: a.info.ApplicationName, DeploymentGroups: page, NextToken: next}, nil
}

// --- deployment configs ---

// deploymentConfigs are the predefined ECS configurations.
var deploymentConfigs = map[string]cdtypes.TrafficRoutingConfig{
	"CodeDeployDefault.ECSAllAtOnce": {Type: cdtypes.TrafficRoutingTypeAllAtOnce},
	"CodeDeployDefault.ECSLinear10PercentEvery1Minutes": {Type: cdtypes.TrafficRoutingTypeTimeBasedLinear,
		TimeBasedLinear: &cdtypes.TimeBasedLinear{LinearInterval: 1, LinearPercentage: 10}},
	"CodeDeployDefault.ECSLinear10PercentEvery3Minutes": {Type: cdtypes.TrafficRoutingTypeTimeBasedLinear,
		TimeBasedLinear: &cdtypes.TimeBasedLinear{LinearInterval: 3, LinearPercentage: 10}},
	"CodeDeployDefault.ECSCanary10Percent5Minutes": {Type: cdtypes.TrafficRoutingTypeTimeBasedCanary,
		TimeBasedCanary: &cdtypes.TimeBasedCanary{CanaryInterval: 5, CanaryPercentage: 10}},
	"CodeDeployDefault.ECSCanary10Percent15Minutes": {Type: cdtypes.TrafficRoutingTypeTimeBasedCanary,
		TimeBasedCanary: &cdtypes.TimeBasedCanary{CanaryInterval: 15, CanaryPercentage: 10}},
}

// config is the ECS deployment configuration named name.
func (s *Service) config(name string) (*cdtypes.DeploymentConfigInfo, error) {
	if name == "" {
		return nil, apiErr("DeploymentConfigNameRequiredException", "The deployment configuration name was not specified.")
	}
	if c, ok := s.configs[name]; ok {
		return c, nil
	}
	tr, ok := deploymentConfigs[name]
	if !ok {
		return nil, apiErr("DeploymentConfigDoesNotExistException", "No deployment configuration found for name: %s", name)
	}
	return &cdtypes.DeploymentConfigInfo{
		DeploymentConfigName: aws.String(name), DeploymentConfigId: aws.String(name), ComputePlatform: cdtypes.ComputePlatformEcs,
		TrafficRoutingConfig: &tr, CreateTime: aws.Time(time.Date(2018, 11, 27, 0, 0, 0, 0, time.UTC)),
	}, nil
}

func (s *Service) getDeploymentConfig(in *cd.GetDeploymentConfigInput, now time.Time) (any, error) {
	c, err := s.config(aws.ToString(in.DeploymentConfigName))
	if err != nil {
		return nil, err
	}
	return &cd.GetDeploymentConfigOutput{DeploymentConfigInfo: c}, nil
}

// createDeploymentConfig adds a custom ECS configuration (time-based canary
// or linear traffic shifting, or all at once).
func (s *Service) createDeploymentConfig(in *cd.CreateDeploymentConfigInput, now time.Time) (any, error) {
	name := aws.ToString(in.DeploymentConfigName)
	if name == "" {
		return nil, apiErr("DeploymentConfigNameRequiredException", "The deployment configuration name was not specified.")
	}
	if _, err := s.config(name); err == nil {
		return nil, apiErr("DeploymentConfigAlreadyExistsException", "A deployment configuration named %s already exists.", name)
	}
	if strings.HasPrefix(name, "CodeDeployDefault.") {
		return nil, apiErr("InvalidDeploymentConfigNameException", "The deployment configuration name cannot start with CodeDeployDefault.")
	}
	if in.ComputePlatform != cdtypes.ComputePlatformEcs {
		return nil, apiErr("InvalidComputePlatformException", "awsemu emulates deployment configurations for the ECS compute platform only, not %q.", in.ComputePlatform)
	}
	tr := in.TrafficRoutingConfig
	if tr == nil {
		tr = &cdtypes.TrafficRoutingConfig{Type: cdtypes.TrafficRoutingTypeAllAtOnce}
	}
	bad := func(what string) error {
		return apiErr("InvalidTrafficRoutingConfigurationException", "The traffic routing configuration is invalid: %s.", what)
	}
	switch tr.Type {
	case cdtypes.TrafficRoutingTypeAllAtOnce:
	case cdtypes.TrafficRoutingTypeTimeBasedCanary:
		if c := tr.TimeBasedCanary; c == nil || c.CanaryPercentage < 1 || c.CanaryPercentage > 99 || c.CanaryInterval < 1 {
			return nil, bad("timeBasedCanary needs a canaryPercentage of 1-99 and a canaryInterval of at least 1 minute")
		}
	case cdtypes.TrafficRoutingTypeTimeBasedLinear:
		if l := tr.TimeBasedLinear; l == nil || l.LinearPercentage < 1 || l.LinearPercentage > 99 || l.LinearInterval < 1 {
			return nil, bad("timeBasedLinear needs a linearPercentage of 1-99 and a linearInterval of at least 1 minute")
		}
	default:
		return nil, bad(fmt.Sprintf("type %q", tr.Type))
	}
	c := &cdtypes.DeploymentConfigInfo{DeploymentConfigName: aws.String(name), DeploymentConfigId: aws.String(s.uuid()),
		ComputePlatform: cdtypes.ComputePlatformEcs, TrafficRoutingConfig: tr, CreateTime: aws.Time(now)}
	s.configs[name] = c
	return &cd.CreateDeploymentConfigOutput{DeploymentConfigId: c.DeploymentConfigId}, nil
}

func (s *Service) listDeploymentConfigs(in *cd.ListDeploymentConfigsInput, now time.Time) (any, error) {
	names := core.SortedKeys(deploymentConfigs)
	names = append(names, core.SortedKeys(s.configs)...)
	page, next, err := pageOf(names, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &cd.ListDeploymentConfigsOutput{DeploymentConfigsList: page, NextToken: next}, nil
}
