package awsemu

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
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
