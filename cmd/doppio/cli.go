package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/go-jsonnet"
	"github.com/hashicorp/go-envparse"
	"github.com/mattn/go-isatty"

	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/exitcode"
	"github.com/doppio-ecs/doppio/ghactions"
	"github.com/doppio-ecs/doppio/internal/third_party/kong"
	"github.com/doppio-ecs/doppio/mask"
	"github.com/doppio-ecs/doppio/render"
)

// CLI is the root of the command line. Add a command with one line:
//
//	Diff DiffCmd `cmd:"" help:"Show the differences between local definitions and ECS."`
//
// and a file diff.go with `type DiffCmd struct{...}` and
// `func (c *DiffCmd) Run(g *Globals) error`.
type CLI struct {
	// The global flags are one help group, listed after a command's own.
	Globals `group:"global"`

	Diff       DiffCmd       `cmd:"" help:"Show the differences between local definitions and what ECS runs (exit 2 with --exit-code)."`
	Init       InitCmd       `cmd:"" help:"Import a running service (or a task definition), or convert a compose project (--compose), into a config and definition files."`
	Render     RenderCmd     `cmd:"" help:"Print the rendered config, service definition or task definition."`
	Version    VersionCmd    `cmd:"" help:"Print the doppio version."`
	Verify     VerifyCmd     `cmd:"" help:"Check that everything the definitions point at exists and fits (exit 3 on NG)."`
	Deploy     DeployCmd     `cmd:"" help:"Register the task definition, update (or create) the service and wait for the rollout (exit 3 failed/rolled back, 4 timeout)."`
	Rollback   RollbackCmd   `cmd:"" help:"Return the service to its previous successful task definition (exit 3 failed, 4 timeout)."`
	Status     StatusCmd     `cmd:"" help:"Show the service: deployments, auto scaling and recent events."`
	Wait       WaitCmd       `cmd:"" help:"Wait for the service's current deployment to end (exit 3 failed/rolled back, 4 timeout)."`
	Continue   ContinueCmd   `cmd:"" help:"Continue (or --rollback) a blue/green, linear or canary deployment paused by a PAUSE lifecycle hook."`
	Refresh    RefreshCmd    `cmd:"" help:"Start a new deployment of the current task definition (e.g. to pull a moving image tag)."`
	Scale      ScaleCmd      `cmd:"" help:"Change the desired count and auto scaling limits without touching the task definition."`
	Register   RegisterCmd   `cmd:"" help:"Register the task definition (reusing an identical revision)."`
	Deregister DeregisterCmd `cmd:"" help:"Deregister (and optionally delete) unused task definition revisions."`
	Revisions  RevisionsCmd  `cmd:"" help:"List the task definition family's revisions, or print one."`
	Run        RunCmd        `cmd:"" help:"Run a one-off task and wait for it (exit 3 when the watched container fails, 4 timeout)."`
	Tasks      TasksCmd      `cmd:"" help:"List the service's tasks, or find, stop or trace one (doppio tasks [flags]); doppio tasks logs prints their awslogs output."`
	Exec       ExecCmd       `cmd:"" help:"Open a shell (or run a command) in a task's container with ECS Exec, or forward a port to it; --check says why ECS Exec would fail (exit 3 on NG)."`
	Delete     DeleteCmd     `cmd:"" help:"Delete the service."`
	AppSpec    AppSpecCmd    `cmd:"" name:"appspec" help:"Print a CodeDeploy AppSpec for the service (for CodeDeploy blue/green pipelines)."`
}

// Globals are the global flags plus what every command needs at run time.
type Globals struct {
	Config        []string          `help:"Config file. Default: the first existing of doppio.yml, doppio.yaml, doppio.json, doppio.jsonnet, ecspresso.yml, ecspresso.yaml, ecspresso.json, ecspresso.jsonnet. Repeatable, and a glob (quoted: --config 'services/*/ecspresso.yml') selects several services: see docs/many-services.md." env:"DOPPIO_CONFIG,ECSPRESSO_CONFIG" placeholder:"PATH" sep:"none"`
	Envfile       []string          `help:"Environment file(s) (KEY=VALUE lines) loaded in order before the config; later values win. Repeatable." env:"DOPPIO_ENVFILE,ECSPRESSO_ENVFILE" placeholder:"FILE"`
	ExtStr        map[string]string `help:"Jsonnet external string variables (std.extVar), KEY=VALUE separated by ';'." env:"DOPPIO_EXT_STR,ECSPRESSO_EXT_STR" mapsep:";" placeholder:"KEY=VALUE;..."`
	ExtCode       map[string]string `help:"Jsonnet external code variables, KEY=CODE separated by ';' (e.g. replicas=1+1)." env:"DOPPIO_EXT_CODE,ECSPRESSO_EXT_CODE" mapsep:";" placeholder:"KEY=CODE;..."`
	AssumeRoleARN string            `name:"assume-role-arn" help:"IAM role to assume for every AWS call, lookups included." env:"DOPPIO_ASSUME_ROLE_ARN,ECSPRESSO_ASSUME_ROLE_ARN" placeholder:"ARN"`
	Timeout       *time.Duration    `help:"Bounds the whole command, every AWS call included (exit 4 when it expires); overrides the config's timeout (positive, e.g. 15m)." env:"DOPPIO_TIMEOUT,ECSPRESSO_TIMEOUT" placeholder:"DURATION"`
	Debug         bool              `help:"Debug logging." env:"DOPPIO_DEBUG,ECSPRESSO_DEBUG"`
	LogFormat     string            `help:"Format of stderr: text, or json (every line a JSON record: logs, deploy progress, the final error)." enum:"text,json" default:"text" env:"DOPPIO_LOG_FORMAT,ECSPRESSO_LOG_FORMAT"`
	Color         *bool             `help:"Colorize output (default: when stdout is a terminal and NO_COLOR is unset)." negatable:"" env:"DOPPIO_COLOR,ECSPRESSO_COLOR"`
	CI            string            `name:"ci" help:"CI-native output: github (annotations, step summary, outputs), none, or auto (github when GITHUB_ACTIONS=true)." enum:"auto,github,none" default:"auto" env:"DOPPIO_CI"`
	ShowVersion   kong.VersionFlag  `name:"version" help:"Print the doppio version and exit."`
	Fleet         string            `help:"Fleet file listing the services to run over (services: [{config: PATH, name: NAME, after: [NAME]}]; a directory means its doppio.fleet.yml)." env:"DOPPIO_FLEET" placeholder:"FILE" group:"fleet"`
	Shard         string            `help:"Run only the i-th of n deterministic parts of the selected services (e.g. 2/4), for a CI matrix of n jobs." env:"DOPPIO_SHARD" placeholder:"i/n" group:"fleet"`
	Parallel      int               `help:"Services worked on at once when several are selected (default 10)." default:"10" env:"DOPPIO_PARALLEL" placeholder:"N" group:"fleet"`
	KeepGoing     bool              `help:"When a service fails, keep starting the others (--no-keep-going or --fail-fast: start no new one; those in flight still run to their end)." negatable:"" default:"true" group:"fleet"`
	FailFast      bool              `help:"Same as --no-keep-going." group:"fleet"`
	FilterCommand string            `help:"Command that picks one of several tasks (or containers) for tasks --find/--stop/--trace and exec (e.g. peco, fzf): the list on its stdin, the chosen line on its stdout. Overrides the config's filter_command." env:"DOPPIO_FILTER_COMMAND,ECSPRESSO_FILTER_COMMAND" placeholder:"CMD"`

	// Run-time state, not flags.
	Stdout        io.Writer       `kong:"-"` // masked: secrets never reach it
	Stderr        io.Writer       `kong:"-"` // masked
	Stdin         io.Reader       `kong:"-"` // confirmation prompts read it
	Context       context.Context `kong:"-"`
	Secrets       *mask.Set       `kong:"-"`
	BinaryVersion string          `kong:"-"`

	rawStdout io.Writer
	// rawStderr receives GitHub workflow commands: the runner reads them from
	// stderr as from stdout, and stdout stays data (`--output json | jq`).
	// Unmasked, because ::add-mask:: has to carry the secret itself.
	rawStderr io.Writer
	project   *render.Project
	// timeout bounds Context once it is known (see bound): --timeout before
	// anything runs, else the config's timeout once it is loaded.
	timeout       time.Duration
	cancelTimeout context.CancelFunc
	gh            *ghactions.Step // see GitHub()
	command       string          // the command being run, e.g. "deploy" (for the step summary)
	progress      *progressReporter
	// In a run over several services, each service's commands get a copy
	// of Globals (see forService) with these set.
	//
	// wrapECS gives the ECS client of a project's deployers and waiters
	// (nil: the project's own client).
	wrapECS func(p *render.Project) deploy.ECSAPI
	// outcomes, when set, receives a command's outcome instead of stdout.
	outcomes func(*deploy.Outcome)
	// resultJSON is --output json of a command whose result is an outcome.
	resultJSON bool
	// row receives a service's events for its row in the run's live block.
	row func(deploy.Event)
}

func newGlobals(ctx context.Context, stdout, stderr io.Writer) *Globals {
	secrets := &mask.Set{}
	return &Globals{
		Stdout:        secrets.Writer(stdout),
		Stderr:        secrets.Writer(stderr),
		Stdin:         os.Stdin,
		Context:       ctx,
		Secrets:       secrets,
		BinaryVersion: runningVersion(),
		rawStdout:     stdout,
		rawStderr:     stderr,
	}
}

// attach copies the run-time state into the parsed flag struct.
func (g *Globals) attach(from *Globals) {
	g.Stdout, g.Stderr, g.Stdin, g.Context, g.Secrets = from.Stdout, from.Stderr, from.Stdin, from.Context, from.Secrets
	g.BinaryVersion, g.rawStdout, g.rawStderr = from.BinaryVersion, from.rawStdout, from.rawStderr
}

// setup runs after parsing, before any command: logging, then envfiles (so
// the config's env/must_env see their values).
func (g *Globals) setup() error {
	setupLogging(g.Stderr, g.LogFormat, g.Debug)
	if err := checkExtCode(g.ExtCode); err != nil {
		return err
	}
	if v := os.Getenv("DOPPIO_JSONNET_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("DOPPIO_JSONNET_TIMEOUT=%s: want a positive duration (e.g. 2m)", v)
		}
		render.JsonnetTimeLimit = d
	}
	for _, f := range g.Envfile {
		if err := loadEnvfile(f); err != nil {
			return err
		}
	}
	return nil
}

func newParser(cli *CLI, stdout, stderr io.Writer) (*kong.Kong, error) {
	return kong.New(cli,
		kong.Name("doppio"),
		kong.Description("doppio deploys Amazon ECS services from declarative definitions (ecspresso-compatible).\n\n"+
			"Exit codes: 0 ok; 1 error; 2 differences found (diff --exit-code); 3 a check or rollout failed "+
			"(verify NG, deployment failed or rolled back, task exited non-zero); 4 timed out waiting. "+
			"Over several services (--config globs, --fleet, --shard): the worst service's, 1 over 4 over 3 over 2 over 0."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { panic(kongExit{code}) }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.ExplicitGroups([]kong.Group{{Key: "global", Title: "Global flags:"}, {Key: "fleet", Title: "Many services (docs/many-services.md):"}}),
		kong.Vars{"version": versionLine(runningVersion())},
	)
}

// checkExtCode parses every --ext-code value: one that is not Jsonnet is an
// error even when no Jsonnet file would read it (a YAML config, say), so a
// typo is found where it is made rather than on the day a file uses it.
func checkExtCode(code map[string]string) error {
	keys := make([]string, 0, len(code))
	for k := range code {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, err := jsonnet.SnippetToAST("--ext-code "+k, code[k]); err != nil {
			return fmt.Errorf("--ext-code %s=%s: not valid Jsonnet: %s", k, code[k], strings.Join(strings.Fields(err.Error()), " "))
		}
	}
	return nil
}

// loadEnvfile sets every variable of an envparse file, overriding the
// environment (ecspresso does the same).
func loadEnvfile(path string) error {
	raw, err := render.ReadInput(context.Background(), path, render.MaxEnvfileSize)
	if err != nil {
		return fmt.Errorf("envfile: %w", err)
	}
	vars, err := envparse.Parse(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("envfile %s: %w", path, err)
	}
	if len(vars) > render.MaxEnvfileVars {
		// Each variable is one setenv, which glibc makes linear in the
		// size of the environment.
		return fmt.Errorf("envfile %s: %d variables, more than the %d doppio sets from one file", path, len(vars), render.MaxEnvfileVars)
	}
	for k, v := range vars {
		if err := os.Setenv(k, v); err != nil {
			return fmt.Errorf("envfile %s: set %s: %w", path, k, err)
		}
	}
	return nil
}

// DefaultConfigFiles are probed in order when --config is not given.
var DefaultConfigFiles = []string{
	"doppio.yml", "doppio.yaml", "doppio.json", "doppio.jsonnet",
	"ecspresso.yml", "ecspresso.yaml", "ecspresso.json", "ecspresso.jsonnet",
}

// ConfigPath is --config, or the first default config file that exists.
func (g *Globals) ConfigPath() (string, error) {
	if len(g.Config) > 1 {
		return "", fmt.Errorf("%d configs selected (%s); this command acts on one", len(g.Config), strings.Join(g.Config, ", "))
	}
	if len(g.Config) == 1 && g.Config[0] != "" {
		return g.Config[0], nil
	}
	for _, name := range DefaultConfigFiles {
		if st, err := os.Stat(name); err == nil && !st.IsDir() {
			return name, nil
		}
	}
	wd, _ := os.Getwd()
	return "", fmt.Errorf("no config file found in %s (looked for %s); pass --config", filepath.Clean(wd), strings.Join(DefaultConfigFiles, ", "))
}

// ecs is the ECS client that deployers and waiters of p use: the
// project's own, or in a run over several services the run's shared
// wrapper of it.
func (g *Globals) ecs(p *render.Project) deploy.ECSAPI {
	if g.wrapECS != nil {
		return g.wrapECS(p)
	}
	return p.Clients.ECS
}

// newDeployer is deploy.New with the ECS client of ecs and, for services
// under the CODE_DEPLOY controller, the project's CodeDeploy names and
// AppSpec hooks.
func (g *Globals) newDeployer(p *render.Project, r deploy.Reporter) (*deploy.Deployer, error) {
	d := deploy.New(p.Clients, r)
	d.ECS = g.ecs(p)
	hooks, err := appSpecHooks(p.Config)
	if err != nil {
		return nil, err
	}
	d.CodeDeploy = deploy.NewCodeDeploy(p.Clients.CodeDeploy, p.Clients.Region(), p.Config.CodeDeploy, hooks)
	return d, nil
}

// LoadProject loads the config, AWS clients and plugins once per run.
// LoadServiceProject is LoadProject for a command that acts on the
// config's service (wait, continue, refresh, scale): without one it is an
// error naming the command.
func (g *Globals) LoadServiceProject(command string) (*render.Project, error) {
	p, err := g.LoadProject()
	if err != nil {
		return nil, err
	}
	if p.Config.Service == "" {
		return nil, fmt.Errorf("%s needs a service: set `service` in the config", command)
	}
	return p, nil
}

func (g *Globals) LoadProject() (*render.Project, error) {
	if g.project != nil {
		return g.project, nil
	}
	path, err := g.ConfigPath()
	if err != nil {
		return nil, err
	}
	if g.Timeout != nil {
		g.bound(*g.Timeout)
	}
	p, err := render.Load(g.Context, render.Options{
		ConfigPath:    path,
		ExtStr:        g.ExtStr,
		ExtCode:       g.ExtCode,
		AssumeRoleARN: g.AssumeRoleARN,
		Version:       g.BinaryVersion,
		Timeout:       g.Timeout,
		Secrets:       g.Secrets,
	})
	if err != nil {
		return nil, err
	}
	g.project = p
	g.bound(p.Config.Timeout.Duration)
	return p, nil
}

// bound makes Context end after d (0: never), once per run, so that every
// AWS call of the command, the lookups of rendering included, is under one
// deadline; its expiry is exit 4 (see timedOut).
func (g *Globals) bound(d time.Duration) {
	if g.cancelTimeout != nil || d <= 0 {
		return
	}
	g.timeout = d
	g.Context, g.cancelTimeout = context.WithTimeout(g.Context, d)
}

// timedOut turns an error the run's deadline caused into exit 4, saying
// which timeout expired.
func (g *Globals) timedOut(err error) error {
	if err == nil || g.cancelTimeout == nil || !errors.Is(g.Context.Err(), context.DeadlineExceeded) || exitcode.Of(err) != exitcode.Error {
		return err
	}
	return exitcode.With(exitcode.Timeout, fmt.Errorf("timed out after %s (--timeout or the config's timeout): %w", g.timeout, err))
}

// validateTimeout rejects a --timeout that would end the command at once.
func (g *Globals) validateTimeout() error {
	if g.Timeout != nil && *g.Timeout <= 0 {
		return fmt.Errorf("--timeout must be a positive duration (e.g. 15m), got %s", *g.Timeout)
	}
	return nil
}

// UseColor tells whether output may carry ANSI colors: --color/--no-color,
// else a terminal on stdout and no NO_COLOR.
func (g *Globals) UseColor() bool {
	if g.Color != nil {
		return *g.Color
	}
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	f, ok := g.rawStdout.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// learnSecrets renders the project's definitions before a command prints
// live state, so that what their lookups resolve is masked in it. A file
// that does not render is a warning: the command still shows what runs.
func learnSecrets(ctx context.Context, p *render.Project) {
	if err := p.LearnSecrets(ctx); err != nil && ctx.Err() == nil {
		slog.WarnContext(ctx, "the local definitions do not render, so secrets their lookups would resolve may not be masked in this output", "error", err.Error())
	}
}

// rawConfigPaths undoes what kong does to --config values (or
// DOPPIO_CONFIG, ECSPRESSO_CONFIG) that are not valid UTF-8: it replaces the
// invalid bytes with U+FFFD, so a file name the OS allows would not be found.
// parsed is kong's values; the raw ones are returned only when one of them
// is not valid UTF-8 and they match kong's one for one.
func rawConfigPaths(args []string, getenv func(string) string, parsed []string) []string {
	var raw []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			raw = append(raw, v)
		} else if a == "--config" && i+1 < len(args) {
			raw = append(raw, args[i+1])
			i++
		}
	}
	if len(raw) == 0 {
		if v := cmp.Or(getenv("DOPPIO_CONFIG"), getenv("ECSPRESSO_CONFIG")); v != "" {
			raw = []string{v}
		}
	}
	invalid := slices.ContainsFunc(raw, func(s string) bool { return !utf8.ValidString(s) })
	if !invalid || len(raw) != len(parsed) {
		return parsed
	}
	return raw
}
