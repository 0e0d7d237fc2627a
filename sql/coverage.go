package sql

import (
	"context"
	gosql "database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kudulens/kudulens/parse"
)

// Coverage says when the logs could show a job's console output. A heartbeat missing from a
// stretch the logs cover is really missing; one missing from a stretch they do not cover may
// just be unseen (docs/formats.md §4.2: Kudu keeps only the first 200 console lines of each
// process run; §5.1: the application log has every line).
//
//   - A job's Kudu log covers its job from its first line to the evaluation time, except from
//     each "Reached maximum allowed output lines" warning until that process run ends (the
//     instance's next "Status changed to ..." line: PendingRestart or Success after an exit,
//     Stopping, ...): the capped stretch.
//   - The application log covers a job only where that job's own output in it shows the job
//     alive: from each of its rows to the next, where they are less than 15 minutes apart (the
//     jobs print at least every 10 minutes while they run). A check with a window W also
//     counts gaps shorter than W between them as covered (WindowFor); a longer gap without a
//     row is not coverage, and a site's application log without a line of the engine (another
//     app's) covers nothing.
type Coverage struct {
	At       time.Time
	ByJob    map[string][]Interval // operation name → covered stretches
	AppLog   []Interval            // application-log files (what was collected, not coverage)
	AppByJob map[string][]Interval // operation name → stretches of its own application-log rows
	JobLog   map[string][]Interval
	Capped   []CappedRun
	Unknown  string // why nothing is covered, when nothing is
}

// Interval is a time stretch [Start, End].
type Interval struct{ Start, End time.Time }

// Duration of the interval.
func (i Interval) Duration() time.Duration { return i.End.Sub(i.Start) }

// CappedRun is a process run whose console output Kudu stopped recording.
type CappedRun struct {
	Job, Instance string
	Start, End    time.Time // from the cap warning to the end of the run (or evaluation time)
	File          string    // where the cap warning is
	Line          int64
	Covered       bool // the application log covers the capped stretch (to within appLogBridge of its end)
}

// jobLogName is the job a job-log row is judged under: its job, or for a Kudu log outside its
// job folder whose lines do not say which job wrote it, an unnamed job of that file (the same
// name the job-not-running and job-restarts checks use).
const jobLogName = `coalesce(job, 'unnamed job (' || source_file || ')')`

// appLogBridge joins application-log files closer than this into one stretch.
const appLogBridge = 15 * time.Minute

// ComputeCoverage reads the coverage of the logs in db at evaluation time at.
func ComputeCoverage(ctx context.Context, q queryer, at time.Time) (*Coverage, error) {
	cv := &Coverage{At: at, ByJob: map[string][]Interval{}, JobLog: map[string][]Interval{}, AppByJob: map[string][]Interval{}}

	// Application-log stretches.
	var app []Interval
	err := scanRows(ctx, q, `SELECT first_ts, last_ts FROM files
		WHERE kind IN ('app-log-csv', 'app-log-txt') AND first_ts IS NOT NULL AND status IN ('ok', 'partial')
		ORDER BY first_ts`, func(r *gosql.Rows) error {
		var iv Interval
		if err := r.Scan(&iv.Start, &iv.End); err != nil {
			return err
		}
		app = append(app, Interval{iv.Start.UTC(), minTime(iv.End.UTC(), at)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	cv.AppLog = union(app, appLogBridge)

	// Application-log stretches per job: islands of its rows less than appLogBridge apart.
	err = scanRows(ctx, q, `SELECT operation_Name, min(timestamp), max(timestamp) FROM (
			SELECT operation_Name, timestamp, sum(CASE WHEN prev IS NULL OR epoch(timestamp) - epoch(prev) > ? THEN 1 ELSE 0 END)
				OVER (PARTITION BY operation_Name ORDER BY timestamp ROWS UNBOUNDED PRECEDING) AS island
			FROM (SELECT operation_Name, timestamp, lag(timestamp) OVER (PARTITION BY operation_Name ORDER BY timestamp) AS prev
			      FROM traces WHERE source = 'app-log' AND operation_Name IS NOT NULL AND timestamp <= ?)
		) GROUP BY operation_Name, island ORDER BY 1, 2`, func(r *gosql.Rows) error {
		var op string
		var iv Interval
		if err := r.Scan(&op, &iv.Start, &iv.End); err != nil {
			return err
		}
		cv.AppByJob[op] = append(cv.AppByJob[op], Interval{iv.Start.UTC(), iv.End.UTC()})
		return nil
	}, appLogBridge.Seconds(), at)
	if err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}

	// Process starts and caps per job and instance, from the Kudu logs.
	// A run's status changes only when it ends (its process exited or the job is stopping);
	// the next run starts with the status lines after that.
	type key struct{ job, inst string }
	type statusLine struct {
		t    time.Time
		file string
		line int64
	}
	statuses := map[key][]statusLine{}
	err = scanRows(ctx, q, `SELECT `+jobLogName+`, coalesce(instance, ''), timestamp, source_file, line_no FROM traces
		WHERE source = 'job-log' AND is_system AND template = 'kudu-status'
		ORDER BY timestamp, line_no`, func(r *gosql.Rows) error {
		var k key
		var s statusLine
		if err := r.Scan(&k.job, &k.inst, &s.t, &s.file, &s.line); err != nil {
			return err
		}
		s.t = s.t.UTC()
		statuses[k] = append(statuses[k], s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	capped := map[string][]Interval{}
	err = scanRows(ctx, q, `SELECT `+jobLogName+`, coalesce(instance, ''), timestamp, source_file, line_no FROM traces
		WHERE source = 'job-log' AND template = 'kudu-output-capped' AND timestamp <= ?
		ORDER BY timestamp`, func(r *gosql.Rows) error {
		var c CappedRun
		var t time.Time
		if err := r.Scan(&c.Job, &c.Instance, &t, &c.File, &c.Line); err != nil {
			return err
		}
		c.Start, c.End = t.UTC(), at
		for _, s := range statuses[key{c.Job, c.Instance}] {
			// Kudu times have second resolution: a crash often ends the run in the cap's second
			if s.t.After(c.Start) || s.t.Equal(c.Start) && s.file == c.File && s.line > c.Line {
				c.End = s.t
				break
			}
		}
		op := parse.OperationName(c.Job)
		capped[op] = append(capped[op], Interval{c.Start, c.End})
		// The jobs print at least every 10 minutes while they run, so application-log rows that
		// reach within appLogBridge of the run's end hold all of it (as between two files).
		// The job's own application-log rows must span the run from within appLogBridge of the
		// cap (Kudu's second-resolution time, the next line the job prints) to within
		// appLogBridge of its end.
		end := maxTime(c.Start, c.End.Add(-appLogBridge))
		c.Covered = covers(cv.AppByJob[op], Interval{minTime(c.Start.Add(appLogBridge), end), end})
		cv.Capped = append(cv.Capped, c)
		return nil
	}, at)
	if err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}

	// Kudu-log stretches per job, minus the capped stretches.
	err = scanRows(ctx, q, `SELECT job, min(timestamp) FROM traces WHERE source = 'job-log' AND job IS NOT NULL
		GROUP BY job`, func(r *gosql.Rows) error {
		var job string
		var first time.Time
		if err := r.Scan(&job, &first); err != nil {
			return err
		}
		if first.After(at) {
			return nil
		}
		op := parse.OperationName(job)
		cv.JobLog[op] = union(append(cv.JobLog[op], subtract(Interval{first.UTC(), at}, union(capped[op], 0))...), 0)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	for _, m := range []map[string][]Interval{cv.JobLog, cv.AppByJob} {
		for job := range m {
			cv.ByJob[job] = cv.WindowFor([]string{job}, 0)
		}
	}
	if len(cv.AppLog) == 0 && len(cv.JobLog) == 0 {
		cv.Unknown = "no job log or application log in the database"
	}
	return cv, nil
}

// For returns the stretches that cover all of jobs (operation names or job folder names); with
// no jobs, the stretches that cover any job.
func (cv *Coverage) For(jobs []string) []Interval { return cv.WindowFor(jobs, 0) }

// WindowFor is For for a check with window w: gaps shorter than w between a job's
// application-log stretches count as covered (the job was alive on both sides and printed
// nothing in between); longer ones do not.
func (cv *Coverage) WindowFor(jobs []string, w time.Duration) []Interval {
	job := func(op string) []Interval {
		app := cv.AppByJob[op]
		if w > time.Second {
			app = union(app, w-time.Second)
		}
		// Kudu-log and application-log stretches of a job meet within appLogBridge (a capped
		// stretch starts at Kudu's warning, the application log goes on with the job's next line).
		return union(append(append([]Interval(nil), cv.JobLog[op]...), app...), appLogBridge)
	}
	if len(jobs) == 0 {
		var all []Interval
		for op := range cv.ByJob {
			all = append(all, job(op)...)
		}
		return union(all, 0)
	}
	var out []Interval
	for i, j := range jobs {
		ivs := job(parse.OperationName(j))
		if i == 0 {
			out = ivs
		} else {
			out = intersect(out, ivs)
		}
	}
	return out
}

// Describe says in words what covers a job, for reasons and reports.
func (cv *Coverage) Describe(jobs []string) string {
	ivs := cv.For(jobs)
	if len(ivs) == 0 {
		return "no log covers " + strings.Join(jobs, ", ")
	}
	var total time.Duration
	for _, iv := range ivs {
		total += iv.Duration()
	}
	return fmt.Sprintf("logs cover %s in %d stretch(es) from %s to %s", fmtHours(total), len(ivs),
		FormatTime(ivs[0].Start), FormatTime(ivs[len(ivs)-1].End))
}

func fmtHours(d time.Duration) string {
	if d < time.Hour {
		return fmt.Sprintf("%.0f min", d.Minutes())
	}
	return fmt.Sprintf("%.1f h", d.Hours())
}

// FormatTime writes a UTC time the way reports show it.
func FormatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// union merges intervals that overlap or are at most bridge apart.
func union(ivs []Interval, bridge time.Duration) []Interval {
	if len(ivs) == 0 {
		return nil
	}
	s := append([]Interval(nil), ivs...)
	sort.Slice(s, func(i, j int) bool { return s[i].Start.Before(s[j].Start) })
	out := []Interval{s[0]}
	for _, iv := range s[1:] {
		last := &out[len(out)-1]
		if !iv.Start.After(last.End.Add(bridge)) {
			if iv.End.After(last.End) {
				last.End = iv.End
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// subtract returns iv minus the (sorted, disjoint) holes.
func subtract(iv Interval, holes []Interval) []Interval {
	out := []Interval{}
	cur := iv.Start
	for _, h := range holes {
		if !h.End.After(cur) || !h.Start.Before(iv.End) {
			continue
		}
		if h.Start.After(cur) {
			out = append(out, Interval{cur, h.Start})
		}
		if h.End.After(cur) {
			cur = h.End
		}
	}
	if iv.End.After(cur) {
		out = append(out, Interval{cur, iv.End})
	}
	return out
}

// intersect returns the stretches in both a and b (each sorted and disjoint).
func intersect(a, b []Interval) []Interval {
	var out []Interval
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		s, e := a[i].Start, a[i].End
		if b[j].Start.After(s) {
			s = b[j].Start
		}
		if b[j].End.Before(e) {
			e = b[j].End
		}
		if e.After(s) {
			out = append(out, Interval{s, e})
		}
		if a[i].End.Before(b[j].End) {
			i++
		} else {
			j++
		}
	}
	return out
}

// covers reports whether the stretches hold all of iv.
func covers(ivs []Interval, iv Interval) bool {
	for _, c := range ivs {
		if !c.Start.After(iv.Start) && !c.End.Before(iv.End) {
			return true
		}
	}
	return false
}

// queryer is what the runner needs of a connection.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*gosql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (gosql.Result, error)
}

func scanRows(ctx context.Context, q queryer, query string, fn func(*gosql.Rows) error, args ...any) error {
	query, args = planOnce(query, args)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func jobOperation(job string) string { return parse.OperationName(job) }
