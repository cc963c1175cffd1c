package main

import (
	"encoding/json"
	"fmt"

	"github.com/doppio-ecs/doppio/deploy"
)

// StatusCmd shows the service. It makes no mutating AWS call.
type StatusCmd struct {
	Events int    `help:"How many of the newest service events to show." default:"10" placeholder:"N"`
	Output string `help:"Output format: text or json." enum:"text,json" default:"text"`
}

// Run prints the status; a missing service is an error (exit 1).
func (c *StatusCmd) Run(g *Globals) error {
	if c.Events < 0 {
		return fmt.Errorf("--events must be 0 or more, got %d", c.Events)
	}
	p, err := g.LoadProject()
	if err != nil {
		return err
	}
	ctx, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	defer cancel()
	// Events and stopped reasons may quote a secret: learn the project's.
	learnSecrets(ctx, p)
	st, err := deploy.FetchStatus(ctx, p.Clients.ECS, p.Clients.AutoScaling, p.Config.Cluster, p.Config.Service, c.Events)
	if err != nil {
		return timeoutError(ctx, err)
	}
	if st.Controller == "CODE_DEPLOY" {
		cd := deploy.NewCodeDeploy(p.Clients.CodeDeploy, p.Clients.Region(), p.Config.CodeDeploy, nil)
		if st.CodeDeploy, err = deploy.FetchCodeDeployStatus(ctx, cd, p.Config.Cluster, p.Config.Service); err != nil {
			st.Problems = append(st.Problems, err.Error())
		}
	}
	if c.Output == "json" {
		return writeJSON(g, st)
	}
	writeLines(g.Stdout, st.Lines())
	return nil
}

// writeJSON prints v as indented JSON on stdout.
func writeJSON(g *Globals, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode JSON output: %w", err)
	}
	_, err = g.Stdout.Write(append(b, '\n'))
	return err
}
