package ecsexec

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// Status of one check line.
type Status string

const (
	OK   Status = "OK"
	NG   Status = "NG"
	WARN Status = "WARN"
)

// Result is one line of `doppio exec --check`: what was checked, what was
// found and, unless OK, what to do about it.
type Result struct {
	Status Status `json:"status"`
	Check  string `json:"check"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Report is every line, in the order a session depends on them.
type Report []Result

// Failed tells whether a line is NG: ECS Exec would fail.
func (r Report) Failed() bool {
	for _, l := range r {
		if l.Status == NG {
			return true
		}
	}
	return false
}

// Problems are the NG and WARN lines.
func (r Report) Problems() Report {
	var out Report
	for _, l := range r {
		if l.Status != OK {
			out = append(out, l)
		}
	}
	return out
}

// AgentActions are what the task role must allow so that the SSM agent in
// the container reaches Session Manager.
var AgentActions = []string{
	"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
	"ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
}

// CheckAPI is what the checks read; they make no mutating call.
type CheckAPI struct {
	ECS interface {
		DescribeClusters(context.Context, *ecs.DescribeClustersInput, ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
		DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
		DescribeContainerInstances(context.Context, *ecs.DescribeContainerInstancesInput, ...func(*ecs.Options)) (*ecs.DescribeContainerInstancesOutput, error)
	}
	IAM interface {
		SimulatePrincipalPolicy(context.Context, *iam.SimulatePrincipalPolicyInput, ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
	}
	Logs interface {
		DescribeLogGroups(context.Context, *cloudwatchlogs.DescribeLogGroupsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
	}
	STS interface {
		GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	}
}

// Subject is what a session would open on.
type Subject struct {
	Cluster string
	// Service is nil when the config names no service (tasks of a family).
	Service *ecstypes.Service
	Task    ecstypes.Task
	// Container is the one the session opens in; nil checks the agent of
	// every container (exec --check without --container).
	Container *ecstypes.Container
	// Plugin is the plugin found, or nil with PluginErr.
	Plugin    *Plugin
	PluginErr error
	// PortForward: the session is SSM StartSession, not ECS ExecuteCommand.
	PortForward bool
}

// Check runs every check against s, the way aws-containers'
// amazon-ecs-exec-checker does, and says for each line what to do.
func Check(ctx context.Context, api CheckAPI, s Subject) Report {
	var r Report
	add := func(st Status, check, detail, fix string) { r = append(r, Result{st, check, detail, fix}) }

	switch {
	case s.Plugin != nil && !s.Plugin.takesSessionFromEnv():
		add(WARN, PluginName, fmt.Sprintf("%s (%s) is 1.2.497.0 or older (or unreadable): it takes the session token on its command line, where other users of this machine can read it", s.Plugin.Version, s.Plugin.Path),
			"update the plugin: "+InstallURL)
	case s.Plugin != nil:
		add(OK, PluginName, fmt.Sprintf("%s (%s)", s.Plugin.Version, s.Plugin.Path), "")
	case errors.Is(s.PluginErr, ErrPluginNotFound):
		add(NG, PluginName, "not installed (not found on PATH)", "install it: "+InstallURL)
	default:
		add(NG, PluginName, fmt.Sprint(s.PluginErr), "reinstall it: "+InstallURL)
	}

	cfg := clusterExecConfig(ctx, api, s.Cluster, add)
	callerCheck(ctx, api, s, cfg, add)

	if s.Service != nil {
		if s.Service.EnableExecuteCommand {
			add(OK, "service enableExecuteCommand", "true", "")
		} else {
			add(NG, "service enableExecuteCommand", "false on service "+aws.ToString(s.Service.ServiceName),
				`set "enableExecuteCommand": true in the service definition and run doppio deploy`)
		}
	}
	id := TaskID(aws.ToString(s.Task.TaskArn))
	if s.Task.EnableExecuteCommand {
		add(OK, "task enableExecuteCommand", "true for task "+id, "")
	} else {
		add(NG, "task enableExecuteCommand", "false for task "+id+": it was started without ECS Exec",
			"once the service has enableExecuteCommand, replace its tasks: doppio refresh")
	}

	agentCheck(s, add)
	platformCheck(ctx, api, s.Cluster, s.Task, add)
	roleCheck(ctx, api, s.Task, cfg, add)
	return r
}

type addFunc func(st Status, check, detail, fix string)

// clusterExecConfig reports the cluster's execute command configuration and
// returns it (nil when unset or unreadable).
func clusterExecConfig(ctx context.Context, api CheckAPI, cluster string, add addFunc) *ecstypes.ExecuteCommandConfiguration {
	const name = "cluster executeCommandConfiguration"
	out, err := api.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{cluster}, Include: []ecstypes.ClusterField{ecstypes.ClusterFieldConfigurations}})
	if err != nil || len(out.Clusters) == 0 {
		add(WARN, name, fmt.Sprintf("cannot read cluster %s: %v", cluster, err), "check that your identity may call ecs:DescribeClusters")
		return nil
	}
	var cfg *ecstypes.ExecuteCommandConfiguration
	if c := out.Clusters[0].Configuration; c != nil {
		cfg = c.ExecuteCommandConfiguration
	}
	if cfg == nil {
		add(OK, name, "none: sessions are logged as the container's awslogs configuration says, not encrypted with a KMS key of yours", "")
		return nil
	}
	logging := cfg.Logging
	if logging == "" {
		logging = ecstypes.ExecuteCommandLoggingDefault
	}
	detail := "logging " + string(logging)
	if k := aws.ToString(cfg.KmsKeyId); k != "" {
		detail += ", KMS key " + k + " (the task role needs kms:Decrypt on it)"
	}
	if logging != ecstypes.ExecuteCommandLoggingOverride {
		add(OK, name, detail, "")
		return cfg
	}
	lc := cfg.LogConfiguration
	if lc == nil || (aws.ToString(lc.CloudWatchLogGroupName) == "" && aws.ToString(lc.S3BucketName) == "") {
		add(NG, name, detail+" without a log group or S3 bucket", "set logConfiguration.cloudWatchLogGroupName or s3BucketName of the cluster's executeCommandConfiguration, or logging DEFAULT")
		return cfg
	}
	if g := aws.ToString(lc.CloudWatchLogGroupName); g != "" {
		detail += ", CloudWatch log group " + g
		if exists, err := logGroupExists(ctx, api, g); err != nil {
			add(WARN, name, detail+fmt.Sprintf(": cannot check the group: %v", err), "")
			return cfg
		} else if !exists {
			add(NG, name, detail+" does not exist: the agent cannot write the session log, and the session fails",
				"create the log group "+g+" (aws logs create-log-group --log-group-name "+g+")")
			return cfg
		}
	}
	if b := aws.ToString(lc.S3BucketName); b != "" {
		detail += ", S3 bucket " + b
	}
	add(OK, name, detail, "")
	return cfg
}

func logGroupExists(ctx context.Context, api CheckAPI, group string) (bool, error) {
	out, err := api.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(group)})
	if err != nil {
		return false, err
	}
	for _, g := range out.LogGroups {
		if aws.ToString(g.LogGroupName) == group {
			return true, nil
		}
	}
	return false, nil
}

func agentCheck(s Subject, add addFunc) {
	if !s.Task.EnableExecuteCommand {
		return // the task line says why there is no agent
	}
	if s.Container != nil {
		containerAgentCheck(s.Container, add)
		return
	}
	for i := range s.Task.Containers {
		containerAgentCheck(&s.Task.Containers[i], add)
	}
}

func containerAgentCheck(c *ecstypes.Container, add addFunc) {
	const name = "ExecuteCommandAgent"
	ctr := aws.ToString(c.Name)
	for _, a := range c.ManagedAgents {
		if a.Name != ecstypes.ManagedAgentNameExecuteCommandAgent {
			continue
		}
		switch st := aws.ToString(a.LastStatus); st {
		case "RUNNING":
			add(OK, name, "RUNNING in container "+ctr, "")
		case "PENDING":
			add(WARN, name, "PENDING in container "+ctr+": the agent is starting", "try again in a few seconds")
		default:
			detail := st + " in container " + ctr
			if r := aws.ToString(a.Reason); r != "" {
				detail += ": " + r
			}
			add(NG, name, detail, "the agent could not start in this container: it needs a Linux image with a writable root filesystem "+
				"(readonlyRootFilesystem false); replace the task (doppio tasks --stop ID) to restart the agent")
		}
		return
	}
	add(NG, name, "absent from container "+ctr, "the task was started without ECS Exec; replace it: doppio refresh")
}

// minAgent is the oldest ECS container agent with ECS Exec.
var minAgent = []int{1, 50, 2, 0}

// platformCheck: ECS Exec needs Fargate platform version 1.4.0 or later, or
// on EC2 an ECS container agent 1.50.2 or later.
func platformCheck(ctx context.Context, api CheckAPI, cluster string, t ecstypes.Task, add addFunc) {
	const name = "platform version"
	fargate := t.LaunchType == ecstypes.LaunchTypeFargate || strings.HasPrefix(aws.ToString(t.CapacityProviderName), "FARGATE")
	if !fargate {
		ci := aws.ToString(t.ContainerInstanceArn)
		if ci == "" {
			add(OK, name, "not Fargate, no container instance to check", "")
			return
		}
		out, err := api.ECS.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster), ContainerInstances: []string{ci}})
		if err != nil || len(out.ContainerInstances) == 0 || out.ContainerInstances[0].VersionInfo == nil {
			add(WARN, name, fmt.Sprintf("cannot read the ECS agent version of container instance %s: %v", TaskID(ci), err), "make sure the instance runs ECS agent 1.50.2 or later")
			return
		}
		v := aws.ToString(out.ContainerInstances[0].VersionInfo.AgentVersion)
		if parts, ok := parseVersion(v); ok && !versionLess(parts, minAgent) {
			add(OK, name, fmt.Sprintf("EC2, ECS agent %s on %s", v, aws.ToString(out.ContainerInstances[0].Ec2InstanceId)), "")
			return
		}
		add(NG, name, fmt.Sprintf("EC2, ECS agent %s on %s: ECS Exec needs 1.50.2 or later", v, aws.ToString(out.ContainerInstances[0].Ec2InstanceId)),
			"update the ECS agent on the instance, or replace it with a current ECS-optimized AMI")
		return
	}
	v := aws.ToString(t.PlatformVersion)
	if parts, ok := parseVersion(v); ok && !versionLess(parts, []int{1, 4, 0, 0}) {
		add(OK, name, "Fargate "+v, "")
		return
	}
	add(NG, name, "Fargate "+v+": ECS Exec needs 1.4.0 or later",
		`set "platformVersion": "LATEST" (or "1.4.0") in the service definition and run doppio deploy`)
}

// versionLess compares two parsed versions.
func versionLess(a, b []int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// callerCheck simulates the caller's own policies: ECS Exec needs
// ecs:ExecuteCommand on the task (port forwarding ssm:StartSession), and
// kms:GenerateDataKey on the cluster's key.
func callerCheck(ctx context.Context, api CheckAPI, s Subject, cfg *ecstypes.ExecuteCommandConfiguration, add addFunc) {
	const name = "your permissions"
	id, err := api.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		add(WARN, name, fmt.Sprintf("cannot tell who you are: %v", err), "")
		return
	}
	who := principalARN(aws.ToString(id.Arn))
	task := aws.ToString(s.Task.TaskArn)
	needs := []need{{"ecs:ExecuteCommand", task}}
	if s.PortForward {
		needs = []need{{"ssm:StartSession", task}}
	}
	if cfg != nil && aws.ToString(cfg.KmsKeyId) != "" {
		needs = append(needs, need{"kms:GenerateDataKey", aws.ToString(cfg.KmsKeyId)})
	}
	simulate(ctx, api, name, who, needs, "ask your administrator for these actions on the task (see the IAM section of the ECS Exec guide)", add)
}

// principalARN is the IAM principal behind a caller ARN: the role of an
// assumed-role session (without its path, which the session ARN lacks).
func principalARN(arn string) string {
	prefix, rest, ok := strings.Cut(arn, ":assumed-role/")
	if !ok {
		return arn
	}
	role, _, _ := strings.Cut(rest, "/")
	return strings.Replace(prefix, "arn:aws:sts::", "arn:aws:iam::", 1) + ":role/" + role
}

type need struct{ action, resource string }

// simulate asks IAM's policy simulator whether principal may do every need,
// and adds one line: OK, NG with the denied actions, or WARN when the
// simulator may not be asked.
func simulate(ctx context.Context, api CheckAPI, name, principal string, needs []need, fix string, add addFunc) {
	var denied []string
	for _, n := range needs {
		out, err := api.IAM.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(principal), ActionNames: []string{n.action}, ResourceArns: []string{n.resource}})
		if err != nil {
			var ae smithy.APIError
			detail := fmt.Sprintf("cannot simulate the policies of %s: %v", principal, err)
			if errors.As(err, &ae) && (ae.ErrorCode() == "AccessDenied" || ae.ErrorCode() == "AccessDeniedException") {
				detail = fmt.Sprintf("cannot simulate the policies of %s: your identity may not call iam:SimulatePrincipalPolicy", principal)
			}
			var actions []string
			for _, n := range needs {
				actions = append(actions, n.action)
			}
			add(WARN, name, detail, "make sure "+principal+" allows "+strings.Join(actions, ", "))
			return
		}
		for _, res := range out.EvaluationResults {
			if res.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed {
				denied = append(denied, fmt.Sprintf("%s (%s)", aws.ToString(res.EvalActionName), res.EvalDecision))
			}
		}
	}
	if len(denied) > 0 {
		add(NG, name, principal+" is not allowed "+strings.Join(denied, ", "), fix)
		return
	}
	what := fmt.Sprintf("the %d actions needed", len(needs))
	if len(needs) == 1 {
		what = needs[0].action
	}
	add(OK, name, principal+" allows "+what, "")
}

// roleCheck simulates the task role's policies for what the agent does.
func roleCheck(ctx context.Context, api CheckAPI, t ecstypes.Task, cfg *ecstypes.ExecuteCommandConfiguration, add addFunc) {
	const name = "task role"
	td, err := api.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: t.TaskDefinitionArn})
	if err != nil {
		add(WARN, name, fmt.Sprintf("cannot read task definition %s: %v", aws.ToString(t.TaskDefinitionArn), err), "")
		return
	}
	role := aws.ToString(td.TaskDefinition.TaskRoleArn)
	if role == "" {
		fix := "set taskRoleArn to a role that allows " + strings.Join(AgentActions, ", ") + ` on "*"`
		if t.ContainerInstanceArn != nil {
			// On EC2 the agent falls back to the instance's role.
			add(WARN, name, "the task definition has no taskRoleArn: the agent uses the EC2 instance's role, which doppio does not check", fix+", or make sure the instance role does")
			return
		}
		add(NG, name, "the task definition has no taskRoleArn: the agent cannot reach Session Manager", fix)
		return
	}
	needs := []need{}
	for _, a := range AgentActions {
		needs = append(needs, need{a, "*"})
	}
	if cfg != nil {
		if k := aws.ToString(cfg.KmsKeyId); k != "" {
			needs = append(needs, need{"kms:Decrypt", k})
		}
		if cfg.Logging == ecstypes.ExecuteCommandLoggingOverride && cfg.LogConfiguration != nil {
			if g := aws.ToString(cfg.LogConfiguration.CloudWatchLogGroupName); g != "" {
				for _, a := range []string{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:DescribeLogGroups"} {
					needs = append(needs, need{a, "*"})
				}
			}
			if b := aws.ToString(cfg.LogConfiguration.S3BucketName); b != "" {
				needs = append(needs, need{"s3:PutObject", "arn:aws:s3:::" + b + "/*"}, need{"s3:GetEncryptionConfiguration", "arn:aws:s3:::" + b})
			}
		}
	}
	simulate(ctx, api, name, role, needs, "add a policy to the role that allows these actions, e.g. "+
		`{"Effect": "Allow", "Action": ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"], "Resource": "*"}`, add)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
