package awsemu

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
)

// CloudMapServiceSpec describes a Cloud Map service to seed inside a
// namespace (NamespaceSpec.Services).
type CloudMapServiceSpec struct {
	// ID (srv-...) is generated when left out.
	ID          string `json:"id,omitempty" yaml:"id,omitempty"`
	Name        string `json:"name" yaml:"name"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// DNSRecords are the record types (A, AAAA, SRV, CNAME) of a DNS
	// namespace's service; none in a DNS namespace means A.
	DNSRecords []string `json:"dns_records,omitempty" yaml:"dns_records,omitempty"`
	// TTL of the DNS records; 0 means 60.
	TTL int64 `json:"ttl,omitempty" yaml:"ttl,omitempty"`
	// FailureThreshold sets HealthCheckCustomConfig (ECS-managed health).
	FailureThreshold int32 `json:"failure_threshold,omitempty" yaml:"failure_threshold,omitempty"`
}

// CloudMapServiceARN returns the ARN of the service called name in the
// namespace called namespace, or "".
func (e *Emulator) CloudMapServiceARN(namespace, name string) string {
	s := e.services.sd
	s.mu.Lock()
	defer s.mu.Unlock()
	ns := s.byName(namespace)
	if ns == nil {
		return ""
	}
	if svc := s.serviceNamed(aws.ToString(ns.Id), name); svc != nil {
		return aws.ToString(svc.Arn)
	}
	return ""
}

func (s *sdService) putService(nsID string, spec CloudMapServiceSpec) (*sdtypes.Service, error) {
	in := &servicediscovery.CreateServiceInput{Name: aws.String(spec.Name), NamespaceId: aws.String(nsID), Description: nonEmptyString(spec.Description)}
	s.mu.Lock()
	ns := s.namespaces[nsID]
	s.mu.Unlock()
	if ns != nil && ns.Type != sdtypes.NamespaceTypeHttp {
		types := spec.DNSRecords
		if len(types) == 0 {
			types = []string{"A"}
		}
		ttl := spec.TTL
		if ttl == 0 {
			ttl = 60
		}
		dc := &sdtypes.DnsConfig{}
		for _, t := range types {
			dc.DnsRecords = append(dc.DnsRecords, sdtypes.DnsRecord{Type: sdtypes.RecordType(t), TTL: aws.Int64(ttl)})
		}
		in.DnsConfig = dc
	}
	if spec.FailureThreshold > 0 {
		in.HealthCheckCustomConfig = &sdtypes.HealthCheckCustomConfig{FailureThreshold: aws.Int32(spec.FailureThreshold)}
	}
	return s.create(in, spec.ID)
}

func nonEmptyString(v string) *string {
	if v == "" {
		return nil
	}
	return aws.String(v)
}

// serviceNameOK is Cloud Map's service name pattern without the lookahead
// Go's regexp lacks: labels of letters, digits, '-' and '_', at most 127
// characters.
func serviceNameOK(name string) bool {
	if name == "" || len(name) > 127 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if !serviceLabel.MatchString(label) {
			return false
		}
	}
	return true
}

var serviceLabel = regexp.MustCompile(`^([a-zA-Z0-9_][a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9_])$`)

func (s *sdService) createService(in *servicediscovery.CreateServiceInput) (any, error) {
	svc, err := s.create(in, "")
	if err != nil {
		return nil, err
	}
	cp := *svc
	return &servicediscovery.CreateServiceOutput{Service: &cp}, nil
}

// create validates as CreateService does: the namespace exists, DNS
// records only in DNS namespaces, one kind of health check, a name unique
// in the namespace (the same CreatorRequestId returns the service again).
func (s *sdService) create(in *servicediscovery.CreateServiceInput, id string) (*sdtypes.Service, error) {
	name := aws.ToString(in.Name)
	if in.Name == nil {
		return nil, apiErr("InvalidInput", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	if !serviceNameOK(name) {
		return nil, apiErr("InvalidInput", "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern", name)
	}
	nsID := aws.ToString(in.NamespaceId)
	if nsID == "" && in.DnsConfig != nil {
		nsID = aws.ToString(in.DnsConfig.NamespaceId) // the deprecated place
	}
	if nsID == "" {
		return nil, apiErr("InvalidInput", "NamespaceId is required.")
	}
	if in.HealthCheckConfig != nil && in.HealthCheckCustomConfig != nil {
		return nil, apiErr("InvalidInput", "You can specify either HealthCheckConfig or HealthCheckCustomConfig, not both.")
	}
	if hc := in.HealthCheckCustomConfig; hc != nil && hc.FailureThreshold != nil && (*hc.FailureThreshold < 1 || *hc.FailureThreshold > 10) {
		return nil, apiErr("InvalidInput", "1 validation error detected: Value '%d' at 'healthCheckCustomConfig.failureThreshold' failed to satisfy constraint: Member must have value between 1 and 10", *hc.FailureThreshold)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ns := s.namespaces[nsID]
	if ns == nil {
		return nil, apiErr("NamespaceNotFound", "Namespace not found: %s", nsID)
	}
	var dc *sdtypes.DnsConfig
	if in.DnsConfig != nil {
		if ns.Type == sdtypes.NamespaceTypeHttp {
			return nil, apiErr("InvalidInput", "DnsConfig is not supported for services in an HTTP namespace (%s).", nsID)
		}
		if len(in.DnsConfig.DnsRecords) == 0 {
			return nil, apiErr("InvalidInput", "DnsConfig must contain at least one DnsRecord.")
		}
		seen := map[sdtypes.RecordType]bool{}
		for _, r := range in.DnsConfig.DnsRecords {
			switch r.Type {
			case sdtypes.RecordTypeA, sdtypes.RecordTypeAaaa, sdtypes.RecordTypeSrv, sdtypes.RecordTypeCname:
			default:
				return nil, apiErr("InvalidInput", "1 validation error detected: Value '%s' at 'dnsConfig.dnsRecords.member.type' failed to satisfy constraint: Member must satisfy enum value set: [SRV, A, AAAA, CNAME]", r.Type)
			}
			if r.TTL == nil || *r.TTL < 0 || *r.TTL > 2147483647 {
				return nil, apiErr("InvalidInput", "Each DnsRecord needs a TTL between 0 and 2147483647.")
			}
			if seen[r.Type] {
				return nil, apiErr("InvalidInput", "DnsConfig has two records of type %s.", r.Type)
			}
			seen[r.Type] = true
		}
		if seen[sdtypes.RecordTypeCname] && len(seen) > 1 {
			return nil, apiErr("InvalidInput", "A CNAME record cannot be combined with other record types.")
		}
		cp := *in.DnsConfig
		cp.NamespaceId = nil
		if cp.RoutingPolicy == "" {
			cp.RoutingPolicy = sdtypes.RoutingPolicyMultivalue
		}
		dc = &cp
	}
	if old := s.serviceNamed(nsID, name); old != nil {
		if in.CreatorRequestId != nil && aws.ToString(old.CreatorRequestId) == aws.ToString(in.CreatorRequestId) {
			return old, nil
		}
		return nil, apiErr("ServiceAlreadyExists", "Service already exists. ServiceId: %s", aws.ToString(old.Id))
	}
	if id == "" {
		id = "srv-" + s.e.newID(8)
	} else if !strings.HasPrefix(id, "srv-") || s.services[id] != nil {
		return nil, apiErr("InvalidInput", "service ID %q: want srv-..., not used yet", id)
	}
	svc := &sdtypes.Service{
		Id:                      aws.String(id),
		Arn:                     aws.String(fmt.Sprintf("arn:aws:servicediscovery:%s:%s:service/%s", s.e.Region(), s.e.AccountID(), id)),
		Name:                    aws.String(name),
		NamespaceId:             aws.String(nsID),
		Description:             in.Description,
		DnsConfig:               dc,
		HealthCheckConfig:       in.HealthCheckConfig,
		HealthCheckCustomConfig: in.HealthCheckCustomConfig,
		Type:                    serviceType(dc, in.Type),
		CreateDate:              aws.Time(s.e.now()),
		CreatorRequestId:        in.CreatorRequestId,
		InstanceCount:           aws.Int32(0),
	}
	if hc := svc.HealthCheckCustomConfig; hc != nil && hc.FailureThreshold == nil {
		cp := *hc
		cp.FailureThreshold = aws.Int32(1)
		svc.HealthCheckCustomConfig = &cp
	}
	s.services[id] = svc
	s.setTags(aws.ToString(svc.Arn), in.Tags)
	ns.ServiceCount = aws.Int32(aws.ToInt32(ns.ServiceCount) + 1)
	return svc, nil
}

func serviceType(dc *sdtypes.DnsConfig, asked sdtypes.ServiceTypeOption) sdtypes.ServiceType {
	switch {
	case dc != nil:
		return sdtypes.ServiceTypeDnsHttp
	case asked == sdtypes.ServiceTypeOptionHttp:
		return sdtypes.ServiceTypeHttp
	}
	return sdtypes.ServiceTypeHttp
}

func (s *sdService) serviceNamed(nsID, name string) *sdtypes.Service {
	for _, svc := range s.services {
		if aws.ToString(svc.NamespaceId) == nsID && strings.EqualFold(aws.ToString(svc.Name), name) {
			return svc
		}
	}
	return nil
}

// serviceByRef finds a service by ID or ARN, as GetService and
// DeleteService accept either.
func (s *sdService) serviceByRef(ref string) *sdtypes.Service {
	if strings.HasPrefix(ref, "arn:") {
		for _, svc := range s.services {
			if aws.ToString(svc.Arn) == ref {
				return svc
			}
		}
		return nil
	}
	return s.services[ref]
}

func (s *sdService) getService(in *servicediscovery.GetServiceInput) (any, error) {
	id := aws.ToString(in.Id)
	if id == "" {
		return nil, apiErr("InvalidInput", "1 validation error detected: Value null at 'id' failed to satisfy constraint: Member must not be null")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.serviceByRef(id)
	if svc == nil {
		return nil, apiErr("ServiceNotFound", "Service not found: %s", id)
	}
	cp := *svc
	return &servicediscovery.GetServiceOutput{Service: &cp}, nil
}

func (s *sdService) listServices(in *servicediscovery.ListServicesInput) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &servicediscovery.ListServicesOutput{Services: []sdtypes.ServiceSummary{}}
	for _, id := range sortedKeys(s.services) {
		svc := s.services[id]
		ok, err := serviceMatches(svc, in.Filters)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		out.Services = append(out.Services, sdtypes.ServiceSummary{
			Arn: svc.Arn, Id: svc.Id, Name: svc.Name, Description: svc.Description, Type: svc.Type,
			DnsConfig: svc.DnsConfig, HealthCheckConfig: svc.HealthCheckConfig, HealthCheckCustomConfig: svc.HealthCheckCustomConfig,
			CreateDate: svc.CreateDate, InstanceCount: svc.InstanceCount,
		})
	}
	sort.SliceStable(out.Services, func(i, j int) bool {
		return aws.ToTime(out.Services[i].CreateDate).Before(aws.ToTime(out.Services[j].CreateDate))
	})
	return out, nil
}

// serviceMatches applies ListServices' filters: NAMESPACE_ID (EQ, or IN
// with several IDs) and RESOURCE_OWNER.
func serviceMatches(svc *sdtypes.Service, filters []sdtypes.ServiceFilter) (bool, error) {
	for _, f := range filters {
		cond := f.Condition
		if cond == "" {
			cond = sdtypes.FilterConditionEq
		}
		var have string
		switch f.Name {
		case sdtypes.ServiceFilterNameNamespaceId:
			have = aws.ToString(svc.NamespaceId)
		case sdtypes.ServiceFilterName("RESOURCE_OWNER"):
			have = "SELF"
		default:
			return false, apiErr("InvalidInput", "1 validation error detected: Value '%s' at 'filters.1.member.name' failed to satisfy constraint: Member must satisfy enum value set: [NAMESPACE_ID, RESOURCE_OWNER]", f.Name)
		}
		switch cond {
		case sdtypes.FilterConditionEq:
			if len(f.Values) != 1 {
				return false, apiErr("InvalidInput", "A filter must have exactly one value for condition EQ.")
			}
		case sdtypes.FilterConditionIn:
			if len(f.Values) == 0 {
				return false, apiErr("InvalidInput", "A filter needs at least one value for condition IN.")
			}
		default:
			return false, apiErr("InvalidInput", "Condition %s is not supported for service filters.", cond)
		}
		found := false
		for _, v := range f.Values {
			if v == have {
				found = true
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, nil
}

// deleteService removes a service; one an ECS service still registers its
// tasks in has instances, and Cloud Map refuses to delete it.
func (s *sdService) deleteService(in *servicediscovery.DeleteServiceInput) (any, error) {
	id := aws.ToString(in.Id)
	s.mu.Lock()
	svc := s.serviceByRef(id)
	s.mu.Unlock()
	if svc == nil {
		return nil, apiErr("ServiceNotFound", "Service not found: %s", id)
	}
	if s.e.services.ecs.registryInUse(aws.ToString(svc.Arn)) {
		return nil, apiErr("ResourceInUse", "The service %s has registered instances; deregister them (delete or scale in the ECS service that uses it) first.", aws.ToString(svc.Id))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.services, aws.ToString(svc.Id))
	delete(s.tags, aws.ToString(svc.Arn))
	if ns := s.namespaces[aws.ToString(svc.NamespaceId)]; ns != nil && aws.ToInt32(ns.ServiceCount) > 0 {
		ns.ServiceCount = aws.Int32(aws.ToInt32(ns.ServiceCount) - 1)
	}
	return &servicediscovery.DeleteServiceOutput{}, nil
}

// serviceRegistries checks an ECS service's serviceRegistries as ECS does:
// at most one, a service registry ARN of an existing Cloud Map service, and
// the port fields the service's record types need.
func (e *Emulator) serviceRegistries(regs []ecstypes.ServiceRegistry, td *ecsTaskDef) error {
	if len(regs) == 0 {
		return nil
	}
	if len(regs) > 1 {
		return apiErr("InvalidParameterException", "A service can have at most one service registry; %d were given.", len(regs))
	}
	r := regs[0]
	ref := aws.ToString(r.RegistryArn)
	if !serviceRegistryARN.MatchString(ref) {
		return apiErr("InvalidParameterException", "The format of the supplied service registry ARN is invalid: %s.", ref)
	}
	s := e.services.sd
	s.mu.Lock()
	svc := s.serviceByRef(ref)
	var srv bool
	if svc != nil && svc.DnsConfig != nil {
		for _, rec := range svc.DnsConfig.DnsRecords {
			srv = srv || rec.Type == sdtypes.RecordTypeSrv
		}
	}
	s.mu.Unlock()
	if svc == nil {
		return apiErr("InvalidParameterException", "The service registry %s does not exist.", ref)
	}
	hasContainer := r.ContainerName != nil || r.ContainerPort != nil
	if r.Port != nil && hasContainer {
		return apiErr("InvalidParameterException", "Specify a value for either 'port' or the 'containerName' and 'containerPort' combination, but not both. Remove one and retry.")
	}
	awsvpc := td != nil && td.td.NetworkMode == ecstypes.NetworkModeAwsvpc
	if !srv && !awsvpc && svc.DnsConfig != nil {
		return apiErr("InvalidParameterException", "The task definition uses network mode %s, for which a service registry needs SRV records.", networkModeOf(td))
	}
	if !srv {
		if r.Port != nil {
			return apiErr("InvalidParameterException", "A port was provided but is not required by the specified service registry.")
		}
		return e.registryContainer(r, td)
	}
	switch {
	case r.Port != nil && !awsvpc:
		return apiErr("InvalidParameterException", "The service registry has SRV records and the task definition uses network mode %s: specify containerName and containerPort.", networkModeOf(td))
	case r.Port == nil && (r.ContainerName == nil || r.ContainerPort == nil):
		return apiErr("InvalidParameterException", "The service registry has SRV records: specify 'port' or both 'containerName' and 'containerPort'.")
	}
	return e.registryContainer(r, td)
}

// registryContainer: containerName and containerPort name a container of
// the task definition and one of its port mappings.
func (e *Emulator) registryContainer(r ecstypes.ServiceRegistry, td *ecsTaskDef) error {
	if r.ContainerName == nil || td == nil {
		return nil
	}
	name := aws.ToString(r.ContainerName)
	for _, cd := range td.td.ContainerDefinitions {
		if aws.ToString(cd.Name) != name {
			continue
		}
		if r.ContainerPort == nil {
			return nil
		}
		for _, pm := range cd.PortMappings {
			if aws.ToInt32(pm.ContainerPort) == *r.ContainerPort {
				return nil
			}
		}
		return apiErr("InvalidParameterException", "The container %s does not have a port mapping for container port %d (service registry).", name, *r.ContainerPort)
	}
	return apiErr("InvalidParameterException", "The container %s does not exist in the task definition (service registry).", name)
}

var serviceRegistryARN = regexp.MustCompile(`^arn:aws[a-z-]*:servicediscovery:[a-z0-9-]+:\d{12}:service/srv-[a-z0-9]+$`)

func networkModeOf(td *ecsTaskDef) string {
	if td == nil || td.td.NetworkMode == "" {
		return "bridge"
	}
	return string(td.td.NetworkMode)
}
