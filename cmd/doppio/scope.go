package main

import (
	"context"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/render"
)

// taskScope is whose tasks a command works on: the config's service, or,
// without one, the task definition family (as ecspresso's tasks and exec).
type taskScope struct {
	Cluster string
	Service *ecstypes.Service // nil in family mode
	Family  string            // "" in service mode
}

func (s taskScope) ServiceName() string {
	if s.Service == nil {
		return ""
	}
	return *s.Service.ServiceName
}

// String names the scope in messages.
func (s taskScope) String() string {
	if s.Service != nil {
		return "service " + s.ServiceName()
	}
	return "task definition family " + s.Family
}

// resolveTaskScope finds the service (an error when it does not exist) or
// the family of the local task definition.
func resolveTaskScope(ctx context.Context, g *Globals, p *render.Project) (taskScope, error) {
	sc := taskScope{Cluster: p.Config.Cluster}
	if p.Config.Service != "" {
		svc, err := deploy.FindService(ctx, p.Clients.ECS, sc.Cluster, p.Config.Service)
		if err != nil {
			return sc, timeoutError(ctx, err)
		}
		sc.Service = svc
		return sc, nil
	}
	d := deploy.New(p.Clients, newProgressReporter(g))
	family, err := d.Family(ctx, sc.Cluster, "", localTaskDefinition(p))
	if err != nil {
		return sc, timeoutError(ctx, err)
	}
	sc.Family = family
	return sc, nil
}
