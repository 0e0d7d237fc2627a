package kql_test

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/kudulens/kudulens/sql/kql"
)

// TestStringOpsMatchReference runs every string operator on DuckDB over random strings
// (built from term-boundary-heavy pieces) and compares with the Go reference of the rule,
// both in a where (where a NULL may stand for false) and as a projected value (where it
// may not). NULL rows must behave as "".
func TestStringOpsMatchReference(t *testing.T) {
	pieces := []string{"read", "READ", "Read", "re", "ad", "-", "_", " ", ".", "only", "x", "%", "é", "0", "1", `\\`, "'", `"`}
	rng := rand.New(rand.NewSource(8))
	var values []string
	var b strings.Builder
	b.WriteString("INSERT INTO traces (line_no, message) VALUES (0, NULL), (1, '')")
	values = append(values, "", "")
	for i := 2; i < 160; i++ {
		var s strings.Builder
		for n := rng.Intn(5); n >= 0; n-- {
			s.WriteString(pieces[rng.Intn(len(pieces))])
		}
		values = append(values, s.String())
		fmt.Fprintf(&b, ", (%d, '%s')", i, strings.ReplaceAll(s.String(), "'", "''"))
	}
	db := openDB(t, b.String())
	ops := []string{"contains", "!contains", "contains_cs", "!contains_cs", "has", "!has", "has_cs", "!has_cs",
		"hasprefix", "!hasprefix", "hassuffix", "hassuffix_cs", "startswith", "!startswith", "startswith_cs", "!startswith_cs",
		"endswith", "!endswith", "endswith_cs", "==", "!=", "=~", "!~", "<", ">="}
	rhss := []string{"read", "READ", "re", "read-only", "-only", "d_", "x%", "_", "ad", "é", " read", "Read ", "", `\\`, `d\\`, "'", `"`}
	for _, op := range ops {
		for _, rhs := range rhss {
			if rhs == "" && strings.Contains(op, "has") {
				continue
			}
			neg, base := strings.HasPrefix(op, "!"), strings.TrimPrefix(op, "!")
			switch op {
			case "!=":
				neg, base = true, "=="
			case "!~":
				neg, base = true, "=~"
			}
			want := make([]bool, len(values))
			for i, v := range values {
				want[i] = kql.EvalStringOp(base, v, rhs) != neg
			}
			lit := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(rhs) + `"`
			// In a where.
			q := fmt.Sprintf("traces | where message %s %s | project line_no", op, lit)
			_, rows, sql, err := runKQL(db, q, kql.Options{})
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			got := make([]bool, len(values))
			for _, r := range rows {
				var id int
				fmt.Sscan(r, &id)
				got[id] = true
			}
			for i := range values {
				if got[i] != want[i] {
					t.Errorf("%q %s %q: where got %v, want %v\nSQL:\n%s", values[i], op, rhs, got[i], want[i], sql)
				}
			}
			// As a value, and under not().
			q = fmt.Sprintf("traces | project line_no, v = message %s %s, n = not(message %s %s) | sort by line_no asc", op, lit, op, lit)
			_, rows, sql, err = runKQL(db, q, kql.Options{})
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			for i, r := range rows {
				w := fmt.Sprintf("%d | %v | %v", i, want[i], !want[i])
				if r != w {
					t.Errorf("%q %s %q: got %s, want %s\nSQL:\n%s", values[i], op, rhs, r, w, sql)
				}
			}
		}
	}
}
