package parse

import (
	"bytes"
	"encoding/json"
)

// eventLine is a parsed "New event '<Name>'; '<k>=<v>;...'." console line
// (AnalyticsLogger.TrackEvent). Its slices alias the message.
type eventLine struct {
	name     []byte
	props    []byte // "k=v;k2=v2" as written; see propIter
	section  []byte // the section (timer operation) of a FinishedSectionImport/FinishedImportCycle context, nil if none
	duration int32  // seconds, NullDuration when the context has no timer text
}

// parseEventLine parses msg; ok is false when msg is not an event echo.
func parseEventLine(msg []byte) (ev eventLine, ok bool) {
	rest, found := bytes.CutPrefix(msg, []byte("New event '"))
	if !found {
		return ev, false
	}
	name, rest, found := bytes.Cut(rest, []byte("'; '"))
	if !found || len(name) == 0 {
		return ev, false
	}
	props, found := bytes.CutSuffix(rest, []byte("'."))
	if !found {
		return ev, false
	}
	ev.name, ev.props, ev.duration = name, props, NullDuration
	for it := (propIter{s: props}); ; {
		k, v, ok := it.next()
		if !ok {
			break
		}
		if string(k) == "context" {
			if sec, d, ok := parseTimer(v); ok {
				ev.section, ev.duration = sec, d
			}
		}
	}
	return ev, true
}

// propIter splits "k=v;k2=v2" as TrackEvent writes it, without allocating. A value may itself
// hold ';' (a message), so a ';' separates only when an identifier and '=' follow it. Text that
// does not start with "identifier=" is one value with an empty key.
type propIter struct {
	s    []byte
	done bool
}

// next returns the next pair; ok is false at the end.
func (it *propIter) next() (key, value []byte, ok bool) {
	s := it.s
	if it.done || len(s) == 0 {
		return nil, nil, false
	}
	eq := bytes.IndexByte(s, '=')
	if eq <= 0 || !isIdent(s[:eq]) {
		it.done = true
		return nil, s, true
	}
	key, s = s[:eq], s[eq+1:]
	end := len(s)
	for i := 0; i < len(s); i++ {
		if s[i] == ';' {
			if j := bytes.IndexByte(s[i+1:], '='); j > 0 && isIdent(s[i+1:i+1+j]) {
				end = i
				break
			}
		}
	}
	if end == len(s) {
		it.done = true
	} else {
		it.s = s[end+1:]
	}
	return key, s[:end], true
}

func isIdent(b []byte) bool {
	for _, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return len(b) > 0
}

// appendPropsJSON appends the properties as a JSON object, keys in the order written, exactly
// as encoding/json renders each string.
func appendPropsJSON(dst, props []byte) []byte {
	dst = append(dst, '{')
	for it, i := (propIter{s: props}), 0; ; i++ {
		k, v, ok := it.next()
		if !ok {
			break
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		dst = appendJSONString(dst, v)
	}
	return append(dst, '}')
}

// propsJSON renders the properties as a JSON object (see appendPropsJSON).
func propsJSON(props []byte) string { return string(appendPropsJSON(nil, props)) }

// appendJSONString appends s as a JSON string. Fast path: printable ASCII that encoding/json
// writes as it is (it escapes '"', '\\', control bytes and, for HTML safety, '<', '>', '&').
// Anything else goes through encoding/json, so the output is byte for byte the same.
func appendJSONString(dst, s []byte) []byte {
	for _, c := range s {
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(string(s))
			return append(dst, q...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
