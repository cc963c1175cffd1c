package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/doppio-ecs/doppio/mask"
	"github.com/doppio-ecs/doppio/normalize"
	"github.com/doppio-ecs/doppio/render"
)

// fakeECS serves one service and task definitions by family or ARN.
type fakeECS struct {
	services []ecstypes.Service
	tds      map[string]*ecstypes.TaskDefinition
	tags     []ecstypes.Tag
	calls    atomic.Int32
}

func (f *fakeECS) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	f.calls.Add(1)
	out := &ecs.DescribeServicesOutput{}
	for _, s := range f.services {
		if aws.ToString(s.ServiceName) == in.Services[0] {
			out.Services = append(out.Services, s)
		}
	}
	if len(out.Services) == 0 {
		out.Failures = []ecstypes.Failure{{Reason: aws.String("MISSING")}}
	}
	return out, nil
}

func (f *fakeECS) DescribeTaskDefinition(_ context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	f.calls.Add(1)
	td, ok := f.tds[aws.ToString(in.TaskDefinition)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "ClientException", Message: "Unable to describe task definition."}
	}
	return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: td, Tags: f.tags}, nil
}

const tdARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"

func liveTaskDefinition(containers int) *ecstypes.TaskDefinition {
	td := &ecstypes.TaskDefinition{
		Family:                  aws.String("web"),
		Revision:                7,
		TaskDefinitionArn:       aws.String(tdARN),
		Status:                  ecstypes.TaskDefinitionStatusActive,
		Cpu:                     aws.String("1024"),
		Memory:                  aws.String("2048"),
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Compatibilities:         []ecstypes.Compatibility{ecstypes.CompatibilityEc2, ecstypes.CompatibilityFargate},
		RequiresAttributes:      []ecstypes.Attribute{{Name: aws.String("ecs.capability.execution-role-awslogs")}},
		ExecutionRoleArn:        aws.String("arn:aws:iam::123456789012:role/exec"),
	}
	for i := range containers {
		td.ContainerDefinitions = append(td.ContainerDefinitions, ecstypes.ContainerDefinition{
			Name:      aws.String(fmt.Sprintf("c%02d", i)),
			Image:     aws.String(fmt.Sprintf("123456789012.dkr.ecr.us-east-1.amazonaws.com/app%d:v1", i)),
			Essential: aws.Bool(true),
			PortMappings: []ecstypes.PortMapping{{
				ContainerPort: aws.Int32(int32(8000 + i)), HostPort: aws.Int32(int32(8000 + i)), Protocol: ecstypes.TransportProtocolTcp,
			}},
			Environment: []ecstypes.KeyValuePair{
				{Name: aws.String("B"), Value: aws.String("2")},
				{Name: aws.String("A"), Value: aws.String("1")},
			},
			Secrets: []ecstypes.Secret{{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String("arn:aws:ssm:us-east-1:123456789012:parameter/db")}},
			LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/ecs/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "c",
			}},
			MountPoints: []ecstypes.MountPoint{},
			VolumesFrom: []ecstypes.VolumeFrom{},
		})
	}
	return td
}

// localTaskDefinition is what a user writes for liveTaskDefinition: no
// defaults, other order, units spelled out.
func localTaskDefinition(containers int) *ecs.RegisterTaskDefinitionInput {
	in := &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String("web"),
		Cpu:                     aws.String("1 vCPU"),
		Memory:                  aws.String("2 GB"),
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		ExecutionRoleArn:        aws.String("arn:aws:iam::123456789012:role/exec"),
	}
	for i := containers - 1; i >= 0; i-- {
		in.ContainerDefinitions = append(in.ContainerDefinitions, ecstypes.ContainerDefinition{
			Name:         aws.String(fmt.Sprintf("c%02d", i)),
			Image:        aws.String(fmt.Sprintf("123456789012.dkr.ecr.us-east-1.amazonaws.com/app%d:v1", i)),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(int32(8000 + i))}},
			Environment: []ecstypes.KeyValuePair{
				{Name: aws.String("A"), Value: aws.String("1")},
				{Name: aws.String("B"), Value: aws.String("2")},
			},
			Secrets: []ecstypes.Secret{{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String("arn:aws:ssm:us-east-1:123456789012:parameter/db")}},
			LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/ecs/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "c",
			}},
		})
	}
	return in
}

func liveService() ecstypes.Service {
	return ecstypes.Service{
		ServiceName:          aws.String("web"),
		ServiceArn:           aws.String("arn:aws:ecs:us-east-1:123456789012:service/prod/web"),
		Status:               aws.String("ACTIVE"),
		TaskDefinition:       aws.String(tdARN),
		DesiredCount:         2,
		RunningCount:         2,
		LaunchType:           ecstypes.LaunchTypeFargate,
		PlatformVersion:      aws.String("LATEST"),
		SchedulingStrategy:   ecstypes.SchedulingStrategyReplica,
		PropagateTags:        ecstypes.PropagateTagsNone,
		DeploymentController: &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeEcs},
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{
			MaximumPercent: aws.Int32(200), MinimumHealthyPercent: aws.Int32(100),
			DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: true},
		},
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: []string{"subnet-b", "subnet-a"}, SecurityGroups: []string{"sg-1"}, AssignPublicIp: ecstypes.AssignPublicIpDisabled,
		}},
		LoadBalancers: []ecstypes.LoadBalancer{{TargetGroupArn: aws.String("arn:tg/blue"), ContainerName: aws.String("c00"), ContainerPort: aws.Int32(8000)}},
		Tags:          []ecstypes.Tag{{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("owner"), Value: aws.String("terraform")}},
		Deployments: []ecstypes.Deployment{{Status: aws.String("PRIMARY"), ServiceConnectConfiguration: &ecstypes.ServiceConnectConfiguration{
			Enabled: true, Namespace: aws.String("internal"),
			Services: []ecstypes.ServiceConnectService{{PortName: aws.String("http")}},
		}}},
	}
}

func localService() *render.ServiceDefinition {
	return &render.ServiceDefinition{
		LaunchType: ecstypes.LaunchTypeFargate,
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{
			DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: true},
		},
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroups: []string{"sg-1"},
		}},
		LoadBalancers: []ecstypes.LoadBalancer{{TargetGroupArn: aws.String("arn:tg/blue"), ContainerName: aws.String("c00"), ContainerPort: aws.Int32(8000)}},
		Tags:          []ecstypes.Tag{{Key: aws.String("env"), Value: aws.String("prod")}},
		ServiceConnectConfiguration: &ecstypes.ServiceConnectConfiguration{
			Enabled: true, Namespace: aws.String("internal"),
			Services: []ecstypes.ServiceConnectService{{PortName: aws.String("http")}},
		},
	}
}

func newFake(containers int) *fakeECS {
	td := liveTaskDefinition(containers)
	return &fakeECS{
		services: []ecstypes.Service{liveService()},
		tds:      map[string]*ecstypes.TaskDefinition{tdARN: td, "web": td},
	}
}

func runDiff(t testing.TB, f *fakeECS, local Local, service string, ig normalize.Ignore) *DiffResult {
	t.Helper()
	live, err := FetchLive(context.Background(), f, "prod", service, aws.ToString(local.TaskDefinition.Family))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Compare(local, live, ig)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestDiffEquivalentIsEmpty(t *testing.T) {
	f := newFake(3)
	res := runDiff(t, f, Local{TaskDefinition: localTaskDefinition(3), TaskDefinitionPath: "ecs-task-def.json", Service: localService(), ServicePath: "ecs-service-def.json"},
		"web", normalize.Ignore{Tags: []string{"owner"}})
	for _, r := range res.Resources() {
		if r.Differs() {
			u, _ := r.Unified(false)
			t.Errorf("%s differs:\n%s\nchanges: %+v", r.Kind, u, r.Changes)
		}
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("%d ECS calls, want 2", n)
	}
}

func TestDiffShowsChanges(t *testing.T) {
	f := newFake(2)
	td := localTaskDefinition(2)
	td.ContainerDefinitions[0].Image = aws.String("nginx:2")
	sd := localService()
	sd.DesiredCount = aws.Int32(5)
	res := runDiff(t, f, Local{TaskDefinition: td, TaskDefinitionPath: "td.json", Service: sd, ServicePath: "sd.json"}, "web", normalize.Ignore{})
	if !res.Differs() {
		t.Fatal("want differences")
	}
	u, err := res.TaskDefinition.Unified(false)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--- " + tdARN + "\n", "+++ td.json\n", "@@ ", `+      "image": "nginx:2",`} {
		if !strings.Contains(u, want) {
			t.Errorf("unified diff lacks %q:\n%s", want, u)
		}
	}
	if got := res.TaskDefinition.Changes; len(got) != 1 || got[0].Path != "containerDefinitions[name=c01].image" || got[0].Type != "changed" {
		t.Errorf("task definition changes = %+v", got)
	}
	var paths []string
	for _, c := range res.Service.Changes {
		paths = append(paths, c.Path+":"+c.Type)
	}
	if got := strings.Join(paths, ","); got != "desiredCount:changed,tags[key=owner]:removed" {
		t.Errorf("service changes = %s", got)
	}
	if keys := res.Service.Members(); strings.Join(keys, ",") != "desiredCount,tags" {
		t.Errorf("Members() = %v", keys)
	}
	uc, _ := res.Service.Unified(true)
	if !strings.Contains(uc, colorRed+"-") || !strings.Contains(uc, colorGreen+"+") {
		t.Errorf("colored diff lacks colors:\n%q", uc)
	}
}

// Only what the file sets is compared: a member it leaves out stays as it
// runs and is not shown, except those whose absence removes them; a member
// it sets to a zero value is a change, shown as - old / + new.
func TestDiffComparesWhatTheFileSets(t *testing.T) {
	f := newFake(1)
	live := &f.services[0]
	live.EnableExecuteCommand = true
	live.PlacementStrategy = []ecstypes.PlacementStrategy{{Type: ecstypes.PlacementStrategyTypeSpread, Field: aws.String("attribute:ecs.availability-zone")}}
	live.HealthCheckGracePeriodSeconds = aws.Int32(30)
	sd, err := render.DecodeServiceDefinition("sd.json", []byte(`{"healthCheckGracePeriodSeconds": 0, "launchType": "FARGATE"}`))
	if err != nil {
		t.Fatal(err)
	}
	res := runDiff(t, f, Local{TaskDefinition: localTaskDefinition(1), Service: sd, ServicePath: "sd.json"}, "web", normalize.Ignore{})
	if got := strings.Join(res.Service.Members(), ","); got != "healthCheckGracePeriodSeconds,loadBalancers,serviceConnectConfiguration" {
		t.Errorf("members = %s (enableExecuteCommand, placementStrategy, tags ... are not in the file: unchanged, not compared)", got)
	}
	u, _ := res.Service.Unified(false)
	for _, want := range []string{`-  "healthCheckGracePeriodSeconds": 30,`, `+  "healthCheckGracePeriodSeconds": 0,`, `-  "loadBalancers": [`} {
		if !strings.Contains(u, want) {
			t.Errorf("unified diff lacks %q:\n%s", want, u)
		}
	}
	if strings.Contains(u, "enableExecuteCommand") || strings.Contains(u, "placementStrategy") || strings.Contains(u, "tags") {
		t.Errorf("members the file leaves out must not show:\n%s", u)
	}

	// A capacity provider strategy the file does not manage still decides
	// that the live service has no launch type (not the EC2 default).
	live.LaunchType = ""
	live.CapacityProviderStrategy = []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE"), Weight: 1}}
	res = runDiff(t, f, Local{TaskDefinition: localTaskDefinition(1), Service: sd, ServicePath: "sd.json"}, "web", normalize.Ignore{})
	found := false
	for _, c := range res.Service.Changes {
		if c.Path == "launchType" {
			found = true
			if c.Type != "added" || c.New != "FARGATE" {
				t.Errorf("launchType change %+v, want added FARGATE", c)
			}
		}
	}
	if !found {
		t.Errorf("no launchType change: %+v", res.Service.Changes)
	}
}

func TestDiffMissingEverythingAdded(t *testing.T) {
	f := &fakeECS{tds: map[string]*ecstypes.TaskDefinition{}}
	res := runDiff(t, f, Local{TaskDefinition: localTaskDefinition(1), TaskDefinitionPath: "td.json", Service: localService(), ServicePath: "sd.json"}, "web", normalize.Ignore{})
	for _, r := range res.Resources() {
		if r.Exists || !r.Differs() {
			t.Fatalf("%s: exists=%v differs=%v", r.Kind, r.Exists, r.Differs())
		}
		u, _ := r.Unified(false)
		if !strings.HasPrefix(u, "--- /dev/null\n+++ ") {
			t.Errorf("header: %s", u)
		}
		for _, line := range strings.Split(strings.TrimSpace(u), "\n")[3:] {
			if !strings.HasPrefix(line, "+") {
				t.Errorf("line not added: %q", line)
			}
		}
		for _, c := range r.Changes {
			if c.Type != "added" {
				t.Errorf("change %+v", c)
			}
		}
	}
}

func TestDiffWithoutServiceUsesFamily(t *testing.T) {
	f := newFake(1)
	res := runDiff(t, f, Local{TaskDefinition: localTaskDefinition(1), TaskDefinitionPath: "td.json"}, "", normalize.Ignore{})
	if res.Service != nil || res.TaskDefinition.Differs() || res.TaskDefinition.Live != tdARN {
		t.Errorf("result %+v", res.TaskDefinition)
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

func TestTaskDefinitionsEqual(t *testing.T) {
	live := liveTaskDefinition(2)
	if !TaskDefinitionsEqual(localTaskDefinition(2), live, nil, normalize.Ignore{}) {
		t.Error("want equal")
	}
	local := localTaskDefinition(2)
	local.Tags = []ecstypes.Tag{{Key: aws.String("v"), Value: aws.String("1")}}
	if TaskDefinitionsEqual(local, live, nil, normalize.Ignore{}) {
		t.Error("a new tag must register a new revision")
	}
	if !TaskDefinitionsEqual(local, live, nil, normalize.Ignore{Tags: []string{"v"}}) {
		t.Error("ignored tag must not count")
	}
}

// Reuse of an identical revision and diff are one comparison: a container
// member set to its default against a live non-default is a change in both,
// shown as - true / + false.
func TestTaskDefinitionZeroValueIsAChange(t *testing.T) {
	live := liveTaskDefinition(1)
	live.ContainerDefinitions[0].ReadonlyRootFilesystem = aws.Bool(true)
	local := localTaskDefinition(1)
	local.ContainerDefinitions[0].ReadonlyRootFilesystem = aws.Bool(false)
	if TaskDefinitionsEqual(local, live, nil, normalize.Ignore{}) {
		t.Error("readonlyRootFilesystem false against a live true must register a new revision")
	}
	rd, err := CompareTaskDefinition(local, live, nil, normalize.Ignore{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rd.Changes) != 1 || rd.Changes[0].Type != "changed" || rd.Changes[0].Old != true || rd.Changes[0].New != false {
		t.Errorf("changes = %+v, want one change true → false", rd.Changes)
	}
	local.ContainerDefinitions[0].ReadonlyRootFilesystem = nil
	live.ContainerDefinitions[0].ReadonlyRootFilesystem = aws.Bool(false)
	if !TaskDefinitionsEqual(local, live, nil, normalize.Ignore{}) {
		t.Error("an absent member and its default are the same revision")
	}
}

func TestUnifiedHunks(t *testing.T) {
	var a, b []string
	for i := range 30 {
		a = append(a, fmt.Sprintf("line %d", i))
		b = append(b, fmt.Sprintf("line %d", i))
	}
	b[2] = "changed 2"
	b[25] = "changed 25"
	got := unified("old", "new", strings.Join(a, "\n")+"\n", strings.Join(b, "\n")+"\n", false)
	want := `--- old
+++ new
@@ -1,6 +1,6 @@
 line 0
 line 1
-line 2
+changed 2
 line 3
 line 4
 line 5
@@ -23,7 +23,7 @@
 line 22
 line 23
 line 24
-line 25
+changed 25
 line 26
 line 27
 line 28
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// BenchmarkDiff50Containers measures doppio's own work for a diff of a
// 50-container task definition plus its service (the fake answers
// instantly, so the figure excludes network time).
func BenchmarkDiff50Containers(b *testing.B) {
	f := newFake(50)
	local := Local{TaskDefinition: localTaskDefinition(50), TaskDefinitionPath: "td.json", Service: localService(), ServicePath: "sd.json"}
	local.TaskDefinition.ContainerDefinitions[10].Image = aws.String("nginx:new")
	b.ReportAllocs()
	for b.Loop() {
		f.calls.Store(0)
		res := runDiff(b, f, local, "web", normalize.Ignore{})
		for _, r := range res.Resources() {
			if _, err := r.Unified(false); err != nil {
				b.Fatal(err)
			}
		}
		if n := f.calls.Load(); n > 3 {
			b.Fatalf("%d AWS calls", n)
		}
	}
}

// A secret that JSON has to escape must still be masked in --output json.
func TestMaskedJSONHidesEscapedSecrets(t *testing.T) {
	const secret = `s3"cr\et<1>`
	f := newFake(1)
	td := localTaskDefinition(1)
	td.ContainerDefinitions[0].Environment = []ecstypes.KeyValuePair{{Name: aws.String("TOKEN"), Value: aws.String(secret)}}
	res := runDiff(t, f, Local{TaskDefinition: td, TaskDefinitionPath: "td.json", Service: localService(), ServicePath: "sd.json"}, "web", normalize.Ignore{})
	secrets := &mask.Set{}
	secrets.Add(secret)
	b, err := res.MaskedJSON(secrets)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"value": "`+mask.Replacement+`"`) {
		t.Errorf("secret not masked:\n%s", b)
	}
	for _, leak := range []string{"s3", "cr", "et"} {
		if strings.Contains(string(b), leak+`\`) || strings.Contains(string(b), `\`+leak) {
			t.Errorf("part %q of the secret leaks:\n%s", leak, b)
		}
	}
	var decoded map[string]any
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Errorf("masked output is no longer JSON: %v", err)
	}
}

// A blue/green, linear or canary service definition that leaves out what
// ECS fills in (targetType, timeoutConfiguration, the step and canary
// members it does not set, bakeTimeInMinutes 0) does not differ from the
// live service that reports those defaults; a value other than the default
// does.
func TestDiffBlueGreenDefaultsAreNoChange(t *testing.T) {
	const lb = `"loadBalancers": [{"targetGroupArn": "arn:tg/blue", "containerName": "c00", "containerPort": 8000,
		"advancedConfiguration": {"alternateTargetGroupArn": "arn:tg/green", "productionListenerRule": "arn:rule/prod", "roleArn": "arn:role/infra"}}]`
	hook := `{"hookTargetArn": "arn:fn/smoke", "roleArn": "arn:role/hooks", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT", "PRE_SCALE_UP"]}`
	liveHook := ecstypes.DeploymentLifecycleHook{HookTargetArn: aws.String("arn:fn/smoke"), RoleArn: aws.String("arn:role/hooks"),
		LifecycleStages:      []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStagePreScaleUp, ecstypes.DeploymentLifecycleHookStagePostTestTrafficShift},
		TargetType:           ecstypes.DeploymentLifecycleHookTargetTypeAwsLambda,
		TimeoutConfiguration: &ecstypes.DeploymentLifecycleHookTimeoutConfiguration{Action: ecstypes.DeploymentLifecycleHookActionRollback, TimeoutInMinutes: aws.Int32(1440)}}
	for _, tc := range []struct {
		name, file string
		live       ecstypes.DeploymentConfiguration
		differs    bool
	}{
		{"blue/green", `{"strategy": "BLUE_GREEN", "lifecycleHooks": [` + hook + `]}`,
			ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(0), LifecycleHooks: []ecstypes.DeploymentLifecycleHook{liveHook}}, false},
		{"linear", `{"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 25}, "lifecycleHooks": [` + hook + `]}`,
			ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyLinear, BakeTimeInMinutes: aws.Int32(0), LifecycleHooks: []ecstypes.DeploymentLifecycleHook{liveHook},
				LinearConfiguration: &ecstypes.LinearConfiguration{StepPercent: aws.Float64(25), StepBakeTimeInMinutes: aws.Int32(6)}}, false},
		{"linear defaults only", `{"strategy": "LINEAR", "linearConfiguration": {}}`,
			ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyLinear,
				LinearConfiguration: &ecstypes.LinearConfiguration{StepPercent: aws.Float64(10), StepBakeTimeInMinutes: aws.Int32(6)}}, false},
		{"canary", `{"strategy": "CANARY", "canaryConfiguration": {"canaryBakeTimeInMinutes": 2}, "bakeTimeInMinutes": 5}`,
			ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyCanary, BakeTimeInMinutes: aws.Int32(5),
				CanaryConfiguration: &ecstypes.CanaryConfiguration{CanaryPercent: aws.Float64(5), CanaryBakeTimeInMinutes: aws.Int32(2)}}, false},
		{"linear step changed", `{"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 20}}`,
			ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyLinear,
				LinearConfiguration: &ecstypes.LinearConfiguration{StepPercent: aws.Float64(10), StepBakeTimeInMinutes: aws.Int32(6)}}, true},
		{"hook timeout changed", `{"strategy": "BLUE_GREEN", "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"], "timeoutConfiguration": {"timeoutInMinutes": 30}}]}`,
			ecstypes.DeploymentConfiguration{Strategy: ecstypes.DeploymentStrategyBlueGreen, LifecycleHooks: []ecstypes.DeploymentLifecycleHook{{TargetType: ecstypes.DeploymentLifecycleHookTargetTypePause,
				LifecycleStages:      []ecstypes.DeploymentLifecycleHookStage{ecstypes.DeploymentLifecycleHookStagePostScaleUp},
				TimeoutConfiguration: &ecstypes.DeploymentLifecycleHookTimeoutConfiguration{Action: ecstypes.DeploymentLifecycleHookActionRollback, TimeoutInMinutes: aws.Int32(1440)}}}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(1)
			live := &f.services[0]
			dc := tc.live
			dc.MaximumPercent, dc.MinimumHealthyPercent = aws.Int32(200), aws.Int32(100)
			dc.DeploymentCircuitBreaker = &ecstypes.DeploymentCircuitBreaker{}
			live.DeploymentConfiguration = &dc
			live.Deployments = nil // no Service Connect
			live.LoadBalancers[0].AdvancedConfiguration = &ecstypes.AdvancedConfiguration{AlternateTargetGroupArn: aws.String("arn:tg/green"),
				ProductionListenerRule: aws.String("arn:rule/prod"), RoleArn: aws.String("arn:role/infra")}
			sd, err := render.DecodeServiceDefinition("sd.json", []byte(`{"launchType": "FARGATE", `+lb+`, "deploymentConfiguration": `+tc.file+`}`))
			if err != nil {
				t.Fatal(err)
			}
			res := runDiff(t, f, Local{TaskDefinition: localTaskDefinition(1), Service: sd, ServicePath: "sd.json"}, "web", normalize.Ignore{})
			u, _ := res.Service.Unified(false)
			if res.Service.Differs() != tc.differs {
				t.Errorf("differs = %v, want %v:\n%s", res.Service.Differs(), tc.differs, u)
			}
		})
	}
}
