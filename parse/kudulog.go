package parse

import "bytes"

// KuduLog parses Kudu continuous-job logs (job_log.txt, job_prev_log.txt).
//
// Every prefixed line starts a trace row; a line without the prefix continues the row before
// it (Kudu writes multi-line SYS messages as one prefixed line and raw continuation lines).
// Lines that have the prefix's shape but an impossible date, time or level are rejected, and
// so are continuation lines with no row to continue (the start of a cut file).
type KuduLog struct {
	rec    recorder
	prefix kuduPrefixParser
	kl     KuduLine
}

// Parse implements Parser.
func (p *KuduLog) Parse(c *Chunk, b *Batch) {
	r := &p.rec
	r.begin(c, b, false)
	data := c.Data
	lineNo := c.FirstLine - 1
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		lineNo++
		b.Stats.Lines++
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		line = r.sanitize(line)
		switch p.prefix.parse(line, &p.kl) {
		case Prefixed:
			b.Stats.Parsed++
			// A local row stays on the stack (add does not keep it): no write barriers
			// for its slices, as a field of the heap-allocated parser would need.
			w := row{
				time: p.kl.Time, instance: p.kl.Instance, level: p.kl.Level, system: p.kl.System,
				msg: p.kl.Message, pid: NullPID, lineNo: lineNo, lineCount: 1,
				truncated: len(c.Cut) > 0 && r.isTruncated(lineNo),
			}
			r.add(&w)
		case NoPrefix:
			if r.noText(line) {
				r.reject(lineNo, noTextReason, line)
			} else if r.rejecting {
				r.reject(lineNo, "continuation of a rejected line", line)
			} else if r.continueRecord(line, lineNo) {
				b.Stats.Parsed++
				if len(c.Cut) > 0 && r.isTruncated(lineNo) {
					b.Traces.Truncated[b.Traces.Len()-1] = true
				}
			} else {
				r.reject(lineNo, "continuation line before the first Kudu line", line)
			}
		case BadTime:
			r.reject(lineNo, "invalid timestamp in Kudu prefix", line)
		case BadLevel:
			r.reject(lineNo, "invalid instance or level in Kudu prefix", line)
		}
	}
	r.end()
}

// KuduSafeCut returns the largest offset n ≤ len(data) at which a chunk may end: data[n:]
// starts with a Kudu line that cannot continue the record, crash block or printed exception
// before it (an INFO line that is not a stack line, or any SYS line). It returns 0 if there
// is none.
func KuduSafeCut(data []byte) int {
	var kl KuduLine
	var p kuduPrefixParser
	end := len(data)
	for end > 0 {
		i := bytes.LastIndex(data[:end], []byte("\n["))
		if i < 0 {
			return 0
		}
		line := data[i+1:]
		if j := bytes.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if p.parse(line, &kl) == Prefixed && (kl.System || kl.Level == Info && !isExceptionContinuation(kl.Message)) {
			return i + 1
		}
		end = i
	}
	return 0
}
