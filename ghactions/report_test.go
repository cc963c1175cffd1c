package ghactions

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doppio-ecs/doppio/internal/golden"
)

func TestDiffSummary(t *testing.T) {
	got := DiffSummary("doppio diff: web", []DiffResource{
		{Name: "service web", Diff: ""},
		{Name: "task definition web:41 → ecs-task-def.json", Diff: "--- a\n+++ b\n@@ -1 +1 @@\n-\"image\": \"app:v1\"\n+\"image\": \"app:v2\"\n"},
	})
	want := "### doppio diff: web\n\n" +
		"📝 1 of 2 resources differ: `task definition web:41 → ecs-task-def.json`.\n\n" +
		"<details><summary>task definition web:41 → ecs-task-def.json</summary>\n\n" +
		"```diff\n--- a\n+++ b\n@@ -1 +1 @@\n-\"image\": \"app:v1\"\n+\"image\": \"app:v2\"\n```\n\n</details>\n\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := DiffSummary("d", []DiffResource{{Name: "service web"}}); got != "### d\n\n✅ No differences.\n\n" {
		t.Errorf("no-diff summary = %q", got)
	}
}

func TestVerifySummary(t *testing.T) {
	got := VerifySummary("doppio verify: web", []VerifyRow{
		{Depth: 0, Name: "TaskDefinition", Status: "NG", Group: true},
		{Depth: 1, Name: "Image[<none>]", Status: "NG", Reason: "image app:v2 not found; pushed tags: v1, v3"},
		{Depth: 1, Name: "Secret DB_PASSWORD", Status: "WARN", Reason: "AccessDenied"},
		{Depth: 0, Name: "Cluster", Status: "OK"},
	})
	want := "### doppio verify: web\n\n" +
		"❌ 1 NG, 1 WARN. (1 OK, 0 SKIP)\n\n" +
		"| Check | Result | Reason |\n| --- | --- | --- |\n" +
		"| TaskDefinition | ❌ NG |  |\n" +
		"| \u200b\u00a0\u00a0\u00a0\u00a0Image[&lt;none&gt;] | ❌ NG | image app:v2 not found; pushed tags: v1, v3 |\n" +
		"| \u200b\u00a0\u00a0\u00a0\u00a0Secret DB_PASSWORD | ⚠️ WARN | AccessDenied |\n" +
		"| Cluster | ✅ OK |  |\n\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestDeploySummary(t *testing.T) {
	got := DeploySummary(DeployReport{
		Service: "web", Cluster: "prod", Outcome: "rolled_back",
		TaskDefinitionARN: "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/web:42",
		Running:           "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/web:41",
		Next:              "container app exited 1: read its log.",
		DeploymentID:      "ecs-svc/123",
		Phases:            []Phase{{"register", 1200 * time.Millisecond}, {"rollout", 48 * time.Second}},
		StoppedReasons:    []string{"3× Essential container in task exited (app: exit 1)"},
		Events:            []string{"(service web) has started 1 tasks", "(service web) deployment failed: tasks failed to start."},
	})
	for _, want := range []string{
		"### doppio deploy: web\n\n⚠️ **Rolled back**: the service runs `web:41` now, not `web:42`.\n\n",
		"| Running now | `arn:aws:ecs:ap-northeast-1:123456789012:task-definition/web:41` |\n",
		"**Next:** container app exited 1: read its log.\n",
		"| Task definition | `arn:aws:ecs:ap-northeast-1:123456789012:task-definition/web:42` |\n",
		"| Deployment | `ecs-svc/123` |\n| register | 1.2s |\n| rollout | 48s |\n| Total | 49.2s |\n",
		"#### Stopped tasks\n\n```\n3× Essential container in task exited (app: exit 1)\n```\n",
		"<details><summary>Service events (last 2)</summary>\n\n```\n(service web) has started 1 tasks\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("deploy summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Container log") {
		t.Error("empty log section rendered")
	}
	cd := DeploySummary(DeployReport{Service: "web", Outcome: "success", DeploymentID: "d-ABCDEFGHI",
		DeploymentURL: "https://us-east-1.console.aws.amazon.com/codesuite/codedeploy/deployments/d-ABCDEFGHI?region=us-east-1"})
	if want := "| Deployment | [`d-ABCDEFGHI`](https://us-east-1.console.aws.amazon.com/codesuite/codedeploy/deployments/d-ABCDEFGHI?region=us-east-1) |\n"; !strings.Contains(cd, want) {
		t.Errorf("CodeDeploy summary lacks the link %q:\n%s", want, cd)
	}
	if ok := DeploySummary(DeployReport{Service: "web", Outcome: "success"}); strings.Contains(ok, "Stopped tasks") || strings.Contains(ok, "mermaid") || !strings.Contains(ok, "✅ **Succeeded**.") {
		t.Errorf("success summary:\n%s", ok)
	}
}

// TestMermaidGantt: the rollout timeline is a small, deterministic Mermaid
// gantt chart (golden).
func TestMermaidGantt(t *testing.T) {
	spans := []Span{
		{Section: "web:42", Name: "register and update", Start: 0, End: 2 * time.Second, State: "done"},
		{Section: "web:42", Name: "tasks starting", Start: 2 * time.Second, End: 31 * time.Second, State: "done"},
		{Section: "web:42", Name: "tasks failing", Start: 31 * time.Second, End: 65 * time.Second, State: "crit"},
		{Section: "web:41", Name: "rolling back", Start: 65 * time.Second, End: 90 * time.Second, State: "active"},
		{Section: "web:41", Name: "steady: rolled back", Start: 90 * time.Second, Milestone: true},
	}
	got := MermaidGantt("web (cluster prod)", spans)
	golden.Check(t, filepath.Join("testdata", "gantt.golden"), got)
	if again := MermaidGantt("web (cluster prod)", spans); again != got {
		t.Error("not deterministic")
	}
	sum := DeploySummary(DeployReport{Service: "web", Cluster: "prod", Outcome: "rolled_back", Timeline: spans})
	if !strings.Contains(sum, "```mermaid\n"+strings.TrimSuffix(got, "\n")) {
		t.Errorf("summary lacks the chart:\n%s", sum)
	}
}

func TestTitledAnnotation(t *testing.T) {
	var b strings.Builder
	if err := TitledAnnotation(&b, LevelError, "doppio deploy: rolled back", "", 0, 0, "deploy of service web rolled back"); err != nil {
		t.Fatal(err)
	}
	if want := "::error title=doppio deploy%3A rolled back::deploy of service web rolled back\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
