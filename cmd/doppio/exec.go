package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/ecsexec"
	"github.com/doppio-ecs/doppio/exitcode"
	"github.com/doppio-ecs/doppio/ghactions"
	"github.com/doppio-ecs/doppio/render"
)

// ExecCmd opens an ECS Exec session, or a port forwarding session, in one
// of the service's running tasks, after checking what would make it fail.
type ExecCmd struct {
	ID          string `help:"Task to open the session in (id, unique id prefix or ARN). Default: the only running task, else chosen interactively." placeholder:"ID"`
	Find        bool   `help:"Choose the task interactively (or with --filter-command) even when only one runs."`
	Container   string `help:"Container to open the session in. Default: the task's only container, else chosen interactively." placeholder:"NAME"`
	Command     string `help:"Command to run in the container (default: sh)." default:"sh" placeholder:"CMD"`
	PortForward bool   `name:"port-forward" help:"Forward --local-port on this machine to --port of the task (or of --host as the task reaches it) instead of running a command."`
	LocalPort   int    `name:"local-port" help:"With --port-forward: local port; 0 lets the plugin choose one (it prints it)." default:"0" placeholder:"N"`
	Port        int    `help:"With --port-forward: port on the task (or on --host)." placeholder:"N"`
	Host        string `help:"With --port-forward: a host the task reaches (a database endpoint, say) to forward to, through the task." placeholder:"HOST"`
	Check       bool   `help:"Only check why ECS Exec would fail: every check OK, NG or WARN with what to do (exit 3 on NG). Without it, the checks run before the session and print only their problems."`
	SkipCheck   bool   `name:"skip-check" help:"Open the session even when a check is NG."`
	Output      string `help:"With --check: text or json." enum:"text,json" default:"text"`
}

// Run checks, then hands the session to session-manager-plugin.
func (c *ExecCmd) Run(g *Globals) error {
	if err := c.validate(); err != nil {
		return err
	}
	p, err := g.LoadProject()
	if err != nil {
		return err
	}
	// No timeout: a session lasts as long as the user keeps it (ecspresso
	// neither), only the look-ups before it do.
	ctx, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	defer cancel()
	sc, err := resolveTaskScope(ctx, g, p)
	if err != nil {
		return err
	}
	tasks, err := ecsexec.RunningTasks(ctx, p.Clients.ECS, sc.Cluster, sc.ServiceName(), sc.Family)
	if err != nil {
		return timeoutError(ctx, err)
	}
	task, ctr, err := c.pick(newChooser(g, p.Config.FilterCommand), tasks, sc)
	if err != nil {
		return err
	}
	plugin, pluginErr := ecsexec.FindPlugin(ctx)
	report := ecsexec.Check(ctx, checkAPI(p), ecsexec.Subject{Cluster: sc.Cluster, Service: sc.Service, Task: *task, Container: ctr, Plugin: plugin, PluginErr: pluginErr, PortForward: c.PortForward})
	if c.Check {
		return c.printReport(g, report, task, sc)
	}
	if pluginErr != nil {
		// Said once, as the error: the session cannot even start.
		return exitcode.With(exitcode.Failed, pluginErr)
	}
	if g.LogFormat == "json" {
		// stderr stays JSON records.
		for _, l := range report.Problems() {
			slog.Warn(l.Check+": "+l.Detail, "status", string(l.Status), "check", l.Check, "fix", l.Fix)
		}
	} else {
		writeCheckReport(g.Stderr, report.Problems())
	}
	if report.Failed() && !c.SkipCheck {
		return exitcode.With(exitcode.Failed, fmt.Errorf("ECS Exec into task %s would fail (NG above); fix it, or pass --skip-check to try anyway (doppio exec --check shows every check)", ecsexec.TaskID(aws.ToString(task.TaskArn))))
	}
	cancel() // the look-ups are done; the session has no deadline
	ep := ecsexec.EndpointsOf(g.Context, p.Clients.ECS, p.Clients.SSM)
	if g.AssumeRoleARN != "" {
		creds, err := p.Clients.Config.Credentials.Retrieve(g.Context)
		if err != nil {
			return fmt.Errorf("credentials of %s for session-manager-plugin: %w", g.AssumeRoleARN, err)
		}
		ep.AssumedRole(creds)
	}
	term := ecsexec.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}
	if g.GitHub().Enabled {
		// What the command prints in the container is text from AWS too.
		term.Out, term.Err = ghactions.NeutralizingWriter(os.Stdout), ghactions.NeutralizingWriter(os.Stderr)
	}
	if c.PortForward {
		pf := ecsexec.PortForward{LocalPort: c.LocalPort, Port: c.Port, Host: c.Host}
		return ecsexec.Forward(g.Context, p.Clients.SSM, plugin, ep, *task, ctr, pf, term)
	}
	return ecsexec.Exec(g.Context, p.Clients.ECS, plugin, ep, *task, ctr, c.Command, term)
}

// pick chooses the task and the container. A check asks nothing: without
// --id it takes the newest task (which tells as much as any) and, without
// --container, checks the agent of every container (ctr nil).
func (c *ExecCmd) pick(ch *chooser, tasks []ecstypes.Task, sc taskScope) (task *ecstypes.Task, ctr *ecstypes.Container, err error) {
	if c.Check && c.ID == "" && !c.Find && len(tasks) > 0 {
		task = newestTask(tasks)
	} else if task, err = chooseTask(ch, tasks, c.ID, c.Find, sc.String()); err != nil {
		return nil, nil, err
	}
	if c.Check && c.Container == "" {
		return task, nil, nil
	}
	ctr, err = chooseContainer(ch, task, c.Container)
	return task, ctr, err
}

// printReport prints every line of --check; exit 3 when one is NG.
func (c *ExecCmd) printReport(g *Globals, report ecsexec.Report, task *ecstypes.Task, sc taskScope) error {
	if c.Output == "json" {
		if err := writeJSON(g, report); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(g.Stderr, "checking task %s of %s\n", ecsexec.TaskID(aws.ToString(task.TaskArn)), sc)
		writeCheckReport(g.Stdout, report)
	}
	if report.Failed() {
		return exitcode.With(exitcode.Failed, errors.New(""))
	}
	return nil
}

func (c *ExecCmd) validate() error {
	if c.Output != "text" && !c.Check {
		return errors.New("--output needs --check (a session's output is the terminal's)")
	}
	if c.ID != "" && c.Find {
		return errors.New("--id and --find exclude each other: --id names the task, --find chooses it")
	}
	if !c.PortForward {
		if c.Port != 0 || c.LocalPort != 0 || c.Host != "" {
			return errors.New("--port, --local-port and --host need --port-forward")
		}
		return nil
	}
	if c.Port < 1 || c.Port > 65535 {
		return fmt.Errorf("--port-forward needs --port between 1 and 65535, got %d", c.Port)
	}
	if c.LocalPort < 0 || c.LocalPort > 65535 {
		return fmt.Errorf("--local-port must be between 0 and 65535, got %d", c.LocalPort)
	}
	return nil
}

func checkAPI(p *render.Project) ecsexec.CheckAPI {
	return ecsexec.CheckAPI{ECS: p.Clients.ECS, IAM: p.Clients.IAM, Logs: p.Clients.Logs, STS: p.Clients.STS}
}

// writeCheckReport prints one line per check, then its fix indented.
func writeCheckReport(w interface{ Write([]byte) (int, error) }, r ecsexec.Report) {
	var b strings.Builder
	for _, l := range r {
		fmt.Fprintf(&b, "%-4s %s: %s\n", l.Status, l.Check, l.Detail)
		if l.Fix != "" {
			fmt.Fprintf(&b, "     → %s\n", l.Fix)
		}
	}
	_, _ = w.Write([]byte(b.String()))
}

// chooseTask picks the running task to open a session in.
func chooseTask(ch *chooser, tasks []ecstypes.Task, id string, find bool, of string) (*ecstypes.Task, error) {
	if len(tasks) == 0 {
		return nil, fmt.Errorf("no running task in %s", of)
	}
	if id != "" {
		var found []*ecstypes.Task
		for i := range tasks {
			arn := aws.ToString(tasks[i].TaskArn)
			tid := ecsexec.TaskID(arn)
			if tid == id || arn == id {
				return &tasks[i], nil
			}
			if strings.HasPrefix(tid, id) {
				found = append(found, &tasks[i])
			}
		}
		switch len(found) {
		case 0:
			return nil, fmt.Errorf("task %s is not a running task of %s", id, of)
		case 1:
			return found[0], nil
		}
		return nil, fmt.Errorf("task id prefix %s matches %d running tasks; give more characters", id, len(found))
	}
	if len(tasks) == 1 && !find {
		return &tasks[0], nil
	}
	items := make([]choice, len(tasks))
	for i, t := range tasks {
		tid := ecsexec.TaskID(aws.ToString(t.TaskArn))
		items[i] = choice{Key: tid, Line: fmt.Sprintf("%s\t%s\t%s\t%s", tid, shortTaskDef(aws.ToString(t.TaskDefinitionArn)), aws.ToString(t.LastStatus), fmtTime(t.StartedAt))}
	}
	i, err := ch.choose("task", "--id", items)
	if err != nil {
		return nil, err
	}
	return &tasks[i], nil
}

// newestTask is the task that started last.
func newestTask(tasks []ecstypes.Task) *ecstypes.Task {
	newest := &tasks[0]
	for i := range tasks {
		if aws.ToTime(tasks[i].StartedAt).After(aws.ToTime(newest.StartedAt)) {
			newest = &tasks[i]
		}
	}
	return newest
}

// chooseContainer picks the container: --container, the only one, or a choice.
func chooseContainer(ch *chooser, t *ecstypes.Task, name string) (*ecstypes.Container, error) {
	if name != "" || len(t.Containers) == 1 {
		return ecsexec.Container(*t, name)
	}
	items := make([]choice, len(t.Containers))
	for i, c := range t.Containers {
		items[i] = choice{Key: aws.ToString(c.Name), Line: fmt.Sprintf("%s\t%s\t%s", aws.ToString(c.Name), aws.ToString(c.Image), aws.ToString(c.LastStatus))}
	}
	i, err := ch.choose("container", "--container", items)
	if err != nil {
		return nil, err
	}
	return &t.Containers[i], nil
}
