package render

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	ecsdocument "github.com/aws/aws-sdk-go-v2/service/ecs/document"
)

// Problem is one thing wrong in a decoded document.
type Problem struct {
	Path    string // JSON path, e.g. containerDefinitions[0].environment
	Line    int    // 1-based; 0 when unknown
	Column  int
	Message string
}

// DecodeError lists every problem found in one file, so a user fixes them all
// in one round instead of one per run.
type DecodeError struct {
	File     string
	Problems []Problem
}

func (e *DecodeError) Error() string {
	parts := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		loc := e.File
		if p.Line > 0 {
			loc = fmt.Sprintf("%s:%d:%d", e.File, p.Line, p.Column)
		}
		parts = append(parts, fmt.Sprintf("%s: %s: %s", loc, displayPath(p.Path), p.Message))
	}
	return strings.Join(parts, "; ")
}

// maxProblems bounds the error message: past this, more detail stops helping.
const maxProblems = 10

// strictDecoder walks a JSON tree against a Go type. Unlike encoding/json it
// refuses unknown keys (with a suggestion) and reports every type mismatch
// with its JSON path. ecspresso only warned on unknown keys and deployed
// without them, which silently loses settings.
type strictDecoder struct {
	file     string
	tree     *tree
	withPos  bool                // tree offsets match the user's file
	drop     map[string]struct{} // JSON paths accepted and ignored (read-only API fields)
	problems []Problem
}

func (d *strictDecoder) fail(path, format string, args ...any) {
	if len(d.problems) >= maxProblems {
		return
	}
	p := Problem{Path: path, Message: fmt.Sprintf(format, args...)}
	if d.withPos && d.tree != nil {
		if off, ok := d.tree.keyAt[path]; ok {
			p.Line, p.Column = lineCol(d.tree.src, off)
		}
	}
	d.problems = append(d.problems, p)
}

func (d *strictDecoder) err() error {
	if len(d.problems) == 0 {
		return nil
	}
	return &DecodeError{File: d.file, Problems: d.problems}
}

var (
	timeType          = reflect.TypeFor[time.Time]()
	jsonUnmarshalType = reflect.TypeFor[json.Unmarshaler]()
	ecsDocumentType   = reflect.TypeFor[ecsdocument.Interface]()
)

func (d *strictDecoder) decode(path string, v any, rv reflect.Value) {
	t := rv.Type()
	if v == nil {
		// null leaves the zero value, as encoding/json does.
		return
	}
	if t.Kind() != reflect.Pointer && t != timeType && reflect.PointerTo(t).Implements(jsonUnmarshalType) {
		d.decodeWithUnmarshaler(path, v, rv)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			rv.Set(reflect.New(t.Elem()))
		}
		d.decode(path, v, rv.Elem())
	case reflect.Interface:
		if t == ecsDocumentType {
			// Free JSON (a lifecycle hook's hookDetails), sent as written.
			rv.Set(reflect.ValueOf(ecsdocument.NewLazyDocument(plainValue(v))))
			return
		}
		if t.NumMethod() != 0 {
			d.fail(path, "cannot be decoded (unsupported field type %s)", t)
			return
		}
		rv.Set(reflect.ValueOf(plainValue(v)))
	case reflect.Struct:
		if t == timeType {
			d.decodeTime(path, v, rv)
			return
		}
		obj, ok := v.(map[string]any)
		if !ok {
			d.fail(path, "expected object, got %s", jsonKind(v))
			return
		}
		d.decodeStruct(path, obj, rv)
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			d.fail(path, "expected array, got %s", jsonKind(v))
			return
		}
		s := reflect.MakeSlice(t, len(arr), len(arr))
		for i, e := range arr {
			d.decode(path+"["+strconv.Itoa(i)+"]", e, s.Index(i))
		}
		rv.Set(s)
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			d.fail(path, "expected object, got %s", jsonKind(v))
			return
		}
		if t.Key().Kind() != reflect.String {
			d.fail(path, "cannot be decoded (unsupported map key type %s)", t.Key())
			return
		}
		m := reflect.MakeMapWithSize(t, len(obj))
		for _, k := range sortedKeys(obj) {
			ev := reflect.New(t.Elem()).Elem()
			d.decode(joinPath(path, k), obj[k], ev)
			m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), ev)
		}
		rv.Set(m)
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			d.fail(path, "expected string, got %s", jsonKind(v))
			return
		}
		d.checkEnum(path, s, t)
		rv.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			d.fail(path, "expected boolean, got %s", jsonKind(v))
			return
		}
		rv.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			d.fail(path, "expected integer, got %s", jsonKind(v))
			return
		}
		i, err := strconv.ParseInt(n.String(), 10, t.Bits())
		if err != nil {
			d.fail(path, "expected integer (%d-bit), got %s", t.Bits(), n)
			return
		}
		rv.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok {
			d.fail(path, "expected integer, got %s", jsonKind(v))
			return
		}
		u, err := strconv.ParseUint(n.String(), 10, t.Bits())
		if err != nil {
			d.fail(path, "expected non-negative integer, got %s", n)
			return
		}
		rv.SetUint(u)
	case reflect.Float32, reflect.Float64:
		n, ok := v.(json.Number)
		if !ok {
			d.fail(path, "expected number, got %s", jsonKind(v))
			return
		}
		f, err := strconv.ParseFloat(n.String(), t.Bits())
		if err != nil {
			d.fail(path, "expected number, got %s", n)
			return
		}
		rv.SetFloat(f)
	default:
		d.fail(path, "cannot be decoded (unsupported field type %s)", t)
	}
}

func (d *strictDecoder) decodeStruct(path string, obj map[string]any, rv reflect.Value) {
	fields := structFields(rv.Type())
	for _, key := range d.keysInSourceOrder(path, obj) {
		keyPath := joinPath(path, key)
		f, ok := fields.lookup(key)
		if !ok {
			if _, drop := d.drop[keyPath]; drop {
				continue
			}
			if hint := suggest(key, fields.names); hint != "" {
				d.fail(keyPath, "unknown field (did you mean %q?)", hint)
			} else {
				d.fail(keyPath, "unknown field")
			}
			continue
		}
		d.decode(keyPath, obj[key], rv.FieldByIndex(f.index))
	}
}

// keysInSourceOrder keeps error messages in the order the user reads the file.
func (d *strictDecoder) keysInSourceOrder(path string, obj map[string]any) []string {
	keys := sortedKeys(obj)
	if d.tree == nil {
		return keys
	}
	sort.SliceStable(keys, func(i, j int) bool {
		return d.tree.keyAt[joinPath(path, keys[i])] < d.tree.keyAt[joinPath(path, keys[j])]
	})
	return keys
}

func (d *strictDecoder) decodeTime(path string, v any, rv reflect.Value) {
	switch v := v.(type) {
	case string:
		tm, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			d.fail(path, "expected an RFC 3339 time, got %q", v)
			return
		}
		rv.Set(reflect.ValueOf(tm))
	case json.Number:
		// describe-* output from the AWS CLI prints epoch seconds with a fraction.
		f, err := v.Float64()
		if err != nil {
			d.fail(path, "expected a time, got %s", v)
			return
		}
		sec := int64(f)
		rv.Set(reflect.ValueOf(time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()))
	default:
		d.fail(path, "expected a time, got %s", jsonKind(v))
	}
}

func (d *strictDecoder) decodeWithUnmarshaler(path string, v any, rv reflect.Value) {
	raw, err := json.Marshal(v)
	if err != nil {
		d.fail(path, "%v", err)
		return
	}
	if err := rv.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(raw); err != nil {
		d.fail(path, "%v", err)
	}
}

// checkEnum catches the one enum mistake ECS would reject late: right value,
// wrong case ("AWSVPC" for "awsvpc"). Values unknown to this SDK version pass,
// because ECS adds enum values faster than doppio is released.
func (d *strictDecoder) checkEnum(path, s string, t reflect.Type) {
	if t.Kind() != reflect.String || t.PkgPath() == "" {
		return
	}
	m, ok := t.MethodByName("Values")
	if !ok || m.Type.NumIn() != 1 || m.Type.NumOut() != 1 {
		return
	}
	out := m.Func.Call([]reflect.Value{reflect.Zero(t)})[0]
	if out.Kind() != reflect.Slice {
		return
	}
	var fold string
	for i := 0; i < out.Len(); i++ {
		val := out.Index(i).String()
		if val == s {
			return
		}
		if strings.EqualFold(val, s) {
			fold = val
		}
	}
	if fold != "" {
		d.fail(path, "invalid value %q (did you mean %q?)", s, fold)
	}
}

type fieldInfo struct {
	name  string // the JSON name shown to users
	index []int
}

type fieldSet struct {
	byName map[string]fieldInfo
	names  []string
}

// lookup matches like encoding/json: exact name first, then case-insensitive,
// because ecspresso users sometimes write PascalCase keys.
func (fs fieldSet) lookup(key string) (fieldInfo, bool) {
	if f, ok := fs.byName[key]; ok {
		return f, true
	}
	for name, f := range fs.byName {
		if strings.EqualFold(name, key) {
			return f, true
		}
	}
	return fieldInfo{}, false
}

var fieldCache sync.Map // reflect.Type → fieldSet

func structFields(t reflect.Type) fieldSet {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(fieldSet)
	}
	fs := fieldSet{byName: map[string]fieldInfo{}}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name := lowerFirst(sf.Name)
		if tag, ok := sf.Tag.Lookup("json"); ok {
			tagName, _, _ := strings.Cut(tag, ",")
			if tagName == "-" {
				continue
			}
			if tagName != "" {
				name = tagName
			}
		}
		fs.byName[name] = fieldInfo{name: name, index: sf.Index}
		fs.names = append(fs.names, name)
	}
	sort.Strings(fs.names)
	fieldCache.Store(t, fs)
	return fs
}

// lowerFirst turns an SDK field name into the API's JSON member name.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number, float64, int, int64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// plainValue turns json.Number into int64 or float64 so that values kept raw
// (appspec, plugin config) look like ordinary decoded JSON.
func plainValue(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = plainValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = plainValue(e)
		}
		return out
	}
	return v
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// suggest returns the candidate closest to key, if it is close enough to be a
// plausible typo.
func suggest(key string, candidates []string) string {
	lk := strings.ToLower(key)
	// Edit distance first: "service_defintion" means service_definition,
	// not service, and "environmentFile" environmentFiles, not environment.
	best, bestDist := "", -1
	for _, c := range candidates {
		dist := levenshtein(lk, strings.ToLower(c))
		if bestDist < 0 || dist < bestDist {
			best, bestDist = c, dist
		}
	}
	limit := 2
	if l := len(key) / 3; l > limit {
		limit = l
	}
	if bestDist >= 0 && bestDist <= limit {
		return best
	}
	// Then a truncated name ("application" for "application_name"), far in
	// edit distance but obviously meant: the closest such candidate.
	best, bestDist = "", -1
	for _, c := range candidates {
		lc := strings.ToLower(c)
		if len(lk) < 4 || !strings.HasPrefix(lc, lk) && !strings.HasPrefix(lk, lc) {
			continue
		}
		if dist := levenshtein(lk, lc); bestDist < 0 || dist < bestDist {
			best, bestDist = c, dist
		}
	}
	return best
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
