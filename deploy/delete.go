package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// ServiceDeleter deletes a service.
type ServiceDeleter interface {
	DeleteService(context.Context, *ecs.DeleteServiceInput, ...func(*ecs.Options)) (*ecs.DeleteServiceOutput, error)
}

// FindService returns the live service, or an error naming it when it does
// not exist (or was deleted already).
func FindService(ctx context.Context, api ECSReader, cluster, service string) (*ecstypes.Service, error) {
	if service == "" {
		return nil, fmt.Errorf("no service: set `service` in the config")
	}
	svc, err := describeService(ctx, api, cluster, service)
	if err != nil {
		return nil, err
	}
	if svc == nil {
		return nil, ErrServiceNotFound(cluster, service)
	}
	return svc, nil
}

// DeleteService deletes the service. Without terminate ECS refuses a
// service that still wants tasks; say so with the way out.
func DeleteService(ctx context.Context, api ServiceDeleter, svc *ecstypes.Service, cluster string, terminate bool) error {
	name := aws.ToString(svc.ServiceName)
	if !terminate && svc.DesiredCount > 0 && svc.SchedulingStrategy != ecstypes.SchedulingStrategyDaemon {
		return fmt.Errorf("service %s still wants %d task(s): scale it to 0 first (doppio scale --tasks 0) or delete with --terminate", name, svc.DesiredCount)
	}
	_, err := api.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String(clusterName(cluster)), Service: aws.String(name), Force: aws.Bool(terminate)})
	if err != nil {
		return fmt.Errorf("delete service %s in cluster %s: %w", name, clusterName(cluster), err)
	}
	return nil
}
