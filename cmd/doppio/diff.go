package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/exitcode"
	"github.com/doppio-ecs/doppio/mask"
	"github.com/doppio-ecs/doppio/render"
)

// DiffCmd compares the local definitions with what ECS runs. It makes no
// mutating AWS call.
type DiffCmd struct {
	ExitCode       bool   `name:"exit-code" help:"Exit 2 when there are differences or an ECR image tag the running tasks use moved, 0 when there are none (CI gating)."`
	Output         string `help:"Output format: text (unified diffs) or json (changed/added/removed paths with old and new values)." enum:"text,json" default:"text"`
	External       string `help:"Run CMD with two files, the normalized live and local definitions, and print its output (e.g. \"difft --color=always\")." env:"DOPPIO_DIFF_COMMAND,ECSPRESSO_DIFF_COMMAND" placeholder:"CMD"`
	WithService    bool   `help:"Include the service diff (--no-with-service or --without-service: the task definition only)." negatable:"" default:"true"`
	WithoutService bool   `help:"ecspresso's spelling of --no-with-service." hidden:""`
	Unified        bool   `help:"Unified diff with 3 lines of context; --no-unified prints both documents whole, changed lines marked." negatable:"" default:"true"`
	Jsonnet        bool   `help:"Show both sides as Jsonnet instead of JSON."`
}

// Run prints the service diff, then the task definition diff.
func (c *DiffCmd) Run(g *Globals) error {
	p, err := g.LoadProject()
	if err != nil {
		return err
	}
	if !c.WithService || c.WithoutService {
		cfg := *p.Config
		cfg.Service = ""
		p.Config = &cfg
	}
	res, err := deploy.Diff(g.Context, p)
	if err != nil {
		return err
	}
	for _, r := range res.Resources() {
		if !r.Exists {
			slog.Info("not found in ECS: everything is added", "resource", r.Kind, "local", r.Local)
		}
	}
	switch {
	case c.Output == "json":
		out, err := res.MaskedJSON(g.Secrets)
		if err != nil {
			return err
		}
		if _, err := g.Stdout.Write(out); err != nil {
			return err
		}
	case c.External != "":
		if err := c.runExternalDiff(g, res); err != nil {
			return err
		}
	default:
		color := g.UseColor()
		for _, r := range res.Resources() {
			text, err := c.text(r, color)
			if err != nil {
				return err
			}
			if _, err := g.Stdout.Write([]byte(text)); err != nil {
				return err
			}
		}
	}
	if err := githubDiff(g, res); err != nil {
		return err
	}
	running := false
	for _, r := range res.Resources() {
		running = running || r.Kind == deploy.KindService && r.Exists
	}
	var moved []deploy.MovedTag
	if running {
		moved, err = movedTags(g, p, c.Output == "json")
	}
	if err != nil {
		return err
	}
	if c.ExitCode && (res.Differs() || len(moved) > 0) {
		return exitcode.With(exitcode.Diff, nil)
	}
	return nil
}

// movedTags reports, alongside the diff, images whose tag moved since the
// running tasks pulled it: a text line on stdout, or a warning on stderr
// when stdout carries the JSON diff.
func movedTags(g *Globals, p *render.Project, jsonOut bool) ([]deploy.MovedTag, error) {
	check := deploy.TagCheck{ECS: p.Clients.ECS, ECR: func(region string) deploy.ECRImagesAPI { return p.Clients.ECRIn(region) }}
	moved, problems, err := check.MovedTags(g.Context, p.Config.Cluster, p.Config.Service)
	if err != nil {
		slog.WarnContext(g.Context, "moved tag check: "+err.Error())
		return nil, nil
	}
	for _, pr := range problems {
		slog.WarnContext(g.Context, "moved tag check: "+pr)
	}
	for _, m := range moved {
		if jsonOut {
			slog.WarnContext(g.Context, m.String(), "container", m.Container, "tasks", m.Tasks)
			continue
		}
		line := fmt.Sprintf("~ %s (container %s, %d running task(s)); doppio deploy --force-new-deployment rolls it out\n", m, m.Container, m.Tasks)
		if _, err := g.Stdout.Write([]byte(line)); err != nil {
			return nil, err
		}
	}
	return moved, nil
}

// text is one resource's diff as --unified and --jsonnet ask.
func (c *DiffCmd) text(r *deploy.ResourceDiff, color bool) (string, error) {
	if !r.Differs() {
		return "", nil
	}
	if c.Unified && !c.Jsonnet {
		return r.Unified(color)
	}
	old, new, err := c.texts(r)
	if err != nil {
		return "", err
	}
	from := r.Live
	if !r.Exists {
		from = "/dev/null"
	}
	return deploy.TextDiff(from, r.Local, old, new, color, !c.Unified), nil
}

// texts are the two sides of r, as Jsonnet with --jsonnet.
func (c *DiffCmd) texts(r *deploy.ResourceDiff) (old, new string, err error) {
	old, new, err = r.Texts()
	if err != nil || !c.Jsonnet {
		return old, new, err
	}
	for _, s := range []*string{&old, &new} {
		if *s == "" {
			continue
		}
		js, err := formatJsonnet([]byte(*s))
		if err != nil {
			return "", "", err
		}
		*s = string(js)
	}
	return old, new, nil
}

// runExternalDiff writes remote/<kind>.json and local/<kind>.json into a
// temporary directory and runs the command on each pair. Exit status 1 means
// "differences" to diff(1) and is not an error.
func (c *DiffCmd) runExternalDiff(g *Globals, res *deploy.DiffResult) error {
	command := c.External
	dir, err := os.MkdirTemp("", "doppio-diff-")
	if err != nil {
		return fmt.Errorf("external diff: %w", err)
	}
	defer os.RemoveAll(dir)
	for _, sub := range []string{"remote", "local"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			return fmt.Errorf("external diff: %w", err)
		}
	}
	for _, r := range res.Resources() {
		old, new, err := c.texts(r)
		if err != nil {
			return err
		}
		ext := ".json"
		if c.Jsonnet {
			ext = ".jsonnet"
		}
		name := "taskdef" + ext
		if r.Kind == deploy.KindService {
			name = "service" + ext
		}
		remote, local := filepath.Join(dir, "remote", name), filepath.Join(dir, "local", name)
		if err := writeMasked(remote, old, g.Secrets); err != nil {
			return err
		}
		if err := writeMasked(local, new, g.Secrets); err != nil {
			return err
		}
		var stdout bytes.Buffer
		cmd := shellCommand(command, remote, local)
		cmd.Dir = dir
		cmd.Stdout = &stdout
		cmd.Stderr = g.Stderr
		err = cmd.Run()
		if _, werr := g.Stdout.Write(stdout.Bytes()); werr != nil {
			return werr
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 1 {
			err = nil
		}
		if err != nil {
			return fmt.Errorf("external diff command %q on %s: %w", command, r.Kind, err)
		}
	}
	return nil
}

func writeMasked(path, text string, secrets *mask.Set) error {
	if err := os.WriteFile(path, []byte(secrets.String(text)), 0o600); err != nil {
		return fmt.Errorf("external diff: %w", err)
	}
	return nil
}

// shellCommand runs command through the shell so users can write flags and
// quotes as on a command line; the two files follow as arguments.
func shellCommand(command string, args ...string) *exec.Cmd {
	if runtime.GOOS == "windows" {
		return exec.Command("cmd", append([]string{"/C", command}, args...)...)
	}
	return exec.Command("sh", append([]string{"-c", command + ` "$@"`, "sh"}, args...)...)
}
