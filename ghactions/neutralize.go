package ghactions

import (
	"bytes"
	"io"
	"strings"
	"unicode"
)

// zwsp (U+200B ZERO WIDTH SPACE) is not white space to the runner, so a line
// it starts no longer starts with "::", and "#\u200b#[" is no "##[".
const zwsp = "\u200b"

// Neutralize makes external text (container log lines, service events,
// stopped reasons, tags) unable to act as a workflow command: each physical
// line (ended by "\n", "\r\n" or a lone "\r", as the runner reads them)
// whose first non-blank characters are "::" gets an invisible
// zero-width space in front, and every legacy "##[" command prefix is
// broken the same way. The text reads the same in the log.
func Neutralize(s string) string {
	if !strings.Contains(s, "::") && !strings.Contains(s, "##[") {
		return s
	}
	var b strings.Builder
	_, _ = NeutralizingWriter(&b).Write([]byte(s))
	return b.String()
}

func neutralizeLine(line string, atStart bool) string {
	line = strings.ReplaceAll(line, "##[", "#"+zwsp+"#[")
	// The runner's TrimStart drops any Unicode white space (a no-break
	// space too) before it looks for "::"; unicode.IsSpace is that set.
	trimmed := strings.TrimLeftFunc(line, unicode.IsSpace)
	if atStart && strings.HasPrefix(trimmed, "::") {
		return line[:len(line)-len(trimmed)] + zwsp + trimmed
	}
	return line
}

// NeutralizingWriter passes what it is given to w with Neutralize applied to
// each physical line; it keeps track of line starts across writes, so a line
// written in pieces is judged by its beginning.
func NeutralizingWriter(w io.Writer) io.Writer { return &neutralizer{w: w, atStart: true} }

type neutralizer struct {
	w       io.Writer
	atStart bool
}

func (n *neutralizer) Write(p []byte) (int, error) {
	if !bytes.Contains(p, []byte("::")) && !bytes.Contains(p, []byte("##[")) {
		if len(p) > 0 {
			n.atStart = p[len(p)-1] == '\n' || p[len(p)-1] == '\r'
		}
		return n.w.Write(p)
	}
	var b strings.Builder
	s := string(p)
	for len(s) > 0 {
		// The runner ends a line at "\n", "\r\n" and a lone "\r" alike
		// (.NET's ReadLine), so "a\r::error::x" is two lines to it.
		end := strings.IndexAny(s, "\r\n")
		if end < 0 {
			b.WriteString(neutralizeLine(s, n.atStart))
			n.atStart = false
			break
		}
		b.WriteString(neutralizeLine(s[:end], n.atStart))
		b.WriteByte(s[end])
		n.atStart = true
		s = s[end+1:]
	}
	if _, err := io.WriteString(n.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}
