package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/exitcode"
	"github.com/doppio-ecs/doppio/render"
)

// RunCmd runs a one-off task (migrations, batches) with the service's
// network configuration and follows it.
type RunCmd struct {
	DryRun                 bool   `help:"Print what would be run; make no mutating AWS call."`
	TaskDef                string `help:"Task definition file to register and run instead of the config's task_definition." placeholder:"PATH" type:"path"`
	Wait                   bool   `help:"Wait for the task (--no-wait: return once ECS accepted it)." negatable:"" default:"true"`
	WaitUntil              string `help:"What ends the wait: stopped (the task ran to its end) or running." enum:"running,stopped" default:"stopped"`
	Overrides              string `help:"TaskOverride JSON, e.g. '{\"containerOverrides\":[{\"name\":\"app\",\"command\":[\"migrate\"]}]}'." placeholder:"JSON"`
	OverridesFile          string `help:"TaskOverride file, rendered like the definition files (templates, Jsonnet)." placeholder:"PATH" type:"path"`
	SkipTaskDefinition     bool   `help:"Run the task definition the service runs (the family's newest without a service); do not register."`
	LatestTaskDefinition   bool   `help:"Run the family's newest ACTIVE revision; do not register."`
	Revision               int32  `help:"Run this revision of the family; do not register." placeholder:"N"`
	Count                  int32  `help:"How many tasks to run (1-10)." default:"1" placeholder:"N"`
	WatchContainer         string `help:"Container whose exit code decides the result and whose awslogs output is streamed (default: the first essential container)." placeholder:"NAME"`
	PropagateTags          string `help:"Copy tags to the task from SERVICE or TASK_DEFINITION (NONE: none)." enum:",NONE,SERVICE,TASK_DEFINITION" default:""`
	Tags                   string `help:"Task tags, KEY=VALUE separated by commas." placeholder:"K=V,..."`
	ClientToken            string `help:"RunTask idempotency token: retrying with the same token starts no second task." placeholder:"TOKEN"`
	EbsDeleteOnTermination bool   `name:"ebs-delete-on-termination" help:"Delete the EBS volumes built from the service's volumeConfigurations when the task stops." negatable:"" default:"true"`
}

// Run starts the task and maps the end: 0 completed, 3 a task did not
// start or the watched container exited non-zero, 4 timed out, 1 error.
func (c *RunCmd) Run(g *Globals) error {
	if c.Count < 1 || c.Count > 10 {
		return fmt.Errorf("--count must be between 1 and 10, got %d", c.Count)
	}
	tags, err := parseTags(c.Tags)
	if err != nil {
		return err
	}
	p, err := g.LoadProject()
	if err != nil {
		return err
	}
	ctx, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	defer cancel()
	overrides, err := c.overrides(ctx, p)
	if err != nil {
		return err
	}
	rep := newProgressReporter(g)
	defer rep.Close()
	d := deploy.New(p.Clients, rep)
	cluster, service := p.Config.Cluster, p.Config.Service

	local := localTaskDefinition(p)
	if c.TaskDef != "" {
		local = func(ctx context.Context) (*ecs.RegisterTaskDefinitionInput, error) {
			return p.DecodeTaskDefinitionFile(ctx, c.TaskDef)
		}
	}
	tdRef, err := d.RunTaskDefinition(ctx, cluster, service, local, deploy.RunTaskDefinitionOptions{
		Revision: c.Revision, LatestTaskDefinition: c.LatestTaskDefinition, SkipTaskDefinition: c.SkipTaskDefinition,
		DryRun: c.DryRun, Ignore: deploy.IgnoreOf(p.Config),
		Overrides: overrides, WatchContainer: c.WatchContainer,
	})
	if err != nil {
		return timeoutError(ctx, err)
	}
	sd, err := runServiceDefinition(ctx, p)
	if err != nil {
		return timeoutError(ctx, err)
	}
	opts := deploy.RunOptions{
		Count: c.Count, Overrides: overrides, Tags: tags, PropagateTags: ecstypes.PropagateTags(c.PropagateTags),
		ClientToken: c.ClientToken, WatchContainer: c.WatchContainer, WaitUntil: deploy.RunWaitUntil(c.WaitUntil),
		NoWait: !c.Wait, EBSDeleteOnTermination: c.EbsDeleteOnTermination,
	}
	if c.PropagateTags == "NONE" {
		opts.PropagateTags = ecstypes.PropagateTagsNone
	}
	if c.DryRun {
		if tdRef == "" {
			fmt.Fprintln(g.Stdout, "a new task definition revision would be registered")
			tdRef = "(new revision)"
		}
		in := deploy.RunTaskInput(cluster, tdRef, sd, opts)
		fmt.Fprintf(g.Stdout, "would run %d task(s) of %s in cluster %s\n", c.Count, shortTaskDef(tdRef), aws.ToString(in.Cluster))
		if in.LaunchType != "" {
			fmt.Fprintf(g.Stdout, "  launch type %s\n", in.LaunchType)
		}
		if in.NetworkConfiguration != nil && in.NetworkConfiguration.AwsvpcConfiguration != nil {
			fmt.Fprintf(g.Stdout, "  subnets %s\n", strings.Join(in.NetworkConfiguration.AwsvpcConfiguration.Subnets, ", "))
		}
		fmt.Fprintln(g.Stdout, "DRY RUN OK")
		return nil
	}
	tdOut, err := p.Clients.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(tdRef)})
	if err != nil {
		return timeoutError(ctx, fmt.Errorf("describe task definition %s: %w", shortTaskDef(tdRef), err))
	}
	if err := deploy.CheckRunContainers(tdOut.TaskDefinition.ContainerDefinitions, overrides, c.WatchContainer, shortTaskDef(tdRef)); err != nil {
		return err
	}
	r := &deploy.Runner{ECS: p.Clients.ECS, Run: p.Clients.ECS, Logs: p.Clients.Logs, Reporter: rep}
	if c.Count > 1 {
		r.LogLine = func(id string, t time.Time, line string) {
			fmt.Fprintf(g.Stdout, "%s %s %s\n", id, t.Local().Format(stamp), line)
		}
	} else {
		r.LogLine = func(_ string, t time.Time, line string) {
			fmt.Fprintf(g.Stdout, "%s %s\n", t.Local().Format(stamp), line)
		}
	}
	tasks, err := r.Start(ctx, deploy.RunTaskInput(cluster, tdRef, sd, opts))
	var partial *deploy.StartFailures
	if err != nil && (!errors.As(err, &partial) || len(tasks) == 0) {
		return timeoutError(ctx, err)
	}
	for _, t := range tasks {
		rep.Report(deploy.Event{Time: time.Now(), Kind: deploy.EventInfo, Message: fmt.Sprintf("started task %s (%s)", aws.ToString(t.TaskArn), shortTaskDef(tdRef))})
	}
	if partial != nil {
		rep.Report(deploy.Event{Time: time.Now(), Kind: deploy.EventWarning, Message: partial.Error() + "; following the tasks that started"})
	}
	if len(tasks) > 0 {
		if err := g.GitHub().SetOutput("task-arn", aws.ToString(tasks[0].TaskArn)); err != nil {
			return err
		}
	}
	if !c.Wait {
		rep.Close()
		fmt.Fprintf(g.Stdout, "SUBMITTED: %d task(s) of %s started (not waiting: --no-wait)\n", len(tasks), shortTaskDef(tdRef))
		if partial != nil {
			return exitcode.With(exitcode.Failed, partial)
		}
		return nil
	}
	out := r.Follow(ctx, cluster, tdOut.TaskDefinition, tasks, opts).WithStartFailures(partial)
	rep.Close()
	if out.ContainerExitCode != nil {
		if err := g.GitHub().SetOutput("exit-code", fmt.Sprint(*out.ContainerExitCode)); err != nil {
			return err
		}
	}
	return reportOutcome(g, &out.Outcome)
}

// overrides reads --overrides (plain JSON) or --overrides-file (rendered).
func (c *RunCmd) overrides(ctx context.Context, p *render.Project) (*ecstypes.TaskOverride, error) {
	src, name := []byte(c.Overrides), "--overrides"
	if c.Overrides == "" {
		if c.OverridesFile == "" {
			return nil, nil
		}
		if _, err := os.Stat(c.OverridesFile); err != nil {
			return nil, fmt.Errorf("--overrides-file: %w", err)
		}
		b, err := p.RenderJSON(ctx, c.OverridesFile)
		if err != nil {
			return nil, err
		}
		src, name = b, c.OverridesFile
	}
	var o ecstypes.TaskOverride
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return nil, fmt.Errorf("%s: not a TaskOverride JSON object: %w", name, err)
	}
	return &o, nil
}

// runServiceDefinition is where the task's network and placement come
// from: the local service definition, else the live service, else nothing
// (a family without a service).
func runServiceDefinition(ctx context.Context, p *render.Project) (*render.ServiceDefinition, error) {
	if p.Config.ServiceDefinitionPath != "" {
		return p.ServiceDefinition(ctx)
	}
	if p.Config.Service == "" {
		return nil, nil
	}
	svc, err := deploy.FindService(ctx, p.Clients.ECS, p.Config.Cluster, p.Config.Service)
	if err != nil {
		return nil, err
	}
	return deploy.ServiceDefinition(svc), nil
}

// parseTags reads K=V,K2=V2.
func parseTags(s string) ([]ecstypes.Tag, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var tags []ecstypes.Tag
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("invalid --tags %q: use KEY=VALUE pairs separated by commas", s)
		}
		tags = append(tags, ecstypes.Tag{Key: aws.String(strings.TrimSpace(k)), Value: aws.String(v)})
	}
	return tags, nil
}
