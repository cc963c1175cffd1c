package ssmsessions

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/doppio-ecs/doppio/tests/awsemu/core"
)

func call(t *testing.T, s *Store, op, body string) (any, error) {
	t.Helper()
	return s.Ops()[op](&core.Call{Body: []byte(body), Params: map[string]string{}, Caller: core.Identity{ARN: "arn:aws:iam::1:user/alice"}})
}

func TestStartSessionDocumentsTargetsAndTermination(t *testing.T) {
	srv := core.NewServer(core.NewManualClock(time.Time{}), 1)
	s := New(srv, "eu-west-1", func(target string) error {
		if target != "ecs:demo_t_r" {
			return core.APIErr("TargetNotConnected", "%s is not connected.", target)
		}
		return nil
	})
	for _, c := range []struct{ body, code string }{
		{`{"Target": "ecs:demo_t_r", "DocumentName": "AWS-Nope"}`, "InvalidDocument"},
		{`{"Target": "ecs:demo_t_r", "DocumentName": "AWS-StartPortForwardingSession"}`, "InvalidParameters"},
		{`{"Target": "ecs:demo_t_r", "DocumentName": "AWS-StartPortForwardingSession", "Parameters": {"portNumber": ["80"], "bogus": ["1"]}}`, "InvalidParameters"},
		{`{"Target": "ecs:other_t_r"}`, "TargetNotConnected"},
		{`{}`, "ValidationException"},
	} {
		_, err := call(t, s, "StartSession", c.body)
		var ae *core.APIError
		if !errors.As(err, &ae) || ae.Code != c.code {
			t.Errorf("StartSession %s: %v, want %s", c.body, err, c.code)
		}
	}
	out, err := call(t, s, "StartSession", `{"Target": "ecs:demo_t_r", "DocumentName": "AWS-StartPortForwardingSessionToRemoteHost", "Parameters": {"host": ["db"], "portNumber": ["5432"]}}`)
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.(*ssm.StartSessionOutput).SessionId)
	if !strings.HasPrefix(id, "alice-") || !strings.Contains(aws.ToString(out.(*ssm.StartSessionOutput).StreamUrl), "ssmmessages.eu-west-1.amazonaws.com") {
		t.Fatalf("session %+v", out)
	}
	for range 2 { // idempotent
		if _, err := call(t, s, "TerminateSession", `{"SessionId": "`+id+`"}`); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := call(t, s, "ResumeSession", `{"SessionId": "`+id+`"}`); err == nil {
		t.Fatal("a terminated session resumed")
	}
	hist, err := call(t, s, "DescribeSessions", `{"State": "History", "Filters": [{"key": "Owner", "value": "arn:aws:iam::1:user/alice"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	got := hist.(*ssm.DescribeSessionsOutput).Sessions
	if len(got) != 1 || got[0].Status != ssmtypes.SessionStatusTerminated || got[0].EndDate == nil {
		t.Fatalf("history %+v", got)
	}
}
