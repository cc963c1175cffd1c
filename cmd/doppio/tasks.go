package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/apijson"
	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/render"
)

// TasksCmd lists the service's (or the family's) tasks; --find, --stop and
// --trace act on one of them, as ecspresso's (ecsta's) do. Everything but
// --stop is read-only.
type TasksCmd struct {
	ID     string   `help:"The task --find, --stop and --trace act on (id, unique id prefix or ARN). Without it: the only task, else a choice through --filter-command, else a prompt." placeholder:"ID"`
	Output string   `help:"Output format: table (doppio's summary), json (one DescribeTasks task object after another, as ecspresso) or tsv (ecspresso's columns)." enum:"table,json,tsv" default:"table"`
	Find   bool     `help:"Print the chosen task as JSON (DescribeTasks shape)."`
	Stop   stopFlag `help:"Stop the chosen task after confirmation. (--stop=ID, doppio's former spelling, still works.)"`
	Force  bool     `help:"With --stop: do not ask for confirmation (required when stdin is not a terminal)."`
	Trace  bool     `help:"Print the chosen task's timeline: lifecycle, container exits and the last lines of its awslogs streams."`
}

// stopFlag is --stop: a bool as in ecspresso, that also takes doppio's
// former --stop=ID form.
type stopFlag struct {
	set bool
	id  string
}

func (s *stopFlag) IsBool() bool { return true }

func (s *stopFlag) Decode(ctx *kong.DecodeContext) error {
	if ctx.Scan.Peek().Type != kong.FlagValueToken {
		s.set = true
		return nil
	}
	switch v := ctx.Scan.Pop().Value.(type) {
	case bool:
		s.set = v
	case string:
		switch strings.ToLower(v) {
		case "true", "yes", "1":
			s.set = true
		case "false", "no", "0":
			s.set = false
		default:
			s.set, s.id = true, v
		}
	default:
		return fmt.Errorf("unexpected value %v", v)
	}
	return nil
}

// Run lists, or finds, stops or traces one task.
func (c *TasksCmd) Run(g *Globals) error {
	p, err := g.LoadProject()
	if err != nil {
		return err
	}
	ctx, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	defer cancel()
	cluster := p.Config.Cluster
	tasks, err := projectTasks(ctx, g, p)
	if err != nil {
		return timeoutError(ctx, err)
	}
	id := c.ID
	if c.Stop.id != "" {
		if id != "" && id != c.Stop.id {
			return fmt.Errorf("--stop=%s and --id %s name different tasks; use --id", c.Stop.id, id)
		}
		id = c.Stop.id
	}
	actions := 0
	for _, on := range []bool{c.Find, c.Stop.set, c.Trace} {
		if on {
			actions++
		}
	}
	if actions > 1 {
		return errors.New("use only one of --find, --stop and --trace")
	}
	if actions == 0 {
		if c.ID != "" {
			// ecspresso lists every task whatever --id says; doppio narrows
			// the list to the task named.
			t, err := deploy.FindTask(tasks, c.ID)
			if err != nil {
				return err
			}
			tasks = []deploy.TaskInfo{*t}
		}
		return c.list(g, tasks)
	}
	if c.Stop.set {
		tasks = running(tasks)
	}
	t, err := chooseTask(g, filterCommand(g, p.Config), tasks, id)
	if err != nil {
		return err
	}
	switch {
	case c.Find:
		return writeTaskJSON(g.Stdout, t.Task)
	case c.Trace:
		events, problems := deploy.TraceTask(ctx, p.Clients.ECS, p.Clients.Logs, t.Task)
		for _, pr := range problems {
			fmt.Fprintf(g.Stderr, "trace: %s\n", pr)
		}
		return writeTrace(g.Stdout, c.Output, events)
	}
	return c.stop(g, p.Clients.ECS, cluster, t)
}

// projectTasks lists the tasks of the config's service, or without one of
// the local task definition's family, as ecspresso's tasks and exec do.
func projectTasks(ctx context.Context, g *Globals, p *render.Project) ([]deploy.TaskInfo, error) {
	cluster, service := p.Config.Cluster, p.Config.Service
	family := ""
	if service != "" {
		if _, err := deploy.FindService(ctx, p.Clients.ECS, cluster, service); err != nil {
			return nil, err
		}
	} else {
		d := deploy.New(p.Clients, newProgressReporter(g))
		f, err := d.Family(ctx, cluster, "", localTaskDefinition(p))
		if err != nil {
			return nil, err
		}
		family = f
	}
	return deploy.ListTasks(ctx, p.Clients.ECS, cluster, service, family)
}

func (c *TasksCmd) list(g *Globals, tasks []deploy.TaskInfo) error {
	switch c.Output {
	case "json":
		for _, t := range tasks {
			if err := writeTaskJSON(g.Stdout, t.Task); err != nil {
				return err
			}
		}
		return nil
	case "tsv":
		var b strings.Builder
		b.WriteString("ID\tTaskDefinition\tInstance\tLastStatus\tDesiredStatus\tCreatedAt\tGroup\tType\n")
		for _, t := range tasks {
			b.WriteString(strings.Join(ecspressoColumns(t.Task), "\t") + "\n")
		}
		_, err := io.WriteString(g.Stdout, b.String())
		return err
	}
	if len(tasks) == 0 {
		fmt.Fprintln(g.Stderr, "no tasks")
		return nil
	}
	rows := make([][]string, 0, len(tasks))
	for _, t := range tasks {
		rows = append(rows, []string{t.ID, t.TaskDefinition, t.LastStatus, t.DesiredStatus, t.Health, fmtTime(t.StartedAt), fmtTime(t.StoppedAt), t.StoppedReason})
	}
	return writeTable(g, "table", tasks, []string{"ID", "TASK DEFINITION", "LAST", "DESIRED", "HEALTH", "STARTED", "STOPPED", "STOPPED REASON"}, rows)
}

// ecspressoColumns are the columns of ecspresso's (ecsta's) task tsv.
func ecspressoColumns(t ecstypes.Task) []string {
	created := ""
	if t.CreatedAt != nil {
		created = t.CreatedAt.Local().Format(time.RFC3339)
	}
	return []string{
		lastPart(aws.ToString(t.TaskArn)),
		lastPart(aws.ToString(t.TaskDefinitionArn)),
		lastPart(aws.ToString(t.ContainerInstanceArn)),
		aws.ToString(t.LastStatus),
		aws.ToString(t.DesiredStatus),
		created,
		aws.ToString(t.Group),
		string(t.LaunchType),
	}
}

func lastPart(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// writeTaskJSON writes one task as indented API JSON and a newline, the
// stream ecspresso's `tasks --output json` and `--find` write.
func writeTaskJSON(w io.Writer, t ecstypes.Task) error {
	b, err := apijson.Marshal(t)
	if err != nil {
		return err
	}
	if !bytes.HasSuffix(b, []byte("\n")) {
		b = append(b, '\n')
	}
	_, err = w.Write(b)
	return err
}

func writeTrace(w io.Writer, format string, events []deploy.TraceEvent) error {
	var b strings.Builder
	for _, e := range events {
		if format == "json" {
			line, err := json.Marshal(e)
			if err != nil {
				return err
			}
			b.Write(line)
			b.WriteByte('\n')
			continue
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\n", e.Time.Local().Format("2006-01-02T15:04:05.000Z07:00"), e.Source, e.Message)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func running(tasks []deploy.TaskInfo) []deploy.TaskInfo {
	var out []deploy.TaskInfo
	for _, t := range tasks {
		if t.LastStatus != "STOPPED" {
			out = append(out, t)
		}
	}
	return out
}

func (c *TasksCmd) stop(g *Globals, api deploy.TaskStopper, cluster string, t *deploy.TaskInfo) error {
	if t.LastStatus == "STOPPED" {
		return fmt.Errorf("task %s is already STOPPED", t.ID)
	}
	if !c.Force {
		q := fmt.Sprintf("Stop task %s (%s, %s)? [y/N] ", t.ID, t.TaskDefinition, t.LastStatus)
		if err := confirm(g, "tasks --stop", q, yes); err != nil {
			return err
		}
	}
	if err := deploy.StopTask(g.Context, api, cluster, t.ARN, "stopped by doppio tasks --stop"); err != nil {
		return err
	}
	fmt.Fprintf(g.Stdout, "task %s is stopping\n", t.ID)
	return nil
}

// filterCommand is --filter-command, else the config's filter_command
// (ecspresso's deprecated spelling).
func filterCommand(g *Globals, cfg *render.Config) string {
	if g.FilterCommand != "" {
		return g.FilterCommand
	}
	return cfg.FilterCommand
}

// chooseTask picks the task an action is for: the one --id names, else the
// only candidate, else the user's choice through the filter command (peco,
// fzf: it reads one task a line and prints the chosen line), else an answer
// typed at a prompt. Without a terminal and a filter, several candidates are
// an error rather than a guess.
func chooseTask(g *Globals, filter string, tasks []deploy.TaskInfo, id string) (*deploy.TaskInfo, error) {
	if id != "" {
		return deploy.FindTask(tasks, id)
	}
	switch len(tasks) {
	case 0:
		return nil, errors.New("no tasks to choose from")
	case 1:
		return &tasks[0], nil
	}
	menu := make([]string, 0, len(tasks))
	for _, t := range tasks {
		menu = append(menu, strings.Join(ecspressoColumns(t.Task), "\t"))
	}
	answer, err := chooseLine(g, filter, menu, "task", "--id")
	if err != nil {
		return nil, err
	}
	return deploy.FindTask(tasks, answer)
}

// chooseLine asks the user for one of several items, each a line whose
// first field names it: through the filter command when there is one, else
// at a prompt on a terminal. It returns the first field of the answer.
func chooseLine(g *Globals, filter string, menu []string, what, flag string) (string, error) {
	var answer string
	switch {
	case filter != "":
		cmd := exec.CommandContext(g.Context, filter)
		if strings.ContainsAny(filter, " \t") {
			cmd = exec.CommandContext(g.Context, "sh", "-c", filter)
		}
		cmd.Stdin = strings.NewReader(strings.Join(menu, "\n") + "\n")
		cmd.Stderr = g.Stderr
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("filter command %q: %w", filter, err)
		}
		line, _, _ := strings.Cut(string(out), "\n")
		if f := strings.Fields(line); len(f) > 0 {
			answer = f[0]
		}
		if answer == "" {
			return "", fmt.Errorf("filter command %q chose no %s; nothing was done", filter, what)
		}
	case interactive(g.Stdin):
		fmt.Fprint(g.Stderr, strings.Join(menu, "\n")+"\n")
		fmt.Fprintf(g.Stderr, "Enter the %s (first column): ", what)
		line, err := bufio.NewReader(g.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the %s: %w", what, err)
		}
		if answer = strings.TrimSpace(line); answer == "" {
			return "", fmt.Errorf("no %s entered; nothing was done", what)
		}
	default:
		return "", fmt.Errorf("%d %ss to choose from and stdin is not a terminal: pass %s, or --filter-command (e.g. peco, fzf)", len(menu), what, flag)
	}
	return answer, nil
}

func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04:05")
}
