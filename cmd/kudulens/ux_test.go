package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the CLI golden files in testdata/")

// golden compares got with testdata/NAME.golden (go test -run X -update rewrites it). The
// wording of these outputs is what a support engineer reads first, so it is pinned.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update writes it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (-update rewrites it)\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

// wallClock hides the evaluation time of a report on no logs: with nothing to take the
// capture time from, it is the time of the run.
var wallClock = regexp.MustCompile(`evaluated at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

func stableOutput(s string) string { return wallClock.ReplaceAllString(s, "evaluated at <now>") }

// A mistyped path is a usage error before anything runs; it does not become an empty bundle
// whose checks all "pass".
func TestMissingSourceIsUsageError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nosuch.zip")
	for _, args := range [][]string{
		{"diagnose", missing},
		{"ingest", "--db", filepath.Join(t.TempDir(), "x.duckdb"), missing},
		{"query", "--sql", "select 1", missing},
		{"export", "--parquet", t.TempDir(), missing},
	} {
		code, out, stderr := runCLI(t, args...)
		if code != exitUsage || out != "" || !strings.Contains(stderr, "no such file or folder: "+missing+" (nothing was read)") {
			t.Errorf("%v: exit %d, want %d\nstdout %q\nstderr %q", args[0], code, exitUsage, out, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(t.TempDir(), "x.duckdb")); err == nil {
		t.Error("ingest of a missing path created a database")
	}
}

// With one good and one missing input the run goes on, and every report format names the
// missing one (and the exit code says an input failed when no check did).
func TestMissingSourceNamedInReports(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nosuch.zip")
	want := "input not read: " + missing + ": stat " + missing + ": no such file or directory"
	for _, format := range []string{"text", "md", "html", "json"} {
		code, out, stderr := runCLI(t, "diagnose", "--quiet", "--fail-on", "never", "--format", format, sample, missing)
		if code != exitInputFailed {
			t.Errorf("%s: exit %d, want %d: %s", format, code, exitInputFailed, stderr)
		}
		switch format {
		case "json":
			var rep struct {
				InputProblems []struct{ Path, Status, Error string }
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.InputProblems) != 1 || rep.InputProblems[0].Path != missing || rep.InputProblems[0].Status != "failed" {
				t.Errorf("json inputProblems: %+v", rep.InputProblems)
			}
		case "md":
			if !strings.Contains(out, "**input not read: ") || !strings.Contains(out, "no such file or directory**") {
				t.Errorf("md does not name the missing input:\n%.600s", out)
			}
		default:
			if !strings.Contains(out, want) {
				t.Errorf("%s does not name the missing input (%q):\n%.600s", format, want, out)
			}
		}
	}
}

// Inputs with no log line: no check passes; every one cannot be judged, for one reason.
func TestNoLinesNothingPasses(t *testing.T) {
	code, out, _ := runCLI(t, "diagnose", t.TempDir())
	if code != exitInputFailed {
		t.Errorf("exit %d, want %d", code, exitInputFailed)
	}
	if strings.Contains(out, "Passed") {
		t.Errorf("a check passed on no lines:\n%s", out)
	}
	golden(t, "diagnose-no-lines.txt", stableOutput(out))
	code, out, _ = runCLI(t, "diagnose", "--format", "json", t.TempDir())
	var rep struct {
		Checks []struct{ ID, Status, Reason string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitInputFailed {
		t.Fatalf("exit %d %v", code, err)
	}
	for _, c := range rep.Checks {
		if c.Status != "unknown" || c.Reason != "the inputs hold no log lines: nothing to judge" {
			t.Errorf("%s: %s (%s), want unknown", c.ID, c.Status, c.Reason)
		}
	}
}

// tinyBundle is a folder holding one application log of two lines and no job log: what a
// customer sends when they pick the wrong files.
func tinyBundle(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	csv := "date,level,applicationName,instanceId,eventTickCount,eventId,pid,tid,message,activityId\n" +
		"2026-11-19T23:00:49,Information,contoso-analytics,5b7e2d,639307260499965747,0,8252,8,23-00-49:99: Requesting data from AppInsights from 11/19/2026 10:49:27 PM (newest hit is from 11/19/2026 10:50:27 PM)...,\n" +
		"2026-11-19T23:00:54,Information,contoso-analytics,5b7e2d,639307260541157479,0,8252,8,\"23-00-54:11: Hits downloaded - '7' in total. Earliest: 2026-11-19 22:50:36.58, latest: 2026-11-19 23:00:12.16\",\n"
	if err := os.WriteFile(filepath.Join(dir, "5b7e2d-8252.applicationLog.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A near-empty bundle is not "OK": the verdict says first that there is not enough to judge,
// and what was missing.
func TestNotEnoughLogsVerdict(t *testing.T) {
	code, out, stderr := runCLI(t, "diagnose", "--quiet", tinyBundle(t))
	if code != exitOK {
		t.Errorf("exit %d: %s", code, stderr)
	}
	verdict, _, _ := strings.Cut(out, "\n")
	golden(t, "diagnose-not-enough.verdict", verdict+"\n")
	for _, format := range []string{"md", "html"} {
		_, out, _ := runCLI(t, "diagnose", "--quiet", "--format", format, tinyBundle(t))
		if !strings.Contains(out, "NOT ENOUGH LOGS") || strings.Contains(out, "OK — no check failed") {
			t.Errorf("%s does not say NOT ENOUGH LOGS:\n%.500s", format, out)
		}
	}
}

// Failing checks come in one order in every format — most severe first, then by when each
// first fired — so the earliest failure, usually the cause, leads; one line names it.
func TestFailingOrderSameEverywhere(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.duckdb")
	if code, _, stderr := runCLI(t, "ingest", "--quiet", "--db", db, sample); code != exitOK {
		t.Fatalf("ingest: %d %s", code, stderr)
	}
	orders := map[string][]string{}
	patterns := map[string]*regexp.Regexp{
		"text": regexp.MustCompile(`(?m)^  FAIL  \S+\s+(\S+)`),
		// failing checks; notes (info findings, issue 15) have a section of their own after them
		"md":   regexp.MustCompile("(?m)^### `([^`]+)`.*\\((?:error|warning)\\)$"),
		"html": regexp.MustCompile(`<article class="card \w+" id="check-([^"]+)"`),
	}
	var text string
	for format, re := range patterns {
		_, out, _ := runCLI(t, "diagnose", "--db", db, "--format", format)
		for _, m := range re.FindAllStringSubmatch(out, -1) {
			orders[format] = append(orders[format], m[1])
		}
		if format == "text" {
			text = out
		}
		if format == "html" {
			// the list in the verdict, too
			verdict := out[strings.Index(out, `<ol class="problems">`):]
			verdict = verdict[:strings.Index(verdict, "</ol>")]
			var list []string
			for _, m := range regexp.MustCompile(`href="#check-([^"]+)"`).FindAllStringSubmatch(verdict, -1) {
				list = append(list, m[1])
			}
			orders["html verdict"] = list
			if !strings.Contains(out, "Failing since <b>2026-11-19T02:05:09Z</b>") {
				t.Errorf("html: Failing since is not when the first failure fired")
			}
		}
	}
	want := strings.Join(orders["text"], " ")
	for format, o := range orders {
		if got := strings.Join(o, " "); got != want || len(o) == 0 {
			t.Errorf("%s order:\n  %s\nwant (text):\n  %s", format, got, want)
		}
	}
	start := strings.Index(text, "  FAIL")
	end := strings.Index(text, "\n▌")
	golden(t, "diagnose-sample-failing.txt", text[start:end+1])
}

// --out takes the format from its extension unless --format is given, and the one-line
// verdict still reaches the terminal (not with --quiet).
func TestOutFormatFromExtension(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "s.duckdb")
	if code, _, stderr := runCLI(t, "ingest", "--quiet", "--db", db, sample); code != exitOK {
		t.Fatalf("ingest: %d %s", code, stderr)
	}
	_, text, _ := runCLI(t, "diagnose", "--db", db)
	verdict, _, _ := strings.Cut(text, "\n")
	dir := t.TempDir()
	for _, tc := range []struct {
		name, format, prefix string
		quiet                bool
	}{
		{"r.html", "", "<!DOCTYPE html>", false},
		{"R.HTM", "", "<!DOCTYPE html>", true},
		{"r.json", "", "{", false},
		{"r.md", "", "## kudulens: PROBLEMS FOUND", false},
		{"r.txt", "", "PROBLEMS FOUND", false},
		{"r.out", "", "PROBLEMS FOUND", false}, // no known extension: text
		{"forced.html", "json", "{", false},    // --format wins
	} {
		args := []string{"diagnose", "--db", db, "--out", filepath.Join(dir, tc.name)}
		if tc.format != "" {
			args = append(args, "--format", tc.format)
		}
		if tc.quiet {
			args = append(args, "--quiet")
		}
		code, stdout, stderr := runCLI(t, args...)
		if code != exitCheckFailed {
			t.Errorf("%s: exit %d: %s", tc.name, code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(dir, tc.name))
		if err != nil || !strings.HasPrefix(string(b), tc.prefix) {
			t.Errorf("%s: file starts %.40q, want %q (%v)", tc.name, b, tc.prefix, err)
		}
		wantOut := verdict + "\n"
		if tc.quiet {
			wantOut = ""
		}
		if stdout != wantOut {
			t.Errorf("%s: terminal got %q, want %q", tc.name, stdout, wantOut)
		}
	}
}

// .7z and .rar bundles are named, with what to do; skip reasons quote the first line as text;
// an ingest that could read nothing at all exits 3.
func TestIngestNothingReadable(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"logs.7z":  "7z\xbc\xaf\x27\x1c\x00\x04rest of the archive",
		"logs.rar": "Rar!\x1a\x07\x01\x00rest of the archive",
		"page.txt": "<html> \"quoted\" \\ é\nsecond line\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, stderr := runCLI(t, "ingest", "--db", filepath.Join(t.TempDir(), "x.duckdb"), dir)
	if code != exitInputFailed || !strings.Contains(stderr, "nothing could be read") {
		t.Errorf("exit %d, want %d; stderr %q", code, exitInputFailed, stderr)
	}
	var skipped []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "skipped: ") {
			skipped = append(skipped, strings.ReplaceAll(l, dir, "DIR"))
		}
	}
	golden(t, "ingest-unreadable.txt", strings.Join(skipped, "\n")+"\n")
	// The same folder beside a real log: the log is read, the run is ok.
	if code, _, stderr := runCLI(t, "ingest", "--db", filepath.Join(t.TempDir(), "y.duckdb"), dir, sample); code != exitOK {
		t.Errorf("with a log beside them: exit %d: %s", code, stderr)
	}
}

// kudulens version, --version and -v name the version, the commit and the DuckDB inside.
func TestVersion(t *testing.T) {
	re := regexp.MustCompile(`^kudulens \S+ \(commit \S+\)\nDuckDB v\d+\.\d+\.\d+\S*\n$`)
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		code, out, stderr := runCLI(t, args...)
		if code != exitOK || !re.MatchString(out) {
			t.Errorf("%v: exit %d %q %s", args, code, out, stderr)
		}
	}
}

// A mistyped command or flag gets a "did you mean".
func TestDidYouMean(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"diagnos", "x"}, `kudulens: unknown command "diagnos"; did you mean "diagnose"? (see kudulens help)`},
		{[]string{"qeury"}, `did you mean "query"?`},
		{[]string{"diagnose", "--formt", "json", sample}, "kudulens diagnose: unknown flag: --formt; did you mean --format? (see --help)"},
		{[]string{"query", "--sq", "select 1", sample}, "did you mean --sql?"},
		{[]string{"ingest", "--max-dept", "3", sample}, "did you mean --max-depth?"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, stderr, tc.want)
		}
	}
	if _, _, stderr := runCLI(t, "frobnicate"); strings.Contains(stderr, "did you mean") {
		t.Errorf("a word near no command got a suggestion: %q", stderr)
	}
}

// --since takes 1w-style durations wherever it is taken, and a bad one is a usage error
// before anything is read.
func TestSinceDurations(t *testing.T) {
	code, out, stderr := runCLI(t, "diagnose", "--quiet", "--since", "1w", sample)
	if code != exitCheckFailed || !strings.Contains(out, "only lines since 2026-11-13T09:29:51Z count") {
		t.Errorf("diagnose --since 1w: exit %d\n%.400s\n%s", code, out, stderr)
	}
	if code, _, stderr := runCLI(t, "diagnose", "--quiet", "--fleet", t.TempDir(), "--since", "2w"); code == exitUsage {
		t.Errorf("diagnose --fleet --since 2w: usage error %s", stderr)
	}
	if code, _, stderr := runCLI(t, "ingest", "--quiet", "--db", filepath.Join(t.TempDir(), "x.duckdb"), "--since", "1.5w", sample); code != exitOK {
		t.Errorf("ingest --since 1.5w: exit %d %s", code, stderr)
	}
	code, out, stderr = runCLI(t, "diagnose", "--since", "a fortnight", filepath.Join(t.TempDir(), "nosuch"))
	if code != exitUsage || out != "" || !strings.Contains(stderr, "--since: cannot read") {
		t.Errorf("bad --since: exit %d %q %q", code, out, stderr)
	}
}

// Every command's --help has examples, and every flag its usage lines name exists.
func TestHelpMatchesFlags(t *testing.T) {
	for _, c := range commands() {
		code, _, help := runCLI(t, c.name, "--help")
		if code != exitOK {
			t.Errorf("%s --help: exit %d", c.name, code)
		}
		if !strings.Contains(help, "\nExamples:\n  kudulens ") {
			t.Errorf("%s --help has no examples", c.name)
		}
		usage, flags, _ := strings.Cut(help, "\nFlags:\n")
		usage, _, _ = strings.Cut(usage, "\n\n")
		for _, m := range regexp.MustCompile(`--([a-z][a-z-]*)`).FindAllStringSubmatch(usage, -1) {
			if !regexp.MustCompile(`(?m)^\s+(-\w, )?--` + m[1] + `\b`).MatchString(flags) {
				t.Errorf("%s: the usage line names --%s, which is not a flag", c.name, m[1])
			}
		}
	}
	_, _, help := runCLI(t, "diagnose", "--help")
	if !strings.Contains(help, "--fail-on error|warning|info|never") {
		t.Error("diagnose usage does not say --fail-on takes info")
	}
}

// checks --format json is camelCase like every other JSON of kudulens.
func TestChecksJSONCamelCase(t *testing.T) {
	code, out, _ := runCLI(t, "checks", "--format", "json")
	var items []map[string]any
	if err := json.Unmarshal([]byte(out), &items); err != nil || code != exitOK || len(items) < 25 {
		t.Fatalf("exit %d, %d items, %v", code, len(items), err)
	}
	for k := range items[0] {
		if k != strings.ToLower(k[:1])+k[1:] {
			t.Errorf("key %q is not camelCase", k)
		}
	}
	if items[0]["id"] == nil || items[0]["severity"] == nil {
		t.Errorf("no id/severity: %v", items[0])
	}
}

// query --format json keeps the order of the projected columns.
func TestQueryJSONColumnOrder(t *testing.T) {
	code, out, stderr := runCLI(t, "query", "--quiet", "--format", "json", "--sql",
		"select line_no as zeta, job as alpha, '<&>' as mid, {'b': 1, 'a': [1, 2]} as nested from traces order by timestamp, source_file, line_no limit 1", sample)
	if code != exitOK {
		t.Fatalf("exit %d %s", code, stderr)
	}
	golden(t, "query-json-order.json", out)
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
}

// query --help teaches the filter the checks use: severityLevel from the message templates,
// which finds the SQL errors the app logs at INFO (level = 'ERR' misses them).
func TestQueryHelpExampleFindsErrors(t *testing.T) {
	_, _, help := runCLI(t, "query", "--help")
	for _, l := range strings.Split(help, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "kudulens query") && strings.Contains(l, "level = 'ERR'") {
			t.Errorf("an example filters level = 'ERR': %s", l)
		}
	}
	const example = "select timestamp, job, template, message from traces\n    where severityLevel >= 3 order by 1"
	if !strings.Contains(help, example) {
		t.Fatalf("query --help lacks the severityLevel example")
	}
	code, out, stderr := runCLI(t, "query", "--quiet", "--format", "csv", "--sql", example, sample)
	if code != exitOK || !strings.Contains(out, ",sql-error,") || !strings.Contains(out, ",page-updates-sql-exception,") {
		t.Errorf("the example misses the SQL errors: exit %d %s\n%.300s", code, stderr, out)
	}
	_, out, _ = runCLI(t, "query", "--quiet", "--format", "csv", "--sql", "select count(*) from traces where level = 'ERR' and template = 'sql-error'", sample)
	if out != "count_star()\n0\n" {
		t.Errorf("level = 'ERR' finds the SQL errors after all (%q): the example's reason is wrong", out)
	}
}

// --format md --brief is a ticket summary: the site in the header, the verdict, each failing
// check with its first evidence line and advice, under 30 lines.
func TestMarkdownBrief(t *testing.T) {
	code, out, stderr := runCLI(t, "diagnose", "--quiet", "--format", "md", "--brief", sample)
	if code != exitCheckFailed {
		t.Fatalf("exit %d %s", code, stderr)
	}
	if n := strings.Count(out, "\n"); n >= 30 {
		t.Errorf("%d lines, want under 30", n)
	}
	if !strings.HasPrefix(out, "### kudulens: contoso-analytics — PROBLEMS FOUND") {
		t.Errorf("header: %.120s", out)
	}
	golden(t, "diagnose-sample-brief.md", out)
	// --brief with an --out FILE.md takes md from the extension; with text it is a usage error.
	md := filepath.Join(t.TempDir(), "ticket.md")
	if code, _, stderr := runCLI(t, "diagnose", "--quiet", "--brief", "--out", md, sample); code != exitCheckFailed {
		t.Errorf("--brief --out ticket.md: exit %d %s", code, stderr)
	} else if b, _ := os.ReadFile(md); string(b) != out {
		t.Errorf("--out ticket.md --brief differs from --format md --brief")
	}
	if code, _, _ := runCLI(t, "diagnose", "--brief", sample); code != exitUsage {
		t.Errorf("--brief with text: exit %d, want %d", code, exitUsage)
	}
}

// Single-site JSON has the verdict and the site at the top, as fleet JSON's rows do.
func TestSiteJSONVerdictAndSite(t *testing.T) {
	_, text, _ := runCLI(t, "diagnose", "--quiet", sample)
	verdict, _, _ := strings.Cut(text, "\n")
	_, out, _ := runCLI(t, "diagnose", "--quiet", "--format", "json", sample)
	if !strings.HasPrefix(out, "{\n  \"verdict\": ") {
		t.Errorf("verdict is not the first member: %.100s", out)
	}
	var rep struct {
		Verdict, Site, EvaluatedAt string
		Checks                     []struct{ ID string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != verdict || rep.Site != "contoso-analytics" || rep.EvaluatedAt == "" || len(rep.Checks) < 25 {
		t.Errorf("verdict %q (text %q), site %q, %d checks", rep.Verdict, verdict, rep.Site, len(rep.Checks))
	}
	// A bundle that names no site: "site" is there, empty.
	_, out, _ = runCLI(t, "diagnose", "--quiet", "--format", "json", filepath.Join(sample, "data"))
	var noSite map[string]any
	if err := json.Unmarshal([]byte(out), &noSite); err != nil || noSite["site"] != "" || noSite["verdict"] == nil {
		t.Errorf("no site: %v %v", err, noSite["site"])
	}
}

// show FILE:LINE prints the lines around an evidence reference: from the bundle when it is on
// disk, else from the database.
func TestShowEvidence(t *testing.T) {
	const member = "!applogs/contoso-analytics/2026/11/19/02/5b7e2d-5344.applicationLog.csv"
	code, out, stderr := runCLI(t, "show", "../../fixtures/sample-bundle.zip"+member+":31", "-C", "2")
	if code != exitOK {
		t.Fatalf("exit %d %s", code, stderr)
	}
	golden(t, "show-bundle.txt", out)
	// From the database: the bundle was ingested, then moved away.
	dir := t.TempDir()
	zip, err := os.ReadFile("../../fixtures/sample-bundle.zip")
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "bundle.zip")
	os.WriteFile(bundle, zip, 0o644)
	db := filepath.Join(dir, "s.duckdb")
	if code, _, stderr := runCLI(t, "ingest", "--quiet", "--db", db, bundle); code != exitOK {
		t.Fatalf("ingest %d %s", code, stderr)
	}
	os.Remove(bundle)
	const job = "!data/jobs/continuous/Office365ActivityImporter/job_log.txt"
	code, out, stderr = runCLI(t, "show", "--db", db, bundle+job+":860", "-C", "2")
	if code != exitOK {
		t.Fatalf("from the database: exit %d %s", code, stderr)
	}
	golden(t, "show-db.txt", strings.ReplaceAll(out, dir, "DIR"))
	// Bad references are usage errors.
	for _, ref := range []string{"no-line-number", "../../fixtures/sample-bundle.zip!nosuch.txt:3", bundle + job + ":0"} {
		if code, _, _ := runCLI(t, "show", "--db", db, ref); code != exitUsage {
			t.Errorf("show %s: exit %d, want %d", ref, code, exitUsage)
		}
	}
}

// The README's "How to collect a bundle" tells customers to download Kudu's zip of
// data/jobs/continuous/, whose members start at the job folders (Kudu leaves the zipped folder
// itself out): kudulens must still name the jobs from those folders.
func TestKuduZipOfJobsFolder(t *testing.T) {
	root := filepath.Join(sample, "data", "jobs", "continuous")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		w, err := zw.Create(filepath.ToSlash(rel)) // AppInsightsImporter/job_log.txt
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if err != nil || zw.Close() != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(t.TempDir(), "continuous.zip")
	os.WriteFile(bundle, buf.Bytes(), 0o644)
	code, out, stderr := runCLI(t, "query", "--quiet", "--format", "csv", "--sql",
		"select job, count(*) > 0 as has_lines from traces group by all order by 1", bundle)
	if code != exitOK || out != "job,has_lines\nAppInsightsImporter,true\nOffice365ActivityImporter,true\n" {
		t.Errorf("exit %d %s\n%s", code, stderr, out)
	}
	if !strings.Contains(readme(t), "/api/zip/data/jobs/continuous/") {
		t.Error("the README no longer says how to download the job logs")
	}
}

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// make test sets go test's -timeout on every run instead of relying on the 10-minute default,
// says that the first build is slow before it starts, and the README says what it installs
// and how long it takes.
func TestMakefileTimeoutsAndReadme(t *testing.T) {
	b, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	mk := string(b)
	target := ""
	for _, l := range strings.Split(mk, "\n") {
		if m := regexp.MustCompile(`^([a-z-]+):`).FindStringSubmatch(l); m != nil {
			target = m[1]
		}
		if target != "bench" && strings.Contains(l, "$(GO) test") && !strings.Contains(l, "-timeout $(TEST_TIMEOUT)") {
			t.Errorf("Makefile target %s runs go test without -timeout: %s", target, strings.TrimSpace(l))
		}
	}
	if !regexp.MustCompile(`(?m)^build: deps\n\t@echo "building .*DuckDB`).MatchString(mk) {
		t.Error("make build does not say the first build compiles DuckDB")
	}
	r := readme(t)
	for _, want := range []string{"Debian\npackage `chromium`", "Azurite 3.35.0 locally into `.cache/azurite`", "`bash .ci/run` took 5 min", "-timeout 30m"} {
		if !strings.Contains(r, want) {
			t.Errorf("README does not say %q", want)
		}
	}
}

// diff A B lists the checks that changed status, the exception types B has and A has not,
// and the cycle times of both; it exits 1 when B fails a check A did not.
func TestDiffBundles(t *testing.T) {
	t.Parallel()
	code, out, stderr := runCLI(t, "diff", "--quiet", sample, "../../fixtures/sample-bundle.zip")
	if code != exitOK || !strings.Contains(out, "Checks that changed status (0)") || !strings.Contains(out, "Exception types in B, not in A (0)") ||
		strings.Contains(out, "changed\n") {
		t.Errorf("same logs twice: exit %d %s\n%s", code, stderr, out)
	}
	tiny := tinyBundle(t)
	code, out, stderr = runCLI(t, "diff", "--quiet", tiny, sample)
	if code != exitCheckFailed {
		t.Errorf("before/after: exit %d, want %d: %s", code, exitCheckFailed, stderr)
	}
	golden(t, "diff-tiny-sample.txt", strings.ReplaceAll(out, tiny, "TINY"))
	if code, _, _ := runCLI(t, "diff", sample); code != exitUsage {
		t.Errorf("diff with one source: exit %d", code)
	}
}
