package parse

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// App Service application logs carry every console line of the web-jobs, past Kudu's 200-line
// cap, but no job name (docs/formats.md §5.1). Two shapes are read: blob CSV and file-system text.

// CSVLayout maps the columns of an application-log CSV, from its header line:
//
//	date,level,applicationName,instanceId,eventTickCount,eventId,pid,tid,message,activityId
type CSVLayout struct {
	Header                                          []string
	Date, Level, App, Instance, Ticks, PID, Message int // column index, -1 if absent
}

// ErrNotAppLogCSV means a header line is not an application-log CSV header.
var ErrNotAppLogCSV = errors.New("not an application-log CSV header (want date,level,...,message)")

// NewCSVLayout reads a header line (terminator and UTF-8 BOM allowed).
func NewCSVLayout(header []byte) (*CSVLayout, error) {
	header = bytes.TrimPrefix(header, []byte("\xEF\xBB\xBF"))
	header = bytes.TrimRight(header, "\r\n")
	l := &CSVLayout{Date: -1, Level: -1, App: -1, Instance: -1, Ticks: -1, PID: -1, Message: -1}
	for i, f := range strings.Split(string(header), ",") {
		name := strings.ToLower(strings.Trim(strings.TrimSpace(f), `"`))
		l.Header = append(l.Header, name)
		switch name {
		case "date":
			l.Date = i
		case "level":
			l.Level = i
		case "applicationname":
			l.App = i
		case "instanceid":
			l.Instance = i
		case "eventtickcount":
			l.Ticks = i
		case "pid":
			l.PID = i
		case "message":
			l.Message = i
		}
	}
	if l.Date < 0 || l.Level < 0 || l.Message < 0 {
		return nil, ErrNotAppLogCSV
	}
	return l, nil
}

// LooksLikeAppLogCSV reports whether data starts with an application-log CSV header.
func LooksLikeAppLogCSV(data []byte) bool {
	line := firstLine(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")))
	_, err := NewCSVLayout(line)
	return err == nil
}

// AppLogCSV parses application-log CSV (RFC 4180; a quoted field may span lines). The header is
// line 1 of the file; the caller passes its layout in FileInfo.CSV.
type AppLogCSV struct {
	rec    recorder
	fields [][]byte
	buf    []byte // unquoted field text of the slow path
	ends   []int
	w      row
}

// maxRecordLines bounds how many physical lines one CSV record may span; an unterminated quote
// would otherwise swallow the rest of the file.
const maxRecordLines = 1000

// Parse implements Parser.
func (p *AppLogCSV) Parse(c *Chunk, b *Batch) {
	r := &p.rec
	r.begin(c, b, true)
	lay := c.File.CSV
	data := c.Data
	lineNo := c.FirstLine
	if lineNo == 1 && len(data) > 0 { // the header, already read by the caller
		_, data = cutLine(data)
		b.Stats.Lines++
		b.Stats.Parsed++
		lineNo++
	}
	for len(data) > 0 {
		start := data
		fields, n, rest, err := p.readRecord(data)
		if err != nil {
			// Reject the first line only and resynchronise on the next one.
			line, after := cutLine(data)
			b.Stats.Lines++
			r.reject(lineNo, err.Error(), trimCR(line))
			data = after
			lineNo++
			continue
		}
		b.Stats.Lines += int64(n)
		data = rest
		if reason := p.addRecord(lay, fields, lineNo, int32(n)); reason != "" {
			r.reject(lineNo, reason, trimCR(firstLine(start)))
			b.Stats.Rejected += int64(n) - 1 // the record's other lines go with it
		} else {
			b.Stats.Parsed += int64(n)
		}
		lineNo += int64(n)
	}
	r.end()
}

func trimCR(b []byte) []byte { return bytes.TrimSuffix(b, []byte{'\r'}) }

func cutLine(data []byte) (line, rest []byte) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return data[:i], data[i+1:]
	}
	return data, nil
}

// readRecord reads one CSV record from data and returns its fields (aliasing data or p.buf),
// the number of physical lines it spans and the rest of data.
func (p *AppLogCSV) readRecord(data []byte) (fields [][]byte, lines int, rest []byte, err error) {
	line, rest := cutLine(data)
	line = bytes.TrimSuffix(line, []byte{'\r'})
	p.fields = p.fields[:0]
	if bytes.IndexByte(line, '"') < 0 { // fast path: no quoting
		for {
			i := bytes.IndexByte(line, ',')
			if i < 0 {
				p.fields = append(p.fields, line)
				break
			}
			p.fields = append(p.fields, line[:i])
			line = line[i+1:]
		}
		return p.fields, 1, rest, nil
	}
	// Slow path: RFC 4180, quoted fields with "" escapes and line breaks.
	p.buf = p.buf[:0]
	p.ends = p.ends[:0]
	lines = 1
	i := 0
	for {
		if i < len(data) && data[i] == '"' {
			i++
			for {
				j := bytes.IndexByte(data[i:], '"')
				if j < 0 {
					return nil, 1, nil, errors.New("unterminated quoted field")
				}
				seg := data[i : i+j]
				if nl := bytes.Count(seg, []byte{'\n'}); nl > 0 {
					lines += nl
					if lines > maxRecordLines {
						return nil, 1, nil, errors.New("unterminated quoted field")
					}
				}
				if bytes.IndexByte(seg, '\r') >= 0 {
					seg = bytes.ReplaceAll(seg, []byte("\r\n"), []byte{'\n'})
				}
				p.buf = append(p.buf, seg...)
				i += j + 1
				if i < len(data) && data[i] == '"' { // escaped quote
					p.buf = append(p.buf, '"')
					i++
					continue
				}
				break
			}
			// Text after the closing quote up to the separator is kept (lenient).
			for i < len(data) && data[i] != ',' && data[i] != '\n' {
				if data[i] != '\r' {
					p.buf = append(p.buf, data[i])
				}
				i++
			}
		} else {
			start := len(p.buf)
			for i < len(data) && data[i] != ',' && data[i] != '\n' {
				p.buf = append(p.buf, data[i])
				i++
			}
			// A CR before the line end belongs to it (only this field's own byte is looked at).
			if n := len(p.buf); n > start && p.buf[n-1] == '\r' && (i >= len(data) || data[i] == '\n') {
				p.buf = p.buf[:n-1]
			}
		}
		p.ends = append(p.ends, len(p.buf))
		if i >= len(data) {
			rest = nil
			break
		}
		if data[i] == '\n' {
			rest = data[i+1:]
			break
		}
		i++ // ','
	}
	start := 0
	for _, e := range p.ends {
		p.fields = append(p.fields, p.buf[start:e])
		start = e
	}
	return p.fields, lines, rest, nil
}

// addRecord adds one CSV record; it returns a reject reason or "".
func (p *AppLogCSV) addRecord(lay *CSVLayout, fields [][]byte, lineNo int64, lines int32) string {
	n, want := len(fields), len(lay.Header)
	var msg []byte
	switch {
	case n == want:
		msg = fields[lay.Message]
	case n > want && lay.Message < want:
		// Unquoted commas inside the message: the columns after it are counted from the right.
		after := want - lay.Message - 1
		first, last := fields[lay.Message], fields[n-after-1]
		msg = joinSpan(fields[lay.Message:n-after], first, last)
		tail := fields[n-after:]
		fields = append(fields[:lay.Message+1:lay.Message+1], tail...)
		fields[lay.Message] = msg
	case n == want-1 && lay.Message < want-1 && lay.Header[want-1] == "activityid":
		msg = fields[lay.Message] // the optional trailing activityId is missing
	default:
		return fmt.Sprintf("expected %d CSV fields, found %d", want, n)
	}
	t, ok := csvTime(lay, fields)
	if !ok {
		return "invalid date/eventTickCount"
	}
	if lay.App >= 0 && lay.App < len(fields) && p.rec.b.Site == "" && len(fields[lay.App]) > 0 {
		p.rec.b.Site = string(validText(fields[lay.App]))
	}
	var inst []byte
	if lay.Instance >= 0 && lay.Instance < len(fields) {
		inst = validText(fields[lay.Instance])
	}
	pid := NullPID
	if lay.PID >= 0 && lay.PID < len(fields) {
		if v, ok := atoi(fields[lay.PID]); ok {
			pid = int32(v)
		}
	}
	p.w = row{
		time: t, instance: inst, level: appLevel(fields[lay.Level]), msg: p.rec.sanitize(msg),
		pid: pid, lineNo: lineNo, lineCount: lines,
		truncated: len(p.rec.c.Cut) > 0 && p.rec.isTruncated(lineNo),
	}
	p.rec.add(&p.w)
	return ""
}

// joinSpan returns the bytes from first to last, which are sub-slices of one line, including
// the commas between them.
func joinSpan(fields [][]byte, first, last []byte) []byte {
	if len(fields) == 1 {
		return first
	}
	// The fast path's fields alias one line in order, so the span is contiguous.
	end := cap(first) - cap(last) + len(last)
	if end < 0 || end > cap(first) {
		return bytes.Join(fields, []byte{','})
	}
	return first[:end]
}

// .NET ticks (100 ns since 0001-01-01) of the Unix epoch.
const ticksAtEpoch = 621355968000000000

// csvTime returns the row time: eventTickCount (sub-second) when it agrees with the date
// column to within a day, else the date (second resolution).
func csvTime(lay *CSVLayout, fields [][]byte) (int64, bool) {
	dt, dok := int64(0), false
	if lay.Date < len(fields) {
		dt, dok = parseISOSecond(fields[lay.Date])
	}
	if lay.Ticks >= 0 && lay.Ticks < len(fields) {
		if ticks, ok := atoi(fields[lay.Ticks]); ok && ticks > ticksAtEpoch {
			us := (ticks - ticksAtEpoch) / 10
			if us < 253402300800*usPerSecond && (!dok || abs64(us-dt) < usPerDay) {
				return us, true
			}
		}
	}
	return dt, dok
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// parseYMD reads yyyy-MM-dd at b[0:10].
func parseYMD(b []byte) (y, m, d int, ok bool) {
	y, ok1 := digit4(b)
	m, ok2 := digit2(b[5:])
	d, ok3 := digit2(b[8:])
	return y, m, d, ok1 && ok2 && ok3 && b[4] == '-' && b[7] == '-'
}

// parseISOSecond parses "yyyy-MM-ddTHH:mm:ss" (UTC) at the start of b.
func parseISOSecond(b []byte) (int64, bool) {
	if len(b) < 19 || b[10] != 'T' && b[10] != ' ' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	y, m, d, ok := parseYMD(b)
	if !ok || !validDate(y, m, d) {
		return 0, false
	}
	tod, ok := usOfDay(b[11:])
	if !ok {
		return 0, false
	}
	return daysFromCivil(y, m, d)*usPerDay + tod, true
}

func atoi(b []byte) (int64, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	neg := false
	if b[0] == '-' {
		neg, b = true, b[1:]
	}
	var n int64
	for _, c := range b {
		if c-'0' > 9 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, len(b) > 0
}

// appLevel maps an application-log level word onto Level.
func appLevel(b []byte) Level {
	if len(b) == 0 {
		return Info
	}
	switch b[0] | 0x20 {
	case 'w':
		return Warn
	case 'e', 'c', 'f': // Error, Critical, Fatal
		return Err
	case 'v', 'd': // Verbose, Debug
		return Verbose
	}
	return Info
}

// AppLogText parses file-system application logs (D:\home\LogFiles\Application\*.txt):
//
//	2026-11-19T21:40:07  PID[4312] Information 21-40-07:12: Got SQL error: ...
//
// The level sits in an 11-character field followed by one space, so leading spaces of the
// message (stack frames) survive. Lines that do not start like this continue the record
// before them, as Kudu's own reader treats them.
type AppLogText struct {
	rec recorder
	w   row
}

// Parse implements Parser.
func (p *AppLogText) Parse(c *Chunk, b *Batch) {
	r := &p.rec
	r.begin(c, b, true)
	data := c.Data
	lineNo := c.FirstLine - 1
	for len(data) > 0 {
		var line []byte
		line, data = cutLine(data)
		lineNo++
		b.Stats.Lines++
		line = r.sanitize(trimCR(line))
		if lineNo == 1 {
			line = bytes.TrimPrefix(line, []byte("\xEF\xBB\xBF"))
		}
		t, pid, lvl, msg, ok := parseAppTextLine(line)
		switch {
		case ok:
			b.Stats.Parsed++
			p.w = row{time: t, level: lvl, msg: msg, pid: pid, lineNo: lineNo, lineCount: 1,
				truncated: len(c.Cut) > 0 && r.isTruncated(lineNo)}
			r.add(&p.w)
		case r.noText(line):
			r.reject(lineNo, noTextReason, line)
		case r.rejecting:
			r.reject(lineNo, "continuation of a rejected line", line)
		case r.continueRecord(line, lineNo):
			b.Stats.Parsed++
		default:
			r.reject(lineNo, "continuation line before the first log entry", line)
		}
	}
	r.end()
}

// parseAppTextLine parses one file-system application-log entry line.
func parseAppTextLine(line []byte) (t int64, pid int32, lvl Level, msg []byte, ok bool) {
	t, ok = parseISOSecond(line)
	if !ok {
		return
	}
	rest := bytes.TrimLeft(line[19:], " \t")
	if !bytes.HasPrefix(rest, []byte("PID[")) {
		return 0, 0, 0, nil, false
	}
	end := bytes.IndexByte(rest, ']')
	if end < 0 {
		return 0, 0, 0, nil, false
	}
	v, vok := atoi(rest[4:end])
	if !vok {
		return 0, 0, 0, nil, false
	}
	pid = int32(v)
	rest = rest[end+1:]
	if len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	w := bytes.IndexByte(rest, ' ')
	word := rest
	if w >= 0 {
		word = rest[:w]
	}
	switch string(word) {
	case "Information", "Warning", "Error", "Verbose":
	default:
		return 0, 0, 0, nil, false
	}
	lvl = appLevel(word)
	// The level is padded to 11 characters plus one space.
	if len(rest) >= 12 && bytes.Count(rest[len(word):12], []byte{' '}) == 12-len(word) {
		msg = rest[12:]
	} else {
		msg = bytes.TrimLeft(rest[len(word):], " ")
	}
	return t, pid, lvl, msg, true
}

// LooksLikeAppLogText reports whether data starts with a file-system application-log entry.
func LooksLikeAppLogText(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	for i := 0; i < 5 && len(data) > 0; i++ {
		var line []byte
		line, data = cutLine(data)
		if _, _, _, _, ok := parseAppTextLine(trimCR(line)); ok {
			return true
		}
	}
	return false
}

// CSVSafeCut returns the largest offset n ≤ len(data) at which a chunk of application-log CSV
// may end: after a line break outside quotes, before a row that is not an Error row (so a
// crash block is not split) nor a line of printed exception text. It returns 0 if there is none.
func CSVSafeCut(data []byte) int {
	quotes := bytes.Count(data, []byte{'"'})
	end := len(data)
	for end > 0 {
		i := bytes.LastIndexByte(data[:end], '\n')
		if i < 0 {
			return 0
		}
		quotes -= bytes.Count(data[i+1:end], []byte{'"'})
		end = i
		if quotes%2 != 0 {
			continue
		}
		next := data[i+1:]
		if _, ok := parseISOSecond(next); !ok {
			continue
		}
		// The level is the second field; it must be complete to be judged.
		line := firstLine(next)
		if c := bytes.IndexByte(line, ','); c >= 0 {
			if l := bytes.IndexByte(line[c+1:], ','); l > 0 && appLevel(line[c+1:c+1+l]) != Err && !looksLikeStackRow(line) {
				return i + 1
			}
		}
	}
	return 0
}

// looksLikeStackRow reports whether a CSV line's message may continue printed exception text
// (a frame or separator): a cheap over-approximation, since a cut is only moved back by it.
func looksLikeStackRow(line []byte) bool {
	return bytes.Contains(line, []byte(",   at ")) || bytes.Contains(line, []byte(",\"   at ")) ||
		bytes.Contains(line, []byte("--- End of ")) || bytes.Contains(line, []byte("---> "))
}

// TextSafeCut is CSVSafeCut for file-system application logs: it cuts before an entry line
// that is not an Error entry and not a line of printed exception text.
func TextSafeCut(data []byte) int {
	end := len(data)
	for end > 0 {
		i := bytes.LastIndexByte(data[:end], '\n')
		if i < 0 {
			return 0
		}
		end = i
		if _, _, lvl, msg, ok := parseAppTextLine(trimCR(firstLine(data[i+1:]))); ok && lvl != Err && !isExceptionContinuation(msg) {
			return i + 1
		}
	}
	return 0
}
