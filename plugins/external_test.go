package plugins

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// script writes an executable sh script and returns its path.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cmd.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func loadExternalSet(t *testing.T, prefix string, cfg map[string]any) *Set {
	t.Helper()
	s, err := Load(context.Background(), []Spec{{Name: "external", Config: cfg, FuncPrefix: prefix}}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func lines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

func TestExternalExecJSON(t *testing.T) {
	count := filepath.Join(t.TempDir(), "count")
	cmd := script(t, `echo run >> "`+count+`"
printf '{"id":"%s-%s","n":1}' "$1" "$2"
`)
	s := loadExternalSet(t, "my_", map[string]any{"name": "lookup", "command": []any{cmd}, "num_args": float64(2)})
	f := findFunc(t, s, "my_lookup")
	if len(f.Params) != 2 {
		t.Errorf("Params = %v, want 2 (num_args)", f.Params)
	}
	ctx := context.Background()
	got, err := f.Call(ctx, []any{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if got != `{"id":"a-b","n":1}` {
		t.Errorf("template result = %v", got)
	}
	native, err := f.Native(ctx, []any{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"id": "a-b", "n": float64(1)}; !reflect.DeepEqual(native, want) {
		t.Errorf("native result = %#v, want %#v", native, want)
	}
	if n := lines(t, count); n != 1 {
		t.Errorf("the command ran %d times for one argument list, want 1 (cached per run)", n)
	}
	if _, err := f.Call(ctx, []any{"c", "d"}); err != nil {
		t.Fatal(err)
	}
	if n := lines(t, count); n != 2 {
		t.Errorf("the command ran %d times for two argument lists, want 2", n)
	}
}

func TestExternalExecString(t *testing.T) {
	cmd := script(t, `printf 'plain %s' "$1"`)
	s := loadExternalSet(t, "", map[string]any{"name": "word", "command": []any{cmd}, "parser": "string"})
	got, err := findFunc(t, s, "word").Call(context.Background(), []any{"text"})
	if err != nil || got != "plain text" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestExternalExecFailures(t *testing.T) {
	ctx := context.Background()
	fail := script(t, `echo "no such key $1" >&2; exit 3`)
	s := loadExternalSet(t, "", map[string]any{"name": "f", "command": []any{fail}})
	_, err := findFunc(t, s, "f").Call(ctx, []any{"k1"})
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "no such key k1") {
		t.Errorf("failing command: err = %v", err)
	}

	notJSON := script(t, `echo hello`)
	s = loadExternalSet(t, "", map[string]any{"name": "f", "command": []any{notJSON}})
	if _, err := findFunc(t, s, "f").Call(ctx, nil); err == nil || !strings.Contains(err.Error(), "parser: string") {
		t.Errorf("non-JSON stdout: err = %v", err)
	}

	slow := script(t, `exec sleep 30`)
	s = loadExternalSet(t, "", map[string]any{"name": "f", "command": []any{slow}, "timeout": "100ms"})
	if _, err := findFunc(t, s, "f").Call(ctx, nil); err == nil || !strings.Contains(err.Error(), "within 100ms") {
		t.Errorf("slow command: err = %v", err)
	}
}

func TestExternalConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  map[string]any
		want string
	}{
		{map[string]any{"command": []any{"x"}}, "config.name"},
		{map[string]any{"name": "f"}, "config.command"},
		{map[string]any{"name": "f", "command": []any{"x"}, "parser": "yaml"}, "config.parser"},
		{map[string]any{"name": "f", "command": []any{"x"}, "mode": "grpc"}, "config.mode"},
		{map[string]any{"name": "f", "command": []any{"x"}, "timeout": "soon"}, "config.timeout"},
		{map[string]any{"name": "f", "command": []any{"x"}, "num_args": "two"}, "num_args"},
		{map[string]any{"name": "f", "command": []any{"x"}, "comand": "y"}, "config.comand: unknown key"},
	} {
		_, err := Load(context.Background(), []Spec{{Name: "external", Config: c.cfg}}, Env{})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "plugins[0]") {
			t.Errorf("config %v: err = %v, want it to name plugins[0] and %q", c.cfg, err, c.want)
		}
	}
}

// rpcServer answers each request with "value-of-<first param>"; every start
// of the process adds a line to starts.
func rpcServer(t *testing.T, starts, idExpr string) string {
	return script(t, `echo start >> "`+starts+`"
while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
  p=$(printf '%s' "$line" | sed -n 's/.*"params":\["\([^"]*\)".*/\1/p')
  case "$p" in
    bad) printf '{"jsonrpc":"2.0","id":%s,"error":{"code":-32000,"message":"no value for bad"}}\n' "$id" ;;
    *) printf '{"jsonrpc":"2.0","id":%s,"result":"value-of-%s"}\n' `+idExpr+` "$p" ;;
  esac
done
`)
}

func TestExternalJSONRPC(t *testing.T) {
	starts := filepath.Join(t.TempDir(), "starts")
	s := loadExternalSet(t, "", map[string]any{"name": "secret", "command": []any{rpcServer(t, starts, `"$id"`)}, "mode": "jsonrpc", "num_args": 1})
	f := findFunc(t, s, "secret")
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c"} {
		got, err := f.Call(ctx, []any{k})
		if err != nil || got != "value-of-"+k {
			t.Fatalf("call %s: %v, %v", k, got, err)
		}
	}
	if n := lines(t, starts); n != 1 {
		t.Errorf("the server started %d times for three calls, want once", n)
	}
	if _, err := f.Call(ctx, []any{"bad"}); err == nil || !strings.Contains(err.Error(), "no value for bad") || !strings.Contains(err.Error(), "-32000") {
		t.Errorf("error response: err = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestExternalJSONRPCWrongID(t *testing.T) {
	starts := filepath.Join(t.TempDir(), "starts")
	s := loadExternalSet(t, "", map[string]any{"name": "secret", "command": []any{rpcServer(t, starts, "999")}, "mode": "jsonrpc"})
	f := findFunc(t, s, "secret")
	for _, k := range []string{"a", "b"} {
		if _, err := f.Call(context.Background(), []any{k}); err == nil || !strings.Contains(err.Error(), "answered id 999 to request id 1") {
			t.Errorf("call %s: err = %v", k, err)
		}
	}
	// A stream out of step is not trusted again: each call got a fresh process.
	if n := lines(t, starts); n != 2 {
		t.Errorf("server starts = %d, want 2", n)
	}
}
