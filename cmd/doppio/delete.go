package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/mattn/go-isatty"

	"github.com/doppio-ecs/doppio/deploy"
)

// DeleteCmd deletes the service after the user typed its name.
type DeleteCmd struct {
	DryRun    bool `help:"Show what would be deleted; make no mutating AWS call."`
	Force     bool `help:"Do not ask for the service name (required when stdin is not a terminal)."`
	Terminate bool `help:"Delete even if the service still runs tasks (ECS stops them)."`
}

// Run deletes the service; a wrong name or a non-interactive stdin without
// --force aborts with exit 1 and no change.
func (c *DeleteCmd) Run(g *Globals) error {
	p, err := g.LoadProject()
	if err != nil {
		return err
	}
	ctx, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	defer cancel()
	svc, err := deploy.FindService(ctx, p.Clients.ECS, p.Config.Cluster, p.Config.Service)
	if err != nil {
		return timeoutError(ctx, err)
	}
	name := aws.ToString(svc.ServiceName)
	if aws.ToString(svc.Status) == "DRAINING" {
		return fmt.Errorf("service %s in cluster %s is already being deleted (DRAINING)", name, p.Config.Cluster)
	}
	fmt.Fprintf(g.Stdout, "Service %s in cluster %s: status %s, task definition %s, desired %d, running %d\n",
		name, p.Config.Cluster, aws.ToString(svc.Status), shortTaskDef(aws.ToString(svc.TaskDefinition)), svc.DesiredCount, svc.RunningCount)
	if c.DryRun {
		fmt.Fprintf(g.Stdout, "would delete service %s (terminate running tasks: %t)\nDRY RUN OK\n", name, c.Terminate)
		return nil
	}
	if !c.Force {
		err := confirm(g, "delete", fmt.Sprintf("Enter the service name to DELETE (%s): ", name), func(answer string) bool { return answer == name })
		if err != nil {
			return err
		}
	}
	if err := deploy.DeleteService(ctx, p.Clients.ECS, svc, p.Config.Cluster, c.Terminate); err != nil {
		return timeoutError(ctx, err)
	}
	fmt.Fprintf(g.Stdout, "service %s is deleted\n", name)
	return nil
}

// confirm asks a question on stderr and reads one answer line from stdin.
// It refuses at once when stdin is not a terminal: a prompt nobody sees
// must not turn into a silent "yes" or a hang in CI.
func confirm(g *Globals, what, prompt string, accept func(answer string) bool) error {
	if !interactive(g.Stdin) {
		return fmt.Errorf("%s needs a confirmation but stdin is not a terminal; pass --force to proceed without asking", what)
	}
	fmt.Fprint(g.Stderr, prompt)
	line, err := bufio.NewReader(g.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read confirmation: %w", err)
	}
	if !accept(strings.TrimSpace(line)) {
		return fmt.Errorf("%s aborted: not confirmed; nothing was changed", what)
	}
	return nil
}

// yes accepts y and yes, any case.
func yes(answer string) bool {
	a := strings.ToLower(answer)
	return a == "y" || a == "yes"
}

// interactive: an *os.File must be a terminal; any other reader was
// injected (tests) and answers the prompts.
func interactive(r io.Reader) bool {
	if r == nil {
		return false
	}
	f, ok := r.(*os.File)
	if !ok {
		return true
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// shortTaskDef turns a task definition ARN into family:revision.
func shortTaskDef(arn string) string {
	if i := strings.LastIndex(arn, "task-definition/"); i >= 0 {
		return arn[i+len("task-definition/"):]
	}
	return arn
}
