package source

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// node is a file-like input being examined: a disk file, an archive member or stdin.
type node struct {
	path      string // display path
	name      string // Entry.Name
	container string // Entry.Container
	size      int64  // stored size, -1 if unknown
	usize     int64  // the stored bytes' size once their container's own method is undone (zip deflate), 0 if unknown
	modTime   time.Time
	depth     int       // layers (archives and compressions) around the stored bytes
	raw       io.Reader // the stored bytes
	// ratioIn, if set, counts the compressed bytes behind raw when its container's own method
	// (zip deflate) is undone on the way; it is then the base of MaxRatio for layers in raw.
	ratioIn func() int64
	// reopen, if set, reads the stored bytes again independently of the walk; leaves of such
	// nodes are non-sequential.
	reopen func() (io.ReadCloser, error)
	disk   *diskFile // set for regular files on disk
	// budget is the decompression budget of the top-level input n is in (see expansion).
	budget *expansion
}

type diskFile struct {
	path string
	info fs.FileInfo
}

// kind is what the first bytes of a stream say it is.
type kind uint8

const (
	kindLeaf kind = iota
	kindGzip
	kindZstd
	kindZip
	kindTar
)

func (k kind) String() string {
	switch k {
	case kindGzip:
		return "gzip"
	case kindZstd:
		return "zstd"
	case kindZip:
		return "zip"
	case kindTar:
		return "tar"
	}
	return "leaf"
}

// magicSniffLen is how many leading bytes decide the kind (a tar header block).
const magicSniffLen = 512

// sniff tells the kind of a stream from its first bytes (fewer than magicSniffLen at EOF).
func sniff(b []byte) kind {
	switch {
	case len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b:
		return kindGzip
	case len(b) >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd:
		return kindZstd
	case len(b) >= 4 && b[0]&0xf0 == 0x50 && b[1] == 0x2a && b[2] == 0x4d && b[3] == 0x18:
		// A zstd skippable frame (0x184D2A50-5F, little endian), as written by seekable zstd.
		return kindZstd
	case len(b) >= 4 && b[0] == 'P' && b[1] == 'K' && (b[2] == 3 && b[3] == 4 || b[2] == 5 && b[3] == 6):
		return kindZip
	case isTar(b):
		return kindTar
	}
	return kindLeaf
}

// isTar reports whether b starts with a tar header: the "ustar" magic at offset 257 (POSIX and
// GNU), or an old v7 header whose checksum is right.
func isTar(b []byte) bool {
	if len(b) < 512 {
		return false
	}
	if string(b[257:262]) == "ustar" {
		return true
	}
	if b[0] == 0 {
		return false
	}
	want, ok := parseOctal(b[148:156])
	if !ok {
		return false
	}
	if _, ok := parseOctal(b[124:136]); !ok { // size
		return false
	}
	var unsigned, signed int64
	for i, c := range b[:512] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		unsigned += int64(c)
		signed += int64(int8(c))
	}
	return want == unsigned || want == signed
}

// parseOctal parses a tar numeric field: optional spaces, octal digits, then NULs or spaces.
func parseOctal(f []byte) (int64, bool) {
	f = bytes.TrimLeft(f, " ")
	var v int64
	digits := 0
	for i, c := range f {
		if c >= '0' && c <= '7' {
			if v > 1<<50 {
				return 0, false
			}
			v = v<<3 | int64(c-'0')
			digits++
			continue
		}
		if c != 0 && c != ' ' || digits == 0 {
			return 0, false
		}
		for _, c := range f[i:] {
			if c != 0 && c != ' ' {
				return 0, false
			}
		}
		break
	}
	return v, digits > 0
}

// normName turns an archive member name into Entry.Name form: '/' separators.
func normName(name string) string {
	return strings.ReplaceAll(name, `\`, "/")
}

// escapingName reports whether a member name (in Entry.Name form) would land outside the
// folder it were extracted to: a ".." element, or a root ("/etc/x", "//server/share"). Drive
// letters ("D:/home/...") are not counted: zips made on Windows (Kudu's downloads) use them.
// kudulens extracts nothing, so such names are only labels; the entry gets a Note.
func escapingName(name string) bool {
	if strings.HasPrefix(name, "/") {
		return true
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return true
		}
	}
	return false
}

// escapingNote is Entry.Note for a member whose name escapes its archive.
const escapingNote = "member name points outside the archive (absolute or ../): read in place, nothing extracted"

// node examines n and visits what it holds: a leaf, or the members of an archive, after
// removing compression layers. Damage is reported through Problem; the returned error only
// stops the walk (cancellation, an error from File). visited tells whether n ended up as a
// File call or as a walked archive.
func (w *Walker) node(n *node) (visited bool, err error) {
	if err := w.ctx.Err(); err != nil {
		return false, err
	}
	h := &hashReader{r: n.raw, h: sha256.New()}
	ch := w.newChain(h, n.ratioIn, n.budget)
	defer func() { ch.close(!w.abandoned) }()
	depth := n.depth
	for {
		k := sniff(ch.peek(magicSniffLen))
		if k != kindLeaf && depth >= w.opts.MaxDepth {
			return false, w.problem(n.path, fmt.Errorf("%w: %s layer not opened, nesting deeper than %d (MaxDepth)", ErrLimit, k, w.opts.MaxDepth))
		}
		switch k {
		case kindGzip, kindZstd:
			if err := ch.push(k); err != nil {
				return false, w.problem(n.path, err)
			}
			depth++
		case kindZip, kindTar:
			return true, w.container(n, ch, h, k, depth+1)
		default:
			return true, w.leaf(n, ch, h)
		}
	}
}

// leaf hands a leaf to the visitor.
func (w *Walker) leaf(n *node, ch *chain, h *hashReader) error {
	if err := w.ctx.Err(); err != nil {
		return err // the sniff may have failed because of it
	}
	h.stop()
	e := &Entry{
		Path:        n.path,
		Name:        n.name,
		Container:   n.container,
		Compression: ch.compression(),
		Size:        n.size,
		ModTime:     n.modTime,
	}
	if n.container != "" && escapingName(n.name) {
		e.Note = escapingNote
	}
	if n.reopen != nil {
		if len(ch.layers) == 0 {
			e.contentSize = n.usize
		}
		layers := append([]kind(nil), ch.layers...)
		ch.close(true)
		e.open = func() (io.ReadCloser, error) { return w.reopenLeaf(n, layers) }
		return w.v.File(e)
	}
	e.Sequential = true
	g := &gate{done: make(chan struct{})}
	g.reader = func() io.ReadCloser {
		return &leafReader{ctx: w.ctx, path: e.Path, r: ch.reader(), max: w.opts.MaxEntryBytes, onClose: g.finish}
	}
	e.gate = g
	if err := w.v.File(e); err != nil {
		if g.settle() {
			w.abandoned = true
		}
		return err
	}
	if g.settle() {
		select {
		case <-g.done:
		case <-w.ctx.Done():
			w.abandoned = true
			return w.ctx.Err()
		}
	}
	return nil
}

// reopenLeaf opens a non-sequential leaf again, with the layers found when it was walked. It
// runs on the visitor's goroutines, possibly after Walk returned: it uses no walk state but
// the options and the codec pools.
func (w *Walker) reopenLeaf(n *node, layers []kind) (io.ReadCloser, error) {
	rc, err := n.reopen()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", n.path, err)
	}
	var ratioIn func() int64
	if zm, ok := rc.(*zipMemberReader); ok {
		ratioIn = zm.ratioIn()
	}
	ch := w.newChain(rc, ratioIn, n.budget)
	for _, k := range layers {
		if err := ch.push(k); err != nil {
			ch.close(true)
			rc.Close()
			return nil, fmt.Errorf("open %s: %w", n.path, err)
		}
	}
	return &leafReader{path: n.path, r: ch.reader(), max: w.opts.MaxEntryBytes, onClose: func() {
		ch.close(true)
		rc.Close()
	}}, nil
}

// container walks an archive whose first bytes are at the top of ch, then reports it.
func (w *Walker) container(n *node, ch *chain, h *hashReader, k kind, depth int) error {
	var (
		entries  int
		complete bool
		err      error
	)
	switch {
	case k == kindTar:
		entries, complete, err = w.walkTar(n, ch.buffered(), depth)
	case n.disk != nil && len(ch.layers) == 0:
		entries, complete, err = w.walkDiskZip(n, depth)
	default:
		entries, complete, err = w.walkStreamZip(n, ch, depth)
	}
	if err != nil {
		return err
	}
	// Read to the end: the rest of the decompressed stream (tar padding; trailing damage is
	// worth a Problem), then the stored bytes, so that Size and SHA256 cover all of them.
	if complete {
		if _, err := io.Copy(io.Discard, ch.reader()); err != nil {
			if err := w.problem(n.path, fmt.Errorf("after the end of the %s archive: %w", k, err)); err != nil {
				return err
			}
		}
	}
	info := ContainerInfo{Path: n.path, Kind: k.String(), Compression: ch.compression(), Entries: entries}
	if _, err := io.Copy(io.Discard, h); err == nil {
		info.SHA256 = hex.EncodeToString(h.h.Sum(nil))
	}
	if err := w.ctx.Err(); err != nil {
		return err
	}
	info.Size = h.n
	w.v.Container(info)
	return nil
}

// chain is a stack of levels: level 0 reads the stored bytes, each further level the output
// of a decompressor reading the level below.
type chain struct {
	w       *Walker
	levels  []*level
	layers  []kind
	release []func()
	// ratioIn returns the compressed bytes consumed so far by the outermost compression (a
	// zip member's own method, or the first gzip/zstd layer): the base of MaxRatio.
	ratioIn func() int64
	budget  *expansion
	closed  bool
}

// level counts the bytes read from src and buffers them (the buffer is made on demand).
type level struct {
	src io.Reader
	n   int64
	br  *bufio.Reader
}

func (l *level) Read(p []byte) (int, error) {
	n, err := l.src.Read(p)
	l.n += int64(n)
	return n, err
}

// consumed is how many bytes of src the reader above took (read minus still buffered).
func (l *level) consumed() int64 {
	if l.br == nil {
		return l.n
	}
	return l.n - int64(l.br.Buffered())
}

func (w *Walker) newChain(src io.Reader, ratioIn func() int64, budget *expansion) *chain {
	return &chain{w: w, levels: []*level{{src: src}}, ratioIn: ratioIn, budget: budget}
}

func (ch *chain) top() *level { return ch.levels[len(ch.levels)-1] }

// buffered returns the top level's buffered reader.
func (ch *chain) buffered() *bufio.Reader {
	t := ch.top()
	if t.br == nil {
		t.br = ch.w.codecs.getBuf(t)
	}
	return t.br
}

// reader returns the reader for the top level's content.
func (ch *chain) reader() io.Reader {
	if t := ch.top(); t.br != nil {
		return t.br
	}
	return ch.top()
}

// peek returns up to n leading bytes of the top level without consuming them. A read error is
// left for the next reader of the level to meet.
func (ch *chain) peek(n int) []byte {
	b, _ := ch.buffered().Peek(n)
	return b
}

func (ch *chain) compression() string {
	s := make([]string, len(ch.layers))
	for i, k := range ch.layers {
		s[i] = k.String()
	}
	return strings.Join(s, "+")
}

// push adds a decompression level for k (gzip or zstd) on top.
func (ch *chain) push(k kind) error {
	below := ch.top()
	in := ch.buffered()
	off := below.consumed()
	var (
		dec     io.Reader
		release func()
	)
	c := ch.w.codecs
	switch k {
	case kindGzip:
		z, err := c.getGzip(in)
		if err != nil {
			return fmt.Errorf("gzip header at offset %d: %w", off, err)
		}
		dec, release = z, func() { c.putGzip(z) }
	case kindZstd:
		d, err := c.getZstd(in)
		if err != nil {
			return fmt.Errorf("zstd stream at offset %d: %w", off, err)
		}
		dec, release = d, func() { c.putZstd(d) }
	default:
		return fmt.Errorf("internal error: push %s", k)
	}
	if ch.ratioIn == nil {
		ch.ratioIn = below.consumed
	}
	m := &meter{r: dec, name: k.String(), inOff: below.consumed, ratioIn: ch.ratioIn,
		max: ch.w.opts.MaxEntryBytes, ratio: ch.w.opts.MaxRatio, total: ch.budget}
	ch.levels = append(ch.levels, &level{src: m})
	ch.layers = append(ch.layers, k)
	ch.release = append(ch.release, release)
	return nil
}

// close returns the chain's decoders and buffers to the pools (when recycle is set; not when
// a visitor may still be reading through them). It may be called more than once.
func (ch *chain) close(recycle bool) {
	if ch.closed {
		return
	}
	ch.closed = true
	if !recycle {
		return
	}
	for i := len(ch.release) - 1; i >= 0; i-- {
		ch.release[i]()
	}
	for _, l := range ch.levels {
		if l.br != nil {
			ch.w.codecs.putBuf(l.br)
			l.br = nil
		}
	}
}

// meter sits on a decompressor's output: it enforces MaxEntryBytes and MaxRatio and says where
// in the input a decoding error happened.
type meter struct {
	r       io.Reader
	name    string
	inOff   func() int64 // input consumed so far, for error messages; nil if unknown
	ratioIn func() int64 // base of the ratio check
	total   *expansion   // the budget of the top-level input, or nil
	out     int64
	max     int64
	ratio   int64
	err     error
}

func (m *meter) Read(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	if rem := m.max - m.out; int64(len(p)) > rem {
		p = p[:rem+1] // one byte more than allowed tells that the limit is exceeded
	}
	n, err := m.r.Read(p)
	if int64(n) > m.max-m.out {
		n = int(m.max - m.out)
		m.out += int64(n)
		m.err = fmt.Errorf("%w: %s output over %d bytes (MaxEntryBytes)", ErrLimit, m.name, m.max)
		return n, m.err
	}
	m.out += int64(n)
	if err != nil && err != io.EOF {
		if m.inOff != nil {
			m.err = fmt.Errorf("%s data broken at compressed offset %d (output offset %d): %w", m.name, m.inOff(), m.out, err)
		} else {
			m.err = fmt.Errorf("%s data broken at output offset %d: %w", m.name, m.out, err)
		}
		return n, m.err
	}
	if m.out > ratioGrace {
		if in := m.ratioIn(); in <= 0 || m.out/in > m.ratio {
			m.err = fmt.Errorf("%w: %s decompression ratio above %d:1 (MaxRatio): %d bytes out of %d", ErrLimit, m.name, m.ratio, m.out, in)
			return n, m.err
		}
	}
	if terr := m.total.add(n); terr != nil {
		m.err = terr
		return n, m.err
	}
	return n, err
}

// capReader fails with ErrLimit once more than max bytes come out of r.
type capReader struct {
	r    io.Reader
	n    int64
	max  int64
	what string
}

func (c *capReader) Read(p []byte) (int, error) {
	if rem := c.max - c.n; int64(len(p)) > rem {
		p = p[:rem+1]
	}
	n, err := c.r.Read(p)
	if int64(n) > c.max-c.n {
		c.n = c.max
		return n - 1, fmt.Errorf("%w: %s over %d bytes (MaxEntryBytes)", ErrLimit, c.what, c.max)
	}
	c.n += int64(n)
	return n, err
}

// hashReader hashes and counts the stored bytes of a node, until stop.
type hashReader struct {
	r       io.Reader
	h       hash.Hash
	n       int64
	stopped bool
}

func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.n += int64(n)
	if !h.stopped {
		h.h.Write(p[:n])
	}
	return n, err
}

func (h *hashReader) stop() { h.stopped = true }

// ctxReader fails reads once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// leafReader is what Entry.Open returns: the content, cut at MaxEntryBytes, with errors that
// name the entry and the offset.
type leafReader struct {
	mu      sync.Mutex      // Read and Close may come from different goroutines
	ctx     context.Context // the walk's, for sequential entries; else nil
	path    string
	r       io.Reader
	n       int64
	max     int64
	err     error
	closed  bool
	onClose func()
}

func (l *leafReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, fmt.Errorf("read %s: %w", l.path, os.ErrClosed)
	}
	if l.err != nil {
		return 0, l.err
	}
	if l.ctx != nil {
		if err := l.ctx.Err(); err != nil {
			// The walk is over: what is read through may be gone.
			return 0, fmt.Errorf("read %s: %w", l.path, err)
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	if rem := l.max - l.n; rem == 0 {
		// At the limit: the content is fine if it ends here.
		var one [1]byte
		for {
			k, err := l.r.Read(one[:])
			switch {
			case k > 0:
				l.err = fmt.Errorf("read %s: %w: more than %d bytes (MaxEntryBytes)", l.path, ErrLimit, l.max)
			case err == io.EOF:
				l.err = io.EOF
			case err != nil:
				l.err = fmt.Errorf("read %s at offset %d: %w", l.path, l.n, err)
			default:
				continue
			}
			return 0, l.err
		}
	} else if int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if err != nil {
		if err == io.EOF {
			l.err = io.EOF
		} else {
			l.err = fmt.Errorf("read %s at offset %d: %w", l.path, l.n, err)
		}
	}
	return n, l.err
}

func (l *leafReader) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		l.onClose()
	}
	return nil
}

// gate implements the hand-over of a sequential entry: the walker waits until the reader is
// closed, or goes on at once if File returned without opening.
type gate struct {
	mu     sync.Mutex
	state  gateState
	done   chan struct{} // closed by finish
	reader func() io.ReadCloser
}

type gateState uint8

const (
	gateIdle gateState = iota // not opened yet
	gateOpen                  // opened, not closed
	gateDone                  // closed, or File returned without opening
)

func (g *gate) open(e *Entry) (io.ReadCloser, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch g.state {
	case gateOpen:
		return nil, fmt.Errorf("open %s: Open called twice", e.Path)
	case gateDone:
		return nil, fmt.Errorf("open %s: sequential entry opened after Visitor.File returned without opening it, or after Close", e.Path)
	}
	g.state = gateOpen
	return g.reader(), nil
}

// finish is called when the reader is closed.
func (g *gate) finish() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.state = gateDone
	close(g.done)
}

// settle is called by the walker after File returned; it reports whether the entry is open,
// so that the walker must wait for done.
func (g *gate) settle() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state == gateIdle {
		g.state = gateDone
		return false
	}
	return g.state == gateOpen
}

// atomicFlag is a one-way flag.
type atomicFlag struct{ b atomic.Bool }

// set sets the flag and reports whether it was clear.
func (f *atomicFlag) set() bool { return f.b.CompareAndSwap(false, true) }

// cancelReader reads r on a goroutine of its own, so that a read blocked on an idle pipe
// (stdin) does not keep a cancelled walk waiting. The goroutine ends when r returns an error
// or, after stop, when its current read returns.
type cancelReader struct {
	ctx   context.Context
	ch    chan readPiece
	free  chan []byte
	quit  chan struct{}
	cur   readPiece
	off   int
	ended error
}

type readPiece struct {
	b   []byte
	err error
}

func newCancelReader(ctx context.Context, r io.Reader) *cancelReader {
	c := &cancelReader{ctx: ctx, ch: make(chan readPiece), free: make(chan []byte, 2), quit: make(chan struct{})}
	c.free <- make([]byte, bufSize)
	c.free <- make([]byte, bufSize)
	go func() {
		for {
			var buf []byte
			select {
			case buf = <-c.free:
			case <-c.quit:
				return
			}
			n, err := r.Read(buf)
			select {
			case c.ch <- readPiece{buf[:n], err}:
			case <-c.quit:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return c
}

func (c *cancelReader) Read(p []byte) (int, error) {
	for c.off == len(c.cur.b) {
		if c.cur.err != nil {
			return 0, c.cur.err
		}
		if c.ended != nil {
			return 0, c.ended
		}
		if c.cur.b != nil {
			c.free <- c.cur.b[:cap(c.cur.b)]
			c.cur.b = nil
		}
		select {
		case c.cur = <-c.ch:
			c.off = 0
		case <-c.ctx.Done():
			c.ended = c.ctx.Err()
			return 0, c.ended
		}
	}
	n := copy(p, c.cur.b[c.off:])
	c.off += n
	return n, nil
}

func (c *cancelReader) stop() { close(c.quit) }
