package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"

	"github.com/kudulens/kudulens/pipeline/source"
)

// blobReader reads the bytes [off, end) of a blob with ranged GETs. The request is sent on
// the first Read. When a download breaks (connection reset, early EOF), it asks for the rest
// from where it stopped, after a backoff; it gives up after Retries attempts in a row that
// bring no data, with an error that names the byte offset (the caller names the blob). Failed requests are
// retried by the SDK's retry policy (same count and backoff).
type blobReader struct {
	ctx     context.Context
	bc      *blob.Client
	src     *blobSource
	cred    blobCred
	o       *Options
	ifMatch *azcore.ETag // block blobs: never mix two versions of a blob that is overwritten
	off     int64
	end     int64

	body    io.ReadCloser
	cancel  context.CancelFunc // ends the current request
	idle    *time.Timer        // fires after IdleTimeout without a byte: cancels the request
	stalled atomic.Bool        // the current request was ended by idle
	fails   int                // attempts in a row without data
	lastErr error              // why the previous download broke
	err     error              // sticky
}

// stallError is a download that brought nothing for IdleTimeout: the endpoint sent headers
// and some bytes and then nothing, or never answered.
type stallError struct{ idle time.Duration }

func (e stallError) Error() string {
	return fmt.Sprintf("nothing received for %s, the download stalled", e.idle)
}

func (r *blobReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.off >= r.end {
		r.Close()
		return 0, io.EOF
	}
	if rem := r.end - r.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	for {
		if r.body == nil {
			if r.fails > 0 {
				if err := sleepCtx(r.ctx, backoff(r.o, r.fails)); err != nil {
					r.err = err
					return 0, err
				}
			}
			if err := r.open(); err != nil {
				var stall stallError
				if !errors.As(err, &stall) {
					r.err = err
					return 0, err
				}
				// No answer in time: retried like a broken download.
				r.lastErr = err
				r.fails++
				if r.fails > r.o.Retries {
					r.err = newBlobError(err, "the download stalled at byte offset %d (%s) %d times in a row", r.off, err, r.fails)
					return 0, r.err
				}
				continue
			}
		}
		// Only the time the endpoint takes counts, not the reader's pauses between reads.
		r.idle.Reset(r.o.IdleTimeout)
		n, err := r.body.Read(p)
		r.idle.Stop()
		if err != nil && r.stalled.Load() {
			err = stallError{r.o.IdleTimeout}
		}
		if n > 0 {
			r.off += int64(n)
			r.o.Progress.Bytes.Add(int64(n))
			r.fails = 0
		}
		if err == nil {
			return n, nil
		}
		r.closeBody()
		if err == io.EOF {
			if r.off >= r.end {
				return n, nil
			}
			err = io.ErrUnexpectedEOF // the server ended the response early
		}
		if cerr := r.ctx.Err(); cerr != nil {
			r.err = cerr
			return n, cerr
		}
		r.lastErr = err
		r.fails++
		if r.fails > r.o.Retries {
			verb := "broke"
			if errors.As(err, new(stallError)) {
				verb = "stalled"
			}
			r.err = newBlobError(err, "the download %s at byte offset %d (%s) %d times in a row", verb, r.off, networkMessage(r.src, err), r.fails)
			return n, r.err
		}
		if n > 0 {
			return n, nil
		}
	}
}

// open sends the GET for the rest of the range.
func (r *blobReader) open() error {
	opts := &blob.DownloadStreamOptions{Range: blob.HTTPRange{Offset: r.off, Count: r.end - r.off}}
	if r.ifMatch != nil {
		opts.AccessConditions = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: r.ifMatch}}
	}
	// The request has a context of its own, ended when IdleTimeout passes without a byte:
	// waiting for the headers, and then between reads (see Read).
	ctx, cancel := context.WithCancel(r.ctx)
	r.stalled.Store(false)
	idle := time.AfterFunc(r.o.IdleTimeout, func() { r.stalled.Store(true); cancel() })
	resp, err := r.bc.DownloadStream(ctx, opts)
	if err != nil {
		idle.Stop()
		cancel()
		if cerr := r.ctx.Err(); cerr != nil {
			return cerr
		}
		if r.stalled.Load() {
			return stallError{r.o.IdleTimeout}
		}
		if r.lastErr != nil {
			return newBlobError(err, "the download broke at byte offset %d (%s) and could not be resumed: %s", r.off, networkMessage(r.src, r.lastErr), explainBlobErr(r.src, r.cred, err))
		}
		return describeBlobErr(r.src, r.cred, "download failed", err)
	}
	r.body, r.cancel, r.idle = resp.Body, cancel, idle
	return nil
}

// closeBody ends the current request.
func (r *blobReader) closeBody() {
	if r.body != nil {
		r.idle.Stop()
		r.body.Close()
		r.cancel()
		r.body = nil
	}
}

func (r *blobReader) Close() error {
	r.closeBody()
	return nil
}

// backoff is the delay before retry n (1-based): RetryDelay doubled each time, capped.
func backoff(o *Options, n int) time.Duration {
	d := o.RetryDelay
	for i := 1; i < n && d < o.MaxRetryDelay; i++ {
		d *= 2
	}
	return min(d, o.MaxRetryDelay)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// headReader is a blob's prefetched first bytes followed by the rest, fetched on demand.
type headReader struct {
	head []byte
	rest io.ReadCloser // nil when the head is the whole range
}

func (h *headReader) Read(p []byte) (int, error) {
	if len(h.head) > 0 {
		n := copy(p, h.head)
		h.head = h.head[n:]
		return n, nil
	}
	if h.rest == nil {
		return 0, io.EOF
	}
	return h.rest.Read(p)
}

func (h *headReader) Close() error {
	if h.rest != nil {
		return h.rest.Close()
	}
	return nil
}

// maxPendingRecord bounds how much of an unfinished record recordReader holds back; past it
// the bytes are delivered up to the last line end (a pathological line or an unbalanced quote).
const maxPendingRecord = 8 << 20

// recordReader delivers a text log's bytes up to record boundaries only: a line end, or for
// application-log CSV a line end outside quotes (a quoted message may span lines). What
// follows the last boundary is held back when the read fails, and at the end when holdAtEOF
// is set (an append blob that may still be written: its last line may be unfinished). So what
// is delivered, and therefore committed, always ends at a record boundary, and the next
// incremental run goes on from exactly there.
//
// It hashes (SHA-256 of the blob from byte 0, see prefixHash) and counts the lines it
// delivers: the state of the blob after the rows are committed.
type recordReader struct {
	r         io.ReadCloser
	csv       bool
	holdAtEOF bool
	h         *prefixHash

	buf     []byte // read buffer
	out     []byte // ready to deliver
	outBuf  []byte
	pending []byte // after the last boundary
	inQuote bool   // CSV: the end of pending is inside a quoted field

	delivered int64
	lines     int64
	complete  bool // the range was read to its end
	err       error
}

// newRecordReader reads r; h is the hash of the blob up to r's first byte (nil: r starts at 0).
func newRecordReader(r io.ReadCloser, csv, holdAtEOF bool, h *prefixHash) *recordReader {
	if h == nil {
		h, _ = newPrefixHash(nil, 0)
	}
	return &recordReader{r: r, csv: csv, holdAtEOF: holdAtEOF, h: h}
}

func (b *recordReader) Read(p []byte) (int, error) {
	for len(b.out) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		b.fill()
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	b.h.Write(p[:n])
	b.lines += int64(bytes.Count(p[:n], []byte{'\n'}))
	b.delivered += int64(n)
	return n, nil
}

func (b *recordReader) fill() {
	if b.buf == nil {
		b.buf = make([]byte, 64<<10)
	}
	n, err := b.r.Read(b.buf)
	from := len(b.pending)
	b.pending = append(b.pending, b.buf[:n]...)
	cut := b.lastBoundary(from)
	if cut <= 0 && len(b.pending) > maxPendingRecord {
		cut = bytes.LastIndexByte(b.pending, '\n') + 1
		if cut == 0 {
			cut = len(b.pending)
		}
		b.inQuote = bytes.Count(b.pending[cut:], []byte{'"'})%2 == 1 && b.csv
	}
	if cut > 0 {
		b.release(cut)
	}
	if err != nil {
		if err == io.EOF {
			b.complete = true
			if !b.holdAtEOF && len(b.pending) > 0 {
				b.release(len(b.pending))
			}
		}
		// Otherwise the unfinished record is dropped: the next run reads it again.
		b.err = err
	}
}

// lastBoundary scans pending[from:] and returns the offset just after the last record
// boundary in it, or 0.
func (b *recordReader) lastBoundary(from int) int {
	p := b.pending
	if !b.csv {
		if i := bytes.LastIndexByte(p[from:], '\n'); i >= 0 {
			return from + i + 1
		}
		return 0
	}
	last := 0
	for i := from; i < len(p); i++ {
		j := bytes.IndexAny(p[i:], "\"\n")
		if j < 0 {
			break
		}
		i += j
		if p[i] == '"' {
			b.inQuote = !b.inQuote
		} else if !b.inQuote {
			last = i + 1
		}
	}
	return last
}

// release makes pending[:n] ready to deliver.
func (b *recordReader) release(n int) {
	b.outBuf = append(b.outBuf[:0], b.pending[:n]...)
	b.out = b.outBuf
	b.pending = append(b.pending[:0], b.pending[n:]...)
}

func (b *recordReader) Close() error { return b.r.Close() }

// sum is the hex SHA-256 of the blob from byte 0 to the delivered end.
func (b *recordReader) sum() string { return b.h.sum() }

// prefixHash is the SHA-256 of a blob from byte 0 on. Its state can be saved without saving
// any of the blob's bytes (which may hold secrets): the state kept for saving is the one at
// the last multiple of 64 bytes (a SHA-256 block), where the hash buffers no input. A run that
// goes on from offset o re-reads the o mod 64 bytes before o from the blob.
type prefixHash struct {
	h     hash.Hash
	n     int64  // bytes hashed, from byte 0 of the blob
	at    int64  // where saved was taken: the last multiple of 64 ≤ n
	saved []byte // marshalled state at at
}

// newPrefixHash continues from a state saved at offset at (nil and 0 for a new hash).
func newPrefixHash(saved []byte, at int64) (*prefixHash, error) {
	if at < 0 || at%sha256.BlockSize != 0 || len(saved) == 0 && at != 0 {
		return nil, errors.New("saved hash state unusable")
	}
	h, err := source.ResumeHash(saved)
	if err != nil {
		return nil, err
	}
	if saved == nil {
		saved, _ = h.(encoding.BinaryMarshaler).MarshalBinary()
	}
	return &prefixHash{h: h, n: at, at: at, saved: saved}, nil
}

func (p *prefixHash) Write(b []byte) (int, error) {
	n := len(b)
	if aligned := (p.n + int64(n)) &^ (sha256.BlockSize - 1); aligned > p.at {
		k := aligned - p.n // > 0: the block boundary falls inside b (or at its end)
		p.h.Write(b[:k])
		p.n += k
		p.saved, _ = p.h.(encoding.BinaryMarshaler).MarshalBinary()
		p.at = aligned
		b = b[k:]
	}
	p.h.Write(b)
	p.n += int64(len(b))
	return n, nil
}

func (p *prefixHash) sum() string { return hex.EncodeToString(p.h.Sum(nil)) }

// current is the full state at n (with buffered bytes: in memory only, never saved).
func (p *prefixHash) current() []byte {
	s, _ := p.h.(encoding.BinaryMarshaler).MarshalBinary()
	return s
}
