package main

// A lake of many sites: export --fleet, export to Blob Storage (Azurite), and reading a lake
// back per site (diagnose --fleet lake/).

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/kudulens/kudulens/internal/azuritetest"
	"github.com/kudulens/kudulens/pipeline/blob"
	"github.com/kudulens/kudulens/pipeline/store"
)

// makeFleet writes a fleet folder of two sites: contoso (the sample's folder) and fabrikam
// (the sample bundle).
func makeFleet(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "contoso"), os.DirFS(sample)); err != nil {
		t.Fatal(err)
	}
	bundle, err := os.ReadFile("../../fixtures/sample-bundle.zip")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fabrikam.zip"), bundle, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fleetSites is the sites of a diagnose --fleet --format json summary, without their source.
func fleetSites(t *testing.T, out string) []any {
	t.Helper()
	var f map[string]any
	if err := json.Unmarshal([]byte(out), &f); err != nil {
		t.Fatalf("json: %v\n%.2000s", err, out)
	}
	sites, _ := f["sites"].([]any)
	for _, s := range sites {
		delete(s.(map[string]any), "source")
	}
	return sites
}

// sitesByName indexes fleetSites' sites by their names.
func sitesByName(sites []any) map[string]any {
	out := map[string]any{}
	for _, s := range sites {
		m := s.(map[string]any)
		name, _ := m["site"].(string)
		out[name] = m
	}
	return out
}

// lakeRowsBySite counts a table's committed rows per export_site (DuckDB's read_parquet over
// the files the markers list).
func lakeRowsBySite(t *testing.T, dir, table string) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The files the commit markers list, as any reader should take them.
	markers, _ := filepath.Glob(filepath.Join(dir, "_kudulens_commits", "*.json"))
	var files []string
	for _, m := range markers {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		var c struct{ Files []string }
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		for _, f := range c.Files {
			if strings.HasPrefix(f, "table="+table+"/") {
				files = append(files, "'"+filepath.ToSlash(filepath.Join(dir, f))+"'")
			}
		}
	}
	out := map[string]int64{}
	if len(files) == 0 {
		return out
	}
	src := "read_parquet([" + strings.Join(files, ", ") + "], union_by_name = true, hive_partitioning = false)"
	rows, err := s.DB().QueryContext(ctx, "SELECT coalesce(export_site, ''), count(*) FROM "+src+" GROUP BY ALL")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var site string
		var n int64
		if err := rows.Scan(&site, &n); err != nil {
			t.Fatal(err)
		}
		out[site] = n
	}
	return out
}

// export --fleet writes every site into one lake, each under its own export_site; diagnose
// --fleet reads the lake back one site per export_site, with the results of the fleet folder.
func TestExportFleetThenDiagnoseLake(t *testing.T) {
	t.Parallel()
	fleet := makeFleet(t)
	lake := filepath.Join(t.TempDir(), "lake")
	code, out, stderr := runCLI(t, "export", "-q", "--fleet", fleet, "--parquet", lake)
	if code != exitOK || !strings.Contains(out, `contoso: export `) || !strings.Contains(out, `fabrikam: export `) {
		t.Fatalf("export --fleet: exit %d\n%s\n%s", code, out, stderr)
	}
	if got := lakeRowsBySite(t, lake, "traces"); !reflect.DeepEqual(got, map[string]int64{"contoso": 27047, "fabrikam": 27047}) {
		t.Errorf("traces rows per site: %v", got)
	}
	// Again: nothing new for either site.
	code, out, _ = runCLI(t, "export", "-q", "--fleet", fleet, "--parquet", lake)
	if code != exitOK || strings.Count(out, "nothing new") != 2 {
		t.Errorf("second export --fleet: exit %d\n%s", code, out)
	}

	codeFolder, fromFolder, _ := runCLI(t, "diagnose", "--fleet", fleet, "--format", "json")
	codeLake, fromLake, stderr := runCLI(t, "diagnose", "--fleet", lake, "--format", "json")
	if codeFolder != exitCheckFailed || codeLake != codeFolder {
		t.Fatalf("diagnose --fleet: exit %d (folder), %d (lake)\n%s", codeFolder, codeLake, stderr)
	}
	want, got := fleetSites(t, fromFolder), fleetSites(t, fromLake)
	if len(got) != 2 || !reflect.DeepEqual(got, want) {
		t.Errorf("the lake's sites differ from the folder's:\n lake   %v\n folder %v", got, want)
	}
	// query and diagnose read one site of it (--site); without it they say which there are,
	// rather than merge the sites' rows as copies of one another.
	code, out, stderr = runCLI(t, "query", "--format", "csv", "--site", "fabrikam", "--sql", "select count(*) n from traces", lake)
	if code != exitOK || out != "n\n27047\n" {
		t.Errorf("query --site fabrikam: exit %d %q %s", code, out, stderr)
	}
	code, _, stderr = runCLI(t, "query", "--sql", "select count(*) from traces", lake)
	if code == exitOK || !strings.Contains(stderr, `holds 2 sites ("contoso", "fabrikam"): read one with --site NAME`) {
		t.Errorf("query of a two-site lake without --site: exit %d %s", code, stderr)
	}
	// A site of the lake alone is what that site's own export gives.
	single := filepath.Join(t.TempDir(), "single")
	if code, _, stderr := runCLI(t, "export", "-q", "--parquet", single, "--site", "contoso", filepath.Join(fleet, "contoso")); code != exitOK {
		t.Fatalf("export: %d %s", code, stderr)
	}
	_, fromSingle, _ := runCLI(t, "diagnose", "--format", "json", single)
	_, fromOne, _ := runCLI(t, "diagnose", "--format", "json", filepath.Join(fleet, "contoso"))
	if fromSingle != fromOne {
		t.Errorf("diagnose of one site's lake differs from diagnose of its folder")
	}

	// --fleet with --site or sources is refused.
	if code, _, _ := runCLI(t, "export", "--fleet", fleet, "--parquet", lake, "--site", "x"); code != exitUsage {
		t.Errorf("--fleet --site: exit %d", code)
	}
}

// export --parquet <container URL> against Azurite, with the credentials blob sources take:
// the lake reads back (fetched from the container) to the report of the files on disk; a
// second export writes nothing; an export whose marker never arrived is not read and is redone
// under the same names; a read-only SAS fails with a clear message and commits nothing; export
// --fleet writes every site into the container.
func TestExportBlobLake(t *testing.T) {
	t.Parallel()
	az := azuritetest.Start(t)
	c := az.Client(t)
	ctx := context.Background()
	if _, err := c.CreateContainer(ctx, "lake", nil); err != nil {
		t.Fatal(err)
	}
	writeSAS := az.ContainerSASWith(t, "lake", sas.ContainerPermissions{Read: true, List: true, Write: true, Create: true})
	readSAS := az.ContainerSAS(t, "lake")
	connEnv := map[string]string{"AZURE_STORAGE_CONNECTION_STRING": az.ConnectionString()}
	keyEnv := map[string]string{"AZURE_STORAGE_KEY": azuritetest.Key}

	// fetch copies the lake under prefix into a local folder (as a reader would: the files
	// the markers list) and returns it and the number of exports.
	fetch := func(prefix string) (string, int) {
		t.Helper()
		l, err := blob.OpenLake(az.URL+"/lake/"+prefix, &blob.Options{ConnectionString: az.ConnectionString()})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		n, err := store.FetchLake(ctx, l, dir)
		if err != nil {
			t.Fatal(err)
		}
		return dir, n
	}
	// The credentials are tried on one hour of application log (fast); the whole sample makes
	// the round trip once, below.
	hour := sample + "/applogs/contoso-analytics/2026/11/19/00"
	_, wantHour, _ := runCLI(t, "query", "--format", "csv", "--sql", "select count(*) n, sum(msg_hash) h from traces", hour)

	for _, c := range []struct {
		name string
		url  string
		env  map[string]string
		args []string
	}{
		{"SAS in the URL", az.URL + "/lake/sas?" + writeSAS, nil, nil},
		{"--auth sas", az.URL + "/lake/auth-sas?" + writeSAS, nil, []string{"--auth", "sas"}},
		{"connection string", az.URL + "/lake/conn", connEnv, nil},
		{"--auth key, --connection-string", az.URL + "/lake/conn-flag", nil, []string{"--auth", "key", "--connection-string", az.ConnectionString()}},
		{"--auth key, AZURE_STORAGE_KEY", az.URL + "/lake/key", keyEnv, []string{"--auth", "key"}},
		{"az:// with the connection string", "az://lake/az", connEnv, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"export", "-q", "--parquet", c.url, "--site", "contoso"}, c.args...)
			code, out, stderr := runCLIEnv(t, c.env, append(args, hour)...)
			if code != exitOK || !strings.Contains(out, "→ 8 Parquet files in ") {
				t.Fatalf("export: exit %d\n%s\n%s", code, out, stderr)
			}
			if strings.Contains(out+stderr, "sig=") || strings.Contains(out+stderr, azuritetest.Key) {
				t.Errorf("a secret shows in the output")
			}
			code, out, _ = runCLIEnv(t, c.env, append(args, hour)...)
			if code != exitOK || !strings.HasPrefix(out, "nothing new: all 1 files") {
				t.Errorf("second export: exit %d %q", code, out)
			}
			prefix := strings.TrimPrefix(blob.StripQuery(c.url), az.URL+"/lake/")
			prefix = strings.TrimPrefix(prefix, "az://lake/")
			local, n := fetch(prefix)
			if n != 1 {
				t.Fatalf("%d exports committed in the container, want 1", n)
			}
			_, got, _ := runCLI(t, "query", "--format", "csv", "--sql", "select count(*) n, sum(msg_hash) h from traces", local)
			if got != wantHour {
				t.Errorf("the lake read back from the container: %q, the files: %q", got, wantHour)
			}
		})
	}

	// The whole sample, read back from the container: the report of the files on disk.
	code, out, stderr := runCLI(t, "export", "-q", "--parquet", az.URL+"/lake/sample?"+writeSAS, "--site", "contoso", sample)
	if code != exitOK || !strings.Contains(out, "traces           27047 rows") {
		t.Fatalf("export of the sample: exit %d\n%s\n%s", code, out, stderr)
	}
	sampleLake, _ := fetch("sample")
	_, wantReport, _ := runCLI(t, "diagnose", "--format", "json", sample)
	if code, got, stderr := runCLI(t, "diagnose", "--format", "json", sampleLake); code != exitCheckFailed || got != wantReport {
		t.Errorf("the sample read back from the container: exit %d, same report as the files: %v\n%s", code, got == wantReport, stderr)
	}

	// The marker is what commits an export: without it (an export killed during the uploads)
	// readers see nothing, and the next export redoes it under the same names.
	_, first, _ := runCLI(t, "export", "-q", "--parquet", az.URL+"/lake/redo?"+writeSAS, "--site", "contoso", hour)
	id := strings.Fields(first)[1]
	if _, err := c.DeleteBlob(ctx, "lake", "redo/_kudulens_commits/"+id+".json", nil); err != nil {
		t.Fatal(err)
	}
	if _, n := fetch("redo"); n != 0 {
		t.Errorf("%d exports read without their marker", n)
	}
	_, again, _ := runCLI(t, "export", "-q", "--parquet", az.URL+"/lake/redo?"+writeSAS, "--site", "contoso", hour)
	if strings.Fields(again)[1] != id {
		t.Errorf("redone export %q, first %q", again, first)
	}
	if local, n := fetch("redo"); n != 1 || lakeRowsBySite(t, local, "traces")["contoso"] == 0 {
		t.Errorf("redone export: %d exports, %v", n, lakeRowsBySite(t, local, "traces"))
	}

	// A SAS without write permission: the upload is refused, said so, nothing committed.
	code, _, stderr = runCLI(t, "export", "-q", "--parquet", az.URL+"/lake/ro?"+readSAS, "--site", "contoso", hour)
	if code != exitFatal || !strings.Contains(stderr, "cannot upload") || !strings.Contains(stderr, "sp=rlcw") || strings.Contains(stderr, "sig=") {
		t.Errorf("read-only SAS: exit %d\n%s", code, stderr)
	}
	if _, n := fetch("ro"); n != 0 {
		t.Errorf("read-only SAS: %d exports committed", n)
	}

	// A wrong account key, and no credential at all on a private container: refused before
	// anything is ingested, saying which credential, showing none.
	badKey := map[string]string{"AZURE_STORAGE_KEY": "bm90LXRoZS1rZXktYnV0LWJhc2U2NC1lbm91Z2gtdG8tcGFzcy1hcy1vbmU="}
	code, _, stderr = runCLIEnv(t, badKey, "export", "-q", "--parquet", az.URL+"/lake/badkey", "--auth", "key", hour)
	if code != exitFatal || !strings.Contains(stderr, "cannot list the lake: access denied") ||
		!strings.Contains(stderr, "the account key from AZURE_STORAGE_KEY") || strings.Contains(stderr, badKey["AZURE_STORAGE_KEY"]) {
		t.Errorf("wrong key: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, "export", "-q", "--parquet", az.URL+"/lake/anon", hour)
	if code != exitFatal || !strings.Contains(stderr, "with no credential (anonymous access): the container is not public") {
		t.Errorf("anonymous: exit %d\n%s", code, stderr)
	}

	// A fleet into the container, read back per site (two sites of one hour each).
	fleet := t.TempDir()
	for site, h := range map[string]string{"contoso": "00", "fabrikam": "01"} {
		if err := os.CopyFS(filepath.Join(fleet, site), os.DirFS(sample+"/applogs/contoso-analytics/2026/11/19/"+h)); err != nil {
			t.Fatal(err)
		}
	}
	code, out, stderr = runCLI(t, "export", "-q", "--fleet", fleet, "--parquet", az.URL+"/lake/fleet?"+writeSAS)
	if code != exitOK {
		t.Fatalf("export --fleet to the container: exit %d\n%s\n%s", code, out, stderr)
	}
	local, n := fetch("fleet")
	if n != 2 {
		t.Errorf("%d exports in the fleet lake, want 2", n)
	}
	codeFolder, fromFolder, _ := runCLI(t, "diagnose", "--fleet", fleet, "--format", "json")
	_, fromLake, _ := runCLI(t, "diagnose", "--fleet", local, "--format", "json")
	if want, got := fleetSites(t, fromFolder), fleetSites(t, fromLake); !reflect.DeepEqual(got, want) {
		t.Errorf("the container's fleet lake differs from the folder's:\n lake   %v\n folder %v", got, want)
	}
	sites, _, err := store.LakeSites(local)
	sort.Strings(sites)
	if err != nil || strings.Join(sites, ",") != "contoso,fabrikam" {
		t.Errorf("sites %v %v", sites, err)
	}

	// diagnose --fleet reads the lake in the container, site by site, to the folder's results
	// (not sites named table=…); a shard fetches only its own sites' files.
	code, fromBlob, stderr := runCLI(t, "diagnose", "--fleet", az.URL+"/lake/fleet?"+readSAS, "--format", "json")
	if want, got := fleetSites(t, fromFolder), fleetSites(t, fromBlob); code != codeFolder || !reflect.DeepEqual(got, want) {
		t.Errorf("diagnose --fleet of the lake in the container: exit %d\n lake   %v\n folder %v\n%s", code, got, want, stderr)
	}
	if strings.Contains(fromBlob+stderr, "sig=") {
		t.Errorf("the SAS shows in the fleet report")
	}
	taken := 0
	for k := 1; k <= 2; k++ {
		shard := fmt.Sprintf("%d/2", k)
		code, out, stderr := runCLI(t, "diagnose", "--fleet", az.URL+"/lake/fleet?"+readSAS, "--shard", shard, "--format", "json")
		got := sitesByName(fleetSites(t, out))
		for site := range got {
			taken++
			if shardOf(site, 2) != k {
				t.Errorf("shard %s took %s", shard, site)
			}
		}
		for site, res := range sitesByName(fleetSites(t, fromFolder)) {
			if shardOf(site, 2) == k && !reflect.DeepEqual(got[site], res) {
				t.Errorf("shard %s: %s: %v, the folder's %v (exit %d)\n%s", shard, site, got[site], res, code, stderr)
			}
		}
	}
	if taken != 2 {
		t.Errorf("the two shards took %d sites, want 2", taken)
	}
	// query and diagnose read one site of the lake in the container (--site), as of the lake on
	// disk; without --site they name its sites.
	_, wantFab, _ := runCLI(t, "query", "--format", "csv", "--site", "fabrikam", "--sql", "select count(*) n, sum(msg_hash) h from traces", local)
	if !strings.HasPrefix(wantFab, "n,h\n") || strings.HasPrefix(wantFab, "n,h\n0,") {
		t.Fatalf("query --site fabrikam of the lake on disk: %q", wantFab)
	}
	if code, got, stderr := runCLI(t, "query", "--format", "csv", "--site", "fabrikam", "--sql", "select count(*) n, sum(msg_hash) h from traces", az.URL+"/lake/fleet?"+readSAS); code != exitOK || got != wantFab {
		t.Errorf("query --site fabrikam of the container's lake: exit %d %q, want %q\n%s", code, got, wantFab, stderr)
	}
	if code, _, stderr := runCLI(t, "query", "--site", "northwind", "--sql", "select 1", az.URL+"/lake/fleet?"+readSAS); code == exitOK ||
		!strings.Contains(stderr, "--site northwind: no export of that site in the lake") {
		t.Errorf("query --site of a site the container's lake does not hold: exit %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "query", "--sql", "select count(*) from traces", az.URL+"/lake/fleet?"+readSAS); code == exitOK ||
		!strings.Contains(stderr, `holds 2 sites ("contoso", "fabrikam")`) || strings.Contains(stderr, "sig=") {
		t.Errorf("query of the container's two-site lake without --site: exit %d %s", code, stderr)
	}
	_, wantRep, _ := runCLI(t, "diagnose", "--format", "json", "--site", "contoso", local)
	if !strings.Contains(wantRep, `"checks"`) {
		t.Fatalf("diagnose --site contoso of the lake on disk: %.300s", wantRep)
	}
	if code, got, stderr := runCLI(t, "diagnose", "--format", "json", "--site", "contoso", az.URL+"/lake/fleet?"+readSAS); got != wantRep {
		t.Errorf("diagnose --site contoso of the container's lake: exit %d, same report as the lake on disk: %v\n%s", code, got == wantRep, stderr)
	}
	// What a shard fetches: every marker, and the files of its own sites only.
	l, err := blob.OpenLake(az.URL+"/lake/fleet", &blob.Options{ConnectionString: az.ConnectionString()})
	if err != nil {
		t.Fatal(err)
	}
	part := t.TempDir()
	if n, err := store.FetchLakeSites(ctx, l, part, func(s string) bool { return s == "contoso" }); n != 1 || err != nil {
		t.Errorf("FetchLakeSites: %d exports, %v", n, err)
	}
	_, wantN, _ := runCLI(t, "query", "--format", "csv", "--site", "contoso", "--sql", "select count(*) n from traces", local)
	if code, gotN, stderr := runCLI(t, "query", "--format", "csv", "--site", "contoso", "--sql", "select count(*) n from traces", part); code != exitOK || gotN != wantN {
		t.Errorf("contoso from its fetched files: exit %d %q, want %q\n%s", code, gotN, wantN, stderr)
	}
	if code, _, _ := runCLI(t, "query", "--site", "fabrikam", "--sql", "select count(*) from traces", part); code == exitOK {
		t.Errorf("fabrikam's files were fetched for a contoso-only reader")
	}
	// export --fleet from it is refused: a lake is not a folder of sites.
	code, _, stderr = runCLI(t, "export", "-q", "--fleet", az.URL+"/lake/fleet?"+readSAS, "--parquet", t.TempDir())
	if code != exitInputFailed || !strings.Contains(stderr, "is a Parquet lake (written by export --parquet), not a folder of sites") || strings.Contains(stderr, "sig=") {
		t.Errorf("export --fleet of a lake in a container: exit %d\n%s", code, stderr)
	}

	// An export reads only its own site's markers (their metadata names the site): a marker of
	// another site that is not even JSON does not stop contoso's next export; a reader of
	// the whole lake meets it.
	metaSites := map[string]string{}
	pager := c.NewListBlobsFlatPager("lake", &azblob.ListBlobsFlatOptions{Prefix: to.Ptr("fleet/_kudulens_commits/"), Include: azblob.ListBlobsInclude{Metadata: true}})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Segment.BlobItems {
			for k, v := range it.Metadata {
				if strings.EqualFold(k, "kudulenssite") {
					metaSites[*v] = *it.Name
				}
			}
		}
	}
	if len(metaSites) != 2 || metaSites["contoso"] == "" || metaSites["fabrikam"] == "" {
		t.Errorf("the markers' site metadata: %v", metaSites)
	}
	if _, err := c.UploadBuffer(ctx, "lake", "fleet/_kudulens_commits/ffffffffffffffff.json", []byte("not json"),
		&azblob.UploadBufferOptions{Metadata: map[string]*string{"kudulenssite": to.Ptr("fabrikam")}}); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = runCLI(t, "export", "-q", "--parquet", az.URL+"/lake/fleet?"+writeSAS, "--site", "contoso", sample+"/applogs/contoso-analytics/2026/11/19/02")
	if code != exitOK || !strings.Contains(out, "export ") {
		t.Errorf("contoso's export next to a broken marker of fabrikam: exit %d\n%s\n%s", code, out, stderr)
	}
}

// export --parquet <container URL> --auth managed-identity: the lake is written with an Entra
// ID token (Azurite over HTTPS in OAuth mode, App Service's identity endpoint faked), one
// token for the run, none shown.
func TestExportBlobLakeManagedIdentity(t *testing.T) {
	az := azuritetest.StartOAuth(t)
	mi := azuritetest.StartIdentityEndpoint(t)
	c := az.Client(t)
	if _, err := c.CreateContainer(context.Background(), "lake", nil); err != nil {
		t.Fatal(err)
	}
	hour := sample + "/applogs/contoso-analytics/2026/11/19/00"
	cmd := kudulensCmd("export", "-q", "--parquet", az.URL+"/lake/mi", "--auth", "managed-identity", "--site", "contoso", hour)
	cmd.Env = authEnv(az, mi)
	got := runProc(t, cmd)
	if got.code != exitOK || !strings.Contains(got.stdout, "traces            1069 rows") {
		t.Fatalf("export: exit %d\n%s\n%s", got.code, got.stdout, got.stderr)
	}
	if n := len(mi.Issued()); n != 1 {
		t.Errorf("%d tokens issued for one export, want 1", n)
	}
	for _, tok := range mi.Issued() {
		if strings.Contains(got.stdout+got.stderr, tok.Value) {
			t.Errorf("the output shows a token")
		}
	}
	// Committed: the marker and every file it lists are in the container.
	ctx := context.Background()
	pager := c.NewListBlobsFlatPager("lake", nil)
	have := map[string]bool{}
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Segment.BlobItems {
			have[*it.Name] = true
		}
	}
	var markers []string
	for name := range have {
		if strings.HasPrefix(name, "mi/_kudulens_commits/") {
			markers = append(markers, name)
		}
	}
	if len(markers) != 1 {
		t.Fatalf("markers %v", markers)
	}
	resp, err := c.DownloadStream(ctx, "lake", markers[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Files []string }
	err = json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if err != nil || len(m.Files) == 0 {
		t.Fatalf("marker: %v %v", m, err)
	}
	for _, f := range m.Files {
		if !have["mi/"+f] {
			t.Errorf("the marker lists %s, which is not in the container", f)
		}
	}
	if len(have) != len(m.Files)+1 {
		t.Errorf("%d blobs in the container, the marker lists %d files", len(have), len(m.Files))
	}
}

// A job log that grew between two nightly exports: the second writes its new lines only, and
// the lake diagnoses as the whole log does.
func TestExportAppendedLogThenDiagnose(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(sample + "/data/jobs/continuous/Office365ActivityImporter/job_log.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	night := func(n int) string {
		dir := t.TempDir()
		p := filepath.Join(dir, "data", "jobs", "continuous", "Office365ActivityImporter", "job_log.txt")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Join(lines[:n], "")), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	lake := filepath.Join(t.TempDir(), "lake")
	night1, night2 := night(2500), night(len(lines))
	if code, _, stderr := runCLI(t, "export", "-q", "--parquet", lake, "--site", "contoso", night1); code != exitOK {
		t.Fatalf("first export: %d %s", code, stderr)
	}
	code, out, stderr := runCLI(t, "export", "-q", "--parquet", lake, "--site", "contoso", night2)
	if code != exitOK || !strings.Contains(out, "1 log that grew since an earlier export: only the new lines written") {
		t.Fatalf("second export: exit %d\n%s\n%s", code, out, stderr)
	}
	if got := lakeRowsBySite(t, lake, "traces")["contoso"]; got != 4242 {
		t.Errorf("the lake holds %d traces rows, the log has 4242 lines", got)
	}
	codeLog, fromLog, _ := runCLI(t, "diagnose", "--format", "json", night2)
	codeLake, fromLake, stderr := runCLI(t, "diagnose", "--format", "json", lake)
	// Evidence lines from the first night's piece name the file they were read from.
	fromLake = strings.ReplaceAll(fromLake, night1+"/", night2+"/")
	if codeLake != codeLog || fromLake != fromLog {
		t.Errorf("diagnose of the lake: exit %d (log %d), same report as the whole log: %v\n%s", codeLake, codeLog, fromLake == fromLog, stderr)
	}
}
