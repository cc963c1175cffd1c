package verify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/tests/awsemu"
	"github.com/doppio-ecs/doppio/verify"
)

// A service definition's serviceRegistries: the Cloud Map service must
// exist and its record types fit the port fields; missing permission is WARN.
func TestRunServiceRegistries(t *testing.T) {
	emu, clients := startEmulator(t)
	f := seedWorld(t, emu)
	if _, err := emu.PutNamespace(awsemu.NamespaceSpec{Name: "corp.internal", Type: "DNS_PRIVATE", VPC: "vpc-1", Services: []awsemu.CloudMapServiceSpec{
		{Name: "web"}, {Name: "srv", DNSRecords: []string{"SRV"}},
	}}); err != nil {
		t.Fatal(err)
	}
	web, srv := emu.CloudMapServiceARN("corp.internal", "web"), emu.CloudMapServiceARN("corp.internal", "srv")
	gone := "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-0000000000000000"
	cases := []struct {
		reg        ecstypes.ServiceRegistry
		status     verify.Status
		wantReason string
	}{
		{ecstypes.ServiceRegistry{RegistryArn: aws.String(web)}, verify.OK, "exists: web in namespace ns-"},
		{ecstypes.ServiceRegistry{RegistryArn: aws.String(gone)}, verify.NG, "srv-0000000000000000 does not exist"},
		{ecstypes.ServiceRegistry{RegistryArn: aws.String("arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1")}, verify.NG, "not a Cloud Map service ARN"},
		{ecstypes.ServiceRegistry{RegistryArn: aws.String(srv)}, verify.NG, "SRV records: set port"},
		{ecstypes.ServiceRegistry{RegistryArn: aws.String(srv), ContainerName: aws.String("web"), ContainerPort: aws.Int32(80)}, verify.OK, "SRV records"},
		{ecstypes.ServiceRegistry{RegistryArn: aws.String(web), Port: aws.Int32(80)}, verify.NG, "remove port"},
	}
	for _, tc := range cases {
		svc := *f.svc
		svc.LoadBalancers = nil
		svc.ServiceRegistries = []ecstypes.ServiceRegistry{tc.reg}
		rep, err := verify.Run(context.Background(), clients, verify.Input{TaskDefinition: f.td, Service: &svc, Cluster: f.cluster}, verify.Options{})
		if err != nil {
			t.Fatal(err)
		}
		c := findPath(rep, "ServiceDefinition[web]/ServiceRegistry[0 "+aws.ToString(tc.reg.RegistryArn)+"]")
		if c == nil || c.Status != tc.status || !strings.Contains(c.Reason, tc.wantReason) {
			t.Errorf("registry %+v: got %+v, want %s %q", tc.reg, c, tc.status, tc.wantReason)
		}
	}

	// In bridge mode ECS registers tasks with SRV records only.
	bridgeTD := *f.td
	bridgeTD.NetworkMode = ecstypes.NetworkModeBridge
	bsvc := verify.Service{Name: "web", ServiceRegistries: []ecstypes.ServiceRegistry{{RegistryArn: aws.String(web)}}}
	rep, err := verify.Run(context.Background(), clients, verify.Input{TaskDefinition: &bridgeTD, Service: &bsvc, Cluster: f.cluster}, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := findPath(rep, "ServiceDefinition[web]/ServiceRegistry[0 "+web+"]"); c == nil || c.Status != verify.NG || !strings.Contains(c.Reason, "only with SRV records") {
		t.Errorf("bridge mode with A records: got %+v", c)
	}

	// Static rules: the container and port must be in the task definition.
	svc := *f.svc
	svc.ServiceRegistries = []ecstypes.ServiceRegistry{{RegistryArn: aws.String(srv), ContainerName: aws.String("web"), ContainerPort: aws.Int32(8443)}}
	var msgs []string
	for _, fd := range verify.ServiceRules(verify.Input{TaskDefinition: f.td, Service: &svc}) {
		if fd.Rule == "service-registries" {
			msgs = append(msgs, fd.Message)
		}
	}
	if len(msgs) != 1 || !strings.Contains(msgs[0], "no port mapping for containerPort 8443") {
		t.Errorf("service-registries findings = %q", msgs)
	}

	denied := denyingClients(t, emu, "GetService")
	svc = *f.svc
	svc.ServiceRegistries = []ecstypes.ServiceRegistry{{RegistryArn: aws.String(web)}}
	rep, err = verify.Run(context.Background(), denied, verify.Input{TaskDefinition: f.td, Service: &svc, Cluster: f.cluster}, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := findPath(rep, "ServiceDefinition[web]/ServiceRegistry[0 "+web+"]"); c == nil || c.Status != verify.WARN || !strings.Contains(c.Reason, "access denied") {
		t.Errorf("denied GetService: got %+v", c)
	}
}
