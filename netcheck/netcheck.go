// Package netcheck answers, from EC2's read-only Describe calls, whether a
// Fargate task's network interface can reach what the task needs at start
// (ECR's API and registry, S3 for layers and environment files, CloudWatch
// Logs, Secrets Manager, SSM, or the internet for other registries), and if
// not, which piece is missing. verify runs it before a deploy and deploy's
// failure explanation after a task failed to start.
package netcheck

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/doppio-ecs/doppio/internal/imageref"
)

// EC2API is the part of the EC2 client netcheck uses: Describe calls only.
type EC2API interface {
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	DescribeVpcs(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
	DescribeRouteTables(context.Context, *ec2.DescribeRouteTablesInput, ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error)
	DescribeVpcEndpoints(context.Context, *ec2.DescribeVpcEndpointsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error)
	DescribeNatGateways(context.Context, *ec2.DescribeNatGatewaysInput, ...func(*ec2.Options)) (*ec2.DescribeNatGatewaysOutput, error)
	DescribeNetworkAcls(context.Context, *ec2.DescribeNetworkAclsInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkAclsOutput, error)
}

// Internet is a destination outside AWS (Docker Hub, ghcr.io, another
// region's ECR ...): no VPC endpoint reaches it.
const Internet = "internet"

// Need is one destination the task must reach at start, and why.
type Need struct {
	Service string // VPC endpoint short name (ecr.api, ecr.dkr, s3, logs, ssm, secretsmanager) or Internet
	Why     string // e.g. "image web:latest"
}

// Needs lists what the containers need at start, in the order Fargate
// needs it, each service once (with the first reason).
func Needs(containers []ecstypes.ContainerDefinition, region string) []Need {
	var out []Need
	seen := map[string]bool{}
	add := func(service, why string) {
		if !seen[service] {
			seen[service] = true
			out = append(out, Need{service, why})
		}
	}
	for _, cd := range containers {
		img := aws.ToString(cd.Image)
		if e, ok := imageref.ParseECR(img); ok && (e.Region == region || region == "") {
			add("ecr.api", "image "+img)
			add("ecr.dkr", "image "+img)
			add("s3", "image layers of "+img)
		} else if img != "" {
			add(Internet, "image "+img)
		}
		if cd.RepositoryCredentials != nil {
			add("secretsmanager", "repositoryCredentials of "+aws.ToString(cd.Name))
		}
		for _, s := range cd.Secrets {
			from := aws.ToString(s.ValueFrom)
			if strings.Contains(from, ":secretsmanager:") {
				add("secretsmanager", "secret "+aws.ToString(s.Name))
			} else {
				add("ssm", "secret "+aws.ToString(s.Name))
			}
		}
		if len(cd.EnvironmentFiles) > 0 {
			add("s3", "environmentFiles of "+aws.ToString(cd.Name))
		}
		if lc := cd.LogConfiguration; lc != nil && lc.LogDriver == ecstypes.LogDriverAwslogs {
			add("logs", "awslogs of "+aws.ToString(cd.Name))
		}
	}
	return out
}

// Input is the network a task is placed in and what it needs.
type Input struct {
	Subnets        []string
	SecurityGroups []string // none: the VPC's default group
	AssignPublicIP bool
	Region         string
	Needs          []Need
}

// Finding is one verdict: a subnet's path out, the security groups, a
// network ACL or the placement as a whole.
type Finding struct {
	Subject string // what it is about, as verify names it: "Placement", "Subnet[subnet-0a1]", "SecurityGroups", "NetworkAcl[acl-1 subnet-0a1]"
	OK      bool
	Message string
}

// Result is what Analyze found. Denied is set when EC2 refused a Describe
// call (the findings are then incomplete).
type Result struct {
	Findings []Finding
	Denied   string
}

// Problems are the messages of the failed findings.
func (r *Result) Problems() []string {
	var out []string
	for _, f := range r.Findings {
		if !f.OK {
			out = append(out, f.Message)
		}
	}
	return out
}

// AccessDenied tells whether err is EC2 refusing a call for lack of permission.
func AccessDenied(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "UnauthorizedOperation", "AccessDenied", "AccessDeniedException", "UnauthorizedAccess":
			return true
		}
	}
	return false
}

// world is the VPC as the Describe calls returned it.
type world struct {
	subnets   map[string]ec2types.Subnet
	groups    map[string]ec2types.SecurityGroup
	vpcCIDR   map[string][]netip.Prefix
	tables    []ec2types.RouteTable
	endpoints []ec2types.VpcEndpoint
	nats      map[string]ec2types.NatGateway
	acls      []ec2types.NetworkAcl
}

// Analyze describes the subnets, groups and their VPC (seven read-only
// calls, each batched over every id) and judges each subnet. It returns an
// error only for failures other than AccessDenied.
func Analyze(ctx context.Context, api EC2API, in Input) (*Result, error) {
	res := &Result{}
	w, err := load(ctx, api, in)
	if err != nil {
		if AccessDenied(err) {
			res.Denied = err.Error()
			return res, nil
		}
		return nil, err
	}
	if !res.placement(w, in) {
		return res, nil
	}
	for _, id := range in.Subnets {
		res.judgeSubnet(w, in, id)
	}
	return res, nil
}

func vpcFilter(vpcs []string) []ec2types.Filter {
	return []ec2types.Filter{{Name: aws.String("vpc-id"), Values: vpcs}}
}

// parallel runs fns at once and returns the first error.
func parallel(fns ...func() error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// load makes two rounds of calls: the subnets and groups, then what their
// VPC holds (five or six calls at once, each filtered by VPC id).
func load(ctx context.Context, api EC2API, in Input) (*world, error) {
	w := &world{subnets: map[string]ec2types.Subnet{}, groups: map[string]ec2types.SecurityGroup{}, vpcCIDR: map[string][]netip.Prefix{}, nats: map[string]ec2types.NatGateway{}}
	var mu sync.Mutex
	addGroups := func(in *ec2.DescribeSecurityGroupsInput) error {
		out, err := api.DescribeSecurityGroups(ctx, in)
		if err != nil {
			return fmt.Errorf("ec2:DescribeSecurityGroups: %w", err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, g := range out.SecurityGroups {
			w.groups[aws.ToString(g.GroupId)] = g
		}
		return nil
	}
	// Filters instead of ids: an unknown id is then missing from the answer
	// instead of failing the whole call.
	err := parallel(func() error {
		out, err := api.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("subnet-id"), Values: in.Subnets}}})
		if err != nil {
			return fmt.Errorf("ec2:DescribeSubnets: %w", err)
		}
		for _, s := range out.Subnets {
			w.subnets[aws.ToString(s.SubnetId)] = s
		}
		return nil
	}, func() error {
		if len(in.SecurityGroups) == 0 {
			return nil
		}
		return addGroups(&ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: in.SecurityGroups}}})
	})
	if err != nil {
		return nil, err
	}
	vpcSet := map[string]bool{}
	for _, s := range w.subnets {
		vpcSet[aws.ToString(s.VpcId)] = true
	}
	if len(vpcSet) == 0 {
		return w, nil
	}
	vpcs := slices.Sorted(mapKeys(vpcSet))
	err = parallel(func() error {
		// Every group of the VPC: the default group (tasks without groups)
		// and the interface endpoints' groups (their ingress) among them.
		return addGroups(&ec2.DescribeSecurityGroupsInput{Filters: vpcFilter(vpcs)})
	}, func() error {
		out, err := api.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: vpcs})
		if err != nil {
			return fmt.Errorf("ec2:DescribeVpcs: %w", err)
		}
		for _, v := range out.Vpcs {
			id := aws.ToString(v.VpcId)
			cidrs := []string{aws.ToString(v.CidrBlock)}
			for _, a := range v.CidrBlockAssociationSet {
				cidrs = append(cidrs, aws.ToString(a.CidrBlock))
			}
			for _, c := range cidrs {
				if p, err := netip.ParsePrefix(c); err == nil && !slices.Contains(w.vpcCIDR[id], p) {
					w.vpcCIDR[id] = append(w.vpcCIDR[id], p)
				}
			}
		}
		return nil
	}, func() error {
		out, err := api.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: vpcFilter(vpcs)})
		if err != nil {
			return fmt.Errorf("ec2:DescribeRouteTables: %w", err)
		}
		w.tables = out.RouteTables
		return nil
	}, func() error {
		out, err := api.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: vpcFilter(vpcs)})
		if err != nil {
			return fmt.Errorf("ec2:DescribeVpcEndpoints: %w", err)
		}
		w.endpoints = out.VpcEndpoints
		return nil
	}, func() error {
		out, err := api.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: vpcFilter(vpcs)})
		if err != nil {
			return fmt.Errorf("ec2:DescribeNatGateways: %w", err)
		}
		for _, n := range out.NatGateways {
			w.nats[aws.ToString(n.NatGatewayId)] = n
		}
		return nil
	}, func() error {
		out, err := api.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: vpcFilter(vpcs)})
		if err != nil {
			return fmt.Errorf("ec2:DescribeNetworkAcls: %w", err)
		}
		w.acls = out.NetworkAcls
		return nil
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// placement checks that every subnet and group exists and that they share
// one VPC; false stops the analysis.
func (r *Result) placement(w *world, in Input) bool {
	var missing []string
	for _, id := range in.Subnets {
		if _, ok := w.subnets[id]; !ok {
			missing = append(missing, "subnet "+id)
		}
	}
	for _, id := range in.SecurityGroups {
		if _, ok := w.groups[id]; !ok {
			missing = append(missing, "security group "+id)
		}
	}
	if len(missing) > 0 {
		r.Findings = append(r.Findings, Finding{Subject: "Placement", Message: fmt.Sprintf("%s not found in %s: fix networkConfiguration.awsvpcConfiguration", strings.Join(missing, ", "), in.Region)})
		return false
	}
	in2vpc := map[string][]string{}
	for _, id := range in.Subnets {
		v := aws.ToString(w.subnets[id].VpcId)
		in2vpc[v] = append(in2vpc[v], id)
	}
	for _, id := range in.SecurityGroups {
		v := aws.ToString(w.groups[id].VpcId)
		in2vpc[v] = append(in2vpc[v], id)
	}
	if len(in2vpc) > 1 {
		var parts []string
		for _, v := range slices.Sorted(mapKeys(in2vpc)) {
			parts = append(parts, strings.Join(in2vpc[v], ", ")+" in "+v)
		}
		r.Findings = append(r.Findings, Finding{Subject: "Placement", Message: "subnets and security groups are in different VPCs (" + strings.Join(parts, "; ") + "): ECS rejects the task; use subnets and groups of one VPC"})
		return false
	}
	var vpc string
	for v := range in2vpc {
		vpc = v
	}
	r.Findings = append(r.Findings, Finding{Subject: "Placement", OK: true, Message: fmt.Sprintf("%d subnet(s) and %d security group(s) exist in %s", len(in.Subnets), len(in.SecurityGroups), vpc)})
	return true
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// dest is where a connection for one need goes: an address (for security
// group CIDRs and network ACLs), and for endpoints the ids a rule may name.
type dest struct {
	via        string // "interface endpoint vpce-…", "gateway endpoint vpce-…", "internet gateway igw-…", "NAT gateway nat-…"
	addr       netip.Addr
	prefixList string   // S3 gateway endpoint
	endpoint   string   // interface endpoint id
	groups     []string // interface endpoint's security groups
}

// publicAddr stands for the public address of an AWS endpoint or registry.
var publicAddr = netip.MustParseAddr("52.94.0.10")

func (w *world) tableOf(s ec2types.Subnet) *ec2types.RouteTable {
	var main *ec2types.RouteTable
	for i, t := range w.tables {
		for _, a := range t.Associations {
			if aws.ToString(a.SubnetId) == aws.ToString(s.SubnetId) {
				return &w.tables[i]
			}
			if aws.ToBool(a.Main) && aws.ToString(t.VpcId) == aws.ToString(s.VpcId) {
				main = &w.tables[i]
			}
		}
	}
	return main
}

// exit is the subnet's default route as far as it works, or why it does not.
type exit struct {
	dest
	ok      bool
	problem string // "routes 0.0.0.0/0 nowhere", ...
}

func (w *world) defaultExit(table *ec2types.RouteTable, publicIP bool) exit {
	if table == nil {
		return exit{problem: "has no route table"}
	}
	for _, r := range table.Routes {
		if aws.ToString(r.DestinationCidrBlock) != "0.0.0.0/0" {
			continue
		}
		target := aws.ToString(r.GatewayId) + aws.ToString(r.NatGatewayId) + aws.ToString(r.TransitGatewayId) + aws.ToString(r.NetworkInterfaceId) + aws.ToString(r.VpcPeeringConnectionId)
		if r.State == ec2types.RouteStateBlackhole {
			return exit{problem: fmt.Sprintf("routes 0.0.0.0/0 to %s, which is a blackhole (deleted or detached)", target)}
		}
		switch gw, nat := aws.ToString(r.GatewayId), aws.ToString(r.NatGatewayId); {
		case strings.HasPrefix(gw, "igw-"):
			if !publicIP {
				return exit{problem: fmt.Sprintf("routes 0.0.0.0/0 to internet gateway %s but assignPublicIp is DISABLED", gw)}
			}
			return exit{ok: true, dest: dest{via: "internet gateway " + gw, addr: publicAddr}}
		case nat != "":
			n, ok := w.nats[nat]
			if !ok || n.State != ec2types.NatGatewayStateAvailable {
				state := "missing"
				if ok {
					state = string(n.State)
				}
				return exit{problem: fmt.Sprintf("routes 0.0.0.0/0 to NAT gateway %s, which is %s", nat, state)}
			}
			return exit{ok: true, dest: dest{via: "NAT gateway " + nat, addr: publicAddr}}
		default:
			// Transit gateways, firewalls, peering: the path continues
			// outside what the VPC's Describe calls show; trust it.
			return exit{ok: true, dest: dest{via: target, addr: publicAddr}}
		}
	}
	if publicIP {
		return exit{problem: "routes 0.0.0.0/0 nowhere (assignPublicIp ENABLED needs an internet gateway route)"}
	}
	return exit{problem: "routes 0.0.0.0/0 nowhere and assignPublicIp is DISABLED"}
}

// endpointFor is the VPC endpoint that serves service for a subnet whose
// route table is table, and a note when one exists but does not serve.
func (w *world) endpointFor(service, region string, s ec2types.Subnet, table *ec2types.RouteTable) (*dest, string) {
	name := "com.amazonaws." + region + "." + service
	var note string
	for _, ep := range w.endpoints {
		if aws.ToString(ep.ServiceName) != name || aws.ToString(ep.VpcId) != aws.ToString(s.VpcId) {
			continue
		}
		id := aws.ToString(ep.VpcEndpointId)
		if ep.State != ec2types.StateAvailable && !strings.EqualFold(string(ep.State), "available") {
			note = fmt.Sprintf("endpoint %s is %s", id, ep.State)
			continue
		}
		switch ep.VpcEndpointType {
		case ec2types.VpcEndpointTypeInterface:
			if !aws.ToBool(ep.PrivateDnsEnabled) {
				note = fmt.Sprintf("endpoint %s has private DNS disabled, so %s.%s.amazonaws.com does not resolve to it", id, service, region)
				continue
			}
			d := &dest{via: "interface endpoint " + id, addr: w.endpointAddr(ep, s), endpoint: id}
			for _, g := range ep.Groups {
				d.groups = append(d.groups, aws.ToString(g.GroupId))
			}
			return d, ""
		case ec2types.VpcEndpointTypeGateway:
			if table == nil || !slices.Contains(ep.RouteTableIds, aws.ToString(table.RouteTableId)) {
				note = fmt.Sprintf("gateway endpoint %s is not in route table %s", id, tableID(table))
				continue
			}
			d := &dest{via: "gateway endpoint " + id, addr: publicAddr}
			for _, r := range table.Routes {
				if aws.ToString(r.GatewayId) == id {
					d.prefixList = aws.ToString(r.DestinationPrefixListId)
				}
			}
			return d, ""
		}
	}
	return nil, note
}

func tableID(t *ec2types.RouteTable) string {
	if t == nil {
		return "(none)"
	}
	return aws.ToString(t.RouteTableId)
}

// endpointAddr is an address of the endpoint's interfaces: in the task's
// subnet when it has one there, else in its first subnet, else in the VPC.
func (w *world) endpointAddr(ep ec2types.VpcEndpoint, s ec2types.Subnet) netip.Addr {
	cidr := aws.ToString(s.CidrBlock)
	if !slices.Contains(ep.SubnetIds, aws.ToString(s.SubnetId)) && len(ep.SubnetIds) > 0 {
		if other, ok := w.subnets[ep.SubnetIds[0]]; ok {
			cidr = aws.ToString(other.CidrBlock)
		} else if cs := w.vpcCIDR[aws.ToString(s.VpcId)]; len(cs) > 0 {
			cidr = cs[0].String()
		}
	}
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return netip.Addr{}
	}
	a := p.Addr()
	for range 10 {
		a = a.Next()
	}
	return a
}

// judgeSubnet finds, for each need, the path out of one subnet and checks
// the security groups and network ACL along it.
func (r *Result) judgeSubnet(w *world, in Input, id string) {
	s := w.subnets[id]
	table := w.tableOf(s)
	out := w.defaultExit(table, in.AssignPublicIP)
	var unreachable, internetOnly, notes []string
	paths := map[string]dest{}
	for _, n := range in.Needs {
		if n.Service != Internet {
			if d, note := w.endpointFor(n.Service, in.Region, s, table); d != nil {
				paths[n.Service] = *d
				continue
			} else if note != "" {
				notes = append(notes, note)
			}
		}
		if out.ok {
			paths[n.Service] = out.dest
			continue
		}
		if n.Service == Internet {
			internetOnly = append(internetOnly, n.Why)
		} else {
			unreachable = append(unreachable, n.Service)
		}
	}
	if len(unreachable)+len(internetOnly) > 0 {
		var fix []string
		if len(unreachable) > 0 {
			fix = append(fix, "add a NAT gateway route or VPC endpoints for "+strings.Join(unreachable, ", "))
		}
		if len(internetOnly) > 0 {
			fix = append(fix, fmt.Sprintf("%s needs the internet (no VPC endpoint reaches it): add a NAT gateway route", strings.Join(internetOnly, ", ")))
		}
		msg := fmt.Sprintf("%s %s: %s", id, out.problem, strings.Join(fix, "; "))
		if len(notes) > 0 {
			msg += " (" + strings.Join(notes, "; ") + ")"
		}
		r.Findings = append(r.Findings, Finding{Subject: "Subnet[" + id + "]", Message: msg})
	} else {
		r.Findings = append(r.Findings, Finding{Subject: "Subnet[" + id + "]", OK: true, Message: describePaths(in.Needs, paths)})
	}
	r.judgeFilters(w, in, s, paths)
}

// describePaths says how each need is reached, grouped by path.
func describePaths(needs []Need, paths map[string]dest) string {
	by := map[string][]string{}
	var order []string
	for _, n := range needs {
		d, ok := paths[n.Service]
		if !ok {
			continue
		}
		if by[d.via] == nil {
			order = append(order, d.via)
		}
		by[d.via] = append(by[d.via], n.Service)
	}
	if len(order) == 0 {
		return "nothing to reach"
	}
	var parts []string
	for _, via := range order {
		parts = append(parts, strings.Join(by[via], ", ")+" through "+via)
	}
	return "reaches " + strings.Join(parts, "; ")
}

// judgeFilters checks that the task's security groups let TCP 443 out to
// each path and that the subnet's network ACL lets it out and back.
func (r *Result) judgeFilters(w *world, in Input, s ec2types.Subnet, paths map[string]dest) {
	groupIDs := in.SecurityGroups
	if len(groupIDs) == 0 {
		for gid, g := range w.groups {
			if aws.ToString(g.VpcId) == aws.ToString(s.VpcId) && aws.ToString(g.GroupName) == "default" {
				groupIDs = append(groupIDs, gid)
			}
		}
	}
	var blocked []string
	var aclProblems []string
	closed := map[string][]string{} // interface endpoint → services its groups keep out
	var closedOrder []string
	acl := w.aclOf(s)
	for _, n := range in.Needs {
		d, ok := paths[n.Service]
		if !ok {
			continue
		}
		if !w.egressAllows(groupIDs, d) {
			blocked = append(blocked, n.Service+" via "+d.via)
		}
		if d.endpoint != "" && !w.ingressAllows(d.groups, s, groupIDs) {
			if closed[d.endpoint] == nil {
				closedOrder = append(closedOrder, d.endpoint)
			}
			closed[d.endpoint] = append(closed[d.endpoint], n.Service)
		}
		if acl != nil {
			if rule, ok := aclVerdict(acl, true, d.addr, 443); !ok {
				aclProblems = append(aclProblems, fmt.Sprintf("denies outbound TCP 443 to %s for %s (%s)", d.addr, n.Service, rule))
			} else if rule, ok := aclVerdict(acl, false, d.addr, 49152); !ok {
				aclProblems = append(aclProblems, fmt.Sprintf("denies the answers from %s on ephemeral ports (1024-65535) for %s (%s)", d.addr, n.Service, rule))
			}
		}
	}
	id := aws.ToString(s.SubnetId)
	groups := strings.Join(groupIDs, ", ")
	if len(blocked) > 0 {
		r.addFinding(Finding{Subject: "SecurityGroups", Message: fmt.Sprintf("security groups %s allow no TCP 443 egress from %s to %s: add an egress rule for TCP 443 (to 0.0.0.0/0, or to the endpoints' VPC CIDR or security group)", groups, id, strings.Join(blocked, ", "))})
	} else if len(paths) > 0 {
		r.addFinding(Finding{Subject: "SecurityGroups", OK: true, Message: fmt.Sprintf("security groups %s allow TCP 443 egress", groups)})
	}
	for _, ep := range closedOrder {
		d := paths[closed[ep][0]]
		r.Findings = append(r.Findings, Finding{Subject: "Endpoint[" + ep + "]", Message: fmt.Sprintf(
			"security groups %s of endpoint %s (%s) allow no TCP 443 ingress from %s (%s) or from %s: add an ingress rule for TCP 443 from the VPC CIDR or the tasks' security group",
			strings.Join(d.groups, ", "), ep, strings.Join(closed[ep], ", "), id, aws.ToString(s.CidrBlock), groups)})
	}
	if len(aclProblems) > 0 {
		aclID := aws.ToString(acl.NetworkAclId)
		r.Findings = append(r.Findings, Finding{Subject: fmt.Sprintf("NetworkAcl[%s %s]", aclID, id), Message: fmt.Sprintf("network ACL %s of %s %s: allow it in the ACL", aclID, id, strings.Join(dedupe(aclProblems), "; "))})
	}
}

// addFinding keeps one security group finding: a failure replaces an OK,
// and further failures add their subnets to the message.
func (r *Result) addFinding(f Finding) {
	for i, g := range r.Findings {
		if g.Subject != f.Subject {
			continue
		}
		switch {
		case g.OK && !f.OK:
			r.Findings[i] = f
		case !g.OK && !f.OK && g.Message != f.Message:
			r.Findings = append(r.Findings, f)
		}
		return
	}
	r.Findings = append(r.Findings, f)
}

func dedupe(list []string) []string {
	var out []string
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func (w *world) aclOf(s ec2types.Subnet) *ec2types.NetworkAcl {
	for i, a := range w.acls {
		for _, as := range a.Associations {
			if aws.ToString(as.SubnetId) == aws.ToString(s.SubnetId) {
				return &w.acls[i]
			}
		}
	}
	for i, a := range w.acls {
		if aws.ToBool(a.IsDefault) && aws.ToString(a.VpcId) == aws.ToString(s.VpcId) {
			return &w.acls[i]
		}
	}
	return nil
}

func portCovers(p ec2types.IpPermission, port int32) bool {
	proto := aws.ToString(p.IpProtocol)
	if proto == "-1" || proto == "all" {
		return true
	}
	if proto != "tcp" && proto != "6" {
		return false
	}
	if p.FromPort == nil || p.ToPort == nil {
		return true
	}
	return aws.ToInt32(p.FromPort) <= port && port <= aws.ToInt32(p.ToPort)
}

func (w *world) egressAllows(groupIDs []string, d dest) bool {
	for _, gid := range groupIDs {
		g, ok := w.groups[gid]
		if !ok {
			continue
		}
		for _, p := range g.IpPermissionsEgress {
			if !portCovers(p, 443) {
				continue
			}
			for _, rg := range p.IpRanges {
				if c, err := netip.ParsePrefix(aws.ToString(rg.CidrIp)); err == nil && d.addr.IsValid() && c.Contains(d.addr) {
					return true
				}
			}
			for _, pl := range p.PrefixListIds {
				if d.prefixList != "" && aws.ToString(pl.PrefixListId) == d.prefixList {
					return true
				}
			}
			for _, peer := range p.UserIdGroupPairs {
				if slices.Contains(d.groups, aws.ToString(peer.GroupId)) {
					return true
				}
			}
		}
	}
	return false
}

// ingressAllows tells whether one of an interface endpoint's groups lets
// TCP 443 in from the task's subnet (a CIDR holding it) or its groups.
func (w *world) ingressAllows(endpointGroups []string, s ec2types.Subnet, taskGroups []string) bool {
	sp, err := netip.ParsePrefix(aws.ToString(s.CidrBlock))
	if err != nil {
		return true // cannot judge
	}
	for _, gid := range endpointGroups {
		g, ok := w.groups[gid]
		if !ok {
			return true // a group the Describe calls did not return: do not guess
		}
		for _, p := range g.IpPermissions {
			if !portCovers(p, 443) {
				continue
			}
			for _, rg := range p.IpRanges {
				if c, err := netip.ParsePrefix(aws.ToString(rg.CidrIp)); err == nil && c.Bits() <= sp.Bits() && c.Contains(sp.Addr()) {
					return true
				}
			}
			for _, peer := range p.UserIdGroupPairs {
				if slices.Contains(taskGroups, aws.ToString(peer.GroupId)) {
					return true
				}
			}
		}
	}
	return false
}

// aclVerdict evaluates a network ACL's entries in rule order for TCP to
// port at addr; it names the deciding rule.
func aclVerdict(acl *ec2types.NetworkAcl, egress bool, addr netip.Addr, port int32) (string, bool) {
	entries := slices.Clone(acl.Entries)
	sort.SliceStable(entries, func(i, j int) bool { return aws.ToInt32(entries[i].RuleNumber) < aws.ToInt32(entries[j].RuleNumber) })
	for _, e := range entries {
		if aws.ToBool(e.Egress) != egress {
			continue
		}
		proto := strings.ToLower(aws.ToString(e.Protocol))
		if proto != "-1" && proto != "6" && proto != "tcp" {
			continue
		}
		if proto != "-1" && e.PortRange != nil && (port < aws.ToInt32(e.PortRange.From) || port > aws.ToInt32(e.PortRange.To)) {
			continue
		}
		c, err := netip.ParsePrefix(aws.ToString(e.CidrBlock))
		if err != nil || !addr.IsValid() || !c.Contains(addr) {
			continue
		}
		rule := fmt.Sprintf("rule %d", aws.ToInt32(e.RuleNumber))
		if aws.ToInt32(e.RuleNumber) == 32767 {
			rule = "the final deny-all rule"
		}
		return rule, e.RuleAction == ec2types.RuleActionAllow
	}
	return "no rule", false
}
