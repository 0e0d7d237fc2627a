package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/kudulens/kudulens/internal/escape"
	"github.com/kudulens/kudulens/pipeline/store"
	"github.com/kudulens/kudulens/report"
	klsql "github.com/kudulens/kudulens/sql"
	"github.com/kudulens/kudulens/sql/kql"
)

const diffHelp = `Usage: kudulens diff A B [--checks DIR] [--quiet]

Compares two bundles (or folders, databases written by export --parquet, ...) of one site,
typically before and after a fix: each is read into its own in-memory database and diagnosed,
then diff lists the checks whose status changed (fail → pass: fixed; pass → fail: new), the
exception types B has and A has not, and each job's import-cycle time (median) in A and B.

Exit codes: 0 no check got worse from A to B; 1 a check fails in B that did not in A; 2 usage
error; 3 an input could not be read; 4 the run failed.

Examples:
  kudulens diff before.zip after.zip
  kudulens diff bundles/monday.zip bundles/friday.zip --checks ./our-checks
`

// diffSide is one bundle's diagnosis and what diff compares of it.
type diffSide struct {
	rep        *klsql.Report
	exceptions map[string]int64 // "outer → innermost" → count
}

func runDiff(ctx context.Context, args []string, e *env) int {
	var sf storeFlags
	var checksDir string
	fs := newFlagSet("diff", diffHelp, e)
	sf.register(fs, "")
	fs.StringVar(&checksDir, "checks", "", "a folder of your own .sql checks, added to the catalogue")
	if code := parseFlags(fs, args, e); code >= 0 {
		return code
	}
	if fs.NArg() != 2 {
		fmt.Fprintln(e.stderr, "kudulens diff: give two sources, A (before) and B (after) (see --help)")
		return exitUsage
	}
	checks, err := loadCatalogue(checksDir)
	if err != nil {
		fmt.Fprintf(e.stderr, "kudulens diff: %v\n", err)
		return exitUsage
	}
	code := exitOK
	var sides [2]*diffSide
	for i, src := range fs.Args() {
		side, c := diagnoseForDiff(ctx, src, checks, &sf, e)
		if side == nil {
			return c
		}
		sides[i] = side
		code = max(code, c)
	}
	worse := writeDiff(e.stdout, fs.Arg(0), fs.Arg(1), sides[0], sides[1])
	if worse {
		return exitCheckFailed
	}
	return code
}

// diagnoseForDiff reads src into its own in-memory database and diagnoses it.
func diagnoseForDiff(ctx context.Context, src string, checks []*klsql.Check, sf *storeFlags, e *env) (*diffSide, int) {
	database, code := openOrIngest(ctx, false, []string{src}, sf, e)
	if database == nil {
		return nil, code
	}
	defer database.Close()
	rep, err := klsql.Run(ctx, database.DB(), checks, klsql.Options{KQL: func(q string, now time.Time) (string, error) {
		return kql.Translate(q, kql.Options{Now: now})
	}})
	if err != nil {
		return nil, fatal(e, err)
	}
	side := &diffSide{rep: rep}
	if side.exceptions, err = exceptionTypes(ctx, database); err != nil {
		return nil, fatal(e, err)
	}
	return side, code
}

func exceptionTypes(ctx context.Context, s *store.Store) (map[string]int64, error) {
	rows, err := s.DB().QueryContext(ctx, `SELECT coalesce(outerType, '?') || CASE WHEN innermostType IS NOT NULL
		AND innermostType <> outerType THEN ' → ' || innermostType ELSE '' END AS t, count(*) FROM exceptions GROUP BY 1`)
	if err != nil {
		return nil, fmt.Errorf("exception types: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var t string
		var n int64
		if err := rows.Scan(&t, &n); err != nil {
			return nil, err
		}
		out[t] = n
	}
	return out, rows.Err()
}

// writeDiff writes the comparison; it reports whether B is worse (a check fails in B that did
// not in A).
func writeDiff(w io.Writer, nameA, nameB string, a, b *diffSide) bool {
	t := escape.Terminal
	fmt.Fprintf(w, "A %s: %s\n", t(nameA), t(verdictOf(a.rep)))
	fmt.Fprintf(w, "B %s: %s\n", t(nameB), t(verdictOf(b.rep)))
	statusA := map[string]klsql.Result{}
	for _, c := range a.rep.Checks {
		statusA[c.ID] = c
	}
	var changed []string
	worse := false
	for _, c := range b.rep.Checks {
		before, ok := statusA[c.ID]
		if !ok || before.Status == c.Status {
			continue
		}
		note := ""
		switch {
		case before.Status == klsql.StatusFail && c.Status == klsql.StatusPass:
			note = "  fixed"
		case c.Status == klsql.StatusFail:
			note, worse = "  NEW FAILURE", true
		}
		changed = append(changed, fmt.Sprintf("  %-30s %-8s %s → %s%s", c.ID, c.Severity, before.Status, c.Status, note))
	}
	fmt.Fprintf(w, "\nChecks that changed status (%d)\n", len(changed))
	for _, l := range changed {
		fmt.Fprintln(w, l)
	}
	var newTypes []string
	for typ, n := range b.exceptions {
		if _, ok := a.exceptions[typ]; !ok {
			newTypes = append(newTypes, fmt.Sprintf("  %s (%d)", t(typ), n))
		}
	}
	sort.Strings(newTypes)
	fmt.Fprintf(w, "\nException types in B, not in A (%d)\n", len(newTypes))
	for _, l := range newTypes {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w, "\nImport cycle time, median (A → B)")
	cycles := func(r *klsql.Report) map[string]string {
		m := map[string]string{}
		for _, j := range r.Jobs {
			if j.CycleSeconds != nil {
				m[j.Job] = fmt.Sprintf("%s (%d cycles)", diffSecs(j.CycleSeconds.Median), j.Cycles)
			} else {
				m[j.Job] = "no cycle"
			}
		}
		return m
	}
	ca, cb := cycles(a.rep), cycles(b.rep)
	var jobs []string
	for j := range ca {
		jobs = append(jobs, j)
	}
	for j := range cb {
		if _, ok := ca[j]; !ok {
			jobs = append(jobs, j)
		}
	}
	sort.Strings(jobs)
	for _, j := range jobs {
		x, y := ca[j], cb[j]
		if x == "" {
			x = "no lines"
		}
		if y == "" {
			y = "no lines"
		}
		mark := ""
		if x != y {
			mark = "  changed"
		}
		fmt.Fprintf(w, "  %-26s %s → %s%s\n", t(j), x, y, mark)
	}
	return worse
}

func verdictOf(r *klsql.Report) string {
	v, _, _ := strings.Cut(report.Verdict(r), "\n")
	return v
}

func diffSecs(s float64) string {
	d := time.Duration(s * float64(time.Second)).Round(time.Second)
	return d.String()
}
