package parse

import (
	"strings"
	"unsafe"
)

// Strings is a column of byte strings in Arrow's layout: value i is
// Data[Offsets[i]:Offsets[i+1]]. The pipeline wraps both slices as Arrow buffers without
// copying, so a Strings must not be appended to while Arrow holds it.
type Strings struct {
	Offsets []int32 // len = rows+1; Offsets[0] == 0
	Data    []byte
}

func (s *Strings) reset() {
	s.Offsets = append(s.Offsets[:0], 0)
	s.Data = s.Data[:0]
}

func (s *Strings) add(b []byte) {
	s.Data = append(s.Data, b...)
	s.Offsets = append(s.Offsets, int32(len(s.Data)))
}

func (s *Strings) addString(v string) {
	s.Data = append(s.Data, v...)
	s.Offsets = append(s.Offsets, int32(len(s.Data)))
}

// extendLast appends sep and b to the last value.
func (s *Strings) extendLast(sep byte, b []byte) {
	s.Data = append(s.Data, sep)
	s.Data = append(s.Data, b...)
	s.Offsets[len(s.Offsets)-1] = int32(len(s.Data))
}

// Len returns the number of values.
func (s *Strings) Len() int { return len(s.Offsets) - 1 }

// compact removes the values at the ascending indexes drop, keeping the order of the others.
func (s *Strings) compact(drop []int32) {
	w, wo := int(s.Offsets[drop[0]]), int(drop[0]) // bytes and values kept so far
	for k, d := range drop {
		end := s.Len()
		if k+1 < len(drop) {
			end = int(drop[k+1])
		}
		// the values d+1 .. end-1 move down to wo ..; their bytes to w ..
		if int(d)+1 >= end {
			continue
		}
		from, to := int(s.Offsets[d+1]), int(s.Offsets[end])
		shift := int32(from - w)
		copy(s.Data[w:], s.Data[from:to])
		for v := int(d) + 1; v < end; v++ {
			s.Offsets[wo+1] = s.Offsets[v+1] - shift
			wo++
		}
		w += to - from
	}
	s.Data = s.Data[:w]
	s.Offsets = s.Offsets[:wo+1]
}

// Value returns value i; it aliases Data.
func (s *Strings) Value(i int) []byte { return s.Data[s.Offsets[i]:s.Offsets[i+1]] }

// Last returns the last value; it aliases Data.
func (s *Strings) Last() []byte { return s.Value(s.Len() - 1) }

// Dict is a dictionary-encoded string column with few distinct values per batch (instances,
// job names). Index[i] points into Values.
//
// Few is the usual case, not a promise: a crafted log can give every line its own instance
// name. Indexes are int32, enough for any batch (a batch holds far fewer rows than 2^31), and
// past a few values the lookup goes through a map, so many distinct values cost linear time.
type Dict struct {
	Index  []int32
	Values []string
	last   int32 // index of the value added last, to skip the search on runs; -1 if none
	// pos maps the values of this batch to their index once there are more than
	// dictScanMax of them; below that a scan of Values is faster than hashing.
	pos map[string]int32
	// seen interns the values of earlier batches (up to maxInterned), so that a stream of
	// batches with the same few instances, jobs and event names converts no string.
	seen map[string]string
}

// maxInterned bounds Dict.seen: an input with ever new values (hostile or odd) just
// allocates their strings.
const maxInterned = 256

// dictScanMax is the number of values up to which a Dict finds a value by scanning.
const dictScanMax = 16

func (d *Dict) reset() {
	d.Index = d.Index[:0]
	d.Values = d.Values[:0]
	d.last = -1
	clear(d.pos)
}

// id returns the index of v, adding it to Values if new.
func (d *Dict) id(v []byte) int32 { return dictID(d, v) }

// ID returns the index of v, adding it to Values if new (for code that rewrites the rows of a
// batch, such as a job inferred after parsing).
func (d *Dict) ID(v string) int32 { return dictID(d, v) }

// dictID is Dict.id for both string and []byte values, so that neither converts.
func dictID[T string | []byte](d *Dict, v T) int32 {
	if d.last >= 0 && int(d.last) < len(d.Values) && string(v) == d.Values[d.last] {
		return d.last
	}
	if len(d.Values) <= dictScanMax {
		for i, s := range d.Values {
			if s == string(v) {
				d.last = int32(i)
				return d.last
			}
		}
	} else if i, ok := d.pos[string(v)]; ok {
		d.last = i
		return i
	}
	s, ok := d.seen[string(v)]
	if !ok {
		// Own a copy: a string v may alias a buffer that changes (yoloString of the recorder's
		// job or a crash's instance), and the Dict keeps its values past this call.
		switch x := any(v).(type) {
		case string:
			s = strings.Clone(x)
		case []byte:
			s = string(x)
		}
		if len(d.seen) < maxInterned {
			if d.seen == nil {
				d.seen = make(map[string]string)
			}
			d.seen[s] = s
		}
	}
	d.Values = append(d.Values, s)
	d.last = int32(len(d.Values) - 1)
	switch n := len(d.Values); {
	case n == dictScanMax+1:
		if d.pos == nil {
			d.pos = make(map[string]int32, 2*dictScanMax)
		}
		for i, s := range d.Values {
			d.pos[s] = int32(i)
		}
	case n > dictScanMax+1:
		d.pos[s] = d.last
	}
	return d.last
}

func (d *Dict) add(v []byte) { d.Index = append(d.Index, dictID(d, v)) }

func (d *Dict) addString(v string) { d.Index = append(d.Index, dictID(d, v)) }

// addCached adds v, a value that is the same on every call while the Dict is not reset (the
// file's job): *id caches its index, -1 until the first call.
func (d *Dict) addCached(v []byte, id *int32) {
	if *id < 0 {
		*id = dictID(d, v)
	}
	d.Index = append(d.Index, *id)
}

// Len returns the number of rows.
func (d *Dict) Len() int { return len(d.Index) }

// Value returns the value of row i.
func (d *Dict) Value(i int) string { return d.Values[d.Index[i]] }

// Null sentinels of the fixed-width columns; the Arrow conversion turns them into nulls.
const (
	NullSeverity int8  = -1
	NullPID      int32 = -1
	NullDuration int32 = -1
)

// Traces holds trace rows column by column. Every row describes one record: a Kudu line with
// its continuation lines, or one application-log row.
type Traces struct {
	Time      []int64 // unix microseconds, UTC
	Instance  Dict
	Level     []Level
	System    []bool
	Severity  []int8 // App Insights severityLevel, NullSeverity if none
	Message   Strings
	AppTime   Strings // empty when the line had no app prefix
	Template  []int16 // index into TemplateIDs(); 0 = no template
	Job       Dict    // "" when not known yet
	JobSource []JobSource
	Operation Dict // App Insights operation_Name, "" when not known
	PID       []int32
	Truncated []bool
	Hash      []int64 // xxh3 of level and message, to merge copies of a line across files
	LineNo    []int64
	LineCount []int32
	Signals   []Signal // the check signals the message carries (signals.go)
}

// Len returns the number of rows.
func (t *Traces) Len() int { return len(t.Time) }

// MoveRows appends the rows i for which move(i) holds to dst, in order, and removes them from
// t; the other rows keep their order. It returns how many rows moved. move is called once per
// row, in order, before any row changes.
func (t *Traces) MoveRows(dst *Traces, move func(i int) bool) int {
	n := t.Len()
	var moved []int32 // the rows to move, ascending
	for i := range n {
		if move(i) {
			moved = append(moved, int32(i))
		}
	}
	if len(moved) == 0 {
		return 0
	}
	for _, i := range moved {
		dst.Time = append(dst.Time, t.Time[i])
		dst.Instance.addString(t.Instance.Value(int(i)))
		dst.Level = append(dst.Level, t.Level[i])
		dst.System = append(dst.System, t.System[i])
		dst.Severity = append(dst.Severity, t.Severity[i])
		dst.Message.add(t.Message.Value(int(i)))
		dst.AppTime.add(t.AppTime.Value(int(i)))
		dst.Template = append(dst.Template, t.Template[i])
		dst.Job.addString(t.Job.Value(int(i)))
		dst.JobSource = append(dst.JobSource, t.JobSource[i])
		dst.Operation.addString(t.Operation.Value(int(i)))
		dst.PID = append(dst.PID, t.PID[i])
		dst.Truncated = append(dst.Truncated, t.Truncated[i])
		dst.Hash = append(dst.Hash, t.Hash[i])
		dst.LineNo = append(dst.LineNo, t.LineNo[i])
		dst.LineCount = append(dst.LineCount, t.LineCount[i])
		dst.Signals = append(dst.Signals, t.Signals[i])
	}
	t.remove(moved)
	return len(moved)
}

// RemoveAt removes the rows at the ascending indexes rows from t; the other rows keep their
// order.
func (t *Traces) RemoveAt(rows []int32) {
	if len(rows) > 0 {
		t.remove(rows)
	}
}

// remove compacts t in place without the rows at the ascending indexes moved: each column
// keeps the rows between them.
func (t *Traces) remove(moved []int32) {
	t.Time = compact(t.Time, moved)
	t.Instance.Index = compact(t.Instance.Index, moved)
	t.Level = compact(t.Level, moved)
	t.System = compact(t.System, moved)
	t.Severity = compact(t.Severity, moved)
	t.Message.compact(moved)
	t.AppTime.compact(moved)
	t.Template = compact(t.Template, moved)
	t.Job.Index = compact(t.Job.Index, moved)
	t.JobSource = compact(t.JobSource, moved)
	t.Operation.Index = compact(t.Operation.Index, moved)
	t.PID = compact(t.PID, moved)
	t.Truncated = compact(t.Truncated, moved)
	t.Hash = compact(t.Hash, moved)
	t.LineNo = compact(t.LineNo, moved)
	t.LineCount = compact(t.LineCount, moved)
	t.Signals = compact(t.Signals, moved)
}

// compact removes the elements at the ascending indexes drop from s, keeping the order of
// the others.
func compact[T any](s []T, drop []int32) []T {
	w := int(drop[0])
	for k, d := range drop {
		end := len(s)
		if k+1 < len(drop) {
			end = int(drop[k+1])
		}
		// most runs are empty where most rows go (store: lean rows)
		if start := int(d) + 1; start < end {
			w += copy(s[w:], s[start:end])
		}
	}
	return s[:w]
}

func (t *Traces) reset() {
	t.Time = t.Time[:0]
	t.Instance.reset()
	t.Level = t.Level[:0]
	t.System = t.System[:0]
	t.Severity = t.Severity[:0]
	t.Message.reset()
	t.AppTime.reset()
	t.Template = t.Template[:0]
	t.Job.reset()
	t.JobSource = t.JobSource[:0]
	t.Operation.reset()
	t.PID = t.PID[:0]
	t.Truncated = t.Truncated[:0]
	t.Hash = t.Hash[:0]
	t.LineNo = t.LineNo[:0]
	t.LineCount = t.LineCount[:0]
	t.Signals = t.Signals[:0]
}

// JobSource says how a row's job was found.
type JobSource uint8

const (
	JobUnknown     JobSource = iota
	JobByPath                // the Kudu folder data/jobs/continuous/<job>/
	JobByContent             // inferred from the file's content (a Kudu log outside its folder)
	JobByTemplate            // the message template belongs to one job
	JobByNeighbour           // the nearest attributed line of the same instance (set in SQL)
)

var jobSourceNames = []string{"", "path", "content", "template", "neighbour"}

func (s JobSource) String() string { return jobSourceNames[s] }

// JobSourceNames lists JobSource names indexed by value ("" for JobUnknown).
func JobSourceNames() []string { return jobSourceNames }

// Exceptions holds exceptions rows column by column, like Traces. Empty strings are NULL in
// the database, except in Details.
type Exceptions struct {
	Time             []int64
	Instance         Dict
	Job, Operation   Dict
	Origin           Dict // crash | stdout | stderr | kudu | handled
	InferredBy       Dict
	OuterType        Strings
	OuterMessage     Strings
	InnermostType    Strings
	InnermostMessage Strings
	Details          Strings
	Frames           []int32
	Severity         []int8
	LineNo           []int64
	LineCount        []int32
}

// Len returns the number of rows.
func (e *Exceptions) Len() int { return len(e.Time) }

func (e *Exceptions) reset() {
	e.Time = e.Time[:0]
	e.Instance.reset()
	e.Job.reset()
	e.Operation.reset()
	e.Origin.reset()
	e.InferredBy.reset()
	e.OuterType.reset()
	e.OuterMessage.reset()
	e.InnermostType.reset()
	e.InnermostMessage.reset()
	e.Details.reset()
	e.Frames = e.Frames[:0]
	e.Severity = e.Severity[:0]
	e.LineNo = e.LineNo[:0]
	e.LineCount = e.LineCount[:0]
}

// add appends the row x; its strings are copied.
func (e *Exceptions) add(x *exceptionRow) {
	e.Time = append(e.Time, x.time)
	e.Instance.addString(x.instance)
	e.Job.addString(x.job)
	e.Operation.addString(x.operation)
	e.Origin.addString(x.origin)
	e.InferredBy.addString(x.inferredBy)
	e.OuterType.addString(x.outerType)
	e.OuterMessage.addString(x.outerMessage)
	e.InnermostType.addString(x.innermostType)
	e.InnermostMessage.addString(x.innermostMessage)
	e.Details.add(x.details)
	e.Frames = append(e.Frames, x.frames)
	e.Severity = append(e.Severity, x.severity)
	e.LineNo = append(e.LineNo, x.lineNo)
	e.LineCount = append(e.LineCount, x.lineCount)
}

// exceptionRow describes one row for Exceptions.add. Its strings and slices may alias
// buffers that change after add.
type exceptionRow struct {
	time                                         int64
	instance, job, operation, origin, inferredBy string
	outerType, outerMessage                      string
	innermostType, innermostMessage              string
	details                                      []byte
	frames                                       int32
	severity                                     int8
	lineNo                                       int64
	lineCount                                    int32
}

// Row returns row i as an Exception (it copies; for tests and tools, not the hot path).
func (e *Exceptions) Row(i int) Exception {
	return Exception{Time: e.Time[i], Instance: e.Instance.Value(i), Job: e.Job.Value(i), Operation: e.Operation.Value(i),
		Origin: e.Origin.Value(i), InferredBy: e.InferredBy.Value(i),
		OuterType: string(e.OuterType.Value(i)), OuterMessage: string(e.OuterMessage.Value(i)),
		InnermostType: string(e.InnermostType.Value(i)), InnermostMessage: string(e.InnermostMessage.Value(i)),
		Details: string(e.Details.Value(i)), Frames: e.Frames[i], Severity: e.Severity[i],
		LineNo: e.LineNo[i], LineCount: e.LineCount[i]}
}

// Exception is one exceptions row as values (Exceptions.Row).
type Exception struct {
	Time             int64
	Instance         string
	Job, Operation   string
	Origin           string // crash | stdout | stderr | kudu | handled
	InferredBy       string
	OuterType        string
	OuterMessage     string
	InnermostType    string
	InnermostMessage string
	Details          string
	Frames           int32
	Severity         int8
	LineNo           int64
	LineCount        int32
}

// Events holds customEvents rows column by column, like Traces: the pipeline loads them as
// an Arrow record without copying.
type Events struct {
	Time       []int64 // unix microseconds, UTC
	Instance   Dict
	Job        Dict // "" when not known yet
	Operation  Dict
	Name       Dict
	Section    Dict    // "" when the context names none
	DurationS  []int32 // NullDuration if the context has no duration
	Properties Strings // JSON object
	LineNo     []int64
}

// Len returns the number of rows.
func (e *Events) Len() int { return len(e.Time) }

func (e *Events) reset() {
	e.Time = e.Time[:0]
	e.Instance.reset()
	e.Job.reset()
	e.Operation.reset()
	e.Name.reset()
	e.Section.reset()
	e.DurationS = e.DurationS[:0]
	e.Properties.reset()
	e.LineNo = e.LineNo[:0]
}

// Event is one customEvents row as values (Events.Row).
type Event struct {
	Time           int64
	Instance       string
	Job, Operation string
	Name           string
	Section        string
	DurationS      int32  // NullDuration if the context has no duration
	Properties     string // JSON object
	LineNo         int64
}

// Row returns row i as an Event (it copies the properties; for tests and tools, not for
// the hot path).
func (e *Events) Row(i int) Event {
	return Event{Time: e.Time[i], Instance: e.Instance.Value(i), Job: e.Job.Value(i), Operation: e.Operation.Value(i),
		Name: e.Name.Value(i), Section: e.Section.Value(i), DurationS: e.DurationS[i],
		Properties: string(e.Properties.Value(i)), LineNo: e.LineNo[i]}
}

// Reject is a line that could not be parsed, kept verbatim (up to MaxRejectBytes).
type Reject struct {
	LineNo int64
	Reason string
	Raw    string
}

// MaxRejectBytes is how much of a rejected line is kept.
const MaxRejectBytes = 4096

// Stats counts what a chunk held. Lines = Parsed + Rejected.
type Stats struct {
	Lines, Parsed, Rejected int64
	FirstTime, LastTime     int64 // unix µs of the earliest and latest row; 0 if none
	InvalidUTF8             int64 // lines whose invalid bytes were replaced by U+FFFD
	NULBytes                int64 // lines that held NUL bytes (replaced by U+FFFD)
	Truncated               int64 // lines cut at the line limit
	JobHints                [numJobs]int64
	CapReached              int64 // Kudu 200-line cap warnings
	Redacted                int64 // lines in which a secret was replaced
}

func (s *Stats) seeTime(t int64) {
	if s.FirstTime == 0 || t < s.FirstTime {
		s.FirstTime = t
	}
	if t > s.LastTime {
		s.LastTime = t
	}
}

// Add adds o into s.
func (s *Stats) Add(o *Stats) {
	s.Lines += o.Lines
	s.Parsed += o.Parsed
	s.Rejected += o.Rejected
	if o.FirstTime != 0 {
		s.seeTime(o.FirstTime)
		s.seeTime(o.LastTime)
	}
	s.InvalidUTF8 += o.InvalidUTF8
	s.NULBytes += o.NULBytes
	s.Truncated += o.Truncated
	for i := range s.JobHints {
		s.JobHints[i] += o.JobHints[i]
	}
	s.CapReached += o.CapReached
	s.Redacted += o.Redacted
}

// Batch is what one chunk of one file parses into. The pipeline owns it between Parse and
// Reset: Arrow arrays alias its buffers while DuckDB loads them.
type Batch struct {
	Traces     Traces
	Exceptions Exceptions
	Events     Events
	Rejects    []Reject
	Stats      Stats
	Site       string // App Service site name, when the chunk tells it (application-log CSV)
}

// Reset empties b, keeping its buffers for reuse.
func (b *Batch) Reset() {
	b.Traces.reset()
	b.Exceptions.reset()
	b.Events.reset()
	clear(b.Rejects)
	b.Rejects = b.Rejects[:0]
	b.Stats = Stats{}
	b.Site = ""
}

// NewBatch returns an empty batch with room for about rows trace rows.
func NewBatch(rows int) *Batch {
	b := &Batch{}
	t := &b.Traces
	t.Time = make([]int64, 0, rows)
	t.Level = make([]Level, 0, rows)
	t.System = make([]bool, 0, rows)
	t.Severity = make([]int8, 0, rows)
	t.Template = make([]int16, 0, rows)
	t.Instance.Index = make([]int32, 0, rows)
	t.Job.Index = make([]int32, 0, rows)
	t.JobSource = make([]JobSource, 0, rows)
	t.Operation.Index = make([]int32, 0, rows)
	t.PID = make([]int32, 0, rows)
	t.Truncated = make([]bool, 0, rows)
	t.Hash = make([]int64, 0, rows)
	t.LineNo = make([]int64, 0, rows)
	t.LineCount = make([]int32, 0, rows)
	t.Signals = make([]Signal, 0, rows)
	t.Message.Offsets = make([]int32, 1, rows+1)
	t.Message.Data = make([]byte, 0, rows*80)
	t.AppTime.Offsets = make([]int32, 1, rows+1)
	t.AppTime.Data = make([]byte, 0, rows*12)
	b.Reset()
	return b
}

// yoloString returns b as a string without copying. The string aliases b: use it only while
// b does not change (to analyse text whose results are copied before the buffer is reused).
func yoloString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
