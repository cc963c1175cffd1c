package awsemu

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
)

// jsonService serves one awsJson1_1 service.
type jsonService struct {
	name       string // short name used in the request log and fault patterns, e.g. "ECS"
	lowerFirst bool   // member names on the wire: lowerCamel (true) or PascalCase
	ops        map[string]jsonOp
}

// jsonOp handles one operation. It decodes the body itself (see op) and
// returns the output value (an SDK output type or a map) or an error.
type jsonOp func(c *call) (any, error)

// call is one request being served.
type call struct {
	caller identity // see Emulator.callerOf
	body   []byte
	params map[string]string
	lower  bool
	form   url.Values
}

// decode reads the request body into an SDK input struct and notes its key
// parameters for the request log.
func (c *call) decode(in any) error {
	if err := wireDecode(c.body, in); err != nil {
		if ae, ok := err.(*APIError); ok {
			return ae
		}
		return &APIError{Code: "SerializationException", Message: err.Error()}
	}
	noteParams(c.params, in)
	return nil
}

// op adapts a typed handler into a jsonOp.
func op[I any](fn func(in *I) (any, error)) jsonOp {
	return func(c *call) (any, error) {
		in := new(I)
		if err := c.decode(in); err != nil {
			return nil, err
		}
		return fn(in)
	}
}

// secretParams are never copied into the request log: a dumped log must not
// leak parameter or secret values.
var secretParams = map[string]bool{"Value": true, "SecretString": true, "SecretBinary": true, "Password": true}

// noteParams keeps the top-level scalar parameters (cluster, service, family,
// names ...) of a request for the log.
func noteParams(params map[string]string, in any) {
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

func (s *jsonService) serve(e *Emulator, w http.ResponseWriter, r *http.Request, opName string) {
	caller := e.callerOf(r)
	req := Request{Time: e.now(), Service: s.name, Operation: opName, Mutating: IsMutating(opName), Params: map[string]string{}, Caller: caller.arn}
	defer func() { e.Log.add(req) }()
	if done, ae := e.applyFaults(w, s.name, opName, "ThrottlingException", writeJSONError); done {
		req.Status, req.ErrorCode = ae.Status, ae.Code
		return
	}
	handler, ok := s.ops[opName]
	if !ok {
		ae := &APIError{Code: "UnknownOperationException", Message: fmt.Sprintf("awsemu does not emulate %s.%s", s.name, opName)}
		writeJSONError(w, ae)
		req.Status, req.ErrorCode = ae.status(), ae.Code
		return
	}
	body, err := readBody(r)
	if err != nil {
		ae := &APIError{Code: "SerializationException", Message: err.Error()}
		writeJSONError(w, ae)
		req.Status, req.ErrorCode = ae.status(), ae.Code
		return
	}
	c := &call{caller: caller, body: body, params: req.Params, lower: s.lowerFirst}
	out, err := handler(c)
	if err != nil {
		ae := asAPIError(err)
		writeJSONError(w, ae)
		req.Status, req.ErrorCode = ae.status(), ae.Code
		return
	}
	payload, err := json.Marshal(encodeOutput(out, s.lowerFirst))
	if err != nil {
		ae := &APIError{Code: "InternalFailure", Message: err.Error(), Status: 500}
		writeJSONError(w, ae)
		req.Status, req.ErrorCode = ae.status(), ae.Code
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", e.newID(16))
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
	enc := wireEncode(out, lower)
	if enc == nil {
		return map[string]any{}
	}
	return enc
}

func writeJSONError(w http.ResponseWriter, ae *APIError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", ae.Code)
	w.WriteHeader(ae.status())
	b, _ := json.Marshal(map[string]string{"__type": ae.Code, "message": ae.Message})
	_, _ = w.Write(b)
}

// queryService serves one awsQuery (XML) service.
type queryService struct {
	name    string // short name for the log, e.g. "IAM"
	xmlns   string // e.g. https://iam.amazonaws.com/doc/2010-05-08/
	version string
	ops     map[string]queryOp
}

// queryOp handles one operation; the returned value is XML-encoded inside
// <OpResult>, so its fields carry xml tags (and no XMLName).
type queryOp func(c *call) (any, error)

func (s *queryService) serve(e *Emulator, w http.ResponseWriter, r *http.Request) {
	caller := e.callerOf(r)
	req := Request{Time: e.now(), Service: s.name, Params: map[string]string{}, Caller: caller.arn}
	defer func() { e.Log.add(req) }()
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
	if done, ae := e.applyFaults(w, s.name, opName, "Throttling", s.writeError); done {
		req.Status, req.ErrorCode = ae.Status, ae.Code
		return
	}
	handler, ok := s.ops[opName]
	if !ok {
		ae := &APIError{Code: "InvalidAction", Message: fmt.Sprintf("Could not find operation %s for version %s", opName, s.version)}
		s.writeError(w, ae)
		req.Status, req.ErrorCode = ae.status(), ae.Code
		return
	}
	out, err := handler(&call{caller: caller, form: form, params: req.Params})
	if err != nil {
		ae := asAPIError(err)
		s.writeError(w, ae)
		req.Status, req.ErrorCode = ae.status(), ae.Code
		return
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	fmt.Fprintf(&buf, `<%sResponse xmlns="%s">`, opName, s.xmlns)
	enc := xml.NewEncoder(&buf)
	if out == nil {
		out = struct{}{}
	}
	if err := enc.EncodeElement(out, xml.StartElement{Name: xml.Name{Local: opName + "Result"}}); err != nil {
		ae := &APIError{Code: "InternalFailure", Message: err.Error(), Status: 500}
		s.writeError(w, ae)
		req.Status, req.ErrorCode = ae.status(), ae.Code
		return
	}
	fmt.Fprintf(&buf, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, e.newID(16), opName)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	req.Status = http.StatusOK
}

func (s *queryService) writeError(w http.ResponseWriter, ae *APIError) {
	kind := "Sender"
	if ae.status() >= 500 {
		kind = "Receiver"
	}
	var msg bytes.Buffer
	_ = xml.EscapeText(&msg, []byte(ae.Message))
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(ae.status())
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
		s.xmlns, kind, ae.Code, msg.String())
}

// formList reads an awsQuery list parameter (Name.member.1, Name.member.2 ...).
func formList(form url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[fmt.Sprintf("%s.member.%d", name, i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// sortedKeys is a small helper for stable iteration over maps.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// serviceAliases maps lower-cased names accepted in fault patterns to the
// names used in the request log.
var serviceAliases = map[string]string{
	"ecs": "ECS", "ecr": "ECR", "iam": "IAM", "sts": "STS", "ssm": "SSM",
	"secretsmanager": "SecretsManager", "logs": "Logs", "cloudwatchlogs": "Logs",
	"elbv2": "ELBv2", "elasticloadbalancing": "ELBv2", "autoscaling": "AutoScaling",
	"applicationautoscaling": "AutoScaling", "application-autoscaling": "AutoScaling",
	"cloudformation": "CloudFormation", "s3": "S3", "registry": "Registry", "codedeploy": "CodeDeploy",
}
