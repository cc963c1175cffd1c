package awsemu

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/doppio-ecs/doppio/tests/awsemu/iampolicy"
)

// Role policies and IAM's policy simulator. The emulator enforces IAM for
// one call only: SimulatePrincipalPolicy by an assumed role needs
// iam:SimulatePrincipalPolicy in that role's policies, as in AWS (the
// emulator's own user may do everything). Every other call is allowed.

type iamPolicy struct {
	name, arn, id, document string
}

// PolicySpec describes a customer managed policy to seed.
type PolicySpec struct {
	Name string `json:"name" yaml:"name"`
	// Document is the policy: a JSON string or an object.
	Document any `json:"document" yaml:"document"`
}

// policyJSON is a policy given as a JSON string, bytes or a JSON-encodable value.
func policyJSON(v any) (string, error) {
	switch p := v.(type) {
	case string:
		if !json.Valid([]byte(p)) {
			return "", fmt.Errorf("not valid JSON")
		}
		return p, nil
	case []byte:
		if !json.Valid(p) {
			return "", fmt.Errorf("not valid JSON")
		}
		return string(p), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	return string(b), nil
}

// PutPolicy creates (or replaces) a customer managed policy and returns its ARN.
func (e *Emulator) PutPolicy(spec PolicySpec) (string, error) {
	text, err := policyJSON(spec.Document)
	if err == nil {
		_, err = iampolicy.Parse(text)
	}
	if err != nil {
		return "", fmt.Errorf("put IAM policy %s: %w", spec.Name, err)
	}
	s := e.services.iam
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putPolicy(spec.Name, text).arn, nil
}

func (s *iamService) putPolicy(name, text string) *iamPolicy {
	arn := fmt.Sprintf("arn:aws:iam::%s:policy/%s", s.e.AccountID(), name)
	p := &iamPolicy{name: name, arn: arn, document: text, id: "ANPA" + strings.ToUpper(s.e.newID(9))[:17]}
	if old := s.policies[arn]; old != nil {
		p.id = old.id
	}
	s.policies[arn] = p
	return p
}

func (s *iamService) role(c *call) (*iamRole, error) {
	name := c.Form.Get("RoleName")
	if name == "" {
		return nil, &APIError{Code: "ValidationError", Message: "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null"}
	}
	r := s.roles[name]
	if r == nil {
		return nil, &APIError{Code: "NoSuchEntity", Message: fmt.Sprintf("The role with name %s cannot be found.", name), Status: 404}
	}
	return r, nil
}

func malformed(err error) *APIError {
	return &APIError{Code: "MalformedPolicyDocument", Message: err.Error()}
}

func (s *iamService) createPolicy(c *call) (any, error) {
	name, doc := c.Form.Get("PolicyName"), c.Form.Get("PolicyDocument")
	if name == "" || doc == "" {
		return nil, &APIError{Code: "ValidationError", Message: "1 validation error detected: PolicyName and PolicyDocument are required"}
	}
	if _, err := iampolicy.Parse(doc); err != nil {
		return nil, malformed(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.policies[fmt.Sprintf("arn:aws:iam::%s:policy/%s", s.e.AccountID(), name)] != nil {
		return nil, &APIError{Code: "EntityAlreadyExists", Message: fmt.Sprintf("A policy called %s already exists. Duplicate names are not allowed.", name), Status: 409}
	}
	p := s.putPolicy(name, doc)
	type policyXML struct {
		PolicyName       string `xml:"PolicyName"`
		PolicyId         string `xml:"PolicyId"`
		Arn              string `xml:"Arn"`
		Path             string `xml:"Path"`
		DefaultVersionId string `xml:"DefaultVersionId"`
		AttachmentCount  int    `xml:"AttachmentCount"`
		IsAttachable     bool   `xml:"IsAttachable"`
	}
	return struct {
		Policy policyXML `xml:"Policy"`
	}{policyXML{PolicyName: p.name, PolicyId: p.id, Arn: p.arn, Path: "/", DefaultVersionId: "v1", IsAttachable: true}}, nil
}

func (s *iamService) putRolePolicy(c *call) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.role(c)
	if err != nil {
		return nil, err
	}
	name, doc := c.Form.Get("PolicyName"), c.Form.Get("PolicyDocument")
	if name == "" || doc == "" {
		return nil, &APIError{Code: "ValidationError", Message: "1 validation error detected: PolicyName and PolicyDocument are required"}
	}
	if _, err := iampolicy.Parse(doc); err != nil {
		return nil, malformed(err)
	}
	if r.inline == nil {
		r.inline = map[string]string{}
	}
	r.inline[name] = doc
	return struct{}{}, nil
}

func (s *iamService) attachRolePolicy(c *call) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.role(c)
	if err != nil {
		return nil, err
	}
	arn := c.Form.Get("PolicyArn")
	// AWS managed policies (arn:aws:iam::aws:policy/...) exist in every
	// account; the emulator knows their names, not their statements.
	if s.policies[arn] == nil && !strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") {
		return nil, &APIError{Code: "NoSuchEntity", Message: fmt.Sprintf("Policy %s does not exist or is not attachable.", arn), Status: 404}
	}
	for _, a := range r.attached {
		if a == arn {
			return struct{}{}, nil
		}
	}
	r.attached = append(r.attached, arn)
	return struct{}{}, nil
}

func (s *iamService) listRolePolicies(c *call) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.role(c)
	if err != nil {
		return nil, err
	}
	return struct {
		PolicyNames []string `xml:"PolicyNames>member"`
		IsTruncated bool     `xml:"IsTruncated"`
	}{PolicyNames: sortedKeys(r.inline)}, nil
}

func (s *iamService) listAttachedRolePolicies(c *call) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.role(c)
	if err != nil {
		return nil, err
	}
	type attached struct {
		PolicyName string `xml:"PolicyName"`
		PolicyArn  string `xml:"PolicyArn"`
	}
	out := struct {
		AttachedPolicies []attached `xml:"AttachedPolicies>member"`
		IsTruncated      bool       `xml:"IsTruncated"`
	}{AttachedPolicies: []attached{}}
	for _, arn := range r.attached {
		out.AttachedPolicies = append(out.AttachedPolicies, attached{PolicyName: s.policies[arn].name, PolicyArn: arn})
	}
	return out, nil
}

// sources are the role's policies as the simulator reads them: inline
// policies by name, managed ones by ARN. The caller holds s.mu.
func (s *iamService) sources(r *iamRole) []iampolicy.Source {
	var out []iampolicy.Source
	for _, name := range sortedKeys(r.inline) {
		doc, err := iampolicy.Parse(r.inline[name])
		if err == nil {
			out = append(out, iampolicy.Source{ID: name, Document: doc})
		}
	}
	for _, arn := range r.attached {
		if doc, err := iampolicy.Parse(s.policies[arn].document); err == nil {
			out = append(out, iampolicy.Source{ID: arn, Document: doc})
		}
	}
	return out
}

// roleAllows tells whether the role named name may perform action on
// resource (for ECS Exec's agent and for the caller check below).
func (s *iamService) roleAllows(name, action, resource string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.roles[name]
	if r == nil {
		return false
	}
	d, _ := iampolicy.Evaluate(s.sources(r), action, resource)
	return d == iampolicy.Allowed
}

// assumedRoleName is the role behind an assumed-role ARN ("" for others).
func assumedRoleName(arn string) string {
	_, rest, ok := strings.Cut(arn, ":assumed-role/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

type evalResultXML struct {
	EvalActionName       string             `xml:"EvalActionName"`
	EvalResourceName     string             `xml:"EvalResourceName"`
	EvalDecision         string             `xml:"EvalDecision"`
	MatchedStatements    []matchedStatement `xml:"MatchedStatements>member"`
	MissingContextValues []string           `xml:"MissingContextValues>member"`
}

type matchedStatement struct {
	SourcePolicyId   string `xml:"SourcePolicyId"`
	SourcePolicyType string `xml:"SourcePolicyType"`
}

func (s *iamService) simulatePrincipalPolicy(c *call) (any, error) {
	source := c.Form.Get("PolicySourceArn")
	actions := formList(c.Form, "ActionNames")
	if source == "" || len(actions) == 0 {
		return nil, &APIError{Code: "InvalidInput", Message: "PolicySourceArn and ActionNames are required."}
	}
	if caller := assumedRoleName(c.Caller.ARN); caller != "" && !s.roleAllows(caller, "iam:SimulatePrincipalPolicy", source) {
		return nil, &APIError{Code: "AccessDenied", Status: 403, Message: fmt.Sprintf(
			"User: %s is not authorized to perform: iam:SimulatePrincipalPolicy on resource: %s because no identity-based policy allows the iam:SimulatePrincipalPolicy action", c.Caller.ARN, source)}
	}
	resources := formList(c.Form, "ResourceArns")
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	// The emulator's own user may do everything: one statement allows it.
	sources := []iampolicy.Source{{ID: "awsemu-admin", Document: &iampolicy.Document{Statement: []iampolicy.Statement{{Effect: "Allow", Action: []string{"*"}, Resource: []string{"*"}}}}}}
	s.mu.Lock()
	defer s.mu.Unlock()
	if source != s.e.CallerARN() {
		var role *iamRole
		for _, r := range s.roles {
			if s.arn(r) == source {
				role = r
			}
		}
		if role == nil {
			return nil, &APIError{Code: "NoSuchEntity", Status: 404, Message: fmt.Sprintf("Role %s cannot be found.", source)}
		}
		sources = s.sources(role)
	}
	out := struct {
		EvaluationResults []evalResultXML `xml:"EvaluationResults>member"`
		IsTruncated       bool            `xml:"IsTruncated"`
	}{EvaluationResults: []evalResultXML{}}
	for _, action := range actions {
		for _, res := range resources {
			d, matches := iampolicy.Evaluate(sources, action, res)
			r := evalResultXML{EvalActionName: action, EvalResourceName: res, EvalDecision: string(d), MatchedStatements: []matchedStatement{}, MissingContextValues: []string{}}
			for _, m := range matches {
				r.MatchedStatements = append(r.MatchedStatements, matchedStatement{SourcePolicyId: m.SourceID, SourcePolicyType: "IAM Policy"})
			}
			out.EvaluationResults = append(out.EvaluationResults, r)
		}
	}
	return out, nil
}
