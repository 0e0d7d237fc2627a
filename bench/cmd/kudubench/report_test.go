package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for s, want := range map[string]int64{"200MB": 200e6, "1GB": 1e9, "64MiB": 64 << 20, "12345": 12345, "1.5GB": 1.5e9} {
		if got, err := parseSize(s); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "MB", "-1MB", "x"} {
		if _, err := parseSize(s); err == nil {
			t.Errorf("parseSize(%q): no error", s)
		}
	}
}

func TestMicroAllocsPerLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "micro.txt")
	os.WriteFile(path, []byte(`goos: linux
BenchmarkKuduLogGen/parser=kudulog-2   	      10	  63239723 ns/op	 530.59 MB/s	         0.0000299 allocs/line	       140.4 cpu-ns/line	       209.8 ns/line	     576 B/op	       9 allocs/op
BenchmarkKuduLogGen/parser=kudulog-2   	      10	  63239723 ns/op	 530.59 MB/s	         0 allocs/line	       140.4 cpu-ns/line	       209.8 ns/line	     576 B/op	       9 allocs/op
BenchmarkKuduLogGen/parser=linescan-2  	     468	   2426978 ns/op	13825.64 MB/s	       0 B/op	       0 allocs/op
`), 0o644)
	if got, ok := microAllocsPerLine(path); !ok || got != 0 {
		t.Errorf("got %v %v, want 0 (the best run)", got, ok)
	}
	if _, ok := microAllocsPerLine(""); ok {
		t.Error("no file: ok")
	}
}

// The report names every target, and judges them from the rows it has.
func TestReportTargets(t *testing.T) {
	in := input{path: "x.log", size: 200e6, label: "200MB"}
	gz := input{path: "x.log.gz", size: 200e6, label: "200MB .gz"}
	b := &bench{main: inputSet{name: "200MB", plain: in, gz: gz}, small: inputSet{plain: input{path: "s.log", size: 50e6, label: "50MB"}}}
	add := func(id string, in input, procs int, wall float64, rssMB int64) {
		b.results = append(b.results, &result{id: id, in: in, procs: procs, wall: wall, cpu: 2 * wall, rssKB: rssMB << 10, runs: 1, lines: 1000,
			memRow: strings.HasPrefix(id, "parse-5")})
	}
	add("scan", in, 0, 0.05, 10)
	add("gunzip", gz, 0, 0.40, 10)
	add("arrow-p1", in, 1, 0.25, 60)
	add("arrow-p2", in, 2, 0.13, 70)
	add("arrow-gz", gz, 2, 0.45, 70)
	add("parse-p1", in, 1, 0.22, 60)
	add("parse-p2", in, 2, 0.12, 70)
	add("parse-50MB", b.small.plain, 2, 0.04, 68)
	add("duckdb-sql", in, 2, 1.5, 300)
	add("load-floor-t1", in, 2, 2.4, 600)
	add("load-floor-t2", in, 2, 2.2, 800)
	add("ingest", in, 0, 3.0, 350)
	add("lnav-query", in, 0, 1.4, 100)
	add("diagnose", in, 0, 8.0, 900)
	add("like-query", in, 0, 0.2, 80)
	add("diagnose-db", in, 0, 0.5, 200)
	add("diagnose-4GB", input{path: "4.log", size: 4e9, label: "4GB"}, 0, 90, 900)
	out := b.report()
	for _, want := range []string{
		"| parse → Arrow ≥ 1 GB/s per core | 800 MB/s on 1 core; 769 MB/s per core on 2 | 0.80× of 1 GB/s | 0.40× of 1 GB/s | **missed** |",
		"| 3. ingest within 1.5× of the load floor | 3.00 s vs 2.20 s (load-floor-t2) | 1.36× | 1.36× | met |",
		"| 3. ingest ≥ 3× the DuckDB-SQL baseline | 3.00 s vs 1.50 s | 0.50× | 0.50× | **missed** |",
		"| 1. diagnose (200MB) faster than lnav index + one query | 8.00 s vs 1.40 s | 5.71× | 5.71× | **missed** |",
		"| 2. diagnose --db (the checks alone) ≤ 3× one LIKE query | 0.50 s vs 0.20 s | 2.50× | 2.50× | met |",
		"| 4. diagnose peak RSS < 1 GB at 4GB (default settings) | 900 MB | 0.88 of 1 GB | — | met |",
		"| parse 1 → 2 cores ≥ 1.8× | 909 → 1667 MB/s | 1.83× | — | met |",
		"| .gz input (parse → Arrow) within 1.3× of decompression alone | 0.45 s vs 0.40 s | 1.12× | — | met |",
		"| parse: 0 allocations per line in steady state | — | — | — | not measured |",
		"| parse-only memory constant in input size (within 25%) | 70 MB at 200MB, 68 MB at 50MB | 1.03× | — | met |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
