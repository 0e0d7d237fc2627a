package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kudulens/kudulens/internal/escape"
	"github.com/kudulens/kudulens/parse"
	"github.com/kudulens/kudulens/pipeline"
	"github.com/kudulens/kudulens/pipeline/blob"
	"github.com/kudulens/kudulens/pipeline/store"
	"github.com/kudulens/kudulens/report"
	klsql "github.com/kudulens/kudulens/sql"
)

// Fleet mode (diagnose --fleet DIR): every top-level entry of DIR is one site — a bundle file
// (.zip, .tar.gz, ...), a folder of logs, or a folder written by export --parquet — named by
// the entry's name without its archive extensions. Entries whose name starts with '.' or '_'
// are left out (hidden files, the state file). A blob container (or a prefix in one) is a
// fleet the same way: its top-level folders and blobs are the sites. Each site is ingested
// into its own in-memory database, diagnosed with the same checks and options, and closed
// before the next one
// (--parallel N runs N at once). The summary has one row per site; with --state FILE it also
// says what changed since the run that wrote FILE, and rewrites FILE.

type fleetOptions struct {
	dir, state, reports, format, out string
	parallel                         int
	minSev                           klsql.Severity
	checks                           []*klsql.Check
	opts                             klsql.Options
	since                            string
	// --shard, --sites (fleet_select.go): the part of the fleet this run takes
	shard string
	sites []string
	sel   siteSelection
	// --results DIR: each site's JSON report and the results table (fleet_results.go);
	// --from-results DIR: read such a folder back as the summary instead of running
	results, fromResults string
	// args are the diagnose command's arguments, which each site's worker process is given
	// (fleet_worker.go); worker is --fleet-worker: this process is one.
	args   []string
	worker bool
}

// fleetEntry is one site: path is the source argument that reads it (for a blob site it holds
// the SAS), display what reports show of it. skip, when set, says why the entry is not read
// at all (a symlink, a named pipe): the site is listed as failed with that reason.
type fleetEntry struct {
	site, path, display, skip string
	lake                      *lakeSelection // path is a lake holding several sites: load this one (lakefleet.go)
}

// fleetEntries lists the sites of dir, sorted by name; when dir is one site's own folder
// (see siteRootMarks), that one site and a note saying so.
func fleetEntries(dir string) ([]fleetEntry, string, error) {
	if sites, ok, err := lakeFleetEntries(dir); ok || err != nil {
		return sites, "", err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, "", err
	}
	items := make([]fleetItem, len(ents))
	for i, e := range ents {
		p := filepath.Join(dir, e.Name())
		items[i] = fleetItem{name: e.Name(), folder: e.IsDir(), path: p, display: p, skip: notReadReason(p, e.Type())}
		if e.IsDir() && strings.EqualFold(e.Name(), "data") {
			fi, err := os.Stat(filepath.Join(p, "jobs"))
			items[i].holdsJobs = err == nil && fi.IsDir()
		}
	}
	if marks := siteRootMarks(items); len(marks) > 0 {
		name := filepath.Base(dir)
		if abs, err := filepath.Abs(dir); err == nil {
			name = filepath.Base(abs)
		}
		return []fleetEntry{{site: name, path: dir, display: dir}}, siteRootNote(dir, name, marks), nil
	}
	return namedSites(items), "", nil
}

// notReadReason says why a fleet folder's entry of type typ is not read: a symlink is not
// followed (it may point at another customer's logs or at /etc), and a named pipe, socket or
// device is no bundle (opening a pipe without a writer would hang the nightly run). "" for
// files and folders.
func notReadReason(path string, typ os.FileMode) string {
	switch {
	case typ.IsDir() || typ.IsRegular():
		return ""
	case typ&os.ModeSymlink != 0:
		target, _ := os.Readlink(path)
		return fmt.Sprintf("symlink to %s skipped: links in a fleet folder are not followed", target)
	case typ&os.ModeNamedPipe != 0:
		return "named pipe skipped: not a regular file"
	case typ&os.ModeSocket != 0:
		return "socket skipped: not a regular file"
	case typ&os.ModeDevice != 0:
		return "device skipped: not a regular file"
	}
	return "not a regular file or folder: skipped"
}

// blobFleetEntries lists the sites of a blob container or prefix: its top-level folders and
// blobs, named as on disk; when the prefix is one site's own folder, that one site and a note.
func blobFleetEntries(ctx context.Context, src string, o *blob.Options) ([]fleetEntry, string, error) {
	sites, err := blob.ListSites(ctx, src, o)
	if err != nil {
		return nil, "", err
	}
	if isBlobLake(sites) {
		return nil, "", fmt.Errorf("%s is %w", blob.StripQuery(src), errBlobLake)
	}
	items := make([]fleetItem, len(sites))
	for i, s := range sites {
		items[i] = fleetItem{name: s.Name, folder: s.Folder, holdsJobs: s.HoldsJobs, path: s.Source, display: s.Display}
	}
	if marks := siteRootMarks(items); len(marks) > 0 {
		display := blob.StripQuery(src)
		name := display[strings.LastIndex(strings.TrimRight(display, "/"), "/")+1:]
		name = strings.TrimRight(name, "/")
		return []fleetEntry{{site: name, path: src, display: display}}, siteRootNote(display, name, marks), nil
	}
	return namedSites(items), "", nil
}

// fleetItem is a top-level entry of a fleet, before it is named as a site.
type fleetItem struct {
	name                string
	folder              bool
	holdsJobs           bool // a "data" folder with jobs/ in it
	path, display, skip string
}

// siteRootMarks is what makes a fleet's root one site's own folder rather than a folder of
// sites: data/jobs (Kudu's web-jobs), applogs/ (the application-log container) or job logs at
// its top. A fleet pointed at one site would otherwise report applogs and data as two sites.
func siteRootMarks(items []fleetItem) []string {
	var marks []string
	for _, it := range items {
		n := strings.ToLower(it.name)
		switch {
		case it.folder && n == "data" && it.holdsJobs:
			marks = append(marks, it.name+"/jobs/")
		case it.folder && n == "applogs":
			marks = append(marks, it.name+"/")
		case !it.folder && (n == "job_log.txt" || n == "job_prev_log.txt"):
			marks = append(marks, it.name)
		}
	}
	return marks
}

// siteRootNote tells that --fleet was given one site.
func siteRootNote(where, site string, marks []string) string {
	return fmt.Sprintf("%s holds one site's logs (%s), not a folder of sites: diagnosed as the one site %q", where, strings.Join(marks, ", "), site)
}

// namedSites names the items as sites (see siteName), leaving out hidden ones ('.' or '_'),
// sorted by site name.
func namedSites(items []fleetItem) []fleetEntry {
	var out []fleetEntry
	seen := map[string]string{}
	for _, it := range items {
		if strings.HasPrefix(it.name, ".") || strings.HasPrefix(it.name, "_") {
			continue
		}
		site := siteName(it.name, it.folder)
		if prev, ok := seen[site]; ok {
			site = it.name // two entries with one site name (site.zip and site/): keep them apart
			if prev == site {
				continue
			}
		}
		seen[site] = it.name
		out = append(out, fleetEntry{site: site, path: it.path, display: it.display, skip: it.skip})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].site < out[j].site })
	return out
}

// siteName is an entry's name without archive extensions (contoso.tar.gz → contoso).
func siteName(name string, dir bool) string {
	if dir {
		return name
	}
	for {
		ext := strings.ToLower(filepath.Ext(name))
		switch ext {
		case ".zip", ".tar", ".gz", ".tgz", ".zst", ".zstd":
			name = strings.TrimSuffix(name, name[len(name)-len(ext):])
			continue
		}
		return name
	}
}

func runFleet(ctx context.Context, fo *fleetOptions, sf *storeFlags, e *env) int {
	var entries []fleetEntry
	var note string // the source is one site's folder, not a fleet
	var err error
	source := fo.dir
	if blob.IsSource(fo.dir) {
		source = blob.StripQuery(fo.dir)
		entries, note, err = blobFleetEntries(ctx, fo.dir, sf.blob.options(e))
		if errors.Is(err, errBlobLake) {
			// A lake in the container: the sites this run takes are fetched into a private
			// folder and read from there, as a lake on disk.
			var dir string
			var remove func()
			dir, remove, err = fetchFleetLake(ctx, fo.dir, sf.blob.options(e), fo.sel.takes)
			if err == nil {
				defer remove()
				if entries, _, err = lakeFleetEntriesNamed(dir, blobLakeName(fo.dir)); err == nil && len(entries) == 0 {
					err = fmt.Errorf("%s: the lake holds no committed export", source)
				}
				for i := range entries {
					entries[i].display = source
				}
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return fatal(e, ctx.Err())
			}
			fmt.Fprintf(e.stderr, "kudulens diagnose: --fleet: %s\n", escape.TerminalLines(err.Error()))
			return exitInputFailed
		}
	} else {
		fi, err := os.Stat(fo.dir)
		if err != nil || !fi.IsDir() {
			fmt.Fprintf(e.stderr, "kudulens diagnose: --fleet %s: not a folder or a blob container (each of its top-level files or folders is one site)\n", fo.dir)
			return exitUsage
		}
		if entries, note, err = fleetEntries(fo.dir); err != nil {
			return fatal(e, err)
		}
	}
	// The text summary on the terminal says it under its title; elsewhere stderr tells.
	if note != "" && !sf.quiet && (fo.format != "text" || (fo.out != "" && fo.out != "-")) {
		fmt.Fprintf(e.stderr, "kudulens diagnose: --fleet: %s\n", escape.Terminal(note))
	}
	if !sf.noRedact {
		// A site named after its bundle file may carry the SAS it was downloaded with.
		for i := range entries {
			entries[i].site, entries[i].display = redactName(entries[i].site), redactName(entries[i].display)
		}
	}
	var prev *report.FleetState
	if fo.state != "" {
		if prev, err = report.ReadFleetState(fo.state); err != nil {
			return fatal(e, err)
		}
	}
	// A pattern must match a site of the fleet, or one of the state's (a site gone since).
	names := make([]string, 0, len(entries))
	for _, en := range entries {
		names = append(names, en.site)
	}
	if prev != nil {
		for name := range prev.Sites {
			names = append(names, name)
		}
	}
	if bad := fo.sel.unmatchedGlobs(names); len(bad) > 0 {
		where := fmt.Sprintf("the %d sites of %s", len(entries), escape.Terminal(source))
		if prev != nil {
			where += " nor of the state file"
		}
		fmt.Fprintf(e.stderr, "kudulens diagnose: --sites %s matches none of %s\n", escape.Terminal(strings.Join(bad, ",")), where)
		return exitUsage
	}
	total := len(entries)
	if !fo.sel.all() {
		taken := entries[:0:0]
		for _, en := range entries {
			if fo.sel.takes(en.site) {
				taken = append(taken, en)
			}
		}
		entries = taken
	}
	if fo.reports != "" {
		if err := os.MkdirAll(fo.reports, 0o755); err != nil {
			return fatal(e, err)
		}
	}
	fleet := &report.Fleet{GeneratedAt: time.Now().UTC().Truncate(time.Second), Source: source, Note: note,
		Selection: fo.sel.describe(len(entries), total), Sites: make([]report.FleetSite, len(entries))}
	var res *fleetResults
	var resRows []store.ResultRow
	var resOut *resultsContainer // --results CONTAINER
	if blob.IsSource(fo.results) {
		if resOut, err = openResultsContainer(ctx, fo.results, sf.blob.options(e)); err != nil {
			fmt.Fprintf(e.stderr, "kudulens diagnose: --results: %s\n", escape.TerminalLines(err.Error()))
			return exitFatal
		}
		defer resOut.remove()
		fo.results = resOut.stage // the workers write the sites' reports there too
	}
	if fo.results != "" {
		if err := os.MkdirAll(filepath.Join(fo.results, resultsSitesDir), 0o755); err != nil {
			return fatal(e, err)
		}
		if res, err = newFleetResults(fo.results, fleet.GeneratedAt, fo.sel.shardLabel(), source); err != nil {
			return fatal(e, err)
		}
	}
	// Each site is diagnosed in a process of its own (fleet_worker.go); what a finished site
	// leaves in this one is its summary row and its rows of the results table.
	var mu sync.Mutex
	sem := make(chan struct{}, max(1, fo.parallel))
	var wg sync.WaitGroup
	for i, en := range entries {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			row, checks, jsonReport := diagnoseSiteInWorker(ctx, en, fo, sf, e)
			fleet.Sites[i] = row
			if res != nil {
				rows := res.rows(&row, checks, jsonReport)
				mu.Lock()
				resRows = append(resRows, rows...)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return exitInterrupted
	}
	if res != nil {
		if _, err := res.write(ctx, resRows); err != nil {
			return fatal(e, err)
		}
	}
	if resOut != nil {
		if err := resOut.publish(ctx); err != nil {
			fmt.Fprintf(e.stderr, "kudulens diagnose: --results: %s\n", escape.TerminalLines(err.Error()))
			return exitFatal
		}
	}
	return finishFleet(fleet, prev, fo, sf, e)
}

// finishFleet compares the summary with the previous state, writes it (and the state) and
// returns the exit code: the end of a fleet run and of --from-results.
func finishFleet(fleet *report.Fleet, prev *report.FleetState, fo *fleetOptions, sf *storeFlags, e *env) int {
	inRun := fo.sel.inRun()
	fleet.Compare(prev, inRun)
	var buf bytes.Buffer
	var err error
	switch fo.format {
	case "json":
		err = report.FleetJSON(&buf, fleet)
	case "md", "markdown":
		err = report.FleetMarkdown(&buf, fleet)
	case "html":
		err = report.FleetHTML(&buf, fleet)
	default:
		err = report.FleetText(&buf, fleet)
	}
	if err != nil {
		return fatal(e, err)
	}
	if err := writeOutput(fo.out, buf.Bytes(), e.stdout); err != nil {
		return fatal(e, err)
	}
	if fo.out != "" && fo.out != "-" && !sf.quiet {
		fmt.Fprintf(e.stdout, "%s\n", escape.Terminal(report.FleetVerdict(fleet)))
	}
	if fo.state != "" {
		if err := writeFleetState(fo.state, fleet, inRun); err != nil {
			return fatal(e, err)
		}
	}
	code := exitOK
	for _, s := range fleet.Sites {
		if s.Status == "failed" || s.Status == "empty" || s.InputErrors > 0 {
			code = exitInputFailed
		}
	}
	for _, s := range fleet.Sites {
		for _, c := range s.Failing {
			if fo.minSev != "" && c.Severity.Rank() >= fo.minSev.Rank() {
				return exitCheckFailed
			}
		}
	}
	return code
}

// writeFleetState rewrites the state file with this run's sites. The file is read again
// right before, under a lock, so that runs of other shards that wrote it since this run read
// it keep their sites (report.Fleet.State).
func writeFleetState(path string, fleet *report.Fleet, inRun func(string) bool) error {
	unlock, err := lockFile(path)
	if err != nil {
		return fmt.Errorf("lock %s: %w", path, err)
	}
	defer unlock()
	cur, err := report.ReadFleetState(path)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(fleet.State(cur, inRun), "", "  ")
	if err != nil {
		return err
	}
	return writeOutput(path, append(b, '\n'), nil)
}

// runFromResults is diagnose --from-results DIR: the summary of what fleet runs with
// --results DIR found, without running anything.
func runFromResults(ctx context.Context, fo *fleetOptions, sf *storeFlags, e *env) int {
	dir := fo.fromResults
	if blob.IsSource(dir) {
		c, err := openResultsContainer(ctx, dir, sf.blob.options(e))
		if err == nil {
			defer c.remove()
			err = c.fetchTables(ctx)
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "kudulens diagnose: --from-results: %s\n", escape.TerminalLines(err.Error()))
			return exitInputFailed
		}
		dir = c.stage
	}
	fleet, names, err := fleetFromResults(ctx, dir, fo.sel)
	if err != nil {
		if ctx.Err() != nil {
			return fatal(e, ctx.Err())
		}
		fmt.Fprintf(e.stderr, "kudulens diagnose: --from-results: %s\n", escape.TerminalLines(err.Error()))
		return exitInputFailed
	}
	if bad := fo.sel.unmatchedGlobs(names); len(bad) > 0 {
		fmt.Fprintf(e.stderr, "kudulens diagnose: --sites %s matches none of the %d sites in %s\n", escape.Terminal(strings.Join(bad, ",")), len(names), escape.Terminal(blob.StripQuery(fo.fromResults)))
		return exitUsage
	}
	fleet.Selection = fo.sel.describe(len(fleet.Sites), len(names))
	var prev *report.FleetState
	if fo.state != "" {
		if prev, err = report.ReadFleetState(fo.state); err != nil {
			return fatal(e, err)
		}
	}
	return finishFleet(fleet, prev, fo, sf, e)
}

// diagnoseSite ingests one site into its own in-memory database and diagnoses it. With
// --results it writes the site's JSON report and returns the checks' results (without their
// evidence) and the report's path relative to the results folder.
func diagnoseSite(ctx context.Context, en fleetEntry, fo *fleetOptions, sf *storeFlags, e *env) (report.FleetSite, []siteCheck, string) {
	failed := func(err error) (report.FleetSite, []siteCheck, string) {
		return report.FleetSite{Site: en.site, Source: en.display, Status: "failed", Error: err.Error(),
			Failing: []report.FleetFailure{}, Verdict: "could not be diagnosed"}, nil, ""
	}
	if en.skip != "" {
		return failed(errors.New(en.skip))
	}
	database, err := sf.open(ctx, "")
	if err != nil {
		return failed(err)
	}
	defer database.Close()
	inputErrors := 0
	if store.IsParquetDir(en.path) {
		if err := loadLake(ctx, database, en); err != nil {
			return failed(err)
		}
	} else {
		o := sf.ingestOptions(e)
		o.Walk.Stdin = nil
		sum, err := pipeline.Ingest(ctx, database, []string{en.path}, o, nil)
		if err != nil {
			return failed(err)
		}
		for _, f := range sum.Files {
			if f.Row.Status == "failed" || f.Row.Status == "partial" {
				inputErrors++
			}
		}
	}
	opts := fo.opts
	if fo.since != "" {
		if opts.Since, err = parseSince(ctx, fo.since, opts.At, database); err != nil {
			return failed(err)
		}
	}
	rep, err := klsql.Run(ctx, database.DB(), fo.checks, opts)
	if err != nil {
		return failed(err)
	}
	row := report.FleetSiteFromReport(en.site, en.display, rep)
	row.InputErrors = inputErrors
	var checks []siteCheck
	var jsonReport string
	if fo.results != "" {
		checks = siteChecksOf(rep)
		// The same JSON as diagnose --format json on the site alone.
		site, err := klsql.SiteName(ctx, database.DB())
		var buf bytes.Buffer
		if err == nil {
			err = report.SiteJSON(&buf, rep, site)
		}
		if err == nil {
			err = writeOutput(filepath.Join(fo.results, filepath.FromSlash(jsonReportPath(en.site))), buf.Bytes(), nil)
		}
		if err != nil {
			row.Error = "JSON report: " + err.Error()
		} else {
			jsonReport = jsonReportPath(en.site)
		}
	}
	if fo.reports != "" {
		var buf bytes.Buffer
		if err := writeHTML(ctx, &buf, database, rep); err != nil {
			row.Error = "report: " + err.Error()
			return row, checks, jsonReport
		}
		path := filepath.Join(fo.reports, safeFileName(en.site)+".html")
		if err := writeOutput(path, buf.Bytes(), nil); err != nil {
			row.Error = err.Error()
			return row, checks, jsonReport
		}
		row.Report = path
		if fo.out != "" { // link relative to the summary
			if rel, err := filepath.Rel(filepath.Dir(fo.out), path); err == nil {
				row.Report = filepath.ToSlash(rel)
			}
		}
	}
	return row, checks, jsonReport
}

// redactName removes secrets from a name (a file saved by wget "<URL>?<SAS>").
func redactName(s string) string {
	if r, changed := parse.Redact(nil, []byte(s)); changed {
		return string(r)
	}
	return s
}

func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < 0x20 {
			return '_'
		}
		return r
	}, s)
}
