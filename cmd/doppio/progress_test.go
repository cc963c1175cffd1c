package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/doppio-ecs/doppio/deploy"
)

// Off a terminal (a CI log) nothing ticks, so while polls are sparse each
// waiting line says how long the command has been at it, beside what it
// waits for; the same message is not repeated.
func TestCIWaitingLinesSayElapsed(t *testing.T) {
	var out bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &progressReporter{w: &out, now: func() time.Time { return now }, scope: "demo/web", started: now}
	now = now.Add(5 * time.Second)
	r.Report(deploy.Event{Time: now, Kind: deploy.EventWaiting, Message: "old tasks to drain (deregistration delay 5m0s, until about 00:05:05); next check in 4m58s"})
	now = now.Add(30 * time.Second)
	r.Report(deploy.Event{Time: now, Kind: deploy.EventWaiting, Message: "old tasks to drain (deregistration delay 5m0s, until about 00:05:05); next check in 4m28s"})
	r.Report(deploy.Event{Time: now, Kind: deploy.EventWaiting, Message: "old tasks to drain (deregistration delay 5m0s, until about 00:05:05); next check in 4m28s"})
	now = now.Add(60 * time.Second)
	r.Report(deploy.Event{Time: now, Kind: deploy.EventWaiting, Message: "ECS to mark the deployment completed"})
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		"[INFO] demo/web: waiting for old tasks to drain (deregistration delay 5m0s, until about 00:05:05); next check in 4m58s; 5s elapsed",
		"[INFO] demo/web: waiting for old tasks to drain (deregistration delay 5m0s, until about 00:05:05); next check in 4m28s; 35s elapsed",
		"[INFO] demo/web: waiting for ECS to mark the deployment completed; 1m35s elapsed",
	}
	if len(lines) != len(want) {
		t.Fatalf("lines:\n%s\nwant %d", out.String(), len(want))
	}
	for i, w := range want {
		if !strings.HasSuffix(lines[i], w) {
			t.Errorf("line %d = %q, want it to end with %q", i, lines[i], w)
		}
	}
}

// With --log-format json a waiting record keeps the waiter's text and, in a
// long sleep, says when it polls next as an RFC 3339 time.
func TestJSONWaitingRecordsSayTheNextPoll(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	var out bytes.Buffer
	setupLogging(&out, "json", false)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &progressReporter{w: &out, json: true, now: func() time.Time { return now }, cluster: "demo", service: "web"}
	r.Report(drainWaiting(now))
	r.Report(deploy.Waiting("ECS to mark the deployment completed"))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var recs []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		recs = append(recs, m)
	}
	if len(recs) != 2 {
		t.Fatalf("records:\n%s", out.String())
	}
	if recs[0]["msg"] != "waiting for "+drainWait+"; next check in 37s" || recs[0]["event"] != "waiting" {
		t.Errorf("first record %v", recs[0])
	}
	if next, _ := recs[0]["next"].(string); next != now.Add(37*time.Second).Format(time.RFC3339) {
		t.Errorf("next = %q, want the time of the next poll", next)
	}
	if _, ok := recs[1]["next"]; ok {
		t.Errorf("a wait without a long sleep names no next poll: %v", recs[1])
	}
}
