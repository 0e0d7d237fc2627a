package source

import (
	"hash"
	"io"
	"sync/atomic"
)

// AsyncHashReader counts and hashes (sha256) what it reads from r, hashing on a goroutine of its
// own: sha256 costs about a third of decompressing gzip, and on the reader goroutine it
// would add to the one stage of a file that cannot run in parallel (decompression, then
// chunking). Read hands out the bytes of a few rotating buffers; a buffer is hashed while the
// caller copies from it (both only read it) and refilled only after both are done.
type AsyncHashReader struct {
	r      io.Reader
	total  *atomic.Int64 // progress: bytes read, shared with other readers
	n      int64         // bytes read
	cur    []byte        // unread part of the current buffer
	err    error         // sticky error of r (io.EOF at the end)
	free   chan []byte
	todo   chan []byte
	done   chan []byte // the digest, once todo is closed
	digest []byte
	closed bool
}

const (
	hashBufSize = 256 << 10
	hashBufs    = 4
)

// NewAsyncHashReader hashes into d (a fresh sha256, or the resumed state of a blob's earlier
// pieces, Entry.ContentHash) and adds the bytes it reads to total (a progress counter).
func NewAsyncHashReader(r io.Reader, total *atomic.Int64, d hash.Hash) *AsyncHashReader {
	h := &AsyncHashReader{r: r, total: total,
		free: make(chan []byte, hashBufs), todo: make(chan []byte, hashBufs), done: make(chan []byte, 1)}
	for i := 0; i < hashBufs; i++ {
		h.free <- make([]byte, hashBufSize)
	}
	go func() {
		for b := range h.todo {
			d.Write(b)
			h.free <- b[:cap(b)]
		}
		h.done <- d.Sum(nil)
	}()
	return h
}

func (h *AsyncHashReader) Read(p []byte) (int, error) {
	if len(h.cur) == 0 {
		if h.err != nil {
			return 0, h.err
		}
		buf := <-h.free
		n, err := h.r.Read(buf)
		h.err = err
		if n == 0 {
			h.free <- buf
			return 0, err
		}
		h.n += int64(n)
		h.total.Add(int64(n))
		h.cur = buf[:n]
		h.todo <- h.cur
	}
	n := copy(p, h.cur)
	h.cur = h.cur[n:]
	return n, nil
}

// Count is the number of bytes read so far.
func (h *AsyncHashReader) Count() int64 { return h.n }

// Sum returns the sha256 of everything read. Call it after the last Read.
func (h *AsyncHashReader) Sum() []byte {
	h.Stop()
	return h.digest
}

// Stop stops the hashing goroutine; Sum stays valid. It is safe to call more than once.
func (h *AsyncHashReader) Stop() {
	if !h.closed {
		h.closed = true
		close(h.todo)
		h.digest = <-h.done
	}
}
