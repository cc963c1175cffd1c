package ec2_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/tests/awsemu"
	emuec2 "github.com/doppio-ecs/doppio/tests/awsemu/ec2"
)

func client(t *testing.T) (*awsemu.Emulator, *ec2.Client) {
	t.Helper()
	e := awsemu.New(awsemu.Options{})
	if err := e.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
		config.WithBaseEndpoint(e.URL()), config.WithRetryMaxAttempts(1),
		config.WithCredentialsProvider(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, nil
		})))
	if err != nil {
		t.Fatal(err)
	}
	// Over plain HTTP, net/http can reset the connection when the server
	// answers before it has read the body again (see awsapi.InMemoryBodies);
	// with one attempt that fails the test.
	cfg.HTTPClient = awsapi.InMemoryBodies(cfg.HTTPClient)
	return e, ec2.NewFromConfig(cfg)
}

// must keeps the set-up readable; a failing call fails the test with its stack.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// network is a VPC built through the API, the way a user's script would:
// a public subnet (IGW route), a private one (its own table, no default
// route) and a security group.
type network struct {
	vpc, public, private, privateTable, group string
}

func build(t *testing.T, c *ec2.Client) network {
	t.Helper()
	ctx := context.Background()
	var n network
	n.vpc = *must(c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})).Vpc.VpcId
	n.public = *must(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &n.vpc, CidrBlock: aws.String("10.0.0.0/24")})).Subnet.SubnetId
	n.private = *must(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &n.vpc, CidrBlock: aws.String("10.0.1.0/24"), AvailabilityZone: aws.String("us-east-1b")})).Subnet.SubnetId
	igw := *must(c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})).InternetGateway.InternetGatewayId
	must(c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: &igw, VpcId: &n.vpc}))
	publicTable := *must(c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: &n.vpc})).RouteTable.RouteTableId
	must(c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &publicTable, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: &igw}))
	must(c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: &publicTable, SubnetId: &n.public}))
	n.privateTable = *must(c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: &n.vpc})).RouteTable.RouteTableId
	must(c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: &n.privateTable, SubnetId: &n.private}))
	n.group = *must(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: &n.vpc, GroupName: aws.String("web"), Description: aws.String("web tasks")})).GroupId
	return n
}

func TestBuildAndDescribeAVPC(t *testing.T) {
	_, c := client(t)
	ctx := context.Background()
	n := build(t, c)

	subnets := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{n.private, n.public}})).Subnets
	if len(subnets) != 2 || aws.ToString(subnets[0].VpcId) != n.vpc {
		t.Fatalf("subnets: %+v", subnets)
	}
	byFilter := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("subnet-id"), Values: []string{n.private, "subnet-0000000000000dead"}}}})).Subnets
	if len(byFilter) != 1 || aws.ToString(byFilter[0].AvailabilityZone) != "us-east-1b" || aws.ToString(byFilter[0].CidrBlock) != "10.0.1.0/24" {
		t.Fatalf("subnet by filter: %+v", byFilter)
	}
	_, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0000000000000dead"}})
	if code(err) != "InvalidSubnetID.NotFound" || !strings.Contains(err.Error(), "subnet-0000000000000dead") {
		t.Fatalf("unknown subnet: %v", err)
	}

	tables := must(c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{n.vpc}}}})).RouteTables
	if len(tables) != 3 {
		t.Fatalf("want main + 2 route tables, got %d", len(tables))
	}
	var mainFound, igwRoute bool
	for _, rt := range tables {
		for _, a := range rt.Associations {
			mainFound = mainFound || aws.ToBool(a.Main)
		}
		for _, r := range rt.Routes {
			if aws.ToString(r.DestinationCidrBlock) == "0.0.0.0/0" && strings.HasPrefix(aws.ToString(r.GatewayId), "igw-") && r.State == ec2types.RouteStateActive {
				igwRoute = true
			}
		}
	}
	if !mainFound || !igwRoute {
		t.Fatalf("main table %v, igw route %v: %+v", mainFound, igwRoute, tables)
	}

	// A new group allows all outbound traffic; revoking it and allowing
	// only 80 leaves one rule.
	all := ec2types.IpPermission{IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}
	must(c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: &n.group, IpPermissions: []ec2types.IpPermission{all}}))
	http := ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}
	must(c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: &n.group, IpPermissions: []ec2types.IpPermission{http}}))
	_, err = c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: &n.group, IpPermissions: []ec2types.IpPermission{http}})
	if code(err) != "InvalidPermission.Duplicate" {
		t.Fatalf("duplicate rule: %v", err)
	}
	groups := must(c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{n.group}})).SecurityGroups
	if len(groups) != 1 || len(groups[0].IpPermissionsEgress) != 1 || aws.ToInt32(groups[0].IpPermissionsEgress[0].FromPort) != 80 {
		t.Fatalf("egress: %+v", groups)
	}

	nat := must(c.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: &n.public})).NatGateway
	nats := must(c.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{*nat.NatGatewayId}})).NatGateways
	if len(nats) != 1 || nats[0].State != ec2types.NatGatewayStateAvailable || aws.ToString(nats[0].VpcId) != n.vpc {
		t.Fatalf("nat gateways: %+v", nats)
	}
	ep := must(c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: &n.vpc, ServiceName: aws.String("com.amazonaws.us-east-1.s3"), RouteTableIds: []string{n.privateTable}})).VpcEndpoint
	eps := must(c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{n.vpc}}}})).VpcEndpoints
	if len(eps) != 1 || eps[0].VpcEndpointType != ec2types.VpcEndpointTypeGateway || eps[0].RouteTableIds[0] != n.privateTable || *eps[0].VpcEndpointId != *ep.VpcEndpointId {
		t.Fatalf("endpoints: %+v", eps)
	}
	acls := must(c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []ec2types.Filter{{Name: aws.String("association.subnet-id"), Values: []string{n.private}}}})).NetworkAcls
	if len(acls) != 1 || !aws.ToBool(acls[0].IsDefault) || len(acls[0].Entries) != 4 {
		t.Fatalf("default network ACL: %+v", acls)
	}
	_, err = c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []ec2types.Filter{{Name: aws.String("no-such-filter"), Values: []string{"x"}}}})
	if code(err) != "InvalidParameterValue" {
		t.Fatalf("unknown filter: %v", err)
	}
}

// Reach is what ECS asks before a Fargate task pulls: each way out of a
// subnet (IGW with a public IP, NAT, endpoints) opens it, and a security
// group or network ACL that blocks 443 closes it again.
func TestReach(t *testing.T) {
	e, c := client(t)
	ctx := context.Background()
	n := build(t, c)
	ec := e.EC2()
	private := emuec2.ENI{Subnet: n.private, SecurityGroups: []string{n.group}}
	public := emuec2.ENI{Subnet: n.public, SecurityGroups: []string{n.group}}

	if _, known := ec.Reach(emuec2.ENI{Subnet: "subnet-1"}, "ecr.api"); known {
		t.Fatal("an unknown subnet is known")
	}
	if ok, known := ec.Reach(private, "ecr.api"); ok || !known {
		t.Fatalf("private subnet without NAT reaches ECR (ok %v known %v)", ok, known)
	}
	if ok, _ := ec.Reach(public, "ecr.api"); ok {
		t.Fatal("public subnet without a public IP reaches ECR")
	}
	public.PublicIP = true
	if ok, _ := ec.Reach(public, emuec2.Internet); !ok {
		t.Fatal("public IP + IGW route does not reach the internet")
	}

	// Endpoints: interface endpoints for ECR, a gateway endpoint for S3.
	// An endpoint left in the VPC's default group admits only that group.
	must(c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: &n.vpc, VpcEndpointType: ec2types.VpcEndpointTypeInterface,
		ServiceName: aws.String("com.amazonaws.us-east-1.ecr.api"), SubnetIds: []string{n.private}}))
	if ok, _ := ec.Reach(private, "ecr.api"); ok {
		t.Fatal("an endpoint whose security group admits only itself lets the task in")
	}
	epGroup := must(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: &n.vpc, GroupName: aws.String("endpoints"), Description: aws.String("endpoints")})).GroupId
	must(c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: epGroup, IpPermissions: []ec2types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("10.0.0.0/16")}}}}}))
	for _, svc := range []string{"ecr.api", "ecr.dkr"} {
		must(c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: &n.vpc, VpcEndpointType: ec2types.VpcEndpointTypeInterface,
			ServiceName: aws.String("com.amazonaws.us-east-1." + svc), SubnetIds: []string{n.private}, SecurityGroupIds: []string{*epGroup}, PrivateDnsEnabled: aws.Bool(true)}))
	}
	if ok, _ := ec.Reach(private, "ecr.api"); !ok {
		t.Fatal("interface endpoint with private DNS does not reach ecr.api")
	}
	if ok, _ := ec.Reach(private, "s3"); ok {
		t.Fatal("s3 reachable without its gateway endpoint")
	}
	must(c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: &n.vpc, ServiceName: aws.String("com.amazonaws.us-east-1.s3"), RouteTableIds: []string{n.privateTable}}))
	if ok, _ := ec.Reach(private, "s3"); !ok {
		t.Fatal("s3 gateway endpoint in the subnet's route table does not reach s3")
	}
	if ok, _ := ec.Reach(private, emuec2.Internet); ok {
		t.Fatal("endpoints open the internet")
	}

	// NAT opens everything.
	nat := must(c.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: &n.public})).NatGateway.NatGatewayId
	must(c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &n.privateTable, DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: nat}))
	if ok, _ := ec.Reach(private, emuec2.Internet); !ok {
		t.Fatal("NAT route does not reach the internet")
	}

	// Egress without 443 closes every path.
	all := ec2types.IpPermission{IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}
	must(c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: &n.group, IpPermissions: []ec2types.IpPermission{all}}))
	for _, svc := range []string{"ecr.api", "s3", emuec2.Internet} {
		if ok, _ := ec.Reach(private, svc); ok {
			t.Fatalf("%s reachable through a group without egress", svc)
		}
	}
	https := ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}
	must(c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: &n.group, IpPermissions: []ec2types.IpPermission{https}}))
	if ok, _ := ec.Reach(private, "logs"); !ok {
		t.Fatal("443 egress + NAT does not reach logs")
	}

	// A network ACL entry denying 443 out wins over the default allow (rule 100).
	acl := must(c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{n.vpc}}}})).NetworkAcls[0].NetworkAclId
	must(c.CreateNetworkAclEntry(ctx, &ec2.CreateNetworkAclEntryInput{NetworkAclId: acl, RuleNumber: aws.Int32(50), Protocol: aws.String("6"), RuleAction: ec2types.RuleActionDeny,
		Egress: aws.Bool(true), CidrBlock: aws.String("0.0.0.0/0"), PortRange: &ec2types.PortRange{From: aws.Int32(443), To: aws.Int32(443)}}))
	if ok, _ := ec.Reach(private, "logs"); ok {
		t.Fatal("a network ACL deny on 443 does not block")
	}
}

func TestSeed(t *testing.T) {
	e, c := client(t)
	seed, err := awsemu.ParseSeed([]byte(`
ec2:
  vpcs: [{id: vpc-1, cidrBlock: 10.1.0.0/16}]
  subnets:
    - {id: subnet-private, vpcId: vpc-1, cidrBlock: 10.1.1.0/24}
    - {id: subnet-public, vpcId: vpc-1, cidrBlock: 10.1.0.0/24}
  securityGroups:
    - {id: sg-web, vpcId: vpc-1, name: web, egress: [{protocol: tcp, fromPort: 80, toPort: 80, cidr: 0.0.0.0/0}]}
  internetGateways: [{id: igw-1, vpcId: vpc-1}]
  natGateways: [{id: nat-1, subnetId: subnet-public}]
  routeTables:
    - {id: rtb-public, vpcId: vpc-1, subnets: [subnet-public], routes: [{destination: 0.0.0.0/0, gatewayId: igw-1}]}
    - {id: rtb-private, vpcId: vpc-1, subnets: [subnet-private], routes: [{destination: 0.0.0.0/0, natGatewayId: nat-1}]}
  vpcEndpoints: [{id: vpce-logs, vpcId: vpc-1, service: logs, subnets: [subnet-private]}]
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ApplySeed(seed); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	eps := must(c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{"vpce-logs"}})).VpcEndpoints
	if len(eps) != 1 || eps[0].VpcEndpointType != ec2types.VpcEndpointTypeInterface || !aws.ToBool(eps[0].PrivateDnsEnabled) || aws.ToString(eps[0].ServiceName) != "com.amazonaws.us-east-1.logs" {
		t.Fatalf("seeded endpoint: %+v", eps)
	}
	if ok, _ := e.EC2().Reach(emuec2.ENI{Subnet: "subnet-private", SecurityGroups: []string{"sg-web"}}, "ecr.api"); ok {
		t.Fatal("egress 80 only reaches ECR")
	}
	if ok, _ := e.EC2().Reach(emuec2.ENI{Subnet: "subnet-private"}, "ecr.api"); !ok {
		t.Fatal("the VPC's default group (no groups given) does not reach ECR through the NAT")
	}

	_, err = awsemu.ParseSeed([]byte("ec2:\n  subnets: [{id: s, vpcid: vpc-1}]\n"))
	if err == nil || !strings.Contains(err.Error(), "vpcid") {
		t.Fatalf("unknown seed field: %v", err)
	}
	bad, _ := awsemu.ParseSeed([]byte("ec2:\n  subnets: [{id: subnet-x, vpcId: vpc-none, cidrBlock: 10.0.0.0/24}]\n"))
	if err := e.ApplySeed(bad); err == nil || !strings.Contains(err.Error(), "ec2.subnets[0]") || !strings.Contains(err.Error(), "vpc-none") {
		t.Fatalf("seed with unknown vpc: %v", err)
	}
}

// Ids are unique: cut to EC2's 17 hex digits, they keep the whole sequence
// number (an earlier cut dropped its last digit, and two route tables could
// share an id about once in 250 runs).
func TestIDsAreUnique(t *testing.T) {
	_, c := client(t)
	ctx := context.Background()
	seen := map[string]bool{}
	for i := 0; i < 300; i++ {
		id := aws.ToString(must(c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})).Vpc.VpcId)
		if seen[id] || len(id) != len("vpc-")+17 {
			t.Fatalf("vpc id %q repeated or not 17 hex digits", id)
		}
		seen[id] = true
	}
}
