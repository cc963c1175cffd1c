package core

import (
	"errors"
	"fmt"
	"net/http"
)

// APIError is an AWS error response: Code is the exception name AWS sends
// (ClusterNotFoundException, NoSuchEntity ...).
type APIError struct {
	Code    string
	Message string
	Status  int // HTTP status; 400 when zero
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// StatusCode is the HTTP status the error is answered with.
func (e *APIError) StatusCode() int {
	if e.Status == 0 {
		return http.StatusBadRequest
	}
	return e.Status
}

// APIErr builds a 400 APIError with a formatted message.
func APIErr(code, format string, args ...any) *APIError {
	return &APIError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// AsAPIError is err as AWS would answer it: itself when it is an APIError,
// else an InternalFailure.
func AsAPIError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return &APIError{Code: "InternalFailure", Message: err.Error(), Status: 500}
}
