package render

import "github.com/aws/aws-sdk-go-v2/service/ecs/types"

// ServiceDefinition is the service definition file: the configurable members
// of describe-services output (read-only members are accepted and dropped).
// Pointers and nil slices mean "not set"; DesiredCount nil means doppio does
// not manage the count (auto scaling or manual changes own it).
type ServiceDefinition struct {
	AvailabilityZoneRebalancing   types.AvailabilityZoneRebalancing    `json:"availabilityZoneRebalancing,omitempty"`
	CapacityProviderStrategy      []types.CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	DeploymentConfiguration       *types.DeploymentConfiguration       `json:"deploymentConfiguration,omitempty"`
	DeploymentController          *types.DeploymentController          `json:"deploymentController,omitempty"`
	DesiredCount                  *int32                               `json:"desiredCount,omitempty"`
	EnableECSManagedTags          bool                                 `json:"enableECSManagedTags,omitempty"`
	EnableExecuteCommand          bool                                 `json:"enableExecuteCommand,omitempty"`
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
}
