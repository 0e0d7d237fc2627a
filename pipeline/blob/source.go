package blob

// Blob sources: parsing the source argument and choosing the credential.
//
// A blob source names a container and an optional prefix:
//
//	https://<account>.blob.core.windows.net/<container>[/<prefix>][?<SAS>]
//	https://<account>.privatelink.blob.core.windows.net/<container>/...   (any host: private
//	                                   endpoints, sovereign clouds, custom domains)
//	http://127.0.0.1:10000/devstoreaccount1/<container>/...               (path style: Azurite,
//	                                   or any IP address / localhost host)
//	az://<container>[/<prefix>]         (account and endpoint from --account or the connection string)
//
// The prefix is a folder: "site/2026/11" selects the blob "site/2026/11" and the blobs under
// "site/2026/11/", not "site/2026/110/...". Secrets (the SAS query, keys, connection strings)
// never leave this file in a message: every path and error uses the URL without its query.

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/kudulens/kudulens/pipeline/source"
)

// Options configure blob sources (see [NewRemote]). The zero value reads with the credential in
// the URL, if any, or anonymously.
type Options struct {
	// ConnectionString is an Azure Storage connection string; ConnectionStringFrom says where
	// it came from ("--connection-string", "AZURE_STORAGE_CONNECTION_STRING") for messages.
	ConnectionString     string
	ConnectionStringFrom string
	// Account is the storage account for az:// sources without a connection string, and for
	// Key when the URL does not name the account (custom domains).
	Account string
	// Key is an account key; KeyFrom says where it came from ("AZURE_STORAGE_KEY").
	Key     string
	KeyFrom string

	// Auth restricts the credential to one kind (see Auth); "" is AuthDefault. For the Entra
	// ID modes, Identity is the credential shared by the run's sources; if nil, each source
	// makes its own from the environment.
	Auth     Auth
	Identity *Identity

	// Parallel is how many blobs are fetched ahead at once (default 4): the first
	// PrefetchBytes of each, that is the whole of most hourly application-log blobs. The rest
	// of a larger blob streams while its file worker parses it.
	Parallel int
	// PrefetchBytes is how much of each blob is fetched ahead (default 1 MiB). Memory held by
	// prefetched data is at most about (2×Parallel + FileWorkers + 2) × PrefetchBytes.
	PrefetchBytes int

	// Since and Until prune application-log blobs (<site>/<yyyy>/<MM>/<dd>/<HH>/<name>.applicationLog.csv)
	// whose hour lies wholly outside [Since, Until] (with 5 minutes of slack), before
	// anything is downloaded. Zero means no bound.
	Since, Until time.Time

	// State enables incremental reading (see State).
	State *State

	// Retries is how often a failed request or a dropped download is retried, with
	// exponential backoff from RetryDelay (default 1 s) up to MaxRetryDelay (default 30 s).
	// Default 4; negative means no retries.
	Retries       int
	RetryDelay    time.Duration
	MaxRetryDelay time.Duration
	// IdleTimeout ends a download that brings no byte (headers or data) for this long, so that
	// it is resumed like a broken one (default 60 s). TryTimeout bounds each try of a request,
	// a listing page or a download (default 5 min; a download cut by it resumes where it was).
	IdleTimeout time.Duration
	TryTimeout  time.Duration

	// Transport replaces the HTTP transport (tests).
	Transport policy.Transporter
	// Progress, if set, counts blobs and downloaded bytes while the walk runs.
	Progress *Progress
}

// Progress counts the work on blob sources; it is updated atomically.
type Progress struct {
	Listed atomic.Int64 // blobs selected for reading (after prefix, date and state)
	// ListedBytes are the bytes the listed blobs will download (their sizes are in the
	// listing): the total of the progress line, growing while the listing goes on.
	ListedBytes atomic.Int64
	Unchanged   atomic.Int64 // blobs skipped because the state says they were read as they are
	Started     atomic.Int64 // blobs whose download started
	Bytes       atomic.Int64 // bytes downloaded
}

const (
	defaultParallel      = 4
	defaultPrefetch      = 1 << 20
	defaultRetries       = 4
	defaultRetryDelay    = time.Second
	defaultMaxRetryDelay = 30 * time.Second
	defaultIdleTimeout   = time.Minute
	defaultTryTimeout    = 5 * time.Minute
)

func (o *Options) withDefaults() *Options {
	c := Options{}
	if o != nil {
		c = *o
	}
	if c.Parallel <= 0 {
		c.Parallel = defaultParallel
	}
	if c.PrefetchBytes <= 0 {
		c.PrefetchBytes = defaultPrefetch
	}
	if c.PrefetchBytes < source.SniffLen {
		c.PrefetchBytes = source.SniffLen // classification needs the first 64 KiB
	}
	if c.Retries == 0 {
		c.Retries = defaultRetries
	} else if c.Retries < 0 {
		c.Retries = 0
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = defaultRetryDelay
	}
	if c.MaxRetryDelay <= 0 {
		c.MaxRetryDelay = defaultMaxRetryDelay
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = defaultIdleTimeout
	}
	if c.TryTimeout <= 0 {
		c.TryTimeout = defaultTryTimeout
	}
	if c.Progress == nil {
		c.Progress = &Progress{}
	}
	return &c
}

// IsSource reports whether a source argument is for the blob-source code rather than a
// path: a URL (https://, http://, az://, or another scheme, which is refused with a message),
// or an argument holding a secret (a connection string or a SAS given by mistake as a source),
// which is refused without being printed, where a path would be printed in "not found".
func IsSource(src string) bool {
	l := strings.ToLower(src)
	return strings.Contains(l, "://") || looksLikeConnectionString(l) || strings.Contains(l, "sig=")
}

func looksLikeConnectionString(lower string) bool {
	return strings.Contains(lower, "accountkey=") || strings.Contains(lower, "sharedaccesssignature=") ||
		strings.Contains(lower, "usedevelopmentstorage=")
}

// safeArg is how a source argument may be shown: without query string or secrets.
func safeArg(arg string) string {
	if looksLikeConnectionString(strings.ToLower(arg)) {
		return "(a connection string)"
	}
	return sanitize(StripQuery(arg))
}

// StripQuery returns a URL without its query string (where a SAS token lives) and fragment.
// Text that is not a URL is returned up to its first '?'.
func StripQuery(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i]
	}
	return u
}

// blobSource is a parsed blob source.
type blobSource struct {
	display   string // the container URL with the prefix, without query: for messages
	service   string // service endpoint without query or trailing '/': https://acct.blob.core.windows.net, http://127.0.0.1:10000/devstoreaccount1
	host      string
	account   string // "" if the URL does not tell (custom domain)
	container string
	prefix    string
	sas       string // SAS query string from the URL (secret)
	az        bool   // given as az://
}

// blobPath is the display path of a blob: its URL without query. Names are not escaped, so
// that they read like the paths of files on disk.
func (s *blobSource) blobPath(name string) string {
	return s.service + "/" + s.container + "/" + name
}

// parseBlobSource parses a source argument. Errors never contain the query string.
func parseBlobSource(src string, o *Options) (*blobSource, error) {
	lower := strings.ToLower(src)
	switch {
	case looksLikeConnectionString(lower):
		return nil, errors.New("this source is a connection string: give it with --connection-string (or AZURE_STORAGE_CONNECTION_STRING) and name the container as az://<container>[/<prefix>]")
	case strings.HasPrefix(lower, "az://"):
		return parseAzSource(src, o)
	case !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "http://"):
		return nil, errors.New("not a blob URL: want https://<account>.blob.core.windows.net/<container>[/<prefix>][?<SAS>], http://<host>:<port>/<account>/<container> or az://<container>[/<prefix>]")
	}
	u, err := url.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("not a valid URL (%s)", StripQuery(strings.TrimPrefix(err.Error(), "parse ")))
	}
	if u.Host == "" {
		return nil, errors.New("the URL has no host")
	}
	s := &blobSource{host: u.Host}
	segs := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	if pathStyleHost(u.Hostname()) {
		// http://127.0.0.1:10000/<account>/<container>/<prefix>
		if len(segs) < 1 || segs[0] == "" {
			return nil, errors.New("the URL names no storage account (path style: http://host:port/<account>/<container>)")
		}
		s.account, segs = segs[0], segs[1:]
		s.service = u.Scheme + "://" + u.Host + "/" + s.account
	} else {
		s.account = hostAccount(u.Hostname())
		s.service = u.Scheme + "://" + u.Host
	}
	if len(segs) == 0 || segs[0] == "" {
		return nil, fmt.Errorf("the URL names no container (want %s/<container>[/<prefix>])", s.service)
	}
	s.container = segs[0]
	s.prefix = strings.Join(segs[1:], "/")
	s.display = s.service + "/" + s.container
	if s.prefix != "" {
		s.display += "/" + s.prefix
	}
	q := u.Query()
	if q.Get("sig") != "" {
		// Keep the SAS parameters only (a URL copied from a listing may carry restype/comp).
		q.Del("restype")
		q.Del("comp")
		s.sas = q.Encode()
	}
	return s, nil
}

// parseAzSource parses az://<container>/<prefix>: the endpoint comes from the connection string,
// else from the account name.
func parseAzSource(src string, o *Options) (*blobSource, error) {
	rest := StripQuery(src[len("az://"):])
	container, prefix, _ := strings.Cut(rest, "/")
	if container == "" {
		return nil, errors.New("az:// source names no container (want az://<container>[/<prefix>])")
	}
	s := &blobSource{container: container, prefix: strings.Trim(prefix, "/"), az: true}
	switch {
	case o.ConnectionString != "":
		cs, err := parseConnectionString(o.ConnectionString)
		if err != nil {
			return nil, fmt.Errorf("connection string from %s: %w", orDefault(o.ConnectionStringFrom, "--connection-string"), err)
		}
		s.service, s.account = cs.endpoint, cs.account
		if o.Account != "" && s.account != "" && !strings.EqualFold(o.Account, s.account) {
			return nil, fmt.Errorf("--account %s and the connection string (account %s) disagree", o.Account, s.account)
		}
	case o.Account != "":
		s.account = o.Account
		s.service = "https://" + o.Account + ".blob.core.windows.net"
	default:
		return nil, errors.New("az:// source needs the storage account: give --account (or AZURE_STORAGE_ACCOUNT) or a connection string (--connection-string or AZURE_STORAGE_CONNECTION_STRING)")
	}
	u, err := url.Parse(s.service)
	if err != nil || u.Host == "" {
		return nil, errors.New("the connection string's BlobEndpoint is not a valid URL")
	}
	s.host = u.Host
	s.display = "az://" + s.container
	if s.prefix != "" {
		s.display += "/" + s.prefix
	}
	// Blob paths use the real endpoint, so that they do not depend on how the source was given.
	return s, nil
}

// pathStyleHost reports whether the account is the first path segment: IP addresses (the
// storage emulator, or a private endpoint's address) and localhost.
func pathStyleHost(h string) bool {
	return net.ParseIP(h) != nil || strings.EqualFold(h, "localhost")
}

// hostAccount is the account name of a host-style endpoint: the first DNS label of
// <account>.blob.core.windows.net, <account>.privatelink.blob.core.windows.net,
// <account>.blob.core.chinacloudapi.cn, ...; "" for other names (custom domains).
func hostAccount(h string) string {
	first, rest, ok := strings.Cut(strings.ToLower(h), ".")
	if !ok || first == "" {
		return ""
	}
	if strings.HasPrefix(rest, "blob.") || strings.HasPrefix(rest, "privatelink.blob.") || strings.HasPrefix(rest, "blob-secondary.") {
		return first
	}
	return ""
}

// connString is the part of a connection string kudulens uses.
type connString struct {
	endpoint string // blob service URL without trailing '/'
	account  string
	key      string // secret
	sas      string // secret
}

// parseConnectionString reads an Azure Storage connection string. Error messages name keys,
// never values.
func parseConnectionString(s string) (connString, error) {
	kv := map[string]string{}
	for _, part := range strings.Split(strings.TrimSpace(s), ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return connString{}, errors.New("not a connection string (want Key=Value pairs separated by ';', e.g. DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...)")
		}
		kv[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	var cs connString
	cs.account = kv["accountname"]
	cs.key = kv["accountkey"]
	cs.sas = strings.TrimPrefix(kv["sharedaccesssignature"], "?")
	if strings.EqualFold(kv["usedevelopmentstorage"], "true") {
		cs.account = "devstoreaccount1"
		cs.key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
		cs.endpoint = "http://127.0.0.1:10000/devstoreaccount1"
	}
	if ep := kv["blobendpoint"]; ep != "" {
		cs.endpoint = strings.TrimRight(StripQuery(ep), "/")
	} else if cs.endpoint == "" {
		if cs.account == "" {
			return connString{}, errors.New("the connection string has neither AccountName nor BlobEndpoint")
		}
		proto := orDefault(kv["defaultendpointsprotocol"], "https")
		suffix := orDefault(kv["endpointsuffix"], "core.windows.net")
		cs.endpoint = proto + "://" + cs.account + ".blob." + suffix
	}
	if cs.account == "" {
		if u, err := url.Parse(cs.endpoint); err == nil {
			if pathStyleHost(u.Hostname()) {
				cs.account = strings.Trim(u.Path, "/")
			} else {
				cs.account = hostAccount(u.Hostname())
			}
		}
	}
	if cs.key == "" && cs.sas == "" {
		return connString{}, errors.New("the connection string has neither AccountKey nor SharedAccessSignature")
	}
	if cs.key != "" && cs.account == "" {
		return connString{}, errors.New("the connection string has an AccountKey but no AccountName")
	}
	return cs, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// blobCred is the credential chosen for a source.
type blobCred struct {
	desc  string // what was tried, for messages: "the SAS token in the URL", ...
	sas   string // query string to append, or ""
	key   *container.SharedKeyCredential
	token *Identity // Entra ID sign-in
	anon  bool
}

// chooseCred picks the credential: with --auth, that kind only; by default, the first found
// in the documented order: SAS in the URL; the connection string; account name and key;
// anonymous.
func (s *blobSource) chooseCred(o *Options) (blobCred, error) {
	switch auth := orDefault(string(o.Auth), string(AuthDefault)); Auth(auth) {
	case AuthDefault:
		return s.firstCred(o)
	case AuthSAS:
		c, err := s.firstCred(o)
		if err == nil && c.sas == "" {
			err = errors.New("--auth sas: there is no SAS token; the URL has none (append ?<SAS> to the container URL) and no connection string with a SharedAccessSignature is given")
		}
		return c, err
	case AuthKey:
		c, err := s.keyCred(o)
		if err == nil && c.key == nil {
			err = errors.New("--auth key: there is no account key; give --connection-string (or AZURE_STORAGE_CONNECTION_STRING) with an AccountKey, or AZURE_STORAGE_KEY with the account (from the URL, --account or AZURE_STORAGE_ACCOUNT)")
		}
		return c, err
	default:
		return s.tokenCred(o, Auth(auth))
	}
}

// tokenCred is an Entra ID credential. A SAS in the URL is refused rather than dropped or
// sent along: the user asked for sign-in, and the service would answer a request with both
// with an error that does not say why.
func (s *blobSource) tokenCred(o *Options, auth Auth) (blobCred, error) {
	id := o.Identity
	if id == nil {
		var err error
		if id, err = NewIdentity(auth, IdentityOptions{Transport: o.Transport}); err != nil {
			return blobCred{}, err
		}
	}
	if s.sas != "" {
		return blobCred{}, fmt.Errorf("--auth %s signs in with Entra ID, but the URL carries a SAS token; remove the query from the URL, or use --auth sas", auth)
	}
	if u, err := url.Parse(s.service); err == nil && !strings.EqualFold(u.Scheme, "https") {
		return blobCred{}, fmt.Errorf("--auth %s: Entra ID tokens are sent over HTTPS only, and %s is %s://", auth, s.service, u.Scheme)
	}
	return blobCred{desc: id.desc, token: id}, nil
}

// firstCred is the first credential found in the default order.
func (s *blobSource) firstCred(o *Options) (blobCred, error) {
	if s.sas != "" {
		return blobCred{desc: "the SAS token in the URL", sas: s.sas}, nil
	}
	return s.keyCred(o)
}

// keyCred is the credential of the connection string, else the account key, else anonymous.
func (s *blobSource) keyCred(o *Options) (blobCred, error) {
	if o.ConnectionString != "" {
		from := orDefault(o.ConnectionStringFrom, "--connection-string")
		cs, err := parseConnectionString(o.ConnectionString)
		if err != nil {
			return blobCred{}, fmt.Errorf("connection string from %s: %w", from, err)
		}
		if !s.az && s.account != "" && cs.account != "" && !strings.EqualFold(s.account, cs.account) {
			return blobCred{}, fmt.Errorf("the connection string from %s is for account %s, but the URL names account %s", from, cs.account, s.account)
		}
		if cs.key != "" {
			cred, err := container.NewSharedKeyCredential(cs.account, cs.key)
			if err != nil {
				return blobCred{}, fmt.Errorf("the AccountKey in the connection string from %s is not a valid key (base64)", from)
			}
			return blobCred{desc: fmt.Sprintf("the account key in the connection string from %s (account %s)", from, cs.account), key: cred}, nil
		}
		return blobCred{desc: "the SharedAccessSignature in the connection string from " + from, sas: cs.sas}, nil
	}
	if o.Key != "" {
		from := orDefault(o.KeyFrom, "AZURE_STORAGE_KEY")
		account := s.account
		if account == "" {
			account = o.Account
		}
		if account == "" {
			return blobCred{}, fmt.Errorf("an account key is set (%s) but the account name is unknown: give --account", from)
		}
		cred, err := container.NewSharedKeyCredential(account, o.Key)
		if err != nil {
			return blobCred{}, fmt.Errorf("the account key from %s is not a valid key (base64)", from)
		}
		return blobCred{desc: fmt.Sprintf("the account key from %s (account %s)", from, account), key: cred}, nil
	}
	return blobCred{desc: "no credential (anonymous access)", anon: true}, nil
}

// containerClient builds the SDK client for the source with the chosen credential.
func (s *blobSource) containerClient(o *Options, cred blobCred) (*container.Client, error) {
	u := s.service + "/" + url.PathEscape(s.container)
	opts := &container.ClientOptions{ClientOptions: policy.ClientOptions{
		Retry: policy.RetryOptions{
			MaxRetries:    int32(max(o.Retries, 0)),
			RetryDelay:    o.RetryDelay,
			MaxRetryDelay: o.MaxRetryDelay,
			TryTimeout:    o.TryTimeout,
		},
		Telemetry: policy.TelemetryOptions{ApplicationID: "kudulens"},
		Transport: o.Transport,
	}}
	if o.Retries == 0 {
		opts.Retry.MaxRetries = -1 // azcore: 0 means its default
	}
	var (
		c   *container.Client
		err error
	)
	switch {
	case cred.token != nil:
		var tc azcore.TokenCredential
		if tc, err = cred.token.credential(); err != nil {
			return nil, newBlobError(err, "%s: %s", s.display, err.Error())
		}
		opts.Audience = StorageAudience
		c, err = container.NewClient(u, tc, opts)
	case cred.key != nil:
		c, err = container.NewClientWithSharedKeyCredential(u, cred.key, opts)
	case cred.sas != "":
		c, err = container.NewClientWithNoCredential(u+"?"+cred.sas, opts)
	default:
		c, err = container.NewClientWithNoCredential(u, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: cannot make a client: %s", s.display, sanitize(err.Error()))
	}
	return c, nil
}
