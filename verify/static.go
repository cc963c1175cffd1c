package verify

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Finding is one static-rule violation: something ECS rejects at registration
// or service creation, or that always fails when a task starts.
type Finding struct {
	Rule    string // stable identifier, e.g. "fargate-privileged"
	Status  Status // NG or WARN
	Message string
}

func ng(rule, format string, args ...any) Finding {
	return Finding{Rule: rule, Status: NG, Message: fmt.Sprintf(format, args...)}
}

// fargateCapabilities is what Fargate lets a container add; anything else is
// rejected when the task starts.
var fargateCapabilities = []string{"SYS_PTRACE"}

// fargateTarget says whether Fargate's restrictions apply: the task
// definition asks for FARGATE compatibility or the service launches on Fargate.
func fargateTarget(in Input) bool {
	if slices.Contains(in.TaskDefinition.RequiresCompatibilities, ecstypes.CompatibilityFargate) {
		return true
	}
	return serviceOnFargate(in.Service)
}

func serviceOnFargate(s *Service) bool {
	if s == nil {
		return false
	}
	if s.LaunchType == ecstypes.LaunchTypeFargate {
		return true
	}
	for _, cp := range s.CapacityProviderStrategy {
		switch aws.ToString(cp.CapacityProvider) {
		case "FARGATE", "FARGATE_SPOT":
			return true
		}
	}
	return false
}

// TaskRules checks the task-level static rules.
func TaskRules(in Input) []Finding {
	td := in.TaskDefinition
	var out []Finding
	fargate := fargateTarget(in)
	awsvpc := td.NetworkMode == ecstypes.NetworkModeAwsvpc

	if len(td.ContainerDefinitions) == 0 {
		out = append(out, ng("containers-present", "the task definition has no containerDefinitions"))
	}
	if fargate && !awsvpc {
		mode := string(td.NetworkMode)
		if mode == "" {
			mode = "unset (bridge)"
		}
		out = append(out, ng("fargate-awsvpc", "Fargate requires networkMode \"awsvpc\", got %s", mode))
	}

	cpu, cpuErr := parseCPU(aws.ToString(td.Cpu))
	mem, memErr := parseMemory(aws.ToString(td.Memory))
	if cpuErr != nil {
		out = append(out, ng("task-cpu", "cpu %q: %v", aws.ToString(td.Cpu), cpuErr))
	}
	if memErr != nil {
		out = append(out, ng("task-memory", "memory %q: %v", aws.ToString(td.Memory), memErr))
	}
	if fargate && cpuErr == nil && memErr == nil {
		if f := fargateSize(cpu, mem); f != "" {
			out = append(out, ng("fargate-cpu-memory", "%s", f))
		}
	}

	// Names, essential containers and memory sums.
	seen := map[string]int{}
	essential := false
	var reserved, cpuSum int64
	for i, c := range td.ContainerDefinitions {
		name := aws.ToString(c.Name)
		if name != "" {
			if j, dup := seen[name]; dup {
				out = append(out, ng("container-name-unique", "containerDefinitions[%d] and [%d] are both named %q", j, i, name))
			} else {
				seen[name] = i
			}
		}
		if c.Essential == nil || *c.Essential {
			essential = true
		}
		switch {
		case c.MemoryReservation != nil:
			reserved += int64(*c.MemoryReservation)
		case c.Memory != nil:
			reserved += int64(*c.Memory)
		}
		cpuSum += int64(c.Cpu)
	}
	if len(td.ContainerDefinitions) > 0 && !essential {
		out = append(out, ng("essential-container", "no container is essential; mark at least one container \"essential\": true"))
	}
	if mem > 0 && reserved > mem {
		out = append(out, ng("memory-sum", "the containers reserve %d MiB in total (memoryReservation, else memory) but the task has %d MiB", reserved, mem))
	}
	if cpu > 0 && cpuSum > cpu {
		out = append(out, ng("cpu-sum", "the containers ask for %d CPU units in total but the task has %d", cpuSum, cpu))
	}

	// Ports shared by every container when they share one network namespace.
	if awsvpc || td.NetworkMode == ecstypes.NetworkModeHost {
		out = append(out, duplicatePorts(td.ContainerDefinitions, func(p ecstypes.PortMapping) int32 { return aws.ToInt32(p.ContainerPort) }, "containerPort")...)
	} else {
		out = append(out, duplicatePorts(td.ContainerDefinitions, func(p ecstypes.PortMapping) int32 { return aws.ToInt32(p.HostPort) }, "hostPort")...)
	}
	out = append(out, duplicatePortNames(td.ContainerDefinitions)...)

	if fargate {
		for _, v := range td.Volumes {
			if v.Host != nil && aws.ToString(v.Host.SourcePath) != "" {
				out = append(out, ng("fargate-host-volume", "volume %q mounts host path %q; Fargate has no host volumes (use an empty \"host\": {} or EFS)", aws.ToString(v.Name), aws.ToString(v.Host.SourcePath)))
			}
			if v.DockerVolumeConfiguration != nil {
				out = append(out, ng("fargate-docker-volume", "volume %q uses dockerVolumeConfiguration, which Fargate does not support", aws.ToString(v.Name)))
			}
		}
		if td.IpcMode != "" {
			out = append(out, ng("fargate-ipc-mode", "ipcMode %q is not supported on Fargate", td.IpcMode))
		}
		if td.PidMode == ecstypes.PidModeHost {
			out = append(out, ng("fargate-pid-mode", "pidMode \"host\" is not supported on Fargate"))
		}
	}

	if aws.ToString(td.ExecutionRoleArn) == "" {
		if why := needsExecutionRole(td, fargate); why != "" {
			out = append(out, ng("execution-role", "%s needs an execution role; set executionRoleArn", why))
		}
	}
	return out
}

// needsExecutionRole names the first feature that makes the ECS agent act on
// the task's behalf, or "".
func needsExecutionRole(td *ecs.RegisterTaskDefinitionInput, fargate bool) string {
	for _, c := range td.ContainerDefinitions {
		name := aws.ToString(c.Name)
		for _, s := range c.Secrets {
			kind := "SSM parameter"
			if strings.HasPrefix(aws.ToString(s.ValueFrom), "arn:aws:secretsmanager:") || strings.Contains(aws.ToString(s.ValueFrom), ":secretsmanager:") {
				kind = "Secrets Manager secret"
			}
			return fmt.Sprintf("container %q: secret %s from %s", name, aws.ToString(s.Name), kind)
		}
		if c.RepositoryCredentials != nil {
			return fmt.Sprintf("container %q: repositoryCredentials", name)
		}
		for _, f := range c.EnvironmentFiles {
			return fmt.Sprintf("container %q: environmentFiles %s", name, aws.ToString(f.Value))
		}
		if fargate {
			if _, ok := parseECRImage(aws.ToString(c.Image)); ok {
				return fmt.Sprintf("container %q: pulling ECR image %s on Fargate", name, aws.ToString(c.Image))
			}
			if c.LogConfiguration != nil && c.LogConfiguration.LogDriver == ecstypes.LogDriverAwslogs {
				return fmt.Sprintf("container %q: the awslogs driver on Fargate", name)
			}
		}
	}
	return ""
}

// ContainerRules checks one container's static rules.
func ContainerRules(in Input, c ecstypes.ContainerDefinition) []Finding {
	td := in.TaskDefinition
	var out []Finding
	fargate := fargateTarget(in)
	awsvpc := td.NetworkMode == ecstypes.NetworkModeAwsvpc

	if aws.ToString(c.Name) == "" {
		out = append(out, ng("container-name", "the container has no name"))
	}
	if strings.TrimSpace(aws.ToString(c.Image)) == "" {
		out = append(out, ng("container-image", "the container has no image"))
	}
	if awsvpc {
		for _, p := range c.PortMappings {
			if p.HostPort != nil && *p.HostPort != 0 && p.ContainerPort != nil && *p.HostPort != *p.ContainerPort {
				out = append(out, ng("awsvpc-host-port", "portMappings containerPort %d has hostPort %d; in awsvpc mode hostPort must be omitted or equal containerPort", *p.ContainerPort, *p.HostPort))
			}
		}
		if len(c.DnsServers) > 0 {
			out = append(out, ng("awsvpc-dns-servers", "dnsServers is not supported in awsvpc mode"))
		}
		if len(c.Links) > 0 {
			out = append(out, ng("awsvpc-links", "links is not supported in awsvpc mode; containers of a task reach each other on localhost"))
		}
		if aws.ToString(c.Hostname) != "" {
			out = append(out, ng("awsvpc-hostname", "hostname is not supported in awsvpc mode"))
		}
	}
	if fargate {
		if aws.ToBool(c.Privileged) {
			out = append(out, ng("fargate-privileged", "privileged containers are not supported on Fargate"))
		}
		if lp := c.LinuxParameters; lp != nil {
			if lp.Capabilities != nil {
				for _, capName := range lp.Capabilities.Add {
					norm := strings.TrimPrefix(strings.ToUpper(capName), "CAP_")
					if !slices.Contains(fargateCapabilities, norm) {
						out = append(out, ng("fargate-capabilities", "linuxParameters.capabilities.add %q is not allowed on Fargate (only SYS_PTRACE)", capName))
					}
				}
			}
			if len(lp.Devices) > 0 {
				out = append(out, ng("fargate-devices", "linuxParameters.devices is not supported on Fargate"))
			}
			if lp.SharedMemorySize != nil {
				out = append(out, ng("fargate-shared-memory", "linuxParameters.sharedMemorySize is not supported on Fargate"))
			}
			if len(lp.Tmpfs) > 0 {
				out = append(out, ng("fargate-tmpfs", "linuxParameters.tmpfs is not supported on Fargate"))
			}
		}
	}

	mem, memErr := parseMemory(aws.ToString(td.Memory))
	if c.Memory != nil && c.MemoryReservation != nil && *c.MemoryReservation > *c.Memory {
		out = append(out, ng("memory-reservation", "memoryReservation %d MiB is above memory %d MiB", *c.MemoryReservation, *c.Memory))
	}
	if memErr == nil && mem > 0 && c.Memory != nil && int64(*c.Memory) > mem {
		out = append(out, ng("container-memory", "memory %d MiB is above the task's %d MiB", *c.Memory, mem))
	}
	if memErr == nil && mem == 0 && c.Memory == nil && c.MemoryReservation == nil {
		out = append(out, ng("container-memory", "the task has no memory, so the container needs memory or memoryReservation"))
	}

	seen := map[string]bool{}
	for _, p := range c.PortMappings {
		if p.ContainerPort == nil {
			continue
		}
		k := fmt.Sprintf("%d/%s", *p.ContainerPort, protocol(p))
		if seen[k] {
			out = append(out, ng("port-mapping-unique", "containerPort %s is mapped twice", k))
		}
		seen[k] = true
	}
	return out
}

// ServiceRules checks the service-level static rules.
func ServiceRules(in Input) []Finding {
	s := in.Service
	if s == nil {
		return nil
	}
	td := in.TaskDefinition
	var out []Finding
	awsvpc := td.NetworkMode == ecstypes.NetworkModeAwsvpc
	hasAwsvpcConf := s.NetworkConfiguration != nil && s.NetworkConfiguration.AwsvpcConfiguration != nil
	switch {
	case awsvpc && !hasAwsvpcConf:
		out = append(out, ng("service-network-configuration", "the task definition uses awsvpc, so the service needs networkConfiguration.awsvpcConfiguration (subnets, securityGroups)"))
	case awsvpc && len(s.NetworkConfiguration.AwsvpcConfiguration.Subnets) == 0:
		out = append(out, ng("service-subnets", "networkConfiguration.awsvpcConfiguration.subnets is empty"))
	case !awsvpc && hasAwsvpcConf:
		out = append(out, ng("service-network-configuration", "networkConfiguration is only valid with networkMode awsvpc (the task definition uses %q)", networkModeName(td.NetworkMode)))
	}
	if s.HealthCheckGracePeriodSeconds != nil && len(s.LoadBalancers) == 0 {
		out = append(out, ng("health-check-grace-period", "healthCheckGracePeriodSeconds is set but the service has no loadBalancers; remove it or add a load balancer"))
	}
	if s.LaunchType != "" && len(s.CapacityProviderStrategy) > 0 {
		out = append(out, ng("launch-type-or-capacity-providers", "launchType and capacityProviderStrategy cannot both be set"))
	}
	if serviceOnFargate(s) && len(td.RequiresCompatibilities) > 0 && !slices.Contains(td.RequiresCompatibilities, ecstypes.CompatibilityFargate) {
		out = append(out, ng("fargate-compatibility", "the service runs on Fargate but requiresCompatibilities is %v; add \"FARGATE\"", td.RequiresCompatibilities))
	}
	if s.LaunchType == ecstypes.LaunchTypeFargate && len(td.RequiresCompatibilities) == 0 {
		out = append(out, ng("fargate-compatibility", "launchType is FARGATE but the task definition has no requiresCompatibilities; add [\"FARGATE\"]"))
	}
	out = append(out, serviceRegistryRules(in)...)
	out = append(out, BlueGreenRules(s)...)
	return append(out, codeDeployRules(in)...)
}

// LoadBalancerTarget checks that a load balancer's container and port exist
// in the task definition; it returns the matching port mapping.
func LoadBalancerTarget(td *ecs.RegisterTaskDefinitionInput, lb ecstypes.LoadBalancer) (*ecstypes.PortMapping, error) {
	name := aws.ToString(lb.ContainerName)
	if name == "" {
		return nil, fmt.Errorf("containerName is missing")
	}
	if lb.ContainerPort == nil {
		return nil, fmt.Errorf("containerPort is missing")
	}
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) != name {
			continue
		}
		var ports []string
		for i, p := range c.PortMappings {
			if p.ContainerPort != nil && *p.ContainerPort == *lb.ContainerPort {
				return &c.PortMappings[i], nil
			}
			if p.ContainerPort != nil {
				ports = append(ports, strconv.Itoa(int(*p.ContainerPort)))
			}
		}
		if len(ports) == 0 {
			return nil, fmt.Errorf("container %q has no portMappings; add containerPort %d", name, *lb.ContainerPort)
		}
		return nil, fmt.Errorf("container %q does not map containerPort %d (it maps %s)", name, *lb.ContainerPort, strings.Join(ports, ", "))
	}
	var names []string
	for _, c := range td.ContainerDefinitions {
		names = append(names, aws.ToString(c.Name))
	}
	return nil, fmt.Errorf("no container named %q in the task definition (containers: %s)", name, strings.Join(names, ", "))
}

func protocol(p ecstypes.PortMapping) string {
	if p.Protocol == "" {
		return "tcp"
	}
	return strings.ToLower(string(p.Protocol))
}

func networkModeName(m ecstypes.NetworkMode) string {
	if m == "" {
		return "bridge"
	}
	return string(m)
}

func duplicatePorts(cs []ecstypes.ContainerDefinition, port func(ecstypes.PortMapping) int32, field string) []Finding {
	var out []Finding
	owner := map[string]string{}
	for _, c := range cs {
		name := aws.ToString(c.Name)
		mine := map[string]bool{}
		for _, p := range c.PortMappings {
			n := port(p)
			if n == 0 {
				continue
			}
			k := fmt.Sprintf("%d/%s", n, protocol(p))
			if mine[k] {
				continue // reported by ContainerRules
			}
			mine[k] = true
			if other, ok := owner[k]; ok {
				out = append(out, ng("port-mapping-unique", "%s %s is used by containers %q and %q, which share the task's network", field, k, other, name))
				continue
			}
			owner[k] = name
		}
	}
	return out
}

func duplicatePortNames(cs []ecstypes.ContainerDefinition) []Finding {
	var out []Finding
	owner := map[string]string{}
	for _, c := range cs {
		for _, p := range c.PortMappings {
			n := aws.ToString(p.Name)
			if n == "" {
				continue
			}
			if other, ok := owner[n]; ok {
				out = append(out, ng("port-name-unique", "portMappings name %q is used twice (containers %q and %q)", n, other, aws.ToString(c.Name)))
				continue
			}
			owner[n] = aws.ToString(c.Name)
		}
	}
	return out
}

// parseCPU reads a task cpu value ("1024", "1 vCPU", "0.25 vcpu") as CPU
// units; "" is 0.
func parseCPU(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	lower := strings.ToLower(s)
	if v, ok := strings.CutSuffix(lower, "vcpu"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f <= 0 {
			return 0, fmt.Errorf("expected CPU units (1024) or vCPUs (\"1 vCPU\")")
		}
		return int64(math.Round(f * 1024)), nil
	}
	n, err := strconv.ParseInt(lower, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("expected CPU units (1024) or vCPUs (\"1 vCPU\")")
	}
	return n, nil
}

// parseMemory reads a task memory value ("2048", "2GB", "2 gb") as MiB; "" is 0.
func parseMemory(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	lower := strings.ToLower(s)
	if v, ok := strings.CutSuffix(lower, "gb"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f <= 0 {
			return 0, fmt.Errorf("expected MiB (2048) or GB (\"2 GB\")")
		}
		return int64(math.Round(f * 1024)), nil
	}
	n, err := strconv.ParseInt(lower, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("expected MiB (2048) or GB (\"2 GB\")")
	}
	return n, nil
}

// fargateSizes lists, per CPU value, the memory range and step Fargate accepts.
var fargateSizes = []struct{ cpu, min, max, step int64 }{
	{256, 512, 2048, 0}, // 512, 1024, 2048
	{512, 1024, 4096, 1024},
	{1024, 2048, 8192, 1024},
	{2048, 4096, 16384, 1024},
	{4096, 8192, 30720, 1024},
	{8192, 16384, 61440, 4096},
	{16384, 32768, 122880, 8192},
}

// fargateSize explains why cpu/memory is not a Fargate size, or returns "".
func fargateSize(cpu, mem int64) string {
	if cpu == 0 || mem == 0 {
		return "Fargate requires task-level cpu and memory"
	}
	for _, s := range fargateSizes {
		if s.cpu != cpu {
			continue
		}
		ok := mem >= s.min && mem <= s.max
		if s.step == 0 {
			ok = mem == 512 || mem == 1024 || mem == 2048
		} else if ok {
			ok = (mem-s.min)%s.step == 0
		}
		if ok {
			return ""
		}
		if s.step == 0 {
			return fmt.Sprintf("cpu %d allows memory 512, 1024 or 2048 MiB on Fargate, not %d", cpu, mem)
		}
		return fmt.Sprintf("cpu %d allows memory %d to %d MiB in steps of %d on Fargate, not %d", cpu, s.min, s.max, s.step, mem)
	}
	return fmt.Sprintf("cpu %d is not a Fargate size (256, 512, 1024, 2048, 4096, 8192, 16384)", cpu)
}
