package fleet

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/doppio-ecs/doppio/deploy"
)

// RegisterOnce wraps the ECS client that every service of a run shares, so
// that task definitions rendering identically for several services are
// registered once: the first call registers, identical calls made while it
// runs share its answer, and later ones get the same revision. A failed
// call is forgotten once answered, so a later retry calls ECS again. Every other call passes through, so the wrapper
// composes with others (a DescribeServices batcher, say).
type RegisterOnce struct {
	deploy.ECSAPI

	mu    sync.Mutex
	calls map[string]*registration
}

type registration struct {
	done chan struct{}
	out  *ecs.RegisterTaskDefinitionOutput
	err  error
}

// NewRegisterOnce wraps api.
func NewRegisterOnce(api deploy.ECSAPI) *RegisterOnce {
	return &RegisterOnce{ECSAPI: api, calls: map[string]*registration{}}
}

// Unwrap is the wrapped API: the waiter looks through it for what the
// API underneath offers (deploy.SharedPolls: the batcher's rounds).
func (r *RegisterOnce) Unwrap() deploy.ECSAPI { return r.ECSAPI }

var _ interface{ Unwrap() deploy.ECSAPI } = (*RegisterOnce)(nil)

// RegisterTaskDefinition registers in once per identical input.
func (r *RegisterOnce) RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	key, err := json.Marshal(in)
	if err != nil {
		return r.ECSAPI.RegisterTaskDefinition(ctx, in, opts...)
	}
	r.mu.Lock()
	c, ok := r.calls[string(key)]
	if !ok {
		c = &registration{done: make(chan struct{})}
		r.calls[string(key)] = c
		r.mu.Unlock()
		c.out, c.err = r.ECSAPI.RegisterTaskDefinition(ctx, in, opts...)
		if c.err != nil {
			r.mu.Lock()
			delete(r.calls, string(key))
			r.mu.Unlock()
		}
		close(c.done)
		return c.out, c.err
	}
	r.mu.Unlock()
	select {
	case <-c.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// A failure is shared too: each caller then recovers as deploy does
	// after an uncertain answer (looking for the revision before trying
	// again), rather than all registering at once.
	return c.out, c.err
}
