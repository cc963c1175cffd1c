package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/exitcode"
	"github.com/doppio-ecs/doppio/fleet"
	"github.com/doppio-ecs/doppio/render"
)

// DeployCmd registers (or reuses) the task definition, updates or creates
// the service, and waits for the rollout to end.
type DeployCmd struct {
	DryRun               bool   `help:"Print the diff and the plan; make no mutating AWS call."`
	Tasks                int32  `help:"Desired count (-1: the service definition's desiredCount, or unchanged when it has none)." default:"-1" placeholder:"N"`
	SkipTaskDefinition   bool   `help:"Keep the task definition the service runs; do not register."`
	Revision             int32  `help:"Deploy this revision of the family instead of registering." placeholder:"N"`
	LatestTaskDefinition bool   `help:"Deploy the family's newest ACTIVE revision instead of registering."`
	ForceNewDeployment   bool   `help:"Start a new deployment even when nothing changed (e.g. to pull a moving image tag)."`
	RedeployMovedTags    bool   `help:"When nothing changed but an image tag the running tasks use (e.g. :latest in ECR) now points at another image, start a new deployment to roll it out."`
	UpdateService        bool   `help:"Update the service attributes from the service definition (--no-update-service: only task definition and count)." negatable:"" default:"true"`
	Wait                 bool   `help:"Wait for the rollout to end (--no-wait: return once ECS accepted the change)." negatable:"" default:"true"`
	WaitUntil            string `help:"What ends the wait: deployed (the rollout is COMPLETED on our task definition; CodeDeploy: the deployment Succeeded), stable (one deployment, running == desired), ecs:<STAGE> (a BLUE_GREEN, LINEAR or CANARY deployment reached that lifecycle stage, e.g. ecs:BAKE_TIME), paused (a PAUSE lifecycle hook waits to be continued) or codedeploy:<LifecycleEvent> (that event of the CodeDeploy deployment succeeded, e.g. codedeploy:AfterAllowTraffic)." default:"deployed" placeholder:"deployed|stable|ecs:<STAGE>|paused|codedeploy:<EVENT>"`
	SuspendAutoScaling   bool   `help:"Suspend the service's auto scaling (dynamic and scheduled)."`
	ResumeAutoScaling    bool   `help:"Resume the service's auto scaling."`
	AutoScalingMin       *int32 `help:"Set the auto scaling minimum capacity." placeholder:"N"`
	AutoScalingMax       *int32 `help:"Set the auto scaling maximum capacity." placeholder:"N"`
	OnConflict           string `help:"When another deployment is in progress: wait for it to end first, or fail." enum:"wait,fail" default:"wait"`
	RollbackEvents       string `help:"CodeDeploy services: the events that roll the deployment back (comma-separated DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST); empty: the deployment group's own auto-rollback configuration." placeholder:"EVENTS"`
	Verify               bool   `help:"Run verify's checks first: any NG stops the deploy (exit 3) before a change is made; over several services, before any of them changes."`
	Output               string `help:"Format of the result on stdout: text, or json (the result table's rows, as for several services; not with --dry-run)." enum:"text,json" default:"text"`
}

// Run deploys and maps the outcome to the exit code: 0 completed, 3 failed
// or rolled back, 4 timed out, 1 error.
// Validate runs when the flags are parsed, before anything is read.
func (c *DeployCmd) Validate() error { return dryRunOutput(c.DryRun, c.Output) }

// dryRunOutput refuses --output json with --dry-run: the result document
// describes a change, and a dry run prints its diff and plan as text, so
// stdout would not parse as the flag promises.
func dryRunOutput(dryRun bool, output string) error {
	if dryRun && output == "json" {
		return errors.New("--output json is the result of a change; --dry-run changes nothing and prints its plan as text: use one of them")
	}
	return nil
}

func (c *DeployCmd) Run(g *Globals) error {
	g.resultJSON = c.Output == "json"
	opts, err := c.options()
	if err != nil {
		return err
	}
	p, err := g.LoadProject()
	if err != nil {
		return err
	}
	ctx, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	defer cancel()
	spec, err := deploy.SpecFromProject(ctx, p)
	if err != nil {
		return err
	}
	if c.Verify && g.outcomes == nil {
		// Over several services the planning phase verified them all.
		if err := verifyBeforeDeploy(ctx, p); err != nil {
			return err
		}
	}
	rep := newProgressReporter(g)
	defer rep.Close()
	d, err := g.newDeployer(p, rep)
	if err != nil {
		return err
	}
	if c.DryRun {
		if err := printDeployDiff(ctx, g, p); err != nil {
			return err
		}
	}
	plan, out, err := d.Deploy(ctx, spec, opts)
	return finishChange(ctx, g, rep, c.DryRun, plan, out, err)
}

// planService is deploy's check of one service of several before any of
// them changes: render, decode, plan (read-only calls), and verify when
// asked.
func (c *DeployCmd) planService(g *Globals) error {
	opts, err := c.options()
	if err != nil {
		return err
	}
	p := g.project
	ctx, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	defer cancel()
	spec, err := deploy.SpecFromProject(ctx, p)
	if err != nil {
		return err
	}
	d, err := g.newDeployer(p, nil)
	if err != nil {
		return err
	}
	if _, err := d.Plan(ctx, spec, opts); err != nil {
		return timeoutError(ctx, err)
	}
	if c.Verify {
		return verifyBeforeDeploy(ctx, p)
	}
	return nil
}

func (c *DeployCmd) dryRun() bool { return c.DryRun }

// options are the deploy flags, validated.
func (c *DeployCmd) options() (deploy.Options, error) {
	until, err := deploy.ParseWaitUntil(c.WaitUntil)
	if err != nil {
		return deploy.Options{}, err
	}
	events, err := deploy.ParseRollbackEvents(c.RollbackEvents)
	if err != nil {
		return deploy.Options{}, err
	}
	opts := deploy.Options{
		RollbackEvents:       events,
		DryRun:               c.DryRun,
		SkipTaskDefinition:   c.SkipTaskDefinition,
		Revision:             c.Revision,
		LatestTaskDefinition: c.LatestTaskDefinition,
		ForceNewDeployment:   c.ForceNewDeployment,
		RedeployMovedTags:    c.RedeployMovedTags,
		NoUpdateService:      !c.UpdateService,
		NoWait:               !c.Wait,
		WaitUntil:            until,
		OnConflict:           c.OnConflict,
		AutoScaling: deploy.AutoScalingOptions{
			Suspend: c.SuspendAutoScaling, Resume: c.ResumeAutoScaling,
			Min: c.AutoScalingMin, Max: c.AutoScalingMax,
		},
	}
	if c.Tasks != -1 {
		opts.Tasks = &c.Tasks // Validate rejects other negative counts
	}
	return opts, opts.Validate()
}

// finishChange ends deploy and rollback alike: an error the deadline caused
// is a timeout (exit 4), a dry run prints its plan, anything else prints the
// outcome and exits with its code.
func finishChange(ctx context.Context, g *Globals, rep *progressReporter, dryRun bool, plan interface{ Lines() []string }, out *deploy.Outcome, err error) error {
	if err != nil {
		if ctx.Err() != nil {
			return timeoutError(ctx, err)
		}
		return err
	}
	rep.Close()
	if dryRun {
		writeLines(g.Stdout, plan.Lines())
		fmt.Fprintln(g.Stdout, "DRY RUN OK")
		return nil
	}
	return reportOutcome(g, out)
}

// printDeployDiff prints the diff of a dry run (deploy.Diff reads live state
// with read-only calls).
func printDeployDiff(ctx context.Context, g *Globals, p *render.Project) error {
	res, err := deploy.Diff(ctx, p)
	if err != nil {
		return err
	}
	color := g.UseColor()
	for _, r := range res.Resources() {
		text, err := r.Unified(color)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(g.Stdout, text); err != nil {
			return err
		}
	}
	return nil
}

// commandContext bounds the whole command by the config timeout (0: none).
func commandContext(parent context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		return context.WithCancel(parent)
	}
	return context.WithTimeout(parent, timeout)
}

// timeoutError turns an error caused by the command's deadline into exit 4.
func timeoutError(ctx context.Context, err error) error {
	if ctx.Err() == context.DeadlineExceeded {
		return exitcode.With(exitcode.Timeout, fmt.Errorf("timed out: %w", err))
	}
	return err
}

// reportOutcome prints the outcome and its explanation on stdout and
// returns the error carrying the exit code (empty: already printed).
func reportOutcome(g *Globals, out *deploy.Outcome) error {
	code := exitcode.With(out.ExitCode(), nil)
	if out.Succeeded() {
		code = nil
	}
	if g.outcomes != nil {
		// One service of several: the run prints the table.
		g.outcomes(out)
		return code
	}
	if g.resultJSON {
		r := resultOf(out)
		r.Name = out.Service
		r.Config, _ = g.ConfigPath()
		setDuration(&r, time.Since(processStart))
		if err := writeJSON(g, resultDoc([]fleet.Result{r})); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(g.Stdout, strings.ToUpper(string(out.Class))+": "+outcomeReason(out))
		if out.Explanation != nil {
			writeLines(g.Stdout, out.Explanation.Lines())
		}
	}
	if err := githubOutcome(g, out); err != nil {
		return err
	}
	return code
}

// outcomeReason is the outcome's sentence, with its error when the reason
// does not already say it.
func outcomeReason(out *deploy.Outcome) string {
	line := out.Reason
	if out.Err != nil && !strings.Contains(line, out.Err.Error()) {
		line += ": " + out.Err.Error()
	}
	return line
}

func writeLines(w io.Writer, lines []string) {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	_, _ = io.WriteString(w, b.String())
}
