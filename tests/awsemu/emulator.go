// Package awsemu is an AWS emulator for doppio's tests and demo: one HTTP
// server on 127.0.0.1 serving ECS, ECR (and a Docker Registry v2 endpoint),
// IAM, STS, SSM, Secrets Manager, CloudWatch Logs, ELBv2, Application Auto
// Scaling, CloudFormation, S3 and CodeDeploy (package codedeploy) over their
// real wire protocols, so that unmodified clients (aws-sdk-go-v2, the AWS
// CLI) work against it.
//
// It models AWS, not doppio: shapes, error names and rollout semantics follow
// the AWS API reference. Tests seed state, inject faults, read the request log
// and own the clock through the Go API.
package awsemu

import (
	"errors"
	"fmt"
	"github.com/doppio-ecs/doppio/tests/awsemu/core"
	"github.com/doppio-ecs/doppio/tests/awsemu/ssmsessions"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// Options configure an Emulator.
type Options struct {
	// Clock drives rollouts and timestamps. Default: a ManualClock.
	Clock Clock
	// Seed makes injected faults and generated IDs repeatable.
	Seed int64
	// Region and AccountID appear in every ARN. Defaults: us-east-1, 123456789012.
	Region    string
	AccountID string
	// Logger receives one debug line per request when set.
	Logger *slog.Logger
}

// Emulator is the server. Create it with New, then Start it (or mount
// ServeHTTP yourself).
type Emulator struct {
	opts  Options
	clock Clock
	Log   *RequestLog
	// core routes the awsJson and awsQuery services and applies faults.
	core *core.Server

	s3       http.Handler
	registry http.Handler // Docker Registry HTTP API v2, under /v2/

	// sessions maps access key IDs issued by STS AssumeRole to the
	// assumed-role identity, so requests signed with them act as that role.
	sessionMu sync.Mutex
	sessions  map[string]identity

	// Service state. Each service guards its own state.
	services serviceSet
	// sessions is Session Manager (SSM StartSession, ECS ExecuteCommand).
	ssmSessions *ssmsessions.Store

	listener net.Listener
	server   *http.Server
	url      string

	panicMu sync.Mutex
	panics  []string
}

// New builds an emulator with empty state.
func New(opts Options) *Emulator {
	if opts.Clock == nil {
		opts.Clock = NewManualClock(time.Time{})
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "123456789012"
	}
	srv := core.NewServer(opts.Clock, opts.Seed)
	srv.Log.Logger = opts.Logger
	e := &Emulator{opts: opts, clock: opts.Clock, Log: srv.Log, core: srv}
	srv.Identify = e.callerOf
	e.registerServices()
	return e
}

// Sessions are the Session Manager sessions opened so far (SSM StartSession
// and ECS ExecuteCommand), oldest first.
func (e *Emulator) Sessions() []ssmsessions.Session { return e.ssmSessions.Sessions() }

// Clock returns the emulator's clock.
func (e *Emulator) Clock() Clock { return e.clock }

// Region is the emulated region.
func (e *Emulator) Region() string { return e.opts.Region }

// AccountID is the emulated account.
func (e *Emulator) AccountID() string { return e.opts.AccountID }

// Start listens on addr ("127.0.0.1:0" when empty) and serves in the background.
func (e *Emulator) Start(addr string) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	e.listener = ln
	e.url = "http://" + ln.Addr().String()
	e.server = &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.server.Serve(ln) }()
	return nil
}

// URL is the base URL once started, e.g. http://127.0.0.1:43117.
func (e *Emulator) URL() string { return e.url }

// Close stops the server. It reports requests whose handler panicked: each
// is an emulator bug that a client only saw as a 500 it might have retried.
func (e *Emulator) Close() error {
	var err error
	if e.server != nil {
		err = e.server.Close()
	}
	e.panicMu.Lock()
	defer e.panicMu.Unlock()
	if len(e.panics) > 0 {
		err = errors.Join(err, fmt.Errorf("awsemu: %d request(s) panicked; the first:\n%s", len(e.panics), e.panics[0]))
	}
	return err
}

// recoverHandler answers a panicking request with a 500, as AWS answers its
// own internal errors, and keeps the panic for Close. Without it net/http
// drops the connection and the client sees a bare connection reset.
func (e *Emulator) recoverHandler(w http.ResponseWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	what := r.Method + " " + r.URL.Path
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		what = target
	}
	msg := fmt.Sprintf("%s: %v\n%s", what, v, debug.Stack())
	e.panicMu.Lock()
	e.panics = append(e.panics, msg)
	e.panicMu.Unlock()
	if e.opts.Logger != nil {
		e.opts.Logger.Error("handler panic", "request", what, "panic", fmt.Sprint(v))
	}
	writeJSONError(w, &APIError{Code: "InternalFailure", Message: fmt.Sprintf("awsemu: %s panicked: %v", what, v), Status: 500})
}

// Env is the environment a client needs to talk to this emulator.
func (e *Emulator) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + e.url,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION=" + e.opts.Region,
		"AWS_DEFAULT_REGION=" + e.opts.Region,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// SetFault injects fault into operations matching pattern: "ECS.UpdateService",
// "ECS.*" or "*". A zero Fault removes the rule.
func (e *Emulator) SetFault(pattern string, f Fault) { e.core.Faults.Set(pattern, f) }

// SetRateLimit gives each operation matching pattern a token bucket of l
// (ECS.DescribeServices, ECS.* or *), or the bucket l.Bucket that the
// operations naming it share; calls over it are throttled as AWS throttles
// them. A zero RateLimit removes it.
func (e *Emulator) SetRateLimit(pattern string, l RateLimit) { e.core.Faults.SetRateLimit(pattern, l) }

// ClearFaults removes every fault rule and rate limit.
func (e *Emulator) ClearFaults() { e.core.Faults.Clear() }

// newID returns a random-looking but unique hex id of n bytes.
func (e *Emulator) newID(n int) string { return e.core.NewID(n) }

func (e *Emulator) now() time.Time { return e.core.Now() }

var credentialScope = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request`)

func (e *Emulator) addSession(accessKeyID string, who identity) {
	e.sessionMu.Lock()
	defer e.sessionMu.Unlock()
	if e.sessions == nil {
		e.sessions = map[string]identity{}
	}
	e.sessions[accessKeyID] = who
}

// callerOf is the identity behind a SigV4-signed request: an assumed role
// for session credentials the emulator issued, else the emulator's user.
// Unsigned requests (the registry's Basic auth) have none.
// It runs on every request, so it cuts the header instead of matching it.
func (e *Emulator) callerOf(r *http.Request) identity {
	_, rest, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return identity{}
	}
	accessKeyID, _, ok := strings.Cut(rest, "/")
	if !ok {
		return identity{}
	}
	e.sessionMu.Lock()
	who, ok := e.sessions[accessKeyID]
	e.sessionMu.Unlock()
	if ok {
		return who
	}
	return identity{ARN: e.CallerARN()}
}

// ServeHTTP routes a request to the service it is for.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if mc, ok := e.clock.(*ManualClock); ok {
			mc.Step()
		}
	}()
	defer e.recoverHandler(w, r)
	if strings.HasPrefix(r.URL.Path, "/v2/") || r.URL.Path == "/v2" {
		if e.registry != nil {
			e.serveRegistry(w, r)
			return
		}
	}
	signingName := ""
	if r.Header.Get("X-Amz-Target") == "" {
		if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			signingName = m[2]
		}
	}
	if e.core.ServeAPI(w, r, signingName) {
		return
	}
	if signingName == "lambda" || strings.HasPrefix(r.URL.Path, "/2015-03-31/functions") {
		e.serveLambda(w, r)
		return
	}
	if e.s3 != nil && (signingName == "s3" || signingName == "") {
		e.serveS3(w, r)
		return
	}
	http.Error(w, "awsemu: no emulated service for this request", http.StatusNotFound)
}

// applyFaults decides injected misbehaviour for REST calls (S3, the registry).
func (e *Emulator) applyFaults(w http.ResponseWriter, r *http.Request, service, op string, throttleCode string, writeErr func(http.ResponseWriter, *APIError)) (core.Verdict, bool, *APIError) {
	return e.core.ApplyFaults(w, r, service, op, throttleCode, writeErr)
}
