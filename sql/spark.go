package sql

import (
	"fmt"
	"strings"
)

// sparkify rewrites a lifted check query from DuckDB's SQL into Spark SQL's (3.5 and later):
// identifiers in backticks, casts with CAST, DuckDB's function names as Spark's. What has no
// Spark equivalent here (ASOF joins, struct and list literals, try_strptime) is an error, and
// the check is listed as not emitted for Spark.
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
			case "{", "[":
				return nil, fmt.Errorf("a struct or list literal (%s) Spark SQL does not have", n.tok.text)
			}
		case 'w':
			call := i+1 < len(nodes) && nodes[i+1].isGroup()
			switch w := n.word(); {
			case w == "ASOF":
				return nil, fmt.Errorf("an ASOF join, which Spark SQL does not have")
			case w == "VARCHAR":
				n.tok.text = "STRING"
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
			case w == "LIST":
				list, err := sparkList(nodes[i+1].kids)
				if err != nil {
					return nil, err
				}
				list[0].tok.pre = n.tok.pre
				out = append(out, list...)
				i++
				continue
			case w == "TRY_STRPTIME" || w == "STRUCT_PACK" || w == "UNNEST" || w == "EPOCH" || w == "FIRST":
				if w == "FIRST" {
					// first(x) is Spark's first(x) too (both take any row's value)
					break
				}
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
