package deploy

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/goccy/go-yaml"
)

// AppSpec is a CodeDeploy AppSpec for an ECS service, in the shape
// ecspresso's `appspec` prints (and CodeDeploy reads): version 0.0, one
// TargetService resource, the config's hooks.
type AppSpec struct {
	Version   string            `yaml:"version"`
	Resources []AppSpecResource `yaml:"Resources,omitempty"`
	Hooks     []AppSpecHook     `yaml:"Hooks,omitempty"`
}

// AppSpecHook is one entry of Hooks: lifecycle event → Lambda function.
type AppSpecHook map[string]any

// AppSpecHookEvents are the lifecycle events of an ECS deployment that run a
// hook, in the order ecspresso writes an entry's keys.
var AppSpecHookEvents = []string{"BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"}

// MarshalYAML writes the entry as ecspresso does: the hook events in
// lifecycle order, other keys and empty functions left out (CodeDeploy
// would refuse them; verify reports them).
func (h AppSpecHook) MarshalYAML() (any, error) {
	var out yaml.MapSlice
	for _, ev := range AppSpecHookEvents {
		if fn, ok := h[ev].(string); ok && fn != "" {
			out = append(out, yaml.MapItem{Key: ev, Value: fn})
		}
	}
	return out, nil
}

// AppSpecResource is one resource of an AppSpec.
type AppSpecResource struct {
	TargetService AppSpecTarget `yaml:"TargetService"`
}

// AppSpecTarget is the ECS service CodeDeploy deploys.
type AppSpecTarget struct {
	Type       string            `yaml:"Type"`
	Properties AppSpecProperties `yaml:"Properties"`
}

// AppSpecProperties are the service attributes CodeDeploy takes.
type AppSpecProperties struct {
	TaskDefinition           string                    `yaml:"TaskDefinition"`
	LoadBalancerInfo         AppSpecLoadBalancer       `yaml:"LoadBalancerInfo"`
	PlatformVersion          string                    `yaml:"PlatformVersion,omitempty"`
	NetworkConfiguration     *AppSpecNetwork           `yaml:"NetworkConfiguration,omitempty"`
	CapacityProviderStrategy []AppSpecCapacityProvider `yaml:"CapacityProviderStrategy,omitempty"`
}

// AppSpecLoadBalancer is the container CodeDeploy routes traffic to.
// Both keys are always written (null when the service leaves them out), as
// ecspresso writes them.
type AppSpecLoadBalancer struct {
	ContainerName *string `yaml:"ContainerName"`
	ContainerPort *int32  `yaml:"ContainerPort"`
}

// AppSpecNetwork is the awsvpc configuration of the replacement tasks.
type AppSpecNetwork struct {
	AwsvpcConfiguration AppSpecAwsvpc `yaml:"AwsvpcConfiguration"`
}

// AppSpecAwsvpc mirrors ecs AwsVpcConfiguration.
type AppSpecAwsvpc struct {
	AssignPublicIp string   `yaml:"AssignPublicIp,omitempty"`
	SecurityGroups []string `yaml:"SecurityGroups,omitempty"`
	Subnets        []string `yaml:"Subnets,omitempty"`
}

// AppSpecCapacityProvider is one capacity provider strategy item.
type AppSpecCapacityProvider struct {
	CapacityProvider string `yaml:"CapacityProvider,omitempty"`
	Base             int32  `yaml:"Base,omitempty"`
	Weight           int32  `yaml:"Weight,omitempty"`
}

// AppSpecService is what an AppSpec takes from a service (the local
// definition or the live one).
type AppSpecService struct {
	LoadBalancers            []ecstypes.LoadBalancer
	NetworkConfiguration     *ecstypes.NetworkConfiguration
	PlatformVersion          *string
	CapacityProviderStrategy []ecstypes.CapacityProviderStrategyItem
}

// NewAppSpec builds the AppSpec deploying taskDefinition (an ARN) to sv.
// CodeDeploy needs a load balancer: the first one's container is used.
func NewAppSpec(sv AppSpecService, taskDefinition string, hooks []map[string]any) (*AppSpec, error) {
	if len(sv.LoadBalancers) == 0 {
		return nil, errors.New("appspec: the service has no loadBalancers; CodeDeploy blue/green needs one")
	}
	lb := sv.LoadBalancers[0]
	props := AppSpecProperties{
		TaskDefinition:   taskDefinition,
		LoadBalancerInfo: AppSpecLoadBalancer{ContainerName: lb.ContainerName, ContainerPort: lb.ContainerPort},
		PlatformVersion:  aws.ToString(sv.PlatformVersion),
	}
	if nc := sv.NetworkConfiguration; nc != nil && nc.AwsvpcConfiguration != nil {
		vpc := nc.AwsvpcConfiguration
		props.NetworkConfiguration = &AppSpecNetwork{AwsvpcConfiguration: AppSpecAwsvpc{
			AssignPublicIp: string(vpc.AssignPublicIp), SecurityGroups: vpc.SecurityGroups, Subnets: vpc.Subnets,
		}}
	}
	for _, s := range sv.CapacityProviderStrategy {
		props.CapacityProviderStrategy = append(props.CapacityProviderStrategy, AppSpecCapacityProvider{
			CapacityProvider: aws.ToString(s.CapacityProvider), Base: s.Base, Weight: s.Weight,
		})
	}
	spec := &AppSpec{
		Version:   "0.0",
		Resources: []AppSpecResource{{TargetService: AppSpecTarget{Type: "AWS::ECS::Service", Properties: props}}},
	}
	for _, h := range hooks {
		spec.Hooks = append(spec.Hooks, AppSpecHook(h))
	}
	return spec, nil
}
