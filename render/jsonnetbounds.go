package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/go-jsonnet"
)

// Jsonnet bounds. go-jsonnet parses and evaluates recursively on the Go
// stack: a source nested some ten thousand levels deep (brackets, or a chain
// of local/if/function expressions) overflows it, which is a fatal error no
// recover catches, with a Go stack trace. So sources are checked before they
// are parsed, imports included.
const (
	// MaxJsonnetStack is go-jsonnet's MaxStack: the deepest evaluation (calls,
	// and the nesting of the value being manifested).
	MaxJsonnetStack = 500
	// MaxJsonnetNesting bounds the bracket depth of a source: ([{ levels.
	MaxJsonnetNesting = 1000
	// MaxJsonnetChain bounds the local, if, function and assert expressions of
	// one source, each of which nests what follows it.
	MaxJsonnetChain = 10_000
)

// JsonnetTimeLimit bounds the evaluation of one Jsonnet file (an unbounded
// computation cannot be cancelled otherwise). cmd/doppio sets it from
// DOPPIO_JSONNET_TIMEOUT.
var JsonnetTimeLimit = time.Minute

// boundsError is a source or evaluation over a bound: its message is whole
// (file first), jsonnetError leaves it as it is.
type boundsError struct{ msg string }

func (e *boundsError) Error() string { return e.msg }

func boundsErrorf(format string, args ...any) error {
	return &boundsError{msg: fmt.Sprintf(format, args...)}
}

// errJsonnetTimeLimit marks an evaluation that ran out of JsonnetTimeLimit.
var errJsonnetTimeLimit = errors.New("jsonnet time limit")

// evaluateJsonnet runs vm on src under JsonnetTimeLimit and ctx; when the
// limit ends it, the error names the file and the limit.
func evaluateJsonnet(ctx context.Context, vm *jsonnet.VM, name, src string) (string, error) {
	if err := checkJsonnetSource(name, []byte(src)); err != nil {
		return "", err
	}
	limit := JsonnetTimeLimit
	lctx, cancel := context.WithTimeoutCause(ctx, limit, errJsonnetTimeLimit)
	defer cancel()
	out, err := evaluate(lctx, "evaluate "+name, func() (string, error) { return vm.EvaluateSnippet(name, src) })
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(lctx), errJsonnetTimeLimit) {
		return "", boundsErrorf("%s: jsonnet: evaluation did not finish within %s (DOPPIO_JSONNET_TIMEOUT): look for an unbounded recursion or a computation over a very large range", name, limit)
	}
	return out, err
}

// boundedImporter checks every imported file as evaluateJsonnet checks the
// main one.
type boundedImporter struct{ inner jsonnet.Importer }

func (b boundedImporter) Import(importedFrom, importedPath string) (jsonnet.Contents, string, error) {
	c, foundAt, err := b.inner.Import(importedFrom, importedPath)
	if err != nil {
		return c, foundAt, err
	}
	if err := checkJsonnetSource(displayName(foundAt), []byte(c.String())); err != nil {
		return jsonnet.Contents{}, foundAt, err
	}
	return c, foundAt, nil
}

// checkJsonnetSource refuses a source nested deeper than the parser can
// take. It skips strings, text blocks and comments, so it is linear and
// never counts what they hold.
func checkJsonnetSource(name string, src []byte) error {
	depth, maxDepth, chain := 0, 0, 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '"' || c == '\'':
			i = skipQuoted(src, i, c, true)
		case c == '@' && i+1 < len(src) && (src[i+1] == '"' || src[i+1] == '\''):
			i = skipQuoted(src, i+1, src[i+1], false)
		case c == '|' && hasAt(src, i, "|||"):
			i = skipTextBlock(src, i)
		case c == '#' || c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := indexFrom(src, i+2, "*/")
			if end < 0 {
				return nil // unterminated: the parser says so
			}
			i = end + 1
		case c == '(' || c == '[' || c == '{':
			depth++
			maxDepth = max(maxDepth, depth)
		case c == ')' || c == ']' || c == '}':
			depth--
		case isIdentStart(c) && (i == 0 || !isIdentPart(src[i-1])):
			j := i
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			switch string(src[i:j]) {
			case "local", "if", "function", "assert":
				chain++
			}
			i = j - 1
		}
		if maxDepth > MaxJsonnetNesting {
			return boundsErrorf("%s: jsonnet: brackets nested more than %d levels deep, the most doppio evaluates", name, MaxJsonnetNesting)
		}
		if chain > MaxJsonnetChain {
			return boundsErrorf("%s: jsonnet: more than %d local, if, function and assert expressions, the most doppio evaluates in one file", name, MaxJsonnetChain)
		}
	}
	return nil
}

// skipQuoted returns the index of the quote closing the string opened at i.
func skipQuoted(src []byte, i int, quote byte, escapes bool) int {
	for j := i + 1; j < len(src); j++ {
		switch {
		case escapes && src[j] == '\\':
			j++
		case src[j] == quote:
			if !escapes && j+1 < len(src) && src[j+1] == quote {
				j++ // a doubled quote in a verbatim string
				continue
			}
			return j
		}
	}
	return len(src)
}

// skipTextBlock returns the index of the last '|' of the ||| block opened
// at i (a line holding only whitespace and ||| ends it).
func skipTextBlock(src []byte, i int) int {
	for j := i + 3; j < len(src); j++ {
		if src[j] != '\n' {
			continue
		}
		k := j + 1
		for k < len(src) && (src[k] == ' ' || src[k] == '\t') {
			k++
		}
		if hasAt(src, k, "|||") {
			return k + 2
		}
	}
	return len(src)
}

func hasAt(src []byte, i int, s string) bool {
	return i <= len(src) && bytes.HasPrefix(src[i:], []byte(s))
}

func indexFrom(src []byte, from int, s string) int {
	if j := bytes.Index(src[from:], []byte(s)); j >= 0 {
		return from + j
	}
	return -1
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }
