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

// Limit is a token bucket: Rate requests per second sustained, Burst at
// once. Bucket, when set, names a bucket several actions of one service
// share (an ECS API action category); empty, the action has its own.
type Limit struct {
	Rate   float64
	Burst  int
	Bucket string
}

// ecsQuotas is ECS's request throttling table, every row: "Request token
// bucket sizes and refill rates" on
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html#throttling-quotas
// (the developer guide's request-throttling page has the same table), read
// 2026-12-02 from a published copy of that page's source; every row below
// is the doc's (a blog post quoting the task definition, service and cluster
// resource read rows gives the same figures).
// ECS throttles per account and Region, and the actions of one category
// share one bucket (DescribeServices and ListServices spend the same
// tokens), so the budget keeps a bucket per category. doppio keeps its
// calls inside these buckets on the client side, so that many services
// deployed in one run queue for their turn instead of being throttled; what
// other clients of the account spend is left to the adaptive retry on top.
// The page's UpdateContainerInstancesStates is the API's
// UpdateContainerInstancesState. Fargate's task-launch quota (100 at once,
// 20 a second) counts tasks, not calls, and is not metered here.
// tests/awsemu/core.AWSRateLimits holds the same table (TestECSQuotasMatchTheEmulator).
var ecsQuotas = []struct {
	category string
	limit    Limit
	actions  string
}{
	{"Cluster modify actions", Limit{Rate: 1, Burst: 20}, "CreateCluster DeleteCluster PutClusterCapacityProviders UpdateCluster UpdateClusterSettings"},
	{"Cluster read actions", Limit{Rate: 20, Burst: 50}, "DescribeClusters ListClusters"},
	{"Task definition modify actions", Limit{Rate: 1, Burst: 20}, "DeregisterTaskDefinition RegisterTaskDefinition"},
	{"Task definition read actions", Limit{Rate: 20, Burst: 50}, "DescribeTaskDefinition ListTaskDefinitions ListTaskDefinitionFamilies"},
	{"Task definition deletion actions", Limit{Rate: 1, Burst: 5}, "DeleteTaskDefinitions"},
	{"Capacity provider modify actions", Limit{Rate: 1, Burst: 10}, "CreateCapacityProvider DeleteCapacityProvider UpdateCapacityProvider"},
	{"Capacity provider read actions", Limit{Rate: 20, Burst: 50}, "DescribeCapacityProviders"},
	{"Tag modify actions", Limit{Rate: 10, Burst: 20}, "TagResource UntagResource"},
	{"Tag read actions", Limit{Rate: 20, Burst: 50}, "ListTagsForResource"},
	{"Setting modify actions", Limit{Rate: 1, Burst: 10}, "DeleteAccountSetting PutAccountSetting PutAccountSettingDefault"},
	{"Setting read actions", Limit{Rate: 20, Burst: 50}, "ListAccountSettings"},
	{"Cluster resource modify actions", Limit{Rate: 40, Burst: 100}, "DeleteAttributes DeregisterContainerInstance ExecuteCommand " +
		"PutAttributes RunTask StartTask StopTask UpdateContainerAgent UpdateContainerInstancesState"},
	{"Cluster resource read actions", Limit{Rate: 20, Burst: 100}, "DescribeContainerInstances DescribeTasks ListAttributes ListContainerInstances ListTasks"},
	{"Agent modify actions", Limit{Rate: 120, Burst: 200}, "RegisterContainerInstance SubmitAttachmentStateChanges SubmitContainerStateChange SubmitTaskStateChange"},
	{"Service modify actions", Limit{Rate: 5, Burst: 50}, "CreateService DeleteService UpdateService"},
	{"Service read actions", Limit{Rate: 20, Burst: 100}, "DescribeServices ListServices"},
	{"Service deployment actions", Limit{Rate: 20, Burst: 50}, "DescribeServiceDeployments ListServiceDeployments"},
	{"Service revision actions", Limit{Rate: 20, Burst: 50}, "DescribeServiceRevisions"},
	{"Task protection actions", Limit{Rate: 80, Burst: 200}, "UpdateTaskProtection GetTaskProtection"},
	{"Cluster service resource read actions", Limit{Rate: 1, Burst: 10}, "ListServicesByNamespace"},
}

// ecsLimits is ecsQuotas by action.
var ecsLimits = func() map[string]Limit {
	m := map[string]Limit{}
	for _, q := range ecsQuotas {
		l := q.limit
		l.Bucket = q.category
		for _, a := range strings.Fields(q.actions) {
			m[a] = l
		}
	}
	return m
}()

// The table does not list every ECS action: not StopServiceDeployment
// (which rollback calls), nor the task sets (CreateTaskSet, UpdateTaskSet,
// DeleteTaskSet, UpdateServicePrimaryTaskSet, DescribeTaskSets), nor the
// Express gateway services. Each of those gets a bucket of its own, sized
// low rather than high since AWS does not say: a change the smallest modify
// row's (1 a second, 5 deep), a read (Describe, List, Get) the common read
// row's (20 a second, 50 deep).
var (
	ecsUnlistedModify = Limit{Rate: 1, Burst: 5}
	ecsUnlistedRead   = Limit{Rate: 20, Burst: 50}
)

// otherDefault is the bucket of every action of the other services doppio
// calls (SSM, Secrets Manager, ECR, IAM, Logs, EC2, ...): below the lowest
// published per-action quotas of the calls doppio makes (SSM GetParameter's
// 40 per second), so a run stays polite; adaptive retry absorbs the rest.
var otherDefault = Limit{Rate: 25, Burst: 50}

// LimitFor is the bucket of one API action.
func LimitFor(service, operation string) Limit {
	if service != "ECS" {
		return otherDefault
	}
	if l, ok := ecsLimits[operation]; ok {
		return l
	}
	for _, read := range []string{"Describe", "List", "Get"} {
		if strings.HasPrefix(operation, read) {
			return ecsUnlistedRead
		}
	}
	return ecsUnlistedModify
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
// bucket (an ECS action category, else the action), shared by every client
// built from the run's configuration, and so
// by every service a run deploys. Each attempt takes a token (a retry spends
// the account's budget as the first try did).
type Budget struct {
	clock  Clock
	limits func(service, operation string) Limit

	mu      sync.Mutex
	ops     map[opKey]Limit             // each action's limit, asked once
	buckets map[bucketKey]*rate.Limiter // by region, service and bucket
	waited  map[bucketKey]int           // attempts that had to wait, by action
}

type opKey struct{ service, operation string }

// bucketKey's name is the shared bucket of a Limit, else the operation.
type bucketKey struct{ region, service, name string }

// NewBudget makes a budget with the documented limits (LimitFor) on the
// wall clock.
func NewBudget() *Budget { return NewBudgetWith(WallClock{}, LimitFor) }

// NewBudgetWith makes a budget with its own clock and limits (tests).
func NewBudgetWith(clock Clock, limits func(service, operation string) Limit) *Budget {
	return &Budget{clock: clock, limits: limits, ops: map[opKey]Limit{}, buckets: map[bucketKey]*rate.Limiter{}, waited: map[bucketKey]int{}}
}

// Wait takes a token for one call of service.operation in region, sleeping
// until the bucket holds one; it returns ctx's error when ctx ends first.
func (b *Budget) Wait(ctx context.Context, region, service, operation string) error {
	b.mu.Lock()
	l, ok := b.ops[opKey{service, operation}]
	if !ok {
		l = b.limits(service, operation)
		b.ops[opKey{service, operation}] = l
	}
	key := bucketKey{region, service, operation}
	if l.Bucket != "" {
		key.name = l.Bucket
	}
	lim := b.buckets[key]
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(l.Rate), max(l.Burst, 1))
		b.buckets[key] = lim
	}
	now := b.clock.Now()
	r := lim.ReserveN(now, 1)
	delay := r.DelayFrom(now)
	if delay > 0 {
		b.waited[bucketKey{region, service, operation}]++
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
		if k.service == service && k.name == operation {
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
