package awsapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
)

// An endpoint that cannot be reached at all (connection refused, no such
// host, no route) will not come back within a deploy's patience: the SDK's
// adaptive retry, made for throttling, would spend about two minutes of
// silent back-off on it. Connection-level failures get a short budget
// instead, one warning while it runs, and then an error that names the
// service, the endpoint and the region. Throttling and 5xx answers keep the
// adaptive retry: they come from a server that is there.

// DefaultConnectBudget is how long doppio keeps retrying an endpoint it
// cannot connect to. DOPPIO_CONNECT_RETRY (a Go duration) overrides it.
const DefaultConnectBudget = 3 * time.Second

// dialTimeout bounds one connection attempt, so an endpoint that drops
// packets (no answer at all) fails within the budget too.
const dialTimeout = 3 * time.Second

// connectRetryDelay is the pause between two connection attempts: short,
// since a refused connection costs the server nothing.
const connectRetryDelay = 300 * time.Millisecond

// connectBudget reads DOPPIO_CONNECT_RETRY.
func connectBudget() time.Duration {
	if v := os.Getenv("DOPPIO_CONNECT_RETRY"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			return d
		}
		slog.Warn("ignoring DOPPIO_CONNECT_RETRY: not a duration", "value", v)
	}
	return DefaultConnectBudget
}

// UnreachableError is a connection-level failure to reach an AWS endpoint.
type UnreachableError struct {
	Service  string // SDK service ID, e.g. ECS
	Endpoint string // scheme://host
	Region   string
	Err      error
	// Final is set once the budget is spent: no more retries.
	Final bool
	// Budget is how long doppio retried (with Final).
	Budget time.Duration
}

func (e *UnreachableError) Error() string {
	tried := ""
	if e.Final && e.Budget > 0 {
		tried = fmt.Sprintf(" (retried for %s)", e.Budget)
	}
	return e.summary() + tried + "; check the network, the region and AWS_ENDPOINT_URL*"
}

func (e *UnreachableError) summary() string {
	return fmt.Sprintf("cannot reach %s at %s (region %s): %s", e.Service, e.Endpoint, orUnknown(e.Region), connCause(e.Err))
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// RetryableError tells the SDK's retryer: again while within the budget,
// never once it is spent.
func (e *UnreachableError) RetryableError() bool { return !e.Final }

func orUnknown(s string) string {
	if s == "" {
		return "not set"
	}
	return s
}

// connCause is the part of a dial error a user acts on.
func connCause(err error) string {
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "no such host " + dns.Name
		}
		return "DNS lookup of " + dns.Name + " failed: " + dns.Err
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "no route to host"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network is unreachable"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Timeout() {
		return "connection timed out"
	}
	return err.Error()
}

// isConnectionLevel tells a failure to open a connection (nothing reached a
// server) from failures of a request in flight.
func isConnectionLevel(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH)
}

// failFast is the HTTP client half: it times connection failures per
// endpoint, shared by every client of the run.
type failFast struct {
	next   aws.HTTPClient
	budget time.Duration
	now    func() time.Time

	mu     sync.Mutex
	failed map[string]time.Time // endpoint → first failure of the current outage
}

// FailFast wraps an HTTP client so that connection-level failures of an
// endpoint become *UnreachableError values, retryable until budget has
// passed since the endpoint's first failure. A success resets the clock.
func FailFast(next aws.HTTPClient, budget time.Duration) aws.HTTPClient {
	return &failFast{next: next, budget: budget, now: time.Now, failed: map[string]time.Time{}}
}

func (f *failFast) Do(req *http.Request) (*http.Response, error) {
	endpoint := req.URL.Scheme + "://" + req.URL.Host
	resp, err := f.next.Do(req)
	// A cancelled or expired context is the caller giving up, not an
	// endpoint that cannot be reached.
	if err == nil || !isConnectionLevel(err) || req.Context().Err() != nil {
		if err == nil {
			f.mu.Lock()
			delete(f.failed, endpoint)
			f.mu.Unlock()
		}
		return resp, err
	}
	ctx := req.Context()
	ue := &UnreachableError{
		Service:  awsmiddleware.GetServiceID(ctx),
		Endpoint: endpoint,
		Region:   awsmiddleware.GetRegion(ctx),
		Err:      err,
	}
	if ue.Service == "" {
		ue.Service = "AWS"
	}
	now := f.now()
	f.mu.Lock()
	first, seen := f.failed[endpoint]
	if !seen {
		first = now
		f.failed[endpoint] = now
	}
	f.mu.Unlock()
	if !seen && f.budget > 0 {
		slog.Warn(fmt.Sprintf("%s; retrying for %s", ue.summary(), f.budget))
	}
	if now.Sub(first) >= f.budget {
		ue.Final, ue.Budget = true, f.budget
	}
	return nil, ue
}

// fastConnectRetryer is the retryer half: it keeps the configured retryer
// (adaptive: client-side rate limiting and back-off for throttling) and
// only shortens the pause after a connection-level failure.
type fastConnectRetryer struct {
	aws.RetryerV2
}

func (r fastConnectRetryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	if isConnectionLevel(err) {
		return connectRetryDelay, nil
	}
	return r.RetryerV2.RetryDelay(attempt, err)
}

// withFastConnectRetry wraps every retryer the config makes.
func withFastConnectRetry(make func() aws.Retryer) func() aws.Retryer {
	if make == nil {
		return nil
	}
	return func() aws.Retryer {
		r := make()
		if v2, ok := r.(aws.RetryerV2); ok {
			return fastConnectRetryer{v2}
		}
		return r
	}
}
