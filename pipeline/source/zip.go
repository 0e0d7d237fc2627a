package source

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"
)

// walkDiskZip walks a zip file on disk through a sharedFile, so that its members can be
// opened after the walk moved on (they are non-sequential).
func (w *Walker) walkDiskZip(n *node, depth int) (entries int, complete bool, err error) {
	sf := &sharedFile{path: n.disk.path, info: n.disk.info}
	if err := sf.acquire(); err != nil {
		return 0, false, w.problem(n.path, err)
	}
	defer sf.release()
	return w.walkZip(n, sf, n.disk.info.Size(), sf, depth)
}

// walkStreamZip spools the zip at the top of ch (a nested zip, a compressed zip, a zip on
// stdin) into memory or a temporary file and walks it. Its members are sequential: the spool
// is gone after the walk.
func (w *Walker) walkStreamZip(n *node, ch *chain, depth int) (entries int, complete bool, err error) {
	ra, size, cleanup, err := w.spool(ch.reader(), n.size)
	if err != nil {
		return 0, false, w.problem(n.path, fmt.Errorf("zip: %w", err))
	}
	defer cleanup()
	return w.walkZip(n, ra, size, nil, depth)
}

// spool copies r (at most MaxEntryBytes) to memory if it fits MemSpoolLimit, else to a file in
// the walk's private temporary folder. cleanup closes and removes what spool made.
func (w *Walker) spool(r io.Reader, sizeHint int64) (ra io.ReaderAt, size int64, cleanup func(), err error) {
	r = &capReader{r: r, max: w.opts.MaxEntryBytes, what: "nested zip archive"}
	limit := w.opts.MemSpoolLimit
	var b bytes.Buffer
	if sizeHint > 0 && sizeHint <= limit {
		b.Grow(int(sizeHint) + bytes.MinRead)
	}
	if _, err := b.ReadFrom(io.LimitReader(r, limit+1)); err != nil {
		return nil, 0, nil, err
	}
	if int64(b.Len()) <= limit {
		return bytes.NewReader(b.Bytes()), int64(b.Len()), func() {}, nil
	}
	if w.spoolDir == "" {
		d, err := os.MkdirTemp(w.opts.TempDir, "kudulens-spool-")
		if err != nil {
			return nil, 0, nil, err
		}
		w.spoolDir = d
	}
	f, err := os.CreateTemp(w.spoolDir, "zip-*")
	if err != nil {
		return nil, 0, nil, err
	}
	cleanup = func() {
		f.Close()
		os.Remove(f.Name())
	}
	n, err := b.WriteTo(f)
	if err == nil {
		var m int64
		m, err = io.Copy(f, r)
		n += m
	}
	if err != nil {
		cleanup()
		return nil, 0, nil, err
	}
	return f, n, cleanup, nil
}

// walkZip walks the members of the zip archive of n held in ra. sf is set for a zip on disk.
func (w *Walker) walkZip(n *node, ra io.ReaderAt, size int64, sf *sharedFile, depth int) (entries int, complete bool, err error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return w.salvageZip(n, ra, size, depth, err)
	}

	files := zr.File
	if len(files) > w.opts.MaxEntries {
		err := fmt.Errorf("%w: %d members, more than %d (MaxEntries); the rest skipped", ErrLimit, len(files), w.opts.MaxEntries)
		if err := w.problem(n.path, err); err != nil {
			return 0, false, err
		}
		files = files[:w.opts.MaxEntries]
	}
	for _, zf := range files {
		if err := w.ctx.Err(); err != nil {
			return entries, false, err
		}
		if err := n.budget.member(); err != nil {
			return entries, false, w.problem(n.path, err)
		}
		visited, err := w.zipMember(n, zf, size, sf, depth)
		if err != nil {
			return entries, false, err
		}
		if visited {
			entries++
		}
	}
	return entries, len(files) == len(zr.File), nil
}

// zipMember visits one member of a zip.
func (w *Walker) zipMember(n *node, zf *zip.File, size int64, sf *sharedFile, depth int) (bool, error) {
	name := normName(zf.Name)
	path := n.path + "!" + name
	mode := zf.Mode()
	switch {
	case strings.HasSuffix(name, "/") || mode.IsDir():
		return false, nil
	case zf.Flags&0x1 != 0:
		return false, w.problem(path, errors.New("encrypted zip member skipped"))
	case mode&fs.ModeSymlink != 0:
		target := "?"
		if rc, err := zf.Open(); err == nil {
			b, _ := io.ReadAll(io.LimitReader(rc, 1024))
			rc.Close()
			target = string(b)
		}
		return false, w.problem(path, notRegular("symlink to %s skipped", target))
	case !mode.IsRegular():
		return false, w.problem(path, notRegular("%s skipped", fileKind(mode)))
	}
	off, err := zf.DataOffset()
	if err != nil {
		return false, w.problem(path, fmt.Errorf("zip: local header unreadable: %w", err))
	}
	csize := int64(zf.CompressedSize64)
	if zf.CompressedSize64 > math.MaxInt64 || off > size || csize > size-off {
		err := fmt.Errorf("zip: member data (%d bytes at offset %d) runs past the end of the archive (%d bytes)", zf.CompressedSize64, off, size)
		if err := w.problem(path, err); err != nil {
			return false, err
		}
		csize = size - min(off, size) // what there is; the reader fails where the data stops
	}
	zm, err := w.openZipMember(zf, csize, n.budget)
	if err != nil {
		return false, w.problem(path, fmt.Errorf("zip: member data at offset %d: %w", off, err))
	}
	defer func() {
		if !w.abandoned { // else the visitor may still be reading it
			zm.Close()
		}
	}()
	child := &node{
		path:      path,
		name:      name,
		container: n.path,
		size:      csize,
		usize:     int64(min(zf.UncompressedSize64, math.MaxInt64)), // as the header claims: only a hint (see Entry.ContentSize)
		modTime:   zf.Modified,
		depth:     depth,
		raw:       ctxReader{w.ctx, zm},
		ratioIn:   zm.ratioIn(),
		budget:    n.budget,
	}
	if sf != nil {
		child.reopen = func() (io.ReadCloser, error) {
			if err := sf.acquire(); err != nil {
				return nil, err
			}
			zm, err := w.openZipMember(zf, csize, n.budget)
			if err != nil {
				sf.release()
				return nil, err
			}
			zm.release = sf.release
			return zm, nil
		}
	}
	return w.node(child)
}

// openZipMember opens the data of a zip member (at most csize stored bytes) with its method
// undone. archive/zip finds the data; the decoding and the checks of size and CRC are done here
// so that every byte before a fault is delivered, faults carry offsets, and MaxRatio sees the
// compressed bytes actually consumed.
func (w *Walker) openZipMember(zf *zip.File, csize int64, budget *expansion) (*zipMemberReader, error) {
	raw, err := zf.OpenRaw()
	if err != nil {
		return nil, err
	}
	return w.newZipMemberReader(io.LimitReader(raw, csize), zf.Method, zf.UncompressedSize64, zf.CRC32, true, budget)
}

// newZipMemberReader decodes the stored bytes in raw with the zip method. When sized is set,
// the content is checked against size and (unless zero) crc.
func (w *Walker) newZipMemberReader(raw io.Reader, method uint16, size uint64, crc uint32, sized bool, budget *expansion) (*zipMemberReader, error) {
	zm := &zipMemberReader{in: &countReader{r: raw}, size: size, wantCRC: crc, sized: sized, crc: crc32.NewIEEE()}
	c := w.codecs
	switch method {
	case zip.Store:
		zm.r = zm.in
		return zm, nil
	case zip.Deflate:
		fl := c.zipFlate(zm.in)
		zm.dec, zm.buffered = fl, fl.br
	case zstd.ZipMethodWinZip, zstd.ZipMethodPKWare:
		zm.dec = c.zipZstd(zm.in)
	default:
		return nil, fmt.Errorf("compression method %d not supported, member skipped", method)
	}
	zm.r = &meter{r: zm.dec, name: zipMethodName(method), inOff: zm.consumed, ratioIn: zm.consumed,
		max: w.opts.MaxEntryBytes, ratio: w.opts.MaxRatio, total: budget}
	return zm, nil
}

// zipMemberReader reads a zip member's content and checks it against its declared size and CRC.
type zipMemberReader struct {
	in       *countReader  // the stored bytes
	buffered *bufio.Reader // between in and dec, if any
	dec      io.ReadCloser // nil for Store
	r        io.Reader     // the content
	sized    bool          // size and wantCRC are known
	size     uint64
	wantCRC  uint32
	crc      hash.Hash32
	n        uint64
	err      error
	release  func() // called once on Close, if set
}

// consumed is the number of stored bytes the decoder took.
func (z *zipMemberReader) consumed() int64 {
	if z.buffered != nil {
		return z.in.n - int64(z.buffered.Buffered())
	}
	return z.in.n
}

// ratioIn returns the base of MaxRatio for compression layers inside the member.
func (z *zipMemberReader) ratioIn() func() int64 {
	if z.dec == nil {
		return nil
	}
	return z.consumed
}

func (z *zipMemberReader) Read(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	if !z.sized {
		n, err := z.r.Read(p)
		z.crc.Write(p[:n])
		z.n += uint64(n)
		z.err = err
		return n, err
	}
	if rem := z.size - z.n; uint64(len(p)) > rem {
		p = p[:rem+1] // a byte more than declared tells that the size lies
	}
	n, err := z.r.Read(p)
	if uint64(n) > z.size-z.n {
		n = int(z.size - z.n)
		err = fmt.Errorf("zip: member holds more than its declared %d bytes", z.size)
	}
	z.crc.Write(p[:n])
	z.n += uint64(n)
	if err == io.EOF {
		switch {
		case z.n != z.size:
			err = fmt.Errorf("zip: member data ends after %d of its declared %d bytes: %w", z.n, z.size, io.ErrUnexpectedEOF)
		case z.wantCRC != 0 && z.crc.Sum32() != z.wantCRC:
			err = zip.ErrChecksum
		}
	}
	z.err = err
	return n, err
}

func (z *zipMemberReader) Close() error {
	if z.dec != nil {
		z.dec.Close()
		z.dec = nil
	}
	if z.err == nil {
		z.err = errReadAfterClose
	}
	if z.release != nil {
		z.release()
		z.release = nil
	}
	return nil
}

func zipMethodName(m uint16) string {
	switch m {
	case zip.Deflate:
		return "deflate"
	case zstd.ZipMethodWinZip, zstd.ZipMethodPKWare:
		return "zstd"
	}
	return fmt.Sprintf("zip method %d", m)
}

// sharedFile is a zip file on disk read by its members' readers, which may outlive the walk.
// The file is open while anyone holds a reference, and is reopened (and checked to be the same
// file) when a reader needs it again.
type sharedFile struct {
	path string
	info fs.FileInfo
	mu   sync.Mutex
	refs int
	f    atomic.Pointer[os.File]
}

func (s *sharedFile) acquire() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refs == 0 {
		f, err := os.Open(s.path)
		if err != nil {
			return err
		}
		fi, err := f.Stat()
		if err != nil || !os.SameFile(fi, s.info) || fi.Size() != s.info.Size() || !fi.ModTime().Equal(s.info.ModTime()) {
			f.Close()
			if err == nil {
				err = fmt.Errorf("%s changed since it was walked", s.path)
			}
			return err
		}
		s.f.Store(f)
	}
	s.refs++
	return nil
}

func (s *sharedFile) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refs--
	if s.refs == 0 {
		s.f.Swap(nil).Close()
	}
}

// ReadAt reads the file; the caller holds a reference.
func (s *sharedFile) ReadAt(p []byte, off int64) (int, error) {
	f := s.f.Load()
	if f == nil {
		return 0, fmt.Errorf("read %s: %w", s.path, os.ErrClosed)
	}
	return f.ReadAt(p, off)
}

// salvageZip is called when the central directory of a zip is unreadable (typically a
// truncated download): it reports that and visits the members it finds by reading the local
// headers one after the other, until the data stops making sense. The members are
// sequential.
func (w *Walker) salvageZip(n *node, ra io.ReaderAt, size int64, depth int, cause error) (entries int, complete bool, err error) {
	problem := func(path string, format string, args ...any) error {
		return w.problem(path, fmt.Errorf(format, args...))
	}
	if err := problem(n.path, "zip: central directory unreadable (%w); reading members from their local headers", cause); err != nil {
		return 0, false, err
	}
	var last string // the last member, for messages
	after := func() string {
		if last == "" {
			return "at the start"
		}
		return fmt.Sprintf("after member %q", last)
	}
	for off, members := int64(0), 0; ; members++ {
		if err := w.ctx.Err(); err != nil {
			return entries, false, err
		}
		if off == size {
			return entries, false, problem(n.path, "zip: archive ends %s, at offset %d, without a central directory: truncated?", after(), off)
		}
		h, err := readLocalHeader(ra, off, size)
		if err != nil {
			return entries, false, problem(n.path, "zip: %s, at offset %d: %w", after(), off, err)
		}
		if h == nil { // the central directory starts here: every member was seen
			return entries, false, nil
		}
		if members == w.opts.MaxEntries {
			return entries, false, problem(n.path, "%w: more than %d members (MaxEntries), the rest skipped", ErrLimit, w.opts.MaxEntries)
		}
		if err := n.budget.member(); err != nil {
			return entries, false, w.problem(n.path, err)
		}
		name := normName(h.name)
		last = name
		path := n.path + "!" + name
		skip := ""
		switch {
		case strings.HasSuffix(name, "/"):
			skip = "-" // a directory
		case h.flags&0x1 != 0:
			skip = "encrypted zip member skipped"
		}
		next := int64(-1) // where the next header is, when known from a data descriptor found by scanning
		if !h.sized && (h.method != zip.Deflate || skip != "") {
			// Only deflate data ends by itself; else look for the descriptor after the data.
			d, ok := scanDataDescriptor(ra, h.dataOff, size)
			if !ok {
				return entries, false, problem(path, "zip: no data descriptor found after the data at offset %d: member truncated or damaged; the rest skipped", h.dataOff)
			}
			h.csize, h.usize, h.crc, h.sized, next = d.csize, d.usize, d.crc, true, d.next
		}
		data := io.NewSectionReader(ra, h.dataOff, size-h.dataOff)
		var raw io.Reader = data
		if h.sized {
			if h.csize > size-h.dataOff {
				if err := problem(path, "zip: member data (%d bytes at offset %d) runs past the end of the archive (%d bytes)", h.csize, h.dataOff, size); err != nil {
					return entries, false, err
				}
			}
			raw = io.LimitReader(data, h.csize)
			if next < 0 && h.csize <= size-h.dataOff {
				next = h.dataOff + h.csize
			}
		}
		var zm *zipMemberReader
		if skip == "" {
			zm, err = w.newZipMemberReader(raw, h.method, uint64(h.usize), h.crc, h.sized, n.budget)
			if err != nil {
				skip = err.Error()
			}
		}
		if skip != "" {
			if skip != "-" {
				if err := problem(path, "%s", skip); err != nil {
					return entries, false, err
				}
			}
			if off = next; off < 0 {
				return entries, false, nil
			}
			continue
		}
		csize := h.csize
		if !h.sized {
			csize = -1
		}
		visited, err := w.node(&node{
			path:      path,
			name:      name,
			container: n.path,
			size:      csize,
			modTime:   h.modTime,
			depth:     depth,
			raw:       ctxReader{w.ctx, zm},
			ratioIn:   zm.ratioIn(),
			budget:    n.budget,
		})
		if err != nil {
			return entries, false, err
		}
		if visited {
			entries++
		}
		// Read the member to its end, to know where the next header is (and whether it is whole).
		_, err = io.Copy(io.Discard, ctxReader{w.ctx, zm})
		consumed := zm.consumed()
		zm.Close()
		if err != nil {
			return entries, false, problem(n.path, "zip: member %q broken at offset %d (its data starts at %d): %w", name, h.dataOff+consumed, h.dataOff, err)
		}
		off = next
		if h.sized && off < 0 { // the member ran past the end: nothing can follow
			return entries, false, nil
		}
		if !h.sized {
			off = h.dataOff + consumed
			next, crc, err := readDataDescriptor(ra, off, size, consumed, zm.n)
			if err != nil {
				return entries, false, problem(n.path, "zip: after member %q, at offset %d: %w", name, off, err)
			}
			if crc != zm.crc.Sum32() {
				if err := problem(path, "zip: CRC mismatch: %w", zip.ErrChecksum); err != nil {
					return entries, false, err
				}
			}
			off = next
		}
	}
}

// localHeader is a zip local file header.
type localHeader struct {
	name         string
	flags        uint16
	method       uint16
	modTime      time.Time
	crc          uint32
	csize, usize int64
	sized        bool // sizes and CRC are in the header, not in a data descriptor
	dataOff      int64
}

var errNoLocalHeader = errors.New("no local file header")

// readLocalHeader reads the local header at off. It returns nil, nil at the start of the
// central directory.
func readLocalHeader(ra io.ReaderAt, off, size int64) (*localHeader, error) {
	var b [30]byte
	if _, err := ra.ReadAt(b[:4], off); err != nil {
		return nil, fmt.Errorf("%w: %w", errNoLocalHeader, noEOF(err))
	}
	switch string(b[:4]) {
	case "PK\x01\x02", "PK\x05\x06", "PK\x06\x06":
		return nil, nil
	case "PK\x03\x04":
	default:
		return nil, fmt.Errorf("%w (found % x)", errNoLocalHeader, b[:4])
	}
	if _, err := ra.ReadAt(b[:], off); err != nil {
		return nil, fmt.Errorf("local header cut short: %w", noEOF(err))
	}
	le := func(i, n int) uint64 {
		var v uint64
		for j := n - 1; j >= 0; j-- {
			v = v<<8 | uint64(b[i+j])
		}
		return v
	}
	h := &localHeader{
		flags:  uint16(le(6, 2)),
		method: uint16(le(8, 2)),
		crc:    uint32(le(14, 4)),
		csize:  int64(le(18, 4)),
		usize:  int64(le(22, 4)),
	}
	h.sized = h.flags&0x8 == 0
	nameLen, extraLen := int64(le(26, 2)), int64(le(28, 2))
	h.dataOff = off + 30 + nameLen + extraLen
	if h.dataOff > size {
		return nil, fmt.Errorf("local header cut short: %w", io.ErrUnexpectedEOF)
	}
	ne := make([]byte, nameLen+extraLen)
	if _, err := ra.ReadAt(ne, off+30); err != nil {
		return nil, fmt.Errorf("local header cut short: %w", noEOF(err))
	}
	h.name = string(ne[:nameLen])
	// DOS time and date.
	t, d := int(le(10, 2)), int(le(12, 2))
	h.modTime = time.Date(1980+d>>9, time.Month(d>>5&0xf), d&0x1f, t>>11, t>>5&0x3f, t&0x1f*2, 0, time.UTC)
	// A zip64 extra field holds the sizes when the header fields are all ones.
	for extra := ne[nameLen:]; len(extra) >= 4; {
		id, n := int(extra[0])|int(extra[1])<<8, int(extra[2])|int(extra[3])<<8
		if 4+n > len(extra) {
			break
		}
		if id == 0x0001 && n >= 16 {
			f := extra[4:]
			u, c := uint64(0), uint64(0)
			for j := 7; j >= 0; j-- {
				u, c = u<<8|uint64(f[j]), c<<8|uint64(f[8+j])
			}
			if h.usize == 0xffffffff && u <= math.MaxInt64 {
				h.usize = int64(u)
			}
			if h.csize == 0xffffffff && c <= math.MaxInt64 {
				h.csize = int64(c)
			}
		}
		extra = extra[4+n:]
	}
	return h, nil
}

// readDataDescriptor reads the data descriptor at off, after a member of consumed stored and
// n content bytes, and returns where the next header starts and the CRC it gives.
func readDataDescriptor(ra io.ReaderAt, off, size, consumed int64, n uint64) (next int64, crc uint32, err error) {
	var b [28]byte
	k, _ := ra.ReadAt(b[:], off)
	d := b[:k]
	if len(d) >= 4 && string(d[:4]) == "PK\x07\x08" {
		d, off = d[4:], off+4
	}
	u32 := func(b []byte) uint64 { return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 }
	switch {
	case len(d) >= 12 && u32(d[4:]) == uint64(consumed)&0xffffffff && u32(d[8:]) == n&0xffffffff:
		return off + 12, uint32(u32(d)), nil
	case len(d) >= 20 && u32(d[4:])|u32(d[8:])<<32 == uint64(consumed) && u32(d[12:])|u32(d[16:])<<32 == n:
		return off + 20, uint32(u32(d)), nil
	}
	if off+12 > size {
		return 0, 0, fmt.Errorf("data descriptor cut short: %w", io.ErrUnexpectedEOF)
	}
	return 0, 0, errors.New("data descriptor does not match the member")
}

// descriptor is what a data descriptor says.
type descriptor struct {
	crc          uint32
	csize, usize int64
	next         int64 // offset after the descriptor
}

// scanDataDescriptor looks for the data descriptor of a member whose data starts at dataOff
// and whose sizes are unknown: the first local or central header signature right after a
// descriptor whose stored size matches the distance from dataOff.
func scanDataDescriptor(ra io.ReaderAt, dataOff, size int64) (descriptor, bool) {
	const win, back = 256 << 10, 24
	buf := make([]byte, win+back+3)
	for start := dataOff; start < size; start += win {
		base := max(dataOff, start-back)
		b := buf[:min(size, start+win+3)-base]
		if k, err := ra.ReadAt(b, base); err != nil && (err != io.EOF || k < len(b)) {
			return descriptor{}, false
		}
		for i := int(start - base); i+4 <= len(b) && base+int64(i) < start+win; i++ {
			if b[i] != 'P' || b[i+1] != 'K' || !(b[i+2] == 3 && b[i+3] == 4 || b[i+2] == 1 && b[i+3] == 2) {
				continue
			}
			if d, ok := descriptorBefore(b[:i], base+int64(i), dataOff); ok {
				return d, true
			}
		}
	}
	return descriptor{}, false
}

// descriptorBefore checks whether the bytes p, which end at offset q, end with a data
// descriptor (with or without signature, 32- or 64-bit sizes) of data starting at dataOff.
func descriptorBefore(p []byte, q, dataOff int64) (descriptor, bool) {
	u := func(b []byte) int64 {
		var v uint64
		for j := len(b) - 1; j >= 0; j-- {
			v = v<<8 | uint64(b[j])
		}
		return int64(v & math.MaxInt64)
	}
	for _, f := range []struct{ sig, wide bool }{{true, false}, {false, false}, {true, true}, {false, true}} {
		n, w := 12, 4
		if f.wide {
			n, w = 20, 8
		}
		if f.sig {
			n += 4
		}
		if len(p) < n {
			continue
		}
		d := p[len(p)-n:]
		if f.sig {
			if string(d[:4]) != "PK\x07\x08" {
				continue
			}
			d = d[4:]
		}
		if csize := u(d[4 : 4+w]); csize == q-int64(n)-dataOff {
			return descriptor{crc: uint32(u(d[:4])), csize: csize, usize: u(d[4+w : 4+2*w]), next: q}, true
		}
	}
	return descriptor{}, false
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF: something was expected.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
