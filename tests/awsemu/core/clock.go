package core

import (
	"sync"
	"time"
)

// Clock is the emulator's notion of now. Rollouts, task lifecycles and
// timestamps all read it, so a test that owns the clock owns time.
type Clock interface {
	Now() time.Time
}

// ManualClock only moves when a test advances it. With AutoStep set, every
// request served moves it forward by that step, which lets a client that polls
// drive a rollout to its end deterministically.
type ManualClock struct {
	mu       sync.Mutex
	now      time.Time
	autoStep time.Duration
}

// NewManualClock starts at start (a fixed, readable instant when zero).
func NewManualClock(start time.Time) *ManualClock {
	if start.IsZero() {
		start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return &ManualClock{now: start}
}

func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// SetAutoStep makes every served request advance the clock by d (0 turns it off).
func (c *ManualClock) SetAutoStep(d time.Duration) {
	c.mu.Lock()
	c.autoStep = d
	c.mu.Unlock()
}

// Step moves the clock by its auto-step; the server calls it after each request.
func (c *ManualClock) Step() {
	c.mu.Lock()
	c.now = c.now.Add(c.autoStep)
	c.mu.Unlock()
}

// RealClock follows wall time, sped up by Speed (1 when zero) from the moment
// it was created, so a 30 s rollout can take 3 s at speed 10.
type RealClock struct {
	start time.Time
	speed float64
}

// NewRealClock returns a wall clock running speed times faster than real time.
func NewRealClock(speed float64) *RealClock {
	if speed <= 0 {
		speed = 1
	}
	return &RealClock{start: time.Now(), speed: speed}
}

func (c *RealClock) Now() time.Time {
	elapsed := time.Since(c.start)
	return c.start.Add(time.Duration(float64(elapsed) * c.speed))
}
