package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
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
		newDoc, oldDoc, err := serviceDocs(local.Service, live.Service, ig)
		if err != nil {
			return nil, err
		}
		res.Service = &ResourceDiff{
			Kind: KindService, Local: local.ServicePath,
			Exists: live.Service != nil, Old: oldDoc, New: newDoc,
		}
		if live.Service != nil {
			res.Service.Live = aws.ToString(live.Service.ServiceArn)
		}
	}
	if local.TaskDefinition != nil {
		newDoc, oldDoc, err := taskDefinitionDocs(local.TaskDefinition, live.TaskDefinition, live.TaskDefinitionTags, ig)
		if err != nil {
			return nil, err
		}
		res.TaskDefinition = &ResourceDiff{
			Kind: KindTaskDefinition, Local: local.TaskDefinitionPath,
			Exists: live.TaskDefinition != nil, Old: oldDoc, New: newDoc,
		}
		if live.TaskDefinition != nil {
			res.TaskDefinition.Live = aws.ToString(live.TaskDefinition.TaskDefinitionArn)
		}
	}
	for _, r := range res.Resources() {
		r.Changes = changes(r.Old, r.New, r.Exists)
	}
	return res, nil
}

func serviceDocs(local *render.ServiceDefinition, live *ecstypes.Service, ig normalize.Ignore) (newDoc, oldDoc map[string]any, err error) {
	opts := normalize.ServiceOptions{KeepDesiredCount: local.DesiredCount != nil, Ignore: ig}
	lm, err := apijson.ToMap(local)
	if err != nil {
		return nil, nil, fmt.Errorf("service definition: %w", err)
	}
	newDoc = normalize.Service(lm, opts)
	if live == nil {
		return newDoc, nil, nil
	}
	rm, err := apijson.ToMap(ServiceDefinition(live))
	if err != nil {
		return nil, nil, fmt.Errorf("live service %s: %w", aws.ToString(live.ServiceArn), err)
	}
	return newDoc, normalize.Service(rm, opts), nil
}

func taskDefinitionDocs(local *ecs.RegisterTaskDefinitionInput, live *ecstypes.TaskDefinition, liveTags []ecstypes.Tag, ig normalize.Ignore) (newDoc, oldDoc map[string]any, err error) {
	lm, err := apijson.ToMap(local)
	if err != nil {
		return nil, nil, fmt.Errorf("task definition: %w", err)
	}
	newDoc = normalize.TaskDefinitionWith(lm, ig)
	if live == nil {
		return newDoc, nil, nil
	}
	rm, err := apijson.ToMap(TaskDefinitionInput(live, liveTags))
	if err != nil {
		return nil, nil, fmt.Errorf("live task definition %s: %w", aws.ToString(live.TaskDefinitionArn), err)
	}
	return newDoc, normalize.TaskDefinitionWith(rm, ig), nil
}

// TaskDefinitionsEqual reports whether registering local would create a
// revision identical to live (after normalization and ignores): deploy then
// reuses live instead of registering.
func TaskDefinitionsEqual(local *ecs.RegisterTaskDefinitionInput, live *ecstypes.TaskDefinition, liveTags []ecstypes.Tag, ig normalize.Ignore) bool {
	if local == nil || live == nil {
		return false
	}
	newDoc, oldDoc, err := taskDefinitionDocs(local, live, liveTags, ig)
	if err != nil {
		return false
	}
	return normalize.Equal(newDoc, oldDoc)
}

// ServiceDiff lists the top-level service members (JSON names, sorted) whose
// local value differs from live, after normalization and ignores; deploy
// sends only those. A member present only live is listed too (local
// removes it). With no live service every member set locally is listed.
// desiredCount is listed only when the local file sets it.
func ServiceDiff(local *render.ServiceDefinition, live *ecstypes.Service, ig normalize.Ignore) ([]string, error) {
	if local == nil {
		return nil, nil
	}
	newDoc, oldDoc, err := serviceDocs(local, live, ig)
	if err != nil {
		return nil, err
	}
	var out []string
	for k := range unionKeys(newDoc, oldDoc) {
		if !reflect.DeepEqual(newDoc[k], oldDoc[k]) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out, nil
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
