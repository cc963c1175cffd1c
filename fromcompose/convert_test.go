package fromcompose

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/doppio-ecs/doppio/apijson"
	"github.com/doppio-ecs/doppio/internal/golden"
	"github.com/doppio-ecs/doppio/verify"
)

// caseOptions is testdata/<case>/options.yml: the flags of `doppio init
// --compose` for that project.
type caseOptions struct {
	Compose     []string          `yaml:"compose"`
	ECSParams   string            `yaml:"ecs_params"`
	ProjectName string            `yaml:"project_name"`
	Service     string            `yaml:"service"`
	LaunchType  string            `yaml:"launch_type"`
	Env         map[string]string `yaml:"env"`
	// CloudMap is what the fake Cloud Map holds.
	CloudMap []fakeNamespace `yaml:"cloud_map"`
}

type fakeNamespace struct {
	ID       string `yaml:"id"`
	Name     string `yaml:"name"`
	Type     string `yaml:"type"`
	Services []struct {
		Name             string   `yaml:"name"`
		ARN              string   `yaml:"arn"`
		Records          []string `yaml:"records"`
		TTL              *int64   `yaml:"ttl"`
		FailureThreshold *int32   `yaml:"failure_threshold"`
	} `yaml:"services"`
}

// fakeCloudMap answers from options.yml's cloud_map, as Cloud Map would.
type fakeCloudMap []fakeNamespace

func (f fakeCloudMap) Namespaces(_ context.Context, typ, id, name string) ([]CloudMapNamespace, error) {
	var out []CloudMapNamespace
	for _, ns := range f {
		if ns.Type == typ && ((id != "" && ns.ID == id) || (id == "" && ns.Name == name)) {
			out = append(out, CloudMapNamespace{ID: ns.ID, Name: ns.Name, Type: ns.Type})
		}
	}
	return out, nil
}

func (f fakeCloudMap) Services(_ context.Context, nsID string) ([]CloudMapService, error) {
	var out []CloudMapService
	for _, ns := range f {
		if ns.ID != nsID {
			continue
		}
		for _, s := range ns.Services {
			out = append(out, CloudMapService{ARN: s.ARN, Name: s.Name, RecordTypes: s.Records, TTL: s.TTL, FailureThreshold: s.FailureThreshold})
		}
	}
	return out, nil
}

// TestGolden converts every project under testdata and compares the notes,
// the task definition and the service definition (or the rejection) with
// want.txt; go test -update rewrites them.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/options.yml")
	if err != nil || len(dirs) == 0 {
		t.Fatal("no cases", err)
	}
	for _, optPath := range dirs {
		dir := filepath.Dir(optPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			src, err := os.ReadFile(optPath)
			if err != nil {
				t.Fatal(err)
			}
			var co caseOptions
			if err := yaml.Unmarshal(src, &co); err != nil {
				t.Fatal(err)
			}
			if len(co.Compose) == 0 {
				co.Compose = []string{"docker-compose.yml"}
			}
			opts := Options{
				ProjectName: co.ProjectName, Service: co.Service, LaunchType: co.LaunchType, Region: "us-east-1",
				Env: []string{},
				RoleARN: func(name string) (string, error) {
					return "arn:aws:iam::123456789012:role/" + name, nil
				},
				CloudMap: fakeCloudMap(co.CloudMap),
			}
			for k, v := range co.Env {
				opts.Env = append(opts.Env, k+"="+v)
			}
			for _, f := range co.Compose {
				opts.ComposeFiles = append(opts.ComposeFiles, filepath.Join(dir, f))
			}
			if co.ECSParams != "" {
				opts.ECSParams = filepath.Join(dir, co.ECSParams)
			}
			golden.Check(t, filepath.Join(dir, "want.txt"), convertText(t, opts))
		})
	}
}

func convertText(t *testing.T, opts Options) string {
	t.Helper()
	res, err := Convert(context.Background(), opts)
	if err != nil {
		var rej *RejectedError
		if !errors.As(err, &rej) {
			t.Logf("error (not a rejection): %v", err)
		}
		abs, _ := filepath.Abs(".")
		return "error: " + strings.ReplaceAll(err.Error(), abs+string(filepath.Separator), "") + "\n"
	}
	staticRulesPass(t, res)
	var b strings.Builder
	b.WriteString("family: " + res.Project + "\n")
	b.WriteString("notes:\n")
	for _, n := range res.Notes {
		b.WriteString("  " + n.String() + "\n")
	}
	if len(res.Actions) > 0 {
		b.WriteString("actions:\n")
		for _, n := range res.Actions {
			b.WriteString("  " + n.String() + "\n")
		}
	}
	td, sd, err := res.Documents()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := apijson.Encode(td)
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString("task definition:\n" + string(enc))
	if sd != nil {
		enc, err := apijson.Encode(sd)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("service definition:\n" + string(enc))
	}
	return b.String()
}

// staticRulesPass: what init writes passes verify's static rules (checked
// here on its own, not through Convert's use of them).
func staticRulesPass(t *testing.T, res *Result) {
	t.Helper()
	in := verify.Input{TaskDefinition: res.TaskDefinition, Region: "us-east-1"}
	if sd := res.Service; sd != nil {
		in.Service = &verify.Service{
			Name: "svc", LaunchType: sd.LaunchType, CapacityProviderStrategy: sd.CapacityProviderStrategy,
			PlatformVersion: sd.PlatformVersion, LoadBalancers: sd.LoadBalancers, NetworkConfiguration: sd.NetworkConfiguration,
			HealthCheckGracePeriodSeconds: sd.HealthCheckGracePeriodSeconds, ServiceRegistries: sd.ServiceRegistries,
		}
	}
	fs := append(verify.TaskRules(in), verify.ServiceRules(in)...)
	for _, cd := range res.TaskDefinition.ContainerDefinitions {
		fs = append(fs, verify.ContainerRules(in, cd)...)
	}
	for _, f := range fs {
		if f.Status == verify.NG {
			t.Errorf("verify static rule %s: %s", f.Rule, f.Message)
		}
	}
}
