package blob

// Error messages of blob sources: what failed, with which credential (never its value), and
// what to do about it. The SDK's own error text is never shown (it carries response bodies
// that may quote signatures); messages are built from the status, the error code and the
// network error kind, and every message goes through sanitize.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/kudulens/kudulens/parse"
)

// blobError is an error whose text is safe to print. It unwraps to its cause, so that
// errors.Is sees cancellation, but only its own text is ever shown.
type blobError struct {
	msg   string
	cause error
}

func (e *blobError) Error() string { return e.msg }
func (e *blobError) Unwrap() error { return e.cause }

func newBlobError(cause error, format string, args ...any) error {
	return &blobError{msg: sanitize(fmt.Sprintf(format, args...)), cause: cause}
}

var urlWithQuery = regexp.MustCompile(`(?i)\b((?:https?|az)://[^\s?#"'<>]*)[?#][^\s"'<>]*`)

// sanitize removes query strings from URLs in s (SAS tokens) and redacts key=value secrets
// (AccountKey=, SharedAccessSignature=, sig=, ...).
func sanitize(s string) string {
	s = urlWithQuery.ReplaceAllString(s, "$1")
	b, _ := parse.Redact(nil, []byte(s))
	return string(b)
}

// describeBlobErr turns an SDK or network error of an operation on the source into a message
// that says what to do. what is the operation and its object ("list container logs", "read
// <blob path>").
func describeBlobErr(s *blobSource, cred blobCred, what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return newBlobError(err, "%s: %s", what, explainBlobErr(s, cred, err))
}

// explainBlobErr is the message for err alone.
func explainBlobErr(s *blobSource, cred blobCred, err error) string {
	var te *tokenError
	if errors.As(err, &te) {
		return te.Error()
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		if cred.token != nil && (re.StatusCode == 401 || re.StatusCode == 403) {
			return tokenRefused(s, cred, re)
		}
		return responseMessage(s, cred, re.StatusCode, re.ErrorCode)
	}
	return networkMessage(s, err)
}

// responseMessage explains an error response of the storage service.
func responseMessage(s *blobSource, cred blobCred, status int, code string) string {
	st := fmt.Sprintf("%d %s", status, code)
	switch {
	case code == "ContainerNotFound":
		return fmt.Sprintf("container %q not found in storage account %s at %s (%s); check the container name (lower case) and the account", s.container, orDefault(s.account, "?"), s.service, st)
	case code == "BlobNotFound":
		return fmt.Sprintf("the blob is gone (%s): it was deleted after the listing", st)
	case code == "ConditionNotMet" || status == 412:
		return fmt.Sprintf("the blob changed while it was read (%s): it was overwritten; run again", st)
	case code == "BlobArchived":
		return fmt.Sprintf("the blob is in the Archive tier (%s): rehydrate it to Hot or Cool first", st)
	case code == "InvalidRange" || status == 416:
		return fmt.Sprintf("the blob is shorter than listed (%s): it was overwritten; run again", st)
	case code == "PublicAccessNotPermitted" || cred.anon && (status == 404 || status == 401 || status == 403):
		return fmt.Sprintf("access refused (%s) with %s: the container is not public; give a SAS URL (the container URL followed by a SAS token), --connection-string (or AZURE_STORAGE_CONNECTION_STRING), --account with AZURE_STORAGE_KEY, or sign in with Entra ID (--auth login, cli or managed-identity)", st, cred.desc)
	case status == 401 || status == 403:
		return authMessage(cred, st, code)
	case status == 400 && (code == "InvalidHeaderValue" || code == "InvalidQueryParameterValue"):
		return fmt.Sprintf("the service rejected the request (%s): it may not accept this client's API version; if this is Azurite, start it with --skipApiVersionCheck", st)
	case status >= 500 || status == 429 || status == 408:
		return fmt.Sprintf("the service kept failing (%s) after retries; try again later", st)
	}
	return "the service answered " + st
}

// authMessage explains a 401/403 answer: which credential was refused and what to check.
func authMessage(cred blobCred, st, code string) string {
	msg := fmt.Sprintf("access denied (%s) with %s", st, cred.desc)
	switch code {
	case "AuthorizationPermissionMismatch", "AuthorizationResourceTypeMismatch", "InsufficientAccountPermissions":
		return msg + ": the credential is valid but may not do this; a SAS needs read and list permission (sp=rl) on the container"
	case "AuthorizationSourceIPMismatch":
		return msg + ": the SAS does not allow this machine's IP address (its sip= range)"
	case "AuthorizationProtocolMismatch":
		return msg + ": the SAS allows HTTPS only; use an https:// URL"
	case "KeyBasedAuthenticationNotPermitted":
		return msg + ": the storage account does not allow account keys or SAS tokens signed with them (shared key access is disabled); sign in with Entra ID instead: --auth login, --auth cli (after az login) or --auth managed-identity"
	}
	switch {
	case cred.sas != "":
		if hint := sasTimeHint(cred.sas, time.Now()); hint != "" {
			return msg + ": " + hint
		}
		return msg + ": the signature does not match this account and container, or the account's firewall admits only selected networks or private endpoints; create a new SAS with read and list permission (sp=rl)"
	case cred.key != nil:
		return msg + ": the key is wrong or was rotated (copy a current one from the portal: Storage account > Access keys), or the account's firewall admits only selected networks or private endpoints"
	}
	return msg
}

// sasTimeHint says when a SAS has expired or is not valid yet ("" if neither, or unknown).
func sasTimeHint(sas string, now time.Time) string {
	q, err := url.ParseQuery(sas)
	if err != nil {
		return ""
	}
	parse := func(s string) (time.Time, bool) {
		for _, l := range []string{time.RFC3339, "2006-01-02T15:04Z", "2006-01-02"} {
			if t, err := time.Parse(l, s); err == nil {
				return t, true
			}
		}
		return time.Time{}, false
	}
	if t, ok := parse(q.Get("se")); ok && now.After(t) {
		return fmt.Sprintf("the SAS token expired at %s; ask for a new one", t.UTC().Format(time.RFC3339))
	}
	if t, ok := parse(q.Get("st")); ok && now.Before(t) {
		return fmt.Sprintf("the SAS token is valid only from %s (check this machine's clock)", t.UTC().Format(time.RFC3339))
	}
	return ""
}

// networkMessage explains a transport failure: DNS, refused or reset connections, timeouts, TLS.
func networkMessage(s *blobSource, err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		host := orDefault(dnsErr.Name, hostOnly(s.host))
		switch {
		case isPrivateLinkHost(host):
			return fmt.Sprintf("cannot resolve %s: this host resolves only inside the VNet (it is a private endpoint name); run kudulens on a machine in that VNet or a peered one (or over its VPN), where the privatelink.blob.core.windows.net DNS zone answers", host)
		case dnsErr.IsNotFound:
			return fmt.Sprintf("cannot resolve %s (no such host): check the account name; if the account is reachable only through a private endpoint, this host resolves only inside the VNet", host)
		}
		return fmt.Sprintf("cannot resolve %s (%s): is a DNS server reachable? (a private endpoint name resolves only inside the VNet)", host, dnsErr.Err)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Sprintf("cannot connect to %s: connection refused (is the endpoint running? the address and port are right?)", s.host)
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return fmt.Sprintf("the connection to %s was reset", s.host)
	}
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	if errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr) {
		return fmt.Sprintf("the TLS certificate of %s is not trusted (%s); a proxy may be intercepting HTTPS", s.host, certDetail(err))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Sprintf("no answer from %s in time (timeout): a firewall may drop the traffic", s.host)
	}
	return sanitize(err.Error())
}

func certDetail(err error) string {
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) && certErr.Err != nil {
		return certErr.Err.Error()
	}
	return "certificate verification failed"
}

func isPrivateLinkHost(h string) bool {
	return strings.Contains(strings.ToLower(h), ".privatelink.")
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}
