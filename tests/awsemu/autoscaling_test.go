package awsemu

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
)

func TestApplicationAutoScaling(t *testing.T) {
	e := startEmulator(t, Options{})
	spec := ScalableTargetSpec{ResourceID: "service/demo/web", MinCapacity: 1, MaxCapacity: 4,
		Policies: []ScalingPolicySpec{{Name: "cpu50", TargetValue: 50}}}
	if err := e.PutScalableTarget(spec); err != nil {
		t.Fatal(err)
	}
	client := applicationautoscaling.NewFromConfig(sdkConfig(t, e, 1))
	ctx := context.Background()
	out, err := client.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceIds: []string{"service/demo/web"}})
	if err != nil || len(out.ScalableTargets) != 1 {
		t.Fatalf("targets = %+v, %v", out, err)
	}
	st := out.ScalableTargets[0]
	if aws.ToInt32(st.MinCapacity) != 1 || aws.ToInt32(st.MaxCapacity) != 4 || st.ScalableDimension != aastypes.ScalableDimensionECSServiceDesiredCount ||
		aws.ToBool(st.SuspendedState.DynamicScalingInSuspended) {
		t.Fatalf("target = %+v", st)
	}
	// Suspend scaling in, as a deploy tool does during a rollout.
	if _, err := client.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String("service/demo/web"), ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		SuspendedState: &aastypes.SuspendedState{DynamicScalingInSuspended: aws.Bool(true)},
	}); err != nil {
		t.Fatal(err)
	}
	got, _ := e.ScalableTarget("ecs", "service/demo/web", "ecs:service:DesiredCount")
	if !aws.ToBool(got.SuspendedState.DynamicScalingInSuspended) || aws.ToBool(got.SuspendedState.DynamicScalingOutSuspended) || aws.ToInt32(got.MaxCapacity) != 4 {
		t.Fatalf("after register = %+v", got.SuspendedState)
	}
	_, err = client.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String("service/demo/new"), ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
	})
	var ve *aastypes.ValidationException
	if !errors.As(err, &ve) {
		t.Fatalf("want ValidationException, got %v", err)
	}
	pol, err := client.DescribeScalingPolicies(ctx, &applicationautoscaling.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String("service/demo/web")})
	if err != nil || len(pol.ScalingPolicies) != 1 || aws.ToFloat64(pol.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.TargetValue) != 50 {
		t.Fatalf("policies = %+v, %v", pol, err)
	}
}
