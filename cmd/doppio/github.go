package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/ghactions"
	"github.com/doppio-ecs/doppio/verify"
)

// processStart times the whole command for the deploy summary.
var processStart = time.Now()

// GitHub returns the run's GitHub Actions output. It is a no-op Step off a
// runner (and with --ci none), so commands call it unconditionally.
func (g *Globals) GitHub() *ghactions.Step {
	if g.gh == nil {
		out := g.rawStderr
		if out == nil {
			out = g.Stderr
		}
		// The flag's enum rules out the only error Detect returns.
		st, err := ghactions.New(out, os.Getenv, g.CI, g.Secrets)
		if err != nil {
			st = &ghactions.Step{}
		}
		st.Title = strings.TrimSpace("doppio " + g.command)
		g.gh = st
	}
	return g.gh
}

// annotateFailure puts a failed command's error on the run page (and on the
// file and line, when the error names them). Coded errors without a message
// (diff --exit-code) already said everything.
func (g *Globals) annotateFailure(err error) {
	if err == nil || err.Error() == "" {
		return
	}
	gh := g.GitHub()
	_ = gh.MaskSecrets()
	_ = gh.AnnotateError(err)
}

// githubDiff writes the diff summary (one collapsed section per resource) and
// the has-diff output.
func githubDiff(g *Globals, res *deploy.DiffResult) error {
	gh := g.GitHub()
	if !gh.Enabled {
		return nil
	}
	if err := gh.MaskSecrets(); err != nil {
		return err
	}
	var resources []ghactions.DiffResource
	for _, r := range res.Resources() {
		text, err := r.Unified(false)
		if err != nil {
			return err
		}
		name := r.Kind + " " + r.Local
		if r.Live != "" {
			name = r.Kind + " " + r.Live + " → " + r.Local
		}
		resources = append(resources, ghactions.DiffResource{Name: name, Diff: text})
	}
	if err := gh.AppendSummary(ghactions.DiffSummary("doppio diff", resources)); err != nil {
		return err
	}
	return gh.SetOutput("has-diff", strconv.FormatBool(res.Differs()))
}

// githubVerify annotates NG checks as errors and WARN checks as warnings,
// writes the verify table to the summary and the outcome output.
func githubVerify(g *Globals, rep *verify.Report) error {
	gh := g.GitHub()
	if !gh.Enabled {
		return nil
	}
	if err := gh.MaskSecrets(); err != nil {
		return err
	}
	var rows []ghactions.VerifyRow
	var walk func(depth int, file string, path []string, c *verify.Check) error
	walk = func(depth int, file string, path []string, c *verify.Check) error {
		path = append(path, c.Name)
		group := len(c.Children) > 0
		rows = append(rows, ghactions.VerifyRow{Depth: depth, Name: c.Name, Status: c.Status.String(), Reason: c.Reason, Group: group})
		if !group {
			level := ghactions.Level("")
			switch c.Status {
			case verify.NG:
				level = ghactions.LevelError
			case verify.WARN:
				level = ghactions.LevelWarning
			}
			if level != "" {
				msg := fmt.Sprintf("verify %s: %s: %s", strings.Join(path, " › "), c.Status, c.Reason)
				if err := gh.AnnotateTitled(level, "doppio verify: "+c.Status.String(), file, 0, 0, msg); err != nil {
					return err
				}
			}
		}
		for _, ch := range c.Children {
			if err := walk(depth+1, file, path, ch); err != nil {
				return err
			}
		}
		return nil
	}
	for _, c := range rep.Checks {
		if err := walk(0, verifyCheckFile(g, c.Name), nil, c); err != nil {
			return err
		}
	}
	if err := gh.AppendSummary(ghactions.VerifySummary("doppio verify", rows)); err != nil {
		return err
	}
	outcome := "success"
	if rep.Status() == verify.NG {
		outcome = "failed"
	}
	return gh.SetOutput("outcome", outcome)
}

// verifyCheckFile is the file a top-level verify check is about, so its
// annotations show on that file in a pull request ("" when unknown).
func verifyCheckFile(g *Globals, check string) string {
	p := g.project
	if p == nil || p.Config == nil {
		return ""
	}
	rel := ""
	switch {
	case strings.HasPrefix(check, "TaskDefinition"):
		rel = p.Config.TaskDefinitionPath
	case strings.HasPrefix(check, "ServiceDefinition"):
		rel = p.Config.ServiceDefinitionPath
	default:
		return p.Config.Path()
	}
	if rel == "" || filepath.IsAbs(rel) {
		return rel
	}
	return filepath.Join(p.Config.Dir(), rel)
}

// githubOutcome writes a deploy or rollback outcome: the summary (with the
// stopped tasks, events and logs of a failure), an error annotation when it
// did not complete, and the task-definition-arn and outcome outputs.
func githubOutcome(g *Globals, out *deploy.Outcome) error {
	gh := g.GitHub()
	if !gh.Enabled || out == nil {
		return nil
	}
	if err := gh.MaskSecrets(); err != nil {
		return err
	}
	command := g.command
	if command == "" {
		command = "deploy"
	}
	outcome := outcomeName(out.Class)
	rep := ghactions.DeployReport{
		Command:           command,
		Service:           out.Service,
		Cluster:           out.Cluster,
		Outcome:           outcome,
		TaskDefinitionARN: out.TaskDefinition,
		DeploymentID:      out.DeploymentID,
		DeploymentURL:     out.DeploymentURL,
		Phases:            []ghactions.Phase{{Name: "Duration", Duration: time.Since(processStart)}},
	}
	if lc := out.Lifecycle; lc != nil {
		for _, s := range lc.Stages {
			rep.Stages = append(rep.Stages, ghactions.Phase{Name: s.Stage, Duration: s.Duration})
		}
		if lc.ProductionPercent != nil {
			rep.Traffic = fmt.Sprintf("%g%% on the new revision", *lc.ProductionPercent)
		}
	}
	if ex := out.Explanation; ex != nil {
		for _, sg := range ex.StoppedTasks {
			line := fmt.Sprintf("%d× %s", sg.Count, sg.Reason)
			if sg.StopCode != "" {
				line += " [" + sg.StopCode + "]"
			}
			for _, c := range sg.Containers {
				line += "; " + c.String()
			}
			rep.StoppedReasons = append(rep.StoppedReasons, line)
		}
		for _, e := range ex.Events {
			rep.Events = append(rep.Events, e.Time.UTC().Format(time.RFC3339)+" "+e.Message)
		}
		for _, l := range ex.Logs {
			if l.NoLogs != "" {
				rep.LogLines = append(rep.LogLines, fmt.Sprintf("== %s (task %s): no logs: %s", l.Container, l.TaskID, l.NoLogs))
				continue
			}
			rep.LogLines = append(rep.LogLines, fmt.Sprintf("== %s (task %s, %s/%s)", l.Container, l.TaskID, l.Group, l.Stream))
			rep.LogLines = append(rep.LogLines, l.Lines...)
		}
		rep.Next = ex.NextStep()
	}
	snaps := g.progress.snapshots()
	if n := len(snaps); n > 0 {
		if p := snaps[n-1].primaryTD(); p != "" && p != shortTaskDef(out.TaskDefinition) {
			rep.Running = p
		}
	}
	rep.Timeline = rolloutTimeline(processStart, time.Now(), snaps, out)
	if !out.Succeeded() {
		// run has no service: name what it ran instead.
		subject, short := "service "+out.Service, out.Service
		if out.Service == "" {
			subject, short = "task definition "+shortTaskDef(out.TaskDefinition), shortTaskDef(out.TaskDefinition)
		}
		msg := fmt.Sprintf("%s of %s %s: %s", command, subject, out.Class, out.Reason)
		if rep.Next != "" {
			msg = strings.TrimRight(msg, ". ") + ". Next: " + rep.Next
		}
		title := fmt.Sprintf("doppio %s: %s %s", command, short, out.Class)
		if err := gh.AnnotateTitled(ghactions.LevelError, title, "", 0, 0, msg); err != nil {
			return err
		}
	}
	if err := gh.AppendSummary(ghactions.DeploySummary(rep)); err != nil {
		return err
	}
	if out.TaskDefinition != "" {
		if err := gh.SetOutput("task-definition-arn", out.TaskDefinition); err != nil {
			return err
		}
	}
	if out.DeploymentID != "" {
		if err := gh.SetOutput("deployment-id", out.DeploymentID); err != nil {
			return err
		}
	}
	return gh.SetOutput("outcome", outcome)
}

// outcomeName is the outcome output's spelling of a class (documented in
// docs/github-actions.md): one word, so workflows can compare it.
func outcomeName(c deploy.Class) string {
	switch c {
	case deploy.Completed:
		return "success"
	case deploy.Submitted:
		return "submitted"
	case deploy.RolledBack:
		return "rolled_back"
	case deploy.Timeout:
		return "timeout"
	}
	return strings.ReplaceAll(string(c), " ", "_")
}
