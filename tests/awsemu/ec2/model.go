// Package ec2 emulates the part of Amazon EC2 an ECS task's networking
// depends on: VPCs, subnets, security groups, internet and NAT gateways,
// route tables, VPC endpoints and network ACLs. It speaks EC2's flavour of
// the query protocol (registered through core.Server.AddEC2Service), so the
// AWS CLI, boto3 or Terraform can build a VPC against it, and it answers
// the question ECS asks when it starts a Fargate task: can the task's
// network interface reach an AWS endpoint (Reach).
package ec2

import (
	"sync"

	"github.com/doppio-ecs/doppio/tests/awsemu/core"
)

// The state is kept in its wire form: each type is what Describe* returns
// for it, so the XML tags are EC2's member names.

type vpc struct {
	VpcID     string `xml:"vpcId"`
	State     string `xml:"state"`
	CidrBlock string `xml:"cidrBlock"`
	IsDefault bool   `xml:"isDefault"`
	OwnerID   string `xml:"ownerId"`
}

type subnet struct {
	SubnetID                string `xml:"subnetId"`
	SubnetArn               string `xml:"subnetArn"`
	VpcID                   string `xml:"vpcId"`
	CidrBlock               string `xml:"cidrBlock"`
	AvailabilityZone        string `xml:"availabilityZone"`
	State                   string `xml:"state"`
	MapPublicIPOnLaunch     bool   `xml:"mapPublicIpOnLaunch"`
	AvailableIPAddressCount int    `xml:"availableIpAddressCount"`
	DefaultForAz            bool   `xml:"defaultForAz"`
	OwnerID                 string `xml:"ownerId"`
}

type groupPair struct {
	GroupID string `xml:"groupId"`
	UserID  string `xml:"userId,omitempty"`
}

type ipRange struct {
	CidrIP string `xml:"cidrIp"`
}

type prefixListID struct {
	PrefixListID string `xml:"prefixListId"`
}

// permission is one security group rule set (IpPermission).
type permission struct {
	IPProtocol    string         `xml:"ipProtocol"`
	FromPort      *int           `xml:"fromPort,omitempty"`
	ToPort        *int           `xml:"toPort,omitempty"`
	Groups        []groupPair    `xml:"groups>item"`
	IPRanges      []ipRange      `xml:"ipRanges>item"`
	PrefixListIDs []prefixListID `xml:"prefixListIds>item"`
}

type securityGroup struct {
	OwnerID     string       `xml:"ownerId"`
	GroupID     string       `xml:"groupId"`
	GroupName   string       `xml:"groupName"`
	Description string       `xml:"groupDescription"`
	VpcID       string       `xml:"vpcId"`
	Ingress     []permission `xml:"ipPermissions>item"`
	Egress      []permission `xml:"ipPermissionsEgress>item"`
}

type attachment struct {
	VpcID string `xml:"vpcId"`
	State string `xml:"state"`
}

type internetGateway struct {
	InternetGatewayID string       `xml:"internetGatewayId"`
	OwnerID           string       `xml:"ownerId"`
	Attachments       []attachment `xml:"attachmentSet>item"`
}

type natGateway struct {
	NatGatewayID     string `xml:"natGatewayId"`
	SubnetID         string `xml:"subnetId"`
	VpcID            string `xml:"vpcId"`
	State            string `xml:"state"`
	ConnectivityType string `xml:"connectivityType"`
	CreateTime       string `xml:"createTime"`
}

type route struct {
	DestinationCidrBlock    string `xml:"destinationCidrBlock,omitempty"`
	DestinationPrefixListID string `xml:"destinationPrefixListId,omitempty"`
	GatewayID               string `xml:"gatewayId,omitempty"`
	NatGatewayID            string `xml:"natGatewayId,omitempty"`
	State                   string `xml:"state"`
	Origin                  string `xml:"origin"`
}

type associationState struct {
	State string `xml:"state"`
}

type routeTableAssociation struct {
	Main                    bool             `xml:"main"`
	RouteTableAssociationID string           `xml:"routeTableAssociationId"`
	RouteTableID            string           `xml:"routeTableId"`
	SubnetID                string           `xml:"subnetId,omitempty"`
	AssociationState        associationState `xml:"associationState"`
}

type routeTable struct {
	RouteTableID string                  `xml:"routeTableId"`
	VpcID        string                  `xml:"vpcId"`
	OwnerID      string                  `xml:"ownerId"`
	Routes       []route                 `xml:"routeSet>item"`
	Associations []routeTableAssociation `xml:"associationSet>item"`
}

type endpointGroup struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type vpcEndpoint struct {
	VpcEndpointID     string          `xml:"vpcEndpointId"`
	VpcEndpointType   string          `xml:"vpcEndpointType"`
	VpcID             string          `xml:"vpcId"`
	ServiceName       string          `xml:"serviceName"`
	State             string          `xml:"state"`
	RouteTableIDs     []string        `xml:"routeTableIdSet>item"`
	SubnetIDs         []string        `xml:"subnetIdSet>item"`
	Groups            []endpointGroup `xml:"groupSet>item"`
	PrivateDNSEnabled bool            `xml:"privateDnsEnabled"`
	OwnerID           string          `xml:"ownerId"`
}

type portRange struct {
	From int `xml:"from"`
	To   int `xml:"to"`
}

type aclEntry struct {
	RuleNumber int        `xml:"ruleNumber"`
	Protocol   string     `xml:"protocol"`
	RuleAction string     `xml:"ruleAction"`
	Egress     bool       `xml:"egress"`
	CidrBlock  string     `xml:"cidrBlock"`
	PortRange  *portRange `xml:"portRange,omitempty"`
}

type aclAssociation struct {
	NetworkACLAssociationID string `xml:"networkAclAssociationId"`
	NetworkACLID            string `xml:"networkAclId"`
	SubnetID                string `xml:"subnetId"`
}

type networkACL struct {
	NetworkACLID string           `xml:"networkAclId"`
	VpcID        string           `xml:"vpcId"`
	IsDefault    bool             `xml:"default"`
	Entries      []aclEntry       `xml:"entrySet>item"`
	Associations []aclAssociation `xml:"associationSet>item"`
	OwnerID      string           `xml:"ownerId"`
}

// Service is the emulated EC2 of one region and account.
type Service struct {
	srv             *core.Server
	region, account string

	mu        sync.Mutex
	vpcs      map[string]*vpc
	subnets   map[string]*subnet
	groups    map[string]*securityGroup
	igws      map[string]*internetGateway
	nats      map[string]*natGateway
	tables    map[string]*routeTable
	endpoints map[string]*vpcEndpoint
	acls      map[string]*networkACL
}

// XMLNS is the namespace of EC2's answers.
const XMLNS = "http://ec2.amazonaws.com/doc/2016-11-15/"

// New makes an empty EC2 and registers its operations on srv.
func New(srv *core.Server, region, account string) *Service {
	s := &Service{srv: srv, region: region, account: account,
		vpcs: map[string]*vpc{}, subnets: map[string]*subnet{}, groups: map[string]*securityGroup{},
		igws: map[string]*internetGateway{}, nats: map[string]*natGateway{}, tables: map[string]*routeTable{},
		endpoints: map[string]*vpcEndpoint{}, acls: map[string]*networkACL{}}
	srv.AddEC2Service("ec2", "EC2", XMLNS, "2016-11-15", s.operations())
	return s
}

// newID is an EC2 resource id: prefix, dash, 17 hex digits.
func (s *Service) newID(prefix string) string {
	// 17 hex digits, as EC2's; the last ones, where NewID keeps its sequence
	// number, so that two ids never collide.
	return prefix + "-" + s.srv.NewID(9)[1:]
}
