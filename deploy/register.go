package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/normalize"
)

// Registered is what Register did.
type Registered struct {
	// TaskDefinition is the registered or reused revision; nil on a dry run
	// that would register a new one.
	TaskDefinition *ecstypes.TaskDefinition
	Tags           []ecstypes.Tag
	// Reused: an ACTIVE revision identical to the rendered one exists, so
	// nothing was registered (as deploy does).
	Reused bool
}

// Register registers in as a new revision unless an identical ACTIVE
// revision of the family exists. A dry run makes no mutating call.
func (d *Deployer) Register(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, ig normalize.Ignore, dryRun bool) (*Registered, error) {
	if aws.ToString(in.Family) == "" {
		return nil, fmt.Errorf("the task definition has no family")
	}
	same, err := d.identicalRevision(ctx, in, "", ig)
	if err != nil {
		return nil, err
	}
	if same != nil {
		d.info("task definition %s is identical to the rendered one: reusing it", shortTD(aws.ToString(same.TaskDefinition.TaskDefinitionArn)))
		return &Registered{TaskDefinition: same.TaskDefinition, Tags: same.Tags, Reused: true}, nil
	}
	if dryRun {
		d.info("task definition family %s: a new revision would be registered", aws.ToString(in.Family))
		return &Registered{}, nil
	}
	td, err := d.register(ctx, in, ig)
	if err != nil {
		return nil, err
	}
	d.info("registered task definition %s", shortTD(aws.ToString(td.TaskDefinitionArn)))
	return &Registered{TaskDefinition: td, Tags: in.Tags}, nil
}
