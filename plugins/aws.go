package plugins

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/doppio-ecs/doppio/mask"
)

// awsLookups holds the per-Set caches of every AWS lookup. Plugins of the
// same kind (say ssm and x_ssm) share them: a parameter is fetched once.
type awsLookups struct {
	env        Env
	secrets    *mask.Set
	parameters cache[parameter]
	secretARNs cache[string]
	stacks     cache[map[string]string] // stack name → output key → value
	exports    cache[map[string]string] // one entry: export name → value
	// historyWarned and versionsWarned say that doppio already warned it
	// could not read earlier versions of secrets: once a run is enough.
	historyWarned, versionsWarned sync.Once
}

type parameter struct {
	typ   ssmtypes.ParameterType
	value string
}

func newAWSLookups(env Env) *awsLookups {
	secrets := env.Secrets
	if secrets == nil {
		secrets = &mask.Set{}
	}
	return &awsLookups{env: env, secrets: secrets}
}

var errNoClients = errors.New("no AWS clients are configured")

func loadSSM(_ context.Context, spec Spec, label string, l *loadState) (*plugin, error) {
	a := l.aws
	ssmName, listName := spec.FuncPrefix+"ssm", spec.FuncPrefix+"ssm_list"
	return &plugin{name: spec.Name, label: label, funcs: []Func{
		{
			Name:   ssmName,
			Params: []string{"name"},
			Call: func(ctx context.Context, args []any) (any, error) {
				if err := arity(ssmName, "NAME [INDEX]", args, 1, 2); err != nil {
					return nil, err
				}
				name, err := stringArg(ssmName, "NAME", args[0])
				if err != nil {
					return nil, err
				}
				p, err := a.parameter(ctx, ssmName, name)
				if err != nil {
					return nil, err
				}
				if len(args) == 1 {
					if p.typ == ssmtypes.ParameterTypeStringList {
						return nil, fmt.Errorf("%s: parameter %q is a StringList: give an index (%s NAME INDEX) or use %s", ssmName, name, ssmName, listName)
					}
					return p.value, nil
				}
				if p.typ != ssmtypes.ParameterTypeStringList {
					return nil, fmt.Errorf("%s: parameter %q is a %s: it takes no index", ssmName, name, p.typ)
				}
				return p.item(ssmName, name, args[1])
			},
		},
		{
			Name:   listName,
			Params: []string{"name", "index"},
			Call: func(ctx context.Context, args []any) (any, error) {
				if err := arity(listName, "NAME INDEX", args, 2, 2); err != nil {
					return nil, err
				}
				name, err := stringArg(listName, "NAME", args[0])
				if err != nil {
					return nil, err
				}
				p, err := a.parameter(ctx, listName, name)
				if err != nil {
					return nil, err
				}
				if p.typ != ssmtypes.ParameterTypeStringList {
					return nil, fmt.Errorf("%s: parameter %q is a %s, not a StringList: use %s", listName, name, p.typ, ssmName)
				}
				return p.item(listName, name, args[1])
			},
		},
	}}, nil
}

func (p parameter) item(fn, name string, index any) (string, error) {
	i, err := indexArg(fn, "INDEX", index)
	if err != nil {
		return "", err
	}
	items := strings.Split(p.value, ",")
	if i >= len(items) {
		return "", fmt.Errorf("%s: parameter %q has %d item(s); index %d is out of range", fn, name, len(items), i)
	}
	return items[i], nil
}

func (a *awsLookups) parameter(ctx context.Context, fn, name string) (parameter, error) {
	return a.parameters.get(ctx, name, func(ctx context.Context) (parameter, error) {
		if a.env.Clients == nil || a.env.Clients.SSM == nil {
			return parameter{}, fmt.Errorf("%s: get parameter %q: %w", fn, name, errNoClients)
		}
		out, err := a.env.Clients.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
		if err != nil {
			var nf *ssmtypes.ParameterNotFound
			if errors.As(err, &nf) {
				return parameter{}, fmt.Errorf("%s: parameter %q is not found in SSM Parameter Store (region %s)", fn, name, a.env.Clients.Region())
			}
			return parameter{}, fmt.Errorf("%s: get parameter %q: %w", fn, name, err)
		}
		if out.Parameter == nil {
			return parameter{}, fmt.Errorf("%s: get parameter %q: empty response", fn, name)
		}
		p := parameter{typ: out.Parameter.Type, value: aws.ToString(out.Parameter.Value)}
		if p.typ == ssmtypes.ParameterTypeSecureString {
			a.secrets.Add(p.value)
			// The history takes a plain name: no :version or :label selector.
			a.maskParameterHistory(ctx, cmp.Or(aws.ToString(out.Parameter.Name), name))
		}
		// Never the value: SecureString values must not reach any log.
		slog.Debug("looked up SSM parameter", "name", name, "type", string(p.typ))
		return p, nil
	})
}

// maskParameterHistory adds every earlier SecureString value of a parameter
// to the mask: after a rotation the live definition (diff's other side, or
// what revisions prints) still holds the previous value. Without
// ssm:GetParameterHistory doppio warns once and masks the current value only.
func (a *awsLookups) maskParameterHistory(ctx context.Context, name string) {
	p := ssm.NewGetParameterHistoryPaginator(a.env.Clients.SSM, &ssm.GetParameterHistoryInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if ctx.Err() == nil {
				a.historyWarned.Do(func() {
					slog.WarnContext(ctx, "cannot read earlier versions of a SecureString parameter: only its current value is masked", "name", name, "error", err)
				})
			}
			return
		}
		for _, h := range page.Parameters {
			if h.Type == ssmtypes.ParameterTypeSecureString {
				a.secrets.Add(aws.ToString(h.Value))
			}
		}
	}
}

// secretStages are the versions of a secret doppio masks: the one tasks
// get now and the one they got before the last rotation.
var secretStages = []string{"AWSCURRENT", "AWSPREVIOUS"}

// minMaskedJSONValue is the shortest member of a JSON secret masked on its
// own (ECS hands a container one member with ARN:KEY::): shorter ones (a
// port, "admin") would garble every line that happens to contain them.
const minMaskedJSONValue = 8

// maskSecretVersions adds a secret's current and previous values to the
// mask, and the string members of a JSON secret. secretsmanager_arn returns
// only the ARN, but a live environment may hold the value itself. Without
// secretsmanager:GetSecretValue doppio warns once and goes on.
func (a *awsLookups) maskSecretVersions(ctx context.Context, arn string) {
	for _, stage := range secretStages {
		out, err := a.env.Clients.SecretsManager.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionStage: aws.String(stage)})
		if err != nil {
			var nf *smtypes.ResourceNotFoundException
			if errors.As(err, &nf) && stage != "AWSCURRENT" || ctx.Err() != nil {
				continue // no rotation yet
			}
			a.versionsWarned.Do(func() {
				slog.WarnContext(ctx, "cannot read a secret's values to mask them where they appear in plain text", "secret", arn, "error", err)
			})
			return
		}
		value := aws.ToString(out.SecretString)
		a.secrets.Add(value)
		var members map[string]any
		if json.Unmarshal([]byte(value), &members) == nil {
			for _, m := range members {
				if s, ok := m.(string); ok && len(s) >= minMaskedJSONValue {
					a.secrets.Add(s)
				}
			}
		}
	}
}

func loadSecretsManager(_ context.Context, spec Spec, label string, l *loadState) (*plugin, error) {
	a := l.aws
	fn := spec.FuncPrefix + "secretsmanager_arn"
	return &plugin{name: spec.Name, label: label, funcs: []Func{{
		Name:   fn,
		Params: []string{"name"},
		Call: func(ctx context.Context, args []any) (any, error) {
			if err := arity(fn, "NAME", args, 1, 1); err != nil {
				return nil, err
			}
			name, err := stringArg(fn, "NAME", args[0])
			if err != nil {
				return nil, err
			}
			return a.secretARN(ctx, fn, name)
		},
	}}}, nil
}

func (a *awsLookups) secretARN(ctx context.Context, fn, name string) (string, error) {
	return a.secretARNs.get(ctx, name, func(ctx context.Context) (string, error) {
		if a.env.Clients == nil || a.env.Clients.SecretsManager == nil {
			return "", fmt.Errorf("%s: describe secret %q: %w", fn, name, errNoClients)
		}
		out, err := a.env.Clients.SecretsManager.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
		if err != nil {
			var nf *smtypes.ResourceNotFoundException
			if errors.As(err, &nf) {
				return "", fmt.Errorf("%s: secret %q is not found in Secrets Manager (region %s)", fn, name, a.env.Clients.Region())
			}
			return "", fmt.Errorf("%s: describe secret %q: %w", fn, name, err)
		}
		if aws.ToString(out.ARN) == "" {
			return "", fmt.Errorf("%s: describe secret %q: the response has no ARN", fn, name)
		}
		slog.Debug("looked up secret ARN", "name", name)
		a.maskSecretVersions(ctx, aws.ToString(out.ARN))
		return aws.ToString(out.ARN), nil
	})
}

func loadCloudFormation(_ context.Context, spec Spec, label string, l *loadState) (*plugin, error) {
	a := l.aws
	outName, expName := spec.FuncPrefix+"cfn_output", spec.FuncPrefix+"cfn_export"
	return &plugin{name: spec.Name, label: label, funcs: []Func{
		{
			Name:   outName,
			Params: []string{"stack", "key"},
			Call: func(ctx context.Context, args []any) (any, error) {
				if err := arity(outName, "STACK KEY", args, 2, 2); err != nil {
					return nil, err
				}
				stack, err := stringArg(outName, "STACK", args[0])
				if err != nil {
					return nil, err
				}
				key, err := stringArg(outName, "KEY", args[1])
				if err != nil {
					return nil, err
				}
				outputs, err := a.stackOutputs(ctx, outName, stack)
				if err != nil {
					return nil, err
				}
				v, ok := outputs[key]
				if !ok {
					return nil, fmt.Errorf("%s: stack %q has no output %q (outputs: %s)", outName, stack, key, keyList(outputs))
				}
				return v, nil
			},
		},
		{
			Name:   expName,
			Params: []string{"name"},
			Call: func(ctx context.Context, args []any) (any, error) {
				if err := arity(expName, "NAME", args, 1, 1); err != nil {
					return nil, err
				}
				name, err := stringArg(expName, "NAME", args[0])
				if err != nil {
					return nil, err
				}
				exports, err := a.allExports(ctx, expName)
				if err != nil {
					return nil, err
				}
				v, ok := exports[name]
				if !ok {
					return nil, fmt.Errorf("%s: export %q is not found in CloudFormation (region %s)", expName, name, a.env.Clients.Region())
				}
				return v, nil
			},
		},
	}}, nil
}

func (a *awsLookups) stackOutputs(ctx context.Context, fn, stack string) (map[string]string, error) {
	return a.stacks.get(ctx, stack, func(ctx context.Context) (map[string]string, error) {
		if a.env.Clients == nil || a.env.Clients.CloudFormation == nil {
			return nil, fmt.Errorf("%s: describe stack %q: %w", fn, stack, errNoClients)
		}
		out, err := a.env.Clients.CloudFormation.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
		if err != nil {
			var ae smithy.APIError
			if errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" && strings.Contains(ae.ErrorMessage(), "does not exist") {
				return nil, fmt.Errorf("%s: stack %q is not found in CloudFormation (region %s)", fn, stack, a.env.Clients.Region())
			}
			return nil, fmt.Errorf("%s: describe stack %q: %w", fn, stack, err)
		}
		if len(out.Stacks) == 0 {
			return nil, fmt.Errorf("%s: stack %q is not found in CloudFormation (region %s)", fn, stack, a.env.Clients.Region())
		}
		outputs := map[string]string{}
		for _, o := range out.Stacks[0].Outputs {
			outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
		}
		slog.Debug("looked up stack outputs", "stack", stack, "outputs", len(outputs))
		return outputs, nil
	})
}

func (a *awsLookups) allExports(ctx context.Context, fn string) (map[string]string, error) {
	return a.exports.get(ctx, "", func(ctx context.Context) (map[string]string, error) {
		if a.env.Clients == nil || a.env.Clients.CloudFormation == nil {
			return nil, fmt.Errorf("%s: list exports: %w", fn, errNoClients)
		}
		exports := map[string]string{}
		p := cloudformation.NewListExportsPaginator(a.env.Clients.CloudFormation, &cloudformation.ListExportsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("%s: list exports: %w", fn, err)
			}
			for _, e := range page.Exports {
				exports[aws.ToString(e.Name)] = aws.ToString(e.Value)
			}
		}
		slog.Debug("listed CloudFormation exports", "exports", len(exports))
		return exports, nil
	})
}

func keyList(m map[string]string) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}
