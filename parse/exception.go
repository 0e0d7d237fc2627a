package parse

import (
	"strings"
)

// ExceptionInfo is what the text of a .NET exception (Exception.ToString(), possibly after
// "Unhandled Exception: ") says, with outer and innermost defined as Application Insights
// defines them: the outer exception is the one thrown, the innermost the end of its
// InnerException chain (docs/formats.md §6).
type ExceptionInfo struct {
	OuterType        string
	OuterMessage     string
	InnermostType    string
	InnermostMessage string
	Frames           int // "   at ..." lines
}

// .NET Framework 4.8 puts an inner exception on the same line after " ---> " and closes it with
// "   --- End of inner exception stack trace ---"; .NET Core starts the inner exception on a new
// line that begins with " ---> ". AggregateException appends one
// "---> (Inner Exception #n) <inner.ToString()><---" block per inner exception.
const (
	innerArrow      = " ---> "
	aggregateInner  = "---> (Inner Exception #"
	unhandledPrefix = "Unhandled Exception: "
	unhandledCore   = "Unhandled exception. "
)

// AnalyzeException reads exception text. Lines may end with "\r\n" or "\n". The strings it
// returns are substrings of text; it allocates only for a header of several lines ending in
// "\r\n".
func AnalyzeException(text string) ExceptionInfo {
	var info ExceptionInfo
	// The header is the run of lines before the first frame, "--- End of ..." or aggregate
	// inner block: text[:headerEnd], unless a header line ends in '\r' (then the lines
	// without it are joined in a copy).
	inHeader := true
	headerEnd, headerCR := 0, false
	aggregateLine := ""
	aggregate := false
	for rest, off := text, 0; ; {
		line, after, more := strings.Cut(rest, "\n")
		next := off + len(line) + 1
		line = strings.TrimSuffix(line, "\r")
		trimmed := strings.TrimLeft(line, " \t")
		switch {
		case strings.HasPrefix(trimmed, "at ") && len(line) > len(trimmed):
			info.Frames++
			inHeader = false
		case strings.HasPrefix(trimmed, aggregateInner):
			if !aggregate {
				aggregate, aggregateLine = true, trimmed
			}
			inHeader = false
		case strings.HasPrefix(trimmed, "--- End of"):
			inHeader = false
		case inHeader:
			headerEnd = off + len(line)
			headerCR = headerCR || off+len(line) < len(text) && text[off+len(line)] == '\r'
		}
		if !more {
			break
		}
		rest, off = after, next
	}
	h := text[:headerEnd]
	if headerCR {
		h = strings.ReplaceAll(h, "\r\n", "\n") // the rare CRLF multi-line header
	}
	h = strings.TrimSpace(h)
	h = strings.TrimPrefix(h, unhandledPrefix)
	h = strings.TrimPrefix(h, unhandledCore)
	// Text before the exception, on its line (Kudu's "Failed to copy job files:
	// System.IO.IOException: ...") or on lines of its own (Kudu's "Failed to diff WebJob
	// directories for changes. ...\nSystem.IO.IOException: ..."): the exception starts at the
	// first type token of the header's lines.
	for off := 0; off < len(h); {
		if i := findTypeToken(h[off:]); i >= 0 {
			h = h[off+i:]
			break
		}
		nl := strings.IndexByte(h[off:], '\n')
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	// The inner chain: "Outer: m ---> Inner: m2 ---> Innermost: m3".
	outer, innermost, chained := h, h, false
	if i := strings.Index(h, innerArrow); i >= 0 {
		outer, innermost, chained = h[:i], h[strings.LastIndex(h, innerArrow)+len(innerArrow):], true
	}
	info.OuterType, info.OuterMessage = splitTypeMessage(outer)
	info.InnermostType, info.InnermostMessage = splitTypeMessage(innermost)
	if !chained && aggregate {
		// An AggregateException printed without its inner chain on the header line: the
		// innermost exception is at the end of the first inner block's chain.
		if _, after, ok := strings.Cut(aggregateLine, ") "); ok {
			inner := AnalyzeException(after)
			if inner.InnermostType != "" {
				info.InnermostType, info.InnermostMessage = inner.InnermostType, inner.InnermostMessage
			}
		}
	}
	return info
}

// splitTypeMessage splits "Namespace.TypeException: message" into type and message. Text that
// does not start with a type name is all message.
func splitTypeMessage(s string) (typ, msg string) {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, ": "); i > 0 && isTypeName(s[:i]) {
		return s[:i], strings.TrimSpace(s[i+2:])
	}
	if isTypeName(s) && looksLikeExceptionType(s) {
		return s, ""
	}
	return "", s
}

// findTypeToken returns the offset of the first "Type: " in s whose type name looks like an
// exception type (ends in Exception/Error or is namespace-qualified), or -1.
func findTypeToken(s string) int {
	first := strings.IndexByte(s, '\n')
	if first < 0 {
		first = len(s)
	}
	line := s[:first]
	if t, _, ok := strings.Cut(line, ": "); ok && isTypeName(t) && looksLikeExceptionType(t) {
		return 0
	}
	for off := 0; off < len(line); {
		i := strings.Index(line[off:], ": ")
		if i < 0 {
			break
		}
		end := off + i
		start := strings.LastIndexAny(line[:end], " \t'\"(") + 1
		if t := line[start:end]; isTypeName(t) && looksLikeExceptionType(t) {
			return start
		}
		off = end + 2
	}
	return -1
}

// isTypeName reports whether s could be a .NET type name as Exception.ToString prints it:
// letters, digits and _.`+ with no spaces.
func isTypeName(s string) bool {
	if len(s) < 2 || len(s) > 256 {
		return false
	}
	c := s[0]
	if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '`' || c == '+') {
			return false
		}
	}
	return true
}

func looksLikeExceptionType(s string) bool {
	return strings.HasSuffix(s, "Exception") || strings.HasSuffix(s, "Error") ||
		strings.Contains(s, "Exception") && strings.Contains(s, ".")
}
