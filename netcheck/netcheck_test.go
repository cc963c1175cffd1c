package netcheck

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// denied refuses every call, as EC2 does without ec2:Describe* rights.
type denied struct{ EC2API }

func (denied) DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation."}
}

func (denied) DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	return &ec2.DescribeSecurityGroupsOutput{}, nil
}

func TestAccessDeniedIsNotAnError(t *testing.T) {
	res, err := Analyze(context.Background(), denied{}, Input{Subnets: []string{"subnet-1"}, SecurityGroups: []string{"sg-1"}, Region: "us-east-1"})
	if err != nil || res.Denied == "" || len(res.Findings) != 0 {
		t.Fatalf("Analyze = %+v, %v; want Denied and no findings", res, err)
	}
}

func TestNeeds(t *testing.T) {
	cds := []ecstypes.ContainerDefinition{
		{Name: aws.String("app"), Image: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1"),
			Secrets:          []ecstypes.Secret{{Name: aws.String("A"), ValueFrom: aws.String("/p")}, {Name: aws.String("B"), ValueFrom: aws.String("arn:aws:secretsmanager:us-east-1:1:secret:x")}},
			LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs}},
		{Name: aws.String("side"), Image: aws.String("123456789012.dkr.ecr.eu-west-1.amazonaws.com/side:v1")},
		{Name: aws.String("hub"), Image: aws.String("nginx:1.27")},
	}
	var got []string
	for _, n := range Needs(cds, "us-east-1") {
		got = append(got, n.Service)
	}
	want := []string{"ecr.api", "ecr.dkr", "s3", "ssm", "secretsmanager", "logs", Internet}
	if len(got) != len(want) {
		t.Fatalf("Needs = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Needs = %v, want %v", got, want)
		}
	}
}
