package normalize

// The rules. Adding a rule is one line: when ECS starts filling in a new
// default or returns a list in a new order, add it here and add an
// equivalent pair to the table test.
//
// Paths are JSON member names separated by dots; "[]" walks every element of
// a list. Conditions are evaluated on the document as it was before any rule
// ran.

// TaskDefinitionRules apply to a task definition (RegisterTaskDefinition
// shape, tags included).
var TaskDefinitionRules = []Rule{
	// Unit spellings.
	Convert("cpu", cpuUnits),
	Convert("memory", memoryUnits),

	// API defaults.
	Default("networkMode", "bridge"),
	Default("enableFaultInjection", false),
	Default("proxyConfiguration.type", "APPMESH"),
	Default("containerDefinitions[].essential", true),
	Default("containerDefinitions[].cpu", 0),
	Default("containerDefinitions[].privileged", false),
	Default("containerDefinitions[].readonlyRootFilesystem", false),
	Default("containerDefinitions[].disableNetworking", false),
	Default("containerDefinitions[].interactive", false),
	Default("containerDefinitions[].pseudoTerminal", false),
	Default("containerDefinitions[].versionConsistency", "enabled"),
	Default("containerDefinitions[].linuxParameters.initProcessEnabled", false),
	Default("containerDefinitions[].portMappings[].protocol", "tcp"),
	DefaultFrom("containerDefinitions[].portMappings[].hostPort", "containerPort").When(NetworkModeIs("awsvpc", "host")),
	Default("containerDefinitions[].portMappings[].hostPort", 0).When(NetworkModeIs("bridge", "")),
	Default("containerDefinitions[].mountPoints[].readOnly", false),
	Default("containerDefinitions[].volumesFrom[].readOnly", false),
	Default("containerDefinitions[].environmentFiles[].type", "s3"),
	Default("containerDefinitions[].healthCheck.interval", 30),
	Default("containerDefinitions[].healthCheck.timeout", 5),
	Default("containerDefinitions[].healthCheck.retries", 3),
	Default("containerDefinitions[].healthCheck.startPeriod", 0),
	Default("volumes[].efsVolumeConfiguration.rootDirectory", "/"),
	Default("volumes[].efsVolumeConfiguration.transitEncryption", "DISABLED"),
	Default("volumes[].efsVolumeConfiguration.authorizationConfig.iam", "DISABLED"),
	Default("volumes[].dockerVolumeConfiguration.scope", "task"),

	// Unordered lists.
	Set("containerDefinitions", "name"),
	Set("containerDefinitions[].environment", "name"),
	Set("containerDefinitions[].secrets", "name"),
	Set("containerDefinitions[].portMappings", ""),
	Set("containerDefinitions[].mountPoints", ""),
	Set("containerDefinitions[].volumesFrom", ""),
	Set("containerDefinitions[].ulimits", "name"),
	Set("containerDefinitions[].systemControls", "namespace"),
	Set("containerDefinitions[].dependsOn", "containerName"),
	Set("containerDefinitions[].extraHosts", ""),
	Set("containerDefinitions[].resourceRequirements", "type"),
	Set("containerDefinitions[].linuxParameters.capabilities.add", ""),
	Set("containerDefinitions[].linuxParameters.capabilities.drop", ""),
	Set("volumes", "name"),
	Set("placementConstraints", ""),
	Set("requiresCompatibilities", ""),
	Set("inferenceAccelerators", "deviceName"),
	Set("proxyConfiguration.properties", "name"),
	Set("tags", "key"),
}

// ServiceRules apply to a service definition (CreateService shape, tags
// included).
var ServiceRules = []Rule{
	// Launch type and capacity providers: a strategy replaces the launch
	// type, and EC2 is what ECS uses when neither is given.
	Drop("launchType").When(Has("capacityProviderStrategy")),
	Default("launchType", "EC2"),
	Default("capacityProviderStrategy[].base", 0),
	Default("capacityProviderStrategy[].weight", 0),

	// API defaults.
	Default("schedulingStrategy", "REPLICA"),
	Default("platformVersion", "LATEST"),
	Default("propagateTags", "NONE"),
	Default("enableECSManagedTags", false),
	Default("enableExecuteCommand", false),
	Default("healthCheckGracePeriodSeconds", 0),
	Default("availabilityZoneRebalancing", "DISABLED"),
	Default("deploymentController.type", "ECS"),
	Default("networkConfiguration.awsvpcConfiguration.assignPublicIp", "DISABLED"),
	Default("deploymentConfiguration.maximumPercent", 200).When(SchedulingStrategyIs("REPLICA", "")),
	Default("deploymentConfiguration.minimumHealthyPercent", 100).When(SchedulingStrategyIs("REPLICA", "")),
	Default("deploymentConfiguration.maximumPercent", 100).When(SchedulingStrategyIs("DAEMON")),
	Default("deploymentConfiguration.minimumHealthyPercent", 0).When(SchedulingStrategyIs("DAEMON")),
	Default("deploymentConfiguration.deploymentCircuitBreaker.enable", false),
	Default("deploymentConfiguration.deploymentCircuitBreaker.rollback", false),
	Default("deploymentConfiguration.alarms.enable", false),
	Default("deploymentConfiguration.alarms.rollback", false),
	Default("deploymentConfiguration.strategy", "ROLLING"),
	Default("deploymentConfiguration.bakeTimeInMinutes", 0),
	// Service Connect switched off is no Service Connect (what removing it
	// from the file sends).
	Default("serviceConnectConfiguration.enabled", false),

	// UpdateService keeps what it is not sent inside these objects (a
	// deploymentConfiguration without a circuit breaker leaves the circuit
	// breaker as it is), so only the members the file sets are compared.
	Merge("deploymentConfiguration"),
	Merge("deploymentConfiguration.deploymentCircuitBreaker"),

	// Unordered lists. placementStrategy is ordered: the first strategy wins.
	Set("capacityProviderStrategy", "capacityProvider"),
	Set("loadBalancers", ""),
	Set("serviceRegistries", ""),
	Set("placementConstraints", ""),
	Set("networkConfiguration.awsvpcConfiguration.subnets", ""),
	Set("networkConfiguration.awsvpcConfiguration.securityGroups", ""),
	Set("deploymentConfiguration.alarms.alarmNames", ""),
	Set("serviceConnectConfiguration.services", "portName"),
	Set("serviceConnectConfiguration.services[].clientAliases", ""),
	Set("volumeConfigurations", "name"),
	Set("vpcLatticeConfigurations", "portName"),
	Set("tags", "key"),
}

// ServiceFields are the service members a user writes and diff compares;
// anything else (status, counts, events, deployments, ARNs, and what the
// config file names: cluster, serviceName, taskDefinition) is left out.
var ServiceFields = []string{
	"availabilityZoneRebalancing",
	"capacityProviderStrategy",
	"deploymentConfiguration",
	"deploymentController",
	"desiredCount",
	"enableECSManagedTags",
	"enableExecuteCommand",
	"healthCheckGracePeriodSeconds",
	"launchType",
	"loadBalancers",
	"networkConfiguration",
	"placementConstraints",
	"placementStrategy",
	"platformVersion",
	"propagateTags",
	"schedulingStrategy",
	"serviceConnectConfiguration",
	"serviceRegistries",
	"tags",
	"volumeConfigurations",
	"vpcLatticeConfigurations",
}

// TaskDefinitionFields are the task definition members a user writes
// (RegisterTaskDefinition's input); revision, status, ARNs, timestamps,
// requiresAttributes, compatibilities and registeredBy are left out.
var TaskDefinitionFields = []string{
	"containerDefinitions",
	"cpu",
	"enableFaultInjection",
	"ephemeralStorage",
	"executionRoleArn",
	"family",
	"inferenceAccelerators",
	"ipcMode",
	"memory",
	"networkMode",
	"pidMode",
	"placementConstraints",
	"proxyConfiguration",
	"requiresCompatibilities",
	"runtimePlatform",
	"tags",
	"taskRoleArn",
	"volumes",
}

// freeFormMaps hold user keys and values: an empty string there is data,
// not "unset".
var freeFormMaps = map[string]bool{
	"dockerLabels": true,
	"options":      true,
	"driverOpts":   true,
	"labels":       true,
}
