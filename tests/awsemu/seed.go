package awsemu

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/goccy/go-yaml"

	"github.com/doppio-ecs/doppio/tests/awsemu/codedeploy"
	"github.com/doppio-ecs/doppio/tests/awsemu/ec2"
	"github.com/doppio-ecs/doppio/tests/awsemu/lambda"
)

// Seed is the initial state of an emulator, as written in a seed file (YAML
// or JSON; member names as in the json tags). Every section is optional.
type Seed struct {
	ECS                    *ECSSeed                    `json:"ecs,omitempty" yaml:"ecs,omitempty"`
	ECR                    *ECRSeed                    `json:"ecr,omitempty" yaml:"ecr,omitempty"`
	IAM                    *IAMSeed                    `json:"iam,omitempty" yaml:"iam,omitempty"`
	SSM                    *SSMSeed                    `json:"ssm,omitempty" yaml:"ssm,omitempty"`
	SecretsManager         *SecretsManagerSeed         `json:"secretsmanager,omitempty" yaml:"secretsmanager,omitempty"`
	Logs                   *LogsSeed                   `json:"logs,omitempty" yaml:"logs,omitempty"`
	ELBv2                  *ELBv2Seed                  `json:"elbv2,omitempty" yaml:"elbv2,omitempty"`
	ApplicationAutoScaling *ApplicationAutoScalingSeed `json:"applicationautoscaling,omitempty" yaml:"applicationautoscaling,omitempty"`
	CloudFormation         *CloudFormationSeed         `json:"cloudformation,omitempty" yaml:"cloudformation,omitempty"`
	S3                     *S3Seed                     `json:"s3,omitempty" yaml:"s3,omitempty"`
	ServiceDiscovery       *ServiceDiscoverySeed       `json:"servicediscovery,omitempty" yaml:"servicediscovery,omitempty"`
	EC2                    *ec2.Seed                   `json:"ec2,omitempty" yaml:"ec2,omitempty"`
	Lambda                 *LambdaSeed                 `json:"lambda,omitempty" yaml:"lambda,omitempty"`
	// CodeDeploy is applied after ECS: its deployment groups name ECS services.
	CodeDeploy *codedeploy.Seed `json:"codedeploy,omitempty" yaml:"codedeploy,omitempty"`

	// dir resolves relative file paths (S3 objects' file).
	dir string
}

// ECRSeed lists repositories and their images.
type ECRSeed struct {
	Repositories []ECRRepositorySeed `json:"repositories,omitempty" yaml:"repositories,omitempty"`
}

// ECRRepositorySeed is one repository; an empty image list creates it empty.
type ECRRepositorySeed struct {
	Name   string         `json:"name" yaml:"name"`
	Images []ECRImageSeed `json:"images,omitempty" yaml:"images,omitempty"`
}

// ECRImageSeed is an image of a seeded repository (see ImageSpec).
type ECRImageSeed struct {
	Tags      []string          `json:"tags,omitempty" yaml:"tags,omitempty"`
	Platforms []string          `json:"platforms,omitempty" yaml:"platforms,omitempty"`
	OCI       bool              `json:"oci,omitempty" yaml:"oci,omitempty"`
	Index     bool              `json:"index,omitempty" yaml:"index,omitempty"`
	Labels    map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
}

// IAMSeed lists customer managed policies and roles (policies first, so
// roles can attach them).
type IAMSeed struct {
	Policies []PolicySpec `json:"policies,omitempty" yaml:"policies,omitempty"`
	Roles    []RoleSpec   `json:"roles,omitempty" yaml:"roles,omitempty"`
}

// SSMSeed lists parameters.
type SSMSeed struct {
	Parameters []ParameterSpec `json:"parameters,omitempty" yaml:"parameters,omitempty"`
}

// SecretsManagerSeed lists secrets.
type SecretsManagerSeed struct {
	Secrets []SecretSpec `json:"secrets,omitempty" yaml:"secrets,omitempty"`
}

// LogsSeed lists log groups.
type LogsSeed struct {
	Groups []LogGroupSpec `json:"groups,omitempty" yaml:"groups,omitempty"`
}

// ELBv2Seed lists target groups, then load balancers with their listeners
// and rules.
type ELBv2Seed struct {
	TargetGroups  []TargetGroupSpec  `json:"targetGroups,omitempty" yaml:"targetGroups,omitempty"`
	LoadBalancers []LoadBalancerSpec `json:"loadBalancers,omitempty" yaml:"loadBalancers,omitempty"`
}

// LambdaSeed lists functions (their environment decides their answers).
type LambdaSeed struct {
	Functions []lambda.Spec `json:"functions,omitempty" yaml:"functions,omitempty"`
}

// ApplicationAutoScalingSeed lists scalable targets (with their policies).
type ApplicationAutoScalingSeed struct {
	ScalableTargets []ScalableTargetSpec `json:"scalableTargets,omitempty" yaml:"scalableTargets,omitempty"`
}

// CloudFormationSeed lists stacks and stand-alone exports.
type CloudFormationSeed struct {
	Stacks []StackSpec `json:"stacks,omitempty" yaml:"stacks,omitempty"`
	// Exports become outputs of Stack (default "awsemu-exports").
	Exports []ExportSeed `json:"exports,omitempty" yaml:"exports,omitempty"`
}

// ExportSeed is a CloudFormation export.
type ExportSeed struct {
	Name  string `json:"name" yaml:"name"`
	Value string `json:"value" yaml:"value"`
	Stack string `json:"stack,omitempty" yaml:"stack,omitempty"`
}

// S3Seed lists objects; buckets are created as needed.
type S3Seed struct {
	Objects []S3ObjectSeed `json:"objects,omitempty" yaml:"objects,omitempty"`
}

// S3ObjectSeed is one object, from inline content or a file (relative to
// the seed file).
type S3ObjectSeed struct {
	Bucket  string `json:"bucket" yaml:"bucket"`
	Key     string `json:"key" yaml:"key"`
	Content string `json:"content,omitempty" yaml:"content,omitempty"`
	File    string `json:"file,omitempty" yaml:"file,omitempty"`
}

// LoadSeedFile reads a YAML or JSON seed file. Unknown fields are errors,
// reported with their line.
func LoadSeedFile(path string) (*Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read seed file: %w", err)
	}
	seed, err := ParseSeed(data)
	if err != nil {
		return nil, fmt.Errorf("seed file %s: %w", path, err)
	}
	seed.dir = filepath.Dir(path)
	return seed, nil
}

// ParseSeed decodes a seed document (YAML, or JSON which is YAML too).
func ParseSeed(data []byte) (*Seed, error) {
	var seed Seed
	// UseJSONUnmarshaler lets ECS task definitions and services stay raw
	// JSON (json.RawMessage) whatever the file format.
	if err := yaml.UnmarshalWithOptions(data, &seed, yaml.Strict(), yaml.UseJSONUnmarshaler()); err != nil {
		return nil, fmt.Errorf("%s", yaml.FormatError(err, false, true))
	}
	return &seed, nil
}

// ApplySeed loads seed into the emulator. ECS comes last, so services can
// refer to the images, roles, log groups and target groups seeded before.
func (e *Emulator) ApplySeed(seed *Seed) error {
	if seed == nil {
		return nil
	}
	if s := seed.ECR; s != nil {
		for i, r := range s.Repositories {
			if err := e.CreateRepository(r.Name); err != nil {
				return fmt.Errorf("seed ecr.repositories[%d]: %w", i, err)
			}
			for j, img := range r.Images {
				spec := ImageSpec{Repository: r.Name, Tags: img.Tags, Platforms: img.Platforms, OCI: img.OCI, Index: img.Index, Labels: img.Labels}
				if _, err := e.PutImage(spec); err != nil {
					return fmt.Errorf("seed ecr.repositories[%d].images[%d]: %w", i, j, err)
				}
			}
		}
	}
	if s := seed.IAM; s != nil {
		for i, p := range s.Policies {
			if _, err := e.PutPolicy(p); err != nil {
				return fmt.Errorf("seed iam.policies[%d]: %w", i, err)
			}
		}
		for i, r := range s.Roles {
			if _, err := e.PutRole(r); err != nil {
				return fmt.Errorf("seed iam.roles[%d]: %w", i, err)
			}
		}
	}
	if s := seed.SSM; s != nil {
		for i, p := range s.Parameters {
			if err := e.PutParameter(p); err != nil {
				return fmt.Errorf("seed ssm.parameters[%d]: %w", i, err)
			}
		}
	}
	if s := seed.SecretsManager; s != nil {
		for i, sec := range s.Secrets {
			if _, err := e.PutSecret(sec); err != nil {
				return fmt.Errorf("seed secretsmanager.secrets[%d]: %w", i, err)
			}
		}
	}
	if s := seed.Logs; s != nil {
		for i, g := range s.Groups {
			if err := e.CreateLogGroup(g); err != nil {
				return fmt.Errorf("seed logs.groups[%d]: %w", i, err)
			}
		}
	}
	if s := seed.ELBv2; s != nil {
		for i, tg := range s.TargetGroups {
			if _, err := e.PutTargetGroup(tg); err != nil {
				return fmt.Errorf("seed elbv2.targetGroups[%d]: %w", i, err)
			}
		}
		for i, lb := range s.LoadBalancers {
			if _, err := e.PutLoadBalancer(lb); err != nil {
				return fmt.Errorf("seed elbv2.loadBalancers[%d]: %w", i, err)
			}
		}
	}
	if s := seed.Lambda; s != nil {
		for i, fn := range s.Functions {
			if _, err := e.PutFunction(fn); err != nil {
				return fmt.Errorf("seed lambda.functions[%d]: %w", i, err)
			}
		}
	}
	if s := seed.ApplicationAutoScaling; s != nil {
		for i, st := range s.ScalableTargets {
			if err := e.PutScalableTarget(st); err != nil {
				return fmt.Errorf("seed applicationautoscaling.scalableTargets[%d]: %w", i, err)
			}
		}
	}
	if s := seed.CloudFormation; s != nil {
		if err := e.seedCloudFormation(s); err != nil {
			return err
		}
	}
	if s := seed.S3; s != nil {
		for i, o := range s.Objects {
			body := []byte(o.Content)
			if o.File != "" {
				path := o.File
				if !filepath.IsAbs(path) && seed.dir != "" {
					path = filepath.Join(seed.dir, path)
				}
				b, err := os.ReadFile(path)
				if err != nil {
					return fmt.Errorf("seed s3.objects[%d]: %w", i, err)
				}
				body = b
			}
			if o.Bucket == "" || o.Key == "" {
				return fmt.Errorf("seed s3.objects[%d]: bucket and key are required", i)
			}
			if err := e.PutS3Object(o.Bucket, o.Key, body); err != nil {
				return fmt.Errorf("seed s3.objects[%d]: %w", i, err)
			}
		}
	}
	if s := seed.ServiceDiscovery; s != nil {
		for i, ns := range s.Namespaces {
			if _, err := e.PutNamespace(ns); err != nil {
				return fmt.Errorf("seed servicediscovery.namespaces[%d]: %w", i, err)
			}
		}
	}
	if err := e.services.ec2.ApplySeed(seed.EC2); err != nil {
		return fmt.Errorf("seed %w", err)
	}
	if seed.ECS != nil {
		if err := e.SeedECS(seed.ECS); err != nil {
			return fmt.Errorf("seed ecs: %w", err)
		}
	}
	if err := e.services.cd.ApplySeed(seed.CodeDeploy); err != nil {
		return fmt.Errorf("seed codedeploy: %w", err)
	}
	return nil
}

func (e *Emulator) seedCloudFormation(s *CloudFormationSeed) error {
	stacks := append([]StackSpec(nil), s.Stacks...)
	for i, ex := range s.Exports {
		if ex.Name == "" {
			return fmt.Errorf("seed cloudformation.exports[%d]: name is required", i)
		}
		stack := ex.Stack
		if stack == "" {
			stack = "awsemu-exports"
		}
		found := false
		for j := range stacks {
			if stacks[j].Name == stack {
				stacks[j].Outputs = append(stacks[j].Outputs, StackOutput{Key: exportOutputKey(ex.Name), Value: ex.Value, ExportName: ex.Name})
				found = true
			}
		}
		if !found {
			stacks = append(stacks, StackSpec{Name: stack, Outputs: []StackOutput{{Key: exportOutputKey(ex.Name), Value: ex.Value, ExportName: ex.Name}}})
		}
	}
	for i, st := range stacks {
		if _, err := e.PutStack(st); err != nil {
			return fmt.Errorf("seed cloudformation.stacks[%d]: %w", i, err)
		}
	}
	return nil
}

// exportOutputKey derives an output key (alphanumeric) from an export name.
func exportOutputKey(name string) string {
	out := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return "Export"
	}
	return string(out)
}
