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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
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
		CloudMap:     cloudMapLookup{clients.ServiceDiscovery},
		EnvLookup:    deploy.EnvLookup,
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
	for _, a := range res.Actions {
		// Before deploying: what init did not do in AWS (it creates nothing).
		slog.Warn("before deploying: " + a.String())
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

// cloudMapLookup finds ecs-params service_discovery's namespace and
// service, read-only (servicediscovery:GetNamespace, ListNamespaces,
// ListServices).
type cloudMapLookup struct{ sd *servicediscovery.Client }

func (l cloudMapLookup) Namespaces(ctx context.Context, typ, id, name string) ([]fromcompose.CloudMapNamespace, error) {
	if id != "" {
		out, err := l.sd.GetNamespace(ctx, &servicediscovery.GetNamespaceInput{Id: aws.String(id)})
		var nf *sdtypes.NamespaceNotFound
		if errors.As(err, &nf) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("servicediscovery GetNamespace %s: %w", id, err)
		}
		if string(out.Namespace.Type) != typ {
			return nil, fmt.Errorf("namespace %s is %s, not %s: give it as %s", id, out.Namespace.Type, typ, namespaceKey(string(out.Namespace.Type)))
		}
		return []fromcompose.CloudMapNamespace{{ID: id, Name: aws.ToString(out.Namespace.Name), Type: typ}}, nil
	}
	var found []fromcompose.CloudMapNamespace
	p := servicediscovery.NewListNamespacesPaginator(l.sd, &servicediscovery.ListNamespacesInput{Filters: []sdtypes.NamespaceFilter{
		{Name: sdtypes.NamespaceFilterNameName, Values: []string{name}, Condition: sdtypes.FilterConditionEq},
		{Name: sdtypes.NamespaceFilterNameType, Values: []string{typ}, Condition: sdtypes.FilterConditionEq},
	}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("servicediscovery ListNamespaces: %w", err)
		}
		for _, ns := range page.Namespaces {
			// Filters narrow; the name and type are compared here as well.
			if aws.ToString(ns.Name) == name && string(ns.Type) == typ {
				found = append(found, fromcompose.CloudMapNamespace{ID: aws.ToString(ns.Id), Name: name, Type: typ})
			}
		}
	}
	return found, nil
}

func namespaceKey(typ string) string {
	if typ == string(sdtypes.NamespaceTypeDnsPublic) {
		return "public_dns_namespace"
	}
	if typ == string(sdtypes.NamespaceTypeDnsPrivate) {
		return "private_dns_namespace"
	}
	return "a DNS namespace (ECS service discovery registers DNS records; HTTP namespaces are for Service Connect)"
}

func (l cloudMapLookup) Services(ctx context.Context, namespaceID string) ([]fromcompose.CloudMapService, error) {
	var out []fromcompose.CloudMapService
	p := servicediscovery.NewListServicesPaginator(l.sd, &servicediscovery.ListServicesInput{Filters: []sdtypes.ServiceFilter{
		{Name: sdtypes.ServiceFilterNameNamespaceId, Values: []string{namespaceID}, Condition: sdtypes.FilterConditionEq},
	}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("servicediscovery ListServices: %w", err)
		}
		for _, s := range page.Services {
			cs := fromcompose.CloudMapService{ARN: aws.ToString(s.Arn), Name: aws.ToString(s.Name)}
			if s.DnsConfig != nil {
				for _, r := range s.DnsConfig.DnsRecords {
					cs.RecordTypes = append(cs.RecordTypes, string(r.Type))
					cs.TTL = r.TTL
				}
			}
			if s.HealthCheckCustomConfig != nil {
				cs.FailureThreshold = s.HealthCheckCustomConfig.FailureThreshold
				if cs.FailureThreshold == nil {
					cs.FailureThreshold = aws.Int32(1)
				}
			}
			out = append(out, cs)
		}
	}
	return out, nil
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
