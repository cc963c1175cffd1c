// Package ghactions writes GitHub Actions' CI-native output: workflow
// commands (annotations, groups, masks), which doppio writes to stderr so
// that stdout stays data, and the step's file
// commands ($GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY).
//
// The formats follow GitHub's documented workflow-command syntax; the escaping
// matches what the runner un-escapes, so a message or file name holding ':',
// ',' or a newline survives the round trip.
package ghactions

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ForceEnv names the variable that turns GitHub output on outside GitHub
// Actions (what `--ci github` sets), e.g. to preview a step summary locally.
const ForceEnv = "DOPPIO_CI"

// Enabled reports whether GitHub output is wanted: GITHUB_ACTIONS=true (set by
// every runner) or DOPPIO_CI=github. DOPPIO_CI=none turns it off even on a
// runner, for a step whose stdout is consumed by another program.
func Enabled(getenv func(string) string) bool {
	switch strings.ToLower(strings.TrimSpace(getenv(ForceEnv))) {
	case "github":
		return true
	case "none", "off", "false":
		return false
	}
	return getenv("GITHUB_ACTIONS") == "true"
}

// Detect resolves the `--ci` flag: "github" forces GitHub output, "none"
// disables it, "" or "auto" looks at the environment as Enabled does.
func Detect(ci string, getenv func(string) string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(ci)) {
	case "", "auto":
		return Enabled(getenv), nil
	case "github":
		return true, nil
	case "none":
		return false, nil
	}
	return false, fmt.Errorf("--ci %q: unknown CI system (want auto, github or none)", ci)
}

// Level is an annotation's severity.
type Level string

const (
	LevelError   Level = "error"
	LevelWarning Level = "warning"
	LevelNotice  Level = "notice"
)

// Annotation writes `::level file=F,line=L,col=C::msg`. Empty file, and line or
// col below 1, are left out (GitHub then shows the annotation on the run, not on
// a file). Unknown levels are written as errors rather than dropped.
func Annotation(w io.Writer, level Level, file string, line, col int, msg string) error {
	return TitledAnnotation(w, level, "", file, line, col, msg)
}

// TitledAnnotation is Annotation with a title (`title=T`), the bold first
// line GitHub shows for the annotation; "" leaves it out.
func TitledAnnotation(w io.Writer, level Level, title, file string, line, col int, msg string) error {
	switch level {
	case LevelError, LevelWarning, LevelNotice:
	default:
		level = LevelError
	}
	var props []string
	if file != "" {
		props = append(props, "file="+escapeProperty(file))
		if line > 0 {
			props = append(props, "line="+strconv.Itoa(line))
			if col > 0 {
				props = append(props, "col="+strconv.Itoa(col))
			}
		}
	}
	if title != "" {
		props = append(props, "title="+escapeProperty(title))
	}
	return command(w, string(level), props, msg)
}

// Group opens a collapsible `::group::` in the log; call the returned function
// to close it. Groups do not nest on GitHub, so callers open one per phase.
func Group(w io.Writer, title string) (end func()) {
	_ = command(w, "group", nil, title)
	return func() { _ = command(w, "endgroup", nil, "") }
}

// AddMask asks the runner to hide value in every later log line. A multi-line
// value is registered line by line, because the runner masks per log line.
func AddMask(w io.Writer, value string) error {
	for _, line := range strings.Split(strings.ReplaceAll(value, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if err := command(w, "add-mask", nil, line); err != nil {
			return err
		}
	}
	return nil
}

func command(w io.Writer, name string, props []string, msg string) error {
	var b strings.Builder
	b.WriteString("::")
	b.WriteString(name)
	if len(props) > 0 {
		b.WriteByte(' ')
		b.WriteString(strings.Join(props, ","))
	}
	b.WriteString("::")
	b.WriteString(escapeData(msg))
	b.WriteByte('\n')
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write workflow command %s: %w", name, err)
	}
	return nil
}

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func escapeData(s string) string     { return dataEscaper.Replace(s) }
func escapeProperty(s string) string { return propertyEscaper.Replace(s) }
