package ecsexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// ECSAPI is what exec needs from ECS.
type ECSAPI interface {
	ExecuteCommand(context.Context, *ecs.ExecuteCommandInput, ...func(*ecs.Options)) (*ecs.ExecuteCommandOutput, error)
	ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
}

// SSMAPI is what port forwarding needs from SSM.
type SSMAPI interface {
	StartSession(context.Context, *ssm.StartSessionInput, ...func(*ssm.Options)) (*ssm.StartSessionOutput, error)
	TerminateSession(context.Context, *ssm.TerminateSessionInput, ...func(*ssm.Options)) (*ssm.TerminateSessionOutput, error)
}

// Endpoints are where the plugin reaches the services, and as whom.
type Endpoints struct {
	Region string
	// ECS and SSM are the services' endpoint URLs, as the AWS CLI passes
	// them to the plugin (https://ecs.REGION.amazonaws.com, or the
	// configured AWS_ENDPOINT_URL).
	ECS, SSM string
	// Profile is AWS_PROFILE, or "" (the plugin then uses the default chain).
	Profile string
	// Env is added to the plugin's environment: the credentials of the role
	// doppio assumed (--assume-role-arn), so that the plugin's own calls
	// (reconnecting, ending the session) act as that role too.
	Env []string
}

// run starts the plugin for one session.
func (ep Endpoints) run(plugin *Plugin, session pyObject, params pyObject, endpoint string, term IO) error {
	inv := plugin.Invocation(session, ep.Region, ep.Profile, params, endpoint)
	inv.Env = append(inv.Env, ep.Env...)
	return plugin.Run(inv, term.In, term.Out, term.Err)
}

// AssumedRole makes the plugin act as the role behind creds instead of a
// profile.
func (ep *Endpoints) AssumedRole(creds aws.Credentials) {
	ep.Profile = ""
	ep.Env = []string{"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey, "AWS_SESSION_TOKEN=" + creds.SessionToken, "AWS_PROFILE="}
}

// ProfileFromEnv is the profile the SDK uses, as the AWS CLI passes it.
func ProfileFromEnv() string {
	if p := os.Getenv("AWS_PROFILE"); p != "" {
		return p
	}
	return os.Getenv("AWS_DEFAULT_PROFILE")
}

// RunningTasks are the RUNNING tasks of the service (or, without one, of
// the family), described with their containers, oldest first.
func RunningTasks(ctx context.Context, api ECSAPI, cluster, service, family string) ([]ecstypes.Task, error) {
	in := &ecs.ListTasksInput{Cluster: aws.String(cluster), DesiredStatus: ecstypes.DesiredStatusRunning}
	if service != "" {
		in.ServiceName = aws.String(service)
	} else {
		in.Family = aws.String(family)
	}
	var arns []string
	p := ecs.NewListTasksPaginator(api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list running tasks in cluster %s: %w", cluster, err)
		}
		arns = append(arns, page.TaskArns...)
	}
	var tasks []ecstypes.Task
	for len(arns) > 0 {
		n := min(100, len(arns))
		out, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: arns[:n]})
		if err != nil {
			return nil, fmt.Errorf("describe tasks in cluster %s: %w", cluster, err)
		}
		for _, t := range out.Tasks {
			if aws.ToString(t.LastStatus) == "RUNNING" {
				tasks = append(tasks, t)
			}
		}
		arns = arns[n:]
	}
	return tasks, nil
}

// TaskID is the last segment of a task ARN.
func TaskID(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// Container picks the container of t to open a session in: name, or the
// task's only container; several without a name is an error that lists them.
func Container(t ecstypes.Task, name string) (*ecstypes.Container, error) {
	var names []string
	for i := range t.Containers {
		c := &t.Containers[i]
		if aws.ToString(c.Name) == name || (name == "" && len(t.Containers) == 1) {
			return c, nil
		}
		names = append(names, aws.ToString(c.Name))
	}
	if name == "" {
		return nil, fmt.Errorf("task %s has %d containers (%s); choose one with --container", TaskID(aws.ToString(t.TaskArn)), len(names), strings.Join(names, ", "))
	}
	return nil, fmt.Errorf("task %s has no container %s (it has %s)", TaskID(aws.ToString(t.TaskArn)), name, strings.Join(names, ", "))
}

// Target is the Session Manager target of a container:
// ecs:<cluster name>_<task id>_<container runtime id>.
func Target(t ecstypes.Task, c *ecstypes.Container) string {
	cluster := aws.ToString(t.ClusterArn)
	cluster = cluster[strings.LastIndex(cluster, "/")+1:]
	return fmt.Sprintf("ecs:%s_%s_%s", cluster, TaskID(aws.ToString(t.TaskArn)), aws.ToString(c.RuntimeId))
}

// Exec runs command in the container through ECS ExecuteCommand and the
// plugin; it returns when the session ends.
func Exec(ctx context.Context, api ECSAPI, plugin *Plugin, ep Endpoints, t ecstypes.Task, c *ecstypes.Container, command string, term IO) error {
	out, err := api.ExecuteCommand(ctx, &ecs.ExecuteCommandInput{
		Cluster: t.ClusterArn, Task: t.TaskArn, Container: c.Name, Command: aws.String(command), Interactive: true,
	})
	if err != nil {
		return fmt.Errorf("execute command in container %s of task %s: %w (doppio exec --check tells why)", aws.ToString(c.Name), TaskID(aws.ToString(t.TaskArn)), err)
	}
	s := out.Session
	if s == nil {
		return fmt.Errorf("execute command in task %s: ECS returned no session", TaskID(aws.ToString(t.TaskArn)))
	}
	session := pyObject{{"sessionId", aws.ToString(s.SessionId)}, {"streamUrl", aws.ToString(s.StreamUrl)}, {"tokenValue", aws.ToString(s.TokenValue)}}
	params := pyObject{{"Target", Target(t, c)}}
	return ep.run(plugin, session, params, ep.ECS, term)
}

// IO is the terminal the plugin is attached to: files pass to it as they
// are (a TTY stays one); other writers get its output through a pipe.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
}

// PortForward is a port forwarding request: LocalPort on this machine
// (0: the plugin picks one and prints it) to Port of the task, or of Host
// as the task reaches it.
type PortForward struct {
	LocalPort, Port int
	Host            string
}

// Document is the SSM document and its parameters for the request.
func (pf PortForward) Document() (string, pyObject) {
	params := pyObject{}
	doc := "AWS-StartPortForwardingSession"
	if pf.Host != "" {
		doc = "AWS-StartPortForwardingSessionToRemoteHost"
		params = append(params, pyMember{"host", []string{pf.Host}})
	}
	params = append(params, pyMember{"portNumber", []string{strconv.Itoa(pf.Port)}}, pyMember{"localPortNumber", []string{strconv.Itoa(pf.LocalPort)}})
	return doc, params
}

// Forward opens a port forwarding session to the container's task with SSM
// StartSession and runs the plugin until it exits (Ctrl-C). The session is
// terminated when the plugin could not start.
func Forward(ctx context.Context, api SSMAPI, plugin *Plugin, ep Endpoints, t ecstypes.Task, c *ecstypes.Container, pf PortForward, term IO) error {
	doc, params := pf.Document()
	sdkParams := map[string][]string{}
	for _, m := range params {
		sdkParams[m.Key] = m.Value.([]string)
	}
	target := Target(t, c)
	out, err := api.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(target), DocumentName: aws.String(doc), Parameters: sdkParams})
	if err != nil {
		return fmt.Errorf("start port forwarding session to task %s: %w (doppio exec --check tells why)", TaskID(aws.ToString(t.TaskArn)), err)
	}
	session := pyObject{{"SessionId", aws.ToString(out.SessionId)}, {"TokenValue", aws.ToString(out.TokenValue)}, {"StreamUrl", aws.ToString(out.StreamUrl)}}
	request := pyObject{{"Target", target}, {"DocumentName", doc}, {"Parameters", params}}
	err = ep.run(plugin, session, request, ep.SSM, term)
	var notStarted *startError
	if errors.As(err, &notStarted) {
		// The plugin never started: end the session rather than leave it
		// open on the agent until it times out (as the AWS CLI does).
		_, _ = api.TerminateSession(context.WithoutCancel(ctx), &ssm.TerminateSessionInput{SessionId: out.SessionId})
	}
	return err
}
