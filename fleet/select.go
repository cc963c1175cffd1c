// Package fleet runs one doppio command over several services: it selects
// the projects (--config globs, a fleet file, --shard), orders them (after:),
// plans all of them before any changes, and applies with bounded concurrency.
// It returns results; cmd/doppio prints them.
package fleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/doppio-ecs/doppio/render"
)

// DefaultFile is the fleet file doppio reads when --fleet names a directory.
const DefaultFile = "doppio.fleet.yml"

// Entry is one service of a selection.
type Entry struct {
	// Name identifies the entry in after:, the table and every progress
	// line: the fleet file's name:, else the config's service.
	Name    string
	Config  string // the config file
	After   []string
	Cluster string
	Service string
}

// Selection is the services a command runs over, in a stable order.
type Selection struct {
	Entries []Entry
}

// Names lists the entries' names in order.
func (s *Selection) Names() []string {
	out := make([]string, len(s.Entries))
	for i, e := range s.Entries {
		out[i] = e.Name
	}
	return out
}

// SelectOptions say where the services come from.
type SelectOptions struct {
	// Configs are --config values: paths or glob patterns (filepath.Match
	// syntax: *, ?, [...]).
	Configs []string
	// File is --fleet: a fleet file (or a directory holding doppio.fleet.yml).
	File string
	// ExtStr and ExtCode are passed to the configs (Jsonnet configs read them).
	ExtStr, ExtCode map[string]string
	// Context bounds reading the configs (a FIFO, a template): a signal
	// ends it. Nil is context.Background().
	Context context.Context
}

// Requested tells whether the flags ask for a run over several services
// rather than today's one config: a fleet file, more than one --config, or
// a glob. A run over several services prints a result table even when the
// selection comes down to one service, so its output does not change shape
// with the number of matches.
func Requested(configs []string, file, shard string) bool {
	if file != "" || shard != "" || len(configs) > 1 {
		return true
	}
	return len(configs) == 1 && IsPattern(configs[0])
}

// IsPattern tells whether a --config value is a glob rather than a path.
// A file whose name holds glob characters is still a path.
func IsPattern(s string) bool {
	if !strings.ContainsAny(s, "*?[") {
		return false
	}
	_, err := os.Stat(s)
	return err != nil
}

// fileFormat is the fleet file.
type fileFormat struct {
	Services []fileEntry `yaml:"services"`
}

type fileEntry struct {
	Config string   `yaml:"config"`
	Name   string   `yaml:"name"`
	After  []string `yaml:"after"`
}

// Select resolves the options into entries: every config is loaded (not
// rendered) for its cluster and service; names must be unique and after:
// must name entries of the selection without a cycle. All problems are
// returned together.
func Select(opts SelectOptions) (*Selection, error) {
	type raw struct {
		config string
		name   string
		after  []string
		from   string // where the entry was given, for errors
		glob   bool   // matched by a pattern rather than named
	}
	var raws []raw
	var errs []error
	seen := map[string]int{} // absolute path -> index in raws
	// add keeps a config selected twice as one entry, at its first place,
	// with what every mention naming it says of it: a glob listed before an
	// entry that orders (after:) or names the same config must not drop
	// that. A glob's own after: is for the configs it adds, not for those
	// selected before it ("- config: migrate/..." then "- config: '*/...',
	// after: [migrate]" is every other service after migrate).
	add := func(r raw) {
		abs, err := filepath.Abs(r.config)
		if err != nil {
			abs = r.config
		}
		j, dup := seen[abs]
		if !dup {
			seen[abs] = len(raws)
			raws = append(raws, r)
			return
		}
		if r.glob {
			return
		}
		first := &raws[j]
		switch {
		case r.name == "" || r.name == first.name:
		case first.name == "":
			first.name = r.name
		default:
			errs = append(errs, fmt.Errorf("%s: %s is named both %q and %q (%s): give it one name", r.from, r.config, first.name, r.name, first.from))
		}
		// The matches of one glob share their entry's after: slice.
		first.after = slices.Clone(first.after)
		for _, a := range r.after {
			if !slices.Contains(first.after, a) {
				first.after = append(first.after, a)
			}
		}
	}
	expand := func(pattern, from string) []string {
		if !IsPattern(pattern) {
			return []string{pattern}
		}
		if strings.Contains(pattern, "**") {
			// filepath.Glob takes ** as *: one level, silently fewer configs
			// than a user of other globs expects.
			errs = append(errs, fmt.Errorf("%s: %q: ** (any depth) is not supported; use one * per directory level, e.g. services/*/ecspresso.yml", from, pattern))
			return nil
		}
		m, err := filepath.Glob(pattern)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: bad pattern %q: %w", from, pattern, err))
			return nil
		}
		if len(m) == 0 {
			errs = append(errs, fmt.Errorf("%s: %q matches no file", from, pattern))
		}
		sort.Strings(m)
		return m
	}
	for _, c := range opts.Configs {
		for _, p := range expand(c, "--config") {
			add(raw{config: p, from: "--config " + c, glob: IsPattern(c)})
		}
	}
	if opts.File != "" {
		entries, err := readFile(opts.File)
		if err != nil {
			return nil, err
		}
		base := filepath.Dir(fleetPath(opts.File))
		for i, fe := range entries {
			from := fmt.Sprintf("%s: services[%d]", fleetPath(opts.File), i)
			if fe.Config == "" {
				errs = append(errs, fmt.Errorf("%s: config is required", from))
				continue
			}
			p := fe.Config
			if !filepath.IsAbs(p) {
				p = filepath.Join(base, p)
			}
			ms := expand(p, from)
			if fe.Name != "" && len(ms) > 1 {
				errs = append(errs, fmt.Errorf("%s: name %q given for a pattern matching %d configs; name each config in an entry of its own", from, fe.Name, len(ms)))
				continue
			}
			for _, m := range ms {
				add(raw{config: m, name: fe.Name, after: fe.After, from: from, glob: IsPattern(p)})
			}
		}
	}
	if len(raws) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("no service selected"))
	}
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	sel := &Selection{}
	byName := map[string]int{}
	for _, r := range raws {
		cfg, err := render.LoadConfig(ctx, r.config, opts.ExtStr, opts.ExtCode)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		e := Entry{Name: r.name, Config: r.config, After: r.after, Cluster: cfg.Cluster, Service: cfg.Service}
		if e.Name == "" {
			e.Name = cfg.Service
		}
		if e.Name == "" {
			errs = append(errs, fmt.Errorf("%s: the config has no service (and %s gives no name:)", r.config, r.from))
			continue
		}
		if j, dup := byName[e.Name]; dup {
			errs = append(errs, fmt.Errorf("two configs are named %q (%s and %s): give them distinct name: entries in a fleet file", e.Name, sel.Entries[j].Config, r.config))
			continue
		}
		byName[e.Name] = len(sel.Entries)
		sel.Entries = append(sel.Entries, e)
	}
	if len(errs) == 0 {
		errs = append(errs, sel.checkOrder()...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return sel, nil
}

// fleetPath is the fleet file a --fleet value names.
func fleetPath(p string) string {
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		return filepath.Join(p, DefaultFile)
	}
	return p
}

func readFile(p string) ([]fileEntry, error) {
	path := fleetPath(p)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fleet file: %w", err)
	}
	var f fileFormat
	// An empty file (or one of comments only) decodes as io.EOF: it is a
	// file without services, not a read error.
	if err := yaml.NewDecoder(bytes.NewReader(b), yaml.Strict()).Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("fleet file %s: %s", path, strings.Join(strings.Fields(err.Error()), " "))
	}
	if len(f.Services) == 0 {
		return nil, fmt.Errorf("fleet file %s: no services (expected services: [{config: PATH, name: NAME, after: [NAME]}])", path)
	}
	return f.Services, nil
}

// checkOrder rejects after: entries naming nothing selected, and cycles.
func (s *Selection) checkOrder() []error {
	idx := map[string]int{}
	for i, e := range s.Entries {
		idx[e.Name] = i
	}
	var errs []error
	for _, e := range s.Entries {
		for _, a := range e.After {
			if _, ok := idx[a]; !ok {
				errs = append(errs, fmt.Errorf("%s (%s): after: %q is not a selected service (selected: %s)", e.Name, e.Config, a, strings.Join(s.Names(), ", ")))
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	// Depth-first search for a cycle, reported as its path.
	state := make([]int, len(s.Entries)) // 0 new, 1 on the path, 2 done
	var path []string
	var visit func(i int) error
	visit = func(i int) error {
		state[i] = 1
		path = append(path, s.Entries[i].Name)
		for _, a := range s.Entries[i].After {
			j := idx[a]
			switch state[j] {
			case 1:
				start := 0
				for k, n := range path {
					if n == a {
						start = k
					}
				}
				return fmt.Errorf("after: makes a cycle: %s -> %s", strings.Join(path[start:], " -> "), a)
			case 0:
				if err := visit(j); err != nil {
					return err
				}
			}
		}
		path = path[:len(path)-1]
		state[i] = 2
		return nil
	}
	for i := range s.Entries {
		if state[i] == 0 {
			if err := visit(i); err != nil {
				return []error{err}
			}
		}
	}
	return nil
}
