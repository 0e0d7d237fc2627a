package sql_test

import (
	"context"
	"os"
	"path/filepath"
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

// A configuration block ends at a progress line (sql.LeanTemplates), as at any other line that
// is no configuration: diagnose may keep progress lines without their text. Before "Configured
// values:", between the engine's START line and it, a progress line is left out.
func TestConfigBlockEndsAtProgressLine(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log := `[11/12/2026 13:00:50 > 5b7e2d: INFO] Office 365 Advanced Analytics engine START: 'Build 1312'.
[11/12/2026 13:00:50 > 5b7e2d: INFO] Audit events import: processed 10% activity report data...
[11/12/2026 13:00:50 > 5b7e2d: INFO] Configured values:
[11/12/2026 13:00:50 > 5b7e2d: INFO] Days back to check for events from Activity API='6'.
[11/12/2026 13:00:51 > 5b7e2d: INFO] Audit events import: processed 20% activity report data...
[11/12/2026 13:00:51 > 5b7e2d: INFO] Days back to check for events from Activity API='7'.
`
	if err := os.MkdirAll(filepath.Join(dir, "data/jobs/continuous/Office365ActivityImporter"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data/jobs/continuous/Office365ActivityImporter/job_log.txt"), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	database, err := store.Open(ctx, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close()
	if _, err := pipeline.Ingest(ctx, database, []string{dir}, pipeline.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	rep, err := klsql.Run(ctx, database.DB(), nil, klsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in, err := klsql.ComputeInsights(ctx, database.DB(), rep, klsql.InsightOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "Office 365 Advanced Analytics engine START: 'Build 1312'.\nConfigured values:\nDays back to check for events from Activity API='6'."
	if len(in.Config) != 1 || strings.Join(in.Config[0].Lines, "\n") != want {
		t.Errorf("configuration blocks %+v, want one of\n%s", in.Config, want)
	}
}
