package sql_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kudulens/kudulens/pipeline"
	"github.com/kudulens/kudulens/pipeline/store"
	"github.com/kudulens/kudulens/report"
	klsql "github.com/kudulens/kudulens/sql"
)

// The pictures of the sample's report: every line, exception and restart is in a bucket, and
// what the report says about exceptions and configuration is what the sample holds.
func TestInsightsOfTheSample(t *testing.T) {
	ctx := context.Background()
	database, err := store.Open(ctx, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close()
	if _, err := pipeline.Ingest(ctx, database, []string{sampleSource}, pipeline.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	checks, _ := klsql.BuiltinChecks()
	rep, err := klsql.Run(ctx, database.DB(), checks, klsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	focus := report.FocusStart(rep)
	// The focus begins before the first error problem (2026-11-19T00:06:20Z, the last Usage reports).
	if focus.IsZero() || focus.Format("2006-01-02T15") > "2026-11-18T22" {
		t.Errorf("focus starts %v", focus)
	}
	in, err := klsql.ComputeInsights(ctx, database.DB(), rep, klsql.InsightOptions{FocusStart: focus})
	if err != nil {
		t.Fatal(err)
	}
	if in.Site != "contoso-analytics" || len(in.Sources) != 1 || !strings.HasSuffix(in.Sources[0], "sample-bundle.zip") {
		t.Errorf("site %q, sources %v", in.Site, in.Sources)
	}
	var lines, exc, restarts int64
	for _, j := range in.Overview.Jobs {
		for _, b := range j.Buckets {
			lines, exc, restarts = lines+b.Lines, exc+b.Exceptions, restarts+b.Restarts
		}
	}
	if lines != rep.Ingest.Traces || exc != rep.Ingest.Exceptions || restarts != 92 {
		t.Errorf("overview holds %d lines, %d exceptions, %d restarts; want %d, %d, 92", lines, exc, restarts, rep.Ingest.Traces, rep.Ingest.Exceptions)
	}
	if len(in.Focus.Jobs) != 2 || in.Focus.Step.Minutes() != 30 {
		t.Errorf("focus: %d jobs, step %v", len(in.Focus.Jobs), in.Focus.Step)
	}
	top := in.ExceptionTypes[0]
	if top.OuterType != "Microsoft.Identity.Client.MsalServiceException" || top.Count != 534 || !strings.Contains(top.Message, "AADSTS7000215") {
		t.Errorf("top exception type: %+v", top)
	}
	if len(in.Cycles) != 577 || len(in.Files) != 42 {
		t.Errorf("%d cycles, %d files", len(in.Cycles), len(in.Files))
	}
	jobs := map[string]bool{}
	for _, c := range in.Config {
		jobs[c.Job] = true
		text := strings.Join(c.Lines, "\n")
		if !strings.Contains(text, "Configured values:") || !strings.Contains(text, "Build 1312") || strings.Contains(text, "Testing SQL") {
			t.Errorf("configuration of %s:\n%s", c.Job, text)
		}
	}
	if !jobs["AppInsightsImporter"] || !jobs["Office365ActivityImporter"] {
		t.Errorf("configuration blocks of %v", jobs)
	}
}
