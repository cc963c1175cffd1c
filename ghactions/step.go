package ghactions

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/doppio-ecs/doppio/mask"
)

// Step is the GitHub output of one doppio run. Commands hold one and call it
// unconditionally: every method is a no-op on a nil or disabled Step, so the
// plain-text path needs no `if github` branches.
type Step struct {
	Enabled bool
	// Out receives workflow commands: the raw stderr (the runner reads
	// commands from both streams; stdout stays data), not a mask.Writer:
	// ::add-mask:: has to carry the secret itself.
	Out         io.Writer
	OutputPath  string // $GITHUB_OUTPUT
	SummaryPath string // $GITHUB_STEP_SUMMARY
	// Workspace ($GITHUB_WORKSPACE) and Dir (the working directory) turn file
	// names into the repository-relative paths annotations need to show on a
	// pull request's files, also when the action ran in a working-directory.
	Workspace string
	Dir       string
	// Secrets are masked in annotations, outputs and the summary. The set may
	// grow after New (rendering finds secrets), so it is read at write time.
	Secrets *mask.Set
	// Title is the title of annotations that bring none ("doppio deploy").
	Title string

	masked map[string]bool // secrets already sent with ::add-mask::
	warned map[string]bool // step files we already warned we cannot write
}

// New builds the Step for a run from the `--ci` flag value and the environment.
// A bad flag value is the only error.
func New(out io.Writer, getenv func(string) string, ci string, secrets *mask.Set) (*Step, error) {
	on, err := Detect(ci, getenv)
	if err != nil {
		return nil, err
	}
	dir, _ := os.Getwd()
	return &Step{
		Enabled:     on,
		Out:         out,
		OutputPath:  getenv(OutputEnv),
		SummaryPath: getenv(SummaryEnv),
		Workspace:   getenv("GITHUB_WORKSPACE"),
		Dir:         dir,
		Secrets:     secrets,
	}, nil
}

func (s *Step) on() bool { return s != nil && s.Enabled && s.Out != nil }

// Annotate writes an annotation for file:line:col (zero values omitted),
// titled s.Title.
func (s *Step) Annotate(level Level, file string, line, col int, msg string) error {
	if !s.on() {
		return nil
	}
	return s.AnnotateTitled(level, s.Title, file, line, col, msg)
}

// AnnotateTitled writes an annotation with its own title.
func (s *Step) AnnotateTitled(level Level, title, file string, line, col int, msg string) error {
	if !s.on() {
		return nil
	}
	return TitledAnnotation(s.Out, level, s.Secrets.String(title), s.relPath(file), line, col, s.Secrets.String(msg))
}

// Group opens a log group; the returned function closes it (no-op when off).
func (s *Step) Group(title string) (end func()) {
	if !s.on() {
		return func() {}
	}
	return Group(s.Out, s.Secrets.String(title))
}

// MaskSecrets registers every secret of the run with the runner, so that even
// output doppio does not control (a child process, a panic trace) is hidden.
// Call it again after more secrets are found; each is sent once.
func (s *Step) MaskSecrets() error {
	if !s.on() {
		return nil
	}
	for _, v := range s.Secrets.Values() {
		if s.masked[v] {
			continue
		}
		if err := AddMask(s.Out, v); err != nil {
			return err
		}
		if s.masked == nil {
			s.masked = map[string]bool{}
		}
		s.masked[v] = true
	}
	return nil
}

// SetOutput writes a step output (masked). A step output file that cannot be
// written is a warning annotation, not an error: the command's own outcome
// (a completed deploy, diff's exit 2) must not turn into a failure because
// of its report.
func (s *Step) SetOutput(name, value string) error {
	if !s.on() {
		return nil
	}
	s.warnUnwritable(OutputEnv, SetOutputTo(s.OutputPath, name, s.Secrets.String(value)))
	return nil
}

// AppendSummary appends markdown to the step summary (masked); like
// SetOutput, a write failure only warns.
func (s *Step) AppendSummary(markdown string) error {
	if !s.on() {
		return nil
	}
	// Not read for commands by the runner, but a later step may print it.
	s.warnUnwritable(SummaryEnv, AppendSummaryTo(s.SummaryPath, Neutralize(s.Secrets.String(markdown))))
	return nil
}

// warnUnwritable annotates a step file write failure once per file.
func (s *Step) warnUnwritable(env string, err error) {
	if err == nil || s.warned[env] {
		return
	}
	if s.warned == nil {
		s.warned = map[string]bool{}
	}
	s.warned[env] = true
	_ = s.Annotate(LevelWarning, "", 0, 0, fmt.Sprintf("doppio could not write $%s (%v); the command's result is unaffected", env, err))
}

func (s *Step) relPath(file string) string {
	if file == "" || s.Workspace == "" {
		return file
	}
	abs := file
	if !filepath.IsAbs(abs) {
		if s.Dir == "" {
			return file
		}
		abs = filepath.Join(s.Dir, file)
	}
	rel, err := filepath.Rel(s.Workspace, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return file
	}
	return filepath.ToSlash(rel)
}

// AnnotateError turns a command's error into error annotations. doppio's
// config and definition errors name their place as FILE:LINE:COL (several
// joined by "; " when a file has more than one problem); each such part is
// annotated on its file, and an error naming no place gets one annotation on
// the run.
func (s *Step) AnnotateError(err error) error {
	if !s.on() || err == nil {
		return nil
	}
	msg := err.Error()
	parts := strings.Split(msg, "; ")
	locs := make([]Location, len(parts))
	found := 0
	for i, p := range parts {
		if loc, ok := FindLocation(p); ok {
			locs[i] = loc
			found++
		}
	}
	if found == 0 {
		return s.Annotate(LevelError, "", 0, 0, msg)
	}
	var last Location
	for i, p := range parts {
		loc := locs[i]
		if loc.File == "" {
			loc = last // a part without a place belongs to the previous one
		}
		last = loc
		if err := s.Annotate(LevelError, loc.File, loc.Line, loc.Col, p); err != nil {
			return err
		}
	}
	return nil
}

// Location is a place in a file, as annotations take it.
type Location struct {
	File      string
	Line, Col int
}

// FILE:LINE[:COL] as doppio, go-jsonnet (which adds "-ENDCOL") and YAML
// parsers print it. Only the extensions of config and definition files count,
// so a registry host:port in an image name is not taken for a place.
var locationRE = regexp.MustCompile(`([^\s:;,()"']+\.(?:json|jsonnet|libsonnet|yml|yaml|env)):(\d+)(?::(\d+))?`)

// leadingLocationRE is FILE:LINE[:COL] at the start of a message, where
// doppio puts the file: the name may hold spaces, commas and colons, so
// each ".ext:LINE" end is tried, shortest first, against the file system.
var leadingLocationRE = regexp.MustCompile(`\.(?:json|jsonnet|libsonnet|yml|yaml|env):(\d+)(?::(\d+))?`)

// FindLocation returns the first FILE:LINE[:COL] in msg: an existing file
// named at its start (whatever characters its name holds), else the first
// name without spaces, colons or commas followed by :LINE.
func FindLocation(msg string) (Location, bool) {
	for _, ix := range leadingLocationRE.FindAllStringSubmatchIndex(msg, -1) {
		file := msg[:ix[2]-1] // up to the ':' before LINE
		if st, err := os.Stat(file); err != nil || st.IsDir() {
			continue
		}
		loc := Location{File: file}
		loc.Line, _ = strconv.Atoi(msg[ix[2]:ix[3]])
		if ix[4] >= 0 {
			loc.Col, _ = strconv.Atoi(msg[ix[4]:ix[5]])
		}
		return loc, true
	}
	m := locationRE.FindStringSubmatch(msg)
	if m == nil {
		return Location{}, false
	}
	loc := Location{File: m[1]}
	loc.Line, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		loc.Col, _ = strconv.Atoi(m[3])
	}
	return loc, true
}
