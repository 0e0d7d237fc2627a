package kql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error is a translation error. It points at the construct that failed.
//
// Pos is the 0-based byte offset of the construct in Query. Line and Col are 1-based; Col
// counts characters (runes), not bytes, from the start of the line. Msg names the construct
// and, for valid KQL outside the translated subset, says "is not supported by kudulens".
type Error struct {
	Pos, Line, Col int
	Msg            string
	Query          string
}

// Error returns "kql: LINE:COL: MSG" followed by the query line and a caret under the
// construct, for example:
//
//	kql: 2:3: operator 'mv-expand' is not supported by kudulens
//	  2 | | mv-expand x
//	    |   ^
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kql: %d:%d: %s", e.Line, e.Col, e.Msg)
	if line, col, ok := e.snippet(); ok {
		num := fmt.Sprint(e.Line)
		pad := strings.Repeat(" ", len(num))
		fmt.Fprintf(&b, "\n  %s | %s\n  %s | %s^", num, line, pad, caretPad(line, col))
	}
	return b.String()
}

// snippetWidth is how many characters of a long line the snippet shows around the error.
const snippetWidth = 100

// snippet returns the query line holding the error (tabs kept so the caret lines up), and
// the caret's column in it. A long line is cut to a window around the column, marked
// with "…".
func (e *Error) snippet() (string, int, bool) {
	if e.Query == "" || e.Line < 1 {
		return "", 0, false
	}
	lines := strings.Split(e.Query, "\n")
	if e.Line > len(lines) {
		return "", 0, false
	}
	line := strings.TrimRight(lines[e.Line-1], "\r")
	if !utf8.ValidString(line) {
		return "", 0, false
	}
	r := []rune(line)
	col := e.Col
	if len(r) <= snippetWidth {
		return line, col, true
	}
	start := max(0, min(col-1-snippetWidth/2, len(r)-snippetWidth))
	end := min(len(r), start+snippetWidth)
	s := string(r[start:end])
	col -= start
	if start > 0 {
		s = "…" + s
		col++
	}
	if end < len(r) {
		s += "…"
	}
	return s, col, true
}

// caretPad is the run of blanks (tabs where the line has tabs) that puts a caret under
// column col of line.
func caretPad(line string, col int) string {
	var b strings.Builder
	i := 1
	for _, r := range line {
		if i >= col {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
		i++
	}
	for ; i < col; i++ {
		b.WriteByte(' ')
	}
	return b.String()
}

// newError builds an Error at byte offset pos of query.
func newError(query string, pos int, format string, args ...any) *Error {
	if pos < 0 {
		pos = 0
	}
	if pos > len(query) {
		pos = len(query)
	}
	line, col := 1, 1
	for _, r := range query[:pos] {
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &Error{Pos: pos, Line: line, Col: col, Msg: fmt.Sprintf(format, args...), Query: query}
}
