// Package render loads an ecspresso-compatible config and renders the task
// and service definitions it points at: text/template and Jsonnet with the
// lookup plugins, then strict decoding into aws-sdk-go-v2 ECS types.
//
// render never calls a mutating AWS API; the only AWS calls it causes are the
// plugins' lookups.
package render

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/mask"
	"github.com/doppio-ecs/doppio/plugins"
)

// Options are the run-wide inputs of Load, mostly from global flags.
type Options struct {
	ConfigPath    string
	ExtStr        map[string]string
	ExtCode       map[string]string
	AssumeRoleARN string
	// Version is the binary version, checked against required_version.
	Version string
	// Timeout, when set, overrides the config's timeout.
	Timeout *time.Duration
	// Secrets collects secret values for masking; Load creates a set when nil.
	Secrets *mask.Set
	// Clients, when set, provides the client set for the config's region
	// ("" when the config names none), so that the projects of one run
	// share one client set per region; nil: Load builds its own.
	Clients func(ctx context.Context, region string) (*awsapi.Clients, error)
}

// Project is one loaded config: the config, the AWS clients, the plugin
// functions and the secrets seen so far. Rendering methods are safe to call
// several times; each call re-reads its file.
type Project struct {
	Config  *Config
	Clients *awsapi.Clients
	Secrets *mask.Set

	funcs   []plugins.Func
	close   func() error
	extStr  map[string]string
	extCode map[string]string
}

// Load reads the config, builds the AWS clients and loads the plugins.
func Load(ctx context.Context, opts Options) (*Project, error) {
	cfg, err := LoadConfig(ctx, opts.ConfigPath, opts.ExtStr, opts.ExtCode)
	if err != nil {
		return nil, err
	}
	if err := cfg.CheckRequiredVersion(opts.Version); err != nil {
		return nil, err
	}
	if opts.Timeout != nil {
		cfg.Timeout.Duration = *opts.Timeout
	}
	var clients *awsapi.Clients
	if opts.Clients != nil {
		clients, err = opts.Clients(ctx, cfg.Region)
	} else {
		clients, err = awsapi.New(ctx, awsapi.Options{Region: cfg.Region, AssumeRoleARN: opts.AssumeRoleARN})
	}
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = clients.Region()
	}
	secrets := opts.Secrets
	if secrets == nil {
		secrets = &mask.Set{}
	}
	set, err := plugins.Load(ctx, cfg.Plugins, plugins.Env{Clients: clients, BaseDir: cfg.Dir(), Secrets: secrets})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", displayName(cfg.Path()), err)
	}
	p := NewProject(cfg, clients, set.Funcs(), secrets, opts)
	p.close = set.Close
	return p, nil
}

// Close stops what the plugins keep running (external jsonrpc processes).
func (p *Project) Close() error {
	if p == nil || p.close == nil {
		return nil
	}
	return p.close()
}

// NewProject assembles a Project from parts; tests use it with fake lookup
// functions and no AWS.
func NewProject(cfg *Config, clients *awsapi.Clients, funcs []plugins.Func, secrets *mask.Set, opts Options) *Project {
	if secrets == nil {
		secrets = &mask.Set{}
	}
	return &Project{
		Config:  cfg,
		Clients: clients,
		Secrets: secrets,
		funcs:   funcs,
		extStr:  opts.ExtStr,
		extCode: opts.ExtCode,
	}
}

// TaskDefinitionPath is the resolved task definition file.
func (p *Project) TaskDefinitionPath() string { return p.Config.TaskDefinitionPath }

// ServiceDefinitionPath is the resolved service definition file, "" if none.
func (p *Project) ServiceDefinitionPath() string { return p.Config.ServiceDefinitionPath }

// Funcs are the plugin lookup functions of the project.
func (p *Project) Funcs() []plugins.Func { return append([]plugins.Func(nil), p.funcs...) }

// taskDefinitionReadOnly are describe-task-definition output members that
// RegisterTaskDefinition does not take; files exported with the AWS CLI carry
// them.
var taskDefinitionReadOnly = []string{
	"taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
	"registeredAt", "registeredBy", "deregisteredAt", "deleteRequestedAt",
}

// serviceReadOnly are describe-services output members that describe live
// state rather than configuration.
var serviceReadOnly = []string{
	"serviceArn", "serviceName", "clusterArn", "status", "runningCount", "pendingCount",
	"events", "deployments", "createdAt", "createdBy", "taskDefinition", "taskSets", "roleArn",
	"currentServiceDeployment", "currentServiceRevisions", "resourceManagementType",
}

// TaskDefinition renders and decodes the task definition file.
func (p *Project) TaskDefinition(ctx context.Context) (*ecs.RegisterTaskDefinitionInput, error) {
	if p.Config.TaskDefinitionPath == "" {
		return nil, fmt.Errorf("%s: task_definition is not set", displayName(p.Config.Path()))
	}
	return p.DecodeTaskDefinitionFile(ctx, p.Config.TaskDefinitionPath)
}

// DecodeTaskDefinitionFile renders any task definition file (run --task-def).
func (p *Project) DecodeTaskDefinitionFile(ctx context.Context, path string) (*ecs.RegisterTaskDefinitionInput, error) {
	name, src, withPos, err := p.renderFile(ctx, path)
	if err != nil {
		return nil, err
	}
	return decodeTaskDefinition(name, src, withPos)
}

// DecodeTaskDefinition strictly decodes rendered task definition JSON, raw
// RegisterTaskDefinition input or describe-task-definition output.
func DecodeTaskDefinition(name string, src []byte) (*ecs.RegisterTaskDefinitionInput, error) {
	return decodeTaskDefinition(name, src, true)
}

func decodeTaskDefinition(name string, src []byte, withPos bool) (*ecs.RegisterTaskDefinitionInput, error) {
	tr, err := parseTree(src)
	if err != nil {
		return nil, atFile(name, err)
	}
	obj, ok := tr.value.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a task definition must be a JSON object, got %s", name, jsonKind(tr.value))
	}
	td := &ecs.RegisterTaskDefinitionInput{}
	d := &strictDecoder{file: name, tree: tr, withPos: withPos, drop: map[string]struct{}{}}
	prefix := ""
	var outerTags any
	if wrappedKey, wrapped := findKeyFold(obj, "taskDefinition"); wrapped {
		// describe-task-definition output: {"taskDefinition": {...}, "tags": [...]}
		prefix = wrappedKey
		for _, k := range d.keysInSourceOrder("", obj) {
			switch {
			case k == wrappedKey:
			case strings.EqualFold(k, "tags"):
				outerTags = obj[k]
			default:
				if hint := suggest(k, []string{"taskDefinition", "tags"}); hint != "" {
					d.fail(k, "unknown field next to taskDefinition (did you mean %q?)", hint)
				} else {
					d.fail(k, "unknown field next to taskDefinition (only tags may sit beside it)")
				}
			}
		}
		inner, ok := obj[wrappedKey].(map[string]any)
		if !ok {
			d.fail(wrappedKey, "expected object, got %s", jsonKind(obj[wrappedKey]))
			return nil, d.err()
		}
		obj = inner
	}
	for _, k := range taskDefinitionReadOnly {
		if key, ok := findKeyFold(obj, k); ok {
			d.drop[joinPath(prefix, key)] = struct{}{}
			slog.Debug("ignoring read-only task definition field", "file", name, "field", joinPath(prefix, key))
		}
	}
	d.decode(prefix, obj, reflect.ValueOf(td).Elem())
	if outerTags != nil {
		if key, _ := findKeyFold(obj, "tags"); key != "" && len(td.Tags) > 0 {
			d.fail(key, "tags given both inside and next to taskDefinition")
		}
		tagsField := reflect.ValueOf(td).Elem().FieldByName("Tags")
		outerKey, _ := findKeyFold(tr.value.(map[string]any), "tags")
		d.decode(outerKey, outerTags, tagsField)
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	if len(td.Tags) == 0 {
		td.Tags = nil
	}
	return td, nil
}

// ServiceDefinition renders and decodes the service definition file; nil
// when the config has no service_definition.
func (p *Project) ServiceDefinition(ctx context.Context) (*ServiceDefinition, error) {
	if p.Config.ServiceDefinitionPath == "" {
		return nil, nil
	}
	name, src, withPos, err := p.renderFile(ctx, p.Config.ServiceDefinitionPath)
	if err != nil {
		return nil, err
	}
	sd, err := decodeServiceDefinition(name, src, withPos)
	if err != nil {
		return nil, err
	}
	if p.Config.Service != "" {
		if sd.ServiceName != nil && *sd.ServiceName != p.Config.Service {
			slog.Debug("serviceName in the service definition is replaced by the config's service", "file", name, "serviceName", *sd.ServiceName, "service", p.Config.Service)
		}
		sd.ServiceName = aws.String(p.Config.Service)
	}
	return sd, nil
}

// DecodeServiceDefinition strictly decodes rendered service definition JSON
// (describe-services shape).
func DecodeServiceDefinition(name string, src []byte) (*ServiceDefinition, error) {
	return decodeServiceDefinition(name, src, true)
}

func decodeServiceDefinition(name string, src []byte, withPos bool) (*ServiceDefinition, error) {
	tr, err := parseTree(src)
	if err != nil {
		return nil, atFile(name, err)
	}
	obj, ok := tr.value.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a service definition must be a JSON object, got %s", name, jsonKind(tr.value))
	}
	sd := &ServiceDefinition{}
	d := &strictDecoder{file: name, tree: tr, withPos: withPos, drop: map[string]struct{}{}}
	var serviceName any
	for _, k := range serviceReadOnly {
		if key, ok := findKeyFold(obj, k); ok {
			d.drop[key] = struct{}{}
			if k == "serviceName" {
				serviceName = obj[key]
			}
		}
	}
	d.decode("", obj, reflect.ValueOf(sd).Elem())
	if s, ok := serviceName.(string); ok {
		sd.ServiceName = aws.String(s)
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	// What the file set, zero values included; null is absent, as in
	// encoding/json. "tags": [] sets "no tags".
	sd.set = map[string]bool{}
	sd.recordSet("", obj, reflect.TypeFor[ServiceDefinition](), d.drop)
	return sd, nil
}

// RenderFile renders any definition-like file (e.g. run --overrides-file)
// through the same pipeline and decodes it strictly into `into`, a pointer.
func (p *Project) RenderFile(ctx context.Context, path string, into any) error {
	rv := reflect.ValueOf(into)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("render %s: target must be a non-nil pointer, got %T", path, into)
	}
	name, src, withPos, err := p.renderFile(ctx, path)
	if err != nil {
		return err
	}
	tr, err := parseTree(src)
	if err != nil {
		return atFile(name, err)
	}
	d := &strictDecoder{file: name, tree: tr, withPos: withPos}
	d.decode("", tr.value, rv.Elem())
	return d.err()
}

// RenderJSON renders a file through the template/Jsonnet pipeline and
// returns the resulting JSON text without decoding it.
func (p *Project) RenderJSON(ctx context.Context, path string) ([]byte, error) {
	_, src, _, err := p.renderFile(ctx, path)
	return src, err
}

// renderFile produces JSON text from a definition file: .jsonnet through
// Jsonnet then text/template, anything else through text/template. withPos
// tells whether offsets in the result match lines of the file.
func (p *Project) renderFile(ctx context.Context, path string) (name string, out []byte, withPos bool, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path, nil, false, fmt.Errorf("%s: %w", path, err)
	}
	name = displayName(abs)
	// The phases below may block or run long: --debug says which one runs.
	slog.Debug("read definition", "file", name)
	raw, err := ReadInput(ctx, abs, MaxSourceSize)
	if err != nil {
		return name, nil, false, fmt.Errorf("read definition: %w", cleanPathError(err))
	}
	src := raw
	if strings.EqualFold(filepath.Ext(abs), ".jsonnet") || strings.EqualFold(filepath.Ext(abs), ".libsonnet") {
		vm := newVM(p.extStr, p.extCode, pluginNatives(ctx, p.funcs))
		slog.Debug("evaluate Jsonnet", "file", name)
		js, err := evaluateJsonnet(ctx, vm, name, string(raw))
		if err != nil {
			if ctx.Err() != nil {
				return name, nil, false, err
			}
			return name, nil, false, jsonnetError(name, err)
		}
		src = []byte(js)
	} else {
		withPos = true
	}
	slog.Debug("execute template", "file", name)
	out, err = evaluate(ctx, "render "+name, func() ([]byte, error) { return renderTemplate(name, src, templateFuncs(ctx, p.funcs)) })
	if err != nil {
		return name, nil, false, err
	}
	return name, out, withPos, nil
}

func findKeyFold(obj map[string]any, key string) (string, bool) {
	if _, ok := obj[key]; ok {
		return key, true
	}
	for _, k := range sortedKeys(obj) {
		if strings.EqualFold(k, key) {
			return k, true
		}
	}
	return "", false
}

// LearnSecrets renders the config's definition files for their lookups
// alone, so that the secrets they resolve (SecureString parameters, secret
// versions) are in Secrets before a command prints what runs in AWS
// (revisions --revision, status), which may hold the same values. It
// stops at the first file that does not render.
func (p *Project) LearnSecrets(ctx context.Context) error {
	for _, path := range []string{p.Config.TaskDefinitionPath, p.Config.ServiceDefinitionPath} {
		if path == "" {
			continue
		}
		if _, err := p.RenderJSON(ctx, path); err != nil {
			return err
		}
	}
	return nil
}
