package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	klsql "github.com/kudulens/kudulens/sql"
)

// Log text is hostile: whatever it holds must come out as text, in the page and in the charts.
func TestHTMLEscapesLogText(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	first := at.Add(-2 * time.Hour)
	evil := `</pre><script>alert(1)</script><img src=x onerror=alert(2)>"'&`
	r := &klsql.Report{EvaluatedAt: at, Checks: []klsql.Result{{
		ID: "x-check", Title: "Title " + evil, Severity: klsql.SeverityError, Status: klsql.StatusFail,
		Count: 3, FirstSeen: &first, LastSeen: &at, Detail: evil, Advice: evil,
		Evidence: []klsql.Evidence{{Timestamp: first, Job: "Job" + evil, File: "f" + evil, Line: 3, Message: evil}},
	}}, Jobs: []klsql.JobHealth{{Job: "Job" + evil, Status: "Running"}}}
	in := &klsql.Insights{Start: at.Add(-48 * time.Hour), End: at,
		Focus:          klsql.Timeline{Start: at.Add(-24 * time.Hour), End: at, Step: time.Hour, Jobs: []klsql.JobActivity{{Job: "Job" + evil, Buckets: make([]klsql.Bucket, 25)}}},
		Overview:       klsql.Timeline{Start: at.Add(-48 * time.Hour), End: at, Step: 2 * time.Hour, Jobs: []klsql.JobActivity{{Job: "Job" + evil, Buckets: make([]klsql.Bucket, 25)}}},
		Sections:       []klsql.DurationPoint{{Time: first, Job: "Job" + evil, Section: "S" + evil, Seconds: 12}},
		ExceptionTypes: []klsql.ExceptionType{{OuterType: evil, InnermostType: evil, Count: 1, First: first, Last: at, Message: evil}},
		Config:         []klsql.ConfigBlock{{Job: evil, Lines: []string{evil}, Count: 1, First: first, Last: first, File: evil}},
		Files:          []klsql.FileAccount{{Path: evil, Kind: "kudu-log", Status: "failed", Error: evil}},
	}
	in.Focus.Jobs[0].Buckets[3] = klsql.Bucket{Lines: 10, Errors: 2, Exceptions: 1, Restarts: 1}
	var b bytes.Buffer
	if err := HTML(&b, r, in, HTMLOptions{Version: "test"}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script>alert", "<img", "onerror=alert(2)>"} {
		if strings.Contains(page, bad) {
			t.Errorf("unescaped log text in the page: %q", bad)
		}
	}
	if n := strings.Count(page, "<script>"); n != 1 {
		t.Errorf("%d <script> elements, want only the report's own", n)
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the hostile text is not shown escaped")
	}
	if !strings.Contains(page, "script-src &#39;sha256-") {
		t.Errorf("no Content-Security-Policy with the script's hash")
	}
}

func TestHTMLWithoutInsightsOrFailures(t *testing.T) {
	r := &klsql.Report{EvaluatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Ingest: klsql.Totals{Files: 1, Lines: 10},
		Checks: []klsql.Result{{ID: "a", Title: "A", Severity: klsql.SeverityError, Status: klsql.StatusPass}}}
	var b bytes.Buffer
	if err := HTML(&b, r, nil, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "OK — no check found a problem") || !strings.Contains(b.String(), "2026-01-02T03:04:05Z") {
		t.Errorf("verdict or time missing:\n%.600s", b.String())
	}
	// No log lines at all is not "OK".
	r.Ingest.Lines = 0
	b.Reset()
	if err := HTML(&b, r, nil, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "OK — no check found a problem") || !strings.Contains(b.String(), "nothing could be judged") {
		t.Errorf("no data: %.600s", b.String())
	}
}

func TestNiceSteps(t *testing.T) {
	if got := niceSeconds(335); got != 600 {
		t.Errorf("niceSeconds(335) = %v", got)
	}
	if got := klsql.NiceStep(36*time.Hour, 96); got != 30*time.Minute {
		t.Errorf("NiceStep(36h) = %v", got)
	}
	iv := complement(klsql.Interval{Start: time.Unix(0, 0), End: time.Unix(100, 0)},
		[]klsql.Interval{{Start: time.Unix(10, 0), End: time.Unix(20, 0)}, {Start: time.Unix(50, 0), End: time.Unix(200, 0)}})
	if len(iv) != 2 || iv[0].End != time.Unix(10, 0) || iv[1].Start != time.Unix(20, 0) || iv[1].End != time.Unix(50, 0) {
		t.Errorf("complement = %v", iv)
	}
}

func TestDecimate(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ps []klsql.DurationPoint
	for i := 0; i < 10000; i++ {
		ps = append(ps, klsql.DurationPoint{Time: t0.Add(time.Duration(i) * time.Second), Job: "a", Seconds: float64(i % 97)})
	}
	ts := timeScale{t0, t0.Add(10000 * time.Second), 0, 300}
	out := decimate(ps, func(p klsql.DurationPoint) string { return p.Job }, ts, 2000)
	if len(out) > 202 || len(out) < 100 {
		t.Errorf("%d points", len(out))
	}
	var mx float64
	for _, p := range out {
		mx = max(mx, p.Seconds)
	}
	if mx != 96 {
		t.Errorf("the longest duration is lost: %v", mx)
	}
}
