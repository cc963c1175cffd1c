package awsemu

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// ssmService is the SSM Parameter Store: String, StringList and SecureString
// parameters with their version history.
type ssmService struct {
	e      *Emulator
	mu     sync.Mutex
	params map[string][]ssmVersion // by name; index i holds version i+1
}

type ssmVersion struct {
	typ      ssmtypes.ParameterType
	value    string
	modified time.Time
}

// ParameterSpec describes a parameter to seed.
type ParameterSpec struct {
	Name string `json:"name" yaml:"name"`
	// Type is String (default), StringList or SecureString.
	Type string `json:"type,omitempty" yaml:"type,omitempty"`
	// Value; a StringList is comma-separated, as in SSM.
	Value string `json:"value" yaml:"value"`
}

func newSSMService(e *Emulator) *ssmService {
	s := &ssmService{e: e, params: map[string][]ssmVersion{}}
	ops := map[string]jsonOp{
		"GetParameter":        op(s.getParameter),
		"GetParameters":       op(s.getParameters),
		"GetParametersByPath": op(s.getParametersByPath),
		"GetParameterHistory": op(s.getParameterHistory),
		"PutParameter":        op(s.putParameter),
	}
	// Session Manager answers under the same target prefix; its state
	// and model live in tests/awsemu/ssmsessions.
	for name, fn := range e.ssmSessions.Ops() {
		ops[name] = fn
	}
	e.addJSONService("AmazonSSM", "SSM", false, ops)
	return s
}

// PutParameter creates a parameter or adds a version to it.
func (e *Emulator) PutParameter(spec ParameterSpec) error {
	typ := ssmtypes.ParameterType(spec.Type)
	if typ == "" {
		typ = ssmtypes.ParameterTypeString
	}
	if err := validParameter(spec.Name, typ); err != nil {
		return fmt.Errorf("put SSM parameter %q: %w", spec.Name, err)
	}
	s := e.services.ssm
	s.mu.Lock()
	defer s.mu.Unlock()
	name := normalizeParamName(spec.Name)
	s.params[name] = append(s.params[name], ssmVersion{typ: typ, value: spec.Value, modified: e.now()})
	return nil
}

func validParameter(name string, typ ssmtypes.ParameterType) error {
	switch typ {
	case ssmtypes.ParameterTypeString, ssmtypes.ParameterTypeStringList, ssmtypes.ParameterTypeSecureString:
	default:
		return apiErr("ValidationException", "1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]", typ)
	}
	if name == "" || strings.HasPrefix(strings.ToLower(name), "aws") || strings.HasPrefix(strings.ToLower(name), "ssm") {
		return apiErr("ValidationException", "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).")
	}
	if strings.Contains(name, "/") && !strings.HasPrefix(name, "/") {
		return apiErr("ValidationException", "Parameter name must be a fully qualified name.")
	}
	return nil
}

// normalizeParamName turns an ARN into the parameter name.
func normalizeParamName(name string) string {
	if strings.HasPrefix(name, "arn:") {
		if _, rest, ok := strings.Cut(name, ":parameter"); ok {
			return rest
		}
	}
	return name
}

func (s *ssmService) arn(name string) string {
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	return fmt.Sprintf("arn:aws:ssm:%s:%s:parameter%s", s.e.Region(), s.e.AccountID(), name)
}

// encrypted is what SSM returns for a SecureString read without decryption:
// the base64 KMS ciphertext, never the plain value.
func encrypted(value string) string {
	sum := sha256.Sum256([]byte("awsemu-kms:" + value))
	return base64.StdEncoding.EncodeToString(append([]byte{0x01, 0x02, 0x02, 0x00, 0x78}, sum[:]...))
}

func (s *ssmService) parameter(name string, version int, v ssmVersion, decrypt bool, selector string) ssmtypes.Parameter {
	value := v.value
	if v.typ == ssmtypes.ParameterTypeSecureString && !decrypt {
		value = encrypted(value)
	}
	p := ssmtypes.Parameter{
		Name: aws.String(name), Type: v.typ, Value: aws.String(value), Version: int64(version),
		LastModifiedDate: aws.Time(v.modified), ARN: aws.String(s.arn(name)), DataType: aws.String("text"),
	}
	if selector != "" {
		p.Selector = aws.String(selector)
	}
	return p
}

// lookupLocked resolves "name", "name:3" or an ARN. notFound is the error
// to return when it does not resolve.
func (s *ssmService) lookupLocked(ref string, decrypt bool) (*ssmtypes.Parameter, *APIError) {
	name, selector := normalizeParamName(ref), ""
	if i := strings.LastIndex(name, ":"); i >= 0 {
		name, selector = name[:i], name[i:]
	}
	versions := s.params[name]
	if len(versions) == 0 {
		return nil, &APIError{Code: "ParameterNotFound"}
	}
	idx := len(versions)
	if selector != "" {
		n, err := strconv.Atoi(selector[1:])
		if err != nil {
			// Labels are not modelled: a label selector never matches.
			return nil, apiErr("ParameterVersionLabelNotFound", "The specified parameter version label %s was not found.", selector[1:])
		}
		if n < 1 || n > len(versions) {
			return nil, apiErr("ParameterVersionNotFound", "Systems Manager could not find version %d of %s. Verify the version and try again.", n, name)
		}
		idx = n
	}
	p := s.parameter(name, idx, versions[idx-1], decrypt, selector)
	return &p, nil
}

func (s *ssmService) getParameter(in *ssm.GetParameterInput) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.lookupLocked(aws.ToString(in.Name), aws.ToBool(in.WithDecryption))
	if err != nil {
		return nil, err
	}
	return &ssm.GetParameterOutput{Parameter: p}, nil
}

func (s *ssmService) getParameters(in *ssm.GetParametersInput) (any, error) {
	if len(in.Names) == 0 || len(in.Names) > 10 {
		return nil, apiErr("ValidationException", "1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &ssm.GetParametersOutput{Parameters: []ssmtypes.Parameter{}, InvalidParameters: []string{}}
	for _, n := range in.Names {
		p, err := s.lookupLocked(n, aws.ToBool(in.WithDecryption))
		if err != nil {
			out.InvalidParameters = append(out.InvalidParameters, n)
			continue
		}
		out.Parameters = append(out.Parameters, *p)
	}
	return out, nil
}

func (s *ssmService) getParametersByPath(in *ssm.GetParametersByPathInput) (any, error) {
	path := aws.ToString(in.Path)
	if !strings.HasPrefix(path, "/") {
		return nil, apiErr("ValidationException", "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\".")
	}
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 10) {
		return nil, apiErr("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10", *in.MaxResults)
	}
	prefix := strings.TrimSuffix(path, "/") + "/"
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for name := range s.params {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		if !aws.ToBool(in.Recursive) && strings.Contains(name[len(prefix):], "/") {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	var params []ssmtypes.Parameter
	for _, n := range names {
		vs := s.params[n]
		params = append(params, s.parameter(n, len(vs), vs[len(vs)-1], aws.ToBool(in.WithDecryption), ""))
	}
	pg, next, err := pageOf(params, in.MaxResults, in.NextToken, 10)
	if err != nil {
		return nil, err
	}
	return &ssm.GetParametersByPathOutput{Parameters: emptyIfNil(pg), NextToken: next}, nil
}

func (s *ssmService) putParameter(in *ssm.PutParameterInput) (any, error) {
	name := aws.ToString(in.Name)
	typ := in.Type
	s.mu.Lock()
	defer s.mu.Unlock()
	existing := s.params[name]
	if len(existing) > 0 && !aws.ToBool(in.Overwrite) {
		return nil, apiErr("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
	}
	if typ == "" {
		if len(existing) > 0 {
			typ = existing[len(existing)-1].typ
		} else {
			typ = ssmtypes.ParameterTypeString
		}
	}
	if err := validParameter(name, typ); err != nil {
		return nil, err
	}
	if in.Value == nil {
		return nil, apiErr("ValidationException", "1 validation error detected: Value null at 'value' failed to satisfy constraint: Member must not be null")
	}
	s.params[name] = append(existing, ssmVersion{typ: typ, value: *in.Value, modified: s.e.now()})
	return &ssm.PutParameterOutput{Version: int64(len(s.params[name])), Tier: ssmtypes.ParameterTierStandard}, nil
}

// getParameterHistory lists every version of a parameter, oldest first, as
// SSM does (at most 50 a page); a SecureString's values are ciphertext
// unless WithDecryption.
func (s *ssmService) getParameterHistory(in *ssm.GetParameterHistoryInput) (any, error) {
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 50) {
		return nil, apiErr("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50", *in.MaxResults)
	}
	name := normalizeParamName(aws.ToString(in.Name))
	s.mu.Lock()
	defer s.mu.Unlock()
	versions := s.params[name]
	if len(versions) == 0 {
		return nil, &APIError{Code: "ParameterNotFound"}
	}
	history := make([]ssmtypes.ParameterHistory, 0, len(versions))
	for i, v := range versions {
		p := s.parameter(name, i+1, v, aws.ToBool(in.WithDecryption), "")
		history = append(history, ssmtypes.ParameterHistory{
			Name: p.Name, Type: p.Type, Value: p.Value, Version: p.Version, LastModifiedDate: p.LastModifiedDate,
			DataType: p.DataType, Tier: ssmtypes.ParameterTierStandard, Labels: []string{},
		})
	}
	pg, next, err := pageOf(history, in.MaxResults, in.NextToken, 50)
	if err != nil {
		return nil, err
	}
	return &ssm.GetParameterHistoryOutput{Parameters: emptyIfNil(pg), NextToken: next}, nil
}
