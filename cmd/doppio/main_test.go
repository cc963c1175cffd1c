package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/doppio-ecs/doppio/exitcode"
	"github.com/doppio-ecs/doppio/internal/golden"
	"github.com/doppio-ecs/doppio/render"
)

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

// isolateAWS points the SDK at a local fake and away from the user's
// profiles, so no test reaches AWS.
func isolateAWS(t *testing.T, endpoint string) {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_REGION":                  "us-east-1",
		"AWS_ACCESS_KEY_ID":           "AKIDTEST",
		"AWS_SECRET_ACCESS_KEY":       "secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(t.TempDir(), "none"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ENDPOINT_URL":            endpoint,
		"AWS_MAX_ATTEMPTS":            "1",
		"NO_COLOR":                    "1",
	} {
		t.Setenv(k, v)
	}
}

// fakeAWS answers the read-only lookups the examples use (SSM GetParameter,
// Secrets Manager DescribeSecret) in the AWS JSON 1.1 protocol.
func fakeAWS(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req map[string]any
		_ = json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		name, _ := req["Name"].(string)
		if name == "" {
			name, _ = req["SecretId"].(string)
		}
		notFound := func(typ string) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"`+typ+`","message":"not found: `+name+`"}`)
		}
		switch r.Header.Get("X-Amz-Target") {
		case "AmazonSSM.GetParameter":
			values := map[string]string{"/demo/web/db-host": "db.demo.internal"}
			v, ok := values[name]
			if !ok {
				notFound("ParameterNotFound")
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{
				"Name": name, "Type": "String", "Value": v, "Version": 1,
				"ARN": "arn:aws:ssm:us-east-1:123456789012:parameter" + name,
			}})
		case "secretsmanager.DescribeSecret":
			if name != "demo/web/api-key" {
				notFound("ResourceNotFoundException")
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{
				"ARN":  "arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/web/api-key-AbCdEf",
				"Name": name,
			})
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"UnknownOperationException","message":"fake AWS: not implemented"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestVersion(t *testing.T) {
	r := runCLI(t, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "doppio ") || !strings.Contains(r.stdout, "(reads ecspresso v"+render.EcspressoCompatVersion+" configs)") {
		t.Errorf("version: %+v", r)
	}
}

func TestBinaryVersion(t *testing.T) {
	installed := &debug.BuildInfo{Main: debug.Module{Path: "github.com/doppio-ecs/doppio", Version: "v1.2.3"}}
	local := &debug.BuildInfo{Main: debug.Module{Path: "github.com/doppio-ecs/doppio", Version: "(devel)"}}
	for _, c := range []struct {
		ldflags string
		info    *debug.BuildInfo
		ok      bool
		want    string
	}{
		{"v2.0.0", installed, true, "v2.0.0"}, // a release build's -ldflags wins
		{"dev", installed, true, "v1.2.3"},    // go install ...@v1.2.3
		{"", installed, true, "v1.2.3"},
		{"dev", local, true, "dev"},
		{"dev", nil, false, "dev"},
	} {
		if got := binaryVersion(c.ldflags, c.info, c.ok); got != c.want {
			t.Errorf("binaryVersion(%q, %+v) = %q, want %q", c.ldflags, c.info, got, c.want)
		}
	}
}

func TestHelp(t *testing.T) {
	r := runCLI(t)
	if r.code != 0 || !strings.Contains(r.stdout, "Usage: doppio") || !strings.Contains(r.stdout, "--assume-role-arn") {
		t.Errorf("no-arg help: %+v", r)
	}
	if r2 := runCLI(t, "help", "render"); r2.code != 0 || !strings.Contains(r2.stdout, "--jsonnet") {
		t.Errorf("help render: %+v", r2)
	}
	r = runCLI(t, "render", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "--jsonnet") || !strings.Contains(r.stdout, "taskdef") {
		t.Errorf("render --help: %+v", r)
	}
}

// TestRenderExamples renders examples/ (JSON templates) and
// examples/jsonnet/ (Jsonnet natives): the definitions must be identical.
func TestRenderExamples(t *testing.T) {
	isolateAWS(t, fakeAWS(t).URL)
	t.Setenv("IMAGE_TAG", "")
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(examples)
	r := runCLI(t, "render", "config", "servicedef", "taskdef")
	if r.code != 0 {
		t.Fatalf("render: %+v", r)
	}
	golden.Check(t, filepath.Join("..", "cmd", "doppio", "testdata", "render-examples.golden"), r.stdout)
	for _, want := range []string{"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1", "db.demo.internal", "subnet-0aa11bb22cc33dd03", "secret:demo/web/api-key-AbCdEf"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("render output lacks %q", want)
		}
	}
	jsonDefs := runCLI(t, "render", "servicedef", "taskdef")
	jn := runCLI(t, "--config", filepath.Join("jsonnet", "ecspresso.jsonnet"), "render", "servicedef", "taskdef")
	if jn.code != 0 || jn.stdout != jsonDefs.stdout {
		t.Errorf("the Jsonnet example renders differently:\n%s\n%s\nwant:\n%s", jn.stderr, jn.stdout, jsonDefs.stdout)
	}
	js := runCLI(t, "render", "--jsonnet", "taskdef", "config")
	if js.code != 0 || !strings.Contains(js.stdout, "family: 'web'") || !strings.Contains(js.stdout, "cluster: 'demo'") {
		t.Errorf("render --jsonnet: %+v", js)
	}
}

func TestColorFlag(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		noColor bool
		want    bool
	}{
		{[]string{"--color", "version"}, true, true},
		{[]string{"--no-color", "version"}, false, false},
		{[]string{"version"}, true, false},
		{[]string{"version"}, false, false}, // a buffer is not a terminal
	} {
		if tc.noColor {
			t.Setenv("NO_COLOR", "1")
		} else {
			t.Setenv("NO_COLOR", "") // restored after the test
			os.Unsetenv("NO_COLOR")
		}
		cli := &CLI{}
		var out bytes.Buffer
		parser, err := newParser(cli, &out, &out)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parser.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		cli.Globals.attach(newGlobals(t.Context(), &out, &out))
		if got := cli.Globals.UseColor(); got != tc.want {
			t.Errorf("%v NO_COLOR=%v: UseColor = %v, want %v", tc.args, tc.noColor, got, tc.want)
		}
	}
}

// TestCommandHelp: each command's --help lists its own flags before the
// global ones and ends with examples that parse.
func TestCommandHelp(t *testing.T) {
	cli := &CLI{}
	parser, err := newParser(cli, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, node := range parser.Model.Children {
		name := node.Name
		r := runCLI(t, name, "--help")
		if r.code != 0 {
			t.Errorf("%s --help: exit %d: %s", name, r.code, r.stderr)
			continue
		}
		if name == "version" {
			continue
		}
		own, global, ex := strings.Index(r.stdout, "\nFlags:\n"), strings.Index(r.stdout, "\nGlobal flags:\n"), strings.Index(r.stdout, "\nExamples:\n")
		if global < 0 || own > global || ex < 0 {
			t.Errorf("%s --help: want Examples, then Flags: (the command's) before Global flags:\n%s", name, r.stdout)
		}
		if own >= 0 && strings.Contains(r.stdout[own:global], "--config=") {
			t.Errorf("%s --help: a global flag among the command's own:\n%s", name, r.stdout[own:global])
		}
		for _, line := range strings.Split(r.stdout[ex:], "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "doppio ") {
				continue
			}
			if i := strings.Index(line, " #"); i >= 0 {
				line = line[:i]
			}
			args := splitExample(line)[1:]
			p, _ := newParser(&CLI{}, io.Discard, io.Discard)
			if _, err := p.Parse(args); err != nil {
				t.Errorf("%s --help example %q does not parse: %v", name, line, err)
			}
		}
	}
}

// splitExample splits a shell line on blanks, keeping single-quoted words.
func splitExample(line string) []string {
	var out []string
	for len(line) > 0 {
		line = strings.TrimLeft(line, " ")
		if strings.HasPrefix(line, "'") {
			end := strings.Index(line[1:], "'") + 1
			out = append(out, line[1:end])
			line = line[end+1:]
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		if word != "" && word != "|" && word != ">" {
			out = append(out, word)
		}
		if word == "|" || word == ">" {
			break
		}
		line = rest
	}
	return out
}

func TestVersionFlag(t *testing.T) {
	r := runCLI(t, "--version")
	if r.code != 0 || r.stdout != "doppio dev (reads ecspresso v"+render.EcspressoCompatVersion+" configs)\n" {
		t.Errorf("--version: %+v", r)
	}
}

// TestParseErrorPointsAtCommandHelp: a bad flag names the command's --help.
func TestParseErrorPointsAtCommandHelp(t *testing.T) {
	for args, want := range map[string]string{
		"deploy --taks 3":         `doppio: unknown flag --taks, did you mean "--tasks"? (see doppio deploy --help)`,
		"dpeloy":                  `(see doppio --help)`,
		"revisions --output yaml": `(see doppio revisions --help)`,
	} {
		r := runCLI(t, strings.Fields(args)...)
		if r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", args, r.code, r.stderr, want)
		}
	}
}

// TestFirstContactErrors: what a new user meets first, each one paragraph
// saying what doppio tried and what to do (golden), exit 1, no SDK chain.
func TestFirstContactErrors(t *testing.T) {
	answer := "" // the fake's answer to every ECS call: an exception name, or "" for no service
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if answer == "" {
			_, _ = io.WriteString(w, `{"services":[],"failures":[{"arn":"arn:aws:ecs:us-east-1:123456789012:service/demo/web","reason":"MISSING"}]}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": answer, "message": map[string]string{
			"AccessDeniedException":       "User: arn:aws:sts::123456789012:assumed-role/ci/gh is not authorized to perform: ecs:DescribeServices on resource: arn:aws:ecs:us-east-1:123456789012:service/demo/web because no identity-based policy allows the ecs:DescribeServices action",
			"ExpiredTokenException":       "The security token included in the request is expired",
			"UnrecognizedClientException": "The security token included in the request is invalid.",
			"ClusterNotFoundException":    "Cluster not found.",
		}[answer]})
	}))
	defer srv.Close()
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("ecspresso.yml", []byte("cluster: demo\nservice: web\ntask_definition: td.json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("td.json", []byte(`{"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	ssoConfig := filepath.Join(home, "config")
	if err := os.WriteFile(ssoConfig, []byte("[profile dev]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Dev\nregion = us-east-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(home, ".aws", "sso", "cache")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	writeSSOToken(t, cache, "https://example.awsapps.com/start")

	var all strings.Builder
	for _, tc := range []struct {
		name   string
		env    map[string]string
		answer string
	}{
		{"no credentials", map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}, ""},
		// Without an endpoint URL the SDK needs the region before it sends anything.
		{"no region", map[string]string{"AWS_REGION": "", "AWS_ENDPOINT_URL": ""}, ""},
		{"expired SSO session", map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": "dev", "AWS_CONFIG_FILE": ssoConfig, "HOME": home}, ""},
		{"access denied", nil, "AccessDeniedException"},
		{"expired session token", nil, "ExpiredTokenException"},
		{"unknown access key", nil, "UnrecognizedClientException"},
		{"no such cluster", nil, "ClusterNotFoundException"}, // deploy: status says the service is not there
		{"no such service", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolateAWS(t, srv.URL)
			t.Setenv("AWS_DEFAULT_REGION", "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			answer = tc.answer
			cmd := "status"
			if tc.answer == "ClusterNotFoundException" {
				cmd = "deploy"
			}
			r := runCLI(t, cmd)
			if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || strings.Contains(r.stderr, "operation error") {
				t.Errorf("want one paragraph and exit 1, got %d:\n%s", r.code, r.stderr)
			}
			fmt.Fprintf(&all, "# %s\n%s\n", tc.name, r.stderr)
		})
	}
	golden.Check(t, filepath.Join(testWD, "testdata", "first-contact.golden"), all.String())
}

// writeSSOToken caches an expired SSO token where the SDK looks for it (the
// SHA-1 of the start URL).
func writeSSOToken(t *testing.T, cache, startURL string) {
	t.Helper()
	sum := sha1.Sum([]byte(startURL))
	tok := `{"accessToken":"expired","expiresAt":"2020-01-01T00:00:00Z","region":"us-east-1","startUrl":"` + startURL + `"}`
	if err := os.WriteFile(filepath.Join(cache, hex.EncodeToString(sum[:])+".json"), []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestFirstContactWrongRegion(t *testing.T) {
	err := fmt.Errorf("describe service web in cluster demo: %w", &smithy.OperationError{ServiceID: "ECS", OperationName: "DescribeServices",
		Err: fmt.Errorf("request send failed: %w", &net.DNSError{Err: "no such host", Name: "ecs.us-esat-1.amazonaws.com", IsNotFound: true})})
	msg, ok := firstContact(err, "us-esat-1")
	want := `describe service web in cluster demo: there is no AWS endpoint ecs.us-esat-1.amazonaws.com for ECS DescribeServices: is region "us-esat-1" right? Check ` + "`region`" + ` in the config, AWS_REGION and the profile's region.`
	if !ok || msg != want {
		t.Errorf("got %q\nwant %q", msg, want)
	}
	if _, ok := firstContact(errors.New("something else"), "us-east-1"); ok {
		t.Error("an unrelated error was rewritten")
	}
}

func TestCommandName(t *testing.T) {
	for in, want := range map[string]string{"render <targets>": "render", "deploy": "deploy", "": ""} {
		if got := commandName(in); got != want {
			t.Errorf("commandName(%q) = %q, want %q", in, got, want)
		}
	}
}

// The first signal cancels the run; a second one (or the grace period)
// ends the process with exit 1 and says so.
func TestWatchInterruptSecondSignalExits(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	ctx, cancel := context.WithCancel(context.Background())
	var stderr strings.Builder
	exited := make(chan int, 1)
	go watchInterrupt(sigs, cancel, &stderr, func(code int) { exited <- code })
	sigs <- os.Interrupt
	<-ctx.Done()
	sigs <- os.Interrupt
	if code := <-exited; code != 1 || !strings.Contains(stderr.String(), "doppio: interrupted (") || !strings.Contains(stderr.String(), "again); exiting") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

// The last line of an interrupted run says what was interrupted: the
// phase the error names, else the command.
func TestInterruptedSaysWhat(t *testing.T) {
	interruptSignal.Store("SIGTERM")
	defer interruptSignal.Store("")
	cases := map[string]error{
		"interrupted by SIGTERM during: evaluate td.jsonnet":    fmt.Errorf("evaluate td.jsonnet: %w", context.Canceled),
		"interrupted by SIGTERM during: read config: read x":    fmt.Errorf("read config: read x: %w", context.Canceled),
		"interrupted by SIGTERM during: doppio deploy":          exitcode.With(exitcode.Error, nil),
		"interrupted by SIGTERM during: wait for web: canceled": errors.New("wait for web: canceled"),
	}
	for want, err := range cases {
		if got := interrupted(err, "deploy").Error(); got != want {
			t.Errorf("interrupted(%v) = %q, want %q", err, got, want)
		}
	}
}

// kong turns bytes that are not UTF-8 into U+FFFD; the config paths the OS
// gave are kept.
func TestRawConfigPaths(t *testing.T) {
	env := func(vals map[string]string) func(string) string { return func(k string) string { return vals[k] } }
	raw := "c\xff.yml"
	kongs := []string{"kong's"}
	cases := []struct {
		args   []string
		env    map[string]string
		parsed []string
		want   []string
	}{
		{[]string{"--config", raw, "render"}, nil, kongs, []string{raw}},
		{[]string{"render", "--config=" + raw}, nil, kongs, []string{raw}},
		{[]string{"--config", "a.yml", "--config", raw, "diff"}, nil, []string{"a.yml", "k"}, []string{"a.yml", raw}},
		{[]string{"render"}, map[string]string{"DOPPIO_CONFIG": raw}, kongs, []string{raw}},
		{[]string{"render"}, map[string]string{"ECSPRESSO_CONFIG": raw}, kongs, []string{raw}},
		{[]string{"--config", "ok.yml"}, nil, kongs, kongs},
		{[]string{"render", "--", "--config", raw}, nil, kongs, kongs},
	}
	for _, c := range cases {
		if got := rawConfigPaths(c.args, env(c.env), c.parsed); !slices.Equal(got, c.want) {
			t.Errorf("%q %v: %q, want %q", c.args, c.env, got, c.want)
		}
	}
}
