package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/goccy/go-yaml"
	"github.com/google/go-jsonnet/formatter"

	"github.com/doppio-ecs/doppio/apijson"
	"github.com/doppio-ecs/doppio/render"
)

// RenderCmd prints what doppio would send: the resolved config, and the
// service and task definitions after templates, Jsonnet and lookups.
type RenderCmd struct {
	Targets []string `arg:"" enum:"config,servicedef,service-definition,taskdef,task-definition" help:"What to print, in order: config, servicedef (service-definition), taskdef (task-definition)."`
	Jsonnet bool     `help:"Print Jsonnet instead of JSON (YAML for config)."`
	// ecspresso prints secret values; doppio masks them because render's
	// output ends up in CI logs and pull-request comments.
	RevealSecrets bool `name:"reveal-secrets" help:"Print SecureString and Secrets Manager values as they are instead of masked (ecspresso's behaviour). Do not use where the output is logged."`
}

func (c *RenderCmd) Run(g *Globals) error {
	p, err := g.LoadProject()
	if err != nil {
		return err
	}
	w := g.Stdout
	if c.RevealSecrets {
		w = g.rawStdout
	}
	for _, target := range c.Targets {
		out, err := c.render(g, p, target)
		if err != nil {
			return err
		}
		if _, err := w.Write(out); err != nil {
			return err
		}
	}
	return nil
}

func (c *RenderCmd) render(g *Globals, p *render.Project, target string) ([]byte, error) {
	switch target {
	case "config":
		if c.Jsonnet {
			js, err := json.Marshal(configForOutput(p.Config))
			if err != nil {
				return nil, fmt.Errorf("render config: %w", err)
			}
			return formatJsonnet(js)
		}
		out, err := yaml.Marshal(configForOutput(p.Config))
		if err != nil {
			return nil, fmt.Errorf("render config: %w", err)
		}
		return out, nil
	case "servicedef", "service-definition":
		sd, err := p.ServiceDefinition(g.Context)
		if err != nil {
			return nil, err
		}
		if sd == nil {
			return nil, fmt.Errorf("render %s: the config has no service_definition", target)
		}
		return c.apiJSON(sd)
	case "taskdef", "task-definition":
		td, err := p.TaskDefinition(g.Context)
		if err != nil {
			return nil, err
		}
		return c.apiJSON(td)
	}
	return nil, fmt.Errorf("render: unknown target %q", target)
}

func (c *RenderCmd) apiJSON(v any) ([]byte, error) {
	out, err := apijson.Marshal(v)
	if err != nil {
		return nil, err
	}
	if c.Jsonnet {
		return formatJsonnet(out)
	}
	return out, nil
}

// configForOutput shows definition paths relative to the working directory
// when they lie below it, so the output does not depend on where the
// checkout is.
func configForOutput(cfg *render.Config) *render.Config {
	out := *cfg
	out.TaskDefinitionPath = relToWD(cfg.TaskDefinitionPath)
	out.ServiceDefinitionPath = relToWD(cfg.ServiceDefinitionPath)
	return &out
}

func relToWD(p string) string {
	if p == "" || !filepath.IsAbs(p) {
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, p); err == nil && filepath.IsLocal(rel) {
		return rel
	}
	return p
}

func formatJsonnet(js []byte) ([]byte, error) {
	out, err := formatter.Format("", string(js), formatter.DefaultOptions())
	if err != nil {
		return nil, fmt.Errorf("format Jsonnet: %w", err)
	}
	return []byte(out), nil
}
