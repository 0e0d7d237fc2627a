package parse

// Fuzz targets of the parsers. Each checks "no panic", bounded output and the accounting of
// lines; regressions found by fuzzing are kept in testdata/fuzz/<target>.
//
//	go test ./parse -run '^$' -fuzz '^FuzzKuduLog$' -fuzztime 60s

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// maxFuzzInput bounds what one input may be: the properties do not depend on size, and big
// inputs only slow the fuzzer down.
const maxFuzzInput = 256 << 10

// fuzzMaxMessage is the record limit the targets parse with: small, so that it is reached.
const fuzzMaxMessage = 4 << 10

// addSeeds adds the files of the parse testdata and of the sample bundle matching glob, cut to
// their first 16 KiB, and the given strings.
func addSeeds(f *testing.F, globs []string, extra ...string) {
	for _, g := range globs {
		names, _ := filepath.Glob(g)
		for i, name := range names {
			if i >= 4 {
				break
			}
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b[:min(len(b), 16<<10)])
		}
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

// checkBatch checks what every parse must give, whatever the input: every line counted once,
// rows in line order within the input, bounded messages, and only valid UTF-8 (DuckDB stores
// nothing else).
func checkBatch(t *testing.T, data []byte, b *Batch) {
	t.Helper()
	lines := int64(bytes.Count(data, []byte{'\n'}))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		lines++
	}
	s := &b.Stats
	if s.Lines != lines || s.Lines != s.Parsed+s.Rejected {
		t.Fatalf("lines %d, parsed %d, rejected %d; the input has %d lines", s.Lines, s.Parsed, s.Rejected, lines)
	}
	tr := &b.Traces
	prev := int64(0)
	for i := 0; i < tr.Len(); i++ {
		no, n := tr.LineNo[i], int64(tr.LineCount[i])
		if no <= prev || n < 1 || no+n-1 > lines {
			t.Fatalf("row %d: lines %d+%d after line %d, of %d", i, no, n, prev, lines)
		}
		prev = no
		if m := tr.Message.Value(i); len(m) > fuzzMaxMessage || !utf8.Valid(m) {
			t.Fatalf("row %d: message of %d bytes, valid UTF-8 %v", i, len(m), utf8.Valid(m))
		}
		for _, v := range [][]byte{tr.AppTime.Value(i), []byte(tr.Instance.Value(i)), []byte(tr.Job.Value(i)), []byte(tr.Operation.Value(i))} {
			if !utf8.Valid(v) {
				t.Fatalf("row %d: invalid UTF-8 %q", i, v)
			}
		}
	}
	for _, r := range b.Rejects {
		if r.LineNo < 1 || r.LineNo > lines || len(r.Raw) > MaxRejectBytes || !utf8.ValidString(r.Raw) {
			t.Fatalf("reject at line %d of %d, %d bytes, valid UTF-8 %v", r.LineNo, lines, len(r.Raw), utf8.ValidString(r.Raw))
		}
	}
	for i := 0; i < b.Exceptions.Len(); i++ {
		e := b.Exceptions.Row(i)
		for _, v := range []string{e.Instance, e.OuterType, e.OuterMessage, e.InnermostType, e.InnermostMessage, e.Details} {
			if !utf8.ValidString(v) {
				t.Fatalf("exception at line %d: invalid UTF-8 %q", e.LineNo, v)
			}
		}
		if e.LineNo < 1 || e.LineNo > lines || e.Frames < 0 {
			t.Fatalf("exception at line %d of %d, %d frames", e.LineNo, lines, e.Frames)
		}
	}
	for i := 0; i < b.Events.Len(); i++ {
		e := b.Events.Row(i)
		if !json.Valid([]byte(e.Properties)) || !utf8.ValidString(e.Name) || !utf8.ValidString(e.Section) {
			t.Fatalf("event at line %d: properties %q", e.LineNo, e.Properties)
		}
	}
}

// checkSplit parses data whole and in two chunks cut where safeCut allows, and checks that the
// line accounting and the rows are the same.
func checkSplit(t *testing.T, data []byte, safeCut func([]byte) int, parse func(c *Chunk, b *Batch)) {
	t.Helper()
	whole := NewBatch(64)
	start := time.Now()
	parse(&Chunk{Data: data, FirstLine: 1}, whole)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("parsing %d bytes took %s: more than linear?", len(data), d)
	}
	checkBatch(t, data, whole)
	cut := safeCut(data[:len(data)/2])
	if cut <= 0 {
		return
	}
	parts := NewBatch(64)
	parse(&Chunk{Data: data[:cut], FirstLine: 1}, parts)
	parse(&Chunk{Data: data[cut:], FirstLine: 1 + int64(bytes.Count(data[:cut], []byte{'\n'}))}, parts)
	checkBatch(t, data, parts)
	w, p := whole.Stats, parts.Stats
	if w.Lines != p.Lines || w.Parsed != p.Parsed || w.Rejected != p.Rejected || whole.Traces.Len() != parts.Traces.Len() {
		t.Fatalf("cut at %d (a safe cut) changes the result: whole %d lines %d parsed %d rows, in two chunks %d lines %d parsed %d rows",
			cut, w.Lines, w.Parsed, whole.Traces.Len(), p.Lines, p.Parsed, parts.Traces.Len())
	}
}

func FuzzKuduLog(f *testing.F) {
	addSeeds(f, []string{"testdata/*job_log*.txt", "../fixtures/sample/data/jobs/continuous/*/job*log.txt"},
		"[11/19/2026 21:40:07 > 5e1c2a: INFO] 21-40-07:12: x\r\ncontinued\r\n[13/19/2026 21:40:07 > 5e1c2a: INFO] bad",
		"[11/19/2026 21:40:07 > 5e1c2a: ERR ] Unhandled Exception: System.Exception: boom\n[11/19/2026 21:40:07 > 5e1c2a: ERR ]    at X.Y()\n",
		"\x00\x00\x00\n\xff\xfe\n[02/29/2024 23:59:59 > x: SYS WARN] Password=hunter2\n")
	p1, p2, p3 := &KuduLog{}, &KuduLog{}, &KuduLog{}
	fi := &FileInfo{Job: "AppInsightsImporter", JobSource: JobByPath, MaxMessage: fuzzMaxMessage}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		parse := func(c *Chunk, b *Batch) {
			c.File = fi
			if c.FirstLine == 1 && len(c.Data) == len(data) {
				p1.Parse(c, b)
			} else if c.FirstLine == 1 {
				p2.Parse(c, b)
			} else {
				p3.Parse(c, b)
			}
		}
		checkSplit(t, data, KuduSafeCut, parse)
	})
}

const csvHeader = "date,level,applicationName,instanceId,eventTickCount,eventId,pid,tid,message,activityId\n"

func FuzzAppLogCSV(f *testing.F) {
	addSeeds(f, []string{"testdata/applog.csv", "../fixtures/sample/applogs/*/2026/11/19/0[0-3]/*.csv"},
		csvHeader+`2026-11-19T21:40:07,Information,site,5e1c2a,638678412071234567,0,4312,1,"multi`+"\nline, \"\"quoted\"\"\",\n",
		csvHeader+"2026-13-19T21:40:07,Error,site,x,1,0,1,1,m\n\"unterminated\n")
	p := &AppLogCSV{}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		lay, err := NewCSVLayout(firstLine(data))
		if err != nil {
			lay, _ = NewCSVLayout([]byte(csvHeader))
			data = append([]byte(csvHeader), data...)
		}
		fi := &FileInfo{CSV: lay, MaxMessage: fuzzMaxMessage}
		checkSplit(t, data, CSVSafeCut, func(c *Chunk, b *Batch) { c.File = fi; p.Parse(c, b) })
	})
}

func FuzzAppLogText(f *testing.F) {
	addSeeds(f, nil,
		"2026-11-19T21:40:07  PID[4312] Information 21-40-07:12: Got SQL error: x\r\n   at Y\r\n2026-11-19T21:40:08  PID[4312] Error       Unhandled Exception: System.Exception: e\r\n",
		"\xEF\xBB\xBFcontinuation first\n2026-02-30T00:00:00  PID[1] Warning     w\n")
	p := &AppLogText{}
	fi := &FileInfo{MaxMessage: fuzzMaxMessage}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		checkSplit(t, data, TextSafeCut, func(c *Chunk, b *Batch) { c.File = fi; p.Parse(c, b) })
	})
}

// kuduLineRE is the Kudu prefix of docs/formats.md §6.3: the slow reference ParseKuduLine is
// compared with.
var kuduLineRE = regexp.MustCompile(`^\[(\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}) > ([0-9A-Za-z]{1,6}): (SYS )?(INFO|WARN|ERR ?)\] ?(.*)$`)

var oldKuduLineRE = regexp.MustCompile(`^\[\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}\]`)

func FuzzParseKuduLine(f *testing.F) {
	for _, s := range []string{
		"[11/19/2026 21:40:07 > 5e1c2a: INFO] 21-40-07:12: Waiting 10 mins...",
		"[11/19/2026 21:40:07 > 5e1c2a: SYS ERR ] Job failed due to exit code -532462766",
		"[02/29/2023 21:40:07 > 5e1c2a: INFO] not a leap year",
		"[11/19/2026 21:40:07 > 5e1c2a: ERR] no pad",
		"[11/19/2026 21:40:07 > 5e1c2a: INFO]",
		"[11/19/2026 21:40:07 > RD0003FF: WARN] a machine name",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if len(line) > 4096 || bytes.IndexByte(line, '\n') >= 0 {
			return
		}
		var kl KuduLine
		res := ParseKuduLine(line, &kl)
		m := kuduLineRE.FindSubmatch(line)
		if res == Prefixed {
			// An old triggered-job line ("[MM/dd/yyyy HH:mm:ss] text") is a record with no
			// instance, at INFO; every other record names its instance.
			old := len(kl.Instance) == 0 && oldKuduLineRE.Match(line) && kl.Level == Info && !kl.System
			if !old && (len(kl.Instance) == 0 || len(kl.Instance) > maxInstanceLen || kl.Level > Err) {
				t.Fatalf("%q: instance %q, level %d", line, kl.Instance, kl.Level)
			}
			if ts := time.UnixMicro(kl.Time).UTC(); ts.Year() < 1970 || ts.Nanosecond() != 0 {
				t.Fatalf("%q: time %s", line, ts)
			}
		}
		if m == nil {
			return
		}
		// The reference matched: where it gives a real date, ParseKuduLine must agree on
		// every field.
		ts, err := time.Parse("01/02/2006 15:04:05", string(m[1]))
		if err != nil || ts.Year() < 1970 {
			if res == Prefixed && err != nil {
				t.Fatalf("%q: parsed, but %q is no time: %v", line, m[1], err)
			}
			return
		}
		level := map[string]Level{"INFO": Info, "WARN": Warn, "ERR": Err, "ERR ": Err}[string(m[4])]
		if res != Prefixed || kl.Time != ts.UnixMicro() || string(kl.Instance) != string(m[2]) ||
			kl.System != (len(m[3]) > 0) || kl.Level != level || string(kl.Message) != string(m[5]) {
			t.Fatalf("%q:\n ParseKuduLine %v time %s instance %q sys %v level %v message %q\n reference    time %s instance %q sys %v level %v message %q",
				line, res, time.UnixMicro(kl.Time).UTC(), kl.Instance, kl.System, kl.Level, kl.Message,
				ts, m[2], len(m[3]) > 0, level, m[5])
		}
	})
}

func FuzzAnalyzeException(f *testing.F) {
	for _, s := range []string{
		"System.AggregateException: One or more errors occurred. ---> System.Net.Http.HttpRequestException: An error occurred while sending the request. ---> System.Net.WebException: Unable to connect to the remote server\n   at X.Y()\n   --- End of inner exception stack trace ---\n   at Z()",
		"Unhandled Exception: System.InvalidOperationException: The model backing the 'AnalyticsEntitiesContext' context has changed since the database was created.\n   at System.Data.Entity.CreateDatabaseIfNotExists`1.InitializeDatabase(TContext context)",
		"---> (Inner Exception #0) System.Exception: inner",
		"Microsoft.Identity.Client.MsalServiceException: AADSTS7000215: Invalid client secret provided.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > maxFuzzInput {
			return
		}
		info := AnalyzeException(text)
		if info.Frames < 0 || info.Frames > strings.Count(text, "\n")+1 {
			t.Fatalf("%d frames in %d lines", info.Frames, strings.Count(text, "\n")+1)
		}
		// Every part is text of the input (line ends aside: the header is rejoined with "\n").
		noCR := strings.ReplaceAll(text, "\r", "")
		for _, v := range []string{info.OuterType, info.OuterMessage, info.InnermostType, info.InnermostMessage} {
			if !strings.Contains(noCR, strings.ReplaceAll(v, "\r", "")) {
				t.Fatalf("%q is not in the text", v)
			}
		}
	})
}

func FuzzParseEventLine(f *testing.F) {
	for _, s := range []string{
		"New event 'FinishedImportCycle'; 'context=SPOInsights.WebJob.AppInsightsImporter: 0 hours, 0 mins, and 4 seconds.'.",
		"New event 'FinishedSectionImport'; 'context=Teams import: 0 hours, 1 mins, and 53 seconds.;x=y'.",
		"New event 'X'; ''.",
		"New event ''; 'a=b'.",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) > maxFuzzInput {
			return
		}
		ev, ok := parseEventLine(msg)
		if !ok {
			return
		}
		if len(ev.name) == 0 || !bytes.HasPrefix(msg, []byte("New event '"+string(ev.name)+"'")) {
			t.Fatalf("%q: name %q", msg, ev.name)
		}
		if ev.duration != NullDuration && ev.duration < 0 {
			t.Fatalf("%q: duration %d", msg, ev.duration)
		}
		if p := propsJSON(ev.props); !json.Valid([]byte(p)) {
			t.Fatalf("%q: properties %q", msg, p)
		}
	})
}

// plantKeys are secrets as logs print them; FuzzRedact plants a value after each.
var plantKeys = []string{"Password=", "Pwd=", "AccountKey=", "SharedAccessKey=", "&sig=", "?sig=", "client_secret=",
	"ClientSecret: ", `"password":"`, `"AccountKey": "`, "Authorization: Bearer ", "Bearer ", "AppInsightsApiKey=",
	"access_token=", "Client secret='", "SharedAccessSignature=sv=2022-11-02&sig=",
	// issue 18: shapes the first redactor missed.
	`{"password" : "`, "Password : ", "Client Secret : ", "AZURE_STORAGE_KEY=", "SecretKey=", "secret-key=",
	`<add key="ClientSecret" value="`, "sig%3D", "AccountKey%3D", "bearer ", "WEBSITE_AUTH_ENCRYPTION_KEY=",
	"MACHINEKEY_DecryptionKey="}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		"Data Source=tcp:x.database.windows.net;User ID=sa;Password=P@ss w0rd;Encrypt=True",
		"GET https://x.blob.core.windows.net/logs?sv=2022-11-02&ss=b&sig=abc%2Bdef%3D&se=2026 failed",
		`{"clientSecret":"JSON-1","password": "p w"}`,
		"Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ trailing",
		"21-40-07:12: Got SQL error: Login failed for user 'x'.",
		"<Password>hunter2</Password> https://u:p@h/ x%3Dy Token: not set",
	} {
		f.Add([]byte(s), uint8(0), []byte("s3cretValue99"))
	}
	f.Fuzz(func(t *testing.T, line []byte, which uint8, value []byte) {
		if len(line) > 4096 || len(value) > 256 {
			return
		}
		out, changed := Redact(nil, line)
		if !changed && !bytes.Equal(out, line) || changed && !bytes.Contains(out, []byte(Redacted)) {
			t.Fatalf("Redact(%q) = %q, changed %v", line, out, changed)
		}
		if again, _ := Redact(nil, out); !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q -> %q -> %q", line, out, again)
		}
		// A value planted after a secret key is gone, whatever the text around it.
		v := make([]byte, 0, len(value))
		for _, c := range value {
			if isB64URL(c) {
				v = append(v, c)
			}
		}
		if len(v) < 16 || bytes.Contains(line, v) {
			return
		}
		key := plantKeys[int(which)%len(plantKeys)]
		planted := append(append(append(append(bytes.Clone(line), ' '), key...), v...), "' end"...)
		if out, _ := Redact(nil, planted); bytes.Contains(out, v) {
			t.Fatalf("secret survived:\n in  %q\n out %q", planted, out)
		}
	})
}
