package verify_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/tests/awsemu"
	"github.com/doppio-ecs/doppio/verify"
)

// seed20 seeds and returns the large definition set: 20 containers,
// 20 distinct images, 40 secrets (30 SSM parameters, 10 Secrets Manager
// secrets), all of which exist.
func seed20(t testing.TB, emu *awsemu.Emulator, clients *awsapi.Clients) verify.Input {
	t.Helper()
	str := must[string](t)
	exec := str(emu.PutRole(awsemu.RoleSpec{Name: "big-exec"}))
	task := str(emu.PutRole(awsemu.RoleSpec{Name: "big-task"}))
	noErr(t, emu.CreateLogGroup(awsemu.LogGroupSpec{Name: "/ecs/big"}))
	createCluster(t, clients, "big", "FARGATE")
	var secretARNs []string
	for i := range 10 {
		secretARNs = append(secretARNs, str(emu.PutSecret(awsemu.SecretSpec{Name: fmt.Sprintf("big/s%02d", i), Value: map[string]any{"password": "pw"}})))
	}
	for i := range 30 {
		noErr(t, emu.PutParameter(awsemu.ParameterSpec{Name: fmt.Sprintf("/big/p%02d", i), Value: "v"}))
	}
	td := &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String("big"),
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu:                     aws.String("4096"),
		Memory:                  aws.String("8192"),
		ExecutionRoleArn:        aws.String(exec),
		TaskRoleArn:             aws.String(task),
	}
	for i := range 20 {
		repo := fmt.Sprintf("svc%02d", i)
		_ = str(emu.PutImage(awsemu.ImageSpec{Repository: repo, Tags: []string{"v1"}}))
		c := ecstypes.ContainerDefinition{
			Name:              aws.String(repo),
			Image:             aws.String(emu.ImageURI(repo, "v1")),
			Essential:         aws.Bool(i == 0),
			MemoryReservation: aws.Int32(128),
			LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/ecs/big", "awslogs-region": "us-east-1", "awslogs-stream-prefix": repo,
			}},
		}
		// Two secrets per container: 40 in all, each distinct.
		for j := range 2 {
			n := i*2 + j
			from := fmt.Sprintf("/big/p%02d", n)
			if n >= 30 {
				from = secretARNs[n-30]
			}
			c.Secrets = append(c.Secrets, ecstypes.Secret{Name: aws.String(fmt.Sprintf("S%d", j)), ValueFrom: aws.String(from)})
		}
		td.ContainerDefinitions = append(td.ContainerDefinitions, c)
	}
	svc := &verify.Service{
		Name:       "big",
		LaunchType: ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: []string{"subnet-1"},
		}},
	}
	return verify.Input{TaskDefinition: td, Service: svc, Cluster: "big"}
}

func TestVerify20Containers(t *testing.T) {
	emu, clients := startEmulator(t)
	in := seed20(t, emu, clients)
	mark := emu.Log.Len()
	rep, err := verify.Run(context.Background(), clients, in, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st := rep.Status(); st != verify.OK {
		var b testingWriter
		_ = rep.WriteText(&b, false)
		t.Fatalf("status %s, want OK:\n%s", st, b)
	}
	n := rep.Counts()
	if n[verify.OK] != 1+2+20*(1+1+2+1)+1+3+1 { // service: rules; placement, subnet, security groups
		t.Errorf("counts %v", n)
	}
	calls := map[string]int{}
	for _, r := range emu.Log.Since(mark) {
		calls[r.Service+"."+r.Operation]++
	}
	// Batching and deduplication: one token, 3 GetParameters for 30
	// parameters, one log group lookup for 20 containers.
	for op, want := range map[string]int{"ECR.GetAuthorizationToken": 1, "SSM.GetParameters": 3, "SecretsManager.DescribeSecret": 10, "Logs.DescribeLogGroups": 1, "IAM.GetRole": 2, "ECS.DescribeClusters": 1,
		"EC2.DescribeSubnets": 1, "EC2.DescribeSecurityGroups": 1, "EC2.DescribeRouteTables": 1, "EC2.DescribeVpcEndpoints": 1} {
		if calls[op] != want {
			t.Errorf("%s called %d times, want %d (all calls: %v)", op, calls[op], want, calls)
		}
	}
	if m := emu.Log.Mutating(mark); len(m) != 0 {
		t.Errorf("verify made mutating calls: %v", m)
	}
}

// BenchmarkVerify20Containers: the 20-container set with 50 ms of latency on
// every emulated call (AWS APIs and the registry). Target: ≤ 1.5 s per run.
func BenchmarkVerify20Containers(b *testing.B) {
	emu, clients := startEmulator(b)
	in := seed20(b, emu, clients)
	emu.SetFault("*", awsemu.Fault{Latency: 50 * time.Millisecond})
	b.ResetTimer()
	for b.Loop() {
		rep, err := verify.Run(context.Background(), clients, in, verify.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Status() != verify.OK {
			b.Fatalf("status %s", rep.Status())
		}
	}
}

type testingWriter struct{ s string }

func (w *testingWriter) Write(p []byte) (int, error) { w.s += string(p); return len(p), nil }
func (w testingWriter) String() string               { return w.s }
