package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Runs that write into one results folder add up; a site diagnosed again reads back as its
// latest run; an unfinished write is not read.
func TestResultsLatestRunPerSite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A folder name DuckDB would glob ('*', '['): files are read by exact name.
	dir := filepath.Join(t.TempDir(), "res*[1]")
	night := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	first := time.Date(2026, 12, 6, 23, 59, 0, 0, time.UTC)
	row := func(run string, at time.Time, shard, site, check, status string, pos, rank int) ResultRow {
		r := ResultRow{RunID: run, RunAt: at, Shard: shard, Fleet: "bundles", Site: site, SiteStatus: "problems",
			Verdict: "v", Lines: 10, Check: check, Title: "t " + check, Severity: "error", Status: status, Count: 3,
			Position: pos, FailingRank: rank, EvaluatedAt: &first}
		if rank >= 0 {
			r.Since = &first
		}
		return r
	}
	write := func(shard, run string, rows ...ResultRow) {
		t.Helper()
		if err := WriteResults(ctx, filepath.Join(dir, ResultsDir, "shard="+shard, "part-"+run+".parquet"), rows); err != nil {
			t.Fatal(err)
		}
	}
	write("1-of-2", "a", row("a", night, "1-of-2", "contoso", "c1", "fail", 0, 0), row("a", night, "1-of-2", "contoso", "c2", "pass", 1, -1))
	write("2-of-2", "b", row("b", night, "2-of-2", "fabrikam", "c1", "pass", 0, -1),
		ResultRow{RunID: "b", RunAt: night, Shard: "2-of-2", Site: "broken", SiteStatus: "failed", Error: "cannot read", FailingRank: -1})
	// contoso again, an hour later (the shard re-run): its rows replace the first run's.
	write("1-of-2", "c", row("c", night.Add(time.Hour), "1-of-2", "contoso", "c2", "fail", 0, 0))
	// A write in progress: a temporary folder, as WriteResults leaves it until the rename.
	tmp := filepath.Join(dir, ResultsDir, "shard=2-of-2", ".part-d.parquet.tmp-1")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "part.parquet"), []byte("half a file"), 0o644); err != nil {
		t.Fatal(err)
	}

	rows, err := ReadResults(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, strings.Join([]string{r.Site, r.RunID, r.Check, r.Status, r.Error}, "/"))
	}
	want := []string{"broken/b///cannot read", "contoso/c/c2/fail/", "fabrikam/b/c1/pass/"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("rows:\n%q\nwant\n%q", got, want)
	}
	c := rows[1]
	if c.FailingRank != 0 || c.Since == nil || !c.Since.Equal(first) || c.Since.Location() != time.UTC || !c.RunAt.Equal(night.Add(time.Hour)) ||
		c.Count != 3 || c.Fleet != "bundles" || c.Lines != 10 || c.EvaluatedAt == nil {
		t.Errorf("contoso row: %+v", c)
	}
	if b := rows[0]; b.FailingRank != -1 || b.Since != nil || b.EvaluatedAt != nil || b.Count != 0 {
		t.Errorf("failed site's row: %+v", b)
	}

	if _, err := ReadResults(ctx, t.TempDir()); err == nil || !strings.Contains(err.Error(), "no results table") {
		t.Errorf("a folder without results: %v", err)
	}
}

// The README lists the results table's columns; they must be what WriteResults writes.
func TestReadmeListsResultsColumns(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	i := strings.Index(text, "`run_id, ")
	if i < 0 {
		t.Fatal("README does not list the results table's columns (`run_id, ...`)")
	}
	j := strings.IndexByte(text[i+1:], '`')
	listed := strings.Split(strings.Join(strings.Fields(text[i+1:i+1+j]), " "), ", ")
	var names []string
	for _, c := range ResultsSchema() {
		names = append(names, strings.Fields(c)[0])
	}
	if strings.Join(listed, ",") != strings.Join(names, ",") {
		t.Errorf("README lists the results columns\n%q\nWriteResults writes\n%q", listed, names)
	}
}
