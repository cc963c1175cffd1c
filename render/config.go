package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/hashicorp/go-version"

	"github.com/doppio-ecs/doppio/plugins"
)

// DefaultTimeout is the config `timeout` when none is given.
const DefaultTimeout = 10 * time.Minute

// EcspressoCompatVersion is the ecspresso release whose configs, definition
// files and command lines doppio accepts. An ecspresso config's
// `required_version` constrains the ecspresso version, so it is checked
// against this, never against doppio's own version.
const EcspressoCompatVersion = "2.7.0"

// Config is the ecspresso-compatible config file. Field names follow
// ecspresso's keys so an existing ecspresso.yml loads unchanged.
type Config struct {
	RequiredVersion       string            `json:"required_version,omitempty" yaml:"required_version,omitempty"`
	Region                string            `json:"region" yaml:"region"`
	Cluster               string            `json:"cluster" yaml:"cluster"`
	Service               string            `json:"service,omitempty" yaml:"service,omitempty"`
	ServiceDefinitionPath string            `json:"service_definition,omitempty" yaml:"service_definition,omitempty"`
	TaskDefinitionPath    string            `json:"task_definition" yaml:"task_definition"`
	Plugins               []plugins.Spec    `json:"plugins,omitempty" yaml:"plugins,omitempty"`
	AppSpec               map[string]any    `json:"appspec,omitempty" yaml:"appspec,omitempty"`
	FilterCommand         string            `json:"filter_command,omitempty" yaml:"filter_command,omitempty"`
	Timeout               Duration          `json:"timeout" yaml:"timeout"`
	CodeDeploy            *CodeDeployConfig `json:"codedeploy,omitempty" yaml:"codedeploy,omitempty"`
	Ignore                *IgnoreConfig     `json:"ignore,omitempty" yaml:"ignore,omitempty"`
	// Doppio holds the keys only doppio reads; ecspresso warns about the
	// unknown key and loads the rest.
	Doppio *DoppioConfig `json:"doppio,omitempty" yaml:"doppio,omitempty"`

	path string
	dir  string
}

// CodeDeployConfig names the CodeDeploy application and deployment group of
// a blue/green service, which skips auto-discovery.
type CodeDeployConfig struct {
	ApplicationName      string `json:"application_name,omitempty" yaml:"application_name,omitempty"`
	DeploymentGroupName  string `json:"deployment_group_name,omitempty" yaml:"deployment_group_name,omitempty"`
	DeploymentConfigName string `json:"deployment_config_name,omitempty" yaml:"deployment_config_name,omitempty"`
}

// DoppioConfig is doppio's own name space in a config shared with ecspresso.
type DoppioConfig struct {
	// RequiredVersion is a go-version constraint on the doppio binary.
	RequiredVersion string `json:"required_version,omitempty" yaml:"required_version,omitempty"`
}

// IgnoreConfig lists what diff and deploy leave alone because another tool
// owns it.
type IgnoreConfig struct {
	// Tags are tag keys (exact match) filtered out on both sides.
	Tags []string `json:"tags,omitempty" yaml:"tags,omitempty"`
	// Fields are JSON paths into the service or task definition, e.g.
	// desiredCount or loadBalancers[].targetGroupArn.
	Fields []string `json:"fields,omitempty" yaml:"fields,omitempty"`
}

// Path is the config file as given (absolute when resolved from cwd).
func (c *Config) Path() string { return c.path }

// Dir is the folder definition paths and tfstate paths are relative to.
func (c *Config) Dir() string { return c.dir }

// Duration is a config duration: a Go duration string ("10m"), or a number
// of seconds.
type Duration struct{ time.Duration }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	switch v := v.(type) {
	case string:
		dur, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("invalid duration %q (use a Go duration like \"10m\" or \"90s\")", v)
		}
		d.Duration = dur
	case json.Number:
		// ecspresso v2 read a number as nanoseconds, which nobody means;
		// doppio follows ecspresso v3: seconds.
		f, err := v.Float64()
		if err != nil || f > float64(math.MaxInt64)/float64(time.Second) {
			return fmt.Errorf("invalid duration %s (out of range)", v)
		}
		d.Duration = time.Duration(f * float64(time.Second))
	default:
		return fmt.Errorf("expected a duration string or a number of seconds, got %s", jsonKind(v))
	}
	if d.Duration < 0 {
		return fmt.Errorf("duration must not be negative")
	}
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// ConfigFormats are the config file extensions doppio reads.
var ConfigFormats = []string{".yml", ".yaml", ".json", ".jsonnet"}

// LoadConfig reads, renders and strictly decodes a config file. It needs no
// AWS access: the config itself may only use env, must_env and json_escape
// (and Jsonnet ext vars), as in ecspresso v2.
func LoadConfig(ctx context.Context, path string, extStr, extCode map[string]string) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	name := displayName(abs)
	slog.Debug("read config", "file", name)
	raw, err := ReadInput(ctx, abs, MaxSourceSize)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", cleanPathError(err))
	}
	var (
		tr      *tree
		withPos bool
	)
	switch ext := strings.ToLower(filepath.Ext(abs)); ext {
	case ".yml", ".yaml":
		out, err := evaluate(ctx, "render "+name, func() ([]byte, error) { return renderTemplate(name, raw, baseFuncs()) })
		if err != nil {
			return nil, err
		}
		js, err := yamlToJSON(name, out)
		if err != nil {
			return nil, err
		}
		if tr, err = parseTree(js); err != nil {
			return nil, atFile(name, err)
		}
	case ".json", ".jsonnet":
		var js []byte
		if ext == ".json" && json.Valid(raw) {
			// Plain JSON evaluates to itself in Jsonnet; skipping the VM keeps
			// line numbers pointing into the user's file.
			js, withPos = raw, true
		} else {
			vm := newVM(extStr, extCode, nil)
			slog.Debug("evaluate Jsonnet", "file", name)
			out, err := evaluateJsonnet(ctx, vm, name, string(raw))
			if err != nil {
				if ctx.Err() != nil {
					return nil, err
				}
				return nil, jsonnetError(name, err)
			}
			js = []byte(out)
		}
		out, err := evaluate(ctx, "render "+name, func() ([]byte, error) { return renderTemplate(name, js, baseFuncs()) })
		if err != nil {
			return nil, err
		}
		if tr, err = parseTree(out); err != nil {
			return nil, atFile(name, err)
		}
	default:
		return nil, fmt.Errorf("config %s: unsupported file type %q (use one of %s)", name, filepath.Ext(abs), strings.Join(ConfigFormats, ", "))
	}
	return decodeConfig(name, abs, tr, withPos)
}

func decodeConfig(name, abs string, tr *tree, withPos bool) (*Config, error) {
	obj, ok := tr.value.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: the config must be an object, got %s", name, jsonKind(tr.value))
	}
	cfg := &Config{}
	d := &strictDecoder{file: name, tree: tr, withPos: withPos}
	d.decode("", obj, reflect.ValueOf(cfg).Elem())
	if err := d.err(); err != nil {
		return nil, err
	}
	if _, set := lookupFold(obj, "timeout"); !set {
		cfg.Timeout.Duration = DefaultTimeout
	} else if cfg.Timeout.Duration <= 0 {
		return nil, fmt.Errorf("%s: timeout must be a positive duration (e.g. 15m), got %s", name, cfg.Timeout.Duration)
	}
	if cfg.Cluster == "" {
		cfg.Cluster = "default"
	}
	cfg.path = abs
	cfg.dir = filepath.Dir(abs)
	if cfg.TaskDefinitionPath != "" {
		cfg.TaskDefinitionPath = resolvePath(cfg.dir, cfg.TaskDefinitionPath)
	}
	if cfg.ServiceDefinitionPath != "" {
		cfg.ServiceDefinitionPath = resolvePath(cfg.dir, cfg.ServiceDefinitionPath)
	}
	for i, p := range cfg.Plugins {
		if p.Name == "" {
			return nil, fmt.Errorf("%s: plugins[%d].name: missing plugin name", name, i)
		}
	}
	for _, rv := range []struct{ key, value string }{
		{"required_version", cfg.RequiredVersion},
		{"doppio.required_version", cfg.doppioRequiredVersion()},
	} {
		if rv.value == "" {
			continue
		}
		if _, err := version.NewConstraint(rv.value); err != nil {
			return nil, fmt.Errorf("%s: %s: invalid constraint %q: %v", name, rv.key, rv.value, err)
		}
	}
	return cfg, nil
}

func (c *Config) doppioRequiredVersion() string {
	if c.Doppio == nil {
		return ""
	}
	return c.Doppio.RequiredVersion
}

// CheckRequiredVersion checks required_version against the ecspresso
// version doppio is compatible with, and doppio.required_version against the
// running binary's version. A development build of doppio (not semver)
// cannot be compared: that check warns and passes, as ecspresso does.
func (c *Config) CheckRequiredVersion(binaryVersion string) error {
	name := displayName(c.path)
	if c.RequiredVersion != "" {
		constraints, err := version.NewConstraint(c.RequiredVersion)
		if err != nil {
			return fmt.Errorf("%s: required_version: invalid constraint %q: %v", name, c.RequiredVersion, err)
		}
		if !constraints.Check(version.Must(version.NewSemver(EcspressoCompatVersion))) {
			return fmt.Errorf("%s: required_version %q constrains the ecspresso version, and doppio %s reads ecspresso v%s configs, which it does not satisfy; "+
				"if the config needs a newer ecspresso, doppio does not support it yet (put a constraint on doppio itself under doppio.required_version)",
				name, c.RequiredVersion, binaryVersion, EcspressoCompatVersion)
		}
	}
	own := c.doppioRequiredVersion()
	if own == "" {
		return nil
	}
	constraints, err := version.NewConstraint(own)
	if err != nil {
		return fmt.Errorf("%s: doppio.required_version: invalid constraint %q: %v", name, own, err)
	}
	v, err := version.NewSemver(strings.TrimPrefix(binaryVersion, "v"))
	if err != nil {
		slog.Warn("cannot check doppio.required_version against a development build", "version", binaryVersion, "required_version", own)
		return nil
	}
	if !constraints.Check(v) {
		return fmt.Errorf("%s: doppio.required_version %q is not satisfied by doppio %s", name, own, binaryVersion)
	}
	return nil
}

func resolvePath(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func lookupFold(obj map[string]any, key string) (any, bool) {
	if v, ok := obj[key]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// yamlToJSON converts rendered YAML to JSON. Its error is one line that
// starts FILE:LINE:COL, the place editors and GitHub annotations read.
func yamlToJSON(name string, src []byte) ([]byte, error) {
	if len(bytes.TrimSpace(src)) == 0 {
		return nil, fmt.Errorf("%s: empty config", name)
	}
	if err := checkYAMLAliases(name, src); err != nil {
		return nil, err
	}
	js, err := yaml.YAMLToJSON(src)
	if err != nil {
		var yerr yaml.Error
		if errors.As(err, &yerr) && yerr.GetToken() != nil && yerr.GetToken().Position != nil {
			pos := yerr.GetToken().Position
			return nil, fmt.Errorf("%s:%d:%d: YAML syntax error: %s", name, pos.Line, pos.Column, oneLine(yerr.GetMessage()))
		}
		return nil, fmt.Errorf("%s: YAML syntax error: %s", name, oneLine(yaml.FormatError(err, false, false)))
	}
	return js, nil
}

// displayName shows a path relative to the working directory when it lies
// below it: shorter messages that still locate the file.
func displayName(abs string) string {
	wd, err := os.Getwd()
	if err != nil {
		return abs
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return abs
	}
	return rel
}

// cleanPathError keeps "open X: no such file or directory" but with the
// display name.
func cleanPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", displayName(pe.Path), pe.Err)
	}
	return err
}

// oneLine folds a multi-line message into one paragraph.
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(strings.ReplaceAll(l, "\t", " ")); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}
