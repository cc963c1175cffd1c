package awsemu

import (
	"net/http"

	"github.com/doppio-ecs/doppio/tests/awsemu/lambda"
)

// The Lambda service lives in tests/awsemu/lambda; this file mounts it.

// PutFunction creates (or replaces) a Lambda function and returns its ARN.
// Its environment decides what it answers (lambda.EnvHookStatus, ...).
func (e *Emulator) PutFunction(spec lambda.Spec) (string, error) {
	return e.services.lambda.Put(spec)
}

// Lambda is the emulated Lambda service.
func (e *Emulator) Lambda() *lambda.Service { return e.services.lambda }

func (e *Emulator) serveLambda(w http.ResponseWriter, r *http.Request) {
	writeErr := func(w http.ResponseWriter, ae *APIError) { lambda.WriteError(w, ae) }
	e.serveREST(w, r, "Lambda", lambda.Operation(r), "TooManyRequestsException", writeErr, e.services.lambda)
}
