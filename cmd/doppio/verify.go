package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

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
	rep, err := verifyProject(ctx, p, verify.Options{Deep: c.Deep || c.GetSecrets, PutLogs: c.PutLogs, Concurrency: c.Concurrency})
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

// verifyProject renders the project's definitions and runs verify's checks.
func verifyProject(ctx context.Context, p *render.Project, opts verify.Options) (*verify.Report, error) {
	td, err := p.TaskDefinition(ctx)
	if err != nil {
		return nil, err
	}
	sd, err := p.ServiceDefinition(ctx)
	if err != nil {
		return nil, err
	}
	in := verify.Input{
		TaskDefinition: td,
		Service:        verifyService(p, sd),
		Cluster:        p.Config.Cluster,
		Region:         p.Config.Region,
	}
	if in.CodeDeploy, err = verifyCodeDeploy(p.Config); err != nil {
		return nil, err
	}
	slog.Debug("verify start", "family", aws.ToString(td.Family), "cluster", in.Cluster, "deep", opts.Deep, "put_logs", opts.PutLogs)
	return verify.Run(ctx, p.Clients, in, opts)
}

// verifyBeforeDeploy is deploy --verify: verify's default checks, and an
// error (exit 3) naming every NG check when one fails.
func verifyBeforeDeploy(ctx context.Context, p *render.Project) error {
	rep, err := verifyProject(ctx, p, verify.Options{Concurrency: 8})
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if rep.Status() != verify.NG {
		return nil
	}
	var ng []string
	var walk func(path string, cs []*verify.Check)
	walk = func(path string, cs []*verify.Check) {
		for _, c := range cs {
			name := c.Name
			if path != "" {
				name = path + " > " + c.Name
			}
			if c.Status == verify.NG && len(c.Children) == 0 {
				line := name
				if c.Reason != "" {
					line += ": " + c.Reason
				}
				ng = append(ng, line)
			}
			walk(name, c.Children)
		}
	}
	walk("", rep.Checks)
	return exitcode.With(exitcode.Failed, fmt.Errorf("verify (--verify): %s failed (NG), nothing deployed: %s", verifyPlural(len(ng), "check"), strings.Join(ng, "; ")))
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
