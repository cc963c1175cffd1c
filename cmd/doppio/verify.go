package main

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/doppio-ecs/doppio/exitcode"
	"github.com/doppio-ecs/doppio/render"
	"github.com/doppio-ecs/doppio/verify"
)

// VerifyCmd checks, without deploying, that everything the definitions point
// at exists and fits.
type VerifyCmd struct {
	Output      string `help:"Output format: text or json." enum:"text,json" default:"text"`
	Deep        bool   `help:"Read secret values to check JSON keys (needs secretsmanager:GetSecretValue and kms:Decrypt)."`
	GetSecrets  bool   `help:"ecspresso's name for --deep. Off by default in doppio: verify reads secret metadata only." negatable:""`
	PutLogs     bool   `help:"Write a test event to each awslogs log group (the only mutating call verify makes). Off by default in doppio." name:"put-logs" negatable:""`
	Cache       bool   `help:"Accepted for ecspresso compatibility: identical items are always checked once per run, and nothing is kept between runs." negatable:"" default:"true"`
	Concurrency int    `help:"Checks in flight at once." default:"8"`
}

// Run verifies the project: exit 0 when nothing is NG, 3 when something is,
// 1 when verify cannot run.
func (c *VerifyCmd) Run(g *Globals) error {
	ctx := g.Context
	p, err := g.LoadProject()
	if err != nil {
		return err
	}
	td, err := p.TaskDefinition(ctx)
	if err != nil {
		return err
	}
	sd, err := p.ServiceDefinition(ctx)
	if err != nil {
		return err
	}
	in := verify.Input{
		TaskDefinition: td,
		Service:        verifyService(p, sd),
		Cluster:        p.Config.Cluster,
		Region:         p.Config.Region,
	}
	if in.CodeDeploy, err = verifyCodeDeploy(p.Config); err != nil {
		return err
	}
	deep := c.Deep || c.GetSecrets
	slog.Debug("verify start", "family", aws.ToString(td.Family), "cluster", in.Cluster, "deep", deep, "put_logs", c.PutLogs)
	rep, err := verify.Run(ctx, p.Clients, in, verify.Options{Deep: deep, PutLogs: c.PutLogs, Concurrency: c.Concurrency})
	if err != nil {
		return err
	}
	if c.Output == "json" {
		err = rep.WriteJSON(g.Stdout)
	} else {
		err = rep.WriteText(g.Stdout, g.UseColor())
	}
	if err != nil {
		return fmt.Errorf("write verify report: %w", err)
	}
	if err := githubVerify(g, rep); err != nil {
		return err
	}
	slog.Debug("verify done", "duration", rep.Duration, "status", rep.Status())
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if rep.Status() == verify.NG {
		n := rep.Counts()[verify.NG]
		return exitcode.With(exitcode.Failed, errors.New(verifyPlural(n, "verify check")+" failed (NG)"))
	}
	return nil
}

func verifyService(p *render.Project, sd *render.ServiceDefinition) *verify.Service {
	if sd == nil {
		return nil
	}
	return &verify.Service{
		Name:                          p.Config.Service,
		LaunchType:                    sd.LaunchType,
		CapacityProviderStrategy:      sd.CapacityProviderStrategy,
		PlatformVersion:               sd.PlatformVersion,
		LoadBalancers:                 sd.LoadBalancers,
		NetworkConfiguration:          sd.NetworkConfiguration,
		HealthCheckGracePeriodSeconds: sd.HealthCheckGracePeriodSeconds,
		DeploymentConfiguration:       sd.DeploymentConfiguration,
		ServiceRegistries:             sd.ServiceRegistries,
		DeploymentController:          sd.DeploymentController,
		ServiceConnectConfiguration:   sd.ServiceConnectConfiguration,
		VolumeConfigurations:          sd.VolumeConfigurations,
	}
}

// verifyCodeDeploy is the config's codedeploy section and appspec hooks.
func verifyCodeDeploy(cfg *render.Config) (*verify.CodeDeploy, error) {
	hooks, err := appSpecHooks(cfg)
	if err != nil {
		return nil, err
	}
	out := &verify.CodeDeploy{}
	if cd := cfg.CodeDeploy; cd != nil {
		out.ApplicationName, out.DeploymentGroupName, out.DeploymentConfigName = cd.ApplicationName, cd.DeploymentGroupName, cd.DeploymentConfigName
	}
	for _, h := range hooks {
		for _, event := range slices.Sorted(maps.Keys(h)) {
			fn, _ := h[event].(string)
			out.Hooks = append(out.Hooks, verify.AppSpecHook{Event: event, Function: fn})
		}
	}
	return out, nil
}

func verifyPlural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
