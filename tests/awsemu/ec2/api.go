package ec2

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/doppio-ecs/doppio/tests/awsemu/core"
)

func (s *Service) operations() map[string]core.QueryOp {
	return map[string]core.QueryOp{
		"CreateVpc":                     s.apiCreateVpc,
		"CreateSubnet":                  s.apiCreateSubnet,
		"CreateSecurityGroup":           s.apiCreateSecurityGroup,
		"AuthorizeSecurityGroupEgress":  s.apiRule(true, false),
		"AuthorizeSecurityGroupIngress": s.apiRule(false, false),
		"RevokeSecurityGroupEgress":     s.apiRule(true, true),
		"RevokeSecurityGroupIngress":    s.apiRule(false, true),
		"CreateInternetGateway":         s.apiCreateInternetGateway,
		"AttachInternetGateway":         s.apiAttachInternetGateway,
		"CreateNatGateway":              s.apiCreateNatGateway,
		"CreateRouteTable":              s.apiCreateRouteTable,
		"CreateRoute":                   s.apiCreateRoute,
		"AssociateRouteTable":           s.apiAssociateRouteTable,
		"CreateVpcEndpoint":             s.apiCreateVpcEndpoint,
		"CreateNetworkAclEntry":         s.apiCreateNetworkACLEntry,
		"DescribeVpcs":                  s.apiDescribeVpcs,
		"DescribeSubnets":               s.apiDescribeSubnets,
		"DescribeSecurityGroups":        s.apiDescribeSecurityGroups,
		"DescribeInternetGateways":      s.apiDescribeInternetGateways,
		"DescribeNatGateways":           s.apiDescribeNatGateways,
		"DescribeRouteTables":           s.apiDescribeRouteTables,
		"DescribeVpcEndpoints":          s.apiDescribeVpcEndpoints,
		"DescribeNetworkAcls":           s.apiDescribeNetworkACLs,
	}
}

type returnTrue struct {
	Return bool `xml:"return"`
}

func (s *Service) locked(fn func() (any, error)) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn()
}

func (s *Service) apiCreateVpc(c *core.Call) (any, error) {
	return s.locked(func() (any, error) {
		v, err := s.createVpc("", c.Form.Get("CidrBlock"))
		if err != nil {
			return nil, err
		}
		return struct {
			Vpc vpc `xml:"vpc"`
		}{*v}, nil
	})
}

func (s *Service) apiCreateSubnet(c *core.Call) (any, error) {
	return s.locked(func() (any, error) {
		sn, err := s.createSubnet("", c.Form.Get("VpcId"), c.Form.Get("CidrBlock"), c.Form.Get("AvailabilityZone"), false)
		if err != nil {
			return nil, err
		}
		return struct {
			Subnet subnet `xml:"subnet"`
		}{*sn}, nil
	})
}

func (s *Service) apiCreateSecurityGroup(c *core.Call) (any, error) {
	return s.locked(func() (any, error) {
		vpcID := c.Form.Get("VpcId")
		if vpcID == "" {
			return nil, core.APIErr("VPCIdNotSpecified", "No default VPC for this user")
		}
		g, err := s.createSecurityGroup("", vpcID, c.Form.Get("GroupName"), c.Form.Get("GroupDescription"))
		if err != nil {
			return nil, err
		}
		return struct {
			Return  bool   `xml:"return"`
			GroupID string `xml:"groupId"`
		}{true, g.GroupID}, nil
	})
}

// permissionsOf reads IpPermissions.N.* and the older flat form (IpProtocol,
// FromPort, ToPort, CidrIp) that some clients still send.
func permissionsOf(form url.Values) []permission {
	var out []permission
	for i := 1; ; i++ {
		pre := fmt.Sprintf("IpPermissions.%d.", i)
		proto, ok := form[pre+"IpProtocol"]
		if !ok {
			break
		}
		p := permission{IPProtocol: strings.ToLower(proto[0]), FromPort: intParam(form, pre+"FromPort"), ToPort: intParam(form, pre+"ToPort")}
		for j := 1; ; j++ {
			v, ok := form[fmt.Sprintf("%sIpRanges.%d.CidrIp", pre, j)]
			if !ok {
				break
			}
			p.IPRanges = append(p.IPRanges, ipRange{CidrIP: v[0]})
		}
		for j := 1; ; j++ {
			v, ok := form[fmt.Sprintf("%sGroups.%d.GroupId", pre, j)]
			if !ok {
				break
			}
			p.Groups = append(p.Groups, groupPair{GroupID: v[0]})
		}
		for j := 1; ; j++ {
			v, ok := form[fmt.Sprintf("%sPrefixListIds.%d.PrefixListId", pre, j)]
			if !ok {
				break
			}
			p.PrefixListIDs = append(p.PrefixListIDs, prefixListID{PrefixListID: v[0]})
		}
		out = append(out, p)
	}
	if proto := form.Get("IpProtocol"); proto != "" {
		p := permission{IPProtocol: strings.ToLower(proto), FromPort: intParam(form, "FromPort"), ToPort: intParam(form, "ToPort")}
		if cidr := form.Get("CidrIp"); cidr != "" {
			p.IPRanges = []ipRange{{CidrIP: cidr}}
		}
		out = append(out, p)
	}
	for i := range out {
		if out[i].IPProtocol == "6" {
			out[i].IPProtocol = "tcp"
		}
	}
	return out
}

func intParam(form url.Values, key string) *int {
	v, ok := form[key]
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil {
		return nil
	}
	return &n
}

func (s *Service) apiRule(egress, revoke bool) core.QueryOp {
	return func(c *core.Call) (any, error) {
		perms := permissionsOf(c.Form)
		if len(perms) == 0 {
			return nil, core.APIErr("MissingParameter", "The request must contain the parameter ipPermissions")
		}
		return s.locked(func() (any, error) {
			var err error
			if revoke {
				err = s.revoke(c.Form.Get("GroupId"), egress, perms)
			} else {
				err = s.authorize(c.Form.Get("GroupId"), egress, perms)
			}
			if err != nil {
				return nil, err
			}
			return returnTrue{true}, nil
		})
	}
}

func (s *Service) apiCreateInternetGateway(*core.Call) (any, error) {
	return s.locked(func() (any, error) {
		return struct {
			InternetGateway internetGateway `xml:"internetGateway"`
		}{*s.createInternetGateway("")}, nil
	})
}

func (s *Service) apiAttachInternetGateway(c *core.Call) (any, error) {
	return s.locked(func() (any, error) {
		if err := s.attachInternetGateway(c.Form.Get("InternetGatewayId"), c.Form.Get("VpcId")); err != nil {
			return nil, err
		}
		return returnTrue{true}, nil
	})
}

func (s *Service) apiCreateNatGateway(c *core.Call) (any, error) {
	return s.locked(func() (any, error) {
		n, err := s.createNatGateway("", c.Form.Get("SubnetId"), c.Form.Get("ConnectivityType"))
		if err != nil {
			return nil, err
		}
		return struct {
			ClientToken string     `xml:"clientToken,omitempty"`
			NatGateway  natGateway `xml:"natGateway"`
		}{c.Form.Get("ClientToken"), *n}, nil
	})
}

func (s *Service) apiCreateRouteTable(c *core.Call) (any, error) {
	return s.locked(func() (any, error) {
		t, err := s.createRouteTable("", c.Form.Get("VpcId"))
		if err != nil {
			return nil, err
		}
		return struct {
			RouteTable routeTable `xml:"routeTable"`
		}{*t}, nil
	})
}

func (s *Service) apiCreateRoute(c *core.Call) (any, error) {
	f := c.Form
	r := route{DestinationCidrBlock: f.Get("DestinationCidrBlock"), DestinationPrefixListID: f.Get("DestinationPrefixListId"),
		GatewayID: f.Get("GatewayId"), NatGatewayID: f.Get("NatGatewayId")}
	if r.GatewayID == "" {
		r.GatewayID = f.Get("VpcEndpointId")
	}
	return s.locked(func() (any, error) {
		if err := s.createRoute(f.Get("RouteTableId"), r); err != nil {
			return nil, err
		}
		return returnTrue{true}, nil
	})
}

func (s *Service) apiAssociateRouteTable(c *core.Call) (any, error) {
	return s.locked(func() (any, error) {
		id, err := s.associateRouteTable(c.Form.Get("RouteTableId"), c.Form.Get("SubnetId"))
		if err != nil {
			return nil, err
		}
		return struct {
			AssociationID    string           `xml:"associationId"`
			AssociationState associationState `xml:"associationState"`
		}{id, associationState{"associated"}}, nil
	})
}

func (s *Service) apiCreateVpcEndpoint(c *core.Call) (any, error) {
	f := c.Form
	spec := endpointSpec{vpcID: f.Get("VpcId"), service: f.Get("ServiceName"), kind: f.Get("VpcEndpointType"),
		subnets: core.EC2List(f, "SubnetId"), groups: core.EC2List(f, "SecurityGroupId"), tables: core.EC2List(f, "RouteTableId")}
	if v := f.Get("PrivateDnsEnabled"); v != "" {
		b := v == "true"
		spec.privateDNS = &b
	}
	return s.locked(func() (any, error) {
		ep, err := s.createVpcEndpoint(spec)
		if err != nil {
			return nil, err
		}
		return struct {
			VpcEndpoint vpcEndpoint `xml:"vpcEndpoint"`
		}{*ep}, nil
	})
}

func (s *Service) apiCreateNetworkACLEntry(c *core.Call) (any, error) {
	f := c.Form
	n, err := strconv.Atoi(f.Get("RuleNumber"))
	if err != nil {
		return nil, core.APIErr("InvalidParameterValue", "Value (%s) for parameter ruleNumber is invalid", f.Get("RuleNumber"))
	}
	e := aclEntry{RuleNumber: n, Protocol: f.Get("Protocol"), RuleAction: f.Get("RuleAction"), Egress: f.Get("Egress") == "true", CidrBlock: f.Get("CidrBlock")}
	if from, to := intParam(f, "PortRange.From"), intParam(f, "PortRange.To"); from != nil && to != nil {
		e.PortRange = &portRange{From: *from, To: *to}
	}
	return s.locked(func() (any, error) {
		if err := s.createNetworkACLEntry(f.Get("NetworkAclId"), e); err != nil {
			return nil, err
		}
		return returnTrue{true}, nil
	})
}

// --- Describe* ---

// filter is one Filter.N of a Describe call: a name and the values any of
// which may match.
type filter struct {
	name   string
	values []string
}

func filtersOf(form url.Values) []filter {
	var out []filter
	for i := 1; ; i++ {
		name, ok := form[fmt.Sprintf("Filter.%d.Name", i)]
		if !ok {
			return out
		}
		out = append(out, filter{name: name[0], values: core.EC2List(form, fmt.Sprintf("Filter.%d.Value", i))})
	}
}

// matches tells whether an item, whose filterable fields are fields,
// passes every filter. A filter EC2 knows but the emulator does not answers
// an error rather than silently matching everything.
func matches(filters []filter, fields map[string][]string) (bool, error) {
	for _, f := range filters {
		have, known := fields[f.name]
		if !known {
			return false, core.APIErr("InvalidParameterValue", "The filter '%s' is invalid (awsemu knows: %s)", f.name, strings.Join(core.SortedKeys(fields), ", "))
		}
		ok := false
		for _, want := range f.values {
			for _, h := range have {
				if h == want {
					ok = true
				}
			}
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// describe selects items by ids (each must exist) and filters, in id order.
func describe[T any](s *Service, c *core.Call, all map[string]*T, idParam, notFoundCode, noun string, fields func(*T) map[string][]string) ([]T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := core.EC2List(c.Form, idParam)
	if len(ids) == 0 {
		ids = core.SortedKeys(all)
	} else {
		sort.Strings(ids)
	}
	filters := filtersOf(c.Form)
	out := []T{}
	for _, id := range ids {
		item, err := find(all, id, notFoundCode, noun)
		if err != nil {
			return nil, err
		}
		ok, err := matches(filters, fields(item))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, *item)
		}
	}
	return out, nil
}

func boolStr(b bool) string { return strconv.FormatBool(b) }

func (s *Service) apiDescribeVpcs(c *core.Call) (any, error) {
	items, err := describe(s, c, s.vpcs, "VpcId", "InvalidVpcID.NotFound", "vpc ID", func(v *vpc) map[string][]string {
		return map[string][]string{"vpc-id": {v.VpcID}, "cidr": {v.CidrBlock}, "cidr-block-association.cidr-block": {v.CidrBlock}, "state": {v.State}, "is-default": {boolStr(v.IsDefault)}}
	})
	if err != nil {
		return nil, err
	}
	return struct {
		Items []vpc `xml:"vpcSet>item"`
	}{items}, nil
}

func (s *Service) apiDescribeSubnets(c *core.Call) (any, error) {
	items, err := describe(s, c, s.subnets, "SubnetId", "InvalidSubnetID.NotFound", "subnet ID", func(v *subnet) map[string][]string {
		return map[string][]string{"subnet-id": {v.SubnetID}, "vpc-id": {v.VpcID}, "cidr-block": {v.CidrBlock}, "availability-zone": {v.AvailabilityZone},
			"state": {v.State}, "map-public-ip-on-launch": {boolStr(v.MapPublicIPOnLaunch)}, "default-for-az": {boolStr(v.DefaultForAz)}}
	})
	if err != nil {
		return nil, err
	}
	return struct {
		Items []subnet `xml:"subnetSet>item"`
	}{items}, nil
}

func (s *Service) apiDescribeSecurityGroups(c *core.Call) (any, error) {
	items, err := describe(s, c, s.groups, "GroupId", "InvalidGroup.NotFound", "security group", func(v *securityGroup) map[string][]string {
		return map[string][]string{"group-id": {v.GroupID}, "group-name": {v.GroupName}, "vpc-id": {v.VpcID}, "owner-id": {v.OwnerID}}
	})
	if err != nil {
		return nil, err
	}
	return struct {
		Items []securityGroup `xml:"securityGroupInfo>item"`
	}{items}, nil
}

func (s *Service) apiDescribeInternetGateways(c *core.Call) (any, error) {
	items, err := describe(s, c, s.igws, "InternetGatewayId", "InvalidInternetGatewayID.NotFound", "internetGateway ID", func(v *internetGateway) map[string][]string {
		f := map[string][]string{"internet-gateway-id": {v.InternetGatewayID}, "attachment.vpc-id": nil, "attachment.state": nil, "owner-id": {v.OwnerID}}
		for _, a := range v.Attachments {
			f["attachment.vpc-id"] = append(f["attachment.vpc-id"], a.VpcID)
			f["attachment.state"] = append(f["attachment.state"], a.State)
		}
		return f
	})
	if err != nil {
		return nil, err
	}
	return struct {
		Items []internetGateway `xml:"internetGatewaySet>item"`
	}{items}, nil
}

func (s *Service) apiDescribeNatGateways(c *core.Call) (any, error) {
	items, err := describe(s, c, s.nats, "NatGatewayId", "NatGatewayNotFound", "nat gateway", func(v *natGateway) map[string][]string {
		return map[string][]string{"nat-gateway-id": {v.NatGatewayID}, "subnet-id": {v.SubnetID}, "vpc-id": {v.VpcID}, "state": {v.State}}
	})
	if err != nil {
		return nil, err
	}
	return struct {
		Items []natGateway `xml:"natGatewaySet>item"`
	}{items}, nil
}

func (s *Service) apiDescribeRouteTables(c *core.Call) (any, error) {
	items, err := describe(s, c, s.tables, "RouteTableId", "InvalidRouteTableID.NotFound", "routeTable ID", func(v *routeTable) map[string][]string {
		f := map[string][]string{"route-table-id": {v.RouteTableID}, "vpc-id": {v.VpcID}, "association.subnet-id": nil, "association.main": {"false"},
			"association.route-table-association-id": nil, "route.nat-gateway-id": nil, "route.gateway-id": nil, "route.destination-cidr-block": nil}
		for _, a := range v.Associations {
			if a.Main {
				f["association.main"] = []string{"true"}
			}
			if a.SubnetID != "" {
				f["association.subnet-id"] = append(f["association.subnet-id"], a.SubnetID)
			}
			f["association.route-table-association-id"] = append(f["association.route-table-association-id"], a.RouteTableAssociationID)
		}
		for _, r := range v.Routes {
			f["route.nat-gateway-id"] = append(f["route.nat-gateway-id"], r.NatGatewayID)
			f["route.gateway-id"] = append(f["route.gateway-id"], r.GatewayID)
			f["route.destination-cidr-block"] = append(f["route.destination-cidr-block"], r.DestinationCidrBlock)
		}
		return f
	})
	if err != nil {
		return nil, err
	}
	return struct {
		Items []routeTable `xml:"routeTableSet>item"`
	}{items}, nil
}

func (s *Service) apiDescribeVpcEndpoints(c *core.Call) (any, error) {
	items, err := describe(s, c, s.endpoints, "VpcEndpointId", "InvalidVpcEndpointId.NotFound", "VpcEndpoint Id", func(v *vpcEndpoint) map[string][]string {
		return map[string][]string{"vpc-endpoint-id": {v.VpcEndpointID}, "vpc-id": {v.VpcID}, "service-name": {v.ServiceName},
			"vpc-endpoint-type": {v.VpcEndpointType}, "vpc-endpoint-state": {v.State}}
	})
	if err != nil {
		return nil, err
	}
	return struct {
		Items []vpcEndpoint `xml:"vpcEndpointSet>item"`
	}{items}, nil
}

func (s *Service) apiDescribeNetworkACLs(c *core.Call) (any, error) {
	items, err := describe(s, c, s.acls, "NetworkAclId", "InvalidNetworkAclID.NotFound", "networkAcl ID", func(v *networkACL) map[string][]string {
		f := map[string][]string{"network-acl-id": {v.NetworkACLID}, "vpc-id": {v.VpcID}, "default": {boolStr(v.IsDefault)}, "association.subnet-id": nil}
		for _, a := range v.Associations {
			f["association.subnet-id"] = append(f["association.subnet-id"], a.SubnetID)
		}
		return f
	})
	if err != nil {
		return nil, err
	}
	return struct {
		Items []networkACL `xml:"networkAclSet>item"`
	}{items}, nil
}
