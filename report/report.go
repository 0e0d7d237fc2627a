// Package report renders a diagnosis (sql.Report) for people — text on a terminal, Markdown
// for a ticket — and for machines (JSON). It only formats; the checks run in package sql.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	klsql "github.com/kudulens/kudulens/sql"
)

// Verdict is the one-line answer at the top of every report. Failing checks of severity info
// are notes, not problems (the guide calls such findings expected, e.g. external users not
// found): with nothing else failing the verdict is OK and names them as notes. The JSON report
// keeps their status (fail) with severity info.
func Verdict(r *klsql.Report) string {
	fails, notes := Failing(r), Notes(r)
	var unknown int
	for _, c := range r.Checks {
		if c.Status == klsql.StatusUnknown {
			unknown++
		}
	}
	if NoLogs(r) {
		return "NO LOGS: the inputs hold no log lines to judge (see the files listed as skipped or failed)"
	}
	if missing, notEnough := NotEnoughLogs(r); notEnough {
		return notEnoughVerdict(r, missing)
	}
	noteText := ""
	if len(notes) > 0 {
		noteText = fmt.Sprintf("; %d %s: %s", len(notes), plural(len(notes), "note", "notes"), nameChecks(notes))
	}
	if len(fails) == 0 {
		s := fmt.Sprintf("OK: none of %d checks failed", len(r.Checks))
		if unknown > 0 {
			s += fmt.Sprintf(" (%d cannot be judged from these logs)", unknown)
		}
		return s + noteText
	}
	bySev := map[klsql.Severity]int{}
	for _, c := range fails {
		bySev[c.Severity]++
	}
	var parts []string
	for _, s := range []klsql.Severity{klsql.SeverityError, klsql.SeverityWarning} {
		if bySev[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", bySev[s], s))
		}
	}
	return fmt.Sprintf("PROBLEMS FOUND: %d of %d checks failed (%s): %s%s", len(fails), len(r.Checks),
		strings.Join(parts, ", "), nameChecks(fails), noteText)
}

// maxNamed is how many checks a verdict names before it says "+N more".
const maxNamed = 6

// nameChecks names the checks, or the first maxNamed-1 of them and "+N more": a verdict never
// names some of them and hides the others.
func nameChecks(cs []klsql.Result) string {
	n := len(cs)
	if n > maxNamed {
		n = maxNamed - 1
	}
	ids := make([]string, 0, n+1)
	for _, c := range cs[:n] {
		ids = append(ids, c.ID)
	}
	if n < len(cs) {
		ids = append(ids, fmt.Sprintf("+%d more", len(cs)-n))
	}
	return strings.Join(ids, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// NoLogs reports whether a diagnosis judged nothing: no log lines, and so no failure.
func NoLogs(r *klsql.Report) bool {
	return r.Ingest.Traces == 0 && len(Failing(r)) == 0 && len(Notes(r)) == 0
}

// Failing returns the failing checks that are problems (severity error or warning), most
// severe first, then by when they first fired.
func Failing(r *klsql.Report) []klsql.Result {
	return failed(r, func(s klsql.Severity) bool { return s != klsql.SeverityInfo })
}

// Notes returns the failing checks of severity info, by when they first fired: findings that
// are expected or benign, listed as notes rather than problems.
func Notes(r *klsql.Report) []klsql.Result {
	return failed(r, func(s klsql.Severity) bool { return s == klsql.SeverityInfo })
}

func failed(r *klsql.Report, keep func(klsql.Severity) bool) []klsql.Result {
	var out []klsql.Result
	for _, c := range r.Checks {
		if c.Status == klsql.StatusFail && keep(c.Severity) {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.FirstSeen != nil && b.FirstSeen != nil && !a.FirstSeen.Equal(*b.FirstSeen) {
			return a.FirstSeen.Before(*b.FirstSeen)
		}
		return a.ID < b.ID
	})
	return out
}

// ExitFails reports whether a check failed at or above severity min ("" = never).
func ExitFails(r *klsql.Report, min klsql.Severity) bool {
	if min == "" {
		return false
	}
	for _, c := range r.Checks {
		if c.Status == klsql.StatusFail && c.Severity.Rank() >= min.Rank() {
			return true
		}
	}
	return false
}

// JSON writes the report in its documented JSON shape.
func JSON(w io.Writer, r *klsql.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r) // times are UTC, so they marshal with a Z
}

func ts(t time.Time) string { return klsql.FormatTime(t) }

func tsp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return ts(*t)
}

func byStatus(r *klsql.Report, st klsql.Status) []klsql.Result {
	var out []klsql.Result
	for _, c := range r.Checks {
		if c.Status == st {
			out = append(out, c)
		}
	}
	return out
}

// location renders file:line of an evidence line.
func location(e klsql.Evidence) string {
	switch {
	case e.File == "":
		return ""
	case e.Line > 0:
		return fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	return e.File
}

func oneLine(s string, max int) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r", ""), "\n", " ⏎ ")
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

// inputProblemText is the line that names an input the report could not read (whole).
func inputProblemText(in klsql.InputProblem) string {
	what := "input not read"
	if in.Status == "partial" {
		what = "input read only in part"
	}
	return fmt.Sprintf("%s: %s: %s", what, in.Path, in.Error)
}

// sameReason splits checks into the ids of those whose reason is reason and the rest, so that
// twenty-five checks that cannot be judged for one reason take one line, not twenty-five.
func sameReason(cs []klsql.Result, reason string) (ids []string, rest []klsql.Result) {
	for _, c := range cs {
		if c.Reason == reason {
			ids = append(ids, c.ID)
		} else {
			rest = append(rest, c)
		}
	}
	return ids, rest
}

// FirstFailure is the failing check that fired first: the earliest first firing among the
// failing errors and warnings (among the info findings when only they failed). It is usually
// the cause; the failures after it are often its symptoms. nil when nothing failed.
func FirstFailure(r *klsql.Report) *klsql.Result {
	var first *klsql.Result
	fails := Failing(r)
	for _, infoToo := range []bool{false, true} {
		for i := range fails {
			c := &fails[i]
			if c.FirstSeen == nil || (c.Severity == klsql.SeverityInfo) != infoToo {
				continue
			}
			if first == nil || c.FirstSeen.Before(*first.FirstSeen) {
				first = c
			}
		}
		if first != nil {
			return first
		}
	}
	return nil
}

// FirstFailureLine says in one line which failure came first, or "" when none failed.
func FirstFailureLine(r *klsql.Report) string {
	c := FirstFailure(r)
	if c == nil {
		return ""
	}
	s := fmt.Sprintf("first to fail: %s at %s (%s before the capture)", c.ID, ts(*c.FirstSeen), ago(r.EvaluatedAt.Sub(*c.FirstSeen)))
	if len(Failing(r)) > 1 {
		s += "; the failures after it may be its consequences"
	}
	return s
}

// IngestLine is what was read, in the words every command uses (klsql.Totals): log files
// (from how many archives, besides how many skipped), lines read with the rejected ones and
// the copies merged into a line kept from another file, and the rows kept after merging.
func IngestLine(t klsql.Totals) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d files", t.Files)
	if t.Archives > 0 {
		fmt.Fprintf(&b, " from %d %s", t.Archives, plural(int(t.Archives), "archive", "archives"))
	}
	if t.Skipped > 0 {
		fmt.Fprintf(&b, " (%d more skipped)", t.Skipped)
	}
	fmt.Fprintf(&b, ", %d lines read (%d rejected, %d copies merged), rows kept: %d traces, %d exceptions, %d events",
		t.Lines, t.Rejected, t.Merged, t.Traces, t.Exceptions, t.CustomEvents)
	return b.String()
}

// CountText is a check's count with what it counts, so that a table column of counts means
// one thing per cell: a more-than rule counts the matches of its busiest window ("6 in 10m"),
// the other rules all the matches, a query-judged check its rows.
func CountText(c klsql.Result) string {
	switch {
	case strings.HasPrefix(c.Threshold, "> ") && strings.Contains(c.Threshold, " in "):
		_, w, _ := strings.Cut(c.Threshold, " in ")
		return fmt.Sprintf("%d in %s (busiest window)", c.Count, w)
	case c.Threshold == "judged by the query":
		return fmt.Sprintf("%d %s", c.Count, plural(int(c.Count), "row", "rows"))
	}
	return fmt.Sprintf("%d %s", c.Count, plural(int(c.Count), "match", "matches"))
}
