package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Status is the outcome of one check.
type Status int

const (
	// SKIP means the check did not apply or could not be decided (not an error).
	SKIP Status = iota
	// OK means the check passed.
	OK
	// WARN means something is likely wrong or could not be confirmed
	// (missing permission), but a deploy may still succeed.
	WARN
	// NG means a deploy with these definitions will fail.
	NG
)

var statusNames = [...]string{SKIP: "SKIP", OK: "OK", WARN: "WARN", NG: "NG"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// MarshalText makes statuses readable in JSON output.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText accepts the names MarshalText writes.
func (s *Status) UnmarshalText(b []byte) error {
	for i, n := range statusNames {
		if strings.EqualFold(n, string(b)) {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("unknown verify status %q", b)
}

// worse returns the more severe of two statuses (NG > WARN > OK > SKIP).
func worse(a, b Status) Status {
	if b > a {
		return b
	}
	return a
}

// Check is one node of the report tree. A node without its own check (a
// group such as a container) takes the worst status of its children.
type Check struct {
	Name     string   `json:"name"`
	Status   Status   `json:"status"`
	Reason   string   `json:"reason,omitempty"`
	Cached   bool     `json:"cached,omitempty"`
	Children []*Check `json:"children,omitempty"`

	group bool // status derives from children
}

func (c *Check) add(child *Check) *Check {
	c.Children = append(c.Children, child)
	return child
}

func (c *Check) set(st Status, format string, args ...any) {
	c.Status = st
	if len(args) == 0 {
		c.Reason = format
		return
	}
	c.Reason = fmt.Sprintf(format, args...)
}

// finalize computes group statuses bottom-up and returns c's status.
func (c *Check) finalize() Status {
	worst := SKIP
	for _, ch := range c.Children {
		worst = worse(worst, ch.finalize())
	}
	if c.group {
		c.Status = worst
	}
	return c.Status
}

// Report is the result of a verify run: a tree in the order task definition,
// containers, service, cluster, whatever order the checks finished in.
type Report struct {
	Checks   []*Check      `json:"checks"`
	Duration time.Duration `json:"-"`
}

// Status is the worst status in the report.
func (r *Report) Status() Status {
	worst := OK
	r.walk(func(_ int, c *Check) { worst = worse(worst, c.Status) })
	return worst
}

// Counts returns how many checks ended with each status; groups are not counted.
func (r *Report) Counts() map[Status]int {
	n := map[Status]int{}
	r.walk(func(_ int, c *Check) {
		if !c.group {
			n[c.Status]++
		}
	})
	return n
}

// Find returns the first check (depth first) whose name is name, or nil.
func (r *Report) Find(name string) *Check {
	var found *Check
	r.walk(func(_ int, c *Check) {
		if found == nil && c.Name == name {
			found = c
		}
	})
	return found
}

func (r *Report) walk(fn func(depth int, c *Check)) {
	var rec func(int, *Check)
	rec = func(d int, c *Check) {
		fn(d, c)
		for _, ch := range c.Children {
			rec(d+1, ch)
		}
	}
	for _, c := range r.Checks {
		rec(0, c)
	}
}

const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

func statusColor(s Status) string {
	switch s {
	case OK:
		return ansiGreen
	case NG:
		return ansiRed
	case WARN:
		return ansiYellow
	default:
		return ansiCyan
	}
}

// WriteText writes the tree, two spaces per level, one check per line, and a
// summary line. color adds ANSI colors to the statuses.
func (r *Report) WriteText(w io.Writer, color bool) error {
	var b strings.Builder
	r.walk(func(depth int, c *Check) {
		b.WriteString(strings.Repeat("  ", depth))
		tag := fmt.Sprintf("[%s]", c.Status)
		if color {
			tag = statusColor(c.Status) + tag + ansiReset
		}
		b.WriteString(tag)
		b.WriteString(strings.Repeat(" ", 7-len(c.Status.String())))
		b.WriteString(c.Name)
		if c.Reason != "" {
			b.WriteString(": ")
			b.WriteString(c.Reason)
		}
		if c.Cached {
			if color {
				b.WriteString(" " + ansiCyan + "(cached)" + ansiReset)
			} else {
				b.WriteString(" (cached)")
			}
		}
		b.WriteByte('\n')
	})
	n := r.Counts()
	fmt.Fprintf(&b, "verify: %s (%d NG, %d WARN, %d OK, %d SKIP)\n", r.Status(), n[NG], n[WARN], n[OK], n[SKIP])
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	n := r.Counts()
	doc := struct {
		Status  Status         `json:"status"`
		Summary map[string]int `json:"summary"`
		Checks  []*Check       `json:"checks"`
	}{
		Status:  r.Status(),
		Summary: map[string]int{"NG": n[NG], "WARN": n[WARN], "OK": n[OK], "SKIP": n[SKIP]},
		Checks:  r.Checks,
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
