package core

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// JSONService serves one awsJson1_1 service.
type JSONService struct {
	name       string // short name used in the request log and fault patterns, e.g. "ECS"
	lowerFirst bool   // member names on the wire: lowerCamel (true) or PascalCase
	ops        map[string]JSONOp
}

// JSONOp handles one operation. It decodes the body itself (see Op) and
// returns the output value (an SDK output type or a map) or an error.
type JSONOp func(c *Call) (any, error)

// Call is one request being served.
type Call struct {
	Caller Identity // see Server.Identify
	Body   []byte
	// Params are the request's key parameters as the request log keeps them.
	Params map[string]string
	Lower  bool       // JSON member names are lowerCamel
	Form   url.Values // awsQuery parameters
}

// Decode reads the request body into an SDK input struct and notes its key
// parameters for the request log.
func (c *Call) Decode(in any) error {
	if err := WireDecode(c.Body, in); err != nil {
		if ae, ok := err.(*APIError); ok {
			return ae
		}
		return &APIError{Code: "SerializationException", Message: err.Error()}
	}
	NoteParams(c.Params, in)
	return nil
}

// Op adapts a typed handler into a JSONOp.
func Op[I any](fn func(in *I) (any, error)) JSONOp {
	return func(c *Call) (any, error) {
		in := new(I)
		if err := c.Decode(in); err != nil {
			return nil, err
		}
		return fn(in)
	}
}

// bodyMembers splits a JSON request body into its top-level members for the
// request log; nil for a body that is not a JSON object. Members named like
// secrets are left out.
func bodyMembers(body []byte) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil || len(m) == 0 {
		return nil
	}
	for k := range m {
		for secret := range secretParams {
			if strings.EqualFold(k, secret) {
				delete(m, k)
			}
		}
	}
	return m
}

// secretParams are never copied into the request log: a dumped log must not
// leak parameter or secret values.
var secretParams = map[string]bool{"Value": true, "SecretString": true, "SecretBinary": true, "Password": true}

// NoteParams keeps the top-level scalar parameters (cluster, service, family,
// names ...) of a request for the log.
func NoteParams(params map[string]string, in any) {
	v := reflect.ValueOf(in)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || secretParams[f.Name] {
			continue
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Pointer && !fv.IsNil() {
			fv = fv.Elem()
		}
		switch fv.Kind() {
		case reflect.String:
			if fv.Len() > 0 {
				params[f.Name] = fv.String()
			}
		case reflect.Bool:
			if fv.Bool() {
				params[f.Name] = "true"
			}
		case reflect.Int32, reflect.Int64, reflect.Int:
			if f.Type.Kind() == reflect.Pointer {
				params[f.Name] = fmt.Sprint(fv.Int())
			}
		case reflect.Slice:
			if fv.Type().Elem().Kind() == reflect.String && fv.Len() > 0 {
				parts := make([]string, fv.Len())
				for j := range parts {
					parts[j] = fv.Index(j).String()
				}
				params[f.Name] = strings.Join(parts, ",")
			}
		}
	}
}

func (s *JSONService) serve(e *Server, w http.ResponseWriter, r *http.Request, opName string) {
	caller := e.identify(r)
	req := Request{Time: e.Now(), Service: s.name, Operation: opName, Mutating: IsMutating(opName), Params: map[string]string{}, Caller: caller.ARN}
	defer func() { e.Log.Add(req) }()
	fv, done, ae := e.ApplyFaults(w, r, s.name, opName, "ThrottlingException", WriteJSONError)
	if done {
		req.Status, req.ErrorCode = ae.Status, ae.Code
		return
	}
	handler, ok := s.ops[opName]
	if !ok {
		ae := &APIError{Code: "UnknownOperationException", Message: fmt.Sprintf("awsemu does not emulate %s.%s", s.name, opName)}
		WriteJSONError(w, ae)
		req.Status, req.ErrorCode = ae.StatusCode(), ae.Code
		return
	}
	body, err := ReadBody(r)
	if err != nil {
		ae := &APIError{Code: "SerializationException", Message: err.Error()}
		WriteJSONError(w, ae)
		req.Status, req.ErrorCode = ae.StatusCode(), ae.Code
		return
	}
	req.Members = bodyMembers(body)
	c := &Call{Caller: caller, Body: body, Params: req.Params, Lower: s.lowerFirst}
	out, err := handler(c)
	if err != nil {
		ae := AsAPIError(err)
		WriteJSONError(w, ae)
		req.Status, req.ErrorCode = ae.StatusCode(), ae.Code
		return
	}
	payload, err := json.Marshal(encodeOutput(out, s.lowerFirst))
	if err != nil {
		ae := &APIError{Code: "InternalFailure", Message: err.Error(), Status: 500}
		WriteJSONError(w, ae)
		req.Status, req.ErrorCode = ae.StatusCode(), ae.Code
		return
	}
	if fv.DropAfter() && HangUp(w) {
		req.Status, req.ErrorCode = http.StatusOK, DroppedAfterApply
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", e.NewID(16))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(payload)
	req.Status = http.StatusOK
}

func encodeOutput(out any, lower bool) any {
	if out == nil {
		return map[string]any{}
	}
	if m, ok := out.(map[string]any); ok {
		return m
	}
	enc := WireEncode(out, lower)
	if enc == nil {
		return map[string]any{}
	}
	return enc
}

// WriteJSONError writes an awsJson error response.
func WriteJSONError(w http.ResponseWriter, ae *APIError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", ae.Code)
	w.WriteHeader(ae.StatusCode())
	b, _ := json.Marshal(map[string]string{"__type": ae.Code, "message": ae.Message})
	_, _ = w.Write(b)
}

// QueryService serves one awsQuery (XML) service, or one in EC2's flavour
// of the query protocol.
type QueryService struct {
	name    string // short name for the log, e.g. "IAM"
	xmlns   string // e.g. https://iam.amazonaws.com/doc/2010-05-08/
	version string
	ops     map[string]QueryOp
	ec2     bool // EC2's flavour: no Result wrapper, <requestId>, <Response><Errors>
}

// QueryOp handles one operation; the returned value is XML-encoded inside
// <OpResult> (awsQuery) or directly inside <OpResponse> (EC2), so its fields
// carry xml tags (and no XMLName).
type QueryOp func(c *Call) (any, error)

func (s *QueryService) serve(e *Server, w http.ResponseWriter, r *http.Request) {
	caller := e.identify(r)
	req := Request{Time: e.Now(), Service: s.name, Params: map[string]string{}, Caller: caller.ARN}
	defer func() { e.Log.Add(req) }()
	if r.PostForm == nil {
		if err := r.ParseForm(); err != nil {
			s.writeError(w, &APIError{Code: "MalformedInput", Message: err.Error()})
			req.Status, req.ErrorCode = 400, "MalformedInput"
			return
		}
	}
	form := r.Form
	opName := form.Get("Action")
	req.Operation = opName
	req.Mutating = IsMutating(opName)
	for k, vs := range form {
		if k != "Action" && k != "Version" && len(vs) > 0 {
			req.Params[k] = vs[0]
		}
	}
	throttle := "Throttling"
	if s.ec2 {
		throttle = "RequestLimitExceeded"
	}
	fv, done, ae := e.ApplyFaults(w, r, s.name, opName, throttle, s.writeError)
	if done {
		req.Status, req.ErrorCode = ae.Status, ae.Code
		return
	}
	handler, ok := s.ops[opName]
	if !ok {
		ae := &APIError{Code: "InvalidAction", Message: fmt.Sprintf("Could not find operation %s for version %s", opName, s.version)}
		s.writeError(w, ae)
		req.Status, req.ErrorCode = ae.StatusCode(), ae.Code
		return
	}
	out, err := handler(&Call{Caller: caller, Form: form, Params: req.Params})
	if err != nil {
		ae := AsAPIError(err)
		s.writeError(w, ae)
		req.Status, req.ErrorCode = ae.StatusCode(), ae.Code
		return
	}
	body, err := s.encodeResponse(opName, out, e.NewID(16))
	if err != nil {
		ae := &APIError{Code: "InternalFailure", Message: err.Error(), Status: 500}
		s.writeError(w, ae)
		req.Status, req.ErrorCode = ae.StatusCode(), ae.Code
		return
	}
	if fv.DropAfter() && HangUp(w) {
		req.Status, req.ErrorCode = http.StatusOK, DroppedAfterApply
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	req.Status = http.StatusOK
}

// encodeResponse writes a successful answer: awsQuery wraps the output in
// <OpResult> and ends with <ResponseMetadata>; EC2 puts <requestId> first
// and the output's members directly in <OpResponse>.
func (s *QueryService) encodeResponse(opName string, out any, requestID string) ([]byte, error) {
	if out == nil {
		out = struct{}{}
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	fmt.Fprintf(&buf, `<%sResponse xmlns="%s">`, opName, s.xmlns)
	if !s.ec2 {
		if err := xml.NewEncoder(&buf).EncodeElement(out, xml.StartElement{Name: xml.Name{Local: opName + "Result"}}); err != nil {
			return nil, err
		}
		fmt.Fprintf(&buf, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, requestID, opName)
		return buf.Bytes(), nil
	}
	fmt.Fprintf(&buf, `<requestId>%s</requestId>`, requestID)
	// Encode under a throw-away element and keep only its content: the
	// output's members belong directly in <OpResponse>.
	var inner bytes.Buffer
	if err := xml.NewEncoder(&inner).EncodeElement(out, xml.StartElement{Name: xml.Name{Local: "x"}}); err != nil {
		return nil, err
	}
	content := strings.TrimSuffix(strings.TrimPrefix(inner.String(), "<x>"), "</x>")
	buf.WriteString(content)
	fmt.Fprintf(&buf, `</%sResponse>`, opName)
	return buf.Bytes(), nil
}

func (s *QueryService) writeError(w http.ResponseWriter, ae *APIError) {
	kind := "Sender"
	if ae.StatusCode() >= 500 {
		kind = "Receiver"
	}
	var msg bytes.Buffer
	_ = xml.EscapeText(&msg, []byte(ae.Message))
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(ae.StatusCode())
	if s.ec2 {
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>00000000-0000-0000-0000-000000000000</RequestID></Response>`,
			ae.Code, msg.String())
		return
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
		s.xmlns, kind, ae.Code, msg.String())
}

// FormList reads an awsQuery list parameter (Name.member.1, Name.member.2 ...).
func FormList(form url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[fmt.Sprintf("%s.member.%d", name, i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// EC2List reads an EC2 query list parameter (Name.1, Name.2 ...): EC2 numbers
// list members without awsQuery's ".member".
func EC2List(form url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[fmt.Sprintf("%s.%d", name, i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// SortedKeys is a small helper for stable iteration over maps.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// serviceAliases maps lower-cased names accepted in fault patterns to the
// names used in the request log. Registering a service adds its own name.
var (
	aliasMu        sync.Mutex
	serviceAliases = map[string]string{
		"ecs": "ECS", "ecr": "ECR", "iam": "IAM", "sts": "STS", "ssm": "SSM",
		"secretsmanager": "SecretsManager", "logs": "Logs", "cloudwatchlogs": "Logs",
		"elbv2": "ELBv2", "elasticloadbalancing": "ELBv2", "autoscaling": "AutoScaling",
		"applicationautoscaling": "AutoScaling", "application-autoscaling": "AutoScaling",
		"cloudformation": "CloudFormation", "s3": "S3", "registry": "Registry", "codedeploy": "CodeDeploy",
	}
)

func addAlias(name string) {
	aliasMu.Lock()
	defer aliasMu.Unlock()
	if _, ok := serviceAliases[strings.ToLower(name)]; !ok {
		serviceAliases[strings.ToLower(name)] = name
	}
}

func canonicalService(name string) (string, bool) {
	aliasMu.Lock()
	defer aliasMu.Unlock()
	canon, ok := serviceAliases[strings.ToLower(name)]
	return canon, ok
}
