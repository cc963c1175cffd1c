package awsemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

type ecsFixture struct {
	t   *testing.T
	e   *Emulator
	clk *ManualClock
	c   *ecs.Client
	ctx context.Context
}

func newECSFixture(t *testing.T) *ecsFixture {
	t.Helper()
	e := startEmulator(t, Options{Seed: 1})
	f := &ecsFixture{t: t, e: e, clk: e.Clock().(*ManualClock), ctx: context.Background()}
	f.c = ecs.NewFromConfig(sdkConfig(t, e, 1))
	if err := e.CreateCluster("app"); err != nil {
		t.Fatal(err)
	}
	return f
}

func fargateTD(family, image string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family), NetworkMode: ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu:                     aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String(image),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080)}},
		}},
	}
}

var testNetwork = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}}

func (f *ecsFixture) register(in *ecs.RegisterTaskDefinitionInput) string {
	f.t.Helper()
	out, err := f.c.RegisterTaskDefinition(f.ctx, in)
	if err != nil {
		f.t.Fatalf("register %s: %v", aws.ToString(in.Family), err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

func (f *ecsFixture) service(name string) ecstypes.Service {
	f.t.Helper()
	out, err := f.c.DescribeServices(f.ctx, &ecs.DescribeServicesInput{Cluster: aws.String("app"), Services: []string{name}})
	if err != nil {
		f.t.Fatal(err)
	}
	if len(out.Services) != 1 {
		f.t.Fatalf("describe %s: failures %+v", name, out.Failures)
	}
	return out.Services[0]
}

// seedWeb seeds a steady Fargate service "web" running td with desired tasks.
func (f *ecsFixture) seedWeb(td string, desired int32, dc *ecstypes.DeploymentConfiguration) {
	f.t.Helper()
	_, err := f.e.SeedService(&ecs.CreateServiceInput{
		Cluster: aws.String("app"), ServiceName: aws.String("web"), TaskDefinition: aws.String(td),
		DesiredCount: aws.Int32(desired), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork,
		DeploymentConfiguration: dc,
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// until advances the clock by step until cond holds on the described
// service, failing after limit steps.
func (f *ecsFixture) until(name string, step time.Duration, limit int, cond func(ecstypes.Service) bool) ecstypes.Service {
	f.t.Helper()
	for i := 0; i < limit; i++ {
		svc := f.service(name)
		if cond(svc) {
			return svc
		}
		f.clk.Advance(step)
	}
	svc := f.service(name)
	f.t.Fatalf("condition not reached after %d steps; service: status=%s running=%d pending=%d deployments=%s events=%s",
		limit, aws.ToString(svc.Status), svc.RunningCount, svc.PendingCount, deploymentsString(svc), eventsString(svc, 8))
	return svc
}

func deploymentsString(svc ecstypes.Service) string {
	var parts []string
	for _, d := range svc.Deployments {
		parts = append(parts, fmt.Sprintf("%s/%s/%s td=%s run=%d pend=%d want=%d failed=%d",
			aws.ToString(d.Id), aws.ToString(d.Status), d.RolloutState, lastSegment(aws.ToString(d.TaskDefinition)),
			d.RunningCount, d.PendingCount, d.DesiredCount, d.FailedTasks))
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

func eventsString(svc ecstypes.Service, n int) string {
	var parts []string
	for i, ev := range svc.Events {
		if i == n {
			break
		}
		parts = append(parts, aws.ToString(ev.Message))
	}
	return strings.Join(parts, " | ")
}

func hasEvent(svc ecstypes.Service, substr string) bool {
	for _, ev := range svc.Events {
		if strings.Contains(aws.ToString(ev.Message), substr) {
			return true
		}
	}
	return false
}

func TestECSTaskDefinitions(t *testing.T) {
	f := newECSFixture(t)
	in := fargateTD("web", "nginx:1")
	in.Cpu, in.Memory = aws.String("1 vCPU"), aws.String("2 GB")
	in.Tags = []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("a")}}
	in.ExecutionRoleArn = aws.String("arn:aws:iam::123456789012:role/exec")
	out, err := f.c.RegisterTaskDefinition(f.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	td := out.TaskDefinition
	if aws.ToString(td.Cpu) != "1024" || aws.ToString(td.Memory) != "2048" {
		t.Errorf("cpu/memory stored as %s/%s, want 1024/2048", aws.ToString(td.Cpu), aws.ToString(td.Memory))
	}
	if td.Revision != 1 || td.Status != ecstypes.TaskDefinitionStatusActive || td.RegisteredAt == nil {
		t.Errorf("revision/status/registeredAt: %d %s %v", td.Revision, td.Status, td.RegisteredAt)
	}
	if !hasCompat(td.Compatibilities, ecstypes.CompatibilityFargate) || len(td.RequiresAttributes) == 0 {
		t.Errorf("compatibilities %v, requiresAttributes %v", td.Compatibilities, td.RequiresAttributes)
	}
	if pm := td.ContainerDefinitions[0].PortMappings[0]; aws.ToInt32(pm.HostPort) != 8080 || pm.Protocol != ecstypes.TransportProtocolTcp {
		t.Errorf("port mapping not filled as ECS does: %+v", pm)
	}
	if !aws.ToBool(td.ContainerDefinitions[0].Essential) {
		t.Error("essential should default to true")
	}
	for i := 0; i < 3; i++ {
		f.register(fargateTD("web", fmt.Sprintf("nginx:%d", i+2)))
	}
	f.register(fargateTD("worker", "busybox"))

	d, err := f.c.DescribeTaskDefinition(f.ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web"), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
	if err != nil {
		t.Fatal(err)
	}
	if d.TaskDefinition.Revision != 4 {
		t.Errorf("family resolves to revision %d, want latest 4", d.TaskDefinition.Revision)
	}
	d, err = f.c.DescribeTaskDefinition(f.ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web:1"), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
	if err != nil || len(d.Tags) != 1 || aws.ToString(d.Tags[0].Value) != "a" {
		t.Fatalf("describe web:1 with tags: %v %+v", err, d)
	}
	byArn, err := f.c.DescribeTaskDefinition(f.ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: d.TaskDefinition.TaskDefinitionArn})
	if err != nil || byArn.TaskDefinition.Revision != 1 || byArn.Tags != nil {
		t.Fatalf("describe by ARN: %v", err)
	}
	_, err = f.c.DescribeTaskDefinition(f.ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web:99")})
	var ce *ecstypes.ClientException
	if !errors.As(err, &ce) || ce.ErrorMessage() != "Unable to describe task definition." {
		t.Fatalf("unknown revision: %v", err)
	}

	// Deregister 2, delete it; list by status and order, paginate.
	if _, err := f.c.DeregisterTaskDefinition(f.ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web:2")}); err != nil {
		t.Fatal(err)
	}
	del, err := f.c.DeleteTaskDefinitions(f.ctx, &ecs.DeleteTaskDefinitionsInput{TaskDefinitions: []string{"web:2", "web:3"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(del.TaskDefinitions) != 1 || del.TaskDefinitions[0].Status != ecstypes.TaskDefinitionStatusDeleteInProgress || len(del.Failures) != 1 {
		t.Fatalf("delete: %+v failures %+v", del.TaskDefinitions, del.Failures)
	}
	list := func(in *ecs.ListTaskDefinitionsInput) []string {
		var all []string
		p := ecs.NewListTaskDefinitionsPaginator(f.c, in)
		for p.HasMorePages() {
			out, err := p.NextPage(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range out.TaskDefinitionArns {
				all = append(all, lastSegment(a))
			}
		}
		return all
	}
	if got := strings.Join(list(&ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("web"), MaxResults: aws.Int32(1)}), ","); got != "web:1,web:3,web:4" {
		t.Errorf("active web revisions = %s", got)
	}
	if got := strings.Join(list(&ecs.ListTaskDefinitionsInput{Sort: ecstypes.SortOrderDesc}), ","); got != "worker:1,web:4,web:3,web:1" {
		t.Errorf("all active, DESC = %s", got)
	}
	if got := strings.Join(list(&ecs.ListTaskDefinitionsInput{Status: ecstypes.TaskDefinitionStatusDeleteInProgress}), ","); got != "web:2" {
		t.Errorf("DELETE_IN_PROGRESS = %s", got)
	}
	if got := strings.Join(list(&ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("we")}), ","); got != "" {
		t.Errorf("familyPrefix must match the whole family as on ECS, got %s", got)
	}
	fam, err := f.c.ListTaskDefinitionFamilies(f.ctx, &ecs.ListTaskDefinitionFamiliesInput{FamilyPrefix: aws.String("w")})
	if err != nil || strings.Join(fam.Families, ",") != "web,worker" {
		t.Fatalf("families: %v %v", err, fam)
	}
}

func TestECSValidationErrors(t *testing.T) {
	f := newECSFixture(t)
	clientErr := func(name string, mutate func(*ecs.RegisterTaskDefinitionInput), want string) {
		t.Helper()
		in := fargateTD("web", "nginx")
		mutate(in)
		_, err := f.c.RegisterTaskDefinition(f.ctx, in)
		var ce *ecstypes.ClientException
		if !errors.As(err, &ce) || !strings.Contains(ce.ErrorMessage(), want) {
			t.Errorf("%s: want ClientException %q, got %v", name, want, err)
		}
	}
	clientErr("fargate without awsvpc", func(in *ecs.RegisterTaskDefinitionInput) { in.NetworkMode = ecstypes.NetworkModeBridge }, "Fargate only supports network mode ‘awsvpc’.")
	clientErr("invalid fargate size", func(in *ecs.RegisterTaskDefinitionInput) { in.Memory = aws.String("8192") }, "No Fargate configuration exists for given values: 256 CPU, 8192 memory.")
	clientErr("host port", func(in *ecs.RegisterTaskDefinitionInput) {
		in.ContainerDefinitions[0].PortMappings[0].HostPort = aws.Int32(80)
	}, "When networkMode=awsvpc, the host ports and container ports in port mappings must match.")
	clientErr("duplicate names", func(in *ecs.RegisterTaskDefinitionInput) {
		in.ContainerDefinitions = append(in.ContainerDefinitions, in.ContainerDefinitions[0])
	}, "Duplicate container names")
	clientErr("family", func(in *ecs.RegisterTaskDefinitionInput) { in.Family = aws.String("web app") }, "Family contains invalid characters.")
	clientErr("cpu units", func(in *ecs.RegisterTaskDefinitionInput) { in.Cpu = aws.String("lots") }, "Invalid 'cpu' setting for task.")

	td := f.register(fargateTD("web", "nginx"))
	_, err := f.c.CreateService(f.ctx, &ecs.CreateServiceInput{Cluster: aws.String("nope"), ServiceName: aws.String("web"), TaskDefinition: aws.String(td)})
	var cnf *ecstypes.ClusterNotFoundException
	if !errors.As(err, &cnf) || cnf.ErrorMessage() != "Cluster not found." {
		t.Errorf("missing cluster: %v", err)
	}
	_, err = f.c.CreateService(f.ctx, &ecs.CreateServiceInput{Cluster: aws.String("app"), ServiceName: aws.String("web"), TaskDefinition: aws.String(td), LaunchType: ecstypes.LaunchTypeFargate})
	var ipe *ecstypes.InvalidParameterException
	if !errors.As(err, &ipe) || !strings.Contains(ipe.ErrorMessage(), "Network Configuration must be provided") {
		t.Errorf("awsvpc without network configuration: %v", err)
	}
	_, err = f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("ghost"), ForceNewDeployment: true})
	var snf *ecstypes.ServiceNotFoundException
	if !errors.As(err, &snf) {
		t.Errorf("unknown service: %v", err)
	}
	_, err = f.c.DescribeServices(f.ctx, &ecs.DescribeServicesInput{Cluster: aws.String("app"), Services: strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",")})
	if !errors.As(err, &ipe) {
		t.Errorf("11 services: %v", err)
	}
	out, err := f.c.DescribeServices(f.ctx, &ecs.DescribeServicesInput{Cluster: aws.String("app"), Services: []string{"ghost"}})
	if err != nil || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "MISSING" ||
		aws.ToString(out.Failures[0].Arn) != "arn:aws:ecs:us-east-1:123456789012:service/app/ghost" {
		t.Errorf("missing service failure: %v %+v", err, out)
	}
	_, err = f.c.DescribeServices(f.ctx, &ecs.DescribeServicesInput{Services: []string{"web"}})
	if !errors.As(err, &cnf) {
		t.Errorf("no default cluster unless created: %v", err)
	}
	_, err = f.c.StopTask(f.ctx, &ecs.StopTaskInput{Cluster: aws.String("app"), Task: aws.String("0123")})
	if !errors.As(err, &ipe) {
		t.Errorf("stop unknown task: %v", err)
	}
}

func TestECSClustersServicesTagsPagination(t *testing.T) {
	f := newECSFixture(t)
	cl, err := f.c.CreateCluster(f.ctx, &ecs.CreateClusterInput{ClusterName: aws.String("default"), Tags: []ecstypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	if err != nil {
		t.Fatal(err)
	}
	dc, err := f.c.DescribeClusters(f.ctx, &ecs.DescribeClustersInput{Clusters: []string{"default", "ghost"}, Include: []ecstypes.ClusterField{ecstypes.ClusterFieldTags}})
	if err != nil || len(dc.Clusters) != 1 || len(dc.Failures) != 1 || len(dc.Clusters[0].Tags) != 1 {
		t.Fatalf("describe clusters: %v %+v", err, dc)
	}
	td := f.register(fargateTD("web", "nginx"))
	for i := 0; i < 5; i++ {
		_, err := f.c.CreateService(f.ctx, &ecs.CreateServiceInput{Cluster: aws.String("app"), ServiceName: aws.String(fmt.Sprintf("s%d", i)),
			TaskDefinition: aws.String(td), DesiredCount: aws.Int32(0), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork,
			Tags: []ecstypes.Tag{{Key: aws.String("n"), Value: aws.String(fmt.Sprint(i))}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = f.c.CreateService(f.ctx, &ecs.CreateServiceInput{Cluster: aws.String("app"), ServiceName: aws.String("s0"), TaskDefinition: aws.String(td),
		LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork})
	var ipe *ecstypes.InvalidParameterException
	if !errors.As(err, &ipe) {
		t.Errorf("duplicate service: %v", err)
	}
	var names []string
	p := ecs.NewListServicesPaginator(f.c, &ecs.ListServicesInput{Cluster: aws.String("app"), MaxResults: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, a := range out.ServiceArns {
			names = append(names, lastSegment(a))
		}
	}
	if strings.Join(names, ",") != "s0,s1,s2,s3,s4" || pages != 3 {
		t.Errorf("ListServices pages=%d names=%v", pages, names)
	}
	// A service with desired 0 is stable at once (after SteadyState).
	f.clk.Advance(2 * time.Second)
	svc := f.service("s1")
	if len(svc.Deployments) != 1 || svc.Deployments[0].RolloutState != ecstypes.DeploymentRolloutStateCompleted {
		t.Errorf("empty service not completed: %s", deploymentsString(svc))
	}
	arn := aws.ToString(svc.ServiceArn)
	if _, err := f.c.TagResource(f.ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: []ecstypes.Tag{{Key: aws.String("x"), Value: aws.String("y")}, {Key: aws.String("n"), Value: aws.String("9")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.UntagResource(f.ctx, &ecs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.c.ListTagsForResource(f.ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "9" {
		t.Errorf("tags: %v %+v", err, tags)
	}
	withTags, err := f.c.DescribeServices(f.ctx, &ecs.DescribeServicesInput{Cluster: aws.String("app"), Services: []string{arn}, Include: []ecstypes.ServiceField{ecstypes.ServiceFieldTags}})
	if err != nil || len(withTags.Services[0].Tags) != 1 {
		t.Errorf("describe by ARN with tags: %v", err)
	}
	_ = cl
}

func TestECSRolloutCompletes(t *testing.T) {
	f := newECSFixture(t)
	v1 := f.register(fargateTD("web", "nginx:1"))
	f.seedWeb(v1, 2, nil)
	svc := f.service("web")
	if svc.RunningCount != 2 || len(svc.Deployments) != 1 || svc.Deployments[0].RolloutState != ecstypes.DeploymentRolloutStateCompleted {
		t.Fatalf("seeded service not steady: %s", deploymentsString(svc))
	}
	oldID := aws.ToString(svc.Deployments[0].Id)
	v2 := f.register(fargateTD("web", "nginx:2"))
	up, err := f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"), TaskDefinition: aws.String("web:2")})
	if err != nil {
		t.Fatal(err)
	}
	s := *up.Service
	if len(s.Deployments) != 2 || aws.ToString(s.Deployments[0].Status) != "PRIMARY" || aws.ToString(s.Deployments[1].Status) != "ACTIVE" ||
		s.Deployments[0].RolloutState != ecstypes.DeploymentRolloutStateInProgress || aws.ToString(s.Deployments[1].Id) != oldID {
		t.Fatalf("after update: %s", deploymentsString(s))
	}
	if aws.ToString(s.TaskDefinition) != v2 || !strings.HasPrefix(aws.ToString(s.Deployments[0].Id), "ecs-svc/") {
		t.Fatalf("service taskDefinition %s", aws.ToString(s.TaskDefinition))
	}
	if s.PendingCount != 2 || s.RunningCount != 2 {
		t.Errorf("with max 200%% both sets run: running=%d pending=%d", s.RunningCount, s.PendingCount)
	}
	// Tasks move PROVISIONING → PENDING → RUNNING.
	tasks, err := f.c.ListTasks(f.ctx, &ecs.ListTasksInput{Cluster: aws.String("app"), ServiceName: aws.String("web")})
	if err != nil || len(tasks.TaskArns) != 4 {
		t.Fatalf("list tasks: %v %v", err, tasks)
	}
	statuses := func() string {
		out, err := f.c.DescribeTasks(f.ctx, &ecs.DescribeTasksInput{Cluster: aws.String("app"), Tasks: tasks.TaskArns})
		if err != nil {
			t.Fatal(err)
		}
		var st []string
		for _, tk := range out.Tasks {
			st = append(st, aws.ToString(tk.LastStatus))
			if !strings.HasPrefix(aws.ToString(tk.StartedBy), "ecs-svc/") || aws.ToString(tk.Group) != "service:web" {
				t.Errorf("task startedBy=%s group=%s", aws.ToString(tk.StartedBy), aws.ToString(tk.Group))
			}
		}
		return strings.Join(st, ",")
	}
	if got := statuses(); got != "RUNNING,RUNNING,PROVISIONING,PROVISIONING" {
		t.Errorf("t0: %s", got)
	}
	f.clk.Advance(time.Second)
	if got := statuses(); got != "RUNNING,RUNNING,PENDING,PENDING" {
		t.Errorf("t1: %s", got)
	}
	f.clk.Advance(2 * time.Second)
	if got := statuses(); got != "STOPPING,STOPPING,RUNNING,RUNNING" {
		t.Errorf("t3: %s", got)
	}
	svc = f.until("web", time.Second, 10, func(s ecstypes.Service) bool {
		return len(s.Deployments) == 1 && s.Deployments[0].RolloutState == ecstypes.DeploymentRolloutStateCompleted
	})
	if svc.RunningCount != 2 || aws.ToString(svc.Deployments[0].TaskDefinition) != v2 {
		t.Errorf("final: %s", deploymentsString(svc))
	}
	if msg := aws.ToString(svc.Events[0].Message); msg != "(service web) has reached a steady state." {
		t.Errorf("newest event %q", msg)
	}
	for _, want := range []string{"has started 2 tasks: (task ", "has stopped 2 running tasks: (task ", "deployment completed."} {
		if !hasEvent(svc, want) {
			t.Errorf("missing event %q in %s", want, eventsString(svc, 10))
		}
	}
	stopped, err := f.c.ListTasks(f.ctx, &ecs.ListTasksInput{Cluster: aws.String("app"), ServiceName: aws.String("web"), DesiredStatus: ecstypes.DesiredStatusStopped})
	if err != nil || len(stopped.TaskArns) != 2 {
		t.Fatalf("stopped tasks: %v %v", err, stopped)
	}
	st, _ := f.c.DescribeTasks(f.ctx, &ecs.DescribeTasksInput{Cluster: aws.String("app"), Tasks: stopped.TaskArns})
	if tk := st.Tasks[0]; tk.StopCode != ecstypes.TaskStopCodeServiceSchedulerInitiated || !strings.HasPrefix(aws.ToString(tk.StoppedReason), "Scaling activity initiated by (deployment ecs-svc/") {
		t.Errorf("old task stop: %s %s", tk.StopCode, aws.ToString(tk.StoppedReason))
	}

	// Service deployments: the update SUCCESSFUL with source and target revisions.
	sds, err := f.c.ListServiceDeployments(f.ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String("app"), Service: aws.String("web")})
	if err != nil || len(sds.ServiceDeployments) != 2 {
		t.Fatalf("list service deployments: %v %+v", err, sds)
	}
	latest := sds.ServiceDeployments[0]
	if latest.Status != ecstypes.ServiceDeploymentStatusSuccessful {
		t.Errorf("latest service deployment %s", latest.Status)
	}
	desc, err := f.c.DescribeServiceDeployments(f.ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{aws.ToString(latest.ServiceDeploymentArn), "arn:aws:ecs:us-east-1:123456789012:service-deployment/app/web/nope"}})
	if err != nil || len(desc.ServiceDeployments) != 1 || len(desc.Failures) != 1 {
		t.Fatalf("describe service deployments: %v %+v", err, desc)
	}
	sd := desc.ServiceDeployments[0]
	if len(sd.SourceServiceRevisions) != 1 || sd.TargetServiceRevision.RunningTaskCount != 2 || sd.FinishedAt == nil {
		t.Errorf("service deployment: %+v", sd)
	}
	revs, err := f.c.DescribeServiceRevisions(f.ctx, &ecs.DescribeServiceRevisionsInput{ServiceRevisionArns: []string{aws.ToString(sd.TargetServiceRevision.Arn)}})
	if err != nil || len(revs.ServiceRevisions) != 1 || aws.ToString(revs.ServiceRevisions[0].TaskDefinition) != v2 {
		t.Errorf("revisions: %v %+v", err, revs)
	}
	// A second update with nothing changed is no deployment; forceNewDeployment is.
	up, _ = f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"), TaskDefinition: aws.String("web:2")})
	if len(up.Service.Deployments) != 1 {
		t.Errorf("no-op update made a deployment")
	}
	up, _ = f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"), ForceNewDeployment: true})
	if len(up.Service.Deployments) != 2 {
		t.Errorf("forceNewDeployment made no deployment")
	}
}

func TestECSCircuitBreakerRollback(t *testing.T) {
	f := newECSFixture(t)
	good := f.register(fargateTD("web", "nginx:1"))
	f.seedWeb(good, 2, &ecstypes.DeploymentConfiguration{DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: true}})
	completedID := aws.ToString(f.service("web").Deployments[0].Id)
	// The image is in the emulated registry's namespace but was never pushed.
	bad := f.register(fargateTD("web", f.e.ImageURI("web", "missing")))
	if _, err := f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"), TaskDefinition: aws.String(bad)}); err != nil {
		t.Fatal(err)
	}
	svc := f.until("web", time.Second, 60, func(s ecstypes.Service) bool {
		return len(s.Deployments) == 1 && s.Deployments[0].RolloutState == ecstypes.DeploymentRolloutStateCompleted
	})
	if aws.ToString(svc.TaskDefinition) != good {
		t.Errorf("rolled back to %s, want %s", aws.ToString(svc.TaskDefinition), good)
	}
	for _, want := range []string{"deployment failed: tasks failed to start.", "rolling back to deployment " + completedID + "."} {
		if !hasEvent(svc, want) {
			t.Errorf("missing event %q in %s", want, eventsString(svc, 12))
		}
	}
	stopped, _ := f.c.ListTasks(f.ctx, &ecs.ListTasksInput{Cluster: aws.String("app"), DesiredStatus: ecstypes.DesiredStatusStopped, Family: aws.String("web")})
	desc, _ := f.c.DescribeTasks(f.ctx, &ecs.DescribeTasksInput{Cluster: aws.String("app"), Tasks: stopped.TaskArns})
	failed := 0
	for _, tk := range desc.Tasks {
		if tk.StopCode == ecstypes.TaskStopCodeTaskFailedToStart {
			failed++
			if !strings.HasPrefix(aws.ToString(tk.StoppedReason), "CannotPullContainerError:") || !strings.HasSuffix(aws.ToString(tk.StoppedReason), "not found") {
				t.Errorf("stoppedReason %q", aws.ToString(tk.StoppedReason))
			}
		}
	}
	if failed < 3 {
		t.Errorf("failed tasks = %d, want ≥ 3 (threshold)", failed)
	}
	sds, _ := f.c.ListServiceDeployments(f.ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String("app"), Service: aws.String("web")})
	sd, err := f.c.DescribeServiceDeployments(f.ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{aws.ToString(sds.ServiceDeployments[0].ServiceDeploymentArn)}})
	if err != nil {
		t.Fatal(err)
	}
	got := sd.ServiceDeployments[0]
	if got.Status != ecstypes.ServiceDeploymentStatusRollbackSuccessful || got.Rollback == nil || got.DeploymentCircuitBreaker.Status != ecstypes.ServiceDeploymentRollbackMonitorsStatusTriggered {
		t.Errorf("service deployment after rollback: status=%s rollback=%+v cb=%+v", got.Status, got.Rollback, got.DeploymentCircuitBreaker)
	}
}

func TestECSDeploymentStuckWithoutBreaker(t *testing.T) {
	f := newECSFixture(t)
	good := f.register(fargateTD("web", "nginx:1"))
	f.seedWeb(good, 1, nil)
	in := fargateTD("web", "nginx:2")
	in.ContainerDefinitions[0].DockerLabels = map[string]string{labelExitCode: "3"}
	bad := f.register(in)
	if _, err := f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"), TaskDefinition: aws.String(bad)}); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(5 * time.Minute)
	svc := f.service("web")
	if len(svc.Deployments) != 2 || svc.Deployments[0].RolloutState != ecstypes.DeploymentRolloutStateInProgress || svc.Deployments[0].FailedTasks < 10 {
		t.Fatalf("want stuck IN_PROGRESS with many failed tasks: %s", deploymentsString(svc))
	}
	if svc.RunningCount < 1 || aws.ToString(svc.Deployments[1].TaskDefinition) != good {
		t.Errorf("old tasks must keep running: %s", deploymentsString(svc))
	}
	if !hasEvent(svc, "is unable to consistently start tasks successfully") {
		t.Errorf("events: %s", eventsString(svc, 5))
	}
	stopped, _ := f.c.ListTasks(f.ctx, &ecs.ListTasksInput{Cluster: aws.String("app"), DesiredStatus: ecstypes.DesiredStatusStopped})
	desc, _ := f.c.DescribeTasks(f.ctx, &ecs.DescribeTasksInput{Cluster: aws.String("app"), Tasks: stopped.TaskArns[:1]})
	tk := desc.Tasks[0]
	if aws.ToString(tk.StoppedReason) != "Essential container in task exited" || tk.StopCode != ecstypes.TaskStopCodeEssentialContainerExited || aws.ToInt32(tk.Containers[0].ExitCode) != 3 {
		t.Errorf("failed task: %s %s exit=%v", aws.ToString(tk.StoppedReason), tk.StopCode, tk.Containers[0].ExitCode)
	}
	// A breaker without rollback leaves the deployment FAILED.
	if _, err := f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"), ForceNewDeployment: true,
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true}}}); err != nil {
		t.Fatal(err)
	}
	svc = f.until("web", time.Second, 60, func(s ecstypes.Service) bool {
		return s.Deployments[0].RolloutState == ecstypes.DeploymentRolloutStateFailed
	})
	if !hasEvent(svc, "deployment failed: tasks failed to start.") || hasEvent(svc, "rolling back") {
		t.Errorf("events: %s", eventsString(svc, 6))
	}
}

func TestECSDaemonService(t *testing.T) {
	f := newECSFixture(t)
	if err := f.e.SetContainerInstances("app", 3); err != nil {
		t.Fatal(err)
	}
	in := &ecs.RegisterTaskDefinitionInput{Family: aws.String("agent"), ContainerDefinitions: []ecstypes.ContainerDefinition{{
		Name: aws.String("agent"), Image: aws.String("datadog/agent:7"), Memory: aws.Int32(256)}}}
	f.register(in)
	out, err := f.c.CreateService(f.ctx, &ecs.CreateServiceInput{Cluster: aws.String("app"), ServiceName: aws.String("agent"),
		TaskDefinition: aws.String("agent"), SchedulingStrategy: ecstypes.SchedulingStrategyDaemon})
	if err != nil {
		t.Fatal(err)
	}
	if out.Service.DesiredCount != 3 || aws.ToInt32(out.Service.DeploymentConfiguration.MaximumPercent) != 100 {
		t.Errorf("daemon desired=%d config=%+v", out.Service.DesiredCount, out.Service.DeploymentConfiguration)
	}
	f.until("agent", time.Second, 10, func(s ecstypes.Service) bool {
		return s.RunningCount == 3 && s.Deployments[0].RolloutState == ecstypes.DeploymentRolloutStateCompleted
	})
	if err := f.e.SetContainerInstances("app", 4); err != nil {
		t.Fatal(err)
	}
	f.until("agent", time.Second, 10, func(s ecstypes.Service) bool { return s.RunningCount == 4 && s.DesiredCount == 4 })
	if _, err := f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("agent"), ForceNewDeployment: true}); err != nil {
		t.Fatal(err)
	}
	f.until("agent", time.Second, 20, func(s ecstypes.Service) bool {
		return len(s.Deployments) == 1 && s.RunningCount == 4 && s.Deployments[0].RolloutState == ecstypes.DeploymentRolloutStateCompleted
	})
}

func TestECSDeleteService(t *testing.T) {
	f := newECSFixture(t)
	td := f.register(fargateTD("web", "nginx:1"))
	f.seedWeb(td, 2, nil)
	_, err := f.c.DeleteService(f.ctx, &ecs.DeleteServiceInput{Cluster: aws.String("app"), Service: aws.String("web")})
	var ipe *ecstypes.InvalidParameterException
	if !errors.As(err, &ipe) {
		t.Fatalf("delete scaled service without force: %v", err)
	}
	out, err := f.c.DeleteService(f.ctx, &ecs.DeleteServiceInput{Cluster: aws.String("app"), Service: aws.String("web"), Force: aws.Bool(true)})
	if err != nil || aws.ToString(out.Service.Status) != "DRAINING" {
		t.Fatalf("delete: %v %v", err, out)
	}
	svc := f.until("web", time.Second, 5, func(s ecstypes.Service) bool { return aws.ToString(s.Status) == "INACTIVE" })
	if svc.RunningCount != 0 {
		t.Errorf("inactive service still running %d", svc.RunningCount)
	}
	list, _ := f.c.ListServices(f.ctx, &ecs.ListServicesInput{Cluster: aws.String("app")})
	if len(list.ServiceArns) != 0 {
		t.Errorf("inactive service listed: %v", list.ServiceArns)
	}
	_, err = f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"), ForceNewDeployment: true})
	var sna *ecstypes.ServiceNotActiveException
	if !errors.As(err, &sna) {
		t.Errorf("update inactive: %v", err)
	}
	if _, err := f.c.CreateService(f.ctx, &ecs.CreateServiceInput{Cluster: aws.String("app"), ServiceName: aws.String("web"), TaskDefinition: aws.String(td),
		DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork}); err != nil {
		t.Fatalf("recreate after delete: %v", err)
	}
	if s := f.service("web"); aws.ToString(s.Status) != "ACTIVE" {
		t.Errorf("recreated status %s", aws.ToString(s.Status))
	}
}

func TestECSRunTaskExitCodes(t *testing.T) {
	f := newECSFixture(t)
	ok := f.register(fargateTD("job", "busybox"))
	in := fargateTD("job", "busybox")
	in.ContainerDefinitions[0].DockerLabels = map[string]string{labelExitCode: "2", labelExitAfter: "10s"}
	failing := f.register(in)
	run := func(td string) string {
		out, err := f.c.RunTask(f.ctx, &ecs.RunTaskInput{Cluster: aws.String("app"), TaskDefinition: aws.String(td), LaunchType: ecstypes.LaunchTypeFargate,
			NetworkConfiguration: testNetwork, StartedBy: aws.String("test")})
		if err != nil || len(out.Tasks) != 1 {
			t.Fatalf("run task: %v %+v", err, out)
		}
		if g := aws.ToString(out.Tasks[0].Group); g != "family:job" {
			t.Errorf("group %s", g)
		}
		return aws.ToString(out.Tasks[0].TaskArn)
	}
	a, b := run(ok), run(failing)
	f.clk.Advance(30 * time.Second)
	desc, err := f.c.DescribeTasks(f.ctx, &ecs.DescribeTasksInput{Cluster: aws.String("app"), Tasks: []string{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int32{0, 2} {
		tk := desc.Tasks[i]
		if aws.ToString(tk.LastStatus) != "STOPPED" || aws.ToInt32(tk.Containers[0].ExitCode) != want || tk.StopCode != ecstypes.TaskStopCodeEssentialContainerExited {
			t.Errorf("task %d: %s exit=%v code=%s", i, aws.ToString(tk.LastStatus), tk.Containers[0].ExitCode, tk.StopCode)
		}
	}
	// StopTask on a running one.
	c := run(ok)
	f.clk.Advance(3 * time.Second)
	st, err := f.c.StopTask(f.ctx, &ecs.StopTaskInput{Cluster: aws.String("app"), Task: aws.String(lastSegment(c)), Reason: aws.String("bye")})
	if err != nil || aws.ToString(st.Task.DesiredStatus) != "STOPPED" || aws.ToString(st.Task.StoppedReason) != "bye" || st.Task.StopCode != ecstypes.TaskStopCodeUserInitiated {
		t.Fatalf("stop task: %v %+v", err, st)
	}
	running, _ := f.c.ListTasks(f.ctx, &ecs.ListTasksInput{Cluster: aws.String("app"), StartedBy: aws.String("test")})
	if len(running.TaskArns) != 0 {
		t.Errorf("tasks still desired RUNNING: %v", running.TaskArns)
	}
}

func TestECSServicesStableWaiterAfterRollout(t *testing.T) {
	f := newECSFixture(t)
	v1 := f.register(fargateTD("web", "nginx:1"))
	f.seedWeb(v1, 3, nil)
	f.register(fargateTD("web", "nginx:2"))
	if _, err := f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"), TaskDefinition: aws.String("web:2")}); err != nil {
		t.Fatal(err)
	}
	f.clk.SetAutoStep(time.Second)
	w := ecs.NewServicesStableWaiter(f.c, func(o *ecs.ServicesStableWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 5*time.Millisecond
	})
	if err := w.Wait(f.ctx, &ecs.DescribeServicesInput{Cluster: aws.String("app"), Services: []string{"web"}}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	f.clk.SetAutoStep(0)
	svc := f.service("web")
	if lastSegment(aws.ToString(svc.Deployments[0].TaskDefinition)) != "web:2" || svc.RunningCount != 3 {
		t.Errorf("after wait: %s", deploymentsString(svc))
	}
}

func TestECSSeedFile(t *testing.T) {
	e := startEmulator(t, Options{})
	seed := &ECSSeed{
		Clusters:        []ECSClusterSeed{{Name: "demo", CapacityProviders: []string{"FARGATE"}}},
		TaskDefinitions: []json.RawMessage{[]byte(`{"taskDefinition":{"family":"app","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"cpu":".25 vCPU","memory":"0.5 GB","containerDefinitions":[{"name":"app","image":"nginx"}]}}`)},
		Services:        []json.RawMessage{[]byte(`{"cluster":"demo","serviceName":"app","taskDefinition":"app:1","desiredCount":2,"launchType":"FARGATE","networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-1"]}}}`)},
		Timings:         &ECSTimingsSeed{Pending: "5s"},
	}
	if err := e.SeedECS(seed); err != nil {
		t.Fatal(err)
	}
	svc, ok := e.ECSService("demo", "app")
	if !ok || svc.RunningCount != 2 || svc.Deployments[0].RolloutState != ecstypes.DeploymentRolloutStateCompleted {
		t.Fatalf("seeded: %v %s", ok, deploymentsString(svc))
	}
	if n := len(e.ECSTasks("demo")); n != 2 {
		t.Errorf("tasks %d", n)
	}
	bad := &ECSSeed{Services: []json.RawMessage{[]byte(`{"cluster":"nope","serviceName":"x","taskDefinition":"app"}`)}}
	if err := e.SeedECS(bad); err == nil || !strings.Contains(err.Error(), "ecs.services[0]") {
		t.Errorf("bad seed error: %v", err)
	}
}

func TestECSStopServiceDeploymentAndListClusters(t *testing.T) {
	f := newECSFixture(t)
	v1 := f.register(fargateTD("web", "nginx:1"))
	f.seedWeb(v1, 2, nil)
	f.register(fargateTD("web", "nginx:2"))
	up, err := f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"), TaskDefinition: aws.String("web:2")})
	if err != nil {
		t.Fatal(err)
	}
	sdArn := up.Service.CurrentServiceDeployment
	if _, err := f.c.StopServiceDeployment(f.ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: sdArn, StopType: ecstypes.StopServiceDeploymentStopTypeRollback}); err != nil {
		t.Fatal(err)
	}
	svc := f.until("web", time.Second, 20, func(s ecstypes.Service) bool {
		return len(s.Deployments) == 1 && s.Deployments[0].RolloutState == ecstypes.DeploymentRolloutStateCompleted
	})
	if aws.ToString(svc.TaskDefinition) != v1 {
		t.Errorf("stop with ROLLBACK left %s", aws.ToString(svc.TaskDefinition))
	}
	sd, err := f.c.DescribeServiceDeployments(f.ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{aws.ToString(sdArn)}})
	if err != nil || sd.ServiceDeployments[0].Status != ecstypes.ServiceDeploymentStatusRollbackSuccessful {
		t.Fatalf("after stop: %v %+v", err, sd)
	}
	_, err = f.c.StopServiceDeployment(f.ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: sdArn})
	var ce *ecstypes.ConflictException
	if !errors.As(err, &ce) {
		t.Errorf("stopping a finished deployment: %v", err)
	}
	_, err = f.c.StopServiceDeployment(f.ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(aws.ToString(sdArn) + "x")})
	var nf *ecstypes.ServiceDeploymentNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("unknown service deployment: %v", err)
	}
	lc, err := f.c.ListClusters(f.ctx, &ecs.ListClustersInput{})
	if err != nil || len(lc.ClusterArns) != 1 || lc.ClusterArns[0] != "arn:aws:ecs:us-east-1:123456789012:cluster/app" {
		t.Errorf("list clusters: %v %v", err, lc)
	}
}

func TestECSStoppedTasksExpire(t *testing.T) {
	f := newECSFixture(t)
	good := f.register(fargateTD("web", "nginx:1"))
	f.seedWeb(good, 1, nil)
	bad := f.register(fargateTD("web", f.e.ImageURI("web", "missing")))
	if _, err := f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"), TaskDefinition: aws.String(bad)}); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(3 * time.Hour)
	svc := f.service("web")
	// One failure every Provision+Pending (3 s) for 3 h, but only the last
	// hour of stopped tasks is kept, as on ECS.
	if svc.Deployments[0].FailedTasks < 3000 {
		t.Errorf("failed tasks %d", svc.Deployments[0].FailedTasks)
	}
	if n := len(f.e.ECSTasks("app")); n > 1300 {
		t.Errorf("%d tasks kept; stopped tasks must expire after an hour", n)
	}
}

// The request log keeps the members of a JSON body as sent: a member sent
// as false or [] is there with that value, one not sent is absent, and the
// VPC Lattice configuration an update sets is what the deployment reports.
func TestRequestLogMembersAndVpcLattice(t *testing.T) {
	f := newECSFixture(t)
	f.seedWeb(f.register(fargateTD("web", "nginx:1")), 1, nil)
	lattice := []ecstypes.VpcLatticeConfiguration{{PortName: aws.String("http"),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/l"), TargetGroupArn: aws.String("arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-1")}}
	mark := f.e.Log.Len()
	if _, err := f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"),
		EnableExecuteCommand: aws.Bool(false), PlacementConstraints: []ecstypes.PlacementConstraint{}, VpcLatticeConfigurations: lattice}); err != nil {
		t.Fatal(err)
	}
	reqs := f.e.Log.Since(mark)
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	m := reqs[0].Members
	if string(m["enableExecuteCommand"]) != "false" || string(m["placementConstraints"]) != "[]" || m["desiredCount"] != nil || string(m["service"]) != `"web"` {
		t.Errorf("members = %v", m)
	}
	if got := f.service("web").Deployments[0].VpcLatticeConfigurations; len(got) != 1 || aws.ToString(got[0].PortName) != "http" {
		t.Errorf("PRIMARY deployment's VPC Lattice configurations = %+v", got)
	}
}

// awsemu.start-after sets a task's PENDING phase per task definition: the
// slowest container decides, and tasks without the label keep
// ECSTimings.Pending.
func TestECSStartAfterLabel(t *testing.T) {
	f := newECSFixture(t)
	plain := f.register(fargateTD("plain", "busybox"))
	in := fargateTD("slow", "busybox")
	in.ContainerDefinitions[0].DockerLabels = map[string]string{labelStartAfter: "40s"}
	in.ContainerDefinitions = append(in.ContainerDefinitions, ecstypes.ContainerDefinition{Name: aws.String("side"), Image: aws.String("busybox"),
		Essential: aws.Bool(false), DockerLabels: map[string]string{labelStartAfter: "25s"}})
	slow := f.register(in)
	var arns []string
	for _, td := range []string{plain, slow} {
		out, err := f.c.RunTask(f.ctx, &ecs.RunTaskInput{Cluster: aws.String("app"), TaskDefinition: aws.String(td), LaunchType: ecstypes.LaunchTypeFargate,
			NetworkConfiguration: testNetwork})
		if err != nil {
			t.Fatal(err)
		}
		arns = append(arns, aws.ToString(out.Tasks[0].TaskArn))
	}
	status := func() []string {
		desc, err := f.c.DescribeTasks(f.ctx, &ecs.DescribeTasksInput{Cluster: aws.String("app"), Tasks: arns})
		if err != nil {
			t.Fatal(err)
		}
		return []string{aws.ToString(desc.Tasks[0].LastStatus), aws.ToString(desc.Tasks[1].LastStatus)}
	}
	f.clk.Advance(DefaultECSTimings.Provision + DefaultECSTimings.Pending + 100*time.Millisecond)
	if got := status(); got[0] != "RUNNING" || got[1] != "PENDING" {
		t.Fatalf("after the default start: %v, want RUNNING, PENDING", got)
	}
	f.clk.Advance(35 * time.Second) // 25 s: the side container alone is not enough
	if got := status(); got[1] != "PENDING" {
		t.Fatalf("before 40 s: %v", got)
	}
	f.clk.Advance(5 * time.Second)
	if got := status(); got[1] != "RUNNING" {
		t.Fatalf("after 40 s: %v", got)
	}
}

// DescribeTasks tells how long a service's tasks took to start: createdAt
// when placed (PROVISIONING), pullStartedAt when PENDING began, startedAt
// (and pullStoppedAt, the emulator's pull lasting the whole PENDING phase)
// on RUNNING. Tasks of a seeded service started at the seed time after the
// timings' start, and a later deployment leaves the old tasks' times alone.
func TestECSTaskStartTimes(t *testing.T) {
	f := newECSFixture(t)
	in := fargateTD("web", "busybox")
	in.ContainerDefinitions[0].DockerLabels = map[string]string{labelStartAfter: "40s"}
	td := f.register(in)
	seededAt := f.clk.Now()
	if _, err := f.e.SeedService(&ecs.CreateServiceInput{Cluster: aws.String("app"), ServiceName: aws.String("web"), TaskDefinition: aws.String(td),
		DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork}); err != nil {
		t.Fatal(err)
	}
	running := func() []ecstypes.Task {
		t.Helper()
		list, err := f.c.ListTasks(f.ctx, &ecs.ListTasksInput{Cluster: aws.String("app"), ServiceName: aws.String("web"), DesiredStatus: ecstypes.DesiredStatusRunning})
		if err != nil || len(list.TaskArns) == 0 {
			t.Fatalf("list tasks: %v %v", list, err)
		}
		desc, err := f.c.DescribeTasks(f.ctx, &ecs.DescribeTasksInput{Cluster: aws.String("app"), Tasks: list.TaskArns})
		if err != nil {
			t.Fatal(err)
		}
		return desc.Tasks
	}
	seeded := running()[0]
	prov := DefaultECSTimings.Provision
	if got, want := aws.ToTime(seeded.StartedAt), seededAt; !got.Equal(want) {
		t.Errorf("seeded task startedAt %s, want the seed time %s", got, want)
	}
	if got, want := aws.ToTime(seeded.StartedAt).Sub(aws.ToTime(seeded.CreatedAt)), prov+40*time.Second; got != want {
		t.Errorf("seeded task took %s to start (createdAt→startedAt), want %s", got, want)
	}
	if got := aws.ToTime(seeded.StartedAt).Sub(aws.ToTime(seeded.PullStartedAt)); got != 40*time.Second {
		t.Errorf("seeded task pulled for %s, want 40s", got)
	}

	// A deployment with other timings: its tasks take those; the old
	// task keeps its own while it still runs.
	f.e.SetECSTimings(ECSTimings{Provision: 7 * time.Second, Pending: 11 * time.Second, Stop: time.Second, SteadyState: time.Second, RunTask: time.Second})
	plain := f.register(fargateTD("web", "busybox:2"))
	if _, err := f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"), TaskDefinition: aws.String(plain)}); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(10 * time.Second)
	sawOld := false
	for _, tk := range running() {
		if aws.ToString(tk.TaskArn) == aws.ToString(seeded.TaskArn) {
			sawOld = true
			if took := aws.ToTime(tk.StartedAt).Sub(aws.ToTime(tk.CreatedAt)); took != prov+40*time.Second {
				t.Errorf("while a new deployment starts, the old task's start changed to %s", took)
			}
		}
	}
	if !sawOld {
		t.Error("the old task is not running while the new one starts")
	}
	f.clk.Advance(20 * time.Second)
	sawNew := false
	for _, tk := range running() {
		if aws.ToString(tk.TaskArn) == aws.ToString(seeded.TaskArn) {
			continue
		}
		sawNew = true
		if took := aws.ToTime(tk.StartedAt).Sub(aws.ToTime(tk.CreatedAt)); took != 18*time.Second || aws.ToTime(tk.PullStartedAt).Sub(aws.ToTime(tk.CreatedAt)) != 7*time.Second || !aws.ToTime(tk.PullStoppedAt).Equal(aws.ToTime(tk.StartedAt)) {
			t.Errorf("new task: created %s, pull %s–%s, started %s; want 7 s provisioning and 11 s pending", aws.ToTime(tk.CreatedAt), aws.ToTime(tk.PullStartedAt), aws.ToTime(tk.PullStoppedAt), aws.ToTime(tk.StartedAt))
		}
	}
	if !sawNew {
		t.Error("no new task running after 30 s")
	}
}
