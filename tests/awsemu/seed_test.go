package awsemu

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadAndApplySeedFile(t *testing.T) {
	seed, err := LoadSeedFile("testdata/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := startEmulator(t, Options{})
	if err := e.ApplySeed(seed); err != nil {
		t.Fatal(err)
	}
	if ok, _ := e.imageExists(e.ImageURI("app", "v1")); !ok {
		t.Error("image app:v1 not seeded")
	}
	if plats, _ := e.imagePlatforms(e.ImageURI("app", "latest")); len(plats) != 2 {
		t.Errorf("platforms = %v", plats)
	}
	if r := e.services.iam.roleByARN("ecsTaskExecutionRole"); r == nil || !strings.Contains(r.trustPolicy, `"ecs-tasks.amazonaws.com"`) {
		t.Errorf("role = %+v", r)
	}
	if len(e.services.ssm.params) != 3 {
		t.Errorf("parameters = %v", e.services.ssm.params)
	}
	if sec := e.services.sm.findLocked("app/db"); sec == nil || sec.versions[0].value != `{"password":"pw","username":"app"}` {
		t.Errorf("secret = %+v", sec)
	}
	if !e.LogGroupExists("/ecs/app") {
		t.Error("log group missing")
	}
	if arn := e.TargetGroupARN("app-tg"); arn == "" {
		t.Error("target group missing")
	} else if g := e.services.elb.groups[arn]; g.attrs["deregistration_delay.timeout_seconds"] != "30" || g.attrs["stickiness.enabled"] != "false" {
		// the seed's attributes override ELB's defaults, the others stay
		t.Errorf("target group attributes = %v, want the seed's deregistration delay 30", g.attrs)
	}
	if _, ok := e.ScalableTarget("ecs", "service/demo/app", "ecs:service:DesiredCount"); !ok {
		t.Error("scalable target missing")
	}
	if len(e.services.cfn.stacks) != 2 {
		t.Errorf("stacks = %v", e.services.cfn.stacks)
	}
	obj, err := e.services.s3.backend.GetObject("tfstate", "app/terraform.tfstate", nil)
	if err != nil {
		t.Fatalf("s3 object from file: %v", err)
	}
	obj.Contents.Close()
	if svc, ok := e.ECSService("demo", "app"); !ok || svc.RunningCount != 1 {
		t.Errorf("ECS service = %+v, %v", svc, ok)
	}
}

func TestSeedJSONAndErrors(t *testing.T) {
	seed, err := ParseSeed([]byte(`{"ssm":{"parameters":[{"name":"/a","value":"1"}]},"ecs":{"clusters":[{"name":"c"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	e := New(Options{})
	if err := e.ApplySeed(seed); err != nil {
		t.Fatal(err)
	}
	_, err = ParseSeed([]byte("ssm:\n  parameters:\n    - name: /a\n      valu: 1\n"))
	if err == nil || !strings.Contains(err.Error(), "valu") || !strings.Contains(err.Error(), "[4:") {
		t.Fatalf("unknown field error = %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	os.WriteFile(path, []byte("ecr:\n  repositories:\n    - name: Bad_Name\n"), 0o644)
	seed, err = LoadSeedFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := New(Options{}).ApplySeed(seed); err == nil || !strings.Contains(err.Error(), "ecr.repositories[0]") {
		t.Fatalf("invalid repository error = %v", err)
	}
}
