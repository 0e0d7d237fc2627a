package sql

import (
	"context"
	gosql "database/sql"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Status of a check.
type Status string

const (
	StatusPass    Status = "pass"
	StatusFail    Status = "fail"
	StatusUnknown Status = "unknown" // the logs cannot show it; Reason says why
	StatusSkipped Status = "skipped" // the check does not apply (feature disabled); Reason says why
)

// Report is the outcome of running the checks. Its JSON form is a stable, documented shape
// (README "JSON report"); add fields, never rename them.
type Report struct {
	EvaluatedAt time.Time   `json:"evaluatedAt"`
	Since       *time.Time  `json:"since,omitempty"`
	Ingest      Totals      `json:"ingest"`
	Checks      []Result    `json:"checks"`
	Jobs        []JobHealth `json:"jobs"`
	// Inputs that failed or were read only in part (inputs.go); absent when all were read.
	InputProblems []InputProblem `json:"inputProblems,omitempty"`
	Coverage      *Coverage      `json:"-"`
}

// Totals summarise the database.
//
// One vocabulary in every command (ingest, diagnose, export): files are the log files read
// (not the archives that held them, not the files skipped as no log); lines are the lines
// read (= parsed + rejected); merged are the parsed lines that were copies of a line kept from
// another file; traces, exceptions and customEvents are the rows kept, after merging.
type Totals struct {
	Files        int64 `json:"files"`
	Lines        int64 `json:"lines"`
	Traces       int64 `json:"traces"`
	Exceptions   int64 `json:"exceptions"`
	CustomEvents int64 `json:"customEvents"`
	Rejected     int64 `json:"rejected"`
	Merged       int64 `json:"merged"`
	Archives     int64 `json:"archives"`
	Skipped      int64 `json:"skipped"`
}

// Result is one check's outcome.
type Result struct {
	ID        string     `json:"id"`
	Title     string     `json:"title"`
	Severity  Severity   `json:"severity"`
	Status    Status     `json:"status"`
	Count     int64      `json:"count"`     // more-than: the worst window's count; any/at-least-one-per: matches
	Threshold string     `json:"threshold"` // the rule as the guide states it, e.g. "> 2 in 10m"
	FirstSeen *time.Time `json:"firstSeen"` // when it first fired (fail) or was first seen
	LastSeen  *time.Time `json:"lastSeen"`
	Detail    string     `json:"detail,omitempty"` // one sentence on what was found
	Reason    string     `json:"reason,omitempty"` // for unknown and skipped
	Evidence  []Evidence `json:"evidence"`
	Advice    string     `json:"advice"`
	Guide     string     `json:"guide,omitempty"` // the guide's original query or rule
}

// Evidence is a log line behind a result.
type Evidence struct {
	Timestamp time.Time `json:"timestamp"`
	Job       string    `json:"job"`
	File      string    `json:"file"`
	Line      int64     `json:"line"`
	Message   string    `json:"message"`
}

// Options for Run.
type Options struct {
	At          time.Time // evaluation time; zero means the latest timestamp in the database
	Since       time.Time // only lines at or after this count; zero means all
	MaxEvidence int       // evidence lines per result; default 5
	// KQL translates the query of a .kql check into DuckDB SQL, with now as the time ago()
	// and now() refer to (sql/kql.Translate; this package cannot import it). Without it,
	// KQL checks are unknown.
	KQL func(query string, now time.Time) (string, error)
	// Trace, when set, receives one line per step (coverage, each check, health) with the
	// time it took, to see where a diagnosis spends its time (KUDULENS_TRACE=1).
	Trace io.Writer
}

// Run evaluates the checks on db. A check whose query fails is reported as unknown with the
// error, so one broken user check does not hide the others.
func Run(ctx context.Context, db *gosql.DB, checks []*Check, o Options) (*Report, error) {
	if o.MaxEvidence <= 0 {
		o.MaxEvidence = 5
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	step := Tracer(o.Trace)
	rep := &Report{}
	if err := readTotals(ctx, conn, &rep.Ingest); err != nil {
		return nil, err
	}
	at := o.At
	if at.IsZero() {
		if at, err = evaluationTime(ctx, conn); err != nil {
			return nil, err
		}
	}
	at = at.UTC()
	rep.EvaluatedAt = at
	if !o.Since.IsZero() {
		s := o.Since.UTC()
		rep.Since = &s
	}
	step("totals and evaluation time")
	cov, err := ComputeCoverage(ctx, conn, at)
	if err != nil {
		return nil, err
	}
	step("coverage")
	rep.Coverage = cov
	if err := prepareTemp(ctx, conn, at, cov); err != nil {
		return nil, err
	}
	step("temp tables")
	ev := &evaluator{ctx: ctx, conn: conn, at: at, since: o.Since, cov: cov, maxEvidence: o.MaxEvidence, kql: o.KQL}
	health := func(e *evaluator) (err error) {
		if rep.Jobs, err = Health(ctx, e.conn, at); err != nil {
			return fmt.Errorf("job health: %w", err)
		}
		return nil
	}
	if o.Trace != nil {
		// One after the other, so that each step's time is its own.
		for _, c := range checks {
			rep.Checks = append(rep.Checks, ev.run(c))
			step("check " + c.ID)
		}
		if err := health(ev); err != nil {
			return nil, err
		}
		step("health")
	} else {
		// The job health is a task beside the checks: it reads every line (~35 ms on the 200
		// MB bench log), as long as the longest checks.
		rep.Checks = make([]Result, len(checks))
		err := onConnections(ctx, db, ev, len(checks)+1, func(e *evaluator, i int) error {
			if i == 0 {
				return health(e)
			}
			rep.Checks[i-1] = e.run(checks[i-1])
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	markNothingJudged(rep)
	if rep.InputProblems, err = readInputProblems(ctx, conn); err != nil {
		return nil, fmt.Errorf("input problems: %w", err)
	}
	return rep, nil
}

// evaluationTime is the default evaluation time: the last line or file of the database, or
// now when it holds none.
func evaluationTime(ctx context.Context, q queryer) (time.Time, error) {
	var t gosql.NullTime
	err := scanRows(ctx, q, "SELECT greatest(max(timestamp), (SELECT max(last_ts) FROM files)) FROM traces",
		func(r *gosql.Rows) error { return r.Scan(&t) })
	if err != nil || !t.Valid {
		return time.Now(), err
	}
	return t.Time, nil
}

// onConnections runs task(e, i) for i in [0, n) on as many connections as there are cores:
// most checks are small queries that DuckDB runs on one thread, so two cores run two of them
// at once. The first connection is ev's; the others get the same temporary tables. A task's
// error stops the tasks of its connection.
func onConnections(ctx context.Context, db *gosql.DB, ev *evaluator, n int, task func(e *evaluator, i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers > 1 {
		// One DuckDB thread per connection while they run side by side: with the default
		// (a thread per core), two checks at once ran four threads on two cores, and the
		// checks of the 200 MB log took ~13% more CPU for no less time. DuckDB's threads
		// setting is the database's: it goes back when the tasks are done.
		var threads int64
		if err := scanRows(ctx, ev.conn, "SELECT current_setting('threads')", func(r *gosql.Rows) error { return r.Scan(&threads) }); err != nil {
			return err
		}
		if threads > 1 {
			if _, err := ev.conn.ExecContext(ctx, "SET threads = 1"); err != nil {
				return err
			}
			defer ev.conn.ExecContext(context.Background(), fmt.Sprintf("SET threads = %d", threads))
		}
	}
	evs := []*evaluator{ev}
	for len(evs) < workers {
		conn, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if err := prepareTemp(ctx, conn, ev.at, ev.cov); err != nil {
			return err
		}
		e := *ev
		e.conn = conn
		evs = append(evs, &e)
	}
	var next atomic.Int64
	errs := make([]error, len(evs))
	var wg sync.WaitGroup
	for k, e := range evs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				if errs[k] = task(e, i); errs[k] != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Tracer returns a function that writes the time since its previous call (or since Tracer),
// named, to w: the steps of a diagnosis (KUDULENS_TRACE=1). It does nothing without w.
func Tracer(w io.Writer) func(name string) {
	if w == nil {
		return func(string) {}
	}
	last := time.Now()
	return func(name string) {
		now := time.Now()
		fmt.Fprintf(w, "kudulens: %-40s %7.3f s\n", name, now.Sub(last).Seconds())
		last = now
	}
}

func readTotals(ctx context.Context, q queryer, t *Totals) error {
	// One pass over files and three counts: the same nine numbers as nine scalar subqueries
	// took DuckDB ~40 ms to plan (join ordering of their cross products) against ~5 ms here.
	rows, err := q.QueryContext(ctx, `SELECT f.*, (SELECT count(*) FROM traces), (SELECT count(*) FROM exceptions),
		(SELECT count(*) FROM customEvents)
	FROM (SELECT
		count(*) FILTER (WHERE kind NOT IN ('zip', 'tar') AND status <> 'skipped'),
		coalesce(sum(lines), 0),
		coalesce(sum(rejected), 0),
		coalesce(sum(merged), 0),
		count(*) FILTER (WHERE kind IN ('zip', 'tar')),
		count(*) FILTER (WHERE kind NOT IN ('zip', 'tar') AND status = 'skipped')
		FROM files) f`)
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&t.Files, &t.Lines, &t.Rejected, &t.Merged, &t.Archives, &t.Skipped, &t.Traces, &t.Exceptions, &t.CustomEvents); err != nil {
			return err
		}
	}
	return rows.Err()
}

// prepareTemp creates the temp tables checks may use: kl_eval(at) holds the evaluation time,
// kl_capped the capped process runs, kl_cover the covered stretches per job. Rows stored
// without signals get them (the checks read them through kl_signal, sql/schema.sql).
func prepareTemp(ctx context.Context, q queryer, at time.Time, cov *Coverage) error {
	stmts := []string{
		`CREATE OR REPLACE TEMP TABLE kl_eval AS SELECT ?::TIMESTAMP AS "at"`,
		`CREATE OR REPLACE TEMP TABLE kl_capped (job VARCHAR, instance VARCHAR, start TIMESTAMP, "end" TIMESTAMP,
			file VARCHAR, line BIGINT, covered BOOLEAN)`,
		`CREATE OR REPLACE TEMP TABLE kl_cover (job VARCHAR, start TIMESTAMP, "end" TIMESTAMP)`,
	}
	if _, err := q.ExecContext(ctx, stmts[0], at); err != nil {
		return err
	}
	// Rows without signals (inserted by something that did not compute them) get them now,
	// so the checks reading kl_signal see every row.
	var untagged int64
	if err := scanRows(ctx, q, "SELECT count(*) FROM traces WHERE signals IS NULL", func(r *gosql.Rows) error {
		return r.Scan(&untagged)
	}); err != nil {
		return err
	}
	if untagged > 0 {
		if _, err := q.ExecContext(ctx, FillSignals); err != nil {
			return fmt.Errorf("compute traces.signals: %w", err)
		}
	}

	for _, s := range stmts[1:] {
		if _, err := q.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	for _, c := range cov.Capped {
		if _, err := q.ExecContext(ctx, "INSERT INTO kl_capped VALUES (?, ?, ?, ?, ?, ?, ?)",
			c.Job, c.Instance, c.Start, c.End, c.File, c.Line, c.Covered); err != nil {
			return err
		}
	}
	for job, ivs := range cov.ByJob {
		for _, iv := range ivs {
			if _, err := q.ExecContext(ctx, "INSERT INTO kl_cover VALUES (?, ?, ?)", job, iv.Start, iv.End); err != nil {
				return err
			}
		}
	}
	return nil
}

type evaluator struct {
	ctx         context.Context
	conn        queryer
	at, since   time.Time
	cov         *Coverage
	maxEvidence int
	kql         func(string, time.Time) (string, error)
	// goRows is the most rows of a check's result judged in Go (fewrows.go): 0 for goRowsMax,
	// negative for none (the tests of the rules in SQL).
	goRows int
}

// row is one row of a check's query, with the columns the rules know.
type row struct {
	time      *time.Time
	job, file string
	line      int64
	message   string
	grp       string
}

func (e *evaluator) run(c *Check) Result {
	blank := Result{ID: c.ID, Title: c.Title, Severity: c.Severity, Threshold: c.Rule.ThresholdText(),
		Advice: c.Advice, Guide: c.Guide, Evidence: []Evidence{}}
	r := blank
	if err := e.judge(c, &r); err != nil {
		// what the rule filled in before the error does not stand
		blank.Status, blank.Reason = StatusUnknown, fmt.Sprintf("the check's query failed: %v", err)
		return blank
	}
	return r
}

// judge runs the check's query and applies its rule: in Go to a result of a few rows
// (fewrows.go), in SQL to a larger one, the query as the CTE kl_rows (rows.go).
func (e *evaluator) judge(c *Check, r *Result) error {
	q := c.Query
	if c.Lang == "kql" {
		if e.kql == nil {
			return fmt.Errorf("no KQL translator to run %s", c.File)
		}
		var err error
		if q, err = e.kql(c.Query, e.at); err != nil {
			return err
		}
	}
	q = strings.TrimRight(strings.TrimSpace(q), ";")
	rc, few, ok, err := e.readFew(c, q)
	if err != nil {
		return err
	}
	if ok {
		e.judgeFew(c, few, r)
		return nil
	}
	rows := e.sqlRows(q, rc)
	switch c.Rule.Kind {
	case RuleMoreThan:
		return e.moreThanRows(c, rows, r, c.Rule.Threshold, c.Rule.Window)
	case RuleAny:
		return e.anyRows(c, rows, r)
	case RuleAtLeastOnePer:
		return e.atLeastOnePer(c, rows, r)
	case RuleRows:
		return e.judgeRows(rows, r)
	}
	return nil
}

func (e *evaluator) evidence(r row) Evidence {
	ev := Evidence{Job: r.job, File: r.file, Line: r.line, Message: r.message}
	if r.time != nil {
		ev.Timestamp = *r.time
	}
	return ev
}

// group is one heartbeat group of an at-least-one-per check.
type group struct {
	name      string
	job       string
	window    time.Duration
	beats     []row // the heartbeats the rule needs (heartbeatGroups)
	count     int64 // all heartbeats
	skip      string
	coveredBy []string
}

func (e *evaluator) atLeastOnePer(c *Check, rows checkRows, r *Result) error {
	groups, order, err := e.heartbeatGroups(c, rows)
	if err != nil {
		return err
	}
	e.judgeGroups(c, r, groups, order)
	return nil
}

// judgeGroups judges the heartbeat groups of an at-least-one-per check.
func (e *evaluator) judgeGroups(c *Check, r *Result, groups map[string]*group, order []string) {
	// Groups in name order: the order rows arrive in is the query plan's (a join's output order
	// changed between DuckDB 1.1 and 2.0), and a report must not change with it.
	sort.Strings(order)
	if len(order) == 0 { // no heartbeat at all: one group for the whole check
		groups[""] = &group{window: c.Rule.Window}
		order = append(order, "")
	}
	var fails, unknowns, skips, passes []string
	r.Status = StatusPass
	for _, name := range order {
		g := groups[name]
		label := name
		if label == "" {
			label = c.Title
		}
		if g.skip != "" {
			skips = append(skips, fmt.Sprintf("%s: %s", label, g.skip))
			continue
		}
		jobs := c.Jobs
		if g.job != "" {
			jobs = []string{g.job}
		}
		cover := e.cov.WindowFor(jobs, g.window)
		coveredBy := g.coveredBy
		if coveredBy == nil {
			coveredBy = c.CoveredBy
		}
		reached := true
		if len(coveredBy) > 0 {
			reach, err := e.reach(coveredBy, jobs, g.window)
			if err != nil {
				r.Status, r.Reason = StatusUnknown, fmt.Sprintf("coverage of %s: %v", label, err)
				return
			}
			reached = len(reach) > 0
			cover = intersect(cover, reach)
		}
		if !e.since.IsZero() {
			cover = intersect(cover, []Interval{{e.since, e.at}})
		}
		r.Count += g.count
		res := judgeHeartbeats(g.beats, cover, g.window, e.at)
		if res.status == StatusUnknown && !reached {
			res.reason = fmt.Sprintf("%s never got as far as the lines that could show it (none of %s)",
				strings.Join(jobs, ", "), strings.Join(coveredBy, ", "))
		}
		switch res.status {
		case StatusFail:
			fails = append(fails, fmt.Sprintf("%s: none from %s to %s (%s, covered by the logs)", label,
				FormatTime(res.gap.Start), FormatTime(res.gap.End), fmtHours(res.gap.Duration())))
			if r.FirstSeen == nil || res.fired.Before(*r.FirstSeen) {
				t := res.fired
				r.FirstSeen = &t
			}
			if r.LastSeen == nil || res.gap.End.After(*r.LastSeen) {
				t := res.gap.End
				r.LastSeen = &t
			}
			if res.last != nil {
				ev := e.evidence(*res.last)
				ev.Message = "last seen: " + ev.Message
				r.Evidence = append(r.Evidence, ev)
			} else {
				r.Evidence = append(r.Evidence, Evidence{Timestamp: res.gap.Start, Job: g.job,
					Message: fmt.Sprintf("%s: never seen in the %s the logs cover", label, fmtHours(res.gap.Duration()))})
			}
		case StatusUnknown:
			unknowns = append(unknowns, label+"\x00"+res.reason)
		default:
			passes = append(passes, label)
		}
	}
	switch {
	case len(fails) > 0:
		r.Status = StatusFail
		r.Detail = strings.Join(fails, "; ")
		if len(unknowns) > 0 {
			r.Reason = "cannot tell for " + joinReasons(unknowns)
		}
	case len(unknowns) > 0:
		r.Status = StatusUnknown
		r.Reason = joinReasons(unknowns)
	case len(passes) == 0 && len(skips) > 0:
		r.Status = StatusSkipped
		r.Reason = strings.Join(skips, "; ")
	default:
		r.Detail = fmt.Sprintf("seen at least once per %s wherever the logs cover it", FormatDuration(c.Rule.Window))
		if len(order) > 1 {
			r.Detail = fmt.Sprintf("%d of %d seen at least once per window", len(passes), len(order))
		}
	}
	if len(skips) > 0 && r.Status != StatusSkipped {
		r.Detail = strings.TrimPrefix(r.Detail+"; skipped "+strings.Join(skips, "; "), "; ")
	}
	if len(r.Evidence) > e.maxEvidence {
		r.Evidence = r.Evidence[:e.maxEvidence]
	}
}

// reach returns the stretches in which jobs printed a line of one of the templates (points
// joined across gaps shorter than w): where the logs could show the check's heartbeat.
func (e *evaluator) reach(templates, jobs []string, w time.Duration) ([]Interval, error) {
	q := `SELECT min(timestamp), max(timestamp) FROM (
		SELECT timestamp, sum(CASE WHEN prev IS NULL OR epoch(timestamp) - epoch(prev) >= ? THEN 1 ELSE 0 END)
			OVER (ORDER BY timestamp ROWS UNBOUNDED PRECEDING) AS island
		FROM (SELECT timestamp, lag(timestamp) OVER (ORDER BY timestamp) AS prev FROM traces
		      WHERE (template IN (` + sqlList(templates) + `)) IS TRUE AND timestamp <= ?`
	if len(jobs) > 0 {
		ops := make([]string, len(jobs))
		for i, j := range jobs {
			ops[i] = jobOperation(j)
		}
		q += ` AND (operation_Name IN (` + sqlList(ops) + `)) IS TRUE`
	}
	// (... IN ...) IS TRUE: filtered in the scan (docs/checks.md, "Fast checks")
	q += `)) GROUP BY island ORDER BY 1`
	var out []Interval
	err := scanRows(e.ctx, e.conn, q, func(r *gosql.Rows) error {
		var iv Interval
		if err := r.Scan(&iv.Start, &iv.End); err != nil {
			return err
		}
		out = append(out, Interval{iv.Start.UTC(), iv.End.UTC()})
		return nil
	}, w.Seconds(), e.at)
	return out, err
}

// sqlList renders strings as a list of SQL string literals.
func sqlList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return strings.Join(q, ", ")
}

type beatResult struct {
	status Status
	gap    Interval  // the longest gap, for fail
	fired  time.Time // when the first failing gap reached the window
	last   *row      // the heartbeat before the gap
	reason string
}

// judgeHeartbeats finds a covered stretch of length ≥ w without a heartbeat (fail). Without
// one, the rule holds (pass) when the logs cover a whole window somewhere, or when a heartbeat
// lies less than w before the evaluation time at (the alert is not firing then, and no covered
// window failed before); otherwise the logs cannot tell (unknown).
func judgeHeartbeats(beats []row, cover []Interval, w time.Duration, at time.Time) beatResult {
	sortByTime(beats)
	var res beatResult
	var longestCover time.Duration
	for _, iv := range cover {
		if d := iv.Duration(); d > longestCover {
			longestCover = d
		}
		// the heartbeat before this stretch (it may lie in an earlier stretch)
		var prev *row
		for i := range beats {
			if !beats[i].time.After(iv.Start) {
				prev = &beats[i]
			}
		}
		cur := iv.Start
		check := func(end time.Time) {
			if gap := end.Sub(cur); gap >= w {
				if res.status != StatusFail {
					res.status, res.fired = StatusFail, cur.Add(w)
				}
				if gap > res.gap.Duration() {
					res.gap, res.last = Interval{cur, end}, prev
				}
			}
		}
		for i := range beats {
			t := *beats[i].time
			if t.Before(iv.Start) || t.After(iv.End) {
				continue
			}
			check(t)
			cur, prev = t, &beats[i]
		}
		check(iv.End)
	}
	if res.status == StatusFail {
		return res
	}
	if longestCover >= w || (len(beats) > 0 && at.Sub(*beats[len(beats)-1].time) < w) {
		res.status = StatusPass
		return res
	}
	res.status = StatusUnknown
	if len(cover) == 0 {
		res.reason = "no log covers it"
	} else {
		res.reason = fmt.Sprintf("the longest stretch the logs cover is %s, shorter than %s (console capped or logs too short)",
			fmtHours(longestCover), FormatDuration(w))
	}
	return res
}

// sortByTime orders rows as the rules of time read them (sql/rows.go): by time, then file and
// line; a stable sort, so that rows alike in those keep their order (the query's).
func sortByTime(rows []row) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if !a.time.Equal(*b.time) {
			return a.time.Before(*b.time)
		}
		if a.file != b.file {
			return a.file < b.file
		}
		return a.line < b.line
	})
}

// joinReasons joins "label\x00reason" items, naming each reason once with its labels.
func joinReasons(items []string) string {
	var order []string
	labels := map[string][]string{}
	for _, it := range items {
		label, reason, _ := strings.Cut(it, "\x00")
		if _, ok := labels[reason]; !ok {
			order = append(order, reason)
		}
		labels[reason] = append(labels[reason], label)
	}
	parts := make([]string, len(order))
	for i, reason := range order {
		parts[i] = strings.Join(labels[reason], ", ") + ": " + reason
	}
	return strings.Join(parts, "; ")
}

// RunQueries runs the SQL checks' queries and nothing else: the evaluation time, the coverage
// and the temporary tables the queries read, then each SQL check's query once, its rows kept
// in a temporary table (DuckDB computes every column; none is sent to Go), on the connections
// Run uses (onConnections). No rule, health or report. It is the bench's checks-queries row
// (issue 14, target 2): what the check files' queries cost within diagnose --db.
func RunQueries(ctx context.Context, db *gosql.DB, checks []*Check) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	at, err := evaluationTime(ctx, conn)
	if err != nil {
		return err
	}
	cov, err := ComputeCoverage(ctx, conn, at)
	if err != nil {
		return err
	}
	if err := prepareTemp(ctx, conn, at, cov); err != nil {
		return err
	}
	ev := &evaluator{ctx: ctx, conn: conn, at: at, cov: cov}
	return onConnections(ctx, db, ev, len(checks), func(e *evaluator, i int) error {
		if checks[i].Lang != "sql" {
			return nil
		}
		q := "CREATE OR REPLACE TEMP TABLE kl_query_rows AS " + strings.TrimRight(strings.TrimSpace(checks[i].Query), ";")
		if _, err := e.conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", checks[i].ID, err)
		}
		return nil
	})
}
