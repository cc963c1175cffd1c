package main

import (
	"fmt"
	"time"

	"github.com/doppio-ecs/doppio/deploy"
)

// RollbackCmd returns the service to the task definition of its previous
// successful deployment, or stops an in-progress deployment with rollback.
type RollbackCmd struct {
	DryRun                   bool   `help:"Print what would be rolled back; make no mutating AWS call."`
	DeregisterTaskDefinition bool   `help:"Deregister the task definition rolled back from, once the rollback completed (never the target, never one still running)." negatable:"" default:"true"`
	Wait                     bool   `help:"Wait for the rollback to end (--no-wait: return once ECS accepted it; nothing is deregistered)." negatable:"" default:"true"`
	WaitUntil                string `help:"What ends the wait: stable (ecspresso's default: one deployment, running == desired) or deployed (the rollback deployment is COMPLETED)." enum:"deployed,stable" default:"stable"`
	RollbackEvents           string `help:"CodeDeploy services: the auto-rollback events of the deployment a rollback after success creates (comma-separated DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST)." placeholder:"EVENTS"`
	Output                   string `help:"Format of the result on stdout: text, or json (the result table's rows, as for several services; not with --dry-run)." enum:"text,json" default:"text"`
}

// Run rolls back; exit codes as deploy.
// Validate runs when the flags are parsed, before anything is read.
func (c *RollbackCmd) Validate() error { return dryRunOutput(c.DryRun, c.Output) }

func (c *RollbackCmd) Run(g *Globals) error {
	g.resultJSON = c.Output == "json"
	p, err := g.LoadProject()
	if err != nil {
		return err
	}
	ctx, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	defer cancel()
	rep := newProgressReporter(g)
	defer rep.Close()
	d, err := g.newDeployer(p, rep)
	if err != nil {
		return err
	}
	opts, err := c.options()
	if err != nil {
		return err
	}
	if c.DryRun {
		rep.Report(deploy.Event{Time: time.Now(), Kind: deploy.EventInfo, Message: fmt.Sprintf("starting rollback of service %s in cluster %s [DRY RUN]", p.Config.Service, p.Config.Cluster)})
	}
	plan, out, err := d.Rollback(ctx, p.Config.Cluster, p.Config.Service, opts)
	return finishChange(ctx, g, rep, c.DryRun, plan, out, err)
}

func (c *RollbackCmd) options() (deploy.RollbackOptions, error) {
	events, err := deploy.ParseRollbackEvents(c.RollbackEvents)
	if err != nil {
		return deploy.RollbackOptions{}, err
	}
	return deploy.RollbackOptions{
		RollbackEvents:           events,
		DryRun:                   c.DryRun,
		NoWait:                   !c.Wait,
		WaitUntil:                deploy.WaitUntil(c.WaitUntil),
		DeregisterTaskDefinition: c.DeregisterTaskDefinition,
	}, nil
}

// planService checks, before any service of several changes, that this
// one has something to roll back to (read-only calls).
func (c *RollbackCmd) planService(g *Globals) error {
	p := g.project
	ctx, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	defer cancel()
	opts, err := c.options()
	if err != nil {
		return err
	}
	opts.DryRun = true
	d, err := g.newDeployer(p, nil)
	if err != nil {
		return err
	}
	_, err = d.PlanRollback(ctx, p.Config.Cluster, p.Config.Service, opts)
	return timeoutError(ctx, err)
}

func (c *RollbackCmd) dryRun() bool { return c.DryRun }
