// Package outfile writes the files a user names on the command line (--out, --reports,
// --state) without replacing what is not a file of ours to replace.
//
// A report written with a plain "write FILE.tmp, rename over FILE" turns --out /dev/null into a
// regular file (every later program that opens /dev/null then misbehaves), replaces a symlink
// instead of writing through it, and follows a symlink that someone planted at the fixed
// temporary name in a shared folder. Write does none of that.
package outfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write writes data to path:
//   - a regular file, or a path that does not exist yet, is replaced atomically: the data goes
//     to a temporary file created exclusively (O_EXCL, random name) in the same folder, is
//     synced and renamed over path, so a crash leaves the old or the new content, never a mix;
//     an existing file keeps its permission bits, a new one gets perm;
//   - a symlink is written through: its target is replaced as above when it is a regular file
//     (the link stays a link), or written to in place otherwise;
//   - anything else that exists (a FIFO, a character device such as /dev/null, a terminal) is
//     opened and written to as it is, never replaced;
//   - a folder is an error.
func Write(path string, data []byte, perm fs.FileMode) error {
	if err := write(path, data, perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func write(path string, data []byte, perm fs.FileMode) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return replace(path, data, perm)
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := filepath.EvalSymlinks(path)
		if err != nil {
			// A dangling link: writing through it creates its target, as a shell's > does.
			return writeInPlace(path, data, os.O_CREATE|os.O_TRUNC, perm)
		}
		return write(target, data, perm)
	case fi.IsDir():
		return errors.New("is a folder")
	case fi.Mode().IsRegular():
		return replace(path, data, fi.Mode().Perm())
	default:
		return writeInPlace(path, data, 0, 0)
	}
}

// replace writes data to a new temporary file beside path and renames it over path.
func replace(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	// The rename is durable once the folder is synced; a folder that cannot be opened or
	// synced (some network file systems) still holds the new file.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// writeInPlace opens path (following links) and writes data to it.
func writeInPlace(path string, data []byte, flags int, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|flags, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
