// Package lambda emulates AWS Lambda as far as ECS deployment lifecycle hooks
// need it: CreateFunction, GetFunction, DeleteFunction and Invoke over the
// restJson1 protocol (paths under /2015-03-31/functions).
//
// No code runs: what a function answers comes from its environment
// variables, the way container behaviour comes from docker labels in the ECS
// emulator (see Answer).
package lambda

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/doppio-ecs/doppio/tests/awsemu/core"
)

// Environment variables of a function that decide what it answers.
const (
	// EnvResponse, when set, is the whole payload every invocation returns.
	EnvResponse = "AWSEMU_RESPONSE"
	// EnvFunctionError, when set, makes every invocation fail (an unhandled
	// error) with this message.
	EnvFunctionError = "AWSEMU_FUNCTION_ERROR"
	// EnvHookStatus is the hookStatus a lifecycle hook answers once done:
	// SUCCEEDED (default) or FAILED.
	EnvHookStatus = "AWSEMU_HOOK_STATUS"
	// EnvHookInProgressCalls makes the first N invocations answer IN_PROGRESS.
	EnvHookInProgressCalls = "AWSEMU_HOOK_IN_PROGRESS_CALLS"
	// EnvHookCallBackDelay is the callBackDelay (seconds) sent with IN_PROGRESS.
	EnvHookCallBackDelay = "AWSEMU_HOOK_CALLBACK_DELAY"
)

// Service is the Lambda state of one emulator.
type Service struct {
	srv             *core.Server
	region, account string

	mu  sync.Mutex
	fns map[string]*function // by name
}

type function struct {
	cfg   Configuration
	calls int
}

// Configuration is a function as GetFunction and CreateFunction report it.
type Configuration struct {
	FunctionName string       `json:"FunctionName"`
	FunctionArn  string       `json:"FunctionArn"`
	Runtime      string       `json:"Runtime,omitempty"`
	Role         string       `json:"Role"`
	Handler      string       `json:"Handler,omitempty"`
	CodeSize     int64        `json:"CodeSize"`
	Description  string       `json:"Description"`
	Timeout      int32        `json:"Timeout"`
	MemorySize   int32        `json:"MemorySize"`
	LastModified string       `json:"LastModified"`
	CodeSha256   string       `json:"CodeSha256"`
	Version      string       `json:"Version"`
	Environment  *Environment `json:"Environment,omitempty"`
	State        string       `json:"State"`
	PackageType  string       `json:"PackageType"`
	Architecture []string     `json:"Architectures"`
}

// Environment holds a function's variables.
type Environment struct {
	Variables map[string]string `json:"Variables"`
}

// New registers nothing on srv (Lambda speaks REST, which the emulator
// routes itself); it only shares the clock and ids.
func New(srv *core.Server, region, account string) *Service {
	return &Service{srv: srv, region: region, account: account, fns: map[string]*function{}}
}

var validName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// Spec is a function to seed or create.
type Spec struct {
	Name        string            `json:"name" yaml:"name"`
	Role        string            `json:"role,omitempty" yaml:"role,omitempty"`
	Runtime     string            `json:"runtime,omitempty" yaml:"runtime,omitempty"`
	Handler     string            `json:"handler,omitempty" yaml:"handler,omitempty"`
	Environment map[string]string `json:"environment,omitempty" yaml:"environment,omitempty"`
}

// Put creates (or replaces) a function and returns its ARN.
func (s *Service) Put(spec Spec) (string, error) {
	if !validName.MatchString(spec.Name) {
		return "", core.APIErr("InvalidParameterValueException", "1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?", spec.Name)
	}
	if spec.Role == "" {
		spec.Role = fmt.Sprintf("arn:aws:iam::%s:role/lambda-role", s.account)
	}
	cfg := Configuration{
		FunctionName: spec.Name, FunctionArn: s.ARN(spec.Name), Runtime: spec.Runtime, Role: spec.Role, Handler: spec.Handler,
		CodeSize: 256, Timeout: 3, MemorySize: 128, LastModified: s.srv.Now().Format("2006-01-02T15:04:05.000+0000"),
		CodeSha256: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", Version: "$LATEST", State: "Active", PackageType: "Zip",
		Architecture: []string{"x86_64"},
	}
	if len(spec.Environment) > 0 {
		cfg.Environment = &Environment{Variables: spec.Environment}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fns[spec.Name] = &function{cfg: cfg}
	return cfg.FunctionArn, nil
}

// ARN is the ARN of the function named name.
func (s *Service) ARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", s.region, s.account, name)
}

// nameOf accepts a name, a full ARN or a partial ARN, with or without a
// qualifier, as Lambda does.
func nameOf(ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.Split(ref, ":")
		if len(parts) >= 7 {
			return parts[6]
		}
		return ref
	}
	if i := strings.Index(ref, "function:"); i >= 0 {
		ref = ref[i+len("function:"):]
	}
	name, _, _ := strings.Cut(ref, ":")
	return name
}

func (s *Service) notFound(ref string) *core.APIError {
	return &core.APIError{Code: "ResourceNotFoundException", Message: "Function not found: " + s.ARN(nameOf(ref)), Status: 404}
}

// Exists tells whether the function ref (name or ARN) exists.
func (s *Service) Exists(ref string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fns[nameOf(ref)] != nil
}

// Invoke runs function ref with payload and returns what it answers, and
// the unhandled error message when the function failed ("" otherwise).
func (s *Service) Invoke(ref string, payload []byte) (out []byte, functionError string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn := s.fns[nameOf(ref)]
	if fn == nil {
		return nil, "", s.notFound(ref)
	}
	fn.calls++
	out, functionError = fn.answer()
	return out, functionError, nil
}

// answer is what the function returns for its fn.calls-th invocation.
func (fn *function) answer() ([]byte, string) {
	env := map[string]string{}
	if fn.cfg.Environment != nil {
		env = fn.cfg.Environment.Variables
	}
	if msg := env[EnvFunctionError]; msg != "" {
		b, _ := json.Marshal(map[string]any{"errorMessage": msg, "errorType": "Error"})
		return b, "Unhandled"
	}
	if r, ok := env[EnvResponse]; ok {
		return []byte(r), ""
	}
	if n, _ := strconv.Atoi(env[EnvHookInProgressCalls]); fn.calls <= n {
		ans := map[string]any{"hookStatus": "IN_PROGRESS"}
		if d, err := strconv.Atoi(env[EnvHookCallBackDelay]); err == nil {
			ans["callBackDelay"] = d
		}
		b, _ := json.Marshal(ans)
		return b, ""
	}
	status := env[EnvHookStatus]
	if status == "" {
		status = "SUCCEEDED"
	}
	b, _ := json.Marshal(map[string]string{"hookStatus": status})
	return b, ""
}

// Operation names the Lambda operation a REST request performs.
func Operation(r *http.Request) string {
	rest, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions")
	if !ok {
		return "Lambda" + r.Method
	}
	rest = strings.Trim(rest, "/")
	switch {
	case rest == "" && r.Method == http.MethodPost:
		return "CreateFunction"
	case rest == "" && r.Method == http.MethodGet:
		return "ListFunctions"
	case strings.HasSuffix(rest, "/invocations") && r.Method == http.MethodPost:
		return "Invoke"
	case !strings.Contains(rest, "/") && r.Method == http.MethodGet:
		return "GetFunction"
	case !strings.Contains(rest, "/") && r.Method == http.MethodDelete:
		return "DeleteFunction"
	case strings.HasSuffix(rest, "/configuration") && r.Method == http.MethodGet:
		return "GetFunctionConfiguration"
	}
	return "Lambda" + r.Method
}

// ServeHTTP answers one restJson1 Lambda request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions"), "/")
	name, _, _ := strings.Cut(rest, "/")
	var (
		out    any
		status = http.StatusOK
		err    error
	)
	switch Operation(r) {
	case "CreateFunction":
		out, err = s.createFunction(r)
		status = http.StatusCreated
	case "ListFunctions":
		out = s.listFunctions()
	case "GetFunction":
		out, err = s.getFunction(name, true)
	case "GetFunctionConfiguration":
		out, err = s.getFunction(name, false)
	case "DeleteFunction":
		err = s.deleteFunction(name)
		status = http.StatusNoContent
	case "Invoke":
		s.invoke(w, r, name)
		return
	default:
		err = &core.APIError{Code: "UnknownOperationException", Message: "awsemu: unknown Lambda operation " + r.Method + " " + r.URL.Path, Status: 404}
	}
	if err != nil {
		WriteError(w, core.AsAPIError(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if out != nil {
		_ = json.NewEncoder(w).Encode(out)
	}
}

// WriteError answers ae as restJson1 services do.
func WriteError(w http.ResponseWriter, ae *core.APIError) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", ae.Code)
	w.WriteHeader(ae.StatusCode())
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": ae.Message})
}

type createInput struct {
	FunctionName string
	Runtime      string
	Role         string
	Handler      string
	Environment  *Environment
	Code         map[string]any
}

func (s *Service) createFunction(r *http.Request) (any, error) {
	body, err := core.ReadBody(r)
	if err != nil {
		return nil, err
	}
	var in createInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, core.APIErr("InvalidRequestContentException", "Could not parse request body into json: %v", err)
	}
	if in.Role == "" {
		return nil, core.APIErr("ValidationException", "1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null")
	}
	s.mu.Lock()
	exists := s.fns[in.FunctionName] != nil
	s.mu.Unlock()
	if exists {
		return nil, &core.APIError{Code: "ResourceConflictException", Message: "Function already exist: " + in.FunctionName, Status: 409}
	}
	spec := Spec{Name: in.FunctionName, Role: in.Role, Runtime: in.Runtime, Handler: in.Handler}
	if in.Environment != nil {
		spec.Environment = in.Environment.Variables
	}
	if _, err := s.Put(spec); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fns[in.FunctionName].cfg, nil
}

func (s *Service) listFunctions() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := struct {
		Functions []Configuration `json:"Functions"`
	}{Functions: []Configuration{}}
	for _, name := range core.SortedKeys(s.fns) {
		out.Functions = append(out.Functions, s.fns[name].cfg)
	}
	return out
}

func (s *Service) getFunction(ref string, withCode bool) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn := s.fns[nameOf(ref)]
	if fn == nil {
		return nil, s.notFound(ref)
	}
	if !withCode {
		return fn.cfg, nil
	}
	return map[string]any{
		"Configuration": fn.cfg,
		"Code":          map[string]string{"RepositoryType": "S3", "Location": "https://awslambda-" + s.region + "-tasks.s3." + s.region + ".amazonaws.com/snapshots/" + s.account + "/" + fn.cfg.FunctionName},
	}, nil
}

func (s *Service) deleteFunction(ref string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := nameOf(ref)
	if s.fns[name] == nil {
		return s.notFound(ref)
	}
	delete(s.fns, name)
	return nil
}

func (s *Service) invoke(w http.ResponseWriter, r *http.Request, ref string) {
	body, err := core.ReadBody(r)
	if err != nil {
		WriteError(w, core.AsAPIError(err))
		return
	}
	if len(body) > 0 && !json.Valid(body) {
		WriteError(w, core.APIErr("InvalidRequestContentException", "Could not parse request body into json: Could not parse payload into json"))
		return
	}
	out, fnErr, err := s.Invoke(ref, body)
	if err != nil {
		WriteError(w, core.AsAPIError(err))
		return
	}
	if t := r.Header.Get("X-Amz-Invocation-Type"); t == "Event" {
		w.WriteHeader(http.StatusAccepted)
		return
	} else if t == "DryRun" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	if fnErr != "" {
		w.Header().Set("X-Amz-Function-Error", fnErr)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}
