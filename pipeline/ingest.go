package pipeline

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kudulens/kudulens/parse"
)

// Options configure Ingest. Zero values mean the documented defaults.
type Options struct {
	Walk         WalkOptions
	ParseWorkers int  // goroutines parsing chunks; default GOMAXPROCS
	FileWorkers  int  // files loaded at once, each in its own transaction; default 2
	ChunkSize    int  // bytes per parse chunk; default 4 MiB
	MaxLine      int  // longer lines are cut to this many bytes and flagged truncated; default 1 MiB
	MaxMessage   int  // a multi-line record's message is cut after this many bytes; default 1 MiB
	NoMerge      bool // skip merging copies of lines across files (for measuring)
	NoRedact     bool // keep secrets in what is stored (parse.Redact); off by default
}

const (
	defaultChunkSize = 4 << 20
	defaultMaxLine   = 1 << 20
)

func (o *Options) setDefaults() {
	if o.ParseWorkers <= 0 {
		o.ParseWorkers = runtime.GOMAXPROCS(0)
	}
	if o.FileWorkers <= 0 {
		o.FileWorkers = 2
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
	Row       FileRow
	Duplicate string // the path the same content was ingested from before ("" if new)
}

// Summary is the outcome of an ingest run.
type Summary struct {
	Files    []FileResult
	Merge    MergeStats
	Elapsed  time.Duration
	Canceled bool
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

// Ingest reads every source into the store. Inputs that are damaged or of no known kind are
// recorded (files.status, files.error) and the run goes on; the returned error is for the run
// itself (database failure, cancellation).
func Ingest(ctx context.Context, s *Store, sources []string, o Options, prog *Progress) (*Summary, error) {
	o.setDefaults()
	if prog == nil {
		prog = &Progress{}
	}
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	in := &ingester{s: s, o: o, prog: prog, ctx: ctx, cancel: cancel,
		jobs:    make(chan *parseJob, o.ParseWorkers),
		entries: make(chan *Entry),
		bufs:    newBufPool(o.ChunkSize+o.MaxLine+4096, 4*o.ParseWorkers+2*o.FileWorkers),
	}
	in.batches = sync.Pool{New: func() any { return parse.NewBatch(o.ChunkSize / 64) }}
	if err := s.loadThreads(ctx, true); err != nil {
		return nil, err
	}
	defer s.loadThreads(context.Background(), false)

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

	walkErr := Walk(ctx, sources, o.Walk, in)
	close(in.entries)
	loaders.Wait()
	close(in.jobs)
	parsers.Wait()

	sum := &Summary{Files: in.results}
	if err := in.firstErr(); err != nil {
		return sum, err
	}
	if walkErr != nil {
		if errors.Is(walkErr, context.Canceled) {
			sum.Canceled = true
			return sum, walkErr
		}
		return sum, walkErr
	}
	// Containers are recorded last: a container row means all its members are in.
	for _, c := range in.containers {
		row := &FileRow{ID: s.newFileID(), Path: c.Path, Kind: Kind(c.Kind), Compression: c.Compression,
			Bytes: c.Size, SHA256: c.SHA256, Status: "ok"}
		if _, err := s.insertStandalone(ctx, row, nil); err != nil {
			return sum, err
		}
	}
	if err := s.loadThreads(ctx, false); err != nil {
		return sum, err
	}
	if !o.NoMerge {
		ms, err := s.Merge(ctx)
		if err != nil {
			return sum, fmt.Errorf("merge: %w", err)
		}
		sum.Merge = ms
	}
	sort.SliceStable(sum.Files, func(i, j int) bool { return sum.Files[i].Row.Path < sum.Files[j].Row.Path })
	sum.Elapsed = time.Since(start)
	return sum, nil
}

type ingester struct {
	s      *Store
	o      Options
	prog   *Progress
	ctx    context.Context
	cancel context.CancelFunc

	entries chan *Entry
	jobs    chan *parseJob
	bufs    *bufPool
	batches sync.Pool

	mu         sync.Mutex
	results    []FileResult
	containers []ContainerInfo
	err        error
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

// File implements Visitor: it hands the entry to a file worker.
func (in *ingester) File(e *Entry) error {
	select {
	case in.entries <- e:
		return nil
	case <-in.ctx.Done():
		return in.ctx.Err()
	}
}

// Container implements Visitor.
func (in *ingester) Container(c ContainerInfo) {
	in.mu.Lock()
	in.containers = append(in.containers, c)
	in.mu.Unlock()
}

// Problem implements Visitor: a damaged or refused input is recorded as a failed file.
func (in *ingester) Problem(path string, err error) {
	row := &FileRow{ID: in.s.newFileID(), Path: path, Kind: KindUnknown, Status: "failed", Error: err.Error()}
	dup, e := in.s.insertStandalone(in.ctx, row, nil)
	if e != nil && in.ctx.Err() == nil {
		in.fail(e)
	}
	in.record(FileResult{Row: *row, Duplicate: dup})
}

// parseJob is one chunk to parse; the parsed batch goes to results.
type parseJob struct {
	kind    Kind
	chunk   *chunk
	info    *parse.FileInfo
	results chan<- *parse.Batch
	done    func()
}

// parseLoop runs on each parse worker, with parsers of its own.
func (in *ingester) parseLoop() {
	parsers := map[Kind]parse.Parser{
		KindKuduLog:    &parse.KuduLog{},
		KindAppLogCSV:  &parse.AppLogCSV{},
		KindAppLogText: &parse.AppLogText{},
	}
	for j := range in.jobs {
		b := in.batches.Get().(*parse.Batch)
		b.Reset()
		parsers[j.kind].Parse(&parse.Chunk{Data: j.chunk.data, FirstLine: j.chunk.firstLine, Cut: j.chunk.cut, File: j.info}, b)
		in.bufs.put(j.chunk.buf)
		j.results <- b
		j.done()
	}
}

// fileLoop runs on each file worker: one file at a time, each in its own transaction.
func (in *ingester) fileLoop() {
	for e := range in.entries {
		if in.ctx.Err() != nil {
			continue // drain; the walk stops
		}
		res, err := in.loadFile(e)
		if err != nil {
			if in.ctx.Err() == nil {
				in.fail(err)
			}
			continue
		}
		in.record(res)
	}
}

// loadFile reads, classifies, parses and loads one file. A returned error is fatal for the
// run (database failure); problems with the file itself are in the result.
func (in *ingester) loadFile(e *Entry) (FileResult, error) {
	row := &FileRow{ID: in.s.newFileID(), Path: e.Path, Container: e.Container, Compression: e.Compression, Bytes: e.Size}
	rc, err := e.Open()
	if err != nil {
		row.Kind, row.Status, row.Error = KindUnknown, "failed", err.Error()
		return in.standalone(row, nil)
	}
	defer rc.Close()
	cr := newAsyncHashReader(rc, in.prog)
	defer cr.close()
	text, note := textReader(bufio.NewReaderSize(cr, 64<<10))
	tb := bufio.NewReaderSize(text, sniffLen)
	head, peekErr := tb.Peek(sniffLen)
	if peekErr != nil && !errors.Is(peekErr, io.EOF) && !errors.Is(peekErr, bufio.ErrBufferFull) {
		row.Kind, row.Status, row.Error = KindUnknown, "failed", fmt.Sprintf("read: %v", peekErr)
		return in.standalone(row, nil)
	}
	cls := Classify(e.Name, head)
	row.Kind, row.Job = cls.Kind, cls.Job
	switch cls.Kind {
	case KindUnknown:
		// Hashed all the same, so that re-ingesting the bundle does not list it twice.
		io.Copy(io.Discard, tb)
		row.Bytes, row.SHA256 = cr.n, hex.EncodeToString(cr.sum())
		row.Status, row.Error = "skipped", cls.Reason
		return in.standalone(row, nil)
	case KindKuduStatus:
		var st struct{ Status string }
		json.Unmarshal(head, &st)
		io.Copy(io.Discard, tb)
		row.Bytes, row.SHA256, row.Status = cr.n, hex.EncodeToString(cr.sum()), "ok"
		return in.standalone(row, &jobStatus{job: cls.Job, instance: cls.Instance, status: st.Status})
	}

	info := &parse.FileInfo{Job: cls.Job, JobSource: cls.JobSource, CSV: cls.CSV, MaxMessage: in.o.MaxMessage, NoRedact: in.o.NoRedact}
	ck := &chunker{r: tb, block: in.o.ChunkSize, maxLine: in.o.MaxLine, pool: in.bufs, line: 1}
	switch cls.Kind {
	case KindKuduLog:
		ck.safeCut = parse.KuduSafeCut
	case KindAppLogCSV:
		ck.safeCut = parse.CSVSafeCut
	default:
		ck.safeCut = parse.TextSafeCut
	}

	conn, err := in.s.db.Conn(in.ctx)
	if err != nil {
		return FileResult{}, err
	}
	defer conn.Close()
	ft, err := in.s.beginFile(in.ctx, conn, row)
	if err != nil {
		return FileResult{}, err
	}
	defer ft.rollback()
	ft.inferring = cls.Kind == KindKuduLog && row.Job == ""

	// The reader goroutine cuts chunks and queues them for the parse workers; this goroutine
	// loads parsed batches as they come back, in any order (rows carry their line numbers).
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

	var stats parse.Stats
	var loadErr error
	for b := range results {
		loadErr = in.takeBatch(ft, row, b, &stats, loadErr)
		<-inflight
	}
	if in.ctx.Err() != nil {
		return FileResult{}, in.ctx.Err()
	}
	if loadErr != nil {
		return FileResult{}, loadErr
	}
	row.Stats = stats
	row.Bytes = cr.n
	row.SHA256 = hex.EncodeToString(cr.sum())
	row.Status = "ok"
	if readErr != nil {
		row.Status, row.Error = "partial", fmt.Sprintf("read stopped %v after line %d; the lines before were kept", readErr, stats.Lines)
		if stats.Lines == 0 {
			row.Status = "failed"
		}
	}
	var notes []string
	if note != "" {
		notes = append(notes, note)
	}
	if stats.InvalidUTF8 > 0 {
		notes = append(notes, fmt.Sprintf("%d lines with invalid UTF-8 (bytes replaced by U+FFFD)", stats.InvalidUTF8))
	}
	if stats.NULBytes > 0 {
		notes = append(notes, fmt.Sprintf("%d lines with NUL bytes (replaced by U+FFFD)", stats.NULBytes))
	}
	if stats.Truncated > 0 {
		notes = append(notes, fmt.Sprintf("%d lines longer than %d bytes were cut (traces.truncated)", stats.Truncated, in.o.MaxLine))
	}
	if len(notes) > 0 {
		if row.Error != "" {
			notes = append([]string{row.Error}, notes...)
		}
		row.Error = strings.Join(notes, "; ")
	}
	if cls.Kind == KindKuduLog && row.Job == "" {
		row.Job = inferJob(&stats)
	}
	dup, err := ft.commit(in.ctx)
	if err != nil {
		return FileResult{}, err
	}
	return FileResult{Row: *row, Duplicate: dup}, nil
}

// standalone records a file that has no rows (skipped, failed, status file).
func (in *ingester) standalone(row *FileRow, st *jobStatus) (FileResult, error) {
	dup, err := in.s.insertStandalone(in.ctx, row, st)
	return FileResult{Row: *row, Duplicate: dup}, err
}

// takeBatch loads one parsed batch (after an error it only recycles batches).
func (in *ingester) takeBatch(ft *fileTx, row *FileRow, b *parse.Batch, stats *parse.Stats, prev error) error {
	defer in.batches.Put(b)
	stats.Add(&b.Stats)
	in.prog.Lines.Add(b.Stats.Lines)
	if b.Site != "" && row.Site == "" {
		row.Site = b.Site
	}
	row.Traces += int64(b.Traces.Len())
	row.Exceptions += int64(b.Exceptions.Len())
	row.Events += int64(b.Events.Len())
	if prev != nil {
		return prev
	}
	if ft.inferring && ft.guess == "" && stats.Parsed >= guessJobAfter {
		ft.guess = inferJob(stats)
	}
	if err := ft.addBatch(in.ctx, b); err != nil {
		return fmt.Errorf("load %s: %w", row.Path, err)
	}
	return nil
}

// guessJobAfter is how many lines of a Kudu log outside its job folder are loaded before the
// job their templates name is guessed and given to the rows that follow (see fileTx.guess).
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
