package verify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/doppio-ecs/doppio/internal/cdgroup"
)

// CodeDeploy blue/green (deploymentController CODE_DEPLOY): the deploy hands
// the rollout to a CodeDeploy deployment group, so verify checks what that
// deployment will need: the ECS application, the group deploying this very
// service and cluster, the group's two target groups, the deployment config
// and the appspec hooks' Lambda functions.

// CodeDeploy is what the config says about a CODE_DEPLOY service.
type CodeDeploy struct {
	// ApplicationName and DeploymentGroupName skip the discovery (both or
	// neither, as ecspresso reads them).
	ApplicationName, DeploymentGroupName string
	// DeploymentConfigName overrides the group's configuration when set.
	DeploymentConfigName string
	// Hooks are the appspec hooks: lifecycle event and Lambda function.
	Hooks []AppSpecHook
}

// AppSpecHook is one entry of the config's appspec.Hooks.
type AppSpecHook struct {
	Event, Function string
}

// appSpecHookEvents are the lifecycle events of an ECS deployment that run
// a hook.
var appSpecHookEvents = []string{"BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"}

func codeDeployService(s *Service) bool {
	return s != nil && s.DeploymentController != nil && s.DeploymentController.Type == ecstypes.DeploymentControllerTypeCodeDeploy
}

// codeDeployRules are the static rules of a CODE_DEPLOY service.
func codeDeployRules(in Input) []Finding {
	if !codeDeployService(in.Service) {
		return nil
	}
	s := in.Service
	var out []Finding
	if dc := s.DeploymentConfiguration; dc != nil {
		if dc.DeploymentCircuitBreaker != nil && dc.DeploymentCircuitBreaker.Enable {
			out = append(out, ng("codedeploy-circuit-breaker", "deploymentConfiguration.deploymentCircuitBreaker works with the ECS deployment controller only; CodeDeploy rolls back by the deployment group's autoRollbackConfiguration: remove it"))
		}
		if dc.Strategy != "" && dc.Strategy != ecstypes.DeploymentStrategyRolling {
			out = append(out, ng("codedeploy-strategy", "deploymentConfiguration.strategy %s is ECS's own blue/green and needs the ECS deployment controller; with CODE_DEPLOY the deployment group's config decides (remove strategy)", dc.Strategy))
		}
	}
	if len(s.VolumeConfigurations) > 0 {
		out = append(out, ng("codedeploy-volume-configurations", "volumeConfigurations (EBS volumes attached at launch) are not supported with the CODE_DEPLOY deployment controller"))
	}
	if s.ServiceConnectConfiguration != nil && s.ServiceConnectConfiguration.Enabled {
		out = append(out, ng("codedeploy-service-connect", "Service Connect is not supported with the CODE_DEPLOY deployment controller; remove serviceConnectConfiguration or deploy with the ECS controller"))
	}
	if len(in.Service.LoadBalancers) == 0 {
		out = append(out, ng("codedeploy-load-balancer", "a CODE_DEPLOY service needs loadBalancers: CodeDeploy shifts traffic between the deployment group's two target groups, and the AppSpec names the first load balancer's container and port"))
	}
	if in.CodeDeploy != nil && (in.CodeDeploy.ApplicationName == "") != (in.CodeDeploy.DeploymentGroupName == "") {
		out = append(out, ng("codedeploy-names", "codedeploy.application_name and codedeploy.deployment_group_name go together: set both, or neither to find the group by its ECS service"))
	}
	if in.CodeDeploy != nil {
		for _, h := range in.CodeDeploy.Hooks {
			if !slices.Contains(appSpecHookEvents, h.Event) {
				out = append(out, ng("appspec-hook-event", "appspec.Hooks: %q is not a lifecycle event of an ECS deployment that runs a hook (%s)", h.Event, strings.Join(appSpecHookEvents, ", ")))
			}
		}
	}
	return out
}

// codeDeployChecks lays out the CodeDeploy checks of a CODE_DEPLOY service.
func (r *runner) codeDeployChecks(parent *Check) {
	if !codeDeployService(r.in.Service) {
		return
	}
	cfg := r.in.CodeDeploy
	if cfg == nil {
		cfg = &CodeDeploy{}
	}
	node := parent.add(&Check{Name: "CodeDeploy", group: true})
	app := node.add(&Check{Name: "Application"})
	dg := node.add(&Check{Name: "DeploymentGroup"})
	if cfg.ApplicationName != "" {
		app.Name = fmt.Sprintf("Application[%s]", cfg.ApplicationName)
	}
	if cfg.DeploymentGroupName != "" {
		dg.Name = fmt.Sprintf("DeploymentGroup[%s]", cfg.DeploymentGroupName)
	}
	var dc *Check
	if cfg.DeploymentConfigName != "" {
		dc = node.add(&Check{Name: fmt.Sprintf("DeploymentConfig[%s]", cfg.DeploymentConfigName)})
		name := cfg.DeploymentConfigName
		r.schedule(dc, "", prioOther, func(ctx context.Context, c *Check) { r.checkDeploymentConfig(ctx, c, name) })
	}
	r.tasks = append(r.tasks, task{prio: prioOther, nodes: []*Check{app, dg}, run: func(ctx context.Context) {
		r.checkDeploymentGroup(ctx, cfg, app, dg)
	}})
	for _, h := range cfg.Hooks {
		if h.Function == "" || !slices.Contains(appSpecHookEvents, h.Event) {
			continue // reported by the rules
		}
		c := node.add(&Check{Name: fmt.Sprintf("Hook[%s]Function[%s]", h.Event, h.Function)})
		fn := h.Function
		r.schedule(c, "lambda:"+fn, prioOther, func(ctx context.Context, c *Check) {
			_, err := r.clients.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
			var nf *lambdatypes.ResourceNotFoundException
			switch {
			case errors.As(err, &nf) || errorCode(err) == "ResourceNotFoundException":
				c.set(NG, "function %s does not exist; create it or fix appspec.Hooks (CodeDeploy would fail the %s event and roll back)", fn, h.Event)
			case err != nil:
				r.awsError(c, err, "cannot get function "+fn+" (needs lambda:GetFunction)")
			default:
				c.set(OK, "exists")
			}
		})
	}
}

// checkDeploymentGroup finds the application and group (by name, or as
// ecspresso does: the ECS application whose group deploys this service)
// and checks the group's service, style and target groups.
func (r *runner) checkDeploymentGroup(ctx context.Context, cfg *CodeDeploy, app, dg *Check) {
	cluster, service := r.in.Cluster, r.in.Service.Name
	var group *cdtypes.DeploymentGroupInfo
	if cfg.ApplicationName != "" && cfg.DeploymentGroupName != "" {
		a, err := r.clients.CodeDeploy.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String(cfg.ApplicationName)})
		var nf *cdtypes.ApplicationDoesNotExistException
		switch {
		case errors.As(err, &nf):
			app.set(NG, "CodeDeploy application %s does not exist in %s; create it (compute platform ECS) or fix codedeploy.application_name", cfg.ApplicationName, r.clients.Region())
			dg.set(SKIP, "no application")
			return
		case err != nil:
			r.awsError(app, err, "cannot get application "+cfg.ApplicationName+" (needs codedeploy:GetApplication)")
			dg.set(SKIP, "application not readable")
			return
		case a.Application.ComputePlatform != cdtypes.ComputePlatformEcs:
			app.set(NG, "CodeDeploy application %s is for compute platform %s, not ECS", cfg.ApplicationName, a.Application.ComputePlatform)
			dg.set(SKIP, "not an ECS application")
			return
		}
		app.set(OK, "exists (compute platform ECS)")
		g, err := r.clients.CodeDeploy.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{
			ApplicationName: aws.String(cfg.ApplicationName), DeploymentGroupName: aws.String(cfg.DeploymentGroupName)})
		var gnf *cdtypes.DeploymentGroupDoesNotExistException
		switch {
		case errors.As(err, &gnf):
			dg.set(NG, "deployment group %s does not exist in application %s; create it for service %s in cluster %s or fix codedeploy.deployment_group_name", cfg.DeploymentGroupName, cfg.ApplicationName, service, cluster)
			return
		case err != nil:
			r.awsError(dg, err, "cannot get deployment group "+cfg.DeploymentGroupName+" (needs codedeploy:GetDeploymentGroup)")
			return
		}
		group = g.DeploymentGroupInfo
	} else {
		var err error
		var appName string
		appName, group, err = cdgroup.Find(ctx, r.clients.CodeDeploy, cdgroup.Scope{}, cluster, service)
		switch {
		case err != nil:
			r.awsError(app, err, "cannot find the deployment group of the service (needs codedeploy:ListApplications, BatchGetApplications, ListDeploymentGroups, BatchGetDeploymentGroups)")
			dg.set(SKIP, "not found")
			return
		case group == nil:
			app.set(NG, "no CodeDeploy application of compute platform ECS has a deployment group for service %s in cluster %s; create one, or name it with codedeploy.application_name and codedeploy.deployment_group_name", service, cluster)
			dg.set(SKIP, "not found")
			return
		}
		app.Name = fmt.Sprintf("Application[%s]", appName)
		app.set(OK, "exists (compute platform ECS; found by its deployment group)")
		dg.Name = fmt.Sprintf("DeploymentGroup[%s]", aws.ToString(group.DeploymentGroupName))
	}
	r.checkGroup(ctx, dg, group, cluster, service)
}

// checkGroup checks a found group: it deploys this service, blue/green with
// traffic control, and its target groups exist.
func (r *runner) checkGroup(ctx context.Context, dg *Check, g *cdtypes.DeploymentGroupInfo, cluster, service string) {
	if !cdgroup.Deploys(g, cluster, service) {
		var have []string
		for _, s := range g.EcsServices {
			have = append(have, aws.ToString(s.ClusterName)+"/"+aws.ToString(s.ServiceName))
		}
		dg.set(NG, "deployment group %s deploys %s, not service %s in cluster %s; fix codedeploy.deployment_group_name or the group's ecsServices",
			aws.ToString(g.DeploymentGroupName), orNone(have), service, cluster)
		return
	}
	if st := g.DeploymentStyle; st == nil || st.DeploymentType != cdtypes.DeploymentTypeBlueGreen || st.DeploymentOption != cdtypes.DeploymentOptionWithTrafficControl {
		dg.set(NG, "deployment group %s must be BLUE_GREEN WITH_TRAFFIC_CONTROL for an ECS service", aws.ToString(g.DeploymentGroupName))
		return
	}
	var names []string
	if lb := g.LoadBalancerInfo; lb != nil {
		for _, p := range lb.TargetGroupPairInfoList {
			for _, tg := range p.TargetGroups {
				names = append(names, aws.ToString(tg.Name))
			}
		}
	}
	if len(names) == 0 {
		dg.set(NG, "deployment group %s has no loadBalancerInfo.targetGroupPairInfoList target groups", aws.ToString(g.DeploymentGroupName))
		return
	}
	dg.set(OK, "deploys service %s in cluster %s (config %s)", service, cluster, aws.ToString(g.DeploymentConfigName))
	for _, name := range names {
		c := dg.add(&Check{Name: fmt.Sprintf("TargetGroup[%s]", name)})
		_, err := r.clients.ELBv2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{name}})
		var nf *elbtypes.TargetGroupNotFoundException
		switch {
		case errors.As(err, &nf) || errorCode(err) == "TargetGroupNotFound":
			c.set(NG, "target group %s of deployment group %s does not exist in %s", name, aws.ToString(g.DeploymentGroupName), r.clients.Region())
		case err != nil:
			r.awsError(c, err, "cannot describe target group "+name+" (needs elasticloadbalancing:DescribeTargetGroups)")
		default:
			c.set(OK, "exists")
		}
	}
}

func (r *runner) checkDeploymentConfig(ctx context.Context, c *Check, name string) {
	_, err := r.clients.CodeDeploy.GetDeploymentConfig(ctx, &codedeploy.GetDeploymentConfigInput{DeploymentConfigName: aws.String(name)})
	var nf *cdtypes.DeploymentConfigDoesNotExistException
	switch {
	case errors.As(err, &nf):
		c.set(NG, "deployment config %s does not exist; create it (compute platform ECS) or fix codedeploy.deployment_config_name", name)
	case err != nil:
		r.awsError(c, err, "cannot get deployment config "+name+" (needs codedeploy:GetDeploymentConfig)")
	default:
		c.set(OK, "exists")
	}
}
