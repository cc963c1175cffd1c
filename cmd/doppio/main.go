// Command doppio deploys Amazon ECS services from declarative definitions,
// reading kayac/ecspresso's config and definition files unchanged.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/smithy-go"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/exitcode"
	"github.com/doppio-ecs/doppio/ghactions"
	"github.com/doppio-ecs/doppio/internal/interrupt"
	"github.com/doppio-ecs/doppio/internal/third_party/kong"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

// interruptGrace is how long a command has, after SIGINT or SIGTERM
// cancelled its context, to report what it did (a deploy says what it had
// applied) before doppio exits anyway: some work cannot be cancelled
// (Jsonnet or template evaluation, a blocked read).
const interruptGrace = 3 * time.Second

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go watchInterrupt(sigs, cancel, os.Stderr, os.Exit)
	code := run(interrupt.Mark(ctx), os.Args[1:], os.Stdout, os.Stderr)
	signal.Stop(sigs)
	os.Exit(code)
}

// watchInterrupt cancels the run on the first signal; a second signal, or
// the grace period running out, ends the process with exit 1 and a line
// saying so.
func watchInterrupt(sigs <-chan os.Signal, cancel context.CancelFunc, stderr io.Writer, exit func(int)) {
	s := <-sigs
	interruptSignal.Store(signalName(s))
	cancel()
	timer := time.NewTimer(interruptGrace)
	defer timer.Stop()
	why := fmt.Sprintf("did not stop within %s of %s", interruptGrace, s)
	select {
	case <-timer.C:
	case s2 := <-sigs:
		why = "got " + s2.String() + " again"
	}
	fmt.Fprintf(stderr, "doppio: interrupted (%s %s); exiting\n", strings.Join(append([]string{"doppio"}, commandWords()...), " "), why)
	exit(exitcode.Error)
}

// interruptSignal is the name of the signal that cancelled the run.
var interruptSignal atomic.Value

func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// interrupted is the error of a run a signal cancelled: what it was doing
// when it stopped (the error's own text, "read definition ecs-task-def.json"
// or "evaluate x.jsonnet"), without the bare "context canceled".
func interrupted(err error, command string) error {
	by := "a signal"
	if s, ok := interruptSignal.Load().(string); ok && s != "" {
		by = s
	}
	what := errorParagraph(err)
	for _, suffix := range []string{": " + context.Canceled.Error(), context.Canceled.Error()} {
		what = strings.TrimSuffix(what, suffix)
	}
	if what == "" {
		// The command reported its outcome itself (a deploy says what it
		// had applied): name the command.
		what = strings.TrimSpace("doppio " + command)
	}
	return fmt.Errorf("interrupted by %s during: %s", by, what)
}

// commandWords is the command line's command (without flag values), for
// the interruption message.
func commandWords() []string {
	var out []string
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-") {
			break
		}
		out = append(out, a)
	}
	return out
}

// kongExit unwinds out of kong when it wants to exit (after --help), so that
// run, not kong, decides the process exit.
type kongExit struct{ code int }

// run is the whole CLI; tests call it in-process. It never panics and never
// prints a Go stack trace: every failure is one "doppio: ..." paragraph on
// stderr and an exit code from exitcode.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	g := newGlobals(ctx, stdout, stderr)
	defer func() {
		if r := recover(); r != nil {
			if ke, ok := r.(kongExit); ok {
				code = ke.code
				return
			}
			printError(g.Stderr, fmt.Errorf("internal error: %v (please report this)", r))
			code = exitcode.Error
		}
	}()
	switch {
	case len(args) == 0:
		args = []string{"--help"}
	case args[0] == "help":
		// ecspresso (and its users' scripts) accept "help [COMMAND]".
		args = append(append([]string(nil), args[1:]...), "--help")
	}
	cli := &CLI{}
	parser, err := newParser(cli, stdout, stderr)
	if err != nil {
		printError(g.Stderr, err)
		return exitcode.Error
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		printError(g.Stderr, fmt.Errorf("%w (see %s --help)", err, helpPath(err)))
		return exitcode.Error
	}
	cli.Globals.attach(g)
	cli.Globals.Config = rawConfigPaths(args, os.Getenv, cli.Globals.Config)
	if err := cli.Globals.validateTimeout(); err != nil {
		printError(g.Stderr, err)
		return exitcode.Error
	}
	if cli.Globals.Timeout != nil {
		cli.Globals.bound(*cli.Globals.Timeout)
	}
	defer func() {
		if cli.Globals.cancelTimeout != nil {
			cli.Globals.cancelTimeout()
		}
	}()
	if err := cli.Globals.setup(); err != nil {
		printError(g.Stderr, err)
		return exitcode.Of(err)
	}
	cli.Globals.command = commandName(kctx.Command())
	if cli.Globals.GitHub().Enabled {
		// On a runner every line doppio prints may carry text from AWS
		// (events, stopped reasons, container logs): none may act as a
		// workflow command. doppio's own commands use the raw stream (see GitHub).
		g.Stdout, g.Stderr = ghactions.NeutralizingWriter(g.Stdout), ghactions.NeutralizingWriter(g.Stderr)
		cli.Globals.Stdout, cli.Globals.Stderr = g.Stdout, g.Stderr
		// Log records carry AWS text too (error messages, warnings).
		setupLogging(g.Stderr, cli.Globals.LogFormat, cli.Globals.Debug)
	}
	if cli.Globals.fleetRequested() {
		err = cli.Globals.timedOut(runFleet(&cli.Globals, kctx))
	} else {
		err = cli.Globals.timedOut(kctx.Run(&cli.Globals))
	}
	if cerr := cli.Globals.project.Close(); cerr != nil {
		slog.Debug("stop plugin processes", "error", cerr)
	}
	if err != nil {
		if ctx.Err() != nil {
			// ctx ends only on SIGINT/SIGTERM (a timeout bounds a child):
			// whatever the command was at, even explaining a failure or a
			// timeout, the run was interrupted.
			err = exitcode.With(exitcode.Error, interrupted(err, cli.Globals.command))
		}
		if msg, ok := firstContact(err, cli.Globals.region()); ok {
			err = exitcode.With(exitcode.Of(err), errors.New(msg))
		}
		if cli.Globals.LogFormat == "json" {
			// stderr stays parseable: the failure is a JSON record too.
			if msg := errorParagraph(err); msg != "" {
				slog.Error(msg, "exit_code", exitcode.Of(err))
			}
		} else {
			printError(g.Stderr, err)
		}
		cli.Globals.annotateFailure(err)
	}
	return exitcode.Of(err)
}

// commandName is kong's command path without its argument placeholders:
// "render" for "render <targets>".
func commandName(path string) string {
	var words []string
	for _, w := range strings.Fields(path) {
		if !strings.HasPrefix(w, "<") {
			words = append(words, w)
		}
	}
	return strings.Join(words, " ")
}

// helpPath is the command whose --help answers a parse error: "doppio
// deploy" for a bad deploy flag, "doppio" when no command was recognised.
func helpPath(err error) string {
	var perr *kong.ParseError
	if errors.As(err, &perr) && perr.Context != nil {
		if n := perr.Context.Selected(); n != nil {
			return n.FullPath()
		}
	}
	return "doppio"
}

// printError writes err as one paragraph. A coded error without a message
// means the command already reported what happened.
func printError(w io.Writer, err error) {
	if msg := errorParagraph(err); msg != "" {
		fmt.Fprintf(w, "doppio: %s\n", msg)
	}
}

// errorParagraph is err's message on one line ("" for none).
func errorParagraph(err error) string {
	msg := conciseAWSError(err)
	var parts []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

// conciseAWSError shortens the SDK's "operation error ECS: DescribeServices,
// https response error StatusCode: 400, RequestID: , X: msg" to "ECS
// DescribeServices: X: msg": the exception name and AWS's message are what a
// user acts on.
func conciseAWSError(err error) string {
	msg := err.Error()
	var op *smithy.OperationError
	var api smithy.APIError
	var unreachable *awsapi.UnreachableError
	if errors.As(err, &op) && errors.As(op.Err, &unreachable) {
		// The SDK's "https response error StatusCode: 0, RequestID: ,
		// request send failed" says nothing a user can act on.
		return strings.Replace(msg, op.Error(), fmt.Sprintf("%s %s: %s", op.ServiceID, op.OperationName, unreachable.Error()), 1)
	}
	if errors.As(err, &op) && errors.As(op.Err, &api) {
		short := fmt.Sprintf("%s %s: %s: %s", op.ServiceID, op.OperationName, api.ErrorCode(), api.ErrorMessage())
		msg = strings.Replace(msg, op.Error(), short, 1)
	}
	return msg
}
