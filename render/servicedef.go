package render

import (
	"reflect"
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
// records which members the file set (Members). Nested members need no such
// record: deploy sends a member whole, and inside it an absent member is the
// API's default, which normalize's table knows.
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

	// set holds the JSON names of the members the file set (with a value
	// other than null); nil for a definition built in code.
	set map[string]bool
}

// Members lists the JSON names of the members the definition sets, sorted.
// For a decoded file these are the keys it wrote (zero values included,
// serviceName and read-only members excluded); for a definition built in
// code, the members that hold a value (a non-nil pointer or slice, a
// non-empty string).
func (sd *ServiceDefinition) Members() []string {
	if sd == nil {
		return nil
	}
	var out []string
	if sd.set != nil {
		for k := range sd.set {
			out = append(out, k)
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

// Sets tells whether the definition sets member (a JSON name).
func (sd *ServiceDefinition) Sets(member string) bool {
	if sd == nil {
		return false
	}
	if sd.set != nil {
		return sd.set[member]
	}
	for _, m := range sd.Members() {
		if m == member {
			return true
		}
	}
	return false
}

// MarkSet records members (JSON names) as set by the file, on top of those
// already recorded: for definitions built in code that mean a zero value.
func (sd *ServiceDefinition) MarkSet(members ...string) {
	if sd.set == nil {
		held := sd.Members()
		sd.set = map[string]bool{}
		for _, m := range held {
			sd.set[m] = true
		}
	}
	for _, m := range members {
		sd.set[m] = true
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

// memberName is the JSON name of a top-level key as the file spells it
// (keys match case-insensitively, like encoding/json).
func memberName(key string) (string, bool) {
	f, ok := structFields(reflect.TypeFor[ServiceDefinition]()).lookup(key)
	if !ok {
		return "", false
	}
	return f.name, !strings.EqualFold(f.name, "serviceName")
}
