package pipeline

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

	"github.com/klauspost/compress/zstd"
)

// walkDiskZip walks a zip file on disk through a sharedFile, so that its members can be
// opened after the walk moved on (they are non-sequential).
func (w *walker) walkDiskZip(n *node, depth int) (entries int, complete bool, err error) {
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
func (w *walker) walkStreamZip(n *node, ch *chain, depth int) (entries int, complete bool, err error) {
	ra, size, cleanup, err := w.spool(ch.reader(), n.size)
	if err != nil {
		return 0, false, w.problem(n.path, fmt.Errorf("zip: %w", err))
	}
	defer cleanup()
	return w.walkZip(n, ra, size, nil, depth)
}

// spool copies r (at most MaxEntryBytes) to memory if it fits MemSpoolLimit, else to a file in
// the walk's private temporary folder. cleanup closes and removes what spool made.
func (w *walker) spool(r io.Reader, sizeHint int64) (ra io.ReaderAt, size int64, cleanup func(), err error) {
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
func (w *walker) walkZip(n *node, ra io.ReaderAt, size int64, sf *sharedFile, depth int) (entries int, complete bool, err error) {
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
func (w *walker) zipMember(n *node, zf *zip.File, size int64, sf *sharedFile, depth int) (bool, error) {
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
		return false, w.problem(path, fmt.Errorf("symlink to %s skipped", target))
	case !mode.IsRegular():
		return false, w.problem(path, fmt.Errorf("%s skipped", fileKind(mode)))
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
	zm, err := w.openZipMember(zf, csize)
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
		modTime:   zf.Modified,
		depth:     depth,
		raw:       ctxReader{w.ctx, zm},
		ratioIn:   zm.ratioIn(),
	}
	if sf != nil {
		child.reopen = func() (io.ReadCloser, error) {
			if err := sf.acquire(); err != nil {
				return nil, err
			}
			zm, err := w.openZipMember(zf, csize)
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
func (w *walker) openZipMember(zf *zip.File, csize int64) (*zipMemberReader, error) {
	raw, err := zf.OpenRaw()
	if err != nil {
		return nil, err
	}
	zm := &zipMemberReader{f: zf, in: &countReader{r: io.LimitReader(raw, csize)}, crc: crc32.NewIEEE()}
	c := w.codecs
	switch zf.Method {
	case zip.Store:
		zm.r = zm.in
		return zm, nil
	case zip.Deflate:
		fl := c.zipFlate(zm.in)
		zm.dec, zm.buffered = fl, fl.br
	case zstd.ZipMethodWinZip, zstd.ZipMethodPKWare:
		zm.dec = c.zipZstd(zm.in)
	default:
		return nil, fmt.Errorf("compression method %d not supported, member skipped", zf.Method)
	}
	zm.r = &meter{r: zm.dec, name: zipMethodName(zf.Method), inOff: zm.consumed, ratioIn: zm.consumed,
		max: w.opts.MaxEntryBytes, ratio: w.opts.MaxRatio}
	return zm, nil
}

// zipMemberReader reads a zip member's content and checks it against the sizes and CRC of the
// central directory.
type zipMemberReader struct {
	f        *zip.File
	in       *countReader  // the stored bytes
	buffered *bufio.Reader // between in and dec, if any
	dec      io.ReadCloser // nil for Store
	r        io.Reader     // the content
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
	size := z.f.UncompressedSize64
	if rem := size - z.n; uint64(len(p)) > rem {
		p = p[:rem+1] // a byte more than declared tells that the size lies
	}
	n, err := z.r.Read(p)
	if uint64(n) > size-z.n {
		n = int(size - z.n)
		err = fmt.Errorf("zip: member holds more than its declared %d bytes", size)
	}
	z.crc.Write(p[:n])
	z.n += uint64(n)
	if err == io.EOF {
		switch {
		case z.n != size:
			err = fmt.Errorf("zip: member data ends after %d of its declared %d bytes: %w", z.n, size, io.ErrUnexpectedEOF)
		case z.f.CRC32 != 0 && z.crc.Sum32() != z.f.CRC32:
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
// truncated download): it reports that and, if the archive starts with a local file header,
// visits the members it can find by reading the local headers one after the other.
func (w *walker) salvageZip(n *node, ra io.ReaderAt, size int64, depth int, cause error) (int, bool, error) {
	err := fmt.Errorf("zip: central directory unreadable (%w), archive truncated or damaged", cause)
	return 0, false, w.problem(n.path, err)
}
