package plugins

import (
	"context"

	"github.com/google/go-jsonnet"
	"github.com/google/go-jsonnet/ast"

	template "github.com/doppio-ecs/doppio/internal/third_party/texttemplate"
)

// TemplateFuncs wraps every function for text/template. Lookups run with
// ctx, because template functions cannot take one.
func (s *Set) TemplateFuncs(ctx context.Context) template.FuncMap {
	fm := template.FuncMap{}
	for _, f := range s.Funcs() {
		call := f.Call
		fm[f.Name] = func(args ...any) (any, error) { return call(ctx, args) }
	}
	return fm
}

// JsonnetNatives wraps every function that has Params as a go-jsonnet native
// function (std.native('tfstate')('aws_x.y.id')), using Native where a
// function has one so that tfstate gives Jsonnet objects, not JSON text.
func (s *Set) JsonnetNatives(ctx context.Context) []*jsonnet.NativeFunction {
	var natives []*jsonnet.NativeFunction
	for _, f := range s.Funcs() {
		if f.Params == nil {
			continue
		}
		call := f.Call
		if f.Native != nil {
			call = f.Native
		}
		params := make(ast.Identifiers, len(f.Params))
		for i, p := range f.Params {
			params[i] = ast.Identifier(p)
		}
		natives = append(natives, &jsonnet.NativeFunction{
			Name:   f.Name,
			Params: params,
			Func:   func(args []any) (any, error) { return call(ctx, args) },
		})
	}
	return natives
}
