package main

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

// Without --db, inputs past inMemoryMax go to a temporary database file: the estimate counts
// compressed files 8 times and does not know the size of stdin or blobs.
func TestEstimateLogBytes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, size int) string {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	small := write("a/job_log.txt", 1<<20)
	gz := write("b/big.log.gz", 10<<20)
	if n := estimateLogBytes([]string{small}); n != 1<<20 {
		t.Errorf("a 1 MiB log: %d", n)
	}
	if n := estimateLogBytes([]string{gz}); n != 80<<20 || n <= inMemoryMax {
		t.Errorf("a 10 MiB .gz counts as 80 MiB, above the in-memory bound: %d", n)
	}
	if n := estimateLogBytes([]string{filepath.Join(dir, "a")}); n != 1<<20 {
		t.Errorf("a folder: %d", n)
	}
	if n := estimateLogBytes([]string{"-"}); n != math.MaxInt64 {
		t.Errorf("stdin: %d", n)
	}
	if n := estimateLogBytes([]string{"https://acct.blob.core.windows.net/logs"}); n != math.MaxInt64 {
		t.Errorf("a blob container: %d", n)
	}
}
