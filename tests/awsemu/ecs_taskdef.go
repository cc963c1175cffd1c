package awsemu

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

type ecsTaskDef struct {
	td ecstypes.TaskDefinition
}

func (d *ecsTaskDef) arn() string       { return aws.ToString(d.td.TaskDefinitionArn) }
func (d *ecsTaskDef) family() string    { return aws.ToString(d.td.Family) }
func (d *ecsTaskDef) familyRev() string { return fmt.Sprintf("%s:%d", d.family(), d.td.Revision) }

// container returns the container definition named name, or nil.
func (d *ecsTaskDef) container(name string) *ecstypes.ContainerDefinition {
	for i := range d.td.ContainerDefinitions {
		if aws.ToString(d.td.ContainerDefinitions[i].Name) == name {
			return &d.td.ContainerDefinitions[i]
		}
	}
	return nil
}

// validName is ECS's rule for families, container and cluster names.
var validName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,255}$`)

// fargateMemory lists the memory sizes (MiB) Fargate accepts for each task cpu.
func fargateMemoryOK(cpu, mem int) bool {
	between := func(lo, hi, step int) bool { return mem >= lo && mem <= hi && (mem-lo)%step == 0 }
	switch cpu {
	case 256:
		return mem == 512 || mem == 1024 || mem == 2048
	case 512:
		return between(1024, 4096, 1024)
	case 1024:
		return between(2048, 8192, 1024)
	case 2048:
		return between(4096, 16384, 1024)
	case 4096:
		return between(8192, 30720, 1024)
	case 8192:
		return between(16384, 61440, 4096)
	case 16384:
		return between(32768, 122880, 8192)
	}
	return false
}

var unitValue = regexp.MustCompile(`^\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*$`)

// normalizeCPU turns "1 vCPU" or ".5 vcpu" into CPU units as ECS stores them.
func normalizeCPU(v string) (string, bool) {
	m := unitValue.FindStringSubmatch(v)
	if m == nil {
		return "", false
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return "", false
	}
	switch strings.ToLower(m[2]) {
	case "":
		if f != math.Trunc(f) {
			return "", false
		}
	case "vcpu":
		f *= 1024
	default:
		return "", false
	}
	return strconv.Itoa(int(math.Round(f))), true
}

// normalizeMemory turns "2 GB" (or "512 MiB") into MiB as ECS stores it.
func normalizeMemory(v string) (string, bool) {
	m := unitValue.FindStringSubmatch(v)
	if m == nil {
		return "", false
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return "", false
	}
	switch strings.ToLower(m[2]) {
	case "", "mb", "mib":
		if f != math.Trunc(f) {
			return "", false
		}
	case "gb", "gib":
		f *= 1024
	default:
		return "", false
	}
	return strconv.Itoa(int(math.Round(f))), true
}

func hasCompat(list []ecstypes.Compatibility, c ecstypes.Compatibility) bool {
	for _, v := range list {
		if v == c {
			return true
		}
	}
	return false
}

// validateTaskDefinition applies the checks RegisterTaskDefinition makes, in
// AWS's wording, and fills what ECS fills. It modifies in.
func validateTaskDefinition(in *ecs.RegisterTaskDefinitionInput) error {
	family := aws.ToString(in.Family)
	if family == "" {
		return apiErr("ClientException", "Family must not be null or empty.")
	}
	if !validName.MatchString(family) {
		return apiErr("ClientException", "Family contains invalid characters.")
	}
	if len(in.ContainerDefinitions) == 0 {
		return apiErr("ClientException", "Container list cannot be empty.")
	}
	if in.Cpu != nil {
		v, ok := normalizeCPU(*in.Cpu)
		if !ok {
			return apiErr("ClientException", "Invalid 'cpu' setting for task.")
		}
		in.Cpu = aws.String(v)
	}
	if in.Memory != nil {
		v, ok := normalizeMemory(*in.Memory)
		if !ok {
			return apiErr("ClientException", "Invalid 'memory' setting for task.")
		}
		in.Memory = aws.String(v)
	}
	awsvpc := in.NetworkMode == ecstypes.NetworkModeAwsvpc
	if hasCompat(in.RequiresCompatibilities, ecstypes.CompatibilityFargate) {
		if !awsvpc {
			return apiErr("ClientException", "Fargate only supports network mode ‘awsvpc’.")
		}
		if in.Cpu == nil {
			return apiErr("ClientException", "Fargate requires that 'cpu' be defined at the task level.")
		}
		if in.Memory == nil {
			return apiErr("ClientException", "Fargate requires that 'memory' be defined at the task level.")
		}
		cpu, _ := strconv.Atoi(*in.Cpu)
		mem, _ := strconv.Atoi(*in.Memory)
		if !fargateMemoryOK(cpu, mem) {
			return apiErr("ClientException", "No Fargate configuration exists for given values: %d CPU, %d memory. See the Amazon ECS documentation for the valid values.", cpu, mem)
		}
	}
	seen := map[string]bool{}
	for i := range in.ContainerDefinitions {
		c := &in.ContainerDefinitions[i]
		name := aws.ToString(c.Name)
		if name == "" {
			return apiErr("ClientException", "Container.name should not be null or empty.")
		}
		if !validName.MatchString(name) {
			return apiErr("ClientException", "Container.name contains invalid characters.")
		}
		if seen[name] {
			return apiErr("ClientException", "Duplicate container names are not allowed: %s.", name)
		}
		seen[name] = true
		if aws.ToString(c.Image) == "" {
			return apiErr("ClientException", "Container.image should not be null or empty.")
		}
		if in.Memory == nil && c.Memory == nil && c.MemoryReservation == nil && !hasCompat(in.RequiresCompatibilities, ecstypes.CompatibilityFargate) {
			return apiErr("ClientException", "Invalid setting for container '%s'. At least one of 'memory' or 'memoryReservation' must be specified.", name)
		}
		for j := range c.PortMappings {
			pm := &c.PortMappings[j]
			host, cont := aws.ToInt32(pm.HostPort), aws.ToInt32(pm.ContainerPort)
			if (awsvpc || in.NetworkMode == ecstypes.NetworkModeHost) && pm.HostPort != nil && host != cont {
				if awsvpc {
					return apiErr("ClientException", "When networkMode=awsvpc, the host ports and container ports in port mappings must match.")
				}
				return apiErr("ClientException", "When networkMode=host, the host ports and container ports in port mappings must match.")
			}
			if (awsvpc || in.NetworkMode == ecstypes.NetworkModeHost) && pm.ContainerPort != nil {
				pm.HostPort = aws.Int32(cont)
			}
			if pm.Protocol == "" {
				pm.Protocol = ecstypes.TransportProtocolTcp
			}
		}
		// ECS echoes these members as empty lists and essential as true.
		if c.Essential == nil {
			c.Essential = aws.Bool(true)
		}
		if c.PortMappings == nil {
			c.PortMappings = []ecstypes.PortMapping{}
		}
		if c.Environment == nil {
			c.Environment = []ecstypes.KeyValuePair{}
		}
		if c.MountPoints == nil {
			c.MountPoints = []ecstypes.MountPoint{}
		}
		if c.VolumesFrom == nil {
			c.VolumesFrom = []ecstypes.VolumeFrom{}
		}
		if c.SystemControls == nil {
			c.SystemControls = []ecstypes.SystemControl{}
		}
	}
	return nil
}

// requiresAttributes derives the agent capabilities ECS lists for a task
// definition from the features it uses.
func requiresAttributes(in *ecs.RegisterTaskDefinitionInput) []ecstypes.Attribute {
	var names []string
	add := func(n string) {
		for _, v := range names {
			if v == n {
				return
			}
		}
		names = append(names, n)
	}
	if in.TaskRoleArn != nil {
		add("com.amazonaws.ecs.capability.task-iam-role")
	}
	if in.NetworkMode == ecstypes.NetworkModeAwsvpc {
		add("com.amazonaws.ecs.capability.docker-remote-api.1.18")
		add("ecs.capability.task-eni")
	}
	for _, c := range in.ContainerDefinitions {
		if strings.Contains(aws.ToString(c.Image), ".dkr.ecr.") {
			add("com.amazonaws.ecs.capability.ecr-auth")
			if in.ExecutionRoleArn != nil {
				add("ecs.capability.execution-role-ecr-pull")
			}
		}
		if len(c.DockerLabels) > 0 {
			add("com.amazonaws.ecs.capability.docker-remote-api.1.18")
		}
		if lc := c.LogConfiguration; lc != nil && lc.LogDriver != "" {
			add("com.amazonaws.ecs.capability.logging-driver." + string(lc.LogDriver))
			if lc.LogDriver == ecstypes.LogDriverAwslogs && in.ExecutionRoleArn != nil {
				add("ecs.capability.execution-role-awslogs")
			}
			add("com.amazonaws.ecs.capability.docker-remote-api.1.19")
		}
		for _, sec := range c.Secrets {
			if strings.Contains(aws.ToString(sec.ValueFrom), ":secretsmanager:") {
				add("ecs.capability.secrets.asm.environment-variables")
			} else {
				add("ecs.capability.secrets.ssm.environment-variables")
			}
		}
		if len(c.DependsOn) > 0 {
			add("ecs.capability.container-ordering")
		}
		if c.HealthCheck != nil {
			add("ecs.capability.container-health-check")
		}
	}
	out := make([]ecstypes.Attribute, 0, len(names))
	for _, n := range names {
		out = append(out, ecstypes.Attribute{Name: aws.String(n)})
	}
	return out
}

// register stores a validated task definition as the family's next revision.
func (s *ecsService) register(in *ecs.RegisterTaskDefinitionInput, now time.Time) (*ecsTaskDef, error) {
	if err := validateTaskDefinition(in); err != nil {
		return nil, err
	}
	family := aws.ToString(in.Family)
	rev := int32(len(s.families[family]) + 1)
	compat := []ecstypes.Compatibility{ecstypes.CompatibilityExternal, ecstypes.CompatibilityEc2}
	if in.NetworkMode == ecstypes.NetworkModeAwsvpc && in.Cpu != nil && in.Memory != nil {
		compat = append(compat, ecstypes.CompatibilityFargate)
	}
	td := ecstypes.TaskDefinition{
		TaskDefinitionArn:       aws.String(s.arn(fmt.Sprintf("task-definition/%s:%d", family, rev))),
		Family:                  aws.String(family),
		Revision:                rev,
		Status:                  ecstypes.TaskDefinitionStatusActive,
		ContainerDefinitions:    in.ContainerDefinitions,
		Cpu:                     in.Cpu,
		Memory:                  in.Memory,
		NetworkMode:             in.NetworkMode,
		TaskRoleArn:             in.TaskRoleArn,
		ExecutionRoleArn:        in.ExecutionRoleArn,
		Volumes:                 in.Volumes,
		PlacementConstraints:    in.PlacementConstraints,
		RequiresCompatibilities: in.RequiresCompatibilities,
		Compatibilities:         compat,
		RequiresAttributes:      requiresAttributes(in),
		PidMode:                 in.PidMode,
		IpcMode:                 in.IpcMode,
		ProxyConfiguration:      in.ProxyConfiguration,
		InferenceAccelerators:   in.InferenceAccelerators,
		EphemeralStorage:        in.EphemeralStorage,
		RuntimePlatform:         in.RuntimePlatform,
		EnableFaultInjection:    in.EnableFaultInjection,
		RegisteredAt:            aws.Time(now),
		RegisteredBy:            aws.String(fmt.Sprintf("arn:aws:iam::%s:root", s.e.opts.AccountID)),
	}
	if td.Volumes == nil {
		td.Volumes = []ecstypes.Volume{}
	}
	if td.PlacementConstraints == nil {
		td.PlacementConstraints = []ecstypes.TaskDefinitionPlacementConstraint{}
	}
	d := &ecsTaskDef{td: td}
	s.families[family] = append(s.families[family], d)
	s.tdByArn[d.arn()] = d
	if len(in.Tags) > 0 {
		s.tags[d.arn()] = in.Tags
	}
	return d, nil
}

func (s *ecsService) registerTaskDefinition(in *ecs.RegisterTaskDefinitionInput, now time.Time) (any, error) {
	d, err := s.register(in, now)
	if err != nil {
		return nil, err
	}
	td := d.td
	return &ecs.RegisterTaskDefinitionOutput{TaskDefinition: &td, Tags: s.tagsOf(d.arn())}, nil
}

// taskDef resolves "family" (latest ACTIVE revision), "family:rev" or an ARN.
func (s *ecsService) taskDef(ref string) *ecsTaskDef {
	if strings.HasPrefix(ref, "arn:") {
		if d := s.tdByArn[ref]; d != nil {
			return d
		}
		ref = lastSegment(ref)
	}
	family, revStr, hasRev := strings.Cut(ref, ":")
	revs := s.families[family]
	if !hasRev {
		for i := len(revs) - 1; i >= 0; i-- {
			if revs[i].td.Status == ecstypes.TaskDefinitionStatusActive {
				return revs[i]
			}
		}
		return nil
	}
	rev, err := strconv.Atoi(revStr)
	if err != nil || rev < 1 || rev > len(revs) {
		return nil
	}
	return revs[rev-1]
}

func (s *ecsService) describeTaskDefinition(in *ecs.DescribeTaskDefinitionInput, now time.Time) (any, error) {
	d := s.taskDef(aws.ToString(in.TaskDefinition))
	if d == nil {
		return nil, apiErr("ClientException", "Unable to describe task definition.")
	}
	td := d.td
	out := &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &td}
	if hasInclude(in.Include, string(ecstypes.TaskDefinitionFieldTags)) {
		out.Tags = s.tagsOf(d.arn())
	}
	return out, nil
}

func (s *ecsService) deregisterTaskDefinition(in *ecs.DeregisterTaskDefinitionInput, now time.Time) (any, error) {
	ref := aws.ToString(in.TaskDefinition)
	if !strings.Contains(lastSegment(ref), ":") {
		return nil, apiErr("ClientException", "Task Definition revision must be specified.")
	}
	d := s.taskDef(ref)
	if d == nil || d.td.Status == ecstypes.TaskDefinitionStatusDeleteInProgress {
		return nil, apiErr("ClientException", "The specified task definition does not exist.")
	}
	if d.td.Status == ecstypes.TaskDefinitionStatusActive {
		d.td.Status = ecstypes.TaskDefinitionStatusInactive
		d.td.DeregisteredAt = aws.Time(now)
	}
	td := d.td
	return &ecs.DeregisterTaskDefinitionOutput{TaskDefinition: &td}, nil
}

func (s *ecsService) deleteTaskDefinitions(in *ecs.DeleteTaskDefinitionsInput, now time.Time) (any, error) {
	if len(in.TaskDefinitions) == 0 || len(in.TaskDefinitions) > 10 {
		return nil, apiErr("InvalidParameterException", "taskDefinitions must contain between 1 and 10 items.")
	}
	out := &ecs.DeleteTaskDefinitionsOutput{TaskDefinitions: []ecstypes.TaskDefinition{}, Failures: []ecstypes.Failure{}}
	for _, ref := range in.TaskDefinitions {
		d := s.taskDef(ref)
		switch {
		case d == nil || !strings.Contains(lastSegment(ref), ":"):
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(ref), Reason: aws.String("The specified task definition does not exist.")})
		case d.td.Status == ecstypes.TaskDefinitionStatusActive:
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(d.arn()),
				Reason: aws.String("The specified task definition is still in ACTIVE status. Please deregister the target and try again.")})
		default:
			if d.td.Status == ecstypes.TaskDefinitionStatusInactive {
				d.td.Status = ecstypes.TaskDefinitionStatusDeleteInProgress
				d.td.DeleteRequestedAt = aws.Time(now)
			}
			out.TaskDefinitions = append(out.TaskDefinitions, d.td)
		}
	}
	return out, nil
}

func (s *ecsService) listTaskDefinitions(in *ecs.ListTaskDefinitionsInput, now time.Time) (any, error) {
	status := in.Status
	if status == "" {
		status = ecstypes.TaskDefinitionStatusActive
	}
	// familyPrefix is, despite its name, an exact family match on ECS.
	var families []string
	if p := aws.ToString(in.FamilyPrefix); p != "" {
		families = []string{p}
	} else {
		families = sortedKeys(s.families)
	}
	var arns []string
	for _, f := range families {
		for _, d := range s.families[f] {
			if d.td.Status == status {
				arns = append(arns, d.arn())
			}
		}
	}
	if in.Sort == ecstypes.SortOrderDesc {
		for i, j := 0, len(arns)-1; i < j; i, j = i+1, j-1 {
			arns[i], arns[j] = arns[j], arns[i]
		}
	}
	start, end, next, err := page(len(arns), in.MaxResults, in.NextToken, 100, 100)
	if err != nil {
		return nil, err
	}
	return &ecs.ListTaskDefinitionsOutput{TaskDefinitionArns: append([]string{}, arns[start:end]...), NextToken: next}, nil
}

func (s *ecsService) listTaskDefinitionFamilies(in *ecs.ListTaskDefinitionFamiliesInput, now time.Time) (any, error) {
	var out []string
	for _, f := range sortedKeys(s.families) {
		if !strings.HasPrefix(f, aws.ToString(in.FamilyPrefix)) {
			continue
		}
		active := false
		for _, d := range s.families[f] {
			if d.td.Status == ecstypes.TaskDefinitionStatusActive {
				active = true
			}
		}
		switch in.Status {
		case ecstypes.TaskDefinitionFamilyStatusActive:
			if !active {
				continue
			}
		case ecstypes.TaskDefinitionFamilyStatusInactive:
			if active {
				continue
			}
		}
		out = append(out, f)
	}
	sort.Strings(out)
	start, end, next, err := page(len(out), in.MaxResults, in.NextToken, 100, 100)
	if err != nil {
		return nil, err
	}
	return &ecs.ListTaskDefinitionFamiliesOutput{Families: append([]string{}, out[start:end]...), NextToken: next}, nil
}
