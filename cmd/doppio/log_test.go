package main

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

func TestLineHandler(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	var buf bytes.Buffer
	setupLogging(&buf, "text", false)
	slog.Debug("hidden at info level")
	slog.With("service", "web").WithGroup("td").Info("registered task definition", "family", "web", "note", "two words")
	slog.Warn("empty value", "v", "")
	want := regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[INFO\] registered task definition service=web td\.family=web td\.note="two words"
\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[WARN\] empty value v=""
$`)
	if !want.MatchString(buf.String()) {
		t.Fatalf("log output:\n%s", buf.String())
	}

	buf.Reset()
	setupLogging(&buf, "text", true)
	slog.Debug("shown with --debug")
	if !bytes.Contains(buf.Bytes(), []byte("[DEBUG] shown with --debug")) {
		t.Fatalf("debug line missing:\n%s", buf.String())
	}
}

// On GitHub Actions, log records go through the stream that neutralises
// workflow commands: a message or value from AWS cannot forge one, even
// after a lone "\r" (a line end to the runner).
func TestLogRecordsNeutralizedOnGitHub(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	t.Setenv("GITHUB_ACTIONS", "true")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"version"}, &out, &errOut); code != 0 {
		t.Fatalf("version: exit %d: %s", code, errOut.String())
	}
	errOut.Reset()
	slog.Warn("moved tag check: AWS said\n::error::forged", "error", "x\r::warning::forged")
	for _, line := range strings.FieldsFunc(errOut.String(), func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.HasPrefix(strings.TrimSpace(line), "::") {
			t.Errorf("log line is a workflow command: %q (all: %q)", line, errOut.String())
		}
	}
	if !strings.Contains(errOut.String(), "forged") {
		t.Fatalf("log record not written to the run's stderr: %q", errOut.String())
	}
}

// A record logged with a service's context (one of several in a run) names
// it as the progress lines do: a prefix in text, cluster and service in JSON.
func TestLogRecordsNameTheirService(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	ctx := withLogScope(context.Background(), "demo", "web")
	var buf bytes.Buffer
	setupLogging(&buf, "text", false)
	slog.WarnContext(ctx, "moved tag check: no access", "image", "app:latest")
	slog.WarnContext(context.Background(), "no service")
	if !regexp.MustCompile(`\[WARN\] demo/web: moved tag check: no access image=app:latest\n.*\[WARN\] no service\n$`).MatchString(buf.String()) {
		t.Errorf("text:\n%s", buf.String())
	}
	buf.Reset()
	setupLogging(&buf, "json", false)
	slog.With("k", "v").WarnContext(ctx, "moved tag check: no access")
	if !strings.Contains(buf.String(), `"msg":"moved tag check: no access","k":"v","cluster":"demo","service":"web"}`) {
		t.Errorf("json:\n%s", buf.String())
	}
}
