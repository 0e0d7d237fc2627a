package kql_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kudulens/kudulens/sql/kql"
)

// baseRows are the traces rows most semantics cases run on. Row 5 has NULL strings and a
// NULL severity, row 6 an empty message: KQL reads both messages as "".
const baseRows = `INSERT INTO traces (timestamp, operation_Name, job, level, severityLevel, message, line_no, pid) VALUES
 ('2026-11-19 10:00:00', 'Office365ActivityImporter', 'Office365ActivityImporter', 'INFO', 1, 'Waiting 2 mins...', 1, 10),
 ('2026-11-19 10:05:30', 'Office365ActivityImporter', 'Office365ActivityImporter', 'INFO', 1, 'Audit is read-only now', 2, 10),
 ('2026-11-19 10:59:59', 'AppInsightsImporter', 'AppInsightsImporter', 'WARN', 2, 'already done', 3, 20),
 ('2026-11-19 11:00:00', 'AppInsightsImporter', 'AppInsightsImporter', 'ERR', 3, 'READ_ONLY mode; Thread read', 4, 20),
 ('2026-11-19 12:30:00', NULL, NULL, 'INFO', NULL, NULL, 5, NULL),
 ('2026-11-19 12:30:00', 'CallRecordWebhookController', NULL, 'INFO', 1, '', 6, -7)`

const eventRows = `INSERT INTO customEvents (timestamp, operation_Name, job, name, section, duration_s, properties) VALUES
 ('2026-11-19 10:30:00', 'Office365ActivityImporter', 'Office365ActivityImporter', 'FinishedSectionImport', 'Teams import', 62, '{"context": "Teams import: 0 hours, 1 mins, and 2 seconds."}'),
 ('2026-11-19 10:40:00', 'Office365ActivityImporter', 'Office365ActivityImporter', 'FinishedImportCycle', 'Office365ActivityImporter', 3600, '{"context": "Office365ActivityImporter: 1 hours, 0 mins, and 0 seconds.", "n": 5}'),
 ('2026-11-19 10:50:00', 'AppInsightsImporter', 'AppInsightsImporter', 'FinishedSectionImport', 'Hits import', 5, '{"other": null}')`

const exceptionRows = `INSERT INTO exceptions (timestamp, operation_Name, job, origin, outerType, outerMessage, innermostType, innermostMessage, line_no) VALUES
 ('2026-11-19 10:10:00', 'Office365ActivityImporter', 'Office365ActivityImporter', 'handled', 'System.Data.SqlClient.SqlException', 'Failed to update database "AnalyticsDB" because the database is read-only.', 'System.Data.SqlClient.SqlException', 'Failed to update database "AnalyticsDB" because the database is read-only.', 7)`

// semCase is one row of the semantics table: setup rows, a KQL query, the expected columns
// (when given) and rows (cells joined by " | ", see cell()).
type semCase struct {
	name  string
	setup []string
	kql   string
	cols  string
	rows  []string
}

func base(extra ...string) []string { return append([]string{baseRows}, extra...) }

var semantics = []semCase{
	// == is case-sensitive, =~ is not; != and !~ are true for the null ("") rows.
	{name: "eq", kql: `traces | where operation_Name == "AppInsightsImporter" | project line_no`, rows: []string{"3", "4"}},
	{name: "eq case-sensitive", kql: `traces | where operation_Name == "appinsightsimporter" | project line_no`, rows: nil},
	{name: "eq ci", kql: `traces | where operation_Name =~ "appinsightsimporter" | project line_no`, rows: []string{"3", "4"}},
	{name: "ne keeps null", kql: `traces | where operation_Name != "AppInsightsImporter" | project line_no`, rows: []string{"1", "2", "5", "6"}},
	{name: "ne ci", kql: `traces | where operation_Name !~ "APPINSIGHTSIMPORTER" | project line_no`, rows: []string{"1", "2", "5", "6"}},
	{name: "eq empty matches null", kql: `traces | where message == "" | project line_no`, rows: []string{"5", "6"}},
	{name: "eq column to column", kql: `traces | where operation_Name == job | project line_no`, rows: []string{"1", "2", "3", "4", "5"}},
	{name: "isempty", kql: `traces | where isempty(message) | project line_no`, rows: []string{"5", "6"}},
	{name: "isnotempty", kql: `traces | where isnotempty(message) | project line_no`, rows: []string{"1", "2", "3", "4"}},
	{name: "isnull string never", kql: `traces | where isnull(message) | project line_no`, rows: nil},
	{name: "isnull int", kql: `traces | where isnull(severityLevel) | project line_no`, rows: []string{"5"}},
	{name: "isnotnull int", kql: `traces | where isnotnull(severityLevel) | project line_no`, rows: []string{"1", "2", "3", "4", "6"}},
	{name: "extend null checks", kql: `traces | where line_no in (5, 6) | project line_no, a = isempty(message), b = isnull(message), c = isnull(severityLevel), d = message == "", e = severityLevel == 1, f = severityLevel != 1`,
		rows: []string{"5 | true | false | true | true | false | true", "6 | true | false | false | true | true | false"}},

	// contains: case-insensitive substring.
	{name: "contains", kql: `traces | where message contains "READ" | project line_no`, rows: []string{"2", "3", "4"}},
	{name: "not contains", kql: `traces | where message !contains "read" | project line_no`, rows: []string{"1", "5", "6"}},
	{name: "contains_cs", kql: `traces | where message contains_cs "READ" | project line_no`, rows: []string{"4"}},
	{name: "not contains_cs", kql: `traces | where message !contains_cs "READ" | project line_no`, rows: []string{"1", "2", "3", "5", "6"}},
	{name: "contains wildcard chars", setup: []string{`INSERT INTO traces (message, line_no) VALUES ('100% done', 1), ('1000 done', 2), ('a_b', 3), ('axb', 4)`},
		kql: `traces | where message contains "0%" or message contains "_" | project line_no`, rows: []string{"1", "3"}},

	// has: whole terms of ASCII letters and digits, case-insensitive.
	{name: "has term", kql: `traces | where message has "read" | project line_no`, rows: []string{"2", "4"}},
	{name: "not has", kql: `traces | where message !has "read" | project line_no`, rows: []string{"1", "3", "5", "6"}},
	{name: "has_cs", kql: `traces | where message has_cs "READ" | project line_no`, rows: []string{"4"}},
	{name: "not has_cs", kql: `traces | where message !has_cs "read" | project line_no`, rows: []string{"1", "3", "5", "6"}},
	{name: "has after underscore", kql: `traces | where message has "only" | project line_no`, rows: []string{"2", "4"}},
	{name: "has phrase", kql: `traces | where message has "read-only" | project line_no`, rows: []string{"2"}},
	{name: "has not inside term", kql: `traces | where message has "hread" or message has "ead" or message has "alread" | project line_no`, rows: nil},
	{name: "has edge cases", setup: []string{`INSERT INTO traces (message, line_no) VALUES ('read', 1), ('read-only', 2), ('already', 3), ('(READ)', 4), ('reads', 5), ('x.read.y', 6), ('read1', 7), ('über read', 8), ('grüne', 9)`},
		kql: `traces | where message has "read" | project line_no`, rows: []string{"1", "2", "4", "6", "8"}},
	{name: "has non-ascii separates", setup: []string{`INSERT INTO traces (message, line_no) VALUES ('grüne', 1), ('grune', 2)`},
		kql: `traces | where message has "gr" | project line_no`, rows: []string{"1"}},
	{name: "hasprefix hassuffix", kql: `traces | project line_no, p = message hasprefix "rea", s = message hassuffix "ady"`,
		rows: []string{"1 | false | false", "2 | true | false", "3 | false | true", "4 | true | false", "5 | false | false", "6 | false | false"}},

	// startswith / endswith.
	{name: "startswith", kql: `traces | where message startswith "audit" | project line_no`, rows: []string{"2"}},
	{name: "not startswith", kql: `traces | where message !startswith "audit" | project line_no`, rows: []string{"1", "3", "4", "5", "6"}},
	{name: "startswith_cs", kql: `traces | where message startswith_cs "audit" | project line_no`, rows: nil},
	{name: "endswith", kql: `traces | where message endswith "NOW" | project line_no`, rows: []string{"2"}},
	{name: "endswith_cs", kql: `traces | where message endswith_cs "NOW" or message !endswith_cs "..." and line_no < 2 | project line_no`, rows: nil},
	{name: "startswith empty", kql: `traces | where message startswith "" | count`, rows: []string{"6"}},

	// in, !in, in~, !in~.
	{name: "in", kql: `traces | where operation_Name in ("AppInsightsImporter", "x") | project line_no`, rows: []string{"3", "4"}},
	{name: "not in keeps null", kql: `traces | where operation_Name !in ("AppInsightsImporter", "x") | project line_no`, rows: []string{"1", "2", "5", "6"}},
	{name: "in ci", kql: `traces | where operation_Name in~ ("appinsightsimporter") | project line_no`, rows: []string{"3", "4"}},
	{name: "not in ci", kql: `traces | where operation_Name !in~ ("appinsightsimporter") | project line_no`, rows: []string{"1", "2", "5", "6"}},
	{name: "in empty string", kql: `traces | where message in ("", "x") | project line_no`, rows: []string{"5", "6"}},
	{name: "in numbers", kql: `traces | where severityLevel in (1, 3) | project line_no`, rows: []string{"1", "2", "4", "6"}},
	{name: "not in numbers null", kql: `traces | where severityLevel !in (1, 3) | project line_no`, rows: []string{"3", "5"}},

	// between is inclusive at both ends; a datetime range may end in a timespan.
	{name: "between numbers", kql: `traces | where line_no between (2 .. 4) | project line_no`, rows: []string{"2", "3", "4"}},
	{name: "between datetimes", kql: `traces | where timestamp between (datetime(2026-11-19 10:05:30) .. datetime(2026-11-19T11:00:00Z)) | project line_no`, rows: []string{"2", "3", "4"}},
	{name: "between datetime timespan", kql: `traces | where timestamp between (datetime(2026-11-19 10:00) .. 1h) | project line_no`, rows: []string{"1", "2", "3", "4"}},
	{name: "between ago", kql: `traces | where timestamp between (ago(2h) .. now()) | project line_no`, rows: []string{"4", "5", "6"}},
	{name: "not between", kql: `traces | where line_no !between (2 .. 4) | project line_no`, rows: []string{"1", "5", "6"}},

	// matches regex (RE2), and, or, not.
	{name: "matches regex", kql: `traces | where message matches regex @"^\w+ is " | project line_no`, rows: []string{"2"}},
	{name: "matches regex empty", kql: `traces | where message matches regex "^$" | project line_no`, rows: []string{"5", "6"}},
	{name: "and or precedence", kql: `traces | where line_no == 1 or line_no == 2 and level == "WARN" | project line_no`, rows: []string{"1"}},
	{name: "not", kql: `traces | where not(message contains "read") and line_no > 1 | project line_no`, rows: []string{"5", "6"}},
	{name: "not of null comparison", kql: `traces | where not(severityLevel == 1) | project line_no`, rows: []string{"3", "4", "5"}},
	{name: "comparison null", kql: `traces | where line_no >= 5 | project line_no, a = severityLevel > 0, b = severityLevel > 0 or isnull(severityLevel)`,
		rows: []string{"5 | null | true", "6 | true | true"}},
	{name: "string less", kql: `traces | where message < "B" | project line_no`, rows: []string{"2", "5", "6"}},

	// ago()/now() are anchored at Options.Now (13:00), not the wall clock.
	{name: "ago", kql: `traces | where timestamp > ago(1h) | project line_no`, rows: []string{"5", "6"}},
	{name: "ago inclusive", kql: `traces | where timestamp >= ago(2h) | project line_no`, rows: []string{"4", "5", "6"}},
	{name: "now minus", kql: `traces | where line_no in (1, 4) | project line_no, age = now() - timestamp, t = now(-1h)`,
		rows: []string{"1 | 03:00:00 | 2026-11-19T12:00:00Z", "4 | 02:00:00 | 2026-11-19T12:00:00Z"}},
	{name: "ago variable", kql: `let w = 90m; traces | where timestamp > ago(w) | count`, rows: []string{"2"}},

	// Timespan literals and arithmetic.
	{name: "timespan literals", kql: `traces | take 1 | project a = 10m, b = 1.5h, c = 2d, d = 30s, e = 100ms, f = timespan(1.02:03:04), g = time(2), h = 10microsecond, i = timespan(15 seconds), j = -5m`,
		rows: []string{"00:10:00 | 01:30:00 | 2.00:00:00 | 00:00:30 | 00:00:00.1000000 | 1.02:03:04 | 2.00:00:00 | 00:00:00.0000100 | 00:00:15 | -00:05:00"}},
	{name: "timespan arithmetic", kql: `traces | summarize d = max(timestamp) - min(timestamp) | extend r = d / 1h, h = d / 2, t = 2 * 30m, u = 1h * 1.5, s = d + 30m, n = datetime(2026-11-19) + 1d`,
		rows: []string{"02:30:00 | 2.5 | 01:15:00 | 01:00:00 | 01:30:00 | 03:00:00 | 2026-11-20T00:00:00Z"}},
	{name: "timespan compare", kql: `traces | where now() - timestamp < 1h | project line_no`, rows: []string{"5", "6"}},
	{name: "integer division", kql: `traces | take 1 | project a = 7 / 2, b = -7 / 2, c = 7 % 2, d = -7 % 2, e = 7.0 / 2, f = 7 / 2.0, g = 1 + 2 * 3`,
		rows: []string{"3 | -3 | 1 | 1 | 3.5 | 3.5 | 7"}},
	{name: "double minus", kql: `traces | where line_no == 2 | project a = - -line_no, b = -(-line_no), c = 1 - -line_no, d = -(-2), e = - - 1h`, rows: []string{"2 | 2 | 3 | 2 | 01:00:00"}},
	{name: "int widening", kql: `traces | where line_no == 1 | project a = pid * 1000000000, b = pid / 4`, rows: []string{"10000000000 | 2"}},

	// sort: descending by default; nulls first when ascending, last when descending.
	{name: "sort default desc", kql: `traces | sort by line_no | project line_no`, rows: []string{"6", "5", "4", "3", "2", "1"}},
	{name: "sort asc nulls first", kql: `traces | sort by severityLevel asc, line_no asc | project line_no`, rows: []string{"5", "1", "2", "6", "3", "4"}},
	{name: "sort desc nulls last", kql: `traces | order by severityLevel desc, line_no asc | project line_no`, rows: []string{"4", "3", "1", "2", "6", "5"}},
	{name: "sort nulls first explicit", kql: `traces | sort by severityLevel desc nulls first, line_no asc | project line_no`, rows: []string{"5", "4", "3", "1", "2", "6"}},
	{name: "sort strings ordinal", kql: `traces | sort by message asc, line_no asc | project line_no`, rows: []string{"5", "6", "2", "4", "1", "3"}},
	{name: "sort strings nulls last", kql: `traces | sort by message asc nulls last, line_no asc | project line_no`, rows: []string{"5", "6", "2", "4", "1", "3"}},
	{name: "sort then where keeps order", kql: `traces | sort by line_no asc | where line_no > 2 | extend x = 1 | project line_no`, rows: []string{"3", "4", "5", "6"}},
	{name: "sort then project keeps order", kql: `traces | sort by timestamp desc, line_no asc | project line_no | take 3`, rows: []string{"5", "6", "4"}},

	// take, top, count, distinct.
	{name: "take", kql: `traces | take 2 | count`, cols: "Count", rows: []string{"2"}},
	{name: "limit", kql: `traces | limit 0 | count`, rows: []string{"0"}},
	{name: "top", kql: `traces | top 2 by line_no | project line_no`, rows: []string{"6", "5"}},
	{name: "top asc", kql: `traces | top 2 by line_no asc | project line_no`, rows: []string{"1", "2"}},
	{name: "count", kql: `traces | count`, cols: "Count", rows: []string{"6"}},
	{name: "count empty", kql: `traces | where line_no > 100 | count`, rows: []string{"0"}},
	{name: "distinct merges null and empty", kql: `traces | distinct operation_Name | sort by operation_Name asc`, cols: "operation_Name",
		rows: []string{"''", "AppInsightsImporter", "CallRecordWebhookController", "Office365ActivityImporter"}},
	{name: "distinct two", kql: `traces | distinct level, pid | sort by level asc, pid asc`, cols: "level | pid",
		rows: []string{"ERR | 20", "INFO | null", "INFO | -7", "INFO | 10", "WARN | 20"}},

	// project, project-away, project-rename, extend.
	{name: "project rename", kql: `traces | where line_no == 1 | project-rename msg = message | project line_no, msg`, cols: "line_no | msg", rows: []string{"1 | Waiting 2 mins..."}},
	{name: "project-away", kql: `traces | where line_no == 1 | project-away *_Name, job*, timestamp, level, is_system, instance, app_time, template, source*, pid, truncated, msg_hash, file_id, line_count, also*, severityLevel, signals`,
		cols: "message | line_no", rows: []string{"Waiting 2 mins... | 1"}},
	{name: "extend replaces in place", kql: `traces | where line_no == 1 | project line_no, message | extend message = toupper(message)`, cols: "line_no | message", rows: []string{"1 | WAITING 2 MINS..."}},
	{name: "extend auto names", kql: `traces | where line_no == 1 | project line_no | extend line_no * 2, strlen(tostring(line_no)), tostring(line_no), line_no`,
		cols: "line_no | Column1 | strlen_line_no | line_no1", rows: []string{"1 | 2 | 1 | 1"}},
	{name: "extend uses earlier item", kql: `traces | where line_no == 2 | project line_no | extend a = line_no * 10, b = a + 1, line_no = b`, cols: "line_no | a | b", rows: []string{"21 | 20 | 21"}},
	{name: "extend case-distinct names", kql: `traces | where line_no == 1 | project message | extend Message = strlen(message)`, cols: "message | Message", rows: []string{"Waiting 2 mins... | 17"}},
	{name: "project auto names", kql: `traces | where line_no == 1 | project line_no, line_no + 1, strlen(message), bin(timestamp, 1d)`, cols: "line_no | Column1 | strlen_message | timestamp",
		rows: []string{"1 | 2 | 17 | 2026-11-19T00:00:00Z"}},
	{name: "column named level", kql: `traces | where level == "WARN" | project level, line_no`, cols: "level | line_no", rows: []string{"WARN | 3"}},

	// summarize: KQL's column names, bin(), null grouping.
	{name: "summarize names", kql: `traces | summarize count(), dcount(job), max(timestamp), min(line_no), avg(line_no), sum(line_no), countif(line_no > 1) by level | sort by level asc`,
		cols: "level | count_ | dcount_job | max_timestamp | min_line_no | avg_line_no | sum_line_no | countif_",
		rows: []string{"ERR | 1 | 1 | 2026-11-19T11:00:00Z | 4 | 4 | 4 | 1", "INFO | 4 | 2 | 2026-11-19T12:30:00Z | 1 | 3.5 | 14 | 3", "WARN | 1 | 1 | 2026-11-19T10:59:59Z | 3 | 3 | 3 | 1"}},
	{name: "summarize no by", kql: `traces | summarize n = count(), c = count()`, cols: "n | c", rows: []string{"6 | 6"}},
	{name: "summarize empty", kql: `traces | where line_no > 100 | summarize count()`, rows: []string{"0"}},
	{name: "summarize duplicate names", kql: `traces | summarize count(), count(), max(line_no) * 2`, cols: "count_ | count_1 | Column1", rows: []string{"6 | 6 | 12"}},
	{name: "summarize bin hour", kql: `traces | summarize n = count() by bin(timestamp, 1h) | sort by timestamp asc`, cols: "timestamp | n",
		rows: []string{"2026-11-19T10:00:00Z | 3", "2026-11-19T11:00:00Z | 1", "2026-11-19T12:00:00Z | 2"}},
	{name: "summarize bin 7m from 0001-01-01", kql: `traces | summarize n = count() by bin(timestamp, 7m) | sort by timestamp asc`,
		rows: []string{"2026-11-19T09:54:00Z | 1", "2026-11-19T10:01:00Z | 1", "2026-11-19T10:57:00Z | 2", "2026-11-19T12:28:00Z | 2"}},
	{name: "summarize by null string", kql: `traces | summarize n = count() by job | sort by job asc`, cols: "job | n",
		rows: []string{"'' | 2", "AppInsightsImporter | 2", "Office365ActivityImporter | 2"}},
	{name: "summarize by expression", kql: `traces | summarize n = count() by tolower(level) | sort by n asc, Column1 asc`, cols: "Column1 | n", rows: []string{"err | 1", "warn | 1", "info | 4"}},
	{name: "bin numbers", kql: `traces | project line_no, b = bin(line_no, 4), f = floor(pid, 5), r = bin(line_no * 1.5, 2)`,
		rows: []string{"1 | 0 | 10 | 0", "2 | 0 | 10 | 2", "3 | 0 | 20 | 4", "4 | 4 | 20 | 6", "5 | 4 | null | 6", "6 | 4 | -10 | 8"}},
	{name: "make_set", kql: `traces | where level == "WARN" | summarize make_set(operation_Name)`, cols: "set_operation_Name", rows: []string{`["AppInsightsImporter"]`}},
	{name: "make_list skips nulls", kql: `traces | where line_no in (1, 5) | summarize make_list(severityLevel)`, cols: "list_severityLevel", rows: []string{`[1]`}},
	{name: "make_list keeps sorted order", kql: `traces | sort by line_no desc | summarize make_list(line_no)`, rows: []string{`[6,5,4,3,2,1]`}},
	{name: "make_list order through take and project", kql: `traces | sort by timestamp asc, line_no asc | take 4 | project line_no, timestamp | summarize l = make_list(line_no) by bin(timestamp, 1d)`,
		cols: "timestamp | l", rows: []string{`2026-11-19T00:00:00Z | [1,2,3,4]`}},
	{name: "arg_max", kql: `traces | summarize arg_max(timestamp, message) by operation_Name | sort by operation_Name asc`, cols: "operation_Name | timestamp | message",
		rows: []string{"'' | 2026-11-19T12:30:00Z | ''", "AppInsightsImporter | 2026-11-19T11:00:00Z | READ_ONLY mode; Thread read", "CallRecordWebhookController | 2026-11-19T12:30:00Z | ''", "Office365ActivityImporter | 2026-11-19T10:05:30Z | Audit is read-only now"}},
	{name: "arg_min star", kql: `traces | project level, line_no, message | summarize arg_min(line_no, *) by level | sort by level asc`, cols: "level | line_no | message",
		rows: []string{"ERR | 4 | READ_ONLY mode; Thread read", "INFO | 1 | Waiting 2 mins...", "WARN | 3 | already done"}},

	// Conversions and string functions.
	{name: "conversions", kql: `traces | take 1 | project a = toint("12"), b = toint("1.5"), c = tolong(" 7 "), d = todouble("2.5"), e = tobool("TRUE"), f = todatetime("2026-11-19T10:00:00Z"), g = toint(2.7), h = toint(-2.7), i = toreal(3)`,
		rows: []string{"12 | null | 7 | 2.5 | true | 2026-11-19T10:00:00Z | 2 | -2 | 3"}},
	{name: "tostring", kql: `traces | where line_no == 5 | project a = tostring(datetime(2026-11-19 10:00:00.5)), b = tostring(90m), c = tostring(true), d = tostring(42), e = tostring(message), f = tostring(1d + 1s), g = tostring(-1500ms), h = tostring(severityLevel)`,
		rows: []string{"2026-11-19T10:00:00.5000000Z | 01:30:00 | true | 42 | null | 1.00:00:01 | -00:00:01.5000000 | null"}},
	{name: "strcat", kql: `traces | where line_no in (1, 5) | project line_no, s = strcat("a", line_no, "-", message)`, rows: []string{"1 | a1-Waiting 2 mins...", "5 | a5-"}},
	{name: "extract", kql: `traces | where line_no in (1, 2) | project line_no, n = extract(@"(\d+) mins", 1, message), all = extract("W(ait)", 0, message)`, rows: []string{"1 | 2 | Wait", "2 | '' | ''"}},
	{name: "split", kql: `traces | take 1 | project a = split("a,b,c", ",")[1], b = split("a,b,c", ",")[-1], c = split("a,b,c", ",")[5], d = split("a,b", ",")`, rows: []string{`b | c | null | ["a","b"]`}},
	{name: "arrays in later stages", kql: `traces | extend w = split(message, " ") | where line_no == 1 | project first = w[0], last = w[-1], all = w | extend n = strlen(first)`,
		cols: "first | last | all | n", rows: []string{`Waiting | mins... | ["Waiting","2","mins..."] | 7`}},
	{name: "make_list element", kql: `traces | sort by line_no asc | summarize l = make_list(line_no), s = make_list(level) | project a = l[0] + 1, b = s[1], c = strcat(s[2], "!")`,
		rows: []string{"2 | INFO | WARN!"}},
	{name: "iff case", kql: `traces | project line_no, a = iff(severityLevel > 1, "hi", "lo"), b = case(line_no < 2, 1, line_no < 4, 2, 3), c = iif(message has "read", 1.5, 0)`,
		rows: []string{"1 | lo | 1 | 0", "2 | lo | 2 | 1.5", "3 | hi | 2 | 0", "4 | hi | 3 | 1.5", "5 | lo | 3 | 0", "6 | lo | 3 | 0"}},
	{name: "dates", kql: `traces | take 1 | project a = startofday(datetime(2026-11-19 09:05), -1), b = todatetime("junk"), c = todatetime("2026-11-19 10:00:00+02:00"), d = datetime(2026-11-19T10:00:00.123456Z)`,
		rows: []string{"2026-11-18T00:00:00Z | null | 2026-11-19T08:00:00Z | 2026-11-19T10:00:00.123456Z"}},
	{name: "string functions", kql: `traces | where line_no == 5 | project a = strlen(message), b = substring("ABCD", 1, 2), c = substring("ABCD", 2), d = trim(@"\.+", "..x.."), e = replace_string("a.b.c", ".", "-"), f = tolower("AbC"), g = toupper("AbC"), h = trim_start("-", "--a-"), i = trim_end("-", "--a-")`,
		rows: []string{"0 | BC | CD | x | a-b-c | abc | ABC | a- | --a"}},
	{name: "format_datetime", kql: `traces | take 1 | project a = format_datetime(datetime(2026-11-19 09:05:03.123), "yyyy-MM-dd HH:mm:ss.fff"), b = format_datetime(datetime(2026-11-19 21:05), "M/d/yyyy h:mm tt"), c = startofday(datetime(2026-11-19 09:05)), d = startofday(datetime(2026-11-19 09:05), 1)`,
		rows: []string{"2026-11-19 09:05:03.123 | 11/19/2026 9:05 PM | 2026-11-19T00:00:00Z | 2026-11-20T00:00:00Z"}},
	{name: "literals and escapes", kql: `traces | take 1 | project a = 'it\'s', b = "say \"hi\"\t!", c = @"C:\home\data", d = 'x' "y", e = h"secret", f = int(null), g = real(1.5), h = 1e3`,
		rows: []string{"it's | say \"hi\"\t! | C:\\home\\data | xy | secret | null | 1.5 | 1000"}},
	{name: "comments", kql: "traces // all rows\n// a comment line\n| count // the count", rows: []string{"6"}},

	// customDimensions is customEvents.properties.
	{name: "customDimensions dot", setup: []string{eventRows}, kql: `customEvents | where customDimensions.context contains "Teams" | project name, tostring(customDimensions.context)`,
		cols: "name | customDimensions_context", rows: []string{"FinishedSectionImport | Teams import: 0 hours, 1 mins, and 2 seconds."}},
	{name: "customDimensions brackets", setup: []string{eventRows}, kql: `customEvents | where tostring(customDimensions["context"]) startswith "Office365" | project n = toint(customDimensions.n), customDimensions["context"]`,
		cols: "n | customDimensions_context", rows: []string{`5 | "Office365ActivityImporter: 1 hours, 0 mins, and 0 seconds."`}},
	{name: "customDimensions null", setup: []string{eventRows}, kql: `customEvents | project section, a = isnull(customDimensions.n), b = isempty(customDimensions.context), c = isnull(customDimensions.other) | sort by section asc`,
		rows: []string{"Hits import | true | true | true", "Office365ActivityImporter | false | false | true", "Teams import | true | false | true"}},
	{name: "customDimensions column", setup: []string{eventRows}, kql: `customEvents | where duration_s == 5 | project-away timestamp, operation_Name, job, instance, name, section, file_id, source_file, line_no`,
		cols: "duration_s | customDimensions", rows: []string{`5 | {"other": null}`}},

	// let, union, join.
	{name: "let scalar and tabular", kql: "let n = 2;\nlet T = traces | where line_no <= n;\nT | count", rows: []string{"2"}},
	{name: "let shadows a table", kql: `let traces = traces | where level == "INFO"; traces | count`, rows: []string{"4"}},
	{name: "let tabular twice", kql: `let T = traces | where line_no <= 2; T | union T | count`, rows: []string{"4"}},
	{name: "union outer", setup: []string{exceptionRows}, kql: `union (traces | where line_no == 1 | project line_no), (exceptions | project outerType) | sort by line_no asc`,
		cols: "line_no | outerType", rows: []string{"null | System.Data.SqlClient.SqlException", "1 | null"}},
	{name: "union operator", setup: []string{exceptionRows}, kql: `traces | where line_no < 3 | union exceptions | summarize count() by operation_Name | sort by operation_Name asc`,
		rows: []string{"Office365ActivityImporter | 3"}},
	{name: "join inner", setup: []string{eventRows}, kql: `traces | where isnotempty(job) | summarize n = count() by job | join kind=inner (customEvents | project job, name) on job | sort by name asc, job asc`,
		cols: "job | n | job1 | name", rows: []string{"Office365ActivityImporter | 2 | Office365ActivityImporter | FinishedImportCycle", "AppInsightsImporter | 2 | AppInsightsImporter | FinishedSectionImport", "Office365ActivityImporter | 2 | Office365ActivityImporter | FinishedSectionImport"}},
	{name: "join leftouter", setup: []string{eventRows}, kql: `traces | project line_no, op = operation_Name | join kind=leftouter (customEvents | where name == "FinishedImportCycle" | project operation_Name, section) on $left.op == $right.operation_Name | project line_no, section | sort by line_no asc`,
		rows: []string{"1 | Office365ActivityImporter", "2 | Office365ActivityImporter", "3 | null", "4 | null", "5 | null", "6 | null"}},

	// render is ignored (with a note).
	{name: "render", kql: `traces | summarize count() by level | sort by level asc | render barchart`, rows: []string{"ERR | 1", "INFO | 4", "WARN | 1"}},
}

func TestSemantics(t *testing.T) {
	for _, c := range semantics {
		t.Run(c.name, func(t *testing.T) {
			setup := c.setup
			if setup == nil {
				setup = base()
			} else if !strings.HasPrefix(setup[0], "INSERT INTO traces (message, line_no)") {
				setup = base(setup...)
			}
			db := openDB(t, setup...)
			cols, rows, sql, err := runKQL(db, c.kql, kql.Options{Now: testNow})
			if err != nil {
				t.Fatalf("%s\n%v\nSQL:\n%s", c.kql, err, sql)
			}
			if c.cols != "" && strings.Join(cols, " | ") != c.cols {
				t.Errorf("%s\ncolumns: got  %s\n         want %s\nSQL:\n%s", c.kql, strings.Join(cols, " | "), c.cols, sql)
			}
			want := c.rows
			if !ordered(c.kql) {
				// Without sort/top the row order is not defined, in KQL as in SQL.
				rows, want = sorted(rows), sorted(want)
			}
			if strings.Join(rows, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s\ngot:\n  %s\nwant:\n  %s\nSQL:\n%s", c.kql, strings.Join(rows, "\n  "), strings.Join(want, "\n  "), sql)
			}
		})
	}
}

func ordered(q string) bool {
	return strings.Contains(q, "sort by") || strings.Contains(q, "order by") || strings.Contains(q, "top ")
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	slices.Sort(s)
	return s
}
