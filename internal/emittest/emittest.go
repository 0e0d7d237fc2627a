// Package emittest runs the scripts `kudulens checks --emit` writes and reads their results,
// for the tests of more than one package (sql, cmd/kudulens) that compare them with diagnose.
// Only tests import it.
package emittest

import (
	"context"
	gosql "database/sql"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Result is one row of kl_check_results: a check's result on a site.
type Result struct {
	Status      string
	Count       int64
	First, Last *time.Time // UTC; nil when NULL
}

// String is the result as the tests compare it (see Show).
func (r Result) String() string { return Show(r.Status, r.Count, r.First, r.Last) }

// Show writes a check's result as the tests compare them: status, count, first and last seen
// (RFC 3339 UTC, "-" for none).
func Show(status string, count int64, first, last *time.Time) string {
	f := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("%s %d %s %s", status, count, f(first), f(last))
}

// Run runs an emitted DuckDB script (statements separated by ";\n") on db and reads
// kl_check_results by site and check. Two rows for one site and check fail t.
func Run(t testing.TB, db *gosql.DB, script string) map[string]map[string]Result {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, stmt := range strings.Split(script, ";\n") {
		if WithoutComments(stmt) == "" {
			continue
		}
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%v\n%s", err, stmt)
		}
	}
	rows, err := conn.QueryContext(ctx, `SELECT site, "check", status, "count", first_seen, last_seen FROM kl_check_results`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]map[string]Result{}
	for rows.Next() {
		var site, check string
		var r Result
		var first, last gosql.NullTime
		if err := rows.Scan(&site, &check, &r.Status, &r.Count, &first, &last); err != nil {
			t.Fatal(err)
		}
		r.First, r.Last = utc(first), utc(last)
		if out[site] == nil {
			out[site] = map[string]Result{}
		}
		if _, dup := out[site][check]; dup {
			t.Errorf("%s %s: two rows in kl_check_results", site, check)
		}
		out[site][check] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func utc(t gosql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// WithoutComments is a statement without the comment lines before it ("" for a statement of
// comments only).
func WithoutComments(stmt string) string {
	body := strings.TrimSpace(stmt)
	for strings.HasPrefix(body, "--") {
		_, body, _ = strings.Cut(body, "\n")
		body = strings.TrimSpace(body)
	}
	return body
}
