package awsemu

import (
	"fmt"
	"net/url"
)

// IAM calls a user's setup script makes (boto3, the AWS CLI, Terraform):
// CreateRole, PutRolePolicy, AttachRolePolicy. Policies are kept only so a
// repeated call is idempotent; the emulator does not evaluate them.

func (e *Emulator) registerIAMWriteOps() {
	s := e.services.iam
	e.core.AddQueryOps("iam", map[string]queryOp{
		"CreateRole":       s.createRole,
		"PutRolePolicy":    s.putRolePolicy,
		"AttachRolePolicy": s.attachRolePolicy,
	})
}

func (s *iamService) createRole(c *call) (any, error) {
	name := c.Form.Get("RoleName")
	doc := c.Form.Get("AssumeRolePolicyDocument")
	if name == "" {
		return nil, &APIError{Code: "ValidationError", Message: "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null"}
	}
	if doc == "" {
		return nil, &APIError{Code: "ValidationError", Message: "1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null"}
	}
	if dec, err := url.QueryUnescape(doc); err == nil && dec != doc && dec[0] == '{' {
		doc = dec // some clients send the document URL-encoded once more
	}
	s.mu.Lock()
	exists := s.roles[name] != nil
	s.mu.Unlock()
	if exists {
		return nil, &APIError{Code: "EntityAlreadyExists", Message: fmt.Sprintf("Role with name %s already exists.", name), Status: 409}
	}
	if _, err := s.e.PutRole(RoleSpec{Name: name, Path: c.Form.Get("Path"), Description: c.Form.Get("Description"), TrustPolicy: doc}); err != nil {
		return nil, &APIError{Code: "MalformedPolicyDocument", Message: err.Error()}
	}
	return s.getRole(c)
}

func (s *iamService) requireRole(c *call) error {
	name := c.Form.Get("RoleName")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.roles[name] == nil {
		return &APIError{Code: "NoSuchEntity", Message: fmt.Sprintf("The role with name %s cannot be found.", name), Status: 404}
	}
	return nil
}

func (s *iamService) putRolePolicy(c *call) (any, error) {
	if c.Form.Get("PolicyName") == "" || c.Form.Get("PolicyDocument") == "" {
		return nil, &APIError{Code: "ValidationError", Message: "1 validation error detected: Value null at 'policyName' failed to satisfy constraint: Member must not be null"}
	}
	return struct{}{}, s.requireRole(c)
}

func (s *iamService) attachRolePolicy(c *call) (any, error) {
	if c.Form.Get("PolicyArn") == "" {
		return nil, &APIError{Code: "ValidationError", Message: "1 validation error detected: Value null at 'policyArn' failed to satisfy constraint: Member must not be null"}
	}
	return struct{}{}, s.requireRole(c)
}
