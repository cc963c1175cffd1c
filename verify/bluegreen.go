package verify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// ECS-native blue/green, linear and canary deployments: what ECS refuses at
// UpdateService (rules), and what it needs at deploy time (checks): the
// alternate target group, the listener rules forwarding to both groups, the
// infrastructure role ECS assumes to move traffic, the hook roles.

const ecsPrincipal = "ecs.amazonaws.com"

func lifecycleStrategy(s *Service) bool {
	dc := s.DeploymentConfiguration
	return dc != nil && dc.Strategy != "" && dc.Strategy != ecstypes.DeploymentStrategyRolling
}

// BlueGreenRules are the static rules of a service's strategy, its
// linear, canary and bake settings, its hooks and its load balancers'
// advancedConfiguration: what CreateService and UpdateService refuse. deploy
// checks them before its first mutating call.
func BlueGreenRules(s *Service) []Finding {
	dc := s.DeploymentConfiguration
	if dc == nil {
		return nil
	}
	var out []Finding
	switch dc.Strategy {
	case "", ecstypes.DeploymentStrategyRolling, ecstypes.DeploymentStrategyBlueGreen, ecstypes.DeploymentStrategyLinear, ecstypes.DeploymentStrategyCanary:
	default:
		out = append(out, ng("deployment-strategy", "deploymentConfiguration.strategy %q is not ROLLING, BLUE_GREEN, LINEAR or CANARY", dc.Strategy))
	}
	out = append(out, rangeRules(dc)...)
	if len(dc.LifecycleHooks) > 0 && !lifecycleStrategy(s) {
		out = append(out, ng("lifecycle-hooks-strategy", "deploymentConfiguration.lifecycleHooks need strategy BLUE_GREEN, LINEAR or CANARY (the service deploys ROLLING)"))
	}
	for i, h := range dc.LifecycleHooks {
		pause := h.TargetType == ecstypes.DeploymentLifecycleHookTargetTypePause
		if !pause && (aws.ToString(h.HookTargetArn) == "" || aws.ToString(h.RoleArn) == "") {
			out = append(out, ng("lifecycle-hook-lambda", "deploymentConfiguration.lifecycleHooks[%d]: an AWS_LAMBDA hook needs hookTargetArn and roleArn", i))
		}
		if len(h.LifecycleStages) == 0 {
			out = append(out, ng("lifecycle-hook-stages", "deploymentConfiguration.lifecycleHooks[%d].lifecycleStages is empty", i))
		}
		for _, st := range h.LifecycleStages {
			if pause && (st == ecstypes.DeploymentLifecycleHookStageTestTrafficShift || st == ecstypes.DeploymentLifecycleHookStageProductionTrafficShift) {
				out = append(out, ng("pause-hook-stage", "deploymentConfiguration.lifecycleHooks[%d]: a PAUSE hook cannot run at %s (only Lambda hooks can); use POST_%s", i, st, st))
			}
		}
	}
	if !lifecycleStrategy(s) {
		return out
	}
	for i, lb := range s.LoadBalancers {
		ac := lb.AdvancedConfiguration
		switch {
		case ac == nil:
			out = append(out, ng("blue-green-load-balancer", "loadBalancers[%d]: strategy %s needs advancedConfiguration (alternateTargetGroupArn, productionListenerRule, roleArn)", i, dc.Strategy))
		case aws.ToString(ac.AlternateTargetGroupArn) == "" || aws.ToString(ac.ProductionListenerRule) == "" || aws.ToString(ac.RoleArn) == "":
			out = append(out, ng("blue-green-load-balancer", "loadBalancers[%d].advancedConfiguration needs alternateTargetGroupArn, productionListenerRule and roleArn", i))
		case aws.ToString(ac.AlternateTargetGroupArn) == aws.ToString(lb.TargetGroupArn):
			out = append(out, ng("blue-green-load-balancer", "loadBalancers[%d]: alternateTargetGroupArn is targetGroupArn; blue and green need two target groups", i))
		}
	}
	return out
}

// rangeRules are the ranges the ECS API reference gives the strategy's
// numbers (DeploymentConfiguration, LinearConfiguration,
// CanaryConfiguration, DeploymentLifecycleHookTimeoutConfiguration).
func rangeRules(dc *ecstypes.DeploymentConfiguration) []Finding {
	var out []Finding
	minutes := func(name string, v *int32, lo, hi int32) {
		if v != nil && (*v < lo || *v > hi) {
			out = append(out, ng("deployment-configuration-range", "deploymentConfiguration.%s must be between %d and %d minutes, got %d", name, lo, hi, *v))
		}
	}
	percent := func(name string, v *float64, lo float64) {
		if v != nil && (*v < lo || *v > 100 || math.Abs(*v*10-math.Round(*v*10)) > 1e-6) {
			out = append(out, ng("deployment-configuration-range", "deploymentConfiguration.%s must be a multiple of 0.1 from %.1f to 100.0, got %v", name, lo, *v))
		}
	}
	minutes("bakeTimeInMinutes", dc.BakeTimeInMinutes, 0, 1440)
	if lc := dc.LinearConfiguration; lc != nil {
		percent("linearConfiguration.stepPercent", lc.StepPercent, 3)
		minutes("linearConfiguration.stepBakeTimeInMinutes", lc.StepBakeTimeInMinutes, 0, 1440)
	}
	if cc := dc.CanaryConfiguration; cc != nil {
		percent("canaryConfiguration.canaryPercent", cc.CanaryPercent, 0.1)
		minutes("canaryConfiguration.canaryBakeTimeInMinutes", cc.CanaryBakeTimeInMinutes, 0, 1440)
	}
	for i, h := range dc.LifecycleHooks {
		if tc := h.TimeoutConfiguration; tc != nil {
			minutes(fmt.Sprintf("lifecycleHooks[%d].timeoutConfiguration.timeoutInMinutes", i), tc.TimeoutInMinutes, 1, 20160)
		}
	}
	return out
}

// blueGreenChecks checks what a lifecycle deployment needs in AWS.
func (r *runner) blueGreenChecks(parent *Check, s *Service) {
	if !lifecycleStrategy(s) {
		return
	}
	for i, lb := range s.LoadBalancers {
		ac := lb.AdvancedConfiguration
		if ac == nil || aws.ToString(ac.AlternateTargetGroupArn) == "" {
			continue // reported by the rules
		}
		primary, alt := aws.ToString(lb.TargetGroupArn), aws.ToString(ac.AlternateTargetGroupArn)
		c := parent.add(&Check{Name: fmt.Sprintf("BlueGreen[%d]", i), group: true})
		tg := c.add(&Check{Name: fmt.Sprintf("AlternateTargetGroup[%s]", alt)})
		r.schedule(tg, "", prioOther, func(ctx context.Context, c *Check) {
			_, err := r.clients.ELBv2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{alt}})
			var nf *elbtypes.TargetGroupNotFoundException
			switch {
			case errors.As(err, &nf) || errorCode(err) == "TargetGroupNotFound":
				c.set(NG, "target group %s does not exist; create it or fix alternateTargetGroupArn", alt)
			case err != nil:
				r.awsError(c, err, "cannot describe target group "+alt)
			default:
				c.set(OK, "exists")
			}
		})
		for _, rule := range []struct{ label, arn string }{{"ProductionListenerRule", aws.ToString(ac.ProductionListenerRule)}, {"TestListenerRule", aws.ToString(ac.TestListenerRule)}} {
			if rule.arn == "" {
				continue
			}
			rc := c.add(&Check{Name: fmt.Sprintf("%s[%s]", rule.label, rule.arn)})
			arn := rule.arn
			r.schedule(rc, "", prioOther, func(ctx context.Context, c *Check) { r.checkListenerRule(ctx, c, arn, primary, alt) })
		}
		r.roleCheckFor(c, "InfrastructureRole", aws.ToString(ac.RoleArn), ecsPrincipal)
	}
	for i, h := range s.DeploymentConfiguration.LifecycleHooks {
		if h.TargetType == ecstypes.DeploymentLifecycleHookTargetTypePause {
			continue
		}
		if fn := aws.ToString(h.HookTargetArn); fn != "" {
			r.hookFunctionCheck(parent, i, fn)
		}
		if aws.ToString(h.RoleArn) != "" {
			r.roleCheckFor(parent, fmt.Sprintf("LifecycleHook[%d]Role", i), aws.ToString(h.RoleArn), ecsPrincipal)
		}
	}
}

// hookFunctionCheck requires a Lambda hook's function to exist: ECS would
// otherwise fail the hook, and roll back, in the middle of the deployment.
func (r *runner) hookFunctionCheck(parent *Check, i int, fn string) {
	c := parent.add(&Check{Name: fmt.Sprintf("LifecycleHook[%d]Function[%s]", i, fn)})
	r.schedule(c, "lambda:"+fn, prioOther, func(ctx context.Context, c *Check) {
		_, err := r.clients.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
		var nf *lambdatypes.ResourceNotFoundException
		switch {
		case errors.As(err, &nf) || errorCode(err) == "ResourceNotFoundException":
			c.set(NG, "function %s does not exist; create it or fix hookTargetArn", fn)
		case err != nil:
			r.awsError(c, err, "cannot get function "+fn)
		default:
			c.set(OK, "exists")
		}
	})
}

func (r *runner) roleCheckFor(parent *Check, label, roleARN, principal string) {
	c := parent.add(&Check{Name: fmt.Sprintf("%s[%s]", label, roleARN)})
	r.schedule(c, "role:"+principal+":"+roleARN, prioOther, func(ctx context.Context, c *Check) {
		r.checkRole(ctx, c, roleARN, principal)
	})
}

// checkListenerRule requires the rule (or, for a Network Load Balancer, the
// listener) to exist and to forward to one of the service's two groups.
func (r *runner) checkListenerRule(ctx context.Context, c *Check, arn, primary, alt string) {
	var actions []elbtypes.Action
	if strings.Contains(arn, ":listener/") {
		out, err := r.clients.ELBv2.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{arn}})
		var nf *elbtypes.ListenerNotFoundException
		if errors.As(err, &nf) || errorCode(err) == "ListenerNotFound" || (err == nil && len(out.Listeners) == 0) {
			c.set(NG, "listener %s does not exist", arn)
			return
		}
		if err != nil {
			r.awsError(c, err, "cannot describe listener "+arn)
			return
		}
		actions = out.Listeners[0].DefaultActions
	} else {
		out, err := r.clients.ELBv2.DescribeRules(ctx, &elbv2.DescribeRulesInput{RuleArns: []string{arn}})
		var nf *elbtypes.RuleNotFoundException
		if errors.As(err, &nf) || errorCode(err) == "RuleNotFound" || (err == nil && len(out.Rules) == 0) {
			c.set(NG, "listener rule %s does not exist", arn)
			return
		}
		if err != nil {
			r.awsError(c, err, "cannot describe listener rule "+arn)
			return
		}
		actions = out.Rules[0].Actions
	}
	for _, a := range actions {
		if a.Type != elbtypes.ActionTypeEnumForward {
			continue
		}
		tgs := []string{aws.ToString(a.TargetGroupArn)}
		if a.ForwardConfig != nil {
			for _, t := range a.ForwardConfig.TargetGroups {
				tgs = append(tgs, aws.ToString(t.TargetGroupArn))
			}
		}
		for _, t := range tgs {
			if t == primary || t == alt {
				c.set(OK, "forwards to the service's target groups")
				return
			}
		}
	}
	c.set(NG, "%s does not forward to %s or %s: ECS shifts traffic by changing its forward weights", arn, primary, alt)
}
