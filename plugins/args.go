package plugins

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// usage describes a function's arguments in its errors, e.g. "NAME [INDEX]".
func arity(fn, usage string, args []any, min, max int) error {
	if len(args) < min || len(args) > max {
		return fmt.Errorf("%s: expects %s, got %d argument(s)", fn, usage, len(args))
	}
	return nil
}

func stringArg(fn, param string, v any) (string, error) {
	switch s := v.(type) {
	case string:
		return s, nil
	case fmt.Stringer:
		return s.String(), nil
	default:
		return "", fmt.Errorf("%s: %s must be a string, got %T (%v)", fn, param, v, v)
	}
}

// indexArg accepts what templates (int literals, strings) and Jsonnet
// (float64) pass for a list index.
func indexArg(fn, param string, v any) (int, error) {
	bad := func() (int, error) {
		return 0, fmt.Errorf("%s: %s must be a non-negative integer, got %T (%v)", fn, param, v, v)
	}
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int8:
		n = int64(x)
	case int16:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case uint8:
		n = int64(x)
	case uint16:
		n = int64(x)
	case uint32:
		n = int64(x)
	case uint:
		if uint64(x) > math.MaxInt32 {
			return bad()
		}
		n = int64(x)
	case uint64:
		if x > math.MaxInt32 {
			return bad()
		}
		n = int64(x)
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) || x > math.MaxInt32 {
			return bad()
		}
		n = int64(x)
	case float32:
		if float64(x) != math.Trunc(float64(x)) || float64(x) > math.MaxInt32 {
			return bad()
		}
		n = int64(x)
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			return bad()
		}
		n = i
	case string:
		i, err := strconv.Atoi(x)
		if err != nil {
			return bad()
		}
		n = int64(i)
	default:
		return bad()
	}
	if n < 0 || n > math.MaxInt32 {
		return bad()
	}
	return int(n), nil
}
