package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/doppio-ecs/doppio/render"
)

// fakeCodeDeploy holds applications (name → platform) and groups (app →
// group → ecs services as cluster/service), and counts the calls.
type fakeCodeDeploy struct {
	CodeDeployAPI
	platforms map[string]cdtypes.ComputePlatform
	appOrder  []string
	groups    map[string]map[string]string
	calls     map[string]int
	maxBatch  int
}

func (f *fakeCodeDeploy) count(op string) { f.calls[op]++ }

func (f *fakeCodeDeploy) ListApplications(_ context.Context, in *codedeploy.ListApplicationsInput, _ ...func(*codedeploy.Options)) (*codedeploy.ListApplicationsOutput, error) {
	f.count("ListApplications")
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &start)
	}
	end := min(start+100, len(f.appOrder))
	out := &codedeploy.ListApplicationsOutput{Applications: f.appOrder[start:end]}
	if end < len(f.appOrder) {
		out.NextToken = aws.String(fmt.Sprint(end))
	}
	return out, nil
}

func (f *fakeCodeDeploy) BatchGetApplications(_ context.Context, in *codedeploy.BatchGetApplicationsInput, _ ...func(*codedeploy.Options)) (*codedeploy.BatchGetApplicationsOutput, error) {
	f.count("BatchGetApplications")
	f.maxBatch = max(f.maxBatch, len(in.ApplicationNames))
	if len(in.ApplicationNames) > 100 {
		return nil, errors.New("BatchLimitExceededException")
	}
	out := &codedeploy.BatchGetApplicationsOutput{}
	for _, n := range in.ApplicationNames {
		out.ApplicationsInfo = append(out.ApplicationsInfo, cdtypes.ApplicationInfo{ApplicationName: aws.String(n), ComputePlatform: f.platforms[n]})
	}
	return out, nil
}

func (f *fakeCodeDeploy) ListDeploymentGroups(_ context.Context, in *codedeploy.ListDeploymentGroupsInput, _ ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentGroupsOutput, error) {
	f.count("ListDeploymentGroups")
	out := &codedeploy.ListDeploymentGroupsOutput{ApplicationName: in.ApplicationName}
	for g := range f.groups[aws.ToString(in.ApplicationName)] {
		out.DeploymentGroups = append(out.DeploymentGroups, g)
	}
	return out, nil
}

func (f *fakeCodeDeploy) BatchGetDeploymentGroups(_ context.Context, in *codedeploy.BatchGetDeploymentGroupsInput, _ ...func(*codedeploy.Options)) (*codedeploy.BatchGetDeploymentGroupsOutput, error) {
	f.count("BatchGetDeploymentGroups")
	out := &codedeploy.BatchGetDeploymentGroupsOutput{}
	for _, g := range in.DeploymentGroupNames {
		svc, ok := f.groups[aws.ToString(in.ApplicationName)][g]
		if !ok {
			continue
		}
		cluster, service, _ := strings.Cut(svc, "/")
		out.DeploymentGroupsInfo = append(out.DeploymentGroupsInfo, cdtypes.DeploymentGroupInfo{DeploymentGroupName: aws.String(g),
			DeploymentConfigName: aws.String("CodeDeployDefault.ECSAllAtOnce"),
			EcsServices:          []cdtypes.ECSService{{ClusterName: aws.String(cluster), ServiceName: aws.String(service)}}})
	}
	return out, nil
}

func newFakeCodeDeploy(apps int) *fakeCodeDeploy {
	f := &fakeCodeDeploy{platforms: map[string]cdtypes.ComputePlatform{}, groups: map[string]map[string]string{}, calls: map[string]int{}}
	for i := range apps {
		name := fmt.Sprintf("app-%03d", i)
		f.appOrder = append(f.appOrder, name)
		f.platforms[name] = cdtypes.ComputePlatformServer
	}
	// The service's group is in the last application, behind an ECS
	// application of another service.
	f.platforms["app-100"] = cdtypes.ComputePlatformEcs
	f.groups["app-100"] = map[string]string{"dg-api": "demo/api"}
	last := f.appOrder[len(f.appOrder)-1]
	f.platforms[last] = cdtypes.ComputePlatformEcs
	f.groups[last] = map[string]string{"dg-web": "demo/web"}
	return f
}

// TestCodeDeployGroup: the deployment group is found as ecspresso finds
// it (ECS applications only, batches of 100, the group whose ecsServices
// names the service), once per run, and the config's names skip the scan.
func TestCodeDeployGroup(t *testing.T) {
	ctx := context.Background()
	f := newFakeCodeDeploy(250)
	cd := NewCodeDeploy(f, "us-east-1", nil, nil)
	g, err := cd.Group(ctx, "arn:aws:ecs:us-east-1:123456789012:cluster/demo", "web")
	if err != nil {
		t.Fatal(err)
	}
	if g.Application != "app-249" || g.DeploymentGroup != "dg-web" || g.DeploymentConfig != "CodeDeployDefault.ECSAllAtOnce" {
		t.Fatalf("found %+v", g)
	}
	if f.maxBatch > 100 || f.calls["BatchGetApplications"] != 3 || f.calls["ListApplications"] != 3 {
		t.Fatalf("batches: %v (largest %d)", f.calls, f.maxBatch)
	}
	// Only the two ECS applications had their groups listed.
	if f.calls["ListDeploymentGroups"] != 2 {
		t.Fatalf("groups listed of non-ECS applications: %v", f.calls)
	}
	before := f.calls["ListApplications"]
	if _, err := cd.Group(ctx, "demo", "web"); err != nil || f.calls["ListApplications"] != before {
		t.Fatalf("second lookup not cached: %v %v", f.calls, err)
	}

	f = newFakeCodeDeploy(3)
	named := NewCodeDeploy(f, "us-east-1", &render.CodeDeployConfig{ApplicationName: "app-002", DeploymentGroupName: "dg-web", DeploymentConfigName: "CodeDeployDefault.ECSCanary10Percent5Minutes"}, nil)
	g, err = named.Group(ctx, "demo", "web")
	if err != nil || g.DeploymentConfig != "CodeDeployDefault.ECSCanary10Percent5Minutes" {
		t.Fatalf("named: %+v %v", g, err)
	}
	if f.calls["ListApplications"]+f.calls["ListDeploymentGroups"]+f.calls["BatchGetApplications"] != 0 {
		t.Fatalf("the config's names must skip the scan: %v", f.calls)
	}
	if _, err := named.Group(ctx, "demo", "other"); !errors.Is(err, ErrNoDeploymentGroup) || !strings.Contains(err.Error(), "deployment group dg-web of application app-002") {
		t.Fatalf("a group of another service: %v", err)
	}
	if _, err := NewCodeDeploy(newFakeCodeDeploy(3), "", nil, nil).Group(ctx, "demo", "nope"); !errors.Is(err, ErrNoDeploymentGroup) {
		t.Fatalf("no group: %v", err)
	}
}
