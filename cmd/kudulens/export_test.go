package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Export the sample, diagnose the Parquet folder: the same report as the bundle's.
func TestExportThenDiagnoseParquet(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "lake")
	db := filepath.Join(t.TempDir(), "s.duckdb")
	if code, _, stderr := runCLI(t, "ingest", "--db", db, "../../fixtures/sample-bundle.zip"); code != exitOK {
		t.Fatalf("ingest: %d %s", code, stderr)
	}
	code, out, stderr := runCLI(t, "export", "--parquet", dir, "--db", db)
	if code != exitOK || !strings.Contains(out, "traces           27047 rows") {
		t.Fatalf("export: exit %d\n%s\n%s", code, out, stderr)
	}
	code, out, _ = runCLI(t, "export", "--parquet", dir, "--db", db)
	if code != exitOK || !strings.HasPrefix(out, "nothing new: all 42 files") {
		t.Errorf("second export: exit %d %q", code, out)
	}
	_, fromBundle, _ := runCLI(t, "diagnose", "--format", "json", "--db", db)
	code, fromLake, stderr := runCLI(t, "diagnose", "--format", "json", dir)
	if code != exitCheckFailed || fromLake != fromBundle {
		t.Errorf("diagnose of the Parquet folder: exit %d, same report: %v\n%s", code, fromLake == fromBundle, stderr)
	}
	if code, _, _ := runCLI(t, "export", "../../fixtures/sample"); code != exitUsage {
		t.Errorf("export without --parquet: exit %d", code)
	}
}

// A URL of another kind than Blob Storage given to --parquet is refused before anything is
// read; it used to become a local folder named after its scheme and the export reported
// success.
func TestExportToOtherURLIsRefused(t *testing.T) {
	sampleDir, err := filepath.Abs(sample)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	for _, dst := range []string{"s3://bucket/lake?X-Amz-Signature=secret1", "gs://bucket/lake"} {
		code, _, stderr := runCLI(t, "export", "--parquet", dst, sampleDir)
		if code != exitUsage || !strings.Contains(stderr, "is not supported") {
			t.Errorf("%s: exit %d, stderr %q", dst, code, stderr)
		}
		if strings.Contains(stderr, "secret1") {
			t.Errorf("the signature reached stderr: %q", stderr)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) > 0 {
		t.Errorf("the refused export wrote %v", ents)
	}
}

// A run that loads more than reopenAfter bytes runs its checks in a new DuckDB instance
// (store.Reopen): the report is the one of the same database diagnosed in a run of its own.
// Not parallel: it sets reopenAfter.
func TestDiagnoseAfterReopen(t *testing.T) {
	defer func(n int64) { reopenAfter = n }(reopenAfter)
	reopenAfter = 0
	db := filepath.Join(t.TempDir(), "s.duckdb")
	code, loaded, stderr := runCLI(t, "diagnose", "--format", "json", "--db", db, "../../fixtures/sample-bundle.zip")
	if code != exitCheckFailed {
		t.Fatalf("diagnose: exit %d\n%s", code, stderr)
	}
	reopenAfter = inMemoryMax
	_, again, _ := runCLI(t, "diagnose", "--format", "json", "--db", db)
	if loaded != again {
		t.Errorf("the report after Reopen differs from the database's own:\n%.400s\n%.400s", loaded, again)
	}
	// without --db the sample's rows stay in memory: there is no file to reopen, and the rows
	// are not lost (a temporary database file is reopened in its private folder:
	// store.TestReopenTemporary)
	reopenAfter = 0
	code, mem, stderr := runCLI(t, "diagnose", "--format", "json", "../../fixtures/sample-bundle.zip")
	if code != exitCheckFailed || mem != again {
		t.Errorf("diagnose without --db: exit %d, same report: %v\n%s", code, mem == again, stderr)
	}
}
