package parse

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

// matchReference is the matcher's contract written plainly: the first template, longest
// leading literal first (catalogue order among equals), that matches.
var referenceOrder = sync.OnceValue(func() []*compiledTemplate {
	var cands []*compiledTemplate
	for _, ct := range theMatcher.byNum {
		if ct != nil {
			cands = append(cands, ct)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return len(cands[i].parts[0]) > len(cands[j].parts[0]) })
	return cands
})

func matchReference(msg []byte) int16 {
	cands := referenceOrder()
	try := func(msg []byte) int16 {
		for _, ct := range cands {
			if ct.matches(msg) {
				return ct.num
			}
		}
		return 0
	}
	if len(msg) == 0 {
		return 0
	}
	if n := try(msg); n != 0 {
		return n
	}
	if k := shortTimeLen(msg); k > 0 {
		if k == len(msg) {
			return 0
		}
		return try(msg[k:])
	}
	if bytes.HasSuffix(msg, []byte(" seconds.")) {
		if _, _, ok := parseTimer(msg); ok {
			return theMatcher.timer
		}
	}
	return 0
}

// The matcher agrees with the reference on every message of the generated log,
// on every template with its holes filled, and on their prefixes and variants.
func TestMatchReference(t *testing.T) {
	check := func(msg []byte) {
		t.Helper()
		if got, want := theMatcher.match(msg), matchReference(msg); got != want {
			t.Fatalf("match(%q) = %s, reference %s", msg, theMatcher.ids[got], theMatcher.ids[want])
		}
	}
	var msgs [][]byte
	for _, d := range templateDefs {
		for _, fill := range []string{"", "x", "12", "a {} b", "Audit events import: "} {
			msgs = append(msgs, []byte(strings.ReplaceAll(d.Text, "{}", fill)))
		}
	}
	data, _ := genKudu()
	var kl KuduLine
	for rest := data; len(rest) > 0; {
		line, r, _ := bytes.Cut(rest, []byte{'\n'})
		rest = r
		if ParseKuduLine(bytes.TrimSuffix(line, []byte{'\r'}), &kl) == Prefixed {
			_, msg := splitAppPrefix(kl.Message)
			msgs = append(msgs, msg)
		}
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		if seen[string(m)] {
			continue
		}
		seen[string(m)] = true
		check(m)
		for _, cut := range []int{1, 2, 5, 10, 21, 30} {
			if cut < len(m) {
				check(m[:cut])
				check(m[len(m)-cut:])
			}
		}
		check(append([]byte("10:15 AM "), m...))
	}
	check([]byte("10:15 AM ")) // used to panic: index out of range in matchBucket
	if len(seen) < 1000 {
		t.Fatalf("only %d distinct messages", len(seen))
	}
}

// go test ./parse -run '^$' -bench Match -benchmem
func BenchmarkMatch(b *testing.B) {
	data, _ := genKudu()
	var msgs [][]byte
	var kl KuduLine
	size := 0
	for rest := data[:8<<20]; len(rest) > 0; {
		line, r, _ := bytes.Cut(rest, []byte{'\n'})
		rest = r
		if ParseKuduLine(bytes.TrimSuffix(line, []byte{'\r'}), &kl) == Prefixed {
			_, msg := splitAppPrefix(kl.Message)
			msgs = append(msgs, msg)
			size += len(msg)
		}
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			theMatcher.match(m)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(msgs)), "ns/msg")
}

// defaultMessageType is the regular expression it replaced.
func TestDefaultMessageType(t *testing.T) {
	re := regexp.MustCompile(`^Exception of type '([A-Za-z_][\w.` + "`" + `+]*)' was thrown\.`)
	for _, msg := range []string{
		"Exception of type 'System.OutOfMemoryException' was thrown.",
		"Exception of type 'System.OutOfMemoryException' was thrown. more",
		"Exception of type 'Foo`1+Bar_2.Baz' was thrown.",
		"Exception of type '1Bad' was thrown.",
		"Exception of type '' was thrown.",
		"Exception of type 'A B' was thrown.",
		"Exception of type 'A' was thrown",
		"Exception of type 'A",
		"Exception of type '",
		"xException of type 'A' was thrown.",
		"Exception of type 'é' was thrown.",
	} {
		m := re.FindStringSubmatch(msg)
		got, ok := defaultMessageType(msg)
		if ok != (m != nil) || ok && got != m[1] {
			t.Errorf("%q: got %q %v, regexp %q", msg, got, ok, m)
		}
	}
}

// Analysing an exception and inferring a handled one's type allocate nothing (the strings
// they return are substrings of their input).
func TestExceptionAnalysisAllocs(t *testing.T) {
	text := "Unhandled Exception: System.AggregateException: One or more errors occurred. ---> System.Net.Http.HttpRequestException: 401\n   at A.B()\n   --- End of inner exception stack trace ---\n---> (Inner Exception #0) System.IO.IOException: x<---"
	noAllocs(t, "AnalyzeException", func() { AnalyzeException(text) })
	for _, msg := range []string{"AADSTS7000215: Invalid client secret provided.", "Exception of type 'System.OutOfMemoryException' was thrown.",
		"a; b; Login failed for user 'x'.", "nothing known"} {
		noAllocs(t, fmt.Sprintf("inferHandled(%q)", msg), func() { inferHandled(msg, true) })
	}
}

// noAllocs fails t when f allocates. Under the race detector it checks nothing: sync.Pool
// drops items at random there (a test run failed on 1 alloc per call of inferHandled).
func noAllocs(t *testing.T, what string, f func()) {
	t.Helper()
	if raceDetector {
		return
	}
	if n := testing.AllocsPerRun(100, f); n != 0 {
		t.Errorf("%s: %v allocs", what, n)
	}
}

// JobOf folds case as strings.ToLower does, and allocates nothing for ASCII names.
func TestJobOfFold(t *testing.T) {
	for _, name := range []string{"Run script 'SPOInsights.WebJob.AppInsightsImporter.exe'", "APPINSIGHTSIMPORTER",
		"office365ActivityImport", "x ActivityImport y", "CallRecordWebhookController", "nothing", "", "Ünïcode AppInsightsImporter",
		"appinsightsimpor", "\u212Aelvin"} {
		want := NoJob
		l := strings.ToLower(name)
		switch {
		case strings.Contains(l, "appinsightsimport"):
			want = AppInsightsImporter
		case strings.Contains(l, "activityimport"):
			want = Office365ActivityImporter
		case strings.Contains(l, "callrecordwebhook"):
			want = CallRecordWebhookController
		}
		if got := JobOf(name); got != want {
			t.Errorf("JobOf(%q) = %v, want %v", name, got, want)
		}
	}
	noAllocs(t, "JobOf", func() { JobOf("Run script 'SPOInsights.WebJob.AppInsightsImporter.exe'") })
}

// A Dict maps values to indexes within a batch, and after reset reuses the strings of earlier
// batches whatever their order: no allocation once every value was seen.
func TestDictReuse(t *testing.T) {
	var d Dict
	d.reset()
	orders := [][]string{{"a", "b", "c"}, {"c", "a"}, {"b", "c", "a", "d"}, {"d", "c", "b", "a", "a", "d"}, {}, {"a"}}
	for _, o := range orders {
		d.reset()
		for _, v := range o {
			d.add([]byte(v))
		}
		for i, v := range o {
			if d.Value(i) != v {
				t.Fatalf("order %q: row %d = %q", o, i, d.Value(i))
			}
		}
		seen := map[string]bool{}
		for _, v := range d.Values {
			if seen[v] {
				t.Fatalf("order %q: %q twice in %q", o, v, d.Values)
			}
			seen[v] = true
		}
	}
	noAllocs(t, "a run of the orders", func() {
		for _, o := range orders {
			d.reset()
			for _, v := range o {
				d.add([]byte(v))
			}
		}
	})
}

// A Dict owns its values: a string that aliases a buffer (yoloString) may change after it
// was added, and the batch must not.
func TestDictOwnsValues(t *testing.T) {
	var d Dict
	d.reset()
	buf := []byte("5e1c2a")
	d.addString(yoloString(buf))
	copy(buf, "ffffff")
	d.addString(yoloString(buf))
	if d.Value(0) != "5e1c2a" || d.Value(1) != "ffffff" {
		t.Fatalf("values %q", d.Values)
	}
	d.reset()
	copy(buf, "abcdef")
	d.addString(yoloString(buf))
	copy(buf, "5e1c2a")
	if d.Value(0) != "abcdef" {
		t.Fatalf("after reset: %q", d.Values)
	}
}
