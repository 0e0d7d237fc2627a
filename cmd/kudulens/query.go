package main

import (
	"bufio"
	"bytes"
	"context"
	gosql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/kudulens/kudulens/internal/escape"
	"github.com/kudulens/kudulens/pipeline/blob"
	"github.com/kudulens/kudulens/pipeline/store"
	klsql "github.com/kudulens/kudulens/sql"
	"github.com/kudulens/kudulens/sql/kql"
)

const queryHelp = `Usage: kudulens query [--db FILE | SOURCE...] (--sql SQL | --kql KQL | --kql-file FILE)
                      [--format table|csv|json] [--csv-raw] [--explain] [--at TIME]

Runs a query on the tables: traces, exceptions, customEvents, files, rejects, job_status.
--sql takes DuckDB SQL. --kql and --kql-file take KQL as the monitoring guide and Application
Insights write it (multi-line, '|' operators, customDimensions for customEvents.properties);
kudulens translates it to one DuckDB statement (a KQL subset: constructs outside it fail with
their line:col). With SOURCE arguments the sources are ingested first (into memory unless
--db is given). Times are UTC.

--explain prints the statement that would run (the SQL of a KQL query) and exits.
--at is the evaluation time of KQL's ago() and now(); it defaults to the capture time, the
latest timestamp in traces, so an old bundle is queried as of when it was captured.

Log text is untrusted. In table output control characters are shown as \x1b etc. In CSV
output a text cell that starts with = + - @, a tab or a carriage return is prefixed with '
so that Excel or LibreOffice shows it as text instead of running it as a formula (OWASP), and
a text cell holding ';' is quoted (a separator in some locales); --csv-raw writes the values
as stored, for programs that read the CSV.

Examples:
  kudulens query --db site.duckdb --sql "select count(*) from exceptions"
  kudulens query bundle.zip --format csv --sql "select timestamp, job, template, message from traces
    where severityLevel >= 3 order by 1"            # errors by the app's message templates, as the checks
                                                    # judge them (the app logs SQL errors at INFO: level = 'ERR' misses them)
  kudulens query bundle.zip --sql "select template, severityLevel, count(*) n from traces group by all order by n desc"
  kudulens query --db site.duckdb --format json --sql "select name, section, count(*) n from customEvents group by all"
  kudulens query --db site.duckdb --kql 'traces | where message contains "ServiceBus"'
  kudulens query --db site.duckdb --kql 'customEvents
    | where name == "FinishedSectionImport" or name == "FinishedImportCycle"
    | summarize count(), last = max(timestamp) by operation_Name, tostring(customDimensions.context)'
  kudulens query --db site.duckdb --kql 'exceptions | where timestamp > ago(1h) | summarize count() by outerType'
  kudulens query --db site.duckdb --at 2026-11-19T22:00:00Z --kql-file alerts.kql --explain
`

// format is an output format of query results.
type format string

const (
	formatTable format = "table"
	formatCSV   format = "csv"
	formatJSON  format = "json"
)

func formatFromString(s string) (format, error) {
	switch f := format(strings.ToLower(s)); f {
	case formatTable, formatCSV, formatJSON:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want table, csv or json)", s)
}

func runQuery(ctx context.Context, args []string, e *env) int {
	var sf storeFlags
	var sqlText, kqlText, kqlFile, formatName, at string
	var explain, csvRaw bool
	fs := newFlagSet("query", queryHelp, e)
	sf.register(fs, "kudulens.duckdb")
	fs.StringVar(&sqlText, "sql", "", "the SQL (DuckDB) to run")
	fs.StringVar(&kqlText, "kql", "", "the KQL to translate and run")
	fs.StringVar(&kqlFile, "kql-file", "", "a file holding the KQL to run (- for standard input)")
	fs.BoolVar(&explain, "explain", false, "print the SQL that would run and exit")
	fs.StringVar(&at, "at", "", "evaluation time of KQL ago()/now(), e.g. 2026-11-19T22:00:00Z (default: the latest timestamp in traces)")
	fs.StringVar(&formatName, "format", "table", "output format: table, csv or json")
	fs.StringVar(&sf.lakeSite, "site", "", lakeSiteUsage)
	fs.BoolVar(&csvRaw, "csv-raw", false, "with --format csv: write text cells as stored, without the ' that keeps a spreadsheet from running a cell starting with = + - @ as a formula (for programs reading the CSV)")
	if code := parseFlags(fs, args, e); code >= 0 {
		return code
	}
	f, err := formatFromString(formatName)
	if err != nil {
		fmt.Fprintf(e.stderr, "kudulens query: %v\n", err)
		return exitUsage
	}
	given := 0
	for _, name := range []string{"sql", "kql", "kql-file"} {
		if fs.Changed(name) {
			given++
		}
	}
	if given != 1 {
		fmt.Fprintln(e.stderr, "kudulens query: give exactly one of --sql, --kql and --kql-file (see --help)")
		return exitUsage
	}
	isKQL := !fs.Changed("sql")
	if fs.Changed("at") && !isKQL {
		fmt.Fprintln(e.stderr, "kudulens query: --at is the evaluation time of KQL; it has no use with --sql")
		return exitUsage
	}
	if kqlFile != "" {
		b, err := readQueryFile(kqlFile, e)
		if err != nil {
			fmt.Fprintf(e.stderr, "kudulens query: %v\n", err)
			return exitUsage
		}
		kqlText = string(b)
	}
	query := sqlText
	if isKQL {
		query = kqlText
	}
	if strings.TrimSpace(query) == "" {
		fmt.Fprintln(e.stderr, "kudulens query: the query is empty")
		return exitUsage
	}
	var now time.Time
	if fs.Changed("at") {
		if now, err = parseAt(at); err != nil {
			fmt.Fprintf(e.stderr, "kudulens query: --at: %v\n", err)
			return exitUsage
		}
	}
	if explain && (!isKQL || fs.Changed("at") || !haveDatabase(fs.Args(), &sf)) {
		// Nothing to read from a database: explain without opening one.
		return explainQuery(query, isKQL, now, e)
	}
	database, code := openOrIngest(ctx, fs.Changed("db"), fs.Args(), &sf, e)
	if database == nil {
		return code
	}
	defer database.Close()
	if isKQL {
		if !fs.Changed("at") {
			if now, err = captureTime(ctx, database.DB()); err != nil {
				return fatal(e, err)
			}
		}
		if explain {
			return explainQuery(query, true, now, e)
		}
		res := compileKQL(query, now, e)
		if res == nil {
			return exitUsage
		}
		for _, n := range res.Notes {
			fmt.Fprintf(e.stderr, "kudulens query: note: %s\n", escape.TerminalLines(n))
		}
		query = res.SQL
	}
	if err := runSQL(ctx, database.DB(), query, f, csvRaw, e.stdout); err != nil {
		// DuckDB quotes the values it could not convert: text from the logs.
		fmt.Fprintf(e.stderr, "kudulens query: %s\n", escape.TerminalLines(err.Error()))
		if badQuery(err) {
			return exitUsage
		}
		return exitFatal
	}
	return code
}

// badQuery reports whether DuckDB refused the query itself (syntax, unknown table or column,
// types): the user's mistake, a usage error, not a failed run.
func badQuery(err error) bool {
	var de *duckdb.Error
	if !errors.As(err, &de) {
		return false
	}
	switch de.Type {
	case duckdb.ErrorTypeParser, duckdb.ErrorTypeCatalog, duckdb.ErrorTypeBinder, duckdb.ErrorTypeSyntax:
		return true
	}
	return false
}

// readQueryFile reads a query from a file, or from standard input for "-".
func readQueryFile(path string, e *env) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(e.stdin)
	}
	return os.ReadFile(path)
}

// atLayouts are the forms --at accepts; times without a zone are UTC.
var atLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"}

func parseAt(s string) (time.Time, error) {
	for _, l := range atLayouts {
		if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time (write 2026-11-19T22:00:00Z or 2026-11-19 22:00)", s)
}

// haveDatabase reports whether there is a database to read the capture time from.
func haveDatabase(sources []string, sf *storeFlags) bool {
	if len(sources) > 0 {
		return true
	}
	_, err := os.Stat(sf.db)
	return err == nil
}

// captureTime is the default evaluation time of ago()/now(): the latest trace, when the
// logs were captured. It is zero for a database without traces.
func captureTime(ctx context.Context, db *gosql.DB) (time.Time, error) {
	var t gosql.NullTime
	if err := db.QueryRowContext(ctx, "SELECT max(timestamp) FROM traces").Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("capture time: %w", err)
	}
	return t.Time.UTC(), nil
}

// kqlHint adds what the user can do about a missing evaluation time.
func kqlHint(err error, now time.Time) error {
	var ke *kql.Error
	if errors.As(err, &ke) && now.IsZero() && strings.Contains(ke.Msg, "needs the evaluation time") {
		return fmt.Errorf("%w\n(the database has no traces to take the capture time from: give --at)", err)
	}
	return err
}

// explainQuery prints the SQL that would run: the translation of a KQL query, with its
// notes as SQL comments.
func explainQuery(query string, isKQL bool, now time.Time, e *env) int {
	if !isKQL {
		fmt.Fprintln(e.stdout, strings.TrimSpace(query))
		return exitOK
	}
	res := compileKQL(query, now, e)
	if res == nil {
		return exitUsage
	}
	for _, n := range res.Notes {
		fmt.Fprintf(e.stdout, "-- %s\n", n)
	}
	fmt.Fprintln(e.stdout, res.SQL)
	return exitOK
}

// compileKQL translates a KQL query evaluated at now; on failure it says why on stderr (with
// what the user can do about it) and returns nil, a usage error.
func compileKQL(query string, now time.Time, e *env) *kql.Result {
	res, err := kql.Compile(query, kql.Options{Now: now})
	if err != nil {
		fmt.Fprintf(e.stderr, "kudulens query: %s\n", escape.TerminalLines(kqlHint(err, now).Error()))
		return nil
	}
	return res
}

// openOrIngest opens the database for a reading command: the --db file, or, when sources are
// given, a database (in memory unless --db was set) the sources are ingested into first. It
// returns the exit code to use when all goes well (exitInputFailed if some input failed), or a
// nil store and the code to stop with.
func openOrIngest(ctx context.Context, dbSet bool, sources []string, sf *storeFlags, e *env) (*store.Store, int) {
	if len(sources) == 0 {
		if _, err := os.Stat(sf.db); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(e.stderr, "kudulens: no database %s (run kudulens ingest first, or give SOURCE arguments)\n", sf.db)
			return nil, exitUsage
		}
		s, err := sf.open(ctx, sf.db)
		if err != nil {
			return nil, fatal(e, err)
		}
		return s, exitOK
	}
	if err := sf.limits.check(); err != nil {
		fmt.Fprintf(e.stderr, "kudulens: %v\n", err)
		return nil, exitUsage
	}
	if code := checkSourcesExist(sf.command, sources, e); code >= 0 {
		return nil, code
	}
	var s *store.Store
	var err error
	switch {
	case dbSet:
		s, err = sf.open(ctx, sf.db)
	case estimateLogBytes(sources) > sf.inMemoryMax():
		// Past a size the rows go to a temporary database file, compressed and bounded by
		// the memory limit, instead of memory: 200 MB of log take ~830 MB of RSS in memory,
		// ~420 MB in a file; 1 GB would pass 1.2 GB.
		s, err = sf.openTemporary(ctx)
	default:
		s, err = sf.open(ctx, "")
	}
	if err != nil {
		return nil, fatal(e, err)
	}
	// Folders written by kudulens export --parquet are loaded as they are; the rest is ingested.
	var logs []string
	for _, src := range sources {
		dir := src
		if blob.IsSource(src) {
			// A lake in a container (export --parquet URL) is fetched, the files of the site
			// asked for (--site) or of all, and read as a lake on disk.
			lake, remove, err := fetchSourceLake(ctx, src, sf, e)
			if err != nil {
				s.Close()
				return nil, fatal(e, err)
			}
			if lake == "" {
				logs = append(logs, src)
				continue
			}
			defer remove()
			dir = lake
		} else if !store.IsParquetDir(src) {
			logs = append(logs, src)
			continue
		}
		if err := loadLakeSource(ctx, s, dir, sf); err != nil {
			s.Close()
			return nil, fatal(e, err)
		}
	}
	if len(logs) == 0 {
		return s, exitOK
	}
	sum, err := ingest(ctx, s, logs, sf, e)
	if err != nil {
		s.Close()
		return nil, fatal(e, err)
	}
	code := exitOK
	skipped := 0
	for _, f := range sum.Files {
		switch f.Row.Status {
		case "failed", "partial":
			fmt.Fprintf(e.stderr, "kudulens: %s\n", fileNote(f.Row.Status, f))
			code = exitInputFailed
		case "skipped":
			skipped++
		}
	}
	if skipped > 0 && !sf.quiet {
		fmt.Fprintf(e.stderr, "kudulens: %d file(s) skipped as not a log kudulens reads (kudulens ingest lists them with the reason)\n", skipped)
	}
	var loaded int64
	for _, f := range sum.Files {
		loaded += f.Row.Bytes
	}
	if loaded > reopenAfter {
		// the queries run faster in a new DuckDB instance than in the one that loaded the
		// rows (store.Reopen)
		if s, err = s.Reopen(ctx); err != nil {
			return nil, fatal(e, err)
		}
	}
	return s, code
}

// inMemoryMax is the estimated log size up to which a run without --db keeps its database in
// memory (faster) rather than in a temporary file (bounded memory).
const inMemoryMax = 64 << 20

// leanInMemoryMax is inMemoryMax for a lean run (store.Options.Lean), whose progress lines
// take a few integers each: the 200 MB bench log diagnosed in memory took 1.2 s and 444 MB of
// RSS against 1.5 s and 373 MB in a temporary file. Inputs whose rows cannot stay lean (with
// application logs) take up to ~700 MB there, about what they take in a file (the memory
// limit bounds both).
const leanInMemoryMax = 256 << 20

// inMemoryMax is the estimated log size up to which the run keeps its database in memory.
func (f *storeFlags) inMemoryMax() int64 {
	if f.lean {
		return leanInMemoryMax
	}
	return inMemoryMax
}

// reopenAfter is how many bytes of log a run loads before its queries run in a new DuckDB
// instance (store.Reopen); a variable for the tests.
var reopenAfter int64 = inMemoryMax

// estimateLogBytes estimates the log bytes behind sources from their sizes on disk: a
// compressed file or archive counts 8 times its size (logs compress about 10:1); stdin and
// Blob Storage, whose size is not known here, count as large.
func estimateLogBytes(sources []string) int64 {
	var n int64
	add := func(path string, size int64) {
		switch ext := strings.ToLower(filepath.Ext(path)); ext {
		case ".gz", ".tgz", ".zst", ".zip", ".7z", ".bz2", ".xz":
			size *= 8
		}
		n += size
	}
	for _, src := range sources {
		if src == "-" || blob.IsSource(src) {
			return math.MaxInt64
		}
		fi, err := os.Stat(src)
		if err != nil {
			continue
		}
		if !fi.IsDir() {
			add(src, fi.Size())
			continue
		}
		filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				if info, err := d.Info(); err == nil {
					add(p, info.Size())
				}
			}
			if n > inMemoryMax {
				return filepath.SkipAll
			}
			return nil
		})
	}
	return n
}

// runSQL runs query and writes its result in format f; csvRaw turns off the CSV cells'
// defence against spreadsheet formulas.
func runSQL(ctx context.Context, db *gosql.DB, query string, f format, csvRaw bool, w io.Writer) error {
	rows, err := db.QueryContext(ctx, klsql.JSONAsText(ctx, db, query))
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	var out rowWriter
	switch f {
	case formatCSV:
		out = &csvWriter{w: bufio.NewWriter(w), raw: csvRaw}
	case formatJSON:
		out = &jsonWriter{w: w, cols: cols}
	default:
		out = &tableWriter{w: w}
	}
	out.header(cols)
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		out.row(vals)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return out.flush()
}

type rowWriter interface {
	header(cols []string)
	row(vals []any)
	flush() error
}

// text renders a value for table and CSV output. Times are UTC with a Z.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		return formatTime(x)
	case duckdb.Interval:
		return formatInterval(x)
	case []byte:
		return string(x)
	case string:
		return x
	case fmt.Stringer:
		return x.String()
	case map[string]any, []any:
		b, _ := json.Marshal(jsonValue(x))
		return string(b)
	}
	return fmt.Sprint(v)
}

func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.999999Z")
}

// formatInterval prints an INTERVAL as KQL prints a timespan: [-][d.]hh:mm:ss[.fffffff]
// (a month counts 30 days, as in DuckDB's interval comparisons).
func formatInterval(iv duckdb.Interval) string {
	return kql.FormatTimespan(iv.Micros + int64(iv.Days)*86_400_000_000 + int64(iv.Months)*30*86_400_000_000)
}

// jsonValue converts a scanned value to what encoding/json should print.
func jsonValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return formatTime(x)
	case duckdb.Interval:
		return formatInterval(x)
	case []byte:
		return string(x)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = jsonValue(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = jsonValue(e)
		}
		return l
	case fmt.Stringer:
		return x.String()
	}
	return v
}

// csvWriter writes RFC 4180 CSV as encoding/csv does (quotes only where needed, "\n" line
// ends). Unless raw, text cells are defused for spreadsheets: escape.CSVCell prefixes a cell a
// spreadsheet would run as a formula, and a text cell holding ';' is quoted too, since ';' is
// the list separator of many locales and would split the cell into one that starts with '='.
// Numbers, times and column names of the schema are not text from the logs and stay as they
// are (a negative count stays a number).
type csvWriter struct {
	w   *bufio.Writer
	raw bool
}

func (c *csvWriter) header(cols []string) {
	for i, col := range cols {
		c.cell(i, col, true) // PIVOT makes column names of values
	}
	c.w.WriteByte('\n')
}

func (c *csvWriter) row(vals []any) {
	for i, v := range vals {
		var isText bool
		switch v.(type) {
		case string, []byte:
			isText = true
		}
		c.cell(i, text(v), isText)
	}
	c.w.WriteByte('\n')
}

func (c *csvWriter) cell(i int, s string, isText bool) {
	if i > 0 {
		c.w.WriteByte(',')
	}
	safe := isText && !c.raw
	if safe {
		s = escape.CSVCell(s)
	}
	quote := s != "" && (s == `\.` || s[0] == ' ' || s[0] == '\t' || strings.ContainsAny(s, "\",\r\n") || safe && strings.IndexByte(s, ';') >= 0)
	if !quote {
		c.w.WriteString(s)
		return
	}
	c.w.WriteByte('"')
	c.w.WriteString(strings.ReplaceAll(s, `"`, `""`))
	c.w.WriteByte('"')
}

func (c *csvWriter) flush() error { return c.w.Flush() }

// jsonWriter writes the rows as a JSON array of objects whose keys keep the order of the
// query's columns (a map would sort them: "select timestamp, job, message" must not come back
// as job, message, timestamp).
type jsonWriter struct {
	w    io.Writer
	cols []string
	keys [][]byte // each column name as a JSON string
	buf  bytes.Buffer
	rows int
	err  error
}

func (j *jsonWriter) header([]string) {
	for _, c := range j.cols {
		k, _ := json.Marshal(c)
		j.keys = append(j.keys, k)
	}
	j.buf.WriteString("[")
}

func (j *jsonWriter) row(vals []any) {
	if j.err != nil {
		return
	}
	if j.rows > 0 {
		j.buf.WriteString(",")
	}
	j.rows++
	j.buf.WriteString("\n  {")
	for i, v := range vals {
		if i > 0 {
			j.buf.WriteString(",")
		}
		b, err := marshalCell(jsonValue(v))
		if err != nil {
			j.err = fmt.Errorf("column %s: %w", j.cols[i], err)
			return
		}
		j.buf.WriteString("\n    ")
		j.buf.Write(j.keys[i])
		j.buf.WriteString(": ")
		j.buf.Write(b)
	}
	if len(vals) > 0 {
		j.buf.WriteString("\n  ")
	}
	j.buf.WriteString("}")
	if j.buf.Len() > 1<<20 { // stream big results
		_, j.err = j.w.Write(j.buf.Bytes())
		j.buf.Reset()
	}
}

// marshalCell is a value as JSON, indented to sit in a row, with <, > and & as they are
// (report.JSON writes them so too; nothing reads this as HTML).
func marshalCell(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("    ", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func (j *jsonWriter) flush() error {
	if j.err != nil {
		return j.err
	}
	if j.rows > 0 {
		j.buf.WriteString("\n")
	}
	j.buf.WriteString("]\n")
	_, err := j.w.Write(j.buf.Bytes())
	return err
}

// tableWriter aligns columns; cells are cut at maxCell runes and newlines shown as ⏎.
type tableWriter struct {
	w    io.Writer
	rows [][]string
}

const maxCell = 160

func (t *tableWriter) header(cols []string) {
	r := make([]string, len(cols))
	for i, c := range cols {
		r[i] = tableCell(c) // PIVOT makes column names of values
	}
	t.rows = append(t.rows, r)
}

func (t *tableWriter) row(vals []any) {
	r := make([]string, len(vals))
	for i, v := range vals {
		r[i] = tableCell(text(v))
	}
	t.rows = append(t.rows, r)
}

// tableCell is s on one line of a terminal: line ends as ⏎, cut at maxCell runes, control
// characters shown visibly (escape.Terminal) so log text cannot drive the terminal.
func tableCell(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r", ""), "\n", "⏎")
	if utf8.RuneCountInString(s) > maxCell {
		s = string([]rune(s)[:maxCell-1]) + "…"
	}
	return escape.Terminal(s)
}
func (t *tableWriter) flush() error {
	if len(t.rows) == 0 {
		return nil
	}
	widths := make([]int, len(t.rows[0]))
	for _, r := range t.rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	line := func(r []string) {
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
			}
		}
		b.WriteByte('\n')
	}
	line(t.rows[0])
	sep := make([]string, len(widths))
	for i, wd := range widths {
		sep[i] = strings.Repeat("-", wd)
	}
	line(sep)
	for _, r := range t.rows[1:] {
		line(r)
	}
	fmt.Fprintf(&b, "(%d rows)\n", len(t.rows)-1)
	_, err := io.WriteString(t.w, b.String())
	return err
}
