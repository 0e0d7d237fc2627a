package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kudulens/kudulens/pipeline/store"
)

func TestIngestParseTestdata(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := t.TempDir()
	data, _ := os.ReadFile("../parse/testdata/crash_job_log.txt")
	os.MkdirAll(filepath.Join(dir, "data/jobs/continuous/Office365ActivityImporter"), 0o755)
	os.WriteFile(filepath.Join(dir, "data/jobs/continuous/Office365ActivityImporter/job_log.txt"), data, 0o644)
	sum, err := Ingest(ctx, s, []string{dir}, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkAccounted(t, sum, 1)
}

func TestIngestCSV(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sum, err := Ingest(ctx, s, []string{"../parse/testdata/applog.csv"}, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkAccounted(t, sum, 1)
}

func TestIngestBoth(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 20; i++ {
		_, err := Ingest(ctx, s, []string{"../parse/testdata/applog.csv", "../parse/testdata/crash_job_log.txt", "../parse/testdata/crash_job_log.crlf.txt"}, Options{FileWorkers: 3}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
}

// checkAccounted asserts that the run loaded files files with rows, each with every line
// accounted for (lines = parsed + rejected).
func checkAccounted(t *testing.T, sum *Summary, files int) {
	t.Helper()
	if len(sum.Files) != files {
		t.Fatalf("%d files, want %d: %+v", len(sum.Files), files, sum.Files)
	}
	for _, f := range sum.Files {
		st := f.Row.Stats
		if f.Row.Status != "ok" || st.Lines == 0 || f.Row.Traces == 0 || st.Lines != st.Parsed+st.Rejected {
			t.Errorf("%s: status %s, %d lines = %d parsed + %d rejected, %d traces", f.Row.Path, f.Row.Status, st.Lines, st.Parsed, st.Rejected, f.Row.Traces)
		}
	}
}
