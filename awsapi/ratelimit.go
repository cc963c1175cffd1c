package awsapi

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// Limit is a token bucket: Rate requests per second sustained, Burst at once.
type Limit struct {
	Rate  float64
	Burst int
}

// ECS throttles each API action per account and Region with a token bucket:
// the bucket's size is the burst, its refill rate the sustained rate.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html
// doppio keeps its calls inside these buckets on the client side, so that
// many services deployed in one run queue for their turn instead of being
// throttled; what other clients of the account spend is left to the
// adaptive retry on top. The page's worked example gives the read bucket
// (50 deep, refilled at 20 a second); the modify and task figures below
// follow its table but were not re-read against the live page when written
// (2026-12): check them there, and keep tests/awsemu/core.AWSRateLimits in
// step.
var ecsLimits = map[string]Limit{
	// Cluster, container instance, service, task definition and task reads.
	"DescribeClusters":           {20, 50},
	"ListClusters":               {20, 50},
	"DescribeContainerInstances": {20, 50},
	"ListContainerInstances":     {20, 50},
	"DescribeServices":           {20, 50},
	"ListServices":               {20, 50},
	"ListServicesByNamespace":    {20, 50},
	"DescribeTaskDefinition":     {20, 50},
	"ListTaskDefinitions":        {20, 50},
	"ListTaskDefinitionFamilies": {20, 50},
	"DescribeTasks":              {20, 50},
	"ListTasks":                  {20, 50},
	// Service modify actions.
	"CreateService": {5, 15},
	"UpdateService": {5, 15},
	"DeleteService": {5, 15},
	// Task definition modify actions.
	"RegisterTaskDefinition":   {1, 5},
	"DeregisterTaskDefinition": {1, 5},
	"DeleteTaskDefinitions":    {1, 5},
	// Task launches and stops.
	"RunTask":   {20, 100},
	"StartTask": {20, 100},
	"StopTask":  {20, 100},
}

// ecsDefault covers the ECS actions the table above does not name (service
// deployments, tags, capacity providers, ...).
var ecsDefault = Limit{20, 50}

// otherDefault is the bucket of every action of the other services doppio
// calls (SSM, Secrets Manager, ECR, IAM, Logs, EC2, ...): below the lowest
// published per-action quotas of the calls doppio makes (SSM GetParameter's
// 40 per second), so a run stays polite; adaptive retry absorbs the rest.
var otherDefault = Limit{25, 50}

// LimitFor is the bucket of one API action.
func LimitFor(service, operation string) Limit {
	if service != "ECS" {
		return otherDefault
	}
	if l, ok := ecsLimits[operation]; ok {
		return l
	}
	return ecsDefault
}

// Clock is the rate limiter's time; tests replace the wall clock.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// WallClock is the real time.
type WallClock struct{}

func (WallClock) Now() time.Time { return time.Now() }

func (WallClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Budget is the run's API budget: one token bucket per region, service and
// action, shared by every client built from the run's configuration, and so
// by every service a run deploys. Each attempt takes a token (a retry spends
// the account's budget as the first try did).
type Budget struct {
	clock  Clock
	limits func(service, operation string) Limit

	mu      sync.Mutex
	buckets map[bucketKey]*rate.Limiter
	waited  map[bucketKey]int // attempts that had to wait for a token
}

type bucketKey struct{ region, service, operation string }

// NewBudget makes a budget with the documented limits (LimitFor) on the
// wall clock.
func NewBudget() *Budget { return NewBudgetWith(WallClock{}, LimitFor) }

// NewBudgetWith makes a budget with its own clock and limits (tests).
func NewBudgetWith(clock Clock, limits func(service, operation string) Limit) *Budget {
	return &Budget{clock: clock, limits: limits, buckets: map[bucketKey]*rate.Limiter{}, waited: map[bucketKey]int{}}
}

// Wait takes a token for one call of service.operation in region, sleeping
// until the bucket holds one; it returns ctx's error when ctx ends first.
func (b *Budget) Wait(ctx context.Context, region, service, operation string) error {
	key := bucketKey{region, service, operation}
	b.mu.Lock()
	lim := b.buckets[key]
	if lim == nil {
		l := b.limits(service, operation)
		lim = rate.NewLimiter(rate.Limit(l.Rate), max(l.Burst, 1))
		b.buckets[key] = lim
	}
	now := b.clock.Now()
	r := lim.ReserveN(now, 1)
	delay := r.DelayFrom(now)
	if delay > 0 {
		b.waited[key]++
	}
	b.mu.Unlock()
	if delay <= 0 {
		return nil
	}
	if err := b.clock.Sleep(ctx, delay); err != nil {
		r.CancelAt(b.clock.Now())
		return err
	}
	return nil
}

// Waited is how many attempts of service.operation (in any region) waited
// for a token.
func (b *Budget) Waited(service, operation string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for k, v := range b.waited {
		if k.service == service && k.operation == operation {
			n += v
		}
	}
	return n
}

// AddTo puts the budget into an SDK client's stack, right after the retry
// middleware, so that each attempt waits for its token: aws.Config.APIOptions
// takes it, and every client built from that configuration shares the
// budget.
func (b *Budget) AddTo(stack *middleware.Stack) error {
	return stack.Finalize.Insert(budgetMiddleware{b}, "Retry", middleware.After)
}

type budgetMiddleware struct{ b *Budget }

func (budgetMiddleware) ID() string { return "doppio.Budget" }

func (m budgetMiddleware) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	if err := m.b.Wait(ctx, awsmiddleware.GetRegion(ctx), awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)); err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, err
	}
	return next.HandleFinalize(ctx, in)
}

// BudgetEnv switches the API budget: "aws" (the documented limits) or "off".
// Unset, the budget is on unless a custom endpoint is configured
// (AWS_ENDPOINT_URL*: an emulator or a proxy, whose limits are its own); the
// adaptive retry applies either way.
const BudgetEnv = "DOPPIO_API_BUDGET"

func runBudget(given *Budget, cfg aws.Config) (*Budget, error) {
	if given != nil {
		return given, nil
	}
	switch v := os.Getenv(BudgetEnv); v {
	case "aws", "on":
		return NewBudget(), nil
	case "off":
		return nil, nil
	case "":
		if cfg.BaseEndpoint != nil || customEndpoint() {
			return nil, nil
		}
		return NewBudget(), nil
	default:
		return nil, fmt.Errorf("%s=%q: want aws (the documented ECS limits) or off", BudgetEnv, v)
	}
}

func customEndpoint() bool {
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_ENDPOINT_URL") && !strings.HasSuffix(kv, "=") {
			return true
		}
	}
	return false
}
