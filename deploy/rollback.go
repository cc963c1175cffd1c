package deploy

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// RollbackOptions are the rollback flags.
type RollbackOptions struct {
	DryRun    bool
	NoWait    bool
	WaitUntil WaitUntil
	// DeregisterTaskDefinition deregisters the revision rolled back from,
	// only after the rollback completed.
	DeregisterTaskDefinition bool
	// RollbackEvents are the auto-rollback events of a CodeDeploy
	// deployment the rollback creates (nil: the group's configuration).
	RollbackEvents []cdtypes.AutoRollbackEvent
}

// RollbackPlan is what a rollback does.
type RollbackPlan struct {
	Cluster string
	Service string
	// Current is the task definition the service runs (or rolls out) now.
	Current string
	// Target is the task definition the service returns to.
	Target string
	// TargetSource says how Target was found.
	TargetSource string
	// StopDeployment is the in-progress service deployment that is stopped
	// with rollback, instead of an UpdateService.
	StopDeployment string
	// Deregister is the revision deregistered after a completed rollback.
	Deregister string
	// StopCodeDeploy is the CodeDeploy deployment in progress that is
	// stopped with auto-rollback (CODE_DEPLOY services); when empty on such
	// a service, a new CodeDeploy deployment of Target is created.
	StopCodeDeploy string

	live            *ecstypes.Service
	codeDeployGroup *DeploymentGroupRef
	appSpec         string
}

// Lines renders the rollback plan.
func (p *RollbackPlan) Lines() []string {
	l := []string{fmt.Sprintf("Service %s in cluster %s", p.Service, p.Cluster)}
	if p.StopDeployment != "" {
		l = append(l, fmt.Sprintf("  stop the deployment in progress (%s) with rollback", shortID(p.StopDeployment)))
	}
	if p.StopCodeDeploy != "" {
		l = append(l, fmt.Sprintf("  stop CodeDeploy deployment %s with auto-rollback", p.StopCodeDeploy))
	} else if g := p.codeDeployGroup; g != nil {
		l = append(l, fmt.Sprintf("  create a CodeDeploy deployment in %s/%s", g.Application, g.DeploymentGroup))
	}
	l = append(l, fmt.Sprintf("  roll back from %s to %s (%s)", shortTD(p.Current), shortTD(p.Target), p.TargetSource))
	if p.Deregister != "" {
		l = append(l, fmt.Sprintf("  then deregister task definition %s", shortTD(p.Deregister)))
	}
	return l
}

func shortID(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// PlanRollback finds what to roll back to. It makes no mutating call.
func (d *Deployer) PlanRollback(ctx context.Context, cluster, service string, opts RollbackOptions) (*RollbackPlan, error) {
	if service == "" {
		return nil, fmt.Errorf("rollback needs a service: set `service` in the config")
	}
	svc, err := d.describeForPlan(ctx, cluster, service)
	if err != nil {
		return nil, err
	}
	if svc == nil {
		return nil, fmt.Errorf("service %s does not exist in cluster %s: nothing to roll back", service, cluster)
	}
	p := &RollbackPlan{Cluster: cluster, Service: service, Current: aws.ToString(svc.TaskDefinition), live: svc}
	if isCodeDeploy(svc) {
		if err := d.planCodeDeployRollback(ctx, p, svc); err != nil {
			return nil, err
		}
		if opts.DeregisterTaskDefinition && !opts.NoWait && !sameTaskDefinition(p.Current, p.Target) {
			p.Deregister = p.Current
		}
		return p, nil
	}

	inFlight, err := d.ECS.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{
		Cluster: aws.String(cluster), Service: aws.String(service),
		Status: []ecstypes.ServiceDeploymentStatus{ecstypes.ServiceDeploymentStatusPending, ecstypes.ServiceDeploymentStatusInProgress},
	})
	if err == nil && len(inFlight.ServiceDeployments) > 0 {
		sd := inFlight.ServiceDeployments[0]
		p.StopDeployment = aws.ToString(sd.ServiceDeploymentArn)
		p.Target, _ = d.sourceOfDeployment(ctx, p.StopDeployment)
		if p.Target == "" {
			p.Target = previousDeploymentTD(svc)
		}
		if p.Target == "" {
			return nil, fmt.Errorf("a deployment is in progress on service %s but the task definition it replaces is unknown", service)
		}
		p.TargetSource = "the task definition the in-progress deployment replaces"
	} else {
		target, err := d.previousSuccessful(ctx, cluster, service, p.Current)
		if err != nil {
			return nil, err
		}
		if target != "" {
			p.Target, p.TargetSource = target, "the previous successful deployment"
		} else {
			target, err := d.previousRevision(ctx, p.Current)
			if err != nil {
				return nil, err
			}
			if target == "" {
				return nil, fmt.Errorf("no task definition to roll back to: no earlier successful deployment of service %s and no earlier ACTIVE revision of %s", service, familyOf(p.Current))
			}
			p.Target, p.TargetSource = target, "the previous ACTIVE revision of the family"
		}
	}
	if opts.DeregisterTaskDefinition && !opts.NoWait && !sameTaskDefinition(p.Current, p.Target) {
		p.Deregister = p.Current
	}
	return p, nil
}

// sourceOfDeployment returns the task definition a service deployment
// replaces (its first source revision).
func (d *Deployer) sourceOfDeployment(ctx context.Context, arn string) (string, error) {
	out, err := d.ECS.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
	if err != nil {
		return "", fmt.Errorf("describe service deployment %s: %w", arn, err)
	}
	if len(out.ServiceDeployments) == 0 || len(out.ServiceDeployments[0].SourceServiceRevisions) == 0 {
		return "", nil
	}
	rev := aws.ToString(out.ServiceDeployments[0].SourceServiceRevisions[0].Arn)
	tds, err := d.revisionTaskDefinitions(ctx, []string{rev})
	if err != nil {
		return "", err
	}
	return tds[rev], nil
}

// revisionTaskDefinitions maps service revision ARNs to their task definition.
func (d *Deployer) revisionTaskDefinitions(ctx context.Context, arns []string) (map[string]string, error) {
	m := map[string]string{}
	for len(arns) > 0 {
		n := min(len(arns), 20)
		out, err := d.ECS.DescribeServiceRevisions(ctx, &ecs.DescribeServiceRevisionsInput{ServiceRevisionArns: arns[:n]})
		if err != nil {
			return nil, fmt.Errorf("describe service revisions: %w", err)
		}
		for _, r := range out.ServiceRevisions {
			m[aws.ToString(r.ServiceRevisionArn)] = aws.ToString(r.TaskDefinition)
		}
		arns = arns[n:]
	}
	return m, nil
}

// previousDeploymentTD is the task definition of a non-PRIMARY deployment
// still present (the one a rolling deployment replaces).
func previousDeploymentTD(svc *ecstypes.Service) string {
	for _, dep := range svc.Deployments {
		if aws.ToString(dep.Status) == "ACTIVE" {
			return aws.ToString(dep.TaskDefinition)
		}
	}
	return ""
}

// previousSuccessful returns the task definition of the newest successful
// service deployment that ran another task definition than current. An
// account or region without the service-deployments API yields "".
func (d *Deployer) previousSuccessful(ctx context.Context, cluster, service, current string) (string, error) {
	out, err := d.ECS.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{
		Cluster: aws.String(cluster), Service: aws.String(service),
		Status: []ecstypes.ServiceDeploymentStatus{ecstypes.ServiceDeploymentStatusSuccessful},
	})
	if err != nil {
		d.warn("service deployment history unavailable (%v); using the previous ACTIVE revision", err)
		return "", nil
	}
	sds := out.ServiceDeployments
	sort.SliceStable(sds, func(i, j int) bool { return aws.ToTime(sds[i].CreatedAt).After(aws.ToTime(sds[j].CreatedAt)) })
	var revs []string
	for _, sd := range sds {
		if r := aws.ToString(sd.TargetServiceRevisionArn); r != "" {
			revs = append(revs, r)
		}
	}
	if len(revs) == 0 {
		return "", nil
	}
	tds, err := d.revisionTaskDefinitions(ctx, revs)
	if err != nil {
		d.warn("%v; using the previous ACTIVE revision", err)
		return "", nil
	}
	for _, r := range revs {
		td := tds[r]
		if td == "" || sameTaskDefinition(td, current) {
			continue
		}
		if ok, err := d.isActive(ctx, td); err != nil || !ok {
			continue // deregistered since: ECS would refuse it
		}
		return td, nil
	}
	return "", nil
}

func (d *Deployer) isActive(ctx context.Context, td string) (bool, error) {
	out, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(td)})
	if err != nil {
		return false, err
	}
	return out.TaskDefinition.Status == ecstypes.TaskDefinitionStatusActive, nil
}

// previousRevision is the newest ACTIVE revision of current's family older
// than current.
func (d *Deployer) previousRevision(ctx context.Context, current string) (string, error) {
	family := familyOf(current)
	cur, _ := strconv.Atoi(strings.TrimPrefix(shortTD(current), family+":"))
	p := ecs.NewListTaskDefinitionsPaginator(d.ECS, &ecs.ListTaskDefinitionsInput{
		FamilyPrefix: aws.String(family), Status: ecstypes.TaskDefinitionStatusActive, Sort: ecstypes.SortOrderDesc,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("list task definitions of %s: %w", family, err)
		}
		for _, arn := range page.TaskDefinitionArns {
			if familyOf(arn) != family {
				continue
			}
			rev, _ := strconv.Atoi(strings.TrimPrefix(shortTD(arn), family+":"))
			if rev < cur {
				return arn, nil
			}
		}
	}
	return "", nil
}

// Rollback plans and performs a rollback, then waits and deregisters.
func (d *Deployer) Rollback(ctx context.Context, cluster, service string, opts RollbackOptions) (*RollbackPlan, *Outcome, error) {
	plan, err := d.PlanRollback(ctx, cluster, service, opts)
	if err != nil {
		return nil, nil, err
	}
	out := &Outcome{Cluster: cluster, Service: service, TaskDefinition: plan.Target}
	if opts.DryRun {
		out.Class, out.Reason = Completed, "dry run: no change was made"
		return plan, out, nil
	}
	target := WaitTarget{TaskDefinition: plan.Target, KnownEvents: eventIDs(plan.live)}
	var applied string // what changed in AWS, for an outcome that did not wait to the end
	if plan.codeDeployGroup != nil {
		t, failed := d.rollbackCodeDeploy(ctx, plan, opts)
		if failed != nil {
			return plan, failed, nil
		}
		target = t
		out.DeploymentID, out.DeploymentURL = t.CodeDeployID, d.CodeDeploy.ConsoleURL(t.CodeDeployID)
		if t.Rollback {
			applied = fmt.Sprintf("stopped CodeDeploy deployment %s with rollback: service %s now rolls back to %s", t.CodeDeployID, service, shortTD(plan.Target))
		} else {
			applied = fmt.Sprintf("CodeDeploy deployment %s now deploys %s to service %s", t.CodeDeployID, shortTD(plan.Target), service)
		}
	} else if plan.StopDeployment != "" {
		if _, err := d.ECS.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{
			ServiceDeploymentArn: aws.String(plan.StopDeployment),
			StopType:             ecstypes.StopServiceDeploymentStopTypeRollback,
		}); err != nil {
			return plan, &Outcome{Class: Error, Reason: "rollback failed", Err: fmt.Errorf("stop service deployment %s with rollback: %w", plan.StopDeployment, err), Cluster: cluster, Service: service}, nil
		}
		d.info("stopped deployment %s with rollback to %s", shortID(plan.StopDeployment), shortTD(plan.Target))
		applied = fmt.Sprintf("stopped deployment %s with rollback: service %s now rolls back to %s", shortID(plan.StopDeployment), service, shortTD(plan.Target))
		target.Rollback = true
	} else {
		svc, err := d.updateService(ctx, &ecs.UpdateServiceInput{
			Cluster: aws.String(cluster), Service: aws.String(service), TaskDefinition: aws.String(plan.Target),
		}, plan.live)
		if err != nil {
			return plan, &Outcome{Class: Error, Reason: "rollback failed", Err: fmt.Errorf("update service %s to %s: %w", service, shortTD(plan.Target), err), Cluster: cluster, Service: service}, nil
		}
		d.info("updated service %s: task definition %s", service, shortTD(plan.Target))
		applied = fmt.Sprintf("service %s now deploys %s", service, shortTD(plan.Target))
		if p := primaryOf(svc); svc != nil && p != nil && sameTaskDefinition(aws.ToString(p.TaskDefinition), plan.Target) {
			target.DeploymentID = aws.ToString(p.Id)
		}
		target.Service = svc
	}
	if opts.NoWait {
		out.Class, out.Reason = Submitted, fmt.Sprintf("rollback to %s started (not waiting: --no-wait)", shortTD(plan.Target))
		if opts.DeregisterTaskDefinition {
			d.info("task definitions are only deregistered after a completed rollback; not deregistering with --no-wait")
		}
		return plan, out, nil
	}
	o := d.waiter(cluster, service, opts.WaitUntil).Wait(ctx, target)
	if o.Class != Completed {
		if o.Class == Interrupted || o.Class == Timeout {
			o.Reason += "; already applied: " + applied
		}
		if plan.Deregister != "" {
			d.info("not deregistering %s: the rollback did not complete", shortTD(plan.Deregister))
		}
		return plan, o, nil
	}
	o.Reason = "rolled back to " + shortTD(plan.Target) + ": " + o.Reason
	if plan.Deregister != "" {
		if err := d.deregisterUnused(ctx, cluster, service, plan.Deregister, plan.Target); err != nil {
			d.warn("%v", err)
		}
	}
	return plan, o, nil
}

// deregisterUnused deregisters td unless it is the rollback target or a
// deployment of the service still runs it.
func (d *Deployer) deregisterUnused(ctx context.Context, cluster, service, td, target string) error {
	if sameTaskDefinition(td, target) {
		return nil
	}
	svc, err := pollService(ctx, d.ECS, cluster, service)
	if err != nil {
		return fmt.Errorf("not deregistering %s: %w", shortTD(td), err)
	}
	if svc != nil {
		for _, dep := range svc.Deployments {
			if sameTaskDefinition(aws.ToString(dep.TaskDefinition), td) {
				return fmt.Errorf("not deregistering %s: deployment %s still uses it", shortTD(td), aws.ToString(dep.Id))
			}
		}
	}
	if _, err := d.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(td)}); err != nil {
		return fmt.Errorf("deregister task definition %s: %w", shortTD(td), err)
	}
	d.info("deregistered task definition %s", shortTD(td))
	return nil
}
