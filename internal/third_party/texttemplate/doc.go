// Package template is Go 1.26's text/template with one change: a template
// cannot call a method of its data (`.Name` with a method Name), only read
// fields and map keys and call the functions it is given.
//
// Looking a method up by a name known only at run time
// (reflect.Value.MethodByName) makes the Go linker keep every exported
// method of every type a program converts to an interface. For doppio that
// is every operation of every AWS SDK client it links, whether used or not:
// about two thirds of the binary (docs/performance.md). doppio's templates
// (ecspresso-compatible config and definition files) execute with nil data
// and only call functions (env, must_env, tfstate, ssm, ...), so the language
// they see is unchanged. See README.md for how to update the copy.
package template
