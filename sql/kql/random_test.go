package kql_test

import (
	gosql "database/sql"
	"math/rand"
	"strings"
	"testing"

	"github.com/kudulens/kudulens/sql/kql"
)

// Pieces of valid queries over traces, for the random pipelines.
var (
	genPreds = []string{
		`message contains "read"`, `message !has "read"`, `level == "INFO"`, `level in~ ("err", "warn")`,
		`line_no between (2 .. 5)`, `timestamp > ago(2h)`, `isnotempty(job)`, `severityLevel != 1`,
		`not(message startswith "a")`, `message matches regex "[0-9]"`, `timestamp between (datetime(2026-11-19) .. 1d)`,
		`strlen(message) > 5 or isnull(severityLevel)`, `tolower(operation_Name) endswith "importer"`,
		`severityLevel !in (1, 2)`, `message has_cs "READ"`, `- -line_no > 2`, `(line_no % 2) == 0`,
		`job =~ operation_Name`, `message < "B"`, `isempty(message) and line_no > 1`, `message !contains_cs "e"`,
		`now() - timestamp between (0s .. 3h)`, `iff(line_no > 2, true, false)`, `line_no in (1, 3, 5)`,
	}
	genExprs = []string{
		`strlen(message)`, `toupper(level)`, `bin(timestamp, 15m)`, `now() - timestamp`, `line_no * 2 + 1`,
		`iff(severityLevel > 1, "hi", "lo")`, `strcat(job, "/", line_no)`, `tostring(timestamp)`, `split(message, " ")[0]`,
		`extract("(\\d+)", 1, message)`, `case(line_no < 3, "a", line_no < 5, "b", "c")`, `startofday(timestamp)`,
		`format_datetime(timestamp, "yyyy-MM-dd HH:mm")`, `line_no / 2`, `toint(line_no) % 3`, `(now() - timestamp) / 1h`,
		`substring(message, 1, 4)`, `replace_string(message, "a", "b")`, `todouble(line_no) / 3`, `-line_no`,
		`split(message, " ")`, `tostring(now() - timestamp)`, `timestamp + 1d`, `bin(line_no, 2)`, `trim(" ", message)`,
		`tolong("12") + pid`, `message has "read"`, `isnull(pid)`, `datetime(2026-11-19) - timestamp`,
	}
	genAggs = []string{`count()`, `dcount(job)`, `max(timestamp)`, `min(line_no)`, `avg(line_no)`, `sum(line_no)`,
		`countif(level == "ERR")`, `make_set(level)`, `make_list(line_no)`, `arg_max(timestamp, message)`, `arg_min(line_no, *)`,
		`count() * 2`, `max(strlen(message))`, `sum(now() - timestamp)`}
	genKeys = []string{`level`, `job`, `bin(timestamp, 1h)`, `operation_Name`, `tolower(level)`, `k = line_no % 2`}
	genOps  = []func(pick func(int) int) string{
		func(p func(int) int) string { return "where " + genPreds[p(len(genPreds))] },
		func(p func(int) int) string {
			return "extend x" + string(rune('a'+p(3))) + " = " + genExprs[p(len(genExprs))]
		},
		func(p func(int) int) string { return "extend " + genExprs[p(len(genExprs))] },
		func(p func(int) int) string { return "sort by line_no " + []string{"asc", "desc", ""}[p(3)] },
		func(p func(int) int) string { return "sort by timestamp desc, message asc nulls last" },
		func(p func(int) int) string { return "take " + []string{"0", "3", "100"}[p(3)] },
		func(p func(int) int) string { return "top 3 by line_no" },
		func(p func(int) int) string { return "project-away app_time, template" },
		func(p func(int) int) string { return "project-rename msg = message" },
		func(p func(int) int) string {
			return "project line_no, message, level, job, timestamp, severityLevel, operation_Name, pid, " + genExprs[p(len(genExprs))]
		},
		func(p func(int) int) string { return "where line_no > 0 | sort by level asc" },
	}
	// Operators after which the traces columns are gone.
	genFinals = []func(pick func(int) int) string{
		func(p func(int) int) string {
			return "summarize " + genAggs[p(len(genAggs))] + ", " + genAggs[p(len(genAggs))] + " by " + genKeys[p(len(genKeys))]
		},
		func(p func(int) int) string { return "summarize " + genAggs[p(len(genAggs))] },
		func(p func(int) int) string { return "distinct level, job" },
		func(p func(int) int) string { return "count" },
		func(p func(int) int) string { return "union (exceptions | project timestamp, message = outerMessage)" },
		func(p func(int) int) string { return "join kind=leftouter (customEvents | project job, name) on job" },
		func(p func(int) int) string { return "join kind=inner (traces | summarize n = count() by job) on job" },
		func(p func(int) int) string { return "summarize n = count() by level | sort by n desc | take 2" },
		func(p func(int) int) string {
			return "summarize l = make_list(line_no) by level | extend f = l[0] | render table"
		},
	}
)

// genQuery builds a pipeline over traces from the choices pick makes (pick(n) is in
// [0, n)).
func genQuery(pick func(int) int) string {
	parts := []string{"traces"}
	if pick(4) == 0 {
		parts[0] = "let T = traces | where line_no > 1; T"
	}
	for n := pick(4); n > 0; n-- {
		parts = append(parts, genOps[pick(len(genOps))](pick))
	}
	if pick(2) == 0 {
		parts = append(parts, genFinals[pick(len(genFinals))](pick))
	}
	return strings.Join(parts, "\n| ")
}

// runGenerated runs q and reports whether it ran; only a failure in DuckDB is an error.
func runGenerated(t *testing.T, db *gosql.DB, q string) bool {
	t.Helper()
	_, _, sql, err := runKQL(db, q, kql.Options{Now: testNow})
	switch {
	case err == nil:
		return true
	case sql == "":
		// The translator may reject a random pipeline (an operator replaced or dropped a
		// column a later one uses); what it accepts must run.
		if testing.Verbose() {
			t.Logf("rejected: %s", strings.SplitN(err.Error(), "\n", 2)[0])
		}
	default:
		t.Errorf("%s\nDuckDB: %v\nSQL:\n%s", q, err, sql)
	}
	return false
}

// TestRandomPipelines strings random operators together and runs the translations on
// DuckDB: every query the translator accepts must run. It catches SQL that is valid alone
// but not after another operator (a sort before a project, an extend after a summarize).
func TestRandomPipelines(t *testing.T) {
	db := openDB(t, baseRows, eventRows, exceptionRows)
	rng := rand.New(rand.NewSource(80))
	ran := 0
	for i := 0; i < 400; i++ {
		if runGenerated(t, db, genQuery(rng.Intn)) {
			ran++
		}
	}
	t.Logf("%d of 400 random queries ran", ran)
	if ran < 300 {
		t.Errorf("only %d of 400 random queries ran", ran)
	}
}

// FuzzPipelines is TestRandomPipelines driven by the fuzzer: the input bytes are the
// generator's choices, so coverage guides it through operator combinations, and every
// query is run on DuckDB.
//
//	go test -run '^$' -fuzz FuzzPipelines -fuzztime 60s ./sql/kql
func FuzzPipelines(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{3, 3, 1, 2, 0, 1, 9, 0, 2})
	f.Add([]byte{1, 2, 9, 9, 9, 1, 0, 0, 5, 7, 3})
	db := openDB(f, baseRows, eventRows, exceptionRows)
	f.Fuzz(func(t *testing.T, choices []byte) {
		if len(choices) > 64 {
			return
		}
		i := 0
		pick := func(n int) int {
			if i >= len(choices) {
				return 0
			}
			i++
			return int(choices[i-1]) % n
		}
		runGenerated(t, db, genQuery(pick))
	})
}
