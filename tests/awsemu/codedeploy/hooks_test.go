package codedeploy_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cd "github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/smithy-go"

	"github.com/doppio-ecs/doppio/tests/awsemu"
	"github.com/doppio-ecs/doppio/tests/awsemu/codedeploy"
)

// Hook functions created through lambda:CreateFunction decide by their
// environment, as the ECS-native hooks do: AWSEMU_HOOK_STATUS=FAILED makes
// the function report Failed, which fails the event and rolls back.
func TestLambdaHookReportsFailed(t *testing.T) {
	f := setup(t, nil)
	f.function("pre", nil) // SUCCEEDED by default
	f.function("smoke", map[string]string{"AWSEMU_HOOK_STATUS": "FAILED"})
	id := f.deploy(f.tdV2, "", "Hooks:\n  - BeforeInstall: pre\n  - AfterAllowTraffic: arn:aws:lambda:us-east-1:123456789012:function:smoke\n")
	f.clock.Advance(time.Minute)
	d := f.deployment(id)
	if d.Status != cdtypes.DeploymentStatusFailed || d.ErrorInformation == nil || d.ErrorInformation.Code != cdtypes.ErrorCodeHookExecutionFailure {
		t.Fatalf("deployment %s %+v", d.Status, d.ErrorInformation)
	}
	if ev := f.event(id, "BeforeInstall"); ev.Status != cdtypes.LifecycleEventStatusSucceeded {
		t.Errorf("BeforeInstall %s", ev.Status)
	}
	ev := f.event(id, "AfterAllowTraffic")
	if ev.Status != cdtypes.LifecycleEventStatusFailed || ev.Diagnostics == nil || ev.Diagnostics.ErrorCode != cdtypes.LifecycleErrorCodeScriptFailed ||
		!strings.Contains(aws.ToString(ev.Diagnostics.Message), "smoke reported Failed") {
		t.Fatalf("AfterAllowTraffic %s %+v", ev.Status, ev.Diagnostics)
	}
	if d.RollbackInfo == nil || d.RollbackInfo.RollbackDeploymentId == nil {
		t.Fatalf("auto-rollback on DEPLOYMENT_FAILURE: %+v", d.RollbackInfo)
	}
	f.clock.Advance(time.Minute)
	if svc := f.service(); len(svc.TaskSets) != 1 || aws.ToString(svc.TaskDefinition) != f.tdV1 {
		t.Fatalf("rolled back to the original: %s %+v", aws.ToString(svc.TaskDefinition), svc.TaskSets)
	}
}

// A function that never reports (it answered IN_PROGRESS) holds its event
// until someone calls PutLifecycleEventHookExecutionStatus with the
// execution id CodeDeploy handed it.
func TestHookWaitsForPutLifecycleEventHookExecutionStatus(t *testing.T) {
	f := setup(t, nil)
	f.function("manual", map[string]string{"AWSEMU_HOOK_IN_PROGRESS_CALLS": "1"})
	id := f.deploy(f.tdV2, "", "Hooks:\n  - BeforeInstall: manual\n")
	f.clock.Advance(30 * time.Minute)
	if ev := f.event(id, "BeforeInstall"); ev.Status != cdtypes.LifecycleEventStatusInProgress {
		t.Fatalf("BeforeInstall waits for the report: %s", ev.Status)
	}
	exec := f.e.CodeDeploy().HookExecutions(id)["BeforeInstall"]
	if exec == "" {
		t.Fatal("no hook execution id")
	}
	put := func(status cdtypes.LifecycleEventStatus) error {
		_, err := f.cd.PutLifecycleEventHookExecutionStatus(ctx, &cd.PutLifecycleEventHookExecutionStatusInput{
			DeploymentId: aws.String(id), LifecycleEventHookExecutionId: aws.String(exec), Status: status})
		return err
	}
	expectCode := func(err error, code string) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != code {
			t.Fatalf("want %s, got %v", code, err)
		}
	}
	expectCode(put(cdtypes.LifecycleEventStatusInProgress), "InvalidLifecycleEventHookExecutionStatusException")
	_, err := f.cd.PutLifecycleEventHookExecutionStatus(ctx, &cd.PutLifecycleEventHookExecutionStatusInput{
		DeploymentId: aws.String(id), LifecycleEventHookExecutionId: aws.String("nope"), Status: cdtypes.LifecycleEventStatusSucceeded})
	expectCode(err, "InvalidLifecycleEventHookExecutionIdException")
	if err := put(cdtypes.LifecycleEventStatusSucceeded); err != nil {
		t.Fatal(err)
	}
	if ev := f.event(id, "BeforeInstall"); ev.Status != cdtypes.LifecycleEventStatusSucceeded {
		t.Fatalf("BeforeInstall once reported: %s", ev.Status)
	}
	expectCode(put(cdtypes.LifecycleEventStatusSucceeded), "LifecycleEventAlreadyCompletedException")
	f.clock.Advance(10 * time.Minute)
	if d := f.deployment(id); d.Status != cdtypes.DeploymentStatusSucceeded {
		t.Fatalf("deployment %s %+v", d.Status, d.ErrorInformation)
	}
}

// A function that fails unhandled never reports: the event times out after
// the hook timeout (an hour), and the deployment fails and rolls back.
func TestSilentHookTimesOut(t *testing.T) {
	f := setup(t, nil)
	f.function("crash", map[string]string{"AWSEMU_FUNCTION_ERROR": "KeyError: 'DeploymentId'"})
	id := f.deploy(f.tdV2, "", "Hooks:\n  - AfterInstall: crash\n")
	f.clock.Advance(59 * time.Minute)
	if ev := f.event(id, "AfterInstall"); ev.Status != cdtypes.LifecycleEventStatusInProgress {
		t.Fatalf("AfterInstall before the timeout: %s", ev.Status)
	}
	f.clock.Advance(2 * time.Minute)
	ev := f.event(id, "AfterInstall")
	if ev.Status != cdtypes.LifecycleEventStatusFailed || ev.Diagnostics == nil || ev.Diagnostics.ErrorCode != cdtypes.LifecycleErrorCodeScriptTimedOut {
		t.Fatalf("AfterInstall after the timeout: %s %+v", ev.Status, ev.Diagnostics)
	}
	if d := f.deployment(id); d.Status != cdtypes.DeploymentStatusFailed || d.RollbackInfo == nil {
		t.Fatalf("deployment %s %+v", d.Status, d.RollbackInfo)
	}
}

// A hook naming a function that does not exist fails its event at once.
func TestMissingHookFunctionFails(t *testing.T) {
	f := setup(t, nil)
	id := f.deploy(f.tdV2, "", "Hooks:\n  - BeforeInstall: nowhere\n")
	f.clock.Advance(time.Second)
	ev := f.event(id, "BeforeInstall")
	if ev.Status != cdtypes.LifecycleEventStatusFailed || ev.Diagnostics == nil || !strings.Contains(aws.ToString(ev.Diagnostics.Message), "Function not found") {
		t.Fatalf("BeforeInstall %s %+v", ev.Status, ev.Diagnostics)
	}
}

// SetHookResult (and the seed's codedeploy.hooks) still decide, over the
// function's own answer, for tests written against the older convention.
func TestSetHookResultOverridesTheFunction(t *testing.T) {
	f := setup(t, nil)
	f.function("smoke", nil)
	f.e.CodeDeploy().SetHookResult("smoke", codedeploy.HookResult{Status: "Failed", Message: "503 from /health"})
	id := f.deploy(f.tdV2, "", "Hooks:\n  - BeforeAllowTraffic: smoke\n")
	f.clock.Advance(time.Minute)
	ev := f.event(id, "BeforeAllowTraffic")
	if ev.Status != cdtypes.LifecycleEventStatusFailed || aws.ToString(ev.Diagnostics.Message) != "503 from /health" {
		t.Fatalf("BeforeAllowTraffic %s %+v", ev.Status, ev.Diagnostics)
	}
}

// Every CodeDeploy wait is on the emulator's clock, so `awsemu --speed`
// shortens them: at speed 3000 the 5-minute termination wait of the fixture's
// group (and the rest of the deployment) takes a fraction of a second.
func TestSpeedScalesTheTerminationWait(t *testing.T) {
	clock := awsemu.NewRealClock(3000)
	f := setupWithClock(t, clock, nil)
	start := clock.Now()
	id := f.deploy(f.tdV2, "", "")
	deadline := time.Now().Add(20 * time.Second)
	for f.deployment(id).Status != cdtypes.DeploymentStatusSucceeded {
		if time.Now().After(deadline) {
			t.Fatalf("not Succeeded after 20 s real (%s emulated): %s", clock.Now().Sub(start), f.deployment(id).Status)
		}
		time.Sleep(10 * time.Millisecond) // polling a running clock, as a client would
	}
	if d := f.deployment(id); d.CompleteTime.Sub(*d.CreateTime) < 5*time.Minute {
		t.Fatalf("the termination wait (5 min emulated) was skipped: %s", d.CompleteTime.Sub(*d.CreateTime))
	}
}

// CodeDeploy goes on whoever polls: a client reading only ECS sees the
// replacement task set become PRIMARY and the original go.
func TestECSReadsSeeCodeDeployProgress(t *testing.T) {
	f := setup(t, func(in *cd.CreateDeploymentGroupInput) {
		in.BlueGreenDeploymentConfiguration.TerminateBlueInstancesOnDeploymentSuccess.TerminationWaitTimeInMinutes = 0
	})
	f.deploy(f.tdV2, "", "")
	f.clock.Advance(time.Minute)
	svc := f.service() // an ECS call only
	if len(svc.TaskSets) != 1 || aws.ToString(svc.TaskSets[0].TaskDefinition) != f.tdV2 || aws.ToString(svc.TaskSets[0].Status) != "PRIMARY" {
		t.Fatalf("after the deployment, ECS shows the replacement alone: %+v", svc.TaskSets)
	}
}
