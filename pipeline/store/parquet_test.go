package store_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kudulens/kudulens/pipeline"
	"github.com/kudulens/kudulens/pipeline/store"
)

func openIngested(t *testing.T, sources ...string) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if len(sources) > 0 {
		if _, err := pipeline.Ingest(ctx, s, sources, pipeline.Options{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// sameAsLake checks that table holds exactly the rows of the lake's table (EXCEPT ALL both
// ways, every column of the store's table, timestamps compared as UTC instants).
func sameAsLake(t *testing.T, s *store.Store, dir, table string) int64 {
	t.Helper()
	ctx := context.Background()
	db := s.DB()
	src, done, err := s.LakeSource(ctx, dir, table)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if src == "" {
		var n int64
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+store.QuoteIdent(table)).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d rows and no Parquet file (%v)", table, n, err)
		}
		return 0
	}
	names, types, err := store.TableColumns(ctx, db, table)
	if err != nil {
		t.Fatal(err)
	}
	cols := make([]string, len(names))
	for i, n := range names {
		cols[i] = fmt.Sprintf("%s::%s AS %s", store.QuoteIdent(n), types[i], store.QuoteIdent(n))
	}
	// The columns as the files hold them (the loader does not read them from folder names).
	lake := fmt.Sprintf("(SELECT %s FROM %s)", strings.Join(cols, ", "), src)
	inStore := fmt.Sprintf("(SELECT %s FROM %s)", strings.Join(cols, ", "), store.QuoteIdent(table))
	var n, onlyStore, onlyLake int64
	q := fmt.Sprintf("SELECT (SELECT count(*) FROM %s), (SELECT count(*) FROM (%s EXCEPT ALL %s)), (SELECT count(*) FROM (%s EXCEPT ALL %s))",
		store.QuoteIdent(table), inStore, lake, lake, inStore)
	if err := db.QueryRowContext(ctx, q).Scan(&n, &onlyStore, &onlyLake); err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	if onlyStore != 0 || onlyLake != 0 {
		t.Errorf("%s: %d rows only in the store, %d only in the Parquet files (of %d)", table, onlyStore, onlyLake, n)
	}
	return n
}

func parquetFiles(t *testing.T, dir string) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") {
			fi, _ := d.Info()
			out[p] = fi.ModTime()
		}
		return nil
	})
	return out
}

func TestParquetRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openIngested(t, "../../fixtures/sample-bundle.zip")
	// Job names a partition path must escape, and rows without a job.
	for _, q := range []string{
		`UPDATE traces SET job = 'We/ird=Job %20 ''q'' é' WHERE line_no % 97 = 1`,
		`UPDATE traces SET job = NULL WHERE line_no % 89 = 2`,
	} {
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	st, err := s.ExportParquet(ctx, dir, store.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Site != "contoso-analytics" || st.NewFiles != 42 || st.AlreadyDone != 0 || len(st.ExportID) != 16 {
		t.Errorf("export: %+v", st)
	}
	// The layout: table=…/date=…/job=…/part-<id>-<n>.parquet
	files := parquetFiles(t, dir)
	for p := range files {
		rel, _ := filepath.Rel(dir, p)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) != 4 || !strings.HasPrefix(parts[0], "table=") || !strings.HasPrefix(parts[1], "date=") ||
			!strings.HasPrefix(parts[2], "job=") || !strings.HasPrefix(parts[3], "part-"+st.ExportID+"-") {
			t.Errorf("unexpected path %s", rel)
		}
	}
	for _, p := range []string{"date=2026-11-19/job=Office365ActivityImporter", "date=2026-11-19/job=We%2Fird%3DJob %2520 %27q%27 é", "date=2026-11-19/job=__HIVE_DEFAULT_PARTITION__"} {
		if _, ok := files[filepath.Join(dir, "table=traces", p, "part-"+st.ExportID+"-0.parquet")]; !ok {
			t.Errorf("no traces partition %s", p)
		}
	}
	// Read back with DuckDB's read_parquet: exactly the tables.
	for _, table := range store.LakeTables {
		n := sameAsLake(t, s, dir, table)
		if n != st.Rows[table] {
			t.Errorf("%s: %d rows in the store, %d exported", table, n, st.Rows[table])
		}
		if table == "traces" && n != 27047 {
			t.Errorf("traces: %d rows", n)
		}
	}
	// Zstd and UTC instants.
	var codec, logical string
	err = s.DB().QueryRowContext(ctx, `SELECT any_value(compression), any_value(s.logical_type) FROM parquet_metadata(?) m
		JOIN parquet_schema(?) s ON s.file_name = m.file_name AND s.name = m.path_in_schema WHERE m.path_in_schema = 'timestamp'`,
		store.LakeGlob(dir, "traces"), store.LakeGlob(dir, "traces")).Scan(&codec, &logical)
	if err != nil || codec != "ZSTD" || !strings.Contains(logical, "isAdjustedToUTC=1") {
		t.Errorf("compression %q, timestamp %q, %v", codec, logical, err)
	}

	// The same data again: nothing written, nothing touched.
	st2, err := s.ExportParquet(ctx, dir, store.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st2.NewFiles != 0 || st2.AlreadyDone != 42 || st2.ParquetFile != 0 {
		t.Errorf("second export: %+v", st2)
	}
	after := parquetFiles(t, dir)
	if len(after) != len(files) {
		t.Errorf("second export: %d files, was %d", len(after), len(files))
	}
	for p, m := range files {
		if !after[p].Equal(m) {
			t.Errorf("second export rewrote %s", p)
		}
	}

	// Load it back into a new store: the same rows, the same file ids.
	s2 := openIngested(t)
	ls, err := s2.LoadParquet(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if ls.Exports != 1 {
		t.Errorf("load: %+v", ls)
	}
	for _, table := range store.LakeTables {
		if n := sameAsLake(t, s2, dir, table); n != st.Rows[table] {
			t.Errorf("loaded %s: %d rows, want %d", table, n, st.Rows[table])
		}
	}
	if !store.IsParquetDir(dir) || store.IsParquetDir("../../fixtures/sample") {
		t.Errorf("IsParquetDir")
	}
}

// Nightly runs: two bundles that overlap (a file in both) append, and the shared file is not
// exported twice; loading both exports back merges them like one ingest of both.
func TestParquetAppend(t *testing.T) {
	ctx := context.Background()
	root := "../../fixtures/sample/applogs/contoso-analytics/2026/11/19/"
	night1 := []string{root + "00", root + "01"}
	night2 := []string{root + "01", root + "02"}
	dir := t.TempDir()
	st1, err := openIngested(t, night1...).ExportParquet(ctx, dir, store.ExportOptions{Site: "contoso"})
	if err != nil {
		t.Fatal(err)
	}
	before := parquetFiles(t, dir)
	st2, err := openIngested(t, night2...).ExportParquet(ctx, dir, store.ExportOptions{Site: "contoso"})
	if err != nil {
		t.Fatal(err)
	}
	if st1.NewFiles != 2 || st2.NewFiles != 1 || st2.AlreadyDone != 1 || st1.ExportID == st2.ExportID {
		t.Errorf("exports: %+v %+v", st1, st2)
	}
	after := parquetFiles(t, dir)
	for p, m := range before {
		if !after[p].Equal(m) {
			t.Errorf("the second run touched %s", p)
		}
	}
	var names []string
	for p := range after {
		if _, ok := before[p]; !ok {
			names = append(names, filepath.Base(p))
		}
	}
	sort.Strings(names)
	if len(names) == 0 || !strings.HasPrefix(names[0], "part-"+st2.ExportID) {
		t.Errorf("new files: %v", names)
	}
	// Load the two nights back: the same rows as one ingest of the three hours.
	loaded := openIngested(t)
	ls, err := loaded.LoadParquet(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if ls.Exports != 2 {
		t.Errorf("load: %+v", ls)
	}
	direct := openIngested(t, root+"00", root+"01", root+"02")
	count := func(s *store.Store, q string) int64 {
		t.Helper()
		var n int64
		if err := s.DB().QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, q := range []string{"SELECT count(*) FROM files", "SELECT count(*) FROM traces", "SELECT count(*) FROM exceptions",
		"SELECT count(*) FROM customEvents", "SELECT count(DISTINCT file_id) FROM traces"} {
		if got, want := count(loaded, q), count(direct, q); got != want {
			t.Errorf("%s: %d loaded from the two exports, %d ingested directly", q, got, want)
		}
	}

	// Another site's export of the same content is its own.
	st3, err := openIngested(t, night2...).ExportParquet(ctx, dir, store.ExportOptions{Site: "fabrikam"})
	if err != nil || st3.NewFiles != 2 {
		t.Errorf("other site: %+v %v", st3, err)
	}
}

// The README lists the exported columns; they must be what an export writes.
func TestLakeSchemaDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cols, err := openIngested(t).LakeSchema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range store.LakeTables {
		var names []string
		for _, c := range cols[table] {
			name, typ, _ := strings.Cut(c, " ")
			if typ == "JSON" {
				name += " (JSON text)"
			}
			names = append(names, name)
		}
		line := fmt.Sprintf("%-14s%s", table+":", strings.Join(names, ", "))
		if !strings.Contains(string(readme), "\n"+line+"\n") {
			t.Errorf("README does not list the columns of %s as exported:\n%s", table, line)
		}
	}
}

// An export that died before writing its files table is redone under the same names, leaving
// no stray or half-written file; rows of an export with no files rows are not loaded.
func TestParquetExportRedoneAfterCrash(t *testing.T) {
	ctx := context.Background()
	src := "../../fixtures/sample/applogs/contoso-analytics/2026/11/19/00"
	dir := t.TempDir()
	st, err := openIngested(t, src).ExportParquet(ctx, dir, store.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := parquetFiles(t, dir)
	// the crash: no files table, no commit marker, a half-written file
	os.RemoveAll(filepath.Join(dir, "table=files"))
	os.Remove(filepath.Join(dir, "_kudulens_commits", st.ExportID+".json"))
	half := filepath.Join(dir, "table=traces", "date=2026-11-19", "job=AppInsightsImporter", ".part-"+st.ExportID+"-0.parquet.tmp")
	os.WriteFile(half, []byte("PAR1 half"), 0o644)
	// an orphan of another export that never finished
	orphan := filepath.Join(dir, "table=traces", "date=2026-11-19", "job=AppInsightsImporter", "part-0000000000000000-0.parquet")
	scratch := openIngested(t)
	if _, err := scratch.DB().ExecContext(ctx, fmt.Sprintf("COPY (SELECT * REPLACE ('0000000000000000' AS export_id) FROM read_parquet(%s)) TO %s (FORMAT PARQUET)",
		store.QuoteStr(filepath.Join(dir, "table=traces", "date=2026-11-19", "job=AppInsightsImporter", "part-"+st.ExportID+"-0.parquet")), store.QuoteStr(orphan))); err != nil {
		t.Fatal(err)
	}

	st2, err := openIngested(t, src).ExportParquet(ctx, dir, store.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st2.ExportID != st.ExportID || st2.NewFiles != st.NewFiles {
		t.Errorf("redone export: %+v, first %+v", st2, st)
	}
	got := parquetFiles(t, dir)
	delete(got, orphan)
	if len(got) != len(want) {
		t.Errorf("%d files after the redo, %d before", len(got), len(want))
	}
	for p := range want {
		if _, ok := got[p]; !ok {
			t.Errorf("missing after the redo: %s", p)
		}
	}
	s := openIngested(t)
	if _, err := s.LoadParquet(ctx, dir); err != nil {
		t.Fatal(err)
	}
	var n int64
	s.DB().QueryRowContext(ctx, "SELECT count(*) FROM traces").Scan(&n)
	if n != st.Rows["traces"] {
		t.Errorf("loaded %d traces, want %d (the orphan export's rows are not loaded)", n, st.Rows["traces"])
	}
}
