package blob

// Reading Azure Blob Storage: the walker lists a container (prefix), prunes by date and by
// the incremental state, fetches blobs ahead in parallel, and hands each blob to the same code
// as a file on disk. A blob is a source.Stored whose bytes come from ranged GETs: it is sniffed
// by its magic bytes, compression layers are removed, zip and tar blobs are walked (a zip is
// spooled into memory or the walk's temporary folder, as a zip on stdin is) and leaves become
// Entries whose Path is the blob's URL without the query string. Leaves are non-sequential:
// a file worker opens the blob again (the prefetched head, then the rest streamed) while the
// walk goes on to the next blob.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/kudulens/kudulens/pipeline/source"
)

// blobInfo is a listed blob.
type blobInfo struct {
	name     string
	size     int64
	etag     azcore.ETag
	typ      string // BlockBlob | AppendBlob | PageBlob
	created  time.Time
	modified time.Time
}

func (b *blobInfo) isAppend() bool { return b.typ == string(blob.BlobTypeAppendBlob) }

// blobPlan is what the walk does with one listed blob.
type blobPlan struct {
	info  blobInfo
	path  string
	start int64        // first byte to download: 0, or for a tail where its saved hash state is
	skip  int64        // bytes after start that are only hashed: a tail's content starts at start+skip
	tail  *source.Tail // for a tail: how to parse it and where its lines start
	mark  *tailMark    // for a tail: the state it goes on from
	read  *blobRead    // incremental mode: the outcome, for the state
}

// blobWalk is the walk of one blob source.
type blobWalk struct {
	w    *source.Walker
	o    *Options
	src  *blobSource
	cred blobCred
	cc   *container.Client
}

// blobRemote reads the sources that are blob containers for the walk (source.Remote).
type blobRemote struct{ o *Options }

// NewRemote reads blob sources with o; nil reads them with the credential in the URL, if any.
func NewRemote(o *Options) source.Remote { return blobRemote{o} }

// Claims reports whether src is a blob source (see IsSource).
func (r blobRemote) Claims(src string) bool { return IsSource(src) }

// Walk walks one blob source. Failures of the whole source (credential refused, container
// not found, DNS) are reported as a Problem for the source; failures of one blob as a
// Problem for that blob, and the walk goes on.
func (r blobRemote) Walk(w *source.Walker, arg string) error {
	o := r.o.withDefaults()
	src, err := parseBlobSource(arg, o)
	if err != nil {
		return w.Problem(safeArg(arg), newBlobError(err, "%s", err.Error()))
	}
	cred, err := src.chooseCred(o)
	if err != nil {
		return w.Problem(src.display, newBlobError(err, "%s", err.Error()))
	}
	cc, err := src.containerClient(o, cred)
	if err != nil {
		return w.Problem(src.display, err)
	}
	bw := &blobWalk{w: w, o: o, src: src, cred: cred, cc: cc}
	st := o.State
	ls := bw.newLister(w.MaxEntries(), st != nil)
	first, ok, err := ls.next()
	if err != nil {
		return w.Problem(src.display, err)
	}
	if !ok {
		if src.prefix == "" {
			return w.Problem(src.display, fmt.Errorf("container %s is empty", src.container))
		}
		return w.Problem(src.display, fmt.Errorf("no blobs under %q in container %s (the prefix is a folder path, case-sensitive)", src.prefix, src.container))
	}
	// The listing is read page by page as the blobs are read, never held whole: a container
	// of millions of blobs (or a listing that never ends) costs a page of memory, and stops
	// at MaxEntries blobs.
	pending := &first
	var listErr error
	next := func() (*blobPlan, error) {
		for {
			var it blobInfo
			if pending != nil {
				it, pending = *pending, nil
			} else {
				var ok bool
				if it, ok, listErr = ls.next(); listErr != nil || !ok {
					return nil, nil
				}
			}
			if prunedByDate(it.name, o.Since, o.Until) {
				continue
			}
			p := &blobPlan{info: it, path: src.blobPath(it.name)}
			if st != nil {
				skip, err := st.planBlob(w.Context(), p, bw.rangeReader)
				if err != nil {
					return nil, err // cancelled
				}
				if skip {
					o.Progress.Unchanged.Add(1)
					continue
				}
			}
			o.Progress.Listed.Add(1)
			o.Progress.ListedBytes.Add(max(0, p.info.size-p.start))
			return p, nil
		}
	}
	if err := bw.read(next); err != nil {
		return err
	}
	if listErr != nil {
		return w.Problem(src.display, listErr)
	}
	if ls.cut {
		return w.Problem(src.display, fmt.Errorf("%w: more than %d blobs listed (MaxEntries); the rest were not read", source.ErrLimit, ls.max))
	}
	if st != nil && ls.done {
		st.forgetMissing(src, ls.present)
	}
	return nil
}

// blobLister lists the blobs of the source (folder semantics for the prefix), in name order,
// a page at a time.
type blobLister struct {
	bw      *blobWalk
	pager   *runtime.Pager[container.ListBlobsFlatResponse]
	folder  string
	page    []blobInfo
	listed  int
	max     int
	cut     bool            // stopped at max blobs
	done    bool            // the listing was read to its end
	present map[string]bool // blob paths listed, when the state needs them (forgetMissing)
}

func (bw *blobWalk) newLister(max int, keepNames bool) *blobLister {
	src := bw.src
	opts := &container.ListBlobsFlatOptions{Include: container.ListBlobsInclude{Metadata: true}}
	if src.prefix != "" {
		p := src.prefix
		opts.Prefix = &p
	}
	l := &blobLister{bw: bw, pager: bw.cc.NewListBlobsFlatPager(opts), folder: strings.TrimSuffix(src.prefix, "/") + "/", max: max}
	if keepNames {
		l.present = map[string]bool{}
	}
	return l
}

// next returns the next listed blob; false at the end of the listing or at max blobs.
func (l *blobLister) next() (blobInfo, bool, error) {
	src := l.bw.src
	for len(l.page) == 0 {
		if l.cut || l.done {
			return blobInfo{}, false, nil
		}
		if !l.pager.More() {
			l.done = true
			return blobInfo{}, false, nil
		}
		page, err := l.pager.NextPage(l.bw.w.Context())
		if err != nil {
			return blobInfo{}, false, describeBlobErr(src, l.bw.cred, "cannot list the blobs", err)
		}
		for _, it := range page.Segment.BlobItems {
			if it.Name == nil || it.Properties == nil {
				continue
			}
			name := *it.Name
			if src.prefix != "" && name != src.prefix && !strings.HasPrefix(name, l.folder) {
				continue
			}
			if isFolderBlob(it.Metadata) {
				continue
			}
			pr := it.Properties
			bi := blobInfo{name: name}
			if pr.ContentLength != nil {
				bi.size = *pr.ContentLength
			}
			if pr.ETag != nil {
				bi.etag = *pr.ETag
			}
			if pr.BlobType != nil {
				bi.typ = string(*pr.BlobType)
			}
			if pr.CreationTime != nil {
				bi.created = pr.CreationTime.UTC()
			}
			if pr.LastModified != nil {
				bi.modified = pr.LastModified.UTC()
			}
			l.page = append(l.page, bi)
		}
	}
	if l.listed >= l.max {
		l.cut, l.page = true, nil
		return blobInfo{}, false, nil
	}
	it := l.page[0]
	l.page = l.page[1:]
	l.listed++
	if l.present != nil {
		l.present[l.bw.src.blobPath(it.name)] = true
	}
	return it, true, nil
}

// isFolderBlob tells the directory entries of a hierarchical-namespace account (Data Lake
// Gen2) from blobs, by the metadata of a listing.
func isFolderBlob(md map[string]*string) bool {
	v := md["hdi_isfolder"]
	return v != nil && strings.EqualFold(*v, "true")
}

// appLogHour matches the hour folders of application-log blobs: .../<yyyy>/<MM>/<dd>/<HH>/<name>.applicationLog.csv.
var appLogHour = regexp.MustCompile(`(?i)(?:^|/)(\d{4})/(\d{2})/(\d{2})/(\d{2})/[^/]+\.applicationlog\.csv$`)

// blobHour returns the hour (UTC) an application-log blob covers, from its name.
func blobHour(name string) (time.Time, bool) {
	m := appLogHour.FindStringSubmatch(name)
	if m == nil {
		return time.Time{}, false
	}
	var v [4]int
	for i := range v {
		v[i], _ = strconv.Atoi(m[i+1])
	}
	t := time.Date(v[0], time.Month(v[1]), v[2], v[3], 0, 0, 0, time.UTC)
	if t.Year() != v[0] || int(t.Month()) != v[1] || t.Day() != v[2] || t.Hour() != v[3] {
		return time.Time{}, false // not a real date
	}
	return t, true
}

// dateSlack widens the hour of a blob: rows near the hour's edges may land in the neighbour.
const dateSlack = 5 * time.Minute

// prunedByDate reports whether an application-log blob's hour lies wholly outside [since, until].
func prunedByDate(name string, since, until time.Time) bool {
	if since.IsZero() && until.IsZero() {
		return false
	}
	h, ok := blobHour(name)
	if !ok {
		return false
	}
	if !since.IsZero() && h.Add(time.Hour+dateSlack).Before(since) {
		return true
	}
	return !until.IsZero() && h.Add(-dateSlack).After(until)
}

// blobClient returns the client of one blob.
func (bw *blobWalk) blobClient(name string) *blob.Client { return bw.cc.NewBlobClient(name) }

// reader returns a reader of bytes [off, end) of a planned blob.
func (bw *blobWalk) reader(ctx context.Context, p *blobPlan, off, end int64) *blobReader {
	r := &blobReader{ctx: ctx, bc: bw.blobClient(p.info.name), src: bw.src, cred: bw.cred, o: bw.o, off: off, end: end}
	if !p.info.isAppend() && p.info.etag != "" {
		// An overwritten block blob fails instead of mixing versions. Listings give the ETag
		// without the quotes HTTP wants in If-Match.
		etag := p.info.etag
		if !strings.HasPrefix(string(etag), `"`) {
			etag = azcore.ETag(`"` + string(etag) + `"`)
		}
		r.ifMatch = &etag
	}
	return r
}

// rangeReader is reader for the state's crash recovery, which reads already-committed pieces.
func (bw *blobWalk) rangeReader(p *blobPlan, off, end int64) *blobReader {
	return bw.reader(bw.w.Context(), p, off, end)
}

// prefetch is the head of a blob, fetched ahead.
type prefetch struct {
	head []byte
	err  error
	done chan struct{}
}

// read fetches the heads of the blobs next plans, Parallel at a time and at most 2×Parallel
// blobs ahead, and visits the blobs in order. next returns nil at the end.
func (bw *blobWalk) read(next func() (*blobPlan, error)) error {
	w, o := bw.w, bw.o
	ctx, cancel := context.WithCancel(w.Context())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	sem := make(chan struct{}, o.Parallel)
	type queued struct {
		p *blobPlan
		f *prefetch
	}
	var queue []queued
	ended := false
	fill := func() error {
		for !ended && len(queue) <= 2*o.Parallel {
			q, err := next()
			if err != nil {
				return err
			}
			if q == nil {
				ended = true
				break
			}
			f := &prefetch{done: make(chan struct{})}
			queue = append(queue, queued{q, f})
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer close(f.done)
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					f.err = ctx.Err()
					return
				}
				defer func() { <-sem }()
				f.head, f.err = bw.fetchHead(ctx, q)
			}()
		}
		return nil
	}
	failed := 0 // blobs in a row whose download failed for a reason not their own
	for {
		if err := fill(); err != nil {
			return err
		}
		if len(queue) == 0 {
			return nil
		}
		p, f := queue[0].p, queue[0].f
		queue[0] = queued{}
		queue = queue[1:]
		select {
		case <-f.done:
		case <-w.Context().Done():
			return w.Context().Err()
		}
		if f.err != nil {
			if err := w.Problem(p.path, f.err); err != nil {
				return err
			}
			if !blobOwnFault(f.err) {
				failed++
			}
			if failed >= maxFailsInARow {
				// The endpoint or the credential fails every blob: stop trying the rest
				// (each would cost all its retries) and say so once.
				cancel()
				left := len(queue)
				for !ended {
					q, err := next()
					if err != nil || q == nil {
						break
					}
					left++
				}
				return w.Problem(bw.src.display, fmt.Errorf("gave up after %d blobs in a row could not be downloaded; %d more blobs of this source were not tried (run again when the cause is fixed)", failed, left))
			}
			continue
		}
		failed = 0
		if err := bw.visit(p, f.head); err != nil {
			return err
		}
	}
}

// maxFailsInARow is how many blobs in a row may fail to download (network, credential)
// before the rest of the source is given up.
const maxFailsInARow = 3

// blobOwnFault reports whether a download failed because of the blob itself (deleted or
// changed after the listing, archived) rather than the endpoint or the credential.
func blobOwnFault(err error) bool {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return false
	}
	switch re.ErrorCode {
	case "BlobNotFound", "ConditionNotMet", "InvalidRange", "BlobArchived":
		return true
	}
	return re.StatusCode == 404 || re.StatusCode == 412 || re.StatusCode == 416
}

// fetchHead downloads the first PrefetchBytes of what is to be read of a blob.
func (bw *blobWalk) fetchHead(ctx context.Context, p *blobPlan) ([]byte, error) {
	n := min(int64(bw.o.PrefetchBytes), p.info.size-p.start)
	if n <= 0 {
		return nil, nil
	}
	r := bw.reader(ctx, p, p.start, p.start+n)
	defer r.Close()
	buf := make([]byte, n)
	if _, err := readFull(r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

func readFull(r *blobReader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			if n == len(buf) {
				break
			}
			return n, err
		}
	}
	return n, nil
}

// open returns the content of a planned blob from offset off: head (which starts there),
// then the rest.
func (bw *blobWalk) open(p *blobPlan, off int64, head []byte) *headReader {
	h := &headReader{head: head}
	if rest := off + int64(len(head)); rest < p.info.size {
		h.rest = bw.reader(bw.w.Context(), p, rest, p.info.size)
	}
	return h
}

// visit hands one blob to the walk: a tail as a text leaf, anything else as a node that is
// sniffed like a file on disk.
func (bw *blobWalk) visit(p *blobPlan, head []byte) error {
	w := bw.w
	bw.o.Progress.Started.Add(1)
	if p.tail != nil {
		// The head starts at the saved hash state; the tail, skip bytes later.
		ph, err := newPrefixHash(p.mark.Hash, p.mark.HashAt)
		if err != nil || int64(len(head)) <= p.skip {
			return w.Problem(p.path, errors.New("the state of this blob is unusable; remove it from the state file to read the blob again"))
		}
		ph.Write(head[:p.skip])
		p.tail.Hash = ph.current() // for loadFile's hash of the entry (in memory only)
		off := p.start + p.skip
		head = head[p.skip:]
		csv := p.tail.Class.Kind == source.KindAppLogCSV
		if p.info.isAppend() && p.info.size-off <= int64(len(head)) && !hasRecordEnd(head, csv) {
			return nil // only an unfinished last line is new: nothing to load yet
		}
		return w.Continued(p.path, p.info.name, p.info.size-off, p.info.modified, p.tail, func() io.ReadCloser {
			rr := newRecordReader(bw.open(p, off, head), csv, p.info.isAppend(), ph)
			p.read.setReader(rr)
			return rr
		})
	}
	var (
		cls      source.Classification
		tailable bool
	)
	if p.read != nil {
		cls, tailable = textLogClass(p.info.name, head)
		if p.info.isAppend() && p.info.size <= int64(len(head)) && !hasRecordEnd(head, tailable && cls.Kind == source.KindAppLogCSV) {
			return nil // an append blob without one whole line yet: read it when it has one
		}
	}
	raw := bw.open(p, 0, head)
	defer raw.Close()
	st := source.Stored{
		Path:    p.path,
		Name:    p.info.name,
		Size:    p.info.size,
		ModTime: p.info.modified,
		Body:    raw,
		Reopen: func() (io.ReadCloser, error) {
			rc := bw.open(p, 0, head)
			if !tailable {
				return rc, nil
			}
			rr := newRecordReader(rc, cls.Kind == source.KindAppLogCSV, p.info.isAppend(), nil)
			p.read.setReader(rr)
			return rr, nil
		},
	}
	if tailable {
		p.read.setText(cls, head)
	}
	if p.read != nil {
		st.Walked = p.read.setContainer // what becomes of a blob that is an archive
	}
	return w.Stored(st)
}

// hasRecordEnd reports whether b holds a record boundary (see recordReader).
func hasRecordEnd(b []byte, csv bool) bool {
	if !csv {
		return bytes.IndexByte(b, '\n') >= 0
	}
	in := false
	for _, c := range b {
		switch {
		case c == '"':
			in = !in
		case c == '\n' && !in:
			return true
		}
	}
	return false
}

// textLogClass tells whether a blob's head is a plain-text log that incremental runs can
// read in pieces (Kudu log, application-log CSV or text: UTF-8, LF line ends, not compressed),
// and its classification.
func textLogClass(name string, head []byte) (source.Classification, bool) {
	if !source.Plain(head) {
		return source.Classification{}, false
	}
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return source.Classification{}, false // UTF-16: a '\n' byte is not a line end
	}
	h := bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF})
	if s := h[:min(len(h), 4096)]; bytes.IndexByte(s, '\r') >= 0 && bytes.IndexByte(s, '\n') < 0 {
		return source.Classification{}, false // CR-only line ends
	}
	cls := source.Classify(name, h[:min(len(h), source.SniffLen)])
	switch cls.Kind {
	case source.KindKuduLog, source.KindAppLogCSV, source.KindAppLogText:
		return cls, true
	}
	return source.Classification{}, false
}
