package deploy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/smithy-go"
	"github.com/goccy/go-yaml"

	"github.com/doppio-ecs/doppio/internal/cdgroup"
	"github.com/doppio-ecs/doppio/render"
)

// CodeDeployAPI is the part of the CodeDeploy client that deploy, wait,
// rollback and status use; *codedeploy.Client satisfies it.
type CodeDeployAPI interface {
	ListApplications(context.Context, *codedeploy.ListApplicationsInput, ...func(*codedeploy.Options)) (*codedeploy.ListApplicationsOutput, error)
	BatchGetApplications(context.Context, *codedeploy.BatchGetApplicationsInput, ...func(*codedeploy.Options)) (*codedeploy.BatchGetApplicationsOutput, error)
	ListDeploymentGroups(context.Context, *codedeploy.ListDeploymentGroupsInput, ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentGroupsOutput, error)
	BatchGetDeploymentGroups(context.Context, *codedeploy.BatchGetDeploymentGroupsInput, ...func(*codedeploy.Options)) (*codedeploy.BatchGetDeploymentGroupsOutput, error)
	CreateDeployment(context.Context, *codedeploy.CreateDeploymentInput, ...func(*codedeploy.Options)) (*codedeploy.CreateDeploymentOutput, error)
	GetDeployment(context.Context, *codedeploy.GetDeploymentInput, ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error)
	ListDeployments(context.Context, *codedeploy.ListDeploymentsInput, ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentsOutput, error)
	StopDeployment(context.Context, *codedeploy.StopDeploymentInput, ...func(*codedeploy.Options)) (*codedeploy.StopDeploymentOutput, error)
	GetDeploymentTarget(context.Context, *codedeploy.GetDeploymentTargetInput, ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentTargetOutput, error)
}

var _ CodeDeployAPI = (*codedeploy.Client)(nil)

// CodeDeploy is what doppio needs to deploy a service under the CODE_DEPLOY
// deployment controller: the client, the config's `codedeploy` names (empty
// ones are discovered as ecspresso discovers them) and `appspec` hooks.
type CodeDeploy struct {
	API                  CodeDeployAPI
	ApplicationName      string
	DeploymentGroupName  string
	DeploymentConfigName string
	Hooks                []map[string]any
	// Region names the console URL of a deployment.
	Region string

	mu    sync.Mutex
	found map[string]*DeploymentGroupRef // by cluster/service
}

// DeploymentGroupRef names the CodeDeploy deployment group of a service.
type DeploymentGroupRef struct {
	Application     string
	DeploymentGroup string
	// DeploymentConfig is the config's deployment_config_name, else the
	// group's own.
	DeploymentConfig string
}

// NewCodeDeploy takes the config's codedeploy names and the appspec
// hooks (a list of {LifecycleEvent: Lambda function} maps).
func NewCodeDeploy(api CodeDeployAPI, region string, cfg *render.CodeDeployConfig, hooks []map[string]any) *CodeDeploy {
	cd := &CodeDeploy{API: api, Region: region, Hooks: hooks}
	if cfg != nil {
		cd.ApplicationName, cd.DeploymentGroupName, cd.DeploymentConfigName = cfg.ApplicationName, cfg.DeploymentGroupName, cfg.DeploymentConfigName
	}
	return cd
}

// ConsoleURL is the AWS console page of a CodeDeploy deployment.
func (cd *CodeDeploy) ConsoleURL(id string) string {
	if id == "" || cd.Region == "" {
		return ""
	}
	return fmt.Sprintf("https://%s.console.aws.amazon.com/codesuite/codedeploy/deployments/%s?region=%s", cd.Region, id, cd.Region)
}

// ErrNoDeploymentGroup: no CodeDeploy deployment group deploys the service.
var ErrNoDeploymentGroup = errors.New("no CodeDeploy deployment group found")

// Group finds the deployment group whose ecsServices holds cluster/service:
// in the configured application and group when named, else over every
// application of the ECS compute platform (batched by 100, as ecspresso
// does, since accounts with many applications throttle). It is looked up
// once per run.
func (cd *CodeDeploy) Group(ctx context.Context, cluster, service string) (*DeploymentGroupRef, error) {
	key := bareCluster(cluster) + "/" + service
	cd.mu.Lock()
	if g := cd.found[key]; g != nil {
		cd.mu.Unlock()
		return g, nil
	}
	cd.mu.Unlock()
	app, g, err := cdgroup.Find(ctx, cd.API, cdgroup.Scope{Application: cd.ApplicationName, DeploymentGroup: cd.DeploymentGroupName}, cluster, service)
	if err != nil {
		return nil, err
	}
	if g != nil {
		ref := &DeploymentGroupRef{Application: app, DeploymentGroup: aws.ToString(g.DeploymentGroupName), DeploymentConfig: aws.ToString(g.DeploymentConfigName)}
		if cd.DeploymentConfigName != "" {
			ref.DeploymentConfig = cd.DeploymentConfigName
		}
		cd.mu.Lock()
		if cd.found == nil {
			cd.found = map[string]*DeploymentGroupRef{}
		}
		cd.found[key] = ref
		cd.mu.Unlock()
		return ref, nil
	}
	where := "in any CodeDeploy application of the ECS compute platform"
	switch {
	case cd.ApplicationName != "" && cd.DeploymentGroupName != "":
		where = fmt.Sprintf("as deployment group %s of application %s (config codedeploy.application_name, deployment_group_name): it does not exist or deploys another service", cd.DeploymentGroupName, cd.ApplicationName)
	case cd.ApplicationName != "":
		where = fmt.Sprintf("in CodeDeploy application %s (config codedeploy.application_name)", cd.ApplicationName)
	}
	return nil, fmt.Errorf("%w for ECS service %s in cluster %s %s; create one (CreateDeploymentGroup with ecsServices naming the service) or name it in the config's codedeploy section", ErrNoDeploymentGroup, service, bareCluster(cluster), where)
}

// bareCluster is the name of a cluster given by name or ARN (empty: default).
func bareCluster(c string) string { return cdgroup.ClusterName(c) }

// activeStatuses are the statuses of a CodeDeploy deployment not over yet.
var activeStatuses = []cdtypes.DeploymentStatus{cdtypes.DeploymentStatusCreated, cdtypes.DeploymentStatusQueued,
	cdtypes.DeploymentStatusInProgress, cdtypes.DeploymentStatusReady, cdtypes.DeploymentStatusBaking}

// Active is the group's deployment in progress ("" when none).
func (cd *CodeDeploy) Active(ctx context.Context, g *DeploymentGroupRef) (string, error) {
	out, err := cd.API.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String(g.Application),
		DeploymentGroupName: aws.String(g.DeploymentGroup), IncludeOnlyStatuses: activeStatuses})
	if err != nil {
		return "", fmt.Errorf("list CodeDeploy deployments of %s/%s: %w", g.Application, g.DeploymentGroup, err)
	}
	if len(out.Deployments) == 0 {
		return "", nil
	}
	return out.Deployments[0], nil
}

// Latest is the group's newest deployment, any status ("" when none).
func (cd *CodeDeploy) Latest(ctx context.Context, g *DeploymentGroupRef) (*cdtypes.DeploymentInfo, error) {
	out, err := cd.API.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String(g.Application), DeploymentGroupName: aws.String(g.DeploymentGroup)})
	if err != nil {
		return nil, fmt.Errorf("list CodeDeploy deployments of %s/%s: %w", g.Application, g.DeploymentGroup, err)
	}
	if len(out.Deployments) == 0 {
		return nil, nil
	}
	return cd.Get(ctx, out.Deployments[0])
}

// Get reads one deployment.
func (cd *CodeDeploy) Get(ctx context.Context, id string) (*cdtypes.DeploymentInfo, error) {
	out, err := cd.API.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("get CodeDeploy deployment %s: %w", id, err)
	}
	return out.DeploymentInfo, nil
}

// Target reads the ECS target of a deployment: its lifecycle events and
// the original and replacement task sets with their traffic weights.
func (cd *CodeDeploy) Target(ctx context.Context, id, cluster, service string) (*cdtypes.ECSTarget, error) {
	out, err := cd.API.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String(id), TargetId: aws.String(bareCluster(cluster) + ":" + service)})
	if err != nil {
		return nil, fmt.Errorf("get the target of CodeDeploy deployment %s: %w", id, err)
	}
	if out.DeploymentTarget == nil {
		return nil, nil
	}
	return out.DeploymentTarget.EcsTarget, nil
}

// ParseRollbackEvents reads --rollback-events (ecspresso's values; empty:
// the deployment group's own auto-rollback configuration).
func ParseRollbackEvents(csv string) ([]cdtypes.AutoRollbackEvent, error) {
	if strings.TrimSpace(csv) == "" {
		return nil, nil
	}
	var out []cdtypes.AutoRollbackEvent
	for _, v := range strings.Split(csv, ",") {
		switch ev := cdtypes.AutoRollbackEvent(strings.TrimSpace(v)); ev {
		case cdtypes.AutoRollbackEventDeploymentFailure, cdtypes.AutoRollbackEventDeploymentStopOnAlarm, cdtypes.AutoRollbackEventDeploymentStopOnRequest:
			out = append(out, ev)
		default:
			return nil, fmt.Errorf("invalid --rollback-events value %q: use DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM or DEPLOYMENT_STOP_ON_REQUEST, comma-separated", v)
		}
	}
	return out, nil
}

// appSpecContent renders the AppSpec CodeDeploy receives (YAML, as
// ecspresso sends it and `doppio appspec` prints it).
func (cd *CodeDeploy) appSpecContent(sv AppSpecService, taskDefinition string) (string, error) {
	spec, err := NewAppSpec(sv, taskDefinition, cd.Hooks)
	if err != nil {
		return "", err
	}
	b, err := yaml.Marshal(spec)
	if err != nil {
		return "", fmt.Errorf("appspec: %w", err)
	}
	return string(b), nil
}

// create starts a CodeDeploy deployment of content. CreateDeployment has
// no idempotency token, but CodeDeploy refuses a second active deployment
// per group: when a retried call meets that refusal, the active deployment
// is ours if it carries our AppSpec, and is adopted instead of failing.
func (cd *CodeDeploy) create(ctx context.Context, g *DeploymentGroupRef, content string, rollbackEvents []cdtypes.AutoRollbackEvent, description string) (string, error) {
	in := &codedeploy.CreateDeploymentInput{
		ApplicationName:     aws.String(g.Application),
		DeploymentGroupName: aws.String(g.DeploymentGroup),
		Description:         aws.String(description),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent,
			AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(content)}},
	}
	if g.DeploymentConfig != "" {
		in.DeploymentConfigName = aws.String(g.DeploymentConfig)
	}
	if len(rollbackEvents) > 0 {
		in.AutoRollbackConfiguration = &cdtypes.AutoRollbackConfiguration{Enabled: true, Events: rollbackEvents}
	}
	out, err := cd.API.CreateDeployment(ctx, in)
	if err == nil {
		return aws.ToString(out.DeploymentId), nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "DeploymentLimitExceededException" {
		if id, aerr := cd.Active(ctx, g); aerr == nil && id != "" {
			if info, gerr := cd.Get(ctx, id); gerr == nil && revisionContent(info) == content {
				return id, nil
			}
			return "", fmt.Errorf("create CodeDeploy deployment in %s/%s: deployment %s is in progress; follow it with `doppio wait` or stop it with `doppio rollback`: %w", g.Application, g.DeploymentGroup, id, err)
		}
	}
	return "", fmt.Errorf("create CodeDeploy deployment in %s/%s: %w", g.Application, g.DeploymentGroup, err)
}

func revisionContent(info *cdtypes.DeploymentInfo) string {
	if info == nil || info.Revision == nil || info.Revision.AppSpecContent == nil {
		return ""
	}
	return aws.ToString(info.Revision.AppSpecContent.Content)
}

// taskDefinitionOf reads the task definition a deployment's AppSpec
// deploys ("" when it cannot be read).
func taskDefinitionOf(rev *cdtypes.RevisionLocation) string {
	if rev == nil || rev.AppSpecContent == nil {
		return ""
	}
	var spec struct {
		Resources []map[string]struct {
			Properties struct {
				TaskDefinition string `yaml:"TaskDefinition" json:"TaskDefinition"`
			} `yaml:"Properties" json:"Properties"`
		} `yaml:"Resources" json:"Resources"`
	}
	// YAML is a superset of JSON: one decoder reads both AppSpec forms.
	if err := yaml.Unmarshal([]byte(aws.ToString(rev.AppSpecContent.Content)), &spec); err != nil {
		return ""
	}
	for _, r := range spec.Resources {
		keys := make([]string, 0, len(r))
		for k := range r {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if td := r[k].Properties.TaskDefinition; td != "" {
				return td
			}
		}
	}
	return ""
}
