// Package awsapi builds the one set of AWS clients a doppio run uses.
//
// Every command gets its clients from a single Clients value so that later work
// (many services per run) can share one retry and rate budget.
package awsapi

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
)

// Options selects region and identity for a run.
type Options struct {
	// Region wins over AWS_REGION and the profile's region when set.
	Region string
	// AssumeRoleARN, when set, wraps the credentials of every client, plugin
	// lookups included.
	AssumeRoleARN string
	// Budget, when set, is the API budget of the run (shared with other
	// client sets); otherwise New makes one as BudgetEnv says.
	Budget *Budget
}

// Clients holds one client per AWS service doppio talks to. Clients are safe
// for concurrent use.
type Clients struct {
	Config         aws.Config
	ECS            *ecs.Client
	ECR            *ecr.Client
	IAM            *iam.Client
	SSM            *ssm.Client
	SecretsManager *secretsmanager.Client
	CloudFormation *cloudformation.Client
	Logs           *cloudwatchlogs.Client
	ELBv2          *elasticloadbalancingv2.Client
	AutoScaling    *applicationautoscaling.Client
	STS            *sts.Client
	S3             *s3.Client
	// ServiceDiscovery resolves Service Connect namespace ARNs to names.
	ServiceDiscovery *servicediscovery.Client
	// EC2 describes the VPC a Fargate task runs in (read-only calls).
	EC2 *ec2.Client
	// Lambda looks up the functions of lifecycle hooks (verify).
	Lambda *lambda.Client
	// Budget is the client-side rate limit every client above takes its
	// tokens from; nil when off.
	Budget *Budget

	mu        sync.Mutex
	ecrByRegn map[string]*ecr.Client
}

// defaultMaxAttempts is higher than the SDK's 3 because deploys of many
// services share an account-wide ECS rate limit: a throttled call must be
// retried, never fail the deploy.
const defaultMaxAttempts = 10

// New loads the shared AWS configuration (standard credential chain, profiles,
// SSO, web identity, AWS_ENDPOINT_URL*) and builds every client from it.
func New(ctx context.Context, opts Options) (*Clients, error) {
	loadOpts := []func(*config.LoadOptions) error{}
	if opts.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(opts.Region))
	}
	if os.Getenv("AWS_RETRY_MODE") == "" {
		loadOpts = append(loadOpts, config.WithRetryMode(aws.RetryModeAdaptive))
	}
	if os.Getenv("AWS_MAX_ATTEMPTS") == "" {
		loadOpts = append(loadOpts, config.WithRetryMaxAttempts(defaultMaxAttempts))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	hc := cfg.HTTPClient
	if bc, ok := hc.(*awshttp.BuildableClient); ok {
		hc = bc.WithDialerOptions(func(d *net.Dialer) { d.Timeout = dialTimeout })
	}
	cfg.HTTPClient = FailFast(InMemoryBodies(hc), connectBudget())
	cfg.Retryer = withFastConnectRetry(cfg.Retryer)
	cfg.Logger = sdkLogger{}
	budget, err := runBudget(opts.Budget, cfg)
	if err != nil {
		return nil, err
	}
	if budget != nil {
		cfg.APIOptions = append(cfg.APIOptions, budget.AddTo)
	}
	if opts.AssumeRoleARN != "" {
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), opts.AssumeRoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "doppio"
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	c := FromConfig(cfg)
	c.Budget = budget
	return c, nil
}

// FromConfig builds the client set from an already loaded configuration.
func FromConfig(cfg aws.Config) *Clients {
	return &Clients{
		Config:           cfg,
		ECS:              ecs.NewFromConfig(cfg),
		ECR:              ecr.NewFromConfig(cfg),
		IAM:              iam.NewFromConfig(cfg),
		SSM:              ssm.NewFromConfig(cfg),
		SecretsManager:   secretsmanager.NewFromConfig(cfg),
		CloudFormation:   cloudformation.NewFromConfig(cfg),
		Logs:             cloudwatchlogs.NewFromConfig(cfg),
		ELBv2:            elasticloadbalancingv2.NewFromConfig(cfg),
		AutoScaling:      applicationautoscaling.NewFromConfig(cfg),
		STS:              sts.NewFromConfig(cfg),
		ServiceDiscovery: servicediscovery.NewFromConfig(cfg),
		EC2:              ec2.NewFromConfig(cfg),
		Lambda:           lambda.NewFromConfig(cfg),
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			// Emulators and S3-compatible stores rarely serve virtual-hosted
			// bucket names; a configured endpoint therefore means path style.
			if cfg.BaseEndpoint != nil || os.Getenv("AWS_ENDPOINT_URL_S3") != "" {
				o.UsePathStyle = true
			}
		}),
		ecrByRegn: map[string]*ecr.Client{},
	}
}

// Region is the region the clients were configured with.
func (c *Clients) Region() string { return c.Config.Region }

// ECRIn returns an ECR client for region: images may live in another region
// than the service, and ECR tokens are regional.
func (c *Clients) ECRIn(region string) *ecr.Client {
	if region == "" || region == c.Config.Region {
		return c.ECR
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.ecrByRegn[region]; ok {
		return cl
	}
	cl := ecr.NewFromConfig(c.Config, func(o *ecr.Options) { o.Region = region })
	c.ecrByRegn[region] = cl
	return cl
}

// sdkLogger sends the SDK's own messages (warnings such as a response body
// it could not drain) through slog, so they share doppio's log format,
// JSON included, instead of the SDK's "SDK <time> WARN" lines.
type sdkLogger struct{}

func (sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	level := slog.LevelDebug
	if c == logging.Warn {
		level = slog.LevelWarn
	}
	slog.Log(context.Background(), level, fmt.Sprintf(format, v...), "source", "aws-sdk")
}
