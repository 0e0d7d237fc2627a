package sql

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kudulens/kudulens/parse"
)

// signalSQL defines each parse.Signal as a predicate on traces.message: the parser computes
// the same bits in Go (parse/signals.go), and FillSignals computes them with these for rows
// stored without them. A test compares the two on every fixture.
var signalSQL = map[parse.Signal]string{
	parse.SignalActivityImportFinished: `contains(lower(message), 'finished activity import')`,
	parse.SignalWebhookCreateFailed:    `contains(lower(message), 'couldn''t create webhook')`,
	parse.SignalExternalUserNotFound: `(contains(lower(message), '#ext#') OR contains(lower(message), 'external user'))
        AND (contains(lower(message), 'not found') OR contains(lower(message), 'does not exist') OR contains(lower(message), 'request_resourcenotfound'))`,
	parse.SignalGraphDenied: `contains(lower(message), 'authorization_requestdenied')
        OR contains(lower(message), 'insufficient privileges to complete the operation')`,
	parse.SignalKeyVaultNotFound: `contains(lower(message), 'was not found in this key vault')`,
	parse.SignalOutOfMemory: `contains(lower(message), 'outofmemoryexception') OR contains(lower(message), 'insufficient memory')
        OR contains(lower(message), 'insufficient system memory')`,
	parse.SignalPublicAccessDenied: `contains(lower(message), 'deny public network access is set to yes')`,
	parse.SignalYammerAuthCode:     `contains(lower(message), 'no auth code found for yammer')`,
	parse.SignalYammerExport:       `contains(lower(message), 'error requesting yammer export')`,
	parse.SignalEFModel:            `contains(message, 'The model backing the ''')`,
	parse.SignalOrgURLsMissing:     `starts_with(message, 'FATAL ERROR: No org URLs found in database!')`,
	parse.SignalWaitingMins:        `regexp_matches(message, '^Waiting \d+ mins\.\.\.$')`,
}

// SignalsExpr is the SQL expression of a row's signals computed from its message.
func SignalsExpr() string {
	var terms []string
	for i := range parse.SignalNames() {
		sig := parse.Signal(1) << i
		terms = append(terms, fmt.Sprintf("CASE WHEN %s THEN %d ELSE 0 END", signalSQL[sig], uint32(sig)))
	}
	return "(" + strings.Join(terms, "\n    | ") + ")::UINTEGER"
}

// FillSignals sets the signals of the traces rows that have none: the rows of a database
// written before the column existed, or loaded from a Parquet export without it. With every
// row tagged it reads one integer column and changes nothing.
var FillSignals = "UPDATE traces SET signals = " + SignalsExpr() + " WHERE signals IS NULL"

// CheckTemplates returns the ids of the message templates the built-in checks name in their
// SQL (in string literals, also inside lists such as a covered-by reach). With the rows that
// carry a signal, their rows are the few the checks read; the store loads them together
// (pipeline/store, FileTx), so that a check fetches its rows from a few stretches of the
// table instead of from all over it. Which rows are together changes no result.
func CheckTemplates() ([]string, error) {
	checks, err := BuiltinChecks()
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, id := range parse.TemplateIDs() {
		if id != "" {
			known[id] = true
		}
	}
	seen := map[string]bool{}
	var ids []string
	for _, c := range checks {
		if c.Lang == "kql" {
			continue
		}
		toks, err := tokenizeSQL(c.Query)
		if err != nil {
			return nil, fmt.Errorf("check %s: %w", c.ID, err)
		}
		for _, t := range toks {
			lit, ok := sqlLiteral(t)
			if !ok {
				continue
			}
			for _, w := range strings.FieldsFunc(lit, func(r rune) bool { return !(r == '-' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) {
				if known[w] && !seen[w] {
					seen[w] = true
					ids = append(ids, w)
				}
			}
		}
	}
	return ids, nil
}

// leanTemplates are the templates of the progress lines the jobs print by the hundred
// thousand, and of the routine lines of each import cycle: 88% of the lines of the 200 MB
// bench log. Lines that belong to a configuration block (insights.go) are not among them.
// See LeanTemplates.
var leanTemplates = []string{
	// progress
	"audit-progress", "user-apps-progress", "event", "section-timer", "sql-insert-start", "subscription-in-place",
	// each cycle's routine
	"searches-imported", "searches-processing", "page-updates-imported", "urls-updated", "hits-batch-imported",
	"clicks-imported", "team-token-missing", "team-load-failed", "usage-stats", "user-import-start", "user-import-read",
	"user-import-done", "teams-loading", "teams-searching", "teams-import-complete", "user-apps-updating",
	"graph-import-finished", "subscriptions-reading", "oauth-token-new", "audit-changes-summary", "audit-full-loading",
	"audit-got-events", "usage-reports-recent", "usage-report-importing", "throttle-retry", "url-out-of-scope",
}

// LeanTemplates returns the ids of the templates whose rows the report (checks, coverage,
// health, insights) reads only through their other columns (counts, times, jobs, templates),
// never through their text. diagnose without --db keeps these rows without their message
// (pipeline/store, Options.Lean); no check names them (a test), and a configuration block
// (insights) ends at one. A check of --checks DIR may read anything: such a run keeps every
// message.
func LeanTemplates() []string { return slices.Clone(leanTemplates) }

// CheckRowsFilter is the rows the store gathers for the checks (CheckTemplates, or a signal)
// as a filter on traces.
func CheckRowsFilter() (string, error) {
	ids, err := CheckTemplates()
	if err != nil {
		return "", err
	}
	return "(signals <> 0 OR (template IN (" + sqlList(ids) + ")) IS TRUE)", nil
}
