package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// ecsTasksPrincipal is the service that assumes task and execution roles.
const ecsTasksPrincipal = "ecs-tasks.amazonaws.com"

// roleName extracts the role name from an IAM role ARN (paths allowed).
func roleName(roleARN string) (string, error) {
	a, err := arn.Parse(roleARN)
	if err != nil {
		return "", fmt.Errorf("%q is not an ARN: %w", roleARN, err)
	}
	if a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return "", fmt.Errorf("%q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", roleARN)
	}
	name := a.Resource[strings.LastIndex(a.Resource, "/")+1:]
	if name == "" {
		return "", fmt.Errorf("%q has no role name", roleARN)
	}
	return name, nil
}

// policyDocument is the part of an IAM policy the trust check reads. IAM
// accepts a single value or a list almost everywhere, hence stringList.
type policyDocument struct {
	Statement statements `json:"Statement"`
}

type statement struct {
	Effect    string          `json:"Effect"`
	Principal json.RawMessage `json:"Principal"`
	Action    stringList      `json:"Action"`
}

type statements []statement

func (s *statements) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		var one statement
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = statements{one}
		return nil
	}
	return json.Unmarshal(b, (*[]statement)(s))
}

type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*l = stringList{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(l))
}

// trustsService says whether a trust policy (URL-encoded or plain JSON) lets
// service assume the role. Conditions are ignored: they narrow who may assume
// the role, which verify cannot judge.
func trustsService(doc, service string) (bool, error) {
	if strings.Contains(doc, "%") {
		if dec, err := url.QueryUnescape(doc); err == nil {
			doc = dec
		}
	}
	var p policyDocument
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return false, fmt.Errorf("parse trust policy: %w", err)
	}
	for _, st := range p.Statement {
		if !strings.EqualFold(st.Effect, "Allow") || !allowsAssumeRole(st.Action) {
			continue
		}
		ok, err := principalHasService(st.Principal, service)
		if err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

func allowsAssumeRole(actions stringList) bool {
	for _, a := range actions {
		switch strings.ToLower(a) {
		case "sts:assumerole", "sts:*", "*":
			return true
		}
	}
	return false
}

func principalHasService(raw json.RawMessage, service string) (bool, error) {
	if len(raw) == 0 {
		return false, nil
	}
	var star string
	if json.Unmarshal(raw, &star) == nil {
		return star == "*", nil
	}
	var m map[string]stringList
	if err := json.Unmarshal(raw, &m); err != nil {
		return false, fmt.Errorf("parse trust policy Principal: %w", err)
	}
	for k, vs := range m {
		if !strings.EqualFold(k, "Service") {
			continue
		}
		for _, v := range vs {
			if v == service || v == "*" {
				return true, nil
			}
		}
	}
	return false, nil
}

func arnAccount(s string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return ""
	}
	return a.AccountID
}

// callerAccount is the account of the verifying identity, asked once per run.
func (r *runner) callerAccount(ctx context.Context) (string, error) {
	v, err := r.memo.do("sts-caller", func() (any, error) {
		out, err := r.clients.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.Account), nil
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// checkRole fills c for a task or execution role.
func (r *runner) checkRole(ctx context.Context, c *Check, roleARN, service string) {
	name, err := roleName(roleARN)
	if err != nil {
		c.set(NG, "%v", err)
		return
	}
	out, err := r.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		var nse *iamtypes.NoSuchEntityException
		if errors.As(err, &nse) {
			// GetRole only sees the caller's account: a role elsewhere is not
			// proof of absence.
			if acct, idErr := r.callerAccount(ctx); idErr == nil && acct != "" && acct != arnAccount(roleARN) {
				c.set(WARN, "role %s is in account %s, not the verifying account %s; not checked", roleARN, arnAccount(roleARN), acct)
				return
			}
			c.set(NG, "role %s does not exist; create it or fix the ARN", roleARN)
			return
		}
		r.awsError(c, err, "cannot read role "+roleARN)
		return
	}
	doc := aws.ToString(out.Role.AssumeRolePolicyDocument)
	ok, err := trustsService(doc, service)
	if err != nil {
		c.set(NG, "role %s: %v", roleARN, err)
		return
	}
	if !ok {
		c.set(NG, "role %s cannot be assumed by %s: add a trust policy statement with Effect Allow, Principal {\"Service\": %q} and Action sts:AssumeRole", roleARN, service, service)
		return
	}
	c.set(OK, "exists and trusts %s", service)
}
