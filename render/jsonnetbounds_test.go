package render

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// evalJsonnetFile evaluates src as a .jsonnet definition in dir, as the project
// would, through a config file's VM.
func evalJsonnetFile(t *testing.T, dir, name, src string) error {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	vm := newVM(nil, nil, nil)
	_, err := evaluateJsonnet(context.Background(), vm, path, src)
	if err != nil {
		return jsonnetError(path, err)
	}
	return nil
}

// Sources nested deeper than go-jsonnet's recursive parser takes would end
// the process with a Go stack overflow (not recoverable): they are refused
// first, with the file named, and imports are checked the same way.
func TestJsonnetNestingIsBounded(t *testing.T) {
	dir := t.TempDir()
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	cases := map[string]struct{ src, want string }{
		"brackets": {deep, "td.jsonnet: jsonnet: brackets nested more than 1000 levels deep"},
		"locals":   {strings.Repeat("local a = 1; ", 200000) + "a", "td.jsonnet: jsonnet: more than 10000 local, if, function and assert expressions"},
		"import":   {`{x: import 'deep.libsonnet'}`, "deep.libsonnet: jsonnet: brackets nested more than 1000 levels deep"},
		"stack":    {`local f(n) = if n == 0 then 0 else 1 + f(n - 1); {x: f(100000)}`, "td.jsonnet: jsonnet: RUNTIME ERROR: max stack frames exceeded"},
	}
	if err := os.WriteFile(filepath.Join(dir, "deep.libsonnet"), []byte(deep), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := evalJsonnetFile(t, dir, "td.jsonnet", c.src)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want %q, got %v", c.want, err)
			}
		})
	}
}

// What strings, text blocks and comments hold is not code: it never counts.
func TestJsonnetNestingSkipsStringsAndComments(t *testing.T) {
	many := strings.Repeat("[({ local if ", 3000)
	src := "// " + many + "\n# " + many + "\n/* " + many + " */\n{\n" +
		`  a: "` + many + `\" [[",` + "\n" +
		`  b: '` + many + `',` + "\n" +
		`  c: @"` + many + `"" [[",` + "\n" +
		"  d: |||\n    " + many + "\n  |||,\n" +
		"  e: [[[1]]],\n}\n"
	if err := checkJsonnetSource("ok.jsonnet", []byte(src)); err != nil {
		t.Fatal(err)
	}
	if err := evalJsonnetFile(t, t.TempDir(), "ok.jsonnet", src); err != nil {
		t.Fatalf("the source is valid Jsonnet: %v", err)
	}
}

func TestJsonnetTimeLimit(t *testing.T) {
	prev := JsonnetTimeLimit
	JsonnetTimeLimit = 50 * time.Millisecond
	defer func() { JsonnetTimeLimit = prev }()
	err := evalJsonnetFile(t, t.TempDir(), "slow.jsonnet", `{x: std.foldl(function(a, b) a + b, std.range(1, 1000000000), 0)}`)
	if err == nil || !strings.Contains(err.Error(), "slow.jsonnet: jsonnet: evaluation did not finish within 50ms (DOPPIO_JSONNET_TIMEOUT)") {
		t.Fatalf("want the time limit naming the file, got %v", err)
	}
}
