package sql

import (
	"context"
	gosql "database/sql"
)

// InputProblem is an input the diagnosis could not read, or read only in part: a path that
// does not exist, an archive that is damaged. A report names them, so that a verdict on one
// good bundle of two does not read as a verdict on both.
type InputProblem struct {
	Path   string `json:"path"`
	Status string `json:"status"` // failed or partial (files.status)
	Error  string `json:"error"`
}

// readInputProblems lists the failed and partly read files of the database.
func readInputProblems(ctx context.Context, q queryer) ([]InputProblem, error) {
	rows, err := q.QueryContext(ctx, `SELECT path, status, coalesce(error, '') FROM files
		WHERE status IN ('failed', 'partial') ORDER BY path`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []InputProblem
	for rows.Next() {
		var p InputProblem
		if err := rows.Scan(&p.Path, &p.Status, &p.Error); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// NoLinesReason is why a check cannot be judged when the inputs hold no log line at all.
const NoLinesReason = "the inputs hold no log lines: nothing to judge"

// markNothingJudged makes every pass and unknown of a report on no log lines "cannot be
// judged" for that one reason: a check that saw nothing has not passed. (Failures stand: a
// status file alone can prove one; skipped checks do not apply anyway.)
func markNothingJudged(rep *Report) {
	if rep.Ingest.Traces > 0 {
		return
	}
	for i := range rep.Checks {
		if c := &rep.Checks[i]; c.Status == StatusPass || c.Status == StatusUnknown {
			c.Status, c.Reason, c.Detail = StatusUnknown, NoLinesReason, ""
		}
	}
}

// SiteName is the App Service site the logs name (files.site; several joined by ", "), or ""
// when none does.
func SiteName(ctx context.Context, db *gosql.DB) (string, error) {
	var s gosql.NullString
	err := db.QueryRowContext(ctx, `SELECT string_agg(DISTINCT site, ', ' ORDER BY site) FROM files WHERE site IS NOT NULL`).Scan(&s)
	return s.String, err
}
