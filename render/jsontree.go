package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// tree is a parsed JSON document that remembers where every object key sat
// in the source, so decoding errors can point at a line and column.
type tree struct {
	value any            // map[string]any, []any, json.Number, string, bool, nil
	keyAt map[string]int // JSON path of a member → byte offset of its key
	src   []byte
}

// parseTree parses one JSON value. Duplicate keys are an error: encoding/json
// silently keeps the last one, which hides copy-paste mistakes.
func parseTree(src []byte) (*tree, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	t := &tree{keyAt: map[string]int{}, src: src}
	v, err := t.parseValue(dec, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		off := int(dec.InputOffset())
		return nil, &posError{offset: off, src: src, msg: "unexpected data after the top-level value"}
	}
	t.value = v
	return t, nil
}

// maxDepth bounds nesting: no ECS document comes close, and it keeps a
// hostile file from exhausting the stack.
const maxDepth = 200

func (t *tree) parseValue(dec *json.Decoder, path string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, &posError{offset: int(dec.InputOffset()), src: t.src, msg: fmt.Sprintf("%s: nested more than %d levels deep", displayPath(path), maxDepth)}
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, t.syntaxError(dec, err)
	}
	switch tok := tok.(type) {
	case json.Delim:
		switch tok {
		case '{':
			obj := map[string]any{}
			for dec.More() {
				before := int(dec.InputOffset())
				ktok, err := dec.Token()
				if err != nil {
					return nil, t.syntaxError(dec, err)
				}
				key, ok := ktok.(string)
				if !ok {
					return nil, &posError{offset: before, src: t.src, msg: "object key must be a string"}
				}
				keyPath := joinPath(path, key)
				keyOff := skipToQuote(t.src, before)
				if _, dup := obj[key]; dup {
					return nil, &posError{offset: keyOff, src: t.src, msg: fmt.Sprintf("%s: duplicate key", displayPath(keyPath))}
				}
				t.keyAt[keyPath] = keyOff
				v, err := t.parseValue(dec, keyPath, depth+1)
				if err != nil {
					return nil, err
				}
				obj[key] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, t.syntaxError(dec, err)
			}
			return obj, nil
		case '[':
			arr := []any{}
			for i := 0; dec.More(); i++ {
				v, err := t.parseValue(dec, path+"["+strconv.Itoa(i)+"]", depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, t.syntaxError(dec, err)
			}
			return arr, nil
		}
		return nil, &posError{offset: int(dec.InputOffset()), src: t.src, msg: fmt.Sprintf("unexpected %q", rune(tok))}
	default:
		return tok, nil
	}
}

func (t *tree) syntaxError(dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &posError{offset: int(se.Offset), src: t.src, msg: "JSON syntax error: " + se.Error()}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &posError{offset: len(t.src), src: t.src, msg: "JSON syntax error: unexpected end of input"}
	}
	return &posError{offset: int(dec.InputOffset()), src: t.src, msg: "JSON syntax error: " + err.Error()}
}

// skipToQuote moves from the offset before a key token (which may sit on the
// preceding comma or whitespace) to its opening quote.
func skipToQuote(src []byte, off int) int {
	for off < len(src) && src[off] != '"' {
		off++
	}
	return off
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func displayPath(p string) string {
	if p == "" {
		return "(top level)"
	}
	return p
}

// lineCol turns a byte offset into 1-based line and column.
func lineCol(src []byte, off int) (int, int) {
	if off > len(src) {
		off = len(src)
	}
	if off < 0 {
		off = 0
	}
	line := 1 + bytes.Count(src[:off], []byte{'\n'})
	col := off - bytes.LastIndexByte(src[:off], '\n')
	return line, col
}

// posError is an error at a place in a source text; the file name is added
// by the caller that knows it.
type posError struct {
	offset int
	src    []byte
	msg    string
}

func (e *posError) Error() string {
	line, col := lineCol(e.src, e.offset)
	return fmt.Sprintf("%d:%d: %s", line, col, e.msg)
}

// atFile prefixes err with the file name: "file:line:col: msg" for a
// positioned error, "file: msg" otherwise.
func atFile(name string, err error) error {
	var pe *posError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%w", name, err)
	}
	return fmt.Errorf("%s: %w", name, err)
}
