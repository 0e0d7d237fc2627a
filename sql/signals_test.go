package sql_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kudulens/kudulens/parse"
	"github.com/kudulens/kudulens/pipeline"
	"github.com/kudulens/kudulens/pipeline/store"
	"github.com/kudulens/kudulens/report"
	klsql "github.com/kudulens/kudulens/sql"
)

// signalLines are console messages that carry (or narrowly miss) each signal, in the cases
// where matching in Go and in DuckDB could part: case, the two characters whose lower case is
// ASCII (U+0130 İ → i, U+212A Kelvin sign → k), literals split over continuation lines,
// near misses.
var signalLines = []string{
	"Finished activity import. Time taken in = 1.72 minutes.",
	"FINISHED ACTIVITY IMPORT",
	"finished  activity import", // two spaces: no signal
	"Couldn't create webhook: Subscription validation request failed.",
	"User alice_contoso.com#EXT#@contoso.onmicrosoft.com not found",
	"External User bob does not exist",
	"external user carol: Request_ResourceNotFound",
	"#ext# present but nothing missing",
	"Code: Authorization_RequestDenied Message: Insufficient privileges to complete the operation.",
	"Error: INSUFFICIENT PRIVILEGES TO COMPLETE THE OPERATION",
	"A certificate with (name/id) kudulens was not found in this key vault.",
	"A certificate with (name/id) kudulens was not found in this \u212aey vault.", // Kelvin sign: lower() gives 'k'
	"System.OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was thrown.",
	"Got SQL error: There is insufficient system memory in resource pool 'default' to run this query.",
	"There is \u0130nsufficient memory available in the buffer pool.", // İ: lower() gives 'i'
	"Reason: Connection was denied since Deny Public Network Access is set to Yes.",
	"No auth code found for Yammer",
	"no AUTH code found for yammer",
	"Error requesting Yammer export: 401",
	"The model backing the 'AnalyticsEntitiesContext' context has changed since the database was created.",
	"the model backing the 'AnalyticsEntitiesContext' context has changed", // case-sensitive: no signal
	"FATAL ERROR: No org URLs found in database! Stopping.",
	"fatal error: No org URLs found in database!", // case-sensitive: no signal
	"Waiting 10 mins...",
	"Waiting 2 mins...",
	"Waiting mins...",       // no digits: no signal
	"Waiting 10 mins... ",   // trailing space: no signal
	"Waiting 1O mins...",    // letter O: no signal
	"Im Waiting 10 mins...", // not at the start: no signal
	"Starting Teams & Graph import.",
	"Ünïcödé ist kein Signal, aber ein Fehler: not found",
}

// writeSignalLog writes signalLines as a Kudu job log of the Office365ActivityImporter, with
// one multi-line record whose literal spans its lines.
func writeSignalLog(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "data", "jobs", "continuous", "Office365ActivityImporter", "job_log.txt")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for i, m := range signalLines {
		b.WriteString("[11/19/2026 08:" + twoDigits(i/60) + ":" + twoDigits(i%60) + " > 5b7e2d: INFO] " + m + "\r\n")
	}
	b.WriteString("[11/19/2026 09:00:00 > 5b7e2d: ERR ] Unhandled exception while importing: External\r\n")
	b.WriteString("user dave not found\r\n") // joined with '\n': "External\nuser": no signal
	b.WriteString("[11/19/2026 09:00:01 > 5b7e2d: ERR ] Request failed\r\n")
	b.WriteString("   external user erin was not found\r\n") // the record's second line carries it
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func twoDigits(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }

// TestSignalsAsSQL: the signals the parser tags every row with are the ones the SQL
// definitions (what an old database is backfilled with) compute from the stored message, on
// the crafted lines and the sample bundle; and every signal occurs.
func TestSignalsAsSQL(t *testing.T) {
	ctx := context.Background()
	database, err := store.Open(ctx, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close()
	src := writeSignalLog(t, t.TempDir())
	if _, err := pipeline.Ingest(ctx, database, []string{src, sampleSource}, pipeline.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	db := database.DB()
	rows, err := db.QueryContext(ctx, "SELECT message, signals, "+klsql.SignalsExpr()+" FROM traces")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var seen parse.Signal
	n := 0
	for rows.Next() {
		var msg string
		var got, want uint32
		if err := rows.Scan(&msg, &got, &want); err != nil {
			t.Fatal(err)
		}
		n++
		if got != want {
			t.Errorf("message %q: parser signals %b, SQL %b", msg, got, want)
		}
		if g := parse.MessageSignals(msg); uint32(g) != want {
			t.Errorf("message %q: MessageSignals %b, SQL %b", msg, g, want)
		}
		seen |= parse.Signal(got)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n < len(signalLines)+100 {
		t.Fatalf("only %d rows", n)
	}
	for i, name := range parse.SignalNames() {
		if seen&(1<<i) == 0 {
			t.Errorf("no row carries signal %s", name)
		}
	}
}

// TestOldDatabaseMigrated: a database written before traces.signals existed (the column
// dropped from a new one) gets the column and its values when opened, and gives the
// diagnosis a new database gives.
func TestOldDatabaseMigrated(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := writeSignalLog(t, filepath.Join(dir, "logs"))
	diagnose := func(database *store.Store) []byte {
		checks, err := klsql.BuiltinChecks()
		if err != nil {
			t.Fatal(err)
		}
		rep, err := klsql.Run(ctx, database.DB(), checks, klsql.Options{KQL: translateKQL})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := report.JSON(&buf, rep); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	ingest := func(path string) *store.Store {
		database, err := store.Open(ctx, path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pipeline.Ingest(ctx, database, []string{src, sampleSource}, pipeline.Options{}, nil); err != nil {
			t.Fatal(err)
		}
		return database
	}
	fresh := ingest(filepath.Join(dir, "new.duckdb"))
	want := diagnose(fresh)
	fresh.Close()

	oldPath := filepath.Join(dir, "old.duckdb")
	old := ingest(oldPath)
	if _, err := old.DB().ExecContext(ctx, "ALTER TABLE traces DROP COLUMN signals"); err != nil {
		t.Fatal(err)
	}
	old.Close()

	reopened, err := store.Open(ctx, oldPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	var untagged, tagged int64
	if err := reopened.DB().QueryRowContext(ctx,
		"SELECT count(*) FILTER (WHERE signals IS NULL), count(*) FILTER (WHERE signals <> 0) FROM traces").Scan(&untagged, &tagged); err != nil {
		t.Fatal(err)
	}
	if untagged != 0 || tagged == 0 {
		t.Fatalf("after migration: %d rows without signals, %d with a signal", untagged, tagged)
	}
	got := diagnose(reopened)
	if !bytes.Equal(got, want) {
		t.Errorf("the migrated database diagnoses differently:\n%s", firstDiff(string(got), string(want)))
	}
	// the checks that read signals found the crafted lines
	var rep struct {
		Checks []struct{ ID, Status string }
	}
	if err := json.Unmarshal(got, &rep); err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, c := range rep.Checks {
		status[c.ID] = c.Status
	}
	for _, id := range []string{"external-user-not-found", "org-urls-missing", "sql-public-access-denied", "out-of-memory",
		"keyvault-certificate-missing", "call-webhook-create-failed", "graph-permissions"} {
		if status[id] != "fail" {
			t.Errorf("%s: %q, want fail on the crafted lines", id, status[id])
		}
	}
}

// TestSignalMacro: kl_signal (sql/schema.sql) gives each name the bit the parser sets.
func TestSignalMacro(t *testing.T) {
	ctx := context.Background()
	database, err := store.Open(ctx, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close()
	for i, name := range parse.SignalNames() {
		var own, others bool
		if err := database.DB().QueryRowContext(ctx, "SELECT kl_signal(?::UINTEGER, ?), kl_signal(?::UINTEGER, ?)",
			uint32(1)<<i, name, ^(uint32(1)<<i), name).Scan(&own, &others); err != nil {
			t.Fatal(err)
		}
		if !own || others {
			t.Errorf("kl_signal(bit %d, %q) = %v, with every other bit %v", i, name, own, others)
		}
	}
	if _, err := database.DB().ExecContext(ctx, "SELECT kl_signal(1::UINTEGER, 'no-such-signal')"); err == nil {
		t.Error("kl_signal accepts an unknown name")
	}
}

// The progress lines a lean load keeps without their text (sql.LeanTemplates) are lines of
// known templates that no check names, and none of those the report reads by template itself
// (coverage, health, configuration blocks).
func TestLeanTemplatesAreReadByNoCheck(t *testing.T) {
	checkTemplates, err := klsql.CheckTemplates()
	if err != nil {
		t.Fatal(err)
	}
	read := append(checkTemplates, "configured-values", "engine-start", "pausing-seconds", "kudu-status",
		"kudu-process-down", "kudu-exit-code", "kudu-output-capped", "appinsights-request")
	lean := klsql.LeanTemplates()
	if len(lean) < 6 {
		t.Fatalf("lean templates %v", lean)
	}
	for _, id := range lean {
		if parse.TemplateNumber(id) <= 0 {
			t.Errorf("%s is no template", id)
		}
		if slices.Contains(read, id) || strings.HasPrefix(id, "sql-test") {
			t.Errorf("%s is read by a check or the report, and is a lean template", id)
		}
	}
}
