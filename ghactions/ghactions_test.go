package ghactions

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/doppio-ecs/doppio/mask"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestEnabled(t *testing.T) {
	cases := []struct {
		name   string
		getenv func(string) string
		want   bool
	}{
		{"plain shell", env(), false},
		{"runner", env("GITHUB_ACTIONS", "true"), true},
		{"runner false", env("GITHUB_ACTIONS", "false"), false},
		{"forced", env(ForceEnv, "github"), true},
		{"forced off on runner", env("GITHUB_ACTIONS", "true", ForceEnv, "none"), false},
	}
	for _, c := range cases {
		if got := Enabled(c.getenv); got != c.want {
			t.Errorf("%s: Enabled = %v, want %v", c.name, got, c.want)
		}
	}
	if on, err := Detect("github", env()); err != nil || !on {
		t.Errorf(`Detect("github") = %v, %v; want true, nil`, on, err)
	}
	if on, err := Detect("none", env("GITHUB_ACTIONS", "true")); err != nil || on {
		t.Errorf(`Detect("none") = %v, %v; want false, nil`, on, err)
	}
	if _, err := Detect("gitlab", env()); err == nil || !strings.Contains(err.Error(), "--ci") {
		t.Errorf(`Detect("gitlab") error = %v; want one naming --ci`, err)
	}
}

func TestAnnotation(t *testing.T) {
	cases := []struct {
		level     Level
		file      string
		line, col int
		msg       string
		want      string
	}{
		{LevelError, "svc/ecs-task-def.json", 12, 5, "unknown field \"imag\"", "::error file=svc/ecs-task-def.json,line=12,col=5::unknown field \"imag\"\n"},
		{LevelWarning, "a.yml", 3, 0, "w", "::warning file=a.yml,line=3::w\n"},
		{LevelNotice, "", 7, 2, "no file, so no position", "::notice::no file, so no position\n"},
		{LevelError, "dir,with:odd%name", 1, 1, "100% done\r\nnext: line, here", "::error file=dir%2Cwith%3Aodd%25name,line=1,col=1::100%25 done%0D%0Anext: line, here\n"},
		{"bogus", "", 0, 0, "x", "::error::x\n"},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		if err := Annotation(&buf, c.level, c.file, c.line, c.col, c.msg); err != nil {
			t.Fatal(err)
		}
		if buf.String() != c.want {
			t.Errorf("Annotation(%q, %q, %d, %d, %q)\n got %q\nwant %q", c.level, c.file, c.line, c.col, c.msg, buf.String(), c.want)
		}
	}
}

func TestGroupAndMask(t *testing.T) {
	var buf bytes.Buffer
	end := Group(&buf, "Register task definition\nfamily")
	buf.WriteString("inside\n")
	end()
	if err := AddMask(&buf, "s3cr%t\n\nline2"); err != nil {
		t.Fatal(err)
	}
	want := "::group::Register task definition%0Afamily\ninside\n::endgroup::\n::add-mask::s3cr%25t\n::add-mask::line2\n"
	if buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}
}

func TestSetOutput(t *testing.T) {
	defer func(f func() (string, error)) { newDelimiter = f }(newDelimiter)
	newDelimiter = func() (string, error) { return "ghadelimiter_TEST", nil }

	path := filepath.Join(t.TempDir(), "output")
	t.Setenv(OutputEnv, path)
	if err := SetOutput("outcome", "success"); err != nil {
		t.Fatal(err)
	}
	if err := SetOutput("diff", "-a\n+b"); err != nil {
		t.Fatal(err)
	}
	if err := SetOutput("bad=name", "x"); err == nil {
		t.Error("SetOutput accepted a name with '='")
	}
	if err := SetOutput("tricky", "x\nghadelimiter_TEST\ny"); err == nil {
		t.Error("SetOutput accepted a value holding its delimiter")
	}
	got := readFile(t, path)
	want := "outcome=success\ndiff<<ghadelimiter_TEST\n-a\n+b\nghadelimiter_TEST\n"
	if got != want {
		t.Errorf("output file\n got %q\nwant %q", got, want)
	}

	t.Setenv(OutputEnv, "")
	if err := SetOutput("outcome", "x"); err != nil {
		t.Errorf("SetOutput outside a runner: %v", err)
	}
}

func TestRandomDelimiter(t *testing.T) {
	a, err := newDelimiter()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newDelimiter()
	if a == b || !strings.HasPrefix(a, "ghadelimiter_") {
		t.Errorf("delimiters %q, %q: want distinct ghadelimiter_ values", a, b)
	}
}

func TestSummaryMarkdown(t *testing.T) {
	var m Markdown
	m.Heading(2, "doppio diff: web").
		Text("1 resource changed.").
		Details("Task definition <web>", CodeBlock("diff", "-\"image\": \"a\"\n+\"image\": \"b\"\n")).
		Table([]string{"Item", "Result", "Message"}, [][]string{
			{"Image[nginx:1]", "✅ OK"},
			{"Secret A|B", "❌ NG", "not found\nin region"},
		}).
		Code("json", "{\"a\": \"```\"}")
	want := "## doppio diff: web\n\n" +
		"1 resource changed.\n\n" +
		"<details><summary>Task definition &lt;web&gt;</summary>\n\n" +
		"```diff\n-\"image\": \"a\"\n+\"image\": \"b\"\n```\n\n</details>\n\n" +
		"| Item | Result | Message |\n| --- | --- | --- |\n" +
		"| Image[nginx:1] | ✅ OK |  |\n" +
		"| Secret A\\|B | ❌ NG | not found<br>in region |\n\n" +
		"````json\n{\"a\": \"```\"}\n````\n\n"
	if m.String() != want {
		t.Errorf("markdown\n got %q\nwant %q", m.String(), want)
	}

	path := filepath.Join(t.TempDir(), "summary.md")
	t.Setenv(SummaryEnv, path)
	if err := AppendSummary("first\n"); err != nil {
		t.Fatal(err)
	}
	if err := AppendSummary(DiffDetails("service web", "+x")); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, path)
	if want := "first\n<details><summary>service web</summary>\n\n```diff\n+x\n```\n\n</details>\n\n"; got != want {
		t.Errorf("summary file\n got %q\nwant %q", got, want)
	}
}

func TestSummaryLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.md")
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), SummaryLimit-1000), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := AppendSummaryTo(path, strings.Repeat("é", 2000)); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, path)
	if len(got) > SummaryLimit {
		t.Errorf("summary is %d bytes, over the %d limit", len(got), SummaryLimit)
	}
	if !strings.Contains(got, "doppio cut this summary") {
		t.Error("cut summary does not say it was cut")
	}
	if !strings.Contains(got, "é") || strings.Contains(got, "\uFFFD") {
		t.Error("cut summary split a UTF-8 character or kept none")
	}
	if err := AppendSummaryTo(path, strings.Repeat("y", 5000)); err == nil {
		t.Error("appending to a full summary did not fail")
	}
}

func TestStep(t *testing.T) {
	dir := t.TempDir()
	ws := filepath.Join(dir, "repo")
	var secrets mask.Set
	var out bytes.Buffer
	s, err := New(&out, env(
		"GITHUB_ACTIONS", "true",
		OutputEnv, filepath.Join(dir, "output"),
		SummaryEnv, filepath.Join(dir, "summary"),
		"GITHUB_WORKSPACE", ws,
	), "", &secrets)
	if err != nil {
		t.Fatal(err)
	}
	s.Dir = filepath.Join(ws, "services", "web") // as with working-directory: services/web
	secrets.Add("hunter22")                      // found while rendering, after New

	for range 2 { // the second call sends nothing new
		if err := s.MaskSecrets(); err != nil {
			t.Fatal(err)
		}
	}
	end := s.Group("verify")
	if err := s.Annotate(LevelError, "ecs-task-def.json", 4, 9, "secret hunter22 unreadable"); err != nil {
		t.Fatal(err)
	}
	if err := s.Annotate(LevelWarning, "/elsewhere/x.json", 1, 0, "outside the workspace"); err != nil {
		t.Fatal(err)
	}
	end()
	if err := s.SetOutput("outcome", "failed: hunter22"); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendSummary("token hunter22\n"); err != nil {
		t.Fatal(err)
	}

	wantOut := "::add-mask::hunter22\n::group::verify\n" +
		"::error file=services/web/ecs-task-def.json,line=4,col=9::secret ******** unreadable\n" +
		"::warning file=/elsewhere/x.json,line=1::outside the workspace\n::endgroup::\n"
	if out.String() != wantOut {
		t.Errorf("stdout\n got %q\nwant %q", out.String(), wantOut)
	}
	if got := readFile(t, filepath.Join(dir, "output")); got != "outcome=failed: ********\n" {
		t.Errorf("output file = %q", got)
	}
	if got := readFile(t, filepath.Join(dir, "summary")); got != "token ********\n" {
		t.Errorf("summary file = %q", got)
	}
}

func TestStepDisabled(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	s, err := New(&out, env(OutputEnv, filepath.Join(dir, "output"), SummaryEnv, filepath.Join(dir, "summary")), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var nilStep *Step
	for _, st := range []*Step{s, nilStep} {
		st.Group("x")()
		_ = st.Annotate(LevelError, "f", 1, 1, "m")
		_ = st.SetOutput("a", "b")
		_ = st.AppendSummary("c")
		_ = st.MaskSecrets()
	}
	if out.Len() != 0 {
		t.Errorf("disabled step wrote %q", out.String())
	}
	for _, f := range []string{"output", "summary"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("disabled step created %s", f)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAnnotateError(t *testing.T) {
	var out bytes.Buffer
	s := &Step{Enabled: true, Out: &out}
	errs := []error{
		errors.New(`render task definition: ecs-task-def.json:12:7: containerDefinitions[0]: unknown field "imag" (did you mean "image"?); ecs-task-def.json:30:3: cpu: want a string`),
		errors.New("load config: ecspresso.yml:4: YAML syntax error: mapping values are not allowed"),
		errors.New("services/web/ecs-task-def.jsonnet:3:5-10 Unknown variable: x"),
		errors.New("verify: image registry.example.com:5000/app:v2 not found"),
	}
	for _, err := range errs {
		if err := s.AnnotateError(err); err != nil {
			t.Fatal(err)
		}
	}
	want := "::error file=ecs-task-def.json,line=12,col=7::render task definition: ecs-task-def.json:12:7: containerDefinitions[0]: unknown field \"imag\" (did you mean \"image\"?)\n" +
		"::error file=ecs-task-def.json,line=30,col=3::ecs-task-def.json:30:3: cpu: want a string\n" +
		"::error file=ecspresso.yml,line=4::load config: ecspresso.yml:4: YAML syntax error: mapping values are not allowed\n" +
		"::error file=services/web/ecs-task-def.jsonnet,line=3,col=5::services/web/ecs-task-def.jsonnet:3:5-10 Unknown variable: x\n" +
		"::error::verify: image registry.example.com:5000/app:v2 not found\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

// External text cannot forge a workflow command on any of its lines.
func TestNeutralize(t *testing.T) {
	in := "ok line\n::error::forged\n  ::stop-commands::x\nmid ::notice:: fine\n##[set-output name=a;]b\n"
	got := Neutralize(in)
	for _, l := range strings.Split(got, "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, " \t"), "::") || strings.Contains(l, "##[") {
			t.Errorf("line still a command: %q", l)
		}
	}
	if strings.ReplaceAll(got, "\u200b", "") != in {
		t.Errorf("text changed beyond zero-width spaces: %q", got)
	}
	var b strings.Builder
	w := NeutralizingWriter(&b)
	for _, piece := range []string{"event: a\n::err", "or::x\n", "tail ::warning::y\n"} {
		if _, err := io.WriteString(w, piece); err != nil {
			t.Fatal(err)
		}
	}
	if want := "event: a\n\u200b::error::x\ntail ::warning::y\n"; b.String() != want {
		t.Errorf("writer: got %q, want %q", b.String(), want)
	}
}

// The runner ends a line at a lone "\r" too: what follows one is a line
// start, within one write and across writes.
func TestNeutralizeCarriageReturn(t *testing.T) {
	for in, want := range map[string]string{
		"a\r::error::x":             "a\r\u200b::error::x",
		"a\r\n::error::x\r  ::w::y": "a\r\n\u200b::error::x\r  \u200b::w::y",
		"a\r\r::error::x":           "a\r\r\u200b::error::x",
		"a\n\u00a0\u3000::error::x": "a\n\u00a0\u3000\u200b::error::x", // white space to the runner
	} {
		if got := Neutralize(in); got != want {
			t.Errorf("Neutralize(%q) = %q, want %q", in, got, want)
		}
	}
	var b strings.Builder
	w := NeutralizingWriter(&b)
	for _, piece := range []string{"progress 50%\r", "::error::x\n"} {
		if _, err := io.WriteString(w, piece); err != nil {
			t.Fatal(err)
		}
	}
	if want := "progress 50%\r\u200b::error::x\n"; b.String() != want {
		t.Errorf("writer: got %q, want %q", b.String(), want)
	}
}

// The summary is not read for commands, but a later step may print it:
// external text in it is neutralised as on stdout.
func TestStepSummaryNeutralized(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary")
	var out bytes.Buffer
	s, err := New(&out, env("GITHUB_ACTIONS", "true", SummaryEnv, path), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AppendSummary("```\nevent\n::error::forged\r::stop-commands::x\n```\n"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "```\nevent\n\u200b::error::forged\r\u200b::stop-commands::x\n```\n"; string(got) != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}
