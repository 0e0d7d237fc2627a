package pipeline

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/kudulens/kudulens/internal/testinput"
	"github.com/kudulens/kudulens/pipeline/store"
)

// Loading a file's batches on two lanes (two connections, two transactions) gives exactly the
// tables one lane gives: every row once, the job inferred from the content given to the rows
// of both lanes, the line a read error cut rejected.
func TestLoadLanesSameTables(t *testing.T) {
	defer func(n int64) { guessJobAfter = n }(guessJobAfter)
	guessJobAfter = 40 // the guess comes while both lanes load
	dir := t.TempDir()
	crash, err := os.ReadFile("../parse/testdata/crash_job_log.txt")
	if err != nil {
		t.Fatal(err)
	}
	// A Kudu log outside its job folder, of many chunks; and a damaged .gz of it (the lines of
	// both are merged: each is kept once, in either file).
	loose := bytes.Repeat(crash, 40)
	testinput.WriteFile(t, dir, "loose/job_log_copy.txt", loose)
	gz := testinput.Gzip(t, bytes.Repeat(crash, 41)) // other content than loose's
	testinput.WriteFile(t, dir, "bad.txt.gz", gz[:len(gz)/2])
	sources := []string{dir}
	var dumps [2]string
	for i, lanes := range []int{1, 2} {
		ctx := context.Background()
		s, err := store.Open(ctx, "", store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// 4 KiB chunks: the loose log is ~40 batches, which both lanes take. One file at a
		// time: which of two files keeps the lines they share (merge) depends on their order.
		if _, err := Ingest(ctx, s, sources, Options{LoadLanes: lanes, FileWorkers: 1, ChunkSize: 4 << 10, noGroup: true}, nil); err != nil {
			t.Fatal(err)
		}
		dumps[i] = dumpAllTables(t, s)
		var n, unnamed int
		if err := s.DB().QueryRow(`SELECT count(*) FILTER (WHERE job = 'Office365ActivityImporter' AND job_source = 'content'),
			count(*) FILTER (WHERE job IS NULL) FROM traces WHERE source_file LIKE '%loose%' OR source_file LIKE '%bad.txt%'`).Scan(&n, &unnamed); err != nil || n == 0 || unnamed > 0 {
			t.Errorf("lanes=%d: the loose log's job: %d rows inferred, %d without a job (%v)", lanes, n, unnamed, err)
		}
		var marks int
		if err := s.DB().QueryRow(`SELECT count(*) FROM meta WHERE key LIKE 'loading%'`).Scan(&marks); err != nil || marks != 0 {
			t.Errorf("lanes=%d: %d loading marks left (%v)", lanes, marks, err)
		}
		s.Close()
	}
	if !strings.Contains(dumps[0], "rejects: ") || strings.Contains(dumps[0], "FROM rejects: 0 rows") {
		t.Fatalf("the damaged file gave no reject: the test does not exercise the cut line")
	}
	sameDumps(t, "two lanes give other tables", "one lane", "two lanes", dumps[0], dumps[1])
}
