package ec2

import (
	"net/netip"
	"sort"
	"strings"

	"github.com/doppio-ecs/doppio/tests/awsemu/core"
)

// Internet names any host outside AWS's endpoints (Docker Hub, ghcr.io ...):
// no VPC endpoint reaches it.
const Internet = "internet"

// ENI is a task's network interface as ECS places it.
type ENI struct {
	Subnet         string
	PublicIP       bool     // assignPublicIp ENABLED
	SecurityGroups []string // none: the VPC's default group
}

// publicAddr stands for "some public IP of an AWS endpoint or registry".
var publicAddr = netip.MustParseAddr("52.94.0.10")

// Reach tells whether eni can open a TCP connection to port 443 of service
// ("ecr.api", "ecr.dkr", "s3", "logs", "ssm", "secretsmanager" or
// Internet), as the VPC would route and filter it. known is false when the
// subnet is not one this EC2 holds: the caller then assumes a working
// network, as the emulator did before it had EC2.
//
// The path is, in the order AWS resolves it: an interface endpoint with
// private DNS for the service in the VPC; the S3 gateway endpoint in the
// subnet's route table; else the subnet's 0.0.0.0/0 route, to an attached
// internet gateway (with a public IP) or to an available NAT gateway. The
// security groups' egress, an interface endpoint's own groups' ingress and
// the subnet's network ACL (outbound 443, inbound ephemeral ports) must let
// the connection through.
func (s *Service) Reach(eni ENI, service string) (ok, known bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sn := s.subnets[eni.Subnet]
	if sn == nil {
		return false, false
	}
	groups := s.groupsOf(eni, sn.VpcID)
	table := s.routeTableOf(sn)
	fullName := ServiceName(s.region, service)
	if service != Internet {
		for _, id := range core.SortedKeys(s.endpoints) {
			ep := s.endpoints[id]
			if ep.VpcID != sn.VpcID || ep.ServiceName != fullName || ep.State != "available" {
				continue
			}
			switch {
			case ep.VpcEndpointType == "Interface" && ep.PrivateDNSEnabled:
				addr := s.endpointAddr(ep, sn)
				if s.egressAllows(groups, addr, "", ep) && s.endpointAdmits(ep, sn, groups) && s.aclAllows(sn, addr) {
					return true, true
				}
			case ep.VpcEndpointType == "Gateway" && table != nil && contains(ep.RouteTableIDs, table.RouteTableID):
				if s.egressAllows(groups, publicAddr, prefixListOf(fullName), nil) && s.aclAllows(sn, publicAddr) {
					return true, true
				}
			}
		}
	}
	if !s.defaultRouteWorks(table, eni.PublicIP) {
		return false, true
	}
	return s.egressAllows(groups, publicAddr, "", nil) && s.aclAllows(sn, publicAddr), true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (s *Service) groupsOf(eni ENI, vpcID string) []*securityGroup {
	var out []*securityGroup
	for _, id := range eni.SecurityGroups {
		if g := s.groups[id]; g != nil {
			out = append(out, g)
		}
	}
	if len(eni.SecurityGroups) == 0 {
		for _, g := range s.groups {
			if g.VpcID == vpcID && g.GroupName == "default" {
				out = append(out, g)
			}
		}
	}
	return out
}

// routeTableOf is the subnet's explicitly associated table, else the VPC's main one.
func (s *Service) routeTableOf(sn *subnet) *routeTable {
	var main *routeTable
	for _, t := range s.tables {
		for _, a := range t.Associations {
			if a.SubnetID == sn.SubnetID {
				return t
			}
			if a.Main && t.VpcID == sn.VpcID {
				main = t
			}
		}
	}
	return main
}

func (s *Service) defaultRouteWorks(t *routeTable, publicIP bool) bool {
	if t == nil {
		return false
	}
	for _, r := range t.Routes {
		if r.DestinationCidrBlock != "0.0.0.0/0" || r.State != "active" {
			continue
		}
		if g := s.igws[r.GatewayID]; g != nil && publicIP && len(g.Attachments) > 0 && g.Attachments[0].VpcID == t.VpcID {
			return true
		}
		if n := s.nats[r.NatGatewayID]; n != nil && n.State == "available" {
			return true
		}
	}
	return false
}

// endpointAddr is an address of the endpoint's network interfaces: in the
// task's subnet when the endpoint has one there, else in its first subnet.
func (s *Service) endpointAddr(ep *vpcEndpoint, task *subnet) netip.Addr {
	cidr := task.CidrBlock
	if !contains(ep.SubnetIDs, task.SubnetID) && len(ep.SubnetIDs) > 0 {
		if sn := s.subnets[ep.SubnetIDs[0]]; sn != nil {
			cidr = sn.CidrBlock
		}
	}
	p, _ := netip.ParsePrefix(cidr)
	a := p.Addr()
	for i := 0; i < 10; i++ {
		a = a.Next()
	}
	return a
}

func portCovers(from, to *int, port int) bool {
	if from == nil || to == nil {
		return true
	}
	return *from <= port && port <= *to
}

// egressAllows tells whether one of groups lets TCP 443 out to addr (or to
// the prefix list pl, or to a member of the endpoint ep's groups).
func (s *Service) egressAllows(groups []*securityGroup, addr netip.Addr, pl string, ep *vpcEndpoint) bool {
	for _, g := range groups {
		for _, p := range g.Egress {
			if p.IPProtocol != "-1" && p.IPProtocol != "tcp" && p.IPProtocol != "6" {
				continue
			}
			if p.IPProtocol != "-1" && !portCovers(p.FromPort, p.ToPort, 443) {
				continue
			}
			for _, r := range p.IPRanges {
				if c, err := netip.ParsePrefix(r.CidrIP); err == nil && c.Contains(addr) {
					return true
				}
			}
			for _, l := range p.PrefixListIDs {
				if pl != "" && l.PrefixListID == pl {
					return true
				}
			}
			if ep != nil {
				for _, peer := range p.Groups {
					for _, eg := range ep.Groups {
						if peer.GroupID == eg.GroupID {
							return true
						}
					}
				}
			}
		}
	}
	return false
}

// endpointAdmits tells whether an interface endpoint's groups let TCP 443 in
// from the task's subnet or one of its groups.
func (s *Service) endpointAdmits(ep *vpcEndpoint, sn *subnet, taskGroups []*securityGroup) bool {
	sp, _ := netip.ParsePrefix(sn.CidrBlock)
	for _, eg := range ep.Groups {
		g := s.groups[eg.GroupID]
		if g == nil {
			continue
		}
		for _, p := range g.Ingress {
			if p.IPProtocol != "-1" && (p.IPProtocol != "tcp" && p.IPProtocol != "6" || !portCovers(p.FromPort, p.ToPort, 443)) {
				continue
			}
			for _, r := range p.IPRanges {
				if c, err := netip.ParsePrefix(r.CidrIP); err == nil && c.Bits() <= sp.Bits() && c.Contains(sp.Addr()) {
					return true
				}
			}
			for _, peer := range p.Groups {
				for _, tg := range taskGroups {
					if peer.GroupID == tg.GroupID {
						return true
					}
				}
			}
		}
	}
	return false
}

// aclAllows evaluates the subnet's network ACL: outbound TCP 443 to addr and
// the answer back on an ephemeral port (49152 is in every OS's range).
func (s *Service) aclAllows(sn *subnet, addr netip.Addr) bool {
	var acl *networkACL
	for _, a := range s.acls {
		for _, as := range a.Associations {
			if as.SubnetID == sn.SubnetID {
				acl = a
			}
		}
	}
	if acl == nil {
		return true
	}
	return aclVerdict(acl, true, addr, 443) && aclVerdict(acl, false, addr, 49152)
}

func aclVerdict(acl *networkACL, egress bool, addr netip.Addr, port int) bool {
	entries := append([]aclEntry(nil), acl.Entries...)
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].RuleNumber < entries[j].RuleNumber })
	for _, e := range entries {
		if e.Egress != egress {
			continue
		}
		proto := strings.ToLower(e.Protocol)
		if proto != "-1" && proto != "6" && proto != "tcp" {
			continue
		}
		if proto != "-1" && e.PortRange != nil && (port < e.PortRange.From || port > e.PortRange.To) {
			continue
		}
		c, err := netip.ParsePrefix(e.CidrBlock)
		if err != nil || !c.Contains(addr) {
			continue
		}
		return e.RuleAction == "allow"
	}
	return false
}

// Known tells whether subnet is one this EC2 holds.
func (s *Service) Known(subnetID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.subnets[subnetID] != nil
}
