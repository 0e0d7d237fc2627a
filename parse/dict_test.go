package parse

import (
	"fmt"
	"testing"
)

// checkDict adds vals to a fresh Dict and checks that every row reads back its value and that
// equal values share one index (the dictionary holds each value once).
func checkDict(t *testing.T, vals []string) {
	t.Helper()
	var d Dict
	d.reset()
	for _, v := range vals {
		d.addString(v)
	}
	if d.Len() != len(vals) {
		t.Fatalf("%d rows, want %d", d.Len(), len(vals))
	}
	distinct := map[string]bool{}
	for i, v := range vals {
		distinct[v] = true
		if d.Index[i] < 0 || int(d.Index[i]) >= len(d.Values) {
			t.Fatalf("row %d: index %d outside %d values", i, d.Index[i], len(d.Values))
		}
		if got := d.Value(i); got != v {
			t.Fatalf("row %d: %q, want %q", i, got, v)
		}
	}
	if len(d.Values) != len(distinct) {
		t.Fatalf("%d dictionary values for %d distinct", len(d.Values), len(distinct))
	}
}

// A crafted log can give every line its own instance: far more values than an int16 holds,
// with repeats of old values after the map takes over the lookup.
func TestDictManyValues(t *testing.T) {
	var vals []string
	for i := range 100_000 {
		vals = append(vals, fmt.Sprintf("%06x", i))
		if i%7 == 0 {
			vals = append(vals, fmt.Sprintf("%06x", i/3)) // an earlier value again
		}
	}
	checkDict(t, vals)

	// Reset between batches: the same Dict, new values, no stale positions.
	var d Dict
	d.reset()
	for i := range 40 {
		d.addString(fmt.Sprint("a", i))
	}
	d.reset()
	d.addString("b")
	d.addString("a39")
	if d.Value(0) != "b" || d.Value(1) != "a39" || len(d.Values) != 2 {
		t.Fatalf("after reset: %v %v", d.Index, d.Values)
	}
}

// FuzzDict: any sequence of values (split at NUL) round-trips through a Dict.
func FuzzDict(f *testing.F) {
	f.Add([]byte("a\x00b\x00a\x00c"))
	f.Add([]byte("\x00\x00x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var vals []string
		start := 0
		for i := 0; i <= len(data); i++ {
			if i == len(data) || data[i] == 0 {
				vals = append(vals, string(data[start:i]))
				start = i + 1
			}
		}
		// Stretch short inputs past the scan bound so the map path is fuzzed too.
		for i := 0; len(vals) < 3*dictScanMax && i < len(data); i++ {
			vals = append(vals, string(data[:i]))
		}
		checkDict(t, vals)
	})
}
