// Package fromcompose turns a Docker Compose project (plus ecs-cli's
// ecs-params.yml) into one ECS task definition and, on request, a service
// definition, the way ecs-cli mapped them: every compose service becomes a
// container of one task. What has no ECS equivalent comes back as notes;
// what ECS would reject for the launch type is an error naming the compose
// key.
package fromcompose

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/doppio-ecs/doppio/apijson"
	"github.com/doppio-ecs/doppio/normalize"
	"github.com/doppio-ecs/doppio/render"
	"github.com/doppio-ecs/doppio/verify"
)

// Options say what to convert and for which launch type.
type Options struct {
	// ComposeFiles are merged in order, like docker compose -f a -f b.
	ComposeFiles []string
	// ECSParams is an ecs-params.yml path; "" means none.
	ECSParams string
	// ProjectName is the task definition family; "" means compose's own
	// project name (the top-level name:, COMPOSE_PROJECT_NAME, or the folder).
	ProjectName string
	// Service names the ECS service; "" converts the task definition alone.
	Service string
	// LaunchType is EC2 (the default, as in ecs-cli) or FARGATE.
	LaunchType string
	// Region fills awslogs-region when a logging section leaves it out.
	Region string
	// Env is the environment for interpolation; nil means os.Environ().
	Env []string
	// RoleARN turns an IAM role name (ecs-params accepts names) into an ARN;
	// nil makes role names an error.
	RoleARN func(name string) (string, error)
	// CloudMap looks up run_params.service_discovery's namespace and
	// service; nil makes service_discovery an error.
	CloudMap CloudMap
	// EnvLookup writes the lookup of an environment variable into a
	// definition (init's must_env marker); nil writes {{ must_env `NAME` }}.
	EnvLookup func(name string) string
}

// Note is a compose or ecs-params key that was not converted, and why.
type Note struct {
	Path string // e.g. services.web.build
	Why  string
}

func (n Note) String() string { return n.Path + ": " + n.Why }

// Result is the converted project.
type Result struct {
	Project        string
	TaskDefinition *ecs.RegisterTaskDefinitionInput
	Service        *render.ServiceDefinition // nil without Options.Service
	Notes          []Note
	// Actions are what the user must do before deploying (e.g. create the
	// Cloud Map service ecs-cli created), and where AWS differs from the
	// compose project.
	Actions []Note
}

// RejectedError lists what ECS would refuse for the launch type; nothing is
// written when it is returned.
type RejectedError struct {
	LaunchType string
	Problems   []Note
}

func (e *RejectedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "init --compose: %d setting(s) that ECS rejects for launch type %s (nothing written):", len(e.Problems), e.LaunchType)
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

type converter struct {
	ctx     context.Context
	opts    Options
	project *types.Project
	params  *ecsParams
	launch  string
	fargate bool
	mode    string // network mode
	notes   []Note
	actions []Note
	rejects []Note
	noted   map[string]bool
	volumes map[string]*ecstypes.Volume
}

func (c *converter) note(path, format string, args ...any) {
	if c.noted[path] {
		return
	}
	c.noted[path] = true
	c.notes = append(c.notes, Note{path, fmt.Sprintf(format, args...)})
}

func (c *converter) reject(path, format string, args ...any) {
	c.rejects = append(c.rejects, Note{path, fmt.Sprintf(format, args...)})
}

// Convert loads the compose project and maps it.
func Convert(ctx context.Context, opts Options) (*Result, error) {
	if len(opts.ComposeFiles) == 0 {
		return nil, errors.New("init --compose: no compose file given")
	}
	c := &converter{ctx: ctx, opts: opts, noted: map[string]bool{}, volumes: map[string]*ecstypes.Volume{}}
	switch c.launch = strings.ToUpper(opts.LaunchType); c.launch {
	case "":
		c.launch = "EC2"
	case "EC2", "FARGATE":
	default:
		return nil, fmt.Errorf("init --compose: --launch-type %q: want EC2 or FARGATE", opts.LaunchType)
	}
	c.fargate = c.launch == "FARGATE"

	proj, err := load(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.project = proj
	c.params = &ecsParams{}
	if opts.ECSParams != "" {
		env := opts.Env
		if env == nil {
			env = os.Environ()
		}
		if c.params, err = readECSParams(opts.ECSParams, env); err != nil {
			return nil, fmt.Errorf("init --compose: %w", err)
		}
	}
	td := c.taskDefinition()
	var sd *render.ServiceDefinition
	if opts.Service != "" {
		sd = c.serviceDefinition(td)
	} else {
		c.noteRunParamsWithoutService()
	}
	if len(c.rejects) == 0 {
		c.checkStatic(td, sd)
	}
	if len(c.rejects) > 0 {
		return nil, &RejectedError{LaunchType: c.launch, Problems: c.rejects}
	}
	sort.SliceStable(c.notes, func(i, j int) bool { return c.notes[i].Path < c.notes[j].Path })
	return &Result{Project: proj.Name, TaskDefinition: td, Service: sd, Notes: c.notes, Actions: c.actions}, nil
}

func load(ctx context.Context, opts Options) (*types.Project, error) {
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	for _, f := range opts.ComposeFiles {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("init --compose: %w", err)
		}
	}
	fns := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(filepath.Dir(opts.ComposeFiles[0])),
		cli.WithEnv(env),
		cli.WithEnvFiles(),
		cli.WithDotEnv,
		cli.WithDefaultProfiles(),
	}
	if opts.ProjectName != "" {
		fns = append(fns, cli.WithName(opts.ProjectName))
	}
	po, err := cli.NewProjectOptions(opts.ComposeFiles, fns...)
	if err != nil {
		return nil, fmt.Errorf("init --compose: %w", err)
	}
	proj, err := po.LoadProject(ctx)
	if err != nil {
		msg := err.Error()
		// The schema validator says "false schema" for a key the compose
		// specification does not have.
		if m, ok := strings.CutSuffix(msg, " false schema"); ok {
			msg = m + ": not a compose key (misspelled?)"
			if k := m[strings.LastIndex(m, ".")+1:]; oldFormatKeys[k] != "" {
				msg = m + ": " + oldFormatKeys[k]
			}
		}
		return nil, fmt.Errorf("init --compose %s: %s", strings.Join(opts.ComposeFiles, ", "), msg)
	}
	if len(proj.Services) == 0 {
		return nil, fmt.Errorf("init --compose %s: no services (are they all behind inactive profiles?)", strings.Join(opts.ComposeFiles, ", "))
	}
	return proj, nil
}

// oldFormatKeys are compose file format 1 and 2 keys (ecs-cli read them)
// that the compose specification, and so compose-go, no longer accepts.
var oldFormatKeys = map[string]string{
	"log_driver":    "a compose file format 2 key the compose specification replaced: write logging: {driver: awslogs, options: {...}}",
	"log_opt":       "a compose file format 2 key the compose specification replaced: write logging: {driver: ..., options: {...}}",
	"net":           "a compose file format 1 key: write network_mode (ECS takes the network mode from ecs-params task_definition.ecs_network_mode)",
	"dockerfile":    "a compose file format 1 key: write build: {dockerfile: ...} (ECS does not build: push the image and set image)",
	"volume_driver": "a compose file format 2 key the compose specification dropped: declare the driver on the top-level volume (volumes: NAME: {driver: ...})",
}

func (c *converter) serviceNames() []string {
	names := make([]string, 0, len(c.project.Services))
	for n := range c.project.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (c *converter) taskDefinition() *ecs.RegisterTaskDefinitionInput {
	tp := c.params.TaskDefinition
	td := &ecs.RegisterTaskDefinitionInput{Family: aws.String(c.project.Name)}
	// As ecs-cli: requiresCompatibilities only for a launch type given
	// (ecs-cli configure --default-launch-type, here --launch-type), so that
	// the task definition of a service ecs-cli created without one compares
	// equal. ECS checks a task definition without it for EC2.
	if c.opts.LaunchType != "" {
		td.RequiresCompatibilities = []ecstypes.Compatibility{ecstypes.Compatibility(c.launch)}
	}
	c.mode = tp.NetworkMode
	switch c.mode {
	case "":
		c.mode = "bridge"
		if c.fargate {
			c.mode = "awsvpc"
		}
	case "bridge", "host", "awsvpc", "none":
	default:
		c.reject("ecs-params task_definition.ecs_network_mode", "%q is not a network mode (bridge, host, awsvpc, none)", c.mode)
	}
	if c.fargate && c.mode != "awsvpc" {
		c.reject("ecs-params task_definition.ecs_network_mode", "Fargate runs tasks in awsvpc mode only, not %q", c.mode)
	}
	td.NetworkMode = ecstypes.NetworkMode(c.mode)

	td.TaskRoleArn = c.role("ecs-params task_definition.task_role_arn", tp.TaskRoleArn)
	td.ExecutionRoleArn = c.role("ecs-params task_definition.task_execution_role", tp.ExecutionRole)
	c.taskModes(td)

	for name := range tp.Services {
		if _, ok := c.project.Services[name]; !ok {
			c.reject("ecs-params task_definition.services."+name, "no compose service of that name (services: %s)", strings.Join(c.serviceNames(), ", "))
		}
	}
	for _, name := range c.serviceNames() {
		cd := c.container(name, c.project.Services[name], tp.Services[name])
		td.ContainerDefinitions = append(td.ContainerDefinitions, cd)
	}
	c.dependencyEssentials(td)
	c.paramsVolumes()
	names := make([]string, 0, len(c.volumes))
	for n := range c.volumes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		td.Volumes = append(td.Volumes, *c.volumes[n])
	}
	for i, pc := range tp.PlacementConstraints {
		path := fmt.Sprintf("ecs-params task_definition.placement_constraints[%d]", i)
		if c.fargate {
			c.reject(path, "Fargate has no placement constraints")
			continue
		}
		td.PlacementConstraints = append(td.PlacementConstraints, ecstypes.TaskDefinitionPlacementConstraint{
			Type: ecstypes.TaskDefinitionPlacementConstraintType(pc.Type), Expression: nonEmpty(pc.Expression),
		})
	}
	c.taskSize(td)
	c.platform(td)
	c.topLevelNotes()
	return td
}

// taskModes maps pid/ipc: ecs-params' task-level keys first, then the
// compose services' (ECS has one pid and ipc mode per task).
func (c *converter) taskModes(td *ecs.RegisterTaskDefinitionInput) {
	tp := c.params.TaskDefinition
	pid, pidPath := firstNonEmpty(tp.PidMode, tp.Pid), "ecs-params task_definition.pid_mode"
	ipc, ipcPath := firstNonEmpty(tp.IpcMode, tp.Ipc), "ecs-params task_definition.ipc_mode"
	for _, name := range c.serviceNames() {
		s := c.project.Services[name]
		if pid == "" && s.Pid != "" {
			pid, pidPath = s.Pid, "services."+name+".pid"
		}
		if ipc == "" && s.Ipc != "" {
			ipc, ipcPath = s.Ipc, "services."+name+".ipc"
		}
	}
	switch pid {
	case "":
	case "host", "task":
		if c.fargate && pid == "host" {
			c.reject(pidPath, "Fargate does not share the host's process namespace")
		} else {
			td.PidMode = ecstypes.PidMode(pid)
		}
	default:
		c.note(pidPath, "%q has no ECS equivalent (ECS knows host and task)", pid)
	}
	switch ipc {
	case "":
	case "host", "task", "none":
		if c.fargate {
			c.reject(ipcPath, "Fargate does not support an IPC mode")
		} else {
			td.IpcMode = ecstypes.IpcMode(ipc)
		}
	case "shareable":
		if c.fargate {
			c.reject(ipcPath, "Fargate does not support an IPC mode")
		} else {
			td.IpcMode = ecstypes.IpcModeTask
		}
	default:
		c.note(ipcPath, "%q has no ECS equivalent (ECS knows host, task and none)", ipc)
	}
}

// platform maps the services' platform (linux/arm64) to the task's
// runtimePlatform: ECS runs all containers of a task on one platform.
func (c *converter) platform(td *ecs.RegisterTaskDefinitionInput) {
	var first, firstName string
	for _, name := range c.serviceNames() {
		p := c.project.Services[name].Platform
		if p == "" {
			continue
		}
		path := "services." + name + ".platform"
		if first == "" {
			first, firstName = p, name
		} else if p != first {
			c.reject(path, "%s differs from %s's %s; the containers of one ECS task share one platform", p, firstName, first)
			continue
		}
		osName, arch, _ := strings.Cut(p, "/")
		rp := &ecstypes.RuntimePlatform{}
		switch osName {
		case "linux":
			rp.OperatingSystemFamily = ecstypes.OSFamilyLinux
		default:
			c.reject(path, "%s: only linux platforms are converted", p)
			continue
		}
		switch strings.TrimSuffix(arch, "/v8") {
		case "amd64", "x86_64":
			rp.CpuArchitecture = ecstypes.CPUArchitectureX8664
		case "arm64", "aarch64":
			rp.CpuArchitecture = ecstypes.CPUArchitectureArm64
		default:
			c.reject(path, "%s: ECS runs amd64 and arm64", p)
			continue
		}
		td.RuntimePlatform = rp
	}
}

func (c *converter) role(path, v string) *string {
	if v == "" {
		return nil
	}
	if strings.HasPrefix(v, "arn:") {
		return aws.String(v)
	}
	if c.opts.RoleARN == nil {
		c.reject(path, "%q is a role name; give the role ARN", v)
		return nil
	}
	arn, err := c.opts.RoleARN(v)
	if err != nil {
		c.reject(path, "role %q: %v", v, err)
		return nil
	}
	return aws.String(arn)
}

// taskSize sets task cpu and memory from ecs-params; on Fargate, where
// they are required, the smallest Fargate size that holds the containers
// stands in for what is not given.
func (c *converter) taskSize(td *ecs.RegisterTaskDefinitionInput) {
	ts := c.params.TaskDefinition.TaskSize
	const path = "ecs-params task_definition.task_size"
	var cpu, mem int64
	var err error
	if ts.CPU != "" {
		if cpu, err = parseTaskCPU(string(ts.CPU)); err != nil {
			c.reject(path+".cpu_limit", "%v", err)
		}
	}
	if ts.Memory != "" {
		if mem, err = parseTaskMemory(string(ts.Memory)); err != nil {
			c.reject(path+".mem_limit", "%v", err)
		}
	}
	if c.fargate && (cpu == 0 || mem == 0) {
		needCPU, needMem := containerSums(td.ContainerDefinitions)
		pc, pm, ok := fargateSize(cpu, mem, needCPU, needMem)
		if !ok {
			c.reject(path, "no Fargate size holds cpu %d units and %d MiB of memory; set cpu_limit and mem_limit", max(cpu, needCPU), max(mem, needMem))
		} else {
			c.note(path, "not given; Fargate needs one: chose cpu %d, memory %d MiB, the smallest Fargate size that holds the containers", pc, pm)
			cpu, mem = pc, pm
		}
	} else if c.fargate {
		if why := fargateSizeError(cpu, mem); why != "" {
			c.reject(path, "%s", why)
		}
	}
	if cpu > 0 {
		td.Cpu = aws.String(fmt.Sprint(cpu))
	}
	if mem > 0 {
		td.Memory = aws.String(fmt.Sprint(mem))
		return
	}
	// ECS needs memory on every container of a task without task memory;
	// ecs-cli gave such a container 512 MiB, so its services run with it.
	for i, cd := range td.ContainerDefinitions {
		if cd.Memory == nil && cd.MemoryReservation == nil {
			name := aws.ToString(cd.Name)
			td.ContainerDefinitions[i].Memory = aws.Int32(ecsCLIDefaultMemory)
			c.note("services."+name+".mem_limit", "not given, and the task has no memory: set to %d MiB, ecs-cli's default (ECS needs memory for each container of such a task); set mem_limit or mem_reservation to choose", ecsCLIDefaultMemory)
		}
	}
}

// ecsCLIDefaultMemory is the memory limit (MiB) ecs-cli gave a container
// without mem_limit or mem_reservation when the task had no memory.
const ecsCLIDefaultMemory = 512

func containerSums(cds []ecstypes.ContainerDefinition) (cpu, mem int64) {
	for _, cd := range cds {
		cpu += int64(cd.Cpu)
		switch {
		case cd.MemoryReservation != nil:
			mem += int64(*cd.MemoryReservation)
		case cd.Memory != nil:
			mem += int64(*cd.Memory)
		}
	}
	for _, cd := range cds {
		if cd.Memory != nil && int64(*cd.Memory) > mem {
			mem = int64(*cd.Memory)
		}
	}
	return cpu, mem
}

// dependencyEssentials: ECS refuses a SUCCESS dependency on an essential
// container, and a compose service others wait to complete is a one-shot
// job, so it becomes non-essential unless ecs-params says otherwise.
func (c *converter) dependencyEssentials(td *ecs.RegisterTaskDefinitionInput) {
	index := map[string]int{}
	for i, cd := range td.ContainerDefinitions {
		index[aws.ToString(cd.Name)] = i
	}
	for _, cd := range td.ContainerDefinitions {
		for _, d := range cd.DependsOn {
			j, ok := index[aws.ToString(d.ContainerName)]
			if !ok {
				continue
			}
			target := &td.ContainerDefinitions[j]
			name := aws.ToString(target.Name)
			switch d.Condition {
			case ecstypes.ContainerConditionSuccess:
				if p, ok := c.params.TaskDefinition.Services[name]; ok && p.Essential != nil && *p.Essential {
					c.reject("ecs-params task_definition.services."+name+".essential", "container %s waits for %s to complete successfully, and ECS refuses that on an essential container", aws.ToString(cd.Name), name)
					continue
				}
				target.Essential = aws.Bool(false)
			case ecstypes.ContainerConditionHealthy:
				if target.HealthCheck == nil {
					c.reject("services."+aws.ToString(cd.Name)+".depends_on."+name, "condition service_healthy needs a healthcheck on %s; ECS refuses HEALTHY otherwise", name)
				}
			}
		}
	}
}

// checkStatic runs verify's static rules over the result: what passes init
// must pass verify. A finding here is a mapping gap, reported with the rule.
func (c *converter) checkStatic(td *ecs.RegisterTaskDefinitionInput, sd *render.ServiceDefinition) {
	in := verify.Input{TaskDefinition: td, Region: c.opts.Region}
	if sd != nil {
		in.Service = &verify.Service{
			Name: c.opts.Service, LaunchType: sd.LaunchType, CapacityProviderStrategy: sd.CapacityProviderStrategy,
			PlatformVersion: sd.PlatformVersion, LoadBalancers: sd.LoadBalancers, NetworkConfiguration: sd.NetworkConfiguration,
			HealthCheckGracePeriodSeconds: sd.HealthCheckGracePeriodSeconds, ServiceRegistries: sd.ServiceRegistries,
		}
	}
	var fs []verify.Finding
	fs = append(fs, verify.TaskRules(in)...)
	for _, cd := range td.ContainerDefinitions {
		for _, f := range verify.ContainerRules(in, cd) {
			f.Message = "container " + aws.ToString(cd.Name) + ": " + f.Message
			fs = append(fs, f)
		}
	}
	fs = append(fs, verify.ServiceRules(in)...)
	for _, f := range fs {
		if f.Status != verify.NG {
			continue
		}
		path := "task definition"
		msg := f.Message
		switch f.Rule {
		case "execution-role":
			path = "ecs-params task_definition.task_execution_role"
		case "service-network-configuration", "service-subnets":
			path = "ecs-params run_params.network_configuration.awsvpc_configuration"
		case "service-registries":
			path = sdPath
		case "essential-container":
			path = "ecs-params task_definition.services.*.essential"
		}
		c.reject(path, "%s (verify rule %s)", msg, f.Rule)
	}
}

func (c *converter) topLevelNotes() {
	for name, n := range c.project.Networks {
		if name == "default" && n.Name == c.project.Name+"_default" && n.Driver == "" && !bool(n.External) {
			continue // the network compose makes for every project
		}
		c.note("networks."+name, "ECS has no user-defined networks: containers of one task share the task's network (localhost in awsvpc, links in bridge); the VPC, subnets and security groups come from ecs-params run_params.network_configuration")
	}
	for name := range c.project.Configs {
		c.note("configs."+name, "ECS has no configs: bake the file into the image, or read it from SSM Parameter Store, Secrets Manager or S3 (environmentFiles)")
	}
	for name := range c.project.Models {
		c.note("models."+name, "ECS does not run compose models")
	}
	for k := range c.project.Extensions {
		c.extension(k)
	}
}

func (c *converter) noteRunParamsWithoutService() {
	rp := c.params.RunParams
	if rp.NetworkConfiguration.AwsvpcConfiguration != nil || len(rp.TaskPlacement.Strategy) > 0 || len(rp.TaskPlacement.Constraints) > 0 || rp.ServiceDiscovery != nil {
		c.note("ecs-params run_params", "belongs to the service definition, which init writes with --service NAME")
	}
}

// serviceDefinition maps run_params and deploy keys to the ECS service.
func (c *converter) serviceDefinition(td *ecs.RegisterTaskDefinitionInput) *render.ServiceDefinition {
	sd := &render.ServiceDefinition{LaunchType: ecstypes.LaunchType(c.launch)}
	rp := c.params.RunParams
	if av := rp.NetworkConfiguration.AwsvpcConfiguration; av != nil {
		const path = "ecs-params run_params.network_configuration.awsvpc_configuration"
		if c.mode != "awsvpc" {
			c.reject(path, "the task uses network mode %s; awsvpc_configuration needs ecs_network_mode awsvpc", c.mode)
		}
		conf := &ecstypes.AwsVpcConfiguration{Subnets: av.Subnets, SecurityGroups: av.SecurityGroups}
		switch strings.ToUpper(av.AssignPublicIP) {
		case "":
		case "ENABLED", "DISABLED":
			conf.AssignPublicIp = ecstypes.AssignPublicIp(strings.ToUpper(av.AssignPublicIP))
		default:
			c.reject(path+".assign_public_ip", "%q: want ENABLED or DISABLED", av.AssignPublicIP)
		}
		sd.NetworkConfiguration = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: conf}
	}
	for i, s := range rp.TaskPlacement.Strategy {
		path := fmt.Sprintf("ecs-params run_params.task_placement.strategy[%d]", i)
		if c.fargate {
			c.reject(path, "Fargate has no placement strategies")
			continue
		}
		sd.PlacementStrategy = append(sd.PlacementStrategy, ecstypes.PlacementStrategy{Type: ecstypes.PlacementStrategyType(s.Type), Field: nonEmpty(s.Field)})
	}
	for i, pc := range rp.TaskPlacement.Constraints {
		path := fmt.Sprintf("ecs-params run_params.task_placement.constraints[%d]", i)
		if c.fargate {
			c.reject(path, "Fargate has no placement constraints")
			continue
		}
		sd.PlacementConstraints = append(sd.PlacementConstraints, ecstypes.PlacementConstraint{Type: ecstypes.PlacementConstraintType(pc.Type), Expression: nonEmpty(pc.Expression)})
	}
	c.serviceDiscovery(sd)

	// deploy.replicas / scale / deploy.mode: one ECS task holds every
	// container, so the service has one count.
	var counts []string
	desired := int32(-1)
	global, replicated := []string{}, []string{}
	for _, name := range c.serviceNames() {
		s := c.project.Services[name]
		if s.Deploy != nil && s.Deploy.Mode == "global" {
			global = append(global, name)
		} else {
			replicated = append(replicated, name)
		}
		var n *int
		switch {
		case s.Deploy != nil && s.Deploy.Replicas != nil:
			n = s.Deploy.Replicas
		case s.Scale != nil:
			n = s.Scale
		}
		if n != nil {
			counts = append(counts, fmt.Sprintf("%s %d", name, *n))
			if int32(*n) > desired {
				desired = int32(*n)
			}
		}
	}
	if len(global) > 0 {
		switch {
		case c.fargate:
			c.reject("services."+global[0]+".deploy.mode", "global (one task per instance, the DAEMON strategy) is not available on Fargate")
		case len(replicated) > 0:
			c.reject("services."+global[0]+".deploy.mode", "global and replicated services (%s) cannot share one ECS task; convert them as separate projects", strings.Join(replicated, ", "))
		default:
			sd.SchedulingStrategy = ecstypes.SchedulingStrategyDaemon
		}
	}
	if sd.SchedulingStrategy != ecstypes.SchedulingStrategyDaemon {
		if desired < 0 {
			desired = 1
		}
		sd.DesiredCount = aws.Int32(desired)
		if len(counts) > 1 {
			c.note("deploy.replicas", "one ECS task holds every container, so the service runs %d tasks (the largest of %s)", desired, strings.Join(counts, ", "))
		}
	}
	return sd
}

func (c *converter) paramsVolumes() {
	tp := c.params.TaskDefinition
	for i, dv := range tp.DockerVolumes {
		path := fmt.Sprintf("ecs-params task_definition.docker_volumes[%d]", i)
		if dv.Name == "" {
			c.reject(path+".name", "a docker volume needs a name")
			continue
		}
		if c.fargate {
			c.reject(path, "Fargate does not support Docker volumes (dockerVolumeConfiguration); use EFS (efs_volumes) or a plain named volume")
			continue
		}
		conf := &ecstypes.DockerVolumeConfiguration{
			Autoprovision: dv.Autoprovision, Driver: nonEmpty(dv.Driver), DriverOpts: dv.DriverOpts, Labels: dv.Labels,
		}
		switch dv.Scope {
		case "":
		case "task", "shared":
			conf.Scope = ecstypes.Scope(dv.Scope)
		default:
			c.reject(path+".scope", "%q: want task or shared", dv.Scope)
		}
		c.volumes[dv.Name] = &ecstypes.Volume{Name: aws.String(dv.Name), DockerVolumeConfiguration: conf}
	}
	for i, ev := range tp.EFSVolumes {
		path := fmt.Sprintf("ecs-params task_definition.efs_volumes[%d]", i)
		if ev.Name == "" || ev.FilesystemID == "" {
			c.reject(path, "an EFS volume needs name and filesystem_id")
			continue
		}
		conf := &ecstypes.EFSVolumeConfiguration{
			FileSystemId: aws.String(ev.FilesystemID), RootDirectory: nonEmpty(ev.RootDirectory),
			TransitEncryption: ecstypes.EFSTransitEncryption(strings.ToUpper(ev.TransitEncryption)), TransitEncryptionPort: ev.TransitEncryptionPort,
		}
		if ev.AccessPoint != "" || ev.IAM != "" {
			conf.AuthorizationConfig = &ecstypes.EFSAuthorizationConfig{AccessPointId: nonEmpty(ev.AccessPoint), Iam: ecstypes.EFSAuthorizationConfigIAM(strings.ToUpper(ev.IAM))}
		}
		if conf.AuthorizationConfig != nil && conf.TransitEncryption != ecstypes.EFSTransitEncryptionEnabled {
			c.reject(path+".transit_encryption", "ECS needs transit_encryption ENABLED with an access point or IAM authorization")
		}
		c.volumes[ev.Name] = &ecstypes.Volume{Name: aws.String(ev.Name), EfsVolumeConfiguration: conf}
	}
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// Documents are the task and service definition files' contents: API
// members as a user writes them, defaults left out (as init writes them).
func (r *Result) Documents() (td, sd map[string]any, err error) {
	m, err := apijson.ToMap(r.TaskDefinition)
	if err != nil {
		return nil, nil, fmt.Errorf("init --compose: task definition: %w", err)
	}
	td = normalize.StripTaskDefinitionDefaults(m)
	if r.Service != nil {
		m, err := apijson.ToMap(r.Service)
		if err != nil {
			return nil, nil, fmt.Errorf("init --compose: service definition: %w", err)
		}
		sd = normalize.StripServiceDefaults(m)
	}
	return td, sd, nil
}
