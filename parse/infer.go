package parse

import (
	"regexp"
	"strings"
)

// Handled exceptions reach the console only as their message inside a template
// ("Got SQL error: <ex.Message>"). inferHandled reads such a message and returns what the text
// proves about the exception — App Insights would have had the type from TrackException — and
// the name of the rule that proved it ("" when nothing is proven; the type is then left empty).
// The rules are deliberately narrow: a type is inferred only from text that only that
// exception produces.
type handledInfo struct {
	outerType, outerMessage, innermostType, innermostMessage, rule string
}

type inferRule struct {
	name  string
	typ   string
	match func(string) bool
}

func contains(subs ...string) func(string) bool {
	return func(s string) bool {
		for _, x := range subs {
			if strings.Contains(s, x) {
				return true
			}
		}
		return false
	}
}

var (
	aadstsCode = regexp.MustCompile(`\bAADSTS\d{5,}\b`)
)

// inferRules are tried in order; the first that matches names the type.
var inferRules = []inferRule{
	// SQL Server error texts (SqlClient puts the server's message in SqlException.Message).
	{"sql-server-message", "System.Data.SqlClient.SqlException", contains(
		"because the database is read-only",
		"Login failed for user",
		"A network-related or instance-specific error occurred while establishing a connection to SQL Server",
		"Deny Public Network Access is set to Yes",
		"Execution Timeout Expired",
		"Cannot open server",
		"Cannot open database",
		"The transaction log for database",
		"Violation of PRIMARY KEY constraint",
		"Violation of UNIQUE KEY constraint",
		"Cannot insert duplicate key",
		"was deadlocked on lock resources",
		"Invalid object name '",
		"Invalid column name '",
		"statement conflicted with the",
		"has reached its size quota",
		"The request limit for the database is",
		"String or binary data would be truncated",
		"Arithmetic overflow error",
		"A transport-level error has occurred",
		// errors 701 and 802: SQL Server itself is short of memory, not the web-job
		"insufficient system memory in resource pool",
		"insufficient memory available in the buffer pool",
	)},
	// Azure AD / Entra ID errors carry an AADSTS code; MSAL raises MsalServiceException.
	{"aadsts-code", "Microsoft.Identity.Client.MsalServiceException", aadstsCode.MatchString},
	{"keyvault-not-found", "Azure.RequestFailedException", contains("was not found in this key vault")},
	{"ef-model-changed", "System.InvalidOperationException", contains("The model backing the '")},
	{"http-status", "System.Net.Http.HttpRequestException", contains("Response status code does not indicate success:")},
	{"out-of-memory", "System.OutOfMemoryException", contains("Insufficient memory", "insufficient system memory", "OutOfMemoryException")},
	{"graph-permission", "Microsoft.Graph.ServiceException", contains("Authorization_RequestDenied", "Insufficient privileges to complete the operation")},
	{"dns", "System.Net.WebException", contains("The remote name could not be resolved", "No such host is known")},
	{"default-message", "System.NullReferenceException", contains("Object reference not set to an instance of an object.")},
	{"default-message", "System.Threading.Tasks.TaskCanceledException", contains("A task was canceled.")},
}

// aggregateDefault is AggregateException's default message in .NET Framework 4.8.
const aggregateDefault = "One or more errors occurred."

// inferHandled analyses msg, the text of a caught exception's Message. chain is true for
// templates that print the whole inner chain joined by "; " (CommonExceptionHandler.GetErrorText).
func inferHandled(msg string, chain bool) handledInfo {
	msg = strings.TrimSpace(msg)
	outer, innermost := msg, msg
	if chain {
		if i := strings.Index(msg, "; "); i >= 0 {
			outer, innermost = msg[:i], msg[strings.LastIndex(msg, "; ")+2:]
		}
	}
	h := handledInfo{outerMessage: outer, innermostMessage: innermost}
	h.outerType, h.rule = inferType(outer)
	if innermost == outer {
		h.innermostType = h.outerType
	} else {
		var r string
		h.innermostType, r = inferType(innermost)
		if h.rule == "" {
			h.rule = r
		}
	}
	if outer == aggregateDefault || strings.HasPrefix(outer, aggregateDefault+" (") {
		// Task.Wait wrapped the real failure; the console does not show the inner one.
		h.outerType, h.rule = "System.AggregateException", "aggregate-default-message"
		if innermost == outer {
			h.innermostType, h.innermostMessage = "", ""
		}
	}
	return h
}

func inferType(msg string) (typ, rule string) {
	if t, ok := defaultMessageType(msg); ok {
		return t, "default-message"
	}
	for _, r := range inferRules {
		if r.match(msg) {
			return r.typ, r.name
		}
	}
	return "", ""
}

// defaultMessageType returns T when msg starts with "Exception of type 'T' was thrown." (the
// default Exception.Message), as the regular expression
// ^Exception of type '([A-Za-z_][\w.`+]*)' was thrown\. would, without allocating.
func defaultMessageType(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "Exception of type '")
	if !ok || rest == "" {
		return "", false
	}
	if c := rest[0]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_') {
		return "", false
	}
	i := 1
	for i < len(rest) {
		c := rest[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '`' || c == '+') {
			break
		}
		i++
	}
	if !strings.HasPrefix(rest[i:], "' was thrown.") {
		return "", false
	}
	return rest[:i], true
}
