package store

import (
	"strings"
	"testing"
	"unicode"

	"github.com/apache/arrow-go/v18/arrow"
)

// validNot and nullCount agree with a bit-by-bit reference for every length and null pattern.
func TestValidNot(t *testing.T) {
	for n := 0; n <= 70; n++ {
		for pattern := 0; pattern < 5; pattern++ {
			vals := make([]int16, n)
			for i := range vals {
				switch pattern {
				case 1:
					vals[i] = -1
				case 2:
					if i%3 == 0 {
						vals[i] = -1
					}
				case 3:
					if i == n-1 {
						vals[i] = -1
					}
				case 4:
					if i%7 != 1 {
						vals[i] = -1
					}
				}
			}
			bm := validNot(vals, -1)
			nulls := 0
			for i, v := range vals {
				valid := bm == nil || bm[i>>3]&(1<<(i&7)) != 0
				if valid != (v != -1) {
					t.Fatalf("n=%d pattern %d: value %d valid=%v", n, pattern, i, valid)
				}
				if v == -1 {
					nulls++
				}
			}
			if nulls == 0 && bm != nil {
				t.Fatalf("n=%d pattern %d: bitmap without nulls", n, pattern)
			}
			if got := nullCount(bm, n); got != nulls {
				t.Fatalf("n=%d pattern %d: nullCount %d, want %d", n, pattern, got, nulls)
			}
		}
	}
}

// Every INSERT through a pump reads every column of its Arrow view. DuckDB 2.0's Arrow scan
// of a record with dictionary columns reads the wrong columns (or crashes) when a query
// selects only some of them: a view of the traces record queried for "ts, message, line_no"
// gave msg_hash as line_no (bench/cmd/kudubench/floors.go).
func TestInsertsReadEveryColumnOfTheirView(t *testing.T) {
	for _, c := range []struct {
		name   string
		schema *arrow.Schema
		sql    string
	}{
		{"traces", tracesSchema, insertTracesSQL},
		{"traces with a guessed job", tracesSchema, insertTracesGuessSQL},
		{"traces of a group", groupTracesSchema, insertGroupTracesSQL},
		{"customEvents", eventsSchema, insertEventsSQL},
		{"exceptions", exceptionsSchema, insertExceptionsSQL},
	} {
		_, sel, ok := strings.Cut(c.sql, "SELECT ")
		if !ok {
			t.Fatalf("%s: no SELECT in %q", c.name, c.sql)
		}
		words := map[string]bool{}
		for _, w := range strings.FieldsFunc(sel, func(r rune) bool {
			return !(r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r))
		}) {
			words[w] = true
		}
		for _, f := range c.schema.Fields() {
			if !words[f.Name] {
				t.Errorf("%s: the INSERT does not read column %s of its view", c.name, f.Name)
			}
		}
	}
}
