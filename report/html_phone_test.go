package report

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	klsql "github.com/kudulens/kudulens/sql"
)

// chartsReport is a report with something in every chart: two jobs, failing checks (one
// that began before the detailed window, one a moment), restarts and exceptions, and more
// import runs than a phone's chart draws.
func chartsReport() (*klsql.Report, *klsql.Insights) {
	at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	focus := at.Add(-24 * time.Hour)
	early, mid := focus.Add(-6*time.Hour), at.Add(-5*time.Hour)
	r := &klsql.Report{EvaluatedAt: at, Ingest: klsql.Totals{Files: 2, Lines: 5000}, Checks: []klsql.Result{
		{ID: "aad-client-secret-invalid", Title: "Azure AD app client secret is invalid or expired", Severity: klsql.SeverityError,
			Status: klsql.StatusFail, Count: 6, FirstSeen: &early, LastSeen: &mid,
			Evidence: []klsql.Evidence{{Timestamp: early, Job: "Office365ActivityImporter", Message: "AADSTS7000215"}}},
		{ID: "sql-database-read-only", Title: "SQL database is read-only", Severity: klsql.SeverityWarning,
			Status: klsql.StatusFail, Count: 3, FirstSeen: &mid, LastSeen: &mid,
			Evidence: []klsql.Evidence{{Timestamp: mid, Job: "AppInsightsImporter", Message: "read-only"}}},
	}}
	in := &klsql.Insights{Start: at.Add(-30 * 24 * time.Hour), End: at,
		Focus:    klsql.Timeline{Start: focus, End: at, Step: 30 * time.Minute},
		Overview: klsql.Timeline{Start: at.Add(-30 * 24 * time.Hour), End: at, Step: 24 * time.Hour},
	}
	for j, job := range []string{"AppInsightsImporter", "Office365ActivityImporter"} {
		fa := klsql.JobActivity{Job: job, Buckets: make([]klsql.Bucket, 49)}
		for i := range fa.Buckets {
			fa.Buckets[i] = klsql.Bucket{Lines: int64(40 + i + 100*j), Errors: int64(i % 3 * j), Exceptions: int64(i % 5), Restarts: int64(i % 11 / 10)}
		}
		in.Focus.Jobs = append(in.Focus.Jobs, fa)
		oa := klsql.JobActivity{Job: job, Buckets: make([]klsql.Bucket, 31)}
		for i := range oa.Buckets {
			oa.Buckets[i] = klsql.Bucket{Lines: int64(1000*i + j), Errors: int64(i), Exceptions: int64(2 * i), Restarts: int64(i % 2)}
		}
		in.Overview.Jobs = append(in.Overview.Jobs, oa)
	}
	for i := 0; i < 1440; i++ { // a cycle a minute: more than the narrow chart keeps
		in.Cycles = append(in.Cycles, klsql.DurationPoint{Time: focus.Add(time.Duration(i) * time.Minute), Job: "AppInsightsImporter", Seconds: float64(5 + i%37)})
	}
	for i := 0; i < 40; i++ {
		in.Sections = append(in.Sections, klsql.DurationPoint{Time: focus.Add(time.Duration(i) * 30 * time.Minute), Job: "Office365ActivityImporter",
			Section: []string{"Audit events import", "Teams import"}[i%2], Seconds: float64(60 + 7*i)})
	}
	return r, in
}

var (
	figureRe  = regexp.MustCompile(`(?s)<figure class="chart">.*?</figure>`)
	svgRe     = regexp.MustCompile(`(?s)<svg class="chart (wide|narrow) [^"]*" viewBox="0 0 ([\d.]+) [\d.]+".*?</svg>`)
	titleRe   = regexp.MustCompile(`(?s)<title>(.*?)</title>`)
	detailsRe = regexp.MustCompile(`(?s)<details class="chartdata">(.*?)</details>`)
	rowRe     = regexp.MustCompile(`(?s)<tbody>.*?</tbody>`)
	tableRe   = regexp.MustCompile(`(?s)<table>.*?</table>`)
	thRe      = regexp.MustCompile(`(?s)<th[^>]*>(.*?)</th>`)
	tdRe      = regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`)
	countRe   = regexp.MustCompile(`\b(\d+) ([a-z]+)`)
	trRe      = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	tagRe     = regexp.MustCompile(`<[^>]*>`)
	tsRe      = regexp.MustCompile(`\d{4}-\d\d-\d\dt\d\d:\d\d:\d\dz`)
	tokenRe   = regexp.MustCompile(`\d{4}-\d\d-\d\dt\d\d:\d\d:\d\dz|\d+(\.\d+)?[a-z]*|[a-z][\w-]{2,}`)
	textRe    = regexp.MustCompile(`<text x="([-\d.]+)" y="[-\d.]+" text-anchor="(\w+)" class="([^"]*)">(?:<title>.*?</title>)?([^<]*)</text>`)
)

// plain is what a person reads of a piece of HTML: tags gone (a <wbr> joins), entities decoded.
func plain(s string) string {
	s = strings.ReplaceAll(s, "<wbr>", "")
	return strings.ToLower(html.UnescapeString(tagRe.ReplaceAllString(s, " ")))
}

func tokenSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, k := range tokenRe.FindAllString(s, -1) {
		m[k] = true
	}
	return m
}

// Every chart comes in a wide and a narrow drawing, with its numbers as text beside them: all
// that a tooltip of either drawing tells (its times, numbers and words) is in one row of
// those tables, or in their captions and headings.
func TestHTMLChartsTellTheirTooltipsAsText(t *testing.T) {
	r, in := chartsReport()
	var b bytes.Buffer
	if err := HTML(&b, r, in, HTMLOptions{Version: "test"}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	figs := figureRe.FindAllString(page, -1)
	if len(figs) != 6 {
		t.Fatalf("%d charts, want 6 (the problems, each job's activity, the whole span, the cycles, one job's sections)", len(figs))
	}
	for _, fig := range figs {
		svgs := svgRe.FindAllStringSubmatch(fig, -1)
		if len(svgs) != 2 || svgs[0][1] != "wide" || svgs[1][1] != "narrow" || svgs[0][2] != "960" || svgs[1][2] != "360" {
			t.Errorf("want a wide (960) and a narrow (360) drawing, got %d drawings in %.300s", len(svgs), fig)
			continue
		}
		d := detailsRe.FindStringSubmatch(fig)
		if d == nil {
			t.Errorf("no numbers with chart %.200s", svgs[0][0])
			continue
		}
		context := tokenSet(plain(tableRe.ReplaceAllString(d[1], ""))) // summary, captions
		type row struct {
			cells  map[string]string // heading → text
			tokens map[string]bool
		}
		var rows []row
		for _, tb := range tableRe.FindAllString(d[1], -1) {
			var head []string
			for _, th := range thRe.FindAllStringSubmatch(tb, -1) {
				head = append(head, strings.TrimSpace(plain(th[1])))
				for k := range tokenSet(plain(th[1])) {
					context[k] = true
				}
			}
			for _, tr := range trRe.FindAllStringSubmatch(rowRe.FindString(tb), -1) {
				r := row{cells: map[string]string{}, tokens: tokenSet(plain(tr[1]))}
				for i, td := range tdRe.FindAllStringSubmatch(tr[1], -1) {
					if i < len(head) {
						r.cells[head[i]] = strings.TrimSpace(plain(td[1]))
					}
				}
				rows = append(rows, r)
			}
		}
		titles := 0
		for _, s := range svgs {
			for _, ti := range titleRe.FindAllStringSubmatch(s[0], -1) {
				titles++
				text := strings.ToLower(html.UnescapeString(ti[1]))
				first := tsRe.FindString(text)
				told := false
				for _, r := range rows {
					if first != "" && !r.tokens[first] {
						continue
					}
					told = true
					for _, k := range tokenRe.FindAllString(text, -1) {
						if !r.tokens[k] && !context[k] {
							told = false
						}
					}
					// "3 restarts": the number is the one in the restarts column
					for _, m := range countRe.FindAllStringSubmatch(text, -1) {
						if v, ok := r.cells[m[2]]; ok && v != m[1] {
							told = false
						}
					}
					if told {
						break
					}
				}
				if !told {
					t.Errorf("tooltip %q of a %s chart is not told in its numbers", ti[1], s[1])
				}
			}
		}
		if titles == 0 || len(rows) == 0 {
			t.Errorf("%d tooltips, %d rows of numbers in %.200s", titles, len(rows), svgs[0][0])
		}
	}
	// The phone's charts show their numbers as text only (no one hovers on a phone): their
	// marks carry no tooltips, and their dots are thinned to what 360 units can show.
	for _, s := range svgRe.FindAllStringSubmatch(page, -1) {
		marks := strings.Contains(s[0], "</title></rect>") || strings.Contains(s[0], "</title></circle>") || strings.Contains(s[0], "</title></path>")
		if s[1] == "narrow" && marks {
			t.Errorf("a narrow chart has tooltips on its marks: %.200s", s[0])
		}
	}
	cyc := svgRe.FindAllStringSubmatch(figs[4], -1)
	if nw, nn := strings.Count(cyc[0][0], "<circle"), strings.Count(cyc[1][0], "<circle"); nw != 1440 || nn > 700 || nn < 100 {
		t.Errorf("cycle dots: %d wide (want all 1440), %d narrow (want the extremes of each column, a few hundred)", nw, nn)
	}
	if rows := strings.Count(detailsRe.FindString(figs[4]), "<tr>") - 1; rows != 1440 {
		t.Errorf("the cycles' numbers have %d rows, want one per run (1440)", rows)
	}
}

// A narrow chart keeps its labels inside its 360 units, so nothing is cut off at a phone's
// edge: each label's extent, estimated at 0.62 em a character (wider than the average of the
// system sans fonts), lies in the chart.
func TestHTMLNarrowChartLabelsInside(t *testing.T) {
	r, in := chartsReport()
	var b bytes.Buffer
	if err := HTML(&b, r, in, HTMLOptions{Version: "test"}); err != nil {
		t.Fatal(err)
	}
	size := map[string]float64{"lbl": 12, "tick": 11, "scale": 11, "when": 11, "lane": 11.5, "lane err": 11.5, "winlbl": 11}
	n := 0
	for _, s := range svgRe.FindAllStringSubmatch(b.String(), -1) {
		if s[1] != "narrow" {
			continue
		}
		for _, m := range textRe.FindAllStringSubmatch(s[0], -1) {
			n++
			x, _ := strconv.ParseFloat(m[1], 64)
			fs, ok := size[m[3]]
			if !ok {
				t.Errorf("label class %q: no font size known to this test", m[3])
				continue
			}
			w := float64(len([]rune(html.UnescapeString(m[4])))) * 0.62 * fs
			lo, hi := x, x+w
			switch m[2] {
			case "end":
				lo, hi = x-w, x
			case "middle":
				lo, hi = x-w/2, x+w/2
			}
			if lo < 0 || hi > 360 {
				t.Errorf("label %q (%s at x=%s) spans %.0f…%.0f, outside 0…360", m[4], m[2], m[1], lo, hi)
			}
		}
	}
	if n < 40 {
		t.Errorf("only %d labels found in the narrow charts", n)
	}
}

func TestRowsTextAndTimeCells(t *testing.T) {
	for _, c := range []struct {
		n    int
		what string
		want string
	}{{1, "stretch", "1 stretch"}, {2, "stretch", "2 stretches"}, {0, "run", "0 runs"}, {7, "check", "7 checks"}} {
		if got := rowsText(c.n, c.what); got != c.want {
			t.Errorf("rowsText(%d, %q) = %q, want %q", c.n, c.what, got, c.want)
		}
	}
	c := timeCell(time.Date(2026, 11, 20, 9, 29, 51, 0, time.UTC))
	if got := fmt.Sprint(c.Date(), "|", c.Clock()); got != "2026-11-20|T09:29:51Z" {
		t.Errorf("time cell halves %q", got)
	}
}
