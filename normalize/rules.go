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
	// The API reference gives bakeTimeInMinutes no default ("You must
	// provide this parameter when you use the BLUE_GREEN deployment
	// strategy"), and ECS reports 0 for a service that never set it (what
	// Terraform imports of ROLLING services show: bake_time_in_minutes = 0).
	Default("deploymentConfiguration.bakeTimeInMinutes", 0),
	// ECS API reference, LinearConfiguration: "The default value is 10.0"
	// (stepPercent), "The default value is 6" (stepBakeTimeInMinutes).
	// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LinearConfiguration.html
	Default("deploymentConfiguration.linearConfiguration.stepPercent", 10.0),
	Default("deploymentConfiguration.linearConfiguration.stepBakeTimeInMinutes", 6),
	// ECS API reference, CanaryConfiguration: "The default value is 5.0"
	// (canaryPercent), "The default value is 10" (canaryBakeTimeInMinutes).
	// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CanaryConfiguration.html
	Default("deploymentConfiguration.canaryConfiguration.canaryPercent", 5.0),
	Default("deploymentConfiguration.canaryConfiguration.canaryBakeTimeInMinutes", 10),
	// ECS API reference, DeploymentLifecycleHook: targetType "If not
	// specified, the default value is AWS_LAMBDA";
	// DeploymentLifecycleHookTimeoutConfiguration: action "Default: ROLLBACK",
	// timeoutInMinutes "Default: 1440 (24 hours)". A timeoutConfiguration of
	// defaults only is then no timeoutConfiguration.
	// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentLifecycleHook.html
	// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentLifecycleHookTimeoutConfiguration.html
	Default("deploymentConfiguration.lifecycleHooks[].targetType", "AWS_LAMBDA"),
	Default("deploymentConfiguration.lifecycleHooks[].timeoutConfiguration.action", "ROLLBACK"),
	Default("deploymentConfiguration.lifecycleHooks[].timeoutConfiguration.timeoutInMinutes", 1440),
	// loadBalancers[].advancedConfiguration has no defaults: every member
	// (alternateTargetGroupArn, productionListenerRule, testListenerRule,
	// roleArn) is the user's (API_AdvancedConfiguration), an absent
	// testListenerRule stays absent.
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
	// A hook runs at each stage it names: the order of the names carries
	// no meaning (the order of the hooks themselves is kept).
	Set("deploymentConfiguration.lifecycleHooks[].lifecycleStages", ""),
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
	// A lifecycle hook's hookDetails is the user's JSON, passed to the
	// Lambda function as written.
	"hookDetails": true,
}
