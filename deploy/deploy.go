package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/netcheck"
	"github.com/doppio-ecs/doppio/render"
)

// Options are the deploy flags.
type Options struct {
	DryRun bool
	// Tasks overrides the desired count (nil: from the service definition,
	// or unchanged when the file has none).
	Tasks                *int32
	SkipTaskDefinition   bool
	Revision             int32 // 0: not set
	LatestTaskDefinition bool
	ForceNewDeployment   bool
	// RedeployMovedTags forces a new deployment when nothing changed but a
	// running image's tag now points at another digest (MovedTags).
	RedeployMovedTags bool
	NoUpdateService   bool
	NoWait            bool
	// Verb names the command in the header line: deploy (default), refresh, scale.
	Verb        string
	WaitUntil   WaitUntil
	AutoScaling AutoScalingOptions
	// OnConflict is what to do when another deployment is in progress:
	// "wait" (default) waits for it to end first, "fail" stops.
	OnConflict string
	// RollbackEvents are --rollback-events: the CodeDeploy deployment's
	// auto-rollback events (nil: the deployment group's configuration).
	RollbackEvents []cdtypes.AutoRollbackEvent
}

// Validate rejects contradictory flags before any AWS call.
func (o Options) Validate() error {
	n := 0
	// --skip-task-definition --revision N is ecspresso's spelling of
	// --revision N: the revision wins.
	for _, b := range []bool{o.SkipTaskDefinition && o.Revision == 0, o.Revision > 0, o.LatestTaskDefinition} {
		if b {
			n++
		}
	}
	if n > 1 {
		return fmt.Errorf("use only one of --skip-task-definition, --revision and --latest-task-definition")
	}
	if o.Revision < 0 {
		return fmt.Errorf("--revision must be a positive revision number, got %d", o.Revision)
	}
	switch o.OnConflict {
	case "", "wait", "fail":
	default:
		return fmt.Errorf("invalid --on-conflict %q: use wait or fail", o.OnConflict)
	}
	if o.Tasks != nil && *o.Tasks < 0 {
		return fmt.Errorf("--tasks must be 0 or more (or -1: the service definition's desiredCount, or unchanged), got %d", *o.Tasks)
	}
	return o.AutoScaling.Validate()
}

// Deployer runs deploys and rollbacks against one client set.
type Deployer struct {
	ECS         ECSAPI
	Logs        LogsAPI
	AutoScaling AutoScalingAPI
	// ELB reads target groups' deregistration delays for the waiter.
	// Optional.
	ELB ELBAPI
	// Namespaces names Service Connect namespaces (ECS reports ARNs, users
	// write names), so an unchanged namespace is not sent as a change.
	// Optional.
	Namespaces NamespaceReader
	// EC2 lets a failure explanation check the tasks' network (optional).
	EC2 netcheck.EC2API
	// ECR resolves image tags per region, to notice moved tags (optional).
	ECR func(region string) ECRImagesAPI
	// CodeDeploy deploys services under the CODE_DEPLOY controller
	// (optional for the others).
	CodeDeploy *CodeDeploy
	Reporter   Reporter
	// Region is named in the deploy's header line.
	Region string
	// MinInterval and MaxInterval tune the waiter (zero: PollIntervals()).
	MinInterval time.Duration
	MaxInterval time.Duration
	// Clock is the waiter's clock (nil: the wall clock).
	Clock Clock
}

// New returns a Deployer using the run's clients.
func New(c *awsapi.Clients, r Reporter) *Deployer {
	return &Deployer{ECS: c.ECS, Logs: c.Logs, AutoScaling: c.AutoScaling, ELB: c.ELBv2, Namespaces: c.ServiceDiscovery, EC2: c.EC2,
		ECR: func(region string) ECRImagesAPI { return c.ECRIn(region) }, Reporter: r, Region: c.Region()}
}

func (d *Deployer) reporter() Reporter {
	if d.Reporter == nil {
		return discard{}
	}
	return d.Reporter
}

func (d *Deployer) info(format string, args ...any) {
	d.reporter().Report(Event{Time: time.Now(), Kind: EventInfo, Message: fmt.Sprintf(format, args...)})
}

func (d *Deployer) warn(format string, args ...any) {
	d.reporter().Report(Event{Time: time.Now(), Kind: EventWarning, Message: fmt.Sprintf(format, args...)})
}

func (d *Deployer) waiter(cluster, service string, until WaitUntil) *Waiter {
	return &Waiter{ECS: d.ECS, Logs: d.Logs, EC2: d.EC2, ELB: d.ELB, CodeDeploy: d.CodeDeploy, Cluster: cluster, Service: service, Until: until, Reporter: d.Reporter,
		Clock: d.Clock, MinInterval: d.MinInterval, MaxInterval: d.MaxInterval}
}

// Deploy plans, applies and waits. The plan is returned for display even
// when the outcome is not Completed; err is only set when doppio could not
// do what was asked before any change was made (bad flags, render errors,
// AWS errors while planning). ctx bounds the whole command (config timeout).
func (d *Deployer) Deploy(ctx context.Context, spec *Spec, opts Options) (*Plan, *Outcome, error) {
	if err := opts.Validate(); err != nil {
		return nil, nil, err
	}
	plan, err := d.Plan(ctx, spec, opts)
	if err != nil {
		return nil, nil, err
	}
	d.info("%s", d.header(spec, plan, opts))
	moved := d.checkMovedTags(ctx, spec, plan, opts)
	if opts.DryRun {
		return plan, &Outcome{Class: Completed, Reason: "dry run: no change was made", Cluster: spec.Cluster, Service: spec.Service, TaskDefinition: plan.TaskDefinitionARN}, nil
	}
	if plan.InProgress != nil {
		if opts.OnConflict == "fail" {
			return plan, &Outcome{Class: Error, Cluster: spec.Cluster, Service: spec.Service,
				Reason: fmt.Sprintf("another deployment is in progress on service %s (%s, %s); not deploying (--on-conflict fail)", spec.Service, plan.InProgress.ID, plan.InProgress.TaskDefinition)}, nil
		}
		d.info("another deployment is in progress (%s, %s): waiting for it to end first", plan.InProgress.ID, plan.InProgress.TaskDefinition)
		o := d.waiter(spec.Cluster, spec.Service, UntilDeployed).Wait(ctx, WaitTarget{TaskDefinition: plan.CurrentTaskDefinition, DeploymentID: plan.InProgress.ID, KnownEvents: eventIDs(plan.live), CodeDeployID: plan.CodeDeployInProgress})
		switch o.Class {
		case Timeout, Interrupted, Error:
			o.Reason = "while waiting for the deployment already in progress: " + o.Reason
			return plan, o, nil
		}
		d.info("the earlier deployment ended: %s (%s)", o.Class, o.Reason)
		if plan, err = d.Plan(ctx, spec, opts); err != nil {
			return nil, nil, err
		}
	}
	for _, w := range plan.Warnings {
		d.warn("%s", w)
	}
	for _, a := range plan.Unchangeable {
		d.warn("%s differs but cannot be changed on an existing service: not applied (recreate the service to change it)", a)
	}
	applied, err := d.Apply(ctx, spec, plan)
	var partial error
	if err != nil {
		if applied == nil || !applied.ServiceChanged {
			return plan, failedApply(ctx, spec, plan, applied, err), nil
		}
		// The service changed, so a rollout is in flight: follow it (or,
		// when interrupted, say it goes on), and report what failed besides.
		partial = err
		if ctx.Err() == nil {
			d.warn("%v; the service was updated and its rollout is under way: waiting for it", err)
		}
	}
	out := &Outcome{Cluster: spec.Cluster, Service: spec.Service, TaskDefinition: applied.TaskDefinitionARN, DeploymentID: applied.DeploymentID}
	if applied.CodeDeployID != "" {
		out.DeploymentID, out.DeploymentURL = applied.CodeDeployID, d.CodeDeploy.ConsoleURL(applied.CodeDeployID)
	}
	switch {
	case applied.NothingToDo:
		// Nothing changes, but the service's own state still decides: a
		// revision whose last rollout FAILED is not a success.
		v := classify(plan.live, expectation{taskDefinition: applied.TaskDefinitionARN, until: opts.WaitUntil})
		if v.done && v.class == Completed || plan.live == nil {
			out.Class, out.Reason = Completed, fmt.Sprintf("nothing to deploy: the service already runs %s", shortTD(applied.TaskDefinitionARN))
			if len(moved) > 0 {
				out.Reason = fmt.Sprintf("the task definition is unchanged (%s), but %s", shortTD(applied.TaskDefinitionARN), movedTagAdvice(moved))
			}
			return plan, out, nil
		}
		if v.done {
			out.Class, out.Reason = v.class, fmt.Sprintf("nothing to deploy, but the service's deployment of %s is not healthy: %s", shortTD(applied.TaskDefinitionARN), v.reason)
			return plan, out, nil
		}
		if opts.NoWait {
			out.Class, out.Reason = Completed, fmt.Sprintf("nothing to deploy: the service already runs %s (not waiting: --no-wait)", shortTD(applied.TaskDefinitionARN))
			return plan, out, nil
		}
		o := d.waiter(spec.Cluster, spec.Service, opts.WaitUntil).Wait(ctx, WaitTarget{TaskDefinition: applied.TaskDefinitionARN, KnownEvents: eventIDs(plan.live)})
		return plan, o, nil
	case opts.NoWait && applied.CodeDeployID != "":
		out.Class, out.Reason = Submitted, fmt.Sprintf("CodeDeploy deployment %s of %s started (not waiting: --no-wait)", applied.CodeDeployID, shortTD(applied.TaskDefinitionARN))
		return plan, withNotes(out, plan, applied, partial), nil
	case opts.NoWait:
		out.Class, out.Reason = Submitted, fmt.Sprintf("deployment of %s started (not waiting: --no-wait)", shortTD(applied.TaskDefinitionARN))
		return plan, withNotes(out, plan, applied, partial), nil
	}
	target := WaitTarget{
		TaskDefinition: applied.TaskDefinitionARN,
		DeploymentID:   applied.DeploymentID,
		KnownEvents:    applied.KnownEvents,
		Service:        applied.Service,
		CodeDeployID:   applied.CodeDeployID,
	}
	if plan.live != nil {
		target.PriorServiceDeployment = aws.ToString(plan.live.CurrentServiceDeployment)
	}
	o := d.waiter(spec.Cluster, spec.Service, opts.WaitUntil).Wait(ctx, target)
	return plan, withNotes(o, plan, applied, partial), nil
}

// failedApply is the outcome when Apply stopped before the service
// changed: it says what was applied all the same.
func failedApply(ctx context.Context, spec *Spec, plan *Plan, applied *Applied, err error) *Outcome {
	class, reason := Error, "deploy failed"
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		class, reason = Timeout, "the timeout expired before the deployment started"
	case errors.Is(ctx.Err(), context.Canceled):
		class, reason = Interrupted, "interrupted before the deployment started"
	}
	if applied != nil && len(applied.Done) > 0 {
		reason += "; already applied: " + strings.Join(applied.Done, ", ")
	}
	return &Outcome{Class: class, Reason: reason, Err: err, Cluster: spec.Cluster, Service: spec.Service, TaskDefinition: plan.TaskDefinitionARN}
}

// withNotes adds to a rollout's outcome what deploy did not apply: a
// partial failure after the update, attributes UpdateService cannot change,
// and, when doppio stopped watching early, what it had changed.
func withNotes(o *Outcome, plan *Plan, applied *Applied, partial error) *Outcome {
	if (o.Class == Interrupted || o.Class == Timeout) && len(applied.Done) > 0 {
		o.Reason += "; already applied: " + strings.Join(applied.Done, ", ")
	}
	if partial != nil {
		o.Reason += fmt.Sprintf("; not applied: %v", partial)
		if o.Err == nil {
			o.Err = partial
		}
	}
	if len(plan.Unchangeable) > 0 {
		o.Reason += fmt.Sprintf("; not applied: %s (cannot be changed on an existing service)", strings.Join(plan.Unchangeable, ", "))
	}
	return o
}

// checkMovedTags looks for moved tags when the plan changes nothing: with
// RedeployMovedTags it turns the plan into a forced deployment, otherwise
// it warns and returns them for the outcome.
func (d *Deployer) checkMovedTags(ctx context.Context, spec *Spec, plan *Plan, opts Options) []MovedTag {
	if d.ECR == nil || plan.live == nil || !plan.NoChange() {
		return nil
	}
	moved, problems, err := TagCheck{ECS: d.ECS, ECR: d.ECR}.MovedTags(ctx, spec.Cluster, spec.Service)
	if err != nil {
		problems = append(problems, err.Error())
	}
	for _, p := range problems {
		d.warn("moved tag check: %s", p)
	}
	if len(moved) == 0 {
		return nil
	}
	if opts.RedeployMovedTags {
		for _, m := range moved {
			d.info("%s: forcing a new deployment (--redeploy-moved-tags)", m)
		}
		plan.ForceNewDeployment = true
		return nil
	}
	for _, m := range moved {
		d.warn("%s: the service keeps running the old image until a new deployment (--force-new-deployment or --redeploy-moved-tags)", m)
	}
	return moved
}

// Applied is what Apply did.
type Applied struct {
	TaskDefinitionARN string
	Registered        bool
	// DeploymentID is the deployment UpdateService/CreateService started.
	DeploymentID string
	// KnownEvents are the event ids the service already had.
	KnownEvents []string
	// NothingToDo: the service already matched the plan; no call was made.
	NothingToDo bool
	// Service is the CreateService or UpdateService answer, the waiter's
	// first state.
	Service *ecstypes.Service
	// ServiceChanged: CreateService or UpdateService took effect (or a
	// CodeDeploy deployment started).
	ServiceChanged bool
	// CodeDeployID is the CodeDeploy deployment started, if any.
	CodeDeployID string
	// Done says, in words, each change made ("registered web:2").
	Done []string
}

// Apply executes a plan: register (or reuse) the task definition, adjust
// auto scaling, then one CreateService or UpdateService call, then tags.
func (d *Deployer) Apply(ctx context.Context, spec *Spec, plan *Plan) (*Applied, error) {
	if plan.NoChange() {
		if plan.TaskDefinitionAction == TDReuse {
			d.info("task definition %s is identical to the rendered one: reusing it", shortTD(plan.TaskDefinitionARN))
		}
		return &Applied{TaskDefinitionARN: plan.TaskDefinitionARN, NothingToDo: true}, nil
	}
	a := &Applied{TaskDefinitionARN: plan.TaskDefinitionARN, KnownEvents: eventIDs(plan.live)}
	switch plan.TaskDefinitionAction {
	case TDRegister:
		td, err := d.register(ctx, plan.taskDefInput, spec.Ignore)
		if err != nil {
			return a, err
		}
		a.TaskDefinitionARN, a.Registered = aws.ToString(td.TaskDefinitionArn), true
		a.Done = append(a.Done, "registered "+shortTD(a.TaskDefinitionARN))
		plan.TaskDefinitionARN = a.TaskDefinitionARN
		d.info("registered task definition %s", shortTD(a.TaskDefinitionARN))
	case TDReuse:
		d.info("task definition %s is identical to the rendered one: reusing it", shortTD(a.TaskDefinitionARN))
	default:
		d.info("task definition %s", shortTD(a.TaskDefinitionARN))
	}
	if plan.AutoScaling != nil && plan.AutoScaling.Changes() {
		if err := d.applyAutoScaling(ctx, plan.AutoScaling); err != nil {
			return a, err
		}
		a.Done = append(a.Done, "auto scaling changed")
	}
	var svc *ecstypes.Service
	switch {
	case !plan.changesService():
		// Only auto scaling changed: an UpdateService would be a no-op call.
		svc = plan.live
	case plan.CreateService:
		in := plan.create
		in.TaskDefinition = aws.String(a.TaskDefinitionARN)
		in.DesiredCount = plan.DesiredCount
		if plan.Daemon {
			in.DesiredCount = nil
		}
		created, err := d.createService(ctx, in)
		if err != nil {
			return a, err
		}
		svc = created
		a.ServiceChanged = true
		a.Done = append(a.Done, fmt.Sprintf("created service %s running %s", spec.Service, shortTD(a.TaskDefinitionARN)))
		d.info("created service %s (desired count %d)", spec.Service, aws.ToInt32(plan.DesiredCount))
	case plan.CodeDeploy:
		updated, err := d.applyCodeDeploy(ctx, spec, plan, a)
		if err != nil {
			return a, err
		}
		svc = updated
	default:
		in := plan.update
		if in == nil {
			in = newUpdateInput()
		}
		in.Cluster, in.Service = aws.String(spec.Cluster), aws.String(spec.Service)
		in.TaskDefinition = aws.String(a.TaskDefinitionARN)
		in.DesiredCount = plan.DesiredCount
		in.ForceNewDeployment = plan.ForceNewDeployment
		updated, err := d.updateService(ctx, in, plan.live)
		if err != nil {
			return a, fmt.Errorf("update service %s in cluster %s: %w", spec.Service, spec.Cluster, err)
		}
		svc = updated
		a.ServiceChanged = true
		a.Done = append(a.Done, fmt.Sprintf("service %s now deploys %s", spec.Service, shortTD(a.TaskDefinitionARN)))
		msg := fmt.Sprintf("updated service %s: task definition %s", spec.Service, shortTD(a.TaskDefinitionARN))
		if plan.DesiredCount != nil {
			msg += fmt.Sprintf(", desired count %d", *plan.DesiredCount)
		}
		if len(plan.Attributes) > 0 {
			msg += fmt.Sprintf(", %d attribute(s)", len(plan.Attributes))
		}
		d.info("%s", msg)
	}
	a.setDeployment(svc, plan)
	if !plan.CreateService && plan.changesService() {
		if err := d.applyTags(ctx, svc, plan); err != nil {
			return a, err
		}
	}
	return a, nil
}

// setDeployment notes the deployment the service change started.
func (a *Applied) setDeployment(svc *ecstypes.Service, plan *Plan) {
	if svc != nil {
		if plan.changesService() {
			a.Service = svc
		}
		if p := primaryOf(svc); p != nil && sameTaskDefinition(aws.ToString(p.TaskDefinition), a.TaskDefinitionARN) {
			a.DeploymentID = aws.ToString(p.Id)
		}
		if plan.CreateService {
			// Events of an earlier service with the same name are not ours,
			// but a new service has none we have seen.
			a.KnownEvents = eventIDs(svc)
		}
	}
}

// header is the line a deploy starts with: what goes where, and how.
func (d *Deployer) header(spec *Spec, plan *Plan, opts Options) string {
	td := shortTD(plan.TaskDefinitionARN)
	if plan.TaskDefinitionAction == TDRegister {
		td = plan.TaskDefinitionFamily + " (new revision)"
	}
	region := d.Region
	if region == "" {
		region = "(default)"
	}
	verb := opts.Verb
	if verb == "" {
		verb = "deploy"
	}
	h := fmt.Sprintf("%s service %s, cluster %s, region %s, task definition %s, strategy %s", verb, spec.Service, spec.Cluster, region, td, strategyOf(spec.ServiceDefinition, plan.live))
	if opts.DryRun {
		h += " [DRY RUN]"
	}
	return h
}

// strategyOf is the deployment strategy the service definition asks for,
// else the one the live service has: ROLLING, BLUE_GREEN, LINEAR, CANARY,
// or the controller when ECS does not run the rollout (CODE_DEPLOY, EXTERNAL).
func strategyOf(sd *render.ServiceDefinition, live *ecstypes.Service) string {
	var controller, strategy string
	if sd != nil {
		if sd.DeploymentController != nil {
			controller = string(sd.DeploymentController.Type)
		}
		if sd.DeploymentConfiguration != nil {
			strategy = string(sd.DeploymentConfiguration.Strategy)
		}
	}
	if live != nil {
		if controller == "" && live.DeploymentController != nil {
			controller = string(live.DeploymentController.Type)
		}
		if strategy == "" && live.DeploymentConfiguration != nil {
			strategy = string(live.DeploymentConfiguration.Strategy)
		}
	}
	if controller != "" && controller != string(ecstypes.DeploymentControllerTypeEcs) {
		return controller
	}
	if strategy == "" {
		strategy = string(ecstypes.DeploymentStrategyRolling)
	}
	return strategy
}
