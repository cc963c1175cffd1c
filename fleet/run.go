package fleet

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/doppio-ecs/doppio/exitcode"
)

// DefaultParallel is --parallel's default. A deploy spends nearly all of
// its time waiting for ECS, so services overlap well; ten keeps the burst of
// mutating calls at the start of a run small (ECS throttles per account and
// region) while a fleet of a few dozen services still finishes in a few
// rollouts' time.
const DefaultParallel = 10

// Outcome names, as the table shows them. The deploy outcomes
// (completed, failed, rolled back, timed out, error, interrupted, submitted)
// come from the command; these are the fleet's own.
const (
	// Skipped: not started because a service it comes after did not
	// complete, or --fail-fast stopped the run.
	Skipped = "skipped"
	// Invalid: planning found bad input; nothing was started anywhere.
	Invalid = "invalid"
	// NotStarted: the service was fine but another one's input was bad.
	NotStarted = "not started"
)

// Result is one service's line of the result table.
type Result struct {
	Name         string        `json:"name"`
	Config       string        `json:"config"`
	Cluster      string        `json:"cluster"`
	Service      string        `json:"service"`
	Revision     string        `json:"revision,omitempty"` // family:N
	Outcome      string        `json:"outcome"`
	ExitCode     int           `json:"exit_code"`
	Duration     time.Duration `json:"-"`
	Seconds      float64       `json:"duration_seconds"`
	DeploymentID string        `json:"deployment_id,omitempty"`
	Reason       string        `json:"reason,omitempty"`
	Explanation  []string      `json:"explanation,omitempty"`
}

// OK tells whether the service reached what was asked.
func (r Result) OK() bool { return r.ExitCode == exitcode.OK }

// severity orders exit codes from best to worst: a run's exit code is its
// worst service's. An error (1: doppio could not do or judge what was
// asked) outranks a timeout (4: the outcome is unknown), which outranks a
// failure (3: known and explained), which outranks differences (2).
var severity = map[int]int{exitcode.OK: 0, exitcode.Diff: 1, exitcode.Failed: 2, exitcode.Timeout: 3, exitcode.Error: 4}

// Worst is the exit code of a run: the worst of its results (OK for none).
// Skipped services do not count: what skipped them is reported with its own code.
func Worst(rs []Result) int {
	worst := exitcode.OK
	for _, r := range rs {
		if r.Outcome == Skipped || r.Outcome == NotStarted {
			continue
		}
		if worse(r.ExitCode, worst) {
			worst = r.ExitCode
		}
	}
	return worst
}

// WorstCode is Worst for bare exit codes.
func WorstCode(codes ...int) int {
	worst := exitcode.OK
	for _, c := range codes {
		if worse(c, worst) {
			worst = c
		}
	}
	return worst
}

func worse(a, b int) bool {
	sa, ok := severity[a]
	if !ok {
		sa = severity[exitcode.Error]
	}
	return sa > severity[b]
}

// Each runs fn for every entry, at most parallel at once, and returns the
// errors by entry (nil for success). It is the planning phase: fn must not
// change anything.
func Each(ctx context.Context, n, parallel int, fn func(ctx context.Context, i int) error) []error {
	if parallel < 1 {
		parallel = 1
	}
	errs := make([]error, n)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			defer func() {
				if p := recover(); p != nil {
					errs[i] = panicError(p)
				}
			}()
			errs[i] = fn(ctx, i)
		}(i)
	}
	wg.Wait()
	return errs
}

// ApplyOptions are --parallel and --fail-fast.
type ApplyOptions struct {
	Parallel int
	// FailFast starts no new service once one has not succeeded; what is
	// in flight runs to its end (a rollout is never interrupted halfway).
	FailFast bool
}

// Apply runs fn for every entry of sel: an entry starts once every entry
// it comes after has ended, and only when they all succeeded; at most
// Parallel run at once; entries become ready in selection order. fn's
// result is completed with the entry's identity and duration.
func Apply(ctx context.Context, sel *Selection, opts ApplyOptions, fn func(ctx context.Context, i int) Result) []Result {
	n := len(sel.Entries)
	parallel := opts.Parallel
	if parallel < 1 {
		parallel = 1
	}
	idx := map[string]int{}
	for i, e := range sel.Entries {
		idx[e.Name] = i
	}
	results := make([]Result, n)
	const (
		pending = iota
		running
		done
	)
	state := make([]int, n)
	finished := make(chan int)
	inFlight := 0
	stopped := "" // the first failure under --fail-fast
	base := func(i int) Result {
		e := sel.Entries[i]
		return Result{Name: e.Name, Config: e.Config, Cluster: e.Cluster, Service: e.Service}
	}
	skip := func(i int, reason string) {
		r := base(i)
		r.Outcome, r.ExitCode, r.Reason = Skipped, exitcode.Error, reason
		results[i], state[i] = r, done
	}
	for {
		// Start (or skip) everything that is ready, until nothing changes.
		for changed := true; changed; {
			changed = false
			for i, e := range sel.Entries {
				if state[i] != pending {
					continue
				}
				ready, failedDep := true, ""
				for _, a := range e.After {
					j := idx[a]
					if state[j] != done {
						ready = false
						break
					}
					if !results[j].OK() && failedDep == "" {
						failedDep = a
					}
				}
				if !ready {
					continue
				}
				switch {
				case failedDep != "":
					skip(i, fmt.Sprintf("not started: %s (after:) did not complete", failedDep))
					changed = true
					continue
				case stopped != "":
					skip(i, fmt.Sprintf("not started: --fail-fast after %s did not complete", stopped))
					changed = true
					continue
				case ctx.Err() != nil:
					skip(i, "not started: interrupted")
					results[i].Outcome = "interrupted"
					changed = true
					continue
				}
				if inFlight >= parallel {
					continue
				}
				state[i] = running
				inFlight++
				go func(i int) {
					start := time.Now()
					r := safely(ctx, i, fn)
					b := base(i)
					if r.Name == "" {
						r.Name = b.Name
					}
					r.Config = b.Config
					if r.Cluster == "" {
						r.Cluster = b.Cluster
					}
					if r.Service == "" {
						r.Service = b.Service
					}
					r.Duration = time.Since(start)
					r.Seconds = float64(r.Duration.Round(100*time.Millisecond)) / float64(time.Second)
					results[i] = r
					finished <- i
				}(i)
			}
		}
		if inFlight == 0 {
			break
		}
		i := <-finished
		inFlight--
		state[i] = done
		if opts.FailFast && !results[i].OK() && stopped == "" {
			stopped = sel.Entries[i].Name
		}
	}
	return results
}

// safely runs fn, turning a panic into an error result: one service's bug
// must not take the others' rollouts down with the process.
func safely(ctx context.Context, i int, fn func(ctx context.Context, i int) Result) (r Result) {
	defer func() {
		if p := recover(); p != nil {
			err := panicError(p)
			r = Result{Outcome: "error", ExitCode: exitcode.Error, Reason: err.Error()}
		}
	}()
	return fn(ctx, i)
}

func panicError(p any) error {
	return fmt.Errorf("internal error: %v (please report this)", p)
}
