package awsemu

import (
	"fmt"
	"net/url"
)

// CreateRole, the IAM call a user's setup script (boto3, the AWS CLI,
// Terraform) makes first; PutRolePolicy and AttachRolePolicy live with the
// policies they store (iam_policies.go).

func (e *Emulator) registerIAMWriteOps() {
	s := e.services.iam
	e.core.AddQueryOps("iam", map[string]queryOp{
		"CreateRole": s.createRole,
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
