package parse

import (
	"fmt"
	"slices"
	"testing"
)

// traceLines renders every column of each trace row.
func traceLines(t *Traces) []string {
	ids := TemplateIDs()
	var out []string
	for i := range t.Len() {
		out = append(out, fmt.Sprintf("L%d+%d t=%d inst=%q lvl=%v sys=%v sev=%d msg=%q app=%q tmpl=%s job=%q(%v) op=%q pid=%d trunc=%v hash=%d sig=%d",
			t.LineNo[i], t.LineCount[i], t.Time[i], t.Instance.Value(i), t.Level[i], t.System[i], t.Severity[i],
			t.Message.Value(i), t.AppTime.Value(i), ids[t.Template[i]], t.Job.Value(i), t.JobSource[i], t.Operation.Value(i),
			t.PID[i], t.Truncated[i], t.Hash[i], t.Signals[i]))
	}
	return out
}

// TestMoveRows: the moved rows arrive whole and in order, after the rows dst held; the rows
// that stay are the others, whole and in order (also after RemoveAt). On parsed files (every column filled, as
// the store loads them), for choices of rows that cover the edges.
func TestMoveRows(t *testing.T) {
	fi := &FileInfo{Job: "Office365ActivityImporter", JobSource: JobByPath}
	for _, file := range []string{"crash_job_log.txt", "printed_job_log.txt"} {
		src, _ := parseFile(t, &KuduLog{}, file, fi)
		orig := traceLines(&src.Traces)
		n := len(orig)
		if n < 10 {
			t.Fatalf("%s: only %d rows", file, n)
		}
		choices := map[string]func(i int) bool{
			"none":        func(int) bool { return false },
			"all":         func(int) bool { return true },
			"first":       func(i int) bool { return i == 0 },
			"last":        func(i int) bool { return i == n-1 },
			"odd":         func(i int) bool { return i%2 == 1 },
			"every third": func(i int) bool { return i%3 == 0 },
			"runs":        func(i int) bool { return i%7 < 3 },
			"tagged": func(i int) bool {
				return src.Traces.Signals[i] != 0 || src.Traces.Template[i] != 0
			},
		}
		for name, move := range choices {
			t.Run(file+"/"+name, func(t *testing.T) {
				// a fresh copy of the parsed rows, and a destination that holds rows already
				b, _ := parseFile(t, &KuduLog{}, file, fi)
				dst, _ := parseFile(t, &KuduLog{}, file, fi)
				dst.Traces.MoveRows(&NewBatch(0).Traces, func(i int) bool { return i >= 3 })
				held := traceLines(&dst.Traces)
				var wantMoved, wantKept []string
				for i, l := range orig {
					if move(i) {
						wantMoved = append(wantMoved, l)
					} else {
						wantKept = append(wantKept, l)
					}
				}
				calls := 0
				got := b.Traces.MoveRows(&dst.Traces, func(i int) bool { calls++; return move(i) })
				if calls != n || got != len(wantMoved) {
					t.Fatalf("move called %d times for %d rows, %d moved, want %d", calls, n, got, len(wantMoved))
				}
				if kept := traceLines(&b.Traces); !slices.Equal(kept, wantKept) {
					t.Errorf("rows kept:\n%q\nwant\n%q", kept, wantKept)
				}
				if moved := traceLines(&dst.Traces); !slices.Equal(moved, append(held, wantMoved...)) {
					t.Errorf("destination:\n%q\nwant\n%q", moved, append(held, wantMoved...))
				}
				// RemoveAt leaves what MoveRows leaves
				c, _ := parseFile(t, &KuduLog{}, file, fi)
				var at []int32
				for i := range n {
					if move(i) {
						at = append(at, int32(i))
					}
				}
				c.Traces.RemoveAt(at)
				if kept := traceLines(&c.Traces); !slices.Equal(kept, wantKept) {
					t.Errorf("rows left by RemoveAt:\n%q\nwant\n%q", kept, wantKept)
				}
			})
		}
	}
}
