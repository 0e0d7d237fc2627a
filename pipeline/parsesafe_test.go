package pipeline

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kudulens/kudulens/parse"
	"github.com/kudulens/kudulens/pipeline/source"
)

// panicky parses like KuduLog, then panics.
type panicky struct{ parse.KuduLog }

func (p *panicky) Parse(c *parse.Chunk, b *parse.Batch) {
	p.KuduLog.Parse(c, b)
	panic("boom")
}

// A parser that panics loses no line and leaves no row of the chunk it failed on; the rows
// before are kept, the parser is replaced.
func TestSafeParse(t *testing.T) {
	fi := &parse.FileInfo{Job: "AppInsightsImporter", JobSource: parse.JobByPath}
	good := "[11/19/2026 21:40:07 > 5e1c2a: INFO] 21-40-07:12: kept\r\n"
	bad := "[11/19/2026 21:40:08 > ffffff: ERR ] Unhandled Exception: System.Exception: x Password=hunter2\r\nnext line\r\n"
	parsers := newParsers()
	b := parse.NewBatch(8)
	safeParse(parsers, source.KindKuduLog, &parse.Chunk{Data: []byte(good), FirstLine: 1, File: fi}, b, false)
	parsers[source.KindKuduLog] = &panicky{}
	safeParse(parsers, source.KindKuduLog, &parse.Chunk{Data: []byte(bad), FirstLine: 2, File: fi}, b, false)
	if _, replaced := parsers[source.KindKuduLog].(*parse.KuduLog); !replaced {
		t.Error("the parser that panicked was not replaced")
	}
	if s := b.Stats; s.Lines != 3 || s.Parsed != 1 || s.Rejected != 2 {
		t.Errorf("stats %+v", s)
	}
	// Every trace column has the one row of the first chunk.
	tr := reflect.ValueOf(b.Traces)
	for i := 0; i < tr.NumField(); i++ {
		n := -1
		switch v := tr.Field(i).Interface().(type) {
		case parse.Strings:
			n = v.Len()
		case parse.Dict:
			n = len(v.Index)
		default:
			if tr.Field(i).Kind() == reflect.Slice {
				n = tr.Field(i).Len()
			}
		}
		if n != -1 && n != 1 {
			t.Errorf("Traces.%s has %d values, want 1", tr.Type().Field(i).Name, n)
		}
	}
	if b.Traces.Message.Value(0) == nil || string(b.Traces.Message.Value(0)) != "kept" || b.Exceptions.Len() != 0 {
		t.Errorf("rows: %q, %d exceptions", b.Traces.Message.Value(0), b.Exceptions.Len())
	}
	if len(b.Rejects) != 2 || b.Rejects[0].LineNo != 2 || b.Rejects[1].LineNo != 3 ||
		!strings.HasPrefix(b.Rejects[0].Reason, "not parsed: the kudu-log parser failed on lines 2-3 (boom)") ||
		strings.Contains(b.Rejects[0].Raw, "hunter2") {
		t.Errorf("rejects %+v", b.Rejects)
	}
}
