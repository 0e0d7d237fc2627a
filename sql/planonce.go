package sql

import (
	"regexp"
	"strconv"
	"strings"
)

// planOnce returns query, a SELECT, so that DuckDB plans it once instead of twice.
//
// duckdb-go runs every statement as a prepared statement: DuckDB parses, binds and plans it
// when it is prepared, and DuckDB 2.0 plans it again when it runs. A statement with a
// parameter whose type DuckDB cannot tell is only bound when prepared (its plan would depend
// on the value), so its one plan is made when it runs. The query gets such a parameter,
// always NULL, in a filter that keeps every row: SELECT * FROM (query) WHERE $N IS NULL. The
// query's own order stays (a filter over a subquery keeps its rows' order in DuckDB).
//
// Measured on the 200 MB bench log's database (bench/RESULTS.md): planning was ~14% of
// diagnose --db's CPU, a third on a small bundle's.
//
// A query that is not a SELECT (or WITH ... SELECT) is returned as it is. Parameters are
// numbered as the query numbers its own: $N after $1..$N-1, or a last ? after ?s.
func planOnce(query string, args []any) (string, []any) {
	q := strings.TrimRight(strings.TrimSpace(query), ";")
	if !selectQuery.MatchString(q) {
		return query, args
	}
	param := "?"
	if len(args) == 0 || numberedParam.MatchString(q) {
		param = "$" + strconv.Itoa(len(args)+1)
	}
	// The newline before ")" ends a trailing -- comment.
	return "SELECT * FROM (\n" + q + "\n) kl_plan_once WHERE " + param + " IS NULL", append(args[:len(args):len(args)], nil)
}

// numberedParam finds a $1-style parameter.
var numberedParam = regexp.MustCompile(`\$\d`)

// selectQuery matches a query that, after its leading comment lines, starts with SELECT or
// WITH.
var selectQuery = regexp.MustCompile(`^(?:\s*--[^\n]*\n)*\s*(?i:select|with)\b`)
