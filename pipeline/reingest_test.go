package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kudulens/kudulens/internal/testinput"
	"github.com/kudulens/kudulens/pipeline/source"
	"github.com/kudulens/kudulens/pipeline/store"
)

// bigKuduLog is a Kudu log of n lines, well past the size that is read whole (sniffLen), whose
// content depends on tag.
func bigKuduLog(n int, tag string) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "[11/19/2026 %02d:%02d:%02d > 5e1c2a: INFO] Teams import: %s %06d\r\n", i/3600%24, i/60%60, i%60, tag, i)
	}
	return b.Bytes()
}

// Re-ingesting files seen before (a nightly run over the same folder, the same bundle twice)
// hashes them without parsing; a file of the same size with other content is still
// ingested, and the tables end as one ingest of everything gives them.
func TestReingestSkipsKnownFilesBeforeParsing(t *testing.T) {
	dir := t.TempDir()
	const n = 20000
	a, b := bigKuduLog(n, "aaaa"), bigKuduLog(n, "bbbb")
	if len(a) != len(b) || len(a) <= source.SniffLen {
		t.Fatalf("inputs of %d and %d bytes", len(a), len(b))
	}
	logA := testinput.WriteFile(t, dir, "site/data/jobs/continuous/Office365ActivityImporter/job_log.txt", a)
	bundle := testinput.WriteFile(t, dir, "bundle.zip", testinput.Zip(t, testinput.ZipMember{Name: `D:\home\data\jobs\continuous\AppInsightsImporter\job_log.txt`, Data: string(bigKuduLog(n, "zzzz"))}))
	// Same size as logA, other content: must not be taken for it.
	logB := testinput.WriteFile(t, dir, "later/data/jobs/continuous/Office365ActivityImporter/job_log.txt", b)

	ctx := context.Background()
	db := filepath.Join(dir, "k.duckdb")
	s, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Ingest(ctx, s, []string{logA, bundle}, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// A new process on the same database: what it knows comes from the files table.
	s, err = store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var prog Progress
	sum, err := Ingest(ctx, s, []string{logA, bundle, logB}, Options{}, &prog)
	if err != nil {
		t.Fatal(err)
	}
	dups := map[string]FileResult{}
	for _, f := range sum.Files {
		if f.Duplicate != "" {
			dups[f.Row.Path] = f
		}
	}
	for _, p := range []string{logA, bundle + "!D:/home/data/jobs/continuous/AppInsightsImporter/job_log.txt"} {
		f, ok := dups[p]
		switch {
		case !ok:
			t.Errorf("%s: not recognised as seen before; files: %+v", p, sum.Files)
		case f.Row.Stats.Lines != 0 || f.Row.SHA256 == "" || f.Row.Bytes != int64(len(a)):
			t.Errorf("%s: parsed again (%d lines) or not hashed (%q, %d bytes)", p, f.Row.Stats.Lines, f.Row.SHA256, f.Row.Bytes)
		}
	}
	if _, ok := dups[logB]; ok {
		t.Errorf("%s has the size of %s but other content, and was taken for it", logB, logA)
	}
	if got := prog.Lines.Load(); got != n {
		t.Errorf("the second run parsed %d lines, want %d (the new file's only)", got, n)
	}

	fresh, err := store.Open(ctx, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if _, err := Ingest(ctx, fresh, []string{logA, bundle, logB}, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := dumpAllTables(t, s), dumpAllTables(t, fresh); got != want {
		t.Errorf("two runs give other tables than one:\n%.2000s\n---\n%.2000s", got, want)
	}
}

// A bundle ingested as a zip and then as its extracted folder holds each status file once: a
// status file is its content where it sits in the site, not its display path. Two jobs' status
// files with the same bytes are still two.
func TestReingestFolderAfterZipKeepsOneStatusPerJob(t *testing.T) {
	dir := t.TempDir()
	members := map[string]string{
		`D:\home\data\jobs\continuous\Office365ActivityImporter\status_5b7e2d`: `{"status":"PendingRestart"}`,
		`D:\home\data\jobs\continuous\AppInsightsImporter\status_5b7e2d`:       `{"status":"PendingRestart"}`,
		`D:\home\data\jobs\continuous\AppInsightsImporter\job_log.txt`:         "[11/19/2026 10:00:00 > 5b7e2d: INFO] Teams import: started\r\n",
	}
	var zm []testinput.ZipMember
	for name, data := range members {
		zm = append(zm, testinput.ZipMember{Name: name, Data: data})
		testinput.WriteFile(t, dir, filepath.Join("extracted", filepath.FromSlash(strings.ReplaceAll(strings.TrimPrefix(name, `D:\`), `\`, "/"))), []byte(data))
	}
	bundle := testinput.WriteFile(t, dir, "bundle.zip", testinput.Zip(t, zm...))
	ctx := context.Background()
	s, err := store.Open(ctx, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, src := range []string{bundle, filepath.Join(dir, "extracted")} {
		if _, err := Ingest(ctx, s, []string{src}, Options{}, nil); err != nil {
			t.Fatalf("ingest %s: %v", src, err)
		}
	}
	rows, err := s.DB().QueryContext(ctx, "SELECT job, instance, status, source_file FROM job_status ORDER BY job")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var job, inst, st, src string
		if err := rows.Scan(&job, &inst, &st, &src); err != nil {
			t.Fatal(err)
		}
		got = append(got, job+"/"+inst+"="+st)
	}
	want := []string{"AppInsightsImporter/5b7e2d=PendingRestart", "Office365ActivityImporter/5b7e2d=PendingRestart"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("job_status after the zip and its folder:\n got %v\nwant %v", got, want)
	}
}
