package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-jsonnet"
	"github.com/google/go-jsonnet/ast"

	template "github.com/doppio-ecs/doppio/internal/third_party/texttemplate"
	"github.com/doppio-ecs/doppio/plugins"
)

// envValue implements ecspresso's `env`: the first non-empty variable among
// the arguments, else the last argument itself. So `env "X" "dflt"` gives
// "dflt" and `env "X"` gives "X" when X is unset (kept for compatibility).
func envValue(names ...string) (string, error) {
	if len(names) == 0 {
		return "", fmt.Errorf("env: needs a variable name")
	}
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v, nil
		}
	}
	return names[len(names)-1], nil
}

// mustEnv returns the variable's value (empty allowed). ecspresso panics on
// an unset variable; doppio returns an error the caller places in its file.
func mustEnv(name string) (string, error) {
	v, ok := os.LookupEnv(name)
	if !ok {
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	return v, nil
}

func jsonEscape(s string) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	return string(b[1 : len(b)-1]), nil
}

// baseFuncs are the functions available everywhere, the config included.
func baseFuncs() template.FuncMap {
	return template.FuncMap{
		"env":         envValue,
		"must_env":    mustEnv,
		"json_escape": jsonEscape,
	}
}

// templateFuncs adds the plugin lookups, bound to ctx.
func templateFuncs(ctx context.Context, funcs []plugins.Func) template.FuncMap {
	fm := baseFuncs()
	for _, f := range funcs {
		call := f.Call
		fm[f.Name] = func(args ...any) (any, error) { return call(ctx, args) }
	}
	return fm
}

// renderTemplate runs text/template over src. Errors name the file and the
// template's line:column.
func renderTemplate(name string, src []byte, funcs template.FuncMap) (out []byte, err error) {
	// A lookup function that panics must not crash the process.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%s: template function failed: %v", name, r)
		}
	}()
	tmpl, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(string(src))
	if err != nil {
		return nil, templateError(name, err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, nil); err != nil {
		return nil, templateError(name, err)
	}
	return buf.Bytes(), nil
}

// templateError reshapes "template: NAME:3:15: executing ..." into
// "NAME:3:15: template: ..." so every doppio message starts with the file.
func templateError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "template: ")
	if rest, ok := strings.CutPrefix(msg, name+":"); ok {
		// rest is "3:15: executing \"NAME\" at <...>: error calling ..."
		loc, detail, found := strings.Cut(rest, ": ")
		if found {
			detail = strings.Replace(detail, fmt.Sprintf("executing %q at ", name), "at ", 1)
			return fmt.Errorf("%s:%s: template: %s", name, loc, oneLine(detail))
		}
	}
	return fmt.Errorf("%s: template: %s", name, oneLine(msg))
}

// newVM builds a Jsonnet VM with ext vars and native functions. Imports
// resolve relative to the importing file (go-jsonnet's default importer).
func newVM(extStr, extCode map[string]string, natives []*jsonnet.NativeFunction) *jsonnet.VM {
	vm := jsonnet.MakeVM()
	vm.MaxStack = MaxJsonnetStack
	vm.Importer(boundedImporter{inner: &jsonnet.FileImporter{}})
	vm.ErrorFormatter.SetMaxStackTraceSize(3)
	for k, v := range extStr {
		vm.ExtVar(k, v)
	}
	for k, v := range extCode {
		vm.ExtCode(k, v)
	}
	for _, n := range baseNatives() {
		vm.NativeFunction(n)
	}
	for _, n := range natives {
		vm.NativeFunction(n)
	}
	return vm
}

func baseNatives() []*jsonnet.NativeFunction {
	return []*jsonnet.NativeFunction{
		{
			Name:   "env",
			Params: ast.Identifiers{"name", "default"},
			Func: func(args []any) (any, error) {
				name, ok := args[0].(string)
				if !ok {
					return nil, fmt.Errorf("env: name must be a string, got %s", jsonKind(args[0]))
				}
				if v := os.Getenv(name); v != "" {
					return v, nil
				}
				return args[1], nil
			},
		},
		{
			Name:   "must_env",
			Params: ast.Identifiers{"name"},
			Func: func(args []any) (any, error) {
				name, ok := args[0].(string)
				if !ok {
					return nil, fmt.Errorf("must_env: name must be a string, got %s", jsonKind(args[0]))
				}
				v, err := mustEnv(name)
				if err != nil {
					return nil, fmt.Errorf("must_env: %w", err)
				}
				return v, nil
			},
		},
	}
}

// pluginNatives exposes lookups to Jsonnet through std.native. Functions
// without Params (tfstatef) are template-only: Jsonnet has std.format.
func pluginNatives(ctx context.Context, funcs []plugins.Func) []*jsonnet.NativeFunction {
	var out []*jsonnet.NativeFunction
	for _, f := range funcs {
		if f.Params == nil {
			out = append(out, templateOnlyNative(f.Name))
			continue
		}
		call := f.Native
		if call == nil {
			call = f.Call
		}
		name := f.Name
		out = append(out, &jsonnet.NativeFunction{
			Name:   name,
			Params: identifiers(f.Params),
			Func: func(args []any) (res any, err error) {
				defer func() {
					if r := recover(); r != nil {
						res, err = nil, fmt.Errorf("%s: %v", name, r)
					}
				}()
				v, err := call(ctx, args)
				if err != nil {
					return nil, err
				}
				return jsonnetValue(v)
			},
		})
	}
	return out
}

// jsonnetValue converts a Go value into the plain JSON types go-jsonnet
// accepts from natives.
func jsonnetValue(v any) (any, error) {
	switch v.(type) {
	case nil, string, bool, float64:
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// jsonnetError folds go-jsonnet's multi-line report (message plus stack)
// into one paragraph that starts with the file, like every other message.
func jsonnetError(name string, err error) error {
	var be *boundsError
	if errors.As(err, &be) {
		return err
	}
	return fmt.Errorf("%s: jsonnet: %s", name, oneLine(err.Error()))
}

func identifiers(names []string) ast.Identifiers {
	ids := make(ast.Identifiers, len(names))
	for i, n := range names {
		ids[i] = ast.Identifier(n)
	}
	return ids
}

// templateOnlyNative answers a Jsonnet call of a template-only function with
// a hint instead of Jsonnet's "expected function, got null".
func templateOnlyNative(name string) *jsonnet.NativeFunction {
	return &jsonnet.NativeFunction{
		Name:   name,
		Params: ast.Identifiers{"format"},
		Func: func(args []any) (any, error) {
			return nil, fmt.Errorf("%s is a template function only; in Jsonnet format the argument yourself (std.format or %%)", name)
		},
	}
}
