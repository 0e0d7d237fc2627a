package source

// The source walker: command-line sources (files, directories, "-") in, leaf files out.
//
// A walk over `bundle.zip` holding `D:\home\data\jobs\continuous\AppInsightsImporter\job_log.txt`
// and `logs.tar.gz` holding `a/b.txt.gz` visits, in this order:
//
//	File      bundle.zip!D:/home/data/jobs/continuous/AppInsightsImporter/job_log.txt
//	File      bundle.zip!logs.tar.gz!a/b.txt.gz   (Compression "gzip", Sequential)
//	Container bundle.zip!logs.tar.gz              (Kind "tar", Compression "gzip")
//	Container bundle.zip                          (Kind "zip")
//
// Formats are recognised by their magic bytes only; file names are labels and are never used to
// decide anything, nor to write anything.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ErrLimit means that a size, ratio, depth or member-count limit of [WalkOptions] was hit.
// Errors reporting it wrap it, so test with errors.Is.
var ErrLimit = errors.New("limit exceeded")

// ErrNotRegular marks a Problem about an input that is skipped on purpose because it is not a
// regular file: a symlink or hard link (never followed), a device, a named pipe. Test with
// errors.Is; the message does not repeat it.
var ErrNotRegular = errors.New("not a regular file")

// notRegular returns an error with the given message that matches ErrNotRegular.
func notRegular(format string, args ...any) error {
	return notRegularError{fmt.Errorf(format, args...)}
}

type notRegularError struct{ err error }

func (e notRegularError) Error() string        { return e.err.Error() }
func (e notRegularError) Unwrap() error        { return e.err }
func (e notRegularError) Is(target error) bool { return target == ErrNotRegular }

// Entry is one regular file found in a source: a file on disk, an archive member, or stdin.
type Entry struct {
	// Path is the display path. Archive members are written "bundle.zip!data/jobs/continuous/X/job_log.txt",
	// nested ones "outer.zip!inner.tar.gz!a/b.txt"; stdin is "-" (or "-!member" inside an archive on stdin).
	Path string
	// Name is the entry's path inside its innermost container, or the disk path, with '/'
	// separators (zip names such as `D:\home\data\jobs\...` are normalised to '/').
	Name string
	// Container is the display path of the innermost archive holding the entry; "" for disk
	// files and stdin.
	Container string
	// Compression lists the compression layers removed around this leaf, outermost first,
	// joined by '+': "", "gzip", "zstd", "gzip+zstd". The compression method of a zip member
	// (deflate, zstd) is part of the zip format and is not listed.
	Compression string
	// Size is the stored size in bytes if known (disk size, tar member size, zip compressed
	// size), else -1.
	Size int64
	// ModTime is the modification time, zero if unknown.
	ModTime time.Time
	// Sequential is set when the entry can only be read while the walk waits for it (tar
	// streams, stdin, members of a zip that was spooled). See [Visitor].File.
	Sequential bool
	// Note says something worth telling about the entry that is not damage, e.g. that its
	// member name climbs out of the archive ("../"); "" if nothing.
	Note string

	open   func() (io.ReadCloser, error)
	gate   *gate      // sequential entries only
	opened atomicFlag // non-sequential entries: Open was called
	// Tail is set when the entry is the appended tail of a text log loaded before (a blob
	// read incrementally, see pipeline/blob); nil otherwise.
	Tail *Tail
	// contentSize is what Open will deliver, in bytes, when the walk can tell without reading
	// (a plain file on disk, a zip member by its header); 0 if unknown. Only a hint: it decides
	// whether hashing a file before parsing it is worth it (see pipeline's ingester.seenBefore).
	contentSize int64
}

// ContentSize is what Open will deliver, in bytes, when the walk could tell without reading
// (a plain file on disk, a zip member by its header); 0 if unknown. Only a hint.
func (e *Entry) ContentSize() int64 { return e.contentSize }

// Open returns the entry's content with every compression layer removed. Call it at most once.
//
// The reader delivers every byte before any damage it meets and then returns an error that
// names the entry and the offset, for example
//
//	read logs.tar.gz!a.txt at offset 40960: gzip data broken at compressed offset 5012 (output offset 45056): unexpected EOF
//
// More than MaxEntryBytes of content, or a decompression ratio above MaxRatio, ends the content
// with an error wrapping [ErrLimit]. These errors come only from the reader: the walker does not
// read leaves, so it does not report them through [Visitor].Problem.
func (e *Entry) Open() (io.ReadCloser, error) {
	if e.gate != nil {
		return e.gate.open(e)
	}
	if !e.opened.set() {
		return nil, fmt.Errorf("open %s: Open called twice", e.Path)
	}
	return e.open()
}

// Reread opens a non-sequential entry once more, independently of Open: for a look at the
// whole content before it is parsed.
func (e *Entry) Reread() (io.ReadCloser, error) {
	if e.gate != nil || e.open == nil {
		return nil, fmt.Errorf("open %s: a sequential entry cannot be read twice", e.Path)
	}
	return e.open()
}

// ContainerInfo describes an archive (zip or tar, possibly compressed) after all its members
// were visited. It is reported for damaged archives too, after the Problem that describes the
// damage.
type ContainerInfo struct {
	Path        string // display path
	Kind        string // "zip" | "tar"
	Compression string // as Entry.Compression; "gzip" for a .tar.gz
	// Size is the number of stored bytes: the archive file as it sits on disk, in its parent
	// archive (after the parent's own zip method is undone) or on stdin.
	Size int64
	// SHA256 is the hex SHA-256 of those Size bytes; "" if they could not be read to the end.
	SHA256 string
	// Entries counts the regular-file members processed: leaves handed to File and nested
	// archives (one each; their own members are not counted). Members skipped with a Problem
	// (encrypted, symlinks, over a limit) are not counted.
	Entries int
}

// Visitor receives what [Walk] finds. Walk calls its methods from the goroutine that called
// Walk, one at a time, and never after Walk returned.
type Visitor interface {
	// File is called once per leaf file. It may hand e to another goroutine and return at once.
	// When e.Sequential is true (tar streams, stdin, compressed streams that cannot be
	// re-read), the walker does not read on until the ReadCloser returned by e.Open is closed,
	// or until File returns without having called Open (a later Open then fails).
	// Non-sequential entries (disk files, members of a zip on disk, compressed files on disk)
	// may be opened concurrently with the walk and with each other, also after Walk returned.
	File(e *Entry) error // a non-nil error stops the walk and is returned by Walk
	Container(c ContainerInfo)
	// Problem reports an input that is damaged, refused or unreadable: a corrupt or truncated
	// archive, an encrypted zip member, a symlink in a tar, a nesting or size limit hit, an
	// unreadable directory. The walk goes on with the rest. path names the file (and member);
	// err says what happened and where (member name, byte offset when known), without
	// repeating path. Limits wrap ErrLimit.
	Problem(path string, err error)
}

// WalkOptions configures [Walk]. Zero values mean the documented defaults.
type WalkOptions struct {
	Stdin io.Reader // used for the source "-"
	// TempDir is where a nested zip (or a zip on stdin) is spooled when larger than
	// MemSpoolLimit; default os.TempDir(). Spool files are created in a private subfolder that
	// is removed before Walk returns. Member names are never used for file names.
	TempDir       string
	MemSpoolLimit int64 // default 64 MiB
	MaxDepth      int   // max nesting of archives and compression layers, default 8
	// MaxEntryBytes is the max number of decompressed bytes of one leaf or nested archive,
	// default 64 GiB. A leaf is cut there: its reader returns an error wrapping ErrLimit after
	// delivering the bytes up to the limit. A nested archive over it is reported as a Problem.
	MaxEntryBytes int64
	// MaxRatio is the max decompressed/compressed ratio of compressed data once past 1 MiB of
	// output, default 1000 (decompression bombs). Exceeding it ends the data with an error
	// wrapping ErrLimit that names the ratio.
	MaxRatio   int64
	MaxEntries int // max members per archive, default 1,000,000; the rest is skipped with a Problem
	// Remote reads the sources it claims (pipeline/blob: Azure Blob Storage URLs); nil reads
	// every source as a path.
	Remote Remote
}

const (
	defaultMemSpoolLimit = 64 << 20
	defaultMaxDepth      = 8
	defaultMaxEntryBytes = 64 << 30
	defaultMaxRatio      = 1000
	defaultMaxEntries    = 1_000_000

	// ratioGrace is the output below which MaxRatio is not checked.
	ratioGrace = 1 << 20
)

func (o *WalkOptions) setDefaults() {
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
	if o.MemSpoolLimit <= 0 {
		o.MemSpoolLimit = defaultMemSpoolLimit
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = defaultMaxDepth
	}
	if o.MaxEntryBytes <= 0 {
		o.MaxEntryBytes = defaultMaxEntryBytes
	}
	if o.MaxRatio <= 0 {
		o.MaxRatio = defaultMaxRatio
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = defaultMaxEntries
	}
}

// Walk visits every source in order. Sources are paths (file or directory, walked recursively
// in lexical order; symlinks inside are skipped with a Problem, never followed), "-" for opts.Stdin, or sources that
// opts.Remote claims (Azure Blob Storage containers, see pipeline/blob). A source path
// that is a symlink to a directory is followed; a source that is neither a regular file nor a
// directory (a named pipe, /dev/stdin) is read once, as a stream.
//
// Walk returns ctx.Err() if cancelled, the first error from v.File, or nil. Damaged or missing
// inputs are reported through v.Problem, never returned.
func Walk(ctx context.Context, sources []string, opts WalkOptions, v Visitor) error {
	opts.setDefaults()
	w := &Walker{ctx: ctx, opts: opts, v: v, codecs: newCodecs()}
	defer w.cleanup()
	for _, src := range sources {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		if src == "-" {
			err = w.stdin()
		} else if opts.Remote != nil && opts.Remote.Claims(src) {
			err = opts.Remote.Walk(w, src)
		} else {
			err = w.source(src)
		}
		if err != nil {
			return err
		}
	}
	// A read failing because of a late cancellation may have cut something short.
	return ctx.Err()
}

// walker holds the state of one Walk. Its methods run on Walk's goroutine; the only parts
// shared with readers on other goroutines are codecs (pools) and what each Entry captures.
type Walker struct {
	ctx    context.Context
	opts   WalkOptions
	v      Visitor
	codecs *codecs

	spoolDir string // private folder under opts.TempDir, created on first use
	// abandoned is set when Walk stops while a sequential entry may still be read by the
	// visitor: the readers it uses are then never recycled.
	abandoned bool
}

// problem reports err for path unless the walk is cancelled, in which case it returns the
// context's error for the caller to stop with (a read failing because of the cancellation is
// not damage).
func (w *Walker) problem(path string, err error) error {
	if cerr := w.ctx.Err(); cerr != nil {
		return cerr
	}
	w.v.Problem(path, err)
	return nil
}

func (w *Walker) cleanup() {
	if w.spoolDir != "" {
		os.RemoveAll(w.spoolDir)
	}
}

// stdin walks opts.Stdin as the source "-".
func (w *Walker) stdin() error {
	if w.opts.Stdin == nil {
		return w.problem("-", errors.New("source \"-\" given but no stdin reader"))
	}
	cr := newCancelReader(w.ctx, w.opts.Stdin)
	defer cr.stop()
	in := &streamCount{r: cr}
	_, err := w.node(&node{path: "-", name: "-", size: -1, raw: in, budget: w.newExpansion("-", in.count)})
	return err
}

// source walks one command-line path. The user named it, so a symlink is followed here (and
// only here: inside a folder, symlinks are skipped).
func (w *Walker) source(src string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return w.problem(src, err)
	}
	switch {
	case fi.IsDir():
		root := src
		if li, err := os.Lstat(src); err == nil && li.Mode()&fs.ModeSymlink != 0 {
			// A trailing separator makes WalkDir follow the symlink the user named.
			root = src + string(filepath.Separator)
		}
		return w.dir(root)
	case fi.Mode().IsRegular():
		return w.file(src, true)
	default:
		// A named pipe or a device the user named (/dev/stdin, <(zcat x)): read once, as a
		// stream. Opening a pipe waits for its writer and a read waits for data; neither may
		// keep a cancelled run waiting, so both happen where cancellation can leave them.
		f, err := w.openCancellable(src)
		if err != nil {
			return w.problem(src, err)
		}
		defer f.Close()
		cr := newCancelReader(w.ctx, f)
		defer cr.stop()
		in := &streamCount{r: cr}
		_, err = w.node(&node{path: src, name: filepath.ToSlash(src), size: -1, modTime: fi.ModTime(), raw: in, budget: w.newExpansion(src, in.count)})
		return err
	}
}

// openCancellable opens path (a named pipe may block in open until a writer appears) and gives
// up when the walk is cancelled; a late open is then closed.
func (w *Walker) openCancellable(path string) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		return o.f, o.err
	case <-w.ctx.Done():
		go func() {
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, w.ctx.Err()
	}
}

// dir walks a directory tree in lexical order.
func (w *Walker) dir(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if cerr := w.ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			// An unreadable directory (or root): report and go on with the rest.
			return w.problem(path, err)
		}
		switch typ := d.Type(); {
		case typ.IsDir():
			if path == w.spoolDir {
				return filepath.SkipDir // our own spool files
			}
			return nil
		case typ&fs.ModeSymlink != 0:
			// Never followed: a bundle unpacked with tar can point job_log.txt at another
			// customer's logs, ~/.netrc or /etc/passwd. Only a symlink named on the command line
			// is followed (see source).
			target, err := os.Readlink(path)
			if err != nil {
				return w.problem(path, notRegular("symlink skipped: %w", err))
			}
			if fi, err := os.Stat(path); err == nil && fi.IsDir() {
				return w.problem(path, notRegular("symlink to directory %s not followed", target))
			}
			return w.problem(path, notRegular("symlink to %s skipped", target))
		case typ.IsRegular():
			return w.file(path, false)
		default:
			return w.problem(path, notRegular("%s skipped", fileKind(typ)))
		}
	})
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeIrregular != 0:
		return "irregular file"
	}
	return "non-regular file"
}

// file walks one regular file on disk. follow is set for a path the user named (a symlink to
// a file is then read); a file found in a folder is opened without following a symlink.
func (w *Walker) file(path string, follow bool) error {
	f, fi, err := openRegular(path, follow)
	if err != nil {
		return w.problem(path, err)
	}
	defer f.Close()
	n := &node{
		path:    path,
		name:    filepath.ToSlash(path),
		size:    fi.Size(),
		usize:   fi.Size(),
		modTime: fi.ModTime(),
		raw:     ctxReader{w.ctx, f},
		reopen: func() (io.ReadCloser, error) {
			g, gi, err := openRegular(path, follow)
			if err != nil {
				return nil, err
			}
			if !os.SameFile(fi, gi) {
				g.Close()
				return nil, fmt.Errorf("replaced by another file since it was first read")
			}
			return g, nil
		},
		disk:   &diskFile{path: path, info: fi},
		budget: w.newExpansion(path, func() int64 { return fi.Size() }),
	}
	_, err = w.node(n)
	return err
}

// openRegular opens path for reading if it is a regular file, and only then: the mode is
// checked on the open file, so a file swapped for a named pipe, a device or (unless follow) a
// symlink after the folder was listed is refused, not read. The open itself does not block on
// a named pipe (O_NONBLOCK) nor follow a last symlink unless follow is set (O_NOFOLLOW).
func openRegular(path string, follow bool) (*os.File, fs.FileInfo, error) {
	flags := os.O_RDONLY | nonBlockFlag
	if !follow {
		flags |= noFollowFlag
	}
	f, err := os.OpenFile(path, flags, 0)
	if err != nil {
		if li, lerr := os.Lstat(path); !follow && lerr == nil && li.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(path)
			return nil, nil, notRegular("symlink to %s skipped", target)
		}
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, notRegular("%s skipped", fileKind(fi.Mode()))
	}
	return f, fi, nil
}
