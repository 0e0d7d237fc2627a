package kql

import (
	"strconv"
	"strings"
)

// aggState is set in the scope of summarize's aggregation items.
type aggState struct {
	used  bool   // an aggregation function was seen
	order string // the input's row order ("ORDER BY ..."), for make_list; "" if unknown
}

// aggFunc translates one aggregation function. Its value argument (if any) and its
// predicate (for the -if forms) are translated before f runs.
type aggFunc struct {
	min, max int  // argument count, predicate and options included
	pred     int  // index of the bool predicate argument (countif, sumif, ...); -1 for none
	value    bool // the first argument is the aggregated value
	f        func(t *translator, c *callExpr, x *sqlExpr, filter string, sc *scope) (*sqlExpr, *Error)
}

// aggFuncs are the aggregation functions of the subset. arg_max and arg_min are translated
// by summarize itself (they return several columns).
var aggFuncs map[string]aggFunc

func init() {
	aggFuncs = map[string]aggFunc{
		"count":        {0, 1, -1, false, aggCount},
		"countif":      {1, 1, 0, false, aggCount},
		"dcount":       {1, 2, -1, true, aggDcount},
		"dcountif":     {2, 3, 1, true, aggDcount},
		"min":          {1, 1, -1, true, aggMinMax},
		"max":          {1, 1, -1, true, aggMinMax},
		"minif":        {2, 2, 1, true, aggMinMax},
		"maxif":        {2, 2, 1, true, aggMinMax},
		"avg":          {1, 1, -1, true, aggAvg},
		"avgif":        {2, 2, 1, true, aggAvg},
		"sum":          {1, 1, -1, true, aggSum},
		"sumif":        {2, 2, 1, true, aggSum},
		"make_list":    {1, 2, -1, true, aggMakeList},
		"make_set":     {1, 2, -1, true, aggMakeList},
		"make_list_if": {2, 3, 1, true, aggMakeList},
		"make_set_if":  {2, 3, 1, true, aggMakeList},
		"percentile":   {2, 2, -1, true, aggPercentile},
		"stdev":        {1, 1, -1, true, aggSpread},
		"stdevif":      {2, 2, 1, true, aggSpread},
		"stdevp":       {1, 1, -1, true, aggSpread},
		"variance":     {1, 1, -1, true, aggSpread},
		"varianceif":   {2, 2, 1, true, aggSpread},
		"variancep":    {1, 1, -1, true, aggSpread},
		"take_any":     {1, 1, -1, true, aggTakeAny},
		"any":          {1, 1, -1, true, aggTakeAny},
	}
}

// aggregate translates an aggregation function call inside summarize.
func (t *translator) aggregate(c *callExpr, sc *scope) (*sqlExpr, *Error) {
	if sc.agg == nil {
		return nil, t.errAt(c.pos, "aggregation function '%s()' outside summarize", c.name)
	}
	if sc.inAgg {
		return nil, t.errAt(c.pos, "aggregation function '%s()' inside another aggregation", c.name)
	}
	if c.name == "arg_max" || c.name == "arg_min" {
		return nil, t.errAt(c.pos, "%s() inside an expression is not supported by kudulens (write it as a summarize item of its own)", c.name)
	}
	if c.name == "percentiles" {
		return nil, t.errAt(c.pos, "percentiles() inside an expression is not supported by kudulens (write it as a summarize item of its own)")
	}
	a := aggFuncs[c.name]
	if len(c.args) < a.min || len(c.args) > a.max {
		return nil, t.errAt(c.pos, "%s() with %d arguments is not supported by kudulens (it takes %s)", c.name, len(c.args), argRange(a.min, a.max))
	}
	sc.agg.used = true
	in := &scope{cols: sc.cols, agg: sc.agg, inAgg: true}
	filter := ""
	if a.pred >= 0 {
		p, err := t.scalar(c.args[a.pred], in, true)
		if err != nil {
			return nil, err
		}
		if p.typ != typeBool {
			return nil, t.errAt(c.args[a.pred].exprPos(), "%s() needs a bool predicate, got %s", c.name, p.typ)
		}
		filter = " FILTER (WHERE " + p.sql + ")"
	}
	var x *sqlExpr
	if a.value || c.name == "count" && len(c.args) == 1 {
		var err *Error
		if x, err = t.scalar(c.args[0], in, false); err != nil {
			return nil, err
		}
		if x.typ == typeNull {
			return nil, t.errAt(c.args[0].exprPos(), "%s() of an untyped null", c.name)
		}
	}
	return a.f(t, c, x, filter, sc)
}

// argRange says how many arguments a function takes: "2" or "1 to 3".
func argRange(lo, hi int) string {
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return strconv.Itoa(lo) + " to " + strconv.Itoa(hi)
}

// constLong reads a constant integer argument (a size limit, a percentile).
func (t *translator) constArg(c *callExpr, i int) (*literal, *Error) {
	x, err := t.scalar(c.args[i], &scope{noCols: true, colsWhat: "this argument of " + c.name + "() must be a constant"}, false)
	if err != nil {
		return nil, err
	}
	if x.konst == nil || x.konst.kind != litLong && x.konst.kind != litReal {
		return nil, t.errAt(c.args[i].exprPos(), "argument %d of %s() must be a constant number", i+1, c.name)
	}
	return x.konst, nil
}

// aggCount is count(), count(x) and countif(p). count(x) counts every row, null values
// of x included (the summarize operator's documentation says so).
func aggCount(t *translator, c *callExpr, x *sqlExpr, filter string, sc *scope) (*sqlExpr, *Error) {
	return atom("count(*)"+filter, typeLong, false), nil
}

// aggDcount is dcount(x [, accuracy]) and dcountif(x, p [, accuracy]): exact, where KQL's is
// an estimate above small cardinalities.
func aggDcount(t *translator, c *callExpr, x *sqlExpr, filter string, sc *scope) (*sqlExpr, *Error) {
	if x.typ == typeDynamic {
		return nil, t.errAt(c.args[0].exprPos(), "%s() of a dynamic value is not supported by kudulens (convert it with tostring())", c.name)
	}
	if n := 1 + boolToInt(c.name == "dcountif"); len(c.args) > n {
		if _, err := t.constArg(c, n); err != nil { // the accuracy level: exact anyway
			return nil, err
		}
	}
	// Strings are never null in KQL: "" (SQL NULL) is one of the values.
	return atom("count(DISTINCT "+nonNull(x).sql+")"+filter, typeLong, false), nil
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func aggMinMax(t *translator, c *callExpr, x *sqlExpr, filter string, sc *scope) (*sqlExpr, *Error) {
	if x.typ == typeDynamic || x.typ == typeBool {
		return nil, t.errAt(c.args[0].exprPos(), "%s() of %s is not supported by kudulens", c.name, x.typ)
	}
	fn := strings.TrimSuffix(c.name, "if")
	return atom(fn+"("+nonNull(x).sql+")"+filter, x.typ, true), nil
}

func aggAvg(t *translator, c *callExpr, x *sqlExpr, filter string, sc *scope) (*sqlExpr, *Error) {
	if !x.typ.numeric() {
		return nil, t.errAt(c.args[0].exprPos(), "%s() of %s is not supported by kudulens", c.name, x.typ)
	}
	return atom("avg("+x.sql+")"+filter, typeReal, true), nil
}

// aggSum is sum and sumif. Over no (non-null) values the sum is 0, KQL's default value of
// sum (summarize operator documentation), where SQL's is null.
func aggSum(t *translator, c *callExpr, x *sqlExpr, filter string, sc *scope) (*sqlExpr, *Error) {
	switch {
	case x.typ.integral():
		// DuckDB sums integers into a HUGEINT; KQL's sum of longs is a long.
		return atom("CAST(coalesce(sum("+x.sql+")"+filter+", 0) AS BIGINT)", typeLong, false), nil
	case x.typ == typeReal:
		return atom("coalesce(sum("+x.sql+")"+filter+", 0)", typeReal, false), nil
	case x.typ == typeTimespan:
		return atom("to_microseconds(CAST(coalesce(sum(epoch_us("+x.sql+"))"+filter+", 0) AS BIGINT))", typeTimespan, false), nil
	}
	return nil, t.errAt(c.args[0].exprPos(), "%s() of %s is not supported by kudulens", c.name, x.typ)
}

// aggMakeList is make_list, make_set and their -if forms. Null values are left out; the
// elements of a dynamic array are added one by one (KQL flattens arrays); zero values give
// [], not null.
func aggMakeList(t *translator, c *callExpr, x *sqlExpr, filter string, sc *scope) (*sqlExpr, *Error) {
	set := strings.HasPrefix(c.name, "make_set")
	limit := ""
	if n := 2 + boolToInt(strings.HasSuffix(c.name, "_if")); len(c.args) == n {
		k, err := t.constArg(c, n-1)
		if err != nil {
			return nil, err
		}
		if k.kind != litLong || k.i < 1 {
			return nil, t.errAt(c.args[n-1].exprPos(), "the size limit of %s() must be a positive integer", c.name)
		}
		limit = strconv.FormatInt(k.i, 10)
	}
	v := nonNull(x) // strings are never null in KQL: "" is collected
	elem := x.typ
	order := ""
	if !set && sc.agg.order != "" {
		// make_list keeps the order of sorted input, as in KQL.
		order = " " + sc.agg.order
	}
	var sql string
	json := false
	switch {
	case x.list:
		sql = "flatten(list(" + v.sql + order + ")" + andFilter(filter, v.sql+" IS NOT NULL") + ")"
		elem = x.elem
	case x.typ == typeDynamic:
		// An array adds its elements, any other value itself.
		arr := "CASE WHEN json_type(" + v.sql + ") = 'ARRAY' THEN CAST(" + v.sql + " AS JSON[]) ELSE [" + v.paren(precAtom) + "] END"
		sql = "flatten(list(" + arr + order + ")" + andFilter(filter, "coalesce(json_type("+v.sql+"), 'NULL') <> 'NULL'") + ")"
		json = true
	default:
		sql = "list(" + v.sql + order + ")" + andFilter(filter, v.paren(precCmp+1)+" IS NOT NULL")
	}
	if set {
		// Each value once. KQL leaves the order open; sorted, the result does not depend
		// on how DuckDB hashes.
		sql = "list_sort(list_distinct(" + sql + "))"
	}
	if limit != "" {
		sql = "list_slice(" + sql + ", 1, " + limit + ")"
	}
	sql = "coalesce(" + sql + ", CAST([] AS " + elem.sqlTypeName() + "[]))"
	if json {
		// A list of JSON values is one JSON array, so it reads as KQL's dynamic array.
		r := atom("CAST(to_json("+sql+") AS JSON)", typeDynamic, false)
		r.json = &jsonRef{base: r.sql, path: "$"}
		return r, nil
	}
	r := atom(sql, typeDynamic, false)
	r.list, r.elem = true, elem
	return r, nil
}

// andFilter adds cond to a FILTER clause.
func andFilter(filter, cond string) string {
	if filter == "" {
		return " FILTER (WHERE " + cond + ")"
	}
	return strings.TrimSuffix(filter, ")") + " AND " + cond + ")"
}

// aggPercentile is percentile(x, p): the nearest-rank percentile, the smallest value with
// at least p percent of the values at or below it (KQL estimates it; for the sizes kudulens
// reads, exactly).
func aggPercentile(t *translator, c *callExpr, x *sqlExpr, filter string, sc *scope) (*sqlExpr, *Error) {
	if !x.typ.numeric() && x.typ != typeDatetime && x.typ != typeTimespan {
		return nil, t.errAt(c.args[0].exprPos(), "percentile() of %s is not supported by kudulens", x.typ)
	}
	p, err := t.constArg(c, 1)
	if err != nil {
		return nil, err
	}
	pf := p.f
	if p.kind == litLong {
		pf = float64(p.i)
	}
	if pf < 0 || pf > 100 {
		return nil, t.errAt(c.args[1].exprPos(), "percentile(): the percentile must be between 0 and 100")
	}
	vals := "list_sort(list(" + x.sql + ") FILTER (WHERE " + x.paren(precCmp+1) + " IS NOT NULL))"
	rank := "CAST(greatest(1, ceil(" + strconv.FormatFloat(pf, 'g', -1, 64) + " * count(" + x.sql + ") / 100.0 - 1e-9)) AS BIGINT)"
	return atom("list_extract("+vals+", "+rank+")", x.typ, true), nil
}

// aggSpread is stdev, variance (sample) and stdevp, variancep (population). Where SQL has
// no answer (no values, or one value for the sample forms) KQL's default value, 0, is
// given.
func aggSpread(t *translator, c *callExpr, x *sqlExpr, filter string, sc *scope) (*sqlExpr, *Error) {
	if !x.typ.numeric() {
		return nil, t.errAt(c.args[0].exprPos(), "%s() of %s is not supported by kudulens", c.name, x.typ)
	}
	fn := map[string]string{"stdev": "stddev_samp", "stdevif": "stddev_samp", "stdevp": "stddev_pop",
		"variance": "var_samp", "varianceif": "var_samp", "variancep": "var_pop"}[c.name]
	return atom("coalesce("+fn+"("+x.sql+")"+filter+", 0)", typeReal, false), nil
}

// aggTakeAny is take_any(x): the value of some row.
func aggTakeAny(t *translator, c *callExpr, x *sqlExpr, filter string, sc *scope) (*sqlExpr, *Error) {
	r := atom("any_value("+x.sql+")", x.typ, true)
	r.list, r.elem = x.list, x.elem
	if x.typ == typeDynamic && !x.list {
		r.json = &jsonRef{base: r.sql, path: "$"}
	}
	return r, nil
}

// argItem is one result column of arg_max/arg_min.
type argItem struct {
	name string
	x    *sqlExpr
	col  string // the input column it reads, "" for an expression
}

// summarize translates "summarize aggs by keys". The result has the by columns first, then
// one column per aggregation, named as KQL names them (count_, dcount_x, max_x, ...).
// arg_max/arg_min return a whole row: the SQL aggregates a struct of the wanted columns
// (one row, so the values stay together) and a second stage unpacks it.
func (t *translator) summarize(s *stage, op *summarizeOp) (*stage, *Error) {
	if !s.passThrough() || s.group != nil || s.distinct || s.limit != "" {
		s = t.seal(s)
	}
	var inputOrder string
	if keys := s.rowOrder(); len(keys) > 0 {
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = quoteIdent(k.sql) + " " + k.order
		}
		inputOrder = "ORDER BY " + strings.Join(parts, ", ")
	}
	s.order, s.orderCols = nil, nil // summarize's output has no order
	sc := &scope{cols: s.in}
	var out []column
	var sqls []string
	taken := func(n string) bool { return hasColumn(out, n) }
	var byCols []string // input columns used as plain keys
	for _, it := range op.by {
		x, err := t.scalar(it.x, sc, false)
		if err != nil {
			return nil, err
		}
		if x.typ == typeDynamic {
			return nil, t.errAt(it.x.exprPos(), "summarize by a dynamic value is not supported by kudulens (convert it with tostring(), toint(), ...)")
		}
		if err := t.checkValue(it.pos, x); err != nil {
			return nil, err
		}
		name := it.name
		if name == "" {
			name = resultName(it.x)
		}
		if name == "" {
			name = t.defaultName(taken)
		}
		if taken(name) {
			return nil, t.errAt(it.pos, "summarize: column '%s' is declared twice", name)
		}
		if c, ok := isColumnRef(it.x, sc); ok {
			byCols = append(byCols, c.name)
		}
		out = append(out, column{name: name, typ: x.typ})
		// Group NULL with "": both are KQL's empty string.
		sqls = append(sqls, nonNull(x).sql)
	}
	nBy := len(out)
	aggs, err := expandPercentiles(op.aggs)
	if err != nil {
		return nil, t.errAt(err.pos, "%s", err.msg)
	}
	type unpack struct {
		structCol int // index in out of the struct column
		fields    []int
	}
	var unpacks []unpack
	for _, it := range aggs {
		if c, ok := it.x.(*callExpr); ok && (c.name == "arg_max" || c.name == "arg_min") {
			if it.name != "" {
				return nil, t.errAt(it.pos, "naming the result of %s() is not supported by kudulens (name its arguments instead)", c.name)
			}
			items, val, err := t.argItems(c, sc, byCols)
			if err != nil {
				return nil, err
			}
			fields := make([]string, len(items))
			for i, a := range items {
				fields[i] = "f" + strconv.Itoa(i+1) + " := " + a.x.sql
			}
			// Rows where the value is null are ignored; when it is null in every row of
			// the group, KQL returns one of the group's rows (any_value: the first).
			row := "struct_pack(" + strings.Join(fields, ", ") + ")"
			u := unpack{structCol: len(out)}
			out = append(out, column{name: "\x00" + c.name, typ: typeDynamic})
			sqls = append(sqls, "coalesce("+c.name+"("+row+", "+val.sql+"), any_value("+row+"))")
			for _, a := range items {
				u.fields = append(u.fields, len(out))
				out = append(out, column{name: uniqueName(a.name, taken), typ: a.x.typ, list: a.x.list, elem: a.x.elem})
				sqls = append(sqls, "")
			}
			unpacks = append(unpacks, u)
			continue
		}
		asc := &scope{cols: s.in, agg: &aggState{order: inputOrder}}
		x, err := t.scalar(it.x, asc, false)
		if err != nil {
			return nil, err
		}
		if !asc.agg.used {
			return nil, t.errAt(it.x.exprPos(), "summarize needs an aggregation function here (count(), max(), ...)")
		}
		name := it.name
		if name != "" && taken(name) {
			return nil, t.errAt(it.pos, "summarize: column '%s' is declared twice", name)
		}
		if name == "" {
			if n := resultName(it.x); n != "" {
				name = uniqueName(n, taken)
			} else {
				name = t.defaultName(taken)
			}
		}
		out = append(out, column{name: name, typ: x.typ, list: x.list, elem: x.elem})
		sqls = append(sqls, x.sql)
	}
	group := make([]string, nBy)
	for i := range group {
		group[i] = strconv.Itoa(i + 1)
	}
	if len(unpacks) == 0 {
		s = withItems(s, out, sqls)
		s.group = group
		return s, nil
	}
	// First stage: by keys and aggregates, structs for arg_max/arg_min; second stage: the
	// struct fields as columns.
	isField := map[int]bool{}
	for _, u := range unpacks {
		for _, f := range u.fields {
			isField[f] = true
		}
	}
	var aggCols []column
	var aggSQL []string
	for i, c := range out {
		if isField[i] {
			continue
		}
		if strings.HasPrefix(c.name, "\x00") {
			c.name = "_" + strings.TrimPrefix(c.name, "\x00") + strconv.Itoa(i)
		}
		aggCols = append(aggCols, c)
		aggSQL = append(aggSQL, sqls[i])
	}
	s = withItems(s, aggCols, aggSQL)
	s.group = group
	// Map each column of out to its SQL in the second stage.
	structSQL := map[int]string{}
	k := 0
	for i := range out {
		if isField[i] {
			continue
		}
		structSQL[i] = quoteIdent(aggCols[k].sql)
		k++
	}
	s2 := t.seal(s)
	var final []column
	var finalSQL []string
	for i, c := range out {
		switch {
		case strings.HasPrefix(c.name, "\x00"):
			continue
		case isField[i]:
			for _, u := range unpacks {
				for j, f := range u.fields {
					if f == i {
						field := &sqlExpr{sql: "struct_extract(" + structSQL[u.structCol] + ", 'f" + strconv.Itoa(j+1) + "')", typ: c.typ, nullable: true}
						finalSQL = append(finalSQL, nonNull(field).sql)
					}
				}
			}
		default:
			finalSQL = append(finalSQL, structSQL[i])
		}
		final = append(final, column{name: c.name, typ: c.typ, list: c.list, elem: c.elem})
	}
	return withItems(s2, final, finalSQL), nil
}

// posError is an error message at a position, before it is rendered.
type posError struct {
	pos int
	msg string
}

// expandPercentiles turns percentiles(x, p1, p2, ...) into one percentile(x, p) item per
// percentile, as KQL returns one column per percentile.
func expandPercentiles(items []namedExpr) ([]namedExpr, *posError) {
	var out []namedExpr
	for _, it := range items {
		c, ok := it.x.(*callExpr)
		if !ok || c.name != "percentiles" {
			out = append(out, it)
			continue
		}
		if len(c.args) < 2 {
			return nil, &posError{c.pos, "percentiles() needs a value and at least one percentile"}
		}
		if it.name != "" && len(c.args) > 2 {
			return nil, &posError{it.pos, "naming the several results of percentiles() is not supported by kudulens"}
		}
		for _, p := range c.args[1:] {
			out = append(out, namedExpr{pos: it.pos, name: it.name, namePos: it.namePos,
				x: &callExpr{pos: c.pos, name: "percentile", args: []expr{c.args[0], p}}})
		}
	}
	return out, nil
}

// argItems lists the columns arg_max(val, args...) returns, per Kusto's rules: the
// maximised expression first, then each argument; * stands for every input column not
// already returned and not a by column.
func (t *translator) argItems(c *callExpr, sc *scope, byCols []string) ([]argItem, *sqlExpr, *Error) {
	if len(c.args) < 1 {
		return nil, nil, t.errAt(c.pos, "%s() needs the expression to maximise", c.name)
	}
	val, err := t.scalar(c.args[0], sc, false)
	if err != nil {
		return nil, nil, err
	}
	if val.typ == typeDynamic || val.typ == typeNull || val.typ == typeBool {
		return nil, nil, t.errAt(c.args[0].exprPos(), "%s() cannot order %s values", c.name, val.typ)
	}
	prefix := strings.TrimPrefix(c.name, "arg_")
	anyStar := false
	for _, a := range c.args[1:] {
		if _, ok := a.(*starExpr); ok {
			anyStar = true
		}
	}
	isBy := func(n string) bool {
		for _, b := range byCols {
			if b == n {
				return true
			}
		}
		return false
	}
	var items []argItem
	seen := map[string]bool{}
	primary := resultName(c.args[0])
	for i, a := range c.args {
		if _, ok := a.(*starExpr); ok {
			if i == 0 {
				return nil, nil, t.errAt(a.exprPos(), "%s(*) needs the expression to maximise first", c.name)
			}
			for _, col := range sc.cols {
				if !seen[col.name] && !isBy(col.name) {
					seen[col.name] = true
					items = append(items, argItem{name: col.name, x: &sqlExpr{sql: quoteIdent(col.sql), typ: col.typ, prec: precAtom, nullable: true, list: col.list, elem: col.elem}, col: col.name})
				}
			}
			continue
		}
		x := val
		if i > 0 {
			if x, err = t.scalar(a, sc, false); err != nil {
				return nil, nil, err
			}
		}
		if col, ok := isColumnRef(a, sc); ok {
			if anyStar && i > 0 && (seen[col.name] || isBy(col.name)) {
				continue
			}
			seen[col.name] = true
			items = append(items, argItem{name: col.name, x: x, col: col.name})
			continue
		}
		name := resultName(a)
		if name == "" {
			if i == 0 {
				name = prefix + "_"
			} else {
				name = prefix + "_" + primary + "_arg" + strconv.Itoa(i)
			}
		}
		if x.typ == typeNull {
			return nil, nil, t.errAt(a.exprPos(), "%s(): an untyped null argument", c.name)
		}
		items = append(items, argItem{name: name, x: x})
	}
	return items, val, nil
}
