package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/kudulens/kudulens/pipeline/store"
	klsql "github.com/kudulens/kudulens/sql"
)

// commit is the git commit of the build, set with -ldflags "-X main.commit=..." when the
// build has no VCS stamp (go build -buildvcs=false, a source tarball).
var commit = ""

const versionHelp = `Usage: kudulens version

The same as kudulens --version and kudulens -v. Prints the kudulens version, the git commit it was built from and the embedded DuckDB's
version: what a bug report needs.

Examples:
  kudulens version
  kudulens --version
`

// runVersion prints the version line: kudulens version, commit and the DuckDB it embeds
// (asked of an in-memory database: SELECT version()).
func runVersion(ctx context.Context, args []string, e *env) int {
	fs := newFlagSet("version", versionHelp, e)
	if code := parseFlags(fs, args, e); code >= 0 {
		return code
	}
	fmt.Fprintf(e.stdout, "kudulens %s (commit %s)\n", version, buildCommit())
	s, err := store.Open(ctx, "", store.Options{Threads: 1})
	if err != nil {
		return fatal(e, fmt.Errorf("open DuckDB to read its version: %w", err))
	}
	defer s.Close()
	var v string
	if err := s.DB().QueryRowContext(ctx, "SELECT version()").Scan(&v); err != nil {
		return fatal(e, fmt.Errorf("DuckDB version: %w", err))
	}
	fmt.Fprintf(e.stdout, "DuckDB %s\n", v)
	return exitOK
}

// buildCommit is the commit of the build: -X main.commit, else the Go toolchain's VCS stamp
// (with "+dirty" for uncommitted changes), else "unknown".
func buildCommit() string {
	if commit != "" {
		return commit
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return "unknown"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return rev + dirty
}

// closest is the candidate nearest to s (edit distance at most 2, or a prefix of 3+ letters
// of one), for "did you mean"; "" when none is near.
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if len(s) >= 3 && strings.HasPrefix(c, s) && d > 1 {
			d = 1
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Damerau (optimal string alignment) distance: a swapped pair of letters
// is one typo.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// flagSuggestion is " (did you mean --format?)" for an unknown-flag error of fs, or "".
func flagSuggestion(fs *pflag.FlagSet, err error) string {
	msg := err.Error()
	name, ok := strings.CutPrefix(msg, "unknown flag: --")
	if !ok {
		return ""
	}
	var names []string
	fs.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	if c := closest(name, names); c != "" {
		return fmt.Sprintf("; did you mean --%s?", c)
	}
	return ""
}

// parseAgo reads a duration as --since takes it: Go's (90m, 36h), days (7d, 1.5d) and weeks
// (1w, 2w).
func parseAgo(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(t, "w"); ok {
		f, err := strconv.ParseFloat(n, 64)
		if err != nil || f <= 0 {
			return 0, fmt.Errorf("bad duration %q (e.g. 90m, 36h, 7d, 2w)", s)
		}
		return time.Duration(f * float64(7*24*time.Hour)), nil
	}
	d, err := klsql.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (e.g. 90m, 36h, 7d, 2w)", s)
	}
	return d, nil
}
