package pipeline

// Blob sources against a real Azurite (internal/azuritetest starts it). Every blob result is
// compared with ingesting the same files from disk: identical tables, path columns aside.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/appendblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"github.com/kudulens/kudulens/internal/azuritetest"
	"github.com/kudulens/kudulens/pipeline/blob"
	"github.com/kudulens/kudulens/pipeline/store"
)

const (
	sampleDir    = "../fixtures/sample"
	sampleAppLog = "../fixtures/sample/applogs"
	sampleZip    = "../fixtures/sample-bundle.zip"
)

// fastRetries keeps failing tests quick.
func fastRetries(o *blob.Options) *blob.Options {
	o.Retries = 2
	o.RetryDelay = 10 * time.Millisecond
	o.MaxRetryDelay = 50 * time.Millisecond
	return o
}

// uploadTree uploads the files under dir into a container, named by their path below dir.
// Application-log CSVs become append blobs (as App Service writes them), others block blobs.
func uploadTree(t *testing.T, c *azblob.Client, containerName, dir, namePrefix string) []string {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateContainer(ctx, containerName, nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		t.Fatal(err)
	}
	var names []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		name := namePrefix + filepath.ToSlash(rel)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(name, ".applicationLog.csv") {
			createAppend(t, c, containerName, name, data)
		} else if _, err := c.UploadBuffer(ctx, containerName, name, data, nil); err != nil {
			return err
		}
		names = append(names, name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func createAppend(t *testing.T, c *azblob.Client, containerName, name string, data []byte) {
	t.Helper()
	ab := c.ServiceClient().NewContainerClient(containerName).NewAppendBlobClient(name)
	if _, err := ab.Create(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	appendTo(t, ab, data)
}

func appendTo(t *testing.T, ab *appendblob.Client, data []byte) {
	t.Helper()
	for len(data) > 0 {
		n := min(len(data), 4<<20)
		if _, err := ab.AppendBlock(context.Background(), streaming.NopCloser(bytes.NewReader(data[:n])), nil); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
}

// ingestSources ingests sources into a fresh in-memory store.
func ingestSources(t *testing.T, sources []string, bo *blob.Options) (*store.Store, *Summary) {
	t.Helper()
	return ingestWith(t, sources, Options{Blob: bo})
}

// ingestWith ingests sources with o into a fresh in-memory store, closed when the test ends
// (or before, by the test: closing twice is harmless).
func ingestWith(t *testing.T, sources []string, o Options) (*store.Store, *Summary) {
	t.Helper()
	s, err := store.Open(context.Background(), "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sum, err := Ingest(context.Background(), s, sources, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, sum
}

// dumpTables returns every table's rows as sorted strings, with file ids, run ids and times of
// ingestion and modification left out and the path prefix (the source's root) removed from path columns.
func dumpTables(t *testing.T, s *store.Store, prefix string) map[string][]string {
	t.Helper()
	rel := func(col string) string {
		return fmt.Sprintf("replace(%s, '%s', '') AS rel_%s", col, strings.ReplaceAll(prefix, "'", "''"), col)
	}
	queries := map[string]string{
		"files":        "SELECT * EXCLUDE (file_id, path, container, run_id, ingested_at, modified), " + rel("path") + ", " + rel("container") + " FROM files",
		"traces":       "SELECT * EXCLUDE (file_id, source_file, also_file), " + rel("source_file") + ", " + rel("also_file") + " FROM traces",
		"exceptions":   "SELECT * EXCLUDE (file_id, source_file), " + rel("source_file") + " FROM exceptions",
		"customEvents": "SELECT * EXCLUDE (file_id, source_file), " + rel("source_file") + " FROM customEvents",
		"rejects":      "SELECT * EXCLUDE (file_id, source_file), " + rel("source_file") + " FROM rejects",
		"job_status":   "SELECT * EXCLUDE (file_id, source_file), " + rel("source_file") + " FROM job_status",
	}
	out := map[string][]string{}
	for table, q := range queries {
		rows, err := s.DB().Query(q)
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, v := range vals {
				fmt.Fprintf(&b, "%s=%v|", cols[i], v)
			}
			out[table] = append(out[table], b.String())
		}
		rows.Close()
		sort.Strings(out[table])
	}
	return out
}

// sameTables fails the test where two dumps differ.
func sameTables(t *testing.T, what string, got, want map[string][]string) {
	t.Helper()
	for table, w := range want {
		g := got[table]
		if len(g) != len(w) {
			t.Errorf("%s: %s has %d rows, want %d (as from disk)", what, table, len(g), len(w))
		}
		shown := 0
		for i := 0; i < min(len(g), len(w)) && shown < 3; i++ {
			if g[i] != w[i] {
				t.Errorf("%s: %s row %d differs:\n got %.600s\nwant %.600s", what, table, i, g[i], w[i])
				shown++
			}
		}
	}
}

func count(t *testing.T, s *store.Store, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := s.DB().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func absPrefix(t *testing.T, dir string) string {
	t.Helper()
	a, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return a + "/"
}

// TestBlobSources runs against one Azurite: the sample's application logs and bundle, every
// way to authenticate, prefixes, date pruning, and the errors.
func TestBlobSources(t *testing.T) {
	az := azuritetest.Start(t)
	c := az.Client(t)
	uploadTree(t, c, "applogs", sampleAppLog, "")
	ctx := context.Background()
	if _, err := c.CreateContainer(ctx, "bundles", nil); err != nil {
		t.Fatal(err)
	}
	zipData, err := os.ReadFile(sampleZip)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadBuffer(ctx, "bundles", "customer/sample-bundle.zip", zipData, nil); err != nil {
		t.Fatal(err)
	}

	diskAppLogs, _ := ingestSources(t, []string{absPrefix(t, sampleAppLog)}, nil)
	wantAppLogs := dumpTables(t, diskAppLogs, absPrefix(t, sampleAppLog))
	sas := az.ContainerSAS(t, "applogs")
	base := az.URL + "/applogs/"

	t.Run("sas", func(t *testing.T) {
		s, sum := ingestSources(t, []string{az.URL + "/applogs?" + sas}, fastRetries(&blob.Options{}))
		if sum.Failed() {
			t.Fatalf("failed: %+v", sum.Files)
		}
		sameTables(t, "SAS URL", dumpTables(t, s, base), wantAppLogs)
		if n := count(t, s, "SELECT count(*) FROM files WHERE path NOT LIKE ?", base+"%"); n != 0 {
			t.Errorf("%d files rows with other paths", n)
		}
		if n := count(t, s, "SELECT count(*) FROM files WHERE path LIKE '%sig=%' OR path LIKE '%?%'"); n != 0 {
			t.Errorf("a path keeps the query string")
		}
	})

	t.Run("connection-string", func(t *testing.T) {
		o := fastRetries(&blob.Options{ConnectionString: az.ConnectionString(), ConnectionStringFrom: "AZURE_STORAGE_CONNECTION_STRING"})
		s, sum := ingestSources(t, []string{"az://applogs"}, o)
		if sum.Failed() {
			t.Fatalf("failed: %+v", sum.Files)
		}
		sameTables(t, "az:// with connection string", dumpTables(t, s, base), wantAppLogs)
	})

	t.Run("account-key", func(t *testing.T) {
		o := fastRetries(&blob.Options{Key: azuritetest.Key, KeyFrom: "AZURE_STORAGE_KEY"})
		s, sum := ingestSources(t, []string{az.URL + "/applogs"}, o)
		if sum.Failed() {
			t.Fatalf("failed: %+v", sum.Files)
		}
		sameTables(t, "URL with account key", dumpTables(t, s, base), wantAppLogs)
	})

	t.Run("bundle-zip", func(t *testing.T) {
		disk, _ := ingestSources(t, []string{absPrefix(t, "..") + "fixtures/sample-bundle.zip"}, nil)
		want := dumpTables(t, disk, absPrefix(t, "..")+"fixtures/sample-bundle.zip")
		blobPath := az.URL + "/bundles/customer/sample-bundle.zip"
		s, sum := ingestSources(t, []string{az.URL + "/bundles?" + az.ContainerSAS(t, "bundles")}, fastRetries(&blob.Options{}))
		if sum.Failed() {
			t.Fatalf("failed: %+v", sum.Files)
		}
		sameTables(t, "zip blob", dumpTables(t, s, blobPath), want)
		if n := count(t, s, "SELECT count(*) FROM files WHERE kind = 'zip' AND path = ?", blobPath); n != 1 {
			t.Errorf("zip blob rows: %d", n)
		}
	})

	t.Run("prefix", func(t *testing.T) {
		s, _ := ingestSources(t, []string{base + "contoso-analytics/2026/11/20?" + sas}, fastRetries(&blob.Options{}))
		var want int64
		filepath.WalkDir(sampleAppLog+"/contoso-analytics/2026/11/20", func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				want++
			}
			return nil
		})
		if n := count(t, s, "SELECT count(*) FROM files"); n != want || want == 0 {
			t.Errorf("prefix 2026/11/20: %d files, want %d", n, want)
		}
		if n := count(t, s, "SELECT count(*) FROM files WHERE path NOT LIKE ?", base+"contoso-analytics/2026/11/20/%"); n != 0 {
			t.Errorf("%d files outside the prefix", n)
		}
		disk, _ := ingestSources(t, []string{absPrefix(t, sampleAppLog) + "contoso-analytics/2026/11/20"}, nil)
		sameTables(t, "prefix", dumpTables(t, s, base), dumpTables(t, disk, absPrefix(t, sampleAppLog)))
		// A prefix is a folder: "2026/11/2" is not "2026/11/20".
		_, sum := ingestSources(t, []string{base + "contoso-analytics/2026/11/2?" + sas}, fastRetries(&blob.Options{}))
		if len(sum.Files) != 1 || sum.Files[0].Row.Status != "failed" || !strings.Contains(sum.Files[0].Row.Error, `no blobs under "contoso-analytics/2026/11/2"`) {
			t.Errorf("partial folder name: %+v", sum.Files)
		}
		// A single blob.
		one := base + "contoso-analytics/2026/11/19/03/5b7e2d-8252.applicationLog.csv"
		s, _ = ingestSources(t, []string{one + "?" + sas}, fastRetries(&blob.Options{}))
		if n := count(t, s, "SELECT count(*) FROM files WHERE path = ?", one); n != 1 || count(t, s, "SELECT count(*) FROM files") != 1 {
			t.Errorf("single blob: %d", n)
		}
	})

	t.Run("date-pruning", func(t *testing.T) {
		var gets atomic.Int64
		o := fastRetries(&blob.Options{
			Since:     time.Date(2026, 11, 19, 21, 30, 0, 0, time.UTC),
			Until:     time.Date(2026, 11, 20, 0, 30, 0, 0, time.UTC),
			Transport: countingTransport{&gets},
		})
		s, _ := ingestSources(t, []string{base + "?" + sas}, o)
		rows, err := s.DB().Query("SELECT path FROM files ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		var hours []string
		for rows.Next() {
			var p string
			rows.Scan(&p)
			hours = append(hours, strings.TrimPrefix(p, base+"contoso-analytics/2026/11/")[:5])
		}
		rows.Close()
		want := []string{"19/21", "19/22", "19/23", "20/00"}
		if strings.Join(hours, " ") != strings.Join(want, " ") {
			t.Errorf("hours read: %v, want %v", hours, want)
		}
		var dirs []string
		for _, h := range want {
			dirs = append(dirs, absPrefix(t, sampleAppLog)+"contoso-analytics/2026/11/"+h)
		}
		disk, _ := ingestSources(t, dirs, nil)
		sameTables(t, "date pruning", dumpTables(t, s, base), dumpTables(t, disk, absPrefix(t, sampleAppLog)))
		// One listing request and one download per blob read: pruned blobs are not downloaded.
		if g := gets.Load(); g != int64(len(want))+1 {
			t.Errorf("%d GET requests, want %d", g, len(want)+1)
		}
	})

	t.Run("overwritten-while-read", func(t *testing.T) {
		job := []byte("[11/20/2026 09:29:51 > 5b7e2d: INFO] 09-29-51:00: Waiting 10 mins...\r\n")
		if _, err := c.CreateContainer(ctx, "owr", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := c.UploadBuffer(ctx, "owr", "job_log.txt", job, nil); err != nil {
			t.Fatal(err)
		}
		var once atomic.Bool
		tr := hookTransport(func(r *http.Request) {
			if r.URL.Query().Get("comp") != "list" && once.CompareAndSwap(false, true) {
				if _, err := c.UploadBuffer(ctx, "owr", "job_log.txt", append(job, job...), nil); err != nil {
					t.Error(err)
				}
			}
		})
		_, sum := ingestSources(t, []string{az.URL + "/owr?" + az.ContainerSAS(t, "owr")}, fastRetries(&blob.Options{Transport: tr}))
		if len(sum.Files) != 1 || sum.Files[0].Row.Status != "failed" || !strings.Contains(sum.Files[0].Row.Error, "the blob changed while it was read (412") {
			t.Errorf("overwritten block blob: %+v", sum.Files)
		}
	})

	t.Run("endpoint-gone", func(t *testing.T) {
		_, sum := ingestSources(t, []string{base + "?" + sas}, fastRetries(&blob.Options{Parallel: 2, Transport: listOnlyTransport{}}))
		var blobs, sources []string
		for _, f := range sum.Files {
			if f.Row.Status != "failed" {
				t.Errorf("%s: %s", f.Row.Path, f.Row.Status)
			}
			if f.Row.Path == strings.TrimSuffix(base, "/") {
				sources = append(sources, f.Row.Error)
			} else {
				blobs = append(blobs, f.Row.Error)
			}
		}
		if len(blobs) != 3 || len(sources) != 1 || !strings.Contains(sources[0], "gave up after 3 blobs in a row could not be downloaded; 32 more blobs") {
			t.Errorf("blob failures %d, source failures %q", len(blobs), sources)
		}
		for _, b := range blobs {
			if !strings.Contains(b, "download failed: cannot connect to 127.0.0.1:") {
				t.Errorf("blob failure: %s", b)
			}
		}
	})

	t.Run("errors", func(t *testing.T) {
		wrongKey := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="
		cases := []struct {
			name, src string
			o         blob.Options
			want      []string
		}{
			{"wrong key", az.URL + "/applogs", blob.Options{Key: wrongKey, KeyFrom: "AZURE_STORAGE_KEY"},
				[]string{"access denied (403", "with the account key from AZURE_STORAGE_KEY (account devstoreaccount1)", "the key is wrong or was rotated"}},
			{"wrong key in connection string", "az://applogs", blob.Options{ConnectionString: strings.Replace(az.ConnectionString(), azuritetest.Key, wrongKey, 1), ConnectionStringFrom: "--connection-string"},
				[]string{"access denied (403", "the account key in the connection string from --connection-string"}},
			{"bad SAS", az.URL + "/applogs?" + strings.Replace(sas, "sig=", "sig=AAAA", 1), blob.Options{},
				[]string{"access denied (403", "with the SAS token in the URL"}},
			{"expired SAS", az.URL + "/applogs?sv=2025-01-05&se=2020-01-01T00%3A00%3A00Z&sr=c&sp=rl&sig=AAAA", blob.Options{},
				[]string{"with the SAS token in the URL", "expired at 2020-01-01T00:00:00Z"}},
			{"no container", az.URL + "/nosuch?" + sas, blob.Options{Key: azuritetest.Key},
				[]string{"with the SAS token in the URL"}},
			{"container not found", az.URL + "/nosuch", blob.Options{Key: azuritetest.Key},
				[]string{`container "nosuch" not found in storage account devstoreaccount1`}},
			{"anonymous", az.URL + "/applogs", blob.Options{},
				[]string{"no credential (anonymous access)", "SAS URL"}},
			{"connection refused", "http://127.0.0.1:1/devstoreaccount1/applogs", blob.Options{Key: azuritetest.Key},
				[]string{"cannot connect to 127.0.0.1:1: connection refused"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, sum := ingestSources(t, []string{tc.src}, fastRetries(&tc.o))
				if !sum.Failed() || len(sum.Files) != 1 {
					t.Fatalf("want one failed source: %+v", sum.Files)
				}
				msg := sum.Files[0].Row.Error
				for _, w := range tc.want {
					if !strings.Contains(msg, w) {
						t.Errorf("error lacks %q:\n%s", w, msg)
					}
				}
				for _, secret := range []string{wrongKey, wrongKey[:20], azuritetest.Key[:20], "sig=", "AccountKey"} {
					if strings.Contains(msg, secret) {
						t.Errorf("error shows a secret (%s):\n%s", secret, msg)
					}
				}
				if p := sum.Files[0].Row.Path; strings.Contains(p, "?") {
					t.Errorf("path keeps the query: %s", p)
				}
			})
		}
	})
}

// listOnlyTransport lets listings through and refuses every download, like an endpoint that
// went down right after the listing.
type listOnlyTransport struct{}

func (listOnlyTransport) Do(r *http.Request) (*http.Response, error) {
	if r.URL.Query().Get("comp") == "list" {
		return http.DefaultClient.Do(r)
	}
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

// hookTransport calls hook before sending each request.
type hookTransport func(*http.Request)

func (h hookTransport) Do(r *http.Request) (*http.Response, error) {
	h(r)
	return http.DefaultClient.Do(r)
}

// countingTransport counts GET requests.
type countingTransport struct{ n *atomic.Int64 }

func (c countingTransport) Do(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet {
		c.n.Add(1)
	}
	return http.DefaultClient.Do(r)
}

var _ policy.Transporter = countingTransport{}

// incRun is one incremental run: open the database, load the state, ingest, save the state
// (unless crash is set: the process "dies" after the commits), close.
func incRun(t *testing.T, db, state string, sources []string, o blob.Options, crash bool) (*Summary, blob.StateStats) {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := blob.LoadState(ctx, state, s, db)
	if err != nil {
		t.Fatal(err)
	}
	o.State = st
	sum, err := Ingest(ctx, s, sources, Options{Blob: fastRetries(&o)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !crash {
		if err := st.Save(sum.BlobOutcomes(), err); err != nil {
			t.Fatal(err)
		}
	}
	return sum, st.Stats()
}

func openDB(t *testing.T, db string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// csvLine renders an application-log CSV row at time ts.
func csvLine(ts time.Time, level, msg string) string {
	ticks := ts.UnixNano()/100 + 621355968000000000
	return fmt.Sprintf("%s,%s,contoso-analytics,5b7e2d,%d,0,8252,15,%s,\r\n", ts.UTC().Format("2006-01-02T15:04:05"), level, ticks, msg)
}

// download copies every blob of a container into dir (names as paths).
func download(t *testing.T, c *azblob.Client, containerName, dir string) {
	t.Helper()
	ctx := context.Background()
	pager := c.NewListBlobsFlatPager(containerName, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Segment.BlobItems {
			p := filepath.Join(dir, filepath.FromSlash(*it.Name))
			os.MkdirAll(filepath.Dir(p), 0o755)
			resp, err := c.DownloadStream(ctx, containerName, *it.Name, nil)
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// rowTables are the tables of rows; files rows differ by design (one per piece).
var rowTables = []string{"traces", "exceptions", "customEvents", "rejects", "job_status"}

// fileTotals sums the files rows of each path (the pieces of a blob).
func fileTotals(t *testing.T, s *store.Store, prefix string) []string {
	t.Helper()
	rows, err := s.DB().Query(`SELECT replace(path, ?, ''), kind, sum(lines), sum(parsed), sum(rejected), sum(merged), sum(traces),
		sum(exceptions), sum(events), sum(bytes), min(first_ts), max(last_ts), string_agg(DISTINCT status, ',') FROM files
		GROUP BY ALL ORDER BY 1`, prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		v := make([]any, 13)
		p := make([]any, 13)
		for i := range v {
			p[i] = &v[i]
		}
		rows.Scan(p...)
		out = append(out, fmt.Sprint(v...))
	}
	return out
}

// TestBlobIncremental: nightly runs with --state on a site's logs: nothing new adds nothing,
// an appended tail adds exactly its rows (line numbers going on, an unfinished last line and an
// unfinished quoted record held back), a crash between commit and state write loses and
// duplicates nothing, and the result equals reading the final blobs from disk.
func TestBlobIncremental(t *testing.T) {
	az := azuritetest.Start(t)
	c := az.Client(t)
	uploadTree(t, c, "site", sampleDir, "")
	dir := t.TempDir()
	db, state := filepath.Join(dir, "site.duckdb"), filepath.Join(dir, "state.json")
	src := []string{az.URL + "/site?" + az.ContainerSAS(t, "site")}
	base := az.URL + "/site/"

	// 1. First run: everything, exactly as from disk.
	sum, stats := incRun(t, db, state, src, blob.Options{}, false)
	if sum.Failed() || stats.New != 41 || stats.Tails != 0 {
		t.Fatalf("first run: failed %v, stats %+v", sum.Failed(), stats)
	}
	disk, _ := ingestSources(t, []string{absPrefix(t, sampleDir)}, nil)
	func() {
		s := openDB(t, db)
		sameTables(t, "first incremental run", dumpTables(t, s, base), dumpTables(t, disk, absPrefix(t, sampleDir)))
		s.Close()
	}()

	// 2. Nothing new: nothing read, nothing added.
	sum, stats = incRun(t, db, state, src, blob.Options{}, false)
	if len(sum.Files) != 0 || stats.Unchanged != 41 || stats.New+stats.Tails != 0 {
		t.Fatalf("second run: %d files, stats %+v", len(sum.Files), stats)
	}

	// 3. The last hour's blob grows: two lines, a quoted two-line record, and half a line.
	name := "applogs/contoso-analytics/2026/11/20/09/5b7e2d-8252.applicationLog.csv"
	ab := c.ServiceClient().NewContainerClient("site").NewAppendBlobClient(name)
	t0 := time.Date(2026, 11, 20, 9, 31, 0, 0, time.UTC)
	orig, _ := os.ReadFile(filepath.Join(sampleDir, filepath.FromSlash(name)))
	origLines := int64(bytes.Count(orig, []byte{'\n'}))
	// The quoted record's second line is not written yet.
	appendTo(t, ab, []byte(csvLine(t0, "Information", "09-31-00:00: Waiting 10 mins...")+
		csvLine(t0.Add(time.Second), "Information", "09-31-01:00: Office 365 Advanced Analytics engine START: 'Build 1312'.")+
		csvLine(t0.Add(2*time.Second), "Information", `"09-31-02:00: Destination SQL Server='contoso-sql', DB='AnalyticsDB'.`)))
	sum, stats = incRun(t, db, state, src, blob.Options{}, false)
	if stats.Tails != 1 || stats.New != 0 || len(sum.Files) != 1 {
		t.Fatalf("third run: %d files, stats %+v", len(sum.Files), stats)
	}
	f := sum.Files[0].Row
	if f.Path != base+name || f.Stats.Lines != 2 || f.Traces != 2 {
		t.Fatalf("tail: %+v", f)
	}
	s := openDB(t, db)
	if n := count(t, s, "SELECT count(*) FROM traces WHERE source_file = ? AND line_no IN (?, ?)", base+name, origLines+1, origLines+2); n != 2 {
		t.Errorf("tail rows at lines %d and %d: %d", origLines+1, origLines+2, n)
	}
	s.Close()

	// 4. The record and the next line are finished; a new hour's blob appears.
	appendTo(t, ab, []byte("second line of the record\",\r\n"+csvLine(t0.Add(3*time.Second), "Information", "09-31-03:00: Waiting")[:60]))
	newName := "applogs/contoso-analytics/2026/11/20/10/5b7e2d-8252.applicationLog.csv"
	createAppend(t, c, "site", newName, []byte("date,level,applicationName,instanceId,eventTickCount,eventId,pid,tid,message,activityId\r\n"+
		csvLine(t0.Add(30*time.Minute), "Error", "10-01-00:00: Got exception on DownloadActivityData: boom")))
	// And one whose first line is not finished: nothing of it is loaded yet.
	header := "date,level,applicationName,instanceId,eventTickCount,eventId,pid,tid,message,activityId\r\n"
	startedName := "applogs/contoso-analytics/2026/11/20/10/5b7e2d-9999.applicationLog.csv"
	createAppend(t, c, "site", startedName, []byte(header[:30]))
	sum, stats = incRun(t, db, state, src, blob.Options{}, false)
	if stats.Tails != 1 || stats.New != 2 || len(sum.Files) != 2 {
		t.Fatalf("fourth run: %d files, stats %+v", len(sum.Files), stats)
	}

	// 5. A crash after the commit, before the state is written: the next run recovers.
	appendTo(t, ab, []byte(csvLine(t0.Add(3*time.Second), "Information", "09-31-03:00: Waiting")[60:]+csvLine(t0.Add(4*time.Second), "Information", "09-31-04:00: Waiting 10 mins...")))
	if _, stats = incRun(t, db, state, src, blob.Options{}, true); stats.Tails != 1 {
		t.Fatalf("crashed run: %+v", stats)
	}
	appendTo(t, ab, []byte(csvLine(t0.Add(5*time.Second), "Information", "09-31-05:00: Waiting 10 mins...")))
	appendTo(t, c.ServiceClient().NewContainerClient("site").NewAppendBlobClient(startedName), []byte(header[30:]+csvLine(t0.Add(31*time.Minute), "Information", "10-02-00:00: Waiting 10 mins...")))
	sum, stats = incRun(t, db, state, src, blob.Options{}, false)
	if stats.Recovered != 1 || stats.Tails != 1 || stats.New != 1 || len(sum.Files) != 2 {
		t.Fatalf("run after the crash: stats %+v, files %+v", stats, sum.Files)
	}
	if sum, stats = incRun(t, db, state, src, blob.Options{}, false); len(sum.Files) != 0 || stats.Unchanged != 43 {
		t.Fatalf("nothing new after recovery: %d files, %+v", len(sum.Files), stats)
	}

	// 6. The database equals reading the final blobs from disk.
	final := filepath.Join(dir, "final")
	download(t, c, "site", final)
	want, _ := ingestSources(t, []string{final + "/"}, nil)
	got := openDB(t, db)
	wd, gd := dumpTables(t, want, final+"/"), dumpTables(t, got, base)
	for _, table := range rowTables {
		sameTables(t, "incremental vs disk", map[string][]string{table: gd[table]}, map[string][]string{table: wd[table]})
	}
	if g, w := fileTotals(t, got, base), fileTotals(t, want, final+"/"); strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("files totals differ:\n got %v\nwant %v", g, w)
	}
	if n := count(t, got, "SELECT count(*) FROM files WHERE path = ?", base+name); n != 5 {
		t.Errorf("pieces of the grown blob: %d files rows, want 5", n)
	}
	got.Close()

	// The state file holds no log content: hash states are taken at 64-byte boundaries. Read
	// as the file format says (blob/state.go), not through the package's own types.
	var sf struct {
		Blobs map[string]struct {
			Tail *struct {
				Offset int64  `json:"offset"`
				HashAt int64  `json:"hash_at"`
				Hash   []byte `json:"hash"`
			} `json:"tail"`
		} `json:"blobs"`
	}
	if data, err := os.ReadFile(state); err != nil || json.Unmarshal(data, &sf) != nil {
		t.Fatalf("state file: %v", err)
	}
	for p, e := range sf.Blobs {
		if e.Tail == nil {
			continue
		}
		if e.Tail.HashAt%64 != 0 || e.Tail.Offset-e.Tail.HashAt >= 64 {
			t.Errorf("%s: hash state at %d for offset %d", p, e.Tail.HashAt, e.Tail.Offset)
		}
		for _, frag := range []string{"contoso", "Waiting", "mins", "Information", "5b7e2d"} {
			if bytes.Contains(e.Tail.Hash, []byte(frag)) {
				t.Errorf("%s: the saved hash state holds log content (%q)", p, frag)
			}
		}
	}

	// 7. The same state with another database: its entries are not trusted, all is read again.
	sum, stats = incRun(t, filepath.Join(dir, "other.duckdb"), state, src, blob.Options{}, false)
	if stats.New != 43 || stats.Forgotten != 43 {
		t.Errorf("state of another database: %+v", stats)
	}
}

// bigAppLog renders an application-log CSV of n rows from t0 on, one second apart.
func bigAppLog(t0 time.Time, n int) []byte {
	var b bytes.Buffer
	b.WriteString("date,level,applicationName,instanceId,eventTickCount,eventId,pid,tid,message,activityId\r\n")
	for i := 0; i < n; i++ {
		ts := t0.Add(time.Duration(i) * time.Second)
		b.WriteString(csvLine(ts, "Information", fmt.Sprintf("%s: Imported page %d of the activity report for the tenant, %d rows so far.", ts.Format("15-04-05:00"), i, i*50)))
	}
	return b.Bytes()
}

// TestBlobDownloadBreaks: the connection drops in the middle of a large blob and does not come
// back. That blob is loaded up to the last whole line before the break (status partial, the
// error names the blob and the byte offset), the other blobs are read, and the next
// incremental run goes on from where the first one stopped: nothing lost, nothing twice.
func TestBlobDownloadBreaks(t *testing.T) {
	az := azuritetest.Start(t)
	c := az.Client(t)
	ctx := context.Background()
	if _, err := c.CreateContainer(ctx, "logs", nil); err != nil {
		t.Fatal(err)
	}
	big := "site/2026/11/20/05/5b7e2d-8252.applicationLog.csv"
	createAppend(t, c, "logs", big, bigAppLog(time.Date(2026, 11, 20, 5, 0, 0, 0, time.UTC), 60000))
	for _, n := range []string{"site/2026/11/20/04/5b7e2d-8252.applicationLog.csv", "site/2026/11/20/06/5b7e2d-8252.applicationLog.csv"} {
		hour, _ := time.Parse("2006/01/02/15", n[5:18])
		createAppend(t, c, "logs", n, bigAppLog(hour, 300))
	}
	proxy := az.Proxy(t, "/05/", 3<<20, nil)
	dir := t.TempDir()
	db, state := filepath.Join(dir, "x.duckdb"), filepath.Join(dir, "state.json")
	src := []string{proxy.URL + "/logs?" + az.ContainerSAS(t, "logs")}
	bigPath := proxy.URL + "/logs/" + big

	sum, _ := incRun(t, db, state, src, blob.Options{}, false)
	if !sum.Failed() {
		t.Fatalf("the broken download is not reported: %+v", sum.Files)
	}
	var broken *store.FileRow
	for i := range sum.Files {
		f := &sum.Files[i].Row
		switch {
		case f.Path == bigPath:
			broken = f
		case f.Status != "ok":
			t.Errorf("%s: %s %s", f.Path, f.Status, f.Error)
		}
	}
	if broken == nil || broken.Status != "partial" || broken.Stats.Lines == 0 {
		t.Fatalf("broken blob: %+v", broken)
	}
	for _, w := range []string{"read " + bigPath, "the download broke at byte offset", "could not be resumed", "connection refused"} {
		if !strings.Contains(broken.Error, w) {
			t.Errorf("error lacks %q: %s", w, broken.Error)
		}
	}
	t.Logf("partial: %s", broken.Error)
	if broken.Bytes >= 3<<20+1<<20 || broken.Bytes < 1<<20 {
		t.Errorf("committed %d bytes of the broken blob", broken.Bytes)
	}

	// The network is back: the next run reads the rest.
	proxy.Up(t)
	sum, stats := incRun(t, db, state, src, blob.Options{}, false)
	if sum.Failed() || stats.Tails != 1 || stats.Unchanged != 2 || len(sum.Files) != 1 {
		t.Fatalf("run after the break: stats %+v, files %+v", stats, sum.Files)
	}
	if f := sum.Files[0].Row; f.Stats.Lines+broken.Stats.Lines != 60001 {
		t.Errorf("lines: %d before the break + %d after, want 60001", broken.Stats.Lines, f.Stats.Lines)
	}
	final := filepath.Join(dir, "final")
	download(t, c, "logs", final)
	want, _ := ingestSources(t, []string{final + "/"}, nil)
	got := openDB(t, db)
	wd, gd := dumpTables(t, want, final+"/"), dumpTables(t, got, proxy.URL+"/logs/")
	for _, table := range rowTables {
		sameTables(t, "after the break vs disk", map[string][]string{table: gd[table]}, map[string][]string{table: wd[table]})
	}
}
