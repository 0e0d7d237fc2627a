// Package kql translates a subset of KQL (Kusto Query Language), the language of the
// monitoring guide's Application Insights queries, into one DuckDB SQL statement over the
// kudulens tables. It does no I/O and does not import DuckDB: the caller runs the SQL.
//
// The guide's query
//
//	traces
//	| where operation_Name == "Office365ActivityImporter"
//	or operation_Name == "CallRecordWebhookController"
//
// translates to
//
//	SELECT *
//	FROM "traces"
//	WHERE "operation_Name" = 'Office365ActivityImporter' OR "operation_Name" = 'CallRecordWebhookController'
//
// The translation goes lexer → syntax tree → SQL. Each pipeline operator adds clauses to
// the SELECT being built while SQL's clause order allows it, and otherwise seals it as a
// CTE (step1, step2, ...) that the next SELECT reads, so the SQL stays readable for
// kudulens query --explain.
//
// # Subset
//
// Tables: traces, exceptions, customEvents, files, rejects, job_status, with the columns of
// sql/schema.sql; customEvents.properties is customDimensions, as in Application Insights.
// Sources: tables, print, datatable, range, union, (query), tabular user functions.
// Statements: let (scalars, tabular expressions, user functions with typed parameters and
// defaults). Operators: where, project, project-away (with * wildcards), project-rename,
// extend, summarize ... by ..., sort by / order by, take / limit, top N by, distinct,
// count [as name], union (kind=outer), join (innerunique by default; inner, leftouter,
// rightouter, fullouter, leftsemi, leftanti, rightsemi, rightanti) on col /
// $left.a == $right.b, render (ignored, reported in Result.Notes). Scalar operators:
// == != =~ !~ < <= > >=, contains, has, hasprefix, hassuffix, startswith, endswith (each
// with _cs and ! forms), has_any, has_all, in, !in, in~, !in~ (dynamic arrays in the list
// stand for their elements), between, !between, matches regex, and, or, not(),
// + - * / %. Literals: long, real (10., 1e3, real(nan)), string, bool, datetime (ISO 8601
// and the documented RFC 822/850 forms), timespan, dynamic([...]/{...}), typed nulls.
// Functions: ago, now, tostring, toint, tolong, todouble, toreal, tobool, todatetime,
// parse_json, todynamic, strcat, extract (with typeof), split (with an index), isempty,
// isnotempty, isnull, isnotnull, iff, iif, case, tolower, toupper, strlen, substring, trim,
// trim_start, trim_end, replace_string, format_datetime, startofday, bin, floor.
// Aggregations: count, countif, dcount, dcountif, min, max, minif, maxif, avg, avgif, sum,
// sumif, make_list, make_set (and _if, with a size limit), percentile, percentiles, stdev,
// stdevif, stdevp, variance, varianceif, variancep, take_any, arg_max, arg_min. Anything
// else fails with an *Error that names it, gives its line:col and says "is not supported
// by kudulens": the translator never guesses. (Errors in Options are plain errors.)
//
// conformance_test.go checks the documented semantics: the KQL documentation's examples
// with their printed output, and its stated rules, each naming its page.
//
// # Semantics
//
// KQL's rules are kept where SQL differs:
//
//   - Names are case-sensitive (DuckDB's are not): every identifier is quoted, a column
//     spelled in another case is an error ("did you mean"), and two columns whose names
//     differ only in case get distinct SQL names.
//   - Strings are never null in KQL: SQL NULL in a string column reads as "". x == "" and
//     isempty(x) are true for it, isnull(x) is false, !contains / != / !in are true, and
//     summarize, distinct and join group NULL with "".
//   - == on other types: null == value is false, null != value is true (KQL's rules).
//   - contains, startswith, endswith, =~, in~ fold case; _cs forms and == do not.
//   - has matches whole terms (maximal runs of ASCII letters and digits): see strops.go.
//   - between is inclusive; x between (t0 .. 1h) on datetimes is t0 .. t0+1h.
//   - Integer division truncates (7 / 2 is 3, -7 / 2 is -3); % is never negative (-7 % 3
//     is 2); integers are widened to 64 bits before arithmetic.
//   - datetime − datetime is a timespan (INTERVAL); timespans divide to reals (1h / 1m is
//     60) and multiply with numbers.
//   - bin() on datetimes counts from 0001-01-01, KQL's epoch, so odd bin sizes line up
//     as in KQL.
//   - sort is descending by default, nulls first when ascending and last when descending;
//     NaN sorts next to null.
//   - Aggregations ignore nulls; over no values count, dcount, sum, stdev and variance give
//     0, make_list and make_set [], the others null. arg_max/arg_min of a group whose value
//     is null in every row return one of its rows. count(x) counts every row.
//   - ago() and now() use Options.Now, never the wall clock.
//   - Unnamed columns are named as KQL names them: count_, dcount_job, max_timestamp,
//     countif_, list_x, set_x, strlen_message, customDimensions_context, Column1, ....
//
// # Known differences
//
// Where KQL's behaviour is undocumented or DuckDB cannot match it, the translator either
// rejects the construct or differs as listed here:
//
//   - Case folding uses DuckDB's lower() and ILIKE and RE2's (?i), which also fold
//     non-ASCII letters (KQL folds ASCII only).
//   - dcount and percentile are exact (KQL's are estimates above small sizes); percentile
//     is the nearest-rank value.
//   - Timestamps and timespans have microsecond resolution (KQL: 100 ns); finer literals
//     are rejected.
//   - Because SQL NULL strings read as "", dcount, min, max, make_list and make_set of a
//     string column count or collect "" for them.
//   - x !between (a .. b) is null, not true, for a null x.
//   - make_list keeps the input order when the sort is a plain column sort that reaches
//     summarize through where, take, extend, project of the column or project-away;
//     otherwise the order is DuckDB's. make_set's result is sorted.
//   - join kind=innerunique keeps the first left row of each key; KQL may apply a later
//     where to the left side first (its documentation shows both results).
//   - todatetime() of a string column reads what DuckDB's cast reads (ISO 8601);
//     toint()/tolong() of a string read optionally signed integers only.
//   - has with an empty string, and union of one column name with two types, are
//     rejected.
package kql
