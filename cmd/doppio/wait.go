package main

import (
	"fmt"
	"time"

	"github.com/doppio-ecs/doppio/deploy"
)

// WaitCmd follows the service's current deployment with the deploy waiter.
// It makes no mutating AWS call.
type WaitCmd struct {
	WaitUntil string `help:"What ends the wait: stable (one deployment, running == desired), deployed (the rollout is COMPLETED; CodeDeploy: the deployment in progress Succeeded), ecs:<STAGE> (a BLUE_GREEN, LINEAR or CANARY deployment reached that lifecycle stage, e.g. ecs:BAKE_TIME), paused (a PAUSE lifecycle hook waits to be continued) or codedeploy:<LifecycleEvent> (that event of the CodeDeploy deployment in progress succeeded)." default:"stable" aliases:"until" placeholder:"stable|deployed|ecs:<STAGE>|paused|codedeploy:<EVENT>"`
	Output    string `help:"Format of the result on stdout: text, or json (the result table's rows, as for several services)." enum:"text,json" default:"text"`
}

// Run waits; exit codes as deploy: 0 completed, 3 failed or rolled back,
// 4 timed out (config timeout or --timeout), 1 error.
func (c *WaitCmd) Run(g *Globals) error {
	g.resultJSON = c.Output == "json"
	until, err := deploy.ParseWaitUntil(c.WaitUntil)
	if err != nil {
		return err
	}
	p, ctx, cancel, err := serviceCommand(g, "wait")
	if err != nil {
		return err
	}
	defer cancel()
	target, err := deploy.CurrentDeployment(ctx, g.ecs(p), p.Config.Cluster, p.Config.Service)
	if err != nil {
		return timeoutError(ctx, err)
	}
	rep := newProgressReporter(g)
	defer rep.Close()
	rep.Report(deploy.Event{Time: time.Now(), Kind: deploy.EventInfo, Message: fmt.Sprintf("waiting for service %s in cluster %s (%s) to be %s", p.Config.Service, p.Config.Cluster, target.TaskDefinition, c.WaitUntil)})
	w := &deploy.Waiter{
		ECS: g.ecs(p), Logs: p.Clients.Logs, EC2: p.Clients.EC2, ELB: p.Clients.ELBv2,
		CodeDeploy: deploy.NewCodeDeploy(p.Clients.CodeDeploy, p.Clients.Region(), p.Config.CodeDeploy, nil),
		Cluster:    p.Config.Cluster, Service: p.Config.Service,
		Until: until, Reporter: rep,
	}
	out := w.Wait(ctx, target)
	rep.Close()
	return reportOutcome(g, out)
}

// planService checks one service of several before any wait starts: it
// exists and has a deployment to follow.
func (c *WaitCmd) planService(g *Globals) error {
	if _, err := deploy.ParseWaitUntil(c.WaitUntil); err != nil {
		return err
	}
	p, ctx, cancel, err := serviceCommand(g, "wait")
	if err != nil {
		return err
	}
	defer cancel()
	_, err = deploy.CurrentDeployment(ctx, g.ecs(p), p.Config.Cluster, p.Config.Service)
	return timeoutError(ctx, err)
}

func (c *WaitCmd) dryRun() bool { return false }
