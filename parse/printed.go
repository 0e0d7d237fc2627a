package parse

import (
	"bytes"
	"strings"
)

// Printed exceptions: .NET exception text that a program printed on its console without
// crashing, e.g. the WebJobs SDK's function failures on stdout ("Exception while executing
// function: ..." then Exception.ToString()), or a framework's error on stderr. The text is a
// header line "Type: message[ ---> Inner: message]" and then "   at ..." frames, "   --- End of
// inner exception stack trace ---" and "--- End of stack trace from previous location ..."
// lines, one console line each. In a Kudu log every console line is a record of its own, in the
// application log one row (or one row holding all of it), so the lines are regrouped here, per
// instance and level: stdout and stderr print the same exception interleaved (both are in
// job_log.txt line by line). Unhandled crashes ("Unhandled Exception: ...") are the crash
// tracker's; this takes the rest.

// openBlock is printed exception text being collected.
type openBlock struct {
	instance []byte
	level    Level
	job, op  []byte
	time     int64
	lastTime int64
	lineNo   int64
	lastLine int64
	text     []byte
}

// printedOrigin is the exceptions.origin of a printed exception: the stream that carried it.
func printedOrigin(l Level) string {
	if l == Err {
		return "stderr"
	}
	return "stdout"
}

// isExceptionHeader reports whether line (the first line of a console message) starts with an
// exception's "Type: message", the way Exception.ToString begins.
func isExceptionHeader(line []byte) bool {
	if len(line) < 4 || !(line[0] >= 'A' && line[0] <= 'Z' || line[0] >= 'a' && line[0] <= 'z' || line[0] == '_') {
		return false
	}
	i := bytes.Index(line, []byte(": "))
	if i < 0 {
		i = len(line) // a bare type name: "System.OperationCanceledException"
	}
	t := yoloString(line[:i])
	if !isTypeName(t) || !looksLikeExceptionType(t) {
		return false
	}
	return i < len(line) || strings.Contains(t, ".") && strings.HasSuffix(t, "Exception")
}

// isExceptionContinuation reports whether msg continues exception text: a stack frame, an
// "--- End of ..." separator, an inner exception on its own line (.NET Core " ---> ",
// AggregateException "---> (Inner Exception #n)") or the "<---" that closes one.
func isExceptionContinuation(msg []byte) bool {
	t := bytes.TrimLeft(msg, " \t")
	switch {
	case len(t) == 0:
		return false
	case bytes.HasPrefix(t, []byte("at ")):
		return len(t) < len(msg) // frames are indented
	case bytes.HasPrefix(t, []byte("--- End of ")), bytes.HasPrefix(t, []byte("---> ")):
		return true
	}
	return bytes.Equal(t, []byte("<---"))
}

// trackBlock gives trace row i, a whole console record, to the printed-exception tracker.
func (r *recorder) trackBlock(i int) {
	t := &r.b.Traces
	msg := t.Message.Value(i)
	if len(r.blocks) == 0 && (len(msg) == 0 || !(msg[0] >= 'A' && msg[0] <= 'Z' || msg[0] >= 'a' && msg[0] <= 'z' || msg[0] == '_')) {
		return // the common case: nothing open, and no header can start so
	}
	inst, lvl, tm := t.Instance.Value(i), t.Level[i], t.Time[i]
	last := t.LineNo[i] + int64(t.LineCount[i]) - 1
	for k := range r.blocks {
		b := &r.blocks[k]
		if b.level != lvl || string(b.instance) != inst {
			continue
		}
		if isExceptionContinuation(msg) && tm-b.lastTime <= crashMaxGap {
			b.text = append(b.text, '\n')
			b.text = append(b.text, msg...)
			b.lastTime, b.lastLine = tm, last
			return
		}
		r.finishBlock(b)
		r.removeBlock(k)
		break
	}
	if t.Template[i] != 0 || !isExceptionHeader(firstLine(msg)) {
		return
	}
	n := len(r.blocks)
	if n == cap(r.blocks) {
		r.blocks = append(r.blocks, openBlock{})
	} else {
		r.blocks = r.blocks[:n+1]
	}
	b := &r.blocks[n]
	*b = openBlock{
		instance: append(b.instance[:0], inst...),
		level:    lvl,
		job:      append(b.job[:0], t.Job.Value(i)...),
		op:       append(b.op[:0], t.Operation.Value(i)...),
		time:     tm, lastTime: tm, lineNo: t.LineNo[i], lastLine: last,
		text: append(b.text[:0], msg...),
	}
}

// finishBlocks finishes the open blocks of instance inst.
func (r *recorder) finishBlocks(inst string) {
	for k := 0; k < len(r.blocks); {
		if string(r.blocks[k].instance) == inst {
			r.finishBlock(&r.blocks[k])
			r.removeBlock(k)
			continue
		}
		k++
	}
}

// removeBlock removes block i, keeping the order of the others and parking its buffers past
// the end of the slice for reuse (like removeCrash).
func (r *recorder) removeBlock(i int) {
	done := r.blocks[i]
	copy(r.blocks[i:], r.blocks[i+1:])
	last := len(r.blocks) - 1
	r.blocks[last] = done
	r.blocks = r.blocks[:last]
}

// finishBlock adds the exceptions row of a printed block. A header alone is taken only when its
// type is namespace-qualified ("System.Net.WebException: ..."): "Error: retrying" is not
// exception text, "Error: x" followed by frames is.
func (r *recorder) finishBlock(b *openBlock) {
	info := AnalyzeException(yoloString(b.text)) // b.text stays as it is until the row is added
	if info.OuterType == "" || info.Frames == 0 && !strings.Contains(info.OuterType, ".") {
		return
	}
	r.b.Exceptions.add(&exceptionRow{
		time: b.time, instance: yoloString(b.instance), job: yoloString(b.job), operation: yoloString(b.op),
		origin:    printedOrigin(b.level),
		outerType: info.OuterType, outerMessage: info.OuterMessage,
		innermostType: info.InnermostType, innermostMessage: info.InnermostMessage,
		details: b.text, frames: int32(info.Frames), severity: NullSeverity,
		lineNo: b.lineNo, lineCount: int32(b.lastLine - b.lineNo + 1),
	})
}
