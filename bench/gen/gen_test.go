package gen

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// kuduLine is the Kudu prefix regex of docs/formats.md §6.3.
var kuduLine = regexp.MustCompile(`^\[(\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}) > ([0-9A-Za-z]{1,6}): (SYS )?(INFO|WARN|ERR ?)\] ?(.*)$`)

var testStart = time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)

func generate(t *testing.T, opt GenerateOptions) []byte {
	t.Helper()
	var b bytes.Buffer
	n, err := Generate(&b, opt)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(b.Len()) {
		t.Fatalf("Generate reported %d bytes, wrote %d", n, b.Len())
	}
	return b.Bytes()
}

func TestDeterminism(t *testing.T) {
	for _, kind := range []string{KindKudu, KindAppLogCSV, KindAppLogText} {
		opt := GenerateOptions{Config: BenchConfig(7, testStart, 2), Kind: kind, Size: 3 << 20}
		a, b := generate(t, opt), generate(t, opt)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: same seed, different output", kind)
		}
		opt.Config = BenchConfig(8, testStart, 2)
		if bytes.Equal(a, generate(t, opt)) {
			t.Errorf("%s: different seeds, same output", kind)
		}
	}
	// Compressed output is deterministic too.
	opt := GenerateOptions{Config: BenchConfig(7, testStart, 2), Kind: KindKudu, Size: 4 << 20}
	for _, c := range []string{CompressGzip, CompressZstd} {
		var outs [2][]byte
		for i := range outs {
			var b bytes.Buffer
			zw, err := NewCompressor(&b, c)
			if err != nil {
				t.Fatal(err)
			}
			aw := NewAsyncWriter(zw, 1<<20)
			if _, err := Generate(aw, opt); err != nil {
				t.Fatal(err)
			}
			if err := aw.Close(); err != nil {
				t.Fatal(err)
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			outs[i] = b.Bytes()
		}
		if !bytes.Equal(outs[0], outs[1]) {
			t.Errorf("%s output differs between runs", c)
		}
	}
}

func TestSizeTargeting(t *testing.T) {
	for _, kind := range []string{KindKudu, KindAppLogCSV, KindAppLogText} {
		for _, size := range []int64{1, 1000, 123_457, 2 << 20} {
			out := generate(t, GenerateOptions{Config: BenchConfig(3, testStart, 1), Kind: kind, Size: size})
			n := int64(len(out))
			if n < size {
				t.Errorf("%s size %d: got only %d bytes", kind, size, n)
			}
			// It stops at the end of the line that reached the size (the CSV header comes
			// with the first row).
			last := bytes.LastIndexByte(out[:len(out)-1], '\n')
			if kind == KindAppLogCSV && last+1 == len(CSVHeader) {
				last = -1
			}
			if int64(last+1) >= size {
				t.Errorf("%s size %d: %d bytes, more than one line past the target", kind, size, n)
			}
			if out[len(out)-1] != '\n' {
				t.Errorf("%s size %d: output does not end with a full line", kind, size)
			}
		}
	}
}

// chaosConfig is a benchmark configuration with many failures and every kind of incident in
// its first half day.
func chaosConfig(seed uint64) Config {
	cfg := BenchConfig(seed, testStart, 2)
	cfg.Chaos = 8 // plenty of crashes and handled errors
	h := func(n int) time.Time { return testStart.Add(time.Duration(n) * time.Hour) }
	cfg.Incidents = append(cfg.Incidents,
		Incident{Kind: SiteRestart, At: h(5)},
		Incident{Kind: SecretExpired, At: h(7), Until: h(9)},
		Incident{Kind: Redeploy, Job: Office365ActivityImporter, At: h(10)},
		Incident{Kind: SchemaMismatch, Job: Office365ActivityImporter, At: h(10), Until: h(11)},
		Incident{Kind: Redeploy, Job: Office365ActivityImporter, At: h(11)},
		Incident{Kind: SQLReadOnly, At: h(12)},
	)
	return cfg
}

func TestKuduLinesMatchPrefix(t *testing.T) {
	cfg := chaosConfig(11)
	out := generate(t, GenerateOptions{Config: cfg, Kind: KindKudu, Size: 6 << 20})
	if !bytes.HasSuffix(out, []byte("\r\n")) {
		t.Fatal("Kudu output does not end with CRLF")
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n")
	seen := map[string]int{}
	instances := map[string]bool{}
	for i, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d contains a bare CR or LF: %q", i+1, l)
		}
		m := kuduLine.FindStringSubmatch(l)
		if m == nil {
			// A continuation line of a multi-line Kudu SYS record would have no prefix; the
			// simulator writes none, so every line must match.
			t.Fatalf("line %d does not match the Kudu prefix: %q", i+1, l)
		}
		if _, err := time.Parse("01/02/2006 15:04:05", m[1]); err != nil {
			t.Fatalf("line %d: bad time %q", i+1, m[1])
		}
		instances[m[2]] = true
		if m[4] == "ERR" {
			t.Fatalf("line %d: ERR not padded to 4: %q", i+1, l)
		}
		if !strings.HasPrefix(l[strings.Index(l, "]"):], "] ") {
			t.Fatalf("line %d: no space after ']' (an empty message keeps it): %q", i+1, l)
		}
		for _, want := range []string{"Unhandled Exception: System.InvalidOperationException: The model backing", "---> (Inner Exception #0) ", "   --- End of inner exception stack trace ---",
			"--- End of stack trace from previous location where exception was thrown ---", "Job failed due to exit code -532462766", "Process went down, waiting for 60 seconds",
			"Status changed to PendingRestart", "WebJob is still running", "Got SQL error: ", "Audit events import: processed ", "New event 'FinishedSectionImport'",
			"New event 'FinishedImportCycle'", "Waiting 10 mins...", "WebJob is stopping due to website shutting down", "Detected WebJob file/s were updated, refreshing WebJob",
			"Got exception on ProcessCallQueueAndWebhook: AADSTS7000215", "Trace ID: ", "ClientConnectionId:", "Couldn't create webhook at URL"} {
			if strings.Contains(l, want) {
				seen[want]++
			}
		}
	}
	for _, want := range []string{"Unhandled Exception: System.InvalidOperationException: The model backing", "---> (Inner Exception #0) ", "   --- End of inner exception stack trace ---",
		"--- End of stack trace from previous location where exception was thrown ---", "Job failed due to exit code -532462766", "Process went down, waiting for 60 seconds",
		"Status changed to PendingRestart", "WebJob is still running", "Got SQL error: ", "Audit events import: processed ", "New event 'FinishedSectionImport'",
		"New event 'FinishedImportCycle'", "Waiting 10 mins...", "WebJob is stopping due to website shutting down"} {
		if seen[want] == 0 {
			t.Errorf("no line with %q in 6 MB of chaotic output", want)
		}
	}
	if len(instances) != 2 {
		t.Errorf("lines of %d instances, want 2 interleaved", len(instances))
	}
	// Empty ERR line before every crash, as the CLR writes it.
	if !strings.Contains(string(out), "ERR ] \r\n[") {
		t.Error("no empty ERR line")
	}
}

func TestAppPrefixAndMultiLine(t *testing.T) {
	out := string(generate(t, GenerateOptions{Config: BenchConfig(5, testStart, 1), Kind: KindKudu, Size: 1 << 20, Job: Office365ActivityImporter}))
	prefix := regexp.MustCompile(`\] (\d{2})-(\d{2})-(\d{2}):(\d{2}): `)
	for _, l := range strings.Split(out, "\r\n") {
		m := kuduLine.FindStringSubmatch(l)
		if m == nil || m[3] != "" {
			continue
		}
		p := prefix.FindStringSubmatch(l)
		if p == nil {
			continue
		}
		// The app's clock (local time = UTC) is at most a second behind Kudu's.
		kt, _ := time.Parse("01/02/2006 15:04:05", m[1])
		h, _ := strconv.Atoi(p[1])
		mi, _ := strconv.Atoi(p[2])
		s, _ := strconv.Atoi(p[3])
		at := time.Date(kt.Year(), kt.Month(), kt.Day(), h, mi, s, 0, time.UTC)
		if d := kt.Sub(at); d < 0 || d > time.Second {
			if d < -23*time.Hour { // across midnight
				continue
			}
			t.Fatalf("app time %s vs Kudu time %s: %q", at, kt, l)
		}
	}
	// "\nConfigured values:" gives a prefix-only line and an unprefixed line.
	if !regexp.MustCompile(`INFO\] \d{2}-\d{2}-\d{2}:\d{2}: \r\n\[[^]]+INFO\] Configured values:\r\n`).MatchString(out) {
		t.Error("leading newline of '\\nConfigured values:' not rendered as two lines")
	}
}

func TestKuduCap(t *testing.T) {
	var b bytes.Buffer
	var capped []int64
	k, err := NewKuduLog(&b, KuduOptions{Cap: true, OnLine: func(e *Event, line int64) {
		if e.Mark == MarkConsoleCapped {
			capped = append(capped, line)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t0 := testStart
	ev := func(run int, s Stream, text string) {
		l := Info
		if s == Stderr {
			l = Err
		}
		if err := k.Write(&Event{Time: t0, Instance: "abc123", Job: AppInsightsImporter, Stream: s, Level: l, Text: text, Run: run}); err != nil {
			t.Fatal(err)
		}
		t0 = t0.Add(time.Second)
	}
	ev(1, KuduSystem, "Status changed to Running")
	for i := range 250 {
		if i%7 == 0 {
			ev(1, KuduSystem, "WebJob is still running")
		}
		s := Stdout
		if i%3 == 0 {
			s = Stderr
		}
		ev(1, s, "line "+strconv.Itoa(i))
	}
	ev(2, KuduSystem, "Status changed to Running")
	for i := range 5 {
		ev(2, Stdout, "second run "+strconv.Itoa(i))
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n")
	var console, sys, warn int
	for _, l := range lines {
		switch {
		case strings.Contains(l, ": SYS "):
			sys++
		case strings.Contains(l, "WARN] "+KuduCapMessage):
			warn++
		default:
			console++
		}
	}
	if console != 200+5 || warn != 1 || sys != 2+36 {
		t.Fatalf("console %d (want 205), cap warnings %d (want 1), sys %d (want 38)", console, warn, sys)
	}
	if !strings.Contains(b.String(), "line 199\r\n") || strings.Contains(b.String(), "line 200\r\n") {
		t.Error("cap not after the 200th console line")
	}
	if len(capped) != 1 || !strings.Contains(lines[capped[0]-1], KuduCapMessage) || !strings.HasSuffix(lines[capped[0]-2], "] line 199") {
		t.Errorf("OnLine did not report the cap line correctly: %v", capped)
	}
	if !strings.Contains(b.String(), "ERR ] line 0\r\n") {
		t.Error("stderr not rendered as 'ERR ]'")
	}
}

func TestKuduRotation(t *testing.T) {
	var m MemJobLog
	rotations := 0
	k, err := NewKuduLog(&m, KuduOptions{RotateBytes: 1000, OnRotate: func() { rotations++ }})
	if err != nil {
		t.Fatal(err)
	}
	line := func(i int) *Event {
		return &Event{Time: testStart.Add(time.Duration(i) * time.Second), Instance: "abc123", Job: AppInsightsImporter, Stream: Stdout, Text: "message " + strconv.Itoa(i)}
	}
	lineLen := len(AppendKuduLine(nil, line(10)))
	var written []string
	for i := 10; i < 60; i++ {
		before := k.Size()
		if err := k.Write(line(i)); err != nil {
			t.Fatal(err)
		}
		written = append(written, string(AppendKuduLine(nil, line(i))))
		// Kudu rolls when the file is larger than the limit before a write.
		if before > 1000 && k.Size() != int64(lineLen) {
			t.Fatalf("no rotation although job_log.txt had %d bytes", before)
		}
	}
	if rotations == 0 || !m.HasPrev {
		t.Fatal("no rotation")
	}
	if m.Prev.Len() <= 1000 || m.Prev.Len() > 1000+lineLen {
		t.Errorf("job_prev_log.txt has %d bytes, want just over 1000", m.Prev.Len())
	}
	all := strings.Join(written, "")
	if !strings.HasSuffix(all, m.Prev.String()+m.Log.String()) {
		t.Error("prev + current is not the tail of what was written")
	}
	// Without a JobLogFiles writer rotation is refused.
	if _, err := NewKuduLog(io.Discard, KuduOptions{RotateBytes: 10}); err == nil {
		t.Error("rotation accepted on a plain writer")
	}
}

func TestCSVParsesBack(t *testing.T) {
	out := generate(t, GenerateOptions{Config: chaosConfig(13), Kind: KindAppLogCSV, Size: 3 << 20})
	if !bytes.HasPrefix(out, []byte(CSVHeader)) {
		t.Fatal("no header")
	}
	r := csv.NewReader(bytes.NewReader(out))
	r.FieldsPerRecord = 10
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",")+"\r\n" != CSVHeader {
		t.Fatalf("header %q", recs[0])
	}
	quoted := 0
	var prev int64
	for i, rec := range recs[1:] {
		date, err := time.Parse("2006-01-02T15:04:05", rec[0])
		if err != nil {
			t.Fatalf("row %d: date %q", i+2, rec[0])
		}
		ticks, err := strconv.ParseInt(rec[4], 10, 64)
		if err != nil {
			t.Fatalf("row %d: ticks %q", i+2, rec[4])
		}
		if tt := TicksTime(ticks); !tt.Truncate(time.Second).Equal(date) {
			t.Fatalf("row %d: ticks %d = %s, date %s", i+2, ticks, tt, date)
		}
		if ticks < prev && rec[3] == recs[i][3] {
			t.Fatalf("row %d: ticks go back in time within one instance", i+2)
		}
		prev = ticks
		if rec[1] != "Information" && rec[1] != "Error" {
			t.Fatalf("row %d: level %q", i+2, rec[1])
		}
		if rec[2] != "contoso-analytics" || len(rec[3]) != 6 || rec[5] != "0" || rec[9] != "" {
			t.Fatalf("row %d: %q", i+2, rec)
		}
		if strings.HasPrefix(rec[8], "Status changed to") || strings.HasPrefix(rec[8], "Run script") {
			t.Fatalf("row %d: Kudu SYS line in the application log: %q", i+2, rec[8])
		}
		if strings.ContainsAny(rec[8], ",\"") {
			quoted++
		}
	}
	if quoted == 0 {
		t.Error("no message needed quoting; the quoting path is untested")
	}
	if !bytes.Contains(out, []byte(",Error,")) {
		t.Error("no Error rows (stderr)")
	}
	if bytes.Count(out, []byte("\r\n")) != len(recs) {
		t.Error("lines are not CRLF-terminated one per record")
	}
}

func TestBlobsAndBundle(t *testing.T) {
	cfg := BenchConfig(17, testStart, 2)
	cfg.End = testStart.Add(30 * time.Hour)
	var ms MemSink
	res, err := WriteBundle(&ms, BundleOptions{Config: cfg, Kudu: KuduOptions{Cap: true, RotateBytes: 64 << 10}, FSDir: "LogFiles/Application/"})
	if err != nil {
		t.Fatal(err)
	}
	var blobs, fsLogs, jobLogs, prevLogs, statuses int
	blobName := regexp.MustCompile(`^applogs/contoso-analytics/\d{4}/\d{2}/\d{2}/\d{2}/[0-9a-f]{6}-\d+\.applicationLog\.csv$`)
	var total int64
	for _, n := range ms.Names() {
		b := ms.Files[n].Bytes()
		total += int64(len(b))
		switch {
		case strings.HasPrefix(n, "applogs/"):
			if !blobName.MatchString(n) {
				t.Errorf("blob name %q", n)
			}
			if !bytes.HasPrefix(b, []byte(CSVHeader)) {
				t.Errorf("%s: no header", n)
			}
			// Every row belongs to the blob's hour.
			hour := n[len("applogs/contoso-analytics/"):len("applogs/contoso-analytics/2026/03/02/06")]
			want := strings.ReplaceAll(hour, "/", "-")
			want = want[:10] + "T" + want[11:]
			for _, l := range strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")[1:] {
				if !strings.HasPrefix(l, want) {
					t.Fatalf("%s: row of another hour: %q", n, l)
				}
			}
			blobs++
		case strings.HasPrefix(n, "LogFiles/Application/"):
			fsLogs++
			for _, l := range strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n") {
				if !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}  PID\[\d+\] (Information|Error      ) `).MatchString(l) {
					t.Fatalf("%s: %q", n, l)
				}
			}
		case strings.HasSuffix(n, "/"+JobLogName):
			jobLogs++
		case strings.HasSuffix(n, "/"+JobPrevLogName):
			prevLogs++
			if len(b) <= 64<<10 {
				t.Errorf("%s: %d bytes, rotated before the limit", n, len(b))
			}
		case strings.Contains(n, "/status_"):
			statuses++
			if !regexp.MustCompile(`^\{"Status":"\w+"\}$`).Match(b) {
				t.Errorf("%s: %q", n, b)
			}
		default:
			t.Errorf("unexpected file %q", n)
		}
	}
	if blobs < 60 || fsLogs < 2 || jobLogs != 2 || prevLogs != 2 || statuses != 4 {
		t.Errorf("blobs %d, fs logs %d, job logs %d, prev logs %d, status files %d", blobs, fsLogs, jobLogs, prevLogs, statuses)
	}
	if total != res.Bytes {
		t.Errorf("result says %d bytes, files hold %d", res.Bytes, total)
	}
}

func TestFormatting(t *testing.T) {
	at := time.Date(2026, 11, 19, 0, 5, 9, 870_000_000, time.UTC)
	for got, want := range map[string]string{
		string(appendAppPrefix(nil, at)):       "00-05-09:87: ",
		string(appendKuduTime(nil, at)):        "11/19/2026 00:05:09",
		dotnetDateTime(at):                     "11/19/2026 12:05:09 AM",
		dotnetDateTime(at.Add(13 * time.Hour)): "11/19/2026 1:05:09 PM",
		shortTime(at.Add(15 * time.Hour)):      "3:05 PM",
		hundredths(at):                         "2026-11-19 00:05:09.87",
		n0(1234567):                            "1,234,567",
		n0(999):                                "999",
		n0(-1000):                              "-1,000",
		n2(4.237):                              "4.24",
		timerText("Teams import", 25*time.Hour+61*time.Second): "Teams import: 1 hours, 1 mins, and 1 seconds.",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	// .NET ticks of the documented sample: 635266966128818593 = 2014-01-30 16:36:52.8818593.
	if got := TicksTime(635266966128818593); !got.Equal(time.Date(2014, 1, 30, 16, 36, 52, 881859300, time.UTC)) {
		t.Errorf("TicksTime: %s", got)
	}
	if Ticks(TicksTime(635266966128818593)) != 635266966128818593 {
		t.Error("Ticks does not invert TicksTime")
	}
}

func TestAsyncWriterAndZstd(t *testing.T) {
	var b bytes.Buffer
	zw, _ := NewCompressor(&b, CompressZstd)
	aw := NewAsyncWriter(zw, 4096)
	want := generate(t, GenerateOptions{Config: BenchConfig(2, testStart, 1), Kind: KindKudu, Size: 200_000})
	for i := 0; i < len(want); i += 777 {
		aw.Write(want[i:min(i+777, len(want))])
	}
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	zr, err := zstd.NewReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(bufio.NewReader(zr))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("zstd round trip through AsyncWriter differs")
	}
}

// BenchmarkGenerate measures generation speed (no disk): go test -bench Generate ./bench/gen
func BenchmarkGenerate(b *testing.B) {
	for _, kind := range []string{KindKudu, KindAppLogCSV} {
		b.Run(kind, func(b *testing.B) {
			var n int64
			for range b.N {
				m, err := Generate(io.Discard, GenerateOptions{Config: BenchConfig(1, testStart, 2), Kind: kind, Size: 64 << 20})
				if err != nil {
					b.Fatal(err)
				}
				n = m
			}
			b.SetBytes(n)
		})
	}
}

func TestProgressSteps(t *testing.T) {
	for _, n := range []int{1, 2, 12, 40, 99, 100, 101, 1800} {
		var got []int
		sum := 0
		progressSteps(n, func(pc, step int) {
			if pc < 100 {
				got = append(got, pc)
			}
			sum += step
		})
		// Reference: the loop of ActivityImporter.ProcessSummaryChunkAsync (rounding half up).
		var want []int
		last := 0
		for i := 1; i <= n; i++ {
			pc := int(float64(i)/float64(n)*100 + 0.5)
			if pc > last && pc < 100 && pc > 0 {
				want = append(want, pc)
				last = pc
			}
		}
		if sum != n || len(got) != len(want) {
			t.Fatalf("n=%d: steps sum to %d, reported %v, want %v", n, sum, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("n=%d: reported %v, want %v", n, got, want)
			}
		}
	}
}
