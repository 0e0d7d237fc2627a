package kql

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// fn translates a call of a scalar function; args are already translated.
type fn struct {
	min, max int // argument count
	f        func(t *translator, c *callExpr, args []*sqlExpr) (*sqlExpr, *Error)
}

// funcs are the scalar functions of the subset.
var funcs map[string]fn

func init() {
	funcs = map[string]fn{
		"ago":             {1, 1, fnAgo},
		"now":             {0, 1, fnNow},
		"tostring":        {1, 1, fnToString},
		"toint":           {1, 1, func(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) { return toInteger(t, c, a, typeInt) }},
		"tolong":          {1, 1, func(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) { return toInteger(t, c, a, typeLong) }},
		"todouble":        {1, 1, fnToReal},
		"toreal":          {1, 1, fnToReal},
		"tobool":          {1, 1, fnToBool},
		"toboolean":       {1, 1, fnToBool},
		"todatetime":      {1, 1, fnToDatetime},
		"strcat":          {1, 64, fnStrcat},
		"extract":         {3, 4, fnExtract},
		"split":           {2, 3, fnSplit},
		"parse_json":      {1, 1, fnParseJSON},
		"parsejson":       {1, 1, fnParseJSON},
		"todynamic":       {1, 1, fnParseJSON},
		"typeof":          {1, 1, nil}, // a type argument (extract's fourth): see call
		"isempty":         {1, 1, func(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) { return isEmpty(t, c, a, false) }},
		"isnotempty":      {1, 1, func(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) { return isEmpty(t, c, a, true) }},
		"isnull":          {1, 1, func(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) { return isNull(t, c, a, false) }},
		"isnotnull":       {1, 1, func(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) { return isNull(t, c, a, true) }},
		"iff":             {3, 3, fnIff},
		"iif":             {3, 3, fnIff},
		"case":            {3, 255, fnCase},
		"tolower":         {1, 1, func(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) { return strFunc(t, c, a, "lower") }},
		"toupper":         {1, 1, func(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) { return strFunc(t, c, a, "upper") }},
		"strlen":          {1, 1, fnStrlen},
		"substring":       {2, 3, fnSubstring},
		"trim":            {2, 2, func(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) { return fnTrim(t, c, a, true, true) }},
		"trim_start":      {2, 2, func(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) { return fnTrim(t, c, a, true, false) }},
		"trim_end":        {2, 2, func(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) { return fnTrim(t, c, a, false, true) }},
		"replace_string":  {3, 3, fnReplaceString},
		"format_datetime": {2, 2, fnFormatDatetime},
		"startofday":      {1, 2, fnStartOfDay},
		"bin":             {2, 2, fnBin},
		"floor":           {2, 2, fnBin},
		"not":             {1, 1, nil}, // handled in call: it flips polarity
	}
}

func (t *translator) call(c *callExpr, sc *scope, positive bool) (*sqlExpr, *Error) {
	if b, ok := t.lookupLet(c.name); ok && b.fn != nil {
		return t.userCall(c, b, sc, positive)
	}
	if _, ok := aggFuncs[c.name]; ok || c.name == "arg_max" || c.name == "arg_min" || c.name == "percentiles" {
		return t.aggregate(c, sc)
	}
	f, ok := funcs[c.name]
	if !ok {
		return nil, t.errAt(c.pos, "function '%s()' is not supported by kudulens", c.name)
	}
	if len(c.args) < f.min || len(c.args) > f.max {
		// KQL may accept the call (more optional arguments than kudulens reads): say so
		// rather than call the query wrong.
		return nil, t.errAt(c.pos, "%s() with %d arguments is not supported by kudulens (it takes %s)", c.name, len(c.args), argRange(f.min, f.max))
	}
	if c.name == "not" {
		x, err := t.scalar(c.args[0], sc, false)
		if err != nil {
			return nil, err
		}
		if x.typ != typeBool && x.typ != typeNull {
			return nil, t.errAt(c.args[0].exprPos(), "not() needs a bool, got %s", x.typ)
		}
		return &sqlExpr{sql: "NOT " + x.paren(precNot), typ: typeBool, prec: precNot, nullable: x.nullable}, nil
	}
	if c.name == "typeof" {
		return nil, t.errAt(c.pos, "typeof() is only read as the last argument of extract() by kudulens")
	}
	args := make([]*sqlExpr, len(c.args))
	for i, a := range c.args {
		if tc, ok := a.(*callExpr); ok && tc.name == "typeof" {
			typ, err := t.typeArg(tc)
			if err != nil {
				return nil, err
			}
			args[i] = &sqlExpr{typ: typ, typeArg: true}
			continue
		}
		// The condition of iff/case reads NULL as false, like where.
		pos := (c.name == "iff" || c.name == "iif") && i == 0 || c.name == "case" && i%2 == 0 && i < len(c.args)-1
		x, err := t.scalar(a, sc, pos)
		if err != nil {
			return nil, err
		}
		args[i] = x
	}
	return f.f(t, c, args)
}

// typeArg reads typeof(T).
func (t *translator) typeArg(c *callExpr) (kqlType, *Error) {
	if len(c.args) == 1 {
		if n, ok := c.args[0].(*nameRef); ok {
			if typ, ok := scalarTypes[n.name]; ok {
				return typ, nil
			}
			return 0, t.errAt(n.pos, "typeof(%s) is not supported by kudulens", n.name)
		}
	}
	return 0, t.errAt(c.pos, "typeof() takes a type name, as typeof(long)")
}

func atom(sql string, typ kqlType, nullable bool) *sqlExpr {
	return &sqlExpr{sql: sql, typ: typ, prec: precAtom, nullable: nullable}
}

func (t *translator) wantType(c *callExpr, i int, x *sqlExpr, ok bool, want string) *Error {
	if ok || x.typ == typeNull {
		return nil
	}
	return t.errAt(c.args[i].exprPos(), "argument %d of %s() must be %s, got %s", i+1, c.name, want, x.typ)
}

func fnAgo(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	if err := t.wantType(c, 0, a[0], a[0].typ == typeTimespan, "a timespan"); err != nil {
		return nil, err
	}
	now, err := t.now(c.pos, "ago()")
	if err != nil {
		return nil, err
	}
	if a[0].konst != nil && a[0].konst.kind == litTimespan {
		v := now.Add(-time.Duration(a[0].konst.i) * 100)
		x := atom(sqlTimestamp(v), typeDatetime, false)
		x.konst = &literal{kind: litDatetime, t: v, typ: typeDatetime}
		return x, nil
	}
	return &sqlExpr{sql: sqlTimestamp(now) + " - " + a[0].paren(precAdd+1), typ: typeDatetime, prec: precAdd, nullable: a[0].nullable}, nil
}

func fnNow(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	now, err := t.now(c.pos, "now()")
	if err != nil {
		return nil, err
	}
	if len(a) == 0 {
		x := atom(sqlTimestamp(now), typeDatetime, false)
		x.konst = &literal{kind: litDatetime, t: now, typ: typeDatetime}
		return x, nil
	}
	if err := t.wantType(c, 0, a[0], a[0].typ == typeTimespan, "a timespan"); err != nil {
		return nil, err
	}
	if a[0].konst != nil && a[0].konst.kind == litTimespan {
		v := now.Add(time.Duration(a[0].konst.i) * 100)
		x := atom(sqlTimestamp(v), typeDatetime, false)
		x.konst = &literal{kind: litDatetime, t: v, typ: typeDatetime}
		return x, nil
	}
	return &sqlExpr{sql: sqlTimestamp(now) + " + " + a[0].paren(precAdd+1), typ: typeDatetime, prec: precAdd, nullable: a[0].nullable}, nil
}

// tostringSQL converts x to KQL's string form.
func (t *translator) tostringSQL(pos int, x *sqlExpr, what string) (*sqlExpr, *Error) {
	switch x.typ {
	case typeString, typeDynamic, typeNull:
		return t.asString(pos, x, what)
	case typeInt, typeLong, typeBool:
		return atom("CAST("+x.sql+" AS VARCHAR)", typeString, x.nullable), nil
	case typeDatetime:
		// KQL prints datetimes as ISO 8601 with 7 fractional digits: 2026-11-19T10:00:00.0000000Z.
		return &sqlExpr{sql: "strftime(" + x.sql + ", '%Y-%m-%dT%H:%M:%S.%f0Z')", typ: typeString, prec: precAtom, nullable: x.nullable}, nil
	case typeTimespan:
		// [-][d.]hh:mm:ss[.fffffff] from the interval's microseconds.
		us := "epoch_us(" + x.sql + ")"
		a := "abs(" + us + ")"
		sql := "CASE WHEN " + us + " < 0 THEN '-' ELSE '' END" +
			" || CASE WHEN " + a + " >= 86400000000 THEN CAST(" + a + " // 86400000000 AS VARCHAR) || '.' ELSE '' END" +
			" || strftime(TIMESTAMP '2000-01-01' + to_microseconds(" + a + " % 86400000000), '%H:%M:%S')" +
			" || CASE WHEN " + a + " % 1000000 <> 0 THEN '.' || lpad(CAST(" + a + " % 1000000 AS VARCHAR), 6, '0') || '0' ELSE '' END"
		return &sqlExpr{sql: sql, typ: typeString, prec: precAdd, nullable: x.nullable}, nil
	case typeReal:
		return atom(realToString(x.sql), typeString, x.nullable), nil
	}
	return nil, t.errAt(pos, "%s of %s is not supported by kudulens", what, x.typ)
}

// realToString prints a real as KQL (.NET) does: whole numbers below 1E+15 without a
// fraction (1, not 1.0), the shortest digits that read back as the same double, exponents
// as E+20 / E-05.
func realToString(x string) string {
	return "CASE WHEN isnan(" + x + ") THEN 'NaN' WHEN isinf(" + x + ") THEN CASE WHEN " + x + " > 0 THEN '∞' ELSE '-∞' END" +
		" WHEN " + x + " = trunc(" + x + ") AND abs(" + x + ") < 1e15 THEN CAST(CAST(" + x + " AS BIGINT) AS VARCHAR)" +
		" ELSE regexp_replace(regexp_replace(CAST(" + x + " AS VARCHAR), 'e([+-])(\\d)$', 'E\\1' || '0' || '\\2'), 'e', 'E') END"
}

func fnToString(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	return t.tostringSQL(c.args[0].exprPos(), a[0], "tostring()")
}

// integerText matches what .NET's integer parsing accepts: blanks, an optional sign,
// digits.
const integerText = `^\s*[+-]?[0-9]+\s*$`

func toInteger(t *translator, c *callExpr, a []*sqlExpr, typ kqlType) (*sqlExpr, *Error) {
	x := a[0]
	st := typ.sqlTypeName()
	switch {
	case x.typ == typeString || x.typ == typeDynamic:
		s, err := t.asString(c.args[0].exprPos(), x, c.name+"()")
		if err != nil {
			return nil, err
		}
		// "1.5" is not an integer for KQL (DuckDB would round it).
		return atom("CASE WHEN regexp_matches("+s.sql+", '"+integerText+"') THEN TRY_CAST("+s.sql+" AS "+st+") END", typ, true), nil
	case x.typ == typeReal:
		// KQL truncates toward zero; DuckDB's cast rounds.
		return atom("TRY_CAST(trunc("+x.sql+") AS "+st+")", typ, true), nil
	case x.typ.integral() || x.typ == typeBool || x.typ == typeNull:
		return atom("TRY_CAST("+x.sql+" AS "+st+")", typ, x.nullable || x.typ != typeBool), nil
	}
	return nil, t.errAt(c.args[0].exprPos(), "%s() of %s is not supported by kudulens", c.name, x.typ)
}

func fnToReal(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	x := a[0]
	switch {
	case x.typ == typeString || x.typ == typeDynamic:
		s, err := t.asString(c.args[0].exprPos(), x, c.name+"()")
		if err != nil {
			return nil, err
		}
		return atom("TRY_CAST("+s.sql+" AS DOUBLE)", typeReal, true), nil
	case x.typ.numeric() || x.typ == typeNull:
		return atom("CAST("+x.sql+" AS DOUBLE)", typeReal, x.nullable), nil
	case x.typ == typeBool:
		return atom("CAST(CAST("+x.sql+" AS INTEGER) AS DOUBLE)", typeReal, x.nullable), nil
	}
	return nil, t.errAt(c.args[0].exprPos(), "%s() of %s is not supported by kudulens", c.name, x.typ)
}

func fnToBool(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	x := a[0]
	switch {
	case x.typ == typeBool || x.typ == typeNull:
		return x, nil
	case x.typ == typeString || x.typ == typeDynamic:
		s, err := t.asString(c.args[0].exprPos(), x, c.name+"()")
		if err != nil {
			return nil, err
		}
		return atom("CASE lower(trim("+s.sql+")) WHEN 'true' THEN true WHEN 'false' THEN false END", typeBool, true), nil
	case x.typ.numeric():
		return cmpExpr(x.paren(precCmp+1)+" <> 0", x.nullable), nil
	}
	return nil, t.errAt(c.args[0].exprPos(), "%s() of %s is not supported by kudulens", c.name, x.typ)
}

func fnToDatetime(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	x := a[0]
	switch {
	case x.typ == typeDatetime || x.typ == typeNull:
		return x, nil
	case x.typ == typeString || x.typ == typeDynamic:
		if x.konst != nil {
			// A constant in an ISO 8601 form becomes a literal; anything else is left to
			// DuckDB's cast, which gives null for what it cannot read, as KQL does.
			if v, ok, err := parseDatetimeContent(strings.TrimSpace(x.konst.s)); err == nil && ok {
				return t.literal(&literal{pos: c.pos, kind: litDatetime, t: v, typ: typeDatetime})
			}
		}
		s, err := t.asString(c.args[0].exprPos(), x, c.name+"()")
		if err != nil {
			return nil, err
		}
		return atom("TRY_CAST("+s.sql+" AS TIMESTAMP)", typeDatetime, true), nil
	}
	return nil, t.errAt(c.args[0].exprPos(), "todatetime() of %s is not supported by kudulens", x.typ)
}

func fnStrcat(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	parts := make([]string, len(a))
	for i, x := range a {
		s, err := t.tostringSQL(c.args[i].exprPos(), x, "strcat()")
		if err != nil {
			return nil, err
		}
		parts[i] = s.sql
	}
	// concat() reads NULL as "", as KQL's strcat does.
	return atom("concat("+strings.Join(parts, ", ")+")", typeString, false), nil
}

// fnExtract is extract(regex, group, text [, typeof(T)]): the group's text, "" when the
// pattern does not match or has no such group (KQL and its peer engines agree), converted
// to T when asked (null when it does not convert).
func fnExtract(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	if a[0].konst == nil || a[0].konst.kind != litString {
		return nil, t.errAt(c.args[0].exprPos(), "extract() with a pattern that is not a constant string is not supported by kudulens")
	}
	re, err := regexp.Compile(a[0].konst.s)
	if err != nil {
		return nil, t.errAt(c.args[0].exprPos(), "invalid regex: %v", err)
	}
	if a[1].konst == nil || a[1].konst.kind != litLong || a[1].konst.i < 0 {
		return nil, t.errAt(c.args[1].exprPos(), "extract() with a group number that is not a constant is not supported by kudulens")
	}
	s, serr := t.asString(c.args[2].exprPos(), a[2], "extract()")
	if serr != nil {
		return nil, serr
	}
	typ := typeString
	if len(a) == 4 {
		if !a[3].typeArg {
			return nil, t.errAt(c.args[3].exprPos(), "the fourth argument of extract() is typeof(T)")
		}
		typ = a[3].typ
	}
	// regexp_extract gives '' when nothing matches: KQL's null string.
	sql := "''"
	if int(a[1].konst.i) <= re.NumSubexp() {
		sql = "regexp_extract(" + nonNull(s).sql + ", " + a[0].sql + ", " + a[1].sql + ")"
	}
	if typ == typeString {
		return atom(sql, typeString, false), nil
	}
	return atom("TRY_CAST(nullif("+sql+", '') AS "+typ.sqlTypeName()+")", typ, true), nil
}

// fnSplit is split(s, delimiter [, index]): a dynamic array of the parts, or of the part at
// index alone ([] when there is none).
func fnSplit(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	s, err := t.asString(c.args[0].exprPos(), a[0], "split()")
	if err != nil {
		return nil, err
	}
	d, err := t.asString(c.args[1].exprPos(), a[1], "split()")
	if err != nil {
		return nil, err
	}
	if d.konst != nil && d.konst.s == "" {
		return nil, t.errAt(c.args[1].exprPos(), "split() with an empty delimiter is not supported by kudulens")
	}
	sql := "string_split(" + nonNull(s).sql + ", " + nonNull(d).sql + ")"
	if len(a) == 3 {
		if err := t.wantType(c, 2, a[2], a[2].typ.integral(), "an integer"); err != nil {
			return nil, err
		}
		i := a[2].paren(precAdd)
		sql = "CASE WHEN " + i + " >= 0 THEN list_slice(" + sql + ", " + i + " + 1, " + i + " + 1) ELSE CAST([] AS VARCHAR[]) END"
	}
	x := atom(sql, typeDynamic, false)
	x.list, x.elem = true, typeString
	return x, nil
}

// fnParseJSON is parse_json(s) (todynamic): the JSON value s holds; a string that is not
// JSON stays a string.
func fnParseJSON(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	x := a[0]
	var sql string
	switch {
	case x.typ == typeDynamic || x.typ == typeNull:
		sql = dynamicSQL(x)
	case x.typ == typeString:
		v := x.sql
		sql = "CASE WHEN json_valid(" + v + ") THEN CAST(" + v + " AS JSON) ELSE to_json(" + v + ") END"
	default:
		sql = dynamicSQL(x)
	}
	r := atom(sql, typeDynamic, true)
	r.json = &jsonRef{base: "(" + sql + ")", path: "$"}
	return r, nil
}

func isEmpty(t *translator, c *callExpr, a []*sqlExpr, not bool) (*sqlExpr, *Error) {
	x := a[0]
	var sql string
	switch {
	case x.typ == typeString || x.json != nil || x.list:
		s, err := t.asString(c.args[0].exprPos(), x, c.name+"()")
		if err != nil {
			return nil, err
		}
		sql = "coalesce(" + s.sql + ", '') = ''"
		if not {
			sql = "coalesce(" + s.sql + ", '') <> ''"
		}
	default:
		sql = x.paren(precCmp+1) + " IS NULL"
		if not {
			sql = x.paren(precCmp+1) + " IS NOT NULL"
		}
	}
	return cmpExpr(sql, false), nil
}

func isNull(t *translator, c *callExpr, a []*sqlExpr, not bool) (*sqlExpr, *Error) {
	x := a[0]
	switch {
	case x.typ == typeString:
		// KQL strings are never null.
		return atom(strconv.FormatBool(not), typeBool, false), nil
	case x.json != nil:
		sql := "coalesce(json_type(" + x.json.base + ", " + quoteString(x.json.path) + ") = 'NULL', true)"
		if not {
			sql = "NOT " + sql
			return &sqlExpr{sql: sql, typ: typeBool, prec: precNot}, nil
		}
		return atom(sql, typeBool, false), nil
	}
	sql := x.paren(precCmp+1) + " IS NULL"
	if not {
		sql = x.paren(precCmp+1) + " IS NOT NULL"
	}
	return cmpExpr(sql, false), nil
}

// unify returns the common type of the branches of iff/case.
func (t *translator) unify(c *callExpr, idx []int, a []*sqlExpr) (kqlType, *Error) {
	typ := typeNull
	for _, i := range idx {
		x := a[i]
		switch {
		case x.typ == typeNull:
		case typ == typeNull:
			typ = x.typ
		case typ == x.typ:
		case typ.numeric() && x.typ.numeric():
			if typ == typeReal || x.typ == typeReal {
				typ = typeReal
			} else {
				typ = typeLong
			}
		default:
			return 0, t.errAt(c.args[i].exprPos(), "%s(): branches have types %s and %s", c.name, typ, x.typ)
		}
		if x.list {
			return 0, t.errAt(c.args[i].exprPos(), "an array as a branch of %s() is not supported by kudulens", c.name)
		}
	}
	return typ, nil
}

func (t *translator) wantBool(c *callExpr, i int, x *sqlExpr) *Error {
	if x.typ != typeBool && x.typ != typeNull {
		return t.errAt(c.args[i].exprPos(), "argument %d of %s() must be a bool condition, got %s", i+1, c.name, x.typ)
	}
	return nil
}

func fnIff(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	if err := t.wantBool(c, 0, a[0]); err != nil {
		return nil, err
	}
	typ, err := t.unify(c, []int{1, 2}, a)
	if err != nil {
		return nil, err
	}
	x := atom("CASE WHEN "+a[0].sql+" THEN "+a[1].sql+" ELSE "+a[2].sql+" END", typ, a[1].nullable || a[2].nullable)
	if typ == typeDynamic {
		x.json = &jsonRef{base: "(" + x.sql + ")", path: "$"}
	}
	return x, nil
}

func fnCase(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	if len(a)%2 == 0 {
		return nil, t.errAt(c.pos, "case() takes condition, value pairs and an else value (an odd number of arguments)")
	}
	var vals []int
	var b strings.Builder
	b.WriteString("CASE")
	nullable := false
	for i := 0; i+1 < len(a); i += 2 {
		if err := t.wantBool(c, i, a[i]); err != nil {
			return nil, err
		}
		vals = append(vals, i+1)
		b.WriteString(" WHEN " + a[i].sql + " THEN " + a[i+1].sql)
		nullable = nullable || a[i+1].nullable
	}
	vals = append(vals, len(a)-1)
	typ, err := t.unify(c, vals, a)
	if err != nil {
		return nil, err
	}
	b.WriteString(" ELSE " + a[len(a)-1].sql + " END")
	return atom(b.String(), typ, nullable || a[len(a)-1].nullable), nil
}

func strFunc(t *translator, c *callExpr, a []*sqlExpr, sqlName string) (*sqlExpr, *Error) {
	s, err := t.asString(c.args[0].exprPos(), a[0], c.name+"()")
	if err != nil {
		return nil, err
	}
	return atom(sqlName+"("+s.sql+")", typeString, s.nullable), nil
}

func fnStrlen(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	s, err := t.asString(c.args[0].exprPos(), a[0], "strlen()")
	if err != nil {
		return nil, err
	}
	// length() counts characters (code points), as KQL's strlen; "" (NULL) has length 0.
	return atom("length("+nonNull(s).sql+")", typeLong, false), nil
}

func fnSubstring(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	s, err := t.asString(c.args[0].exprPos(), a[0], "substring()")
	if err != nil {
		return nil, err
	}
	for i := 1; i < len(a); i++ {
		if err := t.wantType(c, i, a[i], a[i].typ.integral(), "an integer"); err != nil {
			return nil, err
		}
	}
	// KQL counts from 0 (negative: from the end), DuckDB from 1 (negative: from the end).
	var start string
	if k := a[1].konst; k != nil {
		if k.i >= 0 {
			start = strconv.FormatInt(k.i+1, 10)
		} else {
			start = strconv.FormatInt(k.i, 10)
		}
	} else {
		start = "CASE WHEN " + a[1].sql + " >= 0 THEN " + a[1].paren(precAdd) + " + 1 ELSE " + a[1].sql + " END"
	}
	sql := "substring(" + s.sql + ", " + start
	if len(a) == 3 {
		if k := a[2].konst; k != nil && k.i < 0 {
			return nil, t.errAt(c.args[2].exprPos(), "substring(): negative length")
		}
		sql += ", " + a[2].sql
	}
	return atom(sql+")", typeString, true), nil
}

func fnTrim(t *translator, c *callExpr, a []*sqlExpr, start, end bool) (*sqlExpr, *Error) {
	if a[0].konst == nil || a[0].konst.kind != litString || a[0].konst.s == "" {
		return nil, t.errAt(c.args[0].exprPos(), "%s() with a pattern that is not a constant non-empty string is not supported by kudulens", c.name)
	}
	if _, err := regexp.Compile(a[0].konst.s); err != nil {
		return nil, t.errAt(c.args[0].exprPos(), "invalid regex: %v", err)
	}
	s, err := t.asString(c.args[1].exprPos(), a[1], c.name+"()")
	if err != nil {
		return nil, err
	}
	// KQL's trim takes a regex and removes its matches repeated at the ends.
	sql := s.sql
	if start {
		sql = "regexp_replace(" + sql + ", " + quoteString("^(?:"+a[0].konst.s+")+") + ", '')"
	}
	if end {
		sql = "regexp_replace(" + sql + ", " + quoteString("(?:"+a[0].konst.s+")+$") + ", '')"
	}
	return atom(sql, typeString, s.nullable), nil
}

func fnReplaceString(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	var ss [3]*sqlExpr
	for i := range a {
		s, err := t.asString(c.args[i].exprPos(), a[i], "replace_string()")
		if err != nil {
			return nil, err
		}
		ss[i] = s
	}
	if ss[1].konst != nil && ss[1].konst.s == "" {
		return nil, t.errAt(c.args[1].exprPos(), "replace_string() with an empty lookup string is not supported by kudulens")
	}
	return atom("replace("+ss[0].sql+", "+nonNull(ss[1]).sql+", "+nonNull(ss[2]).sql+")", typeString, ss[0].nullable), nil
}

// datetimeFormat maps KQL format_datetime specifiers to strftime. Longest first.
var datetimeFormat = []struct{ kql, sql string }{
	{"yyyy", "%Y"}, {"yy", "%y"}, {"MM", "%m"}, {"M", "%-m"}, {"dd", "%d"}, {"d", "%-d"},
	{"HH", "%H"}, {"H", "%-H"}, {"hh", "%I"}, {"h", "%-I"}, {"mm", "%M"}, {"m", "%-M"},
	{"ss", "%S"}, {"s", "%-S"}, {"tt", "%p"}, {"ffffff", "%f"}, {"fff", "%g"},
}

// datetimeSeparators are the characters KQL allows between format specifiers.
const datetimeSeparators = " /-:,._[]T"

func fnFormatDatetime(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	if err := t.wantType(c, 0, a[0], a[0].typ == typeDatetime, "a datetime"); err != nil {
		return nil, err
	}
	if a[1].konst == nil || a[1].konst.kind != litString {
		return nil, t.errAt(c.args[1].exprPos(), "format_datetime() needs a constant format string")
	}
	f := a[1].konst.s
	var b strings.Builder
	for i := 0; i < len(f); {
		matched := false
		for _, m := range datetimeFormat {
			if strings.HasPrefix(f[i:], m.kql) {
				// Reject runs longer than a specifier (yyyyy, fffffff): not in the subset.
				if j := i + len(m.kql); j < len(f) && f[j] == m.kql[0] {
					continue
				}
				b.WriteString(m.sql)
				i += len(m.kql)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		if strings.IndexByte(datetimeSeparators, f[i]) >= 0 {
			b.WriteByte(f[i])
			i++
			continue
		}
		return nil, t.errAt(c.args[1].exprPos(), "format_datetime() specifier at %q is not supported by kudulens (supported: yyyy yy MM M dd d HH H hh h mm m ss s tt fff ffffff and separators %q)", f[i:], datetimeSeparators)
	}
	return atom("strftime("+a[0].sql+", "+quoteString(b.String())+")", typeString, a[0].nullable), nil
}

func fnStartOfDay(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	if err := t.wantType(c, 0, a[0], a[0].typ == typeDatetime, "a datetime"); err != nil {
		return nil, err
	}
	// date_trunc gives a DATE in DuckDB 1.1; KQL's result is a datetime.
	sql := "CAST(date_trunc('day', " + a[0].sql + ") AS TIMESTAMP)"
	if len(a) == 2 {
		if err := t.wantType(c, 1, a[1], a[1].typ.integral(), "an integer"); err != nil {
			return nil, err
		}
		if k := a[1].konst; k == nil || k.i != 0 {
			return &sqlExpr{sql: sql + " + to_days(CAST(" + a[1].sql + " AS INTEGER))", typ: typeDatetime, prec: precAdd, nullable: a[0].nullable || a[1].nullable}, nil
		}
	}
	return atom(sql, typeDatetime, a[0].nullable), nil
}

// fnBin rounds down to a multiple of the bin size. Datetimes are binned from
// 0001-01-01T00:00:00, KQL's epoch, so bins of any size line up as in KQL.
func fnBin(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	x, size := a[0], a[1]
	if size.konst == nil {
		return binBy(t, c, x, size)
	}
	k := size.konst
	positive := k.kind == litLong && k.i > 0 || k.kind == litReal && k.f > 0 || k.kind == litTimespan && k.i > 0
	if !positive {
		return nil, t.errAt(c.args[1].exprPos(), "%s(): the bin size must be positive", c.name)
	}
	switch {
	case x.typ == typeDatetime && k.kind == litTimespan:
		return atom("time_bucket("+size.sql+", "+x.sql+", TIMESTAMP '0001-01-01 00:00:00')", typeDatetime, x.nullable), nil
	case x.typ == typeTimespan && k.kind == litTimespan:
		if k.i%microsecond != 0 {
			return nil, t.errAt(c.args[1].exprPos(), "timespan finer than a microsecond cannot be represented in DuckDB")
		}
		us := strconv.FormatInt(k.i/microsecond, 10)
		return atom("to_microseconds(CAST(floor(epoch_us("+x.sql+") / "+us+") * "+us+" AS BIGINT))", typeTimespan, x.nullable), nil
	case x.typ.integral() && k.kind == litLong:
		return atom("CAST(floor("+x.paren(precMul)+" / "+size.sql+") * "+size.sql+" AS BIGINT)", typeLong, x.nullable), nil
	case x.typ.numeric() && (k.kind == litLong || k.kind == litReal):
		return &sqlExpr{sql: "floor(" + x.paren(precMul) + " / " + size.sql + ") * " + size.sql, typ: typeReal, prec: precMul, nullable: x.nullable}, nil
	}
	return nil, t.errAt(c.pos, "%s() of %s by %s is not supported by kudulens", c.name, x.typ, size.typ)
}

// binBy is bin(x, size) with a size that varies by row: the same rounding written with the
// size as an expression; a size that is not positive gives null.
func binBy(t *translator, c *callExpr, x, size *sqlExpr) (*sqlExpr, *Error) {
	var sql string
	typ := x.typ
	switch {
	case x.typ == typeDatetime && size.typ == typeTimespan:
		us := "epoch_us(" + size.sql + ")"
		sql = "TIMESTAMP '0001-01-01 00:00:00' + to_microseconds(CAST(floor(epoch_us(" + x.paren(precAdd) + " - TIMESTAMP '0001-01-01 00:00:00') / " + us + ") AS BIGINT) * " + us + ")"
	case x.typ == typeTimespan && size.typ == typeTimespan:
		us := "epoch_us(" + size.sql + ")"
		sql = "to_microseconds(CAST(floor(epoch_us(" + x.sql + ") / " + us + ") AS BIGINT) * " + us + ")"
	case x.typ.integral() && size.typ.integral():
		typ = typeLong
		sql = "CAST(floor(" + x.paren(precMul) + " / " + size.paren(precMul+1) + ") * " + size.paren(precMul+1) + " AS BIGINT)"
	case x.typ.numeric() && size.typ.numeric():
		typ = typeReal
		sql = "floor(" + x.paren(precMul) + " / " + size.paren(precMul+1) + ") * " + size.paren(precMul+1)
	default:
		return nil, t.errAt(c.pos, "%s() of %s by %s is not supported by kudulens", c.name, x.typ, size.typ)
	}
	positive := size.paren(precCmp+1) + " > 0"
	if size.typ == typeTimespan {
		positive = "epoch_us(" + size.sql + ") > 0"
	}
	return atom("CASE WHEN "+positive+" THEN "+sql+" END", typ, true), nil
}
