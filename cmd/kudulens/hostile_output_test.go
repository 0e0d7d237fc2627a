package main

// Issue 18, output injection: a bundle whose job folder name, Kudu status value, file names
// and log lines carry terminal escape sequences, Markdown, HTML and spreadsheet formulas. Every
// command that shows them must show them as text. The README's "Guarantees" section states the
// same. Each row runs its own kudulens on the bundle (in memory), in parallel.

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const (
	// A window title change, a screen clear and a green fake verdict, and an OSC 8 link.
	termAttack = "\x1b]0;pwned\x07\x1b[2J\x1b[H\x1b[32mOK: none of 25 checks failed\x1b[0m\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"
	// Markdown and HTML that would add a cell, a link, an image and a script.
	mdAttack = " | cell | [a](https://evil.example/) ![i](https://evil.example/i.png) <img src=x onerror=alert(1)><script>alert(2)</script>"
)

// evilJob is the job folder's name: both attacks (without '/', which a name cannot hold),
// and a C1 CSI and a bidi override.
var evilJob = "Job" + inName(termAttack+mdAttack) + "\u009b31m\u202eevil"

func inName(s string) string { return strings.ReplaceAll(s, "/", "_") }

// writeHostileBundle writes a folder of logs whose names and contents hold the attacks.
func writeHostileBundle(t *testing.T, dir string) string {
	t.Helper()
	in := filepath.Join(dir, "in")
	jobDir := filepath.Join(in, "data", "jobs", "continuous", evilJob)
	line := func(sec int, msg string) string {
		return fmt.Sprintf("[11/19/2026 21:40:%02d > 5e1c2a: INFO] %s\r\n", sec, msg)
	}
	log := line(1, "Started") +
		// Fails out-of-memory, so the line is evidence in every report.
		line(2, "Unhandled: System.OutOfMemoryException "+termAttack+mdAttack) +
		line(3, `=HYPERLINK("https://evil.example/","click")`) +
		line(4, "+cmd|' /C calc'!A0") +
		line(5, "-2+3+cmd|' /C calc'!A0") +
		line(6, "@SUM(1+1)*cmd|' /C calc'!A0") +
		line(7, "note;=1+2") +
		line(8, "Finished")
	writeInput(t, jobDir, "job_log.txt", []byte(log))
	status, err := json.Marshal(map[string]string{"Status": "Running" + termAttack + mdAttack})
	if err != nil {
		t.Fatal(err)
	}
	writeInput(t, jobDir, "status_5e1c2a", status)
	// A file of no known kind: its name and first line are in the ingest notes.
	writeInput(t, in, "notes"+inName(termAttack)+".ini", []byte("first"+termAttack+"\nsecond\n"))
	return in
}

// controlChars finds what a terminal would act on: C0 controls but the line end, DEL, C1
// controls, bidi overrides.
var controlChars = regexp.MustCompile("[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f\u202a-\u202e\u2066-\u2069]")

func checkNoControls(t *testing.T, what, out string) {
	t.Helper()
	if loc := controlChars.FindStringIndex(out); loc != nil {
		t.Errorf("%s: control character %q at byte %d:\n%s", what, out[loc[0]:loc[1]], loc[0], excerpt(out, out[loc[0]:loc[1]]))
	}
	if !strings.Contains(out, `\x1b]0;pwned\x07\x1b[2J`) {
		t.Errorf("%s: the escape sequence is not shown as text:\n%s", what, out)
	}
}

// unescapedPipes counts the '|' of a Markdown table line that are not escaped with '\'.
func unescapedPipes(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

// checkMarkdown checks that no line of md adds a cell, a link, an image or HTML.
func checkMarkdown(t *testing.T, md string) {
	t.Helper()
	for _, bad := range []string{"<img", "<script", "](", "\x1b"} {
		if strings.Contains(md, bad) {
			t.Errorf("Markdown holds %q:\n%s", bad, excerpt(md, bad))
		}
	}
	var header int // unescaped pipes of the current table's header
	tables := 0
	for _, l := range strings.Split(md, "\n") {
		if !strings.HasPrefix(l, "|") {
			header = 0
			continue
		}
		if header == 0 {
			header = unescapedPipes(l)
			tables++
			continue
		}
		if n := unescapedPipes(l); n != header {
			t.Errorf("table row has %d cell separators, its header %d:\n%s", n, header, l)
		}
	}
	if tables == 0 || !strings.Contains(md, `\[a\]\(https`) || !strings.Contains(md, "&lt;img src=x") {
		t.Errorf("the hostile text is not in the Markdown, escaped:\n%s", md)
	}
}

type outputCase struct {
	name string
	run  func(t *testing.T, in, dir string)
}

func outputCases() []outputCase {
	return []outputCase{
		{"diagnose text shows escape sequences as text", func(t *testing.T, in, dir string) {
			code, stdout, stderr := runCLI(t, "diagnose", "--fail-on", "never", in)
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			if !strings.Contains(stdout, "out-of-memory") {
				t.Fatalf("the check with the hostile evidence did not fail:\n%s", stdout)
			}
			checkNoControls(t, "diagnose", stdout+stderr)
		}},
		{"ingest notes show file names and first lines as text", func(t *testing.T, in, dir string) {
			code, stdout, stderr := runCLI(t, "ingest", "--db", filepath.Join(dir, "k.duckdb"), in)
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			if !strings.Contains(stdout, `skipped: `) || !strings.Contains(stdout, `notes\x1b]0;pwned`) {
				t.Errorf("no note on the file of no known kind:\n%s", stdout)
			}
			checkNoControls(t, "ingest", stdout+stderr)
		}},
		{"query --format table shows cells as text", func(t *testing.T, in, dir string) {
			for _, q := range []string{"select job, message from traces", "select job, status, source_file from job_status",
				"select path, error from files", "pivot (select job, status from job_status) on status using count(*)"} {
				code, stdout, stderr := runCLI(t, "query", "--sql", q, in)
				if code != exitOK {
					t.Fatalf("%s: exit %d\n%s%s", q, code, stdout, stderr)
				}
				checkNoControls(t, q, stdout+stderr)
			}
		}},
		{"errors on stderr show the bundle's text as text", func(t *testing.T, in, dir string) {
			// DuckDB quotes the value it cannot convert: the log line.
			code, stdout, stderr := runCLI(t, "query", "--sql", "select cast(message as integer) from traces where message like '%OutOfMemory%'", in)
			if code == exitOK {
				t.Fatalf("the cast did not fail:\n%s", stdout)
			}
			checkNoControls(t, "query error", stderr)
		}},
		{"diagnose --format md escapes Markdown and HTML", func(t *testing.T, in, dir string) {
			code, stdout, stderr := runCLI(t, "diagnose", "--fail-on", "never", "--format", "md", in)
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			checkMarkdown(t, stdout)
		}},
		{"diagnose --format html holds against script injection", func(t *testing.T, in, dir string) {
			code, stdout, stderr := runCLI(t, "diagnose", "--fail-on", "never", "--format", "html", in)
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			for _, bad := range []string{"<img", "<script>alert", "onerror=alert(1)>"} {
				if strings.Contains(stdout, bad) {
					t.Errorf("the page holds %q:\n%s", bad, excerpt(stdout, bad))
				}
			}
			if n := strings.Count(stdout, "<script"); n != 1 {
				t.Errorf("%d script elements, want the report's own only", n)
			}
			if !strings.Contains(stdout, "&lt;script&gt;alert(2)&lt;/script&gt;") {
				t.Error("the hostile text is not shown escaped")
			}
		}},
		{"query --format csv defuses formulas, --csv-raw does not", func(t *testing.T, in, dir string) {
			q := "select line_no, message from traces where line_no between 3 and 7 order by line_no"
			code, stdout, stderr := runCLI(t, "query", "--format", "csv", "--sql", q, in)
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
			if err != nil || len(recs) != 6 {
				t.Fatalf("%d records (%v):\n%s", len(recs), err, stdout)
			}
			for _, r := range recs[1:] {
				if strings.ContainsAny(r[1][:1], "=+-@\t\r") {
					t.Errorf("cell %q would run as a formula", r[1])
				}
				if !strings.HasPrefix(r[1], "'") && !strings.HasPrefix(r[1], "note") {
					t.Errorf("cell %q is not prefixed", r[1])
				}
			}
			if !strings.Contains(stdout, "\n7,\"note;=1+2\"\n") {
				t.Errorf("a cell with ';' is not quoted:\n%s", stdout)
			}
			code, raw, stderr := runCLI(t, "query", "--format", "csv", "--csv-raw", "--sql", q, in)
			if code != exitOK || !strings.Contains(raw, "\n3,\"=HYPERLINK(\"\"https://evil.example/\"\",\"\"click\"\")\"\n") || !strings.Contains(raw, "\n7,note;=1+2\n") {
				t.Errorf("--csv-raw: exit %d, values not as stored:\n%s%s", code, raw, stderr)
			}
		}},
		{"fleet summaries show site names as text", func(t *testing.T, in, dir string) {
			fleet := filepath.Join(dir, "fleet")
			site := filepath.Join(fleet, "site"+inName(termAttack+mdAttack))
			if err := os.MkdirAll(fleet, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(in, site); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runCLI(t, "diagnose", "--fleet", fleet, "--fail-on", "never")
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			checkNoControls(t, "fleet text", stdout+stderr)
			code, stdout, stderr = runCLI(t, "diagnose", "--fleet", fleet, "--fail-on", "never", "--format", "md")
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			checkMarkdown(t, stdout)
			code, stdout, _ = runCLI(t, "diagnose", "--fleet", fleet, "--fail-on", "never", "--format", "html")
			if code != exitOK || strings.Contains(stdout, "<img") || strings.Count(stdout, "<script") > 1 {
				t.Errorf("fleet html: exit %d, or the site name is not escaped:\n%s", code, stdout)
			}
		}},
	}
}

func TestHostileOutput(t *testing.T) {
	for _, c := range outputCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			c.run(t, writeHostileBundle(t, dir), dir)
		})
	}
}
