package parse

import (
	"bytes"
	"fmt"
	"testing"
)

// kuduSample returns about n bytes of a Kudu log with the message mix of a busy activity
// importer (progress lines, timers, events, SQL inserts) — enough shape for the hot path.
func kuduSample(n int) []byte {
	msgs := []string{
		"INFO] %02d-%02d-%02d:%02d: Audit events import: processed %d%% activity report data...",
		"INFO] %02d-%02d-%02d:%02d: Audit events import: processed %d%% activity report data...",
		"INFO] %02d-%02d-%02d:%02d: Audit events import: processed %d%% activity report data...",
		"INFO] %02d-%02d-%02d:%02d: Hits downloaded - '1,234' in total. Earliest: 2026-11-19 10:00:01.12, latest: 2026-11-19 10:09:58.%02d",
		"INFO] %02d-%02d-%02d:%02d: Requesting data from AppInsights from 11/19/2026 10:09:15 AM (newest hit is from 11/19/2026 10:0%d:15 AM)...",
		"INFO] %02d-%02d-%02d:%02d: User import - read %d updated users from Graph API, using last delta.",
		"INFO] %02d-%02d-%02d:%02d: Subscription for 'Audit.SharePoint' is already in place and enabled.%d",
		"INFO] %02d-%02d-%02d:%02d: Processed %d events, and 4 page-views",
		"INFO] %02d-%02d-%02d:%02d: Inserting %d records into ##tmp_import, across 4 thread(s)...",
		"INFO] %02d-%02d-%02d:%02d: Teams import: 0 hours, 1 mins, and %d seconds.",
		"INFO] New event 'FinishedSectionImport'; 'context=Teams import: 0 hours, 1 mins, and 53 seconds.'.",
		"INFO] %02d-%02d-%02d:%02d: Waiting 10 mins...",
		"INFO] %02d-%02d-%02d:%02d: Got exception on GetGraphTeamsAndUserData: AADSTS7000215: Invalid client secret provided. (%d)",
		"SYS INFO] Status changed to Running",
		"INFO] Something the catalogue does not know about %d",
	}
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		s := i % 86400
		h, m, sec := s/3600, s/60%60, s%60
		fmt.Fprintf(&b, "[11/%02d/2026 %02d:%02d:%02d > 5e1c2a: ", 19+i/86400%3, h, m, sec)
		f := msgs[i%len(msgs)]
		switch f[len(f)-1] {
		case '.', ')':
		}
		line := fmt.Sprintf(f, h, m, sec, i%100, i%100)
		if i := bytes.Index([]byte(line), []byte("%!")); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line)
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// go test ./parse -run '^$' -bench KuduLog -benchmem
func BenchmarkKuduLog(b *testing.B) {
	data := kuduSample(4 << 20)
	lines := bytes.Count(data, []byte{'\n'})
	fi := &FileInfo{Job: "Office365ActivityImporter", JobSource: JobByPath}
	p := &KuduLog{}
	batch := NewBatch(lines)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		batch.Reset()
		p.Parse(&Chunk{Data: data, FirstLine: 1, File: fi}, batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*lines), "ns/line")
}

// The floor: finding the line ends.
func BenchmarkLineScan(b *testing.B) {
	data := kuduSample(4 << 20)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		n := 0
		for d := data; len(d) > 0; {
			j := bytes.IndexByte(d, '\n')
			if j < 0 {
				break
			}
			n++
			d = d[j+1:]
		}
		if n == 0 {
			b.Fatal()
		}
	}
}
