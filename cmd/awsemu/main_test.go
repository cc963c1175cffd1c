package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
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
		done <- run([]string{"--addr", "127.0.0.1:0", "--seed", seed, "--speed", "50", "--request-log", reqLog}, &stdout, &stderr, stop, ready)
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
