package main

import (
	"io"
	"log/slog"
)

// setupLogging makes slog's default logger write to w (already masked, so
// secret values never reach the logs, debug included).
func setupLogging(w io.Writer, format string, debug bool) {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	slog.SetDefault(slog.New(h))
}
