package sql

import (
	"context"
	gosql "database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// The rules read a large result of a check in DuckDB (rows.go) and a small one in Go
// (fewrows.go). These tests hold both ways to the Go implementation the SQL replaced (kept
// below as the reference: it read every row), on random rows: ties in time, groups, rows
// without a time, skip reasons, per-row windows and coverage with holes, so that the thinning
// of heartbeats and the window counts in SQL, and their twins in Go, give the same results,
// evidence and details.

func TestRulesInSQLMatchReference(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := memoryConn(t)
	base := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for seed := range uint64(60) {
		rng := rand.New(rand.NewPCG(seed, 7))
		rows := randomRows(rng, base)
		if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TABLE t (k INTEGER, timestamp TIMESTAMP, grp VARCHAR, job VARCHAR,
			file VARCHAR, line BIGINT, message VARCHAR, skip_reason VARCHAR, "window" VARCHAR, status VARCHAR)`); err != nil {
			t.Fatal(err)
		}
		if len(rows) > 0 {
			// one statement: a row at a time made this test take a minute
			var vals []string
			for i, x := range rows {
				ts := "NULL"
				if x.time != nil {
					ts = "TIMESTAMP '" + x.time.Format("2006-01-02 15:04:05") + "'"
				}
				win := "NULL"
				if x.window > 0 {
					win = "'" + FormatDuration(x.window) + "'"
				}
				skip := "NULL"
				if x.skipReason != "" {
					skip = "'" + x.skipReason + "'"
				}
				vals = append(vals, fmt.Sprintf("(%d, %s, '%s', '%s', '%s', %d, '%s', %s, %s, '%s')",
					i, ts, x.grp, x.job, x.file, x.line, x.message, skip, win, x.status))
			}
			if _, err := conn.ExecContext(ctx, "INSERT INTO t VALUES "+strings.Join(vals, ", ")); err != nil {
				t.Fatal(err)
			}
		}
		at := base.Add(time.Duration(rng.IntN(72)) * time.Hour)
		var since time.Time
		if rng.IntN(3) == 0 {
			since = base.Add(time.Duration(rng.IntN(24)) * time.Hour)
		}
		cov := randomCoverage(rng, base, "Office365ActivityImporter")
		maxEv := 1 + rng.IntN(6)
		inSQL := &evaluator{ctx: ctx, conn: conn, at: at, since: since, cov: cov, maxEvidence: maxEv, goRows: -1}
		inGo := *inSQL
		inGo.goRows = 0
		ref := &refEval{at: at, since: since, cov: cov, maxEvidence: maxEv}
		kept := ref.filter(rows)
		w := time.Duration(1+rng.IntN(180)) * time.Minute
		for _, rule := range []Rule{
			{Kind: RuleMoreThan, Threshold: int64(rng.IntN(5)), Window: w},
			{Kind: RuleAny},
			{Kind: RuleAtLeastOnePer, Window: w},
			{Kind: RuleRows},
		} {
			c := &Check{ID: "c", Title: "a check", Rule: rule, Jobs: []string{"Office365ActivityImporter"},
				Query: "SELECT timestamp, grp, job, file, line, message, skip_reason, \"window\", status FROM t ORDER BY k"}
			want := Result{ID: c.ID, Title: c.Title, Threshold: c.Rule.ThresholdText(), Evidence: []Evidence{}}
			switch rule.Kind {
			case RuleMoreThan:
				ref.moreThanByGroup(c, kept, &want)
			case RuleAny:
				ref.moreThan(c, kept, &want, 0, 0)
			case RuleAtLeastOnePer:
				groups, order := ref.heartbeats(c, kept)
				inSQL.judgeGroups(c, &want, groups, order)
			case RuleRows:
				ref.judgedRows(kept, &want)
			}
			for _, e := range []*evaluator{inSQL, &inGo} {
				if g, w := resultJSON(t, e.run(c)), resultJSON(t, want); g != w {
					t.Fatalf("seed %d, rule %s, in Go %v, %d rows, at %s, since %s, evidence %d:\n got %s\nwant %s",
						seed, rule, e.goRows >= 0, len(rows), at.Format(time.RFC3339), since.Format(time.RFC3339), maxEv, g, w)
				}
			}
		}
	}
}

// A check that matches many lines is judged from a few of them: what the rule reads into Go
// does not grow with the matches. (Its query is first read into Go up to goRowsMax rows, and
// given up: TestRulesInGoBounded.)
func TestRulesReadFewRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := memoryConn(t)
	// 100,000 lines of 500 bytes, one a second.
	if _, err := conn.ExecContext(ctx, `CREATE TABLE t AS SELECT TIMESTAMP '2026-11-20 00:00:00' + to_seconds(i) AS timestamp,
		'Office365ActivityImporter' AS job, 'job_log.txt' AS file, i + 1 AS line, repeat('x', 500) || i AS message
		FROM range(100000) r(i)`); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	cov := &Coverage{At: at, ByJob: map[string][]Interval{}, JobLog: map[string][]Interval{
		"Office365ActivityImporter": {{time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), at}}}, AppByJob: map[string][]Interval{}}
	counting := &countingQueryer{queryer: conn, checkQuery: "SELECT * FROM t"}
	e := &evaluator{ctx: ctx, conn: counting, at: at, cov: cov, maxEvidence: 5}
	for _, rule := range []Rule{
		{Kind: RuleMoreThan, Threshold: 100, Window: 10 * time.Minute},
		{Kind: RuleAny},
		{Kind: RuleAtLeastOnePer, Window: 24 * time.Hour},
	} {
		counting.rows = 0
		c := &Check{ID: "c", Title: "many", Rule: rule, Jobs: []string{"Office365ActivityImporter"}, Query: "SELECT * FROM t"}
		r := e.run(c)
		if r.Status == StatusUnknown {
			t.Fatalf("%s: %s", rule, r.Reason)
		}
		if rule.Kind != RuleAtLeastOnePer && r.Count < 200 {
			t.Errorf("%s: count %d", rule, r.Count)
		}
		if counting.rows > 100 {
			t.Errorf("%s: the rule read %d rows into Go for 100,000 matches", rule, counting.rows)
		}
	}
}

// memoryConn is a connection to an in-memory DuckDB database of the test's own.
func memoryConn(t *testing.T) *gosql.Conn {
	t.Helper()
	db, err := gosql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// countingQueryer counts the rows the rules read.
type countingQueryer struct {
	queryer
	checkQuery string
	rows       int
}

func (q *countingQueryer) QueryContext(ctx context.Context, query string, args ...any) (*gosql.Rows, error) {
	// Count by running the same query as a count: *gosql.Rows cannot be wrapped. The check's
	// query itself (readFew) is read only up to a bound.
	if checkQuery, _ := planOnce(q.checkQuery, nil); query != checkQuery {
		var n int
		if err := q.queryer.(*gosql.Conn).QueryRowContext(ctx, "SELECT count(*) FROM ("+query+")", args...).Scan(&n); err == nil {
			q.rows += n
		}
	}
	return q.queryer.QueryContext(ctx, query, args...)
}

func resultJSON(t *testing.T, r Result) string {
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func randomRows(rng *rand.Rand, base time.Time) []refRow {
	n := rng.IntN(250)
	spread := time.Duration(1+rng.IntN(96)) * time.Hour
	grps := []string{""}
	if rng.IntN(2) == 0 {
		grps = []string{"a", "b", "c"}
	}
	skips, windows := rng.IntN(5) == 0, rng.IntN(4) == 0
	var rows []refRow
	var last time.Time
	for i := range n {
		x := refRow{grp: grps[rng.IntN(len(grps))], file: fmt.Sprintf("f%d.txt", rng.IntN(3)), line: int64(i + 1),
			message: fmt.Sprintf("line %d", i)}
		switch rng.IntN(10) {
		case 0: // no time
		case 1, 2: // a tie with the row before
			if !last.IsZero() {
				t := last
				x.time = &t
				break
			}
			fallthrough
		default:
			t := base.Add(time.Duration(rng.Int64N(int64(spread)))).Truncate(time.Second)
			if rng.IntN(4) == 0 { // bursts
				t = base.Add(time.Duration(rng.IntN(4)) * 20 * time.Hour).Add(time.Duration(rng.IntN(600)) * time.Second)
			}
			x.time, last = &t, t
		}
		switch rng.IntN(10) {
		case 0, 1:
		case 2: // a group's first job names its coverage
			x.job = "AppInsightsImporter"
		default:
			x.job = "Office365ActivityImporter"
		}
		if skips && rng.IntN(100) == 0 {
			x.skipReason = "disabled"
		}
		if windows && rng.IntN(20) == 0 {
			x.window = time.Duration(1+rng.IntN(48)) * time.Hour
		}
		x.status = []Status{StatusFail, StatusUnknown, StatusSkipped, StatusPass, "other"}[rng.IntN(5)]
		rows = append(rows, x)
	}
	return rows
}

func randomCoverage(rng *rand.Rand, base time.Time, op string) *Coverage {
	cv := &Coverage{ByJob: map[string][]Interval{}, JobLog: map[string][]Interval{}, AppByJob: map[string][]Interval{}}
	start := base.Add(-time.Duration(rng.IntN(10)) * time.Hour)
	for range 1 + rng.IntN(3) {
		end := start.Add(time.Duration(1+rng.IntN(60)) * time.Hour)
		cv.JobLog[op] = append(cv.JobLog[op], Interval{start, end})
		cv.ByJob[op] = append(cv.ByJob[op], Interval{start, end})
		start = end.Add(time.Duration(1+rng.IntN(10)) * time.Hour)
	}
	return cv
}

// The reference: the rules as they were, on every row in Go.

type refRow struct {
	time       *time.Time
	job, file  string
	line       int64
	message    string
	grp        string
	window     time.Duration
	skipReason string
	coveredBy  string
	status     Status
}

type refEval struct {
	at, since   time.Time
	cov         *Coverage
	maxEvidence int
}

// filter keeps the rows the old query() kept: none after at or before since.
func (e *refEval) filter(rows []refRow) []refRow {
	var out []refRow
	for _, r := range rows {
		if r.time != nil && (r.time.After(e.at) || (!e.since.IsZero() && r.time.Before(e.since))) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// before orders rows as the rules of time do: by time, then file and line (a stable sort keeps
// the query's order after that).
func before(a, b refRow) bool {
	if !a.time.Equal(*b.time) {
		return a.time.Before(*b.time)
	}
	if a.file != b.file {
		return a.file < b.file
	}
	return a.line < b.line
}

func (e *refEval) evidence(r refRow) Evidence {
	ev := Evidence{Job: r.job, File: r.file, Line: r.line, Message: r.message}
	if r.time != nil {
		ev.Timestamp = *r.time
	}
	return ev
}

func (e *refEval) moreThanByGroup(c *Check, rows []refRow, r *Result) {
	var order []string
	groups := map[string][]refRow{}
	for _, x := range rows {
		if _, ok := groups[x.grp]; !ok {
			order = append(order, x.grp)
		}
		groups[x.grp] = append(groups[x.grp], x)
	}
	if len(order) <= 1 {
		e.moreThan(c, rows, r, c.Rule.Threshold, c.Rule.Window)
		return
	}
	sort.Strings(order)
	results := make([]Result, len(order))
	for i, g := range order {
		results[i] = Result{Evidence: []Evidence{}}
		e.moreThan(c, groups[g], &results[i], c.Rule.Threshold, c.Rule.Window)
	}
	combineGroups(r, order, results)
}

// moreThan: fail when a sliding window of length w holds more than n matches (w == 0: the
// whole span).
func (e *refEval) moreThan(c *Check, rows []refRow, r *Result, n int64, w time.Duration) {
	var ms []refRow
	for _, x := range rows {
		if x.time != nil {
			ms = append(ms, x)
		}
	}
	sort.SliceStable(ms, func(i, j int) bool { return before(ms[i], ms[j]) })
	r.Status = StatusPass
	if len(ms) == 0 {
		r.Detail = "no matching lines; " + e.cov.Describe(c.Jobs)
		return
	}
	if w == 0 {
		r.Count = int64(len(ms))
		r.Status = StatusFail
		r.FirstSeen, r.LastSeen = ms[0].time, ms[len(ms)-1].time
		for _, m := range ms[:min(len(ms), e.maxEvidence)] {
			r.Evidence = append(r.Evidence, e.evidence(m))
		}
		r.Detail = fmt.Sprintf("%d matching lines from %s to %s", len(ms), FormatTime(*r.FirstSeen), FormatTime(*r.LastSeen))
		return
	}
	best, fireStart, fireLen := 0, -1, 0
	j := 0
	var firstFire, lastFire *time.Time
	for i := range ms {
		for j < len(ms) && ms[j].time.Sub(*ms[i].time) < w {
			j++
		}
		cnt := j - i
		best = max(best, cnt)
		if int64(cnt) > n {
			if firstFire == nil {
				firstFire = ms[i+int(n)].time
				fireStart, fireLen = i, cnt
			}
			lastFire = ms[j-1].time
		}
	}
	r.Count = int64(best)
	if firstFire != nil {
		// The evidence is the first window that fired: it shows when the problem started.
		r.Status = StatusFail
		r.FirstSeen, r.LastSeen = firstFire, lastFire
		for _, m := range ms[fireStart : fireStart+min(fireLen, e.maxEvidence)] {
			r.Evidence = append(r.Evidence, e.evidence(m))
		}
		r.Detail = fmt.Sprintf("up to %d matches within %s (threshold %d); fired first at %s, last at %s; %d matches in all",
			best, FormatDuration(w), n, FormatTime(*firstFire), FormatTime(*lastFire), len(ms))
		return
	}
	r.FirstSeen, r.LastSeen = ms[0].time, ms[len(ms)-1].time
	r.Detail = fmt.Sprintf("at most %d matches within %s (threshold %d); %d in all", best, FormatDuration(w), n, len(ms))
}

// heartbeats groups every row as the old runner did (every heartbeat kept); the test judges
// them with the runner's judgeGroups, so that it compares the heartbeats read from SQL
// (thinned) with all of them.
func (e *refEval) heartbeats(c *Check, rows []refRow) (map[string]*group, []string) {
	groups := map[string]*group{}
	var order []string
	for _, x := range rows {
		g := groups[x.grp]
		if g == nil {
			g = &group{name: x.grp, window: c.Rule.Window}
			groups[x.grp] = g
			order = append(order, x.grp)
		}
		if x.job != "" && g.job == "" {
			g.job = x.job
		}
		if x.window > 0 {
			g.window = x.window
		}
		if x.skipReason != "" {
			g.skip = x.skipReason
			continue
		}
		if x.time != nil {
			g.beats = append(g.beats, row{time: x.time, job: x.job, file: x.file, line: x.line, message: x.message, grp: x.grp})
			g.count++
		}
	}
	return groups, order
}

func (e *refEval) judgedRows(rows []refRow, r *Result) {
	r.Status = StatusPass
	var fails, unknowns, skips, passes []string
	for _, x := range rows {
		switch x.status {
		case StatusFail:
			fails = append(fails, x.message)
			r.Count++
			if len(r.Evidence) < e.maxEvidence {
				r.Evidence = append(r.Evidence, e.evidence(x))
			}
			if x.time != nil {
				if r.FirstSeen == nil || x.time.Before(*r.FirstSeen) {
					r.FirstSeen = x.time
				}
				if r.LastSeen == nil || x.time.After(*r.LastSeen) {
					r.LastSeen = x.time
				}
			}
		case StatusUnknown:
			unknowns = append(unknowns, x.message)
		case StatusSkipped:
			skips = append(skips, x.message)
		default:
			passes = append(passes, x.message)
		}
	}
	switch {
	case len(fails) > 0:
		r.Status, r.Detail = StatusFail, refSummarize(fails)
	case len(unknowns) > 0:
		r.Status, r.Reason = StatusUnknown, refSummarize(unknowns)
	case len(skips) > 0 && len(passes) == 0:
		r.Status, r.Reason = StatusSkipped, refSummarize(skips)
	default:
		r.Detail = refSummarize(passes)
		if len(skips) > 0 {
			r.Detail = strings.TrimPrefix(r.Detail+"; skipped "+refSummarize(skips), "; ")
		}
	}
}

// summarize joins messages, keeping the first and last few when there are many.
func refSummarize(msgs []string) string {
	const keep = 3
	if len(msgs) <= 2*keep {
		return strings.Join(msgs, "; ")
	}
	return fmt.Sprintf("%s; ... %d more ...; %s", strings.Join(msgs[:keep], "; "), len(msgs)-2*keep, strings.Join(msgs[len(msgs)-keep:], "; "))
}

// Rows that name a window shorter than the rule's (a group judged per hour under a 24 h rule)
// keep the gaps of that window: the heartbeats are thinned by half of it, not of the rule's.
// A 2 h gap between heartbeats every 10 minutes fails a 1 h window; thinned by 12 h stretches
// (the rule's), only the first and last heartbeat of the day would be left, and no gap.
func TestHeartbeatsWindowShorterThanRule(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := memoryConn(t)
	base := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var rows []refRow
	for i := range 72 { // 12 h of heartbeats, none from 04:00 to 06:00
		ts := base.Add(time.Duration(i) * 10 * time.Minute)
		if ts.Hour() >= 4 && ts.Hour() < 6 {
			continue
		}
		rows = append(rows, refRow{time: &ts, grp: "hourly", job: "Office365ActivityImporter", file: "f.txt",
			line: int64(i + 1), message: fmt.Sprintf("beat %d", i), window: time.Hour})
	}
	var vals []string
	for i, x := range rows {
		vals = append(vals, fmt.Sprintf("(%d, TIMESTAMP '%s', '%s', '%s', '%s', %d, '%s', '1h')",
			i, x.time.Format("2006-01-02 15:04:05"), x.grp, x.job, x.file, x.line, x.message))
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE t AS SELECT * FROM (VALUES `+strings.Join(vals, ", ")+`)
		v(k, timestamp, grp, job, file, line, message, "window")`); err != nil {
		t.Fatal(err)
	}
	at := base.Add(12 * time.Hour)
	op := "Office365ActivityImporter"
	cov := &Coverage{At: at, ByJob: map[string][]Interval{op: {{base, at}}}, JobLog: map[string][]Interval{op: {{base, at}}},
		AppByJob: map[string][]Interval{}}
	c := &Check{ID: "c", Title: "a check", Rule: Rule{Kind: RuleAtLeastOnePer, Window: 24 * time.Hour}, Jobs: []string{op},
		Query: `SELECT timestamp, grp, job, file, line, message, "window" FROM t ORDER BY k`}
	inSQL := &evaluator{ctx: ctx, conn: conn, at: at, cov: cov, maxEvidence: 5}
	ref := &refEval{at: at, cov: cov, maxEvidence: 5}
	want := Result{ID: c.ID, Title: c.Title, Threshold: c.Rule.ThresholdText(), Evidence: []Evidence{}}
	groups, order := ref.heartbeats(c, ref.filter(rows))
	inSQL.judgeGroups(c, &want, groups, order)
	if want.Status != StatusFail {
		t.Fatalf("the reference gives %s, want fail: the case does not hold a gap of the window", want.Status)
	}
	if g, w := resultJSON(t, inSQL.run(c)), resultJSON(t, want); g != w {
		t.Errorf("got %s\nwant %s", g, w)
	}
}

// A check's result is judged in Go only while it is small: past goRowsMax rows, or goBytesMax
// of text, the rules in SQL judge it, so that a check holds little in Go however many lines it
// matches. The result is the same either way.
func TestRulesInGoBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := memoryConn(t)
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE t AS SELECT TIMESTAMP '2026-11-20 00:00:00' + to_seconds(i) AS timestamp,
		'Office365ActivityImporter' AS job, 'job_log.txt' AS file, i + 1 AS line, 'm' || i AS message
		FROM range(%d) r(i)`, goRowsMax+1)); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	cov := &Coverage{At: at, ByJob: map[string][]Interval{}, JobLog: map[string][]Interval{}, AppByJob: map[string][]Interval{}}
	e := &evaluator{ctx: ctx, conn: conn, at: at, cov: cov, maxEvidence: 5}
	inSQL := *e
	inSQL.goRows = -1
	big := fmt.Sprintf("repeat('x', %d)", goBytesMax/40)
	for _, tc := range []struct {
		query string
		inGo  bool
	}{
		{fmt.Sprintf("SELECT * FROM t ORDER BY line LIMIT %d", goRowsMax), true},
		{"SELECT * FROM t ORDER BY line", false}, // one row more
		{"SELECT timestamp, job, file, line, " + big + " AS message FROM t ORDER BY line LIMIT 30", true},
		{"SELECT timestamp, job, file, line, " + big + " AS message FROM t ORDER BY line LIMIT 50", false}, // 10 MB
		// columns of other types: read in Go where it casts them as DuckDB does
		{"SELECT timestamp::DATE AS timestamp, job, file, line::INTEGER AS line, line > 3 AS message FROM t ORDER BY line LIMIT 20", true},
		{"SELECT timestamp::VARCHAR AS timestamp, NULL AS job, file, line::VARCHAR AS line, message FROM t ORDER BY line LIMIT 20", true},
		{"SELECT timestamp::TIMESTAMP_NS AS timestamp, job, file, line, message FROM t ORDER BY line LIMIT 20", false},
		{"SELECT timestamp, job, file, line::HUGEINT AS line, message FROM t ORDER BY line LIMIT 20", false},
		{"SELECT timestamp, job, file, line, line / 2 AS message FROM t ORDER BY line LIMIT 20", false},
	} {
		for _, rule := range []Rule{{Kind: RuleAny}, {Kind: RuleMoreThan, Threshold: 3, Window: time.Minute}} {
			c := &Check{ID: "c", Title: "many", Rule: rule, Jobs: []string{"Office365ActivityImporter"}, Query: tc.query}
			_, rows, inGo, err := e.readFew(c, tc.query)
			if err != nil {
				t.Fatal(err)
			}
			if inGo != tc.inGo || (!inGo && rows != nil) {
				t.Errorf("%.60s: judged in Go %v (%d rows held), want %v", tc.query, inGo, len(rows), tc.inGo)
			}
			if g, w := resultJSON(t, e.run(c)), resultJSON(t, inSQL.run(c)); g != w {
				t.Errorf("%.60s, %s: got %s\nin SQL %s", tc.query, rule, g, w)
			}
		}
	}
}
