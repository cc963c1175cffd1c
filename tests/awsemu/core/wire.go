package core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The emulator keeps its state in aws-sdk-go-v2 types, which carry no JSON
// tags. These two functions translate between those types and the awsJson1_1
// wire form: member names are the Go field names (lowerCamel for ECS, ECR,
// Logs and CodeDeploy; PascalCase for SSM, Secrets Manager and Application
// Auto Scaling), timestamps are epoch seconds.

// wireEncode turns v into a tree json.Marshal writes as AWS would.
// WireEncode turns an SDK value into its JSON wire form (lowerCamel member
// names when lowerFirst).
func WireEncode(v any, lowerFirst bool) any {
	return encodeValue(reflect.ValueOf(v), lowerFirst)
}

var timeType = reflect.TypeOf(time.Time{})

func encodeValue(v reflect.Value, lower bool) any {
	if !v.IsValid() {
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		if d, ok := v.Interface().(smithyDocument); ok {
			return documentValue(d)
		}
		return encodeValue(v.Elem(), lower)
	}
	if v.Type() == timeType {
		t := v.Interface().(time.Time)
		return float64(t.UnixNano()) / 1e9
	}
	switch v.Kind() {
	case reflect.Struct:
		out := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			fv := v.Field(i)
			// Non-pointer strings in SDK types are enums: empty means unset.
			if fv.Kind() == reflect.String && fv.Len() == 0 {
				continue
			}
			if (fv.Kind() == reflect.Slice || fv.Kind() == reflect.Map) && fv.IsNil() {
				continue
			}
			enc := encodeValue(fv, lower)
			if enc == nil {
				continue
			}
			out[memberName(f.Name, lower)] = enc
		}
		return out
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Bytes() // json.Marshal writes base64, as AWS blobs are.
		}
		out := make([]any, 0, v.Len())
		for i := 0; i < v.Len(); i++ {
			out = append(out, encodeValue(v.Index(i), lower))
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		iter := v.MapRange()
		for iter.Next() {
			out[fmt.Sprint(iter.Key().Interface())] = encodeValue(iter.Value(), lower)
		}
		return out
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return f
	default:
		return v.Interface()
	}
}

func memberName(goName string, lower bool) string {
	if !lower {
		return goName
	}
	r, size := utf8.DecodeRuneInString(goName)
	return string(unicode.ToLower(r)) + goName[size:]
}

// wireDecode fills the SDK input struct pointed to by out from an awsJson1_1
// body. Member names match case-insensitively; numbers become timestamps
// where the Go type is time.Time.
// WireDecode reads a JSON wire body into an SDK input struct.
func WireDecode(body []byte, out any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	var raw any
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("malformed JSON body: %w", err)
	}
	return decodeInto(raw, reflect.ValueOf(out).Elem(), "")
}

func decodeInto(raw any, v reflect.Value, path string) error {
	if raw == nil {
		return nil
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return decodeInto(raw, v.Elem(), path)
	}
	if v.Type() == timeType {
		switch x := raw.(type) {
		case json.Number:
			f, err := x.Float64()
			if err != nil {
				return fmt.Errorf("%s: invalid timestamp", path)
			}
			sec, frac := math.Modf(f)
			v.Set(reflect.ValueOf(time.Unix(int64(sec), int64(frac*1e9)).UTC()))
			return nil
		case string:
			t, err := time.Parse(time.RFC3339, x)
			if err != nil {
				return fmt.Errorf("%s: invalid timestamp %q", path, x)
			}
			v.Set(reflect.ValueOf(t))
			return nil
		}
		return fmt.Errorf("%s: expected timestamp", path)
	}
	mismatch := func() error {
		return &APIError{Code: "SerializationException", Message: fmt.Sprintf("Unexpected value type at %s", strings.TrimPrefix(path, "."))}
	}
	switch v.Kind() {
	case reflect.Struct:
		obj, ok := raw.(map[string]any)
		if !ok {
			return mismatch()
		}
		t := v.Type()
		for key, val := range obj {
			for i := 0; i < t.NumField(); i++ {
				f := t.Field(i)
				if f.IsExported() && strings.EqualFold(f.Name, key) {
					if err := decodeInto(val, v.Field(i), path+"."+key); err != nil {
						return err
					}
					break
				}
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			s, ok := raw.(string)
			if !ok {
				return mismatch()
			}
			var b []byte
			if err := json.Unmarshal([]byte(`"`+s+`"`), &b); err != nil {
				return mismatch()
			}
			v.SetBytes(b)
			return nil
		}
		arr, ok := raw.([]any)
		if !ok {
			return mismatch()
		}
		s := reflect.MakeSlice(v.Type(), len(arr), len(arr))
		for i, el := range arr {
			if err := decodeInto(el, s.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(s)
	case reflect.Map:
		obj, ok := raw.(map[string]any)
		if !ok {
			return mismatch()
		}
		m := reflect.MakeMapWithSize(v.Type(), len(obj))
		for key, val := range obj {
			ev := reflect.New(v.Type().Elem()).Elem()
			if err := decodeInto(val, ev, path+"."+key); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), ev)
		}
		v.Set(m)
	case reflect.String:
		s, ok := raw.(string)
		if !ok {
			return mismatch()
		}
		v.SetString(s)
	case reflect.Bool:
		b, ok := raw.(bool)
		if !ok {
			return mismatch()
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := raw.(json.Number)
		if !ok {
			return mismatch()
		}
		i, err := n.Int64()
		if err != nil {
			return mismatch()
		}
		v.SetInt(i)
	case reflect.Float32, reflect.Float64:
		n, ok := raw.(json.Number)
		if !ok {
			return mismatch()
		}
		f, err := n.Float64()
		if err != nil {
			return mismatch()
		}
		v.SetFloat(f)
	case reflect.Interface:
		// Documents (free JSON such as ECS hookDetails) keep the raw value;
		// unions are not used by the emulated operations.
		if mk := documentMakers[v.Type()]; mk != nil {
			v.Set(reflect.ValueOf(mk(raw)))
		}
	}
	return nil
}

// smithyDocument is what the SDKs' document types implement.
type smithyDocument interface {
	MarshalSmithyDocument() ([]byte, error)
}

func documentValue(d smithyDocument) any {
	b, err := d.MarshalSmithyDocument()
	if err != nil {
		return nil
	}
	var out any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if dec.Decode(&out) != nil {
		return nil
	}
	return out
}

// documentMakers build a service's document type (e.g. ECS's
// document.Interface) from a decoded JSON value.
var documentMakers = map[reflect.Type]func(raw any) any{}

// RegisterDocument teaches WireDecode to fill fields of the document
// interface type t with make(raw).
func RegisterDocument(t reflect.Type, make func(raw any) any) { documentMakers[t] = make }
