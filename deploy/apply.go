package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/doppio-ecs/doppio/normalize"
)

func newUpdateInput() *ecs.UpdateServiceInput { return &ecs.UpdateServiceInput{} }

// register registers a task definition exactly once.
//
// The SDK retries a throttled call with the same input; that is safe, since
// a throttled call was refused before ECS did anything. A 5xx or a dropped
// connection is different: ECS may have registered the revision before the
// answer was lost, and a blind retry would register a duplicate. So the SDK
// retries throttling only, and after an uncertain failure doppio looks for
// an identical newest revision before trying again.
func (d *Deployer) register(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, ig normalize.Ignore) (*ecstypes.TaskDefinition, error) {
	family := aws.ToString(in.Family)
	td, err := atMostOnce(ctx, d, "register task definition "+family,
		func() (*ecstypes.TaskDefinition, bool) {
			same, err := d.identicalRevision(ctx, in, "", ig)
			if err != nil || same == nil {
				return nil, false
			}
			d.info("the interrupted registration had succeeded: using %s", shortTD(aws.ToString(same.TaskDefinition.TaskDefinitionArn)))
			return same.TaskDefinition, true
		},
		func() (*ecstypes.TaskDefinition, error) {
			out, err := d.ECS.RegisterTaskDefinition(ctx, in, throttleOnly)
			if err != nil {
				return nil, err
			}
			return out.TaskDefinition, nil
		})
	if err != nil {
		return nil, fmt.Errorf("register task definition %s: %w", family, err)
	}
	return td, nil
}

// uncertain tells whether a failed call may have taken effect: server
// errors and transport failures, not client errors.
func uncertain(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorFault() == smithy.FaultServer
	}
	var re *retry.MaxAttemptsError
	if errors.As(err, &re) {
		return false
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// applyTags sets and removes the service's tags (TagResource/UntagResource
// need the service ARN, known once the service exists).
func (d *Deployer) applyTags(ctx context.Context, svc *ecstypes.Service, plan *Plan) error {
	if len(plan.TagsToSet) == 0 && len(plan.TagsToRemove) == 0 {
		return nil
	}
	arn := ""
	if svc != nil {
		arn = aws.ToString(svc.ServiceArn)
	}
	if arn == "" && plan.live != nil {
		arn = aws.ToString(plan.live.ServiceArn)
	}
	if arn == "" {
		return fmt.Errorf("tag service %s: its ARN is unknown", plan.Service)
	}
	if len(plan.TagsToSet) > 0 {
		if _, err := d.ECS.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: plan.TagsToSet}); err != nil {
			return fmt.Errorf("tag service %s: %w", plan.Service, err)
		}
		d.info("tagged service %s with %d tag(s)", plan.Service, len(plan.TagsToSet))
	}
	if len(plan.TagsToRemove) > 0 {
		if _, err := d.ECS.UntagResource(ctx, &ecs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: plan.TagsToRemove}); err != nil {
			return fmt.Errorf("untag service %s: %w", plan.Service, err)
		}
		d.info("removed tag(s) %v from service %s", plan.TagsToRemove, plan.Service)
	}
	return nil
}
