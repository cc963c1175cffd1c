package main

import (
	"context"
	"fmt"

	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/render"
)

// RefreshCmd starts a new deployment of what the service runs: no new
// revision, no attribute change, count unchanged.
type RefreshCmd struct {
	DryRun    bool   `help:"Print what would be done; make no mutating AWS call."`
	Wait      bool   `help:"Wait for the new deployment to end (--no-wait: return once ECS accepted it)." negatable:"" default:"true"`
	Output    string `help:"Format of the result on stdout: text, or json (the result table's rows, as for several services; not with --dry-run)." enum:"text,json" default:"text"`
	WaitUntil string `help:"What ends the wait: deployed (the rollout is COMPLETED on our task definition), stable (one deployment, running == desired), ecs:<STAGE> (a BLUE_GREEN, LINEAR or CANARY deployment reached that lifecycle stage, e.g. ecs:BAKE_TIME) or paused (a PAUSE lifecycle hook waits to be continued)." default:"deployed" placeholder:"deployed|stable|ecs:<STAGE>|paused"`
}

// Run forces a new deployment; exit codes as deploy.
// Validate runs when the flags are parsed, before anything is read.
func (c *RefreshCmd) Validate() error { return dryRunOutput(c.DryRun, c.Output) }

func (c *RefreshCmd) Run(g *Globals) error {
	g.resultJSON = c.Output == "json"
	opts, err := c.options()
	if err != nil {
		return err
	}
	return runServiceChange(g, "refresh", c.DryRun, opts)
}

func (c *RefreshCmd) options() (deploy.Options, error) {
	until, err := deploy.ParseWaitUntil(c.WaitUntil)
	return deploy.Options{
		DryRun:             c.DryRun,
		SkipTaskDefinition: true,
		ForceNewDeployment: true,
		NoUpdateService:    true,
		NoWait:             !c.Wait,
		WaitUntil:          until,
	}, err
}

func (c *RefreshCmd) planService(g *Globals) error {
	opts, err := c.options()
	if err != nil {
		return err
	}
	return planServiceChange(g, "refresh", opts)
}

func (c *RefreshCmd) dryRun() bool { return c.DryRun }

// serviceChangeSpec is what refresh and scale deploy: the service's
// current task definition, no definitions read.
func serviceChangeSpec(p *render.Project) *deploy.Spec {
	return &deploy.Spec{Cluster: p.Config.Cluster, Service: p.Config.Service, Ignore: deploy.IgnoreOf(p.Config)}
}

// planServiceChange checks one service of several for refresh and scale
// before any changes: it exists and the change plans (read-only calls).
func planServiceChange(g *Globals, what string, opts deploy.Options) error {
	return serviceChange(g, what, opts, true)
}

// runServiceChange deploys the service's current task definition with
// opts (refresh, scale). The spec carries no definitions: neither the task
// definition nor the service definition file is read or applied.
func runServiceChange(g *Globals, what string, dryRun bool, opts deploy.Options) error {
	opts.DryRun = dryRun
	return serviceChange(g, what, opts, false)
}

func serviceChange(g *Globals, what string, opts deploy.Options, planOnly bool) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	p, ctx, cancel, err := serviceCommand(g, what)
	if err != nil {
		return err
	}
	defer cancel()
	spec := serviceChangeSpec(p)
	var rep *progressReporter
	d, err := g.newDeployer(p, nil)
	if err != nil {
		return err
	}
	if !planOnly {
		rep = newProgressReporter(g)
		defer rep.Close()
		d.Reporter = rep
	}
	if _, err := deploy.FindService(ctx, d.ECS, spec.Cluster, spec.Service); err != nil {
		return timeoutError(ctx, err)
	}
	opts.Verb = what
	if planOnly {
		_, err = d.Plan(ctx, spec, opts)
		return timeoutError(ctx, err)
	}
	plan, out, err := d.Deploy(ctx, spec, opts)
	if err != nil {
		return timeoutError(ctx, err)
	}
	rep.Close()
	if opts.DryRun {
		writeLines(g.Stdout, plan.Lines())
		fmt.Fprintln(g.Stdout, "DRY RUN OK")
		return nil
	}
	return reportOutcome(g, out)
}

// serviceCommand loads the project of a command acting on the config's
// service and bounds the command by the config's timeout.
func serviceCommand(g *Globals, what string) (*render.Project, context.Context, context.CancelFunc, error) {
	p, err := g.LoadServiceProject(what)
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	return p, ctx, cancel, nil
}
