package main

import (
	"bufio"
	"context"
	gosql "database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/kudulens/kudulens/internal/escape"
	"github.com/kudulens/kudulens/pipeline/source"
)

const showHelp = `Usage: kudulens show FILE:LINE [-C N] [--db FILE]

Prints the lines around an evidence reference, as every report writes it (file:line, with
bundle.zip!member for a file inside an archive): N lines before and after (default 5), the
line itself marked with '>'. The lines come from the bundle when it is on disk, read as
kudulens reads it (archives, gzip and zstd layers, UTF-16); else from the database (--db), where
a line merged as a copy of another file's line is shown from where it was kept. Control
characters are shown as text.

Examples:
  kudulens show 'customer-bundle.zip!applogs/contoso-analytics/2026/11/19/02/5b7e2d-5344.applicationLog.csv:31'
  kudulens show 'customer-bundle.zip!data/jobs/continuous/Office365ActivityImporter/job_log.txt:858' -C 20
  kudulens show --db site.duckdb 'https://acct.blob.core.windows.net/applogs/contoso/2026/11/19/21/5b7e2d-8252.applicationLog.csv:268'
`

func runShow(ctx context.Context, args []string, e *env) int {
	var db string
	var context int
	fs := newFlagSet("show", showHelp, e)
	fs.IntVarP(&context, "context", "C", 5, "lines before and after the referenced line")
	fs.StringVar(&db, "db", "kudulens.duckdb", "the database to read the lines from when the bundle is not on disk")
	if code := parseFlags(fs, args, e); code >= 0 {
		return code
	}
	if fs.NArg() != 1 || context < 0 {
		fmt.Fprintln(e.stderr, "kudulens show: give one FILE:LINE (see --help)")
		return exitUsage
	}
	path, line, err := parseRef(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(e.stderr, "kudulens show: %v\n", err)
		return exitUsage
	}
	from, to := max(1, line-int64(context)), line+int64(context)
	outer, _, _ := strings.Cut(path, "!")
	if _, err := os.Stat(outer); err == nil {
		lines, err := bundleLines(ctx, outer, path, from, to)
		if err != nil {
			return fatal(e, err)
		}
		if lines == nil {
			fmt.Fprintf(e.stderr, "kudulens show: %s holds no file %s\n", escape.Terminal(outer), escape.Terminal(path))
			return exitUsage
		}
		return printShown(e, path, line, lines)
	}
	if _, err := os.Stat(db); err != nil {
		fmt.Fprintf(e.stderr, "kudulens show: %s is not on disk and there is no database %s to read it from (give --db)\n", escape.Terminal(outer), escape.Terminal(db))
		return exitUsage
	}
	var sf storeFlags
	s, err := sf.open(ctx, db)
	if err != nil {
		return fatal(e, err)
	}
	defer s.Close()
	lines, err := dbLines(ctx, s.DB(), path, from, to)
	if err != nil {
		return fatal(e, err)
	}
	if len(lines) == 0 {
		fmt.Fprintf(e.stderr, "kudulens show: %s has no rows of %s near line %d\n", escape.Terminal(db), escape.Terminal(path), line)
		return exitUsage
	}
	return printShown(e, path, line, lines)
}

// parseRef splits "file:line" at its last colon (paths and URLs hold colons themselves).
func parseRef(ref string) (string, int64, error) {
	i := strings.LastIndexByte(ref, ':')
	if i <= 0 {
		return "", 0, fmt.Errorf("%q is not FILE:LINE", ref)
	}
	n, err := strconv.ParseInt(ref[i+1:], 10, 64)
	if err != nil || n < 1 {
		return "", 0, fmt.Errorf("%q is not FILE:LINE (the line is a number from 1)", ref)
	}
	return ref[:i], n, nil
}

// shownLine is a line to print: its number in the file and its text.
type shownLine struct {
	no   int64
	text string
}

func printShown(e *env, path string, line int64, lines []shownLine) int {
	w := bufio.NewWriter(e.stdout)
	fmt.Fprintf(w, "%s\n", escape.Terminal(path))
	width := len(strconv.FormatInt(lines[len(lines)-1].no, 10))
	for _, l := range lines {
		mark := " "
		if l.no == line {
			mark = ">"
		}
		fmt.Fprintf(w, "%s %*d  %s\n", mark, width, l.no, escape.Terminal(strings.TrimRight(l.text, "\r")))
	}
	if err := w.Flush(); err != nil {
		return fatal(e, err)
	}
	return exitOK
}

// errFound stops the walk once the file has been read.
var errFound = errors.New("found")

// showVisitor reads lines from..to of the entry whose display path is want.
type showVisitor struct {
	want     string
	from, to int64
	lines    []shownLine
	found    bool
	err      error
}

func (v *showVisitor) File(en *source.Entry) error {
	if en.Path != v.want {
		return nil
	}
	v.found = true
	rc, err := en.Open()
	if err != nil {
		v.err = fmt.Errorf("open %s: %w", en.Path, err)
		return errFound
	}
	defer rc.Close()
	text, _ := source.TextReader(bufio.NewReader(rc))
	br := bufio.NewReaderSize(text, 64<<10)
	for no := int64(1); no <= v.to; no++ {
		l, err := br.ReadString('\n')
		if l == "" && err != nil {
			if err != io.EOF {
				v.err = fmt.Errorf("read %s: %w", en.Path, err)
			}
			break
		}
		if no >= v.from {
			v.lines = append(v.lines, shownLine{no, strings.TrimSuffix(l, "\n")})
		}
	}
	if v.lines == nil {
		v.lines = []shownLine{} // found, but shorter than from
	}
	return errFound
}
func (v *showVisitor) Container(source.ContainerInfo) {}
func (v *showVisitor) Problem(string, error)          {}

// bundleLines reads lines from..to of the file at display path want inside the source outer;
// nil when outer holds no such file.
func bundleLines(ctx context.Context, outer, want string, from, to int64) ([]shownLine, error) {
	v := &showVisitor{want: want, from: from, to: to}
	err := source.Walk(ctx, []string{outer}, source.WalkOptions{}, v)
	if err != nil && !errors.Is(err, errFound) {
		return nil, fmt.Errorf("read %s: %w", outer, err)
	}
	if v.err != nil {
		return nil, v.err
	}
	if !v.found {
		return nil, nil
	}
	return v.lines, nil
}

// dbLines reads lines from..to of file path from the database: the records stored there
// (their message, without the Kudu prefix; multi-line records on their lines), the lines that
// were merged as copies of another file's line (traces.also_file), and rejected lines as read.
func dbLines(ctx context.Context, db *gosql.DB, path string, from, to int64) ([]shownLine, error) {
	rows, err := db.QueryContext(ctx, `
		SELECT line_no, message FROM (
			SELECT line_no, message FROM traces
			WHERE source_file = $1 AND line_no <= $3 AND line_no + greatest(line_count, 1) - 1 >= $2
			UNION ALL
			SELECT also_line, message FROM traces WHERE also_file = $1 AND also_line BETWEEN $2 AND $3
			UNION ALL
			SELECT line_no, raw FROM rejects WHERE source_file = $1 AND line_no BETWEEN $2 AND $3
		) ORDER BY line_no`, path, from, to)
	if err != nil {
		return nil, fmt.Errorf("read %s from the database: %w", path, err)
	}
	defer rows.Close()
	seen := map[int64]bool{}
	var out []shownLine
	for rows.Next() {
		var no int64
		var msg gosql.NullString
		if err := rows.Scan(&no, &msg); err != nil {
			return nil, err
		}
		for i, l := range strings.Split(msg.String, "\n") {
			n := no + int64(i)
			if n < from || n > to || seen[n] {
				continue
			}
			seen[n] = true
			out = append(out, shownLine{n, l})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].no < out[j].no })
	return out, rows.Err()
}
