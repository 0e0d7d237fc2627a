package report

import (
	"fmt"
	"html/template"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	klsql "github.com/kudulens/kudulens/sql"
)

// Chart geometry common to both frames (SVG user units; the page scales a chart to its width).
const (
	hatchDef = `<defs><pattern id="%s" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="2.5" height="6" class="hatch"/></pattern></defs>`
	// labelLineH is the line above a row or lane that holds its label in the narrow frame.
	labelLineH = 15.0
)

// chart is one picture of the report: drawn wide and narrow (the stylesheet shows one), and
// the numbers its tooltips tell, as text for people who cannot hover (a phone, a keyboard).
type chart struct {
	Wide, Narrow template.HTML
	Data         chartData
}

// chartData is what the template writes under a chart in a collapsed <details>.
type chartData struct {
	Summary string
	Tables  []dataTable
}

type dataTable struct {
	Caption string
	Head    []dataCell
	Rows    [][]dataCell
}

// dataCell is a cell of a data table: N marks numbers (right-aligned), W text that may wrap
// (on a wide screen the rest keeps to one line; no class on them keeps big tables small), T a
// time, which a phone may break after its date. Sub is a second, muted line.
type dataCell struct {
	Text, Sub string
	N, W, T   bool
}

// Date and Clock are a time cell's two halves, "2026-11-20" and "T09:29:51Z".
func (c dataCell) Date() string {
	d, _, _ := strings.Cut(c.Text, "T")
	return d
}

func (c dataCell) Clock() string {
	if i := strings.IndexByte(c.Text, 'T'); i >= 0 {
		return c.Text[i:]
	}
	return ""
}

func textCell(s string) dataCell       { return dataCell{Text: s} }
func timeCell(t time.Time) dataCell    { return dataCell{Text: ts2(t), T: true} }
func checkCell(p problem) dataCell     { return dataCell{Text: p.ID, Sub: p.Title, W: true} }
func countCell(n int64) dataCell       { return dataCell{Text: strconv.FormatInt(n, 10), N: true} }
func numHead(s string) dataCell        { return dataCell{Text: s, N: true} }
func heads(names ...string) []dataCell { return textCells(names...) }
func textCells(ss ...string) []dataCell {
	out := make([]dataCell, len(ss))
	for i, s := range ss {
		out[i] = textCell(s)
	}
	return out
}

// rowsText counts rows for a summary: "1 check", "12 checks", "2 stretches".
func rowsText(n int, what string) string {
	switch {
	case n == 1:
		return "1 " + what
	case strings.HasSuffix(what, "ch"):
		return strconv.Itoa(n) + " " + what + "es"
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// problemChart is the "what broke when" strip: one bar per failing check from when the
// problem began to its last sign (or the capture), over the focus window.
func problemChart(all []problem, tl klsql.Timeline, at time.Time) *chart {
	var ps []problem
	for _, p := range all {
		if !p.End.Before(tl.Start) {
			ps = append(ps, p)
		}
	}
	c := &chart{Wide: drawProblems(wideFrame, ps, tl, at), Narrow: drawProblems(narrowFrame, ps, tl, at)}
	t := dataTable{Head: heads("check", "severity", "from", "to (last sign, or the capture)")}
	for _, p := range ps {
		from := timeCell(p.Start)
		if p.Start.Before(tl.Start) {
			from.Sub = "(began before this window)"
		}
		t.Rows = append(t.Rows, []dataCell{checkCell(p), textCell(string(p.Severity)), from, timeCell(p.End)})
	}
	c.Data = chartData{Summary: "The numbers: " + rowsText(len(ps), "failing check"), Tables: []dataTable{t}}
	return c
}

func drawProblems(f frame, ps []problem, tl klsql.Timeline, at time.Time) template.HTML {
	const top = 8.0
	rowH, barTop := 24.0, 0.0 // barTop: where a row's bar begins below its top (after the label line)
	if f.labelsAbove {
		rowH, barTop = 24.0+labelLineH, labelLineH
	}
	h := top + rowH*float64(len(ps)) + f.axisHeight() + 4
	ts := timeScale{tl.Start, tl.End, f.x0, f.x1}
	s := newSVG(f, h, "gantt", "When each failing check was failing")
	bottom := top + rowH*float64(len(ps))
	s.axis(f, ts, top, bottom, 9)
	for i, p := range ps {
		y := top + rowH*float64(i)
		if i%2 == 1 {
			s.rect(0, y, f.w, rowH, "band", "")
		}
		if f.labelsAbove {
			s.textTitled(f.x0, y+12, "start", "lbl", shorten(p.ID, 28), p.ID+": "+p.Title)
		} else {
			s.textTitled(f.x0-8, y+rowH/2+4, "end", "lbl", shorten(p.ID, 26), p.ID+": "+p.Title)
		}
		yb := y + barTop   // the bar's row
		mid := yb + 24.0/2 // its middle
		x0, x1 := ts.x(p.Start), ts.x(p.End)
		title := fmt.Sprintf("%s (%s): %s → %s", p.Title, p.Severity, ts2(p.Start), ts2(p.End))
		if p.Start.Before(tl.Start) {
			title += fmt.Sprintf(" (began before this window, %s)", ts2(p.Start))
		}
		if x1-x0 < 3 {
			// a moment: a diamond
			cx, cy := x0, mid
			s.path(fmt.Sprintf("M%s %sL%s %sL%s %sL%s %sZ", num(cx), num(cy-6), num(cx+6), num(cy), num(cx), num(cy+6), num(cx-6), num(cy)),
				"win sev-"+string(p.Severity), title)
		} else {
			s.rect(x0, yb+5, x1-x0, 24-10, "win sev-"+string(p.Severity), title)
			if p.Start.Before(tl.Start) { // arrow: it began earlier
				s.path(fmt.Sprintf("M%s %sL%s %sL%s %sZ", num(f.x0-1), num(mid), num(f.x0+6), num(yb+5), num(f.x0+6), num(yb+24-5)),
					"win sev-"+string(p.Severity), title)
			}
		}
		// the start time: on the label line (narrow), else beside the bar where there is room
		lbl := p.Start.Format("Jan 2 15:04")
		switch {
		case f.labelsAbove && p.Start.Before(tl.Start): // clear of the capture line at the right edge
			s.text(f.x1-6, y+12, "end", "when", "since "+lbl)
		case f.labelsAbove:
			s.text(f.x1-6, y+12, "end", "when", "from "+lbl)
		case x0 > f.x0+80:
			s.text(x0-9, mid+4, "end", "when", lbl)
		case x1 < f.x1-80:
			s.text(x1+5, mid+4, "start", "when", "from "+lbl)
		default:
			s.text(x0+6, mid+4, "start", "when inbar", "since "+lbl)
		}
	}
	capture(s, ts, at, top-6, bottom)
	return s.done()
}

// errorWindows is the union of the error checks' windows.
func errorWindows(ps []problem) []klsql.Interval {
	var ivs []klsql.Interval
	for _, p := range ps {
		if p.Severity == klsql.SeverityError {
			ivs = append(ivs, klsql.Interval{Start: p.Start, End: p.End})
		}
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].Start.Before(ivs[j].Start) })
	var out []klsql.Interval
	for _, iv := range ivs {
		if n := len(out); n > 0 && !iv.Start.After(out[n-1].End) {
			if iv.End.After(out[n-1].End) {
				out[n-1].End = iv.End
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

func capture(s *svg, ts timeScale, at time.Time, y0, y1 float64) {
	x := ts.x(at)
	s.line(x, y0, x, y1, "capture")
}

// activityChart draws one job's log volume, errors, exceptions and restarts over tl, with the
// failing windows of its checks on top and the stretches no log covers hatched. n numbers the
// chart in the page (its hatch pattern's id must be the page's only one of that name).
func activityChart(n int, ja klsql.JobActivity, tl klsql.Timeline, ps []problem, uncovered []klsql.Interval, at time.Time) *chart {
	c := &chart{Wide: drawActivity(wideFrame, n, ja, tl, ps, uncovered, at), Narrow: drawActivity(narrowFrame, n, ja, tl, ps, uncovered, at)}
	step := klsql.FormatDuration(tl.Step)
	buckets := dataTable{Caption: "Per " + step + " from the time shown, each stretch with a line or a restart:",
		Head: []dataCell{textCell("from"), numHead("lines"), numHead("errors"), numHead("exceptions"), numHead("restarts")}}
	for i, b := range ja.Buckets {
		t := tl.Start.Add(time.Duration(i) * tl.Step)
		if !t.Before(tl.End) {
			break // past the chart's right edge: not drawn
		}
		if b.Lines > 0 || b.Errors > 0 || b.Exceptions > 0 || b.Restarts > 0 {
			buckets.Rows = append(buckets.Rows, []dataCell{timeCell(t), countCell(b.Lines), countCell(b.Errors), countCell(b.Exceptions), countCell(b.Restarts)})
		}
	}
	c.Data.Summary = "The numbers: " + rowsText(len(buckets.Rows), "stretch") + " with log lines"
	if len(ps) > 0 {
		t := dataTable{Caption: "Failing checks of this job:", Head: heads("check", "from", "to")}
		for _, p := range ps {
			t.Rows = append(t.Rows, []dataCell{checkCell(p), timeCell(p.Start), timeCell(p.End)})
		}
		c.Data.Tables = append(c.Data.Tables, t)
		c.Data.Summary += ", " + rowsText(len(ps), "failing check")
	}
	var unc []klsql.Interval
	for _, iv := range uncovered {
		if iv.End.After(iv.Start) {
			unc = append(unc, iv)
		}
	}
	if len(unc) > 0 {
		t := dataTable{Caption: "Where no log covers this job (console capped, no application log):", Head: heads("from", "to")}
		for _, iv := range unc {
			t.Rows = append(t.Rows, []dataCell{timeCell(iv.Start), timeCell(iv.End)})
		}
		c.Data.Tables = append(c.Data.Tables, t)
		c.Data.Summary += ", " + rowsText(len(unc), "stretch") + " no log covers"
	}
	c.Data.Tables = append(c.Data.Tables, buckets)
	return c
}

func drawActivity(f frame, n int, ja klsql.JobActivity, tl klsql.Timeline, ps []problem, uncovered []klsql.Interval, at time.Time) template.HTML {
	const volH, excH, rstH, gap = 92.0, 34.0, 16.0, 8.0
	winRowH, laneLbl := 9.0, 0.0 // a failing window's row; the label line above a lane
	if f.labelsAbove {
		winRowH, laneLbl = 22.0, labelLineH
	}
	winH := winRowH*float64(len(ps)) + 4
	if len(ps) == 0 {
		winH = 0
	}
	top := 6.0
	yWin := top
	yVol := yWin + winH + laneLbl
	yExc := yVol + volH + gap + laneLbl
	yRst := yExc + excH + gap + laneLbl
	bottom := yRst + rstH
	h := bottom + f.axisHeight() + 2
	ts := timeScale{tl.Start, tl.End, f.x0, f.x1}
	hatch := fmt.Sprintf("hatch-%s-%d", f.variant, n)
	s := newSVG(f, h, "activity", ja.Job+": log lines, errors, exceptions and restarts over time")
	fmt.Fprintf(&s.b, hatchDef, hatch)

	// Stretches no log covers: nothing can be seen there, which is not the same as quiet.
	for _, iv := range uncovered {
		x0, x1 := ts.x(iv.Start), ts.x(iv.End)
		if x1-x0 < 1 {
			continue
		}
		fmt.Fprintf(&s.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="url(#%s)" class="nocover">`,
			num(x0), num(yVol), num(x1-x0), num(bottom-yVol), hatch)
		if s.tips {
			fmt.Fprintf(&s.b, `<title>%s</title>`, esc(fmt.Sprintf("no log covers %s → %s (console capped, no application log)", ts2(iv.Start), ts2(iv.End))))
		}
		s.b.WriteString(`</rect>`)
	}
	s.axis(f, ts, yVol, bottom, 9)

	// Failing windows, one thin row per check (narrow: its label on the row, above the bar).
	for i, p := range ps {
		y := yWin + winRowH*float64(i)
		yb := y
		if f.labelsAbove {
			s.textTitled(f.x0, y+11, "start", "winlbl", shorten(p.ID, 44), p.Title)
			yb = y + 13
		} else {
			s.textTitled(f.x0-8, y+winRowH-1.5, "end", "winlbl", shorten(p.ID, 30), p.Title)
		}
		x0, x1 := ts.x(p.Start), ts.x(p.End)
		s.rect(x0, yb+1, math.Max(x1-x0, 3), 9-3, "win sev-"+string(p.Severity),
			fmt.Sprintf("%s: %s → %s", p.ID, ts2(p.Start), ts2(p.End)))
	}
	// a light band over the plot where an error check was failing
	for _, iv := range errorWindows(ps) {
		x0, x1 := ts.x(iv.Start), ts.x(iv.End)
		s.rect(x0, yVol, math.Max(x1-x0, 2), bottom-yVol, "failband", "")
	}

	nb := len(ja.Buckets)
	bw := (f.x1 - f.x0) / math.Max(1, float64(tl.End.Sub(tl.Start))/float64(tl.Step))
	var maxLines, maxExc float64
	for _, b := range ja.Buckets {
		maxLines = math.Max(maxLines, float64(b.Lines))
		maxExc = math.Max(maxExc, float64(b.Exceptions))
	}
	mL, mE := niceMax(maxLines), niceMax(maxExc)
	step := klsql.FormatDuration(tl.Step)
	// lane labels: left of the lanes, or on a line above each
	if f.labelsAbove {
		s.text(f.x0, yVol-4, "start", "lane", "log lines / "+step)
		s.text(f.x1, yVol-4, "end", "lane err", "■ errors")
		s.text(f.x0, yExc-4, "start", "lane", "exceptions")
		s.text(f.x0, yRst-4, "start", "lane", "restarts")
	} else {
		s.text(f.x0-8, yVol+12, "end", "lane", "log lines / "+step)
		s.text(f.x0-8, yVol+26, "end", "lane err", "■ errors")
		s.text(f.x0-8, yExc+12, "end", "lane", "exceptions")
		s.text(f.x0-8, yRst+12, "end", "lane", "restarts")
	}
	s.text(f.x0+3, yVol+10, "start", "scale", fmtCount(mL))
	s.text(f.x0+3, yExc+10, "start", "scale", fmtCount(mE))
	s.line(f.x0, yExc+excH, f.x1, yExc+excH, "lanebase")
	s.line(f.x0, yVol+volH, f.x1, yVol+volH, "lanebase")
	s.open("g", "bars")
	for i := 0; i < nb; i++ {
		b := ja.Buckets[i]
		t := tl.Start.Add(time.Duration(i) * tl.Step)
		x := ts.x(t)
		if x >= f.x1 {
			break
		}
		w := math.Min(math.Max(bw-0.8, 0.8), f.x1-x)
		when := ts2(t) + " +" + step
		if b.Lines > 0 {
			hl := math.Max(1, float64(b.Lines)/mL*volH)
			s.rect(x, yVol+volH-hl, w, hl, "vol", fmt.Sprintf("%s: %d lines, %d errors", when, b.Lines, b.Errors))
		}
		if b.Errors > 0 {
			he := math.Max(1.5, float64(b.Errors)/mL*volH)
			s.rect(x, yVol+volH-he, w, he, "err", fmt.Sprintf("%s: %d errors", when, b.Errors))
		}
		if b.Exceptions > 0 {
			hx := math.Max(2, float64(b.Exceptions)/mE*excH)
			s.rect(x, yExc+excH-hx, w, hx, "exc", fmt.Sprintf("%s: %d exceptions", when, b.Exceptions))
		}
		if b.Restarts > 0 {
			s.rect(x, yRst+1, math.Max(w, 2), rstH-2, "rst", fmt.Sprintf("%s: %d restarts", when, b.Restarts))
		}
	}
	s.close("g")
	capture(s, ts, at, yVol-2, bottom)
	return s.done()
}

// overviewChart draws every job's daily (or coarser) volume over the whole span, one row per
// job, with the focus window bracketed.
func overviewChart(tl klsql.Timeline, focus klsql.Timeline, ps []problem, at time.Time) *chart {
	c := &chart{Wide: drawOverview(wideFrame, tl, focus, ps, at), Narrow: drawOverview(narrowFrame, tl, focus, ps, at)}
	step := klsql.FormatDuration(tl.Step)
	c.Data.Tables = append(c.Data.Tables, dataTable{Caption: "The detailed window below:", Head: heads("from", "to"),
		Rows: [][]dataCell{{timeCell(focus.Start), timeCell(focus.End)}}})
	// a table per job: a phone has no room for a column of job names
	var rows int
	for _, ja := range tl.Jobs {
		fails := dataTable{Caption: ja.Job + ": where an error check was failing:", Head: heads("from", "to")}
		for _, iv := range errorWindows(jobProblems(ps, ja.Job)) {
			fails.Rows = append(fails.Rows, []dataCell{timeCell(iv.Start), timeCell(iv.End)})
		}
		if len(fails.Rows) > 0 {
			c.Data.Tables = append(c.Data.Tables, fails)
		}
		buckets := dataTable{Caption: ja.Job + ": per " + step + " from the time shown, each stretch with a line or a restart:",
			Head: []dataCell{textCell("from"), numHead("lines"), numHead("errors"), numHead("exceptions"), numHead("restarts")}}
		for i, b := range ja.Buckets {
			t := tl.Start.Add(time.Duration(i) * tl.Step)
			if !t.Before(tl.End) {
				break // past the chart's right edge: not drawn
			}
			if b.Lines > 0 || b.Restarts > 0 {
				buckets.Rows = append(buckets.Rows, []dataCell{timeCell(t), countCell(b.Lines), countCell(b.Errors), countCell(b.Exceptions), countCell(b.Restarts)})
			}
		}
		rows += len(buckets.Rows)
		c.Data.Tables = append(c.Data.Tables, buckets)
	}
	c.Data.Summary = "The numbers: " + rowsText(rows, "stretch") + " with log lines"
	return c
}

// jobProblems returns the problems that concern job.
func jobProblems(ps []problem, job string) []problem {
	var out []problem
	for _, p := range ps {
		if p.appliesTo(job) {
			out = append(out, p)
		}
	}
	return out
}

func drawOverview(f frame, tl klsql.Timeline, focus klsql.Timeline, ps []problem, at time.Time) template.HTML {
	const barsH, top = 34.0, 6.0 // barsH: a job's bars (log scale), its red rule under them
	rowH := barsH
	if f.labelsAbove {
		rowH += labelLineH
	}
	h := top + rowH*float64(len(tl.Jobs)) + f.axisHeight() + 4
	bottom := top + rowH*float64(len(tl.Jobs))
	ts := timeScale{tl.Start, tl.End, f.x0, f.x1}
	s := newSVG(f, h, "overview", "Log lines per job over the whole span of the logs (log scale)")
	fx0, fx1 := ts.x(focus.Start), ts.x(focus.End)
	s.rect(fx0, top, math.Max(fx1-fx0, 2), bottom-top, "focus", "the detailed window below: "+ts2(focus.Start)+" → "+ts2(focus.End))
	s.axis(f, ts, top, bottom, 10)
	bw := (f.x1 - f.x0) / math.Max(1, float64(tl.End.Sub(tl.Start))/float64(tl.Step))
	step := klsql.FormatDuration(tl.Step)
	for j, ja := range tl.Jobs {
		y := top + rowH*float64(j)
		if f.labelsAbove {
			s.textTitled(f.x0, y+12, "start", "lbl", shorten(ja.Job, 44), ja.Job)
		} else {
			s.textTitled(f.x0-8, y+barsH/2+4, "end", "lbl", shorten(ja.Job, 27), ja.Job)
		}
		yBase := y + rowH - 4 // the bars stand on it
		var m float64
		for _, b := range ja.Buckets {
			m = math.Max(m, float64(b.Lines))
		}
		// log scale: days with a capped console (a few lines) and days with the full
		// application log (thousands) both show
		lg := func(v int64) float64 { return math.Log1p(float64(v)) / math.Log1p(math.Max(m, 1)) * (barsH - 8) }
		for i, b := range ja.Buckets {
			t := tl.Start.Add(time.Duration(i) * tl.Step)
			x := ts.x(t)
			if x >= f.x1 {
				break
			}
			w := math.Min(math.Max(bw-0.6, 0.8), f.x1-x)
			when := ts2(t) + " +" + step
			if b.Lines > 0 {
				hl := math.Max(1, lg(b.Lines))
				s.rect(x, yBase-hl, w, hl, "vol", fmt.Sprintf("%s: %d lines, %d errors, %d exceptions, %d restarts", when, b.Lines, b.Errors, b.Exceptions, b.Restarts))
			}
			if b.Errors > 0 {
				he := math.Max(1.5, lg(b.Errors))
				s.rect(x, yBase-he, w, he, "err", "")
			}
			if b.Restarts > 0 {
				s.rect(x, yBase-barsH+5, math.Max(w, 2), 4, "rst", fmt.Sprintf("%s: %d restarts", when, b.Restarts))
			}
		}
		s.line(f.x0, yBase, f.x1, yBase, "lanebase")
		// where an error check of this job was failing: a red rule under its row
		for _, iv := range errorWindows(jobProblems(ps, ja.Job)) {
			x0, x1 := ts.x(iv.Start), ts.x(iv.End)
			s.rect(x0, yBase+1, math.Max(x1-x0, 2), 3, "win sev-error", "an error check failing: "+ts2(iv.Start)+" → "+ts2(iv.End))
		}
	}
	capture(s, ts, at, top, bottom)
	return s.done()
}

// durationChart plots durations (seconds) over tl, one colour per series; seriesName says what
// a series is (job, section).
func durationChart(points []klsql.DurationPoint, series func(klsql.DurationPoint) string, seriesName string, tl klsql.Timeline, at time.Time, label string) (*chart, []legendItem) {
	var names []string
	seen := map[string]int{}
	var m float64
	var in []klsql.DurationPoint
	for _, p := range points {
		if p.Time.Before(tl.Start) || p.Time.After(tl.End) {
			continue
		}
		in = append(in, p)
		m = math.Max(m, p.Seconds)
		k := series(p)
		if _, ok := seen[k]; !ok {
			seen[k] = 0
			names = append(names, k)
		}
		seen[k]++
	}
	sort.Strings(names)
	colour := map[string]int{}
	for i, n := range names {
		colour[n] = i % 8
	}
	d := durationDots{in: in, series: series, colour: colour, max: m, tl: tl, at: at, label: label}
	wide, drawn := d.draw(wideFrame)
	narrow, _ := d.draw(narrowFrame) // its dots are some of the wide one's: a column's extremes
	c := &chart{Wide: wide, Narrow: narrow}
	t := dataTable{Head: []dataCell{textCell("time"), textCell(seriesName), numHead("took")}}
	if len(drawn) < len(in) {
		t.Caption = fmt.Sprintf("%d runs; where they lie too close to tell apart, the shortest and the longest of each short stretch (%d):", len(in), len(drawn))
	}
	rows := append([]klsql.DurationPoint(nil), drawn...)
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Time.Before(rows[j].Time) })
	for _, p := range rows {
		t.Rows = append(t.Rows, []dataCell{timeCell(p.Time), textCell(series(p)), {Text: secs(p.Seconds), N: true}})
	}
	c.Data = chartData{Summary: "The numbers: " + rowsText(len(rows), "run"), Tables: []dataTable{t}}
	legend := make([]legendItem, len(names))
	for i, n := range names {
		legend[i] = legendItem{Name: n, Class: fmt.Sprintf("c%d", colour[n]), Count: seen[n]}
	}
	return c, legend
}

// durationDots is what both frames of a duration chart draw.
type durationDots struct {
	in     []klsql.DurationPoint
	series func(klsql.DurationPoint) string
	colour map[string]int
	max    float64
	tl     klsql.Timeline
	at     time.Time
	label  string
}

// draw draws the chart in f and returns the points it drew.
func (d durationDots) draw(f frame) (template.HTML, []klsql.DurationPoint) {
	const plotH = 150.0
	top := 10.0
	if f.labelsAbove {
		f.x0 = 40 // room for the duration ticks
		top = 22  // and a line above the plot for "log scale"
	}
	bottom := top + plotH
	h := bottom + f.axisHeight() + 4
	ts := timeScale{d.tl.Start, d.tl.End, f.x0, f.x1}
	// A phone's chart is a third as wide: its dots overlap sooner, and fewer of them show the same.
	in := decimate(d.in, d.series, ts, 2000)
	if f.labelsAbove {
		in = decimate(d.in, d.series, ts, 600)
	}
	s := newSVG(f, h, "durations", d.label)
	s.axis(f, ts, top, bottom, 9)
	// log scale: a 5-minute cycle and a 2-second one (nothing imported) both show
	lo, hi := 0.5, math.Max(niceSeconds(d.max), 10)
	y := func(v float64) float64 {
		return bottom - (math.Log(math.Max(v, lo))-math.Log(lo))/(math.Log(hi)-math.Log(lo))*plotH
	}
	for _, tk := range []float64{1, 10, 60, 600, 3600, 6 * 3600, 86400, hi} {
		if tk <= hi && (tk == hi || hi/tk > 1.6) {
			s.line(f.x0, y(tk), f.x1, y(tk), "grid")
			s.text(f.x0-6, y(tk)+4, "end", "tick", tickSeconds(tk))
		}
	}
	s.text(f.x0-6, bottom, "end", "tick", "0")
	if f.labelsAbove {
		s.text(f.x0, top-8, "start", "tick", "log scale")
	} else {
		s.text(f.x0-40, top+8, "end", "tick", "log scale")
	}
	s.open("g", "dots")
	for _, p := range in {
		k := d.series(p)
		s.circle(ts.x(p.Time), y(p.Seconds), 2.6, fmt.Sprintf("dot c%d", d.colour[k]),
			fmt.Sprintf("%s %s: %s", ts2(p.Time), k, secs(p.Seconds)))
	}
	s.close("g")
	capture(s, ts, d.at, top, bottom)
	return s.done(), in
}

// decimate keeps, when there are more than max points, only the shortest and the longest of
// each series in each narrow column: the chart looks the same, the page stays small.
func decimate(ps []klsql.DurationPoint, series func(klsql.DurationPoint) string, ts timeScale, max int) []klsql.DurationPoint {
	if len(ps) <= max {
		return ps
	}
	type key struct {
		s string
		x int
	}
	lo, hi := map[key]int{}, map[key]int{}
	var order []key
	for i, p := range ps {
		k := key{series(p), int(ts.x(p.Time) / 3)} // 3-unit columns: a dot is 5 wide
		j, ok := lo[k]
		if !ok {
			lo[k], hi[k] = i, i
			order = append(order, k)
			continue
		}
		if p.Seconds < ps[j].Seconds {
			lo[k] = i
		}
		if p.Seconds > ps[hi[k]].Seconds {
			hi[k] = i
		}
	}
	out := make([]klsql.DurationPoint, 0, 2*len(order))
	for _, k := range order {
		out = append(out, ps[lo[k]])
		if hi[k] != lo[k] {
			out = append(out, ps[hi[k]])
		}
	}
	return out
}

// niceSeconds rounds v up to a duration a person reads easily (5s, 1m, 10m, 2h, ...).
func niceSeconds(v float64) float64 {
	for _, m := range []float64{1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 4 * 3600, 8 * 3600, 12 * 3600, 86400} {
		if v <= m {
			return m
		}
	}
	return niceMax(v/86400) * 86400
}

// tickSeconds writes an axis value: 30s, 5m, 2h, 1.5h.
func tickSeconds(v float64) string {
	switch {
	case v >= 3600:
		return strconv.FormatFloat(math.Round(v/360)/10, 'f', -1, 64) + "h"
	case v >= 60:
		return strconv.FormatFloat(math.Round(v/6)/10, 'f', -1, 64) + "m"
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + "s"
}

type legendItem struct {
	Name, Class string
	Count       int
}

// ts2 writes a time for chart tooltips: UTC with a Z.
func ts2(t time.Time) string { return klsql.FormatTime(t) }
