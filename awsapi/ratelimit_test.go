package awsapi

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/doppio-ecs/doppio/tests/awsemu"
	"github.com/doppio-ecs/doppio/tests/awsemu/core"
)

// stepClock's Sleep moves time on at once and records the sleep: a test
// counts and sums the waits instead of timing them.
type stepClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newStepClock() *stepClock { return &stepClock{now: time.Unix(1_700_000_000, 0)} }

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	return nil
}

func (c *stepClock) elapsed(since time.Time) time.Duration { return c.Now().Sub(since) }

// The documented ECS bucket of DescribeServices ("Service read actions",
// 100 deep, 20 a second): 100 calls at once pass, the next 20 are spaced
// 50 ms apart, one second in all.
func TestBudgetSpacesCallsLikeTheECSBucket(t *testing.T) {
	clk := newStepClock()
	b := NewBudgetWith(clk, LimitFor)
	start := clk.Now()
	for i := 0; i < 120; i++ {
		if err := b.Wait(context.Background(), "us-east-1", "ECS", "DescribeServices"); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(clk.sleeps); got != 20 {
		t.Fatalf("120 calls into a bucket of 100: want 20 waits, got %d", got)
	}
	if got := b.Waited("ECS", "DescribeServices"); got != 20 {
		t.Errorf("Waited = %d", got)
	}
	for _, d := range clk.sleeps {
		if d < 49*time.Millisecond || d > 51*time.Millisecond {
			t.Fatalf("at 20 a second each wait is 50 ms, got %v", d)
		}
	}
	if e := clk.elapsed(start); e < 999*time.Millisecond || e > 1001*time.Millisecond {
		t.Errorf("20 calls over the burst at 20/s take 1 s, took %v", e)
	}
}

// Buckets are per category and per region: RegisterTaskDefinition and
// DeregisterTaskDefinition share "Task definition modify actions" (1 a
// second, 20 deep), which delays neither DescribeServices, nor
// UpdateService, nor another region.
func TestBudgetBucketsPerCategoryAndRegion(t *testing.T) {
	clk := newStepClock()
	b := NewBudgetWith(clk, LimitFor)
	ctx := context.Background()
	start := clk.Now()
	for i := 0; i < 23; i++ {
		op := "RegisterTaskDefinition"
		if i%2 == 1 {
			op = "DeregisterTaskDefinition"
		}
		if err := b.Wait(ctx, "us-east-1", "ECS", op); err != nil {
			t.Fatal(err)
		}
	}
	if len(clk.sleeps) != 3 || clk.elapsed(start) != 3*time.Second {
		t.Fatalf("23 registrations and deregistrations, 20 deep at 1/s: want 3 waits over 3 s, got %v", clk.sleeps)
	}
	if w := b.Waited("ECS", "RegisterTaskDefinition") + b.Waited("ECS", "DeregisterTaskDefinition"); w != 3 {
		t.Errorf("Waited counts per action, 3 in all: %d", w)
	}
	before := len(clk.sleeps)
	for _, call := range [][2]string{{"us-east-1", "DescribeServices"}, {"eu-west-1", "RegisterTaskDefinition"}, {"us-east-1", "UpdateService"}} {
		if err := b.Wait(ctx, call[0], "ECS", call[1]); err != nil {
			t.Fatal(err)
		}
	}
	if len(clk.sleeps) != before {
		t.Errorf("other categories or regions waited: %v", clk.sleeps[before:])
	}
	if l := LimitFor("SSM", "GetParameter"); l != otherDefault {
		t.Errorf("other services get the default bucket, got %+v", l)
	}
}

// Actions the throttling table does not list get a bucket of their own,
// a small one for a change.
func TestLimitForUnlistedECSActions(t *testing.T) {
	for op, want := range map[string]Limit{
		"CreateTaskSet": ecsUnlistedModify, "UpdateServicePrimaryTaskSet": ecsUnlistedModify, "StopServiceDeployment": ecsUnlistedModify,
		"DescribeTaskSets": ecsUnlistedRead,
	} {
		if got := LimitFor("ECS", op); got != want || got.Bucket != "" {
			t.Errorf("%s: %+v, want %+v", op, got, want)
		}
	}
}

// doppio's table and the emulator's `--rate-limit aws` preset are two copies
// of the same AWS page (the emulator must not import doppio): every action
// either names has the same figures and the same shared bucket in both.
func TestECSQuotasMatchTheEmulator(t *testing.T) {
	emu := core.AWSRateLimits()
	for pattern, want := range emu {
		op, ok := strings.CutPrefix(pattern, "ECS.")
		if !ok || op == "*" {
			continue
		}
		got := LimitFor("ECS", op)
		if got.Rate != want.Rate || got.Burst != want.Burst || got.Bucket != want.Bucket {
			t.Errorf("%s: doppio %+v, emulator %+v", op, got, want)
		}
	}
	for op := range ecsLimits {
		if _, ok := emu["ECS."+op]; !ok {
			t.Errorf("%s is in doppio's table, not in the emulator's", op)
		}
	}
	if star := emu["ECS.*"]; star.Rate != ecsUnlistedRead.Rate || star.Burst != ecsUnlistedRead.Burst {
		t.Errorf("the emulator's other ECS actions %+v, doppio's unlisted reads %+v", star, ecsUnlistedRead)
	}
}

// A wait cut short by the context gives its token back and returns the
// context's error.
func TestBudgetWaitEndsWithContext(t *testing.T) {
	b := NewBudgetWith(WallClock{}, func(string, string) Limit { return Limit{Rate: 0.001, Burst: 1} })
	ctx, cancel := context.WithCancel(context.Background())
	if err := b.Wait(ctx, "r", "ECS", "X"); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := b.Wait(ctx, "r", "ECS", "X"); err != context.Canceled {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

// Through the SDK, every attempt takes a token from the bucket named by the
// client's service and operation: two throttled answers and the success
// spend three tokens.
func TestBudgetMiddlewareTakesATokenPerAttempt(t *testing.T) {
	e := useEmulator(t)
	e.SetFault("ECS.ListClusters", awsemu.Fault{ThrottleRate: 1, Times: 2})
	clk := newStepClock()
	var mu sync.Mutex
	asked := map[string]int{}
	b := NewBudgetWith(clk, func(service, op string) Limit {
		mu.Lock()
		asked[service+"."+op]++
		mu.Unlock()
		return Limit{Rate: 1, Burst: 1}
	})
	c, err := New(context.Background(), Options{Budget: b})
	if err != nil {
		t.Fatal(err)
	}
	if c.Budget != b {
		t.Fatal("the given budget must be the client set's")
	}
	if _, err := c.ECS.ListClusters(context.Background(), &ecs.ListClustersInput{}); err != nil {
		t.Fatalf("throttling the retries absorb must not reach the caller: %v", err)
	}
	if got := b.Waited("ECS", "ListClusters"); got != 2 {
		t.Errorf("3 attempts through a bucket of 1: want 2 waits, got %d", got)
	}
	if asked["ECS.ListClusters"] != 1 {
		t.Errorf("one bucket for the action, made once: %v", asked)
	}
	if n := e.Log.Count("ECS.ListClusters"); n != 3 {
		t.Errorf("emulator saw %d calls, want 3", n)
	}
	// The other clients of the set share the budget.
	_, _ = c.ECS.DescribeClusters(context.Background(), &ecs.DescribeClustersInput{Clusters: []string{"x"}})
	if asked["ECS.DescribeClusters"] != 1 {
		t.Errorf("DescribeClusters did not go through the budget: %v", asked)
	}
}

// DOPPIO_API_BUDGET: on by default, off against a custom endpoint (an
// emulator has limits of its own), forced either way, and a bad value is an
// error naming the variable.
func TestBudgetSwitch(t *testing.T) {
	useEmulator(t) // sets AWS_ENDPOINT_URL
	ctx := context.Background()
	for _, tc := range []struct {
		env  string
		want bool
	}{{"", false}, {"aws", true}, {"off", false}} {
		t.Setenv(BudgetEnv, tc.env)
		c, err := New(ctx, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if (c.Budget != nil) != tc.want {
			t.Errorf("%s=%q: budget %v, want on=%v", BudgetEnv, tc.env, c.Budget != nil, tc.want)
		}
	}
	t.Setenv(BudgetEnv, "fast")
	if _, err := New(ctx, Options{}); err == nil || !strings.Contains(err.Error(), BudgetEnv) {
		t.Errorf("bad value: %v", err)
	}
	t.Setenv(BudgetEnv, "")
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_ENDPOINT_URL") {
			t.Setenv(k, "")
		}
	}
	if b, err := runBudget(nil, aws.Config{}); err != nil || b == nil {
		t.Errorf("against AWS the budget is on by default: %v %v", b, err)
	}
}
