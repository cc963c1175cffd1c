// Package e2e runs the built doppio binary against the AWS emulator, the way a
// user runs it in CI. Each script in testdata/ gets a fresh emulator.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/doppio-ecs/doppio/tests/awsemu"
)

// binDir holds the doppio binary built once for every script; pluginDir the
// fake session-manager-plugin (tests/e2e/fakeplugin).
var binDir, pluginDir string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "doppio-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	// DOPPIO_TEST_TAGS: the build tags the test run uses (see the Makefile),
	// so the binary reuses the packages the tests already compiled.
	build := exec.Command("go", "build", "-tags", os.Getenv("DOPPIO_TEST_TAGS"), "-o", filepath.Join(dir, "doppio"), "./cmd/doppio")
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build doppio:", err)
		return 1
	}
	// A stand-in for AWS's session-manager-plugin, on PATH in its own
	// directory so that a script can drop it (see exec_plugin_missing).
	pluginDir = filepath.Join(dir, "plugin")
	plugin := exec.Command("go", "build", "-o", filepath.Join(pluginDir, "session-manager-plugin"), "./tests/e2e/fakeplugin")
	plugin.Dir = root
	plugin.Stdout, plugin.Stderr = os.Stderr, os.Stderr
	if err := plugin.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the fake session-manager-plugin:", err)
		return 1
	}
	binDir = dir
	return m.Run()
}

func TestScripts(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root, _ := filepath.Abs(filepath.Join(filepath.Dir(file), "..", ".."))
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireUniqueNames:  true,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			clock := awsemu.NewManualClock(time.Time{})
			emu := awsemu.New(awsemu.Options{Clock: clock, Seed: 1})
			if err := emu.Start(""); err != nil {
				return err
			}
			env.Defer(func() {
				if err := emu.Close(); err != nil {
					env.T().Fatal(err)
				}
			})
			env.Values[emuKey{}] = emu
			env.Values[clockKey{}] = clock
			env.Values[markKey{}] = new(int)
			for _, kv := range emu.Env() {
				k, v, _ := strings.Cut(kv, "=")
				env.Setenv(k, v)
			}
			env.Setenv("PATH", binDir+string(os.PathListSeparator)+pluginDir+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("BIN_DIR", binDir)
			env.Setenv("FAKE_SMP_LOG", filepath.Join(env.WorkDir, "plugin.log"))
			env.Setenv("AWS_CONFIG_FILE", filepath.Join(env.WorkDir, ".aws-config-absent"))
			env.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(env.WorkDir, ".aws-credentials-absent"))
			env.Setenv("NO_COLOR", "1")
			// doppio polls at least this often; keeps rollouts on the
			// emulator's clock quick without sleeping in tests.
			env.Setenv("DOPPIO_POLL_INTERVAL_MIN", "10ms")
			env.Setenv("REPO", root)
			env.Setenv("EMU_URL", emu.URL())
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"seed":  cmdSeed,
			"clock": cmdClock,
			"fault": cmdFault,
			"calls": cmdCalls,
			"mark":  cmdMark,
			"nomutation": func(ts *testscript.TestScript, neg bool, args []string) {
				cmdNoMutation(ts, neg, args)
			},
			"reqlog":    cmdReqlog,
			"ecstasks":  cmdECSTasks,
			"awaitcall": cmdAwaitCall,
			"exits":     cmdExits,
			"freeport":  cmdFreeport,
			"dial":      cmdDial,
			"logline":   cmdLogline,
			"stoptask":  cmdStopTask,
			"svcevent":  cmdServiceEvent,
			"wfsafe":    cmdWorkflowSafe,
			"samecall":  cmdSameCall,
			"repeat":    cmdRepeat,
			"jsondoc":   cmdJSONDoc,
		},
	})
}

type emuKey struct{}
type clockKey struct{}
type markKey struct{}

func emulator(ts *testscript.TestScript) *awsemu.Emulator {
	return ts.Value(emuKey{}).(*awsemu.Emulator)
}

// seed FILE...: load seed files (JSON or YAML) into the emulator.
func cmdSeed(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: seed FILE...")
	}
	for _, f := range args {
		s, err := awsemu.LoadSeedFile(ts.MkAbs(f))
		ts.Check(err)
		ts.Check(emulator(ts).ApplySeed(s))
	}
}

// clock advance DURATION | clock autostep DURATION
func cmdClock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: clock advance|autostep DURATION")
	}
	d, err := time.ParseDuration(args[1])
	ts.Check(err)
	c := ts.Value(clockKey{}).(*awsemu.ManualClock)
	switch args[0] {
	case "advance":
		c.Advance(d)
	case "autostep":
		c.SetAutoStep(d)
	default:
		ts.Fatalf("clock: unknown verb %q", args[0])
	}
}

// fault PATTERN key=value...: throttle=0.2 error=0.1 drop=0.05 dropafter=1 stall=1 deny=1
// latency=50ms rate=10 burst=5 times=1
// "fault PATTERN off" removes the rule.
func cmdFault(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: fault PATTERN key=value...")
	}
	f, err := awsemu.ParseFault(args[1:])
	ts.Check(err)
	emulator(ts).SetFault(args[0], f)
}

// calls OP OPERATOR N: count successful calls of OP ("ECS.UpdateService")
// since the last mark. OPERATOR is one of == >= <= > <.
func cmdCalls(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: calls OP ==|>=|<=|>|< N")
	}
	want, err := strconv.Atoi(args[2])
	ts.Check(err)
	got := 0
	for _, r := range emulator(ts).Log.Since(*ts.Value(markKey{}).(*int)) {
		if (r.Operation == args[0] || r.Service+"."+r.Operation == args[0]) && r.Status == 200 {
			got++
		}
	}
	if compare(args[1], got, want) == neg {
		ts.Fatalf("calls %s: got %d, want %s %d", args[0], got, args[1], want)
	}
}

// awaitcall OP: poll the request log (no fixed sleep) until a successful
// call of OP has been served since the mark; fail after 60 s. Lets a script
// interrupt a background doppio in a known phase.
func cmdAwaitCall(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: awaitcall OP")
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range emulator(ts).Log.Since(*ts.Value(markKey{}).(*int)) {
			if (r.Operation == args[0] || r.Service+"."+r.Operation == args[0]) && r.Status == 200 {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	ts.Fatalf("awaitcall %s: no such call within 60s", args[0])
}

// ecstasks CLUSTER OPERATOR N [STARTEDBY]: count the tasks the emulator
// holds in CLUSTER (running or stopped), optionally only those a given
// startedBy started.
func cmdECSTasks(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 && len(args) != 4 {
		ts.Fatalf("usage: ecstasks CLUSTER ==|>=|<=|>|< N [STARTEDBY]")
	}
	want, err := strconv.Atoi(args[2])
	ts.Check(err)
	got := 0
	for _, t := range emulator(ts).ECSTasks(args[0]) {
		if len(args) == 3 || aws.ToString(t.StartedBy) == args[3] {
			got++
		}
	}
	if compare(args[1], got, want) == neg {
		ts.Fatalf("ecstasks %s: got %d, want %s %d", args[0], got, args[1], want)
	}
}

func compare(op string, got, want int) bool {
	return map[string]bool{"==": got == want, ">=": got >= want, "<=": got <= want, ">": got > want, "<": got < want}[op]
}

// mark: later calls/nomutation only look at requests after this point.
func cmdMark(ts *testscript.TestScript, neg bool, args []string) {
	*ts.Value(markKey{}).(*int) = emulator(ts).Log.Len()
}

// nomutation: no mutating AWS call since the last mark.
func cmdNoMutation(ts *testscript.TestScript, neg bool, args []string) {
	muts := emulator(ts).Log.Mutating(*ts.Value(markKey{}).(*int))
	if neg {
		if len(muts) == 0 {
			ts.Fatalf("expected a mutating call, found none")
		}
		return
	}
	if len(muts) > 0 {
		var names []string
		for _, r := range muts {
			names = append(names, r.Service+"."+r.Operation)
		}
		ts.Fatalf("mutating calls were made: %s", strings.Join(names, ", "))
	}
}

// exits N CMD ARGS...: run CMD (like exec) and require exit status N; stdout
// and stderr stay available to the stdout/stderr commands.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N CMD ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// reqlog FILE: dump the request log as JSON lines (for debugging a script).
func cmdReqlog(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: reqlog FILE")
	}
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	ts.Check(emulator(ts).Log.WriteJSONLines(f))
}

// jsondoc FILE: FILE (e.g. `cp stdout out.json`) is exactly one JSON
// document, as a program reading doppio's --output json decodes it.
func cmdJSONDoc(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: jsondoc FILE")
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(ts.ReadFile(args[0]))))
	var v any
	if err := dec.Decode(&v); err != nil {
		ts.Fatalf("%s: not JSON: %v", args[0], err)
	}
	if dec.More() {
		ts.Fatalf("%s: more than one JSON document", args[0])
	}
}

// repeat FILE N [PREFIX] LINE [SUFFIX]: write PREFIX, then N lines of LINE
// (with {n} replaced by the line's number), then SUFFIX, to FILE: inputs too
// big for a txtar (an envfile of 20,000 variables, a 9 MiB definition).
// \n in PREFIX and SUFFIX is a newline.
func cmdRepeat(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 || len(args) > 5 {
		ts.Fatalf("usage: repeat FILE N [PREFIX] LINE [SUFFIX]")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	prefix, line, suffix := "", args[2], ""
	if len(args) >= 4 {
		prefix, line = args[2], args[3]
	}
	if len(args) == 5 {
		suffix = args[4]
	}
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(prefix, `\n`, "\n"))
	for i := range n {
		b.WriteString(strings.ReplaceAll(line, "{n}", strconv.Itoa(i)) + "\n")
	}
	b.WriteString(strings.ReplaceAll(suffix, `\n`, "\n"))
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(b.String()), 0o644))
}

// freeport NAME: set $NAME to a TCP port on 127.0.0.1 that is free now.
func cmdFreeport(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: freeport NAME")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := ln.Addr().(*net.TCPAddr).Port
	ts.Check(ln.Close())
	ts.Setenv(args[0], strconv.Itoa(port))
}

// dial ADDR WANT: connect to ADDR (retrying for up to 20 s while nothing
// listens yet) and require that the first line read contains WANT.
func cmdDial(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: dial ADDR WANT")
	}
	deadline := time.Now().Add(20 * time.Second)
	var conn net.Conn
	for {
		c, err := net.DialTimeout("tcp", args[0], time.Second)
		if err == nil {
			conn = c
			break
		}
		if time.Now().After(deadline) {
			ts.Fatalf("dial %s: %v", args[0], err)
		}
		time.Sleep(20 * time.Millisecond) // polling a port that is not open yet
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil && line == "" {
		ts.Fatalf("read from %s: %v", args[0], err)
	}
	if !strings.Contains(line, args[1]) {
		ts.Fatalf("%s answered %q, want %q", args[0], line, args[1])
	}
}

// logline GROUP STREAM MESSAGE: a container writes MESSAGE to the log
// stream (at the emulator's now). {task} in STREAM is the id of the newest
// task of cluster demo.
func cmdLogline(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: logline GROUP STREAM MESSAGE")
	}
	e := emulator(ts)
	stream := args[1]
	if strings.Contains(stream, "{task}") {
		tasks := e.ECSTasks("demo")
		if len(tasks) == 0 {
			ts.Fatalf("logline: no task in cluster demo for {task}")
		}
		arn := *tasks[len(tasks)-1].TaskArn
		stream = strings.ReplaceAll(stream, "{task}", arn[strings.LastIndex(arn, "/")+1:])
	}
	e.AppendLogEvents(args[0], stream, awsemu.LogEvent{Time: e.Clock().Now(), Message: args[2]})
}

// externalText is a harness argument as text from AWS: a double-quoted
// argument is a Go string literal, so a script can write "a\n::error::b".
func externalText(ts *testscript.TestScript, arg string) string {
	if !strings.HasPrefix(arg, `"`) {
		return arg
	}
	s, err := strconv.Unquote(arg)
	if err != nil {
		ts.Fatalf("%s: not a Go string literal: %v", arg, err)
	}
	return s
}

// stoptask CLUSTER REASON: stop the newest task of CLUSTER that is not
// STOPPED, as any AWS user may, with StopTask's free-text reason (which ECS
// then reports as the task's stoppedReason).
func cmdStopTask(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: stoptask CLUSTER REASON")
	}
	e := emulator(ts)
	tasks := e.ECSTasks(args[0])
	arn := ""
	for _, t := range tasks {
		if aws.ToString(t.LastStatus) != "STOPPED" {
			arn = aws.ToString(t.TaskArn)
		}
	}
	if arn == "" {
		ts.Fatalf("stoptask: no task to stop in cluster %s", args[0])
	}
	client := ecs.NewFromConfig(aws.Config{Region: e.Region(), Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")},
		func(o *ecs.Options) { o.BaseEndpoint = aws.String(e.URL()) })
	_, err := client.StopTask(context.Background(), &ecs.StopTaskInput{Cluster: aws.String(args[0]), Task: aws.String(arn), Reason: aws.String(externalText(ts, args[1]))})
	ts.Check(err)
}

// svcevent CLUSTER SERVICE MESSAGE: the service gets an event saying
// MESSAGE (newest first), text no emulated behaviour writes.
func cmdServiceEvent(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: svcevent CLUSTER SERVICE MESSAGE")
	}
	ts.Check(emulator(ts).AppendServiceEvent(args[0], args[1], externalText(ts, args[2])))
}

// doppioCommand is a workflow command doppio writes itself.
var doppioCommand = regexp.MustCompile(`^::(group|endgroup|error|warning|notice|add-mask|debug)( [^:]*)?::`)

// wfsafe FILE [FORGED...]: FILE, read as the GitHub runner reads a step's
// output (a line ends at "\n", "\r\n" or a lone "\r"; blanks around it do
// not count), holds no workflow command but doppio's own, none starting
// with a FORGED prefix (e.g. "::error::forged"), and no legacy "##[" one
// (which the runner looks for anywhere in a line).
func cmdWorkflowSafe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: wfsafe FILE [FORGED...]")
	}
	text := strings.ReplaceAll(ts.ReadFile(args[0]), "\r\n", "\n")
	for i, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "::") {
			// The runner tries the "##[" form only on a line that is no
			// "::" command, so "##[" in an annotation's message is inert.
			if strings.Contains(line, "##[") {
				ts.Fatalf("%s: line %d is a legacy workflow command: %q", args[0], i+1, line)
			}
			continue
		}
		if !doppioCommand.MatchString(line) {
			ts.Fatalf("%s: line %d is a workflow command doppio does not write: %q", args[0], i+1, line)
		}
		for _, f := range args[1:] {
			if strings.HasPrefix(line, f) {
				ts.Fatalf("%s: line %d is a forged workflow command: %q", args[0], i+1, line)
			}
		}
	}
}

// samecall: the last two calls of the fake session-manager-plugin (in
// $FAKE_SMP_LOG) have the same arguments once session ids, tokens and
// ports are masked: doppio called it exactly as the AWS CLI did.
func cmdSameCall(ts *testscript.TestScript, neg bool, args []string) {
	data, err := os.ReadFile(ts.Getenv("FAKE_SMP_LOG"))
	ts.Check(err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) < 2 {
		ts.Fatalf("samecall: %d plugin calls logged, want 2", len(lines))
	}
	mask := regexp.MustCompile(`(ecs-execute-command-|[a-z]+-)[0-9a-f]{17}|AAEAAf[0-9a-f]+|127\.0\.0\.1:[0-9]+`)
	a, b := mask.ReplaceAllString(lines[len(lines)-2], "<masked>"), mask.ReplaceAllString(lines[len(lines)-1], "<masked>")
	if (a == b) == neg {
		ts.Fatalf("plugin calls differ:\n%s\n%s", a, b)
	}
}
