package deploy

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Revision is one ACTIVE revision of a task definition family.
type Revision struct {
	Family       string     `json:"family"`
	Revision     int32      `json:"revision"`
	ARN          string     `json:"taskDefinitionArn"`
	Images       []string   `json:"images"` // container=image
	RegisteredAt *time.Time `json:"registeredAt,omitempty"`
	// InUse says why the revision must stay: "PRIMARY deployment",
	// "2 RUNNING tasks", "rollback target". Empty when unused.
	InUse []string `json:"inUse,omitempty"`
}

// Name is family:revision.
func (r Revision) Name() string { return fmt.Sprintf("%s:%d", r.Family, r.Revision) }

// LocalTaskDefinition renders the local task definition file (nil: the
// config has none).
type LocalTaskDefinition func(context.Context) (*ecs.RegisterTaskDefinitionInput, error)

// Family returns the family commands work on: the one of the task
// definition the service runs, else the local task definition's.
func (d *Deployer) Family(ctx context.Context, cluster, service string, local LocalTaskDefinition) (string, error) {
	if service != "" {
		svc, err := describeService(ctx, d.ECS, cluster, service)
		if err != nil {
			return "", err
		}
		if svc != nil && aws.ToString(svc.TaskDefinition) != "" {
			return familyOf(aws.ToString(svc.TaskDefinition)), nil
		}
	}
	if local == nil {
		return "", fmt.Errorf("no task definition family: the service does not exist and the config has no task_definition")
	}
	in, err := local(ctx)
	if err != nil {
		return "", err
	}
	if f := aws.ToString(in.Family); f != "" {
		return f, nil
	}
	return "", fmt.Errorf("the task definition file has no family")
}

// activeRevisions lists the family's ACTIVE revision ARNs, oldest first.
func activeRevisions(ctx context.Context, api ECSAPI, family string) ([]string, error) {
	var arns []string
	p := ecs.NewListTaskDefinitionsPaginator(api, &ecs.ListTaskDefinitionsInput{
		FamilyPrefix: aws.String(family), Status: ecstypes.TaskDefinitionStatusActive, Sort: ecstypes.SortOrderAsc,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list task definitions of %s: %w", family, err)
		}
		for _, arn := range page.TaskDefinitionArns {
			// FamilyPrefix is a prefix: "web" also lists "web-worker".
			if familyOf(arn) == family {
				arns = append(arns, arn)
			}
		}
	}
	sort.SliceStable(arns, func(i, j int) bool { return revisionOf(arns[i]) < revisionOf(arns[j]) })
	return arns, nil
}

func revisionOf(ref string) int {
	s := shortTD(ref)
	n, _ := strconv.Atoi(s[strings.LastIndex(s, ":")+1:])
	return n
}

// InUse maps task definitions (family:revision) of family to why they must
// not be deregistered: a deployment of the service runs them, tasks of the
// family run them, or rollback would return to them. It makes no mutating
// call.
func (d *Deployer) InUse(ctx context.Context, cluster, service, family string) (map[string][]string, error) {
	use := map[string][]string{}
	add := func(td, why string) {
		k := shortTD(td)
		for _, w := range use[k] {
			if w == why {
				return
			}
		}
		use[k] = append(use[k], why)
	}
	if service != "" {
		svc, err := describeService(ctx, d.ECS, cluster, service)
		if err != nil {
			return nil, err
		}
		if svc != nil {
			for _, dep := range svc.Deployments {
				add(aws.ToString(dep.TaskDefinition), aws.ToString(dep.Status)+" deployment")
			}
			if plan, err := d.PlanRollback(ctx, cluster, service, RollbackOptions{DryRun: true}); err == nil && plan.Target != "" {
				add(plan.Target, "rollback target")
			}
		}
	}
	tasks, err := familyTasks(ctx, d.ECS, cluster, family)
	if err != nil {
		return nil, err
	}
	counts := map[string]map[string]int{}
	for _, t := range tasks {
		if aws.ToString(t.LastStatus) == "STOPPED" {
			continue
		}
		k := shortTD(aws.ToString(t.TaskDefinitionArn))
		if counts[k] == nil {
			counts[k] = map[string]int{}
		}
		counts[k][aws.ToString(t.LastStatus)]++
	}
	for td, byStatus := range counts {
		statuses := make([]string, 0, len(byStatus))
		for s := range byStatus {
			statuses = append(statuses, s)
		}
		sort.Strings(statuses)
		for _, s := range statuses {
			add(td, plural(byStatus[s], s+" task"))
		}
	}
	return use, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// familyTasks returns the tasks of the family that ECS still wants running.
func familyTasks(ctx context.Context, api ECSAPI, cluster, family string) ([]ecstypes.Task, error) {
	var arns []string
	p := ecs.NewListTasksPaginator(api, &ecs.ListTasksInput{Cluster: aws.String(clusterName(cluster)), Family: aws.String(family)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if isNotFound(err) {
				return nil, nil
			}
			return nil, fmt.Errorf("list tasks of family %s in cluster %s: %w", family, clusterName(cluster), err)
		}
		arns = append(arns, page.TaskArns...)
	}
	return describeTasks(ctx, api, cluster, arns)
}

// describeTasks describes tasks in batches of 100 (the API's limit).
func describeTasks(ctx context.Context, api ECSAPI, cluster string, arns []string) ([]ecstypes.Task, error) {
	var tasks []ecstypes.Task
	for len(arns) > 0 {
		n := min(len(arns), 100)
		out, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(clusterName(cluster)), Tasks: arns[:n], Include: []ecstypes.TaskField{ecstypes.TaskFieldTags}})
		if err != nil {
			return nil, fmt.Errorf("describe tasks in cluster %s: %w", clusterName(cluster), err)
		}
		tasks = append(tasks, out.Tasks...)
		arns = arns[n:]
	}
	return tasks, nil
}

// ListRevisions lists the family's ACTIVE revisions, oldest first, with
// their images and why they are in use.
func (d *Deployer) ListRevisions(ctx context.Context, cluster, service, family string) ([]Revision, error) {
	arns, err := activeRevisions(ctx, d.ECS, family)
	if err != nil {
		return nil, err
	}
	use, err := d.InUse(ctx, cluster, service, family)
	if err != nil {
		return nil, err
	}
	revs := make([]Revision, 0, len(arns))
	for _, arn := range arns {
		out, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
		if err != nil {
			return nil, fmt.Errorf("describe task definition %s: %w", shortTD(arn), err)
		}
		td := out.TaskDefinition
		r := Revision{Family: aws.ToString(td.Family), Revision: td.Revision, ARN: arn, RegisteredAt: td.RegisteredAt, Images: []string{}, InUse: use[shortTD(arn)]}
		for _, c := range td.ContainerDefinitions {
			r.Images = append(r.Images, aws.ToString(c.Name)+"="+aws.ToString(c.Image))
		}
		revs = append(revs, r)
	}
	return revs, nil
}

// DescribeRevision returns one revision of family with its tags: which is
// a revision number, "latest" (the newest ACTIVE) or "current" (what the
// service runs).
func (d *Deployer) DescribeRevision(ctx context.Context, cluster, service, family, which string) (*ecs.DescribeTaskDefinitionOutput, error) {
	ref := family
	switch which {
	case "latest":
	case "current":
		if service == "" {
			return nil, fmt.Errorf("--revision current needs a service in the config")
		}
		svc, err := describeService(ctx, d.ECS, cluster, service)
		if err != nil {
			return nil, err
		}
		if svc == nil {
			return nil, ErrServiceNotFound(cluster, service)
		}
		ref = aws.ToString(svc.TaskDefinition)
	default:
		n, err := strconv.Atoi(which)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("invalid --revision %q: use a revision number, current or latest", which)
		}
		ref = fmt.Sprintf("%s:%d", family, n)
	}
	out, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(ref),
		Include:        []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags},
	})
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("task definition %s not found", ref)
		}
		return nil, fmt.Errorf("describe task definition %s: %w", ref, err)
	}
	return out, nil
}
