package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/kudulens/kudulens/internal/escape"
	klsql "github.com/kudulens/kudulens/sql"
)

// Markdown writes the report for pasting into a ticket. Every string that may come from the
// logs (job names, status values, file names, messages) goes through escape.Markdown: it stays
// text in a table cell, a list item or a paragraph and cannot add cells, links, images or HTML.
// Evidence is a list of escaped lines rather than a code block, so ticket systems that render
// code blocks their own way cannot be broken out of either.
func Markdown(w io.Writer, r *klsql.Report) error {
	md := escape.Markdown
	var b strings.Builder
	fmt.Fprintf(&b, "## kudulens: %s\n\n", md(Verdict(r)))
	fmt.Fprintf(&b, "Evaluated at `%s` · %s\n\n", ts(r.EvaluatedAt), md(IngestLine(r.Ingest)))
	for _, in := range r.InputProblems {
		fmt.Fprintf(&b, "**%s**\n\n", md(inputProblemText(in)))
	}
	if first := FirstFailureLine(r); first != "" {
		fmt.Fprintf(&b, "**%s**\n\n", md(first))
	}
	b.WriteString("| status | severity | check | first | last | found | rule |\n|---|---|---|---|---|---|---|\n")
	order := append(append(Failing(r), Notes(r)...), append(byStatus(r, klsql.StatusUnknown), append(byStatus(r, klsql.StatusSkipped), byStatus(r, klsql.StatusPass)...)...)...)
	for _, c := range order {
		status := strings.ToUpper(string(c.Status))
		if c.Status == klsql.StatusFail && c.Severity == klsql.SeverityInfo {
			status = "NOTE"
		}
		fmt.Fprintf(&b, "| %s | %s | `%s` %s | %s | %s | %s | %s |\n", status, c.Severity, c.ID, md(c.Title),
			tsp(c.FirstSeen), tsp(c.LastSeen), md(CountText(c)), md(c.Threshold))
	}
	for _, c := range append(Failing(r), Notes(r)...) {
		kind := ""
		if c.Severity == klsql.SeverityInfo {
			kind = ", a note: expected or benign"
		}
		fmt.Fprintf(&b, "\n### `%s` — %s (%s%s)\n\n", c.ID, md(c.Title), c.Severity, kind)
		if c.Detail != "" {
			fmt.Fprintf(&b, "%s\n\n", md(c.Detail))
		}
		if len(c.Evidence) > 0 {
			// A backslash at the end of a line is a hard line break (CommonMark).
			for _, e := range c.Evidence {
				fmt.Fprintf(&b, "- `%s` %s %s\\\n  %s\n", ts(e.Timestamp), md(e.Job), md(location(e)), md(oneLine(e.Message, 300)))
			}
			b.WriteString("\n")
		}
		if c.Advice != "" {
			fmt.Fprintf(&b, "**Advice:** %s\n", md(c.Advice))
		}
	}
	if unk := byStatus(r, klsql.StatusUnknown); len(unk) > 0 {
		b.WriteString("\n### Cannot be judged from these logs\n\n")
		ids, rest := sameReason(unk, klsql.NoLinesReason)
		if len(ids) > 0 {
			fmt.Fprintf(&b, "- %s (%d checks): `%s`\n", md(klsql.NoLinesReason), len(ids), strings.Join(ids, "`, `"))
		}
		for _, c := range rest {
			fmt.Fprintf(&b, "- `%s`: %s\n", c.ID, md(c.Reason))
		}
	}
	if len(r.Jobs) > 0 {
		b.WriteString("\n### Jobs\n\n| job | status | lines | cycles | last cycle | restarts | crashes | errors/h |\n|---|---|---|---|---|---|---|---|\n")
		for _, j := range r.Jobs {
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %s | %d | %d | %.1f |\n", md(j.Job), md(j.Status), j.Lines, j.Cycles, tsp(j.LastCycle), j.Restarts, j.Crashes, j.ErrorsPerHour)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
