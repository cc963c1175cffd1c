package awsemu

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

func TestIAMGetRoleAndSTS(t *testing.T) {
	e := startEmulator(t, Options{})
	arn, err := e.PutRole(RoleSpec{Name: "app-task", TrustPolicy: map[string]any{
		"Version":   "2012-10-17",
		"Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.PutRole(RoleSpec{Name: "deployer", Path: "/ci/", TrustPolicy: `{"Version":"2012-10-17","Statement":[]}`}); err != nil {
		t.Fatal(err)
	}
	cfg := sdkConfig(t, e, 1)
	ctx := context.Background()
	out, err := iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app-task")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Role.Arn) != arn || arn != "arn:aws:iam::123456789012:role/app-task" || out.Role.CreateDate == nil {
		t.Fatalf("role = %+v", out.Role)
	}
	doc := aws.ToString(out.Role.AssumeRolePolicyDocument)
	if !strings.HasPrefix(doc, "%7B%22") || strings.Contains(doc, "+") {
		t.Fatalf("policy document not URL-encoded as IAM does: %s", doc)
	}
	plain, _ := url.QueryUnescape(doc)
	if !strings.Contains(plain, `"Service":"ecs-tasks.amazonaws.com"`) {
		t.Fatalf("decoded policy = %s", plain)
	}
	_, err = iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nope")})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) || !strings.Contains(err.Error(), "The role with name nope cannot be found.") {
		t.Fatalf("want NoSuchEntity, got %v", err)
	}

	stsc := sts.NewFromConfig(cfg)
	id, err := stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Account) != "123456789012" || aws.ToString(id.Arn) != e.CallerARN() {
		t.Fatalf("identity = %+v", id)
	}
	ar, err := stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/ci/deployer"), RoleSessionName: aws.String("doppio")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aws.ToString(ar.Credentials.AccessKeyId), "ASIA") || ar.Credentials.Expiration == nil ||
		aws.ToString(ar.AssumedRoleUser.Arn) != "arn:aws:sts::123456789012:assumed-role/deployer/doppio" {
		t.Fatalf("assume role = %+v %+v", ar.Credentials, ar.AssumedRoleUser)
	}
	// The session's credentials act as the role, as in AWS.
	roleCfg := cfg.Copy()
	roleCfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(ar.Credentials.AccessKeyId),
		aws.ToString(ar.Credentials.SecretAccessKey), aws.ToString(ar.Credentials.SessionToken))
	mark := e.Log.Len()
	id, err = sts.NewFromConfig(roleCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Arn) != "arn:aws:sts::123456789012:assumed-role/deployer/doppio" ||
		aws.ToString(id.UserId) != aws.ToString(ar.AssumedRoleUser.AssumedRoleId) {
		t.Fatalf("identity with the session's credentials = %+v", id)
	}
	if got := e.Log.Since(mark); len(got) != 1 || got[0].Caller != aws.ToString(id.Arn) {
		t.Fatalf("request log caller: %+v", got)
	}
	if got := e.Log.All(); got[0].Caller != e.CallerARN() {
		t.Fatalf("request with the base credentials logged as %q", got[0].Caller)
	}
	_, err = stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/missing"), RoleSessionName: aws.String("x")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Fatalf("want AccessDenied, got %v", err)
	}
}
