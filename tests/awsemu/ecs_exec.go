package awsemu

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// ECS Exec. A task started with enableExecuteCommand runs the SSM agent as
// the managed agent "ExecuteCommandAgent" in each container (DescribeTasks
// containers[].managedAgents): PENDING until the task runs, then RUNNING.
// ExecuteCommand opens a session in Session Manager (tests/awsemu/ssmsessions)
// on the target "ecs:<cluster>_<task id>_<container runtime id>", as does
// SSM StartSession on that target (port forwarding).
//
// As in AWS, the agent can only reach Session Manager when the task role
// allows the four ssmmessages actions; otherwise ExecuteCommand fails with
// TargetNotConnectedException ("internal error") and StartSession with
// TargetNotConnected.
//
// Test convention: the docker label awsemu.exec-agent on a container
// definition sets the agent's status once the task runs (e.g. "STOPPED", for
// an image the agent cannot start in).
const labelExecAgent = "awsemu.exec-agent"

// ExecAgentActions are what the task role must allow for ECS Exec.
var ExecAgentActions = []string{
	"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
	"ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
}

const execNotEnabled = "The execute command failed because execute command was not enabled when the task was run or the execute command agent isn't running. Wait and try again or run a new task with execute command enabled and try again."

// ecsCallerOp is ecsOp for handlers that need to know who calls.
func ecsCallerOp[I any](s *ecsService, fn func(in *I, caller identity, now time.Time) (any, error)) jsonOp {
	return func(c *call) (any, error) {
		in := new(I)
		if err := c.Decode(in); err != nil {
			return nil, err
		}
		// CodeDeploy moves task sets on its own schedule, whoever polls:
		// replay it first (it takes the ECS lock itself, so not under it).
		if cd := s.e.services.cd; cd != nil {
			cd.Advance()
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		now := s.e.now()
		s.advance(now)
		out, err := fn(in, c.Caller, now)
		s.reconcileAll(now)
		return out, err
	}
}

// agentStatus is the ExecuteCommandAgent's status in container i of t ("" when
// exec is off).
func (s *ecsService) agentStatus(t *ecsTask, i int) string {
	if !t.base.EnableExecuteCommand {
		return ""
	}
	switch t.lastStatus {
	case "PROVISIONING", "PENDING", "ACTIVATING":
		return "PENDING"
	case "RUNNING":
		if i < len(t.td.td.ContainerDefinitions) {
			if v := t.td.td.ContainerDefinitions[i].DockerLabels[labelExecAgent]; v != "" {
				return v
			}
		}
		if aws.ToString(t.containers[i].LastStatus) != "RUNNING" {
			return "STOPPED"
		}
		return "RUNNING"
	}
	return "STOPPED"
}

func (s *ecsService) addManagedAgents(t *ecsTask, containers []ecstypes.Container) {
	if !t.base.EnableExecuteCommand {
		return
	}
	for i := range containers {
		st := s.agentStatus(t, i)
		a := ecstypes.ManagedAgent{Name: ecstypes.ManagedAgentNameExecuteCommandAgent, LastStatus: aws.String(st)}
		if st != "PENDING" && t.startedAt != nil {
			a.LastStartedAt = t.startedAt
		}
		containers[i].ManagedAgents = []ecstypes.ManagedAgent{a}
	}
}

// taskRoleConnects tells whether t's task role lets the agent reach Session
// Manager.
func (s *ecsService) taskRoleConnects(t *ecsTask) bool {
	role := lastSegment(aws.ToString(t.td.td.TaskRoleArn))
	if role == "" {
		return false
	}
	for _, a := range ExecAgentActions {
		if !s.e.services.iam.roleAllows(role, a, "*") {
			return false
		}
	}
	return true
}

func (s *ecsService) executeCommand(in *ecs.ExecuteCommandInput, caller identity, now time.Time) (any, error) {
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if aws.ToString(in.Command) == "" {
		return nil, apiErr("InvalidParameterException", "Command cannot be empty.")
	}
	if !in.Interactive {
		return nil, apiErr("InvalidParameterException", "Interactive is the only mode supported currently.")
	}
	t := s.findTask(c, aws.ToString(in.Task))
	if t == nil {
		return nil, apiErr("InvalidParameterException", "The specified task %s was not found in cluster %s.", aws.ToString(in.Task), c.name)
	}
	i := -1
	switch name := aws.ToString(in.Container); {
	case name != "":
		for j := range t.containers {
			if aws.ToString(t.containers[j].Name) == name {
				i = j
			}
		}
		if i < 0 {
			return nil, apiErr("InvalidParameterException", "The container %s was not found in task %s.", name, t.id)
		}
	case len(t.containers) == 1:
		i = 0
	default:
		return nil, apiErr("InvalidParameterException", "Task %s has multiple containers. Container name must be specified.", t.id)
	}
	if t.lastStatus != "RUNNING" || s.agentStatus(t, i) != "RUNNING" {
		return nil, apiErr("InvalidParameterException", execNotEnabled)
	}
	if !s.taskRoleConnects(t) {
		return nil, apiErr("TargetNotConnectedException", "The execute command failed due to an internal error. Try again later.")
	}
	ctr := t.containers[i]
	target := fmt.Sprintf("ecs:%s_%s_%s", c.name, t.id, aws.ToString(ctr.RuntimeId))
	sess := s.e.ssmSessions.Open(target, "AmazonECS-ExecuteCommand", map[string][]string{"command": {aws.ToString(in.Command)}}, caller.ARN, "ecs-execute-command")
	return &ecs.ExecuteCommandOutput{
		ClusterArn: aws.String(c.arn), TaskArn: aws.String(t.arn), ContainerArn: ctr.ContainerArn, ContainerName: ctr.Name,
		Interactive: true,
		Session:     &ecstypes.Session{SessionId: aws.String(sess.ID), StreamUrl: aws.String(sess.StreamURL), TokenValue: aws.String(sess.Token)},
	}, nil
}

// sessionTarget decides whether SSM StartSession may open a session on an
// ECS target "ecs:<cluster>_<task id>_<runtime id>".
func (s *ecsService) sessionTarget(target string) error {
	notConnected := apiErr("TargetNotConnected", "%s is not connected.", target)
	rest, ok := strings.CutPrefix(target, "ecs:")
	if !ok {
		return notConnected // the emulator has no managed instances
	}
	parts := strings.SplitN(rest, "_", 3)
	if len(parts) != 3 {
		return notConnected
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.e.now())
	c := s.clusters[parts[0]]
	if c == nil {
		return notConnected
	}
	t := c.taskByID[parts[1]]
	if t == nil || t.lastStatus != "RUNNING" || !s.taskRoleConnects(t) {
		return notConnected
	}
	for i, ctr := range t.containers {
		if aws.ToString(ctr.RuntimeId) == parts[2] && s.agentStatus(t, i) == "RUNNING" {
			return nil
		}
	}
	return notConnected
}

func (s *ecsService) updateCluster(in *ecs.UpdateClusterInput, now time.Time) (any, error) {
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if in.Configuration != nil {
		c.configuration = in.Configuration
	}
	if len(in.Settings) > 0 {
		c.settings = in.Settings
	}
	view := s.clusterView(c, true)
	view.Configuration = c.configuration
	return &ecs.UpdateClusterOutput{Cluster: view}, nil
}

// DefaultAgentVersion is the ECS container agent of emulated EC2 instances.
const DefaultAgentVersion = "1.86.0"

func (s *ecsService) describeContainerInstances(in *ecs.DescribeContainerInstancesInput, now time.Time) (any, error) {
	c, err := s.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if len(in.ContainerInstances) == 0 || len(in.ContainerInstances) > 100 {
		return nil, apiErr("InvalidParameterException", "containerInstances should have between 1 and 100 elements.")
	}
	version := c.agentVersion
	if version == "" {
		version = DefaultAgentVersion
	}
	out := &ecs.DescribeContainerInstancesOutput{ContainerInstances: []ecstypes.ContainerInstance{}, Failures: []ecstypes.Failure{}}
	for _, ref := range in.ContainerInstances {
		arn := ""
		for _, a := range c.instances {
			if a == ref || lastSegment(a) == ref {
				arn = a
			}
		}
		if arn == "" {
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(ref), Reason: aws.String("MISSING")})
			continue
		}
		var running, pending int32
		for _, t := range c.tasks {
			if aws.ToString(t.base.ContainerInstanceArn) != arn {
				continue
			}
			switch t.lastStatus {
			case "RUNNING":
				running++
			case "PROVISIONING", "PENDING":
				pending++
			}
		}
		registered, remaining := s.instanceResourcesView(c, arn)
		out.ContainerInstances = append(out.ContainerInstances, ecstypes.ContainerInstance{
			RegisteredResources: registered, RemainingResources: remaining,
			ContainerInstanceArn: aws.String(arn), Ec2InstanceId: aws.String("i-" + lastSegment(arn)[:17]),
			Status: aws.String("ACTIVE"), AgentConnected: true, RunningTasksCount: running, PendingTasksCount: pending,
			RegisteredAt: aws.Time(c.createdAt),
			VersionInfo:  &ecstypes.VersionInfo{AgentVersion: aws.String(version), AgentHash: aws.String("5b0d4a46"), DockerVersion: aws.String("DockerVersion: 20.10.25")},
		})
	}
	return out, nil
}
