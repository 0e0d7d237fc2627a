package main

// The CLI on blob sources, against Azurite (internal/azuritetest).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"

	"github.com/kudulens/kudulens/internal/azuritetest"
)

// runCLIEnv is runCLI with environment variables.
func runCLIEnv(t *testing.T, envv map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return envv[k] }})
	return code, out.String(), errb.String()
}

// uploadSample uploads the files under dir into a container: application-log CSVs as append
// blobs (as App Service writes them), the rest as block blobs.
func uploadSample(t *testing.T, c *azblob.Client, containerName, dir string) {
	t.Helper()
	if _, err := c.CreateContainer(context.Background(), containerName, nil); err != nil {
		t.Fatal(err)
	}
	uploadUnder(t, c, containerName, "", dir)
}

// uploadUnder uploads the files under dir into an existing container, their names under prefix.
func uploadUnder(t *testing.T, c *azblob.Client, containerName, prefix, dir string) {
	t.Helper()
	ctx := context.Background()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		name := prefix + filepath.ToSlash(rel)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !strings.HasSuffix(name, ".applicationLog.csv") {
			_, err = c.UploadBuffer(ctx, containerName, name, data, nil)
			return err
		}
		ab := c.ServiceClient().NewContainerClient(containerName).NewAppendBlobClient(name)
		if _, err := ab.Create(ctx, nil); err != nil {
			return err
		}
		_, err = ab.AppendBlock(ctx, streaming.NopCloser(bytes.NewReader(data)), nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDiagnoseBlob is the definition of done: diagnosing the sample from a container
// (SAS URL) gives the same report as diagnosing the same files on disk, and a second
// incremental ingest adds zero rows. Also: wrong key, connection string from the environment.
func TestDiagnoseBlob(t *testing.T) {
	t.Parallel()
	az := azuritetest.Start(t)
	uploadSample(t, az.Client(t), "sample", sample)
	blobURL := az.URL + "/sample"
	src := blobURL + "?" + az.ContainerSAS(t, "sample")

	for _, format := range []string{"json", "text", "md"} {
		codeDisk, wantOut, errDisk := runCLI(t, "diagnose", "--format", format, sample)
		codeBlob, gotOut, errBlob := runCLI(t, "diagnose", "--format", format, "--parallel", "2", src)
		if codeDisk != exitCheckFailed || codeBlob != codeDisk {
			t.Fatalf("%s: exit %d (disk) and %d (blob)\n%s\n%s", format, codeDisk, codeBlob, errDisk, errBlob)
		}
		// Same report; only the paths differ.
		got := strings.ReplaceAll(gotOut, blobURL, sample)
		if got != wantOut {
			gl, wl := strings.Split(got, "\n"), strings.Split(wantOut, "\n")
			for i := 0; i < min(len(gl), len(wl)); i++ {
				if gl[i] != wl[i] {
					t.Errorf("%s report differs at line %d:\n blob %s\n disk %s", format, i+1, gl[i], wl[i])
					break
				}
			}
			t.Errorf("%s report: %d lines from blobs, %d from disk", format, len(gl), len(wl))
		}
		if strings.Contains(gotOut+errBlob, "sig=") {
			t.Errorf("%s: the SAS shows in the output", format)
		}
	}

	// Nightly runs: the second adds nothing.
	dir := t.TempDir()
	db, state := filepath.Join(dir, "site.duckdb"), filepath.Join(dir, "state.json")
	code, out, stderr := runCLI(t, "ingest", src, "--db", db, "--state", state)
	if code != exitOK || !strings.Contains(out, "0 blobs unchanged, 41 new, 0 appended tails") {
		t.Fatalf("first ingest: exit %d\n%s\n%s", code, out, stderr)
	}
	traces := func() string {
		_, out, _ := runCLI(t, "query", "--db", db, "--format", "csv", "--sql", "select count(*) as n from traces")
		return out
	}
	before := traces()
	code, out, stderr = runCLI(t, "ingest", src, "--db", db, "--state", state)
	if code != exitOK || !strings.Contains(out, "41 blobs unchanged, 0 new, 0 appended tails") || !strings.Contains(out, "total      0      0") {
		t.Fatalf("second ingest: exit %d\n%s\n%s", code, out, stderr)
	}
	if after := traces(); after != before || before == "n\n0\n" {
		t.Errorf("traces %q before, %q after the second run", before, after)
	}

	// The connection string from the environment, with az://.
	code, out, stderr = runCLIEnv(t, map[string]string{"AZURE_STORAGE_CONNECTION_STRING": az.ConnectionString()},
		"query", "az://sample/data", "--format", "csv", "--sql", "select count(*) as n from files")
	if code != exitOK || out != "n\n6\n" {
		t.Errorf("az:// with AZURE_STORAGE_CONNECTION_STRING: exit %d %q %s", code, out, stderr)
	}

	// A wrong key: a clear error, exit 3, and the key shown nowhere.
	wrong := "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3Jvbmc="
	code, out, stderr = runCLIEnv(t, map[string]string{"AZURE_STORAGE_KEY": wrong}, "ingest", "--db", filepath.Join(dir, "w.duckdb"), blobURL)
	if code != exitInputFailed || !strings.Contains(out, "access denied (403") || !strings.Contains(out, "with the account key from AZURE_STORAGE_KEY (account devstoreaccount1)") {
		t.Errorf("wrong key: exit %d\n%s\n%s", code, out, stderr)
	}
	if strings.Contains(out+stderr, wrong[:16]) {
		t.Errorf("the key shows in the output")
	}
	// Nor is it in the database.
	_, out, _ = runCLI(t, "query", "--db", filepath.Join(dir, "w.duckdb"), "--format", "csv", "--sql", "select * from files")
	if strings.Contains(out, wrong[:16]) {
		t.Errorf("the key is in the database")
	}
}

// TestIngestBlobAzuriteStopped: Azurite stops in the middle of a download. The run goes on,
// says which blob broke at which offset, and exits 3.
func TestIngestBlobAzuriteStopped(t *testing.T) {
	t.Parallel()
	az := azuritetest.Start(t)
	c := az.Client(t)
	uploadSample(t, c, "logs", filepath.Join(sample, "applogs"))
	// A large Kudu log, read after the application logs (name order).
	big := bytes.Repeat([]byte("[11/20/2026 09:29:51 > 5b7e2d: INFO] 09-29-51:00: Imported page of the activity report for the tenant.\r\n"), 60000)
	if _, err := c.UploadBuffer(context.Background(), "logs", "zz/data/jobs/continuous/Office365ActivityImporter/job_log.txt", big, nil); err != nil {
		t.Fatal(err)
	}
	proxy := az.Proxy(t, "/job_log.txt", 2<<20, az.Kill)
	blobPath := proxy.URL + "/logs/zz/data/jobs/continuous/Office365ActivityImporter/job_log.txt"
	code, out, stderr := runCLI(t, "ingest", "--db", filepath.Join(t.TempDir(), "x.duckdb"), "--retries", "1",
		proxy.URL+"/logs?"+az.ContainerSAS(t, "logs"))
	if code != exitInputFailed {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitInputFailed, out, stderr)
	}
	for _, want := range []string{"partial: " + blobPath + ": ", "the download broke at byte offset ", "connection refused", "app-log-csv     35"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A container is a fleet as a folder is: its top-level folders and blobs are the sites, and
// the summary is the one the same layout on disk gives.
func TestFleetBlob(t *testing.T) {
	t.Parallel()
	az := azuritetest.Start(t)
	c := az.Client(t)
	ctx := context.Background()
	if _, err := c.CreateContainer(ctx, "fleet", nil); err != nil {
		t.Fatal(err)
	}
	bundle, err := os.ReadFile("../../fixtures/sample-bundle.zip")
	if err != nil {
		t.Fatal(err)
	}
	// Under a prefix, to show that a prefix in a container is a fleet too.
	uploadUnder(t, c, "fleet", "nightly/contoso-analytics/", sample)
	if _, err := c.UploadBuffer(ctx, "fleet", "nightly/fabrikam.zip", bundle, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadBuffer(ctx, "fleet", "nightly/_state.json", []byte("{}"), nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "contoso-analytics"), os.DirFS(sample)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fabrikam.zip"), bundle, 0o644); err != nil {
		t.Fatal(err)
	}
	sas := az.ContainerSAS(t, "fleet")
	codeBlob, outBlob, errBlob := runCLI(t, "diagnose", "--fleet", az.URL+"/fleet/nightly?"+sas, "--format", "json")
	codeDisk, outDisk, errDisk := runCLI(t, "diagnose", "--fleet", dir, "--format", "json")
	if codeDisk != exitCheckFailed || codeBlob != codeDisk {
		t.Fatalf("exit %d (blob), %d (disk)\n%s\n%s", codeBlob, codeDisk, errBlob, errDisk)
	}
	if strings.Contains(outBlob+errBlob, "sig=") {
		t.Errorf("the SAS shows in the fleet summary")
	}
	summary := func(out string) (map[string]any, []any) {
		var f map[string]any
		if err := json.Unmarshal([]byte(out), &f); err != nil {
			t.Fatalf("json: %v\n%s", err, out)
		}
		sites, _ := f["sites"].([]any)
		for _, s := range sites {
			delete(s.(map[string]any), "source")
		}
		return f, sites
	}
	fb, blobSites := summary(outBlob)
	_, diskSites := summary(outDisk)
	if len(blobSites) != 2 || !reflect.DeepEqual(blobSites, diskSites) {
		t.Errorf("the container's sites differ from the folder's:\n blob %v\n disk %v", blobSites, diskSites)
	}
	if fb["source"] != az.URL+"/fleet/nightly" {
		t.Errorf("source %v", fb["source"])
	}

	// A prefix that is one site's folder (applogs/, data/jobs/) is that one site, said so.
	code, out, stderr := runCLI(t, "diagnose", "--fleet", az.URL+"/fleet/nightly/contoso-analytics?"+sas, "--format", "json")
	f, sites := summary(out)
	if code != exitCheckFailed || len(sites) != 1 || sites[0].(map[string]any)["site"] != "contoso-analytics" ||
		!strings.Contains(fmt.Sprint(f["note"]), "holds one site's logs (applogs/, data/jobs/), not a folder of sites") {
		t.Errorf("fleet on one site's prefix: exit %d, note %v, sites %v\n%s", code, f["note"], sites, stderr)
	}

	// A container the credentials cannot list: a clear error, exit 3, no secret shown.
	code, _, stderr = runCLI(t, "diagnose", "--fleet", az.URL+"/fleet?sv=2021-08-06&sr=c&sig=bm90LWEtc2lnbmF0dXJl&sp=rl&se=2099-01-01T00%3A00%3A00Z")
	if code != exitInputFailed || !strings.Contains(stderr, "cannot list the sites") || strings.Contains(stderr, "bm90LWEt") {
		t.Errorf("bad SAS: exit %d\n%s", code, stderr)
	}
}
