package kql_test

import (
	"context"
	gosql "database/sql"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/kudulens/kudulens/pipeline/store"
	klsql "github.com/kudulens/kudulens/sql"
	"github.com/kudulens/kudulens/sql/kql"
)

// testNow is the evaluation time of ago()/now() in the tests.
var testNow = time.Date(2026, 11, 19, 13, 0, 0, 0, time.UTC)

// openDB opens an in-memory kudulens database and runs the setup statements.
func openDB(t testing.TB, setup ...string) *gosql.DB {
	t.Helper()
	s, err := store.Open(context.Background(), "", store.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, q := range setup {
		if strings.TrimSpace(q) == "" {
			continue
		}
		if _, err := s.DB().Exec(q); err != nil {
			t.Fatalf("setup %q: %v", q, err)
		}
	}
	return s.DB()
}

// runKQL translates q and runs it; rows come back rendered by cell(), cells joined by " | ".
func runKQL(db *gosql.DB, q string, opts kql.Options) (cols, rows []string, sql string, err error) {
	sql, err = kql.Translate(q, opts)
	if err != nil {
		return nil, nil, "", err
	}
	cols, rows, err = runSQL(db, sql)
	return cols, rows, sql, err
}

func runSQL(db *gosql.DB, sql string) (cols, rows []string, err error) {
	rs, err := db.Query(klsql.JSONAsText(context.Background(), db, sql))
	if err != nil {
		return nil, nil, err
	}
	defer rs.Close()
	cols, err = rs.Columns()
	if err != nil {
		return nil, nil, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		cells := make([]string, len(vals))
		for i, v := range vals {
			cells[i] = cell(v)
		}
		rows = append(rows, strings.Join(cells, " | "))
	}
	return cols, rows, rs.Err()
}

// cell renders a value: null, ” for the empty string, times as RFC 3339 UTC, intervals as
// KQL timespans, lists and structs as JSON.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if x == "" {
			return "''"
		}
		return x
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.999999Z")
	case duckdb.Interval:
		us := x.Micros + int64(x.Days)*86400e6 + int64(x.Months)*30*86400e6
		return kql.FormatTimespan(us)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case *big.Int:
		return x.String()
	case []any, map[string]any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}
