package ghactions

import (
	"fmt"
	"strings"
	"time"
)

// The summaries below take plain values rather than doppio's own types, so this
// package depends on nothing and each command converts what it has.

// DiffResource is one compared resource: its display name (e.g.
// "service web" or "task definition web:42 → ecs-task-def.json") and its
// unified diff, empty when both sides are equal.
type DiffResource struct {
	Name string
	Diff string
}

// DiffSummary renders a diff run: a heading, a one-line verdict, and one
// collapsed section per changed resource.
func DiffSummary(title string, resources []DiffResource) string {
	var m Markdown
	m.Heading(3, title)
	var changed []DiffResource
	for _, r := range resources {
		if strings.TrimSpace(r.Diff) != "" {
			changed = append(changed, r)
		}
	}
	if len(changed) == 0 {
		m.Text("✅ No differences.")
		return m.String()
	}
	names := make([]string, len(changed))
	for i, r := range changed {
		names[i] = "`" + strings.ReplaceAll(r.Name, "`", "'") + "`"
	}
	m.Text(fmt.Sprintf("📝 %d of %d resources differ: %s.", len(changed), len(resources), strings.Join(names, ", ")))
	for _, r := range changed {
		m.Details(r.Name, CodeBlock("diff", r.Diff))
	}
	return m.String()
}

// VerifyRow is one check of a verify report, flattened depth first.
type VerifyRow struct {
	Depth  int
	Name   string
	Status string // OK, NG, WARN, SKIP
	Reason string
	Group  bool // a node whose status sums its children's: shown, not counted
}

// VerifySummary renders a verify report as a table with the tree shown by
// indentation, and NG and WARN counts first so the verdict reads at a glance.
func VerifySummary(title string, rows []VerifyRow) string {
	var m Markdown
	m.Heading(3, title)
	counts := map[string]int{}
	for _, r := range rows {
		if !r.Group {
			counts[strings.ToUpper(r.Status)]++
		}
	}
	verdict := "✅ All checks passed."
	switch {
	case counts["NG"] > 0:
		verdict = fmt.Sprintf("❌ %d NG, %d WARN.", counts["NG"], counts["WARN"])
	case counts["WARN"] > 0:
		verdict = fmt.Sprintf("⚠️ %d WARN.", counts["WARN"])
	}
	m.Text(fmt.Sprintf("%s (%d OK, %d SKIP)", verdict, counts["OK"], counts["SKIP"]))
	table := make([][]string, len(rows))
	for i, r := range rows {
		mark := StatusEmoji(r.Status)
		table[i] = []string{
			strings.Repeat("\u00a0\u00a0", r.Depth) + r.Name,
			strings.TrimSpace(mark + " " + strings.ToUpper(r.Status)),
			r.Reason,
		}
	}
	m.Table([]string{"Check", "Result", "Reason"}, table)
	return m.String()
}

// DeployReport is what a deploy or rollback summary shows.
type DeployReport struct {
	Command           string // "deploy" or "rollback"
	Service, Cluster  string
	Outcome           string // success, failed, rolled_back, timeout, dry_run
	TaskDefinitionARN string
	DeploymentID      string
	Phases            []Phase  // e.g. register 1.2s, rollout 48s
	StoppedReasons    []string // grouped, e.g. "3× Essential container in task exited (exit 1)"
	Events            []string // last service events, oldest first
	LogLines          []string // last lines of the failing container's log
}

// Phase is one timed step of a deploy.
type Phase struct {
	Name     string
	Duration time.Duration
}

// DeploySummary renders a deploy or rollback outcome; the failure sections
// appear only when there is something in them.
func DeploySummary(d DeployReport) string {
	var m Markdown
	cmd := d.Command
	if cmd == "" {
		cmd = "deploy"
	}
	m.Heading(3, fmt.Sprintf("doppio %s: %s", cmd, d.Service))
	m.Text(strings.TrimSpace(StatusEmoji(d.Outcome) + " **" + d.Outcome + "**"))
	rows := [][]string{}
	add := func(k, v string) {
		if v != "" {
			rows = append(rows, []string{k, "`" + strings.ReplaceAll(v, "`", "'") + "`"})
		}
	}
	add("Cluster", d.Cluster)
	add("Task definition", d.TaskDefinitionARN)
	add("Deployment", d.DeploymentID)
	var total time.Duration
	for _, p := range d.Phases {
		total += p.Duration
		rows = append(rows, []string{p.Name, p.Duration.Round(100 * time.Millisecond).String()})
	}
	if len(d.Phases) > 1 {
		rows = append(rows, []string{"Total", total.Round(100 * time.Millisecond).String()})
	}
	m.Table([]string{"Item", "Value"}, rows)
	if len(d.StoppedReasons) > 0 {
		m.Heading(4, "Stopped tasks")
		m.Code("", strings.Join(d.StoppedReasons, "\n"))
	}
	if len(d.Events) > 0 {
		m.Details(fmt.Sprintf("Service events (last %d)", len(d.Events)), CodeBlock("", strings.Join(d.Events, "\n")))
	}
	if len(d.LogLines) > 0 {
		m.Details("Container log (last lines)", CodeBlock("", strings.Join(d.LogLines, "\n")))
	}
	return m.String()
}
