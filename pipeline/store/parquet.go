package store

import (
	"context"
	"crypto/sha256"
	gosql "database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	klsql "github.com/kudulens/kudulens/sql"
)

// Parquet export and import: the store's tables as a hive-partitioned Parquet data set that
// Spark/Databricks, Synapse/Fabric, Azure Data Explorer, ClickHouse and DuckDB read, and that
// kudulens reads back as a source (README "Parquet export").
//
// Layout: DIR/table=<table>/date=<YYYY-MM-DD>/job=<job>/part-<export_id>-0.parquet, zstd.
// Every file holds whole rows of its table — all columns of sql/schema.sql, timestamps as
// TIMESTAMP WITH TIME ZONE (UTC instants) — plus export_site, export_id, date and job (the
// partition columns are written into the files too, so a file read alone is complete).
// A row without a job (or date) is under job=__HIVE_DEFAULT_PARTITION__, Hive's and Spark's
// name for the null partition, so that a job folder literally named NULL keeps a partition of
// its own (job=NULL). A partition value whose escaped form is longer than maxPartitionValue
// bytes (a folder name has at most 255) is shortened to a prefix and a hash of the whole value;
// the files hold the whole value, and kudulens reads the columns from the files, never from
// the folder names.
//
// Committing: an export writes its Parquet files, then publishes one marker,
// DIR/_kudulens_commits/<export_id>.json, listing every file it wrote (renamed into place
// last, so it is there whole or not at all). Readers read exactly the files the markers list:
// an export killed half-way, and any file nobody committed, is not read. (Spark and Hive skip
// folders starting with '_'; other readers should take the file lists from the markers too.)
// A folder written before markers existed (no _kudulens_commits) is read as it was: the
// exports its files table lists; the next export into it writes markers for those first.
//
// Appending: an export writes only the files (files.sha256) not already committed in DIR for
// the same export_site, under a name derived from exactly what it writes (export_id), and
// never touches other names. Exporting the same data twice writes nothing the second time; an
// export that died half-way is redone under the same names and committed then. A log that grew
// since an export of it is written as its new lines only (appends.go). A table with no rows
// yet for the site is written as a file of its columns and no rows, so every table has a
// folder. Rows without a time of their own (job_status) are dated by the capture (captureSQL).
// An export reads only its own site's markers and files table.
//
// A lake in a blob container (ExportParquetRemote, remote.go) is written the same way in a
// private staging folder, then uploaded, the marker last.

// LakeTables are the exported tables, in the order they are written (files last).
var LakeTables = []string{"traces", "exceptions", "customEvents", "rejects", "job_status", "files"}

// LakeFormatVersion is part of export_id: a change of layout gives new names.
const LakeFormatVersion = "1"

// ExportOptions configure ExportParquet.
type ExportOptions struct {
	Site string // export_site of every row; default: the site the application logs name, else ""
}

// ExportStats says what an export wrote.
type ExportStats struct {
	ExportID    string
	Site        string
	NewFiles    int64            // files rows exported now
	NewArchives int64            // of them: archives that held the logs (not log files)
	NewSkipped  int64            // of them: files skipped as no log
	AlreadyDone int64            // files rows already in DIR (same content, same site)
	Appended    int64            // of them: logs that grew since an export of them; only their new lines are written
	Rows        map[string]int64 // rows written per table
	EmptyTables []string         // tables with no rows in the lake yet: written as a file of columns and no rows
	ParquetFile int              // .parquet files written
}

// partitionExprs gives, per table, the FROM clause (aliased t, joined to the file row f, its
// capture time c and, for a log that grew since an earlier export, the first line to write fr)
// and the date and job partition values. A job_status row is dated by its capture
// (kl_capture), not by the day of the export.
func partitionExprs(table string) (from, date, job string) {
	joins := ` JOIN files f ON f.file_id = t.file_id JOIN kl_capture c ON c.file_id = t.file_id
		LEFT JOIN kl_from fr ON fr.file_id = t.file_id`
	fileDate := "CAST(coalesce(f.first_ts, c.captured_at) AS DATE)"
	switch table {
	case "traces", "exceptions", "customEvents":
		return table + " t" + joins, "CAST(coalesce(t.timestamp, f.first_ts, c.captured_at) AS DATE)", "t.job"
	case "rejects":
		return "rejects t" + joins, fileDate, "f.job"
	case "job_status":
		return "job_status t" + joins, "CAST(c.captured_at AS DATE)", "t.job"
	}
	return "files t" + joins + " LEFT JOIN kl_logs l ON l.file_id = t.file_id", fileDate, "t.job"
}

// lineTables are the tables whose rows are lines of a log (line_no): of a log that grew, only
// the rows past the lines an earlier export committed are written.
var lineTables = map[string]bool{"traces": true, "exceptions": true, "customEvents": true, "rejects": true}

// logKinds are the files whose rows are lines (files.kind), as a SQL list.
const logKinds = "('kudu-log', 'app-log-csv', 'app-log-txt')"

// tableColumns lists a table's columns and types in the store.
func tableColumns(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*gosql.Rows, error)
}, table string) (names, types []string, err error) {
	rows, err := q.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_name = ? AND table_schema = 'main' ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			return nil, nil, err
		}
		names, types = append(names, n), append(types, t)
	}
	return names, types, rows.Err()
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func quoteStr(s string) string   { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// fileKey is how an export recognises a files row it wrote before: its content, or for rows
// without content (failed, skipped) its path and outcome.
const fileKey = `coalesce(sha256, path || '|' || coalesce(status, '') || '|' || coalesce(error, ''))`

// ExportParquet writes the store's tables into the folder dir as described above.
func (s *Store) ExportParquet(ctx context.Context, dir string, o ExportOptions) (*ExportStats, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return s.export(ctx, abs, dir, o, nil)
}

// export writes the export into the lake folder abs (dir is its name for messages). With
// publish set, abs is a private staging folder holding a remote lake's markers and its files
// table: publish uploads what the export wrote, the marker last, instead of writing the
// marker into abs.
func (s *Store) export(ctx context.Context, abs, dir string, o ExportOptions, publish func(lakeCommit) error) (*ExportStats, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	st := &ExportStats{Site: o.Site, Rows: map[string]int64{}}
	if st.Site == "" {
		if st.Site, err = s.defaultExportSite(ctx); err != nil {
			return nil, err
		}
	}
	// What DIR already holds, committed, for this site.
	if _, err := conn.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE kl_done (k VARCHAR)"); err != nil {
		return nil, err
	}
	lake, err := readLake(ctx, conn, abs, true)
	if err != nil {
		return nil, fmt.Errorf("read the exports already in %s: %w", dir, err)
	}
	defer lake.close()
	if files := lake.filesOfSite("files", st.Site); len(files) > 0 {
		src, err := lake.source(files)
		if err != nil {
			return nil, err
		}
		q := fmt.Sprintf(`INSERT INTO kl_done SELECT DISTINCT %s FROM %s
			WHERE export_site IS NOT DISTINCT FROM nullif(%s, '')`, fileKey, src, quoteStr(st.Site))
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("read the files already in %s: %w", dir, err)
		}
	}
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE kl_export AS
		SELECT file_id, `+fileKey+` AS k FROM files f WHERE NOT EXISTS (SELECT 1 FROM kl_done d WHERE d.k = `+fileKey+`)`); err != nil {
		return nil, err
	}
	if err := conn.QueryRowContext(ctx, `SELECT count(*), (SELECT count(*) FROM files) - count(*),
			count(*) FILTER (WHERE f.kind IN ('zip', 'tar')), count(*) FILTER (WHERE f.kind NOT IN ('zip', 'tar') AND f.status = 'skipped')
			FROM kl_export JOIN files f USING (file_id)`).Scan(&st.NewFiles, &st.AlreadyDone, &st.NewArchives, &st.NewSkipped); err != nil {
		return nil, err
	}
	if st.NewFiles == 0 {
		return st, nil
	}
	if st.Appended, err = planAppends(ctx, conn, lake, st.Site); err != nil {
		return nil, fmt.Errorf("compare with the logs already in %s: %w", dir, err)
	}
	if _, err := conn.ExecContext(ctx, captureSQL); err != nil {
		return nil, fmt.Errorf("capture times: %w", err)
	}
	// export_id: a digest of what is written (the site, the files' keys and where a log that
	// grew starts).
	h := sha256.New()
	fmt.Fprintf(h, "kudulens-lake %s\x00%s\x00", LakeFormatVersion, st.Site)
	rows, err := conn.QueryContext(ctx, "SELECT k || coalesce('@' || fr.from_line, '') FROM kl_export LEFT JOIN kl_from fr USING (file_id) ORDER BY 1")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, err
		}
		fmt.Fprintf(h, "%s\x00", k)
	}
	rows.Close()
	st.ExportID = hex.EncodeToString(h.Sum(nil))[:16]
	prefix := "part-" + st.ExportID + "-"
	// An earlier attempt at this very export that did not finish: its files go.
	if err := removeParts(abs, prefix); err != nil {
		return nil, err
	}
	// Exports written before markers existed are committed now, before the first marker
	// would hide them. The markers folder is made before any file is written: a lake that has
	// it is read by its markers only, so a kill from here on leaves nothing readers would read.
	if lake.legacy {
		if err := lake.commitLegacy(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Join(abs, lakeCommitsDir), 0o755); err != nil {
		return nil, err
	}
	commit := lakeCommit{ExportID: st.ExportID, Site: st.Site, Format: LakeFormatVersion, Rows: st.Rows}
	for _, table := range LakeTables {
		names, types, err := tableColumns(ctx, conn, table)
		if err != nil {
			return nil, err
		}
		sel := make([]string, 0, len(names)+6)
		for i, n := range names {
			if types[i] == "TIMESTAMP" {
				sel = append(sel, fmt.Sprintf("t.%s::TIMESTAMPTZ AS %s", quoteIdent(n), quoteIdent(n)))
			} else if n != "job" {
				sel = append(sel, "t."+quoteIdent(n))
			}
		}
		from, date, job := partitionExprs(table)
		// (values inlined, not bound as parameters)
		sel = append(sel, "nullif("+quoteStr(st.Site)+", '') AS export_site", quoteStr(st.ExportID)+" AS export_id")
		if table == "files" {
			sel = append(sel, "l.from_line AS export_from_line", "l.extends AS export_extends", "l.digest AS export_digest")
		}
		sel = append(sel, date+" AS date", job+" AS job")
		where := "t.file_id IN (SELECT file_id FROM kl_export)"
		if lineTables[table] {
			where += " AND (fr.from_line IS NULL OR t.line_no >= fr.from_line)"
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE kl_part AS SELECT %s FROM %s
			WHERE %s ORDER BY date, job`, strings.Join(sel, ", "), from, where)); err != nil {
			return nil, fmt.Errorf("export %s: %w", table, err)
		}
		n, written, err := s.writePartitions(ctx, conn, abs, "table="+table, prefix+"0.parquet")
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", table, err)
		}
		if n == 0 && len(lake.filesOfSite(table, st.Site)) == 0 {
			// Every table has a folder: readers globbing table=rejects/** would fail on a
			// lake whose rejects were never written. The file has the table's columns, no row;
			// one per site, so that a remote lake's export need not read other sites' markers.
			rel, err := s.writeFile(ctx, conn, abs, "table="+table, prefix+"0.parquet", "false", HiveNullPartition, HiveNullPartition)
			if err != nil {
				return nil, fmt.Errorf("export %s: %w", table, err)
			}
			written = append(written, rel)
			st.EmptyTables = append(st.EmptyTables, table)
		}
		st.Rows[table] = n
		commit.Files = append(commit.Files, written...)
	}
	for _, t := range []string{"kl_part", "kl_rowh", "kl_from", "kl_logs", "kl_capture"} {
		if _, err := conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+t); err != nil {
			return nil, err
		}
	}
	st.ParquetFile = len(commit.Files)
	if publish != nil {
		if err := publish(commit); err != nil {
			return nil, fmt.Errorf("commit the export to %s: %w", dir, err)
		}
		return st, nil
	}
	if err := writeCommit(abs, commit); err != nil {
		return nil, fmt.Errorf("commit the export to %s: %w", dir, err)
	}
	return st, nil
}

// defaultExportSite is the export_site of an export without --site: the site the application
// logs name (several: joined with ','), else "".
func (s *Store) defaultExportSite(ctx context.Context) (string, error) {
	var site gosql.NullString
	err := s.db.QueryRowContext(ctx, "SELECT string_agg(DISTINCT site, ',' ORDER BY site) FROM files WHERE site IS NOT NULL").Scan(&site)
	return site.String, err
}

// captureSQL dates each exported file by when its data was captured, for the rows that carry
// no time of their own (job_status, and files rows without log lines). A status file holds no
// time, and its modification time is when Kudu wrote the status (weeks before the capture, for
// a job that has been running since) or, in a folder copied off the bundle, when it was copied.
// The capture is best told by the last log line read with it (from the same archive; for
// folders, in the same run): the jobs and the application log write up to the moment the
// bundle is taken. A bundle without log lines falls back to the file's modification time, and
// only without that to the ingest time.
const captureSQL = `CREATE OR REPLACE TEMP TABLE kl_capture AS
	SELECT f.file_id, coalesce(b.last_ts, f.modified, f.ingested_at) AS captured_at
	FROM files f LEFT JOIN (SELECT run_id, container, max(last_ts) AS last_ts FROM files GROUP BY ALL) b
		ON b.run_id IS NOT DISTINCT FROM f.run_id AND b.container IS NOT DISTINCT FROM f.container
	WHERE f.file_id IN (SELECT file_id FROM kl_export)`

// writePartitions writes the rows of the temp table kl_part, one file per (date, job), to
// dir/date=…/job=…/name. DuckDB's own PARTITION_BY is not used: in DuckDB 1.1.2 it crashed
// (a use-after-free of string partition values, seen in TemplatedGetHivePartitionValues).
// Each file is written under a temporary name and renamed, so a reader never sees half of one.
// It returns the rows written and the files, relative to root, '/'-separated.
func (s *Store) writePartitions(ctx context.Context, conn *gosql.Conn, root, tableDir, name string) (int64, []string, error) {
	type part struct {
		date, job gosql.NullString
		n         int64
	}
	var parts []part
	rows, err := conn.QueryContext(ctx, "SELECT strftime(date, '%Y-%m-%d'), job, count(*) FROM kl_part GROUP BY ALL ORDER BY 1, 2")
	if err != nil {
		return 0, nil, err
	}
	for rows.Next() {
		var p part
		if err := rows.Scan(&p.date, &p.job, &p.n); err != nil {
			rows.Close()
			return 0, nil, err
		}
		parts = append(parts, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	var total int64
	var written []string
	for _, p := range parts {
		cond := "date IS NULL"
		dv := HiveNullPartition
		if p.date.Valid {
			cond, dv = "date = DATE "+quoteStr(p.date.String), p.date.String
		}
		jv := HiveNullPartition
		if p.job.Valid {
			cond += " AND job = " + quoteStr(p.job.String)
			jv = PartitionFolderValue(p.job.String)
		} else {
			cond += " AND job IS NULL"
		}
		rel, err := s.writeFile(ctx, conn, root, tableDir, name, cond, dv, jv)
		if err != nil {
			return total, written, err
		}
		total += p.n
		written = append(written, rel)
	}
	return total, written, nil
}

// writeFile writes the rows of kl_part that meet cond to root/tableDir/date=dv/job=jv/name
// and returns that path relative to root, '/'-separated.
func (s *Store) writeFile(ctx context.Context, conn *gosql.Conn, root, tableDir, name, cond, dv, jv string) (string, error) {
	rel := tableDir + "/date=" + dv + "/job=" + jv + "/" + name
	pdir := filepath.Join(root, tableDir, "date="+dv, "job="+jv)
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		return "", err
	}
	final := filepath.Join(pdir, name)
	// DuckDB writes to a name of our choosing inside a folder made exclusively for it
	// (MkdirTemp): a symlink planted at a fixed temporary name in a shared lake folder
	// cannot redirect the write.
	tmpDir, err := os.MkdirTemp(pdir, "."+name+".tmp-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, name)
	if hasGlob(tmp) {
		// COPY TO takes the name as it is; only reading globs. Still, keep the name plain.
		tmp = filepath.Join(tmpDir, "part.parquet")
	}
	q := fmt.Sprintf("COPY (SELECT * FROM kl_part WHERE %s) TO %s (FORMAT PARQUET, COMPRESSION ZSTD)", cond, quoteStr(tmp))
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", err
	}
	return rel, nil
}

// HiveNullPartition is the folder value of a null partition value, as Hive and Spark write it
// (DuckDB reads it back as NULL too).
const HiveNullPartition = "__HIVE_DEFAULT_PARTITION__"

// maxPartitionValue is the longest escaped partition value used as it is in a folder name
// ("job=" + value must stay within the 255 bytes most file systems allow per name).
const maxPartitionValue = 200

// PartitionFolderValue is the folder value of a non-null partition value: escaped as Hive does
// (EscapePartitionValue); a value that would read as the null partition (NULL,
// __HIVE_DEFAULT_PARTITION__) gets its first letter escaped, so it stays a value; one whose
// escaped form passes maxPartitionValue bytes is cut there (never inside an escape) and ends
// in '~' and 16 hex digits of the SHA-256 of the whole value, so that two long values that
// share the prefix stay apart and the same value always lands in the same folder.
func PartitionFolderValue(v string) string {
	e := EscapePartitionValue(v)
	if strings.EqualFold(v, "NULL") || v == HiveNullPartition {
		e = fmt.Sprintf("%%%02X", v[0]) + e[1:]
	}
	if len(e) <= maxPartitionValue {
		return e
	}
	sum := sha256.Sum256([]byte(v))
	cut := maxPartitionValue - 17
	// Do not split a %XX escape, nor a UTF-8 sequence.
	if i := strings.LastIndexByte(e[:cut], '%'); i >= cut-2 {
		cut = i
	}
	for cut > 0 && e[cut]&0xc0 == 0x80 {
		cut--
	}
	return e[:cut] + "~" + hex.EncodeToString(sum[:8])
}

// EscapePartitionValue escapes a hive partition value as Hive and Spark do (%XX for the
// characters that cannot stand in a path segment or would be misread); DuckDB, Spark and the
// others decode it.
func EscapePartitionValue(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c == 0x7f || strings.IndexByte("\"#%'*/:=?\\{[]^", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	if b.Len() == 0 {
		return "%00" // an empty string is not a partition value; never a job name in practice
	}
	return b.String()
}

// removeParts deletes dir's files whose name starts with prefix.
func removeParts(dir, prefix string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasPrefix(d.Name(), prefix) || strings.HasPrefix(d.Name(), "."+prefix)) {
			return os.Remove(p)
		}
		return nil
	})
}

// IsParquetDir reports whether path is a folder written by ExportParquet (it has a
// table=traces or table=files folder).
func IsParquetDir(path string) bool {
	for _, t := range []string{"traces", "files"} {
		if fi, err := os.Stat(filepath.Join(path, "table="+t)); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// LoadStats says what LoadParquet read.
type LoadStats struct {
	Exports int              // distinct export_id values
	Rows    map[string]int64 // rows loaded per table
	Merge   MergeStats       // when several exports were loaded: copies merged across them
}

// LoadParquet reads a folder written by ExportParquet into the store. file_id values are kept
// when the store is empty and the folder holds one export; otherwise each export's ids are
// shifted past the ids already in use. Rows of several exports (nightly runs, overlapping
// bundles) are then merged as an ingest merges overlapping files.
func (s *Store) LoadParquet(ctx context.Context, dir string) (*LoadStats, error) {
	return s.loadParquet(ctx, dir, nil)
}

// LoadParquetSite is LoadParquet of one site's exports (export_site = site; "" for exports
// without a site) of a lake that holds several (see LakeSites).
func (s *Store) LoadParquetSite(ctx context.Context, dir, site string) (*LoadStats, error) {
	return s.loadParquet(ctx, dir, func(v string) bool { return v == site })
}

func (s *Store) loadParquet(ctx context.Context, dir string, keep func(site string) bool) (*LoadStats, error) {
	abs, conn, err := s.lakeConn(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ls := &LoadStats{Rows: map[string]int64{}}
	lake, err := readLakeSites(ctx, conn, abs, false, keep)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	defer lake.close()
	if len(lake.files["files"]) == 0 {
		return nil, fmt.Errorf("%s: no committed export (no files table, table=files): an export that never finished?", dir)
	}
	// The columns come from the files (partition folder names may be shortened); the exact
	// list of committed files is read, nothing is globbed.
	srcs := map[string]string{}
	for _, table := range LakeTables {
		if len(lake.files[table]) > 0 {
			names, _, err := tableColumns(ctx, conn, table)
			if err != nil {
				return nil, err
			}
			if err := lake.checkExpansion(ctx, conn, table, len(names), s.maxRatio); err != nil {
				return nil, fmt.Errorf("load %s: %w", dir, err)
			}
			if srcs[table], err = lake.source(lake.files[table]); err != nil {
				return nil, fmt.Errorf("load %s: %w", dir, err)
			}
		}
	}
	src := func(table string) string { return srcs[table] }
	var base gosql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT max(file_id) FROM files").Scan(&base); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE kl_idmap AS
		WITH e AS (SELECT export_id, max(file_id) AS m FROM `+src("files")+` GROUP BY export_id)
		SELECT export_id, ? + coalesce(sum(m) OVER (ORDER BY export_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS shift FROM e`,
		base.Int64); err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM kl_idmap").Scan(&ls.Exports); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	for _, table := range LakeTables {
		if len(lake.files[table]) == 0 {
			continue
		}
		names, types, err := tableColumns(ctx, conn, table)
		if err != nil {
			return nil, err
		}
		have := map[string]bool{}
		rows, err := conn.QueryContext(ctx, "SELECT column_name FROM (DESCRIBE SELECT * FROM "+src(table)+")")
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", table, err)
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return nil, err
			}
			have[n] = true
		}
		rows.Close()
		sel := make([]string, len(names))
		for i, n := range names {
			switch {
			case n == "file_id":
				sel[i] = "p.file_id + m.shift"
			case !have[n]:
				sel[i] = "NULL"
			default:
				sel[i] = fmt.Sprintf("p.%s::%s", quoteIdent(n), types[i])
			}
		}
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = quoteIdent(n)
		}
		res, err := conn.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s p JOIN kl_idmap m USING (export_id)",
			quoteIdent(table), strings.Join(quoted, ", "), strings.Join(sel, ", "), src(table)))
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", table, err)
		}
		ls.Rows[table], _ = res.RowsAffected()
	}
	if err := joinPieces(ctx, conn, src("files")); err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return nil, err
	}
	done = true
	// an export written before traces.signals existed loads its rows without them
	if _, err := conn.ExecContext(ctx, klsql.FillSignals); err != nil {
		return nil, fmt.Errorf("compute traces.signals: %w", err)
	}
	var maxID, maxRun gosql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT max(file_id), max(run_id) FROM files").Scan(&maxID, &maxRun); err != nil {
		return nil, err
	}
	if int32(maxID.Int64) > s.nextID.Load() {
		s.nextID.Store(int32(maxID.Int64))
	}
	if r := int32(maxRun.Int64) + 1; r > s.runID {
		s.runID = r
	}
	if ls.Exports > 1 {
		if ls.Merge, err = s.Merge(ctx); err != nil {
			return ls, fmt.Errorf("merge the exports of %s: %w", dir, err)
		}
	}
	return ls, nil
}

// LakeSchema describes the exported columns of each table (`kudulens export --schema`): the
// store's columns, timestamps as TIMESTAMP WITH TIME ZONE, then the lake's own columns.
func (s *Store) LakeSchema(ctx context.Context) (map[string][]string, error) {
	out := map[string][]string{}
	for _, t := range LakeTables {
		names, types, err := tableColumns(ctx, s.db, t)
		if err != nil {
			return nil, err
		}
		var cols []string
		for i, n := range names {
			typ := types[i]
			if typ == "TIMESTAMP" {
				typ = "TIMESTAMP WITH TIME ZONE"
			}
			if n != "job" {
				cols = append(cols, n+" "+typ)
			}
		}
		cols = append(cols, "export_site VARCHAR", "export_id VARCHAR")
		if t == "files" {
			cols = append(cols, "export_from_line BIGINT", "export_extends VARCHAR", "export_digest VARCHAR")
		}
		out[t] = append(cols, "date DATE", "job VARCHAR")
	}
	return out, nil
}
