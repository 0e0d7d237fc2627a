package pipeline

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// ---- building inputs ----

type zipMember struct {
	name   string
	data   string
	method uint16 // zip.Store, zip.Deflate or 93 (zstd); default Deflate
	flags  uint16
	mode   os.FileMode // 0: regular 0644
}

func mkZip(t testing.TB, members ...zipMember) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zstd.ZipMethodWinZip, zstd.ZipCompressor())
	for _, m := range members {
		fh := &zip.FileHeader{Name: m.name, Method: m.method, Flags: m.flags, Modified: testTime}
		if m.method == 0 && !strings.HasSuffix(m.name, "/") {
			fh.Method = zip.Deflate
		}
		if m.method == 0xffff {
			fh.Method = zip.Store
		}
		if m.mode != 0 {
			fh.SetMode(m.mode)
		}
		fw, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(fw, m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// store asks mkZip for method Store (0 means Deflate there).
const store = 0xffff

type tarMember struct {
	name     string
	data     string
	typeflag byte // default tar.TypeReg
	linkname string
}

var testTime = time.Date(2026, 11, 22, 10, 15, 32, 0, time.UTC)

func mkTar(t testing.TB, members ...tarMember) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		hdr := &tar.Header{Name: m.name, Mode: 0o644, ModTime: testTime, Typeflag: m.typeflag, Linkname: m.linkname, Format: tar.FormatPAX}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(m.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Size > 0 {
			if _, err := io.WriteString(tw, m.data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t testing.TB, b []byte) []byte {
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

func zst(t testing.TB, b []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
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

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// ---- recording a walk ----

type fileRec struct {
	Path, Name, Container, Compression string
	Size                               int64
	Sequential                         bool
	Data                               string
	Err                                string // from Open or Read
}

type problemRec struct {
	Path, Err string
}

// recorder opens and reads every entry inside File, unless onFile is set.
type recorder struct {
	mu         sync.Mutex
	files      []fileRec
	entries    []*Entry
	containers []ContainerInfo
	problems   []problemRec
	errs       []error
	onFile     func(e *Entry) error
}

func (r *recorder) File(e *Entry) error {
	r.mu.Lock()
	r.entries = append(r.entries, e)
	r.mu.Unlock()
	if r.onFile != nil {
		return r.onFile(e)
	}
	rec := readEntry(e)
	r.mu.Lock()
	r.files = append(r.files, rec)
	r.mu.Unlock()
	return nil
}

func readEntry(e *Entry) fileRec {
	rec := fileRec{Path: e.Path, Name: e.Name, Container: e.Container, Compression: e.Compression, Size: e.Size, Sequential: e.Sequential}
	rc, err := e.Open()
	if err != nil {
		rec.Err = err.Error()
		return rec
	}
	b, err := io.ReadAll(rc)
	rec.Data = string(b)
	if err != nil {
		rec.Err = err.Error()
	}
	if err := rc.Close(); err != nil {
		rec.Err += " close: " + err.Error()
	}
	return rec
}

func (r *recorder) Container(c ContainerInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.containers = append(r.containers, c)
}

func (r *recorder) Problem(path string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.problems = append(r.problems, problemRec{path, err.Error()})
	r.errs = append(r.errs, err)
}

func walk(t *testing.T, sources []string, opts WalkOptions) *recorder {
	t.Helper()
	r := &recorder{}
	if err := Walk(context.Background(), sources, opts, r); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return r
}

func check[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got: %+v\nwant: %+v", what, got, want)
	}
}

// ---- tests ----

func TestWalkDirectoryTree(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "bundle")
	writeFile(t, root, "b.txt", []byte("bee\r\n"))
	jobLog := "[11/22/2026 10:15:32 > 494acb: INFO] hello\r\n"
	writeFile(t, root, "a/job_log.txt", []byte(jobLog))
	writeFile(t, root, "a/c/empty.log", nil)
	other := writeFile(t, dir, "elsewhere/x.txt", []byte("x"))
	if err := os.Symlink(filepath.Dir(other), filepath.Join(root, "a/linkdir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(other, filepath.Join(root, "a/linkfile")); err != nil {
		t.Fatal(err)
	}
	r := walk(t, []string{root}, WalkOptions{})
	p := func(s string) string { return filepath.Join(root, s) }
	check(t, "files", r.files, []fileRec{
		{Path: p("a/c/empty.log"), Name: p("a/c/empty.log"), Size: 0},
		{Path: p("a/job_log.txt"), Name: p("a/job_log.txt"), Size: int64(len(jobLog)), Data: jobLog},
		{Path: p("a/linkfile"), Name: p("a/linkfile"), Size: 1, Data: "x"},
		{Path: p("b.txt"), Name: p("b.txt"), Size: 5, Data: "bee\r\n"},
	})
	check(t, "problems", r.problems, []problemRec{
		{p("a/linkdir"), "symlink to directory " + filepath.Dir(other) + " not followed"},
	})
	check(t, "containers", len(r.containers), 0)
}

func TestWalkZipBackslashNames(t *testing.T) {
	dir := t.TempDir()
	log := "[11/22/2026 10:15:32 > 494acb: SYS INFO] Status changed to Running\r\n"
	data := mkZip(t,
		zipMember{name: `D:\home\data\jobs\continuous\AppInsightsImporter\`},
		zipMember{name: `D:\home\data\jobs\continuous\AppInsightsImporter\job_log.txt`, data: log},
		zipMember{name: `../../evil/../x.txt`, data: "traversal is only a label", method: store},
	)
	zpath := writeFile(t, dir, "bundle.zip", data)
	r := walk(t, []string{zpath}, WalkOptions{})
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "files", r.files, []fileRec{
		{Path: zpath + "!D:/home/data/jobs/continuous/AppInsightsImporter/job_log.txt", Name: "D:/home/data/jobs/continuous/AppInsightsImporter/job_log.txt",
			Container: zpath, Size: int64(zr.File[1].CompressedSize64), Data: log},
		{Path: zpath + "!../../evil/../x.txt", Name: "../../evil/../x.txt", Container: zpath, Size: 25, Data: "traversal is only a label"},
	})
	check(t, "containers", r.containers, []ContainerInfo{{Path: zpath, Kind: "zip", Size: int64(len(data)), SHA256: sha(data), Entries: 2}})
	check(t, "problems", len(r.problems), 0)
}

func TestWalkCompressionAndTarByMagic(t *testing.T) {
	dir := t.TempDir()
	tarData := mkTar(t, tarMember{name: "logs/", typeflag: tar.TypeDir}, tarMember{name: "logs/a.txt", data: "alpha\n"}, tarMember{name: "logs/b.txt.gz", data: string(gz(t, []byte("beta\n")))})
	tgz := gz(t, tarData)
	leafGz := gz(t, []byte("gzipped log\n"))
	leafZst := zst(t, []byte("zstd log\n"))
	double := zst(t, gz(t, []byte("two layers\n")))
	paths := []string{
		writeFile(t, dir, "1.tar", tarData),
		writeFile(t, dir, "2.bin", tgz), // a .tgz by content, named .bin
		writeFile(t, dir, "3.log.gz", leafGz),
		writeFile(t, dir, "4.txt", leafZst), // zstd, named .txt
		writeFile(t, dir, "5.zst.gz", double),
	}
	r := walk(t, []string{dir}, WalkOptions{})
	check(t, "files", r.files, []fileRec{
		{Path: paths[0] + "!logs/a.txt", Name: "logs/a.txt", Container: paths[0], Size: 6, Sequential: true, Data: "alpha\n"},
		{Path: paths[0] + "!logs/b.txt.gz", Name: "logs/b.txt.gz", Container: paths[0], Compression: "gzip", Size: int64(len(gz(t, []byte("beta\n")))), Sequential: true, Data: "beta\n"},
		{Path: paths[1] + "!logs/a.txt", Name: "logs/a.txt", Container: paths[1], Size: 6, Sequential: true, Data: "alpha\n"},
		{Path: paths[1] + "!logs/b.txt.gz", Name: "logs/b.txt.gz", Container: paths[1], Compression: "gzip", Size: int64(len(gz(t, []byte("beta\n")))), Sequential: true, Data: "beta\n"},
		{Path: paths[2], Name: paths[2], Compression: "gzip", Size: int64(len(leafGz)), Data: "gzipped log\n"},
		{Path: paths[3], Name: paths[3], Compression: "zstd", Size: int64(len(leafZst)), Data: "zstd log\n"},
		{Path: paths[4], Name: paths[4], Compression: "zstd+gzip", Size: int64(len(double)), Data: "two layers\n"},
	})
	check(t, "containers", r.containers, []ContainerInfo{
		{Path: paths[0], Kind: "tar", Size: int64(len(tarData)), SHA256: sha(tarData), Entries: 2},
		{Path: paths[1], Kind: "tar", Compression: "gzip", Size: int64(len(tgz)), SHA256: sha(tgz), Entries: 2},
	})
	check(t, "problems", len(r.problems), 0)
}

func TestWalkSmoke(t *testing.T) {
	t.Skip()
	fmt.Println()
	_ = errors.New
}
