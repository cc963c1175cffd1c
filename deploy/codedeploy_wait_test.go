package deploy

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// cdTarget is a deployment target with the lifecycle events up to (not
// including) the index running, that one in status st, the rest pending.
func cdTarget(running int, st cdtypes.LifecycleEventStatus, diag string, greenTraffic float64) *cdtypes.ECSTarget {
	t := &cdtypes.ECSTarget{}
	for i, name := range codeDeployEvents {
		e := cdtypes.LifecycleEvent{LifecycleEventName: aws.String(name), Status: cdtypes.LifecycleEventStatusPending}
		switch {
		case i < running:
			e.Status = cdtypes.LifecycleEventStatusSucceeded
		case i == running:
			e.Status = st
			if diag != "" {
				e.Diagnostics = &cdtypes.Diagnostics{Message: aws.String(diag)}
			}
		}
		t.LifecycleEvents = append(t.LifecycleEvents, e)
	}
	t.TaskSetsInfo = []cdtypes.ECSTaskSet{
		{Identifer: aws.String("ecs-svc/1"), TaskSetLabel: cdtypes.TargetLabelBlue, TrafficWeight: 100 - greenTraffic, Status: aws.String("PRIMARY")},
		{Identifer: aws.String("ecs-svc/2"), TaskSetLabel: cdtypes.TargetLabelGreen, TrafficWeight: greenTraffic, Status: aws.String("ACTIVE"), DesiredCount: 2, RunningCount: 2},
	}
	return t
}

func cdInfo(status cdtypes.DeploymentStatus, mutate ...func(*cdtypes.DeploymentInfo)) *cdtypes.DeploymentInfo {
	info := &cdtypes.DeploymentInfo{DeploymentId: aws.String("d-AAAAAAAAA"), Status: status, Creator: cdtypes.DeploymentCreatorUser}
	for _, m := range mutate {
		m(info)
	}
	return info
}

// TestJudgeCodeDeploy runs the CodeDeploy outcome judging over the states
// GetDeployment and GetDeploymentTarget report during a blue/green
// deployment.
func TestJudgeCodeDeploy(t *testing.T) {
	const (
		allowTraffic      = 6
		afterAllowTraffic = 7
	)
	hookFailed := func(i *cdtypes.DeploymentInfo) {
		i.ErrorInformation = &cdtypes.ErrorInformation{Code: cdtypes.ErrorCodeHookExecutionFailure, Message: aws.String("The deployment failed because one or more of the lifecycle event hooks failed.")}
	}
	rolledBackBy := func(i *cdtypes.DeploymentInfo) {
		i.RollbackInfo = &cdtypes.RollbackInfo{RollbackDeploymentId: aws.String("d-BBBBBBBBB")}
	}
	isRollback := func(i *cdtypes.DeploymentInfo) {
		i.Creator = cdtypes.DeploymentCreatorCodeDeployRollback
		i.RollbackInfo = &cdtypes.RollbackInfo{RollbackTriggeringDeploymentId: aws.String("d-CCCCCCCCC")}
	}
	noRollbackNeeded := func(i *cdtypes.DeploymentInfo) {
		i.RollbackInfo = &cdtypes.RollbackInfo{RollbackMessage: aws.String("No rollback needed")}
	}
	until := func(ev string) WaitUntil { return WaitUntil(untilEventPrefix + ev) }
	cases := []struct {
		name     string
		info     *cdtypes.DeploymentInfo
		target   *cdtypes.ECSTarget
		until    WaitUntil
		rollback bool
		done     bool
		class    Class
		reason   []string
	}{
		{name: "installing", info: cdInfo(cdtypes.DeploymentStatusInProgress), target: cdTarget(1, cdtypes.LifecycleEventStatusInProgress, "", 0), until: UntilDeployed},
		{name: "canary at 10%", info: cdInfo(cdtypes.DeploymentStatusInProgress), target: cdTarget(allowTraffic, cdtypes.LifecycleEventStatusInProgress, "", 10), until: UntilDeployed},
		{name: "termination wait is not done yet", info: cdInfo(cdtypes.DeploymentStatusInProgress), target: cdTarget(8, "", "", 100), until: UntilDeployed},
		{name: "ready wait", info: cdInfo(cdtypes.DeploymentStatusReady), target: cdTarget(5, cdtypes.LifecycleEventStatusPending, "", 0), until: UntilDeployed},
		{name: "succeeded", info: cdInfo(cdtypes.DeploymentStatusSucceeded), target: cdTarget(8, "", "", 100), until: UntilDeployed,
			done: true, class: Completed, reason: []string{"d-AAAAAAAAA succeeded", "100% on the replacement"}},
		{name: "succeeded without a target", info: cdInfo(cdtypes.DeploymentStatusSucceeded), until: UntilDeployed, done: true, class: Completed},
		{name: "failed hook, auto-rollback", info: cdInfo(cdtypes.DeploymentStatusFailed, hookFailed, rolledBackBy),
			target: cdTarget(afterAllowTraffic, cdtypes.LifecycleEventStatusFailed, "smoke test: 500", 100), until: UntilDeployed,
			done: true, class: RolledBack, reason: []string{"failed: The deployment failed", "lifecycle event AfterAllowTraffic failed: smoke test: 500", "rolls the service back with deployment d-BBBBBBBBB"}},
		{name: "failed hook, no rollback", info: cdInfo(cdtypes.DeploymentStatusFailed, hookFailed),
			target: cdTarget(afterAllowTraffic, cdtypes.LifecycleEventStatusFailed, "smoke test: 500", 100), until: UntilDeployed,
			done: true, class: Failed, reason: []string{"lifecycle event AfterAllowTraffic failed: smoke test: 500"}},
		{name: "stopped by someone", info: cdInfo(cdtypes.DeploymentStatusStopped), until: UntilDeployed, done: true, class: Failed, reason: []string{"was stopped"}},
		{name: "the automatic rollback succeeded: not our success", info: cdInfo(cdtypes.DeploymentStatusSucceeded, isRollback), until: UntilDeployed,
			done: true, class: RolledBack, reason: []string{"automatic rollback of deployment d-CCCCCCCCC"}},
		{name: "codedeploy:AllowTraffic reached", info: cdInfo(cdtypes.DeploymentStatusInProgress), target: cdTarget(afterAllowTraffic, cdtypes.LifecycleEventStatusInProgress, "", 100), until: until("AllowTraffic"),
			done: true, class: Completed, reason: []string{"lifecycle event AllowTraffic of CodeDeploy deployment d-AAAAAAAAA succeeded"}},
		{name: "codedeploy:AllowTraffic not yet", info: cdInfo(cdtypes.DeploymentStatusInProgress), target: cdTarget(allowTraffic, cdtypes.LifecycleEventStatusInProgress, "", 10), until: until("AllowTraffic")},
		{name: "codedeploy:AllowTestTraffic skipped counts", info: cdInfo(cdtypes.DeploymentStatusInProgress), target: cdTarget(3, cdtypes.LifecycleEventStatusSkipped, "", 0), until: until("AllowTestTraffic"),
			done: true, class: Completed, reason: []string{"was skipped"}},
		{name: "codedeploy:AfterAllowTraffic failed", info: cdInfo(cdtypes.DeploymentStatusInProgress), target: cdTarget(afterAllowTraffic, cdtypes.LifecycleEventStatusFailed, "boom", 100), until: until("AfterAllowTraffic"),
			done: true, class: Failed, reason: []string{"AfterAllowTraffic failed: boom"}},
		{name: "a failure before the event we wait for is a failure", info: cdInfo(cdtypes.DeploymentStatusFailed, hookFailed, rolledBackBy), target: cdTarget(2, cdtypes.LifecycleEventStatusFailed, "bad", 0), until: until("AfterAllowTraffic"),
			done: true, class: RolledBack},
		{name: "rollback: the stopped deployment hands over", info: cdInfo(cdtypes.DeploymentStatusStopped, rolledBackBy), until: UntilDeployed, rollback: true},
		{name: "rollback: stopped before any change", info: cdInfo(cdtypes.DeploymentStatusStopped, noRollbackNeeded), until: UntilDeployed, rollback: true,
			done: true, class: Completed, reason: []string{"stopped before it changed the service"}},
		{name: "rollback: the rollback deployment succeeded", info: cdInfo(cdtypes.DeploymentStatusSucceeded, isRollback), until: UntilStable, rollback: true,
			done: true, class: Completed, reason: []string{"rolled the service back"}},
		{name: "rollback: the rollback deployment failed", info: cdInfo(cdtypes.DeploymentStatusFailed, isRollback), until: UntilStable, rollback: true,
			done: true, class: Failed, reason: []string{"rollback deployment d-AAAAAAAAA failed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := judgeCodeDeploy(tc.info, tc.target, tc.until, tc.rollback)
			if v.done != tc.done || v.class != tc.class {
				t.Fatalf("got done=%v class=%q (%s), want done=%v class=%q", v.done, v.class, v.reason, tc.done, tc.class)
			}
			for _, r := range tc.reason {
				if !strings.Contains(v.reason, r) {
					t.Errorf("reason %q lacks %q", v.reason, r)
				}
			}
		})
	}
}

func TestTaskSetVerdict(t *testing.T) {
	steady := ecstypes.TaskSet{Status: aws.String("PRIMARY"), StabilityStatus: ecstypes.StabilityStatusSteadyState, TaskDefinition: aws.String(tdNew), RunningCount: 2, ComputedDesiredCount: 2}
	stabilizing := steady
	stabilizing.StabilityStatus = ecstypes.StabilityStatusStabilizing
	active := steady
	active.Status = aws.String("ACTIVE")
	for _, tc := range []struct {
		name string
		sets []ecstypes.TaskSet
		done bool
	}{
		{"one steady primary", []ecstypes.TaskSet{steady}, true},
		{"stabilizing", []ecstypes.TaskSet{stabilizing}, false},
		{"two task sets", []ecstypes.TaskSet{steady, active}, false},
		{"none", nil, false},
	} {
		v := taskSetVerdict(&ecstypes.Service{TaskSets: tc.sets}, expectation{})
		if v.done != tc.done || (v.done && v.class != Completed) {
			t.Errorf("%s: %+v", tc.name, v)
		}
	}
}

func TestParseWaitUntilCodeDeploy(t *testing.T) {
	for in, want := range map[string]WaitUntil{"codedeploy:AfterAllowTraffic": "codedeploy:AfterAllowTraffic", "CodeDeploy:allowtraffic": "codedeploy:AllowTraffic"} {
		got, err := ParseWaitUntil(in)
		if err != nil || got != want {
			t.Errorf("ParseWaitUntil(%q) = %q, %v; want %q", in, got, err, want)
		}
		if ev, ok := got.LifecycleEvent(); !ok || "codedeploy:"+ev != string(want) {
			t.Errorf("LifecycleEvent of %q = %q %v", got, ev, ok)
		}
	}
	if _, err := ParseWaitUntil("codedeploy:Traffic"); err == nil || !strings.Contains(err.Error(), "AfterAllowTraffic") {
		t.Errorf("an unknown event: %v", err)
	}
}

func TestParseRollbackEvents(t *testing.T) {
	got, err := ParseRollbackEvents("DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_REQUEST")
	if err != nil || len(got) != 2 || got[1] != cdtypes.AutoRollbackEventDeploymentStopOnRequest {
		t.Fatalf("%v %v", got, err)
	}
	if got, err := ParseRollbackEvents(""); err != nil || got != nil {
		t.Fatalf("empty: %v %v", got, err)
	}
	if _, err := ParseRollbackEvents("DEPLOYMENT_FAILURE,deployment_failure"); err == nil {
		t.Fatal("ecspresso takes the upper-case values only")
	}
}

func TestTaskDefinitionOfAppSpec(t *testing.T) {
	yamlSpec := "version: \"0.0\"\nResources:\n- TargetService:\n    Type: AWS::ECS::Service\n    Properties:\n      TaskDefinition: " + tdNew + "\n"
	jsonSpec := `{"version": 0.0, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": "` + tdOld + `"}}}]}`
	for spec, want := range map[string]string{yamlSpec: tdNew, jsonSpec: tdOld, "not: [an appspec": ""} {
		rev := &cdtypes.RevisionLocation{AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(spec)}}
		if got := taskDefinitionOf(rev); got != want {
			t.Errorf("taskDefinitionOf(%q) = %q, want %q", spec, got, want)
		}
	}
}
