package normalize

import (
	"encoding/json"
	"reflect"
	"testing"
)

type pair struct {
	name    string
	service bool
	a, b    string
	opts    ServiceOptions
}

func doc(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

func (p pair) normalized(t *testing.T) (map[string]any, map[string]any) {
	a, b := doc(t, p.a), doc(t, p.b)
	// Both the one-sided and the paired normalization must agree.
	var sa, sb, pa, pb map[string]any
	if p.service {
		sa, sb = Service(a, p.opts), Service(b, p.opts)
		pb, pa = ServicePair(b, a, p.opts)
	} else {
		sa, sb = TaskDefinition(a), TaskDefinition(b)
		pb, pa = TaskDefinitionPair(b, a, Ignore{})
	}
	if Equal(sa, sb) != Equal(pa, pb) {
		t.Errorf("one-sided and paired normalization disagree:\n one-sided: %s | %s\n paired:    %s | %s", canonicalJSON(sa), canonicalJSON(sb), canonicalJSON(pa), canonicalJSON(pb))
	}
	return pa, pb
}

const c = `"name":"app","image":"nginx"`

// Local file (a) and what ECS returns (b): must compare equal.
var equivalent = []pair{
	{name: "essential default", a: `{"containerDefinitions":[{` + c + `}]}`, b: `{"containerDefinitions":[{` + c + `,"essential":true}]}`},
	{name: "protocol tcp", a: `{"containerDefinitions":[{` + c + `,"portMappings":[{"containerPort":80}]}]}`, b: `{"containerDefinitions":[{` + c + `,"portMappings":[{"containerPort":80,"protocol":"tcp"}]}]}`},
	{name: "awsvpc hostPort", a: `{"networkMode":"awsvpc","containerDefinitions":[{` + c + `,"portMappings":[{"containerPort":80}]}]}`, b: `{"networkMode":"awsvpc","containerDefinitions":[{` + c + `,"portMappings":[{"containerPort":80,"hostPort":80}]}]}`},
	{name: "host mode hostPort", a: `{"networkMode":"host","containerDefinitions":[{` + c + `,"portMappings":[{"containerPort":8080}]}]}`, b: `{"networkMode":"host","containerDefinitions":[{` + c + `,"portMappings":[{"containerPort":8080,"hostPort":8080}]}]}`},
	{name: "bridge dynamic hostPort", a: `{"containerDefinitions":[{` + c + `,"portMappings":[{"containerPort":80}]}]}`, b: `{"networkMode":"bridge","containerDefinitions":[{` + c + `,"portMappings":[{"containerPort":80,"hostPort":0}]}]}`},
	{name: "cpu vCPU", a: `{"cpu":"1 vCPU"}`, b: `{"cpu":"1024"}`},
	{name: "cpu quarter vcpu", a: `{"cpu":"0.25 vcpu"}`, b: `{"cpu":"256"}`},
	{name: "memory GB", a: `{"memory":"2 GB"}`, b: `{"memory":"2048"}`},
	{name: "memory half GB", a: `{"memory":"0.5GB"}`, b: `{"memory":"512"}`},
	{name: "memory number", a: `{"memory":512}`, b: `{"memory":"512"}`},
	{name: "environment order", a: `{"containerDefinitions":[{` + c + `,"environment":[{"name":"B","value":"2"},{"name":"A","value":"1"}]}]}`, b: `{"containerDefinitions":[{` + c + `,"environment":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}]}`},
	{name: "secrets order", a: `{"containerDefinitions":[{` + c + `,"secrets":[{"name":"Z","valueFrom":"z"},{"name":"Y","valueFrom":"y"}]}]}`, b: `{"containerDefinitions":[{` + c + `,"secrets":[{"name":"Y","valueFrom":"y"},{"name":"Z","valueFrom":"z"}]}]}`},
	{name: "port mappings order", a: `{"containerDefinitions":[{` + c + `,"portMappings":[{"containerPort":443},{"containerPort":80}]}]}`, b: `{"containerDefinitions":[{` + c + `,"portMappings":[{"containerPort":80},{"containerPort":443}]}]}`},
	{name: "container order", a: `{"containerDefinitions":[{"name":"b","image":"x"},{"name":"a","image":"y"}]}`, b: `{"containerDefinitions":[{"name":"a","image":"y"},{"name":"b","image":"x"}]}`},
	{name: "mount points order", a: `{"containerDefinitions":[{` + c + `,"mountPoints":[{"sourceVolume":"b","containerPath":"/b"},{"sourceVolume":"a","containerPath":"/a"}]}]}`, b: `{"containerDefinitions":[{` + c + `,"mountPoints":[{"sourceVolume":"a","containerPath":"/a","readOnly":false},{"sourceVolume":"b","containerPath":"/b"}]}]}`},
	{name: "task tags order", a: `{"tags":[{"key":"b","value":"2"},{"key":"a","value":"1"}]}`, b: `{"tags":[{"key":"a","value":"1"},{"key":"b","value":"2"}]}`},
	{name: "empty array = absent", a: `{"containerDefinitions":[{` + c + `,"command":[]}]}`, b: `{"containerDefinitions":[{` + c + `}]}`},
	{name: "null = absent", a: `{"taskRoleArn":null}`, b: `{}`},
	{name: "empty object = absent", a: `{"containerDefinitions":[{` + c + `,"dockerLabels":{}}]}`, b: `{"containerDefinitions":[{` + c + `}]}`},
	{name: "empty volume host", a: `{"volumes":[{"name":"v"}]}`, b: `{"volumes":[{"name":"v","host":{}}]}`},
	{name: "read-only members dropped", a: `{"family":"web"}`, b: `{"family":"web","revision":3,"status":"ACTIVE","taskDefinitionArn":"arn:x","requiresAttributes":[{"name":"a"}],"compatibilities":["EC2"],"registeredBy":"me","registeredAt":"2024-01-01T00:00:00Z"}`},
	{name: "requiresCompatibilities order", a: `{"requiresCompatibilities":["FARGATE","EC2"]}`, b: `{"requiresCompatibilities":["EC2","FARGATE"]}`},
	{name: "healthCheck defaults", a: `{"containerDefinitions":[{` + c + `,"healthCheck":{"command":["CMD","true"]}}]}`, b: `{"containerDefinitions":[{` + c + `,"healthCheck":{"command":["CMD","true"],"interval":30,"timeout":5,"retries":3}}]}`},
	{name: "container cpu 0", a: `{"containerDefinitions":[{` + c + `,"cpu":0}]}`, b: `{"containerDefinitions":[{` + c + `}]}`},
	{name: "efs defaults", a: `{"volumes":[{"name":"v","efsVolumeConfiguration":{"fileSystemId":"fs-1"}}]}`, b: `{"volumes":[{"name":"v","efsVolumeConfiguration":{"fileSystemId":"fs-1","rootDirectory":"/","transitEncryption":"DISABLED"}}]}`},
	{name: "dependsOn order", a: `{"containerDefinitions":[{` + c + `,"dependsOn":[{"containerName":"b","condition":"START"},{"containerName":"a","condition":"HEALTHY"}]}]}`, b: `{"containerDefinitions":[{` + c + `,"dependsOn":[{"containerName":"a","condition":"HEALTHY"},{"containerName":"b","condition":"START"}]}]}`},
	{name: "empty env value", a: `{"containerDefinitions":[{` + c + `,"environment":[{"name":"A","value":""}]}]}`, b: `{"containerDefinitions":[{` + c + `,"environment":[{"name":"A"}]}]}`},
	{name: "explicit false privileged", a: `{"containerDefinitions":[{` + c + `,"privileged":false,"readonlyRootFilesystem":false}]}`, b: `{"containerDefinitions":[{` + c + `}]}`},
	{name: "volumes order", a: `{"volumes":[{"name":"b"},{"name":"a","host":{"sourcePath":"/x"}}]}`, b: `{"volumes":[{"name":"a","host":{"sourcePath":"/x"}},{"name":"b"}]}`},

	{service: true, name: "assignPublicIp", a: `{"networkConfiguration":{"awsvpcConfiguration":{"subnets":["s1"]}}}`, b: `{"networkConfiguration":{"awsvpcConfiguration":{"subnets":["s1"],"assignPublicIp":"DISABLED"}}}`},
	{service: true, name: "subnets and sgs as sets", a: `{"networkConfiguration":{"awsvpcConfiguration":{"subnets":["s2","s1"],"securityGroups":["g2","g1"]}}}`, b: `{"networkConfiguration":{"awsvpcConfiguration":{"subnets":["s1","s2"],"securityGroups":["g1","g2"]}}}`},
	{service: true, name: "deploymentConfiguration defaults", a: `{}`, b: `{"deploymentConfiguration":{"maximumPercent":200,"minimumHealthyPercent":100,"deploymentCircuitBreaker":{"enable":false,"rollback":false}}}`},
	{service: true, name: "partial deploymentConfiguration", a: `{"deploymentConfiguration":{"deploymentCircuitBreaker":{"enable":true,"rollback":true}}}`, b: `{"deploymentConfiguration":{"maximumPercent":200,"minimumHealthyPercent":100,"deploymentCircuitBreaker":{"enable":true,"rollback":true}}}`},
	{service: true, name: "daemon deploymentConfiguration", a: `{"schedulingStrategy":"DAEMON"}`, b: `{"schedulingStrategy":"DAEMON","deploymentConfiguration":{"maximumPercent":100,"minimumHealthyPercent":0}}`},
	{service: true, name: "platformVersion LATEST", a: `{"launchType":"FARGATE"}`, b: `{"launchType":"FARGATE","platformVersion":"LATEST"}`},
	{service: true, name: "desiredCount omitted locally", a: `{}`, b: `{"desiredCount":3}`},
	{service: true, name: "launchType vs capacity providers", a: `{"capacityProviderStrategy":[{"capacityProvider":"FARGATE_SPOT","weight":1}]}`, b: `{"launchType":"","capacityProviderStrategy":[{"capacityProvider":"FARGATE_SPOT","weight":1,"base":0}]}`},
	{service: true, name: "launchType EC2 default", a: `{}`, b: `{"launchType":"EC2"}`},
	{service: true, name: "service tags order", a: `{"tags":[{"key":"b","value":"2"},{"key":"a","value":"1"}]}`, b: `{"tags":[{"key":"a","value":"1"},{"key":"b","value":"2"}]}`},
	{service: true, name: "propagateTags NONE", a: `{}`, b: `{"propagateTags":"NONE"}`},
	{service: true, name: "schedulingStrategy REPLICA", a: `{}`, b: `{"schedulingStrategy":"REPLICA"}`},
	{service: true, name: "deploymentController ECS", a: `{}`, b: `{"deploymentController":{"type":"ECS"}}`},
	{service: true, name: "read-only service members", a: `{"desiredCount":1}`, b: `{"desiredCount":1,"serviceArn":"arn","status":"ACTIVE","runningCount":1,"events":[{"message":"x"}],"deployments":[{"id":"d"}],"taskDefinition":"arn:td","serviceName":"web","clusterArn":"c"}`, opts: ServiceOptions{KeepDesiredCount: true}},
	{service: true, name: "load balancers order", a: `{"loadBalancers":[{"targetGroupArn":"tg2","containerName":"app","containerPort":80},{"targetGroupArn":"tg1","containerName":"app","containerPort":80}]}`, b: `{"loadBalancers":[{"targetGroupArn":"tg1","containerName":"app","containerPort":80},{"targetGroupArn":"tg2","containerName":"app","containerPort":80}]}`},
	{service: true, name: "ignore desiredCount", a: `{"desiredCount":1}`, b: `{"desiredCount":5}`, opts: ServiceOptions{KeepDesiredCount: true, Ignore: Ignore{Fields: []string{"desiredCount"}}}},
	{service: true, name: "ignore target group", a: `{"loadBalancers":[{"targetGroupArn":"blue","containerName":"app","containerPort":80}]}`, b: `{"loadBalancers":[{"targetGroupArn":"green","containerName":"app","containerPort":80}]}`, opts: ServiceOptions{Ignore: Ignore{Fields: []string{"loadBalancers[].targetGroupArn"}}}},
	{service: true, name: "ignore tag key", a: `{"tags":[{"key":"env","value":"prod"}]}`, b: `{"tags":[{"key":"env","value":"prod"},{"key":"aws:cloudformation:stack-name","value":"s"},{"key":"owner","value":"tf"}]}`, opts: ServiceOptions{Ignore: Ignore{Tags: []string{"aws:cloudformation:stack-name", "owner"}}}},
	{service: true, name: "healthCheckGracePeriod 0", a: `{}`, b: `{"healthCheckGracePeriodSeconds":0}`},
	{service: true, name: "ecs managed tags false", a: `{"enableECSManagedTags":false,"enableExecuteCommand":false}`, b: `{}`},
	{service: true, name: "circuit breaker off", a: `{"deploymentConfiguration":{"maximumPercent":200}}`, b: `{"deploymentConfiguration":{"maximumPercent":200,"minimumHealthyPercent":100,"deploymentCircuitBreaker":{"enable":false,"rollback":false},"alarms":{"alarmNames":[],"enable":false,"rollback":false}}}`},
	{service: true, name: "service connect services order", a: `{"serviceConnectConfiguration":{"enabled":true,"services":[{"portName":"b"},{"portName":"a"}]}}`, b: `{"serviceConnectConfiguration":{"enabled":true,"services":[{"portName":"a"},{"portName":"b"}]}}`},
	{service: true, name: "availability zone rebalancing", a: `{}`, b: `{"availabilityZoneRebalancing":"DISABLED"}`},
	{service: true, name: "reserved aws: tags", a: `{"tags":[{"key":"env","value":"prod"}]}`, b: `{"tags":[{"key":"aws:cloudformation:stack-name","value":"s"},{"key":"env","value":"prod"}]}`},
	{service: true, name: "service connect off", a: `{}`, b: `{"serviceConnectConfiguration":{"enabled":false}}`},
	{service: true, name: "explicit max percent 200", a: `{"schedulingStrategy":"REPLICA","deploymentConfiguration":{"maximumPercent":200}}`, b: `{"schedulingStrategy":"REPLICA"}`},
	{service: true, name: "bake time 0", a: `{"deploymentConfiguration":{"strategy":"BLUE_GREEN"}}`, b: `{"deploymentConfiguration":{"strategy":"BLUE_GREEN","bakeTimeInMinutes":0}}`},
	{service: true, name: "linear defaults", a: `{"deploymentConfiguration":{"strategy":"LINEAR","linearConfiguration":{}}}`, b: `{"deploymentConfiguration":{"strategy":"LINEAR","linearConfiguration":{"stepPercent":10.0,"stepBakeTimeInMinutes":6}}}`},
	{service: true, name: "linear step bake default", a: `{"deploymentConfiguration":{"strategy":"LINEAR","linearConfiguration":{"stepPercent":25}}}`, b: `{"deploymentConfiguration":{"strategy":"LINEAR","linearConfiguration":{"stepPercent":25,"stepBakeTimeInMinutes":6}}}`},
	{service: true, name: "canary defaults", a: `{"deploymentConfiguration":{"strategy":"CANARY","canaryConfiguration":{"canaryBakeTimeInMinutes":3}}}`, b: `{"deploymentConfiguration":{"strategy":"CANARY","canaryConfiguration":{"canaryPercent":5,"canaryBakeTimeInMinutes":3}}}`},
	{service: true, name: "lifecycle hook defaults", a: `{"deploymentConfiguration":{"strategy":"BLUE_GREEN","lifecycleHooks":[{"hookTargetArn":"arn:fn","roleArn":"arn:role","lifecycleStages":["POST_SCALE_UP"]}]}}`, b: `{"deploymentConfiguration":{"strategy":"BLUE_GREEN","lifecycleHooks":[{"hookTargetArn":"arn:fn","roleArn":"arn:role","lifecycleStages":["POST_SCALE_UP"],"targetType":"AWS_LAMBDA","timeoutConfiguration":{"action":"ROLLBACK","timeoutInMinutes":1440}}]}}`},
	{service: true, name: "pause hook timeout action default", a: `{"deploymentConfiguration":{"strategy":"BLUE_GREEN","lifecycleHooks":[{"targetType":"PAUSE","lifecycleStages":["POST_TEST_TRAFFIC_SHIFT"],"timeoutConfiguration":{"timeoutInMinutes":60}}]}}`, b: `{"deploymentConfiguration":{"strategy":"BLUE_GREEN","lifecycleHooks":[{"targetType":"PAUSE","lifecycleStages":["POST_TEST_TRAFFIC_SHIFT"],"timeoutConfiguration":{"action":"ROLLBACK","timeoutInMinutes":60}}]}}`},
	{service: true, name: "lifecycle stages order", a: `{"deploymentConfiguration":{"lifecycleHooks":[{"hookTargetArn":"arn:fn","roleArn":"r","lifecycleStages":["POST_TEST_TRAFFIC_SHIFT","PRE_SCALE_UP"]}]}}`, b: `{"deploymentConfiguration":{"lifecycleHooks":[{"hookTargetArn":"arn:fn","roleArn":"r","lifecycleStages":["PRE_SCALE_UP","POST_TEST_TRAFFIC_SHIFT"]}]}}`},
}

// Real changes: must not compare equal.
var changed = []pair{
	{name: "image", a: `{"containerDefinitions":[{"name":"app","image":"nginx:1"}]}`, b: `{"containerDefinitions":[{"name":"app","image":"nginx:2"}]}`},
	{name: "essential false", a: `{"containerDefinitions":[{` + c + `,"essential":false}]}`, b: `{"containerDefinitions":[{` + c + `,"essential":true}]}`},
	{name: "udp", a: `{"containerDefinitions":[{` + c + `,"portMappings":[{"containerPort":53,"protocol":"udp"}]}]}`, b: `{"containerDefinitions":[{` + c + `,"portMappings":[{"containerPort":53}]}]}`},
	{name: "bridge static hostPort", a: `{"containerDefinitions":[{` + c + `,"portMappings":[{"containerPort":80,"hostPort":8080}]}]}`, b: `{"containerDefinitions":[{` + c + `,"portMappings":[{"containerPort":80}]}]}`},
	{name: "cpu", a: `{"cpu":"1 vCPU"}`, b: `{"cpu":"2048"}`},
	{name: "memory", a: `{"memory":"2 GB"}`, b: `{"memory":"4096"}`},
	{name: "env value", a: `{"containerDefinitions":[{` + c + `,"environment":[{"name":"A","value":"1"}]}]}`, b: `{"containerDefinitions":[{` + c + `,"environment":[{"name":"A","value":"2"}]}]}`},
	{name: "env added", a: `{"containerDefinitions":[{` + c + `,"environment":[{"name":"A","value":"1"},{"name":"B","value":"1"}]}]}`, b: `{"containerDefinitions":[{` + c + `,"environment":[{"name":"A","value":"1"}]}]}`},
	{name: "command order matters", a: `{"containerDefinitions":[{` + c + `,"command":["a","b"]}]}`, b: `{"containerDefinitions":[{` + c + `,"command":["b","a"]}]}`},
	{name: "secret source", a: `{"containerDefinitions":[{` + c + `,"secrets":[{"name":"S","valueFrom":"arn:1"}]}]}`, b: `{"containerDefinitions":[{` + c + `,"secrets":[{"name":"S","valueFrom":"arn:2"}]}]}`},
	{name: "docker label empty value is data", a: `{"containerDefinitions":[{` + c + `,"dockerLabels":{"a":""}}]}`, b: `{"containerDefinitions":[{` + c + `}]}`},
	{name: "task role", a: `{"taskRoleArn":"arn:role/a"}`, b: `{"taskRoleArn":"arn:role/b"}`},
	{name: "healthCheck interval", a: `{"containerDefinitions":[{` + c + `,"healthCheck":{"command":["CMD","true"],"interval":10}}]}`, b: `{"containerDefinitions":[{` + c + `,"healthCheck":{"command":["CMD","true"],"interval":30}}]}`},
	{name: "task tag value", a: `{"tags":[{"key":"a","value":"1"}]}`, b: `{"tags":[{"key":"a","value":"2"}]}`},
	{name: "awsvpc hostPort differs", a: `{"networkMode":"awsvpc","containerDefinitions":[{` + c + `,"portMappings":[{"containerPort":80,"hostPort":80}]}]}`, b: `{"networkMode":"awsvpc","containerDefinitions":[{` + c + `,"portMappings":[{"containerPort":81,"hostPort":81}]}]}`},

	{service: true, name: "assignPublicIp enabled", a: `{"networkConfiguration":{"awsvpcConfiguration":{"subnets":["s1"],"assignPublicIp":"ENABLED"}}}`, b: `{"networkConfiguration":{"awsvpcConfiguration":{"subnets":["s1"]}}}`},
	{service: true, name: "subnet added", a: `{"networkConfiguration":{"awsvpcConfiguration":{"subnets":["s1","s2"]}}}`, b: `{"networkConfiguration":{"awsvpcConfiguration":{"subnets":["s1"]}}}`},
	{service: true, name: "desiredCount set locally", a: `{"desiredCount":2}`, b: `{"desiredCount":3}`, opts: ServiceOptions{KeepDesiredCount: true}},
	{service: true, name: "circuit breaker on", a: `{"deploymentConfiguration":{"deploymentCircuitBreaker":{"enable":true,"rollback":true}}}`, b: `{}`},
	{service: true, name: "max percent", a: `{"deploymentConfiguration":{"maximumPercent":150}}`, b: `{"deploymentConfiguration":{"maximumPercent":200}}`},
	{service: true, name: "platform version", a: `{"launchType":"FARGATE","platformVersion":"1.4.0"}`, b: `{"launchType":"FARGATE","platformVersion":"LATEST"}`},
	{service: true, name: "launchType FARGATE vs EC2", a: `{"launchType":"FARGATE"}`, b: `{"launchType":"EC2"}`},
	{service: true, name: "placement strategy order", a: `{"placementStrategy":[{"type":"spread","field":"a"},{"type":"binpack","field":"memory"}]}`, b: `{"placementStrategy":[{"type":"binpack","field":"memory"},{"type":"spread","field":"a"}]}`},
	{service: true, name: "execute command", a: `{"enableExecuteCommand":true}`, b: `{}`},
	{service: true, name: "target group without ignore", a: `{"loadBalancers":[{"targetGroupArn":"blue","containerName":"app","containerPort":80}]}`, b: `{"loadBalancers":[{"targetGroupArn":"green","containerName":"app","containerPort":80}]}`},
	{service: true, name: "tag not ignored", a: `{"tags":[{"key":"env","value":"prod"}]}`, b: `{"tags":[{"key":"env","value":"prod"},{"key":"owner","value":"tf"}]}`, opts: ServiceOptions{Ignore: Ignore{Tags: []string{"other"}}}},
	{service: true, name: "daemon max percent default differs from replica", a: `{"schedulingStrategy":"DAEMON","deploymentConfiguration":{"maximumPercent":200}}`, b: `{"schedulingStrategy":"DAEMON"}`},
	{service: true, name: "linear step", a: `{"deploymentConfiguration":{"linearConfiguration":{"stepPercent":20}}}`, b: `{"deploymentConfiguration":{"linearConfiguration":{"stepPercent":10,"stepBakeTimeInMinutes":6}}}`},
	{service: true, name: "canary bake 0 is not the default", a: `{"deploymentConfiguration":{"canaryConfiguration":{"canaryBakeTimeInMinutes":0}}}`, b: `{"deploymentConfiguration":{"canaryConfiguration":{"canaryPercent":5,"canaryBakeTimeInMinutes":10}}}`},
	{service: true, name: "hook timeout action", a: `{"deploymentConfiguration":{"lifecycleHooks":[{"targetType":"PAUSE","lifecycleStages":["POST_SCALE_UP"],"timeoutConfiguration":{"action":"CONTINUE"}}]}}`, b: `{"deploymentConfiguration":{"lifecycleHooks":[{"targetType":"PAUSE","lifecycleStages":["POST_SCALE_UP"],"timeoutConfiguration":{"action":"ROLLBACK","timeoutInMinutes":1440}}]}}`},
	{service: true, name: "hook type", a: `{"deploymentConfiguration":{"lifecycleHooks":[{"targetType":"PAUSE","lifecycleStages":["POST_SCALE_UP"]}]}}`, b: `{"deploymentConfiguration":{"lifecycleHooks":[{"lifecycleStages":["POST_SCALE_UP"]}]}}`},
	{service: true, name: "hook stage added", a: `{"deploymentConfiguration":{"lifecycleHooks":[{"hookTargetArn":"f","lifecycleStages":["POST_SCALE_UP","PRE_SCALE_UP"]}]}}`, b: `{"deploymentConfiguration":{"lifecycleHooks":[{"hookTargetArn":"f","lifecycleStages":["POST_SCALE_UP"]}]}}`},
	{service: true, name: "hook details empty string is data", a: `{"deploymentConfiguration":{"lifecycleHooks":[{"hookTargetArn":"f","lifecycleStages":["POST_SCALE_UP"],"hookDetails":{"path":""}}]}}`, b: `{"deploymentConfiguration":{"lifecycleHooks":[{"hookTargetArn":"f","lifecycleStages":["POST_SCALE_UP"]}]}}`},
	{service: true, name: "alternate target group", a: `{"loadBalancers":[{"targetGroupArn":"blue","containerName":"app","containerPort":80,"advancedConfiguration":{"alternateTargetGroupArn":"green","productionListenerRule":"r","roleArn":"x"}}]}`, b: `{"loadBalancers":[{"targetGroupArn":"blue","containerName":"app","containerPort":80,"advancedConfiguration":{"alternateTargetGroupArn":"green2","productionListenerRule":"r","roleArn":"x"}}]}`},
}

func TestEquivalentPairs(t *testing.T) {
	if len(equivalent) < 40 {
		t.Fatalf("only %d equivalent pairs", len(equivalent))
	}
	for _, p := range equivalent {
		t.Run(p.name, func(t *testing.T) {
			a, b := p.normalized(t)
			if !Equal(a, b) {
				t.Errorf("want equal after normalization:\n a: %s\n b: %s", canonicalJSON(a), canonicalJSON(b))
			}
		})
	}
}

func TestRealChanges(t *testing.T) {
	if len(changed) < 20 {
		t.Fatalf("only %d changes", len(changed))
	}
	for _, p := range changed {
		t.Run(p.name, func(t *testing.T) {
			a, b := p.normalized(t)
			if Equal(a, b) {
				t.Errorf("want a difference, both normalize to %s", canonicalJSON(a))
			}
		})
	}
}

// A change to the default reads as a change of value on both sides, not as
// a member only live has: the lacking side gets the default written out.
func TestPairWritesDefaultsOut(t *testing.T) {
	for _, tc := range []struct {
		name, live, local string
		service           bool
		wantLive, wantLoc string
	}{
		{name: "bool", service: true, live: `{"enableExecuteCommand":true}`, local: `{"enableExecuteCommand":false}`,
			wantLive: `{"enableExecuteCommand":true}`, wantLoc: `{"enableExecuteCommand":false}`},
		{name: "int", service: true, live: `{"healthCheckGracePeriodSeconds":30}`, local: `{"healthCheckGracePeriodSeconds":0}`,
			wantLive: `{"healthCheckGracePeriodSeconds":30}`, wantLoc: `{"healthCheckGracePeriodSeconds":0}`},
		{name: "empty string", service: true, live: `{"propagateTags":"SERVICE"}`, local: `{"propagateTags":""}`,
			wantLive: `{"propagateTags":"SERVICE"}`, wantLoc: `{"propagateTags":"NONE"}`},
		{name: "nested object absent on one side", service: true,
			live:     `{"deploymentConfiguration":{"maximumPercent":200,"deploymentCircuitBreaker":{"enable":true,"rollback":true}}}`,
			local:    `{"deploymentConfiguration":{"deploymentCircuitBreaker":{"enable":false,"rollback":false}}}`,
			wantLive: `{"deploymentConfiguration":{"deploymentCircuitBreaker":{"enable":true,"rollback":true}}}`,
			wantLoc:  `{"deploymentConfiguration":{"deploymentCircuitBreaker":{"enable":false,"rollback":false}}}`},
		{name: "capacity provider launch type is not restored", service: true,
			live: `{"launchType":"FARGATE"}`, local: `{"capacityProviderStrategy":[{"capacityProvider":"FARGATE_SPOT","weight":1}]}`,
			wantLive: `{"launchType":"FARGATE"}`, wantLoc: `{"capacityProviderStrategy":[{"capacityProvider":"FARGATE_SPOT","weight":1}]}`},
		{name: "list elements paired by name", live: `{"containerDefinitions":[{"name":"a","essential":false},{"name":"b"}]}`,
			local:    `{"containerDefinitions":[{"name":"b"},{"name":"a"}]}`,
			wantLive: `{"containerDefinitions":[{"name":"a","essential":false},{"name":"b"}]}`,
			wantLoc:  `{"containerDefinitions":[{"name":"a","essential":true},{"name":"b"}]}`},
		{name: "hostPort from its sibling", live: `{"networkMode":"awsvpc","containerDefinitions":[{"name":"a","portMappings":[{"containerPort":80,"hostPort":81}]}]}`,
			local:    `{"networkMode":"awsvpc","containerDefinitions":[{"name":"a","portMappings":[{"containerPort":80}]}]}`,
			wantLive: `{"networkMode":"awsvpc","containerDefinitions":[{"name":"a","portMappings":[{"containerPort":80,"hostPort":81}]}]}`,
			wantLoc:  `{"networkMode":"awsvpc","containerDefinitions":[{"name":"a","portMappings":[{"containerPort":80,"hostPort":80}]}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var gl, gn map[string]any
			if tc.service {
				gl, gn = ServicePair(doc(t, tc.live), doc(t, tc.local), ServiceOptions{})
			} else {
				gl, gn = TaskDefinitionPair(doc(t, tc.live), doc(t, tc.local), Ignore{})
			}
			if !Equal(gl, doc(t, tc.wantLive)) || !Equal(gn, doc(t, tc.wantLoc)) {
				t.Errorf("got live %s local %s\nwant live %s local %s", canonicalJSON(gl), canonicalJSON(gn), tc.wantLive, tc.wantLoc)
			}
		})
	}
}

// Inside an object UpdateService merges, only what the local side sets is
// compared: a circuit breaker the file leaves out stays as it runs.
func TestPairMergedObjects(t *testing.T) {
	live := doc(t, `{"deploymentConfiguration":{"maximumPercent":150,"minimumHealthyPercent":50,"deploymentCircuitBreaker":{"enable":true,"rollback":true}}}`)
	local := doc(t, `{"deploymentConfiguration":{"maximumPercent":200}}`)
	sets := func(p string) bool {
		return p == "deploymentConfiguration" || p == "deploymentConfiguration.maximumPercent"
	}
	gl, gn := ServicePair(live, local, ServiceOptions{Sets: sets})
	if !Equal(gl, doc(t, `{"deploymentConfiguration":{"maximumPercent":150}}`)) || !Equal(gn, doc(t, `{"deploymentConfiguration":{"maximumPercent":200}}`)) {
		t.Errorf("got live %s local %s", canonicalJSON(gl), canonicalJSON(gn))
	}
	gl, gn = ServicePair(live, doc(t, `{"deploymentConfiguration":{}}`), ServiceOptions{Sets: func(p string) bool { return p == "deploymentConfiguration" }})
	if len(gl) != 0 || len(gn) != 0 {
		t.Errorf("an empty merged object compares nothing: live %s local %s", canonicalJSON(gl), canonicalJSON(gn))
	}
}

func TestDoesNotModifyInput(t *testing.T) {
	in := doc(t, `{"cpu":"1 vCPU","containerDefinitions":[{"name":"b","essential":true},{"name":"a"}]}`)
	before := canonicalJSON(in)
	_ = TaskDefinition(in)
	_ = StripTaskDefinitionDefaults(in)
	if canonicalJSON(in) != before {
		t.Errorf("input modified: %s", canonicalJSON(in))
	}
}

func TestStripKeepsOrder(t *testing.T) {
	got := StripTaskDefinitionDefaults(doc(t, `{"containerDefinitions":[{"name":"b","essential":true},{"name":"a","essential":false}],"revision":2}`))
	want := doc(t, `{"containerDefinitions":[{"name":"b"},{"name":"a","essential":false}]}`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %s", canonicalJSON(got))
	}
}

func TestValidatePath(t *testing.T) {
	for _, ok := range []string{"desiredCount", "loadBalancers[].targetGroupArn", "containerDefinitions[].image"} {
		if err := ValidatePath(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a..b", "loadBalancers[0].x", "a.*"} {
		if err := ValidatePath(bad); err == nil {
			t.Errorf("%q: want error", bad)
		}
	}
}
