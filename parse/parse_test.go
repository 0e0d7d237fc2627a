package parse

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// render prints a batch in a stable text form for golden comparison.
func render(b *Batch) string {
	var sb strings.Builder
	t := &b.Traces
	ids := TemplateIDs()
	for i := 0; i < t.Len(); i++ {
		sys := ""
		if t.System[i] {
			sys = "SYS "
		}
		fmt.Fprintf(&sb, "trace L%d+%d %s %s %s%s sev=%d tmpl=%s job=%s(%s) op=%s pid=%d trunc=%v app=%q msg=%q\n",
			t.LineNo[i], t.LineCount[i], time.UnixMicro(t.Time[i]).UTC().Format("2006-01-02T15:04:05.000000Z"),
			t.Instance.Value(i), sys, t.Level[i], t.Severity[i], ids[t.Template[i]], t.Job.Value(i), t.JobSource[i],
			t.Operation.Value(i), t.PID[i], t.Truncated[i], t.AppTime.Value(i), t.Message.Value(i))
	}
	for i := 0; i < b.Exceptions.Len(); i++ {
		e := b.Exceptions.Row(i)
		fmt.Fprintf(&sb, "exception L%d+%d %s %s origin=%s(%s) job=%s outer=%s: %q innermost=%s: %q frames=%d\n",
			e.LineNo, e.LineCount, time.UnixMicro(e.Time).UTC().Format(time.RFC3339), e.Instance, e.Origin, e.InferredBy, e.Job,
			e.OuterType, e.OuterMessage, e.InnermostType, e.InnermostMessage, e.Frames)
	}
	for i := 0; i < b.Events.Len(); i++ {
		e := b.Events.Row(i)
		fmt.Fprintf(&sb, "event L%d %s name=%s section=%q duration=%d props=%s job=%s\n",
			e.LineNo, time.UnixMicro(e.Time).UTC().Format(time.RFC3339), e.Name, e.Section, e.DurationS, e.Properties, e.Job)
	}
	for _, r := range b.Rejects {
		fmt.Fprintf(&sb, "reject L%d %s: %q\n", r.LineNo, r.Reason, r.Raw)
	}
	s := b.Stats
	fmt.Fprintf(&sb, "stats lines=%d parsed=%d rejected=%d first=%s last=%s cap=%d hints=%v\n",
		s.Lines, s.Parsed, s.Rejected, time.UnixMicro(s.FirstTime).UTC().Format(time.RFC3339),
		time.UnixMicro(s.LastTime).UTC().Format(time.RFC3339), s.CapReached, s.JobHints)
	return sb.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s: output differs from golden file (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func checkAccounting(t *testing.T, b *Batch, data []byte) {
	t.Helper()
	s := b.Stats
	if s.Lines != s.Parsed+s.Rejected {
		t.Errorf("lines %d != parsed %d + rejected %d", s.Lines, s.Parsed, s.Rejected)
	}
	want := int64(bytes.Count(data, []byte{'\n'}))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		want++
	}
	if s.Lines != want {
		t.Errorf("counted %d lines, file has %d", s.Lines, want)
	}
	var inRows int64
	for _, n := range b.Traces.LineCount {
		inRows += int64(n)
	}
	if inRows+int64(len(b.Rejects)) > s.Lines {
		t.Errorf("rows span %d lines + %d rejects > %d lines", inRows, len(b.Rejects), s.Lines)
	}
}

func parseFile(t *testing.T, p Parser, name string, fi *FileInfo) (*Batch, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	b := NewBatch(64)
	p.Parse(&Chunk{Data: data, FirstLine: 1, File: fi}, b)
	checkAccounting(t, b, data)
	return b, data
}

func TestKuduLogGolden(t *testing.T) {
	fi := &FileInfo{Job: "Office365ActivityImporter", JobSource: JobByPath}
	b, _ := parseFile(t, &KuduLog{}, "crash_job_log.txt", fi)
	golden(t, "crash_job_log", render(b))
	// CRLF line ends and a last line without a terminator give the same rows.
	b2, _ := parseFile(t, &KuduLog{}, "crash_job_log.crlf.txt", fi)
	if got, want := render(b2), render(b); got != want {
		t.Errorf("CRLF parse differs from LF parse:\n%s\nvs\n%s", got, want)
	}
}

func TestAppLogCSVGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/applog.csv")
	if err != nil {
		t.Fatal(err)
	}
	lay, err := NewCSVLayout(firstLine(data))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := parseFile(t, &AppLogCSV{}, "applog.csv", &FileInfo{CSV: lay})
	golden(t, "applog_csv", render(b))
}

// Parsing a file in chunks cut at SafeCut points gives the same rows as parsing it whole.
func TestChunkingInvariance(t *testing.T) {
	data, err := os.ReadFile("testdata/crash_job_log.txt")
	if err != nil {
		t.Fatal(err)
	}
	fi := &FileInfo{Job: "Office365ActivityImporter", JobSource: JobByPath}
	whole := NewBatch(64)
	(&KuduLog{}).Parse(&Chunk{Data: data, FirstLine: 1, File: fi}, whole)

	for size := 40; size < len(data); size += 97 {
		var all strings.Builder
		var stats Stats
		p := &KuduLog{}
		rest, line := data, int64(1)
		for len(rest) > 0 {
			// Like the pipeline's chunker: cut at the last safe point within size bytes,
			// growing the window until there is one.
			n := len(rest)
			for w := size; w < len(rest); w += size {
				if c := KuduSafeCut(rest[:w]); c > 0 {
					n = c
					break
				}
			}
			b := NewBatch(16)
			p.Parse(&Chunk{Data: rest[:n], FirstLine: line, File: fi}, b)
			line += int64(bytes.Count(rest[:n], []byte{'\n'}))
			stats.Add(&b.Stats)
			b.Stats = Stats{}
			all.WriteString(render(b))
			rest = rest[n:]
		}
		stripStats := func(s string) string {
			var out []string
			for _, l := range strings.Split(s, "\n") {
				if !strings.HasPrefix(l, "stats ") && l != "" {
					out = append(out, l)
				}
			}
			return sortedLines(out)
		}
		if got, want := stripStats(all.String()), stripStats(render(whole)); got != want {
			t.Fatalf("chunk size %d: rows differ\n--- chunked\n%s\n--- whole\n%s", size, got, want)
		}
		if stats.Lines != whole.Stats.Lines || stats.Parsed != whole.Stats.Parsed || stats.Rejected != whole.Stats.Rejected {
			t.Fatalf("chunk size %d: stats %+v, whole %+v", size, stats, whole.Stats)
		}
	}
}

func sortedLines(l []string) string {
	// rows of different kinds are emitted per chunk; order within a kind is what matters
	var traces, other []string
	for _, s := range l {
		if strings.HasPrefix(s, "trace ") {
			traces = append(traces, s)
		} else {
			other = append(other, s)
		}
	}
	return strings.Join(traces, "\n") + "\n" + strings.Join(sortStrings(other), "\n")
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

func TestParseKuduLine(t *testing.T) {
	f := func(line string, want PrefixResult, wantInst, wantLevel string, wantSys bool, wantMsg string) {
		t.Helper()
		var kl KuduLine
		got := ParseKuduLine([]byte(line), &kl)
		if got != want {
			t.Fatalf("%q: result %d, want %d", line, got, want)
		}
		if got != Prefixed {
			return
		}
		if string(kl.Instance) != wantInst || kl.Level.String() != wantLevel || kl.System != wantSys || string(kl.Message) != wantMsg {
			t.Fatalf("%q: got inst=%q level=%s sys=%v msg=%q", line, kl.Instance, kl.Level, kl.System, kl.Message)
		}
	}
	f("[02/02/2018 22:08:07 > 56842c: SYS INFO] Status changed to Running", Prefixed, "56842c", "INFO", true, "Status changed to Running")
	f("[01/13/2014 17:35:59 > a905a3: SYS ERR ] Job failed due to exit code -532462766", Prefixed, "a905a3", "ERR", true, "Job failed due to exit code -532462766")
	f("[11/03/2020 08:40:55 > 494acb: ERR ]    at X.Y()", Prefixed, "494acb", "ERR", false, "   at X.Y()")
	f("[11/03/2020 08:40:55 > 494acb: ERR] x", Prefixed, "494acb", "ERR", false, "x")
	f("[11/03/2020 08:40:46 > 494acb: INFO] ", Prefixed, "494acb", "INFO", false, "")
	f("[11/03/2020 08:40:46 > 494acb: INFO]", Prefixed, "494acb", "INFO", false, "")
	f("[10/13/2015 19:49:08 > RD0003FF: WARN] Reached", Prefixed, "RD0003FF", "WARN", false, "Reached")
	f("   at System.IO.__Error.WinIOError(Int32 errorCode, String maybeFullPath)", NoPrefix, "", "", false, "")
	f("[START-UP] SPOInsights", NoPrefix, "", "", false, "")
	f("", NoPrefix, "", "", false, "")
	f("[13/03/2020 08:41:58 > 494acb: SYS INFO] x", BadTime, "", "", false, "")
	f("[02/30/2020 08:41:58 > 494acb: SYS INFO] x", BadTime, "", "", false, "")
	f("[02/29/2020 08:41:58 > 494acb: SYS INFO] leap", Prefixed, "494acb", "INFO", true, "leap")
	f("[02/29/2021 08:41:58 > 494acb: SYS INFO] x", BadTime, "", "", false, "")
	f("[12/03/2020 24:41:58 > 494acb: INFO] x", BadTime, "", "", false, "")
	f("[12/03/2020 08:41:58 > 494acb: DEBUG] x", BadLevel, "", "", false, "")
	f("[12/03/2020 08:41:58 > 494acb INFO] x", BadLevel, "", "", false, "")

	var kl KuduLine
	ParseKuduLine([]byte("[11/22/2026 10:15:32 > 5e1c2a: INFO] x"), &kl)
	if got := time.UnixMicro(kl.Time).UTC(); !got.Equal(time.Date(2026, 11, 22, 10, 15, 32, 0, time.UTC)) {
		t.Errorf("time %v", got)
	}
}

func TestSplitAppPrefix(t *testing.T) {
	f := func(msg, wantPrefix, wantRest string) {
		t.Helper()
		p, r := splitAppPrefix([]byte(msg))
		if string(p) != wantPrefix || string(r) != wantRest {
			t.Fatalf("%q: got %q, %q", msg, p, r)
		}
	}
	f("10-15-32:45: Waiting 10 mins...", "10-15-32:45", "Waiting 10 mins...")
	f("10-09-29:45: ", "10-09-29:45", "")
	f("10-09-29:45:", "10-09-29:45", "")
	f("10-09-29.45: x", "10-09-29.45", "x")
	f("[10:08 PM] Testing SQL config...", "10:08 PM", "Testing SQL config...")
	f("[6:08 AM] Found 870 events", "6:08 AM", "Found 870 events")
	f("[START-UP] SPOInsights.WebJob", "", "[START-UP] SPOInsights.WebJob")
	f("10-09-29:45:x", "", "10-09-29:45:x")
	f("Waiting 10 mins...", "", "Waiting 10 mins...")
	f("", "", "")
}

func TestTemplates(t *testing.T) {
	f := func(msg, want string) {
		t.Helper()
		if got := MatchTemplate([]byte(msg)); got != want {
			t.Fatalf("%q: template %q, want %q", msg, got, want)
		}
	}
	f("Waiting 10 mins...", "wait-mins")
	f("Waiting 2 mins...", "wait-mins")
	f("Finished activity import. Time taken in = 12.50 minutes. Stats: Imported successfully: 1,234, already processed: 0, URLs out of scope (orgs table): 3, errors: 0, total: 1,237", "activity-import-finished")
	f("Teams import: 0 hours, 1 mins, and 53 seconds.", TemplateSectionTimer)
	f("SPOInsights.WebJob.AppInsightsImporter taken so far: 0 hours, 0 mins, and 22 seconds.", TemplateSectionTimer)
	f("New event 'FinishedImportCycle'; 'context=SPOInsights.WebJob.AppInsightsImporter: 0 hours, 0 mins, and 4 seconds.'.", TemplateEvent)
	f("Updated subscription '12' for webhook, for URL 'https://x/api/CallRecordWebhook'.", "webhook-subscription-updated")
	f("Updated subscription 110299673", "webhook-subscription-updated")
	f("Updated 3 URLs from 5 page-update events", "urls-updated")
	f("10:15 AM User import - start", "user-import-start")
	f("+Audit.SharePoint", "plus-item")
	f("+", "plus-item")
	f("Got SQL error: Failed to update database \"AnalyticsDB\" because the database is read-only.", "sql-error")
	f("Got a SQL error: Login failed", "sql-error-startup")
	f("Status changed to Running", "kudu-status")
	f("Unhandled Exception: System.InvalidOperationException: x", TemplateCrashHeader)
	f("   at A.B()", "stack-frame")
	f("Hits downloaded - '1,234' in total. Earliest: 2026-11-19 10:00:01.12, latest: 2026-11-19 10:09:58.40", "hits-downloaded")
	f("Something the catalogue does not know", "")
	f("", "")
	f("x", "")
	f("Audit events import: processed 45% activity report data...", "audit-progress")
	f("Audit events import: Got 1,234 audit events from 12 summary reports. 1,200 imported, 34 processed already, 0 URLs out of scope of SharePoint site import whitelist (org_urls)", "audit-got-events")

	// Every template matches its own text with the holes filled.
	for _, tm := range Templates() {
		text := strings.ReplaceAll(tm.Text, "{}", "1")
		if got := MatchTemplate([]byte(text)); got != tm.ID && !(strings.HasPrefix(text, "Updated") && got == "urls-updated") {
			t.Errorf("template %s does not match its own text %q (got %q)", tm.ID, text, got)
		}
	}
}

func TestAnalyzeException(t *testing.T) {
	f := func(text, outerT, outerM, innerT, innerM string, frames int) {
		t.Helper()
		got := AnalyzeException(text)
		want := ExceptionInfo{outerT, outerM, innerT, innerM, frames}
		if got != want {
			t.Fatalf("%q:\n got %+v\nwant %+v", text, got, want)
		}
	}
	f("Unhandled Exception: System.InvalidOperationException: The model backing the 'X' context has changed.\n   at A.B()\n   at C.D()",
		"System.InvalidOperationException", "The model backing the 'X' context has changed.",
		"System.InvalidOperationException", "The model backing the 'X' context has changed.", 2)
	f("System.Data.Entity.Core.EntityException: The underlying provider failed on Open. ---> System.Data.SqlClient.SqlException: Login failed for user 'x'.\r\n   at System.Data.SqlClient.SqlInternalConnection.OnError()\r\n   --- End of inner exception stack trace ---\r\n   at System.Data.Entity.Core.EntityClient.EntityConnection.Open()",
		"System.Data.Entity.Core.EntityException", "The underlying provider failed on Open.",
		"System.Data.SqlClient.SqlException", "Login failed for user 'x'.", 2)
	f("System.AggregateException: One or more errors occurred. ---> System.Net.Http.HttpRequestException: Response status code does not indicate success: 401 (Unauthorized).\n   at A.B()\n   --- End of inner exception stack trace ---\n   at System.Threading.Tasks.Task.ThrowIfExceptional(Boolean includeTaskCanceledExceptions)\n---> (Inner Exception #0) System.Net.Http.HttpRequestException: Response status code does not indicate success: 401 (Unauthorized).\n   at A.B()<---",
		"System.AggregateException", "One or more errors occurred.",
		"System.Net.Http.HttpRequestException", "Response status code does not indicate success: 401 (Unauthorized).", 3)
	f("System.AggregateException: One or more errors occurred.\n   at X.Y()\n---> (Inner Exception #0) System.IO.IOException: disk full ---> System.ComponentModel.Win32Exception: no space<---",
		"System.AggregateException", "One or more errors occurred.", "System.ComponentModel.Win32Exception", "no space<---", 1)
	f("Failed to copy job files: System.IO.IOException: The process cannot access the file.\n   at System.IO.__Error.WinIOError(Int32 errorCode, String maybeFullPath)",
		"System.IO.IOException", "The process cannot access the file.", "System.IO.IOException", "The process cannot access the file.", 1)
	// Kudu's LogWarning("Failed to diff ... \n" + ex): the sentence has a line of its own.
	f("Failed to diff WebJob directories for changes. Continuing to copy WebJob binaries (this will not affect the WebJob run)\nSystem.IO.IOException: The process cannot access the file 'D:\\local\\Temp\\jobs\\continuous\\AppInsightsImporter\\x.dll' because it is being used by another process.\n   at System.IO.__Error.WinIOError(Int32 errorCode, String maybeFullPath)\n   at Kudu.Core.Jobs.BaseJobRunner.JobDirectoryHasChanged()",
		"System.IO.IOException", "The process cannot access the file 'D:\\local\\Temp\\jobs\\continuous\\AppInsightsImporter\\x.dll' because it is being used by another process.",
		"System.IO.IOException", "The process cannot access the file 'D:\\local\\Temp\\jobs\\continuous\\AppInsightsImporter\\x.dll' because it is being used by another process.", 2)
	f("Unhandled exception. System.Exception: boom\n ---> System.TimeoutException: late\n   at A.B()",
		"System.Exception", "boom", "System.TimeoutException", "late", 1)
	f("System.OutOfMemoryException", "System.OutOfMemoryException", "", "System.OutOfMemoryException", "", 0)
}

func TestParseEventLine(t *testing.T) {
	ev, ok := parseEventLine([]byte("New event 'FinishedSectionImport'; 'context=Teams import: 0 hours, 1 mins, and 53 seconds.'."))
	if !ok || string(ev.name) != "FinishedSectionImport" || string(ev.section) != "Teams import" || ev.duration != 113 {
		t.Fatalf("%+v %v", ev, ok)
	}
	if got := propsJSON(ev.props); got != `{"context":"Teams import: 0 hours, 1 mins, and 53 seconds."}` {
		t.Fatalf("props %s", got)
	}
	ev, ok = parseEventLine([]byte("New event 'AzureAIQuery'; 'a=1;b=x;y;c=3'."))
	if !ok || ev.duration != NullDuration {
		t.Fatalf("%+v", ev)
	}
	if got := propsJSON(ev.props); got != `{"a":"1","b":"x;y","c":"3"}` {
		t.Fatalf("props %s", got)
	}
	if _, ok := parseEventLine([]byte("New event 'X'; 'unterminated")); ok {
		t.Fatal("accepted a malformed event")
	}
}

// The properties JSON is what encoding/json writes for the same pairs, escapes included.
func TestPropsJSON(t *testing.T) {
	f := func(props string, want [][2]string) {
		t.Helper()
		var b bytes.Buffer
		b.WriteByte('{')
		for i, kv := range want {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(kv[0])
			v, _ := json.Marshal(kv[1])
			b.Write(k)
			b.WriteByte(':')
			b.Write(v)
		}
		b.WriteByte('}')
		if got := propsJSON([]byte(props)); got != b.String() {
			t.Errorf("propsJSON(%q) = %s, want %s", props, got, b.String())
		}
	}
	f("", nil)
	f("context=Teams import: 0 hours, 1 mins, and 53 seconds.", [][2]string{{"context", "Teams import: 0 hours, 1 mins, and 53 seconds."}})
	f("a=1;b=x;y;c=3", [][2]string{{"a", "1"}, {"b", "x;y"}, {"c", "3"}})
	f("no pairs here", [][2]string{{"", "no pairs here"}})
	f("=x", [][2]string{{"", "=x"}})
	f(`msg="quoted" \ <b> & more;n=2`, [][2]string{{"msg", `"quoted" \ <b> & more`}, {"n", "2"}})
	f("tab=a	b;ctl=;bad=ÿþ;u=é ", [][2]string{{"tab", "a	b"}, {"ctl", ""}, {"bad", "ÿþ"}, {"u", "é "}})
}

func TestAppLogText(t *testing.T) {
	data := []byte("\xEF\xBB\xBF2013-12-06T00:29:20  PID[20108] Information this is a log\r\n" +
		"2013-12-06T00:29:21  PID[20108] Warning     this is a warning\r\n" +
		"2013-12-06T00:29:22  PID[20108] Error          at X.Y()\r\n" +
		"continued\r\n")
	if !LooksLikeAppLogText(data) {
		t.Fatal("not recognised")
	}
	b := NewBatch(8)
	(&AppLogText{}).Parse(&Chunk{Data: data, FirstLine: 1, File: &FileInfo{}}, b)
	checkAccounting(t, b, data)
	if b.Traces.Len() != 3 || string(b.Traces.Message.Value(2)) != "   at X.Y()\ncontinued" || b.Traces.Level[1] != Warn || b.Traces.PID[0] != 20108 {
		t.Fatal(render(b))
	}
}

func TestSafeCuts(t *testing.T) {
	data, _ := os.ReadFile("testdata/crash_job_log.txt")
	// Never inside the crash block or before a continuation line.
	for end := 1; end <= len(data); end++ {
		n := KuduSafeCut(data[:end])
		if n == 0 {
			continue
		}
		var kl KuduLine
		next := firstLine(data[n:])
		if ParseKuduLine(next, &kl) != Prefixed || (kl.Level != Info && !kl.System) {
			t.Fatalf("cut at %d before %q", n, next)
		}
	}
	csv, _ := os.ReadFile("testdata/applog.csv")
	for end := 1; end <= len(csv); end++ {
		n := CSVSafeCut(csv[:end])
		if n == 0 {
			continue
		}
		if bytes.Count(csv[:n], []byte{'"'})%2 != 0 || bytes.Contains(firstLine(csv[n:]), []byte(",Error,")) {
			t.Fatalf("bad CSV cut at %d before %q", n, firstLine(csv[n:]))
		}
	}
}

func TestDaysFromCivil(t *testing.T) {
	for y := 1970; y <= 2100; y += 7 {
		for m := 1; m <= 12; m++ {
			for _, d := range []int{1, 15, daysIn(y, m)} {
				want := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() / 86400
				if got := daysFromCivil(y, m, d); got != want {
					t.Fatalf("%d-%d-%d: %d, want %d", y, m, d, got, want)
				}
			}
		}
	}
}

func TestIsCleanASCII(t *testing.T) {
	for _, c := range []struct {
		s    string
		want bool
	}{{"", true}, {"hello world, this is ascii", true}, {"hello\x00world", false}, {"caf\xc3\xa9 au lait!!", false}, {"abcdefgh\x80", false}} {
		if got := isCleanASCII([]byte(c.s)); got != c.want {
			t.Errorf("%q: %v", c.s, got)
		}
	}
	// Every position of the 32-byte blocks and the tail, every kind of bad byte.
	for n := 1; n <= 70; n++ {
		for pos := 0; pos < n; pos++ {
			for _, bad := range []byte{0, 0x80, 0xff, 0xc3} {
				b := bytes.Repeat([]byte{'a'}, n)
				b[pos] = bad
				if isCleanASCII(b) {
					t.Fatalf("len %d, %#x at %d: clean", n, bad, pos)
				}
			}
			b := bytes.Repeat([]byte{0x7f}, n)
			b[pos] = 1
			if !isCleanASCII(b) {
				t.Fatalf("len %d, 0x01 at %d among 0x7f: not clean", n, pos)
			}
		}
	}
}

func TestInferHandled(t *testing.T) {
	f := func(msg string, chain bool, outerT, innerT, innerM, rule string) {
		t.Helper()
		h := inferHandled(msg, chain)
		if h.outerType != outerT || h.innermostType != innerT || h.innermostMessage != innerM || h.rule != rule {
			t.Fatalf("%q: got %+v", msg, h)
		}
	}
	ro := `Failed to update database "AnalyticsDB" because the database is read-only.`
	f(ro, false, "System.Data.SqlClient.SqlException", "System.Data.SqlClient.SqlException", ro, "sql-server-message")
	aad := "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID."
	f(aad, false, "Microsoft.Identity.Client.MsalServiceException", "Microsoft.Identity.Client.MsalServiceException", aad, "aadsts-code")
	f("One or more errors occurred.", false, "System.AggregateException", "", "", "aggregate-default-message")
	f("Exception of type 'System.OutOfMemoryException' was thrown.", false, "System.OutOfMemoryException", "System.OutOfMemoryException",
		"Exception of type 'System.OutOfMemoryException' was thrown.", "default-message")
	f("An error occurred while updating the entries. See the inner exception for details.; An error occurred while updating the entries.; "+ro,
		true, "", "System.Data.SqlClient.SqlException", ro, "sql-server-message")
	f("something nobody can type", false, "", "", "something nobody can type", "")
	f("AADSTS7000215 is not a code without the digits AADSTS12", false, "Microsoft.Identity.Client.MsalServiceException", "Microsoft.Identity.Client.MsalServiceException", "AADSTS7000215 is not a code without the digits AADSTS12", "aadsts-code")
}

func TestTemplateHole(t *testing.T) {
	m := theMatcher
	f := func(msg string, wantID string, i int, want string) {
		t.Helper()
		num := m.match([]byte(msg))
		if m.ids[num] != wantID {
			t.Fatalf("%q: template %s", msg, m.ids[num])
		}
		if got := string(m.byNum[num].hole([]byte(msg), i)); got != want {
			t.Fatalf("%q hole %d: %q, want %q", msg, i, got, want)
		}
	}
	f("Got SQL error: boom", "sql-error", 1, "boom")
	f("SQL exception 'it's bad' when saving page updates for this chunk.", "page-updates-sql-exception", 1, "it's bad")
	f("Couldn't create webhook at URL 'https://x/api'. Got exception: 'Forbidden'", "webhook-create-failed", 1, "https://x/api")
	f("Couldn't create webhook at URL 'https://x/api'. Got exception: 'Forbidden'", "webhook-create-failed", 2, "Forbidden")
	f("Failed to insert record into #t - INSERT x: Timeout", "sql-insert-failed", 2, "INSERT x: Timeout")
}

func TestRedact(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		got, changed := Redact(nil, []byte(in))
		if string(got) != want || changed != (in != want) {
			t.Fatalf("Redact(%q)\n got %q (changed %v)\nwant %q", in, got, changed, want)
		}
	}
	f("Got a SQL error: Login failed. Data Source=tcp:x.database.windows.net;User ID=sa;Password=P@ss w0rd;Encrypt=True",
		"Got a SQL error: Login failed. Data Source=tcp:x.database.windows.net;User ID=sa;Password=[REDACTED];Encrypt=True")
	f("DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;EndpointSuffix=core.windows.net",
		"DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey=[REDACTED];EndpointSuffix=core.windows.net")
	f("GET https://x.blob.core.windows.net/logs?sv=2022-11-02&ss=b&sig=abc%2Bdef%3D&se=2026 failed",
		"GET https://x.blob.core.windows.net/logs?sv=2022-11-02&ss=b&sig=[REDACTED]&se=2026 failed")
	f("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=K3y+abc=",
		"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=[REDACTED]")
	f("client_secret=s3cr3t&grant_type=client_credentials", "client_secret=[REDACTED]&grant_type=client_credentials")
	f("ClientSecret='abc def' ClientID='123'", "ClientSecret='[REDACTED]' ClientID='123'")
	f("Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ trailing",
		"Authorization: Bearer [REDACTED] trailing")
	f("AppInsightsApiKey=abcd1234", "AppInsightsApiKey=[REDACTED]")
	f("Finished activity import. Time taken in = 1.93 minutes.", "Finished activity import. Time taken in = 1.93 minutes.")
	f("New event 'FinishedImportCycle'; 'context=SPOInsights.WebJob.AppInsightsImporter: 0 hours'.", "New event 'FinishedImportCycle'; 'context=SPOInsights.WebJob.AppInsightsImporter: 0 hours'.")
	f("Json error in JobBase", "Json error in JobBase")
	f("eyJ alone is not a token", "eyJ alone is not a token")

	// key: value forms (configuration dumps, HTTP headers, JSON).
	f("ClientSecret: s3cr3t-v4lue", "ClientSecret: [REDACTED]")
	f("Client secret: abc, client ID: 123", "Client secret: [REDACTED], client ID: 123")
	f(`{"clientSecret":"JSON-1","password": "p w","user":"bob"}`, `{"clientSecret":"[REDACTED]","password": "[REDACTED]","user":"bob"}`)
	f(`{'AccountKey': 'abc=='}`, `{'AccountKey': '[REDACTED]'}`)
	f("Authorization: Bearer abcdefghijklmnop.qrstuvwxyz0123 next", "Authorization: Bearer [REDACTED] next")
	f("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic [REDACTED]")
	f("Authorization: 'Bearer opaque-token'", "Authorization: 'Bearer [REDACTED]'")
	f("Authorization=SharedKey acct:c2lnbmF0dXJl", "Authorization=SharedKey [REDACTED]")
	f("calling Graph with Bearer EwBwA8l6BAAUAOyDv0l6PcCVu89kmzvqZmkWABkAAQ end", "calling Graph with Bearer [REDACTED] end")
	f("Bearer short", "Bearer short")
	f("login pwd=hunter2 ok", "login pwd=[REDACTED] ok")
	f("Password = spaced", "Password = [REDACTED]")
	f("SQL connection string='Server=tcp:x,1433;User ID=a;Password=p;'", "SQL connection string='[REDACTED]'")
	f("AzureWebJobsStorage: DefaultEndpointsProtocol=https;AccountName=a;AccountKey=K==;EndpointSuffix=core.windows.net",
		"AzureWebJobsStorage: DefaultEndpointsProtocol=https;AccountName=a;AccountKey=[REDACTED];EndpointSuffix=core.windows.net")
	// Prose and times with a colon are left alone.
	f("21-40-07:12: Got SQL error: Login failed for user 'x'.", "21-40-07:12: Got SQL error: Login failed for user 'x'.")
	f("Retrieving secret: O365AdvancedAnalytics", "Retrieving secret: [REDACTED]") // the safe side
	f("connecting as admin with password: hunter2", "connecting as admin with password: [REDACTED]")
	f("Got exception on ProcessCallQueueAndWebhook: AADSTS7000215: Invalid client secret provided.",
		"Got exception on ProcessCallQueueAndWebhook: AADSTS7000215: Invalid client secret provided.")
	f("Generating new OAuth token...", "Generating new OAuth token...")
	f("text : more", "text : more")
}

// A secret planted in a log line reaches no table.
func TestRedactedRows(t *testing.T) {
	data := []byte("[11/19/2026 21:40:07 > 5e1c2a: INFO] 21-40-07:12: Got SQL error: Cannot open server. Server=tcp:x;Password=hunter2;\r\n" +
		"[11/19/2026 21:40:08 > 5e1c2a: SYS ERR ] Failed to copy job files: System.IO.IOException: sig=abcdef&x\r\n" +
		"   at X.Y(AccountKey=zzzz)\r\n" +
		"[13/19/2026 21:40:09 > 5e1c2a: INFO] bad line Password=hunter2\r\n")
	b := NewBatch(8)
	(&KuduLog{}).Parse(&Chunk{Data: data, FirstLine: 1, File: &FileInfo{Job: "AppInsightsImporter"}}, b)
	out := render(b)
	for _, secret := range []string{"hunter2", "abcdef", "zzzz"} {
		if strings.Contains(out, secret) {
			t.Fatalf("secret %q survived:\n%s", secret, out)
		}
	}
	for i := 0; i < b.Exceptions.Len(); i++ {
		e := b.Exceptions.Row(i)
		if strings.Contains(e.Details+e.OuterMessage+e.InnermostMessage, "hunter2") {
			t.Fatal("secret in exception")
		}
	}
	for _, r := range b.Rejects {
		if strings.Contains(r.Raw, "hunter2") {
			t.Fatal("secret in rejects")
		}
	}
	if b.Stats.Redacted != 4 {
		t.Errorf("redacted %d lines, want 4", b.Stats.Redacted)
	}
	// --no-redact keeps them.
	b2 := NewBatch(8)
	(&KuduLog{}).Parse(&Chunk{Data: data, FirstLine: 1, File: &FileInfo{Job: "AppInsightsImporter", NoRedact: true}}, b2)
	if !strings.Contains(render(b2), "hunter2") {
		t.Fatal("NoRedact redacted")
	}
}
