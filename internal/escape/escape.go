// Package escape makes text that came from a bundle (log lines, job folder names, Kudu status
// values, file names) safe to put in front of a person: on a terminal, in Markdown pasted into
// a ticket, in a CSV opened by a spreadsheet. Everything in a bundle is untrusted: an escape
// sequence in a job name must not clear the screen or retitle the window, a status value must
// not add a table cell or an image, a message must not run as a spreadsheet formula.
package escape

import (
	"strings"
	"unicode/utf8"
)

// Terminal returns s with every character a terminal could act on shown visibly: C0 controls
// (ESC, BEL, BS, CR, LF, TAB, ...) and DEL as \x1b, C1 controls (U+0080-U+009F, 8-bit CSI and
// OSC) as \u009b, bidirectional overrides (U+202A-U+202E, U+2066-U+2069, which reorder what is
// shown) as \u202e, and bytes that are not UTF-8 as \xNN. Backslashes are left alone, so
// Windows paths read as they are. Text without such characters is returned as it is.
func Terminal(s string) string { return visible(s, false) }

// TerminalLines is Terminal for a message of several lines that kudulens itself laid out (an
// error with the offending query line and a caret under it): line ends and tabs are kept,
// everything else is as in Terminal. Use Terminal for anything that must stay one line.
func TerminalLines(s string) string { return visible(s, true) }

func visible(s string, keepLines bool) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f || keepLines && (c == '\n' || c == '\t') {
			i++
			continue
		}
		if c >= 0x80 {
			r, n := utf8.DecodeRuneInString(s[i:])
			if !needsEscape(r, n) {
				i += n
				continue
			}
		}
		break
	}
	if i == len(s) {
		return s // the common case: nothing to show differently, no copy
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < 0x80 {
			if c >= 0x20 && c < 0x7f || keepLines && (c == '\n' || c == '\t') {
				b.WriteByte(c)
			} else {
				b.WriteString(`\x`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		case needsEscape(r, n):
			b.WriteString(`\u`)
			for sh := 12; sh >= 0; sh -= 4 {
				b.WriteByte(hex[(r>>sh)&15])
			}
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

const hex = "0123456789abcdef"

// needsEscape reports whether the decoded non-ASCII rune r (n bytes) is shown escaped.
func needsEscape(r rune, n int) bool {
	return r == utf8.RuneError && n == 1 || // not UTF-8
		r >= 0x80 && r <= 0x9f || // C1 controls
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || // bidi embeddings, overrides, isolates
		r == 0x2028 || r == 0x2029 // line and paragraph separators
}

// Markdown returns s as literal inline Markdown text: safe in a table cell, a heading, a list
// item or a paragraph. Characters that Markdown (CommonMark, GitHub) reads as syntax are
// backslash-escaped (emphasis, code spans, links and images, table cells, headings), '<', '>'
// and '&' become entities (no raw HTML, no autolink, no entity trickery), line ends become
// spaces (a cell or paragraph cannot be left) and control characters are shown as Terminal
// shows them. A bare URL in the text may still be shown as a link by renderers that link URLs
// by themselves; its target is then the text shown.
func Markdown(s string) string {
	return markdownSyntax.Replace(Terminal(lineEnds.Replace(s)))
}

var (
	lineEnds       = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")
	markdownSyntax = strings.NewReplacer(
		"\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]", "(", "\\(", ")", "\\)",
		"#", "\\#", "!", "\\!", "|", "\\|", "~", "\\~", "{", "\\{", "}", "\\}",
		"<", "&lt;", ">", "&gt;", "&", "&amp;")
)

// CSVCell returns a CSV cell of text from the logs defused for spreadsheets (OWASP, "CSV
// Injection"): a cell that starts with '=', '+', '-', '@', a tab or a carriage return would be
// read by Excel or LibreOffice as a formula, so it is prefixed with a single quote, which the
// spreadsheet shows as text. Machine consumers that want the values as stored turn this off
// (query --csv-raw).
func CSVCell(s string) string {
	if s != "" {
		switch s[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + s
		}
	}
	return s
}
