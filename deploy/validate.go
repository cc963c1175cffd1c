package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/render"
	"github.com/doppio-ecs/doppio/verify"
)

// validatePlan rejects, before the first mutating call, what ECS would
// refuse only after doppio registered a revision or changed the service:
// a negative desired count, load balancers whose container or port the
// task definition to deploy lacks, a maximumPercent below
// minimumHealthyPercent. Bad input makes no change in AWS.
func (d *Deployer) validatePlan(ctx context.Context, spec *Spec, p *Plan) error {
	file := spec.ServiceDefinitionFile
	if file == "" {
		file = "the service definition"
	}
	if p.DesiredCount != nil && *p.DesiredCount < 0 {
		return fmt.Errorf("%s: desiredCount must be 0 or more, got %d", file, *p.DesiredCount)
	}
	sd := spec.ServiceDefinition
	if err := validateDeploymentConfiguration(file, sd, p); err != nil {
		return err
	}
	if err := validateStrategy(file, sd, p.live); err != nil {
		return err
	}
	lbs, from := []ecstypes.LoadBalancer(nil), file
	switch {
	case sd != nil && sd.LoadBalancers != nil:
		lbs = sd.LoadBalancers
	case p.live != nil:
		lbs, from = p.live.LoadBalancers, "the service's current loadBalancers"
	}
	if len(lbs) == 0 {
		return nil
	}
	td, name, err := d.taskDefinitionToDeploy(ctx, spec, p)
	if err != nil || td == nil {
		return err
	}
	for i, lb := range lbs {
		if _, err := verify.LoadBalancerTarget(td, lb); err != nil {
			return fmt.Errorf("%s: loadBalancers[%d]: %v (task definition %s)", from, i, err, name)
		}
	}
	return nil
}

// validateDeploymentConfiguration checks the percentages the service will
// have: the file's over the live service's over ECS's defaults (100/200 for
// REPLICA). DAEMON services have their own rules, which ECS reports.
func validateDeploymentConfiguration(file string, sd *render.ServiceDefinition, p *Plan) error {
	if p.Daemon || sd == nil || sd.DeploymentConfiguration == nil {
		return nil
	}
	minPct, maxPct := int32(100), int32(200)
	if p.live != nil && p.live.DeploymentConfiguration != nil {
		if v := p.live.DeploymentConfiguration.MinimumHealthyPercent; v != nil {
			minPct = *v
		}
		if v := p.live.DeploymentConfiguration.MaximumPercent; v != nil {
			maxPct = *v
		}
	}
	dc := sd.DeploymentConfiguration
	if v := dc.MinimumHealthyPercent; v != nil {
		if *v < 0 || *v > 100 {
			return fmt.Errorf("%s: deploymentConfiguration.minimumHealthyPercent must be between 0 and 100, got %d", file, *v)
		}
		minPct = *v
	}
	if v := dc.MaximumPercent; v != nil {
		if *v < 0 {
			return fmt.Errorf("%s: deploymentConfiguration.maximumPercent must be 0 or more, got %d", file, *v)
		}
		maxPct = *v
	}
	if maxPct < minPct {
		return fmt.Errorf("%s: deploymentConfiguration.maximumPercent (%d) must not be below minimumHealthyPercent (%d): ECS could neither start nor stop a task", file, maxPct, minPct)
	}
	return nil
}

// validateStrategy checks the deployment strategy the service will have
// (the file's deploymentConfiguration merged over the live one, as
// UpdateService merges it) with verify's blue/green rules: an unknown
// strategy, bake times and step or canary percentages out of range, hooks
// ECS refuses, load balancers without the advancedConfiguration BLUE_GREEN,
// LINEAR and CANARY need. ECS would refuse them only at UpdateService, after
// the revision was registered.
func validateStrategy(file string, sd *render.ServiceDefinition, live *ecstypes.Service) error {
	if sd == nil || sd.DeploymentConfiguration == nil && sd.LoadBalancers == nil {
		return nil
	}
	var dc ecstypes.DeploymentConfiguration
	if live != nil && live.DeploymentConfiguration != nil {
		dc = *live.DeploymentConfiguration
	}
	if f := sd.DeploymentConfiguration; f != nil {
		if f.Strategy != "" {
			dc.Strategy = f.Strategy
		}
		if f.BakeTimeInMinutes != nil {
			dc.BakeTimeInMinutes = f.BakeTimeInMinutes
		}
		if f.LinearConfiguration != nil {
			dc.LinearConfiguration = f.LinearConfiguration
		}
		if f.CanaryConfiguration != nil {
			dc.CanaryConfiguration = f.CanaryConfiguration
		}
		if f.LifecycleHooks != nil {
			dc.LifecycleHooks = f.LifecycleHooks
		}
	}
	lbs := sd.LoadBalancers
	if lbs == nil && live != nil {
		lbs = live.LoadBalancers
	}
	for _, f := range verify.BlueGreenRules(&verify.Service{DeploymentConfiguration: &dc, LoadBalancers: lbs}) {
		if f.Status == verify.NG {
			return fmt.Errorf("%s: %s", file, f.Message)
		}
	}
	return nil
}

// validateWaitUntil refuses --wait-until ecs:<STAGE> or paused for a
// service that will deploy ROLLING: no service deployment of it walks
// lifecycle stages or has PAUSE hooks, so the wait could only end in error
// after the update. The strategy is the file's, over the live service's, over
// ECS's default (ROLLING).
func validateWaitUntil(spec *Spec, p *Plan, until WaitUntil) error {
	if !until.needsLifecycle() {
		return nil
	}
	strategy, from := ecstypes.DeploymentStrategyRolling, "ECS's default"
	if p.live != nil && p.live.DeploymentConfiguration != nil && p.live.DeploymentConfiguration.Strategy != "" {
		strategy, from = p.live.DeploymentConfiguration.Strategy, "service "+spec.Service
	}
	if sd := spec.ServiceDefinition; sd != nil && sd.DeploymentConfiguration != nil && sd.DeploymentConfiguration.Strategy != "" {
		strategy, from = sd.DeploymentConfiguration.Strategy, spec.ServiceDefinitionFile
		if from == "" {
			from = "the service definition"
		}
	}
	if strategy != ecstypes.DeploymentStrategyRolling {
		return nil
	}
	return fmt.Errorf("--wait-until %s needs a BLUE_GREEN, LINEAR or CANARY deployment strategy, but the service deploys ROLLING (deploymentConfiguration.strategy from %s); "+
		"use --wait-until deployed or stable, or set deploymentConfiguration.strategy", until, from)
}

// taskDefinitionToDeploy returns the container definitions the plan deploys:
// the rendered file, or the chosen revision (read-only DescribeTaskDefinition).
func (d *Deployer) taskDefinitionToDeploy(ctx context.Context, spec *Spec, p *Plan) (*ecs.RegisterTaskDefinitionInput, string, error) {
	if p.taskDefInput != nil && (p.TaskDefinitionAction == TDRegister || p.TaskDefinitionAction == TDReuse) {
		name := spec.TaskDefinitionFile
		if name == "" {
			name = "of family " + aws.ToString(p.taskDefInput.Family)
		}
		return p.taskDefInput, name, nil
	}
	if p.TaskDefinitionARN == "" {
		return nil, "", nil
	}
	if td := p.selected; td != nil && aws.ToString(td.TaskDefinitionArn) == p.TaskDefinitionARN {
		return &ecs.RegisterTaskDefinitionInput{ContainerDefinitions: td.ContainerDefinitions}, shortTD(p.TaskDefinitionARN), nil
	}
	out, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(p.TaskDefinitionARN)})
	if err != nil {
		return nil, "", fmt.Errorf("describe task definition %s: %w", shortTD(p.TaskDefinitionARN), err)
	}
	return &ecs.RegisterTaskDefinitionInput{ContainerDefinitions: out.TaskDefinition.ContainerDefinitions}, shortTD(p.TaskDefinitionARN), nil
}

// CheckRunContainers checks, before anything is registered or run, that
// every container named in overrides (and the watched container) is in the
// task definition: ECS refuses a RunTask naming another, after doppio
// registered a revision for it.
func CheckRunContainers(cs []ecstypes.ContainerDefinition, overrides *ecstypes.TaskOverride, watch, tdName string) error {
	has := func(name string) bool {
		for _, c := range cs {
			if aws.ToString(c.Name) == name {
				return true
			}
		}
		return false
	}
	if overrides != nil {
		for i, co := range overrides.ContainerOverrides {
			if name := aws.ToString(co.Name); !has(name) {
				return fmt.Errorf("overrides: containerOverrides[%d].name %q: task definition %s has no such container (containers: %s)", i, name, tdName, containerNames(cs))
			}
		}
	}
	if watch != "" && !has(watch) {
		return fmt.Errorf("--watch-container %s: task definition %s has no such container (containers: %s)", watch, tdName, containerNames(cs))
	}
	return nil
}

// containerNames lists the container names of a task definition.
func containerNames(cs []ecstypes.ContainerDefinition) string {
	names := make([]string, 0, len(cs))
	for _, c := range cs {
		names = append(names, aws.ToString(c.Name))
	}
	return strings.Join(names, ", ")
}
