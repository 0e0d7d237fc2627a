package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kudulens/kudulens/pipeline"
	"github.com/kudulens/kudulens/pipeline/store"
)

// A run killed after a file's load lanes committed and before the file's own commit leaves
// rows of a file without a files row, under a "loading" mark in meta. The next Open removes
// them; rows of a file whose own commit went through stay, and only the mark goes.
func TestOpenDropsUnfinishedLaneLoads(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "k.duckdb")
	s, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Ingest(ctx, s, []string{"../../fixtures/sample"}, pipeline.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	var kept int32
	var keptRows int64
	if err := s.DB().QueryRow(`SELECT file_id, count(*) FROM traces GROUP BY file_id ORDER BY 2 DESC LIMIT 1`).Scan(&kept, &keptRows); err != nil {
		t.Fatal(err)
	}
	before := countRows(t, s, "SELECT count(*) FROM traces")
	// The state a kill leaves: a lane's rows of file 9001 in every table, committed with
	// their mark; and the mark of a file whose own commit went through.
	for _, q := range []string{
		`INSERT INTO traces (timestamp, message, file_id, source_file, line_no) SELECT timestamp, message, 9001, 'half.log', line_no FROM traces`,
		`INSERT INTO exceptions (timestamp, file_id, source_file, line_no) VALUES (TIMESTAMP '2026-01-01', 9001, 'half.log', 1)`,
		`INSERT INTO customEvents (timestamp, file_id, source_file, line_no) VALUES (TIMESTAMP '2026-01-01', 9001, 'half.log', 2)`,
		`INSERT INTO rejects (file_id, source_file, line_no) VALUES (9001, 'half.log', 3)`,
		`INSERT INTO meta VALUES ('loading 9001 lane 0', 'half.log'), ('loading ` + itoa(kept) + ` lane 0', 'whole.log')`,
	} {
		if _, err := s.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()

	s, err = store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, table := range []string{"traces", "exceptions", "customEvents", "rejects"} {
		if n := countRows(t, s, "SELECT count(*) FROM "+table+" WHERE file_id = 9001"); n != 0 {
			t.Errorf("%s: %d rows of the unfinished load are left", table, n)
		}
	}
	if n := countRows(t, s, "SELECT count(*) FROM traces"); n != before {
		t.Errorf("traces: %d rows after the clean-up, %d before the unfinished load", n, before)
	}
	if n := countRows(t, s, "SELECT count(*) FROM traces WHERE file_id = "+itoa(kept)); n != keptRows {
		t.Errorf("the finished file's rows: %d, want %d", n, keptRows)
	}
	if n := countRows(t, s, "SELECT count(*) FROM meta WHERE key LIKE 'loading%'"); n != 0 {
		t.Errorf("%d loading marks are left", n)
	}
}

func itoa(i int32) string { return fmt.Sprint(i) }
