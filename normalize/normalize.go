// Package normalize makes a local definition and the live one comparable:
// both sides go through the same table of ECS API defaults, unit spellings
// and unordered lists (rules.go), so a difference that remains is a real one.
// init uses the same table to leave defaults out of the files it writes.
//
// Documents are generic JSON (map[string]any, []any, string, float64, bool),
// as apijson.ToMap or json.Unmarshal produce them. Functions return a
// normalized deep copy and never modify their argument.
package normalize

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Cond is a precondition of a rule, asked of the whole document as it was
// before normalization.
type Cond func(doc map[string]any) bool

type ruleKind int

const (
	kindDefault     ruleKind = iota // drop the member when it equals value
	kindDefaultFrom                 // drop the member when it equals a sibling member
	kindConvert                     // rewrite the member's value
	kindDrop                        // drop the member
	kindSet                         // sort the list: its order carries no meaning
	kindMerge                       // an update keeps the object's members it is not sent
)

// Rule is one line of the normalization table.
type Rule struct {
	Path    string
	kind    ruleKind
	value   any
	sibling string
	key     string
	convert func(any) any
	when    Cond
}

// Default: the API fills value in when the member is omitted, so value and
// absence are the same.
func Default(path string, value any) Rule {
	return Rule{Path: path, kind: kindDefault, value: canon(value)}
}

// DefaultFrom: the member defaults to its sibling member's value (hostPort
// to containerPort).
func DefaultFrom(path, sibling string) Rule {
	return Rule{Path: path, kind: kindDefaultFrom, sibling: sibling}
}

// Convert rewrites equivalent spellings of a value into one.
func Convert(path string, fn func(any) any) Rule {
	return Rule{Path: path, kind: kindConvert, convert: fn}
}

// Drop removes the member (use with When).
func Drop(path string) Rule { return Rule{Path: path, kind: kindDrop} }

// Set declares an unordered list, sorted by the member key of its elements
// (ties and key "" by the element's canonical JSON).
func Set(path, key string) Rule { return Rule{Path: path, kind: kindSet, key: key} }

// Merge declares an object that UpdateService merges: the members a request
// leaves out keep their value. A comparison with the live side then compares
// only the members the local side sets (ServiceOptions.Sets), as for the
// top-level members of a service.
func Merge(path string) Rule { return Rule{Path: path, kind: kindMerge} }

// When restricts the rule to documents where cond holds.
func (r Rule) When(cond Cond) Rule { r.when = cond; return r }

// NetworkModeIs holds when the task definition's networkMode is one of modes
// ("" = not set).
func NetworkModeIs(modes ...string) Cond { return memberIs("networkMode", modes) }

// SchedulingStrategyIs holds when the service's schedulingStrategy is one of
// strategies ("" = not set).
func SchedulingStrategyIs(strategies ...string) Cond {
	return memberIs("schedulingStrategy", strategies)
}

// Has holds when the top-level member is set and not empty.
func Has(member string) Cond {
	return func(doc map[string]any) bool { return !isEmpty(doc[member]) }
}

func memberIs(member string, values []string) Cond {
	return func(doc map[string]any) bool {
		s, _ := doc[member].(string)
		return slices.Contains(values, s)
	}
}

// Ignore lists what another tool owns: tag keys, and member paths such as
// desiredCount or loadBalancers[].targetGroupArn.
type Ignore struct {
	Tags   []string
	Fields []string
}

// Apply removes the ignored tags and members from doc in place, and the
// tags AWS reserves (keys starting with aws:, such as
// aws:cloudformation:stack-name): no user sets or removes those.
func (ig Ignore) Apply(doc map[string]any) {
	if tags, ok := doc["tags"].([]any); ok {
		kept := tags[:0:0]
		for _, t := range tags {
			tm, _ := t.(map[string]any)
			k, _ := tm["key"].(string)
			if !slices.Contains(ig.Tags, k) && !strings.HasPrefix(k, "aws:") {
				kept = append(kept, t)
			}
		}
		doc["tags"] = kept
		if len(kept) == 0 {
			delete(doc, "tags")
		}
	}
	for _, p := range ig.Fields {
		walk(doc, splitPath(p), func(parent map[string]any, key string) { delete(parent, key) })
	}
}

// ValidatePath reports a malformed ignore path.
func ValidatePath(p string) error {
	if p == "" {
		return fmt.Errorf("empty field path")
	}
	for _, seg := range strings.Split(p, ".") {
		name := strings.TrimSuffix(seg, "[]")
		if name == "" || strings.ContainsAny(name, "[]* ") {
			return fmt.Errorf("field path %q: segment %q is not a member name (write lists as name[], e.g. loadBalancers[].targetGroupArn)", p, seg)
		}
	}
	return nil
}

// ServiceOptions are the per-comparison choices for a service.
type ServiceOptions struct {
	// KeepDesiredCount compares desiredCount. diff sets it only when the
	// local file sets desiredCount: an omitted count means "leave it".
	KeepDesiredCount bool
	Ignore           Ignore
	// Members limits the comparison to these top-level members (nil: all).
	// The rules' conditions still see the whole document: a capacity
	// provider strategy drops launchType even when only launchType is
	// compared.
	Members []string
	// Sets tells whether the local side sets the member at a path
	// ("deploymentConfiguration.maximumPercent"). Inside a Merge object
	// ServicePair compares only the members it sets; nil: all.
	Sets func(path string) bool
}

// keepMembers drops the top-level members opts does not compare.
func (opts ServiceOptions) keepMembers(doc map[string]any) map[string]any {
	if opts.Members == nil {
		return doc
	}
	for k := range doc {
		if !slices.Contains(opts.Members, k) {
			delete(doc, k)
		}
	}
	return doc
}

// TaskDefinition normalizes a task definition for comparison: user members
// only, defaults dropped, units spelled one way, unordered lists sorted,
// empty values removed.
func TaskDefinition(doc map[string]any) map[string]any {
	return TaskDefinitionWith(doc, Ignore{})
}

// TaskDefinitionWith is TaskDefinition with ignored tags and members removed.
func TaskDefinitionWith(doc map[string]any, ig Ignore) map[string]any {
	out := project(doc, TaskDefinitionFields)
	ig.Apply(out)
	return apply(out, TaskDefinitionRules, true)
}

// Service normalizes a service definition for comparison.
func Service(doc map[string]any, opts ServiceOptions) map[string]any {
	out := project(doc, ServiceFields)
	if !opts.KeepDesiredCount {
		delete(out, "desiredCount")
	}
	opts.Ignore.Apply(out)
	return opts.keepMembers(apply(out, ServiceRules, true))
}

// StripTaskDefinitionDefaults drops defaults and empty values but keeps the
// member order of lists: what init writes.
func StripTaskDefinitionDefaults(doc map[string]any) map[string]any {
	return apply(project(doc, TaskDefinitionFields), TaskDefinitionRules, false)
}

// SortTaskDefinitionSets sorts the unordered lists of a task definition
// (environment, secrets, port mappings, ...) the way the comparison does:
// what init --sort writes.
func SortTaskDefinitionSets(doc map[string]any) map[string]any {
	return apply(doc, TaskDefinitionRules, true)
}

// StripServiceDefaults is StripTaskDefinitionDefaults for a service.
func StripServiceDefaults(doc map[string]any) map[string]any {
	return apply(project(doc, ServiceFields), ServiceRules, false)
}

// Equal reports whether two normalized documents are the same.
func Equal(a, b map[string]any) bool { return reflect.DeepEqual(canon(a), canon(b)) }

func project(doc map[string]any, fields []string) map[string]any {
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		if v, ok := doc[f]; ok {
			out[f] = canon(v)
		}
	}
	return out
}

func apply(doc map[string]any, rules []Rule, sortSets bool) map[string]any {
	orig := doc
	doc = canon(doc).(map[string]any)
	for _, r := range rules {
		if r.kind == kindSet || r.kind == kindMerge || (r.when != nil && !r.when(orig)) {
			continue
		}
		walk(doc, splitPath(r.Path), func(parent map[string]any, key string) {
			v, ok := parent[key]
			if !ok {
				return
			}
			switch r.kind {
			case kindDefault:
				if reflect.DeepEqual(v, r.value) {
					delete(parent, key)
				}
			case kindDefaultFrom:
				if sib, ok := parent[r.sibling]; ok && reflect.DeepEqual(v, sib) {
					delete(parent, key)
				}
			case kindConvert:
				parent[key] = canon(r.convert(v))
			case kindDrop:
				delete(parent, key)
			}
		})
	}
	pruned, _ := prune(doc, "").(map[string]any)
	if pruned == nil {
		pruned = map[string]any{}
	}
	if sortSets {
		for _, r := range rules {
			if r.kind != kindSet || (r.when != nil && !r.when(orig)) {
				continue
			}
			walk(pruned, splitPath(r.Path), func(parent map[string]any, key string) {
				if list, ok := parent[key].([]any); ok {
					sortList(list, r.key)
				}
			})
		}
	}
	return pruned
}

type segment struct {
	name   string
	isList bool
}

func splitPath(p string) []segment {
	parts := strings.Split(p, ".")
	segs := make([]segment, len(parts))
	for i, part := range parts {
		segs[i] = segment{name: strings.TrimSuffix(part, "[]"), isList: strings.HasSuffix(part, "[]")}
	}
	return segs
}

// walk calls fn with the parent object and member name of every member the
// path reaches.
func walk(node any, segs []segment, fn func(parent map[string]any, key string)) {
	obj, ok := node.(map[string]any)
	if !ok || len(segs) == 0 {
		return
	}
	s := segs[0]
	if len(segs) == 1 && !s.isList {
		fn(obj, s.name)
		return
	}
	child, ok := obj[s.name]
	if !ok {
		return
	}
	if s.isList {
		list, _ := child.([]any)
		if len(segs) == 1 {
			fn(obj, s.name)
			return
		}
		for _, el := range list {
			walk(el, segs[1:], fn)
		}
		return
	}
	walk(child, segs[1:], fn)
}

// prune removes nulls, empty strings, empty lists and empty objects: the API
// treats them as absent. Inside free-form maps (dockerLabels, options ...)
// empty strings are data and kept.
func prune(v any, member string) any {
	switch t := v.(type) {
	case nil:
		return nil
	case string:
		return t
	case map[string]any:
		free := freeFormMaps[member]
		for k, x := range t {
			var c any
			if free {
				c = x
				if _, isStr := x.(string); !isStr {
					c = prune(x, k)
				}
			} else {
				c = prune(x, k)
				if s, ok := c.(string); ok && s == "" {
					c = nil
				}
			}
			if c == nil {
				delete(t, k)
			} else {
				t[k] = c
			}
		}
		if len(t) == 0 {
			return nil
		}
		return t
	case []any:
		out := t[:0]
		for _, x := range t {
			if c := prune(x, ""); c != nil {
				out = append(out, c)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return v
}

func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case []any:
		return len(t) == 0
	case map[string]any:
		return len(t) == 0
	}
	return false
}

func sortList(list []any, key string) {
	type keyed struct {
		k, j string
		v    any
	}
	ks := make([]keyed, len(list))
	for i, el := range list {
		ks[i] = keyed{j: canonicalJSON(el), v: el}
		if key != "" {
			if m, ok := el.(map[string]any); ok {
				ks[i].k = fmt.Sprint(m[key])
			}
		}
	}
	sort.SliceStable(ks, func(a, b int) bool {
		if ks[a].k != ks[b].k {
			return ks[a].k < ks[b].k
		}
		return ks[a].j < ks[b].j
	})
	for i := range ks {
		list[i] = ks[i].v
	}
}

func canonicalJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// canon deep-copies v into generic JSON with every number a float64, so
// values from files, from apijson and from the rules compare equal.
func canon(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = canon(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = canon(x)
		}
		return out
	case []string:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = x
		}
		return out
	case map[string]string:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = x
		}
		return out
	case int:
		return float64(t)
	case int32:
		return float64(t)
	case int64:
		return float64(t)
	case float32:
		return float64(t)
	case json.Number:
		if f, err := t.Float64(); err == nil {
			return f
		}
		return t.String()
	}
	return v
}

// cpuUnits turns "1 vCPU" / "0.25 vcpu" / 1024 into "1024".
func cpuUnits(v any) any {
	return units(v, []unit{{"vcpu", 1024}, {"cpu", 1024}})
}

// memoryUnits turns "2 GB" / "0.5GiB" / "512 MB" / 2048 into "2048".
func memoryUnits(v any) any {
	return units(v, []unit{{"gib", 1024}, {"gb", 1024}, {"mib", 1}, {"mb", 1}})
}

type unit struct {
	suffix string
	factor float64
}

func units(v any, us []unit) any {
	switch t := v.(type) {
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case string:
		s := strings.ToLower(strings.TrimSpace(t))
		for _, u := range us {
			if num, ok := strings.CutSuffix(s, u.suffix); ok {
				f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
				if err != nil {
					return t
				}
				return strconv.FormatFloat(math.Round(f*u.factor), 'f', -1, 64)
			}
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
	}
	return v
}
