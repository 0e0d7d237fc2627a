package outfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// leftovers lists what else is in dir: a failed or successful Write leaves no temporary file.
func leftovers(t *testing.T, dir string, keep ...string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
next:
	for _, e := range ents {
		for _, k := range keep {
			if e.Name() == k {
				continue next
			}
		}
		extra = append(extra, e.Name())
	}
	return extra
}

func TestWriteNewAndRegular(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "report.txt")
	if err := Write(path, []byte("one"), 0o640); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "one" {
		t.Fatalf("content %q", got)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("new file mode %v, want 0640", fi.Mode().Perm())
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "two" {
		t.Fatalf("content %q", got)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("replaced file mode %v, want the old 0600", fi.Mode().Perm())
	}
	if extra := leftovers(t, dir, "report.txt"); len(extra) > 0 {
		t.Errorf("left behind: %v", extra)
	}
}

// A symlink given as the output is written through; the link stays a link.
func TestWriteThroughSymlink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "real", "report.html")
	os.MkdirAll(filepath.Dir(target), 0o755)
	os.WriteFile(target, []byte("old"), 0o644)
	link := filepath.Join(dir, "latest.html")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := Write(link, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced (%v, %v)", fi.Mode(), err)
	}
	if got := readFile(t, target); got != "new" {
		t.Fatalf("target content %q, want new", got)
	}

	// A dangling link creates its target, as a shell's > does.
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "made.txt"), dangling)
	if err := Write(dangling, []byte("made"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(dangling); fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatal("the dangling symlink was replaced")
	}
	if got := readFile(t, filepath.Join(dir, "made.txt")); got != "made" {
		t.Fatalf("content %q", got)
	}
}

// A symlink planted at the old fixed temporary name (FILE.tmp) in a shared folder must not
// redirect the write to its target.
func TestWriteIgnoresPlantedTempLink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("precious"), 0o644)
	path := filepath.Join(dir, "report.txt")
	os.Symlink(victim, path+".tmp")
	if err := Write(path, []byte("report"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, victim); got != "precious" {
		t.Fatalf("the planted link's target was written: %q", got)
	}
	if got := readFile(t, path); got != "report" {
		t.Fatalf("content %q", got)
	}
}

// A FIFO is written to, not replaced by a regular file.
func TestWriteFIFO(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- "open: " + err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	if err := Write(fifo, []byte("through the pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through the pipe" {
		t.Fatalf("reader got %q", s)
	}
	if fi, _ := os.Lstat(fifo); fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO became %v", fi.Mode())
	}
	if extra := leftovers(t, dir, "pipe"); len(extra) > 0 {
		t.Errorf("left behind: %v", extra)
	}
}

// A character device of the test's own (a twin of /dev/null, major 1 minor 3) stays a device.
func TestWriteCharDevice(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dev := filepath.Join(dir, "null")
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Skipf("mknod needs CAP_MKNOD: %v", err)
	}
	for range 2 {
		if err := Write(dev, []byte(strings.Repeat("x", 1<<16)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Lstat(dev)
	if err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Fatalf("the device became %v (%v)", fi.Mode(), err)
	}
}

func TestWriteFolderIsAnError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	err := Write(dir, []byte("x"), 0o644)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("err = %v, want an error naming %s", err, dir)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		t.Fatalf("a folder is reported in our words, not as %v", pe)
	}
}
