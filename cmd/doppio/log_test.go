package main

import (
	"bytes"
	"log/slog"
	"regexp"
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
