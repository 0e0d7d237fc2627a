package main

import (
	"archive/zip"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kudulens/kudulens/pipeline/blob"
)

// inputTotal is the content bytes the sources hold, where that is known before they are read:
// files on disk and the members of zip archives (their central directory lists the sizes).
// It is -1 when a source's size is only known after reading it: standard input, blobs (their
// sizes come as they are listed, see blob.Progress), compressed streams (.gz, .zst) and tar
// archives (no directory); then the progress line shows no total and no ETA.
func inputTotal(sources []string) int64 {
	var total int64
	for _, src := range sources {
		if src == "-" || blob.IsSource(src) {
			return -1
		}
		fi, err := os.Stat(src)
		if err != nil {
			return -1
		}
		if !fi.IsDir() {
			n := fileTotal(src, fi.Size())
			if n < 0 {
				return -1
			}
			total += n
			continue
		}
		err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil // links, pipes and unreadable folders are not read either
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			n := fileTotal(p, info.Size())
			if n < 0 {
				return fs.SkipAll
			}
			total += n
			return nil
		})
		if err != nil || total < 0 {
			return -1
		}
	}
	return total
}

// fileTotal is the content bytes of one file: its size, the sum of a zip's members, or -1 for a
// compressed stream or a tar archive (whose content size is not known before reading it).
func fileTotal(path string, size int64) int64 {
	name := strings.ToLower(path)
	for _, ext := range []string{".gz", ".tgz", ".zst", ".zstd", ".tar"} {
		if strings.HasSuffix(name, ext) {
			return -1
		}
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return size // not a zip: read as it is
	}
	defer zr.Close()
	var n int64
	for _, f := range zr.File {
		if strings.HasSuffix(strings.ToLower(f.Name), ".gz") || strings.HasSuffix(strings.ToLower(f.Name), ".tar") {
			return -1
		}
		n += int64(f.UncompressedSize64)
	}
	return n
}

// progressLine is the text of the progress line: what was read so far and, with a known total
// (total > 0), how much of it and when the rest should be done at the rate so far.
func progressLine(files, bytes, lines, total int64, elapsed time.Duration) string {
	mb := float64(bytes) / 1e6
	rate := mb / elapsed.Seconds()
	if total <= 0 {
		return fmt.Sprintf("kudulens: %d files, %.1f MB, %d lines, %.1f MB/s", files, mb, lines, rate)
	}
	pct := min(99, 100*bytes/total)
	return fmt.Sprintf("kudulens: %d files, %.1f of %.1f MB (%d%%), %d lines, %.1f MB/s, %s", files, mb, float64(total)/1e6, pct, lines, rate, eta(bytes, total, elapsed))
}

// eta is when the rest of total should be done at the rate of done bytes in elapsed.
func eta(done, total int64, elapsed time.Duration) string {
	if done <= 0 || done >= total {
		return "ETA -"
	}
	left := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
	return "ETA " + left.Round(time.Second).String()
}

// totalLater computes inputTotal in the background: a big folder takes a while to list and
// the run need not wait for it. The value is 0 until known, -1 when unknown.
func totalLater(sources []string) *atomic.Int64 {
	var t atomic.Int64
	go func() {
		n := inputTotal(sources)
		if n == 0 {
			n = -1
		}
		t.Store(n)
	}()
	return &t
}
