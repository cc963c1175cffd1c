package deploy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/fujiwara/tfstate-lookup/tfstate"
	"github.com/goccy/go-yaml"
	"github.com/google/go-jsonnet/formatter"

	"github.com/doppio-ecs/doppio/apijson"
	"github.com/doppio-ecs/doppio/normalize"
)

// ImportOptions say what init reads and where it writes.
type ImportOptions struct {
	Region  string
	Cluster string
	// Service to import; empty with TaskDefinition set imports a task
	// definition alone.
	Service string
	// TaskDefinition is family, family:revision or an ARN.
	TaskDefinition string

	ConfigPath            string // default ecspresso.yml
	ServiceDefinitionPath string // default ecs-service-def.json
	TaskDefinitionPath    string // default ecs-task-def.json
	// Jsonnet writes .jsonnet files (config included) instead of JSON/YAML.
	Jsonnet        bool
	ForceOverwrite bool
	// TFState is a Terraform state file path or URL (s3://, https://...):
	// IDs and ARNs it holds are written as tfstate lookups.
	TFState string
	// ImageTagEnv replaces the tag of every container image with
	// {{ must_env "NAME" }}, so CI chooses the tag at deploy time.
	ImageTagEnv string
	// Sort writes the task definition's unordered lists (environment,
	// secrets, port mappings, ...) sorted, as ecspresso's init --sort.
	Sort bool
	// CodeDeploy finds the deployment group of a service under the
	// CODE_DEPLOY controller (read-only calls), whose names the config's
	// codedeploy section then holds, as ecspresso's init writes them. nil:
	// no section.
	CodeDeploy *CodeDeploy

	// codeDeployGroup is the group found, written into the config.
	codeDeployGroup *DeploymentGroupRef
}

// ImportResult lists the files written.
type ImportResult struct {
	Written []string
}

// Import reads a live service (or task definition) and writes the config,
// service definition and task definition files a user would write: members
// the API fills in or sets itself are left out, keys are sorted. Diff right
// after Import is empty. Files that exist are never overwritten unless
// ForceOverwrite is set; then nothing is written at all.
func Import(ctx context.Context, api ECSReader, opts ImportOptions) (*ImportResult, error) {
	opts = importDefaults(opts)
	if (opts.Service == "") == (opts.TaskDefinition == "") {
		return nil, errors.New("init: give exactly one of --service or --task-definition")
	}
	var (
		svc  *ecstypes.Service
		td   *ecstypes.TaskDefinition
		tags []ecstypes.Tag
		err  error
	)
	if opts.Service != "" {
		live, err := FetchLive(ctx, api, opts.Cluster, opts.Service, "")
		if err != nil {
			return nil, err
		}
		if live.Service == nil {
			return nil, fmt.Errorf("init: service %s not found in cluster %s", opts.Service, clusterName(opts.Cluster))
		}
		if live.TaskDefinition == nil {
			return nil, fmt.Errorf("init: task definition %s of service %s not found", aws.ToString(live.Service.TaskDefinition), opts.Service)
		}
		svc, td, tags = live.Service, live.TaskDefinition, live.TaskDefinitionTags
	} else {
		td, tags, err = describeTaskDefinition(ctx, api, opts.TaskDefinition)
		if err != nil {
			return nil, err
		}
		if td == nil {
			return nil, fmt.Errorf("init: task definition %s not found", opts.TaskDefinition)
		}
	}

	tdDoc, err := ImportedTaskDefinition(td, tags)
	if err != nil {
		return nil, err
	}
	var sdDoc map[string]any
	if svc != nil {
		if sdDoc, err = ImportedService(svc); err != nil {
			return nil, err
		}
		opts.codeDeployGroup = importCodeDeployGroup(ctx, opts, svc)
	}
	return writeDefinitions(ctx, opts, tdDoc, sdDoc)
}

// WriteDefinitions writes the config, the task definition tdDoc and, when
// sdDoc is not nil, the service definition, the way init writes them (tfstate
// lookups, image tag variable, Jsonnet, never overwriting without
// ForceOverwrite). init --compose writes what it converted through it.
func WriteDefinitions(ctx context.Context, opts ImportOptions, tdDoc, sdDoc map[string]any) (*ImportResult, error) {
	return writeDefinitions(ctx, importDefaults(opts), tdDoc, sdDoc)
}

func writeDefinitions(ctx context.Context, opts ImportOptions, tdDoc, sdDoc map[string]any) (*ImportResult, error) {
	var (
		rw  *tfstateRewriter
		err error
	)
	if opts.TFState != "" {
		if rw, err = loadTFState(ctx, opts.TFState); err != nil {
			return nil, err
		}
	}
	if opts.ImageTagEnv != "" {
		if !envNamePattern.MatchString(opts.ImageTagEnv) {
			return nil, fmt.Errorf("init: --image-tag-env %q is not an environment variable name", opts.ImageTagEnv)
		}
	}

	files := map[string][]byte{}
	var order []string
	add := func(path string, content []byte) {
		files[path] = content
		order = append(order, path)
	}

	if opts.Sort {
		tdDoc = normalize.SortTaskDefinitionSets(tdDoc)
	}
	content, err := definitionFile(tdDoc, rw, opts.ImageTagEnv, opts.Jsonnet)
	if err != nil {
		return nil, fmt.Errorf("init: task definition: %w", err)
	}
	add(opts.TaskDefinitionPath, content)

	withService := sdDoc != nil
	if withService {
		content, err := definitionFile(sdDoc, rw, "", opts.Jsonnet)
		if err != nil {
			return nil, fmt.Errorf("init: service definition: %w", err)
		}
		add(opts.ServiceDefinitionPath, content)
	}

	cfg, err := configFile(opts, withService, rw != nil)
	if err != nil {
		return nil, err
	}
	add(opts.ConfigPath, cfg)

	if !opts.ForceOverwrite {
		var existing []string
		for _, p := range order {
			if _, err := os.Stat(p); err == nil {
				existing = append(existing, p)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("init: %w", err)
			}
		}
		if len(existing) > 0 {
			return nil, fmt.Errorf("init: %s already exist(s); nothing written (use --force-overwrite to replace)", strings.Join(existing, ", "))
		}
	}
	res := &ImportResult{}
	for _, p := range order {
		if dir := filepath.Dir(p); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("init: %w", err)
			}
		}
		if err := os.WriteFile(p, files[p], 0o644); err != nil {
			return nil, fmt.Errorf("init: write %s: %w", p, err)
		}
		slog.Info("wrote", "file", p)
		res.Written = append(res.Written, p)
	}
	return res, nil
}

// importCodeDeployGroup finds the CodeDeploy deployment group of a
// CODE_DEPLOY service. Without one (or without the right to list them) the
// config goes without the section: deploy discovers the group itself, so
// init warns instead of failing.
func importCodeDeployGroup(ctx context.Context, opts ImportOptions, svc *ecstypes.Service) *DeploymentGroupRef {
	if opts.CodeDeploy == nil || opts.CodeDeploy.API == nil || svc.DeploymentController == nil || svc.DeploymentController.Type != ecstypes.DeploymentControllerTypeCodeDeploy {
		return nil
	}
	g, err := opts.CodeDeploy.Group(ctx, opts.Cluster, opts.Service)
	if err != nil {
		slog.Warn("init: the config gets no codedeploy section", "error", err)
		return nil
	}
	return g
}

func importDefaults(o ImportOptions) ImportOptions {
	if o.ConfigPath == "" {
		o.ConfigPath = "ecspresso.yml"
	}
	if o.ServiceDefinitionPath == "" {
		o.ServiceDefinitionPath = "ecs-service-def.json"
	}
	if o.TaskDefinitionPath == "" {
		o.TaskDefinitionPath = "ecs-task-def.json"
	}
	if o.Jsonnet {
		o.ConfigPath = toJsonnetPath(o.ConfigPath)
		o.ServiceDefinitionPath = toJsonnetPath(o.ServiceDefinitionPath)
		o.TaskDefinitionPath = toJsonnetPath(o.TaskDefinitionPath)
	}
	return o
}

func toJsonnetPath(p string) string {
	switch filepath.Ext(p) {
	case ".json", ".yml", ".yaml":
		return strings.TrimSuffix(p, filepath.Ext(p)) + ".jsonnet"
	}
	return p
}

// ImportedTaskDefinition is the task definition file init writes for td:
// user members only, API defaults left out, containers in their live order.
func ImportedTaskDefinition(td *ecstypes.TaskDefinition, tags []ecstypes.Tag) (map[string]any, error) {
	m, err := apijson.ToMap(TaskDefinitionInput(td, tags))
	if err != nil {
		return nil, fmt.Errorf("init: task definition %s: %w", aws.ToString(td.TaskDefinitionArn), err)
	}
	return normalize.StripTaskDefinitionDefaults(m), nil
}

// ImportedService is the service definition file init writes for svc.
func ImportedService(svc *ecstypes.Service) (map[string]any, error) {
	m, err := apijson.ToMap(ServiceDefinition(svc))
	if err != nil {
		return nil, fmt.Errorf("init: service %s: %w", aws.ToString(svc.ServiceArn), err)
	}
	out := normalize.StripServiceDefaults(m)
	// A DAEMON's count is the number of instances, not a setting.
	if svc.SchedulingStrategy == ecstypes.SchedulingStrategyDaemon {
		delete(out, "desiredCount")
	}
	return out, nil
}

func definitionFile(doc map[string]any, rw *tfstateRewriter, imageTagEnv string, jsonnet bool) ([]byte, error) {
	var tree any = doc
	if rw != nil {
		tree = rw.rewrite(doc)
	}
	if imageTagEnv != "" {
		tree = withImageTagEnv(tree, imageTagEnv)
	}
	b, err := apijson.Encode(tree)
	if err != nil {
		return nil, err
	}
	if !jsonnet {
		return []byte(lookupMarker.ReplaceAllString(string(b), "{{ $1 `$2` }}")), nil
	}
	// A string holding markers becomes a concatenation of its literal parts
	// and the native function calls.
	src := jsonString.ReplaceAllStringFunc(string(b), func(lit string) string {
		if !strings.Contains(lit, "@@") {
			return lit
		}
		body := lit[1 : len(lit)-1]
		var parts []string
		last := 0
		for _, m := range lookupMarker.FindAllStringSubmatchIndex(body, -1) {
			if m[0] > last {
				parts = append(parts, `"`+body[last:m[0]]+`"`)
			}
			parts = append(parts, "std.native('"+body[m[2]:m[3]]+"')('"+body[m[4]:m[5]]+"')")
			last = m[1]
		}
		if last < len(body) {
			parts = append(parts, `"`+body[last:]+`"`)
		}
		return strings.Join(parts, " + ")
	})
	out, err := formatter.Format("", src, formatter.DefaultOptions())
	if err != nil {
		return nil, fmt.Errorf("format Jsonnet: %w", err)
	}
	return []byte(out), nil
}

// EnvLookup is the value init writes for "the environment variable name":
// {{ must_env `name` }} in JSON, std.native('must_env')('name') in Jsonnet.
func EnvLookup(name string) string { return "@@must_env(" + name + ")@@" }

// withImageTagEnv replaces each container image's tag with a must_env
// lookup. Images pinned by digest stay as they are: a digest is not a tag CI
// picks.
func withImageTagEnv(tree any, name string) any {
	doc, ok := tree.(map[string]any)
	if !ok {
		return tree
	}
	cds, _ := doc["containerDefinitions"].([]any)
	// Copies: the caller's document stays as it was.
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		out[k] = v
	}
	list := make([]any, len(cds))
	for i, x := range cds {
		list[i] = x
		cd, ok := x.(map[string]any)
		if !ok {
			continue
		}
		img, ok := cd["image"].(string)
		if !ok || img == "" {
			continue
		}
		c := make(map[string]any, len(cd))
		for k, v := range cd {
			c[k] = v
		}
		c["image"] = imageWithTagEnv(img, name)
		list[i] = c
	}
	if cds != nil {
		out["containerDefinitions"] = list
	}
	return out
}

func imageWithTagEnv(img, name string) string {
	prefix := ""
	if strings.HasPrefix(img, "@@") {
		if i := strings.Index(img, ")@@"); i >= 0 {
			prefix, img = img[:i+3], img[i+3:]
		}
	}
	if strings.Contains(img, "@") {
		return prefix + img
	}
	if colon := strings.LastIndex(img, ":"); colon > strings.LastIndex(img, "/") {
		img = img[:colon]
	}
	return prefix + img + ":" + EnvLookup(name)
}

func configFile(opts ImportOptions, withService, withTFState bool) ([]byte, error) {
	cfg := yaml.MapSlice{}
	if opts.Region != "" {
		cfg = append(cfg, yaml.MapItem{Key: "region", Value: opts.Region})
	}
	cfg = append(cfg, yaml.MapItem{Key: "cluster", Value: clusterName(opts.Cluster)})
	if withService {
		cfg = append(cfg,
			yaml.MapItem{Key: "service", Value: opts.Service},
			yaml.MapItem{Key: "service_definition", Value: relTo(opts.ConfigPath, opts.ServiceDefinitionPath)},
		)
	}
	cfg = append(cfg,
		yaml.MapItem{Key: "task_definition", Value: relTo(opts.ConfigPath, opts.TaskDefinitionPath)},
		yaml.MapItem{Key: "timeout", Value: "10m0s"},
	)
	if g := opts.codeDeployGroup; g != nil && withService {
		cfg = append(cfg, yaml.MapItem{Key: "codedeploy", Value: yaml.MapSlice{
			{Key: "application_name", Value: g.Application},
			{Key: "deployment_group_name", Value: g.DeploymentGroup},
		}})
	}
	if withTFState {
		key, loc := "path", opts.TFState
		if strings.Contains(loc, "://") {
			key = "url"
		} else {
			loc = relTo(opts.ConfigPath, loc)
		}
		cfg = append(cfg, yaml.MapItem{Key: "plugins", Value: []any{
			yaml.MapSlice{{Key: "name", Value: "tfstate"}, {Key: "config", Value: yaml.MapSlice{{Key: key, Value: loc}}}},
		}})
	}
	if !opts.Jsonnet {
		out, err := yaml.Marshal(cfg)
		if err != nil {
			return nil, fmt.Errorf("init: config: %w", err)
		}
		return out, nil
	}
	b, err := apijson.Encode(mapSliceToMap(cfg))
	if err != nil {
		return nil, err
	}
	out, err := formatter.Format("", string(b), formatter.DefaultOptions())
	if err != nil {
		return nil, fmt.Errorf("init: config: %w", err)
	}
	return []byte(out), nil
}

func mapSliceToMap(v any) any {
	switch t := v.(type) {
	case yaml.MapSlice:
		m := map[string]any{}
		for _, it := range t {
			m[fmt.Sprint(it.Key)] = mapSliceToMap(it.Value)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = mapSliceToMap(x)
		}
		return out
	}
	return v
}

// relTo expresses target relative to the config file's folder, which is how
// the config resolves it.
func relTo(configPath, target string) string {
	base, err := filepath.Abs(filepath.Dir(configPath))
	if err != nil {
		return target
	}
	abs, err := filepath.Abs(target)
	if err != nil {
		return target
	}
	rel, err := filepath.Rel(base, abs)
	if err != nil {
		return target
	}
	return filepath.ToSlash(rel)
}

// Lookup markers (tfstate, must_env) are placed in string values and turned
// into template or Jsonnet syntax after encoding.
var (
	lookupMarker   = regexp.MustCompile(`@@(tfstate|must_env)\(([^)"\\]*)\)@@`)
	jsonString     = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	awsIDPattern   = regexp.MustCompile(`^[a-z]+(-[a-z]+)?-[0-9a-f]{8,17}$`)
	ecrRepoPattern = regexp.MustCompile(`^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[^:@]+$`)
)

// tfstateRewriter replaces literal IDs and ARNs with the Terraform state
// address that holds them.
type tfstateRewriter struct {
	byValue map[string]string // value → address
	repos   []repoRef         // ECR repository URLs, longest first
}

type repoRef struct{ url, addr string }

func loadTFState(ctx context.Context, loc string) (*tfstateRewriter, error) {
	var (
		st  *tfstate.TFState
		err error
	)
	if strings.Contains(loc, "://") {
		st, err = tfstate.ReadURL(ctx, loc)
	} else {
		st, err = tfstate.ReadFile(ctx, loc)
	}
	if err != nil {
		return nil, fmt.Errorf("init: read Terraform state %s: %w", loc, err)
	}
	dump, err := st.Dump()
	if err != nil {
		return nil, fmt.Errorf("init: read Terraform state %s: %w", loc, err)
	}
	type cand struct{ addr, attr string }
	cands := map[string][]cand{}
	for addr, obj := range dump {
		if strings.ContainsAny(addr, "\"`") {
			continue // addresses with quoted keys cannot sit inside a JSON string
		}
		switch v := obj.Value.(type) {
		case string:
			cands[v] = append(cands[v], cand{addr, ""})
		case map[string]any:
			for attr, x := range v {
				if s, ok := x.(string); ok {
					cands[s] = append(cands[s], cand{addr + "." + attr, attr})
				}
			}
		}
	}
	rank := func(c cand) int {
		switch {
		case c.attr == "arn":
			return 0
		case c.attr == "id":
			return 1
		case c.attr == "repository_url":
			return 2
		case strings.HasPrefix(c.addr, "output."):
			return 4
		}
		return 3
	}
	rw := &tfstateRewriter{byValue: map[string]string{}}
	for value, cs := range cands {
		isRepo := ecrRepoPattern.MatchString(value)
		if !strings.HasPrefix(value, "arn:") && !awsIDPattern.MatchString(value) && !isRepo {
			continue
		}
		sort.Slice(cs, func(i, j int) bool {
			if rank(cs[i]) != rank(cs[j]) {
				return rank(cs[i]) < rank(cs[j])
			}
			return cs[i].addr < cs[j].addr
		})
		rw.byValue[value] = cs[0].addr
		if isRepo {
			rw.repos = append(rw.repos, repoRef{value, cs[0].addr})
		}
	}
	sort.Slice(rw.repos, func(i, j int) bool { return len(rw.repos[i].url) > len(rw.repos[j].url) })
	return rw, nil
}

func (rw *tfstateRewriter) rewrite(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = rw.rewrite(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = rw.rewrite(x)
		}
		return out
	case string:
		if addr, ok := rw.byValue[t]; ok {
			return "@@tfstate(" + addr + ")@@"
		}
		for _, r := range rw.repos {
			// An image is the repository URL plus :tag or @digest.
			if rest, ok := strings.CutPrefix(t, r.url); ok && (strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, "@")) {
				return "@@tfstate(" + r.addr + ")@@" + rest
			}
		}
	}
	return v
}
