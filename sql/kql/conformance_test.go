package kql_test

import (
	"strings"
	"testing"
)

// The conformance table: KQL's semantics written down once, as the Kusto documentation's
// own examples with the output the documentation prints, run through the translator and
// DuckDB. Every case names its source, a page of learn.microsoft.com/kusto/query/ (the
// MicrosoftDocs/dataexplorer-docs repository, data-explorer/kusto/query/<src>.md).
//
// docExamples (conformance_docs_test.go) are examples copied with their printed output;
// docRules below are the documentation's stated rules (null handling, default values,
// sort order, string operators) written as queries over print and datatable, each with
// the result the cited sentence or table gives. Cells are printed as the documentation
// prints them: null as an empty cell (or "null"), datetimes in ISO 8601 UTC, timespans
// as [d.]hh:mm:ss[.fffffff], dynamic values as JSON. Reals compare to 1e-9, dynamic values
// as JSON values. Rows compare as a multiset unless the query sorts.

// docCase is one documented query and its documented result.
type docCase struct {
	src  string   // documentation page
	kql  string   // the query
	cols string   // result columns, " | " between names
	rows []string // result rows, " | " between cells
}

// docRules are the documentation's rules as queries.
var docRules = []docCase{
	// summarize-operator, "Default values of aggregations": over no rows count, countif,
	// dcount, dcountif, sum, sumif, variance, stdev give 0, make_list/make_set give [],
	// all others null.
	{src: "summarize-operator", kql: `datatable(x:long)[] | summarize count(), countif(x > 1), dcount(x), dcountif(x, x > 1), sum(x), sumif(x, x > 1), variance(x), stdev(x)`,
		cols: "count_ | countif_ | dcount_x | dcountif_x | sum_x | sumif_x | variance_x | stdev_x", rows: []string{"0 | 0 | 0 | 0 | 0 | 0 | 0 | 0"}},
	{src: "summarize-operator", kql: `datatable(x:long)[] | summarize make_list(x), make_set(x), make_list_if(x, x > 1), make_set_if(x, x > 1)`,
		cols: "list_x | set_x | list_x1 | set_x1", rows: []string{"[] | [] | [] | []"}},
	{src: "summarize-operator", kql: `datatable(x:long)[] | summarize max(x), min(x), avg(x), percentile(x, 50)`,
		cols: "max_x | min_x | avg_x | percentile_x_50", rows: []string{" |  |  | "}},
	{src: "summarize-operator", kql: `datatable(g:string, x:long)[] | summarize make_set(x) by g`, cols: "g | set_x", rows: nil},
	// null-values, "Null values and aggregation functions": nulls are ignored.
	{src: "scalar-data-types/null-values", kql: `datatable(x:long)[1, long(null), 3] | summarize sum(x), make_list(x), make_set(x), dcount(x), max(x), avg(x)`,
		cols: "sum_x | list_x | set_x | dcount_x | max_x | avg_x", rows: []string{"4 | [1,3] | [1,3] | 2 | 3 | 2"}},
	{src: "scalar-data-types/null-values", kql: `datatable(x:long)[long(null), long(null)] | summarize make_list(x), sum(x), max(x)`,
		cols: "list_x | sum_x | max_x", rows: []string{"[] | 0 | "}},
	// arg-max-aggregation-function / arg-min: rows whose value is null are ignored; when it
	// is null in every row of a group, a row of the group is returned.
	{src: "arg-max-aggregation-function", kql: `datatable(g:string, v:long, s:string)["a", long(null), "only"] | summarize arg_max(v, s) by g`,
		cols: "g | v | s", rows: []string{"a |  | only"}},
	{src: "arg-min-aggregation-function", kql: `datatable(g:string, v:long, s:string)["a", long(null), "x", "a", 2, "y", "a", 1, "z"] | summarize arg_min(v, *) by g`,
		cols: "g | v | s", rows: []string{"a | 1 | z"}},
	// null-values, "Null literals" and "Equality and inequality of null values".
	{src: "scalar-data-types/null-values", kql: `print bool(null), datetime(null), dynamic(null), int(null), long(null), real(null), double(null), timespan(null)`,
		cols: "print_0 | print_1 | print_2 | print_3 | print_4 | print_5 | print_6 | print_7", rows: []string{" |  |  |  |  |  |  | "}},
	{src: "scalar-data-types/null-values", kql: `print a = isnull(int(null)), b = isnotnull(int(null)), c = isnull(""), d = isempty(""), e = not(bool(null))`,
		cols: "a | b | c | d | e", rows: []string{"true | false | false | true | "}},
	{src: "scalar-data-types/null-values", kql: `datatable(val:int)[5, int(null)] | extend Add = val + 10 | extend Multiply = val * 10`,
		cols: "val | Add | Multiply", rows: []string{"5 | 15 | 50", " |  | "}},
	{src: "scalar-data-types/null-values", kql: `print a = bool(null) and false, b = bool(null) or true, c = bool(null) and true`,
		cols: "a | b | c", rows: []string{"false | true | "}},
	// null-values, "Null values and the in operator": a null value is in no list; !in is
	// true for it.
	{src: "scalar-data-types/null-values", kql: `datatable(x:long)[1, long(null)] | extend a = x in (1, 2), b = x !in (1, 2)`,
		cols: "x | a | b", rows: []string{"1 | true | false", " | false | true"}},
	// string: "a string is never null"; the empty string is what a null string reads as.
	{src: "scalar-data-types/string", kql: `datatable(s:string)["", "a"] | extend e = isempty(s), n = isnull(s), l = strlen(s)`,
		cols: "s | e | n | l", rows: []string{" | true | false | 0", "a | false | false | 1"}},
	// sort-operator: nulls first ascending, last descending; NaN sits next to null.
	{src: "sort-operator", kql: `datatable(x:real)[5, real(null), real(+inf), 0, real(nan), -5, real(-inf)] | sort by x asc`,
		cols: "x", rows: []string{"null", "NaN", "-Inf", "-5", "0", "5", "+Inf"}},
	{src: "sort-operator", kql: `datatable(x:real)[5, real(null), real(+inf), 0, real(nan), -5, real(-inf)] | sort by x desc`,
		cols: "x", rows: []string{"+Inf", "5", "0", "-5", "-Inf", "NaN", "null"}}, // the page's list leaves -inf out
	{src: "sort-operator", kql: `datatable(x:real)[5, real(null), real(+inf), 0, real(nan), -5, real(-inf)] | sort by x asc nulls last`,
		cols: "x", rows: []string{"-Inf", "-5", "0", "5", "+Inf", "NaN", "null"}},
	{src: "sort-operator", kql: `datatable(x:real)[5, real(null), real(+inf), 0, real(nan), -5, real(-inf)] | sort by x desc nulls first`,
		cols: "x", rows: []string{"null", "NaN", "+Inf", "5", "0", "-5", "-Inf"}},
	{src: "sort-operator", kql: `datatable(s:string, n:long)["b", 1, "a", 2, "B", 3] | sort by s asc, n desc`,
		cols: "s | n", rows: []string{"B | 3", "a | 2", "b | 1"}},
	{src: "top-operator", kql: `range x from 1 to 10 step 1 | top 3 by x`, cols: "x", rows: []string{"10", "9", "8"}},
	// numerical-operators: integer division truncates; modulo is never negative.
	{src: "numerical-operators", kql: `print a = 1 / 2, b = real(1) / 2, c = 7 % 3, d = -7 % 3, e = 10m / 1s`,
		cols: "a | b | c | d | e", rows: []string{"0 | 0.5 | 1 | 2 | 600"}},
	// scalar-data-types/real: the real literal forms.
	{src: "scalar-data-types/real", kql: `print a = 10., b = 1e3, c = 0.5, d = real(1)`,
		cols: "a | b | c | d", rows: []string{"10 | 1000 | 0.5 | 1"}},
	// scalar-data-types/timespan: literal forms.
	{src: "scalar-data-types/timespan", kql: `print a = 2d, b = 1.5h, c = 30m, d = 10s, e = 100ms, f = 10microsecond, g = time(15 seconds), h = time(2), i = time(0.12:34:56.7)`,
		cols: "a | b | c | d | e | f | g | h | i", rows: []string{"2.00:00:00 | 01:30:00 | 00:30:00 | 00:00:10 | 00:00:00.1000000 | 00:00:00.0000100 | 00:00:15 | 2.00:00:00 | 12:34:56.7000000"}},
	// datetime-timespan-arithmetic.
	{src: "datetime-timespan-arithmetic", kql: `print a = datetime(2021-01-02) - datetime(2021-01-01), b = datetime(2021-01-01) + 1d, c = 2h / 30m, d = 1h * 2`,
		cols: "a | b | c | d", rows: []string{"1.00:00:00 | 2021-01-02T00:00:00Z | 4 | 02:00:00"}},
	// tostring-function and scalar-data-types/real: reals print without a trailing .0.
	{src: "tostring-function", kql: `print a = tostring(123), b = tostring(1.5), c = tostring(real(2)), d = tostring(true), e = tostring(datetime(2021-01-01)), f = tostring(1h)`,
		cols: "a | b | c | d | e | f", rows: []string{"123 | 1.5 | 2 | true | 2021-01-01T00:00:00.0000000Z | 01:00:00"}},
	// split-function: the part at an index, [] when there is none.
	{src: "split-function", kql: `print a = split("aa_bb", "_"), b = split("aaa_bbb_ccc", "_", 1), c = split("", "_"), d = split("a__b", "_"), e = split("aabbcc", "bb"), f = split("aabbcc", "cc", 5)`,
		cols: "a | b | c | d | e | f", rows: []string{`["aa","bb"] | ["bbb"] | [""] | ["a","","b"] | ["aa","cc"] | []`}},
	// extract-function: no match gives ""; typeof converts.
	{src: "extract-function", kql: `print a = extract("x=([0-9.]+)", 1, "hello x=45.6|wo"), b = extract("x=([0-9.]+)", 1, "hello x=45.6|wo", typeof(real)), c = extract("(\\d+)", 1, "abc"), d = extract("(\\d+)", 2, "a1")`,
		cols: "a | b | c | d", rows: []string{"45.6 | 45.6 |  | "}},
	// in-operator / in-cs-operator: in is case-sensitive, in~ is not; dynamic arrays expand.
	{src: "in-operator", kql: `datatable(s:string)["Apple", "apple", "pear"] | where s in~ ("APPLE") | count`, cols: "Count", rows: []string{"2"}},
	{src: "in-cs-operator", kql: `datatable(s:string)["Apple", "apple", "pear"] | where s in ("apple", "pear") | count`, cols: "Count", rows: []string{"2"}},
	{src: "in-cs-operator", kql: `let fruits = dynamic(["apple", "pear"]); datatable(s:string)["Apple", "apple", "pear"] | where s in (fruits) | count`, cols: "Count", rows: []string{"2"}},
	{src: "not-in-operator", kql: `datatable(s:string)["Apple", "apple", "pear"] | where s !in~ ("APPLE") | count`, cols: "Count", rows: []string{"1"}},
	// has-operator: whole terms; hasprefix/hassuffix: term starts and ends.
	{src: "has-operator", kql: `datatable(s:string)["North America", "Americas", "south america"] | where s has "america" | count`, cols: "Count", rows: []string{"2"}},
	{src: "has-any-operator", kql: `datatable(s:string)["North America", "Europe", "Asia"] | where s has_any (dynamic(["europe", "america"])) | count`, cols: "Count", rows: []string{"2"}},
	// parse-json-function / scalar-data-types/dynamic: property access and conversions.
	{src: "scalar-data-types/dynamic", kql: `print o = dynamic({"a": 1, "b": {"c": "x"}}) | extend a = o.a, c = o.b.c, n = toint(o.a) + 1, s = tostring(o["b"].c), m = isnull(o.missing)`,
		cols: "o | a | c | n | s | m", rows: []string{`{"a":1,"b":{"c":"x"}} | 1 | "x" | 2 | x | true`}},
	{src: "scalar-data-types/dynamic", kql: `print a = dynamic([1, 2, 3])[1], b = dynamic(["x", "y"])[-1], c = parse_json("[4, 5]")[0] == 4`,
		cols: "a | b | c", rows: []string{`2 | "y" | true`}},
	// join-innerunique: the default kind; the left side keeps one row per key.
	{src: "join-innerunique", kql: `let X = datatable(Key:string, Value1:long)['a', 1, 'b', 2, 'b', 3, 'c', 4];
let Y = datatable(Key:string, Value2:long)['b', 10, 'c', 20, 'c', 30, 'd', 40];
X | join Y on Key | summarize count(), dcount(Value1) by Key`,
		cols: "Key | count_ | dcount_Value1", rows: []string{"b | 1 | 1", "c | 2 | 1"}},
	// let-statement: user-defined functions with default parameters.
	{src: "let-statement", kql: `let f = (a:long, b:long = 10) { a * b }; print x = f(2), y = f(2, 3)`, cols: "x | y", rows: []string{"20 | 6"}},
	// count-operator: count as name.
	{src: "count-operator", kql: `range x from 1 to 7 step 1 | count as n`, cols: "n", rows: []string{"7"}},
	// bin-function: per-row bin sizes.
	{src: "bin-function", kql: `datatable(x:long, size:long)[7, 5, 7, 2, 7, 0] | extend b = bin(x, size)`, cols: "x | size | b", rows: []string{"7 | 5 | 5", "7 | 2 | 6", "7 | 0 | "}},
	// startofday-function: an offset in days.
	{src: "startofday-function", kql: `datatable(d:datetime, o:long)[datetime(2017-01-01 10:10:17), -1, datetime(2017-01-01 10:10:17), 1] | extend s = startofday(d, o)`,
		cols: "d | o | s", rows: []string{"2017-01-01T10:10:17Z | -1 | 2016-12-31T00:00:00Z", "2017-01-01T10:10:17Z | 1 | 2017-01-02T00:00:00Z"}},
	// matches-regex-operator: a pattern per row.
	{src: "matches-regex-operator", kql: `datatable(s:string, p:string)["Fabrikam", "b.*k", "Fabrikam", "^k"] | extend m = s matches regex p`,
		cols: "s | p | m", rows: []string{"Fabrikam | b.*k | true", "Fabrikam | ^k | false"}},
}

func TestConformance(t *testing.T) {
	db := openDB(t)
	all := append(append([]docCase(nil), docExamples...), docRules...)
	if len(all) < 150 {
		t.Errorf("the conformance table has %d cases, want at least 150", len(all))
	}
	for i, c := range all {
		t.Run(c.src, func(t *testing.T) {
			cols, types, rows, sql, err := docResult(db, c.kql)
			if err != nil {
				t.Fatalf("case %d (%s):\n%s\n%v\nSQL:\n%s", i, c.src, c.kql, err, sql)
			}
			if got := strings.Join(cols, " | "); got != c.cols {
				t.Errorf("case %d (%s):\n%s\ncolumns: got  %s\n         want %s", i, c.src, c.kql, got, c.cols)
			}
			want := make([][]string, len(c.rows))
			for j, r := range c.rows {
				want[j] = strings.Split(r, " | ")
			}
			sorts := strings.Contains(c.kql, "sort by") || strings.Contains(c.kql, "order by") || strings.Contains(c.kql, "top ")
			if d := compareDoc(types, rows, want, sorts); d != "" {
				t.Errorf("case %d (%s):\n%s\n%s\nSQL:\n%s", i, c.src, c.kql, d, sql)
			}
		})
	}
}
