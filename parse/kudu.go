package parse

import "bytes"

// KuduLine is one parsed Kudu log line. Instance and Message alias the input line and are
// valid until its buffer is reused.
type KuduLine struct {
	Time     int64 // unix microseconds, UTC, second resolution
	Instance []byte
	Level    Level
	System   bool   // "SYS " lifecycle line written by Kudu itself
	Message  []byte // text after "] "
}

// PrefixResult says what ParseKuduLine found at the start of a line.
type PrefixResult uint8

const (
	// NoPrefix: the line does not start like a Kudu line; in a Kudu log it continues the
	// previous record (the rest of a multi-line SYS message).
	NoPrefix PrefixResult = iota
	// Prefixed: a well-formed Kudu line.
	Prefixed
	// BadTime: the line has the shape of a Kudu prefix but an impossible date or time.
	BadTime
	// BadLevel: the time is fine but the instance or level token is not.
	BadLevel
)

// kuduTimeLen is len("[MM/dd/yyyy HH:mm:ss > ").
const kuduTimeLen = 23

// hasKuduShape reports whether line starts with the fixed punctuation of a Kudu prefix:
// "[dd/dd/dddd dd:dd:dd > ". Digits are checked later, so that a malformed timestamp in an
// otherwise recognisable prefix is reported rather than taken for a continuation.
func hasKuduShape(line []byte) bool {
	return len(line) >= kuduTimeLen && line[0] == '[' && line[3] == '/' && line[6] == '/' &&
		line[11] == ' ' && line[14] == ':' && line[17] == ':' &&
		line[20] == ' ' && line[21] == '>' && line[22] == ' '
}

// oldTimeLen is len("[MM/dd/yyyy HH:mm:ss]"): the prefix of old Kudu triggered-job output
// lines, written without instance and level ("[01/08/2014 03:12:28] text").
const oldTimeLen = 21

// hasOldShape reports whether line starts with the old triggered-job prefix's punctuation.
func hasOldShape(line []byte) bool {
	return len(line) >= oldTimeLen && line[0] == '[' && line[3] == '/' && line[6] == '/' &&
		line[11] == ' ' && line[14] == ':' && line[17] == ':' && line[20] == ']'
}

// parseMDY reads MM/dd/yyyy at b[1:11] (b starts at the '[').
func parseMDY(b []byte) (y, m, d int, ok bool) {
	m, ok1 := digit2(b[1:])
	d, ok2 := digit2(b[4:])
	y, ok3 := digit4(b[7:])
	return y, m, d, ok1 && ok2 && ok3
}

// maxInstanceLen bounds the instance token; Kudu prints 6 characters, machine names are ≤ 15,
// and anything much longer means this is not a prefix.
const maxInstanceLen = 64

// kuduPrefixParser parses Kudu line prefixes, caching the last date.
type kuduPrefixParser struct {
	days dayCache
}

// parse parses line (without its line terminator) into out.
func (p *kuduPrefixParser) parse(line []byte, out *KuduLine) PrefixResult {
	if !hasKuduShape(line) {
		if hasOldShape(line) {
			return p.parseOld(line, out)
		}
		return NoPrefix
	}
	day, ok := p.days.lookup(line, parseMDY)
	if !ok {
		return BadTime
	}
	tod, ok := usOfDay(line[12:])
	if !ok {
		return BadTime
	}
	out.Time = day*usPerDay + tod

	rest := line[kuduTimeLen:]
	n := len(rest)
	if n > maxInstanceLen+1 {
		n = maxInstanceLen + 1
	}
	colon := bytes.IndexByte(rest[:n], ':')
	if colon <= 0 || colon+1 >= len(rest) || rest[colon+1] != ' ' {
		return BadLevel
	}
	out.Instance = rest[:colon]
	rest = rest[colon+2:]

	out.System = false
	if len(rest) >= 4 && string(rest[:4]) == "SYS " {
		out.System = true
		rest = rest[4:]
	}
	// Kudu pads the level to four characters ("ERR "); accept "ERR]" too.
	switch {
	case len(rest) >= 5 && string(rest[:5]) == "INFO]":
		out.Level, rest = Info, rest[5:]
	case len(rest) >= 5 && string(rest[:5]) == "WARN]":
		out.Level, rest = Warn, rest[5:]
	case len(rest) >= 5 && string(rest[:5]) == "ERR ]":
		out.Level, rest = Err, rest[5:]
	case len(rest) >= 4 && string(rest[:4]) == "ERR]":
		out.Level, rest = Err, rest[4:]
	default:
		return BadLevel
	}
	if len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	out.Message = rest
	return Prefixed
}

// parseOld parses an old triggered-job output line, "[MM/dd/yyyy HH:mm:ss] text": a record of
// its own (standard output: no instance, level INFO), not a continuation of the one before.
func (p *kuduPrefixParser) parseOld(line []byte, out *KuduLine) PrefixResult {
	day, ok := p.days.lookup(line, parseMDY)
	if !ok {
		return BadTime
	}
	tod, ok := usOfDay(line[12:])
	if !ok {
		return BadTime
	}
	out.Time = day*usPerDay + tod
	out.Instance, out.Level, out.System = nil, Info, false
	rest := line[oldTimeLen:]
	if len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	out.Message = rest
	return Prefixed
}

// ParseKuduLine parses one Kudu log line (without its terminator). It is the allocation-free
// single-line entry point; KuduLog.Parse is the chunk parser built on the same code.
func ParseKuduLine(line []byte, out *KuduLine) PrefixResult {
	var p kuduPrefixParser
	return p.parse(line, out)
}

// LooksLikeKuduLog reports whether data (the start of a file) holds a Kudu log line within its
// first lines. A Kudu log may start with continuation lines when it was cut, so a few lines are
// tried.
func LooksLikeKuduLog(data []byte) bool {
	var kl KuduLine
	var p kuduPrefixParser
	for i := 0; i < 20 && len(data) > 0; i++ {
		line, rest, _ := bytes.Cut(data, []byte{'\n'})
		data = rest
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if p.parse(line, &kl) == Prefixed {
			return true
		}
	}
	return false
}
