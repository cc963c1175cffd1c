package main

import (
	"fmt"

	"github.com/doppio-ecs/doppio/deploy"
)

// RefreshCmd starts a new deployment of what the service runs: no new
// revision, no attribute change, count unchanged.
type RefreshCmd struct {
	DryRun    bool   `help:"Print what would be done; make no mutating AWS call."`
	Wait      bool   `help:"Wait for the new deployment to end (--no-wait: return once ECS accepted it)." negatable:"" default:"true"`
	WaitUntil string `help:"What ends the wait: deployed (the rollout is COMPLETED on our task definition), stable (one deployment, running == desired), ecs:<STAGE> (a BLUE_GREEN, LINEAR or CANARY deployment reached that lifecycle stage, e.g. ecs:BAKE_TIME) or paused (a PAUSE lifecycle hook waits to be continued)." default:"deployed" placeholder:"deployed|stable|ecs:<STAGE>|paused"`
}

// Run forces a new deployment; exit codes as deploy.
func (c *RefreshCmd) Run(g *Globals) error {
	until, err := deploy.ParseWaitUntil(c.WaitUntil)
	if err != nil {
		return err
	}
	return runServiceChange(g, "refresh", c.DryRun, deploy.Options{
		DryRun:             c.DryRun,
		SkipTaskDefinition: true,
		ForceNewDeployment: true,
		NoUpdateService:    true,
		NoWait:             !c.Wait,
		WaitUntil:          until,
	})
}

// runServiceChange deploys the service's current task definition with
// opts (refresh, scale). The spec carries no definitions: neither the task
// definition nor the service definition file is read or applied.
func runServiceChange(g *Globals, what string, dryRun bool, opts deploy.Options) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	p, err := g.LoadServiceProject(what)
	if err != nil {
		return err
	}
	ctx, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	defer cancel()
	spec := &deploy.Spec{Cluster: p.Config.Cluster, Service: p.Config.Service, Ignore: deploy.IgnoreOf(p.Config)}
	rep := newProgressReporter(g)
	defer rep.Close()
	d, err := newDeployer(p, rep)
	if err != nil {
		return err
	}
	if _, err := deploy.FindService(ctx, p.Clients.ECS, spec.Cluster, spec.Service); err != nil {
		return timeoutError(ctx, err)
	}
	opts.Verb = what
	plan, out, err := d.Deploy(ctx, spec, opts)
	if err != nil {
		return timeoutError(ctx, err)
	}
	rep.Close()
	if dryRun {
		writeLines(g.Stdout, plan.Lines())
		fmt.Fprintln(g.Stdout, "DRY RUN OK")
		return nil
	}
	return reportOutcome(g, out)
}
