package deploy

import (
	"fmt"
	"strings"

	"github.com/kylelemons/godebug/diff"
)

const (
	colorRed   = "\x1b[31m"
	colorGreen = "\x1b[32m"
	colorCyan  = "\x1b[36m"
	colorReset = "\x1b[0m"
)

type lineOp struct {
	kind byte // ' ', '-', '+'
	text string
}

// unified renders a unified diff (3 lines of context) of two texts, with
// ---/+++ headers; "" when they are equal.
func unified(fromName, toName, a, b string, color bool) string {
	if a == b {
		return ""
	}
	ops := lineOps(splitLines(a), splitLines(b))
	var sb strings.Builder
	paint := painter(color)
	writeHeaders(&sb, paint, fromName, toName)
	const context = 3
	// Walk the ops, emitting hunks around changes.
	aLine, bLine := 1, 1
	i := 0
	for i < len(ops) {
		if ops[i].kind == ' ' {
			i++
			aLine++
			bLine++
			continue
		}
		// Start of a hunk: back up to include context.
		start := i
		for k := 0; k < context && start > 0 && ops[start-1].kind == ' '; k++ {
			start--
		}
		hA, hB := aLine-(i-start), bLine-(i-start)
		// Extend until context+1 equal lines separate changes.
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := 0
			for end+run < len(ops) && ops[end+run].kind == ' ' {
				run++
			}
			if end+run == len(ops) || run > 2*context {
				end += min(run, context)
				break
			}
			end += run
		}
		countA, countB := 0, 0
		for _, op := range ops[start:end] {
			if op.kind != '+' {
				countA++
			}
			if op.kind != '-' {
				countB++
			}
		}
		sb.WriteString(paint(colorCyan, fmt.Sprintf("@@ -%s +%s @@", hunkRange(hA, countA), hunkRange(hB, countB))) + "\n")
		for _, op := range ops[start:end] {
			writeOp(&sb, paint, op)
		}
		for _, op := range ops[i:end] {
			if op.kind != '+' {
				aLine++
			}
			if op.kind != '-' {
				bLine++
			}
		}
		i = end
	}
	return sb.String()
}

func hunkRange(start, count int) string {
	if count == 0 {
		return fmt.Sprintf("%d,0", start-1)
	}
	if count == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, count)
}

func lineOps(a, b []string) []lineOp {
	var ops []lineOp
	for _, c := range diff.DiffChunks(a, b) {
		for _, l := range c.Deleted {
			ops = append(ops, lineOp{'-', l})
		}
		for _, l := range c.Added {
			ops = append(ops, lineOp{'+', l})
		}
		for _, l := range c.Equal {
			ops = append(ops, lineOp{' ', l})
		}
	}
	return ops
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// TextDiff renders the difference of two texts ("" when equal): a unified
// diff, or with full the whole of both texts, changed lines marked, as
// ecspresso's `diff --no-unified` prints it.
func TextDiff(fromName, toName, a, b string, color, full bool) string {
	if !full || a == b {
		return unified(fromName, toName, a, b, color)
	}
	var sb strings.Builder
	paint := painter(color)
	writeHeaders(&sb, paint, fromName, toName)
	for _, op := range lineOps(splitLines(a), splitLines(b)) {
		writeOp(&sb, paint, op)
	}
	return sb.String()
}

func painter(color bool) func(c, s string) string {
	return func(c, s string) string {
		if !color {
			return s
		}
		return c + s + colorReset
	}
}

func writeHeaders(sb *strings.Builder, paint func(c, s string) string, fromName, toName string) {
	sb.WriteString(paint(colorRed, "--- "+fromName) + "\n")
	sb.WriteString(paint(colorGreen, "+++ "+toName) + "\n")
}

func writeOp(sb *strings.Builder, paint func(c, s string) string, op lineOp) {
	line := string(op.kind) + op.text
	switch op.kind {
	case '-':
		line = paint(colorRed, line)
	case '+':
		line = paint(colorGreen, line)
	}
	sb.WriteString(line + "\n")
}
