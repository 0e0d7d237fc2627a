package main

// Builders of hostile and broken inputs for hostile_test.go.

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

var buildTime = time.Date(2026, 11, 19, 21, 40, 0, 0, time.UTC)

// kuduLine renders one Kudu job-log line (CRLF, as Kudu writes) at buildTime + sec seconds.
func kuduLine(sec int, msg string) string {
	t := buildTime.Add(time.Duration(sec) * time.Second)
	return fmt.Sprintf("[%s > 5e1c2a: INFO] %s: %s\r\n", t.Format("01/02/2006 15:04:05"), t.Format("15-04-05")+":12", msg)
}

// kuduLog renders n Kudu lines, one second apart, numbered from 1.
func kuduLog(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(kuduLine(i, fmt.Sprintf("Imported %d hits of page views in chunk %d.", i*7, i)))
	}
	return b.String()
}

// jobLog is where a Kudu job log sits in a bundle.
const jobLog = "data/jobs/continuous/AppInsightsImporter/job_log.txt"

type member struct {
	name     string
	data     string
	method   uint16 // zip: Deflate unless set (methodStore for Store)
	flags    uint16 // zip: general purpose flags (1 = encrypted)
	declared int64  // zip: declared uncompressed size when > 0 (a lie)
	typeflag byte   // tar: default TypeReg
	linkname string // tar
}

const methodStore = 0xffff

func zipOf(t testing.TB, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zstd.ZipMethodWinZip, zstd.ZipCompressor())
	for _, m := range members {
		method := m.method
		switch method {
		case 0:
			method = zip.Deflate
		case methodStore:
			method = zip.Store
		}
		if m.declared > 0 || m.flags != 0 {
			// Raw member: the header says what the test wants, whatever the data is.
			comp := []byte(m.data)
			if method == zip.Deflate {
				var cb bytes.Buffer
				fw, _ := flate.NewWriter(&cb, flate.DefaultCompression)
				fw.Write([]byte(m.data))
				fw.Close()
				comp = cb.Bytes()
			}
			size := uint64(len(m.data))
			if m.declared > 0 {
				size = uint64(m.declared)
			}
			fh := &zip.FileHeader{Name: m.name, Method: method, Flags: m.flags, Modified: buildTime,
				CRC32: crc32.ChecksumIEEE([]byte(m.data)), CompressedSize64: uint64(len(comp)), UncompressedSize64: size}
			w, err := zw.CreateRaw(fh)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(comp)
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: method, Modified: buildTime})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, m.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tarOf(t testing.TB, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		hdr := &tar.Header{Name: m.name, Mode: 0o644, ModTime: buildTime, Typeflag: m.typeflag, Linkname: m.linkname, Format: tar.FormatPAX}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(m.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, m.data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstOf(t testing.TB, b []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

// gunzipPrefix is what a streaming gzip reader delivers of b before it fails.
func gunzipPrefix(b []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	out, _ := io.ReadAll(zr)
	return out
}

func utf16Of(s string, bigEndian bool) []byte {
	u := utf16.Encode([]rune(s))
	out := make([]byte, 0, 2+2*len(u))
	if bigEndian {
		out = append(out, 0xFE, 0xFF)
	} else {
		out = append(out, 0xFF, 0xFE)
	}
	for _, c := range u {
		if bigEndian {
			out = append(out, byte(c>>8), byte(c))
		} else {
			out = append(out, byte(c), byte(c>>8))
		}
	}
	return out
}

// nested wraps data n times in a zip holding one member "in.zip" (the innermost holds the log).
func nested(t testing.TB, n int, log string) []byte {
	data := zipOf(t, member{name: jobLog, data: log})
	for i := 1; i < n; i++ {
		data = zipOf(t, member{name: "in.zip", data: string(data), method: methodStore})
	}
	return data
}

// cut returns b without its last n bytes.
func cut(b []byte, n int) []byte { return b[:len(b)-n] }

func flip(b []byte, at int) []byte {
	c := append([]byte(nil), b...)
	c[at] ^= 0x55
	return c
}

func writeInput(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
