package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/ecsexec"
	"github.com/doppio-ecs/doppio/render"
	"github.com/doppio-ecs/doppio/tasklogs"
)

// TasksLogsCmd prints the awslogs output of the service's running tasks (or
// of one task, stopped ones included), oldest first. It makes no mutating
// AWS call.
type TasksLogsCmd struct {
	// ID is the --id of `tasks` (kong forbids the child repeating it):
	// only this task, a stopped one too.
	ID        string         `kong:"-"`
	Container string         `help:"Only this container." placeholder:"NAME"`
	Follow    bool           `short:"f" help:"Keep printing new lines (and the lines of tasks that start meanwhile) until Ctrl-C."`
	Since     *time.Duration `help:"Only lines of the last DURATION (e.g. 10m). Default: from the start of each stream." placeholder:"DURATION"`

	warned bool // containers without awslogs were named once
}

// refreshEvery is how many polls pass before a follow looks for new tasks.
const refreshEvery = 10

// Run prints, then follows when asked.
func (c *TasksLogsCmd) Run(g *Globals, parent *TasksCmd) error {
	c.ID = parent.ID
	if c.Since != nil && *c.Since <= 0 {
		return fmt.Errorf("--since must be a positive duration such as 10m, got %s", *c.Since)
	}
	p, err := g.LoadProject()
	if err != nil {
		return err
	}
	lookups, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	defer cancel()
	sc, err := resolveTaskScope(lookups, g, p)
	if err != nil {
		return err
	}
	tds := map[string]*ecstypes.TaskDefinition{}
	streams, err := c.streams(lookups, g, p, sc, tds)
	if err != nil {
		return timeoutError(lookups, err)
	}
	r := &tasklogs.Reader{API: p.Clients.Logs, In: logsIn(p)}
	if c.Since != nil {
		r.Since = time.Now().Add(-*c.Since)
	}
	lines, err := r.Read(lookups, streams)
	if err != nil {
		return timeoutError(lookups, err)
	}
	c.print(g, lines)
	if !c.Follow {
		return nil
	}
	// Following has no deadline: it ends with Ctrl-C (exit 0).
	ctx := g.Context
	lo, hi, _ := deploy.PollIntervals()
	interval := lo
	for polls := 1; ; polls++ {
		timer := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
		if c.ID == "" && polls%refreshEvery == 0 {
			if s, err := c.streams(ctx, g, p, sc, tds); err == nil {
				streams = s
			} else if ctx.Err() == nil {
				fmt.Fprintf(g.Stderr, "doppio: warning: %v\n", err)
			}
		}
		lines, err := r.Read(ctx, streams)
		if ctx.Err() != nil {
			c.print(g, lines)
			return nil
		}
		if err != nil {
			fmt.Fprintf(g.Stderr, "doppio: warning: %v\n", err)
		}
		c.print(g, lines)
		if len(lines) > 0 {
			interval = lo
		} else {
			interval = min(hi, interval*3/2)
		}
	}
}

func (c *TasksLogsCmd) print(g *Globals, lines []tasklogs.Line) {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%s/%s %s %s\n", l.TaskID, l.Container, l.Time.Format(time.RFC3339), l.Message)
	}
	_, _ = g.Stdout.Write([]byte(b.String()))
}

// streams finds the tasks, their task definitions (cached in tds) and the
// awslogs streams of their containers.
func (c *TasksLogsCmd) streams(ctx context.Context, g *Globals, p *render.Project, sc taskScope, tds map[string]*ecstypes.TaskDefinition) ([]tasklogs.Stream, error) {
	var tasks []ecstypes.Task
	if c.ID != "" {
		out, err := p.Clients.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(sc.Cluster), Tasks: []string{c.ID}})
		if err != nil {
			return nil, fmt.Errorf("describe task %s: %w", c.ID, err)
		}
		if len(out.Tasks) == 0 {
			return nil, fmt.Errorf("task %s not found in cluster %s", c.ID, sc.Cluster)
		}
		tasks = out.Tasks
	} else {
		var err error
		if tasks, err = ecsexec.RunningTasks(ctx, p.Clients.ECS, sc.Cluster, sc.ServiceName(), sc.Family); err != nil {
			return nil, err
		}
		if len(tasks) == 0 && !c.Follow {
			return nil, fmt.Errorf("no running task in %s (pass --id for a stopped one)", sc)
		}
	}
	for _, t := range tasks {
		arn := aws.ToString(t.TaskDefinitionArn)
		if tds[arn] != nil {
			continue
		}
		out, err := p.Clients.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
		if err != nil {
			return nil, fmt.Errorf("describe task definition %s: %w", shortTaskDef(arn), err)
		}
		tds[arn] = out.TaskDefinition
	}
	streams, skipped := tasklogs.Streams(tasks, tds, c.Container)
	if c.Container != "" && len(streams) == 0 && len(skipped) == 0 {
		return nil, fmt.Errorf("no container %s in the tasks of %s", c.Container, sc)
	}
	if len(streams) == 0 && len(skipped) > 0 {
		return nil, errors.New("no container of these tasks logs with the awslogs driver (" + strings.Join(skipped, ", ") + "); doppio reads CloudWatch Logs only")
	}
	if len(skipped) > 0 && !c.warned {
		c.warned = true
		fmt.Fprintf(g.Stderr, "doppio: containers without awslogs, not shown: %s\n", strings.Join(skipped, ", "))
	}
	return streams, nil
}

// logsIn gives a CloudWatch Logs client for an awslogs-region, built once
// per region from the run's configuration.
func logsIn(p *render.Project) func(region string) tasklogs.API {
	clients := map[string]tasklogs.API{}
	return func(region string) tasklogs.API {
		if region == "" || region == p.Clients.Region() {
			return p.Clients.Logs
		}
		if c, ok := clients[region]; ok {
			return c
		}
		c := cloudwatchlogs.NewFromConfig(p.Clients.Config, func(o *cloudwatchlogs.Options) { o.Region = region })
		clients[region] = c
		return c
	}
}
