package main

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
)

// setupLogging makes slog's default logger write to w (already masked, so
// secret values never reach the logs, debug included).
func setupLogging(w io.Writer, format string, debug bool) {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	var h slog.Handler
	if format == "json" {
		h = scopedJSON{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})}
	} else {
		h = &lineHandler{mu: &sync.Mutex{}, w: w, level: level}
	}
	slog.SetDefault(slog.New(h))
}

// lineHandler writes "2006/01/02 15:04:05 [INFO] message key=value": the
// shape of doppio's progress lines (and of ecspresso's logs), easier to read
// in a CI log than slog's key=value-only text format.
type lineHandler struct {
	mu     *sync.Mutex // shared by the handlers derived with WithAttrs/WithGroup
	w      io.Writer
	level  slog.Level
	attrs  string // pre-formatted " key=value" pairs
	prefix string // group prefix for keys, "g."
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *lineHandler) Handle(ctx context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Time.Format(stamp))
	b.WriteString(" [")
	b.WriteString(r.Level.String())
	b.WriteString("] ")
	if sc, ok := logScopeOf(ctx); ok {
		b.WriteString(sc.String() + ": ")
	}
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		appendAttr(&b, h.prefix, a)
		return true
	})
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *lineHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	for _, a := range attrs {
		appendAttr(&b, h.prefix, a)
	}
	c := *h
	c.attrs += b.String()
	return &c
}

func (h *lineHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix += name + "."
	return &c
}

func appendAttr(b *strings.Builder, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, g := range a.Value.Group() {
			appendAttr(b, prefix+a.Key+".", g)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(prefix + a.Key)
	b.WriteByte('=')
	v := a.Value.String()
	if v == "" || strings.ContainsAny(v, " \t\r\n\"=") {
		v = strconv.Quote(v)
	}
	b.WriteString(v)
}

// logScope names the service a log record is about when several run in one
// process: set on the context of each service's command, it prefixes a text
// record as the progress lines are ("demo/web: ..."), and adds cluster and
// service to a JSON one. Records logged with the context (slog.WarnContext)
// carry it; a run over one service has none.
type logScope struct{ cluster, service string }

type logScopeKey struct{}

func (s logScope) String() string {
	if s.cluster == "" {
		return s.service
	}
	return s.cluster + "/" + s.service
}

func withLogScope(ctx context.Context, cluster, service string) context.Context {
	return context.WithValue(ctx, logScopeKey{}, logScope{cluster: cluster, service: service})
}

func logScopeOf(ctx context.Context) (logScope, bool) {
	if ctx == nil {
		return logScope{}, false
	}
	s, ok := ctx.Value(logScopeKey{}).(logScope)
	return s, ok && s.service != ""
}

// scopedJSON adds the record's logScope to a JSON handler's records.
type scopedJSON struct{ slog.Handler }

func (h scopedJSON) Handle(ctx context.Context, r slog.Record) error {
	if sc, ok := logScopeOf(ctx); ok {
		r = r.Clone()
		if sc.cluster != "" {
			r.AddAttrs(slog.String("cluster", sc.cluster))
		}
		r.AddAttrs(slog.String("service", sc.service))
	}
	return h.Handler.Handle(ctx, r)
}

func (h scopedJSON) WithAttrs(attrs []slog.Attr) slog.Handler {
	return scopedJSON{h.Handler.WithAttrs(attrs)}
}

func (h scopedJSON) WithGroup(name string) slog.Handler { return scopedJSON{h.Handler.WithGroup(name)} }
