package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kudulens/kudulens/pipeline/blob"
	"github.com/kudulens/kudulens/pipeline/store"
	"github.com/kudulens/kudulens/report"
	klsql "github.com/kudulens/kudulens/sql"
)

// Results of a fleet run (diagnose --fleet SRC --results DIR), for N shards on N machines to
// add up to one fleet picture:
//
//	DIR/sites/<site>.json                               each site's JSON report, as diagnose --format json writes it
//	DIR/results/shard=<K>-of-<N>/part-<run_id>.parquet  the results table of one run (pipeline/store/results.go)
//
// A site's JSON report is written when the site is done; the run's Parquet file at the end of
// the run. diagnose --from-results DIR reads the table back as one fleet summary.

// resultsSitesDir holds the sites' JSON reports inside a --results folder.
const resultsSitesDir = "sites"

// fleetResults collects what a run writes into --results.
type fleetResults struct {
	dir   string
	runID string // <run start, UTC>-<random>: unique per run, sorts by time
	runAt time.Time
	shard string // "2-of-4"
	fleet string // the fleet's source as reports show it
}

func newFleetResults(dir string, runAt time.Time, shard, fleet string) (*fleetResults, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	return &fleetResults{dir: dir, runAt: runAt, shard: shard, fleet: fleet,
		runID: runAt.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])}, nil
}

// jsonReportPath is where a site's JSON report goes, relative to the results folder.
func jsonReportPath(site string) string {
	return resultsSitesDir + "/" + safeFileName(site) + ".json"
}

// siteCheck is what the results table keeps of a check's result: no evidence, no advice, so
// that a fleet run holds a few hundred bytes per check of a site it finished. (JSON: a site's
// worker process hands them to the fleet run.)
type siteCheck struct {
	ID        string         `json:"id"`
	Title     string         `json:"title"`
	Severity  klsql.Severity `json:"severity"`
	Status    klsql.Status   `json:"status"`
	Count     int64          `json:"count"`
	FirstSeen *time.Time     `json:"firstSeen,omitempty"`
	LastSeen  *time.Time     `json:"lastSeen,omitempty"`
}

func siteChecksOf(rep *klsql.Report) []siteCheck {
	out := make([]siteCheck, len(rep.Checks))
	for i, c := range rep.Checks {
		out[i] = siteCheck{ID: c.ID, Title: c.Title, Severity: c.Severity, Status: c.Status, Count: c.Count,
			FirstSeen: utcTimePtr(c.FirstSeen), LastSeen: utcTimePtr(c.LastSeen)}
	}
	return out
}

func utcTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// rows turns one site's summary and checks into rows of the results table.
func (r *fleetResults) rows(s *report.FleetSite, checks []siteCheck, jsonReport string) []store.ResultRow {
	base := store.ResultRow{RunID: r.runID, RunAt: r.runAt, Shard: r.shard, Fleet: r.fleet,
		Site: s.Site, Source: s.Source, SiteStatus: s.Status, Verdict: s.Verdict, Error: s.Error,
		Files: s.Files, Lines: s.Lines, Rejected: s.Rejected, InputErrors: int64(s.InputErrors),
		Report: s.Report, JSONReport: jsonReport, EvaluatedAt: s.EvaluatedAt, FailingRank: -1}
	if len(checks) == 0 {
		return []store.ResultRow{base}
	}
	rank := map[string]int{}
	since := map[string]time.Time{}
	for i, f := range s.Failing {
		rank[f.ID], since[f.ID] = i, f.Since
	}
	out := make([]store.ResultRow, len(checks))
	for i, c := range checks {
		row := base
		row.Check, row.Title, row.Severity, row.Status = c.ID, c.Title, string(c.Severity), string(c.Status)
		row.Count, row.FirstSeen, row.LastSeen, row.Position = c.Count, c.FirstSeen, c.LastSeen, i
		if k, ok := rank[c.ID]; ok {
			t := since[c.ID]
			row.FailingRank, row.Since = k, &t
		}
		out[i] = row
	}
	return out
}

// write commits the run's results table (one Parquet file of its own).
func (r *fleetResults) write(ctx context.Context, rows []store.ResultRow) (string, error) {
	path := filepath.Join(r.dir, store.ResultsDir, "shard="+r.shard, "part-"+r.runID+".parquet")
	return path, store.WriteResults(ctx, path, rows)
}

// fleetFromResults reads a --results folder back as one fleet summary: each site as the
// latest run that diagnosed it left it.
func fleetFromResults(ctx context.Context, dir string, sel siteSelection) (*report.Fleet, []string, error) {
	rows, err := store.ReadResults(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	fleet := &report.Fleet{GeneratedAt: time.Now().UTC().Truncate(time.Second), Sites: []report.FleetSite{}}
	sources := map[string]bool{}
	var names []string
	type failing struct {
		rank int
		f    report.FleetFailure
	}
	var fails []failing
	flush := func() {
		if len(fleet.Sites) == 0 {
			return
		}
		s := &fleet.Sites[len(fleet.Sites)-1]
		sort.Slice(fails, func(i, j int) bool { return fails[i].rank < fails[j].rank })
		for _, f := range fails {
			s.Failing = append(s.Failing, f.f)
		}
		fails = nil
	}
	for i := range rows {
		r := &rows[i]
		if i == 0 || r.Site != rows[i-1].Site {
			flush()
			names = append(names, r.Site)
			if !sel.takes(r.Site) {
				continue
			}
			if r.Fleet != "" {
				sources[r.Fleet] = true
			}
			fleet.Sites = append(fleet.Sites, report.FleetSite{Site: r.Site, Source: r.Source, Status: r.SiteStatus,
				Verdict: r.Verdict, EvaluatedAt: r.EvaluatedAt, Failing: []report.FleetFailure{}, Files: r.Files,
				Lines: r.Lines, Rejected: r.Rejected, InputErrors: int(r.InputErrors), Error: r.Error, Report: r.Report})
		}
		if !sel.takes(r.Site) || r.Check == "" {
			continue
		}
		s := &fleet.Sites[len(fleet.Sites)-1]
		if klsql.Status(r.Status) == klsql.StatusUnknown {
			s.Unknown++
		}
		if r.FailingRank >= 0 && r.Since != nil {
			fails = append(fails, failing{r.FailingRank, report.FleetFailure{ID: r.Check, Title: r.Title,
				Severity: klsql.Severity(r.Severity), Since: *r.Since}})
		}
	}
	flush()
	var src []string
	for s := range sources {
		src = append(src, s)
	}
	sort.Strings(src)
	fleet.Source = strings.Join(src, ", ")
	if fleet.Source == "" {
		fleet.Source = dir
	}
	fleet.Note = fmt.Sprintf("read back from the results in %s", dir)
	return fleet, names, nil
}

// resultsContainer is a --results or --from-results blob container (or prefix): the run
// works in a private local folder (stage) and publishes to, or reads from, the container.
type resultsContainer struct {
	remote *blob.Lake
	stage  string
}

// openResultsContainer checks that the container can be listed with the credential chosen
// (before any site is diagnosed) and makes the local folder.
func openResultsContainer(ctx context.Context, url string, o *blob.Options) (*resultsContainer, error) {
	l, err := blob.OpenLake(url, o)
	if err != nil {
		return nil, err
	}
	if err := l.Probe(ctx); err != nil {
		return nil, err
	}
	stage, err := os.MkdirTemp("", "kudulens-results-")
	if err != nil {
		return nil, err
	}
	return &resultsContainer{remote: l, stage: stage}, nil
}

func (c *resultsContainer) remove() { os.RemoveAll(c.stage) }

// publish uploads what the run wrote in the stage: the sites' JSON reports, then the results
// table's Parquet file, which names them (a reader of the container that sees a run's rows
// finds their reports).
func (c *resultsContainer) publish(ctx context.Context) error {
	var reports, tables []string
	err := filepath.WalkDir(c.stage, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(c.stage, p)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); strings.HasPrefix(rel, store.ResultsDir+"/") {
			tables = append(tables, rel)
		} else {
			reports = append(reports, rel)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, rel := range append(reports, tables...) {
		if err := c.remote.Upload(ctx, filepath.Join(c.stage, filepath.FromSlash(rel)), rel); err != nil {
			return err
		}
	}
	return nil
}

// fetchTables downloads the results tables of the container into the stage.
func (c *resultsContainer) fetchTables(ctx context.Context) error {
	rels, err := c.remote.List(ctx, store.ResultsDir)
	if err != nil {
		return err
	}
	for _, rel := range rels {
		if !strings.HasSuffix(rel, ".parquet") {
			continue
		}
		local := filepath.Join(c.stage, filepath.FromSlash(rel))
		if !filepath.IsLocal(filepath.FromSlash(rel)) {
			return fmt.Errorf("%s: %q is not a path inside the results", c.remote, rel)
		}
		if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
			return err
		}
		if err := c.remote.Download(ctx, rel, local); err != nil {
			return err
		}
	}
	return nil
}
