package awsemu

import (
	"encoding/base64"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// ECSTimings are the durations of an emulated task's life. ECS takes tens of
// seconds for each; the defaults are short so the standalone server feels
// responsive, and tests with a ManualClock choose their own.
type ECSTimings struct {
	// Provision is PROVISIONING → PENDING (ENI attachment, capacity).
	Provision time.Duration
	// Pending is PENDING → RUNNING (image pull and container start); a
	// failed pull stops the task at its end.
	Pending time.Duration
	// Stop is the time from a stop request (scheduler, StopTask, container
	// exit) to STOPPED: the containers' stop. A load-balanced service's
	// task first drains (DEACTIVATING) for its target groups' deregistration
	// delay (deregistration_delay.timeout_seconds, 300 s unless the seed or
	// ModifyTargetGroupAttributes says otherwise).
	Stop time.Duration
	// RunTask is how long a RunTask task runs before its containers exit
	// (code 0 unless the awsemu.exit-code label says otherwise).
	RunTask time.Duration
	// SteadyState is how long a deployment must hold its desired count with
	// no other deployment left before ECS calls it COMPLETED.
	SteadyState time.Duration
}

// DefaultECSTimings are used until SetECSTimings is called.
var DefaultECSTimings = ECSTimings{
	Provision:   time.Second,
	Pending:     2 * time.Second,
	Stop:        time.Second,
	RunTask:     5 * time.Second,
	SteadyState: time.Second,
}

// Stopped tasks stay describable this long, as on ECS (at least an hour).
const stoppedTaskRetention = time.Hour

// ecsService is the emulated Amazon ECS control plane. All state sits behind
// one lock; every request first advances the simulation to the clock's now.
type ecsService struct {
	e       *Emulator
	mu      sync.Mutex
	rng     *rand.Rand
	timings ECSTimings

	clusters     map[string]*ecsCluster // by name
	clusterOrder []string
	families     map[string][]*ecsTaskDef // family → revisions (index = revision-1)
	tdByArn      map[string]*ecsTaskDef
	tags         map[string][]ecstypes.Tag // by resource ARN
}

type ecsCluster struct {
	name, arn         string
	createdAt         time.Time
	capacityProviders []string
	defaultStrategy   []ecstypes.CapacityProviderStrategyItem
	settings          []ecstypes.ClusterSetting
	configuration     *ecstypes.ClusterConfiguration // execute command configuration (ecs_exec.go)
	instances         []string                       // container instance ARNs (EC2 capacity)
	agentVersion      string                         // ECS agent of its instances ("" = DefaultAgentVersion)
	instanceResources *ECSInstanceResources          // each instance's CPU/memory; nil: unlimited (ecs_capacity.go)
	services          map[string]*ecsSvc             // latest service by name (INACTIVE ones included)
	serviceOrder      []*ecsSvc
	tasks             []*ecsTask // creation order
	taskByID          map[string]*ecsTask
	// tokens: RunTask and CreateService client tokens ("Op/token").
	tokens map[string]*idemCall
}

func newECSService(e *Emulator) *ecsService {
	s := &ecsService{
		e:        e,
		rng:      rand.New(rand.NewSource(e.opts.Seed + 3)),
		timings:  DefaultECSTimings,
		clusters: map[string]*ecsCluster{},
		families: map[string][]*ecsTaskDef{},
		tdByArn:  map[string]*ecsTaskDef{},
		tags:     map[string][]ecstypes.Tag{},
	}
	e.addJSONService("AmazonEC2ContainerServiceV20141113", "ECS", true, map[string]jsonOp{
		"CreateCluster":              ecsOp(s, s.createCluster),
		"DescribeClusters":           ecsOp(s, s.describeClusters),
		"ListClusters":               ecsOp(s, s.listClusters),
		"RegisterTaskDefinition":     ecsOp(s, s.registerTaskDefinition),
		"DeregisterTaskDefinition":   ecsOp(s, s.deregisterTaskDefinition),
		"DeleteTaskDefinitions":      ecsOp(s, s.deleteTaskDefinitions),
		"DescribeTaskDefinition":     ecsOp(s, s.describeTaskDefinition),
		"ListTaskDefinitions":        ecsOp(s, s.listTaskDefinitions),
		"ListTaskDefinitionFamilies": ecsOp(s, s.listTaskDefinitionFamilies),
		"CreateService":              ecsOp(s, s.createService),
		"UpdateService":              ecsOp(s, s.updateService),
		"DeleteService":              ecsOp(s, s.deleteService),
		"DescribeServices":           ecsOp(s, s.describeServices),
		"ListServices":               ecsOp(s, s.listServices),
		"RunTask":                    ecsOp(s, s.runTask),
		"StopTask":                   ecsOp(s, s.stopTask),
		"ListTasks":                  ecsOp(s, s.listTasks),
		"DescribeTasks":              ecsOp(s, s.describeTasks),
		"ListServiceDeployments":     ecsOp(s, s.listServiceDeployments),
		"DescribeServiceDeployments": ecsOp(s, s.describeServiceDeployments),
		"StopServiceDeployment":      ecsOp(s, s.stopServiceDeployment),
		"ContinueServiceDeployment":  ecsOp(s, s.continueServiceDeployment),
		"DescribeServiceRevisions":   ecsOp(s, s.describeServiceRevisions),
		"TagResource":                ecsOp(s, s.tagResource),
		"UntagResource":              ecsOp(s, s.untagResource),
		"ListTagsForResource":        ecsOp(s, s.listTagsForResource),
		"ExecuteCommand":             ecsCallerOp(s, s.executeCommand),
		"DescribeContainerInstances": ecsOp(s, s.describeContainerInstances),
		"UpdateCluster":              ecsOp(s, s.updateCluster),
	})
	return s
}

// ecsOp wraps a handler: it takes the lock, moves the simulation to now,
// runs the handler and lets the scheduler react to what it changed.
func ecsOp[I any](s *ecsService, fn func(in *I, now time.Time) (any, error)) jsonOp {
	return ecsCallerOp(s, func(in *I, _ identity, now time.Time) (any, error) { return fn(in, now) })
}

// SetECSTimings changes task lifecycle durations for tasks started from now on.
func (e *Emulator) SetECSTimings(t ECSTimings) {
	s := e.services.ecs
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timings = t
}

// --- ARNs and names ---

func (s *ecsService) arn(resource string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:%s", s.e.opts.Region, s.e.opts.AccountID, resource)
}

// lastSegment returns what follows the last "/" of an ARN, or s itself.
func lastSegment(v string) string {
	if i := strings.LastIndex(v, "/"); i >= 0 {
		return v[i+1:]
	}
	return v
}

func (s *ecsService) cluster(ref *string) (*ecsCluster, error) {
	name := aws.ToString(ref)
	if name == "" {
		name = "default"
	}
	if strings.HasPrefix(name, "arn:") {
		name = lastSegment(name)
	}
	c := s.clusters[name]
	if c == nil {
		return nil, apiErr("ClusterNotFoundException", "Cluster not found.")
	}
	return c, nil
}

// service resolves a name or ARN (old or new format) to the latest service of
// that name in c.
func (c *ecsCluster) service(ref string) *ecsSvc {
	return c.services[lastSegment(ref)]
}

// findService resolves the cluster and service of a request, with the errors
// ECS answers for either missing; active also requires status ACTIVE.
func (s *ecsService) findService(clusterRef, serviceRef *string, active bool) (*ecsCluster, *ecsSvc, error) {
	c, err := s.cluster(clusterRef)
	if err != nil {
		return nil, nil, err
	}
	svc := c.service(aws.ToString(serviceRef))
	if svc == nil {
		return nil, nil, apiErr("ServiceNotFoundException", "Service not found.")
	}
	if active && svc.status != "ACTIVE" {
		return nil, nil, apiErr("ServiceNotActiveException", "Service was not ACTIVE.")
	}
	return c, svc, nil
}

// deploymentID makes an id like ECS's: "ecs-svc/" and 19 digits.
func (s *ecsService) deploymentID() string {
	return fmt.Sprintf("ecs-svc/%019d", s.rng.Int63n(9e18)+1e17)
}

func (s *ecsService) uuid() string {
	h := s.e.newID(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (s *ecsService) shortID(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[s.rng.Intn(len(alphabet))]
	}
	return string(b)
}

// --- pagination ---

// page applies maxResults/nextToken to n items; tokens are opaque offsets.
func page(n int, maxResults *int32, nextToken *string, defMax, limit int32) (start, end int, next *string, err error) {
	max := defMax
	if maxResults != nil {
		max = *maxResults
		if max < 1 || max > limit {
			return 0, 0, nil, apiErr("InvalidParameterException", "maxResults must be between 1 and %d.", limit)
		}
	}
	if tok := aws.ToString(nextToken); tok != "" {
		raw, derr := base64.RawURLEncoding.DecodeString(tok)
		off, perr := strconv.Atoi(strings.TrimPrefix(string(raw), "awsemu:"))
		if derr != nil || perr != nil || !strings.HasPrefix(string(raw), "awsemu:") || off < 0 {
			return 0, 0, nil, apiErr("InvalidParameterException", "Invalid nextToken.")
		}
		start = off
	}
	if start > n {
		start = n
	}
	end = start + int(max)
	if end >= n {
		return start, n, nil, nil
	}
	return start, end, aws.String(base64.RawURLEncoding.EncodeToString([]byte("awsemu:" + strconv.Itoa(end)))), nil
}

// --- clusters ---

func (s *ecsService) createCluster(in *ecs.CreateClusterInput, now time.Time) (any, error) {
	name := aws.ToString(in.ClusterName)
	if name == "" {
		name = "default"
	}
	if !validName.MatchString(name) {
		return nil, apiErr("InvalidParameterException", "Cluster name contains invalid characters.")
	}
	c := s.clusters[name]
	if c == nil {
		c = s.addCluster(name, now)
		// An emulated cluster comes with one EC2 container instance, so EC2
		// services and DAEMON services can place tasks without more setup.
		s.setInstances(c, defaultInstances(in.CapacityProviders))
		c.capacityProviders = in.CapacityProviders
		c.defaultStrategy = in.DefaultCapacityProviderStrategy
		if len(in.Settings) > 0 {
			c.settings = in.Settings
		}
		c.configuration = in.Configuration
		if len(in.Tags) > 0 {
			s.tags[c.arn] = in.Tags
		}
	}
	return &ecs.CreateClusterOutput{Cluster: s.clusterView(c, true)}, nil
}

func (s *ecsService) addCluster(name string, now time.Time) *ecsCluster {
	c := &ecsCluster{
		name: name, arn: s.arn("cluster/" + name), createdAt: now,
		settings: []ecstypes.ClusterSetting{{Name: ecstypes.ClusterSettingNameContainerInsights, Value: aws.String("disabled")}},
		services: map[string]*ecsSvc{}, taskByID: map[string]*ecsTask{},
	}
	s.clusters[name] = c
	s.clusterOrder = append(s.clusterOrder, name)
	return c
}

func (s *ecsService) clusterView(c *ecsCluster, withTags bool) *ecstypes.Cluster {
	out := &ecstypes.Cluster{
		ClusterArn: aws.String(c.arn), ClusterName: aws.String(c.name), Status: aws.String("ACTIVE"),
		CapacityProviders:                 append([]string{}, c.capacityProviders...),
		DefaultCapacityProviderStrategy:   append([]ecstypes.CapacityProviderStrategyItem{}, c.defaultStrategy...),
		Settings:                          c.settings,
		RegisteredContainerInstancesCount: int32(len(c.instances)),
		Statistics:                        []ecstypes.KeyValuePair{},
	}
	for _, svc := range c.serviceOrder {
		if svc.status == "ACTIVE" && c.services[svc.name] == svc {
			out.ActiveServicesCount++
		}
	}
	for _, t := range c.tasks {
		switch t.lastStatus {
		case "RUNNING":
			out.RunningTasksCount++
		case "PROVISIONING", "PENDING", "ACTIVATING":
			out.PendingTasksCount++
		}
	}
	if withTags {
		out.Tags = s.tagsOf(c.arn)
	}
	return out
}

func (s *ecsService) describeClusters(in *ecs.DescribeClustersInput, now time.Time) (any, error) {
	names := in.Clusters
	if len(names) == 0 {
		names = []string{"default"}
	}
	if len(names) > 100 {
		return nil, apiErr("InvalidParameterException", "Clusters cannot have more than 100 elements.")
	}
	withTags := hasInclude(in.Include, string(ecstypes.ClusterFieldTags))
	withConfig := hasInclude(in.Include, string(ecstypes.ClusterFieldConfigurations))
	out := &ecs.DescribeClustersOutput{Clusters: []ecstypes.Cluster{}, Failures: []ecstypes.Failure{}}
	for _, ref := range names {
		c, err := s.cluster(aws.String(ref))
		if err != nil {
			arn := ref
			if !strings.HasPrefix(ref, "arn:") {
				arn = s.arn("cluster/" + ref)
			}
			out.Failures = append(out.Failures, ecstypes.Failure{Arn: aws.String(arn), Reason: aws.String("MISSING")})
			continue
		}
		view := s.clusterView(c, withTags)
		if withConfig {
			view.Configuration = c.configuration
		}
		out.Clusters = append(out.Clusters, *view)
	}
	return out, nil
}

func hasInclude[T ~string](list []T, want string) bool {
	for _, v := range list {
		if string(v) == want {
			return true
		}
	}
	return false
}

func (s *ecsService) listClusters(in *ecs.ListClustersInput, now time.Time) (any, error) {
	start, end, next, err := page(len(s.clusterOrder), in.MaxResults, in.NextToken, 100, 100)
	if err != nil {
		return nil, err
	}
	out := &ecs.ListClustersOutput{ClusterArns: []string{}, NextToken: next}
	for _, name := range s.clusterOrder[start:end] {
		out.ClusterArns = append(out.ClusterArns, s.clusters[name].arn)
	}
	return out, nil
}

// --- tags ---

func (s *ecsService) tagsOf(arn string) []ecstypes.Tag {
	return append([]ecstypes.Tag{}, s.tags[arn]...)
}

func (s *ecsService) resourceExists(arn string) bool {
	if !strings.HasPrefix(arn, "arn:aws:ecs:") {
		return false
	}
	if _, ok := s.tdByArn[arn]; ok {
		return true
	}
	for _, c := range s.clusters {
		if c.arn == arn {
			return true
		}
		for _, svc := range c.serviceOrder {
			if svc.arn == arn {
				return true
			}
		}
		if t := c.taskByID[lastSegment(arn)]; t != nil && t.arn == arn {
			return true
		}
	}
	return false
}

func (s *ecsService) tagResource(in *ecs.TagResourceInput, now time.Time) (any, error) {
	arn := aws.ToString(in.ResourceArn)
	if !s.resourceExists(arn) {
		return nil, apiErr("InvalidParameterException", "The specified resource is not valid.")
	}
	tags := s.tags[arn]
	for _, nt := range in.Tags {
		replaced := false
		for i := range tags {
			if aws.ToString(tags[i].Key) == aws.ToString(nt.Key) {
				tags[i].Value, replaced = nt.Value, true
			}
		}
		if !replaced {
			tags = append(tags, nt)
		}
	}
	if len(tags) > 50 {
		return nil, apiErr("InvalidParameterException", "The resource can have at most 50 tags.")
	}
	s.tags[arn] = tags
	return &ecs.TagResourceOutput{}, nil
}

func (s *ecsService) untagResource(in *ecs.UntagResourceInput, now time.Time) (any, error) {
	arn := aws.ToString(in.ResourceArn)
	if !s.resourceExists(arn) {
		return nil, apiErr("InvalidParameterException", "The specified resource is not valid.")
	}
	var kept []ecstypes.Tag
	for _, t := range s.tags[arn] {
		drop := false
		for _, k := range in.TagKeys {
			if aws.ToString(t.Key) == k {
				drop = true
			}
		}
		if !drop {
			kept = append(kept, t)
		}
	}
	s.tags[arn] = kept
	return &ecs.UntagResourceOutput{}, nil
}

func (s *ecsService) listTagsForResource(in *ecs.ListTagsForResourceInput, now time.Time) (any, error) {
	arn := aws.ToString(in.ResourceArn)
	if !s.resourceExists(arn) {
		return nil, apiErr("InvalidParameterException", "The specified resource is not valid.")
	}
	return &ecs.ListTagsForResourceOutput{Tags: s.tagsOf(arn)}, nil
}
