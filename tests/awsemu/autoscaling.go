package awsemu

import (
	"fmt"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
)

// autoScalingService is Application Auto Scaling: scalable targets (ECS
// service desired counts and others) and their scaling policies.
type autoScalingService struct {
	e        *Emulator
	mu       sync.Mutex
	targets  map[string]*aastypes.ScalableTarget // by namespace|resource|dimension
	policies []aastypes.ScalingPolicy
}

// ScalableTargetSpec describes a scalable target to seed.
type ScalableTargetSpec struct {
	// ServiceNamespace defaults to ecs, ScalableDimension to
	// ecs:service:DesiredCount. ResourceId is e.g. service/cluster/web.
	ServiceNamespace  string `json:"serviceNamespace,omitempty" yaml:"serviceNamespace,omitempty"`
	ResourceID        string `json:"resourceId" yaml:"resourceId"`
	ScalableDimension string `json:"scalableDimension,omitempty" yaml:"scalableDimension,omitempty"`
	MinCapacity       int32  `json:"minCapacity" yaml:"minCapacity"`
	MaxCapacity       int32  `json:"maxCapacity" yaml:"maxCapacity"`
	RoleARN           string `json:"roleARN,omitempty" yaml:"roleARN,omitempty"`
	SuspendedState    struct {
		DynamicScalingInSuspended  bool `json:"dynamicScalingInSuspended,omitempty" yaml:"dynamicScalingInSuspended,omitempty"`
		DynamicScalingOutSuspended bool `json:"dynamicScalingOutSuspended,omitempty" yaml:"dynamicScalingOutSuspended,omitempty"`
		ScheduledScalingSuspended  bool `json:"scheduledScalingSuspended,omitempty" yaml:"scheduledScalingSuspended,omitempty"`
	} `json:"suspendedState,omitzero" yaml:"suspendedState,omitempty"`
	// Policies are target-tracking policies on this target.
	Policies []ScalingPolicySpec `json:"policies,omitempty" yaml:"policies,omitempty"`
}

// ScalingPolicySpec is a target-tracking scaling policy.
type ScalingPolicySpec struct {
	Name                 string  `json:"name" yaml:"name"`
	TargetValue          float64 `json:"targetValue" yaml:"targetValue"`
	PredefinedMetricType string  `json:"predefinedMetricType,omitempty" yaml:"predefinedMetricType,omitempty"` // default ECSServiceAverageCPUUtilization
}

func newAutoScalingService(e *Emulator) *autoScalingService {
	s := &autoScalingService{e: e, targets: map[string]*aastypes.ScalableTarget{}}
	e.addJSONService("AnyScaleFrontendService", "AutoScaling", false, map[string]jsonOp{
		"DescribeScalableTargets": op(s.describeScalableTargets),
		"RegisterScalableTarget":  op(s.registerScalableTarget),
		"DescribeScalingPolicies": op(s.describeScalingPolicies),
	})
	return s
}

func targetKey(ns aastypes.ServiceNamespace, resource string, dim aastypes.ScalableDimension) string {
	return string(ns) + "|" + resource + "|" + string(dim)
}

// PutScalableTarget registers a scalable target and its policies.
func (e *Emulator) PutScalableTarget(spec ScalableTargetSpec) error {
	if spec.ResourceID == "" {
		return fmt.Errorf("put scalable target: resourceId is empty")
	}
	if spec.ServiceNamespace == "" {
		spec.ServiceNamespace = "ecs"
	}
	if spec.ScalableDimension == "" {
		spec.ScalableDimension = "ecs:service:DesiredCount"
	}
	if spec.MinCapacity > spec.MaxCapacity {
		return fmt.Errorf("put scalable target %s: minCapacity %d is greater than maxCapacity %d", spec.ResourceID, spec.MinCapacity, spec.MaxCapacity)
	}
	ns, dim := aastypes.ServiceNamespace(spec.ServiceNamespace), aastypes.ScalableDimension(spec.ScalableDimension)
	s := e.services.aas
	s.mu.Lock()
	defer s.mu.Unlock()
	in := &applicationautoscaling.RegisterScalableTargetInput{
		ServiceNamespace: ns, ResourceId: aws.String(spec.ResourceID), ScalableDimension: dim,
		MinCapacity: aws.Int32(spec.MinCapacity), MaxCapacity: aws.Int32(spec.MaxCapacity),
		SuspendedState: &aastypes.SuspendedState{
			DynamicScalingInSuspended:  aws.Bool(spec.SuspendedState.DynamicScalingInSuspended),
			DynamicScalingOutSuspended: aws.Bool(spec.SuspendedState.DynamicScalingOutSuspended),
			ScheduledScalingSuspended:  aws.Bool(spec.SuspendedState.ScheduledScalingSuspended),
		},
	}
	if spec.RoleARN != "" {
		in.RoleARN = aws.String(spec.RoleARN)
	}
	if _, err := s.registerLocked(in); err != nil {
		return fmt.Errorf("put scalable target %s: %w", spec.ResourceID, err)
	}
	for _, p := range spec.Policies {
		metric := p.PredefinedMetricType
		if metric == "" {
			metric = "ECSServiceAverageCPUUtilization"
		}
		s.policies = append(s.policies, aastypes.ScalingPolicy{
			PolicyName: aws.String(p.Name), PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
			PolicyARN: aws.String(fmt.Sprintf("arn:aws:autoscaling:%s:%s:scalingPolicy:%s:resource/%s/%s:policyName/%s",
				e.Region(), e.AccountID(), e.newID(16), spec.ServiceNamespace, spec.ResourceID, p.Name)),
			ServiceNamespace: ns, ResourceId: aws.String(spec.ResourceID), ScalableDimension: dim, CreationTime: aws.Time(e.now()),
			TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{
				TargetValue:                   aws.Float64(p.TargetValue),
				PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricType(metric)},
			},
			Alarms: []aastypes.Alarm{},
		})
	}
	return nil
}

// ScalableTarget returns a copy of a registered target (for tests).
func (e *Emulator) ScalableTarget(namespace, resourceID, dimension string) (aastypes.ScalableTarget, bool) {
	s := e.services.aas
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.targets[targetKey(aastypes.ServiceNamespace(namespace), resourceID, aastypes.ScalableDimension(dimension))]
	if t == nil {
		return aastypes.ScalableTarget{}, false
	}
	return *t, true
}

func (s *autoScalingService) registerLocked(in *applicationautoscaling.RegisterScalableTargetInput) (*aastypes.ScalableTarget, error) {
	if in.ServiceNamespace == "" || in.ResourceId == nil || in.ScalableDimension == "" {
		return nil, apiErr("ValidationException", "1 validation error detected: serviceNamespace, resourceId and scalableDimension must not be null")
	}
	key := targetKey(in.ServiceNamespace, *in.ResourceId, in.ScalableDimension)
	t := s.targets[key]
	if t == nil {
		if in.MinCapacity == nil || in.MaxCapacity == nil {
			return nil, apiErr("ValidationException", "MinCapacity and MaxCapacity are required for registering a new scalable target")
		}
		t = &aastypes.ScalableTarget{
			ServiceNamespace: in.ServiceNamespace, ResourceId: in.ResourceId, ScalableDimension: in.ScalableDimension,
			CreationTime:      aws.Time(s.e.now()),
			RoleARN:           aws.String(fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService", s.e.AccountID())),
			ScalableTargetARN: aws.String(fmt.Sprintf("arn:aws:application-autoscaling:%s:%s:scalable-target/%s", s.e.Region(), s.e.AccountID(), s.e.newID(16))),
			SuspendedState:    &aastypes.SuspendedState{DynamicScalingInSuspended: aws.Bool(false), DynamicScalingOutSuspended: aws.Bool(false), ScheduledScalingSuspended: aws.Bool(false)},
		}
	}
	minC, maxC := t.MinCapacity, t.MaxCapacity
	if in.MinCapacity != nil {
		minC = in.MinCapacity
	}
	if in.MaxCapacity != nil {
		maxC = in.MaxCapacity
	}
	if *minC > *maxC {
		return nil, apiErr("ValidationException", "Minimum capacity cannot be greater than maximum capacity")
	}
	t.MinCapacity, t.MaxCapacity = minC, maxC
	if in.RoleARN != nil {
		t.RoleARN = in.RoleARN
	}
	if ss := in.SuspendedState; ss != nil {
		// Members left out keep their value, as in the API.
		if ss.DynamicScalingInSuspended != nil {
			t.SuspendedState.DynamicScalingInSuspended = ss.DynamicScalingInSuspended
		}
		if ss.DynamicScalingOutSuspended != nil {
			t.SuspendedState.DynamicScalingOutSuspended = ss.DynamicScalingOutSuspended
		}
		if ss.ScheduledScalingSuspended != nil {
			t.SuspendedState.ScheduledScalingSuspended = ss.ScheduledScalingSuspended
		}
	}
	s.targets[key] = t
	return t, nil
}

func (s *autoScalingService) registerScalableTarget(in *applicationautoscaling.RegisterScalableTargetInput) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.registerLocked(in)
	if err != nil {
		return nil, err
	}
	return &applicationautoscaling.RegisterScalableTargetOutput{ScalableTargetARN: t.ScalableTargetARN}, nil
}

func (s *autoScalingService) describeScalableTargets(in *applicationautoscaling.DescribeScalableTargetsInput) (any, error) {
	if in.ServiceNamespace == "" {
		return nil, apiErr("ValidationException", "1 validation error detected: Value null at 'serviceNamespace' failed to satisfy constraint: Member must not be null")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []aastypes.ScalableTarget
	for _, k := range sortedKeys(s.targets) {
		t := s.targets[k]
		if t.ServiceNamespace != in.ServiceNamespace ||
			(len(in.ResourceIds) > 0 && !hasString(in.ResourceIds, aws.ToString(t.ResourceId))) ||
			(in.ScalableDimension != "" && in.ScalableDimension != t.ScalableDimension) {
			continue
		}
		cp := *t
		ss := *t.SuspendedState
		cp.SuspendedState = &ss
		out = append(out, cp)
	}
	sort.SliceStable(out, func(i, j int) bool { return aws.ToTime(out[i].CreationTime).Before(aws.ToTime(out[j].CreationTime)) })
	pg, next, err := pageOf(out, in.MaxResults, in.NextToken, 50)
	if err != nil {
		return nil, err
	}
	return &applicationautoscaling.DescribeScalableTargetsOutput{ScalableTargets: emptyIfNil(pg), NextToken: next}, nil
}

func (s *autoScalingService) describeScalingPolicies(in *applicationautoscaling.DescribeScalingPoliciesInput) (any, error) {
	if in.ServiceNamespace == "" {
		return nil, apiErr("ValidationException", "1 validation error detected: Value null at 'serviceNamespace' failed to satisfy constraint: Member must not be null")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []aastypes.ScalingPolicy
	for _, p := range s.policies {
		if p.ServiceNamespace != in.ServiceNamespace ||
			(in.ResourceId != nil && *in.ResourceId != aws.ToString(p.ResourceId)) ||
			(in.ScalableDimension != "" && in.ScalableDimension != p.ScalableDimension) ||
			(len(in.PolicyNames) > 0 && !hasString(in.PolicyNames, aws.ToString(p.PolicyName))) {
			continue
		}
		out = append(out, p)
	}
	pg, next, err := pageOf(out, in.MaxResults, in.NextToken, 50)
	if err != nil {
		return nil, err
	}
	return &applicationautoscaling.DescribeScalingPoliciesOutput{ScalingPolicies: emptyIfNil(pg), NextToken: next}, nil
}
