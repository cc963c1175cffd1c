package deploy

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/render"
)

// The strategy rules judge what the service will have: the file's
// deploymentConfiguration merged over the live one, the file's load
// balancers or else the live ones.
func TestValidateStrategyMergesOverLive(t *testing.T) {
	lb := ecstypes.LoadBalancer{TargetGroupArn: aws.String("arn:tg/blue"), ContainerName: aws.String("app"), ContainerPort: aws.Int32(80),
		AdvancedConfiguration: &ecstypes.AdvancedConfiguration{AlternateTargetGroupArn: aws.String("arn:tg/green"), ProductionListenerRule: aws.String("arn:rule"), RoleArn: aws.String("arn:role")}}
	pause := []ecstypes.DeploymentLifecycleHook{{TargetType: ecstypes.DeploymentLifecycleHookTargetTypePause, LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStagePostScaleUp}}}
	liveBG := &ecstypes.Service{DeploymentConfiguration: &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen}, LoadBalancers: []ecstypes.LoadBalancer{lb}}
	for _, tc := range []struct {
		name string
		file *render.ServiceDefinition
		live *ecstypes.Service
		want string // "" = accepted
	}{
		{"hooks on a live blue/green service", &render.ServiceDefinition{DeploymentConfiguration: &ecstypes.DeploymentConfiguration{LifecycleHooks: pause}}, liveBG, ""},
		{"hooks, the file switches to ROLLING", &render.ServiceDefinition{DeploymentConfiguration: &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyRolling, LifecycleHooks: pause}}, liveBG, "lifecycleHooks need strategy"},
		{"canary percent out of range", &render.ServiceDefinition{DeploymentConfiguration: &ecstypes.DeploymentConfiguration{CanaryConfiguration: &ecstypes.CanaryConfiguration{CanaryPercent: aws.Float64(0)}}}, liveBG, "canaryPercent must be"},
		{"linear on a live load balancer without advancedConfiguration", &render.ServiceDefinition{DeploymentConfiguration: &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyLinear}},
			&ecstypes.Service{LoadBalancers: []ecstypes.LoadBalancer{{TargetGroupArn: aws.String("arn:tg/blue"), ContainerName: aws.String("app"), ContainerPort: aws.Int32(80)}}}, "needs advancedConfiguration"},
		{"new blue/green service", &render.ServiceDefinition{DeploymentConfiguration: &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(5)}, LoadBalancers: []ecstypes.LoadBalancer{lb}}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validateStrategy("svc.json", tc.file, tc.live)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "svc.json: ")):
				t.Errorf("err = %v, want svc.json: ...%s...", err, tc.want)
			}
		})
	}
}
