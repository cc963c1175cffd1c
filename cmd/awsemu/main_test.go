package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/tests/awsemu"
)

// syncBuffer lets the test read stdout while run writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeSeedPrintEnvAndStop(t *testing.T) {
	dir := t.TempDir()
	seed := filepath.Join(dir, "seed.yaml")
	if err := os.WriteFile(seed, []byte("ssm:\n  parameters:\n    - {name: /demo/greeting, value: hello}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	reqLog := filepath.Join(dir, "requests.jsonl")
	var stdout, stderr syncBuffer
	stop := make(chan os.Signal, 1)
	ready := make(chan *awsemu.Emulator, 1)
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"--addr", "127.0.0.1:0", "--seed", seed, "--speed", "50", "--request-log", reqLog, "-v"}, &stdout, &stderr, stop, ready)
	}()
	var e *awsemu.Emulator
	select {
	case e = <-ready:
	case code := <-done:
		t.Fatalf("exited %d: %s", code, stderr.String())
	}

	env := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(stdout.String()))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "export ")
		if !ok {
			t.Fatalf("stdout line %q is not an export", sc.Text())
		}
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	if env["AWS_ENDPOINT_URL"] != e.URL() || env["AWS_ACCESS_KEY_ID"] == "" || env["AWS_REGION"] != "us-east-1" {
		t.Fatalf("printed env = %v", env)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := ssm.NewFromConfig(cfg).GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/demo/greeting")})
	if err != nil || aws.ToString(out.Parameter.Value) != "hello" {
		t.Fatalf("GetParameter = %v, %v", out, err)
	}

	stop <- syscall.SIGTERM
	if code := <-done; code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr.String())
	}
	// -v: a line per request on stderr
	if !strings.Contains(stderr.String(), "service=SSM operation=GetParameter status=200") {
		t.Errorf("-v logged no request line: %s", stderr.String())
	}
	b, err := os.ReadFile(reqLog)
	if err != nil {
		t.Fatal(err)
	}
	var r awsemu.Request
	if err := json.Unmarshal(bytes.TrimSpace(b), &r); err != nil || r.Operation != "GetParameter" || r.Status != 200 {
		t.Fatalf("request log = %s (%v)", b, err)
	}
}

func TestBadSeedFails(t *testing.T) {
	dir := t.TempDir()
	seed := filepath.Join(dir, "seed.yaml")
	os.WriteFile(seed, []byte("ssm:\n  parameterz: []\n"), 0o644)
	var stdout, stderr syncBuffer
	code := run([]string{"--addr", "127.0.0.1:0", "--seed", seed}, &stdout, &stderr, make(chan os.Signal), nil)
	if code != 1 || !strings.Contains(stderr.String(), "parameterz") || stdout.String() != "" {
		t.Fatalf("code %d, stderr %q, stdout %q", code, stderr.String(), stdout.String())
	}
}

// --fault injects seeded faults per operation; a bad one is a usage error.
func TestFaultFlags(t *testing.T) {
	e, cfg, stop := serve(t, "--fault", "SSM.GetParameter:deny=1,times=1", "--fault", "SSM.PutParameter:dropafter=1")
	c := ssm.NewFromConfig(cfg)
	_, err := c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/x")})
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Fatalf("first GetParameter: want AccessDeniedException, got %v", err)
	}
	_, err = c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/x")})
	if err == nil || !strings.Contains(err.Error(), "ParameterNotFound") {
		t.Fatalf("times=1: the second call must reach SSM, got %v", err)
	}
	if _, err := c.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String("/x"), Value: aws.String("v"), Type: "String"}); err == nil {
		t.Fatal("dropafter: the answer must be lost")
	}
	e.SetFault("SSM.PutParameter", awsemu.Fault{})
	if out, err := c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/x")}); err != nil || aws.ToString(out.Parameter.Value) != "v" {
		t.Fatalf("dropafter: the call must have taken effect: %v", err)
	}
	stop()

	for _, bad := range []string{"ECS.RunTask", "ECS.RunTask:dropafter=2", "ECS.RunTask:explode=1"} {
		var out, errb syncBuffer
		if code := run([]string{"--fault", bad}, &out, &errb, make(chan os.Signal), nil); code != 2 || !strings.Contains(errb.String(), "fault") {
			t.Errorf("--fault %s: code %d, stderr %q", bad, code, errb.String())
		}
	}
}

// --rate-limit gives operations AWS-like token buckets: calls over one get
// ECS's ThrottlingException, which the SDK classifies as throttling; a
// --fault on the same operation still applies; "aws" installs the
// documented ECS quotas; a bad value is a usage error.
func TestRateLimitFlags(t *testing.T) {
	_, cfg, stop := serve(t, "--rate-limit", "aws", "--rate-limit", "ECS.ListClusters=0.01/2", "--fault", "ECS.ListClusters:error=1,times=1")
	c := ecs.NewFromConfig(cfg)
	ctx := context.Background()
	var codes []string
	for i := 0; i < 3; i++ {
		_, err := c.ListClusters(ctx, &ecs.ListClustersInput{})
		codes = append(codes, errorCode(err))
		if i == 2 && retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
			t.Errorf("the SDK must see a throttling error: %v", err)
		}
	}
	// 1: the bucket spends a token, then the fault answers 5xx; 2: the last
	// token; 3: throttled.
	if (codes[0] != "InternalFailure" && codes[0] != "ServiceUnavailable") || codes[1] != "" || codes[2] != "ThrottlingException" {
		t.Errorf("ListClusters answers %q, want a 5xx, success, ThrottlingException", codes)
	}
	// The aws preset: RegisterTaskDefinition and DeregisterTaskDefinition
	// share a bucket of 20 refilled at 1/s.
	ok, throttled := 0, 0
	for i := 0; i < 25; i++ {
		_, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("web"),
			ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("nginx"), Memory: aws.Int32(128)}}})
		switch errorCode(err) {
		case "":
			ok++
		case "ThrottlingException":
			throttled++
		default:
			t.Fatalf("RegisterTaskDefinition: %v", err)
		}
	}
	if ok < 20 || throttled == 0 {
		t.Errorf("25 registrations into a bucket of 20: %d served, %d throttled", ok, throttled)
	}
	if _, err := c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web:1")}); errorCode(err) != "ThrottlingException" {
		t.Errorf("DeregisterTaskDefinition draws from the empty bucket: %v", err)
	}
	stop()

	for _, bad := range []string{"ECS.DescribeServices", "ECS.DescribeServices=20", "ECS.DescribeServices=0/5", "ECS.DescribeServices=20/0", "=1/1", "fast"} {
		var out, errb syncBuffer
		if code := run([]string{"--rate-limit", bad}, &out, &errb, make(chan os.Signal), nil); code != 2 || !strings.Contains(errb.String(), "rate limit") {
			t.Errorf("--rate-limit %s: code %d, stderr %q", bad, code, errb.String())
		}
	}
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// serve runs the command with args on a free port and returns the emulator,
// an SDK configuration for it with one attempt per call, and its stop.
func serve(t *testing.T, args ...string) (*awsemu.Emulator, aws.Config, func()) {
	t.Helper()
	var stdout, stderr syncBuffer
	sig := make(chan os.Signal, 1)
	ready := make(chan *awsemu.Emulator, 1)
	done := make(chan int, 1)
	go func() { done <- run(append([]string{"--addr", "127.0.0.1:0"}, args...), &stdout, &stderr, sig, ready) }()
	var e *awsemu.Emulator
	select {
	case e = <-ready:
	case code := <-done:
		t.Fatalf("exited %d: %s", code, stderr.String())
	}
	for _, kv := range e.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	// One attempt: a connection reset over plain HTTP must not fail the test
	// (see awsapi.InMemoryBodies).
	cfg.HTTPClient = awsapi.InMemoryBodies(cfg.HTTPClient)
	return e, cfg, func() { sig <- syscall.SIGTERM; <-done }
}
