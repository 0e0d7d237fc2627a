package kql

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Operator precedence of the SQL the translator writes, used to add parentheses only where
// they are needed.
const (
	precOr = iota
	precAnd
	precNot
	precCmp // = <> < IS LIKE BETWEEN IN
	precAdd // + - ||
	precMul // * / // %
	precUnary
	precAtom
)

// sqlExpr is a translated scalar expression.
type sqlExpr struct {
	sql      string
	typ      kqlType
	prec     int
	nullable bool // may be SQL NULL
	int32    bool // DuckDB INTEGER (an int column, or a small integer literal): widen before arithmetic
	konst    *literal
	json     *jsonRef // a value inside a JSON column (customDimensions.x): base and path
	list     bool     // a DuckDB LIST (split(), make_list())
	elem     kqlType  // the type of a LIST's elements
	typeArg  bool     // typeof(T): a type, not a value (typ is T)
}

// jsonRef addresses a dynamic value: base is the SQL of a JSON column, path a JSON path.
type jsonRef struct {
	base string
	path string
}

// paren returns e's SQL, parenthesised when its precedence is below min.
func (e *sqlExpr) paren(min int) string {
	if e.prec < min {
		return "(" + e.sql + ")"
	}
	return e.sql
}

// scope is what names resolve to inside an expression: the input columns of the stage,
// then let variables. aggs is set while translating summarize aggregations.
type scope struct {
	cols     []column
	noCols   bool // let statements: columns are not in scope
	agg      *aggState
	inAgg    bool // inside an aggregation function's arguments
	colsWhat string
}

func (s *scope) lookup(name string) (column, bool) {
	for _, c := range s.cols {
		if c.name == name {
			return c, true
		}
	}
	return column{}, false
}

// similar finds a column whose name differs from name only in case.
func (s *scope) similar(name string) string {
	for _, c := range s.cols {
		if strings.EqualFold(c.name, name) {
			return c.name
		}
	}
	return ""
}

// maxExprDepth bounds the translator's recursion (long and/or chains nest to the left).
const maxExprDepth = 2000

// scalar translates e. positive says that a NULL result would be read as false (a where
// predicate and the and/or operands under it, countif, the condition of iff): there a
// string predicate may skip the work of reading SQL NULL as "".
func (t *translator) scalar(e expr, sc *scope, positive bool) (*sqlExpr, *Error) {
	t.depth++
	defer func() { t.depth-- }()
	if t.depth > maxExprDepth {
		return nil, t.errAt(e.exprPos(), "expression nested too deeply is not supported by kudulens")
	}
	switch e := e.(type) {
	case *parenExpr:
		return t.scalar(e.x, sc, positive)
	case *literal:
		return t.literal(e)
	case *nameRef:
		return t.name(e, sc)
	case *binaryExpr:
		return t.binary(e, sc, positive)
	case *unaryExpr:
		x, err := t.scalar(e.x, sc, false)
		if err != nil {
			return nil, err
		}
		if !x.typ.numeric() && x.typ != typeTimespan && x.typ != typeNull {
			return nil, t.errAt(e.pos, "unary %s needs a number or timespan, got %s", e.op, x.typ)
		}
		if e.op == "+" {
			return x, nil
		}
		if x.konst != nil {
			switch x.konst.kind {
			case litLong:
				return t.literal(&literal{pos: e.pos, kind: litLong, i: -x.konst.i, typ: x.typ})
			case litReal:
				return t.literal(&literal{pos: e.pos, kind: litReal, f: -x.konst.f, typ: typeReal})
			case litTimespan:
				return t.literal(&literal{pos: e.pos, kind: litTimespan, i: -x.konst.i, typ: typeTimespan})
			}
		}
		operand := x.paren(precUnary)
		if strings.HasPrefix(operand, "-") {
			operand = "(" + operand + ")" // "--" would start an SQL comment
		}
		return &sqlExpr{sql: "-" + operand, typ: x.typ, prec: precUnary, nullable: x.nullable, int32: x.int32}, nil
	case *callExpr:
		return t.call(e, sc, positive)
	case *memberExpr:
		x, err := t.scalar(e.x, sc, false)
		if err != nil {
			return nil, err
		}
		return t.jsonStep(e.pos, x, e.name, 0, false)
	case *indexExpr:
		x, err := t.scalar(e.x, sc, false)
		if err != nil {
			return nil, err
		}
		idx, err := t.scalar(e.idx, sc, false)
		if err != nil {
			return nil, err
		}
		if idx.konst == nil || (idx.konst.kind != litString && idx.konst.kind != litLong) {
			return nil, t.errAt(e.idx.exprPos(), "index that is not a constant string or integer is not supported by kudulens")
		}
		if idx.konst.kind == litString {
			return t.jsonStep(e.pos, x, idx.konst.s, 0, false)
		}
		return t.jsonStep(e.pos, x, "", idx.konst.i, true)
	case *inExpr:
		return t.in(e, sc, positive)
	case *betweenExpr:
		return t.between(e, sc, positive)
	case *starExpr:
		return nil, t.errAt(e.pos, "'*' is only allowed in arg_max(), arg_min() and distinct")
	}
	return nil, t.errAt(e.exprPos(), "this expression is not supported by kudulens")
}

func (t *translator) literal(l *literal) (*sqlExpr, *Error) {
	x := &sqlExpr{typ: l.typ, prec: precAtom, konst: l}
	switch l.kind {
	case litString:
		x.sql = quoteString(l.s)
	case litLong:
		x.sql = strconv.FormatInt(l.i, 10)
		x.int32 = l.i >= -(1<<31) && l.i < 1<<31
		if l.i < 0 {
			x.prec = precUnary
		}
	case litReal:
		if math.IsNaN(l.f) || math.IsInf(l.f, 0) {
			x.sql = "CAST('" + strconv.FormatFloat(l.f, 'g', -1, 64) + "' AS DOUBLE)"
			break
		}
		s := strconv.FormatFloat(l.f, 'g', -1, 64)
		x.sql = s + "::DOUBLE"
		if l.f < 0 {
			x.sql = "(" + s + ")::DOUBLE"
		}
	case litBool:
		x.sql = strconv.FormatBool(l.b)
	case litDatetime:
		if l.isNow {
			now, err := t.now(l.pos, "datetime()")
			if err != nil {
				return nil, err
			}
			x.sql = sqlTimestamp(now)
			x.konst = &literal{pos: l.pos, kind: litDatetime, t: now, typ: typeDatetime}
			return x, nil
		}
		x.sql = sqlTimestamp(l.t)
	case litTimespan:
		s, err := sqlInterval(l.i)
		if err != nil {
			return nil, t.errAt(l.pos, "%v", err)
		}
		x.sql = s
		if l.i < 0 {
			x.prec = precUnary
		}
	case litDynamic:
		x.sql = "CAST(" + quoteString(l.s) + " AS JSON)"
		x.json = &jsonRef{base: x.sql, path: "$"}
	case litNull:
		x.sql = "CAST(NULL AS " + l.typ.sqlTypeName() + ")"
		x.nullable = true
		x.konst = nil
		if l.typ == typeString {
			// string(null) is KQL's empty string.
			x.sql, x.nullable, x.konst = "''", false, &literal{pos: l.pos, kind: litString, typ: typeString}
		}
		if l.typ == typeDynamic {
			x.json = &jsonRef{base: "CAST(NULL AS JSON)", path: "$"}
		}
	}
	return x, nil
}

// now returns the evaluation time for ago()/now(), or an error when none was given: the
// translator never reads the wall clock, so old bundles are analysed as of their capture.
func (t *translator) now(pos int, what string) (time.Time, *Error) {
	if t.opts.Now.IsZero() {
		return time.Time{}, t.errAt(pos, "%s needs the evaluation time (Options.Now; kudulens query --at)", what)
	}
	if !t.usedNow {
		t.usedNow = true
		t.notes = append(t.notes, "ago() and now() are evaluated at "+t.opts.Now.UTC().Format(time.RFC3339Nano))
	}
	return t.opts.Now.UTC(), nil
}

func (t *translator) name(e *nameRef, sc *scope) (*sqlExpr, *Error) {
	if !sc.noCols {
		if c, ok := sc.lookup(e.name); ok {
			if sc.agg != nil && !sc.inAgg {
				return nil, t.errAt(e.pos, "column '%s' must be inside an aggregation function (count(), max(), ...) or in the by clause", e.name)
			}
			x := &sqlExpr{sql: quoteIdent(c.sql), typ: c.typ, prec: precAtom, nullable: true, int32: c.typ == typeInt, list: c.list, elem: c.elem}
			if c.typ == typeDynamic && !c.list {
				x.json = &jsonRef{base: x.sql, path: "$"}
			}
			return x, nil
		}
	}
	if b, ok := t.lookupLet(e.name); ok {
		if b.fn != nil {
			return nil, t.errAt(e.pos, "'%s' is a function: call it as %s(...)", e.name, e.name)
		}
		if b.scalar == nil {
			return nil, t.errAt(e.pos, "'%s' is a tabular expression, used here as a scalar", e.name)
		}
		x := *b.scalar
		return &x, nil
	}
	if !sc.noCols {
		if s := sc.similar(e.name); s != "" {
			return nil, t.errAt(e.pos, "unknown column '%s' (column names are case-sensitive: did you mean '%s'?)", e.name, s)
		}
	}
	if e.name == "properties" {
		return nil, t.errAt(e.pos, "unknown column 'properties' (in KQL, customEvents.properties is customDimensions)")
	}
	if t.isTable(e.name) {
		return nil, t.errAt(e.pos, "table '%s' used as a scalar", e.name)
	}
	if sc.noCols {
		what := sc.colsWhat
		if what == "" {
			what = "columns are not in scope in a let statement"
		}
		return nil, t.errAt(e.pos, "unknown name '%s' (%s)", e.name, what)
	}
	return nil, t.errAt(e.pos, "unknown column '%s'", e.name)
}

// jsonPathKey is a JSON path member step: $.name when name is a plain identifier,
// $."name" otherwise.
var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// jsonStep applies .name, ["name"] or [i] to a dynamic value.
func (t *translator) jsonStep(pos int, x *sqlExpr, key string, idx int64, isIdx bool) (*sqlExpr, *Error) {
	if x.list {
		if !isIdx {
			return nil, t.errAt(pos, "property '%s' of an array is not supported by kudulens", key)
		}
		// KQL arrays are 0-based, DuckDB lists 1-based; negative indexes count from the end
		// in both.
		i := idx
		if i >= 0 {
			i++
		}
		el := &sqlExpr{sql: x.paren(precAtom) + "[" + strconv.FormatInt(i, 10) + "]", typ: x.elem, prec: precAtom, nullable: true}
		if x.elem == typeDynamic {
			el.json = &jsonRef{base: el.sql, path: "$"}
		}
		return el, nil
	}
	if x.json == nil {
		return nil, t.errAt(pos, "'.%s' and [...] need a dynamic value (customDimensions), got %s", key, x.typ)
	}
	path := x.json.path
	switch {
	case isIdx && idx >= 0:
		path += fmt.Sprintf("[%d]", idx)
	case isIdx:
		path += fmt.Sprintf("[#%d]", idx)
	case plainKey.MatchString(key):
		path += "." + key
	case key == "":
		return nil, t.errAt(pos, "an empty property name is not supported by kudulens")
	case strings.ContainsAny(key, "\"\\"):
		return nil, t.errAt(pos, "property name with a quote or backslash is not supported by kudulens")
	default:
		path += `."` + key + `"`
	}
	ref := &jsonRef{base: x.json.base, path: path}
	return &sqlExpr{sql: "json_extract(" + ref.base + ", " + quoteString(path) + ")", typ: typeDynamic, prec: precAtom, nullable: true, json: ref}, nil
}

// asString converts a dynamic value to its string form (KQL's tostring): the string itself
// for a JSON string, the JSON text otherwise, NULL (that is "") when missing.
func (t *translator) asString(pos int, x *sqlExpr, what string) (*sqlExpr, *Error) {
	switch {
	case x.typ == typeString:
		return x, nil
	case x.typ == typeNull:
		return &sqlExpr{sql: "''", typ: typeString, prec: precAtom, konst: &literal{kind: litString, typ: typeString}}, nil
	case x.list:
		return &sqlExpr{sql: "CAST(to_json(" + x.sql + ") AS VARCHAR)", typ: typeString, prec: precAtom, nullable: x.nullable}, nil
	case x.json != nil:
		return &sqlExpr{sql: "json_extract_string(" + x.json.base + ", " + quoteString(x.json.path) + ")", typ: typeString, prec: precAtom, nullable: true}, nil
	}
	return nil, t.errAt(pos, "%s needs a string, got %s (convert it with tostring())", what, x.typ)
}

// nonNull returns x with SQL NULL read as KQL's empty string (strings only).
func nonNull(x *sqlExpr) *sqlExpr {
	if x.typ != typeString || !x.nullable {
		return x
	}
	return &sqlExpr{sql: "coalesce(" + x.sql + ", '')", typ: typeString, prec: precAtom}
}

func (t *translator) binary(e *binaryExpr, sc *scope, positive bool) (*sqlExpr, *Error) {
	switch e.op {
	case "and", "or":
		l, err := t.scalar(e.l, sc, positive)
		if err != nil {
			return nil, err
		}
		r, err := t.scalar(e.r, sc, positive)
		if err != nil {
			return nil, err
		}
		for _, x := range []struct {
			e *sqlExpr
			p int
		}{{l, e.l.exprPos()}, {r, e.r.exprPos()}} {
			if x.e.typ != typeBool && x.e.typ != typeNull {
				return nil, t.errAt(x.p, "'%s' needs bool operands, got %s", e.op, x.e.typ)
			}
		}
		if e.op == "and" {
			return &sqlExpr{sql: l.paren(precAnd) + " AND " + r.paren(precAnd+1), typ: typeBool, prec: precAnd, nullable: l.nullable || r.nullable}, nil
		}
		return &sqlExpr{sql: l.paren(precOr) + " OR " + r.paren(precOr+1), typ: typeBool, prec: precOr, nullable: l.nullable || r.nullable}, nil
	case "+", "-", "*", "/", "%":
		l, err := t.scalar(e.l, sc, false)
		if err != nil {
			return nil, err
		}
		r, err := t.scalar(e.r, sc, false)
		if err != nil {
			return nil, err
		}
		return t.arith(e, l, r)
	}
	l, err := t.scalar(e.l, sc, false)
	if err != nil {
		return nil, err
	}
	r, err := t.scalar(e.r, sc, false)
	if err != nil {
		return nil, err
	}
	if e.op == "matches regex" {
		return t.matchesRegex(e, l, r, positive)
	}
	if stringOps[e.op] || e.op == "=~" || e.op == "!~" {
		return t.stringPredicate(e.opPos, e.op, l, r, positive)
	}
	return t.compare(e, l, r, positive)
}

// compare translates ==, !=, <, <=, >, >=.
func (t *translator) compare(e *binaryExpr, l, r *sqlExpr, positive bool) (*sqlExpr, *Error) {
	op := e.op
	if op == "<>" {
		op = "!="
	}
	// Strings, and dynamic values compared with strings, compare as strings.
	if l.typ == typeString || r.typ == typeString {
		ls, err := t.asString(e.l.exprPos(), l, "'"+e.op+"'")
		if err != nil {
			return nil, t.errAt(e.opPos, "cannot compare %s with %s", l.typ, r.typ)
		}
		rs, err := t.asString(e.r.exprPos(), r, "'"+e.op+"'")
		if err != nil {
			return nil, t.errAt(e.opPos, "cannot compare %s with %s", l.typ, r.typ)
		}
		return t.stringPredicate(e.opPos, op, ls, rs, positive)
	}
	// A dynamic value compared with a number, bool, datetime or timespan is read as one.
	if l.typ == typeDynamic && r.typ != typeDynamic && r.typ != typeNull {
		l = dynamicAs(l, r.typ)
	} else if r.typ == typeDynamic && l.typ != typeDynamic && l.typ != typeNull {
		r = dynamicAs(r, l.typ)
	}
	if !comparable(l.typ, r.typ) {
		return nil, t.errAt(e.opPos, "cannot compare %s with %s", l.typ, r.typ)
	}
	if l.typ == typeDynamic || r.typ == typeDynamic {
		return nil, t.errAt(e.opPos, "comparing two dynamic values is not supported by kudulens (convert them with tostring(), toint(), todatetime(), ...)")
	}
	if (l.typ == typeBool || r.typ == typeBool) && op != "==" && op != "!=" {
		return nil, t.errAt(e.opPos, "cannot order bool values with '%s'", e.op)
	}
	ls, rs := l.paren(precCmp+1), r.paren(precCmp+1)
	nullable := l.nullable || r.nullable
	switch op {
	case "==":
		switch {
		case !nullable || positive:
			return cmpExpr(ls+" = "+rs, nullable), nil
		case !l.nullable || !r.nullable:
			// KQL: null == value is false.
			return cmpExpr("coalesce("+ls+" = "+rs+", false)", false), nil
		}
		// null == null is null in KQL.
		return cmpExpr("CASE WHEN "+ls+" IS NULL AND "+rs+" IS NULL THEN NULL ELSE "+ls+" IS NOT DISTINCT FROM "+rs+" END", true), nil
	case "!=":
		switch {
		case !nullable:
			return cmpExpr(ls+" <> "+rs, false), nil
		case positive || !l.nullable || !r.nullable:
			// KQL: null != value is true.
			return cmpExpr(ls+" IS DISTINCT FROM "+rs, false), nil
		}
		return cmpExpr("CASE WHEN "+ls+" IS NULL AND "+rs+" IS NULL THEN NULL ELSE "+ls+" IS DISTINCT FROM "+rs+" END", true), nil
	case "<", "<=", ">", ">=":
		return cmpExpr(ls+" "+op+" "+rs, nullable), nil
	}
	return nil, t.errAt(e.opPos, "operator '%s' is not supported by kudulens", e.op)
}

// dynamicAs reads a dynamic value as a value of type typ (null when it does not convert).
func dynamicAs(x *sqlExpr, typ kqlType) *sqlExpr {
	s := "CAST(to_json(" + x.sql + ") AS VARCHAR)"
	if x.json != nil {
		s = "json_extract_string(" + x.json.base + ", " + quoteString(x.json.path) + ")"
	}
	st := typ.sqlTypeName()
	if typ.numeric() {
		st = "DOUBLE"
		typ = typeReal
	}
	return atom("TRY_CAST("+s+" AS "+st+")", typ, true)
}

func cmpExpr(sql string, nullable bool) *sqlExpr {
	return &sqlExpr{sql: sql, typ: typeBool, prec: precCmp, nullable: nullable}
}

// comparable reports whether values of types a and b can be compared.
func comparable(a, b kqlType) bool {
	switch {
	case a == typeNull || b == typeNull:
		return true
	case a.numeric() && b.numeric():
		return true
	}
	return a == b
}

// arith translates + - * / % with KQL's typing: long arithmetic on integers (division
// truncates), real when either side is real, and datetime/timespan arithmetic on
// intervals.
func (t *translator) arith(e *binaryExpr, l, r *sqlExpr) (*sqlExpr, *Error) {
	lt, rt := l.typ, r.typ
	if lt == typeNull {
		lt = rt
	}
	if rt == typeNull {
		rt = lt
	}
	bad := func() (*sqlExpr, *Error) {
		if lt == typeString && rt == typeString && e.op == "+" {
			return nil, t.errAt(e.opPos, "'+' does not join strings in KQL (use strcat())")
		}
		return nil, t.errAt(e.opPos, "'%s' is not defined for %s and %s", e.op, lt, rt)
	}
	nullable := l.nullable || r.nullable
	mk := func(sql string, typ kqlType, prec int) *sqlExpr {
		return &sqlExpr{sql: sql, typ: typ, prec: prec, nullable: nullable}
	}
	ls, rs := l.paren(precAdd), r.paren(precAdd+1)
	if e.op == "*" || e.op == "/" || e.op == "%" {
		ls, rs = l.paren(precMul), r.paren(precMul+1)
	}
	switch {
	case lt.numeric() && rt.numeric():
		typ := typeReal
		if lt.integral() && rt.integral() {
			typ = typeLong
			if l.int32 && r.int32 {
				// Both sides are DuckDB INTEGERs: widen, as KQL computes in 64 bits.
				ls = "CAST(" + l.sql + " AS BIGINT)"
			}
		}
		op := e.op
		if op == "/" && typ == typeLong {
			op = "//" // integer division truncates, as in KQL
		}
		if op == "%" {
			// KQL's modulo is never negative: 0 <= n % d < abs(d) (-7 % 2 is 1).
			d := "abs(" + r.sql + ")"
			return mk("(("+ls+" % "+d+") + "+d+") % "+d, typ, precMul), nil
		}
		prec := precAdd
		if op != "+" && op != "-" {
			prec = precMul
		}
		return mk(ls+" "+op+" "+rs, typ, prec), nil
	case lt == typeDatetime && rt == typeDatetime && e.op == "-":
		return mk(ls+" - "+rs, typeTimespan, precAdd), nil
	case lt == typeDatetime && rt == typeTimespan && (e.op == "+" || e.op == "-"):
		return mk(ls+" "+e.op+" "+rs, typeDatetime, precAdd), nil
	case lt == typeTimespan && rt == typeDatetime && e.op == "+":
		return mk(ls+" + "+rs, typeDatetime, precAdd), nil
	case lt == typeTimespan && rt == typeTimespan && (e.op == "+" || e.op == "-"):
		return mk(ls+" "+e.op+" "+rs, typeTimespan, precAdd), nil
	case lt == typeTimespan && rt == typeTimespan && e.op == "/":
		return mk("epoch_us("+l.sql+") / epoch_us("+r.sql+")", typeReal, precMul), nil
	case lt == typeTimespan && rt.numeric() && (e.op == "*" || e.op == "/"):
		if e.op == "*" && rt.integral() {
			return mk(ls+" * "+r.paren(precMul+1), typeTimespan, precMul), nil
		}
		return mk("to_microseconds(CAST(round(epoch_us("+l.sql+") "+e.op+" "+r.paren(precMul+1)+") AS BIGINT))", typeTimespan, precAtom), nil
	case lt.numeric() && rt == typeTimespan && e.op == "*":
		if lt.integral() {
			return mk(r.paren(precMul)+" * "+l.paren(precMul+1), typeTimespan, precMul), nil
		}
		return mk("to_microseconds(CAST(round(epoch_us("+r.sql+") * "+l.paren(precMul+1)+") AS BIGINT))", typeTimespan, precAtom), nil
	}
	return bad()
}

func (t *translator) in(e *inExpr, sc *scope, positive bool) (*sqlExpr, *Error) {
	x, err := t.scalar(e.x, sc, false)
	if err != nil {
		return nil, err
	}
	var items []*sqlExpr
	var itemPos []int // the position of each item's expression, for errors
	allConst := true
	for _, it := range e.list {
		v, err := t.scalar(it, sc, false)
		if err != nil {
			return nil, err
		}
		vs, err := t.listItems(it.exprPos(), v)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			items = append(items, v)
			itemPos = append(itemPos, it.exprPos())
			if v.konst == nil {
				allConst = false
			}
		}
	}
	if e.op == "has_any" || e.op == "has_all" {
		return t.hasAnyAll(e, x, items, itemPos, positive)
	}
	op := "in"
	if e.ci {
		op = "in~"
	}
	if e.not {
		op = "!" + op
	}
	if x.typ == typeString || x.json != nil || x.list || e.ci {
		xs, err := t.asString(e.x.exprPos(), x, "'"+op+"'")
		if err != nil {
			return nil, err
		}
		strs := make([]*sqlExpr, len(items))
		for i, v := range items {
			if strs[i], err = t.asString(itemPos[i], v, "'"+op+"'"); err != nil {
				return nil, err
			}
		}
		return t.stringIn(e.opPos, op, xs, strs, allConst, positive)
	}
	for i, v := range items {
		if !comparable(x.typ, v.typ) || v.typ == typeString {
			return nil, t.errAt(itemPos[i], "'%s' list holds %s, the value is %s", op, v.typ, x.typ)
		}
	}
	list := make([]string, len(items))
	anyNullable := false
	for i, v := range items {
		list[i] = v.sql
		anyNullable = anyNullable || v.nullable
	}
	sql := x.paren(precCmp+1) + " IN (" + strings.Join(list, ", ") + ")"
	switch {
	case e.not && (x.nullable || anyNullable):
		// KQL: a null value is not in any list of values.
		return cmpExpr("coalesce("+x.paren(precCmp+1)+" NOT IN ("+strings.Join(list, ", ")+"), true)", false), nil
	case e.not:
		return cmpExpr(x.paren(precCmp+1)+" NOT IN ("+strings.Join(list, ", ")+")", false), nil
	case (x.nullable || anyNullable) && !positive:
		return cmpExpr("coalesce("+sql+", false)", false), nil
	}
	return cmpExpr(sql, x.nullable || anyNullable), nil
}

// listItems returns the values an item of an in/has_any list stands for: a constant
// dynamic array its elements, anything else itself.
func (t *translator) listItems(pos int, v *sqlExpr) ([]*sqlExpr, *Error) {
	if v.konst == nil || v.konst.kind != litDynamic {
		return []*sqlExpr{v}, nil
	}
	dec := json.NewDecoder(strings.NewReader(v.konst.s))
	dec.UseNumber()
	var val any
	if err := dec.Decode(&val); err != nil {
		return nil, t.errAt(pos, "invalid dynamic literal: %v", err)
	}
	arr, ok := val.([]any)
	if !ok {
		arr = []any{val}
	}
	var out []*sqlExpr
	for _, el := range arr {
		var l *literal
		switch el := el.(type) {
		case string:
			l = &literal{pos: pos, kind: litString, s: el, typ: typeString}
		case bool:
			l = &literal{pos: pos, kind: litBool, b: el, typ: typeBool}
		case json.Number:
			if i, err := el.Int64(); err == nil {
				l = &literal{pos: pos, kind: litLong, i: i, typ: typeLong}
			} else if f, err := el.Float64(); err == nil {
				l = &literal{pos: pos, kind: litReal, f: f, typ: typeReal}
			}
		}
		if l == nil {
			return nil, t.errAt(pos, "a list element that is not a string, number or bool is not supported by kudulens")
		}
		x, err := t.literal(l)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// hasAnyAll translates "x has_any (a, b)" (x has a or x has b) and has_all (and).
func (t *translator) hasAnyAll(e *inExpr, x *sqlExpr, items []*sqlExpr, itemPos []int, positive bool) (*sqlExpr, *Error) {
	join, prec := " OR ", precOr
	if e.op == "has_all" {
		join, prec = " AND ", precAnd
	}
	var parts []string
	nullable := false
	for i, v := range items {
		if v.konst == nil || v.konst.kind != litString {
			return nil, t.errAt(itemPos[i], "%s with a value that is not a constant string is not supported by kudulens", e.op)
		}
		p, err := t.stringPredicate(e.opPos, "has", x, v, positive)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p.paren(prec+1))
		nullable = nullable || p.nullable
	}
	if len(parts) == 0 {
		return cmpExpr(strconv.FormatBool(e.op == "has_all"), false), nil
	}
	if len(parts) == 1 {
		return atom(parts[0], typeBool, nullable), nil
	}
	return &sqlExpr{sql: strings.Join(parts, join), typ: typeBool, prec: prec, nullable: nullable}, nil
}

func (t *translator) between(e *betweenExpr, sc *scope, positive bool) (*sqlExpr, *Error) {
	x, err := t.scalar(e.x, sc, false)
	if err != nil {
		return nil, err
	}
	lo, err := t.scalar(e.lo, sc, false)
	if err != nil {
		return nil, err
	}
	hi, err := t.scalar(e.hi, sc, false)
	if err != nil {
		return nil, err
	}
	if x.typ == typeDatetime && hi.typ == typeTimespan {
		// datetime between (start .. length): the range is start .. start+length.
		hi = &sqlExpr{sql: lo.paren(precAdd) + " + " + hi.paren(precAdd+1), typ: typeDatetime, prec: precAdd, nullable: lo.nullable || hi.nullable}
	}
	for _, b := range []*sqlExpr{lo, hi} {
		if !comparable(x.typ, b.typ) || x.typ == typeString || x.typ == typeBool || x.typ == typeDynamic {
			return nil, t.errAt(e.opPos, "between needs numbers, datetimes or timespans, got %s between (%s .. %s)", x.typ, lo.typ, hi.typ)
		}
	}
	// BETWEEN is inclusive at both ends, as KQL's between.
	kw := " BETWEEN "
	if e.not {
		kw = " NOT BETWEEN "
	}
	sql := x.paren(precCmp+1) + kw + lo.paren(precCmp+1) + " AND " + hi.paren(precCmp+1)
	nullable := x.nullable || lo.nullable || hi.nullable
	return cmpExpr(sql, nullable), nil
}
