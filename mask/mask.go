// Package mask holds the secret values of a run (SecureString parameters,
// Secrets Manager values) and hides them in anything doppio prints.
package mask

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Replacement is what a secret value is printed as.
const Replacement = "********"

// Set is a concurrency-safe set of secret values. The zero value is ready.
type Set struct {
	mu     sync.RWMutex
	values map[string]struct{}
	sorted []string
	// forms holds each secret as written and as it reads once quoted by JSON
	// (with and without HTML escaping) or by Go's %q (slog, error texts):
	// a secret holding '"', '\\', '<', a newline or non-ASCII text must not
	// slip out through an encoder.
	forms []string
}

// Add registers a secret. Empty and one-character values are ignored: masking
// them would garble every line of output while protecting nothing.
func (s *Set) Add(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if len(v) < 2 {
			continue
		}
		if s.values == nil {
			s.values = map[string]struct{}{}
		}
		if _, ok := s.values[v]; ok {
			continue
		}
		s.values[v] = struct{}{}
		s.sorted = append(s.sorted, v)
		for _, f := range encodedForms(v) {
			if !slices.Contains(s.forms, f) {
				s.forms = append(s.forms, f)
			}
		}
	}
	// Longest first, so a secret containing another is replaced whole.
	sort.Slice(s.sorted, func(i, j int) bool { return len(s.sorted[i]) > len(s.sorted[j]) })
	sort.Slice(s.forms, func(i, j int) bool { return len(s.forms[i]) > len(s.forms[j]) })
}

// encodedForms is v followed by its quoted spellings that differ from it,
// without their surrounding quotes.
func encodedForms(v string) []string {
	forms := []string{v}
	var buf bytes.Buffer
	for _, escapeHTML := range []bool{true, false} {
		buf.Reset()
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(escapeHTML)
		if err := enc.Encode(v); err == nil {
			forms = append(forms, strings.TrimSuffix(buf.String(), "\n"))
		}
	}
	forms = append(forms, strconv.Quote(v), strconv.QuoteToASCII(v))
	out := forms[:1]
	for _, f := range forms[1:] {
		f = f[1 : len(f)-1]
		if f != v && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// Values returns a copy of the registered secrets.
func (s *Set) Values() []string {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]string(nil), s.sorted...)
}

// String replaces every registered secret in text.
func (s *Set) String(text string) string {
	if s == nil {
		return text
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.forms {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, Replacement)
		}
	}
	return text
}

// Writer wraps w so that everything written through it is masked. Each Write
// is masked on its own, so callers should write whole lines.
func (s *Set) Writer(w io.Writer) io.Writer { return &writer{set: s, w: w} }

type writer struct {
	set *Set
	w   io.Writer
}

func (w *writer) Write(p []byte) (int, error) {
	masked := w.set.String(string(p))
	if _, err := io.WriteString(w.w, masked); err != nil {
		return 0, err
	}
	return len(p), nil
}
