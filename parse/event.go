package parse

import (
	"bytes"
	"encoding/json"
)

// eventLine is a parsed "New event '<Name>'; '<k>=<v>;...'." console line (AnalyticsLogger.TrackEvent).
type eventLine struct {
	name     string
	props    [][2]string
	section  string // the section (timer operation) of a FinishedSectionImport/FinishedImportCycle context
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
	ctx, found := bytes.CutSuffix(rest, []byte("'."))
	if !found {
		return ev, false
	}
	ev.name = internEventName(name)
	ev.duration = NullDuration
	ev.props = splitProps(ctx)
	for _, kv := range ev.props {
		if kv[0] == "context" {
			if sec, d, ok := parseTimer([]byte(kv[1])); ok {
				ev.section, ev.duration = internSection(sec), d
			}
		}
	}
	return ev, true
}

// splitProps splits "k=v;k2=v2" as TrackEvent writes it. A value may itself hold ';' (a
// message), so a ';' separates only when an identifier and '=' follow it.
func splitProps(s []byte) [][2]string {
	var out [][2]string
	for len(s) > 0 {
		eq := bytes.IndexByte(s, '=')
		if eq <= 0 || !isIdent(s[:eq]) {
			out = append(out, [2]string{"", string(s)})
			break
		}
		key := string(s[:eq])
		s = s[eq+1:]
		end := len(s)
		for i := 0; i < len(s); i++ {
			if s[i] == ';' {
				if j := bytes.IndexByte(s[i+1:], '='); j > 0 && isIdent(s[i+1:i+1+j]) {
					end = i
					break
				}
			}
		}
		out = append(out, [2]string{key, string(s[:end])})
		if end == len(s) {
			break
		}
		s = s[end+1:]
	}
	return out
}

func isIdent(b []byte) bool {
	for _, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return len(b) > 0
}

// propsJSON renders the properties as a JSON object, keys in the order written.
func propsJSON(props [][2]string) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range props {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv[0])
		v, _ := json.Marshal(kv[1])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String()
}

// internEventName returns the known event names without allocating.
func internEventName(b []byte) string {
	switch string(b) {
	case "FinishedSectionImport":
		return "FinishedSectionImport"
	case "FinishedImportCycle":
		return "FinishedImportCycle"
	}
	return string(b)
}

// internSection returns the known section names without allocating.
func internSection(b []byte) string {
	for _, k := range knownSections {
		if k == string(b) {
			return k
		}
	}
	return string(b)
}
