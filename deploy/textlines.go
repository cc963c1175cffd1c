package deploy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// hang lays out prefix+text, text being AWS's (an event, a stopped reason),
// on as many lines as text has: a line ends at "\n", "\r\n" or a lone "\r",
// as the GitHub runner and a terminal read them. Each continuation starts
// under text's first character, so a multi-line message stays inside its
// block instead of starting at column 0 (and reads as part of its entry, not
// as the next one). The workflow-command neutralizing, done on the way out,
// sees every such line as a line of its own.
func hang(prefix, text string) []string {
	parts := splitBreaks(strings.TrimRightFunc(text, unicode.IsSpace))
	if len(parts) == 1 {
		return []string{prefix + text}
	}
	indent := strings.Repeat(" ", utf8.RuneCountInString(prefix))
	out := make([]string, 0, len(parts))
	out = append(out, prefix+parts[0])
	for _, p := range parts[1:] {
		out = append(out, strings.TrimRightFunc(indent+p, unicode.IsSpace))
	}
	return out
}

// breakLines makes every line break inside lines a line of its own, the
// continuations two columns deeper than the line they continue: for text
// from AWS that reaches a line where hang was not used (a rollout state
// reason, an error).
func breakLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		if !strings.ContainsAny(l, "\r\n") {
			out = append(out, l)
			continue
		}
		lead := l[:len(l)-len(strings.TrimLeft(l, " "))]
		parts := splitBreaks(l[len(lead):])
		out = append(out, lead+parts[0])
		for _, p := range parts[1:] {
			out = append(out, strings.TrimRightFunc(lead+"  "+p, unicode.IsSpace))
		}
	}
	return out
}

// splitBreaks splits s at "\r\n", "\n" and a lone "\r".
func splitBreaks(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Split(strings.ReplaceAll(s, "\r", "\n"), "\n")
}
