package deploy

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/render"
)

func TestParseWaitUntilLifecycle(t *testing.T) {
	for in, want := range map[string]WaitUntil{"paused": UntilPaused, "ecs:BAKE_TIME": "ecs:BAKE_TIME", "ECS:post_scale_up": "ecs:POST_SCALE_UP"} {
		got, err := ParseWaitUntil(in)
		if err != nil || got != want {
			t.Errorf("ParseWaitUntil(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseWaitUntil("ecs:BAKING"); err == nil || !strings.Contains(err.Error(), "BAKE_TIME") {
		t.Errorf("unknown stage: %v", err)
	}
	if st, ok := WaitUntil("ecs:BAKE_TIME").Stage(); !ok || st != ecstypes.ServiceDeploymentLifecycleStageBakeTime {
		t.Errorf("Stage() = %q, %v", st, ok)
	}
	if UntilDeployed.needsLifecycle() || !UntilPaused.needsLifecycle() {
		t.Error("needsLifecycle")
	}
}

func TestProgressLineShowsStageSplitAndHooks(t *testing.T) {
	sd := &ecstypes.ServiceDeployment{
		Status: ecstypes.ServiceDeploymentStatusInProgress, LifecycleStage: ecstypes.ServiceDeploymentLifecycleStageProductionTrafficShift,
		TargetServiceRevision: &ecstypes.ServiceRevisionSummary{RequestedProductionTrafficWeight: aws.Float64(40), RequestedTestTrafficWeight: aws.Float64(100),
			RunningTaskCount: 2, RequestedTaskCount: 2},
		LifecycleHookDetails: []ecstypes.DeploymentLifecycleHookDetail{{HookId: aws.String("h1"), TargetType: ecstypes.DeploymentLifecycleHookTargetTypeAwsLambda, Status: ecstypes.DeploymentLifecycleHookStatusInProgress}},
	}
	want := "PRODUCTION_TRAFFIC_SHIFT 40% green (test 100%), 2/2 green tasks running; hook h1 AWS_LAMBDA IN_PROGRESS"
	if got := ProgressLine(sd); got != want {
		t.Errorf("ProgressLine = %q\nwant %q", got, want)
	}
}

// --wait-until ecs:<STAGE> and paused are checked against the strategy the
// service will deploy with: the file's over the live service's over ROLLING.
func TestValidateWaitUntilStrategy(t *testing.T) {
	dc := func(s ecstypes.DeploymentStrategy) *ecstypes.DeploymentConfiguration {
		return &ecstypes.DeploymentConfiguration{Strategy: s}
	}
	for _, tc := range []struct {
		name  string
		file  *ecstypes.DeploymentConfiguration
		live  *ecstypes.Service
		until WaitUntil
		ok    bool
	}{
		{"new service without strategy", nil, nil, "ecs:BAKE_TIME", false},
		{"live rolling", nil, &ecstypes.Service{DeploymentConfiguration: dc(ecstypes.DeploymentStrategyRolling)}, UntilPaused, false},
		{"live blue/green", nil, &ecstypes.Service{DeploymentConfiguration: dc(ecstypes.DeploymentStrategyBlueGreen)}, UntilPaused, true},
		{"file switches to canary", dc(ecstypes.DeploymentStrategyCanary), &ecstypes.Service{DeploymentConfiguration: dc(ecstypes.DeploymentStrategyRolling)}, "ecs:BAKE_TIME", true},
		{"file switches to rolling", dc(ecstypes.DeploymentStrategyRolling), &ecstypes.Service{DeploymentConfiguration: dc(ecstypes.DeploymentStrategyLinear)}, "ecs:BAKE_TIME", false},
		{"file without strategy keeps live linear", &ecstypes.DeploymentConfiguration{BakeTimeInMinutes: aws.Int32(5)}, &ecstypes.Service{DeploymentConfiguration: dc(ecstypes.DeploymentStrategyLinear)}, "ecs:BAKE_TIME", true},
		{"deployed needs nothing", nil, nil, UntilDeployed, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := &Spec{Service: "web", ServiceDefinitionFile: "svc.json"}
			if tc.file != nil {
				spec.ServiceDefinition = &render.ServiceDefinition{DeploymentConfiguration: tc.file}
			}
			err := validateWaitUntil(spec, &Plan{live: tc.live}, tc.until)
			if (err == nil) != tc.ok {
				t.Errorf("validateWaitUntil = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
