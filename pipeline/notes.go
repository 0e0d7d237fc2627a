package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kudulens/kudulens/parse"
	"github.com/kudulens/kudulens/pipeline/source"
)

// What files.error says about a file that was read (damage, limits, oddities worth knowing).
// Each note names the line or byte offset it is about.

// limitFlags names the kudulens flag that raises each WalkOptions limit.
var limitFlags = []struct{ option, flag string }{
	{"MaxDepth", "--max-depth"},
	{"MaxEntryBytes", "--max-entry-bytes"},
	{"MaxRatio", "--max-ratio"},
	{"MaxEntries", "--max-entries"},
}

// describe renders err for files.error: for a limit, the flag that raises it is added.
func describe(err error) string {
	msg := err.Error()
	if errors.Is(err, source.ErrLimit) {
		for _, l := range limitFlags {
			if strings.Contains(msg, "("+l.option+")") {
				return msg + "; raise it with " + l.flag
			}
		}
	}
	return msg
}

// readStopped describes a read that stopped with err after line `after` (the last whole line)
// at byte offset off of the text; cut is the number of the line the error cut short, or 0.
func readStopped(err error, after, off, cut int64) string {
	s := fmt.Sprintf("read stopped after line %d (byte offset %d): %s", after, off, describe(err))
	switch {
	case after == 0 && cut == 0:
		s += "; nothing was read"
	case after == 0:
		s += fmt.Sprintf("; line %d (cut short) is in rejects", cut)
	case cut == 0:
		s += fmt.Sprintf("; lines 1-%d were kept", after)
	default:
		s += fmt.Sprintf("; lines 1-%d were kept, line %d (cut short) is in rejects", after, cut)
	}
	return s
}

// cutLineReason is the reject reason of a line cut short by a read error.
const cutLineReason = "incomplete line: the input stops here (damaged, or cut at a size limit)"

// cutLineReject makes the rejects row of a line cut short by a read error: its bytes as far as
// they were read, made valid UTF-8 and redacted like every stored line.
func cutLineReject(line []byte, lineNo int64, noRedact bool) parse.Reject {
	if len(line) > parse.MaxRejectBytes {
		line = line[:parse.MaxRejectBytes]
	}
	line = bytes.TrimSuffix(line, []byte{'\r'})
	line = bytes.ReplaceAll(bytes.ToValidUTF8(line, []byte("\uFFFD")), []byte{0}, []byte("\uFFFD"))
	if !noRedact {
		line, _ = parse.Redact(nil, line)
	}
	return parse.Reject{LineNo: lineNo, Reason: cutLineReason, Raw: string(line)}
}

// fileNotes collects, batch by batch (in any order), what the notes about a file's content
// need: the first rejected line, and the order of the timestamps.
type fileNotes struct {
	firstReject parse.Reject // LineNo 0: none yet
	segs        []timeSeg
	cut         int64 // rejected lines counted in Stats but told elsewhere (the line a read error cut)
}

// timeSeg summarises the trace rows of one batch, which are in line order.
type timeSeg struct {
	firstLine, firstTime, lastTime int64
	backs                          int64 // rows earlier than the row before them
	maxBack, maxBackLine           int64 // the largest step back (µs) and its line
}

func (n *fileNotes) see(b *parse.Batch) { n.seeRows(b, 0, b.Traces.Len(), b.Rejects) }

// seeRows looks at the trace rows [start, end) of b and at rejects.
func (n *fileNotes) seeRows(b *parse.Batch, start, end int, rejects []parse.Reject) {
	for i := range rejects {
		if r := &rejects[i]; n.firstReject.LineNo == 0 || r.LineNo < n.firstReject.LineNo {
			n.firstReject = parse.Reject{LineNo: r.LineNo, Reason: r.Reason}
		}
	}
	t := &b.Traces
	if end <= start {
		return
	}
	seg := timeSeg{firstLine: t.LineNo[start], firstTime: t.Time[start], lastTime: t.Time[end-1]}
	for i := start + 1; i < end; i++ {
		if d := t.Time[i-1] - t.Time[i]; d > 0 {
			seg.backs++
			if d > seg.maxBack {
				seg.maxBack, seg.maxBackLine = d, t.LineNo[i]
			}
		}
	}
	n.segs = append(n.segs, seg)
}

// notes returns the notes on rejects and time order ("" parts left out).
func (n *fileNotes) notes(st *parse.Stats) []string {
	var out []string
	if rej := st.Rejected - n.cut; rej > 0 && n.firstReject.LineNo > 0 {
		out = append(out, fmt.Sprintf("%d %s rejected (first: line %d, %s)", rej, plural(rej, "line", "lines"),
			n.firstReject.LineNo, n.firstReject.Reason))
	}
	sort.Slice(n.segs, func(i, j int) bool { return n.segs[i].firstLine < n.segs[j].firstLine })
	var all timeSeg
	for i, s := range n.segs {
		all.backs += s.backs
		if s.maxBack > all.maxBack {
			all.maxBack, all.maxBackLine = s.maxBack, s.maxBackLine
		}
		if i > 0 {
			if d := n.segs[i-1].lastTime - s.firstTime; d > 0 {
				all.backs++
				if d > all.maxBack {
					all.maxBack, all.maxBackLine = d, s.firstLine
				}
			}
		}
	}
	if all.backs > 0 {
		out = append(out, fmt.Sprintf("time goes back at %d %s (the largest step: %s back at line %d); rows kept as logged",
			all.backs, plural(all.backs, "line", "lines"), time.Duration(all.maxBack)*time.Microsecond, all.maxBackLine))
	}
	return out
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// cleanText makes a label (a path, a name from a path, a message quoting one) fit for the
// database, which stores only valid UTF-8: each invalid byte and each NUL is written as \xNN,
// so that distinct names stay distinct. Valid text is returned as it is.
func cleanText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 || r == 0 {
			fmt.Fprintf(&b, "\\x%02x", s[i])
			i++
			continue
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String()
}
