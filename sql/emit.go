package sql

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/kudulens/kudulens/parse"
)

// Emitting the checks as SQL over a Parquet lake (kudulens checks --emit): the same check
// files, made site-aware (sitelift.go), and the rules the runner applies in Go written as
// set-based SQL: one result row per site and check, (site, check, status, count, first_seen,
// last_seen), in the view kl_check_results. docs/checks.md ("The checks where the data is")
// says where the emitted results may differ from diagnose and why.

// Dialect is the SQL an emitted script is written in.
type Dialect string

const (
	DialectDuckDB   Dialect = "duckdb"
	DialectSparkSQL Dialect = "spark-sql"
)

// EmitOptions say what the emitted script reads.
type EmitOptions struct {
	Dialect Dialect
	// Lake is the lake folder (or URL, for Spark) the table views read.
	Lake string
	// Files, when set (DuckDB), lists the committed Parquet files of each table; the views
	// then read exactly those (a table without files is an empty view of Schema). Without
	// it, each view reads every file under table=<name>.
	Files map[string][]string
	// Schema is each lake table's columns as "name TYPE" (store.LakeSchema), for empty tables.
	Schema map[string][]string
	// KQL translates a .kql check into DuckDB SQL (sql/kql), as Options.KQL does for Run.
	KQL func(query string, now time.Time) (string, error)
}

// Emitted is an emitted script and what it left out.
type Emitted struct {
	SQL        string
	Emitted    []string          // check ids in kl_check_results
	NotEmitted map[string]string // check id → why it is not
}

// lakeTimestampColumns are the TIMESTAMP columns of each lake table (stored as instants).
var lakeTimestampColumns = map[string][]string{
	"traces": {"timestamp"}, "exceptions": {"timestamp"}, "customEvents": {"timestamp"},
	"files": {"first_ts", "last_ts", "ingested_at"},
}

var lakeTableNames = []string{"traces", "exceptions", "customEvents", "rejects", "job_status", "files"}

// dialect holds the few functions that differ between engines.
type dialect struct {
	us     func(x string) string    // TIMESTAMP → microseconds since the epoch (BIGINT)
	fromUS func(x string) string    // microseconds → TIMESTAMP
	split  func(x string) string    // one row per item of a comma-separated list (in a SELECT list)
	view   string                   // how a view is created
	table  string                   // how the coverage, computed once, is kept
	result string                   // how each check's result is kept
	q      func(name string) string // a quoted identifier
	spark  bool
}

func dialectOf(d Dialect) (dialect, error) {
	switch d {
	case DialectDuckDB:
		return dialect{
			us:     func(x string) string { return "epoch_us(" + x + ")" },
			fromUS: func(x string) string { return "make_timestamp(" + x + ")" },
			split:  func(x string) string { return "unnest(string_split(" + x + ", ','))" },
			view:   "CREATE OR REPLACE VIEW",
			// computed once when the script runs: a view would be computed again by every
			// check that reads it (the script is emitted for the lake's files as they are)
			table: "CREATE OR REPLACE TEMP TABLE",
			// each check's result too: DuckDB planning all of them as one query (the union
			// kl_check_results) ran out of memory on a lake of 170 small sites
			result: "CREATE OR REPLACE TEMP TABLE",
			q:      func(n string) string { return `"` + n + `"` },
		}, nil
	case DialectSparkSQL:
		return dialect{
			us:     func(x string) string { return "unix_micros(" + x + ")" },
			fromUS: func(x string) string { return "timestamp_micros(" + x + ")" },
			split:  func(x string) string { return "explode(split(" + x + ", ','))" },
			view:   "CREATE OR REPLACE TEMPORARY VIEW",
			table:  "CREATE OR REPLACE TEMPORARY VIEW",
			result: "CREATE OR REPLACE TEMPORARY VIEW",
			q:      func(n string) string { return "`" + n + "`" },
			spark:  true,
		}, nil
	}
	return dialect{}, fmt.Errorf("unknown dialect %q (want duckdb or spark-sql)", d)
}

// opSQL is parse.OperationName as SQL: the engine's jobs by the distinctive part of the
// folder name, other names as they are (a test compares it with the Go function).
func opSQL(x string) string {
	l := "lower(" + x + ")"
	return fmt.Sprintf(`CASE WHEN contains(%[1]s, 'appinsightsimport') THEN 'AppInsightsImporter'
        WHEN contains(%[1]s, 'office365activityimport') OR contains(%[1]s, 'activityimport') THEN 'Office365ActivityImporter'
        WHEN contains(%[1]s, 'callrecordwebhook') THEN 'CallRecordWebhookController' ELSE %[2]s END`, l, x)
}

func quoteSQL(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// sparkString is a Spark SQL string literal: Spark reads backslash escapes in them.
func sparkString(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}

func viewName(prefix, id string) string { return prefix + strings.ReplaceAll(id, "-", "_") }

// EmitChecks writes the checks as one SQL script.
func EmitChecks(checks []*Check, o EmitOptions) (*Emitted, error) {
	d, err := dialectOf(o.Dialect)
	if err != nil {
		return nil, err
	}
	signals := map[string]uint32{}
	for i, n := range parse.SignalNames() {
		signals[n] = 1 << i
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- kudulens checks as %s over the Parquet lake %s\n", o.Dialect, o.Lake)
	b.WriteString("-- Generated by kudulens checks --emit from the check files; see docs/checks.md for where the\n")
	b.WriteString("-- results may differ from kudulens diagnose. Result: the view kl_check_results.\n\n")
	if err := lakeViews(&b, o, d); err != nil {
		return nil, err
	}
	b.WriteString(coveragePreamble(d))
	em := &Emitted{NotEmitted: map[string]string{}}
	var results []string
	for _, c := range checks {
		body, err := emitCheck(c, d, o, signals)
		if err != nil {
			em.NotEmitted[c.ID] = err.Error()
			continue
		}
		fmt.Fprintf(&b, "\n-- %s (%s): %s\n", c.ID, c.Rule, c.Title)
		b.WriteString(body)
		em.Emitted = append(em.Emitted, c.ID)
		results = append(results, "SELECT * FROM "+viewName("kl_result_", c.ID))
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("no check could be emitted")
	}
	// a site without a line is judged on nothing: what would pass is unknown (markNothingJudged)
	b.WriteString("\n-- one row per site and check\n" + d.view + " kl_check_results AS\n" +
		"SELECT r.site, r." + d.q("check") + ",\n       CASE WHEN n.lines IS NULL AND r.status IN ('pass', 'unknown') THEN 'unknown' ELSE r.status END AS status,\n" +
		"       r." + d.q("count") + ", r.first_seen, r.last_seen\nFROM (\n" + strings.Join(results, "\nUNION ALL ") +
		"\n) r LEFT JOIN (SELECT export_site, count(*) AS lines FROM kl_lake_traces GROUP BY export_site) n ON n.export_site = r.site;\n")
	if len(em.NotEmitted) > 0 {
		b.WriteString("\n")
		writeNotEmitted(&b, em.NotEmitted, "--", "this script does not")
	}
	em.SQL = b.String()
	return em, nil
}

// lakeViews defines kl_lake_<table> over the lake: the files' columns, timestamps as UTC
// TIMESTAMPs, export_site never NULL (” for a site without a name).
func lakeViews(b *strings.Builder, o EmitOptions, d dialect) error {
	for _, t := range lakeTableNames {
		var src string
		switch o.Dialect {
		case DialectDuckDB:
			files, listed := o.Files[t]
			switch {
			case o.Files != nil && len(files) == 0 || !listed && o.Files != nil:
				cols := o.Schema[t]
				if len(cols) == 0 {
					return fmt.Errorf("table %s has no files and no schema", t)
				}
				sel := make([]string, len(cols))
				for i, c := range cols {
					name, typ, _ := strings.Cut(c, " ")
					sel[i] = fmt.Sprintf("CAST(NULL AS %s) AS %s", typ, name)
				}
				src = "(SELECT " + strings.Join(sel, ", ") + " WHERE false)"
			case o.Files != nil:
				q := make([]string, len(files))
				for i, f := range files {
					// DuckDB globs every path of the list: a path with a glob character would
					// read other files (kudulens itself reads such a lake through links)
					if strings.ContainsAny(f, "*?[") {
						return fmt.Errorf("%s: a path with a glob character (*, ? or [), which DuckDB's read_parquet would expand: move the lake to a plain path", f)
					}
					q[i] = quoteSQL(f)
				}
				src = "read_parquet([" + strings.Join(q, ", ") + "], union_by_name = true, hive_partitioning = false)"
			default:
				src = "read_parquet(" + quoteSQL(strings.TrimRight(o.Lake, "/")+"/table="+t+"/**/*.parquet") + ", union_by_name = true, hive_partitioning = false)"
			}
			repl := []string{"coalesce(export_site, '') AS export_site"}
			for _, c := range lakeTimestampColumns[t] {
				repl = append(repl, fmt.Sprintf("CAST(%s AS TIMESTAMP) AS %s", c, c))
			}
			fmt.Fprintf(b, "CREATE OR REPLACE VIEW kl_lake_%s AS SELECT * REPLACE (%s) FROM %s;\n", t, strings.Join(repl, ", "), src)
		case DialectSparkSQL:
			// Spark reads the files under the table's folder; recursiveFileLookup turns off
			// partition discovery, so date and job come from the files as every engine reads them.
			fmt.Fprintf(b, "CREATE OR REPLACE TEMPORARY VIEW kl_raw_%s USING parquet OPTIONS (path %s, recursiveFileLookup 'true', mergeSchema 'true');\n",
				t, sparkString(strings.TrimRight(o.Lake, "/")+"/table="+t))
			var sel []string
			for _, c := range o.Schema[t] {
				name, _, _ := strings.Cut(c, " ")
				if name == "export_site" {
					sel = append(sel, "coalesce(export_site, '') AS export_site")
					continue
				}
				sel = append(sel, d.q(name))
			}
			if len(sel) == 0 {
				return fmt.Errorf("no schema for table %s", t)
			}
			fmt.Fprintf(b, "CREATE OR REPLACE TEMPORARY VIEW kl_lake_%s AS SELECT %s FROM kl_raw_%s;\n", t, strings.Join(sel, ", "), t)
		}
	}
	return nil
}

// coveragePreamble defines the per-site evaluation time and the coverage the runner computes in
// Go (coverage.go): application-log islands, capped process runs, Kudu-log stretches.
func coveragePreamble(d dialect) string {
	bridge := appLogBridge.Microseconds()
	jobLog := `coalesce(job, 'unnamed job (' || source_file || ')')`
	return `
-- the sites of the lake
` + d.table + ` kl_sites AS
SELECT export_site FROM kl_lake_files UNION SELECT export_site FROM kl_lake_traces;

-- evaluation time per site: the latest line or file time (diagnose's default)
` + d.table + ` kl_eval AS
SELECT s.export_site, greatest(t.m, f.m) AS ` + d.q("at") + `
FROM kl_sites s
LEFT JOIN (SELECT export_site, max(timestamp) AS m FROM kl_lake_traces GROUP BY export_site) t ON t.export_site = s.export_site
LEFT JOIN (SELECT export_site, max(last_ts) AS m FROM kl_lake_files GROUP BY export_site) f ON f.export_site = s.export_site;

-- application-log stretches per job: islands of its rows less than 15 minutes apart
` + d.table + ` kl_cov_app AS
WITH r AS (
    SELECT t.export_site, t.operation_Name AS op, ` + d.us("t.timestamp") + ` AS ts,
           lag(` + d.us("t.timestamp") + `) OVER (PARTITION BY t.export_site, t.operation_Name ORDER BY t.timestamp) AS prev
    FROM kl_lake_traces t JOIN kl_eval e ON e.export_site = t.export_site
    WHERE t.source = 'app-log' AND t.operation_Name IS NOT NULL AND t.timestamp <= e.` + d.q("at") + `
), i AS (
    SELECT export_site, op, ts, sum(CASE WHEN prev IS NULL OR ts - prev > ` + fmt.Sprint(bridge) + ` THEN 1 ELSE 0 END)
           OVER (PARTITION BY export_site, op ORDER BY ts ROWS UNBOUNDED PRECEDING) AS island
    FROM r
)
SELECT export_site, op, min(ts) AS s, max(ts) AS e FROM i GROUP BY export_site, op, island;

-- capped process runs: from Kudu's "Reached maximum allowed output lines" to the run's next
-- status line (or the evaluation time); covered when the job's own application-log rows
-- hold the run
` + d.table + ` kl_capped_us AS
WITH caps AS (
    SELECT t.export_site, ` + jobLog + ` AS job, coalesce(instance, '') AS instance,
           ` + d.us("t.timestamp") + ` AS s, source_file AS file, line_no AS line, e.` + d.q("at") + `
    FROM kl_lake_traces t JOIN kl_eval e ON e.export_site = t.export_site
    WHERE t.source = 'job-log' AND t.template = 'kudu-output-capped' AND t.timestamp <= e.` + d.q("at") + `
), st AS (
    SELECT export_site, ` + jobLog + ` AS job, coalesce(instance, '') AS instance, ` + d.us("timestamp") + ` AS ts,
           source_file AS file, line_no AS line
    FROM kl_lake_traces WHERE source = 'job-log' AND is_system AND template = 'kudu-status'
), ends AS (
    SELECT c.export_site, c.job, c.instance, c.s, c.file, c.line,
           coalesce(min(st.ts), ` + d.us(`max(c.`+d.q("at")+`)`) + `) AS e
    FROM caps c LEFT JOIN st ON st.export_site = c.export_site AND st.job = c.job AND st.instance = c.instance
        AND (st.ts > c.s OR st.ts = c.s AND st.file = c.file AND st.line > c.line)
    GROUP BY c.export_site, c.job, c.instance, c.s, c.file, c.line
)
SELECT n.export_site, n.job, n.instance, n.s, n.e, n.file, n.line,
       coalesce((SELECT max(1) FROM kl_cov_app a WHERE a.export_site = n.export_site AND a.op = ` + opSQL("n.job") + `
               AND a.s <= least(n.s + ` + fmt.Sprint(bridge) + `, greatest(n.s, n.e - ` + fmt.Sprint(bridge) + `))
               AND a.e >= greatest(n.s, n.e - ` + fmt.Sprint(bridge) + `)), 0) = 1 AS covered
FROM ends n;

-- the runner's kl_capped, per site
` + d.table + ` kl_capped AS
SELECT export_site, job, instance, ` + d.fromUS("s") + ` AS start, ` + d.fromUS("e") + ` AS ` + d.q("end") + `, file, line, covered
FROM kl_capped_us;

-- Kudu-log stretches per job: from its first line to the evaluation time, minus the capped
-- stretches (a sweep over the boundaries: inside the job's stretch and in no capped run)
` + d.table + ` kl_cov_joblog AS
WITH ev AS (
    SELECT j.export_site, ` + opSQL("j.job") + ` AS op, j.job, j.first AS t, 1 AS db, 0 AS dh
    FROM (SELECT export_site, job, min(` + d.us("timestamp") + `) AS first FROM kl_lake_traces
          WHERE source = 'job-log' AND job IS NOT NULL GROUP BY export_site, job) j
    JOIN kl_eval e ON e.export_site = j.export_site WHERE j.first <= ` + d.us(`e.`+d.q("at")+``) + `
    UNION ALL
    SELECT j.export_site, ` + opSQL("j.job") + `, j.job, ` + d.us(`e.`+d.q("at")+``) + `, -1, 0
    FROM (SELECT export_site, job, min(` + d.us("timestamp") + `) AS first FROM kl_lake_traces
          WHERE source = 'job-log' AND job IS NOT NULL GROUP BY export_site, job) j
    JOIN kl_eval e ON e.export_site = j.export_site WHERE j.first <= ` + d.us(`e.`+d.q("at")+``) + `
), jobs AS (
    SELECT DISTINCT export_site, op, job FROM ev
), holes AS (
    SELECT j.export_site, j.op, j.job, c.s AS t, 0 AS db, 1 AS dh FROM jobs j JOIN kl_capped_us c
        ON c.export_site = j.export_site AND ` + opSQL("c.job") + ` = j.op
    UNION ALL
    SELECT j.export_site, j.op, j.job, c.e, 0, -1 FROM jobs j JOIN kl_capped_us c
        ON c.export_site = j.export_site AND ` + opSQL("c.job") + ` = j.op
), seg AS (
` + sweep("SELECT * FROM ev UNION ALL SELECT * FROM holes", "export_site, op, job", "b > 0 AND h = 0") + `
)
` + islands("SELECT export_site, op, s, e FROM seg", "export_site, op", "0") + `;
`
}

// sweep returns a SELECT of the stretches (key..., s, e) where cond holds on the running sums
// b and h of the events (key..., t, db, dh): the boundaries sorted, each stretch between two
// neighbours kept when cond holds after the first (positive lengths only, as intersect and
// subtract keep them).
func sweep(events, key, cond string) string {
	return `    SELECT ` + key + `, t AS s, nt AS e FROM (
        SELECT ` + key + `, t, nt,
               sum(db) OVER (PARTITION BY ` + key + ` ORDER BY t ROWS UNBOUNDED PRECEDING) AS b,
               sum(dh) OVER (PARTITION BY ` + key + ` ORDER BY t ROWS UNBOUNDED PRECEDING) AS h
        FROM (SELECT ` + key + `, t, db, dh, lead(t) OVER (PARTITION BY ` + key + ` ORDER BY t) AS nt
              FROM (SELECT ` + key + `, t, sum(db) AS db, sum(dh) AS dh FROM (` + events + `) ev0 GROUP BY ` + key + `, t) ev1) ev2
    ) ev3 WHERE ` + cond + ` AND nt > t`
}

// islands returns a SELECT merging stretches (key..., s, e) that overlap or lie at most bridge
// (microseconds) apart, as union does.
func islands(src, key, bridge string) string {
	return `SELECT ` + key + `, min(s) AS s, max(e) AS e FROM (
    SELECT ` + key + `, s, e, sum(CASE WHEN pe IS NULL OR s > pe + ` + bridge + ` THEN 1 ELSE 0 END)
           OVER (PARTITION BY ` + key + ` ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island
    FROM (SELECT ` + key + `, s, e, max(e) OVER (PARTITION BY ` + key + ` ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS pe
          FROM (` + src + `) isl0) isl1
) isl2 GROUP BY ` + key + `, island`
}

// emitCheck returns the views of one check: kl_rows_<id> (its query, site-aware) and
// kl_result_<id> (the rule).
func emitCheck(c *Check, d dialect, o EmitOptions, signals map[string]uint32) (string, error) {
	q := c.Query
	if c.Lang == "kql" {
		if o.KQL == nil {
			return "", fmt.Errorf("no KQL translator")
		}
		// a query that depends on the evaluation time (ago(), now()) cannot be one view for
		// every site: translate it at two times and refuse it when they differ
		t0 := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		a, err := o.KQL(c.Query, t0)
		if err != nil {
			return "", fmt.Errorf("KQL: %v", err)
		}
		bq, err := o.KQL(c.Query, t0.Add(time.Hour))
		if err != nil {
			return "", fmt.Errorf("KQL: %v", err)
		}
		if a != bq {
			return "", fmt.Errorf("the KQL query uses ago() or now(): its rows depend on each site's evaluation time")
		}
		q = a
	}
	lifted, err := liftQuery(q, signals, d.spark)
	if err != nil {
		return "", fmt.Errorf("cannot make the query site-aware: %v", err)
	}
	// the columns, read from the DuckDB form (the tokenizer reads DuckDB's string literals)
	duck := lifted
	if d.spark {
		if duck, err = liftQuery(q, signals, false); err != nil {
			return "", err
		}
	}
	cols, err := outputColumns(duck)
	if err != nil {
		return "", err
	}
	if cols["*"] {
		// SELECT * FROM a table (a KQL check's "traces | where ..."): the table's columns
		m := regexp.MustCompile(`(?i)\bFROM\s+kl_lake_(\w+)`).FindStringSubmatch(duck)
		if m == nil {
			return "", fmt.Errorf("the query's columns are not known (SELECT * of no lake table)")
		}
		for _, c := range o.Schema[m[1]] {
			name, _, _ := strings.Cut(c, " ")
			cols[strings.ToLower(name)] = true
		}
	}
	rows := viewName("kl_rows_", c.ID)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s AS\n%s;\n", d.view, rows, lifted)
	// the rows the rule reads: lines after the evaluation time do not count
	col := func(name, def string) string {
		if cols[name] {
			return "r." + name
		}
		return def
	}
	if !cols["timestamp"] && c.Rule.Kind != RuleRows {
		return "", fmt.Errorf("the query returns no timestamp column")
	}
	if !cols["status"] && c.Rule.Kind == RuleRows {
		return "", fmt.Errorf("a 'rows' check's query returns no status column")
	}
	ts := col("timestamp", "CAST(NULL AS TIMESTAMP)")
	norm := fmt.Sprintf(`SELECT r.export_site, %s AS t, CAST(%s AS STRING) AS grp, CAST(%s AS STRING) AS job,
           CAST(%s AS STRING) AS wnd, CAST(%s AS STRING) AS skip_reason, CAST(%s AS STRING) AS covered_by,
           lower(CAST(%s AS STRING)) AS status
    FROM %s r JOIN kl_eval e ON e.export_site = r.export_site
    WHERE %s IS NULL OR %s <= e.`+d.q("at")+``,
		d.us(ts), "coalesce("+col("grp", "''")+", '')", col("job", "NULL"), col("window", "NULL"), col("skip_reason", "NULL"),
		col("covered_by", "NULL"), col("status", "NULL"), rows, ts, ts)
	id := quoteSQL(c.ID)
	fmt.Fprintf(&b, "%s %s AS\nWITH r AS (\n    %s\n)", d.result, viewName("kl_result_", c.ID), norm)
	switch c.Rule.Kind {
	case RuleAny:
		fmt.Fprintf(&b, `, a AS (SELECT export_site, count(t) AS n, min(t) AS f, max(t) AS l FROM r GROUP BY export_site)
SELECT s.export_site AS site, %s AS `+d.q("check")+`, CASE WHEN a.n > 0 THEN 'fail' ELSE 'pass' END AS status,
       coalesce(a.n, 0) AS `+d.q("count")+`, %s AS first_seen, %s AS last_seen
FROM kl_sites s LEFT JOIN a ON a.export_site = s.export_site;
`, id, d.fromUS("CASE WHEN a.n > 0 THEN a.f END"), d.fromUS("CASE WHEN a.n > 0 THEN a.l END"))
	case RuleMoreThan:
		w := c.Rule.Window.Microseconds()
		n := c.Rule.Threshold
		fmt.Fprintf(&b, `, w AS (
    SELECT export_site, grp, t,
           count(*) OVER (PARTITION BY export_site, grp ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND %[1]d FOLLOWING)
             - row_number() OVER (PARTITION BY export_site, grp ORDER BY t) + 1 AS cnt,
           max(t) OVER (PARTITION BY export_site, grp ORDER BY t RANGE BETWEEN CURRENT ROW AND %[1]d FOLLOWING) AS wend,
           lead(t, %[2]d) OVER (PARTITION BY export_site, grp ORDER BY t) AS nth
    FROM r WHERE t IS NOT NULL
), g AS (
    SELECT export_site, grp, max(cnt) AS best, min(CASE WHEN cnt > %[2]d THEN nth END) AS fired,
           max(CASE WHEN cnt > %[2]d THEN wend END) AS lastfire
    FROM w GROUP BY export_site, grp
), whole AS (
    -- with one group (or none) the rule runs on all rows; with several, per group
    SELECT export_site, count(DISTINCT grp) AS groups, min(t) AS f, max(t) AS l FROM r GROUP BY export_site
), a AS (
    SELECT export_site, max(best) AS best, min(fired) AS fired, max(lastfire) AS lastfire FROM g GROUP BY export_site
)
SELECT s.export_site AS site, %[3]s AS `+d.q("check")+`, CASE WHEN a.fired IS NOT NULL THEN 'fail' ELSE 'pass' END AS status,
       coalesce(a.best, 0) AS `+d.q("count")+`,
       %[4]s AS first_seen, %[5]s AS last_seen
FROM kl_sites s LEFT JOIN a ON a.export_site = s.export_site LEFT JOIN whole ON whole.export_site = s.export_site;
`, w-1, n, id,
			d.fromUS("CASE WHEN a.fired IS NOT NULL THEN a.fired WHEN whole.groups <= 1 THEN whole.f END"),
			d.fromUS("CASE WHEN a.fired IS NOT NULL THEN a.lastfire WHEN whole.groups <= 1 THEN whole.l END"))
	case RuleRows:
		fmt.Fprintf(&b, `, a AS (
    SELECT export_site,
           sum(CASE WHEN status = 'fail' THEN 1 ELSE 0 END) AS fails,
           sum(CASE WHEN status = 'unknown' THEN 1 ELSE 0 END) AS unknowns,
           sum(CASE WHEN status = 'skipped' THEN 1 ELSE 0 END) AS skips,
           sum(CASE WHEN status IN ('fail', 'unknown', 'skipped') THEN 0 ELSE 1 END) AS passes,
           min(CASE WHEN status = 'fail' THEN t END) AS f, max(CASE WHEN status = 'fail' THEN t END) AS l
    FROM r GROUP BY export_site
)
SELECT s.export_site AS site, %s AS `+d.q("check")+`,
       CASE WHEN a.fails > 0 THEN 'fail' WHEN a.unknowns > 0 THEN 'unknown'
            WHEN a.skips > 0 AND a.passes = 0 THEN 'skipped' ELSE 'pass' END AS status,
       coalesce(a.fails, 0) AS `+d.q("count")+`, %s AS first_seen, %s AS last_seen
FROM kl_sites s LEFT JOIN a ON a.export_site = s.export_site;
`, id, d.fromUS("a.f"), d.fromUS("a.l"))
	case RuleAtLeastOnePer:
		s, err := atLeastOnePerSQL(c, d)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	default:
		return "", fmt.Errorf("rule %s", c.Rule.Kind)
	}
	return b.String(), nil
}

// windowUS is ParseDuration in SQL, for a query's window column ('24h', '90m', '2d', '45s', or
// seconds as a number), in microseconds.
func windowUS(x string) string {
	return fmt.Sprintf(`CASE WHEN %[1]s IS NULL OR trim(%[1]s) = '' THEN NULL
            WHEN right(trim(%[1]s), 1) = 'h' THEN CAST(CAST(substr(trim(%[1]s), 1, length(trim(%[1]s)) - 1) AS DOUBLE) * 3600000000 AS BIGINT)
            WHEN right(trim(%[1]s), 1) = 'm' THEN CAST(CAST(substr(trim(%[1]s), 1, length(trim(%[1]s)) - 1) AS DOUBLE) * 60000000 AS BIGINT)
            WHEN right(trim(%[1]s), 1) = 'd' THEN CAST(CAST(substr(trim(%[1]s), 1, length(trim(%[1]s)) - 1) AS DOUBLE) * 86400000000 AS BIGINT)
            WHEN right(trim(%[1]s), 1) = 's' THEN CAST(CAST(substr(trim(%[1]s), 1, length(trim(%[1]s)) - 1) AS DOUBLE) * 1000000 AS BIGINT)
            ELSE CAST(CAST(%[1]s AS DOUBLE) * 1000000 AS BIGINT) END`, x)
}

// atLeastOnePerSQL is the at-least-one-per rule (runner.go atLeastOnePer, judgeHeartbeats)
// with the coverage of coverage.go WindowFor and reach.
func atLeastOnePerSQL(c *Check, d dialect) (string, error) {
	if len(c.Jobs) == 0 {
		return "", fmt.Errorf("an at-least-one-per check without jobs is judged on every job's coverage, which is not emitted")
	}
	w := c.Rule.Window.Microseconds()
	var jobRows []string
	for _, j := range c.Jobs {
		jobRows = append(jobRows, "SELECT "+quoteSQL(parse.OperationName(j))+" AS op")
	}
	checkCovered := "NULL"
	if len(c.CoveredBy) > 0 {
		checkCovered = quoteSQL(strings.Join(c.CoveredBy, ","))
	}
	bridge := appLogBridge.Microseconds()
	return fmt.Sprintf(`, g0 AS (
    -- the groups: a skip row skips its group; job, window and covered-by from its rows
    SELECT export_site, grp, min(nullif(job, '')) AS job, max(%[2]s) AS w,
           max(nullif(skip_reason, '')) AS skip, min(nullif(covered_by, '')) AS covered_by,
           count(t) AS beats, max(t) AS last_beat
    FROM r GROUP BY export_site, grp
), g AS (
    SELECT export_site, grp, job, coalesce(w, %[1]d) AS w, skip, coalesce(covered_by, %[3]s) AS covered_by, beats, last_beat FROM g0
    UNION ALL
    -- no row at all: one group for the whole check
    SELECT s.export_site, '', NULL, %[1]d, NULL, %[3]s, 0, NULL FROM kl_sites s
    WHERE NOT EXISTS (SELECT 1 FROM g0 WHERE g0.export_site = s.export_site)
), ops AS (
    SELECT export_site, grp, %[4]s AS op FROM g WHERE job IS NOT NULL AND skip IS NULL
    UNION ALL
    SELECT g.export_site, g.grp, j.op FROM g CROSS JOIN (%[5]s) j WHERE g.job IS NULL AND g.skip IS NULL
), gops AS (
    SELECT o.export_site, o.grp, o.op, g.w, count(*) OVER (PARTITION BY o.export_site, o.grp) AS nops
    FROM (SELECT DISTINCT export_site, grp, op FROM ops) o JOIN g ON g.export_site = o.export_site AND g.grp = o.grp
), app AS (
    -- the job's application-log stretches, gaps shorter than the window joined
    %[6]s
), cov AS (
    -- with the Kudu-log stretches, joined within 15 minutes
    %[7]s
), tpl AS (
    SELECT DISTINCT g.export_site, g.grp, g.w, trim(x.tpl) AS tpl
    FROM g JOIN (SELECT covered_by, %[8]s AS tpl FROM (SELECT DISTINCT covered_by FROM g WHERE covered_by IS NOT NULL) c0) x
        ON x.covered_by = g.covered_by
    WHERE g.skip IS NULL
), reach_pts AS (
    SELECT DISTINCT p.export_site, p.grp, p.w, %[9]s AS ts
    FROM tpl p JOIN kl_lake_traces t ON t.export_site = p.export_site AND t.template = p.tpl
    JOIN kl_eval e ON e.export_site = t.export_site
    WHERE t.timestamp <= e.`+d.q("at")+` AND %[10]s IN (SELECT op FROM ops o WHERE o.export_site = p.export_site AND o.grp = p.grp)
), reach AS (
    -- where the job got as far as the covered-by lines (gaps of a window or more split it)
    SELECT export_site, grp, min(ts) AS s, max(ts) AS e FROM (
        SELECT export_site, grp, ts, sum(CASE WHEN prev IS NULL OR ts - prev >= w THEN 1 ELSE 0 END)
               OVER (PARTITION BY export_site, grp ORDER BY ts ROWS UNBOUNDED PRECEDING) AS island
        FROM (SELECT export_site, grp, w, ts, lag(ts) OVER (PARTITION BY export_site, grp ORDER BY ts) AS prev FROM reach_pts) r0
    ) r1 GROUP BY export_site, grp, island
), gk AS (
    SELECT o.export_site, o.grp, max(o.nops) AS nops, max(CASE WHEN g.covered_by IS NULL THEN 0 ELSE 1 END) AS hascov
    FROM gops o JOIN g ON g.export_site = o.export_site AND g.grp = o.grp GROUP BY o.export_site, o.grp
), ev AS (
    SELECT c.export_site, c.grp, k.nops, k.hascov, c.s AS t, 1 AS db, 0 AS dh FROM cov c JOIN gk k ON k.export_site = c.export_site AND k.grp = c.grp
    UNION ALL SELECT c.export_site, c.grp, k.nops, k.hascov, c.e, -1, 0 FROM cov c JOIN gk k ON k.export_site = c.export_site AND k.grp = c.grp
    UNION ALL SELECT r.export_site, r.grp, k.nops, k.hascov, r.s, 0, 1 FROM reach r JOIN gk k ON k.export_site = r.export_site AND k.grp = r.grp
    UNION ALL SELECT r.export_site, r.grp, k.nops, k.hascov, r.e, 0, -1 FROM reach r JOIN gk k ON k.export_site = r.export_site AND k.grp = r.grp
), seg AS (
    -- covered: by the stretches of every job of the group, and where the covered-by lines reach
%[11]s
), cover AS (
    %[12]s
), beats AS (
    SELECT r.export_site, r.grp, r.t FROM r JOIN g ON g.export_site = r.export_site AND g.grp = r.grp
    WHERE r.t IS NOT NULL AND g.skip IS NULL
), pts AS (
    SELECT export_site, grp, s, e, s AS p FROM cover
    UNION ALL SELECT export_site, grp, s, e, e FROM cover
    UNION ALL SELECT c.export_site, c.grp, c.s, c.e, b.t FROM cover c JOIN beats b
        ON b.export_site = c.export_site AND b.grp = c.grp AND b.t >= c.s AND b.t <= c.e
), gaps AS (
    SELECT export_site, grp, p AS gs, lead(p) OVER (PARTITION BY export_site, grp, s ORDER BY p) AS ge FROM pts
), failing AS (
    SELECT x.export_site, x.grp, x.gs, x.ge,
           row_number() OVER (PARTITION BY x.export_site, x.grp ORDER BY x.ge - x.gs DESC, x.gs) AS longest
    FROM gaps x JOIN g ON g.export_site = x.export_site AND g.grp = x.grp
    WHERE x.ge - x.gs >= g.w
), judged AS (
    SELECT g.export_site, g.grp, g.skip IS NOT NULL AS skipped, g.beats,
           (SELECT min(f.gs) FROM failing f WHERE f.export_site = g.export_site AND f.grp = g.grp) + g.w AS fired,
           (SELECT max(f.ge) FROM failing f WHERE f.export_site = g.export_site AND f.grp = g.grp AND f.longest = 1) AS gap_end,
           coalesce((SELECT max(c.e - c.s) FROM cover c WHERE c.export_site = g.export_site AND c.grp = g.grp), 0) >= g.w
             OR g.last_beat IS NOT NULL AND %[13]s - g.last_beat < g.w AS holds
    FROM g
), a AS (
    SELECT export_site,
           sum(CASE WHEN NOT skipped AND fired IS NOT NULL THEN 1 ELSE 0 END) AS fails,
           sum(CASE WHEN NOT skipped AND fired IS NULL AND NOT holds THEN 1 ELSE 0 END) AS unknowns,
           sum(CASE WHEN NOT skipped AND fired IS NULL AND holds THEN 1 ELSE 0 END) AS passes,
           sum(CASE WHEN skipped THEN 1 ELSE 0 END) AS skips,
           sum(CASE WHEN skipped THEN 0 ELSE beats END) AS beats,
           min(CASE WHEN NOT skipped THEN fired END) AS f, max(CASE WHEN NOT skipped THEN gap_end END) AS l
    FROM judged GROUP BY export_site
)
SELECT s.export_site AS site, %[14]s AS `+d.q("check")+`,
       CASE WHEN a.fails > 0 THEN 'fail' WHEN a.unknowns > 0 THEN 'unknown'
            WHEN a.passes = 0 AND a.skips > 0 THEN 'skipped' ELSE 'pass' END AS status,
       coalesce(a.beats, 0) AS `+d.q("count")+`,
       %[15]s AS first_seen, %[16]s AS last_seen
FROM kl_sites s LEFT JOIN a ON a.export_site = s.export_site;
`, w, windowUS("wnd"), checkCovered, opSQL("job"), strings.Join(jobRows, " UNION ALL "),
		islands(`SELECT a.export_site, o.grp, o.op, o.w, a.s, a.e FROM kl_cov_app a JOIN gops o ON o.export_site = a.export_site AND o.op = a.op`,
			"export_site, grp, op, w", "greatest(w - 1000000, 0)"),
		islands(`SELECT export_site, grp, op, s, e FROM app UNION ALL
              SELECT o.export_site, o.grp, o.op, j.s, j.e FROM kl_cov_joblog j JOIN gops o ON o.export_site = j.export_site AND o.op = j.op`,
			"export_site, grp, op", fmt.Sprint(bridge)),
		d.split("covered_by"),
		d.us("t.timestamp"), opSQL("t.operation_Name"),
		sweep("SELECT * FROM ev", "export_site, grp, nops, hascov", "b = nops AND (hascov = 0 OR h > 0)"),
		islands("SELECT export_site, grp, s, e FROM seg", "export_site, grp", "0"),
		d.us(`(SELECT max(e.`+d.q("at")+`) FROM kl_eval e WHERE e.export_site = g.export_site)`),
		quoteSQL(c.ID), d.fromUS("CASE WHEN a.fails > 0 THEN a.f END"), d.fromUS("CASE WHEN a.fails > 0 THEN a.l END")), nil
}

// outputColumns names the columns a lifted query returns (lower-cased): the names of its first
// SELECT's items (alias, or column name).
func outputColumns(query string) (map[string]bool, error) {
	nodes, err := parseSQLTree(query)
	if err != nil {
		return nil, err
	}
	// skip a WITH clause: up to the first top-level SELECT
	i := 0
	for i < len(nodes) && nodes[i].word() != "SELECT" {
		i++
	}
	if i == len(nodes) {
		return nil, fmt.Errorf("no SELECT")
	}
	// a per-site LIMIT wraps the query as SELECT * FROM (...): look inside
	if i+3 < len(nodes) && nodes[i+1].is("*") && nodes[i+2].word() == "FROM" && nodes[i+3].isGroup() {
		var b strings.Builder
		renderSQL(&b, nodes[i+3].kids)
		return outputColumns(b.String())
	}
	j := i + 1
	if j < len(nodes) && nodes[j].word() == "DISTINCT" {
		j++
	}
	e := j
	for e < len(nodes) && !isClauseAt(nodes, e) {
		e++
	}
	out := map[string]bool{}
	for _, item := range splitTop(nodes[j:e], ",") {
		if len(item) == 0 {
			continue
		}
		last := item[len(item)-1]
		if last.is("*") {
			out["*"] = true
		}
		if last.tok != nil && (last.tok.kind == 'w' || last.tok.kind == 'q') {
			out[strings.ToLower(strings.Trim(last.tok.text, `"`))] = true
		}
	}
	return out, nil
}

// writeNotEmitted lists the checks left out, with why, as comments (comment is the
// dialect's line comment) in id order.
func writeNotEmitted(b *strings.Builder, notEmitted map[string]string, comment, what string) {
	fmt.Fprintf(b, "%s NOT EMITTED (diagnose runs them; %s):\n", comment, what)
	ids := make([]string, 0, len(notEmitted))
	for id := range notEmitted {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(b, "%s   %s: %s\n", comment, id, strings.ReplaceAll(notEmitted[id], "\n", " "))
	}
}
