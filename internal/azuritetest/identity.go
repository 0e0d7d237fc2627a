package azuritetest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TenantID is the Entra tenant the fake identity endpoint's tokens name (issuer and tid).
const TenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"

// IdentityEndpoint is a local stand-in for the managed-identity endpoint of App Service (the
// one azidentity's ManagedIdentityCredential calls when IDENTITY_ENDPOINT and IDENTITY_HEADER
// are set): GET ?resource=<audience>&api-version=2019-08-01 with the header
// X-IDENTITY-HEADER answers {"access_token", "expires_on", "resource", "token_type"}. Its
// tokens are JWTs shaped like Entra ID's v1 tokens, which is what Azurite's --oauth basic
// checks (audience, issuer https://sts.windows.net/<tenant>/, nbf and exp); they are signed
// with a random HMAC key, as Azurite does not check signatures.
type IdentityEndpoint struct {
	URL    string // IDENTITY_ENDPOINT
	Header string // IDENTITY_HEADER: the secret the caller must send

	key []byte
	mu  sync.Mutex
	// audience, when set, is put in tokens instead of the requested resource (a token for
	// the wrong audience).
	audience string
	lifetime time.Duration
	issued   []Token
	refusals int
}

// Token is a token the endpoint issued.
type Token struct {
	Value    string // the JWT (secret: tests check it never appears in output)
	Resource string // what the client asked for
	Audience string // the token's aud claim
	Expires  time.Time
}

// StartIdentityEndpoint starts the endpoint; it stops at the end of the test. Tokens live an
// hour unless SetLifetime says otherwise.
func StartIdentityEndpoint(t testing.TB) *IdentityEndpoint {
	t.Helper()
	e := &IdentityEndpoint{key: randomBytes(t, 32), Header: hex.EncodeToString(randomBytes(t, 16)), lifetime: time.Hour}
	srv := httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(srv.Close)
	e.URL = srv.URL + "/msi/token"
	return e
}

// Env is the environment that points azidentity at this endpoint.
func (e *IdentityEndpoint) Env() []string {
	return []string{"IDENTITY_ENDPOINT=" + e.URL, "IDENTITY_HEADER=" + e.Header}
}

// Setenv sets that environment for the rest of the test (in this process).
func (e *IdentityEndpoint) Setenv(t testing.TB) {
	t.Helper()
	t.Setenv("IDENTITY_ENDPOINT", e.URL)
	t.Setenv("IDENTITY_HEADER", e.Header)
	for _, k := range []string{"MSI_ENDPOINT", "MSI_SECRET", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "AZURE_CLIENT_ID"} {
		t.Setenv(k, "")
	}
}

// SetAudience makes later tokens carry aud instead of the resource asked for ("" undoes it).
func (e *IdentityEndpoint) SetAudience(aud string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.audience = aud
}

// SetLifetime sets how long later tokens are valid. A lifetime under 5 minutes also means
// that azidentity does not keep the token in its (process-wide) cache: each credential of
// each test asks again.
func (e *IdentityEndpoint) SetLifetime(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lifetime = d
}

// Issued returns the tokens issued so far, in order.
func (e *IdentityEndpoint) Issued() []Token {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Token(nil), e.issued...)
}

// Refusals counts requests refused for a missing or wrong X-IDENTITY-HEADER.
func (e *IdentityEndpoint) Refusals() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.refusals
}

func (e *IdentityEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.Header().Set("Content-Type", "application/json")
	fail := func(status int, msg string) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"statusCode": status, "message": msg})
	}
	if r.Header.Get("X-IDENTITY-HEADER") != e.Header {
		e.mu.Lock()
		e.refusals++
		e.mu.Unlock()
		fail(http.StatusUnauthorized, "X-IDENTITY-HEADER is missing or wrong")
		return
	}
	if q.Get("api-version") != "2019-08-01" {
		fail(http.StatusBadRequest, "unsupported api-version "+q.Get("api-version"))
		return
	}
	resource := q.Get("resource")
	if resource == "" {
		fail(http.StatusBadRequest, "resource is required")
		return
	}
	e.mu.Lock()
	aud := e.audience
	if aud == "" {
		aud = resource
	}
	now := time.Now()
	exp := now.Add(e.lifetime)
	tok := Token{Value: e.jwt(aud, now, exp), Resource: resource, Audience: aud, Expires: exp}
	e.issued = append(e.issued, tok)
	e.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]string{
		"access_token": tok.Value,
		"expires_on":   strconv.FormatInt(exp.Unix(), 10),
		"resource":     resource,
		"token_type":   "Bearer",
		"client_id":    "0d8a4c1e-6f0b-4f4e-9d55-4f3e3b7a9c21",
	})
}

// jwt makes a token with the claims of an Entra ID v1 access token for a managed identity.
func (e *IdentityEndpoint) jwt(aud string, now, exp time.Time) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	claims, _ := json.Marshal(map[string]any{
		"aud":   aud,
		"iss":   "https://sts.windows.net/" + TenantID + "/",
		"iat":   now.Add(-5 * time.Minute).Unix(),
		"nbf":   now.Add(-5 * time.Minute).Unix(),
		"exp":   exp.Unix(),
		"tid":   TenantID,
		"oid":   "5f1c7d2e-3b4a-4c8d-9e0f-1a2b3c4d5e6f",
		"sub":   "5f1c7d2e-3b4a-4c8d-9e0f-1a2b3c4d5e6f",
		"appid": "0d8a4c1e-6f0b-4f4e-9d55-4f3e3b7a9c21",
		"idtyp": "app",
		"ver":   "1.0",
		"uti":   hex.EncodeToString(e.nonce()),
	})
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, e.key)
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

func (e *IdentityEndpoint) nonce() []byte {
	b := make([]byte, 12)
	rand.Read(b)
	return b
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
