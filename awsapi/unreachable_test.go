package awsapi

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

func captureWarnings(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return &buf
}

// closedPort is a local address nothing listens on: connections are refused.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

type countingClient struct {
	next  aws.HTTPClient
	calls atomic.Int32
}

func (c *countingClient) Do(req *http.Request) (*http.Response, error) {
	c.calls.Add(1)
	return c.next.Do(req)
}

func TestUnreachableEndpointFailsFast(t *testing.T) {
	useEmulator(t)
	addr := closedPort(t)
	t.Setenv("AWS_ENDPOINT_URL", "http://"+addr)
	t.Setenv("DOPPIO_CONNECT_RETRY", "600ms")
	logs := captureWarnings(t)
	c, err := New(context.Background(), Options{Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	counter := &countingClient{next: c.Config.HTTPClient}
	_, err = c.ECS.DescribeClusters(context.Background(), &ecs.DescribeClustersInput{}, func(o *ecs.Options) { o.HTTPClient = counter })
	var ue *UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want an UnreachableError", err)
	}
	if ue.Service != "ECS" || ue.Endpoint != "http://"+addr || ue.Region != "eu-west-1" || !ue.Final || ue.Budget != 600*time.Millisecond {
		t.Errorf("error = %+v", ue)
	}
	for _, want := range []string{"cannot reach ECS at http://" + addr, "region eu-west-1", "connection refused", "retried for 600ms"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// The budget, not the 10 attempts of the adaptive retry, ended it; and
	// it did retry.
	if n := counter.calls.Load(); n < 2 || n >= defaultMaxAttempts {
		t.Errorf("%d attempts, want 2..%d", n, defaultMaxAttempts-1)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), "retrying for 600ms") {
		t.Errorf("want one warning while retrying, got:\n%s", logs)
	}
}

type dialFailing struct{ fail bool }

func (d *dialFailing) Do(req *http.Request) (*http.Response, error) {
	if d.fail {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
}

func TestFailFastBudgetPerOutage(t *testing.T) {
	logs := captureWarnings(t)
	next := &dialFailing{fail: true}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := FailFast(next, 3*time.Second).(*failFast)
	f.now = func() time.Time { return now }
	req, _ := http.NewRequest("GET", "https://ecs.us-east-1.amazonaws.com/", nil)
	retryable := func() bool {
		t.Helper()
		_, err := f.Do(req)
		var ue *UnreachableError
		if !errors.As(err, &ue) {
			t.Fatalf("err = %v", err)
		}
		return ue.RetryableError()
	}
	if !retryable() {
		t.Error("first failure: want a retry")
	}
	now = now.Add(2 * time.Second)
	if !retryable() {
		t.Error("within the budget: want a retry")
	}
	now = now.Add(time.Second)
	if retryable() {
		t.Error("budget spent: want no retry")
	}
	next.fail = false
	if _, err := f.Do(req); err != nil {
		t.Fatal(err)
	}
	next.fail = true
	now = now.Add(time.Minute)
	if !retryable() {
		t.Error("a new outage after a success gets a new budget")
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 2 {
		t.Errorf("want one warning per outage (2), got %d:\n%s", n, logs)
	}
}

func TestNoBudgetMeansNoRetry(t *testing.T) {
	captureWarnings(t)
	f := FailFast(&dialFailing{fail: true}, 0)
	req, _ := http.NewRequest("GET", "https://ecs.us-east-1.amazonaws.com/", nil)
	_, err := f.Do(req)
	var ue *UnreachableError
	if !errors.As(err, &ue) || ue.RetryableError() || strings.Contains(err.Error(), "retried") {
		t.Errorf("DOPPIO_CONNECT_RETRY=0: err = %v", err)
	}
}

func TestRequestFailuresAreNotConnectionLevel(t *testing.T) {
	for _, err := range []error{
		&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET},
		errors.New("http: server closed idle connection"),
		context.DeadlineExceeded,
	} {
		if isConnectionLevel(err) {
			t.Errorf("%v: a request in flight is not a connection-level failure", err)
		}
	}
	for _, err := range []error{
		&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED},
		&net.DNSError{Name: "ecs.nowhere.invalid", IsNotFound: true},
		&net.OpError{Op: "dial", Net: "tcp", Err: syscall.EHOSTUNREACH},
	} {
		if !isConnectionLevel(err) {
			t.Errorf("%v: want connection-level", err)
		}
	}
}

type fixedRetryer struct {
	aws.RetryerV2
	delay time.Duration
}

func (r fixedRetryer) RetryDelay(int, error) (time.Duration, error) { return r.delay, nil }

// Throttling and 5xx keep the configured (adaptive) back-off; only a
// connection failure gets the short pause.
func TestFastConnectRetryKeepsBackoffForThrottling(t *testing.T) {
	r := withFastConnectRetry(func() aws.Retryer { return fixedRetryer{delay: 7 * time.Second} })().(aws.RetryerV2)
	throttled := errors.New("ThrottlingException: Rate exceeded")
	if d, _ := r.RetryDelay(1, throttled); d != 7*time.Second {
		t.Errorf("throttling delay = %s, want the inner retryer's 7s", d)
	}
	refused := &UnreachableError{Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}
	if d, _ := r.RetryDelay(1, refused); d != connectRetryDelay {
		t.Errorf("connection delay = %s, want %s", d, connectRetryDelay)
	}
}
