package core

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// RateLimit is a token bucket like AWS's per-operation request quotas: Rate
// requests per second sustained (the refill rate), Burst at once (the
// bucket's size). A call that finds the bucket empty is throttled with the
// service's throttling error (ECS: ThrottlingException, HTTP 400). Buckets
// refill in wall time, as AWS's do, whatever the emulator's clock speed.
//
// Bucket names a bucket that several operations share: ECS groups its
// actions into categories, one bucket each (DescribeServices and
// ListServices draw from "Service read actions"), so limits with the same
// Bucket of one service spend the same tokens. Empty, the operation has a
// bucket of its own.
//
// Rate limits are a layer of their own, checked before the fault rules: a
// call that passes its bucket may still meet a --fault (a 30 % throttle on
// every operation on top of the AWS limits, say).
type RateLimit struct {
	Rate   float64
	Burst  int
	Bucket string
}

type bucket struct {
	limit  RateLimit
	tokens float64
	last   time.Time
}

// take reports whether the bucket held a token at now, and spends it.
func (b *bucket) take(now time.Time) bool {
	burst := float64(max(b.limit.Burst, 1))
	b.tokens = min(burst, b.tokens+now.Sub(b.last).Seconds()*b.limit.Rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// SetRateLimit installs a bucket for pattern ("ECS.DescribeServices",
// "ECS.*" or "*"); a zero RateLimit removes it. The most specific pattern
// that matches a call is its limit; its bucket is the operation's own (an
// "ECS.*" limit gives each ECS operation a bucket of that size) unless the
// limit names a shared Bucket.
func (f *Faults) SetRateLimit(pattern string, l RateLimit) {
	pattern = NormalizePattern(pattern)
	f.mu.Lock()
	defer f.mu.Unlock()
	if l == (RateLimit{}) {
		delete(f.limits, pattern)
	} else {
		f.limits[pattern] = l
	}
	f.buckets = map[string]*bucket{}
}

// throttled spends a token of the call's bucket; true when there was none.
// f.mu is held.
func (f *Faults) throttled(service, op string) bool {
	key := service + "." + op
	l, ok := f.limits[key]
	if !ok {
		l, ok = f.limits[service+".*"]
	}
	if !ok {
		l, ok = f.limits["*"]
	}
	if !ok {
		return false
	}
	if l.Bucket != "" {
		key = service + "#" + l.Bucket
	}
	b := f.buckets[key]
	now := time.Now()
	if b == nil {
		b = &bucket{limit: l, tokens: float64(max(l.Burst, 1)), last: now}
		f.buckets[key] = b
	}
	return !b.take(now)
}

// awsECSQuotas is the table "Request token bucket sizes and refill rates" of
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html#throttling-quotas
// (the same table is in the developer guide's request-throttling page), read
// 2026-12-02 from a published copy of that page's source: every row, with
// the page's category names as the shared buckets. The page calls one action UpdateContainerInstancesStates; the API
// is UpdateContainerInstancesState. The doc's figures are burst (bucket
// size) and refill per second; written here as Rate/Burst.
//
// Fargate also limits task launches (100 at once, 20 a second: the
// developer guide's "AWS Fargate throttling quotas") per task launched, not
// per call; that is a capacity model, not this table.
var awsECSQuotas = []struct {
	bucket  string
	limit   RateLimit
	actions string
}{
	{"Cluster modify actions", RateLimit{Rate: 1, Burst: 20}, "CreateCluster DeleteCluster PutClusterCapacityProviders UpdateCluster UpdateClusterSettings"},
	{"Cluster read actions", RateLimit{Rate: 20, Burst: 50}, "DescribeClusters ListClusters"},
	{"Task definition modify actions", RateLimit{Rate: 1, Burst: 20}, "DeregisterTaskDefinition RegisterTaskDefinition"},
	{"Task definition read actions", RateLimit{Rate: 20, Burst: 50}, "DescribeTaskDefinition ListTaskDefinitions ListTaskDefinitionFamilies"},
	{"Task definition deletion actions", RateLimit{Rate: 1, Burst: 5}, "DeleteTaskDefinitions"},
	{"Capacity provider modify actions", RateLimit{Rate: 1, Burst: 10}, "CreateCapacityProvider DeleteCapacityProvider UpdateCapacityProvider"},
	{"Capacity provider read actions", RateLimit{Rate: 20, Burst: 50}, "DescribeCapacityProviders"},
	{"Tag modify actions", RateLimit{Rate: 10, Burst: 20}, "TagResource UntagResource"},
	{"Tag read actions", RateLimit{Rate: 20, Burst: 50}, "ListTagsForResource"},
	{"Setting modify actions", RateLimit{Rate: 1, Burst: 10}, "DeleteAccountSetting PutAccountSetting PutAccountSettingDefault"},
	{"Setting read actions", RateLimit{Rate: 20, Burst: 50}, "ListAccountSettings"},
	{"Cluster resource modify actions", RateLimit{Rate: 40, Burst: 100}, "DeleteAttributes DeregisterContainerInstance ExecuteCommand " +
		"PutAttributes RunTask StartTask StopTask UpdateContainerAgent UpdateContainerInstancesState"},
	{"Cluster resource read actions", RateLimit{Rate: 20, Burst: 100}, "DescribeContainerInstances DescribeTasks ListAttributes ListContainerInstances ListTasks"},
	{"Agent modify actions", RateLimit{Rate: 120, Burst: 200}, "RegisterContainerInstance SubmitAttachmentStateChanges SubmitContainerStateChange SubmitTaskStateChange"},
	{"Service modify actions", RateLimit{Rate: 5, Burst: 50}, "CreateService DeleteService UpdateService"},
	{"Service read actions", RateLimit{Rate: 20, Burst: 100}, "DescribeServices ListServices"},
	{"Service deployment actions", RateLimit{Rate: 20, Burst: 50}, "DescribeServiceDeployments ListServiceDeployments"},
	{"Service revision actions", RateLimit{Rate: 20, Burst: 50}, "DescribeServiceRevisions"},
	{"Task protection actions", RateLimit{Rate: 80, Burst: 200}, "UpdateTaskProtection GetTaskProtection"},
	{"Cluster service resource read actions", RateLimit{Rate: 1, Burst: 10}, "ListServicesByNamespace"},
}

// awsECSUnlisted are the ECS actions the table does not list (task sets,
// StopServiceDeployment, the Express gateway services, DiscoverPollEndpoint,
// ...): the preset guesses a bucket of their own for each, the smallest of
// the table's modify rows (1 a second, 5 deep) for a change and the common
// read row (20 a second, 50 deep) for a read, so that a client tested here
// is not tuned to more than AWS may grant.
var (
	awsECSUnlistedModify        = RateLimit{Rate: 1, Burst: 5}
	awsECSUnlistedRead          = RateLimit{Rate: 20, Burst: 50}
	awsECSUnlistedModifyActions = "CreateTaskSet UpdateTaskSet DeleteTaskSet UpdateServicePrimaryTaskSet StopServiceDeployment " +
		"CreateExpressGatewayService UpdateExpressGatewayService DeleteExpressGatewayService"
)

// AWSRateLimits are the ECS request quotas of `awsemu --rate-limit aws`: the
// documented table (awsECSQuotas), whose categories share a bucket as AWS's
// do, the guessed modify bucket for the unlisted changes, and a read-sized
// bucket of its own for every other ECS action ("ECS.*").
func AWSRateLimits() map[string]RateLimit {
	out := map[string]RateLimit{"ECS.*": awsECSUnlistedRead}
	for _, q := range awsECSQuotas {
		l := q.limit
		l.Bucket = q.bucket
		for _, a := range strings.Fields(q.actions) {
			out["ECS."+a] = l
		}
	}
	for _, a := range strings.Fields(awsECSUnlistedModifyActions) {
		out["ECS."+a] = awsECSUnlistedModify
	}
	return out
}

// ParseRateLimits reads one --rate-limit value: "aws" (AWSRateLimits), or
// PATTERN=RATE/BURST, e.g. "ECS.DescribeServices=20/50"; "PATTERN=off"
// removes a bucket (the zero RateLimit).
func ParseRateLimits(spec string) (map[string]RateLimit, error) {
	if spec == "aws" {
		return AWSRateLimits(), nil
	}
	pattern, v, ok := strings.Cut(spec, "=")
	if !ok || pattern == "" {
		return nil, fmt.Errorf("rate limit %q: want PATTERN=RATE/BURST (e.g. ECS.DescribeServices=20/50) or aws", spec)
	}
	if v == "off" {
		return map[string]RateLimit{pattern: {}}, nil
	}
	rs, bs, ok := strings.Cut(v, "/")
	rate, err1 := strconv.ParseFloat(rs, 64)
	burst, err2 := strconv.Atoi(bs)
	if !ok || err1 != nil || err2 != nil || rate <= 0 || burst < 1 {
		return nil, fmt.Errorf("rate limit %q: want a positive rate per second and a burst of at least 1, RATE/BURST like 20/50", spec)
	}
	return map[string]RateLimit{pattern: {Rate: rate, Burst: burst}}, nil
}

// RateLimits lists the installed buckets, "PATTERN=RATE/BURST", sorted.
func (f *Faults) RateLimits() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for p, l := range f.limits {
		s := fmt.Sprintf("%s=%g/%d", p, l.Rate, l.Burst)
		if l.Bucket != "" {
			s += " (" + l.Bucket + ")"
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
