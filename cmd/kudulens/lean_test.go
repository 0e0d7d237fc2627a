package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// diagnose without --db keeps the progress lines of job logs without their text (a lean load,
// store.Options.Lean): the report is the one a full database gives, in every format.
func TestDiagnoseLeanSameReport(t *testing.T) {
	t.Parallel()
	src := filepath.Join(sample, "data") // job logs only: traces stays the lean view
	dir := t.TempDir()
	for _, format := range []string{"json", "md", "html", "text"} {
		lean, full := filepath.Join(dir, "lean."+format), filepath.Join(dir, "full."+format)
		db := filepath.Join(dir, format+".duckdb")
		for _, args := range [][]string{
			{"diagnose", src, "--quiet", "--fail-on", "never", "--format", format, "--out", lean},
			{"diagnose", src, "--quiet", "--fail-on", "never", "--format", format, "--out", full, "--db", db},
		} {
			if code, _, stderr := runCLI(t, args...); code != 0 {
				t.Fatalf("%v: exit %d: %s", args, code, stderr)
			}
		}
		a, err := os.ReadFile(lean)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(full)
		if err != nil {
			t.Fatal(err)
		}
		if string(a) != string(b) {
			la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
			for i := range min(len(la), len(lb)) {
				if la[i] != lb[i] {
					t.Fatalf("%s: the lean run's report differs at line %d:\n lean: %.300s\n full: %.300s", format, i+1, la[i], lb[i])
				}
			}
			t.Fatalf("%s: the lean run's report has %d lines, the full one %d", format, len(la), len(lb))
		}
	}
}

// A check of --checks DIR may read any line's text: such a run keeps every message.
func TestDiagnoseOwnChecksSeeProgressLines(t *testing.T) {
	t.Parallel()
	checks := t.TempDir()
	if err := os.WriteFile(filepath.Join(checks, "progress.sql"), []byte(`-- id: audit-progress-seen
-- title: Audit progress lines
-- severity: info
-- rule: any
SELECT timestamp, job, source_file AS file, line_no AS line, message
FROM traces
WHERE template = 'audit-progress'
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := runCLI(t, "diagnose", filepath.Join(sample, "data"), "--checks", checks, "--quiet",
		"--fail-on", "never", "--format", "json", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"message": "Audit events import: processed `) {
		t.Errorf("the check's evidence has no progress line's text:\n%.2000s", b)
	}
}
