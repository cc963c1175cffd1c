// Package cdgroup finds the CodeDeploy deployment group that deploys an ECS
// service, as ecspresso does when its config names none. deploy (to create
// deployments) and verify (to check the group) both need it, and verify
// cannot import deploy.
package cdgroup

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// API is the part of the CodeDeploy client the scan uses.
type API interface {
	ListApplications(context.Context, *codedeploy.ListApplicationsInput, ...func(*codedeploy.Options)) (*codedeploy.ListApplicationsOutput, error)
	BatchGetApplications(context.Context, *codedeploy.BatchGetApplicationsInput, ...func(*codedeploy.Options)) (*codedeploy.BatchGetApplicationsOutput, error)
	ListDeploymentGroups(context.Context, *codedeploy.ListDeploymentGroupsInput, ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentGroupsOutput, error)
	BatchGetDeploymentGroups(context.Context, *codedeploy.BatchGetDeploymentGroupsInput, ...func(*codedeploy.Options)) (*codedeploy.BatchGetDeploymentGroupsOutput, error)
}

// Scope narrows the scan: a named application is read without listing the
// others, a named group without listing its application's groups.
type Scope struct {
	Application, DeploymentGroup string
}

// batch is the most names BatchGetApplications and BatchGetDeploymentGroups
// take; batching is what keeps accounts with many applications from being
// throttled.
const batch = 100

// Find returns the application and the group whose ecsServices holds
// cluster/service (cluster by name or ARN), or "", nil, nil when none does.
func Find(ctx context.Context, api API, scope Scope, cluster, service string) (string, *cdtypes.DeploymentGroupInfo, error) {
	apps := []string{scope.Application}
	if scope.Application == "" {
		var err error
		if apps, err = ecsApplications(ctx, api); err != nil {
			return "", nil, err
		}
	}
	for _, app := range apps {
		groups := []string{scope.DeploymentGroup}
		if scope.DeploymentGroup == "" {
			groups = nil
			p := codedeploy.NewListDeploymentGroupsPaginator(api, &codedeploy.ListDeploymentGroupsInput{ApplicationName: aws.String(app)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return "", nil, fmt.Errorf("list deployment groups of CodeDeploy application %s: %w", app, err)
				}
				groups = append(groups, page.DeploymentGroups...)
			}
		}
		for names := range slices.Chunk(groups, batch) {
			out, err := api.BatchGetDeploymentGroups(ctx, &codedeploy.BatchGetDeploymentGroupsInput{ApplicationName: aws.String(app), DeploymentGroupNames: names})
			if err != nil {
				return "", nil, fmt.Errorf("read deployment groups of CodeDeploy application %s: %w", app, err)
			}
			for i := range out.DeploymentGroupsInfo {
				if Deploys(&out.DeploymentGroupsInfo[i], cluster, service) {
					return app, &out.DeploymentGroupsInfo[i], nil
				}
			}
		}
	}
	return "", nil, nil
}

// ecsApplications lists the applications of the ECS compute platform.
func ecsApplications(ctx context.Context, api API) ([]string, error) {
	var all []string
	p := codedeploy.NewListApplicationsPaginator(api, &codedeploy.ListApplicationsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list CodeDeploy applications: %w", err)
		}
		all = append(all, page.Applications...)
	}
	var ecs []string
	for names := range slices.Chunk(all, batch) {
		res, err := api.BatchGetApplications(ctx, &codedeploy.BatchGetApplicationsInput{ApplicationNames: names})
		if err != nil {
			return nil, fmt.Errorf("read CodeDeploy applications: %w", err)
		}
		for _, a := range res.ApplicationsInfo {
			if a.ComputePlatform == cdtypes.ComputePlatformEcs {
				ecs = append(ecs, aws.ToString(a.ApplicationName))
			}
		}
	}
	return ecs, nil
}

// Deploys tells whether g deploys cluster/service.
func Deploys(g *cdtypes.DeploymentGroupInfo, cluster, service string) bool {
	for _, s := range g.EcsServices {
		if ClusterName(aws.ToString(s.ClusterName)) == ClusterName(cluster) && aws.ToString(s.ServiceName) == service {
			return true
		}
	}
	return false
}

// ClusterName is the name of a cluster given by name or ARN (empty: the
// default cluster).
func ClusterName(c string) string {
	if i := strings.LastIndex(c, "/"); i >= 0 && strings.HasPrefix(c, "arn:") {
		return c[i+1:]
	}
	if c == "" {
		return "default"
	}
	return c
}
