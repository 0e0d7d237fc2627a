package sql

import (
	gosql "database/sql"
	"fmt"
	"strings"
	"time"
)

// A check's query may match millions of lines (a crafted bundle: one line repeated a million
// times), and a report shows a count, a window and a few lines. So the rows of a large result
// stay in DuckDB (a small one is judged in Go: fewrows.go): each rule is one query over the
// check's query, which reads what the report shows (counts and windows as SQL aggregates, the
// evidence as the few rows it names). The memory a check takes in Go does not grow with its
// matches, and DuckDB spills under its memory limit.
//
// The check's query becomes a CTE, kl_rows, with its columns brought to the names and types
// the rules know: ord (the row's place in the query's output: ties in time keep that order, as
// a stable sort by time would), ts, grp, job, file, line, message, win, skip, cov, status.
// Absent columns are NULL, text columns '' for NULL, as the rules read them. Rows after the
// evaluation time, or before --since, are left out: they do not count.
//
// The rules of time (any, more-than, at-least-one-per) order rows by ts, then file and line,
// then ord: lines of the same second are taken in file order. The output order of a query
// without ORDER BY is the order of the rows in the table, which depends on how the load went
// (a large file loads on two lanes): ord alone chose other evidence lines from run to run.

// checkRows is a check's query as the CTE kl_rows.
type checkRows struct {
	body string // the CTE's query
}

// with prefixes the CTE to rest, a SELECT or further CTEs ("name AS (...), ... SELECT ...").
// kl_rows is materialized: the rules read it more than once.
func (q checkRows) with(rest string) string {
	sep := ",\n"
	if strings.HasPrefix(rest, "SELECT") {
		sep = "\n"
	}
	return "WITH kl_rows AS MATERIALIZED (" + q.body + ")" + sep + rest
}

// sqlRows builds kl_rows from the check's query (q, in DuckDB SQL) and its columns (rc); the
// query runs as part of each rule's query.
func (e *evaluator) sqlRows(q string, rc resultCols) checkRows {
	text := func(name string) string {
		if ct, ok := rc.col(name); ok {
			return fmt.Sprintf("coalesce(CAST(kl_query.%s AS VARCHAR), '')", quoteIdent(ct.name))
		}
		return "''"
	}
	ts := "NULL::TIMESTAMP"
	if ct, ok := rc.col("timestamp"); ok && ct.isTime() {
		ts = fmt.Sprintf("CAST(kl_query.%s AS TIMESTAMP)", quoteIdent(ct.name))
	}
	line := "NULL::BIGINT"
	if ct, ok := rc.col("line"); ok && ct.isInteger() {
		line = fmt.Sprintf("CAST(kl_query.%s AS BIGINT)", quoteIdent(ct.name))
	}
	win := "NULL::VARCHAR"
	if ct, ok := rc.col("window"); ok {
		win = fmt.Sprintf("CAST(kl_query.%s AS VARCHAR)", quoteIdent(ct.name))
		if ct.isInteger() { // seconds
			win = fmt.Sprintf("CAST(kl_query.%s AS VARCHAR) || 's'", quoteIdent(ct.name))
		}
	}
	status := "''"
	if ct, ok := rc.col("status"); ok {
		status = fmt.Sprintf("lower(coalesce(CAST(kl_query.%s AS VARCHAR), ''))", quoteIdent(ct.name))
	}
	// row_number() OVER () numbers the rows in the order the query gives them.
	body := fmt.Sprintf(`SELECT * FROM (
    SELECT row_number() OVER () AS ord, %s AS ts, %s AS grp, %s AS job, %s AS file, %s AS line, %s AS message,
        %s AS win, %s AS skip, %s AS cov, %s AS status
    FROM (
%s
    ) kl_query
) WHERE ts IS NULL OR (ts <= %s AND ts >= %s)`,
		ts, text("grp"), text("job"), text("file"), line, text("message"), win, text("skip_reason"), text("covered_by"), status,
		q, timeLiteral(e.at), timeLiteral(e.sinceOrMin()))
	return checkRows{body: body}
}

// sinceOrMin is --since, or the least time when there is none.
func (e *evaluator) sinceOrMin() time.Time {
	if e.since.IsZero() {
		return time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return e.since
}

// resultCols are the columns of a check's result, as the query gave them (rows.ColumnTypes).
type resultCols struct {
	names  []string           // as written, in order
	byName map[string]colType // by lower-case name, the first of a name
}

func newResultCols(rs *gosql.Rows) (resultCols, error) {
	types, err := rs.ColumnTypes()
	if err != nil {
		return resultCols{}, err
	}
	rc := resultCols{byName: map[string]colType{}}
	for _, t := range types {
		rc.add(t.Name(), t.DatabaseTypeName())
	}
	return rc, nil
}

// add appends the next column of the result; a name taken already (in any case) stays the
// first column's.
func (rc *resultCols) add(name, typ string) {
	if _, dup := rc.byName[strings.ToLower(name)]; !dup {
		rc.byName[strings.ToLower(name)] = colType{name: name, typ: strings.ToUpper(typ), idx: len(rc.names)}
	}
	rc.names = append(rc.names, name)
}

// describe returns the columns of q's result without running it.
func (e *evaluator) describe(q string) (resultCols, error) {
	rc := resultCols{byName: map[string]colType{}}
	err := scanRows(e.ctx, e.conn, "DESCRIBE "+q, func(r *gosql.Rows) error {
		var name, typ string
		var rest [4]any // null, key, default, extra
		if err := r.Scan(&name, &typ, &rest[0], &rest[1], &rest[2], &rest[3]); err != nil {
			return err
		}
		rc.add(name, typ)
		return nil
	})
	return rc, err
}

// col returns the column the rules read as name. A query over a table as it is (a KQL check's
// "traces | where ...") names provenance source_file and line_no.
func (rc resultCols) col(name string) (colType, bool) {
	ct, ok := rc.byName[name]
	if !ok {
		switch name {
		case "file":
			ct, ok = rc.byName["source_file"]
		case "line":
			ct, ok = rc.byName["line_no"]
		}
	}
	return ct, ok
}

// check says what a rule needs of the columns and the query lacks.
func (rc resultCols) check(c *Check) error {
	if _, ok := rc.col("timestamp"); !ok && c.Rule.Kind != RuleRows {
		return fmt.Errorf("the query must return a timestamp column (it returns %s)", strings.Join(rc.names, ", "))
	}
	if _, ok := rc.col("status"); !ok && c.Rule.Kind == RuleRows {
		return fmt.Errorf("a 'rows' check must return a status column (it returns %s)", strings.Join(rc.names, ", "))
	}
	return nil
}

// timeLiteral writes t as a DuckDB TIMESTAMP literal.
func timeLiteral(t time.Time) string {
	return "TIMESTAMP '" + t.UTC().Format("2006-01-02 15:04:05.999999") + "'"
}

// colType is a column of a check's result: its name as written, its DuckDB type and its place.
type colType struct {
	name, typ string
	idx       int
}

func (c colType) isTime() bool {
	return strings.HasPrefix(c.typ, "TIMESTAMP") || c.typ == "DATE"
}

func (c colType) isInteger() bool {
	switch c.typ {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT":
		return true
	}
	return false
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// scanRow reads the common columns of a rule's query: ord, ts, grp, job, file, line, message
// (in this order, first in the select list), then extra.
func scanRow(r *gosql.Rows, x *row, extra ...any) error {
	var ord int64 // the rules order by it in SQL; Go needs only the order rows come in
	var ts gosql.NullTime
	var line gosql.NullInt64
	dest := append([]any{&ord, &ts, &x.grp, &x.job, &x.file, &line, &x.message}, extra...)
	if err := r.Scan(dest...); err != nil {
		return err
	}
	if ts.Valid {
		t := ts.Time.UTC()
		x.time = &t
	}
	x.line = line.Int64
	return nil
}

// rowCols is the select list scanRow reads.
const rowCols = "ord, ts, grp, job, file, line, message"

// anyRows judges an any rule: the number of matches, the first and the last, and the first
// rows in time as the evidence, in one query. It is moreThanRows without a window and without
// groups, whose windows and joins cost DuckDB ~3 ms of planning per check (of 11 any checks
// out of 25) and read kl_rows three times.
func (e *evaluator) anyRows(c *Check, rows checkRows, r *Result) error {
	// kl_rows is read once here: not materialized, DuckDB plans it with the query
	q := "WITH kl_rows AS (" + rows.body + `)
SELECT ` + rowCols + `, count(*) OVER (), min(ts) OVER (), max(ts) OVER ()
FROM kl_rows WHERE ts IS NOT NULL
ORDER BY ts, file, line, ord LIMIT $1`
	var n int64
	var first, last gosql.NullTime
	err := scanRows(e.ctx, e.conn, q, func(rs *gosql.Rows) error {
		var x row
		if err := scanRow(rs, &x, &n, &first, &last); err != nil {
			return err
		}
		r.Evidence = append(r.Evidence, e.evidence(x))
		return nil
	}, e.maxEvidence)
	if err != nil {
		return err
	}
	e.judgeAny(c, r, n, utcPtr(first), utcPtr(last))
	return nil
}

// judgeAny completes an any rule's result from the number of matches (n) and the first and
// last time; the evidence is in r.
func (e *evaluator) judgeAny(c *Check, r *Result, n int64, first, last *time.Time) {
	r.Status = StatusPass
	if n == 0 {
		r.Detail = "no matching lines; " + e.cov.Describe(c.Jobs)
		return
	}
	r.Count, r.Status = n, StatusFail
	r.FirstSeen, r.LastSeen = first, last
	r.Detail = fmt.Sprintf("%d matching lines from %s to %s", n, FormatTime(*r.FirstSeen), FormatTime(*r.LastSeen))
}

// moreThanRows judges a more-than rule in SQL: per group (grp), the number of matches, the
// largest count within a sliding window of w (w > 0: ParseDuration), and the first window
// holding more than n (its first rows are the evidence). Groups come by name, as the groups of
// at-least-one-per do: the order the query gave them depended on the order of the rows in
// the table.
func (e *evaluator) moreThanRows(c *Check, rows checkRows, r *Result, n int64, w time.Duration) error {
	// The count of row i: rows from i on less than w after it. Ties in time share their count
	// (RANGE), which equals the count of the first of them, the only one that matters: the
	// largest count and the first firing row are always the first of their ties.
	frame := fmt.Sprintf("RANGE BETWEEN CURRENT ROW AND INTERVAL '%d microseconds' FOLLOWING", w.Microseconds()-1)
	q := rows.with(fmt.Sprintf(`s AS (
    SELECT %[1]s, grp AS part,
        row_number() OVER (PARTITION BY grp ORDER BY ts, file, line, ord) AS idx,
        count(*) OVER (PARTITION BY grp ORDER BY ts %[2]s) AS cnt,
        max(ts) OVER (PARTITION BY grp ORDER BY ts %[2]s) AS reach
    FROM kl_rows WHERE ts IS NOT NULL
), g AS (
    -- every group, also one whose rows have no time (it reports no matches)
    SELECT DISTINCT grp AS part FROM kl_rows
), a AS (
    SELECT part, count(*) AS n, max(cnt) AS best, min(ts) AS first_ts, max(ts) AS last_ts,
        min(idx) FILTER (WHERE cnt > $1) AS fire, max(reach) FILTER (WHERE cnt > $1) AS last_fire
    FROM s GROUP BY part
)
SELECT g.part, coalesce(a.n, 0), coalesce(a.best, 0), a.first_ts, a.last_ts, a.fire, a.last_fire,
    s.idx, s.cnt, %[3]s
FROM g LEFT JOIN a USING (part)
LEFT JOIN s ON s.part = g.part AND (s.idx BETWEEN coalesce(a.fire, 1) AND coalesce(a.fire, 1) + $2 - 1 OR s.idx = a.fire + $1)
ORDER BY g.part, s.idx`, rowCols, frame, prefixed("s.", rowCols)))
	var groups []*fireGroup
	err := scanRows(e.ctx, e.conn, q, func(rs *gosql.Rows) error {
		var name string
		var nn, best int64
		var first, last, lastFire gosql.NullTime
		var fire, idx, cnt gosql.NullInt64
		var x row
		var ord gosql.NullInt64
		var ts gosql.NullTime
		var grp, job, file, msg gosql.NullString
		var line gosql.NullInt64
		if err := rs.Scan(&name, &nn, &best, &first, &last, &fire, &lastFire, &idx, &cnt,
			&ord, &ts, &grp, &job, &file, &line, &msg); err != nil {
			return err
		}
		if len(groups) == 0 || groups[len(groups)-1].name != name {
			groups = append(groups, &fireGroup{name: name, n: nn, best: best, first: utcPtr(first), last: utcPtr(last),
				lastFire: utcPtr(lastFire), fire: fire.Int64})
		}
		g := groups[len(groups)-1]
		if !idx.Valid {
			return nil
		}
		x.time, x.grp, x.job, x.file, x.line, x.message = utcPtr(ts), grp.String, job.String, file.String, line.Int64, msg.String
		g.rows, g.idx, g.cnt = append(g.rows, x), append(g.idx, idx.Int64), append(g.cnt, cnt.Int64)
		return nil
	}, n, e.maxEvidence)
	if err != nil {
		return err
	}
	e.judgeMoreThan(c, r, groups, n, w)
	return nil
}

// fireGroup is what a more-than rule reads of a group: the number of matches (n), the largest
// count within a window (best), the first and last time, the place (1-based, in time order) of
// the first row whose window holds more than the threshold (fire, 0 for none) and the end of
// the last such window; and the rows the result shows, with their places and counts: the
// first rows from fire on (or from the first, for none) and the one that made it fire.
type fireGroup struct {
	name                  string
	n, best               int64
	first, last, lastFire *time.Time
	fire                  int64
	rows                  []row
	idx, cnt              []int64
}

// judgeMoreThan judges a more-than rule (threshold n, window w) from its groups, by name.
func (e *evaluator) judgeMoreThan(c *Check, r *Result, groups []*fireGroup, n int64, w time.Duration) {
	judge := func(g *fireGroup, r *Result) {
		r.Status = StatusPass
		if g.n == 0 {
			r.Detail = "no matching lines; " + e.cov.Describe(c.Jobs)
			return
		}
		r.Count = g.best
		if g.fire > 0 {
			// The evidence is the first window that fired: it shows when the problem started.
			var fireLen int64
			for i, idx := range g.idx {
				if idx == g.fire {
					fireLen = g.cnt[i]
				}
			}
			for i, idx := range g.idx {
				if idx == g.fire+n {
					r.FirstSeen = g.rows[i].time
				}
				if idx < g.fire+min(fireLen, int64(e.maxEvidence)) {
					r.Evidence = append(r.Evidence, e.evidence(g.rows[i]))
				}
			}
			r.Status = StatusFail
			r.LastSeen = g.lastFire
			r.Detail = fmt.Sprintf("up to %d matches within %s (threshold %d); fired first at %s, last at %s; %d matches in all",
				g.best, FormatDuration(w), n, FormatTime(*r.FirstSeen), FormatTime(*r.LastSeen), g.n)
			return
		}
		r.FirstSeen, r.LastSeen = g.first, g.last
		r.Detail = fmt.Sprintf("at most %d matches within %s (threshold %d); %d in all", g.best, FormatDuration(w), n, g.n)
	}
	if len(groups) == 0 {
		groups = append(groups, &fireGroup{})
	}
	if len(groups) == 1 {
		judge(groups[0], r)
		return
	}
	names := make([]string, len(groups))
	results := make([]Result, len(groups))
	for i, g := range groups {
		names[i], results[i] = g.name, Result{Evidence: []Evidence{}}
		judge(g, &results[i])
	}
	combineGroups(r, names, results)
}

// combineGroups makes r of the results of a more-than check's groups, each judged on its own:
// the check fails when any group fires, with the evidence of the one that fired first.
func combineGroups(r *Result, names []string, results []Result) {
	var details []string
	r.Status = StatusPass
	for i, gr := range results {
		details = append(details, names[i]+": "+gr.Detail)
		r.Count = max(r.Count, gr.Count)
		if gr.Status != StatusFail {
			continue
		}
		if r.Status != StatusFail || gr.FirstSeen.Before(*r.FirstSeen) {
			r.FirstSeen, r.Evidence = gr.FirstSeen, gr.Evidence
		}
		if r.LastSeen == nil || gr.LastSeen.After(*r.LastSeen) {
			r.LastSeen = gr.LastSeen
		}
		r.Status = StatusFail
	}
	r.Detail = strings.Join(details, "; ")
}

// prefixed qualifies each column of a select list.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i, c := range parts {
		parts[i] = p + c
	}
	return strings.Join(parts, ", ")
}

func utcPtr(t gosql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// heartbeatGroups reads the groups of an at-least-one-per check and the heartbeats its rule
// needs: of the heartbeats in each stretch of half the shortest window, the first and the
// last. That keeps every gap of a window or more exactly (its two ends are the last heartbeat
// of one stretch and the first of a later one), and every other gap stays shorter than a
// window; the last heartbeat, and the one before each gap, are kept with their lines.
func (e *evaluator) heartbeatGroups(c *Check, rows checkRows) (map[string]*group, []string, error) {
	// Rows may name their group's window (a window column), and the stretch is half the
	// shortest of all. The query reads them with the rule's window first and returns the
	// windows the rows name: one shorter than the rule's (rare) reads again with it. (A first
	// query for the windows alone held the check's rows in a temporary table so as not to run
	// the check's query twice: section-import-missing on the 200 MB bench log, ~20 ms to write
	// its 60 k rows.)
	shortest := c.Rule.Window
	for {
		groups, order, windows, err := e.heartbeats(c, rows, shortest)
		if err != nil {
			return groups, order, err
		}
		least := shortest
		for _, w := range strings.Split(windows, ",") {
			if d, err := ParseDuration(w); err == nil {
				least = min(least, d)
			}
		}
		if least >= shortest {
			return groups, order, nil
		}
		shortest = least
	}
}

// heartbeats is one read of heartbeatGroups with stretches of half of shortest; windows are
// the windows the rows name, comma-separated.
func (e *evaluator) heartbeats(c *Check, rows checkRows, shortest time.Duration) (map[string]*group, []string, string, error) {
	window := func(win gosql.NullString) (time.Duration, bool) {
		d, err := ParseDuration(win.String)
		return d, win.Valid && err == nil
	}
	groups := map[string]*group{}
	var order []string
	var windows string
	err := scanRows(e.ctx, e.conn, rows.with(fmt.Sprintf(`g AS (
    SELECT grp,
        arg_min(job, ord) FILTER (WHERE job <> '') AS g_job,
        arg_max(win, ord) FILTER (WHERE win IS NOT NULL AND win <> '') AS g_win,
        arg_min(cov, ord) FILTER (WHERE cov <> '') AS g_cov,
        arg_max(skip, ord) FILTER (WHERE skip <> '') AS g_skip,
        count(*) FILTER (WHERE skip = '' AND ts IS NOT NULL) AS g_beats
    FROM kl_rows GROUP BY grp
), w AS (
    -- a duration has no comma
    SELECT coalesce(string_agg(DISTINCT win, ',') FILTER (WHERE win <> ''), '') AS windows FROM kl_rows
), ends AS (
    -- the first and the last heartbeat of each stretch: the least and the greatest (ts, file,
    -- line, ord)
    -- per group and stretch, as aggregates (section-import-missing on the 200 MB bench log,
    -- DuckDB's operator times: two window sorts over its 60 k heartbeats ~60 ms, the
    -- aggregate and the second read of kl_rows ~25 ms)
    SELECT unnest([arg_min(ord, (ts, file, line, ord)), arg_max(ord, (ts, file, line, ord))]) AS ord
    FROM kl_rows WHERE skip = '' AND ts IS NOT NULL
    GROUP BY grp, floor(epoch_us(ts) / $1)
), b AS (
    SELECT * FROM kl_rows WHERE ord IN (SELECT ord FROM ends)
)
SELECT g.grp, g_job, g_win, g_cov, g_skip, g_beats, w.windows, %s
FROM g CROSS JOIN w LEFT JOIN b USING (grp)
ORDER BY g.grp, b.ts, b.file, b.line, b.ord`, prefixed("b.", rowCols))), func(rs *gosql.Rows) error {
		var name string
		var job, win, cov, skip gosql.NullString
		var beats int64
		var ord, line gosql.NullInt64
		var ts gosql.NullTime
		var grp, bjob, file, msg gosql.NullString
		if err := rs.Scan(&name, &job, &win, &cov, &skip, &beats, &windows, &ord, &ts, &grp, &bjob, &file, &line, &msg); err != nil {
			return err
		}
		g := groups[name]
		if g == nil {
			g = &group{name: name, job: job.String, window: c.Rule.Window, skip: skip.String, count: beats}
			if d, ok := window(win); ok {
				g.window = d
			}
			if cov.String != "" {
				if ids, err := parseTemplateList(cov.String); err == nil {
					g.coveredBy = ids
				}
			}
			groups[name] = g
			order = append(order, name)
		}
		if ord.Valid {
			g.beats = append(g.beats, row{time: utcPtr(ts), grp: grp.String, job: bjob.String,
				file: file.String, line: line.Int64, message: msg.String})
		}
		return nil
	}, max(shortest.Microseconds()/2, 1))
	return groups, order, windows, err
}

// judgeRows reads a 'rows' check: each row carries its status; per status the count, the
// first and last few messages (summarize), and the first failing rows as evidence.
func (e *evaluator) judgeRows(rows checkRows, r *Result) error {
	const keep = rowsKeep
	q := rows.with(fmt.Sprintf(`SELECT %s, kind, n, first_fail, last_fail FROM (
    SELECT *,
        row_number() OVER (PARTITION BY kind ORDER BY ord) AS rn,
        row_number() OVER (PARTITION BY kind ORDER BY ord DESC) AS rd,
        count(*) OVER (PARTITION BY kind) AS n,
        min(ts) OVER (PARTITION BY kind) AS first_fail,
        max(ts) OVER (PARTITION BY kind) AS last_fail
    FROM (SELECT *, CASE WHEN status IN ('fail', 'unknown', 'skipped') THEN status ELSE 'pass' END AS kind FROM %s)
) WHERE rn <= $1 OR rd <= $2
ORDER BY kind, ord`, rowCols, "kl_rows"))
	kinds := map[Status]*kindRows{}
	err := scanRows(e.ctx, e.conn, q, func(rs *gosql.Rows) error {
		var x row
		var kind string
		var n int64
		var first, last gosql.NullTime
		if err := scanRow(rs, &x, &kind, &n, &first, &last); err != nil {
			return err
		}
		k := kinds[Status(kind)]
		if k == nil {
			k = &kindRows{n: n}
			kinds[Status(kind)] = k
		}
		k.msgs = append(k.msgs, x.message)
		if Status(kind) == StatusFail {
			r.Count = n
			r.FirstSeen, r.LastSeen = utcPtr(first), utcPtr(last)
			if len(r.Evidence) < e.maxEvidence && len(k.msgs) <= e.maxEvidence {
				r.Evidence = append(r.Evidence, e.evidence(x))
			}
		}
		return nil
	}, max(keep, e.maxEvidence), keep)
	if err != nil {
		return err
	}
	judgeKinds(r, kinds)
	return nil
}

// rowsKeep is how many of the first and of the last messages of a kind a rows rule shows.
const rowsKeep = 3

// kindRows are the rows of one status of a 'rows' check: how many, and the messages of the
// first max(rowsKeep, maxEvidence) and of the last rowsKeep, in the query's order.
type kindRows struct {
	n    int64
	msgs []string
}

// judgeKinds completes a 'rows' check's result from its rows by status; the count, times and
// evidence of the failing rows are in r.
func judgeKinds(r *Result, kinds map[Status]*kindRows) {
	const keep = rowsKeep
	r.Status = StatusPass
	// The rows of a kind came as the first max(keep, maxEvidence) and the last keep: summarize
	// wants the first and last keep of all of them.
	sum := func(s Status) string {
		k := kinds[s]
		if k == nil {
			return ""
		}
		if k.n <= 2*keep {
			return strings.Join(k.msgs, "; ")
		}
		return fmt.Sprintf("%s; ... %d more ...; %s", strings.Join(k.msgs[:keep], "; "), k.n-2*keep,
			strings.Join(k.msgs[len(k.msgs)-keep:], "; "))
	}
	switch {
	case kinds[StatusFail] != nil:
		r.Status, r.Detail = StatusFail, sum(StatusFail)
	case kinds[StatusUnknown] != nil:
		r.Status, r.Reason = StatusUnknown, sum(StatusUnknown)
	case kinds[StatusSkipped] != nil && kinds[StatusPass] == nil:
		r.Status, r.Reason = StatusSkipped, sum(StatusSkipped)
	default:
		r.Detail = sum(StatusPass)
		if kinds[StatusSkipped] != nil {
			r.Detail = strings.TrimPrefix(r.Detail+"; skipped "+sum(StatusSkipped), "; ")
		}
	}
}
