package pipeline

// Entra ID sign-in against a real Azurite in OAuth mode (HTTPS with a certificate made by the
// test, --oauth basic: it checks a token's audience, issuer and lifetime) and a local fake of
// App Service's managed-identity endpoint (IDENTITY_ENDPOINT/IDENTITY_HEADER, which azidentity
// reads): the token is accepted, a token for another audience is refused with a message that
// says so, an expired token is replaced, and without --auth no token is asked for.

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kudulens/kudulens/internal/azuritetest"
	"github.com/kudulens/kudulens/pipeline/blob"
)

// bearerTransport sends requests to the OAuth-mode Azurite (trusting its certificate) and
// records the bearer token of each; hold, if set, runs on each response before it is
// returned.
type bearerTransport struct {
	client *http.Client
	hold   func(r *http.Request)

	mu   sync.Mutex
	sent []sentRequest
}

type sentRequest struct {
	method, query, token string
	at                   time.Time
	status               int
}

func (b *bearerTransport) Do(r *http.Request) (*http.Response, error) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	at := time.Now()
	resp, err := b.client.Do(r)
	sr := sentRequest{method: r.Method, query: r.URL.RawQuery, token: tok, at: at}
	if resp != nil {
		sr.status = resp.StatusCode
	}
	if !strings.Contains(r.URL.Path, "/msi/token") { // the identity endpoint's requests go through here too
		b.mu.Lock()
		b.sent = append(b.sent, sr)
		b.mu.Unlock()
	}
	if err == nil && b.hold != nil {
		b.hold(r)
	}
	return resp, err
}

func (b *bearerTransport) requests() []sentRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]sentRequest(nil), b.sent...)
}

func TestBlobManagedIdentity(t *testing.T) {
	az := azuritetest.StartOAuth(t)
	mi := azuritetest.StartIdentityEndpoint(t)
	mi.Setenv(t)
	// Under 5 minutes, so that azidentity's process-wide token cache never answers for the
	// endpoint: every subtest's tokens come from the endpoint as the subtest set it up.
	mi.SetLifetime(4 * time.Minute)
	uploadTree(t, az.Client(t), "applogs", sampleAppLog, "")
	diskAppLogs, _ := ingestSources(t, []string{absPrefix(t, sampleAppLog)}, nil)
	wantAppLogs := dumpTables(t, diskAppLogs, absPrefix(t, sampleAppLog))
	src := az.URL + "/applogs"
	base := src + "/"
	issuedValues := func() []string {
		var v []string
		for _, tok := range mi.Issued() {
			v = append(v, tok.Value)
		}
		return v
	}
	noTokenIn := func(t *testing.T, what, text string) {
		t.Helper()
		for _, v := range issuedValues() {
			if strings.Contains(text, v) || strings.Contains(text, v[strings.LastIndexByte(v, '.')+1:]) {
				t.Errorf("%s shows a token: %s", what, text)
			}
		}
	}

	t.Run("accepted", func(t *testing.T) {
		before := len(mi.Issued())
		tr := &bearerTransport{client: az.TLS.Client()}
		s, sum := ingestSources(t, []string{src}, fastRetries(&blob.Options{Auth: blob.AuthManagedIdentity, Transport: tr}))
		if sum.Failed() {
			t.Fatalf("failed: %+v", sum.Files)
		}
		sameTables(t, "managed identity", dumpTables(t, s, base), wantAppLogs)
		// One token, or a few: azcore renews a token with under 5 minutes left at most every
		// 30 s, which a slow run (the race detector) may reach.
		issued := mi.Issued()[before:]
		fromEndpoint := map[string]bool{}
		for _, tok := range issued {
			if tok.Resource != "https://storage.azure.com" || tok.Audience != "https://storage.azure.com" {
				t.Errorf("token issued for %s, audience %s; want https://storage.azure.com", tok.Resource, tok.Audience)
			}
			fromEndpoint[tok.Value] = true
		}
		reqs := tr.requests()
		if len(issued) == 0 || len(reqs) < 2 {
			t.Fatalf("%d tokens issued, %d requests", len(issued), len(reqs))
		}
		for _, r := range reqs {
			if !fromEndpoint[r.token] || r.status >= 300 {
				t.Errorf("%s ?%s: status %d, token from the endpoint: %v", r.method, r.query, r.status, fromEndpoint[r.token])
			}
		}
	})

	t.Run("no-auth-asks-no-token", func(t *testing.T) {
		before := len(mi.Issued())
		_, sum := ingestSources(t, []string{src}, fastRetries(&blob.Options{Transport: az.TLS.Client()}))
		if len(sum.Files) != 1 || sum.Files[0].Row.Status != "failed" || !strings.Contains(sum.Files[0].Row.Error, "no credential (anonymous access)") {
			t.Errorf("anonymous read of a private container: %+v", sum.Files)
		}
		if n := len(mi.Issued()) - before; n != 0 || mi.Refusals() != 0 {
			t.Errorf("without --auth the identity endpoint was called: %d tokens, %d refusals", n, mi.Refusals())
		}
	})

	t.Run("wrong-audience", func(t *testing.T) {
		mi.SetAudience("https://management.azure.com")
		defer mi.SetAudience("")
		_, sum := ingestSources(t, []string{src}, fastRetries(&blob.Options{Auth: blob.AuthManagedIdentity, Transport: az.TLS.Client()}))
		if len(sum.Files) != 1 || sum.Files[0].Row.Status != "failed" {
			t.Fatalf("want one failed source: %+v", sum.Files)
		}
		msg := sum.Files[0].Row.Error
		for _, want := range []string{
			"cannot list the blobs: ",
			"access denied (403 AuthenticationFailed) with Entra ID sign-in --auth managed-identity (App Service endpoint from IDENTITY_ENDPOINT)",
			"the storage service refused the token, whose audience is https://management.azure.com, not Azure Storage (https://storage.azure.com) (Invalid token audience.)",
		} {
			if !strings.Contains(msg, want) {
				t.Errorf("message lacks %q:\n%s", want, msg)
			}
		}
		noTokenIn(t, "the message", msg)
	})

	t.Run("expired-refreshed", func(t *testing.T) {
		// The first token lives 3 s. The listing's answer is held until it has expired, so
		// the downloads after it need a new token; later tokens live long enough for the rest.
		before := len(mi.Issued())
		mi.SetLifetime(3 * time.Second)
		defer mi.SetLifetime(4 * time.Minute)
		var once sync.Once
		tr := &bearerTransport{client: az.TLS.Client()}
		tr.hold = func(r *http.Request) {
			if !strings.Contains(r.URL.RawQuery, "comp=list") {
				return
			}
			once.Do(func() {
				first := mi.Issued()[before]
				mi.SetLifetime(4 * time.Minute)
				time.Sleep(time.Until(first.Expires) + 1500*time.Millisecond)
			})
		}
		s, sum := ingestSources(t, []string{src}, fastRetries(&blob.Options{Auth: blob.AuthManagedIdentity, Transport: tr}))
		if sum.Failed() {
			t.Fatalf("failed: %+v", sum.Files)
		}
		sameTables(t, "after the token expired", dumpTables(t, s, base), wantAppLogs)
		issued := mi.Issued()[before:]
		if len(issued) < 2 {
			t.Fatalf("%d tokens issued, want a second one after the first expired", len(issued))
		}
		first := issued[0]
		reqs := tr.requests()
		var afterExpiry int
		for _, r := range reqs {
			if r.token == first.Value && r.at.After(first.Expires) {
				t.Errorf("%s ?%s sent with the expired token", r.method, r.query)
			}
			if r.at.After(first.Expires) {
				afterExpiry++
				if r.status >= 300 {
					t.Errorf("%s ?%s after the first token expired: %d", r.method, r.query, r.status)
				}
			}
		}
		if afterExpiry == 0 {
			t.Fatal("no request after the first token expired: the test proves nothing")
		}
		// The first token really is expired for the service.
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, src+"?restype=container&comp=list", nil)
		req.Header.Set("Authorization", "Bearer "+first.Value)
		req.Header.Set("x-ms-version", "2025-01-05")
		resp, err := az.TLS.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "The token is expired") {
			t.Errorf("the first token, sent again: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("endpoint-refuses", func(t *testing.T) {
		t.Setenv("IDENTITY_HEADER", "not-the-header")
		_, sum := ingestSources(t, []string{src}, fastRetries(&blob.Options{Auth: blob.AuthManagedIdentity, Transport: az.TLS.Client()}))
		if len(sum.Files) != 1 || sum.Files[0].Row.Status != "failed" {
			t.Fatalf("want one failed source: %+v", sum.Files)
		}
		msg := sum.Files[0].Row.Error
		for _, want := range []string{
			"cannot get an Entra ID token with Entra ID sign-in --auth managed-identity (App Service endpoint from IDENTITY_ENDPOINT)",
			"answered 401 Unauthorized: X-IDENTITY-HEADER is missing or wrong",
			"is a managed identity enabled on this VM or App Service",
		} {
			if !strings.Contains(msg, want) {
				t.Errorf("message lacks %q:\n%s", want, msg)
			}
		}
		if strings.Contains(msg, "not-the-header") || strings.Contains(msg, mi.Header) {
			t.Errorf("message shows the identity header: %s", msg)
		}
	})
}
