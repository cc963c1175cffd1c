package action_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// actionMetadata is the part of action.yml the runner reads.
type actionMetadata struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Author      string `yaml:"author"`
	Branding    struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
	Inputs map[string]struct {
		Description string  `yaml:"description"`
		Required    bool    `yaml:"required"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			ID               string            `yaml:"id"`
			If               string            `yaml:"if"`
			Shell            string            `yaml:"shell"`
			Run              string            `yaml:"run"`
			Uses             string            `yaml:"uses"`
			WorkingDirectory string            `yaml:"working-directory"`
			Env              map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

func readAction(t *testing.T) (actionMetadata, string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var md actionMetadata
	if err := yaml.UnmarshalWithOptions(raw, &md, yaml.Strict()); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return md, string(raw)
}

func keys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestActionMetadata checks what actionlint cannot: action.yml is not a
// workflow, and actionlint only reads its inputs and outputs.
func TestActionMetadata(t *testing.T) {
	md, raw := readAction(t)
	if md.Name == "" || md.Description == "" {
		t.Error("action.yml needs a name and a description (the Marketplace requires both)")
	}
	if got, want := keys(md.Inputs), []string{"args", "build", "version", "version-file", "working-directory"}; !slices.Equal(got, want) {
		t.Errorf("inputs = %v, want %v", got, want)
	}
	for name, in := range md.Inputs {
		if in.Description == "" || in.Default == nil {
			t.Errorf("input %s: needs a description and a default", name)
		}
	}
	if d := md.Inputs["version"].Default; d == nil || *d != "latest" {
		t.Errorf("input version defaults to %v, want latest", d)
	}
	if got, want := keys(md.Outputs), []string{"deployment-id", "exit-code", "has-diff", "outcome", "task-arn", "task-definition-arn", "version"}; !slices.Equal(got, want) {
		t.Errorf("outputs = %v, want %v", got, want)
	}
	if md.Runs.Using != "composite" {
		t.Fatalf("runs.using = %q, want composite", md.Runs.Using)
	}

	ids := map[string]bool{}
	for i, st := range md.Runs.Steps {
		if st.ID != "" {
			ids[st.ID] = true
		}
		if st.Run != "" && st.Shell == "" {
			t.Errorf("step %d (%s): a composite run step needs shell", i, st.ID)
		}
		// Expressions spliced into a script are a shell-injection hole; values
		// go through env instead.
		if strings.Contains(st.Run, "${{") {
			t.Errorf("step %d (%s): run holds a ${{ }} expression; pass it through env", i, st.ID)
		}
	}
	outputRef := regexp.MustCompile(`^\$\{\{ steps\.([a-z-]+)\.outputs\.([a-z-]+) \}\}$`)
	for name, out := range md.Outputs {
		m := outputRef.FindStringSubmatch(out.Value)
		if m == nil {
			t.Errorf("output %s: value %q is not ${{ steps.ID.outputs.NAME }}", name, out.Value)
			continue
		}
		if !ids[m[1]] {
			t.Errorf("output %s: refers to unknown step %q", name, m[1])
		}
		if m[2] != name {
			t.Errorf("output %s: maps step output %q; the names must match what doppio writes", name, m[2])
		}
	}
	for _, m := range regexp.MustCompile(`inputs\.([a-zA-Z0-9_-]+)`).FindAllStringSubmatch(raw, -1) {
		if _, ok := md.Inputs[m[1]]; !ok {
			t.Errorf("action.yml refers to undeclared input %q", m[1])
		}
	}
	for _, st := range md.Runs.Steps {
		if m := regexp.MustCompile(`"\$GITHUB_ACTION_PATH/([^"]+)"`).FindStringSubmatch(st.Run); m != nil {
			if _, err := os.Stat(filepath.Join(repoRoot, m[1])); err != nil {
				t.Errorf("step %s runs %s, which does not exist: %v", st.ID, m[1], err)
			}
		}
	}
}

// TestGoreleaserMatchesInstaller keeps the release layout and install.sh in
// step: the archive and checksum names, the platforms, the version stamp.
func TestGoreleaserMatchesInstaller(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Version     int    `yaml:"version"`
		ProjectName string `yaml:"project_name"`
		Builds      []struct {
			ID      string   `yaml:"id"`
			Main    string   `yaml:"main"`
			Binary  string   `yaml:"binary"`
			Env     []string `yaml:"env"`
			Goos    []string `yaml:"goos"`
			Goarch  []string `yaml:"goarch"`
			Tags    []string `yaml:"tags"`
			Ldflags []string `yaml:"ldflags"`
		} `yaml:"builds"`
		Archives []struct {
			IDs             []string `yaml:"ids"`
			Formats         []string `yaml:"formats"`
			NameTemplate    string   `yaml:"name_template"`
			WrapInDirectory bool     `yaml:"wrap_in_directory"`
		} `yaml:"archives"`
		Checksum struct {
			NameTemplate string `yaml:"name_template"`
			Algorithm    string `yaml:"algorithm"`
		} `yaml:"checksum"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	// Two builds: the default without the GCS, Azure and Terraform Cloud
	// state backends and the compose converter, doppio-full with them (install.sh's INPUT_BUILD=full).
	if cfg.Version != 2 || cfg.ProjectName != "doppio" || len(cfg.Builds) != 2 || len(cfg.Archives) != 2 {
		t.Fatalf(".goreleaser.yaml: want version 2, project doppio, two builds and two archives; got %+v", cfg)
	}
	wantTags := map[string][]string{"doppio": {"no_gcs", "no_azurerm", "no_tfe", "no_compose"}, "doppio-full": nil}
	for _, b := range cfg.Builds {
		if tags, ok := wantTags[b.ID]; !ok || !slices.Equal(b.Tags, tags) {
			t.Errorf("build %q has tags %v", b.ID, b.Tags)
		}
		if b.Main != "./cmd/doppio" || b.Binary != "doppio" {
			t.Errorf("build %s main/binary = %s/%s", b.ID, b.Main, b.Binary)
		}
		if !slices.Contains(b.Env, "CGO_ENABLED=0") {
			t.Errorf("build %s env %v lacks CGO_ENABLED=0", b.ID, b.Env)
		}
		if !slices.Equal(b.Goos, []string{"linux", "darwin", "windows"}) || !slices.Equal(b.Goarch, []string{"amd64", "arm64"}) {
			t.Errorf("build %s platforms = %v × %v", b.ID, b.Goos, b.Goarch)
		}
		if !strings.Contains(strings.Join(b.Ldflags, " "), "-X main.version={{.Version}}") {
			t.Errorf("build %s ldflags %v do not stamp main.version", b.ID, b.Ldflags)
		}
	}
	script, err := os.ReadFile(filepath.Join(repoRoot, "action", "install.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.Archives {
		if a.WrapInDirectory || !slices.Equal(a.Formats, []string{"tar.gz"}) || len(a.IDs) != 1 {
			t.Errorf("archive %v: formats %v, wrap %v; install.sh wants a flat tar.gz of one build", a.IDs, a.Formats, a.WrapInDirectory)
			continue
		}
		// The name goreleaser gives linux/arm64 1.2.3 must be the one install.sh asks for.
		name := strings.NewReplacer("{{ .ProjectName }}", "doppio", "{{ .Version }}", "1.2.3", "{{ .Os }}", "linux", "{{ .Arch }}", "arm64").
			Replace(a.NameTemplate) + ".tar.gz"
		installName := strings.NewReplacer("${project}", a.IDs[0], "${version}", "1.2.3", "${os}", "linux", "${arch}", "arm64").
			Replace(regexp.MustCompile(`archive="([^"]+)"`).FindStringSubmatch(string(script))[1])
		if name != installName {
			t.Errorf("goreleaser names the %s archive %q, install.sh downloads %q", a.IDs[0], name, installName)
		}
	}
	if cfg.Checksum.NameTemplate != "checksums.txt" || cfg.Checksum.Algorithm != "sha256" {
		t.Errorf("checksum = %+v, install.sh wants sha256 checksums.txt", cfg.Checksum)
	}
}

// pinnedActionlint reads the version `make lint` uses, so the test and the
// Makefile cannot drift apart.
func pinnedActionlint(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ACTIONLINT_VERSION \?= (v[0-9.]+)$`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("Makefile: no ACTIONLINT_VERSION ?= vX.Y.Z line")
	}
	return string(m[1])
}

func TestWorkflowsPassActionlint(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips building actionlint")
	}
	version := pinnedActionlint(t)
	gobin := t.TempDir()
	install := exec.Command("go", "install", "github.com/rhysd/actionlint/cmd/actionlint@"+version)
	install.Env = append(os.Environ(), "GOBIN="+gobin)
	if out, err := install.CombinedOutput(); err != nil {
		// Only the tool's availability is excused (no module proxy offline);
		// lint findings below always fail.
		t.Skipf("cannot build actionlint %s (offline?), workflows NOT linted: %v\n%s", version, err, out)
	}
	actionlint := filepath.Join(gobin, "actionlint")

	run := func(dir string, files ...string) (string, error) {
		cmd := exec.Command(actionlint, append([]string{"-no-color"}, files...)...)
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}

	examples, err := filepath.Glob(filepath.Join(repoRoot, "examples", "github-actions", "*.yml"))
	if err != nil || len(examples) < 4 {
		t.Fatalf("want at least 4 example workflows, found %v (%v)", examples, err)
	}
	for _, wf := range examples {
		if out, err := run(".", wf); err != nil {
			t.Errorf("actionlint %s: %v\n%s", wf, err, out)
		}
	}

	// actionlint reads a local action's metadata only inside a project (a .git
	// and .github/workflows), so lay one out with this action.yml in it.
	proj := t.TempDir()
	for _, d := range []string{".git", ".github/workflows"} {
		if err := os.MkdirAll(filepath.Join(proj, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, filepath.Join(repoRoot, "action.yml"), filepath.Join(proj, "action.yml"))
	copyFile(t, filepath.Join("testdata", "uses-action.yml"), filepath.Join(proj, ".github", "workflows", "uses-action.yml"))
	if out, err := run(proj, ".github/workflows/uses-action.yml"); err != nil {
		t.Errorf("actionlint on a workflow using action.yml: %v\n%s", err, out)
	}
	copyFile(t, filepath.Join("testdata", "bad-input.yml"), filepath.Join(proj, ".github", "workflows", "bad-input.yml"))
	out, err := run(proj, ".github/workflows/bad-input.yml")
	if err == nil || !strings.Contains(out, `input "no-such-input" is not defined`) {
		t.Errorf("actionlint did not check inputs against action.yml (err %v):\n%s", err, out)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
