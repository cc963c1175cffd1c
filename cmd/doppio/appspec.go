package main

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/goccy/go-yaml"

	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/render"
)

// AppSpecCmd prints a CodeDeploy AppSpec for the service, as ecspresso's
// appspec does. It makes no mutating AWS call.
type AppSpecCmd struct {
	TaskDefinition string `name:"task-definition" help:"Task definition of the AppSpec: latest (the family's newest ACTIVE revision), current (what the service runs) or an ARN." default:"latest" placeholder:"latest|current|ARN"`
	UpdateService  bool   `help:"Take load balancer, network and capacity providers from the local service definition (--no-update-service: from the live service)." negatable:"" default:"true"`
}

// Run prints the AppSpec YAML on stdout.
func (c *AppSpecCmd) Run(g *Globals) error {
	p, err := g.LoadProject()
	if err != nil {
		return err
	}
	ctx, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	defer cancel()
	svc, err := deploy.FindService(ctx, p.Clients.ECS, p.Config.Cluster, p.Config.Service)
	if err != nil {
		return timeoutError(ctx, err)
	}
	var td string
	switch c.TaskDefinition {
	case "current":
		td = aws.ToString(svc.TaskDefinition)
	case "latest":
		family := aws.ToString(svc.TaskDefinition)
		family = family[strings.LastIndex(family, "/")+1:]
		family, _, _ = strings.Cut(family, ":")
		out, err := p.Clients.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(family)})
		if err != nil {
			return timeoutError(ctx, fmt.Errorf("describe the newest revision of %s: %w", family, err))
		}
		td = aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	default:
		if !strings.HasPrefix(c.TaskDefinition, "arn:aws:ecs:") || !strings.Contains(c.TaskDefinition, ":task-definition/") {
			return fmt.Errorf("--task-definition %q: use latest, current or a task definition ARN", c.TaskDefinition)
		}
		td = c.TaskDefinition
	}
	src := deploy.AppSpecService{
		LoadBalancers: svc.LoadBalancers, NetworkConfiguration: svc.NetworkConfiguration,
		PlatformVersion: svc.PlatformVersion, CapacityProviderStrategy: svc.CapacityProviderStrategy,
	}
	if c.UpdateService {
		sd, err := p.ServiceDefinition(ctx)
		if err != nil {
			return err
		}
		if sd == nil {
			return fmt.Errorf("appspec: the config has no service_definition (use --no-update-service to read the live service)")
		}
		src = deploy.AppSpecService{
			LoadBalancers: sd.LoadBalancers, NetworkConfiguration: sd.NetworkConfiguration,
			PlatformVersion: sd.PlatformVersion, CapacityProviderStrategy: sd.CapacityProviderStrategy,
		}
	}
	hooks, err := appSpecHooks(p.Config)
	if err != nil {
		return err
	}
	spec, err := deploy.NewAppSpec(src, td, hooks)
	if err != nil {
		return err
	}
	out, err := yaml.Marshal(spec)
	if err != nil {
		return fmt.Errorf("appspec: %w", err)
	}
	_, err = g.Stdout.Write(out)
	return err
}

// appSpecHooks are the config's appspec.Hooks: a list of maps from a
// lifecycle event (BeforeInstall, AfterAllowTraffic, ...) to a Lambda name.
func appSpecHooks(cfg *render.Config) ([]map[string]any, error) {
	var raw any
	for k, v := range cfg.AppSpec {
		if strings.EqualFold(k, "hooks") {
			raw = v
		}
	}
	if raw == nil {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: appspec.Hooks: expected a list of {LifecycleEvent: LambdaFunction} maps", relToWD(cfg.Path()))
	}
	hooks := make([]map[string]any, 0, len(list))
	for i, h := range list {
		m, ok := h.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: appspec.Hooks[%d]: expected a map like {BeforeInstall: my-lambda}", relToWD(cfg.Path()), i)
		}
		hooks = append(hooks, m)
	}
	return hooks, nil
}
