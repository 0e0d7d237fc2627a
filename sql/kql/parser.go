package kql

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// maxDepth bounds the nesting of expressions and pipelines, so deep input cannot exhaust the
// stack.
const maxDepth = 64

// parser is a recursive-descent parser over the token slice. One method per operator; each
// returns the node or an *Error naming the construct and its position.
type parser struct {
	q      string
	toks   []token
	i      int
	depth  int
	tables func(name string) bool // names that start a tabular expression (tables, tabular lets)
	lets   map[string]bool        // tabular let names declared so far
	tabFns map[string]bool        // user functions with a tabular body, called as sources
}

// parse parses a whole query.
func parse(q string, isTable func(string) bool) (*query, *Error) {
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	p := &parser{q: q, toks: toks, lets: map[string]bool{}, tabFns: map[string]bool{}}
	p.tables = func(name string) bool { return isTable(name) || p.lets[name] }
	return p.query()
}

func (p *parser) tok() token       { return p.toks[p.i] }
func (p *parser) peek(n int) token { return p.toks[min(p.i+n, len(p.toks)-1)] }
func (p *parser) advance() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *parser) errAt(pos int, format string, args ...any) *Error {
	return newError(p.q, pos, format, args...)
}

// describe names a token for "expected X, got Y" messages.
func (p *parser) describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "end of query"
	case tokString:
		return "string " + strconv.Quote(t.val)
	case tokIdent, tokPunct:
		return "'" + t.val + "'"
	}
	return "'" + p.q[t.pos:t.end] + "'"
}

func (p *parser) isPunct(v string) bool { t := p.tok(); return t.kind == tokPunct && t.val == v }
func (p *parser) isIdent(v string) bool { t := p.tok(); return t.kind == tokIdent && t.val == v }

func (p *parser) expectPunct(v, what string) (token, *Error) {
	if !p.isPunct(v) {
		return token{}, p.errAt(p.tok().pos, "expected '%s' %s, got %s", v, what, p.describe(p.tok()))
	}
	return p.advance(), nil
}

func (p *parser) enter(pos int) *Error {
	p.depth++
	if p.depth > maxDepth {
		return p.errAt(pos, "query nested more than %d levels deep is not supported by kudulens", maxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// query := (let ;)* pipeline [;]
func (p *parser) query() (*query, *Error) {
	q := &query{}
	for {
		for p.isPunct(";") {
			p.advance()
		}
		if p.isIdent("let") {
			l, err := p.let()
			if err != nil {
				return nil, err
			}
			q.lets = append(q.lets, l)
			if !p.isPunct(";") {
				return nil, p.errAt(p.tok().pos, "expected ';' after the let statement, got %s", p.describe(p.tok()))
			}
			continue
		}
		break
	}
	if p.tok().kind == tokEOF {
		return nil, p.errAt(p.tok().pos, "the query has no tabular expression (start it with a table name such as traces)")
	}
	body, err := p.pipeline()
	if err != nil {
		return nil, err
	}
	q.body = body
	for p.isPunct(";") {
		p.advance()
	}
	if t := p.tok(); t.kind != tokEOF {
		if t.kind == tokIdent && t.val == "let" {
			return nil, p.errAt(t.pos, "let after the query's tabular expression is not supported by kudulens")
		}
		if t.kind == tokIdent && p.tables(t.val) {
			return nil, p.errAt(t.pos, "more than one tabular expression in a query is not supported by kudulens")
		}
		return nil, p.errAt(t.pos, "unexpected %s (a new operator starts with '|')", p.describe(t))
	}
	return q, nil
}

// let := "let" name "=" (pipeline | expr)
func (p *parser) let() (*letStmt, *Error) {
	start := p.advance()
	nt := p.tok()
	if nt.kind != tokIdent {
		return nil, p.errAt(nt.pos, "expected a name after let, got %s", p.describe(nt))
	}
	p.advance()
	if _, err := p.expectPunct("=", "after let "+nt.val); err != nil {
		return nil, err
	}
	l := &letStmt{pos: start.pos, name: nt.val}
	if p.isPunct("(") && p.looksLikeFunction() {
		fn, err := p.userFunc()
		if err != nil {
			return nil, err
		}
		l.fn = fn
		delete(p.lets, nt.val)
		delete(p.tabFns, nt.val)
		if fn.tabular != nil {
			p.tabFns[nt.val] = true
		}
		return l, nil
	}
	if p.looksTabular(p.i) {
		pl, err := p.pipeline()
		if err != nil {
			return nil, err
		}
		l.tabular = pl
		p.lets[nt.val] = true
		return l, nil
	}
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	l.scalar = x
	delete(p.lets, nt.val)
	delete(p.tabFns, nt.val)
	return l, nil
}

// userFunc := "(" [param ("," param)*] ")" "{" (let ";")* (pipeline | expr) [";"] "}"
func (p *parser) userFunc() (*userFunc, *Error) {
	p.advance() // (
	fn := &userFunc{}
	if !p.isPunct(")") {
		params, err := commaList(p, p.param)
		if err != nil {
			return nil, err
		}
		fn.params = params
	}
	if _, err := p.expectPunct(")", "to close the parameters"); err != nil {
		return nil, err
	}
	open, err := p.expectPunct("{", "to open the function body")
	if err != nil {
		return nil, err
	}
	fn.bodyPos = open.pos
	saved := map[string]bool{}
	for k, v := range p.lets {
		saved[k] = v
	}
	defer func() { p.lets = saved }()
	for _, prm := range fn.params {
		delete(p.lets, prm.name) // a parameter hides a tabular let of its name
	}
	for p.isIdent("let") {
		l, err := p.let()
		if err != nil {
			return nil, err
		}
		fn.lets = append(fn.lets, l)
		if _, err := p.expectPunct(";", "after the let statement"); err != nil {
			return nil, err
		}
	}
	if p.looksTabular(p.i) {
		if fn.tabular, err = p.pipeline(); err != nil {
			return nil, err
		}
	} else if fn.scalar, err = p.expr(); err != nil {
		return nil, err
	}
	for p.isPunct(";") {
		p.advance()
	}
	if _, err := p.expectPunct("}", "to close the function body"); err != nil {
		return nil, err
	}
	return fn, nil
}

// param := name ":" type ["=" default]
func (p *parser) param() (param, *Error) {
	d, err := p.colDecl("a parameter name")
	if err != nil {
		return param{}, err
	}
	prm := param{colDecl: d}
	if p.isPunct("=") {
		p.advance()
		if prm.def, err = p.expr(); err != nil {
			return param{}, err
		}
	}
	return prm, nil
}

// scalarTypes are the type names of datatable columns and function parameters.
var scalarTypes = map[string]kqlType{
	"bool": typeBool, "boolean": typeBool, "int": typeInt, "long": typeLong, "real": typeReal,
	"double": typeReal, "string": typeString, "datetime": typeDatetime, "date": typeDatetime,
	"timespan": typeTimespan, "time": typeTimespan, "dynamic": typeDynamic,
}

// colDecl := name ":" type
func (p *parser) colDecl(what string) (colDecl, *Error) {
	name, pos, err := p.name(what)
	if err != nil {
		return colDecl{}, err
	}
	if _, err := p.expectPunct(":", "after "+name); err != nil {
		return colDecl{}, err
	}
	t := p.tok()
	if t.kind == tokPunct && t.val == "(" {
		return colDecl{}, p.errAt(t.pos, "a tabular parameter (%s:(...)) is not supported by kudulens", name)
	}
	if t.kind != tokIdent {
		return colDecl{}, p.errAt(t.pos, "expected a type after '%s:', got %s", name, p.describe(t))
	}
	p.advance()
	typ, ok := scalarTypes[t.val]
	if !ok {
		return colDecl{}, p.errAt(t.pos, "type '%s' is not supported by kudulens", t.val)
	}
	return colDecl{pos: pos, name: name, typ: typ}, nil
}

// looksLikeFunction reports whether "(" at the cursor opens a parameter list followed by
// a body: "(a:int) {" or "() {".
func (p *parser) looksLikeFunction() bool {
	depth := 0
	for j := p.i; j < len(p.toks); j++ {
		t := p.toks[j]
		if t.kind == tokPunct && t.val == "(" {
			depth++
		} else if t.kind == tokPunct && t.val == ")" {
			depth--
			if depth == 0 {
				n := p.toks[min(j+1, len(p.toks)-1)]
				return n.kind == tokPunct && n.val == "{"
			}
		} else if t.kind == tokEOF {
			return false
		}
	}
	return false
}

// looksTabular reports whether the tokens at j start a tabular expression.
func (p *parser) looksTabular(j int) bool {
	for k := 0; k < maxDepth && j < len(p.toks); k++ {
		t := p.toks[j]
		switch {
		case t.kind == tokPunct && t.val == "(":
			j++
			continue
		case t.kind == tokIdent && (t.val == "union" || t.val == "print" || t.val == "datatable" || t.val == "range"):
			return true
		case t.kind == tokIdent && p.tabFns[t.val]:
			n := p.toks[min(j+1, len(p.toks)-1)]
			return n.kind == tokPunct && n.val == "("
		case t.kind == tokIdent && p.tables(t.val):
			n := p.toks[min(j+1, len(p.toks)-1)]
			return !(n.kind == tokPunct && (n.val == "(" || n.val == "." || n.val == "["))
		}
		return false
	}
	return false
}

// tabularSources that exist in KQL but are outside the subset.
var unsupportedSources = map[string]bool{
	"find": true, "search": true,
	"externaldata": true, "evaluate": true, "materialize": true, "table": true, "view": true,
	"database": true, "cluster": true, "toscalar": true,
}

// pipeline := source ("|" operator)*
func (p *parser) pipeline() (*pipeline, *Error) {
	start := p.tok()
	if err := p.enter(start.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	pl := &pipeline{pos: start.pos}
	src, err := p.source()
	if err != nil {
		return nil, err
	}
	pl.source = src
	for p.isPunct("|") {
		p.advance()
		op, err := p.operator()
		if err != nil {
			return nil, err
		}
		pl.ops = append(pl.ops, op)
	}
	return pl, nil
}

func (p *parser) source() (source, *Error) {
	t := p.tok()
	switch {
	case t.kind == tokPunct && t.val == "(":
		p.advance()
		inner, err := p.pipeline()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct(")", "to close the parenthesised query"); err != nil {
			return nil, err
		}
		return &parenSource{pos: t.pos, pipe: inner}, nil
	case t.kind == tokIdent && t.val == "union":
		p.advance()
		inputs, err := p.unionInputs(t.pos)
		if err != nil {
			return nil, err
		}
		return &unionSource{pos: t.pos, inputs: inputs}, nil
	case t.kind == tokIdent && t.val == "print":
		p.advance()
		items, err := p.namedList("print")
		if err != nil {
			return nil, err
		}
		return &printSource{pos: t.pos, items: items}, nil
	case t.kind == tokIdent && t.val == "datatable":
		return p.datatable()
	case t.kind == tokIdent && t.val == "range":
		return p.rangeSource()
	case t.kind == tokIdent && unsupportedSources[t.val]:
		return nil, p.errAt(t.pos, "'%s' is not supported by kudulens", t.val)
	case t.kind == tokIdent && p.tabFns[t.val] && p.peek(1).kind == tokPunct && p.peek(1).val == "(":
		x, err := p.primary()
		if err != nil {
			return nil, err
		}
		return &callSource{pos: t.pos, call: x.(*callExpr)}, nil
	case t.kind == tokIdent:
		p.advance()
		if p.isPunct("(") {
			return nil, p.errAt(t.pos, "'%s(...)' as a query source is not supported by kudulens", t.val)
		}
		return &tableSource{pos: t.pos, name: t.val}, nil
	case t.kind == tokPunct && t.val == "[":
		name, pos, err := p.bracketName()
		if err != nil {
			return nil, err
		}
		return &tableSource{pos: pos, name: name}, nil
	}
	return nil, p.errAt(t.pos, "expected a table name, got %s", p.describe(t))
}

// datatable := "datatable" "(" colDecl ("," colDecl)* ")" "[" [value ("," value)* [","]] "]"
func (p *parser) datatable() (source, *Error) {
	start := p.advance()
	if _, err := p.expectPunct("(", "after datatable"); err != nil {
		return nil, err
	}
	cols, err := commaList(p, func() (colDecl, *Error) { return p.colDecl("a column name") })
	if err != nil {
		return nil, err
	}
	if _, err := p.expectPunct(")", "to close the datatable columns"); err != nil {
		return nil, err
	}
	if _, err := p.expectPunct("[", "before the datatable values"); err != nil {
		return nil, err
	}
	ds := &datatableSource{pos: start.pos, cols: cols}
	for !p.isPunct("]") {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		ds.values = append(ds.values, x)
		if !p.isPunct(",") {
			break
		}
		p.advance()
	}
	if _, err := p.expectPunct("]", "to close the datatable values"); err != nil {
		return nil, err
	}
	if len(ds.values)%len(cols) != 0 {
		return nil, p.errAt(start.pos, "datatable has %d values, not a multiple of its %d columns", len(ds.values), len(cols))
	}
	return ds, nil
}

// rangeSource := "range" name "from" expr "to" expr "step" expr
func (p *parser) rangeSource() (source, *Error) {
	start := p.advance()
	name, _, err := p.name("a column name after range")
	if err != nil {
		return nil, err
	}
	rs := &rangeSource{pos: start.pos, name: name}
	for _, part := range []struct {
		word string
		x    *expr
	}{{"from", &rs.from}, {"to", &rs.to}, {"step", &rs.step}} {
		if !p.isIdent(part.word) {
			return nil, p.errAt(p.tok().pos, "expected '%s' in range, got %s", part.word, p.describe(p.tok()))
		}
		p.advance()
		if *part.x, err = p.addExpr(); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// operatorName reads an operator name, joining hyphenated names (project-away, mv-expand)
// written without blanks.
func (p *parser) operatorName() (string, int, *Error) {
	t := p.tok()
	if t.kind != tokIdent {
		return "", t.pos, p.errAt(t.pos, "expected an operator after '|', got %s", p.describe(t))
	}
	p.advance()
	name, end := t.val, t.end
	for {
		d, n := p.tok(), p.peek(1)
		if d.kind == tokPunct && d.val == "-" && d.pos == end && n.kind == tokIdent && n.pos == d.end {
			p.advance()
			p.advance()
			name += "-" + n.val
			end = n.end
			continue
		}
		break
	}
	return name, t.pos, nil
}

// unsupportedOperators are KQL tabular operators outside the subset; naming them gives a
// clearer error than "unknown operator".
var unsupportedOperators = map[string]bool{
	"mv-expand": true, "mv-apply": true, "parse": true, "parse-where": true, "parse-kv": true,
	"make-series": true, "evaluate": true, "invoke": true, "lookup": true, "as": true,
	"serialize": true, "sample": true, "sample-distinct": true, "search": true, "find": true,
	"facet": true, "fork": true, "partition": true, "reduce": true, "scan": true,
	"getschema": true, "project-keep": true, "project-reorder": true, "top-nested": true,
	"top-hitters": true, "extend-if": true, "consume": true, "externaldata": true,
	"make-graph": true, "graph-match": true, "print": true, "range": true,
	"execute-and-cache": true, "assert-schema": true, "macro-expand": true,
}

func (p *parser) operator() (operator, *Error) {
	name, pos, err := p.operatorName()
	if err != nil {
		return nil, err
	}
	switch name {
	case "where", "filter":
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		return &whereOp{pos: pos, pred: x}, nil
	case "project":
		items, err := p.namedList(name)
		if err != nil {
			return nil, err
		}
		return &projectOp{pos: pos, items: items}, nil
	case "extend":
		items, err := p.namedList(name)
		if err != nil {
			return nil, err
		}
		return &extendOp{pos: pos, items: items}, nil
	case "project-away":
		return p.projectAway(pos)
	case "project-rename":
		return p.projectRename(pos)
	case "summarize":
		return p.summarize(pos)
	case "order", "sort":
		if !p.isIdent("by") {
			return nil, p.errAt(p.tok().pos, "expected 'by' after %s, got %s", name, p.describe(p.tok()))
		}
		p.advance()
		keys, err := p.sortKeys()
		if err != nil {
			return nil, err
		}
		return &sortOp{pos: pos, keys: keys}, nil
	case "take", "limit":
		if err := p.noOptions(name); err != nil {
			return nil, err
		}
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		return &takeOp{pos: pos, n: n}, nil
	case "top":
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		if !p.isIdent("by") {
			return nil, p.errAt(p.tok().pos, "expected 'by' after top N, got %s", p.describe(p.tok()))
		}
		p.advance()
		k, err := p.sortKey()
		if err != nil {
			return nil, err
		}
		if p.isPunct(",") {
			return nil, p.errAt(p.tok().pos, "top with more than one sort key is not supported by kudulens")
		}
		return &topOp{pos: pos, n: n, key: k}, nil
	case "distinct":
		if err := p.noOptions(name); err != nil {
			return nil, err
		}
		if p.isPunct("*") {
			p.advance()
			return &distinctOp{pos: pos, star: true}, nil
		}
		items, err := p.namedList(name)
		if err != nil {
			return nil, err
		}
		return &distinctOp{pos: pos, items: items}, nil
	case "count":
		if err := p.noOptions(name); err != nil {
			return nil, err
		}
		op := &countOp{pos: pos}
		if p.isIdent("as") {
			p.advance()
			n, _, err := p.name("a column name after count as")
			if err != nil {
				return nil, err
			}
			op.name = n
		}
		return op, nil
	case "union":
		inputs, err := p.unionInputs(pos)
		if err != nil {
			return nil, err
		}
		return &unionOp{pos: pos, inputs: inputs}, nil
	case "join":
		return p.join(pos)
	case "render":
		return p.render(pos)
	}
	if unsupportedOperators[name] {
		return nil, p.errAt(pos, "operator '%s' is not supported by kudulens", name)
	}
	return nil, p.errAt(pos, "operator '%s' is not supported by kudulens", name)
}

// noOptions rejects hints and options (hint.strategy=..., kind=...) after an operator
// that takes none in the subset.
func (p *parser) noOptions(op string) *Error {
	t, n := p.tok(), p.peek(1)
	if t.kind == tokIdent && n.kind == tokPunct && n.val == "=" {
		return p.errAt(t.pos, "option '%s' of %s is not supported by kudulens", t.val, op)
	}
	if t.kind == tokIdent && strings.HasPrefix(t.val, "hint") && n.kind == tokPunct && n.val == "." {
		return p.errAt(t.pos, "hint of %s is not supported by kudulens", op)
	}
	return nil
}

// namedList := namedExpr ("," namedExpr)*
func (p *parser) namedList(op string) ([]namedExpr, *Error) {
	if t := p.tok(); t.kind == tokIdent && strings.HasPrefix(t.val, "hint") && p.peek(1).kind == tokPunct && p.peek(1).val == "." {
		return nil, p.errAt(t.pos, "hint of %s is not supported by kudulens", op)
	}
	return commaList(p, p.namedExpr)
}

// commaList := item ("," item)*
func commaList[T any](p *parser, item func() (T, *Error)) ([]T, *Error) {
	var items []T
	for {
		it, err := item()
		if err != nil {
			return nil, err
		}
		items = append(items, it)
		if !p.isPunct(",") {
			return items, nil
		}
		p.advance()
	}
}

// namedExpr := [name "="] expr, where name is an identifier or ['quoted name'].
func (p *parser) namedExpr() (namedExpr, *Error) {
	t := p.tok()
	if t.kind == tokPunct && t.val == "(" && p.tupleNames() {
		return namedExpr{}, p.errAt(t.pos, "naming several result columns with (a, b) = ... is not supported by kudulens")
	}
	if t.kind == tokIdent && p.peek(1).kind == tokPunct && p.peek(1).val == "=" {
		p.advance()
		p.advance()
		x, err := p.expr()
		if err != nil {
			return namedExpr{}, err
		}
		return namedExpr{pos: t.pos, name: t.val, namePos: t.pos, x: x}, nil
	}
	if t.kind == tokPunct && t.val == "[" {
		save := p.i
		name, pos, err := p.bracketName()
		if err == nil && p.isPunct("=") {
			p.advance()
			x, err := p.expr()
			if err != nil {
				return namedExpr{}, err
			}
			return namedExpr{pos: pos, name: name, namePos: pos, x: x}, nil
		}
		p.i = save
	}
	x, err := p.expr()
	if err != nil {
		return namedExpr{}, err
	}
	return namedExpr{pos: t.pos, x: x}, nil
}

// tupleNames reports whether "(" at the cursor starts "(a, b) =".
func (p *parser) tupleNames() bool {
	j := p.i + 1
	for j < len(p.toks) && (p.toks[j].kind == tokIdent || p.toks[j].kind == tokPunct && p.toks[j].val == ",") {
		j++
	}
	return j+1 < len(p.toks) && p.toks[j].kind == tokPunct && p.toks[j].val == ")" && p.toks[j+1].kind == tokPunct && p.toks[j+1].val == "="
}

// bracketName reads ['name'] or ["name"].
func (p *parser) bracketName() (string, int, *Error) {
	open := p.advance()
	s := p.tok()
	if s.kind != tokString {
		return "", open.pos, p.errAt(s.pos, "expected a quoted name after '[', got %s", p.describe(s))
	}
	p.advance()
	if _, err := p.expectPunct("]", "to close the quoted name"); err != nil {
		return "", open.pos, err
	}
	if s.val == "" {
		return "", open.pos, p.errAt(s.pos, "empty column name")
	}
	return s.val, open.pos, nil
}

// name reads an identifier or ['quoted name'].
func (p *parser) name(what string) (string, int, *Error) {
	t := p.tok()
	if t.kind == tokIdent {
		p.advance()
		return t.val, t.pos, nil
	}
	if t.kind == tokPunct && t.val == "[" {
		return p.bracketName()
	}
	return "", t.pos, p.errAt(t.pos, "expected %s, got %s", what, p.describe(t))
}

func (p *parser) projectAway(pos int) (operator, *Error) {
	op := &projectAwayOp{pos: pos}
	for {
		t := p.tok()
		if t.kind == tokPunct && t.val == "[" {
			name, npos, err := p.bracketName()
			if err != nil {
				return nil, err
			}
			op.patterns = append(op.patterns, namePattern{pos: npos, pattern: name})
		} else {
			// A wildcard pattern is adjacent names and stars: op*, *_Name, a*b.
			var b strings.Builder
			end := -1
			for {
				t := p.tok()
				if (t.kind == tokIdent || t.kind == tokPunct && t.val == "*") && (end < 0 || t.pos == end) {
					b.WriteString(t.val)
					end = t.end
					p.advance()
					continue
				}
				break
			}
			if b.Len() == 0 {
				return nil, p.errAt(t.pos, "expected a column name after project-away, got %s", p.describe(t))
			}
			op.patterns = append(op.patterns, namePattern{pos: t.pos, pattern: b.String()})
		}
		if !p.isPunct(",") {
			return op, nil
		}
		p.advance()
	}
}

func (p *parser) projectRename(pos int) (operator, *Error) {
	op := &projectRenameOp{pos: pos}
	for {
		nn, npos, err := p.name("a new column name")
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct("=", "in project-rename new = old"); err != nil {
			return nil, err
		}
		on, opos, err := p.name("the column to rename")
		if err != nil {
			return nil, err
		}
		op.pairs = append(op.pairs, renamePair{pos: npos, oldPos: opos, newName: nn, oldName: on})
		if !p.isPunct(",") {
			return op, nil
		}
		p.advance()
	}
}

func (p *parser) summarize(pos int) (operator, *Error) {
	op := &summarizeOp{pos: pos}
	if !p.isIdent("by") {
		aggs, err := p.namedList("summarize")
		if err != nil {
			return nil, err
		}
		op.aggs = aggs
	}
	if p.isIdent("by") {
		p.advance()
		by, err := p.namedList("summarize")
		if err != nil {
			return nil, err
		}
		op.by = by
	}
	if len(op.aggs) == 0 && len(op.by) == 0 {
		return nil, p.errAt(p.tok().pos, "summarize needs an aggregation or a by clause")
	}
	return op, nil
}

func (p *parser) sortKeys() ([]sortKey, *Error) {
	return commaList(p, p.sortKey)
}

// sortKey := expr [asc|desc] [nulls first|nulls last]. KQL sorts descending by default;
// nulls come first when ascending and last when descending, unless told otherwise.
func (p *parser) sortKey() (sortKey, *Error) {
	x, err := p.expr()
	if err != nil {
		return sortKey{}, err
	}
	k := sortKey{x: x, desc: true}
	if p.isIdent("asc") {
		p.advance()
		k.desc = false
	} else if p.isIdent("desc") {
		p.advance()
	}
	k.nullsFirst = !k.desc
	if p.isIdent("nulls") {
		p.advance()
		switch {
		case p.isIdent("first"):
			k.nullsFirst = true
		case p.isIdent("last"):
			k.nullsFirst = false
		default:
			return sortKey{}, p.errAt(p.tok().pos, "expected 'first' or 'last' after nulls, got %s", p.describe(p.tok()))
		}
		p.advance()
	}
	return k, nil
}

// unionInputs := [kind=outer] input ("," input)*, input := name | "(" pipeline ")"
func (p *parser) unionInputs(pos int) ([]*pipeline, *Error) {
	for p.tok().kind == tokIdent && p.peek(1).kind == tokPunct && p.peek(1).val == "=" {
		opt := p.advance()
		p.advance()
		v := p.advance()
		if opt.val == "kind" && v.val == "outer" {
			continue
		}
		return nil, p.errAt(opt.pos, "union option %s=%s is not supported by kudulens", opt.val, v.val)
	}
	var inputs []*pipeline
	for {
		t := p.tok()
		switch {
		case t.kind == tokPunct && t.val == "(":
			p.advance()
			inner, err := p.pipeline()
			if err != nil {
				return nil, err
			}
			if _, err := p.expectPunct(")", "to close the union input"); err != nil {
				return nil, err
			}
			inputs = append(inputs, inner)
		case t.kind == tokIdent:
			p.advance()
			if p.isPunct("*") && p.tok().pos == t.end {
				return nil, p.errAt(t.pos, "table name wildcard in union is not supported by kudulens")
			}
			inputs = append(inputs, &pipeline{pos: t.pos, source: &tableSource{pos: t.pos, name: t.val}})
		default:
			return nil, p.errAt(t.pos, "expected a table name or (query) in union, got %s", p.describe(t))
		}
		if !p.isPunct(",") {
			break
		}
		p.advance()
	}
	return inputs, nil
}

// joinKinds are the join flavours kudulens translates.
var joinKinds = map[string]bool{
	"inner": true, "innerunique": true, "leftouter": true, "rightouter": true, "fullouter": true,
	"leftsemi": true, "leftanti": true, "rightsemi": true, "rightanti": true,
}

// join := "join" [kind=K] right "on" key ("," key)*
func (p *parser) join(pos int) (operator, *Error) {
	op := &joinOp{pos: pos, kind: ""}
	for p.tok().kind == tokIdent && p.peek(1).kind == tokPunct && p.peek(1).val == "=" {
		opt := p.advance()
		p.advance()
		v := p.advance()
		if opt.val != "kind" {
			return nil, p.errAt(opt.pos, "join option '%s' is not supported by kudulens", opt.val)
		}
		if !joinKinds[v.val] {
			return nil, p.errAt(v.pos, "join kind=%s is not supported by kudulens", v.val)
		}
		op.kind = v.val
	}
	if p.tok().kind == tokIdent && strings.HasPrefix(p.tok().val, "hint") {
		return nil, p.errAt(p.tok().pos, "join hints are not supported by kudulens")
	}
	if op.kind == "" {
		op.kind = "innerunique" // KQL's default
	}
	t := p.tok()
	switch {
	case t.kind == tokPunct && t.val == "(":
		p.advance()
		inner, err := p.pipeline()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct(")", "to close the join's right side"); err != nil {
			return nil, err
		}
		op.right = inner
	case t.kind == tokIdent && t.val != "on":
		p.advance()
		op.right = &pipeline{pos: t.pos, source: &tableSource{pos: t.pos, name: t.val}}
	default:
		return nil, p.errAt(t.pos, "expected the join's right side (a table name or (query)), got %s", p.describe(t))
	}
	if !p.isIdent("on") {
		if p.isIdent("where") {
			return nil, p.errAt(p.tok().pos, "join ... where is not supported by kudulens (time-window joins)")
		}
		return nil, p.errAt(p.tok().pos, "expected 'on' in join, got %s", p.describe(p.tok()))
	}
	p.advance()
	on, err := commaList(p, p.joinKey)
	if err != nil {
		return nil, err
	}
	op.on = on
	return op, nil
}

// joinKey := name | $left.name "==" $right.name
func (p *parser) joinKey() (joinKey, *Error) {
	t := p.tok()
	side := func() (string, string, int, *Error) {
		s := p.tok()
		if s.kind != tokIdent || (s.val != "$left" && s.val != "$right") {
			return "", "", s.pos, p.errAt(s.pos, "expected $left.column or $right.column, got %s", p.describe(s))
		}
		p.advance()
		if _, err := p.expectPunct(".", "after "+s.val); err != nil {
			return "", "", s.pos, err
		}
		n, _, err := p.name("a column name")
		return s.val, n, s.pos, err
	}
	if t.kind == tokIdent && (t.val == "$left" || t.val == "$right") {
		s1, n1, p1, err := side()
		if err != nil {
			return joinKey{}, err
		}
		if _, err := p.expectPunct("==", "between the join's $left and $right columns"); err != nil {
			return joinKey{}, err
		}
		s2, n2, p2, err := side()
		if err != nil {
			return joinKey{}, err
		}
		if s1 == s2 {
			return joinKey{}, p.errAt(p2, "a join condition compares $left with $right")
		}
		if s1 == "$right" {
			n1, n2, p1, p2 = n2, n1, p2, p1
		}
		return joinKey{pos: t.pos, left: n1, right: n2, lPos: p1, rPos: p2}, nil
	}
	n, pos, err := p.name("a join column")
	if err != nil {
		return joinKey{}, err
	}
	if p.isPunct("==") {
		return joinKey{}, p.errAt(p.tok().pos, "join condition other than a column or $left.a == $right.b is not supported by kudulens")
	}
	return joinKey{pos: pos, left: n, right: n, lPos: pos, rPos: pos}, nil
}

// render := "render" chart [with (...)]: kept only to be reported; it must be the last
// operator.
func (p *parser) render(pos int) (operator, *Error) {
	t := p.tok()
	if t.kind != tokIdent {
		return nil, p.errAt(t.pos, "expected a chart type after render, got %s", p.describe(t))
	}
	p.advance()
	op := &renderOp{pos: pos, chart: t.val}
	if p.isIdent("with") {
		p.advance()
		if _, err := p.expectPunct("(", "after render ... with"); err != nil {
			return nil, err
		}
		depth := 1
		for depth > 0 {
			t := p.advance()
			switch {
			case t.kind == tokEOF:
				return nil, p.errAt(t.pos, "unterminated render properties")
			case t.kind == tokPunct && t.val == "(":
				depth++
			case t.kind == tokPunct && t.val == ")":
				depth--
			}
		}
	}
	return op, nil
}

// ---- expressions ----

func (p *parser) expr() (expr, *Error) {
	if err := p.enter(p.tok().pos); err != nil {
		return nil, err
	}
	defer p.leave()
	return p.orExpr()
}

func (p *parser) orExpr() (expr, *Error) {
	return p.leftAssoc(p.andExpr, func() bool { return p.isIdent("or") })
}

func (p *parser) andExpr() (expr, *Error) {
	return p.leftAssoc(p.cmpExpr, func() bool { return p.isIdent("and") })
}

// leftAssoc parses operand (op operand)*, grouping to the left; isOp tells whether the current
// token is one of the level's operators (its text is the binaryExpr's op).
func (p *parser) leftAssoc(operand func() (expr, *Error), isOp func() bool) (expr, *Error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for isOp() {
		t := p.advance()
		r, err := operand()
		if err != nil {
			return nil, err
		}
		l = &binaryExpr{pos: l.exprPos(), opPos: t.pos, op: t.val, l: l, r: r}
	}
	return l, nil
}

// stringOps are the word operators on strings (with their ! negations where KQL has them).
var stringOps = map[string]bool{
	"contains": true, "!contains": true, "contains_cs": true, "!contains_cs": true,
	"has": true, "!has": true, "has_cs": true, "!has_cs": true,
	"hasprefix": true, "!hasprefix": true, "hasprefix_cs": true, "!hasprefix_cs": true,
	"hassuffix": true, "!hassuffix": true, "hassuffix_cs": true, "!hassuffix_cs": true,
	"startswith": true, "!startswith": true, "startswith_cs": true, "!startswith_cs": true,
	"endswith": true, "!endswith": true, "endswith_cs": true, "!endswith_cs": true,
}

// unsupportedWordOps exist in KQL but are outside the subset.
var unsupportedWordOps = map[string]bool{
	"!has_any": true, "has_any_cs": true, "notcontains": true,
	"notcontainscs": true, "containscs": true, "notlike": true, "like": true, "likecs": true,
	"notlikecs": true,
}

// cmpOp reads a comparison or string operator at the cursor, or returns "".
func (p *parser) cmpOp() (op string, pos int) {
	t := p.tok()
	pos = t.pos
	if t.kind == tokPunct {
		switch t.val {
		case "==", "!=", "<>", "<", "<=", ">", ">=", "=~", "!~":
			p.advance()
			return t.val, pos
		case "!":
			n := p.peek(1)
			if n.kind == tokIdent && n.pos == t.end {
				word := "!" + n.val
				if stringOps[word] || word == "!between" || unsupportedWordOps[word] {
					p.advance()
					p.advance()
					return word, pos
				}
				if word == "!in" {
					p.advance()
					p.advance()
					if m := p.tok(); m.kind == tokPunct && m.val == "~" && m.pos == n.end {
						p.advance()
						return "!in~", pos
					}
					return "!in", pos
				}
			}
		}
		return "", pos
	}
	if t.kind != tokIdent {
		return "", pos
	}
	switch {
	case stringOps[t.val] || t.val == "between" || t.val == "has_any" || t.val == "has_all" || unsupportedWordOps[t.val]:
		p.advance()
		return t.val, pos
	case t.val == "in":
		p.advance()
		if m := p.tok(); m.kind == tokPunct && m.val == "~" && m.pos == t.end {
			p.advance()
			return "in~", pos
		}
		return "in", pos
	case t.val == "matches":
		n := p.peek(1)
		if n.kind == tokIdent && n.val == "regex" {
			p.advance()
			p.advance()
			return "matches regex", pos
		}
	}
	return "", pos
}

func (p *parser) cmpExpr() (expr, *Error) {
	l, err := p.addExpr()
	if err != nil {
		return nil, err
	}
	op, opPos := p.cmpOp()
	switch {
	case op == "":
		return l, nil
	case unsupportedWordOps[op]:
		return nil, p.errAt(opPos, "operator '%s' is not supported by kudulens", op)
	case op == "in" || op == "!in" || op == "in~" || op == "!in~" || op == "has_any" || op == "has_all":
		if _, err := p.expectPunct("(", "after "+op); err != nil {
			return nil, err
		}
		e := &inExpr{pos: l.exprPos(), opPos: opPos, x: l, not: op[0] == '!', ci: strings.HasSuffix(op, "~"), op: strings.Trim(op, "!~")}
		if p.looksTabular(p.i) {
			return nil, p.errAt(p.tok().pos, "%s with a tabular expression is not supported by kudulens (write the values)", op)
		}
		list, err := commaList(p, p.expr)
		if err != nil {
			return nil, err
		}
		e.list = append(e.list, list...)
		if _, err := p.expectPunct(")", "to close the "+op+" list"); err != nil {
			return nil, err
		}
		return p.noChain(e)
	case op == "between" || op == "!between":
		if _, err := p.expectPunct("(", "after "+op); err != nil {
			return nil, err
		}
		lo, err := p.addExpr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct("..", "between the bounds of "+op); err != nil {
			return nil, err
		}
		hi, err := p.addExpr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct(")", "to close "+op); err != nil {
			return nil, err
		}
		return p.noChain(&betweenExpr{pos: l.exprPos(), opPos: opPos, x: l, lo: lo, hi: hi, not: op == "!between"})
	}
	r, err := p.addExpr()
	if err != nil {
		return nil, err
	}
	return p.noChain(&binaryExpr{pos: l.exprPos(), opPos: opPos, op: op, l: l, r: r})
}

// noChain rejects a second comparison right after the first (a < b < c).
func (p *parser) noChain(x expr) (expr, *Error) {
	save := p.i
	if op, pos := p.cmpOp(); op != "" {
		p.i = save
		return nil, p.errAt(pos, "unexpected '%s' after a comparison (add parentheses)", op)
	}
	return x, nil
}

func (p *parser) addExpr() (expr, *Error) {
	return p.leftAssoc(p.mulExpr, func() bool { return p.isPunct("+") || p.isPunct("-") })
}

func (p *parser) mulExpr() (expr, *Error) {
	return p.leftAssoc(p.unaryExpr, func() bool { return p.isPunct("*") || p.isPunct("/") || p.isPunct("%") })
}

func (p *parser) unaryExpr() (expr, *Error) {
	if p.isPunct("-") || p.isPunct("+") {
		t := p.advance()
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.unaryExpr()
		if err != nil {
			return nil, err
		}
		return &unaryExpr{pos: t.pos, op: t.val, x: x}, nil
	}
	return p.postfixExpr()
}

func (p *parser) postfixExpr() (expr, *Error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.isPunct("."):
			p.advance()
			t := p.tok()
			switch {
			case t.kind == tokIdent:
				p.advance()
				x = &memberExpr{pos: x.exprPos(), x: x, name: t.val}
			case t.kind == tokPunct && t.val == "[":
				name, _, err := p.bracketName()
				if err != nil {
					return nil, err
				}
				x = &memberExpr{pos: x.exprPos(), x: x, name: name}
			default:
				return nil, p.errAt(t.pos, "expected a property name after '.', got %s", p.describe(t))
			}
		case p.isPunct("["):
			p.advance()
			idx, err := p.expr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expectPunct("]", "to close the index"); err != nil {
				return nil, err
			}
			x = &indexExpr{pos: x.exprPos(), x: x, idx: idx}
		default:
			return x, nil
		}
	}
}

// typedNull names the types whose null literal is written T(null).
var typedNull = map[string]kqlType{
	"bool": typeBool, "boolean": typeBool, "int": typeInt, "long": typeLong, "real": typeReal,
	"double": typeReal, "string": typeString, "dynamic": typeDynamic,
}

func (p *parser) primary() (expr, *Error) {
	t := p.tok()
	switch t.kind {
	case tokString:
		p.advance()
		v := t.val
		// KQL joins adjacent string literals ("a" "b" is "ab").
		for p.tok().kind == tokString {
			v += p.advance().val
		}
		return &literal{pos: t.pos, kind: litString, s: v, typ: typeString}, nil
	case tokInt:
		p.advance()
		v, _ := strconv.ParseInt(t.val, 10, 64)
		return &literal{pos: t.pos, kind: litLong, i: v, typ: typeLong}, nil
	case tokReal:
		p.advance()
		v, err := strconv.ParseFloat(t.val, 64)
		if err != nil {
			return nil, p.errAt(t.pos, "invalid real literal %s", t.val)
		}
		return &literal{pos: t.pos, kind: litReal, f: v, typ: typeReal}, nil
	case tokTimespan:
		p.advance()
		v, err := parseTimespanLiteral(t.val)
		if err != nil {
			return nil, p.errAt(t.pos, "%v", err)
		}
		return &literal{pos: t.pos, kind: litTimespan, i: v, typ: typeTimespan}, nil
	case tokRawLit:
		p.advance()
		return p.rawLiteral(t)
	case tokPunct:
		switch t.val {
		case "(":
			p.advance()
			if p.looksTabular(p.i) {
				return nil, p.errAt(p.tok().pos, "tabular expression used as a scalar is not supported by kudulens (toscalar)")
			}
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expectPunct(")", "to close the parenthesis"); err != nil {
				return nil, err
			}
			return &parenExpr{pos: t.pos, x: x}, nil
		case "[":
			name, pos, err := p.bracketName()
			if err != nil {
				return nil, err
			}
			return &nameRef{pos: pos, name: name}, nil
		case "*":
			p.advance()
			return &starExpr{pos: t.pos}, nil
		case "{":
			return nil, p.errAt(t.pos, "'{' here is not supported by kudulens")
		}
	case tokIdent:
		switch t.val {
		case "true", "True", "TRUE":
			p.advance()
			return &literal{pos: t.pos, kind: litBool, b: true, typ: typeBool}, nil
		case "false", "False", "FALSE":
			p.advance()
			return &literal{pos: t.pos, kind: litBool, b: false, typ: typeBool}, nil
		case "and", "or", "by", "on":
			return nil, p.errAt(t.pos, "expected an expression, got '%s'", t.val)
		}
		p.advance()
		if !p.isPunct("(") {
			return &nameRef{pos: t.pos, name: t.val}, nil
		}
		if typ, ok := typedNull[t.val]; ok {
			return p.typedLiteral(t, typ)
		}
		p.advance()
		call := &callExpr{pos: t.pos, name: t.val}
		if !p.isPunct(")") {
			args, err := commaList(p, p.expr)
			if err != nil {
				return nil, err
			}
			call.args = args
		}
		if _, err := p.expectPunct(")", "to close the arguments of "+t.val+"()"); err != nil {
			return nil, err
		}
		return call, nil
	}
	return nil, p.errAt(t.pos, "expected an expression, got %s", p.describe(t))
}

// typedLiteral reads int(5), long(null), real(1.5), bool(true), string("x"), dynamic(null).
func (p *parser) typedLiteral(name token, typ kqlType) (expr, *Error) {
	p.advance() // (
	if typ == typeDynamic && !(p.isIdent("null") && p.peek(1).kind == tokPunct && p.peek(1).val == ")") {
		var b strings.Builder
		if err := p.jsonValue(&b, 0); err != nil {
			return nil, err
		}
		if _, err := p.expectPunct(")", "to close dynamic(...)"); err != nil {
			return nil, err
		}
		return &literal{pos: name.pos, kind: litDynamic, s: b.String(), typ: typeDynamic}, nil
	}
	neg := false
	if p.isPunct("-") || typ == typeReal && p.isPunct("+") {
		neg = p.tok().val == "-"
		p.advance()
	}
	v := p.advance()
	if _, err := p.expectPunct(")", "to close "+name.val+"(...)"); err != nil {
		return nil, err
	}
	bad := func() (expr, *Error) {
		return nil, p.errAt(name.pos, "literal %s is not supported by kudulens", p.q[name.pos:p.tok().pos])
	}
	if v.kind == tokIdent && v.val == "null" && !neg {
		return &literal{pos: name.pos, kind: litNull, typ: typ}, nil
	}
	switch typ {
	case typeInt, typeLong:
		if v.kind != tokInt {
			return bad()
		}
		n, _ := strconv.ParseInt(v.val, 10, 64)
		if neg {
			n = -n
		}
		if typ == typeInt && (n > 1<<31-1 || n < -(1<<31)) {
			return nil, p.errAt(name.pos, "int literal out of range")
		}
		return &literal{pos: name.pos, kind: litLong, i: n, typ: typ}, nil
	case typeReal:
		if v.kind == tokIdent && (v.val == "nan" || v.val == "inf") {
			// real(nan), real(+inf), real(-inf): the special values of the real type.
			f := math.NaN()
			if v.val == "inf" {
				f = math.Inf(1)
			}
			if neg {
				f = -f
			}
			return &literal{pos: name.pos, kind: litReal, f: f, typ: typeReal}, nil
		}
		if v.kind != tokInt && v.kind != tokReal {
			return bad()
		}
		f, _ := strconv.ParseFloat(v.val, 64)
		if neg {
			f = -f
		}
		return &literal{pos: name.pos, kind: litReal, f: f, typ: typeReal}, nil
	case typeBool:
		if v.kind == tokIdent && (v.val == "true" || v.val == "false") && !neg {
			return &literal{pos: name.pos, kind: litBool, b: v.val == "true", typ: typeBool}, nil
		}
	case typeString:
		if v.kind == tokString && !neg {
			return &literal{pos: name.pos, kind: litString, s: v.val, typ: typeString}, nil
		}
	}
	return bad()
}

// jsonValue reads the JSON-like value of a dynamic literal (arrays, property bags, strings,
// numbers, true, false, null) and writes it to b as JSON.
func (p *parser) jsonValue(b *strings.Builder, depth int) *Error {
	if depth > maxDepth {
		return p.errAt(p.tok().pos, "dynamic literal nested more than %d levels deep is not supported by kudulens", maxDepth)
	}
	t := p.tok()
	switch {
	case t.kind == tokPunct && (t.val == "[" || t.val == "{"):
		p.advance()
		closer := map[string]string{"[": "]", "{": "}"}[t.val]
		b.WriteString(t.val)
		for i := 0; !p.isPunct(closer); i++ {
			if i > 0 {
				if _, err := p.expectPunct(",", "between the values of a dynamic literal"); err != nil {
					return err
				}
				b.WriteByte(',')
			}
			if t.val == "{" {
				k := p.tok()
				if k.kind != tokString && k.kind != tokIdent {
					return p.errAt(k.pos, "expected a property name in a dynamic literal, got %s", p.describe(k))
				}
				p.advance()
				b.WriteString(jsonString(k.val))
				if _, err := p.expectPunct(":", "after a property name"); err != nil {
					return err
				}
				b.WriteByte(':')
			}
			if err := p.jsonValue(b, depth+1); err != nil {
				return err
			}
		}
		p.advance()
		b.WriteString(closer)
		return nil
	case t.kind == tokString:
		p.advance()
		b.WriteString(jsonString(t.val))
		return nil
	case t.kind == tokPunct && t.val == "-" || t.kind == tokInt || t.kind == tokReal:
		sign := ""
		if t.kind == tokPunct {
			sign = "-"
			p.advance()
			t = p.tok()
			if t.kind != tokInt && t.kind != tokReal {
				return p.errAt(t.pos, "expected a number after '-', got %s", p.describe(t))
			}
		}
		p.advance()
		if t.kind == tokReal {
			f, err := strconv.ParseFloat(t.val, 64)
			if err != nil {
				return p.errAt(t.pos, "invalid real literal %s", t.val)
			}
			b.WriteString(sign + strconv.FormatFloat(f, 'g', -1, 64))
			return nil
		}
		b.WriteString(sign + t.val)
		return nil
	case t.kind == tokIdent && (t.val == "true" || t.val == "false" || t.val == "null"):
		p.advance()
		b.WriteString(t.val)
		return nil
	}
	return p.errAt(t.pos, "%s inside a dynamic literal is not supported by kudulens", p.describe(t))
}

// jsonString writes s as a JSON string.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// rawLiteral turns datetime(...), timespan(...) and time(...) into literals.
func (p *parser) rawLiteral(t token) (expr, *Error) {
	if t.lit == "datetime" {
		if t.val == "" {
			return &literal{pos: t.pos, kind: litDatetime, typ: typeDatetime, isNow: true}, nil
		}
		v, ok, err := parseDatetimeContent(t.val)
		if err != nil {
			return nil, p.errAt(t.pos, "%v", err)
		}
		if !ok {
			return &literal{pos: t.pos, kind: litNull, typ: typeDatetime}, nil
		}
		return &literal{pos: t.pos, kind: litDatetime, t: v, typ: typeDatetime}, nil
	}
	v, ok, err := parseTimespanContent(t.val)
	if err != nil {
		return nil, p.errAt(t.pos, "%v", err)
	}
	if !ok {
		return &literal{pos: t.pos, kind: litNull, typ: typeTimespan}, nil
	}
	return &literal{pos: t.pos, kind: litTimespan, i: v, typ: typeTimespan}, nil
}
