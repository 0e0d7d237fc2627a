package pipeline

import (
	"bytes"
	"errors"
	"io"
)

// chunker cuts a stream of log text into chunks of whole lines for the parse workers.
//
// A chunk ends only where the format's safe-cut function says a new record starts, so each
// chunk parses on its own. Lines longer than maxLine are cut to maxLine bytes (the rest of the
// line is dropped and the line number reported), which bounds memory whatever the input.
// Chunks are read into buffers from a pool: the caller returns each chunk's buffer with put
// once parsed.
//
// When the stream fails (damage, a size limit) in the middle of a line, that line is not
// delivered in a chunk, since it would be parsed as if it were whole: it is kept in partial
// for the caller to reject.
type chunker struct {
	r       io.Reader
	safeCut func([]byte) int
	block   int // target chunk size
	maxLine int
	pool    *bufPool

	carry      []byte // start of the next chunk, read past the previous cut
	line       int64  // line number of the next chunk's first line
	discarding bool   // dropping the rest of an over-long line
	eof        bool
	err        error // sticky read error, returned after the data before it
	offset     int64 // bytes consumed from r
	lineStart  int64 // offset in r where the last line read starts (after the last '\n')

	// After a read error: the incomplete line it cut (at most maxLine bytes), its number,
	// and where it starts in r. partial is nil when the error came at a line end.
	partial     []byte
	partialLine int64
	partialOff  int64
}

// maxChunkFactor bounds how far past block a chunk may grow while looking for a safe cut (a
// huge multi-line record); past it the chunk is cut at the last line end.
const maxChunkFactor = 8

type chunk struct {
	data      []byte
	buf       []byte // to return to the pool
	firstLine int64
	cut       []int64 // lines cut at maxLine
	lines     int64
}

// next returns the next chunk, or io.EOF when the stream is exhausted. A read error (a
// damaged archive, a dropped connection, a size limit) is returned as it is, after every whole
// line read before it has been delivered in chunks; a line cut by the error is not delivered
// but kept in c.partial.
func (c *chunker) next() (*chunk, error) {
	if c.eof && len(c.carry) == 0 {
		if c.err != nil {
			err := c.err
			c.err = nil
			return nil, err
		}
		return nil, io.EOF
	}
	buf := c.pool.get()
	buf = append(buf[:0], c.carry...)
	ck := &chunk{buf: buf, firstLine: c.line}
	scanFrom := 0 // long-line checks have covered buf[:scanFrom]
	limit := c.block
	for {
		for len(buf) < limit && !c.eof {
			buf = c.fill(buf, limit, ck)
			scanFrom = c.checkLongLines(buf, scanFrom, ck, &buf)
		}
		if c.eof {
			ck.data = buf
			c.carry = nil
			if c.err != nil {
				c.cutPartial(ck)
				if len(ck.data) == 0 {
					c.pool.put(ck.buf)
					err := c.err
					c.err = nil
					return nil, err
				}
			}
			break
		}
		if n := c.safeCut(buf); n > 0 {
			ck.data, c.carry = buf[:n], buf[n:]
			break
		}
		if limit < c.block*maxChunkFactor {
			limit += c.block
			if cap(buf) < limit+c.maxLine {
				nb := make([]byte, len(buf), limit+c.maxLine+4096)
				copy(nb, buf)
				buf = nb
				ck.buf = nb // the old buffer is dropped; oversized buffers are not pooled
			}
			continue
		}
		// No safe cut in a very large window: cut at the last line end; a record spanning
		// the cut is split (documented limit).
		n := bytes.LastIndexByte(buf, '\n') + 1
		if n == 0 {
			n = len(buf) // cannot happen: checkLongLines keeps lines ≤ maxLine < window
		}
		ck.data, c.carry = buf[:n], buf[n:]
		break
	}
	ck.buf = buf
	ck.lines = int64(bytes.Count(ck.data, []byte{'\n'}))
	if len(ck.data) > 0 && ck.data[len(ck.data)-1] != '\n' {
		ck.lines++ // last line without terminator (end of stream)
	}
	c.line += ck.lines
	// carry was read after a cut inside buf; it is copied into the next buffer by next.
	if len(c.carry) > 0 {
		c.carry = append([]byte(nil), c.carry...)
	}
	return ck, nil
}

// fill reads into buf up to limit bytes, dropping the tail of an over-long line.
func (c *chunker) fill(buf []byte, limit int, ck *chunk) []byte {
	if cap(buf) < limit {
		nb := make([]byte, len(buf), limit+c.maxLine+4096)
		copy(nb, buf)
		buf = nb
	}
	n, err := c.r.Read(buf[len(buf):limit])
	got := buf[len(buf) : len(buf)+n]
	if i := bytes.LastIndexByte(got, '\n'); i >= 0 {
		c.lineStart = c.offset + int64(i) + 1
	}
	c.offset += int64(n)
	if c.discarding && n > 0 {
		i := bytes.IndexByte(got, '\n')
		if i < 0 {
			n = 0
		} else {
			copy(got, got[i:])
			n -= i
			c.discarding = false
		}
	}
	buf = buf[:len(buf)+n]
	if err != nil {
		c.eof = true
		if !errors.Is(err, io.EOF) {
			c.err = err
		}
	}
	return buf
}

// cutPartial moves the incomplete last line of ck.data, cut by a read error, to c.partial.
func (c *chunker) cutPartial(ck *chunk) {
	i := bytes.LastIndexByte(ck.data, '\n') + 1
	if i == len(ck.data) {
		return
	}
	c.partial = append([]byte(nil), ck.data[i:]...)
	c.partialLine = ck.firstLine + int64(bytes.Count(ck.data[:i], []byte{'\n'}))
	c.partialOff = c.lineStart
	ck.data = ck.data[:i]
}

// checkLongLines cuts lines longer than maxLine in buf[from:], returning how far buf is
// known to hold only short lines (the start of its last, incomplete line). *bufp is updated
// when bytes are removed.
func (c *chunker) checkLongLines(buf []byte, from int, ck *chunk, bufp *[]byte) int {
	max := c.maxLine
	// Complete lines: a line longer than max contains a whole window of max/2 bytes, so only
	// windows without a newline need a closer look.
	half := max / 2
	if half < 1 {
		half = 1
	}
	off := from
	for off+half <= len(buf) {
		if bytes.IndexByte(buf[off:off+half], '\n') >= 0 {
			off += half
			continue
		}
		start := bytes.LastIndexByte(buf[:off], '\n') + 1
		endRel := bytes.IndexByte(buf[off:], '\n')
		if endRel < 0 {
			break // the incomplete last line, checked below
		}
		end := off + endRel
		if end-start > max {
			c.noteCut(buf, start, ck)
			buf = append(buf[:start+max], buf[end:]...)
			*bufp = buf
			off = start + max
			continue
		}
		off = end + 1
	}
	// The incomplete last line.
	start := bytes.LastIndexByte(buf, '\n') + 1
	if len(buf)-start > max {
		c.noteCut(buf, start, ck)
		buf = buf[:start+max]
		*bufp = buf
		c.discarding = true
	}
	return start
}

func (c *chunker) noteCut(buf []byte, lineStart int, ck *chunk) {
	ln := ck.firstLine + int64(bytes.Count(buf[:lineStart], []byte{'\n'}))
	if n := len(ck.cut); n == 0 || ck.cut[n-1] != ln {
		ck.cut = append(ck.cut, ln)
	}
}

// bufPool recycles chunk buffers of one size.
type bufPool struct {
	size int
	free chan []byte
}

func newBufPool(size, keep int) *bufPool {
	return &bufPool{size: size, free: make(chan []byte, keep)}
}

func (p *bufPool) get() []byte {
	select {
	case b := <-p.free:
		return b[:0]
	default:
		return make([]byte, 0, p.size)
	}
}

func (p *bufPool) put(b []byte) {
	if cap(b) != p.size {
		return
	}
	select {
	case p.free <- b:
	default:
	}
}
