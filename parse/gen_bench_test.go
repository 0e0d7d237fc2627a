package parse

import (
	"bytes"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kudulens/kudulens/bench/gen"
)

// genKudu returns size bytes of a generated Kudu log (bench/gen, seed 1, both jobs, realistic
// failures), cut into 4 MiB chunks at KuduSafeCut as the pipeline cuts them. It is generated
// once per test binary.
var genKudu = sync.OnceValues(func() ([]byte, [][]byte) {
	var buf bytes.Buffer
	cfg := gen.BenchConfig(1, time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC), 2)
	if _, err := gen.Generate(&buf, gen.GenerateOptions{Config: cfg, Kind: gen.KindKudu, Size: 32 << 20}); err != nil {
		panic(err)
	}
	data := buf.Bytes()
	var chunks [][]byte
	const block = 4 << 20
	for rest := data; len(rest) > 0; {
		if len(rest) <= block {
			chunks = append(chunks, rest)
			break
		}
		n := KuduSafeCut(rest[:block])
		if n == 0 {
			n = len(rest)
		}
		chunks = append(chunks, rest[:n])
		rest = rest[n:]
	}
	return data, chunks
})

// BenchmarkKuduLogGen parses 32 MiB of generated Kudu log chunk by chunk into one reused
// batch, as a pipeline parse worker does: the steady state of the hot path. Baseline: the
// line scan of the same bytes.
//
//	go test ./parse -run '^$' -bench 'KuduLogGen' -benchmem -count 5 | tee kudu.txt
func BenchmarkKuduLogGen(b *testing.B) {
	data, chunks := genKudu()
	lines := bytes.Count(data, []byte{'\n'})
	b.Run("parser=kudulog", func(b *testing.B) {
		fi := &FileInfo{Job: "AppInsightsImporter", JobSource: JobByPath}
		p := &KuduLog{}
		batch := NewBatch(1 << 16)
		// One Chunk for all: the pipeline allocates one per 4 MiB chunk, which is not the
		// parser's cost per line that allocs/line measures.
		ck := &Chunk{File: fi}
		parseAll := func() {
			for i, c := range chunks {
				batch.Reset()
				ck.Data, ck.FirstLine = c, int64(i)
				p.Parse(ck, batch)
			}
		}
		parseAll() // warm-up: grow the batch's buffers to their steady size
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		// cpu-ns/line is this thread's CPU time: on a shared machine it moves much less than
		// the wall time when other processes take the core.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		cpu0 := threadCPU()
		b.ResetTimer()
		for b.Loop() {
			parseAll()
		}
		b.ReportMetric(float64(threadCPU()-cpu0)/float64(b.N)/float64(lines), "cpu-ns/line")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(lines), "ns/line")
		b.ReportMetric(float64(testing.AllocsPerRun(1, parseAll))/float64(lines), "allocs/line")
	})
	b.Run("parser=linescan", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			n := 0
			for d := data; len(d) > 0; {
				j := bytes.IndexByte(d, '\n')
				if j < 0 {
					break
				}
				n++
				d = d[j+1:]
			}
			if n != lines {
				b.Fatal(n, lines)
			}
		}
	})
}

// threadCPU returns the CPU time of the calling OS thread in nanoseconds (Linux).
func threadCPU() int64 {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime)
}
