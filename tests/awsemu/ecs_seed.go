package awsemu

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// ECSSeed is the ECS part of a seed file. Task definitions and services are
// written as the JSON inputs of RegisterTaskDefinition and CreateService
// (lowerCamel or PascalCase member names); seeded services start in steady
// state: one COMPLETED deployment with its tasks RUNNING.
type ECSSeed struct {
	Clusters        []ECSClusterSeed  `json:"clusters,omitempty" yaml:"clusters,omitempty"`
	TaskDefinitions []json.RawMessage `json:"taskDefinitions,omitempty" yaml:"taskDefinitions,omitempty"`
	Services        []json.RawMessage `json:"services,omitempty" yaml:"services,omitempty"`
	// Timings overrides task lifecycle durations (Go durations: "2s").
	Timings *ECSTimingsSeed `json:"timings,omitempty" yaml:"timings,omitempty"`
}

// ECSClusterSeed describes a cluster to create.
type ECSClusterSeed struct {
	Name              string            `json:"name" yaml:"name"`
	CapacityProviders []string          `json:"capacityProviders,omitempty" yaml:"capacityProviders,omitempty"`
	Tags              map[string]string `json:"tags,omitempty" yaml:"tags,omitempty"`
	// ContainerInstances is the number of EC2 container instances (what
	// DAEMON services run one task on). Default 1, or 0 when the capacity
	// providers are only FARGATE/FARGATE_SPOT.
	ContainerInstances *int `json:"containerInstances,omitempty" yaml:"containerInstances,omitempty"`
	// AgentVersion is the ECS container agent version of the cluster's
	// instances (DescribeContainerInstances versionInfo). Default 1.86.0.
	AgentVersion string `json:"agentVersion,omitempty" yaml:"agentVersion,omitempty"`
	// InstanceResources turns on RunTask's capacity model (ecs_capacity.go):
	// what each container instance registers. Default: unlimited.
	InstanceResources *ECSInstanceResources `json:"instanceResources,omitempty" yaml:"instanceResources,omitempty"`
	// Configuration is CreateCluster's configuration (JSON member names as
	// in the API): {executeCommandConfiguration: {logging: OVERRIDE, kmsKeyId: ...}}.
	Configuration any `json:"configuration,omitempty" yaml:"configuration,omitempty"`
}

// ECSTimingsSeed is ECSTimings in a seed file; empty fields keep defaults.
type ECSTimingsSeed struct {
	Provision   string `json:"provision,omitempty" yaml:"provision,omitempty"`
	Pending     string `json:"pending,omitempty" yaml:"pending,omitempty"`
	Stop        string `json:"stop,omitempty" yaml:"stop,omitempty"`
	RunTask     string `json:"runTask,omitempty" yaml:"runTask,omitempty"`
	SteadyState string `json:"steadyState,omitempty" yaml:"steadyState,omitempty"`
}

// SeedECS applies an ECS seed.
func (e *Emulator) SeedECS(seed *ECSSeed) error { return e.services.ecs.applySeed(seed) }

func (s *ecsService) applySeed(seed *ECSSeed) error {
	if seed == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.e.now()
	s.advance(now)
	if t := seed.Timings; t != nil {
		for _, f := range []struct {
			name, v string
			dst     *time.Duration
		}{{"provision", t.Provision, &s.timings.Provision}, {"pending", t.Pending, &s.timings.Pending},
			{"stop", t.Stop, &s.timings.Stop}, {"runTask", t.RunTask, &s.timings.RunTask}, {"steadyState", t.SteadyState, &s.timings.SteadyState}} {
			if f.v == "" {
				continue
			}
			d, err := time.ParseDuration(f.v)
			if err != nil || d < 0 {
				return fmt.Errorf("ecs.timings.%s: %q is not a duration such as \"2s\"", f.name, f.v)
			}
			*f.dst = d
		}
	}
	for i, cs := range seed.Clusters {
		if err := s.seedCluster(cs, now); err != nil {
			return fmt.Errorf("ecs.clusters[%d] (%s): %w", i, cs.Name, err)
		}
	}
	for i, raw := range seed.TaskDefinitions {
		var wrapped struct {
			TaskDefinition json.RawMessage `json:"taskDefinition"`
		}
		// Accept DescribeTaskDefinition output too ({"taskDefinition": {...}}).
		if json.Unmarshal(raw, &wrapped) == nil && len(wrapped.TaskDefinition) > 0 && wrapped.TaskDefinition[0] == '{' {
			raw = wrapped.TaskDefinition
		}
		in := &ecs.RegisterTaskDefinitionInput{}
		if err := wireDecode(raw, in); err != nil {
			return fmt.Errorf("ecs.taskDefinitions[%d]: not a RegisterTaskDefinition input: %v", i, err)
		}
		if _, err := s.register(in, now); err != nil {
			return fmt.Errorf("ecs.taskDefinitions[%d] (family %q): %v", i, aws.ToString(in.Family), err)
		}
	}
	for i, raw := range seed.Services {
		in := &ecs.CreateServiceInput{}
		if err := wireDecode(raw, in); err != nil {
			return fmt.Errorf("ecs.services[%d]: not a CreateService input: %v", i, err)
		}
		if _, err := s.seedService(in, now); err != nil {
			return fmt.Errorf("ecs.services[%d] (service %q in cluster %q): %v", i, aws.ToString(in.ServiceName), aws.ToString(in.Cluster), err)
		}
	}
	return nil
}

func (s *ecsService) seedCluster(cs ECSClusterSeed, now time.Time) error {
	name := cs.Name
	if name == "" {
		name = "default"
	}
	if !validName.MatchString(name) {
		return fmt.Errorf("cluster name %q: only letters, digits, '-' and '_' are allowed", name)
	}
	c := s.clusters[name]
	if c == nil {
		c = s.addCluster(name, now)
	}
	c.capacityProviders = cs.CapacityProviders
	n := defaultInstances(cs.CapacityProviders)
	if cs.ContainerInstances != nil {
		if *cs.ContainerInstances < 0 {
			return fmt.Errorf("containerInstances must be ≥ 0, got %d", *cs.ContainerInstances)
		}
		n = *cs.ContainerInstances
	}
	s.setInstances(c, n)
	c.agentVersion = cs.AgentVersion
	if r := cs.InstanceResources; r != nil && (r.CPU <= 0 || r.Memory <= 0) {
		return fmt.Errorf("instanceResources: cpu and memory must be > 0, got %d and %d", r.CPU, r.Memory)
	}
	c.instanceResources = cs.InstanceResources
	if cs.Configuration != nil {
		b, err := json.Marshal(cs.Configuration)
		if err != nil {
			return fmt.Errorf("configuration: %w", err)
		}
		c.configuration = &ecstypes.ClusterConfiguration{}
		if err := wireDecode(b, c.configuration); err != nil {
			return fmt.Errorf("configuration: %w", err)
		}
	}
	for _, k := range sortedKeys(cs.Tags) {
		s.tags[c.arn] = append(s.tags[c.arn], ecstypes.Tag{Key: aws.String(k), Value: aws.String(cs.Tags[k])})
	}
	return nil
}

// defaultInstances is how many EC2 container instances a new cluster gets:
// one, unless its capacity providers are all Fargate.
func defaultInstances(capacityProviders []string) int {
	for _, cp := range capacityProviders {
		if cp != "FARGATE" && cp != "FARGATE_SPOT" {
			return 1
		}
	}
	if len(capacityProviders) > 0 {
		return 0
	}
	return 1
}

func (s *ecsService) setInstances(c *ecsCluster, n int) {
	for len(c.instances) < n {
		c.instances = append(c.instances, s.arn("container-instance/"+c.name+"/"+s.e.newID(16)))
	}
	c.instances = c.instances[:n]
}

// seedService creates a service and puts it straight into steady state.
func (s *ecsService) seedService(in *ecs.CreateServiceInput, now time.Time) (*ecsSvc, error) {
	svc, err := s.create(in, now)
	if err != nil {
		return nil, err
	}
	s.reconcile(svc, now)
	for _, t := range svc.tasks {
		if t.lastStatus == "PROVISIONING" || t.lastStatus == "PENDING" {
			// A seeded service already runs: its tasks started at the seed
			// time, after provisioning and pulling for as long as the
			// timings say, so DescribeTasks shows the start they took
			// (createdAt, pullStartedAt before startedAt), as ECS would for
			// tasks an earlier deployment started.
			pending := s.timings.Pending
			if t.startAfter > 0 {
				pending = t.startAfter
			}
			t.createdAt = now.Add(-s.minDur(s.timings.Provision) - s.minDur(pending))
			t.pullFailure = ""
			t.pullStartedAt = aws.Time(now.Add(-s.minDur(pending)))
			t.lastStatus = "PENDING"
			s.transition(t, now)
		}
	}
	if p := svc.deployments[0]; p.rollout == ecstypes.DeploymentRolloutStateInProgress {
		s.completeDeployment(svc, p, now)
		svc.steady = true
	}
	for _, ts := range svc.taskSets {
		ts.readyAt = now // seeded task sets start in steady state too
	}
	return svc, nil
}

// CreateCluster creates an ECS cluster (with one EC2 container instance) if
// it does not exist.
func (e *Emulator) CreateCluster(name string) error {
	s := e.services.ecs
	s.mu.Lock()
	defer s.mu.Unlock()
	now := e.now()
	s.advance(now)
	return s.seedCluster(ECSClusterSeed{Name: name}, now)
}

// SetContainerInstances sets how many EC2 container instances a cluster has;
// DAEMON services follow on the next request.
func (e *Emulator) SetContainerInstances(cluster string, n int) error {
	s, c, now, unlock, err := e.ecsClusterNow(cluster)
	defer unlock()
	if err != nil {
		return fmt.Errorf("set container instances of %s: %w", cluster, err)
	}
	if n < 0 {
		return fmt.Errorf("set container instances of %s: %d < 0", cluster, n)
	}
	s.setInstances(c, n)
	s.reconcileAll(now)
	return nil
}

// SeedTaskDefinition registers a task definition and returns its ARN.
func (e *Emulator) SeedTaskDefinition(in *ecs.RegisterTaskDefinitionInput) (string, error) {
	s := e.services.ecs
	s.mu.Lock()
	defer s.mu.Unlock()
	now := e.now()
	s.advance(now)
	d, err := s.register(in, now)
	if err != nil {
		return "", fmt.Errorf("seed task definition %s: %w", aws.ToString(in.Family), err)
	}
	return d.arn(), nil
}

// SeedService creates a service already in steady state (one COMPLETED
// deployment, its tasks RUNNING) and returns its ARN.
func (e *Emulator) SeedService(in *ecs.CreateServiceInput) (string, error) {
	s := e.services.ecs
	s.mu.Lock()
	defer s.mu.Unlock()
	now := e.now()
	s.advance(now)
	svc, err := s.seedService(in, now)
	if err != nil {
		return "", fmt.Errorf("seed service %s: %w", aws.ToString(in.ServiceName), err)
	}
	return svc.arn, nil
}

// ECSService returns a service as DescribeServices would, without a request
// (so it does not appear in the request log).
func (e *Emulator) ECSService(cluster, service string) (ecstypes.Service, bool) {
	s := e.services.ecs
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(e.now())
	c, err := s.cluster(aws.String(cluster))
	if err != nil {
		return ecstypes.Service{}, false
	}
	svc := c.service(service)
	if svc == nil {
		return ecstypes.Service{}, false
	}
	return s.newServiceView(svc, true), true
}

// ECSTasks returns every task of a cluster (stopped ones included), oldest first.
func (e *Emulator) ECSTasks(cluster string) []ecstypes.Task {
	s := e.services.ecs
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(e.now())
	c, err := s.cluster(aws.String(cluster))
	if err != nil {
		return nil
	}
	out := make([]ecstypes.Task, 0, len(c.tasks))
	for _, t := range c.tasks {
		out = append(out, s.taskView(t, true))
	}
	return out
}

// AppendServiceEvent adds an event with message to a service's events, at
// the emulator's now and newest first, as ECS's own are (message is used as
// given: no "(service …)" prefix). ECS writes every event itself; this lets a
// test show a client any text, e.g. one that tries to pass for a workflow
// command, which no emulated behaviour produces.
func (e *Emulator) AppendServiceEvent(cluster, service, message string) error {
	s, c, now, unlock, err := e.ecsClusterNow(cluster)
	defer unlock()
	if err != nil {
		return fmt.Errorf("append event: cluster %s: %w", cluster, err)
	}
	svc := c.service(service)
	if svc == nil {
		return fmt.Errorf("append event: service %s not found in cluster %s", service, cluster)
	}
	s.pushEvent(svc, now, message)
	return nil
}

// ecsClusterNow locks ECS (call unlock when done, also after an error),
// replays its lifecycle up to now, and finds the cluster, as a request would.
func (e *Emulator) ecsClusterNow(cluster string) (s *ecsService, c *ecsCluster, now time.Time, unlock func(), err error) {
	s = e.services.ecs
	s.mu.Lock()
	now = e.now()
	s.advance(now)
	c, err = s.cluster(aws.String(cluster))
	return s, c, now, s.mu.Unlock, err
}
