//go:build !no_compose

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sirupsen/logrus"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/fromcompose"
)

// composeBuilt: this build has the compose converter (init_compose_none.go).
const composeBuilt = true

// runCompose converts the compose project and writes the files the way init
// writes an imported service.
func (c *InitCmd) runCompose(g *Globals, clients *awsapi.Clients, region, configPath string) error {
	composeWarningsToSlog()
	res, err := fromcompose.Convert(g.Context, fromcompose.Options{
		ComposeFiles: c.Compose,
		ECSParams:    c.ECSParams,
		ProjectName:  c.ProjectName,
		Service:      c.Service,
		LaunchType:   c.LaunchType,
		Region:       region,
		RoleARN:      roleARNResolver(g.Context, clients),
	})
	if err != nil {
		return err
	}
	if len(res.Notes) > 0 {
		// Listed once, before anything is written: the user reads what the
		// ECS files do not carry over (or carry over differently).
		slog.Warn(fmt.Sprintf("%d compose setting(s) not converted or converted differently (no ECS equivalent):", len(res.Notes)))
		for _, n := range res.Notes {
			slog.Warn("compose: " + n.String())
		}
	}
	td, sd, err := res.Documents()
	if err != nil {
		return err
	}
	_, err = deploy.WriteDefinitions(g.Context, c.importOptions(region, configPath), td, sd)
	return err
}

// roleARNResolver turns the role names ecs-params allows into ARNs of the
// caller's account, asking STS once and only when a name appears.
func roleARNResolver(ctx context.Context, clients *awsapi.Clients) func(string) (string, error) {
	var (
		once      sync.Once
		prefix    string
		lookupErr error
	)
	return func(name string) (string, error) {
		once.Do(func() {
			out, err := clients.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				lookupErr = fmt.Errorf("find the account for the role name (sts GetCallerIdentity): %w; or give the role ARN", err)
				return
			}
			a, err := arn.Parse(*out.Arn)
			if err != nil {
				lookupErr = err
				return
			}
			prefix = "arn:" + a.Partition + ":iam::" + a.AccountID + ":role/"
		})
		if lookupErr != nil {
			return "", lookupErr
		}
		if strings.ContainsAny(name, ": ") {
			return "", errors.New("not a role name")
		}
		return prefix + strings.TrimPrefix(name, "/"), nil
	}
}

// composeWarningsToSlog sends the compose loader's warnings (it logs with
// logrus, e.g. "the attribute `version` is obsolete") through doppio's own
// logger, so --log-format json stays one JSON record per line.
func composeWarningsToSlog() {
	logrus.SetOutput(io.Discard)
	logrus.StandardLogger().ReplaceHooks(logrus.LevelHooks{})
	logrus.AddHook(slogHook{})
}

type slogHook struct{}

func (slogHook) Levels() []logrus.Level {
	return []logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel}
}

func (slogHook) Fire(e *logrus.Entry) error {
	slog.Warn("compose: " + e.Message)
	return nil
}
