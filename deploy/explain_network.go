package deploy

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/netcheck"
)

// EC2API is what a failure explanation reads of EC2 (Describe calls only).
type EC2API = netcheck.EC2API

// NetworkFinding is the network check that runs when tasks could not
// reach AWS at start: what is missing on the way out of their subnets.
type NetworkFinding struct {
	Subnets []string
	Missing []string
	Denied  string // EC2 refused a Describe call
}

// networkFailure matches the stoppedReasons of a Fargate task that could
// not connect at start: registry auth or secrets (ResourceInitializationError)
// or an image pull (CannotPullContainerError) that timed out.
var networkFailure = regexp.MustCompile(`^(ResourceInitializationError|CannotPullContainerError):.*(i/o timeout|context deadline exceeded|Please check your task network configuration|signal: killed)`)

// explainNetwork runs netcheck for a deployment whose tasks stopped with a
// network time-out; nil when none did or the service is not awsvpc.
func (w *Waiter) explainNetwork(ctx context.Context, svc *ecstypes.Service, d *ecstypes.Deployment, tasks []ecstypes.Task) (*NetworkFinding, error) {
	var failed *ecstypes.Task
	for i := range tasks {
		if networkFailure.MatchString(aws.ToString(tasks[i].StoppedReason)) {
			failed = &tasks[i]
			break
		}
	}
	if failed == nil {
		return nil, nil
	}
	// The failed deployment may be gone from the service once it rolled
	// back: its network is the target revision of the newest service
	// deployment (the one that failed or rolled back), else the deployment
	// when it is still listed, else the service's. The subnets come from
	// the failed tasks' network interfaces in any case.
	nc := svc.NetworkConfiguration
	if d != nil && d.NetworkConfiguration != nil {
		nc = d.NetworkConfiguration
	}
	if rev := w.targetRevisionNetwork(ctx); rev != nil {
		nc = rev
	}
	if nc == nil || nc.AwsvpcConfiguration == nil {
		return nil, nil
	}
	vc := *nc.AwsvpcConfiguration
	if subnets := taskSubnets(tasks); len(subnets) > 0 {
		vc.Subnets = subnets
	}
	if len(vc.Subnets) == 0 {
		return nil, nil
	}
	td, err := w.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: failed.TaskDefinitionArn})
	if err != nil {
		return nil, fmt.Errorf("describe task definition %s: %w", shortTD(aws.ToString(failed.TaskDefinitionArn)), err)
	}
	region := arnRegion(aws.ToString(failed.TaskArn))
	in := netcheck.Input{Subnets: vc.Subnets, SecurityGroups: vc.SecurityGroups, AssignPublicIP: vc.AssignPublicIp == ecstypes.AssignPublicIpEnabled,
		Region: region, Needs: netcheck.Needs(td.TaskDefinition.ContainerDefinitions, region)}
	res, err := netcheck.Analyze(ctx, w.EC2, in)
	if err != nil {
		return nil, fmt.Errorf("network check: %w", err)
	}
	return &NetworkFinding{Subnets: vc.Subnets, Missing: res.Problems(), Denied: res.Denied}, nil
}

// arnRegion is the region field of an ARN.
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

// taskSubnets lists the subnets of the tasks' network interfaces, in order.
func taskSubnets(tasks []ecstypes.Task) []string {
	var out []string
	for _, t := range tasks {
		if !networkFailure.MatchString(aws.ToString(t.StoppedReason)) {
			continue
		}
		for _, a := range t.Attachments {
			for _, kv := range a.Details {
				if aws.ToString(kv.Name) == "subnetId" && !slices.Contains(out, aws.ToString(kv.Value)) {
					out = append(out, aws.ToString(kv.Value))
				}
			}
		}
	}
	return out
}

// targetRevisionNetwork is the network configuration of the newest service
// deployment's target revision; nil when it cannot be read.
func (w *Waiter) targetRevisionNetwork(ctx context.Context) *ecstypes.NetworkConfiguration {
	sd, err := latestServiceDeployment(ctx, w.ECS, w.Cluster, w.Service)
	if err != nil || sd == nil || aws.ToString(sd.TargetServiceRevisionArn) == "" {
		return nil
	}
	out, err := w.ECS.DescribeServiceRevisions(ctx, &ecs.DescribeServiceRevisionsInput{ServiceRevisionArns: []string{aws.ToString(sd.TargetServiceRevisionArn)}})
	if err != nil || len(out.ServiceRevisions) == 0 {
		return nil
	}
	return out.ServiceRevisions[0].NetworkConfiguration
}
