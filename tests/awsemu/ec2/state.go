package ec2

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/doppio-ecs/doppio/tests/awsemu/core"
)

// Every change goes through these functions, called with s.mu held, by the
// API handlers and by the seed alike. An id argument of "" generates one.

func notFound(code, format string, args ...any) *core.APIError {
	return core.APIErr(code, format, args...)
}

func parseCIDR(cidr string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(strings.TrimSpace(cidr))
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, core.APIErr("InvalidParameterValue", "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", cidr)
	}
	return p.Masked(), nil
}

// find looks an id up in one of the resource maps; EC2 answers an unknown
// id with a per-resource NotFound code.
func find[T any](m map[string]*T, id, code, noun string) (*T, error) {
	if v := m[id]; v != nil {
		return v, nil
	}
	return nil, notFound(code, "The %s '%s' does not exist", noun, id)
}

func (s *Service) vpcLocked(id string) (*vpc, error) {
	return find(s.vpcs, id, "InvalidVpcID.NotFound", "vpc ID")
}

func (s *Service) subnetLocked(id string) (*subnet, error) {
	return find(s.subnets, id, "InvalidSubnetID.NotFound", "subnet ID")
}

func (s *Service) groupLocked(id string) (*securityGroup, error) {
	return find(s.groups, id, "InvalidGroup.NotFound", "security group")
}

func (s *Service) tableLocked(id string) (*routeTable, error) {
	return find(s.tables, id, "InvalidRouteTableID.NotFound", "routeTable ID")
}

func orID(id, generated string) string {
	if id != "" {
		return id
	}
	return generated
}

func allTraffic() []permission {
	return []permission{{IPProtocol: "-1", IPRanges: []ipRange{{CidrIP: "0.0.0.0/0"}}}}
}

// createVpc makes a VPC with what AWS creates along with it: the main route
// table (local route only), the default security group and the default
// network ACL (both allowing all outbound traffic).
func (s *Service) createVpc(id, cidr string) (*vpc, error) {
	p, err := parseCIDR(cidr)
	if err != nil {
		return nil, err
	}
	id = orID(id, s.newID("vpc"))
	if s.vpcs[id] != nil {
		return nil, core.APIErr("InvalidVpcID.Duplicate", "The vpc ID '%s' already exists", id)
	}
	v := &vpc{VpcID: id, State: "available", CidrBlock: p.String(), OwnerID: s.account}
	s.vpcs[id] = v
	main := s.newRouteTable(id, "")
	main.Associations = []routeTableAssociation{{Main: true, RouteTableAssociationID: s.newID("rtbassoc"), RouteTableID: main.RouteTableID, AssociationState: associationState{"associated"}}}
	sg := &securityGroup{OwnerID: s.account, GroupID: s.newID("sg"), GroupName: "default", Description: "default VPC security group", VpcID: id, Egress: allTraffic()}
	sg.Ingress = []permission{{IPProtocol: "-1", Groups: []groupPair{{GroupID: sg.GroupID, UserID: s.account}}}}
	s.groups[sg.GroupID] = sg
	acl := &networkACL{NetworkACLID: s.newID("acl"), VpcID: id, IsDefault: true, OwnerID: s.account, Entries: []aclEntry{
		{RuleNumber: 100, Protocol: "-1", RuleAction: "allow", Egress: true, CidrBlock: "0.0.0.0/0"},
		{RuleNumber: 32767, Protocol: "-1", RuleAction: "deny", Egress: true, CidrBlock: "0.0.0.0/0"},
		{RuleNumber: 100, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0"},
		{RuleNumber: 32767, Protocol: "-1", RuleAction: "deny", CidrBlock: "0.0.0.0/0"},
	}}
	s.acls[acl.NetworkACLID] = acl
	return v, nil
}

func (s *Service) newRouteTable(vpcID, id string) *routeTable {
	t := &routeTable{RouteTableID: orID(id, s.newID("rtb")), VpcID: vpcID, OwnerID: s.account,
		Routes: []route{{DestinationCidrBlock: s.vpcs[vpcID].CidrBlock, GatewayID: "local", State: "active", Origin: "CreateRouteTable"}}}
	s.tables[t.RouteTableID] = t
	return t
}

func (s *Service) createSubnet(id, vpcID, cidr, az string, mapPublicIP bool) (*subnet, error) {
	v, err := s.vpcLocked(vpcID)
	if err != nil {
		return nil, err
	}
	p, err := parseCIDR(cidr)
	if err != nil {
		return nil, err
	}
	if vp, _ := netip.ParsePrefix(v.CidrBlock); !vp.Contains(p.Addr()) || p.Bits() < vp.Bits() {
		return nil, core.APIErr("InvalidSubnet.Range", "The CIDR '%s' is invalid.", cidr)
	}
	if az == "" {
		az = s.region + "a"
	}
	id = orID(id, s.newID("subnet"))
	if s.subnets[id] != nil {
		return nil, core.APIErr("InvalidSubnet.Duplicate", "The subnet ID '%s' already exists", id)
	}
	sn := &subnet{SubnetID: id, SubnetArn: fmt.Sprintf("arn:aws:ec2:%s:%s:subnet/%s", s.region, s.account, id), VpcID: vpcID,
		CidrBlock: p.String(), AvailabilityZone: az, State: "available", MapPublicIPOnLaunch: mapPublicIP,
		AvailableIPAddressCount: 1<<(32-p.Bits()) - 5, OwnerID: s.account}
	s.subnets[id] = sn
	for _, acl := range s.acls {
		if acl.VpcID == vpcID && acl.IsDefault {
			acl.Associations = append(acl.Associations, aclAssociation{NetworkACLAssociationID: s.newID("aclassoc"), NetworkACLID: acl.NetworkACLID, SubnetID: id})
		}
	}
	return sn, nil
}

func (s *Service) createSecurityGroup(id, vpcID, name, description string) (*securityGroup, error) {
	if _, err := s.vpcLocked(vpcID); err != nil {
		return nil, err
	}
	if name == "" {
		return nil, core.APIErr("MissingParameter", "The request must contain the parameter groupName")
	}
	for _, g := range s.groups {
		if g.VpcID == vpcID && g.GroupName == name {
			return nil, core.APIErr("InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, vpcID)
		}
	}
	g := &securityGroup{OwnerID: s.account, GroupID: orID(id, s.newID("sg")), GroupName: name, Description: description, VpcID: vpcID, Egress: allTraffic()}
	s.groups[g.GroupID] = g
	return g, nil
}

// samePermission compares two single-peer rules.
func samePermission(a, b permission) bool {
	port := func(p *int) int {
		if p == nil {
			return -2
		}
		return *p
	}
	return a.IPProtocol == b.IPProtocol && port(a.FromPort) == port(b.FromPort) && port(a.ToPort) == port(b.ToPort) && peerOf(a) == peerOf(b)
}

// rulesLocked is a group's egress or ingress rule list.
func (s *Service) rulesLocked(groupID string, egress bool) (*[]permission, error) {
	g, err := s.groupLocked(groupID)
	if err != nil {
		return nil, err
	}
	if egress {
		return &g.Egress, nil
	}
	return &g.Ingress, nil
}

// authorize adds rules (egress or ingress); AWS rejects a rule that exists.
func (s *Service) authorize(groupID string, egress bool, perms []permission) error {
	list, err := s.rulesLocked(groupID, egress)
	if err != nil {
		return err
	}
	var add []permission
	for _, p := range perms {
		for _, one := range splitPermission(p) {
			for _, q := range *list {
				if samePermission(one, q) {
					return core.APIErr("InvalidPermission.Duplicate", "the specified rule \"peer: %s, %s, ALLOW\" already exists", peerOf(one), one.IPProtocol)
				}
			}
			add = append(add, one)
		}
	}
	*list = append(*list, add...)
	return nil
}

// revoke removes rules; each must exist.
func (s *Service) revoke(groupID string, egress bool, perms []permission) error {
	list, err := s.rulesLocked(groupID, egress)
	if err != nil {
		return err
	}
	for _, p := range perms {
		for _, one := range splitPermission(p) {
			kept, found := (*list)[:0:0], false
			for _, q := range *list {
				if !found && samePermission(one, q) {
					found = true
					continue
				}
				kept = append(kept, q)
			}
			if !found {
				return core.APIErr("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
			}
			*list = kept
		}
	}
	return nil
}

// splitPermission keeps one peer per stored rule, so a rule can be revoked
// peer by peer, as EC2 allows.
func splitPermission(p permission) []permission {
	base := permission{IPProtocol: p.IPProtocol, FromPort: p.FromPort, ToPort: p.ToPort}
	if base.IPProtocol == "all" {
		base.IPProtocol = "-1"
	}
	if base.IPProtocol == "-1" {
		base.FromPort, base.ToPort = nil, nil
	}
	var out []permission
	for _, r := range p.IPRanges {
		q := base
		q.IPRanges = []ipRange{r}
		out = append(out, q)
	}
	for _, g := range p.Groups {
		q := base
		q.Groups = []groupPair{g}
		out = append(out, q)
	}
	for _, pl := range p.PrefixListIDs {
		q := base
		q.PrefixListIDs = []prefixListID{pl}
		out = append(out, q)
	}
	if len(out) == 0 {
		out = []permission{base}
	}
	return out
}

func peerOf(p permission) string {
	switch {
	case len(p.IPRanges) > 0:
		return p.IPRanges[0].CidrIP
	case len(p.Groups) > 0:
		return p.Groups[0].GroupID
	case len(p.PrefixListIDs) > 0:
		return p.PrefixListIDs[0].PrefixListID
	}
	return ""
}

func (s *Service) createInternetGateway(id string) *internetGateway {
	g := &internetGateway{InternetGatewayID: orID(id, s.newID("igw")), OwnerID: s.account}
	s.igws[g.InternetGatewayID] = g
	return g
}

func (s *Service) attachInternetGateway(igwID, vpcID string) error {
	g := s.igws[igwID]
	if g == nil {
		return notFound("InvalidInternetGatewayID.NotFound", "The internetGateway ID '%s' does not exist", igwID)
	}
	if _, err := s.vpcLocked(vpcID); err != nil {
		return err
	}
	if len(g.Attachments) > 0 {
		return core.APIErr("Resource.AlreadyAssociated", "resource %s is already attached to network %s", igwID, g.Attachments[0].VpcID)
	}
	for _, other := range s.igws {
		for _, a := range other.Attachments {
			if a.VpcID == vpcID {
				return core.APIErr("Resource.AlreadyAssociated", "network %s already has an internet gateway attached", vpcID)
			}
		}
	}
	g.Attachments = []attachment{{VpcID: vpcID, State: "available"}}
	return nil
}

// createNatGateway makes a NAT gateway that is available at once (AWS takes
// a minute or two in "pending"; nothing here depends on that wait).
func (s *Service) createNatGateway(id, subnetID, connectivity string) (*natGateway, error) {
	sn, err := s.subnetLocked(subnetID)
	if err != nil {
		return nil, err
	}
	if connectivity == "" {
		connectivity = "public"
	}
	n := &natGateway{NatGatewayID: orID(id, s.newID("nat")), SubnetID: subnetID, VpcID: sn.VpcID, State: "available",
		ConnectivityType: connectivity, CreateTime: s.srv.Now().Format("2006-01-02T15:04:05.000Z")}
	s.nats[n.NatGatewayID] = n
	return n, nil
}

func (s *Service) createRouteTable(id, vpcID string) (*routeTable, error) {
	if _, err := s.vpcLocked(vpcID); err != nil {
		return nil, err
	}
	return s.newRouteTable(vpcID, id), nil
}

// createRoute adds a route. Its state is "blackhole" when its target is
// gone or unusable (an internet gateway not attached to the VPC), as EC2
// reports it.
func (s *Service) createRoute(tableID string, r route) error {
	t, err := s.tableLocked(tableID)
	if err != nil {
		return err
	}
	if r.DestinationCidrBlock == "" && r.DestinationPrefixListID == "" {
		return core.APIErr("MissingParameter", "The request must contain the parameter destinationCidrBlock or destinationPrefixListId")
	}
	if r.DestinationCidrBlock != "" {
		p, err := parseCIDR(r.DestinationCidrBlock)
		if err != nil {
			return err
		}
		r.DestinationCidrBlock = p.String()
	}
	for _, q := range t.Routes {
		if q.DestinationCidrBlock == r.DestinationCidrBlock && q.DestinationPrefixListID == r.DestinationPrefixListID {
			return core.APIErr("RouteAlreadyExists", "The route identified by %s already exists.", r.DestinationCidrBlock+r.DestinationPrefixListID)
		}
	}
	r.State, r.Origin = "active", "CreateRoute"
	switch {
	case strings.HasPrefix(r.GatewayID, "igw-"):
		g := s.igws[r.GatewayID]
		if g == nil {
			return notFound("InvalidGatewayID.NotFound", "The gateway ID '%s' does not exist", r.GatewayID)
		}
		if len(g.Attachments) == 0 || g.Attachments[0].VpcID != t.VpcID {
			return core.APIErr("InvalidParameterValue", "route table %s and network gateway %s belong to different networks", tableID, r.GatewayID)
		}
	case r.NatGatewayID != "":
		if s.nats[r.NatGatewayID] == nil {
			return notFound("InvalidNatGatewayID.NotFound", "The natGateway ID '%s' does not exist", r.NatGatewayID)
		}
	case r.GatewayID == "":
		return core.APIErr("InvalidParameterCombination", "No route target specified")
	}
	t.Routes = append(t.Routes, r)
	return nil
}

// associateRouteTable makes tableID the route table of subnetID, replacing
// an explicit association it had.
func (s *Service) associateRouteTable(tableID, subnetID string) (string, error) {
	t, err := s.tableLocked(tableID)
	if err != nil {
		return "", err
	}
	sn, err := s.subnetLocked(subnetID)
	if err != nil {
		return "", err
	}
	if sn.VpcID != t.VpcID {
		return "", core.APIErr("InvalidParameterValue", "Route table %s and subnet %s belong to different networks", tableID, subnetID)
	}
	for _, other := range s.tables {
		for _, a := range other.Associations {
			if a.SubnetID == subnetID {
				return "", core.APIErr("Resource.AlreadyAssociated", "the specified association for route table %s conflicts with an existing association", tableID)
			}
		}
	}
	id := s.newID("rtbassoc")
	t.Associations = append(t.Associations, routeTableAssociation{RouteTableAssociationID: id, RouteTableID: tableID, SubnetID: subnetID, AssociationState: associationState{"associated"}})
	return id, nil
}

// ServiceName is the VPC endpoint service name of an AWS service in region:
// a short name ("ecr.api") gains the com.amazonaws.REGION. prefix.
func ServiceName(region, name string) string {
	if strings.HasPrefix(name, "com.amazonaws.") {
		return name
	}
	return "com.amazonaws." + region + "." + name
}

// prefixListOf is the managed prefix list a gateway endpoint's routes point
// at, one per service.
func prefixListOf(serviceName string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(serviceName); i++ {
		h = (h ^ uint32(serviceName[i])) * 16777619
	}
	return fmt.Sprintf("pl-%08x", h)
}

type endpointSpec struct {
	id, vpcID, service, kind string
	subnets, groups, tables  []string
	privateDNS               *bool
}

// createVpcEndpoint makes an endpoint that is available at once. A gateway
// endpoint adds its prefix-list route to each of its route tables; an
// interface endpoint of an AWS service has private DNS unless told not to.
func (s *Service) createVpcEndpoint(in endpointSpec) (*vpcEndpoint, error) {
	if _, err := s.vpcLocked(in.vpcID); err != nil {
		return nil, err
	}
	if in.service == "" {
		return nil, core.APIErr("MissingParameter", "The request must contain the parameter ServiceName")
	}
	kind := in.kind
	if kind == "" {
		kind = "Gateway"
	}
	if kind != "Gateway" && kind != "Interface" {
		return nil, core.APIErr("InvalidParameter", "Endpoint type (%s) is not supported by awsemu", kind)
	}
	ep := &vpcEndpoint{VpcEndpointID: orID(in.id, s.newID("vpce")), VpcEndpointType: kind, VpcID: in.vpcID,
		ServiceName: ServiceName(s.region, in.service), State: "available", OwnerID: s.account}
	for _, id := range in.subnets {
		if _, err := s.subnetLocked(id); err != nil {
			return nil, err
		}
		ep.SubnetIDs = append(ep.SubnetIDs, id)
	}
	for _, id := range in.groups {
		g, err := s.groupLocked(id)
		if err != nil {
			return nil, err
		}
		ep.Groups = append(ep.Groups, endpointGroup{GroupID: id, GroupName: g.GroupName})
	}
	if kind == "Interface" {
		ep.PrivateDNSEnabled = in.privateDNS == nil || *in.privateDNS
		if len(ep.Groups) == 0 {
			for _, g := range s.groups {
				if g.VpcID == in.vpcID && g.GroupName == "default" {
					ep.Groups = []endpointGroup{{GroupID: g.GroupID, GroupName: g.GroupName}}
				}
			}
		}
	}
	for _, id := range in.tables {
		t, err := s.tableLocked(id)
		if err != nil {
			return nil, err
		}
		ep.RouteTableIDs = append(ep.RouteTableIDs, id)
		t.Routes = append(t.Routes, route{DestinationPrefixListID: prefixListOf(ep.ServiceName), GatewayID: ep.VpcEndpointID, State: "active", Origin: "CreateRoute"})
	}
	s.endpoints[ep.VpcEndpointID] = ep
	return ep, nil
}

func (s *Service) createNetworkACLEntry(aclID string, e aclEntry) error {
	acl := s.acls[aclID]
	if acl == nil {
		return notFound("InvalidNetworkAclID.NotFound", "The networkAcl ID '%s' does not exist", aclID)
	}
	if e.RuleAction != "allow" && e.RuleAction != "deny" {
		return core.APIErr("InvalidParameterValue", "Value (%s) for parameter ruleAction is invalid", e.RuleAction)
	}
	if n, ok := map[string]string{"all": "-1", "tcp": "6", "udp": "17", "icmp": "1"}[strings.ToLower(e.Protocol)]; ok {
		e.Protocol = n
	}
	for _, q := range acl.Entries {
		if q.RuleNumber == e.RuleNumber && q.Egress == e.Egress {
			return core.APIErr("NetworkAclEntryAlreadyExists", "The network acl entry identified by %d already exists.", e.RuleNumber)
		}
	}
	acl.Entries = append(acl.Entries, e)
	return nil
}

// createNetworkACL makes a non-default ACL (denying everything until entries
// are added) and moves subnets onto it.
func (s *Service) createNetworkACL(id, vpcID string, subnets []string) (*networkACL, error) {
	if _, err := s.vpcLocked(vpcID); err != nil {
		return nil, err
	}
	acl := &networkACL{NetworkACLID: orID(id, s.newID("acl")), VpcID: vpcID, OwnerID: s.account, Entries: []aclEntry{
		{RuleNumber: 32767, Protocol: "-1", RuleAction: "deny", Egress: true, CidrBlock: "0.0.0.0/0"},
		{RuleNumber: 32767, Protocol: "-1", RuleAction: "deny", CidrBlock: "0.0.0.0/0"},
	}}
	s.acls[acl.NetworkACLID] = acl
	for _, sid := range subnets {
		if _, err := s.subnetLocked(sid); err != nil {
			return nil, err
		}
		for _, other := range s.acls {
			kept := other.Associations[:0:0]
			for _, a := range other.Associations {
				if a.SubnetID != sid {
					kept = append(kept, a)
				}
			}
			other.Associations = kept
		}
		acl.Associations = append(acl.Associations, aclAssociation{NetworkACLAssociationID: s.newID("aclassoc"), NetworkACLID: acl.NetworkACLID, SubnetID: sid})
	}
	return acl, nil
}
