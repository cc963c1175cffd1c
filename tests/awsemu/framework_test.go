package awsemu

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/doppio-ecs/doppio/awsapi"
)

// sdkConfig returns an SDK configuration pointed at e, the way doppio and the
// AWS CLI reach it: through AWS_ENDPOINT_URL.
func sdkConfig(t testing.TB, e *Emulator, maxAttempts int) aws.Config {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL", e.URL())
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	opts := []func(*config.LoadOptions) error{config.WithRegion(e.Region()), config.WithRetryMaxAttempts(maxAttempts)}
	cfg, err := config.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	// As doppio does: the SDK's own client loses connections to a plain-HTTP
	// server in a race and then retries (see awsapi.InMemoryBodies).
	cfg.HTTPClient = awsapi.InMemoryBodies(cfg.HTTPClient)
	return cfg
}

func startEmulator(t testing.TB, opts Options) *Emulator {
	t.Helper()
	e := New(opts)
	if err := e.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

type roleResult struct {
	Role struct {
		RoleName                 string    `xml:"RoleName"`
		Arn                      string    `xml:"Arn"`
		CreateDate               time.Time `xml:"CreateDate"`
		AssumeRolePolicyDocument string    `xml:"AssumeRolePolicyDocument"`
	} `xml:"Role"`
}

func TestFrameworkJSONAndQueryThroughSDK(t *testing.T) {
	e := startEmulator(t, Options{})
	e.addJSONService("AmazonEC2ContainerServiceV20141113", "ECS", true, map[string]jsonOp{
		"DescribeClusters": op(func(in *ecs.DescribeClustersInput) (any, error) {
			if len(in.Clusters) == 1 && in.Clusters[0] == "missing" {
				return nil, apiErr("ClusterNotFoundException", "Cluster not found.")
			}
			return &ecs.DescribeClustersOutput{Clusters: []ecstypes.Cluster{{ClusterName: aws.String(in.Clusters[0]), Status: aws.String("ACTIVE"), RunningTasksCount: 0}}}, nil
		}),
	})
	e.addQueryService("iam", "IAM", "https://iam.amazonaws.com/doc/2010-05-08/", "2010-05-08", map[string]queryOp{
		"GetRole": func(c *call) (any, error) {
			name := c.Form.Get("RoleName")
			if name != "app" {
				return nil, &APIError{Code: "NoSuchEntity", Message: "The role with name " + name + " cannot be found.", Status: 404}
			}
			var r roleResult
			r.Role.RoleName, r.Role.Arn, r.Role.CreateDate = name, "arn:aws:iam::123456789012:role/app", e.now()
			r.Role.AssumeRolePolicyDocument = "%7B%7D"
			return r, nil
		},
	})
	cfg := sdkConfig(t, e, 1)
	ctx := context.Background()
	out, err := ecs.NewFromConfig(cfg).DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"demo"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Clusters[0].ClusterName); got != "demo" {
		t.Fatalf("cluster name = %q", got)
	}
	_, err = ecs.NewFromConfig(cfg).DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"missing"}})
	var cnf *ecstypes.ClusterNotFoundException
	if !errors.As(err, &cnf) {
		t.Fatalf("want ClusterNotFoundException, got %v", err)
	}
	role, err := iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(role.Role.Arn) != "arn:aws:iam::123456789012:role/app" {
		t.Fatalf("arn = %q", aws.ToString(role.Role.Arn))
	}
	_, err = iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nope")})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Fatalf("want NoSuchEntity, got %v", err)
	}
	if n := e.Log.Count("ECS.DescribeClusters"); n != 2 {
		t.Fatalf("log counted %d DescribeClusters", n)
	}
	if m := e.Log.Mutating(0); len(m) != 0 {
		t.Fatalf("read-only calls logged as mutating: %+v", m)
	}
}

func TestThrottlingIsRecoveredBySDKRetryer(t *testing.T) {
	e := startEmulator(t, Options{Seed: 7})
	e.addJSONService("AmazonEC2ContainerServiceV20141113", "ECS", true, map[string]jsonOp{
		"ListClusters": op(func(in *ecs.ListClustersInput) (any, error) { return &ecs.ListClustersOutput{}, nil }),
	})
	e.SetFault("ecs.ListClusters", Fault{ThrottleRate: 0.5})
	client := ecs.NewFromConfig(sdkConfig(t, e, 10), func(o *ecs.Options) {
		o.Retryer = retryNoDelay(o.Retryer)
	})
	for i := 0; i < 10; i++ {
		if _, err := client.ListClusters(context.Background(), &ecs.ListClustersInput{}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	throttled := 0
	for _, r := range e.Log.All() {
		if r.ErrorCode == "ThrottlingException" {
			throttled++
		}
	}
	if throttled == 0 {
		t.Fatal("no call was throttled; fault not applied")
	}
}

// A handler panic answers 500 InternalFailure, which the SDK sees as an
// AWS error, and Close reports it so the test that hit it fails.
func TestHandlerPanicIsA500AndCloseReportsIt(t *testing.T) {
	e := New(Options{})
	if err := e.Start(""); err != nil {
		t.Fatal(err)
	}
	e.core.ReplaceJSONOp("AmazonEC2ContainerServiceV20141113", "ListClusters", func(*call) (any, error) {
		panic("index out of range")
	})
	_, err := ecs.NewFromConfig(sdkConfig(t, e, 1)).ListClusters(context.Background(), &ecs.ListClustersInput{})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 500 || !strings.Contains(err.Error(), "InternalFailure") {
		t.Fatalf("want a 500 InternalFailure, got %v", err)
	}
	cerr := e.Close()
	if cerr == nil || !strings.Contains(cerr.Error(), "1 request(s) panicked") ||
		!strings.Contains(cerr.Error(), "AmazonEC2ContainerServiceV20141113.ListClusters: index out of range") {
		t.Fatalf("Close = %v", cerr)
	}
}
