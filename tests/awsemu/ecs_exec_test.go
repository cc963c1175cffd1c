package awsemu

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

const execPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssmmessages:CreateControlChannel","ssmmessages:CreateDataChannel","ssmmessages:OpenControlChannel","ssmmessages:OpenDataChannel"],"Resource":"*"}]}`

// execWorld seeds a cluster with one service whose tasks allow ECS Exec
// (exec true) or not, with a task role that may (policy) reach Session Manager.
func execWorld(t *testing.T, exec bool, policies map[string]any) (*Emulator, *ecs.Client, string) {
	t.Helper()
	e := startEmulator(t, Options{})
	if _, err := e.PutRole(RoleSpec{Name: "app-task", Policies: policies}); err != nil {
		t.Fatal(err)
	}
	if err := e.CreateCluster("demo"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.SeedTaskDefinition(&ecs.RegisterTaskDefinitionInput{Family: aws.String("web"), TaskRoleArn: aws.String("arn:aws:iam::123456789012:role/app-task"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("nginx"), Memory: aws.Int32(128), Essential: aws.Bool(true)},
			{Name: aws.String("sidecar"), Image: aws.String("busybox"), Memory: aws.Int32(64), DockerLabels: map[string]string{labelExecAgent: "STOPPED"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.SeedService(&ecs.CreateServiceInput{Cluster: aws.String("demo"), ServiceName: aws.String("web"), TaskDefinition: aws.String("web"),
		DesiredCount: aws.Int32(1), EnableExecuteCommand: exec}); err != nil {
		t.Fatal(err)
	}
	client := ecs.NewFromConfig(sdkConfig(t, e, 1))
	tasks := e.ECSTasks("demo")
	if len(tasks) != 1 {
		t.Fatalf("%d tasks", len(tasks))
	}
	return e, client, aws.ToString(tasks[0].TaskArn)
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestExecuteCommandOpensASessionOnTheContainer(t *testing.T) {
	e, client, task := execWorld(t, true, map[string]any{"exec": execPolicy})
	ctx := context.Background()
	d, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("demo"), Tasks: []string{task}})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Tasks[0].EnableExecuteCommand {
		t.Fatal("task enableExecuteCommand is false")
	}
	app, sidecar := d.Tasks[0].Containers[0], d.Tasks[0].Containers[1]
	if len(app.ManagedAgents) != 1 || app.ManagedAgents[0].Name != ecstypes.ManagedAgentNameExecuteCommandAgent || aws.ToString(app.ManagedAgents[0].LastStatus) != "RUNNING" {
		t.Fatalf("app managed agents: %+v", app.ManagedAgents)
	}
	if got := aws.ToString(sidecar.ManagedAgents[0].LastStatus); got != "STOPPED" {
		t.Fatalf("sidecar agent %s, want STOPPED (label)", got)
	}

	_, err = client.ExecuteCommand(ctx, &ecs.ExecuteCommandInput{Cluster: aws.String("demo"), Task: aws.String(task), Command: aws.String("sh"), Interactive: true})
	if apiCode(err) != "InvalidParameterException" || !strings.Contains(err.Error(), "multiple containers") {
		t.Fatalf("without container: %v", err)
	}
	_, err = client.ExecuteCommand(ctx, &ecs.ExecuteCommandInput{Cluster: aws.String("demo"), Task: aws.String(task), Container: aws.String("sidecar"), Command: aws.String("sh"), Interactive: true})
	if apiCode(err) != "InvalidParameterException" || !strings.Contains(err.Error(), "agent isn't running") {
		t.Fatalf("stopped agent: %v", err)
	}
	_, err = client.ExecuteCommand(ctx, &ecs.ExecuteCommandInput{Cluster: aws.String("demo"), Task: aws.String(task), Container: aws.String("app"), Command: aws.String("sh")})
	if apiCode(err) != "InvalidParameterException" {
		t.Fatalf("non-interactive: %v", err)
	}
	out, err := client.ExecuteCommand(ctx, &ecs.ExecuteCommandInput{Cluster: aws.String("demo"), Task: aws.String(task), Container: aws.String("app"), Command: aws.String("sh"), Interactive: true})
	if err != nil {
		t.Fatal(err)
	}
	sid := aws.ToString(out.Session.SessionId)
	if !strings.HasPrefix(sid, "ecs-execute-command-") || !strings.HasPrefix(aws.ToString(out.Session.StreamUrl), "wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/"+sid) || aws.ToString(out.Session.TokenValue) == "" {
		t.Fatalf("session %+v", out.Session)
	}
	target := "ecs:demo_" + lastSegment(task) + "_" + aws.ToString(app.RuntimeId)
	if s := e.Sessions(); len(s) != 1 || s[0].Target != target {
		t.Fatalf("sessions %+v, want one on %s", s, target)
	}

	// Port forwarding to the same container through SSM.
	sc := ssm.NewFromConfig(sdkConfig(t, e, 1))
	ss, err := sc.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(target), DocumentName: aws.String("AWS-StartPortForwardingSession"),
		Parameters: map[string][]string{"portNumber": {"80"}, "localPortNumber": {"8080"}}})
	if err != nil {
		t.Fatal(err)
	}
	active, err := sc.DescribeSessions(ctx, &ssm.DescribeSessionsInput{State: ssmtypes.SessionStateActive})
	if err != nil || len(active.Sessions) != 2 {
		t.Fatalf("active sessions: %v %+v", err, active)
	}
	if _, err := sc.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: ss.SessionId}); err != nil {
		t.Fatal(err)
	}
	hist, _ := sc.DescribeSessions(ctx, &ssm.DescribeSessionsInput{State: ssmtypes.SessionStateHistory})
	if len(hist.Sessions) != 1 || aws.ToString(hist.Sessions[0].SessionId) != aws.ToString(ss.SessionId) || hist.Sessions[0].Status != ssmtypes.SessionStatusTerminated {
		t.Fatalf("history %+v", hist.Sessions)
	}
	_, err = sc.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(target), DocumentName: aws.String("AWS-StartPortForwardingSessionToRemoteHost"),
		Parameters: map[string][]string{"portNumber": {"5432"}}})
	if apiCode(err) != "InvalidParameters" {
		t.Fatalf("missing host: %v", err)
	}
	_, err = sc.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String("ecs:demo_" + lastSegment(task) + "_nope")})
	if apiCode(err) != "TargetNotConnected" {
		t.Fatalf("unknown runtime id: %v", err)
	}
}

func TestExecuteCommandRefusedWithoutExecOrPermissions(t *testing.T) {
	ctx := context.Background()
	_, client, task := execWorld(t, false, map[string]any{"exec": execPolicy})
	_, err := client.ExecuteCommand(ctx, &ecs.ExecuteCommandInput{Cluster: aws.String("demo"), Task: aws.String(task), Container: aws.String("app"), Command: aws.String("sh"), Interactive: true})
	if apiCode(err) != "InvalidParameterException" || !strings.Contains(err.Error(), "execute command was not enabled") {
		t.Fatalf("exec disabled: %v", err)
	}
	e, client, task := execWorld(t, true, nil)
	_, err = client.ExecuteCommand(ctx, &ecs.ExecuteCommandInput{Cluster: aws.String("demo"), Task: aws.String(task), Container: aws.String("app"), Command: aws.String("sh"), Interactive: true})
	if apiCode(err) != "TargetNotConnectedException" {
		t.Fatalf("task role without ssmmessages: %v", err)
	}
	if len(e.Sessions()) != 0 {
		t.Fatal("a refused ExecuteCommand opened a session")
	}
}

func TestSimulatePrincipalPolicy(t *testing.T) {
	ctx := context.Background()
	e := startEmulator(t, Options{})
	deny := `{"Statement":[{"Effect":"Deny","Action":"ssmmessages:OpenDataChannel","Resource":"*"}]}`
	arn, err := e.PutPolicy(PolicySpec{Name: "no-data", Document: deny})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.PutRole(RoleSpec{Name: "app-task", Policies: map[string]any{"exec": execPolicy}, ManagedPolicies: []string{arn}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.PutRole(RoleSpec{Name: "ci", TrustPolicy: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`}); err != nil {
		t.Fatal(err)
	}
	cfg := sdkConfig(t, e, 1)
	ic := iam.NewFromConfig(cfg)
	out, err := ic.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/app-task"), ActionNames: append(ExecAgentActions, "kms:Decrypt")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]iamtypes.PolicyEvaluationDecisionType{}
	for _, r := range out.EvaluationResults {
		got[aws.ToString(r.EvalActionName)] = r.EvalDecision
	}
	want := map[string]iamtypes.PolicyEvaluationDecisionType{
		"ssmmessages:CreateControlChannel": "allowed", "ssmmessages:CreateDataChannel": "allowed", "ssmmessages:OpenControlChannel": "allowed",
		"ssmmessages:OpenDataChannel": "explicitDeny", "kms:Decrypt": "implicitDeny",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ci"), PolicyName: aws.String("p"), PolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ci"), PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Statement":[]}`)}); apiCode(err) != "MalformedPolicyDocument" {
		t.Fatalf("malformed policy: %v", err)
	}
	// A caller acting as a role without iam:SimulatePrincipalPolicy is refused.
	roleCfg := cfg.Copy()
	roleCfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), "arn:aws:iam::123456789012:role/ci"))
	_, err = iam.NewFromConfig(roleCfg).SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/app-task"), ActionNames: ExecAgentActions})
	if apiCode(err) != "AccessDenied" {
		t.Fatalf("caller without iam:SimulatePrincipalPolicy: %v", err)
	}
}
