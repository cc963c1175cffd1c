package ecsexec

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

type fakeSSM struct {
	started    *ssm.StartSessionInput
	terminated []string
}

func (f *fakeSSM) StartSession(_ context.Context, in *ssm.StartSessionInput, _ ...func(*ssm.Options)) (*ssm.StartSessionOutput, error) {
	f.started = in
	return &ssm.StartSessionOutput{SessionId: aws.String("me-0123"), StreamUrl: aws.String("wss://x"), TokenValue: aws.String("t")}, nil
}

func (f *fakeSSM) TerminateSession(_ context.Context, in *ssm.TerminateSessionInput, _ ...func(*ssm.Options)) (*ssm.TerminateSessionOutput, error) {
	f.terminated = append(f.terminated, aws.ToString(in.SessionId))
	return &ssm.TerminateSessionOutput{SessionId: in.SessionId}, nil
}

func testTask() (ecstypes.Task, *ecstypes.Container) {
	t := ecstypes.Task{ClusterArn: aws.String("arn:aws:ecs:us-east-1:1:cluster/demo"), TaskArn: aws.String("arn:aws:ecs:us-east-1:1:task/demo/abc"),
		Containers: []ecstypes.Container{{Name: aws.String("app"), RuntimeId: aws.String("abc-1")}}}
	return t, &t.Containers[0]
}

// A plugin that cannot start leaves no session open on the agent.
func TestForwardTerminatesTheSessionWhenThePluginCannotStart(t *testing.T) {
	api := &fakeSSM{}
	task, ctr := testTask()
	plugin := &Plugin{Path: filepath.Join(t.TempDir(), "missing-plugin"), Version: "1.2.707.0"}
	err := Forward(context.Background(), api, plugin, Endpoints{Region: "us-east-1"}, task, ctr, PortForward{Port: 80}, IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	if err == nil {
		t.Fatal("Forward with a plugin that does not exist succeeded")
	}
	if aws.ToString(api.started.Target) != "ecs:demo_abc_abc-1" || aws.ToString(api.started.DocumentName) != "AWS-StartPortForwardingSession" {
		t.Fatalf("StartSession %+v", api.started)
	}
	if len(api.terminated) != 1 || api.terminated[0] != "me-0123" {
		t.Fatalf("terminated %v, want [me-0123]", api.terminated)
	}
}

// A plugin that ran and failed ended its session itself.
func TestForwardKeepsAPluginsOwnFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, PluginName)
	if err := os.WriteFile(path, []byte("#!/bin/sh\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	api := &fakeSSM{}
	task, ctr := testTask()
	err := Forward(context.Background(), api, &Plugin{Path: path, Version: "1.2.707.0"}, Endpoints{}, task, ctr, PortForward{Port: 80}, IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	if err == nil || err.Error() != PluginName+" exited with status 3" || len(api.terminated) != 0 {
		t.Fatalf("err %v, terminated %v", err, api.terminated)
	}
}

// With --assume-role-arn the plugin gets the role's credentials, not a profile.
func TestExecHandsAssumedRoleCredentialsToThePlugin(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, PluginName)
	out := filepath.Join(dir, "env")
	script := "#!/bin/sh\necho \"$AWS_ACCESS_KEY_ID $AWS_SESSION_TOKEN profile=[$4]\" > " + out + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	task, ctr := testTask()
	ep := Endpoints{Region: "us-east-1", Profile: "dev"}
	ep.AssumedRole(aws.Credentials{AccessKeyID: "ASIAROLE", SecretAccessKey: "s", SessionToken: "tok"})
	if err := Forward(context.Background(), &fakeSSM{}, &Plugin{Path: path, Version: "1.2.707.0"}, ep, task, ctr, PortForward{Port: 80}, IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	if string(got) != "ASIAROLE tok profile=[]\n" {
		t.Fatalf("plugin saw %q", got)
	}
}
