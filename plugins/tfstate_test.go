package plugins

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-jsonnet"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/doppio-ecs/doppio/awsapi"
	template "github.com/doppio-ecs/doppio/internal/third_party/texttemplate"
)

func loadTF(t *testing.T, specs ...Spec) *Set {
	t.Helper()
	s, err := Load(context.Background(), specs, Env{BaseDir: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func renderTemplate(t *testing.T, s *Set, text string) (string, error) {
	t.Helper()
	tpl, err := template.New("def.json").Funcs(s.TemplateFuncs(context.Background())).Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err = tpl.Execute(&buf, nil)
	return buf.String(), err
}

func TestTFStateTemplate(t *testing.T) {
	s := loadTF(t, tfSpec(""))
	cases := map[string]string{
		`{{ tfstate "aws_ecr_repository.web.repository_url" }}`:         "123456789012.dkr.ecr.us-east-1.amazonaws.com/web",
		`{{ tfstate "aws_ecr_repository.web.tags.team-name" }}`:         "platform",
		`{{ tfstate "output.vpc_id" }}`:                                 "vpc-0abc1234",
		`{{ tfstate "output.private_subnet_ids" }}`:                     `["subnet-0aaa","subnet-0bbb"]`,
		`{{ tfstate "output.private_subnet_ids[1]" }}`:                  "subnet-0bbb",
		`{{ tfstate "output.desired" }}`:                                "3",
		`{{ tfstate "aws_subnet.private['b'].id" }}`:                    "subnet-0bbb",
		`{{ tfstate "data.aws_iam_role.exec.arn" }}`:                    "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
		`{{ tfstate "module.db.aws_db_instance.main[0].port" }}`:        "5432",
		`{{ tfstatef "aws_subnet.private['%s'].id" "a" }}`:              "subnet-0aaa",
		`{{ tfstatef "module.db.aws_db_instance.main[%d].address" 0 }}`: "db0.example.internal",
		`{{ tfstate "output.vpc_id" }}/{{ tfstate "output.vpc_id" }}`:   "vpc-0abc1234/vpc-0abc1234",
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
}

func TestTFStateErrors(t *testing.T) {
	s := loadTF(t, tfSpec("net_"))
	cases := map[string][]string{
		`{{ net_tfstate "aws_ecr_repository.web.nope" }}`: {"net_tfstate", `"aws_ecr_repository.web.nope" is not found`, `path "terraform.tfstate"`, "aws_ecr_repository.web exists, but not the attribute nope"},
		`{{ net_tfstate "aws_ecr_repositry.web.name" }}`:  {"net_tfstate", "is not found", "did you mean aws_ecr_repository.web?"},
		`{{ net_tfstate }}`:                     {"net_tfstate: expects ADDRESS, got 0 argument(s)"},
		`{{ net_tfstate 1 }}`:                   {"net_tfstate: ADDRESS must be a string"},
		`{{ net_tfstatef }}`:                    {"net_tfstatef: expects FORMAT"},
		`{{ net_tfstatef "output.%s" "nope" }}`: {"net_tfstatef", `"output.nope" is not found`},
	}
	requireRenderErrors(t, s, cases)
}

func TestTFStateJsonnet(t *testing.T) {
	s := loadTF(t, tfSpec(""), tfSpec("second_"))
	vm := jsonnet.MakeVM()
	for _, n := range s.JsonnetNatives(context.Background()) {
		vm.NativeFunction(n)
	}
	out, err := vm.EvaluateAnonymousSnippet("def.jsonnet", `
local tfstate = std.native('tfstate');
{
  url: tfstate('aws_ecr_repository.web.repository_url'),
  subnets: tfstate('output.private_subnet_ids'),
  ids: [s.id for s in std.objectValues(tfstate('aws_subnet.private'))],
  desired: tfstate('output.desired') + 1,
  port: std.native('second_tfstate')('module.db.aws_db_instance.main[0].port'),
}`)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
   "desired": 4,
   "ids": [
      "subnet-0aaa",
      "subnet-0bbb"
   ],
   "port": 5432,
   "subnets": [
      "subnet-0aaa",
      "subnet-0bbb"
   ],
   "url": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web"
}
`
	if out != want {
		t.Errorf("jsonnet output:\n%s\nwant:\n%s", out, want)
	}
	_, err = vm.EvaluateAnonymousSnippet("bad.jsonnet", `std.native('tfstate')('output.nope')`)
	if err == nil || !strings.Contains(err.Error(), `tfstate: "output.nope" is not found`) {
		t.Errorf("missing address error = %v", err)
	}
}

func TestTFStateReadOncePerLocation(t *testing.T) {
	abs, err := filepath.Abs("testdata/terraform.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	l := &loadState{env: Env{BaseDir: "testdata"}, aws: newAWSLookups(Env{}), states: map[string]*state{}}
	a, err := l.readState(context.Background(), tfSpec(""), "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.readState(context.Background(), Spec{Name: "tfstate", Config: map[string]any{"path": abs}}, "b")
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("the same state file was read twice")
	}
}

func TestTFStateOptional(t *testing.T) {
	s := loadTF(t, Spec{Name: "tfstate", Config: map[string]any{"path": "missing.tfstate", "optional": true}})
	_, err := renderTemplate(t, s, `{{ tfstate "output.vpc_id" }}`)
	if err == nil || !strings.Contains(err.Error(), "is not found") {
		t.Errorf("lookup in an optional missing state: %v", err)
	}
}

func TestTFStateFileURL(t *testing.T) {
	abs, err := filepath.Abs("testdata/terraform.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	s := loadTF(t, Spec{Name: "tfstate", Config: map[string]any{"url": "file://" + abs}})
	if got, err := renderTemplate(t, s, `{{ tfstate "output.vpc_id" }}`); err != nil || got != "vpc-0abc1234" {
		t.Errorf("got %q, %v", got, err)
	}
}

// setAWSTestEnv points the SDK at local servers with static credentials and
// no shared config, so no test can reach AWS.
func setAWSTestEnv(t *testing.T) {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "us-east-1",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ENDPOINT_URL":            "http://127.0.0.1:1", // nothing listens: a leak fails fast
	} {
		t.Setenv(k, v)
	}
}

func TestTFStateS3(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer srv.Close()
	setAWSTestEnv(t)
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	ctx := context.Background()
	clients, err := awsapi.New(ctx, awsapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile("testdata/terraform.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := clients.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("states")}); err != nil {
		t.Fatal(err)
	}
	if _, err := clients.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("states"), Key: aws.String("web/terraform.tfstate"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}

	s, err := Load(ctx, []Spec{{Name: "tfstate", Config: map[string]any{"url": "s3://states/web/terraform.tfstate"}}}, Env{Clients: clients, BaseDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := renderTemplate(t, s, `{{ tfstate "aws_ecr_repository.web.repository_url" }}`); err != nil || got != "123456789012.dkr.ecr.us-east-1.amazonaws.com/web" {
		t.Errorf("got %q, %v", got, err)
	}

	_, err = Load(ctx, []Spec{{Name: "tfstate", Config: map[string]any{"url": "s3://states/missing.tfstate"}}}, Env{Clients: clients})
	if err == nil || !strings.Contains(err.Error(), `url "s3://states/missing.tfstate"`) || !strings.Contains(err.Error(), "NoSuchKey") {
		t.Errorf("missing object error = %v", err)
	}
}

// requireRenderErrors renders each template and requires an error containing
// every wanted fragment.
func requireRenderErrors(t *testing.T, s *Set, cases map[string][]string) {
	t.Helper()
	for text, wants := range cases {
		_, err := renderTemplate(t, s, text)
		if err == nil {
			t.Errorf("%s: no error", text)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", text, err, w)
			}
		}
	}
}

// A build without a backend says which build has it.
func TestLeftOutBackendIsExplained(t *testing.T) {
	err := explainLeftOutBackend(errors.New("failed to read tfstate from gs://b/k: GCS backend is not available (built with no_gcs tag)"))
	if err == nil || !strings.Contains(err.Error(), "doppio-full") || !strings.Contains(err.Error(), "gs://b/k") {
		t.Fatalf("got %v", err)
	}
	if err := explainLeftOutBackend(errors.New("no such file")); err.Error() != "no such file" {
		t.Fatalf("other errors changed: %v", err)
	}
}
