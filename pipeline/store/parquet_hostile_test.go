package store_test

// Issue 18, items 6, 14 and 15: lakes with hostile folder names, exports killed half-way,
// partition values that do not fit in a folder name.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kudulens/kudulens/pipeline/store"
)

const lakeHour = "../../fixtures/sample/applogs/contoso-analytics/2026/11/19/00"

func countRows(t *testing.T, s *store.Store, q string) int64 {
	t.Helper()
	var n int64
	if err := s.DB().QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// Site folders named '*', '?' and '[ab]' beside others: read_parquet would expand them and
// read every other site; each loads exactly its own export.
func TestParquetSiteFoldersWithGlobCharacters(t *testing.T) {
	ctx := context.Background()
	fleet := t.TempDir()
	src := openIngested(t, lakeHour)
	want := countRows(t, src, "SELECT count(*) FROM traces")
	for _, site := range []string{"a", "b", "*", "?", "[ab]"} {
		if _, err := src.ExportParquet(ctx, filepath.Join(fleet, site), store.ExportOptions{Site: site}); err != nil {
			t.Fatalf("export %s: %v", site, err)
		}
	}
	for _, site := range []string{"*", "?", "[ab]"} {
		s := openIngested(t)
		ls, err := s.LoadParquet(ctx, filepath.Join(fleet, site))
		if err != nil {
			t.Fatalf("load %s: %v", site, err)
		}
		if got := countRows(t, s, "SELECT count(*) FROM traces"); got != want || ls.Exports != 1 {
			t.Errorf("site %q: %d traces of %d exports, want %d of 1 (other sites read?)", site, got, ls.Exports, want)
		}
	}
}

// An export killed while it wrote the files table: nothing of it is read, and the run that
// redoes it writes it under the same name, once, so the lake does not count it twice.
func TestParquetExportKilledBeforeItsCommit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openIngested(t, "../../fixtures/sample-bundle.zip") // files of several jobs: several files partitions
	st, err := s.ExportParquet(ctx, dir, store.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The state a kill leaves: every table but part of files written, no marker.
	if err := os.Remove(filepath.Join(dir, "_kudulens_commits", st.ExportID+".json")); err != nil {
		t.Fatal(err)
	}
	var filesParts []string
	for p := range parquetFiles(t, dir) {
		if strings.Contains(filepath.ToSlash(p), "/table=files/") {
			filesParts = append(filesParts, p)
		}
	}
	if len(filesParts) < 2 {
		t.Fatalf("the sample has %d files partitions; the test needs two", len(filesParts))
	}
	os.Remove(filesParts[0])
	if _, err := openIngested(t).LoadParquet(ctx, dir); err == nil || !strings.Contains(err.Error(), "no committed export") {
		t.Errorf("loading an export that was never committed: %v", err)
	}
	st2, err := s.ExportParquet(ctx, dir, store.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st2.ExportID != st.ExportID || st2.NewFiles != st.NewFiles {
		t.Errorf("the redone export: %+v, the killed one %+v", st2, st)
	}
	loaded := openIngested(t)
	if _, err := loaded.LoadParquet(ctx, dir); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"traces", "files"} {
		if got, want := countRows(t, loaded, "SELECT count(*) FROM "+table), countRows(t, s, "SELECT count(*) FROM "+table); got != want {
			t.Errorf("%s: %d rows loaded, %d exported", table, got, want)
		}
	}
	// A third run finds everything committed.
	if st3, err := s.ExportParquet(ctx, dir, store.ExportOptions{}); err != nil || st3.NewFiles != 0 {
		t.Errorf("third export: %+v %v", st3, err)
	}
}

// Job names that do not fit in a folder name, a job folder literally named NULL, and one
// named like Hive's null partition: each gets a folder of its own, and reads back as it was.
func TestParquetPartitionValuesLongAndNull(t *testing.T) {
	ctx := context.Background()
	s := openIngested(t, lakeHour)
	long1 := strings.Repeat("Importer%/", 40) + "one" // 403 bytes, about three times that escaped
	long2 := strings.Repeat("Importer%/", 40) + "two" // the same prefix
	long3 := strings.Repeat("é", 150) + strings.Repeat("[*]", 3)
	jobs := []string{"NULL", "null", "__HIVE_DEFAULT_PARTITION__", long1, long2, long3}
	for i, j := range jobs {
		if _, err := s.DB().ExecContext(ctx, "UPDATE traces SET job = ? WHERE line_no % 7 = ?", j, i); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DB().ExecContext(ctx, "UPDATE traces SET job = NULL WHERE line_no % 7 = 6"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := s.ExportParquet(ctx, dir, store.ExportOptions{}); err != nil {
		t.Fatalf("export: %v", err)
	}
	folders := map[string]bool{}
	for p := range parquetFiles(t, dir) {
		if !strings.Contains(filepath.ToSlash(p), "/table=traces/") {
			continue
		}
		job := filepath.Base(filepath.Dir(p))
		if len(job) > 255 {
			t.Errorf("folder name of %d bytes: %s", len(job), job)
		}
		folders[job] = true
	}
	for _, want := range []string{"job=__HIVE_DEFAULT_PARTITION__", "job=%4EULL", "job=%6Eull", "job=%5F_HIVE_DEFAULT_PARTITION__"} {
		if !folders[want] {
			t.Errorf("no folder %s among %v", want, folders)
		}
	}
	if f := store.PartitionFolderValue(long1); f == store.PartitionFolderValue(long2) || f != store.PartitionFolderValue(long1) {
		t.Errorf("long values: %s and %s", f, store.PartitionFolderValue(long2))
	}
	loaded := openIngested(t)
	if _, err := loaded.LoadParquet(ctx, dir); err != nil {
		t.Fatal(err)
	}
	q := "SELECT coalesce(job, '<null>') || ':' || count(*) FROM traces GROUP BY job ORDER BY job"
	if got, want := rowsOf(t, loaded, q), rowsOf(t, s, q); got != want {
		t.Errorf("jobs read back:\n%s\nexported:\n%s", got, want)
	}
	for _, table := range store.LakeTables {
		sameAsLake(t, loaded, dir, table)
	}
}

func rowsOf(t *testing.T, s *store.Store, q string) string {
	t.Helper()
	rows, err := s.DB().QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return strings.Join(out, "\n")
}

// A lake written before commit markers existed is read by the old rule (the exports its files
// table lists), and stays readable when a new export adds the first marker.
func TestParquetLakeWithoutMarkers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root := "../../fixtures/sample/applogs/contoso-analytics/2026/11/19/"
	first := openIngested(t, root+"00")
	if _, err := first.ExportParquet(ctx, dir, store.ExportOptions{Site: "contoso"}); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, "_kudulens_commits")) // as the first format wrote it
	old := openIngested(t)
	if _, err := old.LoadParquet(ctx, dir); err != nil {
		t.Fatal(err)
	}
	n00 := countRows(t, first, "SELECT count(*) FROM traces")
	if got := countRows(t, old, "SELECT count(*) FROM traces"); got != n00 {
		t.Errorf("lake of the first format: %d traces, want %d", got, n00)
	}
	second := openIngested(t, root+"01")
	if _, err := second.ExportParquet(ctx, dir, store.ExportOptions{Site: "contoso"}); err != nil {
		t.Fatal(err)
	}
	both := openIngested(t)
	ls, err := both.LoadParquet(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := countRows(t, both, "SELECT count(*) FROM traces"), n00+countRows(t, second, "SELECT count(*) FROM traces"); got != want || ls.Exports != 2 {
		t.Errorf("after a new export: %d traces of %d exports, want %d of 2", got, ls.Exports, want)
	}
}

// A Parquet file of a few hundred KB can hold millions of identical rows (issue 18 item 14b: a
// 25 MB folder filled a disk once read). A committed traces file rewritten as such a bomb is
// refused with the limit and its flag named, before anything is read into the database; a
// higher --max-ratio lets the same folder through.
func TestLoadParquetBombIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openIngested(t, lakeHour)
	dir := t.TempDir()
	if _, err := s.ExportParquet(ctx, dir, store.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	var victim string
	for p := range parquetFiles(t, dir) {
		if strings.Contains(filepath.ToSlash(p), "/table=traces/") {
			victim = p
			break
		}
	}
	if victim == "" {
		t.Fatal("no traces file in the export")
	}
	bomb := victim + ".bomb"
	q := "COPY (SELECT t.* FROM (SELECT * FROM read_parquet(" + store.QuoteStr(victim) + ") LIMIT 1) t, range(600000)) TO " +
		store.QuoteStr(bomb) + " (FORMAT PARQUET, COMPRESSION ZSTD)"
	if _, err := s.DB().ExecContext(ctx, q); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(bomb, victim); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(victim)
	t.Logf("bomb: %d bytes", fi.Size())
	loaded := openIngested(t)
	_, err := loaded.LoadParquet(ctx, dir)
	if err == nil || !strings.Contains(err.Error(), "limit exceeded") || !strings.Contains(err.Error(), "--max-ratio") {
		t.Fatalf("a %d-byte file of 600 k rows: %v", fi.Size(), err)
	}
	if n := countRows(t, loaded, "SELECT count(*) FROM traces"); n != 0 {
		t.Errorf("%d rows were loaded before the refusal", n)
	}
	lenient, err := store.Open(ctx, "", store.Options{MaxRatio: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	defer lenient.Close()
	if _, err := lenient.LoadParquet(ctx, dir); err != nil {
		t.Fatalf("with a higher MaxRatio: %v", err)
	}
}
