package kql_test

import (
	"context"
	gosql "database/sql"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	klsql "github.com/kudulens/kudulens/sql"
	"github.com/kudulens/kudulens/sql/kql"
)

// docResult runs a translated query and renders its rows the way the Kusto documentation
// prints them: null as an empty cell, datetimes as ISO 8601 UTC, timespans as
// [d.]hh:mm:ss[.fffffff], dynamic values as JSON.
func docResult(db *gosql.DB, q string) (cols []string, types []string, rows [][]string, sql string, err error) {
	res, err := kql.Compile(q, kql.Options{Now: testNow})
	if err != nil {
		return nil, nil, nil, "", err
	}
	rs, err := db.Query(klsql.JSONAsText(context.Background(), db, res.SQL))
	if err != nil {
		return nil, nil, nil, res.SQL, err
	}
	defer rs.Close()
	for _, c := range res.Columns {
		cols = append(cols, c.Name)
		types = append(types, c.Type)
	}
	n := len(cols)
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return nil, nil, nil, res.SQL, err
		}
		row := make([]string, n)
		for i, v := range vals {
			row[i] = docCell(v)
		}
		rows = append(rows, row)
	}
	return cols, types, rows, res.SQL, rs.Err()
}

func docCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.9999999Z")
	case duckdb.Interval:
		return kql.FormatTimespan(x.Micros + int64(x.Days)*86400e6 + int64(x.Months)*30*86400e6)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case *big.Int:
		return x.String()
	case []any, map[string]any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

// sameCell compares a rendered cell with the documented one for a column of type typ.
func sameCell(typ, got, want string) bool {
	if got == want || got == "" && want == "null" && typ != "string" {
		return true // the documentation prints null as an empty cell or as "null"
	}
	switch typ {
	case "real":
		g, err1 := strconv.ParseFloat(got, 64)
		w, err2 := strconv.ParseFloat(want, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		if math.IsNaN(g) && math.IsNaN(w) || g == w {
			return true
		}
		return math.Abs(g-w) <= 1e-9*math.Max(math.Abs(g), math.Abs(w))
	case "datetime":
		g, ok1 := parseDocTime(got)
		w, ok2 := parseDocTime(want)
		return ok1 && ok2 && g.Equal(w)
	case "dynamic":
		var g, w any
		if json.Unmarshal([]byte(got), &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
			return false
		}
		return reflect.DeepEqual(g, w)
	case "bool":
		return strings.EqualFold(got, want)
	}
	return false
}

func parseDocTime(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02T15:04:05.9999999Z", "2006-01-02T15:04:05.9999999", "2006-01-02 15:04:05.9999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// compareDoc reports how rows differ from the documented rows want ("" when they agree).
// Unless ordered, rows are compared as multisets.
func compareDoc(types []string, got, want [][]string, ordered bool) string {
	render := func(rows [][]string) string {
		var b strings.Builder
		for _, r := range rows {
			b.WriteString("\n  " + strings.Join(r, " | "))
		}
		return b.String()
	}
	if len(got) != len(want) {
		return fmt.Sprintf("%d rows, want %d:\ngot:%s\nwant:%s", len(got), len(want), render(got), render(want))
	}
	rowEq := func(g, w []string) bool {
		if len(g) != len(w) {
			return false
		}
		for i := range g {
			if !sameCell(types[i], g[i], w[i]) {
				return false
			}
		}
		return true
	}
	if ordered {
		for i := range got {
			if !rowEq(got[i], want[i]) {
				return fmt.Sprintf("row %d differs:\ngot:%s\nwant:%s", i+1, render(got), render(want))
			}
		}
		return ""
	}
	used := make([]bool, len(got))
	for _, w := range want {
		i := slices.IndexFunc(got, func(g []string) bool { return rowEq(g, w) })
		for i >= 0 && used[i] {
			j := slices.IndexFunc(got[i+1:], func(g []string) bool { return rowEq(g, w) })
			if j < 0 {
				i = -1
			} else {
				i += 1 + j
			}
		}
		if i < 0 {
			return fmt.Sprintf("row %q missing:\ngot:%s\nwant:%s", strings.Join(w, " | "), render(got), render(want))
		}
		used[i] = true
	}
	return ""
}
