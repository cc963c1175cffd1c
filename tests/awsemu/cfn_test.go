package awsemu

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"
)

func TestCloudFormation(t *testing.T) {
	e := startEmulator(t, Options{})
	id, err := e.PutStack(StackSpec{Name: "network", Outputs: []StackOutput{
		{Key: "VpcId", Value: "vpc-123", ExportName: "network-VpcId"},
		{Key: "SubnetA", Value: "subnet-a", Description: "first subnet"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.PutStack(StackSpec{Name: "other", Outputs: []StackOutput{{Key: "X", Value: "y", ExportName: "network-VpcId"}}}); err == nil {
		t.Fatal("duplicate export accepted")
	}
	client := cloudformation.NewFromConfig(sdkConfig(t, e, 1))
	ctx := context.Background()
	out, err := client.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("network")})
	if err != nil {
		t.Fatal(err)
	}
	st := out.Stacks[0]
	if aws.ToString(st.StackId) != id || st.StackStatus != "CREATE_COMPLETE" || len(st.Outputs) != 2 || aws.ToString(st.Outputs[0].ExportName) != "network-VpcId" {
		t.Fatalf("stack = %+v", st)
	}
	_, err = client.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("nope")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationError" || ae.ErrorMessage() != "Stack with id nope does not exist" {
		t.Fatalf("want ValidationError, got %v", err)
	}
	ex, err := client.ListExports(ctx, &cloudformation.ListExportsInput{})
	if err != nil || len(ex.Exports) != 1 || aws.ToString(ex.Exports[0].Value) != "vpc-123" || aws.ToString(ex.Exports[0].ExportingStackId) != id {
		t.Fatalf("exports = %+v, %v", ex, err)
	}
}
