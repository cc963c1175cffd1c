// Package plugins provides the lookup functions definitions can call:
// tfstate, tfstatef, ssm, ssm_list, secretsmanager_arn, cfn_output and
// cfn_export. The same functions serve text/template and Jsonnet (as native
// functions); render does the wiring.
//
// Plugins are configured like ecspresso's: `ssm` and `secretsmanager` are
// always loaded without a prefix, and the config's `plugins` list adds more,
// optionally under a `func_prefix`.
//
// Terraform states are read when Load runs (as ecspresso does), so a broken
// state location is a config error naming the plugin and the location, even
// if no definition calls the function. Each distinct state location is read
// once per Set; render loads one Set per config, so once per process. AWS
// lookups are cached per Set and shared between concurrent callers.
//
// A local or s3:// state that is a plain version 4 state is indexed rather
// than decoded (see lazyState): only the resources a lookup needs are decoded,
// which keeps a 20 MB state within the render budget. Other locations, and
// states tfstate-lookup must follow to a backend, are read by tfstate-lookup
// whole. Lookup semantics are tfstate-lookup's in both cases.
package plugins

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/mask"
)

// Spec is one entry of the config's `plugins` list.
type Spec struct {
	Name       string         `json:"name" yaml:"name"`
	Config     map[string]any `json:"config" yaml:"config"`
	FuncPrefix string         `json:"func_prefix" yaml:"func_prefix"`
}

// Env is what plugins need from the run.
type Env struct {
	// Clients serves every AWS lookup (and tfstate over s3://), so
	// --assume-role-arn and AWS_ENDPOINT_URL_* apply to plugins too. It may
	// be nil when no AWS lookup is ever called.
	Clients *awsapi.Clients
	// BaseDir is the config file's folder; tfstate `path` is relative to it.
	BaseDir string
	// Secrets receives every SecureString value a lookup returns, so that
	// output masking covers them.
	Secrets *mask.Set
}

// Func is one lookup function.
type Func struct {
	// Name is the function name with the plugin's func_prefix applied.
	Name string
	// Params are the Jsonnet native parameter names (natives are
	// fixed-arity). Nil means the function is for templates only (tfstatef).
	Params []string
	// Call has template semantics: variadic args, and a string result that
	// prints as is (objects and lists from tfstate come back as JSON text).
	// It also works as a Jsonnet native when Native is nil.
	Call func(ctx context.Context, args []any) (any, error)
	// Native, when set, is what a Jsonnet native must call instead of Call:
	// it takes len(Params) args and returns JSON values (tfstate returns
	// objects, lists and numbers as such, like tfstate-lookup's natives).
	Native func(ctx context.Context, args []any) (any, error)
}

// Set is the loaded plugins of one config.
type Set struct {
	funcs   []Func
	closers []func() error
}

// Close stops what plugins keep running (the processes of external
// plugins in jsonrpc mode). The Set's functions must not be called after.
func (s *Set) Close() error {
	if s == nil {
		return nil
	}
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// Funcs returns every lookup function, prefixes applied, in load order.
func (s *Set) Funcs() []Func {
	if s == nil {
		return nil
	}
	return append([]Func(nil), s.funcs...)
}

// plugin is one loaded plugin instance.
type plugin struct {
	name  string // plugin kind: tfstate, ssm, ...
	label string // how errors refer to it: "plugin tfstate (plugins[1])"
	funcs []Func // names with the prefix applied
}

// defaultPlugins are always loaded first, without a prefix. A configured
// plugin of the same kind that would redefine one of their functions is
// skipped silently, as ecspresso does, so `- name: ssm` is harmless and
// `- name: ssm, func_prefix: x_` adds x_ssm.
var defaultPlugins = map[string]bool{"ssm": true, "secretsmanager": true}

type loader func(ctx context.Context, spec Spec, label string, l *loadState) (*plugin, error)

var loaders = map[string]loader{
	"tfstate":        loadTFState,
	"ssm":            loadSSM,
	"secretsmanager": loadSecretsManager,
	"cloudformation": loadCloudFormation,
	"external":       loadExternal,
}

func knownPlugins() string {
	names := make([]string, 0, len(loaders))
	for n := range loaders {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// loadState is shared by the plugins of one Load: clients, caches and the
// states already read, so that two plugins on one location share one read.
type loadState struct {
	env     Env
	aws     *awsLookups
	states  map[string]*state
	closers []func() error
}

// Load builds the default plugins plus the configured ones, in order.
func Load(ctx context.Context, specs []Spec, env Env) (*Set, error) {
	l := &loadState{env: env, aws: newAWSLookups(env), states: map[string]*state{}}
	set := &Set{}
	defer func() { set.closers = l.closers }()
	owner := map[string]string{} // function name → label of the plugin defining it

	add := func(p *plugin, isDefault bool) error {
		for _, f := range p.funcs {
			if other, ok := owner[f.Name]; ok {
				if isDefault {
					continue
				}
				return fmt.Errorf("%s: function %q is already defined by %s; set func_prefix on one of them (for example func_prefix: \"second_\" names it second_%s)",
					p.label, f.Name, other, f.Name)
			}
			owner[f.Name] = p.label
			set.funcs = append(set.funcs, f)
		}
		return nil
	}

	for _, name := range []string{"ssm", "secretsmanager"} {
		p, err := loaders[name](ctx, Spec{Name: name}, "default plugin "+name, l)
		if err != nil {
			return nil, err
		}
		if err := add(p, true); err != nil {
			return nil, err
		}
	}
	for i, spec := range specs {
		label := fmt.Sprintf("plugin %s (plugins[%d])", spec.Name, i)
		if spec.Name == "" {
			return nil, fmt.Errorf("plugins[%d]: name is missing (known plugins: %s)", i, knownPlugins())
		}
		load, ok := loaders[spec.Name]
		if !ok {
			return nil, fmt.Errorf("plugins[%d]: plugin %q is not available (known plugins: %s)", i, spec.Name, knownPlugins())
		}
		p, err := load(ctx, spec, label, l)
		if err != nil {
			return nil, err
		}
		if err := add(p, defaultPlugins[spec.Name]); err != nil {
			return nil, err
		}
	}
	return set, nil
}
