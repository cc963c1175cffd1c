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

// A Cloud Map service for ECS service discovery, made as ecs-cli's users
// (and the ECS tutorial) make it: a private DNS namespace in a VPC, then a
// service with A records and an ECS-managed health check.
func TestCloudMapServices(t *testing.T) {
	f := newECSFixture(t)
	sd := servicediscovery.NewFromConfig(sdkConfig(t, f.e, 1))
	if _, err := sd.CreatePrivateDnsNamespace(f.ctx, &servicediscovery.CreatePrivateDnsNamespaceInput{Name: aws.String("tutorial")}); err == nil {
		t.Fatal("CreatePrivateDnsNamespace without a VPC succeeded")
	}
	created, err := sd.CreatePrivateDnsNamespace(f.ctx, &servicediscovery.CreatePrivateDnsNamespaceInput{Name: aws.String("tutorial"), Vpc: aws.String("vpc-abcd1234")})
	if err != nil {
		t.Fatal(err)
	}
	op, err := sd.GetOperation(f.ctx, &servicediscovery.GetOperationInput{OperationId: created.OperationId})
	if err != nil {
		t.Fatal(err)
	}
	nsID := op.Operation.Targets["NAMESPACE"]
	ns, err := sd.GetNamespace(f.ctx, &servicediscovery.GetNamespaceInput{Id: aws.String(nsID)})
	if err != nil || ns.Namespace.Type != sdtypes.NamespaceTypeDnsPrivate || ns.Namespace.Properties.DnsProperties == nil {
		t.Fatalf("GetNamespace = %+v, %v", ns, err)
	}
	pub, err := sd.CreatePublicDnsNamespace(f.ctx, &servicediscovery.CreatePublicDnsNamespaceInput{Name: aws.String("example.com")})
	if err != nil {
		t.Fatal(err)
	}
	pubOp, _ := sd.GetOperation(f.ctx, &servicediscovery.GetOperationInput{OperationId: pub.OperationId})
	pubID := pubOp.Operation.Targets["NAMESPACE"]

	dns := &sdtypes.DnsConfig{DnsRecords: []sdtypes.DnsRecord{{Type: sdtypes.RecordTypeA, TTL: aws.Int64(300)}}}
	out, err := sd.CreateService(f.ctx, &servicediscovery.CreateServiceInput{
		Name: aws.String("myapplication"), NamespaceId: aws.String(nsID), DnsConfig: dns, CreatorRequestId: aws.String("req-1"),
		HealthCheckCustomConfig: &sdtypes.HealthCheckCustomConfig{FailureThreshold: aws.Int32(1)},
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := out.Service
	if !regexp.MustCompile(`^arn:aws:servicediscovery:us-east-1:123456789012:service/srv-[0-9a-f]{16}$`).MatchString(aws.ToString(svc.Arn)) ||
		svc.DnsConfig.RoutingPolicy != sdtypes.RoutingPolicyMultivalue || aws.ToInt32(svc.HealthCheckCustomConfig.FailureThreshold) != 1 {
		t.Fatalf("CreateService = %+v", svc)
	}
	// The same request again returns the same service; another request
	// for the same name is refused.
	again, err := sd.CreateService(f.ctx, &servicediscovery.CreateServiceInput{Name: aws.String("myapplication"), NamespaceId: aws.String(nsID), DnsConfig: dns, CreatorRequestId: aws.String("req-1")})
	if err != nil || aws.ToString(again.Service.Id) != aws.ToString(svc.Id) {
		t.Fatalf("retried CreateService = %+v, %v", again, err)
	}
	var exists *sdtypes.ServiceAlreadyExists
	if _, err := sd.CreateService(f.ctx, &servicediscovery.CreateServiceInput{Name: aws.String("myapplication"), NamespaceId: aws.String(nsID), DnsConfig: dns}); !errors.As(err, &exists) {
		t.Fatalf("second CreateService: %v", err)
	}
	var nsNF *sdtypes.NamespaceNotFound
	if _, err := sd.CreateService(f.ctx, &servicediscovery.CreateServiceInput{Name: aws.String("x"), NamespaceId: aws.String("ns-0000000000000000"), DnsConfig: dns}); !errors.As(err, &nsNF) {
		t.Fatalf("CreateService in no namespace: %v", err)
	}
	var invalid *sdtypes.InvalidInput
	if _, err := sd.CreateService(f.ctx, &servicediscovery.CreateServiceInput{Name: aws.String("x"), NamespaceId: aws.String(nsID),
		DnsConfig: &sdtypes.DnsConfig{DnsRecords: []sdtypes.DnsRecord{{Type: "MX", TTL: aws.Int64(60)}}}}); !errors.As(err, &invalid) {
		t.Fatalf("CreateService with an MX record: %v", err)
	}
	if _, err := sd.CreateService(f.ctx, &servicediscovery.CreateServiceInput{Name: aws.String("www"), NamespaceId: aws.String(pubID), DnsConfig: dns}); err != nil {
		t.Fatal(err)
	}

	for _, ref := range []string{aws.ToString(svc.Id), aws.ToString(svc.Arn)} {
		got, err := sd.GetService(f.ctx, &servicediscovery.GetServiceInput{Id: aws.String(ref)})
		if err != nil || aws.ToString(got.Service.Name) != "myapplication" || aws.ToString(got.Service.NamespaceId) != nsID {
			t.Fatalf("GetService %s = %+v, %v", ref, got, err)
		}
	}
	list, err := sd.ListServices(f.ctx, &servicediscovery.ListServicesInput{Filters: []sdtypes.ServiceFilter{
		{Name: sdtypes.ServiceFilterNameNamespaceId, Values: []string{nsID}, Condition: sdtypes.FilterConditionEq},
	}})
	if err != nil || len(list.Services) != 1 || aws.ToString(list.Services[0].Name) != "myapplication" {
		t.Fatalf("ListServices NAMESPACE_ID=%s = %+v, %v", nsID, list, err)
	}
	all, err := sd.ListServices(f.ctx, &servicediscovery.ListServicesInput{})
	if err != nil || len(all.Services) != 2 {
		t.Fatalf("ListServices = %+v, %v", all, err)
	}
	nsNow, _ := sd.GetNamespace(f.ctx, &servicediscovery.GetNamespaceInput{Id: aws.String(nsID)})
	if aws.ToInt32(nsNow.Namespace.ServiceCount) != 1 {
		t.Fatalf("ServiceCount = %d", aws.ToInt32(nsNow.Namespace.ServiceCount))
	}

	// ECS registers its tasks in the service: the registry must exist and
	// the service then holds it, and Cloud Map refuses to delete it.
	td := f.register(fargateTD("web", "nginx:latest"))
	create := func(regs ...ecstypes.ServiceRegistry) error {
		_, err := f.c.CreateService(f.ctx, &ecs.CreateServiceInput{
			Cluster: aws.String("app"), ServiceName: aws.String("web"), TaskDefinition: aws.String(td),
			DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork,
			ServiceRegistries: regs,
		})
		return err
	}
	for _, bad := range []ecstypes.ServiceRegistry{
		{RegistryArn: aws.String("arn:aws:servicediscovery:us-east-1:123456789012:service/srv-0000000000000000")},
		{RegistryArn: ns.Namespace.Arn},
		{RegistryArn: svc.Arn, Port: aws.Int32(80)},
		{RegistryArn: svc.Arn, ContainerName: aws.String("nope"), ContainerPort: aws.Int32(80)},
	} {
		var ip *ecstypes.InvalidParameterException
		if err := create(bad); !errors.As(err, &ip) {
			t.Errorf("CreateService with registry %+v: %v", bad, err)
		}
	}
	if err := create(ecstypes.ServiceRegistry{RegistryArn: svc.Arn}); err != nil {
		t.Fatal(err)
	}
	if got := f.service("web").ServiceRegistries; len(got) != 1 || aws.ToString(got[0].RegistryArn) != aws.ToString(svc.Arn) {
		t.Fatalf("service registries = %+v", got)
	}
	var ip *ecstypes.InvalidParameterException
	if _, err := f.c.UpdateService(f.ctx, &ecs.UpdateServiceInput{Cluster: aws.String("app"), Service: aws.String("web"),
		ServiceRegistries: []ecstypes.ServiceRegistry{{RegistryArn: aws.String("arn:aws:servicediscovery:us-east-1:123456789012:service/srv-0000000000000001")}}}); !errors.As(err, &ip) {
		t.Fatalf("UpdateService to a missing registry: %v", err)
	}
	var inUse *sdtypes.ResourceInUse
	if _, err := sd.DeleteService(f.ctx, &servicediscovery.DeleteServiceInput{Id: svc.Id}); !errors.As(err, &inUse) {
		t.Fatalf("DeleteService of a registry in use: %v", err)
	}
	www := f.e.CloudMapServiceARN("example.com", "www")
	if _, err := sd.DeleteService(f.ctx, &servicediscovery.DeleteServiceInput{Id: aws.String(www)}); err != nil {
		t.Fatal(err)
	}
	var nf *sdtypes.ServiceNotFound
	if _, err := sd.GetService(f.ctx, &servicediscovery.GetServiceInput{Id: aws.String(www)}); !errors.As(err, &nf) {
		t.Fatalf("GetService after DeleteService: %v", err)
	}
}

// The seed makes namespaces with their services, as Terraform would.
func TestCloudMapServiceSeed(t *testing.T) {
	f := newECSFixture(t)
	seed, err := ParseSeed([]byte(`servicediscovery:
  namespaces:
    - name: corp.internal
      type: DNS_PRIVATE
      vpc: vpc-1
      services:
        - {name: api, dns_records: [SRV], ttl: 30, failure_threshold: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.e.ApplySeed(seed); err != nil {
		t.Fatal(err)
	}
	arn := f.e.CloudMapServiceARN("corp.internal", "api")
	sd := servicediscovery.NewFromConfig(sdkConfig(t, f.e, 1))
	got, err := sd.GetService(f.ctx, &servicediscovery.GetServiceInput{Id: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	rec := got.Service.DnsConfig.DnsRecords
	if len(rec) != 1 || rec[0].Type != sdtypes.RecordTypeSrv || aws.ToInt64(rec[0].TTL) != 30 || aws.ToInt32(got.Service.HealthCheckCustomConfig.FailureThreshold) != 2 {
		t.Fatalf("seeded service = %+v", got.Service)
	}
	// SRV records need the container and port (or port) in ECS.
	td := f.register(fargateTD("web", "nginx:latest"))
	_, err = f.c.CreateService(f.ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("app"), ServiceName: aws.String("web"), TaskDefinition: aws.String(td),
		DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork,
		ServiceRegistries: []ecstypes.ServiceRegistry{{RegistryArn: aws.String(arn)}},
	})
	var ip *ecstypes.InvalidParameterException
	if !errors.As(err, &ip) {
		t.Fatalf("SRV registry without a port: %v", err)
	}
	// In bridge mode ECS registers SRV records only.
	aARN, err := f.e.PutNamespace(NamespaceSpec{Name: "corp.internal", Type: "DNS_PRIVATE", Services: []CloudMapServiceSpec{{Name: "web"}}})
	if err != nil || aARN == "" {
		t.Fatal(err)
	}
	bridge := f.register(&ecs.RegisterTaskDefinitionInput{Family: aws.String("br"), ContainerDefinitions: []ecstypes.ContainerDefinition{{
		Name: aws.String("app"), Image: aws.String("nginx"), Memory: aws.Int32(128), PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(80)}},
	}}})
	for name, reg := range map[string]ecstypes.ServiceRegistry{
		"A records":               {RegistryArn: aws.String(f.e.CloudMapServiceARN("corp.internal", "web")), ContainerName: aws.String("app"), ContainerPort: aws.Int32(80)},
		"SRV without a container": {RegistryArn: aws.String(arn), Port: aws.Int32(80)},
	} {
		_, err = f.c.CreateService(f.ctx, &ecs.CreateServiceInput{
			Cluster: aws.String("app"), ServiceName: aws.String("br"), TaskDefinition: aws.String(bridge), DesiredCount: aws.Int32(0),
			LaunchType: ecstypes.LaunchTypeEc2, ServiceRegistries: []ecstypes.ServiceRegistry{reg},
		})
		if !errors.As(err, &ip) {
			t.Errorf("bridge mode, %s: %v", name, err)
		}
	}
	_, err = f.c.CreateService(f.ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("app"), ServiceName: aws.String("br"), TaskDefinition: aws.String(bridge), DesiredCount: aws.Int32(0),
		LaunchType: ecstypes.LaunchTypeEc2, ServiceRegistries: []ecstypes.ServiceRegistry{{RegistryArn: aws.String(arn), ContainerName: aws.String("app"), ContainerPort: aws.Int32(80)}},
	})
	if err != nil {
		t.Fatalf("bridge mode, SRV with the container: %v", err)
	}
}

// A task set of an EXTERNAL service registers in Cloud Map too: its
// registry must exist.
func TestTaskSetServiceRegistries(t *testing.T) {
	f := newECSFixture(t)
	if _, err := f.e.PutNamespace(NamespaceSpec{Name: "corp.internal", Type: "DNS_PRIVATE", Services: []CloudMapServiceSpec{{Name: "web"}}}); err != nil {
		t.Fatal(err)
	}
	td := f.register(fargateTD("web", "nginx:latest"))
	if _, err := f.c.CreateService(f.ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("app"), ServiceName: aws.String("web"), DesiredCount: aws.Int32(1), TaskDefinition: aws.String(td),
		LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork,
		DeploymentController: &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeExternal},
	}); err != nil {
		t.Fatal(err)
	}
	create := func(arn string) error {
		_, err := f.c.CreateTaskSet(f.ctx, &ecs.CreateTaskSetInput{
			Cluster: aws.String("app"), Service: aws.String("web"), TaskDefinition: aws.String(td),
			LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: testNetwork,
			ServiceRegistries: []ecstypes.ServiceRegistry{{RegistryArn: aws.String(arn)}},
		})
		return err
	}
	var ip *ecstypes.InvalidParameterException
	if err := create("arn:aws:servicediscovery:us-east-1:123456789012:service/srv-0000000000000000"); !errors.As(err, &ip) {
		t.Fatalf("task set with a missing registry: %v", err)
	}
	if err := create(f.e.CloudMapServiceARN("corp.internal", "web")); err != nil {
		t.Fatal(err)
	}
}

// What Terraform calls around the creates: tags, and DeleteNamespace that
// refuses a namespace with services.
func TestCloudMapTagsAndDeleteNamespace(t *testing.T) {
	f := newECSFixture(t)
	sd := servicediscovery.NewFromConfig(sdkConfig(t, f.e, 1))
	created, err := sd.CreatePrivateDnsNamespace(f.ctx, &servicediscovery.CreatePrivateDnsNamespaceInput{
		Name: aws.String("corp.internal"), Vpc: aws.String("vpc-1"), Tags: []sdtypes.Tag{{Key: aws.String("team"), Value: aws.String("web")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	op, _ := sd.GetOperation(f.ctx, &servicediscovery.GetOperationInput{OperationId: created.OperationId})
	nsID := op.Operation.Targets["NAMESPACE"]
	nsARN := f.e.NamespaceARN("corp.internal")
	tags, err := sd.ListTagsForResource(f.ctx, &servicediscovery.ListTagsForResourceInput{ResourceARN: aws.String(nsARN)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "web" {
		t.Fatalf("ListTagsForResource = %+v, %v", tags, err)
	}
	svc, err := sd.CreateService(f.ctx, &servicediscovery.CreateServiceInput{Name: aws.String("api"), NamespaceId: aws.String(nsID),
		DnsConfig: &sdtypes.DnsConfig{DnsRecords: []sdtypes.DnsRecord{{Type: sdtypes.RecordTypeA, TTL: aws.Int64(60)}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sd.TagResource(f.ctx, &servicediscovery.TagResourceInput{ResourceARN: svc.Service.Arn, Tags: []sdtypes.Tag{{Key: aws.String("a"), Value: aws.String("1")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := sd.UntagResource(f.ctx, &servicediscovery.UntagResourceInput{ResourceARN: svc.Service.Arn, TagKeys: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	if tags, err := sd.ListTagsForResource(f.ctx, &servicediscovery.ListTagsForResourceInput{ResourceARN: svc.Service.Arn}); err != nil || len(tags.Tags) != 0 {
		t.Fatalf("tags after untag = %+v, %v", tags, err)
	}
	var rnf *sdtypes.ResourceNotFoundException
	if _, err := sd.ListTagsForResource(f.ctx, &servicediscovery.ListTagsForResourceInput{ResourceARN: aws.String(nsARN + "0")}); !errors.As(err, &rnf) {
		t.Fatalf("ListTagsForResource of nothing: %v", err)
	}
	var inUse *sdtypes.ResourceInUse
	if _, err := sd.DeleteNamespace(f.ctx, &servicediscovery.DeleteNamespaceInput{Id: aws.String(nsID)}); !errors.As(err, &inUse) {
		t.Fatalf("DeleteNamespace with a service: %v", err)
	}
	if _, err := sd.DeleteService(f.ctx, &servicediscovery.DeleteServiceInput{Id: svc.Service.Id}); err != nil {
		t.Fatal(err)
	}
	del, err := sd.DeleteNamespace(f.ctx, &servicediscovery.DeleteNamespaceInput{Id: aws.String(nsID)})
	if err != nil {
		t.Fatal(err)
	}
	if op, err := sd.GetOperation(f.ctx, &servicediscovery.GetOperationInput{OperationId: del.OperationId}); err != nil || op.Operation.Type != sdtypes.OperationTypeDeleteNamespace {
		t.Fatalf("delete operation = %+v, %v", op, err)
	}
	var nf *sdtypes.NamespaceNotFound
	if _, err := sd.GetNamespace(f.ctx, &servicediscovery.GetNamespaceInput{Id: aws.String(nsID)}); !errors.As(err, &nf) {
		t.Fatalf("GetNamespace after delete: %v", err)
	}
}
