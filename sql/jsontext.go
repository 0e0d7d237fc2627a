package sql

import (
	"context"
	"strings"
)

// JSONAsText returns query rewritten so that its JSON columns come back as their JSON text, as
// DuckDB stores and prints them. duckdb-go v2 decodes a JSON value into Go values instead: an
// object becomes a map (its keys then print sorted, not in their order) and a JSON string
// loses the quotes that tell it from text. Queries whose columns cannot be described (not a
// SELECT, a binder error) and queries without JSON columns are returned as they are; their
// errors come from running them.
func JSONAsText(ctx context.Context, q queryer, query string) string {
	query = strings.TrimRight(strings.TrimSpace(query), "; \t\r\n")
	rows, err := q.QueryContext(ctx, "DESCRIBE "+query)
	if err != nil {
		return query
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil || len(cols) < 2 {
		return query
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var casts []string
	seen := map[string]int{}
	for rows.Next() {
		if rows.Scan(ptrs...) != nil {
			return query
		}
		name, _ := vals[0].(string)
		typ, _ := vals[1].(string)
		seen[name]++
		if strings.Contains(typ, "JSON") {
			casts = append(casts, name)
		}
	}
	if rows.Err() != nil || len(casts) == 0 {
		return query
	}
	repl := make([]string, 0, len(casts))
	for _, c := range casts {
		if seen[c] > 1 {
			return query // SELECT * REPLACE cannot name one of two columns of the same name
		}
		id := `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
		repl = append(repl, "CAST("+id+" AS VARCHAR) AS "+id)
	}
	return "SELECT * REPLACE (" + strings.Join(repl, ", ") + ") FROM (" + query + ") AS kl_json_text"
}
