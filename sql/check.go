package sql

import (
	"bufio"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Check is one diagnostic: a query over the tables and a rule that turns its rows into a
// status. Checks are .sql files (or .kql files, with // comments) whose leading comment lines
// hold the metadata:
//
//	-- id: sql-database-read-only
//	-- title: SQL database is read-only
//	-- severity: error
//	-- rule: more-than 2 in 10m
//	-- jobs: AppInsightsImporter, Office365ActivityImporter
//	-- covered-by: appinsights-request, no-new-hits   (at-least-one-per; optional)
//	-- guide: exceptions | where outerMessage contains "because the database is read-only"
//	-- advice: Scale the database up or out of read-only mode ...
//	--   (an indented comment line continues the key above)
//	SELECT timestamp, job, source_file AS file, line_no AS line, outerMessage AS message
//	FROM exceptions WHERE outerMessage ILIKE '%because the database is read-only%'
//
// Rules and the columns their query returns:
//
//	more-than N in W   rows are matches (timestamp, job, file, line, message); fails when any
//	                   sliding window of length W holds more than N of them
//	any                fails when there is at least one match
//	at-least-one-per W rows are heartbeats; fails when the logs cover a stretch of W or more
//	                   without one, unknown when they cannot show it. Optional columns:
//	                   grp (judge each group on its own), window (per-group W), skip_reason
//	                   (a row with it skips its group), covered_by (per-group covered-by),
//	                   and a row with a NULL timestamp declares a group that may have no
//	                   heartbeat at all. covered-by names the templates (traces.template)
//	                   whose lines show the job got far enough to print the heartbeat: the
//	                   logs cover the check only around them (gaps shorter than W joined),
//	                   so a job that never got that far is unknown, not a failure.
//	rows               the query judges itself: each row has status (pass|fail|unknown|skipped)
//	                   and message, plus evidence columns
type Check struct {
	ID       string
	Title    string
	Severity Severity
	Rule     Rule
	Jobs     []string // whose console output the check reads (for coverage)
	// CoveredBy lists templates whose lines show the job got far enough to print the
	// heartbeat (at-least-one-per); empty means the job being alive is enough.
	CoveredBy []string
	Guide     string // the monitoring guide's original KQL or rule, for reference
	Advice    string
	Query     string
	Lang      string // "sql" (DuckDB SQL) or "kql" (translated at run time, see Options.KQL)
	File      string // where it was loaded from ("checks/x.sql" for built-ins)
}

// Severity of a check.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Rank orders severities: error 3, warning 2, info 1.
func (s Severity) Rank() int {
	switch s {
	case SeverityError:
		return 3
	case SeverityWarning:
		return 2
	case SeverityInfo:
		return 1
	}
	return 0
}

// SeverityFromString parses a severity name.
func SeverityFromString(s string) (Severity, error) {
	switch v := Severity(strings.ToLower(strings.TrimSpace(s))); v {
	case SeverityError, SeverityWarning, SeverityInfo:
		return v, nil
	}
	return "", fmt.Errorf("unknown severity %q (want error, warning or info)", s)
}

// RuleKind is the kind of a check's rule.
type RuleKind string

const (
	RuleMoreThan      RuleKind = "more-than"
	RuleAny           RuleKind = "any"
	RuleAtLeastOnePer RuleKind = "at-least-one-per"
	RuleRows          RuleKind = "rows"
)

// Rule is how a check's rows become a status.
type Rule struct {
	Kind      RuleKind
	Threshold int64         // more-than: fails above this count
	Window    time.Duration // more-than, at-least-one-per
}

// String renders the rule as written in check files.
func (r Rule) String() string {
	switch r.Kind {
	case RuleMoreThan:
		return fmt.Sprintf("more-than %d in %s", r.Threshold, FormatDuration(r.Window))
	case RuleAtLeastOnePer:
		return "at-least-one-per " + FormatDuration(r.Window)
	}
	return string(r.Kind)
}

// Threshold renders the rule the way the guide's alert tables state it.
func (r Rule) ThresholdText() string {
	switch r.Kind {
	case RuleMoreThan:
		return fmt.Sprintf("> %d in %s", r.Threshold, FormatDuration(r.Window))
	case RuleAtLeastOnePer:
		return fmt.Sprintf(">= 1 per %s", FormatDuration(r.Window))
	case RuleAny:
		return "> 0"
	}
	return "judged by the query"
}

var ruleRe = regexp.MustCompile(`^(more-than)\s+(\d+)\s+in\s+(\S+)$|^(at-least-one-per)\s+(\S+)$|^(any)$|^(rows)$`)

// ParseRule parses a rule as written in a check header.
func ParseRule(s string) (Rule, error) {
	m := ruleRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Rule{}, fmt.Errorf("bad rule %q (want 'more-than N in DURATION', 'at-least-one-per DURATION', 'any' or 'rows')", s)
	}
	switch {
	case m[1] != "":
		n, _ := strconv.ParseInt(m[2], 10, 64)
		w, err := ParseDuration(m[3])
		if err != nil {
			return Rule{}, err
		}
		return Rule{Kind: RuleMoreThan, Threshold: n, Window: w}, nil
	case m[4] != "":
		w, err := ParseDuration(m[5])
		if err != nil {
			return Rule{}, err
		}
		return Rule{Kind: RuleAtLeastOnePer, Window: w}, nil
	case m[6] != "":
		return Rule{Kind: RuleAny}, nil
	}
	return Rule{Kind: RuleRows}, nil
}

// ParseDuration parses durations as checks and flags write them: 90s, 10m, 1h, 1.5h, 2d.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "d") {
		f, err := strconv.ParseFloat(strings.TrimSuffix(s, "d"), 64)
		if err != nil || f <= 0 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		return time.Duration(f * float64(24*time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("bad duration %q (e.g. 10m, 1h, 2d)", s)
	}
	return d, nil
}

// FormatDuration writes d the short way: 10m, 1h, 24h, 2d30m.
func FormatDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0 && d >= 72*time.Hour:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// CheckError is a problem in a check file, with its line (1-based).
type CheckError struct {
	File string
	Line int
	Err  error
}

func (e *CheckError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *CheckError) Unwrap() error { return e.Err }

var idRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// ParseCheck reads one check file. A .kql file holds a KQL query and writes its header
// with // comments; a .sql file holds DuckDB SQL and writes it with -- comments.
func ParseCheck(file, text string) (*Check, error) {
	c := &Check{File: file, Lang: "sql"}
	comment := "--"
	if strings.EqualFold(filepath.Ext(file), ".kql") {
		c.Lang, comment = "kql", "//"
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var key string
	var body strings.Builder
	inHeader := true
	lineNo := 0
	seen := map[string]bool{}
	fail := func(format string, args ...any) error {
		return &CheckError{File: file, Line: lineNo, Err: fmt.Errorf(format, args...)}
	}
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), "\r")
		if inHeader && strings.HasPrefix(line, comment) {
			rest := strings.TrimPrefix(line, comment)
			if strings.HasPrefix(rest, "   ") && key != "" { // continuation of the key above
				c.appendKey(key, strings.TrimSpace(rest))
				continue
			}
			rest = strings.TrimSpace(rest)
			if rest == "" {
				key = ""
				continue
			}
			k, v, ok := strings.Cut(rest, ":")
			if !ok {
				return nil, fail("header line is not 'key: value': %q", rest)
			}
			key = strings.ToLower(strings.TrimSpace(k))
			v = strings.TrimSpace(v)
			if seen[key] {
				return nil, fail("key %q given twice", key)
			}
			seen[key] = true
			switch key {
			case "id":
				if !idRe.MatchString(v) {
					return nil, fail("id %q: use lower-case letters, digits and '-'", v)
				}
				c.ID = v
			case "title":
				c.Title = v
			case "severity":
				sev, err := SeverityFromString(v)
				if err != nil {
					return nil, fail("%v", err)
				}
				c.Severity = sev
			case "rule":
				r, err := ParseRule(v)
				if err != nil {
					return nil, fail("%v", err)
				}
				c.Rule = r
			case "jobs":
				for _, j := range strings.Split(v, ",") {
					if j = strings.TrimSpace(j); j != "" {
						c.Jobs = append(c.Jobs, j)
					}
				}
			case "covered-by":
				ids, err := parseTemplateList(v)
				if err != nil {
					return nil, fail("%v", err)
				}
				c.CoveredBy = ids
			case "guide", "advice":
				c.appendKey(key, v)
			default:
				return nil, fail("unknown key %q (want id, title, severity, rule, jobs, covered-by, guide, advice)", key)
			}
			continue
		}
		inHeader = false
		body.WriteString(line)
		body.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, &CheckError{File: file, Line: lineNo, Err: err}
	}
	c.Query = strings.TrimSpace(body.String())
	lineNo = 1
	switch {
	case c.ID == "":
		return nil, fail("missing 'id'")
	case c.Title == "":
		return nil, fail("missing 'title'")
	case c.Severity == "":
		return nil, fail("missing 'severity'")
	case c.Rule.Kind == "":
		return nil, fail("missing 'rule'")
	case c.Query == "":
		return nil, fail("no query after the header")
	}
	return c, nil
}

// parseTemplateList reads a comma-separated list of template ids.
func parseTemplateList(v string) ([]string, error) {
	var ids []string
	for _, id := range strings.Split(v, ",") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		if !idRe.MatchString(id) {
			return nil, fmt.Errorf("covered-by: %q is not a template id", id)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (c *Check) appendKey(key, v string) {
	switch key {
	case "guide":
		if c.Guide != "" {
			c.Guide += "\n"
		}
		c.Guide += v
	case "advice":
		if c.Advice != "" && v != "" {
			c.Advice += " "
		}
		c.Advice += v
	case "title":
		c.Title += " " + v
	}
}

//go:embed checks/*.sql checks/*.kql
var builtinChecks embed.FS

// BuiltinChecks returns the catalogue of checks shipped with kudulens, sorted by id.
func BuiltinChecks() ([]*Check, error) {
	return loadFS(builtinChecks, "checks")
}

// LoadChecks reads the .sql and .kql checks of a directory (a user's own, in the same format).
func LoadChecks(dir string) ([]*Check, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("checks %s: %w", dir, err)
	}
	return loadFS(os.DirFS(dir), ".", dir)
}

func loadFS(fsys fs.FS, dir string, display ...string) ([]*Check, error) {
	names, err := fs.Glob(fsys, filepath.ToSlash(filepath.Join(dir, "*.sql")))
	if err != nil {
		return nil, err
	}
	kqls, err := fs.Glob(fsys, filepath.ToSlash(filepath.Join(dir, "*.kql")))
	if err != nil {
		return nil, err
	}
	names = append(names, kqls...)
	sort.Strings(names)
	var out []*Check
	var errs []error
	ids := map[string]string{}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		shown := n
		if len(display) > 0 {
			shown = filepath.Join(display[0], filepath.Base(n))
		}
		c, err := ParseCheck(shown, string(b))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := ids[c.ID]; dup {
			errs = append(errs, &CheckError{File: shown, Line: 1, Err: fmt.Errorf("id %q already used by %s", c.ID, prev)})
			continue
		}
		ids[c.ID] = shown
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, errors.Join(errs...)
}

// MergeChecks adds user checks to the catalogue; a user check with a built-in's id replaces it.
func MergeChecks(builtin, user []*Check) []*Check {
	byID := map[string]*Check{}
	for _, c := range builtin {
		byID[c.ID] = c
	}
	for _, c := range user {
		byID[c.ID] = c
	}
	out := make([]*Check, 0, len(byID))
	for _, c := range byID {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
