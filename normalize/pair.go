package normalize

import "fmt"

// A comparison normalizes its two sides together (ServicePair,
// TaskDefinitionPair), not each alone: dropping defaults makes an explicit
// default and an absent member equal, but it also turns a change to the
// default (live true, local false) into a member only one side has, which
// reads as a removal. So after dropping, where one side has a member that
// the other lacks, the lacking side gets the default written out: the
// difference reads `- true` / `+ false`, and equal sides stay equal.

// ServicePair normalizes the live and the local side of one service
// comparison.
func ServicePair(live, local map[string]any, opts ServiceOptions) (liveN, localN map[string]any) {
	prep := func(doc map[string]any) map[string]any {
		out := project(doc, ServiceFields)
		if !opts.KeepDesiredCount {
			delete(out, "desiredCount")
		}
		opts.Ignore.Apply(out)
		return out
	}
	keep := func(doc map[string]any) map[string]any {
		doc = opts.keepMembers(doc)
		if opts.Sets != nil {
			for _, r := range ServiceRules {
				if r.kind == kindMerge {
					keepSet(doc, r.Path, opts.Sets)
				}
			}
		}
		return doc
	}
	return pairSides(prep(live), prep(local), ServiceRules, keep)
}

// keepSet drops the members of the object at path that sets does not
// report as set.
func keepSet(doc map[string]any, path string, sets func(string) bool) {
	walk(doc, splitPath(path), func(parent map[string]any, key string) {
		obj, ok := parent[key].(map[string]any)
		if !ok {
			return
		}
		for k := range obj {
			if !sets(path + "." + k) {
				delete(obj, k)
			}
		}
		if len(obj) == 0 {
			delete(parent, key)
		}
	})
}

// TaskDefinitionPair normalizes the live and the local side of one task
// definition comparison.
func TaskDefinitionPair(live, local map[string]any, ig Ignore) (liveN, localN map[string]any) {
	prep := func(doc map[string]any) map[string]any {
		out := project(doc, TaskDefinitionFields)
		ig.Apply(out)
		return out
	}
	return pairSides(prep(live), prep(local), TaskDefinitionRules, nil)
}

// ServiceDefault is the API default of a top-level service member under the
// rules for doc (propagateTags: NONE): what a member set to "" stands for.
func ServiceDefault(member string, doc map[string]any) (any, bool) {
	for _, r := range ServiceRules {
		if r.kind == kindDefault && r.Path == member && (r.when == nil || r.when(doc)) && !dropped(ServiceRules, r.Path, doc) {
			return r.value, true
		}
	}
	return nil, false
}

// pairSides normalizes a and b, keeps what keep keeps (nil: everything),
// then writes out defaults; conditions are asked of the whole documents.
func pairSides(a, b map[string]any, rules []Rule, keep func(map[string]any) map[string]any) (map[string]any, map[string]any) {
	an, bn := apply(a, rules, true), apply(b, rules, true)
	if keep != nil {
		an, bn = keep(an), keep(bn)
	}
	keys := setKeys(rules)
	for _, r := range rules {
		if r.kind != kindDefault && r.kind != kindDefaultFrom {
			continue
		}
		fillA := (r.when == nil || r.when(a)) && !dropped(rules, r.Path, a)
		fillB := (r.when == nil || r.when(b)) && !dropped(rules, r.Path, b)
		if fillA || fillB {
			restore(an, bn, splitPath(r.Path), "", r, fillA, fillB, keys)
		}
	}
	return an, bn
}

// dropped tells whether a Drop rule removes path from doc: no default
// stands in for it then (launchType next to a capacity provider strategy).
func dropped(rules []Rule, path string, doc map[string]any) bool {
	for _, r := range rules {
		if r.kind == kindDrop && r.Path == path && (r.when == nil || r.when(doc)) {
			return true
		}
	}
	return false
}

// setKeys maps each unordered list path to the member that pairs its
// elements across the two sides ("" pairs by position).
func setKeys(rules []Rule) map[string]string {
	out := map[string]string{}
	for _, r := range rules {
		if r.kind == kindSet {
			out[r.Path] = r.key
		}
	}
	return out
}

// restore walks a and b along segs together and writes the default of r
// into the side (fillA, fillB) that lacks a member the other has.
func restore(a, b map[string]any, segs []segment, prefix string, r Rule, fillA, fillB bool, keys map[string]string) {
	s := segs[0]
	path := s.name
	if prefix != "" {
		path = prefix + "." + s.name
	}
	if len(segs) == 1 && !s.isList {
		_, hasA := a[s.name]
		_, hasB := b[s.name]
		switch {
		case hasA && !hasB && fillB:
			if v, ok := defaultIn(r, b); ok {
				b[s.name] = v
			}
		case hasB && !hasA && fillA:
			if v, ok := defaultIn(r, a); ok {
				a[s.name] = v
			}
		}
		return
	}
	if s.isList {
		la, _ := a[s.name].([]any)
		lb, _ := b[s.name].([]any)
		for _, p := range pairElements(la, lb, keys[path]) {
			restore(p[0], p[1], segs[1:], path+"[]", r, fillA, fillB, keys)
		}
		return
	}
	ca, okA := a[s.name].(map[string]any)
	cb, okB := b[s.name].(map[string]any)
	if (!okA && a[s.name] != nil) || (!okB && b[s.name] != nil) || (!okA && !okB) {
		return
	}
	// An object one side lacks holds only defaults on that side.
	if !okA {
		ca = map[string]any{}
	}
	if !okB {
		cb = map[string]any{}
	}
	restore(ca, cb, segs[1:], path, r, fillA, fillB, keys)
	if !okA && len(ca) > 0 {
		a[s.name] = ca
	}
	if !okB && len(cb) > 0 {
		b[s.name] = cb
	}
}

// defaultIn is the value the member of r stands for when absent from parent.
func defaultIn(r Rule, parent map[string]any) (any, bool) {
	if r.kind == kindDefaultFrom {
		v, ok := parent[r.sibling]
		return v, ok
	}
	return r.value, true
}

// pairElements pairs the object elements of two lists: by key member when
// key is set, by position when both lists have the same length otherwise.
func pairElements(a, b []any, key string) [][2]map[string]any {
	var out [][2]map[string]any
	if key == "" {
		if len(a) != len(b) {
			return nil
		}
		for i := range a {
			ma, okA := a[i].(map[string]any)
			mb, okB := b[i].(map[string]any)
			if okA && okB {
				out = append(out, [2]map[string]any{ma, mb})
			}
		}
		return out
	}
	byKey := map[string]map[string]any{}
	for _, el := range b {
		if m, ok := el.(map[string]any); ok {
			byKey[fmt.Sprint(m[key])] = m
		}
	}
	for _, el := range a {
		ma, ok := el.(map[string]any)
		if !ok {
			continue
		}
		if mb, ok := byKey[fmt.Sprint(ma[key])]; ok {
			out = append(out, [2]map[string]any{ma, mb})
		}
	}
	return out
}
