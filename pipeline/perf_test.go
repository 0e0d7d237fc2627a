package pipeline

import (
	"context"
	"testing"
)

// Loads run with one DuckDB thread, on every connection (threads is global), and queries after
// Ingest get the configured count back.
func TestLoadThreads(t *testing.T) {
	ctx := context.Background()
	s, err := OpenStore(ctx, "", StoreOptions{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	threads := func() int {
		t.Helper()
		conn, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT current_setting('threads')").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := s.loadThreads(ctx, true); err != nil {
		t.Fatal(err)
	}
	if n := threads(); n != 1 {
		t.Errorf("loading: threads = %d, want 1", n)
	}
	if _, err := Ingest(ctx, s, []string{"../parse/testdata/crash_job_log.txt"}, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	if n := threads(); n != 2 {
		t.Errorf("after Ingest: threads = %d, want 2", n)
	}
}
