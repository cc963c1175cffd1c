package awsemu

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	emulambda "github.com/doppio-ecs/doppio/tests/awsemu/lambda"
)

// bgFixture is what a user's setup script makes for an ECS blue/green
// service, all through the APIs: an infrastructure role, two target groups,
// a load balancer with a production and a test listener, a production rule,
// Lambda functions, and a service whose first deployment completed.
type bgFixture struct {
	*ecsFixture
	elb                  *elb.Client
	lambda               *lambda.Client
	role                 string
	blueTG, greenTG      string
	prodRule, testListen string
	td1, td2             string
}

func newBGFixture(t *testing.T) *bgFixture {
	t.Helper()
	f := &bgFixture{ecsFixture: newECSFixture(t)}
	cfg := sdkConfig(t, f.e, 1)
	f.elb, f.lambda = elb.NewFromConfig(cfg), lambda.NewFromConfig(cfg)
	ctx := f.ctx
	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ecsInfrastructureRole"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	f.role = aws.ToString(role.Role.Arn)
	if _, err := iam.NewFromConfig(cfg).AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("ecsInfrastructureRole"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers")}); err != nil {
		t.Fatal(err)
	}
	tg := func(name string) string {
		out, err := f.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String(name), Port: aws.Int32(8080),
			Protocol: elbtypes.ProtocolEnumHttp, TargetType: elbtypes.TargetTypeEnumIp, VpcId: aws.String("vpc-made-up")})
		if err != nil {
			t.Fatal(err)
		}
		arn := out.TargetGroups[0].TargetGroupArn
		// No connection draining (ELB's default is 300 s): the stage walk is
		// what these tests follow, not the drain.
		if _, err := f.elb.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: arn,
			Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("0")}}}); err != nil {
			t.Fatal(err)
		}
		return aws.ToString(arn)
	}
	f.blueTG, f.greenTG = tg("web-blue"), tg("web-green")
	lb, err := f.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web"), Subnets: []string{"subnet-made-up-1", "subnet-made-up-2"}})
	if err != nil {
		t.Fatal(err)
	}
	lbARN := lb.LoadBalancers[0].LoadBalancerArn
	listener := func(port int32) string {
		out, err := f.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lbARN, Port: aws.Int32(port), Protocol: elbtypes.ProtocolEnumHttp,
			DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumFixedResponse, FixedResponseConfig: &elbtypes.FixedResponseActionConfig{StatusCode: aws.String("404")}}}})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Listeners[0].ListenerArn)
	}
	prod := listener(80)
	f.testListen = listener(8080)
	rule, err := f.elb.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: aws.String(prod), Priority: aws.Int32(10),
		Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/*"}}},
		Actions:    []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(f.blueTG)}}})
	if err != nil {
		t.Fatal(err)
	}
	f.prodRule = aws.ToString(rule.Rules[0].RuleArn)
	f.td1 = f.register(fargateTD("web", "nginx:1"))
	f.td2 = f.register(fargateTD("web", "nginx:2"))
	return f
}

func (f *bgFixture) function(name string, env map[string]string) string {
	f.t.Helper()
	out, err := f.lambda.CreateFunction(f.ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String(f.role),
		Runtime: lambdatypes.RuntimePython312, Handler: aws.String("hook.handler"), Code: &lambdatypes.FunctionCode{ZipFile: []byte("PK")},
		Environment: &lambdatypes.Environment{Variables: env}})
	if err != nil {
		f.t.Fatal(err)
	}
	return aws.ToString(out.FunctionArn)
}

func (f *bgFixture) loadBalancers() []ecstypes.LoadBalancer {
	return []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(f.blueTG), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080),
		AdvancedConfiguration: &ecstypes.AdvancedConfiguration{AlternateTargetGroupArn: aws.String(f.greenTG),
			ProductionListenerRule: aws.String(f.prodRule), TestListenerRule: aws.String(f.testListen), RoleArn: aws.String(f.role)}}}
}

// create makes the service with dc and waits for its first deployment.
func (f *bgFixture) create(dc *ecstypes.DeploymentConfiguration) {
	f.t.Helper()
	_, err := f.c.CreateService(f.ctx, &ecs.CreateServiceInput{Cluster: aws.String("app"), ServiceName: aws.String("web"), TaskDefinition: aws.String(f.td1),
		DesiredCount: aws.Int32(2), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork,
		LoadBalancers: f.loadBalancers(), DeploymentConfiguration: dc})
	if err != nil {
		f.t.Fatal(err)
	}
	f.until("web", time.Second, 30, func(s ecstypes.Service) bool {
		return len(s.Deployments) == 1 && s.Deployments[0].RolloutState == ecstypes.DeploymentRolloutStateCompleted
	})
}

func (f *bgFixture) deploy() string {
	f.t.Helper()
	out, err := f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"), TaskDefinition: aws.String(f.td2)})
	if err != nil {
		f.t.Fatal(err)
	}
	return aws.ToString(out.Service.CurrentServiceDeployment)
}

func (f *bgFixture) sd(arn string) ecstypes.ServiceDeployment {
	f.t.Helper()
	out, err := f.c.DescribeServiceDeployments(f.ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
	if err != nil || len(out.ServiceDeployments) != 1 {
		f.t.Fatalf("describe service deployment: %v %+v", err, out)
	}
	return out.ServiceDeployments[0]
}

// prodWeights reads the production rule back through DescribeRules.
func (f *bgFixture) weights(arn string, listener bool) (blue, green int32) {
	f.t.Helper()
	var actions []elbtypes.Action
	if listener {
		out, err := f.elb.DescribeListeners(f.ctx, &elb.DescribeListenersInput{ListenerArns: []string{arn}})
		if err != nil {
			f.t.Fatal(err)
		}
		actions = out.Listeners[0].DefaultActions
	} else {
		out, err := f.elb.DescribeRules(f.ctx, &elb.DescribeRulesInput{RuleArns: []string{arn}})
		if err != nil {
			f.t.Fatal(err)
		}
		actions = out.Rules[0].Actions
	}
	for _, a := range actions {
		if a.ForwardConfig == nil {
			continue
		}
		for _, tg := range a.ForwardConfig.TargetGroups {
			switch aws.ToString(tg.TargetGroupArn) {
			case f.blueTG:
				blue = aws.ToInt32(tg.Weight)
			case f.greenTG:
				green = aws.ToInt32(tg.Weight)
			}
		}
	}
	return blue, green
}

// walk advances the clock by step until the service deployment ends,
// calling each at every step, and returns it.
func (f *bgFixture) walk(arn string, step time.Duration, limit int, each func(ecstypes.ServiceDeployment)) ecstypes.ServiceDeployment {
	f.t.Helper()
	for i := 0; i < limit; i++ {
		sd := f.sd(arn)
		if each != nil {
			each(sd)
		}
		switch sd.Status {
		case ecstypes.ServiceDeploymentStatusSuccessful, ecstypes.ServiceDeploymentStatusRollbackSuccessful,
			ecstypes.ServiceDeploymentStatusRollbackFailed, ecstypes.ServiceDeploymentStatusStopped:
			return sd
		}
		f.clk.Advance(step)
	}
	sd := f.sd(arn)
	f.t.Fatalf("service deployment still %s at %s after %d steps; events: %s", sd.Status, sd.LifecycleStage, limit, eventsString(f.service("web"), 10))
	return sd
}

func stageIndex(st ecstypes.ServiceDeploymentLifecycleStage) int {
	for i, s := range bgStages {
		if s == st {
			return i
		}
	}
	return -1
}

func TestECSBlueGreenDeploymentWalksStagesAndShiftsTraffic(t *testing.T) {
	f := newBGFixture(t)
	hook := f.function("check", map[string]string{emulambda.EnvHookInProgressCalls: "2", emulambda.EnvHookCallBackDelay: "10"})
	f.create(&ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(3),
		LifecycleHooks: []ecstypes.DeploymentLifecycleHook{{HookTargetArn: aws.String(hook), RoleArn: aws.String(f.role),
			LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStagePostTestTrafficShift}}}})
	if b, g := f.weights(f.prodRule, false); b != 1 || g != 0 {
		t.Fatalf("before: production rule weights blue=%d green=%d, want the rule as created (blue only)", b, g)
	}
	arn := f.deploy()
	var stages []ecstypes.ServiceDeploymentLifecycleStage
	sawHook, sawBoth := false, false
	var bakeStart time.Time
	sd := f.walk(arn, 5*time.Second, 200, func(sd ecstypes.ServiceDeployment) {
		if n := len(stages); n == 0 || stages[n-1] != sd.LifecycleStage {
			if n > 0 && stageIndex(sd.LifecycleStage) < stageIndex(stages[n-1]) {
				t.Errorf("stage went back from %s to %s", stages[n-1], sd.LifecycleStage)
			}
			stages = append(stages, sd.LifecycleStage)
		}
		if sd.LifecycleStage == ecstypes.ServiceDeploymentLifecycleStagePostTestTrafficShift {
			if len(sd.LifecycleHookDetails) == 1 && sd.LifecycleHookDetails[0].Status == ecstypes.DeploymentLifecycleHookStatusInProgress &&
				aws.ToString(sd.LifecycleHookDetails[0].TargetArn) == hook {
				sawHook = true
			}
			if b, g := f.weights(f.testListen, true); b != 0 || g != 100 {
				t.Errorf("test listener during %s: blue=%d green=%d", sd.LifecycleStage, b, g)
			}
			if b, g := f.weights(f.prodRule, false); g != 0 {
				t.Errorf("production rule before the production shift: blue=%d green=%d", b, g)
			}
		}
		if sd.LifecycleStage == ecstypes.ServiceDeploymentLifecycleStageBakeTime {
			if bakeStart.IsZero() {
				bakeStart = f.clk.Now()
			}
			if b, g := f.weights(f.prodRule, false); b != 0 || g != 100 {
				t.Errorf("production rule during the bake: blue=%d green=%d", b, g)
			}
			if w := aws.ToFloat64(sd.TargetServiceRevision.RequestedProductionTrafficWeight); w != 100 {
				t.Errorf("target revision production weight %v during bake", w)
			}
			svc := f.service("web")
			if len(svc.Deployments) == 2 && svc.RunningCount == 4 {
				sawBoth = true // blue and green side by side
			}
		}
	})
	if sd.Status != ecstypes.ServiceDeploymentStatusSuccessful {
		t.Fatalf("status %s (%s), want SUCCESSFUL", sd.Status, aws.ToString(sd.StatusReason))
	}
	for _, want := range []ecstypes.ServiceDeploymentLifecycleStage{ecstypes.ServiceDeploymentLifecycleStageScaleUp,
		ecstypes.ServiceDeploymentLifecycleStagePostTestTrafficShift, ecstypes.ServiceDeploymentLifecycleStageBakeTime} {
		found := false
		for _, s := range stages {
			found = found || s == want
		}
		if !found {
			t.Errorf("stage %s never seen; saw %v", want, stages)
		}
	}
	if !sawHook || !sawBoth {
		t.Errorf("hook in progress seen: %v; blue and green side by side seen: %v", sawHook, sawBoth)
	}
	if d := f.clk.Now().Sub(bakeStart); d < 3*time.Minute {
		t.Errorf("baked %s, want ≥ 3m", d)
	}
	svc := f.service("web")
	if len(svc.Deployments) != 1 || aws.ToString(svc.TaskDefinition) != f.td2 || svc.RunningCount != 2 {
		t.Errorf("after CLEAN_UP: deployments=%s running=%d td=%s", deploymentsString(svc), svc.RunningCount, aws.ToString(svc.TaskDefinition))
	}
	if !hasEvent(svc, "entered lifecycle stage CLEAN_UP") {
		t.Errorf("no CLEAN_UP event: %s", eventsString(svc, 12))
	}
	// The next deployment shifts back: the alternate group is now blue.
	arn = f.deploy2(f.td1)
	f.walk(arn, 5*time.Second, 200, nil)
	if b, g := f.weights(f.prodRule, false); b != 100 || g != 0 {
		t.Errorf("after a second deployment: blue=%d green=%d, want production back on the first group", b, g)
	}
}

func (f *bgFixture) deploy2(td string) string {
	f.t.Helper()
	out, err := f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"), TaskDefinition: aws.String(td)})
	if err != nil {
		f.t.Fatal(err)
	}
	return aws.ToString(out.Service.CurrentServiceDeployment)
}

func TestECSLinearAndCanaryShiftInSteps(t *testing.T) {
	for _, tc := range []struct {
		name string
		dc   ecstypes.DeploymentConfiguration
		want []int32
	}{
		{"linear", ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyLinear,
			LinearConfiguration: &ecstypes.LinearConfiguration{StepPercent: aws.Float64(25), StepBakeTimeInMinutes: aws.Int32(1)}}, []int32{25, 50, 75, 100}},
		{"canary", ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyCanary,
			CanaryConfiguration: &ecstypes.CanaryConfiguration{CanaryPercent: aws.Float64(10), CanaryBakeTimeInMinutes: aws.Int32(2)}}, []int32{10, 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newBGFixture(t)
			f.create(&tc.dc)
			arn := f.deploy()
			var seen []int32
			sd := f.walk(arn, 10*time.Second, 200, func(ecstypes.ServiceDeployment) {
				if _, g := f.weights(f.prodRule, false); g > 0 && (len(seen) == 0 || seen[len(seen)-1] != g) {
					seen = append(seen, g)
				}
			})
			if sd.Status != ecstypes.ServiceDeploymentStatusSuccessful {
				t.Fatalf("status %s", sd.Status)
			}
			if jsonOf(seen) != jsonOf(tc.want) {
				t.Errorf("green production weights %v, want %v", seen, tc.want)
			}
		})
	}
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestECSBlueGreenFailingLambdaHookRollsBack(t *testing.T) {
	f := newBGFixture(t)
	hook := f.function("smoke", map[string]string{emulambda.EnvHookStatus: "FAILED"})
	f.create(&ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen,
		LifecycleHooks: []ecstypes.DeploymentLifecycleHook{{HookTargetArn: aws.String(hook), RoleArn: aws.String(f.role),
			LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStagePostTestTrafficShift}}}})
	arn := f.deploy()
	sd := f.walk(arn, time.Second, 100, nil)
	if sd.Status != ecstypes.ServiceDeploymentStatusRollbackSuccessful || sd.Rollback == nil {
		t.Fatalf("status %s rollback %+v, want ROLLBACK_SUCCESSFUL", sd.Status, sd.Rollback)
	}
	if !strings.Contains(aws.ToString(sd.StatusReason), "failed at POST_TEST_TRAFFIC_SHIFT") {
		t.Errorf("statusReason %q", aws.ToString(sd.StatusReason))
	}
	if len(sd.LifecycleHookDetails) != 1 || sd.LifecycleHookDetails[0].Status != ecstypes.DeploymentLifecycleHookStatusFailed {
		t.Errorf("hook details %+v", sd.LifecycleHookDetails)
	}
	if b, g := f.weights(f.testListen, true); b != 100 || g != 0 {
		t.Errorf("test traffic after rollback: blue=%d green=%d", b, g)
	}
	svc := f.service("web")
	if aws.ToString(svc.TaskDefinition) != f.td1 || len(svc.Deployments) != 1 || svc.RunningCount != 2 {
		t.Errorf("after rollback: td=%s deployments=%s running=%d", aws.ToString(svc.TaskDefinition), deploymentsString(svc), svc.RunningCount)
	}
	if !hasEvent(svc, "lifecycle hook") || !hasEvent(svc, "rolling back to revision") {
		t.Errorf("events: %s", eventsString(svc, 10))
	}
}

func TestECSBlueGreenPauseHookContinueAndRollback(t *testing.T) {
	for _, action := range []ecstypes.DeploymentLifecycleHookAction{ecstypes.DeploymentLifecycleHookActionContinue, ecstypes.DeploymentLifecycleHookActionRollback} {
		t.Run(string(action), func(t *testing.T) {
			f := newBGFixture(t)
			f.create(&ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen,
				LifecycleHooks: []ecstypes.DeploymentLifecycleHook{{TargetType: ecstypes.DeploymentLifecycleHookTargetTypePause,
					LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStagePostScaleUp}}}})
			arn := f.deploy()
			var hookID string
			for i := 0; i < 60 && hookID == ""; i++ {
				sd := f.sd(arn)
				for _, h := range sd.LifecycleHookDetails {
					if h.Status == ecstypes.DeploymentLifecycleHookStatusAwaitingAction && h.TargetType == ecstypes.DeploymentLifecycleHookTargetTypePause {
						hookID = aws.ToString(h.HookId)
						if sd.LifecycleStage != ecstypes.ServiceDeploymentLifecycleStagePostScaleUp || h.TimeoutAction != ecstypes.DeploymentLifecycleHookActionRollback {
							t.Errorf("paused at %s, timeout action %s", sd.LifecycleStage, h.TimeoutAction)
						}
					}
				}
				f.clk.Advance(time.Second)
			}
			if hookID == "" {
				t.Fatal("the PAUSE hook never waited")
			}
			// Time alone does not move a paused deployment (short of its timeout).
			f.clk.Advance(30 * time.Minute)
			if sd := f.sd(arn); sd.LifecycleStage != ecstypes.ServiceDeploymentLifecycleStagePostScaleUp || sd.Status != ecstypes.ServiceDeploymentStatusInProgress {
				t.Fatalf("paused deployment moved on to %s %s", sd.LifecycleStage, sd.Status)
			}
			_, err := f.c.ContinueServiceDeployment(f.ctx, &ecs.ContinueServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), HookId: aws.String("nope")})
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameterException" {
				t.Errorf("unknown hook id: %v", err)
			}
			if _, err := f.c.ContinueServiceDeployment(f.ctx, &ecs.ContinueServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), HookId: aws.String(hookID), Action: action}); err != nil {
				t.Fatal(err)
			}
			sd := f.walk(arn, time.Second, 100, nil)
			want := ecstypes.ServiceDeploymentStatusSuccessful
			if action == ecstypes.DeploymentLifecycleHookActionRollback {
				want = ecstypes.ServiceDeploymentStatusRollbackSuccessful
			}
			if sd.Status != want {
				t.Errorf("status %s, want %s", sd.Status, want)
			}
		})
	}
}

func TestECSBlueGreenPauseHookTimesOut(t *testing.T) {
	f := newBGFixture(t)
	f.create(&ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen,
		LifecycleHooks: []ecstypes.DeploymentLifecycleHook{{TargetType: ecstypes.DeploymentLifecycleHookTargetTypePause,
			LifecycleStages:      []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStagePreScaleUp},
			TimeoutConfiguration: &ecstypes.DeploymentLifecycleHookTimeoutConfiguration{TimeoutInMinutes: aws.Int32(5), Action: ecstypes.DeploymentLifecycleHookActionContinue}}}})
	arn := f.deploy()
	start := f.clk.Now()
	sd := f.walk(arn, 30*time.Second, 100, nil)
	if sd.Status != ecstypes.ServiceDeploymentStatusSuccessful || f.clk.Now().Sub(start) < 5*time.Minute {
		t.Errorf("status %s after %s, want SUCCESSFUL after the 5 min timeout continued it", sd.Status, f.clk.Now().Sub(start))
	}
}

func TestECSBlueGreenStopDuringBakeRollsBack(t *testing.T) {
	f := newBGFixture(t)
	f.create(&ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(60)})
	arn := f.deploy()
	for i := 0; i < 60 && f.sd(arn).LifecycleStage != ecstypes.ServiceDeploymentLifecycleStageBakeTime; i++ {
		f.clk.Advance(time.Second)
	}
	if b, g := f.weights(f.prodRule, false); b != 0 || g != 100 {
		t.Fatalf("bake with production blue=%d green=%d", b, g)
	}
	if _, err := f.c.StopServiceDeployment(f.ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), StopType: ecstypes.StopServiceDeploymentStopTypeRollback}); err != nil {
		t.Fatal(err)
	}
	if b, g := f.weights(f.prodRule, false); b != 100 || g != 0 {
		t.Errorf("production right after the stop: blue=%d green=%d, want all on blue", b, g)
	}
	sd := f.walk(arn, time.Second, 30, nil)
	if sd.Status != ecstypes.ServiceDeploymentStatusRollbackSuccessful {
		t.Errorf("status %s", sd.Status)
	}
	if svc := f.service("web"); aws.ToString(svc.TaskDefinition) != f.td1 || len(svc.Deployments) != 1 {
		t.Errorf("after rollback: %s", deploymentsString(svc))
	}
}

func TestECSBlueGreenValidation(t *testing.T) {
	f := newBGFixture(t)
	bad := func(dc *ecstypes.DeploymentConfiguration, lbs []ecstypes.LoadBalancer, want string) {
		t.Helper()
		_, err := f.c.CreateService(f.ctx, &ecs.CreateServiceInput{Cluster: aws.String("app"), ServiceName: aws.String("bad"), TaskDefinition: aws.String(f.td1),
			DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork, LoadBalancers: lbs, DeploymentConfiguration: dc})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameterException" || !strings.Contains(ae.ErrorMessage(), want) {
			t.Errorf("want InvalidParameterException %q, got %v", want, err)
		}
	}
	bg := &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen}
	noAdvanced := []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(f.blueTG), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}}
	bad(bg, noAdvanced, "advancedConfiguration must be provided")
	lbs := f.loadBalancers()
	lbs[0].AdvancedConfiguration.AlternateTargetGroupArn = aws.String(f.blueTG)
	bad(bg, lbs, "must differ from targetGroupArn")
	lbs = f.loadBalancers()
	lbs[0].AdvancedConfiguration.ProductionListenerRule = aws.String(f.prodRule + "x")
	bad(bg, lbs, "Unable to find the production listener rule")
	bad(&ecstypes.DeploymentConfiguration{Strategy: "PURPLE"}, nil, "Invalid deployment strategy")
	bad(&ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen, LifecycleHooks: []ecstypes.DeploymentLifecycleHook{{
		TargetType: ecstypes.DeploymentLifecycleHookTargetTypePause, LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStageProductionTrafficShift}}}},
		f.loadBalancers(), "PAUSE lifecycle hooks cannot be configured at the PRODUCTION_TRAFFIC_SHIFT")
	bad(&ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen, LifecycleHooks: []ecstypes.DeploymentLifecycleHook{{
		LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStagePostScaleUp}}}}, f.loadBalancers(), "hookTargetArn must be provided")
	bad(&ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyLinear, LinearConfiguration: &ecstypes.LinearConfiguration{StepPercent: aws.Float64(1)}},
		f.loadBalancers(), "stepPercent must be")
	bad(&ecstypes.DeploymentConfiguration{LifecycleHooks: []ecstypes.DeploymentLifecycleHook{{TargetType: ecstypes.DeploymentLifecycleHookTargetTypePause,
		LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStagePostScaleUp}}}}, nil, "only supported with the BLUE_GREEN")
	pause := func(minutes int32) *ecstypes.DeploymentConfiguration {
		return &ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen, LifecycleHooks: []ecstypes.DeploymentLifecycleHook{{
			TargetType: ecstypes.DeploymentLifecycleHookTargetTypePause, LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStagePostScaleUp},
			TimeoutConfiguration: &ecstypes.DeploymentLifecycleHookTimeoutConfiguration{TimeoutInMinutes: aws.Int32(minutes)}}}}
	}
	bad(pause(20161), f.loadBalancers(), "timeoutInMinutes must be between 1 and 20160")
	bad(pause(0), f.loadBalancers(), "timeoutInMinutes must be between 1 and 20160")
	if out, _ := f.c.ListServices(f.ctx, &ecs.ListServicesInput{Cluster: aws.String("app")}); len(out.ServiceArns) != 0 {
		t.Errorf("a refused CreateService made %v", out.ServiceArns)
	}
	// Two weeks is the longest a hook may wait (API reference: 20160 minutes).
	if _, err := f.c.CreateService(f.ctx, &ecs.CreateServiceInput{Cluster: aws.String("app"), ServiceName: aws.String("ok"), TaskDefinition: aws.String(f.td1),
		DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork, LoadBalancers: f.loadBalancers(), DeploymentConfiguration: pause(20160)}); err != nil {
		t.Errorf("timeoutInMinutes 20160: %v", err)
	}
}

func TestLambdaAndListenerAPIs(t *testing.T) {
	f := newBGFixture(t)
	arn := f.function("hook", map[string]string{emulambda.EnvHookInProgressCalls: "1"})
	got, err := f.lambda.GetFunction(f.ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hook")})
	if err != nil || aws.ToString(got.Configuration.FunctionArn) != arn || got.Configuration.Environment.Variables[emulambda.EnvHookInProgressCalls] != "1" {
		t.Fatalf("GetFunction: %v %+v", err, got)
	}
	var nf *lambdatypes.ResourceNotFoundException
	if _, err := f.lambda.GetFunction(f.ctx, &lambda.GetFunctionInput{FunctionName: aws.String("missing")}); !errors.As(err, &nf) {
		t.Errorf("missing function: %v", err)
	}
	var answers []string
	for i := 0; i < 2; i++ {
		out, err := f.lambda.Invoke(f.ctx, &lambda.InvokeInput{FunctionName: aws.String(arn), Payload: []byte(`{}`)})
		if err != nil || out.FunctionError != nil {
			t.Fatalf("Invoke: %v %+v", err, out)
		}
		answers = append(answers, string(out.Payload))
	}
	if answers[0] != `{"hookStatus":"IN_PROGRESS"}` || answers[1] != `{"hookStatus":"SUCCEEDED"}` {
		t.Errorf("answers %q", answers)
	}
	failing := f.function("broken", map[string]string{emulambda.EnvFunctionError: "boom"})
	if out, err := f.lambda.Invoke(f.ctx, &lambda.InvokeInput{FunctionName: aws.String(failing)}); err != nil || aws.ToString(out.FunctionError) != "Unhandled" {
		t.Errorf("failing function: %v %+v", err, out)
	}
	// A weighted default action through ModifyListener (an NLB's listener
	// is its own production or test "rule").
	if _, err := f.elb.ModifyListener(f.ctx, &elb.ModifyListenerInput{ListenerArn: aws.String(f.testListen), DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward,
		ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{{TargetGroupArn: aws.String(f.blueTG), Weight: aws.Int32(0)}, {TargetGroupArn: aws.String(f.greenTG), Weight: aws.Int32(100)}}}}}}); err != nil {
		t.Fatal(err)
	}
	if b, g := f.weights(f.testListen, true); b != 0 || g != 100 {
		t.Errorf("weights after ModifyListener: %d/%d", b, g)
	}
	var lnf *elbtypes.ListenerNotFoundException
	if _, err := f.elb.ModifyListener(f.ctx, &elb.ModifyListenerInput{ListenerArn: aws.String(f.testListen + "0")}); !errors.As(err, &lnf) {
		t.Errorf("missing listener: %v", err)
	}
	// Weighted forwards through ModifyRule, then DeleteRule.
	_, err = f.elb.ModifyRule(f.ctx, &elb.ModifyRuleInput{RuleArn: aws.String(f.prodRule), Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward,
		ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{{TargetGroupArn: aws.String(f.blueTG), Weight: aws.Int32(70)}, {TargetGroupArn: aws.String(f.greenTG), Weight: aws.Int32(30)}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if b, g := f.weights(f.prodRule, false); b != 70 || g != 30 {
		t.Errorf("weights after ModifyRule: %d/%d", b, g)
	}
	var tnf *elbtypes.TargetGroupNotFoundException
	if _, err := f.elb.ModifyRule(f.ctx, &elb.ModifyRuleInput{RuleArn: aws.String(f.prodRule), Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/none/1")}}}); !errors.As(err, &tnf) {
		t.Errorf("forward to a missing group: %v", err)
	}
	if _, err := f.elb.DeleteRule(f.ctx, &elb.DeleteRuleInput{RuleArn: aws.String(f.prodRule)}); err != nil {
		t.Fatal(err)
	}
	var rnf *elbtypes.RuleNotFoundException
	if _, err := f.elb.DescribeRules(f.ctx, &elb.DescribeRulesInput{RuleArns: []string{f.prodRule}}); !errors.As(err, &rnf) {
		t.Errorf("deleted rule: %v", err)
	}
}

// A circuit-breaker trip during a blue/green deployment returns all traffic
// to blue and ends ROLLBACK_SUCCESSFUL, with the breaker TRIGGERED, as ECS
// does; when traffic had moved, the hooks of TEST_TRAFFIC_SHIFT and
// PRODUCTION_TRAFFIC_SHIFT run again for the way back (ECS developer guide,
// lifecycle hooks: "When a roll back happens, Amazon ECS runs the lifecycle
// hooks for ... PRODUCTION_TRAFFIC_SHIFT, TEST_TRAFFIC_SHIFT").
func TestECSBlueGreenCircuitBreakerRollsBack(t *testing.T) {
	for _, tc := range []struct {
		name       string
		green      func(f *bgFixture) *ecs.RegisterTaskDefinitionInput
		tripStage  ecstypes.ServiceDeploymentLifecycleStage
		hooksAgain int
	}{
		{"green tasks fail to start", func(f *bgFixture) *ecs.RegisterTaskDefinitionInput {
			return fargateTD("web", f.e.ImageURI("web", "missing"))
		}, ecstypes.ServiceDeploymentLifecycleStageScaleUp, 0},
		{"green tasks crash during the bake", func(f *bgFixture) *ecs.RegisterTaskDefinitionInput {
			td := fargateTD("web", "nginx:3")
			td.ContainerDefinitions[0].DockerLabels = map[string]string{"awsemu.exit-code": "1", "awsemu.exit-after": "90s"}
			return td
		}, ecstypes.ServiceDeploymentLifecycleStageBakeTime, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newBGFixture(t)
			shift := f.function("shift-check", map[string]string{emulambda.EnvHookStatus: "SUCCEEDED"})
			f.create(&ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(30),
				DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: true},
				LifecycleHooks: []ecstypes.DeploymentLifecycleHook{{HookTargetArn: aws.String(shift), RoleArn: aws.String(f.role),
					LifecycleStages: []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStageTestTrafficShift, ecstypes.DeploymentLifecycleHookStageProductionTrafficShift}}}})
			arn := f.deploy2(f.register(tc.green(f)))
			var lastStage ecstypes.ServiceDeploymentLifecycleStage
			sd := f.walk(arn, 5*time.Second, 400, func(sd ecstypes.ServiceDeployment) {
				if sd.Status == ecstypes.ServiceDeploymentStatusInProgress {
					lastStage = sd.LifecycleStage
				}
			})
			if lastStage != tc.tripStage {
				t.Errorf("tripped at %s, want %s", lastStage, tc.tripStage)
			}
			if sd.Status != ecstypes.ServiceDeploymentStatusRollbackSuccessful || sd.Rollback == nil || aws.ToString(sd.Rollback.ServiceRevisionArn) == "" {
				t.Fatalf("status %s rollback %+v, want ROLLBACK_SUCCESSFUL to the blue revision", sd.Status, sd.Rollback)
			}
			if cb := sd.DeploymentCircuitBreaker; cb == nil || cb.Status != ecstypes.ServiceDeploymentRollbackMonitorsStatusTriggered || cb.FailureCount < cb.Threshold {
				t.Errorf("circuit breaker %+v, want TRIGGERED with failureCount ≥ threshold", cb)
			}
			if !strings.Contains(aws.ToString(sd.StatusReason), "circuit breaker") {
				t.Errorf("statusReason %q", aws.ToString(sd.StatusReason))
			}
			if b, g := f.weights(f.prodRule, false); b != 100 || g != 0 {
				t.Errorf("production after the rollback: blue=%d green=%d", b, g)
			}
			if b, g := f.weights(f.testListen, true); b != 100 || g != 0 {
				t.Errorf("test traffic after the rollback: blue=%d green=%d", b, g)
			}
			svc := f.service("web")
			if aws.ToString(svc.TaskDefinition) != f.td1 || len(svc.Deployments) != 1 || svc.RunningCount != 2 {
				t.Errorf("after rollback: td=%s deployments=%s running=%d", aws.ToString(svc.TaskDefinition), deploymentsString(svc), svc.RunningCount)
			}
			for _, want := range []string{"deployment failed: tasks failed to start.", "rolling back to revision", "rolled back: all traffic is on revision"} {
				if !hasEvent(svc, want) {
					t.Errorf("missing event %q: %s", want, eventsString(svc, 20))
				}
			}
			again := 0
			for _, ev := range svc.Events {
				if strings.Contains(aws.ToString(ev.Message), "rolling back: running lifecycle hook") {
					again++
				}
			}
			if again != tc.hooksAgain {
				t.Errorf("%d traffic shift hooks ran for the rollback, want %d: %s", again, tc.hooksAgain, eventsString(svc, 20))
			}
			succeeded := 0
			for _, h := range sd.LifecycleHookDetails {
				if h.Status == ecstypes.DeploymentLifecycleHookStatusSucceeded {
					succeeded++
				}
			}
			if succeeded != tc.hooksAgain {
				t.Errorf("hook details %+v, want %d SUCCEEDED rollback hooks", sd.LifecycleHookDetails, tc.hooksAgain)
			}
		})
	}
}
