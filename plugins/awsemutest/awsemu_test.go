// Package awsemutest runs the plugin lookups against the shared AWS emulator
// (tests/awsemu). It is a package of its own so that the plugins package's
// tests do not depend on the emulator building.
package awsemutest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/doppio-ecs/doppio/awsapi"
	template "github.com/doppio-ecs/doppio/internal/third_party/texttemplate"
	"github.com/doppio-ecs/doppio/mask"
	"github.com/doppio-ecs/doppio/plugins"
	"github.com/doppio-ecs/doppio/tests/awsemu"
)

const seed = `
ssm:
  parameters:
    - {name: /demo/web/db-host, type: String, value: db.internal}
    - {name: /demo/web/password, type: SecureString, value: emu-s3cr3t}
    - {name: /demo/web/subnets, type: StringList, value: "subnet-1,subnet-2"}
secretsmanager:
  secrets:
    - {name: demo/web/api-key, value: k3y}
cloudformation:
  stacks:
    - name: network
      outputs:
        - {key: VpcId, value: vpc-emu}
  exports:
    - {name: net-VpcId, value: vpc-emu, stack: network}
s3:
  objects:
    - {bucket: states, key: web/terraform.tfstate, file: terraform.tfstate}
`

func TestLookupsAgainstEmulator(t *testing.T) {
	dir := t.TempDir()
	state, err := os.ReadFile("../testdata/terraform.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "terraform.tfstate"), state, 0o644); err != nil {
		t.Fatal(err)
	}
	seedPath := filepath.Join(dir, "seed.yml")
	if err := os.WriteFile(seedPath, []byte(seed), 0o644); err != nil {
		t.Fatal(err)
	}
	emu := awsemu.New(awsemu.Options{Region: "us-east-1", AccountID: "123456789012"})
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Error(err)
		}
	})
	s, err := awsemu.LoadSeedFile(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.ApplySeed(s); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_PROFILE", "")
	for _, kv := range emu.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	ctx := context.Background()
	clients, err := awsapi.New(ctx, awsapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	secrets := &mask.Set{}
	set, err := plugins.Load(ctx, []plugins.Spec{
		{Name: "cloudformation"},
		{Name: "tfstate", Config: map[string]any{"url": "s3://states/web/terraform.tfstate"}},
	}, plugins.Env{Clients: clients, BaseDir: dir, Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		`{{ ssm "/demo/web/db-host" }}`:               "db.internal",
		`{{ ssm "/demo/web/password" }}`:              "emu-s3cr3t",
		`{{ ssm_list "/demo/web/subnets" 1 }}`:        "subnet-2",
		`{{ cfn_output "network" "VpcId" }}`:          "vpc-emu",
		`{{ cfn_export "net-VpcId" }}`:                "vpc-emu",
		`{{ tfstate "aws_ecr_repository.web.name" }}`: "web",
	}
	for text, want := range cases {
		tpl := template.Must(template.New("t").Funcs(set.TemplateFuncs(ctx)).Parse(text))
		var buf bytes.Buffer
		if err := tpl.Execute(&buf, nil); err != nil {
			t.Errorf("%s: %v", text, err)
			continue
		}
		if buf.String() != want {
			t.Errorf("%s = %q, want %q", text, buf.String(), want)
		}
	}
	tpl := template.Must(template.New("t").Funcs(set.TemplateFuncs(ctx)).Parse(`{{ secretsmanager_arn "demo/web/api-key" }}`))
	var buf bytes.Buffer
	if err := tpl.Execute(&buf, nil); err != nil || !strings.HasPrefix(buf.String(), "arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/web/api-key-") {
		t.Errorf("secretsmanager_arn = %q, %v", buf.String(), err)
	}
	// The SecureString and the secret secretsmanager_arn names: its value is
	// never printed, but it may appear in live state (a plain environment
	// copy), so it is masked too.
	if got, want := slices.Sorted(slices.Values(secrets.Values())), []string{"emu-s3cr3t", "k3y"}; !slices.Equal(got, want) {
		t.Errorf("masked secrets = %q, want %q", got, want)
	}
}
