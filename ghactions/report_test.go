package ghactions

import (
	"strings"
	"testing"
	"time"
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
		"| \u00a0\u00a0Image[&lt;none&gt;] | ❌ NG | image app:v2 not found; pushed tags: v1, v3 |\n" +
		"| \u00a0\u00a0Secret DB_PASSWORD | ⚠️ WARN | AccessDenied |\n" +
		"| Cluster | ✅ OK |  |\n\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestDeploySummary(t *testing.T) {
	got := DeploySummary(DeployReport{
		Service: "web", Cluster: "prod", Outcome: "rolled_back",
		TaskDefinitionARN: "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/web:42",
		DeploymentID:      "ecs-svc/123",
		Phases:            []Phase{{"register", 1200 * time.Millisecond}, {"rollout", 48 * time.Second}},
		StoppedReasons:    []string{"3× Essential container in task exited (app: exit 1)"},
		Events:            []string{"(service web) has started 1 tasks", "(service web) deployment failed: tasks failed to start."},
	})
	for _, want := range []string{
		"### doppio deploy: web\n\n⚠️ **rolled_back**\n\n",
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
	if ok := DeploySummary(DeployReport{Service: "web", Outcome: "success"}); strings.Contains(ok, "Stopped tasks") || !strings.Contains(ok, "✅ **success**") {
		t.Errorf("success summary:\n%s", ok)
	}
}
