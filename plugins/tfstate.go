package plugins

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/fujiwara/tfstate-lookup/tfstate"
)

// state is one Terraform state read once, with the results of its lookups.
type state struct {
	where string // how errors name it: `path "x.tfstate"` or `url "s3://b/k"`
	tf    stateLookup

	// Each lookup costs a prefix search and a jq query (and, for a lazy
	// state, decoding the resources involved); definitions repeat addresses
	// a lot, so results are kept per address.
	mu    sync.RWMutex
	found map[string]any
}

var tfstateConfigKeys = []string{"path", "url", "optional"}

func loadTFState(ctx context.Context, spec Spec, label string, l *loadState) (*plugin, error) {
	st, err := l.readState(ctx, spec, label)
	if err != nil {
		return nil, err
	}
	tfName := spec.FuncPrefix + "tfstate"
	tffName := spec.FuncPrefix + "tfstatef"
	return &plugin{name: spec.Name, label: label, funcs: []Func{
		{
			Name:   tfName,
			Params: []string{"address"},
			Call: func(_ context.Context, args []any) (any, error) {
				v, err := st.lookupArgs(tfName, args)
				if err != nil {
					return nil, err
				}
				return (&tfstate.Object{Value: v}).String(), nil
			},
			Native: func(_ context.Context, args []any) (any, error) {
				return st.lookupArgs(tfName, args)
			},
		},
		{
			Name: tffName,
			Call: func(_ context.Context, args []any) (any, error) {
				if len(args) < 1 {
					return nil, fmt.Errorf("%s: expects FORMAT ARGS..., got no arguments", tffName)
				}
				format, err := stringArg(tffName, "FORMAT", args[0])
				if err != nil {
					return nil, err
				}
				addr := fmt.Sprintf(format, args[1:]...)
				v, err := st.lookup(tffName, addr)
				if err != nil {
					return nil, err
				}
				return (&tfstate.Object{Value: v}).String(), nil
			},
		},
	}}, nil
}

func (st *state) lookupArgs(fn string, args []any) (any, error) {
	if err := arity(fn, "ADDRESS", args, 1, 1); err != nil {
		return nil, err
	}
	addr, err := stringArg(fn, "ADDRESS", args[0])
	if err != nil {
		return nil, err
	}
	return st.lookup(fn, addr)
}

func (st *state) lookup(fn, addr string) (any, error) {
	// Templates cannot hold double quotes inside a string argument easily,
	// so ecspresso lets `'` stand for `"` (for_each keys: aws_x.y['a']).
	addr = strings.ReplaceAll(addr, "'", `"`)
	st.mu.RLock()
	v, ok := st.found[addr]
	st.mu.RUnlock()
	if ok {
		return v, nil
	}
	obj, err := st.tf.Lookup(addr)
	if err != nil {
		return nil, fmt.Errorf("%s: look up %q in the terraform state %s: %w", fn, addr, st.where, err)
	}
	if obj == nil || obj.Value == nil {
		return nil, fmt.Errorf("%s: %q is not found in the terraform state %s%s", fn, addr, st.where, st.suggest(addr))
	}
	st.mu.Lock()
	st.found[addr] = obj.Value
	st.mu.Unlock()
	return obj.Value, nil
}

// suggest names the resource the address probably meant, or says the
// resource exists but the attribute does not.
func (st *state) suggest(addr string) string {
	names, err := st.tf.List()
	if err != nil || len(names) == 0 {
		return " (the state has no resources or outputs)"
	}
	var parent string
	for _, n := range names {
		if len(n) > len(parent) && strings.HasPrefix(addr, n) && len(addr) > len(n) && (addr[len(n)] == '.' || addr[len(n)] == '[') {
			parent = n
		}
	}
	if parent != "" {
		return fmt.Sprintf(" (%s exists, but not the attribute %s)", parent, strings.TrimPrefix(addr[len(parent):], "."))
	}
	best, bestDist := "", -1
	for _, n := range names {
		cand := addr
		if len(cand) > len(n) { // compare the resource part only
			cand = cand[:len(n)]
		}
		if d := levenshtein(cand, n); bestDist < 0 || d < bestDist {
			best, bestDist = n, d
		}
	}
	if bestDist >= 0 && bestDist <= max(2, len(best)/4) {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	return ""
}

func (l *loadState) readState(ctx context.Context, spec Spec, label string) (*state, error) {
	cfg := spec.Config
	for k := range cfg {
		if !slices.Contains(tfstateConfigKeys, k) {
			return nil, fmt.Errorf("%s: config.%s: unknown key (known keys: %s)", label, k, strings.Join(tfstateConfigKeys, ", "))
		}
	}
	path, err := configString(cfg, "path", label)
	if err != nil {
		return nil, err
	}
	loc, err := configString(cfg, "url", label)
	if err != nil {
		return nil, err
	}
	optional := false
	if v, ok := cfg["optional"]; ok && v != nil {
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("%s: config.optional: expected true or false, got %T (%v)", label, v, v)
		}
		optional = b
	}

	var key, where string
	var read func() (stateLookup, error)
	switch {
	case path != "" && loc != "":
		return nil, fmt.Errorf("%s: config has both path and url; keep one", label)
	case path != "":
		file := path
		if !filepath.IsAbs(file) {
			file = filepath.Join(l.env.BaseDir, file)
		}
		abs, err := filepath.Abs(file)
		if err != nil {
			return nil, fmt.Errorf("%s: config.path %q: %w", label, path, err)
		}
		key, where = "file:"+abs, fmt.Sprintf("path %q", path)
		read = func() (stateLookup, error) { return readStateFile(ctx, file) }
	case loc != "":
		u, err := url.Parse(loc)
		if err != nil {
			return nil, fmt.Errorf("%s: config.url %q: %w", label, loc, err)
		}
		key, where = "url:"+loc, fmt.Sprintf("url %q", loc)
		switch u.Scheme {
		case "s3":
			read = func() (stateLookup, error) { return l.readS3State(ctx, u) }
		case "file":
			read = func() (stateLookup, error) { return readStateFile(ctx, u.Path) }
		default:
			read = func() (stateLookup, error) { return tfstate.ReadURL(ctx, loc) }
		}
	default:
		return nil, fmt.Errorf("%s: config needs path (a state file relative to the config) or url (s3://, https://, gs://, azurerm://, remote://, file://)", label)
	}

	if st, ok := l.states[key]; ok {
		return st, nil
	}
	start := time.Now()
	tf, err := read()
	err = explainLeftOutBackend(err)
	if err != nil {
		if !optional {
			return nil, fmt.Errorf("%s: read terraform state from %s: %w", label, where, err)
		}
		slog.WarnContext(ctx, "terraform state is unreadable; continuing with an empty state because optional is true",
			"plugin", label, "state", where, "error", err)
		tf = tfstate.Empty()
	} else {
		slog.Debug("read terraform state", "plugin", label, "state", where, "duration", time.Since(start))
	}
	st := &state{where: where, tf: tf, found: map[string]any{}}
	l.states[key] = st
	return st, nil
}

// readS3State reads the object with doppio's own S3 client so that
// --assume-role-arn and AWS_ENDPOINT_URL_S3 apply.
func (l *loadState) readS3State(ctx context.Context, u *url.URL) (stateLookup, error) {
	if l.env.Clients == nil || l.env.Clients.S3 == nil {
		return nil, errors.New("no AWS client available for s3://")
	}
	bucket, key := u.Host, strings.TrimPrefix(u.Path, "/")
	if bucket == "" || key == "" {
		return nil, fmt.Errorf("s3 url must look like s3://BUCKET/KEY")
	}
	out, err := l.env.Clients.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get s3 object: %w", err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("read s3 object: %w", err)
	}
	if ls, err := parseLazy(ctx, data); err == nil {
		return ls, nil
	}
	return tfstate.Read(ctx, bytes.NewReader(data))
}

// readStateFile indexes a local state lazily, or lets tfstate-lookup read it
// (workspaces, backend pointers, its error messages) when it is not a plain
// version 4 state.
func readStateFile(ctx context.Context, file string) (stateLookup, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if ls, err := parseLazy(ctx, data); err == nil {
		return ls, nil
	}
	return tfstate.ReadFile(ctx, file)
}

func configString(cfg map[string]any, key, label string) (string, error) {
	v, ok := cfg[key]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: config.%s: expected a string, got %T (%v)", label, key, v, v)
	}
	return s, nil
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// explainLeftOutBackend names the way out when a state needs a backend this
// build of tfstate-lookup leaves out (the no_gcs, no_azurerm and no_tfe build
// tags; see docs/performance.md).
func explainLeftOutBackend(err error) error {
	if err == nil || !strings.Contains(err.Error(), "not available (built with no_") {
		return err
	}
	return fmt.Errorf("%w: this doppio build leaves out the GCS (gs://), Azure (azurerm://) and Terraform Cloud (remote://) state backends; "+
		"install the doppio-full release archive (the GitHub action: build: full) or `go install github.com/doppio-ecs/doppio/cmd/doppio`, which have them", err)
}
