package awsemu

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func TestELBv2TargetGroups(t *testing.T) {
	e := startEmulator(t, Options{})
	arn, err := e.PutTargetGroup(TargetGroupSpec{Name: "web", Port: 8080})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.PutTargetGroup(TargetGroupSpec{Name: "grpc", Protocol: "TCP", TargetType: "instance"}); err != nil {
		t.Fatal(err)
	}
	if err := e.SetTargetHealth(arn, "10.0.0.5", 0, "healthy"); err != nil {
		t.Fatal(err)
	}
	client := elbv2.NewFromConfig(sdkConfig(t, e, 1))
	ctx := context.Background()
	out, err := client.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}})
	if err != nil {
		t.Fatal(err)
	}
	tg := out.TargetGroups[0]
	if aws.ToString(tg.TargetGroupName) != "web" || aws.ToInt32(tg.Port) != 8080 || tg.TargetType != elbtypes.TargetTypeEnumIp || tg.Protocol != elbtypes.ProtocolEnumHttp {
		t.Fatalf("target group = %+v", tg)
	}
	byName, err := client.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{"grpc"}})
	if err != nil || len(byName.TargetGroups) != 1 || byName.TargetGroups[0].TargetType != elbtypes.TargetTypeEnumInstance {
		t.Fatalf("by name = %+v, %v", byName, err)
	}
	all, err := client.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
	if err != nil || len(all.TargetGroups) != 2 {
		t.Fatalf("all = %+v, %v", all, err)
	}
	_, err = client.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{"nope"}})
	var nf *elbtypes.TargetGroupNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("want TargetGroupNotFound, got %v", err)
	}
	h, err := client.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
	if err != nil || len(h.TargetHealthDescriptions) != 1 || h.TargetHealthDescriptions[0].TargetHealth.State != elbtypes.TargetHealthStateEnumHealthy ||
		aws.ToInt32(h.TargetHealthDescriptions[0].Target.Port) != 8080 {
		t.Fatalf("health = %+v, %v", h, err)
	}
	if _, err := client.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(arn), Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.0.6"), Port: aws.Int32(8080)}}}); err != nil {
		t.Fatal(err)
	}
	h, err = client.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn),
		Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.0.6"), Port: aws.Int32(8080)}, {Id: aws.String("10.9.9.9")}}})
	if err != nil || len(h.TargetHealthDescriptions) != 2 || h.TargetHealthDescriptions[0].TargetHealth.State != elbtypes.TargetHealthStateEnumInitial ||
		h.TargetHealthDescriptions[1].TargetHealth.Reason != elbtypes.TargetHealthReasonEnumNotRegistered {
		t.Fatalf("health of asked targets = %+v, %v", h, err)
	}
	_, err = client.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn + "x")})
	if !errors.As(err, &nf) {
		t.Fatalf("want TargetGroupNotFound, got %v", err)
	}
}

// A load-balanced service's old tasks drain for the target group's
// deregistration delay (DEACTIVATING), then stop for ECSTimings.Stop; the
// delay is read and changed through the ELB API.
func TestECSDrainsForDeregistrationDelay(t *testing.T) {
	f := newECSFixture(t)
	tg, err := f.e.PutTargetGroup(TargetGroupSpec{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	lb := elbv2.NewFromConfig(sdkConfig(t, f.e, 1))
	attrs := func() map[string]string {
		out, err := lb.DescribeTargetGroupAttributes(f.ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(tg)})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, a := range out.Attributes {
			m[aws.ToString(a.Key)] = aws.ToString(a.Value)
		}
		return m
	}
	if got := attrs()["deregistration_delay.timeout_seconds"]; got != "300" {
		t.Fatalf("default deregistration delay %q, want 300", got)
	}
	if _, err := lb.ModifyTargetGroupAttributes(f.ctx, &elbv2.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(tg),
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("4000")}}}); err == nil {
		t.Fatal("a delay over 3600 s was accepted")
	}
	if _, err := lb.ModifyTargetGroupAttributes(f.ctx, &elbv2.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(tg),
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("no.such.key"), Value: aws.String("1")}}}); err == nil {
		t.Fatal("an unknown attribute was accepted")
	}
	if _, err := lb.ModifyTargetGroupAttributes(f.ctx, &elbv2.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(tg),
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("30")}}}); err != nil {
		t.Fatal(err)
	}
	if got := attrs()["deregistration_delay.timeout_seconds"]; got != "30" {
		t.Fatalf("modified deregistration delay %q, want 30", got)
	}

	v1 := f.register(fargateTD("web", "nginx:1"))
	f.register(fargateTD("web", "nginx:2"))
	if _, err := f.e.SeedService(&ecs.CreateServiceInput{
		Cluster: aws.String("app"), ServiceName: aws.String("web"), TaskDefinition: aws.String(v1),
		DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork,
		LoadBalancers: []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(tg), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"), TaskDefinition: aws.String("web:2")}); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(3 * time.Second) // default timings: the new task runs after 3 s
	svc := f.service("web")
	if !hasEvent(svc, "has begun draining connections on 1 tasks.") || len(svc.Deployments) != 2 {
		t.Fatalf("no drain started: %s %s", deploymentsString(svc), eventsString(svc, 5))
	}
	oldTask := func() string {
		out, err := f.c.ListTasks(f.ctx, &ecs.ListTasksInput{Cluster: aws.String("app"), ServiceName: aws.String("web"), DesiredStatus: ecstypes.DesiredStatusStopped})
		if err != nil || len(out.TaskArns) != 1 {
			t.Fatalf("stopping tasks: %v %v", err, out)
		}
		d, err := f.c.DescribeTasks(f.ctx, &ecs.DescribeTasksInput{Cluster: aws.String("app"), Tasks: out.TaskArns})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(d.Tasks[0].LastStatus)
	}
	f.clk.Advance(29 * time.Second)
	if got := oldTask(); got != "DEACTIVATING" {
		t.Fatalf("29 s into a 30 s drain the old task is %s", got)
	}
	f.clk.Advance(time.Second)
	if got := oldTask(); got != "STOPPING" {
		t.Fatalf("after the drain the old task is %s, want STOPPING", got)
	}
	f.clk.Advance(time.Second) // ECSTimings.Stop
	if got := oldTask(); got != "STOPPED" {
		t.Fatalf("after the stop the old task is %s", got)
	}
	f.until("web", time.Second, 3, func(s ecstypes.Service) bool {
		return len(s.Deployments) == 1 && s.Deployments[0].RolloutState == ecstypes.DeploymentRolloutStateCompleted
	})
}
