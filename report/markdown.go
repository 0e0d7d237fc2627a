package report

import (
	"fmt"
	"io"
	"strings"

	klsql "github.com/kudulens/kudulens/sql"
)

// Markdown writes the report for pasting into a ticket.
func Markdown(w io.Writer, r *klsql.Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## kudulens: %s\n\n", Verdict(r))
	fmt.Fprintf(&b, "Evaluated at `%s` · %d files, %d lines (%d traces, %d exceptions, %d events, %d rejected)\n\n",
		ts(r.EvaluatedAt), r.Ingest.Files, r.Ingest.Lines, r.Ingest.Traces, r.Ingest.Exceptions, r.Ingest.CustomEvents, r.Ingest.Rejected)
	b.WriteString("| status | severity | check | first | last | count | rule |\n|---|---|---|---|---|---|---|\n")
	order := append(append(Failing(r), Notes(r)...), append(byStatus(r, klsql.StatusUnknown), append(byStatus(r, klsql.StatusSkipped), byStatus(r, klsql.StatusPass)...)...)...)
	for _, c := range order {
		status := strings.ToUpper(string(c.Status))
		if c.Status == klsql.StatusFail && c.Severity == klsql.SeverityInfo {
			status = "NOTE"
		}
		fmt.Fprintf(&b, "| %s | %s | `%s` %s | %s | %s | %d | %s |\n", status, c.Severity, c.ID, mdEscape(c.Title),
			tsp(c.FirstSeen), tsp(c.LastSeen), c.Count, mdEscape(c.Threshold))
	}
	for _, c := range append(Failing(r), Notes(r)...) {
		kind := ""
		if c.Severity == klsql.SeverityInfo {
			kind = ", a note: expected or benign"
		}
		fmt.Fprintf(&b, "\n### `%s` — %s (%s%s)\n\n", c.ID, mdEscape(c.Title), c.Severity, kind)
		if c.Detail != "" {
			fmt.Fprintf(&b, "%s\n\n", mdEscape(c.Detail))
		}
		if len(c.Evidence) > 0 {
			b.WriteString("```\n")
			for _, e := range c.Evidence {
				fmt.Fprintf(&b, "%s  %s  %s\n    %s\n", ts(e.Timestamp), e.Job, location(e), oneLine(e.Message, 300))
			}
			b.WriteString("```\n\n")
		}
		if c.Advice != "" {
			fmt.Fprintf(&b, "**Advice:** %s\n", mdEscape(c.Advice))
		}
	}
	if unk := byStatus(r, klsql.StatusUnknown); len(unk) > 0 {
		b.WriteString("\n### Cannot be judged from these logs\n\n")
		for _, c := range unk {
			fmt.Fprintf(&b, "- `%s`: %s\n", c.ID, mdEscape(c.Reason))
		}
	}
	if len(r.Jobs) > 0 {
		b.WriteString("\n### Jobs\n\n| job | status | lines | cycles | last cycle | restarts | crashes | errors/h |\n|---|---|---|---|---|---|---|---|\n")
		for _, j := range r.Jobs {
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %s | %d | %d | %.1f |\n", j.Job, j.Status, j.Lines, j.Cycles, tsp(j.LastCycle), j.Restarts, j.Crashes, j.ErrorsPerHour)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}
