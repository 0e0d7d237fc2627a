package pipeline

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kudulens/kudulens/parse"
	"github.com/kudulens/kudulens/pipeline/blob"
	"github.com/kudulens/kudulens/pipeline/source"
	"github.com/kudulens/kudulens/pipeline/store"
)

// Options configure Ingest. Zero values mean the documented defaults.
type Options struct {
	Walk source.WalkOptions
	// Blob configures sources that are Azure Blob Storage URLs (https://, http://, az://); nil
	// reads them with the credential in the URL, if any.
	Blob         *blob.Options
	ParseWorkers int  // goroutines parsing chunks; default GOMAXPROCS
	FileWorkers  int  // files loaded at once, each in its own transaction; default 2
	ChunkSize    int  // bytes per parse chunk; default 4 MiB
	MaxLine      int  // longer lines are cut to this many bytes and flagged truncated; default 1 MiB
	MaxMessage   int  // a multi-line record's message is cut after this many bytes; default 1 MiB
	NoMerge      bool // skip merging copies of lines across files (for measuring)
	NoRedact     bool // keep secrets in what is stored (parse.Redact); off by default
	// LoadLanes is how many connections load the batches of one large file at once, each in
	// a transaction of its own (store.FileTx.AddLane); default GOMAXPROCS, at most 2.
	LoadLanes int

	noGroup bool // every file in its own transaction (tests compare with grouped small files)
}

const (
	defaultChunkSize = 4 << 20
	defaultMaxLine   = 1 << 20
)

func (o *Options) setDefaults() {
	if o.Walk.Remote == nil {
		o.Walk.Remote = blob.NewRemote(o.Blob)
	}
	if o.ParseWorkers <= 0 {
		o.ParseWorkers = runtime.GOMAXPROCS(0)
	}
	if o.FileWorkers <= 0 {
		o.FileWorkers = 2
	}
	if o.LoadLanes <= 0 {
		o.LoadLanes = min(runtime.GOMAXPROCS(0), 2)
	}
	if o.ChunkSize <= 0 {
		o.ChunkSize = defaultChunkSize
	}
	if o.MaxLine <= 0 {
		o.MaxLine = defaultMaxLine
	}
	if o.MaxMessage <= 0 {
		o.MaxMessage = parse.DefaultMaxMessage
	}
}

// Progress counts work done so far; Ingest updates it atomically while it runs.
type Progress struct {
	Files atomic.Int64 // files finished
	Bytes atomic.Int64 // content bytes read
	Lines atomic.Int64
}

// FileResult is what happened to one file.
type FileResult struct {
	Row       store.FileRow
	Duplicate string // the path the same content was ingested from before ("" if new)
}

// Summary is the outcome of an ingest run.
type Summary struct {
	Files    []FileResult
	Merge    store.MergeStats
	Elapsed  time.Duration
	Canceled bool
}

// readKept takes the files' counts after merging (rows kept, lines merged) from the database
// into the summary, so that ingest reports what diagnose and export will.
func (s *Summary) readKept(ctx context.Context, st *store.Store) error {
	var ids []int32
	for _, f := range s.Files {
		if f.Duplicate == "" && f.Row.ID != 0 {
			ids = append(ids, f.Row.ID)
		}
	}
	kept, err := st.FileCounts(ctx, ids)
	if err != nil {
		return err
	}
	for i := range s.Files {
		r := &s.Files[i].Row
		if k, ok := kept[r.ID]; ok && s.Files[i].Duplicate == "" {
			r.Merged, r.Traces, r.Exceptions, r.Events = k.Merged, k.Traces, k.Exceptions, k.Events
		}
	}
	return nil
}

// Failed reports whether some input could not be read completely (exit code 3).
func (s *Summary) Failed() bool {
	for _, f := range s.Files {
		if f.Row.Status == "failed" || f.Row.Status == "partial" {
			return true
		}
	}
	return false
}

// BlobOutcomes are the outcomes of the run's files as the incremental state of blob sources
// records them (blob.State.Save); none for a nil summary.
func (s *Summary) BlobOutcomes() []blob.Outcome {
	if s == nil {
		return nil
	}
	out := make([]blob.Outcome, len(s.Files))
	for i, f := range s.Files {
		out[i] = blob.Outcome{Path: f.Row.Path, Status: f.Row.Status, Kind: f.Row.Kind, SHA256: f.Row.SHA256,
			Lines: f.Row.Stats.Lines, Duplicate: f.Duplicate}
	}
	return out
}

// Ingest reads every source into the store. Inputs that are damaged or of no known kind are
// recorded (files.status, files.error) and the run goes on; the returned error is for the run
// itself (database failure, cancellation).
func Ingest(ctx context.Context, s *store.Store, sources []string, o Options, prog *Progress) (*Summary, error) {
	sum, err := ingest(ctx, s, sources, o, prog)
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		// A DuckDB statement cut short by the cancel (the merge, the counts) fails with its
		// own error, not the context's: the run was still interrupted, and its summary and
		// exit code say so (the summary read "read 4.1 MB in 0.35 s" and exit 130).
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	if sum != nil && errors.Is(err, context.Canceled) {
		sum.Canceled = true
	}
	return sum, err
}

func ingest(ctx context.Context, s *store.Store, sources []string, o Options, prog *Progress) (*Summary, error) {
	o.setDefaults()
	if prog == nil {
		prog = &Progress{}
	}
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	in := &ingester{s: s, o: o, prog: prog, ctx: ctx, cancel: cancel,
		jobs:    make(chan *parseJob, o.ParseWorkers),
		entries: make(chan fileJob),
		bufs:    newBufPool(o.ChunkSize+o.MaxLine+4096, 4*o.ParseWorkers+2*o.FileWorkers),
	}
	in.batches = sync.Pool{New: func() any { return parse.NewBatch(o.ChunkSize / 64) }}
	if err := s.LoadThreads(ctx, true); err != nil {
		return nil, err
	}
	defer s.LoadThreads(context.Background(), false)

	var parsers sync.WaitGroup
	for i := 0; i < o.ParseWorkers; i++ {
		parsers.Add(1)
		go func() { defer parsers.Done(); in.parseLoop() }()
	}
	var loaders sync.WaitGroup
	for i := 0; i < o.FileWorkers; i++ {
		loaders.Add(1)
		go func() { defer loaders.Done(); in.fileLoop() }()
	}

	walkErr := source.Walk(ctx, sources, o.Walk, in)
	close(in.entries)
	loaders.Wait()
	close(in.jobs)
	parsers.Wait()

	sum := &Summary{Files: in.results}
	if err := in.firstErr(); err != nil {
		return sum, err
	}
	if walkErr != nil {
		return sum, walkErr
	}
	// Containers are recorded last: a container row means all its members are in. The
	// problems of a damaged archive are told on its row (status partial); other problems
	// (an input that could not be opened at all) get a failed row of their own.
	damage := map[string][]string{}
	for _, c := range in.containers {
		damage[in.pathText(c.Path)] = nil
	}
	for _, p := range in.problems {
		if msgs, ok := damage[p.Path]; ok && p.Status == "failed" {
			damage[p.Path] = append(msgs, p.Error)
			continue
		}
		dup, err := s.InsertStandalone(ctx, p, nil)
		if err != nil {
			return sum, err
		}
		in.record(FileResult{Row: *p, Duplicate: dup})
	}
	for _, c := range in.containers {
		row := &store.FileRow{ID: s.NewFileID(), Path: in.pathText(c.Path), Kind: source.Kind(c.Kind), Compression: c.Compression,
			Bytes: c.Size, SHA256: c.SHA256, Status: "ok"}
		if msgs := damage[row.Path]; len(msgs) > 0 {
			row.Status, row.Error = "partial", strings.Join(msgs, "; ")
		}
		note := in.emptyNote(row.Path)
		if note != "" {
			row.Error = strings.TrimPrefix(row.Error+"; "+note, "; ")
		}
		dup, err := s.InsertStandalone(ctx, row, nil)
		if err != nil {
			return sum, err
		}
		if row.Status != "ok" || note != "" {
			in.record(FileResult{Row: *row, Duplicate: dup})
		}
	}
	sum.Files = in.results
	if err := s.LoadThreads(ctx, false); err != nil {
		return sum, err
	}
	// A lean load's rows (store.Options.Lean) are in: traces becomes their view when Merge has
	// nothing to do, else they go back into traces for Merge.
	lean, err := s.FinishLean(ctx)
	if err != nil {
		return sum, err
	}
	if !o.NoMerge {
		if !lean {
			ms, err := s.Merge(ctx)
			if err != nil {
				return sum, fmt.Errorf("merge: %w", err)
			}
			sum.Merge = ms
		}
		if err := s.CountKept(ctx); err != nil {
			return sum, err
		}
		if err := sum.readKept(ctx, s); err != nil {
			return sum, err
		}
	}
	sort.SliceStable(sum.Files, func(i, j int) bool { return sum.Files[i].Row.Path < sum.Files[j].Row.Path })
	sum.Elapsed = time.Since(start)
	return sum, nil
}

type ingester struct {
	s      *store.Store
	o      Options
	prog   *Progress
	ctx    context.Context
	cancel context.CancelFunc

	entries chan fileJob
	jobs    chan *parseJob
	bufs    *bufPool
	batches sync.Pool

	mu         sync.Mutex
	results    []FileResult
	containers []source.ContainerInfo
	problems   []*store.FileRow // recorded when the walk is over (see Ingest)
	// empties counts, per archive (display path), its empty members of no known kind: they
	// get no row each, but a note on the archive's row (see noteEmptyMember).
	empties map[string]*emptyMembers
	err     error
}

func (in *ingester) fail(err error) {
	in.mu.Lock()
	if in.err == nil {
		in.err = err
	}
	in.mu.Unlock()
	in.cancel()
}

func (in *ingester) firstErr() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.err
}

func (in *ingester) record(r FileResult) {
	in.mu.Lock()
	in.results = append(in.results, r)
	in.mu.Unlock()
	in.prog.Files.Add(1)
}

// fileJob is an entry handed to a file worker. For a sequential entry (a tar member, stdin)
// opened is closed once the worker has opened it: the walker must not read on before that.
type fileJob struct {
	e      *source.Entry
	opened chan struct{}
}

// File implements Visitor: it hands the entry to a file worker. A sequential entry must be
// opened before File returns (Visitor contract), so File waits for the worker to open it; the
// walker then waits for its Close by itself.
func (in *ingester) File(e *source.Entry) error {
	job := fileJob{e: e}
	if e.Sequential {
		job.opened = make(chan struct{})
	}
	select {
	case in.entries <- job:
	case <-in.ctx.Done():
		return in.ctx.Err()
	}
	if job.opened != nil {
		select {
		case <-job.opened:
		case <-in.ctx.Done():
			return in.ctx.Err()
		}
	}
	return nil
}

// Container implements Visitor.
func (in *ingester) Container(c source.ContainerInfo) {
	in.mu.Lock()
	in.containers = append(in.containers, c)
	in.mu.Unlock()
}

// emptyMembers counts the empty members of no known kind of one archive.
type emptyMembers struct {
	n      int64
	sample []string // the first few, by member name
}

// emptySample is how many empty members an archive's note names.
const emptySample = 5

// noteEmptyMember counts an empty archive member of no known kind instead of giving it a
// files row: a 6 MB tar.gz of a million empty members cost a row, 0.7 ms of CPU and 3.8 KB of
// memory each (issue 18). The archive's row says how many there were and names a few.
func (in *ingester) noteEmptyMember(container, path string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.empties == nil {
		in.empties = map[string]*emptyMembers{}
	}
	em := in.empties[container]
	if em == nil {
		em = &emptyMembers{}
		in.empties[container] = em
	}
	em.n++
	// The sample is the first names in name order, whatever order the members arrive in
	// (concurrent readers): the note is the same on every run.
	name := strings.TrimPrefix(path, container+"!")
	i, _ := slices.BinarySearch(em.sample, name)
	if i < emptySample {
		em.sample = slices.Insert(em.sample, i, name)
		if len(em.sample) > emptySample {
			em.sample = em.sample[:emptySample]
		}
	}
}

// emptyNote is the note on an archive's row about its empty members; "" if none.
func (in *ingester) emptyNote(container string) string {
	em := in.empties[container]
	if em == nil {
		return ""
	}
	names := make([]string, len(em.sample))
	for i, n := range em.sample {
		names[i] = strconv.Quote(n)
	}
	more := ""
	if em.n > int64(len(names)) {
		more = ", …"
	}
	return fmt.Sprintf("%d empty %s of no known kind, not listed one by one (%s%s)", em.n, plural(em.n, "member", "members"), strings.Join(names, ", "), more)
}

// Problem implements Visitor: a damaged or refused input is recorded as a failed file; one
// skipped on purpose (a symlink, a device) as skipped.
func (in *ingester) Problem(path string, err error) {
	row := &store.FileRow{ID: in.s.NewFileID(), Path: in.pathText(path), Kind: source.KindUnknown, Status: "failed", Error: describe(err)}
	if errors.Is(err, source.ErrNotRegular) {
		row.Status = "skipped"
	}
	in.redactError(row)
	in.mu.Lock()
	in.problems = append(in.problems, row)
	in.mu.Unlock()
}

// parseJob is one chunk to parse; the parsed batch goes to results.
type parseJob struct {
	kind    source.Kind
	chunk   *chunk
	info    *parse.FileInfo
	results chan<- *parse.Batch
	done    func()
}

// parseLoop runs on each parse worker, with parsers of its own.
func (in *ingester) parseLoop() {
	parsers := newParsers()
	for j := range in.jobs {
		b := in.batches.Get().(*parse.Batch)
		b.Reset()
		safeParse(parsers, j.kind, &parse.Chunk{Data: j.chunk.data, FirstLine: j.chunk.firstLine, Cut: j.chunk.cut, File: j.info}, b, in.o.NoRedact)
		in.bufs.put(j.chunk.buf)
		j.results <- b
		j.done()
	}
}

// fileLoop runs on each file worker: one file at a time, each in its own transaction, or,
// for small files, in the worker's group (see smallFiles).
func (in *ingester) fileLoop() {
	g := in.newGroup()
	idle := time.NewTimer(time.Hour)
	idle.Stop()
	failed := false
	for {
		var job fileJob
		var more bool
		if g.Empty() {
			job, more = <-in.entries
		} else {
			idle.Reset(max(time.Until(g.CommitBy()), time.Millisecond))
			select {
			case job, more = <-in.entries:
				idle.Stop()
			case <-idle.C:
				// Nothing came for a while: commit what the group holds.
				if err := g.commit(in.ctx); err != nil && in.ctx.Err() == nil {
					in.fail(err)
				}
				continue
			}
		}
		if !more {
			break
		}
		if in.ctx.Err() != nil || failed {
			if job.opened != nil {
				close(job.opened)
			}
			continue // drain; the walk stops
		}
		res, err := in.loadFile(job, g)
		if err == nil && g.Full() {
			err = g.commit(in.ctx)
		}
		if err != nil {
			failed = true
			if in.ctx.Err() == nil {
				in.fail(err)
			}
			continue
		}
		if res != nil {
			in.record(*res)
		}
	}
	if !failed && in.ctx.Err() == nil {
		if err := g.commit(in.ctx); err != nil && in.ctx.Err() == nil {
			in.fail(err)
		}
	} else {
		g.Abandon()
	}
}

// loadFile reads, classifies, parses and loads one file. A returned error is fatal for the
// run (database failure); problems with the file itself are in the result. A small file goes
// into g (nil result): it is recorded when g is committed.
func (in *ingester) loadFile(job fileJob, g *smallFiles) (*FileResult, error) {
	e := job.e
	row := &store.FileRow{ID: in.s.NewFileID(), Path: in.pathText(e.Path), Container: in.pathText(e.Container), Compression: e.Compression, Bytes: e.Size, Modified: e.ModTime}
	rc, err := e.Open()
	if job.opened != nil {
		close(job.opened)
	}
	if err != nil {
		row.Kind, row.Status, row.Error = source.KindUnknown, "failed", err.Error()
		return in.standalone(row, nil, nil)
	}
	defer rc.Close()
	// An archive member that is empty by its header (a tar member of size 0) and of no known
	// kind by its name costs a count, not the buffers, hashing and row of a file.
	if e.Container != "" && e.Size == 0 && e.Compression == "" {
		if cls := e.Classify(nil); cls.Kind == source.KindUnknown {
			in.noteEmptyMember(row.Container, row.Path)
			return nil, nil
		}
	}
	cr := source.NewAsyncHashReader(rc, &in.prog.Bytes, e.ContentHash())
	defer cr.Stop()
	text, note := source.TextReader(bufio.NewReaderSize(cr, 64<<10))
	tb := bufio.NewReaderSize(text, source.SniffLen)
	// A read error here is met again by whoever reads on (Entry readers repeat their error):
	// the lines before it are read like any others.
	head, peekErr := tb.Peek(source.SniffLen)
	whole := errors.Is(peekErr, io.EOF) // the file is in head, and cr has hashed all of it
	cls := e.Classify(head)
	cls.Job, cls.Instance = cleanText(cls.Job), cleanText(cls.Instance) // from the path
	row.Kind, row.Job = cls.Kind, cls.Job
	switch cls.Kind {
	case source.KindUnknown, source.KindKuduStatus:
		var st struct{ Status string }
		if cls.Kind == source.KindKuduStatus {
			json.Unmarshal(head, &st)
			row.Status = "ok"
		} else {
			row.Status, row.Error = "skipped", cls.Reason
		}
		// Hashed all the same, so that re-ingesting the bundle does not list it twice.
		n, err := io.Copy(io.Discard, tb)
		row.Bytes, row.SHA256 = cr.Count(), hex.EncodeToString(cr.Sum())
		if err != nil {
			if n == 0 || cls.Kind == source.KindKuduStatus {
				row.SHA256 = "" // failed rows are recorded once per path and message
				row.Kind, row.Status, row.Error = source.KindUnknown, "failed", fmt.Sprintf("read stopped at byte offset %d: %s", n, describe(err))
				return in.standalone(row, nil, nil)
			}
			row.Error += fmt.Sprintf("; read stopped at byte offset %d: %s", n, describe(err))
		}
		if cls.Kind == source.KindKuduStatus {
			return in.standalone(row, &store.JobStatus{Job: cls.Job, Instance: cls.Instance, Status: st.Status}, g)
		}
		if err == nil && n == 0 && row.Bytes == 0 && e.Container != "" {
			in.noteEmptyMember(row.Container, row.Path)
			return nil, nil
		}
		return in.standalone(row, nil, g)
	}

	info := &parse.FileInfo{Job: cls.Job, JobSource: cls.JobSource, CSV: cls.CSV, MaxMessage: in.o.MaxMessage, NoRedact: in.o.NoRedact}
	ck := &chunker{r: tb, block: in.o.ChunkSize, maxLine: in.o.MaxLine, pool: in.bufs, line: e.FirstLineNo()}
	switch cls.Kind {
	case source.KindKuduLog:
		ck.safeCut = parse.KuduSafeCut
	case source.KindAppLogCSV:
		ck.safeCut = parse.CSVSafeCut
	default:
		ck.safeCut = parse.TextSafeCut
	}
	if whole && !in.o.noGroup {
		return in.loadSmall(g, e, row, cls, info, ck, cr, note)
	}
	if dup, err := in.seenBefore(e, row); err != nil || dup != "" {
		return &FileResult{Row: *row, Duplicate: dup}, err
	}

	conn, err := in.s.DB().Conn(in.ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ft, err := in.s.BeginFile(in.ctx, conn, row)
	if err != nil {
		return nil, err
	}
	defer ft.Close()
	ft.Inferring = cls.Kind == source.KindKuduLog && row.Job == ""

	// The reader goroutine cuts chunks and queues them for the parse workers; this goroutine
	// and the file's other load lanes load parsed batches as they come back, in any order
	// (rows carry their line numbers).
	results := make(chan *parse.Batch, in.o.ParseWorkers)
	inflight := make(chan struct{}, 2*in.o.ParseWorkers) // bounds the memory held by one file
	var parsing sync.WaitGroup
	var readErr error
	go func() {
		defer func() { parsing.Wait(); close(results) }()
		for {
			c, err := ck.next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					readErr = err
				}
				return
			}
			select {
			case inflight <- struct{}{}:
			case <-in.ctx.Done():
				in.bufs.put(c.buf)
				return
			}
			parsing.Add(1)
			select {
			case in.jobs <- &parseJob{kind: cls.Kind, chunk: c, info: info, results: results, done: parsing.Done}:
			case <-in.ctx.Done():
				parsing.Done()
				in.bufs.put(c.buf)
				return
			}
		}
	}()

	fl := &fileLoad{in: in, ft: ft, row: row}
	drain := func(add func(*parse.Batch) error) {
		for b := range results {
			fl.take(b, add)
			<-inflight
		}
	}
	var lanes sync.WaitGroup
	for range in.o.LoadLanes - 1 {
		lanes.Add(1)
		go func() {
			defer lanes.Done()
			// A lane begins with its first batch: a file of one batch opens none.
			var lane *store.Lane
			drain(func(b *parse.Batch) error {
				if lane == nil {
					var err error
					if lane, err = ft.AddLane(in.ctx); err != nil {
						return err
					}
				}
				return lane.AddBatch(in.ctx, b)
			})
		}()
	}
	add := func(b *parse.Batch) error { return ft.AddBatch(in.ctx, b) }
	drain(add)
	lanes.Wait()
	// The reader goroutine is done: ck may be read. A line cut short by a read error is
	// rejected, never parsed as if it were whole.
	if readErr != nil && ck.partial != nil && fl.err == nil && in.ctx.Err() == nil {
		b := in.batches.Get().(*parse.Batch)
		b.Reset()
		b.Rejects = append(b.Rejects, cutLineReject(ck.partial, ck.partialLine, in.o.NoRedact))
		b.Stats.Lines, b.Stats.Rejected = 1, 1
		fl.notes.cut = 1 // told by the read-stopped note
		fl.take(b, add)
	}
	if in.ctx.Err() != nil {
		return nil, in.ctx.Err()
	}
	if fl.err != nil {
		return nil, fl.err
	}
	stats, fn := fl.stats, fl.notes
	row.Stats = stats
	row.Bytes = cr.Count()
	// SHA256 is of what could be read: re-reading the same damaged file adds nothing.
	row.SHA256 = hex.EncodeToString(cr.Sum())
	in.finishRow(row, e, note, readErr, ck, fn.notes(&stats))
	if cls.Kind == source.KindKuduLog && row.Job == "" {
		row.Job = inferJob(&stats)
	}
	dup, err := ft.Commit(in.ctx)
	if err != nil {
		return nil, err
	}
	return &FileResult{Row: *row, Duplicate: dup}, nil
}

// seenBefore hashes a big file before parsing it when the database holds a file with rows of
// the same size, and returns the path it was ingested from if the content is the same (row
// then has its bytes and sha256). Without it a file seen before is parsed and loaded in full
// before its commit finds the duplicate and throws the work away; with it, re-ingesting a
// bundle or a folder (nightly runs over the same logs) costs one read at hashing speed per
// unchanged file. A file that cannot be read to the end here is left to the parse, which
// tells what is wrong with it.
func (in *ingester) seenBefore(e *source.Entry, row *store.FileRow) (string, error) {
	if !row.Kind.HasRows() || e.ContentSize() <= source.SniffLen || e.Sequential || e.Tail != nil {
		return "", nil
	}
	if ok, err := in.s.MayHave(in.ctx, e.ContentSize()); err != nil || !ok {
		return "", err
	}
	rc, err := e.Reread()
	if err != nil {
		return "", nil
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, source.WithContext(in.ctx, rc), make([]byte, 256<<10))
	if err != nil {
		return "", in.ctx.Err()
	}
	probe := store.FileRow{Path: row.Path, Kind: row.Kind, SHA256: hex.EncodeToString(h.Sum(nil))}
	dup := in.s.Seen(&probe)
	if dup != "" {
		row.Bytes, row.SHA256 = n, probe.SHA256
	}
	return dup, nil
}

// loadSmall loads a file that was read whole into g: parsed on this worker, committed with
// the group.
func (in *ingester) loadSmall(g *smallFiles, e *source.Entry, row *store.FileRow, cls source.Classification, info *parse.FileInfo, ck *chunker, cr *source.AsyncHashReader, note string) (*FileResult, error) {
	row.Bytes = cr.Count()
	row.SHA256 = hex.EncodeToString(cr.Sum())
	// Claimed before parsing: a file seen before costs no parsing.
	dup, err := in.s.Claim(in.ctx, row)
	if err != nil || dup != "" {
		return &FileResult{Row: *row, Duplicate: dup}, err
	}
	f, stats, readErr := g.parse(cls.Kind, info, ck)
	in.prog.Lines.Add(stats.Lines)
	row.Stats, row.Site = stats, g.Batch().Site
	row.Traces, row.Exceptions, row.Events = f.Counts()
	cut := int64(0)
	if readErr != nil && ck.partial != nil {
		cut = 1
	}
	in.finishRow(row, e, note, readErr, ck, g.notes(f, &stats, cut))
	if cls.Kind == source.KindKuduLog && row.Job == "" {
		if row.Job = inferJob(&stats); row.Job != "" {
			g.SetJob(f, row.Job)
		}
	}
	g.AddFile(f, row)
	return nil, nil
}

// finishRow sets the status and the notes (files.error) of a file whose content was read;
// content are the notes of fileNotes.
func (in *ingester) finishRow(row *store.FileRow, e *source.Entry, note string, readErr error, ck *chunker, content []string) {
	stats := &row.Stats
	row.Status = "ok"
	var notes []string
	if readErr != nil {
		row.Status = "partial"
		after, off, cutLine := stats.Lines, ck.offset, int64(0)
		if ck.partial != nil {
			after, off, cutLine = ck.partialLine-1, ck.partialOff, ck.partialLine
		}
		if stats.Parsed == 0 {
			row.Status = "failed"
		}
		notes = append(notes, readStopped(readErr, after, off, cutLine))
	}
	if e.Note != "" {
		notes = append(notes, e.Note)
	}
	if note != "" {
		notes = append(notes, note)
	}
	if stats.InvalidUTF8 > 0 {
		notes = append(notes, fmt.Sprintf("%d %s with invalid UTF-8 (bytes replaced by U+FFFD)", stats.InvalidUTF8, plural(stats.InvalidUTF8, "line", "lines")))
	}
	if stats.NULBytes > 0 {
		notes = append(notes, fmt.Sprintf("%d %s with NUL bytes (replaced by U+FFFD)", stats.NULBytes, plural(stats.NULBytes, "line", "lines")))
	}
	if stats.Truncated > 0 {
		notes = append(notes, fmt.Sprintf("%d %s longer than %d bytes cut (traces.truncated)", stats.Truncated, plural(stats.Truncated, "line", "lines"), in.o.MaxLine))
	}
	notes = append(notes, content...)
	row.Error = strings.Join(notes, "; ")
	in.redactError(row)
}

// pathText is how a path is stored (files.path, files.container, every source_file) and so
// shown: valid UTF-8, and without secrets. A file saved by wget "<blob URL>?<SAS>" carries the
// SAS token in its name, and a blob or member may be named after a connection string.
func (in *ingester) pathText(p string) string {
	if !in.o.NoRedact && p != "" {
		if r, changed := parse.Redact(nil, []byte(p)); changed {
			p = string(r)
		}
	}
	return cleanText(p)
}

// redactError removes secrets from row.Error: it may quote the file (a first line, a
// symlink's target). It also makes it valid UTF-8 (it may quote a path).
func (in *ingester) redactError(row *store.FileRow) {
	if !in.o.NoRedact && row.Error != "" {
		if r, changed := parse.Redact(nil, []byte(row.Error)); changed {
			row.Error = string(r)
		}
	}
	row.Error = cleanText(row.Error)
}

// standalone records a file that has no rows (skipped, failed, status file): in g when g is
// set and the file has a hash to tell duplicates by (nil result), else at once.
func (in *ingester) standalone(row *store.FileRow, st *store.JobStatus, g *smallFiles) (*FileResult, error) {
	in.redactError(row)
	if g != nil && row.SHA256 != "" {
		dup, err := in.s.Claim(in.ctx, row)
		if err != nil || dup != "" {
			return &FileResult{Row: *row, Duplicate: dup}, err
		}
		g.AddRow(row, st)
		return nil, nil
	}
	dup, err := in.s.InsertStandalone(in.ctx, row, st)
	return &FileResult{Row: *row, Duplicate: dup}, err
}

// fileLoad is what the load lanes of one file share: they take its batches concurrently.
type fileLoad struct {
	in  *ingester
	ft  *store.FileTx
	row *store.FileRow

	mu    sync.Mutex // guards the fields below and row's counters
	stats parse.Stats
	notes fileNotes
	err   error // the first load error; batches after it are only recycled
}

// take counts one parsed batch and loads it with add (after an error it only recycles it).
func (fl *fileLoad) take(b *parse.Batch, add func(*parse.Batch) error) {
	in, row := fl.in, fl.row
	defer in.batches.Put(b)
	fl.mu.Lock()
	fl.notes.see(b)
	fl.stats.Add(&b.Stats)
	in.prog.Lines.Add(b.Stats.Lines)
	if b.Site != "" && row.Site == "" {
		row.Site = b.Site
	}
	row.Traces += int64(b.Traces.Len())
	row.Exceptions += int64(b.Exceptions.Len())
	row.Events += int64(b.Events.Len())
	failed := fl.err != nil
	if !failed && fl.ft.Inferring && fl.ft.Guess() == "" && fl.stats.Parsed >= guessJobAfter {
		fl.ft.SetGuess(inferJob(&fl.stats))
	}
	fl.mu.Unlock()
	if failed {
		return
	}
	if err := add(b); err != nil {
		fl.mu.Lock()
		if fl.err == nil {
			fl.err = fmt.Errorf("load %s: %w", row.Path, err)
		}
		fl.mu.Unlock()
	}
}

// guessJobAfter is how many lines of a Kudu log outside its job folder are loaded before the
// job their templates name is guessed and given to the rows that follow (see store.FileTx.Guess).
var guessJobAfter int64 = 100_000

// inferJob names the job of a Kudu log found outside its folder from the templates its lines
// match: the job with most job-specific lines, if it has a clear majority.
func inferJob(st *parse.Stats) string {
	ai, act := st.JobHints[parse.AppInsightsImporter], st.JobHints[parse.Office365ActivityImporter]
	switch {
	case ai > 0 && ai >= 4*act:
		return parse.AppInsightsImporter.String()
	case act > 0 && act >= 4*ai:
		return parse.Office365ActivityImporter.String()
	}
	return ""
}
