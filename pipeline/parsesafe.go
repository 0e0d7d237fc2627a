package pipeline

import (
	"bytes"
	"fmt"
	"reflect"

	"github.com/kudulens/kudulens/parse"
	"github.com/kudulens/kudulens/pipeline/source"
)

// A parser that panics has a bug (the fuzz targets hunt for them). It must not end the run,
// nor lose the lines: the chunk it failed on is taken back out of the batch and its lines are
// rejected with the reason, and the parser is replaced by a fresh one.

func newParsers() map[source.Kind]parse.Parser {
	return map[source.Kind]parse.Parser{
		source.KindKuduLog:    &parse.KuduLog{},
		source.KindAppLogCSV:  &parse.AppLogCSV{},
		source.KindAppLogText: &parse.AppLogText{},
	}
}

// safeParse parses c into b with parsers[kind], appending to what b holds.
func safeParse(parsers map[source.Kind]parse.Parser, kind source.Kind, c *parse.Chunk, b *parse.Batch, noRedact bool) {
	mark := markBatch(b)
	defer func() {
		if v := recover(); v != nil {
			parsers[kind] = newParsers()[kind]
			mark.restore(b)
			rejectChunk(c, b, fmt.Sprintf("not parsed: the %s parser failed on lines %d-%d (%v); please report it", kind, c.FirstLine, c.FirstLine+lineCount(c.Data)-1, v), noRedact)
		}
	}()
	parsers[kind].Parse(c, b)
}

func lineCount(data []byte) int64 {
	n := int64(bytes.Count(data, []byte{'\n'}))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}

// rejectChunk rejects every line of c.
func rejectChunk(c *parse.Chunk, b *parse.Batch, reason string, noRedact bool) {
	data := c.Data
	for no := c.FirstLine; len(data) > 0; no++ {
		line, rest, _ := bytes.Cut(data, []byte{'\n'})
		r := cutLineReject(line, no, noRedact)
		r.Reason = reason
		b.Rejects = append(b.Rejects, r)
		b.Stats.Lines++
		b.Stats.Rejected++
		data = rest
	}
}

// batchMark is how long the columns of a batch were, to take back what a failed parse added.
type batchMark struct {
	traces, exceptions, events, rejects int
	stats                               parse.Stats
	site                                string
}

func markBatch(b *parse.Batch) batchMark {
	return batchMark{b.Traces.Len(), b.Exceptions.Len(), b.Events.Len(), len(b.Rejects), b.Stats, b.Site}
}

// restore cuts b back to the mark. The column tables are cut by reflection, so that a column
// added to parse.Traces (or Exceptions, Events) is cut too.
func (m batchMark) restore(b *parse.Batch) {
	cutColumns(&b.Traces, m.traces)
	cutColumns(&b.Exceptions, m.exceptions)
	cutColumns(&b.Events, m.events)
	clear(b.Rejects[m.rejects:])
	b.Rejects = b.Rejects[:m.rejects]
	b.Stats, b.Site = m.stats, m.site
}

// cutColumns cuts every column of the struct *cols points to back to n rows: slices to n
// values, Strings to n strings, Dicts to n indices (their values may stay).
func cutColumns(cols any, n int) {
	t := reflect.ValueOf(cols).Elem()
	for i := 0; i < t.NumField(); i++ {
		if !t.Type().Field(i).IsExported() {
			continue
		}
		f := t.Field(i)
		switch v := f.Addr().Interface().(type) {
		case *parse.Strings:
			v.Offsets = v.Offsets[:n+1]
			v.Data = v.Data[:v.Offsets[n]]
		case *parse.Dict:
			v.Index = v.Index[:n]
		default:
			if f.Kind() == reflect.Slice && f.Len() > n {
				f.SetLen(n)
			}
		}
	}
}
