package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/doppio-ecs/doppio/internal/third_party/kong"

	"github.com/doppio-ecs/doppio/awsapi"
	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/ecsbatch"
	"github.com/doppio-ecs/doppio/exitcode"
	"github.com/doppio-ecs/doppio/fleet"
	"github.com/doppio-ecs/doppio/ghactions"
	"github.com/doppio-ecs/doppio/render"
)

// fleetCommands run over several services (docs/many-services.md).
var fleetCommands = map[string]bool{
	"diff": true, "verify": true, "deploy": true, "rollback": true, "wait": true,
	"status": true, "refresh": true, "scale": true, "render": true,
}

// servicePlanner is a command that changes services: planService checks
// one service with read-only calls, and a run over several services calls it
// for every one of them before running the command on any.
type servicePlanner interface {
	planService(g *Globals) error
	dryRun() bool
}

// jsonResult is a read-only command whose stdout is one JSON document.
type jsonResult interface{ jsonOutput() bool }

func (c *StatusCmd) jsonOutput() bool { return c.Output == "json" }
func (c *DiffCmd) jsonOutput() bool   { return c.Output == "json" }
func (c *VerifyCmd) jsonOutput() bool { return c.Output == "json" }

// fleetRequested tells whether the flags select several services.
func (g *Globals) fleetRequested() bool { return fleet.Requested(g.Config, g.Fleet, g.Shard) }

// runFleet runs the selected command over every selected service: load
// and plan them all, then, only when all are sound, run the command on each
// (--parallel at once, after: first), and print the sections, the result
// table and the errors.
func runFleet(g *Globals, kctx *kong.Context) error {
	cmd, ok := kctx.Selected().Target.Addr().Interface().(interface{ Run(*Globals) error })
	if !ok || !fleetCommands[g.command] {
		return fmt.Errorf("doppio %s acts on one service; several configs (--config given more than once or as a glob, --fleet, --shard) work with %s", g.command, strings.Join(sortedKeys(fleetCommands), ", "))
	}
	if g.Parallel < 1 {
		return fmt.Errorf("--parallel must be 1 or more, got %d", g.Parallel)
	}
	file := g.Fleet
	if file == "" && len(g.Config) == 0 {
		// --shard alone: the fleet file of the working directory.
		if _, err := os.Stat(fleet.DefaultFile); err != nil {
			return fmt.Errorf("--shard needs services to split: give --fleet FILE or --config PATTERN (no %s here)", fleet.DefaultFile)
		}
		file = fleet.DefaultFile
	}
	sel, err := fleet.Select(fleet.SelectOptions{Configs: g.Config, File: file, ExtStr: g.ExtStr, ExtCode: g.ExtCode, Context: g.Context})
	if err != nil {
		return listedErrors(g, err)
	}
	if g.Shard != "" {
		sh, err := fleet.ParseShard(g.Shard)
		if err != nil {
			return err
		}
		all := len(sel.Entries)
		sel = sel.Split(sh)
		names := strings.Join(sel.Names(), ", ")
		if names == "" {
			names = "none" // a matrix wider than the fleet: nothing to do here
		}
		say(g, g.Stderr, slog.LevelInfo, fmt.Sprintf("shard %d/%d: %d of %d services: %s", sh.Index, sh.Count, len(sel.Entries), all, names), "shard", g.Shard)
	}
	r := &fleetRun{g: g, cmd: cmd, sel: sel, stderr: &lockedWriter{w: g.Stderr}}
	defer r.close()
	return r.run()
}

// fleetRun is one command over a selection.
type fleetRun struct {
	g        *Globals
	cmd      interface{ Run(*Globals) error }
	sel      *fleet.Selection
	stderr   io.Writer
	live     *fleetLive // nil off a terminal
	projects []*render.Project
	out      []bytes.Buffer // each service's stdout

	// summaries, for a read-only command in GitHub Actions, holds each
	// service's step summary file (diff, verify): the run appends them to
	// its own in selection order, each under the service's name.
	summaries string

	mu      sync.Mutex
	clients map[string]*awsapi.Clients
	ecs     map[*awsapi.Clients]deploy.ECSAPI
}

func (r *fleetRun) close() {
	for _, p := range r.projects {
		_ = p.Close()
	}
}

// clientsFor is the run's one client set per region: every project of
// the region shares its connections, credentials and retry budget.
func (r *fleetRun) clientsFor(ctx context.Context, region string) (*awsapi.Clients, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.clients[region]; ok {
		return c, nil
	}
	c, err := awsapi.New(ctx, awsapi.Options{Region: region, AssumeRoleARN: r.g.AssumeRoleARN})
	if err != nil {
		return nil, err
	}
	r.clients[region] = c
	// The ECS client every deployer and waiter of the region uses: the
	// waiters' DescribeServices calls coalesced into one polling loop per
	// cluster (10 services a call), identical registrations made once.
	// Rounds are spaced by the waiter's fastest poll, so batching delays no
	// answer by more than one poll.
	lo, _, _ := deploy.PollIntervals()
	r.ecs[c] = fleet.NewRegisterOnce(ecsbatch.New(c.ECS, ecsbatch.Options{Interval: min(lo, ecsbatch.DefaultInterval)}))
	return c, nil
}

func (r *fleetRun) ecsFor(p *render.Project) deploy.ECSAPI {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.ecs[p.Clients]; ok {
		return e
	}
	return p.Clients.ECS
}

func (r *fleetRun) run() error {
	g, n := r.g, len(r.sel.Entries)
	r.projects = make([]*render.Project, n)
	r.out = make([]bytes.Buffer, n)
	r.clients, r.ecs = map[string]*awsapi.Clients{}, map[*awsapi.Clients]deploy.ECSAPI{}
	planner, changes := r.cmd.(servicePlanner)

	// Load every project, then (for a command that changes services)
	// plan every one: nothing changes anywhere unless all are sound.
	errs := fleet.Each(g.Context, n, g.Parallel, func(ctx context.Context, i int) error {
		ctx = r.logScope(ctx, i)
		p, err := render.Load(ctx, render.Options{
			ConfigPath: r.sel.Entries[i].Config, ExtStr: g.ExtStr, ExtCode: g.ExtCode,
			AssumeRoleARN: g.AssumeRoleARN, Version: g.BinaryVersion, Timeout: g.Timeout,
			Secrets: g.Secrets, Clients: r.clientsFor,
		})
		if err != nil {
			return err
		}
		r.projects[i] = p
		if changes {
			return planner.planService(r.forService(i, io.Discard))
		}
		return nil
	})
	if changes {
		r.sameTargets(errs)
		if firstError(errs) != nil {
			return r.refuse(errs)
		}
	}

	if !changes && g.GitHub().Enabled {
		if dir, err := os.MkdirTemp("", "doppio-summaries-"); err == nil {
			r.summaries = dir
			defer os.RemoveAll(dir)
		}
	}
	if width, ok := terminalWidth(g); ok && g.LogFormat != "json" {
		r.live = newFleetLive(g.Stderr, width, time.Now, fmt.Sprintf("%s · %d services", g.command, n), r.sel.Names())
		r.stderr = r.live
		r.live.start()
	}
	results := fleet.Apply(g.Context, r.sel, fleet.ApplyOptions{Parallel: g.Parallel, FailFast: g.FailFast || !g.KeepGoing},
		func(ctx context.Context, i int) fleet.Result {
			t0 := time.Now()
			res := r.runOne(ctx, i, errs[i])
			if r.live != nil {
				res.Duration = time.Since(t0) // for the row; Apply sets the table's
				r.live.done(i, res)
			}
			return res
		})
	if r.live != nil {
		for i, res := range results {
			r.live.done(i, res) // the skipped ones too
		}
		r.live.close()
		r.stderr = &lockedWriter{w: g.Stderr}
	}
	table := changes && !planner.dryRun()
	if err := r.printSections(results, !table); err != nil {
		return err
	}
	if table {
		if err := r.printTable(results); err != nil {
			return err
		}
	}
	r.printErrors(results)
	if table {
		r.summary(results, "")
	} else {
		r.readOnlySummary(results)
	}
	if code := fleet.Worst(results); code != exitcode.OK {
		return exitcode.With(code, nil)
	}
	return nil
}

// sameTargets refuses a run that would change one service from two
// configs: their rollouts would race, each judging the other's deployment.
// The later entry gets the error, naming the first.
func (r *fleetRun) sameTargets(errs []error) {
	first := map[string]int{}
	for i, p := range r.projects {
		if p == nil || errs[i] != nil || p.Config.Service == "" {
			continue
		}
		cluster := p.Config.Cluster
		if cluster == "" {
			cluster = "default"
		}
		region := ""
		if p.Clients != nil {
			region = p.Clients.Config.Region
		}
		key := region + "\x00" + cluster + "\x00" + p.Config.Service
		if j, ok := first[key]; ok {
			errs[i] = fmt.Errorf("%s: service %s of cluster %s (region %s) is also selected by %s (%s): a run changes each service once; select one of them",
				r.sel.Entries[i].Config, p.Config.Service, cluster, region, r.sel.Entries[j].Config, r.sel.Entries[j].Name)
			continue
		}
		first[key] = i
	}
}

// runOne runs the command on service i (planErr: what its loading said).
func (r *fleetRun) runOne(ctx context.Context, i int, planErr error) fleet.Result {
	if planErr != nil {
		return errorResult(planErr)
	}
	var got *deploy.Outcome
	sg := r.forService(i, &r.out[i])
	sg.Context = r.logScope(ctx, i)
	sg.outcomes = func(o *deploy.Outcome) { got = o }
	if r.live != nil {
		r.live.set(i, "started")
		sg.row = r.live.event(i)
	}
	err := r.cmd.Run(sg)
	if got != nil {
		return resultOf(got)
	}
	return errorResult(err)
}

// forService is the Globals one service's command runs with: its project,
// its own stdout (printed in selection order at the end), the shared
// stderr, no GitHub output of its own (the run writes one summary), and
// the run's shared ECS client.
func (r *fleetRun) forService(i int, stdout io.Writer) *Globals {
	c := *r.g
	c.Context = r.logScope(c.Context, i)
	c.project = r.projects[i]
	c.Stdout, c.rawStdout = stdout, stdout
	c.Stderr, c.rawStderr = r.stderr, r.stderr // not a terminal: no live block per service
	c.gh = r.serviceStep(i)
	c.progress = nil
	c.wrapECS = r.ecsFor
	c.outcomes = nil
	c.row = nil
	c.resultJSON = false
	return &c
}

// logScope marks ctx as service i's: its log records name it, as its
// progress lines do.
func (r *fleetRun) logScope(ctx context.Context, i int) context.Context {
	e := r.sel.Entries[i]
	service := e.Service
	if service == "" {
		service = e.Name // a task definition family's config
	}
	return withLogScope(ctx, e.Cluster, service)
}

// serviceStep is the GitHub Actions step one service's command writes to:
// none, except for a read-only command on a runner, whose annotations go
// out as they come and whose summary is kept for readOnlySummary. Step
// outputs describe one service, so a run over several sets none.
func (r *fleetRun) serviceStep(i int) *ghactions.Step {
	if r.summaries == "" {
		return &ghactions.Step{}
	}
	run := r.g.GitHub()
	return &ghactions.Step{
		Enabled: true, Out: run.Out, Workspace: run.Workspace, Dir: run.Dir, Secrets: run.Secrets,
		SummaryPath: filepath.Join(r.summaries, fmt.Sprintf("%d.md", i)),
		Title:       fmt.Sprintf("%s: %s", run.Title, r.sel.Entries[i].Name),
	}
}

// readOnlySummary appends, for a read-only command on a runner, each
// service's own step summary under its name, and annotates the services
// that ended in an error (a check that found NG annotated itself).
func (r *fleetRun) readOnlySummary(results []fleet.Result) {
	if r.summaries == "" {
		return
	}
	gh := r.g.GitHub()
	_ = gh.MaskSecrets()
	md := &ghactions.Markdown{}
	sections := 0
	for i, res := range results {
		own, _ := os.ReadFile(filepath.Join(r.summaries, fmt.Sprintf("%d.md", i)))
		failed := res.ExitCode == exitcode.Error && res.Reason != ""
		if len(own) == 0 && !failed {
			continue // status, render: nothing of their own to show
		}
		sections++
		md.Heading(2, fmt.Sprintf("%s (%s)", res.Name, res.Config))
		if len(own) > 0 {
			md.Text(string(own))
		} else {
			md.Text(fmt.Sprintf("❌ %s: %s", res.Outcome, res.Reason))
		}
		if failed {
			_ = gh.AnnotateTitled(ghactions.LevelError, fmt.Sprintf("doppio %s: %s %s", r.g.command, res.Name, res.Outcome), "", 0, 0, res.Reason)
		}
	}
	if sections > 0 {
		_ = gh.AppendSummary(md.String())
	}
}

// refuse reports a planning failure: every error, each naming its
// service and config, and nothing started.
func (r *fleetRun) refuse(errs []error) error {
	results := make([]fleet.Result, len(errs))
	bad := 0
	for i, err := range errs {
		e := r.sel.Entries[i]
		// Not started is not succeeded (exit code 1, as a skipped service),
		// though it does not count towards the run's exit code.
		results[i] = fleet.Result{Name: e.Name, Config: e.Config, Cluster: e.Cluster, Service: e.Service, Outcome: fleet.NotStarted, ExitCode: exitcode.Error, Reason: "not started: another service's input is bad"}
		if err != nil {
			bad++
			results[i].Outcome, results[i].ExitCode, results[i].Reason = fleet.Invalid, exitcode.Of(err), errorParagraph(err)
		}
	}
	if err := r.printTable(results); err != nil {
		return err
	}
	r.printErrors(results)
	verdict := fmt.Sprintf("%d of %d services failed planning: nothing was changed", bad, len(errs))
	r.summary(results, verdict)
	code := fleet.Worst(results)
	if code == exitcode.OK {
		code = exitcode.Error
	}
	say(r.g, r.stderr, slog.LevelError, verdict, "exit_code", code)
	return exitcode.With(code, nil)
}

func firstError(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// errorResult is the result of a command that ended with err (nil: ok).
func errorResult(err error) fleet.Result {
	code := exitcode.Of(err)
	res := fleet.Result{ExitCode: code, Outcome: "ok"}
	switch code {
	case exitcode.OK:
	case exitcode.Diff:
		res.Outcome = "differences"
	case exitcode.Failed:
		res.Outcome = "failed"
	case exitcode.Timeout:
		res.Outcome = string(deploy.Timeout)
	default:
		res.Outcome = string(deploy.Error)
	}
	if err != nil {
		res.Reason = errorParagraph(err)
	}
	return res
}

// resultOf is an outcome's row of the result table.
func resultOf(out *deploy.Outcome) fleet.Result {
	r := fleet.Result{
		Cluster: out.Cluster, Service: out.Service, Revision: shortRevision(out.TaskDefinition),
		Outcome: string(out.Class), ExitCode: out.ExitCode(), DeploymentID: out.DeploymentID,
		Reason: outcomeReason(out),
	}
	if out.Succeeded() {
		r.ExitCode = exitcode.OK
	}
	if out.Explanation != nil {
		r.Explanation = out.Explanation.Lines()
	}
	return r
}

func setDuration(r *fleet.Result, d time.Duration) {
	r.Duration = d
	r.Seconds = float64(d.Round(100*time.Millisecond)) / float64(time.Second)
}

// shortRevision is "family:3" of a task definition ARN.
func shortRevision(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// resultDocument is --output json of a command whose result is an outcome.
type resultDocument struct {
	ExitCode int            `json:"exit_code"`
	Services []fleet.Result `json:"services"`
}

func resultDoc(rs []fleet.Result) resultDocument {
	if rs == nil {
		rs = []fleet.Result{}
	}
	return resultDocument{ExitCode: fleet.Worst(rs), Services: rs}
}

// printSections prints what each service's command wrote on stdout, in
// selection order, under a header naming it; a JSON command's documents
// become one JSON array. withErrors puts a service that printed nothing
// but failed in the array too.
func (r *fleetRun) printSections(results []fleet.Result, withErrors bool) error {
	if jr, ok := r.cmd.(jsonResult); ok && jr.jsonOutput() {
		type section struct {
			Name     string          `json:"name"`
			Config   string          `json:"config"`
			ExitCode int             `json:"exit_code"`
			Error    string          `json:"error,omitempty"`
			Result   json.RawMessage `json:"result,omitempty"`
		}
		doc := []section{}
		for i, res := range results {
			s := section{Name: res.Name, Config: res.Config, ExitCode: res.ExitCode}
			if b := bytes.TrimSpace(r.out[i].Bytes()); len(b) > 0 && json.Valid(b) {
				s.Result = b
			}
			if !res.OK() && res.Reason != "" {
				s.Error = res.Reason
			}
			doc = append(doc, s)
		}
		return writeJSON(r.g, doc)
	}
	var b strings.Builder
	for i, res := range results {
		if r.out[i].Len() == 0 && (!withErrors || res.OK()) {
			continue
		}
		fmt.Fprintf(&b, "== %s (%s) ==\n", res.Name, res.Config)
		b.Write(r.out[i].Bytes())
		if r.out[i].Len() > 0 && !bytes.HasSuffix(r.out[i].Bytes(), []byte("\n")) {
			b.WriteByte('\n')
		}
		if r.out[i].Len() == 0 {
			fmt.Fprintf(&b, "%s: %s\n", strings.ToUpper(res.Outcome), res.Reason)
		}
	}
	_, err := io.WriteString(r.g.Stdout, b.String())
	return err
}

var tableHeader = []string{"SERVICE", "CLUSTER", "REVISION", "OUTCOME", "DURATION", "DEPLOYMENT"}

func tableRow(res fleet.Result) []string {
	d := "-"
	if res.Duration > 0 {
		d = res.Duration.Round(100 * time.Millisecond).String()
	}
	return []string{res.Name, res.Cluster, dash(res.Revision), res.Outcome, d, dash(res.DeploymentID)}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printTable prints the result table (or its JSON) on stdout, then each
// failure's reason and explanation.
func (r *fleetRun) printTable(results []fleet.Result) error {
	if r.outputJSON() {
		return writeJSON(r.g, resultDoc(results))
	}
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(tableHeader, "\t"))
	for _, res := range results {
		fmt.Fprintln(tw, strings.Join(tableRow(res), "\t"))
	}
	_ = tw.Flush()
	for _, res := range results {
		if res.OK() || res.Outcome == fleet.NotStarted {
			continue
		}
		fmt.Fprintf(&b, "\n%s: %s: %s\n", res.Name, strings.ToUpper(res.Outcome), res.Reason)
		for _, l := range res.Explanation {
			b.WriteString("  " + l + "\n")
		}
	}
	_, err := r.g.Stdout.Write(b.Bytes())
	return err
}

// outputJSON is the command's --output json.
func (r *fleetRun) outputJSON() bool {
	switch c := r.cmd.(type) {
	case *DeployCmd:
		return c.Output == "json"
	case *RollbackCmd:
		return c.Output == "json"
	case *RefreshCmd:
		return c.Output == "json"
	case *ScaleCmd:
		return c.Output == "json"
	case *WaitCmd:
		return c.Output == "json"
	}
	return false
}

// printErrors names, on stderr, every service that ended in an error.
func (r *fleetRun) printErrors(results []fleet.Result) {
	for _, res := range results {
		if res.OK() || res.Outcome == fleet.NotStarted || res.Outcome == fleet.Skipped || res.Reason == "" {
			continue
		}
		if r.g.LogFormat == "json" {
			slog.Error(res.Reason, "name", res.Name, "config", res.Config, "exit_code", res.ExitCode)
			continue
		}
		fmt.Fprintf(r.stderr, "doppio: %s (%s): %s\n", res.Name, res.Config, res.Reason)
	}
}

// summary writes the result table to the GitHub step summary under a
// heading saying how many services succeeded (or verdict), each failure's
// explanation folded under it, and annotates the failures.
func (r *fleetRun) summary(results []fleet.Result, verdict string) {
	gh := r.g.GitHub()
	if !gh.Enabled {
		return
	}
	_ = gh.MaskSecrets()
	rows := make([][]string, len(results))
	ok := 0
	for i, res := range results {
		rows[i] = tableRow(res)
		if res.OK() {
			ok++
		}
	}
	if verdict == "" {
		verdict = fmt.Sprintf("%d of %d services succeeded", ok, len(results))
	}
	md := (&ghactions.Markdown{}).
		Heading(2, fmt.Sprintf("doppio %s: %s", r.g.command, verdict)).
		Table(tableHeader, rows)
	for _, res := range results {
		if res.OK() || res.Outcome == fleet.NotStarted {
			continue
		}
		body := res.Reason + "\n"
		if len(res.Explanation) > 0 {
			body += "\n" + ghactions.CodeBlock("", strings.Join(res.Explanation, "\n")) + "\n"
		}
		md.Details(fmt.Sprintf("%s: %s", res.Name, res.Outcome), body)
		_ = gh.AnnotateTitled(ghactions.LevelError, fmt.Sprintf("doppio %s: %s %s", r.g.command, res.Name, res.Outcome), "", 0, 0, res.Reason)
	}
	_ = gh.AppendSummary(md.String())
}

// say writes one of the run's own lines on stderr: "doppio: msg", or with
// --log-format json a record of level with attrs, so that stderr stays
// parseable as it does for one service.
func say(g *Globals, w io.Writer, level slog.Level, msg string, attrs ...any) {
	if msg == "" {
		return
	}
	if g.LogFormat == "json" {
		slog.Log(context.Background(), level, msg, attrs...)
		return
	}
	fmt.Fprintf(w, "doppio: %s\n", msg)
}

// listedErrors prints each of a joined error's errors as a paragraph of
// its own and returns exit 1 without a message of its own.
func listedErrors(g *Globals, err error) error {
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		return err
	}
	for _, e := range joined.Unwrap() {
		say(g, g.Stderr, slog.LevelError, errorParagraph(e), "exit_code", exitcode.Error)
	}
	return exitcode.With(exitcode.Error, nil)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// lockedWriter serializes the writes of services running at once, so
// their lines do not interleave.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
