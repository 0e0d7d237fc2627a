package pipeline

// TEMPORARY: plain files and directories only, until the source walker lands (branch source).

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

type Entry struct {
	Path, Name, Container, Compression string
	Size                               int64
	ModTime                            time.Time
	Sequential                         bool
	open                               func() (io.ReadCloser, error)
}

func (e *Entry) Open() (io.ReadCloser, error) { return e.open() }

type ContainerInfo struct {
	Path, Kind, Compression, SHA256 string
	Size                            int64
	Entries                         int
}

type Visitor interface {
	File(e *Entry) error
	Container(c ContainerInfo)
	Problem(path string, err error)
}

type WalkOptions struct {
	Stdin         io.Reader
	TempDir       string
	MemSpoolLimit int64
	MaxDepth      int
	MaxEntryBytes int64
	MaxRatio      int64
	MaxEntries    int
}

var ErrLimit = errors.New("limit exceeded")

func Walk(ctx context.Context, sources []string, opts WalkOptions, v Visitor) error {
	for _, src := range sources {
		err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				v.Problem(p, err)
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if d.IsDir() {
				return nil
			}
			info, _ := d.Info()
			return v.File(&Entry{Path: p, Name: filepath.ToSlash(p), Size: info.Size(), ModTime: info.ModTime(),
				open: func() (io.ReadCloser, error) { return os.Open(p) }})
		})
		if err != nil {
			return err
		}
	}
	return nil
}
