package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kudulens/kudulens/pipeline/store"
)

const kuduLog = "../../fixtures/sample/data/jobs/continuous/Office365ActivityImporter/job_log.txt"

// writeJobLog writes the first n lines of the sample's job log (all of them if n < 0) as
// <root>/data/jobs/continuous/Office365ActivityImporter/job_log.txt, editing line 1 when
// rotated is set (a log that was started anew).
func writeJobLog(t *testing.T, root string, n int, rotated bool) string {
	t.Helper()
	b, err := os.ReadFile(kuduLog)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if n >= 0 {
		lines = lines[:n]
	}
	if rotated {
		lines[0] = strings.Replace(lines[0], "INFO]", "INFO] restarted", 1)
	}
	p := filepath.Join(root, "data", "jobs", "continuous", "Office365ActivityImporter", "job_log.txt")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// lakeCount runs q over the committed rows of table in dir ({} stands for them).
func lakeCount(t *testing.T, s *store.Store, dir, table, q string) int64 {
	t.Helper()
	ctx := context.Background()
	src, done, err := s.LakeSource(ctx, dir, table)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	var n int64
	if err := s.DB().QueryRowContext(ctx, strings.ReplaceAll(q, "{}", src)).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// A job log that grew between two nights: the second export writes only the new lines, so
// the lake holds every line exactly once (counted by DuckDB's read_parquet over the committed
// files), and reads back as one ingest of the whole log. A log started anew is written whole.
func TestParquetAppendedLogExportsNewLinesOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	night1 := writeJobLog(t, t.TempDir(), 3000, false)
	night2 := writeJobLog(t, t.TempDir(), -1, false)
	st1, err := openIngested(t, night1).ExportParquet(ctx, dir, store.ExportOptions{Site: "contoso"})
	if err != nil {
		t.Fatal(err)
	}
	st2, err := openIngested(t, night2).ExportParquet(ctx, dir, store.ExportOptions{Site: "contoso"})
	if err != nil {
		t.Fatal(err)
	}
	if st1.Appended != 0 || st2.Appended != 1 || st2.NewFiles != 1 {
		t.Errorf("exports: %+v, then %+v", st1, st2)
	}
	whole := openIngested(t, night2)
	var lines, rows int64
	if err := whole.DB().QueryRowContext(ctx, "SELECT (SELECT lines FROM files WHERE kind = 'kudu-log'), (SELECT count(*) FROM traces)").Scan(&lines, &rows); err != nil {
		t.Fatal(err)
	}
	if lines != 4242 {
		t.Fatalf("the whole log has %d lines", lines)
	}
	// Every row once: as many rows as one ingest of the whole log, no line twice.
	if n := lakeCount(t, whole, dir, "traces", "SELECT count(*) FROM {}"); n != rows {
		t.Errorf("the lake holds %d traces rows, the whole log %d", n, rows)
	}
	if n := lakeCount(t, whole, dir, "traces", "SELECT count(*) FROM (SELECT line_no FROM {} GROUP BY ALL HAVING count(*) > 1)"); n != 0 {
		t.Errorf("%d lines are in the lake twice", n)
	}
	// And the same rows: (line_no, msg_hash) of the lake EXCEPT ALL the whole log's, both ways.
	if n := lakeCount(t, whole, dir, "traces", `SELECT (SELECT count(*) FROM (SELECT line_no, msg_hash FROM {} EXCEPT ALL SELECT line_no, msg_hash FROM traces))
		+ (SELECT count(*) FROM (SELECT line_no, msg_hash FROM traces EXCEPT ALL SELECT line_no, msg_hash FROM {}))`); n != 0 {
		t.Errorf("%d rows differ between the lake and the whole log", n)
	}
	if n := lakeCount(t, whole, dir, "files", "SELECT max(export_from_line) FROM {} WHERE export_id = '"+st2.ExportID+"'"); n != 3001 {
		t.Errorf("the second export starts the log at line %d, want 3001", n)
	}
	// Read back: the same as one ingest of the whole log.
	loaded := openIngested(t)
	if _, err := loaded.LoadParquet(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, loaded, "SELECT count(*) FROM traces"); n != rows {
		t.Errorf("loaded %d traces rows, want %d", n, rows)
	}
	// The two pieces are one file again: one files row, the whole log's, holding every row.
	if n := countRows(t, loaded, "SELECT count(*) FROM files WHERE kind = 'kudu-log' AND lines = 4242"); n != 1 {
		t.Errorf("loaded %d files rows for the log, want 1 of 4242 lines", n)
	}
	if n := countRows(t, loaded, "SELECT count(*) FROM traces WHERE file_id NOT IN (SELECT file_id FROM files)"); n != 0 {
		t.Errorf("%d loaded traces rows belong to no files row", n)
	}

	// A third night whose log was started anew (its first line differs) extends nothing: it
	// is written whole.
	night3 := writeJobLog(t, t.TempDir(), -1, true)
	st3, err := openIngested(t, night3).ExportParquet(ctx, dir, store.ExportOptions{Site: "contoso"})
	if err != nil {
		t.Fatal(err)
	}
	if st3.Appended != 0 || st3.Rows["traces"] != rows {
		t.Errorf("rotated log: %+v, want all %d rows", st3, rows)
	}
	// A fourth night that grew from the second night's log (no line past it, but the same
	// content plus lines) extends the chain of the first two pieces.
	b, _ := os.ReadFile(filepath.Join(night2, "data", "jobs", "continuous", "Office365ActivityImporter", "job_log.txt"))
	night4 := t.TempDir()
	writeJobLog(t, night4, -1, false)
	extra := "[11/20/2026 09:30:00 > 5b7e2d: INFO] 09-30-00:01: one more line\n[11/20/2026 09:30:01 > 5b7e2d: INFO] 09-30-01:01: and another\n"
	os.WriteFile(filepath.Join(night4, "data", "jobs", "continuous", "Office365ActivityImporter", "job_log.txt"), append(b, extra...), 0o644)
	st4, err := openIngested(t, night4).ExportParquet(ctx, dir, store.ExportOptions{Site: "contoso"})
	if err != nil {
		t.Fatal(err)
	}
	if st4.Appended != 1 || st4.Rows["traces"] != 2 {
		t.Errorf("fourth night: %+v, want the 2 new lines", st4)
	}
	// Another site's log of the same content extends nothing of contoso's.
	st5, err := openIngested(t, night2).ExportParquet(ctx, dir, store.ExportOptions{Site: "fabrikam"})
	if err != nil || st5.Appended != 0 || st5.Rows["traces"] != rows {
		t.Errorf("other site: %+v %v", st5, err)
	}
}

// Every table has a folder: a table with no rows is written as one file with its columns and
// no rows, so read_parquet('lake/table=<t>/**/*.parquet') works on every table; the file is
// committed like the others, and written once.
func TestParquetEmptyTablesHaveASchemaFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s := openIngested(t, "../../fixtures/sample/applogs/contoso-analytics/2026/11/19/00")
	st, err := s.ExportParquet(ctx, dir, store.ExportOptions{Site: "contoso"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows["job_status"] != 0 || len(st.EmptyTables) == 0 {
		t.Fatalf("the hour should leave job_status empty: %+v", st)
	}
	schema, err := s.LakeSchema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range store.LakeTables {
		glob := filepath.ToSlash(filepath.Join(dir, "table="+table)) + "/**/*.parquet"
		var rows, cols int64
		if err := s.DB().QueryRowContext(ctx, "SELECT count(*) FROM read_parquet(?)", glob).Scan(&rows); err != nil {
			t.Errorf("%s: %v", table, err)
			continue
		}
		if err := s.DB().QueryRowContext(ctx, "SELECT count(*) FROM (DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = false))", glob).Scan(&cols); err != nil {
			t.Fatal(err)
		}
		if rows != st.Rows[table] || int(cols) != len(schema[table]) {
			t.Errorf("%s: %d rows and %d columns read, want %d and %d", table, rows, cols, st.Rows[table], len(schema[table]))
		}
		if n := lakeCount(t, s, dir, table, "SELECT count(*) FROM {}"); n != st.Rows[table] {
			t.Errorf("%s: %d committed rows, want %d", table, n, st.Rows[table])
		}
	}
	// The next export has no status files either: the folder is there, no second empty file.
	st2, err := openIngested(t, "../../fixtures/sample/applogs/contoso-analytics/2026/11/19/01").ExportParquet(ctx, dir, store.ExportOptions{Site: "contoso"})
	if err != nil {
		t.Fatal(err)
	}
	if len(st2.EmptyTables) != 0 {
		t.Errorf("second export wrote empty files again: %v", st2.EmptyTables)
	}
}

// job_status rows are dated by the capture — the last log line of the bundle they came in —
// not by the day of the export; a status file alone, by its modification time.
func TestParquetJobStatusCaptureDate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range []struct {
		name, src string
		want      string
	}{
		{"bundle", "../../fixtures/sample-bundle.zip", "2026-11-20"},
		{"folder", "../../fixtures/sample/data", "2026-11-20"},
		{"status file alone", "", "2026-10-01"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := c.src
			if src == "" {
				src = t.TempDir()
				p := filepath.Join(src, "data", "jobs", "continuous", "Nightly", "status_0a1b2c")
				os.MkdirAll(filepath.Dir(p), 0o755)
				os.WriteFile(p, []byte(`{"Status":"Stopped"}`), 0o644)
				at := time.Date(2026, 10, 1, 23, 30, 0, 0, time.UTC)
				if err := os.Chtimes(p, at, at); err != nil {
					t.Fatal(err)
				}
			}
			dir := t.TempDir()
			s := openIngested(t, src)
			st, err := s.ExportParquet(ctx, dir, store.ExportOptions{Site: "contoso"})
			if err != nil {
				t.Fatal(err)
			}
			if st.Rows["job_status"] == 0 {
				t.Fatalf("no job_status rows: %+v", st)
			}
			ents, err := os.ReadDir(filepath.Join(dir, "table=job_status"))
			if err != nil {
				t.Fatal(err)
			}
			var dates []string
			for _, e := range ents {
				dates = append(dates, e.Name())
			}
			if strings.Join(dates, ",") != "date="+c.want {
				t.Errorf("job_status partitions %v, want date=%s", dates, c.want)
			}
			if n := lakeCount(t, s, dir, "job_status", "SELECT count(*) FROM {} WHERE date <> DATE '"+c.want+"'"); n != 0 {
				t.Errorf("%d job_status rows dated otherwise", n)
			}
		})
	}
}
