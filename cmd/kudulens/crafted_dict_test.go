package main

import (
	"fmt"
	"github.com/kudulens/kudulens/internal/testinput"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kudulens/kudulens/bench/gen"
)

// Issue 18 item 0b: more distinct instance names in one chunk than an int16 dictionary index
// holds. A 78 KB .log.gz used to crash DuckDB (negative indices, SIGSEGV inside cgo: the whole
// test binary would die here) and, with ERR lines, the parser panicked and rejected a chunk of
// good lines. Every line must now be a row with its own instance.
func TestManyDistinctInstancesInOneChunk(t *testing.T) {
	t.Parallel()
	const n = 70000 // > 2 x 32768: wraps an int16 index to negative and back
	var kudu, csv strings.Builder
	csv.WriteString("date,level,applicationName,instanceId,eventTickCount,eventId,pid,tid,message,activityId\n")
	for i := range n {
		ts := buildTime.Add(time.Duration(i) * time.Millisecond)
		level, appLevel := "INFO", "Information"
		if i%2 == 1 {
			level, appLevel = "ERR", "Error"
		}
		fmt.Fprintf(&kudu, "[%s > %06x: %s] Imported %d hits\r\n", ts.Format("01/02/2006 15:04:05"), i, level, i)
		fmt.Fprintf(&csv, "%s,%s,contoso,%06x,%d,0,4312,1,Queued %d rows,\n",
			ts.Format("2006-01-02T15:04:05"), appLevel, i, gen.Ticks(ts), i)
	}
	dir := t.TempDir()
	logGz := writeInput(t, dir, "crafted.log.gz", testinput.Gzip(t, []byte(kudu.String())))
	csvGz := writeInput(t, dir, "crafted.applicationLog.csv.gz", testinput.Gzip(t, []byte(csv.String())))
	db := filepath.Join(dir, "k.duckdb")
	if code, out, errs := runCLI(t, "ingest", "--quiet", "--db", db, logGz, csvGz); code != 0 {
		t.Fatalf("ingest: exit %d\n%s%s", code, out, errs)
	}
	q := func(sql string) string {
		t.Helper()
		code, out, errs := runCLI(t, "query", "--db", db, "--format", "csv", "--sql", sql)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", sql, code, errs)
		}
		return strings.TrimSpace(out)
	}
	want := fmt.Sprintf("rows,instances,neg\n%d,%d,0", 2*n, n)
	if got := q(`select count(*) as rows, count(distinct instance) as instances,
		count(*) filter (where instance like '-%' or instance is null) as neg from traces`); got != want {
		t.Errorf("traces:\n%s\nwant\n%s", got, want)
	}
	if got := q(`select count(*) filter (where lines <> parsed + rejected) as unaccounted,
		sum(rejected) as rejected from files`); got != "unaccounted,rejected\n0,0" {
		t.Errorf("files: %s", got)
	}
	// diagnose reads the same input in memory: it must finish with a verdict, not a crash.
	if code, _, errs := runCLI(t, "diagnose", "--quiet", "--format", "json", "--fail-on", "never", logGz, csvGz); code != 0 {
		t.Fatalf("diagnose: exit %d: %s", code, errs)
	}
}
