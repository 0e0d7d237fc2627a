package store

import (
	"context"
	gosql "database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The results table of a fleet run (diagnose --fleet --results DIR): one row per site and
// check, written as one Parquet file per run and shard,
//
//	DIR/results/shard=<K>-of-<N>/part-<run_id>.parquet
//
// so that N shards on N machines (or nights of runs) writing into one DIR add up: a run
// writes a file of its own and never touches another. The file is written under a temporary
// name in a folder made for it and renamed into place, so it is there whole or not at all
// (one file per run: the rename is the commit; names starting with '.' or '_' are not read).
// A reader takes, for each site, the rows of the latest run that diagnosed it (run_at, then
// run_id): a shard run again after a failure replaces its sites in the picture.

// ResultsDir is the folder of the results table inside a --results folder.
const ResultsDir = "results"

// ResultRow is one row of the results table: a site's check, with the site's summary repeated
// on each row (a site that could not be diagnosed has one row without a check).
type ResultRow struct {
	RunID string    // the run that wrote the row
	RunAt time.Time // when that run started
	Shard string    // "2-of-4"; "1-of-1" for a run without --shard
	Fleet string    // the fleet's source (folder or container, without a SAS)

	Site        string
	Source      string // where the site was read from
	SiteStatus  string // ok | problems | empty | failed
	Verdict     string
	Error       string
	Files       int64
	Lines       int64
	Rejected    int64
	InputErrors int64
	Report      string // the site's HTML report (--reports), as the summary links it
	JSONReport  string // the site's JSON report, relative to the results folder

	Check       string // check id; "" on the row of a site without checks
	Title       string
	Severity    string
	Status      string // pass | fail | unknown | skipped
	Count       int64
	FirstSeen   *time.Time
	LastSeen    *time.Time
	EvaluatedAt *time.Time // the site's evaluation time (none for an empty site)
	Position    int        // the check's place in the site's report
	FailingRank int        // its place among the site's failing checks (as the summary lists them); -1: not failing
	Since       *time.Time // when a failing check started failing, as the summary says
}

// resultsColumns are the table's columns, in order, with their types.
var resultsColumns = [][2]string{
	{"run_id", "VARCHAR"}, {"run_at", "TIMESTAMPTZ"}, {"shard", "VARCHAR"}, {"fleet", "VARCHAR"},
	{"site", "VARCHAR"}, {"source", "VARCHAR"}, {"site_status", "VARCHAR"}, {"verdict", "VARCHAR"},
	{"error", "VARCHAR"}, {"files", "BIGINT"}, {"lines", "BIGINT"}, {"rejected", "BIGINT"},
	{"input_errors", "BIGINT"}, {"report", "VARCHAR"}, {"json_report", "VARCHAR"},
	{"check_id", "VARCHAR"}, {"title", "VARCHAR"}, {"severity", "VARCHAR"}, {"status", "VARCHAR"},
	{"count", "BIGINT"}, {"first_seen", "TIMESTAMPTZ"}, {"last_seen", "TIMESTAMPTZ"},
	{"evaluated_at", "TIMESTAMPTZ"}, {"position", "INTEGER"}, {"failing_rank", "INTEGER"},
	{"since", "TIMESTAMPTZ"},
}

// ResultsSchema lists the results table's columns as "name TYPE" (README, --help).
func ResultsSchema() []string {
	out := make([]string, len(resultsColumns))
	for i, c := range resultsColumns {
		out[i] = c[0] + " " + c[1]
	}
	return out
}

func (r *ResultRow) values() []driver.Value {
	str := func(s string) driver.Value {
		if s == "" {
			return nil
		}
		return s
	}
	tm := func(t *time.Time) driver.Value {
		if t == nil {
			return nil
		}
		return t.UTC()
	}
	var count, position, rank driver.Value
	if r.Check != "" {
		count, position = r.Count, int32(r.Position)
		if r.FailingRank >= 0 {
			rank = int32(r.FailingRank)
		}
	}
	return []driver.Value{r.RunID, r.RunAt.UTC(), r.Shard, str(r.Fleet),
		r.Site, str(r.Source), r.SiteStatus, str(r.Verdict),
		str(r.Error), r.Files, r.Lines, r.Rejected,
		r.InputErrors, str(r.Report), str(r.JSONReport),
		str(r.Check), str(r.Title), str(r.Severity), str(r.Status),
		count, tm(r.FirstSeen), tm(r.LastSeen),
		tm(r.EvaluatedAt), position, rank,
		tm(r.Since)}
}

// WriteResults writes rows as the Parquet file path (zstd), atomically: to a temporary name
// in a folder made for it beside path, then renamed into place. The folder of path is made.
func WriteResults(ctx context.Context, path string, rows []ResultRow) error {
	if err := writeResults(ctx, path, rows); err != nil {
		return fmt.Errorf("write results %s: %w", path, err)
	}
	return nil
}

func writeResults(ctx context.Context, path string, rows []ResultRow) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	s, err := Open(ctx, "", Options{Threads: 1, MemoryLimit: "256MB"})
	if err != nil {
		return err
	}
	defer s.Close()
	cols := make([]string, len(resultsColumns))
	for i, c := range resultsColumns {
		cols[i] = quoteIdent(c[0]) + " " + c[1]
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "CREATE TABLE kl_results ("+strings.Join(cols, ", ")+")"); err != nil {
		return err
	}
	if err := conn.Raw(func(dc any) error {
		return appendRows(dc.(driver.Conn), "kl_results", len(rows), func(i int) []driver.Value { return rows[i].values() })
	}); err != nil {
		return err
	}
	// DuckDB writes to a name of ours in a folder made exclusively for it (as writePartitions).
	tmpDir, err := os.MkdirTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, "part.parquet")
	if _, err := conn.ExecContext(ctx, "COPY (SELECT * FROM kl_results ORDER BY site, position NULLS FIRST) TO "+
		quoteStr(tmp)+" (FORMAT PARQUET, COMPRESSION ZSTD)"); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ResultFiles lists the committed part files of the results table in dir (a --results folder),
// sorted.
func ResultFiles(dir string) ([]string, error) {
	root := filepath.Join(dir, ResultsDir)
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			if d.IsDir() {
				return filepath.SkipDir // a write in progress
			}
			return nil
		}
		if !d.IsDir() && d.Type().IsRegular() && strings.HasPrefix(name, "part-") && strings.HasSuffix(name, ".parquet") {
			files = append(files, p)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no results table (%s/shard=*/part-*.parquet): not a folder written by diagnose --fleet --results", dir, ResultsDir)
	}
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no committed results (no %s/shard=*/part-*.parquet): did every run fail?", dir, ResultsDir)
	}
	sort.Strings(files)
	return files, nil
}

// ReadResults reads the results table of dir back: for each site the rows of the latest run
// that diagnosed it, ordered by site and the checks' places in the site's report.
func ReadResults(ctx context.Context, dir string) ([]ResultRow, error) {
	files, err := ResultFiles(dir)
	if err != nil {
		return nil, err
	}
	s, err := Open(ctx, "", Options{Threads: 1, MemoryLimit: "256MB"})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	l := &lake{dir: dir}
	defer l.close()
	list, err := l.fileList(files)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(resultsColumns))
	for i, c := range resultsColumns {
		names[i] = quoteIdent(c[0])
	}
	q := "SELECT " + strings.Join(names, ", ") + " FROM read_parquet(" + list + ", union_by_name = true, hive_partitioning = false)" +
		" QUALIFY dense_rank() OVER (PARTITION BY site ORDER BY run_at DESC, run_id DESC) = 1 ORDER BY site, position NULLS FIRST"
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read results of %s: %w", dir, err)
	}
	defer rows.Close()
	var out []ResultRow
	for rows.Next() {
		var r ResultRow
		var fleet, source, verdict, errText, report, jsonReport, check, title, severity, status gosql.NullString
		var count, position, rank gosql.NullInt64
		var first, last, evaluated, since gosql.NullTime
		if err := rows.Scan(&r.RunID, &r.RunAt, &r.Shard, &fleet, &r.Site, &source, &r.SiteStatus, &verdict,
			&errText, &r.Files, &r.Lines, &r.Rejected, &r.InputErrors, &report, &jsonReport,
			&check, &title, &severity, &status, &count, &first, &last, &evaluated, &position, &rank, &since); err != nil {
			return nil, fmt.Errorf("read results of %s: %w", dir, err)
		}
		r.RunAt = r.RunAt.UTC()
		r.Fleet, r.Source, r.Verdict, r.Error, r.Report, r.JSONReport = fleet.String, source.String, verdict.String, errText.String, report.String, jsonReport.String
		r.Check, r.Title, r.Severity, r.Status = check.String, title.String, severity.String, status.String
		r.Count, r.Position, r.FailingRank = count.Int64, int(position.Int64), -1
		if rank.Valid {
			r.FailingRank = int(rank.Int64)
		}
		r.FirstSeen, r.LastSeen, r.EvaluatedAt, r.Since = utcPtr(first), utcPtr(last), utcPtr(evaluated), utcPtr(since)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read results of %s: %w", dir, err)
	}
	return out, nil
}

func utcPtr(t gosql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
