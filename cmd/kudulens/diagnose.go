package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kudulens/kudulens/internal/escape"
	"github.com/kudulens/kudulens/internal/outfile"
	"github.com/kudulens/kudulens/pipeline/store"
	"github.com/kudulens/kudulens/report"
	klsql "github.com/kudulens/kudulens/sql"
	"github.com/kudulens/kudulens/sql/kql"
)

const diagnoseHelp = `Usage: kudulens diagnose SOURCE... [--db FILE] [--at TIME] [--since TIME|DURATION] [--format text|json|md|html]
                         [--brief] [--out FILE] [--fail-on error|warning|info|never] [--checks DIR] [--quiet]
       kudulens diagnose --fleet DIR|CONTAINER [--shard K/N] [--sites GLOB] [--state FILE] [--results DIR|CONTAINER] [--reports DIR]
                         [--parallel N] [--format text|json|md|html] [--out FILE] [--at TIME] [--since TIME|DURATION]
                         [--fail-on ...] [--checks DIR]
       kudulens diagnose --from-results DIR|CONTAINER [--shard K/N] [--sites GLOB] [--state FILE] [--format ...] [--out FILE] [--fail-on ...]

Runs every check of the vendor's monitoring guide (and more) on the logs and reports what is
wrong, with evidence (time, job, file:line, message) and advice. With SOURCE arguments the
sources are ingested first (into memory unless --db is given); without, --db is read.

Evaluation time (--at) defaults to the latest timestamp in the logs (capture time). A check
fails when its rule fires anywhere in the logs up to then (or since --since); checks that need
logs the bundle does not have say "unknown" with the reason.

Exit codes: 0 no check failed at or above --fail-on; 1 one did; 2 usage error; 3 some inputs
could not be read (the rest was diagnosed), or the inputs hold no log lines at all; 4 the run
failed.

Examples:
  kudulens diagnose customer-bundle.zip
  kudulens diagnose --db site.duckdb --format json --out report.json --fail-on warning
  kudulens diagnose bundle.zip --checks ./our-checks --format md > ticket.md
  kudulens diagnose bundle.zip --out report.html          # the format follows the extension
  kudulens diagnose bundle.zip --format md --brief > ticket.md   # a ticket summary, under 30 lines
  kudulens diagnose bundle.zip --since 1w --format md          # the last week only
  kudulens diagnose --fleet bundles/ --state fleet-state.json --format html --out fleet.html --reports sites/
  kudulens diagnose --fleet "https://acct.blob.core.windows.net/bundles/nightly?<SAS>" --format json
  kudulens diagnose --fleet bundles/ --shard 2/4 --results /shared/results   # machine 2 of 4
  kudulens diagnose --from-results /shared/results --state fleet-state.json --format html --out fleet.html

Fleet: every top-level file or folder of DIR is one site (a bundle, a folder of logs, or a
folder written by export --parquet), named by its name without archive extensions; names
starting with '.' or '_' are left out. DIR that is one site's own folder (data/jobs/, applogs/
or a job log at its top) is diagnosed as that one site, with a note. Each site is diagnosed in
a process of its own (memory does not grow with the sites). Exit 1 when a site fails a check at
or above --fail-on, 3 when a site could not be read completely.

Parts of a fleet: --shard K/N takes the sites with 1 + FNV-1a-32(site name) mod N = K (stable
from night to night; N runs with K = 1..N take every site once). --sites GLOB takes the sites
whose name matches a pattern (path.Match: * ? [a-z]; repeat the flag or separate patterns with
commas); a pattern that matches no site is a usage error. With --state, sites outside the run
keep their state: only a site the run was asked to take and did not find is "gone". Shards may
share one state file (it is re-read and rewritten under a lock) or keep one each.

--results DIR writes each site's JSON report (DIR/sites/SITE.json, as --format json) and the
run's rows of the results table (DIR/results/shard=K-of-N/part-RUN.parquet: one row per site and
check); shards on other machines write into the same DIR without touching each other's files.
--from-results DIR prints the one summary of every site in DIR, as its latest run left it.
Either may be a blob container URL (or az://container/prefix) with the credentials of blob
sources: the run writes in a private temporary folder and uploads its files at the end, the
sites' reports first and its Parquet file last; --from-results downloads the results tables.
`

func runDiagnose(ctx context.Context, args []string, e *env) int {
	var sf storeFlags
	var formatName, out, failOn, checksDir, at, since string
	var brief bool
	var fo fleetOptions
	fs := newFlagSet("diagnose", diagnoseHelp, e)
	sf.blob.parallelFlag = "diagnose" // --parallel is registered below, shared with --fleet
	sf.register(fs, "kudulens.duckdb")
	fs.StringVar(&formatName, "format", "text", "report format: text, json, md or html (one self-contained page with charts); default: from --out's extension (.html, .json, .md), else text")
	fs.StringVarP(&out, "out", "o", "", "write the report to this file instead of standard output (the one-line verdict is still printed unless --quiet)")
	fs.StringVar(&failOn, "fail-on", "error", "exit 1 when a check fails at or above this severity: error, warning, info or never")
	fs.BoolVar(&brief, "brief", false, "with --format md: a ticket summary under 30 lines (site, verdict, each failing check with its first evidence line and advice)")
	fs.StringVar(&checksDir, "checks", "", "a folder of your own .sql checks, added to the catalogue (same id replaces a built-in)")
	fs.StringVar(&sf.lakeSite, "site", "", lakeSiteUsage)
	fs.StringVar(&at, "at", "", "evaluation time (RFC 3339, e.g. 2026-11-20T09:30:00Z); default: the latest timestamp in the logs")
	fs.StringVar(&since, "since", "", "only lines at or after this time count (RFC 3339, or a duration before --at such as 36h, 7d or 1w)")
	fs.StringVar(&fo.dir, "fleet", "", "diagnose every site under this folder or blob container/prefix (each top-level file or folder is one site; a Parquet lake: each export_site) and write one summary")
	fs.StringVar(&fo.state, "state", "", "with --fleet: compare with the run that wrote this file (new and resolved failures), then rewrite it")
	fs.StringVar(&fo.reports, "reports", "", "with --fleet: also write each site's HTML report into this folder (linked from the summary)")
	fs.StringVar(&fo.shard, "shard", "", "with --fleet: diagnose only shard K of N (K/N, e.g. 2/4): the sites with 1 + FNV-1a-32(name) mod N = K")
	fs.StringSliceVar(&fo.sites, "sites", nil, "with --fleet: diagnose only the sites whose name matches this pattern (path.Match: * ? [a-z]); repeat or comma-separate for more")
	fs.StringVar(&fo.results, "results", "", "with --fleet: write each site's JSON report and the run's Parquet results table into this folder or blob container (shards may share it)")
	fs.BoolVar(&fo.worker, "fleet-worker", false, "internal: diagnose one site of a --fleet run, read from stdin")
	fs.MarkHidden("fleet-worker")
	fs.StringVar(&fo.fromResults, "from-results", "", "print the summary of the fleet runs that wrote --results into this folder or blob container, without running anything")
	// Default 0 = each use's own default (pflag would print one "(default N)" for both).
	fs.IntVar(&fo.parallel, "parallel", 0, "with --fleet: sites diagnosed at once, each in its own in-memory database (default 1); with blob sources: blobs downloaded at once (default 4)")
	if code := parseFlags(fs, args, e); code >= 0 {
		return code
	}
	if !fs.Changed("format") {
		formatName = formatFromOut(out, formatName)
	}
	if since != "" {
		if _, err := parseAgo(since); err != nil {
			if _, err := parseTime(since); err != nil {
				fmt.Fprintf(e.stderr, "kudulens diagnose: --since: cannot read %q as a time or a duration (e.g. 2026-11-19T00:00:00Z, 36h, 7d, 1w)\n", since)
				return exitUsage
			}
		}
	}
	switch formatName {
	case "text", "json", "md", "markdown", "html":
	default:
		fmt.Fprintf(e.stderr, "kudulens diagnose: unknown format %q (want text, json, md or html)\n", formatName)
		return exitUsage
	}
	if brief && formatName != "md" && formatName != "markdown" {
		fmt.Fprintln(e.stderr, "kudulens diagnose: --brief is the ticket summary of --format md (give --format md, or an --out FILE.md)")
		return exitUsage
	}
	var minSev klsql.Severity
	if failOn != "never" {
		s, err := klsql.SeverityFromString(failOn)
		if err != nil {
			fmt.Fprintf(e.stderr, "kudulens diagnose: --fail-on: %v (or never)\n", err)
			return exitUsage
		}
		minSev = s
	}
	opts := klsql.Options{KQL: func(q string, now time.Time) (string, error) {
		return kql.Translate(q, kql.Options{Now: now})
	}}
	if os.Getenv("KUDULENS_TRACE") != "" {
		opts.Trace = e.stderr
	}
	if at != "" {
		t, err := parseTime(at)
		if err != nil {
			fmt.Fprintf(e.stderr, "kudulens diagnose: --at: %v\n", err)
			return exitUsage
		}
		opts.At = t
	}
	checks, err := loadCatalogue(checksDir)
	if err != nil {
		fmt.Fprintf(e.stderr, "kudulens diagnose: %v\n", err)
		return exitUsage
	}
	if fs.Changed("sites") && len(fo.sites) == 0 {
		fmt.Fprintln(e.stderr, "kudulens diagnose: --sites: an empty pattern (give a site name or a pattern such as 'contoso-*')")
		return exitUsage
	}
	if fo.shard != "" || len(fo.sites) > 0 {
		if fo.dir == "" && fo.fromResults == "" {
			fmt.Fprintln(e.stderr, "kudulens diagnose: --shard and --sites choose sites of a fleet: give --fleet DIR|CONTAINER (or --from-results DIR)")
			return exitUsage
		}
		if fo.sel, err = newSiteSelection(fo.shard, fo.sites); err != nil {
			fmt.Fprintf(e.stderr, "kudulens diagnose: %v\n", err)
			return exitUsage
		}
	}
	if fo.results != "" && fo.dir == "" {
		fmt.Fprintln(e.stderr, "kudulens diagnose: --results is where a --fleet run writes its results (to read them back: --from-results DIR)")
		return exitUsage
	}
	if (fo.state != "" || fo.reports != "") && fo.dir == "" && fo.fromResults == "" {
		fmt.Fprintln(e.stderr, "kudulens diagnose: --state and --reports are for --fleet runs")
		return exitUsage
	}
	if fo.fromResults != "" {
		for _, f := range []string{"fleet", "reports", "db", "at", "since", "checks", "brief", "parallel"} {
			if fs.Changed(f) {
				fmt.Fprintf(e.stderr, "kudulens diagnose: --from-results reads what fleet runs found: --%s does not apply\n", f)
				return exitUsage
			}
		}
		if fs.NArg() > 0 {
			fmt.Fprintln(e.stderr, "kudulens diagnose: --from-results takes no SOURCE")
			return exitUsage
		}
		fo.format, fo.out, fo.minSev = formatName, out, minSev
		return runFromResults(ctx, &fo, &sf, e)
	}
	if fo.dir != "" {
		if brief {
			fmt.Fprintln(e.stderr, "kudulens diagnose: --brief is for one site, not --fleet")
			return exitUsage
		}
		if fs.NArg() > 0 || fs.Changed("db") {
			fmt.Fprintln(e.stderr, "kudulens diagnose: --fleet takes no SOURCE and no --db (each site is read into memory)")
			return exitUsage
		}
		fo.format, fo.out, fo.minSev, fo.checks, fo.opts, fo.since = formatName, out, minSev, checks, opts, since
		if fo.worker {
			return runFleetWorker(ctx, &fo, &sf, e)
		}
		fo.args = args
		return runFleet(ctx, &fo, &sf, e)
	}
	sf.blob.useParallel(fs, fo.parallel) // --parallel for blob sources too
	sf.blob.pruneFor(since, opts.At)     // blob sources: skip application-log hours not evaluated
	step := klsql.Tracer(opts.Trace)
	// A database of the run's own is read by the report only, unless checks of the user's may
	// read any message.
	sf.lean = checksDir == ""
	database, code := openOrIngest(ctx, fs.Changed("db"), fs.Args(), &sf, e)
	if database == nil {
		return code
	}
	defer func() {
		database.Close()
		step("close")
	}()
	step("open or ingest")
	if since != "" {
		t, err := parseSince(ctx, since, opts.At, database)
		if err != nil {
			fmt.Fprintf(e.stderr, "kudulens diagnose: --since: %v\n", err)
			return exitUsage
		}
		opts.Since = t
	}
	rep, err := klsql.Run(ctx, database.DB(), checks, opts)
	if err != nil {
		return fatal(e, err)
	}
	step("checks (klsql.Run)")
	var site string
	if formatName == "json" || brief {
		if site, err = klsql.SiteName(ctx, database.DB()); err != nil {
			return fatal(e, fmt.Errorf("site name: %w", err))
		}
	}
	var buf bytes.Buffer
	switch {
	case formatName == "json":
		err = report.SiteJSON(&buf, rep, site)
	case brief:
		err = report.MarkdownBrief(&buf, rep, site)
	case formatName == "md" || formatName == "markdown":
		err = report.Markdown(&buf, rep)
	case formatName == "html":
		err = writeHTML(ctx, &buf, database, rep)
	default:
		err = report.Text(&buf, rep, report.TextOptions{Color: out == "" && isTerminalWriter(e.stdout)})
	}
	if err != nil {
		return fatal(e, err)
	}
	step("report")
	if err := writeOutput(out, buf.Bytes(), e.stdout); err != nil {
		return fatal(e, err)
	}
	if out != "" && out != "-" && !sf.quiet {
		// The report went to a file: the answer still belongs on the terminal.
		fmt.Fprintf(e.stdout, "%s\n", escape.Terminal(report.Verdict(rep)))
	}
	if report.ExitFails(rep, minSev) {
		return exitCheckFailed
	}
	if report.NoLogs(rep) {
		// An empty folder or a bundle of the wrong files must not pass a nightly job as "ok".
		fmt.Fprintln(e.stderr, "kudulens diagnose: the inputs hold no log lines: nothing could be judged (exit 3)")
		return exitInputFailed
	}
	return code
}

// formatFromOut is the report format --out's extension names (report.html → html), or def
// when it names none: --out report.html without --format must not write text into it.
func formatFromOut(out, def string) string {
	switch strings.ToLower(filepath.Ext(out)) {
	case ".html", ".htm":
		return "html"
	case ".json":
		return "json"
	case ".md", ".markdown":
		return "md"
	case ".txt", ".text":
		return "text"
	}
	return def
}

func loadCatalogue(dir string) ([]*klsql.Check, error) {
	checks, err := klsql.BuiltinChecks()
	if err != nil {
		return nil, fmt.Errorf("built-in checks: %w", err)
	}
	if dir == "" {
		return checks, nil
	}
	user, err := klsql.LoadChecks(dir)
	if err != nil {
		return nil, err
	}
	return klsql.MergeChecks(checks, user), nil
}

// writeOutput writes data to path or, when path is "" or "-", to w. A regular file is
// replaced atomically; /dev/null, a FIFO or a symlink is written through (outfile.Write).
func writeOutput(path string, data []byte, w io.Writer) error {
	if path == "" || path == "-" {
		_, err := w.Write(data)
		return err
	}
	return outfile.Write(path, data, 0o644)
}

func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}

// parseTime accepts RFC 3339 and a few shorter forms, all read as UTC.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time (use RFC 3339, e.g. 2026-11-20T09:30:00Z)", s)
}

// parseSince reads --since: a time, or a duration before the evaluation time.
func parseSince(ctx context.Context, s string, at time.Time, database *store.Store) (time.Time, error) {
	if d, err := parseAgo(s); err == nil {
		if at.IsZero() {
			var t *time.Time
			if err := database.DB().QueryRowContext(ctx, "SELECT max(timestamp) FROM traces").Scan(&t); err != nil {
				return time.Time{}, err
			}
			if t == nil {
				return time.Time{}, fmt.Errorf("no logs to measure %s back from", s)
			}
			at = *t
		}
		return at.Add(-d).UTC(), nil
	}
	return parseTime(s)
}

const checksHelp = `Usage: kudulens checks [--checks DIR] [--format table|json] [--verbose]
       kudulens checks --emit duckdb|spark-sql --lake DIR|URL [--checks DIR] [-o FILE]
       kudulens checks --emit kql [--checks DIR] [-o FILE]

Lists the catalogue of checks: id, severity, rule, and the monitoring guide's original query
or rule beside it. --verbose adds the advice and the SQL.

--emit writes the catalogue as SQL views over a Parquet lake written by kudulens export, for
running the checks where the data is: the view kl_check_results has one row per site and
check (site, check, status, count, first_seen, last_seen), computed as diagnose computes
them. duckdb reads exactly the files the lake's exports committed (--lake is a local folder,
listed when the script is written: emit it again after the next export); spark-sql reads the
table folders under --lake (a path or URL Spark can read); kql writes Azure Data Explorer
stored functions over external tables kudulens_<table> (the checks of filters with an any or
more-than rule: the others are SQL that ADX cannot run). Checks that cannot be emitted are
named at the end of the script and on stderr. docs/checks.md says where the emitted results
may differ from diagnose's.

Examples:
  kudulens checks
  kudulens checks --verbose | less
  kudulens checks --checks ./our-checks --format json
  kudulens checks --emit duckdb --lake ./lake -o checks.sql && duckdb -cmd ".read checks.sql" -c "FROM kl_check_results"
  kudulens checks --emit spark-sql --lake abfss://lake@acct.dfs.core.windows.net/ -o checks.sql
  kudulens checks --emit kql -o checks.kql
`

func runChecks(ctx context.Context, args []string, e *env) int {
	var checksDir, formatName string
	var verbose bool
	fs := newFlagSet("checks", checksHelp, e)
	fs.StringVar(&checksDir, "checks", "", "also list the checks of this folder")
	fs.StringVar(&formatName, "format", "table", "table or json")
	fs.BoolVarP(&verbose, "verbose", "v", false, "show advice and SQL")
	var emit, lake, output string
	fs.StringVar(&emit, "emit", "", "write the checks over a Parquet lake: duckdb or spark-sql views, or kql (ADX functions)")
	fs.StringVar(&lake, "lake", "", "with --emit: the lake folder (or, for spark-sql, URL) the views read")
	fs.StringVarP(&output, "output", "o", "", "with --emit: write the script to this file (default: stdout)")
	if code := parseFlags(fs, args, e); code >= 0 {
		return code
	}
	checks, err := loadCatalogue(checksDir)
	if err != nil {
		fmt.Fprintf(e.stderr, "kudulens checks: %v\n", err)
		return exitUsage
	}
	if emit != "" || lake != "" || output != "" {
		return emitChecks(ctx, e, checks, emit, lake, output)
	}
	if formatName == "json" {
		// camelCase, like every other JSON kudulens writes.
		type item struct {
			ID       string   `json:"id"`
			Title    string   `json:"title"`
			Severity string   `json:"severity"`
			Rule     string   `json:"rule"`
			Guide    string   `json:"guide"`
			Advice   string   `json:"advice"`
			File     string   `json:"file"`
			Jobs     []string `json:"jobs"`
		}
		var items []item
		for _, c := range checks {
			items = append(items, item{c.ID, c.Title, string(c.Severity), c.Rule.String(), c.Guide, c.Advice, c.File, c.Jobs})
		}
		return writeJSONOrFail(e, items)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tRULE\tGUIDE")
	for _, c := range checks {
		guide := strings.SplitN(c.Guide, "\n", 2)[0]
		if len(guide) > 90 {
			guide = guide[:89] + "…"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Severity, c.Rule.ThresholdText(), guide)
	}
	tw.Flush()
	if verbose {
		for _, c := range checks {
			fmt.Fprintf(e.stdout, "\n== %s: %s (%s, %s)\nguide:\n  %s\nadvice: %s\nsql (%s):\n%s\n", c.ID, c.Title, c.Severity, c.Rule,
				strings.ReplaceAll(c.Guide, "\n", "\n  "), c.Advice, c.File, c.Query)
		}
	}
	return exitOK
}

func writeJSONOrFail(e *env, v any) int {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fatal(e, err)
	}
	return exitOK
}

// emitChecks writes the checks as SQL over a lake (checks --emit).
func emitChecks(ctx context.Context, e *env, checks []*klsql.Check, dialect, lake, output string) int {
	switch {
	case dialect == "":
		fmt.Fprintln(e.stderr, "kudulens checks: --lake and -o go with --emit duckdb|spark-sql|kql")
		return exitUsage
	case dialect != string(klsql.DialectDuckDB) && dialect != string(klsql.DialectSparkSQL) && dialect != "kql":
		fmt.Fprintf(e.stderr, "kudulens checks: --emit %s: want duckdb, spark-sql or kql\n", escape.Terminal(dialect))
		return exitUsage
	case lake == "" && dialect != "kql":
		fmt.Fprintln(e.stderr, "kudulens checks: --emit needs --lake, the folder kudulens export --parquet wrote")
		return exitUsage
	}
	s, err := store.Open(ctx, "", store.Options{Threads: 1})
	if err != nil {
		return fatal(e, err)
	}
	defer s.Close()
	o := klsql.EmitOptions{Dialect: klsql.Dialect(dialect), Lake: lake,
		KQL: func(q string, now time.Time) (string, error) { return kql.Translate(q, kql.Options{Now: now}) }}
	if o.Schema, err = s.LakeSchema(ctx); err != nil {
		return fatal(e, err)
	}
	if o.Dialect == klsql.DialectDuckDB {
		if o.Files, err = s.LakeFiles(ctx, lake); err != nil {
			fmt.Fprintf(e.stderr, "kudulens checks: --lake: %s\n", escape.Terminal(err.Error()))
			return exitUsage
		}
		if len(o.Files["files"]) == 0 {
			fmt.Fprintf(e.stderr, "kudulens checks: --lake %s: no committed export in it\n", escape.Terminal(lake))
			return exitUsage
		}
	}
	var em *klsql.Emitted
	if dialect == "kql" {
		em, err = klsql.EmitKQL(checks, o)
	} else {
		em, err = klsql.EmitChecks(checks, o)
	}
	if err != nil {
		return fatal(e, err)
	}
	ids := make([]string, 0, len(em.NotEmitted))
	for id := range em.NotEmitted {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(e.stderr, "kudulens checks: not emitted: %s: %s\n", id, escape.Terminal(em.NotEmitted[id]))
	}
	if output == "" {
		fmt.Fprint(e.stdout, em.SQL)
		return exitOK
	}
	if err := outfile.Write(output, []byte(em.SQL), 0o644); err != nil {
		return fatal(e, err)
	}
	fmt.Fprintf(e.stdout, "wrote %d checks as %s to %s (%d not emitted)\n", len(em.Emitted), dialect, escape.Terminal(output), len(em.NotEmitted))
	return exitOK
}
