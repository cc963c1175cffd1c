// Package ssmsessions is Session Manager, the part of AWS Systems Manager
// that opens shell and port-forwarding sessions (StartSession,
// TerminateSession, ResumeSession, DescribeSessions). ECS Exec opens its
// sessions here too: ECS ExecuteCommand calls Open.
//
// SSM's other capability in the emulator, Parameter Store, predates the core
// package and still lives in the package awsemu (ssm.go). Both answer under
// the one X-Amz-Target prefix AmazonSSM, so that package registers the
// operations of Ops next to its own: the wire endpoint is shared, state and
// models are not. When Parameter Store moves out, a tests/awsemu/ssm package
// registers both.
package ssmsessions

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/doppio-ecs/doppio/tests/awsemu/core"
)

// The documents StartSession accepts without a DocumentName (a shell) and
// the port-forwarding ones, with their parameters.
var documents = map[string]struct{ required, optional []string }{
	"SSM-SessionManagerRunShell":                 {},
	"AWS-StartPortForwardingSession":             {required: []string{"portNumber"}, optional: []string{"localPortNumber"}},
	"AWS-StartPortForwardingSessionToRemoteHost": {required: []string{"host", "portNumber"}, optional: []string{"localPortNumber"}},
	"AWS-StartInteractiveCommand":                {required: []string{"command"}},
	"AWS-StartNonInteractiveCommand":             {required: []string{"command"}},
	"AWS-StartSSHSession":                        {optional: []string{"portNumber"}},
	"AWS-StartPortForwardingSessionToSocket":     {required: []string{"portNumber"}},
}

// Session is one session as DescribeSessions reports it.
type Session struct {
	ID         string
	Target     string
	Document   string
	Parameters map[string][]string
	Owner      string
	Reason     string
	Status     ssmtypes.SessionStatus
	Start, End time.Time
	StreamURL  string
	Token      string
}

// TargetCheck says whether a session may open on target; an error is
// answered as is (TargetNotConnected ...). The emulator's ECS resolves
// "ecs:<cluster>_<task id>_<container runtime id>" targets.
type TargetCheck func(target string) error

// Store holds the account's sessions.
type Store struct {
	srv    *core.Server
	region string
	check  TargetCheck

	mu       sync.Mutex
	sessions map[string]*Session
	order    []string
}

// New makes an empty store; check decides which targets are connected.
func New(srv *core.Server, region string, check TargetCheck) *Store {
	return &Store{srv: srv, region: region, check: check, sessions: map[string]*Session{}}
}

// Ops are the Session Manager operations, for the AmazonSSM service.
func (s *Store) Ops() map[string]core.JSONOp {
	return map[string]core.JSONOp{
		"StartSession":     s.withCaller(s.startSession),
		"TerminateSession": core.Op(s.terminateSession),
		"ResumeSession":    core.Op(s.resumeSession),
		"DescribeSessions": core.Op(s.describeSessions),
	}
}

func (s *Store) withCaller(fn func(*ssm.StartSessionInput, core.Identity) (any, error)) core.JSONOp {
	return func(c *core.Call) (any, error) {
		in := &ssm.StartSessionInput{}
		if err := c.Decode(in); err != nil {
			return nil, err
		}
		return fn(in, c.Caller)
	}
}

// Open starts a session for target without the target check: ECS
// ExecuteCommand has checked its task already. owner is the caller's ARN.
func (s *Store) Open(target, document string, params map[string][]string, owner, idPrefix string) *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := idPrefix + "-" + s.srv.NewID(9)[1:]
	sess := &Session{
		ID: id, Target: target, Document: document, Parameters: params, Owner: owner,
		Status: ssmtypes.SessionStatusConnected, Start: s.srv.Now(),
		StreamURL: fmt.Sprintf("wss://ssmmessages.%s.amazonaws.com/v1/data-channel/%s?role=publish_subscribe&cell-number=AAEAAQ", s.region, id),
		Token:     "AAEAAf" + s.srv.NewID(48),
	}
	s.sessions[id] = sess
	s.order = append(s.order, id)
	return sess
}

// Sessions returns copies of every session, oldest first.
func (s *Store) Sessions() []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Session, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, *s.sessions[id])
	}
	return out
}

func (s *Store) startSession(in *ssm.StartSessionInput, caller core.Identity) (any, error) {
	target := aws.ToString(in.Target)
	if target == "" {
		return nil, core.APIErr("ValidationException", "1 validation error detected: Value null at 'target' failed to satisfy constraint: Member must not be null")
	}
	doc := aws.ToString(in.DocumentName)
	if doc == "" {
		doc = "SSM-SessionManagerRunShell"
	}
	spec, ok := documents[doc]
	if !ok {
		return nil, core.APIErr("InvalidDocument", "Document with name %s does not exist.", doc)
	}
	for _, p := range spec.required {
		if len(in.Parameters[p]) == 0 {
			return nil, core.APIErr("InvalidParameters", "Parameter \"%s\" is required by document %s.", p, doc)
		}
	}
	known := append(append([]string{}, spec.required...), spec.optional...)
	for p := range in.Parameters {
		if !contains(known, p) {
			return nil, core.APIErr("InvalidParameters", "Parameter \"%s\" is not defined in document %s.", p, doc)
		}
	}
	if s.check != nil {
		if err := s.check(target); err != nil {
			return nil, err
		}
	}
	owner := caller.ARN
	sess := s.Open(target, doc, in.Parameters, owner, sessionPrefix(owner))
	if in.Reason != nil {
		s.mu.Lock()
		sess.Reason = *in.Reason
		s.mu.Unlock()
	}
	return &ssm.StartSessionOutput{SessionId: aws.String(sess.ID), StreamUrl: aws.String(sess.StreamURL), TokenValue: aws.String(sess.Token)}, nil
}

// sessionPrefix is the caller's name, which SSM puts in front of session ids.
func sessionPrefix(arn string) string {
	name := arn[strings.LastIndex(arn, "/")+1:]
	if name == "" {
		return "session"
	}
	return name
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (s *Store) terminateSession(in *ssm.TerminateSessionInput) (any, error) {
	id := aws.ToString(in.SessionId)
	s.mu.Lock()
	defer s.mu.Unlock()
	// TerminateSession is idempotent in SSM: an unknown or ended session
	// is answered with its id too.
	if sess := s.sessions[id]; sess != nil && sess.Status == ssmtypes.SessionStatusConnected {
		sess.Status, sess.End = ssmtypes.SessionStatusTerminated, s.srv.Now()
	}
	return &ssm.TerminateSessionOutput{SessionId: aws.String(id)}, nil
}

func (s *Store) resumeSession(in *ssm.ResumeSessionInput) (any, error) {
	id := aws.ToString(in.SessionId)
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[id]
	if sess == nil || sess.Status != ssmtypes.SessionStatusConnected {
		return nil, core.APIErr("DoesNotExistException", "Session %s does not exist or is not active.", id)
	}
	return &ssm.ResumeSessionOutput{SessionId: aws.String(id), StreamUrl: aws.String(sess.StreamURL), TokenValue: aws.String(sess.Token)}, nil
}

func (s *Store) describeSessions(in *ssm.DescribeSessionsInput) (any, error) {
	if in.State != ssmtypes.SessionStateActive && in.State != ssmtypes.SessionStateHistory {
		return nil, core.APIErr("ValidationException", "1 validation error detected: Value '%s' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [Active, History]", in.State)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &ssm.DescribeSessionsOutput{Sessions: []ssmtypes.Session{}}
	for _, id := range s.order {
		sess := s.sessions[id]
		active := sess.Status == ssmtypes.SessionStatusConnected
		if active != (in.State == ssmtypes.SessionStateActive) || !matchesFilters(sess, in.Filters) {
			continue
		}
		v := ssmtypes.Session{SessionId: aws.String(sess.ID), Target: aws.String(sess.Target), Status: sess.Status,
			DocumentName: aws.String(sess.Document), Owner: aws.String(sess.Owner), StartDate: aws.Time(sess.Start)}
		if sess.Reason != "" {
			v.Reason = aws.String(sess.Reason)
		}
		if !sess.End.IsZero() {
			v.EndDate = aws.Time(sess.End)
		}
		out.Sessions = append(out.Sessions, v)
	}
	sort.SliceStable(out.Sessions, func(i, j int) bool { return out.Sessions[i].StartDate.After(*out.Sessions[j].StartDate) })
	return out, nil
}

func matchesFilters(sess *Session, filters []ssmtypes.SessionFilter) bool {
	for _, f := range filters {
		v := aws.ToString(f.Value)
		switch f.Key {
		case ssmtypes.SessionFilterKeyTargetId:
			if sess.Target != v {
				return false
			}
		case ssmtypes.SessionFilterKeyOwner:
			if sess.Owner != v {
				return false
			}
		case ssmtypes.SessionFilterKeySessionId:
			if sess.ID != v {
				return false
			}
		case ssmtypes.SessionFilterKeyStatus:
			if string(sess.Status) != v {
				return false
			}
		}
	}
	return true
}
