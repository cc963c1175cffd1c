package ecsexec

import (
	"strings"
	"testing"
)

func TestInvocationLikeTheAWSCLI(t *testing.T) {
	session := pyObject{{"sessionId", "s-1"}, {"streamUrl", "wss://x?a=1&b=2"}, {"tokenValue", "tök"}}
	params := pyObject{{"Target", "ecs:c_t_r"}, {"Parameters", pyObject{{"portNumber", []string{"80"}}}}}
	wantSession := `{"sessionId": "s-1", "streamUrl": "wss://x?a=1&b=2", "tokenValue": "t\u00f6k"}`
	wantParams := `{"Target": "ecs:c_t_r", "Parameters": {"portNumber": ["80"]}}`
	for _, c := range []struct {
		version string
		env     bool
	}{{"1.2.707.0", true}, {"1.2.497.1", true}, {"1.2.497.0", false}, {"1.1.0.0", false}, {"", false}, {"garbage", false}, {"1.3", true}} {
		inv := (&Plugin{Version: c.version}).Invocation(session, "eu-west-1", "prof", params, "https://ecs.eu-west-1.amazonaws.com")
		args := []string{wantSession, "eu-west-1", "StartSession", "prof", wantParams, "https://ecs.eu-west-1.amazonaws.com"}
		var env []string
		if c.env {
			args[0] = "AWS_SSM_START_SESSION_RESPONSE"
			env = []string{"AWS_SSM_START_SESSION_RESPONSE=" + wantSession}
		}
		if strings.Join(inv.Args, "\n") != strings.Join(args, "\n") || strings.Join(inv.Env, "\n") != strings.Join(env, "\n") {
			t.Errorf("plugin %q:\nargs %q\nenv  %q\nwant %q\n     %q", c.version, inv.Args, inv.Env, args, env)
		}
	}
}

func TestPortForwardDocument(t *testing.T) {
	doc, p := PortForward{LocalPort: 0, Port: 80}.Document()
	if doc != "AWS-StartPortForwardingSession" || p.String() != `{"portNumber": ["80"], "localPortNumber": ["0"]}` {
		t.Errorf("to the task: %s %s", doc, p)
	}
	doc, p = PortForward{LocalPort: 15432, Port: 5432, Host: "db"}.Document()
	if doc != "AWS-StartPortForwardingSessionToRemoteHost" || p.String() != `{"host": ["db"], "portNumber": ["5432"], "localPortNumber": ["15432"]}` {
		t.Errorf("to a host: %s %s", doc, p)
	}
}

func TestPrincipalARN(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:sts::123456789012:assumed-role/dev/alice": "arn:aws:iam::123456789012:role/dev",
		"arn:aws:iam::123456789012:user/bob":               "arn:aws:iam::123456789012:user/bob",
	} {
		if got := principalARN(in); got != want {
			t.Errorf("principalARN(%s) = %s, want %s", in, got, want)
		}
	}
}
