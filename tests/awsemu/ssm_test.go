package awsemu

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func TestSSMParameters(t *testing.T) {
	e := startEmulator(t, Options{})
	for _, p := range []ParameterSpec{
		{Name: "/app/prod/db_password", Type: "SecureString", Value: "s3cret"},
		{Name: "/app/prod/hosts", Type: "StringList", Value: "a,b,c"},
		{Name: "/app/prod/image_tag", Value: "v1"},
		{Name: "/app/prod/image_tag", Value: "v2"},
		{Name: "/app/prod/nested/deep", Value: "x"},
		{Name: "/app/prod/z1", Value: "1"},
		{Name: "plain", Value: "p"},
	} {
		if err := e.PutParameter(p); err != nil {
			t.Fatal(err)
		}
	}
	client := ssm.NewFromConfig(sdkConfig(t, e, 1))
	ctx := context.Background()

	got, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/prod/db_password")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Parameter.Type != ssmtypes.ParameterTypeSecureString || aws.ToString(got.Parameter.Value) == "s3cret" {
		t.Fatalf("SecureString without decryption leaked: %+v", got.Parameter)
	}
	got, err = client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/prod/db_password"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(got.Parameter.Value) != "s3cret" {
		t.Fatalf("decrypted = %v, %v", got, err)
	}
	got, err = client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/prod/image_tag")})
	if err != nil || aws.ToString(got.Parameter.Value) != "v2" || got.Parameter.Version != 2 {
		t.Fatalf("latest = %+v, %v", got, err)
	}
	got, err = client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/prod/image_tag:1")})
	if err != nil || aws.ToString(got.Parameter.Value) != "v1" {
		t.Fatalf("version 1 = %+v, %v", got, err)
	}
	got, err = client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("arn:aws:ssm:us-east-1:123456789012:parameter/app/prod/hosts")})
	if err != nil || got.Parameter.Type != ssmtypes.ParameterTypeStringList || aws.ToString(got.Parameter.Value) != "a,b,c" {
		t.Fatalf("by ARN = %+v, %v", got, err)
	}
	_, err = client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/nope")})
	var pnf *ssmtypes.ParameterNotFound
	if !errors.As(err, &pnf) {
		t.Fatalf("want ParameterNotFound, got %v", err)
	}
	_, err = client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/prod/image_tag:9")})
	var pvnf *ssmtypes.ParameterVersionNotFound
	if !errors.As(err, &pvnf) {
		t.Fatalf("want ParameterVersionNotFound, got %v", err)
	}

	many, err := client.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"plain", "/nope", "/app/prod/hosts"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(many.Parameters) != 2 || len(many.InvalidParameters) != 1 || many.InvalidParameters[0] != "/nope" {
		t.Fatalf("GetParameters = %+v", many)
	}

	var names []string
	p := ssm.NewGetParametersByPathPaginator(client, &ssm.GetParametersByPathInput{Path: aws.String("/app/prod"), MaxResults: aws.Int32(2), WithDecryption: aws.Bool(true)})
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, prm := range pg.Parameters {
			names = append(names, aws.ToString(prm.Name))
		}
	}
	if len(names) != 4 {
		t.Fatalf("non-recursive by path = %v", names)
	}
	rec, err := client.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app/"), Recursive: aws.Bool(true)})
	if err != nil || len(rec.Parameters) != 5 {
		t.Fatalf("recursive by path = %v, %v", rec, err)
	}

	if _, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("plain"), Value: aws.String("q")}); err == nil {
		t.Fatal("PutParameter over an existing parameter without Overwrite succeeded")
	}
	put, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("plain"), Value: aws.String("q"), Overwrite: aws.Bool(true)})
	if err != nil || put.Version != 2 {
		t.Fatalf("PutParameter = %+v, %v", put, err)
	}
}

func TestSSMParameterHistory(t *testing.T) {
	e := startEmulator(t, Options{})
	client := ssm.NewFromConfig(sdkConfig(t, e, 1))
	ctx := context.Background()
	for i, v := range []string{"pw1", "pw2", "pw3"} {
		if _, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/pw"), Value: aws.String(v), Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(i > 0)}); err != nil {
			t.Fatal(err)
		}
	}
	var values []string
	p := ssm.NewGetParameterHistoryPaginator(client, &ssm.GetParameterHistoryInput{Name: aws.String("/app/pw"), WithDecryption: aws.Bool(true), MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range page.Parameters {
			values = append(values, fmt.Sprintf("%d:%s", h.Version, aws.ToString(h.Value)))
		}
	}
	if got := strings.Join(values, " "); got != "1:pw1 2:pw2 3:pw3" {
		t.Errorf("history = %s, want every version oldest first", got)
	}
	enc, err := client.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/app/pw")})
	if err != nil || len(enc.Parameters) != 3 || aws.ToString(enc.Parameters[0].Value) == "pw1" {
		t.Errorf("history without decryption = %+v, %v: SecureString values must stay ciphertext", enc, err)
	}
	_, err = client.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/nope")})
	var pnf *ssmtypes.ParameterNotFound
	if !errors.As(err, &pnf) {
		t.Errorf("want ParameterNotFound, got %v", err)
	}
}
