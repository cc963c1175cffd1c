package main

import (
	"context"
	"testing"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/fleet"
	"github.com/doppio-ecs/doppio/render"
)

// TestFleetSharesOneClientSetPerRegion: the projects of a run get one
// client set per region, and their deployers one wrapped ECS client.
func TestFleetSharesOneClientSetPerRegion(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	r := &fleetRun{g: &Globals{}, clients: map[string]*awsapi.Clients{}, ecs: map[*awsapi.Clients]deploy.ECSAPI{}}
	ctx := context.Background()
	a, err := r.clientsFor(ctx, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := r.clientsFor(ctx, "us-east-1")
	c, _ := r.clientsFor(ctx, "eu-west-1")
	if a != b || a == c {
		t.Fatalf("client sets: us-east-1 %p and %p, eu-west-1 %p: want one per region", a, b, c)
	}
	pa, pb := &render.Project{Clients: a}, &render.Project{Clients: b}
	if r.ecsFor(pa) != r.ecsFor(pb) {
		t.Error("two projects of one region got different ECS clients")
	}
	if _, ok := r.ecsFor(pa).(*fleet.RegisterOnce); !ok {
		t.Errorf("ECS client %T: want the run's RegisterOnce wrapper", r.ecsFor(pa))
	}
}
