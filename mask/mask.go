// Package mask holds the secret values of a run (SecureString parameters,
// Secrets Manager values) and hides them in anything doppio prints.
package mask

import (
	"io"
	"sort"
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
	}
	// Longest first, so a secret containing another is replaced whole.
	sort.Slice(s.sorted, func(i, j int) bool { return len(s.sorted[i]) > len(s.sorted[j]) })
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
	for _, v := range s.sorted {
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
