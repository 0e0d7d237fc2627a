package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
)

// overlapSpanSQL gives what the pairwise self-join it replaces gives.
func TestOverlapSpanSQL(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pairwise := func(join string) string {
		return `SELECT min(greatest(a.first_ts, b.first_ts)), max(least(a.last_ts, b.last_ts))
			FROM files a JOIN files b ON a.file_id < b.file_id ` + join + `
			WHERE a.kind = 'kudu-log' AND b.kind = 'kudu-log' AND a.status = 'ok' AND b.status = 'ok'
			  AND a.first_ts <= b.last_ts AND b.first_ts <= a.last_ts`
	}
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 40; round++ {
		if _, err := s.DB().Exec("DELETE FROM files"); err != nil {
			t.Fatal(err)
		}
		n := 1 + r.IntN(12)
		for i := 0; i < n; i++ {
			start := r.IntN(100)
			first, last := fmt.Sprintf("TIMESTAMP '2026-01-01' + INTERVAL %d MINUTE", start), fmt.Sprintf("TIMESTAMP '2026-01-01' + INTERVAL %d MINUTE", start+r.IntN(30))
			if r.IntN(8) == 0 {
				first, last = "NULL", "NULL"
			}
			job := []string{"NULL", "'A'", "'B'"}[r.IntN(3)]
			kind, status := "kudu-log", "ok"
			if r.IntN(6) == 0 {
				kind = "app-log-csv"
			}
			if r.IntN(6) == 0 {
				status = "failed"
			}
			if _, err := s.DB().Exec(fmt.Sprintf(`INSERT INTO files (file_id, path, kind, job, first_ts, last_ts, status)
				VALUES (%d, 'f', '%s', %s, %s, %s, '%s')`, i, kind, job, first, last, status)); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct{ join, partition string }{
			{"AND a.job IS NOT DISTINCT FROM b.job", "PARTITION BY job"},
			{"", ""},
		} {
			want := queryRow(t, s, pairwise(c.join))
			got := queryRow(t, s, overlapSpanSQL("kind = 'kudu-log' AND status = 'ok'", c.partition))
			if got != want {
				t.Fatalf("round %d, %q: got %s, want %s", round, c.partition, got, want)
			}
		}
	}
}

func queryRow(t *testing.T, s *Store, q string) string {
	t.Helper()
	var a, b any
	if err := s.DB().QueryRow(q).Scan(&a, &b); err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	return fmt.Sprint(a, " ", b)
}
