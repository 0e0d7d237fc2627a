package sql

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"testing"

	"github.com/duckdb/duckdb-go/v2"
)

// planOnce gives the same rows, in the same order, as the query it wraps: with no parameters,
// with $N and with ? parameters, after comments, with a trailing comment or semicolon, and
// with a ? inside a string. Statements that are not a SELECT are left as they are.
func TestPlanOnceKeepsRowsAndOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := memoryConn(t)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE t AS SELECT i, 'line ' || i AS message FROM range(5000) r(i)`); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		query string
		args  []any
	}{
		{"SELECT i, message FROM t ORDER BY i DESC", nil},
		{"-- a check's header\n-- rule: any\nWITH x AS (SELECT * FROM t WHERE i % 7 = 0)\nSELECT i FROM x ORDER BY i DESC LIMIT 100 -- the last\n", nil},
		{"select i from t where i < $1 and i > $2 order by i desc;", []any{300, 100}},
		{"SELECT i FROM t WHERE i < ? AND regexp_matches(message, 'line 1?2') ORDER BY message", []any{4000}},
		{"SELECT '?', '$1' AS s, i FROM t WHERE i = ?", []any{7}},
	}
	read := func(q string, args []any) string {
		rows, err := conn.QueryContext(ctx, q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var b strings.Builder
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for _, c := range cases {
		q, args := planOnce(c.query, c.args)
		if !strings.Contains(q, "kl_plan_once") || len(args) != len(c.args)+1 || args[len(args)-1] != nil {
			t.Errorf("%q: not wrapped: %q %v", c.query, q, args)
			continue
		}
		want, got := read(c.query, c.args), read(q, args)
		if want == "" || got != want {
			t.Errorf("%q: rows differ:\n%s\nwant\n%s", c.query, got, want)
		}
	}
	// The caller's arguments are not changed behind its back.
	args := make([]any, 1, 4)
	args[0] = 3
	planOnce("SELECT ?", args)
	if args[:2][1] != nil {
		t.Errorf("planOnce wrote into the caller's slice")
	}
	for _, q := range []string{"DESCRIBE SELECT 1", "SET threads = 1", "CREATE TABLE u (i INT)", "-- only a comment", "WITHOUT"} {
		if got, _ := planOnce(q, nil); got != q {
			t.Errorf("%q changed: %q", q, got)
		}
	}
}

// The saving rests on DuckDB not typing planOnce's parameter when it prepares the statement:
// a statement whose parameter types are all known is planned then (and again when it runs).
// Should a later DuckDB type it, this test fails, and planOnce only costs a filter.
func TestPlanOnceParameterUntyped(t *testing.T) {
	t.Parallel()
	conn := memoryConn(t)
	for _, c := range []struct {
		query string
		args  []any
	}{{"SELECT 42 AS a", nil}, {"SELECT ?::INTEGER AS a", []any{1}}} {
		q, args := planOnce(c.query, c.args)
		err := conn.Raw(func(dc any) error {
			st, err := dc.(driver.ConnPrepareContext).PrepareContext(context.Background(), q)
			if err != nil {
				return err
			}
			defer st.Close()
			typ, err := st.(*duckdb.Stmt).ParamType(len(args))
			if err != nil {
				return err
			}
			if typ != duckdb.TYPE_INVALID && typ != duckdb.TYPE_ANY {
				t.Errorf("%q: DuckDB types planOnce's parameter as %v when it prepares the statement", c.query, typ)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
