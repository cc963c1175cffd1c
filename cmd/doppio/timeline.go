package main

import (
	"strings"
	"time"

	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/ghactions"
)

// snapshot is one deployments snapshot the progress reporter saw.
type snapshot struct {
	at     time.Time
	states []deploy.DeploymentState
}

// primaryTD is the task definition of the PRIMARY deployment ("" if none).
func (s snapshot) primaryTD() string {
	for _, d := range s.states {
		if d.Status == "PRIMARY" {
			return d.TaskDefinition
		}
	}
	return ""
}

func (s snapshot) find(td string) *deploy.DeploymentState {
	for i := range s.states {
		if s.states[i].TaskDefinition == td {
			return &s.states[i]
		}
	}
	return nil
}

// othersRunning tells whether a deployment other than td still runs tasks.
func (s snapshot) othersRunning(td string) bool {
	for _, d := range s.states {
		if d.TaskDefinition != td && d.Running > 0 {
			return true
		}
	}
	return false
}

// rolloutTimeline turns what the waiter reported into the phases of the
// rollout for the step summary's chart: preparing (render, register,
// update), our tasks starting, the old tasks draining, and the end
// (steady, or the failure and the rollback). Times are from start; the
// result depends only on its inputs.
func rolloutTimeline(start, end time.Time, snaps []snapshot, out *deploy.Outcome) []ghactions.Span {
	ours := shortTaskDef(out.TaskDefinition)
	if ours == "" || len(snaps) == 0 {
		return nil
	}
	rel := func(t time.Time) time.Duration { return max(0, t.Sub(start).Round(time.Second)) }
	var spans []ghactions.Span
	add := func(section, name string, from, to time.Time, state string) {
		if to.Before(from) {
			to = from
		}
		spans = append(spans, ghactions.Span{Section: section, Name: name, Start: rel(from), End: rel(to), State: state})
	}
	var seen, running, drained, failing, replaced time.Time
	replacedBy := ""
	for _, s := range snaps {
		d := s.find(ours)
		if d != nil && seen.IsZero() {
			seen = s.at
		}
		if seen.IsZero() {
			continue
		}
		if d != nil && running.IsZero() && d.Desired > 0 && d.Running >= d.Desired {
			running = s.at
		}
		if !running.IsZero() && drained.IsZero() && !s.othersRunning(ours) {
			drained = s.at
		}
		if d != nil && failing.IsZero() && d.Failed > 0 {
			failing = s.at
		}
		if p := s.primaryTD(); replaced.IsZero() && p != "" && p != ours {
			replaced, replacedBy = s.at, p
		}
	}
	if seen.IsZero() {
		return nil
	}
	add(ours, "prepare and update", start, seen, "done")
	ok := out.Class == deploy.Completed
	switch {
	case ok:
		if running.IsZero() {
			running = end
		}
		add(ours, "tasks starting", seen, running, "done")
		if drained.IsZero() {
			drained = end
		}
		if drained.After(running) {
			add(ours, "old tasks draining", running, drained, "done")
		}
		spans = append(spans, ghactions.Span{Section: ours, Name: "steady", Start: rel(end), Milestone: true})
	case !replaced.IsZero():
		stop := replaced
		if !failing.IsZero() && failing.Before(replaced) {
			add(ours, "tasks starting", seen, failing, "done")
			seen = failing
		}
		add(ours, "tasks failing", seen, stop, "crit")
		add(replacedBy, "rolling back", replaced, end, "active")
		spans = append(spans, ghactions.Span{Section: replacedBy, Name: strings.ToLower(string(out.Class)), Start: rel(end), Milestone: true, State: "crit"})
	default:
		state := "active"
		if out.Class != deploy.Timeout && out.Class != deploy.Interrupted {
			state = "crit"
		}
		add(ours, "tasks starting", seen, end, state)
		spans = append(spans, ghactions.Span{Section: ours, Name: strings.ToLower(string(out.Class)), Start: rel(end), Milestone: true, State: "crit"})
	}
	return spans
}
