package fromcompose

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
)

// ecsParams is ecs-cli's ecs-params.yml (version 1), as its documentation
// describes it. Unknown keys are an error: a typo must not silently lose a
// setting the user migrates.
type ecsParams struct {
	Version        scalar     `yaml:"version"`
	TaskDefinition taskParams `yaml:"task_definition"`
	RunParams      runParams  `yaml:"run_params"`
}

type taskParams struct {
	NetworkMode          string                     `yaml:"ecs_network_mode"`
	TaskRoleArn          string                     `yaml:"task_role_arn"`
	ExecutionRole        string                     `yaml:"task_execution_role"`
	TaskSize             taskSize                   `yaml:"task_size"`
	PidMode              string                     `yaml:"pid_mode"`
	IpcMode              string                     `yaml:"ipc_mode"`
	Pid                  string                     `yaml:"pid"` // older spelling
	Ipc                  string                     `yaml:"ipc"` // older spelling
	Services             map[string]containerParams `yaml:"services"`
	DockerVolumes        []dockerVolume             `yaml:"docker_volumes"`
	EFSVolumes           []efsVolume                `yaml:"efs_volumes"`
	PlacementConstraints []constraint               `yaml:"placement_constraints"`
}

type taskSize struct {
	CPU    scalar `yaml:"cpu_limit"`
	Memory scalar `yaml:"mem_limit"`
}

type containerParams struct {
	Essential             *bool             `yaml:"essential"`
	DependsOn             []dependsOnParam  `yaml:"depends_on"`
	RepositoryCredentials *repoCredentials  `yaml:"repository_credentials"`
	CPUShares             *int64            `yaml:"cpu_shares"`
	MemLimit              scalar            `yaml:"mem_limit"`
	MemReservation        scalar            `yaml:"mem_reservation"`
	GPU                   scalar            `yaml:"gpu"`
	InitProcessEnabled    *bool             `yaml:"init_process_enabled"`
	Healthcheck           *healthcheckParam `yaml:"healthcheck"`
	FirelensConfiguration *firelensParam    `yaml:"firelens_configuration"`
	Secrets               []secretParam     `yaml:"secrets"`
	Logging               *struct {
		SecretOptions []secretParam `yaml:"secret_options"`
	} `yaml:"logging"`
}

type dependsOnParam struct {
	ContainerName string `yaml:"container_name"`
	Condition     string `yaml:"condition"`
}

type repoCredentials struct {
	CredentialsParameter string `yaml:"credentials_parameter"`
}

type healthcheckParam struct {
	Test        stringOrList `yaml:"test"`
	Command     stringOrList `yaml:"command"` // ecs-cli accepted both
	Interval    string       `yaml:"interval"`
	Timeout     string       `yaml:"timeout"`
	Retries     *int32       `yaml:"retries"`
	StartPeriod string       `yaml:"start_period"`
}

type firelensParam struct {
	Type    string            `yaml:"type"`
	Options map[string]scalar `yaml:"options"`
}

type secretParam struct {
	ValueFrom string `yaml:"value_from"`
	Name      string `yaml:"name"`
}

type dockerVolume struct {
	Name          string            `yaml:"name"`
	Scope         string            `yaml:"scope"`
	Autoprovision *bool             `yaml:"autoprovision"`
	Driver        string            `yaml:"driver"`
	DriverOpts    map[string]string `yaml:"driver_opts"`
	Labels        map[string]string `yaml:"labels"`
}

type efsVolume struct {
	Name                  string `yaml:"name"`
	FilesystemID          string `yaml:"filesystem_id"`
	RootDirectory         string `yaml:"root_directory"`
	TransitEncryption     string `yaml:"transit_encryption"`
	TransitEncryptionPort *int32 `yaml:"transit_encryption_port"`
	AccessPoint           string `yaml:"access_point"`
	IAM                   string `yaml:"iam"`
}

type constraint struct {
	Type       string `yaml:"type"`
	Expression string `yaml:"expression"`
}

type strategy struct {
	Type  string `yaml:"type"`
	Field string `yaml:"field"`
}

type runParams struct {
	NetworkConfiguration struct {
		AwsvpcConfiguration *struct {
			Subnets        []string `yaml:"subnets"`
			SecurityGroups []string `yaml:"security_groups"`
			AssignPublicIP string   `yaml:"assign_public_ip"`
		} `yaml:"awsvpc_configuration"`
	} `yaml:"network_configuration"`
	TaskPlacement struct {
		Strategy    []strategy   `yaml:"strategy"`
		Constraints []constraint `yaml:"constraints"`
	} `yaml:"task_placement"`
	ServiceDiscovery *serviceDiscoveryParams `yaml:"service_discovery"`
}

// serviceDiscoveryParams is run_params.service_discovery: where ecs-cli
// registered the service's tasks in Cloud Map (it created the namespace
// and the Cloud Map service; doppio looks them up).
type serviceDiscoveryParams struct {
	ContainerName       string `yaml:"container_name"`
	ContainerPort       *int32 `yaml:"container_port"`
	PrivateDNSNamespace struct {
		VPC         string `yaml:"vpc"`
		ID          string `yaml:"id"`
		Name        string `yaml:"name"`
		Description string `yaml:"description"`
	} `yaml:"private_dns_namespace"`
	PublicDNSNamespace struct {
		ID   string `yaml:"id"`
		Name string `yaml:"name"`
	} `yaml:"public_dns_namespace"`
	ServiceDiscoveryService struct {
		Name        string `yaml:"name"`
		Description string `yaml:"description"`
		DNSConfig   struct {
			Type string `yaml:"type"`
			TTL  *int64 `yaml:"ttl"`
		} `yaml:"dns_config"`
		HealthCheckCustomConfig struct {
			FailureThreshold *int32 `yaml:"failure_threshold"`
		} `yaml:"healthcheck_custom_config"`
	} `yaml:"service_discovery_service"`
}

// scalar is a YAML scalar read as text: ecs-params mixes 256, "256" and
// "0.5GB" for the same keys.
type scalar string

func (s *scalar) UnmarshalYAML(b []byte) error {
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return err
	}
	switch t := v.(type) {
	case nil:
		*s = ""
	case string, bool, int, int64, uint64, float64:
		*s = scalar(strings.TrimSpace(fmt.Sprint(t)))
	default:
		return fmt.Errorf("want a single value, got %s", strings.TrimSpace(string(b)))
	}
	return nil
}

// stringOrList is a health check test: ["CMD", ...] or a shell string.
type stringOrList []string

func (l *stringOrList) UnmarshalYAML(b []byte) error {
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return err
	}
	switch t := v.(type) {
	case nil:
		*l = nil
	case string:
		*l = stringOrList{"CMD-SHELL", t}
	case []any:
		out := make(stringOrList, 0, len(t))
		for _, x := range t {
			out = append(out, fmt.Sprint(x))
		}
		*l = out
	default:
		return fmt.Errorf("want a string or a list, got %s", strings.TrimSpace(string(b)))
	}
	return nil
}

// readECSParams reads the file with its environment variables expanded, as
// ecs-cli did ($VAR and ${VAR}; $$ is a literal $). Unlike ecs-cli, which
// made an unset variable empty, an unset variable is an error: an empty
// subnet or role must not be written silently.
func readECSParams(path string, env []string) (*ecsParams, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ecs-params: %w", err)
	}
	vars := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	var unset []string
	src := []byte(os.Expand(string(raw), func(name string) string {
		if name == "$" {
			return "$"
		}
		v, ok := vars[name]
		if !ok && !slices.Contains(unset, name) {
			unset = append(unset, name)
		}
		return v
	}))
	if len(unset) > 0 {
		return nil, fmt.Errorf("ecs-params %s: environment variable(s) %s not set (ecs-params expands $VAR and ${VAR} like ecs-cli; write $$ for a literal $)", path, strings.Join(unset, ", "))
	}
	var p ecsParams
	dec := yaml.NewDecoder(bytes.NewReader(src), yaml.DisallowUnknownField())
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("ecs-params %s: %s", path, yaml.FormatError(err, false, true))
	}
	switch p.Version {
	case "", "1", "1.0":
	default:
		return nil, fmt.Errorf("ecs-params %s: version %q: only version 1 exists", path, p.Version)
	}
	return &p, nil
}
