package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/kudulens/kudulens/internal/escape"
	"github.com/kudulens/kudulens/pipeline/store"
)

const exportHelp = `Usage: kudulens export --parquet DIR [--site NAME] (SOURCE... | --db FILE)

Writes the tables (traces, exceptions, customEvents, rejects, job_status, files) as zstd
Parquet, hive-partitioned: DIR/table=<table>/date=<YYYY-MM-DD>/job=<job>/part-<export_id>-0.parquet,
for Spark/Databricks, Synapse/Fabric, Azure Data Explorer, ClickHouse or DuckDB (README "Parquet
export" has the schema and the commands to load it).

Appends: only files whose content (sha256) DIR does not hold yet for the same --site are
written, under new names; nothing already in DIR is changed. Exporting the same data twice
writes nothing the second time. 'kudulens query' and 'diagnose' read DIR back as a SOURCE.

Examples:
  kudulens export --parquet lake/ --site contoso-analytics tonight.zip
  kudulens export --parquet lake/ --db site.duckdb
  kudulens query lake/ --sql "select job, count(*) from traces group by all"
`

func runExport(ctx context.Context, args []string, e *env) int {
	var sf storeFlags
	var dir, site string
	var schema bool
	fs := newFlagSet("export", exportHelp, e)
	sf.register(fs, "kudulens.duckdb")
	fs.StringVar(&dir, "parquet", "", "the folder to write the Parquet data set into (required)")
	fs.StringVar(&site, "site", "", "the site's name, in every row's export_site (default: the site the application logs name)")
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
	if u, err := url.Parse(dir); err == nil && u.Scheme != "" && len(u.Scheme) > 1 && strings.Contains(dir, "://") {
		// A URL is not a folder: without this, https://… became a local folder named "https:".
		fmt.Fprintf(e.stderr, "kudulens export: --parquet takes a local folder; writing to %s:// is not supported by kudulens yet (export to a folder, then copy it, e.g. with azcopy)\n", escape.Terminal(u.Scheme))
		return exitUsage
	}
	database, code := openOrIngest(ctx, fs.Changed("db"), fs.Args(), &sf, e)
	if database == nil {
		return code
	}
	defer database.Close()
	st, err := database.ExportParquet(ctx, dir, store.ExportOptions{Site: site})
	if err != nil {
		return fatal(e, err)
	}
	if st.NewFiles == 0 {
		fmt.Fprintf(e.stdout, "nothing new: all %d files are in %s already (site %q)\n", st.AlreadyDone, dir, st.Site)
		return code
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
	for _, t := range store.LakeTables {
		fmt.Fprintf(e.stdout, "  %-13s %8d rows\n", t, st.Rows[t])
	}
	return code
}
