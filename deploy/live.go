package deploy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/smithy-go"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/render"
)

// ECSReader is the read-only part of the ECS API that diff and init use; a
// *ecs.Client satisfies it, and so do test fakes.
type ECSReader interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// Live is what ECS runs now for one service.
type Live struct {
	// Service is nil when the service does not exist (or is INACTIVE).
	// Read through a LiveReader, its PRIMARY deployment names the Service
	// Connect namespace by name, as users write it, instead of its ARN.
	Service *ecstypes.Service
	// TaskDefinition is the revision the service runs or, without a
	// service, the newest ACTIVE revision of the family; nil when none.
	TaskDefinition     *ecstypes.TaskDefinition
	TaskDefinitionTags []ecstypes.Tag
}

// FetchLive reads the live service (when service is set) and the task
// definition it runs, or the newest ACTIVE revision of family: two calls,
// plus one Cloud Map call per Service Connect namespace and run when api is
// a *LiveReader.
func FetchLive(ctx context.Context, api ECSReader, cluster, service, family string) (*Live, error) {
	live := &Live{}
	tdRef := family
	if service != "" {
		svc, err := describeService(ctx, api, cluster, service)
		if err != nil {
			return nil, err
		}
		if nn, ok := api.(namespaceNamer); ok && svc != nil {
			if err := nameServiceConnectNamespace(ctx, nn, svc); err != nil {
				return nil, err
			}
		}
		live.Service = svc
		if svc != nil && svc.TaskDefinition != nil {
			tdRef = *svc.TaskDefinition
		}
	}
	if tdRef == "" {
		return live, nil
	}
	td, tags, err := describeTaskDefinition(ctx, api, tdRef)
	if err != nil {
		return nil, err
	}
	live.TaskDefinition, live.TaskDefinitionTags = td, tags
	return live, nil
}

func describeService(ctx context.Context, api ECSReader, cluster, service string) (*ecstypes.Service, error) {
	in := &ecs.DescribeServicesInput{
		Services: []string{service},
		Include:  []ecstypes.ServiceField{ecstypes.ServiceFieldTags},
	}
	if cluster != "" {
		in.Cluster = aws.String(cluster)
	}
	out, err := api.DescribeServices(ctx, in)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("describe service %s in cluster %s: %w", service, clusterName(cluster), err)
	}
	for i := range out.Services {
		s := &out.Services[i]
		if aws.ToString(s.Status) == "INACTIVE" {
			continue
		}
		return s, nil
	}
	return nil, nil
}

// describeTaskDefinition returns nil (no error) when the family or revision
// does not exist.
func describeTaskDefinition(ctx context.Context, api ECSReader, ref string) (*ecstypes.TaskDefinition, []ecstypes.Tag, error) {
	out, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(ref),
		Include:        []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags},
	})
	if err != nil {
		if isNotFound(err) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("describe task definition %s: %w", ref, err)
	}
	return out.TaskDefinition, out.Tags, nil
}

// isNotFound: ECS answers an unknown task definition with a
// ClientException, and an unknown cluster with ClusterNotFoundException.
func isNotFound(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ClusterNotFoundException", "ServiceNotFoundException":
		return true
	case "ClientException":
		msg := strings.ToLower(ae.ErrorMessage())
		return strings.Contains(msg, "unable to describe task definition") || strings.Contains(msg, "not found") || strings.Contains(msg, "does not exist")
	}
	return false
}

func clusterName(c string) string {
	if c == "" {
		return "default"
	}
	return c
}

// TaskDefinitionInput projects a live task definition onto what a user
// writes (RegisterTaskDefinition's input): ARN, revision, status,
// timestamps, requiresAttributes and compatibilities are left out.
func TaskDefinitionInput(td *ecstypes.TaskDefinition, tags []ecstypes.Tag) *ecs.RegisterTaskDefinitionInput {
	if td == nil {
		return nil
	}
	return &ecs.RegisterTaskDefinitionInput{
		ContainerDefinitions:    td.ContainerDefinitions,
		Family:                  td.Family,
		Cpu:                     td.Cpu,
		EnableFaultInjection:    td.EnableFaultInjection,
		EphemeralStorage:        td.EphemeralStorage,
		ExecutionRoleArn:        td.ExecutionRoleArn,
		InferenceAccelerators:   td.InferenceAccelerators,
		IpcMode:                 td.IpcMode,
		Memory:                  td.Memory,
		NetworkMode:             td.NetworkMode,
		PidMode:                 td.PidMode,
		PlacementConstraints:    td.PlacementConstraints,
		ProxyConfiguration:      td.ProxyConfiguration,
		RequiresCompatibilities: td.RequiresCompatibilities,
		RuntimePlatform:         td.RuntimePlatform,
		Tags:                    tags,
		TaskRoleArn:             td.TaskRoleArn,
		Volumes:                 td.Volumes,
	}
}

// ServiceDefinition projects a live service onto a service definition file:
// only members a user sets. serviceConnectConfiguration,
// volumeConfigurations and vpcLatticeConfigurations are not returned at the
// service level, so they come from the PRIMARY deployment.
func ServiceDefinition(svc *ecstypes.Service) *render.ServiceDefinition {
	if svc == nil {
		return nil
	}
	sd := &render.ServiceDefinition{
		AvailabilityZoneRebalancing:   svc.AvailabilityZoneRebalancing,
		CapacityProviderStrategy:      svc.CapacityProviderStrategy,
		DeploymentConfiguration:       svc.DeploymentConfiguration,
		DeploymentController:          svc.DeploymentController,
		DesiredCount:                  aws.Int32(svc.DesiredCount),
		EnableECSManagedTags:          aws.Bool(svc.EnableECSManagedTags),
		EnableExecuteCommand:          aws.Bool(svc.EnableExecuteCommand),
		HealthCheckGracePeriodSeconds: svc.HealthCheckGracePeriodSeconds,
		LaunchType:                    svc.LaunchType,
		LoadBalancers:                 svc.LoadBalancers,
		NetworkConfiguration:          svc.NetworkConfiguration,
		PlacementConstraints:          svc.PlacementConstraints,
		PlacementStrategy:             svc.PlacementStrategy,
		PlatformVersion:               svc.PlatformVersion,
		PropagateTags:                 svc.PropagateTags,
		SchedulingStrategy:            svc.SchedulingStrategy,
		ServiceRegistries:             svc.ServiceRegistries,
		Tags:                          svc.Tags,
	}
	if !isCodeDeploy(svc) {
		if d := primaryDeployment(svc); d != nil {
			sd.ServiceConnectConfiguration = d.ServiceConnectConfiguration
			sd.VolumeConfigurations = d.VolumeConfigurations
			sd.VpcLatticeConfigurations = d.VpcLatticeConfigurations
		}
	}
	return sd
}

func isCodeDeploy(svc *ecstypes.Service) bool {
	return svc.DeploymentController != nil && svc.DeploymentController.Type == ecstypes.DeploymentControllerTypeCodeDeploy
}

func primaryDeployment(svc *ecstypes.Service) *ecstypes.Deployment {
	for i := range svc.Deployments {
		if aws.ToString(svc.Deployments[i].Status) == "PRIMARY" {
			return &svc.Deployments[i]
		}
	}
	return nil
}

// NamespaceReader is the Cloud Map call that names a Service Connect
// namespace; a *servicediscovery.Client satisfies it.
type NamespaceReader interface {
	GetNamespace(ctx context.Context, in *servicediscovery.GetNamespaceInput, optFns ...func(*servicediscovery.Options)) (*servicediscovery.GetNamespaceOutput, error)
}

// LiveReader reads live state for diff and init: ECS, plus Cloud Map so that
// a Service Connect namespace, which ECS reports by ARN, reads as the name
// users write. Names are cached for the reader's lifetime (one run): a
// namespace cannot be renamed, and many services share one.
type LiveReader struct {
	ECSReader
	Namespaces NamespaceReader

	mu    sync.Mutex
	names map[string]string // namespace ARN → name
}

// NewLiveReader reads through the run's clients.
func NewLiveReader(c *awsapi.Clients) *LiveReader {
	return &LiveReader{ECSReader: c.ECS, Namespaces: c.ServiceDiscovery}
}

// NameServiceConnectNamespace shows the Service Connect namespace of svc's
// PRIMARY deployment by name, for callers that describe the service
// themselves (FetchLive does it already).
func (r *LiveReader) NameServiceConnectNamespace(ctx context.Context, svc *ecstypes.Service) error {
	if svc == nil {
		return nil
	}
	return nameServiceConnectNamespace(ctx, r, svc)
}

// namespaceNamer is what FetchLive looks for to name namespaces.
type namespaceNamer interface {
	namespaceName(ctx context.Context, arn string) (name string, ok bool, err error)
}

// namespaceName returns the name of the namespace arn; ok is false, with a
// warning logged, when Cloud Map does not know it or denies the read, so
// that the ARN is shown rather than the run failing.
func (r *LiveReader) namespaceName(ctx context.Context, arn string) (string, bool, error) {
	r.mu.Lock()
	name, cached := r.names[arn]
	r.mu.Unlock()
	if cached {
		return name, true, nil
	}
	if r.Namespaces == nil {
		return "", false, nil
	}
	out, err := r.Namespaces.GetNamespace(ctx, &servicediscovery.GetNamespaceInput{Id: aws.String(arn)})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			switch ae.ErrorCode() {
			case "NamespaceNotFound", "AccessDeniedException", "AccessDenied":
				slog.WarnContext(ctx, "cannot name the Service Connect namespace; comparing its ARN", "namespace", arn, "error", ae.ErrorMessage(), "code", ae.ErrorCode())
				return "", false, nil
			}
		}
		return "", false, fmt.Errorf("get Cloud Map namespace %s (Service Connect): %w", arn, err)
	}
	if out.Namespace == nil || aws.ToString(out.Namespace.Name) == "" {
		return "", false, nil
	}
	name = aws.ToString(out.Namespace.Name)
	r.mu.Lock()
	if r.names == nil {
		r.names = map[string]string{}
	}
	r.names[arn] = name
	r.mu.Unlock()
	return name, true, nil
}

// nameServiceConnectNamespace replaces the namespace ARN in the PRIMARY
// deployment's Service Connect configuration (the one ServiceDefinition
// reads) by the namespace's name. The configuration is copied, not changed
// in place. One GetNamespace call per distinct namespace and run.
func nameServiceConnectNamespace(ctx context.Context, nn namespaceNamer, svc *ecstypes.Service) error {
	if isCodeDeploy(svc) {
		return nil
	}
	d := primaryDeployment(svc)
	if d == nil || d.ServiceConnectConfiguration == nil {
		return nil
	}
	ns := aws.ToString(d.ServiceConnectConfiguration.Namespace)
	if !strings.HasPrefix(ns, "arn:") {
		return nil
	}
	name, ok, err := nn.namespaceName(ctx, ns)
	if err != nil || !ok {
		return err
	}
	sc := *d.ServiceConnectConfiguration
	sc.Namespace = aws.String(name)
	d.ServiceConnectConfiguration = &sc
	return nil
}
