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
	dom, log := chromium(t, bin, "--enable-logging=stderr", "--v=0", "--dump-dom", url)
	if msgs := consoleMessages(log); len(msgs) > 0 {
		t.Errorf("console messages while loading the report:\n%s", strings.Join(msgs, "\n"))
	}
	if m := regexp.MustCompile(`data-charts-drawn="(\d+)/(\d+)"`).FindSubmatch(dom); m == nil {
		t.Errorf("the report's script did not mark the document (did it run?)")
	} else if drawn, _ := strconv.Atoi(string(m[1])); drawn != bytes.Count(page, []byte(`<svg class="chart `)) || drawn < 5 {
		t.Errorf("charts drawn: %s of %s (want all of the page's charts, and at least 5)", m[1], m[2])
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
	t.Logf("report and screenshots in %s", dir)
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
