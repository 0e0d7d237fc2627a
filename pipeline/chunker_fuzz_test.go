package pipeline

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/kudulens/kudulens/internal/testinput"
	"github.com/kudulens/kudulens/pipeline/source"
)

// failingReader delivers data, then fails with errDamaged (or ends cleanly when at < 0), a few
// bytes a read.
type failingReader struct {
	data []byte
	at   int
	step int
}

var errDamaged = errors.New("damaged")

func (f *failingReader) Read(p []byte) (int, error) {
	end := len(f.data)
	if f.at >= 0 && f.at < end {
		end = f.at
	}
	if len(f.data) == 0 || end == 0 {
		if f.at >= 0 {
			return 0, errDamaged
		}
		return 0, io.EOF
	}
	n := min(len(p), end, f.step)
	copy(p, f.data[:n])
	f.data, f.at = f.data[n:], f.at-n
	return n, nil
}

// cutLongLines is what the chunker must deliver of text: every line, cut to maxLine bytes
// (the line end kept). It returns the lines that were cut (1-based).
func cutLongLines(text []byte, maxLine int) (out []byte, cut []int64) {
	for n := int64(1); len(text) > 0; n++ {
		line, rest, nl := bytes.Cut(text, []byte{'\n'})
		if len(line) > maxLine {
			line = line[:maxLine]
			cut = append(cut, n)
		}
		out = append(out, line...)
		if nl {
			out = append(out, '\n')
		}
		text = rest
	}
	return out, cut
}

// FuzzChunker reads text through textReader and the chunker, with tiny chunks and lines, and
// with the input failing at some offset. Every whole line read before a failure is delivered,
// cut to the line limit; the line the failure cut is not, it is kept in partial.
//
//	go test ./pipeline -run '^$' -fuzz '^FuzzChunker$' -fuzztime 60s
func FuzzChunker(f *testing.F) {
	f.Add([]byte("a\r\nbb\nccc\r\n"), 5, -1, 3)
	f.Add([]byte("\xEF\xBB\xBFone\rtwo\rthree"), 2, 9, 1)
	f.Add(testinput.UTF16("UTF-16 line\r\nsecond\r\n", false), 8, 20, 7)
	f.Add(bytes.Repeat([]byte("x"), 100), 7, 50, 13)
	f.Add([]byte("[11/19/2026 21:40:07 > 5e1c2a: INFO] a\n[11/19/2026 21:40:08 > 5e1c2a: INFO] b\n"), 16, 60, 4)
	f.Fuzz(func(t *testing.T, data []byte, maxLine, failAt, step int) {
		if len(data) > 64<<10 || maxLine < 1 || maxLine > 256 || step < 1 || step > 4096 || failAt > len(data) {
			return
		}
		// What the chunker sees: the decoded text up to the failure (the decoders hold back
		// an incomplete character at a failure, so what is read is a prefix of it).
		src := data
		if failAt >= 0 {
			src = data[:failAt]
		}
		text, _ := source.TextReader(bufio.NewReader(&failingReader{data: bytes.Clone(src), at: -1, step: 1 << 20}))
		all, _ := io.ReadAll(text)
		if failAt < 0 {
			failAt = -1
		}
		r, _ := source.TextReader(bufio.NewReaderSize(&failingReader{data: bytes.Clone(data), at: failAt, step: step}, 64<<10))
		pool := newBufPool(64+maxLine+4096, 4)
		block := 64
		// The safe cut of a text log: any line start.
		safeCut := func(b []byte) int { return bytes.LastIndexByte(b, '\n') + 1 }
		ck := &chunker{r: r, safeCut: safeCut, block: block, maxLine: maxLine, pool: pool, line: 1}
		var got []byte
		var cuts []int64
		var lines int64
		var err error
		for {
			var c *chunk
			c, err = ck.next()
			if err != nil {
				break
			}
			if c.firstLine != lines+1 {
				t.Fatalf("chunk starts at line %d after %d lines", c.firstLine, lines)
			}
			if int64(bytes.Count(c.data, []byte{'\n'})) != c.lines && int64(bytes.Count(c.data, []byte{'\n'}))+1 != c.lines {
				t.Fatalf("chunk of %d lines holds %d line ends", c.lines, bytes.Count(c.data, []byte{'\n'}))
			}
			if len(got) > 0 && got[len(got)-1] != '\n' {
				t.Fatalf("a chunk ends inside a line")
			}
			got = append(got, c.data...)
			cuts = append(cuts, c.cut...)
			lines += c.lines
			pool.put(c.buf)
		}
		if failAt < 0 {
			if err != io.EOF {
				t.Fatalf("error %v, want EOF", err)
			}
			want, wantCuts := cutLongLines(all, maxLine)
			if !bytes.Equal(got, want) || ck.partial != nil {
				t.Fatalf("delivered %q (partial %q), want %q", got, ck.partial, want)
			}
			if fmt.Sprint(cuts) != fmt.Sprint(wantCuts) {
				t.Fatalf("cut lines %v, want %v", cuts, wantCuts)
			}
			return
		}
		if !errors.Is(err, errDamaged) {
			t.Fatalf("error %v, want the read error", err)
		}
		// Up to the failure the text is a prefix of all (the decoders deliver what they can).
		read := append(bytes.Clone(got), ck.partial...)
		want, _ := cutLongLines(all, maxLine)
		if !bytes.HasPrefix(want, read) {
			t.Fatalf("delivered %q + partial %q, not a prefix of %q", got, ck.partial, want)
		}
		if len(got) > 0 && got[len(got)-1] != '\n' {
			t.Fatalf("the line cut by the failure was delivered: %q", got)
		}
		if ck.partial != nil {
			if ck.partialLine != lines+1 || len(ck.partial) > maxLine || bytes.IndexByte(ck.partial, '\n') >= 0 {
				t.Fatalf("partial %q at line %d after %d lines (max %d)", ck.partial, ck.partialLine, lines, maxLine)
			}
			if ck.partialOff < 0 || ck.partialOff > ck.offset {
				t.Fatalf("partial at offset %d of %d", ck.partialOff, ck.offset)
			}
		}
	})
}
