package deploy

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/aws/smithy-go"

	"github.com/doppio-ecs/doppio/normalize"
	"github.com/doppio-ecs/doppio/render"
	"github.com/doppio-ecs/doppio/tests/awsemu"
)

// serviceConnectEmulator runs service web in cluster demo with Service
// Connect on namespace "internal" (created by name, stored by ECS as ARN).
func serviceConnectEmulator(t *testing.T) (*awsemu.Emulator, string) {
	t.Helper()
	emu := awsemu.New(awsemu.Options{Seed: 3})
	if err := emu.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Error(err)
		}
	})
	nsARN, err := emu.PutNamespace(awsemu.NamespaceSpec{Name: "internal"})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.CreateCluster("demo"); err != nil {
		t.Fatal(err)
	}
	td := taskDef("nginx:1", nil)
	td.ContainerDefinitions[0].PortMappings = []ecstypes.PortMapping{{Name: aws.String("http"), ContainerPort: aws.Int32(80)}}
	tdARN, err := emu.SeedTaskDefinition(td)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emu.SeedService(&ecs.CreateServiceInput{
		Cluster: aws.String("demo"), ServiceName: aws.String("web"), TaskDefinition: aws.String(tdARN),
		DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}},
		ServiceConnectConfiguration: &ecstypes.ServiceConnectConfiguration{
			Enabled: true, Namespace: aws.String("internal"),
			Services: []ecstypes.ServiceConnectService{{PortName: aws.String("http"), DiscoveryName: aws.String("web")}},
		},
	}); err != nil {
		t.Fatal(err)
	}
	return emu, nsARN
}

func liveNamespace(t *testing.T, live *Live) string {
	t.Helper()
	sd := ServiceDefinition(live.Service)
	if sd == nil || sd.ServiceConnectConfiguration == nil {
		t.Fatalf("no Service Connect configuration in %+v", live.Service)
	}
	return aws.ToString(sd.ServiceConnectConfiguration.Namespace)
}

func TestFetchLiveNamesServiceConnectNamespace(t *testing.T) {
	emu, nsARN := serviceConnectEmulator(t)
	c := clientsFor(t, emu)
	ctx := context.Background()

	// Plain ECS reports the ARN.
	live, err := FetchLive(ctx, c.ECS, "demo", "web", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := liveNamespace(t, live); got != nsARN {
		t.Fatalf("ECS alone: namespace %q, want the ARN %q", got, nsARN)
	}

	r := NewLiveReader(c)
	for i := 0; i < 2; i++ {
		live, err := FetchLive(ctx, r, "demo", "web", "")
		if err != nil {
			t.Fatal(err)
		}
		if got := liveNamespace(t, live); got != "internal" {
			t.Fatalf("fetch %d: namespace %q, want internal", i, got)
		}
	}
	if n := emu.Log.Count("ServiceDiscovery.GetNamespace"); n != 1 {
		t.Errorf("GetNamespace called %d times, want 1 (cached per reader)", n)
	}
	if m := emu.Log.Mutating(0); len(m) != 0 {
		t.Errorf("mutating calls: %+v", m)
	}
}

// Round trip: init writes the namespace by name, and diff against the live
// service (which ECS reports by ARN) is empty.
func TestImportServiceConnectRoundTrip(t *testing.T) {
	emu, nsARN := serviceConnectEmulator(t)
	c := clientsFor(t, emu)
	chdir(t)
	ctx := context.Background()
	if _, err := Import(ctx, NewLiveReader(c), ImportOptions{Region: emu.Region(), Cluster: "demo", Service: "web"}); err != nil {
		t.Fatal(err)
	}
	sdSrc, err := os.ReadFile("ecs-service-def.json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sdSrc), `"namespace": "internal"`) || strings.Contains(string(sdSrc), nsARN) {
		t.Fatalf("service definition does not name the namespace:\n%s", sdSrc)
	}
	tdSrc, err := os.ReadFile("ecs-task-def.json")
	if err != nil {
		t.Fatal(err)
	}
	td, err := render.DecodeTaskDefinition("ecs-task-def.json", tdSrc)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := render.DecodeServiceDefinition("ecs-service-def.json", sdSrc)
	if err != nil {
		t.Fatal(err)
	}
	live, err := FetchLive(ctx, NewLiveReader(c), "demo", "web", "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Compare(Local{TaskDefinition: td, TaskDefinitionPath: "ecs-task-def.json", Service: sd, ServicePath: "ecs-service-def.json"}, live, normalize.Ignore{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Resources() {
		if r.Differs() {
			u, _ := r.Unified(false)
			t.Errorf("diff after init:\n%s", u)
		}
	}
}

// fakeNamespaces answers GetNamespace with err.
type fakeNamespaces struct {
	err   error
	calls int
}

func (f *fakeNamespaces) GetNamespace(context.Context, *servicediscovery.GetNamespaceInput, ...func(*servicediscovery.Options)) (*servicediscovery.GetNamespaceOutput, error) {
	f.calls++
	return nil, f.err
}

func TestFetchLiveNamespaceErrors(t *testing.T) {
	const nsARN = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-0123456789abcdef"
	fake := func() *fakeECS {
		f := newFake(1)
		f.services[0].Deployments[0].ServiceConnectConfiguration.Namespace = aws.String(nsARN)
		return f
	}
	// A namespace Cloud Map does not know, or will not show, stays an ARN.
	for _, err := range []error{&sdtypes.NamespaceNotFound{Message: aws.String("gone")}, &fakeAPIError{code: "AccessDeniedException"}} {
		ns := &fakeNamespaces{err: err}
		live, ferr := FetchLive(context.Background(), &LiveReader{ECSReader: fake(), Namespaces: ns}, "prod", "web", "")
		if ferr != nil {
			t.Fatalf("%T: %v", err, ferr)
		}
		if got := liveNamespace(t, live); got != nsARN || ns.calls != 1 {
			t.Errorf("%T: namespace %q after %d calls", err, got, ns.calls)
		}
	}
	// Anything else fails the run rather than show a spurious difference.
	_, err := FetchLive(context.Background(), &LiveReader{ECSReader: fake(), Namespaces: &fakeNamespaces{err: errors.New("connection reset")}}, "prod", "web", "")
	if err == nil || !strings.Contains(err.Error(), nsARN) {
		t.Errorf("transport error: %v", err)
	}
	// A name (as an older fake or a shared test service gives) needs no call.
	ns := &fakeNamespaces{err: errors.New("unexpected call")}
	if _, err := FetchLive(context.Background(), &LiveReader{ECSReader: newFake(1), Namespaces: ns}, "prod", "web", ""); err != nil || ns.calls != 0 {
		t.Errorf("namespace by name: %v after %d calls", err, ns.calls)
	}
}

type fakeAPIError struct{ code string }

func (e *fakeAPIError) Error() string                 { return e.code }
func (e *fakeAPIError) ErrorCode() string             { return e.code }
func (e *fakeAPIError) ErrorMessage() string          { return "denied" }
func (e *fakeAPIError) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }
