package store

import (
	"context"
	gosql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The commit markers of a Parquet lake and the exact list of files a reader reads (see the
// comment at the top of parquet.go).

// lakeCommitsDir holds one marker per committed export.
const lakeCommitsDir = "_kudulens_commits"

// lakeCommit is the marker of one export: the files it wrote, relative to the lake folder.
type lakeCommit struct {
	ExportID string           `json:"export_id"`
	Site     string           `json:"export_site"`
	Format   string           `json:"format"`
	Files    []string         `json:"files"`
	Rows     map[string]int64 `json:"rows,omitempty"`
}

// lake is what a reader of a lake folder reads: the committed files per table.
type lake struct {
	dir    string
	files  map[string][]string // table -> absolute paths
	site   map[string]string   // absolute path -> export_site of the export that wrote it; nil without markers
	legacy bool                // no markers: files of exports listed in table=files
	// legacyExports are the exports found committed by the old rule (legacy lakes).
	legacyExports map[string][]string
	linkDir       string // private folder of plain-named links, made when a path holds glob characters
	linkN         int
}

// readLake lists the committed files of the lake in dir. A folder without markers (written
// before they existed) is read the old way: every part file of an export that is in the files
// table. missingOK tolerates a lake that is not there yet (an export's first run).
func readLake(ctx context.Context, conn *gosql.Conn, dir string, missingOK bool) (*lake, error) {
	return readLakeSites(ctx, conn, dir, missingOK, nil)
}

// readCommits reads the markers of the lake in dir; ok is false when it has no markers folder.
func readCommits(dir string) (commits []lakeCommit, ok bool, err error) {
	ents, err := os.ReadDir(filepath.Join(dir, lakeCommitsDir))
	if err != nil {
		return nil, false, err
	}
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, lakeCommitsDir, e.Name()))
		if err != nil {
			return nil, true, err
		}
		var c lakeCommit
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, true, fmt.Errorf("%s: %w", filepath.Join(lakeCommitsDir, e.Name()), err)
		}
		commits = append(commits, c)
	}
	return commits, true, nil
}

// readLakeSites is readLake keeping only the exports whose export_site keep accepts (all
// when keep is nil). A lake without markers has no per-export site: keep must be nil.
func readLakeSites(ctx context.Context, conn *gosql.Conn, dir string, missingOK bool, keep func(site string) bool) (*lake, error) {
	l := &lake{dir: dir, files: map[string][]string{}}
	commits, _, err := readCommits(dir)
	if err == nil {
		l.site = map[string]string{}
		for _, c := range commits {
			if keep != nil && !keep(c.Site) {
				continue
			}
			for _, f := range c.Files {
				if err := l.add(f); err != nil {
					return nil, fmt.Errorf("%s: %w", filepath.Join(lakeCommitsDir, c.ExportID+".json"), err)
				}
				l.site[filepath.Join(l.dir, filepath.FromSlash(f))] = c.Site
			}
		}
		return l, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if keep != nil {
		return nil, fmt.Errorf("%s: a lake without commit markers (written by an older kudulens) is read whole, not by site", dir)
	}
	// A lake of the first format: no markers.
	parts := map[string][]string{} // export id -> relative paths
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if missingOK && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != dir && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir // unfinished writes (.part-….tmp-*)
			}
			return nil
		}
		if id, ok := exportIDOf(name); ok && d.Type().IsRegular() {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			parts[id] = append(parts[id], filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return l, nil
	}
	l.legacy = true
	// Committed by the old rule: the export's rows are in the files table.
	var filesParts []string
	for _, ps := range parts {
		for _, p := range ps {
			if strings.HasPrefix(p, "table=files/") {
				filesParts = append(filesParts, filepath.Join(dir, filepath.FromSlash(p)))
			}
		}
	}
	committed := map[string]bool{}
	if len(filesParts) > 0 {
		src, err := l.source(filesParts)
		if err != nil {
			return nil, err
		}
		rows, err := conn.QueryContext(ctx, "SELECT DISTINCT export_id FROM "+src)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			committed[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	l.legacyExports = map[string][]string{}
	for id, ps := range parts {
		if !committed[id] {
			continue
		}
		sort.Strings(ps)
		l.legacyExports[id] = ps
		for _, p := range ps {
			if err := l.add(p); err != nil {
				return nil, err
			}
		}
	}
	return l, nil
}

// add records a committed file given relative to the lake folder.
func (l *lake) add(rel string) error {
	table, _, ok := strings.Cut(rel, "/")
	if !ok || !strings.HasPrefix(table, "table=") || !filepath.IsLocal(filepath.FromSlash(rel)) {
		return fmt.Errorf("file %q is not inside a table folder of the lake", rel)
	}
	l.files[strings.TrimPrefix(table, "table=")] = append(l.files[strings.TrimPrefix(table, "table=")], filepath.Join(l.dir, filepath.FromSlash(rel)))
	return nil
}

// filesOfSite are the committed files of table written by exports of site: all of them in a
// lake without markers (whose rows say their site: callers filter on export_site too). An
// export reads only its own site's files table, which in a lake of many sites is a small part.
func (l *lake) filesOfSite(table, site string) []string {
	if l.site == nil {
		return l.files[table]
	}
	var out []string
	for _, p := range l.files[table] {
		if l.site[p] == site {
			out = append(out, p)
		}
	}
	return out
}

// exportIDOf returns the export id in a part file's name (part-<id>-<n>.parquet).
func exportIDOf(name string) (string, bool) {
	if !strings.HasPrefix(name, "part-") || !strings.HasSuffix(name, ".parquet") {
		return "", false
	}
	rest := strings.TrimSuffix(strings.TrimPrefix(name, "part-"), ".parquet")
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 {
		return "", false
	}
	return rest[:i], true
}

// commitLegacy writes the markers of the exports of a lake of the first format, so that the
// first marker of a new export does not hide them.
func (l *lake) commitLegacy() error {
	ids := make([]string, 0, len(l.legacyExports))
	for id := range l.legacyExports {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if err := writeCommit(l.dir, lakeCommit{ExportID: id, Format: LakeFormatVersion, Files: l.legacyExports[id]}); err != nil {
			return err
		}
	}
	l.legacy = false
	return nil
}

// writeCommit publishes the marker of an export: written to a temporary file created
// exclusively in the markers folder, synced, then renamed into place.
func writeCommit(dir string, c lakeCommit) error {
	cdir := filepath.Join(dir, lakeCommitsDir)
	if err := os.MkdirAll(cdir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(cdir, "."+c.ExportID+".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(cdir, c.ExportID+".json"))
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// hasGlob reports whether DuckDB would expand p as a pattern: it globs every path it is
// given, in a list too, and has no escape for '*', '?' or '['.
func hasGlob(p string) bool { return strings.ContainsAny(p, "*?[") }

// source returns a read_parquet call over exactly the given files. A path DuckDB would glob
// (a site folder named '*' reads every other site) is read through a link with a plain name
// in a private temporary folder.
func (l *lake) source(paths []string) (string, error) {
	list, err := l.fileList(paths)
	if err != nil {
		return "", err
	}
	return "read_parquet(" + list + ", union_by_name = true, hive_partitioning = false)", nil
}

// fileList returns the paths as a DuckDB list literal that no function globs (see source).
func (l *lake) fileList(paths []string) (string, error) {
	quoted := make([]string, len(paths))
	for i, p := range paths {
		if hasGlob(p) {
			if l.linkDir == "" {
				d, err := os.MkdirTemp("", "kudulens-lake-")
				if err != nil {
					return "", err
				}
				l.linkDir = d
				if hasGlob(d) {
					return "", fmt.Errorf("%s: the lake's path holds glob characters (*, ? or [) and so does the temporary folder; set TMPDIR to a plain one", p)
				}
			}
			l.linkN++
			link := filepath.Join(l.linkDir, fmt.Sprintf("%06d.parquet", l.linkN))
			if err := os.Symlink(p, link); err != nil {
				return "", fmt.Errorf("%s: %w", p, err)
			}
			p = link
		}
		quoted[i] = quoteStr(filepath.ToSlash(p))
	}
	return "[" + strings.Join(quoted, ", ") + "]", nil
}

// minBombBytes is how much a lake may expand to before its ratio is checked (the grace of
// a compressed stream's first MiB, scaled to whole folders).
const minBombBytes = 64 << 20

// checkExpansion refuses a table whose Parquet files would expand past maxRatio times their
// size on disk once read: a few MB of files of repeated rows (RLE and dictionary pages) can
// hold billions of rows, which DuckDB decodes into memory and spills to disk. The decoded size
// is counted from below (rows × columns × 8 bytes), so a real lake is never refused.
func (l *lake) checkExpansion(ctx context.Context, conn *gosql.Conn, table string, columns int, maxRatio int64) error {
	paths := l.files[table]
	var disk int64
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		disk += fi.Size()
	}
	list, err := l.fileList(paths)
	if err != nil {
		return err
	}
	var rows int64
	if err := conn.QueryRowContext(ctx, "SELECT coalesce(sum(num_rows), 0)::BIGINT FROM parquet_file_metadata("+list+")").Scan(&rows); err != nil {
		return fmt.Errorf("table=%s: %w", table, err)
	}
	decoded := rows * int64(columns) * 8
	if decoded > minBombBytes && decoded/maxRatio > disk {
		return fmt.Errorf("limit exceeded: table=%s holds %d rows in %d bytes of Parquet files, at least %d bytes once read, above %d:1 (MaxRatio); raise it with --max-ratio",
			table, rows, disk, decoded, maxRatio)
	}
	return nil
}

// close removes the links folder.
func (l *lake) close() {
	if l.linkDir != "" {
		os.RemoveAll(l.linkDir)
	}
}

// LakeSites lists the sites (export_site) of the lake in dir, sorted, each once; "" stands for
// exports without a site. ok is false when dir has no commit markers (not a lake, or one
// written before markers existed, which is read whole).
func LakeSites(dir string) (sites []string, ok bool, err error) {
	commits, ok, err := readCommits(dir)
	if !ok {
		if errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
		return nil, false, err
	}
	if err != nil {
		return nil, true, err
	}
	seen := map[string]bool{}
	for _, c := range commits {
		if !seen[c.Site] {
			seen[c.Site] = true
			sites = append(sites, c.Site)
		}
	}
	sort.Strings(sites)
	return sites, true, nil
}

// LakeFiles lists the committed Parquet files of each table of the lake in dir (absolute
// paths, sorted): what another engine should read, e.g. the emitted checks (kudulens checks
// --emit duckdb --lake DIR). Files no export committed are left out.
func (s *Store) LakeFiles(ctx context.Context, dir string) (map[string][]string, error) {
	abs, conn, err := s.lakeConn(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	l, err := readLake(ctx, conn, abs, false)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	defer l.close()
	out := map[string][]string{}
	for t, fs := range l.files {
		out[t] = append([]string(nil), fs...)
		sort.Strings(out[t])
	}
	return out, nil
}

// lakeConn checks that dir is a kudulens Parquet folder, and gives its absolute path and a
// connection to read it on.
func (s *Store) lakeConn(ctx context.Context, dir string) (string, *gosql.Conn, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, err
	}
	if !IsParquetDir(abs) {
		return "", nil, fmt.Errorf("%s: not a kudulens Parquet folder (no table=traces or table=files in it)", dir)
	}
	conn, err := s.db.Conn(ctx)
	return abs, conn, err
}
