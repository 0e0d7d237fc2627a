package kql

import (
	"strconv"
	"strings"
)

// Sources that make rows without a table: print, datatable and range. Each becomes a
// FROM item (a SELECT with no table, a VALUES list, generate_series) that later operators
// read like a table.

// oneRow is a FROM item with one row and no columns kudulens exposes.
const oneRow = `(SELECT 1 AS "__row") AS "print"`

// printSource translates "print a = x, y": one row, the unnamed columns called print_0,
// print_1, ... by their position, as KQL names them.
func (t *translator) printSource(src *printSource) (*stage, *Error) {
	s := newStage(oneRow, nil)
	s.aliased = true
	sc := &scope{noCols: true, colsWhat: "print has no input columns"}
	var out []column
	var sqls []string
	for i, it := range src.items {
		x, err := t.scalar(it.x, sc, false)
		if err != nil {
			return nil, err
		}
		if x.typ == typeNull {
			x = &sqlExpr{sql: "CAST(NULL AS JSON)", typ: typeDynamic, prec: precAtom, nullable: true}
		}
		name := it.name
		if name == "" {
			name = "print_" + strconv.Itoa(i)
		}
		if hasColumn(out, name) {
			return nil, t.errAt(it.pos, "print: column '%s' is declared twice", name)
		}
		out = append(out, column{name: name, typ: x.typ, list: x.list, elem: x.elem})
		sqls = append(sqls, x.sql)
	}
	return withItems(s, out, sqls), nil
}

// datatableSource translates "datatable (a:long, ...) [values]" into a VALUES list whose
// cells are cast to the declared column types, in the order written.
func (t *translator) datatableSource(src *datatableSource) (*stage, *Error) {
	cols := make([]column, len(src.cols))
	for i, d := range src.cols {
		if hasColumn(cols[:i], d.name) {
			return nil, t.errAt(d.pos, "datatable: column '%s' is declared twice", d.name)
		}
		cols[i] = column{name: d.name, typ: d.typ}
	}
	sqlNames(cols)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quoteIdent(c.sql)
	}
	alias := ` AS "datatable"(` + strings.Join(names, ", ") + ")"
	if len(src.values) == 0 {
		items := make([]string, len(cols))
		for i, c := range cols {
			items[i] = "CAST(NULL AS " + c.typ.sqlTypeName() + ")"
		}
		from := "(SELECT " + strings.Join(items, ", ") + " WHERE false)" + alias
		s := newStage(from, cols)
		s.aliased = true
		return s, nil
	}
	sc := &scope{noCols: true, colsWhat: "datatable values are constants"}
	var rows []string
	cells := make([]string, len(cols))
	for i, v := range src.values {
		c := cols[i%len(cols)]
		x, err := t.scalar(v, sc, false)
		if err != nil {
			return nil, err
		}
		if !assignable(c.typ, x.typ) {
			return nil, t.errAt(v.exprPos(), "datatable: column '%s' is %s, the value is %s", c.name, c.typ, x.typ)
		}
		cells[i%len(cols)] = castTo(x, c.typ)
		if i%len(cols) == len(cols)-1 {
			rows = append(rows, "("+strings.Join(cells, ", ")+")")
		}
	}
	s := newStage("(VALUES "+strings.Join(rows, ", ")+")"+alias, cols)
	s.aliased = true
	return s, nil
}

// assignable reports whether a value of type v may be stored in a column of type c.
func assignable(c, v kqlType) bool {
	return v == typeNull || c == v || c.numeric() && v.numeric() || c == typeDynamic
}

// rangeSource translates "range x from a to b step s": the values a, a+s, a+2s, ... up to
// b inclusive, ascending (or descending for a negative step). Counting steps with an integer
// series keeps reals, datetimes and timespans exact.
func (t *translator) rangeSource(src *rangeSource) (*stage, *Error) {
	sc := &scope{noCols: true, colsWhat: "range bounds are constants"}
	var xs [3]*sqlExpr
	for i, e := range []expr{src.from, src.to, src.step} {
		x, err := t.scalar(e, sc, false)
		if err != nil {
			return nil, err
		}
		xs[i] = x
	}
	from, to, step := xs[0], xs[1], xs[2]
	var typ kqlType
	var count string // the number of steps
	switch {
	case from.typ.numeric() && to.typ.numeric() && step.typ.numeric():
		typ = typeLong
		if from.typ == typeReal || to.typ == typeReal || step.typ == typeReal {
			typ = typeReal
		}
		count = "CAST(floor((" + to.sql + " - " + from.sql + ") / CAST(" + step.sql + " AS DOUBLE)) AS BIGINT)"
	case from.typ == typeDatetime && to.typ == typeDatetime && step.typ == typeTimespan,
		from.typ == typeTimespan && to.typ == typeTimespan && step.typ == typeTimespan:
		typ = from.typ
		count = "epoch_us(" + to.sql + " - " + from.sql + ") // epoch_us(" + step.sql + ")"
	default:
		return nil, t.errAt(src.pos, "range from %s to %s step %s is not supported by kudulens", from.typ, to.typ, step.typ)
	}
	if step.konst != nil && (step.konst.i == 0 && step.konst.kind != litReal || step.konst.kind == litReal && step.konst.f == 0) {
		return nil, t.errAt(src.step.exprPos(), "range step must not be zero")
	}
	value := "CAST(" + from.sql + " AS " + typ.sqlTypeName() + ") + " + step.paren(precMul) + " * i"
	if typ == typeLong {
		value = "CAST(" + from.sql + " AS BIGINT) + CAST(" + step.sql + " AS BIGINT) * i"
	}
	col := column{name: src.name, sql: src.name, typ: typ}
	from_ := "(SELECT " + value + " AS " + quoteIdent(col.sql) + " FROM generate_series(0, " + count + ") AS steps(i))" + ` AS "range"`
	s := newStage(from_, []column{col})
	s.aliased = true
	order := "ASC NULLS FIRST"
	if step.konst != nil && (step.konst.i < 0 || step.konst.f < 0) {
		order = "DESC NULLS LAST"
	}
	s.inOrder = []orderCol{{sql: col.sql, order: order}}
	return s, nil
}

// castTo writes x converted to a column of type typ: a dynamic column holds any value as
// JSON.
func castTo(x *sqlExpr, typ kqlType) string {
	if typ == typeDynamic {
		return dynamicSQL(x)
	}
	return "CAST(" + x.sql + " AS " + typ.sqlTypeName() + ")"
}

// dynamicSQL writes x as a JSON value.
func dynamicSQL(x *sqlExpr) string {
	switch {
	case x.typ == typeDynamic && !x.list:
		return "CAST(" + x.sql + " AS JSON)"
	case x.typ == typeNull:
		return "CAST(NULL AS JSON)"
	}
	return "to_json(" + x.sql + ")"
}
