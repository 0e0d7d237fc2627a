package sql

import (
	"fmt"
	"strings"
)

// sparkify rewrites a lifted check query from DuckDB's SQL into Spark SQL's (3.5 and later):
// identifiers in backticks, casts with CAST, DuckDB's function names as Spark's, and what
// Spark writes otherwise (an ASOF join, a struct literal, list(), try_strptime) as Spark
// writes it. What has no Spark equivalent here is an error, and the check is listed as not
// emitted for Spark.
func sparkify(nodes []*sqlNode) ([]*sqlNode, error) {
	var out []*sqlNode
	for i := 0; i < len(nodes); i++ {
		n := nodes[i]
		if n.isGroup() {
			kids, err := sparkify(n.kids)
			if err != nil {
				return nil, err
			}
			n.kids = kids
			out = append(out, n)
			continue
		}
		switch n.tok.kind {
		case 's':
			// Spark's string literals take backslash escapes and end at '': a backslash is
			// written \\ and a quote \'
			body := n.tok.text[1 : len(n.tok.text)-1]
			n.tok.text = "'" + strings.ReplaceAll(strings.ReplaceAll(body, `\`, `\\`), "''", `\'`) + "'"
		case 'q':
			n.tok.text = "`" + strings.ReplaceAll(strings.Trim(n.tok.text, `"`), "`", "``") + "`"
		case 'p':
			switch n.tok.text {
			case "::":
				// x::TYPE → CAST(x AS TYPE), for a single-token or parenthesised x
				if len(out) == 0 || i+1 >= len(nodes) || nodes[i+1].word() == "" {
					return nil, fmt.Errorf("a :: cast Spark cannot read")
				}
				prev := out[len(out)-1]
				typ := nodes[i+1].tok.text
				if strings.EqualFold(typ, "VARCHAR") {
					typ = "STRING"
				}
				pre := ""
				if prev.tok != nil {
					pre, prev.tok.pre = prev.tok.pre, ""
				} else {
					pre, prev.open.pre = prev.open.pre, ""
				}
				g := paren(append(append([]*sqlNode{prev}, frag("AS")...), frag(typ)...))
				g.open.pre = ""
				cast := &sqlNode{tok: &sqlTok{pre: pre, text: "CAST", kind: 'w'}}
				out = append(out[:len(out)-1], cast, g)
				i++
				continue
			case "{":
				st, used, err := sparkStruct(nodes[i:])
				if err != nil {
					return nil, err
				}
				st[0].tok.pre = n.tok.pre
				out = append(out, st...)
				i += used - 1
				continue
			case "[":
				return nil, fmt.Errorf("a list literal, which Spark SQL writes otherwise")
			}
		case 'w':
			call := i+1 < len(nodes) && nodes[i+1].isGroup()
			switch w := n.word(); {
			case w == "ASOF":
				join, used, err := sparkAsof(nodes[i:])
				if err != nil {
					return nil, err
				}
				join[0].tok.pre = n.tok.pre
				out = append(out, join...)
				i += used - 1
				continue
			case w == "VARCHAR":
				n.tok.text = "STRING"
			case w == "MATERIALIZED" && len(out) > 0 && out[len(out)-1].word() == "AS" && call:
				// a CTE's [NOT] MATERIALIZED is DuckDB's planning hint; Spark plans its own
				continue
			case w == "NOT" && i+2 < len(nodes) && nodes[i+1].word() == "MATERIALIZED" && nodes[i+2].isGroup() &&
				len(out) > 0 && out[len(out)-1].word() == "AS":
				i++
				continue
			case !call:
			case w == "ARG_MAX" || w == "ARG_MIN":
				// arg_max(x, (a, b)) → max_by(x, struct(a, b))
				n.tok.text = map[string]string{"ARG_MAX": "max_by", "ARG_MIN": "min_by"}[w]
				args := splitTop(nodes[i+1].kids, ",")
				if len(args) == 2 && len(args[1]) == 1 && args[1][0].isGroup() && len(splitTop(args[1][0].kids, ",")) > 1 {
					g := args[1][0]
					st := &sqlNode{tok: &sqlTok{pre: g.open.pre, text: "struct", kind: 'w'}}
					g.open.pre = ""
					nodes[i+1].kids = append(append(args[0], &sqlNode{tok: &sqlTok{text: ",", kind: 'p'}}), st, g)
				}
			case w == "STARTS_WITH":
				n.tok.text = "startswith"
			case w == "ARRAY_TO_STRING":
				n.tok.text = "array_join"
			case w == "REGEXP_MATCHES":
				args := splitTop(nodes[i+1].kids, ",")
				if len(args) == 3 {
					flag := args[2]
					if len(flag) != 1 || flag[0].tok == nil || flag[0].tok.text != "'i'" || len(args[1]) != 1 || args[1][0].tok == nil || args[1][0].tok.kind != 's' {
						return nil, fmt.Errorf("regexp_matches with options Spark cannot take")
					}
					args[1][0].tok.text = "'(?i)" + args[1][0].tok.text[1:]
					nodes[i+1].kids = append(append(args[0], &sqlNode{tok: &sqlTok{text: ",", kind: 'p'}}), args[1]...)
				}
				n.tok.text = "regexp_like"
			case w == "STRFTIME":
				args := splitTop(nodes[i+1].kids, ",")
				if len(args) != 2 || len(args[1]) != 1 || args[1][0].tok == nil || args[1][0].tok.text != "'%Y-%m-%dT%H:%M:%SZ'" {
					return nil, fmt.Errorf("strftime with a format Spark is not told")
				}
				n.tok.text = "date_format"
				args[1][0].tok.text = `'yyyy-MM-dd''T''HH:mm:ss''Z'''`
			case w == "FORMAT":
				args := splitTop(nodes[i+1].kids, ",")
				if len(args[0]) != 1 || args[0][0].tok == nil || args[0][0].tok.kind != 's' {
					return nil, fmt.Errorf("format() without a literal format")
				}
				n.tok.text = "format_string"
				args[0][0].tok.text = strings.ReplaceAll(strings.ReplaceAll(args[0][0].tok.text, "%", "%%"), "{}", "%s")
				// %s of any value: each argument as a string, as format's {} writes it
				rebuilt := args[0]
				for _, a := range args[1:] {
					g := paren(append(append([]*sqlNode{}, a...), frag("AS STRING")...))
					g.open.pre = ""
					rebuilt = append(rebuilt, &sqlNode{tok: &sqlTok{text: ",", kind: 'p'}}, &sqlNode{tok: &sqlTok{pre: " ", text: "CAST", kind: 'w'}}, g)
				}
				nodes[i+1].kids = rebuilt
			case w == "LIST" || w == "TRY_STRPTIME":
				// calls Spark writes otherwise, rewritten from their arguments
				rewrite := sparkList
				if w == "TRY_STRPTIME" {
					rewrite = sparkTryStrptime
				}
				call, err := rewrite(nodes[i+1].kids)
				if err != nil {
					return nil, err
				}
				call[0].tok.pre = n.tok.pre
				out = append(out, call...)
				i++
				continue
			case w == "STRUCT_PACK" || w == "UNNEST" || w == "EPOCH":
				// (first(x) is Spark's first(x) too: both take any row's value)
				return nil, fmt.Errorf("%s(), which Spark SQL does not have", strings.ToLower(w))
			}
		}
		out = append(out, n)
	}
	return out, nil
}

// sparkList writes DuckDB's list(x ORDER BY k), the arguments kids, in Spark SQL: the values
// of x in the order of k, as an array, and NULL over no rows (Spark's collect_list gives an
// empty array there, DuckDB's list NULL: a coalesce of two lists relies on it). Spark's
// collect_list has no ORDER BY and skips NULLs: it collects (k, x) pairs, which are never
// NULL, sorts them and keeps the x of each.
func sparkList(kids []*sqlNode) ([]*sqlNode, error) {
	ob := -1
	for j := 0; j+1 < len(kids); j++ {
		if kids[j].word() == "ORDER" && kids[j+1].word() == "BY" {
			ob = j
			break
		}
	}
	if ob < 0 {
		return nil, fmt.Errorf("list() without ORDER BY (its order would be Spark's)")
	}
	expr, key := kids[:ob], kids[ob+2:]
	if len(splitTop(key, ",")) != 1 || len(splitTop(expr, ",")) != 1 {
		return nil, fmt.Errorf("list() of more than one value or key")
	}
	for _, k := range key {
		switch k.word() {
		case "ASC", "DESC", "NULLS":
			return nil, fmt.Errorf("list() with an ORDER BY direction Spark is not told")
		}
	}
	ex, err := sparkify(expr)
	if err != nil {
		return nil, err
	}
	ke, err := sparkify(key)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("CASE WHEN count(1) = 0 THEN NULL ELSE transform(array_sort(collect_list(named_struct('k', ")
	renderSQL(&b, ke)
	b.WriteString(", 'v', ")
	renderSQL(&b, ex)
	b.WriteString("))), e -> e.v) END")
	return frag(b.String()), nil
}

// render writes nodes as SQL text.
func render(nodes []*sqlNode) string {
	var b strings.Builder
	renderSQL(&b, nodes)
	return b.String()
}

// sparkStruct writes the struct literal at the start of nodes, {'k': v, ...}, as Spark's
// named_struct('k', v, ...), and returns how many nodes it took.
func sparkStruct(nodes []*sqlNode) ([]*sqlNode, int, error) {
	depth, end := 0, -1
	for j, n := range nodes {
		if n.is("{") {
			depth++
		} else if n.is("}") {
			if depth--; depth == 0 {
				end = j
				break
			}
		}
	}
	if end < 0 {
		return nil, 0, fmt.Errorf("a struct literal without its '}'")
	}
	var b strings.Builder
	b.WriteString("named_struct(")
	for k, field := range splitTop(nodes[1:end], ",") {
		kv := splitTop(field, ":")
		if len(kv) != 2 || len(kv[0]) != 1 || kv[0][0].tok == nil || kv[0][0].tok.kind != 's' {
			return nil, 0, fmt.Errorf("a struct literal Spark is not told")
		}
		v, err := sparkify(kv[1])
		if err != nil {
			return nil, 0, err
		}
		if k > 0 {
			b.WriteString(", ")
		}
		b.WriteString(kv[0][0].tok.text + ", " + strings.TrimSpace(render(v)))
	}
	b.WriteString(")")
	return frag(b.String()), end + 1, nil
}

// strftimeToSpark are the strptime specifiers the checks parse with, as Spark's datetime
// pattern letters (parsing: M, d, h and H take one or two digits, as DuckDB's do).
var strftimeToSpark = strings.NewReplacer("%Y", "yyyy", "%m", "M", "%d", "d", "%H", "H", "%I", "h",
	"%M", "mm", "%S", "ss", "%p", "a")

// sparkTryStrptime writes try_strptime(x, format) or try_strptime(x, [formats]), the
// arguments kids, as Spark's try_to_timestamp with each format in turn (the first that
// parses, as DuckDB tries them).
func sparkTryStrptime(kids []*sqlNode) ([]*sqlNode, error) {
	args := splitTop(kids, ",")
	if len(args) < 2 {
		return nil, fmt.Errorf("try_strptime() of one argument")
	}
	x, err := sparkify(args[0])
	if err != nil {
		return nil, err
	}
	var formats []string
	for k, a := range args[1:] {
		for j, n := range a {
			switch {
			case n.tok != nil && n.tok.kind == 's':
				f := n.tok.text[1 : len(n.tok.text)-1]
				if strings.Contains(strftimeToSpark.Replace(f), "%") || strings.ContainsAny(f, "'") {
					return nil, fmt.Errorf("try_strptime() with a format Spark is not told (%s)", n.tok.text)
				}
				formats = append(formats, "'"+strftimeToSpark.Replace(f)+"'")
			case n.is("[") && k == 0 && j == 0, n.is("]") && k == len(args)-2 && j == len(a)-1:
			default:
				return nil, fmt.Errorf("try_strptime() with formats that are not literals")
			}
		}
	}
	xs := strings.TrimSpace(render(x))
	parts := make([]string, len(formats))
	for k, f := range formats {
		parts[k] = "try_to_timestamp(" + xs + ", " + f + ")"
	}
	return frag("coalesce(" + strings.Join(parts, ", ") + ")"), nil
}

// sparkAsof writes the ASOF join at the start of nodes, "ASOF LEFT JOIN rel AS r ON l.t >=
// r.t AND r.k = l.k ...", which Spark does not have, as a join on the stretch of time each
// right row holds: the right rows get the time of the next one in their partition (the
// equalities' right columns), and a left row joins the row whose stretch holds its time. Of
// rows tied in time, one holds the stretch (the last in lead's order), so a left row still
// joins one row, as ASOF joins it. It returns the join and how many nodes it took.
func sparkAsof(nodes []*sqlNode) ([]*sqlNode, int, error) {
	if len(nodes) < 3 || nodes[1].word() != "LEFT" || nodes[2].word() != "JOIN" {
		return nil, 0, fmt.Errorf("an ASOF join other than ASOF LEFT JOIN")
	}
	on := -1
	for j := 3; j < len(nodes); j++ {
		if nodes[j].word() == "ON" {
			on = j
			break
		}
	}
	if on < 0 {
		return nil, 0, fmt.Errorf("an ASOF join without ON")
	}
	end := len(nodes)
	for j := on + 1; j < len(nodes); j++ {
		switch nodes[j].word() {
		case "WHERE", "GROUP", "ORDER", "LIMIT", "UNION", "JOIN", "LEFT", "RIGHT", "INNER", "FULL", "CROSS",
			"ASOF", "WINDOW", "QUALIFY", "HAVING", "EXCEPT", "INTERSECT":
			end = j
		}
		if end < len(nodes) {
			break
		}
	}
	rel := nodes[3:on]
	alias := rel[len(rel)-1].word()
	if len(rel) < 2 || alias == "" || (len(rel) == 3 && rel[1].word() != "AS") || len(rel) > 3 {
		return nil, 0, fmt.Errorf("an ASOF join whose right side has no plain alias")
	}
	aliasText := rel[len(rel)-1].tok.text
	var ineq []string // left column, right column
	var keys []string
	for _, c := range splitTop(flattenParens(nodes[on+1:end]), "AND") {
		t := strings.Fields(strings.TrimSpace(render(c)))
		if len(t) != 3 {
			return nil, 0, fmt.Errorf("an ASOF join condition Spark is not told")
		}
		rightCol := func(s string) (string, bool) {
			a, col, ok := strings.Cut(s, ".")
			return col, ok && strings.EqualFold(a, alias) && !strings.Contains(col, ".")
		}
		switch t[1] {
		case ">=":
			col, ok := rightCol(t[2])
			if !ok || ineq != nil {
				return nil, 0, fmt.Errorf("an ASOF join inequality Spark is not told")
			}
			ineq = []string{t[0], col}
		case "=":
			if col, ok := rightCol(t[0]); ok {
				keys = append(keys, col)
			} else if col, ok := rightCol(t[2]); ok {
				keys = append(keys, col)
			} else {
				return nil, 0, fmt.Errorf("an ASOF join equality Spark is not told")
			}
		default:
			return nil, 0, fmt.Errorf("an ASOF join condition Spark is not told")
		}
	}
	if ineq == nil {
		return nil, 0, fmt.Errorf("an ASOF join without its >=")
	}
	over := "ORDER BY " + ineq[1]
	if len(keys) > 0 {
		over = "PARTITION BY " + strings.Join(keys, ", ") + " " + over
	}
	text := fmt.Sprintf("LEFT JOIN (SELECT *, lead(%s) OVER (%s) AS kl_asof_next FROM %s) AS %s ON %s AND (%s.kl_asof_next IS NULL OR %s < %s.kl_asof_next)",
		ineq[1], over, strings.TrimSpace(render(rel[:1])), aliasText, strings.TrimSpace(render(nodes[on+1:end])), aliasText, ineq[0], aliasText)
	join, err := sparkify(frag(text))
	if err != nil {
		return nil, 0, err
	}
	return join, end, nil
}

// flattenParens returns nodes with the parentheses of groups that hold one condition dropped
// ("(a >= b) AND c = d" → "a >= b AND c = d"): groups without AND, OR or a subquery.
func flattenParens(nodes []*sqlNode) []*sqlNode {
	var out []*sqlNode
	for _, n := range nodes {
		if n.isGroup() && len(n.kids) > 0 && n.kids[0].word() != "SELECT" && len(splitTop(n.kids, "AND")) == 1 && len(splitTop(n.kids, "OR")) == 1 {
			out = append(out, n.kids...)
			continue
		}
		out = append(out, n)
	}
	return out
}
