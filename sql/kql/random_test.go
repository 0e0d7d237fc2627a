package kql_test

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/kudulens/kudulens/sql/kql"
)

// TestRandomPipelines strings random operators together and runs the translations on
// DuckDB: every query the translator accepts must run. It catches SQL that is valid alone
// but not after another operator (a sort before a project, an extend after a summarize).
func TestRandomPipelines(t *testing.T) {
	preds := []string{
		`message contains "read"`, `message !has "read"`, `level == "INFO"`, `level in~ ("err", "warn")`,
		`line_no between (2 .. 5)`, `timestamp > ago(2h)`, `isnotempty(job)`, `severityLevel != 1`,
		`not(message startswith "a")`, `message matches regex "[0-9]"`, `timestamp between (datetime(2026-11-19) .. 1d)`,
		`strlen(message) > 5 or isnull(severityLevel)`, `tolower(operation_Name) endswith "importer"`,
	}
	exprs := []string{
		`strlen(message)`, `toupper(level)`, `bin(timestamp, 15m)`, `now() - timestamp`, `line_no * 2 + 1`,
		`iff(severityLevel > 1, "hi", "lo")`, `strcat(job, "/", line_no)`, `tostring(timestamp)`, `split(message, " ")[0]`,
		`extract("(\\d+)", 1, message)`, `case(line_no < 3, "a", line_no < 5, "b", "c")`, `startofday(timestamp)`,
		`format_datetime(timestamp, "yyyy-MM-dd HH:mm")`, `line_no / 2`, `toint(line_no) % 3`, `(now() - timestamp) / 1h`,
		`substring(message, 1, 4)`, `replace_string(message, "a", "b")`, `todouble(line_no) / 3`,
	}
	aggs := []string{`count()`, `dcount(job)`, `max(timestamp)`, `min(line_no)`, `avg(line_no)`, `sum(line_no)`,
		`countif(level == "ERR")`, `make_set(level)`, `make_list(line_no)`, `arg_max(timestamp, message)`, `arg_min(line_no, *)`}
	keys := []string{`level`, `job`, `bin(timestamp, 1h)`, `operation_Name`, `tolower(level)`}
	rng := rand.New(rand.NewSource(80))
	pick := func(l []string) string { return l[rng.Intn(len(l))] }
	ops := []func() string{
		func() string { return "where " + pick(preds) },
		func() string { return "extend x" + string(rune('a'+rng.Intn(3))) + " = " + pick(exprs) },
		func() string { return "extend " + pick(exprs) },
		func() string { return "sort by line_no " + pick([]string{"asc", "desc", ""}) },
		func() string { return "sort by timestamp desc, message asc nulls last" },
		func() string { return "take " + pick([]string{"0", "3", "100"}) },
		func() string { return "top 3 by line_no" },
		func() string { return "project-away app_time, template" },
		func() string { return "project-rename msg = message" },
		func() string {
			return "project line_no, message, level, job, timestamp, severityLevel, operation_Name, " + pick(exprs)
		},
	}
	// Operators that end the usable columns (after them only count/take/sort on their own
	// columns make sense).
	finals := []func() string{
		func() string { return "summarize " + pick(aggs) + ", " + pick(aggs) + " by " + pick(keys) },
		func() string { return "summarize " + pick(aggs) },
		func() string { return "distinct level, job" },
		func() string { return "count" },
		func() string { return "union (exceptions | project timestamp, message = outerMessage)" },
		func() string { return "join kind=leftouter (customEvents | project job, name) on job" },
		func() string { return "summarize n = count() by level | sort by n desc | take 2" },
	}
	db := openDB(t, baseRows, eventRows, exceptionRows)
	ran := 0
	for i := 0; i < 400; i++ {
		parts := []string{"traces"}
		for n := rng.Intn(4); n > 0; n-- {
			parts = append(parts, ops[rng.Intn(len(ops))]())
		}
		if rng.Intn(2) == 0 {
			parts = append(parts, finals[rng.Intn(len(finals))]())
		}
		q := strings.Join(parts, "\n| ")
		_, _, sql, err := runKQL(db, q, kql.Options{Now: testNow})
		if err != nil {
			if sql == "" {
				// Translation errors are fine when they name a real problem (a column the
				// pipeline dropped, a renamed column used by its old name).
				if strings.Contains(err.Error(), "unknown column") {
					continue
				}
				t.Errorf("%s\ntranslation: %v", q, err)
				continue
			}
			t.Errorf("%s\nDuckDB: %v\nSQL:\n%s", q, err, sql)
			continue
		}
		ran++
	}
	t.Logf("%d of 400 random queries ran", ran)
	if ran < 250 {
		t.Errorf("only %d of 400 random queries ran", ran)
	}
}
