package fleet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/doppio-ecs/doppio/exitcode"
)

func sel(entries ...Entry) *Selection { return &Selection{Entries: entries} }

func TestApplyHonoursAfterAndParallel(t *testing.T) {
	s := sel(Entry{Name: "web", After: []string{"api"}}, Entry{Name: "api", After: []string{"db"}}, Entry{Name: "db"}, Entry{Name: "x"}, Entry{Name: "y"})
	var mu sync.Mutex
	var order []string
	var running, peak int32
	res := Apply(context.Background(), s, ApplyOptions{Parallel: 2}, func(_ context.Context, i int) Result {
		n := atomic.AddInt32(&running, 1)
		for {
			p := atomic.LoadInt32(&peak)
			if n <= p || atomic.CompareAndSwapInt32(&peak, p, n) {
				break
			}
		}
		mu.Lock()
		order = append(order, s.Entries[i].Name)
		mu.Unlock()
		atomic.AddInt32(&running, -1)
		return Result{Outcome: "completed"}
	})
	pos := map[string]int{}
	for i, n := range order {
		pos[n] = i
	}
	if !(pos["db"] < pos["api"] && pos["api"] < pos["web"]) {
		t.Errorf("order %v: want db before api before web", order)
	}
	if peak > 2 {
		t.Errorf("%d ran at once, want at most 2", peak)
	}
	for _, r := range res {
		if r.Outcome != "completed" || r.Name == "" {
			t.Errorf("result %+v", r)
		}
	}
}

func TestApplySkipsAfterFailureAndFailFast(t *testing.T) {
	s := sel(Entry{Name: "a"}, Entry{Name: "b", After: []string{"a"}}, Entry{Name: "c"})
	fail := func(_ context.Context, i int) Result {
		if s.Entries[i].Name == "a" {
			return Result{Outcome: "rolled back", ExitCode: exitcode.Failed}
		}
		return Result{Outcome: "completed"}
	}
	res := Apply(context.Background(), s, ApplyOptions{Parallel: 1}, fail)
	if res[1].Outcome != Skipped || !strings.Contains(res[1].Reason, "a (after:) did not complete") {
		t.Errorf("b: %+v", res[1])
	}
	if res[2].Outcome != "completed" {
		t.Errorf("c (keep going): %+v", res[2])
	}
	if got := Worst(res); got != exitcode.Failed {
		t.Errorf("Worst = %d, want 3 (skipped rows do not count)", got)
	}
	res = Apply(context.Background(), s, ApplyOptions{Parallel: 1, FailFast: true}, fail)
	if res[2].Outcome != Skipped || !strings.Contains(res[2].Reason, "--fail-fast after a") {
		t.Errorf("c (fail fast): %+v", res[2])
	}
}

func TestWorstOrder(t *testing.T) {
	for _, c := range []struct {
		codes []int
		want  int
	}{
		{[]int{0, 2, 3}, 3},
		{[]int{3, 4}, 4},
		{[]int{4, 1, 3}, 1},
		{[]int{0, 2}, 2},
		{nil, 0},
	} {
		if got := WorstCode(c.codes...); got != c.want {
			t.Errorf("WorstCode(%v) = %d, want %d", c.codes, got, c.want)
		}
	}
}

func TestSplitCoversOnceAndKeepsGroups(t *testing.T) {
	var es []Entry
	for i := 1; i <= 12; i++ {
		es = append(es, Entry{Name: fmt.Sprintf("s%02d", i)})
	}
	es[0].After = []string{"s02"}
	es[5].After = []string{"s09"}
	s := sel(es...)
	seen := map[string]int{}
	shardOf := map[string]int{}
	for i := 1; i <= 5; i++ {
		part := s.Split(Shard{Index: i, Count: 5})
		again := s.Split(Shard{Index: i, Count: 5})
		if strings.Join(part.Names(), ",") != strings.Join(again.Names(), ",") {
			t.Fatalf("shard %d is not deterministic", i)
		}
		for _, n := range part.Names() {
			seen[n]++
			shardOf[n] = i
		}
	}
	if len(seen) != 12 {
		t.Errorf("covered %d services, want 12", len(seen))
	}
	for n, c := range seen {
		if c != 1 {
			t.Errorf("%s in %d shards", n, c)
		}
	}
	if shardOf["s01"] != shardOf["s02"] || shardOf["s06"] != shardOf["s09"] {
		t.Errorf("after:-linked services split: %v", shardOf)
	}
}

func TestParseShard(t *testing.T) {
	if sh, err := ParseShard("2/3"); err != nil || sh != (Shard{2, 3}) {
		t.Errorf("2/3: %v %v", sh, err)
	}
	for _, bad := range []string{"0/3", "4/3", "3", "a/b", "1/0"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func writeConfig(t *testing.T, dir, service string) string {
	t.Helper()
	p := filepath.Join(dir, service, "ecspresso.yml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("region: us-east-1\ncluster: demo\nservice: "+service+"\ntask_definition: td.json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSelectGlobsFileAndErrors(t *testing.T) {
	dir := t.TempDir()
	for _, s := range []string{"api", "web", "db"} {
		writeConfig(t, dir, s)
	}
	got, err := Select(SelectOptions{Configs: []string{filepath.Join(dir, "*", "ecspresso.yml"), filepath.Join(dir, "api", "ecspresso.yml")}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Names(), ",") != "api,db,web" {
		t.Errorf("names %v (sorted matches, duplicates once)", got.Names())
	}
	fleetFile := filepath.Join(dir, DefaultFile)
	os.WriteFile(fleetFile, []byte("services:\n  - config: web/ecspresso.yml\n    name: frontend\n    after: [api]\n  - config: '*/ecspresso.yml'\n"), 0o644)
	got, err = Select(SelectOptions{File: dir})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Names(), ",") != "frontend,api,db" || got.Entries[0].After[0] != "api" {
		t.Errorf("fleet file: %+v", got.Entries)
	}
	os.WriteFile(fleetFile, []byte("services:\n  - config: web/ecspresso.yml\n    after: [nope]\n  - config: missing-*/x.yml\n"), 0o644)
	_, err = Select(SelectOptions{File: fleetFile})
	if err == nil || !strings.Contains(err.Error(), "matches no file") {
		t.Errorf("want every problem, got %v", err)
	}
	if _, err := Select(SelectOptions{Configs: []string{filepath.Join(dir, "**", "ecspresso.yml")}}); err == nil || !strings.Contains(err.Error(), "** (any depth) is not supported") {
		t.Errorf("a ** pattern: got %v", err)
	}
	for _, empty := range []string{"", "# nothing yet\n"} {
		os.WriteFile(fleetFile, []byte(empty), 0o644)
		if _, err = Select(SelectOptions{File: fleetFile}); err == nil || !strings.Contains(err.Error(), "no services (expected services:") {
			t.Errorf("empty fleet file %q: got %v", empty, err)
		}
	}
	if Requested([]string{"ecspresso.yml"}, "", "") || !Requested([]string{"a/*.yml"}, "", "") || !Requested(nil, "f.yml", "") {
		t.Error("Requested")
	}
}

func TestApplyAndEachSurvivePanics(t *testing.T) {
	s := sel(Entry{Name: "a"}, Entry{Name: "b"})
	res := Apply(context.Background(), s, ApplyOptions{Parallel: 2}, func(_ context.Context, i int) Result {
		if i == 0 {
			panic("boom")
		}
		return Result{Outcome: "completed"}
	})
	if res[0].ExitCode != exitcode.Error || !strings.Contains(res[0].Reason, "boom") || res[1].Outcome != "completed" {
		t.Errorf("results %+v", res)
	}
	errs := Each(context.Background(), 2, 2, func(_ context.Context, i int) error {
		if i == 1 {
			panic("bang")
		}
		return nil
	})
	if errs[0] != nil || errs[1] == nil || !strings.Contains(errs[1].Error(), "bang") {
		t.Errorf("errs %v", errs)
	}
}

// A config selected twice is one service, and what either mention says
// of it holds: an after: (or name:) given after a glob that already matched
// the config is not dropped.
func TestSelectMergesRepeatedConfigs(t *testing.T) {
	dir := t.TempDir()
	for _, s := range []string{"api", "web", "db"} {
		writeConfig(t, dir, s)
	}
	fleetFile := filepath.Join(dir, DefaultFile)
	os.WriteFile(fleetFile, []byte("services:\n  - config: '*/ecspresso.yml'\n  - config: web/ecspresso.yml\n    name: frontend\n    after: [api]\n  - config: web/ecspresso.yml\n    after: [db, api]\n"), 0o644)
	got, err := Select(SelectOptions{File: fleetFile})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Names(), ",") != "api,db,frontend" {
		t.Errorf("names %v, want api,db,frontend", got.Names())
	}
	if after := got.Entries[2].After; strings.Join(after, ",") != "api,db" {
		t.Errorf("frontend after %v, want [api db]", after)
	}
	// --config before the fleet file: the file's after: still holds.
	got, err = Select(SelectOptions{Configs: []string{filepath.Join(dir, "web", "ecspresso.yml")}, File: fleetFile})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Names(), ",") != "frontend,api,db" || strings.Join(got.Entries[0].After, ",") != "api,db" {
		t.Errorf("with --config first: %+v", got.Entries)
	}
	// A glob's after: is for the configs it adds: "every other service
	// after db", not db after itself.
	os.WriteFile(fleetFile, []byte("services:\n  - config: db/ecspresso.yml\n  - config: '*/ecspresso.yml'\n    after: [db]\n"), 0o644)
	got, err = Select(SelectOptions{File: fleetFile})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Names(), ",") != "db,api,web" || len(got.Entries[0].After) != 0 || got.Entries[1].After[0] != "db" || got.Entries[2].After[0] != "db" {
		t.Errorf("glob after an entry: %+v", got.Entries)
	}
	os.WriteFile(fleetFile, []byte("services:\n  - config: web/ecspresso.yml\n    name: frontend\n  - config: web/ecspresso.yml\n    name: www\n"), 0o644)
	_, err = Select(SelectOptions{File: fleetFile})
	if err == nil || !strings.Contains(err.Error(), `named both "frontend" and "www"`) {
		t.Errorf("two names for one config: got %v", err)
	}
}
