// Package awsemu is an AWS emulator for doppio's tests and demo: one HTTP
// server on 127.0.0.1 serving ECS, ECR (and a Docker Registry v2 endpoint),
// IAM, STS, SSM, Secrets Manager, CloudWatch Logs, ELBv2, Application Auto
// Scaling, CloudFormation and S3 over their real wire protocols, so that
// unmodified clients (aws-sdk-go-v2, the AWS CLI) work against it.
//
// It models AWS, not doppio: shapes, error names and rollout semantics follow
// the AWS API reference. Tests seed state, inject faults, read the request log
// and own the clock through the Go API.
package awsemu

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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
	opts   Options
	clock  Clock
	Log    *RequestLog
	faults *faults

	jsonServices  map[string]*jsonService  // by X-Amz-Target prefix
	queryServices map[string]*queryService // by SigV4 signing name
	queryVersions map[string]*queryService // by API Version, for unsigned requests
	s3            http.Handler
	registry      http.Handler // Docker Registry HTTP API v2, under /v2/

	idMu  sync.Mutex
	idSeq uint64

	// sessions maps access key IDs issued by STS AssumeRole to the
	// assumed-role identity, so requests signed with them act as that role.
	sessionMu sync.Mutex
	sessions  map[string]identity

	// Service state. Each service guards its own state.
	services serviceSet

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
	e := &Emulator{
		opts:          opts,
		clock:         opts.Clock,
		Log:           &RequestLog{},
		faults:        newFaults(opts.Seed),
		jsonServices:  map[string]*jsonService{},
		queryServices: map[string]*queryService{},
		queryVersions: map[string]*queryService{},
	}
	e.registerServices()
	return e
}

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
func (e *Emulator) SetFault(pattern string, f Fault) { e.faults.set(normalizePattern(pattern), f) }

// ClearFaults removes every fault rule.
func (e *Emulator) ClearFaults() { e.faults.clear() }

// newID returns a random-looking but repeatable hex id of n bytes.
func (e *Emulator) newID(n int) string {
	e.idMu.Lock()
	e.idSeq++
	seq := e.idSeq
	e.idMu.Unlock()
	b := make([]byte, n)
	// Mix the sequence into random bytes: unique within a run, and a
	// client cannot mistake two IDs for each other.
	_, _ = rand.Read(b)
	for i := 0; i < 8 && i < n; i++ {
		b[n-1-i] = byte(seq >> (8 * i))
	}
	return hex.EncodeToString(b)
}

func (e *Emulator) now() time.Time { return e.clock.Now().UTC() }

var credentialScope = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request`)

// identity is who signed a request. id is empty for the emulator's user.
type identity struct {
	arn, id string
}

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
	return identity{arn: e.CallerARN()}
}

// ServeHTTP routes a request to the service it is for.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if mc, ok := e.clock.(*ManualClock); ok {
			mc.step()
		}
	}()
	defer e.recoverHandler(w, r)
	if strings.HasPrefix(r.URL.Path, "/v2/") || r.URL.Path == "/v2" {
		if e.registry != nil {
			e.serveRegistry(w, r)
			return
		}
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		prefix, op, _ := strings.Cut(target, ".")
		if svc, ok := e.jsonServices[prefix]; ok {
			svc.serve(e, w, r, op)
			return
		}
		writeJSONError(w, &APIError{Code: "UnknownOperationException", Message: "Unknown target " + target, Status: 400})
		return
	}
	signingName := ""
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		signingName = m[2]
	}
	if svc, ok := e.queryServices[signingName]; ok {
		svc.serve(e, w, r)
		return
	}
	if signingName == "" && r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if err := r.ParseForm(); err == nil {
			if svc, ok := e.queryVersions[r.PostForm.Get("Version")]; ok {
				svc.serve(e, w, r)
				return
			}
		}
	}
	if e.s3 != nil && (signingName == "s3" || signingName == "") {
		e.serveS3(w, r)
		return
	}
	http.Error(w, "awsemu: no emulated service for this request", http.StatusNotFound)
}

// APIError is an AWS error response: Code is the exception name AWS sends
// (ClusterNotFoundException, NoSuchEntity ...).
type APIError struct {
	Code    string
	Message string
	Status  int // HTTP status; 400 when zero
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

func (e *APIError) status() int {
	if e.Status == 0 {
		return http.StatusBadRequest
	}
	return e.Status
}

func apiErr(code, format string, args ...any) *APIError {
	return &APIError{Code: code, Message: fmt.Sprintf(format, args...)}
}

func asAPIError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return &APIError{Code: "InternalFailure", Message: err.Error(), Status: 500}
}

// applyFaults decides injected misbehaviour; it returns true when the call was
// answered (or dropped) by the fault and must not reach the service.
func (e *Emulator) applyFaults(w http.ResponseWriter, service, op string, throttleCode string, writeErr func(http.ResponseWriter, *APIError)) (bool, *APIError) {
	v := e.faults.decide(service, op)
	if v.latency > 0 {
		time.Sleep(v.latency)
	}
	switch {
	case v.drop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true, &APIError{Code: "(dropped)", Status: 0}
			}
		}
		ae := &APIError{Code: "InternalFailure", Message: "connection dropped", Status: 500}
		writeErr(w, ae)
		return true, ae
	case v.throttle:
		ae := &APIError{Code: throttleCode, Message: "Rate exceeded", Status: 400}
		writeErr(w, ae)
		return true, ae
	case v.status != 0:
		code := "InternalFailure"
		if v.status == 503 {
			code = "ServiceUnavailable"
		}
		ae := &APIError{Code: code, Message: "injected server error", Status: v.status}
		writeErr(w, ae)
		return true, ae
	}
	return false, nil
}

func readBody(r *http.Request) ([]byte, error) {
	defer r.Body.Close()
	return io.ReadAll(io.LimitReader(r.Body, 32<<20))
}
