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
// Rate limits are a layer of their own, checked before the fault rules: a
// call that passes its bucket may still meet a --fault (a 30 % throttle on
// every operation on top of the AWS limits, say).
type RateLimit struct {
	Rate  float64
	Burst int
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
// that matches a call is its bucket, one per operation (an "ECS.*" limit
// gives each ECS operation a bucket of that size, as AWS sizes per action).
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
	b := f.buckets[key]
	now := time.Now()
	if b == nil {
		b = &bucket{limit: l, tokens: float64(max(l.Burst, 1)), last: now}
		f.buckets[key] = b
	}
	return !b.take(now)
}

// AWSRateLimits are the ECS request quotas per action (sustained per second /
// burst), from https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html,
// and a bucket of the read size for every other ECS action: `awsemu
// --rate-limit aws`. Only the read bucket (50, refilled at 20/s) is the page's
// worked example; the other figures follow its table and were not re-read
// against the live page when written (2026-12).
func AWSRateLimits() map[string]RateLimit {
	groups := []struct {
		limit   RateLimit
		actions string
	}{
		{RateLimit{20, 50}, "* DescribeClusters ListClusters DescribeContainerInstances ListContainerInstances " +
			"DescribeServices ListServices ListServicesByNamespace DescribeTaskDefinition ListTaskDefinitions " +
			"ListTaskDefinitionFamilies DescribeTasks ListTasks"},
		{RateLimit{5, 15}, "CreateService UpdateService DeleteService"},
		{RateLimit{1, 5}, "RegisterTaskDefinition DeregisterTaskDefinition DeleteTaskDefinitions"},
		{RateLimit{20, 100}, "RunTask StartTask StopTask"},
	}
	out := map[string]RateLimit{}
	for _, g := range groups {
		for _, a := range strings.Fields(g.actions) {
			out["ECS."+a] = g.limit
		}
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
		out = append(out, fmt.Sprintf("%s=%g/%d", p, l.Rate, l.Burst))
	}
	sort.Strings(out)
	return out
}
