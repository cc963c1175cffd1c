package awsemu

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// secretsService is Secrets Manager: secrets addressed by name, full ARN
// (with the random 6-character suffix) or partial ARN, each with versions
// labelled AWSCURRENT / AWSPREVIOUS.
type secretsService struct {
	e       *Emulator
	mu      sync.Mutex
	secrets map[string]*secret // by name
}

type secret struct {
	name, arn, description string
	created, changed       time.Time
	versions               []*secretVersion // oldest first
}

type secretVersion struct {
	id      string
	value   string
	created time.Time
	stages  []string
}

// SecretSpec describes a secret to seed.
type SecretSpec struct {
	Name        string `json:"name" yaml:"name"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// Value is a string, or an object/array stored as its JSON text.
	Value any `json:"value" yaml:"value"`
	// Suffix is the 6 characters AWS appends to the ARN; generated when
	// empty. Set it to match an ARN that definitions hold literally.
	Suffix string `json:"suffix,omitempty" yaml:"suffix,omitempty"`
}

func newSecretsService(e *Emulator) *secretsService {
	s := &secretsService{e: e, secrets: map[string]*secret{}}
	e.addJSONService("secretsmanager", "SecretsManager", false, map[string]jsonOp{
		"CreateSecret":   op(s.createSecret),
		"DescribeSecret": op(s.describeSecret),
		"GetSecretValue": op(s.getSecretValue),
		"PutSecretValue": op(s.putSecretValue),
	})
	return s
}

func secretString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "", fmt.Errorf("value is missing")
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return "", fmt.Errorf("encode value as JSON: %w", err)
		}
		return string(b), nil
	}
}

// PutSecret creates a secret, or adds a new AWSCURRENT version to it, and
// returns its ARN.
func (e *Emulator) PutSecret(spec SecretSpec) (string, error) {
	if spec.Name == "" {
		return "", fmt.Errorf("put secret: name is empty")
	}
	value, err := secretString(spec.Value)
	if err != nil {
		return "", fmt.Errorf("put secret %s: %w", spec.Name, err)
	}
	s := e.services.sm
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[spec.Name]
	if sec == nil {
		sec = s.newSecretLocked(spec.Name, spec.Suffix)
	}
	if spec.Description != "" {
		sec.description = spec.Description
	}
	s.addVersionLocked(sec, value)
	return sec.arn, nil
}

func (s *secretsService) newSecretLocked(name, suffix string) *secret {
	if suffix == "" {
		suffix = s.suffix()
	}
	sec := &secret{name: name, created: s.e.now(),
		arn: fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", s.e.Region(), s.e.AccountID(), name, suffix)}
	s.secrets[name] = sec
	return sec
}

// createSecret is CreateSecret with a SecretString: the first version is
// AWSCURRENT. A name in use is ResourceExistsException, as in AWS.
func (s *secretsService) createSecret(in *secretsmanager.CreateSecretInput) (any, error) {
	name := aws.ToString(in.Name)
	if name == "" {
		return nil, apiErr("InvalidParameterException", "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.secrets[name] != nil {
		return nil, apiErr("ResourceExistsException", "The operation failed because the secret %s already exists.", name)
	}
	sec := s.newSecretLocked(name, "")
	sec.description = aws.ToString(in.Description)
	out := &secretsmanager.CreateSecretOutput{ARN: aws.String(sec.arn), Name: aws.String(name)}
	if in.SecretString != nil {
		out.VersionId = aws.String(s.addVersionLocked(sec, *in.SecretString).id)
	}
	return out, nil
}

// suffix is the 6 random letters and digits AWS appends to secret ARNs.
func (s *secretsService) suffix() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	id := s.e.newID(6)
	out := make([]byte, 6)
	for i := range out {
		var b byte
		fmt.Sscanf(id[2*i:2*i+2], "%02x", &b)
		out[i] = alphabet[int(b)%len(alphabet)]
	}
	return string(out)
}

func (s *secretsService) uuid() string {
	h := s.e.newID(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (s *secretsService) addVersionLocked(sec *secret, value string) *secretVersion {
	for _, v := range sec.versions {
		v.stages = removeString(v.stages, "AWSPREVIOUS")
		if hasString(v.stages, "AWSCURRENT") {
			v.stages = append(removeString(v.stages, "AWSCURRENT"), "AWSPREVIOUS")
		}
	}
	v := &secretVersion{id: s.uuid(), value: value, created: s.e.now(), stages: []string{"AWSCURRENT"}}
	sec.versions = append(sec.versions, v)
	sec.changed = v.created
	return v
}

func hasString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// findLocked resolves a SecretId: name, full ARN, or partial ARN (without
// the random suffix).
func (s *secretsService) findLocked(id string) *secret {
	if sec := s.secrets[id]; sec != nil {
		return sec
	}
	if !strings.HasPrefix(id, "arn:") {
		return nil
	}
	for _, sec := range s.secrets {
		if sec.arn == id || sec.arn[:len(sec.arn)-7] == id {
			return sec
		}
	}
	return nil
}

func notFoundSecret() *APIError {
	return apiErr("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

func (s *secretsService) describeSecret(in *secretsmanager.DescribeSecretInput) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.findLocked(aws.ToString(in.SecretId))
	if sec == nil {
		return nil, notFoundSecret()
	}
	stages := map[string][]string{}
	for _, v := range sec.versions {
		if len(v.stages) > 0 {
			stages[v.id] = append([]string(nil), v.stages...)
		}
	}
	out := &secretsmanager.DescribeSecretOutput{
		ARN: aws.String(sec.arn), Name: aws.String(sec.name), CreatedDate: aws.Time(sec.created),
		LastChangedDate: aws.Time(sec.changed), VersionIdsToStages: stages, RotationEnabled: aws.Bool(false),
	}
	if sec.description != "" {
		out.Description = aws.String(sec.description)
	}
	return out, nil
}

func (s *secretsService) getSecretValue(in *secretsmanager.GetSecretValueInput) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.findLocked(aws.ToString(in.SecretId))
	if sec == nil {
		return nil, notFoundSecret()
	}
	var found *secretVersion
	stage := aws.ToString(in.VersionStage)
	if in.VersionId == nil && stage == "" {
		stage = "AWSCURRENT"
	}
	for _, v := range sec.versions {
		if (in.VersionId == nil || v.id == *in.VersionId) && (stage == "" || hasString(v.stages, stage)) {
			found = v
		}
	}
	if found == nil {
		if in.VersionId != nil {
			return nil, apiErr("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: %s", *in.VersionId)
		}
		return nil, apiErr("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: %s", stage)
	}
	return &secretsmanager.GetSecretValueOutput{
		ARN: aws.String(sec.arn), Name: aws.String(sec.name), VersionId: aws.String(found.id),
		SecretString: aws.String(found.value), VersionStages: append([]string(nil), found.stages...), CreatedDate: aws.Time(found.created),
	}, nil
}

func (s *secretsService) putSecretValue(in *secretsmanager.PutSecretValueInput) (any, error) {
	if in.SecretString == nil {
		return nil, apiErr("InvalidRequestException", "You must provide either SecretString or SecretBinary.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.findLocked(aws.ToString(in.SecretId))
	if sec == nil {
		return nil, notFoundSecret()
	}
	v := s.addVersionLocked(sec, *in.SecretString)
	return &secretsmanager.PutSecretValueOutput{ARN: aws.String(sec.arn), Name: aws.String(sec.name), VersionId: aws.String(v.id), VersionStages: v.stages}, nil
}
