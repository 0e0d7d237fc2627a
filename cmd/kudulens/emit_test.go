package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kudulens/kudulens/bench/gen"
	"github.com/kudulens/kudulens/internal/emittest"
	"github.com/kudulens/kudulens/pipeline/store"
)

// emitFleet is a small fleet with different troubles, each site a source folder:
// the whole sample (Kudu logs and application logs: capped runs, restarts, SQL errors), its
// Kudu logs alone, the hour of a redeploy (crash loop, invalid client secret) and a quiet hour.
func emitFleet(t *testing.T) map[string]string {
	t.Helper()
	root := t.TempDir()
	hour00 := "../../fixtures/sample/applogs/contoso-analytics/2026/11/19/00/5b7e2d-5344.applicationLog.csv"
	broken := "../../fixtures/sample/applogs/contoso-analytics/2026/11/20/07/5b7e2d-8252.applicationLog.csv"
	copyFile(t, broken, filepath.Join(root, "broken", "a.csv"))
	copyFile(t, hour00, filepath.Join(root, "quiet", "a.csv"))
	kudu, err := filepath.Abs(filepath.Join(sample, "data"))
	if err != nil {
		t.Fatal(err)
	}
	whole, err := filepath.Abs(sample)
	if err != nil {
		t.Fatal(err)
	}
	// Two generated sites (bench/gen: two instances, restarts, capped console output), and
	// application logs of a few hours apart: coverage with gaps.
	for i, site := range []string{"gen-a", "gen-b"} {
		cfg := gen.BenchConfig(uint64(7+i), time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC), 2)
		if _, err := gen.WriteBundle(gen.DirSink{Dir: filepath.Join(root, site)}, gen.BundleOptions{Config: cfg, Size: 3 << 20}); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range []string{"19/00", "19/01", "19/13", "20/07"} {
		from, err := filepath.Glob("../../fixtures/sample/applogs/contoso-analytics/2026/11/" + h + "/*.csv")
		if err != nil || len(from) == 0 {
			t.Fatalf("no application log for %s", h)
		}
		for _, f := range from {
			copyFile(t, f, filepath.Join(root, "gappy", strings.ReplaceAll(h, "/", "-")+"-"+filepath.Base(f)))
		}
	}
	return map[string]string{
		"gen-a":     filepath.Join(root, "gen-a"),
		"gen-b":     filepath.Join(root, "gen-b"),
		"gappy":     filepath.Join(root, "gappy"),
		"contoso":   whole,
		"kudu-only": kudu,
		"broken":    filepath.Join(root, "broken"),
		"quiet":     filepath.Join(root, "quiet"),
	}
}

// runEmitted runs an emitted DuckDB script on a fresh in-memory DuckDB and reads
// kl_check_results.
func runEmitted(t *testing.T, script string) map[string]map[string]emittest.Result {
	t.Helper()
	s, err := store.Open(context.Background(), "", store.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return emittest.Run(t, s.DB(), script)
}

// The checks emitted as DuckDB SQL and run on the lake of a fleet give, for every site and
// check, the status, count, first and last seen of diagnose on that site.
func TestEmittedDuckDBAgreesWithDiagnose(t *testing.T) {
	t.Parallel()
	fleet := emitFleet(t)
	lake := filepath.Join(t.TempDir(), "lake")
	sites := make([]string, 0, len(fleet))
	for site := range fleet {
		sites = append(sites, site)
	}
	sort.Strings(sites)
	type diagJSON struct {
		Checks []struct {
			ID, Status          string
			Count               int64
			FirstSeen, LastSeen *time.Time
		}
	}
	want := map[string]diagJSON{}
	for _, site := range sites {
		if code, out, stderr := runCLI(t, "export", "--parquet", lake, "--site", site, fleet[site]); code != exitOK {
			t.Fatalf("export %s: exit %d\n%s\n%s", site, code, out, stderr)
		}
		code, out, stderr := runCLI(t, "diagnose", "--format", "json", fleet[site])
		if code != exitOK && code != exitCheckFailed {
			t.Fatalf("diagnose %s: exit %d\n%s", site, code, stderr)
		}
		var d diagJSON
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatal(err)
		}
		want[site] = d
	}
	script := filepath.Join(t.TempDir(), "checks.sql")
	code, out, stderr := runCLI(t, "checks", "--emit", "duckdb", "--lake", lake, "-o", script)
	if code != exitOK {
		t.Fatalf("checks --emit: exit %d\n%s\n%s", code, out, stderr)
	}
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	got := runEmitted(t, string(b))
	notEmitted := map[string]bool{}
	for _, l := range strings.Split(stderr, "\n") {
		if id, ok := strings.CutPrefix(l, "kudulens checks: not emitted: "); ok {
			id, _, _ = strings.Cut(id, ":")
			notEmitted[id] = true
			if !strings.Contains(string(b), "--   "+id+": ") {
				t.Errorf("%s is not emitted but the script does not say so", id)
			}
		}
	}
	if len(got) != len(sites) {
		t.Errorf("sites in kl_check_results: %d, want %d", len(got), len(sites))
	}
	compared, failing := 0, 0
	for _, site := range sites {
		for _, c := range want[site].Checks {
			if notEmitted[c.ID] {
				continue
			}
			g, ok := got[site][c.ID]
			if !ok {
				t.Errorf("%s %s: no row in kl_check_results", site, c.ID)
				continue
			}
			compared++
			if c.Status == "fail" {
				failing++
			}
			w := emittest.Show(c.Status, c.Count, c.FirstSeen, c.LastSeen)
			h := g.String()
			if w != h {
				t.Errorf("%s %s: emitted SQL says %s, diagnose %s", site, c.ID, h, w)
			}
		}
	}
	// the fleet is worth comparing: every site, most checks, failures among them
	if compared < len(sites)*20 || failing < 5 {
		t.Errorf("compared %d results (%d failing), want at least %d and 5", compared, failing, len(sites)*20)
	}
	t.Logf("compared %d site×check results (%d failing); not emitted: %v", compared, failing, notEmitted)
}

// checks --emit: usage errors name what is wrong; kql needs no lake folder and names the
// checks it leaves out on stderr and in the script.
func TestChecksEmitUsage(t *testing.T) {
	for _, args := range [][]string{
		{"checks", "--emit", "oracle", "--lake", "x"},
		{"checks", "--emit", "duckdb"},
		{"checks", "--lake", "x"},
		{"checks", "--emit", "duckdb", "--lake", t.TempDir()},
	} {
		if code, _, stderr := runCLI(t, args...); code != exitUsage || !strings.Contains(stderr, "kudulens checks: ") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	code, out, stderr := runCLI(t, "checks", "--emit", "kql")
	if code != exitOK || !strings.Contains(out, ".create-or-alter function with (folder = \"kudulens\"") ||
		!strings.Contains(out, "kl_check_sql_exceptions()") || !strings.Contains(out, "//   job-not-running: not emitted as KQL") {
		t.Fatalf("--emit kql: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "kudulens checks: not emitted: job-not-running: ") {
		t.Errorf("stderr does not name the checks left out: %q", stderr)
	}
}
