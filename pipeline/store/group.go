package store

import (
	"context"
	gosql "database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kudulens/kudulens/parse"
	"github.com/kudulens/kudulens/pipeline/source"
)

// Small files in bulk. A folder of 100,000 small files (hourly application-log blobs, a
// bundle unpacked by the customer) cost about ten DuckDB statements each when every file had
// its own transaction: about 10 ms a file. A file worker instead collects small files — read
// whole in the first 64 KiB, parsed on the worker — into a group, and loads the group with a
// few statements in one transaction. Every file is still loaded whole or not at all: its rows
// and its files row are in the same transaction. A group is committed when it is full, when
// no file has come for groupIdle, and when the walk is over; an interrupted run loses the
// uncommitted group, which the next run reads again.
const (
	groupMaxFiles = 512
	groupMaxBytes = 16 << 20
	groupMaxRows  = 200_000
	groupMaxDict  = 4096 // distinct values in a dictionary column (int16 indices)
	groupIdle     = 200 * time.Millisecond
)

// Group is the open group of one file worker. The worker parses a small file into Batch
// between Open and End, and adds it with AddFile.
type Group struct {
	s       *Store
	b       *parse.Batch
	files   []*GroupFile
	bytes   int64
	started time.Time
}

// GroupFile is one file of a group: its files row and where its rows are in the batch.
type GroupFile struct {
	row    *FileRow
	dup    string
	status *JobStatus
	source string
	// [start, end) of the file's rows in the batch.
	traces, exceptions, events, rejects [2]int
}

// NewGroup returns an empty group.
func (s *Store) NewGroup() *Group {
	return &Group{s: s, b: parse.NewBatch(4096)}
}

// Batch is what the group's files are parsed into.
func (g *Group) Batch() *parse.Batch { return g.b }

// Empty reports whether the group holds no file.
func (g *Group) Empty() bool { return len(g.files) == 0 }

// CommitBy is when the group is due to be committed if no file comes (groupIdle after its
// first file).
func (g *Group) CommitBy() time.Time { return g.started.Add(groupIdle) }

// Full reports whether the group should be committed before it takes more.
func (g *Group) Full() bool {
	t := &g.b.Traces
	return len(g.files) >= groupMaxFiles || g.bytes >= groupMaxBytes || t.Len() >= groupMaxRows ||
		len(t.Instance.Values) >= groupMaxDict || len(t.Job.Values) >= groupMaxDict || len(t.Operation.Values) >= groupMaxDict
}

// AddRow adds a file without rows (skipped, status file).
func (g *Group) AddRow(row *FileRow, st *JobStatus) {
	g.add(&GroupFile{row: row, status: st})
}

// AddFile adds a file parsed between Open and End, with its files row.
func (g *Group) AddFile(f *GroupFile, row *FileRow) {
	f.row = row
	g.add(f)
}

func (g *Group) add(f *GroupFile) {
	if len(g.files) == 0 {
		g.started = time.Now()
	}
	g.files = append(g.files, f)
	g.bytes += f.row.Bytes
}

// Open starts a file of the given kind: its rows are those parsed into Batch until End.
func (g *Group) Open(kind source.Kind) *GroupFile {
	b := g.b
	f := &GroupFile{source: "job-log"}
	if kind == source.KindAppLogCSV || kind == source.KindAppLogText {
		f.source = "app-log"
	}
	f.traces[0], f.exceptions[0], f.events[0], f.rejects[0] = b.Traces.Len(), b.Exceptions.Len(), b.Events.Len(), len(b.Rejects)
	return f
}

// End ends the rows of f.
func (g *Group) End(f *GroupFile) {
	b := g.b
	f.traces[1], f.exceptions[1], f.events[1], f.rejects[1] = b.Traces.Len(), b.Exceptions.Len(), b.Events.Len(), len(b.Rejects)
}

// Traces is the range of f's rows in Batch().Traces.
func (f *GroupFile) Traces() (start, end int) { return f.traces[0], f.traces[1] }

// Rejects is f's rejected lines.
func (f *GroupFile) Rejects(b *parse.Batch) []parse.Reject {
	return b.Rejects[f.rejects[0]:f.rejects[1]]
}

// Counts is how many traces, exceptions and events f has.
func (f *GroupFile) Counts() (traces, exceptions, events int64) {
	return int64(f.traces[1] - f.traces[0]), int64(f.exceptions[1] - f.exceptions[0]), int64(f.events[1] - f.events[0])
}

// SetJob gives the rows of f that have no job the job inferred from the file's content (as
// FileTx.fixInferredJob does in SQL for large files).
func (g *Group) SetJob(f *GroupFile, job string) {
	t := &g.b.Traces
	op := parse.OperationName(job)
	jobIdx, opIdx, srcJob := t.Job.ID(job), t.Operation.ID(op), parse.JobByContent
	for i := f.traces[0]; i < f.traces[1]; i++ {
		if t.Job.Values[t.Job.Index[i]] != "" {
			continue
		}
		t.Job.Index[i], t.JobSource[i] = jobIdx, srcJob
		if t.Operation.Values[t.Operation.Index[i]] == "" {
			t.Operation.Index[i] = opIdx
		}
	}
	ex := &g.b.Exceptions
	for i := f.exceptions[0]; i < f.exceptions[1]; i++ {
		if ex.Job.Value(i) == "" {
			ex.Job.Index[i] = ex.Job.ID(job)
			if ex.Operation.Value(i) == "" {
				ex.Operation.Index[i] = ex.Operation.ID(op)
			}
		}
	}
	ev := &g.b.Events
	for i := f.events[0]; i < f.events[1]; i++ {
		if ev.Job.Value(i) == "" {
			ev.Job.Index[i] = ev.Job.ID(job)
			if ev.Operation.Value(i) == "" {
				ev.Operation.Index[i] = ev.Operation.ID(op)
			}
		}
	}
}

// Commit loads the group in one transaction and records its files, handing each to record
// once the transaction is committed; it empties the group.
func (g *Group) Commit(ctx context.Context, record func(row FileRow, dup string)) error {
	if g.Empty() {
		return nil
	}
	committed := false
	defer func() {
		if !committed {
			g.Abandon()
		}
		g.reset()
	}()
	s := g.s
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := s.preparePumps(ctx, conn); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	done := false
	defer func() {
		if !done {
			conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	if err := g.insertRows(ctx, conn); err != nil {
		return err
	}
	if err := g.insertFiles(ctx, conn); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit %d small files: %w", len(g.files), err)
	}
	done, committed = true, true
	for _, f := range g.files {
		record(*f.row, f.dup)
	}
	return nil
}

// Abandon gives up the group's files: their hashes are no longer claimed, so that a later run
// in this process reads them again.
func (g *Group) Abandon() {
	for _, f := range g.files {
		if f.row.SHA256 != "" {
			g.s.unclaim(f.row)
		}
	}
}

func (g *Group) reset() {
	g.b.Reset()
	clear(g.files)
	g.files, g.bytes = g.files[:0], 0
}

// groupTracesSchema is tracesSchema plus the columns that are constant per file in a file's
// own transaction and vary within a group.
var groupTracesSchema = arrow.NewSchema(append(append([]arrow.Field(nil), tracesSchema.Fields()...),
	arrow.Field{Name: "file_id", Type: arrow.PrimitiveTypes.Int32},
	arrow.Field{Name: "source_file", Type: dictI32()},
	arrow.Field{Name: "source", Type: dictI8()},
), nil)

const insertGroupTracesSQL = `INSERT INTO traces (timestamp, operation_Name, job, job_source, instance, level, is_system,
    severityLevel, message, app_time, template, source, pid, truncated, msg_hash, file_id, source_file, line_no, line_count, signals)
SELECT ts, operation, job, job_source, instance, level, is_system, severity, message, app_time, template,
    source, pid, truncated, msg_hash, file_id, source_file, line_no, line_count, signals FROM `

// insertRows inserts the traces, exceptions, events and rejects of the group.
func (g *Group) insertRows(ctx context.Context, conn *gosql.Conn) error {
	b := g.b
	if n := b.Traces.Len(); n > 0 {
		ids := make([]int32, n)
		paths := make([]int32, n)
		sources := make([]int8, n)
		var pathVals []string
		for fi, f := range g.files {
			src := int8(0)
			if f.source == "app-log" {
				src = 1
			}
			for i := f.traces[0]; i < f.traces[1]; i++ {
				ids[i], paths[i], sources[i] = f.row.ID, int32(fi), src
			}
			pathVals = append(pathVals, f.row.Path)
		}
		rec := tracesRecord(b, g.s.dicts)
		cols := append([]arrow.Array(nil), rec.Columns()...)
		extra := []arrow.Array{
			fixed(arrow.PrimitiveTypes.Int32, n, nil, arrow.Int32Traits.CastToBytes(ids)),
			dictFixed(dictI32(), n, nil, arrow.Int32Traits.CastToBytes(paths), stringsData(pathVals)),
			dictFixed(dictI8(), n, nil, int8Bytes(sources), stringsData([]string{"job-log", "app-log"})),
		}
		grec := array.NewRecord(groupTracesSchema, append(cols, extra...), int64(n))
		for _, c := range extra {
			c.Release()
		}
		rec.Release()
		err := g.s.insertRecord(ctx, conn, grec, insertGroupTracesSQL)
		grec.Release()
		if err != nil {
			return fmt.Errorf("insert traces of %d small files: %w", len(g.files), err)
		}
	}
	if b.Exceptions.Len()+b.Events.Len()+len(b.Rejects) == 0 {
		return nil
	}
	// The file of row i of a table, for the appenders.
	owner := func(rng func(*GroupFile) [2]int) func(int) *FileRow {
		fi := 0
		return func(i int) *FileRow {
			for rng(g.files[fi])[1] <= i {
				fi++
			}
			return g.files[fi].row
		}
	}
	return conn.Raw(func(dc any) error {
		c := dc.(driver.Conn)
		if b.Exceptions.Len() > 0 {
			of := owner(func(f *GroupFile) [2]int { return f.exceptions })
			if err := appendRows(c, "exceptions", b.Exceptions.Len(), func(i int) []driver.Value {
				e, r := b.Exceptions.Row(i), of(i)
				return []driver.Value{usTime(e.Time), nullStr(e.Operation), nullStr(e.Job), nullStr(e.Instance), e.Origin, nullStr(e.InferredBy),
					nullStr(e.OuterType), nullStr(e.OuterMessage), nullStr(e.InnermostType), nullStr(e.InnermostMessage),
					e.Details, e.Frames, nullSev(e.Severity), r.ID, r.Path, e.LineNo, e.LineCount}
			}); err != nil {
				return err
			}
		}
		if b.Events.Len() > 0 {
			of := owner(func(f *GroupFile) [2]int { return f.events })
			if err := appendRows(c, "customEvents", b.Events.Len(), func(i int) []driver.Value {
				e, r := b.Events.Row(i), of(i)
				var dur driver.Value
				if e.DurationS != parse.NullDuration {
					dur = e.DurationS
				}
				return []driver.Value{usTime(e.Time), nullStr(e.Operation), nullStr(e.Job), nullStr(e.Instance), e.Name,
					// RawMessage: duckdb-go v2 JSON-encodes what it appends to a JSON column, and
					// the properties are JSON text already.
					nullStr(e.Section), dur, json.RawMessage(e.Properties), r.ID, r.Path, e.LineNo}
			}); err != nil {
				return err
			}
		}
		if len(b.Rejects) > 0 {
			of := owner(func(f *GroupFile) [2]int { return f.rejects })
			if err := appendRows(c, "rejects", len(b.Rejects), func(i int) []driver.Value {
				rj, r := &b.Rejects[i], of(i)
				return []driver.Value{r.ID, r.Path, rj.LineNo, rj.Reason, rj.Raw}
			}); err != nil {
				return err
			}
		}
		return nil
	})
}

func int8Bytes(v []int8) []byte { return arrow.Int8Traits.CastToBytes(v) }

// insertFiles inserts the files rows (and job_status rows) of the group through appenders.
// The files rows go through a temporary table with the columns of insertFilesSQL, so that
// columns added to files later only need a default.
func (g *Group) insertFiles(ctx context.Context, conn *gosql.Conn) error {
	tmp := fmt.Sprintf("kl_group_files_%d", g.files[0].row.ID)
	cols := insertFilesSQL[strings.Index(insertFilesSQL, "(")+1 : strings.Index(insertFilesSQL, ")")]
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE TEMP TABLE %s AS SELECT %s FROM files LIMIT 0", tmp, cols)); err != nil {
		return fmt.Errorf("record %d small files: %w", len(g.files), err)
	}
	defer conn.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+tmp)
	now := time.Now().UTC()
	var statuses []*GroupFile
	err := conn.Raw(func(dc any) error {
		c := dc.(driver.Conn)
		if err := appendRows(c, tmp, len(g.files), func(i int) []driver.Value {
			vals := g.s.fileRowValues(g.files[i].row, now)
			out := make([]driver.Value, len(vals))
			for j, v := range vals {
				out[j] = v
			}
			if g.files[i].status != nil {
				statuses = append(statuses, g.files[i])
			}
			return out
		}); err != nil {
			return err
		}
		if len(statuses) == 0 {
			return nil
		}
		return appendRows(c, "job_status", len(statuses), func(i int) []driver.Value {
			f := statuses[i]
			return []driver.Value{nullStr(f.status.Job), f.status.Instance, f.status.Status, f.row.ID, f.row.Path}
		})
	})
	if err == nil {
		_, err = conn.ExecContext(ctx, fmt.Sprintf("INSERT INTO files (%s) SELECT * FROM %s", cols, tmp))
	}
	if err != nil {
		return fmt.Errorf("record %d small files: %w", len(g.files), err)
	}
	return nil
}
