package fromcompose

import (
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/compose-spec/compose-go/v2/types"
)

// Log drivers ECS knows, and the ones Fargate runs.
var (
	ec2LogDrivers     = []string{"awslogs", "awsfirelens", "fluentd", "gelf", "journald", "json-file", "splunk", "syslog"}
	fargateLogDrivers = []string{"awslogs", "awsfirelens", "splunk"}
)

// container maps one compose service (and its ecs-params overrides) to a
// container definition.
func (c *converter) container(name string, s types.ServiceConfig, p containerParams) ecstypes.ContainerDefinition {
	at := func(key string) string { return "services." + name + "." + key }
	pp := func(key string) string { return "ecs-params task_definition.services." + name + "." + key }
	cd := ecstypes.ContainerDefinition{Name: aws.String(name)}
	c.unconverted(name, s)

	if s.Image == "" {
		why := "ECS runs images; set image"
		if s.Build != nil {
			why = "ECS runs images and cannot build: build and push the image (e.g. in CI), then set image"
		}
		c.reject(at("image"), "%s", why)
	} else {
		cd.Image = aws.String(s.Image)
	}
	if s.Build != nil && s.Image != "" {
		c.note(at("build"), "ECS runs the image %s and cannot build it: build and push it before deploying", s.Image)
	}
	if len(s.Command) > 0 {
		cd.Command = s.Command
	}
	if len(s.Entrypoint) > 0 {
		cd.EntryPoint = s.Entrypoint
	}
	cd.Environment = c.environment(name, s)
	cd.WorkingDirectory = nonEmpty(s.WorkingDir)
	cd.User = nonEmpty(s.User)
	if s.ReadOnly {
		cd.ReadonlyRootFilesystem = aws.Bool(true)
	}
	if s.Privileged {
		if c.fargate {
			c.reject(at("privileged"), "Fargate does not run privileged containers")
		} else {
			cd.Privileged = aws.Bool(true)
		}
	}
	if s.Tty {
		cd.PseudoTerminal = aws.Bool(true)
	}
	if s.StdinOpen {
		cd.Interactive = aws.Bool(true)
	}
	if len(s.Labels) > 0 {
		cd.DockerLabels = map[string]string(s.Labels)
	}
	if s.StopGracePeriod != nil {
		secs := int32(math.Ceil(time.Duration(*s.StopGracePeriod).Seconds()))
		if secs > 120 && c.fargate {
			c.reject(at("stop_grace_period"), "Fargate waits at most 120s before killing a container, not %ds", secs)
		} else {
			cd.StopTimeout = aws.Int32(secs)
		}
	}
	c.hostSettings(name, s, &cd)
	c.resources(name, s, p, &cd)
	c.ports(name, s, &cd)
	c.healthCheck(name, s, p, &cd)
	c.logging(name, s, &cd)
	c.logSecretOptions(name, p, &cd)
	c.linuxParameters(name, s, p, &cd)
	c.mounts(name, s, &cd)
	c.dependsOn(name, s, p, &cd)
	c.secrets(name, s, p, &cd)

	if p.Essential != nil {
		cd.Essential = p.Essential
	}
	if rc := p.RepositoryCredentials; rc != nil && rc.CredentialsParameter != "" {
		cd.RepositoryCredentials = &ecstypes.RepositoryCredentials{CredentialsParameter: aws.String(rc.CredentialsParameter)}
	}
	if p.GPU != "" {
		if c.fargate {
			c.reject(pp("gpu"), "Fargate has no GPUs")
		} else {
			cd.ResourceRequirements = append(cd.ResourceRequirements, ecstypes.ResourceRequirement{Type: ecstypes.ResourceTypeGpu, Value: aws.String(string(p.GPU))})
		}
	}
	if f := p.FirelensConfiguration; f != nil {
		conf := &ecstypes.FirelensConfiguration{Type: ecstypes.FirelensConfigurationType(f.Type)}
		if f.Type != "fluentd" && f.Type != "fluentbit" {
			c.reject(pp("firelens_configuration.type"), "%q: want fluentbit or fluentd", f.Type)
		}
		if len(f.Options) > 0 {
			conf.Options = map[string]string{}
			for k, v := range f.Options {
				conf.Options[k] = string(v)
			}
		}
		cd.FirelensConfiguration = conf
	}
	return cd
}

// environment merges environment and env_file (compose-go has read the
// files); variables without a value come from the shell running compose,
// which ECS does not have.
func (c *converter) environment(name string, s types.ServiceConfig) []ecstypes.KeyValuePair {
	keys := make([]string, 0, len(s.Environment))
	for k := range s.Environment {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []ecstypes.KeyValuePair
	for _, k := range keys {
		v := s.Environment[k]
		if v == nil {
			c.note("services."+name+".environment."+k, "has no value (compose takes it from the shell that runs compose, ECS has no such shell): set a value, or use an ecs-params secret")
			continue
		}
		out = append(out, ecstypes.KeyValuePair{Name: aws.String(k), Value: aws.String(*v)})
	}
	return out
}

func (c *converter) hostSettings(name string, s types.ServiceConfig, cd *ecstypes.ContainerDefinition) {
	at := func(key string) string { return "services." + name + "." + key }
	awsvpc := c.mode == "awsvpc"
	if s.Hostname != "" {
		if awsvpc {
			c.reject(at("hostname"), "ECS does not set a container's hostname in awsvpc mode")
		} else {
			cd.Hostname = aws.String(s.Hostname)
		}
	}
	if len(s.DNS) > 0 {
		if awsvpc {
			c.reject(at("dns"), "ECS does not take DNS servers in awsvpc mode (the VPC's resolver answers)")
		} else {
			cd.DnsServers = s.DNS
		}
	}
	if len(s.DNSSearch) > 0 {
		if awsvpc {
			c.reject(at("dns_search"), "ECS does not take DNS search domains in awsvpc mode")
		} else {
			cd.DnsSearchDomains = s.DNSSearch
		}
	}
	if len(s.ExtraHosts) > 0 {
		if awsvpc {
			c.reject(at("extra_hosts"), "ECS does not take extra hosts in awsvpc mode")
		} else {
			hosts := make([]string, 0, len(s.ExtraHosts))
			for h := range s.ExtraHosts {
				hosts = append(hosts, h)
			}
			sort.Strings(hosts)
			for _, h := range hosts {
				for _, ip := range s.ExtraHosts[h] {
					cd.ExtraHosts = append(cd.ExtraHosts, ecstypes.HostEntry{Hostname: aws.String(h), IpAddress: aws.String(ip)})
				}
			}
		}
	}
	if len(s.Links) > 0 {
		if c.mode != "bridge" {
			c.reject(at("links"), "ECS links exist in bridge mode only; in %s mode the containers of a task reach each other on localhost: point the linked host names at localhost and remove links", c.mode)
		} else {
			cd.Links = s.Links
		}
	}
	if len(s.SecurityOpt) > 0 {
		if c.fargate {
			c.reject(at("security_opt"), "Fargate does not take Docker security options")
		} else {
			cd.DockerSecurityOptions = s.SecurityOpt
		}
	}
	if len(s.Sysctls) > 0 {
		keys := make([]string, 0, len(s.Sysctls))
		for k := range s.Sysctls {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			cd.SystemControls = append(cd.SystemControls, ecstypes.SystemControl{Namespace: aws.String(k), Value: aws.String(s.Sysctls[k])})
		}
	}
	for _, u := range sortedKeys(s.Ulimits) {
		l := s.Ulimits[u]
		soft, hard := l.Soft, l.Hard
		if l.Single != 0 {
			soft, hard = l.Single, l.Single
		}
		cd.Ulimits = append(cd.Ulimits, ecstypes.Ulimit{Name: ecstypes.UlimitName(u), SoftLimit: int32(soft), HardLimit: int32(hard)})
	}
}

// resources: mem_limit → memory, mem_reservation → memoryReservation,
// cpu_shares → cpu (deploy.resources as fallbacks), ecs-params winning.
func (c *converter) resources(name string, s types.ServiceConfig, p containerParams, cd *ecstypes.ContainerDefinition) {
	pp := func(key string) string { return "ecs-params task_definition.services." + name + "." + key }
	var limits, reservations *types.Resource
	if s.Deploy != nil {
		limits, reservations = s.Deploy.Resources.Limits, s.Deploy.Resources.Reservations
	}
	switch {
	case s.MemLimit > 0:
		cd.Memory = aws.Int32(mibOf(int64(s.MemLimit)))
	case limits != nil && limits.MemoryBytes > 0:
		cd.Memory = aws.Int32(mibOf(int64(limits.MemoryBytes)))
	}
	switch {
	case s.MemReservation > 0:
		cd.MemoryReservation = aws.Int32(mibOf(int64(s.MemReservation)))
	case reservations != nil && reservations.MemoryBytes > 0:
		cd.MemoryReservation = aws.Int32(mibOf(int64(reservations.MemoryBytes)))
	}
	switch {
	case s.CPUShares > 0:
		cd.Cpu = int32(s.CPUShares)
	case s.CPUS > 0:
		cd.Cpu = int32(math.Round(float64(s.CPUS) * 1024))
	case reservations != nil && reservations.NanoCPUs > 0:
		cd.Cpu = int32(math.Round(float64(reservations.NanoCPUs) * 1024))
	case limits != nil && limits.NanoCPUs > 0:
		cd.Cpu = int32(math.Round(float64(limits.NanoCPUs) * 1024))
	}
	if p.MemLimit != "" {
		if m, err := parseContainerMemory(string(p.MemLimit)); err != nil {
			c.reject(pp("mem_limit"), "%v", err)
		} else {
			cd.Memory = aws.Int32(m)
		}
	}
	if p.MemReservation != "" {
		if m, err := parseContainerMemory(string(p.MemReservation)); err != nil {
			c.reject(pp("mem_reservation"), "%v", err)
		} else {
			cd.MemoryReservation = aws.Int32(m)
		}
	}
	if p.CPUShares != nil {
		cd.Cpu = int32(*p.CPUShares)
	}
	if cd.Memory != nil && *cd.Memory < 6 {
		c.reject("services."+name+".mem_limit", "%d MiB: ECS needs at least 6 MiB for a container", *cd.Memory)
	}
	if cd.Memory != nil && cd.MemoryReservation != nil && *cd.MemoryReservation > *cd.Memory {
		c.reject("services."+name+".mem_reservation", "%d MiB is above mem_limit %d MiB", *cd.MemoryReservation, *cd.Memory)
	}
}

func (c *converter) ports(name string, s types.ServiceConfig, cd *ecstypes.ContainerDefinition) {
	for i, p := range s.Ports {
		path := fmt.Sprintf("services.%s.ports[%d]", name, i)
		pm := ecstypes.PortMapping{ContainerPort: aws.Int32(int32(p.Target))}
		switch strings.ToLower(p.Protocol) {
		case "", "tcp":
		case "udp":
			pm.Protocol = ecstypes.TransportProtocolUdp
		default:
			c.reject(path+".protocol", "%q: ECS maps tcp and udp", p.Protocol)
		}
		if p.Published != "" {
			hp, err := strconv.Atoi(p.Published)
			switch {
			case err != nil:
				c.reject(path+".published", "%q: ECS maps one host port per container port, not a range", p.Published)
			case c.mode == "awsvpc" || c.mode == "host":
				if uint32(hp) != p.Target {
					c.reject(path, "published %d differs from target %d; in %s mode the host port is the container port", hp, p.Target, c.mode)
				}
			default:
				pm.HostPort = aws.Int32(int32(hp))
			}
		}
		if p.HostIP != "" {
			c.note(path+".host_ip", "ECS binds every interface of the task; a load balancer or security group restricts who reaches it")
		}
		pm.Name = nonEmpty(p.Name)
		if p.AppProtocol != "" {
			switch p.AppProtocol {
			case "http", "http2", "grpc":
				pm.AppProtocol = ecstypes.ApplicationProtocol(p.AppProtocol)
			default:
				c.note(path+".app_protocol", "%q: ECS knows http, http2 and grpc", p.AppProtocol)
			}
		}
		cd.PortMappings = append(cd.PortMappings, pm)
	}
}

// healthCheck maps the compose healthcheck; ecs-params' healthcheck wins
// key by key (a test there replaces compose's, intervals alone keep it).
func (c *converter) healthCheck(name string, s types.ServiceConfig, p containerParams, cd *ecstypes.ContainerDefinition) {
	path := "services." + name + ".healthcheck"
	var hc *ecstypes.HealthCheck
	if h := s.HealthCheck; h != nil {
		switch {
		case h.Disable || (len(h.Test) > 0 && h.Test[0] == "NONE"):
			c.note(path, "disables the image's health check; ECS runs none unless the task definition sets healthCheck")
		case len(h.Test) == 0:
			c.note(path, "has no test; ECS needs the command (the image's HEALTHCHECK is not inherited)")
		default:
			hc = &ecstypes.HealthCheck{Command: c.healthTest(path+".test", h.Test)}
			dur := func(d *types.Duration) *int32 {
				if d == nil {
					return nil
				}
				return aws.Int32(int32(math.Ceil(time.Duration(*d).Seconds())))
			}
			hc.Interval, hc.Timeout, hc.StartPeriod = dur(h.Interval), dur(h.Timeout), dur(h.StartPeriod)
			if h.Retries != nil {
				hc.Retries = aws.Int32(int32(*h.Retries))
			}
			if h.StartInterval != nil {
				c.note(path+".start_interval", "ECS checks at interval during the start period too")
			}
		}
	}
	if h := p.Healthcheck; h != nil {
		path = "ecs-params task_definition.services." + name + ".healthcheck"
		test := h.Test
		if len(test) > 0 && len(h.Command) > 0 {
			c.reject(path, "test and command both set; give one (ecs-cli refused both too)")
		}
		if len(test) == 0 {
			test = h.Command
		}
		if hc == nil || len(test) > 0 {
			prev := hc
			hc = &ecstypes.HealthCheck{Command: c.healthTest(path+".test", test)}
			if prev != nil {
				hc.Interval, hc.Timeout, hc.Retries, hc.StartPeriod = prev.Interval, prev.Timeout, prev.Retries, prev.StartPeriod
			}
		}
		if h.Retries != nil {
			hc.Retries = h.Retries
		}
		if v := c.seconds(path+".interval", h.Interval); v != nil {
			hc.Interval = v
		}
		if v := c.seconds(path+".timeout", h.Timeout); v != nil {
			hc.Timeout = v
		}
		if v := c.seconds(path+".start_period", h.StartPeriod); v != nil {
			hc.StartPeriod = v
		}
	}
	if hc == nil || hc.Command == nil {
		return
	}
	c.healthRanges(path, hc)
	cd.HealthCheck = hc
}

func (c *converter) healthTest(path string, test []string) []string {
	if len(test) == 0 {
		c.reject(path, "a health check needs a test")
		return nil
	}
	switch test[0] {
	case "CMD", "CMD-SHELL":
		return test
	}
	// ecs-cli accepted a bare command: it runs through the shell.
	return []string{"CMD-SHELL", strings.Join(test, " ")}
}

func (c *converter) seconds(path, v string) *int32 {
	if v == "" {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		n, err2 := strconv.Atoi(v)
		if err2 != nil {
			c.reject(path, "%q is not a duration (e.g. 30s)", v)
			return nil
		}
		d = time.Duration(n) * time.Second
	}
	return aws.Int32(int32(math.Ceil(d.Seconds())))
}

// healthRanges are the bounds RegisterTaskDefinition enforces.
func (c *converter) healthRanges(path string, hc *ecstypes.HealthCheck) {
	check := func(key string, v *int32, lo, hi int32) {
		if v != nil && (*v < lo || *v > hi) {
			c.reject(path+"."+key, "%d: ECS takes %d to %d", *v, lo, hi)
		}
	}
	check("interval", hc.Interval, 5, 300)
	check("timeout", hc.Timeout, 2, 120)
	check("retries", hc.Retries, 1, 10)
	check("start_period", hc.StartPeriod, 0, 300)
}

func (c *converter) logging(name string, s types.ServiceConfig, cd *ecstypes.ContainerDefinition) {
	path := "services." + name + ".logging"
	driver, opts := "", map[string]string{}
	if s.Logging != nil {
		driver = s.Logging.Driver
		for k, v := range s.Logging.Options {
			opts[k] = v
		}
	}
	if driver == "" && s.LogDriver != "" {
		driver, path = s.LogDriver, "services."+name+".log_driver"
	}
	for k, v := range s.LogOpt {
		if _, ok := opts[k]; !ok {
			opts[k] = v
		}
	}
	if driver == "" {
		if len(opts) > 0 {
			c.note(path+".options", "options without a driver: ECS needs logging.driver (e.g. awslogs)")
		}
		return
	}
	switch {
	case driver == "none":
		c.note(path+".driver", "ECS has no \"none\" driver; without logConfiguration the output stays on the instance (EC2) or is lost (Fargate)")
		return
	case c.fargate && !contains(fargateLogDrivers, driver):
		c.reject(path+".driver", "%q: Fargate sends logs with awslogs, splunk or awsfirelens only", driver)
		return
	case !contains(ec2LogDrivers, driver):
		c.reject(path+".driver", "%q is not a log driver ECS knows (%s)", driver, strings.Join(ec2LogDrivers, ", "))
		return
	}
	if driver == "awslogs" {
		if opts["awslogs-group"] == "" {
			c.reject(path+".options.awslogs-group", "the awslogs driver needs a log group")
		}
		if opts["awslogs-region"] == "" && c.opts.Region != "" {
			opts["awslogs-region"] = c.opts.Region
			c.note(path+".options.awslogs-region", "not given; set to %s, the region init writes into the config", c.opts.Region)
		}
		if c.fargate && opts["awslogs-stream-prefix"] == "" {
			c.reject(path+".options.awslogs-stream-prefix", "Fargate needs awslogs-stream-prefix with the awslogs driver")
		}
	}
	lc := &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriver(driver)}
	if len(opts) > 0 {
		lc.Options = opts
	}
	cd.LogConfiguration = lc
}

// logSecretOptions: ecs-params services.NAME.logging.secret_options are the
// log driver's secret options (e.g. a Splunk token from Secrets Manager).
func (c *converter) logSecretOptions(name string, p containerParams, cd *ecstypes.ContainerDefinition) {
	if p.Logging == nil || len(p.Logging.SecretOptions) == 0 {
		return
	}
	path := "ecs-params task_definition.services." + name + ".logging.secret_options"
	if cd.LogConfiguration == nil {
		c.reject(path, "secret options need a log driver: set services.%s.logging.driver", name)
		return
	}
	for i, so := range p.Logging.SecretOptions {
		if so.Name == "" || so.ValueFrom == "" {
			c.reject(fmt.Sprintf("%s[%d]", path, i), "a secret option needs name and value_from")
			continue
		}
		cd.LogConfiguration.SecretOptions = append(cd.LogConfiguration.SecretOptions, ecstypes.Secret{Name: aws.String(so.Name), ValueFrom: aws.String(so.ValueFrom)})
	}
}

func (c *converter) linuxParameters(name string, s types.ServiceConfig, p containerParams, cd *ecstypes.ContainerDefinition) {
	at := func(key string) string { return "services." + name + "." + key }
	lp := &ecstypes.LinuxParameters{}
	used := false
	if len(s.CapAdd) > 0 || len(s.CapDrop) > 0 {
		caps := &ecstypes.KernelCapabilities{}
		for _, cp := range s.CapAdd {
			norm := strings.TrimPrefix(strings.ToUpper(cp), "CAP_")
			if c.fargate && norm != "SYS_PTRACE" {
				c.reject(at("cap_add"), "Fargate adds only SYS_PTRACE, not %s", cp)
				continue
			}
			caps.Add = append(caps.Add, norm)
		}
		for _, cp := range s.CapDrop {
			caps.Drop = append(caps.Drop, strings.TrimPrefix(strings.ToUpper(cp), "CAP_"))
		}
		lp.Capabilities, used = caps, true
	}
	if len(s.Devices) > 0 {
		if c.fargate {
			c.reject(at("devices"), "Fargate does not map host devices")
		}
		for _, d := range s.Devices {
			dev := ecstypes.Device{HostPath: aws.String(d.Source), ContainerPath: nonEmpty(d.Target)}
			for _, r := range d.Permissions {
				switch r {
				case 'r':
					dev.Permissions = append(dev.Permissions, ecstypes.DeviceCgroupPermissionRead)
				case 'w':
					dev.Permissions = append(dev.Permissions, ecstypes.DeviceCgroupPermissionWrite)
				case 'm':
					dev.Permissions = append(dev.Permissions, ecstypes.DeviceCgroupPermissionMknod)
				}
			}
			lp.Devices = append(lp.Devices, dev)
		}
		used = true
	}
	if s.ShmSize > 0 {
		if c.fargate {
			c.reject(at("shm_size"), "Fargate does not set the shared memory size")
		} else {
			lp.SharedMemorySize, used = aws.Int32(mibOf(int64(s.ShmSize))), true
		}
	}
	for i, t := range s.Tmpfs {
		path := fmt.Sprintf("%s[%d]", at("tmpfs"), i)
		if c.fargate {
			c.reject(path, "Fargate does not mount tmpfs")
			continue
		}
		tm, err := parseTmpfs(t)
		if err != nil {
			c.reject(path, "%v", err)
			continue
		}
		lp.Tmpfs, used = append(lp.Tmpfs, tm), true
	}
	init := s.Init
	if p.InitProcessEnabled != nil {
		init = p.InitProcessEnabled
	}
	if init != nil && *init {
		lp.InitProcessEnabled, used = aws.Bool(true), true
	}
	c.tmpfsVolumes(name, s, lp, &used)
	if used {
		cd.LinuxParameters = lp
	}
}

// parseTmpfs reads "/path:size=64m,mode=1777"; ECS needs a size.
func parseTmpfs(s string) (ecstypes.Tmpfs, error) {
	path, opts, _ := strings.Cut(s, ":")
	t := ecstypes.Tmpfs{ContainerPath: aws.String(path)}
	for _, o := range strings.Split(opts, ",") {
		if o == "" {
			continue
		}
		if v, ok := strings.CutPrefix(o, "size="); ok {
			m, err := parseContainerMemory(v)
			if err != nil {
				return t, err
			}
			t.Size = m
			continue
		}
		t.MountOptions = append(t.MountOptions, o)
	}
	if t.Size == 0 {
		return t, fmt.Errorf("%q: ECS needs a size (e.g. %s:size=64m)", s, path)
	}
	return t, nil
}

func (c *converter) tmpfsVolumes(name string, s types.ServiceConfig, lp *ecstypes.LinuxParameters, used *bool) {
	for i, v := range s.Volumes {
		if v.Type != types.VolumeTypeTmpfs {
			continue
		}
		path := fmt.Sprintf("services.%s.volumes[%d]", name, i)
		if c.fargate {
			c.reject(path, "Fargate does not mount tmpfs")
			continue
		}
		if v.Tmpfs == nil || v.Tmpfs.Size <= 0 {
			c.reject(path+".tmpfs.size", "ECS needs a size for a tmpfs mount")
			continue
		}
		lp.Tmpfs = append(lp.Tmpfs, ecstypes.Tmpfs{ContainerPath: aws.String(v.Target), Size: mibOf(int64(v.Tmpfs.Size))})
		*used = true
	}
}

var volumeNameChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// mounts maps named volumes to task volumes, absolute host paths to host
// volumes (not on Fargate) and volumes_from to volumesFrom.
func (c *converter) mounts(name string, s types.ServiceConfig, cd *ecstypes.ContainerDefinition) {
	for i, v := range s.Volumes {
		path := fmt.Sprintf("services.%s.volumes[%d]", name, i)
		var vol string
		switch v.Type {
		case types.VolumeTypeTmpfs:
			continue // linuxParameters
		case types.VolumeTypeVolume:
			vol = v.Source
			if vol == "" { // anonymous: one per container and path
				vol = name + "-" + strings.Trim(volumeNameChars.ReplaceAllString(v.Target, "-"), "-")
				c.addVolume(vol, &ecstypes.Volume{Name: aws.String(vol)})
			} else if !c.namedVolume(vol) {
				continue
			}
		case types.VolumeTypeBind:
			if !filepath.IsAbs(v.Source) || c.inProject(v.Source) {
				c.note(path, "%s is a folder of the machine that runs compose, which ECS instances do not have: put its files into the image (or use EFS via ecs-params efs_volumes)", c.localPath(v.Source))
				continue
			}
			if c.fargate {
				c.reject(path, "host path %s: Fargate has no host volumes; use a named volume (task storage) or EFS (ecs-params efs_volumes)", v.Source)
				continue
			}
			vol = strings.Trim(volumeNameChars.ReplaceAllString(v.Source, "_"), "_")
			if vol == "" {
				vol = "root"
			}
			c.addVolume(vol, &ecstypes.Volume{Name: aws.String(vol), Host: &ecstypes.HostVolumeProperties{SourcePath: aws.String(v.Source)}})
		default:
			c.note(path, "volume type %s has no ECS equivalent", v.Type)
			continue
		}
		mp := ecstypes.MountPoint{SourceVolume: aws.String(vol), ContainerPath: aws.String(v.Target)}
		if v.ReadOnly {
			mp.ReadOnly = aws.Bool(true)
		}
		cd.MountPoints = append(cd.MountPoints, mp)
	}
	for i, vf := range s.VolumesFrom {
		path := fmt.Sprintf("services.%s.volumes_from[%d]", name, i)
		src, mode, _ := strings.Cut(vf, ":")
		if strings.HasPrefix(src, "container") {
			c.note(path, "%s names a container outside the project; ECS shares volumes between containers of one task only", vf)
			continue
		}
		src = strings.TrimPrefix(src, "service:")
		f := ecstypes.VolumeFrom{SourceContainer: aws.String(src)}
		if mode == "ro" {
			f.ReadOnly = aws.Bool(true)
		}
		cd.VolumesFrom = append(cd.VolumesFrom, f)
	}
}

// namedVolume adds the task volume for a top-level compose volume: plain
// ones are task storage (Docker volumes on EC2, ephemeral on Fargate);
// drivers, options and external volumes are Docker volume configurations.
func (c *converter) namedVolume(vol string) bool {
	if _, ok := c.volumes[vol]; ok {
		return true
	}
	for _, dv := range c.params.TaskDefinition.DockerVolumes {
		if dv.Name == vol {
			return true // paramsVolumes adds it
		}
	}
	for _, ev := range c.params.TaskDefinition.EFSVolumes {
		if ev.Name == vol {
			return true
		}
	}
	top := c.project.Volumes[vol]
	if top.Driver == "" && len(top.DriverOpts) == 0 && len(top.Labels) == 0 && !bool(top.External) {
		c.addVolume(vol, &ecstypes.Volume{Name: aws.String(vol)})
		return true
	}
	if c.fargate {
		c.reject("volumes."+vol, "driver, driver_opts, labels or external make a Docker volume, which Fargate does not support; use EFS (ecs-params efs_volumes) or a plain volume")
		return false
	}
	conf := &ecstypes.DockerVolumeConfiguration{Driver: nonEmpty(top.Driver), Labels: map[string]string(top.Labels)}
	if len(top.DriverOpts) > 0 {
		conf.DriverOpts = map[string]string(top.DriverOpts)
	}
	if len(conf.Labels) == 0 {
		conf.Labels = nil
	}
	// A compose volume outlives its containers, as a shared Docker volume
	// does; an external one exists already, so the agent must not create it.
	conf.Scope, conf.Autoprovision = ecstypes.ScopeShared, aws.Bool(!bool(top.External))
	c.addVolume(vol, &ecstypes.Volume{Name: aws.String(vol), DockerVolumeConfiguration: conf})
	return true
}

func (c *converter) addVolume(name string, v *ecstypes.Volume) {
	if _, ok := c.volumes[name]; !ok {
		c.volumes[name] = v
	}
}

func (c *converter) dependsOn(name string, s types.ServiceConfig, p containerParams, cd *ecstypes.ContainerDefinition) {
	if len(p.DependsOn) > 0 {
		for i, d := range p.DependsOn {
			path := fmt.Sprintf("ecs-params task_definition.services.%s.depends_on[%d]", name, i)
			cond := ecstypes.ContainerCondition(strings.ToUpper(d.Condition))
			switch cond {
			case ecstypes.ContainerConditionStart, ecstypes.ContainerConditionComplete, ecstypes.ContainerConditionSuccess, ecstypes.ContainerConditionHealthy:
			default:
				c.reject(path+".condition", "%q: want START, COMPLETE, SUCCESS or HEALTHY", d.Condition)
			}
			if _, ok := c.project.Services[d.ContainerName]; !ok {
				c.reject(path+".container_name", "no compose service %q", d.ContainerName)
			}
			cd.DependsOn = append(cd.DependsOn, ecstypes.ContainerDependency{ContainerName: aws.String(d.ContainerName), Condition: cond})
		}
		return
	}
	for _, dep := range sortedKeys(s.DependsOn) {
		d := s.DependsOn[dep]
		var cond ecstypes.ContainerCondition
		switch d.Condition {
		case "", types.ServiceConditionStarted:
			cond = ecstypes.ContainerConditionStart
		case types.ServiceConditionHealthy:
			cond = ecstypes.ContainerConditionHealthy
		case types.ServiceConditionCompletedSuccessfully:
			cond = ecstypes.ContainerConditionSuccess
		default:
			c.reject(fmt.Sprintf("services.%s.depends_on.%s.condition", name, dep), "%q has no ECS equivalent", d.Condition)
			continue
		}
		cd.DependsOn = append(cd.DependsOn, ecstypes.ContainerDependency{ContainerName: aws.String(dep), Condition: cond})
	}
}

// secrets: compose secrets that are external with an ARN (or an SSM
// parameter name) become ECS secrets, injected as environment variables;
// ecs-params secrets (name, value_from) are added and win by name.
func (c *converter) secrets(name string, s types.ServiceConfig, p containerParams, cd *ecstypes.ContainerDefinition) {
	byName := map[string]string{}
	for i, ref := range s.Secrets {
		path := fmt.Sprintf("services.%s.secrets[%d]", name, i)
		top, ok := c.project.Secrets[ref.Source]
		if !ok {
			continue // compose-go refuses undefined secrets already
		}
		src := top.Name
		env := ref.Target
		if env == "" || strings.Contains(env, "/") {
			env = ref.Source
		}
		if paramsHasSecret(p, env) {
			continue // ecs-params says where it lives
		}
		if !bool(top.External) || !(strings.HasPrefix(src, "arn:") || strings.HasPrefix(src, "/")) {
			c.note(path, "secret %s comes from a local file or variable; ECS reads secrets from Secrets Manager or SSM Parameter Store: store it there and list it in ecs-params task_definition.services.%s.secrets", ref.Source, name)
			continue
		}
		byName[env] = src
		c.note(path, "%s is injected as the environment variable %s, not as the file /run/secrets/%s", ref.Source, env, ref.Source)
	}
	for i, sp := range p.Secrets {
		path := fmt.Sprintf("ecs-params task_definition.services.%s.secrets[%d]", name, i)
		if sp.Name == "" || sp.ValueFrom == "" {
			c.reject(path, "a secret needs name and value_from")
			continue
		}
		byName[sp.Name] = sp.ValueFrom
	}
	for _, k := range sortedKeys(byName) {
		cd.Secrets = append(cd.Secrets, ecstypes.Secret{Name: aws.String(k), ValueFrom: aws.String(byName[k])})
	}
}

func paramsHasSecret(p containerParams, name string) bool {
	for _, sp := range p.Secrets {
		if sp.Name == name {
			return true
		}
	}
	return false
}

func (c *converter) inProject(p string) bool {
	rel, err := filepath.Rel(c.project.WorkingDir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// localPath shows a path of the compose project relative to it, as the
// user wrote it.
func (c *converter) localPath(p string) string {
	if c.inProject(p) {
		rel, _ := filepath.Rel(c.project.WorkingDir, p)
		return "./" + filepath.ToSlash(rel)
	}
	return p
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
