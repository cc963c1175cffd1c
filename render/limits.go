package render

import (
	"context"
	"fmt"
	"io"
	"os"
)

// Input bounds. ECS itself takes at most 64 KiB per RegisterTaskDefinition
// request; a definition or config source far beyond these is a mistake (a
// wrong path, a generated blob) that would only make doppio slow.
const (
	// MaxSourceSize bounds a config, definition or overrides file as read.
	MaxSourceSize = 8 << 20
	// MaxEnvfileSize and MaxEnvfileVars bound an --envfile.
	MaxEnvfileSize = 1 << 20
	MaxEnvfileVars = 10_000
)

// ReadInput reads a file of at most limit bytes. It gives up when ctx ends,
// so that a FIFO nobody writes to cannot hold the command after Ctrl-C or
// its timeout.
func ReadInput(ctx context.Context, path string, limit int64) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := readLimited(path, limit)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return r.b, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("read %s: %w", displayName(path), ctx.Err())
	}
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d MiB, the most doppio reads from one file", displayName(path), limit>>20)
	}
	return b, nil
}

// evaluate runs fn (Jsonnet or template evaluation, which cannot be
// cancelled) and returns when it is done or when ctx ends.
func evaluate[T any](ctx context.Context, what string, fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("%s: %w", what, ctx.Err())
	}
}
