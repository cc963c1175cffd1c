package awsemu

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ELBv2 load balancers, listeners and rules, with weighted forward actions:
// what ECS blue/green deployments shift traffic with. Target groups live in
// elb.go.

type elbListenerState struct {
	mu        sync.Mutex
	lbs       map[string]*loadBalancer // by ARN
	listeners map[string]*elbListener  // by ARN
	rules     map[string]*elbRule      // by ARN
	seq       int
}

type loadBalancer struct {
	arn, name, typ, scheme, dns, vpc string
	order                            int
}

type elbListener struct {
	arn, lbArn, protocol string
	port                 int32
	order                int
}

type elbRule struct {
	arn, listenerArn, priority string // priority "default" for a listener's default rule
	conditions                 []ruleCondition
	actions                    []ruleAction
	order                      int
}

type ruleCondition struct {
	Field  string
	Values []string
}

// ruleAction is a forward (the only kind ECS shifts) or any other type,
// kept as sent.
type ruleAction struct {
	Type    string
	Order   int32
	Targets []weightedTarget
	// Raw keeps the members of non-forward actions (redirect, fixed-response).
	Raw map[string]string
}

type weightedTarget struct {
	arn    string
	weight int32
}

func (e *Emulator) registerListenerOps() {
	st := &elbListenerState{lbs: map[string]*loadBalancer{}, listeners: map[string]*elbListener{}, rules: map[string]*elbRule{}}
	e.services.elbl = st
	h := &elbListenerOps{e: e, st: st}
	e.core.AddQueryOps("elasticloadbalancing", map[string]queryOp{
		"CreateTargetGroup":     h.createTargetGroup,
		"CreateLoadBalancer":    h.createLoadBalancer,
		"DescribeLoadBalancers": h.describeLoadBalancers,
		"CreateListener":        h.createListener,
		"DescribeListeners":     h.describeListeners,
		"ModifyListener":        h.modifyListener,
		"CreateRule":            h.createRule,
		"DescribeRules":         h.describeRules,
		"ModifyRule":            h.modifyRule,
		"DeleteRule":            h.deleteRule,
	})
}

type elbListenerOps struct {
	e  *Emulator
	st *elbListenerState
}

func (h *elbListenerOps) arn(kind, rest string) string {
	return fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:%s/%s", h.e.Region(), h.e.AccountID(), kind, rest)
}

func (h *elbListenerOps) createTargetGroup(c *call) (any, error) {
	name := c.Form.Get("Name")
	if name == "" || len(name) > 32 {
		return nil, apiErr("ValidationError", "Target group name '%s' cannot be longer than '32' characters", name)
	}
	port, _ := strconv.Atoi(c.Form.Get("Port"))
	arn, err := h.e.PutTargetGroup(TargetGroupSpec{Name: name, Port: int32(port), Protocol: c.Form.Get("Protocol"),
		TargetType: c.Form.Get("TargetType"), VpcID: c.Form.Get("VpcId"), HealthCheckPath: c.Form.Get("HealthCheckPath")})
	if err != nil {
		return nil, apiErr("ValidationError", "%s", err.Error())
	}
	s := h.e.services.elb
	s.mu.Lock()
	defer s.mu.Unlock()
	return struct {
		TargetGroups []targetGroupXML `xml:"TargetGroups>member"`
	}{[]targetGroupXML{s.groups[arn].xml()}}, nil
}

type loadBalancerXML struct {
	LoadBalancerArn       string `xml:"LoadBalancerArn"`
	DNSName               string `xml:"DNSName"`
	CanonicalHostedZoneId string `xml:"CanonicalHostedZoneId"`
	LoadBalancerName      string `xml:"LoadBalancerName"`
	Scheme                string `xml:"Scheme"`
	VpcId                 string `xml:"VpcId"`
	State                 struct {
		Code string `xml:"Code"`
	} `xml:"State"`
	Type          string `xml:"Type"`
	IpAddressType string `xml:"IpAddressType"`
}

func (lb *loadBalancer) xml() loadBalancerXML {
	x := loadBalancerXML{LoadBalancerArn: lb.arn, DNSName: lb.dns, CanonicalHostedZoneId: "Z35SXDOTRQ7X7K", LoadBalancerName: lb.name,
		Scheme: lb.scheme, VpcId: lb.vpc, Type: lb.typ, IpAddressType: "ipv4"}
	x.State.Code = "active"
	return x
}

func (h *elbListenerOps) createLoadBalancer(c *call) (any, error) {
	name := c.Form.Get("Name")
	if name == "" || len(name) > 32 || strings.HasPrefix(name, "internal-") {
		return nil, apiErr("ValidationError", "Load balancer name '%s' is not valid", name)
	}
	typ := c.Form.Get("Type")
	if typ == "" {
		typ = "application"
	}
	scheme := c.Form.Get("Scheme")
	if scheme == "" {
		scheme = "internet-facing"
	}
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	for _, lb := range h.st.lbs {
		if lb.name == name {
			// CreateLoadBalancer is idempotent for the same settings.
			return h.lbsOut([]*loadBalancer{lb}), nil
		}
	}
	id := h.e.newID(8)
	kind := map[string]string{"application": "app", "network": "net", "gateway": "gwy"}[typ]
	if kind == "" {
		return nil, apiErr("ValidationError", "Load balancer type '%s' is not valid", typ)
	}
	h.st.seq++
	lb := &loadBalancer{arn: h.arn("loadbalancer", kind+"/"+name+"/"+id), name: name, typ: typ, scheme: scheme,
		dns: fmt.Sprintf("%s-%s.%s.elb.amazonaws.com", name, id[:10], h.e.Region()), vpc: "vpc-0a1b2c3d4e5f67890", order: h.st.seq}
	h.st.lbs[lb.arn] = lb
	return h.lbsOut([]*loadBalancer{lb}), nil
}

func (h *elbListenerOps) lbsOut(lbs []*loadBalancer) any {
	out := struct {
		LoadBalancers []loadBalancerXML `xml:"LoadBalancers>member"`
	}{LoadBalancers: []loadBalancerXML{}}
	for _, lb := range lbs {
		out.LoadBalancers = append(out.LoadBalancers, lb.xml())
	}
	return out
}

func (h *elbListenerOps) describeLoadBalancers(c *call) (any, error) {
	arns, names := formList(c.Form, "LoadBalancerArns"), formList(c.Form, "Names")
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	var out []*loadBalancer
	for _, lb := range h.st.lbs {
		if (len(arns) == 0 && len(names) == 0) || hasString(arns, lb.arn) || hasString(names, lb.name) {
			out = append(out, lb)
		}
	}
	if len(out) < len(arns)+len(names) {
		return nil, apiErr("LoadBalancerNotFound", "One or more load balancers not found")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].order < out[j].order })
	return h.lbsOut(out), nil
}

// formActions reads Actions.member.N (forward with TargetGroupArn or
// ForwardConfig.TargetGroups, or any other type kept as sent).
func formActions(form url.Values, name string) ([]ruleAction, error) {
	var out []ruleAction
	for i := 1; ; i++ {
		p := fmt.Sprintf("%s.member.%d.", name, i)
		typ := form.Get(p + "Type")
		if typ == "" {
			break
		}
		a := ruleAction{Type: typ, Order: int32(i)}
		if o, err := strconv.Atoi(form.Get(p + "Order")); err == nil {
			a.Order = int32(o)
		}
		if typ != "forward" {
			a.Raw = map[string]string{}
			for k, v := range form {
				if strings.HasPrefix(k, p) && k != p+"Type" && k != p+"Order" {
					a.Raw[strings.TrimPrefix(k, p)] = v[0]
				}
			}
			out = append(out, a)
			continue
		}
		for j := 1; ; j++ {
			q := fmt.Sprintf("%sForwardConfig.TargetGroups.member.%d.", p, j)
			arn := form.Get(q + "TargetGroupArn")
			if arn == "" {
				break
			}
			w := int32(1)
			if s := form.Get(q + "Weight"); s != "" {
				n, err := strconv.Atoi(s)
				if err != nil || n < 0 || n > 999 {
					return nil, apiErr("ValidationError", "Target group weight must be between 0 and 999")
				}
				w = int32(n)
			}
			a.Targets = append(a.Targets, weightedTarget{arn: arn, weight: w})
		}
		if arn := form.Get(p + "TargetGroupArn"); arn != "" {
			if len(a.Targets) > 1 || (len(a.Targets) == 1 && a.Targets[0].arn != arn) {
				return nil, apiErr("ValidationError", "You cannot specify both a target group ARN and a forward config with different target groups")
			}
			if len(a.Targets) == 0 {
				a.Targets = []weightedTarget{{arn: arn, weight: 1}}
			}
		}
		if len(a.Targets) == 0 {
			return nil, apiErr("ValidationError", "A target group ARN must be specified")
		}
		out = append(out, a)
	}
	return out, nil
}

func formConditions(form url.Values) []ruleCondition {
	var out []ruleCondition
	for i := 1; ; i++ {
		p := fmt.Sprintf("Conditions.member.%d.", i)
		field := form.Get(p + "Field")
		if field == "" {
			return out
		}
		values := formList(form, p+"Values")
		for _, cfg := range []string{"PathPatternConfig", "HostHeaderConfig", "HttpRequestMethodConfig", "SourceIpConfig"} {
			values = append(values, formList(form, p+cfg+".Values")...)
		}
		out = append(out, ruleCondition{Field: field, Values: values})
	}
}

// checkTargets requires every forwarded target group to exist.
func (h *elbListenerOps) checkTargets(actions []ruleAction) error {
	for _, a := range actions {
		for _, t := range a.Targets {
			if !h.e.targetGroupExists(t.arn) {
				return tgNotFound()
			}
		}
	}
	return nil
}

type actionXML struct {
	Type                string            `xml:"Type"`
	TargetGroupArn      string            `xml:"TargetGroupArn,omitempty"`
	Order               int32             `xml:"Order"`
	ForwardConfig       *forwardConfigXML `xml:"ForwardConfig,omitempty"`
	FixedResponseConfig *fixedResponseXML `xml:"FixedResponseConfig,omitempty"`
}

type forwardConfigXML struct {
	TargetGroups []weightedTGXML `xml:"TargetGroups>member"`
	Stickiness   struct {
		Enabled bool `xml:"Enabled"`
	} `xml:"TargetGroupStickinessConfig"`
}

type weightedTGXML struct {
	TargetGroupArn string `xml:"TargetGroupArn"`
	Weight         int32  `xml:"Weight"`
}

type fixedResponseXML struct {
	StatusCode  string `xml:"StatusCode,omitempty"`
	ContentType string `xml:"ContentType,omitempty"`
	MessageBody string `xml:"MessageBody,omitempty"`
}

type conditionXML struct {
	Field  string   `xml:"Field"`
	Values []string `xml:"Values>member"`
}

func actionsXML(actions []ruleAction) []actionXML {
	out := []actionXML{}
	for _, a := range actions {
		x := actionXML{Type: a.Type, Order: a.Order}
		if a.Type == "forward" {
			if len(a.Targets) == 1 {
				x.TargetGroupArn = a.Targets[0].arn
			}
			x.ForwardConfig = &forwardConfigXML{}
			for _, t := range a.Targets {
				x.ForwardConfig.TargetGroups = append(x.ForwardConfig.TargetGroups, weightedTGXML{t.arn, t.weight})
			}
		}
		if a.Type == "fixed-response" {
			x.FixedResponseConfig = &fixedResponseXML{a.Raw["FixedResponseConfig.StatusCode"], a.Raw["FixedResponseConfig.ContentType"], a.Raw["FixedResponseConfig.MessageBody"]}
		}
		out = append(out, x)
	}
	return out
}

type listenerXML struct {
	ListenerArn     string      `xml:"ListenerArn"`
	LoadBalancerArn string      `xml:"LoadBalancerArn"`
	Port            int32       `xml:"Port"`
	Protocol        string      `xml:"Protocol"`
	DefaultActions  []actionXML `xml:"DefaultActions>member"`
}

func (h *elbListenerOps) listenerXML(l *elbListener) listenerXML {
	return listenerXML{ListenerArn: l.arn, LoadBalancerArn: l.lbArn, Port: l.port, Protocol: l.protocol,
		DefaultActions: actionsXML(h.st.rules[h.defaultRuleArn(l)].actions)}
}

func (h *elbListenerOps) defaultRuleArn(l *elbListener) string {
	return strings.Replace(l.arn, ":listener/", ":listener-rule/", 1) + "/default"
}

func (h *elbListenerOps) createListener(c *call) (any, error) {
	lbArn := c.Form.Get("LoadBalancerArn")
	port, err := strconv.Atoi(c.Form.Get("Port"))
	if err != nil || port < 1 || port > 65535 {
		return nil, apiErr("ValidationError", "1 validation error detected: Value '%s' at 'port' failed to satisfy constraint: Member must have value between 1 and 65535", c.Form.Get("Port"))
	}
	actions, err := formActions(c.Form, "DefaultActions")
	if err != nil {
		return nil, err
	}
	if len(actions) == 0 {
		return nil, apiErr("ValidationError", "A listener must have at least one default action")
	}
	if err := h.checkTargets(actions); err != nil {
		return nil, err
	}
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	lb := h.st.lbs[lbArn]
	if lb == nil {
		return nil, apiErr("LoadBalancerNotFound", "One or more load balancers not found")
	}
	for _, l := range h.st.listeners {
		if l.lbArn == lbArn && l.port == int32(port) {
			return nil, apiErr("DuplicateListener", "A listener already exists on this port for this load balancer '%s'", lbArn)
		}
	}
	protocol := c.Form.Get("Protocol")
	if protocol == "" {
		protocol = map[string]string{"application": "HTTP", "network": "TCP"}[lb.typ]
	}
	h.st.seq++
	lbPart := strings.SplitN(lbArn, ":loadbalancer/", 2)[1]
	l := &elbListener{arn: h.arn("listener", lbPart+"/"+h.e.newID(8)), lbArn: lbArn, port: int32(port), protocol: protocol, order: h.st.seq}
	h.st.listeners[l.arn] = l
	h.st.rules[h.defaultRuleArn(l)] = &elbRule{arn: h.defaultRuleArn(l), listenerArn: l.arn, priority: "default", actions: actions, order: h.st.seq}
	h.e.attach(lbArn, actions)
	return struct {
		Listeners []listenerXML `xml:"Listeners>member"`
	}{[]listenerXML{h.listenerXML(l)}}, nil
}

func (h *elbListenerOps) describeListeners(c *call) (any, error) {
	lbArn, arns := c.Form.Get("LoadBalancerArn"), formList(c.Form, "ListenerArns")
	if lbArn == "" && len(arns) == 0 {
		return nil, apiErr("ValidationError", "You must specify either listener ARNs or a load balancer ARN")
	}
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	if lbArn != "" && h.st.lbs[lbArn] == nil {
		return nil, apiErr("LoadBalancerNotFound", "One or more load balancers not found")
	}
	var ls []*elbListener
	for _, l := range h.st.listeners {
		if (lbArn != "" && l.lbArn == lbArn) || hasString(arns, l.arn) {
			ls = append(ls, l)
		}
	}
	if len(arns) > 0 && len(ls) < len(arns) {
		return nil, apiErr("ListenerNotFound", "One or more listeners not found")
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].order < ls[j].order })
	out := struct {
		Listeners []listenerXML `xml:"Listeners>member"`
	}{Listeners: []listenerXML{}}
	for _, l := range ls {
		out.Listeners = append(out.Listeners, h.listenerXML(l))
	}
	return out, nil
}

func (h *elbListenerOps) modifyListener(c *call) (any, error) {
	actions, err := formActions(c.Form, "DefaultActions")
	if err != nil {
		return nil, err
	}
	if err := h.checkTargets(actions); err != nil {
		return nil, err
	}
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	l := h.st.listeners[c.Form.Get("ListenerArn")]
	if l == nil {
		return nil, apiErr("ListenerNotFound", "One or more listeners not found")
	}
	if p, err := strconv.Atoi(c.Form.Get("Port")); err == nil {
		l.port = int32(p)
	}
	if p := c.Form.Get("Protocol"); p != "" {
		l.protocol = p
	}
	if len(actions) > 0 {
		h.st.rules[h.defaultRuleArn(l)].actions = actions
		h.e.attach(l.lbArn, actions)
	}
	return struct {
		Listeners []listenerXML `xml:"Listeners>member"`
	}{[]listenerXML{h.listenerXML(l)}}, nil
}

type ruleXML struct {
	RuleArn    string         `xml:"RuleArn"`
	Priority   string         `xml:"Priority"`
	Conditions []conditionXML `xml:"Conditions>member"`
	Actions    []actionXML    `xml:"Actions>member"`
	IsDefault  bool           `xml:"IsDefault"`
}

func (r *elbRule) xml() ruleXML {
	x := ruleXML{RuleArn: r.arn, Priority: r.priority, Actions: actionsXML(r.actions), IsDefault: r.priority == "default"}
	x.Conditions = []conditionXML{}
	for _, c := range r.conditions {
		x.Conditions = append(x.Conditions, conditionXML{c.Field, c.Values})
	}
	return x
}

func rulesOut(rules []*elbRule) any {
	out := struct {
		Rules []ruleXML `xml:"Rules>member"`
	}{Rules: []ruleXML{}}
	for _, r := range rules {
		out.Rules = append(out.Rules, r.xml())
	}
	return out
}

func (h *elbListenerOps) createRule(c *call) (any, error) {
	prio, err := strconv.Atoi(c.Form.Get("Priority"))
	if err != nil || prio < 1 || prio > 50000 {
		return nil, apiErr("ValidationError", "1 validation error detected: Value '%s' at 'priority' failed to satisfy constraint: Member must have value between 1 and 50000", c.Form.Get("Priority"))
	}
	conds := formConditions(c.Form)
	if len(conds) == 0 {
		return nil, apiErr("ValidationError", "A rule must have at least one condition")
	}
	actions, err := formActions(c.Form, "Actions")
	if err != nil {
		return nil, err
	}
	if len(actions) == 0 {
		return nil, apiErr("ValidationError", "A rule must have at least one action")
	}
	if err := h.checkTargets(actions); err != nil {
		return nil, err
	}
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	l := h.st.listeners[c.Form.Get("ListenerArn")]
	if l == nil {
		return nil, apiErr("ListenerNotFound", "One or more listeners not found")
	}
	for _, r := range h.st.rules {
		if r.listenerArn == l.arn && r.priority == strconv.Itoa(prio) {
			return nil, apiErr("PriorityInUse", "Priority '%d' is currently in use", prio)
		}
	}
	h.st.seq++
	lPart := strings.SplitN(l.arn, ":listener/", 2)[1]
	r := &elbRule{arn: h.arn("listener-rule", lPart+"/"+h.e.newID(8)), listenerArn: l.arn, priority: strconv.Itoa(prio),
		conditions: conds, actions: actions, order: h.st.seq}
	h.st.rules[r.arn] = r
	h.e.attach(l.lbArn, actions)
	return rulesOut([]*elbRule{r}), nil
}

func (h *elbListenerOps) describeRules(c *call) (any, error) {
	lArn, arns := c.Form.Get("ListenerArn"), formList(c.Form, "RuleArns")
	if lArn == "" && len(arns) == 0 {
		return nil, apiErr("ValidationError", "You must specify either listener rule ARNs or a listener ARN")
	}
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	if lArn != "" && h.st.listeners[lArn] == nil {
		return nil, apiErr("ListenerNotFound", "One or more listeners not found")
	}
	var rules []*elbRule
	for _, r := range h.st.rules {
		if (lArn != "" && r.listenerArn == lArn) || hasString(arns, r.arn) {
			rules = append(rules, r)
		}
	}
	if len(arns) > 0 && len(rules) < len(arns) {
		return nil, apiErr("RuleNotFound", "One or more rules not found")
	}
	sort.Slice(rules, func(i, j int) bool {
		pi, ei := strconv.Atoi(rules[i].priority)
		pj, ej := strconv.Atoi(rules[j].priority)
		if (ei != nil) != (ej != nil) {
			return ej != nil // numbered rules before the default rule
		}
		return pi < pj
	})
	return rulesOut(rules), nil
}

func (h *elbListenerOps) modifyRule(c *call) (any, error) {
	actions, err := formActions(c.Form, "Actions")
	if err != nil {
		return nil, err
	}
	if err := h.checkTargets(actions); err != nil {
		return nil, err
	}
	conds := formConditions(c.Form)
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	r := h.st.rules[c.Form.Get("RuleArn")]
	if r == nil {
		return nil, apiErr("RuleNotFound", "One or more rules not found")
	}
	if len(actions) > 0 {
		r.actions = actions
		if l := h.st.listeners[r.listenerArn]; l != nil {
			h.e.attach(l.lbArn, actions)
		}
	}
	if len(conds) > 0 {
		if r.priority == "default" {
			return nil, apiErr("OperationNotPermitted", "Conditions cannot be specified for a default rule")
		}
		r.conditions = conds
	}
	return rulesOut([]*elbRule{r}), nil
}

func (h *elbListenerOps) deleteRule(c *call) (any, error) {
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	r := h.st.rules[c.Form.Get("RuleArn")]
	if r == nil {
		return nil, apiErr("RuleNotFound", "One or more rules not found")
	}
	if r.priority == "default" {
		return nil, apiErr("OperationNotPermitted", "Default rule '%s' cannot be deleted", r.arn)
	}
	delete(h.st.rules, r.arn)
	return struct{}{}, nil
}

// --- what ECS uses ---

// ruleExists tells whether arn is a listener rule or (for NLBs) a listener.
func (e *Emulator) listenerRuleExists(arn string) bool {
	st := e.services.elbl
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.rules[arn] != nil || st.listeners[arn] != nil
}

// ruleTarget is the rule arn names, or a listener's default rule.
func (st *elbListenerState) ruleFor(arn string) *elbRule {
	if r := st.rules[arn]; r != nil {
		return r
	}
	if l := st.listeners[arn]; l != nil {
		return st.rules[strings.Replace(l.arn, ":listener/", ":listener-rule/", 1)+"/default"]
	}
	return nil
}

// setForwardWeights makes the forward action of rule (or listener) arn send
// greenPct percent to green and the rest to blue, as ECS does during a
// traffic shift.
func (e *Emulator) setForwardWeights(arn, blue, green string, greenPct int32) {
	st := e.services.elbl
	st.mu.Lock()
	defer st.mu.Unlock()
	r := st.ruleFor(arn)
	if r == nil {
		return
	}
	fw := ruleAction{Type: "forward", Order: 1, Targets: []weightedTarget{{arn: blue, weight: 100 - greenPct}, {arn: green, weight: greenPct}}}
	for i, a := range r.actions {
		if a.Type == "forward" {
			fw.Order = a.Order
			r.actions[i] = fw
			return
		}
	}
	r.actions = append(r.actions, fw)
}

// ForwardWeights returns the weights the forward action of rule (or
// listener) arn gives each target group.
func (e *Emulator) ForwardWeights(arn string) map[string]int32 {
	st := e.services.elbl
	st.mu.Lock()
	defer st.mu.Unlock()
	out := map[string]int32{}
	if r := st.ruleFor(arn); r != nil {
		for _, a := range r.actions {
			for _, t := range a.Targets {
				out[t.arn] += t.weight
			}
		}
	}
	return out
}

// LoadBalancerSpec describes a load balancer to seed, with its listeners
// and their rules. IDs (hex) make the ARNs predictable for definition files;
// they are generated when empty.
type LoadBalancerSpec struct {
	Name string `json:"name" yaml:"name"`
	// Type: application (default) or network.
	Type      string         `json:"type,omitempty" yaml:"type,omitempty"`
	ID        string         `json:"id,omitempty" yaml:"id,omitempty"`
	Listeners []ListenerSpec `json:"listeners,omitempty" yaml:"listeners,omitempty"`
}

// ListenerSpec is a seeded listener; Forward names the target group its
// default action forwards to (none: a fixed 404 response).
type ListenerSpec struct {
	Port     int32              `json:"port" yaml:"port"`
	Protocol string             `json:"protocol,omitempty" yaml:"protocol,omitempty"`
	ID       string             `json:"id,omitempty" yaml:"id,omitempty"`
	Forward  string             `json:"forward,omitempty" yaml:"forward,omitempty"`
	Rules    []ListenerRuleSpec `json:"rules,omitempty" yaml:"rules,omitempty"`
}

// ListenerRuleSpec is a seeded rule forwarding PathPattern (default "/*")
// to the target group named Forward.
type ListenerRuleSpec struct {
	Priority    int    `json:"priority" yaml:"priority"`
	ID          string `json:"id,omitempty" yaml:"id,omitempty"`
	PathPattern string `json:"pathPattern,omitempty" yaml:"pathPattern,omitempty"`
	Forward     string `json:"forward" yaml:"forward"`
}

// PutLoadBalancer creates a load balancer with its listeners and rules and
// returns its ARN. Target groups are named, and must exist.
func (e *Emulator) PutLoadBalancer(spec LoadBalancerSpec) (string, error) {
	h := &elbListenerOps{e: e, st: e.services.elbl}
	if spec.Name == "" {
		return "", fmt.Errorf("put load balancer: name is empty")
	}
	if spec.Type == "" {
		spec.Type = "application"
	}
	kind := map[string]string{"application": "app", "network": "net"}[spec.Type]
	if kind == "" {
		return "", fmt.Errorf("put load balancer %s: type %q is not application or network", spec.Name, spec.Type)
	}
	id := func(s string) string {
		if s != "" {
			return s
		}
		return e.newID(8)
	}
	forward := func(tgName string) ([]ruleAction, error) {
		if tgName == "" {
			return []ruleAction{{Type: "fixed-response", Order: 1, Raw: map[string]string{"FixedResponseConfig.StatusCode": "404"}}}, nil
		}
		arn := e.TargetGroupARN(tgName)
		if arn == "" {
			return nil, fmt.Errorf("target group %s does not exist", tgName)
		}
		return []ruleAction{{Type: "forward", Order: 1, Targets: []weightedTarget{{arn: arn, weight: 1}}}}, nil
	}
	st := h.st
	st.mu.Lock()
	defer st.mu.Unlock()
	lbID := id(spec.ID)
	st.seq++
	lb := &loadBalancer{arn: h.arn("loadbalancer", kind+"/"+spec.Name+"/"+lbID), name: spec.Name, typ: spec.Type, scheme: "internet-facing",
		dns: fmt.Sprintf("%s-%s.%s.elb.amazonaws.com", spec.Name, lbID, e.Region()), vpc: "vpc-0a1b2c3d4e5f67890", order: st.seq}
	st.lbs[lb.arn] = lb
	for _, ls := range spec.Listeners {
		actions, err := forward(ls.Forward)
		if err != nil {
			return "", fmt.Errorf("put load balancer %s: listener %d: %w", spec.Name, ls.Port, err)
		}
		protocol := ls.Protocol
		if protocol == "" {
			protocol = map[string]string{"application": "HTTP", "network": "TCP"}[spec.Type]
		}
		st.seq++
		l := &elbListener{arn: h.arn("listener", kind+"/"+spec.Name+"/"+lbID+"/"+id(ls.ID)), lbArn: lb.arn, port: ls.Port, protocol: protocol, order: st.seq}
		st.listeners[l.arn] = l
		st.rules[h.defaultRuleArn(l)] = &elbRule{arn: h.defaultRuleArn(l), listenerArn: l.arn, priority: "default", actions: actions, order: st.seq}
		e.attach(lb.arn, actions)
		for _, rs := range ls.Rules {
			actions, err := forward(rs.Forward)
			if err != nil {
				return "", fmt.Errorf("put load balancer %s: listener %d rule %d: %w", spec.Name, ls.Port, rs.Priority, err)
			}
			path := rs.PathPattern
			if path == "" {
				path = "/*"
			}
			st.seq++
			lPart := strings.SplitN(l.arn, ":listener/", 2)[1]
			r := &elbRule{arn: h.arn("listener-rule", lPart+"/"+id(rs.ID)), listenerArn: l.arn, priority: strconv.Itoa(rs.Priority),
				conditions: []ruleCondition{{Field: "path-pattern", Values: []string{path}}}, actions: actions, order: st.seq}
			st.rules[r.arn] = r
			e.attach(lb.arn, actions)
		}
	}
	return lb.arn, nil
}

// attach records that lbArn forwards to the target groups of actions, as
// DescribeTargetGroups' LoadBalancerArns shows. Called with st.mu held.
func (e *Emulator) attach(lbArn string, actions []ruleAction) {
	s := e.services.elb
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range actions {
		for _, t := range a.Targets {
			if g := s.groups[t.arn]; g != nil && !hasString(g.spec.LoadBalancerArns, lbArn) {
				g.spec.LoadBalancerArns = append(g.spec.LoadBalancerArns, lbArn)
			}
		}
	}
}
