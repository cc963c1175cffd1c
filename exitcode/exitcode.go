// Package exitcode holds doppio's process exit codes, which are part of its
// interface (CI gates on them), and an error type that carries one.
package exitcode

import "errors"

const (
	OK      = 0 // success
	Error   = 1 // doppio could not do what was asked (bad input, AWS error)
	Diff    = 2 // differences found (diff --exit-code)
	Failed  = 3 // a check or rollout failed: verify NG, deployment failed or rolled back, task exited non-zero
	Timeout = 4 // timed out waiting
)

// CodedError is an error that decides the process exit code.
type CodedError struct {
	Code int
	Err  error
}

func (e *CodedError) Error() string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

func (e *CodedError) Unwrap() error { return e.Err }

// With wraps err so that the process exits with code. A nil err with a
// non-zero code is allowed: the command already printed what happened.
func With(code int, err error) error { return &CodedError{Code: code, Err: err} }

// Of returns the exit code err asks for: 0 for nil, the carried code for a
// CodedError anywhere in the chain, else 1.
func Of(err error) int {
	if err == nil {
		return OK
	}
	var ce *CodedError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return Error
}
