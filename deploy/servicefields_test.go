package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/apijson"
	"github.com/doppio-ecs/doppio/normalize"
	"github.com/doppio-ecs/doppio/render"
	"github.com/doppio-ecs/doppio/tests/awsemu"
)

// notFromFile are the UpdateService members a service definition file does
// not set, and why.
var notFromFile = map[string]string{
	"cluster":            "the config's cluster",
	"service":            "the config's service",
	"taskDefinition":     "the task definition file (or --revision, --latest-task-definition, --skip-task-definition)",
	"forceNewDeployment": "the --force-new-deployment flag",
	"gatewayConnectors":  "not a member of the service definition: DescribeServices does not return it, so diff could not compare it",
	"monitoring":         "accepted in the file and sent by CreateService, but DescribeServices does not return it, so it cannot be compared and UpdateService never sends it",
}

// fieldCase is one UpdateService member the file sets: the live value, file
// values that differ from it (zero values among them) and file values equal
// to it after normalization. sent maps a file value to what UpdateService
// must carry when it is not the value itself ("" stands for the default).
type fieldCase struct {
	live    string
	differ  []string
	equal   []string
	sent    map[string]string
	seedFix func(in *ecs.CreateServiceInput)
	// noConverge says why the emulator does not apply the differing value,
	// so a diff after the deploy is not expected to be empty.
	noConverge string
}

const (
	latticeTG = `"arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-0123456789abcdef0"`
	elbTG     = `"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"`
	// elbTG2 is another target group: the task definition maps port 80
	// only, and deploy refuses a load balancer on a port it does not map.
	elbTG2 = `"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web2/fedcba9876543210"`
)

var fieldCases = map[string]fieldCase{
	"availabilityZoneRebalancing": {live: `"ENABLED"`, differ: []string{`"DISABLED"`, `""`}, equal: []string{`"ENABLED"`},
		sent: map[string]string{`""`: `"DISABLED"`}},
	"capacityProviderStrategy": {live: `[{"capacityProvider":"FARGATE","weight":1}]`,
		differ:  []string{`[{"capacityProvider":"FARGATE_SPOT","weight":1}]`, `[]`},
		equal:   []string{`[{"capacityProvider":"FARGATE","weight":1,"base":0}]`},
		seedFix: func(in *ecs.CreateServiceInput) { in.LaunchType = "" }},
	// UpdateService keeps what deploymentConfiguration leaves out: only the
	// keys the file sets are compared, and a circuit breaker the file does
	// not mention is no change.
	"deploymentConfiguration": {live: `{"maximumPercent":200,"minimumHealthyPercent":100,"deploymentCircuitBreaker":{"enable":true,"rollback":true}}`,
		differ: []string{`{"maximumPercent":200,"minimumHealthyPercent":100,"deploymentCircuitBreaker":{"enable":false,"rollback":false}}`,
			`{"maximumPercent":150}`, `{"minimumHealthyPercent":0}`},
		equal: []string{`{"deploymentCircuitBreaker":{"enable":true,"rollback":true}}`, `{"maximumPercent":200}`, `{}`}},
	"deploymentController": {live: `{"type":"ECS"}`, differ: []string{`{"type":"EXTERNAL"}`}, equal: []string{`{"type":"ECS"}`, `{}`},
		noConverge: "the emulator emulates the ECS deployment controller only"},
	"desiredCount":                  {live: `2`, differ: []string{`0`, `3`}, equal: []string{`2`}},
	"enableECSManagedTags":          {live: `true`, differ: []string{`false`}, equal: []string{`true`}},
	"enableExecuteCommand":          {live: `true`, differ: []string{`false`}, equal: []string{`true`}},
	"healthCheckGracePeriodSeconds": {live: `30`, differ: []string{`0`, `60`}, equal: []string{`30`}},
	"loadBalancers": {live: `[{"targetGroupArn":` + elbTG + `,"containerName":"app","containerPort":80}]`,
		differ: []string{`[]`, `[{"targetGroupArn":` + elbTG2 + `,"containerName":"app","containerPort":80}]`},
		equal:  []string{`[{"containerName":"app","containerPort":80,"targetGroupArn":` + elbTG + `}]`}},
	"networkConfiguration": {live: `{"awsvpcConfiguration":{"subnets":["subnet-1"],"assignPublicIp":"ENABLED"}}`,
		differ: []string{`{"awsvpcConfiguration":{"subnets":["subnet-1"],"assignPublicIp":"DISABLED"}}`, `{"awsvpcConfiguration":{"subnets":["subnet-1"],"securityGroups":[]}}`},
		equal:  []string{`{"awsvpcConfiguration":{"subnets":["subnet-1"],"assignPublicIp":"ENABLED","securityGroups":[]}}`}},
	"placementConstraints": {live: `[{"type":"distinctInstance"}]`, differ: []string{`[]`, `[{"type":"memberOf","expression":"attribute:ecs.os-type == linux"}]`},
		equal: []string{`[{"type":"distinctInstance"}]`}},
	"placementStrategy": {live: `[{"type":"spread","field":"attribute:ecs.availability-zone"}]`, differ: []string{`[]`, `[{"type":"binpack","field":"memory"}]`},
		equal: []string{`[{"field":"attribute:ecs.availability-zone","type":"spread"}]`}},
	"platformVersion": {live: `"1.4.0"`, differ: []string{`""`, `"LATEST"`}, equal: []string{`"1.4.0"`},
		sent: map[string]string{`""`: `"LATEST"`}},
	"propagateTags": {live: `"SERVICE"`, differ: []string{`""`, `"TASK_DEFINITION"`}, equal: []string{`"SERVICE"`},
		sent: map[string]string{`""`: `"NONE"`}},
	"serviceConnectConfiguration": {live: `{"enabled":true,"namespace":"internal"}`, differ: []string{`{"enabled":false}`, `{"enabled":true,"namespace":"other"}`},
		equal: []string{`{"enabled":true,"namespace":"internal"}`}},
	"serviceRegistries": {live: `[{"registryArn":"arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1"}]`, differ: []string{`[]`},
		equal: []string{`[{"registryArn":"arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1"}]`}},
	"volumeConfigurations": {live: `[{"name":"data","managedEBSVolume":{"roleArn":"arn:aws:iam::123456789012:role/ebs","sizeInGiB":10}}]`,
		differ: []string{`[]`, `[{"name":"data","managedEBSVolume":{"roleArn":"arn:aws:iam::123456789012:role/ebs","sizeInGiB":20}}]`},
		equal:  []string{`[{"name":"data","managedEBSVolume":{"sizeInGiB":10,"roleArn":"arn:aws:iam::123456789012:role/ebs"}}]`}},
	"vpcLatticeConfigurations": {live: `[{"roleArn":"arn:aws:iam::123456789012:role/lattice","targetGroupArn":` + latticeTG + `,"portName":"http"}]`,
		differ: []string{`[]`},
		equal:  []string{`[{"portName":"http","roleArn":"arn:aws:iam::123456789012:role/lattice","targetGroupArn":` + latticeTG + `}]`}},
}

// TestEveryUpdateServiceFieldDeploysWhatDiffShows: for every member of
// ecs.UpdateServiceInput the service definition file can set (enumerated by
// reflection, so a member a new SDK adds fails this test until it is
// covered or listed in notFromFile), a file value that differs from the
// live one (false, 0, "" and [] among them) is a diff line AND the same
// member, with that value, in the UpdateService request; an equal value is
// neither. The file sets that one member only: the others stay unchanged.
func TestEveryUpdateServiceFieldDeploysWhatDiffShows(t *testing.T) {
	rt := reflect.TypeFor[ecs.UpdateServiceInput]()
	var members []string
	for i := range rt.NumField() {
		if f := rt.Field(i); f.IsExported() {
			members = append(members, apijson.LowerFirst(f.Name))
		}
	}
	for _, m := range members {
		_, covered := fieldCases[m]
		if _, skipped := notFromFile[m]; covered == skipped {
			t.Errorf("UpdateServiceInput member %s: give it a case in fieldCases or a reason in notFromFile (exactly one)", m)
		}
	}
	for m := range fieldCases {
		if !slices.Contains(members, m) {
			t.Errorf("fieldCases has %s, which UpdateServiceInput does not have", m)
		}
	}

	emu := awsemu.New(awsemu.Options{Seed: 7})
	if err := emu.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	if err := emu.CreateCluster("demo"); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"internal", "other"} {
		if _, err := emu.PutNamespace(awsemu.NamespaceSpec{Name: ns}); err != nil {
			t.Fatal(err)
		}
	}
	// ECS refuses a registry that does not exist.
	if _, err := emu.PutNamespace(awsemu.NamespaceSpec{Name: "corp.internal", Type: "DNS_PRIVATE", Services: []awsemu.CloudMapServiceSpec{{ID: "srv-1", Name: "web"}}}); err != nil {
		t.Fatal(err)
	}
	td := taskDef("nginx:1", nil)
	td.ContainerDefinitions[0].PortMappings = []ecstypes.PortMapping{{ContainerPort: aws.Int32(80), Name: aws.String("http")}}
	td.Volumes = []ecstypes.Volume{{Name: aws.String("data"), ConfiguredAtLaunch: aws.Bool(true)}}
	tdARN, err := emu.SeedTaskDefinition(td)
	if err != nil {
		t.Fatal(err)
	}
	clients := clientsFor(t, emu)
	d := New(clients, nil)
	ctx := context.Background()

	for _, m := range sortedCaseMembers() {
		fc := fieldCases[m]
		run := func(variant int, file string, wantChange bool) {
			name := fmt.Sprintf("%s/%s", m, file)
			svc := fmt.Sprintf("s%d-%d", slices.Index(sortedCaseMembers(), m), variant)
			t.Run(name, func(t *testing.T) {
				seedLive(t, emu, svc, tdARN, m, fc)
				sd, err := render.DecodeServiceDefinition("sd.json", []byte(fmt.Sprintf(`{%q: %s}`, m, file)))
				if err != nil {
					t.Fatal(err)
				}
				live, err := FetchLive(ctx, NewLiveReader(clients), "demo", svc, "web")
				if err != nil {
					t.Fatal(err)
				}
				res, err := Compare(Local{Service: sd, ServicePath: "sd.json"}, live, normalize.Ignore{})
				if err != nil {
					t.Fatal(err)
				}
				diffMembers := res.Service.Members()
				mark := emu.Log.Len()
				spec := &Spec{Cluster: "demo", Service: svc, ServiceDefinition: sd}
				if _, _, err := d.Deploy(ctx, spec, Options{SkipTaskDefinition: true, NoWait: true}); err != nil {
					t.Fatalf("deploy: %v", err)
				}
				sent, updated := updateServiceMember(emu, mark, m)
				if !wantChange {
					if len(diffMembers) > 0 || sent != nil {
						t.Errorf("equal value: diff shows %v, UpdateService sent %s=%s", diffMembers, m, sent)
					}
					return
				}
				if !slices.Equal(diffMembers, []string{m}) {
					t.Errorf("diff shows members %v, want [%s]:\n%+v", diffMembers, m, res.Service.Changes)
				}
				if !updated || sent == nil {
					t.Fatalf("UpdateService did not send %s (called: %v)", m, updated)
				}
				want := file
				if s, ok := fc.sent[file]; ok {
					want = s
				}
				if !sameJSON(t, sent, want) {
					t.Errorf("UpdateService sent %s=%s, want %s", m, sent, want)
				}
				if u, _ := res.Service.Unified(false); !strings.Contains(u, "\n-") || !strings.Contains(u, "\n+") {
					t.Errorf("the unified diff must show the change as - and + lines:\n%s", u)
				}
				// What was sent is what the file says: once applied, diff is empty.
				if fc.noConverge != "" {
					return
				}
				after, err := FetchLive(ctx, NewLiveReader(clients), "demo", svc, "web")
				if err != nil {
					t.Fatal(err)
				}
				if res, err := Compare(Local{Service: sd}, after, normalize.Ignore{}); err != nil || res.Service.Differs() {
					t.Errorf("diff after the deploy: %+v (%v)", res.Service.Changes, err)
				}
			})
		}
		for i, v := range fc.differ {
			run(i, v, true)
		}
		for i, v := range fc.equal {
			run(len(fc.differ)+i, v, false)
		}
	}
}

func sortedCaseMembers() []string {
	var out []string
	for m := range fieldCases {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}

// seedLive creates service svc whose member m holds the case's live value.
func seedLive(t *testing.T, emu *awsemu.Emulator, svc, tdARN, m string, fc fieldCase) {
	t.Helper()
	in := &ecs.CreateServiceInput{
		Cluster: aws.String("demo"), ServiceName: aws.String(svc), TaskDefinition: aws.String(tdARN),
		DesiredCount: aws.Int32(2), LaunchType: ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}},
	}
	if fc.seedFix != nil {
		fc.seedFix(in)
	}
	var v any
	if err := json.Unmarshal([]byte(fc.live), &v); err != nil {
		t.Fatal(err)
	}
	if err := setMember(in, m, v); err != nil {
		t.Fatal(err)
	}
	if _, err := emu.SeedService(in); err != nil {
		t.Fatalf("seed %s=%s: %v", m, fc.live, err)
	}
}

// updateServiceMember returns member m of the UpdateService request since
// mark (nil when not sent) and whether UpdateService was called.
func updateServiceMember(emu *awsemu.Emulator, mark int, m string) (json.RawMessage, bool) {
	for _, r := range emu.Log.Since(mark) {
		if r.Service == "ECS" && r.Operation == "UpdateService" {
			return r.Members[m], true
		}
	}
	return nil, false
}

func sameJSON(t *testing.T, a json.RawMessage, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}
