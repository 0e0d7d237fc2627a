// Package testinput builds the inputs that tests of more than one package feed to kudulens:
// files in a folder, zip archives, gzip streams, UTF-16 text. Only tests import it.
package testinput

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// ModTime is the modification time of every member Zip writes.
var ModTime = time.Date(2026, 11, 22, 10, 15, 32, 0, time.UTC)

// ZipMember is one member of an archive built by Zip.
type ZipMember struct {
	Name   string
	Data   string
	Method uint16 // zip.Store (ask with Store), zip.Deflate or 93 (zstd); default Deflate
	Flags  uint16
	Mode   os.FileMode // 0: regular 0644
}

// Store asks Zip for method Store (0 means Deflate there).
const Store = 0xffff

// Zip returns a zip archive of members.
func Zip(t testing.TB, members ...ZipMember) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zstd.ZipMethodWinZip, zstd.ZipCompressor())
	for _, m := range members {
		fh := &zip.FileHeader{Name: m.Name, Method: m.Method, Flags: m.Flags, Modified: ModTime}
		if m.Method == 0 && !strings.HasSuffix(m.Name, "/") {
			fh.Method = zip.Deflate
		}
		if m.Method == Store {
			fh.Method = zip.Store
		}
		if m.Mode != 0 {
			fh.SetMode(m.Mode)
		}
		fw, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(fw, m.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Gzip returns b gzip-compressed.
func Gzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// WriteFile writes data to dir/name ('/'-separated, folders created) and returns its path.
func WriteFile(t testing.TB, dir, name string, data []byte) string {
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

// UTF16 is s in UTF-16 with a byte-order mark, little- or big-endian.
func UTF16(s string, bigEndian bool) []byte {
	out := []byte{0xFF, 0xFE}
	if bigEndian {
		out = []byte{0xFE, 0xFF}
	}
	for _, c := range utf16.Encode([]rune(s)) {
		if bigEndian {
			out = append(out, byte(c>>8), byte(c))
		} else {
			out = append(out, byte(c), byte(c>>8))
		}
	}
	return out
}
