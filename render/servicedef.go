package render

import (
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// ServiceDefinition is the service definition file: the configurable members
// of describe-services output (read-only members are accepted and dropped).
//
// Every member the file sets is desired state, whatever its value (false, 0,
// "", []); only a member the file leaves out means "unchanged" (DesiredCount
// nil: auto scaling or an operator owns the count). The Go types cannot tell
// an enum set to "" or a list set to [] from an absent one, so the decoder
// records which keys the file set (Members, Sets), nested ones too: inside
// deploymentConfiguration a key left out is also "unchanged", since
// UpdateService keeps what it is not sent there.
type ServiceDefinition struct {
	AvailabilityZoneRebalancing   types.AvailabilityZoneRebalancing    `json:"availabilityZoneRebalancing,omitempty"`
	CapacityProviderStrategy      []types.CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	DeploymentConfiguration       *types.DeploymentConfiguration       `json:"deploymentConfiguration,omitempty"`
	DeploymentController          *types.DeploymentController          `json:"deploymentController,omitempty"`
	DesiredCount                  *int32                               `json:"desiredCount,omitempty"`
	EnableECSManagedTags          *bool                                `json:"enableECSManagedTags,omitempty"`
	EnableExecuteCommand          *bool                                `json:"enableExecuteCommand,omitempty"`
	HealthCheckGracePeriodSeconds *int32                               `json:"healthCheckGracePeriodSeconds,omitempty"`
	LaunchType                    types.LaunchType                     `json:"launchType,omitempty"`
	LoadBalancers                 []types.LoadBalancer                 `json:"loadBalancers,omitempty"`
	Monitoring                    *types.MonitoringConfiguration       `json:"monitoring,omitempty"`
	NetworkConfiguration          *types.NetworkConfiguration          `json:"networkConfiguration,omitempty"`
	PlacementConstraints          []types.PlacementConstraint          `json:"placementConstraints,omitempty"`
	PlacementStrategy             []types.PlacementStrategy            `json:"placementStrategy,omitempty"`
	PlatformFamily                *string                              `json:"platformFamily,omitempty"`
	PlatformVersion               *string                              `json:"platformVersion,omitempty"`
	PropagateTags                 types.PropagateTags                  `json:"propagateTags,omitempty"`
	// Role is the service-linked role of a classic load balancer setup
	// (CreateService only).
	Role                        *string                            `json:"role,omitempty"`
	SchedulingStrategy          types.SchedulingStrategy           `json:"schedulingStrategy,omitempty"`
	ServiceConnectConfiguration *types.ServiceConnectConfiguration `json:"serviceConnectConfiguration,omitempty"`
	ServiceRegistries           []types.ServiceRegistry            `json:"serviceRegistries,omitempty"`
	// ServiceName is always the config's `service`.
	ServiceName              *string                            `json:"serviceName,omitempty"`
	Tags                     []types.Tag                        `json:"tags,omitempty"`
	VolumeConfigurations     []types.ServiceVolumeConfiguration `json:"volumeConfigurations,omitempty"`
	VpcLatticeConfigurations []types.VpcLatticeConfiguration    `json:"vpcLatticeConfigurations,omitempty"`

	// set holds the paths of the keys the file set with a value other
	// than null ("enableExecuteCommand", "deploymentConfiguration.
	// maximumPercent"; not inside lists); nil for a definition built in
	// code.
	set map[string]bool
}

// Members lists the JSON names of the top-level members the definition
// sets, sorted. For a decoded file these are the keys it wrote (zero values
// included, serviceName and read-only members excluded); for a definition
// built in code, the members that hold a value (a non-nil pointer or slice,
// a non-empty string).
func (sd *ServiceDefinition) Members() []string {
	if sd == nil {
		return nil
	}
	var out []string
	if sd.set != nil {
		for k := range sd.set {
			if !strings.Contains(k, ".") {
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return out
	}
	rv := reflect.ValueOf(sd).Elem()
	for _, f := range serviceDefinitionFields() {
		fv := rv.FieldByIndex(f.index)
		if f.name == "serviceName" {
			continue
		}
		switch fv.Kind() {
		case reflect.Pointer, reflect.Slice:
			if fv.IsNil() {
				continue
			}
		case reflect.String:
			if fv.Len() == 0 {
				continue
			}
		}
		out = append(out, f.name)
	}
	sort.Strings(out)
	return out
}

// Sets tells whether the file set the key at path: a top-level member
// ("enableExecuteCommand") or a key inside objects
// ("deploymentConfiguration.maximumPercent"). A nested key set to "" does not
// count: the SDK does not send it. For a definition built in code only
// top-level members are known (Members).
func (sd *ServiceDefinition) Sets(path string) bool {
	if sd == nil {
		return false
	}
	if sd.set != nil {
		return sd.set[path]
	}
	return slices.Contains(sd.Members(), path)
}

// MarkSet records paths as set by the file, on top of those already
// recorded: for definitions built in code that mean a zero value.
func (sd *ServiceDefinition) MarkSet(paths ...string) {
	if sd.set == nil {
		held := sd.Members()
		sd.set = map[string]bool{}
		for _, m := range held {
			sd.set[m] = true
		}
	}
	for _, p := range paths {
		sd.set[p] = true
	}
}

// recordSet records the keys of obj (decoded into type t at path) that hold
// a value, and those of the objects below them.
func (sd *ServiceDefinition) recordSet(path string, obj map[string]any, t reflect.Type, skip map[string]struct{}) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	fs := structFields(t)
	for k, v := range obj {
		keyPath := joinPath(path, k)
		if _, dropped := skip[keyPath]; dropped || v == nil || (path != "" && v == "") {
			continue
		}
		f, ok := fs.lookup(k)
		if !ok || (path == "" && f.name == "serviceName") {
			continue
		}
		name := joinPath(path, f.name)
		sd.set[name] = true
		if inner, ok := v.(map[string]any); ok {
			sd.recordSet(name, inner, t.FieldByIndex(f.index).Type, skip)
		}
	}
}

func serviceDefinitionFields() []fieldInfo {
	fs := structFields(reflect.TypeFor[ServiceDefinition]())
	out := make([]fieldInfo, 0, len(fs.names))
	for _, n := range fs.names {
		out = append(out, fs.byName[n])
	}
	return out
}
