// Package iampolicy evaluates IAM identity policies the way IAM's policy
// simulator does for identity-based policies: an explicit Deny wins, then any
// Allow, else the request is implicitly denied. It knows Effect, Action,
// NotAction, Resource and NotResource with IAM's wildcards (* and ?, actions
// case-insensitive); statements with a Condition are evaluated as if the
// condition held, since a simulation without context values cannot decide it
// (the result says so in MatchedStatements' Condition flag).
//
// It holds no state: the IAM service of the emulator keeps the roles and
// their policies and asks this package for a decision.
package iampolicy

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Decision is what IAM's SimulatePrincipalPolicy reports per action.
type Decision string

const (
	Allowed      Decision = "allowed"
	ExplicitDeny Decision = "explicitDeny"
	ImplicitDeny Decision = "implicitDeny"
)

// Document is a parsed policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"-"`
}

// Statement is one statement; Action, Resource and their Not forms accept a
// string or a list, as IAM does.
type Statement struct {
	Sid         string          `json:"Sid,omitempty"`
	Effect      string          `json:"Effect"`
	Action      stringList      `json:"Action,omitempty"`
	NotAction   stringList      `json:"NotAction,omitempty"`
	Resource    stringList      `json:"Resource,omitempty"`
	NotResource stringList      `json:"NotResource,omitempty"`
	Condition   json.RawMessage `json:"Condition,omitempty"`
}

type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("must be a string or a list of strings")
	}
	*l = many
	return nil
}

// Parse reads a policy document; Statement may be one object or a list.
// Errors read like IAM's MalformedPolicyDocument messages.
func Parse(text string) (*Document, error) {
	var raw struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return nil, fmt.Errorf("Syntax errors in policy.")
	}
	doc := &Document{Version: raw.Version}
	if len(raw.Statement) == 0 {
		return nil, fmt.Errorf("Policy document must contain a Statement.")
	}
	if raw.Statement[0] == '{' {
		var st Statement
		if err := json.Unmarshal(raw.Statement, &st); err != nil {
			return nil, fmt.Errorf("Syntax errors in policy: %v.", err)
		}
		doc.Statement = []Statement{st}
	} else if err := json.Unmarshal(raw.Statement, &doc.Statement); err != nil {
		return nil, fmt.Errorf("Syntax errors in policy: %v.", err)
	}
	if len(doc.Statement) == 0 {
		return nil, fmt.Errorf("Policy document must contain a Statement.")
	}
	for i, st := range doc.Statement {
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return nil, fmt.Errorf("Statement %d: Effect must be Allow or Deny, got %q.", i+1, st.Effect)
		}
		if (len(st.Action) == 0) == (len(st.NotAction) == 0) {
			return nil, fmt.Errorf("Statement %d: exactly one of Action and NotAction is required.", i+1)
		}
		if (len(st.Resource) == 0) == (len(st.NotResource) == 0) {
			return nil, fmt.Errorf("Statement %d: exactly one of Resource and NotResource is required.", i+1)
		}
	}
	return doc, nil
}

// Source is a named policy of a principal, e.g. an inline policy "exec" or a
// managed policy's ARN.
type Source struct {
	ID       string
	Document *Document
}

// Match is a statement that decided a result.
type Match struct {
	SourceID  string
	Index     int // statement index in its document
	Condition bool
}

// Evaluate decides action on resource against every source.
func Evaluate(sources []Source, action, resource string) (Decision, []Match) {
	var allows, denies []Match
	for _, src := range sources {
		for i, st := range src.Document.Statement {
			if !st.matches(action, resource) {
				continue
			}
			m := Match{SourceID: src.ID, Index: i, Condition: len(st.Condition) > 0}
			if st.Effect == "Deny" {
				denies = append(denies, m)
			} else {
				allows = append(allows, m)
			}
		}
	}
	switch {
	case len(denies) > 0:
		return ExplicitDeny, denies
	case len(allows) > 0:
		return Allowed, allows
	}
	return ImplicitDeny, nil
}

func (st Statement) matches(action, resource string) bool {
	if len(st.Action) > 0 && !anyMatch(st.Action, action, true) {
		return false
	}
	if len(st.NotAction) > 0 && anyMatch(st.NotAction, action, true) {
		return false
	}
	if len(st.Resource) > 0 && !anyMatch(st.Resource, resource, false) {
		return false
	}
	if len(st.NotResource) > 0 && anyMatch(st.NotResource, resource, false) {
		return false
	}
	return true
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p, s = strings.ToLower(p), strings.ToLower(s)
		}
		if Wildcard(p, s) {
			return true
		}
	}
	return false
}

// Wildcard matches s against an IAM pattern: * is any run of characters, ?
// any one character.
func Wildcard(pattern, s string) bool {
	// Iterative glob with backtracking to the last star: linear enough for
	// the short strings of policies.
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
