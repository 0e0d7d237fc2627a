package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	gosql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/kudulens/kudulens/parse"
	"github.com/kudulens/kudulens/pipeline"
	"github.com/kudulens/kudulens/pipeline/store"
	klsql "github.com/kudulens/kudulens/sql"
)

// rowResult is what an in-process measurement prints (one JSON line on stdout) for the parent.
type rowResult struct {
	Seconds float64 `json:"seconds"` // wall time of the measured part only
	CPU     float64 `json:"cpu"`     // CPU time (user + sys, all threads) of the measured part
	Lines   int64   `json:"lines"`   // lines (rows) seen, 0 if the row does not count them
}

// cpuSeconds is the CPU time of this process so far. The rows measure it around the timed
// part by resetting cpuStart right before it (see timed).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// timer measures the wall and CPU time of the part of a row that counts.
type timer struct {
	wall time.Time
	cpu  float64
}

func startTimer() timer { return timer{wall: time.Now(), cpu: cpuSeconds()} }

func (t timer) result(lines int64) rowResult {
	return rowResult{Seconds: time.Since(t.wall).Seconds(), CPU: cpuSeconds() - t.cpu, Lines: lines}
}

// inProcessRows run in a child process (kudubench row NAME ARGS...), one per measurement, so
// that the parent reads each one's peak RSS from wait4.
var inProcessRows = map[string]func(args []string) (rowResult, error){
	"scan":           rowScan,
	"sha256":         rowSHA256,
	"gunzip":         rowGunzip,
	"unzstd":         rowUnzstd,
	"parse":          func(a []string) (rowResult, error) { return rowParse(a, false) },
	"arrow":          func(a []string) (rowResult, error) { return rowParse(a, true) },
	"load-floor":     rowLoadFloor,
	"checks-queries": rowChecksQueries,
	"ingest-floor":   rowIngestFloor,
	"duckdb-sql":     rowDuckDBSQL,
}

func runRow(args []string) error {
	if len(args) < 1 {
		return errors.New("row: name missing")
	}
	f := inProcessRows[args[0]]
	if f == nil {
		return fmt.Errorf("row: unknown %q", args[0])
	}
	res, err := f(args[1:])
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// rowScan is the floor: 1 MiB reads and a bytes.IndexByte line loop.
func rowScan(args []string) (rowResult, error) {
	f, err := os.Open(args[0])
	if err != nil {
		return rowResult{}, err
	}
	defer f.Close()
	start := startTimer()
	n, err := countLines(f)
	return start.result(n), err
}

func countLines(r io.Reader) (int64, error) {
	buf := make([]byte, 1<<20)
	var n int64
	for {
		k, err := r.Read(buf)
		for d := buf[:k]; ; {
			i := bytes.IndexByte(d, '\n')
			if i < 0 {
				break
			}
			n++
			d = d[i+1:]
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// rowSHA256 is the cost of the content hash Ingest computes on the read path.
func rowSHA256(args []string) (rowResult, error) {
	f, err := os.Open(args[0])
	if err != nil {
		return rowResult{}, err
	}
	defer f.Close()
	start := startTimer()
	h := sha256.New()
	_, err = io.CopyBuffer(h, f, make([]byte, 1<<20))
	h.Sum(nil)
	return start.result(0), err
}

// rowGunzip and rowUnzstd are decompression alone, with the decoders and settings the
// pipeline uses (klauspost gzip; zstd with concurrency 1).
func rowGunzip(args []string) (rowResult, error) {
	f, err := os.Open(args[0])
	if err != nil {
		return rowResult{}, err
	}
	defer f.Close()
	start := startTimer()
	z, err := gzip.NewReader(f)
	if err != nil {
		return rowResult{}, err
	}
	n, err := countLines(z)
	return start.result(n), err
}

func rowUnzstd(args []string) (rowResult, error) {
	f, err := os.Open(args[0])
	if err != nil {
		return rowResult{}, err
	}
	defer f.Close()
	start := startTimer()
	z, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return rowResult{}, err
	}
	defer z.Close()
	n, err := countLines(z)
	return start.result(n), err
}

// rowParse runs pipeline.ParseOnly: walker, decompression, hash, chunker and parse workers
// (GOMAXPROCS of them), optionally wrapping every batch as the Arrow record Ingest loads.
func rowParse(args []string, toArrow bool) (rowResult, error) {
	var rows atomic.Int64
	start := startTimer()
	st, err := pipeline.ParseOnly(context.Background(), args, pipeline.Options{}, func(b *parse.Batch) {
		if toArrow {
			rec := store.TracesRecord(b)
			rows.Add(rec.NumRows())
			rec.Release()
			store.EventsRecord(b).Release()
			store.ExceptionsRecord(b).Release()
		}
	})
	if err == nil && toArrow && rows.Load() != st.Parsed {
		err = fmt.Errorf("arrow: %d rows for %d parsed lines", rows.Load(), st.Parsed)
	}
	return start.result(st.Lines), err
}

// rowLoadFloor is DuckDB's own load floor: the same rows, parsed beforehand into Arrow records
// of a shape (floors.go: full by default, compact or min) held in memory, inserted into a
// database file with the memory limit kudulens sets and checkpointed: by one INSERT, or with
// lanes > 1 by that many INSERTs at once, each on its own connection with its share of the
// records. Only the load is timed. args: db, path, DuckDB threads[, shape[, lanes]].
func rowLoadFloor(args []string) (rowResult, error) {
	db, path := args[0], args[1]
	threads, err := strconv.Atoi(args[2])
	if err != nil {
		return rowResult{}, err
	}
	shape := ""
	if len(args) > 3 {
		shape = args[3]
	}
	schema, build, err := shapeOf(shape)
	if err != nil {
		return rowResult{}, err
	}
	var recs []arrow.Record
	var lines int64
	// Each record needs its own batch (Arrow aliases the batch's buffers): parse chunk by
	// chunk into fresh batches.
	data, err := os.ReadFile(path)
	if err != nil {
		return rowResult{}, err
	}
	fi := &parse.FileInfo{Job: jobOf(path), JobSource: parse.JobByPath}
	p := &parse.KuduLog{}
	for rest, first := data, int64(1); len(rest) > 0; {
		n := len(rest)
		if n > 4<<20 {
			if n = parse.KuduSafeCut(rest[:4<<20]); n == 0 {
				n = len(rest)
			}
		}
		b := parse.NewBatch(1 << 16)
		p.Parse(&parse.Chunk{Data: rest[:n], FirstLine: first, File: fi}, b)
		first += b.Stats.Lines
		lines += b.Stats.Lines
		recs = append(recs, build(b))
		rest = rest[n:]
	}
	data = nil
	runtime.GC()

	// lanes > 1: the batches dealt to that many connections, each loading its share in an
	// INSERT of its own at the same time, as ingest's lanes do.
	lanes := 1
	if len(args) > 4 {
		if lanes, err = strconv.Atoi(args[4]); err != nil {
			return rowResult{}, err
		}
	}
	rdrs := make([]array.RecordReader, lanes)
	for i := range rdrs {
		var share []arrow.Record
		for j := i; j < len(recs); j += lanes {
			share = append(share, recs[j])
		}
		if rdrs[i], err = array.NewRecordReader(schema, share); err != nil {
			return rowResult{}, err
		}
	}
	conns, done, err := openFloor(db, threads, rdrs...)
	if err != nil {
		return rowResult{}, err
	}
	defer done()
	ctx := context.Background()
	start := startTimer()
	err = storeFloor(ctx, conns, shape)
	return start.result(lines), err
}

func jobOf(path string) string {
	if strings.Contains(path, "Office365ActivityImporter") {
		return "Office365ActivityImporter"
	}
	return "AppInsightsImporter"
}

// duckdbSQL is the parse a user would write without kudulens (stack-notes §3): whole lines
// through read_csv, one regexp_extract returning a struct, strptime, into a table.
const duckdbSQL = `CREATE TABLE lines AS
SELECT strptime(m.ts, '%m/%d/%Y %H:%M:%S') AS ts, m.instance AS instance, m.level AS level, m.msg AS message
FROM (
  SELECT regexp_extract(line, '^\[(\d\d/\d\d/\d{4} \d\d:\d\d:\d\d) > ([^:\]]+): (?:SYS )?(INFO|WARN|ERR) ?\] ?(.*)$',
                        ['ts', 'instance', 'level', 'msg']) AS m
  FROM read_csv('%s', columns = {'line': 'VARCHAR'}, delim = chr(1), header = false,
                auto_detect = false, quote = '', escape = '')
)`

func rowDuckDBSQL(args []string) (rowResult, error) {
	conn, closeDB, err := openDuckDB(args[0], runtime.GOMAXPROCS(0))
	if err != nil {
		return rowResult{}, err
	}
	defer closeDB()
	ctx := context.Background()
	q := strings.Replace(duckdbSQL, "%s", strings.ReplaceAll(args[1], "'", "''"), 1)
	start := startTimer()
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return rowResult{}, err
	}
	if _, err := conn.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return rowResult{}, err
	}
	res := start.result(0)
	err = conn.QueryRowContext(ctx, "SELECT count(*) FROM lines").Scan(&res.Lines)
	return res, err
}

// openDuckDB creates a fresh database file with kudulens' settings: the default memory limit,
// no extension downloads, and the given number of threads.
func openDuckDB(path string, threads int) (*gosql.Conn, func(), error) {
	conn, _, done, err := openDuckDBPool(path, threads)
	return conn, done, err
}

// openDuckDBPool is openDuckDB that also returns the pool, for more connections.
func openDuckDBPool(path string, threads int) (*gosql.Conn, *gosql.DB, func(), error) {
	os.Remove(path)
	os.Remove(path + ".wal")
	connector, err := duckdb.NewConnector(path, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	db := gosql.OpenDB(connector)
	conn, err := db.Conn(context.Background())
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	for _, s := range []string{
		fmt.Sprintf("SET threads = %d", threads),
		fmt.Sprintf("SET memory_limit = '%s'", store.DefaultMemoryLimit),
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		klsql.Schema,
	} {
		if _, err := conn.ExecContext(context.Background(), s); err != nil {
			conn.Close()
			db.Close()
			return nil, nil, nil, fmt.Errorf("%s: %w", s, err)
		}
	}
	return conn, db, func() { conn.Close(); db.Close(); os.Remove(path); os.Remove(path + ".wal") }, nil
}

// rowChecksQueries is what the check files' queries cost (issue 14, target 2): a process opens
// the ingested database and runs each built-in SQL check's query once, its rows kept in DuckDB,
// with the coverage and temporary tables the queries read (sql.RunQueries), no rule, health or
// report. Timed from the open, as a user's process would be but for its start. args: db.
func rowChecksQueries(args []string) (rowResult, error) {
	if len(args) < 1 {
		return rowResult{}, errors.New("checks-queries: want DB")
	}
	start := startTimer()
	ctx := context.Background()
	s, err := store.Open(ctx, args[0], store.Options{})
	if err != nil {
		return rowResult{}, err
	}
	defer s.Close()
	checks, err := klsql.BuiltinChecks()
	if err != nil {
		return rowResult{}, err
	}
	if err := klsql.RunQueries(ctx, s.DB(), checks); err != nil {
		return rowResult{}, err
	}
	var lines int64
	if err := s.DB().QueryRowContext(ctx, "SELECT count(*) FROM traces").Scan(&lines); err != nil {
		return rowResult{}, err
	}
	return start.result(lines), nil
}
