package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/apijson"
	"github.com/doppio-ecs/doppio/mask"
	"github.com/doppio-ecs/doppio/normalize"
	"github.com/doppio-ecs/doppio/render"
)

// Resource kinds of a diff.
const (
	KindService        = "service"
	KindTaskDefinition = "taskDefinition"
)

// Change is one changed member path of a resource.
type Change struct {
	// Path such as desiredCount, containerDefinitions[name=app].image,
	// command[1].
	Path string `json:"path"`
	// Type is "changed", "added" (only local has it) or "removed" (only
	// live has it).
	Type string `json:"type"`
	Old  any    `json:"old,omitempty"`
	New  any    `json:"new,omitempty"`
}

// ResourceDiff compares the normalized live and local form of one resource.
type ResourceDiff struct {
	Kind string `json:"resource"`
	// Live is the live ARN ("" when the resource does not exist yet).
	Live string `json:"live,omitempty"`
	// Local is the local definition file.
	Local string `json:"local"`
	// Exists is false when nothing runs yet: everything is added.
	Exists  bool           `json:"exists"`
	Old     map[string]any `json:"-"`
	New     map[string]any `json:"-"`
	Changes []Change       `json:"changes"`
}

// Differs reports whether local and live differ.
func (d *ResourceDiff) Differs() bool { return d != nil && len(d.Changes) > 0 }

// Texts are the two normalized documents as canonical JSON ("" for a side
// that does not exist).
func (d *ResourceDiff) Texts() (old, new string, err error) {
	if d.Exists {
		b, err := apijson.Encode(d.Old)
		if err != nil {
			return "", "", err
		}
		old = string(b)
	}
	b, err := apijson.Encode(d.New)
	if err != nil {
		return "", "", err
	}
	return old, string(b), nil
}

// Unified renders the unified diff ("" when equal).
func (d *ResourceDiff) Unified(color bool) (string, error) {
	if !d.Differs() {
		return "", nil
	}
	old, new, err := d.Texts()
	if err != nil {
		return "", err
	}
	from := d.Live
	if !d.Exists {
		from = "/dev/null"
	}
	return unified(from, d.Local, old, new, color), nil
}

// DiffResult is the outcome of a diff: the service (nil when the config has
// no service) and the task definition.
type DiffResult struct {
	Service        *ResourceDiff `json:"service,omitempty"`
	TaskDefinition *ResourceDiff `json:"taskDefinition"`
}

// Differs reports whether any resource differs.
func (r *DiffResult) Differs() bool {
	return r.Service.Differs() || r.TaskDefinition.Differs()
}

// Resources lists the compared resources, service first.
func (r *DiffResult) Resources() []*ResourceDiff {
	var out []*ResourceDiff
	if r.Service != nil {
		out = append(out, r.Service)
	}
	if r.TaskDefinition != nil {
		out = append(out, r.TaskDefinition)
	}
	return out
}

// Diff compares the project's local definitions with what ECS runs. It
// makes two read-only ECS calls (DescribeServices, DescribeTaskDefinition),
// a third (Cloud Map GetNamespace) for a Service Connect service, and no
// mutating call.
func Diff(ctx context.Context, p *render.Project) (*DiffResult, error) {
	td, err := p.TaskDefinition(ctx)
	if err != nil {
		return nil, err
	}
	var sd *render.ServiceDefinition
	if p.Config.Service != "" {
		if sd, err = p.ServiceDefinition(ctx); err != nil {
			return nil, err
		}
	}
	live, err := FetchLive(ctx, NewLiveReader(p.Clients), p.Config.Cluster, p.Config.Service, aws.ToString(td.Family))
	if err != nil {
		return nil, err
	}
	return Compare(Local{
		TaskDefinition:     td,
		TaskDefinitionPath: displayPath(p.TaskDefinitionPath()),
		Service:            sd,
		ServicePath:        displayPath(p.ServiceDefinitionPath()),
	}, live, IgnoreOf(p.Config))
}

// displayPath shows a file relative to the working directory when it is
// below it, as the user would type it.
func displayPath(p string) string {
	if !filepath.IsAbs(p) {
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	rel, err := filepath.Rel(wd, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		return p
	}
	return filepath.ToSlash(rel)
}

// IgnoreOf turns the config's ignore section into normalize's form.
func IgnoreOf(cfg *render.Config) normalize.Ignore {
	if cfg == nil || cfg.Ignore == nil {
		return normalize.Ignore{}
	}
	return normalize.Ignore{Tags: cfg.Ignore.Tags, Fields: cfg.Ignore.Fields}
}

// Local is the rendered local side of a diff.
type Local struct {
	TaskDefinition     *ecs.RegisterTaskDefinitionInput
	TaskDefinitionPath string
	// Service is nil when the config has no service definition.
	Service     *render.ServiceDefinition
	ServicePath string
}

// Compare diffs local definitions against live state; no AWS call.
func Compare(local Local, live *Live, ig normalize.Ignore) (*DiffResult, error) {
	if live == nil {
		live = &Live{}
	}
	res := &DiffResult{}
	if local.Service != nil {
		rd, err := CompareService(local.Service, live.Service, ig)
		if err != nil {
			return nil, err
		}
		rd.Local = local.ServicePath
		res.Service = rd
	}
	if local.TaskDefinition != nil {
		rd, err := CompareTaskDefinition(local.TaskDefinition, live.TaskDefinition, live.TaskDefinitionTags, ig)
		if err != nil {
			return nil, err
		}
		rd.Local = local.TaskDefinitionPath
		res.TaskDefinition = rd
	}
	return res, nil
}

// absenceRemoves are the service members whose absence from the file
// removes them from the service, as in ecspresso: deleting a load balancer
// from the file deletes it. Every other absent member is left as it runs.
// The value is what UpdateService is sent to remove it.
var absenceRemoves = map[string]any{
	"loadBalancers":               []any{},
	"volumeConfigurations":        []any{},
	"vpcLatticeConfigurations":    []any{},
	"serviceConnectConfiguration": map[string]any{"enabled": false},
}

// codeDeployTargetGroup is ignored on CODE_DEPLOY services.
const codeDeployTargetGroup = "loadBalancers[].targetGroupArn"

// CompareService is the one comparison of a service definition with the
// live service (nil: it does not exist). diff prints it; the deploy plan, and
// so deploy --dry-run, sends exactly the members it finds changed (Members).
//
// Every member the file sets is compared, whatever its value; a member the
// file leaves out is not compared (it stays as it runs), except those in
// absenceRemoves. The same holds inside the objects UpdateService merges
// (normalize.Merge: deploymentConfiguration). Ignored tags and fields are
// left out on both sides.
func CompareService(local *render.ServiceDefinition, live *ecstypes.Service, ig normalize.Ignore) (*ResourceDiff, error) {
	managed := local.Members()
	for m := range absenceRemoves {
		if !slices.Contains(managed, m) {
			managed = append(managed, m)
		}
	}
	lm, err := apijson.ToMap(local)
	if err != nil {
		return nil, fmt.Errorf("service definition: %w", err)
	}
	// A nested member is set when the file wrote it or the SDK sends it
	// anyway (a required boolean such as deploymentCircuitBreaker.rollback).
	sets := func(path string) bool { return local.Sets(path) || hasPath(lm, path) }
	if live != nil && isCodeDeploy(live) && !slices.Contains(ig.Fields, codeDeployTargetGroup) {
		// CodeDeploy swaps the target groups of blue and green at each
		// deployment: the live one is no desired state (ecspresso #936).
		ig.Fields = append(slices.Clone(ig.Fields), codeDeployTargetGroup)
	}
	opts := normalize.ServiceOptions{KeepDesiredCount: true, Ignore: ig, Members: managed, Sets: sets}
	rd := &ResourceDiff{Kind: KindService, Exists: live != nil}
	if live == nil {
		rd.New = normalize.Service(lm, opts)
	} else {
		rm, err := apijson.ToMap(ServiceDefinition(live))
		if err != nil {
			return nil, fmt.Errorf("live service %s: %w", aws.ToString(live.ServiceArn), err)
		}
		rd.Old, rd.New = normalize.ServicePair(rm, lm, opts)
		rd.Live = aws.ToString(live.ServiceArn)
	}
	rd.Changes = changes(rd.Old, rd.New, rd.Exists)
	return rd, nil
}

// hasPath tells whether doc holds a value at a dotted path of objects.
func hasPath(doc map[string]any, path string) bool {
	var cur any = doc
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[k]; !ok {
			return false
		}
	}
	return true
}

// CompareTaskDefinition is the one comparison of a task definition with a
// registered revision (nil: none): diff prints it, and deploy reuses a
// revision it finds no change in.
func CompareTaskDefinition(local *ecs.RegisterTaskDefinitionInput, live *ecstypes.TaskDefinition, liveTags []ecstypes.Tag, ig normalize.Ignore) (*ResourceDiff, error) {
	lm, err := apijson.ToMap(local)
	if err != nil {
		return nil, fmt.Errorf("task definition: %w", err)
	}
	rd := &ResourceDiff{Kind: KindTaskDefinition, Exists: live != nil}
	if live == nil {
		rd.New = normalize.TaskDefinitionWith(lm, ig)
	} else {
		rm, err := apijson.ToMap(TaskDefinitionInput(live, liveTags))
		if err != nil {
			return nil, fmt.Errorf("live task definition %s: %w", aws.ToString(live.TaskDefinitionArn), err)
		}
		rd.Old, rd.New = normalize.TaskDefinitionPair(rm, lm, ig)
		rd.Live = aws.ToString(live.TaskDefinitionArn)
	}
	rd.Changes = changes(rd.Old, rd.New, rd.Exists)
	return rd, nil
}

// TaskDefinitionsEqual reports whether registering local would create a
// revision identical to live: CompareTaskDefinition finds no change.
func TaskDefinitionsEqual(local *ecs.RegisterTaskDefinitionInput, live *ecstypes.TaskDefinition, liveTags []ecstypes.Tag, ig normalize.Ignore) bool {
	if local == nil || live == nil {
		return false
	}
	rd, err := CompareTaskDefinition(local, live, liveTags, ig)
	return err == nil && !rd.Differs()
}

// Members lists the top-level members (JSON names, sorted) that differ.
func (d *ResourceDiff) Members() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range d.Changes {
		m := c.Path
		if i := strings.IndexAny(m, ".["); i >= 0 {
			m = m[:i]
		}
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

func unionKeys(a, b map[string]any) map[string]struct{} {
	keys := make(map[string]struct{}, len(a)+len(b))
	for k := range a {
		keys[k] = struct{}{}
	}
	for k := range b {
		keys[k] = struct{}{}
	}
	return keys
}

// changes lists the leaf differences between two normalized documents.
func changes(old, new map[string]any, exists bool) []Change {
	out := []Change{}
	if !exists {
		for _, k := range sortedKeys(new) {
			out = append(out, Change{Path: k, Type: "added", New: new[k]})
		}
		return out
	}
	walkChanges("", old, new, &out)
	return out
}

func walkChanges(path string, old, new any, out *[]Change) {
	if reflect.DeepEqual(old, new) {
		return
	}
	switch {
	case old == nil:
		*out = append(*out, Change{Path: path, Type: "added", New: new})
		return
	case new == nil:
		*out = append(*out, Change{Path: path, Type: "removed", Old: old})
		return
	}
	om, ok1 := old.(map[string]any)
	nm, ok2 := new.(map[string]any)
	if ok1 && ok2 {
		keys := make([]string, 0, len(om)+len(nm))
		for k := range unionKeys(om, nm) {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkChanges(joinPath(path, k), om[k], nm[k], out)
		}
		return
	}
	ol, ok1 := old.([]any)
	nl, ok2 := new.([]any)
	if ok1 && ok2 {
		if key := listKey(ol, nl); key != "" {
			oi, ni := indexBy(ol, key), indexBy(nl, key)
			names := make([]string, 0, len(oi)+len(ni))
			seen := map[string]bool{}
			for _, l := range [][]any{ol, nl} {
				for _, el := range l {
					n := el.(map[string]any)[key].(string)
					if !seen[n] {
						seen[n] = true
						names = append(names, n)
					}
				}
			}
			for _, n := range names {
				walkChanges(fmt.Sprintf("%s[%s=%s]", path, key, n), oi[n], ni[n], out)
			}
			return
		}
		for i := range max(len(ol), len(nl)) {
			var o, n any
			if i < len(ol) {
				o = ol[i]
			}
			if i < len(nl) {
				n = nl[i]
			}
			walkChanges(fmt.Sprintf("%s[%d]", path, i), o, n, out)
		}
		return
	}
	*out = append(*out, Change{Path: path, Type: "changed", Old: old, New: new})
}

// listKey picks a member that names every element of both lists uniquely
// (name, key, containerName ...), so changes read containers[name=app].
func listKey(a, b []any) string {
candidates:
	for _, key := range []string{"name", "key", "containerName", "portName", "capacityProvider"} {
		for _, l := range [][]any{a, b} {
			seen := map[string]bool{}
			for _, el := range l {
				m, ok := el.(map[string]any)
				if !ok {
					return ""
				}
				s, ok := m[key].(string)
				if !ok || seen[s] {
					continue candidates
				}
				seen[s] = true
			}
		}
		return key
	}
	return ""
}

func indexBy(l []any, key string) map[string]any {
	m := make(map[string]any, len(l))
	for _, el := range l {
		m[el.(map[string]any)[key].(string)] = el
	}
	return m
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// MaskedJSON is the machine-readable diff (--output json) with secrets
// masked.
func (r *DiffResult) MaskedJSON(secrets *mask.Set) ([]byte, error) {
	out := struct {
		Differs   bool            `json:"differs"`
		Resources []*ResourceDiff `json:"resources"`
	}{r.Differs(), r.Resources()}
	if out.Resources == nil {
		out.Resources = []*ResourceDiff{}
	}
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("encode diff: %w", err)
	}
	return []byte(secrets.String(sb.String())), nil
}
