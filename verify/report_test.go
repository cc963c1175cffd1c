package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunnerOrderAndDedup(t *testing.T) {
	r := &runner{opts: Options{Concurrency: 3}, owners: map[string]*Check{}, ssmPending: map[string][]ssmItem{}}
	root := &Check{Name: "root", group: true}
	var calls atomic.Int64
	var nodes []*Check
	for i := range 12 {
		c := root.add(&Check{Name: fmt.Sprintf("item%d", i)})
		nodes = append(nodes, c)
		key := fmt.Sprintf("k%d", i%4) // four distinct items, each three times
		r.schedule(c, key, prioOther, func(ctx context.Context, c *Check) {
			calls.Add(1)
			// Later items finish first, to prove the order does not depend on timing.
			time.Sleep(time.Duration(12-i) * time.Millisecond)
			st := OK
			if i%4 == 3 {
				st = NG
			}
			c.set(st, "checked by %d", i)
			c.add(&Check{Name: "child", Status: st})
		})
	}
	r.execute(context.Background())
	root.finalize()
	if n := calls.Load(); n != 4 {
		t.Errorf("%d checks ran, want 4 (one per distinct item)", n)
	}
	for i, c := range nodes {
		if c.Name != fmt.Sprintf("item%d", i) {
			t.Errorf("node %d is %s", i, c.Name)
		}
		wantCached := i >= 4
		if c.Cached != wantCached {
			t.Errorf("%s cached = %v, want %v", c.Name, c.Cached, wantCached)
		}
		if want := fmt.Sprintf("checked by %d", i%4); c.Reason != want {
			t.Errorf("%s reason %q, want %q", c.Name, c.Reason, want)
		}
		if len(c.Children) != 1 {
			t.Errorf("%s has %d children, want 1", c.Name, len(c.Children))
		}
	}
	if root.Status != NG {
		t.Errorf("group status %s, want NG", root.Status)
	}
}

func TestRunnerCanceled(t *testing.T) {
	r := &runner{opts: Options{Concurrency: 1}, owners: map[string]*Check{}, ssmPending: map[string][]ssmItem{}}
	c := &Check{Name: "x"}
	r.schedule(c, "", prioOther, func(ctx context.Context, c *Check) { c.set(OK, "ran") })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.execute(ctx)
	if c.Status != SKIP {
		t.Errorf("status %s after cancel, want SKIP", c.Status)
	}
}

func TestRunnerRecoversPanics(t *testing.T) {
	r := &runner{opts: Options{Concurrency: 1}, owners: map[string]*Check{}, ssmPending: map[string][]ssmItem{}}
	c := &Check{Name: "x"}
	r.schedule(c, "", prioOther, func(ctx context.Context, c *Check) { panic("boom") })
	r.execute(context.Background())
	if c.Status != NG || !strings.Contains(c.Reason, "boom") {
		t.Errorf("got [%s] %s", c.Status, c.Reason)
	}
}

func sampleReport() *Report {
	td := &Check{Name: "TaskDefinition[web]", group: true}
	td.add(&Check{Name: "Rules", Status: OK, Reason: "no problems found"})
	cd := td.add(&Check{Name: "ContainerDefinition[app]", group: true})
	cd.add(&Check{Name: "Image[x:v1]", Status: NG, Reason: "image x:v1 not found; pushed tags: v2"})
	cd.add(&Check{Name: "Secret A[/a]", Status: WARN, Reason: "access denied", Cached: true})
	rep := &Report{Checks: []*Check{td, {Name: "ServiceDefinition", Status: SKIP, Reason: "no service definition"}}}
	for _, c := range rep.Checks {
		c.finalize()
	}
	return rep
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteText(&b, false); err != nil {
		t.Fatal(err)
	}
	want := `[NG]     TaskDefinition[web]
  [OK]     Rules: no problems found
  [NG]     ContainerDefinition[app]
    [NG]     Image[x:v1]: image x:v1 not found; pushed tags: v2
    [WARN]   Secret A[/a]: access denied (cached)
[SKIP]   ServiceDefinition: no service definition
verify: NG (1 NG, 1 WARN, 1 OK, 1 SKIP)
`
	if b.String() != want {
		t.Errorf("text output:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	_ = sampleReport().WriteText(&b, true)
	if !strings.Contains(b.String(), "\x1b[31m[NG]\x1b[0m") {
		t.Errorf("colored output has no red NG:\n%q", b.String())
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Status  string         `json:"status"`
		Summary map[string]int `json:"summary"`
		Checks  []struct {
			Name     string `json:"name"`
			Status   Status `json:"status"`
			Children []struct {
				Name   string `json:"name"`
				Status string `json:"status"`
			} `json:"children"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if doc.Status != "NG" || doc.Summary["NG"] != 1 || doc.Checks[0].Status != NG || doc.Checks[0].Children[1].Status != "NG" {
		t.Errorf("unexpected JSON:\n%s", b.String())
	}
}
