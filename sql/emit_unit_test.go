package sql_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kudulens/kudulens/parse"
	"github.com/kudulens/kudulens/pipeline/store"
	klsql "github.com/kudulens/kudulens/sql"
)

// A check the emitter cannot write for an engine is named as not emitted, with why, in the
// result and in the script; the others are emitted all the same.
func TestEmitNamesWhatItLeavesOut(t *testing.T) {
	parseCheck := func(file, text string) *klsql.Check {
		c, err := klsql.ParseCheck(file, text)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	checks := []*klsql.Check{
		parseCheck("ok.sql", "-- id: ok\n-- title: t\n-- severity: error\n-- rule: any\n-- jobs: AppInsightsImporter\nSELECT timestamp FROM traces WHERE template = 'x'"),
		parseCheck("table-fn.sql", "-- id: table-fn\n-- title: t\n-- severity: error\n-- rule: any\nSELECT * FROM read_csv('/etc/passwd')"),
		parseCheck("recursive.sql", "-- id: recursive\n-- title: t\n-- severity: error\n-- rule: any\nWITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT now() AS timestamp FROM r"),
		parseCheck("no-jobs.sql", "-- id: no-jobs\n-- title: t\n-- severity: error\n-- rule: at-least-one-per 1h\nSELECT timestamp FROM traces"),
		parseCheck("no-time.sql", "-- id: no-time\n-- title: t\n-- severity: error\n-- rule: any\nSELECT message FROM traces"),
	}
	schema := map[string][]string{}
	for _, tb := range []string{"traces", "exceptions", "customEvents", "rejects", "job_status", "files"} {
		schema[tb] = []string{"export_site VARCHAR"}
	}
	for _, d := range []klsql.Dialect{klsql.DialectDuckDB, klsql.DialectSparkSQL} {
		em, err := klsql.EmitChecks(checks, klsql.EmitOptions{Dialect: d, Lake: "lake", Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		if len(em.Emitted) != 1 || em.Emitted[0] != "ok" || len(em.NotEmitted) != 4 {
			t.Errorf("%s: emitted %v, not emitted %v", d, em.Emitted, em.NotEmitted)
		}
		for id, why := range em.NotEmitted {
			if why == "" || !strings.Contains(em.SQL, "--   "+id+": "+why) {
				t.Errorf("%s: %s: the script does not say why it is left out (%q)", d, id, why)
			}
		}
		var code []string
		for _, l := range strings.Split(em.SQL, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "--") {
				code = append(code, l)
			}
		}
		if s := strings.Join(code, "\n"); strings.Contains(s, "read_csv") || strings.Contains(s, "RECURSIVE") || strings.Contains(s, "no_time") {
			t.Errorf("%s: a check left out is in the script", d)
		}
	}
	em, err := klsql.EmitKQL(checks, klsql.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(em.Emitted) != 1 || len(em.NotEmitted) != 4 || !strings.Contains(em.SQL, "//   table-fn: not emitted as KQL: ") {
		t.Errorf("KQL: emitted %v, not emitted %v", em.Emitted, em.NotEmitted)
	}
	if _, err := klsql.EmitChecks(checks, klsql.EmitOptions{Dialect: "oracle"}); err == nil {
		t.Error("an unknown dialect is accepted")
	}
	// paths are literals of each engine: DuckDB would glob a path with [ in it, Spark reads
	// backslash escapes
	files := map[string][]string{"traces": {"/lake[1]/table=traces/a.parquet"}, "files": {"/lake/f.parquet"}}
	if _, err := klsql.EmitChecks(checks, klsql.EmitOptions{Dialect: klsql.DialectDuckDB, Files: files, Schema: schema}); err == nil || !strings.Contains(err.Error(), "glob") {
		t.Errorf("a lake path with a glob character: %v", err)
	}
	em, err = klsql.EmitChecks(checks, klsql.EmitOptions{Dialect: klsql.DialectSparkSQL, Lake: `C:\lake's`, Schema: schema})
	if err != nil || !strings.Contains(em.SQL, `(path 'C:\\lake\'s/table=traces'`) {
		t.Errorf("Spark path literal: %v\n%s", err, em.SQL[:min(len(em.SQL), 600)])
	}
}

// The emitted SQL maps a job folder name to its operation as parse.OperationName does.
func TestEmittedOperationNames(t *testing.T) {
	ctx := context.Background()
	database, err := store.Open(ctx, "", store.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close()
	names := []string{"AppInsightsImporter", "appinsightsimporter-dev", "Office365ActivityImport", "Office365ActivityImporter",
		"ActivityImporter2", "CallRecordWebhookController", "callrecordwebhook", "SomethingElse", "", "unnamed job (x/job_log.txt)"}
	for _, n := range names {
		var got string
		if err := database.DB().QueryRowContext(ctx, "SELECT "+klsql.OperationNameSQL("?")+"", n, n, n, n, n).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := parse.OperationName(n); got != want {
			t.Errorf("%q: SQL says %q, parse.OperationName %q", n, got, want)
		}
	}
}

// The built-in checks KQL gets: every any and more-than check of one table (TestEmittedChecks*
// test the DuckDB and Spark SQL scripts, which hold every check). A rewrite of a check for
// speed once dropped config-errors from the KQL script ("(template IN (...)) IS TRUE" was a
// predicate the KQL emitter did not know), with no test failing.
func TestEmittedKQLChecks(t *testing.T) {
	checks, err := klsql.BuiltinChecks()
	if err != nil {
		t.Fatal(err)
	}
	em, err := klsql.EmitKQL(checks, klsql.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"aad-client-secret-invalid", "appinsights-logging-disabled", "call-webhook-create-failed", "config-errors",
		"external-user-not-found", "graph-permissions", "graph-throttling", "keyvault-certificate-missing", "org-urls-missing",
		"sql-database-read-only", "sql-exceptions", "sql-public-access-denied", "yammer-auth-code-missing", "yammer-export-error"}
	if got := strings.Join(em.Emitted, " "); got != strings.Join(want, " ") {
		t.Errorf("KQL emits %s\nwant        %s\nnot emitted: %v", got, strings.Join(want, " "), em.NotEmitted)
	}
}
