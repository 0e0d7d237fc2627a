package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/kudulens/kudulens/internal/escape"
	"github.com/kudulens/kudulens/pipeline/blob"
	"github.com/kudulens/kudulens/pipeline/store"
)

const exportHelp = `Usage: kudulens export --parquet DIR|CONTAINER-URL [--site NAME] (SOURCE... | --db FILE)
       kudulens export --parquet DIR|CONTAINER-URL --fleet FOLDER|CONTAINER-URL

Writes the tables (traces, exceptions, customEvents, rejects, job_status, files) as zstd
Parquet, hive-partitioned: DIR/table=<table>/date=<YYYY-MM-DD>/job=<job>/part-<export_id>-0.parquet,
for Spark/Databricks, Synapse/Fabric, Azure Data Explorer, ClickHouse or DuckDB (README "Parquet
export" has the schema and the commands to load it).

--parquet takes a local folder or a blob container URL (or a prefix in one, or az://container/prefix),
with the credentials of blob sources (--auth, --connection-string, the SAS in the URL, ...; the
credential needs to list, read and write). The files are written in a private temporary folder,
uploaded, and the export's commit marker is uploaded last: readers never see half an export.

Appends: only files whose content (sha256) the lake does not hold yet for the same --site are
written, under new names; nothing already there is changed. A log that grew since it was
exported (a job_log.txt with lines appended) is written as its new lines only. Exporting the
same data twice writes nothing the second time. 'kudulens query' and 'diagnose' read DIR back
as a SOURCE, and 'diagnose --fleet DIR' diagnoses each of its sites.

--fleet exports every site of a fleet folder or container (one site per top-level folder,
bundle or blob prefix, named as 'diagnose --fleet' names them): each is ingested into a
temporary database of its own and exported with export_site = the site's name.

Examples:
  kudulens export --parquet lake/ --site contoso-analytics tonight.zip
  kudulens export --parquet lake/ --db site.duckdb
  kudulens export --parquet "https://acct.blob.core.windows.net/lake?$SAS" --site contoso tonight.zip
  kudulens export --parquet https://acct.blob.core.windows.net/lake --auth login --fleet /data/bundles
  kudulens query lake/ --sql "select job, count(*) from traces group by all"
`

func runExport(ctx context.Context, args []string, e *env) int {
	var sf storeFlags
	var dir, site, fleet string
	var schema bool
	fs := newFlagSet("export", exportHelp, e)
	sf.register(fs, "kudulens.duckdb")
	fs.StringVar(&dir, "parquet", "", "the folder or blob container URL to write the Parquet data set into (required)")
	fs.StringVar(&site, "site", "", "the site's name, in every row's export_site (default: the site the application logs name)")
	fs.StringVar(&fleet, "fleet", "", "export every site under this folder or blob container/prefix, each with its own export_site")
	fs.BoolVar(&schema, "schema", false, "print the exported columns of each table and exit")
	if code := parseFlags(fs, args, e); code >= 0 {
		return code
	}
	if schema {
		s, err := store.Open(ctx, "", store.Options{})
		if err != nil {
			return fatal(e, err)
		}
		defer s.Close()
		cols, err := s.LakeSchema(ctx)
		if err != nil {
			return fatal(e, err)
		}
		for _, t := range store.LakeTables {
			fmt.Fprintf(e.stdout, "table=%s\n  %s\n", t, strings.Join(cols[t], "\n  "))
		}
		return exitOK
	}
	if dir == "" {
		fmt.Fprintln(e.stderr, "kudulens export: --parquet DIR is required (see --help)")
		return exitUsage
	}
	dest, code := openLakeDest(dir, &sf, e)
	if code >= 0 {
		return code
	}
	if dest.remote != nil {
		if err := dest.remote.Probe(ctx); err != nil {
			return fatal(e, err)
		}
	}
	if fleet != "" {
		if site != "" || fs.Changed("db") || len(fs.Args()) > 0 {
			fmt.Fprintln(e.stderr, "kudulens export: --fleet takes no --site, --db or SOURCE: the sites and their names come from the fleet (see --help)")
			return exitUsage
		}
		return exportFleet(ctx, fleet, dest, &sf, e)
	}
	database, code := openOrIngest(ctx, fs.Changed("db"), fs.Args(), &sf, e)
	if database == nil {
		return code
	}
	defer database.Close()
	st, err := dest.export(ctx, database, store.ExportOptions{Site: site})
	if err != nil {
		return fatal(e, err)
	}
	printExport(e, st, dest.name)
	return code
}

// lakeDest is where an export writes: a local folder or a blob container.
type lakeDest struct {
	dir    string     // local folder, or ""
	remote *blob.Lake // blob container, or nil
	name   string     // for messages: the folder, or the URL without its query
}

// openLakeDest reads --parquet. It returns a code >= 0 when the run ends here.
func openLakeDest(dir string, sf *storeFlags, e *env) (*lakeDest, int) {
	if !blob.IsSource(dir) {
		return &lakeDest{dir: dir, name: dir}, -1
	}
	if u, err := url.Parse(dir); err == nil && !strings.HasPrefix(strings.ToLower(dir), "az://") &&
		u.Scheme != "https" && u.Scheme != "http" && strings.Contains(dir, "://") {
		// A URL is not a folder: without this, s3://… became a local folder named "s3:".
		fmt.Fprintf(e.stderr, "kudulens export: --parquet takes a local folder or an Azure Blob Storage container URL (https://, az://); %s:// is not supported\n", escape.Terminal(u.Scheme))
		return nil, exitUsage
	}
	l, err := blob.OpenLake(dir, sf.blob.options(e))
	if err != nil {
		fmt.Fprintf(e.stderr, "kudulens export: --parquet: %s\n", escape.TerminalLines(err.Error()))
		return nil, exitUsage
	}
	return &lakeDest{remote: l, name: l.String()}, -1
}

func (d *lakeDest) export(ctx context.Context, s *store.Store, o store.ExportOptions) (*store.ExportStats, error) {
	if d.remote != nil {
		return s.ExportParquetRemote(ctx, d.remote, o)
	}
	return s.ExportParquet(ctx, d.dir, o)
}

// printExport says what an export wrote.
func printExport(e *env, st *store.ExportStats, dir string) {
	dir = escape.Terminal(dir)
	if st.NewFiles == 0 {
		fmt.Fprintf(e.stdout, "nothing new: all %d files are in %s already (site %q)\n", st.AlreadyDone, dir, st.Site)
		return
	}
	// Files counted as ingest and diagnose count them: log files, besides the archives that
	// held them and the files skipped (all of them rows of table=files).
	fmt.Fprintf(e.stdout, "export %s (site %q): %d files", st.ExportID, st.Site, st.NewFiles-st.NewArchives-st.NewSkipped)
	if st.NewArchives > 0 {
		fmt.Fprintf(e.stdout, " from %d %s", st.NewArchives, map[bool]string{true: "archive", false: "archives"}[st.NewArchives == 1])
	}
	if st.NewSkipped > 0 {
		fmt.Fprintf(e.stdout, " (%d more skipped)", st.NewSkipped)
	}
	if st.AlreadyDone > 0 {
		fmt.Fprintf(e.stdout, " (%d more files rows were in %s already)", st.AlreadyDone, dir)
	}
	fmt.Fprintf(e.stdout, " → %d Parquet files in %s\n", st.ParquetFile, dir)
	if st.Appended > 0 {
		fmt.Fprintf(e.stdout, "  %d %s that grew since an earlier export: only the new lines written\n", st.Appended,
			map[bool]string{true: "log", false: "logs"}[st.Appended == 1])
	}
	for _, t := range store.LakeTables {
		fmt.Fprintf(e.stdout, "  %-13s %8d rows\n", t, st.Rows[t])
	}
}
