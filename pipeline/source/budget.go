package source

import (
	"fmt"
	"io"
	"sync/atomic"
)

// expansion is the decompression budget of one top-level input (a file named on the command
// line or found in a folder, stdin, a blob): what every decompressor inside it produces — all
// nesting levels, and the reads of workers after the walk — counts against MaxRatio times the
// input's stored size, and its archive members, at every depth, against MaxEntries.
//
// The per-stream checks alone do not bound a nested bomb: in 42.zip every one of a million
// leaves stays within its own limits (MaxRatio is checked after a 1 MiB grace per stream), and
// together they make terabytes.
type expansion struct {
	path     string
	in       func() int64 // stored bytes of the input (read so far, when not known ahead)
	ratio    int64
	maxItems int64
	out      atomic.Int64
	items    atomic.Int64
}

// expansionGrace is the output of one input below which its total ratio is not checked.
const expansionGrace = 64 << 20

func (w *Walker) newExpansion(path string, in func() int64) *expansion {
	return &expansion{path: path, in: in, ratio: w.opts.MaxRatio, maxItems: int64(w.opts.MaxEntries)}
}

// add counts n more decompressed bytes; it returns an ErrLimit error once the input's total
// passes its budget (and for every read after that). x may be nil.
func (x *expansion) add(n int) error {
	if x == nil {
		return nil
	}
	if x.spentAt(x.out.Add(int64(n))) {
		return x.overError()
	}
	return nil
}

// spentAt reports whether out decompressed bytes are past the budget.
func (x *expansion) spentAt(out int64) bool {
	if out <= expansionGrace {
		return false
	}
	in := x.in()
	return in <= 0 || out/in > x.ratio
}

func (x *expansion) overError() error {
	return fmt.Errorf("%w: the contents of %s expand above %d:1 in all, nested archives counted together (MaxRatio): %d bytes out of %d",
		ErrLimit, x.path, x.ratio, x.out.Load(), x.in())
}

// member is called before each archive member inside the input is walked. It returns the
// ErrLimit error that ends the walk of the archive: when the input's decompression budget is
// spent (walking more members is pointless), or when there are more than MaxEntries members
// in all. x may be nil.
func (x *expansion) member() error {
	if x == nil {
		return nil
	}
	if x.spentAt(x.out.Load()) {
		return fmt.Errorf("%w; the rest skipped", x.overError())
	}
	if n := x.items.Add(1); n > x.maxItems {
		return fmt.Errorf("%w: more than %d archive members inside %s in all, nested archives counted together (MaxEntries); the rest skipped", ErrLimit, x.maxItems, x.path)
	}
	return nil
}

// streamCount counts the bytes read from an input whose size is not known ahead (stdin, a
// pipe): the base of its expansion budget.
type streamCount struct {
	r io.Reader
	n atomic.Int64
}

func (s *streamCount) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n.Add(int64(n))
	return n, err
}

func (s *streamCount) count() int64 { return s.n.Load() }
