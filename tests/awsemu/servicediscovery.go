package awsemu

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
)

// sdService is AWS Cloud Map (servicediscovery): the namespaces ECS Service
// Connect refers to, and the services ECS service discovery registers tasks
// in (serviceRegistries). Instances are not modelled.
type sdService struct {
	e          *Emulator
	mu         sync.Mutex
	namespaces map[string]*sdtypes.Namespace // by ID
	vpcs       map[string]string             // private DNS namespace ID -> VPC
	services   map[string]*sdtypes.Service   // by ID
	operations map[string]*sdtypes.Operation // by ID
	tags       map[string]map[string]string  // by resource ARN
}

// NamespaceSpec describes a Cloud Map namespace to seed.
type NamespaceSpec struct {
	Name string `json:"name" yaml:"name"`
	// Type is HTTP (default), DNS_PRIVATE or DNS_PUBLIC.
	Type        string `json:"type,omitempty" yaml:"type,omitempty"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// VPC is the VPC of a DNS_PRIVATE namespace.
	VPC string `json:"vpc,omitempty" yaml:"vpc,omitempty"`
	// Services are Cloud Map services created in the namespace.
	Services []CloudMapServiceSpec `json:"services,omitempty" yaml:"services,omitempty"`
}

// ServiceDiscoverySeed lists Cloud Map namespaces.
type ServiceDiscoverySeed struct {
	Namespaces []NamespaceSpec `json:"namespaces,omitempty" yaml:"namespaces,omitempty"`
}

func newServiceDiscoveryService(e *Emulator) *sdService {
	s := &sdService{e: e, namespaces: map[string]*sdtypes.Namespace{}, vpcs: map[string]string{},
		services: map[string]*sdtypes.Service{}, operations: map[string]*sdtypes.Operation{}}
	e.addJSONService("Route53AutoNaming_v20170314", "ServiceDiscovery", false, map[string]jsonOp{
		"GetNamespace":              op(s.getNamespace),
		"ListNamespaces":            op(s.listNamespaces),
		"CreateHttpNamespace":       op(s.createHTTPNamespace),
		"CreatePrivateDnsNamespace": op(s.createPrivateDNSNamespace),
		"CreatePublicDnsNamespace":  op(s.createPublicDNSNamespace),
		"GetOperation":              op(s.getOperation),
		"CreateService":             op(s.createService),
		"GetService":                op(s.getService),
		"ListServices":              op(s.listServices),
		"DeleteService":             op(s.deleteService),
		"DeleteNamespace":           op(s.deleteNamespace),
		"ListTagsForResource":       op(s.listTags),
		"TagResource":               op(s.tagResource),
		"UntagResource":             op(s.untagResource),
	})
	return s
}

// PutNamespace creates a Cloud Map namespace, and the services its spec
// lists, and returns its ARN; a name already used returns the existing
// namespace's ARN.
func (e *Emulator) PutNamespace(spec NamespaceSpec) (string, error) {
	ns, err := e.services.sd.put(spec, false)
	if err != nil {
		return "", fmt.Errorf("put Cloud Map namespace %q: %w", spec.Name, err)
	}
	for i, svc := range spec.Services {
		if _, err := e.services.sd.putService(aws.ToString(ns.Id), svc); err != nil {
			return "", fmt.Errorf("put Cloud Map namespace %q: services[%d]: %w", spec.Name, i, err)
		}
	}
	return aws.ToString(ns.Arn), nil
}

// NamespaceARN returns the ARN of the namespace called name, or "" when
// there is none.
func (e *Emulator) NamespaceARN(name string) string {
	s := e.services.sd
	s.mu.Lock()
	defer s.mu.Unlock()
	if ns := s.byName(name); ns != nil {
		return aws.ToString(ns.Arn)
	}
	return ""
}

var namespaceName = regexp.MustCompile(`^[!-~]+$`) // and at most 1024 characters

// put creates a namespace; an existing one of that name is returned unless
// mustBeNew (CreateHttpNamespace) makes it an error.
func (s *sdService) put(spec NamespaceSpec, mustBeNew bool) (*sdtypes.Namespace, error) {
	typ := sdtypes.NamespaceType(spec.Type)
	if typ == "" {
		typ = sdtypes.NamespaceTypeHttp
	}
	switch typ {
	case sdtypes.NamespaceTypeHttp, sdtypes.NamespaceTypeDnsPrivate, sdtypes.NamespaceTypeDnsPublic:
	default:
		return nil, apiErr("InvalidInput", "1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, DNS_PRIVATE, DNS_PUBLIC]", typ)
	}
	if typ == sdtypes.NamespaceTypeDnsPrivate && spec.VPC == "" && mustBeNew {
		return nil, apiErr("InvalidInput", "1 validation error detected: Value null at 'vpc' failed to satisfy constraint: Member must not be null")
	}
	if !namespaceName.MatchString(spec.Name) || len(spec.Name) > 1024 {
		return nil, apiErr("InvalidInput", "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[!-~]{1,1024}$", spec.Name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ns := s.byName(spec.Name); ns != nil {
		if mustBeNew || ns.Type != typ {
			return nil, apiErr("NamespaceAlreadyExists", "Namespace %s already exists (type %s, ID %s).", spec.Name, ns.Type, aws.ToString(ns.Id))
		}
		return ns, nil
	}
	id := "ns-" + s.e.newID(8)
	props := &sdtypes.NamespaceProperties{HttpProperties: &sdtypes.HttpProperties{HttpName: aws.String(spec.Name)}}
	if typ != sdtypes.NamespaceTypeHttp {
		props.DnsProperties = &sdtypes.DnsProperties{HostedZoneId: aws.String("Z" + strings.ToUpper(s.e.newID(10)))}
	}
	ns := &sdtypes.Namespace{
		Arn:          aws.String(fmt.Sprintf("arn:aws:servicediscovery:%s:%s:namespace/%s", s.e.Region(), s.e.AccountID(), id)),
		Id:           aws.String(id),
		Name:         aws.String(spec.Name),
		Type:         typ,
		CreateDate:   aws.Time(s.e.now()),
		Properties:   props,
		ServiceCount: aws.Int32(0),
	}
	if spec.Description != "" {
		ns.Description = aws.String(spec.Description)
	}
	s.namespaces[id] = ns
	if typ == sdtypes.NamespaceTypeDnsPrivate {
		s.vpcs[id] = spec.VPC
	}
	return ns, nil
}

func (s *sdService) byName(name string) *sdtypes.Namespace {
	for _, ns := range s.namespaces {
		if aws.ToString(ns.Name) == name {
			return ns
		}
	}
	return nil
}

// byRef finds a namespace by ID or ARN, as GetNamespace accepts either.
func (s *sdService) byRef(ref string) *sdtypes.Namespace {
	if strings.HasPrefix(ref, "arn:") {
		for _, ns := range s.namespaces {
			if aws.ToString(ns.Arn) == ref {
				return ns
			}
		}
		return nil
	}
	return s.namespaces[ref]
}

func (s *sdService) getNamespace(in *servicediscovery.GetNamespaceInput) (any, error) {
	id := aws.ToString(in.Id)
	if id == "" {
		return nil, apiErr("InvalidInput", "1 validation error detected: Value null at 'id' failed to satisfy constraint: Member must not be null")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ns := s.byRef(id)
	if ns == nil {
		return nil, apiErr("NamespaceNotFound", "Namespace not found: %s", id)
	}
	cp := *ns
	return &servicediscovery.GetNamespaceOutput{Namespace: &cp}, nil
}

func (s *sdService) listNamespaces(in *servicediscovery.ListNamespacesInput) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := sortedKeys(s.namespaces)
	out := &servicediscovery.ListNamespacesOutput{Namespaces: []sdtypes.NamespaceSummary{}}
	for _, id := range ids {
		ns := s.namespaces[id]
		ok, err := namespaceMatches(ns, in.Filters)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		out.Namespaces = append(out.Namespaces, sdtypes.NamespaceSummary{
			Arn: ns.Arn, Id: ns.Id, Name: ns.Name, Type: ns.Type, CreateDate: ns.CreateDate,
			Description: ns.Description, Properties: ns.Properties, ServiceCount: ns.ServiceCount,
		})
	}
	// Oldest first, as Cloud Map lists them; IDs break ties.
	sort.SliceStable(out.Namespaces, func(i, j int) bool {
		return aws.ToTime(out.Namespaces[i].CreateDate).Before(aws.ToTime(out.Namespaces[j].CreateDate))
	})
	return out, nil
}

func namespaceMatches(ns *sdtypes.Namespace, filters []sdtypes.NamespaceFilter) (bool, error) {
	for _, f := range filters {
		if len(f.Values) != 1 {
			return false, apiErr("InvalidInput", "A filter must have exactly one value for condition %s.", conditionOf(f))
		}
		var have string
		switch f.Name {
		case sdtypes.NamespaceFilterNameType:
			have = string(ns.Type)
		case sdtypes.NamespaceFilterNameName:
			have = aws.ToString(ns.Name)
		case sdtypes.NamespaceFilterNameHttpName:
			have = aws.ToString(ns.Properties.HttpProperties.HttpName)
		case sdtypes.NamespaceFilterNameResourceOwner:
			have = "SELF"
		default:
			return false, apiErr("InvalidInput", "1 validation error detected: Value '%s' at 'filters.1.member.name' failed to satisfy constraint: Member must satisfy enum value set: [TYPE, NAME, HTTP_NAME, RESOURCE_OWNER]", f.Name)
		}
		want := f.Values[0]
		switch conditionOf(f) {
		case sdtypes.FilterConditionEq:
			if have != want {
				return false, nil
			}
		case sdtypes.FilterConditionBeginsWith:
			if !strings.HasPrefix(have, want) {
				return false, nil
			}
		default:
			return false, apiErr("InvalidInput", "Condition %s is not supported for namespace filters.", f.Condition)
		}
	}
	return true, nil
}

func conditionOf(f sdtypes.NamespaceFilter) sdtypes.FilterCondition {
	if f.Condition == "" {
		return sdtypes.FilterConditionEq
	}
	return f.Condition
}

// createHTTPNamespace creates the namespace at once; the operation it
// returns has already succeeded.
func (s *sdService) createHTTPNamespace(in *servicediscovery.CreateHttpNamespaceInput) (any, error) {
	opID, err := s.createNamespace(in.Name, NamespaceSpec{Type: string(sdtypes.NamespaceTypeHttp), Description: aws.ToString(in.Description)}, in.Tags)
	if err != nil {
		return nil, err
	}
	return &servicediscovery.CreateHttpNamespaceOutput{OperationId: opID}, nil
}

func (s *sdService) createPrivateDNSNamespace(in *servicediscovery.CreatePrivateDnsNamespaceInput) (any, error) {
	opID, err := s.createNamespace(in.Name, NamespaceSpec{Type: string(sdtypes.NamespaceTypeDnsPrivate), Description: aws.ToString(in.Description), VPC: aws.ToString(in.Vpc)}, in.Tags)
	if err != nil {
		return nil, err
	}
	return &servicediscovery.CreatePrivateDnsNamespaceOutput{OperationId: opID}, nil
}

func (s *sdService) createPublicDNSNamespace(in *servicediscovery.CreatePublicDnsNamespaceInput) (any, error) {
	opID, err := s.createNamespace(in.Name, NamespaceSpec{Type: string(sdtypes.NamespaceTypeDnsPublic), Description: aws.ToString(in.Description)}, in.Tags)
	if err != nil {
		return nil, err
	}
	return &servicediscovery.CreatePublicDnsNamespaceOutput{OperationId: opID}, nil
}

// createNamespace creates the namespace at once and records a
// CREATE_NAMESPACE operation that has already succeeded.
func (s *sdService) createNamespace(name *string, spec NamespaceSpec, tags []sdtypes.Tag) (*string, error) {
	if name == nil {
		return nil, apiErr("InvalidInput", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	spec.Name = aws.ToString(name)
	ns, err := s.put(spec, true)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.setTags(aws.ToString(ns.Arn), tags)
	s.mu.Unlock()
	return aws.String(s.succeeded(sdtypes.OperationTypeCreateNamespace, sdtypes.OperationTargetTypeNamespace, aws.ToString(ns.Id))), nil
}

func (s *sdService) succeeded(typ sdtypes.OperationType, target sdtypes.OperationTargetType, id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.e.now()
	opID := s.e.newID(16)
	s.operations[opID] = &sdtypes.Operation{
		Id: aws.String(opID), Type: typ, Status: sdtypes.OperationStatusSuccess,
		CreateDate: aws.Time(now), UpdateDate: aws.Time(now),
		Targets: map[string]string{string(target): id},
	}
	return opID
}

func (s *sdService) getOperation(in *servicediscovery.GetOperationInput) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.operations[aws.ToString(in.OperationId)]
	if o == nil {
		return nil, apiErr("OperationNotFound", "Operation not found: %s", aws.ToString(in.OperationId))
	}
	cp := *o
	return &servicediscovery.GetOperationOutput{Operation: &cp}, nil
}

// serviceConnectNamespace is what ECS stores for a Service Connect
// configuration: the namespace, given by name or ARN, becomes its ARN.
// The input is not modified.
func (e *Emulator) serviceConnectNamespace(sc *ecstypes.ServiceConnectConfiguration) (*ecstypes.ServiceConnectConfiguration, error) {
	if sc == nil || sc.Namespace == nil {
		if sc != nil && sc.Enabled {
			return nil, apiErr("InvalidParameterException", "Service Connect namespace is not specified and the cluster has no default Service Connect namespace (awsemu does not emulate cluster defaults).")
		}
		return sc, nil
	}
	ref := aws.ToString(sc.Namespace)
	s := e.services.sd
	s.mu.Lock()
	// ECS takes a name or an ARN, never a bare namespace ID.
	var ns *sdtypes.Namespace
	if strings.HasPrefix(ref, "arn:") {
		ns = s.byRef(ref)
	} else {
		ns = s.byName(ref)
	}
	var arn string
	if ns != nil {
		arn = aws.ToString(ns.Arn)
	}
	s.mu.Unlock()
	if arn == "" {
		return nil, apiErr("NamespaceNotFoundException", "The specified namespace wasn't found: %s", ref)
	}
	cp := *sc
	cp.Namespace = aws.String(arn)
	return &cp, nil
}
