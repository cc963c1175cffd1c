package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// TaskDefinitionDeleter deletes INACTIVE task definitions (deregister
// --delete).
type TaskDefinitionDeleter interface {
	DeleteTaskDefinitions(context.Context, *ecs.DeleteTaskDefinitionsInput, ...func(*ecs.Options)) (*ecs.DeleteTaskDefinitionsOutput, error)
}

// DeregisterOptions select the revisions to deregister: one of Revision
// (a number or "latest") and Keeps.
type DeregisterOptions struct {
	Revision string
	Keeps    *int
	// Delete also deletes the deregistered revisions.
	Delete bool
}

// Validate rejects missing or contradictory selections.
func (o DeregisterOptions) Validate() error {
	switch {
	case o.Revision == "" && o.Keeps == nil:
		return fmt.Errorf("say what to deregister: --revision N, --revision latest or --keeps N")
	case o.Revision != "" && o.Keeps != nil:
		return fmt.Errorf("use either --revision or --keeps, not both")
	case o.Keeps != nil && *o.Keeps < 0:
		return fmt.Errorf("--keeps must be 0 or more, got %d", *o.Keeps)
	}
	return nil
}

// KeptRevision is a revision deregister leaves alone, and why.
type KeptRevision struct {
	TaskDefinition string
	Why            string
}

// DeregisterPlan is what deregister would do.
type DeregisterPlan struct {
	Family string
	// Deregister are the ACTIVE revisions to deregister (family:revision).
	Deregister []string
	// Delete are the revisions to delete after deregistering (--delete):
	// those deregistered, plus an already INACTIVE one named by --revision.
	Delete []string
	// Kept are the revisions protected because they are in use.
	Kept []KeptRevision
}

// Empty tells whether there is nothing to do.
func (p *DeregisterPlan) Empty() bool { return len(p.Deregister) == 0 && len(p.Delete) == 0 }

// Lines renders the plan for people.
func (p *DeregisterPlan) Lines() []string {
	var l []string
	for _, k := range p.Kept {
		l = append(l, fmt.Sprintf("keep %s (%s)", k.TaskDefinition, k.Why))
	}
	for _, td := range p.Deregister {
		l = append(l, "deregister "+td)
	}
	for _, td := range p.Delete {
		l = append(l, "delete "+td)
	}
	if p.Empty() {
		l = append(l, fmt.Sprintf("nothing to deregister in family %s", p.Family))
	}
	return l
}

// PlanDeregister decides which revisions of family to deregister. It never
// selects one that a deployment of the service or a task runs, nor the
// rollback target. It makes no mutating call.
func (d *Deployer) PlanDeregister(ctx context.Context, cluster, service, family string, opts DeregisterOptions) (*DeregisterPlan, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	use, err := d.InUse(ctx, cluster, service, family)
	if err != nil {
		return nil, err
	}
	p := &DeregisterPlan{Family: family}
	if opts.Revision != "" {
		ref := family
		if opts.Revision != "latest" {
			if n := revisionOf(family + ":" + opts.Revision); n <= 0 {
				return nil, fmt.Errorf("invalid --revision %q: use a revision number or latest", opts.Revision)
			}
			ref = family + ":" + opts.Revision
		}
		out, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
		if err != nil {
			if isNotFound(err) {
				return nil, fmt.Errorf("task definition %s not found", ref)
			}
			return nil, fmt.Errorf("describe task definition %s: %w", ref, err)
		}
		td := shortTD(aws.ToString(out.TaskDefinition.TaskDefinitionArn))
		if why := use[td]; len(why) > 0 {
			return nil, fmt.Errorf("not deregistering %s: it is in use (%s)", td, strings.Join(why, ", "))
		}
		switch out.TaskDefinition.Status {
		case ecstypes.TaskDefinitionStatusActive:
			p.Deregister = append(p.Deregister, td)
			if opts.Delete {
				p.Delete = append(p.Delete, td)
			}
		case ecstypes.TaskDefinitionStatusInactive:
			if !opts.Delete {
				return nil, fmt.Errorf("task definition %s is already INACTIVE (use --delete to delete it)", td)
			}
			p.Delete = append(p.Delete, td)
		default:
			return nil, fmt.Errorf("task definition %s is %s: nothing to do", td, out.TaskDefinition.Status)
		}
		return p, nil
	}
	arns, err := activeRevisions(ctx, d.ECS, family)
	if err != nil {
		return nil, err
	}
	var candidates []string
	for _, arn := range arns {
		td := shortTD(arn)
		if why := use[td]; len(why) > 0 {
			p.Kept = append(p.Kept, KeptRevision{TaskDefinition: td, Why: strings.Join(why, ", ")})
			continue
		}
		candidates = append(candidates, td)
	}
	if n := len(candidates) - *opts.Keeps; n > 0 {
		p.Deregister = candidates[:n]
		if opts.Delete {
			p.Delete = append(p.Delete, p.Deregister...)
		}
	}
	return p, nil
}

// Deregister executes a plan; del is only used for plan.Delete.
func (d *Deployer) Deregister(ctx context.Context, del TaskDefinitionDeleter, plan *DeregisterPlan) error {
	for _, td := range plan.Deregister {
		if _, err := d.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(td)}); err != nil {
			return fmt.Errorf("deregister task definition %s: %w", td, err)
		}
		d.info("deregistered task definition %s", td)
	}
	todo := plan.Delete
	for len(todo) > 0 {
		n := min(len(todo), 10) // the API's limit per call
		out, err := del.DeleteTaskDefinitions(ctx, &ecs.DeleteTaskDefinitionsInput{TaskDefinitions: todo[:n]})
		if err != nil {
			return fmt.Errorf("delete task definitions %s: %w", strings.Join(todo[:n], ", "), err)
		}
		if len(out.Failures) > 0 {
			f := out.Failures[0]
			return fmt.Errorf("delete task definition %s: %s %s", shortTD(aws.ToString(f.Arn)), aws.ToString(f.Reason), aws.ToString(f.Detail))
		}
		for _, td := range todo[:n] {
			d.info("deleted task definition %s", td)
		}
		todo = todo[n:]
	}
	return nil
}
