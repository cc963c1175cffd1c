package deploy

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/doppio-ecs/doppio/normalize"
)

// A deploy reads each task definition once: the family's newest (the one
// the service runs), then the two revisions below it by number for the
// reuse lookback, with no ListTaskDefinitions while they are ACTIVE. A
// deregistered revision among them makes the family's ACTIVE list decide,
// as before, so the same revision is reused.
func TestDeployReadsEachTaskDefinitionOnce(t *testing.T) {
	f := newFixture(t, autoStepClock(), true)
	ctx := context.Background()
	sd := serviceDef(2, true)
	for i := 2; i <= 4; i++ { // web:2 .. web:4, the service on web:4
		if _, out, err := f.d.Deploy(ctx, f.spec(taskDef(fmt.Sprintf("nginx:%d", i), nil), sd), Options{}); err != nil || out.Class != Completed {
			t.Fatalf("deploy nginx:%d: %v %+v", i, err, out)
		}
	}
	reads := func(mark int) (describes map[string]int, lists int) {
		describes = map[string]int{}
		for _, r := range f.emu.Log.Since(mark) {
			switch r.Operation {
			case "DescribeTaskDefinition":
				describes[shortTD(r.Params["TaskDefinition"])]++
			case "ListTaskDefinitions":
				lists++
			}
		}
		return describes, lists
	}

	mark := f.emu.Log.Len()
	if _, out, err := f.d.Deploy(ctx, f.spec(taskDef("nginx:5", nil), sd), Options{}); err != nil || out.Class != Completed {
		t.Fatalf("deploy nginx:5: %v %+v", err, out)
	}
	if d, lists := reads(mark); lists != 0 || len(d) != 3 || d["web"] != 1 || d["web:3"] != 1 || d["web:2"] != 1 {
		t.Errorf("new image: DescribeTaskDefinition %v, %d ListTaskDefinitions; want web (web:4), web:3, web:2 once each and no list", d, lists)
	}

	// web:5 runs; web:4 is deregistered; nginx:3 is web:3, below it.
	if _, err := f.d.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web:4")}); err != nil {
		t.Fatal(err)
	}
	mark = f.emu.Log.Len()
	plan, out, err := f.d.Deploy(ctx, f.spec(taskDef("nginx:3", nil), sd), Options{})
	if err != nil || out.Class != Completed {
		t.Fatalf("deploy nginx:3: %v %+v", err, out)
	}
	if plan.TaskDefinitionAction != TDReuse || shortTD(plan.TaskDefinitionARN) != "web:3" {
		t.Errorf("plan %s %s, want web:3 reused", plan.TaskDefinitionAction, shortTD(plan.TaskDefinitionARN))
	}
	if d, lists := reads(mark); lists != 1 || d["web:4"] != 1 || d["web:3"] != 1 {
		t.Errorf("past a deregistered revision: DescribeTaskDefinition %v, %d ListTaskDefinitions; want the list once and each revision once", d, lists)
	}

	// register of a definition identical to a revision: read once.
	mark = f.emu.Log.Len()
	reg, err := f.d.Register(ctx, taskDef("nginx:5", nil), normalize.Ignore{}, false)
	if err != nil || !reg.Reused || shortTD(aws.ToString(reg.TaskDefinition.TaskDefinitionArn)) != "web:5" || len(reg.TaskDefinition.ContainerDefinitions) != 1 {
		t.Fatalf("register: %+v %v, want web:5 reused", reg, err)
	}
	if d, _ := reads(mark); d["web:5"]+d["web"] != 1 {
		t.Errorf("register: DescribeTaskDefinition %v, want web:5 once", d)
	}
}

// --revision and --latest-task-definition read the chosen revision once:
// the plan keeps it for the load balancer check.
func TestSelectedRevisionReadOnce(t *testing.T) {
	clock := autoStepClock()
	f := newFixtureWith(t, clock, serviceDef(2, true), 60*time.Second)
	if _, err := f.emu.SeedTaskDefinition(taskDef("nginx:2", nil)); err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{{Revision: 2, NoWait: true}, {LatestTaskDefinition: true, NoWait: true}} {
		mark := f.emu.Log.Len()
		plan, out, err := f.d.Deploy(context.Background(), f.spec(taskDef("nginx:3", nil), nil), opts)
		if err != nil || !out.Succeeded() || shortTD(plan.TaskDefinitionARN) != "web:2" {
			t.Fatalf("%+v: %v %+v", opts, err, out)
		}
		if n := successes(f.emu, mark, "DescribeTaskDefinition"); n != 1 {
			t.Errorf("%+v: %d DescribeTaskDefinition calls, want 1", opts, n)
		}
		clock.Advance(5 * time.Minute) // the rollout ends
	}
}
