package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/doppio-ecs/doppio/deploy"
)

// ExecCmd runs a command in a task's container (ECS Exec), or forwards a
// local port to it, through AWS's session-manager-plugin, as ecspresso's
// exec does.
type ExecCmd struct {
	ID          string `help:"The task (id, unique id prefix or ARN). Without it: the only running task, else a choice through --filter-command, else a prompt." placeholder:"ID"`
	Command     string `help:"Command to run in the container." default:"sh"`
	Container   string `help:"Container to run it in (default: the only one, else a choice as for the task)." placeholder:"NAME"`
	PortForward bool   `name:"port-forward" help:"Forward a local port to --port of the task (or of --host, reached from the task) instead of running a command."`
	LocalPort   int    `name:"local-port" help:"Local port of --port-forward (0: any free port)." default:"0"`
	Port        int    `help:"Remote port of --port-forward."`
	Host        string `help:"Remote host of --port-forward, reached from the task (default: the task itself)."`
}

// sessionPlugin is the AWS tool that speaks the Session Manager protocol.
const sessionPlugin = "session-manager-plugin"

// Run finds the task and container, opens the session and hands the
// terminal to session-manager-plugin until it ends.
func (c *ExecCmd) Run(g *Globals) error {
	if c.PortForward && c.Port <= 0 {
		return errors.New("--port-forward needs --port (the remote port)")
	}
	if c.LocalPort < 0 || c.LocalPort > 65535 || c.Port < 0 || c.Port > 65535 {
		return errors.New("--port and --local-port must be between 0 and 65535")
	}
	plugin, err := exec.LookPath(sessionPlugin)
	if err != nil {
		return fmt.Errorf("%s is not in PATH; ECS Exec needs it: https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html", sessionPlugin)
	}
	p, err := g.LoadProject()
	if err != nil {
		return err
	}
	// No deadline: a session lasts as long as the user wants (ecspresso's
	// exec has none either).
	ctx := g.Context
	tasks, err := projectTasks(ctx, g, p)
	if err != nil {
		return err
	}
	filter := filterCommand(g, p.Config)
	t, err := chooseTask(g, filter, running(tasks), c.ID)
	if err != nil {
		return err
	}
	ctr, err := c.container(g, filter, t)
	if err != nil {
		return err
	}
	cluster := p.Config.Cluster
	target := fmt.Sprintf("ecs:%s_%s_%s", cluster, t.ID, aws.ToString(ctr.RuntimeId))
	region := p.Clients.Region()
	var session any
	params := map[string]any{"Target": target}
	if c.PortForward {
		doc := "AWS-StartPortForwardingSession"
		sp := map[string][]string{"portNumber": {strconv.Itoa(c.Port)}, "localPortNumber": {strconv.Itoa(c.LocalPort)}}
		if c.Host != "" {
			doc = "AWS-StartPortForwardingSessionToRemoteHost"
			sp["host"] = []string{c.Host}
		}
		out, err := p.Clients.SSM.StartSession(ctx, &ssm.StartSessionInput{Target: aws.String(target), DocumentName: aws.String(doc), Parameters: sp})
		if err != nil {
			return fmt.Errorf("start port forwarding session to %s: %w", target, err)
		}
		session = map[string]any{"SessionId": aws.ToString(out.SessionId), "StreamUrl": aws.ToString(out.StreamUrl), "TokenValue": aws.ToString(out.TokenValue)}
		params["DocumentName"], params["Parameters"] = doc, sp
	} else {
		out, err := p.Clients.ECS.ExecuteCommand(ctx, &ecs.ExecuteCommandInput{
			Cluster: aws.String(cluster), Task: aws.String(t.ARN), Container: ctr.Name,
			Command: aws.String(c.Command), Interactive: true,
		})
		if err != nil {
			return fmt.Errorf("execute command in container %s of task %s: %w", aws.ToString(ctr.Name), t.ID, err)
		}
		s := out.Session
		session = map[string]any{"SessionId": aws.ToString(s.SessionId), "StreamUrl": aws.ToString(s.StreamUrl), "TokenValue": aws.ToString(s.TokenValue)}
	}
	sessionJSON, err := json.Marshal(session)
	if err != nil {
		return err
	}
	paramsJSON, err := json.Marshal(params)
	if err != nil {
		return err
	}
	// The arguments the AWS CLI passes: session, region, operation,
	// profile, request parameters, endpoint.
	cmd := exec.Command(plugin, string(sessionJSON), region, "StartSession", os.Getenv("AWS_PROFILE"), string(paramsJSON), ssmEndpoint(region))
	// The session owns the terminal: unmasked streams, and Ctrl-C goes to
	// the remote shell through the plugin, not to a context.
	cmd.Stdin, cmd.Stdout, cmd.Stderr = g.Stdin, g.rawStdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", sessionPlugin, err)
	}
	return nil
}

// container picks the container: --container, the only one, or a choice.
func (c *ExecCmd) container(g *Globals, filter string, t *deploy.TaskInfo) (*ecstypes.Container, error) {
	cs := t.Task.Containers
	if c.Container != "" {
		for i := range cs {
			if aws.ToString(cs[i].Name) == c.Container {
				return &cs[i], nil
			}
		}
		return nil, fmt.Errorf("task %s has no container %s", t.ID, c.Container)
	}
	switch len(cs) {
	case 0:
		return nil, fmt.Errorf("task %s has no containers yet", t.ID)
	case 1:
		return &cs[0], nil
	}
	menu := make([]string, 0, len(cs))
	for _, ct := range cs {
		menu = append(menu, aws.ToString(ct.Name)+"\t"+aws.ToString(ct.LastStatus))
	}
	name, err := chooseLine(g, filter, menu, "container", "--container")
	if err != nil {
		return nil, err
	}
	c.Container = name
	return c.container(g, filter, t)
}

// ssmEndpoint is the Session Manager endpoint the plugin talks to.
func ssmEndpoint(region string) string {
	for _, k := range []string{"AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "https://ssm." + region + ".amazonaws.com"
}
