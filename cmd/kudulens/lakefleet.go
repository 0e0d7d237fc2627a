package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kudulens/kudulens/internal/escape"
	"github.com/kudulens/kudulens/pipeline"
	"github.com/kudulens/kudulens/pipeline/blob"
	"github.com/kudulens/kudulens/pipeline/store"
)

// A fleet kept as one lake: `export --fleet` writes every site into one Parquet lake (rows
// told apart by export_site), and `diagnose --fleet lake/` reads it back one site per
// export_site, each loaded from the committed files of that site's exports alone.

// lakeSelection says which of a lake's sites a fleet entry loads.
type lakeSelection struct{ site string }

// lakeFleetEntries lists the sites of dir when dir is a lake (it has table= folders or a
// _kudulens_commits folder): one per export_site, named by it (exports without a site by the
// lake's folder name). ok is false when dir is not a lake. A lake written before commit
// markers existed has no per-export sites: it is one site, the folder.
func lakeFleetEntries(dir string) (entries []fleetEntry, ok bool, err error) {
	name := filepath.Base(dir)
	if abs, err := filepath.Abs(dir); err == nil {
		name = filepath.Base(abs)
	}
	return lakeFleetEntriesNamed(dir, name)
}

// lakeFleetEntriesNamed is lakeFleetEntries naming a site without export_site name (the
// lake's folder, or the container prefix a lake was fetched from).
func lakeFleetEntriesNamed(dir, name string) (entries []fleetEntry, ok bool, err error) {
	_, cerr := os.Stat(filepath.Join(dir, "_kudulens_commits"))
	if !store.IsParquetDir(dir) && cerr != nil {
		return nil, false, nil
	}
	sites, marked, err := store.LakeSites(dir)
	if err != nil {
		return nil, true, err
	}
	if !marked {
		return []fleetEntry{{site: name, path: dir, display: dir}}, true, nil
	}
	for _, s := range sites {
		en := fleetEntry{site: s, path: dir, display: dir, lake: &lakeSelection{site: s}}
		if s == "" {
			en.site = name
		}
		entries = append(entries, en)
	}
	return entries, true, nil
}

// loadLake loads a fleet entry that is a lake folder: one of its sites, or the folder when
// it holds one site (a lake of several sites inside a fleet folder is refused with their
// names, as query refuses it: its sites would merge).
func loadLake(ctx context.Context, database *store.Store, en fleetEntry) error {
	if en.lake != nil {
		_, err := database.LoadParquetSite(ctx, en.path, en.lake.site)
		return err
	}
	return loadLakeSource(ctx, database, en.path, &storeFlags{})
}

// exportFleet is `export --fleet SRC --parquet DEST`: each site of SRC (found as diagnose
// --fleet finds them) is ingested into a temporary database of its own and exported
// with export_site = its name, one after the other. A site that cannot be read is reported and
// the others go on (exit 3 at the end); a failure to write the lake stops the run.
func exportFleet(ctx context.Context, src string, dest *lakeDest, sf *storeFlags, e *env) int {
	var entries []fleetEntry
	var note string
	var err error
	if blob.IsSource(src) {
		if entries, note, err = blobFleetEntries(ctx, src, sf.blob.options(e)); err != nil {
			if ctx.Err() != nil {
				return fatal(e, ctx.Err())
			}
			fmt.Fprintf(e.stderr, "kudulens export: --fleet: %s\n", escape.TerminalLines(err.Error()))
			return exitInputFailed
		}
	} else {
		if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
			fmt.Fprintf(e.stderr, "kudulens export: --fleet %s: not a folder or a blob container (each of its top-level files or folders is one site)\n", escape.Terminal(src))
			return exitUsage
		}
		if entries, note, err = fleetEntries(src); err != nil {
			return fatal(e, err)
		}
	}
	if note != "" && !sf.quiet {
		fmt.Fprintf(e.stderr, "kudulens export: --fleet: %s\n", escape.Terminal(note))
	}
	if len(entries) == 0 {
		fmt.Fprintf(e.stderr, "kudulens export: --fleet %s: no sites in it\n", escape.Terminal(blob.StripQuery(src)))
		return exitInputFailed
	}
	code := exitOK
	destAbs, _ := filepath.Abs(dest.dir)
	for _, en := range entries {
		if abs, err := filepath.Abs(en.path); dest.dir != "" && err == nil && abs == destAbs {
			continue // the lake itself, written inside the fleet folder: not a site
		}
		if !sf.noRedact {
			// A site named after its bundle file may carry the SAS it was downloaded with.
			en.site, en.display = redactName(en.site), redactName(en.display)
		}
		st, problems, err := exportSite(ctx, en, dest, sf, e)
		if ctx.Err() != nil {
			return fatal(e, ctx.Err())
		}
		for _, p := range problems {
			fmt.Fprintf(e.stderr, "kudulens export: site %s: %s\n", escape.Terminal(en.site), p)
			code = exitInputFailed
		}
		var lakeErr *lakeWriteError
		switch {
		case errors.As(err, &lakeErr):
			return fatal(e, fmt.Errorf("site %s: %w", en.site, lakeErr.err))
		case err != nil:
			fmt.Fprintf(e.stderr, "kudulens export: site %s: %s\n", escape.Terminal(en.site), escape.TerminalLines(err.Error()))
			code = exitInputFailed
			continue
		}
		fmt.Fprintf(e.stdout, "%s: ", escape.Terminal(en.site))
		printExport(e, st, dest.name)
	}
	return code
}

// lakeWriteError is a failure to write the lake (not to read a site): it ends a fleet export.
type lakeWriteError struct{ err error }

func (l *lakeWriteError) Error() string { return l.err.Error() }

// exportSite reads one fleet site into a database of its own and exports it. problems are the
// files that could not be read (wholly or in part).
func exportSite(ctx context.Context, en fleetEntry, dest *lakeDest, sf *storeFlags, e *env) (*store.ExportStats, []string, error) {
	if en.skip != "" {
		return nil, nil, errors.New(en.skip)
	}
	// A large site goes to a temporary database file (bounded by the memory limit), as
	// query and diagnose do with large sources; a fleet's sites are read one at a time.
	open := sf.open
	if estimateLogBytes([]string{en.path}) > inMemoryMax {
		open = func(ctx context.Context, _ string) (*store.Store, error) { return sf.openTemporary(ctx) }
	}
	database, err := open(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	defer database.Close()
	var problems []string
	if store.IsParquetDir(en.path) {
		if err := loadLake(ctx, database, en); err != nil {
			return nil, nil, err
		}
	} else {
		o := sf.ingestOptions(e)
		o.Walk.Stdin = nil
		sum, err := pipeline.Ingest(ctx, database, []string{en.path}, o, nil)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range sum.Files {
			if f.Row.Status == "failed" || f.Row.Status == "partial" {
				problems = append(problems, fileNote(f.Row.Status, f))
			}
		}
	}
	st, err := dest.export(ctx, database, store.ExportOptions{Site: en.site})
	if err != nil {
		return nil, problems, &lakeWriteError{err}
	}
	return st, problems, nil
}

const lakeSiteUsage = "with a Parquet lake holding several sites (export --fleet) as SOURCE: read this site's exports (diagnose --fleet reads them all, site by site)"

// loadLakeSource loads a lake given as a SOURCE of query or diagnose. A lake of several sites
// is read one site at a time (--site): loaded together, the sites' rows would merge as copies
// of one another wherever two sites logged the same lines.
func loadLakeSource(ctx context.Context, s *store.Store, dir string, sf *storeFlags) error {
	sites, marked, err := store.LakeSites(dir)
	if err != nil {
		return err
	}
	if sf.lakeSite != "" {
		if !marked {
			return fmt.Errorf("%s: --site: this lake has no commit markers (written by an older kudulens) and is read whole", dir)
		}
		for _, site := range sites {
			if site == sf.lakeSite {
				_, err := s.LoadParquetSite(ctx, dir, site)
				return err
			}
		}
		return fmt.Errorf("%s: --site %s: no such site in the lake (it holds %s)", dir, sf.lakeSite, strings.Join(quoteAll(sites), ", "))
	}
	if len(sites) > 1 {
		return fmt.Errorf("%s holds %d sites (%s): read one with --site NAME, or all of them, site by site, with diagnose --fleet %s",
			dir, len(sites), strings.Join(quoteAll(sites), ", "), dir)
	}
	_, err = s.LoadParquet(ctx, dir)
	return err
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// errBlobLake is blobFleetEntries' answer for a container (or prefix) that is a Parquet lake:
// its top level has table= folders or _kudulens_commits, which would otherwise be diagnosed
// as sites named table=….
var errBlobLake = errors.New("a Parquet lake (written by export --parquet), not a folder of sites")

func isBlobLake(sites []blob.Site) bool {
	for _, s := range sites {
		if s.Folder && (s.Name == "_kudulens_commits" || strings.HasPrefix(s.Name, "table=")) {
			return true
		}
	}
	return false
}

// fetchBlobLake copies what fetch takes of the lake in a blob container (or prefix) into a
// private temporary folder, and returns the folder and its remover.
func fetchBlobLake(ctx context.Context, src string, o *blob.Options, fetch func(ctx context.Context, l *blob.Lake, dir string) error) (string, func(), error) {
	l, err := blob.OpenLake(src, o)
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "kudulens-lake-")
	if err != nil {
		return "", nil, err
	}
	remove := func() { os.RemoveAll(dir) }
	if err := fetch(ctx, l, dir); err != nil {
		remove()
		return "", nil, fmt.Errorf("read the lake %s: %w", l, err)
	}
	return dir, remove, nil
}

// blobLakeName is the site of a container's lake exports written without --site: the
// prefix's last folder, or the container's name.
func blobLakeName(src string) string {
	display := strings.TrimRight(blob.StripQuery(src), "/")
	return display[strings.LastIndex(display, "/")+1:]
}

// fetchFleetLake fetches the lake in a blob container for a fleet run: every marker, so that
// the lake's sites are all listed, and the files of the sites keep takes.
func fetchFleetLake(ctx context.Context, src string, o *blob.Options, keep func(site string) bool) (string, func(), error) {
	name := blobLakeName(src)
	return fetchBlobLake(ctx, src, o, func(ctx context.Context, l *blob.Lake, dir string) error {
		_, err := store.FetchLakeSites(ctx, l, dir, func(site string) bool {
			if site == "" {
				site = name
			}
			return keep(site)
		})
		return err
	})
}

// fetchSourceLake fetches a blob SOURCE that is a Parquet lake (its top level has table=
// folders or _kudulens_commits) into a private temporary folder: the markers and files of
// the --site asked for, or of every site. It returns "" for a container of logs, and for a
// source it cannot list.
func fetchSourceLake(ctx context.Context, src string, sf *storeFlags, e *env) (string, func(), error) {
	o := sf.blob.options(e)
	sites, err := blob.ListSites(ctx, src, o)
	if err != nil || !isBlobLake(sites) {
		// Not a lake, or not listable here (a blob's own URL with a SAS that may read but
		// not list): read as logs, which says what is wrong if anything is.
		return "", nil, ctx.Err()
	}
	return fetchBlobLake(ctx, src, o, func(ctx context.Context, l *blob.Lake, dir string) error {
		if sf.lakeSite == "" {
			_, err := store.FetchLake(ctx, l, dir)
			return err
		}
		// One site: its own markers only, not every marker of a lake of many sites.
		n, err := store.FetchLakeSite(ctx, l, dir, sf.lakeSite)
		if err == nil && n == 0 {
			err = fmt.Errorf("--site %s: no export of that site in the lake", sf.lakeSite)
		}
		return err
	})
}
