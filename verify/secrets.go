package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// secretRef is a parsed secrets[].valueFrom.
type secretRef struct {
	// Secrets Manager
	Manager      bool
	SecretID     string // the first seven ARN parts (full or partial ARN)
	JSONKey      string
	VersionStage string
	VersionID    string
	// SSM
	Parameter string // name or ARN as given
	// Both
	Region string // "" means the default region
}

// parseValueFrom reads an ECS secret reference. A Secrets Manager value is
// always an ARN, optionally followed by :json-key:version-stage:version-id;
// anything else is an SSM parameter name or ARN.
func parseValueFrom(v string) (secretRef, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return secretRef{}, errors.New("valueFrom is empty")
	}
	if !strings.HasPrefix(v, "arn:") {
		return secretRef{Parameter: v}, nil
	}
	parts := strings.Split(v, ":")
	if len(parts) < 6 {
		return secretRef{}, fmt.Errorf("valueFrom %q is not a valid ARN", v)
	}
	switch parts[2] {
	case "ssm":
		a, err := arn.Parse(v)
		if err != nil || !strings.HasPrefix(a.Resource, "parameter/") {
			return secretRef{}, fmt.Errorf("valueFrom %q is not an SSM parameter ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)", v)
		}
		return secretRef{Parameter: v, Region: a.Region}, nil
	case "secretsmanager":
		if len(parts) < 7 || parts[5] != "secret" || parts[6] == "" {
			return secretRef{}, fmt.Errorf("valueFrom %q is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)", v)
		}
		if len(parts) > 10 {
			return secretRef{}, fmt.Errorf("valueFrom %q has too many parts; expected ARN:json-key:version-stage:version-id", v)
		}
		ref := secretRef{Manager: true, SecretID: strings.Join(parts[:7], ":"), Region: parts[3]}
		extra := append(parts[7:], "", "", "")
		ref.JSONKey, ref.VersionStage, ref.VersionID = extra[0], extra[1], extra[2]
		if ref.VersionStage != "" && ref.VersionID != "" {
			return secretRef{}, fmt.Errorf("valueFrom %q names both a version stage and a version id; ECS accepts one", v)
		}
		return ref, nil
	}
	return secretRef{}, fmt.Errorf("valueFrom %q is neither an SSM parameter nor a Secrets Manager secret", v)
}

type ssmItem struct {
	name string
	node *Check
}

func (r *runner) secretCheck(parent *Check, s ecstypes.Secret) {
	name, from := aws.ToString(s.Name), aws.ToString(s.ValueFrom)
	c := parent.add(&Check{Name: fmt.Sprintf("Secret %s[%s]", name, from)})
	if name == "" {
		c.set(NG, "secret without a name: set secrets[].name to the environment variable to fill")
		return
	}
	ref, err := parseValueFrom(from)
	if err != nil {
		c.set(NG, "%v", err)
		return
	}
	region := ref.Region
	if region == "" {
		region = r.in.Region
	}
	if !ref.Manager {
		if !r.once(c, "ssm:"+region+":"+ref.Parameter) {
			return
		}
		r.ssmPending[region] = append(r.ssmPending[region], ssmItem{name: ref.Parameter, node: c})
		return
	}
	r.schedule(c, "sm:"+from, prioOther, func(ctx context.Context, c *Check) {
		r.checkManagedSecret(ctx, c, ref, region)
	})
}

// ssmBatch is GetParameters' limit of names per call.
const ssmBatch = 10

// flushSSM turns the collected parameters into batched GetParameters tasks:
// forty secrets cost four calls, not forty.
func (r *runner) flushSSM() {
	for _, region := range slices.Sorted(maps.Keys(r.ssmPending)) {
		items := r.ssmPending[region]
		for start := 0; start < len(items); start += ssmBatch {
			batch := items[start:min(start+ssmBatch, len(items))]
			nodes := make([]*Check, len(batch))
			for i, it := range batch {
				nodes[i] = it.node
			}
			r.tasks = append(r.tasks, task{prio: prioOther, nodes: nodes, run: func(ctx context.Context) {
				r.checkParameters(ctx, region, batch)
			}})
		}
	}
	r.ssmPending = map[string][]ssmItem{}
}

func (r *runner) checkParameters(ctx context.Context, region string, batch []ssmItem) {
	names := make([]string, len(batch))
	for i, it := range batch {
		names[i] = it.name
	}
	out, err := r.ssmIn(region).GetParameters(ctx, &ssm.GetParametersInput{
		Names:          names,
		WithDecryption: aws.Bool(r.opts.Deep),
	})
	if err != nil {
		for _, it := range batch {
			r.awsError(it.node, err, "cannot read SSM parameter "+it.name)
		}
		return
	}
	found := map[string]string{}
	for _, p := range out.Parameters {
		found[aws.ToString(p.Name)] = string(p.Type)
		found[aws.ToString(p.ARN)] = string(p.Type)
	}
	for _, it := range batch {
		if slices.Contains(out.InvalidParameters, it.name) {
			it.node.set(NG, "SSM parameter %s does not exist in %s; create it (aws ssm put-parameter) or fix valueFrom", it.name, region)
			continue
		}
		typ, ok := found[it.name]
		if !ok {
			typ, ok = found[parameterName(it.name)]
		}
		if !ok {
			it.node.set(NG, "SSM parameter %s was not returned by GetParameters in %s", it.name, region)
			continue
		}
		it.node.set(OK, "SSM parameter exists (%s)", typ)
	}
}

// parameterName is the name an SSM parameter ARN points at.
func parameterName(s string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return s
	}
	n := strings.TrimPrefix(a.Resource, "parameter")
	if strings.Count(n, "/") == 1 {
		return strings.TrimPrefix(n, "/") // top-level names have no leading slash
	}
	return n
}

func (r *runner) checkManagedSecret(ctx context.Context, c *Check, ref secretRef, region string) {
	cl := r.secretsManagerIn(region)
	out, err := cl.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(ref.SecretID)})
	if err != nil {
		var nf *smtypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			c.set(NG, "Secrets Manager secret %s does not exist; create it or fix valueFrom", ref.SecretID)
			return
		}
		r.awsError(c, err, "cannot describe secret "+ref.SecretID)
		return
	}
	if out.DeletedDate != nil {
		c.set(NG, "Secrets Manager secret %s is scheduled for deletion; restore it (aws secretsmanager restore-secret)", ref.SecretID)
		return
	}
	if ref.VersionID != "" {
		if _, ok := out.VersionIdsToStages[ref.VersionID]; !ok {
			c.set(NG, "Secrets Manager secret %s has no version id %s", ref.SecretID, ref.VersionID)
			return
		}
	}
	if ref.VersionStage != "" {
		var stages []string
		for _, ss := range out.VersionIdsToStages {
			stages = append(stages, ss...)
		}
		if !slices.Contains(stages, ref.VersionStage) {
			slices.Sort(stages)
			c.set(NG, "Secrets Manager secret %s has no version stage %s (stages: %s)", ref.SecretID, ref.VersionStage, orNone(slices.Compact(stages)))
			return
		}
	}
	if ref.JSONKey == "" {
		c.set(OK, "secret exists")
		return
	}
	if !r.opts.Deep {
		c.set(OK, "secret exists; JSON key %q not checked (reading values needs --deep)", ref.JSONKey)
		return
	}
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(ref.SecretID)}
	if ref.VersionStage != "" {
		in.VersionStage = aws.String(ref.VersionStage)
	}
	if ref.VersionID != "" {
		in.VersionId = aws.String(ref.VersionID)
	}
	val, err := cl.GetSecretValue(ctx, in)
	if err != nil {
		r.awsError(c, err, "cannot read secret value of "+ref.SecretID)
		return
	}
	// Never quote the value or a decoding error (which may echo parts of it).
	var obj map[string]json.RawMessage
	if val.SecretString == nil || json.Unmarshal([]byte(*val.SecretString), &obj) != nil {
		c.set(NG, "secret %s is not a JSON object, so JSON key %q cannot be read from it", ref.SecretID, ref.JSONKey)
		return
	}
	if _, ok := obj[ref.JSONKey]; !ok {
		keys := slices.Sorted(maps.Keys(obj))
		c.set(NG, "secret %s has no JSON key %q (keys: %s)", ref.SecretID, ref.JSONKey, orNone(keys))
		return
	}
	c.set(OK, "secret exists with JSON key %q", ref.JSONKey)
}

func (r *runner) ssmIn(region string) *ssm.Client {
	if region == "" || region == r.clients.Region() {
		return r.clients.SSM
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ssmBy == nil {
		r.ssmBy = map[string]*ssm.Client{}
	}
	if cl, ok := r.ssmBy[region]; ok {
		return cl
	}
	cl := ssm.NewFromConfig(r.clients.Config, func(o *ssm.Options) { o.Region = region })
	r.ssmBy[region] = cl
	return cl
}

func (r *runner) secretsManagerIn(region string) *secretsmanager.Client {
	if region == "" || region == r.clients.Region() {
		return r.clients.SecretsManager
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.smBy == nil {
		r.smBy = map[string]*secretsmanager.Client{}
	}
	if cl, ok := r.smBy[region]; ok {
		return cl
	}
	cl := secretsmanager.NewFromConfig(r.clients.Config, func(o *secretsmanager.Options) { o.Region = region })
	r.smBy[region] = cl
	return cl
}
