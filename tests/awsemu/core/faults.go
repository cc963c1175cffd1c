package core

import (
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault describes misbehaviour injected into matching operations. Every
// random decision comes from a generator seeded with Options.Seed, so a test
// sees the same sequence of failures on every run.
type Fault struct {
	// ThrottleRate is the fraction of calls answered with a throttling error
	// (HTTP 400, ThrottlingException / Throttling), as AWS does.
	ThrottleRate float64
	// ServerErrorRate is the fraction answered with HTTP 500 or 503.
	ServerErrorRate float64
	// DropRate is the fraction whose connection is closed without an answer
	// before the call reaches the service: nothing happened.
	DropRate float64
	// DropAfterRate is the fraction that takes effect, but whose answer is
	// lost (the connection closes instead): the case an idempotency token
	// exists for.
	DropAfterRate float64
	// DenyRate is the fraction refused with an access-denied error (HTTP 400,
	// AccessDeniedException / AccessDenied), as a missing IAM permission is.
	DenyRate float64
	// StallRate is the fraction never answered: the request hangs until the
	// client gives up (or the emulator closes), as a stalled endpoint does.
	StallRate float64
	// Latency is added before each answer.
	Latency time.Duration
	// RateLimit, when positive, is a token bucket of RateLimit requests per
	// second (Burst tokens deep) like AWS's per-operation limits; calls over it
	// are throttled.
	RateLimit float64
	Burst     int
	// Times, when positive, limits the rule to that many faults (throttled,
	// failed, dropped or stalled calls); then it removes itself. With rates
	// of 1 it makes "the first answer is lost" exact.
	Times int
}

type faultState struct {
	fault  Fault
	tokens float64
	last   time.Time
	fired  int
}

// Faults holds the fault rules of one server.
type Faults struct {
	mu    sync.Mutex
	rng   *rand.Rand
	rules map[string]*faultState // key: "Service.Operation", "Service.*" or "*"
	// limits are the rate limits by pattern; buckets their state by
	// "Service.Operation" (ratelimit.go).
	limits  map[string]RateLimit
	buckets map[string]*bucket
}

// NewFaults makes the rule set; seed drives every random decision.
func NewFaults(seed int64) *Faults {
	return &Faults{rng: rand.New(rand.NewSource(seed)), rules: map[string]*faultState{}, limits: map[string]RateLimit{}, buckets: map[string]*bucket{}}
}

// Set installs fault for pattern; a zero Fault removes the rule.
func (f *Faults) Set(pattern string, fault Fault) {
	pattern = NormalizePattern(pattern)
	f.mu.Lock()
	defer f.mu.Unlock()
	if fault == (Fault{}) {
		delete(f.rules, pattern)
		return
	}
	f.rules[pattern] = &faultState{fault: fault, tokens: float64(fault.Burst), last: time.Now()}
}

// Clear removes every rule and rate limit.
func (f *Faults) Clear() {
	f.mu.Lock()
	f.rules = map[string]*faultState{}
	f.limits, f.buckets = map[string]RateLimit{}, map[string]*bucket{}
	f.mu.Unlock()
}

// verdict is what the fault rules decide for one call.
type Verdict struct {
	latency  time.Duration
	throttle bool
	status   int // 500 or 503 for a server error
	drop     bool
	// dropAfter: serve the call, then close the connection unanswered.
	dropAfter bool
	stall     bool
	deny      bool
}

// DropAfter tells the caller to serve the call and then hang up.
func (v Verdict) DropAfter() bool { return v.dropAfter }

func (v Verdict) faulty() bool {
	return v.throttle || v.status != 0 || v.drop || v.dropAfter || v.stall || v.deny
}

func (f *Faults) decide(service, op string) Verdict {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.throttled(service, op) {
		return Verdict{throttle: true}
	}
	key := service + "." + op
	st := f.rules[key]
	if st == nil {
		key = service + ".*"
		st = f.rules[key]
	}
	if st == nil {
		key = "*"
		st = f.rules[key]
	}
	if st == nil {
		return Verdict{}
	}
	v := st.decide(f.rng)
	if v.faulty() && st.fault.Times > 0 {
		if st.fired++; st.fired >= st.fault.Times {
			delete(f.rules, key)
		}
	}
	return v
}

func (st *faultState) decide(rng *rand.Rand) Verdict {
	v := Verdict{latency: st.fault.Latency}
	if st.fault.RateLimit > 0 {
		now := time.Now()
		burst := float64(st.fault.Burst)
		if burst < 1 {
			burst = 1
		}
		st.tokens += now.Sub(st.last).Seconds() * st.fault.RateLimit
		if st.tokens > burst {
			st.tokens = burst
		}
		st.last = now
		if st.tokens < 1 {
			v.throttle = true
			return v
		}
		st.tokens--
	}
	r := rng.Float64()
	fl := st.fault
	edge := 0.0
	below := func(rate float64) bool {
		edge += rate
		return r < edge
	}
	switch {
	case below(fl.DropRate):
		v.drop = true
	case below(fl.DropAfterRate):
		v.dropAfter = true
	case below(fl.StallRate):
		v.stall = true
	case below(fl.ThrottleRate):
		v.throttle = true
	case below(fl.DenyRate):
		v.deny = true
	case below(fl.ServerErrorRate):
		v.status = 500
		if rng.Intn(2) == 1 {
			v.status = 503
		}
	}
	return v
}

// NormalizePattern accepts "ECS.UpdateService", "ecs.UpdateService" or "ECS.*".
func NormalizePattern(p string) string {
	if p == "*" {
		return p
	}
	svc, op, ok := strings.Cut(p, ".")
	if !ok {
		return p
	}
	if canon, ok := canonicalService(svc); ok {
		svc = canon
	}
	return svc + "." + op
}

// ParseFault reads a fault from key=value words, the syntax of the e2e
// `fault` command and of `awsemu --fault`: throttle, error, drop, dropafter,
// stall and deny take a fraction (0-1), latency a Go duration, rate a number
// of requests per second, burst and times a count. "off" alone is the zero
// Fault (which removes a rule).
func ParseFault(words []string) (Fault, error) {
	var f Fault
	for _, kv := range words {
		if kv == "off" {
			return Fault{}, nil
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return Fault{}, fmt.Errorf("fault: want key=value, got %q", kv)
		}
		rates := map[string]*float64{
			"throttle": &f.ThrottleRate, "error": &f.ServerErrorRate, "drop": &f.DropRate, "dropafter": &f.DropAfterRate,
			"stall": &f.StallRate, "deny": &f.DenyRate,
		}
		switch {
		case rates[k] != nil:
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || x < 0 || x > 1 {
				return Fault{}, fmt.Errorf("fault %s: want a fraction between 0 and 1, got %q", k, v)
			}
			*rates[k] = x
		case k == "rate":
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || x < 0 {
				return Fault{}, fmt.Errorf("fault rate: want requests per second, got %q", v)
			}
			f.RateLimit = x
		case k == "burst" || k == "times":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return Fault{}, fmt.Errorf("fault %s: want a count, got %q", k, v)
			}
			if k == "burst" {
				f.Burst = n
			} else {
				f.Times = n
			}
		case k == "latency":
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return Fault{}, fmt.Errorf("fault latency: want a duration, got %q", v)
			}
			f.Latency = d
		default:
			return Fault{}, fmt.Errorf("fault: unknown key %q (throttle, error, drop, dropafter, stall, deny, latency, rate, burst, times)", k)
		}
	}
	return f, nil
}
