package sql

import (
	"fmt"
	"strings"

	"github.com/kudulens/kudulens/parse"
)

// The checks as Azure Data Explorer stored functions (kudulens checks --emit kql). ADX runs
// KQL, not SQL, so a check's query is translated: a query of filters (SELECT ... FROM one
// table WHERE a predicate of comparisons, IN lists, contains, starts_with, regexp_matches and
// signals, or a KQL check's own "table | where ..."), under an any or more-than rule. The
// other checks (CTEs, joins, subqueries, the at-least-one-per and rows rules) are listed as
// not emitted: their SQL has no KQL translation here.
//
// The functions read the lake through kl_lake_<table>() functions over external tables named
// kudulens_<table> (README "Checks on the lake" creates them), and kl_check_results() unions
// one row per site and check, as the SQL scripts do.

func kqlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s) + `"`
}

// sqlLiteral is the value of a SQL string literal token.
func sqlLiteral(t *sqlTok) (string, bool) {
	if t == nil || t.kind != 's' {
		return "", false
	}
	return strings.ReplaceAll(t.text[1:len(t.text)-1], "''", "'"), true
}

// kqlExpr translates a SQL predicate (token tree) into KQL.
func kqlExpr(nodes []*sqlNode) (string, error) {
	var out []string
	for i := 0; i < len(nodes); i++ {
		n := nodes[i]
		if n.isGroup() {
			// ((x) & N) <> 0, the form kl_signal takes
			k := n.kids
			if len(k) == 5 && k[0].isGroup() && k[1].is("&") && k[2].tok != nil && k[2].tok.kind == 'n' && k[3].is("<>") && k[4].tok != nil && k[4].tok.text == "0" {
				x, err := kqlExpr(k[0].kids)
				if err != nil {
					return "", err
				}
				out = append(out, fmt.Sprintf("binary_and(%s, %s) != 0", x, k[2].tok.text))
				continue
			}
			if isSubquery(n) {
				return "", fmt.Errorf("a subquery")
			}
			x, err := kqlExpr(k)
			if err != nil {
				return "", err
			}
			out = append(out, "("+x+")")
			continue
		}
		t := n.tok
		switch t.kind {
		case 's':
			v, _ := sqlLiteral(t)
			out = append(out, kqlString(v))
			continue
		case 'n':
			out = append(out, t.text)
			continue
		case 'p':
			switch t.text {
			case "=":
				out = append(out, "==")
			case "<>", "!=":
				out = append(out, "!=")
			case "<", "<=", ">", ">=", ",":
				out = append(out, t.text)
			default:
				return "", fmt.Errorf("operator %s", t.text)
			}
			continue
		case 'q':
			out = append(out, "['"+strings.Trim(t.text, `"`)+"']")
			continue
		}
		w := n.word()
		call := i+1 < len(nodes) && nodes[i+1].isGroup()
		switch {
		case w == "AND" || w == "OR":
			out = append(out, strings.ToLower(w))
		case w == "IN" && call:
			x, err := kqlExpr(nodes[i+1].kids)
			if err != nil {
				return "", err
			}
			out = append(out, "in ("+x+")")
			i++
		case call && (w == "CONTAINS" || w == "STARTS_WITH" || w == "REGEXP_MATCHES"):
			args := splitTop(nodes[i+1].kids, ",")
			if len(args) < 2 || len(args[1]) != 1 {
				return "", fmt.Errorf("%s with these arguments", strings.ToLower(w))
			}
			lit, ok := sqlLiteral(args[1][0].tok)
			if !ok {
				return "", fmt.Errorf("%s of no literal", strings.ToLower(w))
			}
			subject := args[0]
			op := map[string]string{"CONTAINS": "contains_cs", "STARTS_WITH": "startswith_cs", "REGEXP_MATCHES": "matches regex"}[w]
			// contains(lower(x), 'lit') is KQL's case-insensitive contains
			if w == "CONTAINS" && len(subject) == 2 && subject[0].word() == "LOWER" && subject[1].isGroup() && lit == strings.ToLower(lit) {
				subject, op = subject[1].kids, "contains"
			}
			if w == "REGEXP_MATCHES" && len(args) == 3 {
				if f, ok := sqlLiteral(args[2][0].tok); ok && f == "i" && len(args[2]) == 1 {
					lit = "(?i)" + lit
				} else {
					return "", fmt.Errorf("regexp_matches options")
				}
			} else if len(args) != 2 {
				return "", fmt.Errorf("%s with these arguments", strings.ToLower(w))
			}
			x, err := kqlExpr(subject)
			if err != nil {
				return "", err
			}
			out = append(out, fmt.Sprintf("%s %s %s", x, op, kqlString(lit)))
			i++
		case call && w == "LOWER":
			x, err := kqlExpr(nodes[i+1].kids)
			if err != nil {
				return "", err
			}
			out = append(out, "tolower("+x+")")
			i++
		case call:
			return "", fmt.Errorf("function %s", strings.ToLower(w))
		case w == "IS" && i > 0 && nodes[i-1].isGroup() && i+1 < len(nodes) && nodes[i+1].word() == "TRUE":
			// "(x IN (...)) IS TRUE" (docs/checks.md, "Fast checks"): x where it is true, as a
			// KQL where takes it (a null is not true either)
			i++
		case w == "IS" && i > 0 && nodes[i-1].isGroup() && i+2 < len(nodes) && nodes[i+1].word() == "NOT" && nodes[i+2].word() == "TRUE":
			// "(x) IS NOT TRUE": x is false or null; KQL's not() of a null is null, which a
			// where drops, so the null is made false first
			out[len(out)-1] = "not(coalesce(" + out[len(out)-1] + ", false))"
			i += 2
		case w == "NOT" || w == "IS" || w == "NULL" || w == "CASE" || w == "EXISTS" || w == "LIKE" || w == "ILIKE" || w == "BETWEEN":
			return "", fmt.Errorf("%s", w)
		case t.kind == 'w' && i+1 < len(nodes) && nodes[i+1].is("."):
			i++ // a qualifier: KQL's columns are unqualified
		default:
			out = append(out, "['"+t.text+"']")
		}
	}
	return strings.Join(out, " "), nil
}

// kqlRows returns the KQL of a check's matches, (site, t), or why it cannot.
func kqlRows(c *Check, signals map[string]uint32) (string, error) {
	if c.Rule.Kind != RuleAny && c.Rule.Kind != RuleMoreThan {
		return "", fmt.Errorf("its rule (%s) is emitted as SQL only", c.Rule.Kind)
	}
	if c.Lang == "kql" {
		// the guide's KQL: "table | where ..." over a lake table
		q := strings.TrimSpace(c.Query)
		first, rest, _ := strings.Cut(q, "\n")
		first = strings.TrimSpace(first)
		if _, ok := liftTables[strings.ToLower(first)]; !ok || strings.HasPrefix(first, "kl_") {
			return "", fmt.Errorf("a KQL query that does not start with a table")
		}
		for _, op := range []string{"join", "union", "lookup", "ago(", "now(", "let "} {
			if strings.Contains(rest, op) {
				return "", fmt.Errorf("a KQL query with %s", strings.TrimSuffix(op, "("))
			}
		}
		return "kl_lake_" + first + "()\n    " + strings.ReplaceAll(strings.TrimSpace(rest), "\n", "\n    ") +
			"\n    | project site = export_site, t = ['timestamp']", nil
	}
	nodes, err := parseSQLTree(c.Query)
	if err != nil {
		return "", err
	}
	// signals as the message predicates they stand for: ADX has no bit test the translator
	// back to DuckDB reads, and the predicate holds for rows exported without signals too
	l := &lifter{signals: signals, signalPredicates: true}
	if nodes, err = l.replaceSignals(nodes); err != nil {
		return "", err
	}
	var parts []string
	for _, core := range splitTop(nodes, "UNION") {
		if len(core) > 0 && core[0].word() == "ALL" {
			core = core[1:]
		}
		if len(core) == 0 || core[0].word() != "SELECT" {
			return "", fmt.Errorf("a query that is not SELECTs of one table")
		}
		from, where := -1, -1
		for i := range core {
			if isClauseAt(core, i) {
				switch core[i].word() {
				case "FROM":
					from = i
				case "WHERE":
					where = i
				default:
					return "", fmt.Errorf("a %s clause", core[i].word())
				}
			}
		}
		if from < 0 || where < from+2 || where > from+3 {
			return "", fmt.Errorf("a query that is not SELECT ... FROM one table WHERE ...")
		}
		table := strings.ToLower(core[from+1].word())
		if _, ok := liftTables[table]; !ok || strings.HasPrefix(table, "kl_") {
			return "", fmt.Errorf("a query over %s", core[from+1].tok.text)
		}
		pred, err := kqlExpr(core[where+1:])
		if err != nil {
			return "", fmt.Errorf("a predicate KQL is not told (%v)", err)
		}
		name := core[from+1].tok.text
		if strings.EqualFold(name, "customevents") {
			name = "customEvents"
		}
		parts = append(parts, fmt.Sprintf("kl_lake_%s() | where %s | project site = export_site, t = ['timestamp']", name, pred))
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	// a union's operands with pipes are parenthesized: the pipes after the union apply to it
	return "union (" + strings.Join(parts, "),\n    (") + ")", nil
}

// kqlRule is a check's function body from its matches.
func kqlRule(c *Check, rows string) string {
	id := kqlString(c.ID)
	head := "let r = materialize(" + rows + "\n    | join kind=inner kl_eval() on site | where t <= at | project site, t);\n"
	if c.Rule.Kind == RuleAny {
		return head + `let a = r | summarize n = count(), f = min(t), l = max(t) by site;
kl_sites() | join kind=leftouter a on site
| project site, ['check'] = ` + id + `, status = iff(n > 0, "fail", "pass"), ['count'] = coalesce(n, 0), first_seen = f, last_seen = l`
	}
	n := c.Rule.Threshold
	w := kqlTimespan(c.Rule.Window.Microseconds())
	return head + fmt.Sprintf(`// each distinct time: the matches from it up to the window later (the first of equal times
// counts them all, as the runner's first row of them does)
let win = r | summarize by site, t
    | join kind=inner (r | project site, t2 = t) on site
    | where t2 >= t and t2 < t + %[1]s
    | summarize cnt = count(), l = max(t2), ts = make_list(t2) by site, t
    | extend nth = todatetime(array_sort_asc(ts)[%[2]d]);
let a = win | summarize best = max(cnt), fired = minif(nth, cnt > %[2]d), lastfire = maxif(l, cnt > %[2]d) by site;
let whole = r | summarize f = min(t), l = max(t) by site;
kl_sites() | join kind=leftouter a on site | join kind=leftouter whole on site
| project site, ['check'] = %[3]s, status = iff(isnotnull(fired), "fail", "pass"), ['count'] = coalesce(best, 0),
    first_seen = iff(isnotnull(fired), fired, f), last_seen = iff(isnotnull(fired), lastfire, l)`, w, n, id)
}

// kqlTimespan writes microseconds as a KQL timespan literal.
func kqlTimespan(us int64) string {
	switch {
	case us%3600_000_000 == 0:
		return fmt.Sprintf("%dh", us/3600_000_000)
	case us%60_000_000 == 0:
		return fmt.Sprintf("%dm", us/60_000_000)
	case us%1_000_000 == 0:
		return fmt.Sprintf("%ds", us/1_000_000)
	}
	return fmt.Sprintf("%dms", us/1000)
}

// EmitKQL writes the checks as ADX management commands: one .create-or-alter function per
// lake table, per check and for kl_check_results, separated by blank lines (run them one by
// one, or as a script).
func EmitKQL(checks []*Check, o EmitOptions) (*Emitted, error) {
	signals := map[string]uint32{}
	for i, n := range parse.SignalNames() {
		signals[n] = 1 << i
	}
	var b strings.Builder
	fmt.Fprintf(&b, "// kudulens checks as Azure Data Explorer functions over the Parquet lake %s\n", o.Lake)
	b.WriteString("// Generated by kudulens checks --emit kql from the check files; see docs/checks.md. The\n")
	b.WriteString("// functions read external tables kudulens_<table> over the lake's table=<table> folders,\n")
	b.WriteString("// created first when the lake's URL is given (--lake).\n\n")
	fn := func(name, doc, body string) {
		fmt.Fprintf(&b, ".create-or-alter function with (folder = \"kudulens\", docstring = %s) %s() {\n%s\n}\n\n",
			kqlString(doc), name, body)
	}
	if o.Lake != "" && len(o.Schema) > 0 {
		// the external tables over the lake's folders: the columns of the files (date and job
		// are in them too); the caller's identity reads the storage (;impersonate)
		for _, t := range lakeTableNames {
			var cols []string
			for _, c := range o.Schema[t] {
				name, typ, _ := strings.Cut(c, " ")
				cols = append(cols, "['"+name+"']:"+adxType(typ))
			}
			if len(cols) == 0 {
				return nil, fmt.Errorf("no schema for table %s", t)
			}
			fmt.Fprintf(&b, ".create-or-alter external table kudulens_%s (%s)\nkind = storage\ndataformat = parquet\n(h@'%s/table=%s;impersonate')\nwith (fileExtension = '.parquet')\n\n",
				t, strings.Join(cols, ", "), strings.ReplaceAll(strings.TrimRight(o.Lake, "/"), "'", "%27"), t)
		}
	}
	for _, t := range lakeTableNames {
		fn("kl_lake_"+t, "the lake's "+t+" table", "    external_table(\"kudulens_"+t+"\")")
	}
	fn("kl_sites", "the sites of the lake", "    union (kl_lake_files() | distinct export_site), (kl_lake_traces() | distinct export_site)\n    | distinct site = export_site")
	fn("kl_eval", "each site's evaluation time: its latest line or file time", `    union (kl_lake_traces() | summarize at = max(['timestamp']) by site = export_site),
          (kl_lake_files() | summarize at = max(last_ts) by site = export_site)
    | summarize at = max(at) by site`)
	em := &Emitted{NotEmitted: map[string]string{}}
	var results []string
	for _, c := range checks {
		rows, err := kqlRows(c, signals)
		if err != nil {
			em.NotEmitted[c.ID] = "not emitted as KQL: " + err.Error()
			continue
		}
		name := viewName("kl_check_", c.ID)
		fn(name, c.Title+" ("+c.Rule.String()+")", kqlRule(c, rows))
		em.Emitted = append(em.Emitted, c.ID)
		results = append(results, name+"()")
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("no check could be emitted as KQL")
	}
	// a site without a line is judged on nothing: what would pass is unknown (as diagnose)
	fn("kl_check_results", "one row per site and check", "    union "+strings.Join(results, ", ")+`
    | join kind=leftouter (kl_lake_traces() | summarize lines = count() by site = export_site) on site
    | project site, ['check'], status = iff(isnull(lines) and status in ("pass", "unknown"), "unknown", status),
        ['count'], first_seen, last_seen`)
	if len(em.NotEmitted) > 0 {
		writeNotEmitted(&b, em.NotEmitted, "//", "these functions do not")
	}
	em.SQL = b.String()
	return em, nil
}

// adxType is the ADX type of a lake column's DuckDB type.
func adxType(duck string) string {
	switch t := strings.ToUpper(duck); {
	case strings.HasPrefix(t, "TIMESTAMP"), t == "DATE":
		return "datetime"
	case t == "BIGINT" || t == "UINTEGER" || t == "UBIGINT" || t == "HUGEINT":
		return "long"
	case t == "INTEGER" || t == "SMALLINT" || t == "TINYINT":
		return "int"
	case t == "BOOLEAN":
		return "bool"
	case t == "DOUBLE" || t == "FLOAT" || strings.HasPrefix(t, "DECIMAL"):
		return "real"
	}
	return "string"
}
