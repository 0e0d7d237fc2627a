package sql

import (
	"context"
	gosql "database/sql"
	"fmt"
	"strings"
	"testing"
)

// toSpark translates a query as the Spark emitter does (sparkify), for the tests.
func toSpark(t *testing.T, q string) string {
	t.Helper()
	nodes, err := parseSQLTree(q)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sparkify(nodes)
	if err != nil {
		t.Fatalf("sparkify: %v", err)
	}
	return render(out)
}

// The ASOF join written for Spark joins each left row to the row DuckDB's ASOF join gives it:
// the latest right row at or before it (per partition key), none before the first, a right
// row whose value is NULL as that NULL, and one row of rows tied in time. Both run in DuckDB.
func TestSparkAsofJoinIsDuckDBs(t *testing.T) {
	conn := memoryConn(t)
	ctx := context.Background()
	for _, q := range []string{
		`CREATE TABLE l AS SELECT * FROM (VALUES (1, 'a', 's1'), (5, 'b', 's1'), (5, 'c', 's1'), (10, 'd', 's1'), (0, 'e', 's1'),
			(4, 'f', 's2'), (9, 'g', 's2'), (3, 'h', 's3')) v(ts, id, site)`,
		`CREATE TABLE r AS SELECT * FROM (VALUES (1, 'r1', 's1'), (4, 'r4', 's1'), (5, 'r5', 's1'), (9, NULL, 's1'),
			(2, 'q2', 's2'), (9, 'q9', 's2'), (9, 'q9', 's2'), (7, 'x7', 's4')) v(ts, v, site)`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	rows := func(q string) string {
		t.Helper()
		var b strings.Builder
		err := scanRows(ctx, conn, q, func(r *gosql.Rows) error {
			var id string
			var v *string
			if err := r.Scan(&id, &v); err != nil {
				return err
			}
			fmt.Fprintf(&b, "%s=%v ", id, deref(v))
			return nil
		})
		if err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
		return b.String()
	}
	for _, q := range []string{
		`SELECT l.id, h.v FROM l ASOF LEFT JOIN r AS h ON (l.ts >= h.ts) AND h.site = l.site ORDER BY l.id`,
		// without a key, over a subquery without ties (of tied rows each engine joins one, not
		// necessarily the same: the checks' right sides have one row per time and key)
		`SELECT l.id, h.v FROM l ASOF LEFT JOIN (SELECT * FROM r WHERE site <> 's2') AS h ON l.ts >= h.ts ORDER BY l.id`,
	} {
		spark := toSpark(t, q)
		if strings.Contains(strings.ToUpper(spark), "ASOF LEFT") {
			t.Fatalf("not rewritten: %s", spark)
		}
		want, got := rows(q), rows(spark)
		if got != want {
			t.Errorf("%s\nDuckDB's ASOF: %s\nSpark's join: %s\n(%s)", q, want, got, spark)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}

// try_strptime's formats become Spark's patterns, tried in turn; a struct literal becomes
// named_struct; what Spark is not told stays an error (the check is then not emitted).
func TestSparkTimeFormatsAndStructs(t *testing.T) {
	for q, want := range map[string]string{
		`SELECT try_strptime(s, ['%m/%d/%Y %I:%M:%S %p', '%Y-%m-%d %H:%M:%S']) FROM x`: `SELECT coalesce(try_to_timestamp(s, 'M/d/yyyy h:mm:ss a'), try_to_timestamp(s, 'yyyy-M-d H:mm:ss')) FROM x`,
		`SELECT try_strptime(s, '%d/%m/%Y %H:%M:%S') FROM x`:                           `SELECT coalesce(try_to_timestamp(s, 'd/M/yyyy H:mm:ss')) FROM x`,
		`SELECT arg_max({'v': a}, (b, c)).v FROM x`:                                    `SELECT max_by(named_struct('v', a), struct(b, c)).v FROM x`,
	} {
		if got := toSpark(t, q); got != want {
			t.Errorf("%s\n got  %s\n want %s", q, got, want)
		}
	}
	for _, q := range []string{
		`SELECT try_strptime(s, '%j') FROM x`,
		`SELECT try_strptime(s, f) FROM x`,
		`SELECT [1, 2] FROM x`,
	} {
		nodes, _ := parseSQLTree(q)
		if _, err := sparkify(nodes); err == nil {
			t.Errorf("%s: translated, want an error", q)
		}
	}
}
