package codedeploy_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cd "github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/tests/awsemu"
	"github.com/doppio-ecs/doppio/tests/awsemu/codedeploy"
)

type fixture struct {
	t     *testing.T
	e     *awsemu.Emulator
	clock *awsemu.ManualClock
	ecs   *ecs.Client
	cd    *cd.Client
	fns   *lambda.Client
	tdV1  string
	tdV2  string
}

var ctx = context.Background()

// setup runs an emulator with a CODE_DEPLOY service "web" in cluster "demo"
// (2 tasks), an ECS application "app" and a deployment group "dg" with
// auto-rollback on failure and on stop requests, terminating the original
// task set 5 minutes after success.
func setup(t *testing.T, mutate func(*cd.CreateDeploymentGroupInput)) *fixture {
	t.Helper()
	clock := awsemu.NewManualClock(time.Time{})
	f := setupWithClock(t, clock, mutate)
	f.clock = clock
	return f
}

// setupWithClock is setup on any clock (f.clock stays nil unless manual).
func setupWithClock(t *testing.T, clock awsemu.Clock, mutate func(*cd.CreateDeploymentGroupInput)) *fixture {
	t.Helper()
	e := awsemu.New(awsemu.Options{Clock: clock})
	if err := e.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": e.URL(), "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true"} {
		t.Setenv(k, v)
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(e.Region()), config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPClient = awsapi.InMemoryBodies(cfg.HTTPClient)
	f := &fixture{t: t, e: e, ecs: ecs.NewFromConfig(cfg), cd: cd.NewFromConfig(cfg), fns: lambda.NewFromConfig(cfg)}
	f.must(f.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("demo")}))
	f.tdV1, f.tdV2 = f.register("v1"), f.register("v2")
	f.must(f.ecs.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("demo"), ServiceName: aws.String("web"), TaskDefinition: aws.String(f.tdV1), DesiredCount: aws.Int32(2),
		LaunchType:           ecstypes.LaunchTypeFargate,
		DeploymentController: &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeCodeDeploy},
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}},
		LoadBalancers:        []ecstypes.LoadBalancer{{ContainerName: aws.String("app"), ContainerPort: aws.Int32(80), TargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1")}},
	}))
	f.must(f.cd.CreateApplication(ctx, &cd.CreateApplicationInput{ApplicationName: aws.String("app"), ComputePlatform: cdtypes.ComputePlatformEcs}))
	in := &cd.CreateDeploymentGroupInput{
		ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("dg"),
		ServiceRoleArn:  aws.String("arn:aws:iam::123456789012:role/codedeploy"),
		EcsServices:     []cdtypes.ECSService{{ClusterName: aws.String("demo"), ServiceName: aws.String("web")}},
		DeploymentStyle: &cdtypes.DeploymentStyle{DeploymentType: cdtypes.DeploymentTypeBlueGreen, DeploymentOption: cdtypes.DeploymentOptionWithTrafficControl},
		LoadBalancerInfo: &cdtypes.LoadBalancerInfo{TargetGroupPairInfoList: []cdtypes.TargetGroupPairInfo{{
			TargetGroups:     []cdtypes.TargetGroupInfo{{Name: aws.String("blue")}, {Name: aws.String("green")}},
			ProdTrafficRoute: &cdtypes.TrafficRoute{ListenerArns: []string{"arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/1/1"}},
		}}},
		AutoRollbackConfiguration: &cdtypes.AutoRollbackConfiguration{Enabled: true,
			Events: []cdtypes.AutoRollbackEvent{cdtypes.AutoRollbackEventDeploymentFailure, cdtypes.AutoRollbackEventDeploymentStopOnRequest}},
		BlueGreenDeploymentConfiguration: &cdtypes.BlueGreenDeploymentConfiguration{
			DeploymentReadyOption:                     &cdtypes.DeploymentReadyOption{ActionOnTimeout: cdtypes.DeploymentReadyActionContinueDeployment},
			TerminateBlueInstancesOnDeploymentSuccess: &cdtypes.BlueInstanceTerminationOption{Action: cdtypes.InstanceActionTerminate, TerminationWaitTimeInMinutes: 5},
		},
	}
	if mutate != nil {
		mutate(in)
	}
	f.must(f.cd.CreateDeploymentGroup(ctx, in))
	return f
}

func (f *fixture) must(_ any, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// function creates a hook function through lambda:CreateFunction, as a
// user's own setup would; env decides what it answers.
func (f *fixture) function(name string, env map[string]string) {
	f.t.Helper()
	f.must(f.fns.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String("arn:aws:iam::123456789012:role/hook"),
		Runtime: lambdatypes.RuntimePython312, Handler: aws.String("index.handler"), Code: &lambdatypes.FunctionCode{ZipFile: []byte("PK")},
		Environment: &lambdatypes.Environment{Variables: env}}))
}

func (f *fixture) event(id, name string) cdtypes.LifecycleEvent {
	f.t.Helper()
	for _, ev := range f.target(id).LifecycleEvents {
		if aws.ToString(ev.LifecycleEventName) == name {
			return ev
		}
	}
	f.t.Fatalf("no lifecycle event %s", name)
	return cdtypes.LifecycleEvent{}
}

func (f *fixture) register(tag string) string {
	out, err := f.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("web"), NetworkMode: ecstypes.NetworkModeAwsvpc, RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("nginx:" + tag), Essential: aws.Bool(true),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(80)}}}},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

// deploy starts a deployment of td with an AppSpec in YAML carrying hooks.
func (f *fixture) deploy(td, configName string, hooks string) string {
	f.t.Helper()
	appspec := fmt.Sprintf(`version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: "%s"
        LoadBalancerInfo:
          ContainerName: app
          ContainerPort: 80
        PlatformVersion: "1.4.0"
%s`, td, hooks)
	in := &cd.CreateDeploymentInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("dg"),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent, AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(appspec)}}}
	if configName != "" {
		in.DeploymentConfigName = aws.String(configName)
	}
	out, err := f.cd.CreateDeployment(ctx, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return aws.ToString(out.DeploymentId)
}

func (f *fixture) deployment(id string) *cdtypes.DeploymentInfo {
	f.t.Helper()
	out, err := f.cd.GetDeployment(ctx, &cd.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		f.t.Fatal(err)
	}
	return out.DeploymentInfo
}

func (f *fixture) target(id string) *cdtypes.ECSTarget {
	f.t.Helper()
	out, err := f.cd.GetDeploymentTarget(ctx, &cd.GetDeploymentTargetInput{DeploymentId: aws.String(id), TargetId: aws.String("demo:web")})
	if err != nil {
		f.t.Fatal(err)
	}
	return out.DeploymentTarget.EcsTarget
}

func (f *fixture) service() ecstypes.Service {
	f.t.Helper()
	out, err := f.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("demo"), Services: []string{"web"}})
	if err != nil {
		f.t.Fatal(err)
	}
	return out.Services[0]
}

func events(t *cdtypes.ECSTarget) map[string]cdtypes.LifecycleEventStatus {
	out := map[string]cdtypes.LifecycleEventStatus{}
	for _, ev := range t.LifecycleEvents {
		out[aws.ToString(ev.LifecycleEventName)] = ev.Status
	}
	return out
}

func greenWeight(t *cdtypes.ECSTarget) float64 {
	for _, ts := range t.TaskSetsInfo {
		if ts.TaskSetLabel == cdtypes.TargetLabelGreen {
			return ts.TrafficWeight
		}
	}
	return -1
}

func TestAllAtOnceSucceeds(t *testing.T) {
	f := setup(t, nil)
	svc := f.service()
	if len(svc.TaskSets) != 1 || aws.ToString(svc.TaskSets[0].Status) != "PRIMARY" || aws.ToString(svc.TaskDefinition) != f.tdV1 {
		t.Fatalf("a new CODE_DEPLOY service has one PRIMARY task set of its task definition, got %+v", svc.TaskSets)
	}
	id := f.deploy(f.tdV2, "", "")
	f.clock.Advance(30 * time.Second)
	d := f.deployment(id)
	if d.Status != cdtypes.DeploymentStatusInProgress || !d.InstanceTerminationWaitTimeStarted {
		t.Fatalf("after traffic moved the deployment waits for the termination of the original: %s %v", d.Status, d.InstanceTerminationWaitTimeStarted)
	}
	tg := f.target(id)
	for name, st := range events(tg) {
		want := cdtypes.LifecycleEventStatusSucceeded
		if name == "AllowTestTraffic" {
			want = cdtypes.LifecycleEventStatusSkipped // no test listener
		}
		if st != want {
			t.Errorf("%s: %s, want %s", name, st, want)
		}
	}
	if w := greenWeight(tg); w != 100 {
		t.Errorf("green traffic weight %v, want 100", w)
	}
	svc = f.service()
	if len(svc.TaskSets) != 2 || aws.ToString(svc.TaskDefinition) != f.tdV2 {
		t.Fatalf("during the termination wait both task sets run, the replacement PRIMARY: %v %+v", aws.ToString(svc.TaskDefinition), svc.TaskSets)
	}
	f.clock.Advance(5 * time.Minute)
	if d := f.deployment(id); d.Status != cdtypes.DeploymentStatusSucceeded || d.CompleteTime == nil {
		t.Fatalf("deployment %s, want Succeeded", d.Status)
	}
	svc = f.service()
	if len(svc.TaskSets) != 1 || aws.ToString(svc.TaskSets[0].TaskDefinition) != f.tdV2 || svc.RunningCount != 2 {
		t.Fatalf("after the wait only the replacement runs: %+v running %d", svc.TaskSets, svc.RunningCount)
	}
	list, err := f.cd.ListDeployments(ctx, &cd.ListDeploymentsInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("dg"),
		IncludeOnlyStatuses: []cdtypes.DeploymentStatus{cdtypes.DeploymentStatusSucceeded}})
	if err != nil || len(list.Deployments) != 1 || list.Deployments[0] != id {
		t.Fatalf("ListDeployments Succeeded: %v %v", list, err)
	}
	g, err := f.cd.GetDeploymentGroup(ctx, &cd.GetDeploymentGroupInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("dg")})
	if err != nil || aws.ToString(g.DeploymentGroupInfo.LastSuccessfulDeployment.DeploymentId) != id {
		t.Fatalf("GetDeploymentGroup lastSuccessfulDeployment: %v", err)
	}
}

func TestCanaryShiftsTenPercentThenTheRest(t *testing.T) {
	f := setup(t, nil)
	id := f.deploy(f.tdV2, "CodeDeployDefault.ECSCanary10Percent5Minutes", "")
	f.clock.Advance(10 * time.Second)
	tg := f.target(id)
	if w := greenWeight(tg); w != 10 || events(tg)["AllowTraffic"] != cdtypes.LifecycleEventStatusInProgress {
		t.Fatalf("canary: green weight %v, AllowTraffic %s", w, events(tg)["AllowTraffic"])
	}
	f.clock.Advance(4 * time.Minute)
	if w := greenWeight(f.target(id)); w != 10 {
		t.Fatalf("still 10%% before 5 minutes, got %v", w)
	}
	f.clock.Advance(2 * time.Minute)
	tg = f.target(id)
	if w := greenWeight(tg); w != 100 || events(tg)["AfterAllowTraffic"] != cdtypes.LifecycleEventStatusSucceeded {
		t.Fatalf("after the canary interval: weight %v, AfterAllowTraffic %s", w, events(tg)["AfterAllowTraffic"])
	}
	// A second deployment cannot start while this one waits for termination.
	_, err := f.cd.CreateDeployment(ctx, &cd.CreateDeploymentInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("dg"),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent, AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String("{}")}}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "DeploymentLimitExceededException" {
		t.Fatalf("concurrent deployment: %v", err)
	}
	if _, err := f.cd.ContinueDeployment(ctx, &cd.ContinueDeploymentInput{DeploymentId: aws.String(id), DeploymentWaitType: cdtypes.DeploymentWaitTypeTerminationWait}); err != nil {
		t.Fatal(err)
	}
	if d := f.deployment(id); d.Status != cdtypes.DeploymentStatusSucceeded {
		t.Fatalf("ContinueDeployment TERMINATION_WAIT ends the wait: %s", d.Status)
	}
}

func TestStopDeploymentRollsBack(t *testing.T) {
	f := setup(t, nil)
	id := f.deploy(f.tdV2, "CodeDeployDefault.ECSLinear10PercentEvery1Minutes", "")
	f.clock.Advance(2*time.Minute + 10*time.Second)
	if w := greenWeight(f.target(id)); w != 30 {
		t.Fatalf("linear: 30%% after two intervals, got %v", w)
	}
	out, err := f.cd.StopDeployment(ctx, &cd.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(true)})
	if err != nil || out.Status != cdtypes.StopStatusPending {
		t.Fatalf("StopDeployment: %v %v", out, err)
	}
	d := f.deployment(id)
	if d.Status != cdtypes.DeploymentStatusStopped || d.RollbackInfo == nil || d.RollbackInfo.RollbackDeploymentId == nil {
		t.Fatalf("stopped deployment: %s %+v", d.Status, d.RollbackInfo)
	}
	rb := aws.ToString(d.RollbackInfo.RollbackDeploymentId)
	f.clock.Advance(10 * time.Second)
	r := f.deployment(rb)
	if r.Status != cdtypes.DeploymentStatusSucceeded || r.Creator != cdtypes.DeploymentCreatorCodeDeployRollback || aws.ToString(r.RollbackInfo.RollbackTriggeringDeploymentId) != id {
		t.Fatalf("rollback deployment: %s %s %+v", r.Status, r.Creator, r.RollbackInfo)
	}
	svc := f.service()
	if len(svc.TaskSets) != 1 || aws.ToString(svc.TaskDefinition) != f.tdV1 {
		t.Fatalf("after rollback only the original runs: %+v", svc.TaskSets)
	}
	if _, err := f.cd.StopDeployment(ctx, &cd.StopDeploymentInput{DeploymentId: aws.String(id)}); err == nil {
		t.Fatal("stopping a finished deployment must fail")
	}
}

func TestFailingHookRollsBack(t *testing.T) {
	f := setup(t, nil)
	f.e.CodeDeploy().SetHookResult("arn:aws:lambda:us-east-1:123456789012:function:smoke", codedeploy.HookResult{Status: "Failed", Message: "smoke test: 503 from /health"})
	f.function("ok", nil)
	id := f.deploy(f.tdV2, "", "Hooks:\n  - AfterAllowTraffic: \"arn:aws:lambda:us-east-1:123456789012:function:smoke\"\n  - BeforeInstall: ok\n")
	f.clock.Advance(time.Minute)
	d := f.deployment(id)
	if d.Status != cdtypes.DeploymentStatusFailed || d.ErrorInformation == nil || d.ErrorInformation.Code != cdtypes.ErrorCodeHookExecutionFailure {
		t.Fatalf("deployment %s %+v", d.Status, d.ErrorInformation)
	}
	tg := f.target(id)
	var diag *cdtypes.Diagnostics
	for _, ev := range tg.LifecycleEvents {
		if aws.ToString(ev.LifecycleEventName) == "AfterAllowTraffic" {
			diag = ev.Diagnostics
			if ev.Status != cdtypes.LifecycleEventStatusFailed {
				t.Errorf("AfterAllowTraffic %s", ev.Status)
			}
		}
	}
	if diag == nil || aws.ToString(diag.Message) != "smoke test: 503 from /health" {
		t.Fatalf("diagnostics %+v", diag)
	}
	if d.RollbackInfo == nil {
		t.Fatal("auto-rollback on DEPLOYMENT_FAILURE")
	}
	f.clock.Advance(time.Minute)
	svc := f.service()
	if len(svc.TaskSets) != 1 || aws.ToString(svc.TaskDefinition) != f.tdV1 || aws.ToString(svc.TaskSets[0].Status) != "PRIMARY" {
		t.Fatalf("the original is PRIMARY again and alone: %s %+v", aws.ToString(svc.TaskDefinition), svc.TaskSets)
	}
}

func TestReadyWaitNeedsContinue(t *testing.T) {
	f := setup(t, func(in *cd.CreateDeploymentGroupInput) {
		in.BlueGreenDeploymentConfiguration.DeploymentReadyOption = &cdtypes.DeploymentReadyOption{
			ActionOnTimeout: cdtypes.DeploymentReadyActionStopDeployment, WaitTimeInMinutes: 30}
		in.LoadBalancerInfo.TargetGroupPairInfoList[0].TestTrafficRoute = &cdtypes.TrafficRoute{ListenerArns: []string{"arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/1/2"}}
	})
	id := f.deploy(f.tdV2, "", "")
	f.clock.Advance(time.Minute)
	if d := f.deployment(id); d.Status != cdtypes.DeploymentStatusReady {
		t.Fatalf("waits in Ready, got %s", d.Status)
	}
	if st := events(f.target(id))["AllowTestTraffic"]; st != cdtypes.LifecycleEventStatusSucceeded {
		t.Fatalf("with a test listener AllowTestTraffic runs: %s", st)
	}
	if w := greenWeight(f.target(id)); w != 0 {
		t.Fatalf("no production traffic before ContinueDeployment: %v", w)
	}
	if _, err := f.cd.ContinueDeployment(ctx, &cd.ContinueDeploymentInput{DeploymentId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	if w := greenWeight(f.target(id)); w != 100 {
		t.Fatalf("traffic after continue: %v", w)
	}
	if _, err := f.cd.ContinueDeployment(ctx, &cd.ContinueDeploymentInput{DeploymentId: aws.String(id)}); err == nil {
		t.Fatal("READY_WAIT is over: ContinueDeployment must fail")
	}
}

func TestReadyWaitTimesOut(t *testing.T) {
	f := setup(t, func(in *cd.CreateDeploymentGroupInput) {
		in.BlueGreenDeploymentConfiguration.DeploymentReadyOption = &cdtypes.DeploymentReadyOption{
			ActionOnTimeout: cdtypes.DeploymentReadyActionStopDeployment, WaitTimeInMinutes: 10}
	})
	id := f.deploy(f.tdV2, "", "")
	f.clock.Advance(11 * time.Minute)
	d := f.deployment(id)
	if d.Status != cdtypes.DeploymentStatusStopped || d.ErrorInformation.Code != cdtypes.ErrorCodeTimeout || d.RollbackInfo == nil {
		t.Fatalf("ready wait timeout: %s %+v %+v", d.Status, d.ErrorInformation, d.RollbackInfo)
	}
	f.clock.Advance(time.Minute)
	if svc := f.service(); len(svc.TaskSets) != 1 || aws.ToString(svc.TaskDefinition) != f.tdV1 {
		t.Fatalf("rolled back to the original: %+v", svc.TaskSets)
	}
}

func TestUpdateServiceRefusals(t *testing.T) {
	f := setup(t, nil)
	_, err := f.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("demo"), Service: aws.String("web"), TaskDefinition: aws.String(f.tdV2)})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameterException" ||
		ae.ErrorMessage() != "Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment." {
		t.Fatalf("UpdateService taskDefinition: %v", err)
	}
	if _, err := f.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("demo"), Service: aws.String("web"), ForceNewDeployment: true}); err == nil {
		t.Fatal("forceNewDeployment must be refused")
	}
	if _, err := f.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("demo"), Service: aws.String("web"), DesiredCount: aws.Int32(4)}); err != nil {
		t.Fatalf("the desired count can change: %v", err)
	}
	f.clock.Advance(time.Minute)
	if svc := f.service(); svc.TaskSets[0].ComputedDesiredCount != 4 || svc.RunningCount != 4 {
		t.Fatalf("task set follows the desired count: %+v", svc.TaskSets[0])
	}
	if _, err := f.ecs.CreateTaskSet(ctx, &ecs.CreateTaskSetInput{Cluster: aws.String("demo"), Service: aws.String("web"), TaskDefinition: aws.String(f.tdV2)}); err == nil {
		t.Fatal("CreateTaskSet is for EXTERNAL services only")
	}
}

func TestExternalTaskSets(t *testing.T) {
	f := setup(t, nil)
	f.must(f.ecs.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("demo"), ServiceName: aws.String("ext"), TaskDefinition: aws.String(f.tdV1),
		DesiredCount: aws.Int32(2), DeploymentController: &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeExternal},
		LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}}}))
	ts, err := f.ecs.CreateTaskSet(ctx, &ecs.CreateTaskSetInput{Cluster: aws.String("demo"), Service: aws.String("ext"), TaskDefinition: aws.String(f.tdV2),
		LaunchType: ecstypes.LaunchTypeFargate, Scale: &ecstypes.Scale{Value: 50, Unit: ecstypes.ScaleUnitPercent},
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(ts.TaskSet.Id)
	if ts.TaskSet.ComputedDesiredCount != 1 || aws.ToString(ts.TaskSet.Status) != "PRIMARY" {
		t.Fatalf("first task set: %+v", ts.TaskSet)
	}
	f.must(f.ecs.UpdateTaskSet(ctx, &ecs.UpdateTaskSetInput{Cluster: aws.String("demo"), Service: aws.String("ext"), TaskSet: aws.String(id), Scale: &ecstypes.Scale{Value: 100, Unit: ecstypes.ScaleUnitPercent}}))
	f.clock.Advance(time.Minute)
	d, err := f.ecs.DescribeTaskSets(ctx, &ecs.DescribeTaskSetsInput{Cluster: aws.String("demo"), Service: aws.String("ext"), TaskSets: []string{id, "nope"}})
	if err != nil || len(d.TaskSets) != 1 || d.TaskSets[0].RunningCount != 2 || d.TaskSets[0].StabilityStatus != ecstypes.StabilityStatusSteadyState || len(d.Failures) != 1 {
		t.Fatalf("DescribeTaskSets: %+v %v", d, err)
	}
	f.must(f.ecs.UpdateServicePrimaryTaskSet(ctx, &ecs.UpdateServicePrimaryTaskSetInput{Cluster: aws.String("demo"), Service: aws.String("ext"), PrimaryTaskSet: aws.String(id)}))
	if _, err := f.ecs.DeleteTaskSet(ctx, &ecs.DeleteTaskSetInput{Cluster: aws.String("demo"), Service: aws.String("ext"), TaskSet: aws.String(id)}); err == nil {
		t.Fatal("deleting the primary needs force")
	}
	f.must(f.ecs.DeleteTaskSet(ctx, &ecs.DeleteTaskSetInput{Cluster: aws.String("demo"), Service: aws.String("ext"), TaskSet: aws.String(id), Force: aws.Bool(true)}))
	if _, err := f.ecs.DeleteTaskSet(ctx, &ecs.DeleteTaskSetInput{Cluster: aws.String("demo"), Service: aws.String("ext"), TaskSet: aws.String(id)}); err == nil {
		t.Fatal("a deleted task set is gone")
	}
}

func TestValidationErrors(t *testing.T) {
	f := setup(t, nil)
	var ae smithy.APIError
	_, err := f.cd.GetApplication(ctx, &cd.GetApplicationInput{ApplicationName: aws.String("nope")})
	if !errors.As(err, &ae) || ae.ErrorCode() != "ApplicationDoesNotExistException" {
		t.Fatalf("GetApplication: %v", err)
	}
	_, err = f.cd.GetDeploymentGroup(ctx, &cd.GetDeploymentGroupInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("nope")})
	if !errors.As(err, &ae) || ae.ErrorCode() != "DeploymentGroupDoesNotExistException" {
		t.Fatalf("GetDeploymentGroup: %v", err)
	}
	_, err = f.cd.CreateDeployment(ctx, &cd.CreateDeploymentInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("dg"),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent, AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(`{"Resources": []}`)}}})
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidRevisionException" {
		t.Fatalf("bad AppSpec: %v", err)
	}
	_, err = f.cd.GetDeployment(ctx, &cd.GetDeploymentInput{DeploymentId: aws.String("d-XXXXXXXXX")})
	if !errors.As(err, &ae) || ae.ErrorCode() != "DeploymentDoesNotExistException" {
		t.Fatalf("GetDeployment: %v", err)
	}
	// The JSON AppSpec form works as well; a task definition that does not exist fails Install.
	appspec := `{"version": 0.0, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": "web:99", "LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 80}}}}]}`
	out, err := f.cd.CreateDeployment(ctx, &cd.CreateDeploymentInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("dg"),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent, AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(appspec)}}})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	if d := f.deployment(aws.ToString(out.DeploymentId)); d.Status != cdtypes.DeploymentStatusFailed || d.ErrorInformation.Code != cdtypes.ErrorCodeEcsUpdateError {
		t.Fatalf("missing task definition: %s %+v", d.Status, d.ErrorInformation)
	}
	apps, err := f.cd.ListApplications(ctx, &cd.ListApplicationsInput{})
	if err != nil || len(apps.Applications) != 1 {
		t.Fatalf("ListApplications %v %v", apps, err)
	}
	groups, err := f.cd.ListDeploymentGroups(ctx, &cd.ListDeploymentGroupsInput{ApplicationName: aws.String("app")})
	if err != nil || len(groups.DeploymentGroups) != 1 {
		t.Fatalf("ListDeploymentGroups %v %v", groups, err)
	}
}

func TestSeedSection(t *testing.T) {
	seed, err := awsemu.ParseSeed([]byte(`
ecs:
  clusters: [{name: demo}]
  taskDefinitions:
    - {family: web, containerDefinitions: [{name: app, image: "nginx:1", essential: true, memory: 128}]}
  services:
    - {cluster: demo, serviceName: web, taskDefinition: web, desiredCount: 1, deploymentController: {type: CODE_DEPLOY}}
codedeploy:
  applications: [{applicationName: app, computePlatform: ECS}]
  deploymentGroups:
    - applicationName: app
      deploymentGroupName: dg
      serviceRoleArn: arn:aws:iam::123456789012:role/codedeploy
      ecsServices: [{clusterName: demo, serviceName: web}]
      deploymentStyle: {deploymentType: BLUE_GREEN, deploymentOption: WITH_TRAFFIC_CONTROL}
      loadBalancerInfo:
        targetGroupPairInfoList:
          - targetGroups: [{name: blue}, {name: green}]
            prodTrafficRoute: {listenerArns: ["arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/1/1"]}
      blueGreenDeploymentConfiguration:
        terminateBlueInstancesOnDeploymentSuccess: {action: TERMINATE, terminationWaitTimeInMinutes: 0}
  hooks:
    smoke: {status: Failed, message: boom}
  timings: {event: 2s, hook: 3s, hookTimeout: 10m}
`))
	if err != nil {
		t.Fatal(err)
	}
	e := awsemu.New(awsemu.Options{})
	if err := e.ApplySeed(seed); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	t.Setenv("AWS_ENDPOINT_URL", e.URL())
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(e.Region()))
	if err != nil {
		t.Fatal(err)
	}
	g, err := cd.NewFromConfig(cfg).GetDeploymentGroup(ctx, &cd.GetDeploymentGroupInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("dg")})
	if err != nil || aws.ToString(g.DeploymentGroupInfo.DeploymentConfigName) != "CodeDeployDefault.ECSAllAtOnce" {
		t.Fatalf("seeded group: %+v %v", g, err)
	}
	svc, err := ecs.NewFromConfig(cfg).DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("demo"), Services: []string{"web"}})
	if err != nil || len(svc.Services[0].TaskSets) != 1 || svc.Services[0].TaskSets[0].StabilityStatus != ecstypes.StabilityStatusSteadyState {
		t.Fatalf("a seeded CODE_DEPLOY service starts steady: %+v %v", svc, err)
	}
}

func TestInstallWaitsForTheReplacementTasks(t *testing.T) {
	f := setup(t, nil)
	id := f.deploy(f.tdV2, "", "")
	// BeforeInstall takes 1 s; the replacement needs Provision + Pending (3 s).
	f.clock.Advance(3500 * time.Millisecond)
	tg := f.target(id)
	var green *cdtypes.ECSTaskSet
	for i := range tg.TaskSetsInfo {
		if tg.TaskSetsInfo[i].TaskSetLabel == cdtypes.TargetLabelGreen {
			green = &tg.TaskSetsInfo[i]
		}
	}
	if events(tg)["Install"] != cdtypes.LifecycleEventStatusInProgress || green == nil || green.PendingCount != 2 || green.RunningCount != 0 {
		t.Fatalf("Install waits while the replacement starts: %s %+v", events(tg)["Install"], green)
	}
	f.clock.Advance(time.Second)
	if st := events(f.target(id))["Install"]; st != cdtypes.LifecycleEventStatusSucceeded {
		t.Fatalf("Install once the replacement runs: %s", st)
	}
}

func TestCustomDeploymentConfig(t *testing.T) {
	f := setup(t, nil)
	f.must(f.cd.CreateDeploymentConfig(ctx, &cd.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("half"), ComputePlatform: cdtypes.ComputePlatformEcs,
		TrafficRoutingConfig: &cdtypes.TrafficRoutingConfig{Type: cdtypes.TrafficRoutingTypeTimeBasedLinear, TimeBasedLinear: &cdtypes.TimeBasedLinear{LinearInterval: 2, LinearPercentage: 50}}}))
	if _, err := f.cd.CreateDeploymentConfig(ctx, &cd.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("bad"), ComputePlatform: cdtypes.ComputePlatformEcs,
		TrafficRoutingConfig: &cdtypes.TrafficRoutingConfig{Type: cdtypes.TrafficRoutingTypeTimeBasedCanary}}); err == nil {
		t.Fatal("a canary without its percentage is invalid")
	}
	id := f.deploy(f.tdV2, "half", "")
	f.clock.Advance(time.Minute)
	if w := greenWeight(f.target(id)); w != 50 {
		t.Fatalf("first step 50%%, got %v", w)
	}
	f.clock.Advance(2 * time.Minute)
	if w := greenWeight(f.target(id)); w != 100 {
		t.Fatalf("second step 100%%, got %v", w)
	}
	list, err := f.cd.ListDeploymentConfigs(ctx, &cd.ListDeploymentConfigsInput{})
	if err != nil || list.DeploymentConfigsList[len(list.DeploymentConfigsList)-1] != "half" {
		t.Fatalf("ListDeploymentConfigs: %v %v", list, err)
	}
}
