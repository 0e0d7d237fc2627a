package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/kudulens/kudulens/internal/testinput"
	klsql "github.com/kudulens/kudulens/sql"
)

// Loading a file's batches on two lanes (two connections, two transactions) gives exactly the
// tables one lane gives: every row once, the job inferred from the content given to the rows
// of both lanes, the line a read error cut rejected.
func TestLoadLanesSameTables(t *testing.T) {
	defer func(n int64) { guessJobAfter = n }(guessJobAfter)
	guessJobAfter = 40 // the guess comes while both lanes load
	dir := t.TempDir()
	crash, err := os.ReadFile("../parse/testdata/crash_job_log.txt")
	if err != nil {
		t.Fatal(err)
	}
	// A Kudu log outside its job folder, of many chunks; and a damaged .gz of it (the lines of
	// both are merged: each is kept once, in either file).
	loose := bytes.Repeat(crash, 40)
	testinput.WriteFile(t, dir, "loose/job_log_copy.txt", loose)
	gz := testinput.Gzip(t, bytes.Repeat(crash, 41)) // other content than loose's
	testinput.WriteFile(t, dir, "bad.txt.gz", gz[:len(gz)/2])
	sources := []string{dir}
	var dumps [2]string
	for i, lanes := range []int{1, 2} {
		// 4 KiB chunks: the loose log is ~40 batches, which both lanes take. One file at a
		// time: which of two files keeps the lines they share (merge) depends on their order.
		s, _ := ingestWith(t, sources, Options{LoadLanes: lanes, FileWorkers: 1, ChunkSize: 4 << 10, noGroup: true})
		dumps[i] = dumpAllTables(t, s)
		var n, unnamed int
		if err := s.DB().QueryRow(`SELECT count(*) FILTER (WHERE job = 'Office365ActivityImporter' AND job_source = 'content'),
			count(*) FILTER (WHERE job IS NULL) FROM traces WHERE source_file LIKE '%loose%' OR source_file LIKE '%bad.txt%'`).Scan(&n, &unnamed); err != nil || n == 0 || unnamed > 0 {
			t.Errorf("lanes=%d: the loose log's job: %d rows inferred, %d without a job (%v)", lanes, n, unnamed, err)
		}
		var marks int
		if err := s.DB().QueryRow(`SELECT count(*) FROM meta WHERE key LIKE 'loading%'`).Scan(&marks); err != nil || marks != 0 {
			t.Errorf("lanes=%d: %d loading marks left (%v)", lanes, marks, err)
		}
		s.Close()
	}
	if !strings.Contains(dumps[0], "rejects: ") || strings.Contains(dumps[0], "FROM rejects: 0 rows") {
		t.Fatalf("the damaged file gave no reject: the test does not exercise the cut line")
	}
	sameDumps(t, "two lanes give other tables", "one lane", "two lanes", dumps[0], dumps[1])
}

// Lines of the same second are evidence in file order, however the load went: with two lanes
// the rows of one file lie in the table in another order than their lines, and the evidence of
// a check once changed from run to run (lines 51845... or 102692... where one lane gave 1...).
func TestLoadLanesSameReport(t *testing.T) {
	dir := t.TempDir()
	var log strings.Builder
	for i := range 3000 {
		if i%97 == 0 {
			fmt.Fprintf(&log, "[11/03/2020 08:40:10 > 494acb: ERR ] Connection was denied since Deny Public Network Access is set to Yes. n=%d\n", i)
		} else {
			fmt.Fprintf(&log, "[11/03/2020 08:40:10 > 494acb: INFO] Got %d audit events\n", i)
		}
	}
	testinput.WriteFile(t, dir, "data/jobs/continuous/AppInsightsImporter/job_log.txt", []byte(log.String()))
	// Both jobs restart more than twice in an hour (job-restarts judges each job on its own):
	// the report names the two in one order, whichever file loaded first.
	for j, job := range []string{"AppInsightsImporter", "Office365ActivityImporter"} {
		var restarts strings.Builder
		for i := range 4 {
			fmt.Fprintf(&restarts, "[11/03/2020 08:4%d:0%d > 494acb: SYS INFO] Process went down, waiting for 60 seconds\n", i, j)
		}
		testinput.WriteFile(t, dir, "data/jobs/continuous/"+job+"/job_prev_log.txt", []byte(restarts.String()))
	}
	var reports [2]string
	for i, lanes := range []int{1, 2} {
		// 2 KiB chunks: ~60 batches, loaded in whatever order the two lanes take them
		s, _ := ingestWith(t, []string{dir}, Options{LoadLanes: lanes, ChunkSize: 2 << 10})
		rep := runChecks(t, s)
		s.Close()
		for _, c := range rep.Checks {
			switch c.ID {
			case "sql-public-access-denied":
				if len(c.Evidence) == 0 || c.Evidence[0].Line != 1 {
					t.Errorf("lanes=%d: evidence %+v, want line 1 first", lanes, c.Evidence)
				}
			case "job-restarts":
				if !strings.HasPrefix(c.Detail, "AppInsightsImporter: ") || !strings.Contains(c.Detail, "; Office365ActivityImporter: ") {
					t.Errorf("lanes=%d: job-restarts %s: %s, want both jobs by name", lanes, c.Status, c.Detail)
				}
			}
		}
		out, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		reports[i] = string(out)
	}
	if reports[0] != reports[1] {
		t.Errorf("one lane and two give other reports:\n%.600s\n%.600s", reports[0], reports[1])
	}
}

// The rows the built-in checks read (a signal, or a template a check names) are loaded
// together, apart from the file's other rows: a check then fetches them from a few stretches of
// the table (bench: diagnose --db 0.48 -> 0.40 s on the 200 MB log). Every line stays, once.
func TestCheckRowsLoadTogether(t *testing.T) {
	dir := t.TempDir()
	var log strings.Builder
	lines := 6000
	for i := range lines {
		switch {
		case i%50 == 0:
			fmt.Fprintf(&log, "[11/03/2020 08:%02d:10 > 494acb: INFO] Waiting 10 mins...\n", i/100)
		case i%77 == 0:
			fmt.Fprintf(&log, "[11/03/2020 08:%02d:10 > 494acb: ERR ] Connection was denied since Deny Public Network Access is set to Yes. n=%d\n", i/100, i)
		default:
			fmt.Fprintf(&log, "[11/03/2020 08:%02d:10 > 494acb: INFO] Got %d audit events\n", i/100, i)
		}
	}
	testinput.WriteFile(t, dir, "data/jobs/continuous/Office365ActivityImporter/job_log.txt", []byte(log.String()))
	ids, err := klsql.CheckTemplates()
	if err != nil || len(ids) < 20 {
		t.Fatalf("the checks name %d templates (%v)", len(ids), err)
	}
	checkRow, err := klsql.CheckRowsFilter()
	if err != nil {
		t.Fatal(err)
	}
	for _, lanes := range []int{1, 2} {
		// 4 KiB chunks: ~100 batches, each with check rows among the others
		s, _ := ingestWith(t, []string{dir}, Options{LoadLanes: lanes, ChunkSize: 4 << 10})
		var rows, distinct, check, runs int
		err = s.DB().QueryRow(`SELECT count(*), count(DISTINCT line_no), count(*) FILTER (WHERE c),
			count(*) FILTER (WHERE c AND prev IS DISTINCT FROM c)
			FROM (SELECT line_no, c, lag(c) OVER (ORDER BY rowid) AS prev FROM (SELECT rowid, line_no, `+checkRow+` AS c FROM traces))`).
			Scan(&rows, &distinct, &check, &runs)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if rows != lines || distinct != lines {
			t.Errorf("lanes=%d: %d rows of %d lines (%d distinct), want every line once", lanes, rows, lines, distinct)
		}
		if want := lines/50 + lines/77 - lines/(50*77); check < want {
			t.Errorf("lanes=%d: %d check rows, want at least %d", lanes, check, want)
		}
		if runs != 1 {
			t.Errorf("lanes=%d: the %d check rows lie in %d stretches of the table, want 1", lanes, check, runs)
		}
	}
}
