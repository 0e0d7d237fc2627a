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
		"extract":         {3, 3, fnExtract},
		"split":           {2, 2, fnSplit},
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

// aggregateNames are the aggregation functions (translated by summarize).
var aggregateNames = map[string]bool{
	"count": true, "countif": true, "dcount": true, "min": true, "max": true, "avg": true, "sum": true,
	"make_list": true, "make_set": true, "arg_max": true, "arg_min": true,
}

// knownKQLFunctions outside the subset get "unsupported function" rather than "unknown".
var knownKQLFunctions = map[string]bool{
	"parse_json": true, "parsejson": true, "todynamic": true, "bag_keys": true, "array_length": true,
	"strcat_delim": true, "indexof": true, "countof": true, "reverse": true, "hash": true,
	"coalesce": true, "round": true, "abs": true, "ceiling": true, "log": true, "pow": true, "sqrt": true,
	"datetime_add": true, "datetime_diff": true, "datetime_part": true, "dayofweek": true, "hourofday": true,
	"startofweek": true, "startofmonth": true, "startofyear": true, "endofday": true, "bin_at": true,
	"format_timespan": true, "totimespan": true, "todecimal": true, "toguid": true, "gettype": true,
	"percentile": true, "percentiles": true, "stdev": true, "variance": true, "any": true, "take_any": true,
	"make_bag": true, "dcountif": true, "sumif": true, "avgif": true, "maxif": true, "minif": true,
	"make_list_if": true, "make_set_if": true, "series_stats": true, "parse_url": true, "base64_encode_tostring": true,
	"extract_all": true, "replace_regex": true, "has_any": true, "has_all": true, "set_has_element": true,
	"toscalar": true, "materialize": true, "column_ifexists": true, "row_number": true, "prev": true, "next": true,
	"tohex": true, "url_decode": true, "url_encode": true, "unixtime_seconds_todatetime": true, "make_datetime": true,
	"make_timespan": true, "isascii": true, "isutf8": true, "strrep": true, "translate": true, "pack": true,
	"bag_pack": true, "pack_array": true, "array_concat": true, "array_slice": true, "dynamic": true,
}

func (t *translator) call(c *callExpr, sc *scope, positive bool) (*sqlExpr, *Error) {
	if aggregateNames[c.name] {
		return t.aggregate(c, sc)
	}
	f, ok := funcs[c.name]
	if !ok {
		if knownKQLFunctions[c.name] {
			return nil, t.errAt(c.pos, "unsupported function '%s()' (outside the KQL subset kudulens translates)", c.name)
		}
		return nil, t.errAt(c.pos, "unsupported function '%s()' (not a KQL function kudulens knows)", c.name)
	}
	if len(c.args) < f.min || len(c.args) > f.max {
		want := strconv.Itoa(f.min)
		if f.max != f.min {
			want += " to " + strconv.Itoa(f.max)
		}
		return nil, t.errAt(c.pos, "%s() takes %s arguments, got %d", c.name, want, len(c.args))
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
	args := make([]*sqlExpr, len(c.args))
	for i, a := range c.args {
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
		return nil, t.errAt(pos, "unsupported: %s of a real (DuckDB and KQL print doubles differently); convert it with tolong() first", what)
	}
	return nil, t.errAt(pos, "unsupported: %s of %s", what, x.typ)
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
	return nil, t.errAt(c.args[0].exprPos(), "unsupported: %s() of %s", c.name, x.typ)
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
	return nil, t.errAt(c.args[0].exprPos(), "unsupported: %s() of %s", c.name, x.typ)
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
	return nil, t.errAt(c.args[0].exprPos(), "unsupported: %s() of %s", c.name, x.typ)
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
	return nil, t.errAt(c.args[0].exprPos(), "unsupported: todatetime() of %s", x.typ)
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

func fnExtract(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	if a[0].konst == nil || a[0].konst.kind != litString {
		return nil, t.errAt(c.args[0].exprPos(), "unsupported: extract() with a pattern that is not a constant string")
	}
	re, err := regexp.Compile(a[0].konst.s)
	if err != nil {
		return nil, t.errAt(c.args[0].exprPos(), "invalid regex: %v", err)
	}
	if a[1].konst == nil || a[1].konst.kind != litLong || a[1].konst.i < 0 {
		return nil, t.errAt(c.args[1].exprPos(), "extract() needs a constant group number")
	}
	if int(a[1].konst.i) > re.NumSubexp() {
		return nil, t.errAt(c.args[1].exprPos(), "extract(): the pattern has %d groups, not %d", re.NumSubexp(), a[1].konst.i)
	}
	s, serr := t.asString(c.args[2].exprPos(), a[2], "extract()")
	if serr != nil {
		return nil, serr
	}
	// regexp_extract gives '' when nothing matches: KQL's null string.
	return atom("regexp_extract("+s.sql+", "+a[0].sql+", "+a[1].sql+")", typeString, s.nullable), nil
}

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
		return nil, t.errAt(c.args[1].exprPos(), "unsupported: split() with an empty delimiter")
	}
	x := atom("string_split("+nonNull(s).sql+", "+nonNull(d).sql+")", typeDynamic, false)
	x.list, x.elem = true, typeString
	return x, nil
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
			return 0, t.errAt(c.args[i].exprPos(), "unsupported: an array as a branch of %s()", c.name)
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
		return nil, t.errAt(c.args[0].exprPos(), "unsupported: %s() with a pattern that is not a constant non-empty string", c.name)
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
		return nil, t.errAt(c.args[1].exprPos(), "unsupported: replace_string() with an empty lookup string")
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
		return nil, t.errAt(c.args[1].exprPos(), "unsupported format_datetime() specifier at %q (supported: yyyy yy MM M dd d HH H hh h mm m ss s tt fff ffffff and separators %q)", f[i:], datetimeSeparators)
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
		if a[1].konst == nil || a[1].konst.kind != litLong {
			return nil, t.errAt(c.args[1].exprPos(), "startofday() needs a constant day offset")
		}
		if a[1].konst.i != 0 {
			return &sqlExpr{sql: sql + " + INTERVAL (" + strconv.FormatInt(a[1].konst.i, 10) + ") DAY", typ: typeDatetime, prec: precAdd, nullable: a[0].nullable}, nil
		}
	}
	return atom(sql, typeDatetime, a[0].nullable), nil
}

// fnBin rounds down to a multiple of the bin size. Datetimes are binned from
// 0001-01-01T00:00:00, KQL's epoch, so bins of any size line up as in KQL.
func fnBin(t *translator, c *callExpr, a []*sqlExpr) (*sqlExpr, *Error) {
	x, size := a[0], a[1]
	if size.konst == nil {
		return nil, t.errAt(c.args[1].exprPos(), "unsupported: %s() with a bin size that is not a constant", c.name)
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
	return nil, t.errAt(c.pos, "%s() of %s by %s is not supported", c.name, x.typ, size.typ)
}
