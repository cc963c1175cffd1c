package template

import (
	"strings"
	"testing"
	"time"
)

// The copy keeps the template language doppio's files use: functions,
// pipelines, conditions, ranges over maps in key order, map keys and fields.
func TestLanguageWithoutMethods(t *testing.T) {
	funcs := FuncMap{"must_env": func(s string) string { return "v-" + s }}
	tmpl := Must(New("t").Funcs(funcs).Option("missingkey=error").Parse(
		`{{ must_env "X" | printf "%q" }} {{ if eq 1 1 }}yes{{ end }} {{ range $k, $v := .M }}{{ $k }}={{ $v }},{{ end }} {{ .S.Name }}`))
	var b strings.Builder
	data := map[string]any{"M": map[string]int{"b": 2, "a": 1}, "S": struct{ Name string }{"web"}}
	if err := tmpl.Execute(&b, data); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), `"v-X" yes a=1,b=2, web`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// A method of the data is not called: the linker could not drop unused
// methods otherwise. The error says so.
func TestMethodCallIsAnError(t *testing.T) {
	tmpl := Must(New("t").Parse(`{{ .Unix }}`))
	var b strings.Builder
	err := tmpl.Execute(&b, time.Unix(5, 0))
	if err == nil || !strings.Contains(err.Error(), "can't evaluate field Unix") || !strings.Contains(err.Error(), "templates cannot call methods") {
		t.Fatalf("err = %v, want a field error that mentions methods", err)
	}
}
