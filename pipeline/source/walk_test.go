package source

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/kudulens/kudulens/internal/testinput"
)

// ---- building inputs ----

type tarMember struct {
	name     string
	data     string
	typeflag byte // default tar.TypeReg
	linkname string
}

var testTime = testinput.ModTime

func mkTar(t testing.TB, members ...tarMember) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		hdr := &tar.Header{Name: m.name, Mode: 0o644, ModTime: testTime, Typeflag: m.typeflag, Linkname: m.linkname}
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

func zst(t testing.TB, b []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(b, nil)
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
	testinput.WriteFile(t, root, "b.txt", []byte("bee\r\n"))
	jobLog := "[11/22/2026 10:15:32 > 494acb: INFO] hello\r\n"
	testinput.WriteFile(t, root, "a/job_log.txt", []byte(jobLog))
	testinput.WriteFile(t, root, "a/c/empty.log", nil)
	other := testinput.WriteFile(t, dir, "elsewhere/x.txt", []byte("x"))
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
		{Path: p("b.txt"), Name: p("b.txt"), Size: 5, Data: "bee\r\n"},
	})
	check(t, "problems", r.problems, []problemRec{
		{p("a/linkdir"), "symlink to directory " + filepath.Dir(other) + " not followed"},
		{p("a/linkfile"), "symlink to " + other + " skipped"},
	})
	check(t, "containers", len(r.containers), 0)
	// Named on the command line, the same symlink is read: the user chose it.
	r = walk(t, []string{p("a/linkfile")}, WalkOptions{})
	check(t, "files", r.files, []fileRec{{Path: p("a/linkfile"), Name: p("a/linkfile"), Size: 1, Data: "x"}})
}

func TestWalkZipBackslashNames(t *testing.T) {
	dir := t.TempDir()
	log := "[11/22/2026 10:15:32 > 494acb: SYS INFO] Status changed to Running\r\n"
	data := testinput.Zip(t,
		testinput.ZipMember{Name: `D:\home\data\jobs\continuous\AppInsightsImporter\`},
		testinput.ZipMember{Name: `D:\home\data\jobs\continuous\AppInsightsImporter\job_log.txt`, Data: log},
		testinput.ZipMember{Name: `../../evil/../x.txt`, Data: "traversal is only a label", Method: testinput.Store},
		testinput.ZipMember{Name: `logs\app.log.gz`, Data: string(testinput.Gzip(t, []byte("gzip in a zip\n")))},
	)
	zpath := testinput.WriteFile(t, dir, "bundle.zip", data)
	r := walk(t, []string{zpath}, WalkOptions{})
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "files", r.files, []fileRec{
		{Path: zpath + "!D:/home/data/jobs/continuous/AppInsightsImporter/job_log.txt", Name: "D:/home/data/jobs/continuous/AppInsightsImporter/job_log.txt",
			Container: zpath, Size: int64(zr.File[1].CompressedSize64), Data: log},
		{Path: zpath + "!../../evil/../x.txt", Name: "../../evil/../x.txt", Container: zpath, Size: 25, Data: "traversal is only a label"},
		{Path: zpath + "!logs/app.log.gz", Name: "logs/app.log.gz", Container: zpath, Compression: "gzip", Size: int64(zr.File[3].CompressedSize64), Data: "gzip in a zip\n"},
	})
	check(t, "containers", r.containers, []ContainerInfo{{Path: zpath, Kind: "zip", Size: int64(len(data)), SHA256: sha(data), Entries: 3}})
	check(t, "problems", len(r.problems), 0)
}

func TestWalkCompressionAndTarByMagic(t *testing.T) {
	dir := t.TempDir()
	tarData := mkTar(t, tarMember{name: "logs/", typeflag: tar.TypeDir}, tarMember{name: "logs/a.txt", data: "alpha\n"}, tarMember{name: "logs/b.txt.gz", data: string(testinput.Gzip(t, []byte("beta\n")))})
	tgz := testinput.Gzip(t, tarData)
	leafGz := testinput.Gzip(t, []byte("gzipped log\n"))
	leafZst := zst(t, []byte("zstd log\n"))
	double := zst(t, testinput.Gzip(t, []byte("two layers\n")))
	paths := []string{
		testinput.WriteFile(t, dir, "1.tar", tarData),
		testinput.WriteFile(t, dir, "2.bin", tgz), // a .tgz by content, named .bin
		testinput.WriteFile(t, dir, "3.log.gz", leafGz),
		testinput.WriteFile(t, dir, "4.txt", leafZst), // zstd, named .txt
		testinput.WriteFile(t, dir, "5.zst.gz", double),
	}
	r := walk(t, []string{dir}, WalkOptions{})
	check(t, "files", r.files, []fileRec{
		{Path: paths[0] + "!logs/a.txt", Name: "logs/a.txt", Container: paths[0], Size: 6, Sequential: true, Data: "alpha\n"},
		{Path: paths[0] + "!logs/b.txt.gz", Name: "logs/b.txt.gz", Container: paths[0], Compression: "gzip", Size: int64(len(testinput.Gzip(t, []byte("beta\n")))), Sequential: true, Data: "beta\n"},
		{Path: paths[1] + "!logs/a.txt", Name: "logs/a.txt", Container: paths[1], Size: 6, Sequential: true, Data: "alpha\n"},
		{Path: paths[1] + "!logs/b.txt.gz", Name: "logs/b.txt.gz", Container: paths[1], Compression: "gzip", Size: int64(len(testinput.Gzip(t, []byte("beta\n")))), Sequential: true, Data: "beta\n"},
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

func TestWalkNestedArchives(t *testing.T) {
	yGz := testinput.Gzip(t, []byte("y\n"))
	deep := testinput.Zip(t, testinput.ZipMember{Name: "x.txt", Data: "deepest\n"}, testinput.ZipMember{Name: "y.log.gz", Data: string(yGz), Method: testinput.Store})
	innerTar := mkTar(t, tarMember{name: "mid.txt", data: "middle\n"}, tarMember{name: "deep.zip", data: string(deep)})
	inner := testinput.Gzip(t, innerTar)
	outer := testinput.Zip(t, testinput.ZipMember{Name: "top.txt", Data: "top\n", Method: testinput.Store}, testinput.ZipMember{Name: "inner.tar.gz", Data: string(inner)})
	for _, spool := range []int64{0, 1} { // in memory, then through temporary files
		t.Run(fmt.Sprintf("MemSpoolLimit=%d", spool), func(t *testing.T) {
			dir, tmp := t.TempDir(), t.TempDir()
			op := testinput.WriteFile(t, dir, "outer.zip", outer)
			r := walk(t, []string{op}, WalkOptions{MemSpoolLimit: spool, TempDir: tmp})
			ip := op + "!inner.tar.gz"
			dp := ip + "!deep.zip"
			check(t, "files", r.files, []fileRec{
				{Path: op + "!top.txt", Name: "top.txt", Container: op, Size: 4, Data: "top\n"},
				{Path: ip + "!mid.txt", Name: "mid.txt", Container: ip, Size: 7, Sequential: true, Data: "middle\n"},
				{Path: dp + "!x.txt", Name: "x.txt", Container: dp, Size: r.files[2].Size, Sequential: true, Data: "deepest\n"},
				{Path: dp + "!y.log.gz", Name: "y.log.gz", Container: dp, Compression: "gzip", Size: int64(len(yGz)), Sequential: true, Data: "y\n"},
			})
			check(t, "containers", r.containers, []ContainerInfo{
				{Path: dp, Kind: "zip", Size: int64(len(deep)), SHA256: sha(deep), Entries: 2},
				{Path: ip, Kind: "tar", Compression: "gzip", Size: int64(len(inner)), SHA256: sha(inner), Entries: 2},
				{Path: op, Kind: "zip", Size: int64(len(outer)), SHA256: sha(outer), Entries: 2},
			})
			check(t, "problems", len(r.problems), 0)
			for _, e := range r.entries[1:] {
				if !e.ModTime.Equal(testTime) {
					t.Errorf("%s: ModTime %v, want %v", e.Path, e.ModTime, testTime)
				}
			}
			left, err := os.ReadDir(tmp)
			if err != nil || len(left) != 0 {
				t.Errorf("TempDir not cleaned: %v %v", left, err)
			}
		})
	}
}

func TestWalkStdin(t *testing.T) {
	zipData := testinput.Zip(t, testinput.ZipMember{Name: "logs/a.txt", Data: "from a zip on stdin\n"})
	gzData := testinput.Gzip(t, []byte("from gzip on stdin\n"))
	tarData := testinput.Gzip(t, mkTar(t, tarMember{name: "t.txt", data: "from a tgz on stdin\n"}))

	r := walk(t, []string{"-"}, WalkOptions{Stdin: bytes.NewReader(zipData)})
	check(t, "zip files", r.files, []fileRec{{Path: "-!logs/a.txt", Name: "logs/a.txt", Container: "-", Size: r.files[0].Size, Sequential: true, Data: "from a zip on stdin\n"}})
	check(t, "zip containers", r.containers, []ContainerInfo{{Path: "-", Kind: "zip", Size: int64(len(zipData)), SHA256: sha(zipData), Entries: 1}})

	r = walk(t, []string{"-"}, WalkOptions{Stdin: bytes.NewReader(gzData)})
	check(t, "gzip files", r.files, []fileRec{{Path: "-", Name: "-", Compression: "gzip", Size: -1, Sequential: true, Data: "from gzip on stdin\n"}})
	check(t, "gzip containers", len(r.containers), 0)

	r = walk(t, []string{"-"}, WalkOptions{Stdin: bytes.NewReader(tarData)})
	check(t, "tgz files", r.files, []fileRec{{Path: "-!t.txt", Name: "t.txt", Container: "-", Size: 20, Sequential: true, Data: "from a tgz on stdin\n"}})
	check(t, "tgz containers", r.containers, []ContainerInfo{{Path: "-", Kind: "tar", Compression: "gzip", Size: int64(len(tarData)), SHA256: sha(tarData), Entries: 1}})

	r = walk(t, []string{"-"}, WalkOptions{})
	check(t, "no stdin", r.problems, []problemRec{{"-", `source "-" given but no stdin reader`}})
}

func TestWalkEmptyZipAndMissingSource(t *testing.T) {
	dir := t.TempDir()
	empty := testinput.Zip(t)
	if !bytes.HasPrefix(empty, []byte("PK\x05\x06")) {
		t.Fatalf("empty zip starts with %q", empty[:4])
	}
	p := testinput.WriteFile(t, dir, "empty.zip", empty)
	missing := filepath.Join(dir, "missing.zip")
	r := walk(t, []string{p, missing}, WalkOptions{})
	check(t, "files", len(r.files), 0)
	check(t, "containers", r.containers, []ContainerInfo{{Path: p, Kind: "zip", Size: 22, SHA256: sha(empty)}})
	check(t, "problems", r.problems, []problemRec{{missing, "stat " + missing + ": no such file or directory"}})
}

// logText returns n bytes of log-like, not too compressible text.
func logText(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "[11/22/2026 10:%02d:%02d > 494acb: INFO] %02d-15-32:45: processed %d%% of batch %x\r\n", i/60%60, i%60, i%24, i*7%100, i*2654435761)
	}
	return b.Bytes()[:n]
}

func TestWalkTruncatedGzip(t *testing.T) {
	dir := t.TempDir()
	text := logText(256 << 10)
	full := testinput.Gzip(t, text)
	cut := full[:len(full)/2]
	p := testinput.WriteFile(t, dir, "job_log.txt.gz", cut)
	for _, src := range []string{p, "-"} {
		r := walk(t, []string{src}, WalkOptions{Stdin: bytes.NewReader(cut)})
		if len(r.files) != 1 {
			t.Fatalf("files: %+v", r.files)
		}
		f := r.files[0]
		if len(f.Data) < len(text)/4 || !strings.HasPrefix(string(text), f.Data) {
			t.Errorf("%s: got %d bytes, not a good prefix of %d", src, len(f.Data), len(text))
		}
		want := fmt.Sprintf("read %s at offset %d: gzip data broken at compressed offset %d (output offset %d): unexpected EOF", src, len(f.Data), len(cut), len(f.Data))
		check(t, src+" error", f.Err, want)
		check(t, src+" problems", len(r.problems), 0)
	}
}

func TestWalkTruncatedZstd(t *testing.T) {
	dir := t.TempDir()
	text := logText(1 << 20)
	full := zst(t, text)
	cut := full[:len(full)*3/4]
	p := testinput.WriteFile(t, dir, "job_log.txt.zst", cut)
	r := walk(t, []string{p}, WalkOptions{})
	f := r.files[0]
	if len(f.Data) == 0 || !strings.HasPrefix(string(text), f.Data) {
		t.Errorf("got %d bytes, not a good prefix", len(f.Data))
	}
	prefix := fmt.Sprintf("read %s at offset %d: zstd data broken at compressed offset ", p, len(f.Data))
	if !strings.HasPrefix(f.Err, prefix) || !strings.HasSuffix(f.Err, "unexpected EOF") {
		t.Errorf("error %q, want prefix %q", f.Err, prefix)
	}
}

func TestWalkCorruptTar(t *testing.T) {
	dir := t.TempDir()
	data := mkTar(t, tarMember{name: "a.txt", data: "alpha\n"}, tarMember{name: "b.txt", data: "beta\n"})
	data[1024+100] ^= 0x55 // in the second header (mode field): checksum mismatch
	p := testinput.WriteFile(t, dir, "c.tar", data)
	r := walk(t, []string{p}, WalkOptions{})
	check(t, "files", r.files, []fileRec{{Path: p + "!a.txt", Name: "a.txt", Container: p, Size: 6, Sequential: true, Data: "alpha\n"}})
	check(t, "problems", r.problems, []problemRec{{p, `tar: broken after member "a.txt", at offset 1024: archive/tar: invalid tar header`}})
	check(t, "containers", r.containers, []ContainerInfo{{Path: p, Kind: "tar", Size: int64(len(data)), SHA256: sha(data), Entries: 1}})
}

func TestWalkTruncatedTar(t *testing.T) {
	dir := t.TempDir()
	big := string(logText(10000))
	data := mkTar(t, tarMember{name: "a.txt", data: "alpha\n"}, tarMember{name: "b.txt", data: big})
	midMember := testinput.WriteFile(t, dir, "1.tar", data[:1024+512+5000])
	atBoundary := testinput.WriteFile(t, dir, "2.tar", data[:1024]) // after a.txt, no end blocks
	r := walk(t, []string{midMember, atBoundary}, WalkOptions{})
	check(t, "files", r.files, []fileRec{
		{Path: midMember + "!a.txt", Name: "a.txt", Container: midMember, Size: 6, Sequential: true, Data: "alpha\n"},
		{Path: midMember + "!b.txt", Name: "b.txt", Container: midMember, Size: 10000, Sequential: true, Data: big[:5000],
			Err: "read " + midMember + "!b.txt at offset 5000: unexpected EOF"},
		{Path: atBoundary + "!a.txt", Name: "a.txt", Container: atBoundary, Size: 6, Sequential: true, Data: "alpha\n"},
	})
	check(t, "problems", r.problems, []problemRec{
		{midMember, `tar: broken after member "b.txt", at offset 6536: unexpected EOF`},
		{atBoundary, `tar: input ends after member "a.txt" (offset 1024) without the end-of-archive blocks: truncated?`},
	})
}

func TestWalkZipDamage(t *testing.T) {
	dir := t.TempDir()
	good := testinput.Zip(t, testinput.ZipMember{Name: "a.txt", Data: "alpha\n"}, testinput.ZipMember{Name: "secret.txt", Data: "s", Flags: 1},
		testinput.ZipMember{Name: "link", Data: "../../etc/passwd", Mode: os.ModeSymlink | 0o777, Method: testinput.Store},
		testinput.ZipMember{Name: "z.txt", Data: "zstd member\n", Method: zstd.ZipMethodWinZip})
	gp := testinput.WriteFile(t, dir, "1.zip", good)

	// Sizes that lie: the stored size runs past the end, the uncompressed size is too small.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	lie := func(name, data string, csize, usize uint64) {
		fw, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, CompressedSize64: csize, UncompressedSize64: usize})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, data)
	}
	lie("short.txt", "0123456789", 10, 4)
	lie("long.txt", "0123456789", 1<<20, 1<<20)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	lp := testinput.WriteFile(t, dir, "2.zip", buf.Bytes())

	truncated := good[:len(good)-30] // the central directory is damaged
	tp := testinput.WriteFile(t, dir, "3.zip", truncated)

	r := walk(t, []string{gp, lp, tp}, WalkOptions{})
	check(t, "files", r.files, []fileRec{
		{Path: gp + "!a.txt", Name: "a.txt", Container: gp, Size: r.files[0].Size, Data: "alpha\n"},
		{Path: gp + "!z.txt", Name: "z.txt", Container: gp, Size: r.files[1].Size, Data: "zstd member\n"},
		{Path: lp + "!short.txt", Name: "short.txt", Container: lp, Size: 10, Data: "0123", Err: "read " + lp + "!short.txt at offset 4: zip: member holds more than its declared 4 bytes"},
		// The stored bytes there are, then an error.
		{Path: lp + "!long.txt", Name: "long.txt", Container: lp, Size: int64(buf.Len() - 87), Data: string(buf.Bytes()[87:]),
			Err: fmt.Sprintf("read %s!long.txt at offset %d: zip: member data ends after %d of its declared 1048576 bytes: unexpected EOF", lp, buf.Len()-87, buf.Len()-87)},
		// Without the central directory, members come from the local headers (which hold no
		// file modes: the symlink is a leaf there), found by their data descriptors.
		{Path: tp + "!a.txt", Name: "a.txt", Container: tp, Size: -1, Sequential: true, Data: "alpha\n"},
		{Path: tp + "!link", Name: "link", Container: tp, Size: 16, Sequential: true, Data: "../../etc/passwd"},
		{Path: tp + "!z.txt", Name: "z.txt", Container: tp, Size: r.files[1].Size, Sequential: true, Data: "zstd member\n"},
	})
	check(t, "problems", r.problems, []problemRec{
		{gp + "!secret.txt", "encrypted zip member skipped"},
		{gp + "!link", "symlink to ../../etc/passwd skipped"},
		{lp + "!long.txt", fmt.Sprintf("zip: member data (1048576 bytes at offset 87) runs past the end of the archive (%d bytes)", buf.Len())},
		{tp, "zip: central directory unreadable (zip: not a valid zip file); reading members from their local headers"},
		{tp + "!secret.txt", "encrypted zip member skipped"},
	})
	check(t, "containers", r.containers, []ContainerInfo{
		{Path: gp, Kind: "zip", Size: int64(len(good)), SHA256: sha(good), Entries: 2},
		{Path: lp, Kind: "zip", Size: int64(buf.Len()), SHA256: sha(buf.Bytes()), Entries: 2},
		{Path: tp, Kind: "zip", Size: int64(len(truncated)), SHA256: sha(truncated), Entries: 3},
	})
}

func TestWalkTarLinksAndSpecials(t *testing.T) {
	dir := t.TempDir()
	data := mkTar(t,
		tarMember{name: "etc", typeflag: tar.TypeSymlink, linkname: "/etc"},
		tarMember{name: "hard", typeflag: tar.TypeLink, linkname: "a.txt"},
		tarMember{name: "fifo", typeflag: tar.TypeFifo},
		tarMember{name: "a.txt", data: "alpha\n"})
	p := testinput.WriteFile(t, dir, "l.tar", data)
	r := walk(t, []string{p}, WalkOptions{})
	check(t, "files", r.files, []fileRec{{Path: p + "!a.txt", Name: "a.txt", Container: p, Size: 6, Sequential: true, Data: "alpha\n"}})
	check(t, "problems", r.problems, []problemRec{
		{p + "!etc", "symlink to /etc skipped"},
		{p + "!hard", "hard link to a.txt skipped"},
		{p + "!fifo", "named pipe skipped"},
	})
}

func TestWalkV7Tar(t *testing.T) {
	dir := t.TempDir()
	data := mkTar(t, tarMember{name: "old.txt", data: "v7\n"})
	for i := 257; i < 512; i++ { // no ustar magic, version, owner names...
		data[i] = 0
	}
	copy(data[148:156], "        ")
	var sum int64
	for _, c := range data[:512] {
		sum += int64(c)
	}
	copy(data[148:156], fmt.Sprintf("%06o\x00 ", sum))
	p := testinput.WriteFile(t, dir, "v7.dat", data)
	r := walk(t, []string{p}, WalkOptions{})
	check(t, "files", r.files, []fileRec{{Path: p + "!old.txt", Name: "old.txt", Container: p, Size: 3, Sequential: true, Data: "v7\n"}})
	check(t, "problems", len(r.problems), 0)
	// The same bytes with a wrong checksum are not a tar: a leaf.
	data[0] = 'O'
	r = walk(t, []string{testinput.WriteFile(t, dir, "notv7.dat", data)}, WalkOptions{})
	check(t, "leaf", len(r.files) == 1 && r.files[0].Container == "" && len(r.containers) == 0, true)
}

func TestWalkDepthLimit(t *testing.T) {
	dir := t.TempDir()
	p := testinput.WriteFile(t, dir, "deep", testinput.Gzip(t, testinput.Gzip(t, testinput.Gzip(t, []byte("deep\n")))))
	r := walk(t, []string{p}, WalkOptions{MaxDepth: 2})
	check(t, "files", len(r.files), 0)
	check(t, "problems", r.problems, []problemRec{{p, "limit exceeded: gzip layer not opened, nesting deeper than 2 (MaxDepth)"}})
	if !errors.Is(r.errs[0], ErrLimit) {
		t.Errorf("not ErrLimit: %v", r.errs[0])
	}
	r = walk(t, []string{p}, WalkOptions{MaxDepth: 3})
	check(t, "depth 3", r.files, []fileRec{{Path: p, Name: p, Compression: "gzip+gzip+gzip", Size: r.files[0].Size, Data: "deep\n"}})

	zipInTar := testinput.WriteFile(t, dir, "t.tar", mkTar(t, tarMember{name: "in.zip", data: string(testinput.Zip(t, testinput.ZipMember{Name: "x", Data: "x"}))}))
	r = walk(t, []string{zipInTar}, WalkOptions{MaxDepth: 1})
	check(t, "zip in tar", r.problems, []problemRec{{zipInTar + "!in.zip", "limit exceeded: zip layer not opened, nesting deeper than 1 (MaxDepth)"}})
	check(t, "zip in tar containers", r.containers, []ContainerInfo{{Path: zipInTar, Kind: "tar", Size: r.containers[0].Size, SHA256: r.containers[0].SHA256}})
}

func TestWalkEntryLimit(t *testing.T) {
	dir := t.TempDir()
	var tm []tarMember
	var zm []testinput.ZipMember
	for i := range 5 {
		tm = append(tm, tarMember{name: fmt.Sprintf("%d.txt", i), data: "x"})
		zm = append(zm, testinput.ZipMember{Name: fmt.Sprintf("%d.txt", i), Data: "x"})
	}
	tarData := testinput.Gzip(t, mkTar(t, tm...))
	tp := testinput.WriteFile(t, dir, "a.tgz", tarData)
	zp := testinput.WriteFile(t, dir, "b.zip", testinput.Zip(t, zm...))
	r := walk(t, []string{tp, zp}, WalkOptions{MaxEntries: 3})
	check(t, "files", len(r.files), 6)
	check(t, "problems", r.problems, []problemRec{
		{tp, "limit exceeded: more than 3 members (MaxEntries), the rest skipped"},
		{zp, "limit exceeded: 5 members, more than 3 (MaxEntries); the rest skipped"},
	})
	check(t, "tgz container", r.containers[0], ContainerInfo{Path: tp, Kind: "tar", Compression: "gzip", Size: int64(len(tarData)), SHA256: sha(tarData), Entries: 3})
	for _, err := range r.errs {
		if !errors.Is(err, ErrLimit) {
			t.Errorf("not ErrLimit: %v", err)
		}
	}
}

// zeroBomb returns a multi-member gzip of n MiB of zeros.
func zeroBomb(t testing.TB, n int) []byte {
	member := testinput.Gzip(t, make([]byte, 1<<20))
	return bytes.Repeat(member, n)
}

// zeroWriter counts the bytes written to it, which must all be zeros.
type zeroWriter struct{ n int64 }

func (z *zeroWriter) Write(p []byte) (int, error) {
	if len(bytes.Trim(p, "\x00")) != 0 {
		return 0, errors.New("not zeros")
	}
	z.n += int64(len(p))
	return len(p), nil
}

// drainZeros reads every entry of a walk of sources into a zeroWriter (the big outputs of
// bombs are not kept: the race detector makes copying them slow).
func drainZeros(t *testing.T, sources []string, opts WalkOptions) (r *recorder, n []int64, errs []string) {
	t.Helper()
	r = &recorder{onFile: func(e *Entry) error {
		rc, err := e.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		var z zeroWriter
		_, err = io.Copy(&z, rc)
		n = append(n, z.n)
		errs = append(errs, fmt.Sprint(err))
		return nil
	}}
	if err := Walk(context.Background(), sources, opts, r); err != nil {
		t.Fatal(err)
	}
	return r, n, errs
}

func TestWalkDecompressionBombs(t *testing.T) {
	dir := t.TempDir()
	member := testinput.Gzip(t, make([]byte, 1<<20))
	bomb := bytes.Repeat(member, 200) // 200 MiB of zeros in 200 gzip members
	bp := testinput.WriteFile(t, dir, "bomb.gz", bomb)

	t.Run("ratio", func(t *testing.T) {
		_, n, errs := drainZeros(t, []string{bp}, WalkOptions{MaxRatio: 100})
		want := fmt.Sprintf("read %s at offset %d: limit exceeded: gzip decompression ratio above 100:1 (MaxRatio): %d bytes out of ", bp, n[0], n[0])
		if !strings.HasPrefix(errs[0], want) || n[0] > 2<<20 {
			t.Errorf("got %d bytes, error %q", n[0], errs[0])
		}
	})
	t.Run("MaxEntryBytes", func(t *testing.T) {
		_, n, errs := drainZeros(t, []string{bp}, WalkOptions{MaxEntryBytes: 300000, MaxRatio: 1 << 40})
		check(t, "bytes", n[0], 300000)
		check(t, "error", errs[0], "read "+bp+" at offset 300000: limit exceeded: gzip output over 300000 bytes (MaxEntryBytes)")
	})
	t.Run("multistream read whole", func(t *testing.T) {
		p := testinput.WriteFile(t, dir, "two.gz", bomb[:2*len(member)])
		_, n, errs := drainZeros(t, []string{p}, WalkOptions{MaxRatio: 1 << 40})
		check(t, "bytes", n[0], 2<<20)
		check(t, "error", errs[0], "<nil>")
	})
	t.Run("in a tar.gz", func(t *testing.T) {
		// A tar of a 4 MiB member of zeros, then "after": gzip members concatenated.
		var hdr bytes.Buffer
		tw := tar.NewWriter(&hdr)
		if err := tw.WriteHeader(&tar.Header{Name: "zeros", Size: 4 << 20, Mode: 0o644, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tgz := append(testinput.Gzip(t, hdr.Bytes()), bytes.Repeat(member, 4)...)
		tgz = append(tgz, testinput.Gzip(t, mkTar(t, tarMember{name: "after", data: "after"}))...)
		p := testinput.WriteFile(t, dir, "bomb.tgz", tgz)
		r, n, errs := drainZeros(t, []string{p}, WalkOptions{MaxRatio: 100})
		if len(n) != 1 || !strings.HasPrefix(errs[0], fmt.Sprintf("read %s!zeros at offset %d: limit exceeded: gzip decompression ratio above 100:1 (MaxRatio)", p, n[0])) {
			t.Errorf("files: %d, %q", len(n), errs)
		}
		if len(r.problems) != 1 || r.problems[0].Path != p || !strings.HasPrefix(r.problems[0].Err, `tar: broken after member "zeros", at offset `) ||
			!strings.Contains(r.problems[0].Err, "limit exceeded: gzip decompression ratio above 100:1 (MaxRatio)") || !errors.Is(r.errs[0], ErrLimit) {
			t.Errorf("problems: %+v", r.problems)
		}
		check(t, "container", r.containers, []ContainerInfo{{Path: p, Kind: "tar", Compression: "gzip", Size: int64(len(tgz)), SHA256: sha(tgz), Entries: 1}})
	})
	t.Run("in a zip", func(t *testing.T) {
		p := testinput.WriteFile(t, dir, "bomb.zip", testinput.Zip(t, testinput.ZipMember{Name: "zeros", Data: string(make([]byte, 2<<20))}))
		_, n, errs := drainZeros(t, []string{p}, WalkOptions{MaxRatio: 100})
		if !strings.HasPrefix(errs[0], fmt.Sprintf("read %s!zeros at offset %d: limit exceeded: deflate decompression ratio above 100:1 (MaxRatio)", p, n[0])) {
			t.Errorf("error %q", errs[0])
		}
	})
}

func TestWalkConcurrentOpen(t *testing.T) {
	dir := t.TempDir()
	want := map[string]string{}
	var zm []testinput.ZipMember
	for i := range 40 {
		data := fmt.Sprintf("member %d\n%s", i, logText(1000+i*300))
		zm = append(zm, testinput.ZipMember{Name: fmt.Sprintf("logs/%02d.txt", i), Data: data})
	}
	zp := testinput.WriteFile(t, dir, "b.zip", testinput.Zip(t, zm...))
	for _, m := range zm {
		want[zp+"!"+m.Name] = m.Data
	}
	for i := range 30 {
		data := fmt.Sprintf("file %d\n", i)
		want[testinput.WriteFile(t, dir, fmt.Sprintf("f/%02d.txt", i), []byte(data))] = data
	}
	want[testinput.WriteFile(t, dir, "g.gz", testinput.Gzip(t, logText(5000)))] = string(logText(5000))
	want[testinput.WriteFile(t, dir, "z.zst", zst(t, logText(7000)))] = string(logText(7000))
	tp := testinput.WriteFile(t, dir, "t.tgz", testinput.Gzip(t, mkTar(t, tarMember{name: "in.txt", data: "in tar"})))
	want[tp+"!in.txt"] = "in tar"

	var (
		mu    sync.Mutex
		got   = map[string]string{}
		later []*Entry
		wg    sync.WaitGroup
	)
	read := func(e *Entry) {
		rec := readEntry(e)
		mu.Lock()
		defer mu.Unlock()
		if rec.Err != "" {
			t.Errorf("%s: %s", e.Path, rec.Err)
		}
		got[e.Path] = rec.Data
	}
	n := 0
	r := &recorder{onFile: func(e *Entry) error {
		switch {
		case e.Sequential:
			read(e)
		case n%2 == 0: // during the walk
			wg.Add(1)
			go func() { defer wg.Done(); read(e) }()
		default: // after the walk
			later = append(later, e)
		}
		n++
		return nil
	}}
	if err := Walk(context.Background(), []string{dir}, WalkOptions{}, r); err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := i; j < len(later); j += 8 {
				read(later[j])
			}
		}()
	}
	wg.Wait()
	check(t, "contents", got, want)
	check(t, "problems", len(r.problems), 0)
}

func TestWalkVisitorNeverOpens(t *testing.T) {
	dir := t.TempDir()
	deep := testinput.Zip(t, testinput.ZipMember{Name: "x.txt", Data: "x"})
	tgz := testinput.Gzip(t, mkTar(t, tarMember{name: "a.txt", data: string(logText(100000))}, tarMember{name: "deep.zip", data: string(deep)}, tarMember{name: "b.txt", data: "b"}))
	p := testinput.WriteFile(t, dir, "t.tgz", tgz)
	q := testinput.WriteFile(t, dir, "plain.txt", []byte("plain"))
	r := &recorder{onFile: func(e *Entry) error { return nil }}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := Walk(ctx, []string{p, q, "-"}, WalkOptions{Stdin: bytes.NewReader(testinput.Gzip(t, []byte("stdin")))}, r); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range r.entries {
		paths = append(paths, e.Path)
	}
	check(t, "paths", paths, []string{p + "!a.txt", p + "!deep.zip!x.txt", p + "!b.txt", q, "-"})
	check(t, "containers", r.containers, []ContainerInfo{
		{Path: p + "!deep.zip", Kind: "zip", Size: int64(len(deep)), SHA256: sha(deep), Entries: 1},
		{Path: p, Kind: "tar", Compression: "gzip", Size: int64(len(tgz)), SHA256: sha(tgz), Entries: 3},
	})
	for _, e := range r.entries {
		rec := readEntry(e)
		if e.Sequential {
			check(t, "late open", rec.Err, "open "+e.Path+": sequential entry opened after Visitor.File returned without opening it, or after Close")
		} else {
			check(t, "late open", rec, fileRec{Path: q, Name: q, Size: 5, Data: "plain"})
			check(t, "second open", readEntry(e).Err, "open "+q+": Open called twice")
		}
	}
}

func TestWalkCloseEarlyAndHandOver(t *testing.T) {
	dir := t.TempDir()
	big := logText(300000)
	tarData := mkTar(t, tarMember{name: "big.txt", data: string(big)}, tarMember{name: "big.txt.gz", data: string(testinput.Gzip(t, big))}, tarMember{name: "small.txt", data: "small one"})
	tp := testinput.WriteFile(t, dir, "a.tar", tarData)
	tgz := testinput.Gzip(t, tarData)
	gp := testinput.WriteFile(t, dir, "a.tgz", tgz)
	zipInTar := mkTar(t, tarMember{name: "in.zip", data: string(testinput.Zip(t, testinput.ZipMember{Name: "big.txt", Data: string(big)}, testinput.ZipMember{Name: "small.txt", Data: "small one"}))})
	zp := testinput.WriteFile(t, dir, "z.tar", zipInTar)

	// Read 10 bytes, close, on another goroutine, after File returned.
	var (
		mu  sync.Mutex
		got []string
	)
	r := &recorder{onFile: func(e *Entry) error {
		rc, err := e.Open()
		if err != nil {
			return err
		}
		go func() {
			time.Sleep(time.Millisecond)
			b := make([]byte, 10)
			n, _ := io.ReadFull(rc, b)
			mu.Lock()
			got = append(got, e.Path+": "+string(b[:n]))
			mu.Unlock()
			rc.Close()
		}()
		return nil
	}}
	if err := Walk(context.Background(), []string{tp, gp, zp, "-"}, WalkOptions{Stdin: bytes.NewReader(tgz), MemSpoolLimit: 1, TempDir: t.TempDir()}, r); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, c := range []string{tp, gp, "-"} {
		want = append(want, c+"!big.txt: "+string(big[:10]), c+"!big.txt.gz: "+string(big[:10]), c+"!small.txt: small one")
	}
	want = slicesInsert(want, 6, zp+"!in.zip!big.txt: "+string(big[:10]), zp+"!in.zip!small.txt: small one")
	check(t, "reads", got, want)
	check(t, "problems", len(r.problems), 0)
	check(t, "tgz container", r.containers[1], ContainerInfo{Path: gp, Kind: "tar", Compression: "gzip", Size: int64(len(tgz)), SHA256: sha(tgz), Entries: 3})
	check(t, "stdin container", r.containers[4], ContainerInfo{Path: "-", Kind: "tar", Compression: "gzip", Size: int64(len(tgz)), SHA256: sha(tgz), Entries: 3})
}

func slicesInsert(s []string, i int, v ...string) []string {
	return append(s[:i], append(v, s[i:]...)...)
}

func TestWalkVisitorError(t *testing.T) {
	dir := t.TempDir()
	p := testinput.WriteFile(t, dir, "a.tar", mkTar(t, tarMember{name: "1", data: "1"}, tarMember{name: "2", data: "2"}, tarMember{name: "3", data: "3"}))
	errStop := errors.New("stop here")
	calls := 0
	r := &recorder{onFile: func(e *Entry) error {
		calls++
		if calls == 2 {
			return errStop
		}
		return nil
	}}
	err := Walk(context.Background(), []string{p, p}, WalkOptions{}, r)
	check(t, "error", err, errStop)
	check(t, "calls", calls, 2)
	check(t, "containers", len(r.containers), 0)
}

func TestWalkCancel(t *testing.T) {
	dir := t.TempDir()
	tp := testinput.WriteFile(t, dir, "a.tgz", testinput.Gzip(t, mkTar(t, tarMember{name: "1", data: string(logText(100000))}, tarMember{name: "2", data: "2"})))
	zp := testinput.WriteFile(t, dir, "z.tar", mkTar(t, tarMember{name: "in.zip", data: string(testinput.Zip(t, testinput.ZipMember{Name: "a", Data: "a"}, testinput.ZipMember{Name: "b", Data: "b"}))}))

	t.Run("in File", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r := &recorder{onFile: func(e *Entry) error { cancel(); return nil }}
		err := Walk(ctx, []string{tp, tp}, WalkOptions{}, r)
		check(t, "error", err, context.Canceled)
		check(t, "entries", len(r.entries), 1)
		check(t, "problems", len(r.problems), 0)
	})
	t.Run("open sequential entry never closed", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var rc io.ReadCloser
		r := &recorder{onFile: func(e *Entry) error {
			var err error
			rc, err = e.Open()
			time.AfterFunc(20*time.Millisecond, cancel)
			return err
		}}
		start := time.Now()
		err := Walk(ctx, []string{tp}, WalkOptions{}, r)
		check(t, "error", err, context.Canceled)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v", d)
		}
		if _, err := io.ReadAll(rc); !errors.Is(err, context.Canceled) {
			t.Errorf("read after cancel: %v", err)
		}
		rc.Close()
	})
	t.Run("stdin blocked", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		pr, pw := io.Pipe()
		defer pw.Close()
		time.AfterFunc(20*time.Millisecond, cancel)
		err := Walk(ctx, []string{"-"}, WalkOptions{Stdin: pr}, &recorder{})
		check(t, "error", err, context.Canceled)
	})
	t.Run("spool removed", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		tmp := t.TempDir()
		r := &recorder{onFile: func(e *Entry) error { cancel(); return nil }}
		err := Walk(ctx, []string{zp}, WalkOptions{MemSpoolLimit: 1, TempDir: tmp}, r)
		check(t, "error", err, context.Canceled)
		check(t, "entries", len(r.entries), 1)
		left, _ := os.ReadDir(tmp)
		check(t, "left in TempDir", len(left), 0)
	})
	t.Run("before start", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r := &recorder{}
		check(t, "error", Walk(ctx, []string{tp}, WalkOptions{}, r), context.Canceled)
		check(t, "entries", len(r.entries), 0)
	})
}

func TestWalkTruncatedZip(t *testing.T) {
	dir := t.TempDir()
	big := logText(200000)
	data := testinput.Zip(t, testinput.ZipMember{Name: "a.txt", Data: "alpha\n"}, testinput.ZipMember{Name: "big.txt", Data: string(big)}, testinput.ZipMember{Name: "c.txt", Data: "c"})
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	off, _ := zr.File[1].DataOffset()
	cut := data[:off+int64(zr.File[1].CompressedSize64)/2]
	p := testinput.WriteFile(t, dir, "t.zip", cut)
	r := walk(t, []string{p, "-"}, WalkOptions{Stdin: bytes.NewReader(cut)})
	var files []fileRec
	var problems []problemRec
	var containers []ContainerInfo
	for _, src := range []string{p, "-"} {
		n := len(r.files[len(files)+1].Data)
		files = append(files,
			fileRec{Path: src + "!a.txt", Name: "a.txt", Container: src, Size: -1, Sequential: true, Data: "alpha\n"},
			fileRec{Path: src + "!big.txt", Name: "big.txt", Container: src, Size: -1, Sequential: true, Data: string(big[:n]),
				Err: fmt.Sprintf("read %s!big.txt at offset %d: deflate data broken at compressed offset %d (output offset %d): unexpected EOF", src, n, len(cut)-int(off), n)})
		problems = append(problems,
			problemRec{src, "zip: central directory unreadable (zip: not a valid zip file); reading members from their local headers"},
			problemRec{src, fmt.Sprintf(`zip: member "big.txt" broken at offset %d (its data starts at %d): deflate data broken at compressed offset %d (output offset %d): unexpected EOF`, len(cut), off, len(cut)-int(off), n)})
		containers = append(containers, ContainerInfo{Path: src, Kind: "zip", Size: int64(len(cut)), SHA256: sha(cut), Entries: 2})
	}
	check(t, "files", r.files, files)
	check(t, "problems", r.problems, problems)
	check(t, "containers", r.containers, containers)
	if n := len(r.files[1].Data); n < len(big)/4 {
		t.Errorf("only %d bytes of %d recovered", n, len(big))
	}
}

func TestWalkTruncatedZipStoredMember(t *testing.T) {
	// Sizes in the local header (no data descriptor), cut inside the member's data.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	text := "0123456789abcdefghij"
	fw, err := zw.CreateRaw(&zip.FileHeader{Name: "s.txt", Method: zip.Store, CRC32: crc32.ChecksumIEEE([]byte(text)),
		CompressedSize64: uint64(len(text)), UncompressedSize64: uint64(len(text))})
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(fw, text)
	zw.Close()
	cut := buf.Bytes()[:30+5+12] // header, name, 12 bytes of data
	p := testinput.WriteFile(t, t.TempDir(), "s.zip", cut)
	r := walk(t, []string{p}, WalkOptions{})
	check(t, "files", r.files, []fileRec{{Path: p + "!s.txt", Name: "s.txt", Container: p, Size: 20, Sequential: true, Data: text[:12],
		Err: "read " + p + "!s.txt at offset 12: zip: member data ends after 12 of its declared 20 bytes: unexpected EOF"}})
	check(t, "problems", r.problems, []problemRec{
		{p, "zip: central directory unreadable (zip: not a valid zip file); reading members from their local headers"},
		{p + "!s.txt", "zip: member data (20 bytes at offset 35) runs past the end of the archive (47 bytes)"},
		{p, `zip: member "s.txt" broken at offset 47 (its data starts at 35): zip: member data ends after 12 of its declared 20 bytes: unexpected EOF`},
	})
}

// A nested bomb (zips of zips of zips, as 42.zip): every leaf stays within its own limits, so
// only the budget of the whole input stops it — after about MaxRatio times the input's size,
// not after the 32 GiB its members claim.
func TestWalkNestedBombBudget(t *testing.T) {
	leaves := make([]testinput.ZipMember, 16)
	for i := range leaves {
		leaves[i] = testinput.ZipMember{Name: fmt.Sprintf("zeros-%02d.txt", i), Data: string(make([]byte, 8<<20))}
	}
	nest := func(name string, inner []byte) []byte {
		ms := make([]testinput.ZipMember, 16)
		for i := range ms {
			ms[i] = testinput.ZipMember{Name: fmt.Sprintf("%s-%02d.zip", name, i), Data: string(inner)}
		}
		return testinput.Zip(t, ms...)
	}
	bomb := nest("b", nest("a", testinput.Zip(t, leaves...))) // 16 × 16 × 16 leaves of 8 MiB
	p := testinput.WriteFile(t, t.TempDir(), "42.zip", bomb)
	const ratio = 2000 // above deflate's best, so that no single stream trips its own check
	r, n, errs := drainZeros(t, []string{p}, WalkOptions{MaxRatio: ratio})
	var total int64
	for _, b := range n {
		total += b
	}
	budget := max(int64(expansionGrace), ratio*int64(len(bomb)))
	if total > budget+int64(len(n))*(1<<20) || len(n) >= 16*16*16 {
		t.Errorf("%d leaves read, %d bytes in all: the budget of %d bytes did not hold", len(n), total, budget)
	}
	stopped := false
	for _, pr := range r.problems {
		if strings.Contains(pr.Err, "expand above 2000:1 in all") && strings.Contains(pr.Err, "the rest skipped") {
			stopped = true
		}
	}
	hit := false
	for _, e := range errs {
		hit = hit || strings.Contains(e, "limit exceeded: the contents of "+p+" expand above 2000:1 in all")
	}
	if !stopped || !hit {
		t.Errorf("no budget message (walk stopped %v, a read stopped %v): problems %+v", stopped, hit, r.problems)
	}
	t.Logf("%d-byte bomb: %d leaves read, %d MiB out, %d problems", len(bomb), len(n), total>>20, len(r.problems))
}
