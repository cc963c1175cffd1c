// Package apijson turns aws-sdk-go-v2 values into the JSON a user writes and
// the ECS API speaks: lowerCamel member names exactly as on the wire, enums as
// strings, unset members (nil pointers, nulls, empty lists, zero values the SDK
// does not send) left out, keys sorted.
//
// Modeled SDK types are walked with their own generated Serialize method, so
// member names come from the service model, not from a guess at Go field
// names (enableECSManagedTags, fsxWindowsFileServerVolumeConfiguration ...).
// Other values (doppio's own structs wrapping SDK types) are walked by
// reflection with the same conventions.
package apijson

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/document"
)

// Marshal returns the canonical API JSON of v: 2-space indent, keys in sorted
// order, no HTML escaping, a trailing newline.
func Marshal(v any) ([]byte, error) {
	tree, err := ToValue(v)
	if err != nil {
		return nil, err
	}
	return Encode(tree)
}

// Encode writes an already generic JSON value (maps, slices, strings,
// float64, bool) the way Marshal does.
func Encode(tree any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if tree == nil {
		tree = map[string]any{}
	}
	if err := enc.Encode(tree); err != nil {
		return nil, fmt.Errorf("encode API JSON: %w", err)
	}
	return buf.Bytes(), nil
}

// ToMap returns v as generic JSON (what json.Unmarshal into map[string]any
// would give for Marshal's output). A nil value gives an empty map.
func ToMap(v any) (map[string]any, error) {
	tree, err := ToValue(v)
	if err != nil {
		return nil, err
	}
	if tree == nil {
		return map[string]any{}, nil
	}
	m, ok := tree.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("apijson: %T is not a JSON object", v)
	}
	return m, nil
}

// ToValue returns v as generic JSON of any shape; nil when v holds nothing.
func ToValue(v any) (out any, err error) {
	// The SDK's generated serializers and smithy documents may panic on
	// values they cannot encode (big numbers); report instead of crashing.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("apijson: cannot encode %T: %v", v, r)
		}
	}()
	return valueOf(reflect.ValueOf(v))
}

var (
	serializableType = reflect.TypeFor[smithy.Serializable]()
	timeType         = reflect.TypeFor[time.Time]()
	docMarshalerType = reflect.TypeFor[document.Marshaler]()
)

func valueOf(rv reflect.Value) (any, error) {
	if !rv.IsValid() {
		return nil, nil
	}
	if rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil, nil
		}
	}
	if out, ok, err := viaSchema(rv); ok {
		return out, err
	}
	if rv.Type().Implements(docMarshalerType) {
		p, err := rv.Interface().(document.Marshaler).MarshalSmithyDocument()
		if err != nil {
			return nil, fmt.Errorf("marshal document: %w", err)
		}
		var out any
		if err := json.Unmarshal(p, &out); err != nil {
			return nil, fmt.Errorf("decode document: %w", err)
		}
		return clean(out), nil
	}
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		return valueOf(rv.Elem())
	case reflect.Struct:
		if rv.Type() == timeType {
			return rv.Interface().(time.Time).UTC().Format(time.RFC3339Nano), nil
		}
		return structOf(rv)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			if rv.Len() == 0 {
				return nil, nil
			}
			return base64.StdEncoding.EncodeToString(rv.Bytes()), nil
		}
		list := make([]any, 0, rv.Len())
		for i := range rv.Len() {
			item, err := valueOf(rv.Index(i))
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if item != nil {
				list = append(list, item)
			}
		}
		if len(list) == 0 {
			return nil, nil
		}
		return list, nil
	case reflect.Map:
		if rv.IsNil() {
			return nil, nil
		}
		m := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			item, err := valueOf(iter.Value())
			if err != nil {
				return nil, fmt.Errorf("%v: %w", iter.Key(), err)
			}
			if item != nil {
				m[fmt.Sprint(iter.Key().Interface())] = item
			}
		}
		return m, nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return nil, nil
	}
	return nil, fmt.Errorf("apijson: unsupported kind %s", rv.Kind())
}

// viaSchema serializes modeled SDK values with their generated serializer.
func viaSchema(rv reflect.Value) (any, bool, error) {
	if promotesSerialize(rv.Type()) {
		return nil, false, nil
	}
	var s smithy.Serializable
	switch {
	case rv.Type().Implements(serializableType):
		s = rv.Interface().(smithy.Serializable)
	case rv.Kind() != reflect.Pointer && reflect.PointerTo(rv.Type()).Implements(serializableType):
		p := reflect.New(rv.Type())
		p.Elem().Set(rv)
		s = p.Interface().(smithy.Serializable)
	default:
		return nil, false, nil
	}
	t := &treeSerializer{}
	s.Serialize(t)
	if t.err != nil {
		return nil, true, t.err
	}
	return t.root, true, nil
}

// promotesSerialize reports a struct whose Serialize method comes from an
// embedded SDK type: a doppio wrapper, whose own fields would be lost.
func promotesSerialize(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return false
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && (f.Type.Implements(serializableType) || reflect.PointerTo(f.Type).Implements(serializableType)) {
			return true
		}
	}
	return false
}

// structOf walks a struct that is not a modeled shape: exported fields, named
// by their json tag or lowerCamel Go name, embedded structs flattened.
func structOf(rv reflect.Value) (any, error) {
	m := map[string]any{}
	if err := addFields(m, rv); err != nil {
		return nil, err
	}
	return m, nil
}

func addFields(m map[string]any, rv reflect.Value) error {
	rt := rv.Type()
	for i := range rt.NumField() {
		f := rt.Field(i)
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			n, _, _ := strings.Cut(tag, ",")
			if n == "-" {
				continue
			}
			if n != "" {
				name = n
			} else {
				name = LowerFirst(f.Name)
			}
		} else {
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			name = LowerFirst(f.Name)
		}
		fv := rv.Field(i)
		if f.Anonymous && f.Tag.Get("json") == "" {
			// Embedded: flatten like encoding/json. Unexported embedded
			// structs (smithy's noSmithyDocumentSerde) hold nothing.
			for fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					break
				}
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct && fv.Type() != timeType {
				if _, isModel, _ := viaSchema(fv); !isModel {
					if err := addFields(m, fv); err != nil {
						return err
					}
					continue
				}
				sub, err := valueOf(fv)
				if err != nil {
					return err
				}
				if sm, ok := sub.(map[string]any); ok {
					for k, v := range sm {
						m[k] = v
					}
				}
				continue
			}
			if !f.IsExported() {
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		// Like the SDK's serializers: a zero scalar that is not a pointer
		// is "not set".
		if isZeroScalar(fv) {
			continue
		}
		val, err := valueOf(fv)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if val != nil {
			m[name] = val
		}
	}
	return nil
}

func isZeroScalar(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return v.IsZero()
	}
	return false
}

// LowerFirst lowers the first letter: the JSON name of a Go field name.
func LowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// clean drops nulls and empty lists from decoded JSON.
func clean(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			c := clean(x)
			if c == nil {
				delete(t, k)
				continue
			}
			t[k] = c
		}
		return t
	case []any:
		out := t[:0]
		for _, x := range t {
			if c := clean(x); c != nil {
				out = append(out, c)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return v
}

// treeSerializer is a smithy.ShapeSerializer that builds generic JSON.
type treeSerializer struct {
	root   any
	stack  []*frame
	key    string // pending map key set by WriteKey
	hasKey bool
	err    error
}

type frame struct {
	obj  map[string]any
	list []any
	// where the finished container goes in its parent
	key    string
	hasKey bool
	isList bool
}

var _ smithy.ShapeSerializer = (*treeSerializer)(nil)

// slot decides the key for the next value in the current container.
func (t *treeSerializer) slot(schema *smithy.Schema) (string, bool) {
	if t.hasKey {
		t.hasKey = false
		return t.key, true
	}
	if len(t.stack) > 0 && !t.stack[len(t.stack)-1].isList && schema != nil {
		return schema.MemberName(), true
	}
	return "", false
}

func (t *treeSerializer) put(key string, hasKey bool, v any) {
	if v == nil {
		return
	}
	if l, ok := v.([]any); ok && len(l) == 0 {
		return
	}
	if len(t.stack) == 0 {
		t.root = v
		return
	}
	top := t.stack[len(t.stack)-1]
	if top.isList {
		top.list = append(top.list, v)
		return
	}
	if !hasKey {
		t.fail(fmt.Errorf("apijson: value without a member name inside an object"))
		return
	}
	top.obj[key] = v
}

func (t *treeSerializer) fail(err error) {
	if t.err == nil {
		t.err = err
	}
}

func (t *treeSerializer) scalar(schema *smithy.Schema, v any) {
	k, ok := t.slot(schema)
	t.put(k, ok, v)
}

func (t *treeSerializer) open(schema *smithy.Schema, isList bool) {
	k, ok := t.slot(schema)
	f := &frame{key: k, hasKey: ok, isList: isList}
	if !isList {
		f.obj = map[string]any{}
	}
	t.stack = append(t.stack, f)
}

func (t *treeSerializer) close() {
	if len(t.stack) == 0 {
		t.fail(fmt.Errorf("apijson: unbalanced close"))
		return
	}
	f := t.stack[len(t.stack)-1]
	t.stack = t.stack[:len(t.stack)-1]
	if f.isList {
		t.put(f.key, f.hasKey, f.list)
	} else {
		t.put(f.key, f.hasKey, f.obj)
	}
}

func (t *treeSerializer) Bytes() []byte {
	b, _ := json.Marshal(t.root)
	return b
}

func (t *treeSerializer) WriteInt8(s *smithy.Schema, v int8)       { t.scalar(s, float64(v)) }
func (t *treeSerializer) WriteInt16(s *smithy.Schema, v int16)     { t.scalar(s, float64(v)) }
func (t *treeSerializer) WriteInt32(s *smithy.Schema, v int32)     { t.scalar(s, float64(v)) }
func (t *treeSerializer) WriteInt64(s *smithy.Schema, v int64)     { t.scalar(s, float64(v)) }
func (t *treeSerializer) WriteFloat32(s *smithy.Schema, v float32) { t.scalar(s, float64(v)) }
func (t *treeSerializer) WriteFloat64(s *smithy.Schema, v float64) { t.scalar(s, v) }
func (t *treeSerializer) WriteBool(s *smithy.Schema, v bool)       { t.scalar(s, v) }
func (t *treeSerializer) WriteString(s *smithy.Schema, v string)   { t.scalar(s, v) }

func (t *treeSerializer) WriteBigInt(s *smithy.Schema, v *big.Int) {
	if v == nil {
		t.scalar(s, nil)
		return
	}
	f, _ := new(big.Float).SetInt(v).Float64()
	t.scalar(s, f)
}

func (t *treeSerializer) WriteBigFloat(s *smithy.Schema, v *big.Float) {
	if v == nil {
		t.scalar(s, nil)
		return
	}
	f, _ := v.Float64()
	t.scalar(s, f)
}

func (t *treeSerializer) WriteBlob(s *smithy.Schema, v []byte) {
	if v == nil {
		t.scalar(s, nil)
		return
	}
	t.scalar(s, base64.StdEncoding.EncodeToString(v))
}

// WriteTime writes RFC 3339: read by people, and only read-only members
// (createdAt, registeredAt ...) are timestamps in ECS.
func (t *treeSerializer) WriteTime(s *smithy.Schema, v time.Time) {
	t.scalar(s, v.UTC().Format(time.RFC3339Nano))
}

func (t *treeSerializer) WriteUnion(schema, variant *smithy.Schema) {
	t.open(schema, false)
	t.key, t.hasKey = variant.MemberName(), true
}

func (t *treeSerializer) CloseUnion() {
	t.hasKey = false
	t.close()
}

func (t *treeSerializer) WriteDocument(s *smithy.Schema, v document.Value) {
	k, ok := t.slot(s)
	t.put(k, ok, documentValue(v))
}

func documentValue(v document.Value) any {
	switch d := v.(type) {
	case document.Boolean:
		return bool(d)
	case document.Number:
		var f float64
		if err := json.Unmarshal([]byte(d), &f); err == nil {
			return f
		}
		return string(d)
	case document.String:
		return string(d)
	case document.Blob:
		return base64.StdEncoding.EncodeToString(d)
	case document.Timestamp:
		return time.Time(d).UTC().Format(time.RFC3339Nano)
	case document.List:
		var out []any
		for _, x := range d {
			if c := documentValue(x); c != nil {
				out = append(out, c)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case document.Map:
		out := map[string]any{}
		for k, x := range d {
			if c := documentValue(x); c != nil {
				out[k] = c
			}
		}
		return out
	case document.Structure:
		out := map[string]any{}
		for k, x := range d.Members {
			if c := documentValue(x); c != nil {
				out[k] = c
			}
		}
		return out
	case document.Opaque:
		out, _ := valueOf(reflect.ValueOf(d.Value))
		return out
	case *document.Opaque:
		if d == nil {
			return nil
		}
		out, _ := valueOf(reflect.ValueOf(d.Value))
		return out
	}
	return nil
}

func (t *treeSerializer) WriteNil(s *smithy.Schema) {
	// A null is "absent": consume the slot so a pending map key is not
	// reused by the next value.
	t.slot(s)
}

func (t *treeSerializer) WriteStruct(s *smithy.Schema) { t.open(s, false) }
func (t *treeSerializer) CloseStruct()                 { t.close() }
func (t *treeSerializer) WriteList(s *smithy.Schema)   { t.open(s, true) }
func (t *treeSerializer) CloseList()                   { t.close() }
func (t *treeSerializer) WriteMap(s *smithy.Schema)    { t.open(s, false) }
func (t *treeSerializer) CloseMap()                    { t.close() }

func (t *treeSerializer) WriteKey(_ *smithy.Schema, key string) {
	t.key, t.hasKey = key, true
}
