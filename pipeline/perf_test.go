package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// Loads run with one DuckDB thread, on every connection (threads is global), and queries after
// Ingest get the configured count back.
func TestLoadThreads(t *testing.T) {
	ctx := context.Background()
	s, err := OpenStore(ctx, "", StoreOptions{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	threads := func() int {
		t.Helper()
		conn, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT current_setting('threads')").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := s.loadThreads(ctx, true); err != nil {
		t.Fatal(err)
	}
	if n := threads(); n != 1 {
		t.Errorf("loading: threads = %d, want 1", n)
	}
	if _, err := Ingest(ctx, s, []string{"../parse/testdata/crash_job_log.txt"}, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	if n := threads(); n != 2 {
		t.Errorf("after Ingest: threads = %d, want 2", n)
	}
}

// asyncHashReader yields exactly what it reads and hashes all of it, whatever the read sizes,
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
		h := newAsyncHashReader(mk(), &Progress{})
		got, err := io.ReadAll(iotest.HalfReader(h))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		w := want
		if name == "one-byte" {
			w = sha256.Sum256(data[:5000])
		}
		if !bytes.Equal(got, data[:len(got)]) || h.n != int64(len(got)) || !bytes.Equal(h.sum(), w[:]) {
			t.Errorf("%s: read %d bytes (n=%d), sum %x", name, len(got), h.n, h.sum())
		}
	}
	boom := errors.New("boom")
	h := newAsyncHashReader(io.MultiReader(bytes.NewReader(data[:100]), iotest.ErrReader(boom)), &Progress{})
	got, err := io.ReadAll(h)
	if !errors.Is(err, boom) || len(got) != 100 {
		t.Errorf("got %d bytes, %v", len(got), err)
	}
	h.close()
	h.close()
	// Closed before the end: the hashing goroutine stops.
	h = newAsyncHashReader(bytes.NewReader(data), &Progress{})
	io.ReadFull(h, make([]byte, 10))
	h.close()
}

// validNot and nullCount agree with a bit-by-bit reference for every length and null pattern.
func TestValidNot(t *testing.T) {
	for n := 0; n <= 70; n++ {
		for pattern := 0; pattern < 5; pattern++ {
			vals := make([]int16, n)
			for i := range vals {
				switch pattern {
				case 1:
					vals[i] = -1
				case 2:
					if i%3 == 0 {
						vals[i] = -1
					}
				case 3:
					if i == n-1 {
						vals[i] = -1
					}
				case 4:
					if i%7 != 1 {
						vals[i] = -1
					}
				}
			}
			bm := validNot(vals, -1)
			nulls := 0
			for i, v := range vals {
				valid := bm == nil || bm[i>>3]&(1<<(i&7)) != 0
				if valid != (v != -1) {
					t.Fatalf("n=%d pattern %d: value %d valid=%v", n, pattern, i, valid)
				}
				if v == -1 {
					nulls++
				}
			}
			if nulls == 0 && bm != nil {
				t.Fatalf("n=%d pattern %d: bitmap without nulls", n, pattern)
			}
			if got := nullCount(bm, n); got != nulls {
				t.Fatalf("n=%d pattern %d: nullCount %d, want %d", n, pattern, got, nulls)
			}
		}
	}
}

// A Kudu log outside its job folder gets the job its content names: the rows without one are
// rewritten with it (copy + delete, not UPDATE) and nothing else changes.
func TestInferredJobRewrite(t *testing.T) {
	ctx := context.Background()
	s, err := OpenStore(ctx, "", StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sum, err := Ingest(ctx, s, []string{"../parse/testdata/crash_job_log.txt"}, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	row := sum.Files[0].Row
	if row.Job == "" {
		t.Fatalf("no job inferred: %+v", row)
	}
	var n, nullJob, content, wrongOp int64
	err = s.db.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE job IS NULL),
		count(*) FILTER (WHERE job_source = 'content'), count(*) FILTER (WHERE operation_Name IS NULL)
		FROM traces WHERE file_id = ?`, row.ID).Scan(&n, &nullJob, &content, &wrongOp)
	if err != nil {
		t.Fatal(err)
	}
	if n != row.Traces || nullJob != 0 || content == 0 || wrongOp != 0 {
		t.Errorf("traces %d (files says %d), %d without job, %d by content, %d without operation", n, row.Traces, nullJob, content, wrongOp)
	}
	var lines int64
	if err := s.db.QueryRowContext(ctx, "SELECT count(DISTINCT line_no) FROM traces WHERE file_id = ?", row.ID).Scan(&lines); err != nil || lines != n {
		t.Errorf("%d distinct lines for %d rows (%v)", lines, n, err)
	}
}
