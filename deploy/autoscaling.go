package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
)

// AutoScalingAPI is the part of Application Auto Scaling deploy uses.
type AutoScalingAPI interface {
	DescribeScalableTargets(context.Context, *aas.DescribeScalableTargetsInput, ...func(*aas.Options)) (*aas.DescribeScalableTargetsOutput, error)
	RegisterScalableTarget(context.Context, *aas.RegisterScalableTargetInput, ...func(*aas.Options)) (*aas.RegisterScalableTargetOutput, error)
}

// AutoScalingOptions are the --suspend-auto-scaling, --resume-auto-scaling
// and --auto-scaling-min/max flags.
type AutoScalingOptions struct {
	Suspend bool
	Resume  bool
	Min     *int32
	Max     *int32
}

// Requested tells whether any auto scaling flag was given.
func (o AutoScalingOptions) Requested() bool {
	return o.Suspend || o.Resume || o.Min != nil || o.Max != nil
}

// Validate rejects contradictory auto scaling flags.
func (o AutoScalingOptions) Validate() error {
	if o.Suspend && o.Resume {
		return fmt.Errorf("--suspend-auto-scaling and --resume-auto-scaling contradict each other")
	}
	if o.Min != nil && *o.Min < 0 || o.Max != nil && *o.Max < 0 {
		return fmt.Errorf("--auto-scaling-min and --auto-scaling-max must not be negative")
	}
	if o.Min != nil && o.Max != nil && *o.Min > *o.Max {
		return fmt.Errorf("--auto-scaling-min %d is greater than --auto-scaling-max %d", *o.Min, *o.Max)
	}
	return nil
}

// AutoScalingPlan is the change to the service's scalable target.
type AutoScalingPlan struct {
	ResourceID string
	// Missing: the service has no scalable target; nothing is done.
	Missing bool
	// Current state.
	Min, Max         int32
	Suspended        bool
	NewMin, NewMax   *int32
	SetSuspended     *bool
	targetRegistered bool
}

// Changes tells whether RegisterScalableTarget must be called.
func (p *AutoScalingPlan) Changes() bool {
	if p == nil || p.Missing {
		return false
	}
	return (p.NewMin != nil && *p.NewMin != p.Min) || (p.NewMax != nil && *p.NewMax != p.Max) ||
		(p.SetSuspended != nil && *p.SetSuspended != p.Suspended)
}

// Lines renders the auto scaling part of a plan.
func (p *AutoScalingPlan) Lines() []string {
	if p == nil || p.Missing {
		return []string{"  auto scaling: no scalable target (skipped)"}
	}
	var l []string
	if p.NewMin != nil && *p.NewMin != p.Min {
		l = append(l, fmt.Sprintf("  auto scaling min capacity: %d → %d", p.Min, *p.NewMin))
	}
	if p.NewMax != nil && *p.NewMax != p.Max {
		l = append(l, fmt.Sprintf("  auto scaling max capacity: %d → %d", p.Max, *p.NewMax))
	}
	if p.SetSuspended != nil && *p.SetSuspended != p.Suspended {
		if *p.SetSuspended {
			l = append(l, "  auto scaling: suspend (dynamic in/out and scheduled)")
		} else {
			l = append(l, "  auto scaling: resume (dynamic in/out and scheduled)")
		}
	}
	if len(l) == 0 {
		l = append(l, fmt.Sprintf("  auto scaling: unchanged (min %d, max %d, suspended %t)", p.Min, p.Max, p.Suspended))
	}
	return l
}

func scalableResourceID(cluster, service string) string {
	return "service/" + cluster + "/" + service
}

func (d *Deployer) planAutoScaling(ctx context.Context, cluster, service string, o AutoScalingOptions) (*AutoScalingPlan, error) {
	id := scalableResourceID(cluster, service)
	p := &AutoScalingPlan{ResourceID: id, NewMin: o.Min, NewMax: o.Max}
	if o.Suspend {
		p.SetSuspended = aws.Bool(true)
	} else if o.Resume {
		p.SetSuspended = aws.Bool(false)
	}
	if d.AutoScaling == nil {
		p.Missing = true
		return p, nil
	}
	out, err := d.AutoScaling.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{
		ServiceNamespace:  aastypes.ServiceNamespaceEcs,
		ResourceIds:       []string{id},
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
	})
	if err != nil {
		return nil, fmt.Errorf("describe scalable target %s: %w", id, err)
	}
	if len(out.ScalableTargets) == 0 {
		p.Missing = true
		return p, nil
	}
	t := out.ScalableTargets[0]
	p.Min, p.Max = aws.ToInt32(t.MinCapacity), aws.ToInt32(t.MaxCapacity)
	if s := t.SuspendedState; s != nil {
		p.Suspended = aws.ToBool(s.DynamicScalingInSuspended) && aws.ToBool(s.DynamicScalingOutSuspended) && aws.ToBool(s.ScheduledScalingSuspended)
	}
	p.targetRegistered = true
	return p, nil
}

func (d *Deployer) applyAutoScaling(ctx context.Context, p *AutoScalingPlan) error {
	in := &aas.RegisterScalableTargetInput{
		ServiceNamespace:  aastypes.ServiceNamespaceEcs,
		ResourceId:        aws.String(p.ResourceID),
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		MinCapacity:       p.NewMin,
		MaxCapacity:       p.NewMax,
	}
	if p.SetSuspended != nil {
		in.SuspendedState = &aastypes.SuspendedState{
			DynamicScalingInSuspended:  p.SetSuspended,
			DynamicScalingOutSuspended: p.SetSuspended,
			ScheduledScalingSuspended:  p.SetSuspended,
		}
	}
	if _, err := d.AutoScaling.RegisterScalableTarget(ctx, in); err != nil {
		return fmt.Errorf("update scalable target %s: %w", p.ResourceID, err)
	}
	d.info("auto scaling updated for %s", p.ResourceID)
	return nil
}
