package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(to), 0o755)
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

type fleetJSON struct {
	Previous *string `json:"previousRun"`
	Gone     []string
	Sites    []struct {
		Site, Status  string
		NewSite       bool
		New, Resolved []string
		Failing       []struct{ ID string }
		Report        string
	}
}

func TestFleetWithState(t *testing.T) {
	root := t.TempDir()
	fleet := filepath.Join(root, "bundles")
	state := filepath.Join(root, "state.json")
	hour00 := "../../fixtures/sample/applogs/contoso-analytics/2026/11/19/00/5b7e2d-5344.applicationLog.csv"
	// the hour of the redeploy: crash loop and the invalid client secret (3 failing checks)
	broken := "../../fixtures/sample/applogs/contoso-analytics/2026/11/20/07/5b7e2d-8252.applicationLog.csv"
	copyFile(t, broken, filepath.Join(fleet, "contoso", "a.csv"))
	copyFile(t, hour00, filepath.Join(fleet, "quiet", "a.csv"))
	copyFile(t, hour00, filepath.Join(fleet, ".hidden", "a.csv"))
	copyFile(t, hour00, filepath.Join(fleet, "_old", "a.csv"))

	run := func() fleetJSON {
		t.Helper()
		code, out, stderr := runCLI(t, "diagnose", "--fleet", fleet, "--state", state, "--format", "json", "--parallel", "2")
		if code != exitCheckFailed && code != exitOK {
			t.Fatalf("fleet: exit %d\n%s", code, stderr)
		}
		var f fleetJSON
		if err := json.Unmarshal([]byte(out), &f); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return f
	}
	f := run()
	if len(f.Sites) != 2 || f.Sites[0].Site != "contoso" || f.Sites[1].Site != "quiet" || f.Previous != nil {
		t.Fatalf("first run: %+v", f)
	}
	if f.Sites[0].Status != "problems" || len(f.Sites[0].Failing) != 3 || len(f.Sites[0].New) != 0 {
		t.Errorf("contoso: %+v", f.Sites[0])
	}
	if f.Sites[1].Status != "ok" {
		t.Errorf("quiet: %+v", f.Sites[1])
	}

	// Next night: contoso is fixed (only a quiet hour), quiet is gone, a new site appears.
	os.RemoveAll(filepath.Join(fleet, "quiet"))
	copyFile(t, hour00, filepath.Join(fleet, "contoso", "a.csv"))
	copyFile(t, broken, filepath.Join(fleet, "fabrikam.tar.gz", "a.csv"))
	f = run()
	if f.Previous == nil || len(f.Gone) != 1 || f.Gone[0] != "quiet" || len(f.Sites) != 2 {
		t.Fatalf("second run: %+v", f)
	}
	c, fab := f.Sites[0], f.Sites[1]
	if c.Site != "contoso" || c.Status != "ok" || len(c.Resolved) != 3 || len(c.New) != 0 || c.NewSite {
		t.Errorf("contoso: %+v", c)
	}
	if fab.Site != "fabrikam.tar.gz" || !fab.NewSite || len(fab.New) != 3 {
		t.Errorf("fabrikam: %+v", fab)
	}

	// Text and HTML summaries, with the sites' own reports.
	out := filepath.Join(root, "out", "fleet.html")
	code, _, stderr := runCLI(t, "diagnose", "--fleet", fleet, "--format", "html", "--out", out, "--reports", filepath.Join(root, "out", "sites"))
	if code != exitCheckFailed {
		t.Fatalf("html: exit %d %s", code, stderr)
	}
	page, _ := os.ReadFile(out)
	if !strings.Contains(string(page), `href="sites/fabrikam.tar.gz.html"`) || !strings.Contains(string(page), "1 of 2 sites with problems") {
		t.Errorf("fleet page:\n%.3000s", page)
	}
	if _, err := os.Stat(filepath.Join(root, "out", "sites", "contoso.html")); err != nil {
		t.Error(err)
	}
	code, text, _ := runCLI(t, "diagnose", "--fleet", fleet, "--fail-on", "never")
	if code != exitOK || !strings.Contains(text, "2 sites: 1 with problems, 1 ok") {
		t.Errorf("text: exit %d\n%s", code, text)
	}
	if code, _, _ := runCLI(t, "diagnose", "--fleet", fleet, "x.zip"); code != exitUsage {
		t.Errorf("--fleet with a SOURCE: exit %d", code)
	}
}

func TestSiteNames(t *testing.T) {
	for in, want := range map[string]string{"contoso.zip": "contoso", "a.tar.gz": "a", "b.tgz": "b", "c.log.zst": "c.log", "d": "d"} {
		if got := siteName(in, false); got != want {
			t.Errorf("siteName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := siteName("x.zip", true); got != "x.zip" {
		t.Errorf("a folder keeps its name: %q", got)
	}
}
