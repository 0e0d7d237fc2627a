package main

import (
	"context"
	gosql "database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kudulens/kudulens/pipeline"
)

const queryHelp = `Usage: kudulens query [--db FILE | SOURCE...] --sql "SELECT ..." [--format table|csv|json]

Runs SQL (DuckDB dialect) on the tables: traces, exceptions, customEvents, files, rejects,
job_status. With SOURCE arguments the sources are ingested first (into memory unless --db is
given). Times are UTC.

Examples:
  kudulens query --db site.duckdb --sql "select count(*) from exceptions"
  kudulens query bundle.zip --sql "select timestamp, job, message from traces where level = 'ERR' order by 1" --format csv
  kudulens query --db site.duckdb --format json --sql "select name, section, count(*) n from customEvents group by all"
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
	var query, formatName string
	fs := newFlagSet("query", queryHelp, e)
	sf.register(fs, "kudulens.duckdb")
	fs.StringVar(&query, "sql", "", "the SQL to run (required)")
	fs.StringVar(&formatName, "format", "table", "output format: table, csv or json")
	if code := parseFlags(fs, args, e); code >= 0 {
		return code
	}
	f, err := formatFromString(formatName)
	if err != nil {
		fmt.Fprintf(e.stderr, "kudulens query: %v\n", err)
		return exitUsage
	}
	if strings.TrimSpace(query) == "" {
		fmt.Fprintln(e.stderr, "kudulens query: --sql is required (see --help)")
		return exitUsage
	}
	store, code := openOrIngest(ctx, fs.Changed("db"), fs.Args(), &sf, e)
	if store == nil {
		return code
	}
	defer store.Close()
	if err := runSQL(ctx, store.DB(), query, f, e.stdout); err != nil {
		fmt.Fprintf(e.stderr, "kudulens query: %v\n", err)
		return exitFatal
	}
	return code
}

// openOrIngest opens the database for a reading command: the --db file, or, when sources are
// given, a database (in memory unless --db was set) the sources are ingested into first. It
// returns the exit code to use when all goes well (exitInputFailed if some input failed), or a
// nil store and the code to stop with.
func openOrIngest(ctx context.Context, dbSet bool, sources []string, sf *storeFlags, e *env) (*pipeline.Store, int) {
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
	path := ""
	if dbSet {
		path = sf.db
	}
	s, err := sf.open(ctx, path)
	if err != nil {
		return nil, fatal(e, err)
	}
	// Folders written by kudulens export --parquet are loaded as they are; the rest is ingested.
	var logs []string
	for _, src := range sources {
		if !pipeline.IsParquetDir(src) {
			logs = append(logs, src)
			continue
		}
		if _, err := s.LoadParquet(ctx, src); err != nil {
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
	for _, f := range sum.Files {
		if f.Row.Status == "failed" || f.Row.Status == "partial" {
			fmt.Fprintf(e.stderr, "kudulens: %s: %s: %s\n", f.Row.Status, f.Row.Path, f.Row.Error)
			code = exitInputFailed
		}
	}
	return s, code
}

// runSQL runs query and writes its result in format f.
func runSQL(ctx context.Context, db *gosql.DB, query string, f format, w io.Writer) error {
	rows, err := db.QueryContext(ctx, query)
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
		out = &csvWriter{w: csv.NewWriter(w)}
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

// jsonValue converts a scanned value to what encoding/json should print.
func jsonValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return formatTime(x)
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

type csvWriter struct{ w *csv.Writer }

func (c *csvWriter) header(cols []string) { c.w.Write(cols) }
func (c *csvWriter) row(vals []any) {
	rec := make([]string, len(vals))
	for i, v := range vals {
		rec[i] = text(v)
	}
	c.w.Write(rec)
}
func (c *csvWriter) flush() error { c.w.Flush(); return c.w.Error() }

type jsonWriter struct {
	w    io.Writer
	cols []string
	rows []map[string]any
}

func (j *jsonWriter) header([]string) {}
func (j *jsonWriter) row(vals []any) {
	m := make(map[string]any, len(vals))
	for i, v := range vals {
		m[j.cols[i]] = jsonValue(v)
	}
	j.rows = append(j.rows, m)
}
func (j *jsonWriter) flush() error {
	if j.rows == nil {
		j.rows = []map[string]any{}
	}
	enc := json.NewEncoder(j.w)
	enc.SetIndent("", "  ")
	return enc.Encode(j.rows)
}

// tableWriter aligns columns; cells are cut at maxCell runes and newlines shown as ⏎.
type tableWriter struct {
	w    io.Writer
	rows [][]string
}

const maxCell = 160

func (t *tableWriter) header(cols []string) { t.rows = append(t.rows, cols) }
func (t *tableWriter) row(vals []any) {
	r := make([]string, len(vals))
	for i, v := range vals {
		s := strings.ReplaceAll(strings.ReplaceAll(text(v), "\r", ""), "\n", "⏎")
		if utf8.RuneCountInString(s) > maxCell {
			s = string([]rune(s)[:maxCell-1]) + "…"
		}
		r[i] = s
	}
	t.rows = append(t.rows, r)
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
