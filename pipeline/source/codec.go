package source

import (
	"archive/zip"
	"bufio"
	"errors"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

const (
	// bufSize is the size of every buffered reader between layers. Reads of at least this
	// size go straight through.
	bufSize = 64 << 10
	// zstdMaxMemory bounds the window a zstd frame may ask for (the zstd CLI's default limit
	// for decompression is the same 128 MiB).
	zstdMaxMemory = 128 << 20
)

// codecs pools the decoders and buffers of one Walk. It is used by the walker and by the
// readers of non-sequential entries on other goroutines, so everything here is safe for
// concurrent use.
type codecs struct {
	gzip    sync.Pool // *gzip.Reader
	zstd    sync.Pool // *zstd.Decoder
	flate   sync.Pool // io.ReadCloser from flate.NewReader (a flate.Resetter)
	bufs    sync.Pool // *bufio.Reader of bufSize
	zipZstd zip.Decompressor
}

func newCodecs() *codecs {
	return &codecs{zipZstd: zstd.ZipDecompressor(zstd.WithDecoderMaxMemory(zstdMaxMemory))}
}

func (c *codecs) getBuf(r io.Reader) *bufio.Reader {
	if br, ok := c.bufs.Get().(*bufio.Reader); ok {
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, bufSize)
}

func (c *codecs) putBuf(br *bufio.Reader) {
	br.Reset(nil)
	c.bufs.Put(br)
}

// getGzip returns a gzip reader on r with its header read. r should be a *bufio.Reader:
// klauspost's inflater then reads it without a buffer of its own and without reading ahead.
// Multi-member files are read whole (Multistream is on after Reset).
func (c *codecs) getGzip(r io.Reader) (*gzip.Reader, error) {
	if z, ok := c.gzip.Get().(*gzip.Reader); ok {
		if err := z.Reset(r); err != nil {
			c.gzip.Put(z)
			return nil, err
		}
		return z, nil
	}
	return gzip.NewReader(r)
}

func (c *codecs) putGzip(z *gzip.Reader) { c.gzip.Put(z) }

// getZstd returns a synchronous zstd decoder (no goroutines) on r.
func (c *codecs) getZstd(r io.Reader) (*zstd.Decoder, error) {
	if d, ok := c.zstd.Get().(*zstd.Decoder); ok {
		if err := d.Reset(r); err != nil {
			d.Reset(nil)
			c.zstd.Put(d)
			return nil, err
		}
		return d, nil
	}
	return zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(zstdMaxMemory))
}

func (c *codecs) putZstd(d *zstd.Decoder) {
	d.Reset(nil)
	c.zstd.Put(d)
}

// zipFlate returns klauspost's inflater on r. The input gets a large buffer, so that reading a
// member of a zip on disk costs one pread per bufSize bytes instead of one per 4 KiB.
func (c *codecs) zipFlate(r io.Reader) *pooledFlate {
	br := c.getBuf(r)
	if f, ok := c.flate.Get().(io.ReadCloser); ok {
		if err := f.(flate.Resetter).Reset(br, nil); err == nil {
			return &pooledFlate{rc: f, br: br, c: c}
		}
	}
	return &pooledFlate{rc: flate.NewReader(br), br: br, c: c}
}

type pooledFlate struct {
	rc io.ReadCloser
	br *bufio.Reader
	c  *codecs
}

var errReadAfterClose = errors.New("read after close")

func (p *pooledFlate) Read(b []byte) (int, error) {
	if p.rc == nil {
		return 0, errReadAfterClose
	}
	return p.rc.Read(b)
}

func (p *pooledFlate) Close() error {
	if p.rc == nil {
		return nil
	}
	err := p.rc.Close()
	p.c.flate.Put(p.rc)
	p.c.putBuf(p.br)
	p.rc, p.br = nil, nil
	return err
}
