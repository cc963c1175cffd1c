package fromcompose

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// mapped are the service keys container() converts (or checks) itself.
var mapped = map[string]bool{
	"image": true, "build": true, "command": true, "entrypoint": true, "environment": true, "env_file": true,
	"ports": true, "healthcheck": true, "ulimits": true, "labels": true, "logging": true, "log_driver": true,
	"log_opt": true, "mem_limit": true, "mem_reservation": true, "cpu_shares": true, "cpus": true,
	"working_dir": true, "user": true, "read_only": true, "privileged": true, "cap_add": true, "cap_drop": true,
	"tmpfs": true, "shm_size": true, "depends_on": true, "links": true, "volumes": true, "volumes_from": true,
	"secrets": true, "hostname": true, "dns": true, "dns_search": true, "extra_hosts": true, "security_opt": true,
	"sysctls": true, "devices": true, "init": true, "tty": true, "stdin_open": true, "stop_grace_period": true,
	"pid": true, "ipc": true, "platform": true, "scale": true, "deploy": true, "profiles": true,
}

// noEquivalent explains the service keys ECS has nothing for.
var noEquivalent = map[string]string{
	"restart":             "ECS restarts tasks, not containers: the service replaces a task whose essential container stops (restart policies are ignored)",
	"container_name":      "the container is named after the compose service",
	"networks":            "containers of one ECS task share the task's network (localhost in awsvpc, links in bridge); the VPC and security groups come from ecs-params run_params.network_configuration",
	"network_mode":        "ECS sets one network mode per task: ecs-params task_definition.ecs_network_mode",
	"expose":              "ECS has no expose: the containers of a task reach each other without it",
	"external_links":      "ECS links only containers of the same task",
	"stop_signal":         "ECS stops containers with the image's STOPSIGNAL (SIGTERM by default): set it in the Dockerfile",
	"domainname":          "ECS has no domain name setting",
	"pull_policy":         "ECS pulls the image when a task starts (ECS_IMAGE_PULL_BEHAVIOR on EC2 instances)",
	"configs":             "ECS has no configs: bake the file into the image, or read it from SSM Parameter Store, Secrets Manager or S3",
	"cgroup_parent":       "ECS manages the cgroups of its tasks",
	"cgroup":              "ECS manages the cgroups of its tasks",
	"cpuset":              "ECS does not pin containers to CPUs",
	"cpu_count":           "ECS reserves CPU units: cpu_shares (cpu)",
	"cpu_percent":         "ECS reserves CPU units: cpu_shares (cpu)",
	"cpu_period":          "ECS reserves CPU units: cpu_shares (cpu)",
	"cpu_quota":           "ECS reserves CPU units: cpu_shares (cpu)",
	"cpu_rt_period":       "ECS has no real-time scheduling settings",
	"cpu_rt_runtime":      "ECS has no real-time scheduling settings",
	"blkio_config":        "ECS has no block IO limits",
	"oom_kill_disable":    "ECS has no OOM killer settings",
	"oom_score_adj":       "ECS has no OOM killer settings",
	"memswap_limit":       "ECS sets swap per container with linuxParameters.maxSwap (EC2 only): add it to the task definition",
	"mem_swappiness":      "ECS sets swappiness with linuxParameters.swappiness (EC2 only): add it to the task definition",
	"pids_limit":          "ECS has no PID limit setting",
	"userns_mode":         "ECS has no user namespace setting",
	"uts":                 "ECS has no UTS namespace setting",
	"isolation":           "Windows isolation is not converted",
	"runtime":             "ECS chooses the container runtime",
	"storage_opt":         "ECS has no storage driver options; Fargate tasks take ephemeralStorage",
	"device_cgroup_rules": "ECS has no device cgroup rules",
	"group_add":           "ECS has no supplementary groups setting; use user UID:GID",
	"mac_address":         "ECS assigns network interfaces itself",
	"attach":              "ECS sends container output to the log driver",
	"develop":             "compose watch is a development feature",
	"post_start":          "ECS has no lifecycle hooks",
	"pre_stop":            "ECS has no lifecycle hooks",
	"pre_start":           "ECS has no lifecycle hooks; use a non-essential container that others depend on with condition SUCCESS",
	"gpus":                "GPUs are ecs-params task_definition.services.NAME.gpu (EC2 only)",
	"models":              "ECS does not run compose models",
	"provider":            "ECS does not run compose providers",
	"annotations":         "ECS has no annotations; labels become dockerLabels",
	"credential_spec":     "Windows gMSA credential specs are not converted",
	"volume_driver":       "declare the driver on a top-level volume (Docker volume, EC2 only)",
	"label_file":          "read into labels by compose",
	"dns_opt":             "ECS has no resolver options",
	"net":                 "ECS sets one network mode per task: ecs-params task_definition.ecs_network_mode",
	"dockerfile":          "ECS runs images and cannot build",
}

// deployMapped are the deploy keys that are converted.
var deployNoEquivalent = map[string]string{
	"labels":          "service labels: ECS tags the service with tags in the service definition",
	"update_config":   "rollout settings are the service definition's deploymentConfiguration",
	"rollback_config": "rollback settings are deploymentConfiguration.deploymentCircuitBreaker in the service definition",
	"restart_policy":  "ECS restarts tasks, not containers: the service replaces a task whose essential container stops",
	"placement":       "placement is ecs-params run_params.task_placement",
	"endpoint_mode":   "ECS service discovery is Cloud Map (serviceRegistries) or Service Connect",
}

// unconverted lists, once, the keys of a compose service that have no ECS
// equivalent, reading the loaded service as JSON so that no key set in the
// file is missed, even one this table does not know.
func (c *converter) unconverted(name string, s types.ServiceConfig) {
	b, err := json.Marshal(s)
	if err != nil {
		return
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	at := "services." + name + "."
	for _, k := range keys {
		v := m[k]
		if isEmpty(v) || mapped[k] {
			continue
		}
		if k == "networks" && defaultNetworkOnly(s) {
			continue
		}
		if why, ok := noEquivalent[k]; ok {
			c.note(at+k, "%s", why)
			continue
		}
		c.note(at+k, "has no ECS equivalent that doppio converts")
	}
	for k := range s.Extensions {
		c.extension(at + k)
	}
	if d := s.Deploy; d != nil {
		var dm map[string]any
		db, _ := json.Marshal(d)
		if json.Unmarshal(db, &dm) == nil {
			dkeys := make([]string, 0, len(dm))
			for k := range dm {
				dkeys = append(dkeys, k)
			}
			sort.Strings(dkeys)
			for _, k := range dkeys {
				if isEmpty(dm[k]) {
					continue
				}
				switch k {
				case "replicas", "mode", "resources":
					continue
				}
				why, ok := deployNoEquivalent[k]
				if !ok {
					why = "has no ECS equivalent that doppio converts"
				}
				c.note(at+"deploy."+k, "%s", why)
			}
		}
		for _, r := range []*types.Resource{d.Resources.Limits, d.Resources.Reservations} {
			if r != nil && (r.Pids != 0 || len(r.Devices) > 0 || len(r.GenericResources) > 0) {
				c.note(at+"deploy.resources", "only cpus and memory are converted (pids, devices and generic resources have no ECS equivalent)")
			}
		}
	}
}

func defaultNetworkOnly(s types.ServiceConfig) bool {
	if len(s.Networks) != 1 {
		return false
	}
	n, ok := s.Networks["default"]
	return ok && (n == nil || (len(n.Aliases) == 0 && n.Ipv4Address == "" && n.Ipv6Address == ""))
}

// isEmpty: the loader writes some members (structs, defaults) whether the
// file set them or not; empty ones were not set.
func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
}

// extension notes the x-aws-* keys of docker compose's ECS integration,
// which users migrating from it have; other x- keys are, by the compose
// specification, for tools that know them (often YAML anchor holders).
func (c *converter) extension(path string) {
	key := path[strings.LastIndex(path, ".")+1:]
	if strings.HasPrefix(key, "x-aws-") {
		c.note(path, "docker compose's ECS integration key; not converted: set the equivalent in the task or service definition")
	}
}
