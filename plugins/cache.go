package plugins

import (
	"context"
	"sync"
)

// cache memoizes lookups per key for the life of a Set. Concurrent callers of
// one key share a single fetch. Failures are not kept, so a later call (say,
// after a throttling error) tries again.
type cache[V any] struct {
	mu      sync.Mutex
	entries map[string]*entry[V]
}

type entry[V any] struct {
	done  chan struct{}
	value V
	err   error
}

func (c *cache[V]) get(ctx context.Context, key string, fetch func(context.Context) (V, error)) (V, error) {
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*entry[V]{}
	}
	e, ok := c.entries[key]
	if !ok {
		e = &entry[V]{done: make(chan struct{})}
		c.entries[key] = e
		c.mu.Unlock()
		e.value, e.err = fetch(ctx)
		if e.err != nil {
			c.mu.Lock()
			delete(c.entries, key)
			c.mu.Unlock()
		}
		close(e.done)
		return e.value, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.value, e.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}
