package kql

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind is the kind of a token.
type tokKind uint8

const (
	tokEOF      tokKind = iota
	tokIdent            // name or keyword: where, traces, operation_Name, $left
	tokString           // string literal; val is the decoded value
	tokInt              // integer literal; val is the text
	tokReal             // real literal; val is the text
	tokTimespan         // timespan literal such as 10m or 1.5h; val is the text
	tokRawLit           // datetime(...), timespan(...), time(...): val is the text between the parentheses, trimmed
	tokPunct            // operator or punctuation; val is its text
)

func (k tokKind) String() string {
	switch k {
	case tokEOF:
		return "end of query"
	case tokIdent:
		return "name"
	case tokString:
		return "string"
	case tokInt, tokReal:
		return "number"
	case tokTimespan:
		return "timespan"
	case tokRawLit:
		return "literal"
	}
	return "operator"
}

// token is one lexical token. pos and end are byte offsets into the query; raw is the
// source text of the token (for error messages), val its value.
type token struct {
	kind     tokKind
	pos, end int
	val      string
	lit      string // for tokRawLit: the literal's type name (datetime, timespan, time)
	verbatim bool   // for tokString: written @"..." (no escapes)
}

// puncts lists the operators, longest first within a common prefix.
var puncts = []string{
	"..", "==", "!=", "<>", "<=", ">=", "=~", "!~", "=>",
	"|", "(", ")", "[", "]", "{", "}", ",", ";", ".", "=", "<", ">", "+", "-", "*", "/", "%", "!", ":", "~", "?",
}

// lexer turns a query into tokens. It follows the shape of VictoriaLogs' LogsQL lexer: the
// whole query is tokenised up front (queries are small) and the parser walks the slice.
type lexer struct {
	s    string
	i    int
	toks []token
}

// lex tokenises query. The last token is always tokEOF at len(query).
func lex(query string) ([]token, *Error) {
	if !utf8.ValidString(query) {
		for i := 0; i < len(query); {
			r, n := utf8.DecodeRuneInString(query[i:])
			if r == utf8.RuneError && n <= 1 {
				return nil, newError(query, i, "invalid UTF-8 in the query")
			}
			i += n
		}
	}
	lx := &lexer{s: query}
	for {
		if err := lx.skipSpace(); err != nil {
			return nil, err
		}
		if lx.i >= len(lx.s) {
			lx.toks = append(lx.toks, token{kind: tokEOF, pos: len(lx.s), end: len(lx.s)})
			return lx.toks, nil
		}
		if err := lx.next(); err != nil {
			return nil, err
		}
	}
}

func (lx *lexer) errAt(pos int, format string, args ...any) *Error {
	return newError(lx.s, pos, format, args...)
}

// skipSpace skips blanks, line breaks and // comments. KQL gives line breaks no meaning, so
// the guide's queries (a table name, then "| where ..." on the next line, sometimes with a
// blank line between) read as one query.
func (lx *lexer) skipSpace() *Error {
	for lx.i < len(lx.s) {
		c := lx.s[lx.i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			lx.i++
		case c == '/' && lx.i+1 < len(lx.s) && lx.s[lx.i+1] == '/':
			for lx.i < len(lx.s) && lx.s[lx.i] != '\n' {
				lx.i++
			}
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(lx.s[lx.i:])
			if !unicode.IsSpace(r) {
				return nil
			}
			lx.i += n
		default:
			return nil
		}
	}
	return nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (lx *lexer) emit(kind tokKind, pos int, val string) {
	lx.toks = append(lx.toks, token{kind: kind, pos: pos, end: lx.i, val: val})
}

func (lx *lexer) next() *Error {
	s, start := lx.s, lx.i
	c := s[start]
	switch {
	case c == '"' || c == '\'':
		return lx.quoted(start, start, false)
	case c == '@' && start+1 < len(s) && (s[start+1] == '"' || s[start+1] == '\''):
		return lx.quoted(start, start+1, true)
	case (c == 'h' || c == 'H') && start+1 < len(s) && (s[start+1] == '"' || s[start+1] == '\''):
		// h"..." is an obfuscated string: the same value, hidden from the service's logs.
		return lx.quoted(start, start+1, false)
	case (c == 'h' || c == 'H') && start+2 < len(s) && s[start+1] == '@' && (s[start+2] == '"' || s[start+2] == '\''):
		return lx.quoted(start, start+2, true)
	case c == '`' && strings.HasPrefix(s[start:], "```"):
		return lx.errAt(start, "multi-line string literal is not supported by kudulens (```)")
	case isDigit(c):
		return lx.number(start)
	case isIdentStart(c) || c == '$' && start+1 < len(s) && isIdentStart(s[start+1]):
		lx.i++
		for lx.i < len(s) && isIdentChar(s[lx.i]) {
			lx.i++
		}
		name := s[start:lx.i]
		if name == "datetime" || name == "timespan" || name == "time" {
			if lit, ok := lx.rawLiteral(name, start); ok {
				lx.toks = append(lx.toks, lit)
				return nil
			}
		}
		lx.emit(tokIdent, start, name)
		return nil
	}
	for _, p := range puncts {
		if strings.HasPrefix(s[start:], p) {
			lx.i += len(p)
			lx.emit(tokPunct, start, p)
			return nil
		}
	}
	r, _ := utf8.DecodeRuneInString(s[start:])
	return lx.errAt(start, "unexpected character %q", r)
}

// rawLiteral reads datetime(...), timespan(...) or time(...) as one token when the name is
// followed by '(' (blanks allowed between): their contents (2026-11-19T10:00:00Z,
// 1.12:34:56) are not KQL tokens.
func (lx *lexer) rawLiteral(name string, start int) (token, bool) {
	j := lx.i
	for j < len(lx.s) && (lx.s[j] == ' ' || lx.s[j] == '\t') {
		j++
	}
	if j >= len(lx.s) || lx.s[j] != '(' {
		return token{}, false
	}
	k := strings.IndexAny(lx.s[j+1:], ")\n(")
	if k < 0 || lx.s[j+1+k] != ')' {
		return token{}, false
	}
	content := strings.TrimSpace(lx.s[j+1 : j+1+k])
	lx.i = j + 1 + k + 1
	return token{kind: tokRawLit, pos: start, end: lx.i, val: content, lit: name}, true
}

// number reads an integer, a real (1.5, 2e3) or a timespan literal (10m, 1.5h, 100ms).
func (lx *lexer) number(start int) *Error {
	s := lx.s
	i := start
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	kind := tokInt
	// A '.' is a decimal point only before a digit, so (1..5) lexes as 1 .. 5.
	if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		kind = tokReal
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	} else if i < len(s) && s[i] == '.' && (i+1 == len(s) || s[i+1] != '.' && !isIdentStart(s[i+1])) {
		// "10." is the real 10 (KQL's documented form); "1..5" stays 1 .. 5.
		kind = tokReal
		i++
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			kind = tokReal
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
		}
	}
	if i < len(s) && isIdentStart(s[i]) {
		// A unit right after the number: a timespan literal.
		j := i
		for j < len(s) && isIdentChar(s[j]) {
			j++
		}
		lx.i = j
		if kind == tokReal && strings.ContainsAny(s[start:i], "eE") {
			return lx.errAt(start, "invalid timespan literal %q", s[start:j])
		}
		if _, ok := timespanUnits[s[i:j]]; !ok {
			return lx.errAt(start, "invalid number or timespan literal %q (timespan units: d, h, m, s, ms, microsecond, tick, ...)", s[start:j])
		}
		lx.emit(tokTimespan, start, s[start:j])
		return nil
	}
	lx.i = i
	if kind == tokInt {
		if _, err := strconv.ParseInt(s[start:i], 10, 64); err != nil {
			return lx.errAt(start, "integer literal %s is out of range", s[start:i])
		}
	}
	lx.emit(kind, start, s[start:i])
	return nil
}

// quoted reads a string literal whose opening quote is at q; start is where the token
// begins (before an @ or h prefix).
func (lx *lexer) quoted(start, q int, verbatim bool) *Error {
	s := lx.s
	quote := s[q]
	var b strings.Builder
	i := q + 1
	for {
		if i >= len(s) || s[i] == '\n' {
			return lx.errAt(start, "unterminated string literal")
		}
		c := s[i]
		switch {
		case c == quote && verbatim:
			if i+1 < len(s) && s[i+1] == quote {
				b.WriteByte(quote)
				i += 2
				continue
			}
			i++
		case c == quote:
			i++
		case c == '\\' && !verbatim:
			if i+1 >= len(s) {
				return lx.errAt(start, "unterminated string literal")
			}
			e := s[i+1]
			switch e {
			case '\\', '\'', '"':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'u':
				if i+6 > len(s) {
					return lx.errAt(i, "invalid escape \\u in string literal")
				}
				v, err := strconv.ParseUint(s[i+2:i+6], 16, 32)
				if err != nil || v == 0 || v >= 0xD800 && v <= 0xDFFF {
					return lx.errAt(i, "invalid escape %q in string literal", s[i:i+6])
				}
				b.WriteRune(rune(v))
				i += 6
				continue
			default:
				return lx.errAt(i, "escape %q in a string literal is not supported by kudulens", s[i:i+2])
			}
			i += 2
			continue
		default:
			b.WriteByte(c)
			i++
			continue
		}
		break
	}
	lx.i = i
	v := b.String()
	if strings.IndexByte(v, 0) >= 0 {
		return lx.errAt(start, "NUL character in a string literal is not supported by kudulens")
	}
	lx.toks = append(lx.toks, token{kind: tokString, pos: start, end: i, val: v, verbatim: verbatim})
	return nil
}
