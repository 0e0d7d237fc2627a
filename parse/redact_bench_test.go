package parse

import (
	"bytes"
	"testing"
)

// Redact runs on every message as the recorder stores it (after the Kudu prefix).
//
//	go test ./parse -run '^$' -bench Redact -benchmem
func BenchmarkRedact(b *testing.B) {
	data := kuduSample(1 << 20)
	var msgs [][]byte
	var n int
	for _, l := range bytes.Split(data, []byte{'\n'}) {
		var kl KuduLine
		if ParseKuduLine(bytes.TrimSuffix(l, []byte{'\r'}), &kl) == Prefixed {
			msgs = append(msgs, kl.Message)
			n += len(kl.Message)
		}
	}
	var dst []byte
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			if out, changed := Redact(dst, m); changed {
				dst = out
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(msgs)), "ns/line")
}
