package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/fujiwara/tfstate-lookup/tfstate"
)

// stateLookup is what the tfstate functions need from a state: a
// *tfstate.TFState, or a lazyState for big files.
type stateLookup interface {
	Lookup(addr string) (*tfstate.Object, error)
	List() ([]string, error)
}

// lazyState answers lookups on a Terraform state without decoding it all.
//
// tfstate.Read decodes every attribute of every resource into Go maps; for a
// 20 MB state that is most of a render's time and memory, while a task
// definition reads a few dozen resources. lazyState only finds where each
// resource starts and ends, and on a lookup hands tfstate-lookup a small
// state made of the resources whose address is a prefix of the looked-up
// address (plus the outputs for output.*). Those are the only entries
// tfstate-lookup's exact and longest-prefix match could pick, so the answer
// is the same as with the whole state.
type lazyState struct {
	ctx     context.Context
	outputs []byte            // the raw "outputs" object, nil if absent
	bases   map[string][]span // resource address without index → raw resources
	data    []byte

	mu    sync.Mutex
	parts map[string]*tfstate.TFState // by the set of resources they hold
}

type span struct{ start, end int }

var errNotLazy = errors.New("state layout needs a full decode")

// parseLazy indexes a version 4 state. It returns errNotLazy for anything it
// does not handle (a backend pointer, another version, odd syntax), and the
// caller then lets tfstate.Read decode the state and report its errors.
func parseLazy(ctx context.Context, data []byte) (*lazyState, error) {
	ls := &lazyState{ctx: ctx, data: data, bases: map[string][]span{}, parts: map[string]*tfstate.TFState{}}
	s := &scanner{b: data}
	version := -1
	err := s.object(func(key string) error {
		switch key {
		case "version":
			lit, err := s.literal()
			if err != nil {
				return err
			}
			v, err := strconv.Atoi(string(lit))
			if err != nil {
				return errNotLazy
			}
			version = v
		case "backend":
			lit, err := s.value()
			if err != nil {
				return err
			}
			if string(lit) != "null" {
				return errNotLazy // a pointer to a remote state: tfstate.Read follows it
			}
		case "outputs":
			raw, err := s.value()
			if err != nil {
				return err
			}
			if raw[0] == '{' {
				ls.outputs = raw
			}
		case "resources":
			return ls.resources(s)
		default:
			_, err := s.value()
			return err
		}
		return nil
	})
	if err != nil {
		return nil, errNotLazy
	}
	if s.ws(); s.i != len(data) || version != tfstate.StateVersion {
		return nil, errNotLazy
	}
	return ls, nil
}

func (ls *lazyState) resources(s *scanner) error {
	if s.ws(); s.i < len(s.b) && s.b[s.i] == 'n' {
		_, err := s.literal() // null
		return err
	}
	return s.array(func() error {
		s.ws()
		start := s.i
		var module, mode, typ, name string
		err := s.object(func(key string) error {
			var dst *string
			switch key {
			case "module":
				dst = &module
			case "mode":
				dst = &mode
			case "type":
				dst = &typ
			case "name":
				dst = &name
			}
			raw, err := s.value()
			if err != nil || dst == nil {
				return err
			}
			if raw[0] == '"' {
				return json.Unmarshal(raw, dst)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if mode != "managed" && mode != "data" {
			return nil // tfstate-lookup ignores them too
		}
		base := typ + "." + name
		if mode == "data" {
			base = "data." + base
		}
		if module != "" {
			base = module + "." + base
		}
		ls.bases[base] = append(ls.bases[base], span{start, s.i})
		return nil
	})
}

func (ls *lazyState) Lookup(addr string) (*tfstate.Object, error) {
	var spans []span
	var key strings.Builder
	withOutputs := ls.outputs != nil && strings.HasPrefix(addr, "output.")
	if withOutputs {
		key.WriteString("output\x00")
	}
	for i := 1; i <= len(addr); i++ {
		if ss, ok := ls.bases[addr[:i]]; ok {
			spans = append(spans, ss...)
			key.WriteString(addr[:i])
			key.WriteByte(0)
		}
	}
	if len(spans) == 0 && !withOutputs {
		return &tfstate.Object{}, nil // what tfstate-lookup says for a miss
	}
	part, err := ls.part(key.String(), spans, withOutputs)
	if err != nil {
		return nil, err
	}
	return part.Lookup(addr)
}

func (ls *lazyState) part(key string, spans []span, withOutputs bool) (*tfstate.TFState, error) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if p, ok := ls.parts[key]; ok {
		return p, nil
	}
	var doc bytes.Buffer
	doc.WriteString(`{"version":4,"outputs":`)
	if withOutputs {
		doc.Write(ls.outputs)
	} else {
		doc.WriteString("{}")
	}
	doc.WriteString(`,"resources":[`)
	for i, sp := range spans {
		if i > 0 {
			doc.WriteByte(',')
		}
		doc.Write(ls.data[sp.start:sp.end])
	}
	doc.WriteString("]}")
	p, err := tfstate.Read(ls.ctx, &doc)
	if err != nil {
		return nil, err
	}
	ls.parts[key] = p
	return p, nil
}

// List names the resources (without index) and outputs, for suggestions.
func (ls *lazyState) List() ([]string, error) {
	names := make([]string, 0, len(ls.bases))
	for b := range ls.bases {
		names = append(names, b)
	}
	if ls.outputs != nil {
		var outs map[string]json.RawMessage
		if err := json.Unmarshal(ls.outputs, &outs); err == nil {
			for o := range outs {
				names = append(names, "output."+o)
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// scanner walks JSON just enough to find value boundaries. It does not
// validate what it skips: a resource that is broken inside fails when a
// lookup decodes it.
type scanner struct {
	b []byte
	i int
}

var errSyntax = errors.New("unexpected JSON syntax")

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) expect(c byte) error {
	if s.ws(); s.i >= len(s.b) || s.b[s.i] != c {
		return errSyntax
	}
	s.i++
	return nil
}

// object calls field for each key, with the scanner on the value.
func (s *scanner) object(field func(key string) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.ws(); s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		s.ws()
		raw, err := s.value()
		if err != nil || raw[0] != '"' {
			return errSyntax
		}
		var key string
		if bytes.IndexByte(raw, '\\') >= 0 {
			if err := json.Unmarshal(raw, &key); err != nil {
				return err
			}
		} else {
			key = string(raw[1 : len(raw)-1])
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		s.ws()
		if err := field(key); err != nil {
			return err
		}
		if done, err := s.next('}'); done || err != nil {
			return err
		}
	}
}

func (s *scanner) array(elem func() error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.ws(); s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		if done, err := s.next(']'); done || err != nil {
			return err
		}
	}
}

// next consumes what follows a member or element: a ',' (more follow) or the
// closing delimiter (done).
func (s *scanner) next(closing byte) (done bool, err error) {
	if s.ws(); s.i >= len(s.b) {
		return false, errSyntax
	}
	switch s.b[s.i] {
	case ',':
		s.i++
		return false, nil
	case closing:
		s.i++
		return true, nil
	}
	return false, errSyntax
}

// value skips one value and returns its bytes.
func (s *scanner) value() ([]byte, error) {
	s.ws()
	if s.i >= len(s.b) {
		return nil, errSyntax
	}
	start := s.i
	switch s.b[s.i] {
	case '"':
		if err := s.str(); err != nil {
			return nil, err
		}
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if err := s.str(); err != nil {
					return nil, err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				return s.b[start:s.i], nil
			}
		}
		return nil, errSyntax
	default:
		return s.literal()
	}
	return s.b[start:s.i], nil
}

func (s *scanner) literal() ([]byte, error) {
	s.ws()
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r', ':', '"', '{', '[':
			if s.i == start {
				return nil, errSyntax
			}
			return s.b[start:s.i], nil
		}
		s.i++
	}
	if s.i == start {
		return nil, errSyntax
	}
	return s.b[start:s.i], nil
}

// str skips a string; s.b[s.i] is its opening quote.
func (s *scanner) str() error {
	s.i++
	for {
		j := bytes.IndexByte(s.b[s.i:], '"')
		if j < 0 {
			return errSyntax
		}
		end := s.i + j
		backslashes := 0
		for p := end - 1; p >= s.i && s.b[p] == '\\'; p-- {
			backslashes++
		}
		s.i = end + 1
		if backslashes%2 == 0 {
			return nil
		}
	}
}
