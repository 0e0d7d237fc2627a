package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/kudulens/kudulens/internal/escape"
	"github.com/kudulens/kudulens/pipeline"
	"github.com/kudulens/kudulens/pipeline/source"
	"github.com/kudulens/kudulens/pipeline/store"
)

// storeFlags are the flags of every command that opens a database.
type storeFlags struct {
	command     string // the command's name, for messages
	db          string
	threads     int
	memoryLimit string
	quiet       bool
	maxLine     int
	noRedact    bool
	limits      walkLimits
	blob        blobFlags // Azure Blob Storage sources (blob.go)
	lakeSite    string    // query, diagnose --site: the site to read of a lake holding several (lakefleet.go)
	// lean: the database is read by the built-in report only (diagnose without --checks), so a
	// database of the run's own may keep progress lines without their text (store.Options.Lean)
	lean bool
}

// walkLimits are the flags that bound what one input may cost (source.WalkOptions).
type walkLimits struct {
	maxDepth      int
	maxEntryBytes byteSize
	maxRatio      int64
	maxEntries    int
}

func (l *walkLimits) register(fs *pflag.FlagSet) {
	l.maxEntryBytes = 64 << 30
	fs.IntVar(&l.maxDepth, "max-depth", 8, "archives and compression layers opened inside one another, at most")
	fs.Var(&l.maxEntryBytes, "max-entry-bytes", "decompressed bytes of one file or nested archive, at most (e.g. 500MB, 64GiB); a longer file is read up to there")
	fs.Int64Var(&l.maxRatio, "max-ratio", 1000, "decompressed/compressed ratio of a compressed stream, at most, past its first MiB (decompression bombs)")
	fs.IntVar(&l.maxEntries, "max-entries", 1_000_000, "members of one archive, at most; the rest are skipped")
}

// check rejects limits that are not positive.
func (l *walkLimits) check() error {
	switch {
	case l.maxDepth <= 0:
		return fmt.Errorf("--max-depth %d: must be at least 1", l.maxDepth)
	case l.maxRatio <= 0:
		return fmt.Errorf("--max-ratio %d: must be at least 1", l.maxRatio)
	case l.maxEntries <= 0:
		return fmt.Errorf("--max-entries %d: must be at least 1", l.maxEntries)
	}
	return nil
}

func (l *walkLimits) options() source.WalkOptions {
	return source.WalkOptions{MaxDepth: l.maxDepth, MaxEntryBytes: int64(l.maxEntryBytes), MaxRatio: l.maxRatio, MaxEntries: l.maxEntries}
}

// byteSize is a flag value of bytes: "123", "64KB", "1.5GB" (powers of 1000), "64KiB", "2GiB"
// (powers of 1024).
type byteSize int64

func (b *byteSize) String() string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v := int64(*b); v >= u.size && v%u.size == 0 {
			return strconv.FormatInt(v/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(*b), 10)
}
func (b *byteSize) Type() string { return "size" }

func (b *byteSize) Set(s string) error {
	units := []struct {
		suffix string
		mult   float64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
	}
	num, mult := strings.TrimSpace(s), 1.0
	for _, u := range units {
		if len(num) > len(u.suffix) && strings.EqualFold(num[len(num)-len(u.suffix):], u.suffix) {
			num, mult = strings.TrimSpace(num[:len(num)-len(u.suffix)]), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 || v*mult >= 1<<63 {
		return fmt.Errorf("bad size %q (want e.g. 500MB or 64GiB)", s)
	}
	*b = byteSize(v * mult)
	return nil
}

func (f *storeFlags) register(fs *pflag.FlagSet, defaultDB string) {
	f.command = fs.Name()
	fs.StringVar(&f.db, "db", defaultDB, "database file")
	fs.IntVar(&f.threads, "threads", 0, "DuckDB, parser and load threads (default: all cores; a large file loads on at most 2)")
	fs.StringVar(&f.memoryLimit, "memory-limit", store.DefaultMemoryLimit, "DuckDB memory limit; bigger loads spill to disk")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress line (diagnose --out: and no verdict on the terminal)")
	fs.IntVar(&f.maxLine, "max-line", 1<<20, "lines longer than this many bytes are cut and flagged truncated")
	fs.BoolVar(&f.noRedact, "no-redact", false, "keep secrets (passwords, keys, SAS signatures, tokens) in the database and reports")
	f.limits.register(fs)
	f.blob.register(fs)
}

func (f *storeFlags) open(ctx context.Context, path string) (*store.Store, error) {
	return store.Open(ctx, path, f.storeOptions())
}

// openTemporary opens a database file of the run's own in the system's temp folder, removed
// when it is closed.
func (f *storeFlags) openTemporary(ctx context.Context) (*store.Store, error) {
	o := f.storeOptions()
	o.Temporary = true
	return store.Open(ctx, "", o)
}

func (f *storeFlags) storeOptions() store.Options {
	return store.Options{Threads: f.threads, MemoryLimit: f.memoryLimit, MaxRatio: f.limits.maxRatio, Lean: f.lean}
}

func (f *storeFlags) ingestOptions(e *env) pipeline.Options {
	return pipeline.Options{
		ParseWorkers: f.threads,
		LoadLanes:    min(f.threads, 2), // --threads 1: one core, one lane; 0: the default
		MaxLine:      f.maxLine,
		NoRedact:     f.noRedact,
		Walk:         f.walkOptions(e),
		Blob:         f.blob.options(e),
	}
}

func (f *storeFlags) walkOptions(e *env) source.WalkOptions {
	o := f.limits.options()
	o.Stdin = e.stdin
	// Spool files go where TMPDIR says (os.TempDir's default), read through e so that tests
	// running in parallel each give their own.
	o.TempDir = e.env("TMPDIR")
	return o
}

// newFlagSet returns a flag set whose usage prints the command's help text.
func newFlagSet(name, help string, e *env) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(e.stderr)
	if e.flagSets != nil {
		e.flagSets(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "%s\nFlags:\n%s", help, fs.FlagUsages())
	}
	return fs
}

// parseFlags parses args; it returns the exit code to stop with, or -1 to go on.
func parseFlags(fs *pflag.FlagSet, args []string, e *env) int {
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return exitOK
		}
		fmt.Fprintf(e.stderr, "kudulens %s: %s%s (see --help)\n", fs.Name(), escape.Terminal(err.Error()), flagSuggestion(fs, err))
		return exitUsage
	}
	return -1
}

const ingestHelp = `Usage: kudulens ingest SOURCE... [--db FILE] [--state FILE] [--since TIME|DURATION] [--until TIME|DURATION]
                       [--auth MODE] [--authority-host URL] [--tenant ID]
                       [--max-line N] [--max-depth N] [--max-entry-bytes SIZE] [--max-ratio N] [--max-entries N]
                       [--no-redact] [--quiet]

Reads web-job logs into a database: Kudu continuous-job logs (job_log.txt, job_prev_log.txt),
App Service application logs (blob CSV and file-system text), and bundles of them. Files of
no known kind are listed as skipped; damaged inputs are listed as failed or partial (every
whole line before the damage is kept) and the rest is read. A file whose content was ingested
before (same sha256) adds nothing. The --max-* flags bound what one input may cost
(decompression bombs, deep nesting); the README's Guarantees section lists what is kept,
rejected and skipped.

Examples:
  kudulens ingest customer-bundle.zip
  kudulens ingest --db site.duckdb D:/home/data/jobs/continuous applogs/
  cat bundle.tar.gz | kudulens ingest -
  kudulens ingest "https://contosologs.blob.core.windows.net/applogs?<SAS>" --since 1w
  kudulens ingest az://applogs/contoso-analytics --db site.duckdb --state site.state.json   # nightly
  kudulens ingest https://contosologs.privatelink.blob.core.windows.net/applogs --auth managed-identity

Blob sources (see README, "Blob Storage"): a container URL with an optional prefix and SAS
token, or az://<container>/<prefix>. Credentials, in this order: the SAS in the URL;
--connection-string or AZURE_STORAGE_CONNECTION_STRING; the account (from the URL, --account
or AZURE_STORAGE_ACCOUNT) with AZURE_STORAGE_KEY. Accounts that forbid keys and SAS are read
with Entra ID sign-in: --auth cli (after az login), --auth managed-identity (a VM or App
Service; a user-assigned identity's client ID in AZURE_CLIENT_ID), --auth workload-identity,
or --auth login (the first of these that works; never a prompt). The identity needs the role
"Storage Blob Data Reader" on the container. With --state, a run reads only blobs that are
new or grew since the last run, and only what they gained.
`

func runIngest(ctx context.Context, args []string, e *env) int {
	var sf storeFlags
	fs := newFlagSet("ingest", ingestHelp, e)
	sf.register(fs, "kudulens.duckdb")
	sf.blob.registerIngest(fs)
	if code := parseFlags(fs, args, e); code >= 0 {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(e.stderr, "kudulens ingest: no SOURCE given (see --help)")
		return exitUsage
	}
	if code := checkSourcesExist("ingest", fs.Args(), e); code >= 0 {
		return code
	}
	if err := sf.limits.check(); err != nil {
		fmt.Fprintf(e.stderr, "kudulens ingest: %v\n", err)
		return exitUsage
	}
	if err := sf.blob.parseTimes(time.Now()); err != nil {
		fmt.Fprintf(e.stderr, "kudulens ingest: %v\n", err)
		return exitUsage
	}
	database, err := sf.open(ctx, sf.db)
	if err != nil {
		return fatal(e, err)
	}
	defer database.Close()
	if err := sf.blob.loadState(ctx, database, sf.db, e); err != nil {
		return fatal(e, err)
	}
	sum, err := ingest(ctx, database, fs.Args(), &sf, e)
	if sum != nil {
		printIngestSummary(e.stdout, sum, sf.db)
	}
	if serr := sf.blob.saveState(sum, err, e); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(e.stderr, "kudulens: interrupted: every file in %s was read whole, none in part; run the same command again to read the rest\n", sf.db)
			return exitInterrupted
		}
		return fatal(e, err)
	}
	if sum.Failed() {
		return exitInputFailed
	}
	if sf.blob.statePath == "" && nothingRead(sum) {
		// A folder of .7z files or of the wrong files must not look like a successful load.
		fmt.Fprintf(e.stderr, "kudulens ingest: nothing could be read: no log line in %d file(s) (see the reasons above) (exit 3)\n", len(sum.Files))
		return exitInputFailed
	}
	return exitOK
}

// nothingRead reports whether a run found no log file at all: every file was skipped, none
// held a line of a known kind and none was already in the database.
func nothingRead(sum *pipeline.Summary) bool {
	for _, f := range sum.Files {
		if f.Duplicate != "" && f.Row.Kind != source.KindUnknown {
			return false // a log read before: nothing new, but nothing wrong
		}
		switch f.Row.Kind {
		case source.KindKuduLog, source.KindAppLogCSV, source.KindAppLogText, source.KindKuduStatus:
			if f.Row.Status != "skipped" {
				return false
			}
		}
	}
	return true
}

// ingest runs pipeline.Ingest with a progress bar on a terminal.
func ingest(ctx context.Context, database *store.Store, sources []string, sf *storeFlags, e *env) (*pipeline.Summary, error) {
	var prog pipeline.Progress
	stop := startProgress(e.stderr, &prog, sf.quiet, sf.blob.progressText, sources)
	start := time.Now()
	sum, err := pipeline.Ingest(ctx, database, sources, sf.ingestOptions(e), &prog)
	stop()
	if sum != nil && sum.Elapsed == 0 {
		sum.Elapsed = time.Since(start) // an interrupted run: its summary line is whole too
	}
	return sum, err
}

type kindTotals struct {
	files, lines, parsed, rejected, traces, exceptions, events, merged, bytes int64
}

func printIngestSummary(w io.Writer, sum *pipeline.Summary, db string) {
	totals := map[source.Kind]*kindTotals{}
	var all kindTotals
	var skipped, failed, dups, noted []pipeline.FileResult
	for _, f := range sum.Files {
		r := f.Row
		if r.Status == "ok" && r.Error != "" && f.Duplicate == "" {
			noted = append(noted, f)
		}
		switch {
		case r.Status == "failed" || r.Status == "partial":
			failed = append(failed, f)
			if f.Duplicate != "" {
				continue
			}
		case f.Duplicate != "":
			dups = append(dups, f)
			continue
		case r.Status == "skipped":
			skipped = append(skipped, f)
			continue
		}
		if r.Kind == "zip" || r.Kind == "tar" {
			continue // an archive is not a log file; a damaged one is listed below
		}
		t := totals[r.Kind]
		if t == nil {
			t = &kindTotals{}
			totals[r.Kind] = t
		}
		for _, x := range []*kindTotals{t, &all} {
			x.files++
			x.lines += r.Stats.Lines
			x.parsed += r.Stats.Parsed
			x.rejected += r.Stats.Rejected
			x.merged += r.Merged
			x.traces += r.Traces
			x.exceptions += r.Exceptions
			x.events += r.Events
			x.bytes += r.Bytes
		}
	}
	kinds := make([]string, 0, len(totals))
	for k := range totals {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	// The words and numbers of diagnose's header and HTML accounting (klsql.Totals): lines
	// read = parsed + rejected, per file and so per kind; merged: parsed lines that were
	// copies of a line kept in another file; traces, exceptions, events: rows kept after that.
	fmt.Fprintln(tw, "kind\tfiles\tlines\tparsed\trejected\tmerged\ttraces\texceptions\tevents\tMB\t")
	row := func(name string, t *kindTotals) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f\t\n", name, t.files, t.lines, t.parsed, t.rejected, t.merged, t.traces, t.exceptions, t.events, float64(t.bytes)/1e6)
	}
	for _, k := range kinds {
		row(k, totals[source.Kind(k)])
	}
	row("total", &all)
	tw.Flush()
	fmt.Fprintln(w, "lines: lines read (= parsed + rejected); merged: copies of a line kept from another file; traces, exceptions, events: rows kept")
	m := sum.Merge
	if m.AppLogCopies+m.KuduCopies+m.AppLogDups > 0 || m.Attributed > 0 {
		fmt.Fprintf(w, "merged: %d application-log rows were copies of job-log lines, %d job-log and %d application-log lines were copies across files; %d application-log rows attributed to a job by their neighbours\n",
			m.AppLogCopies, m.KuduCopies, m.AppLogDups, m.Attributed)
	}
	if len(dups) > 0 {
		fmt.Fprintf(w, "already in the database: %d files (same content as before)\n", len(dups))
	}
	// Notes (rejected lines, encodings, time going back) and skipped files can be many: the
	// first few are shown, the files table has them all. Damage is always shown in full.
	const show = 20
	list := func(what string, fs []pipeline.FileResult, status string) {
		for i, f := range fs {
			if i == show {
				fmt.Fprintf(w, "... and %d more %s files: kudulens query --sql \"select path, error from files where status = '%s' and error is not null\"\n",
					len(fs)-show, what, status)
				break
			}
			fmt.Fprintln(w, fileNote(what, f))
		}
	}
	list("note", noted, "ok")
	list("skipped", skipped, "skipped")
	for _, f := range failed {
		fmt.Fprintln(w, fileNote(f.Row.Status, f))
	}
	secs := max(sum.Elapsed.Seconds(), 0.01)
	if sum.Canceled {
		fmt.Fprint(w, "interrupted: ")
	}
	fmt.Fprintf(w, "read %.1f MB in %.2f s (%.1f MB/s)", float64(all.bytes)/1e6, secs, float64(all.bytes)/1e6/secs)
	if db != "" {
		fmt.Fprintf(w, " into %s", db)
	}
	fmt.Fprintln(w)
}

// fileNote is the line that tells what became of a file: "partial: PATH: what happened". The
// path (a member name from the bundle) and the message (which quotes the bundle's text) are
// made safe for a terminal.
func fileNote(what string, f pipeline.FileResult) string {
	return what + ": " + escape.Terminal(f.Row.Path) + ": " + escape.Terminal(f.Row.Error)
}

// startProgress shows a progress line on w when it is a terminal and the work takes more
// than a second; the returned func stops it and clears the line.
func startProgress(w io.Writer, p *pipeline.Progress, quiet bool, extra func(time.Duration) string, sources []string) func() {
	f, ok := w.(*os.File)
	if quiet || !ok || !isTerminal(f) {
		return func() {}
	}
	total := totalLater(sources)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		start := time.Now()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		width := 0 // of the longest line shown, to clear it
		for {
			select {
			case <-done:
				if width > 0 {
					fmt.Fprint(w, "\r"+strings.Repeat(" ", width)+"\r")
				}
				return
			case <-tick.C:
				el := time.Since(start)
				if el < time.Second {
					continue
				}
				line := "\r" + progressLine(p.Files.Load(), p.Bytes.Load(), p.Lines.Load(), total.Load(), el)
				if x := extra(el); x != "" { // blob sources: downloads first
					line = fmt.Sprintf("\rkudulens: %s; %d files, %d lines", x, p.Files.Load(), p.Lines.Load())
				}
				width = max(width, len(line))
				fmt.Fprintf(w, "%-*s", width, line)
			}
		}
	}()
	return func() { close(done); <-finished }
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && consoleEscapes(f)
}
