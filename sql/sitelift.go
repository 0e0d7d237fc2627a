package sql

import (
	"fmt"
	"strings"

	"github.com/kudulens/kudulens/parse"
)

// Site lifting: a check's query is written for one site's database (every table holds one
// site). The lake holds many sites in one table each, told apart by export_site. liftQuery
// rewrites a query so that it computes, in one set-based statement, what the query computes
// on each site's database on its own:
//
//   - a table reference becomes the lake's table (kl_lake_<table>), aliased as before;
//   - every SELECT that produces rows for an outer query (the query itself, its CTEs, its
//     derived tables) returns export_site as its last column, groups by it when it
//     aggregates, partitions its window functions by it, and joins its site-carrying inputs on
//     it (a SELECT without a site-carrying input is crossed with kl_sites, one row per site);
//   - a subquery used as a value (scalar, EXISTS, IN) is correlated on export_site with the
//     SELECT around it instead;
//   - ORDER BY ... LIMIT n in a lifted SELECT keeps the first n rows of each site;
//   - kl_signal(s, 'name') becomes the bit test it stands for (no macro needed).
//
// It works on tokens and parentheses, not on a full grammar: the subset of DuckDB SQL the
// checks use. What it cannot place (a construct it does not know) is an error, and the check
// is listed as not emitted.

// sqlTok is one token with the whitespace and comments before it.
type sqlTok struct {
	pre  string
	text string
	kind byte // 'w' word, 'q' quoted identifier, 's' string, 'n' number, 'p' punctuation
}

// sqlNode is a token or a parenthesised group of nodes.
type sqlNode struct {
	tok         *sqlTok
	kids        []*sqlNode // for a group
	open, close *sqlTok
}

func (n *sqlNode) isGroup() bool { return n.tok == nil }

// word is the upper-cased text of a word token, "" otherwise.
func (n *sqlNode) word() string {
	if n == nil || n.tok == nil || n.tok.kind != 'w' {
		return ""
	}
	return strings.ToUpper(n.tok.text)
}

func (n *sqlNode) is(text string) bool {
	return n != nil && n.tok != nil && (n.tok.kind == 'p' && n.tok.text == text || n.word() == text)
}

func tokenizeSQL(s string) ([]*sqlTok, error) {
	var toks []*sqlTok
	i := 0
	pre := 0
	isWord := func(c byte) bool {
		return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
	}
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
			continue
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("unterminated comment")
			}
			i += end + 4
			continue
		}
		start := i
		var kind byte
		switch {
		case c == '\'' || c == '"':
			kind = 's'
			if c == '"' {
				kind = 'q'
			}
			i++
			for {
				if i >= len(s) {
					return nil, fmt.Errorf("unterminated quote at byte %d", start)
				}
				if s[i] == c {
					if i+1 < len(s) && s[i+1] == c {
						i += 2
						continue
					}
					i++
					break
				}
				i++
			}
		case c >= '0' && c <= '9':
			kind = 'n'
			for i < len(s) && (isWord(s[i]) || s[i] == '.') {
				i++
			}
		case isWord(c):
			kind = 'w'
			for i < len(s) && isWord(s[i]) {
				i++
			}
		default:
			kind = 'p'
			i++
			if i < len(s) {
				two := s[start : i+1]
				switch two {
				case "<=", ">=", "<>", "!=", "||", "::", "->", "=>":
					i++
				}
			}
		}
		toks = append(toks, &sqlTok{pre: s[pre:start], text: s[start:i], kind: kind})
		pre = i
	}
	if pre < len(s) {
		toks = append(toks, &sqlTok{pre: s[pre:], kind: 'e'})
	}
	return toks, nil
}

// treeSQL groups tokens by parentheses.
func treeSQL(toks []*sqlTok) ([]*sqlNode, error) {
	var stack [][]*sqlNode
	var opens []*sqlTok
	cur := []*sqlNode{}
	for _, t := range toks {
		switch {
		case t.kind == 'p' && t.text == "(":
			stack = append(stack, cur)
			opens = append(opens, t)
			cur = []*sqlNode{}
		case t.kind == 'p' && t.text == ")":
			if len(stack) == 0 {
				return nil, fmt.Errorf("unbalanced ')'")
			}
			g := &sqlNode{kids: cur, open: opens[len(opens)-1], close: t}
			cur = append(stack[len(stack)-1], g)
			stack, opens = stack[:len(stack)-1], opens[:len(opens)-1]
		default:
			cur = append(cur, &sqlNode{tok: t})
		}
	}
	if len(stack) != 0 {
		return nil, fmt.Errorf("unbalanced '('")
	}
	return cur, nil
}

func renderSQL(b *strings.Builder, nodes []*sqlNode) {
	for _, n := range nodes {
		if n.isGroup() {
			b.WriteString(n.open.pre)
			b.WriteString("(")
			renderSQL(b, n.kids)
			b.WriteString(n.close.pre)
			b.WriteString(")")
			continue
		}
		b.WriteString(n.tok.pre)
		b.WriteString(n.tok.text)
	}
}

// frag parses a piece of SQL this file inserts into a query.
func frag(s string) []*sqlNode {
	toks, err := tokenizeSQL(s)
	if err != nil {
		panic(fmt.Sprintf("frag %q: %v", s, err)) // a bug in this file, not bad input
	}
	if len(toks) > 0 && toks[0].pre == "" {
		toks[0].pre = " "
	}
	n, err := treeSQL(toks)
	if err != nil {
		panic(fmt.Sprintf("frag %q: %v", s, err))
	}
	return n
}

func paren(kids []*sqlNode) *sqlNode {
	return &sqlNode{kids: kids, open: &sqlTok{pre: " ", text: "(", kind: 'p'}, close: &sqlTok{text: ")", kind: 'p'}}
}

// lakeTables are the tables a check may read, and what each becomes in the lake: every one
// has export_site. kl_eval and kl_capped are the runner's temp tables, defined per site by
// the emitted preamble.
var liftTables = map[string]string{
	"traces": "kl_lake_traces", "exceptions": "kl_lake_exceptions", "customevents": "kl_lake_customEvents",
	"rejects": "kl_lake_rejects", "job_status": "kl_lake_job_status", "files": "kl_lake_files",
	"kl_eval": "kl_eval", "kl_capped": "kl_capped",
}

var aggregateFuncs = map[string]bool{
	"COUNT": true, "SUM": true, "MIN": true, "MAX": true, "AVG": true, "ARG_MAX": true, "ARG_MIN": true,
	"MAX_BY": true, "MIN_BY": true, "FIRST": true, "LAST": true, "LIST": true, "ARRAY_AGG": true,
	"BOOL_OR": true, "BOOL_AND": true, "STRING_AGG": true, "ANY_VALUE": true, "COUNT_IF": true,
}

// clause keywords that end a FROM list or a select list
var clauseWords = map[string]bool{
	"FROM": true, "WHERE": true, "GROUP": true, "HAVING": true, "QUALIFY": true, "WINDOW": true,
	"ORDER": true, "LIMIT": true, "OFFSET": true, "UNION": true, "EXCEPT": true, "INTERSECT": true,
}

type lifter struct {
	spark bool // write what Spark SQL can decorrelate (scalar subqueries aggregated)
	// signalPredicates replaces kl_signal by the message predicate it stands for, not the bit
	signalPredicates bool
	ctes             map[string]bool // CTE name (lower) → carries export_site
	signals          map[string]uint32
	n                int
}

func (l *lifter) fresh(prefix string) string {
	l.n++
	return fmt.Sprintf("%s%d", prefix, l.n)
}

// parseSQLTree tokenizes query and nests its tokens by parentheses.
func parseSQLTree(query string) ([]*sqlNode, error) {
	toks, err := tokenizeSQL(query)
	if err != nil {
		return nil, err
	}
	return treeSQL(toks)
}

// LiftQuery rewrites a one-site query into its all-sites form (see the comment at the top).
func liftQuery(query string, signals map[string]uint32, spark bool) (string, error) {
	nodes, err := parseSQLTree(query)
	if err != nil {
		return "", err
	}
	l := &lifter{ctes: map[string]bool{}, signals: signals, spark: spark}
	if nodes, err = l.replaceSignals(nodes); err != nil {
		return "", err
	}
	out, _, err := l.query(nodes, "", true, false)
	if err != nil {
		return "", err
	}
	if spark {
		if out, err = sparkify(out); err != nil {
			return "", fmt.Errorf("for Spark SQL: %w", err)
		}
	}
	var b strings.Builder
	renderSQL(&b, out)
	return strings.TrimSpace(b.String()), nil
}

// replaceSignals turns kl_signal(x, 'name') into ((x) & bit) <> 0, everywhere.
func (l *lifter) replaceSignals(nodes []*sqlNode) ([]*sqlNode, error) {
	var out []*sqlNode
	for i := 0; i < len(nodes); i++ {
		n := nodes[i]
		if n.isGroup() {
			kids, err := l.replaceSignals(n.kids)
			if err != nil {
				return nil, err
			}
			n.kids = kids
			out = append(out, n)
			continue
		}
		if n.word() == "KL_SIGNAL" && i+1 < len(nodes) && nodes[i+1].isGroup() {
			args := splitTop(nodes[i+1].kids, ",")
			if len(args) != 2 || len(args[1]) != 1 || args[1][0].tok == nil || args[1][0].tok.kind != 's' {
				return nil, fmt.Errorf("kl_signal: want kl_signal(column, 'name')")
			}
			name := strings.ReplaceAll(strings.Trim(args[1][0].tok.text, "'"), "''", "'")
			bit, ok := l.signals[name]
			if !ok {
				return nil, fmt.Errorf("kl_signal: unknown signal %q", name)
			}
			if l.signalPredicates {
				// the predicate on the message the bit stands for (sql/signals.go)
				g := paren(frag(signalSQL[parse.Signal(bit)]))
				g.open.pre = n.tok.pre
				out = append(out, g)
				i++
				continue
			}
			x, err := l.replaceSignals(args[0])
			if err != nil {
				return nil, err
			}
			g := paren(append(append([]*sqlNode{paren(x)}, frag(fmt.Sprintf("& %d", bit))...), frag("<> 0")...))
			g.open.pre = n.tok.pre
			out = append(out, g)
			i++
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

// splitTop splits nodes at top-level separators (a punctuation or a keyword).
func splitTop(nodes []*sqlNode, sep string) [][]*sqlNode {
	var out [][]*sqlNode
	cur := []*sqlNode{}
	for _, n := range nodes {
		if n.is(sep) {
			out = append(out, cur)
			cur = []*sqlNode{}
			continue
		}
		cur = append(cur, n)
	}
	return append(out, cur)
}

func isSubquery(g *sqlNode) bool {
	if !g.isGroup() || len(g.kids) == 0 {
		return false
	}
	switch g.kids[0].word() {
	case "SELECT", "WITH", "VALUES", "FROM":
		return true
	}
	return len(g.kids) == 1 && g.kids[0].isGroup() && isSubquery(g.kids[0])
}

// query lifts a whole query (WITH, cores joined by UNION, trailing ORDER BY/LIMIT). outer is
// the export_site expression of the SELECT around a value subquery ("" for a lifted query).
// It returns the new nodes and whether the result carries export_site.
func (l *lifter) query(nodes []*sqlNode, outer string, lifted, constOK bool) ([]*sqlNode, bool, error) {
	var out []*sqlNode
	i := 0
	if len(nodes) > 0 && nodes[0].word() == "WITH" {
		if !lifted {
			return nil, false, fmt.Errorf("WITH inside a value subquery")
		}
		out = append(out, nodes[0])
		i = 1
		if i < len(nodes) && nodes[i].word() == "RECURSIVE" {
			return nil, false, fmt.Errorf("WITH RECURSIVE")
		}
		for {
			// name [(cols)] AS [NOT] [MATERIALIZED] (query)
			if i >= len(nodes) || nodes[i].tok == nil {
				return nil, false, fmt.Errorf("bad WITH clause")
			}
			name := strings.ToLower(strings.Trim(nodes[i].tok.text, `"`))
			out = append(out, nodes[i])
			i++
			for i < len(nodes) && !(nodes[i].isGroup() && (nodes[i-1].word() == "AS" || nodes[i-1].word() == "MATERIALIZED")) {
				out = append(out, nodes[i])
				i++
			}
			if i >= len(nodes) {
				return nil, false, fmt.Errorf("bad WITH clause near %s", name)
			}
			body, site, err := l.query(nodes[i].kids, "", true, true)
			if err != nil {
				return nil, false, fmt.Errorf("%s: %w", name, err)
			}
			nodes[i].kids = body
			l.ctes[name] = site
			out = append(out, nodes[i])
			i++
			if i < len(nodes) && nodes[i].is(",") {
				out = append(out, nodes[i])
				i++
				continue
			}
			break
		}
	}
	rest := nodes[i:]
	// split into cores at top-level UNION/EXCEPT/INTERSECT; a trailing ORDER BY / LIMIT after
	// the last core of a union applies to the union (none of the checks has one)
	var cores [][]*sqlNode
	var seps [][]*sqlNode
	cur := []*sqlNode{}
	for j := 0; j < len(rest); j++ {
		w := rest[j].word()
		if w == "UNION" || w == "EXCEPT" || w == "INTERSECT" {
			sep := []*sqlNode{rest[j]}
			for j+1 < len(rest) && (rest[j+1].word() == "ALL" || rest[j+1].word() == "DISTINCT" || rest[j+1].word() == "BY" || rest[j+1].word() == "NAME") {
				j++
				sep = append(sep, rest[j])
			}
			cores = append(cores, cur)
			seps = append(seps, sep)
			cur = []*sqlNode{}
			continue
		}
		cur = append(cur, rest[j])
	}
	cores = append(cores, cur)
	// a union is site-carrying when any core is; the others are then crossed with kl_sites
	carried := make([]bool, len(cores))
	anySite := false
	for k, c := range cores {
		carried[k] = l.coreHasSite(c)
		anySite = anySite || carried[k]
	}
	if lifted && !anySite && constOK {
		// a constant query (VALUES, or SELECTs of constant CTEs): left as it is
		for k, c := range cores {
			if k > 0 {
				out = append(out, seps[k-1]...)
			}
			out = append(out, c...)
		}
		return out, false, nil
	}
	for k, c := range cores {
		if k > 0 {
			out = append(out, seps[k-1]...)
		}
		nc, err := l.core(c, outer, lifted)
		if err != nil {
			return nil, false, err
		}
		out = append(out, nc...)
	}
	return out, lifted || anySite, nil
}

// coreHasSite reports whether a core reads a site-carrying table, CTE or subquery anywhere.
func (l *lifter) coreHasSite(nodes []*sqlNode) bool {
	for i, n := range nodes {
		if n.isGroup() {
			if l.coreHasSite(n.kids) {
				return true
			}
			continue
		}
		if n.tok.kind != 'w' && n.tok.kind != 'q' {
			continue
		}
		name := strings.ToLower(strings.Trim(n.tok.text, `"`))
		if i > 0 && (nodes[i-1].word() == "FROM" || nodes[i-1].word() == "JOIN" || nodes[i-1].is(",")) {
			if _, ok := liftTables[name]; ok && !l.isCTE(name) {
				return true
			}
			if l.ctes[name] {
				return true
			}
		}
	}
	return false
}

func (l *lifter) isCTE(name string) bool { _, ok := l.ctes[name]; return ok }

// fromItem is one relation of a FROM list.
type fromItem struct {
	nodes  []*sqlNode // the relation and its alias, as rewritten
	alias  string     // the name its columns are qualified with
	site   bool       // carries export_site
	join   []*sqlNode // the join keywords before it ("," for a comma join, nil for the first)
	on     []*sqlNode // the ON expression (without ON), nil if none
	using  *sqlNode   // the USING group, nil if none
	isLeft bool
}

// core lifts one SELECT (or VALUES) of a query.
func (l *lifter) core(nodes []*sqlNode, outer string, lifted bool) ([]*sqlNode, error) {
	if len(nodes) == 0 {
		return nil, fmt.Errorf("empty SELECT")
	}
	if nodes[0].isGroup() && len(nodes) == 1 {
		body, _, err := l.query(nodes[0].kids, outer, lifted, false)
		nodes[0].kids = body
		return nodes, err
	}
	if nodes[0].word() != "SELECT" {
		return nil, fmt.Errorf("unsupported query start %q", nodes[0].tok.text)
	}
	// clauses at top level
	idx := map[string]int{}
	for i, n := range nodes {
		w := n.word()
		if isClauseAt(nodes, i) {
			if _, seen := idx[w]; !seen {
				idx[w] = i
			}
		}
	}
	selEnd := len(nodes)
	for _, i := range idx {
		selEnd = min(selEnd, i)
	}
	selStart := 1
	if selStart < len(nodes) && nodes[selStart].word() == "DISTINCT" {
		selStart++
	}
	var items []*fromItem
	fromAt, hasFrom := idx["FROM"]
	fromEnd := len(nodes)
	if hasFrom {
		for w, i := range idx {
			if w != "FROM" && i > fromAt {
				fromEnd = min(fromEnd, i)
			}
		}
		var err error
		if items, err = l.fromList(nodes[fromAt+1 : fromEnd]); err != nil {
			return nil, err
		}
	}
	// the site source
	src := ""
	for _, it := range items {
		if it.site {
			src = it.alias
			break
		}
	}
	var extraWhere []string
	if !lifted {
		// a value subquery: correlate with the SELECT around it
		if src == "" {
			return l.walkExpr(nodes, outer, lifted)
		}
		for _, it := range items {
			if it.site && it.alias == src && strings.EqualFold(src+".export_site", outer) {
				// the inner relation has the outer one's name: rename the inner one
				newAlias := l.fresh("kl_sq")
				renameQualifier(nodes, it.alias, newAlias)
				it.nodes = renameAlias(it, newAlias)
				it.alias, src = newAlias, newAlias
			}
		}
		extraWhere = append(extraWhere, src+".export_site = "+outer)
	} else if src == "" || !items[0].site {
		// no site-carrying input, or the first input is a constant: one row set per site
		site := &fromItem{nodes: frag("kl_sites AS kl_site"), alias: "kl_site", site: true, join: frag("CROSS JOIN")}
		if len(items) == 0 {
			items = []*fromItem{site}
			site.join = nil
		} else {
			items = append([]*fromItem{items[0], site}, items[1:]...)
		}
		src = "kl_site"
	}
	site := src + ".export_site"
	// join conditions
	for k, it := range items {
		if k == 0 || !it.site || it.alias == src {
			continue
		}
		switch {
		case it.using != nil:
			it.using.kids = append(it.using.kids, frag(", export_site")...)
		case it.on != nil:
			it.on = append([]*sqlNode{paren(it.on)}, frag("AND "+it.alias+".export_site = "+site)...)
		case len(it.join) == 1 && it.join[0].is(","):
			extraWhere = append(extraWhere, it.alias+".export_site = "+site)
		default:
			// CROSS JOIN or a join without a condition
			it.join = frag("JOIN")
			it.on = frag(it.alias + ".export_site = " + site)
		}
	}
	// rebuild: SELECT list, FROM, rest
	sel, err := l.walkExpr(nodes[selStart:selEnd], site, lifted)
	if err != nil {
		return nil, err
	}
	aggregated := hasAggregate(sel)
	star := false
	for _, item := range splitTop(sel, ",") {
		for _, n := range item {
			if n.is("*") {
				star = true
			}
		}
	}
	out := append([]*sqlNode{}, nodes[:selStart]...)
	out = append(out, sel...)
	if lifted && !star {
		out = append(out, frag(", "+site+" AS export_site")...)
	}
	if hasFrom || len(items) > 0 {
		out = append(out, frag("FROM")...)
		if hasFrom {
			out[len(out)-1].tok.pre = nodes[fromAt].tok.pre
		}
		for _, it := range items {
			out = append(out, it.join...)
			out = append(out, it.nodes...)
			if it.on != nil {
				on, err := l.walkExpr(it.on, site, lifted)
				if err != nil {
					return nil, err
				}
				out = append(out, frag("ON")...)
				out = append(out, on...)
			}
			if it.using != nil {
				out = append(out, frag("USING")...)
				out = append(out, it.using)
			}
		}
	}
	rest := nodes[fromEnd:]
	if !hasFrom {
		rest = nodes[selEnd:]
	}
	// the clauses after FROM, in SQL's order: WHERE (with the correlation), GROUP BY (with
	// the site), HAVING, QUALIFY, WINDOW, ORDER BY, LIMIT, OFFSET
	bodies := map[string][]*sqlNode{}
	heads := map[string]*sqlNode{}
	for _, c := range splitClauses(rest) {
		w := c[0].word()
		if _, dup := bodies[w]; dup || !clauseWords[w] {
			return nil, fmt.Errorf("unsupported clause %q", c[0].tok.text)
		}
		body, err := l.walkExpr(c[1:], site, lifted)
		if err != nil {
			return nil, err
		}
		bodies[w], heads[w] = body, c[0]
	}
	if len(extraWhere) > 0 {
		cond := frag(strings.Join(extraWhere, " AND "))
		if b, ok := bodies["WHERE"]; ok {
			bodies["WHERE"] = append(append([]*sqlNode{paren(b)}, frag("AND")...), cond...)
		} else {
			bodies["WHERE"], heads["WHERE"] = cond, frag("WHERE")[0]
		}
	}
	if lifted {
		if b, ok := bodies["GROUP"]; ok {
			bodies["GROUP"] = append(b, frag(", "+site)...)
		} else if aggregated {
			g := frag("GROUP BY " + site)
			bodies["GROUP"], heads["GROUP"] = g[1:], g[0]
		}
	}
	orderBy, limit := bodies["ORDER"], bodies["LIMIT"]
	if lifted && limit != nil {
		delete(bodies, "ORDER")
		delete(bodies, "LIMIT")
	}
	for _, w := range []string{"WHERE", "GROUP", "HAVING", "QUALIFY", "WINDOW", "ORDER", "LIMIT", "OFFSET"} {
		if b, ok := bodies[w]; ok {
			out = append(out, heads[w])
			out = append(out, b...)
		}
	}
	if !lifted {
		limit = nil
	}
	if limit != nil {
		// the first n rows of each site: rank them in the SELECT, keep the ranks up to n
		if orderBy == nil {
			return nil, fmt.Errorf("LIMIT without ORDER BY")
		}
		var b strings.Builder
		renderSQL(&b, orderBy[1:]) // after BY
		var lim strings.Builder
		renderSQL(&lim, limit)
		rank := frag(", row_number() OVER (PARTITION BY " + site + " ORDER BY " + strings.TrimSpace(b.String()) + ") AS kl_rank")
		// insert the rank after the select list (before FROM)
		for k, n := range out {
			if n.word() == "FROM" {
				out = append(append(append([]*sqlNode{}, out[:k]...), rank...), out[k:]...)
				break
			}
		}
		wrapped := frag("SELECT * FROM")
		wrapped = append(wrapped, paren(out))
		wrapped = append(wrapped, frag(l.fresh("kl_top")+" WHERE kl_rank <= "+strings.TrimSpace(lim.String()))...)
		return wrapped, nil
	}
	return out, nil
}

// isClauseAt reports whether nodes[i] starts a clause (a clause keyword that is not an alias
// or a qualified name: "AS window" names a column).
func isClauseAt(nodes []*sqlNode, i int) bool {
	return clauseWords[nodes[i].word()] && !(i > 0 && (nodes[i-1].word() == "AS" || nodes[i-1].is(".")))
}

// splitClauses splits the nodes after FROM's list into clauses, each starting with its keyword.
func splitClauses(nodes []*sqlNode) [][]*sqlNode {
	var out [][]*sqlNode
	for i, n := range nodes {
		if isClauseAt(nodes, i) && n.word() != "FROM" || i == 0 {
			out = append(out, []*sqlNode{n})
			continue
		}
		out[len(out)-1] = append(out[len(out)-1], n)
	}
	return out
}

// hasAggregate reports an aggregate call at this level (not in a subquery, not a window).
func hasAggregate(nodes []*sqlNode) bool {
	for i, n := range nodes {
		if n.isGroup() {
			if !isSubquery(n) && hasAggregate(n.kids) {
				return true
			}
			continue
		}
		if aggregateFuncs[n.word()] && i+1 < len(nodes) && nodes[i+1].isGroup() && (i == 0 || !nodes[i-1].is(".")) {
			// a window function is not an aggregate of the SELECT
			j := i + 2
			if j < len(nodes) && nodes[j].word() == "FILTER" {
				j += 2
			}
			if j < len(nodes) && nodes[j].word() == "OVER" {
				continue
			}
			return true
		}
	}
	return false
}

// walkExpr rewrites an expression list: value subqueries are correlated on site, window
// specifications of a lifted SELECT are partitioned by it.
func (l *lifter) walkExpr(nodes []*sqlNode, site string, lifted bool) ([]*sqlNode, error) {
	for i, n := range nodes {
		if !n.isGroup() {
			continue
		}
		if isSubquery(n) {
			body, _, err := l.query(n.kids, site, false, true)
			if err != nil {
				return nil, err
			}
			n.kids = body
			if l.spark && (i == 0 || nodes[i-1].word() != "EXISTS" && nodes[i-1].word() != "IN") {
				if err := aggregateScalar(n); err != nil {
					return nil, err
				}
			}
			continue
		}
		if i > 0 && nodes[i-1].word() == "OVER" {
			if len(n.kids) >= 2 && n.kids[0].word() == "PARTITION" && n.kids[1].word() == "BY" {
				n.kids = append(append(append([]*sqlNode{}, n.kids[:2]...), frag(site+",")...), n.kids[2:]...)
			} else {
				if len(n.kids) > 0 && n.kids[0].tok != nil && n.kids[0].tok.pre == "" {
					n.kids[0].tok.pre = " "
				}
				n.kids = append(frag("PARTITION BY "+site), n.kids...)
			}
			kids, err := l.walkExpr(n.kids, site, lifted)
			if err != nil {
				return nil, err
			}
			n.kids = kids
			continue
		}
		kids, err := l.walkExpr(n.kids, site, lifted)
		if err != nil {
			return nil, err
		}
		n.kids = kids
	}
	return nodes, nil
}

// fromList parses and rewrites the relations of a FROM clause.
func (l *lifter) fromList(nodes []*sqlNode) ([]*fromItem, error) {
	var items []*fromItem
	i := 0
	for i < len(nodes) {
		it := &fromItem{}
		if len(items) > 0 {
			// join keywords up to JOIN, or a comma
			if nodes[i].is(",") {
				it.join = []*sqlNode{nodes[i]}
				i++
			} else {
				for i < len(nodes) && nodes[i].word() != "JOIN" {
					switch nodes[i].word() {
					case "LEFT", "INNER", "CROSS", "ASOF", "OUTER":
						it.isLeft = it.isLeft || nodes[i].word() == "LEFT"
					default:
						return nil, fmt.Errorf("unsupported join %q", nodes[i].tok.text)
					}
					it.join = append(it.join, nodes[i])
					i++
				}
				if i >= len(nodes) {
					return nil, fmt.Errorf("bad FROM list")
				}
				it.join = append(it.join, nodes[i])
				i++
			}
		}
		if i >= len(nodes) {
			return nil, fmt.Errorf("bad FROM list")
		}
		rel := nodes[i]
		i++
		switch {
		case rel.isGroup():
			if !isSubquery(rel) {
				return nil, fmt.Errorf("unsupported FROM item")
			}
			body, site, err := l.query(rel.kids, "", true, true)
			if err != nil {
				return nil, err
			}
			rel.kids = body
			it.site = site
			it.nodes = []*sqlNode{rel}
		case rel.tok.kind == 'w' || rel.tok.kind == 'q':
			name := strings.ToLower(strings.Trim(rel.tok.text, `"`))
			if i < len(nodes) && nodes[i].isGroup() && !l.isCTE(name) {
				return nil, fmt.Errorf("table function %s in FROM", rel.tok.text)
			}
			if l.isCTE(name) {
				it.site = l.ctes[name]
				it.alias = rel.tok.text
				it.nodes = []*sqlNode{rel}
			} else if lake, ok := liftTables[name]; ok {
				it.site = true
				it.alias = rel.tok.text
				it.nodes = []*sqlNode{{tok: &sqlTok{pre: rel.tok.pre, text: lake, kind: 'w'}}}
			} else {
				return nil, fmt.Errorf("unknown table %s", rel.tok.text)
			}
		default:
			return nil, fmt.Errorf("unsupported FROM item %q", rel.tok.text)
		}
		// alias
		hasAlias := false
		if i < len(nodes) && nodes[i].word() == "AS" {
			i++
		}
		if i < len(nodes) && nodes[i].tok != nil && (nodes[i].tok.kind == 'w' && !isJoinWord(nodes[i].word()) || nodes[i].tok.kind == 'q') {
			it.alias = nodes[i].tok.text
			hasAlias = true
			i++
			if i < len(nodes) && nodes[i].isGroup() {
				return nil, fmt.Errorf("column aliases in FROM")
			}
		}
		if !hasAlias {
			if it.alias == "" {
				it.alias = l.fresh("kl_d")
			}
		}
		it.nodes = append(it.nodes, frag("AS "+it.alias)...)
		// ON / USING
		if i < len(nodes) && nodes[i].word() == "ON" {
			i++
			s := i
			for i < len(nodes) && !nodes[i].is(",") && !isJoinWord(nodes[i].word()) {
				i++
			}
			it.on = nodes[s:i]
		} else if i < len(nodes) && nodes[i].word() == "USING" {
			if i+1 >= len(nodes) || !nodes[i+1].isGroup() {
				return nil, fmt.Errorf("bad USING")
			}
			it.using = nodes[i+1]
			i += 2
		}
		items = append(items, it)
	}
	return items, nil
}

func isJoinWord(w string) bool {
	switch w {
	case "JOIN", "LEFT", "RIGHT", "FULL", "INNER", "CROSS", "ASOF", "NATURAL", "OUTER", "ON", "USING", "POSITIONAL", "SEMI", "ANTI":
		return true
	}
	return false
}

// renameQualifier rewrites qualified references alias.x to to.x in nodes (outside nested
// subqueries' own scopes this is what the inner relation's columns are called).
func renameQualifier(nodes []*sqlNode, alias, to string) {
	for i, n := range nodes {
		if n.isGroup() {
			renameQualifier(n.kids, alias, to)
			continue
		}
		if strings.EqualFold(n.tok.text, alias) && i+1 < len(nodes) && nodes[i+1].is(".") {
			n.tok.text = to
		}
	}
}

func renameAlias(it *fromItem, to string) []*sqlNode {
	// nodes end with "AS alias" (added by fromList): replace the last
	out := append([]*sqlNode{}, it.nodes...)
	out[len(out)-1] = &sqlNode{tok: &sqlTok{pre: " ", text: to, kind: 'w'}}
	return out
}

// aggregateScalar makes a scalar subquery of one non-aggregate value an aggregate of it:
// Spark decorrelates only aggregated scalar subqueries, and a value subquery of a check
// returns at most one row per site, so max() of it is the value.
func aggregateScalar(g *sqlNode) error {
	kids := g.kids
	if len(kids) == 0 || kids[0].word() != "SELECT" {
		return nil
	}
	e := 1
	for e < len(kids) && !isClauseAt(kids, e) {
		e++
	}
	for k := e; k < len(kids); k++ {
		if isClauseAt(kids, k) && (kids[k].word() == "LIMIT" || kids[k].word() == "ORDER") {
			return fmt.Errorf("a value subquery with ORDER BY or LIMIT, which Spark cannot decorrelate")
		}
	}
	item := kids[1:e]
	if len(splitTop(item, ",")) != 1 || hasAggregate(item) {
		return nil
	}
	// drop an alias: max(x AS y) is no SQL
	if len(item) > 2 && item[len(item)-2].word() == "AS" {
		item = item[:len(item)-2]
	}
	wrapped := paren(item)
	wrapped.open.pre = ""
	g.kids = append([]*sqlNode{kids[0], {tok: &sqlTok{pre: " ", text: "max", kind: 'w'}}, wrapped}, kids[e:]...)
	return nil
}
