package main

import (
	"github.com/doppio-ecs/doppio/deploy"
)

// ContinueCmd resolves a PAUSE lifecycle hook of an ECS blue/green, linear
// or canary deployment (ecspresso v3's `continue`).
type ContinueCmd struct {
	Rollback  bool   `help:"Roll the deployment back instead of continuing it."`
	HookID    string `help:"The paused lifecycle hook to act on (default: the only one waiting)." name:"hook-id" placeholder:"ID"`
	Wait      bool   `help:"Wait for the deployment to end (--no-wait: return once ECS accepted the action)." negatable:"" default:"true"`
	WaitUntil string `help:"What ends the wait: deployed, stable, ecs:<STAGE> or paused (the next PAUSE hook)." default:"deployed" placeholder:"deployed|stable|ecs:<STAGE>|paused"`
}

// Run continues (or rolls back) and waits; exit codes as deploy: 0
// completed, 3 failed or rolled back (0 for a rollback asked with
// --rollback that completed), 4 timed out, 1 error (nothing paused).
func (c *ContinueCmd) Run(g *Globals) error {
	until, err := deploy.ParseWaitUntil(c.WaitUntil)
	if err != nil {
		return err
	}
	p, err := g.LoadServiceProject("continue")
	if err != nil {
		return err
	}
	ctx, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	defer cancel()
	rep := newProgressReporter(g)
	defer rep.Close()
	d := deploy.New(p.Clients, rep)
	out, err := d.Continue(ctx, p.Config.Cluster, p.Config.Service, deploy.ContinueOptions{
		Rollback: c.Rollback, HookID: c.HookID, NoWait: !c.Wait, WaitUntil: until,
	})
	if err != nil {
		return timeoutError(ctx, err)
	}
	rep.Close()
	return reportOutcome(g, out)
}
