package deploy

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// A service under the CODE_DEPLOY controller changes in two ways: the
// attributes ECS lets UpdateService change (desired count, health check
// grace period, placement, tags propagation, ...) go through UpdateService
// as for any service; the task definition and what the replacement task
// set takes from the AppSpec (the load balancer's container, network,
// platform version, capacity providers) go through a CodeDeploy
// deployment. What neither can change is refused before any mutating call.

// appSpecCarried are the service attributes a CodeDeploy deployment
// carries in its AppSpec; ECS refuses them in UpdateService.
var appSpecCarried = map[string]bool{
	"networkConfiguration":     true,
	"platformVersion":          true,
	"capacityProviderStrategy": true,
	"loadBalancers":            true,
}

// codeDeployRefused are attributes ECS refuses in UpdateService for a
// CODE_DEPLOY service and that no AppSpec carries, with what to do instead.
var codeDeployRefused = map[string]string{
	"serviceRegistries":           "ECS cannot change the service registries of a CODE_DEPLOY service and the AppSpec has no place for them: recreate the service with them, or remove serviceRegistries from the service definition to leave them as they are",
	"serviceConnectConfiguration": "Service Connect is not available to services under the CODE_DEPLOY controller: remove serviceConnectConfiguration from the service definition, or move the service to the ECS controller (ECS-native blue/green)",
	"volumeConfigurations":        "ECS cannot change the volume configurations of a CODE_DEPLOY service: recreate the service with them, or remove volumeConfigurations from the service definition to leave them as they are",
	"vpcLatticeConfigurations":    "ECS cannot change the VPC Lattice configurations of a CODE_DEPLOY service: remove vpcLatticeConfigurations from the service definition, or move the service to the ECS controller",
}

// planCodeDeploy adapts an update plan to a CODE_DEPLOY service: it moves
// the AppSpec's attributes out of the UpdateService input, refuses what
// cannot change, finds the deployment group and checks that an AppSpec can
// be built. It makes no mutating call.
func (d *Deployer) planCodeDeploy(ctx context.Context, spec *Spec, opts Options, p *Plan) error {
	file := spec.ServiceDefinitionFile
	if file == "" {
		file = "the service definition"
	}
	var refused, kept []string
	for _, a := range p.Attributes {
		switch {
		case appSpecCarried[a]:
			p.AppSpecAttributes = append(p.AppSpecAttributes, a)
			if p.update != nil {
				_ = setMember(p.update, a, nil)
			}
		case codeDeployRefused[a] != "":
			refused = append(refused, fmt.Sprintf("%s: %s", a, codeDeployRefused[a]))
		default:
			kept = append(kept, a)
		}
	}
	if up := p.update; up != nil && up.DeploymentConfiguration != nil {
		switch up.DeploymentConfiguration.Strategy {
		case "", ecstypes.DeploymentStrategyRolling:
			// ECS refuses any strategy in UpdateService for a CODE_DEPLOY
			// service; ROLLING is what it has, so leaving it out changes nothing.
			up.DeploymentConfiguration.Strategy = ""
		default:
			refused = append(refused, fmt.Sprintf("deploymentConfiguration.strategy %s: a CODE_DEPLOY service shifts traffic as its deployment group's deployment config says (codedeploy.deployment_config_name in the config, e.g. CodeDeployDefault.ECSCanary10Percent5Minutes); ECS-native %s needs the ECS deployment controller",
				up.DeploymentConfiguration.Strategy, up.DeploymentConfiguration.Strategy))
		}
	}
	if spec.ServiceDefinition != nil && len(spec.ServiceDefinition.LoadBalancers) > 1 && slices.Contains(p.AppSpecAttributes, "loadBalancers") {
		refused = append(refused, "loadBalancers: CodeDeploy routes the traffic of one load balancer (its deployment group's target group pair); the AppSpec names the first one's container only, so keep one entry")
	}
	if len(refused) > 0 {
		sort.Strings(refused)
		return fmt.Errorf("%s: service %s uses the CODE_DEPLOY deployment controller, which cannot apply these changes (nothing was changed):\n  - %s", file, spec.Service, strings.Join(refused, "\n  - "))
	}
	p.Attributes = kept
	if p.ForceNewDeployment && p.update != nil {
		p.update.ForceNewDeployment = false
	}
	if !p.needsCodeDeployment() {
		return nil // desired count or attributes only (scale): UpdateService alone
	}
	if d.CodeDeploy == nil || d.CodeDeploy.API == nil {
		return fmt.Errorf("service %s uses the CODE_DEPLOY deployment controller, but no CodeDeploy client is configured", spec.Service)
	}
	g, err := d.CodeDeploy.Group(ctx, spec.Cluster, spec.Service)
	if err != nil {
		return err
	}
	p.CodeDeployGroup = g
	src := AppSpecService{LoadBalancers: p.live.LoadBalancers, NetworkConfiguration: p.live.NetworkConfiguration,
		PlatformVersion: p.live.PlatformVersion, CapacityProviderStrategy: p.live.CapacityProviderStrategy}
	if sd := spec.ServiceDefinition; sd != nil && p.UpdateService {
		// The file's value where it sets one; the live one elsewhere.
		if sd.Sets("loadBalancers") {
			src.LoadBalancers = sd.LoadBalancers
		}
		if sd.Sets("networkConfiguration") {
			src.NetworkConfiguration = sd.NetworkConfiguration
		}
		if sd.Sets("platformVersion") {
			src.PlatformVersion = sd.PlatformVersion
		}
		if sd.Sets("capacityProviderStrategy") {
			src.CapacityProviderStrategy = sd.CapacityProviderStrategy
		}
	}
	if _, err := d.CodeDeploy.appSpecContent(src, "validation"); err != nil {
		return fmt.Errorf("%s: service %s: %w", file, spec.Service, err)
	}
	p.appSpecSource = src
	p.rollbackEvents = opts.RollbackEvents
	id, err := d.CodeDeploy.Active(ctx, g)
	if err != nil {
		return err
	}
	if id != "" {
		p.CodeDeployInProgress = id
		if p.InProgress == nil {
			p.InProgress = &DeploymentState{ID: id, TaskDefinition: shortTD(p.CurrentTaskDefinition)}
		} else {
			p.InProgress.ID = id
		}
	}
	return nil
}

// needsCodeDeployment tells whether applying the plan creates a CodeDeploy
// deployment: a task definition or an AppSpec attribute changes, or one
// was forced.
func (p *Plan) needsCodeDeployment() bool {
	return p.CodeDeploy && (p.TaskDefinitionAction == TDRegister || p.ForceNewDeployment ||
		!sameTaskDefinition(p.TaskDefinitionARN, p.CurrentTaskDefinition) || len(p.AppSpecAttributes) > 0)
}

// applyCodeDeploy updates what UpdateService may change on a CODE_DEPLOY
// service, then starts the CodeDeploy deployment of a.TaskDefinitionARN.
func (d *Deployer) applyCodeDeploy(ctx context.Context, spec *Spec, plan *Plan, a *Applied) (*ecstypes.Service, error) {
	svc := plan.live
	if len(plan.Attributes) > 0 || (plan.DesiredCount != nil && *plan.DesiredCount != plan.CurrentCount) {
		in := plan.update
		if in == nil {
			in = newUpdateInput()
		}
		in.Cluster, in.Service = aws.String(spec.Cluster), aws.String(spec.Service)
		in.TaskDefinition, in.ForceNewDeployment = nil, false
		in.DesiredCount = plan.DesiredCount
		updated, err := d.updateService(ctx, in, plan.live)
		if err != nil {
			return nil, fmt.Errorf("update service %s in cluster %s: %w", spec.Service, spec.Cluster, err)
		}
		svc = updated
		a.ServiceChanged = true
		what := []string{}
		if plan.DesiredCount != nil && *plan.DesiredCount != plan.CurrentCount {
			what = append(what, fmt.Sprintf("desired count %d", *plan.DesiredCount))
		}
		what = append(what, plan.Attributes...)
		a.Done = append(a.Done, fmt.Sprintf("updated service %s: %s", spec.Service, strings.Join(what, ", ")))
		d.info("updated service %s: %s", spec.Service, strings.Join(what, ", "))
	}
	if !plan.needsCodeDeployment() {
		return svc, nil
	}
	content, err := d.CodeDeploy.appSpecContent(plan.appSpecSource, a.TaskDefinitionARN)
	if err != nil {
		return svc, err
	}
	g := plan.CodeDeployGroup
	id, err := d.CodeDeploy.create(ctx, g, content, plan.rollbackEvents, "doppio deploy of "+shortTD(a.TaskDefinitionARN))
	if err != nil {
		return svc, err
	}
	a.CodeDeployID = id
	a.ServiceChanged = true
	a.Done = append(a.Done, fmt.Sprintf("CodeDeploy deployment %s of %s started", id, shortTD(a.TaskDefinitionARN)))
	d.info("created CodeDeploy deployment %s of %s (application %s, deployment group %s, config %s): %s",
		id, shortTD(a.TaskDefinitionARN), g.Application, g.DeploymentGroup, g.DeploymentConfig, d.CodeDeploy.ConsoleURL(id))
	return svc, nil
}

// codeDeployLines are the CodeDeploy part of a plan.
func (p *Plan) codeDeployLines() []string {
	if !p.CodeDeploy || p.CodeDeployGroup == nil {
		return nil
	}
	g := p.CodeDeployGroup
	l := []string{fmt.Sprintf("  CodeDeploy: application %s, deployment group %s, deployment config %s", g.Application, g.DeploymentGroup, g.DeploymentConfig)}
	if p.needsCodeDeployment() {
		td := shortTD(p.TaskDefinitionARN)
		if p.TaskDefinitionAction == TDRegister {
			td = "the new revision"
		}
		line := "  create a CodeDeploy deployment of " + td
		if len(p.AppSpecAttributes) > 0 {
			line += " (AppSpec changes: " + strings.Join(p.AppSpecAttributes, ", ") + ")"
		}
		l = append(l, line)
	}
	return l
}
