package main

import (
	"fmt"

	"github.com/doppio-ecs/doppio/deploy"
)

// DeregisterCmd deregisters unused revisions of the family. It never
// touches a revision a deployment or a task uses, nor the rollback target.
type DeregisterCmd struct {
	DryRun   bool   `help:"List what would be deregistered (and deleted); make no mutating AWS call."`
	Revision string `help:"Deregister this revision: a number or latest." placeholder:"N|latest"`
	Keeps    *int   `help:"Keep the N newest unused revisions and deregister the older unused ones." placeholder:"N"`
	Force    bool   `help:"Do not ask for confirmation (required when stdin is not a terminal)."`
	Delete   bool   `help:"Also delete the deregistered revisions (DeleteTaskDefinitions)."`
}

// Run plans, confirms, deregisters.
func (c *DeregisterCmd) Run(g *Globals) error {
	opts := deploy.DeregisterOptions{Revision: c.Revision, Keeps: c.Keeps, Delete: c.Delete}
	if err := opts.Validate(); err != nil {
		return err
	}
	p, err := g.LoadProject()
	if err != nil {
		return err
	}
	ctx, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	defer cancel()
	rep := newProgressReporter(g)
	defer rep.Close()
	d := deploy.New(p.Clients, rep)
	family, err := d.Family(ctx, p.Config.Cluster, p.Config.Service, localTaskDefinition(p))
	if err != nil {
		return timeoutError(ctx, err)
	}
	plan, err := d.PlanDeregister(ctx, p.Config.Cluster, p.Config.Service, family, opts)
	if err != nil {
		return timeoutError(ctx, err)
	}
	rep.Close() // the plan is the result: not folded into the progress group
	writeLines(g.Stdout, plan.Lines())
	if c.DryRun {
		fmt.Fprintln(g.Stdout, "DRY RUN OK")
		return nil
	}
	if plan.Empty() {
		return nil
	}
	if !c.Force {
		q := fmt.Sprintf("Deregister %d revision(s) of %s? [y/N] ", len(plan.Deregister), family)
		if len(plan.Deregister) == 0 {
			q = fmt.Sprintf("Delete %d revision(s) of %s? [y/N] ", len(plan.Delete), family)
		}
		if err := confirm(g, "deregister", q, yes); err != nil {
			return err
		}
	}
	if err := d.Deregister(ctx, p.Clients.ECS, plan); err != nil {
		return timeoutError(ctx, err)
	}
	return nil
}
