package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/apijson"
	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/internal/third_party/kong"
)

// TasksCmd lists the service's (or the family's) tasks; --find, --stop and
// --trace act on one of them, as ecspresso's (ecsta's) do. Everything but
// --stop is read-only.
type TasksCmd struct {
	ID     string   `help:"The task --find, --stop and --trace act on (id, unique id prefix or ARN; a whole id or ARN: any task of the cluster, one run started too); with tasks logs, only this task's lines (a stopped task too). Without it: the only task, else a choice through --filter-command, else a prompt." placeholder:"ID"`
	Output string   `help:"Output format: table (doppio's summary), json (one DescribeTasks task object after another, as ecspresso) or tsv (ecspresso's columns)." enum:"table,json,tsv" default:"table"`
	Find   bool     `help:"Print the chosen task as JSON (DescribeTasks shape)."`
	Stop   stopFlag `help:"Stop the chosen task after confirmation. (--stop=ID, doppio's former spelling, still works.)"`
	Force  bool     `help:"With --stop: do not ask for confirmation (required when stdin is not a terminal)."`
	Trace  bool     `help:"Print the chosen task's timeline: lifecycle, container exits and the last lines of its awslogs streams."`

	// `doppio tasks [flags]` runs List, so the flags above work as before
	// next to the subcommands. (A Run on TasksCmd itself would also run for
	// `tasks logs`: kong runs the parent's Run too.)
	List tasksListCmd `cmd:"" default:"withargs" hidden:"" help:"List the tasks, or find, stop or trace one (the default)."`
	Logs TasksLogsCmd `cmd:"" help:"Print (or follow with -f) the awslogs output of the service's tasks, each line prefixed by task and container."`
}

// tasksListCmd is plain `doppio tasks`.
type tasksListCmd struct{}

// Run lists, finds, stops or traces, with the flags of `tasks`.
func (*tasksListCmd) Run(g *Globals, c *TasksCmd) error { return c.run(g) }

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

// run lists, or finds, stops or traces one task.
func (c *TasksCmd) run(g *Globals) error {
	p, err := g.LoadProject()
	if err != nil {
		return err
	}
	ctx, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	defer cancel()
	sc, err := resolveTaskScope(ctx, g, p)
	if err != nil {
		return timeoutError(ctx, err)
	}
	cluster := sc.Cluster
	tasks, err := deploy.ListTasks(ctx, p.Clients.ECS, cluster, sc.ServiceName(), sc.Family)
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
			t, err := deploy.FindTask(ctx, p.Clients.ECS, cluster, tasks, c.ID)
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
	var t *deploy.TaskInfo
	if id != "" {
		t, err = deploy.FindTask(ctx, p.Clients.ECS, cluster, tasks, id)
	} else {
		t, err = chooseListedTask(newChooser(g, p.Config.FilterCommand), tasks)
	}
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

// chooseListedTask picks the task an action is for when no --id names it
// (deploy.FindTask does then): the only candidate, else the user's choice
// (filter command or prompt, see chooser), offered as ecspresso's tsv
// columns, id first.
func chooseListedTask(ch *chooser, tasks []deploy.TaskInfo) (*deploy.TaskInfo, error) {
	if len(tasks) == 1 {
		return &tasks[0], nil
	}
	items := make([]choice, 0, len(tasks))
	for _, t := range tasks {
		items = append(items, choice{Key: t.ID, Line: strings.Join(ecspressoColumns(t.Task), "\t")})
	}
	i, err := ch.choose("task", "--id", items)
	if err != nil {
		return nil, err
	}
	return &tasks[i], nil
}

func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04:05")
}
