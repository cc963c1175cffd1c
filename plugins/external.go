package plugins

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The external plugin (ecspresso v2.4+) turns a command into a lookup
// function. In exec mode each call runs the command with the call's
// arguments appended and reads its stdout; in jsonrpc mode one process
// started at the first call answers JSON-RPC 2.0 requests, one JSON object a
// line on stdin and stdout.
//
//	plugins:
//	  - name: external
//	    func_prefix: my_          # optional: the function becomes my_<name>
//	    config:
//	      name: secret_id         # function name
//	      command: [./lookup.sh]  # argv; the call's arguments are appended
//	      num_args: 1             # Jsonnet parameter count (templates are variadic)
//	      parser: json            # json (default) or string: how stdout is read
//	      timeout: 10s            # per call; a number is seconds
//	      mode: exec              # exec (default) or jsonrpc

var externalConfigKeys = []string{"name", "command", "num_args", "parser", "timeout", "mode"}

// defaultExternalTimeout bounds a call whose config sets no timeout, so a
// command waiting on a terminal cannot hang a deploy (ecspresso has none).
const defaultExternalTimeout = time.Minute

type externalConfig struct {
	name    string
	command []string
	numArgs int
	parser  string // json | string
	timeout time.Duration
	mode    string // exec | jsonrpc
}

func parseExternalConfig(cfg map[string]any, label string) (*externalConfig, error) {
	for k := range cfg {
		if !slices.Contains(externalConfigKeys, k) {
			return nil, fmt.Errorf("%s: config.%s: unknown key (known keys: %s)", label, k, strings.Join(externalConfigKeys, ", "))
		}
	}
	c := &externalConfig{parser: "json", mode: "exec", timeout: defaultExternalTimeout}
	var err error
	if c.name, err = configString(cfg, "name", label); err != nil {
		return nil, err
	}
	if c.name == "" {
		return nil, fmt.Errorf("%s: config.name: the function name is required", label)
	}
	switch v := cfg["command"].(type) {
	case nil:
	case string:
		// A one-word command; arguments need the list form.
		c.command = []string{v}
	case []any:
		for i, a := range v {
			s, ok := a.(string)
			if !ok {
				return nil, fmt.Errorf("%s: config.command[%d]: expected a string, got %T (%v)", label, i, a, a)
			}
			c.command = append(c.command, s)
		}
	default:
		return nil, fmt.Errorf("%s: config.command: expected a list of strings (argv), got %T (%v)", label, v, v)
	}
	if len(c.command) == 0 || c.command[0] == "" {
		return nil, fmt.Errorf("%s: config.command: the command is required, e.g. command: [\"./lookup.sh\"]", label)
	}
	if v, ok := cfg["num_args"]; ok && v != nil {
		n, err := indexArg(label+": config.num_args", "the value", v)
		if err != nil {
			return nil, err
		}
		c.numArgs = n
	}
	if v, err := configString(cfg, "parser", label); err != nil {
		return nil, err
	} else if v != "" {
		c.parser = v
	}
	if c.parser != "json" && c.parser != "string" {
		return nil, fmt.Errorf("%s: config.parser: %q is not json or string", label, c.parser)
	}
	if v, err := configString(cfg, "mode", label); err != nil {
		return nil, err
	} else if v != "" {
		c.mode = v
	}
	if c.mode != "exec" && c.mode != "jsonrpc" {
		return nil, fmt.Errorf("%s: config.mode: %q is not exec or jsonrpc", label, c.mode)
	}
	if v, ok := cfg["timeout"]; ok && v != nil {
		d, err := configDuration(v)
		if err != nil {
			return nil, fmt.Errorf("%s: config.timeout: %w", label, err)
		}
		if d > 0 {
			c.timeout = d
		}
	}
	return c, nil
}

// configDuration reads ecspresso's duration: a Go duration string, or a
// number (or a string of digits) of seconds.
func configDuration(v any) (time.Duration, error) {
	var secs float64
	switch x := v.(type) {
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			secs = float64(n)
			break
		}
		d, err := time.ParseDuration(x)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q (use a Go duration like \"10s\", or a number of seconds)", x)
		}
		return d, nil
	case float64:
		secs = x
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return 0, fmt.Errorf("invalid duration %s", x)
		}
		secs = f
	case int:
		secs = float64(x)
	case int64:
		secs = float64(x)
	default:
		return 0, fmt.Errorf("expected a duration string or a number of seconds, got %T (%v)", v, v)
	}
	if secs < 0 || secs > float64(24*time.Hour/time.Second) {
		return 0, fmt.Errorf("duration %v seconds is out of range", secs)
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// external is one loaded external plugin.
type external struct {
	cfg   *externalConfig
	fn    string // the function's name, prefix applied
	cache cache[any]

	mu  sync.Mutex // one JSON-RPC exchange at a time
	rpc *rpcProcess
}

func loadExternal(_ context.Context, spec Spec, label string, l *loadState) (*plugin, error) {
	cfg, err := parseExternalConfig(spec.Config, label)
	if err != nil {
		return nil, err
	}
	e := &external{cfg: cfg, fn: spec.FuncPrefix + cfg.name}
	l.closers = append(l.closers, e.close)
	params := make([]string, cfg.numArgs)
	for i := range params {
		params[i] = fmt.Sprintf("arg%d", i)
	}
	return &plugin{name: spec.Name, label: label, funcs: []Func{{
		Name:   e.fn,
		Params: params,
		Call: func(ctx context.Context, args []any) (any, error) {
			v, err := e.lookup(ctx, args)
			if err != nil {
				return nil, err
			}
			if s, ok := v.(string); ok {
				return s, nil
			}
			b, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", e.fn, err)
			}
			return string(b), nil
		},
		Native: func(ctx context.Context, args []any) (any, error) { return e.lookup(ctx, args) },
	}}}, nil
}

// lookup calls the command once per distinct argument list and run: a
// definition rendered twice (diff, then deploy) sees the same answer.
func (e *external) lookup(ctx context.Context, args []any) (any, error) {
	strs := make([]string, len(args))
	for i, a := range args {
		s, err := stringArg(e.fn, fmt.Sprintf("argument %d", i+1), a)
		if err != nil {
			return nil, err
		}
		strs[i] = s
	}
	key, _ := json.Marshal(strs)
	return e.cache.get(ctx, string(key), func(ctx context.Context) (any, error) {
		ctx, cancel := context.WithTimeout(ctx, e.cfg.timeout)
		defer cancel()
		if e.cfg.mode == "jsonrpc" {
			return e.call(ctx, strs)
		}
		return e.exec(ctx, strs)
	})
}

func (e *external) exec(ctx context.Context, args []string) (any, error) {
	argv := append(slices.Clone(e.cfg.command), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return nil, fmt.Errorf("%s: command %s did not answer within %s (config.timeout)", e.fn, strings.Join(argv, " "), e.cfg.timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: command %s: %v%s", e.fn, strings.Join(argv, " "), err, stderrTail(stderr.Bytes()))
	}
	if e.cfg.parser == "string" {
		return stdout.String(), nil
	}
	var v any
	if err := json.Unmarshal(stdout.Bytes(), &v); err != nil {
		return nil, fmt.Errorf("%s: command %s: stdout is not JSON (%v); set parser: string to take it as text", e.fn, strings.Join(argv, " "), err)
	}
	return v, nil
}

func stderrTail(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if s == "" {
		return ""
	}
	if len(s) > 300 {
		s = "..." + s[len(s)-300:]
	}
	return ": " + s
}

// rpcProcess is the long-lived process of jsonrpc mode.
type rpcProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  *bufio.Reader
	stderr *limitedBuffer
	nextID int64
}

type rpcRequest struct {
	JSONRPC string   `json:"jsonrpc"`
	Method  string   `json:"method"`
	Params  []string `json:"params"`
	ID      int64    `json:"id"`
}

type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	ID *int64 `json:"id"`
}

// call sends one request and reads its answer. Any failure of the exchange
// (timeout, broken pipe, a wrong id) ends the process: the next call starts
// a fresh one rather than read a reply meant for another request.
func (e *external) call(ctx context.Context, params []string) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.rpc == nil {
		p, err := e.start()
		if err != nil {
			return nil, err
		}
		e.rpc = p
	}
	p := e.rpc
	p.nextID++
	req, err := json.Marshal(rpcRequest{JSONRPC: "2.0", Method: e.cfg.name, Params: params, ID: p.nextID})
	if err != nil {
		return nil, err
	}
	type answer struct {
		line []byte
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		if _, err := p.stdin.Write(append(req, '\n')); err != nil {
			done <- answer{err: err}
			return
		}
		line, err := p.lines.ReadBytes('\n')
		done <- answer{line, err}
	}()
	var a answer
	select {
	case a = <-done:
	case <-ctx.Done():
		e.stopLocked()
		return nil, fmt.Errorf("%s: jsonrpc command %s did not answer within %s (config.timeout)", e.fn, e.cfg.command[0], e.cfg.timeout)
	}
	if a.err != nil {
		tail := stderrTail(p.stderr.Bytes())
		e.stopLocked()
		return nil, fmt.Errorf("%s: jsonrpc command %s: %v%s", e.fn, e.cfg.command[0], a.err, tail)
	}
	var resp rpcResponse
	if err := json.Unmarshal(a.line, &resp); err != nil {
		e.stopLocked()
		return nil, fmt.Errorf("%s: jsonrpc command %s: the answer is not a JSON-RPC response: %v", e.fn, e.cfg.command[0], err)
	}
	if resp.ID == nil || *resp.ID != p.nextID {
		e.stopLocked()
		got := "none"
		if resp.ID != nil {
			got = strconv.FormatInt(*resp.ID, 10)
		}
		return nil, fmt.Errorf("%s: jsonrpc command %s answered id %s to request id %d", e.fn, e.cfg.command[0], got, p.nextID)
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("%s: jsonrpc error %d: %s", e.fn, resp.Error.Code, resp.Error.Message)
	}
	var v any
	if len(resp.Result) == 0 {
		return nil, fmt.Errorf("%s: jsonrpc command %s: the response has neither result nor error", e.fn, e.cfg.command[0])
	}
	if err := json.Unmarshal(resp.Result, &v); err != nil {
		return nil, fmt.Errorf("%s: jsonrpc result: %w", e.fn, err)
	}
	return v, nil
}

func (e *external) start() (*rpcProcess, error) {
	// Not tied to one call's context: the process serves every call of the
	// run and is stopped by close.
	cmd := exec.Command(e.cfg.command[0], e.cfg.command[1:]...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr := &limitedBuffer{max: 4096}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start jsonrpc command %s: %w", e.fn, e.cfg.command[0], err)
	}
	return &rpcProcess{cmd: cmd, stdin: stdin, lines: bufio.NewReader(stdout), stderr: stderr}, nil
}

// stopLocked closes stdin (a well-behaved server exits on EOF), then kills
// the process if it has not exited shortly after. e.mu is held.
func (e *external) stopLocked() {
	p := e.rpc
	if p == nil {
		return
	}
	e.rpc = nil
	_ = p.stdin.Close()
	exited := make(chan struct{})
	go func() {
		_ = p.cmd.Wait()
		close(exited)
	}()
	select {
	case <-exited:
	case <-time.After(time.Second):
		_ = p.cmd.Process.Kill()
		<-exited
	}
}

func (e *external) close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopLocked()
	return nil
}

// limitedBuffer keeps the first max bytes of a process's stderr for error
// messages and drops the rest.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
