package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// A tiny SVG writer for the HTML report's charts. Every text and attribute value goes
// through html.EscapeString; numbers are formatted here. Colours come from CSS classes (the
// page's stylesheet), so light, dark and print themes apply to the charts too.

type svg struct {
	b    strings.Builder
	tips bool // marks carry their tooltips (labels always do)
}

// frame is the geometry a chart is drawn in. Every chart is drawn twice: wide for screens from
// a small tablet up, and narrow for phones, where the stylesheet shows it instead (the page's
// width is about the narrow viewBox's, so its labels keep their size instead of shrinking to
// a third of it).
type frame struct {
	variant string  // "wide" or "narrow": the CSS class that chooses which one shows
	w       float64 // viewBox width
	x0, x1  float64 // the plot's left and right edge
	// the label of a row sits left of the plot (wide) or on a line above the row (narrow)
	labelsAbove bool
	// bars and dots carry a tooltip. The narrow chart is for touch screens, which cannot
	// hover: its numbers are in the text under it (as the wide one's are), and leaving them
	// out of it keeps the page half as big.
	tooltips bool
}

var (
	wideFrame   = frame{variant: "wide", w: 960, x0: 178, x1: 944, tooltips: true}
	narrowFrame = frame{variant: "narrow", w: 360, x0: 16, x1: 344, labelsAbove: true}
)

// narrowTicks is how many time ticks a narrow chart's axis has: "15:04" labels 80 units apart.
const narrowTicks = 4

// axisHeight is the room under the plot for the time labels (narrow: a second line says UTC).
func (f frame) axisHeight() float64 {
	if f.labelsAbove {
		return 32
	}
	return 22
}

// ticks is n for the wide frame and fewer for the narrow one.
func (f frame) ticks(n int) int {
	if f.labelsAbove {
		return min(n, narrowTicks)
	}
	return n
}

// newSVG starts an <svg> of the frame's width and height h; label is its accessible name.
func newSVG(f frame, h float64, class, label string) *svg {
	s := &svg{tips: f.tooltips}
	fmt.Fprintf(&s.b, `<svg class="chart %s %s" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="%s" preserveAspectRatio="xMinYMin meet">`,
		esc(f.variant), esc(class), num(f.w), num(h), num(f.w), num(h), esc(label))
	return s
}

func (s *svg) done() template.HTML {
	s.b.WriteString("</svg>")
	return template.HTML(s.b.String()) // every piece was escaped when written
}

func esc(s string) string { return html.EscapeString(s) }

// num formats a coordinate with at most one decimal.
func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		f = 0
	}
	return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
}

func (s *svg) rect(x, y, w, h float64, class, title string) {
	if w <= 0 || h <= 0 {
		return
	}
	if title == "" || !s.tips {
		fmt.Fprintf(&s.b, `<rect x="%s" y="%s" width="%s" height="%s" class="%s"/>`, num(x), num(y), num(w), num(h), esc(class))
		return
	}
	fmt.Fprintf(&s.b, `<rect x="%s" y="%s" width="%s" height="%s" class="%s"><title>%s</title></rect>`, num(x), num(y), num(w), num(h), esc(class), esc(title))
}

func (s *svg) line(x1, y1, x2, y2 float64, class string) {
	fmt.Fprintf(&s.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" class="%s"/>`, num(x1), num(y1), num(x2), num(y2), esc(class))
}

func (s *svg) circle(x, y, r float64, class, title string) {
	if !s.tips {
		fmt.Fprintf(&s.b, `<circle cx="%s" cy="%s" r="%s" class="%s"/>`, num(x), num(y), num(r), esc(class))
		return
	}
	fmt.Fprintf(&s.b, `<circle cx="%s" cy="%s" r="%s" class="%s"><title>%s</title></circle>`, num(x), num(y), num(r), esc(class), esc(title))
}

// path draws a path from already formatted commands (built with num).
func (s *svg) path(d, class, title string) {
	if title == "" || !s.tips {
		fmt.Fprintf(&s.b, `<path d="%s" class="%s"/>`, esc(d), esc(class))
		return
	}
	fmt.Fprintf(&s.b, `<path d="%s" class="%s"><title>%s</title></path>`, esc(d), esc(class), esc(title))
}

// text writes a label; anchor is start, middle or end.
func (s *svg) text(x, y float64, anchor, class, t string) {
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" text-anchor="%s" class="%s">%s</text>`, num(x), num(y), esc(anchor), esc(class), esc(t))
}

// textTitled writes a label with a tooltip (the full text when the label is shortened).
func (s *svg) textTitled(x, y float64, anchor, class, t, title string) {
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" text-anchor="%s" class="%s"><title>%s</title>%s</text>`, num(x), num(y), esc(anchor), esc(class), esc(title), esc(t))
}

func (s *svg) open(tag, class string) { fmt.Fprintf(&s.b, `<%s class="%s">`, tag, esc(class)) }
func (s *svg) close(tag string)       { fmt.Fprintf(&s.b, `</%s>`, tag) }

// timeScale maps times in [t0, t1] to x in [x0, x1].
type timeScale struct {
	t0, t1 time.Time
	x0, x1 float64
}

func (ts timeScale) x(t time.Time) float64 {
	span := ts.t1.Sub(ts.t0)
	if span <= 0 {
		return ts.x0
	}
	f := float64(t.Sub(ts.t0)) / float64(span)
	return ts.x0 + math.Max(0, math.Min(1, f))*(ts.x1-ts.x0)
}

// ticks returns tick times at a nice interval (about n of them) and the label layout for it.
func (ts timeScale) ticks(n int) ([]time.Time, func(time.Time) string) {
	span := ts.t1.Sub(ts.t0)
	steps := []time.Duration{time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 2 * 24 * time.Hour,
		7 * 24 * time.Hour, 14 * 24 * time.Hour, 28 * 24 * time.Hour}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if span/s <= time.Duration(n) {
			step = s
			break
		}
	}
	var out []time.Time
	for t := ts.t0.Truncate(step); !t.After(ts.t1); t = t.Add(step) {
		if !t.Before(ts.t0) {
			out = append(out, t)
		}
	}
	label := func(t time.Time) string {
		switch {
		case step >= 24*time.Hour:
			return t.Format("Jan 2")
		case t.Hour() == 0 && t.Minute() == 0:
			return t.Format("Jan 2")
		}
		return t.Format("15:04")
	}
	return out, label
}

// axis draws time ticks and labels along y (the bottom of the plot), with grid lines up to top.
func (s *svg) axis(f frame, ts timeScale, top, y float64, n int) {
	ticks, label := ts.ticks(f.ticks(n))
	s.open("g", "axis")
	for _, t := range ticks {
		x := ts.x(t)
		cls := "grid"
		if t.Hour() == 0 && t.Minute() == 0 {
			cls = "grid day"
		}
		s.line(x, top, x, y, cls)
		// a label at either edge is kept inside the chart, where it is not cut off
		anchor := "middle"
		switch {
		case x-20 < 0:
			anchor = "start"
		case x+20 > f.w:
			anchor = "end"
		}
		s.text(x, y+13, anchor, "tick", label(t))
	}
	s.line(ts.x0, y, ts.x1, y, "base")
	if f.labelsAbove {
		s.text(ts.x1, y+27, "end", "tick", "times UTC")
	} else {
		s.text(ts.x0-30, y+13, "end", "tick", "UTC")
	}
	s.close("g")
}

// niceMax rounds v up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// shorten cuts s to n runes with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// fmtCount writes 1234 as 1.2k.
func fmtCount(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
