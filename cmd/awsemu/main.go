// Command awsemu serves doppio's AWS emulator (ECS, ECR and its registry,
// IAM, STS, SSM, Secrets Manager, CloudWatch Logs, ELBv2, Application Auto
// Scaling, CloudFormation, S3) on one local address, so any AWS client can be
// pointed at it:
//
//	eval "$(awsemu --addr 127.0.0.1:4566 --seed seed.yaml &)"
//
// It prints the environment to export on stdout, logs on stderr, and stops
// on SIGINT or SIGTERM.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/doppio-ecs/doppio/tests/awsemu"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, sig, nil))
}

// run is the whole command; ready, when set, receives the emulator once it
// serves (tests use it).
func run(args []string, stdout, stderr io.Writer, stop <-chan os.Signal, ready chan<- *awsemu.Emulator) int {
	fs := flag.NewFlagSet("awsemu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:4566", "address to listen on (port 0 picks a free port)")
	seedPath := fs.String("seed", "", "seed file (YAML or JSON) with the initial state")
	speed := fs.Float64("speed", 1, "clock speed factor: 10 makes a 30 s rollout take 3 s")
	requestLog := fs.String("request-log", "", "on exit, write every request served to this file as JSON lines")
	region := fs.String("region", "us-east-1", "emulated region")
	account := fs.String("account-id", "123456789012", "emulated account id")
	faultSeed := fs.Int64("fault-seed", 1, "seed of injected faults and generated ids")
	verbose := fs.Bool("v", false, "log every request on stderr")
	var faults faultFlags
	fs.Var(&faults, "fault", "inject faults into matching operations, repeatable: PATTERN:key=value,... e.g.\n"+
		"'ECS.RunTask:dropafter=1,times=1' (the first answer is lost after the task started),\n"+
		"'ECS.*:throttle=0.2,error=0.05', '*:latency=200ms', 'SSM.GetParameter:stall=1';\n"+
		"keys: throttle, error (5xx), drop (before the call applies), dropafter (after), stall, deny (fractions 0-1),\n"+
		"latency, rate/burst (token bucket), times (the rule ends after N faults); seeded by --fault-seed")
	var limits rateLimitFlags
	fs.Var(&limits, "rate-limit", "per-operation token buckets like AWS's, repeatable: PATTERN=RATE/BURST (sustained requests\n"+
		"per second / bucket size), e.g. 'ECS.DescribeServices=20/50', 'ECS.*=20/50'; 'aws' installs the documented\n"+
		"ECS request quotas; calls over a bucket get the service's throttling error (ECS: ThrottlingException);\n"+
		"checked before --fault, so both apply")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: awsemu [flags]\n\nServes an emulated AWS account and prints the environment to export.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "awsemu: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *speed <= 0 {
		fmt.Fprintf(stderr, "awsemu: --speed must be positive, got %v\n", *speed)
		return 2
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	e := awsemu.New(awsemu.Options{Clock: awsemu.NewRealClock(*speed), Seed: *faultSeed, Region: *region, AccountID: *account, Logger: logger})
	for _, r := range faults {
		e.SetFault(r.pattern, r.fault)
	}
	for _, l := range limits {
		for pattern, limit := range l {
			e.SetRateLimit(pattern, limit)
		}
	}
	if *seedPath != "" {
		seed, err := awsemu.LoadSeedFile(*seedPath)
		if err == nil {
			err = e.ApplySeed(seed)
		}
		if err != nil {
			fmt.Fprintf(stderr, "awsemu: %v\n", err)
			return 1
		}
	}
	if err := e.Start(*addr); err != nil {
		fmt.Fprintf(stderr, "awsemu: %v\n", err)
		return 1
	}
	for _, kv := range e.Env() {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(stdout, "export %s=%s\n", k, shellQuote(v))
	}
	if f, ok := stdout.(*os.File); ok {
		_ = f.Sync()
	}
	logger.Info("awsemu serving", "url", e.URL(), "region", *region, "account", *account, "speed", *speed)
	if ready != nil {
		ready <- e
	}
	s := <-stop
	logger.Info("awsemu stopping", "signal", s.String(), "requests", e.Log.Len())
	if err := e.Close(); err != nil {
		logger.Warn("close server", "err", err)
	}
	if *requestLog != "" {
		if err := writeRequestLog(e, *requestLog); err != nil {
			fmt.Fprintf(stderr, "awsemu: %v\n", err)
			return 1
		}
	}
	return 0
}

func writeRequestLog(e *awsemu.Emulator, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write request log: %w", err)
	}
	if err := e.Log.WriteJSONLines(f); err != nil {
		f.Close()
		return fmt.Errorf("write request log %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write request log %s: %w", path, err)
	}
	return nil
}

// shellQuote quotes v for a POSIX shell when it needs it.
func shellQuote(v string) string {
	if v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:") == "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

type faultRule struct {
	pattern string
	fault   awsemu.Fault
}

// faultFlags collects --fault PATTERN:key=value,... flags.
type faultFlags []faultRule

func (f *faultFlags) String() string { return "" }

func (f *faultFlags) Set(v string) error {
	pattern, spec, ok := strings.Cut(v, ":")
	if !ok || pattern == "" || spec == "" {
		return fmt.Errorf("want PATTERN:key=value,..., e.g. ECS.RunTask:dropafter=1,times=1")
	}
	fault, err := awsemu.ParseFault(strings.Split(spec, ","))
	if err != nil {
		return err
	}
	*f = append(*f, faultRule{pattern: pattern, fault: fault})
	return nil
}

// rateLimitFlags collects --rate-limit values in order (a later one for the
// same pattern wins).
type rateLimitFlags []map[string]awsemu.RateLimit

func (f *rateLimitFlags) String() string { return "" }

func (f *rateLimitFlags) Set(v string) error {
	l, err := awsemu.ParseRateLimits(v)
	if err != nil {
		return err
	}
	*f = append(*f, l)
	return nil
}
