package verify

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
)

var registryARN = regexp.MustCompile(`^arn:aws[a-z-]*:servicediscovery:[a-z0-9-]+:\d{12}:service/(srv-[A-Za-z0-9]+)$`)

// serviceRegistryRules are the checks ECS makes on serviceRegistries
// without looking the registry up: one registry, port or the container
// pair (not both), the container and its port in the task definition.
func serviceRegistryRules(in Input) []Finding {
	regs := in.Service.ServiceRegistries
	if len(regs) == 0 {
		return nil
	}
	var out []Finding
	if len(regs) > 1 {
		out = append(out, ng("service-registries", "serviceRegistries has %d entries; ECS takes one service registry per service", len(regs)))
	}
	if in.TaskDefinition.NetworkMode == ecstypes.NetworkModeNone {
		out = append(out, ng("service-registries", "service discovery needs network mode awsvpc, bridge or host, not none"))
	}
	for i, r := range regs {
		if r.Port != nil && (r.ContainerName != nil || r.ContainerPort != nil) {
			out = append(out, ng("service-registries", "serviceRegistries[%d]: give port or containerName and containerPort, not both", i))
		}
		if (r.ContainerName == nil) != (r.ContainerPort == nil) {
			out = append(out, ng("service-registries", "serviceRegistries[%d]: containerName and containerPort go together", i))
		}
		if r.ContainerName == nil {
			continue
		}
		name := aws.ToString(r.ContainerName)
		cd := containerNamed(in.TaskDefinition.ContainerDefinitions, name)
		if cd == nil {
			out = append(out, ng("service-registries", "serviceRegistries[%d]: container %s is not in the task definition", i, name))
			continue
		}
		if r.ContainerPort != nil && !mapsPort(*cd, *r.ContainerPort) {
			out = append(out, ng("service-registries", "serviceRegistries[%d]: container %s has no port mapping for containerPort %d", i, name, *r.ContainerPort))
		}
	}
	return out
}

func containerNamed(cds []ecstypes.ContainerDefinition, name string) *ecstypes.ContainerDefinition {
	for i := range cds {
		if aws.ToString(cds[i].Name) == name {
			return &cds[i]
		}
	}
	return nil
}

func mapsPort(cd ecstypes.ContainerDefinition, port int32) bool {
	for _, pm := range cd.PortMappings {
		if aws.ToInt32(pm.ContainerPort) == port {
			return true
		}
	}
	return false
}

// registryCheck requires a serviceRegistries entry's Cloud Map service to
// exist (ECS refuses CreateService otherwise) and its record types to fit
// the port fields: SRV records need the port, A and AAAA records refuse one.
func (r *runner) registryCheck(parent *Check, i int, reg ecstypes.ServiceRegistry) {
	ref := aws.ToString(reg.RegistryArn)
	c := parent.add(&Check{Name: fmt.Sprintf("ServiceRegistry[%d %s]", i, ref)})
	m := registryARN.FindStringSubmatch(ref)
	if m == nil {
		c.set(NG, "registryArn %q is not a Cloud Map service ARN (arn:aws:servicediscovery:REGION:ACCOUNT:service/srv-...)", ref)
		return
	}
	awsvpc := r.in.TaskDefinition.NetworkMode == ecstypes.NetworkModeAwsvpc
	r.schedule(c, "", prioOther, func(ctx context.Context, c *Check) {
		out, err := r.clients.ServiceDiscovery.GetService(ctx, &servicediscovery.GetServiceInput{Id: aws.String(m[1])})
		var nf *sdtypes.ServiceNotFound
		switch {
		case errors.As(err, &nf) || errorCode(err) == "ServiceNotFound":
			c.set(NG, "Cloud Map service %s does not exist; create it (aws servicediscovery create-service) or fix registryArn", m[1])
			return
		case err != nil:
			r.awsError(c, err, "cannot get Cloud Map service "+m[1])
			return
		}
		svc := out.Service
		var types []string
		srv := false
		if svc.DnsConfig != nil {
			for _, rec := range svc.DnsConfig.DnsRecords {
				types = append(types, string(rec.Type))
				srv = srv || rec.Type == sdtypes.RecordTypeSrv
			}
		}
		pair := reg.ContainerName != nil && reg.ContainerPort != nil
		switch {
		case !srv && !awsvpc && len(types) > 0:
			c.set(NG, "%s has %s records, and with network mode %s ECS registers tasks only with SRV records", aws.ToString(svc.Name), strings.Join(types, ", "), networkModeName(r.in.TaskDefinition.NetworkMode))
		case srv && !awsvpc && !pair:
			c.set(NG, "%s has SRV records and the task uses network mode %s: set containerName and containerPort", aws.ToString(svc.Name), networkModeName(r.in.TaskDefinition.NetworkMode))
		case srv && reg.Port == nil && !pair:
			c.set(NG, "%s has SRV records: set port, or containerName and containerPort", aws.ToString(svc.Name))
		case !srv && reg.Port != nil:
			c.set(NG, "%s has no SRV record, and ECS refuses a port for it: remove port", aws.ToString(svc.Name))
		default:
			what := "no DNS records (API discovery)"
			if len(types) > 0 {
				what = strings.Join(types, ", ") + " records"
			}
			c.set(OK, "exists: %s in namespace %s, %s", aws.ToString(svc.Name), aws.ToString(svc.NamespaceId), what)
		}
	})
}
