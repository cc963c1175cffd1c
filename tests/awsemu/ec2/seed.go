package ec2

import (
	"fmt"
)

// Seed is the ec2 section of a seed file. Resources refer to each other by
// id; an id left out is generated (and then cannot be referred to). Each
// list is applied in the order of the fields, so a route can name a NAT
// gateway seeded in the same file.
type Seed struct {
	Vpcs             []VpcSeed             `json:"vpcs,omitempty" yaml:"vpcs,omitempty"`
	Subnets          []SubnetSeed          `json:"subnets,omitempty" yaml:"subnets,omitempty"`
	SecurityGroups   []SecurityGroupSeed   `json:"securityGroups,omitempty" yaml:"securityGroups,omitempty"`
	InternetGateways []InternetGatewaySeed `json:"internetGateways,omitempty" yaml:"internetGateways,omitempty"`
	NatGateways      []NatGatewaySeed      `json:"natGateways,omitempty" yaml:"natGateways,omitempty"`
	RouteTables      []RouteTableSeed      `json:"routeTables,omitempty" yaml:"routeTables,omitempty"`
	VpcEndpoints     []VpcEndpointSeed     `json:"vpcEndpoints,omitempty" yaml:"vpcEndpoints,omitempty"`
	NetworkAcls      []NetworkACLSeed      `json:"networkAcls,omitempty" yaml:"networkAcls,omitempty"`
}

// VpcSeed is a VPC; it comes with its main route table, default security
// group and default network ACL, as CreateVpc makes them.
type VpcSeed struct {
	ID        string `json:"id,omitempty" yaml:"id,omitempty"`
	CidrBlock string `json:"cidrBlock" yaml:"cidrBlock"`
}

// SubnetSeed is a subnet of a VPC.
type SubnetSeed struct {
	ID                  string `json:"id,omitempty" yaml:"id,omitempty"`
	VpcID               string `json:"vpcId" yaml:"vpcId"`
	CidrBlock           string `json:"cidrBlock" yaml:"cidrBlock"`
	AvailabilityZone    string `json:"availabilityZone,omitempty" yaml:"availabilityZone,omitempty"`
	MapPublicIPOnLaunch bool   `json:"mapPublicIpOnLaunch,omitempty" yaml:"mapPublicIpOnLaunch,omitempty"`
}

// RuleSeed is one security group rule; a peer is a CIDR, a group or a
// prefix list. Protocol "-1" (or "all") is all traffic, without ports.
type RuleSeed struct {
	Protocol     string `json:"protocol" yaml:"protocol"`
	FromPort     *int   `json:"fromPort,omitempty" yaml:"fromPort,omitempty"`
	ToPort       *int   `json:"toPort,omitempty" yaml:"toPort,omitempty"`
	Cidr         string `json:"cidr,omitempty" yaml:"cidr,omitempty"`
	GroupID      string `json:"groupId,omitempty" yaml:"groupId,omitempty"`
	PrefixListID string `json:"prefixListId,omitempty" yaml:"prefixListId,omitempty"`
}

// SecurityGroupSeed is a security group. Egress left out allows all
// traffic, as CreateSecurityGroup does; an empty list allows none.
type SecurityGroupSeed struct {
	ID          string      `json:"id,omitempty" yaml:"id,omitempty"`
	VpcID       string      `json:"vpcId" yaml:"vpcId"`
	Name        string      `json:"name" yaml:"name"`
	Description string      `json:"description,omitempty" yaml:"description,omitempty"`
	Ingress     []RuleSeed  `json:"ingress,omitempty" yaml:"ingress,omitempty"`
	Egress      *[]RuleSeed `json:"egress,omitempty" yaml:"egress,omitempty"`
}

// InternetGatewaySeed is an internet gateway, attached to VpcID when set.
type InternetGatewaySeed struct {
	ID    string `json:"id,omitempty" yaml:"id,omitempty"`
	VpcID string `json:"vpcId,omitempty" yaml:"vpcId,omitempty"`
}

// NatGatewaySeed is an available NAT gateway in a subnet.
type NatGatewaySeed struct {
	ID               string `json:"id,omitempty" yaml:"id,omitempty"`
	SubnetID         string `json:"subnetId" yaml:"subnetId"`
	ConnectivityType string `json:"connectivityType,omitempty" yaml:"connectivityType,omitempty"`
}

// RouteSeed is a route; one target.
type RouteSeed struct {
	Destination  string `json:"destination" yaml:"destination"`
	GatewayID    string `json:"gatewayId,omitempty" yaml:"gatewayId,omitempty"`
	NatGatewayID string `json:"natGatewayId,omitempty" yaml:"natGatewayId,omitempty"`
}

// RouteTableSeed is a route table; Main makes it the VPC's main table in
// place of the one the VPC came with.
type RouteTableSeed struct {
	ID      string      `json:"id,omitempty" yaml:"id,omitempty"`
	VpcID   string      `json:"vpcId" yaml:"vpcId"`
	Main    bool        `json:"main,omitempty" yaml:"main,omitempty"`
	Subnets []string    `json:"subnets,omitempty" yaml:"subnets,omitempty"`
	Routes  []RouteSeed `json:"routes,omitempty" yaml:"routes,omitempty"`
}

// VpcEndpointSeed is an available VPC endpoint. Service is the full name or
// the short one ("ecr.api"); Type is Interface or Gateway (default: Gateway
// for s3 and dynamodb, Interface otherwise).
type VpcEndpointSeed struct {
	ID             string   `json:"id,omitempty" yaml:"id,omitempty"`
	VpcID          string   `json:"vpcId" yaml:"vpcId"`
	Service        string   `json:"service" yaml:"service"`
	Type           string   `json:"type,omitempty" yaml:"type,omitempty"`
	Subnets        []string `json:"subnets,omitempty" yaml:"subnets,omitempty"`
	SecurityGroups []string `json:"securityGroups,omitempty" yaml:"securityGroups,omitempty"`
	RouteTables    []string `json:"routeTables,omitempty" yaml:"routeTables,omitempty"`
	PrivateDNS     *bool    `json:"privateDns,omitempty" yaml:"privateDns,omitempty"`
}

// ACLEntrySeed is one network ACL entry. Protocol: "-1"/"all", "tcp", "udp"
// or a number; ports only for tcp and udp.
type ACLEntrySeed struct {
	RuleNumber int    `json:"ruleNumber" yaml:"ruleNumber"`
	Protocol   string `json:"protocol" yaml:"protocol"`
	Action     string `json:"action" yaml:"action"`
	Cidr       string `json:"cidr" yaml:"cidr"`
	FromPort   *int   `json:"fromPort,omitempty" yaml:"fromPort,omitempty"`
	ToPort     *int   `json:"toPort,omitempty" yaml:"toPort,omitempty"`
}

// NetworkACLSeed is a network ACL for some subnets (which leave the VPC's
// default ACL); without entries it denies everything, as a new ACL does.
type NetworkACLSeed struct {
	ID      string         `json:"id,omitempty" yaml:"id,omitempty"`
	VpcID   string         `json:"vpcId" yaml:"vpcId"`
	Subnets []string       `json:"subnets,omitempty" yaml:"subnets,omitempty"`
	Ingress []ACLEntrySeed `json:"ingress,omitempty" yaml:"ingress,omitempty"`
	Egress  []ACLEntrySeed `json:"egress,omitempty" yaml:"egress,omitempty"`
}

func (r RuleSeed) permission() permission {
	p := permission{IPProtocol: r.Protocol, FromPort: r.FromPort, ToPort: r.ToPort}
	if r.Cidr != "" {
		p.IPRanges = []ipRange{{CidrIP: r.Cidr}}
	}
	if r.GroupID != "" {
		p.Groups = []groupPair{{GroupID: r.GroupID}}
	}
	if r.PrefixListID != "" {
		p.PrefixListIDs = []prefixListID{{PrefixListID: r.PrefixListID}}
	}
	return p
}

func permissions(rules []RuleSeed) []permission {
	var out []permission
	for _, r := range rules {
		out = append(out, r.permission())
	}
	return out
}

// ApplySeed creates what seed lists; errors name the entry.
func (s *Service) ApplySeed(seed *Seed) error {
	if seed == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, v := range seed.Vpcs {
		if _, err := s.createVpc(v.ID, v.CidrBlock); err != nil {
			return fmt.Errorf("ec2.vpcs[%d]: %w", i, err)
		}
	}
	for i, v := range seed.Subnets {
		if _, err := s.createSubnet(v.ID, v.VpcID, v.CidrBlock, v.AvailabilityZone, v.MapPublicIPOnLaunch); err != nil {
			return fmt.Errorf("ec2.subnets[%d]: %w", i, err)
		}
	}
	for i, v := range seed.SecurityGroups {
		g, err := s.createSecurityGroup(v.ID, v.VpcID, v.Name, v.Description)
		if err != nil {
			return fmt.Errorf("ec2.securityGroups[%d]: %w", i, err)
		}
		if v.Egress != nil {
			g.Egress = nil
			if err := s.authorize(g.GroupID, true, permissions(*v.Egress)); err != nil {
				return fmt.Errorf("ec2.securityGroups[%d].egress: %w", i, err)
			}
		}
		if err := s.authorize(g.GroupID, false, permissions(v.Ingress)); err != nil {
			return fmt.Errorf("ec2.securityGroups[%d].ingress: %w", i, err)
		}
	}
	for i, v := range seed.InternetGateways {
		g := s.createInternetGateway(v.ID)
		if v.VpcID != "" {
			if err := s.attachInternetGateway(g.InternetGatewayID, v.VpcID); err != nil {
				return fmt.Errorf("ec2.internetGateways[%d]: %w", i, err)
			}
		}
	}
	for i, v := range seed.NatGateways {
		if _, err := s.createNatGateway(v.ID, v.SubnetID, v.ConnectivityType); err != nil {
			return fmt.Errorf("ec2.natGateways[%d]: %w", i, err)
		}
	}
	for i, v := range seed.RouteTables {
		if err := s.seedRouteTable(v); err != nil {
			return fmt.Errorf("ec2.routeTables[%d]: %w", i, err)
		}
	}
	for i, v := range seed.VpcEndpoints {
		kind := v.Type
		if kind == "" {
			kind = "Interface"
			if v.Service == "s3" || v.Service == "dynamodb" || v.Service == ServiceName(s.region, "s3") || v.Service == ServiceName(s.region, "dynamodb") {
				kind = "Gateway"
			}
		}
		spec := endpointSpec{id: v.ID, vpcID: v.VpcID, service: v.Service, kind: kind, subnets: v.Subnets, groups: v.SecurityGroups, tables: v.RouteTables, privateDNS: v.PrivateDNS}
		if _, err := s.createVpcEndpoint(spec); err != nil {
			return fmt.Errorf("ec2.vpcEndpoints[%d]: %w", i, err)
		}
	}
	for i, v := range seed.NetworkAcls {
		acl, err := s.createNetworkACL(v.ID, v.VpcID, v.Subnets)
		if err != nil {
			return fmt.Errorf("ec2.networkAcls[%d]: %w", i, err)
		}
		for egress, entries := range map[bool][]ACLEntrySeed{false: v.Ingress, true: v.Egress} {
			for j, e := range entries {
				entry := aclEntry{RuleNumber: e.RuleNumber, Protocol: e.Protocol, RuleAction: e.Action, Egress: egress, CidrBlock: e.Cidr}
				if e.FromPort != nil && e.ToPort != nil {
					entry.PortRange = &portRange{From: *e.FromPort, To: *e.ToPort}
				}
				if err := s.createNetworkACLEntry(acl.NetworkACLID, entry); err != nil {
					return fmt.Errorf("ec2.networkAcls[%d] entry %d: %w", i, j, err)
				}
			}
		}
	}
	return nil
}

func (s *Service) seedRouteTable(v RouteTableSeed) error {
	t, err := s.createRouteTable(v.ID, v.VpcID)
	if err != nil {
		return err
	}
	if v.Main {
		for _, other := range s.tables {
			if other.VpcID != v.VpcID || other == t {
				continue
			}
			kept := other.Associations[:0:0]
			for _, a := range other.Associations {
				if !a.Main {
					kept = append(kept, a)
				}
			}
			other.Associations = kept
		}
		t.Associations = append(t.Associations, routeTableAssociation{Main: true, RouteTableAssociationID: s.newID("rtbassoc"), RouteTableID: t.RouteTableID, AssociationState: associationState{"associated"}})
	}
	for _, sn := range v.Subnets {
		if _, err := s.associateRouteTable(t.RouteTableID, sn); err != nil {
			return err
		}
	}
	for j, r := range v.Routes {
		if err := s.createRoute(t.RouteTableID, route{DestinationCidrBlock: r.Destination, GatewayID: r.GatewayID, NatGatewayID: r.NatGatewayID}); err != nil {
			return fmt.Errorf("routes[%d]: %w", j, err)
		}
	}
	return nil
}
