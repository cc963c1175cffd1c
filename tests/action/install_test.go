// Package action_test runs action/install.sh against a fake release served on
// 127.0.0.1, and checks action.yml, the example workflows and .goreleaser.yaml.
package action_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// repoRoot is where action.yml lives, from this package's directory.
const repoRoot = "../.."

var platforms = []struct{ os, arch string }{
	{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"},
}

// fakeRelease serves <base>/latest, <base>/tag/v<ver> and
// <base>/download/v<ver>/{archives,checksums.txt} like GitHub releases do.
type fakeRelease struct {
	srv    *httptest.Server
	files  map[string][]byte // path under /releases/download/ → body
	latest string

	mu       sync.Mutex
	requests []string
}

func newFakeRelease(t *testing.T, latest string, versions ...string) *fakeRelease {
	t.Helper()
	f := &fakeRelease{files: map[string][]byte{}, latest: latest}
	for _, v := range versions {
		var sums strings.Builder
		for _, p := range platforms {
			for _, build := range []string{"doppio", "doppio-full"} {
				name := fmt.Sprintf("%s_%s_%s_%s.tar.gz", build, v, p.os, p.arch)
				body := archive(t, fmt.Sprintf("#!/bin/sh\necho \"%s v%s %s/%s\"\n", build, v, p.os, p.arch))
				f.files["v"+v+"/"+name] = body
				sum := sha256.Sum256(body)
				fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), name)
			}
		}
		f.files["v"+v+"/checksums.txt"] = []byte(sums.String())
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRelease) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.URL.Path)
	f.mu.Unlock()
	switch p := r.URL.Path; {
	case p == "/releases/latest" && f.latest != "":
		http.Redirect(w, r, "/releases/tag/v"+f.latest, http.StatusFound)
	case strings.HasPrefix(p, "/releases/tag/"):
		fmt.Fprintln(w, "<html>release page</html>")
	case strings.HasPrefix(p, "/releases/download/"):
		body, ok := f.file(strings.TrimPrefix(p, "/releases/download/"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	default:
		http.NotFound(w, r)
	}
}

// file and setFile guard files: tests tamper with a release between runs
// while the server goroutines read it.
func (f *fakeRelease) file(name string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.files[name]
	return b, ok
}

func (f *fakeRelease) setFile(name string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[name] = body
}

func (f *fakeRelease) base() string { return f.srv.URL + "/releases" }

func (f *fakeRelease) downloads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, p := range f.requests {
		if strings.HasPrefix(p, "/releases/download/") {
			n++
		}
	}
	return n
}

// archive builds a tar.gz holding one executable file named doppio.
func archive(t *testing.T, script string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: "doppio", Mode: 0o755, Size: int64(len(script)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte(script))
	for _, extra := range []string{"LICENSE", "README.md"} {
		tw.WriteHeader(&tar.Header{Name: extra, Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
		tw.Write([]byte("x"))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// runner is one simulated runner: its tool cache and file-command files.
type runner struct {
	dir, cache, pathFile, outputFile string
}

func newRunner(t *testing.T) *runner {
	dir := t.TempDir()
	return &runner{
		dir:        dir,
		cache:      filepath.Join(dir, "toolcache"),
		pathFile:   filepath.Join(dir, "github_path"),
		outputFile: filepath.Join(dir, "github_output"),
	}
}

type result struct {
	err            error
	stdout, stderr string
}

// install runs install.sh with a clean environment (no proxies, no real
// runner variables) plus extra KEY=VALUE pairs, from dir.
func (rn *runner) install(t *testing.T, base string, extra ...string) result {
	t.Helper()
	requireTools(t)
	script, err := filepath.Abs(filepath.Join(repoRoot, "action", "install.sh"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", script)
	cmd.Dir = rn.dir
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + rn.dir,
		"TMPDIR=" + rn.dir,
		"RUNNER_TOOL_CACHE=" + rn.cache,
		"GITHUB_PATH=" + rn.pathFile,
		"GITHUB_OUTPUT=" + rn.outputFile,
		"DOPPIO_DOWNLOAD_BASE_URL=" + base,
		"DOPPIO_UNAME_S=Linux",
		"DOPPIO_UNAME_M=x86_64",
	}, extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	return result{err: err, stdout: stdout.String(), stderr: stderr.String()}
}

func (rn *runner) read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func mustSucceed(t *testing.T, r result) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("install.sh failed: %v\nstdout:\n%s\nstderr:\n%s", r.err, r.stdout, r.stderr)
	}
}

func mustFail(t *testing.T, r result, wantStderr string) {
	t.Helper()
	if r.err == nil {
		t.Fatalf("install.sh succeeded, want a failure saying %q\nstderr:\n%s", wantStderr, r.stderr)
	}
	if !strings.Contains(r.stderr, wantStderr) {
		t.Fatalf("install.sh stderr does not say %q:\n%s", wantStderr, r.stderr)
	}
}

func TestInstallPicksBinaryForOSAndArch(t *testing.T) {
	rel := newFakeRelease(t, "1.3.0", "1.2.3", "1.3.0")
	cases := []struct{ unameS, unameM, want string }{
		{"Linux", "x86_64", "linux/amd64"},
		{"Linux", "aarch64", "linux/arm64"},
		{"Darwin", "x86_64", "darwin/amd64"},
		{"Darwin", "arm64", "darwin/arm64"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			rn := newRunner(t)
			r := rn.install(t, rel.base(), "INPUT_VERSION=v1.2.3", "DOPPIO_UNAME_S="+c.unameS, "DOPPIO_UNAME_M="+c.unameM)
			mustSucceed(t, r)
			arch := strings.Split(c.want, "/")[1]
			dir := filepath.Join(rn.cache, "doppio", "1.2.3", arch)
			// The installed binary is the fake's shell script naming its platform,
			// and install.sh ran it once as `doppio version`.
			if want := "doppio v1.2.3 " + c.want + "\n"; r.stdout != want {
				t.Errorf("doppio version printed %q, want %q", r.stdout, want)
			}
			if got := rn.read(t, rn.pathFile); got != dir+"\n" {
				t.Errorf("GITHUB_PATH = %q, want %q", got, dir+"\n")
			}
			if got, want := rn.read(t, rn.outputFile), "version=1.2.3\npath="+dir+"/doppio\n"; got != want {
				t.Errorf("GITHUB_OUTPUT = %q, want %q", got, want)
			}
			if _, err := os.Stat(dir + ".complete"); err != nil {
				t.Errorf("tool cache marker missing: %v", err)
			}
		})
	}
}

// build: full installs the archive with every tfstate backend, cached apart
// from the default build of the same version.
func TestInstallFullBuild(t *testing.T) {
	rel := newFakeRelease(t, "1.2.3", "1.2.3")
	rn := newRunner(t)
	r := rn.install(t, rel.base(), "INPUT_VERSION=1.2.3", "INPUT_BUILD=full")
	mustSucceed(t, r)
	if !strings.Contains(r.stdout, "doppio-full v1.2.3 linux/amd64") {
		t.Fatalf("installed binary says %q, want the full build", r.stdout)
	}
	r = rn.install(t, rel.base(), "INPUT_VERSION=1.2.3")
	mustSucceed(t, r)
	if !strings.Contains(r.stdout, "doppio v1.2.3 linux/amd64") || strings.Contains(r.stdout, "doppio-full") {
		t.Fatalf("the default build after the full one says %q", r.stdout)
	}
	mustFail(t, rn.install(t, rel.base(), "INPUT_VERSION=1.2.3", "INPUT_BUILD=huge"), `build "huge" is neither default nor full`)
}

func TestInstallUnsupportedPlatform(t *testing.T) {
	rel := newFakeRelease(t, "1.2.3", "1.2.3")
	mustFail(t, newRunner(t).install(t, rel.base(), "DOPPIO_UNAME_S=MINGW64_NT-10.0"), `unsupported operating system "MINGW64_NT-10.0"`)
	mustFail(t, newRunner(t).install(t, rel.base(), "DOPPIO_UNAME_M=riscv64"), `unsupported architecture "riscv64"`)
	if n := rel.downloads(); n != 0 {
		t.Errorf("%d downloads for an unsupported platform, want 0", n)
	}
}

func TestInstallLatest(t *testing.T) {
	rel := newFakeRelease(t, "1.3.0", "1.2.3", "1.3.0")
	for _, input := range []string{"INPUT_VERSION=latest", "INPUT_VERSION="} {
		rn := newRunner(t)
		r := rn.install(t, rel.base(), input)
		mustSucceed(t, r)
		if r.stdout != "doppio v1.3.0 linux/amd64\n" {
			t.Errorf("%s: installed %q, want 1.3.0", input, r.stdout)
		}
		if !strings.Contains(r.stderr, "latest release is v1.3.0") {
			t.Errorf("%s: log does not name the resolved release:\n%s", input, r.stderr)
		}
	}
}

func TestInstallVersionFile(t *testing.T) {
	rel := newFakeRelease(t, "1.3.0", "1.2.3", "1.3.0")
	files := map[string]string{
		".doppio-version": "v1.2.3\n",
		"plain-version":   "# pinned for the deploy workflow\n\n1.2.3",
		".tool-versions":  "nodejs 20.1.0\ndoppio 1.2.3 # deploys\ngolang 1.26\n",
	}
	for name, content := range files {
		t.Run(name, func(t *testing.T) {
			rn := newRunner(t)
			if err := os.WriteFile(filepath.Join(rn.dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			// version-file wins over version, as the input description says.
			r := rn.install(t, rel.base(), "INPUT_VERSION=latest", "INPUT_VERSION_FILE="+name)
			mustSucceed(t, r)
			if r.stdout != "doppio v1.2.3 linux/amd64\n" {
				t.Errorf("installed %q, want 1.2.3 from %s", r.stdout, name)
			}
		})
	}
	rn := newRunner(t)
	mustFail(t, rn.install(t, rel.base(), "INPUT_VERSION_FILE=missing.txt"), `version-file "missing.txt" not found`)
	os.WriteFile(filepath.Join(rn.dir, "empty"), []byte("# nothing\n"), 0o644)
	mustFail(t, rn.install(t, rel.base(), "INPUT_VERSION_FILE=empty"), `version-file "empty" holds no version`)
}

func TestInstallRefusesChecksumMismatch(t *testing.T) {
	rel := newFakeRelease(t, "", "6.6.6")
	name := "doppio_6.6.6_linux_amd64.tar.gz"
	good, _ := rel.file("v6.6.6/" + name)
	rel.setFile("v6.6.6/"+name, append(append([]byte(nil), good...), 0)) // tampered after checksumming

	rn := newRunner(t)
	r := rn.install(t, rel.base(), "INPUT_VERSION=6.6.6", "GITHUB_ACTIONS=true")
	mustFail(t, r, "checksum mismatch for "+name)
	if !strings.Contains(r.stderr, "Refusing to install") {
		t.Errorf("stderr does not say the install was refused:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "::error title=doppio install::checksum mismatch for "+name) {
		t.Errorf("no GitHub annotation for the mismatch:\n%s", r.stderr)
	}
	dir := filepath.Join(rn.cache, "doppio", "6.6.6", "amd64")
	for _, p := range []string{dir + "/doppio", dir + ".complete"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists after a refused install", p)
		}
	}
	if got := rn.read(t, rn.pathFile); got != "" {
		t.Errorf("GITHUB_PATH written after a refused install: %q", got)
	}

	// A release whose checksums file lacks the archive is refused too.
	rel.setFile("v6.6.6/checksums.txt", []byte("0000  doppio_6.6.6_darwin_arm64.tar.gz\n"))
	mustFail(t, newRunner(t).install(t, rel.base(), "INPUT_VERSION=6.6.6"), "checksums.txt has no entry for "+name)
}

func TestInstallMissingRelease(t *testing.T) {
	rel := newFakeRelease(t, "", "1.2.3")
	mustFail(t, newRunner(t).install(t, rel.base(), "INPUT_VERSION=9.9.9"), "download of "+rel.base()+"/download/v9.9.9/doppio_9.9.9_linux_amd64.tar.gz failed")
	mustFail(t, newRunner(t).install(t, rel.base(), "INPUT_VERSION=latest"), "cannot resolve the latest release")
	mustFail(t, newRunner(t).install(t, rel.base(), "INPUT_VERSION=main"), `version "main" is neither a release`)
}

func TestInstallReusesToolCache(t *testing.T) {
	rel := newFakeRelease(t, "", "1.2.3")
	rn := newRunner(t)
	mustSucceed(t, rn.install(t, rel.base(), "INPUT_VERSION=1.2.3"))
	first := rel.downloads()
	if first != 2 {
		t.Fatalf("first install made %d downloads, want 2 (archive and checksums)", first)
	}
	r := rn.install(t, rel.base(), "INPUT_VERSION=v1.2.3")
	mustSucceed(t, r)
	if n := rel.downloads(); n != first {
		t.Errorf("second install downloaded again (%d requests, want %d)", n, first)
	}
	if !strings.Contains(r.stderr, "found in the tool cache") {
		t.Errorf("second install does not say it used the cache:\n%s", r.stderr)
	}
	if r.stdout != "doppio v1.2.3 linux/amd64\n" {
		t.Errorf("cached binary printed %q", r.stdout)
	}

	// An interrupted install (binary without the marker) is not trusted.
	dir := filepath.Join(rn.cache, "doppio", "1.2.3", "amd64")
	os.Remove(dir + ".complete")
	mustSucceed(t, rn.install(t, rel.base(), "INPUT_VERSION=1.2.3"))
	if n := rel.downloads(); n != first+2 {
		t.Errorf("install without the cache marker made %d downloads in all, want %d", n, first+2)
	}
}

func TestInstallCommitUsesGoInstall(t *testing.T) {
	rn := newRunner(t)
	// A stand-in go records its arguments and "builds" a doppio into GOBIN.
	bin := filepath.Join(rn.dir, "bin")
	os.Mkdir(bin, 0o755)
	argsFile := filepath.Join(rn.dir, "go-args")
	fakeGo := "#!/bin/sh\necho \"$@\" > " + argsFile + "\nprintf '#!/bin/sh\\necho built-from-source\\n' > \"$GOBIN/doppio\"\nchmod +x \"$GOBIN/doppio\"\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	sha := "0123456789abcdef0123456789abcdef01234567"
	r := rn.install(t, "http://127.0.0.1:1/unused", "INPUT_VERSION="+sha, "PATH="+bin+":"+os.Getenv("PATH"))
	mustSucceed(t, r)
	if r.stdout != "built-from-source\n" {
		t.Errorf("installed binary printed %q", r.stdout)
	}
	got := rn.read(t, argsFile)
	if want := "install -ldflags -X main.version=" + sha + " github.com/doppio-ecs/doppio/cmd/doppio@" + sha + "\n"; got != want {
		t.Errorf("go was called with %q, want %q", got, want)
	}
	if dir := filepath.Join(rn.cache, "doppio", sha, "amd64"); rn.read(t, rn.pathFile) != dir+"\n" {
		t.Errorf("GITHUB_PATH = %q, want %s", rn.read(t, rn.pathFile), dir)
	}

	// Without go on PATH the error says what to add.
	noGo := t.TempDir()
	for _, tool := range []string{"bash", "uname", "mktemp", "rm", "cat"} {
		if p, err := exec.LookPath(tool); err == nil {
			os.Symlink(p, filepath.Join(noGo, tool))
		}
	}
	mustFail(t, newRunner(t).install(t, "http://127.0.0.1:1/unused", "INPUT_VERSION=abcdef1", "PATH="+noGo), "go is not installed (add actions/setup-go")
}

// macOS runners have shasum but no sha256sum.
func TestInstallVerifiesWithShasum(t *testing.T) {
	if _, err := exec.LookPath("shasum"); err != nil {
		t.Skip("shasum not installed here")
	}
	bin := t.TempDir()
	for _, tool := range []string{"bash", "mktemp", "rm", "curl", "awk", "cut", "tar", "gzip", "mkdir", "mv", "chmod", "touch", "shasum", "perl", "env", "sh"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s not installed here", tool)
		}
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	rel := newFakeRelease(t, "", "1.2.3")
	rn := newRunner(t)
	mustSucceed(t, rn.install(t, rel.base(), "INPUT_VERSION=1.2.3", "DOPPIO_UNAME_S=Darwin", "DOPPIO_UNAME_M=arm64", "PATH="+bin))

	name := "doppio_1.2.3_darwin_arm64.tar.gz"
	good, _ := rel.file("v1.2.3/" + name)
	rel.setFile("v1.2.3/"+name, append(append([]byte(nil), good...), 0))
	mustFail(t, newRunner(t).install(t, rel.base(), "INPUT_VERSION=1.2.3", "DOPPIO_UNAME_S=Darwin", "DOPPIO_UNAME_M=arm64", "PATH="+bin), "checksum mismatch for "+name)
}

// requireTools skips, naming what is missing, where install.sh's own
// prerequisites (which every GitHub-hosted runner has) are not installed.
func requireTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"bash", "curl", "tar", "awk"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("install.sh NOT tested: %s is not installed (apt-get install %s)", tool, tool)
		}
	}
}
