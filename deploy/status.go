package deploy

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// AutoScalingReader reads a service's scalable target and policies; status
// needs nothing more.
type AutoScalingReader interface {
	DescribeScalableTargets(context.Context, *aas.DescribeScalableTargetsInput, ...func(*aas.Options)) (*aas.DescribeScalableTargetsOutput, error)
	DescribeScalingPolicies(context.Context, *aas.DescribeScalingPoliciesInput, ...func(*aas.Options)) (*aas.DescribeScalingPoliciesOutput, error)
}

// Status is what `doppio status` shows of one service.
type Status struct {
	Cluster            string             `json:"cluster"`
	Service            string             `json:"service"`
	ServiceStatus      string             `json:"status"`
	TaskDefinition     string             `json:"taskDefinition"`
	LaunchType         string             `json:"launchType,omitempty"`
	SchedulingStrategy string             `json:"schedulingStrategy,omitempty"`
	Desired            int32              `json:"desiredCount"`
	Pending            int32              `json:"pendingCount"`
	Running            int32              `json:"runningCount"`
	CreatedAt          *time.Time         `json:"createdAt,omitempty"`
	Deployments        []StatusDeployment `json:"deployments"`
	Lifecycle          *StatusLifecycle   `json:"serviceDeployment,omitempty"` // BLUE_GREEN, LINEAR, CANARY
	// Controller is the deployment controller when it is not ECS
	// (CODE_DEPLOY, EXTERNAL).
	Controller  string             `json:"deploymentController,omitempty"`
	CodeDeploy  *StatusCodeDeploy  `json:"codeDeploy,omitempty"` // CODE_DEPLOY
	AutoScaling *AutoScalingStatus `json:"autoScaling,omitempty"`
	Events      []StatusEvent      `json:"events"`
	// Problems are parts that could not be read (e.g. no permission on
	// Application Auto Scaling); status still shows the rest.
	Problems []string `json:"problems,omitempty"`
}

// StatusDeployment is one deployment of the service.
type StatusDeployment struct {
	ID                 string     `json:"id"`
	Status             string     `json:"status"`
	TaskDefinition     string     `json:"taskDefinition"`
	Desired            int32      `json:"desiredCount"`
	Pending            int32      `json:"pendingCount"`
	Running            int32      `json:"runningCount"`
	Failed             int32      `json:"failedTasks"`
	RolloutState       string     `json:"rolloutState,omitempty"`
	RolloutStateReason string     `json:"rolloutStateReason,omitempty"`
	CreatedAt          *time.Time `json:"createdAt,omitempty"`
	UpdatedAt          *time.Time `json:"updatedAt,omitempty"`
}

// StatusEvent is one service event.
type StatusEvent struct {
	Time    time.Time `json:"createdAt"`
	Message string    `json:"message"`
}

// AutoScalingStatus is the service's scalable target.
type AutoScalingStatus struct {
	Min                      int32    `json:"minCapacity"`
	Max                      int32    `json:"maxCapacity"`
	DynamicScalingInSuspend  bool     `json:"dynamicScalingInSuspended"`
	DynamicScalingOutSuspend bool     `json:"dynamicScalingOutSuspended"`
	ScheduledScalingSuspend  bool     `json:"scheduledScalingSuspended"`
	Policies                 []string `json:"policies"`
}

// ErrServiceNotFound builds the error of a command that needs an existing
// service.
func ErrServiceNotFound(cluster, service string) error {
	return &ServiceNotFoundError{Cluster: clusterName(cluster), Service: service}
}

// ServiceNotFoundError: the service does not exist (or is INACTIVE). The
// CLI names the region too, which the clients know.
type ServiceNotFoundError struct {
	Cluster, Service string
	Region           string // "" when unknown
}

func (e *ServiceNotFoundError) Error() string {
	where := "cluster " + e.Cluster
	if e.Region != "" {
		where += " in region " + e.Region
	}
	return fmt.Sprintf("service %s not found in %s (check `cluster`, `service` and `region` in the config)", e.Service, where)
}

// FetchStatus reads the service, its auto scaling and its last n events.
// asr may be nil. It makes no mutating call.
func FetchStatus(ctx context.Context, api ECSReader, asr AutoScalingReader, cluster, service string, events int) (*Status, error) {
	if service == "" {
		return nil, fmt.Errorf("status needs a service: set `service` in the config")
	}
	svc, err := describeService(ctx, api, cluster, service)
	if err != nil {
		return nil, err
	}
	if svc == nil {
		return nil, ErrServiceNotFound(cluster, service)
	}
	st := &Status{
		Cluster:            clusterName(cluster),
		Service:            aws.ToString(svc.ServiceName),
		ServiceStatus:      aws.ToString(svc.Status),
		TaskDefinition:     shortTD(aws.ToString(svc.TaskDefinition)),
		LaunchType:         string(svc.LaunchType),
		SchedulingStrategy: string(svc.SchedulingStrategy),
		Desired:            svc.DesiredCount,
		Pending:            svc.PendingCount,
		Running:            svc.RunningCount,
		CreatedAt:          svc.CreatedAt,
		Deployments:        []StatusDeployment{},
		Controller:         controllerOf(svc),
		Events:             []StatusEvent{},
	}
	for i, s := range deploymentStates(svc) {
		d := svc.Deployments[i]
		st.Deployments = append(st.Deployments, StatusDeployment{
			ID: s.ID, Status: s.Status, TaskDefinition: s.TaskDefinition,
			Desired: s.Desired, Pending: s.Pending, Running: s.Running, Failed: s.Failed,
			RolloutState: s.RolloutState, RolloutStateReason: s.RolloutStateReason,
			CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		})
	}
	if st.Lifecycle, err = fetchLifecycle(ctx, api, svc); err != nil {
		st.Problems = append(st.Problems, err.Error())
	}
	evs := append([]ecstypes.ServiceEvent(nil), svc.Events...)
	sort.SliceStable(evs, func(i, j int) bool { return aws.ToTime(evs[i].CreatedAt).After(aws.ToTime(evs[j].CreatedAt)) })
	if events >= 0 && len(evs) > events {
		evs = evs[:events]
	}
	for i := len(evs) - 1; i >= 0; i-- { // oldest first, like a log
		st.Events = append(st.Events, StatusEvent{Time: aws.ToTime(evs[i].CreatedAt), Message: aws.ToString(evs[i].Message)})
	}
	if asr != nil {
		as, err := fetchAutoScaling(ctx, asr, clusterName(cluster), st.Service)
		if err != nil {
			st.Problems = append(st.Problems, err.Error())
		}
		st.AutoScaling = as
	}
	return st, nil
}

func fetchAutoScaling(ctx context.Context, asr AutoScalingReader, cluster, service string) (*AutoScalingStatus, error) {
	id := scalableResourceID(cluster, service)
	out, err := asr.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{
		ServiceNamespace:  aastypes.ServiceNamespaceEcs,
		ResourceIds:       []string{id},
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
	})
	if err != nil {
		return nil, fmt.Errorf("describe scalable target %s: %w", id, err)
	}
	if len(out.ScalableTargets) == 0 {
		return nil, nil
	}
	t := out.ScalableTargets[0]
	as := &AutoScalingStatus{Min: aws.ToInt32(t.MinCapacity), Max: aws.ToInt32(t.MaxCapacity), Policies: []string{}}
	if s := t.SuspendedState; s != nil {
		as.DynamicScalingInSuspend = aws.ToBool(s.DynamicScalingInSuspended)
		as.DynamicScalingOutSuspend = aws.ToBool(s.DynamicScalingOutSuspended)
		as.ScheduledScalingSuspend = aws.ToBool(s.ScheduledScalingSuspended)
	}
	pol, err := asr.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{
		ServiceNamespace:  aastypes.ServiceNamespaceEcs,
		ResourceId:        aws.String(id),
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
	})
	if err != nil {
		return as, fmt.Errorf("describe scaling policies of %s: %w", id, err)
	}
	for _, p := range pol.ScalingPolicies {
		as.Policies = append(as.Policies, fmt.Sprintf("%s (%s)", aws.ToString(p.PolicyName), p.PolicyType))
	}
	return as, nil
}

// Lines renders the status for people.
func (s *Status) Lines() []string {
	l := []string{
		fmt.Sprintf("Service: %s", s.Service),
		fmt.Sprintf("Cluster: %s", s.Cluster),
		fmt.Sprintf("TaskDefinition: %s", s.TaskDefinition),
		fmt.Sprintf("Status: %s", s.ServiceStatus),
	}
	if s.LaunchType != "" {
		l = append(l, "LaunchType: "+s.LaunchType)
	}
	l = append(l, fmt.Sprintf("Tasks: desired %d, pending %d, running %d", s.Desired, s.Pending, s.Running))
	l = append(l, "Deployments:")
	for _, d := range s.Deployments {
		line := fmt.Sprintf("  %8s %s desired:%d pending:%d running:%d failed:%d", d.Status, d.TaskDefinition, d.Desired, d.Pending, d.Running, d.Failed)
		if d.RolloutState != "" {
			line += " " + d.RolloutState
			if d.RolloutStateReason != "" {
				line += " (" + d.RolloutStateReason + ")"
			}
		}
		if d.UpdatedAt != nil {
			line += " updated " + d.UpdatedAt.Local().Format(timeFormat)
		}
		l = append(l, line)
	}
	if s.Lifecycle != nil {
		l = append(l, s.Lifecycle.lines()...)
	}
	if s.CodeDeploy != nil {
		l = append(l, s.CodeDeploy.lines()...)
	}
	if a := s.AutoScaling; a != nil {
		l = append(l, "AutoScaling:")
		l = append(l, fmt.Sprintf("  Capacity: min %d, max %d", a.Min, a.Max))
		l = append(l, fmt.Sprintf("  Suspended: dynamic in %t, dynamic out %t, scheduled %t", a.DynamicScalingInSuspend, a.DynamicScalingOutSuspend, a.ScheduledScalingSuspend))
		if len(a.Policies) == 0 {
			l = append(l, "  Policies: none")
		} else {
			l = append(l, "  Policies: "+strings.Join(a.Policies, ", "))
		}
	}
	l = append(l, "Events:")
	if len(s.Events) == 0 {
		l = append(l, "  (none)")
	}
	for _, e := range s.Events {
		l = append(l, hang("  "+e.Time.Local().Format(timeFormat)+" ", e.Message)...)
	}
	for _, p := range s.Problems {
		l = append(l, "(could not read: "+p+")")
	}
	return breakLines(l)
}

const timeFormat = "2006/01/02 15:04:05"

func controllerOf(svc *ecstypes.Service) string {
	if svc.DeploymentController == nil || svc.DeploymentController.Type == ecstypes.DeploymentControllerTypeEcs {
		return ""
	}
	return string(svc.DeploymentController.Type)
}

// CurrentDeployment returns what `doppio wait` follows: the service's task
// definition, its PRIMARY deployment and the events already there.
func CurrentDeployment(ctx context.Context, api ECSReader, cluster, service string) (WaitTarget, error) {
	svc, err := describeService(ctx, api, cluster, service)
	if err != nil {
		return WaitTarget{}, err
	}
	if svc == nil {
		return WaitTarget{}, ErrServiceNotFound(cluster, service)
	}
	t := WaitTarget{TaskDefinition: aws.ToString(svc.TaskDefinition), KnownEvents: eventIDs(svc)}
	if p := primaryOf(svc); p != nil {
		t.DeploymentID = aws.ToString(p.Id)
		t.TaskDefinition = aws.ToString(p.TaskDefinition)
	}
	return t, nil
}

// compile-time check that the SDK clients fit the small interfaces.
var (
	_ AutoScalingReader = (*aas.Client)(nil)
	_ ECSReader         = (*ecs.Client)(nil)
)
