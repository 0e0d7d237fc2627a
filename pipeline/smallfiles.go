package pipeline

import (
	"context"
	"errors"
	"io"

	"github.com/kudulens/kudulens/parse"
	"github.com/kudulens/kudulens/pipeline/source"
	"github.com/kudulens/kudulens/pipeline/store"
)

// smallFiles is the open group of one file worker (store.Group: small files loaded together
// in one transaction) with the parsers that fill it. A small file is read whole in the first
// 64 KiB and parsed on the worker, not by the parse workers.
type smallFiles struct {
	*store.Group
	in      *ingester
	parsers map[source.Kind]parse.Parser
}

func (in *ingester) newGroup() *smallFiles {
	return &smallFiles{Group: in.s.NewGroup(), in: in, parsers: newParsers()}
}

// parse parses the chunks of a small file (read whole) into the group's batch and returns the
// file's entry; its Stats are those of this file alone. The chunks' buffers go back to the pool.
func (g *smallFiles) parse(kind source.Kind, info *parse.FileInfo, ck *chunker) (*store.GroupFile, parse.Stats, error) {
	b := g.Batch()
	f := g.Open(kind)
	b.Stats, b.Site = parse.Stats{}, ""
	var readErr error
	for {
		c, err := ck.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = err
			}
			break
		}
		safeParse(g.parsers, kind, &parse.Chunk{Data: c.data, FirstLine: c.firstLine, Cut: c.cut, File: info}, b, g.in.o.NoRedact)
		g.in.bufs.put(c.buf)
	}
	if readErr != nil && ck.partial != nil {
		b.Rejects = append(b.Rejects, cutLineReject(ck.partial, ck.partialLine, g.in.o.NoRedact))
		b.Stats.Lines++
		b.Stats.Rejected++
	}
	g.End(f)
	return f, b.Stats, readErr
}

// notes returns the content notes of f (see fileNotes).
func (g *smallFiles) notes(f *store.GroupFile, st *parse.Stats, cut int64) []string {
	var fn fileNotes
	fn.cut = cut
	start, end := f.Traces()
	fn.seeRows(g.Batch(), start, end, f.Rejects(g.Batch()))
	return fn.notes(st)
}

// commit commits the group and records its files.
func (g *smallFiles) commit(ctx context.Context) error {
	return g.Commit(ctx, func(row store.FileRow, dup string) {
		g.in.record(FileResult{Row: row, Duplicate: dup})
	})
}
