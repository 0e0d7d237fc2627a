package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kudulens/kudulens/pipeline"
	"github.com/kudulens/kudulens/pipeline/store"
)

// diagnoseJSON runs diagnose --format json with args and decodes the report.
func diagnoseJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	code, out, stderr := runCLI(t, append([]string{"diagnose", "--quiet", "--fail-on", "never", "--format", "json"}, args...)...)
	if code != exitOK {
		t.Fatalf("diagnose %v: exit %d: %s", args, code, stderr)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("diagnose %v: %v\n%.500s", args, err, out)
	}
	return rep
}

// jobStatus is the status the report's jobs table gives job.
func jobStatus(rep map[string]any, job string) string {
	for _, j := range rep["jobs"].([]any) {
		if m := j.(map[string]any); m["job"] == job {
			s, _ := m["status"].(string)
			return s
		}
	}
	return ""
}

// checkResult is the result of check id in rep.
func checkResult(t *testing.T, rep map[string]any, id string) map[string]any {
	t.Helper()
	for _, c := range rep["checks"].([]any) {
		if m := c.(map[string]any); m["id"] == id {
			return m
		}
	}
	t.Fatalf("no check %s in the report", id)
	return nil
}

// The sample's status file says Office365ActivityImporter is PendingRestart at capture
// (2026-11-20 09:29). At noon the day before it was running: a status file counts from its
// capture time on, and before that the status lines tell, in the check and in the jobs table.
func TestAtInThePastIgnoresLaterStatusFile(t *testing.T) {
	past := diagnoseJSON(t, "--at", "2026-11-19T12:00:00Z", sample)
	c := checkResult(t, past, "job-not-running")
	if c["status"] != "pass" || !strings.Contains(c["detail"].(string), "Office365ActivityImporter: 5b7e2d: Running (last status line)") {
		t.Errorf("job-not-running at noon the day before: %v: %v", c["status"], c["detail"])
	}
	if s := jobStatus(past, "Office365ActivityImporter"); s != "Running" {
		t.Errorf("jobs table at noon the day before: Office365ActivityImporter %q, want Running", s)
	}
	now := diagnoseJSON(t, sample)
	c = checkResult(t, now, "job-not-running")
	if c["status"] != "fail" || !strings.Contains(c["detail"].(string), "PendingRestart (status file)") {
		t.Errorf("job-not-running at capture: %v: %v", c["status"], c["detail"])
	}
	if s := jobStatus(now, "Office365ActivityImporter"); s != "PendingRestart" {
		t.Errorf("jobs table at capture: Office365ActivityImporter %q, want PendingRestart", s)
	}
}

// diagnose --fleet pointed at one site's folder (applogs/ and data/jobs/, or job logs at its
// top) diagnoses it as that one site and says so, instead of reporting "applogs" and "data"
// as two sites.
func TestFleetOnOneSiteFolder(t *testing.T) {
	code, out, stderr := runCLI(t, "diagnose", "--fleet", sample)
	if code != exitCheckFailed {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"1 sites: 1 with problems", "note: " + sample + ` holds one site's logs (applogs/, data/jobs/), not a folder of sites: diagnosed as the one site "sample"`, "\nsample  PROBLEMS"} {
		if !strings.Contains(out, want) {
			t.Errorf("fleet summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "applogs") && !strings.Contains(out, "applogs/,") {
		t.Errorf("applogs is reported as a site:\n%s", out)
	}

	// A folder with only a job log at its top is one site too; the note goes to stderr when
	// the summary is not text on the terminal.
	dir := filepath.Join(t.TempDir(), "contoso")
	copyFile(t, filepath.Join(sample, "data/jobs/continuous/AppInsightsImporter/job_log.txt"), filepath.Join(dir, "job_log.txt"))
	code, out, stderr = runCLI(t, "diagnose", "--fleet", dir, "--format", "json")
	var f struct {
		Note  string
		Sites []struct{ Site string }
	}
	if err := json.Unmarshal([]byte(out), &f); err != nil {
		t.Fatalf("exit %d: %v\n%s", code, err, stderr)
	}
	if len(f.Sites) != 1 || f.Sites[0].Site != "contoso" || !strings.Contains(f.Note, "(job_log.txt)") || !strings.Contains(stderr, f.Note) {
		t.Errorf("fleet on a folder with a job log: sites %+v, note %q, stderr %q", f.Sites, f.Note, stderr)
	}

	// A folder of sites is still a fleet.
	fleet := t.TempDir()
	copyFile(t, filepath.Join(sample, "data/jobs/continuous/AppInsightsImporter/job_log.txt"), filepath.Join(fleet, "a", "job_log.txt"))
	copyFile(t, filepath.Join(sample, "data/jobs/continuous/AppInsightsImporter/job_log.txt"), filepath.Join(fleet, "b", "data", "jobs", "continuous", "X", "job_log.txt"))
	_, out, _ = runCLI(t, "diagnose", "--fleet", fleet, "--format", "json")
	f.Note, f.Sites = "", nil
	if err := json.Unmarshal([]byte(out), &f); err != nil || len(f.Sites) != 2 || f.Note != "" {
		t.Errorf("a folder of two sites: %v %+v %q", err, f.Sites, f.Note)
	}
}

// ingestTotal is the "total" row of ingest's table: files, lines, parsed, rejected, merged,
// traces, exceptions, events.
func ingestTotal(t *testing.T, out string) []string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 10 && f[0] == "total" {
			return f[1:9]
		}
	}
	t.Fatalf("no total row in\n%s", out)
	return nil
}

// Every command reports the same numbers for the same input, in the same words: ingest's
// table, diagnose's header in text, Markdown, JSON and HTML (whose table adds up to the
// sentence above it) and export's file count.
func TestSameNumbersEverywhere(t *testing.T) {
	t.Parallel()
	bundle := "../../fixtures/sample-bundle.zip"
	db := filepath.Join(t.TempDir(), "k.duckdb")
	code, out, stderr := runCLI(t, "ingest", "--db", db, bundle)
	if code != exitOK {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	total := ingestTotal(t, out)
	if !strings.Contains(out, "traces, exceptions, events: rows kept") {
		t.Errorf("ingest does not say what its columns count:\n%s", out)
	}
	files, lines, rejected, merged, traces, exc, events := total[0], total[1], total[3], total[4], total[5], total[6], total[7]
	if files != "41" || merged == "0" || traces == "0" {
		t.Fatalf("ingest total %v: the sample has 41 log files and copies to merge", total)
	}
	want := files + " files from 1 archive, " + lines + " lines read (" + rejected + " rejected, " + merged + " copies merged), rows kept: " +
		traces + " traces, " + exc + " exceptions, " + events + " events"
	for _, format := range []string{"text", "md", "html"} {
		code, out, stderr := runCLI(t, "diagnose", "--db", db, "--format", format, "--fail-on", "never")
		if code != exitOK {
			t.Fatalf("diagnose %s: exit %d: %s", format, code, stderr)
		}
		w := want
		if format == "md" {
			w = strings.NewReplacer("(", `\(`, ")", `\)`).Replace(want)
		}
		if !strings.Contains(out, w) {
			t.Errorf("diagnose --format %s does not say %q", format, w)
		}
		if format == "html" {
			if sum := htmlKindTotals(t, out); sum != strings.Join([]string{files, lines, total[2], rejected, merged, traces, exc, events}, " ") {
				t.Errorf("the HTML accounting table adds up to %s, the sentence says %s", sum, w)
			}
		}
	}
	rep := diagnoseJSON(t, "--db", db)
	in := rep["ingest"].(map[string]any)
	got := []string{}
	for _, k := range []string{"files", "lines", "rejected", "merged", "traces", "exceptions", "customEvents"} {
		got = append(got, jsonNum(in[k]))
	}
	if strings.Join(got, " ") != strings.Join([]string{files, lines, rejected, merged, traces, exc, events}, " ") {
		t.Errorf("JSON ingest %v, ingest's total %v", in, total)
	}

	code, out, stderr = runCLI(t, "export", "--parquet", t.TempDir(), "--db", db)
	if code != exitOK || !strings.Contains(out, ": "+files+" files from 1 archive → ") {
		t.Errorf("export: exit %d, want %s files from 1 archive:\n%s%s", code, files, out, stderr)
	}
	for table, n := range map[string]string{"traces": traces, "exceptions": exc, "customEvents": events} {
		if !regexp.MustCompile(`(?m)^  ` + table + ` +` + n + ` rows$`).MatchString(out) {
			t.Errorf("export writes other than %s %s rows:\n%s", n, table, out)
		}
	}
}

func jsonNum(v any) string {
	f, _ := v.(float64)
	return strconv.FormatInt(int64(f), 10)
}

// htmlKindTotals sums the columns of the HTML ingest accounting table (files, lines, parsed,
// rejected, merged, traces, exceptions, events).
func htmlKindTotals(t *testing.T, page string) string {
	t.Helper()
	_, sec, ok := strings.Cut(page, `<section id="ingest">`)
	if !ok {
		t.Fatal("no ingest section in the HTML report")
	}
	body, _, _ := strings.Cut(sec, "</tbody>")
	cell := regexp.MustCompile(`<td class="n">(\d+)</td>`)
	sums := make([]int64, 8)
	for _, row := range strings.Split(body, "<tr>")[1:] {
		cs := cell.FindAllStringSubmatch(row, -1)
		for i := 0; i < len(sums) && i < len(cs); i++ {
			n, _ := strconv.ParseInt(cs[i][1], 10, 64)
			sums[i] += n
		}
	}
	var parts []string
	for _, s := range sums {
		parts = append(parts, strconv.FormatInt(s, 10))
	}
	return strings.Join(parts, " ")
}

// The completion scripts are made from the commands' own flag sets: each names every command
// and every flag its --help lists, and the bash script is valid bash.
func TestCompletionScripts(t *testing.T) {
	flagRe := regexp.MustCompile(`(?m)^\s+(?:-(\w), )?--([a-z][a-z0-9-]*)`)
	helps := map[string][]string{}
	for _, c := range commands() {
		_, _, help := runCLI(t, c.name, "--help")
		for _, m := range flagRe.FindAllStringSubmatch(help[strings.Index(help, "\nFlags:\n"):], -1) {
			helps[c.name] = append(helps[c.name], "--"+m[2])
			if m[1] != "" {
				helps[c.name] = append(helps[c.name], "-"+m[1])
			}
		}
	}
	if len(helps["diagnose"]) < 20 || len(helps["ingest"]) < 10 {
		t.Fatalf("read too few flags from --help: %v", helps)
	}
	for _, shell := range []string{"bash", "zsh", "powershell"} {
		code, script, stderr := runCLI(t, "completion", shell)
		if code != exitOK {
			t.Fatalf("completion %s: exit %d: %s", shell, code, stderr)
		}
		for _, c := range commands() {
			if !strings.Contains(script, c.name) {
				t.Errorf("%s completion lacks the command %s", shell, c.name)
			}
			// The command's own part of the script names each of its flags.
			part := script
			switch shell {
			case "bash":
				part = regexp.MustCompile(`(?m)^\s+` + c.name + `\) opts="[^"]*"`).FindString(script)
			case "zsh":
				if i := strings.Index(script, "\n        "+c.name+")\n"); i >= 0 {
					part = script[i:]
					if j := strings.Index(part, ";;"); j >= 0 {
						part = part[:j]
					}
				}
			case "powershell":
				part = regexp.MustCompile(`(?m)^\s+'` + c.name + `' = @\([^)]*\)`).FindString(script)
			}
			for _, f := range helps[c.name] {
				if !regexp.MustCompile(`(^|[\s"'(])` + regexp.QuoteMeta(f) + `([\s"'\[]|$)`).MatchString(part) {
					t.Errorf("%s completion of %s lacks %s", shell, c.name, f)
				}
			}
		}
		if shell == "bash" {
			f := filepath.Join(t.TempDir(), "kudulens.bash")
			if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("bash", "-n", f).CombinedOutput(); err != nil {
				t.Errorf("bash -n: %v\n%s", err, out)
			}
			// And it completes: the flags of diagnose that start with --fo.
			cmd := exec.Command("bash", "-c", `source "$1"; COMP_WORDS=(kudulens diagnose --fo); COMP_CWORD=2; _kudulens; echo "${COMPREPLY[@]}"`, "bash", f)
			if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "--format" {
				t.Errorf("bash completion of 'kudulens diagnose --fo': %v %q", err, out)
			}
		}
	}
	if code, _, stderr := runCLI(t, "completion", "fish"); code != exitUsage || !strings.Contains(stderr, "bash, zsh or powershell") {
		t.Errorf("completion fish: exit %d: %s", code, stderr)
	}
}

// The progress line has a total and an ETA where the total is known before reading: a folder
// (its files' sizes) and a zip (its central directory); the total is what the run then reads.
// A .gz or standard input has none.
func TestProgressTotal(t *testing.T) {
	for _, src := range []string{sample, "../../fixtures/sample-bundle.zip"} {
		total := inputTotal([]string{src})
		if total <= 0 {
			t.Fatalf("%s: no total", src)
		}
		s, err := store.Open(context.Background(), "", store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var prog pipeline.Progress
		if _, err := pipeline.Ingest(context.Background(), s, []string{src}, pipeline.Options{}, &prog); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if got := prog.Bytes.Load(); got != total {
			t.Errorf("%s: total %d bytes before reading, %d read", src, total, got)
		}
	}
	gz := filepath.Join(t.TempDir(), "job_log.txt.gz")
	if err := os.WriteFile(gz, []byte("\x1f\x8b"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, srcs := range [][]string{{gz}, {"-"}, {sample, gz}, {"az://logs/site"}} {
		if n := inputTotal(srcs); n != -1 {
			t.Errorf("%v: total %d, want unknown (-1)", srcs, n)
		}
	}
	line := progressLine(12, 25e6, 3000, 100e6, 10*time.Second)
	if line != "kudulens: 12 files, 25.0 of 100.0 MB (25%), 3000 lines, 2.5 MB/s, ETA 30s" {
		t.Errorf("progress line with a total: %q", line)
	}
	if line := progressLine(12, 25e6, 3000, -1, 10*time.Second); line != "kudulens: 12 files, 25.0 MB, 3000 lines, 2.5 MB/s" {
		t.Errorf("progress line without a total: %q", line)
	}
}

// An interrupted ingest still ends its summary with a whole line: what was read, in how long,
// into which database (it printed " into DB" alone when the run had no elapsed time).
func TestInterruptedIngestSummaryLine(t *testing.T) {
	summaries := 0
	for _, delay := range []time.Duration{400 * time.Millisecond, 150 * time.Millisecond, 50 * time.Millisecond, 10 * time.Millisecond} {
		db := filepath.Join(t.TempDir(), "k.duckdb")
		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(delay, cancel)
		var out, errb strings.Builder
		code := run(ctx, []string{"ingest", "--db", db, "../../fixtures/sample-bundle.zip", sample}, &env{stdin: strings.NewReader(""),
			stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
		timer.Stop()
		cancel()
		if code != exitInterrupted || out.Len() == 0 {
			continue // done before the cancel, or cancelled before anything was read
		}
		summaries++
		last := regexp.MustCompile(`(?:\A|\n)(interrupted: read \d+\.\d MB in \d+\.\d\d s \(\d+\.\d MB/s\) into ` + regexp.QuoteMeta(db) + `)\n\z`)
		if !last.MatchString(out.String()) {
			t.Errorf("cancelled after %s: the summary does not end in a whole line:\n%s", delay, out.String())
		}
	}
	if summaries == 0 {
		t.Fatal("no run was interrupted while it read: the test tried nothing")
	}
}
