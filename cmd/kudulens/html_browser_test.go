package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The HTML report in a real browser: headless Chromium (Debian package chromium; `make test`
// installs it when missing) loads the sample's report from a file, with no network. The test
// fails on any console message (errors, CSP violations, uncaught exceptions: the report logs
// nothing when all is well) and unless every chart has drawn (the report's own script marks
// <html data-charts-drawn="N/M"> after measuring each chart's laid-out box). It saves the
// report and screenshots under out/browser/ (gitignored) for people to look at.

// browserArtefacts is where the report and its screenshots are kept, at the repository root.
const browserArtefacts = "../../out/browser"

func findChromium() string {
	if p := os.Getenv("KUDULENS_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// chromium runs headless Chromium with the flags that work on these machines (no sandbox as
// root, no background networking: the network is closed) and a fresh profile.
func chromium(t *testing.T, bin string, args ...string) (stdout, stderr []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--hide-scrollbars"}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, tail(errb.String(), 2000))
	}
	return out.Bytes(), errb.Bytes()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

var consoleLine = regexp.MustCompile(`(?m)^.*:CONSOLE[:(].*$`)

// consoleMessages returns the console messages in Chromium's log (--enable-logging=stderr).
func consoleMessages(log []byte) []string {
	return consoleLine.FindAllString(string(log), -1)
}

func TestHTMLReportInBrowser(t *testing.T) {
	t.Parallel()
	bin := findChromium()
	if bin == "" {
		t.Skip("headless Chromium not found: install the Debian package chromium (make test does), or set KUDULENS_CHROMIUM; the HTML report was not checked in a browser")
	}
	dir, err := filepath.Abs(browserArtefacts)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "sample-report.html")
	code, _, stderr := runCLI(t, "diagnose", "--format", "html", "--out", report, "../../fixtures/sample-bundle.zip")
	if code != exitCheckFailed {
		t.Fatalf("diagnose --format html: exit %d, want 1\n%s", code, stderr)
	}
	page, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	// Self-contained: nothing to fetch.
	for _, bad := range []string{"<link", " src=", "@import", "url(http", "<iframe", "<img"} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("the report refers to something outside itself: %q", bad)
		}
	}
	url := "file://" + report

	// 1. Load it: no console message, every chart drawn.
	dom, log := chromium(t, bin, "--enable-logging=stderr", "--v=0", "--window-size=1280,1300", "--dump-dom", url)
	if msgs := consoleMessages(log); len(msgs) > 0 {
		t.Errorf("console messages while loading the report:\n%s", strings.Join(msgs, "\n"))
	}
	if m := regexp.MustCompile(`data-charts-drawn="(\d+)/(\d+)"`).FindSubmatch(dom); m == nil {
		t.Errorf("the report's script did not mark the document (did it run?)")
	} else if drawn, _ := strconv.Atoi(string(m[1])); drawn != bytes.Count(page, []byte(`<svg class="chart wide `)) || drawn < 5 || string(m[2]) != string(m[1]) {
		t.Errorf("charts drawn: %s of %s (want all of the page's wide charts, the ones a desktop shows, and at least 5)", m[1], m[2])
	}

	// 2. Screenshots: the first screen (what a person sees in ten seconds), the whole page,
	// a phone, and the dark theme.
	shots := []struct {
		name string
		args []string
	}{
		{"sample-report.png", []string{"--window-size=1280,1300"}},
		{"sample-report-full.png", []string{"--window-size=1280,9000"}},
		{"sample-report-phone.png", []string{"--window-size=390,1500"}},
		{"sample-report-dark.png", []string{"--window-size=1280,1300", "--force-dark-mode"}},
	}
	for _, s := range shots {
		out := filepath.Join(dir, s.name)
		os.Remove(out)
		chromium(t, bin, append(s.args, "--screenshot="+out, url)...)
		f, err := os.Open(out)
		if err != nil {
			t.Fatalf("screenshot %s: %v", s.name, err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("screenshot %s: %v", s.name, err)
		}
		// The verdict is red: a page that did not render has none of it.
		red, b := 0, img.Bounds()
		for y := b.Min.Y; y < min(b.Max.Y, 700); y += 2 {
			for x := b.Min.X; x < b.Max.X; x += 2 {
				r, g, bl, _ := img.At(x, y).RGBA()
				if r>>8 > 180 && g>>8 < 140 && bl>>8 < 140 {
					red++
				}
			}
		}
		if red < 200 {
			t.Errorf("screenshot %s: the red verdict is missing (%d red pixels)", s.name, red)
		}
	}

	// 3. On a phone (390 CSS px, the viewport meta tag honoured) and on a desktop.
	checkLayout(t, bin, url, bytes.Count(page, []byte(`<svg class="chart narrow `)), bytes.Count(page, []byte(`<svg class="chart wide `)),
		filepath.Join(dir, "sample-report-phone-full.png"))
	t.Logf("report and screenshots in %s", dir)
}

// layoutScript measures the report as laid out, from DevTools (the page's CSP stays as it is).
// For each chart shown: its width, its smallest text in CSS px as rendered (font size × the
// chart's scale), the texts sticking out of it, the height of its numbers' <summary>, the
// tables of numbers wider than the page, and every tooltip of both of its drawings (wide and
// narrow) that the numbers under it do not tell: a tooltip's times, numbers and words must all
// be words of one row of the numbers' tables (or of their captions and headings).
const layoutScript = `(() => {
  const vw = document.documentElement.clientWidth;
  const out = {viewport: vw, scrollWidth: document.documentElement.scrollWidth, sticksOut: [], charts: [],
    marker: document.documentElement.getAttribute('data-charts-drawn') || ''};
  const inScroller = e => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
    }
    return false;
  };
  const sticking = () => {
    const s = [];
    document.querySelectorAll('body *').forEach(e => {
      const r = e.getBoundingClientRect();
      if (r.width > 0 && r.right > vw + 0.5 && !inScroller(e) && s.length < 10) s.push(e.tagName + '.' + (e.getAttribute('class') || '') + ' right=' + Math.round(r.right));
    });
    return s;
  };
  out.sticksOut = sticking();
  const tsRe = /\d{4}-\d\d-\d\dt\d\d:\d\d:\d\dz/g, tokRe = /\d{4}-\d\d-\d\dt\d\d:\d\d:\d\dz|\d+(\.\d+)?[a-z]*|[a-z][\w-]{2,}/g;
  document.querySelectorAll('svg.chart').forEach(s => {
    if (getComputedStyle(s).display === 'none') return;
    const r = s.getBoundingClientRect(), scale = r.width / s.viewBox.baseVal.width;
    const c = {class: s.getAttribute('class'), width: r.width, minFont: 1e9, smallest: '', cut: [], missing: [], summaryHeight: 0, tooltips: 0, rows: 0, wideTables: []};
    s.querySelectorAll('text').forEach(t => {
      const fs = parseFloat(getComputedStyle(t).fontSize) * scale;
      if (fs < c.minFont) { c.minFont = fs; c.smallest = t.textContent; }
      const b = t.getBoundingClientRect();
      if (b.width > 0 && (b.left < r.left - 0.5 || b.right > r.right + 0.5) && c.cut.length < 5) c.cut.push(t.textContent);
    });
    const fig = s.closest('figure');
    const d = fig && fig.querySelector('details.chartdata');
    if (!d) { c.missing.push('no details.chartdata with the chart'); out.charts.push(c); return; }
    c.summaryHeight = d.querySelector('summary').getBoundingClientRect().height;
    d.open = true;
    const words = s => new Set(s.toLowerCase().match(tokRe) || []);
    const rows = [...d.querySelectorAll('tbody tr')].map(tr => words(tr.innerText));
    c.rows = rows.length;
    d.querySelectorAll('.tablebox').forEach(b => { if (b.scrollWidth > b.clientWidth + 1 && c.wideTables.length < 3) c.wideTables.push(b.querySelector('thead').innerText + ': ' + b.scrollWidth + ' px in ' + b.clientWidth); });
    const ctx = words([...d.querySelectorAll('summary, p, thead')].map(e => e.innerText).join(' '));
    const byTime = new Map();
    rows.forEach(row => row.forEach(k => { if (/^\d{4}-/.test(k)) { if (!byTime.has(k)) byTime.set(k, []); byTime.get(k).push(row); } }));
    fig.querySelectorAll('svg.chart title').forEach(ti => {
      c.tooltips++;
      const text = ti.textContent.toLowerCase(), toks = text.match(tokRe) || [], times = text.match(tsRe) || [];
      const candidates = times.length ? (byTime.get(times[0]) || []) : rows;
      if (!candidates.some(row => toks.every(k => row.has(k) || ctx.has(k))) && c.missing.length < 5) c.missing.push(ti.textContent);
    });
    out.charts.push(c);
  });
  out.scrollWidthOpen = document.documentElement.scrollWidth; // every chart's numbers open
  out.sticksOutOpen = sticking();
  return out;
})()`

type layoutChart struct {
	Class         string
	Width         float64
	MinFont       float64
	Smallest      string
	Cut, Missing  []string
	WideTables    []string // tables of numbers wider than the page (they scroll in their box)
	SummaryHeight float64
	Tooltips      int
	Rows          int
}

type layout struct {
	Viewport, ScrollWidth, ScrollWidthOpen int
	SticksOut, SticksOutOpen               []string
	Charts                                 []layoutChart
	Marker                                 string
}

// checkLayout opens the report as a phone, a tablet and a desktop show it. Nothing may stick
// out sideways. On the phone (390 CSS px wide) and the tablet (820) the narrow charts must show
// within the width with their text at 10 px or more, and each chart's numbers must be there as
// text to tap open; on the desktop the wide charts show. In all, every tooltip's facts are in
// the text.
// The phone's whole page, the charts' numbers closed, is saved as phoneShot.
func checkLayout(t *testing.T, bin, url string, narrow, wide int, phoneShot string) {
	for _, dev := range []struct {
		name          string
		width, height int
		scale         float64
		mobile        bool
		variant       string
		charts        int
	}{
		{"phone", 390, 844, 3, true, "narrow", narrow},
		{"tablet", 820, 1180, 2, true, "narrow", narrow}, // the wide charts' text would be 7-9 px here
		{"desktop", 1280, 900, 1, false, "wide", wide},
	} {
		c := startCDP(t, bin)
		if err := c.openPage(url, dev.width, dev.height, dev.scale, dev.mobile); err != nil {
			t.Fatalf("%s: open the report: %v", dev.name, err)
		}
		if dev.name == "phone" {
			if err := c.screenshot(phoneShot); err != nil {
				t.Errorf("%s: screenshot: %v", dev.name, err)
			}
		}
		var l layout
		if err := c.eval(layoutScript, &l); err != nil {
			t.Fatalf("%s: measure the report: %v", dev.name, err)
		}
		if l.Viewport != dev.width {
			t.Errorf("%s: the page is laid out %d px wide, want %d (the viewport meta tag)", dev.name, l.Viewport, dev.width)
		}
		if l.ScrollWidth > l.Viewport || l.ScrollWidthOpen > l.Viewport {
			t.Errorf("%s: the page scrolls sideways: %d px wide (%d with the charts' numbers open) in a %d px viewport; sticking out: %q %q",
				dev.name, l.ScrollWidth, l.ScrollWidthOpen, l.Viewport, l.SticksOut, l.SticksOutOpen)
		}
		if want := strconv.Itoa(dev.charts) + "/" + strconv.Itoa(dev.charts); l.Marker != want || len(l.Charts) != dev.charts || dev.charts < 5 {
			t.Errorf("%s: %d charts shown, marked %q; want all %d %s ones drawn (and at least 5)", dev.name, len(l.Charts), l.Marker, dev.charts, dev.variant)
		}
		for _, ch := range l.Charts {
			if !strings.Contains(" "+ch.Class+" ", " "+dev.variant+" ") {
				t.Errorf("%s: chart %q shown, want the %s ones", dev.name, ch.Class, dev.variant)
			}
			if ch.Width > float64(l.Viewport) {
				t.Errorf("%s: chart %q is %.0f px wide in a %d px viewport", dev.name, ch.Class, ch.Width, l.Viewport)
			}
			if dev.mobile && ch.MinFont < 10 {
				t.Errorf("%s: chart %q has text %.1f px high (%q): want 10 px or more", dev.name, ch.Class, ch.MinFont, ch.Smallest)
			}
			if len(ch.Cut) > 0 {
				t.Errorf("%s: chart %q: text cut off at its edge: %q", dev.name, ch.Class, ch.Cut)
			}
			if len(ch.Missing) > 0 {
				t.Errorf("%s: chart %q: tooltips whose facts are not in the text under it: %q", dev.name, ch.Class, ch.Missing)
			}
			if ch.Rows == 0 || ch.Tooltips == 0 {
				t.Errorf("%s: chart %q: %d rows of numbers for %d tooltips", dev.name, ch.Class, ch.Rows, ch.Tooltips)
			}
			if len(ch.WideTables) > 0 {
				t.Errorf("%s: chart %q: its numbers do not fit the width: %q", dev.name, ch.Class, ch.WideTables)
			}
			if dev.mobile && ch.SummaryHeight < 40 {
				t.Errorf("%s: chart %q: its numbers open with a %.0f px high tap target, want 40 or more", dev.name, ch.Class, ch.SummaryHeight)
			}
		}
		for _, ch := range l.Charts {
			t.Logf("%s: chart %q %.0f px wide, smallest text %.1f px, %d tooltips told in %d rows", dev.name, ch.Class, ch.Width, ch.MinFont, ch.Tooltips, ch.Rows)
		}
		t.Logf("%s: %d charts, page %d px in %d px (%d with the numbers open)", dev.name, len(l.Charts), l.ScrollWidth, l.Viewport, l.ScrollWidthOpen)
	}
}

func TestConsoleMessagesAreFound(t *testing.T) {
	log := []byte(`[1:1:1123/141040.110008:INFO:CONSOLE:1] "boom", source: file:///x.html (1)
[1:1:1123/141040.2:ERROR:dbus/bus.cc:405] Failed to connect to the bus
[1:1:1123/141040.3:INFO:CONSOLE(7)] "Uncaught ReferenceError: f is not defined", source: file:///x.html (7)
`)
	if got := consoleMessages(log); len(got) != 2 {
		t.Errorf("found %d console messages, want 2: %q", len(got), got)
	}
}
