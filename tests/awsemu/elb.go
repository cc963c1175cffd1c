package awsemu

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"
)

// elbService is Elastic Load Balancing v2, as far as ECS services use it:
// target groups and the health of their registered targets.
type elbService struct {
	e      *Emulator
	mu     sync.Mutex
	groups map[string]*targetGroup // by ARN
}

type targetGroup struct {
	arn     string
	spec    TargetGroupSpec
	targets map[string]*targetHealth // by "id:port"
	order   int
	// attrs are the target group attributes (DescribeTargetGroupAttributes).
	attrs map[string]string
}

type targetHealth struct {
	id          string
	port        int32
	state       string
	reason      string
	description string
}

// TargetGroupSpec describes a target group to seed.
type TargetGroupSpec struct {
	Name string `json:"name" yaml:"name"`
	// Port defaults to 80, Protocol to HTTP, TargetType to ip.
	Port             int32    `json:"port,omitempty" yaml:"port,omitempty"`
	Protocol         string   `json:"protocol,omitempty" yaml:"protocol,omitempty"`
	TargetType       string   `json:"targetType,omitempty" yaml:"targetType,omitempty"`
	VpcID            string   `json:"vpcId,omitempty" yaml:"vpcId,omitempty"`
	HealthCheckPath  string   `json:"healthCheckPath,omitempty" yaml:"healthCheckPath,omitempty"`
	LoadBalancerArns []string `json:"loadBalancerArns,omitempty" yaml:"loadBalancerArns,omitempty"`
	// ID is the last part of the ARN (16 hex digits); generated when empty.
	// Set it to match an ARN that a Terraform state or a definition holds.
	ID string `json:"id,omitempty" yaml:"id,omitempty"`
	// Attributes override the target group attributes, as
	// ModifyTargetGroupAttributes would, e.g.
	// {"deregistration_delay.timeout_seconds": "30"} (AWS's default is 300).
	Attributes map[string]string `json:"attributes,omitempty" yaml:"attributes,omitempty"`
}

// defaultDeregistrationDelay is ELB's deregistration_delay.timeout_seconds
// default: how long a deregistering target drains before ECS stops it.
const defaultDeregistrationDelay = 300 * time.Second

// defaultTargetGroupAttributes are the attributes of a new target group, as
// AWS documents them for each protocol family.
func defaultTargetGroupAttributes(spec TargetGroupSpec) map[string]string {
	a := map[string]string{
		"deregistration_delay.timeout_seconds": strconv.Itoa(int(defaultDeregistrationDelay / time.Second)),
		"stickiness.enabled":                   "false",
	}
	switch spec.Protocol {
	case "HTTP", "HTTPS":
		a["stickiness.type"] = "lb_cookie"
		a["stickiness.lb_cookie.duration_seconds"] = "86400"
		a["slow_start.duration_seconds"] = "0"
		a["load_balancing.algorithm.type"] = "round_robin"
		a["load_balancing.cross_zone.enabled"] = "use_load_balancer_configuration"
	default: // TCP, UDP, TLS, TCP_UDP: a Network Load Balancer's
		a["stickiness.type"] = "source_ip"
		a["deregistration_delay.connection_termination.enabled"] = "false"
		a["preserve_client_ip.enabled"] = strconv.FormatBool(spec.TargetType != "ip")
		a["proxy_protocol_v2.enabled"] = "false"
	}
	return a
}

// setTargetGroupAttributes checks and applies attribute changes: the keys
// must exist for the target group's protocol, the delay must be 0-3600 s.
func setTargetGroupAttributes(g *targetGroup, changes map[string]string) *APIError {
	for _, k := range sortedKeys(changes) {
		v := changes[k]
		if _, ok := g.attrs[k]; !ok {
			return apiErr("ValidationError", "Target group attribute key '%s' is not recognized", k)
		}
		if k == "deregistration_delay.timeout_seconds" {
			if n, err := strconv.Atoi(v); err != nil || n < 0 || n > 3600 {
				return apiErr("ValidationError", "Target group attribute key 'deregistration_delay.timeout_seconds' must be an integer between 0 and 3600, got '%s'", v)
			}
		}
	}
	for k, v := range changes {
		g.attrs[k] = v
	}
	return nil
}

// deregistrationDelay is the longest deregistration delay of the given
// target groups (0 when none of them exists).
func (e *Emulator) deregistrationDelay(arns []string) time.Duration {
	s := e.services.elb
	s.mu.Lock()
	defer s.mu.Unlock()
	var longest time.Duration
	for _, arn := range arns {
		g := s.groups[arn]
		if g == nil {
			continue
		}
		n, _ := strconv.Atoi(g.attrs["deregistration_delay.timeout_seconds"])
		longest = max(longest, time.Duration(n)*time.Second)
	}
	return longest
}

const elbXMLNS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"

func newELBService(e *Emulator) *elbService {
	s := &elbService{e: e, groups: map[string]*targetGroup{}}
	e.addQueryService("elasticloadbalancing", "ELBv2", elbXMLNS, "2015-12-01", map[string]queryOp{
		"DescribeTargetGroups": s.describeTargetGroups,
		"DescribeTargetHealth": s.describeTargetHealth,
		"RegisterTargets":      s.registerTargets,
		"DeregisterTargets":    s.deregisterTargets,

		"DescribeTargetGroupAttributes": s.describeTargetGroupAttributes,
		"ModifyTargetGroupAttributes":   s.modifyTargetGroupAttributes,
	})
	return s
}

// PutTargetGroup creates (or replaces, keeping its ARN) a target group and
// returns its ARN.
func (e *Emulator) PutTargetGroup(spec TargetGroupSpec) (string, error) {
	if spec.Name == "" || len(spec.Name) > 32 {
		return "", fmt.Errorf("put target group %q: name must have 1 to 32 characters", spec.Name)
	}
	if spec.Port == 0 {
		spec.Port = 80
	}
	if spec.Protocol == "" {
		spec.Protocol = "HTTP"
	}
	if spec.TargetType == "" {
		spec.TargetType = "ip"
	}
	if spec.VpcID == "" {
		spec.VpcID = "vpc-0a1b2c3d4e5f67890"
	}
	if spec.HealthCheckPath == "" && (spec.Protocol == "HTTP" || spec.Protocol == "HTTPS") {
		spec.HealthCheckPath = "/"
	}
	s := e.services.elb
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.groups {
		if g.spec.Name == spec.Name {
			g.spec = spec
			if err := setTargetGroupAttributes(g, spec.Attributes); err != nil {
				return "", fmt.Errorf("put target group %q: %s", spec.Name, err.Message)
			}
			return g.arn, nil
		}
	}
	id := spec.ID
	if id == "" {
		id = e.newID(8)
	}
	arn := fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s", e.Region(), e.AccountID(), spec.Name, id)
	g := &targetGroup{arn: arn, spec: spec, targets: map[string]*targetHealth{}, order: len(s.groups), attrs: defaultTargetGroupAttributes(spec)}
	if err := setTargetGroupAttributes(g, spec.Attributes); err != nil {
		return "", fmt.Errorf("put target group %q: %s", spec.Name, err.Message)
	}
	s.groups[arn] = g
	return arn, nil
}

// TargetGroupARN returns the ARN of the named target group ("" if none).
func (e *Emulator) TargetGroupARN(name string) string {
	s := e.services.elb
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.groups {
		if g.spec.Name == name {
			return g.arn
		}
	}
	return ""
}

// targetGroupExists lets ECS validate a service's loadBalancers.
func (e *Emulator) targetGroupExists(arn string) bool {
	s := e.services.elb
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.groups[arn] != nil
}

// SetTargetHealth registers (or updates) a target with a health state:
// initial, healthy, unhealthy, draining, unused or unavailable. ECS moves its
// tasks' IPs through these as they start and drain.
func (e *Emulator) SetTargetHealth(targetGroupARN, id string, port int32, state string) error {
	s := e.services.elb
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[targetGroupARN]
	if g == nil {
		return fmt.Errorf("set target health: target group %s does not exist", targetGroupARN)
	}
	if port == 0 {
		port = g.spec.Port
	}
	th := &targetHealth{id: id, port: port, state: state}
	switch state {
	case "initial":
		th.reason, th.description = "Elb.RegistrationInProgress", "Target registration is in progress"
	case "unhealthy":
		th.reason, th.description = "Target.FailedHealthChecks", "Health checks failed"
	case "draining":
		th.reason, th.description = "Target.DeregistrationInProgress", "Target deregistration is in progress"
	}
	g.targets[id+":"+strconv.Itoa(int(port))] = th
	return nil
}

// DeregisterTarget removes a target from a target group.
func (e *Emulator) DeregisterTarget(targetGroupARN, id string, port int32) {
	s := e.services.elb
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.groups[targetGroupARN]; g != nil {
		if port == 0 {
			port = g.spec.Port
		}
		delete(g.targets, id+":"+strconv.Itoa(int(port)))
	}
}

type targetGroupXML struct {
	TargetGroupArn             string   `xml:"TargetGroupArn"`
	TargetGroupName            string   `xml:"TargetGroupName"`
	Protocol                   string   `xml:"Protocol,omitempty"`
	Port                       int32    `xml:"Port,omitempty"`
	VpcId                      string   `xml:"VpcId,omitempty"`
	HealthCheckProtocol        string   `xml:"HealthCheckProtocol,omitempty"`
	HealthCheckPort            string   `xml:"HealthCheckPort"`
	HealthCheckEnabled         bool     `xml:"HealthCheckEnabled"`
	HealthCheckIntervalSeconds int      `xml:"HealthCheckIntervalSeconds"`
	HealthCheckTimeoutSeconds  int      `xml:"HealthCheckTimeoutSeconds"`
	HealthyThresholdCount      int      `xml:"HealthyThresholdCount"`
	UnhealthyThresholdCount    int      `xml:"UnhealthyThresholdCount"`
	HealthCheckPath            string   `xml:"HealthCheckPath,omitempty"`
	MatcherHTTPCode            string   `xml:"Matcher>HttpCode,omitempty"`
	LoadBalancerArns           []string `xml:"LoadBalancerArns>member"`
	TargetType                 string   `xml:"TargetType"`
	ProtocolVersion            string   `xml:"ProtocolVersion,omitempty"`
	IpAddressType              string   `xml:"IpAddressType"`
}

func (g *targetGroup) xml() targetGroupXML {
	x := targetGroupXML{
		TargetGroupArn: g.arn, TargetGroupName: g.spec.Name, Protocol: g.spec.Protocol, Port: g.spec.Port, VpcId: g.spec.VpcID,
		HealthCheckProtocol: g.spec.Protocol, HealthCheckPort: "traffic-port", HealthCheckEnabled: true,
		HealthCheckIntervalSeconds: 30, HealthCheckTimeoutSeconds: 5, HealthyThresholdCount: 5, UnhealthyThresholdCount: 2,
		HealthCheckPath: g.spec.HealthCheckPath, LoadBalancerArns: g.spec.LoadBalancerArns, TargetType: g.spec.TargetType,
		IpAddressType: "ipv4",
	}
	if x.LoadBalancerArns == nil {
		x.LoadBalancerArns = []string{}
	}
	if g.spec.Protocol == "HTTP" || g.spec.Protocol == "HTTPS" {
		x.MatcherHTTPCode, x.ProtocolVersion = "200", "HTTP1"
	}
	if g.spec.Protocol == "TCP" || g.spec.Protocol == "UDP" || g.spec.Protocol == "TLS" {
		x.HealthCheckProtocol = "TCP"
	}
	return x
}

func tgNotFound() *APIError {
	return apiErr("TargetGroupNotFound", "One or more target groups not found")
}

func (s *elbService) describeTargetGroups(c *call) (any, error) {
	arns, names := formList(c.Form, "TargetGroupArns"), formList(c.Form, "Names")
	if len(arns) > 0 && len(names) > 0 {
		return nil, apiErr("ValidationError", "Target group names and target group ARNs cannot be specified at the same time")
	}
	lbARN := c.Form.Get("LoadBalancerArn")
	s.mu.Lock()
	defer s.mu.Unlock()
	var groups []*targetGroup
	switch {
	case len(arns) > 0:
		for _, a := range arns {
			g := s.groups[a]
			if g == nil {
				return nil, tgNotFound()
			}
			groups = append(groups, g)
		}
	case len(names) > 0:
		for _, n := range names {
			var found *targetGroup
			for _, g := range s.groups {
				if g.spec.Name == n {
					found = g
				}
			}
			if found == nil {
				return nil, tgNotFound()
			}
			groups = append(groups, found)
		}
	default:
		for _, g := range s.groups {
			if lbARN == "" || hasString(g.spec.LoadBalancerArns, lbARN) {
				groups = append(groups, g)
			}
		}
		sort.Slice(groups, func(i, j int) bool { return groups[i].order < groups[j].order })
	}
	var pageSize *int32
	if ps := c.Form.Get("PageSize"); ps != "" {
		n, err := strconv.Atoi(ps)
		if err != nil || n < 1 || n > 400 {
			return nil, apiErr("ValidationError", "1 validation error detected: Value '%s' at 'pageSize' failed to satisfy constraint: Member must have value less than or equal to 400", ps)
		}
		pageSize = new(int32(n))
	}
	var marker *string
	if m := c.Form.Get("Marker"); m != "" {
		marker = &m
	}
	pg, next, err := pageOf(groups, pageSize, marker, 400)
	if err != nil {
		return nil, err
	}
	out := struct {
		TargetGroups []targetGroupXML `xml:"TargetGroups>member"`
		NextMarker   string           `xml:"NextMarker,omitempty"`
	}{TargetGroups: []targetGroupXML{}}
	for _, g := range pg {
		out.TargetGroups = append(out.TargetGroups, g.xml())
	}
	if next != nil {
		out.NextMarker = *next
	}
	return out, nil
}

type targetDescXML struct {
	Target struct {
		Id   string `xml:"Id"`
		Port int32  `xml:"Port"`
	} `xml:"Target"`
	HealthCheckPort string `xml:"HealthCheckPort"`
	TargetHealth    struct {
		State       string `xml:"State"`
		Reason      string `xml:"Reason,omitempty"`
		Description string `xml:"Description,omitempty"`
	} `xml:"TargetHealth"`
}

// formTargets reads Targets.member.N.Id / .Port.
func formTargets(form url.Values) []targetHealth {
	var out []targetHealth
	for i := 1; ; i++ {
		id := form.Get(fmt.Sprintf("Targets.member.%d.Id", i))
		if id == "" {
			return out
		}
		port, _ := strconv.Atoi(form.Get(fmt.Sprintf("Targets.member.%d.Port", i)))
		out = append(out, targetHealth{id: id, port: int32(port)})
	}
}

func (s *elbService) describeTargetHealth(c *call) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[c.Form.Get("TargetGroupArn")]
	if g == nil {
		return nil, tgNotFound()
	}
	desc := func(th *targetHealth) targetDescXML {
		var d targetDescXML
		d.Target.Id, d.Target.Port, d.HealthCheckPort = th.id, th.port, strconv.Itoa(int(th.port))
		d.TargetHealth.State, d.TargetHealth.Reason, d.TargetHealth.Description = th.state, th.reason, th.description
		return d
	}
	out := struct {
		TargetHealthDescriptions []targetDescXML `xml:"TargetHealthDescriptions>member"`
	}{TargetHealthDescriptions: []targetDescXML{}}
	if asked := formTargets(c.Form); len(asked) > 0 {
		for _, t := range asked {
			if t.port == 0 {
				t.port = g.spec.Port
			}
			th := g.targets[t.id+":"+strconv.Itoa(int(t.port))]
			if th == nil {
				th = &targetHealth{id: t.id, port: t.port, state: "unused", reason: "Target.NotRegistered", description: "Target is not registered to the target group"}
			}
			out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, desc(th))
		}
		return out, nil
	}
	for _, k := range sortedKeys(g.targets) {
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, desc(g.targets[k]))
	}
	return out, nil
}

func (s *elbService) registerTargets(c *call) (any, error) {
	arn := c.Form.Get("TargetGroupArn")
	if !s.e.targetGroupExists(arn) {
		return nil, tgNotFound()
	}
	for _, t := range formTargets(c.Form) {
		// New targets start in "initial" while the first health checks run.
		if err := s.e.SetTargetHealth(arn, t.id, t.port, "initial"); err != nil {
			return nil, err
		}
	}
	return struct{}{}, nil
}

func (s *elbService) deregisterTargets(c *call) (any, error) {
	arn := c.Form.Get("TargetGroupArn")
	if !s.e.targetGroupExists(arn) {
		return nil, tgNotFound()
	}
	for _, t := range formTargets(c.Form) {
		s.e.DeregisterTarget(arn, t.id, t.port)
	}
	return struct{}{}, nil
}

type attributeXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

func (g *targetGroup) attributesXML() any {
	out := struct {
		Attributes []attributeXML `xml:"Attributes>member"`
	}{Attributes: []attributeXML{}}
	for _, k := range sortedKeys(g.attrs) {
		out.Attributes = append(out.Attributes, attributeXML{Key: k, Value: g.attrs[k]})
	}
	return out
}

func (s *elbService) describeTargetGroupAttributes(c *call) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[c.Form.Get("TargetGroupArn")]
	if g == nil {
		return nil, tgNotFound()
	}
	return g.attributesXML(), nil
}

func (s *elbService) modifyTargetGroupAttributes(c *call) (any, error) {
	changes := map[string]string{}
	for i := 1; ; i++ {
		k, ok := c.Form[fmt.Sprintf("Attributes.member.%d.Key", i)]
		if !ok {
			break
		}
		changes[k[0]] = c.Form.Get(fmt.Sprintf("Attributes.member.%d.Value", i))
	}
	if len(changes) == 0 {
		return nil, apiErr("ValidationError", "1 validation error detected: Value null at 'attributes' failed to satisfy constraint: Member must not be null")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[c.Form.Get("TargetGroupArn")]
	if g == nil {
		return nil, tgNotFound()
	}
	if err := setTargetGroupAttributes(g, changes); err != nil {
		return nil, err
	}
	return g.attributesXML(), nil
}
