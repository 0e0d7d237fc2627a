package source

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"testing/iotest"
)

// AsyncHashReader yields exactly what it reads and hashes all of it, whatever the read sizes,
// and passes errors on after the bytes before them.
func TestAsyncHashReader(t *testing.T) {
	data := make([]byte, 3*hashBufSize+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}
	want := sha256.Sum256(data)
	for name, mk := range map[string]func() io.Reader{
		"whole":    func() io.Reader { return bytes.NewReader(data) },
		"one-byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data[:5000])) },
		"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
		"data-err": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(data)) },
	} {
		h := NewAsyncHashReader(mk(), new(atomic.Int64), sha256.New())
		got, err := io.ReadAll(iotest.HalfReader(h))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		w := want
		if name == "one-byte" {
			w = sha256.Sum256(data[:5000])
		}
		if !bytes.Equal(got, data[:len(got)]) || h.n != int64(len(got)) || !bytes.Equal(h.Sum(), w[:]) {
			t.Errorf("%s: read %d bytes (n=%d), sum %x", name, len(got), h.n, h.Sum())
		}
	}
	boom := errors.New("boom")
	h := NewAsyncHashReader(io.MultiReader(bytes.NewReader(data[:100]), iotest.ErrReader(boom)), new(atomic.Int64), sha256.New())
	got, err := io.ReadAll(h)
	if !errors.Is(err, boom) || len(got) != 100 {
		t.Errorf("got %d bytes, %v", len(got), err)
	}
	h.Stop()
	h.Stop()
	// Closed before the end: the hashing goroutine stops.
	h = NewAsyncHashReader(bytes.NewReader(data), new(atomic.Int64), sha256.New())
	io.ReadFull(h, make([]byte, 10))
	h.Stop()
}
