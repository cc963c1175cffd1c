package ecsbatch

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/doppio-ecs/doppio/deploy"
)

// fakeECS answers DescribeServices like ECS: each existing service once, a
// MISSING failure for the others; every answer carries the number of the
// call that produced it (RunningCount), so a test sees how fresh it is.
type fakeECS struct {
	deploy.ECSAPI
	mu       sync.Mutex
	exists   map[string]bool
	inputs   []*ecs.DescribeServicesInput
	gate     chan struct{} // when set, each call waits for a token
	inFlight chan struct{} // when set, each call reports that it started
	badName  string        // a name that fails any call with InvalidParameterException
}

func (f *fakeECS) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	f.mu.Lock()
	f.inputs = append(f.inputs, in)
	n := int32(len(f.inputs))
	f.mu.Unlock()
	if f.inFlight != nil {
		f.inFlight <- struct{}{}
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if len(in.Services) > MaxPerCall {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "too many services"}
	}
	out := &ecs.DescribeServicesOutput{Services: []ecstypes.Service{}, Failures: []ecstypes.Failure{}}
	cluster := aws.ToString(in.Cluster)
	for _, ref := range in.Services {
		name := serviceName(ref)
		if name == f.badName {
			return nil, &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "bad service " + name}
		}
		arn := "arn:aws:ecs:us-east-1:123456789012:service/" + cluster + "/" + name
		if !f.exists[name] {
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(arn), Reason: aws.String("MISSING")})
			continue
		}
		s := ecstypes.Service{ServiceName: aws.String(name), ServiceArn: aws.String(arn), Status: aws.String("ACTIVE"), RunningCount: n}
		if len(in.Include) > 0 {
			s.Tags = []ecstypes.Tag{{Key: aws.String("svc"), Value: aws.String(name)}}
		}
		out.Services = append(out.Services, s)
	}
	return out, nil
}

func (f *fakeECS) calls() []*ecs.DescribeServicesInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*ecs.DescribeServicesInput(nil), f.inputs...)
}

// fakeClock moves only when the test advances it.
type fakeClock struct {
	mu       sync.Mutex
	now      time.Time
	sleepers []sleeper
}

type sleeper struct {
	until time.Time
	wake  chan struct{}
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	s := sleeper{until: c.now.Add(d), wake: make(chan struct{})}
	c.sleepers = append(c.sleepers, s)
	c.mu.Unlock()
	select {
	case <-s.wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.sleepers[:0]
	for _, s := range c.sleepers {
		if !s.until.After(c.now) {
			close(s.wake)
			continue
		}
		kept = append(kept, s)
	}
	c.sleepers = kept
}

func (c *fakeClock) sleeping() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sleepers)
}

// eventually polls cond (no sleeps: the goroutines under test run between
// polls).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 1_000_000; i++ {
		if cond() {
			return
		}
		runtime.Gosched()
	}
	t.Fatalf("never happened: %s", what)
}

func describe(ctx context.Context, api deploy.ECSAPI, cluster, service string, include bool) (*ecs.DescribeServicesOutput, error) {
	in := &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}}
	if include {
		in.Include = []ecstypes.ServiceField{ecstypes.ServiceFieldTags}
	}
	return api.DescribeServices(ctx, in)
}

// A lone waiter's calls go out at once and unchanged, however fast it polls.
func TestLoneWaiterCostsAsBefore(t *testing.T) {
	f := &fakeECS{exists: map[string]bool{"web": true}}
	clk := newFakeClock()
	b := New(f, Options{Clock: clk})
	for i := 0; i < 5; i++ {
		in := &ecs.DescribeServicesInput{Cluster: aws.String("app"), Services: []string{"web"}, Include: []ecstypes.ServiceField{ecstypes.ServiceFieldTags}}
		out, err := b.DescribeServices(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.calls(); len(got) != i+1 || got[i] != in {
			t.Fatalf("poll %d: the caller's own input must go out as is; calls %d", i, len(got))
		}
		if len(out.Services) != 1 || out.Services[0].RunningCount != int32(i+1) {
			t.Fatalf("poll %d: answer %+v", i, out.Services)
		}
	}
	if clk.sleeping() != 0 {
		t.Fatal("a lone waiter must never wait for a round")
	}
}

// Many concurrent waiters of one cluster share rounds of ⌈n/10⌉ calls, and
// each gets exactly what a call of its own returns: its service, or its
// MISSING failure.
func TestConcurrentWaitersShareOneRound(t *testing.T) {
	const n = 25
	f := &fakeECS{exists: map[string]bool{}}
	for i := 0; i < n; i++ {
		if i%7 != 3 { // some services are missing
			f.exists[fmt.Sprintf("svc-%02d", i)] = true
		}
	}
	clk := newFakeClock()
	b := New(f, Options{Clock: clk})
	// A first poll of another service makes the next ones wait for a round.
	if _, err := describe(context.Background(), b, "app", "warm-up", true); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		out *ecs.DescribeServicesOutput
		err error
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := describe(context.Background(), b, "app", fmt.Sprintf("svc-%02d", i), true)
			answers[i] = answer{out, err}
		}()
	}
	eventually(t, "all requests queued", func() bool { return b.Stats().Requests == n+1 && clk.sleeping() == 1 })
	if len(f.calls()) != 1 {
		t.Fatalf("no call may go out before the round: %d", len(f.calls()))
	}
	clk.Advance(DefaultInterval)
	wg.Wait()

	calls := f.calls()[1:]
	if len(calls) != 3 {
		t.Fatalf("25 services: want ⌈25/10⌉ = 3 calls, got %d", len(calls))
	}
	var sizes []int
	for _, c := range calls {
		sizes = append(sizes, len(c.Services))
		if aws.ToString(c.Cluster) != "app" || len(c.Include) != 1 {
			t.Errorf("batched call lost cluster or include: %+v", c)
		}
	}
	sort.Ints(sizes)
	if !reflect.DeepEqual(sizes, []int{5, 10, 10}) {
		t.Errorf("call sizes %v", sizes)
	}
	// Compare each answer with what a call of its own gives now.
	alone := &fakeECS{exists: f.exists}
	for i, a := range answers {
		name := fmt.Sprintf("svc-%02d", i)
		if a.err != nil {
			t.Fatalf("%s: %v", name, a.err)
		}
		want, _ := describe(context.Background(), alone, "app", name, true)
		got := *a.out
		got.ResultMetadata = want.ResultMetadata
		for j := range got.Services { // the call number differs, nothing else may
			got.Services[j].RunningCount = 0
			want.Services[j].RunningCount = 0
		}
		if !reflect.DeepEqual(&got, want) {
			t.Errorf("%s: batched answer %+v\nwant %+v", name, got, *want)
		}
		if !f.exists[name] && (len(a.out.Failures) != 1 || aws.ToString(a.out.Failures[0].Reason) != "MISSING" || len(a.out.Services) != 0) {
			t.Errorf("%s: a missing service must come out as a MISSING failure: %+v", name, a.out)
		}
	}
	if s := b.Stats(); s.Calls != 4 || s.Rounds != 2 {
		t.Errorf("stats %+v", s)
	}
}

// A request that comes while a round is in flight is served by the next
// round, never by the older answer.
func TestAnswerNeverOlderThanRequest(t *testing.T) {
	f := &fakeECS{exists: map[string]bool{"a": true, "b": true}, gate: make(chan struct{}), inFlight: make(chan struct{}, 10)}
	b := New(f, Options{Interval: -1})
	done := make(chan *ecs.DescribeServicesOutput, 2)
	go func() { out, _ := describe(context.Background(), b, "app", "a", false); done <- out }()
	<-f.inFlight // call 1 (a) is on the wire
	go func() { out, _ := describe(context.Background(), b, "app", "b", false); done <- out }()
	go func() { out, _ := describe(context.Background(), b, "app", "a", false); done <- out }()
	eventually(t, "b and a queued", func() bool { return b.Stats().Requests == 3 })
	f.gate <- struct{}{} // answer call 1
	first := <-done
	if first.Services[0].RunningCount != 1 {
		t.Fatalf("first answer from call %d", first.Services[0].RunningCount)
	}
	<-f.inFlight // call 2: the round of b and the second a
	f.gate <- struct{}{}
	for i := 0; i < 2; i++ {
		out := <-done
		if out.Services[0].RunningCount != 2 {
			t.Errorf("%s served from call %d, want the round sent after its request (2)", aws.ToString(out.Services[0].ServiceName), out.Services[0].RunningCount)
		}
	}
	if got := f.calls(); len(got) != 2 || len(got[1].Services) != 2 {
		t.Errorf("want one batched call for the two late requests, got %d calls", len(got))
	}
}

// When one service's name fails the batched call, every request is asked on
// its own: only the bad one sees the error.
func TestBadServiceFailsOnlyItself(t *testing.T) {
	f := &fakeECS{exists: map[string]bool{"a": true, "b": true}, badName: "bad"}
	clk := newFakeClock()
	b := New(f, Options{Clock: clk})
	if _, err := describe(context.Background(), b, "app", "warm-up", false); err != nil {
		t.Fatal(err)
	}
	errs := map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b", "bad"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := describe(context.Background(), b, "app", name, false)
			mu.Lock()
			errs[name] = err
			mu.Unlock()
		}()
	}
	eventually(t, "queued", func() bool { return b.Stats().Requests == 4 && clk.sleeping() == 1 })
	clk.Advance(DefaultInterval)
	wg.Wait()
	if errs["a"] != nil || errs["b"] != nil {
		t.Errorf("good services failed: %v", errs)
	}
	var ae smithy.APIError
	if !errors.As(errs["bad"], &ae) || ae.ErrorCode() != "InvalidParameterException" {
		t.Errorf("bad service: %v", errs["bad"])
	}
}

// Clusters poll separately; a cancelled waiter leaves at once and the others
// are still served.
func TestClustersAndCancellation(t *testing.T) {
	f := &fakeECS{exists: map[string]bool{"a": true, "b": true, "c": true}}
	clk := newFakeClock()
	b := New(f, Options{Clock: clk})
	if _, err := describe(context.Background(), b, "one", "x", false); err != nil {
		t.Fatal(err)
	}
	if _, err := describe(context.Background(), b, "two", "x", false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	res := make(chan string, 3)
	for _, q := range [][2]string{{"one", "a"}, {"one", "b"}, {"two", "c"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := context.Background()
			if q[1] == "b" {
				c = ctx
			}
			_, err := describe(c, b, q[0], q[1], false)
			res <- fmt.Sprintf("%s/%s:%v", q[0], q[1], err)
		}()
	}
	eventually(t, "queued", func() bool { return b.Stats().Requests == 5 && clk.sleeping() == 2 })
	cancel()
	if got := <-res; !strings.HasPrefix(got, "one/b:context canceled") {
		t.Fatalf("the cancelled waiter must leave first: %s", got)
	}
	clk.Advance(DefaultInterval)
	wg.Wait()
	close(res)
	for r := range res {
		if !strings.HasSuffix(r, ":<nil>") {
			t.Errorf("%s", r)
		}
	}
	calls := f.calls()[2:]
	if len(calls) != 2 {
		t.Fatalf("want one call per cluster, got %d", len(calls))
	}
	for _, c := range calls {
		if len(c.Services) != 1 {
			t.Errorf("call %s %v: the cancelled request must not be sent", aws.ToString(c.Cluster), c.Services)
		}
	}
}

// The waiter asks a round before its planned time (deploy.SharedPolls): the
// longest a request can wait for its round is the interval between rounds.
func TestPollRoundIsTheInterval(t *testing.T) {
	var _ deploy.SharedPolls = (*Batcher)(nil)
	for _, c := range []struct{ interval, want time.Duration }{{0, DefaultInterval}, {200 * time.Millisecond, 200 * time.Millisecond}, {-1, 0}} {
		if got := New(&fakeECS{}, Options{Interval: c.interval}).PollRound(); got != c.want {
			t.Errorf("Interval %s: PollRound %s, want %s", c.interval, got, c.want)
		}
	}
}
