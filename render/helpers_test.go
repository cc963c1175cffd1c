package render

import (
	"context"
	"fmt"
	"testing"

	"github.com/doppio-ecs/doppio/mask"
	"github.com/doppio-ecs/doppio/plugins"
)

// fakeFuncs stand in for the plugins: deterministic, no AWS, no files.
func fakeFuncs() []plugins.Func {
	lookup := func(prefix string) func(ctx context.Context, args []any) (any, error) {
		return func(ctx context.Context, args []any) (any, error) {
			if len(args) != 1 {
				return nil, fmt.Errorf("want 1 argument, got %d", len(args))
			}
			s, ok := args[0].(string)
			if !ok {
				return nil, fmt.Errorf("argument must be a string")
			}
			if s == "missing" {
				return nil, fmt.Errorf("%s %q not found", prefix, s)
			}
			return prefix + ":" + s, nil
		}
	}
	return []plugins.Func{
		{Name: "tfstate", Params: []string{"address"}, Call: lookup("tf")},
		{Name: "ssm", Params: []string{"name"}, Call: lookup("ssm")},
		{Name: "tfstatef", Call: func(ctx context.Context, args []any) (any, error) {
			if len(args) == 0 {
				return nil, fmt.Errorf("tfstatef: needs a format")
			}
			return "tf:" + fmt.Sprintf(args[0].(string), args[1:]...), nil
		}},
		{Name: "obj", Params: []string{"x"}, Native: func(ctx context.Context, args []any) (any, error) {
			return map[string]any{"id": args[0], "n": 3}, nil
		}, Call: func(ctx context.Context, args []any) (any, error) { return `{"id":"x"}`, nil }},
	}
}

func testProject(t *testing.T, configPath string, opts Options) *Project {
	t.Helper()
	cfg, err := LoadConfig(context.Background(), configPath, opts.ExtStr, opts.ExtCode)
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	return NewProject(cfg, nil, fakeFuncs(), &mask.Set{}, opts)
}
