package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Mutating calls happen at most once.
//
// Where the API has an idempotency token, doppio sends one and lets the SDK
// retry with it: RunTask (the SDK fills clientToken itself, or --client-token)
// and CreateService (clientToken, below). UpdateService and
// RegisterTaskDefinition have none; for them the SDK retries only throttling
// (refused before ECS did anything), and after an uncertain failure (a 5xx, a
// lost answer) doppio reads the state to learn whether the call took effect
// before it tries again.

// uncertainAttempts bounds doppio's own retries after an uncertain failure.
const uncertainAttempts = 3

// throttleOnly makes the SDK retry throttling errors only.
func throttleOnly(o *ecs.Options) {
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = 10
		so.Retryables = []retry.IsErrorRetryable{
			retry.NoRetryCanceledError{},
			retry.RetryableErrorCode{Codes: retry.DefaultThrottleErrorCodes},
		}
	})
}

// newClientToken returns a CreateService client token (at most 36
// characters of ASCII 33-126).
func newClientToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "doppio-" + hex.EncodeToString(b)[:29]
}

// updateService calls UpdateService once. before is the service as it was
// read before the call (nil: unknown). After an uncertain failure it
// describes the service: a PRIMARY deployment that was not there before
// means the lost call started it, and a second call would start another
// (with forceNewDeployment) or restart the rollout. A call that starts no
// deployment (a count or attribute change) sets the same values again, so
// repeating it is harmless.
func (d *Deployer) updateService(ctx context.Context, in *ecs.UpdateServiceInput, before *ecstypes.Service) (*ecstypes.Service, error) {
	svc, err := atMostOnce(ctx, d, "update service "+aws.ToString(in.Service),
		func() (*ecstypes.Service, bool) {
			svc := d.startedSince(ctx, in, before)
			if svc != nil {
				d.info("the interrupted UpdateService had taken effect: deployment %s started", aws.ToString(primaryOf(svc).Id))
			}
			return svc, svc != nil
		},
		func() (*ecstypes.Service, error) {
			out, err := d.ECS.UpdateService(ctx, in, throttleOnly)
			if err != nil {
				return nil, err
			}
			return out.Service, nil
		})
	if err != nil && ctx.Err() != nil {
		// Ctrl-C or the timeout while the call was in flight: ECS may have
		// served it and the answer been dropped. Look once, outside the
		// ended context, so the outcome does not say the deployment never
		// started when it did.
		look, cancel := lookAfterCancel(ctx)
		defer cancel()
		if started := d.startedSince(look, in, before); started != nil {
			d.info("UpdateService had taken effect when the command was stopped: deployment %s started", aws.ToString(primaryOf(started).Id))
			return started, nil
		}
	}
	return svc, err
}

// lookAfterCancel is the context of the one read that tells whether a
// CreateService or UpdateService cut off by Ctrl-C or the timeout took
// effect. It outlives the signal on purpose (interrupt.Detach would end
// with it), and ends well within the 3 s cmd/doppio gives a command after
// a signal to say what it applied.
func lookAfterCancel(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
}

// atMostOnce makes call (whose SDK retries cover throttling only) up to
// uncertainAttempts times; before each retry after an uncertain failure,
// applied tells whether the failed call took effect after all, and what it
// made.
func atMostOnce[T any](ctx context.Context, d *Deployer, what string, applied func() (T, bool), call func() (T, error)) (T, error) {
	var zero T
	var lastErr error
	for attempt := 0; attempt < uncertainAttempts; attempt++ {
		if attempt > 0 {
			if v, ok := applied(); ok {
				return v, nil
			}
		}
		v, err := call()
		if err == nil {
			return v, nil
		}
		lastErr = err
		if !uncertain(err) || ctx.Err() != nil {
			break
		}
		d.warn("%s: %v (checking whether it took effect before retrying)", what, err)
	}
	return zero, lastErr
}

// startedSince returns the service when its PRIMARY deployment is newer than
// before's and runs the task definition in asks for.
func (d *Deployer) startedSince(ctx context.Context, in *ecs.UpdateServiceInput, before *ecstypes.Service) *ecstypes.Service {
	if before == nil {
		return nil
	}
	svc, err := pollService(ctx, d.ECS, aws.ToString(in.Cluster), aws.ToString(in.Service))
	if err != nil || svc == nil {
		return nil
	}
	p, old := primaryOf(svc), primaryOf(before)
	if p == nil || (old != nil && aws.ToString(p.Id) == aws.ToString(old.Id)) {
		return nil
	}
	if in.TaskDefinition != nil && !sameTaskDefinition(aws.ToString(p.TaskDefinition), aws.ToString(in.TaskDefinition)) {
		return nil
	}
	return svc
}

// createService calls CreateService with a client token, so that the SDK's
// retry of a call whose answer was lost answers the service it created
// instead of failing on "already exists".
func (d *Deployer) createService(ctx context.Context, in *ecs.CreateServiceInput) (*ecstypes.Service, error) {
	if in.ClientToken == nil {
		in.ClientToken = aws.String(newClientToken())
	}
	out, err := d.ECS.CreateService(ctx, in)
	if err != nil && ctx.Err() != nil {
		// As for UpdateService: the call may have been served.
		look, cancel := lookAfterCancel(ctx)
		defer cancel()
		svc, _ := pollService(look, d.ECS, aws.ToString(in.Cluster), aws.ToString(in.ServiceName))
		if p := primaryOf(svc); svc != nil && aws.ToString(svc.Status) == "ACTIVE" && p != nil && sameTaskDefinition(aws.ToString(p.TaskDefinition), aws.ToString(in.TaskDefinition)) {
			d.info("CreateService had taken effect when the command was stopped: service %s created", aws.ToString(in.ServiceName))
			return svc, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("create service %s in cluster %s: %w", aws.ToString(in.ServiceName), aws.ToString(in.Cluster), err)
	}
	return out.Service, nil
}
