package ecsexec_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/ecsexec"
	"github.com/doppio-ecs/doppio/tests/awsemu"
)

// world is a Fargate service ready for ECS Exec; each case edits it with
// strings.Replace on a marked line.
const world = `
iam:
  policies:
    - name: kms-decrypt
      document: {Statement: [{Effect: Allow, Action: "kms:Decrypt", Resource: "*"}]}
    - name: session-logs
      document: {Statement: [{Effect: Allow, Action: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:DescribeLogGroups"], Resource: "*"}]}
  roles:
    - name: web-task
      managedPolicies: [] #MANAGED
      policies:
        exec: {Statement: [{Effect: Allow, Action: ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"], Resource: "*"}]} #EXEC
    - name: ci
      trustPolicy: {Statement: [{Effect: Allow, Principal: {AWS: "*"}, Action: "sts:AssumeRole"}]}
    - name: dev
      policies:
        simulate: {Statement: [{Effect: Allow, Action: "iam:SimulatePrincipalPolicy", Resource: "*"}]}
logs:
  groups: [{name: /exec/existing}]
ecs:
  clusters:
    - name: demo
      capacityProviders: [FARGATE] #CAPACITY
      configuration: {} #CLUSTER
  taskDefinitions:
    - family: web
      taskRoleArn: arn:aws:iam::123456789012:role/web-task #ROLE
      networkMode: awsvpc
      requiresCompatibilities: [FARGATE]
      cpu: "256"
      memory: "512"
      containerDefinitions:
        - name: app
          image: nginx:1.27
          essential: true
          dockerLabels: {} #LABELS
  services:
    - cluster: demo
      serviceName: web
      taskDefinition: web
      desiredCount: 1
      launchType: FARGATE #LAUNCH
      platformVersion: LATEST #PLATFORM
      enableExecuteCommand: true #EXEC_ENABLED
      networkConfiguration:
        awsvpcConfiguration: {subnets: [subnet-1], securityGroups: [sg-1]}
`

type checkCase struct {
	name    string
	edits   map[string]string // marker → replacement line
	noPlug  bool
	oldPlug bool
	as      string // call as this role: ci may not simulate policies, dev may but not exec
	check   string
	want    ecsexec.Status
	detail  string // a substring of the line's detail
}

func TestCheckLines(t *testing.T) {
	for _, c := range []checkCase{
		{name: "plugin found", check: ecsexec.PluginName, want: ecsexec.OK, detail: "1.2.707.0"},
		{name: "old plugin", oldPlug: true, check: ecsexec.PluginName, want: ecsexec.WARN, detail: "1.2.497.0 or older"},
		{name: "plugin missing", noPlug: true, check: ecsexec.PluginName, want: ecsexec.NG, detail: "not installed (not found on PATH)"},

		{name: "no cluster configuration", check: "cluster executeCommandConfiguration", want: ecsexec.OK, detail: "none"},
		{name: "KMS key, role may decrypt", check: "cluster executeCommandConfiguration", want: ecsexec.OK, detail: "KMS key k-1",
			edits: map[string]string{"#CLUSTER": `configuration: {executeCommandConfiguration: {kmsKeyId: k-1}}`, "#MANAGED": "managedPolicies: [arn:aws:iam::123456789012:policy/kms-decrypt]"}},
		{name: "override without destination", check: "cluster executeCommandConfiguration", want: ecsexec.NG, detail: "without a log group",
			edits: map[string]string{"#CLUSTER": `configuration: {executeCommandConfiguration: {logging: OVERRIDE}}`}},
		{name: "override to a missing log group", check: "cluster executeCommandConfiguration", want: ecsexec.NG, detail: "/exec/missing does not exist",
			edits: map[string]string{"#CLUSTER": `configuration: {executeCommandConfiguration: {logging: OVERRIDE, logConfiguration: {cloudWatchLogGroupName: /exec/missing}}}`,
				"#MANAGED": "managedPolicies: [arn:aws:iam::123456789012:policy/session-logs]"}},
		{name: "override to an existing log group", check: "cluster executeCommandConfiguration", want: ecsexec.OK, detail: "/exec/existing",
			edits: map[string]string{"#CLUSTER": `configuration: {executeCommandConfiguration: {logging: OVERRIDE, logConfiguration: {cloudWatchLogGroupName: /exec/existing}}}`,
				"#MANAGED": "managedPolicies: [arn:aws:iam::123456789012:policy/session-logs]"}},

		{name: "service exec on", check: "service enableExecuteCommand", want: ecsexec.OK},
		{name: "service exec off", check: "service enableExecuteCommand", want: ecsexec.NG, detail: "false on service web",
			edits: map[string]string{"#EXEC_ENABLED": "enableExecuteCommand: false"}},
		{name: "task exec on", check: "task enableExecuteCommand", want: ecsexec.OK},
		{name: "task exec off", check: "task enableExecuteCommand", want: ecsexec.NG, detail: "started without ECS Exec",
			edits: map[string]string{"#EXEC_ENABLED": "enableExecuteCommand: false"}},

		{name: "agent running", check: "ExecuteCommandAgent", want: ecsexec.OK, detail: "RUNNING in container app"},
		{name: "agent stopped", check: "ExecuteCommandAgent", want: ecsexec.NG, detail: "STOPPED in container app",
			edits: map[string]string{"#LABELS": `dockerLabels: {awsemu.exec-agent: STOPPED}`}},

		{name: "Fargate 1.4.0", check: "platform version", want: ecsexec.OK, detail: "Fargate 1.4.0"},
		{name: "Fargate 1.3.0", check: "platform version", want: ecsexec.NG, detail: "needs 1.4.0",
			edits: map[string]string{"#PLATFORM": "platformVersion: 1.3.0"}},
		{name: "EC2 with a current agent", check: "platform version", want: ecsexec.OK, detail: "EC2, ECS agent 1.86.0 on i-",
			edits: map[string]string{"#LAUNCH": "launchType: EC2", "#PLATFORM": "", "#CAPACITY": "containerInstances: 1"}},
		{name: "EC2 with an old agent", check: "platform version", want: ecsexec.NG, detail: "ECS agent 1.50.1 on i-",
			edits: map[string]string{"#LAUNCH": "launchType: EC2", "#PLATFORM": "", "#CAPACITY": "agentVersion: 1.50.1"}},

		{name: "role allows", check: "task role", want: ecsexec.OK, detail: "allows the 4 actions"},
		{name: "no task role", check: "task role", want: ecsexec.NG, detail: "no taskRoleArn",
			edits: map[string]string{"#ROLE": ""}},
		{name: "role without ssmmessages", check: "task role", want: ecsexec.NG, detail: "ssmmessages:OpenDataChannel (implicitDeny)",
			edits: map[string]string{"#EXEC": "exec: {Statement: [{Effect: Allow, Action: [\"ssmmessages:CreateControlChannel\"], Resource: \"*\"}]}"}},
		{name: "role without kms:Decrypt for the cluster's key", check: "task role", want: ecsexec.NG, detail: "kms:Decrypt (implicitDeny)",
			edits: map[string]string{"#CLUSTER": `configuration: {executeCommandConfiguration: {kmsKeyId: k-1}}`}},
		{name: "not allowed to simulate", as: "ci", check: "task role", want: ecsexec.WARN, detail: "may not call iam:SimulatePrincipalPolicy"},
		{name: "no task role on EC2", check: "task role", want: ecsexec.WARN, detail: "uses the EC2 instance's role",
			edits: map[string]string{"#ROLE": "", "#LAUNCH": "launchType: EC2", "#PLATFORM": "", "#CAPACITY": "containerInstances: 1"}},

		{name: "you may exec", check: "your permissions", want: ecsexec.OK, detail: "arn:aws:iam::123456789012:user/awsemu allows ecs:ExecuteCommand"},
		{name: "you may not exec", as: "dev", check: "your permissions", want: ecsexec.NG, detail: "arn:aws:iam::123456789012:role/dev is not allowed ecs:ExecuteCommand (implicitDeny)"},
		{name: "you may not simulate", as: "ci", check: "your permissions", want: ecsexec.WARN, detail: "may not call iam:SimulatePrincipalPolicy"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCheck(t, c)
			for _, l := range r {
				if l.Check != c.check {
					continue
				}
				if l.Status != c.want || !strings.Contains(l.Detail, c.detail) {
					t.Fatalf("%s: %s %q, want %s with %q", c.check, l.Status, l.Detail, c.want, c.detail)
				}
				if l.Status != ecsexec.OK && l.Fix == "" {
					t.Fatalf("%s is %s without a fix", c.check, l.Status)
				}
				if r.Failed() != (c.want == ecsexec.NG) {
					t.Fatalf("Failed() = %v with this line %s: %+v", r.Failed(), c.want, r)
				}
				return
			}
			t.Fatalf("no %s line in %+v", c.check, r)
		})
	}
}

func runCheck(t *testing.T, c checkCase) ecsexec.Report {
	t.Helper()
	seedText := world
	for marker, line := range c.edits {
		lines := strings.Split(seedText, "\n")
		for i, l := range lines {
			if strings.HasSuffix(l, marker) {
				indent := l[:len(l)-len(strings.TrimLeft(l, " "))]
				lines[i] = indent + line
			}
		}
		seedText = strings.Join(lines, "\n")
	}
	emu := awsemu.New(awsemu.Options{Seed: 1})
	if err := emu.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Error(err)
		}
	})
	seed, err := awsemu.ParseSeed([]byte(seedText))
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.ApplySeed(seed); err != nil {
		t.Fatal(err)
	}
	for _, kv := range emu.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	ctx := context.Background()
	opts := awsapi.Options{}
	if c.as != "" {
		opts.AssumeRoleARN = "arn:aws:iam::123456789012:role/" + c.as
	}
	clients, err := awsapi.New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := clients.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("demo"), Services: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := ecsexec.RunningTasks(ctx, clients.ECS, "demo", "web", "")
	if err != nil || len(tasks) != 1 {
		t.Fatalf("running tasks: %v %d", err, len(tasks))
	}
	ctr, err := ecsexec.Container(tasks[0], "")
	if err != nil {
		t.Fatal(err)
	}
	s := ecsexec.Subject{Cluster: "demo", Service: &svc.Services[0], Task: tasks[0], Container: ctr, Plugin: &ecsexec.Plugin{Path: "/bin/session-manager-plugin", Version: "1.2.707.0"}}
	if c.oldPlug {
		s.Plugin.Version = "1.2.463.0"
	}
	if c.noPlug {
		s.Plugin, s.PluginErr = nil, ecsexec.ErrPluginNotFound
	}
	api := ecsexec.CheckAPI{ECS: clients.ECS, IAM: clients.IAM, Logs: clients.Logs, STS: clients.STS}
	return ecsexec.Check(ctx, api, s)
}

func TestFindPluginMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := ecsexec.FindPlugin(context.Background()); !errors.Is(err, ecsexec.ErrPluginNotFound) || !strings.Contains(err.Error(), ecsexec.InstallURL) {
		t.Fatalf("FindPlugin without a plugin: %v", err)
	}
}
