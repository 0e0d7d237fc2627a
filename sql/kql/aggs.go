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

// aggregate translates an aggregation function call inside summarize.
func (t *translator) aggregate(c *callExpr, sc *scope) (*sqlExpr, *Error) {
	if sc.agg == nil {
		return nil, t.errAt(c.pos, "aggregation function '%s()' outside summarize", c.name)
	}
	if sc.inAgg {
		return nil, t.errAt(c.pos, "aggregation function '%s()' inside another aggregation", c.name)
	}
	if c.name == "arg_max" || c.name == "arg_min" {
		return nil, t.errAt(c.pos, "unsupported: %s() inside an expression (write it as a summarize item of its own)", c.name)
	}
	sc.agg.used = true
	in := &scope{cols: sc.cols, agg: sc.agg, inAgg: true}
	nargs := map[string][2]int{
		"count": {0, 0}, "countif": {1, 1}, "dcount": {1, 2}, "min": {1, 1}, "max": {1, 1},
		"avg": {1, 1}, "sum": {1, 1}, "make_list": {1, 1}, "make_set": {1, 1},
	}[c.name]
	if len(c.args) < nargs[0] || len(c.args) > nargs[1] {
		if c.name == "count" {
			return nil, t.errAt(c.pos, "unsupported: count() with an argument (use countif(predicate) or dcount(x))")
		}
		if c.name == "make_list" || c.name == "make_set" {
			return nil, t.errAt(c.pos, "unsupported: %s() with a size limit", c.name)
		}
		return nil, t.errAt(c.pos, "%s() takes %d to %d arguments, got %d", c.name, nargs[0], nargs[1], len(c.args))
	}
	if c.name == "count" {
		return atom("count(*)", typeLong, false), nil
	}
	if c.name == "countif" {
		p, err := t.scalar(c.args[0], in, true)
		if err != nil {
			return nil, err
		}
		if p.typ != typeBool {
			return nil, t.errAt(c.args[0].exprPos(), "countif() needs a bool predicate, got %s", p.typ)
		}
		return atom("count(*) FILTER (WHERE "+p.sql+")", typeLong, false), nil
	}
	x, err := t.scalar(c.args[0], in, false)
	if err != nil {
		return nil, err
	}
	if x.typ == typeNull {
		return nil, t.errAt(c.args[0].exprPos(), "%s() of an untyped null", c.name)
	}
	// Strings are never null in KQL: aggregate them with NULL read as "".
	v := nonNull(x)
	switch c.name {
	case "dcount":
		if x.typ == typeDynamic {
			return nil, t.errAt(c.args[0].exprPos(), "unsupported: dcount() of a dynamic value (convert it with tostring())")
		}
		if len(c.args) == 2 {
			if _, err := t.scalar(c.args[1], &scope{noCols: true}, false); err != nil {
				return nil, err
			}
		}
		// Exact: KQL's dcount is an estimate (exact for small sets).
		return atom("count(DISTINCT "+v.sql+")", typeLong, false), nil
	case "min", "max":
		if x.typ == typeDynamic || x.typ == typeBool {
			return nil, t.errAt(c.args[0].exprPos(), "unsupported: %s() of %s", c.name, x.typ)
		}
		return atom(c.name+"("+v.sql+")", x.typ, true), nil
	case "avg":
		if !x.typ.numeric() {
			return nil, t.errAt(c.args[0].exprPos(), "unsupported: avg() of %s", x.typ)
		}
		return atom("avg("+x.sql+")", typeReal, true), nil
	case "sum":
		switch {
		case x.typ.integral():
			// DuckDB sums integers into a HUGEINT; KQL's sum of longs is a long.
			return atom("CAST(sum("+x.sql+") AS BIGINT)", typeLong, true), nil
		case x.typ == typeReal:
			return atom("sum("+x.sql+")", typeReal, true), nil
		case x.typ == typeTimespan:
			return atom("to_microseconds(CAST(sum(epoch_us("+x.sql+")) AS BIGINT))", typeTimespan, true), nil
		}
		return nil, t.errAt(c.args[0].exprPos(), "unsupported: sum() of %s", x.typ)
	case "make_list", "make_set":
		if x.list {
			return nil, t.errAt(c.args[0].exprPos(), "unsupported: %s() of arrays", c.name)
		}
		d, order := "", ""
		if c.name == "make_set" {
			d = "DISTINCT "
		} else if sc.agg.order != "" {
			// make_list keeps the order of sorted input, as in KQL.
			order = " " + sc.agg.order
		}
		sql := "list(" + d + v.sql + order + ")"
		if v.nullable {
			// KQL leaves null values out.
			sql += " FILTER (WHERE " + v.paren(precCmp+1) + " IS NOT NULL)"
		}
		r := atom(sql, typeDynamic, false)
		r.list, r.elem = true, x.typ
		return r, nil
	}
	return nil, t.errAt(c.pos, "unsupported aggregation '%s()'", c.name)
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
			return nil, t.errAt(it.x.exprPos(), "summarize by a dynamic value (convert it with tostring(), toint(), ...)")
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
	type unpack struct {
		structCol int // index in out of the struct column
		fields    []int
	}
	var unpacks []unpack
	for _, it := range op.aggs {
		if c, ok := it.x.(*callExpr); ok && (c.name == "arg_max" || c.name == "arg_min") {
			if it.name != "" {
				return nil, t.errAt(it.pos, "unsupported: naming the result of %s() (name its arguments instead)", c.name)
			}
			items, val, err := t.argItems(c, sc, byCols)
			if err != nil {
				return nil, err
			}
			fields := make([]string, len(items))
			for i, a := range items {
				fields[i] = "f" + strconv.Itoa(i+1) + " := " + a.x.sql
			}
			fn := "arg_max"
			if c.name == "arg_min" {
				fn = "arg_min"
			}
			u := unpack{structCol: len(out)}
			out = append(out, column{name: "\x00" + c.name, typ: typeDynamic})
			sqls = append(sqls, fn+"(struct_pack("+strings.Join(fields, ", ")+"), "+val.sql+")")
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
						finalSQL = append(finalSQL, "struct_extract("+structSQL[u.structCol]+", 'f"+strconv.Itoa(j+1)+"')")
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
