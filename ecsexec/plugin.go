// Package ecsexec opens ECS Exec sessions (a shell or a command in a
// container) and port forwarding to a task, handing the session to AWS's
// session-manager-plugin exactly as the AWS CLI does, and checks beforehand
// why ECS Exec would fail (Check).
package ecsexec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// PluginName is the executable the AWS CLI runs for Session Manager sessions.
const PluginName = "session-manager-plugin"

// InstallURL explains how to install the plugin.
const InstallURL = "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html"

// sessionEnv is where plugins newer than 1.2.497.0 read the session from:
// the AWS CLI passes the variable's name instead of the session itself, so
// the token does not show in the process list.
const sessionEnv = "AWS_SSM_START_SESSION_RESPONSE"

// lastVersionWithoutEnv is the newest plugin that only takes the session
// as an argument (the AWS CLI's LAST_PLUGIN_VERSION_WITHOUT_ENV_VAR).
var lastVersionWithoutEnv = []int{1, 2, 497, 0}

// ErrPluginNotFound means session-manager-plugin is not on PATH.
var ErrPluginNotFound = fmt.Errorf("%s is not installed (not found on PATH); install it: %s", PluginName, InstallURL)

// Plugin is the session-manager-plugin found on PATH.
type Plugin struct {
	Path    string
	Version string // as `session-manager-plugin --version` prints it
}

// FindPlugin looks the plugin up on PATH and asks its version, as the AWS
// CLI does before every session.
func FindPlugin(ctx context.Context) (*Plugin, error) {
	path, err := exec.LookPath(PluginName)
	if err != nil {
		return nil, ErrPluginNotFound
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --version (%s): %w", PluginName, path, err)
	}
	return &Plugin{Path: path, Version: strings.TrimSpace(string(out))}, nil
}

var versionPattern = regexp.MustCompile(`^\d+(\.\d+){0,3}$`)

// parseVersion reads "1.2.707.0"; ok is false for anything else.
func parseVersion(v string) ([]int, bool) {
	v = strings.Join(strings.Fields(v), "")
	if !versionPattern.MatchString(v) {
		return nil, false
	}
	var parts []int
	for _, p := range strings.Split(v, ".") {
		n, _ := strconv.Atoi(p)
		parts = append(parts, n)
	}
	for len(parts) < 4 {
		parts = append(parts, 0)
	}
	return parts, true
}

// takesSessionFromEnv tells whether the plugin reads the session from
// AWS_SSM_START_SESSION_RESPONSE: strictly newer than 1.2.497.0, as the AWS
// CLI decides (an unreadable version means no).
func (p *Plugin) takesSessionFromEnv() bool {
	v, ok := parseVersion(p.Version)
	return ok && versionLess(lastVersionWithoutEnv, v)
}

// Invocation is one run of the plugin: its arguments (without the program)
// and the variables added to the environment.
type Invocation struct {
	Args []string
	Env  []string
}

// Invocation builds the plugin's command line the way the AWS CLI does:
//
//	session-manager-plugin SESSION REGION StartSession PROFILE PARAMETERS ENDPOINT
//
// SESSION is the session JSON (or, for newer plugins, the name of the
// variable holding it), PROFILE the AWS profile name or "", PARAMETERS the
// StartSession request as JSON and ENDPOINT the URL of the service that
// opened the session (ECS for exec, SSM for port forwarding).
func (p *Plugin) Invocation(session pyObject, region, profile string, params pyObject, endpoint string) Invocation {
	sess := session.String()
	var env []string
	if p.takesSessionFromEnv() {
		env = append(env, sessionEnv+"="+sess)
		sess = sessionEnv
	}
	return Invocation{Args: []string{sess, region, "StartSession", profile, params.String(), endpoint}, Env: env}
}

// Run runs the plugin attached to the terminal until it exits. While it
// runs, Ctrl-C, Ctrl-\ and Ctrl-Z reach the plugin (it forwards them into
// the session) and do not stop doppio, as the AWS CLI ignores them.
func (p *Plugin) Run(inv Invocation, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := exec.Command(p.Path, inv.Args...)
	cmd.Env = append(os.Environ(), inv.Env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGQUIT, syscall.SIGTSTP)
	go func() {
		for range sigs { // swallowed: the plugin, in our process group, gets them too
		}
	}()
	defer func() {
		signal.Stop(sigs)
		close(sigs)
	}()
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return fmt.Errorf("%s exited with status %d", PluginName, exit.ExitCode())
	}
	if err != nil {
		return &startError{fmt.Errorf("run %s: %w", PluginName, err)}
	}
	return nil
}

// startError means the plugin did not start at all.
type startError struct{ err error }

func (e *startError) Error() string { return e.err.Error() }
func (e *startError) Unwrap() error { return e.err }

// pyObject is a JSON object whose members keep their order, encoded as
// Python's json.dumps does (", " and ": " separators): the AWS CLI's
// arguments to the plugin, byte for byte.
type pyObject []pyMember

type pyMember struct {
	Key   string
	Value any // string, []string or pyObject
}

func (o pyObject) String() string {
	var b bytes.Buffer
	o.write(&b)
	return b.String()
}

func (o pyObject) write(b *bytes.Buffer) {
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteString(", ")
		}
		writeString(b, m.Key)
		b.WriteString(": ")
		switch v := m.Value.(type) {
		case string:
			writeString(b, v)
		case []string:
			b.WriteByte('[')
			for j, s := range v {
				if j > 0 {
					b.WriteString(", ")
				}
				writeString(b, s)
			}
			b.WriteByte(']')
		case pyObject:
			v.write(b)
		}
	}
	b.WriteByte('}')
}

// writeString escapes like json.dumps with ensure_ascii: non-ASCII as \uXXXX.
func writeString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s)
	for _, r := range strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(enc)) {
		switch {
		case r < 0x80:
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			fmt.Fprintf(b, `\u%04x`, r)
		}
	}
}
