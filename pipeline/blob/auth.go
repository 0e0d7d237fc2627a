package blob

// Choosing how blob sources authenticate (--auth), and Entra ID sign-in.
//
// Without --auth (AuthDefault) the credential is the first found of: the SAS in the URL, the
// connection string, the account key, anonymous (chooseCred); nothing but the blob endpoint
// is contacted. The Entra ID modes (login, cli, managed-identity, workload-identity) are the
// user's choice to talk to a token issuer as well: Entra ID itself, the Azure CLI, or the
// managed-identity endpoint of the machine. Their tokens are secrets: they are never put in a
// message; what messages say about a token comes from its non-secret claims (audience,
// issuer, tenant, expiry), read from the token kudulens was given.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Auth is how blob sources authenticate (the --auth flag).
type Auth string

const (
	// AuthDefault is the first found of: the SAS in the URL, the connection string, the
	// account key, anonymous.
	AuthDefault Auth = "default"
	// AuthKey is an account key only: the connection string's AccountKey or AZURE_STORAGE_KEY.
	AuthKey Auth = "key"
	// AuthSAS is a SAS only: the one in the URL or the connection string's SharedAccessSignature.
	AuthSAS Auth = "sas"
	// AuthLogin is azidentity's DefaultAzureCredential: environment (service principal),
	// workload identity, managed identity, Azure CLI, Azure Developer CLI, Azure PowerShell, in
	// that order. None of them prompts.
	AuthLogin Auth = "login"
	// AuthCLI is the account of `az login` (azidentity's AzureCLICredential).
	AuthCLI Auth = "cli"
	// AuthManagedIdentity is the managed identity of the machine: App Service, a VM (IMDS),
	// Arc, Cloud Shell (azidentity's ManagedIdentityCredential).
	AuthManagedIdentity Auth = "managed-identity"
	// AuthWorkloadIdentity is a Kubernetes workload identity: AZURE_CLIENT_ID, AZURE_TENANT_ID
	// and AZURE_FEDERATED_TOKEN_FILE (azidentity's WorkloadIdentityCredential).
	AuthWorkloadIdentity Auth = "workload-identity"
)

// AuthModes lists the values of --auth, for help texts.
const AuthModes = "key|sas|login|cli|managed-identity|workload-identity|default"

// ParseAuth reads an --auth value ("" is AuthDefault).
func ParseAuth(s string) (Auth, error) {
	switch a := Auth(strings.ToLower(strings.TrimSpace(s))); a {
	case "":
		return AuthDefault, nil
	case AuthDefault, AuthKey, AuthSAS, AuthLogin, AuthCLI, AuthManagedIdentity, AuthWorkloadIdentity:
		return a, nil
	}
	return "", fmt.Errorf("unknown --auth %q (want one of %s)", s, AuthModes)
}

// SignsIn reports whether a is an Entra ID mode (it gets tokens from a token issuer).
func (a Auth) SignsIn() bool {
	switch a {
	case AuthLogin, AuthCLI, AuthManagedIdentity, AuthWorkloadIdentity:
		return true
	}
	return false
}

// IdentityOptions configure Entra ID sign-in.
type IdentityOptions struct {
	// AuthorityHost is the Entra ID endpoint of a sovereign cloud
	// (https://login.microsoftonline.us, https://login.chinacloudapi.cn); "" is the public
	// cloud, or AZURE_AUTHORITY_HOST which azidentity reads itself. AuthorityHostFrom says
	// where it came from ("--authority-host", "AZURE_AUTHORITY_HOST") for messages. Used by
	// login (its environment and workload-identity credentials) and workload-identity; the
	// Azure CLI uses its own cloud (az cloud set) and a managed identity its host's.
	AuthorityHost     string
	AuthorityHostFrom string
	// TenantID is the tenant to sign in to (cli, login, workload-identity); "" is the
	// default tenant of the signed-in account.
	TenantID string
	// ClientID selects a user-assigned managed identity (managed-identity; login reads
	// AZURE_CLIENT_ID itself).
	ClientID string
	// Transport replaces the HTTP transport of the token requests (tests).
	Transport policy.Transporter
}

// Identity is an Entra ID credential. One Identity serves every blob source of a run, so that
// a fleet of sites asks for one token, not one per site. The azidentity credential is made at
// the first use: making an Identity contacts nothing.
type Identity struct {
	auth Auth
	o    IdentityOptions
	desc string

	once sync.Once
	cred azcore.TokenCredential
	err  error

	mu   sync.Mutex
	last tokenClaims // of the latest token, for messages
}

// NewIdentity checks the options of an Entra ID mode and returns its Identity.
func NewIdentity(auth Auth, o IdentityOptions) (*Identity, error) {
	if !auth.SignsIn() {
		return nil, fmt.Errorf("--auth %s is not an Entra ID sign-in", auth)
	}
	if o.AuthorityHost != "" {
		from := orDefault(o.AuthorityHostFrom, "--authority-host")
		u, err := url.Parse(o.AuthorityHost)
		if err != nil || u.Host == "" || u.Scheme != "https" {
			return nil, fmt.Errorf("%s %q is not an https:// URL (e.g. https://login.microsoftonline.us for Azure Government)", from, StripQuery(o.AuthorityHost))
		}
	}
	return &Identity{auth: auth, o: o, desc: identityDesc(auth, o)}, nil
}

// identityDesc says which credential is tried, for messages: never a secret.
func identityDesc(auth Auth, o IdentityOptions) string {
	var d string
	switch auth {
	case AuthLogin:
		d = "Entra ID sign-in --auth login (DefaultAzureCredential: environment, workload identity, managed identity, Azure CLI, Azure Developer CLI, Azure PowerShell)"
	case AuthCLI:
		d = "Entra ID sign-in --auth cli (the account of az login)"
	case AuthManagedIdentity:
		d = "Entra ID sign-in --auth managed-identity (" + managedIdentitySource()
		if o.ClientID != "" {
			d += ", user-assigned client ID " + o.ClientID
		}
		d += ")"
	case AuthWorkloadIdentity:
		d = "Entra ID sign-in --auth workload-identity (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE)"
	}
	if o.TenantID != "" && auth != AuthManagedIdentity {
		d += ", tenant " + o.TenantID
	}
	if o.AuthorityHost != "" && (auth == AuthLogin || auth == AuthWorkloadIdentity) {
		d += ", authority " + o.AuthorityHost + " from " + orDefault(o.AuthorityHostFrom, "--authority-host")
	}
	return d
}

// managedIdentitySource names the managed-identity endpoint azidentity will use, from the
// same environment variables it reads.
func managedIdentitySource() string {
	switch {
	case os.Getenv("IDENTITY_ENDPOINT") != "" && os.Getenv("IDENTITY_HEADER") != "" && os.Getenv("IDENTITY_SERVER_THUMBPRINT") != "":
		return "Service Fabric endpoint from IDENTITY_ENDPOINT"
	case os.Getenv("IDENTITY_ENDPOINT") != "" && os.Getenv("IDENTITY_HEADER") != "":
		return "App Service endpoint from IDENTITY_ENDPOINT"
	case os.Getenv("MSI_ENDPOINT") != "":
		return "Cloud Shell or Azure ML endpoint from MSI_ENDPOINT"
	case os.Getenv("IMDS_ENDPOINT") != "" && os.Getenv("IDENTITY_ENDPOINT") != "":
		return "Azure Arc endpoint from IDENTITY_ENDPOINT"
	}
	return "the VM's instance metadata endpoint 169.254.169.254"
}

// credential makes the azidentity credential at the first call.
func (id *Identity) credential() (azcore.TokenCredential, error) {
	id.once.Do(func() {
		co := azcore.ClientOptions{Transport: id.o.Transport, Telemetry: policy.TelemetryOptions{ApplicationID: "kudulens"}}
		if id.o.AuthorityHost != "" {
			co.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: id.o.AuthorityHost}
		}
		var cred azcore.TokenCredential
		var err error
		switch id.auth {
		case AuthLogin:
			cred, err = azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: co, TenantID: id.o.TenantID})
		case AuthCLI:
			cred, err = azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: id.o.TenantID})
		case AuthManagedIdentity:
			mo := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: co}
			if id.o.ClientID != "" {
				mo.ID = azidentity.ClientID(id.o.ClientID)
			}
			cred, err = azidentity.NewManagedIdentityCredential(mo)
		case AuthWorkloadIdentity:
			cred, err = azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{ClientOptions: co, TenantID: id.o.TenantID})
		default:
			err = fmt.Errorf("--auth %s is not an Entra ID sign-in", id.auth)
		}
		if err != nil {
			id.err = &tokenError{id: id, cause: err}
			return
		}
		id.cred = &recordingCredential{id: id, cred: cred}
	})
	return id.cred, id.err
}

// recordingCredential passes token requests on, marks their failures as the identity's
// (tokenError), and keeps the non-secret claims of the latest token for messages. It also
// keeps the latest token while it has more than reuseMargin to live: every source (every
// fleet site) has its own client, and without this each would ask the issuer again (the
// Azure CLI credential, for one, caches nothing and runs az each time).
type recordingCredential struct {
	id   *Identity
	cred azcore.TokenCredential

	mu     sync.Mutex
	scopes string
	token  azcore.AccessToken
}

// reuseMargin is how long a kept token must still be valid to be given again: the margin
// azcore itself refreshes tokens at.
const reuseMargin = 5 * time.Minute

func (c *recordingCredential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	plain := o.Claims == "" && o.TenantID == ""
	scopes := strings.Join(o.Scopes, " ")
	c.mu.Lock()
	defer c.mu.Unlock() // one request at a time: parallel sources wait for the first token
	if plain && c.scopes == scopes && time.Until(c.token.ExpiresOn) > reuseMargin {
		return c.token, nil
	}
	tok, err := c.cred.GetToken(ctx, o)
	if err != nil {
		if ctx.Err() != nil {
			return tok, err
		}
		return tok, &tokenError{id: c.id, cause: err}
	}
	if plain {
		c.scopes, c.token = scopes, tok
	}
	cl := parseClaims(tok.Token)
	cl.expires = tok.ExpiresOn
	c.id.mu.Lock()
	c.id.last = cl
	c.id.mu.Unlock()
	return tok, nil
}

// storageScope is the scope the blob clients ask tokens for (azblob's).
const storageScope = StorageAudience + "/.default"

// SharedToken returns the identity's token for Azure Storage (the one kept while it has more
// than reuseMargin to live, else a new one), for a process of the same run to use through
// SeedToken: a fleet run hands it to each site's worker process, so the run still asks the
// issuer once, not once per site.
func (id *Identity) SharedToken(ctx context.Context) (Token, error) {
	cred, err := id.credential()
	if err != nil {
		return Token{}, err
	}
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{storageScope}})
	return Token{Value: tok.Token, ExpiresOn: tok.ExpiresOn}, err
}

// Token is an access token handed from one process of a run to another (SharedToken,
// SeedToken): a secret, never to be shown or passed on a command line.
type Token struct {
	Value     string    `json:"value"`
	ExpiresOn time.Time `json:"expiresOn"`
}

// SeedToken makes tok (from SharedToken in the process that started this one) the token the
// identity gives while it has more than reuseMargin to live; after that it asks the issuer
// itself. Making the credential contacts nothing.
func (id *Identity) SeedToken(t Token) error {
	tok := azcore.AccessToken{Token: t.Value, ExpiresOn: t.ExpiresOn}
	cred, err := id.credential()
	if err != nil {
		return err
	}
	rc, ok := cred.(*recordingCredential)
	if !ok {
		return errors.New("seed a token: not a kudulens credential")
	}
	rc.mu.Lock()
	rc.scopes, rc.token = storageScope, tok
	rc.mu.Unlock()
	cl := parseClaims(tok.Token)
	cl.expires = tok.ExpiresOn
	id.mu.Lock()
	id.last = cl
	id.mu.Unlock()
	return nil
}

func (id *Identity) lastClaims() tokenClaims {
	id.mu.Lock()
	defer id.mu.Unlock()
	return id.last
}

// tokenClaims are the claims of an access token that messages may show.
type tokenClaims struct {
	aud, iss, tid string
	exp           time.Time // the token's exp claim
	expires       time.Time // the expiry the issuer reported
}

// parseClaims reads the payload of a JWT without checking it (the storage service checks
// it); an opaque token gives no claims.
func parseClaims(token string) tokenClaims {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return tokenClaims{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return tokenClaims{}
	}
	var c struct {
		Aud any     `json:"aud"`
		Iss string  `json:"iss"`
		Tid string  `json:"tid"`
		Exp float64 `json:"exp"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return tokenClaims{}
	}
	cl := tokenClaims{iss: c.Iss, tid: c.Tid}
	switch a := c.Aud.(type) {
	case string:
		cl.aud = a
	case []any:
		var s []string
		for _, v := range a {
			if str, ok := v.(string); ok {
				s = append(s, str)
			}
		}
		cl.aud = strings.Join(s, ", ")
	}
	if c.Exp > 0 {
		cl.exp = time.Unix(int64(c.Exp), 0).UTC()
	}
	return cl
}

// tokenError is a failure to get a token: its message says which credential was tried and
// why it failed (see tokenFailure), never a token.
type tokenError struct {
	id    *Identity
	cause error
}

func (e *tokenError) Error() string { return tokenFailure(e.id, e.cause) }
func (e *tokenError) Unwrap() error { return e.cause }

// tokenFailure explains why no token came: the issuer's answer (its status and error code or
// message), or the reasons each credential of a chain gave, and what to do.
func tokenFailure(id *Identity, err error) string {
	msg := "cannot get an Entra ID token with " + id.desc + ": " + credentialReason(err)
	return sanitize(msg + tokenHint(id.auth, err))
}

// credentialReason condenses an azidentity error: for an answer of the token issuer, its
// status and the error and description of its body; otherwise the lines that say what was
// tried (a chain names each credential), without the SDK's troubleshooting boilerplate.
func credentialReason(err error) string {
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) && afe.RawResponse != nil {
		r := afe.RawResponse
		reason := fmt.Sprintf("the token endpoint %s answered %s", endpointName(r.Request), r.Status)
		if body, berr := runtime.Payload(r); berr == nil {
			if d := issuerErrorText(body); d != "" {
				reason += ": " + d
			}
		}
		return reason
	}
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "", strings.HasPrefix(l, "---"), strings.HasPrefix(l, "To troubleshoot"), strings.HasPrefix(l, "RESPONSE "),
			strings.HasPrefix(l, "GET "), strings.HasPrefix(l, "POST "), l == "DefaultAzureCredential: failed to acquire a token.",
			l == "Attempted credentials:":
			continue
		}
		lines = append(lines, strings.TrimSuffix(l, "."))
		if len(lines) == 8 {
			break
		}
	}
	s := strings.Join(lines, "; ")
	if len(s) > 800 {
		s = s[:800] + "…"
	}
	return s
}

// endpointName is the token endpoint without its query (which names the resource only, but
// a URL's query is never shown).
func endpointName(r *http.Request) string {
	if r == nil || r.URL == nil {
		return "(token endpoint)"
	}
	return StripQuery(r.URL.String())
}

// issuerErrorText is the error of a token endpoint's JSON answer: Entra ID's
// error/error_description (AADSTS codes), the App Service endpoint's message.
func issuerErrorText(body []byte) string {
	var b map[string]any
	if json.Unmarshal(bytes.TrimSpace(body), &b) != nil {
		return ""
	}
	var parts []string
	for _, k := range []string{"error", "error_description", "message", "Message"} {
		if v, ok := b[k].(string); ok && v != "" {
			// Entra ID descriptions carry "Trace ID: ... Timestamp: ..." lines: keep the first.
			v, _, _ = strings.Cut(v, "\r\n")
			v, _, _ = strings.Cut(v, "\n")
			parts = append(parts, strings.TrimSpace(v))
		}
	}
	s := strings.Join(parts, ": ")
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}

// tokenHint says what to check when no token came.
func tokenHint(auth Auth, err error) string {
	text := strings.ToLower(err.Error())
	switch {
	case strings.Contains(text, "aadsts90002"), strings.Contains(text, "aadsts700016"), strings.Contains(text, "aadsts500011"),
		strings.Contains(text, "aadsts50020"), strings.Contains(text, "aadsts50128"):
		// tenant not found, app not in the tenant, resource not in the tenant, user from
		// another tenant, no such domain
		return "; check the tenant (--tenant, or az login --tenant <the storage account's tenant>)"
	}
	switch auth {
	case AuthCLI:
		return "; run az login (az login --tenant <tenant> for the storage account's tenant) and check that az account get-access-token --resource https://storage.azure.com works"
	case AuthManagedIdentity:
		return "; is a managed identity enabled on this VM or App Service (Identity blade)? a user-assigned one needs its client ID in AZURE_CLIENT_ID"
	case AuthWorkloadIdentity:
		return "; check AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE (set by the workload identity webhook) and the federated credential of the app"
	case AuthLogin:
		return "; sign in with az login, or run where a managed identity or workload identity is set up, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal"
	}
	return ""
}

// StorageAudience is the audience kudulens asks tokens for: Azure Storage in every cloud.
const StorageAudience = "https://storage.azure.com"

// tokenRefused explains a 401/403 answer of the storage service to a request with a token.
func tokenRefused(s *blobSource, cred blobCred, re *azcore.ResponseError) string {
	st := fmt.Sprintf("%d %s", re.StatusCode, re.ErrorCode)
	msg := fmt.Sprintf("access denied (%s) with %s", st, cred.desc)
	cl := cred.token.lastClaims()
	detail := authErrorDetail(re)
	lower := strings.ToLower(detail)
	switch {
	case re.ErrorCode == "AuthorizationPermissionMismatch":
		return msg + fmt.Sprintf(`: the token was accepted, but the identity may not read blobs here: assign it the role "Storage Blob Data Reader" on container %s or on storage account %s (Access control (IAM)); Owner or Contributor alone do not allow reading data, and a new role assignment takes a few minutes to apply`,
			s.container, orDefault(s.account, "?"))
	case re.ErrorCode == "AuthorizationSourceIPMismatch" || re.ErrorCode == "AuthorizationFailure":
		return msg + ": the account's firewall does not admit this machine (selected networks or private endpoints only); run kudulens from a network the account allows, e.g. a VM in the VNet of its private endpoint"
	case strings.Contains(lower, "audience"):
		return msg + fmt.Sprintf(": the storage service refused the token, whose audience is %s, not Azure Storage (%s)%s; the token issuer gave a token for another resource",
			orDefault(cl.aud, "(unknown)"), StorageAudience, detailText(detail))
	case strings.Contains(lower, "issuer") || strings.Contains(lower, "tenant"):
		return msg + fmt.Sprintf(": the storage service refused the token, which is from tenant %s (issuer %s), while the storage account belongs to another tenant%s; sign in to the account's tenant (--tenant <tenant ID>, or az login --tenant <tenant ID>)",
			orDefault(cl.tid, "(unknown)"), orDefault(cl.iss, "(unknown)"), detailText(detail))
	case strings.Contains(lower, "lifetime") || strings.Contains(lower, "expired"):
		exp := "(unknown)"
		if !cl.exp.IsZero() {
			exp = cl.exp.UTC().Format(time.RFC3339)
		}
		return msg + fmt.Sprintf(": the storage service refused the token as expired or not yet valid (its exp is %s)%s; check this machine's clock", exp, detailText(detail))
	case re.ErrorCode == "KeyBasedAuthenticationNotPermitted":
		return msg
	}
	if detail != "" {
		return msg + ": the storage service refused the token" + detailText(detail)
	}
	return msg + ": the storage service refused the token; check that the identity has a data role on the container (Storage Blob Data Reader) and that the account is in the identity's tenant"
}

func detailText(d string) string {
	if d == "" {
		return ""
	}
	return " (" + d + ")"
}

// authErrorDetail is the AuthenticationErrorDetail of a storage error answer: the service's
// reason for refusing a token ("Audience validation failed", "Issuer validation failed",
// "Lifetime validation failed. The token is expired."). It quotes no secret for a token; it
// is sanitized and cut anyway.
func authErrorDetail(re *azcore.ResponseError) string {
	if re.RawResponse == nil {
		return ""
	}
	body, err := runtime.Payload(re.RawResponse)
	if err != nil || len(body) == 0 {
		return ""
	}
	var e struct {
		Detail string `xml:"AuthenticationErrorDetail"`
	}
	if xml.Unmarshal(body, &e) != nil {
		return ""
	}
	d := strings.Join(strings.Fields(e.Detail), " ")
	if len(d) > 300 {
		d = d[:300] + "…"
	}
	return sanitize(d)
}
