package source

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/kudulens/kudulens/internal/testinput"
)

// FuzzWalk walks arbitrary bytes, as a file and as stdin, and reads every entry. It checks that
// Walk returns, does not panic, cuts every leaf at MaxEntryBytes and leaves no spool file.
//
//	go test -run='^$' -fuzz=FuzzWalk -fuzztime=60s ./pipeline/
func FuzzWalk(f *testing.F) {
	deep := testinput.Zip(f, testinput.ZipMember{Name: `D:\home\data\jobs\continuous\X\job_log.txt`, Data: "[11/22/2026 10:15:32 > 494acb: INFO] x\r\n"},
		testinput.ZipMember{Name: "y.gz", Data: string(testinput.Gzip(f, []byte("y\n"))), Method: testinput.Store})
	tarData := mkTar(f, tarMember{name: "a.txt", data: "alpha\n"}, tarMember{name: "deep.zip", data: string(deep)},
		tarMember{name: "l", typeflag: tar.TypeSymlink, linkname: "/etc"})
	nested := testinput.Zip(f, testinput.ZipMember{Name: "t.tgz", Data: string(testinput.Gzip(f, tarData))}, testinput.ZipMember{Name: "z.txt", Data: "zstd", Method: zstd.ZipMethodWinZip})
	f.Add(deep)
	f.Add(tarData)
	f.Add(testinput.Gzip(f, tarData))
	f.Add(zst(f, []byte("zstd leaf\n")))
	f.Add(nested)
	f.Add(nested[:len(nested)/2])
	f.Add(testinput.Zip(f))
	f.Add([]byte("plain text\r\n"))
	// The sample bundle, cut: its central directory is lost (the walker salvages members from
	// their local headers).
	if b, err := os.ReadFile("../../fixtures/sample-bundle.zip"); err == nil {
		f.Add(b[:min(len(b), 96<<10)])
	}

	const maxEntry = 64 << 10
	// One folder per fuzzing process, reused: a fresh t.TempDir per input costs more than the
	// walk and makes minimisation crawl.
	dir := f.TempDir()
	p := filepath.Join(dir, "in")
	spool := filepath.Join(dir, "spool")
	if err := os.Mkdir(spool, 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := WalkOptions{
			Stdin:         bytes.NewReader(data),
			TempDir:       spool,
			MemSpoolLimit: 4 << 10,
			MaxDepth:      3,
			MaxEntryBytes: maxEntry,
			MaxEntries:    16,
		}
		var (
			mu    sync.Mutex
			later []*Entry
		)
		read := func(e *Entry) {
			rc, err := e.Open()
			if err != nil {
				t.Errorf("open %s: %v", e.Path, err)
				return
			}
			n, _ := io.Copy(io.Discard, rc)
			rc.Close()
			if n > maxEntry {
				t.Errorf("%s: %d bytes delivered, more than MaxEntryBytes", e.Path, n)
			}
		}
		v := &recorder{onFile: func(e *Entry) error {
			if e.Sequential {
				read(e)
			} else {
				mu.Lock()
				later = append(later, e)
				mu.Unlock()
			}
			return nil
		}}
		hang := time.AfterFunc(30*time.Second, func() { panic("Walk did not return within 30s") })
		err := Walk(context.Background(), []string{p, "-"}, opts, v)
		hang.Stop()
		if err != nil {
			t.Fatalf("Walk: %v", err)
		}
		for _, e := range later {
			read(e)
		}
		if left, _ := os.ReadDir(spool); len(left) != 0 {
			t.Errorf("spool folder not cleaned: %v", left)
		}
	})
}
