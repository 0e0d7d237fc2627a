package parse

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf8"

	"github.com/zeebo/xxh3"
)

// Chunk is a run of whole lines of one file, as the pipeline cuts it. Chunks are cut only
// where a new record starts (see SafeCut), so a parser needs no state from the previous chunk.
type Chunk struct {
	Data      []byte  // whole lines; the last may lack its terminator
	FirstLine int64   // 1-based physical line number of the first line in Data
	Cut       []int64 // line numbers of lines the reader cut at the line limit, ascending
	File      *FileInfo
}

// FileInfo is what a parser needs to know about the file a chunk comes from.
type FileInfo struct {
	Job        string     // web-job name for a Kudu log; "" when unknown
	JobSource  JobSource  // how Job was found
	CSV        *CSVLayout // column layout of an application-log CSV (from its header line)
	MaxMessage int        // a record's message is cut after this many bytes; 0 means DefaultMaxMessage
	NoRedact   bool       // keep secrets (see Redact); only for the user's own eyes
}

// DefaultMaxMessage bounds a record's message (a multi-line record can grow without limit).
const DefaultMaxMessage = 1 << 20

// Parser parses chunks of one kind of log. A Parser keeps scratch state and is not safe for
// concurrent use; give each worker its own.
type Parser interface {
	// Parse appends the rows of c to b and counts its lines in b.Stats.
	Parse(c *Chunk, b *Batch)
}

// openCrash is an "Unhandled Exception:" block being collected.
type openCrash struct {
	instance []byte
	time     int64
	lineNo   int64
	lastLine int64
	lastTime int64
	text     []byte
}

// recorder appends rows to a Batch and keeps the state that spans lines within a chunk: the
// open record (for continuation lines) and open crash blocks per instance.
type recorder struct {
	b    *Batch
	c    *Chunk
	m    *matcher
	op   []byte // operation name of the file's job
	job  []byte
	jsrc JobSource

	// appLog: rows come from the application log, where both jobs' lines interleave, so a
	// crash block is closed only by a time gap or a new crash, not by other levels.
	appLog bool

	open      bool // the last row can take continuation lines
	openSys   bool
	openLevel Level
	openMulti bool
	rejecting bool // continuation lines follow a rejected line
	cutIdx    int
	clean     bool // the chunk is ASCII without NUL: no line needs sanitising

	// jobID, opID: Dict indexes of job and op in this chunk's batch, -1 until first added.
	jobID, opID int32

	crashes []openCrash
	blocks  []openBlock
	// openInCrash: the open record belongs to an unhandled-exception block (crashes), so the
	// printed-exception tracker leaves it alone.
	openInCrash bool
	scratch     []byte
	redact      []byte // scratch for redacted lines
	signals     []byte // scratch for messageSignals
	noRedact    bool
	maxMsg      int
}

func (r *recorder) begin(c *Chunk, b *Batch, appLog bool) {
	r.b, r.c, r.m, r.appLog = b, c, theMatcher, appLog
	r.open, r.rejecting, r.cutIdx = false, false, 0
	r.job = append(r.job[:0], c.File.Job...)
	r.jsrc = c.File.JobSource
	r.op = append(r.op[:0], OperationName(c.File.Job)...)
	r.jobID, r.opID = -1, -1
	r.maxMsg = c.File.MaxMessage
	if r.maxMsg <= 0 {
		r.maxMsg = DefaultMaxMessage
	}
	r.clean = isCleanASCII(c.Data)
	r.noRedact = c.File.NoRedact
}

// redacted returns b with secrets replaced (see Redact). The result is valid until the next call.
func (r *recorder) redacted(b []byte) []byte {
	if r.noRedact {
		return b
	}
	out, changed := Redact(r.redact, b)
	if changed {
		r.redact = out
		r.b.Stats.Redacted++
	}
	return out
}

// end closes what is open at the end of the chunk.
func (r *recorder) end() {
	r.closeRecord()
	for i := range r.crashes {
		r.finishCrash(&r.crashes[i])
	}
	r.crashes = r.crashes[:0]
	for i := range r.blocks {
		r.finishBlock(&r.blocks[i])
	}
	r.blocks = r.blocks[:0]
}

// sanitize returns line with invalid UTF-8 and NUL bytes replaced by U+FFFD (DuckDB stores
// only valid UTF-8), counting such lines. Clean lines are returned as they are.
func (r *recorder) sanitize(line []byte) []byte {
	if r.clean {
		return line
	}
	hasNUL := bytes.IndexByte(line, 0) >= 0
	valid := utf8.Valid(line)
	if valid && !hasNUL {
		return line
	}
	if !valid {
		r.b.Stats.InvalidUTF8++
		line = bytes.ToValidUTF8(line, []byte("\uFFFD"))
	}
	if hasNUL {
		r.b.Stats.NULBytes++
		line = bytes.ReplaceAll(line, []byte{0}, []byte("\uFFFD"))
	}
	return line
}

// validText returns b with invalid UTF-8 and NUL bytes replaced by U+FFFD, for the columns
// other than the message (sanitize counts the lines; these are rarely bad, and a bad byte
// there must not make DuckDB refuse the whole batch).
func validText(b []byte) []byte {
	if utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 {
		return b
	}
	return bytes.ReplaceAll(bytes.ToValidUTF8(b, []byte("\uFFFD")), []byte{0}, []byte("\uFFFD"))
}

// noText reports whether a sanitized line holds nothing but replacement characters: NUL
// bytes or undecodable bytes, such as the zeros a crashed writer leaves at the end of a
// preallocated log. Such a line is rejected rather than appended to the record before it.
func (r *recorder) noText(line []byte) bool {
	if r.clean || len(line) == 0 {
		return false
	}
	for len(line) >= 3 && line[0] == 0xEF && line[1] == 0xBF && line[2] == 0xBD {
		line = line[3:]
	}
	return len(line) == 0
}

// noTextReason is the reject reason of a line that noText reports.
const noTextReason = "no text: only NUL or undecodable bytes (padding of a file cut short?)"

// isTruncated reports whether the reader cut line lineNo at the line limit.
func (r *recorder) isTruncated(lineNo int64) bool {
	cut := r.c.Cut
	for r.cutIdx < len(cut) && cut[r.cutIdx] < lineNo {
		r.cutIdx++
	}
	if r.cutIdx < len(cut) && cut[r.cutIdx] == lineNo {
		r.b.Stats.Truncated++
		return true
	}
	return false
}

// row describes one record for add.
type row struct {
	time      int64
	instance  []byte
	level     Level
	system    bool
	msg       []byte // without the Kudu prefix; the app prefix is split off here
	pid       int32
	lineNo    int64
	lineCount int32
	truncated bool
}

// add appends a trace row (and the exception and event rows it implies).
func (r *recorder) add(w *row) {
	r.closeRecord()
	b, t := r.b, &r.b.Traces
	w.msg = r.redacted(w.msg)
	var appTime, msg []byte
	if w.system {
		msg = w.msg
	} else {
		appTime, msg = splitAppPrefix(w.msg)
	}
	if len(msg) > r.maxMsg {
		msg = msg[:r.maxMsg]
		w.truncated = true
	}
	num := r.m.match(msg)
	hint := NoJob
	var ev eventLine
	isEvent := false
	if num == r.m.event {
		ev, isEvent = parseEventLine(msg)
		hint = sectionJobBytes(ev.section)
	} else if num != 0 {
		hint = r.m.templateJob(num, msg)
	}
	if num != 0 {
		b.Stats.JobHints[hint]++
	}

	t.Time = append(t.Time, w.time)
	t.Instance.add(w.instance)
	t.Level = append(t.Level, w.level)
	t.System = append(t.System, w.system)
	if w.system {
		t.Severity = append(t.Severity, NullSeverity)
	} else {
		t.Severity = append(t.Severity, r.m.severity(num))
	}
	t.Message.add(msg)
	t.AppTime.add(appTime)
	t.Template = append(t.Template, num)
	switch {
	case len(r.job) > 0:
		t.Job.addCached(r.job, &r.jobID)
		t.JobSource = append(t.JobSource, r.jsrc)
		if hint == CallRecordWebhookController {
			t.Operation.addString(hint.String())
		} else {
			t.Operation.addCached(r.op, &r.opID)
		}
	case hint != NoJob:
		t.Job.addString(hint.String())
		t.JobSource = append(t.JobSource, JobByTemplate)
		t.Operation.addString(hint.String())
	default:
		t.Job.add(nil)
		t.JobSource = append(t.JobSource, JobUnknown)
		t.Operation.add(nil)
	}
	t.PID = append(t.PID, w.pid)
	t.Truncated = append(t.Truncated, w.truncated)
	t.Hash = append(t.Hash, lineHash(w.level, w.system, msg))
	t.LineNo = append(t.LineNo, w.lineNo)
	t.LineCount = append(t.LineCount, w.lineCount)
	t.Signals = append(t.Signals, 0) // closeRecord sets them once the message is whole
	b.Stats.seeTime(w.time)

	r.open, r.openSys, r.openLevel, r.openMulti, r.rejecting = true, w.system, w.level, false, false
	r.openInCrash = false
	if isEvent {
		r.addEvent(w, &ev)
	}
	if num != 0 && r.m.exHole[num] > 0 {
		r.addHandled(w, msg, num)
	}
	if num != 0 && r.m.ids[num] == "kudu-output-capped" {
		b.Stats.CapReached++
	}
	r.trackCrash(w, msg, num)
}

// lineHash identifies a line's content for merging copies of it; time, instance and job are
// compared separately.
func lineHash(l Level, sys bool, msg []byte) int64 {
	h := xxh3.Hash(msg)
	h ^= uint64(l)<<56 | uint64(b2u(sys))<<48
	return int64(h)
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// continueRecord appends a continuation line to the open record; it reports false when there
// is none (the caller rejects the line).
func (r *recorder) continueRecord(line []byte, lineNo int64) bool {
	if !r.open {
		return false
	}
	t := &r.b.Traces
	last := t.Len() - 1
	line = r.redacted(line)
	if t.Message.Len() > 0 && len(t.Message.Last())+1+len(line) <= r.maxMsg {
		t.Message.extendLast('\n', line)
	} else {
		t.Truncated[last] = true
	}
	t.LineCount[last] = int32(lineNo - t.LineNo[last] + 1)
	r.openMulti = true
	return true
}

// closeRecord finishes the open record: a multi-line record gets its hash recomputed, a
// Kudu SYS ERR/WARN record holding a .NET exception becomes an exceptions row too, and a
// console record is given to the printed-exception tracker (trackBlock) now that it is whole.
func (r *recorder) closeRecord() {
	if !r.open {
		return
	}
	r.open = false
	t := &r.b.Traces
	last := t.Len() - 1
	t.Signals[last], r.signals = messageSignals(t.Message.Last(), r.clean, r.signals)
	if r.openMulti {
		msg := t.Message.Last()
		t.Hash[last] = lineHash(t.Level[last], t.System[last], msg)
		if r.openSys && r.openLevel != Info && looksLikeException(msg) {
			// msg is the batch's own copy, which stays as it is while the row is added.
			info := AnalyzeException(yoloString(msg))
			r.b.Exceptions.add(&exceptionRow{
				time: t.Time[last], instance: t.Instance.Value(last), job: t.Job.Value(last), operation: t.Operation.Value(last),
				origin:    "kudu",
				outerType: info.OuterType, outerMessage: info.OuterMessage,
				innermostType: info.InnermostType, innermostMessage: info.InnermostMessage,
				details: msg, frames: int32(info.Frames), severity: NullSeverity,
				lineNo: t.LineNo[last], lineCount: t.LineCount[last],
			})
		}
	}
	switch {
	case r.openSys:
		// A lifecycle line: the process printing any open exception text has gone or changed.
		r.finishBlocks(t.Instance.Value(last))
	case !r.openInCrash:
		r.trackBlock(last)
	}
}

// looksLikeException reports whether a multi-line message holds .NET exception text.
func looksLikeException(msg []byte) bool {
	return bytes.Contains(msg, []byte("\n   at ")) || findTypeToken(yoloString(firstLine(msg))) >= 0 ||
		bytes.Contains(msg, []byte("Exception: "))
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}

// reject records a line that cannot be parsed. Continuation lines that follow a rejected line
// are rejected too (the caller checks r.rejecting), since they belong to it.
func (r *recorder) reject(lineNo int64, reason string, raw []byte) {
	r.closeRecord()
	raw = r.redacted(raw)
	if len(raw) > MaxRejectBytes {
		// Cut at a character boundary: the line is valid UTF-8 by now, and a character cut
		// in two would be counted as invalid UTF-8.
		n := MaxRejectBytes
		for n > 0 && raw[n]&0xC0 == 0x80 {
			n--
		}
		raw = raw[:n]
	}
	r.b.Rejects = append(r.b.Rejects, Reject{LineNo: lineNo, Reason: reason, Raw: string(r.sanitize(raw))})
	r.b.Stats.Rejected++
	r.rejecting = true
}

// Crash blocks: an unhandled exception is printed on stderr as consecutive ERR lines of one
// instance, starting with "Unhandled Exception:" (§6.2). The block ends at a line of another
// level from the same instance (Kudu log; but not at stdout lines of exception text, which
// interleave when the program printed the exception there too), a new crash, a SYS line, or a
// pause.
const crashMaxGap = 10 * usPerSecond

func isCrashHeader(msg []byte) bool {
	return bytes.HasPrefix(msg, []byte(unhandledPrefix)) || bytes.HasPrefix(msg, []byte(unhandledCore))
}

func (r *recorder) trackCrash(w *row, msg []byte, num int16) {
	idx := -1
	for i := range r.crashes {
		if bytes.Equal(r.crashes[i].instance, w.instance) {
			idx = i
			break
		}
	}
	if w.level == Err && !w.system && isCrashHeader(msg) {
		if idx >= 0 {
			r.finishCrash(&r.crashes[idx])
			r.removeCrash(idx)
		}
		// Reuse the buffers of a finished crash kept past the end of the slice.
		n := len(r.crashes)
		if n == cap(r.crashes) {
			r.crashes = append(r.crashes, openCrash{})
		} else {
			r.crashes = r.crashes[:n+1]
		}
		oc := &r.crashes[n]
		*oc = openCrash{
			instance: append(oc.instance[:0], w.instance...),
			time:     w.time, lineNo: w.lineNo, lastLine: w.lineNo, lastTime: w.time,
			text: append(oc.text[:0], msg...),
		}
		r.openInCrash = true
		return
	}
	if idx < 0 {
		return
	}
	oc := &r.crashes[idx]
	extends := w.level == Err && !w.system && w.time-oc.lastTime <= crashMaxGap
	if extends {
		oc.text = append(oc.text, '\n')
		oc.text = append(oc.text, msg...)
		oc.lastLine = w.lineNo + int64(w.lineCount) - 1
		oc.lastTime = w.time
		r.openInCrash = true
		return
	}
	if !w.system && w.level != Err && w.time-oc.lastTime <= crashMaxGap &&
		(r.appLog || isExceptionContinuation(msg) || isExceptionHeader(firstLine(msg))) {
		// The other job's lines interleave in the application log; in a Kudu log, stdout
		// lines of exception text interleave when the program printed it there too.
		return
	}
	r.finishCrash(oc)
	r.removeCrash(idx)
}

// removeCrash removes crash i, keeping the order of the others, and parks its buffers past
// the end of the slice for the next crash (each element keeps buffers of its own).
func (r *recorder) removeCrash(i int) {
	done := r.crashes[i]
	copy(r.crashes[i:], r.crashes[i+1:])
	last := len(r.crashes) - 1
	r.crashes[last] = done
	r.crashes = r.crashes[:last]
}

func (r *recorder) finishCrash(oc *openCrash) {
	info := AnalyzeException(yoloString(oc.text)) // oc.text stays as it is until the row is added
	job, op := yoloString(r.job), yoloString(r.op)
	if job == "" {
		// Application log: the crash's job is attributed later with its trace rows.
		op = ""
	}
	r.b.Exceptions.add(&exceptionRow{
		time: oc.time, instance: yoloString(oc.instance), job: job, operation: op,
		origin:    "crash",
		outerType: info.OuterType, outerMessage: info.OuterMessage,
		innermostType: info.InnermostType, innermostMessage: info.InnermostMessage,
		details: oc.text, frames: int32(info.Frames), severity: NullSeverity,
		lineNo: oc.lineNo, lineCount: int32(oc.lastLine - oc.lineNo + 1),
	})
}

// addHandled adds the exceptions row of a template line that prints a caught exception's message.
func (r *recorder) addHandled(w *row, msg []byte, num int16) {
	text := r.m.byNum[num].hole(msg, int(r.m.exHole[num]))
	if len(text) == 0 {
		return
	}
	id := r.m.ids[num]
	// text aliases msg, which stays as it is until the row is added.
	h := inferHandled(yoloString(text), strings.HasPrefix(id, "page-updates-dbupdate"))
	t := &r.b.Traces
	last := t.Len() - 1
	r.b.Exceptions.add(&exceptionRow{
		time: w.time, instance: t.Instance.Value(last), job: t.Job.Value(last), operation: t.Operation.Value(last),
		origin: "handled", inferredBy: h.rule,
		outerType: h.outerType, outerMessage: h.outerMessage,
		innermostType: h.innermostType, innermostMessage: h.innermostMessage,
		details: msg, severity: r.m.severity(num),
		lineNo: w.lineNo, lineCount: w.lineCount,
	})
}

func (r *recorder) addEvent(w *row, ev *eventLine) {
	t := &r.b.Traces
	last := t.Len() - 1
	e := &r.b.Events
	e.Time = append(e.Time, w.time)
	e.Instance.add(w.instance)
	e.Job.addString(t.Job.Value(last))
	e.Operation.addString(t.Operation.Value(last))
	e.Name.add(ev.name)
	e.Section.add(ev.section)
	e.DurationS = append(e.DurationS, ev.duration)
	e.Properties.Data = appendPropsJSON(e.Properties.Data, ev.props)
	e.Properties.Offsets = append(e.Properties.Offsets, int32(len(e.Properties.Data)))
	e.LineNo = append(e.LineNo, w.lineNo)
}

// isCleanASCII reports whether data is 7-bit ASCII without NUL bytes, 32 bytes at a time.
func isCleanASCII(data []byte) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	// A word v has a byte ≥ 0x80 iff v&hi != 0, and a zero byte iff (v-lo)&^v&hi != 0
	// (for words without high bytes, which is all that matters once the first test passed).
	// Four words are tested with one branch: the loop runs at memory speed instead of
	// costing a tenth of the parse.
	i := 0
	for ; i+32 <= len(data); i += 32 {
		d := data[i : i+32 : i+32] // one bounds check for the four loads
		a := binary.LittleEndian.Uint64(d[0:])
		b := binary.LittleEndian.Uint64(d[8:])
		c := binary.LittleEndian.Uint64(d[16:])
		e := binary.LittleEndian.Uint64(d[24:])
		if ((a|b|c|e)|((a-lo)&^a)|((b-lo)&^b)|((c-lo)&^c)|((e-lo)&^e))&hi != 0 {
			return false
		}
	}
	for ; i < len(data); i++ {
		if data[i] >= 0x80 || data[i] == 0 {
			return false
		}
	}
	return true
}
