package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-jsonnet"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/mask"
)

// fakeAWS speaks just enough of the real wire protocols for the lookups:
// awsJson1_1 for SSM and Secrets Manager, awsQuery XML for CloudFormation.
// It stands in until tests/awsemu serves these operations.
type fakeAWS struct {
	params  map[string][2]string // name → type, value
	secrets map[string]string    // name → ARN
	// history holds a parameter's earlier values, oldest first; values
	// holds a secret's AWSCURRENT and AWSPREVIOUS values by ARN. A missing
	// entry answers AccessDenied, as without the permission.
	history map[string][]string
	values  map[string][2]string
	stacks  map[string]map[string]string
	exports [][2]string // served two per page
	calls   atomic.Int64
	block   chan struct{} // when set, GetParameter waits on it
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	body, _ := io.ReadAll(r.Body)
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		var in map[string]any
		_ = json.Unmarshal(body, &in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch target {
		case "AmazonSSM.GetParameter":
			if f.block != nil {
				<-f.block
			}
			name, _ := in["Name"].(string)
			if in["WithDecryption"] != true {
				jsonError(w, "ValidationException", "test expects WithDecryption")
				return
			}
			p, ok := f.params[name]
			if !ok {
				jsonError(w, "ParameterNotFound", "")
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{
				"Name": name, "Type": p[0], "Value": p[1], "Version": 1,
				"ARN": "arn:aws:ssm:us-east-1:123456789012:parameter" + name, "DataType": "text",
			}})
		case "AmazonSSM.GetParameterHistory":
			name, _ := in["Name"].(string)
			earlier, ok := f.history[name]
			if !ok || in["WithDecryption"] != true {
				jsonError(w, "AccessDeniedException", "not authorized to perform: ssm:GetParameterHistory")
				return
			}
			var out []map[string]any
			for i, v := range append(earlier, f.params[name][1]) {
				out = append(out, map[string]any{"Name": name, "Type": f.params[name][0], "Value": v, "Version": i + 1})
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"Parameters": out})
		case "secretsmanager.GetSecretValue":
			vs, ok := f.values[in["SecretId"].(string)]
			if !ok {
				jsonError(w, "AccessDeniedException", "not authorized to perform: secretsmanager:GetSecretValue")
				return
			}
			v := vs[0]
			if in["VersionStage"] == "AWSPREVIOUS" {
				v = vs[1]
			}
			if v == "" {
				jsonError(w, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS")
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"ARN": in["SecretId"], "SecretString": v})
		case "secretsmanager.DescribeSecret":
			arn, ok := f.secrets[in["SecretId"].(string)]
			if !ok {
				jsonError(w, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"ARN": arn, "Name": in["SecretId"]})
		default:
			jsonError(w, "UnknownOperationException", target)
		}
		return
	}
	form, _ := url.ParseQuery(string(body))
	w.Header().Set("Content-Type", "text/xml")
	switch form.Get("Action") {
	case "DescribeStacks":
		name := form.Get("StackName")
		outputs, ok := f.stacks[name]
		if !ok {
			w.WriteHeader(400)
			fmt.Fprintf(w, `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id %s does not exist</Message></Error><RequestId>r1</RequestId></ErrorResponse>`, html.EscapeString(name))
			return
		}
		var b strings.Builder
		for k, v := range outputs {
			fmt.Fprintf(&b, "<member><OutputKey>%s</OutputKey><OutputValue>%s</OutputValue></member>", html.EscapeString(k), html.EscapeString(v))
		}
		fmt.Fprintf(w, `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>%s</StackName><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime><Outputs>%s</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></DescribeStacksResponse>`, html.EscapeString(name), b.String())
	case "ListExports":
		start := 0
		if tok := form.Get("NextToken"); tok != "" {
			fmt.Sscanf(tok, "page%d", &start)
		}
		end := min(start+2, len(f.exports))
		var b strings.Builder
		for _, e := range f.exports[start:end] {
			fmt.Fprintf(&b, "<member><ExportingStackId>arn:aws:cloudformation:us-east-1:123456789012:stack/s/1</ExportingStackId><Name>%s</Name><Value>%s</Value></member>", html.EscapeString(e[0]), html.EscapeString(e[1]))
		}
		next := ""
		if end < len(f.exports) {
			next = fmt.Sprintf("<NextToken>page%d</NextToken>", end)
		}
		fmt.Fprintf(w, `<ListExportsResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><ListExportsResult><Exports>%s</Exports>%s</ListExportsResult><ResponseMetadata><RequestId>r3</RequestId></ResponseMetadata></ListExportsResponse>`, b.String(), next)
	default:
		w.WriteHeader(400)
		fmt.Fprintf(w, `<ErrorResponse><Error><Code>InvalidAction</Code><Message>%s</Message></Error></ErrorResponse>`, html.EscapeString(form.Get("Action")))
	}
}

func jsonError(w http.ResponseWriter, typ, msg string) {
	w.WriteHeader(400)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

const secretValue = "s3cr3t-db-password"

func newFakeAWS() *fakeAWS {
	return &fakeAWS{
		params: map[string][2]string{
			"/demo/web/db-host":  {"String", "db.internal"},
			"/demo/web/password": {"SecureString", secretValue},
			"/demo/web/subnets":  {"StringList", "subnet-1,subnet-2,subnet-3"},
		},
		secrets: map[string]string{"demo/web/api-key": "arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/web/api-key-AbCdEf"},
		stacks:  map[string]map[string]string{"network": {"VpcId": "vpc-123", "SubnetA": "subnet-a"}},
		exports: [][2]string{{"net-VpcId", "vpc-123"}, {"net-SubnetA", "subnet-a"}, {"net-SubnetB", "subnet-b"}, {"app-Cluster", "demo"}, {"app-Role", "arn:role"}},
	}
}

// startFakeAWS serves fake on 127.0.0.1 and returns clients pointed at it.
func startFakeAWS(t *testing.T, fake *fakeAWS) *awsapi.Clients {
	t.Helper()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	setAWSTestEnv(t)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	clients, err := awsapi.New(context.Background(), awsapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return clients
}

func loadAWS(t *testing.T, fake *fakeAWS, secrets *mask.Set, specs ...Spec) *Set {
	t.Helper()
	clients := startFakeAWS(t, fake)
	s, err := Load(context.Background(), specs, Env{Clients: clients, BaseDir: "testdata", Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAWSLookupsTemplate(t *testing.T) {
	fake := newFakeAWS()
	s := loadAWS(t, fake, &mask.Set{}, Spec{Name: "cloudformation"}, Spec{Name: "ssm", FuncPrefix: "p_"})
	cases := map[string]string{
		`{{ ssm "/demo/web/db-host" }}`:               "db.internal",
		`{{ p_ssm "/demo/web/db-host" }}`:             "db.internal",
		`{{ ssm "/demo/web/subnets" 1 }}`:             "subnet-2",
		`{{ ssm "/demo/web/subnets" "2" }}`:           "subnet-3",
		`{{ ssm_list "/demo/web/subnets" 0 }}`:        "subnet-1",
		`{{ secretsmanager_arn "demo/web/api-key" }}`: "arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/web/api-key-AbCdEf",
		`{{ cfn_output "network" "VpcId" }}`:          "vpc-123",
		`{{ cfn_output "network" "SubnetA" }}`:        "subnet-a",
		`{{ cfn_export "app-Role" }}`:                 "arn:role",
		`{{ cfn_export "net-VpcId" }}`:                "vpc-123",
	}
	for text, want := range cases {
		got, err := renderTemplate(t, s, text)
		if err != nil {
			t.Errorf("%s: %v", text, err)
			continue
		}
		if got != want {
			t.Errorf("%s = %q, want %q", text, got, want)
		}
	}
	// Caching: 2 parameters + 1 secret (and 1 denied read of its values
	// to mask) + 1 stack + 3 export pages, whatever the number of calls.
	if n := fake.calls.Load(); n != 8 {
		t.Errorf("AWS calls = %d, want 8 (lookups must be cached)", n)
	}
}

func TestAWSLookupErrors(t *testing.T) {
	s := loadAWS(t, newFakeAWS(), &mask.Set{}, Spec{Name: "cloudformation"})
	cases := map[string][]string{
		`{{ ssm "/nope" }}`:                    {"ssm", `parameter "/nope" is not found`},
		`{{ ssm "/demo/web/subnets" }}`:        {`ssm: parameter "/demo/web/subnets" is a StringList`, "index", "ssm_list"},
		`{{ ssm "/demo/web/db-host" 0 }}`:      {`ssm: parameter "/demo/web/db-host" is a String: it takes no index`},
		`{{ ssm "/demo/web/subnets" 3 }}`:      {"has 3 item(s); index 3 is out of range"},
		`{{ ssm "/demo/web/subnets" -1 }}`:     {"INDEX must be a non-negative integer"},
		`{{ ssm "/demo/web/subnets" "x" }}`:    {"INDEX must be a non-negative integer"},
		`{{ ssm "a" 1 2 }}`:                    {"ssm: expects NAME [INDEX], got 3 argument(s)"},
		`{{ ssm_list "/demo/web/db-host" 0 }}`: {"ssm_list", "is a String, not a StringList"},
		`{{ ssm_list "/demo/web/subnets" }}`:   {"ssm_list: expects NAME INDEX"},
		`{{ secretsmanager_arn "nope" }}`:      {"secretsmanager_arn", `secret "nope" is not found`},
		`{{ cfn_output "nope" "VpcId" }}`:      {"cfn_output", `stack "nope" is not found`},
		`{{ cfn_output "network" "Nope" }}`:    {`cfn_output: stack "network" has no output "Nope" (outputs: SubnetA, VpcId)`},
		`{{ cfn_export "nope" }}`:              {"cfn_export", `export "nope" is not found`},
	}
	requireRenderErrors(t, s, cases)
}

func TestAWSLookupsJsonnet(t *testing.T) {
	s := loadAWS(t, newFakeAWS(), &mask.Set{}, Spec{Name: "cloudformation"})
	vm := jsonnet.MakeVM()
	for _, n := range s.JsonnetNatives(context.Background()) {
		vm.NativeFunction(n)
	}
	out, err := vm.EvaluateAnonymousSnippet("def.jsonnet", `{
  host: std.native('ssm')('/demo/web/db-host'),
  subnet: std.native('ssm_list')('/demo/web/subnets', 2),
  arn: std.native('secretsmanager_arn')('demo/web/api-key'),
  vpc: std.native('cfn_output')('network', 'VpcId'),
  cluster: std.native('cfn_export')('app-Cluster'),
}`)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"host": "db.internal", "subnet": "subnet-3", "arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/web/api-key-AbCdEf", "vpc": "vpc-123", "cluster": "demo"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if _, err := vm.EvaluateAnonymousSnippet("bad.jsonnet", `std.native('ssm')('/demo/web/subnets')`); err == nil || !strings.Contains(err.Error(), "is a StringList") {
		t.Errorf("ssm on a StringList in Jsonnet: %v", err)
	}
}

func TestSecureStringIsMaskedAndNeverLogged(t *testing.T) {
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(prev)

	secrets := &mask.Set{}
	s := loadAWS(t, newFakeAWS(), secrets)
	got, err := renderTemplate(t, s, `{{ ssm "/demo/web/password" }} {{ ssm "/demo/web/db-host" }}`)
	if err != nil {
		t.Fatal(err)
	}
	if got != secretValue+" db.internal" {
		t.Errorf("rendered %q", got)
	}
	if vals := secrets.Values(); len(vals) != 1 || vals[0] != secretValue {
		t.Errorf("mask set = %q, want only the SecureString value", vals)
	}
	if strings.Contains(logs.String(), secretValue) {
		t.Errorf("debug log leaks the SecureString value:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "/demo/web/password") {
		t.Errorf("debug log should name the parameter looked up:\n%s", logs.String())
	}
}

func TestEarlierSecretVersionsAreMasked(t *testing.T) {
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(prev)

	fake := newFakeAWS()
	arn := fake.secrets["demo/web/api-key"]
	fake.history = map[string][]string{"/demo/web/password": {"old-db-password-1", "old-db-password-2"}}
	fake.values = map[string][2]string{arn: {`{"token":"current-api-token","port":"5432"}`, "previous-api-key"}}
	secrets := &mask.Set{}
	s := loadAWS(t, fake, secrets)
	if _, err := renderTemplate(t, s, `{{ ssm "/demo/web/password" }} {{ secretsmanager_arn "demo/web/api-key" }}`); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, v := range secrets.Values() {
		got[v] = true
	}
	for _, want := range []string{secretValue, "old-db-password-1", "old-db-password-2", `{"token":"current-api-token","port":"5432"}`, "current-api-token", "previous-api-key"} {
		if !got[want] {
			t.Errorf("%q is not masked (mask set %q)", want, secrets.Values())
		}
	}
	if got["5432"] {
		t.Errorf("a short JSON member is masked on its own: it would garble output")
	}
	for v := range got {
		if strings.Contains(logs.String(), v) {
			t.Errorf("log leaks %q:\n%s", v, logs.String())
		}
	}
	if strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("warned with every permission granted:\n%s", logs.String())
	}
}

func TestEarlierSecretVersionsDeniedWarnOnce(t *testing.T) {
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(prev)

	fake := newFakeAWS()
	fake.params["/demo/web/other"] = [2]string{"SecureString", "other-secret"}
	secrets := &mask.Set{}
	s := loadAWS(t, fake, secrets)
	if _, err := renderTemplate(t, s, `{{ ssm "/demo/web/password" }} {{ ssm "/demo/web/other" }} {{ secretsmanager_arn "demo/web/api-key" }}`); err != nil {
		t.Fatalf("a denied history must not fail rendering: %v", err)
	}
	if n := strings.Count(logs.String(), "only its current value is masked"); n != 1 {
		t.Errorf("%d history warnings, want 1:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "cannot read a secret's values"); n != 1 {
		t.Errorf("%d secret value warnings, want 1:\n%s", n, logs.String())
	}
	if vals := secrets.Values(); len(vals) != 2 {
		t.Errorf("mask set = %q, want the two current SecureString values", vals)
	}
}

func TestConcurrentLookupsShareOneCall(t *testing.T) {
	fake := newFakeAWS()
	fake.block = make(chan struct{})
	s := loadAWS(t, fake, nil)
	ssmFn := findFunc(t, s, "ssm")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := ssmFn.Call(context.Background(), []any{"/demo/web/db-host"})
			if err == nil && v != "db.internal" {
				err = fmt.Errorf("got %v", v)
			}
			errs <- err
		}()
	}
	close(fake.block)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := fake.calls.Load(); n != 1 {
		t.Errorf("GetParameter calls = %d, want 1", n)
	}
}

func TestLookupsWithoutClients(t *testing.T) {
	s, err := Load(context.Background(), []Spec{{Name: "cloudformation"}}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{`{{ ssm "/x" }}`, `{{ secretsmanager_arn "x" }}`, `{{ cfn_output "s" "k" }}`, `{{ cfn_export "x" }}`} {
		if _, err := renderTemplate(t, s, text); err == nil || !strings.Contains(err.Error(), "no AWS clients") {
			t.Errorf("%s: %v", text, err)
		}
	}
}
