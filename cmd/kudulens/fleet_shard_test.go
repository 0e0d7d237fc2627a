package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/kudulens/kudulens/bench/gen"
	"github.com/kudulens/kudulens/internal/azuritetest"
	"github.com/kudulens/kudulens/pipeline/blob"
	"github.com/kudulens/kudulens/pipeline/store"
	"github.com/kudulens/kudulens/report"
)

// genFleet writes one generated bundle (job logs, status files, application logs) of about
// size bytes per site name under dir, each from a seed of its own. Every other site fails
// often (a small bundle covers minutes, too few for the realistic failure rate): the fleet
// has sites with problems and sites without.
func genFleet(t *testing.T, dir string, size int64, names ...string) {
	t.Helper()
	for i, name := range names {
		cfg := gen.BenchConfig(uint64(40+i), time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC), 2)
		if i%2 == 0 {
			cfg.Chaos = 20
		}
		if _, err := gen.WriteBundle(gen.DirSink{Dir: filepath.Join(dir, name)}, gen.BundleOptions{Config: cfg, Size: size, Kudu: gen.KuduOptions{Cap: true}}); err != nil {
			t.Fatal(err)
		}
	}
}

// fleetRun runs diagnose with args and --format json and returns the summary.
func fleetRun(t *testing.T, args ...string) *report.Fleet {
	t.Helper()
	code, out, stderr := runCLI(t, append([]string{"diagnose", "--format", "json", "--fail-on", "never"}, args...)...)
	if code != exitOK {
		t.Fatalf("diagnose %q: exit %d\n%s", args, code, stderr)
	}
	var f report.Fleet
	if err := json.Unmarshal([]byte(out), &f); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return &f
}

// sitesOf returns the sites without what depends on the previous run (state comparison).
func sitesOf(f *report.Fleet) []report.FleetSite {
	out := make([]report.FleetSite, len(f.Sites))
	for i, s := range f.Sites {
		s.New, s.Resolved, s.NewSite = nil, nil, false
		out[i] = s
	}
	return out
}

func siteNames(sites []report.FleetSite) []string {
	var out []string
	for _, s := range sites {
		out = append(out, s.Site)
	}
	return out
}

// A fleet of 20 sites split into four shards gives the same sites as one run, the shards'
// state and results add up, and the results read back as the one fleet.
func TestFleetShardsAddUp(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	fleetDir := filepath.Join(root, "fleet")
	names := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett",
		"kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango"}
	genFleet(t, fleetDir, 40<<10, names...)

	one := fleetRun(t, "--fleet", fleetDir, "--parallel", "2", "--results", filepath.Join(root, "one"))
	if got := siteNames(one.Sites); !reflect.DeepEqual(got, names) {
		t.Fatalf("one run: sites %q", got)
	}
	problems := 0
	for _, s := range one.Sites {
		if s.Status == "problems" {
			problems++
		}
		if s.Status != "ok" && s.Status != "problems" {
			t.Errorf("%s: %s %s", s.Site, s.Status, s.Error)
		}
	}
	if problems == 0 {
		t.Fatalf("no site with a failing check: the comparison below would not show the failures add up")
	}

	// Four shards, one after the other, sharing one state file and one results folder.
	results, state := filepath.Join(root, "results"), filepath.Join(root, "state.json")
	var shards []report.FleetSite
	for k := 1; k <= 4; k++ {
		f := fleetRun(t, "--fleet", fleetDir, "--parallel", "2", "--shard", fmt.Sprintf("%d/4", k), "--results", results, "--state", state)
		if len(f.Sites) == 0 {
			t.Errorf("shard %d/4 took no site", k)
		}
		for _, s := range f.Sites {
			if shardOf(s.Site, 4) != k {
				t.Errorf("shard %d/4 took %s (shard %d)", k, s.Site, shardOf(s.Site, 4))
			}
		}
		if len(f.Gone) > 0 {
			t.Errorf("shard %d/4: the other shards' sites are gone: %q", k, f.Gone)
		}
		if !strings.Contains(f.Selection, fmt.Sprintf("shard %d/4: %d of the 20 sites", k, len(f.Sites))) {
			t.Errorf("shard %d/4: selection %q", k, f.Selection)
		}
		shards = append(shards, sitesOf(f)...)
	}
	sort.Slice(shards, func(i, j int) bool { return shards[i].Site < shards[j].Site })
	if want := sitesOf(one); !reflect.DeepEqual(shards, want) {
		t.Errorf("the shards' sites differ from one run's:\nshards %+v\none    %+v", shards, want)
	}
	st, err := report.ReadFleetState(state)
	if err != nil || st == nil || len(st.Sites) != len(names) {
		t.Fatalf("state after four shards: %+v %v", st, err)
	}

	// The shards' results read back as the one fleet.
	back := fleetRun(t, "--from-results", results)
	if want := sitesOf(one); !reflect.DeepEqual(sitesOf(back), want) {
		t.Errorf("read back:\n%+v\nwant\n%+v", sitesOf(back), want)
	}
	if back.Source != fleetDir {
		t.Errorf("read back: source %q", back.Source)
	}
	// ... and so do the single run's (a folder of one shard).
	if b1 := fleetRun(t, "--from-results", filepath.Join(root, "one")); !reflect.DeepEqual(sitesOf(b1), sitesOf(one)) {
		t.Errorf("one run read back:\n%+v", sitesOf(b1))
	}
	// --sites on the results: a part of the picture.
	if part := fleetRun(t, "--from-results", results, "--sites", "a*,e*"); !reflect.DeepEqual(siteNames(part.Sites), []string{"alpha", "echo"}) {
		t.Errorf("--from-results --sites: %q", siteNames(part.Sites))
	}

	// Each shard wrote a file of its own; each site's JSON report is diagnose --format json's.
	for k := 1; k <= 4; k++ {
		parts, _ := filepath.Glob(filepath.Join(results, "results", fmt.Sprintf("shard=%d-of-4", k), "part-*.parquet"))
		if len(parts) != 1 {
			t.Errorf("shard %d/4: part files %q", k, parts)
		}
	}
	code, direct, stderr := runCLI(t, "diagnose", "--format", "json", "--fail-on", "never", filepath.Join(fleetDir, "delta"))
	if code != exitOK {
		t.Fatalf("diagnose delta: exit %d %s", code, stderr)
	}
	for _, dir := range []string{results, filepath.Join(root, "one")} {
		b, err := os.ReadFile(filepath.Join(dir, "sites", "delta.json"))
		if err != nil || string(b) != direct {
			t.Errorf("%s/sites/delta.json (%v) differs from diagnose --format json:\n%s", dir, err, lineDiff(string(b), direct))
		}
	}

	// Any engine reads the table: DuckDB over the folders, with the shard from the path.
	db, err := store.Open(context.Background(), "", store.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, sites, badShard int64
	q := fmt.Sprintf(`SELECT count(*), count(DISTINCT site), count(*) FILTER (WHERE shard <> shard_dir)
		FROM (SELECT *, regexp_extract(filename, 'shard=([^/]+)', 1) AS shard_dir FROM read_parquet('%s/results/*/*.parquet', filename = true))`,
		filepath.ToSlash(results))
	if err := db.DB().QueryRow(q).Scan(&rows, &sites, &badShard); err != nil {
		t.Fatal(err)
	}
	checks := 0
	if b, err := os.ReadFile(filepath.Join(results, "sites", "delta.json")); err == nil {
		var rep struct{ Checks []json.RawMessage }
		json.Unmarshal(b, &rep)
		checks = len(rep.Checks)
	}
	if sites != int64(len(names)) || checks == 0 || rows != int64(len(names)*checks) || badShard != 0 {
		t.Errorf("results table: %d rows of %d sites (%d checks each), %d with a shard not their folder's", rows, sites, checks, badShard)
	}
}

// --sites and --shard choose sites; a state file survives runs over a part of the fleet, and
// shards that share it, run together, keep each other's sites.
func TestFleetSelectionKeepsState(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	fleetDir := filepath.Join(root, "fleet")
	state := filepath.Join(root, "state.json")
	hour00 := "../../fixtures/sample/applogs/contoso-analytics/2026/11/19/00/5b7e2d-5344.applicationLog.csv"
	broken := "../../fixtures/sample/applogs/contoso-analytics/2026/11/20/07/5b7e2d-8252.applicationLog.csv"
	copyFile(t, broken, filepath.Join(fleetDir, "contoso", "a.csv"))
	copyFile(t, hour00, filepath.Join(fleetDir, "quiet", "a.csv"))
	copyFile(t, hour00, filepath.Join(fleetDir, "fabrikam", "a.csv"))
	copyFile(t, broken, filepath.Join(fleetDir, "northwind", "a.csv"))

	for _, args := range [][]string{
		{"--fleet", fleetDir, "--shard", "0/3"},
		{"--fleet", fleetDir, "--shard", "4/3"},
		{"--fleet", fleetDir, "--shard", "2"},
		{"--fleet", fleetDir, "--shard", "a/b"},
		{"--fleet", fleetDir, "--sites", "["},
		{"--fleet", fleetDir, "--sites", "nosuchsite*"},
		{"--fleet", fleetDir, "--sites", ""},
		{"--shard", "1/2", filepath.Join(fleetDir, "quiet")},
		{"--results", filepath.Join(root, "r"), filepath.Join(fleetDir, "quiet")},
		{"--from-results", filepath.Join(root, "r"), "--fleet", fleetDir},
		{"--from-results", filepath.Join(root, "r"), "--since", "1d"},
	} {
		if code, _, stderr := runCLI(t, append([]string{"diagnose"}, args...)...); code != exitUsage || stderr == "" {
			t.Errorf("diagnose %q: exit %d, want %d (usage)\n%s", args, code, exitUsage, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "diagnose", "--from-results", filepath.Join(root, "none")); code != exitInputFailed || !strings.Contains(stderr, "no results table") {
		t.Errorf("--from-results of a folder without results: exit %d %s", code, stderr)
	}

	all := fleetRun(t, "--fleet", fleetDir, "--state", state)
	if len(all.Sites) != 4 {
		t.Fatalf("all: %q", siteNames(all.Sites))
	}
	// A run over two sites: the others are neither listed nor gone, and keep their state.
	before, _ := os.ReadFile(state)
	part := fleetRun(t, "--fleet", fleetDir, "--state", state, "--sites", "contoso", "--sites", "f*")
	if got := siteNames(part.Sites); !reflect.DeepEqual(got, []string{"contoso", "fabrikam"}) || len(part.Gone) > 0 {
		t.Errorf("--sites contoso,f*: sites %q, gone %q", got, part.Gone)
	}
	if part.Sites[0].NewSite || len(part.Sites[0].New) > 0 || len(part.Sites[0].Failing) != 3 {
		t.Errorf("contoso against its state: %+v", part.Sites[0])
	}
	var st0, st1 report.FleetState
	json.Unmarshal(before, &st0)
	after, _ := os.ReadFile(state)
	json.Unmarshal(after, &st1)
	if !reflect.DeepEqual(st0.Sites, st1.Sites) {
		t.Errorf("state after a partial run:\n%s\nwas\n%s", after, before)
	}
	// A selected site that is not there any more is gone; an unselected one never is.
	os.RemoveAll(filepath.Join(fleetDir, "fabrikam"))
	os.RemoveAll(filepath.Join(fleetDir, "quiet"))
	part = fleetRun(t, "--fleet", fleetDir, "--state", state, "--sites", "f*,contoso")
	if !reflect.DeepEqual(part.Gone, []string{"fabrikam"}) {
		t.Errorf("gone: %q", part.Gone)
	}
	st, _ := report.ReadFleetState(state)
	if _, ok := st.Sites["fabrikam"]; ok || len(st.Sites) != 3 {
		t.Errorf("state: fabrikam kept, or quiet (unselected) dropped: %+v", st.Sites)
	}
	if _, ok := st.Sites["quiet"]; !ok {
		t.Errorf("state: quiet, outside the run, dropped: %+v", st.Sites)
	}

	// Two shards at once on one state file, each from an empty start: both shards' sites stay.
	fleet2 := filepath.Join(root, "fleet2")
	copyFile(t, broken, filepath.Join(fleet2, "contoso", "a.csv")) // shard 1 of 2
	copyFile(t, hour00, filepath.Join(fleet2, "alpha", "a.csv"))   // shard 2 of 2
	shared := filepath.Join(root, "shared.json")
	var wg sync.WaitGroup
	for k := 1; k <= 2; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _, stderr := runCLI(t, "diagnose", "--fleet", fleet2, "--fail-on", "never", "--shard", fmt.Sprintf("%d/2", k), "--state", shared)
			if code != exitOK {
				t.Errorf("shard %d/2: exit %d %s", k, code, stderr)
			}
		}()
	}
	wg.Wait()
	st, _ = report.ReadFleetState(shared)
	if st == nil || len(st.Sites) != 2 {
		t.Errorf("shared state after two shards at once: %+v", st)
	}

	// A state file per shard: each holds its shard's sites, night after night.
	for night := 1; night <= 2; night++ {
		for k, site := range []string{"contoso", "alpha"} {
			own := filepath.Join(root, fmt.Sprintf("state-%dof2.json", k+1))
			f := fleetRun(t, "--fleet", fleet2, "--shard", fmt.Sprintf("%d/2", k+1), "--state", own)
			if len(f.Sites) != 1 || f.Sites[0].Site != site || f.Sites[0].NewSite || len(f.Gone) > 0 {
				t.Errorf("night %d, shard %d/2: %+v", night, k+1, f)
			}
			if night == 2 && (f.Previous == nil || len(f.Sites[0].New) > 0) {
				t.Errorf("night 2, shard %d/2: not compared with its own state: %+v", k+1, f)
			}
			st, _ := report.ReadFleetState(own)
			if _, ok := st.Sites[site]; !ok || len(st.Sites) != 1 {
				t.Errorf("night %d: %s holds %+v", night, own, st.Sites)
			}
		}
	}
}

// lineDiff shows the first lines where got and want differ.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		if i >= len(g) || i >= len(w) || g[i] != w[i] {
			lo, hi := max(i-3, 0), i+4
			return fmt.Sprintf("line %d:\ngot:\n%s\nwant:\n%s", i+1, strings.Join(g[lo:min(hi, len(g))], "\n"), strings.Join(w[lo:min(hi, len(w))], "\n"))
		}
	}
	return "(same lines)"
}

// Shards writing their results into a blob container (Azurite, a SAS) take every site once;
// their results read back from the container (--from-results) are the sites they found, and
// each site's JSON report is in it.
func TestFleetShardsIntoContainer(t *testing.T) {
	t.Parallel()
	az := azuritetest.Start(t)
	ctx := context.Background()
	if _, err := az.Client(t).CreateContainer(ctx, "results", nil); err != nil {
		t.Fatal(err)
	}
	writeSAS := az.ContainerSASWith(t, "results", sas.ContainerPermissions{Read: true, List: true, Write: true, Create: true})
	readSAS := az.ContainerSAS(t, "results")
	root := t.TempDir()
	fleetDir := filepath.Join(root, "fleet")
	names := []string{"contoso", "fabrikam", "northwind", "tailspin"}
	genFleet(t, fleetDir, 24<<10, names...)

	url := az.URL + "/results/nightly?" + writeSAS
	var shards []report.FleetSite
	for k := 1; k <= 2; k++ {
		f := fleetRun(t, "--fleet", fleetDir, "--parallel", "2", "--shard", fmt.Sprintf("%d/2", k), "--results", url)
		for _, s := range f.Sites {
			if shardOf(s.Site, 2) != k {
				t.Errorf("shard %d/2 took %s", k, s.Site)
			}
		}
		shards = append(shards, sitesOf(f)...)
	}
	// (that shards add up to one run is TestFleetShardsAddUp's)
	sort.Slice(shards, func(i, j int) bool { return shards[i].Site < shards[j].Site })
	if got := siteNames(shards); !reflect.DeepEqual(got, names) {
		t.Fatalf("the two shards' sites: %q", got)
	}
	back := fleetRun(t, "--from-results", az.URL+"/results/nightly?"+readSAS)
	if !reflect.DeepEqual(sitesOf(back), shards) {
		t.Errorf("read back from the container:\n%+v\nthe shards'\n%+v", sitesOf(back), shards)
	}
	if strings.Contains(fmt.Sprint(back), "sig=") {
		t.Errorf("the SAS shows in the summary read back")
	}
	l, err := blob.OpenLake(az.URL+"/results/nightly", &blob.Options{ConnectionString: az.ConnectionString()})
	if err != nil {
		t.Fatal(err)
	}
	reports, err := l.List(ctx, "sites")
	if err != nil || len(reports) != len(names) {
		t.Errorf("site reports in the container: %q %v", reports, err)
	}
	tables, err := l.List(ctx, store.ResultsDir)
	if err != nil || len(tables) != 2 {
		t.Errorf("results tables in the container: %q %v", tables, err)
	}
	// A SAS that may not write: the run says so (after diagnosing) and exits 4.
	code, _, stderr := runCLI(t, "diagnose", "--fleet", fleetDir, "--sites", "contoso", "--results", az.URL+"/results/ro?"+readSAS)
	if code != exitFatal || !strings.Contains(stderr, "cannot upload") || strings.Contains(stderr, "sig=") {
		t.Errorf("--results with a read-only SAS: exit %d\n%s", code, stderr)
	}
}
