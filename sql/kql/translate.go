package kql

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	klparse "github.com/kudulens/kudulens/parse"
)

// Options configure a translation.
type Options struct {
	// Now is the evaluation time of ago() and now() (UTC). Translate never reads the wall
	// clock: a query that uses ago() or now() fails when Now is zero. kudulens sets it to
	// the capture time of the logs, so old bundles read as they did when captured.
	Now time.Time
	// Tables overrides where a KQL table's rows come from: KQL table name → a SQL table
	// name (snapshot.traces) or a parenthesised SELECT. Only the kudulens tables can be
	// mapped, and the override must have the table's columns.
	Tables map[string]string
}

// Result is a translated query.
type Result struct {
	SQL     string   // one DuckDB statement, formatted for reading
	Columns []Column // the result's columns as KQL names and types them
	// Notes tell about parts of the query that do not change its rows: a render
	// operator (ignored: kudulens prints rows) and the evaluation time of ago()/now().
	Notes []string
}

// Column is a column of a query result.
type Column struct {
	Name string // KQL column name, as the user spelled it
	Type string // KQL type: bool, int, long, real, string, datetime, timespan, dynamic
}

// Translate compiles a KQL query (multi-line, as in the monitoring guide) into one DuckDB
// SQL statement. Errors are *Error values.
func Translate(query string, opts Options) (string, error) {
	r, err := Compile(query, opts)
	if err != nil {
		return "", err
	}
	return r.SQL, nil
}

// Compile is Translate that also returns the result's columns and the notes.
func Compile(query string, opts Options) (*Result, error) {
	for name := range opts.Tables {
		if !kqlTables[name] {
			return nil, fmt.Errorf("kql: Options.Tables: %q is not a kudulens table", name)
		}
	}
	r, err := compile(query, opts)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// maxSQL bounds the generated SQL (let substitution can repeat an expression).
const maxSQL = 1 << 20

func compile(query string, opts Options) (*Result, *Error) {
	t := &translator{q: query, opts: opts, lets: map[string]*letBinding{}}
	q, err := parse(query, t.isTable)
	if err != nil {
		return nil, err
	}
	for _, l := range q.lets {
		if err := t.let(l); err != nil {
			return nil, err
		}
	}
	s, err := t.tabular(q.body, true)
	if err != nil {
		return nil, err
	}
	sql, cols := t.final(s)
	if len(sql) > maxSQL {
		return nil, t.errAt(0, "a translated query larger than %d bytes is not supported by kudulens", maxSQL)
	}
	res := &Result{SQL: sql, Notes: t.notes}
	for _, c := range cols {
		res.Columns = append(res.Columns, Column{Name: c.name, Type: c.typ.String()})
	}
	return res, nil
}

// translator holds the state of one translation.
type translator struct {
	q       string
	opts    Options
	ctes    []string // rendered "name AS (...)" entries, in dependency order
	nCTE    int
	lets    map[string]*letBinding
	notes   []string
	usedNow bool
	depth   int
	colN    int // KQL numbers unnamed columns Column1, Column2, ... across the query
	calls   int // depth of user-function calls being translated
}

type letBinding struct {
	scalar *sqlExpr
	tab    *pipeline
	fn     *userFunc
	env    map[string]*letBinding // the lets visible where it was declared
	rel    *stage                 // the let's rows, sealed as a CTE on first use
	busy   bool
}

func (t *translator) errAt(pos int, format string, args ...any) *Error {
	return newError(t.q, pos, format, args...)
}

func (t *translator) isTable(name string) bool { return kqlTables[name] }

func (t *translator) lookupLet(name string) (*letBinding, bool) {
	b, ok := t.lets[name]
	return b, ok
}

func (t *translator) let(l *letStmt) *Error {
	if l.fn != nil {
		env := make(map[string]*letBinding, len(t.lets))
		for k, v := range t.lets {
			env[k] = v
		}
		b := &letBinding{fn: l.fn, env: env}
		env[l.name] = b // the body may call the function itself (bounded by maxCallDepth)
		t.lets[l.name] = b
		return nil
	}
	if l.tabular != nil {
		// The let's body sees the names declared before it: in "let traces = traces | ...",
		// the right side reads the table.
		env := make(map[string]*letBinding, len(t.lets))
		for k, v := range t.lets {
			env[k] = v
		}
		t.lets[l.name] = &letBinding{tab: l.tabular, env: env}
		return nil
	}
	x, err := t.scalar(l.scalar, &scope{noCols: true}, false)
	if err != nil {
		return err
	}
	if x.list {
		return t.errAt(l.pos, "a let of an array is not supported by kudulens")
	}
	t.lets[l.name] = &letBinding{scalar: x}
	return nil
}

// stage is one SELECT being built. Operators add clauses to it while SQL's clause order
// lets them (a where after a sort is still WHERE ... ORDER BY); otherwise the stage is
// sealed as a CTE and a new stage reads from it. DuckDB preserves the order of a sorted
// CTE through later SELECT, WHERE and LIMIT, as KQL keeps a sorted row set's order
// through where, project, extend and take.
type stage struct {
	from     string   // FROM item: table, CTE name
	in       []column // the columns of from
	out      []column // the columns this stage produces
	items    []string // select list; nil means the columns pass through (SELECT *)
	where    []*sqlExpr
	group    []string
	order    []string
	limit    string
	distinct bool
	// orderCols is order when every sort key is a plain column (by SQL name); inOrder is
	// the order the rows of from arrive in, when known. Both let make_list keep the order
	// of sorted input, as KQL's does.
	orderCols []orderCol
	inOrder   []orderCol
	kept      map[string]bool // with a select list: input columns (SQL names) it passes unchanged
	aliased   bool            // from is "(SELECT ...) AS name" (an Options.Tables override)
	// traces: from is the kudulens traces table itself, whose rows carry the parser's check
	// signals (parse.Signal)
	traces bool
}

// orderCol is a sort key on a column.
type orderCol struct {
	sql   string // column SQL name
	order string // "ASC NULLS FIRST", ...
}

// rowOrder is the order of the stage's output rows by columns of out, or nil when
// unknown.
func (s *stage) rowOrder() []orderCol {
	if s.order != nil {
		return s.orderCols
	}
	if s.group != nil || s.distinct {
		return nil
	}
	for _, k := range s.inOrder {
		if !s.passThrough() && !s.kept[k.sql] {
			return nil
		}
	}
	return s.inOrder
}

func (s *stage) passThrough() bool { return s.items == nil }

// trivial reports whether the stage only names its FROM item.
func (s *stage) trivial() bool {
	return s.items == nil && s.where == nil && s.group == nil && s.order == nil && s.limit == "" && !s.distinct
}

// newStage starts a stage reading from a relation with the given columns.
func newStage(from string, cols []column) *stage {
	return &stage{from: from, in: cols, out: cols}
}

// render writes the stage's SELECT, indented by ind.
func (s *stage) render(ind string) string {
	var b strings.Builder
	b.WriteString(ind + "SELECT ")
	if s.distinct {
		b.WriteString("DISTINCT ")
	}
	if s.items == nil {
		b.WriteString("*")
	} else {
		writeList(&b, s.items, ind)
	}
	b.WriteString("\n" + ind + "FROM " + s.from)
	for i, w := range s.where {
		if i == 0 && len(s.where) == 1 {
			b.WriteString("\n" + ind + "WHERE " + w.sql)
		} else if i == 0 {
			b.WriteString("\n" + ind + "WHERE " + w.paren(precAnd+1))
		} else {
			b.WriteString("\n" + ind + "  AND " + w.paren(precAnd+1))
		}
	}
	if len(s.group) > 0 {
		b.WriteString("\n" + ind + "GROUP BY " + strings.Join(s.group, ", "))
	}
	if len(s.order) > 0 {
		b.WriteString("\n" + ind + "ORDER BY " + strings.Join(s.order, ", "))
	}
	if s.limit != "" {
		b.WriteString("\n" + ind + "LIMIT " + s.limit)
	}
	return b.String()
}

// writeList writes select items on one line when short, one per line otherwise.
func writeList(b *strings.Builder, items []string, ind string) {
	total := 0
	for _, it := range items {
		total += len(it) + 2
	}
	if total <= 100 && len(items) <= 8 {
		b.WriteString(strings.Join(items, ", "))
		return
	}
	for i, it := range items {
		if i > 0 {
			b.WriteString(",\n" + ind + "       ")
		}
		b.WriteString(it)
	}
}

// seal renders s as a CTE and returns a new stage reading it.
func (t *translator) seal(s *stage) *stage {
	t.nCTE++
	name := "step" + strconv.Itoa(t.nCTE)
	t.ctes = append(t.ctes, name+" AS (\n"+s.render("    ")+"\n  )")
	n := newStage(name, s.out)
	n.inOrder = s.rowOrder()
	return n
}

// relation returns a FROM-able name holding s's rows.
func (t *translator) relation(s *stage) (string, []column) {
	if s.trivial() && !s.aliased {
		return s.from, s.out
	}
	n := t.seal(s)
	return n.from, n.out
}

// final renders the whole statement: the CTEs, then the last stage with the result's
// columns named as in KQL.
func (t *translator) final(s *stage) (string, []column) {
	renamed := false
	for _, c := range s.out {
		if c.sql != c.name {
			renamed = true
		}
	}
	if renamed {
		// The renaming SELECT must not have an ORDER BY: there a name would bind to the new
		// aliases first.
		if !s.passThrough() || len(s.order) > 0 {
			s = t.seal(s)
		}
		items := make([]string, len(s.out))
		for i, c := range s.out {
			items[i] = aliased(quoteIdent(c.sql), c.name)
		}
		s.items = items
	}
	var b strings.Builder
	if len(t.ctes) > 0 {
		b.WriteString("WITH\n  ")
		b.WriteString(strings.Join(t.ctes, ",\n  "))
		b.WriteString("\n")
	}
	b.WriteString(s.render(""))
	return b.String(), s.out
}

// aliased writes "expr AS name", or just the expression when it already is that column.
func aliased(sql, name string) string {
	q := quoteIdent(name)
	if sql == q {
		return q
	}
	return sql + " AS " + q
}

// sqlNames gives the columns SQL names that DuckDB, which ignores case, cannot confuse:
// the KQL name, or the KQL name with a _N suffix when another column has the same name in
// another case.
func sqlNames(cols []column) {
	used := map[string]bool{}
	for i := range cols {
		n := cols[i].name
		for k := 2; used[strings.ToLower(n)]; k++ {
			n = cols[i].name + "_" + strconv.Itoa(k)
		}
		used[strings.ToLower(n)] = true
		cols[i].sql = n
	}
}

// tabular translates a pipeline. top is set for the query's own body (render is allowed
// there).
func (t *translator) tabular(pl *pipeline, top bool) (*stage, *Error) {
	s, err := t.source(pl.source)
	if err != nil {
		return nil, err
	}
	for i, op := range pl.ops {
		if r, ok := op.(*renderOp); ok {
			if !top || i != len(pl.ops)-1 {
				return nil, t.errAt(r.pos, "render must be the last operator of the query")
			}
			t.notes = append(t.notes, "render "+r.chart+" ignored: kudulens prints the rows")
			continue
		}
		if s, err = t.operator(s, op); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (t *translator) source(src source) (*stage, *Error) {
	switch src := src.(type) {
	case *tableSource:
		if b, ok := t.lets[src.name]; ok {
			if b.tab == nil {
				return nil, t.errAt(src.pos, "'%s' is a scalar, used here as a table", src.name)
			}
			if b.rel == nil {
				if b.busy {
					return nil, t.errAt(src.pos, "'%s' refers to itself", src.name)
				}
				b.busy = true
				saved := t.lets
				t.lets = b.env
				s, err := t.tabular(b.tab, false)
				t.lets = saved
				b.busy = false
				if err != nil {
					return nil, err
				}
				from, cols := t.relation(s)
				b.rel = newStage(from, cols)
				if from != s.from {
					b.rel.inOrder = s.rowOrder()
				}
			}
			r := newStage(b.rel.from, b.rel.out)
			r.inOrder = b.rel.inOrder
			return r, nil
		}
		if !kqlTables[src.name] {
			for name := range kqlTables {
				if strings.EqualFold(name, src.name) {
					return nil, t.errAt(src.pos, "unknown table '%s' (table names are case-sensitive: did you mean '%s'?)", src.name, name)
				}
			}
			if unsupportedOperators[src.name] || unsupportedSources[src.name] {
				return nil, t.errAt(src.pos, "'%s' is not supported by kudulens", src.name)
			}
			return nil, t.errAt(src.pos, "unknown table '%s' (kudulens has traces, exceptions, customEvents, files, rejects, job_status)", src.name)
		}
		from, aliased := quoteIdent(src.name), false
		if o, ok := t.opts.Tables[src.name]; ok {
			from = strings.TrimSpace(o)
			if strings.HasPrefix(from, "(") {
				from += " AS " + quoteIdent(src.name)
				aliased = true
			}
		}
		s := newStage(from, append([]column(nil), schemas[src.name].cols...))
		s.aliased = aliased
		s.traces = src.name == "traces" && from == quoteIdent("traces")
		return s, nil
	case *parenSource:
		return t.tabular(src.pipe, false)
	case *printSource:
		return t.printSource(src)
	case *datatableSource:
		return t.datatableSource(src)
	case *rangeSource:
		return t.rangeSource(src)
	case *callSource:
		return t.tabularCall(src.call)
	case *unionSource:
		var stages []*stage
		for _, in := range src.inputs {
			s, err := t.tabular(in, false)
			if err != nil {
				return nil, err
			}
			stages = append(stages, s)
		}
		return t.union(src.pos, stages)
	}
	return nil, t.errAt(src.srcPos(), "this query source is not supported by kudulens")
}

func (t *translator) operator(s *stage, op operator) (*stage, *Error) {
	switch op := op.(type) {
	case *whereOp:
		return t.where(s, op)
	case *projectOp:
		return t.project(s, op)
	case *extendOp:
		return t.extend(s, op)
	case *projectAwayOp:
		return t.projectAway(s, op)
	case *projectRenameOp:
		return t.projectRename(s, op)
	case *summarizeOp:
		return t.summarize(s, op)
	case *sortOp:
		return t.sort(s, op.keys)
	case *takeOp:
		return t.take(s, op.n)
	case *topOp:
		s, err := t.sort(s, []sortKey{op.key})
		if err != nil {
			return nil, err
		}
		return t.take(s, op.n)
	case *distinctOp:
		return t.distinct(s, op)
	case *countOp:
		if !s.passThrough() || s.group != nil || s.distinct || s.limit != "" {
			s = t.seal(s)
		}
		s.order = nil
		name := op.name
		if name == "" {
			name = "Count"
		}
		return withItems(s, []column{{name: name, typ: typeLong}}, []string{"count(*)"}), nil
	case *unionOp:
		stages := []*stage{s}
		for _, in := range op.inputs {
			r, err := t.tabular(in, false)
			if err != nil {
				return nil, err
			}
			stages = append(stages, r)
		}
		return t.union(op.pos, stages)
	case *joinOp:
		return t.join(s, op)
	}
	return nil, t.errAt(op.opPos(), "this operator is not supported by kudulens")
}

// splitAnd splits a predicate into its top-level conjuncts.
func splitAnd(e expr) []expr {
	if p, ok := e.(*parenExpr); ok {
		if b, ok := p.x.(*binaryExpr); ok && b.op == "and" {
			e = p.x
		}
	}
	if b, ok := e.(*binaryExpr); ok && b.op == "and" {
		return append(splitAnd(b.l), splitAnd(b.r)...)
	}
	return []expr{e}
}

func (t *translator) where(s *stage, op *whereOp) (*stage, *Error) {
	if !s.passThrough() || s.group != nil || s.distinct || s.limit != "" {
		s = t.seal(s)
	}
	for _, c := range splitAnd(op.pred) {
		x, err := t.scalar(c, &scope{cols: s.in}, true)
		if err != nil {
			return nil, err
		}
		if x.typ != typeBool && x.typ != typeNull {
			return nil, t.errAt(c.exprPos(), "where needs a bool predicate, got %s", x.typ)
		}
		if sig, ok := signalOf(s, c); ok {
			// The rows whose message contains the literal are the rows the parser tagged with
			// its signal. A test of the one integer column, as its own conjunct, is one DuckDB
			// runs inside the table scan, so the text match sees the tagged rows only instead
			// of lower-casing every message. A row inserted without signals (NULL: every bit)
			// is left to the text match; "signals IS NULL OR ..." would not be pushed down.
			s.where = append(s.where, &sqlExpr{sql: fmt.Sprintf(`(coalesce("signals", 4294967295) & %d) <> 0`, uint32(sig)),
				typ: typeBool, prec: precCmp})
		}
		s.where = append(s.where, x)
	}
	return s, nil
}

// signalOf returns the parser's signal that is exactly the predicate c, "message contains
// <literal>" on the traces table as stored (klparse.SignalLiteral).
func signalOf(s *stage, c expr) (klparse.Signal, bool) {
	b, ok := c.(*binaryExpr)
	if !ok || !s.traces || !s.passThrough() || b.op != "contains" {
		return 0, false
	}
	col, ok := b.l.(*nameRef)
	lit, ok2 := b.r.(*literal)
	if !ok || !ok2 || col.name != "message" || lit.kind != litString {
		return 0, false
	}
	return klparse.SignalLiteral(strings.ToLower(lit.s))
}

// resultName is the column name KQL gives an unnamed expression (Kusto.Language's
// GetExpressionResultName): a column keeps its name, a dynamic property path joins its
// parts with '_', and some functions take the name of their first argument or prefix it
// (bin(timestamp, 1h) → timestamp, strlen(message) → strlen_message, count() → count_,
// max(x) → max_x). "" means the default name, Column1, Column2, ....
func resultName(e expr) string {
	switch e := e.(type) {
	case *parenExpr:
		return resultName(e.x)
	case *nameRef:
		return e.name
	case *memberExpr:
		if l := resultName(e.x); l != "" {
			return l + "_" + e.name
		}
		return e.name
	case *indexExpr:
		var r string
		if l, ok := e.idx.(*literal); ok && (l.kind == litString || l.kind == litLong) {
			r = l.s
			if l.kind == litLong {
				r = strconv.FormatInt(l.i, 10)
			}
		}
		if l := resultName(e.x); l != "" {
			return l + "_" + r
		}
		return r
	case *callExpr:
		first := func() string {
			if len(e.args) > 0 {
				return resultName(e.args[0])
			}
			return ""
		}
		switch e.name {
		case "tostring", "toint", "tolong", "todouble", "toreal", "tobool", "toboolean", "todatetime",
			"split", "format_datetime", "startofday", "bin", "floor":
			return first()
		case "strlen":
			return "strlen_" + first()
		case "count", "countif", "dcount", "dcountif", "min", "max", "minif", "maxif", "avg", "avgif",
			"sum", "sumif", "stdev", "stdevif", "stdevp", "variance", "varianceif", "variancep", "any":
			return e.name + "_" + first()
		case "take_any":
			return first()
		case "make_list", "make_list_if":
			return "list_" + first()
		case "make_set", "make_set_if":
			return "set_" + first()
		case "percentile":
			if p, ok := e.args[len(e.args)-1].(*literal); ok && len(e.args) == 2 {
				return "percentile_" + first() + "_" + strings.ReplaceAll(strconv.FormatFloat(p.f+float64(p.i), 'f', -1, 64), ".", "_")
			}
		}
	}
	return ""
}

// isColumnRef reports whether e is a bare column reference (or a conversion of a column to
// its own type, which KQL treats the same), and returns the column.
func isColumnRef(e expr, sc *scope) (column, bool) {
	switch e := e.(type) {
	case *parenExpr:
		return isColumnRef(e.x, sc)
	case *nameRef:
		return sc.lookup(e.name)
	case *callExpr:
		if len(e.args) != 1 {
			return column{}, false
		}
		c, ok := isColumnRef(e.args[0], sc)
		if !ok {
			return column{}, false
		}
		same := map[string]kqlType{"tostring": typeString, "toint": typeInt, "tolong": typeLong, "todouble": typeReal,
			"toreal": typeReal, "tobool": typeBool, "toboolean": typeBool, "todatetime": typeDatetime}
		if typ, ok := same[e.name]; ok && typ == c.typ {
			return c, true
		}
	}
	return column{}, false
}

// uniqueName returns base, or base1, base2, ... the first not in taken.
func uniqueName(base string, taken func(string) bool) string {
	if !taken(base) {
		return base
	}
	for i := 1; ; i++ {
		if n := base + strconv.Itoa(i); !taken(n) {
			return n
		}
	}
}

// defaultName returns the next ColumnN not taken.
func (t *translator) defaultName(taken func(string) bool) string {
	for {
		t.colN++
		if n := "Column" + strconv.Itoa(t.colN); !taken(n) {
			return n
		}
	}
}

func hasColumn(cols []column, name string) bool {
	for _, c := range cols {
		if c.name == name {
			return true
		}
	}
	return false
}

// checkValue rejects values a result column cannot hold.
func (t *translator) checkValue(pos int, x *sqlExpr) *Error {
	if x.typ == typeNull {
		return t.errAt(pos, "an untyped null as a column is not supported by kudulens")
	}
	return nil
}

func (t *translator) project(s *stage, op *projectOp) (*stage, *Error) {
	if !s.passThrough() || s.group != nil || s.distinct || len(s.order) > 0 {
		s = t.seal(s)
	}
	sc := &scope{cols: s.in}
	var out []column
	var sqls []string
	taken := func(n string) bool { return hasColumn(out, n) }
	for _, it := range op.items {
		if _, ok := it.x.(*starExpr); ok {
			return nil, t.errAt(it.pos, "project * is not supported by kudulens (use project-away or no project)")
		}
		x, err := t.scalar(it.x, sc, false)
		if err != nil {
			return nil, err
		}
		if err := t.checkValue(it.pos, x); err != nil {
			return nil, err
		}
		name := it.name
		switch {
		case name != "":
			if taken(name) {
				return nil, t.errAt(it.namePos, "project: column '%s' is declared twice", name)
			}
		case resultName(it.x) != "":
			name = uniqueName(resultName(it.x), taken)
		default:
			name = t.defaultName(taken)
		}
		out = append(out, column{name: name, typ: x.typ, list: x.list, elem: x.elem})
		sqls = append(sqls, x.sql)
	}
	s = withItems(s, out, sqls)
	s.kept = map[string]bool{}
	for i, c := range out {
		for _, in := range s.in {
			if sqls[i] == quoteIdent(in.sql) && c.sql == in.sql {
				s.kept[in.sql] = true
			}
		}
	}
	return s, nil
}

// withItems sets the stage's select list to the given expressions named by cols.
func withItems(s *stage, cols []column, sqls []string) *stage {
	sqlNames(cols)
	items := make([]string, len(cols))
	for i := range cols {
		items[i] = aliased(sqls[i], cols[i].sql)
	}
	s.items = items
	s.out = cols
	return s
}

// extend adds or replaces columns. Items that use a column defined earlier in the same
// extend go to a new stage, so they see its new value as in KQL.
func (t *translator) extend(s *stage, op *extendOp) (*stage, *Error) {
	items := op.items
	for len(items) > 0 {
		n := 1
		defined := map[string]bool{extendName(items[0]): true}
		for n < len(items) && !refersTo(items[n].x, defined) {
			defined[extendName(items[n])] = true
			n++
		}
		var err *Error
		if s, err = t.extendBatch(s, items[:n]); err != nil {
			return nil, err
		}
		items = items[n:]
	}
	return s, nil
}

// extendName is the explicit name of an extend item, or its result name.
func extendName(it namedExpr) string {
	if it.name != "" {
		return it.name
	}
	return resultName(it.x)
}

// refersTo reports whether e names any of names (conservatively: any name reference).
func refersTo(e expr, names map[string]bool) bool {
	found := false
	walkExpr(e, func(x expr) {
		if n, ok := x.(*nameRef); ok && names[n.name] {
			found = true
		}
	})
	return found || hasDefaultNamed(names)
}

// hasDefaultNamed is true when an earlier item had no name: KQL would call it ColumnN,
// which a later item could use; splitting is then the safe choice.
func hasDefaultNamed(names map[string]bool) bool { return names[""] }

func walkExpr(e expr, f func(expr)) {
	if e == nil {
		return
	}
	f(e)
	switch e := e.(type) {
	case *parenExpr:
		walkExpr(e.x, f)
	case *binaryExpr:
		walkExpr(e.l, f)
		walkExpr(e.r, f)
	case *unaryExpr:
		walkExpr(e.x, f)
	case *callExpr:
		for _, a := range e.args {
			walkExpr(a, f)
		}
	case *memberExpr:
		walkExpr(e.x, f)
	case *indexExpr:
		walkExpr(e.x, f)
		walkExpr(e.idx, f)
	case *inExpr:
		walkExpr(e.x, f)
		for _, a := range e.list {
			walkExpr(a, f)
		}
	case *betweenExpr:
		walkExpr(e.x, f)
		walkExpr(e.lo, f)
		walkExpr(e.hi, f)
	}
}

func (t *translator) extendBatch(s *stage, items []namedExpr) (*stage, *Error) {
	if !s.passThrough() || s.group != nil || s.distinct || len(s.order) > 0 {
		s = t.seal(s)
	}
	sc := &scope{cols: s.in}
	out := append([]column(nil), s.in...)
	replaced := map[int]string{} // index in out → new SQL
	var added []column
	var addedSQL []string
	taken := func(n string) bool { return hasColumn(out, n) || hasColumn(added, n) }
	for _, it := range items {
		if _, ok := it.x.(*starExpr); ok {
			return nil, t.errAt(it.pos, "'*' is not allowed in extend")
		}
		x, err := t.scalar(it.x, sc, false)
		if err != nil {
			return nil, err
		}
		if err := t.checkValue(it.pos, x); err != nil {
			return nil, err
		}
		name, replace := it.name, true
		if name == "" {
			if _, ok := isColumnRef(it.x, sc); ok {
				// A copy of a column gets a new name (message1), as in KQL.
				name, replace = uniqueName(resultName(it.x), taken), false
			} else if n := resultName(it.x); n != "" {
				name = n
			} else {
				name = t.defaultName(taken)
			}
		}
		if replace {
			if i := indexOf(out, name); i >= 0 {
				out[i].typ, out[i].list, out[i].elem = x.typ, x.list, x.elem
				replaced[i] = x.sql
				continue
			}
			if i := indexOf(added, name); i >= 0 {
				added[i].typ, added[i].list, added[i].elem = x.typ, x.list, x.elem
				addedSQL[i] = x.sql
				continue
			}
		}
		added = append(added, column{name: name, typ: x.typ, list: x.list, elem: x.elem})
		addedSQL = append(addedSQL, x.sql)
	}
	// Keep the SQL names of the columns that pass through; give the new ones names that
	// cannot clash with them.
	all := append(append([]column(nil), out...), added...)
	used := map[string]bool{}
	for _, c := range out {
		used[strings.ToLower(c.sql)] = true
	}
	for i := range added {
		n := added[i].name
		for k := 2; used[strings.ToLower(n)]; k++ {
			n = added[i].name + "_" + strconv.Itoa(k)
		}
		used[strings.ToLower(n)] = true
		added[i].sql = n
		all[len(out)+i].sql = n
	}
	var list []string
	if len(replaced) > 0 {
		idx := make([]int, 0, len(replaced))
		for i := range replaced {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		var reps []string
		for _, i := range idx {
			reps = append(reps, replaced[i]+" AS "+quoteIdent(out[i].sql))
		}
		list = append(list, "* REPLACE ("+strings.Join(reps, ", ")+")")
	} else {
		list = append(list, "*")
	}
	for i, c := range added {
		list = append(list, addedSQL[i]+" AS "+quoteIdent(c.sql))
	}
	s.items = list
	s.out = all
	s.kept = map[string]bool{}
	for i, c := range out {
		if _, ok := replaced[i]; !ok {
			s.kept[c.sql] = true
		}
	}
	return s, nil
}

func indexOf(cols []column, name string) int {
	for i, c := range cols {
		if c.name == name {
			return i
		}
	}
	return -1
}

func (t *translator) projectAway(s *stage, op *projectAwayOp) (*stage, *Error) {
	if !s.passThrough() || s.group != nil || s.distinct || len(s.order) > 0 {
		s = t.seal(s)
	}
	drop := map[int]bool{}
	for _, p := range op.patterns {
		matched := false
		for i, c := range s.out {
			ok := c.name == p.pattern
			if strings.Contains(p.pattern, "*") {
				ok, _ = path.Match(p.pattern, c.name)
				ok = ok && !strings.ContainsAny(p.pattern, "?[\\")
			}
			if ok {
				drop[i] = true
				matched = true
			}
		}
		if !matched && !strings.Contains(p.pattern, "*") {
			sc := &scope{cols: s.out}
			if sim := sc.similar(p.pattern); sim != "" {
				return nil, t.errAt(p.pos, "project-away: unknown column '%s' (column names are case-sensitive: did you mean '%s'?)", p.pattern, sim)
			}
			return nil, t.errAt(p.pos, "project-away: unknown column '%s'", p.pattern)
		}
	}
	if len(drop) == len(s.out) {
		return nil, t.errAt(op.pos, "project-away removes every column")
	}
	var names []string
	var out []column
	for i, c := range s.out {
		if drop[i] {
			names = append(names, quoteIdent(c.sql))
		} else {
			out = append(out, c)
		}
	}
	if len(names) > 0 {
		s.items = []string{"* EXCLUDE (" + strings.Join(names, ", ") + ")"}
		s.out = out
		s.kept = map[string]bool{}
		for _, c := range out {
			s.kept[c.sql] = true
		}
	}
	return s, nil
}

// projectRename only changes KQL names: the SQL names stay, and the final SELECT names the
// columns as KQL does.
func (t *translator) projectRename(s *stage, op *projectRenameOp) (*stage, *Error) {
	out := append([]column(nil), s.out...)
	for _, p := range op.pairs {
		i := indexOf(out, p.oldName)
		if i < 0 {
			return nil, t.errAt(p.oldPos, "project-rename: unknown column '%s'", p.oldName)
		}
		if j := indexOf(out, p.newName); j >= 0 && j != i {
			return nil, t.errAt(p.pos, "project-rename: column '%s' already exists", p.newName)
		}
		out[i].name = p.newName
	}
	s.out = out
	if s.passThrough() {
		s.in = out
	}
	return s, nil
}

func (t *translator) take(s *stage, n expr) (*stage, *Error) {
	x, err := t.scalar(n, &scope{noCols: true, colsWhat: "the number of rows must be a constant"}, false)
	if err != nil {
		return nil, err
	}
	if x.konst == nil || x.konst.kind != litLong || x.konst.i < 0 {
		return nil, t.errAt(n.exprPos(), "the number of rows must be a constant non-negative integer")
	}
	if s.limit != "" {
		s = t.seal(s)
	}
	s.limit = strconv.FormatInt(x.konst.i, 10)
	return s, nil
}

func (t *translator) sort(s *stage, keys []sortKey) (*stage, *Error) {
	if s.limit != "" || s.distinct {
		s = t.seal(s)
	}
	if !s.passThrough() {
		// ORDER BY on a stage with a select list sees its output names: only bare output
		// columns may be used there.
		for _, k := range keys {
			if n, ok := k.x.(*nameRef); !ok || indexOf(s.out, n.name) < 0 {
				s = t.seal(s)
				break
			}
		}
	}
	sc := &scope{cols: s.out}
	var order []string
	var cols []orderCol
	for _, k := range keys {
		x, err := t.scalar(k.x, sc, false)
		if err != nil {
			return nil, err
		}
		if x.typ == typeDynamic || x.typ == typeNull {
			return nil, t.errAt(k.x.exprPos(), "cannot sort by a %s value", x.typ)
		}
		if x.typ == typeString && k.nullsFirst == k.desc {
			// KQL has no null strings: with the nulls placement reversed, "" (our NULL) must
			// still sort as the smallest string.
			x = nonNull(x)
		}
		dir := " ASC"
		if k.desc {
			dir = " DESC"
		}
		nulls := " NULLS LAST"
		if k.nullsFirst {
			nulls = " NULLS FIRST"
		}
		if x.typ == typeReal {
			// KQL sorts NaN next to null (null, NaN, -inf, ..., +inf ascending with nulls
			// first); DuckDB sorts NaN above +inf.
			order = append(order, nanRank(x, k.nullsFirst))
		}
		order = append(order, x.sql+dir+nulls)
		if n, ok := k.x.(*nameRef); ok {
			if c, ok := sc.lookup(n.name); ok && x.sql == quoteIdent(c.sql) {
				cols = append(cols, orderCol{sql: c.sql, order: dir[1:] + nulls})
			}
		}
	}
	if len(cols) != len(order) {
		cols = nil
	}
	s.order = order
	s.orderCols = cols
	return s, nil
}

// nanRank is a sort key that puts null and NaN where KQL puts them: first (null, then NaN)
// or last (NaN, then null).
func nanRank(x *sqlExpr, nullsFirst bool) string {
	if nullsFirst {
		return "CASE WHEN " + x.sql + " IS NULL THEN 0 WHEN isnan(" + x.sql + ") THEN 1 ELSE 2 END"
	}
	return "CASE WHEN " + x.sql + " IS NULL THEN 2 WHEN isnan(" + x.sql + ") THEN 1 ELSE 0 END"
}

func (t *translator) distinct(s *stage, op *distinctOp) (*stage, *Error) {
	if !s.passThrough() || s.group != nil || s.distinct || s.limit != "" || len(s.order) > 0 {
		s = t.seal(s)
	}
	var out []column
	var sqls []string
	if op.star {
		for _, c := range s.in {
			x := &sqlExpr{sql: quoteIdent(c.sql), typ: c.typ, nullable: true}
			out = append(out, column{name: c.name, typ: c.typ, list: c.list, elem: c.elem})
			sqls = append(sqls, nonNull(x).sql)
		}
	} else {
		sc := &scope{cols: s.in}
		for _, it := range op.items {
			x, err := t.scalar(it.x, sc, false)
			if err != nil {
				return nil, err
			}
			if x.typ == typeDynamic {
				return nil, t.errAt(it.pos, "distinct on a dynamic value is not supported by kudulens (convert it with tostring())")
			}
			name := it.name
			if name == "" {
				name = resultName(it.x)
			}
			if name == "" {
				name = t.defaultName(func(n string) bool { return hasColumn(out, n) })
			}
			if hasColumn(out, name) {
				return nil, t.errAt(it.pos, "distinct names column '%s' twice", name)
			}
			out = append(out, column{name: name, typ: x.typ})
			sqls = append(sqls, nonNull(x).sql)
		}
	}
	s = withItems(s, out, sqls)
	s.distinct = true
	return s, nil
}

// union concatenates the rows of stages (KQL's union kind=outer): the result has every
// column of every input, by name, in order of first appearance; inputs without a column
// give null there.
func (t *translator) union(pos int, stages []*stage) (*stage, *Error) {
	var cols []column
	for _, s := range stages {
		for _, c := range s.out {
			i := indexOf(cols, c.name)
			switch {
			case i < 0:
				cols = append(cols, column{name: c.name, typ: c.typ, list: c.list, elem: c.elem})
			case cols[i].typ != c.typ || cols[i].list != c.list || cols[i].elem != c.elem:
				return nil, t.errAt(pos, "union of column '%s' with types %s and %s is not supported by kudulens", c.name, cols[i].typ, c.typ)
			}
		}
	}
	sqlNames(cols)
	var parts []string
	for _, s := range stages {
		from, in := t.relation(s)
		items := make([]string, len(cols))
		for i, c := range cols {
			if j := indexOf(in, c.name); j >= 0 {
				items[i] = aliased(quoteIdent(in[j].sql), c.sql)
			} else {
				items[i] = "CAST(NULL AS " + c.typ.sqlTypeName() + ") AS " + quoteIdent(c.sql)
			}
		}
		var b strings.Builder
		b.WriteString("    SELECT ")
		writeList(&b, items, "    ")
		b.WriteString("\n    FROM " + from)
		parts = append(parts, b.String())
	}
	t.nCTE++
	name := "step" + strconv.Itoa(t.nCTE)
	t.ctes = append(t.ctes, name+" AS (\n"+strings.Join(parts, "\n    UNION ALL\n")+"\n  )")
	return newStage(name, cols), nil
}

// join translates the join flavours. Keys compare as KQL compares them: an empty string
// key (SQL NULL or ”) matches an empty one; a null key of another type matches nothing.
func (t *translator) join(s *stage, op *joinOp) (*stage, *Error) {
	right, err := t.tabular(op.right, false)
	if err != nil {
		return nil, err
	}
	lfrom, lcols := t.relation(s)
	rfrom, rcols := t.relation(right)
	var conds, lkeys []string
	for _, k := range op.on {
		li, ri := indexOf(lcols, k.left), indexOf(rcols, k.right)
		if li < 0 {
			return nil, t.errAt(k.lPos, "join: the left side has no column '%s'", k.left)
		}
		if ri < 0 {
			return nil, t.errAt(k.rPos, "join: the right side has no column '%s'", k.right)
		}
		lc, rc := lcols[li], rcols[ri]
		if !comparable(lc.typ, rc.typ) || lc.typ == typeDynamic {
			return nil, t.errAt(k.pos, "join: cannot match %s column '%s' with %s column '%s'", lc.typ, lc.name, rc.typ, rc.name)
		}
		l, r := quoteIdent(lc.sql), quoteIdent(rc.sql)
		if lc.typ == typeString {
			l, r = "coalesce("+l+", '')", "coalesce(r."+r+", '')"
			conds = append(conds, "coalesce(l."+quoteIdent(lc.sql)+", '') = "+r)
		} else {
			conds = append(conds, "l."+l+" = r."+r)
		}
		lkeys = append(lkeys, l)
	}
	on := strings.Join(conds, " AND ")
	if op.kind == "innerunique" {
		// KQL keeps the first left row of each key before an inner join.
		lfrom = "(SELECT * EXCLUDE (\"__n\") FROM (SELECT *, row_number() OVER () AS \"__n\" FROM " + lfrom +
			") QUALIFY row_number() OVER (PARTITION BY " + strings.Join(lkeys, ", ") + " ORDER BY \"__n\") = 1)"
	}
	switch op.kind {
	case "leftsemi", "leftanti", "rightsemi", "rightanti":
		return t.semiJoin(op.kind, lfrom, lcols, rfrom, rcols, on), nil
	}
	var cols []column
	var sqls []string
	for _, c := range lcols {
		cols = append(cols, column{name: c.name, typ: c.typ, list: c.list, elem: c.elem})
		sqls = append(sqls, "l."+quoteIdent(c.sql))
	}
	for _, c := range rcols {
		name := uniqueName(c.name, func(n string) bool { return hasColumn(cols, n) })
		cols = append(cols, column{name: name, typ: c.typ, list: c.list, elem: c.elem})
		sqls = append(sqls, "r."+quoteIdent(c.sql))
	}
	kw := map[string]string{"inner": " JOIN ", "innerunique": " JOIN ", "leftouter": " LEFT JOIN ",
		"rightouter": " RIGHT JOIN ", "fullouter": " FULL JOIN "}[op.kind]
	js := &stage{from: lfrom + " AS l" + kw + rfrom + " AS r ON " + on}
	js = withItems(js, cols, sqls)
	return t.seal(js), nil
}

// semiJoin keeps the rows of one side that have (semi) or have no (anti) match on the
// other; the result has that side's columns only.
func (t *translator) semiJoin(kind, lfrom string, lcols []column, rfrom string, rcols []column, on string) *stage {
	keep, other, cols := lfrom+" AS l", rfrom+" AS r", lcols
	if strings.HasPrefix(kind, "right") {
		keep, other, cols = rfrom+" AS r", lfrom+" AS l", rcols
	}
	exists := "EXISTS (SELECT 1 FROM " + other + " WHERE " + on + ")"
	if strings.HasSuffix(kind, "anti") {
		exists = "NOT " + exists
	}
	out := make([]column, len(cols))
	sqls := make([]string, len(cols))
	for i, c := range cols {
		out[i] = column{name: c.name, typ: c.typ, list: c.list, elem: c.elem}
		sqls[i] = quoteIdent(c.sql)
	}
	js := &stage{from: keep}
	js = withItems(js, out, sqls)
	js.where = []*sqlExpr{{sql: exists, typ: typeBool, prec: precNot}}
	return t.seal(js)
}
