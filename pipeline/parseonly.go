package pipeline

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/kudulens/kudulens/parse"
	"github.com/kudulens/kudulens/pipeline/source"
)

// ParseOnly reads and parses sources as Ingest does — the same walker, decompressors,
// content hash, classification, chunker and pool of parse workers — but hands each parsed
// batch to each instead of loading it. It exists to measure the stages before DuckDB
// (bench/cmd/kudubench). each runs on the parse workers, concurrently; the batch is reused
// after it returns. Files of no parsable kind are read (and hashed) and skipped.
func ParseOnly(ctx context.Context, sources []string, o Options, each func(*parse.Batch)) (parse.Stats, error) {
	o.setDefaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	v := &parseOnly{o: o, ctx: ctx, each: each,
		bufs: newBufPool(o.ChunkSize+o.MaxLine+4096, 4*o.ParseWorkers+2),
		jobs: make(chan *parseJob, o.ParseWorkers)}
	v.batches.New = func() any { return parse.NewBatch(o.ChunkSize / 64) }
	var workers sync.WaitGroup
	for i := 0; i < o.ParseWorkers; i++ {
		workers.Add(1)
		go func() { defer workers.Done(); v.work() }()
	}
	err := source.Walk(ctx, sources, o.Walk, v)
	close(v.jobs)
	workers.Wait()
	if err == nil {
		err = v.err
	}
	return v.stats, err
}

type parseOnly struct {
	o       Options
	ctx     context.Context
	each    func(*parse.Batch)
	bufs    *bufPool
	batches sync.Pool
	jobs    chan *parseJob

	mu    sync.Mutex
	stats parse.Stats
	err   error
}

func (v *parseOnly) work() {
	parsers := map[source.Kind]parse.Parser{
		source.KindKuduLog:    &parse.KuduLog{},
		source.KindAppLogCSV:  &parse.AppLogCSV{},
		source.KindAppLogText: &parse.AppLogText{},
	}
	for j := range v.jobs {
		b := v.batches.Get().(*parse.Batch)
		b.Reset()
		parsers[j.kind].Parse(&parse.Chunk{Data: j.chunk.data, FirstLine: j.chunk.firstLine, Cut: j.chunk.cut, File: j.info}, b)
		v.bufs.put(j.chunk.buf)
		v.each(b)
		v.mu.Lock()
		v.stats.Add(&b.Stats)
		v.mu.Unlock()
		v.batches.Put(b)
		j.done()
	}
}

// File reads one file on the walker's goroutine (the benchmarks give one file at a time).
func (v *parseOnly) File(e *source.Entry) error {
	rc, err := e.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	cr := source.NewAsyncHashReader(rc, new(atomic.Int64), sha256.New())
	defer cr.Stop()
	text, _ := source.TextReader(bufio.NewReaderSize(cr, 64<<10))
	tb := bufio.NewReaderSize(text, source.SniffLen)
	head, _ := tb.Peek(source.SniffLen)
	cls := source.Classify(e.Name, head)
	info := &parse.FileInfo{Job: cls.Job, JobSource: cls.JobSource, CSV: cls.CSV, MaxMessage: v.o.MaxMessage, NoRedact: v.o.NoRedact}
	ck := &chunker{r: tb, block: v.o.ChunkSize, maxLine: v.o.MaxLine, pool: v.bufs, line: 1}
	switch cls.Kind {
	case source.KindKuduLog:
		ck.safeCut = parse.KuduSafeCut
	case source.KindAppLogCSV:
		ck.safeCut = parse.CSVSafeCut
	case source.KindAppLogText:
		ck.safeCut = parse.TextSafeCut
	default:
		_, err := io.Copy(io.Discard, tb)
		return err
	}
	var parsing sync.WaitGroup
	defer parsing.Wait()
	for {
		c, err := ck.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		parsing.Add(1)
		select {
		case v.jobs <- &parseJob{kind: cls.Kind, chunk: c, info: info, done: parsing.Done}:
		case <-v.ctx.Done():
			parsing.Done()
			return v.ctx.Err()
		}
	}
	parsing.Wait()
	cr.Sum()
	return nil
}

func (v *parseOnly) Container(source.ContainerInfo) {}

func (v *parseOnly) Problem(path string, err error) {
	v.mu.Lock()
	if v.err == nil {
		v.err = err
	}
	v.mu.Unlock()
}
