package store

import (
	"context"
	"fmt"
)

// CountKept sets files.traces, files.exceptions and files.events to the rows each file has in
// the tables now, after Merge deleted the copies: the same numbers every command reports for
// the same input (ingest's table, diagnose's header, the HTML accounting, the Parquet export).
// Before it they are the rows parsed, which count a line kept in another file twice.
func (s *Store) CountKept(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `UPDATE files SET traces = coalesce(k.t, 0), exceptions = coalesce(k.e, 0), events = coalesce(k.v, 0)
		FROM (SELECT f.file_id, t.n AS t, e.n AS e, v.n AS v FROM files f
			LEFT JOIN (SELECT file_id, count(*) AS n FROM traces GROUP BY ALL) t USING (file_id)
			LEFT JOIN (SELECT file_id, count(*) AS n FROM exceptions GROUP BY ALL) e USING (file_id)
			LEFT JOIN (SELECT file_id, count(*) AS n FROM customEvents GROUP BY ALL) v USING (file_id)
			WHERE f.traces IS DISTINCT FROM coalesce(t.n, 0) OR f.exceptions IS DISTINCT FROM coalesce(e.n, 0)
				OR f.events IS DISTINCT FROM coalesce(v.n, 0)) k
		WHERE files.file_id = k.file_id AND files.kind NOT IN ('zip', 'tar', 'unknown', 'kudu-status')`)
	if err != nil {
		return fmt.Errorf("count the rows kept per file: %w", err)
	}
	return nil
}

// KeptCounts are a file's counts after merging: what CountKept left in its files row.
type KeptCounts struct{ Merged, Traces, Exceptions, Events int64 }

// FileCounts returns the counts of the files rows with the given ids.
func (s *Store) FileCounts(ctx context.Context, ids []int32) (map[int32]KeptCounts, error) {
	out := make(map[int32]KeptCounts, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	want := make(map[int32]bool, len(ids))
	lo, hi := ids[0], ids[0]
	for _, id := range ids {
		want[id] = true
		lo, hi = min(lo, id), max(hi, id)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT file_id, coalesce(merged, 0), coalesce(traces, 0), coalesce(exceptions, 0), coalesce(events, 0)
		FROM files WHERE file_id BETWEEN ? AND ?`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("read the files' counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int32
		var k KeptCounts
		if err := rows.Scan(&id, &k.Merged, &k.Traces, &k.Exceptions, &k.Events); err != nil {
			return nil, err
		}
		if want[id] {
			out[id] = k
		}
	}
	return out, rows.Err()
}
