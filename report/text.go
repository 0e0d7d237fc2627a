package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/kudulens/kudulens/internal/escape"
	klsql "github.com/kudulens/kudulens/sql"
)

// TextOptions control the text report.
type TextOptions struct {
	Color bool // ANSI colours (only on a terminal)
	Width int  // wrap width; default 100
}

type painter struct{ on bool }

func (p painter) c(code, s string) string {
	if !p.on {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}
func (p painter) bold(s string) string  { return p.c("1", s) }
func (p painter) red(s string) string   { return p.c("31;1", s) }
func (p painter) yel(s string) string   { return p.c("33", s) }
func (p painter) green(s string) string { return p.c("32", s) }
func (p painter) dim(s string) string   { return p.c("2", s) }

func (p painter) sev(s klsql.Severity) string {
	switch s {
	case klsql.SeverityError:
		return p.red("error")
	case klsql.SeverityWarning:
		return p.yel("warning")
	}
	return p.dim(string(s))
}

// Text writes the report for a person reading a terminal: the verdict first, then the failing
// checks with their evidence and advice, then what cannot be judged, then the jobs' health.
// Every string that may come from the logs goes through escape.Terminal (wrap does it word by
// word), so a job name or message cannot move the cursor, recolour or retitle the terminal.
func Text(w io.Writer, r *klsql.Report, o TextOptions) error {
	if o.Width <= 0 {
		o.Width = 100
	}
	p := painter{o.Color}
	var b strings.Builder
	fails := Failing(r)
	verdict := Verdict(r)
	if _, notEnough := NotEnoughLogs(r); notEnough {
		verdict = p.yel(verdict)
	} else if len(fails) > 0 {
		verdict = p.red(verdict)
	} else {
		verdict = p.green(verdict)
	}
	fmt.Fprintf(&b, "%s\n", verdict)
	fmt.Fprintf(&b, "evaluated at %s · %s\n", ts(r.EvaluatedAt), IngestLine(r.Ingest))
	if r.Since != nil {
		fmt.Fprintf(&b, "only lines since %s count\n", ts(*r.Since))
	}
	for _, in := range r.InputProblems {
		fmt.Fprintln(&b, p.red(escape.Terminal(oneLine(inputProblemText(in), 1000))))
	}
	if len(fails) > 0 {
		b.WriteString("\n")
		for _, c := range fails {
			fmt.Fprintf(&b, "  %s  %-8s %-30s %s\n", p.red("FAIL"), p.sev(c.Severity), c.ID, escape.Terminal(c.Title))
		}
		fmt.Fprintf(&b, "\n  %s\n", p.bold(FirstFailureLine(r)))
	}
	for _, c := range fails {
		fmt.Fprintf(&b, "\n%s %s\n", p.bold("▌"+c.ID), p.dim("("+string(c.Severity)+")"))
		fmt.Fprintf(&b, "  %s\n", escape.Terminal(c.Title))
		meta := []string{}
		if c.Threshold != "" {
			meta = append(meta, "rule "+escape.Terminal(c.Threshold))
		}
		if c.FirstSeen != nil {
			meta = append(meta, "first "+ts(*c.FirstSeen))
		}
		if c.LastSeen != nil {
			meta = append(meta, "last "+ts(*c.LastSeen))
		}
		if len(meta) > 0 {
			fmt.Fprintf(&b, "  %s\n", p.dim(strings.Join(meta, " · ")))
		}
		if c.Detail != "" {
			wrap(&b, c.Detail, "  ", o.Width)
		}
		if c.Reason != "" {
			wrap(&b, c.Reason, "  ", o.Width)
		}
		if len(c.Evidence) > 0 {
			b.WriteString("  evidence:\n")
			for _, e := range c.Evidence {
				fmt.Fprintf(&b, "    %s  %s  %s\n", ts(e.Timestamp), escape.Terminal(e.Job), p.dim(escape.Terminal(location(e))))
				fmt.Fprintf(&b, "      %s\n", escape.Terminal(oneLine(e.Message, o.Width-6)))
			}
		}
		if c.Advice != "" {
			wrap(&b, "advice: "+c.Advice, "  ", o.Width)
		}
	}
	if notes := Notes(r); len(notes) > 0 {
		fmt.Fprintf(&b, "\n%s\n", p.bold("Notes (severity info: expected or benign, not a problem)"))
		for _, c := range notes {
			fmt.Fprintf(&b, "  %s  %s\n", p.bold(c.ID), c.Title)
			if c.Detail != "" {
				wrap(&b, c.Detail, "    ", o.Width)
			}
			if len(c.Evidence) > 0 {
				e := c.Evidence[0]
				fmt.Fprintf(&b, "    e.g. %s  %s  %s\n", ts(e.Timestamp), e.Job, p.dim(location(e)))
				fmt.Fprintf(&b, "      %s\n", oneLine(e.Message, o.Width-6))
			}
			if c.Advice != "" {
				wrap(&b, "advice: "+c.Advice, "    ", o.Width)
			}
		}
	}
	if unk := byStatus(r, klsql.StatusUnknown); len(unk) > 0 {
		fmt.Fprintf(&b, "\n%s\n", p.bold("Cannot be judged from these logs"))
		ids, rest := sameReason(unk, klsql.NoLinesReason)
		if len(ids) > 0 {
			wrap(&b, fmt.Sprintf("%s (%d checks): %s", klsql.NoLinesReason, len(ids), strings.Join(ids, ", ")), "  ", o.Width)
		}
		for _, c := range rest {
			wrap(&b, fmt.Sprintf("%s: %s", c.ID, c.Reason), "  ", o.Width)
		}
	}
	if sk := byStatus(r, klsql.StatusSkipped); len(sk) > 0 {
		fmt.Fprintf(&b, "\n%s\n", p.bold("Skipped (does not apply)"))
		for _, c := range sk {
			wrap(&b, fmt.Sprintf("%s: %s", c.ID, c.Reason), "  ", o.Width)
		}
	}
	if ps := byStatus(r, klsql.StatusPass); len(ps) > 0 {
		ids := make([]string, len(ps))
		for i, c := range ps {
			ids[i] = c.ID
		}
		fmt.Fprintf(&b, "\n%s\n", p.bold(fmt.Sprintf("Passed (%d)", len(ps))))
		wrap(&b, strings.Join(ids, ", "), "  ", o.Width)
	}
	if len(r.Jobs) > 0 {
		fmt.Fprintf(&b, "\n%s\n", p.bold("Jobs"))
		for _, j := range r.Jobs {
			status := escape.Terminal(j.Status)
			if status == "" {
				status = "status unknown"
			}
			fmt.Fprintf(&b, "  %s  %s · %s → %s · %d lines\n", p.bold(escape.Terminal(j.Job)), status, tsp(j.FirstSeen), tsp(j.LastSeen), j.Lines)
			line := fmt.Sprintf("cycles %d", j.Cycles)
			if j.LastCycle != nil {
				line += " (last " + ts(*j.LastCycle) + ")"
			}
			if j.CycleSeconds != nil {
				line += fmt.Sprintf(", cycle time median %s (min %s, max %s)", secs(j.CycleSeconds.Median), secs(j.CycleSeconds.Min), secs(j.CycleSeconds.Max))
			}
			line += fmt.Sprintf(" · restarts %d · crashes %d · errors %d (%.1f/h)", j.Restarts, j.Crashes, j.Errors, j.ErrorsPerHour)
			wrap(&b, line, "    ", o.Width)
			for _, s := range j.Sections {
				d := ""
				if s.LastDurationSec != nil {
					d = ", took " + secs(float64(*s.LastDurationSec))
				}
				fmt.Fprintf(&b, "    %-26s %4d× · last %s%s\n", escape.Terminal(s.Name), s.Count, tsp(s.Last), d)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func secs(s float64) string {
	switch {
	case s >= 3600:
		return fmt.Sprintf("%.1fh", s/3600)
	case s >= 60:
		return fmt.Sprintf("%.0fm%02.0fs", float64(int(s)/60), float64(int(s)%60))
	}
	return fmt.Sprintf("%.0fs", s)
}

// wrap writes s word-wrapped at width with the given indent, each word made safe for a
// terminal (line ends and tabs are word breaks).
func wrap(b *strings.Builder, s, indent string, width int) {
	words := strings.Fields(s)
	line := indent
	for _, w := range words {
		w = escape.Terminal(w)
		if len(line) > len(indent) && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += w
	}
	if len(line) > len(indent) {
		b.WriteString(line + "\n")
	}
}
