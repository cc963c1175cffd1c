package awsemu

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/doppio-ecs/doppio/tests/awsemu/iampolicy"
)

// iamService holds IAM roles (GetRole), their inline and attached managed
// policies, and is what STS AssumeRole checks. Policies are evaluated by
// tests/awsemu/iampolicy (iam_policies.go).
type iamService struct {
	e        *Emulator
	mu       sync.Mutex
	roles    map[string]*iamRole
	policies map[string]*iamPolicy // managed policies by ARN
}

type iamRole struct {
	name, path, id, description string
	trustPolicy                 string            // JSON text
	inline                      map[string]string // inline policies by name (JSON text)
	attached                    []string          // managed policy ARNs
	created                     time.Time
	maxSession                  int
}

// RoleSpec describes a role to seed.
type RoleSpec struct {
	Name string `json:"name" yaml:"name"`
	// Path defaults to "/".
	Path        string `json:"path,omitempty" yaml:"path,omitempty"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// TrustPolicy is the assume-role policy document: a JSON string or an
	// object (map) encoded to JSON. Default: trusted by ecs-tasks.amazonaws.com.
	TrustPolicy any `json:"trustPolicy,omitempty" yaml:"trustPolicy,omitempty"`
	// Policies are inline policies by name: a JSON string or an object each.
	Policies map[string]any `json:"policies,omitempty" yaml:"policies,omitempty"`
	// ManagedPolicies are the ARNs of attached managed policies (PutPolicy,
	// seed iam.policies).
	ManagedPolicies []string `json:"managedPolicies,omitempty" yaml:"managedPolicies,omitempty"`
}

const iamXMLNS = "https://iam.amazonaws.com/doc/2010-05-08/"

func newIAMService(e *Emulator) *iamService {
	s := &iamService{e: e, roles: map[string]*iamRole{}, policies: map[string]*iamPolicy{}}
	e.addQueryService("iam", "IAM", iamXMLNS, "2010-05-08", map[string]queryOp{
		"GetRole":                  s.getRole,
		"CreatePolicy":             s.createPolicy,
		"PutRolePolicy":            s.putRolePolicy,
		"AttachRolePolicy":         s.attachRolePolicy,
		"ListRolePolicies":         s.listRolePolicies,
		"ListAttachedRolePolicies": s.listAttachedRolePolicies,
		"SimulatePrincipalPolicy":  s.simulatePrincipalPolicy,
	})
	return s
}

const defaultTrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// PutRole creates or replaces an IAM role.
func (e *Emulator) PutRole(spec RoleSpec) (arn string, err error) {
	if spec.Name == "" {
		return "", fmt.Errorf("put IAM role: name is empty")
	}
	policy := defaultTrustPolicy
	if spec.TrustPolicy != nil {
		p, err := policyJSON(spec.TrustPolicy)
		if err != nil {
			return "", fmt.Errorf("put IAM role %s: trust policy: %w", spec.Name, err)
		}
		policy = p
	}
	inline := map[string]string{}
	for name, doc := range spec.Policies {
		text, err := policyJSON(doc)
		if err == nil {
			_, err = iampolicy.Parse(text)
		}
		if err != nil {
			return "", fmt.Errorf("put IAM role %s: policy %s: %w", spec.Name, name, err)
		}
		inline[name] = text
	}
	path := spec.Path
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/") {
		return "", fmt.Errorf("put IAM role %s: path %q must begin and end with /", spec.Name, path)
	}
	s := e.services.iam
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, arn := range spec.ManagedPolicies {
		if s.policies[arn] == nil {
			return "", fmt.Errorf("put IAM role %s: managed policy %s does not exist (seed it under iam.policies first)", spec.Name, arn)
		}
	}
	r := &iamRole{name: spec.Name, path: path, description: spec.Description, trustPolicy: policy, created: e.now(), maxSession: 3600,
		id: "AROA" + strings.ToUpper(e.newID(9))[:17], inline: inline, attached: append([]string(nil), spec.ManagedPolicies...)}
	if old := s.roles[spec.Name]; old != nil {
		r.id, r.created = old.id, old.created
	}
	s.roles[spec.Name] = r
	return s.arn(r), nil
}

func (s *iamService) arn(r *iamRole) string {
	return fmt.Sprintf("arn:aws:iam::%s:role%s%s", s.e.AccountID(), r.path, r.name)
}

// roleByARN finds a role by its ARN (or bare name), for STS AssumeRole.
func (s *iamService) roleByARN(arn string) *iamRole {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.roles {
		if s.arn(r) == arn || r.name == arn {
			return r
		}
	}
	return nil
}

// awsURLEncode percent-encodes like IAM does for policy documents (spaces as
// %20, every reserved character escaped).
func awsURLEncode(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

type iamRoleXML struct {
	Path                     string `xml:"Path"`
	RoleName                 string `xml:"RoleName"`
	RoleId                   string `xml:"RoleId"`
	Arn                      string `xml:"Arn"`
	CreateDate               string `xml:"CreateDate"`
	AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument"`
	Description              string `xml:"Description,omitempty"`
	MaxSessionDuration       int    `xml:"MaxSessionDuration"`
}

func (s *iamService) getRole(c *call) (any, error) {
	name := c.Form.Get("RoleName")
	if name == "" {
		return nil, &APIError{Code: "ValidationError", Message: "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.roles[name]
	if r == nil {
		return nil, &APIError{Code: "NoSuchEntity", Message: fmt.Sprintf("The role with name %s cannot be found.", name), Status: 404}
	}
	return struct {
		Role iamRoleXML `xml:"Role"`
	}{iamRoleXML{
		Path: r.path, RoleName: r.name, RoleId: r.id, Arn: s.arn(r), CreateDate: isoTime(r.created),
		AssumeRolePolicyDocument: awsURLEncode(r.trustPolicy), Description: r.description, MaxSessionDuration: r.maxSession,
	}}, nil
}
