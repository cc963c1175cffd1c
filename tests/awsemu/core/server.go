// Package core is what every emulated AWS service shares: the wire protocols
// (awsJson and awsQuery), the clock, injected faults, generated ids and the
// request log. Each service registers its operations on one Server; the
// Server routes a request to them, logs it and applies faults around it.
package core

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Identity is who signed a request. ID is empty for the emulator's own user.
type Identity struct {
	ARN, ID string
}

// Server routes API requests to the services registered on it.
type Server struct {
	Clock  Clock
	Log    *RequestLog
	Faults *Faults
	// Identify tells who signed a request; nil means nobody.
	Identify func(*http.Request) Identity

	jsonServices  map[string]*JSONService  // by X-Amz-Target prefix
	queryServices map[string]*QueryService // by SigV4 signing name
	queryVersions map[string]*QueryService // by API Version, for unsigned requests

	idMu  sync.Mutex
	idSeq uint64
}

// NewServer makes a Server on clock whose faults are seeded with seed.
func NewServer(clock Clock, seed int64) *Server {
	return &Server{
		Clock:         clock,
		Log:           &RequestLog{},
		Faults:        NewFaults(seed),
		jsonServices:  map[string]*JSONService{},
		queryServices: map[string]*QueryService{},
		queryVersions: map[string]*QueryService{},
	}
}

// Now is the clock's time in UTC.
func (s *Server) Now() time.Time { return s.Clock.Now().UTC() }

// NewID returns a random-looking but unique hex id of n bytes.
func (s *Server) NewID(n int) string {
	s.idMu.Lock()
	s.idSeq++
	seq := s.idSeq
	s.idMu.Unlock()
	b := make([]byte, n)
	// Mix the sequence into random bytes: unique within a run, and a
	// client cannot mistake two IDs for each other.
	_, _ = rand.Read(b)
	for i := 0; i < 8 && i < n; i++ {
		b[n-1-i] = byte(seq >> (8 * i))
	}
	return hex.EncodeToString(b)
}

func (s *Server) identify(r *http.Request) Identity {
	if s.Identify == nil {
		return Identity{}
	}
	return s.Identify(r)
}

// AddJSONService routes X-Amz-Target "<targetPrefix>.<Op>" to ops. name is
// the service's name in the request log and in fault patterns.
func (s *Server) AddJSONService(targetPrefix, name string, lowerFirst bool, ops map[string]JSONOp) {
	s.jsonServices[targetPrefix] = &JSONService{name: name, lowerFirst: lowerFirst, ops: ops}
	addAlias(name)
}

// AddQueryService routes awsQuery requests signed for signingName (or, when
// unsigned, carrying Version=version) to ops.
func (s *Server) AddQueryService(signingName, name, xmlns, version string, ops map[string]QueryOp) {
	svc := &QueryService{name: name, xmlns: xmlns, version: version, ops: ops}
	s.queryServices[signingName] = svc
	s.queryVersions[version] = svc
	addAlias(name)
}

// AddEC2Service routes requests in EC2's flavour of the query protocol (signed
// for signingName, or unsigned with Version=version) to ops.
func (s *Server) AddEC2Service(signingName, name, xmlns, version string, ops map[string]QueryOp) {
	s.AddQueryService(signingName, name, xmlns, version, ops)
	s.queryServices[signingName].ec2 = true
}

// ServeAPI serves r when it is an awsJson or awsQuery call of a registered
// service and tells whether it did; the caller serves everything else (REST
// services). signingName is the service named in the request's SigV4 scope.
func (s *Server) ServeAPI(w http.ResponseWriter, r *http.Request, signingName string) bool {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		prefix, op, _ := strings.Cut(target, ".")
		if svc, ok := s.jsonServices[prefix]; ok {
			s.date(w)
			svc.serve(s, w, r, op)
			return true
		}
		WriteJSONError(w, &APIError{Code: "UnknownOperationException", Message: "Unknown target " + target, Status: 400})
		return true
	}
	if svc, ok := s.queryServices[signingName]; ok {
		s.date(w)
		svc.serve(s, w, r)
		return true
	}
	if signingName == "" && r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if err := r.ParseForm(); err == nil {
			if svc, ok := s.queryVersions[r.PostForm.Get("Version")]; ok {
				s.date(w)
				svc.serve(s, w, r)
				return true
			}
		}
	}
	return false
}

// date dates an answer by the emulator's clock, as AWS dates its answers
// by its own, the clock of the timestamps in them (net/http would write the
// wall clock's). Clients that correct clock skew, like the Go SDK, then sign
// by it; the REST services (S3, whose model checks the request time against
// the wall clock, the registry, Lambda) keep net/http's.
func (s *Server) date(w http.ResponseWriter) {
	w.Header().Set("Date", s.Now().Format(http.TimeFormat))
}

// ApplyFaults decides injected misbehaviour for one call; done is true when
// the call was answered (or dropped, or stalled) by the fault and must not
// reach the service. writeErr writes an error in the service's protocol.
// When v.DropAfter() the caller serves the call, then calls HangUp instead
// of answering.
func (s *Server) ApplyFaults(w http.ResponseWriter, r *http.Request, service, op string, throttleCode string, writeErr func(http.ResponseWriter, *APIError)) (v Verdict, done bool, ae *APIError) {
	v = s.Faults.decide(service, op)
	if v.latency > 0 {
		time.Sleep(v.latency)
	}
	switch {
	case v.stall:
		// Hold the request until the client gives up or the server closes.
		// The body is read first: net/http watches the connection for the
		// client's hang-up (and cancels the context) only once the body is
		// consumed; otherwise the call would stay open, and out of the
		// request log, until the server closes.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
		return v, true, &APIError{Code: "(stalled)", Status: 0}
	case v.drop:
		if HangUp(w) {
			return v, true, &APIError{Code: "(dropped)", Status: 0}
		}
		ae := &APIError{Code: "InternalFailure", Message: "connection dropped", Status: 500}
		writeErr(w, ae)
		return v, true, ae
	case v.throttle:
		ae := &APIError{Code: throttleCode, Message: "Rate exceeded", Status: 400}
		writeErr(w, ae)
		return v, true, ae
	case v.deny:
		code := "AccessDenied" // awsQuery and REST services
		if throttleCode == "ThrottlingException" {
			code = "AccessDeniedException" // awsJson services
		}
		ae := &APIError{Code: code, Message: fmt.Sprintf("User: %s is not authorized to perform: %s:%s", s.identify(r).ARN, strings.ToLower(service), op), Status: 400}
		writeErr(w, ae)
		return v, true, ae
	case v.status != 0:
		code := "InternalFailure"
		if v.status == 503 {
			code = "ServiceUnavailable"
		}
		ae := &APIError{Code: code, Message: "injected server error", Status: v.status}
		writeErr(w, ae)
		return v, true, ae
	}
	return v, false, nil
}

// DroppedAfterApply is the error code the request log keeps for a call that
// took effect but whose answer a fault discarded; its status stays 200.
const DroppedAfterApply = "(answer dropped)"

// HangUp closes the client's connection without an answer.
func HangUp(w http.ResponseWriter) bool {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

// ReadBody reads a request body of at most 32 MB.
func ReadBody(r *http.Request) ([]byte, error) {
	defer r.Body.Close()
	return io.ReadAll(io.LimitReader(r.Body, 32<<20))
}

// AddJSONOps adds operations to a registered awsJson service, so that one
// service's operations can live in several files or packages.
func (s *Server) AddJSONOps(targetPrefix string, ops map[string]JSONOp) {
	svc := s.jsonServices[targetPrefix]
	for name, fn := range ops {
		svc.ops[name] = fn
	}
}

// ReplaceJSONOp swaps the handler of one registered awsJson operation, so a
// test can make it misbehave in ways faults cannot (a panic, say).
func (s *Server) ReplaceJSONOp(targetPrefix, op string, fn JSONOp) {
	s.jsonServices[targetPrefix].ops[op] = fn
}

// AddQueryOps adds operations to the awsQuery service registered for
// signingName, so a service's operations can live in several files.
func (s *Server) AddQueryOps(signingName string, ops map[string]QueryOp) {
	svc := s.queryServices[signingName]
	for name, fn := range ops {
		svc.ops[name] = fn
	}
}
