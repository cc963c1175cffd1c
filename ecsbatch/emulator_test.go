package ecsbatch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/ecsbatch"
	"github.com/doppio-ecs/doppio/tests/awsemu"
)

// Twelve deploys at once through one batcher, over the real SDK and the
// emulator: every one completes, their DescribeServices go out batched (at
// most 10 services a call, fewer calls than polls), and a missing service
// still reads as missing.
func TestDeploysShareBatchedPolls(t *testing.T) {
	const n = 12
	emu := awsemu.New(awsemu.Options{Clock: awsemu.NewRealClock(1), Seed: 3})
	if err := emu.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Error(err)
		}
	})
	emu.SetECSTimings(awsemu.ECSTimings{Provision: 50 * time.Millisecond, Pending: 100 * time.Millisecond, Stop: 50 * time.Millisecond,
		RunTask: time.Second, SteadyState: 50 * time.Millisecond})
	if err := emu.CreateCluster(fleetCluster); err != nil {
		t.Fatal(err)
	}
	sd := fleetServiceDef()
	for i := 0; i < n; i++ {
		arn, err := emu.SeedTaskDefinition(fleetTaskDef(i, "v1", 100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := emu.SeedService(&ecs.CreateServiceInput{Cluster: aws.String(fleetCluster), ServiceName: aws.String(fmt.Sprintf("svc-%02d", i)),
			TaskDefinition: aws.String(arn), DesiredCount: sd.DesiredCount, LaunchType: sd.LaunchType,
			NetworkConfiguration: sd.NetworkConfiguration, DeploymentConfiguration: sd.DeploymentConfiguration}); err != nil {
			t.Fatal(err)
		}
	}
	for _, kv := range emu.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	ctx := context.Background()
	clients, err := awsapi.New(ctx, awsapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := ecsbatch.New(clients.ECS, ecsbatch.Options{Interval: 20 * time.Millisecond})

	mark := emu.Log.Len()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := deploy.New(clients, nil)
			d.ECS, d.MinInterval, d.MaxInterval = b, 10*time.Millisecond, 50*time.Millisecond
			td := fleetTaskDef(i, "v2", time.Duration(100+30*i)*time.Millisecond)
			spec := &deploy.Spec{Cluster: fleetCluster, Service: fmt.Sprintf("svc-%02d", i), ServiceDefinition: fleetServiceDef(),
				TaskDefinition: func(context.Context) (*ecs.RegisterTaskDefinitionInput, error) { return td, nil }}
			_, out, err := d.Deploy(ctx, spec, deploy.Options{})
			if err == nil && out.Class != deploy.Completed {
				err = fmt.Errorf("outcome %s: %s", out.Class, out.Reason)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("svc-%02d: %v", i, err)
		}
	}
	calls, batched := 0, 0
	for _, r := range emu.Log.Since(mark) {
		if r.Operation != "DescribeServices" {
			continue
		}
		calls++
		var names []string
		if err := json.Unmarshal(r.Members["services"], &names); err != nil {
			t.Fatal(err)
		}
		if len(names) > ecsbatch.MaxPerCall {
			t.Errorf("a call named %d services", len(names))
		}
		if len(names) > 1 {
			batched++
		}
	}
	st := b.Stats()
	if calls != st.Calls || st.Requests <= calls || batched == 0 {
		t.Errorf("emulator saw %d DescribeServices (%d batched); batcher %+v: want fewer calls than polls", calls, batched, st)
	}
	t.Logf("%d polls served by %d calls in %d rounds", st.Requests, st.Calls, st.Rounds)

	// A missing service, asked together with an existing one, reads as
	// missing: the waiter's `wait` says so instead of waiting.
	d := deploy.New(clients, nil)
	d.ECS = b
	var wg2 sync.WaitGroup
	var missingErr error
	wg2.Add(2)
	go func() {
		defer wg2.Done()
		_, missingErr = d.WaitCurrent(ctx, fleetCluster, "nope", deploy.UntilStable)
	}()
	go func() {
		defer wg2.Done()
		_, _ = b.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(fleetCluster), Services: []string{"svc-00"}})
	}()
	wg2.Wait()
	if missingErr == nil || !strings.Contains(missingErr.Error(), "does not exist") {
		t.Errorf("missing service: %v", missingErr)
	}
}
