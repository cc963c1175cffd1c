package main

import (
	"fmt"
	"time"

	"github.com/doppio-ecs/doppio/deploy"
)

// TasksCmd lists the service's (or the family's) tasks, or stops one.
// Listing makes no mutating AWS call.
type TasksCmd struct {
	Output string `help:"Output format: table, json or tsv." enum:"table,json,tsv" default:"table"`
	Stop   string `help:"Stop this task (id, id prefix or ARN) after confirmation." placeholder:"ID"`
	Force  bool   `help:"With --stop: do not ask for confirmation (required when stdin is not a terminal)."`

	// `doppio tasks [flags]` runs List, so the flags above work as before
	// next to the subcommands.
	List tasksListCmd `cmd:"" default:"withargs" hidden:"" help:"List the tasks, or stop one (the default)."`
	Logs TasksLogsCmd `cmd:"" help:"Print (or follow with -f) the awslogs output of the service's tasks, each line prefixed by task and container."`
}

// tasksListCmd is plain `doppio tasks`.
type tasksListCmd struct{}

// Run lists or stops, with the flags of `tasks`.
func (*tasksListCmd) Run(g *Globals, c *TasksCmd) error { return c.list(g) }

// list lists or stops.
func (c *TasksCmd) list(g *Globals) error {
	p, err := g.LoadProject()
	if err != nil {
		return err
	}
	ctx, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	defer cancel()
	sc, err := resolveTaskScope(ctx, g, p)
	if err != nil {
		return err
	}
	cluster := sc.Cluster
	tasks, err := deploy.ListTasks(ctx, p.Clients.ECS, cluster, sc.ServiceName(), sc.Family)
	if err != nil {
		return timeoutError(ctx, err)
	}
	if c.Stop != "" {
		return c.stop(g, p.Clients.ECS, cluster, tasks)
	}
	rows := make([][]string, 0, len(tasks))
	for _, t := range tasks {
		rows = append(rows, []string{t.ID, t.TaskDefinition, t.LastStatus, t.DesiredStatus, t.Health, fmtTime(t.StartedAt), fmtTime(t.StoppedAt), t.StoppedReason})
	}
	if len(tasks) == 0 && c.Output == "table" {
		fmt.Fprintln(g.Stderr, "no tasks")
		return nil
	}
	return writeTable(g, c.Output, tasks, []string{"ID", "TASK DEFINITION", "LAST", "DESIRED", "HEALTH", "STARTED", "STOPPED", "STOPPED REASON"}, rows)
}

func (c *TasksCmd) stop(g *Globals, api deploy.TaskStopper, cluster string, tasks []deploy.TaskInfo) error {
	t, err := deploy.FindTask(tasks, c.Stop)
	if err != nil {
		return err
	}
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

func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04:05")
}
