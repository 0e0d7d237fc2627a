package source

import (
	"context"
	"io"
	"time"
)

// Remote reads sources that are not paths on this machine: pipeline/blob reads Azure Blob
// Storage containers through it. Walk hands it every source it claims; the remote lists what
// the source holds and hands each stored object back to the walk (Walker.Stored,
// Walker.Continued), so that archives, compression layers and limits are dealt with exactly
// as for a file on disk.
type Remote interface {
	Claims(src string) bool
	Walk(w *Walker, src string) error
}

// MaxEntries is the walk's bound on members per archive; a remote source applies it to the
// objects it lists.
func (w *Walker) MaxEntries() int { return w.opts.MaxEntries }

// Context is the walk's context.
func (w *Walker) Context() context.Context { return w.ctx }

// Problem reports err for path to the visitor; it returns the context's error when the walk
// is cancelled (see Visitor.Problem).
func (w *Walker) Problem(path string, err error) error { return w.problem(path, err) }

// Stored is a remote object whose stored bytes the walk examines like a file on disk: sniffed
// by its magic bytes, compression layers removed, zip and tar walked, leaves handed to the
// visitor.
type Stored struct {
	Path, Name string // as Entry.Path and Entry.Name
	Size       int64  // stored size
	ModTime    time.Time
	Body       io.Reader // the stored bytes, read once by the walk
	// Reopen reads the stored bytes again for a leaf, independently of the walk; its leaves
	// are then non-sequential.
	Reopen func() (io.ReadCloser, error)
	// Walked, if set, is told the ContainerInfo of the object itself when it is an archive,
	// after its members were visited.
	Walked func(ContainerInfo)
}

// Stored walks one remote object.
func (w *Walker) Stored(s Stored) error {
	if s.Walked != nil {
		v := w.v
		w.v = &storedVisitor{Visitor: v, path: s.Path, walked: s.Walked}
		defer func() { w.v = v }()
	}
	size := s.Size
	n := &node{
		path:    s.Path,
		name:    s.Name,
		size:    s.Size,
		modTime: s.ModTime,
		raw:     ctxReader{w.ctx, s.Body},
		budget:  w.newExpansion(s.Path, func() int64 { return size }),
		reopen:  s.Reopen,
	}
	_, err := w.node(n)
	return err
}

// storedVisitor passes everything on and tells walked what became of a stored object that is
// an archive.
type storedVisitor struct {
	Visitor
	path   string
	walked func(ContainerInfo)
}

func (v *storedVisitor) Container(c ContainerInfo) {
	if c.Path == v.path {
		v.walked(c)
	}
	v.Visitor.Container(c)
}

// Continued hands the visitor a leaf that continues a text log loaded before (see Tail).
// open returns its content; errors then name path and the offset, and the content is cut at
// MaxEntryBytes, as for any other entry.
func (w *Walker) Continued(path, name string, size int64, modTime time.Time, t *Tail, open func() io.ReadCloser) error {
	e := &Entry{Path: path, Name: name, Size: size, ModTime: modTime, Tail: t}
	e.open = func() (io.ReadCloser, error) {
		r := open()
		return &leafReader{path: path, r: r, max: w.opts.MaxEntryBytes, onClose: func() { r.Close() }}, nil
	}
	return w.v.File(e)
}

// Plain reports whether head (the first bytes of a stream) is neither an archive nor a
// compressed stream, by magic bytes.
func Plain(head []byte) bool { return sniff(head[:min(len(head), magicSniffLen)]) == kindLeaf }

// WithContext returns a reader of r that fails with ctx's error once ctx is done.
func WithContext(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }
