package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// runCLI runs kudulens in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLIStdin(t, strings.NewReader(""), args...)
}

func runCLIStdin(t *testing.T, stdin io.Reader, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &env{stdin: stdin, stdout: &out, stderr: &errb,
		getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

const sample = "../../fixtures/sample"

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"ingest"},
		{"ingest", "--no-such-flag", "x"},
		{"query", "--db", filepath.Join(t.TempDir(), "none.duckdb"), "--sql", "select 1"},
		{"query", sample},
		{"query", "--format", "xml", "--sql", "select 1", sample},
		{"query", "--sql", "select * from no_such_table", sample},
		{"query", "--sql", "select no_such_column from traces", sample},
		{"query", "--kql", "traces | mv-expand x", sample},
		{"diagnose", "--format", "pdf", sample},
		{"diagnose", "--fail-on", "sometimes", sample},
		{"diagnose", "--at", "yesterday", sample},
		{"diagnose", "--checks", "/no/such/dir", sample},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, code, exitUsage, stderr)
		}
	}
	if code, out, _ := runCLI(t, "help"); code != 0 || !strings.Contains(out, "Exit codes") {
		t.Errorf("help: %d %q", code, out)
	}
	if code, _, _ := runCLI(t, "diagnose", "--help"); code != 0 {
		t.Errorf("diagnose --help: %d", code)
	}
}

func TestIngestQueryDiagnose(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.duckdb")
	code, out, stderr := runCLI(t, "ingest", "--db", db, sample)
	if code != exitOK {
		t.Fatalf("ingest: exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{"kudu-log", "app-log-csv", "total"} {
		if !strings.Contains(out, want) {
			t.Errorf("ingest summary lacks %q:\n%s", want, out)
		}
	}
	// Again: nothing new.
	code, out, _ = runCLI(t, "ingest", "--db", db, sample)
	if code != exitOK || !strings.Contains(out, "already in the database: 41 files") {
		t.Errorf("re-ingest: exit %d\n%s", code, out)
	}
	// The crash count of the sample (fixtures/README.md: 92 unhandled exceptions).
	code, out, _ = runCLI(t, "query", "--db", db, "--format", "csv", "--sql", "select count(*) as n from exceptions where origin = 'crash'")
	if code != exitOK || out != "n\n92\n" {
		t.Errorf("crash count: exit %d %q", code, out)
	}
	// Every line is accounted for.
	code, out, _ = runCLI(t, "query", "--db", db, "--format", "json", "--sql",
		"select count(*) as bad from files where kind not in ('zip','tar') and lines <> parsed + rejected")
	if code != exitOK || !strings.Contains(out, `"bad": 0`) {
		t.Errorf("accounting: %d %s", code, out)
	}
	// Diagnose the database: problems found → exit 1; JSON parses and has every check.
	code, out, stderr = runCLI(t, "diagnose", "--db", db, "--format", "json")
	if code != exitCheckFailed {
		t.Fatalf("diagnose: exit %d, want 1\n%s", code, stderr)
	}
	var rep struct {
		EvaluatedAt string
		Checks      []struct{ ID, Status, Severity string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if !strings.HasSuffix(rep.EvaluatedAt, "Z") || len(rep.Checks) < 25 {
		t.Errorf("report: %s, %d checks", rep.EvaluatedAt, len(rep.Checks))
	}
	if code, _, _ := runCLI(t, "diagnose", "--db", db, "--fail-on", "never", "--format", "md"); code != exitOK {
		t.Errorf("--fail-on never: exit %d", code)
	}
	// --out writes the report to a file.
	outFile := filepath.Join(t.TempDir(), "r.md")
	if code, stdout, _ := runCLI(t, "diagnose", "--db", db, "--format", "md", "--out", outFile); code != exitCheckFailed || !strings.HasPrefix(stdout, "PROBLEMS FOUND") || strings.Count(stdout, "\n") != 1 {
		t.Errorf("--out: exit %d, stdout %q", code, stdout)
	}
	if b, err := os.ReadFile(outFile); err != nil || !bytes.Contains(b, []byte("## kudulens: PROBLEMS FOUND")) {
		t.Errorf("--out file: %v %.200s", err, b)
	}
}

// Inputs without any log line (an empty folder, a bundle of the wrong files) are not "ok": a
// nightly job must notice that nothing was judged.
func TestDiagnoseNoLogsIsNotOK(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "readme.txt"), []byte("not a log\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{t.TempDir(), dir} {
		code, out, stderr := runCLI(t, "diagnose", src)
		if code != exitInputFailed || !strings.HasPrefix(out, "NO LOGS") || !strings.Contains(stderr, "no log lines") {
			t.Errorf("diagnose %s: exit %d, want %d\n%.300s\n%s", src, code, exitInputFailed, out, stderr)
		}
	}
	// A fleet with an empty site says so and exits 3 as well.
	fleet := t.TempDir()
	if err := os.Mkdir(filepath.Join(fleet, "site-a"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, "diagnose", "--fleet", fleet, "--format", "json")
	if code != exitInputFailed || !strings.Contains(out, `"status": "empty"`) {
		t.Errorf("fleet of an empty site: exit %d, want %d\n%.400s\n%s", code, exitInputFailed, out, stderr)
	}
}

func TestQueryTimesAreUTC(t *testing.T) {
	code, out, stderr := runCLI(t, "query", "--format", "csv", "--sql", "select min(timestamp) as t from traces", sample)
	if code != exitOK || !strings.HasPrefix(out, "t\n2026-09-14T07:02:11Z") {
		t.Errorf("exit %d %q %s", code, out, stderr)
	}
}

func TestChecksList(t *testing.T) {
	code, out, _ := runCLI(t, "checks")
	if code != exitOK {
		t.Fatal(code)
	}
	for _, id := range []string{"activity-import-finished", "sql-database-read-only", "external-user-not-found"} {
		if !strings.Contains(out, id) {
			t.Errorf("checks output lacks %s", id)
		}
	}
}

// The same bundle as a zip, as a .tgz, and as a zip on standard input gives the same tables.
func TestBundleShapes(t *testing.T) {
	const q = "select kind, count(*) as n, sum(lines) as lines, sum(parsed) as parsed, sum(merged) as merged from files where kind not in ('zip', 'tar') group by 1 order by 1"
	code, want, stderr := runCLI(t, "query", "--format", "csv", "--sql", q, "../../fixtures/sample-bundle.zip")
	if code != exitOK {
		t.Fatalf("zip: %d %s", code, stderr)
	}
	// a tar.gz of the same files, named .bin: detected by its bytes
	var tgz bytes.Buffer
	gz := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(gz)
	err := fs.WalkDir(os.DirFS(sample), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(filepath.Join(sample, p))
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: p, Mode: 0o644, Size: int64(len(b))}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tw.Close()
	gz.Close()
	bin := filepath.Join(t.TempDir(), "bundle.bin")
	os.WriteFile(bin, tgz.Bytes(), 0o644)
	if code, got, stderr := runCLI(t, "query", "--format", "csv", "--sql", q, bin); code != exitOK || got != want {
		t.Errorf("tgz: exit %d\n%s\nwant\n%s\n%s", code, got, want, stderr)
	}
	zip, _ := os.ReadFile("../../fixtures/sample-bundle.zip")
	if code, got, stderr := runCLIStdin(t, bytes.NewReader(zip), "query", "--format", "csv", "--sql", q, "-"); code != exitOK || got != want {
		t.Errorf("stdin: exit %d\n%s\nwant\n%s\n%s", code, got, want, stderr)
	}
}

// --out writes through what is not a regular file (a device such as /dev/null, a symlink)
// instead of replacing it, and replaces a regular file whole.
func TestOutWritesThroughDevicesAndLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dev := filepath.Join(dir, "null")
	haveDev := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3) == nil // a twin of /dev/null
	target := filepath.Join(dir, "reports", "site.json")
	os.MkdirAll(filepath.Dir(target), 0o755)
	link := filepath.Join(dir, "latest.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "diagnose", "--quiet", "--format", "json", "--fail-on", "never", "--out", link, sample)
	if code != 0 {
		t.Fatalf("diagnose --out link: exit %d: %s", code, stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("--out replaced the symlink: %v %v", fi.Mode(), err)
	}
	var rep map[string]any
	if b, err := os.ReadFile(target); err != nil || json.Unmarshal(b, &rep) != nil {
		t.Fatalf("the link's target holds no JSON report (%v)", err)
	}
	if !haveDev {
		t.Log("mknod not permitted here: the device case is covered by internal/outfile where it can run")
		return
	}
	code, _, stderr = runCLI(t, "diagnose", "--quiet", "--format", "json", "--fail-on", "never", "--out", dev, sample)
	if code != 0 {
		t.Fatalf("diagnose --out device: exit %d: %s", code, stderr)
	}
	if fi, err := os.Lstat(dev); err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Fatalf("--out replaced the character device with %v (%v)", fi.Mode(), err)
	}
}
