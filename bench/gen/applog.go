package gen

import (
	"io"
	"strconv"
	"time"
)

// CSVHeader is the first line of every blob application log.
const CSVHeader = "date,level,applicationName,instanceId,eventTickCount,eventId,pid,tid,message,activityId\r\n"

// appLevel is the application-log level of a console line: Kudu traces stdout with
// Trace.TraceInformation and stderr with Trace.TraceError.
func appLevel(e *Event) string {
	if e.Stream == Stderr {
		return "Error"
	}
	return "Information"
}

// AppendCSVRow appends one blob application-log row for e (a stdout/stderr event):
// date (second resolution), level, site, instance, .NET ticks, eventId 0, pid, tid, message
// (RFC 4180 quoted when needed), empty activityId, CRLF.
func AppendCSVRow(b []byte, site string, e *Event) []byte {
	b = appendISOSecond(b, e.Time)
	b = append(b, ',')
	b = append(b, appLevel(e)...)
	b = append(b, ',')
	b = appendCSVField(b, site)
	b = append(b, ',')
	b = append(b, e.Instance...)
	b = append(b, ',')
	b = strconv.AppendInt(b, Ticks(e.Time), 10)
	b = append(b, ",0,"...)
	b = strconv.AppendInt(b, int64(e.PID), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(e.TID), 10)
	b = append(b, ',')
	b = appendCSVField(b, e.Text)
	return append(b, ',', '\r', '\n')
}

func appendCSVField(b []byte, s string) []byte {
	quote := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			quote = true
		}
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// BlobName is the blob path of the application log holding an event of instance/pid at t:
// <site>/<yyyy>/<MM>/<dd>/<HH>/<instance>-<pid>.applicationLog.csv (UTC hour folders).
func BlobName(site string, t time.Time, instance string, pid int) string {
	b := make([]byte, 0, len(site)+48)
	b = append(b, site...)
	y, mo, d := t.Date()
	b = append(b, '/')
	b = append4(b, y)
	b = append(b, '/')
	b = append2(b, int(mo))
	b = append(b, '/')
	b = append2(b, d)
	b = append(b, '/')
	b = append2(b, t.Hour())
	b = append(b, '/')
	b = append(b, instance...)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, ".applicationLog.csv"...)
	return string(b)
}

// CSVLog renders console events as one blob application log (header + rows). Kudu SYS events
// are skipped: they are not traced to application logs.
type CSVLog struct {
	w      io.Writer
	site   string
	buf    []byte
	header bool
	// Rows counts the rows written; the header is line 1, row n is line n+1.
	Rows int64
}

// NewCSVLog returns a renderer that writes the header and then one row per console event.
func NewCSVLog(w io.Writer, site string) *CSVLog {
	return &CSVLog{w: w, site: site, buf: make([]byte, 0, 512)}
}

// Write renders e (no-op for Kudu SYS lines).
func (c *CSVLog) Write(e *Event) error {
	if e.Stream == KuduSystem {
		return nil
	}
	c.buf = c.buf[:0]
	if !c.header {
		c.buf = append(c.buf, CSVHeader...)
		c.header = true
	}
	c.buf = AppendCSVRow(c.buf, c.site, e)
	c.Rows++
	_, err := c.w.Write(c.buf)
	return err
}

// BlobSink creates the files of a multi-file output (blob application logs, bundles).
type BlobSink interface {
	Create(name string) (io.WriteCloser, error)
}

// BlobLogs splits console events into hourly blobs per instance and SCM process, as App
// Service's blob application logging does. At most one blob per instance is open at a time.
type BlobLogs struct {
	sink BlobSink
	site string
	open map[string]*openBlob // by instance
	buf  []byte
	fs   bool // file-system text format: <instance>-<pid>.txt, no header, no hourly split
	// OnRow, if set, is called for every row with the blob name and its 1-based line number
	// (the header is line 1).
	OnRow func(e *Event, blob string, line int64)
}

type openBlob struct {
	name string
	w    io.WriteCloser
	rows int64
}

// NewBlobLogs returns a splitter writing into sink.
func NewBlobLogs(sink BlobSink, site string) *BlobLogs {
	return &BlobLogs{sink: sink, site: site, open: map[string]*openBlob{}, buf: make([]byte, 0, 512)}
}

// Write renders e into its hour's blob (no-op for Kudu SYS lines).
func (bl *BlobLogs) Write(e *Event) error {
	if e.Stream == KuduSystem {
		return nil
	}
	var name string
	if bl.fs {
		name = e.Instance + "-" + itoa(e.PID) + ".txt"
	} else {
		name = BlobName(bl.site, e.Time, e.Instance, e.PID)
	}
	ob := bl.open[e.Instance]
	bl.buf = bl.buf[:0]
	if ob == nil || ob.name != name {
		if ob != nil {
			if err := ob.w.Close(); err != nil {
				return err
			}
		}
		w, err := bl.sink.Create(name)
		if err != nil {
			return err
		}
		ob = &openBlob{name: name, w: w}
		bl.open[e.Instance] = ob
		if !bl.fs {
			bl.buf = append(bl.buf, CSVHeader...)
		}
	}
	line := ob.rows + 1
	if bl.fs {
		bl.buf = AppendFSLine(bl.buf, e)
	} else {
		bl.buf = AppendCSVRow(bl.buf, bl.site, e)
		line++
	}
	ob.rows++
	if bl.OnRow != nil {
		bl.OnRow(e, name, line)
	}
	_, err := ob.w.Write(bl.buf)
	return err
}

// Close closes the open blobs.
func (bl *BlobLogs) Close() error {
	var first error
	for k, ob := range bl.open {
		if err := ob.w.Close(); err != nil && first == nil {
			first = err
		}
		delete(bl.open, k)
	}
	return first
}

// AppendFSLine appends one file-system application-log line
// ("2026-11-19T10:00:01  PID[4312] Information message\r\n"): the level is left-aligned in
// 11 characters, as in Kudu's own samples.
func AppendFSLine(b []byte, e *Event) []byte {
	b = appendISOSecond(b, e.Time)
	b = append(b, "  PID["...)
	b = strconv.AppendInt(b, int64(e.PID), 10)
	b = append(b, "] "...)
	lv := appLevel(e)
	b = append(b, lv...)
	for i := len(lv); i < 12; i++ {
		b = append(b, ' ')
	}
	b = append(b, e.Text...)
	return append(b, '\r', '\n')
}

// FSLog renders console events in the file-system application-log format.
type FSLog struct {
	w   io.Writer
	buf []byte
}

// NewFSLog returns a renderer writing to w.
func NewFSLog(w io.Writer) *FSLog { return &FSLog{w: w, buf: make([]byte, 0, 512)} }

// Write renders e (no-op for Kudu SYS lines).
func (f *FSLog) Write(e *Event) error {
	if e.Stream == KuduSystem {
		return nil
	}
	f.buf = AppendFSLine(f.buf[:0], e)
	_, err := f.w.Write(f.buf)
	return err
}
