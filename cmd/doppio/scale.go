package main

import (
	"fmt"

	"github.com/doppio-ecs/doppio/deploy"
)

// ScaleCmd changes the desired count and auto scaling without touching the
// task definition or the service's other attributes.
type ScaleCmd struct {
	DryRun             bool   `help:"Print what would change; make no mutating AWS call."`
	Tasks              int32  `help:"Desired count (-1: unchanged)." default:"-1" placeholder:"N"`
	Wait               bool   `help:"Wait until the service runs the new count (--no-wait: return at once)." negatable:"" default:"true"`
	WaitUntil          string `help:"What ends the wait: stable (running == desired) or deployed." enum:"stable,deployed" default:"stable"`
	SuspendAutoScaling bool   `help:"Suspend the service's auto scaling (dynamic and scheduled)."`
	ResumeAutoScaling  bool   `help:"Resume the service's auto scaling."`
	AutoScalingMin     *int32 `help:"Set the auto scaling minimum capacity." placeholder:"N"`
	AutoScalingMax     *int32 `help:"Set the auto scaling maximum capacity." placeholder:"N"`
	Output             string `help:"Format of the result on stdout: text, or json (the result table's rows, as for several services; not with --dry-run)." enum:"text,json" default:"text"`
}

// Run scales; exit codes as deploy.
// Validate runs when the flags are parsed, before anything is read.
func (c *ScaleCmd) Validate() error { return dryRunOutput(c.DryRun, c.Output) }

func (c *ScaleCmd) Run(g *Globals) error {
	g.resultJSON = c.Output == "json"
	opts, err := c.options()
	if err != nil {
		return err
	}
	return runServiceChange(g, "scale", c.DryRun, opts)
}

func (c *ScaleCmd) planService(g *Globals) error {
	opts, err := c.options()
	if err != nil {
		return err
	}
	return planServiceChange(g, "scale", opts)
}

func (c *ScaleCmd) dryRun() bool { return c.DryRun }

func (c *ScaleCmd) options() (deploy.Options, error) {
	opts := deploy.Options{
		DryRun:             c.DryRun,
		SkipTaskDefinition: true,
		NoUpdateService:    true,
		NoWait:             !c.Wait,
		WaitUntil:          deploy.WaitUntil(c.WaitUntil),
		AutoScaling: deploy.AutoScalingOptions{
			Suspend: c.SuspendAutoScaling, Resume: c.ResumeAutoScaling,
			Min: c.AutoScalingMin, Max: c.AutoScalingMax,
		},
	}
	if c.Tasks < -1 {
		return opts, fmt.Errorf("--tasks must be 0 or more (or -1: unchanged), got %d", c.Tasks)
	}
	if c.Tasks >= 0 {
		opts.Tasks = &c.Tasks
	}
	if opts.Tasks == nil && !opts.AutoScaling.Requested() {
		return opts, fmt.Errorf("nothing to scale: give --tasks N or an auto scaling flag (--auto-scaling-min/max, --suspend-auto-scaling, --resume-auto-scaling)")
	}
	return opts, nil
}
