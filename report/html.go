package report

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"

	klsql "github.com/kudulens/kudulens/sql"
)

// The HTML report is one self-contained file: inline CSS, inline SVG charts drawn by
// html_charts.go, and one small inline script (open collapsed sections for printing; mark the
// document once the charts have drawn). A Content-Security-Policy forbids everything else, so
// the page loads nothing from anywhere and no text from the logs can run as script (all of it
// is escaped by html/template in any case).

//go:embed html.tmpl
var htmlTemplate string

//go:embed html.css
var htmlCSS string

//go:embed html.js
var htmlJS string

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"ts":  ts,
	"tsp": tsp,
	"loc": location,
	"secs": func(v float64) string {
		return secs(v)
	},
	"pct": func(n, total int64) string {
		if total <= 0 {
			return "0"
		}
		return fmt.Sprintf("%.1f", 100*float64(n)/float64(total))
	},
	"mb":         func(b int64) string { return fmt.Sprintf("%.1f", float64(b)/1e6) },
	"ingestLine": IngestLine,
	"countText":  CountText,
	"clip": func(s string, n int) string {
		return shorten(strings.TrimRight(strings.ReplaceAll(s, "\r", ""), "\n"), n)
	},
}).Parse(htmlTemplate))

// maxFileRows bounds the list of every file (a big bundle has thousands of hourly blobs).
const maxFileRows = 1000

// HTMLOptions control the HTML report.
type HTMLOptions struct {
	Version string // kudulens version, shown in the footer
}

// problem is a failing check placed in time: when the problem began (the first matching
// line, or the last good heartbeat for "at least one per" rules) and its last sign.
type problem struct {
	klsql.Result
	Start, End time.Time
	Jobs       []string
	Absence    bool // the check fails because something stopped appearing
}

// problems returns the failing checks in the order of every report (Failing: most severe
// first, then by when each first fired), each placed in time.
func problems(r *klsql.Report) []problem {
	var out []problem
	for _, c := range Failing(r) {
		p := problem{Result: c, End: r.EvaluatedAt}
		var start *time.Time
		if c.FirstSeen != nil {
			t := *c.FirstSeen
			start = &t
		}
		jobs := map[string]bool{}
		for _, e := range c.Evidence {
			if strings.HasPrefix(e.Message, "last seen") || strings.Contains(e.Message, "never seen") {
				p.Absence = true
			}
			if !e.Timestamp.IsZero() && (start == nil || e.Timestamp.Before(*start)) {
				t := e.Timestamp
				start = &t
			}
			if e.Job != "" && !jobs[e.Job] {
				jobs[e.Job] = true
				p.Jobs = append(p.Jobs, e.Job)
			}
		}
		if start == nil {
			start = &r.EvaluatedAt
		}
		p.Start = start.UTC()
		if c.LastSeen != nil {
			p.End = c.LastSeen.UTC()
		}
		if p.Absence { // absent until the capture
			p.End = r.EvaluatedAt
		}
		if p.End.Before(p.Start) {
			p.End = p.Start
		}
		sort.Strings(p.Jobs)
		out = append(out, p)
	}
	return out
}

// FocusStart is where the report's detailed timelines begin: a little before the earliest
// error or warning of the failing checks (zero when none failed: the last 48 hours).
func FocusStart(r *klsql.Report) time.Time {
	var first time.Time
	for _, p := range problems(r) {
		if p.Severity == klsql.SeverityInfo {
			continue
		}
		if first.IsZero() || p.Start.Before(first) {
			first = p.Start
		}
	}
	if first.IsZero() {
		return time.Time{}
	}
	span := r.EvaluatedAt.Sub(first)
	margin := max(span/8, 2*time.Hour)
	if span+margin < 12*time.Hour {
		margin = 12*time.Hour - span
	}
	return first.Add(-margin)
}

func (p problem) appliesTo(job string) bool {
	if len(p.Jobs) == 0 {
		return true
	}
	for _, j := range p.Jobs {
		if j == job {
			return true
		}
	}
	return false
}

type problemView struct {
	problem
	StartText, EndText, Ago, Lead string
	Quote                         string // the first evidence line, for checks that match lines
}

type jobView struct {
	klsql.JobHealth
	Chart        *chart
	Problems     int
	SectionChart *chart
	Legend       []legendItem
}

type checkView struct {
	problemView
	Evidence []evidenceView
}

type evidenceView struct {
	Time, Job, Loc, Message string
}

type kindRow struct {
	Kind                                                           string
	Files, Lines, Parsed, Rejected, Merged, Traces, Exc, Ev, Bytes int64
}

type htmlView struct {
	Site, Sources, Version, Generated string
	Verdict                           string
	OK, NoData, NotEnough             bool
	Errors, Warnings, Infos, Total    int
	EvaluatedAt, SpanStart, SpanEnd   string
	Since                             string
	InputProblems                     []string
	FirstStart, FirstAgo, FirstID     string
	Problems                          []problemView
	Gantt, Overview, Cycles           *chart
	CycleLegend                       []legendItem
	FocusStart, FocusEnd, FocusStep   string
	OverviewStep                      string
	Jobs                              []jobView
	Failing                           []checkView
	Notes, Unknown, Skipped, Passed   []klsql.Result
	Exceptions                        []klsql.ExceptionType
	MaxExc                            int64
	Config                            []klsql.ConfigBlock
	Ingest                            klsql.Totals
	Kinds                             []kindRow
	Files                             []klsql.FileAccount
	MoreFiles                         int
	AllFiles                          int // every files row: logs, archives, skipped files
	BadFiles                          []klsql.FileAccount
	Rejects                           []klsql.RejectReason
	CSS                               template.CSS
	JS                                template.JS
	CSP                               string
}

// HTML writes the report as one self-contained HTML page. in holds the data of its pictures
// (sql.ComputeInsights, best with FocusStart(r)); without it the page has no charts.
func HTML(w io.Writer, r *klsql.Report, in *klsql.Insights, o HTMLOptions) error {
	if in == nil {
		in = &klsql.Insights{Start: r.EvaluatedAt.Add(-time.Hour), End: r.EvaluatedAt}
	}
	at := r.EvaluatedAt
	v := htmlView{
		Site: in.Site, Sources: strings.Join(in.Sources, ", "), Version: o.Version,
		Verdict: Verdict(r), Total: len(r.Checks), EvaluatedAt: ts(at), SpanStart: ts(in.Start), SpanEnd: ts(in.End),
		Ingest: r.Ingest, Notes: Notes(r), Unknown: byStatus(r, klsql.StatusUnknown), Skipped: byStatus(r, klsql.StatusSkipped),
		Passed: byStatus(r, klsql.StatusPass), Exceptions: in.ExceptionTypes, Config: in.Config, Rejects: in.RejectReasons,
		CSS: template.CSS(htmlCSS), JS: template.JS(htmlJS),
	}
	sum := sha256.Sum256([]byte(htmlJS))
	v.CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-" +
		base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'"
	if r.Since != nil {
		v.Since = ts(*r.Since)
	}
	for _, in := range r.InputProblems {
		v.InputProblems = append(v.InputProblems, inputProblemText(in))
	}
	ps := problems(r)
	v.OK = len(ps) == 0
	v.NoData = r.Ingest.Lines == 0
	_, v.NotEnough = NotEnoughLogs(r)
	for _, p := range ps {
		switch p.Severity {
		case klsql.SeverityError:
			v.Errors++
		case klsql.SeverityWarning:
			v.Warnings++
		default:
			v.Infos++
		}
	}
	views := make([]problemView, len(ps))
	for i, p := range ps {
		views[i] = viewProblem(p, at)
	}
	// The order of every report: most severe first, then by first firing. "Failing since" is
	// when the first failure fired (not the last good sign of a check about something that
	// stopped, which is when the bar of the timeline begins).
	v.Problems = views
	if first := FirstFailure(r); first != nil {
		v.FirstStart, v.FirstAgo, v.FirstID = ts(*first.FirstSeen), ago(at.Sub(*first.FirstSeen)), first.ID
	}
	// Charts.
	var chartPs []problem
	for _, p := range ps {
		if p.Severity != klsql.SeverityInfo {
			chartPs = append(chartPs, p)
		}
	}
	if len(in.Focus.Jobs) > 0 || !in.Focus.Start.IsZero() {
		v.FocusStart, v.FocusEnd, v.FocusStep = ts(in.Focus.Start), ts(in.Focus.End), klsql.FormatDuration(in.Focus.Step)
		v.OverviewStep = klsql.FormatDuration(in.Overview.Step)
		if len(ps) > 0 {
			v.Gantt = problemChart(ps, in.Focus, at)
		}
		// the whole span, when the detailed window is only part of it
		if len(in.Overview.Jobs) > 0 && in.Focus.Start.After(in.Start.Add(in.Focus.Step)) {
			v.Overview = overviewChart(in.Overview, in.Focus, chartPs, at)
		}
		var cyc *chart
		cyc, v.CycleLegend = durationChart(in.Cycles, func(p klsql.DurationPoint) string { return p.Job }, "job", in.Focus, at,
			"Import cycle durations over time")
		if len(v.CycleLegend) > 0 {
			v.Cycles = cyc
		}
	}
	health := map[string]klsql.JobHealth{}
	for _, j := range r.Jobs {
		health[j.Job] = j
	}
	for n, ja := range in.Focus.Jobs {
		jv := jobView{JobHealth: health[ja.Job]}
		jps := jobProblems(chartPs, ja.Job)
		jv.Problems = len(jps)
		var unc []klsql.Interval
		if r.Coverage != nil {
			unc = complement(klsql.Interval{Start: in.Focus.Start, End: at}, r.Coverage.For([]string{ja.Job}))
		}
		jv.Chart = activityChart(n, ja, in.Focus, jps, unc, at)
		var sections []klsql.DurationPoint
		for _, p := range in.Sections {
			if p.Job == ja.Job {
				sections = append(sections, p)
			}
		}
		if len(sections) > 0 {
			jv.SectionChart, jv.Legend = durationChart(sections, func(p klsql.DurationPoint) string { return p.Section }, "section", in.Focus, at,
				ja.Job+": import section durations over time")
			if len(jv.Legend) == 0 {
				jv.SectionChart = nil
			}
		}
		v.Jobs = append(v.Jobs, jv)
	}
	if len(v.Jobs) == 0 {
		for _, j := range r.Jobs {
			v.Jobs = append(v.Jobs, jobView{JobHealth: j})
		}
	}
	// Failing checks in detail: most severe first, then by start.
	for _, p := range v.Problems {
		cv := checkView{problemView: p}
		for _, e := range p.Evidence {
			ev := evidenceView{Job: e.Job, Loc: location(e), Message: shorten(strings.TrimRight(e.Message, "\r\n"), 4000)}
			if !e.Timestamp.IsZero() {
				ev.Time = ts(e.Timestamp)
			}
			cv.Evidence = append(cv.Evidence, ev)
		}
		v.Failing = append(v.Failing, cv)
	}
	for _, e := range in.ExceptionTypes {
		v.MaxExc = max(v.MaxExc, e.Count)
	}
	// Ingest accounting.
	kinds := map[string]*kindRow{}
	for _, f := range in.Files {
		if f.Status != "ok" {
			v.BadFiles = append(v.BadFiles, f)
		}
		if f.Kind == "zip" || f.Kind == "tar" || f.Status == "skipped" {
			continue // not log files: the table adds up to the sentence above it (IngestLine)
		}
		k := kinds[f.Kind]
		if k == nil {
			k = &kindRow{Kind: f.Kind}
			kinds[f.Kind] = k
		}
		k.Files++
		k.Lines += f.Lines
		k.Parsed += f.Parsed
		k.Rejected += f.Rejected
		k.Merged += f.Merged
		k.Traces += f.Traces
		k.Exc += f.Exceptions
		k.Ev += f.Evts
		k.Bytes += f.Bytes
	}
	for _, k := range kinds {
		v.Kinds = append(v.Kinds, *k)
	}
	sort.Slice(v.Kinds, func(i, j int) bool { return v.Kinds[i].Kind < v.Kinds[j].Kind })
	v.Files, v.AllFiles = in.Files, len(in.Files)
	if len(v.Files) > maxFileRows { // the failed and skipped ones come first and are listed above too
		v.MoreFiles = len(v.Files) - maxFileRows
		v.Files = v.Files[:maxFileRows]
	}
	return htmlTmpl.Execute(w, &v)
}

func viewProblem(p problem, at time.Time) problemView {
	v := problemView{problem: p, StartText: ts(p.Start), EndText: ts(p.End), Ago: ago(at.Sub(p.Start)) + " before capture"}
	switch {
	case p.Absence:
		v.Lead = "none since"
	case at.Sub(p.Start) < time.Minute && !p.Absence:
		v.Lead, v.Ago = "at", "the evaluation time"
	default:
		v.Lead = "since"
	}
	if d := p.End.Sub(p.Start); d >= time.Minute && !p.Absence {
		v.Ago += ", for " + ago(d)
	}
	if !p.Absence && len(p.Evidence) > 0 {
		first, _, _ := strings.Cut(strings.TrimSpace(p.Evidence[0].Message), "\n")
		v.Quote = shorten(strings.TrimSpace(first), 150)
	}
	return v
}

// ago writes a duration for people: 45 min, 31.6 h, 4.2 days.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.0f s", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%.0f min", d.Minutes())
	case d < 72*time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	}
	return fmt.Sprintf("%.1f days", d.Hours()/24)
}

// complement returns the parts of span that ivs (sorted, disjoint) do not cover.
func complement(span klsql.Interval, ivs []klsql.Interval) []klsql.Interval {
	var out []klsql.Interval
	cur := span.Start
	for _, iv := range ivs {
		if !iv.End.After(cur) {
			continue
		}
		if iv.Start.After(span.End) {
			break
		}
		if iv.Start.After(cur) {
			out = append(out, klsql.Interval{Start: cur, End: iv.Start})
		}
		cur = iv.End
	}
	if cur.Before(span.End) {
		out = append(out, klsql.Interval{Start: cur, End: span.End})
	}
	return out
}
