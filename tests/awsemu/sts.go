package awsemu

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// stsService answers GetCallerIdentity for the dummy caller and AssumeRole
// for roles that exist in the emulated IAM.
type stsService struct {
	e *Emulator
}

const stsXMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"

func newSTSService(e *Emulator) *stsService {
	s := &stsService{e: e}
	e.addQueryService("sts", "STS", stsXMLNS, "2011-06-15", map[string]queryOp{
		"GetCallerIdentity": s.getCallerIdentity,
		"AssumeRole":        s.assumeRole,
	})
	return s
}

// CallerARN is the identity the emulator reports for its dummy credentials.
func (e *Emulator) CallerARN() string {
	return fmt.Sprintf("arn:aws:iam::%s:user/awsemu", e.AccountID())
}

func (s *stsService) getCallerIdentity(c *call) (any, error) {
	out := struct {
		UserId  string `xml:"UserId"`
		Account string `xml:"Account"`
		Arn     string `xml:"Arn"`
	}{"AIDAAWSEMUEXAMPLE0001", s.e.AccountID(), s.e.CallerARN()}
	if c.Caller.ID != "" {
		out.UserId, out.Arn = c.Caller.ID, c.Caller.ARN
	}
	return out, nil
}

func (s *stsService) assumeRole(c *call) (any, error) {
	roleARN, session := c.Form.Get("RoleArn"), c.Form.Get("RoleSessionName")
	if roleARN == "" || session == "" {
		return nil, &APIError{Code: "ValidationError", Message: "1 validation error detected: Value null at 'roleArn' or 'roleSessionName' failed to satisfy constraint: Member must not be null"}
	}
	if !strings.HasPrefix(roleARN, "arn:aws:iam::") {
		return nil, &APIError{Code: "ValidationError", Message: fmt.Sprintf("%s is invalid", roleARN)}
	}
	role := s.e.services.iam.roleByARN(roleARN)
	if role == nil {
		return nil, &APIError{Code: "AccessDenied", Status: 403,
			Message: fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", s.e.CallerARN(), roleARN)}
	}
	duration := 3600
	if d := c.Form.Get("DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 900 || n > 43200 {
			return nil, &APIError{Code: "ValidationError", Message: fmt.Sprintf("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900", d)}
		}
		duration = n
	}
	type creds struct {
		AccessKeyId     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	}
	type user struct {
		AssumedRoleId string `xml:"AssumedRoleId"`
		Arn           string `xml:"Arn"`
	}
	who := identity{
		ID:  role.id + ":" + session,
		ARN: fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", s.e.AccountID(), role.name, session),
	}
	accessKeyID := "ASIA" + strings.ToUpper(s.e.newID(8))
	s.e.addSession(accessKeyID, who)
	return struct {
		Credentials     creds `xml:"Credentials"`
		AssumedRoleUser user  `xml:"AssumedRoleUser"`
	}{
		creds{
			AccessKeyId:     accessKeyID,
			SecretAccessKey: s.e.newID(20),
			SessionToken:    "awsemu-session-" + s.e.newID(32),
			// Wall time, not the emulated clock: clients judge expiry by
			// their own clock, and a manual clock set in the past would
			// make them assume the role again before every call.
			Expiration: isoTime(time.Now().UTC().Add(time.Duration(duration) * time.Second)),
		},
		user{AssumedRoleId: who.ID, Arn: who.ARN},
	}, nil
}
