package main

import (
	"errors"
	"fmt"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/exitcode"
	"github.com/doppio-ecs/doppio/render"
)

// InitCmd imports a running service (or a task definition) into a config
// and definition files, or converts a compose project (init_compose.go).
type InitCmd struct {
	Region                string `help:"AWS region (default: the SDK's region)." env:"AWS_REGION"`
	Cluster               string `help:"Cluster of the service." default:"default"`
	Service               string `help:"Service to import (with --compose: the ECS service to write a service definition for)."`
	TaskDefinition        string `name:"task-definition" help:"Import a task definition alone: family, family:revision or ARN." xor:"what" placeholder:"FAMILY[:REV]|ARN"`
	ComposeFlags          `embed:""`
	TaskDefinitionPath    string `name:"task-definition-path" help:"Task definition file to write." default:"ecs-task-def.json"`
	ServiceDefinitionPath string `name:"service-definition-path" help:"Service definition file to write." default:"ecs-service-def.json"`
	Jsonnet               bool   `help:"Write Jsonnet (.jsonnet) files, config included."`
	ForceOverwrite        bool   `name:"force-overwrite" help:"Replace existing files."`
	TFState               string `name:"tfstate" help:"Terraform state (path or s3://, gs://, https:// URL): IDs and ARNs it holds are written as tfstate lookups and the tfstate plugin is added to the config." placeholder:"PATH|URL"`
	ImageTagEnv           string `name:"image-tag-env" help:"Write every image tag as {{ must_env \"NAME\" }} so CI picks the tag at deploy time." placeholder:"NAME"`
	Sort                  bool   `help:"Sort the task definition's unordered lists (environment, secrets, port mappings, ...) as diff compares them; keys are always sorted." negatable:""`
}

// Run writes the files; it never overwrites without --force-overwrite.
func (c *InitCmd) Run(g *Globals) error {
	if len(c.Compose) == 0 && c.Service == "" && c.TaskDefinition == "" {
		return errors.New("init: give --service, --task-definition or --compose")
	}
	if len(c.Compose) == 0 && c.Service != "" && c.TaskDefinition != "" {
		return errors.New("init: give one of --service or --task-definition")
	}
	if len(c.Compose) == 0 && (c.ECSParams != "" || c.ProjectName != "" || c.LaunchType != "") {
		return errors.New("init: --ecs-params, --project-name and --launch-type go with --compose")
	}
	if len(c.Compose) > 0 && !composeBuilt {
		return exitcode.With(exitcode.Error, errComposeLeftOut)
	}
	g.bound(render.DefaultTimeout) // no config to read a timeout from; --timeout wins
	clients, err := awsapi.New(g.Context, awsapi.Options{Region: c.Region, AssumeRoleARN: g.AssumeRoleARN})
	if err != nil {
		return err
	}
	region := c.Region
	if region == "" {
		region = clients.Region()
	}
	configPath := "ecspresso.yml"
	switch len(g.Config) {
	case 0:
	case 1:
		if g.Config[0] != "" {
			configPath = g.Config[0]
		}
	default:
		return fmt.Errorf("init writes one config; got %d --config values", len(g.Config))
	}
	if len(c.Compose) > 0 {
		return c.runCompose(g, clients, region, configPath)
	}
	opts := c.importOptions(region, configPath)
	opts.TaskDefinition, opts.Sort = c.TaskDefinition, c.Sort
	opts.CodeDeploy = deploy.NewCodeDeploy(clients.CodeDeploy, region, nil, nil)
	res, err := deploy.Import(g.Context, deploy.NewLiveReader(clients), opts)
	if err != nil {
		return err
	}
	fmt.Fprintln(g.Stderr, initNextStep(configPath, c.Service != "", res.Written))
	return nil
}

// initNextStep tells what to run after init: diff proves the files match
// what runs, verify that what they point at exists.
func initNextStep(configPath string, service bool, written []string) string {
	cfg := ""
	if configPath != "ecspresso.yml" {
		cfg = " --config " + configPath
	}
	if !service {
		return fmt.Sprintf("Next: doppio%s render taskdef to see the task definition, then doppio%s register when you change it (wrote %d files).", cfg, cfg, len(written))
	}
	return fmt.Sprintf("Next: doppio%s diff should show no difference; then doppio%s verify, and doppio%s deploy --dry-run before your first deploy (wrote %d files).", cfg, cfg, cfg, len(written))
}

// importOptions are the options an import and a compose conversion share:
// where and how the files are written.
func (c *InitCmd) importOptions(region, configPath string) deploy.ImportOptions {
	return deploy.ImportOptions{
		Region:                region,
		Cluster:               c.Cluster,
		Service:               c.Service,
		ConfigPath:            configPath,
		ServiceDefinitionPath: c.ServiceDefinitionPath,
		TaskDefinitionPath:    c.TaskDefinitionPath,
		Jsonnet:               c.Jsonnet,
		ForceOverwrite:        c.ForceOverwrite,
		TFState:               c.TFState,
		ImageTagEnv:           c.ImageTagEnv,
	}
}
