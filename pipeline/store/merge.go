package store

import (
	"context"
	gosql "database/sql"
	"fmt"
	"time"
)

// MergeStats counts what Merge did.
type MergeStats struct {
	KuduCopies   int64 // job-log lines found in an earlier-ingested job log (overlapping bundles)
	AppLogCopies int64 // application-log rows that were copies of job-log lines (merged into them)
	AppLogDups   int64 // application-log rows seen in two application-log files
	Attributed   int64 // application-log rows given a job by their neighbours
}

// Merge makes each console line count once and gives application-log rows their job
// (docs/formats.md §5.1). One site's bundle holds the same line in job_log.txt (the first 200
// lines of each run, with job name and instance) and in the application log (every line, no
// job); two bundles of one site overlap. Merge keeps the richer row — the job-log one, which
// knows its job — notes where the copy was (also_file, also_line), deletes the copy, and
// counts it in files.merged. It then attributes the remaining application-log rows: by
// template where the message belongs to one job (done while parsing), else by the nearest
// attributed line of the same instance within 15 minutes. Merge is idempotent and runs at the
// end of every ingest, in one transaction.
func (s *Store) Merge(ctx context.Context) (MergeStats, error) {
	var ms MergeStats
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return ms, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return ms, err
	}
	committed := false
	defer func() {
		if !committed {
			conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	exec := func(q string, args ...any) (int64, error) {
		r, err := conn.ExecContext(ctx, q, args...)
		if err != nil {
			return 0, fmt.Errorf("%w\n%s", err, q)
		}
		return r.RowsAffected()
	}
	for _, q := range []string{
		"CREATE OR REPLACE TEMP TABLE kl_pairs (keep_rid BIGINT, drop_rid BIGINT)",
	} {
		if _, err := exec(q); err != nil {
			return ms, err
		}
	}

	// Each step only looks at the time span where the files it compares overlap (from the
	// files table), so a database of one big job log or of disjoint bundles costs nothing here.
	const live = "status IN ('ok', 'partial')"
	span := func(q string) (lo, hi time.Time, ok bool, err error) {
		var l, h gosql.NullTime
		if err := conn.QueryRowContext(ctx, q).Scan(&l, &h); err != nil {
			return lo, hi, false, fmt.Errorf("%w\n%s", err, q)
		}
		return l.Time, h.Time, l.Valid && h.Valid && !l.Time.After(h.Time), nil
	}

	// 1. The same job-log line in two job-log files (two bundles of one site, or job_log.txt
	// saved twice): same job, instance, second, level and text, and the same ordinal among
	// identical lines of that second. Keep the earliest-ingested file's row.
	lo, hi, ok, err := span(overlapSpanSQL("kind = 'kudu-log' AND "+live, "PARTITION BY job"))
	if err != nil {
		return ms, err
	}
	if ok {
		if _, err := exec(`INSERT INTO kl_pairs
		WITH multi AS (
			SELECT job, instance, timestamp, msg_hash FROM traces WHERE source = 'job-log' AND timestamp BETWEEN ? AND ?
			GROUP BY ALL HAVING count(DISTINCT file_id) > 1
		), k AS (
			SELECT t.rowid AS rid, t.file_id,
				row_number() OVER (PARTITION BY t.file_id, t.job, t.instance, t.timestamp, t.msg_hash ORDER BY t.line_no) AS ord,
				t.job, t.instance, t.timestamp, t.msg_hash
			FROM traces t JOIN multi m USING (job, instance, timestamp, msg_hash)
			WHERE t.source = 'job-log'
		), r AS (
			SELECT rid, first_value(rid) OVER w AS keep, row_number() OVER w AS n
			FROM k WINDOW w AS (PARTITION BY job, instance, timestamp, msg_hash, ord ORDER BY file_id)
		)
		SELECT keep, rid FROM r WHERE n > 1`, lo, hi); err != nil {
			return ms, err
		}
	}
	n, err := s.applyPairs(ctx, conn)
	if err != nil {
		return ms, err
	}
	ms.KuduCopies = n

	// 2. The same application-log row in two application-log files (overlapping exports, or
	// the same blob in two bundles): same instance, tick-precise time and text. Done before
	// step 3, which would otherwise pair only one of the copies with its job-log line.
	lo, hi, ok, err = span(overlapSpanSQL("kind IN ('app-log-csv', 'app-log-txt') AND "+live, ""))
	if err != nil {
		return ms, err
	}
	if ok {
		if _, err := exec(`INSERT INTO kl_pairs
		WITH multi AS (
			SELECT instance, timestamp, msg_hash FROM traces WHERE source = 'app-log' AND timestamp BETWEEN ? AND ?
			GROUP BY ALL HAVING count(DISTINCT file_id) > 1
		), k AS (
			SELECT t.rowid AS rid, t.file_id, t.instance, t.timestamp, t.msg_hash,
				row_number() OVER (PARTITION BY t.file_id, t.instance, t.timestamp, t.msg_hash ORDER BY t.line_no) AS ord
			FROM traces t JOIN multi m ON t.instance IS NOT DISTINCT FROM m.instance AND t.timestamp = m.timestamp AND t.msg_hash = m.msg_hash
			WHERE t.source = 'app-log'
		), r AS (
			SELECT rid, first_value(rid) OVER w AS keep, row_number() OVER w AS n
			FROM k WINDOW w AS (PARTITION BY instance, timestamp, msg_hash, ord ORDER BY file_id)
		)
		SELECT keep, rid FROM r WHERE n > 1`, lo, hi); err != nil {
			return ms, err
		}
	}
	if n, err = s.applyPairs(ctx, conn); err != nil {
		return ms, err
	}
	ms.AppLogDups = n

	// 3. Application-log rows that copy a job-log line: same instance (Kudu prints the first six
	// characters), text and level, logged in the same second or one apart (the application log
	// is written just before Kudu's line). Pair identical lines in order within their second.
	// A job-log row that already notes a copy (step 1) takes its application-log copy too:
	// also_file keeps the first copy noted.
	// (greatest and least skip NULLs: without logs of both kinds there is nothing to pair.)
	lo, hi, ok, err = span(`SELECT CASE WHEN k.lo IS NOT NULL AND a.lo IS NOT NULL THEN greatest(k.lo, a.lo) - INTERVAL 2 SECOND END,
			CASE WHEN k.hi IS NOT NULL AND a.hi IS NOT NULL THEN least(k.hi, a.hi) + INTERVAL 2 SECOND END
		FROM (SELECT min(first_ts) AS lo, max(last_ts) AS hi FROM files WHERE kind = 'kudu-log' AND ` + live + `) k,
		     (SELECT min(first_ts) AS lo, max(last_ts) AS hi FROM files WHERE kind IN ('app-log-csv', 'app-log-txt') AND ` + live + `) a`)
	if err != nil {
		return ms, err
	}
	for _, delta := range []int{0, -1, 1, -2, 2} {
		if !ok {
			break
		}
		if _, err := exec(fmt.Sprintf(`INSERT INTO kl_pairs
			WITH k AS (
				SELECT rowid AS rid, left(instance, 6) AS inst, msg_hash, epoch(timestamp)::BIGINT AS sec,
					row_number() OVER (PARTITION BY left(instance, 6), msg_hash, epoch(timestamp)::BIGINT ORDER BY file_id, line_no) AS ord
				FROM traces
				WHERE source = 'job-log' AND NOT is_system AND timestamp BETWEEN ? AND ?
					AND rowid NOT IN (SELECT keep_rid FROM kl_pairs)
			), a AS (
				SELECT rowid AS rid, left(coalesce(instance, ''), 6) AS inst, msg_hash, epoch(timestamp)::BIGINT AS sec,
					row_number() OVER (PARTITION BY left(coalesce(instance, ''), 6), msg_hash, epoch(timestamp)::BIGINT ORDER BY file_id, line_no) AS ord
				FROM traces
				WHERE source = 'app-log' AND timestamp BETWEEN ? AND ? AND rowid NOT IN (SELECT drop_rid FROM kl_pairs)
			)
			SELECT k.rid, a.rid FROM k JOIN a
				ON (a.inst = k.inst OR a.inst = '') AND a.msg_hash = k.msg_hash AND a.sec = k.sec + (%d) AND a.ord = k.ord`, delta), lo, hi, lo, hi); err != nil {
			return ms, err
		}
	}
	if n, err = s.applyPairs(ctx, conn); err != nil {
		return ms, err
	}
	ms.AppLogCopies = n

	// 4. Attribute the remaining application-log rows to a job by their nearest attributed
	// neighbour (same instance, within 15 minutes, the closer of before and after), looking only
	// around the rows that need it (see attributeByNeighbourSQL).
	lo, hi, ok, err = span(`SELECT min(timestamp) - INTERVAL 15 MINUTE, max(timestamp) + INTERVAL 15 MINUTE
		FROM traces WHERE source = 'app-log' AND job IS NULL AND NOT is_system`)
	if err != nil {
		return ms, err
	}
	n = 0
	if ok {
		n, err = exec(attributeByNeighbourSQL, lo, hi)
		if err != nil {
			return ms, err
		}
	}
	ms.Attributed = n

	// 5. Template hints name jobs canonically (Office365ActivityImporter); when the site's
	// Kudu folder for that program has another name (Office365ActivityImport), use it.
	if _, err := exec(`UPDATE traces SET job = m.job
		FROM (SELECT operation_Name, min(job) AS job FROM files f JOIN (SELECT DISTINCT file_id, operation_Name FROM traces
		        WHERE source = 'job-log' AND operation_Name IS NOT NULL) t USING (file_id)
		      WHERE f.kind = 'kudu-log' AND f.job IS NOT NULL GROUP BY 1 HAVING count(DISTINCT f.job) = 1) m
		WHERE traces.source = 'app-log' AND traces.operation_Name = m.operation_Name AND traces.job IS DISTINCT FROM m.job`); err != nil {
		return ms, err
	}

	// 6. Exceptions and events of application-log rows take the job of their first line.
	for _, tbl := range []string{"exceptions", "customEvents"} {
		if _, err := exec(fmt.Sprintf(`UPDATE %s SET job = t.job, operation_Name = t.operation_Name
			FROM traces t WHERE %s.job IS DISTINCT FROM t.job AND t.job IS NOT NULL AND t.source = 'app-log'
			  AND t.file_id = %s.file_id AND t.line_no = %s.line_no`,
			tbl, tbl, tbl, tbl)); err != nil {
			return ms, err
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return ms, err
	}
	committed = true
	return ms, nil
}

// attributeByNeighbourSQL gives each unattributed application-log row (not SYS) between the
// two bound times the job and operation name of its nearest attributed row of the same
// instance (Kudu's six characters) within 15 minutes, the earlier one when both are as near.
// The operation name is that of the nearest row that has one, as the job is of the nearest
// row that has one.
//
// Each neighbour is found by an ASOF join (a sort and a merge of the rows that need a
// neighbour with those that can be one), so the cost grows with the rows, not with the rows
// times their neighbours: the windowed last_value(job IGNORE NULLS) over a 15-minute RANGE
// frame it replaces scanned every frame anew, and 800,000 unattributed rows of one instance
// within 15 minutes took 98 s of CPU (issue 18).
const attributeByNeighbourSQL = `UPDATE traces SET job = nb.job, operation_Name = nb.op, job_source = 'neighbour'
FROM (
	WITH c AS (
		SELECT rowid AS rid, timestamp AS ts, left(coalesce(instance, ''), 6) AS inst, job, operation_Name AS op,
			job IS NULL AND source = 'app-log' AS needs
		FROM traces WHERE NOT is_system AND timestamp BETWEEN ? AND ?
	),
	jobs AS (SELECT inst, ts, job FROM c WHERE job IS NOT NULL),
	ops AS (SELECT inst, ts, op FROM c WHERE op IS NOT NULL),
	pj AS (SELECT t.rid, t.ts, t.inst, j.job AS prev_job, j.ts AS prev_ts
		FROM (SELECT rid, ts, inst FROM c WHERE needs) t ASOF LEFT JOIN jobs j ON t.inst = j.inst AND t.ts >= j.ts),
	nj AS (SELECT t.*, j.job AS next_job, j.ts AS next_ts FROM pj t ASOF LEFT JOIN jobs j ON t.inst = j.inst AND t.ts <= j.ts),
	po AS (SELECT t.*, o.op AS prev_op, o.ts AS prev_op_ts FROM nj t ASOF LEFT JOIN ops o ON t.inst = o.inst AND t.ts >= o.ts),
	no AS (SELECT t.*, o.op AS next_op, o.ts AS next_op_ts FROM po t ASOF LEFT JOIN ops o ON t.inst = o.inst AND t.ts <= o.ts),
	near AS (
		SELECT rid, ts,
			CASE WHEN prev_ts >= ts - INTERVAL 15 MINUTE THEN prev_job END AS prev_job, prev_ts,
			CASE WHEN next_ts <= ts + INTERVAL 15 MINUTE THEN next_job END AS next_job, next_ts,
			CASE WHEN prev_op_ts >= ts - INTERVAL 15 MINUTE THEN prev_op END AS prev_op,
			CASE WHEN next_op_ts <= ts + INTERVAL 15 MINUTE THEN next_op END AS next_op
		FROM no
	)
	SELECT rid,
		CASE WHEN prev_job IS NULL THEN next_job
		     WHEN next_job IS NULL THEN prev_job
		     WHEN ts - prev_ts <= next_ts - ts THEN prev_job ELSE next_job END AS job,
		CASE WHEN prev_job IS NULL THEN next_op
		     WHEN next_job IS NULL THEN prev_op
		     WHEN ts - prev_ts <= next_ts - ts THEN prev_op ELSE next_op END AS op
	FROM near
	WHERE prev_job IS NOT NULL OR next_job IS NOT NULL
) nb
WHERE traces.rowid = nb.rid`

// overlapSpanSQL returns a query of the time span where files (those matching where, compared
// within the given window partition) overlap in time: the earliest start and the latest end of
// an overlap of two of them, NULLs when none overlap. It is what
//
//	SELECT min(greatest(a.first_ts, b.first_ts)), max(least(a.last_ts, b.last_ts))
//	FROM files a JOIN files b ON a.file_id < b.file_id [AND a.job IS NOT DISTINCT FROM b.job]
//	WHERE a.first_ts <= b.last_ts AND b.first_ts <= a.last_ts
//
// computes, without comparing every pair of files (quadratic: minutes for 100,000 files). In
// the order of first_ts, a file overlaps an earlier one iff it starts before the latest end
// among the earlier ones; the overlap with that one ends at the lesser of both ends.
func overlapSpanSQL(where, partition string) string {
	return `SELECT min(first_ts), max(least(prev_last, last_ts)) FROM (
		SELECT first_ts, last_ts, max(last_ts) OVER (` + partition + ` ORDER BY first_ts, file_id
			ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_last
		FROM files WHERE ` + where + ` AND first_ts IS NOT NULL AND last_ts IS NOT NULL
	) WHERE first_ts <= prev_last`
}

// applyPairs merges the rows in kl_pairs: the kept row notes where its copy was, derived rows
// (exceptions, events) anchored on a dropped row are merged into the kept row's (the richer
// exception text wins), the dropped rows are deleted and counted in files.merged.
func (s *Store) applyPairs(ctx context.Context, conn *gosql.Conn) (int64, error) {
	var pairs int64
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM kl_pairs").Scan(&pairs); err != nil || pairs == 0 {
		return 0, err
	}
	stmts := []string{
		`CREATE OR REPLACE TEMP TABLE kl_p AS
			SELECT k.rowid AS keep_rid, d.rowid AS drop_rid, k.file_id AS keep_file, k.line_no AS keep_line,
				d.file_id AS drop_file, d.line_no AS drop_line, d.line_count AS drop_lines, d.source_file AS drop_path
			FROM kl_pairs p JOIN traces k ON k.rowid = p.keep_rid JOIN traces d ON d.rowid = p.drop_rid`,
		`UPDATE traces SET also_file = p.drop_path, also_line = p.drop_line
			FROM kl_p p WHERE traces.rowid = p.keep_rid AND traces.also_file IS NULL`,
		// A crash printed in both files: keep the kept row's exception, but take the longer
		// text (the job log may have been cut by the 200-line cap in the middle of the stack).
		`UPDATE exceptions SET details = d.details, frames = d.frames, line_count = greatest(exceptions.line_count, d.line_count),
				innermostType = d.innermostType, innermostMessage = d.innermostMessage
			FROM kl_p p JOIN exceptions d ON d.file_id = p.drop_file AND d.line_no = p.drop_line
			WHERE exceptions.file_id = p.keep_file AND exceptions.line_no = p.keep_line AND d.frames > exceptions.frames`,
		// Derived rows of a dropped line whose kept twin has its own: drop them. Otherwise they
		// move to the kept row's job.
		`DELETE FROM exceptions USING kl_p p
			WHERE exceptions.file_id = p.drop_file AND exceptions.line_no = p.drop_line
			AND EXISTS (SELECT 1 FROM exceptions k WHERE k.file_id = p.keep_file AND k.line_no = p.keep_line)`,
		`DELETE FROM customEvents USING kl_p p
			WHERE customEvents.file_id = p.drop_file AND customEvents.line_no = p.drop_line
			AND EXISTS (SELECT 1 FROM customEvents k WHERE k.file_id = p.keep_file AND k.line_no = p.keep_line)`,
		`UPDATE files SET merged = merged + m.n
			FROM (SELECT drop_file, sum(drop_lines) AS n FROM kl_p GROUP BY drop_file) m
			WHERE files.file_id = m.drop_file`,
		`DELETE FROM traces WHERE rowid IN (SELECT drop_rid FROM kl_p)`,
		`DELETE FROM kl_pairs`,
	}
	var n int64
	for i, q := range stmts {
		r, err := conn.ExecContext(ctx, q)
		if err != nil {
			return 0, fmt.Errorf("%w\n%s", err, q)
		}
		if i == len(stmts)-2 {
			n, _ = r.RowsAffected()
		}
	}
	return n, nil
}
