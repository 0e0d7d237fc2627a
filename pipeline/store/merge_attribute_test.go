package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// windowedAttributeSQL is step 4 of Merge as it was before issue 18: right, but quadratic
// when many unattributed rows of one instance fall within 15 minutes. It is the reference the
// ASOF version must agree with.
const windowedAttributeSQL = `UPDATE traces SET job = nb.job, operation_Name = nb.op, job_source = 'neighbour'
	FROM (
		SELECT rid,
			CASE WHEN prev_job IS NULL THEN next_job
			     WHEN next_job IS NULL THEN prev_job
			     WHEN ts - prev_ts <= next_ts - ts THEN prev_job ELSE next_job END AS job,
			CASE WHEN prev_job IS NULL THEN next_op
			     WHEN next_job IS NULL THEN prev_op
			     WHEN ts - prev_ts <= next_ts - ts THEN prev_op ELSE next_op END AS op
		FROM (
			SELECT rowid AS rid, job, timestamp AS ts,
				last_value(job IGNORE NULLS) OVER before AS prev_job,
				last_value(operation_Name IGNORE NULLS) OVER before AS prev_op,
				last_value(CASE WHEN job IS NOT NULL THEN timestamp END IGNORE NULLS) OVER before AS prev_ts,
				first_value(job IGNORE NULLS) OVER after AS next_job,
				first_value(operation_Name IGNORE NULLS) OVER after AS next_op,
				first_value(CASE WHEN job IS NOT NULL THEN timestamp END IGNORE NULLS) OVER after AS next_ts,
				source
			FROM traces
			WHERE NOT is_system AND timestamp BETWEEN ? AND ?
			WINDOW before AS (PARTITION BY left(coalesce(instance, ''), 6) ORDER BY timestamp
			                  RANGE BETWEEN INTERVAL 15 MINUTE PRECEDING AND CURRENT ROW),
			       after AS (PARTITION BY left(coalesce(instance, ''), 6) ORDER BY timestamp
			                  RANGE BETWEEN CURRENT ROW AND INTERVAL 15 MINUTE FOLLOWING)
		)
		WHERE job IS NULL AND source = 'app-log' AND (prev_job IS NOT NULL OR next_job IS NOT NULL)
	) nb
	WHERE traces.rowid = nb.rid`

func openEmpty(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The ASOF attribution gives what the windowed one gave, on random rows: several instances
// (one without an instance), rows near and beyond 15 minutes, SYS rows, operation names on
// some attributed rows only, equal distances before and after. Every timestamp is distinct,
// so that "the nearest" is one row (with ties both versions pick any of the tied rows).
func TestAttributeByNeighbourSameAsWindowed(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(18, 12))
	for round := 0; round < 30; round++ {
		n := 50 + r.IntN(400)
		offsets := r.Perm(n * 40) // distinct seconds over up to ~5 hours
		var rows []string
		for i := 0; i < n; i++ {
			inst := []string{"'5e1c2a'", "'5e1c2abcdef'", "'7f00aa'", "NULL", "''"}[r.IntN(5)]
			job, op, source, sys := "NULL", "NULL", "'app-log'", "false"
			switch r.IntN(4) {
			case 0:
				job, source = []string{"'A'", "'B'", "'C'"}[r.IntN(3)], "'job-log'"
				if r.IntN(2) == 0 {
					op = []string{"'OpA'", "'OpB'"}[r.IntN(2)]
				}
			case 1:
				if r.IntN(3) == 0 {
					job, op = "'T'", "'OpT'" // attributed by template while parsing
				}
			}
			if r.IntN(10) == 0 {
				sys = "true"
			}
			rows = append(rows, fmt.Sprintf("(TIMESTAMP '2026-11-19 00:00:00' + INTERVAL %d SECOND, %s, %s, %s, %s, %s)",
				offsets[i], inst, job, op, source, sys))
		}
		load := `INSERT INTO traces (timestamp, instance, job, operation_Name, source, is_system) VALUES ` + strings.Join(rows, ", ")
		results := make([]string, 2)
		var counts [2]int64
		for i, q := range []string{windowedAttributeSQL, attributeByNeighbourSQL} {
			s := openEmpty(t)
			if _, err := s.DB().ExecContext(ctx, load); err != nil {
				t.Fatal(err)
			}
			res, err := s.DB().ExecContext(ctx, q, time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatalf("%v\n%s", err, q)
			}
			counts[i], _ = res.RowsAffected()
			var out string
			if err := s.DB().QueryRowContext(ctx, `SELECT string_agg(concat_ws('|', timestamp, instance, job, operation_Name, job_source), E'\n' ORDER BY timestamp) FROM traces`).Scan(&out); err != nil {
				t.Fatal(err)
			}
			results[i] = out
			s.Close()
		}
		if results[0] != results[1] || counts[0] != counts[1] {
			t.Fatalf("round %d: windowed attributed %d rows, ASOF %d; rows differ:\nwindowed:\n%s\nASOF:\n%s", round, counts[0], counts[1], results[0], results[1])
		}
	}
}

// 800,000 unattributed application-log rows of one instance within 15 minutes, between a
// job-log row just before and one 15 minutes after: the windowed version needed about 98 s of
// CPU for this (and past 10 minutes for 2 M rows); this one a second or so. No time is
// asserted (speed is measured in bench/): the rows must get the nearer job.
func TestAttributeByNeighbourManyRowsOfOneInstance(t *testing.T) {
	ctx := context.Background()
	s := openEmpty(t)
	const n = 800_000
	for _, q := range []string{
		`INSERT INTO traces (timestamp, instance, job, operation_Name, source, is_system, message)
			VALUES (TIMESTAMP '2026-11-19 21:00:00' - INTERVAL 1 SECOND, '5e1c2a', 'AppInsightsImporter', 'AppInsightsImporter', 'job-log', false, 'before'),
			       (TIMESTAMP '2026-11-19 21:15:00', '5e1c2a', 'Office365ActivityImport', 'Office365ActivityImporter', 'job-log', false, 'after')`,
		fmt.Sprintf(`INSERT INTO traces (timestamp, instance, source, is_system, message)
			SELECT TIMESTAMP '2026-11-19 21:00:00' + to_milliseconds(i), '5e1c2a', 'app-log', false, 'row ' || i FROM range(%d) r(i)`, n),
	} {
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	ms, err := s.Merge(ctx)
	t.Logf("merge of %d rows: %s", n, time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if ms.Attributed != n {
		t.Errorf("attributed %d rows, want %d", ms.Attributed, n)
	}
	// Row i is i ms after 21:00:00: i+1000 ms after the first job-log row, 900,000-i before
	// the second; the earlier wins a tie.
	got := queryRow(t, s, `SELECT string_agg(job || ':' || operation_Name || ':' || c, ',' ORDER BY job), sum(c) FROM (
		SELECT job, operation_Name, count(*) AS c FROM traces WHERE source = 'app-log' AND job_source = 'neighbour' GROUP BY ALL)`)
	if want := "AppInsightsImporter:AppInsightsImporter:449501,Office365ActivityImport:Office365ActivityImporter:350499 800000"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
