package fleet

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Shard is --shard i/n: this job runs the i-th of n parts (1-based).
type Shard struct{ Index, Count int }

// ParseShard reads "i/n".
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Shard{}, fmt.Errorf("--shard %q: expected i/n with 1 <= i <= n (e.g. --shard 2/4)", s)
	}
	return Shard{Index: i, Count: n}, nil
}

// Split keeps the entries of shard sh. The split depends only on the
// names and after: edges of the whole selection, so every job of a CI
// matrix computes the same parts: services linked by after: stay in one
// part (their order can only be kept inside one process); the groups, in
// the order of their first name, go each to the part that has the fewest
// services so far (the lowest index on a tie).
func (s *Selection) Split(sh Shard) *Selection {
	groups := s.groups()
	load := make([]int, sh.Count)
	keep := map[string]bool{}
	for _, g := range groups {
		best := 0
		for k := 1; k < sh.Count; k++ {
			if load[k] < load[best] {
				best = k
			}
		}
		load[best] += len(g)
		if best == sh.Index-1 {
			for _, n := range g {
				keep[n] = true
			}
		}
	}
	out := &Selection{}
	for _, e := range s.Entries {
		if keep[e.Name] {
			out.Entries = append(out.Entries, e)
		}
	}
	return out
}

// groups are the connected components of the after: graph, each sorted,
// sorted by their first name.
func (s *Selection) groups() [][]string {
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if parent[x] == x {
			return x
		}
		parent[x] = find(parent[x])
		return parent[x]
	}
	for _, e := range s.Entries {
		parent[e.Name] = e.Name
	}
	for _, e := range s.Entries {
		for _, a := range e.After {
			if _, ok := parent[a]; ok {
				parent[find(e.Name)] = find(a)
			}
		}
	}
	byRoot := map[string][]string{}
	for _, e := range s.Entries {
		r := find(e.Name)
		byRoot[r] = append(byRoot[r], e.Name)
	}
	var out [][]string
	for _, g := range byRoot {
		sort.Strings(g)
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}
