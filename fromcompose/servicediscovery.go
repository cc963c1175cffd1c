package fromcompose

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/render"
)

// RegistryEnv is the environment variable the service definition reads the
// Cloud Map service ARN from while that service does not exist yet.
const RegistryEnv = "CLOUD_MAP_SERVICE_ARN"

// CloudMap looks up, read-only, the Cloud Map namespace and service that
// ecs-params run_params.service_discovery names; ecs-cli created them, init
// does not create AWS resources.
type CloudMap interface {
	// Namespaces returns the namespaces of type typ (DNS_PRIVATE or
	// DNS_PUBLIC) with that ID, or else with that name; none is no error.
	Namespaces(ctx context.Context, typ, id, name string) ([]CloudMapNamespace, error)
	// Services returns the Cloud Map services of a namespace.
	Services(ctx context.Context, namespaceID string) ([]CloudMapService, error)
}

// CloudMapNamespace is a namespace found by CloudMap.
type CloudMapNamespace struct {
	ID, Name, Type string
}

// CloudMapService is a Cloud Map service found by CloudMap.
type CloudMapService struct {
	ARN, Name        string
	RecordTypes      []string
	TTL              *int64
	FailureThreshold *int32 // HealthCheckCustomConfig; nil without one
}

const sdPath = "ecs-params run_params.service_discovery"

// serviceDiscovery maps run_params.service_discovery to the service's
// serviceRegistries, with ecs-cli's rules: one namespace, A records by
// default in awsvpc mode and SRV otherwise, SRV needing container_name and
// container_port. The registry ARN is looked up; when the namespace or the
// service does not exist, a must_env lookup stands in and Actions say what
// to create.
func (c *converter) serviceDiscovery(sd *render.ServiceDefinition) {
	p := c.params.RunParams.ServiceDiscovery
	if p == nil {
		return
	}
	before := len(c.rejects)
	priv, pub := p.PrivateDNSNamespace, p.PublicDNSNamespace
	hasPriv, hasPub := priv.ID != "" || priv.Name != "", pub.ID != "" || pub.Name != ""
	switch {
	case hasPriv && hasPub:
		c.reject(sdPath, "private_dns_namespace and public_dns_namespace are both set; ECS registers a service in one namespace")
	case !hasPriv && !hasPub:
		c.reject(sdPath, "names no namespace: set private_dns_namespace (name and vpc, or id) or public_dns_namespace (name or id)")
	}
	if priv.ID != "" && priv.Name != "" {
		c.reject(sdPath+".private_dns_namespace", "give name or id, not both")
	}
	if pub.ID != "" && pub.Name != "" {
		c.reject(sdPath+".public_dns_namespace", "give name or id, not both")
	}
	if c.mode == "none" {
		c.reject(sdPath, "service discovery needs network mode awsvpc, bridge or host, not none")
	}
	sds := p.ServiceDiscoveryService
	typ := strings.ToUpper(sds.DNSConfig.Type)
	switch typ {
	case "":
		// ecs-cli's default: A records for awsvpc tasks, SRV otherwise.
		typ = "SRV"
		if c.mode == "awsvpc" {
			typ = "A"
		}
	case "A", "AAAA", "SRV":
	default:
		c.reject(sdPath+".service_discovery_service.dns_config.type", "%q: want A or SRV (or AAAA)", sds.DNSConfig.Type)
	}
	if (typ == "A" || typ == "AAAA") && c.mode != "awsvpc" && c.mode != "none" {
		c.reject(sdPath+".service_discovery_service.dns_config.type", "%s records need network mode awsvpc; in %s mode ECS registers SRV records (with container_name and container_port)", typ, c.mode)
	}
	if typ == "SRV" {
		if p.ContainerName == "" {
			c.reject(sdPath+".container_name", "SRV records need the container (as in ecs-cli)")
		}
		if p.ContainerPort == nil {
			c.reject(sdPath+".container_port", "SRV records need the container port (as in ecs-cli)")
		}
	}
	if (p.ContainerName == "") != (p.ContainerPort == nil) && typ != "SRV" {
		c.reject(sdPath, "container_name and container_port go together")
	}
	if p.ContainerName != "" {
		c.registryContainer(p.ContainerName, p.ContainerPort)
	}
	if ttl := sds.DNSConfig.TTL; ttl != nil && (*ttl < 0 || *ttl > 2147483647) {
		c.reject(sdPath+".service_discovery_service.dns_config.ttl", "%d: Cloud Map takes 0 to 2147483647 seconds", *ttl)
	}
	if ft := sds.HealthCheckCustomConfig.FailureThreshold; ft != nil && (*ft < 1 || *ft > 10) {
		c.reject(sdPath+".service_discovery_service.healthcheck_custom_config.failure_threshold", "%d: Cloud Map takes 1 to 10", *ft)
	}
	if len(c.rejects) > before {
		return
	}
	reg := ecstypes.ServiceRegistry{ContainerPort: p.ContainerPort}
	if p.ContainerName != "" {
		reg.ContainerName = aws.String(p.ContainerName)
	}
	arn, ok := c.lookupRegistry(p, typ)
	if !ok {
		return
	}
	reg.RegistryArn = aws.String(arn)
	sd.ServiceRegistries = []ecstypes.ServiceRegistry{reg}
}

// registryContainer: the container is a compose service and maps the port.
func (c *converter) registryContainer(name string, port *int32) {
	s, ok := c.project.Services[name]
	if !ok {
		c.reject(sdPath+".container_name", "no compose service %q (services: %s)", name, strings.Join(c.serviceNames(), ", "))
		return
	}
	if port == nil {
		return
	}
	for _, pm := range s.Ports {
		if int32(pm.Target) == *port {
			return
		}
	}
	c.reject(sdPath+".container_port", "%d is not a port of services.%s.ports; ECS registers a mapped container port", *port, name)
}

func (c *converter) lookupRegistry(p *serviceDiscoveryParams, typ string) (string, bool) {
	nsType, id, name, kind := "DNS_PRIVATE", p.PrivateDNSNamespace.ID, p.PrivateDNSNamespace.Name, "private_dns_namespace"
	if p.PublicDNSNamespace.ID != "" || p.PublicDNSNamespace.Name != "" {
		nsType, id, name, kind = "DNS_PUBLIC", p.PublicDNSNamespace.ID, p.PublicDNSNamespace.Name, "public_dns_namespace"
	}
	svcName := p.ServiceDiscoveryService.Name
	if svcName == "" {
		svcName = c.opts.Service // ecs-cli named the Cloud Map service after the ECS service
	}
	if c.opts.CloudMap == nil {
		c.reject(sdPath, "looking up the Cloud Map namespace needs AWS access")
		return "", false
	}
	nss, err := c.opts.CloudMap.Namespaces(c.ctx, nsType, id, name)
	if err != nil {
		c.reject(sdPath+"."+kind, "look up the namespace: %v (init reads Cloud Map with servicediscovery:GetNamespace, ListNamespaces and ListServices)", err)
		return "", false
	}
	switch {
	case len(nss) == 0 && id != "":
		c.reject(sdPath+"."+kind+".id", "no %s namespace %s exists", nsType, id)
		return "", false
	case len(nss) > 1:
		ids := make([]string, 0, len(nss))
		for _, ns := range nss {
			ids = append(ids, ns.ID)
		}
		c.reject(sdPath+"."+kind+".name", "%d %s namespaces are named %s (%s): give %s.id", len(nss), nsType, name, strings.Join(ids, ", "), kind)
		return "", false
	case len(nss) == 0:
		c.missingRegistry(p, typ, nsType, "", svcName, fmt.Sprintf("the %s namespace %s does not exist", nsType, name))
		return c.envLookup(), true
	}
	ns := nss[0]
	svcs, err := c.opts.CloudMap.Services(c.ctx, ns.ID)
	if err != nil {
		c.reject(sdPath, "list the Cloud Map services of namespace %s: %v (init needs servicediscovery:ListServices)", ns.ID, err)
		return "", false
	}
	for _, s := range svcs {
		if strings.EqualFold(s.Name, svcName) {
			c.compareRegistry(p, typ, s)
			return s.ARN, true
		}
	}
	c.missingRegistry(p, typ, nsType, ns.ID, svcName, fmt.Sprintf("namespace %s (%s) has no Cloud Map service %s", ns.Name, ns.ID, svcName))
	return c.envLookup(), true
}

func (c *converter) envLookup() string {
	if c.opts.EnvLookup != nil {
		return c.opts.EnvLookup(RegistryEnv)
	}
	return "{{ must_env `" + RegistryEnv + "` }}"
}

// compareRegistry reports where the existing Cloud Map service differs
// from what ecs-params asks for: init changes nothing in AWS.
func (c *converter) compareRegistry(p *serviceDiscoveryParams, typ string, s CloudMapService) {
	sds := p.ServiceDiscoveryService
	if len(s.RecordTypes) > 0 && !slices.Contains(s.RecordTypes, typ) {
		if c.mode != "awsvpc" && !slices.Contains(s.RecordTypes, "SRV") {
			c.reject(sdPath, "the Cloud Map service %s (%s) has %s records; in %s mode ECS needs SRV records", s.Name, s.ARN, strings.Join(s.RecordTypes, ", "), c.mode)
			return
		}
		c.action(sdPath+".service_discovery_service.dns_config.type", "the Cloud Map service %s has %s records, not %s; ECS registers the tasks as the existing service says (init changes nothing in AWS)", s.Name, strings.Join(s.RecordTypes, ", "), typ)
	}
	if sds.DNSConfig.TTL != nil && s.TTL != nil && *sds.DNSConfig.TTL != *s.TTL {
		c.action(sdPath+".service_discovery_service.dns_config.ttl", "%d, but the Cloud Map service %s has %d; change it with aws servicediscovery update-service --id %s if it matters", *sds.DNSConfig.TTL, s.Name, *s.TTL, lastPart(s.ARN))
	}
	if ft := sds.HealthCheckCustomConfig.FailureThreshold; ft != nil && (s.FailureThreshold == nil || *s.FailureThreshold != *ft) {
		have := "no custom health check"
		if s.FailureThreshold != nil {
			have = fmt.Sprintf("failure threshold %d", *s.FailureThreshold)
		}
		c.action(sdPath+".service_discovery_service.healthcheck_custom_config.failure_threshold", "%d, but the Cloud Map service %s has %s (Cloud Map cannot change it: recreate the service if it matters)", *ft, s.Name, have)
	}
}

// missingRegistry says what ecs-cli would have created, and how to create
// it, since init creates no AWS resources.
func (c *converter) missingRegistry(p *serviceDiscoveryParams, typ, nsType, nsID, svcName, why string) {
	c.action(sdPath, "%s, and init creates no AWS resources (ecs-cli did): serviceRegistries[0].registryArn reads the environment variable %s until you create it, then set %s or write the ARN there; doppio verify checks that it exists", why, RegistryEnv, RegistryEnv)
	if nsID == "" {
		if nsType == "DNS_PRIVATE" {
			vpc := p.PrivateDNSNamespace.VPC
			if vpc == "" {
				vpc = "VPC_ID"
			}
			cmd := fmt.Sprintf("aws servicediscovery create-private-dns-namespace --name %s --vpc %s", p.PrivateDNSNamespace.Name, vpc)
			if d := p.PrivateDNSNamespace.Description; d != "" {
				cmd += fmt.Sprintf(" --description %q", d)
			}
			c.action(sdPath+".private_dns_namespace", "create it: %s (Terraform: aws_service_discovery_private_dns_namespace); aws servicediscovery get-operation --operation-id OPERATION_ID gives its ID", cmd)
		} else {
			c.action(sdPath+".public_dns_namespace", "create it: aws servicediscovery create-public-dns-namespace --name %s (Terraform: aws_service_discovery_public_dns_namespace); you must own the domain", p.PublicDNSNamespace.Name)
		}
		nsID = "NAMESPACE_ID"
	}
	sds := p.ServiceDiscoveryService
	ttl := int64(60)
	if sds.DNSConfig.TTL != nil {
		ttl = *sds.DNSConfig.TTL
	}
	ft := int32(1)
	if sds.HealthCheckCustomConfig.FailureThreshold != nil {
		ft = *sds.HealthCheckCustomConfig.FailureThreshold
	}
	cmd := fmt.Sprintf("aws servicediscovery create-service --name %s --namespace-id %s --dns-config 'RoutingPolicy=MULTIVALUE,DnsRecords=[{Type=%s,TTL=%d}]' --health-check-custom-config FailureThreshold=%d", svcName, nsID, typ, ttl, ft)
	if sds.Description != "" {
		cmd += fmt.Sprintf(" --description %q", sds.Description)
	}
	c.action(sdPath+".service_discovery_service", "create the Cloud Map service: %s (Terraform: aws_service_discovery_service); its Service.Arn is the registryArn", cmd)
}

func (c *converter) action(path, format string, args ...any) {
	c.actions = append(c.actions, Note{path, fmt.Sprintf(format, args...)})
}

func lastPart(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
