package source

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
)

// walkTar streams the tar archive of n from r. Members are visited at the given depth. It
// returns the number of members processed, whether the archive ended properly, and an error
// only to stop the walk.
func (w *Walker) walkTar(n *node, r io.Reader, depth int) (entries int, complete bool, err error) {
	cr := &countReader{r: r}
	tr := tar.NewReader(cr)
	var (
		members int
		last    string // name of the last member, for messages
		dataEnd int64  // where the last member's data (and padding) ends
		sparse  bool   // the last member was sparse: dataEnd is unknown
	)
	for {
		if err := w.ctx.Err(); err != nil {
			return entries, false, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			if last != "" && !sparse && cr.n == dataEnd {
				// archive/tar takes a clean end of input for the end of the archive; real tar
				// files end with zero blocks.
				err := fmt.Errorf("tar: input ends after member %q (offset %d) without the end-of-archive blocks: truncated?", last, cr.n)
				return entries, true, w.problem(n.path, err)
			}
			return entries, true, nil
		}
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			where := "at the start"
			if last != "" {
				where = fmt.Sprintf("after member %q", last)
			}
			off := cr.n
			if errors.Is(err, tar.ErrHeader) && off >= 512 {
				off -= 512 // the header block just read
			}
			return entries, false, w.problem(n.path, fmt.Errorf("tar: broken %s, at offset %d: %w", where, off, err))
		}
		members++
		if members > w.opts.MaxEntries {
			err := fmt.Errorf("%w: more than %d members (MaxEntries), the rest skipped", ErrLimit, w.opts.MaxEntries)
			return entries, false, w.problem(n.path, err)
		}
		if err := n.budget.member(); err != nil {
			return entries, false, w.problem(n.path, err)
		}
		name := normName(hdr.Name)
		last = name
		dataEnd = cr.n + (hdr.Size+511)&^511
		sparse = hdr.Typeflag == tar.TypeGNUSparse || hdr.PAXRecords["GNU.sparse.major"] != "" || hdr.PAXRecords["GNU.sparse.map"] != ""
		path := n.path + "!" + name
		var skip error
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeCont, tar.TypeGNUSparse:
		case tar.TypeDir, tar.TypeXGlobalHeader:
			continue
		case tar.TypeSymlink:
			skip = notRegular("symlink to %s skipped", hdr.Linkname)
		case tar.TypeLink:
			skip = notRegular("hard link to %s skipped", hdr.Linkname)
		case tar.TypeChar, tar.TypeBlock:
			skip = notRegular("device file skipped")
		case tar.TypeFifo:
			skip = notRegular("named pipe skipped")
		default:
			skip = notRegular("tar member of unknown type %q skipped", hdr.Typeflag)
		}
		if skip != nil {
			if err := w.problem(path, skip); err != nil {
				return entries, false, err
			}
			continue
		}
		visited, err := w.node(&node{
			path:      path,
			name:      name,
			container: n.path,
			size:      hdr.Size,
			modTime:   hdr.ModTime,
			depth:     depth,
			raw:       tr,
			budget:    n.budget,
		})
		if err != nil {
			return entries, false, err
		}
		if visited {
			entries++
		}
	}
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
