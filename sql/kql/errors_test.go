package kql

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 19, 22, 0, 0, 0, time.UTC)

// TestErrors checks that a construct outside the subset, or a wrong query, fails with an
// *Error naming the construct at its line:col.
func TestErrors(t *testing.T) {
	f := func(q, want string) {
		t.Helper()
		_, err := Translate(q, Options{Now: now})
		if err == nil {
			t.Errorf("%q: no error, want %q", q, want)
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: error %T, want *Error", q, err)
			return
		}
		got := strings.SplitN(err.Error(), "\n", 2)[0]
		if got != want {
			t.Errorf("%q:\ngot  %s\nwant %s", q, got, want)
		}
	}
	// Operators outside the subset.
	f("traces\n| mv-expand x", "kql: 2:3: operator 'mv-expand' is not supported by kudulens")
	f("traces | parse message with a \"x\" b", "kql: 1:10: operator 'parse' is not supported by kudulens")
	f("traces\n| where level == \"ERR\"\n| make-series count() on timestamp step 1h", "kql: 3:3: operator 'make-series' is not supported by kudulens")
	f("traces | evaluate bag_unpack(x)", "kql: 1:10: operator 'evaluate' is not supported by kudulens")
	f("traces | frobnicate", "kql: 1:10: operator 'frobnicate' is not supported by kudulens")
	f("traces | lookup (exceptions) on job", "kql: 1:10: operator 'lookup' is not supported by kudulens")
	f("traces | join kind=fancy (exceptions) on job", "kql: 1:20: join kind=fancy is not supported by kudulens")
	f("traces | extend x = split(message, \",\", 1, 2)", "kql: 1:21: split() with 4 arguments is not supported by kudulens (it takes 2 to 3)")
	f("traces | where message has_any (job)", "kql: 1:33: has_any with a value that is not a constant string is not supported by kudulens")
	f("let f = (T:(x:long)) { T | count }; traces", "kql: 1:12: a tabular parameter (T:(...)) is not supported by kudulens")
	f("traces | extend x = datetime(2015-12-31 23:59:59.1234567)", "kql: 1:21: datetime(2015-12-31 23:59:59.1234567) is finer than a microsecond, which DuckDB cannot hold")
	f("traces | summarize hint.strategy=shuffle count() by job", "kql: 1:20: hint of summarize is not supported by kudulens")
	f("traces | top 3 by a, b", "kql: 1:20: top with more than one sort key is not supported by kudulens")
	f("union trace*", "kql: 1:7: table name wildcard in union is not supported by kudulens")
	f("union withsource=T traces", "kql: 1:7: union option withsource=T is not supported by kudulens")
	f("traces | summarize (a, b) = arg_max(timestamp, job)", "kql: 1:20: naming several result columns with (a, b) = ... is not supported by kudulens")
	// Functions and scalar operators outside the subset.
	f("traces | extend x = foo(message)", "kql: 1:21: function 'foo()' is not supported by kudulens")
	f("traces | where message has \"\"", "kql: 1:24: 'has' with an empty string is not supported by kudulens (KQL does not document its result)")
	f("traces | where message has job", "kql: 1:24: 'has' with a right-hand side that is not a constant string is not supported by kudulens")
	f("traces | where message matches regex \"(\"", "kql: 1:38: invalid regex: error parsing regexp: missing closing ): `(`")
	f("traces | where line_no in (traces | project line_no)", "kql: 1:28: in with a tabular expression is not supported by kudulens (write the values)")
	f("traces | extend x = 1tick", "kql: 1:21: timespan finer than a microsecond cannot be represented in DuckDB")
	f("traces | where timestamp < datetime(11/19/2026)", "kql: 1:28: datetime format \"11/19/2026\" is not supported by kudulens (write ISO 8601, as datetime(2026-11-19) or datetime(2026-11-19T10:00:00Z))")
	f("traces | extend x = format_datetime(timestamp, \"yyyy-MM-dd zzz\")", "kql: 1:48: format_datetime() specifier at \"zzz\" is not supported by kudulens (supported: yyyy yy MM M dd d HH H hh h mm m ss s tt fff ffffff and separators \" /-:,._[]T\")")
	f("traces | where message contains \"\\x41\"", "kql: 1:34: escape \"\\\\x\" in a string literal is not supported by kudulens")
	f("traces | extend s = ```x```", "kql: 1:21: multi-line string literal is not supported by kudulens (```)")
	// Names: case-sensitive, with a hint.
	f("traces | project Message", "kql: 1:18: unknown column 'Message' (column names are case-sensitive: did you mean 'message'?)")
	f("Traces | count", "kql: 1:1: unknown table 'Traces' (table names are case-sensitive: did you mean 'traces'?)")
	f("pageViews | count", "kql: 1:1: unknown table 'pageViews' (kudulens has traces, exceptions, customEvents, files, rejects, job_status)")
	f("customEvents | project properties", "kql: 1:24: unknown column 'properties' (in KQL, customEvents.properties is customDimensions)")
	f("traces | project-away Message", "kql: 1:23: project-away: unknown column 'Message' (column names are case-sensitive: did you mean 'message'?)")
	f("traces | project-rename a = nope", "kql: 1:29: project-rename: unknown column 'nope'")
	f("traces | join kind=inner (exceptions) on nope", "kql: 1:42: join: the left side has no column 'nope'")
	// Types.
	f("traces | where message == 1", "kql: 1:24: cannot compare string with long")
	f("traces | where timestamp > \"2026\"", "kql: 1:26: cannot compare datetime with string")
	f("traces | where line_no", "kql: 1:16: where needs a bool predicate, got long")
	f("traces | extend x = message + \"a\"", "kql: 1:29: '+' does not join strings in KQL (use strcat())")
	f("traces | extend x = timestamp + timestamp", "kql: 1:31: '+' is not defined for datetime and datetime")
	f("traces | extend x = iff(line_no > 1, \"a\", 1)", "kql: 1:43: iff(): branches have types string and long")
	f("traces | summarize x = line_no", "kql: 1:24: column 'line_no' must be inside an aggregation function (count(), max(), ...) or in the by clause")
	f("traces | summarize count() by customEvents", "kql: 1:31: table 'customEvents' used as a scalar")
	f("customEvents | summarize count() by customDimensions.context", "kql: 1:37: summarize by a dynamic value is not supported by kudulens (convert it with tostring(), toint(), ...)")
	f("traces | count | extend c = count()", "kql: 1:29: aggregation function 'count()' outside summarize")
	f("traces | summarize max(count())", "kql: 1:24: aggregation function 'count()' inside another aggregation")
	f("traces | take x", "kql: 1:15: unknown name 'x' (the number of rows must be a constant)")
	f("traces | take -1", "kql: 1:15: the number of rows must be a constant non-negative integer")
	// Syntax.
	f("traces | where", "kql: 1:15: expected an expression, got end of query")
	f("traces | where x = 1", "kql: 1:18: unexpected '=' (a new operator starts with '|')")
	f("traces | where a < b < c", "kql: 1:22: unexpected '<' after a comparison (add parentheses)")
	f("traces | where message == 'abc", "kql: 1:27: unterminated string literal")
	f("traces | where message contains \"a\" | render timechart | count", "kql: 1:39: render must be the last operator of the query")
	f("traces | project a = 1, a = 2", "kql: 1:25: project: column 'a' is declared twice")
	f("", "kql: 1:1: the query has no tabular expression (start it with a table name such as traces)")
	f("let x = 1;", "kql: 1:11: the query has no tabular expression (start it with a table name such as traces)")
	f("traces | count; exceptions | count", "kql: 1:17: more than one tabular expression in a query is not supported by kudulens")
	f("traces | where message contains \"x\" §", "kql: 1:37: unexpected character '§'")
	f("traces | where "+strings.Repeat("(", 100)+"1", "kql: 1:"+strconv.Itoa(16+maxDepth-1)+": query nested more than 64 levels deep is not supported by kudulens")
}

// TestNeedsNow: ago() and now() never fall back to the wall clock.
func TestNeedsNow(t *testing.T) {
	_, err := Translate("traces | where timestamp > ago(1h)", Options{})
	if err == nil || !strings.Contains(err.Error(), "1:28: ago() needs the evaluation time (Options.Now; kudulens query --at)") {
		t.Fatalf("got %v", err)
	}
	r, err := Compile("traces | where timestamp > ago(1h) | render timechart", Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.SQL, "TIMESTAMP '2026-11-19 21:00:00'") {
		t.Errorf("ago(1h) at 22:00 is not 21:00:\n%s", r.SQL)
	}
	want := []string{"ago() and now() are evaluated at 2026-11-19T22:00:00Z", "render timechart ignored: kudulens prints the rows"}
	if strings.Join(r.Notes, "\n") != strings.Join(want, "\n") {
		t.Errorf("notes: %q", r.Notes)
	}
}

// TestErrorFormat checks the caret snippet and the positions.
func TestErrorFormat(t *testing.T) {
	q := "traces\n\t| where message contains \"x\"\n\t| mv-expand y"
	_, err := Translate(q, Options{})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v", err)
	}
	if e.Line != 3 || e.Col != 4 || e.Pos != strings.Index(q, "mv-expand") {
		t.Errorf("position %d %d:%d", e.Pos, e.Line, e.Col)
	}
	want := "kql: 3:4: operator 'mv-expand' is not supported by kudulens\n" +
		"  3 | \t| mv-expand y\n" +
		"    | \t  ^"
	if err.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", err, want)
	}
	// A long line is cut around the error.
	long := "traces | where " + strings.Repeat("message contains \"x\" and ", 10) + "nope == 1 and " + strings.Repeat("line_no > 1 and ", 10) + "true"
	_, err = Translate(long, Options{})
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "  1 | …") || !strings.HasSuffix(lines[1], "…") || len([]rune(lines[1])) > 110 ||
		[]rune(lines[1])[len([]rune(lines[2]))-1:][0] != 'n' {
		t.Errorf("long line snippet:\n%s", err)
	}
	// Columns count characters, not bytes.
	_, err = Translate(`traces | where message == "é" and nope`, Options{})
	if !errors.As(err, &e) || e.Col != 35 {
		t.Errorf("got %v", err)
	}
}

func TestOptionsTables(t *testing.T) {
	sql, err := Translate("traces | count", Options{Tables: map[string]string{"traces": "(SELECT * FROM traces WHERE job = 'x')"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sql, `FROM (SELECT * FROM traces WHERE job = 'x') AS "traces"`) {
		t.Errorf("override not used:\n%s", sql)
	}
	if _, err := Translate("traces", Options{Tables: map[string]string{"pageViews": "x"}}); err == nil {
		t.Error("unknown table in Options.Tables accepted")
	}
}

func TestOptionsTablesJoin(t *testing.T) {
	sql, err := Translate("traces | join kind=inner (exceptions) on job", Options{Tables: map[string]string{"traces": "(SELECT * FROM traces WHERE job = 'x')"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sql, `AS "traces" AS l`) {
		t.Errorf("aliased override used as a join side:\n%s", sql)
	}
}
