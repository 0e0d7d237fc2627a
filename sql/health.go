package sql

import (
	"context"
	gosql "database/sql"
	"time"
)

// JobHealth summarises one web-job for the report: how much it ran, how its cycles and
// sections went, and how often it failed.
type JobHealth struct {
	Job           string          `json:"job"`
	Status        string          `json:"status,omitempty"` // last known Kudu status
	FirstSeen     *time.Time      `json:"firstSeen"`
	LastSeen      *time.Time      `json:"lastSeen"`
	Lines         int64           `json:"lines"`
	Cycles        int64           `json:"cycles"` // FinishedImportCycle events
	LastCycle     *time.Time      `json:"lastCycle"`
	CycleSeconds  *Quantiles      `json:"cycleSeconds,omitempty"`
	Sections      []SectionHealth `json:"sections"`
	Restarts      int64           `json:"restarts"` // "Process went down"
	Crashes       int64           `json:"crashes"`  // unhandled exceptions
	Errors        int64           `json:"errors"`   // error-level lines (severity ≥ 3 or stderr)
	ErrorsPerHour float64         `json:"errorsPerHour"`
}

// Quantiles of a duration series, in seconds.
type Quantiles struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
}

// SectionHealth is one import section of a job.
type SectionHealth struct {
	Name            string     `json:"name"`
	Count           int64      `json:"count"`
	Last            *time.Time `json:"last"`
	LastDurationSec *int64     `json:"lastDurationSeconds"`
}

// Health computes the per-job summary at evaluation time at.
func Health(ctx context.Context, q queryer, at time.Time) ([]JobHealth, error) {
	var out []JobHealth
	idx := map[string]int{}
	err := scanRows(ctx, q, `SELECT operation_Name, min(timestamp), max(timestamp), count(*),
			count(*) FILTER (WHERE template = 'kudu-process-down'),
			count(*) FILTER (WHERE NOT is_system AND (severityLevel >= 3 OR level = 'ERR'))
		FROM traces WHERE operation_Name IS NOT NULL AND timestamp <= ?
		GROUP BY operation_Name ORDER BY operation_Name`, func(r *gosql.Rows) error {
		var h JobHealth
		var first, last time.Time
		if err := r.Scan(&h.Job, &first, &last, &h.Lines, &h.Restarts, &h.Errors); err != nil {
			return err
		}
		first, last = first.UTC(), last.UTC()
		h.FirstSeen, h.LastSeen = &first, &last
		// per hour of the span the job's lines cover, counting at least one hour
		h.ErrorsPerHour = float64(h.Errors) / max(last.Sub(first).Hours(), 1)
		h.Sections = []SectionHealth{}
		idx[h.Job] = len(out)
		out = append(out, h)
		return nil
	}, at)
	if err != nil {
		return nil, err
	}
	err = scanRows(ctx, q, `SELECT operation_Name, count(*), max(timestamp),
			min(duration_s), median(duration_s), max(duration_s)
		FROM customEvents WHERE name = 'FinishedImportCycle' AND operation_Name IS NOT NULL AND timestamp <= ?
		GROUP BY operation_Name`, func(r *gosql.Rows) error {
		var job string
		var n int64
		var last time.Time
		var mn, md, mx gosql.NullFloat64
		if err := r.Scan(&job, &n, &last, &mn, &md, &mx); err != nil {
			return err
		}
		if i, ok := idx[job]; ok {
			last = last.UTC()
			out[i].Cycles, out[i].LastCycle = n, &last
			if mn.Valid {
				out[i].CycleSeconds = &Quantiles{mn.Float64, md.Float64, mx.Float64}
			}
		}
		return nil
	}, at)
	if err != nil {
		return nil, err
	}
	err = scanRows(ctx, q, `SELECT operation_Name, section, count(*), max(timestamp), arg_max(duration_s, timestamp)
		FROM customEvents WHERE name = 'FinishedSectionImport' AND operation_Name IS NOT NULL AND timestamp <= ?
		GROUP BY ALL ORDER BY operation_Name, section`, func(r *gosql.Rows) error {
		var job string
		var s SectionHealth
		var last time.Time
		var dur gosql.NullInt64
		if err := r.Scan(&job, &s.Name, &s.Count, &last, &dur); err != nil {
			return err
		}
		last = last.UTC()
		s.Last = &last
		if dur.Valid {
			d := dur.Int64
			s.LastDurationSec = &d
		}
		if i, ok := idx[job]; ok {
			out[i].Sections = append(out[i].Sections, s)
		}
		return nil
	}, at)
	if err != nil {
		return nil, err
	}
	err = scanRows(ctx, q, `SELECT operation_Name, count(*) FROM exceptions WHERE origin = 'crash' AND timestamp <= ?
		GROUP BY operation_Name`, func(r *gosql.Rows) error {
		var job gosql.NullString
		var n int64
		if err := r.Scan(&job, &n); err != nil {
			return err
		}
		if i, ok := idx[job.String]; ok {
			out[i].Crashes = n
		}
		return nil
	}, at)
	if err != nil {
		return nil, err
	}
	// Last status: status files first, else the last status line. A status file counts from
	// its capture time on (the latest line of its bundle, else of all logs), as in
	// checks/job-not-running.sql: at an earlier --at the status lines tell.
	err = scanRows(ctx, q, `WITH s AS (
			SELECT s.job, s.status, 0 AS prio, NULL::TIMESTAMP AS ts, 0 AS line FROM job_status s JOIN files f USING (file_id)
			WHERE s.job IS NOT NULL AND $1 >= coalesce(
				(SELECT max(l.last_ts) FROM files l WHERE l.kind IN ('kudu-log', 'app-log-csv', 'app-log-txt')
					AND split_part(l.path, '!', 1) = split_part(f.path, '!', 1)),
				(SELECT max(last_ts) FROM files), $1)
			UNION ALL
			SELECT job, regexp_extract(message, '^Status changed to (\w+)', 1), 1, timestamp, line_no FROM traces
			WHERE template = 'kudu-status' AND job IS NOT NULL AND timestamp <= $1
		)
		SELECT job, arg_min(status, (prio, -epoch(coalesce(ts, TIMESTAMP '1970-01-01')), -line)) FROM s GROUP BY job`, func(r *gosql.Rows) error {
		var job, st string
		if err := r.Scan(&job, &st); err != nil {
			return err
		}
		for i := range out {
			if out[i].Job == job || out[i].Job == jobOperation(job) {
				out[i].Status = st
			}
		}
		return nil
	}, at)
	return out, err
}
