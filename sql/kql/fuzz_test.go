package kql_test

import (
	"context"
	gosql "database/sql"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kudulens/kudulens/pipeline/store"
	"github.com/kudulens/kudulens/sql/kql"
)

// maxFuzzInput bounds the fuzzed query: the translator's cost grows with the input, and
// real queries are short.
const maxFuzzInput = 2048

var (
	fuzzDBOnce sync.Once
	fuzzDB     *gosql.DB
)

// FuzzTranslate feeds arbitrary text to the translator. It must never panic, must answer
// within a bounded time and output size, must return *Error values with positions inside
// the query, and whatever SQL it returns must be accepted by DuckDB's parser and binder
// (the statement is prepared, not run).
//
//	go test -run '^$' -fuzz FuzzTranslate -fuzztime 60s ./sql/kql
func FuzzTranslate(f *testing.F) {
	for _, c := range semantics {
		f.Add(c.kql)
	}
	for _, g := range guideQueries {
		f.Add(g.kql)
	}
	for _, s := range []string{
		"let T = traces | where level == 'ERR'; T | join kind=leftouter (T | summarize n = count() by job) on job",
		"customEvents | extend c = tostring(customDimensions.context) | where c has 'Teams' | project-away customDimensions",
		"traces | summarize arg_max(timestamp, *), make_list(message) by bin(timestamp, 5m) | top 3 by timestamp",
		"union traces, exceptions | summarize count() by operation_Name, bin(timestamp, 1h) | render timechart",
		"traces | where timestamp between (ago(1d) .. now()) and message matches regex @'^\\d+' | count",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if len(q) > maxFuzzInput {
			return
		}
		start := time.Now()
		r, err := kql.Compile(q, kql.Options{Now: testNow})
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("translation took %v", d)
		}
		if err != nil {
			var e *kql.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *kql.Error: %v", err, err)
			}
			if e.Pos < 0 || e.Pos > len(q) || e.Line < 1 || e.Col < 1 {
				t.Fatalf("bad position %d %d:%d in %q", e.Pos, e.Line, e.Col, q)
			}
			if utf8.ValidString(q) && e.Line > strings.Count(q, "\n")+1 {
				t.Fatalf("line %d beyond the query", e.Line)
			}
			_ = e.Error()
			return
		}
		if len(r.SQL) > 1<<20 {
			t.Fatalf("SQL of %d bytes", len(r.SQL))
		}
		fuzzDBOnce.Do(func() {
			// One database per fuzzing process, closed when the process ends.
			s, err := store.Open(context.Background(), "", store.Options{Threads: 1, MemoryLimit: "256MB"})
			if err == nil {
				fuzzDB = s.DB()
			}
		})
		if fuzzDB == nil {
			t.Fatal("cannot open DuckDB")
		}
		pstart := time.Now()
		st, perr := fuzzDB.Prepare(r.SQL)
		if d := time.Since(pstart); d > 2*time.Second {
			t.Errorf("DuckDB took %v to prepare the translation of %q", d, q)
		}
		if perr != nil {
			msg := perr.Error()
			// Constant folding at bind time may hit value errors (an overflowing timestamp
			// literal): those are DuckDB's answer to the values, not a translation bug.
			for _, ok := range []string{"Conversion Error", "Out of Range", "Overflow", "Invalid Input Error", "out of range"} {
				if strings.Contains(msg, ok) {
					return
				}
			}
			t.Fatalf("DuckDB rejects the translation of %q:\n%v\nSQL:\n%s", q, perr, r.SQL)
		}
		st.Close()
	})
}
