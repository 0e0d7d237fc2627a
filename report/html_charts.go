package report

import (
	"fmt"
	"html/template"
	"math"
	"sort"
	"strconv"
	"time"

	klsql "github.com/kudulens/kudulens/sql"
)

// Chart geometry (SVG user units; the page scales the charts to its width).
const (
	chartW   = 960.0
	plotX0   = 178.0
	plotX1   = 944.0
	axisH    = 22.0
	hatchDef = `<defs><pattern id="%s" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="2.5" height="6" class="hatch"/></pattern></defs>`
)

var chartSeq int

// problemChart is the "what broke when" strip: one bar per failing check from when the
// problem began to its last sign (or the capture), over the focus window.
func problemChart(all []problem, tl klsql.Timeline, at time.Time) template.HTML {
	const rowH, top = 24.0, 8.0
	var ps []problem
	for _, p := range all {
		if !p.End.Before(tl.Start) {
			ps = append(ps, p)
		}
	}
	h := top + rowH*float64(len(ps)) + axisH + 4
	ts := timeScale{tl.Start, tl.End, plotX0, plotX1}
	s := newSVG(chartW, h, "gantt", "When each failing check was failing")
	bottom := top + rowH*float64(len(ps))
	s.axis(ts, top, bottom, 9)
	for i, p := range ps {
		y := top + rowH*float64(i)
		if i%2 == 1 {
			s.rect(0, y, chartW, rowH, "band", "")
		}
		s.textTitled(plotX0-8, y+rowH/2+4, "end", "lbl", shorten(p.ID, 26), p.ID+": "+p.Title)
		x0, x1 := ts.x(p.Start), ts.x(p.End)
		title := fmt.Sprintf("%s (%s): %s → %s", p.Title, p.Severity, ts2(p.Start), ts2(p.End))
		if p.Start.Before(tl.Start) {
			title += fmt.Sprintf(" (began before this window, %s)", ts2(p.Start))
		}
		if x1-x0 < 3 {
			// a moment: a diamond
			cx, cy := x0, y+rowH/2
			s.path(fmt.Sprintf("M%s %sL%s %sL%s %sL%s %sZ", num(cx), num(cy-6), num(cx+6), num(cy), num(cx), num(cy+6), num(cx-6), num(cy)),
				"win sev-"+string(p.Severity), title)
		} else {
			s.rect(x0, y+5, x1-x0, rowH-10, "win sev-"+string(p.Severity), title)
			if p.Start.Before(tl.Start) { // arrow: it began earlier
				s.path(fmt.Sprintf("M%s %sL%s %sL%s %sZ", num(plotX0-1), num(y+rowH/2), num(plotX0+6), num(y+5), num(plotX0+6), num(y+rowH-5)),
					"win sev-"+string(p.Severity), title)
			}
		}
		// the start time, beside the bar where there is room
		lbl := p.Start.Format("Jan 2 15:04")
		if x0 > plotX0+80 {
			s.text(x0-9, y+rowH/2+4, "end", "when", lbl)
		} else if x1 < plotX1-80 {
			s.text(x1+5, y+rowH/2+4, "start", "when", "from "+lbl)
		} else {
			s.text(x0+6, y+rowH/2+4, "start", "when inbar", "since "+lbl)
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
// failing windows of its checks on top and the stretches no log covers hatched.
func activityChart(ja klsql.JobActivity, tl klsql.Timeline, ps []problem, uncovered []klsql.Interval, at time.Time) template.HTML {
	const winRowH, volH, excH, rstH, gap = 9.0, 92.0, 34.0, 16.0, 8.0
	winH := winRowH*float64(len(ps)) + 4
	if len(ps) == 0 {
		winH = 0
	}
	top := 6.0
	yWin := top
	yVol := yWin + winH
	yExc := yVol + volH + gap
	yRst := yExc + excH + gap
	bottom := yRst + rstH
	h := bottom + axisH + 2
	ts := timeScale{tl.Start, tl.End, plotX0, plotX1}
	chartSeq++
	hatch := fmt.Sprintf("hatch%d", chartSeq)
	s := newSVG(chartW, h, "activity", ja.Job+": log lines, errors, exceptions and restarts over time")
	fmt.Fprintf(&s.b, hatchDef, hatch)

	// Stretches no log covers: nothing can be seen there, which is not the same as quiet.
	for _, iv := range uncovered {
		x0, x1 := ts.x(iv.Start), ts.x(iv.End)
		if x1-x0 >= 1 {
			fmt.Fprintf(&s.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="url(#%s)" class="nocover"><title>%s</title></rect>`,
				num(x0), num(yVol), num(x1-x0), num(bottom-yVol), hatch,
				esc(fmt.Sprintf("no log covers %s → %s (console capped, no application log)", ts2(iv.Start), ts2(iv.End))))
		}
	}
	s.axis(ts, yVol, bottom, 9)

	// Failing windows, one thin row per check.
	for i, p := range ps {
		y := yWin + winRowH*float64(i)
		x0, x1 := ts.x(p.Start), ts.x(p.End)
		s.rect(x0, y+1, math.Max(x1-x0, 3), winRowH-3, "win sev-"+string(p.Severity),
			fmt.Sprintf("%s: %s → %s", p.ID, ts2(p.Start), ts2(p.End)))
		s.textTitled(plotX0-8, y+winRowH-1.5, "end", "winlbl", shorten(p.ID, 30), p.Title)
	}
	// a light band over the plot where an error check was failing
	for _, iv := range errorWindows(ps) {
		x0, x1 := ts.x(iv.Start), ts.x(iv.End)
		s.rect(x0, yVol, math.Max(x1-x0, 2), bottom-yVol, "failband", "")
	}

	n := len(ja.Buckets)
	bw := (plotX1 - plotX0) / math.Max(1, float64(tl.End.Sub(tl.Start))/float64(tl.Step))
	var maxLines, maxExc float64
	for _, b := range ja.Buckets {
		maxLines = math.Max(maxLines, float64(b.Lines))
		maxExc = math.Max(maxExc, float64(b.Exceptions))
	}
	mL, mE := niceMax(maxLines), niceMax(maxExc)
	step := klsql.FormatDuration(tl.Step)
	// lane labels
	s.text(plotX0-8, yVol+12, "end", "lane", "log lines / "+step)
	s.text(plotX0-8, yVol+26, "end", "lane err", "■ errors")
	s.text(plotX0-8, yExc+12, "end", "lane", "exceptions")
	s.text(plotX0-8, yRst+12, "end", "lane", "restarts")
	s.text(plotX0+3, yVol+10, "start", "scale", fmtCount(mL))
	s.text(plotX0+3, yExc+10, "start", "scale", fmtCount(mE))
	s.line(plotX0, yExc+excH, plotX1, yExc+excH, "lanebase")
	s.line(plotX0, yVol+volH, plotX1, yVol+volH, "lanebase")
	s.open("g", "bars")
	for i := 0; i < n; i++ {
		b := ja.Buckets[i]
		t := tl.Start.Add(time.Duration(i) * tl.Step)
		x := ts.x(t)
		if x >= plotX1 {
			break
		}
		w := math.Min(math.Max(bw-0.8, 0.8), plotX1-x)
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
func overviewChart(tl klsql.Timeline, focus klsql.Timeline, ps []problem, at time.Time) template.HTML {
	const rowH, top = 34.0, 6.0
	h := top + rowH*float64(len(tl.Jobs)) + axisH + 4
	bottom := top + rowH*float64(len(tl.Jobs))
	ts := timeScale{tl.Start, tl.End, plotX0, plotX1}
	s := newSVG(chartW, h, "overview", "Log lines per job over the whole span of the logs (log scale)")
	fx0, fx1 := ts.x(focus.Start), ts.x(focus.End)
	s.rect(fx0, top, math.Max(fx1-fx0, 2), bottom-top, "focus", "the detailed window below: "+ts2(focus.Start)+" → "+ts2(focus.End))
	s.axis(ts, top, bottom, 10)
	bw := (plotX1 - plotX0) / math.Max(1, float64(tl.End.Sub(tl.Start))/float64(tl.Step))
	step := klsql.FormatDuration(tl.Step)
	for j, ja := range tl.Jobs {
		y := top + rowH*float64(j)
		s.textTitled(plotX0-8, y+rowH/2+4, "end", "lbl", shorten(ja.Job, 27), ja.Job)
		var m float64
		for _, b := range ja.Buckets {
			m = math.Max(m, float64(b.Lines))
		}
		// log scale: days with a capped console (a few lines) and days with the full
		// application log (thousands) both show
		lg := func(v int64) float64 { return math.Log1p(float64(v)) / math.Log1p(math.Max(m, 1)) * (rowH - 8) }
		for i, b := range ja.Buckets {
			t := tl.Start.Add(time.Duration(i) * tl.Step)
			x := ts.x(t)
			if x >= plotX1 {
				break
			}
			w := math.Min(math.Max(bw-0.6, 0.8), plotX1-x)
			when := ts2(t) + " +" + step
			if b.Lines > 0 {
				hl := math.Max(1, lg(b.Lines))
				s.rect(x, y+rowH-4-hl, w, hl, "vol", fmt.Sprintf("%s: %d lines, %d errors, %d exceptions, %d restarts", when, b.Lines, b.Errors, b.Exceptions, b.Restarts))
			}
			if b.Errors > 0 {
				he := math.Max(1.5, lg(b.Errors))
				s.rect(x, y+rowH-4-he, w, he, "err", "")
			}
			if b.Restarts > 0 {
				s.rect(x, y+1, math.Max(w, 2), 4, "rst", fmt.Sprintf("%s: %d restarts", when, b.Restarts))
			}
		}
		s.line(plotX0, y+rowH-4, plotX1, y+rowH-4, "lanebase")
		// where an error check of this job was failing: a red rule under its row
		var jps []problem
		for _, p := range ps {
			if p.appliesTo(ja.Job) {
				jps = append(jps, p)
			}
		}
		for _, iv := range errorWindows(jps) {
			x0, x1 := ts.x(iv.Start), ts.x(iv.End)
			s.rect(x0, y+rowH-3, math.Max(x1-x0, 2), 3, "win sev-error", "an error check failing: "+ts2(iv.Start)+" → "+ts2(iv.End))
		}
	}
	capture(s, ts, at, top, bottom)
	return s.done()
}

// durationChart plots durations (seconds) over tl, one colour per series.
func durationChart(points []klsql.DurationPoint, series func(klsql.DurationPoint) string, tl klsql.Timeline, at time.Time, label string) (template.HTML, []legendItem) {
	const top, plotH = 10.0, 150.0
	bottom := top + plotH
	h := bottom + axisH + 4
	ts := timeScale{tl.Start, tl.End, plotX0, plotX1}
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
	in = decimate(in, series, timeScale{tl.Start, tl.End, plotX0, plotX1}, 2000)
	colour := map[string]int{}
	for i, n := range names {
		colour[n] = i % 8
	}
	s := newSVG(chartW, h, "durations", label)
	s.axis(ts, top, bottom, 9)
	// log scale: a 5-minute cycle and a 2-second one (nothing imported) both show
	lo, hi := 0.5, math.Max(niceSeconds(m), 10)
	y := func(v float64) float64 {
		return bottom - (math.Log(math.Max(v, lo))-math.Log(lo))/(math.Log(hi)-math.Log(lo))*plotH
	}
	for _, tk := range []float64{1, 10, 60, 600, 3600, 6 * 3600, 86400, hi} {
		if tk <= hi && (tk == hi || hi/tk > 1.6) {
			s.line(plotX0, y(tk), plotX1, y(tk), "grid")
			s.text(plotX0-6, y(tk)+4, "end", "tick", tickSeconds(tk))
		}
	}
	s.text(plotX0-6, bottom, "end", "tick", "0")
	s.text(plotX0-40, top+8, "end", "tick", "log scale")
	s.open("g", "dots")
	for _, p := range in {
		k := series(p)
		s.circle(ts.x(p.Time), y(p.Seconds), 2.6, fmt.Sprintf("dot c%d", colour[k]),
			fmt.Sprintf("%s %s: %s", ts2(p.Time), k, secs(p.Seconds)))
	}
	s.close("g")
	capture(s, ts, at, top, bottom)
	legend := make([]legendItem, len(names))
	for i, n := range names {
		legend[i] = legendItem{Name: n, Class: fmt.Sprintf("c%d", colour[n]), Count: seen[n]}
	}
	return s.done(), legend
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
