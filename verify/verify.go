// Package verify checks, before a deploy, that everything a task definition
// and service definition point at exists and fits: roles, images, secrets,
// log groups, environment files, load balancers, the cluster, plus the static
// rules ECS enforces. It returns a Report; it prints nothing.
//
// Apart from Options.PutLogs, verify makes no mutating AWS call.
package verify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/doppio-ecs/doppio/awsapi"
)

// Service is the part of a service definition verify looks at. The command
// copies it from render's service definition.
type Service struct {
	Name                          string
	LaunchType                    ecstypes.LaunchType
	CapacityProviderStrategy      []ecstypes.CapacityProviderStrategyItem
	PlatformVersion               *string
	LoadBalancers                 []ecstypes.LoadBalancer
	NetworkConfiguration          *ecstypes.NetworkConfiguration
	HealthCheckGracePeriodSeconds *int32
	// DeploymentConfiguration: its strategy and lifecycle hooks (blue/green).
	DeploymentConfiguration *ecstypes.DeploymentConfiguration
	// ServiceRegistries: the Cloud Map services ECS registers tasks in.
	ServiceRegistries []ecstypes.ServiceRegistry
	// DeploymentController: CODE_DEPLOY adds the CodeDeploy checks.
	DeploymentController *ecstypes.DeploymentController
	// ServiceConnectConfiguration and VolumeConfigurations: what a
	// CODE_DEPLOY service cannot have.
	ServiceConnectConfiguration *ecstypes.ServiceConnectConfiguration
	VolumeConfigurations        []ecstypes.ServiceVolumeConfiguration
}

// Input is what to verify.
type Input struct {
	TaskDefinition *ecs.RegisterTaskDefinitionInput
	Service        *Service // nil when the project has no service definition
	Cluster        string   // "" means "default"
	Region         string   // default region for names without an ARN; "" means the clients' region
	// CodeDeploy is the config's codedeploy section and appspec hooks, for a
	// CODE_DEPLOY service (nil: discover the group, no hooks).
	CodeDeploy *CodeDeploy
}

// Options tune a run.
type Options struct {
	// Deep reads secret values to check JSON keys (needs GetSecretValue and
	// kms:Decrypt, not only metadata permissions).
	Deep bool
	// PutLogs writes a test event to each awslogs group (the only mutating call).
	PutLogs bool
	// Concurrency bounds the checks in flight; 0 means 8.
	Concurrency int
	// RegistryTransport replaces the HTTP transport for container registries (tests).
	RegistryTransport http.RoundTripper
}

// DefaultConcurrency is the number of checks in flight when Options.Concurrency is 0.
const DefaultConcurrency = 8

// Run verifies in. It returns an error only when verify cannot run at all;
// problems found are in the report.
func Run(ctx context.Context, clients *awsapi.Clients, in Input, opts Options) (*Report, error) {
	if in.TaskDefinition == nil {
		return nil, errors.New("verify: no task definition to verify")
	}
	if clients == nil {
		return nil, errors.New("verify: no AWS clients")
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if in.Cluster == "" {
		in.Cluster = "default"
	}
	if in.Region == "" {
		in.Region = clients.Region()
	}
	start := time.Now()
	r := &runner{clients: clients, in: in, opts: opts, owners: map[string]*Check{}, ssmPending: map[string][]ssmItem{}}
	rep := &Report{Checks: r.build()}
	r.execute(ctx)
	for _, c := range rep.Checks {
		c.finalize()
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

// task is one unit of AWS work; it writes only to the nodes it was given.
type task struct {
	prio int // lower starts first
	run  func(ctx context.Context)
	// nodes are marked SKIP if the run is canceled before the task starts.
	nodes []*Check
}

type duplicate struct{ node, owner *Check }

type runner struct {
	clients *awsapi.Clients
	in      Input
	opts    Options
	memo    memo

	tasks      []task
	owners     map[string]*Check
	dups       []duplicate
	ssmPending map[string][]ssmItem // by region

	mu       sync.Mutex
	ssmBy    map[string]*ssm.Client
	smBy     map[string]*secretsmanager.Client
	logsBy   map[string]*cloudwatchlogs.Client
	putLogID string
}

const (
	prioImage = iota // slowest (several registry round trips): start first
	prioOther
)

// once registers node under key: it returns false, and marks node as a
// cached copy, when an identical item was already scheduled.
func (r *runner) once(node *Check, key string) bool {
	if owner, ok := r.owners[key]; ok {
		node.Cached = true
		r.dups = append(r.dups, duplicate{node, owner})
		return false
	}
	r.owners[key] = node
	return true
}

func (r *runner) schedule(node *Check, key string, prio int, fn func(ctx context.Context, c *Check)) {
	if key != "" && !r.once(node, key) {
		return
	}
	r.tasks = append(r.tasks, task{prio: prio, nodes: []*Check{node}, run: func(ctx context.Context) { fn(ctx, node) }})
}

func (r *runner) execute(ctx context.Context) {
	r.flushSSM()
	sort.SliceStable(r.tasks, func(i, j int) bool { return r.tasks[i].prio < r.tasks[j].prio })
	sem := make(chan struct{}, r.opts.Concurrency)
	var wg sync.WaitGroup
	for _, t := range r.tasks {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			defer func() {
				if p := recover(); p != nil {
					for _, n := range t.nodes {
						n.set(NG, "internal error while checking (please report): %v\n%s", p, debug.Stack())
					}
				}
			}()
			if err := ctx.Err(); err != nil {
				for _, n := range t.nodes {
					n.set(SKIP, "not checked: %v", err)
				}
				return
			}
			t.run(ctx)
		}()
	}
	wg.Wait()
	for _, d := range r.dups {
		d.node.Status, d.node.Reason, d.node.Children = d.owner.Status, d.owner.Reason, cloneChecks(d.owner.Children)
	}
}

func cloneChecks(cs []*Check) []*Check {
	if cs == nil {
		return nil
	}
	out := make([]*Check, len(cs))
	for i, c := range cs {
		cp := *c
		cp.Children = cloneChecks(c.Children)
		out[i] = &cp
	}
	return out
}

// build lays out the whole report tree and schedules the AWS checks.
func (r *runner) build() []*Check {
	td := r.in.TaskDefinition
	root := &Check{Name: fmt.Sprintf("TaskDefinition[%s]", aws.ToString(td.Family)), group: true}
	root.add(rulesCheck(TaskRules(r.in)))
	r.roleCheck(root, "ExecutionRole", aws.ToString(td.ExecutionRoleArn), "executionRoleArn")
	r.roleCheck(root, "TaskRole", aws.ToString(td.TaskRoleArn), "taskRoleArn")

	target, hasTarget := targetPlatform(r.in)
	for _, c := range td.ContainerDefinitions {
		cn := root.add(&Check{Name: fmt.Sprintf("ContainerDefinition[%s]", aws.ToString(c.Name)), group: true})
		cn.add(rulesCheck(ContainerRules(r.in, c)))
		r.imageCheck(cn, c, target, hasTarget)
		for _, s := range c.Secrets {
			r.secretCheck(cn, s)
		}
		r.logCheck(cn, c)
		for _, f := range c.EnvironmentFiles {
			r.envFileCheck(cn, f)
		}
	}

	checks := []*Check{root}
	if s := r.in.Service; s != nil {
		sn := &Check{Name: fmt.Sprintf("ServiceDefinition[%s]", s.Name), group: true}
		sn.add(rulesCheck(ServiceRules(r.in)))
		for i, lb := range s.LoadBalancers {
			r.loadBalancerCheck(sn, i, lb)
		}
		for i, reg := range s.ServiceRegistries {
			r.registryCheck(sn, i, reg)
		}
		r.networkCheck(sn)
		r.blueGreenChecks(sn, s)
		r.codeDeployChecks(sn)
		checks = append(checks, sn)
	} else {
		checks = append(checks, &Check{Name: "ServiceDefinition", Status: SKIP, Reason: "no service definition"})
	}
	checks = append(checks, r.clusterCheck())
	return checks
}

func rulesCheck(fs []Finding) *Check {
	c := &Check{Name: "Rules"}
	if len(fs) == 0 {
		c.set(OK, "no problems found")
		return c
	}
	c.group = true
	for _, f := range fs {
		c.add(&Check{Name: f.Rule, Status: f.Status, Reason: f.Message})
	}
	return c
}

func (r *runner) roleCheck(parent *Check, label, roleARN, field string) {
	if roleARN == "" {
		parent.add(&Check{Name: label, Status: SKIP, Reason: field + " is not set"})
		return
	}
	c := parent.add(&Check{Name: fmt.Sprintf("%s[%s]", label, roleARN)})
	r.schedule(c, "role:"+roleARN, prioOther, func(ctx context.Context, c *Check) {
		r.checkRole(ctx, c, roleARN, ecsTasksPrincipal)
	})
}

func (r *runner) imageCheck(parent *Check, cd ecstypes.ContainerDefinition, target platform, hasTarget bool) {
	img := strings.TrimSpace(aws.ToString(cd.Image))
	if img == "" {
		return // reported by the container rules
	}
	c := parent.add(&Check{Name: fmt.Sprintf("Image[%s]", img)})
	private := cd.RepositoryCredentials != nil
	key := fmt.Sprintf("image:%s:%v", img, private)
	r.schedule(c, key, prioImage, func(ctx context.Context, c *Check) {
		r.checkImage(ctx, c, img, target, hasTarget, private)
	})
}

func (r *runner) clusterCheck() *Check {
	c := &Check{Name: fmt.Sprintf("Cluster[%s]", r.in.Cluster)}
	var cps []*Check
	if s := r.in.Service; s != nil {
		for _, cp := range s.CapacityProviderStrategy {
			cps = append(cps, c.add(&Check{Name: fmt.Sprintf("CapacityProvider[%s]", aws.ToString(cp.CapacityProvider))}))
		}
	}
	r.tasks = append(r.tasks, task{prio: prioOther, nodes: append([]*Check{c}, cps...), run: func(ctx context.Context) {
		r.checkCluster(ctx, c, cps)
	}})
	return c
}

func (r *runner) checkCluster(ctx context.Context, c *Check, cps []*Check) {
	name := r.in.Cluster
	skipAll := func(reason string) {
		for _, cp := range cps {
			cp.set(SKIP, "%s", reason)
		}
	}
	out, err := r.clients.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{name}})
	if err != nil {
		r.awsError(c, err, "cannot describe cluster "+name)
		skipAll("cluster not readable")
		return
	}
	var cl *ecstypes.Cluster
	for i := range out.Clusters {
		if aws.ToString(out.Clusters[i].ClusterName) == name || aws.ToString(out.Clusters[i].ClusterArn) == name {
			cl = &out.Clusters[i]
		}
	}
	if cl == nil {
		c.set(NG, "cluster %s does not exist in %s; create it or fix \"cluster\" in the config", name, r.clients.Region())
		skipAll("no cluster")
		return
	}
	if st := aws.ToString(cl.Status); st != "" && st != "ACTIVE" {
		c.set(NG, "cluster %s is %s, not ACTIVE", name, st)
		skipAll("cluster not active")
		return
	}
	c.set(OK, "exists")
	for i, cp := range cps {
		want := aws.ToString(r.in.Service.CapacityProviderStrategy[i].CapacityProvider)
		if slices.Contains(cl.CapacityProviders, want) {
			cp.set(OK, "associated with cluster %s", name)
			continue
		}
		cp.set(NG, "capacity provider %s is not associated with cluster %s (it has: %s); add it with PutClusterCapacityProviders", want, name, orNone(cl.CapacityProviders))
	}
}

// awsError turns an AWS error into a status: missing permissions are WARN
// (the deploy identity often has more rights than the verifying one), other
// failures NG.
func (r *runner) awsError(c *Check, err error, what string) {
	if isAccessDenied(err) {
		c.set(WARN, "%s: access denied (%s); not checked", what, errorCode(err))
		return
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		c.set(SKIP, "%s: %v", what, err)
		return
	}
	c.set(NG, "%s: %v", what, err)
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func isAccessDenied(err error) bool {
	switch errorCode(err) {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "AuthorizationError":
		return true
	}
	return false
}

// memo runs each keyed computation once per run; concurrent callers of the
// same key wait for the first.
type memo struct {
	mu sync.Mutex
	m  map[string]*memoEntry
}

type memoEntry struct {
	done chan struct{}
	val  any
	err  error
}

func (m *memo) do(key string, fn func() (any, error)) (any, error) {
	m.mu.Lock()
	if m.m == nil {
		m.m = map[string]*memoEntry{}
	}
	if e, ok := m.m[key]; ok {
		m.mu.Unlock()
		<-e.done
		return e.val, e.err
	}
	e := &memoEntry{done: make(chan struct{})}
	m.m[key] = e
	m.mu.Unlock()
	defer close(e.done)
	e.val, e.err = fn()
	return e.val, e.err
}
