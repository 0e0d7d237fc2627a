package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	klsql "github.com/kudulens/kudulens/sql"
)

func verdictReport(results ...klsql.Result) *klsql.Report {
	r := &klsql.Report{EvaluatedAt: time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC), Ingest: klsql.Totals{Files: 2, Lines: 500, Traces: 480}}
	for i := len(results); i < 25; i++ {
		results = append(results, klsql.Result{ID: fmt.Sprintf("pass-%02d", i), Severity: klsql.SeverityError, Status: klsql.StatusPass})
	}
	r.Checks = results
	return r
}

func failing(id string, sev klsql.Severity, first time.Time) klsql.Result {
	return klsql.Result{ID: id, Title: id + " title", Severity: sev, Status: klsql.StatusFail, FirstSeen: &first,
		Detail: id + " detail", Advice: id + " advice",
		Evidence: []klsql.Evidence{{Timestamp: first, Job: "Office365ActivityImporter", File: "job_log.txt", Line: 7, Message: id + " evidence"}}}
}

// A healthy site whose only finding is an info check (the guide calls external users not
// found expected) is OK, with the finding as a note; the JSON keeps its status.
func TestVerdictInfoIsANote(t *testing.T) {
	t0 := time.Date(2026, 11, 19, 8, 0, 0, 0, time.UTC)
	r := verdictReport(failing("external-user-not-found", klsql.SeverityInfo, t0))
	if got, want := Verdict(r), "OK: none of 25 checks failed; 1 note: external-user-not-found"; got != want {
		t.Errorf("verdict %q, want %q", got, want)
	}
	if ExitFails(r, klsql.SeverityError) || ExitFails(r, klsql.SeverityWarning) || !ExitFails(r, klsql.SeverityInfo) {
		t.Errorf("exit: a note fails only --fail-on info")
	}
	var text bytes.Buffer
	if err := Text(&text, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	if strings.Contains(out, "FAIL") || !strings.Contains(out, "Notes (severity info") || !strings.Contains(out, "external-user-not-found evidence") {
		t.Errorf("text report shows the note as a failure or not at all:\n%s", out)
	}
	var md bytes.Buffer
	if err := Markdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "## kudulens: OK") || !strings.Contains(md.String(), "| NOTE | info | `external-user-not-found`") {
		t.Errorf("markdown report:\n%s", md.String())
	}
	var js bytes.Buffer
	if err := JSON(&js, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"severity": "info",
      "status": "fail"`) {
		t.Errorf("JSON lost the note's status:\n%.800s", js.String())
	}
	var html bytes.Buffer
	if err := HTML(&html, r, nil, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), "OK — no check found a problem") || !strings.Contains(html.String(), "Notes: expected or benign") {
		t.Errorf("HTML report does not show OK with the note")
	}
}

// The verdict names every failing check, or as many as fit and "+N more"; notes come after.
func TestVerdictNamesEveryFailingCheck(t *testing.T) {
	t0 := time.Date(2026, 11, 19, 8, 0, 0, 0, time.UTC)
	r := verdictReport(failing("a", klsql.SeverityError, t0), failing("b", klsql.SeverityError, t0.Add(time.Hour)),
		failing("c", klsql.SeverityError, t0.Add(2*time.Hour)), failing("w", klsql.SeverityWarning, t0))
	if got, want := Verdict(r), "PROBLEMS FOUND: 4 of 25 checks failed (3 error, 1 warning): a, b, c, w"; got != want {
		t.Errorf("verdict %q, want %q", got, want)
	}
	var many []klsql.Result
	for i := range 8 {
		many = append(many, failing(fmt.Sprintf("e%d", i), klsql.SeverityError, t0.Add(time.Duration(i)*time.Minute)))
	}
	many = append(many, failing("capped", klsql.SeverityInfo, t0))
	if got, want := Verdict(verdictReport(many...)),
		"PROBLEMS FOUND: 8 of 25 checks failed (8 error): e0, e1, e2, e3, e4, +3 more; 1 note: capped"; got != want {
		t.Errorf("verdict %q, want %q", got, want)
	}
}
