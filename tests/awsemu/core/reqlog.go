package core

import (
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Request is one served (or refused) API call as the request log keeps it.
type Request struct {
	Time      time.Time         `json:"time"`
	Service   string            `json:"service"`
	Operation string            `json:"operation"`
	Params    map[string]string `json:"params,omitempty"`
	// Members are the top-level members of a JSON request body exactly as
	// the client sent them (false, 0, "" and [] included), so a test can
	// tell a member sent with a zero value from one not sent. Members named
	// like secrets (value, secretString ...) are left out.
	Members   map[string]json.RawMessage `json:"members,omitempty"`
	Status    int                        `json:"status"`
	ErrorCode string                     `json:"errorCode,omitempty"`
	Mutating  bool                       `json:"mutating"`
	// Caller is the identity that signed the request: the emulator's user,
	// or the assumed-role ARN for credentials STS AssumeRole handed out.
	Caller string `json:"caller,omitempty"`
}

// RequestLog records every request the emulator sees.
type RequestLog struct {
	// Logger, when set, gets a debug line per request (awsemu -v).
	Logger *slog.Logger

	mu   sync.Mutex
	reqs []Request
}

// Add records one request.
func (l *RequestLog) Add(r Request) {
	l.mu.Lock()
	l.reqs = append(l.reqs, r)
	l.mu.Unlock()
	if l.Logger != nil {
		l.Logger.Debug("request", "service", r.Service, "operation", r.Operation, "status", r.Status, "errorCode", r.ErrorCode, "mutating", r.Mutating)
	}
}

// All returns a copy of every request so far.
func (l *RequestLog) All() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Request(nil), l.reqs...)
}

// Len is the number of requests so far; use it as a mark for Since.
func (l *RequestLog) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.reqs)
}

// Since returns the requests after mark (a value of Len).
func (l *RequestLog) Since(mark int) []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	if mark > len(l.reqs) {
		return nil
	}
	return append([]Request(nil), l.reqs[mark:]...)
}

// Count counts successful and failed calls of one operation ("ECS.UpdateService"
// or just "UpdateService").
func (l *RequestLog) Count(op string) int {
	n := 0
	for _, r := range l.All() {
		if r.Operation == op || r.Service+"."+r.Operation == op {
			n++
		}
	}
	return n
}

// Mutating returns the mutating calls after mark.
func (l *RequestLog) Mutating(mark int) []Request {
	var out []Request
	for _, r := range l.Since(mark) {
		if r.Mutating {
			out = append(out, r)
		}
	}
	return out
}

// Reset forgets every request.
func (l *RequestLog) Reset() {
	l.mu.Lock()
	l.reqs = nil
	l.mu.Unlock()
}

// WriteJSONLines dumps the log as one JSON object per line.
func (l *RequestLog) WriteJSONLines(w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, r := range l.All() {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

var mutatingPrefixes = []string{
	"Create", "Update", "Delete", "Register", "Deregister", "Put", "Tag", "Untag",
	"Run", "Stop", "Start", "Submit", "Set", "Modify", "Attach", "Detach", "Continue",
	"Execute", "Terminate", // ECS ExecuteCommand opens a session, SSM TerminateSession ends one
	"PutObject", "Upload", "Complete", "Abort", "Batch" + "Delete",
}

// IsMutating tells whether an operation changes state in AWS.
func IsMutating(op string) bool {
	for _, p := range mutatingPrefixes {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}
