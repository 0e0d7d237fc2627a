package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kudulens/kudulens/bench/gen"
	"github.com/kudulens/kudulens/pipeline/store"
)

// Loads run with one DuckDB thread, on every connection (threads is global), and queries after
// Ingest get the configured count back.
func TestLoadThreads(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, "", store.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	threads := func() int {
		t.Helper()
		conn, err := s.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT current_setting('threads')").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := s.LoadThreads(ctx, true); err != nil {
		t.Fatal(err)
	}
	if n := threads(); n != 1 {
		t.Errorf("loading: threads = %d, want 1", n)
	}
	if _, err := Ingest(ctx, s, []string{"../parse/testdata/crash_job_log.txt"}, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	if n := threads(); n != 2 {
		t.Errorf("after Ingest: threads = %d, want 2", n)
	}
}

// A Kudu log outside its job folder gets the job its content names on every row that had
// none, and nothing else changes.
func TestInferredJob(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sum, err := Ingest(ctx, s, []string{"../parse/testdata/crash_job_log.txt"}, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	row := sum.Files[0].Row
	if row.Job == "" {
		t.Fatalf("no job inferred: %+v", row)
	}
	var n, nullJob, content, wrongOp int64
	err = s.DB().QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE job IS NULL),
		count(*) FILTER (WHERE job_source = 'content'), count(*) FILTER (WHERE operation_Name IS NULL)
		FROM traces WHERE file_id = ?`, row.ID).Scan(&n, &nullJob, &content, &wrongOp)
	if err != nil {
		t.Fatal(err)
	}
	if n != row.Traces || nullJob != 0 || content == 0 || wrongOp != 0 {
		t.Errorf("traces %d (files says %d), %d without job, %d by content, %d without operation", n, row.Traces, nullJob, content, wrongOp)
	}
	var lines int64
	if err := s.DB().QueryRowContext(ctx, "SELECT count(DISTINCT line_no) FROM traces WHERE file_id = ?", row.ID).Scan(&lines); err != nil || lines != n {
		t.Errorf("%d distinct lines for %d rows (%v)", lines, n, err)
	}
}

// Guessing the job of a Kudu log outside its folder from its first lines gives the same rows
// as setting it at commit, also when the guess turns out wrong.
func TestGuessedJobSameRows(t *testing.T) {
	cfg := gen.BenchConfig(3, time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC), 2)
	var one, mixed bytes.Buffer
	if _, err := gen.Generate(&one, gen.GenerateOptions{Config: cfg, Kind: gen.KindKudu, Size: 6 << 20}); err != nil {
		t.Fatal(err)
	}
	// The first lines name one job, the rest another: the guess is wrong.
	gen.Generate(&mixed, gen.GenerateOptions{Config: cfg, Kind: gen.KindKudu, Size: 1 << 20, Job: "AppInsightsImporter"})
	gen.Generate(&mixed, gen.GenerateOptions{Config: cfg, Kind: gen.KindKudu, Size: 6 << 20, Job: "Office365ActivityImporter"})
	dir := t.TempDir()
	for name, data := range map[string][]byte{"one.log": one.Bytes(), "mixed.log": mixed.Bytes()} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		digest := func(after int64) (string, string) {
			t.Helper()
			defer func(v int64) { guessJobAfter = v }(guessJobAfter)
			guessJobAfter = after
			ctx := context.Background()
			s, err := store.Open(ctx, "", store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			sum, err := Ingest(ctx, s, []string{path}, Options{NoMerge: true}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var d string
			for _, q := range []string{
				"SELECT count(*)::VARCHAR || ' ' || bit_xor(hash(timestamp, operation_Name, job, job_source, instance, level, message, line_no, template))::VARCHAR FROM traces",
				"SELECT count(*)::VARCHAR || ' ' || coalesce(bit_xor(hash(job, operation_Name, line_no))::VARCHAR, '') FROM exceptions",
				"SELECT count(*)::VARCHAR || ' ' || coalesce(bit_xor(hash(job, operation_Name, line_no))::VARCHAR, '') FROM customEvents",
				"SELECT string_agg(DISTINCT coalesce(job_source, 'null'), ',' ORDER BY coalesce(job_source, 'null')) FROM traces",
			} {
				var v string
				if err := s.DB().QueryRowContext(ctx, q).Scan(&v); err != nil {
					t.Fatal(err)
				}
				d += v + "; "
			}
			return d, sum.Files[0].Row.Job
		}
		want, job := digest(1 << 62)
		got, _ := digest(1000)
		if got != want {
			t.Errorf("%s (job %q): guessed early %s, set at commit %s", name, job, got, want)
		}
		t.Logf("%s: job %q, %s", name, job, want)
	}
}
