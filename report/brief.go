package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/kudulens/kudulens/internal/escape"
	klsql "github.com/kudulens/kudulens/sql"
)

// briefChecks is how many failing checks the ticket summary shows in full (three lines each),
// so that it stays under 30 lines; the rest are named in one line.
const briefChecks = 7

// MarkdownBrief writes the ticket summary (diagnose --format md --brief): the site and the
// verdict in the header, when it was evaluated and which failure came first, then each failing
// check in the report's order with its first evidence line and the first sentence of its
// advice. Under 30 lines, all of it escaped like Markdown.
func MarkdownBrief(w io.Writer, r *klsql.Report, site string) error {
	md := escape.Markdown
	var b strings.Builder
	head := "kudulens"
	if site != "" {
		head += ": " + md(site)
	}
	fmt.Fprintf(&b, "### %s — %s\n\n", head, md(Verdict(r)))
	line := fmt.Sprintf("Evaluated at `%s` · %d files, %d lines read", ts(r.EvaluatedAt), r.Ingest.Files, r.Ingest.Lines)
	if first := FirstFailureLine(r); first != "" {
		line += " · " + md(first)
	}
	b.WriteString(line + "\n")
	for _, in := range r.InputProblems {
		fmt.Fprintf(&b, "\n**%s**\n", md(oneLine(inputProblemText(in), 200)))
	}
	fails := Failing(r)
	if len(fails) > 0 {
		b.WriteString("\n")
	}
	for i, c := range fails {
		if i == briefChecks {
			rest := make([]string, 0, len(fails)-i)
			for _, c := range fails[i:] {
				rest = append(rest, "`"+c.ID+"`")
			}
			fmt.Fprintf(&b, "- and %d more: %s\n", len(rest), strings.Join(rest, ", "))
			break
		}
		since := ""
		if c.FirstSeen != nil {
			since = " — since `" + ts(*c.FirstSeen) + "`"
		}
		fmt.Fprintf(&b, "- **%s** `%s` %s%s\\\n", c.Severity, c.ID, md(c.Title), since)
		if len(c.Evidence) > 0 {
			e := c.Evidence[0]
			fmt.Fprintf(&b, "  `%s` %s: %s\\\n", ts(e.Timestamp), md(location(e)), md(oneLine(e.Message, 200)))
		} else {
			b.WriteString("  (no evidence line)\\\n")
		}
		fmt.Fprintf(&b, "  Advice: %s\n", md(firstSentence(c.Advice)))
	}
	if unk := byStatus(r, klsql.StatusUnknown); len(unk) > 0 {
		fmt.Fprintf(&b, "\n%d checks cannot be judged from these logs; the full report (`--format md` or `html`) says why.\n", len(unk))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// firstSentence is s up to the end of its first sentence.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// SiteJSON writes the report as JSON with the verdict and the site at the top, as in the fleet
// summary's rows: a script reads the answer without counting checks. The rest is JSON's.
func SiteJSON(w io.Writer, r *klsql.Report, site string) error {
	var body bytes.Buffer
	if err := JSON(&body, r); err != nil {
		return err
	}
	rest, ok := bytes.CutPrefix(body.Bytes(), []byte("{\n"))
	if !ok {
		return fmt.Errorf("report JSON does not start with an object")
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // as JSON does: a verdict may say "<job>"
	out.WriteString("{\n  \"verdict\": ")
	if err := enc.Encode(Verdict(r)); err != nil {
		return err
	}
	out.Truncate(out.Len() - 1) // Encode ends with a line end
	out.WriteString(",\n  \"site\": ")
	if err := enc.Encode(site); err != nil {
		return err
	}
	out.Truncate(out.Len() - 1)
	out.WriteString(",\n")
	out.Write(rest)
	_, err := w.Write(out.Bytes())
	return err
}
