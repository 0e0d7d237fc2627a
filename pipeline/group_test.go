package pipeline

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kudulens/kudulens/internal/testinput"
	"github.com/kudulens/kudulens/pipeline/store"
)

// dumpAllTables renders every table of s without what differs between runs (file ids, times of
// ingestion), sorted, for comparing two databases.
func dumpAllTables(t *testing.T, s *store.Store) string {
	t.Helper()
	return dumpAllTablesFrom(t, s, "traces")
}

// dumpAllTablesFrom is dumpAllTables reading the traces rows from the relation traces.
func dumpAllTablesFrom(t *testing.T, s *store.Store, traces string) string {
	t.Helper()
	var out strings.Builder
	for _, q := range []string{
		`SELECT * EXCLUDE (file_id, run_id, ingested_at) FROM files`,
		`SELECT * EXCLUDE (file_id) FROM ` + traces,
		`SELECT * EXCLUDE (file_id) FROM exceptions`,
		`SELECT * EXCLUDE (file_id) FROM customEvents`,
		`SELECT * EXCLUDE (file_id) FROM rejects`,
		`SELECT * EXCLUDE (file_id) FROM job_status`,
	} {
		rows, err := s.DB().Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprint(vals...))
		}
		rows.Close()
		sort.Strings(lines)
		fmt.Fprintf(&out, "%s: %d rows\n%s\n", q, len(lines), strings.Join(lines, "\n"))
	}
	return out.String()
}

// Small files loaded in groups give exactly the tables that one transaction per file gives.
func TestGroupedSmallFilesSameTables(t *testing.T) {
	dir := t.TempDir()
	// A Kudu log outside its folder (its job is inferred from the content), a status file,
	// files of no known kind, an empty job log, and a damaged small file.
	crash, err := os.ReadFile("../parse/testdata/crash_job_log.txt")
	if err != nil {
		t.Fatal(err)
	}
	testinput.WriteFile(t, dir, "loose/job_log_copy.txt", crash)
	testinput.WriteFile(t, dir, "data/jobs/continuous/AppInsightsImporter/status_5e1c2a", []byte(`{"Status":"Running"}`))
	testinput.WriteFile(t, dir, "data/jobs/continuous/AppInsightsImporter/job_log.txt", nil)
	testinput.WriteFile(t, dir, "notes.txt", []byte("nothing to see\n"))
	testinput.WriteFile(t, dir, "bad.txt.gz", testinput.Gzip(t, crash)[:300])
	sources := []string{"../fixtures/sample", dir}
	var dumps [2]string
	for i, noGroup := range []bool{true, false} {
		ctx := context.Background()
		s, err := store.Open(ctx, "", store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := Ingest(ctx, s, sources, Options{noGroup: noGroup}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(sum.Files) < 45 {
			t.Fatalf("%d files", len(sum.Files))
		}
		dumps[i] = dumpAllTables(t, s)
		var n int
		if err := s.DB().QueryRow(`SELECT count(*) FROM traces WHERE source_file LIKE '%loose%'
			AND job = 'Office365ActivityImporter' AND job_source = 'content'`).Scan(&n); err != nil || n == 0 {
			t.Errorf("noGroup=%v: the loose Kudu log's job was not inferred (%d rows, %v)", noGroup, n, err)
		}
		s.Close()
	}
	sameDumps(t, "grouped small files give other tables", "one per transaction", "grouped", dumps[0], dumps[1])
}

// sameDumps fails the test with the first line where two dumps (dumpAllTables) differ.
func sameDumps(t *testing.T, what, nameA, nameB, a, b string) {
	t.Helper()
	if a == b {
		return
	}
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			t.Fatalf("%s; first difference:\n %s: %.400s\n %s: %.400s", what, nameA, la[i], nameB, lb[i])
		}
	}
	t.Fatalf("%s (%d vs %d lines)", what, len(la), len(lb))
}

// An ingest cancelled while groups are open leaves no file in part, and a second ingest with
// the same Store (whose claims the first made) reads the rest.
func TestIngestCanceledThenAgain(t *testing.T) {
	dir := t.TempDir()
	const n = 3000
	for i := 0; i < n; i++ {
		testinput.WriteFile(t, dir, fmt.Sprintf("%d/job_log_%d.txt", i/100, i),
			[]byte(fmt.Sprintf("[11/19/2026 21:40:07 > 5e1c2a: INFO] one %d\r\n[11/19/2026 21:40:08 > 5e1c2a: INFO] two %d\r\n", i, i)))
	}
	s, err := store.Open(context.Background(), "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var prog Progress
	go func() {
		for prog.Bytes.Load() < 50<<10 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if _, err := Ingest(ctx, s, []string{dir}, Options{}, &prog); err == nil {
		t.Fatal("the cancelled ingest did not fail")
	}
	var files, traces int
	s.DB().QueryRow("SELECT (SELECT count(*) FROM files), (SELECT count(*) FROM traces)").Scan(&files, &traces)
	if files >= n || traces != 2*files {
		t.Fatalf("after the cancel: %d files, %d traces", files, traces)
	}
	sum, err := Ingest(context.Background(), s, []string{dir}, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dups := 0
	for _, f := range sum.Files {
		if f.Duplicate != "" {
			dups++
		}
	}
	s.DB().QueryRow("SELECT (SELECT count(*) FROM files), (SELECT count(*) FROM traces)").Scan(&files, &traces)
	if files != n || traces != 2*n || dups >= n {
		t.Fatalf("after the second ingest: %d files, %d traces (%d seen before)", files, traces, dups)
	}
	t.Logf("%d files were in after the cancel", dups)
}
