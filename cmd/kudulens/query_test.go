package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kudulens/kudulens/pipeline/store"
)

// testDB writes a database file with a few traces rows.
func testDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "k.duckdb")
	s, err := store.Open(context.Background(), path, store.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.DB().Exec(`INSERT INTO traces (timestamp, operation_Name, level, message, line_no) VALUES
		('2026-11-19 20:00:00', 'Office365ActivityImporter', 'INFO', 'Waiting 10 mins...', 1),
		('2026-11-19 21:50:00', 'Office365ActivityImporter', 'INFO', 'New message received from ServiceBus with ID ''1''.', 2),
		('2026-11-19 22:30:00', 'AppInsightsImporter', 'ERR', 'Got SQL error: Failed to update database "AnalyticsDB" because the database is read-only.', 3)`)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

func TestQueryKQL(t *testing.T) {
	db := testDB(t)
	f := func(wantCode int, wantOut, wantErr string, args ...string) {
		t.Helper()
		code, out, errs := runCmd(append([]string{"query", "--db", db}, args...)...)
		if code != wantCode || !strings.Contains(out, wantOut) || !strings.Contains(errs, wantErr) {
			t.Errorf("%q: exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit %d, stdout with %q, stderr with %q", args, code, out, errs, wantCode, wantOut, wantErr)
		}
	}
	f(0, "2\n(1 rows)", "", "--kql", "traces\n| where message contains \"ServiceBus\"\n| project line_no")
	// ago() is anchored at the capture time (22:30), not the wall clock.
	f(0, "line_no\n-------\n2\n3\n(2 rows)", "note: ago() and now() are evaluated at 2026-11-19T22:30:00Z", "--kql", "traces | where timestamp > ago(1h) | project line_no | sort by line_no asc")
	f(0, "line_no\n-------\n3\n(1 rows)", "", "--at", "2026-11-19 23:00", "--kql", "traces | where timestamp > ago(1h) | project line_no")
	// Timespans print as KQL prints them.
	f(0, "02:30:00", "", "--kql", "traces | summarize d = max(timestamp) - min(timestamp)")
	f(0, `"d": "02:30:00"`, "", "--format", "json", "--kql", "traces | summarize d = max(timestamp) - min(timestamp)")
	f(0, "level,count_\nINFO,2\nERR,1\n", "note: render timechart ignored", "--kql", "traces | summarize count() by level | render timechart", "--format", "csv")
	// --explain prints the SQL without running it.
	f(0, "WHERE \"timestamp\" > TIMESTAMP '2026-11-19 21:30:00'", "", "--explain", "--kql", "traces | where timestamp > ago(1h)")
	f(0, "-- ago() and now() are evaluated at 2026-11-19T22:30:00Z", "", "--explain", "--kql", "traces | where timestamp > ago(1h)")
	f(0, "select 1", "", "--explain", "--sql", "select 1")
	// Errors.
	f(2, "", "kql: 1:10: operator 'mv-expand' is not supported by kudulens", "--kql", "traces | mv-expand x")
	f(2, "", "give exactly one of --sql, --kql and --kql-file", "--kql", "traces", "--sql", "select 1")
	f(2, "", "give exactly one of --sql, --kql and --kql-file")
	f(2, "", "--at is the evaluation time of KQL", "--sql", "select 1", "--at", "2026-11-19")
	f(2, "", "--at: cannot read \"yesterday\"", "--kql", "traces", "--at", "yesterday")
	// The --sql path still works.
	f(0, "3\n(1 rows)", "", "--sql", "select count(*) from traces")
}

func TestQueryKQLFile(t *testing.T) {
	db := testDB(t)
	file := filepath.Join(t.TempDir(), "q.kql")
	q := "// read-only database alerts\ntraces\n| where message has \"read-only\"\n| project line_no\n"
	if err := writeFile(file, q); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd("query", "--db", db, "--kql-file", file, "--format", "csv")
	if code != 0 || out != "line_no\n3\n" {
		t.Errorf("exit %d\n%s%s", code, out, errs)
	}
	// Without a database, --explain still translates (ago() then needs --at).
	code, out, _ = runCmd("query", "--db", filepath.Join(t.TempDir(), "none.duckdb"), "--kql-file", file, "--explain")
	if code != 0 || !strings.Contains(out, `regexp_matches("message", '(?i)(^|[^0-9A-Za-z])read-only($|[^0-9A-Za-z])')`) {
		t.Errorf("exit %d\n%s", code, out)
	}
	code, _, errs = runCmd("query", "--db", filepath.Join(t.TempDir(), "none.duckdb"), "--kql", "traces | where timestamp > ago(1d)", "--explain")
	if code != 2 || !strings.Contains(errs, "ago() needs the evaluation time") {
		t.Errorf("exit %d\n%s", code, errs)
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }
