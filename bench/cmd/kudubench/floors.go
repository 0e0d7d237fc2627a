package main

import (
	"bytes"
	"context"
	gosql "database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/kudulens/kudulens/parse"
	"github.com/kudulens/kudulens/pipeline/store"
)

// The floors of issue 14's targets 3 are measured on records of three shapes, built from the
// same parse batches:
//
//   - full: the record Ingest loads (store.TracesRecord), every traces column as today;
//   - compact: every traces column as compactly as any design could keep it queryable: the
//     dictionary columns as integer codes, the flags packed in one word, the app's time as a
//     number; what a physical table of codes behind a traces view would store;
//   - min: only the time, the text and the line of each row, what any design must store to
//     keep every line queryable.
//
// Each record is built for its shape, never by selecting columns of the full record: DuckDB
// 2.0's Arrow scan with a projection of some columns of a record with dictionary columns
// reads the wrong columns (a view of the full record queried for "ts, message, line_no"
// returned msg_hash as line_no) or crashes (SIGSEGV in duckdb_execute_pending); the first
// store-floor row was measured that way and was wrong.
var (
	minSchema = arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
		{Name: "message", Type: arrow.BinaryTypes.String},
		{Name: "line_no", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	compactSchema = arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
		{Name: "message", Type: arrow.BinaryTypes.String},
		{Name: "line_no", Type: arrow.PrimitiveTypes.Int64},
		{Name: "flags", Type: arrow.PrimitiveTypes.Uint32}, // level, job_source, severity, is_system, truncated
		{Name: "signals", Type: arrow.PrimitiveTypes.Uint32},
		{Name: "template", Type: arrow.PrimitiveTypes.Int16},
		{Name: "job", Type: arrow.PrimitiveTypes.Int32},
		{Name: "instance", Type: arrow.PrimitiveTypes.Int32},
		{Name: "operation", Type: arrow.PrimitiveTypes.Int32},
		{Name: "msg_hash", Type: arrow.PrimitiveTypes.Int64},
		{Name: "app_clock", Type: arrow.PrimitiveTypes.Int32},
		{Name: "line_count", Type: arrow.PrimitiveTypes.Int32},
		{Name: "pid", Type: arrow.PrimitiveTypes.Int32},
	}, nil)
)

// shapeOf returns the schema and record builder of a shape name.
func shapeOf(name string) (*arrow.Schema, func(*parse.Batch) arrow.Record, error) {
	switch name {
	case "", "full":
		return store.TracesSchema(), store.TracesRecord, nil
	case "min":
		return minSchema, minRecord, nil
	case "compact":
		return compactSchema, compactRecord, nil
	}
	return nil, nil, fmt.Errorf("unknown record shape %q (full, compact or min)", name)
}

// shapeSelect is what a floor stores of a record: all its columns, and for the compact shape
// the file id too (the file's path and source are in files).
func shapeSelect(name string) string {
	if name == "compact" {
		return "*, 7::INTEGER AS file_id"
	}
	return "*"
}

func minRecord(b *parse.Batch) arrow.Record {
	t := &b.Traces
	n := t.Len()
	return newRec(minSchema, n,
		fixedArr(&arrow.TimestampType{Unit: arrow.Microsecond}, n, arrow.Int64Traits.CastToBytes(t.Time)),
		stringArr(&t.Message),
		fixedArr(arrow.PrimitiveTypes.Int64, n, arrow.Int64Traits.CastToBytes(t.LineNo)))
}

func compactRecord(b *parse.Batch) arrow.Record {
	t := &b.Traces
	n := t.Len()
	flags := make([]uint32, n)
	clock := make([]int32, n)
	for i := range n {
		f := uint32(t.Level[i]) | uint32(t.JobSource[i])<<2 | uint32(uint8(t.Severity[i])&7)<<5
		if t.System[i] {
			f |= 1 << 8
		}
		if t.Truncated[i] {
			f |= 1 << 9
		}
		flags[i] = f
		// "hh-mm-ss:ff" as the number hhmmssff (the other two forms would take a few more bits)
		var c int32
		for _, d := range t.AppTime.Data[t.AppTime.Offsets[i]:t.AppTime.Offsets[i+1]] {
			if d >= '0' && d <= '9' {
				c = c*10 + int32(d-'0')
			}
		}
		clock[i] = c
	}
	signals := unsafe.Slice((*uint32)(unsafe.SliceData(t.Signals)), n)
	return newRec(compactSchema, n,
		fixedArr(&arrow.TimestampType{Unit: arrow.Microsecond}, n, arrow.Int64Traits.CastToBytes(t.Time)),
		stringArr(&t.Message),
		fixedArr(arrow.PrimitiveTypes.Int64, n, arrow.Int64Traits.CastToBytes(t.LineNo)),
		fixedArr(arrow.PrimitiveTypes.Uint32, n, arrow.Uint32Traits.CastToBytes(flags)),
		fixedArr(arrow.PrimitiveTypes.Uint32, n, arrow.Uint32Traits.CastToBytes(signals)),
		fixedArr(arrow.PrimitiveTypes.Int16, n, arrow.Int16Traits.CastToBytes(t.Template)),
		fixedArr(arrow.PrimitiveTypes.Int32, n, arrow.Int32Traits.CastToBytes(t.Job.Index)),
		fixedArr(arrow.PrimitiveTypes.Int32, n, arrow.Int32Traits.CastToBytes(t.Instance.Index)),
		fixedArr(arrow.PrimitiveTypes.Int32, n, arrow.Int32Traits.CastToBytes(t.Operation.Index)),
		fixedArr(arrow.PrimitiveTypes.Int64, n, arrow.Int64Traits.CastToBytes(t.Hash)),
		fixedArr(arrow.PrimitiveTypes.Int32, n, arrow.Int32Traits.CastToBytes(clock)),
		fixedArr(arrow.PrimitiveTypes.Int32, n, arrow.Int32Traits.CastToBytes(t.LineCount)),
		fixedArr(arrow.PrimitiveTypes.Int32, n, arrow.Int32Traits.CastToBytes(t.PID)))
}

func fixedArr(dt arrow.DataType, n int, values []byte) arrow.Array {
	d := array.NewData(dt, n, []*memory.Buffer{nil, memory.NewBufferBytes(values)}, nil, 0, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

func stringArr(s *parse.Strings) arrow.Array {
	d := array.NewData(arrow.BinaryTypes.String, s.Len(), []*memory.Buffer{nil,
		memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(s.Offsets)), memory.NewBufferBytes(s.Data)}, nil, 0, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

func newRec(sc *arrow.Schema, n int, cols ...arrow.Array) arrow.Record {
	rec := array.NewRecord(sc, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// chanReader is an array.RecordReader over records arriving on a channel: DuckDB's scan
// thread waits in Next for the parse workers.
type chanReader struct {
	schema *arrow.Schema
	recs   <-chan arrow.Record
	cur    arrow.Record
}

func (r *chanReader) Retain()                        {}
func (r *chanReader) Release()                       {}
func (r *chanReader) Schema() *arrow.Schema          { return r.schema }
func (r *chanReader) Record() arrow.Record           { return r.cur }
func (r *chanReader) RecordBatch() arrow.RecordBatch { return r.cur }
func (r *chanReader) Err() error                     { return nil }
func (r *chanReader) Next() bool {
	rec, ok := <-r.recs
	r.cur = rec
	return ok
}

// rowIngestFloor is the floor of ingest (issue 14, target 3): the file read, cut into 4 MiB
// chunks, parsed on GOMAXPROCS workers and streamed as records of a shape into DuckDB INSERTs
// on lanes (connections loading at once, one DuckDB thread, as ingest loads a large file),
// into a database file, checkpointed. Parsing and storing overlap as in ingest, with nothing
// else: no hashing, no files rows, no transaction per file, no merge. args: db, path,
// shape[, DuckDB threads (default 1)[, lanes (default 2)]].
func rowIngestFloor(args []string) (rowResult, error) {
	if len(args) < 3 {
		return rowResult{}, errors.New("ingest-floor: want DB PATH SHAPE")
	}
	db, path := args[0], args[1]
	schema, build, err := shapeOf(args[2])
	if err != nil {
		return rowResult{}, err
	}
	threads := 1
	if len(args) > 3 {
		if threads, err = strconv.Atoi(args[3]); err != nil {
			return rowResult{}, err
		}
	}
	// lanes: INSERTs running at once, each on a connection of its own and taking records from
	// the same channel, as ingest loads a file on its lanes (default 2).
	lanes := 2
	if len(args) > 4 {
		if lanes, err = strconv.Atoi(args[4]); err != nil {
			return rowResult{}, err
		}
	}
	recs := make(chan arrow.Record, 2*runtime.GOMAXPROCS(0))
	rdrs := make([]array.RecordReader, lanes)
	for i := range rdrs {
		rdrs[i] = &chanReader{schema: schema, recs: recs}
	}
	conns, done, err := openFloor(db, threads, rdrs...)
	if err != nil {
		return rowResult{}, err
	}
	defer done()
	ctx := context.Background()

	start := startTimer()
	data, err := os.ReadFile(path)
	if err != nil {
		return rowResult{}, err
	}
	type chunk struct {
		data  []byte
		first int64
	}
	chunks := make(chan chunk, 2*runtime.GOMAXPROCS(0))
	var lines int64
	go func() {
		defer close(chunks)
		for rest, first := data, int64(1); len(rest) > 0; {
			n := len(rest)
			if n > 4<<20 {
				if n = parse.KuduSafeCut(rest[:4<<20]); n == 0 {
					n = len(rest)
				}
			}
			chunks <- chunk{rest[:n], first}
			nl := int64(bytes.Count(rest[:n], []byte{'\n'}))
			if rest[n-1] != '\n' {
				nl++
			}
			first += nl
			lines += nl
			rest = rest[n:]
		}
	}()
	fi := &parse.FileInfo{Job: jobOf(path), JobSource: parse.JobByPath}
	var workers sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		workers.Add(1)
		go func() {
			defer workers.Done()
			p := &parse.KuduLog{}
			for c := range chunks {
				b := parse.NewBatch(1 << 16)
				p.Parse(&parse.Chunk{Data: c.data, FirstLine: c.first, File: fi}, b)
				recs <- build(b)
			}
		}()
	}
	go func() { workers.Wait(); close(recs) }()
	err = storeFloor(ctx, conns, args[2])
	res := start.result(lines)
	if err == nil {
		var n int64
		if err = conns[0].QueryRowContext(ctx, "SELECT count(*) FROM floor").Scan(&n); err == nil && n == 0 {
			err = errors.New("ingest-floor: no rows stored")
		}
	}
	return res, err
}

// createFloor creates the floor table for the records of a shape, with the column types
// DuckDB gives them and the compression sql/schema.sql chooses (app_time uncompressed).
func createFloor(ctx context.Context, conn *gosql.Conn, shape string) error {
	rows, err := conn.QueryContext(ctx, "DESCRIBE SELECT "+shapeSelect(shape)+" FROM kl_mem.floor_v")
	if err != nil {
		return err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var name, typ string
		var rest [4]any
		if err := rows.Scan(&name, &typ, &rest[0], &rest[1], &rest[2], &rest[3]); err != nil {
			return err
		}
		col := strconv.Quote(name) + " " + typ
		if name == "app_time" {
			col += " USING COMPRESSION uncompressed"
		}
		cols = append(cols, col)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "CREATE TABLE floor ("+strings.Join(cols, ", ")+")")
	return err
}

// storeFloor stores the views' records in the floor table, one INSERT per view, all at once
// (each on its own connection), and checkpoints: the part of a floor that is DuckDB's.
func storeFloor(ctx context.Context, conns []*gosql.Conn, shape string) error {
	if err := createFloor(ctx, conns[0], shape); err != nil {
		return err
	}
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	for i, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = conn.ExecContext(ctx, "INSERT INTO floor SELECT "+shapeSelect(shape)+" FROM kl_mem."+floorView(i))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	_, err := conns[0].ExecContext(ctx, "CHECKPOINT")
	return err
}

// floorView is the name of the i-th reader's Arrow view.
func floorView(i int) string {
	if i == 0 {
		return "floor_v"
	}
	return fmt.Sprintf("floor_v%d", i)
}

// openFloor creates a fresh database file for a floor row with threads DuckDB threads, and
// registers each reader as an Arrow view (floorView), on a connection of its own. DuckDB 2.0
// makes an Arrow view a persistent catalog entry, which a database file cannot hold: the views
// go into an attached in-memory catalog, as in pipeline/store/pump.go. done drops the views,
// frees their streams and removes the database.
func openFloor(db string, threads int, rdrs ...array.RecordReader) ([]*gosql.Conn, func(), error) {
	first, pool, closeDB, err := openDuckDBPool(db, threads)
	if err != nil {
		return nil, nil, err
	}
	ctx := context.Background()
	var home string
	if err := first.QueryRowContext(ctx, "SELECT current_database()").Scan(&home); err != nil {
		closeDB()
		return nil, nil, err
	}
	if _, err := first.ExecContext(ctx, "ATTACH ':memory:' AS kl_mem"); err != nil {
		closeDB()
		return nil, nil, err
	}
	var conns []*gosql.Conn
	var releases []func()
	done := func() {
		for i, release := range releases {
			first.ExecContext(ctx, "DROP VIEW kl_mem."+floorView(i)) // before release (stack-notes A3)
			release()
		}
		for _, c := range conns[1:] {
			c.Close()
		}
		closeDB()
	}
	for i, rdr := range rdrs {
		conn := first
		if i > 0 {
			if conn, err = pool.Conn(ctx); err != nil {
				done()
				return nil, nil, err
			}
		}
		conns = append(conns, conn)
		if _, err := conn.ExecContext(ctx, "USE kl_mem"); err != nil {
			done()
			return nil, nil, err
		}
		err = conn.Raw(func(dc any) error {
			ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
			if err != nil {
				return err
			}
			release, err := ar.RegisterView(rdr, floorView(i))
			if err == nil {
				releases = append(releases, release)
			}
			return err
		})
		if err == nil {
			_, err = conn.ExecContext(ctx, "USE "+strconv.Quote(home))
		}
		if err != nil {
			done()
			return nil, nil, err
		}
	}
	return conns, done, nil
}
