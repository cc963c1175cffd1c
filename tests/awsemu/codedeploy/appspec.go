package codedeploy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/goccy/go-yaml"
)

// appSpec is the AppSpec file of an ECS deployment, as CodeDeploy reads it
// from AppSpecContent.content (YAML, of which JSON is a subset).
type appSpec struct {
	Version   any                          `yaml:"version"`
	Resources []map[string]appSpecResource `yaml:"Resources"`
	Hooks     []map[string]string          `yaml:"Hooks"`
}

type appSpecResource struct {
	Type       string `yaml:"Type"`
	Properties struct {
		TaskDefinition   string `yaml:"TaskDefinition"`
		LoadBalancerInfo *struct {
			ContainerName string `yaml:"ContainerName"`
			ContainerPort int32  `yaml:"ContainerPort"`
		} `yaml:"LoadBalancerInfo"`
		PlatformVersion      *string `yaml:"PlatformVersion"`
		NetworkConfiguration *struct {
			AwsvpcConfiguration *struct {
				Subnets        []string `yaml:"Subnets"`
				SecurityGroups []string `yaml:"SecurityGroups"`
				AssignPublicIp string   `yaml:"AssignPublicIp"`
			} `yaml:"AwsvpcConfiguration"`
		} `yaml:"NetworkConfiguration"`
		CapacityProviderStrategy []struct {
			CapacityProvider string `yaml:"CapacityProvider"`
			Base             int32  `yaml:"Base"`
			Weight           int32  `yaml:"Weight"`
		} `yaml:"CapacityProviderStrategy"`
	} `yaml:"Properties"`
}

// hookEvents are the lifecycle events of an ECS deployment that run a hook.
var hookEvents = map[string]bool{
	"BeforeInstall": true, "AfterInstall": true, "AfterAllowTestTraffic": true, "BeforeAllowTraffic": true, "AfterAllowTraffic": true,
}

// parseAppSpec reads content into the replacement task set and the hooks
// (lifecycle event → Lambda function). Errors are InvalidRevision messages.
func parseAppSpec(content string) (TaskSetSpec, map[string]string, error) {
	var spec TaskSetSpec
	var as appSpec
	if strings.TrimSpace(content) == "" {
		return spec, nil, fmt.Errorf("the AppSpec content is empty")
	}
	if err := yaml.Unmarshal([]byte(content), &as); err != nil {
		return spec, nil, fmt.Errorf("the AppSpec content is not valid YAML or JSON: %v", err)
	}
	if len(as.Resources) != 1 || len(as.Resources[0]) != 1 {
		return spec, nil, fmt.Errorf("the AppSpec file must name exactly one resource under Resources")
	}
	var res appSpecResource
	for _, r := range as.Resources[0] {
		res = r
	}
	if res.Type != "AWS::ECS::Service" {
		return spec, nil, fmt.Errorf("the AppSpec resource Type must be AWS::ECS::Service, not %q", res.Type)
	}
	p := res.Properties
	if p.TaskDefinition == "" {
		return spec, nil, fmt.Errorf("the AppSpec resource has no Properties.TaskDefinition")
	}
	if p.LoadBalancerInfo == nil || p.LoadBalancerInfo.ContainerName == "" || p.LoadBalancerInfo.ContainerPort == 0 {
		return spec, nil, fmt.Errorf("the AppSpec resource needs Properties.LoadBalancerInfo with ContainerName and ContainerPort")
	}
	spec = TaskSetSpec{TaskDefinition: p.TaskDefinition, ContainerName: p.LoadBalancerInfo.ContainerName,
		ContainerPort: p.LoadBalancerInfo.ContainerPort, PlatformVersion: p.PlatformVersion}
	if nc := p.NetworkConfiguration; nc != nil && nc.AwsvpcConfiguration != nil {
		v := nc.AwsvpcConfiguration
		spec.NetworkConfiguration = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: v.Subnets, SecurityGroups: v.SecurityGroups, AssignPublicIp: ecstypes.AssignPublicIp(v.AssignPublicIp)}}
	}
	for _, c := range p.CapacityProviderStrategy {
		spec.CapacityProviderStrategy = append(spec.CapacityProviderStrategy, ecstypes.CapacityProviderStrategyItem{
			CapacityProvider: aws.String(c.CapacityProvider), Base: c.Base, Weight: c.Weight})
	}
	hooks := map[string]string{}
	for _, h := range as.Hooks {
		for event, fn := range h {
			if !hookEvents[event] {
				return spec, nil, fmt.Errorf("the AppSpec hook %s is not a lifecycle event of an ECS deployment", event)
			}
			hooks[event] = fn
		}
	}
	return spec, hooks, nil
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
