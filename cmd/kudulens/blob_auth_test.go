package main

// --auth: Entra ID sign-in, run as a user runs it: kudulens in a process of its own (this test
// binary, see TestMain) with the managed-identity environment of App Service pointing at a
// local fake endpoint, against Azurite in OAuth mode over HTTPS, whose self-signed
// certificate the process trusts through SSL_CERT_FILE.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kudulens/kudulens/internal/azuritetest"
)

// authEnv is the environment of a kudulens process that reaches az with mi's identity: the
// test's environment without Azure settings that would change the credential.
func authEnv(az *azuritetest.Server, mi *azuritetest.IdentityEndpoint) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AZURE_") || strings.HasPrefix(k, "IDENTITY_") || strings.HasPrefix(k, "MSI_") ||
			k == "IMDS_ENDPOINT" || k == "SSL_CERT_FILE" || k == "SSL_CERT_DIR" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "KUDULENS_TEST_MAIN=1", "SSL_CERT_FILE="+az.TLS.CertFile)
	return append(env, mi.Env()...)
}

func TestBlobAuthManagedIdentity(t *testing.T) {
	t.Parallel()
	az := azuritetest.StartOAuth(t)
	mi := azuritetest.StartIdentityEndpoint(t)
	c := az.Client(t)
	uploadSample(t, c, "sample", sample)
	blobURL := az.URL + "/sample"
	kudulens := func(args ...string) procResult {
		t.Helper()
		cmd := kudulensCmd(args...)
		cmd.Env = authEnv(az, mi)
		return runProc(t, cmd)
	}
	noTokenIn := func(what, text string) {
		t.Helper()
		for _, tok := range mi.Issued() {
			if strings.Contains(text, tok.Value) || strings.Contains(text, tok.Value[strings.LastIndexByte(tok.Value, '.')+1:]) {
				t.Errorf("%s shows a token", what)
			}
		}
	}

	// The definition of done: a container read with --auth managed-identity gives the
	// report the same files on disk give.
	codeDisk, wantOut, errDisk := runCLI(t, "diagnose", "--format", "json", sample)
	got := kudulens("diagnose", "--format", "json", "--auth", "managed-identity", blobURL)
	if codeDisk != exitCheckFailed || got.code != codeDisk {
		t.Fatalf("exit %d (disk) and %d (blob, managed identity)\n%s\n%s", codeDisk, got.code, errDisk, got.stderr)
	}
	if strings.ReplaceAll(got.stdout, blobURL, sample) != wantOut {
		t.Errorf("the report from the container differs from the one from disk:\n%.2000s", got.stdout)
	}
	if n := len(mi.Issued()); n != 1 {
		t.Errorf("%d tokens issued for one run, want 1", n)
	}
	noTokenIn("diagnose", got.stdout+got.stderr)

	// A fleet in the container: every site is read with one token.
	if _, err := c.CreateContainer(context.Background(), "fleet", nil); err != nil {
		t.Fatal(err)
	}
	uploadUnder(t, c, "fleet", "nightly/contoso-analytics/", sample)
	uploadUnder(t, c, "fleet", "nightly/fabrikam/", filepath.Join(sample, "applogs"))
	before := len(mi.Issued())
	fleet := kudulens("diagnose", "--fleet", az.URL+"/fleet/nightly", "--auth", "managed-identity", "--format", "json")
	if fleet.code != exitCheckFailed || !strings.Contains(fleet.stdout, `"contoso-analytics"`) || !strings.Contains(fleet.stdout, `"fabrikam"`) {
		t.Errorf("fleet: exit %d\n%.3000s\n%s", fleet.code, fleet.stdout, fleet.stderr)
	}
	if n := len(mi.Issued()) - before; n != 1 {
		t.Errorf("fleet of 2 sites: %d tokens issued, want 1", n)
	}

	// A token for another audience: refused by the service, and the message says so.
	mi.SetAudience("https://management.azure.com")
	bad := kudulens("ingest", "--db", filepath.Join(t.TempDir(), "x.duckdb"), "--auth", "managed-identity", "--retries", "0", blobURL)
	mi.SetAudience("")
	out := bad.stdout + bad.stderr
	if bad.code != exitInputFailed {
		t.Errorf("wrong audience: exit %d, want %d\n%s", bad.code, exitInputFailed, out)
	}
	for _, want := range []string{
		blobURL + ": cannot list the blobs: access denied (403 AuthenticationFailed) with Entra ID sign-in --auth managed-identity (App Service endpoint from IDENTITY_ENDPOINT)",
		"the storage service refused the token, whose audience is https://management.azure.com, not Azure Storage (https://storage.azure.com)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("wrong audience: output lacks %q:\n%s", want, out)
		}
	}
	noTokenIn("wrong audience", out)

	// Without the certificate trusted, the TLS failure is named (no token is sent).
	cmd := kudulensCmd("ingest", "--db", filepath.Join(t.TempDir(), "y.duckdb"), "--auth", "managed-identity", "--retries", "0", blobURL)
	for _, kv := range authEnv(az, mi) {
		if !strings.HasPrefix(kv, "SSL_CERT_FILE=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "SSL_CERT_FILE="+filepath.Join(t.TempDir(), "none.pem"))
	untrusted := runProc(t, cmd)
	if untrusted.code != exitInputFailed || !strings.Contains(untrusted.stdout, "the TLS certificate of 127.0.0.1:") {
		t.Errorf("untrusted certificate: exit %d\n%s\n%s", untrusted.code, untrusted.stdout, untrusted.stderr)
	}
}

// TestBlobAuthFlags: --auth's values and what each mode refuses before any network call.
func TestBlobAuthFlags(t *testing.T) {
	code, _, stderr := runCLI(t, "ingest", "--auth", "entra", "--db", filepath.Join(t.TempDir(), "a.duckdb"), "https://contosologs.blob.core.windows.net/applogs")
	if code != exitUsage || !strings.Contains(stderr, "key|sas|login|cli|managed-identity|workload-identity|default") {
		t.Errorf("unknown --auth: exit %d %s", code, stderr)
	}
	code, _, stderr = runCLI(t, "ingest", "--auth", "login", "--authority-host", "http://login.example", "https://contosologs.blob.core.windows.net/applogs")
	if code != exitUsage || !strings.Contains(stderr, "want an https:// URL") {
		t.Errorf("--authority-host http: exit %d %s", code, stderr)
	}
	db := filepath.Join(t.TempDir(), "b.duckdb")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--auth", "managed-identity", "http://127.0.0.1:1/devstoreaccount1/applogs"},
			"--auth managed-identity: Entra ID tokens are sent over HTTPS only, and http://127.0.0.1:1/devstoreaccount1 is http://"},
		{[]string{"--auth", "cli", "https://contosologs.blob.core.windows.net/applogs?sv=2025-01-05&sp=rl&sig=U0VDUkVU"},
			"--auth cli signs in with Entra ID, but the URL carries a SAS token; remove the query from the URL, or use --auth sas"},
		{[]string{"--auth", "sas", "https://contosologs.blob.core.windows.net/applogs"},
			"--auth sas: there is no SAS token; the URL has none (append ?<SAS> to the container URL) and no connection string with a SharedAccessSignature is given"},
		{[]string{"--auth", "key", "https://contosologs.blob.core.windows.net/applogs"},
			"--auth key: there is no account key; give --connection-string (or AZURE_STORAGE_CONNECTION_STRING) with an AccountKey, or AZURE_STORAGE_KEY with the account (from the URL, --account or AZURE_STORAGE_ACCOUNT)"},
	} {
		code, out, stderr := runCLI(t, append([]string{"ingest", "--db", db}, tc.args...)...)
		if code != exitInputFailed || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, want %d and %q\n%s%s", tc.args, code, exitInputFailed, tc.want, out, stderr)
		}
		if strings.Contains(out+stderr, "U0VDUkVU") || strings.Contains(out, "[REDACTED]") {
			t.Errorf("%v: the SAS signature shows, or the message was redacted", tc.args)
		}
	}
}
