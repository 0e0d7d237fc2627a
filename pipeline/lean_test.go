package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kudulens/kudulens/bench/gen"
	"github.com/kudulens/kudulens/internal/testinput"
	"github.com/kudulens/kudulens/pipeline/store"
	klsql "github.com/kudulens/kudulens/sql"
)

// A lean load (store.Options.Lean, diagnose without --db) keeps the progress lines of job logs
// without their text. Every table then holds the same rows with the same values as a full
// load, but for the text of those lines, and the checks report the same: with job logs only
// (traces is a view of the lean rows and the others), and where Merge has work (the lean rows
// go back into traces first). The job of a log outside its job folder, guessed while two lanes
// load it (also a wrong guess), reaches its lean rows too.
func TestLeanLoadSameTablesAndReport(t *testing.T) {
	defer func(n int64) { guessJobAfter = n }(guessJobAfter)
	guessJobAfter = 2000 // the guess comes while both lanes load
	cfg := gen.BenchConfig(5, time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC), 2)
	var loose, wrong bytes.Buffer
	if _, err := gen.Generate(&loose, gen.GenerateOptions{Config: cfg, Kind: gen.KindKudu, Size: 3 << 20}); err != nil {
		t.Fatal(err)
	}
	// The first lines name one job, the rest another: the guess is wrong. (Later than the
	// loose log: job logs of one job that overlap in time are merged, and stay lean no more.)
	later := gen.BenchConfig(6, time.Date(2026, 3, 5, 6, 0, 0, 0, time.UTC), 2)
	gen.Generate(&wrong, gen.GenerateOptions{Config: later, Kind: gen.KindKudu, Size: 256 << 10, Job: "AppInsightsImporter"})
	gen.Generate(&wrong, gen.GenerateOptions{Config: later, Kind: gen.KindKudu, Size: 2 << 20, Job: "Office365ActivityImporter"})
	sample := "../fixtures/sample/data/jobs/continuous/Office365ActivityImporter/"
	jobLog, err := os.ReadFile(sample + "job_log.txt")
	if err != nil {
		t.Fatal(err)
	}
	prevLog, err := os.ReadFile(sample + "job_prev_log.txt")
	if err != nil {
		t.Fatal(err)
	}
	appLog, err := os.ReadFile("../fixtures/sample/applogs/contoso-analytics/2026/11/19/23/5b7e2d-8252.applicationLog.csv")
	if err != nil {
		t.Fatal(err)
	}
	// A crafted log: progress lines of 300 instances in turn (a batch's lean rows then have
	// hundreds of combos, each met again and again).
	var crafted strings.Builder
	for i := range 40000 {
		fmt.Fprintf(&crafted, "[11/03/2020 08:%02d:%02d > %06x: INFO] Audit events import: processed %d%% activity report data...\n",
			i/3600%60, i/60%60, i*7919%300, i%100)
	}
	const o365 = "data/jobs/continuous/Office365ActivityImporter/"
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		view  bool // traces stays a view of the lean rows
	}{
		{"job logs", map[string][]byte{
			"loose/job_log_copy.txt": loose.Bytes(), "wrong/job_log.txt": wrong.Bytes(),
			o365 + "job_log.txt": jobLog, o365 + "job_prev_log.txt": prevLog,
		}, true},
		{"hundreds of instances", map[string][]byte{o365 + "job_log.txt": []byte(crafted.String())}, true},
		{"with an application log", map[string][]byte{
			"loose/job_log_copy.txt": loose.Bytes(), o365 + "job_log.txt": jobLog,
			"applogs/site/2026/11/19/23/5b7e2d-8252.applicationLog.csv": appLog,
		}, false},
		{"overlapping job logs", map[string][]byte{
			"a/" + o365 + "job_log.txt": jobLog,
			"b/" + o365 + "job_log.txt": append(bytes.Clone(jobLog), "[11/20/2026 09:00:00 > 5b7e2d: INFO] one more\n"...),
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, b := range tc.files {
				testinput.WriteFile(t, dir, name, b)
			}
			var dumps, reports [2]string
			for i, lean := range []bool{false, true} {
				s, err := store.Open(context.Background(), "", store.Options{Lean: lean})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				// 64 KiB chunks on two lanes, one file at a time (which copy Merge keeps
				// depends on the order of the files)
				if _, err := Ingest(context.Background(), s, []string{dir}, Options{LoadLanes: 2, FileWorkers: 1, ChunkSize: 64 << 10}, nil); err != nil {
					t.Fatal(err)
				}
				var views, bulk, leanRows, all int64
				if err := s.DB().QueryRow(`SELECT (SELECT count(*) FROM duckdb_views() WHERE view_name = 'traces'),
					(SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('kl_bulk', 'kl_combos')),
					(SELECT count(*) FILTER (WHERE message IS NULL) FROM traces), (SELECT count(*) FROM traces)`).Scan(&views, &bulk, &leanRows, &all); err != nil {
					t.Fatal(err)
				}
				if want := lean && tc.view; (views == 1) != want || (bulk == 2) != want || want && leanRows*2 < all {
					t.Errorf("lean=%v: traces is a view: %v, lean tables: %d, %d of %d rows without text", lean, views == 1, bulk, leanRows, all)
				}
				if lean && !tc.view && leanRows == 0 {
					t.Errorf("no row came back from kl_bulk: the test does not load lean rows")
				}
				dumps[i] = dumpLeanTables(t, s)
				reports[i] = checksReport(t, s)
			}
			sameDumps(t, "a lean load gives other tables", "full", "lean", dumps[0], dumps[1])
			if reports[0] != reports[1] {
				t.Errorf("a lean load gives another report:\n%.800s\n%.800s", reports[0], reports[1])
			}
		})
	}
}

// dumpLeanTables is dumpAllTables without the text of progress lines (sql.LeanTemplates): the
// one thing a lean load does not keep.
func dumpLeanTables(t *testing.T, s *store.Store) string {
	t.Helper()
	lean := "'" + strings.Join(klsql.LeanTemplates(), "', '") + "'"
	return dumpAllTablesFrom(t, s, `(SELECT * REPLACE (
		CASE WHEN template IN (`+lean+`) THEN NULL ELSE message END AS message,
		CASE WHEN template IN (`+lean+`) THEN NULL ELSE app_time END AS app_time) FROM traces)`)
}

// runChecks runs the built-in checks on s, the KQL ones as queries of no rows.
func runChecks(t *testing.T, s *store.Store) *klsql.Report {
	t.Helper()
	checks, err := klsql.BuiltinChecks()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := klsql.Run(context.Background(), s.DB(), checks, klsql.Options{KQL: func(string, time.Time) (string, error) {
		return "SELECT NULL::TIMESTAMP AS timestamp WHERE false", nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// checksReport is runChecks' report as JSON.
func checksReport(t *testing.T, s *store.Store) string {
	t.Helper()
	out, err := json.Marshal(runChecks(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
