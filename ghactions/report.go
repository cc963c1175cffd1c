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
			indent(r.Depth) + r.Name,
			strings.TrimSpace(mark + " " + strings.ToUpper(r.Status)),
			r.Reason,
		}
	}
	m.Table([]string{"Check", "Result", "Reason"}, table)
	return m.String()
}

// indent shows a verify row's depth in a table cell. GitHub trims Unicode
// whitespace, no-break spaces included, from the start of a cell, so the
// indentation follows a zero-width space, which is not whitespace.
func indent(depth int) string {
	if depth <= 0 {
		return ""
	}
	return "\u200b" + strings.Repeat("\u00a0", 4*depth)
}

// DeployReport is what a deploy or rollback summary shows.
type DeployReport struct {
	Command           string // "deploy" or "rollback"
	Service, Cluster  string
	Outcome           string // success, submitted, failed, rolled_back, timeout, interrupted, error
	TaskDefinitionARN string
	// Running is the task definition the service runs now, when it is not
	// TaskDefinitionARN (a rollback or another deployment took over).
	Running string
	// Next is the step to take after a failure.
	Next string
	// Timeline is drawn as a Mermaid gantt chart when it has spans.
	Timeline     []Span
	DeploymentID string
	// DeploymentURL links the deployment (a CodeDeploy deployment's
	// console page).
	DeploymentURL  string
	Phases         []Phase  // e.g. register 1.2s, rollout 48s
	StoppedReasons []string // grouped, e.g. "3× Essential container in task exited (exit 1)"
	Events         []string // last service events, oldest first
	LogLines       []string // last lines of the failing container's log
	// Stages are the lifecycle stages of a blue/green, linear or canary
	// deployment as observed, with how long each lasted; Traffic is the
	// final split (e.g. "100% on the new revision").
	Stages  []Phase
	Traffic string
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
	verdict := strings.TrimSpace(StatusEmoji(d.Outcome) + " **" + OutcomeWords(d.Outcome) + "**")
	if d.Running != "" {
		verdict += fmt.Sprintf(": the service runs `%s` now", shortTaskDefinition(d.Running))
		if d.TaskDefinitionARN != "" {
			verdict += fmt.Sprintf(", not `%s`", shortTaskDefinition(d.TaskDefinitionARN))
		}
	}
	m.Text(verdict + ".")
	rows := [][]string{}
	add := func(k, v string) {
		if v != "" {
			rows = append(rows, []string{k, "`" + strings.ReplaceAll(v, "`", "'") + "`"})
		}
	}
	add("Cluster", d.Cluster)
	add("Task definition", d.TaskDefinitionARN)
	add("Running now", d.Running)
	if d.DeploymentURL != "" && d.DeploymentID != "" {
		rows = append(rows, []string{"Deployment", fmt.Sprintf("[`%s`](%s)", strings.ReplaceAll(d.DeploymentID, "`", "'"), d.DeploymentURL)})
	} else {
		add("Deployment", d.DeploymentID)
	}
	var total time.Duration
	for _, p := range d.Phases {
		total += p.Duration
		rows = append(rows, []string{p.Name, p.Duration.Round(100 * time.Millisecond).String()})
	}
	if len(d.Phases) > 1 {
		rows = append(rows, []string{"Total", total.Round(100 * time.Millisecond).String()})
	}
	if d.Traffic != "" {
		rows = append(rows, []string{"Production traffic", d.Traffic})
	}
	m.Table([]string{"Item", "Value"}, rows)
	title := d.Service
	if d.Cluster != "" {
		title += " (cluster " + d.Cluster + ")"
	}
	if g := MermaidGantt(title, d.Timeline); g != "" {
		m.Code("mermaid", g)
	}
	if d.Next != "" {
		m.Text("**Next:** " + d.Next)
	}
	if len(d.Stages) > 0 {
		stages := [][]string{}
		for _, s := range d.Stages {
			stages = append(stages, []string{s.Name, s.Duration.Round(100 * time.Millisecond).String()})
		}
		m.Heading(4, "Lifecycle stages")
		m.Table([]string{"Stage", "Duration"}, stages)
	}
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

// OutcomeWords is an outcome output value as a person says it.
func OutcomeWords(outcome string) string {
	switch outcome {
	case "success":
		return "Succeeded"
	case "submitted":
		return "Submitted (not waited for)"
	case "rolled_back":
		return "Rolled back"
	case "timeout":
		return "Timed out"
	case "dry_run":
		return "Dry run"
	}
	if outcome == "" {
		return ""
	}
	w := strings.ReplaceAll(outcome, "_", " ")
	return strings.ToUpper(w[:1]) + w[1:]
}

func shortTaskDefinition(arn string) string {
	if i := strings.LastIndex(arn, "task-definition/"); i >= 0 {
		return arn[i+len("task-definition/"):]
	}
	return arn
}

// Span is one bar of a rollout timeline: a phase of a deployment (its
// section, e.g. the task definition) from Start to End, both measured from
// the command's start. A Milestone is drawn as a point at Start.
type Span struct {
	Section    string
	Name       string
	Start, End time.Duration
	// State colours the bar: done, active (still running at the end), crit
	// (the phase that failed), or "".
	State     string
	Milestone bool
}

// MermaidGantt draws spans as a Mermaid gantt chart, which job summaries
// render. Times are whole seconds from the start written as clock times
// (00:01:05), so the chart is the same whatever the runner's time zone.
func MermaidGantt(title string, spans []Span) string {
	if len(spans) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("gantt\n")
	fmt.Fprintf(&b, "    title %s\n", mermaidText(title))
	b.WriteString("    dateFormat HH:mm:ss\n    axisFormat %M:%S\n")
	section := "\x00"
	for i, s := range spans {
		if s.Section != section {
			section = s.Section
			fmt.Fprintf(&b, "    section %s\n", mermaidText(section))
		}
		var tags []string
		if s.State != "" {
			tags = append(tags, s.State)
		}
		if s.Milestone {
			tags = append(tags, "milestone")
		}
		tags = append(tags, fmt.Sprintf("s%d", i+1), clock(s.Start))
		end := s.End
		if s.Milestone || end <= s.Start {
			end = s.Start + time.Second // Mermaid needs an end after the start
		}
		tags = append(tags, clock(end))
		fmt.Fprintf(&b, "    %s :%s\n", mermaidText(s.Name), strings.Join(tags, ", "))
	}
	return b.String()
}

// clock writes a duration as HH:mm:ss.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

// mermaidText keeps a name from ending a gantt line early: ':' and '#'
// start Mermaid syntax, a newline ends the line.
func mermaidText(s string) string {
	return strings.NewReplacer(":", "·", "#", "", ";", ",", "\n", " ").Replace(s)
}
