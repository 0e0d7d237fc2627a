package sql

import (
	"context"
	gosql "database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Insights is what the pictures of a report are drawn from: per-job activity over time,
// cycle and section durations, exception types, the ingest accounting and the configuration
// the jobs printed at start-up. It holds data only (times in UTC); report/html draws it.
type Insights struct {
	Start, End time.Time // the logs' span: first line to the evaluation time
	Site       string    // App Service site name when the logs tell it
	Sources    []string  // top-level archives or files the logs came from

	// Activity per job in two resolutions: the whole span, and the focus (the stretch where
	// the failing checks are, in finer buckets).
	Overview Timeline
	Focus    Timeline

	Cycles   []DurationPoint // FinishedImportCycle
	Sections []DurationPoint // FinishedSectionImport

	ExceptionTypes []ExceptionType
	Files          []FileAccount
	RejectReasons  []RejectReason
	Config         []ConfigBlock
}

// Timeline is activity per job in equal buckets from Start.
type Timeline struct {
	Start, End time.Time
	Step       time.Duration
	Jobs       []JobActivity
}

// JobActivity is one job's buckets (index i covers Start+i·Step).
type JobActivity struct {
	Job     string
	Buckets []Bucket
}

// Bucket counts one time bucket of one job.
type Bucket struct {
	Lines      int64 // traces rows
	Errors     int64 // error-level lines (as JobHealth counts them)
	Exceptions int64 // exceptions rows
	Restarts   int64 // "Process went down"
}

// DurationPoint is one finished cycle or section.
type DurationPoint struct {
	Time    time.Time
	Job     string
	Section string
	Seconds float64
}

// ExceptionType groups exceptions by outer and innermost type.
type ExceptionType struct {
	OuterType, InnermostType string
	Origins                  string // crash, handled, kudu (comma-separated)
	Jobs                     string
	Count                    int64
	First, Last              time.Time
	Message                  string // the latest innermost (else outer) message
}

// FileAccount is one files row: where every line went.
type FileAccount struct {
	Path, Kind, Status, Error, Job   string
	Bytes, Lines, Parsed, Rejected   int64
	Merged, Traces, Exceptions, Evts int64
	First, Last                      *time.Time
}

// RejectReason counts rejected lines by reason, with the first example.
type RejectReason struct {
	Reason  string
	Count   int64
	Example string // file:line
}

// ConfigBlock is the configuration a job printed at start-up ("Configured values:" and the
// start-up lines around it), once per distinct text.
type ConfigBlock struct {
	Job         string
	Lines       []string
	Count       int64 // start-ups that printed exactly this
	First, Last time.Time
	File        string // where the latest one is
	Line        int64
}

// InsightOptions choose the focus of the timelines.
type InsightOptions struct {
	FocusStart time.Time // zero: the last 48 hours of the span
	MaxBuckets int       // per timeline; default 96
}

// ComputeInsights reads the report's pictures from db, up to the report's evaluation time.
func ComputeInsights(ctx context.Context, db *gosql.DB, rep *Report, o InsightOptions) (*Insights, error) {
	if o.MaxBuckets <= 0 {
		o.MaxBuckets = 96
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	at := rep.EvaluatedAt
	in := &Insights{End: at}
	var first gosql.NullTime
	if err := conn.QueryRowContext(ctx, "SELECT least(min(timestamp), (SELECT min(first_ts) FROM files)) FROM traces WHERE timestamp <= ?", at).Scan(&first); err != nil {
		return nil, fmt.Errorf("insights: %w", err)
	}
	if !first.Valid || !first.Time.Before(at) {
		in.Start = at.Add(-time.Hour)
	} else {
		in.Start = first.Time.UTC()
	}
	if err := scanRows(ctx, conn, `SELECT string_agg(DISTINCT site, ', ' ORDER BY site) FROM files WHERE site IS NOT NULL`, func(r *gosql.Rows) error {
		var s gosql.NullString
		err := r.Scan(&s)
		in.Site = s.String
		return err
	}); err != nil {
		return nil, fmt.Errorf("insights: site: %w", err)
	}
	if err := scanRows(ctx, conn, `SELECT DISTINCT split_part(path, '!', 1) AS p FROM files ORDER BY p`, func(r *gosql.Rows) error {
		var s string
		if err := r.Scan(&s); err != nil {
			return err
		}
		in.Sources = append(in.Sources, s)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("insights: sources: %w", err)
	}
	if len(in.Sources) > 8 { // many loose files: name the folder that holds them
		in.Sources = []string{summarizePaths(in.Sources)}
	}
	jobs := make([]string, 0, len(rep.Jobs))
	for _, j := range rep.Jobs {
		jobs = append(jobs, j.Job)
	}
	in.Overview.Start, in.Overview.End = in.Start, at
	in.Overview.Step = NiceStep(at.Sub(in.Start), o.MaxBuckets)
	in.Overview.Start = in.Start.Truncate(in.Overview.Step)
	fs := o.FocusStart
	if fs.IsZero() || !fs.Before(at) {
		fs = at.Add(-48 * time.Hour)
	}
	if fs.Before(in.Start) {
		fs = in.Start
	}
	in.Focus.End = at
	in.Focus.Step = NiceStep(at.Sub(fs), o.MaxBuckets)
	in.Focus.Start = fs.Truncate(in.Focus.Step)
	for _, tl := range []*Timeline{&in.Overview, &in.Focus} {
		if err := activity(ctx, conn, tl, jobs); err != nil {
			return nil, fmt.Errorf("insights: activity: %w", err)
		}
	}
	for _, d := range []struct {
		name string
		out  *[]DurationPoint
	}{{"FinishedImportCycle", &in.Cycles}, {"FinishedSectionImport", &in.Sections}} {
		err := scanRows(ctx, conn, `SELECT timestamp, operation_Name, coalesce(section, ''), duration_s FROM customEvents
			WHERE name = ? AND duration_s IS NOT NULL AND operation_Name IS NOT NULL AND timestamp <= ?
			ORDER BY timestamp, line_no`, func(r *gosql.Rows) error {
			var p DurationPoint
			var secs int64
			if err := r.Scan(&p.Time, &p.Job, &p.Section, &secs); err != nil {
				return err
			}
			p.Time, p.Seconds = p.Time.UTC(), float64(secs)
			*d.out = append(*d.out, p)
			return nil
		}, d.name, at)
		if err != nil {
			return nil, fmt.Errorf("insights: durations: %w", err)
		}
	}
	err = scanRows(ctx, conn, `SELECT coalesce(outerType, '(type not logged)'), coalesce(innermostType, outerType, '(type not logged)'),
			string_agg(DISTINCT origin, ', ' ORDER BY origin), coalesce(string_agg(DISTINCT operation_Name, ', ' ORDER BY operation_Name), ''),
			count(*), min(timestamp), max(timestamp), coalesce(arg_max(coalesce(innermostMessage, outerMessage), timestamp), '')
		FROM exceptions WHERE timestamp <= ?
		GROUP BY 1, 2 ORDER BY 5 DESC, 1, 2 LIMIT 25`, func(r *gosql.Rows) error {
		var e ExceptionType
		if err := r.Scan(&e.OuterType, &e.InnermostType, &e.Origins, &e.Jobs, &e.Count, &e.First, &e.Last, &e.Message); err != nil {
			return err
		}
		e.First, e.Last = e.First.UTC(), e.Last.UTC()
		in.ExceptionTypes = append(in.ExceptionTypes, e)
		return nil
	}, at)
	if err != nil {
		return nil, fmt.Errorf("insights: exceptions: %w", err)
	}
	err = scanRows(ctx, conn, `SELECT path, kind, coalesce(status, ''), coalesce(error, ''), coalesce(job, ''),
			coalesce(bytes, 0), coalesce(lines, 0), coalesce(parsed, 0), coalesce(rejected, 0), coalesce(merged, 0),
			coalesce(traces, 0), coalesce(exceptions, 0), coalesce(events, 0), first_ts, last_ts
		FROM files ORDER BY (status = 'ok'), path`, func(r *gosql.Rows) error {
		var f FileAccount
		var ft, lt gosql.NullTime
		if err := r.Scan(&f.Path, &f.Kind, &f.Status, &f.Error, &f.Job, &f.Bytes, &f.Lines, &f.Parsed, &f.Rejected,
			&f.Merged, &f.Traces, &f.Exceptions, &f.Evts, &ft, &lt); err != nil {
			return err
		}
		if ft.Valid {
			t := ft.Time.UTC()
			f.First = &t
		}
		if lt.Valid {
			t := lt.Time.UTC()
			f.Last = &t
		}
		in.Files = append(in.Files, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("insights: files: %w", err)
	}
	err = scanRows(ctx, conn, `SELECT coalesce(reason, ''), count(*), arg_min(source_file || ':' || line_no, (source_file, line_no))
		FROM rejects GROUP BY 1 ORDER BY 2 DESC LIMIT 20`, func(r *gosql.Rows) error {
		var x RejectReason
		if err := r.Scan(&x.Reason, &x.Count, &x.Example); err != nil {
			return err
		}
		in.RejectReasons = append(in.RejectReasons, x)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("insights: rejects: %w", err)
	}
	if in.Config, err = configBlocks(ctx, conn, at); err != nil {
		return nil, fmt.Errorf("insights: configuration: %w", err)
	}
	return in, nil
}

// NiceStep returns a bucket length from a fixed ladder (1m … 7d) that splits span into at
// most max buckets.
func NiceStep(span time.Duration, max int) time.Duration {
	ladder := []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
		30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
		48 * time.Hour, 7 * 24 * time.Hour}
	for _, s := range ladder {
		if span/s < time.Duration(max) {
			return s
		}
	}
	return ladder[len(ladder)-1]
}

// activity fills tl.Jobs with bucket counts per job (jobs in the given order).
func activity(ctx context.Context, q queryer, tl *Timeline, jobs []string) error {
	n := int(tl.End.Sub(tl.Start)/tl.Step) + 1
	idx := map[string]int{}
	tl.Jobs = make([]JobActivity, len(jobs))
	for i, j := range jobs {
		idx[j] = i
		tl.Jobs[i] = JobActivity{Job: j, Buckets: make([]Bucket, n)}
	}
	start, step := tl.Start.UnixMilli(), tl.Step.Milliseconds()
	get := func(job string, b int64) *Bucket {
		i, ok := idx[job]
		if !ok || b < 0 || b >= int64(n) {
			return nil
		}
		return &tl.Jobs[i].Buckets[b]
	}
	err := scanRows(ctx, q, `SELECT operation_Name, (epoch_ms(timestamp) - ?) // ? AS b, count(*),
			count(*) FILTER (WHERE NOT is_system AND (severityLevel >= 3 OR level = 'ERR')),
			count(*) FILTER (WHERE template = 'kudu-process-down')
		FROM traces WHERE operation_Name IS NOT NULL AND timestamp >= ? AND timestamp <= ?
		GROUP BY ALL`, func(r *gosql.Rows) error {
		var job string
		var b, lines, errs, restarts int64
		if err := r.Scan(&job, &b, &lines, &errs, &restarts); err != nil {
			return err
		}
		if x := get(job, b); x != nil {
			x.Lines, x.Errors, x.Restarts = lines, errs, restarts
		}
		return nil
	}, start, step, tl.Start, tl.End)
	if err != nil {
		return err
	}
	return scanRows(ctx, q, `SELECT operation_Name, (epoch_ms(timestamp) - ?) // ? AS b, count(*)
		FROM exceptions WHERE operation_Name IS NOT NULL AND timestamp >= ? AND timestamp <= ?
		GROUP BY ALL`, func(r *gosql.Rows) error {
		var job string
		var b, n int64
		if err := r.Scan(&job, &b, &n); err != nil {
			return err
		}
		if x := get(job, b); x != nil {
			x.Exceptions = n
		}
		return nil
	}, start, step, tl.Start, tl.End)
}

// configBlocks collects each job's start-up configuration: from the engine's START line (when
// it is just before) through "Configured values:" and the lines after it, up to the first line
// that is no longer configuration (the SQL test, the pause, the next start).
func configBlocks(ctx context.Context, q queryer, at time.Time) ([]ConfigBlock, error) {
	type line struct {
		no       int64
		msg, tpl string
		sys      bool
	}
	type start struct {
		job, file string
		fileID    int64
		line      int64
		ts        time.Time
		lines     []line
	}
	var starts []*start
	key := map[[2]int64]*start{} // (file_id, line_no) of "Configured values:"
	err := scanRows(ctx, q, `WITH c AS (
			SELECT operation_Name AS job, file_id, line_no, timestamp, source_file FROM traces
			WHERE template = 'configured-values' AND operation_Name IS NOT NULL AND timestamp <= ?
		)
		SELECT c.job, c.file_id, c.line_no, c.timestamp, c.source_file, t.line_no, coalesce(t.message, ''),
			coalesce(t.template, ''), coalesce(t.is_system, false)
		FROM c JOIN traces t ON t.file_id = c.file_id AND t.operation_Name = c.job
			AND t.line_no BETWEEN c.line_no - 12 AND c.line_no + 40
			AND t.timestamp BETWEEN c.timestamp - INTERVAL 30 SECOND AND c.timestamp + INTERVAL 60 SECOND
		ORDER BY c.timestamp, c.file_id, c.line_no, t.line_no`, func(r *gosql.Rows) error {
		var s start
		var l line
		if err := r.Scan(&s.job, &s.fileID, &s.line, &s.ts, &s.file, &l.no, &l.msg, &l.tpl, &l.sys); err != nil {
			return err
		}
		k := [2]int64{s.fileID, s.line}
		p := key[k]
		if p == nil {
			s.ts = s.ts.UTC()
			p = &s
			key[k] = p
			starts = append(starts, p)
		}
		p.lines = append(p.lines, l)
		return nil
	}, at)
	if err != nil {
		return nil, err
	}
	var out []ConfigBlock
	seen := map[string]int{}
	for _, s := range starts {
		// The engine START line at or before "Configured values:", if it is near.
		from := -1
		for i, l := range s.lines {
			if l.no > s.line {
				break
			}
			if l.no == s.line && from < 0 {
				from = i
			}
			if l.tpl == "engine-start" {
				from = i
			}
		}
		if from < 0 {
			continue
		}
		var text []string
		for i := from; i < len(s.lines) && len(text) < 30; i++ {
			l := s.lines[i]
			// A progress line is no configuration either (and diagnose may keep it without its
			// text: LeanTemplates): it ends the block, and before "Configured values:" it is left out.
			progress := slices.Contains(leanTemplates, l.tpl)
			if l.no > s.line && (l.sys || progress || l.tpl == "engine-start" || l.tpl == "pausing-seconds" || strings.HasPrefix(l.tpl, "sql-test") ||
				strings.HasPrefix(l.msg, "Testing SQL config") || strings.HasPrefix(l.msg, "Pausing ")) {
				break
			}
			if l.sys || progress {
				continue
			}
			text = append(text, strings.TrimRight(l.msg, " \r"))
		}
		for len(text) > 0 && strings.TrimSpace(text[len(text)-1]) == "" {
			text = text[:len(text)-1]
		}
		k := s.job + "\x00" + strings.Join(text, "\n")
		if i, ok := seen[k]; ok {
			b := &out[i]
			b.Count++
			if s.ts.Before(b.First) {
				b.First = s.ts
			}
			if !s.ts.Before(b.Last) {
				b.Last, b.File, b.Line = s.ts, s.file, s.line
			}
			continue
		}
		seen[k] = len(out)
		out = append(out, ConfigBlock{Job: s.job, Lines: text, Count: 1, First: s.ts, Last: s.ts, File: s.file, Line: s.line})
	}
	// Per job, the latest configuration first.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Job != out[j].Job {
			return out[i].Job < out[j].Job
		}
		return out[i].Last.After(out[j].Last)
	})
	return out, nil
}

// summarizePaths names the deepest folder holding all paths, with the count.
func summarizePaths(paths []string) string {
	prefix := paths[0]
	for _, p := range paths[1:] {
		for !strings.HasPrefix(p, prefix) {
			prefix = prefix[:len(prefix)-1]
		}
	}
	if i := strings.LastIndexAny(prefix, `/\`); i >= 0 {
		prefix = prefix[:i+1]
	} else {
		prefix = ""
	}
	if prefix == "" {
		prefix = "."
	}
	return fmt.Sprintf("%s (%d files)", prefix, len(paths))
}
