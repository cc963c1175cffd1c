// Package interrupt lets work that must outlive a command's deadline (saying
// why a rollout timed out) still end at once on SIGINT or SIGTERM.
package interrupt

import (
	"context"
	"errors"
	"time"
)

type key struct{}

// Mark records ctx, the context a signal cancels, in the returned context:
// Detach on any context derived from it ends when ctx does.
func Mark(ctx context.Context) context.Context { return context.WithValue(ctx, key{}, ctx) }

// Detach returns a context that survives ctx's deadline, ends after budget,
// and ends when the run is interrupted: when the context Mark recorded is
// done, or, without one, when ctx is cancelled rather than timed out.
func Detach(ctx context.Context, budget time.Duration) (context.Context, context.CancelFunc) {
	out, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
	var stop func() bool
	if root, ok := ctx.Value(key{}).(context.Context); ok {
		stop = context.AfterFunc(root, cancel)
	} else {
		stop = context.AfterFunc(ctx, func() {
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				cancel()
			}
		})
	}
	return out, func() { stop(); cancel() }
}
