package gen

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression names accepted by NewCompressor.
const (
	CompressNone = "none"
	CompressGzip = "gzip"
	CompressZstd = "zstd"
)

// CompressionFor guesses the compression from a file name (.gz, .zst), "none" otherwise.
func CompressionFor(name string) string {
	switch {
	case strings.HasSuffix(name, ".gz"):
		return CompressGzip
	case strings.HasSuffix(name, ".zst"):
		return CompressZstd
	}
	return CompressNone
}

// NewCompressor wraps w with the named compression ("", "none", "gzip", "zstd"). Closing the
// returned writer flushes the compressor; it does not close w. Output is deterministic.
func NewCompressor(w io.Writer, compression string) (io.WriteCloser, error) {
	switch compression {
	case "", CompressNone:
		return nopCloser{w}, nil
	case CompressGzip:
		return gzip.NewWriterLevel(w, gzip.DefaultCompression)
	case CompressZstd:
		return zstd.NewWriter(w)
	}
	return nil, errors.New("gen: unknown compression " + compression)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// countingWriter counts bytes written.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Sink creates and renames the files of a multi-file output (a bundle).
type Sink interface {
	// Create creates (or truncates) the file called name ("/"-separated, relative).
	Create(name string) (io.WriteCloser, error)
	// Rename renames a closed file, replacing any file called newName.
	Rename(oldName, newName string) error
}

// MemSink keeps files in memory.
type MemSink struct {
	Files map[string]*bytes.Buffer
}

// Create implements Sink.
func (m *MemSink) Create(name string) (io.WriteCloser, error) {
	if m.Files == nil {
		m.Files = map[string]*bytes.Buffer{}
	}
	b := &bytes.Buffer{}
	m.Files[name] = b
	return nopCloser{b}, nil
}

// Rename implements Sink.
func (m *MemSink) Rename(oldName, newName string) error {
	b, ok := m.Files[oldName]
	if !ok {
		return os.ErrNotExist
	}
	delete(m.Files, oldName)
	m.Files[newName] = b
	return nil
}

// Names returns the file names, sorted.
func (m *MemSink) Names() []string {
	names := make([]string, 0, len(m.Files))
	for n := range m.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DirSink writes files under a directory.
type DirSink struct {
	Dir string
}

type bufFile struct {
	f  *os.File
	bw *bufio.Writer
}

func (b *bufFile) Write(p []byte) (int, error) { return b.bw.Write(p) }

func (b *bufFile) Close() error {
	err := b.bw.Flush()
	if cerr := b.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Create implements Sink.
func (d DirSink) Create(name string) (io.WriteCloser, error) {
	p := filepath.Join(d.Dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(p)
	if err != nil {
		return nil, err
	}
	return &bufFile{f: f, bw: bufio.NewWriterSize(f, 128<<10)}, nil
}

// Rename implements Sink.
func (d DirSink) Rename(oldName, newName string) error {
	return os.Rename(filepath.Join(d.Dir, filepath.FromSlash(oldName)), filepath.Join(d.Dir, filepath.FromSlash(newName)))
}

// sinkJobLog is a JobLogFiles on top of a Sink.
type sinkJobLog struct {
	sink Sink
	dir  string // folder of the job, "/"-terminated
	w    io.WriteCloser
}

func newSinkJobLog(sink Sink, dir string) (*sinkJobLog, error) {
	j := &sinkJobLog{sink: sink, dir: dir}
	w, err := sink.Create(dir + JobLogName)
	j.w = w
	return j, err
}

func (j *sinkJobLog) Write(p []byte) (int, error) { return j.w.Write(p) }

func (j *sinkJobLog) Rotate() error {
	if err := j.w.Close(); err != nil {
		return err
	}
	if err := j.sink.Rename(j.dir+JobLogName, j.dir+JobPrevLogName); err != nil {
		return err
	}
	w, err := j.sink.Create(j.dir + JobLogName)
	j.w = w
	return err
}

func (j *sinkJobLog) Close() error { return j.w.Close() }

// AsyncWriter writes to an underlying writer from a separate goroutine, so that generation
// and (compression or) disk writes overlap. It holds at most three buffers of bufSize bytes.
type AsyncWriter struct {
	w    io.Writer
	cur  []byte
	full chan []byte
	free chan []byte
	done chan error
	err  error
}

// NewAsyncWriter starts the writing goroutine; Close must be called to flush and stop it.
func NewAsyncWriter(w io.Writer, bufSize int) *AsyncWriter {
	if bufSize <= 0 {
		bufSize = 4 << 20
	}
	a := &AsyncWriter{w: w, full: make(chan []byte, 2), free: make(chan []byte, 3), done: make(chan error, 1)}
	for range 2 {
		a.free <- make([]byte, 0, bufSize)
	}
	a.cur = make([]byte, 0, bufSize)
	go func() {
		var err error
		for b := range a.full {
			if err == nil {
				_, err = w.Write(b)
			}
			a.free <- b[:0]
		}
		a.done <- err
	}()
	return a
}

// Write implements io.Writer. Errors of the underlying writer are reported by Close.
func (a *AsyncWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		room := cap(a.cur) - len(a.cur)
		if room == 0 {
			a.full <- a.cur
			a.cur = <-a.free
			room = cap(a.cur)
		}
		k := min(room, len(p))
		a.cur = append(a.cur, p[:k]...)
		p = p[k:]
	}
	return n, nil
}

// Close flushes the data and waits for the goroutine; it does not close the underlying writer.
func (a *AsyncWriter) Close() error {
	if a.full == nil {
		return a.err
	}
	if len(a.cur) > 0 {
		a.full <- a.cur
	}
	close(a.full)
	a.err = <-a.done
	a.full = nil
	return a.err
}
