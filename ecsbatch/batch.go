// Package ecsbatch serves the single-service DescribeServices calls of many
// concurrent waiters from batched calls: one polling loop per cluster for all
// waits of a run, up to 10 services per call (ECS's maximum).
//
// A waiter asks for one service, as it always does; the batcher holds the
// request until the cluster's next poll round, which describes every service
// asked for since the last round, ⌈n/10⌉ calls, and hands each waiter the
// part of the answer that names its service: the same Services and Failures
// entries (a MISSING service included) a call of its own would have returned.
// A round starts no sooner than Interval after the previous one, so waiters
// that poll at their own cadences share rounds; an answer is never older than
// the request it serves (the round's calls are sent after the request came).
//
// A lone waiter costs and behaves exactly as without the batcher: when no
// other service was asked for in the last round and none waits, its call goes
// out at once, unchanged.
package ecsbatch

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/doppio-ecs/doppio/deploy"
)

// MaxPerCall is the most services one DescribeServices call may name.
const MaxPerCall = 10

// DefaultInterval is the shortest time between two poll rounds of a
// cluster: half the waiter's fastest poll interval (1 s, where a rollout's
// end is due), so that waiters polling at their own cadences share rounds
// while batching delays an answer by half a poll at most.
const DefaultInterval = 500 * time.Millisecond

// Options tune a Batcher; the zero value is the default.
type Options struct {
	// Interval is the shortest time between two rounds of one cluster
	// (DefaultInterval when zero; negative: no spacing, rounds only gather
	// the requests that arrive while a round is in flight).
	Interval time.Duration
	// Clock is the wall clock when nil; the waiters' clock in tests.
	Clock deploy.Clock
}

// Stats counts what a Batcher did.
type Stats struct {
	Requests int // single-service DescribeServices requests served
	Rounds   int // poll rounds
	Calls    int // DescribeServices calls sent (fallbacks included)
}

// Batcher is a deploy.ECSAPI whose DescribeServices batches; every other
// call goes straight to the wrapped API.
type Batcher struct {
	deploy.ECSAPI
	opts Options

	mu       sync.Mutex
	clusters map[groupKey]*group
	stats    Stats
}

// Wrap returns api with batched DescribeServices and default options.
func Wrap(api deploy.ECSAPI) *Batcher { return New(api, Options{}) }

// New returns api with batched DescribeServices.
func New(api deploy.ECSAPI, opts Options) *Batcher {
	if opts.Interval == 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Clock == nil {
		opts.Clock = deploy.WallClock()
	}
	return &Batcher{ECSAPI: api, opts: opts, clusters: map[groupKey]*group{}}
}

// Unwrap is the wrapped API.
func (b *Batcher) Unwrap() deploy.ECSAPI { return b.ECSAPI }

// PollRound is the longest a request waits for its round (deploy.SharedPolls):
// the waiter asks that much before its planned time, so that the answer
// comes by then.
func (b *Batcher) PollRound() time.Duration { return max(b.opts.Interval, 0) }

// Stats is a snapshot of the counters.
func (b *Batcher) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// ContinueServiceDeployment keeps the optional method deploy.Continue looks
// for when the wrapped API has it.
func (b *Batcher) ContinueServiceDeployment(ctx context.Context, in *ecs.ContinueServiceDeploymentInput, optFns ...func(*ecs.Options)) (*ecs.ContinueServiceDeploymentOutput, error) {
	c, ok := b.ECSAPI.(interface {
		ContinueServiceDeployment(context.Context, *ecs.ContinueServiceDeploymentInput, ...func(*ecs.Options)) (*ecs.ContinueServiceDeploymentOutput, error)
	})
	if !ok {
		return nil, errors.New("ContinueServiceDeployment: not supported by this ECS client")
	}
	return c.ContinueServiceDeployment(ctx, in, optFns...)
}

// groupKey: requests share a call only when everything but the service is
// the same.
type groupKey struct {
	cluster string
	include string
}

// group is one cluster's (and Include's) polling loop.
type group struct {
	key       groupKey
	pending   []*request
	running   bool      // a round is scheduled or in flight
	lastStart time.Time // start of the last round
	lastNames map[string]bool
}

type request struct {
	ctx  context.Context
	name string // the service's name: the last segment of an ARN
	ref  string // as the caller wrote it
	done chan struct{}
	out  *ecs.DescribeServicesOutput
	err  error
}

// DescribeServices batches a call that names one service without options;
// any other call passes through.
func (b *Batcher) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	if in == nil || len(in.Services) != 1 || len(optFns) > 0 {
		return b.ECSAPI.DescribeServices(ctx, in, optFns...)
	}
	key := groupKey{cluster: aws.ToString(in.Cluster), include: includeKey(in.Include)}
	req := &request{ctx: ctx, ref: in.Services[0], name: serviceName(in.Services[0]), done: make(chan struct{})}

	b.mu.Lock()
	b.stats.Requests++
	g := b.clusters[key]
	if g == nil {
		g = &group{key: key}
		b.clusters[key] = g
	}
	if !g.running && len(g.pending) == 0 && onlyName(g.lastNames, req.name) {
		// Nothing to share the call with: send it as the caller wrote it.
		// It is a round all the same: requests that come meanwhile wait
		// for the next one.
		g.running = true
		g.lastStart, g.lastNames = b.opts.Clock.Now(), map[string]bool{req.name: true}
		b.stats.Rounds++
		b.stats.Calls++
		b.mu.Unlock()
		out, err := b.ECSAPI.DescribeServices(ctx, in)
		b.mu.Lock()
		g.running = len(g.pending) > 0
		if g.running {
			go b.loop(g, in)
		}
		b.mu.Unlock()
		return out, err
	}
	g.pending = append(g.pending, req)
	if !g.running {
		g.running = true
		go b.loop(g, in)
	}
	b.mu.Unlock()

	select {
	case <-req.done:
		return req.out, req.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// loop runs rounds for g while requests wait. template carries the
// cluster and Include of the group.
func (b *Batcher) loop(g *group, template *ecs.DescribeServicesInput) {
	for {
		b.mu.Lock()
		wait := g.lastStart.Add(b.opts.Interval).Sub(b.opts.Clock.Now())
		b.mu.Unlock()
		if wait > 0 {
			_ = b.opts.Clock.Sleep(context.Background(), wait)
		}
		b.mu.Lock()
		batch := b.take(g)
		if len(batch) == 0 {
			g.running = false
			b.mu.Unlock()
			return
		}
		g.lastStart = b.opts.Clock.Now()
		g.lastNames = map[string]bool{}
		for _, r := range batch {
			g.lastNames[r.name] = true
		}
		b.stats.Rounds++
		b.mu.Unlock()
		b.round(template, batch)
	}
}

// take removes the live pending requests, one per service name; a second
// request for a service already in the round waits for the next round, so
// that each answer entry goes to exactly one caller.
func (b *Batcher) take(g *group) []*request {
	var batch, later []*request
	names := map[string]bool{}
	for _, r := range g.pending {
		switch {
		case r.ctx.Err() != nil:
			r.err = r.ctx.Err()
			close(r.done)
		case names[r.name]:
			later = append(later, r)
		default:
			names[r.name] = true
			batch = append(batch, r)
		}
	}
	g.pending = later
	return batch
}

// round describes batch in calls of up to MaxPerCall services, in parallel.
func (b *Batcher) round(template *ecs.DescribeServicesInput, batch []*request) {
	var wg sync.WaitGroup
	for start := 0; start < len(batch); start += MaxPerCall {
		part := batch[start:min(start+MaxPerCall, len(batch))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.call(template, part)
		}()
	}
	wg.Wait()
}

// call sends one batched call and splits its answer. An error a single call
// might not have had (one bad service name fails the whole call with
// InvalidParameterException), or an entry that cannot be attributed, makes
// each request go out on its own instead: the answer per service is always
// the one its own call gives.
func (b *Batcher) call(template *ecs.DescribeServicesInput, part []*request) {
	if len(part) == 1 {
		b.single(template, part[0])
		return
	}
	ctx, cancel := callContext(part)
	defer cancel()
	in := cloneInput(template)
	for _, r := range part {
		in.Services = append(in.Services, r.ref)
	}
	b.count()
	out, err := b.ECSAPI.DescribeServices(ctx, in)
	if err != nil && perRequest(err) {
		for _, r := range part {
			b.single(template, r)
		}
		return
	}
	if err != nil {
		for _, r := range part {
			r.err = err
			close(r.done)
		}
		return
	}
	split, ok := splitOutput(out, part)
	if !ok {
		for _, r := range part {
			b.single(template, r)
		}
		return
	}
	for i, r := range part {
		r.out = split[i]
		close(r.done)
	}
}

func (b *Batcher) single(template *ecs.DescribeServicesInput, r *request) {
	in := cloneInput(template)
	in.Services = []string{r.ref}
	b.count()
	r.out, r.err = b.ECSAPI.DescribeServices(r.ctx, in)
	close(r.done)
}

func (b *Batcher) count() {
	b.mu.Lock()
	b.stats.Calls++
	b.mu.Unlock()
}

// callContext lives while any of part's callers still waits; it keeps the
// values of the first.
func callContext(part []*request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(part[0].ctx))
	go func() {
		for _, r := range part {
			select {
			case <-r.ctx.Done():
			case <-ctx.Done():
				return
			}
		}
		cancel()
	}()
	return ctx, cancel
}

// perRequest: errors that depend on what one service of the batch is
// (a malformed name or ARN) rather than on the cluster or the account.
func perRequest(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "InvalidParameterException", "ClientException", "AccessDeniedException":
		// AccessDenied: an IAM policy may allow some services' ARNs only.
		return true
	}
	return false
}

// splitOutput gives each request the Services and Failures entries that name
// its service; false when an entry names none of them, or a request gets
// none: then the batch cannot be split faithfully.
func splitOutput(out *ecs.DescribeServicesOutput, part []*request) ([]*ecs.DescribeServicesOutput, bool) {
	idx := map[string]int{}
	split := make([]*ecs.DescribeServicesOutput, len(part))
	for i, r := range part {
		idx[r.name] = i
		split[i] = &ecs.DescribeServicesOutput{Services: []ecstypes.Service{}, Failures: []ecstypes.Failure{}, ResultMetadata: out.ResultMetadata}
	}
	got := make([]bool, len(part))
	for _, s := range out.Services {
		name := aws.ToString(s.ServiceName)
		if name == "" {
			name = serviceName(aws.ToString(s.ServiceArn))
		}
		i, ok := idx[name]
		if !ok {
			return nil, false
		}
		split[i].Services = append(split[i].Services, s)
		got[i] = true
	}
	for _, f := range out.Failures {
		i, ok := idx[serviceName(aws.ToString(f.Arn))]
		if !ok {
			return nil, false
		}
		split[i].Failures = append(split[i].Failures, f)
		got[i] = true
	}
	for _, g := range got {
		if !g {
			return nil, false
		}
	}
	return split, true
}

// serviceName is a service's name from its name or ARN
// (arn:...:service/name or arn:...:service/cluster/name).
func serviceName(ref string) string {
	if i := strings.LastIndex(ref, "/"); i >= 0 && strings.HasPrefix(ref, "arn:") {
		return ref[i+1:]
	}
	return ref
}

func onlyName(names map[string]bool, name string) bool {
	for n := range names {
		if n != name {
			return false
		}
	}
	return true
}

func includeKey(fields []ecstypes.ServiceField) string {
	s := make([]string, len(fields))
	for i, f := range fields {
		s[i] = string(f)
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

func cloneInput(t *ecs.DescribeServicesInput) *ecs.DescribeServicesInput {
	return &ecs.DescribeServicesInput{Cluster: t.Cluster, Include: append([]ecstypes.ServiceField(nil), t.Include...)}
}
