package awsemu

import (
	"net/http"
	"time"

	"github.com/doppio-ecs/doppio/tests/awsemu/core"
)

// The services in this package predate the core package; these names keep
// them reading as before. Services added since live in packages of their own
// (tests/awsemu/<service>) and use core directly.
type (
	// Clock is the emulator's notion of now (see core.Clock).
	Clock = core.Clock
	// ManualClock only moves when a test advances it (see core.ManualClock).
	ManualClock = core.ManualClock
	// RealClock follows wall time, sped up (see core.RealClock).
	RealClock = core.RealClock
	// Fault describes misbehaviour injected into matching operations.
	Fault = core.Fault
	// RateLimit is a per-operation token bucket like AWS's (see core.RateLimit).
	RateLimit = core.RateLimit
	// Request is one call as the request log keeps it.
	Request = core.Request
	// RequestLog records every request the emulator sees.
	RequestLog = core.RequestLog
	// APIError is an AWS error response.
	APIError = core.APIError

	call     = core.Call
	jsonOp   = core.JSONOp
	queryOp  = core.QueryOp
	identity = core.Identity
)

// NewManualClock starts at start (a fixed, readable instant when zero).
func NewManualClock(start time.Time) *ManualClock { return core.NewManualClock(start) }

// NewRealClock returns a wall clock running speed times faster than real time.
func NewRealClock(speed float64) *RealClock { return core.NewRealClock(speed) }

// ParseFault reads a fault from key=value words (see core.ParseFault).
func ParseFault(words []string) (Fault, error) { return core.ParseFault(words) }

// ParseRateLimits reads one --rate-limit value (see core.ParseRateLimits).
func ParseRateLimits(spec string) (map[string]RateLimit, error) { return core.ParseRateLimits(spec) }

// IsMutating tells whether an operation changes state in AWS.
func IsMutating(op string) bool { return core.IsMutating(op) }

func op[I any](fn func(in *I) (any, error)) jsonOp { return core.Op(fn) }

func apiErr(code, format string, args ...any) *APIError { return core.APIErr(code, format, args...) }

func asAPIError(err error) *APIError { return core.AsAPIError(err) }

func formList(form map[string][]string, name string) []string { return core.FormList(form, name) }

func sortedKeys[V any](m map[string]V) []string { return core.SortedKeys(m) }

func wireEncode(v any, lowerFirst bool) any { return core.WireEncode(v, lowerFirst) }

func wireDecode(body []byte, out any) error { return core.WireDecode(body, out) }

func writeJSONError(w http.ResponseWriter, ae *APIError) { core.WriteJSONError(w, ae) }
