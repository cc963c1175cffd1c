package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/apijson"
	"github.com/doppio-ecs/doppio/deploy"
	"github.com/doppio-ecs/doppio/render"
)

// RevisionsCmd lists the family's revisions or prints one. It makes no
// mutating AWS call.
type RevisionsCmd struct {
	Revision string `help:"Print this revision's JSON instead of listing: a number, current (what the service runs) or latest." placeholder:"N|current|latest"`
	Output   string `help:"Output format of the list: table (doppio's, with images and registration times), json (one {name, in_use, ...} object after another, as ecspresso) or tsv (name and in_use, as ecspresso)." enum:"table,json,tsv" default:"table"`
}

// Run lists or prints.
func (c *RevisionsCmd) Run(g *Globals) error {
	p, err := g.LoadProject()
	if err != nil {
		return err
	}
	ctx, cancel := commandContext(g.Context, p.Config.Timeout.Duration)
	defer cancel()
	rep := newProgressReporter(g)
	defer rep.Close()
	d := deploy.New(p.Clients, rep)
	family, err := d.Family(ctx, p.Config.Cluster, p.Config.Service, localTaskDefinition(p))
	if err != nil {
		return timeoutError(ctx, err)
	}
	if c.Revision != "" {
		learnSecrets(ctx, p)
		out, err := d.DescribeRevision(ctx, p.Config.Cluster, p.Config.Service, family, c.Revision)
		if err != nil {
			return timeoutError(ctx, err)
		}
		rep.Close()
		return writeTaskDefinition(g.Stdout, out.TaskDefinition, out.Tags)
	}
	revs, err := d.ListRevisions(ctx, p.Config.Cluster, p.Config.Service, family)
	if err != nil {
		return timeoutError(ctx, err)
	}
	rep.Close()
	switch c.Output {
	case "json":
		return writeRevisionRecords(g.Stdout, revs)
	case "tsv":
		var b strings.Builder
		for _, r := range revs {
			b.WriteString(r.Name() + "\t" + strings.Join(r.InUse, ", ") + "\n")
		}
		_, err := io.WriteString(g.Stdout, b.String())
		return err
	}
	if len(revs) == 0 {
		fmt.Fprintf(g.Stderr, "no ACTIVE revision of task definition family %s\n", family)
		return nil
	}
	rows := make([][]string, 0, len(revs))
	for _, r := range revs {
		registered := ""
		if r.RegisteredAt != nil {
			registered = r.RegisteredAt.Local().Format("2006-01-02 15:04:05")
		}
		rows = append(rows, []string{r.Name(), strings.Join(r.Images, " "), registered, strings.Join(r.InUse, ", ")})
	}
	return writeTable(g, c.Output, revs, []string{"REVISION", "IMAGES", "REGISTERED", "IN USE"}, rows)
}

// revisionRecord is one revision as ecspresso's `revisions --output json`
// prints it ({name, in_use}), plus what doppio knows besides.
type revisionRecord struct {
	Name         string     `json:"name"`
	InUse        string     `json:"in_use"`
	Arn          string     `json:"taskDefinitionArn"`
	Images       []string   `json:"images"`
	RegisteredAt *time.Time `json:"registeredAt,omitempty"`
}

// writeRevisionRecords writes one indented object per revision, one after
// another, as ecspresso does: `jq -r 'select(.in_use == "") | .name'` works.
func writeRevisionRecords(w io.Writer, revs []deploy.Revision) error {
	var b bytes.Buffer
	for _, r := range revs {
		out, err := json.MarshalIndent(revisionRecord{Name: r.Name(), InUse: strings.Join(r.InUse, ", "), Arn: r.ARN, Images: r.Images, RegisteredAt: r.RegisteredAt}, "", "  ")
		if err != nil {
			return err
		}
		b.Write(append(out, '\n'))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// writeTaskDefinition prints a task definition as ecspresso does (the
// object itself, so `jq .taskDefinitionArn` works), its tags beside the
// other members as "tags".
func writeTaskDefinition(w io.Writer, td *ecstypes.TaskDefinition, tags []ecstypes.Tag) error {
	m, err := apijson.ToMap(td)
	if err != nil {
		return err
	}
	if len(tags) > 0 {
		if m["tags"], err = apijson.ToValue(tags); err != nil {
			return err
		}
	}
	b, err := apijson.Encode(m)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// localTaskDefinition renders the config's task definition, or nil when the
// config has none.
func localTaskDefinition(p *render.Project) deploy.LocalTaskDefinition {
	if p.Config.TaskDefinitionPath == "" {
		return nil
	}
	return p.TaskDefinition
}

// writeTable prints rows as an aligned table, tab-separated values, or v as
// JSON.
func writeTable(g *Globals, format string, v any, header []string, rows [][]string) error {
	switch format {
	case "json":
		return writeJSON(g, v)
	case "tsv":
		var b strings.Builder
		for _, r := range append([][]string{header}, rows...) {
			b.WriteString(strings.Join(r, "\t") + "\n")
		}
		_, err := io.WriteString(g.Stdout, b.String())
		return err
	}
	tw := tabwriter.NewWriter(g.Stdout, 0, 4, 2, ' ', 0)
	for _, r := range append([][]string{header}, rows...) {
		for i := range r {
			if r[i] == "" {
				r[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}
