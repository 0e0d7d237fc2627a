package blob

// --auth without a storage service: the modes, what each refuses before any request, and the
// messages for answers Azurite cannot give (role assignments, tenants): the storage service's
// documented error codes and AuthenticationErrorDetail texts. Token issuers are real
// azidentity credentials against local endpoints.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

func TestParseAuth(t *testing.T) {
	for in, want := range map[string]Auth{"": AuthDefault, "default": AuthDefault, "KEY": AuthKey, "sas": AuthSAS, "login": AuthLogin,
		"cli": AuthCLI, "managed-identity": AuthManagedIdentity, " workload-identity ": AuthWorkloadIdentity} {
		if got, err := ParseAuth(in); err != nil || got != want {
			t.Errorf("ParseAuth(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseAuth("msi"); err == nil || !strings.Contains(err.Error(), AuthModes) {
		t.Errorf("ParseAuth(msi): %v", err)
	}
	if _, err := NewIdentity(AuthLogin, IdentityOptions{AuthorityHost: "http://login.example", AuthorityHostFrom: "AZURE_AUTHORITY_HOST"}); err == nil ||
		!strings.Contains(err.Error(), `AZURE_AUTHORITY_HOST "http://login.example" is not an https:// URL`) {
		t.Errorf("http authority host: %v", err)
	}
	id, err := NewIdentity(AuthLogin, IdentityOptions{AuthorityHost: "https://login.microsoftonline.us", AuthorityHostFrom: "--authority-host", TenantID: "contoso.onmicrosoft.us"})
	if err != nil || !strings.HasSuffix(id.desc, ", tenant contoso.onmicrosoft.us, authority https://login.microsoftonline.us from --authority-host") {
		t.Errorf("sovereign cloud: %v %q", err, id.desc)
	}
}

func TestChooseCredAuthModes(t *testing.T) {
	key := "c2VjcmV0LWtleS12YWx1ZQ=="
	conn := "DefaultEndpointsProtocol=https;AccountName=contosologs;AccountKey=" + key
	url := "https://contosologs.blob.core.windows.net/c"
	for _, tc := range []struct {
		src  string
		o    Options
		want string
	}{
		// --auth key passes over the SAS in the URL that the default order would take.
		{url + "?sv=1&sig=abc", Options{Auth: AuthKey, Key: key, KeyFrom: "AZURE_STORAGE_KEY"}, "the account key from AZURE_STORAGE_KEY (account contosologs)"},
		{url, Options{Auth: AuthSAS, ConnectionString: "BlobEndpoint=" + url + ";SharedAccessSignature=sv=1&sig=abc", Key: key},
			"the SharedAccessSignature in the connection string from --connection-string"},
		// A sign-in mode passes over keys and connection strings.
		{url, Options{Auth: AuthCLI, ConnectionString: conn, Key: key}, "Entra ID sign-in --auth cli (the account of az login)"},
		{"az://c/site", Options{Auth: AuthLogin, Account: "contosologs"}, "Entra ID sign-in --auth login (DefaultAzureCredential: environment, workload identity, managed identity, Azure CLI, Azure Developer CLI, Azure PowerShell)"},
	} {
		s, err := parseBlobSource(tc.src, &tc.o)
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.chooseCred(&tc.o)
		if err != nil || c.desc != tc.want {
			t.Errorf("%s --auth %s: %q %v, want %q", tc.src, tc.o.Auth, c.desc, err, tc.want)
		}
	}
	for _, tc := range []struct {
		src  string
		o    Options
		want string
	}{
		{url + "?sv=1&sig=abc", Options{Auth: AuthKey}, "--auth key: there is no account key"},
		{url, Options{Auth: AuthSAS, ConnectionString: conn}, "--auth sas: there is no SAS token"},
		{url + "?sv=1&sig=abc", Options{Auth: AuthManagedIdentity}, "the URL carries a SAS token"},
		{"http://127.0.0.1:10000/devstoreaccount1/c", Options{Auth: AuthWorkloadIdentity}, "Entra ID tokens are sent over HTTPS only"},
	} {
		s, _ := parseBlobSource(tc.src, &tc.o)
		_, err := s.chooseCred(&tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "abc") || strings.Contains(err.Error(), key) {
			t.Errorf("%s --auth %s: %v, want %q", tc.src, tc.o.Auth, err, tc.want)
		}
	}
}

// fakeJWT is a token with the given claims (unsigned: only the claims matter here).
func fakeJWT(claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT"})
	c, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c) + ".c2lnbmF0dXJlLXNpZ25hdHVyZQ"
}

type staticCredential struct{ token string }

func (s staticCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: s.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// storageError is an error answer of the storage service as it sends it.
func storageError(status int, code, detail string) *azcore.ResponseError {
	body := `<?xml version="1.0" encoding="utf-8"?><Error><Code>` + code + `</Code><Message>Server failed to authenticate the request.</Message>`
	if detail != "" {
		body += `<AuthenticationErrorDetail>` + detail + `</AuthenticationErrorDetail>`
	}
	body += `</Error>`
	resp := &http.Response{StatusCode: status, Status: http.StatusText(status), Header: http.Header{"X-Ms-Error-Code": {code}},
		Body: io.NopCloser(strings.NewReader(body)), Request: httptest.NewRequest(http.MethodGet, "https://contosologs.blob.core.windows.net/applogs?restype=container&comp=list", nil)}
	var re *azcore.ResponseError
	if err := runtime.NewResponseError(resp); err != nil {
		re = err.(*azcore.ResponseError)
	}
	return re
}

func TestTokenRefusedMessages(t *testing.T) {
	s := &blobSource{service: "https://contosologs.blob.core.windows.net", account: "contosologs", container: "applogs", host: "contosologs.blob.core.windows.net"}
	token := fakeJWT(map[string]any{"aud": "https://storage.azure.com", "iss": "https://sts.windows.net/f8cdef31-a31e-4b4a-93e4-5f571e91255a/",
		"tid": "f8cdef31-a31e-4b4a-93e4-5f571e91255a", "exp": 1795000000})
	id, err := NewIdentity(AuthCLI, IdentityOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id.once.Do(func() { id.cred = &recordingCredential{id: id, cred: staticCredential{token}} })
	if _, err := id.cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{StorageAudience + "/.default"}}); err != nil {
		t.Fatal(err)
	}
	cred := blobCred{desc: id.desc, token: id}
	for _, tc := range []struct {
		status       int
		code, detail string
		want         string
	}{
		{403, "AuthorizationPermissionMismatch", "",
			`access denied (403 AuthorizationPermissionMismatch) with Entra ID sign-in --auth cli (the account of az login): the token was accepted, but the identity may not read blobs here: assign it the role "Storage Blob Data Reader" on container applogs or on storage account contosologs`},
		{401, "InvalidAuthenticationInfo", "Issuer validation failed. Issuer did not match.",
			"the storage service refused the token, which is from tenant f8cdef31-a31e-4b4a-93e4-5f571e91255a (issuer https://sts.windows.net/f8cdef31-a31e-4b4a-93e4-5f571e91255a/), while the storage account belongs to another tenant (Issuer validation failed. Issuer did not match.); sign in to the account's tenant (--tenant <tenant ID>, or az login --tenant <tenant ID>)"},
		{401, "InvalidAuthenticationInfo", "Audience validation failed. Audience did not match.",
			"the storage service refused the token, whose audience is https://storage.azure.com, not Azure Storage"},
		{401, "InvalidAuthenticationInfo", "Lifetime validation failed. The token is expired.",
			"the storage service refused the token as expired or not yet valid (its exp is 2026-11-18T11:06:40Z) (Lifetime validation failed. The token is expired.); check this machine's clock"},
		{403, "AuthorizationFailure", "", "the account's firewall does not admit this machine"},
	} {
		got := explainBlobErr(s, cred, storageError(tc.status, tc.code, tc.detail))
		if !strings.Contains(got, tc.want) {
			t.Errorf("%d %s %s:\n got %s\nwant %s", tc.status, tc.code, tc.detail, got, tc.want)
		}
		if strings.Contains(got, token) || strings.Contains(got, "[REDACTED]") {
			t.Errorf("%s: shows the token or was redacted: %s", tc.code, got)
		}
	}
	// Shared keys turned off: a key or SAS is refused, and the message points to sign-in.
	keyCred := blobCred{desc: "the account key from AZURE_STORAGE_KEY (account contosologs)", key: nil, sas: ""}
	got := explainBlobErr(s, keyCred, storageError(403, "KeyBasedAuthenticationNotPermitted", ""))
	if !strings.Contains(got, "does not allow account keys or SAS tokens signed with them (shared key access is disabled); sign in with Entra ID instead: --auth login, --auth cli (after az login) or --auth managed-identity") {
		t.Errorf("KeyBasedAuthenticationNotPermitted: %s", got)
	}
}

// TestTokenIssuerErrors: a managed-identity endpoint that refuses, answered through the real
// azidentity credential; the message names the credential and the endpoint's reason, and a
// token in the endpoint's answer is not shown.
func TestTokenIssuerErrors(t *testing.T) {
	leaked := fakeJWT(map[string]any{"aud": "https://vault.azure.net"})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_resource", "error_description": "AADSTS500011: The resource principal was not found in the tenant; previous access_token: " + leaked})
	}))
	defer srv.Close()
	t.Setenv("IDENTITY_ENDPOINT", srv.URL+"/msi/token")
	t.Setenv("IDENTITY_HEADER", "h")
	for _, k := range []string{"MSI_ENDPOINT", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT"} {
		t.Setenv(k, "")
	}
	id, err := NewIdentity(AuthManagedIdentity, IdentityOptions{ClientID: "0d8a4c1e-6f0b-4f4e-9d55-4f3e3b7a9c21"})
	if err != nil {
		t.Fatal(err)
	}
	cred, err := id.credential()
	if err != nil {
		t.Fatal(err)
	}
	_, err = cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{StorageAudience + "/.default"}})
	msg := explainBlobErr(&blobSource{host: "x"}, blobCred{desc: id.desc, token: id}, err)
	for _, want := range []string{
		"cannot get an Entra ID token with Entra ID sign-in --auth managed-identity (App Service endpoint from IDENTITY_ENDPOINT, user-assigned client ID 0d8a4c1e-6f0b-4f4e-9d55-4f3e3b7a9c21)",
		"the token endpoint " + srv.URL + "/msi/token answered 400 Bad Request: invalid_resource: AADSTS500011: The resource principal was not found in the tenant",
		"; check the tenant",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, leaked) || strings.Contains(msg, leaked[:20]) {
		t.Errorf("message shows the token: %s", msg)
	}

	// Workload identity without its environment: said before any request.
	for _, k := range []string{"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE"} {
		t.Setenv(k, "")
	}
	wi, _ := NewIdentity(AuthWorkloadIdentity, IdentityOptions{})
	if _, err := wi.credential(); err == nil || !strings.Contains(err.Error(), "cannot get an Entra ID token with Entra ID sign-in --auth workload-identity") ||
		!strings.Contains(err.Error(), "check AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE") {
		t.Errorf("workload identity without environment: %v", err)
	}
}
