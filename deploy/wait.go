package deploy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/doppio-ecs/doppio/exitcode"
)

// ECSAPI is the part of the ECS client deploy, rollback and the waiter use;
// *ecs.Client satisfies it, tests may fake it.
type ECSAPI interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	ListServiceDeployments(context.Context, *ecs.ListServiceDeploymentsInput, ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error)
	DescribeServiceDeployments(context.Context, *ecs.DescribeServiceDeploymentsInput, ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error)
	DescribeServiceRevisions(context.Context, *ecs.DescribeServiceRevisionsInput, ...func(*ecs.Options)) (*ecs.DescribeServiceRevisionsOutput, error)
	StopServiceDeployment(context.Context, *ecs.StopServiceDeploymentInput, ...func(*ecs.Options)) (*ecs.StopServiceDeploymentOutput, error)
	ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	ListTaskDefinitions(context.Context, *ecs.ListTaskDefinitionsInput, ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error)
	RegisterTaskDefinition(context.Context, *ecs.RegisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
	DeregisterTaskDefinition(context.Context, *ecs.DeregisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error)
	CreateService(context.Context, *ecs.CreateServiceInput, ...func(*ecs.Options)) (*ecs.CreateServiceOutput, error)
	UpdateService(context.Context, *ecs.UpdateServiceInput, ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
	TagResource(context.Context, *ecs.TagResourceInput, ...func(*ecs.Options)) (*ecs.TagResourceOutput, error)
	UntagResource(context.Context, *ecs.UntagResourceInput, ...func(*ecs.Options)) (*ecs.UntagResourceOutput, error)
}

// LogsAPI reads the failing container's log for an explanation.
type LogsAPI interface {
	GetLogEvents(context.Context, *cloudwatchlogs.GetLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

// EventKind says what a reporter event carries.
type EventKind int

const (
	// EventInfo is a step of the command ("registered web:3").
	EventInfo EventKind = iota
	// EventWarning is something the user should read but that does not stop the command.
	EventWarning
	// EventProgress carries a new snapshot of the service's deployments;
	// it is only sent when the snapshot changed.
	EventProgress
	// EventServiceEvent is one ECS service event, each sent once, oldest first.
	EventServiceEvent
	// EventWaiting says what the command now waits for ("deployment
	// ecs-svc/1 of web:4 to complete"); send it again when that changes.
	// The live view shows it beside the elapsed time and keeps ticking
	// between polls, so a waiter may poll as sparsely as it likes.
	EventWaiting
)

// Event is what deploy, rollback and the waiter report while they run.
type Event struct {
	Time        time.Time
	Kind        EventKind
	Message     string
	Deployments []DeploymentState // EventProgress only
	// Next, on the EventWaiting reports of a long sleep, is when the waiter
	// polls next, on the clock of Time (zero otherwise), so that a live
	// view counts down to it between reports. Message ends with
	// NextCheck(Next.Sub(Time)) while that is 10 s or more, for the logs
	// that print each report once.
	Next time.Time
}

// Waiting is the EventWaiting event for what.
func Waiting(what string) Event {
	return Event{Time: time.Now(), Kind: EventWaiting, Message: what}
}

// DeploymentState is one line of the live status block.
type DeploymentState struct {
	ID                 string
	Status             string // PRIMARY, ACTIVE, INACTIVE
	TaskDefinition     string // family:revision
	Desired            int32
	Pending            int32
	Running            int32
	Failed             int32
	RolloutState       string
	RolloutStateReason string
}

// Reporter receives events. Implementations decide how to show them (a live
// block on a TTY, one line per change in CI, JSON).
type Reporter interface {
	Report(Event)
}

// ReporterFunc adapts a function to Reporter.
type ReporterFunc func(Event)

func (f ReporterFunc) Report(e Event) { f(e) }

type discard struct{}

func (discard) Report(Event) {}

// Outcome is how a deploy, rollback or wait ended.
type Outcome struct {
	Class   Class
	Reason  string // one sentence
	Cluster string
	Service string
	// TaskDefinition is the ARN that was deployed (or rolled back to).
	TaskDefinition string
	// Lifecycle is what a blue/green, linear or canary wait observed.
	Lifecycle *LifecycleRecord
	// DeploymentID is the deployment that was followed, when known: the
	// ECS deployment (ecs-svc/...), or the CodeDeploy deployment (d-...)
	// of a service under the CODE_DEPLOY controller.
	DeploymentID string
	// DeploymentURL is the console page of a CodeDeploy deployment.
	DeploymentURL string
	// Explanation is gathered on failure and timeout.
	Explanation *Explanation
	// Err is the underlying error for Class Error.
	Err error
}

// ExitCode maps the class to doppio's exit codes: completed 0, failed or
// rolled back 3, timed out 4, error or interrupted 1.
func (o *Outcome) ExitCode() int {
	switch o.Class {
	case Completed, Submitted:
		return exitcode.OK
	case Failed, RolledBack:
		return exitcode.Failed
	case Timeout:
		return exitcode.Timeout
	}
	return exitcode.Error
}

// Succeeded tells whether the outcome exits 0: completed, or submitted
// without waiting.
func (o *Outcome) Succeeded() bool { return o.Class == Completed || o.Class == Submitted }

// AsError is nil for a completed outcome, else an error carrying the exit
// code. The message is the reason; the explanation is printed separately.
func (o *Outcome) AsError() error {
	if o == nil || o.Succeeded() {
		return nil
	}
	msg := fmt.Sprintf("%s: %s", o.Class, o.Reason)
	if o.Err != nil && !strings.Contains(msg, o.Err.Error()) {
		msg += ": " + o.Err.Error()
	}
	return exitcode.With(o.ExitCode(), errors.New(msg))
}

// PollIntervalEnv overrides the waiter's fastest poll interval (a Go
// duration) and caps every sleep at five times it. It exists for tests and
// demos against the emulator, whose clock may run faster than the wall
// clock.
const PollIntervalEnv = "DOPPIO_POLL_INTERVAL_MIN"

const (
	defaultMinInterval = time.Second
	defaultMaxInterval = 5 * time.Second
	// heartbeat: while a sleep is long, the display and the CI log hear
	// from the waiter this often, without an AWS call.
	heartbeat = 30 * time.Second
	// explainBudget bounds the calls made after a timeout to say why.
	explainBudget = 20 * time.Second
	// maxConsecutiveErrors: the SDK already retried each call; this many
	// failed polls in a row end the wait with an error.
	maxConsecutiveErrors = 5
)

// PollIntervals returns the waiter's fastest poll interval and the interval
// it backs off to where the end may come within seconds, honouring
// PollIntervalEnv; capped tells that the environment asks for every sleep to
// stay within the second.
func PollIntervals() (lo, hi time.Duration, capped bool) {
	if v := os.Getenv(PollIntervalEnv); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			return d, 5 * d, true
		}
	}
	return defaultMinInterval, defaultMaxInterval, false
}

// ELBAPI reads the deregistration delay of a service's target groups, which
// says how long old tasks drain; *elasticloadbalancingv2.Client satisfies it.
type ELBAPI interface {
	DescribeTargetGroupAttributes(context.Context, *elasticloadbalancingv2.DescribeTargetGroupAttributesInput, ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetGroupAttributesOutput, error)
}

// Waiter follows one service until its rollout ends. One polling loop serves
// the decision and the display; when it polls is planned from what the
// answers tell (wait_schedule.go).
type Waiter struct {
	ECS      ECSAPI
	Logs     LogsAPI // optional: without it explanations carry no log lines
	EC2      EC2API  // optional: without it explanations do not check the tasks' network
	ELB      ELBAPI  // optional: without it drains are not predicted
	Cluster  string
	Service  string
	Until    WaitUntil
	Reporter Reporter
	// CodeDeploy follows services under the CODE_DEPLOY controller
	// (optional for the others).
	CodeDeploy *CodeDeploy
	// Clock is the wall clock when nil.
	Clock Clock
	// MinInterval and MaxInterval set the fastest poll interval and the
	// blind back-off's bound; non-zero values also cap every sleep at
	// MaxInterval (tests). Zero values take PollIntervals().
	MinInterval time.Duration
	MaxInterval time.Duration
}

// WaitTarget names the deployment to follow.
type WaitTarget struct {
	// TaskDefinition is the ARN (or family:revision) the service must run.
	TaskDefinition string
	// DeploymentID is our deployment (ecs-svc/...), from the UpdateService
	// or CreateService answer; empty follows the PRIMARY deployment running
	// TaskDefinition.
	DeploymentID string
	// KnownEvents are service event ids already seen (those in the
	// UpdateService answer): they are not reported again.
	KnownEvents []string
	// Rollback: the deployment is a rollback requested with
	// StopServiceDeployment; it is not PRIMARY yet, and a ROLLBACK_SUCCESSFUL
	// service deployment is the success we wait for.
	Rollback bool
	// Service is the state the caller just read (the UpdateService
	// answer): the waiter starts from it instead of polling at once.
	Service *ecstypes.Service
	// CodeDeployID is the CodeDeploy deployment (d-...) to follow on a
	// CODE_DEPLOY service; empty follows the one in progress, if any.
	CodeDeployID string
	// PriorServiceDeployment is the service's current service deployment
	// before the change (its ARN). While it is still the current one, the
	// change started no service deployment (UpdateService of
	// deploymentConfiguration alone, say), and how that earlier one ended
	// (a rollback, perhaps) says nothing about this deploy.
	PriorServiceDeployment string
}

func (w *Waiter) reporter() Reporter {
	if w.Reporter == nil {
		return discard{}
	}
	return w.Reporter
}

func (w *Waiter) clock() Clock {
	if w.Clock == nil {
		return WallClock()
	}
	return w.Clock
}

func (w *Waiter) intervals() (time.Duration, time.Duration, bool) {
	lo, hi, capped := PollIntervals()
	if w.MinInterval > 0 {
		lo, capped = w.MinInterval, true
	}
	if w.MaxInterval > 0 {
		hi, capped = w.MaxInterval, true
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi, capped
}

// Wait polls until the rollout ends, ctx is done (timeout or Ctrl-C), or
// polling keeps failing. It never changes the service.
func (w *Waiter) Wait(ctx context.Context, t WaitTarget) *Outcome {
	rep := w.reporter()
	clk := w.clock()
	want := expectation{taskDefinition: t.TaskDefinition, deploymentID: t.DeploymentID, until: w.Until, awaitPrimary: t.Rollback}
	if want.until == "" {
		want.until = UntilDeployed
	}
	seen := map[string]bool{}
	for _, id := range t.KnownEvents {
		seen[id] = true
	}
	rep.Report(Waiting(waitingFor(t, want.until)))
	sched := newSchedule(w.intervals())
	// Polls served from shared rounds (wait_shared.go).
	round, shared := sharedPollRound(w.ECS)
	if shared {
		sched.learnAfter = sharedLearnAfter
	}
	sched.readStarts = func(ours *ecstypes.Deployment, status ecstypes.DesiredStatus) time.Duration {
		return w.taskStarts(ctx, ours, status)
	}
	var (
		lastProgress string
		lastWaiting  string
		lastSvc      *ecstypes.Service
		errs         int
		fresh        []ServiceEvent // events of this wait, for the explanation
		drainRead    bool
		ctl          controller // chosen on the first answer (controller.go)
	)
	out := func(class Class, reason string) *Outcome {
		return &Outcome{Class: class, Reason: reason, Cluster: w.Cluster, Service: w.Service, TaskDefinition: t.TaskDefinition, DeploymentID: t.DeploymentID}
	}
	initial := t.Service
	for {
		var (
			svc  *ecstypes.Service
			date time.Time // the answer's Date: the service's clock
			err  error
			p    plan
		)
		if initial != nil {
			svc, initial = initial, nil
		} else {
			svc, date, err = pollServiceDated(ctx, w.ECS, w.Cluster, w.Service)
		}
		if ctx.Err() != nil {
			return withDrainAdvice(w.stoppedBy(ctx, ctl, out, lastSvc, want, fresh), sched, clk.Now())
		}
		now := clk.Now()
		sched.served(now, date)
		if err != nil {
			errs++
			if errs >= maxConsecutiveErrors {
				o := out(Error, "cannot read the service state")
				o.Err = err
				return o
			}
			rep.Report(Event{Time: time.Now(), Kind: EventWarning, Message: fmt.Sprintf("describe service (will retry): %v", err)})
			p = plan{delay: sched.dueInterval(time.Duration(errs) * sched.hi), waitingFor: "the service to answer"}
		} else {
			errs = 0
			lastSvc = svc
			var batch []ServiceEvent
			for _, ev := range newEvents(svc, seen) {
				se := ServiceEvent{Time: aws.ToTime(ev.CreatedAt), Message: aws.ToString(ev.Message)}
				batch = append(batch, se)
				rep.Report(Event{Time: se.Time, Kind: EventServiceEvent, Message: se.Message})
			}
			fresh = append(fresh, batch...)
			states := deploymentStates(svc)
			if key := fmt.Sprint(states); key != lastProgress {
				lastProgress = key
				rep.Report(Event{Time: time.Now(), Kind: EventProgress, Deployments: states})
			}
			if ctl == nil {
				ctl = w.controllerFor(svc, t)
			}
			v := ctl.judge(ctx, svc, want)
			if v.done {
				o := out(v.class, v.reason)
				o.Lifecycle = lifecycleOf(ctl)
				withDeployment(o, ctl)
				if v.class != Completed {
					o.Explanation = w.explain(ctx, svc, explainWant(ctl, want), fresh)
					if c, ok := ctl.(*codeDeployController); ok {
						o.Explanation.Advice = c.advice()
					}
				}
				return o
			}
			if !drainRead && svc != nil {
				drainRead = true
				sched.drain = w.drainDelay(ctx, svc)
			}
			sched.observe(now, svc, want)
			p = sched.next(now, svc, want)
			if shared {
				p = sched.sharedStart(p)
			}
			if c, ok := ctl.(*codeDeployController); ok {
				// The task sets' ECS view does not tell when CodeDeploy
				// moves on: poll at the back-off bound and say what
				// CodeDeploy is doing.
				p = plan{delay: min(p.delay, sched.hi), waitingFor: c.waitingFor()}
			}
		}
		// With shared polls the request goes out a round before the
		// planned time: whether the round comes at once or a round later,
		// the next answer comes at most the planned delay after this one.
		if err := w.sleep(ctx, clk, clk.Now().Add(p.delay-round), p, &lastWaiting); err != nil {
			return withDrainAdvice(w.stoppedBy(ctx, ctl, out, lastSvc, want, fresh), sched, clk.Now())
		}
	}
}

// waitingFor says in words what Wait waits for.
func waitingFor(t WaitTarget, until WaitUntil) string {
	what := "the deployment of " + shortTD(t.TaskDefinition)
	if t.DeploymentID != "" {
		what = "deployment " + t.DeploymentID + " (" + shortTD(t.TaskDefinition) + ")"
	}
	if t.CodeDeployID != "" {
		what = "CodeDeploy deployment " + t.CodeDeployID + " (" + shortTD(t.TaskDefinition) + ")"
	}
	switch {
	case t.Rollback:
		return "the rollback to " + shortTD(t.TaskDefinition) + " to complete"
	case until == UntilStable:
		return what + " to be stable"
	}
	return what + " to complete"
}

// sleep waits until the next poll, telling the reporter what the rollout
// waits for whenever that changes or a long sleep begins, and until a long
// sleep ends, every heartbeat: a CI log, which has no live view ticking,
// keeps moving, and a live view counts down to every long sleep's end.
func (w *Waiter) sleep(ctx context.Context, clk Clock, until time.Time, p plan, last *string) error {
	for first := true; ; first = false {
		left := until.Sub(clk.Now())
		long := left >= 10*time.Second
		if first && (p.waitingFor != *last || long) || !first && left > 0 {
			*last = p.waitingFor
			e := Waiting(p.waitingFor)
			if long {
				e.Message += NextCheck(left)
			}
			if long || !first {
				e.Next = e.Time.Add(left)
			}
			w.reporter().Report(e)
		}
		if left <= 0 {
			return nil
		}
		if err := clk.Sleep(ctx, min(left, heartbeat)); err != nil {
			return err
		}
	}
}

// NextCheck ends a waiting message with when the waiter polls next.
func NextCheck(left time.Duration) string {
	return fmt.Sprintf("; next check in %s", left.Round(time.Second))
}

// drainDelay reads, once per wait, the longest deregistration delay of the
// service's target groups: how long its old tasks will drain. Without the
// permission or the client the waiter does without (0).
func (w *Waiter) drainDelay(ctx context.Context, svc *ecstypes.Service) time.Duration {
	if w.ELB == nil {
		return 0
	}
	var longest time.Duration
	done := map[string]bool{}
	for _, lb := range svc.LoadBalancers {
		arn := aws.ToString(lb.TargetGroupArn)
		if arn == "" || done[arn] {
			continue
		}
		done[arn] = true
		out, err := w.ELB.DescribeTargetGroupAttributes(ctx, &elasticloadbalancingv2.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(arn)})
		if err != nil {
			slog.Debug("cannot read the deregistration delay; polling without it", "target_group", arn, "err", err)
			return 0
		}
		for _, a := range out.Attributes {
			if aws.ToString(a.Key) == "deregistration_delay.timeout_seconds" {
				if n, err := strconv.Atoi(aws.ToString(a.Value)); err == nil {
					longest = max(longest, time.Duration(n)*time.Second)
				}
			}
		}
	}
	return longest
}

// stoppedBy is stopped with what the controller knows: the deployment it
// followed and, for a timeout, where that deployment stood.
func (w *Waiter) stoppedBy(ctx context.Context, ctl controller, out func(Class, string) *Outcome, svc *ecstypes.Service, want expectation, fresh []ServiceEvent) *Outcome {
	o := w.stopped(ctx, out, svc, explainWant(ctl, want), fresh)
	withDeployment(o, ctl)
	if c, ok := ctl.(*codeDeployController); ok && o.Class == Timeout {
		o.Reason += c.timeoutDetail()
	}
	return o
}

// withDrainAdvice advises on a timeout that came at now while the old tasks
// drained for a known delay: the explanation's default ("no task of this
// deployment stopped ... raise healthCheckGracePeriodSeconds") would point
// at the new tasks, which run.
func withDrainAdvice(o *Outcome, sched *schedule, now time.Time) *Outcome {
	if o.Class != Timeout || o.Explanation == nil || o.Explanation.Advice != "" {
		return o
	}
	o.Explanation.Advice = sched.drainAdvice(now)
	return o
}

// withDeployment names the CodeDeploy deployment a controller followed.
func withDeployment(o *Outcome, ctl controller) {
	if c, ok := ctl.(*codeDeployController); ok {
		if id, url := c.deployment(); id != "" {
			o.DeploymentID, o.DeploymentURL = id, url
		}
	}
}

func explainWant(ctl controller, want expectation) expectation {
	if c, ok := ctl.(*codeDeployController); ok {
		return c.explainWant(want)
	}
	return want
}

// stopped builds the outcome when ctx ended the wait: a deadline is a
// timeout (explained), a cancellation is the user's Ctrl-C.
func (w *Waiter) stopped(ctx context.Context, out func(Class, string) *Outcome, svc *ecstypes.Service, want expectation, fresh []ServiceEvent) *Outcome {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		o := out(Timeout, "the deployment did not finish in time")
		if svc != nil {
			if d := findDeployment(svc, want); d != nil {
				o.Reason = fmt.Sprintf("the deployment did not finish in time: %d/%d tasks running, %d failed, rollout %s",
					d.RunningCount, d.DesiredCount, d.FailedTasks, strings.ToLower(string(d.RolloutState)))
			}
		}
		o.Explanation = w.explain(ctx, svc, want, fresh)
		return o
	}
	return out(Interrupted, "stopped waiting on request; ECS continues the deployment (doppio stops nothing)")
}

// confirmServiceDeployment checks that the newest service deployment agrees
// with a Completed verdict. Whatever --wait-until says, a service deployment
// ECS rolled back (or that was stopped) is not a success: after a circuit
// breaker rollback the service is stable again, on the old revision. With
// --wait-until deployed a service deployment still in progress (a bake time)
// is not done yet. Without that API (older regions, permissions) the
// DescribeServices verdict stands.
func (w *Waiter) confirmServiceDeployment(ctx context.Context, v verdict, rollback bool, until WaitUntil, prior string) verdict {
	sd, err := latestServiceDeployment(ctx, w.ECS, w.Cluster, w.Service)
	if err != nil || sd == nil || prior != "" && aws.ToString(sd.ServiceDeploymentArn) == prior {
		return v
	}
	if rollback {
		switch sd.Status {
		case ecstypes.ServiceDeploymentStatusRollbackSuccessful, ecstypes.ServiceDeploymentStatusSuccessful, ecstypes.ServiceDeploymentStatusStopped:
			return v
		case ecstypes.ServiceDeploymentStatusRollbackFailed:
			return verdict{done: true, class: Failed, reason: "the rollback failed" + reasonSuffix(sd.StatusReason)}
		default:
			return verdict{}
		}
	}
	switch sd.Status {
	case ecstypes.ServiceDeploymentStatusSuccessful:
		return v
	case ecstypes.ServiceDeploymentStatusPending, ecstypes.ServiceDeploymentStatusInProgress:
		if until == UntilStable {
			return v
		}
		return verdict{} // e.g. a bake time is still running
	case ecstypes.ServiceDeploymentStatusRollbackSuccessful, ecstypes.ServiceDeploymentStatusRollbackInProgress, ecstypes.ServiceDeploymentStatusRollbackRequested:
		return verdict{done: true, class: RolledBack, reason: "the service deployment was rolled back" + reasonSuffix(sd.StatusReason)}
	case ecstypes.ServiceDeploymentStatusStopped, ecstypes.ServiceDeploymentStatusStopRequested, ecstypes.ServiceDeploymentStatusRollbackFailed:
		return verdict{done: true, class: Failed, reason: "the service deployment is " + strings.ToLower(string(sd.Status)) + reasonSuffix(sd.StatusReason)}
	}
	return v
}

func reasonSuffix(r *string) string {
	if s := aws.ToString(r); s != "" {
		return ": " + s
	}
	return ""
}

// latestServiceDeployment is the newest service deployment of the service.
func latestServiceDeployment(ctx context.Context, api ECSAPI, cluster, service string) (*ecstypes.ServiceDeploymentBrief, error) {
	out, err := api.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String(cluster), Service: aws.String(service)})
	if err != nil {
		return nil, fmt.Errorf("list service deployments of %s: %w", service, err)
	}
	if len(out.ServiceDeployments) == 0 {
		return nil, nil
	}
	sds := out.ServiceDeployments
	sort.SliceStable(sds, func(i, j int) bool { return aws.ToTime(sds[i].CreatedAt).After(aws.ToTime(sds[j].CreatedAt)) })
	return &sds[0], nil
}

// pollService returns the service, or nil when ECS reports it MISSING.
func pollService(ctx context.Context, api ECSAPI, cluster, service string) (*ecstypes.Service, error) {
	svc, _, err := pollServiceDated(ctx, api, cluster, service)
	return svc, err
}

// pollServiceDated is pollService with the answer's Date header, the
// service's clock (zero when the answer had none).
func pollServiceDated(ctx context.Context, api ECSAPI, cluster, service string) (*ecstypes.Service, time.Time, error) {
	out, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster:  aws.String(cluster),
		Services: []string{service},
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("describe service %s in cluster %s: %w", service, cluster, err)
	}
	date, _ := awsmiddleware.GetServerTime(out.ResultMetadata)
	for i := range out.Services {
		if aws.ToString(out.Services[i].ServiceName) == service || strings.HasSuffix(aws.ToString(out.Services[i].ServiceArn), "/"+service) {
			return &out.Services[i], date, nil
		}
	}
	return nil, date, nil
}

// newEvents returns the events not seen yet, oldest first, and marks them.
func newEvents(svc *ecstypes.Service, seen map[string]bool) []ecstypes.ServiceEvent {
	var fresh []ecstypes.ServiceEvent
	for i := len(svc.Events) - 1; i >= 0; i-- { // ECS lists newest first; keep one instant's events in order
		ev := svc.Events[i]
		id := aws.ToString(ev.Id)
		if id == "" {
			id = aws.ToTime(ev.CreatedAt).String() + aws.ToString(ev.Message)
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		fresh = append(fresh, ev)
	}
	sort.SliceStable(fresh, func(i, j int) bool { return aws.ToTime(fresh[i].CreatedAt).Before(aws.ToTime(fresh[j].CreatedAt)) })
	return fresh
}

// eventIDs lists the ids of the events a service answer already carries.
func eventIDs(svc *ecstypes.Service) []string {
	if svc == nil {
		return nil
	}
	ids := make([]string, 0, len(svc.Events))
	for _, ev := range svc.Events {
		id := aws.ToString(ev.Id)
		if id == "" {
			id = aws.ToTime(ev.CreatedAt).String() + aws.ToString(ev.Message)
		}
		ids = append(ids, id)
	}
	return ids
}

func deploymentStates(svc *ecstypes.Service) []DeploymentState {
	states := make([]DeploymentState, 0, len(svc.Deployments))
	for _, d := range svc.Deployments {
		states = append(states, DeploymentState{
			ID:                 aws.ToString(d.Id),
			Status:             aws.ToString(d.Status),
			TaskDefinition:     shortTD(aws.ToString(d.TaskDefinition)),
			Desired:            d.DesiredCount,
			Pending:            d.PendingCount,
			Running:            d.RunningCount,
			Failed:             d.FailedTasks,
			RolloutState:       string(d.RolloutState),
			RolloutStateReason: aws.ToString(d.RolloutStateReason),
		})
	}
	return states
}

// WaitCurrent follows the service's current PRIMARY deployment to its end
// (the `wait` command): same loop, outcome classes and explanations as
// deploy.
func (d *Deployer) WaitCurrent(ctx context.Context, cluster, service string, until WaitUntil) (*Outcome, error) {
	svc, err := pollService(ctx, d.ECS, cluster, service)
	if err != nil {
		return nil, err
	}
	if svc == nil || aws.ToString(svc.Status) == "INACTIVE" {
		return nil, fmt.Errorf("service %s does not exist in cluster %s", service, cluster)
	}
	p := primaryOf(svc)
	if p == nil {
		return nil, fmt.Errorf("service %s has no PRIMARY deployment to wait for", service)
	}
	return d.waiter(cluster, service, until).Wait(ctx, WaitTarget{
		TaskDefinition: aws.ToString(p.TaskDefinition),
		DeploymentID:   aws.ToString(p.Id),
		KnownEvents:    eventIDs(svc),
	}), nil
}
