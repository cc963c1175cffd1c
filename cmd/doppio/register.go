package main

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/doppio-ecs/doppio/apijson"
	"github.com/doppio-ecs/doppio/deploy"
)

// RegisterCmd registers the task definition file, reusing an identical
// ACTIVE revision as deploy does.
type RegisterCmd struct {
	DryRun bool `help:"Print the rendered task definition JSON on stdout; make no mutating AWS call."`
	Output bool `help:"Print the registered (or reused) task definition JSON on stdout (the TaskDefinition object, as ecspresso; tags beside as \"tags\")."`
}

// Run registers; the family:revision is logged on stderr.
func (c *RegisterCmd) Run(g *Globals) error {
	p, err := g.LoadProject()
	if err != nil {
		return err
	}
	if p.Config.TaskDefinitionPath == "" {
		return fmt.Errorf("register needs a task definition: set `task_definition` in the config")
	}
	ctx, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	defer cancel()
	in, err := p.TaskDefinition(ctx)
	if err != nil {
		return err
	}
	rep := newProgressReporter(g)
	defer rep.Close()
	d := deploy.New(p.Clients, rep)
	reg, err := d.Register(ctx, in, deploy.IgnoreOf(p.Config), c.DryRun)
	if err != nil {
		return timeoutError(ctx, err)
	}
	rep.Close()
	if !c.DryRun && reg.TaskDefinition != nil {
		if err := g.GitHub().SetOutput("task-definition-arn", aws.ToString(reg.TaskDefinition.TaskDefinitionArn)); err != nil {
			return err
		}
	}
	switch {
	case c.DryRun:
		// ecspresso prints the definition that would be registered.
	case c.Output:
		return writeTaskDefinition(g.Stdout, reg.TaskDefinition, reg.Tags)
	default:
		return nil
	}
	b, err := apijson.Marshal(in)
	if err != nil {
		return err
	}
	if _, err := g.Stdout.Write(b); err != nil {
		return err
	}
	if c.DryRun {
		fmt.Fprintln(g.Stderr, "DRY RUN OK")
	}
	return nil
}
