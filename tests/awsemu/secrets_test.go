package awsemu

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

func TestSecretsManager(t *testing.T) {
	e := startEmulator(t, Options{})
	arn, err := e.PutSecret(SecretSpec{Name: "app/db", Value: map[string]any{"username": "app", "password": "pw1"}})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-[A-Za-z0-9]{6}$`).MatchString(arn) {
		t.Fatalf("arn = %s", arn)
	}
	if _, err := e.PutSecret(SecretSpec{Name: "app/db", Value: `{"username":"app","password":"pw2"}`}); err != nil {
		t.Fatal(err)
	}
	client := secretsmanager.NewFromConfig(sdkConfig(t, e, 1))
	ctx := context.Background()
	for _, id := range []string{"app/db", arn, arn[:len(arn)-7]} {
		v, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if aws.ToString(v.SecretString) != `{"username":"app","password":"pw2"}` || aws.ToString(v.ARN) != arn || v.VersionStages[0] != "AWSCURRENT" {
			t.Fatalf("%s: %+v", id, v)
		}
	}
	prev, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db"), VersionStage: aws.String("AWSPREVIOUS")})
	if err != nil || aws.ToString(prev.SecretString) != `{"password":"pw1","username":"app"}` {
		t.Fatalf("previous = %+v, %v", prev, err)
	}
	byID, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db"), VersionId: prev.VersionId})
	if err != nil || aws.ToString(byID.SecretString) != aws.ToString(prev.SecretString) {
		t.Fatalf("by version id = %+v, %v", byID, err)
	}
	_, err = client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db"), VersionStage: aws.String("NOPE")})
	var rnf *smtypes.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Fatalf("want ResourceNotFoundException for a stage, got %v", err)
	}
	_, err = client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("missing")})
	if !errors.As(err, &rnf) || rnf.ErrorMessage() != "Secrets Manager can't find the specified secret." {
		t.Fatalf("want ResourceNotFoundException, got %v", err)
	}
	_, err = client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn[:len(arn)-7] + "-ZZZZZZ")})
	if !errors.As(err, &rnf) {
		t.Fatalf("wrong suffix: want ResourceNotFoundException, got %v", err)
	}
	d, err := client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
	if err != nil || aws.ToString(d.Name) != "app/db" || len(d.VersionIdsToStages) != 2 {
		t.Fatalf("describe = %+v, %v", d, err)
	}
	_, err = client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("missing")})
	if !errors.As(err, &rnf) {
		t.Fatalf("want ResourceNotFoundException, got %v", err)
	}
}

func TestSecretsManagerCreateAndRotateThroughTheAPI(t *testing.T) {
	e := startEmulator(t, Options{})
	client := secretsmanager.NewFromConfig(sdkConfig(t, e, 1))
	ctx := context.Background()
	created, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/key"), SecretString: aws.String("v1")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/key"), SecretString: aws.String("x")})
	var exists *smtypes.ResourceExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("second CreateSecret of the same name: want ResourceExistsException, got %v", err)
	}
	if _, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: created.ARN, VersionStage: aws.String("AWSPREVIOUS")}); err == nil {
		t.Fatal("a secret never rotated has an AWSPREVIOUS version")
	}
	if _, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app/key"), SecretString: aws.String("v2")}); err != nil {
		t.Fatal(err)
	}
	for stage, want := range map[string]string{"AWSCURRENT": "v2", "AWSPREVIOUS": "v1"} {
		v, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: created.ARN, VersionStage: aws.String(stage)})
		if err != nil || aws.ToString(v.SecretString) != want {
			t.Errorf("%s = %v, %v; want %s", stage, v, err, want)
		}
	}
}
