package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/ghactions"
	"github.com/doppio-ecs/doppio/internal/golden"
)

// TestRolloutTimeline: the deploy summary's chart of a completed rollout
// and of a rolled-back one, from the snapshots the waiter reported (golden).
func TestRolloutTimeline(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	dep := func(status, td string, desired, running, failed int32) deploy.DeploymentState {
		return deploy.DeploymentState{Status: status, TaskDefinition: td, Desired: desired, Running: running, Failed: failed}
	}
	const arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:4"
	for _, tc := range []struct {
		name  string
		class deploy.Class
		snaps []snapshot
		end   int
	}{
		{"completed", deploy.Completed, []snapshot{
			{at(3), []deploy.DeploymentState{dep("PRIMARY", "web:4", 2, 0, 0), dep("ACTIVE", "web:3", 2, 2, 0)}},
			{at(20), []deploy.DeploymentState{dep("PRIMARY", "web:4", 2, 1, 0), dep("ACTIVE", "web:3", 2, 2, 0)}},
			{at(34), []deploy.DeploymentState{dep("PRIMARY", "web:4", 2, 2, 0), dep("ACTIVE", "web:3", 0, 2, 0)}},
			{at(51), []deploy.DeploymentState{dep("PRIMARY", "web:4", 2, 2, 0)}},
		}, 52},
		{"rolled back", deploy.RolledBack, []snapshot{
			{at(2), []deploy.DeploymentState{dep("PRIMARY", "web:4", 2, 0, 0), dep("ACTIVE", "web:3", 2, 2, 0)}},
			{at(25), []deploy.DeploymentState{dep("PRIMARY", "web:4", 2, 0, 2), dep("ACTIVE", "web:3", 2, 2, 0)}},
			{at(61), []deploy.DeploymentState{dep("PRIMARY", "web:3", 2, 2, 0), dep("ACTIVE", "web:4", 0, 0, 4)}},
		}, 75},
		{"timed out", deploy.Timeout, []snapshot{
			{at(2), []deploy.DeploymentState{dep("PRIMARY", "web:4", 2, 0, 0), dep("ACTIVE", "web:3", 2, 2, 0)}},
		}, 600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spans := rolloutTimeline(start, at(tc.end), tc.snaps, &deploy.Outcome{Class: tc.class, TaskDefinition: arn})
			golden.Check(t, filepath.Join("testdata", "timeline-"+strings.ReplaceAll(tc.name, " ", "-")+".golden"), ghactions.MermaidGantt("web (cluster demo)", spans))
		})
	}
	if rolloutTimeline(start, at(1), nil, &deploy.Outcome{Class: deploy.Completed, TaskDefinition: arn}) != nil {
		t.Error("a timeline without snapshots")
	}
}
