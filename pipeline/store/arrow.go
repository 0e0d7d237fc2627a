package store

import (
	"math/bits"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kudulens/kudulens/parse"
)

// The traces batch as DuckDB sees it through RegisterView. Column buffers are the parse.Batch
// slices themselves (no copy); only validity bitmaps and the two boolean columns are built
// here. The batch must stay untouched until DuckDB has read the view.
var (
	dictI16 = func() *arrow.DictionaryType {
		return &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}
	}
	// dictI32 is the type of the per-batch dictionaries (parse.Dict): a crafted log can hold
	// more distinct instance or job names in one batch than an int16 counts.
	dictI32 = func() *arrow.DictionaryType {
		return &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	}
	dictI8 = func() *arrow.DictionaryType {
		return &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}
	}
	tracesSchema = arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
		{Name: "operation", Type: dictI32(), Nullable: true},
		{Name: "job", Type: dictI32(), Nullable: true},
		{Name: "job_source", Type: dictI8(), Nullable: true},
		{Name: "instance", Type: dictI32(), Nullable: true},
		{Name: "level", Type: dictI8()},
		{Name: "is_system", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "severity", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "message", Type: arrow.BinaryTypes.String},
		{Name: "app_time", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "template", Type: dictI16(), Nullable: true},
		{Name: "pid", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "truncated", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "msg_hash", Type: arrow.PrimitiveTypes.Int64},
		{Name: "line_no", Type: arrow.PrimitiveTypes.Int64},
		{Name: "line_count", Type: arrow.PrimitiveTypes.Int32},
		{Name: "signals", Type: arrow.PrimitiveTypes.Uint32},
	}, nil)
)

// eventsSchema is the customEvents batch as DuckDB sees it (see tracesSchema).
var eventsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
	{Name: "operation", Type: dictI32(), Nullable: true},
	{Name: "job", Type: dictI32(), Nullable: true},
	{Name: "instance", Type: dictI32(), Nullable: true},
	{Name: "name", Type: dictI32(), Nullable: true},
	{Name: "section", Type: dictI32(), Nullable: true},
	{Name: "duration_s", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "properties", Type: arrow.BinaryTypes.String},
	{Name: "line_no", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// eventsRecord wraps the customEvents columns of b as an Arrow record. Release it before
// reusing b.
func eventsRecord(b *parse.Batch) arrow.Record {
	e := &b.Events
	n := e.Len()
	cols := []arrow.Array{
		fixed(&arrow.TimestampType{Unit: arrow.Microsecond}, n, nil, arrow.Int64Traits.CastToBytes(e.Time)),
		dictColumn(&e.Operation, n),
		dictColumn(&e.Job, n),
		dictColumn(&e.Instance, n),
		dictColumn(&e.Name, n),
		dictColumn(&e.Section, n),
		fixed(arrow.PrimitiveTypes.Int32, n, validNot(e.DurationS, parse.NullDuration),
			arrow.Int32Traits.CastToBytes(e.DurationS)),
		stringColumn(&e.Properties, nil),
		fixed(arrow.PrimitiveTypes.Int64, n, nil, arrow.Int64Traits.CastToBytes(e.LineNo)),
	}
	return newRecord(eventsSchema, cols, n)
}

// exceptionsSchema is the exceptions batch as DuckDB sees it (see tracesSchema).
var exceptionsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
	{Name: "operation", Type: dictI32(), Nullable: true},
	{Name: "job", Type: dictI32(), Nullable: true},
	{Name: "instance", Type: dictI32(), Nullable: true},
	{Name: "origin", Type: dictI32(), Nullable: true},
	{Name: "inferred_by", Type: dictI32(), Nullable: true},
	{Name: "outer_type", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "outer_message", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "innermost_type", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "innermost_message", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "details", Type: arrow.BinaryTypes.String},
	{Name: "frames", Type: arrow.PrimitiveTypes.Int32},
	{Name: "severity", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
	{Name: "line_no", Type: arrow.PrimitiveTypes.Int64},
	{Name: "line_count", Type: arrow.PrimitiveTypes.Int32},
}, nil)

// exceptionsRecord wraps the exceptions columns of b as an Arrow record (empty strings are
// null, except in details). Release it before reusing b.
func exceptionsRecord(b *parse.Batch) arrow.Record {
	e := &b.Exceptions
	n := e.Len()
	cols := []arrow.Array{
		fixed(&arrow.TimestampType{Unit: arrow.Microsecond}, n, nil, arrow.Int64Traits.CastToBytes(e.Time)),
		dictColumn(&e.Operation, n),
		dictColumn(&e.Job, n),
		dictColumn(&e.Instance, n),
		dictColumn(&e.Origin, n),
		dictColumn(&e.InferredBy, n),
		stringColumn(&e.OuterType, validNonEmpty(&e.OuterType)),
		stringColumn(&e.OuterMessage, validNonEmpty(&e.OuterMessage)),
		stringColumn(&e.InnermostType, validNonEmpty(&e.InnermostType)),
		stringColumn(&e.InnermostMessage, validNonEmpty(&e.InnermostMessage)),
		stringColumn(&e.Details, nil),
		fixed(arrow.PrimitiveTypes.Int32, n, nil, arrow.Int32Traits.CastToBytes(e.Frames)),
		fixed(arrow.PrimitiveTypes.Int8, n, validNot(e.Severity, parse.NullSeverity), arrow.Int8Traits.CastToBytes(e.Severity)),
		fixed(arrow.PrimitiveTypes.Int64, n, nil, arrow.Int64Traits.CastToBytes(e.LineNo)),
		fixed(arrow.PrimitiveTypes.Int32, n, nil, arrow.Int32Traits.CastToBytes(e.LineCount)),
	}
	return newRecord(exceptionsSchema, cols, n)
}

// staticDicts are dictionaries that do not change between batches.
type staticDicts struct {
	levels, jobSources, templates arrow.ArrayData
}

func newStaticDicts() *staticDicts {
	return &staticDicts{
		levels:     stringsData(parse.LevelNames()),
		jobSources: stringsData(parse.JobSourceNames()),
		templates:  stringsData(parse.TemplateIDs()),
	}
}

// stringsData builds a string array of vals.
func stringsData(vals []string) arrow.ArrayData {
	offs := make([]int32, len(vals)+1)
	var data []byte
	for i, v := range vals {
		data = append(data, v...)
		offs[i+1] = int32(len(data))
	}
	return array.NewData(arrow.BinaryTypes.String, len(vals),
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offs)), memory.NewBufferBytes(data)}, nil, 0, 0)
}

// tracesRecord wraps the trace columns of b as an Arrow record. Release it before reusing b.
func tracesRecord(b *parse.Batch, sd *staticDicts) arrow.Record {
	t := &b.Traces
	n := t.Len()
	cols := []arrow.Array{
		fixed(&arrow.TimestampType{Unit: arrow.Microsecond}, n, nil, arrow.Int64Traits.CastToBytes(t.Time)),
		dictColumn(&t.Operation, n),
		dictColumn(&t.Job, n),
		dictFixed(dictI8(), n, validNot(t.JobSource, parse.JobUnknown),
			bytesOf(t.JobSource), sd.jobSources),
		dictColumn(&t.Instance, n),
		dictFixed(dictI8(), n, nil, bytesOf(t.Level), sd.levels),
		boolColumn(t.System),
		fixed(arrow.PrimitiveTypes.Int8, n, validNot(t.Severity, parse.NullSeverity),
			arrow.Int8Traits.CastToBytes(t.Severity)),
		stringColumn(&t.Message, nil),
		stringColumn(&t.AppTime, validNonEmpty(&t.AppTime)),
		dictFixed(dictI16(), n, validNot(t.Template, 0),
			arrow.Int16Traits.CastToBytes(t.Template), sd.templates),
		fixed(arrow.PrimitiveTypes.Int32, n, validNot(t.PID, parse.NullPID),
			arrow.Int32Traits.CastToBytes(t.PID)),
		boolColumn(t.Truncated),
		fixed(arrow.PrimitiveTypes.Int64, n, nil, arrow.Int64Traits.CastToBytes(t.Hash)),
		fixed(arrow.PrimitiveTypes.Int64, n, nil, arrow.Int64Traits.CastToBytes(t.LineNo)),
		fixed(arrow.PrimitiveTypes.Int32, n, nil, arrow.Int32Traits.CastToBytes(t.LineCount)),
		fixed(arrow.PrimitiveTypes.Uint32, n, nil, arrow.Uint32Traits.CastToBytes(signalWords(t.Signals))),
	}
	return newRecord(tracesSchema, cols, n)
}

// validNot returns the validity bitmap of vals where the value null means null, or nil when
// there is none. The common case (no nulls) is one compare loop; otherwise eight values make
// a byte, without a call per value.
func validNot[T comparable](vals []T, null T) []byte {
	first := -1
	for i, v := range vals {
		if v == null {
			first = i
			break
		}
	}
	if first < 0 {
		return nil
	}
	n := len(vals)
	bm := make([]byte, (n+7)/8)
	i := 0
	for ; i+8 <= n; i += 8 {
		v := vals[i : i+8 : i+8]
		var b byte
		for j := range 8 {
			if v[j] != null {
				b |= 1 << j
			}
		}
		bm[i>>3] = b
	}
	for ; i < n; i++ {
		if vals[i] != null {
			bm[i>>3] |= 1 << (i & 7)
		}
	}
	return bm
}

// validNonEmpty returns the validity bitmap of a string column whose empty values are null,
// or nil when there is none.
func validNonEmpty(s *parse.Strings) []byte {
	n := s.Len()
	var bm []byte
	for i := 0; i < n; i++ {
		if s.Offsets[i+1] == s.Offsets[i] {
			if bm == nil {
				bm = make([]byte, (n+7)/8)
				for j := 0; j < i; j++ {
					bm[j>>3] |= 1 << (j & 7)
				}
			}
			continue
		}
		if bm != nil {
			bm[i>>3] |= 1 << (i & 7)
		}
	}
	return bm
}

// nullCount counts the clear bits of a bitmap of n values (bits past n are never set).
func nullCount(valid []byte, n int) int {
	if valid == nil {
		return 0
	}
	set := 0
	for _, b := range valid {
		set += bits.OnesCount8(b)
	}
	return n - set
}

func fixed(dt arrow.DataType, n int, valid, values []byte) arrow.Array {
	d := array.NewData(dt, n, []*memory.Buffer{bufOrNil(valid), memory.NewBufferBytes(values)}, nil, nullCount(valid, n), 0)
	defer d.Release()
	return array.MakeFromData(d)
}

func bufOrNil(b []byte) *memory.Buffer {
	if b == nil {
		return nil
	}
	return memory.NewBufferBytes(b)
}

// newRecord makes a record of cols, which it takes over (the record holds the references).
func newRecord(schema *arrow.Schema, cols []arrow.Array, n int) arrow.Record {
	rec := array.NewRecord(schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

func boolColumn(v []bool) arrow.Array {
	bm := make([]byte, (len(v)+7)/8)
	for i, b := range v {
		if b {
			bm[i>>3] |= 1 << (i & 7)
		}
	}
	return fixed(arrow.FixedWidthTypes.Boolean, len(v), nil, bm)
}

func stringColumn(s *parse.Strings, valid []byte) arrow.Array {
	n := s.Len()
	d := array.NewData(arrow.BinaryTypes.String, n,
		[]*memory.Buffer{bufOrNil(valid), memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(s.Offsets)), memory.NewBufferBytes(s.Data)},
		nil, nullCount(valid, n), 0)
	defer d.Release()
	return array.MakeFromData(d)
}

// dictColumn converts a per-batch dictionary; rows whose value is "" are null.
func dictColumn(d *parse.Dict, n int) arrow.Array {
	empty := int32(-1)
	for i, v := range d.Values {
		if v == "" {
			empty = int32(i)
		}
	}
	var valid []byte
	if empty >= 0 {
		valid = validNot(d.Index, empty)
	}
	return dictFixed(dictI32(), n, valid, arrow.Int32Traits.CastToBytes(d.Index), stringsData(d.Values))
}

func dictFixed(dt *arrow.DictionaryType, n int, valid, idx []byte, dict arrow.ArrayData) arrow.Array {
	d := array.NewData(dt, n, []*memory.Buffer{bufOrNil(valid), memory.NewBufferBytes(idx)}, nil, nullCount(valid, n), 0)
	defer d.Release()
	d.SetDictionary(dict)
	return array.MakeFromData(d)
}

// TracesRecord wraps the trace columns of b as the Arrow record Ingest loads (no copy: the
// record aliases b, which must stay untouched until the record is released). It is exported
// for the benchmarks, which measure DuckDB's load of the same record.
func TracesRecord(b *parse.Batch) arrow.Record { return tracesRecord(b, exportDicts()) }

// TracesSchema is the schema of TracesRecord.
func TracesSchema() *arrow.Schema { return tracesSchema }

var exportDicts = sync.OnceValue(newStaticDicts)

// EventsRecord is TracesRecord for the customEvents rows of b.
func EventsRecord(b *parse.Batch) arrow.Record { return eventsRecord(b) }

// ExceptionsRecord is TracesRecord for the exceptions rows of b.
func ExceptionsRecord(b *parse.Batch) arrow.Record { return exceptionsRecord(b) }
