package awsemu

import (
	"errors"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
)

func TestServiceDiscoveryNamespaces(t *testing.T) {
	f := newECSFixture(t)
	seed, err := ParseSeed([]byte("servicediscovery:\n  namespaces:\n    - name: internal\n    - {name: corp.example, type: DNS_PRIVATE}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.e.ApplySeed(seed); err != nil {
		t.Fatal(err)
	}
	arn := f.e.NamespaceARN("internal")
	if !regexp.MustCompile(`^arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-[0-9a-f]{16}$`).MatchString(arn) {
		t.Fatalf("arn = %q", arn)
	}
	sd := servicediscovery.NewFromConfig(sdkConfig(t, f.e, 1))

	for _, id := range []string{arn, arn[len(arn)-19:]} {
		out, err := sd.GetNamespace(f.ctx, &servicediscovery.GetNamespaceInput{Id: aws.String(id)})
		if err != nil {
			t.Fatalf("GetNamespace %s: %v", id, err)
		}
		if aws.ToString(out.Namespace.Name) != "internal" || out.Namespace.Type != sdtypes.NamespaceTypeHttp || aws.ToString(out.Namespace.Arn) != arn {
			t.Fatalf("GetNamespace %s = %+v", id, out.Namespace)
		}
	}
	_, err = sd.GetNamespace(f.ctx, &servicediscovery.GetNamespaceInput{Id: aws.String("ns-0000000000000000")})
	var nf *sdtypes.NamespaceNotFound
	if !errors.As(err, &nf) {
		t.Fatalf("unknown namespace: %v", err)
	}

	list, err := sd.ListNamespaces(f.ctx, &servicediscovery.ListNamespacesInput{
		Filters: []sdtypes.NamespaceFilter{{Name: sdtypes.NamespaceFilterNameType, Values: []string{"DNS_PRIVATE"}}},
	})
	if err != nil || len(list.Namespaces) != 1 || aws.ToString(list.Namespaces[0].Name) != "corp.example" {
		t.Fatalf("ListNamespaces TYPE=DNS_PRIVATE = %+v, %v", list, err)
	}
	created, err := sd.CreateHttpNamespace(f.ctx, &servicediscovery.CreateHttpNamespaceInput{Name: aws.String("other")})
	if err != nil {
		t.Fatal(err)
	}
	op, err := sd.GetOperation(f.ctx, &servicediscovery.GetOperationInput{OperationId: created.OperationId})
	if err != nil || op.Operation.Status != sdtypes.OperationStatusSuccess || op.Operation.Targets["NAMESPACE"] == "" {
		t.Fatalf("GetOperation = %+v, %v", op, err)
	}
	var exists *sdtypes.NamespaceAlreadyExists
	if _, err := sd.CreateHttpNamespace(f.ctx, &servicediscovery.CreateHttpNamespaceInput{Name: aws.String("other")}); !errors.As(err, &exists) {
		t.Fatalf("second CreateHttpNamespace: %v", err)
	}
}

// ECS takes the namespace by name or ARN and keeps the ARN in the
// deployment's serviceConnectConfiguration.
func TestECSServiceConnectNamespace(t *testing.T) {
	f := newECSFixture(t)
	arn, err := f.e.PutNamespace(NamespaceSpec{Name: "internal"})
	if err != nil {
		t.Fatal(err)
	}
	otherARN, err := f.e.PutNamespace(NamespaceSpec{Name: "other"})
	if err != nil {
		t.Fatal(err)
	}
	td := f.register(fargateTD("web", "nginx:latest"))
	sc := &ecstypes.ServiceConnectConfiguration{Enabled: true, Namespace: aws.String("internal")}
	_, err = f.c.CreateService(f.ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("app"), ServiceName: aws.String("web"), TaskDefinition: aws.String(td),
		DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork,
		ServiceConnectConfiguration: sc,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := primaryNamespace(t, f); got != arn {
		t.Fatalf("namespace after create = %q, want %q", got, arn)
	}
	if aws.ToString(sc.Namespace) != "internal" {
		t.Fatalf("the caller's input was modified: %q", aws.ToString(sc.Namespace))
	}

	// The same namespace by name again is no change: no new deployment.
	out, err := f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"), ServiceConnectConfiguration: sc})
	if err != nil || len(out.Service.Deployments) != 1 {
		t.Fatalf("update with the same namespace: %d deployments, %v", len(out.Service.Deployments), err)
	}
	_, err = f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"),
		ServiceConnectConfiguration: &ecstypes.ServiceConnectConfiguration{Enabled: true, Namespace: aws.String(otherARN)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := primaryNamespace(t, f); got != otherARN {
		t.Fatalf("namespace after update by ARN = %q, want %q", got, otherARN)
	}

	for _, ns := range []string{"missing", "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-0000000000000000"} {
		_, err = f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"),
			ServiceConnectConfiguration: &ecstypes.ServiceConnectConfiguration{Enabled: true, Namespace: aws.String(ns)}})
		var nf *ecstypes.NamespaceNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("unknown namespace %s: %v", ns, err)
		}
	}
	if got := primaryNamespace(t, f); got != otherARN {
		t.Fatalf("a failed update changed the namespace to %q", got)
	}
	// Turning Service Connect off needs no namespace.
	if _, err = f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"),
		ServiceConnectConfiguration: &ecstypes.ServiceConnectConfiguration{Enabled: false}}); err != nil {
		t.Fatal(err)
	}
}

func primaryNamespace(t *testing.T, f *ecsFixture) string {
	t.Helper()
	svc := f.service("web")
	for _, d := range svc.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" && d.ServiceConnectConfiguration != nil {
			return aws.ToString(d.ServiceConnectConfiguration.Namespace)
		}
	}
	t.Fatalf("no PRIMARY deployment with Service Connect: %+v", svc.Deployments)
	return ""
}
