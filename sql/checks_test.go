package sql_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kudulens/kudulens/bench/gen"
	"github.com/kudulens/kudulens/pipeline"
	"github.com/kudulens/kudulens/pipeline/store"
	"github.com/kudulens/kudulens/report"
	klsql "github.com/kudulens/kudulens/sql"
)

// The checks of sql/checks are tested on small bundles written exactly as customers send them
// (docs/formats.md §4, §5.3): Kudu job logs at data/jobs/continuous/<job>/job_log.txt (CRLF,
// Kudu's prefix, the app's "HH-mm-ss:ff: " prefix where the app prints one), blob
// application-log CSVs at applogs/<site>/<yyyy>/<MM>/<dd>/<HH>/<instance>-<pid>.applicationLog.csv
// and Kudu status files. A case builds its bundle with the helpers below; the harness writes it
// to a temporary directory, ingests it into an in-memory store, runs one check and compares
// its status (and count, first-seen time, evidence line, detail) with the case's.
//
//	b := newBundle(t)
//	k := b.kudu(act).withAppLog()                  // job log; App Service Logs on (omit: off)
//	k.start(at("0s")).activityStartup(at("1s"))    // Kudu SYS lines, the job's start-up
//	k.log(at("1m"), "Verifying call webhook subscription.").mark("verify")
//	k.capNow(at("20m"))                            // Kudu's 200-line cap: the run's rest is unseen
//	k.stillRunning(at("25h"))
//	b.statusFile(act, inst, "Running")
//	r := b.run("activity-cycle-overdue")
//
// kuduLog writes what Kudu writes (its console cap included) and, with an application log
// attached, what App Service traces; appLog writes application-log rows alone. Scenario
// helpers (activityCycle, aiRun, longCycle, busySite, ...) print whole cycles and runs, and
// thresholdCases makes the four boundary cases of a "more-than N in W" rule.

const (
	act        = "Office365ActivityImporter"
	ai         = "AppInsightsImporter"
	inst       = "5b7e2d"
	site       = "contoso-analytics"
	webhookURL = "https://contoso-analytics.azurewebsites.net/api/CallRecordWebhook"
)

// t0 is when every scenario starts.
var t0 = time.Date(2026, 11, 19, 8, 0, 0, 0, time.UTC)

// at returns t0 plus a duration written like "25h1m" or "9m59s".
func at(d string) time.Time {
	v, err := time.ParseDuration(d)
	if err != nil {
		panic(err)
	}
	return t0.Add(v)
}

// bundle is the set of files of one case.
type bundle struct {
	t      *testing.T
	logs   []*kuduLog
	apps   map[string]*appLog // by instance
	status map[string]string  // path → content
	marks  map[string]string  // name → "relative/path:line"
	dir    string
	at     time.Time // evaluation time; zero: the latest timestamp
}

func newBundle(t *testing.T) *bundle {
	return &bundle{t: t, apps: map[string]*appLog{}, status: map[string]string{}, marks: map[string]string{}}
}

// kudu returns the job log of job on instance 5b7e2d.
func (b *bundle) kudu(job string) *kuduLog { return b.kuduOn(job, inst) }

// kuduOn returns the job log of job as written by instance (all instances append to the same
// job_log.txt).
func (b *bundle) kuduOn(job, instance string) *kuduLog {
	path := "data/jobs/continuous/" + job + "/job_log.txt"
	var shared *kuduFile
	for _, k := range b.logs {
		if k.file.path == path {
			if k.inst == instance {
				return k
			}
			shared = k.file
		}
	}
	if shared == nil {
		shared = &kuduFile{path: path}
	}
	k := &kuduLog{b: b, job: job, inst: instance, file: shared}
	b.logs = append(b.logs, k)
	return k
}

// looseKudu returns a job log saved outside data/jobs/continuous/<job>/ at path, as customers
// often send it; job is the program whose lines it holds ("" for lines that name none).
func (b *bundle) looseKudu(path, job string) *kuduLog {
	k := &kuduLog{b: b, job: job, inst: inst, file: &kuduFile{path: path}}
	b.logs = append(b.logs, k)
	return k
}

// appLog returns the blob application log of instance 5b7e2d (both jobs' console lines).
func (b *bundle) appLog() *appLog { return b.appLogOn(inst) }

func (b *bundle) appLogOn(instance string) *appLog {
	a := b.apps[instance]
	if a == nil {
		a = &appLog{b: b, inst: instance, pid: 8252}
		b.apps[instance] = a
	}
	return a
}

// file adds a file of the given content at rel (a file-system application log, say).
func (b *bundle) file(rel, content string) *bundle {
	b.status[rel] = content
	return b
}

// fsAppLog renders lines as a file-system application log (D:\home\LogFiles\Application):
// "2026-11-19T08:00:00  PID[4312] Information <text>", one entry per line.
func fsAppLog(lines ...fsLine) string {
	var sb strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&sb, "%s  PID[4312] %-11s %s\r\n", l.t.Format("2006-01-02T15:04:05"), "Information", l.text)
	}
	return sb.String()
}

type fsLine struct {
	t    time.Time
	text string
}

// fsEvery is text printed with the app prefix every step from from to to.
func fsEvery(from, to time.Time, step time.Duration, text string) []fsLine {
	var out []fsLine
	for t := from; !t.After(to); t = t.Add(step) {
		out = append(out, fsLine{t, appPrefix(t) + text})
	}
	return out
}

// statusFile writes data/jobs/continuous/<job>/status_<instance> as Kudu does: {"Status":"Running"}.
func (b *bundle) statusFile(job, instance, status string) *bundle {
	b.status["data/jobs/continuous/"+job+"/status_"+instance] = `{"Status":"` + status + `"}`
	return b
}

// kuduFile is one job_log.txt.
type kuduFile struct {
	path string
	buf  []byte
	n    int // lines written
	caps int // cap warnings written (marked "cap", "cap2", ...)
}

// kuduLog writes one instance's lines of a job's job_log.txt, applying Kudu's console cap
// (docs/formats.md §4.2): after 200 stdout/stderr lines of a process run, one WARN line and
// nothing more from the app until the next run; SYS lines are never capped. With an
// application log attached, every console line also goes there (before the cap, as Kudu does).
// Lines written at the same time are 1 ms apart, as real lines are never at the same tick.
type kuduLog struct {
	b       *bundle
	job     string
	inst    string
	file    *kuduFile
	console int // console lines of the current process run
	app     *appLog
	last    time.Time
}

// withAppLog turns App Service Logs on: console lines from now on also go to the blob CSV.
func (k *kuduLog) withAppLog() *kuduLog { k.app = k.b.appLogOn(k.inst); return k }

func (k *kuduLog) tick(t time.Time) time.Time {
	if t.Before(k.last.Add(-time.Second)) {
		panic(fmt.Sprintf("%s: line at %s written after one at %s", k.file.path, t, k.last))
	}
	if !t.After(k.last) && !k.last.IsZero() {
		t = k.last.Add(time.Millisecond)
	}
	k.last = t
	return t
}

func (k *kuduLog) write(t time.Time, sys bool, lvl gen.Level, text string) {
	stream := gen.Stdout
	if sys {
		stream = gen.KuduSystem
	}
	k.file.buf = gen.AppendKuduLine(k.file.buf, &gen.Event{Time: t, Instance: k.inst, Stream: stream, Level: lvl, Text: text})
	k.file.n++
}

// consoleLine is one stdout (INFO) or stderr (ERR) line of the job; prefixed lines get the
// app's time prefix.
func (k *kuduLog) consoleLine(t time.Time, lvl gen.Level, prefixed bool, text string) {
	t = k.tick(t)
	if prefixed {
		text = appPrefix(t) + text
	}
	if k.app != nil {
		k.app.add(t, lvl == gen.Err, text)
	}
	k.console++
	switch {
	case k.console <= gen.KuduMaxConsoleLines:
		k.write(t, false, lvl, text)
	case k.console == gen.KuduMaxConsoleLines+1:
		k.write(t, false, gen.Warn, gen.KuduCapMessage)
		k.file.caps++
		if k.file.caps == 1 {
			k.mark("cap")
		} else {
			k.mark(fmt.Sprintf("cap%d", k.file.caps))
		}
	}
}

// log prints msg the way AnalyticsLogger does (telemetry.Log*): "HH-mm-ss:ff: msg"; a message
// with newlines prints its later lines without the prefix.
func (k *kuduLog) log(t time.Time, msg string) *kuduLog {
	for i, l := range strings.Split(msg, "\n") {
		k.consoleLine(t, gen.Info, i == 0, l)
	}
	return k
}

// print prints msg with Console.WriteLine (no prefix).
func (k *kuduLog) print(t time.Time, msg string) *kuduLog {
	for _, l := range strings.Split(msg, "\n") {
		k.consoleLine(t, gen.Info, false, l)
	}
	return k
}

// stderr prints text on standard error (an unhandled exception), one ERR line per line.
func (k *kuduLog) stderr(t time.Time, text string) *kuduLog {
	for _, l := range strings.Split(text, "\n") {
		k.consoleLine(t, gen.Err, false, l)
	}
	return k
}

// crash prints an unhandled .NET exception as the CLR does on stderr (an empty line, then
// "Unhandled Exception: " and the exception text) and Kudu's exit lines.
func (k *kuduLog) crash(t time.Time, exception string) *kuduLog {
	k.stderr(t, "\nUnhandled Exception: "+exception)
	return k.exit(t, -532462766)
}

// section prints a finished section as JobTimer does: the timer line and the event echo.
func (k *kuduLog) section(t time.Time, name string) *kuduLog {
	return k.event(t, "FinishedSectionImport", name)
}

// cycle ends an import cycle: the cycle timer, FinishedImportCycle and "Waiting 10 mins...".
func (k *kuduLog) cycle(t time.Time) *kuduLog {
	return k.event(t, "FinishedImportCycle", gen.ProcessName(k.job)).log(t, "Waiting 10 mins...")
}

func (k *kuduLog) event(t time.Time, name, section string) *kuduLog {
	timer := section + ": 0 hours, 1 mins, and 53 seconds."
	return k.log(t, timer).print(t, "New event '"+name+"'; 'context="+timer+"'.")
}

// sys writes a Kudu lifecycle line (SYS INFO).
func (k *kuduLog) sys(t time.Time, msg string) *kuduLog {
	k.write(k.tick(t), true, gen.Info, msg)
	return k
}

// sysErr writes a Kudu SYS ERR line.
func (k *kuduLog) sysErr(t time.Time, msg string) *kuduLog {
	k.write(k.tick(t), true, gen.Err, msg)
	return k
}

// start writes Kudu's lines for a process start; the console cap counts from here.
func (k *kuduLog) start(t time.Time) *kuduLog {
	k.sys(t, "Status changed to Starting")
	k.sys(t, "Run script '"+gen.ProcessName(k.job)+".exe' with script host - 'WindowsScriptHost'")
	k.console = 0
	return k.sys(t, "Status changed to Running")
}

// startBare writes Kudu's status lines for a process start without the "Run script" line that
// names the program (older Kudu builds, or a log cut after it).
func (k *kuduLog) startBare(t time.Time) *kuduLog {
	k.sys(t, "Status changed to Starting")
	k.console = 0
	return k.sys(t, "Status changed to Running")
}

// genericLines prints console lines both importers print (no line says which job this is).
func (k *kuduLog) genericLines(t time.Time) *kuduLog {
	return k.log(t, "Office 365 Advanced Analytics engine START: 'Build 1226'.").
		log(t, "Destination SQL Server='contoso-analytics.database.windows.net', DB='AnalyticsDB'.").
		log(t, "Import logging is disabled. Add key 'ImportLogging' value 'True' to configuration to enable full logging.")
}

// exit writes Kudu's lines for a process exit with code (0: Success).
func (k *kuduLog) exit(t time.Time, code int) *kuduLog {
	if code != 0 {
		k.sysErr(t, fmt.Sprintf("Job failed due to exit code %d", code))
	} else {
		k.sys(t, "Status changed to Success")
	}
	k.sys(t, "Process went down, waiting for 60 seconds")
	return k.sys(t, "Status changed to PendingRestart")
}

// stillRunning writes Kudu's hourly/12-hourly "WebJob is still running".
func (k *kuduLog) stillRunning(t time.Time) *kuduLog { return k.sys(t, "WebJob is still running") }

// every logs msg (with "%d" replaced by a counter 0..99) every step from from to to, inclusive.
func (k *kuduLog) every(from, to time.Time, step time.Duration, msg string) *kuduLog {
	for i, t := 0, from; !t.After(to); i, t = i+1, t.Add(step) {
		k.log(t, counted(msg, i))
	}
	return k
}

// capNow fills the run's console up to Kudu's 200-line cap at t with progress lines; the next
// one makes Kudu write its WARN line and stop recording the run.
func (k *kuduLog) capNow(t time.Time) *kuduLog {
	for k.console <= gen.KuduMaxConsoleLines {
		k.log(t, fillerLine(k.job, k.console))
	}
	return k
}

// mark names the line just written, for evidence assertions; the first line given a name
// keeps it.
func (k *kuduLog) mark(name string) *kuduLog {
	if _, ok := k.b.marks[name]; !ok {
		k.b.marks[name] = fmt.Sprintf("%s:%d", k.file.path, k.file.n)
	}
	return k
}

// appLog is the blob application log of one instance (one CSV blob per hour): every console
// line of both jobs, no Kudu SYS line.
type appLog struct {
	b    *bundle
	inst string
	pid  int
	rows []appRow
	last time.Time
}

type appRow struct {
	t    time.Time
	err  bool
	text string
	mark string
}

func (a *appLog) add(t time.Time, isErr bool, text string) {
	a.rows = append(a.rows, appRow{t: t, err: isErr, text: text})
}

// line writes one line a job printed directly (not through a Kudu log of this bundle).
func (a *appLog) line(t time.Time, isErr, prefixed bool, text string) {
	if t.Before(a.last.Add(-time.Second)) {
		panic(fmt.Sprintf("application log: line at %s written after one at %s", t, a.last))
	}
	if !t.After(a.last) && !a.last.IsZero() {
		t = a.last.Add(time.Millisecond)
	}
	a.last = t
	if prefixed {
		text = appPrefix(t) + text
	}
	a.add(t, isErr, text)
}

// log writes an AnalyticsLogger line ("HH-mm-ss:ff: msg").
func (a *appLog) log(t time.Time, msg string) *appLog {
	for i, l := range strings.Split(msg, "\n") {
		a.line(t, false, i == 0, l)
	}
	return a
}

// print writes a Console.WriteLine line.
func (a *appLog) print(t time.Time, msg string) *appLog {
	for _, l := range strings.Split(msg, "\n") {
		a.line(t, false, false, l)
	}
	return a
}

// stderr writes standard-error lines (Error rows).
func (a *appLog) stderr(t time.Time, text string) *appLog {
	for _, l := range strings.Split(text, "\n") {
		a.line(t, true, false, l)
	}
	return a
}

// every logs msg every step from from to to, inclusive ("%d": a counter 0..99).
func (a *appLog) every(from, to time.Time, step time.Duration, msg string) *appLog {
	for i, t := 0, from; !t.After(to); i, t = i+1, t.Add(step) {
		a.log(t, counted(msg, i))
	}
	return a
}

// mark names the row just written.
func (a *appLog) mark(name string) *appLog {
	a.rows[len(a.rows)-1].mark = name
	return a
}

func counted(msg string, i int) string {
	if strings.Contains(msg, "%d") {
		return fmt.Sprintf(msg, i%100)
	}
	return msg
}

// fillerLine is a line a busy job prints many times that no check looks for.
func fillerLine(job string, i int) string {
	if job == ai {
		return fmt.Sprintf("Processing %d searches...", i)
	}
	return fmt.Sprintf("Audit events import: processed %d%% activity report data...", i%100)
}

// appPrefix is AnalyticsLogger's console prefix, DateTime.Now.ToString("HH-mm-ss:ff") + ": "
// (the App Service clock is UTC).
func appPrefix(t time.Time) string {
	return fmt.Sprintf("%02d-%02d-%02d:%02d: ", t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/10_000_000)
}

// write puts the bundle's files into a temporary directory and returns it.
func (b *bundle) write() string {
	b.t.Helper()
	dir := b.t.TempDir()
	put := func(rel string, data []byte) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	seen := map[*kuduFile]bool{}
	for _, k := range b.logs {
		if !seen[k.file] {
			seen[k.file] = true
			put(k.file.path, k.file.buf)
		}
	}
	for _, a := range b.apps {
		sort.SliceStable(a.rows, func(i, j int) bool { return a.rows[i].t.Before(a.rows[j].t) })
		blobs := map[string][]byte{}
		var order []string
		for _, r := range a.rows {
			name := "applogs/" + gen.BlobName(site, r.t, a.inst, a.pid)
			if _, ok := blobs[name]; !ok {
				blobs[name] = []byte(gen.CSVHeader)
				order = append(order, name)
			}
			stream := gen.Stdout
			if r.err {
				stream = gen.Stderr
			}
			blobs[name] = gen.AppendCSVRow(blobs[name], site, &gen.Event{Time: r.t, Instance: a.inst, Stream: stream,
				Text: r.text, PID: a.pid, TID: 15})
			if _, ok := b.marks[r.mark]; r.mark != "" && !ok {
				b.marks[r.mark] = fmt.Sprintf("%s:%d", name, strings.Count(string(blobs[name]), "\n"))
			}
		}
		for _, name := range order {
			put(name, blobs[name])
		}
	}
	for rel, s := range b.status {
		put(rel, []byte(s))
	}
	b.dir = dir
	return dir
}

var builtin = sync.OnceValues(klsql.BuiltinChecks)

func builtinCheck(t *testing.T, id string) *klsql.Check {
	t.Helper()
	checks, err := builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no built-in check %q", id)
	return nil
}

// ingest writes the bundle and loads it into a new in-memory store; every line must parse.
func (b *bundle) ingest() *store.Store {
	b.t.Helper()
	ctx := context.Background()
	dir := b.write()
	database, err := store.Open(ctx, "", store.Options{Threads: 1, MemoryLimit: "256MB"})
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { database.Close() })
	sum, err := pipeline.Ingest(ctx, database, []string{dir}, pipeline.Options{ParseWorkers: 1, FileWorkers: 1}, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, f := range sum.Files {
		if f.Row.Status != "ok" || f.Row.Stats.Rejected > 0 || f.Duplicate != "" {
			b.t.Fatalf("%s: status %s, %d rejected lines, duplicate of %q: %s", f.Row.Path, f.Row.Status,
				f.Row.Stats.Rejected, f.Duplicate, f.Row.Error)
		}
	}
	return database
}

// runChecks ingests the bundle and runs checks on it.
func (b *bundle) runChecks(checks []*klsql.Check) *klsql.Report {
	b.t.Helper()
	database := b.ingest()
	rep, err := klsql.Run(context.Background(), database.DB(), checks, klsql.Options{KQL: translateKQL, At: b.at})
	if err != nil {
		b.t.Fatal(err)
	}
	return rep
}

// run ingests the bundle and runs the built-in check id alone.
func (b *bundle) run(id string) klsql.Result {
	b.t.Helper()
	rep := b.runChecks([]*klsql.Check{builtinCheck(b.t, id)})
	if len(rep.Checks) != 1 {
		b.t.Fatalf("%d results for one check", len(rep.Checks))
	}
	return rep.Checks[0]
}

// ref returns where a marked line is, as a path relative to the bundle.
func (b *bundle) ref(mark string) string {
	b.t.Helper()
	r, ok := b.marks[mark]
	if !ok {
		b.t.Fatalf("no line marked %q", mark)
	}
	return r
}

// checkCase is one scenario for one check and what the check must say about it.
type checkCase struct {
	name     string
	logs     func(b *bundle)
	status   klsql.Status
	count    *int64    // Result.Count, when set
	first    time.Time // Result.FirstSeen, when set
	text     string    // in Detail or Reason, when set
	evidence string    // a marked line that must be among the evidence, when set
	at       time.Time // the evaluation time (--at), when set; else the latest timestamp
}

func n(v int64) *int64 { return &v }

// TestChecks runs every case of checkCases, each on its own store.
func TestChecks(t *testing.T) {
	ids := make([]string, 0, len(checkCases))
	for id := range checkCases {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			for _, c := range checkCases[id] {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					b := newBundle(t)
					c.logs(b)
					b.at = c.at
					r := b.run(id)
					c.verify(t, b, r)
				})
			}
		})
	}
}

func (c *checkCase) verify(t *testing.T, b *bundle, r klsql.Result) {
	t.Helper()
	show := func() string {
		var ev []string
		for _, e := range r.Evidence {
			ev = append(ev, fmt.Sprintf("%s:%d %q", b.rel(e.File), e.Line, e.Message))
		}
		first := "-"
		if r.FirstSeen != nil {
			first = klsql.FormatTime(*r.FirstSeen)
		}
		return fmt.Sprintf("status %s, count %d, first seen %s\n  detail: %s\n  reason: %s\n  evidence: %s",
			r.Status, r.Count, first, r.Detail, r.Reason, strings.Join(ev, "\n            "))
	}
	if r.Status != c.status {
		t.Errorf("want status %s, got %s", c.status, show())
		return
	}
	if c.count != nil && r.Count != *c.count {
		t.Errorf("want count %d, got %s", *c.count, show())
	}
	// Kudu lines have second resolution, application-log rows ticks.
	if !c.first.IsZero() && (r.FirstSeen == nil || r.FirstSeen.Sub(c.first).Abs() >= time.Second) {
		t.Errorf("want first seen %s, got %s", klsql.FormatTime(c.first), show())
	}
	if c.text != "" && !strings.Contains(r.Detail+"\n"+r.Reason, c.text) {
		t.Errorf("want %q in detail or reason, got %s", c.text, show())
	}
	if c.evidence != "" {
		want := b.ref(c.evidence)
		found := false
		for _, e := range r.Evidence {
			if fmt.Sprintf("%s:%d", b.rel(e.File), e.Line) == want {
				found = true
			}
		}
		if !found {
			t.Errorf("want evidence at %s, got %s", want, show())
		}
	}
}

// rel returns a stored file path relative to the bundle directory.
func (b *bundle) rel(p string) string {
	if r, err := filepath.Rel(b.dir, p); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return p
}

// thresholdCases are the cases of a "more-than N in W" check: N matches within W pass, N+1
// fail, N+1 just inside W (first to last W-1s) fail, N+1 spread just outside it (first to
// last exactly W) pass. emit writes the i-th matching line at t into b; the matches start
// an hour after t0.
func thresholdCases(limit int, w time.Duration, emit func(b *bundle, i int, t time.Time)) []checkCase {
	start, ws := at("1h"), klsql.FormatDuration(w)
	spread := func(count int, span time.Duration) func(b *bundle) {
		return func(b *bundle) {
			for i := 0; i < count; i++ {
				emit(b, i, start.Add(span*time.Duration(i)/time.Duration(count-1)))
			}
		}
	}
	return []checkCase{
		{name: fmt.Sprintf("exactly %d within %s passes", limit, ws), logs: spread(limit, w/2),
			status: klsql.StatusPass, count: n(int64(limit))},
		{name: fmt.Sprintf("%d within %s fail", limit+1, ws), logs: spread(limit+1, w/2),
			status: klsql.StatusFail, count: n(int64(limit + 1)), first: start.Add(w / 2)},
		{name: fmt.Sprintf("%d just inside %s fail", limit+1, ws), logs: spread(limit+1, w-time.Second),
			status: klsql.StatusFail, count: n(int64(limit + 1)), first: start.Add(w - time.Second)},
		{name: fmt.Sprintf("%d spread just outside %s pass", limit+1, ws), logs: spread(limit+1, w),
			status: klsql.StatusPass, count: n(int64(limit))},
	}
}

// plan runs steps in time order, so that lines of interleaved activities are written the way
// Kudu writes them: in order.
type plan []planStep

type planStep struct {
	t  time.Time
	do func(time.Time)
}

func (p *plan) at(t time.Time, do func(time.Time)) { *p = append(*p, planStep{t, do}) }

func (p plan) run() {
	sort.SliceStable(p, func(i, j int) bool { return p[i].t.Before(p[j].t) })
	for _, s := range p {
		s.do(s.t)
	}
}

// stillRunning plans Kudu's "WebJob is still running" lines of a run started at start: one
// hour after it, then every 12 hours, up to end.
func (p *plan) stillRunning(k *kuduLog, start, end time.Time) {
	for t := start.Add(time.Hour); !t.After(end); t = t.Add(12 * time.Hour) {
		p.at(t, func(t time.Time) { k.stillRunning(t) })
	}
}

const progress = "Audit events import: processed %d%% activity report data..."

// activityStartup prints the Office365ActivityImporter's start-up (docs/formats.md §3.1, §3.3).
func (k *kuduLog) activityStartup(t time.Time) *kuduLog {
	return k.log(t, "Office 365 Advanced Analytics engine START: 'Build 1226'.").
		log(t, "Destination SQL Server='contoso-analytics.database.windows.net', DB='AnalyticsDB'.").
		log(t, "Import logging is disabled. Add key 'ImportLogging' value 'True' to configuration to enable full logging.").
		log(t, "\nConfigured values:").
		log(t, "Destination SQL Server='contoso-analytics.database.windows.net', DB='AnalyticsDB'.").
		log(t, "Azure AD tenant='contoso.onmicrosoft.com, client ID='85329251-335b-453c-a761-6c45a52bd432'.").
		log(t, "Days back to check for events from Activity API='6'.").
		log(t, "\nConfigured workloads to import:").
		log(t, "+Audit.SharePoint").
		log(t, "Testing SQL configuration...").
		log(t.Add(2*time.Second), "Found 1,204,331 events in table already. Test passed!")
}

// activityCycle prints one Office365ActivityImporter import cycle starting at t, about two
// minutes long (§2.3, §3.4–§3.6). Flags change it: an ImportJobSettings value such as
// "GraphTeams=False" disables that import (the job prints its "Skipping ..." line),
// "no:<section>" leaves that section unfinished (its import failed), "no:webhook" leaves out
// the webhook verification (older builds), "open" stops after the audit import has started
// (the cycle goes on; activityCycleEnd ends it) and "old-build" prints sections as 2022
// builds did ("<Section> taken so far: ...", "Audit events").
func (k *kuduLog) activityCycle(t time.Time, flags ...string) *kuduLog {
	on := func(f string) bool {
		for _, x := range flags {
			if x == f {
				return true
			}
		}
		return false
	}
	step := 0
	next := func() time.Time { step++; return t.Add(time.Duration(step) * 4 * time.Second) }
	section := func(name string) {
		switch {
		case on("no:" + name):
		case on("old-build"):
			if name == "Audit events import" {
				name = "Audit events"
			}
			k.print(next(), "New event 'FinishedSectionImport'; 'context="+name+" taken so far: 0 hours, 0 mins, and 44 seconds.'.")
		default:
			k.section(next(), name)
		}
	}
	switch {
	case on("Calls=False"):
		k.log(next(), "Skipping Call Queue import & webhook validation.")
	case on("no:webhook"): // a build that does not verify the webhook
	default:
		k.log(next(), "Verifying call webhook subscription.").
			log(next(), "ServiceBus client: Now listening for service-bus messages.").
			log(next(), "Updated subscription '140105' for webhook, for URL '"+webhookURL+"'.")
	}
	k.log(next(), "Starting Teams & Graph import.")
	if on("GraphUsersMetadata=False") {
		k.log(next(), "Skipping user metadata import")
	} else {
		k.log(next(), t.Format("3:04 PM")+" User import - start").
			log(next(), "User import - read 4,812 users (all) from Graph API")
		section("User metadata refresh")
	}
	if on("GraphUserApps=False") {
		k.log(next(), "Skipping user Teams apps import")
	} else {
		k.log(next(), "User Apps Load - updating Teams Apps for 299 users...")
		section("User Teams apps refresh")
	}
	if on("GraphUsageReports=False") {
		k.log(next(), "Skipping usage reports import")
	} else if on("no:Usage reports") {
		k.log(next(), "Skipping activity reports as have processed recently (less than 24 hours ago). Will import again after "+
			dotnetTime(t.Add(20*time.Hour))+".")
	} else {
		k.log(next(), "\nReading all activity reports from 7 days back...").
			log(next(), "Imported 1,022 Teams user activity reports.").
			log(next(), "Activity reports imported. Will run again in 24 hours")
		section("Usage reports")
	}
	if on("GraphTeams=False") {
		k.log(next(), "Skipping Teams import")
	} else {
		k.log(next(), "Searching for groups with a team attached...").
			log(next(), "Loading & saving to SQL 57 groups/teams over 10 threads...").
			log(next(), "Teams import complete.\n")
		section("Teams import")
	}
	k.log(next(), "Finished Graph API import tasks.")
	if on("ActivityLog=False") {
		k.log(next(), "Skipping Activity API import.")
	} else {
		k.log(next(), "Reading existing Office 365 Activity API subscriptions...").
			log(next(), "Subscription for 'Audit.SharePoint' is already in place and enabled.").
			log(next(), "\nBeginning import. Filtering for SharePoint events below these URLs:").
			log(next(), "+https://contoso.sharepoint.com/sites/intranet (*)").
			log(next(), "Starting activity import for 1 url filters").
			log(next(), "Audit events import: getting changes summary from Office 365 Activity API from '"+
				dotnetTime(t.Add(-6*24*time.Hour))+"' to '"+dotnetTime(t)+"'...").
			log(next(), "Audit events import: full-loading activity reports from 1,234 links, across 8 thread(s)...")
		if on("open") {
			return k
		}
		if on("no:Audit events import") {
			k.print(next(), "Got exception on DownloadActivityData: "+aadSecretNew)
		} else {
			k.log(next(), "Audit events import: Got 1,234 audit events from 12 summary reports. 1,200 imported, 34 processed already, 0 URLs out of scope of SharePoint site import whitelist (org_urls)")
			section("Audit events import")
			k.log(next(), finishedActivity).mark("finished")
		}
	}
	if !on("no:cycle") {
		k.cycle(next())
	}
	return k
}

const finishedActivity = "Finished activity import. Time taken in = 1.52 minutes. Stats: Imported successfully: 1,200, already processed: 34, URLs out of scope (orgs table): 0, errors: 0, total: 1,234"

// activityCycleEnd ends an open cycle at t: the audit import finishes (the line marked
// "finished"), then the cycle ("beat", its "Waiting 10 mins...").
func (k *kuduLog) activityCycleEnd(t time.Time) *kuduLog {
	return k.log(t, "Audit events import: Got 1,234 audit events from 12 summary reports. 1,200 imported, 34 processed already, 0 URLs out of scope of SharePoint site import whitelist (org_urls)").
		section(t, "Audit events import").
		log(t, finishedActivity).mark("finished").
		cycle(t).mark("beat")
}

// dotnetTime formats t as DateTime.ToString() does in en-US: 11/19/2026 8:00:00 AM.
func dotnetTime(t time.Time) string { return t.Format("1/2/2006 3:04:05 PM") }

// n0 formats v as .NET's "n0": 1,234.
func n0(v int) string {
	s := fmt.Sprint(v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// aiStartup prints the AppInsightsImporter's start-up (docs/formats.md §1.4, §3.2).
func (k *kuduLog) aiStartup(t time.Time) *kuduLog {
	return k.log(t, "Office 365 Advanced Analytics engine START: 'Build 1226'.").
		log(t, "Destination SQL Server='contoso-analytics.database.windows.net', DB='AnalyticsDB'.").
		log(t, "Import logging is disabled. Add key 'ImportLogging' value 'True' to configuration to enable full logging.").
		log(t, "Configured values:").
		log(t, "Destination SQL Server configuration: \ndata source='contoso-analytics.database.windows.net', initial catalog='AnalyticsDB'").
		log(t, "Testing SQL config...").
		log(t.Add(2*time.Second), "Found 1,258 hits in table already. Test passed!").
		print(t.Add(2*time.Second), "\nPausing 20 seconds in case any of these configuration values are wrong (CTRL+C to abort)...").
		print(t.Add(22*time.Second), "").
		log(t.Add(22*time.Second), "Starting Application Insights import.")
}

// aiCycle prints one AppInsightsImporter cycle at t that found hits new page views (0: none).
func (k *kuduLog) aiCycle(t time.Time, hits int) *kuduLog {
	from := t.Add(-10 * time.Minute)
	k.log(t, "Requesting data from AppInsights from "+dotnetTime(from)+" (newest hit is from "+dotnetTime(from.Add(-time.Minute))+")...")
	t = t.Add(2 * time.Second)
	if hits == 0 {
		k.log(t, "No new hits found.")
	} else {
		k.log(t, "Hits downloaded - '"+n0(hits)+"' in total. Earliest: "+from.Format("2006-01-02 15:04:05")+".12, latest: "+
			t.Format("2006-01-02 15:04:05")+".88").
			log(t, "Processed 17 events, and "+fmt.Sprint(hits)+" page-views").
			log(t, "Hits batch imported.").
			log(t, "Saved 17 events, and "+n0(hits)+" page-views").
			section(t, "Hits import")
	}
	return k.cycle(t)
}

// aiCycleStale prints an AppInsightsImporter cycle at t that finds no new page view: the
// importer queries from a minute before the newest hit it holds (hit), so it downloads that
// hit again and prints it as if it were new, "Hits import" event included.
func (k *kuduLog) aiCycleStale(t, hit time.Time) *kuduLog {
	k.log(t, "Requesting data from AppInsights from "+dotnetTime(hit.Add(-time.Minute))+" (newest hit is from "+dotnetTime(hit)+")...")
	t = t.Add(2 * time.Second)
	stamp := hit.Format("2006-01-02 15:04:05") + ".00"
	return k.log(t, "Hits downloaded - '1' in total. Earliest: "+stamp+", latest: "+stamp).
		log(t, "Processed 0 events, and 1 page-views").
		log(t, "Hits batch imported.").
		log(t, "Saved 0 events, and 1 page-views").
		section(t, "Hits import").cycle(t)
}

// aiRun is an AppInsightsImporter run from t0 to end: a cycle every 10 minutes without new
// page views, and instead of the nearest one a cycle that finds some at each of hitsAt.
func aiRun(b *bundle, app bool, end time.Time, hitsAt ...time.Time) *kuduLog {
	k := b.kudu(ai)
	if app {
		k.withAppLog()
	}
	k.start(t0).aiStartup(at("1s"))
	var p plan
	p.stillRunning(k, t0, end)
grid:
	for t := at("1m"); !t.After(end); t = t.Add(10 * time.Minute) {
		for _, h := range hitsAt {
			if h.Sub(t).Abs() < 10*time.Minute {
				continue grid // that cycle found page views
			}
		}
		p.at(t, func(t time.Time) { k.aiCycle(t, 0) })
	}
	for _, h := range hitsAt {
		p.at(h, func(t time.Time) { k.aiCycle(t, 1234) })
	}
	p.run()
	return k
}

// hourly returns the times from from to to, every hour.
func hourly(from, to time.Time) []time.Time {
	var out []time.Time
	for t := from; !t.After(to); t = t.Add(time.Hour) {
		out = append(out, t)
	}
	return out
}

// longCycle is an Office365ActivityImporter run with one long cycle: the job starts at t0,
// ends its first cycle at 30m (lines marked "finished" and "beat"), starts the next at 40m
// and imports audit events, printing a progress line every `every` until end; that cycle ends
// at next (unless zero), and the one after it starts ten minutes later. Kudu prints "WebJob
// is still running" an hour after the start and every 12 hours.
func longCycle(b *bundle, app bool, every time.Duration, next, end time.Time) *kuduLog {
	k := b.kudu(act)
	if app {
		k.withAppLog()
	}
	k.start(t0).activityStartup(at("1s")).activityCycle(at("1m"), "open").activityCycleEnd(at("30m"))
	k.activityCycle(at("40m"), "open")
	var p plan
	p.stillRunning(k, t0, end)
	i := 0
	for t := at("45m"); !t.After(end); t = t.Add(every) {
		if !next.IsZero() && !t.Before(next) && t.Before(next.Add(15*time.Minute)) {
			continue // the cycle ends, the job waits, the next one starts
		}
		p.at(t, func(t time.Time) { k.log(t, counted(progress, i)); i++ })
	}
	if !next.IsZero() {
		p.at(next, func(t time.Time) { k.activityCycleEnd(t).mark("next") })
		p.at(next.Add(10*time.Minute), func(t time.Time) { k.activityCycle(t, "open") })
	}
	p.run()
	return k
}

// healthyActivity is an Office365ActivityImporter start-up and one complete cycle.
func healthyActivity(b *bundle) {
	b.kudu(act).start(at("0s")).activityStartup(at("1s")).activityCycle(at("1m"))
}

// activityRun is an Office365ActivityImporter run from t0 to end with App Service Logs on: a
// cycle every three hours (cycle i with flags(i)) and progress lines every ten minutes
// between them; extra steps are written in time order with them.
func activityRun(b *bundle, end time.Time, flags func(i int) []string, extra ...jobStep) *kuduLog {
	k := b.kudu(act).withAppLog().start(t0).activityStartup(at("1s"))
	var p plan
	for _, e := range extra {
		p.at(e.t, func(t time.Time) { e.do(k, t) })
	}
	p.stillRunning(k, t0, end)
	for i, t := 0, at("1m"); !t.After(end); i, t = i+1, t.Add(3*time.Hour) {
		p.at(t, func(t time.Time) { k.activityCycle(t, flags(i)...) })
		for u := t.Add(10 * time.Minute); u.Before(t.Add(3*time.Hour)) && !u.After(end); u = u.Add(10 * time.Minute) {
			p.at(u, func(u time.Time) {
				k.log(u, "Usage Stats Reporter - telemetry stats uploaded recently (less than 24 hours ago) - skipping for now")
			})
		}
	}
	p.run()
	return k
}

// busySite is both jobs running from t0 to end with App Service Logs on: the
// AppInsightsImporter finds new page views every hour, the Office365ActivityImporter cycles
// every three hours (see activityRun).
func busySite(b *bundle, end time.Time, flags func(i int) []string, extra ...jobStep) *kuduLog {
	aiRun(b, true, end, hourly(at("1h"), end)...)
	return activityRun(b, end, flags, extra...)
}

// jobStep is something a job prints at t, planned with the rest of a run.
type jobStep struct {
	t  time.Time
	do func(k *kuduLog, t time.Time)
}

// sectionAt plans section finishing at each of ts.
func sectionAt(section string, ts ...time.Time) []jobStep {
	var out []jobStep
	for _, t := range ts {
		out = append(out, jobStep{t, func(k *kuduLog, t time.Time) { k.section(t, section) }})
	}
	return out
}

// stuckActivity is an Office365ActivityImporter that completes a cycle at 1m and at 3h, then
// hangs in an audit import printing progress every five minutes until 37h; Kudu's console
// cap hides all of it after the first few hours unless the application log is there.
func stuckActivity(b *bundle, app bool) {
	k := b.kudu(act)
	if app {
		k.withAppLog()
	}
	k.start(t0).activityStartup(at("1s")).activityCycle(at("1m"))
	var p plan
	p.stillRunning(k, t0, at("37h"))
	p.at(at("3h"), func(t time.Time) { k.activityCycle(t).activityCycle(t.Add(5*time.Minute), "open") })
	i := 0
	for t := at("3h10m"); !t.After(at("37h")); t = t.Add(5 * time.Minute) {
		p.at(t, func(t time.Time) { k.log(t, counted(progress, i)); i++ })
	}
	p.run()
}

// Texts the engine prints (docs/formats.md §3) or Azure services return inside them.
const (
	aadSecretNew     = "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '85329251-335b-453c-a761-6c45a52bd432'."
	aadSecretOld     = "AADSTS7000215: Invalid client secret is provided."
	aadSecretExpired = "AADSTS7000222: The provided client secret keys for app '85329251-335b-453c-a761-6c45a52bd432' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."
	aadAppNotFound   = "AADSTS700016: Application with identifier '85329251-335b-453c-a761-6c45a52bd432' was not found in the directory 'Contoso'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
	sqlReadOnly      = `Failed to update database "AnalyticsDB" because the database is read-only.`
	sqlTimeout       = "Execution Timeout Expired.  The timeout period elapsed prior to completion of the operation or the server is not responding."
	sqlDenyPublic    = "Reason: An instance-specific error occurred while establishing a connection to SQL Server. Connection was denied since Deny Public Network Access is set to Yes (https://docs.microsoft.com/azure/azure-sql/database/connectivity-settings#deny-public-network-access). To connect to this server, use the Private Endpoint from inside your virtual network (https://docs.microsoft.com/azure/sql-database/sql-database-private-endpoint-overview#how-to-set-up-private-link-for-azure-sql-database)."
	sqlLoginFailed   = "Login failed for user 'analytics'."
	efModel          = "The model backing the 'AnalyticsEntitiesContext' context has changed since the database was created. Consider using Code First Migrations to update the database (http://go.microsoft.com/fwlink/?LinkId=238269)."
	efCrash          = "System.InvalidOperationException: " + efModel + `
   at System.Data.Entity.CreateDatabaseIfNotExists` + "`" + `1.InitializeDatabase(TContext context)
   at System.Data.Entity.Internal.InternalContext.PerformInitializationAction(Action action)
   at System.Data.Entity.Internal.InternalContext.PerformDatabaseInitialization()
   at Common.Entities.AnalyticsEntitiesContext..ctor(String dbName, Boolean isConnectionString, Boolean autoUpdate)
   at WebJob.Office365ActivityImporter.Program.TestDB(ILogger debugTracer)
   at WebJob.Office365ActivityImporter.Program.<MainAsync>d__1.MoveNext()
--- End of stack trace from previous location where exception was thrown ---
   at System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw()
   at System.Runtime.CompilerServices.TaskAwaiter.HandleNonSuccessAndDebuggerNotification(Task task)
   at WebJob.Office365ActivityImporter.Program.Main(String[] args)`
	oomCrash = `System.OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was thrown.
   at System.Collections.Generic.List` + "`" + `1.set_Capacity(Int32 value)
   at System.Collections.Generic.List` + "`" + `1.EnsureCapacity(Int32 min)
   at WebJob.Office365ActivityImporter.Engine.ActivityAPI.ActivityImporter.<LoadReports>d__12.MoveNext()
--- End of stack trace from previous location where exception was thrown ---
   at System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw()
   at WebJob.Office365ActivityImporter.Program.Main(String[] args)`
	oomAggregate = `System.AggregateException: One or more errors occurred. ---> System.OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was thrown.
   at System.String.Concat(String str0, String str1)
   at WebJob.AppInsightsImporter.Engine.AppInsightsImporter.<ImportAndSave>d__5.MoveNext()
   --- End of inner exception stack trace ---
   at System.Threading.Tasks.Task.Wait(Int32 millisecondsTimeout, CancellationToken cancellationToken)
   at WebJob.AppInsightsImporter.Program.Main(String[] args)
---> (Inner Exception #0) System.OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was thrown.
   at System.String.Concat(String str0, String str1)
   at WebJob.AppInsightsImporter.Engine.AppInsightsImporter.<ImportAndSave>d__5.MoveNext()<---
`
	keyVaultMissing = "A certificate with (name/id) O365AdvancedAnalytics was not found in this key vault. If you recently deleted this certificate you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182\nStatus: 404 (Not Found)\nErrorCode: CertificateNotFound"
	orgURLsMissing  = "FATAL ERROR: No org URLs found in database! This means everything would be ignored for SharePoint audit data. Add at least one URL to the org_urls table for this to work."
	throttleURL     = "https://graph.microsoft.com/v1.0/reports/getTeamsUserActivityUserDetail(period='D7')"
)

// checkCases holds the cases of every built-in check, by check id.
var checkCases = map[string][]checkCase{
	"aad-client-secret-invalid": append(thresholdCases(2, 10*time.Minute, func(b *bundle, i int, t time.Time) {
		b.kudu(act).log(t, "Got exception on GetGraphTeamsAndUserData: "+aadSecretNew)
	}),
		checkCase{name: "a cycle failing on the secret in all three tasks fails", status: klsql.StatusFail, count: n(3), evidence: "first",
			logs: func(b *bundle) {
				b.kudu(act).start(at("0s")).activityStartup(at("1s")).
					log(at("1m"), "Verifying call webhook subscription.").
					log(at("1m1s"), "Got exception on ProcessCallQueueAndWebhook: "+aadSecretNew).mark("first").
					log(at("1m2s"), "Starting Teams & Graph import.").
					log(at("1m3s"), "Got exception on GetGraphTeamsAndUserData: "+aadSecretNew).
					print(at("1m4s"), "Generating new OAuth token...").
					print(at("1m5s"), "Got exception on DownloadActivityData: "+aadSecretNew).
					cycle(at("1m6s"))
			}},
		checkCase{name: "older wording and the expired-secret code count", status: klsql.StatusFail, count: n(3),
			logs: func(b *bundle) {
				b.kudu(act).start(at("0s")).
					log(at("1m"), "Got exception on ProcessCallQueueAndWebhook: "+aadSecretOld).
					log(at("1m1s"), "Got exception on GetGraphTeamsAndUserData: "+aadSecretExpired).
					print(at("1m2s"), "Got exception on DownloadActivityData: "+aadSecretExpired)
			}},
		checkCase{name: "other Azure AD errors do not count", status: klsql.StatusPass, count: n(0),
			logs: func(b *bundle) {
				k := b.kudu(act).start(at("0s"))
				for i := range 5 {
					k.log(at("1m").Add(time.Duration(i)*time.Minute), "Got exception on GetGraphTeamsAndUserData: "+aadAppNotFound)
				}
			}},
		checkCase{name: "the same lines in the job log and the application log count once", status: klsql.StatusFail, count: n(3),
			logs: func(b *bundle) {
				k := b.kudu(act).withAppLog().start(at("0s"))
				for i := range 3 {
					k.log(at("1m").Add(time.Duration(i)*time.Minute), "Got exception on GetGraphTeamsAndUserData: "+aadSecretNew)
				}
			}},
		checkCase{name: "after the console cap the application log shows them", status: klsql.StatusFail, count: n(3),
			logs: func(b *bundle) {
				k := b.kudu(act).withAppLog().start(at("0s")).activityStartup(at("1s")).capNow(at("5m"))
				for i := range 3 {
					k.log(at("1h").Add(time.Duration(i)*time.Minute), "Got exception on GetGraphTeamsAndUserData: "+aadSecretNew)
				}
			}},
		checkCase{name: "a healthy cycle passes", status: klsql.StatusPass, count: n(0), logs: healthyActivity},
	),
	"activity-cycle-overdue": {
		{name: "a recent cycle passes", status: klsql.StatusPass, count: n(1), logs: healthyActivity},
		{name: "cycles just under 24h apart pass (job log)", status: klsql.StatusPass,
			logs: func(b *bundle) { longCycle(b, false, 30*time.Minute, at("24h29m"), at("25h15m")) }},
		{name: "cycles just over 24h apart fail (job log)", status: klsql.StatusFail, first: at("24h30m"), evidence: "beat",
			text: "none from 2026-11-19T08:30:00Z to 2026-11-20T08:31:00Z",
			logs: func(b *bundle) { longCycle(b, false, 30*time.Minute, at("24h31m"), at("25h15m")) }},
		{name: "a job hung since its last cycle fails", status: klsql.StatusFail, first: at("24h30m"), evidence: "beat",
			logs: func(b *bundle) {
				b.kudu(act).start(t0).activityStartup(at("1s")).activityCycle(at("1m"), "open").
					activityCycleEnd(at("30m")).activityCycle(at("40m"), "open").
					stillRunning(at("1h")).stillRunning(at("13h")).stillRunning(at("25h"))
			}},
		{name: "capped console without application log is unknown", status: klsql.StatusUnknown, text: "console capped",
			logs: func(b *bundle) { longCycle(b, false, 5*time.Minute, time.Time{}, at("25h15m")) }},
		{name: "the same run with the application log fails", status: klsql.StatusFail, first: at("24h30m"),
			logs: func(b *bundle) { longCycle(b, true, 5*time.Minute, time.Time{}, at("25h15m")) }},
		{name: "capped console, application log shows cycles just under 24h apart", status: klsql.StatusPass,
			logs: func(b *bundle) { longCycle(b, true, 5*time.Minute, at("24h29m"), at("25h15m")) }},
		{name: "capped console, application log shows cycles just over 24h apart", status: klsql.StatusFail, first: at("24h30m"),
			logs: func(b *bundle) { longCycle(b, true, 5*time.Minute, at("24h31m"), at("25h15m")) }},
		{name: "the AppInsightsImporter's waits do not count", status: klsql.StatusFail,
			logs: func(b *bundle) {
				aiRun(b, true, at("25h15m"))
				longCycle(b, true, 5*time.Minute, time.Time{}, at("25h15m"))
			}},
		{name: "the guide's 'Waiting 2 mins...' of older builds counts", status: klsql.StatusPass, count: n(2),
			logs: func(b *bundle) {
				b.kudu(act).start(t0).print(at("1m"), "Starting activity import.").print(at("5m"), "Waiting 2 mins...").
					print(at("7m"), "Starting activity import.").print(at("23h50m"), "Waiting 2 mins...").stillRunning(at("25h"))
			}},
	},
	"activity-import-finished": {
		{name: "another app's application log covers nothing", status: klsql.StatusUnknown, text: "no log covers it",
			logs: func(b *bundle) {
				b.file("LogFiles/Application/8a3f1c-4312.txt", fsAppLog(fsEvery(t0, at("80h"), 20*time.Minute,
					"Request finished HTTP/1.1 GET https://contoso-shop.azurewebsites.net/health - 200")...))
			}},
		{name: "days without a row of the job are not coverage", status: klsql.StatusUnknown, text: "shorter than 24h",
			logs: func(b *bundle) {
				lines := append(fsEvery(t0, at("2h"), 5*time.Minute, fmt.Sprintf(progress, 42)),
					fsLine{at("2h1m"), appPrefix(at("2h1m")) + finishedActivity})
				lines = append(lines, fsEvery(at("74h"), at("76h"), 5*time.Minute, fmt.Sprintf(progress, 42))...)
				b.file("LogFiles/Application/5b7e2d-4312.txt", fsAppLog(lines...))
			}},
		{name: "a recent import passes", status: klsql.StatusPass, count: n(1), logs: healthyActivity},
		{name: "imports just under 24h apart pass (job log)", status: klsql.StatusPass,
			logs: func(b *bundle) { longCycle(b, false, 30*time.Minute, at("24h29m"), at("25h15m")) }},
		{name: "imports just over 24h apart fail (job log)", status: klsql.StatusFail, first: at("24h30m"), evidence: "finished",
			logs: func(b *bundle) { longCycle(b, false, 30*time.Minute, at("24h31m"), at("25h15m")) }},
		{name: "capped console without application log is unknown", status: klsql.StatusUnknown, text: "console capped",
			logs: func(b *bundle) { longCycle(b, false, 5*time.Minute, time.Time{}, at("25h15m")) }},
		{name: "the same run with the application log fails", status: klsql.StatusFail, first: at("24h30m"),
			logs: func(b *bundle) { longCycle(b, true, 5*time.Minute, time.Time{}, at("25h15m")) }},
		{name: "capped console, application log shows imports just under 24h apart", status: klsql.StatusPass,
			logs: func(b *bundle) { longCycle(b, true, 5*time.Minute, at("24h29m"), at("25h15m")) }},
		{name: "cycles go on but every audit import fails", status: klsql.StatusFail, evidence: "finished",
			logs: func(b *bundle) {
				k := b.kudu(act).withAppLog().start(t0).activityStartup(at("1s")).activityCycle(at("1m"))
				for t := at("3h"); !t.After(at("27h")); t = t.Add(3 * time.Hour) {
					k.activityCycle(t, "no:Audit events import").every(t.Add(15*time.Minute), t.Add(175*time.Minute), 10*time.Minute,
						"Usage Stats Reporter - telemetry stats uploaded recently (less than 24 hours ago) - skipping for now")
				}
			}},
		{name: "ActivityLog=False is skipped", status: klsql.StatusSkipped, text: "ActivityLog is disabled",
			logs: func(b *bundle) {
				k := b.kudu(act).start(t0).activityStartup(at("1s"))
				for t := at("1m"); t.Before(at("30h")); t = t.Add(13 * time.Minute) {
					k.activityCycle(t, "ActivityLog=False", "Calls=False", "GraphTeams=False", "GraphUserApps=False", "no:Usage reports")
				}
			}},
		{name: "re-enabled after being skipped is judged again", status: klsql.StatusPass,
			logs: func(b *bundle) {
				k := b.kudu(act).start(t0).activityStartup(at("1s")).activityCycle(at("1m"), "ActivityLog=False")
				k.exit(at("2h"), 0).start(at("2h1m")).activityStartup(at("2h1m")).activityCycle(at("2h2m"))
			}},
	},
	"section-import-missing": {
		{name: "a healthy day passes", status: klsql.StatusPass, text: "8 of 8 seen",
			logs: func(b *bundle) { busySite(b, at("26h"), func(int) []string { return nil }) }},
		{name: "a section that stopped finishing fails", status: klsql.StatusFail, text: "Teams import: none from 2026-11-19T08:02",
			logs: func(b *bundle) {
				busySite(b, at("26h"), func(i int) []string {
					if i == 0 {
						return nil
					}
					return []string{"no:Teams import"}
				})
			}},
		{name: "a section just under 24h apart passes", status: klsql.StatusPass,
			logs: func(b *bundle) {
				busySite(b, at("26h"), func(int) []string { return []string{"no:Teams import"} },
					sectionAt("Teams import", at("1h30m"), at("25h29m"))...)
			}},
		{name: "a section just over 24h apart fails", status: klsql.StatusFail, first: at("25h30m"),
			text: "Teams import: none from 2026-11-19T09:30:00Z to 2026-11-20T09:31:00Z",
			logs: func(b *bundle) {
				busySite(b, at("26h"), func(int) []string { return []string{"no:Teams import"} },
					sectionAt("Teams import", at("1h30m"), at("25h31m"))...)
			}},
		{name: "a day without new page views is no missing hits import", status: klsql.StatusPass,
			logs: func(b *bundle) {
				// as the app does: once a hit exists, every cycle downloads it again and fires Hits import
				k := b.kudu(ai).withAppLog().start(t0).aiStartup(at("1s")).aiCycle(at("1h"), 3)
				for t := at("1h10m"); !t.After(at("30h")); t = t.Add(10 * time.Minute) {
					k.aiCycleStale(t, at("1h2s"))
				}
				activityRun(b, at("30h"), func(int) []string { return nil })
			}},
		{name: "no hits import for a day fails (the guide's 24 h)", status: klsql.StatusFail, first: at("25h0m2s"),
			text: "Hits import: none from 2026-11-19T09:00:02",
			logs: func(b *bundle) { aiRun(b, true, at("26h"), at("1h")) }},
		{name: "no hit ever imported skips hits import", status: klsql.StatusPass, text: "holds no page view yet",
			logs: func(b *bundle) {
				k := b.kudu(ai).withAppLog().start(t0).aiStartup(at("1s"))
				for t := at("1m"); !t.After(at("26h")); t = t.Add(10 * time.Minute) {
					k.log(t, "Requesting data from AppInsights from "+dotnetTime(t.Add(-30*24*time.Hour))+" (no hits yet to start from previous)...").
						log(t.Add(2*time.Second), "No new hits found.").cycle(t.Add(2 * time.Second))
				}
				activityRun(b, at("26h"), func(int) []string { return nil })
			}},
		{name: "an AppInsightsImporter that never queries App Insights leaves hits import unknown", status: klsql.StatusFail,
			text: "cannot tell for Hits import: AppInsightsImporter never got as far", // its cycle fails
			logs: func(b *bundle) {
				k := b.kudu(ai).withAppLog().start(t0)
				// a run that stops before its import loop yet stays alive (Kudu keeps noting it)
				k.log(at("1s"), "Office 365 Advanced Analytics engine START: 'Build 1226'.").
					log(at("1s"), "Critical: no Application Insights API key found - can't continue. Run the latest installer again to reset configuration.")
				for t := at("10m"); !t.After(at("26h")); t = t.Add(10 * time.Minute) {
					k.log(t, "Usage Stats Reporter - telemetry stats uploaded recently (less than 24 hours ago) - skipping for now")
				}
				activityRun(b, at("26h"), func(int) []string { return nil })
			}},
		{name: "web traffic disabled skips hits import and the AppInsightsImporter's cycle", status: klsql.StatusPass,
			text: "stops before its first cycle",
			logs: func(b *bundle) {
				k := b.kudu(ai).withAppLog().start(t0).aiStartup(at("1s")).
					log(at("23s"), "WARNING: Web-traffic import is disabled in app configuration. Stopping here until the app is restarted.")
				k.stillRunning(at("1h")).stillRunning(at("13h")).stillRunning(at("25h"))
				activityRun(b, at("26h"), func(int) []string { return nil })
			}},
		{name: "usage reports just under 26h apart pass", status: klsql.StatusPass,
			logs: func(b *bundle) {
				busySite(b, at("28h"), func(int) []string { return []string{"no:Usage reports"} },
					sectionAt("Usage reports", at("1h30m"), at("27h29m"))...)
			}},
		{name: "usage reports just over 26h apart fail", status: klsql.StatusFail, first: at("27h30m"),
			text: "Usage reports: none from 2026-11-19T09:30:00Z to 2026-11-20T11:31:00Z",
			logs: func(b *bundle) {
				busySite(b, at("28h"), func(int) []string { return []string{"no:Usage reports"} },
					sectionAt("Usage reports", at("1h30m"), at("27h31m"))...)
			}},
		{name: "a section disabled in ImportJobSettings is skipped", status: klsql.StatusPass,
			text: `skipped Teams import: disabled in ImportJobSettings (the job prints "Skipping Teams import")`,
			logs: func(b *bundle) { busySite(b, at("26h"), func(int) []string { return []string{"GraphTeams=False"} }) }},
		{name: "a section enabled again is judged again", status: klsql.StatusFail, text: "Teams import: none from",
			logs: func(b *bundle) {
				busySite(b, at("40h"), func(i int) []string {
					if i < 2 {
						return []string{"GraphTeams=False"}
					}
					if i == 2 {
						return nil
					}
					return []string{"no:Teams import"}
				})
			}},
		{name: "older builds' section names and contexts count", status: klsql.StatusPass, text: "8 of 8 seen",
			logs: func(b *bundle) { busySite(b, at("26h"), func(int) []string { return []string{"old-build"} }) }},
		{name: "capped console without application log is unknown", status: klsql.StatusUnknown, text: "console capped",
			logs: func(b *bundle) { stuckActivity(b, false) }},
		{name: "the same run with the application log fails", status: klsql.StatusFail, text: "Teams import: none from",
			logs: func(b *bundle) { stuckActivity(b, true) }},
		{name: "the AppInsightsImporter stopped cycling fails", status: klsql.StatusFail,
			text: "FinishedImportCycle AppInsightsImporter: none from",
			logs: func(b *bundle) {
				k := b.kudu(ai).withAppLog().start(t0).aiStartup(at("1s")).aiCycle(at("1m"), 12).aiCycle(at("11m"), 0)
				k.stillRunning(at("1h")).stillRunning(at("13h")).stillRunning(at("25h"))
				activityRun(b, at("26h"), func(int) []string { return nil })
			}},
	},
	"web-hits-missing": {
		{name: "page views every hour pass", status: klsql.StatusPass,
			logs: func(b *bundle) { aiRun(b, true, at("50h"), hourly(at("1h"), at("50h"))...) }},
		{name: "page views just under 48h apart pass", status: klsql.StatusPass,
			logs: func(b *bundle) { aiRun(b, true, at("50h"), at("1h"), at("48h59m")) }},
		{name: "page views just over 48h apart fail", status: klsql.StatusFail, first: at("49h0m2s"),
			text: "none from 2026-11-19T09:00:02",
			logs: func(b *bundle) { aiRun(b, true, at("50h"), at("1h"), at("49h1m")) }},
		{name: "events without page views do not count", status: klsql.StatusFail,
			logs: func(b *bundle) {
				k := aiRun(b, true, at("49h"))
				k.log(at("49h1m"), "Requesting data from AppInsights from "+dotnetTime(at("48h51m"))+" (newest hit is from "+dotnetTime(at("48h50m"))+")...").
					log(at("49h1m2s"), "Hits downloaded - '0' in total. Earliest: 2026-11-21 08:51:00.12, latest: 2026-11-21 09:01:02.88").
					log(at("49h1m2s"), "Processed 17 events, and 0 page-views").
					log(at("49h1m2s"), "Search batch imported - 17 new searches inserted").
					log(at("49h1m2s"), "Saved 17 events, and 0 page-views").cycle(at("49h1m3s"))
			}},
		{name: "the same old hit downloaded every cycle is no new page view", status: klsql.StatusFail, first: at("49h0m2s"),
			logs: func(b *bundle) {
				k := b.kudu(ai).withAppLog().start(t0).aiStartup(at("1s")).aiCycle(at("1h"), 3)
				hit := at("1h2s")
				for t := at("1h10m"); !t.Before(at("1h10m")) && !t.After(at("50h")); t = t.Add(10 * time.Minute) {
					k.aiCycleStale(t, hit)
				}
			}},
		{name: "an importer that never got as far as querying App Insights is unknown", status: klsql.StatusUnknown,
			text: "never got as far",
			logs: func(b *bundle) {
				k := b.kudu(ai).withAppLog()
				for t := t0; t.Before(at("50h")); t = t.Add(10 * time.Minute) {
					k.start(t).log(t.Add(time.Second), "Office 365 Advanced Analytics engine START: 'Build 1226'.").
						log(t.Add(time.Second), "Configured values:").
						log(t.Add(time.Second), "Critical: no Application Insights API key found - can't continue. Run the latest installer again to reset configuration.").
						log(t.Add(time.Second), "\nCheck settings & restart app.").exit(t.Add(2*time.Second), 0)
				}
			}},
		{name: "thousands separators are read", status: klsql.StatusPass, count: n(1),
			logs: func(b *bundle) {
				b.kudu(ai).start(t0).aiStartup(at("1s")).log(at("1m"), "Saved 1,017 events, and 1,234 page-views").cycle(at("1m1s"))
			}},
		{name: "capped console without application log is unknown", status: klsql.StatusUnknown, text: "console capped",
			logs: func(b *bundle) { aiRun(b, false, at("61h"), at("1h")) }},
		{name: "the same run with the application log fails", status: klsql.StatusFail, first: at("49h0m2s"),
			logs: func(b *bundle) { aiRun(b, true, at("61h"), at("1h")) }},
		{name: "web traffic disabled in ImportJobSettings is skipped", status: klsql.StatusSkipped, text: "WebTraffic=False",
			logs: func(b *bundle) {
				b.kudu(ai).start(t0).aiStartup(at("1s")).
					log(at("23s"), "WARNING: Web-traffic import is disabled in app configuration. Stopping here until the app is restarted.").
					stillRunning(at("1h")).stillRunning(at("13h")).stillRunning(at("25h")).stillRunning(at("37h")).stillRunning(at("49h"))
			}},
		{name: "web traffic disabled, the warning in the same second as the start", status: klsql.StatusSkipped,
			logs: func(b *bundle) {
				b.kudu(ai).start(t0).log(at("1s"), "Office 365 Advanced Analytics engine START: 'Build 1226'.").
					print(at("3s"), "").
					log(at("3s"), "Starting Application Insights import.").
					log(at("3s"), "WARNING: Web-traffic import is disabled in app configuration. Stopping here until the app is restarted.").
					stillRunning(at("1h")).stillRunning(at("13h")).stillRunning(at("25h")).stillRunning(at("37h")).stillRunning(at("49h"))
			}},
		{name: "web traffic enabled again is judged again", status: klsql.StatusPass,
			logs: func(b *bundle) {
				b.kudu(ai).start(t0).aiStartup(at("1s")).
					log(at("23s"), "WARNING: Web-traffic import is disabled in app configuration. Stopping here until the app is restarted.").
					sys(at("2h"), "WebJob is stopping due to website shutting down").sys(at("2h"), "Status changed to Stopping").
					sys(at("2h"), "WebJob process was aborted").sys(at("2h"), "Status changed to Stopped").
					start(at("2h1m")).aiStartup(at("2h1m")).aiCycle(at("2h2m"), 3)
			}},
	},
	"appinsights-logging-disabled": {
		{name: "no connection string in either job fails", status: klsql.StatusFail, count: n(2), evidence: "warning",
			logs: func(b *bundle) {
				b.kudu(ai).start(t0).print(at("1s"), "WARNING: No AppInsights connection string provided. AppInsights logging disabled.").
					mark("warning").aiStartup(at("1s"))
				b.kudu(act).start(t0).print(at("2s"), "WARNING: No AppInsights connection string provided. AppInsights logging disabled.").
					activityStartup(at("2s"))
			}},
		{name: "seen only in the application log fails", status: klsql.StatusFail, count: n(1),
			logs: func(b *bundle) {
				b.appLog().print(at("1s"), "WARNING: No AppInsights connection string provided. AppInsights logging disabled.").
					log(at("1s"), "Office 365 Advanced Analytics engine START: 'Build 1226'.")
			}},
		{name: "a normal start-up passes", status: klsql.StatusPass, count: n(0),
			logs: func(b *bundle) {
				b.kudu(ai).start(t0).aiStartup(at("1s")).aiCycle(at("1m"), 3)
				healthyActivity(b)
			}},
	},
	"call-records-pipeline": {
		{name: "call records saved pass", status: klsql.StatusPass, text: "2 call record(s) read from Service Bus and saved",
			logs: func(b *bundle) {
				healthyActivity(b)
				b.kudu(act).log(at("20m"), "New message received from ServiceBus with ID 'a3f5c2d1e0b94c4f8e7d6c5b4a392817'.").
					log(at("20m1s"), "Added call ID 'f1e2d3c4-b5a6-4789-9012-3456789abcde' to database from ServiceBus.").
					log(at("20m1s"), "Succesfully processed & completed ServiceBus message ID 'a3f5c2d1e0b94c4f8e7d6c5b4a392817'")
			}},
		{name: "a message that cannot be read fails", status: klsql.StatusFail, evidence: "error", text: "the chain breaks at Service Bus",
			logs: func(b *bundle) {
				healthyActivity(b)
				b.kudu(act).log(at("20m"), "New message received from ServiceBus with ID 'a3f5c2d1e0b94c4f8e7d6c5b4a392817'.").
					log(at("20m1s"), `Error deserialising body '{"value":[{"subscriptionId":"7f105c7d"}]}' from ServiceBus. Exception: Unexpected character encountered while parsing value: {. Path 'value[0]', line 1, position 11.`).mark("error").
					log(at("20m1s"), "Abandoning ServiceBus message ID 'a3f5c2d1e0b94c4f8e7d6c5b4a392817' as import was NOT succesful")
			}},
		{name: "a processor without Listen rights fails", status: klsql.StatusFail, evidence: "error",
			logs: func(b *bundle) {
				b.kudu(act).start(t0).activityStartup(at("1s")).log(at("1m"), "Verifying call webhook subscription.").
					log(at("1m2s"), "ServiceBus client: Now listening for service-bus messages.").
					log(at("1m3s"), "ServiceBus processor encountered an exception 'Unauthorized access. 'Listen' claim(s) are required to perform this operation. Resource: 'sb://contoso-analytics.servicebus.windows.net/calls'. TrackingId:2b1e0f6a, SystemTracker:gateway7, Timestamp:2026-11-19T08:01:03'.").mark("error").
					log(at("1m3s"), "Exception context for troubleshooting:").
					log(at("1m3s"), "- Namespace: contoso-analytics.servicebus.windows.net").
					log(at("1m3s"), "- Entity Path: calls").
					log(at("1m3s"), "- Error Source: Receive")
			}},
		{name: "not listening fails", status: klsql.StatusFail,
			logs: func(b *bundle) {
				b.kudu(act).start(t0).activityStartup(at("1s")).log(at("1m"), "Verifying call webhook subscription.").
					log(at("1m2s"), "ServiceBus client: Not listening for service-bus messages?")
			}},
		{name: "listening without messages is unknown", status: klsql.StatusUnknown, text: "no message received",
			logs: healthyActivity},
		{name: "messages received but none saved is unknown", status: klsql.StatusUnknown, text: "received but none reported saved",
			logs: func(b *bundle) {
				healthyActivity(b)
				b.kudu(act).log(at("20m"), "New message received from ServiceBus with ID 'a3f5c2d1e0b94c4f8e7d6c5b4a392817'.")
			}},
		{name: "nothing of the chain in the logs is unknown", status: klsql.StatusUnknown, text: "the logs show nothing of the call-records chain",
			logs: func(b *bundle) { b.kudu(ai).start(t0).aiStartup(at("1s")).aiCycle(at("1m"), 3) }},
		{name: "call import disabled is skipped", status: klsql.StatusSkipped, text: "Calls=False",
			logs: func(b *bundle) {
				b.kudu(act).start(t0).activityStartup(at("1s")).activityCycle(at("1m"), "Calls=False").activityCycle(at("14m"), "Calls=False")
			}},
		{name: "call import enabled again is judged again", status: klsql.StatusPass,
			logs: func(b *bundle) {
				k := b.kudu(act).start(t0).activityStartup(at("1s")).activityCycle(at("1m"), "Calls=False").exit(at("10m"), 0)
				k.start(at("11m")).activityStartup(at("11m1s")).activityCycle(at("12m")).
					log(at("20m"), "New message received from ServiceBus with ID 'a3f5c2d1e0b94c4f8e7d6c5b4a392817'.").
					log(at("20m1s"), "Added call ID 'f1e2d3c4-b5a6-4789-9012-3456789abcde' to database from ServiceBus.")
			}},
	},
	"call-webhook-create-failed": {
		{name: "Graph refuses the subscription fails", status: klsql.StatusFail, count: n(1), evidence: "error",
			logs: func(b *bundle) {
				b.kudu(act).start(t0).activityStartup(at("1s")).log(at("1m"), "Verifying call webhook subscription.").
					log(at("1m1s"), "No subscription found for call-records, for URL '"+webhookURL+"'. Creating...").
					log(at("1m3s"), "Couldn't create webhook at URL '"+webhookURL+"'. Got exception: 'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.'").mark("error").
					log(at("1m3s"), "Starting Teams & Graph import.")
			}},
		{name: "every cycle failing counts each", status: klsql.StatusFail, count: n(3),
			logs: func(b *bundle) {
				k := b.kudu(act).withAppLog().start(t0).activityStartup(at("1s")).capNow(at("5s"))
				for i := range 3 {
					t := at("1m").Add(time.Duration(i) * 13 * time.Minute)
					k.log(t, "Verifying call webhook subscription.").
						log(t.Add(time.Second), "Couldn't create webhook at URL '"+webhookURL+"'. Got exception: 'Operation: Create; Exception: [Status Code: Forbidden; Reason: The request is not authorized for this operation.]'")
				}
			}},
		{name: "an existing subscription updated passes", status: klsql.StatusPass, count: n(0), logs: healthyActivity},
	},
	"call-webhook-subscription": {
		{name: "verified and updated passes", status: klsql.StatusPass, text: "subscription verified, last updated or created at 2026-11-19T08:01",
			logs: healthyActivity},
		{name: "verified and created passes", status: klsql.StatusPass,
			logs: func(b *bundle) {
				b.kudu(act).start(t0).activityStartup(at("1s")).log(at("1m"), "Verifying call webhook subscription.").
					log(at("1m1s"), "No subscription found for call-records, for URL '"+webhookURL+"'. Creating...").
					log(at("1m3s"), "Created subscription id '9b8a7c6d-5e4f-4321-8765-0fedcba98765' for webhook.")
			}},
		{name: "verified but never updated or created fails", status: klsql.StatusFail, evidence: "verify",
			text: "never updates or creates it",
			logs: func(b *bundle) {
				b.kudu(act).start(t0).activityStartup(at("1s")).log(at("1m"), "Verifying call webhook subscription.").mark("verify").
					log(at("1m1s"), "No subscription found for call-records, for URL '"+webhookURL+"'. Creating...").
					log(at("1m3s"), "Couldn't create webhook at URL '"+webhookURL+"'. Got exception: 'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.'")
			}},
		{name: "whole cycles without verifying fail", status: klsql.StatusFail, text: "never verifies",
			logs: func(b *bundle) {
				b.kudu(act).start(t0).activityStartup(at("1s")).activityCycle(at("1m"), "no:webhook").activityCycle(at("14m"), "no:webhook")
			}},
		{name: "call import disabled is skipped", status: klsql.StatusSkipped, text: "Calls=False",
			logs: func(b *bundle) {
				b.kudu(act).start(t0).activityStartup(at("1s")).activityCycle(at("1m"), "Calls=False")
			}},
		{name: "no Office365ActivityImporter output is unknown", status: klsql.StatusUnknown, text: "no Office365ActivityImporter output",
			logs: func(b *bundle) { b.kudu(ai).start(t0).aiStartup(at("1s")).aiCycle(at("1m"), 3) }},
		{name: "start-up only is unknown", status: klsql.StatusUnknown, text: "the start of no Office365ActivityImporter cycle is visible",
			logs: func(b *bundle) { b.kudu(act).start(t0).activityStartup(at("1s")) }},
		{name: "an application log holding only the end of a cycle is unknown", status: klsql.StatusUnknown,
			text: "the start of no Office365ActivityImporter cycle is visible",
			logs: func(b *bundle) {
				// a one-hour blob: the cycle started before it (its verification is not in it)
				b.appLog().every(at("1m"), at("50m"), 5*time.Minute, progress).
					log(at("51m"), "Audit events import: Got 1,234 audit events from 12 summary reports. 1,200 imported, 34 processed already, 0 URLs out of scope of SharePoint site import whitelist (org_urls)").
					log(at("51m"), "Audit events import: 0 hours, 1 mins, and 53 seconds.").
					print(at("51m"), "New event 'FinishedSectionImport'; 'context=Audit events import: 0 hours, 1 mins, and 53 seconds.'.").
					log(at("51m"), finishedActivity).
					log(at("51m"), "SPOInsights.WebJob.Office365ActivityImport: 2 hours, 7 mins, and 10 seconds.").
					print(at("51m"), "New event 'FinishedImportCycle'; 'context=SPOInsights.WebJob.Office365ActivityImport: 2 hours, 7 mins, and 10 seconds.'.").
					log(at("51m"), "Waiting 10 mins...")
			}},
	},
	"config-errors": {
		{name: "settings of the wrong type fail", status: klsql.StatusFail, count: n(1), evidence: "error",
			logs: func(b *bundle) {
				b.kudu(act).start(t0).print(at("1s"), "Error converting configurations values to int/guid/timespan. Please verify App Settings.").
					mark("error").exit(at("1s"), -1)
			}},
		{name: "no workloads configured fails", status: klsql.StatusFail, count: n(1),
			logs: func(b *bundle) {
				b.kudu(act).start(t0).log(at("1s"), "Office 365 Advanced Analytics engine START: 'Build 1226'.").
					log(at("1s"), "\nConfigured workloads to import:").
					log(at("1s"), "CONFIG ERROR: No Office 365 workloads found in configuration key 'ContentTypesListAsString'!").exit(at("1s"), -1)
			}},
		{name: "no App Insights API key fails", status: klsql.StatusFail, count: n(2),
			logs: func(b *bundle) {
				b.kudu(ai).start(t0).log(at("1s"), "Office 365 Advanced Analytics engine START: 'Build 1226'.").
					log(at("1s"), "Configured values:").
					log(at("1s"), "Critical: no Application Insights API key found - can't continue. Run the latest installer again to reset configuration.").
					log(at("2s"), "\nCheck settings & restart app.").exit(at("2s"), 0)
			}},
		{name: "SQL unreachable at start-up fails", status: klsql.StatusFail, count: n(1),
			logs: func(b *bundle) {
				b.kudu(ai).start(t0).log(at("1s"), "Testing SQL config...").
					log(at("16s"), "Fatal error connecting to configured SQL:").
					log(at("16s"), "Cannot open server 'contoso-analytics' requested by the login. Client with IP address '20.50.2.11' is not allowed to access the server.").
					print(at("16s"), "Check your SQL configuration in the .config file / App Service settings.")
			}},
		{name: "SQL error testing the database fails", status: klsql.StatusFail, count: n(1),
			logs: func(b *bundle) {
				b.kudu(act).start(t0).log(at("1s"), "Testing SQL configuration...").
					log(at("3s"), "Got a SQL error: "+sqlLoginFailed).exit(at("3s"), -1)
			}},
		{name: "a normal start-up passes", status: klsql.StatusPass, count: n(0),
			logs: func(b *bundle) {
				b.kudu(ai).start(t0).aiStartup(at("1s")).aiCycle(at("1m"), 3)
				healthyActivity(b)
			}},
	},
	"console-output-capped": {
		{name: "no cap passes", status: klsql.StatusPass, count: n(0), logs: healthyActivity},
		{name: "capped without application log fails", status: klsql.StatusFail, count: n(1), evidence: "cap",
			text: "console capped from 2026-11-19T08:20:00Z to 2026-11-20T09:00:00Z, not covered by any application log",
			logs: func(b *bundle) {
				k := b.kudu(act).start(t0).activityStartup(at("1s")).activityCycle(at("1m"), "open").capNow(at("20m"))
				k.stillRunning(at("1h")).stillRunning(at("13h")).stillRunning(at("25h"))
			}},
		{name: "a capped loose job log that names no job fails as an unnamed job", status: klsql.StatusFail, count: n(1),
			text: "unnamed job (",
			logs: func(b *bundle) {
				k := b.looseKudu("job_log.txt", "").startBare(t0).genericLines(at("1s"))
				for k.console <= gen.KuduMaxConsoleLines {
					k.log(at("20m"), "Waiting 10 mins...")
				}
				k.stillRunning(at("1h")).stillRunning(at("13h"))
			}},
		{name: "capped with the application log up to the capture passes", status: klsql.StatusPass,
			text: "covered by the application log",
			logs: func(b *bundle) {
				k := b.kudu(act).withAppLog().start(t0).activityStartup(at("1s")).activityCycle(at("1m"), "open").capNow(at("20m"))
				k.every(at("25m"), at("2h"), 5*time.Minute, progress)
			}},
		{name: "capped with the application log up to a minute before Kudu's last line passes", status: klsql.StatusPass,
			text: "covered by the application log",
			logs: func(b *bundle) {
				k := b.kudu(act).withAppLog().start(t0).activityStartup(at("1s")).activityCycle(at("1m"), "open").capNow(at("20m"))
				k.every(at("25m"), at("12h59m"), 10*time.Minute, progress).stillRunning(at("13h"))
			}},
		{name: "each capped run is judged on its own", status: klsql.StatusFail, count: n(1), evidence: "cap2",
			text: "console capped from 2026-11-19T09:10:00Z to 2026-11-19T09:51:00Z, not covered",
			logs: func(b *bundle) {
				// application-log blobs were sent for hour 08 only
				k := b.kudu(act).withAppLog().start(t0).activityStartup(at("1s")).capNow(at("20m")).
					every(at("25m"), at("45m"), 5*time.Minute, progress).crash(at("50m"), efCrash).
					start(at("51m")).activityStartup(at("51m1s")).every(at("55m"), at("59m"), time.Minute, progress)
				k.app = nil
				k.capNow(at("1h10m")).stillRunning(at("1h51m"))
			}},
		{name: "a capped run ends when its process exits", status: klsql.StatusPass, text: "covered by the application log",
			logs: func(b *bundle) {
				// application-log blobs were sent for hour 08 only; the job crashed at its end
				k := b.kudu(act).withAppLog().start(t0).activityStartup(at("1s")).capNow(at("20m")).
					every(at("25m"), at("59m"), 5*time.Minute, progress).crash(at("59m30s"), efCrash)
				k.app = nil
				k.start(at("1h30s")).activityStartup(at("1h31s"))
			}},
	},
	"ef-model-changed": {
		{name: "a start-up crash on the schema fails", status: klsql.StatusFail, count: n(1), evidence: "crash",
			logs: func(b *bundle) {
				header, frames, _ := strings.Cut(efCrash, "\n")
				b.kudu(act).start(t0).activityStartup(at("1s")).stderr(at("3s"), "").
					stderr(at("3s"), "Unhandled Exception: "+header).mark("crash").stderr(at("3s"), frames).exit(at("3s"), -532462766)
			}},
		{name: "a crash loop counts every crash", status: klsql.StatusFail, count: n(3),
			logs: func(b *bundle) {
				k := b.kudu(act)
				for i := range 3 {
					t := t0.Add(time.Duration(i) * 65 * time.Second)
					k.start(t).activityStartup(t.Add(time.Second)).crash(t.Add(3*time.Second), efCrash)
				}
			}},
		{name: "a crash in both the job log and the application log counts once", status: klsql.StatusFail, count: n(1),
			logs: func(b *bundle) {
				b.kudu(act).withAppLog().start(t0).activityStartup(at("1s")).crash(at("3s"), efCrash)
			}},
		{name: "the 2020 context name counts", status: klsql.StatusFail, count: n(1),
			logs: func(b *bundle) {
				b.kudu(act).start(t0).print(at("1s"), "Testing SQL configuration...").
					crash(at("9s"), strings.ReplaceAll(efCrash, "AnalyticsEntitiesContext", "SPOInsightsEntitiesContext"))
			}},
		{name: "a crash cut by the console cap counts", status: klsql.StatusFail, count: n(1),
			logs: func(b *bundle) {
				k := b.kudu(act).start(t0).activityStartup(at("1s"))
				for k.console < gen.KuduMaxConsoleLines-2 {
					k.log(at("4s"), fillerLine(act, k.console))
				}
				k.crash(at("5s"), efCrash) // the header is console line 200: the frames are not recorded
			}},
		{name: "a crash only in the application log fails with its blob and row", status: klsql.StatusFail, count: n(1), evidence: "crash",
			logs: func(b *bundle) {
				header, frames, _ := strings.Cut(efCrash, "\n")
				b.appLog().log(at("1s"), "Testing SQL configuration...").stderr(at("3s"), "").
					stderr(at("3s"), "Unhandled Exception: "+header).mark("crash").stderr(at("3s"), frames)
			}},
		{name: "printed inside a SQL error message counts", status: klsql.StatusFail, count: n(1),
			logs: func(b *bundle) {
				b.kudu(act).start(t0).log(at("1s"), "Testing SQL configuration...").log(at("3s"), "Got a SQL error: "+efModel).exit(at("3s"), -1)
			}},
		{name: "a healthy start passes", status: klsql.StatusPass, count: n(0), logs: healthyActivity},
	},
	"external-user-not-found": {
		{name: "a guest user not found fails", status: klsql.StatusFail, count: n(1), evidence: "guest",
			logs: func(b *bundle) {
				healthyActivity(b)
				b.kudu(act).log(at("10m"), "Got exception on GetGraphTeamsAndUserData: Code: Request_ResourceNotFound").
					print(at("10m"), "Message: Resource 'adele.vance_fabrikam.com#EXT#@contoso.onmicrosoft.com' does not exist or one of its queried reference-property objects are not present.").mark("guest")
			}},
		{name: "an internal user not found passes", status: klsql.StatusPass, count: n(0),
			logs: func(b *bundle) {
				healthyActivity(b)
				b.kudu(act).log(at("10m"), "Got exception on GetGraphTeamsAndUserData: Code: Request_ResourceNotFound").
					print(at("10m"), "Message: Resource 'megan.bowen@contoso.com' does not exist or one of its queried reference-property objects are not present.")
			}},
		{name: "a healthy cycle passes", status: klsql.StatusPass, count: n(0), logs: healthyActivity},
	},
	"graph-permissions": {
		{name: "Teams user data access denied fails", status: klsql.StatusFail, count: n(1), evidence: "denied",
			logs: func(b *bundle) {
				b.kudu(act).start(t0).activityStartup(at("1s")).log(at("1m"), "Starting Teams & Graph import.").
					log(at("1m5s"), "ERROR: Can't access Teams user data - are application permissions configured correctly?").mark("denied")
			}},
		{name: "Teams apps access denied fails", status: klsql.StatusFail, count: n(1),
			logs: func(b *bundle) {
				b.kudu(act).start(t0).log(at("1m"), "User Apps Load - updating Teams Apps for 299 users...").
					log(at("1m5s"), "User Apps Load - access denied reading user Teams Apps. Check 'TeamsAppInstallation.ReadForUser.All' is granted.")
			}},
		{name: "SKUs not readable fails", status: klsql.StatusFail, count: n(1),
			logs: func(b *bundle) {
				b.kudu(act).start(t0).log(at("1m"), "8:01 AM User import - start").
					log(at("1m5s"), "User import - couldn't load SKUs for org - Insufficient privileges to complete the operation.. Ensure 'Organization.Read.All' in granted.")
			}},
		{name: "audit subscription not creatable fails", status: klsql.StatusFail, count: n(1),
			logs: func(b *bundle) {
				b.kudu(act).start(t0).log(at("1m"), "Reading existing Office 365 Activity API subscriptions...").
					print(at("1m1s"), "Creating subscription for content-type Audit.SharePoint. Need to wait a few seconds before it can be accessed...").
					log(at("1m9s"), "Can't create subscription. Check service-account permissions to Office 365 Activity API & that audit-log is turned on for tenant.")
			}},
		{name: "Graph Authorization_RequestDenied fails", status: klsql.StatusFail, count: n(2),
			logs: func(b *bundle) {
				b.kudu(act).start(t0).log(at("1m"), "Got exception on GetGraphTeamsAndUserData: Code: Authorization_RequestDenied\nMessage: Insufficient privileges to complete the operation.")
			}},
		{name: "the permission test of a healthy cycle passes", status: klsql.StatusPass, count: n(0),
			logs: func(b *bundle) {
				healthyActivity(b)
				b.kudu(act).log(at("10m"), "User Apps Load - testing API permissions for 'TeamsAppInstallation.ReadForUser.All' read with 'adele.vance@contoso.com'...")
			}},
	},
	"graph-throttling": {
		{name: "retries exhausted fails", status: klsql.StatusFail, count: n(1), evidence: "gave up",
			logs: func(b *bundle) {
				k := b.kudu(act).start(t0).log(at("1m"), "Importing Teams user activity reports...")
				for i := 1; i <= 3; i++ {
					k.log(at("1m").Add(time.Duration(i)*10*time.Second), fmt.Sprintf("Throttle error for %s. Waiting to retry for attempt #%d, 10 seconds (from 'retry-after' header)...", throttleURL, i))
				}
				k.log(at("2m"), "Throttle error. Maximum retry attempts 3 has been attempted for "+throttleURL+".").mark("gave up")
			}},
		{name: "retries that succeed pass", status: klsql.StatusPass, count: n(0),
			logs: func(b *bundle) {
				b.kudu(act).start(t0).log(at("1m"), "Importing Teams user activity reports...").
					log(at("1m10s"), "Throttle error for "+throttleURL+". Waiting to retry for attempt #1, 10 seconds (from 'retry-after' header)...").
					log(at("1m15s"), "Throttle error downloading from REST. Waiting 5 seconds to try again...").
					log(at("1m30s"), "GraphImporter read 1,022 Teams user activity records from Graph API")
			}},
	},
	"job-not-running": {
		{name: "status files Running pass", status: klsql.StatusPass,
			logs: func(b *bundle) {
				healthyActivity(b)
				b.kudu(ai).start(t0).aiStartup(at("1s"))
				b.statusFile(act, inst, "Running").statusFile(ai, inst, "Running")
			}},
		{name: "a status file PendingRestart fails", status: klsql.StatusFail, count: n(1), evidence: "status",
			text: "Office365ActivityImporter: 5b7e2d: PendingRestart (status file)",
			logs: func(b *bundle) {
				b.kudu(act).start(t0).activityStartup(at("1s")).crash(at("3s"), efCrash)
				b.kudu(ai).start(t0).aiStartup(at("1s"))
				b.statusFile(act, inst, "PendingRestart").statusFile(ai, inst, "Running")
				b.marks["status"] = "data/jobs/continuous/Office365ActivityImporter/status_5b7e2d:1"
			}},
		{name: "at a time before the status file was captured the status lines tell", status: klsql.StatusPass,
			at: at("1h"), text: "Office365ActivityImporter: 5b7e2d: Running (last status line)",
			logs: func(b *bundle) {
				b.kudu(act).start(t0).activityStartup(at("1s")).crash(at("2h"), efCrash)
				b.kudu(ai).start(t0).aiStartup(at("1s"))
				b.statusFile(act, inst, "PendingRestart").statusFile(ai, inst, "Running")
			}},
		{name: "at the capture time the status file tells", status: klsql.StatusFail,
			at: at("2h"), text: "Office365ActivityImporter: 5b7e2d: PendingRestart (status file)",
			logs: func(b *bundle) {
				b.kudu(act).start(t0).activityStartup(at("1s")).crash(at("2h"), efCrash)
				b.kudu(ai).start(t0).aiStartup(at("1s"))
				b.statusFile(act, inst, "PendingRestart").statusFile(ai, inst, "Running")
			}},
		{name: "without status files the last status line Running passes", status: klsql.StatusPass,
			logs: func(b *bundle) {
				b.kudu(act).start(t0).activityStartup(at("1s")).crash(at("3s"), efCrash).start(at("1m3s")).activityStartup(at("1m4s"))
			}},
		{name: "without status files the last status line PendingRestart fails", status: klsql.StatusFail, evidence: "pending",
			text: "Office365ActivityImporter: 5b7e2d: PendingRestart (last status line)",
			logs: func(b *bundle) {
				b.kudu(act).start(t0).activityStartup(at("1s")).crash(at("3s"), efCrash).mark("pending")
			}},
		{name: "a stopped site fails", status: klsql.StatusFail, text: "Stopped",
			logs: func(b *bundle) {
				b.kudu(act).start(t0).activityStartup(at("1s")).sys(at("2h"), "WebJob is stopping due to website shutting down").
					sys(at("2h"), "Status changed to Stopping").sys(at("2h"), "WebJob process was aborted").sys(at("2h"), "Status changed to Stopped")
			}},
		{name: "the status file wins over the lines", status: klsql.StatusFail, text: "Stopped (status file)",
			logs: func(b *bundle) {
				healthyActivity(b)
				b.statusFile(act, inst, "Stopped")
			}},
		{name: "a singleton job active on one instance passes", status: klsql.StatusPass,
			text: "Office365ActivityImporter: 5b7e2d: Running, 9c41f0: InactiveInstance",
			logs: func(b *bundle) {
				healthyActivity(b)
				b.kuduOn(act, "9c41f0").sys(at("2m"), "WebJob singleton setting is True").sys(at("2m"), "Status changed to InactiveInstance")
				b.statusFile(act, inst, "Running").statusFile(act, "9c41f0", "InactiveInstance")
			}},
		{name: "a loose job log ending in Stopped fails as an unnamed job", status: klsql.StatusFail, evidence: "stopped",
			text: "unnamed job (",
			logs: func(b *bundle) {
				b.looseKudu("job_log.txt", "").startBare(t0).genericLines(at("1s")).log(at("1m"), "Waiting 10 mins...").
					sys(at("2h"), "WebJob is stopping due to website shutting down").sys(at("2h"), "Status changed to Stopping").
					sys(at("2h"), "WebJob process was aborted").sys(at("2h"), "Status changed to Stopped").mark("stopped")
			}},
		{name: "a loose job log ending in PendingRestart fails as an unnamed job", status: klsql.StatusFail,
			text: "5b7e2d: PendingRestart (last status line); the log does not say which job wrote it",
			logs: func(b *bundle) {
				b.looseKudu("logs/job_log.txt", "").startBare(t0).genericLines(at("1s")).crash(at("3s"), efCrash)
			}},
		{name: "a loose job log whose lines name the importer is judged as it", status: klsql.StatusFail,
			text: "AppInsightsImporter: 5b7e2d: PendingRestart (last status line)",
			logs: func(b *bundle) {
				b.looseKudu("job_log.txt", ai).start(t0).genericLines(at("1s")).crash(at("3s"), efCrash)
			}},
		{name: "a loose log ending in a triggered run's Success is not judged", status: klsql.StatusSkipped,
			text: "a triggered job's run ended",
			logs: func(b *bundle) {
				b.looseKudu("output_log.txt", "").startBare(t0).print(at("1s"), "Cleaning up 12 temp files").exit(at("2s"), 0).
					sys(at("2s"), "Status changed to Success")
			}},
		{name: "a customer's own job beside the importers is not judged", status: klsql.StatusPass,
			text: "CleanupJob: not an importer job of the engine, not judged",
			logs: func(b *bundle) {
				healthyActivity(b)
				b.kudu(ai).start(t0).aiStartup(at("1s"))
				b.kudu("CleanupJob").start(t0).print(at("1s"), "Cleaning up 12 temp files").sys(at("2s"), "Status changed to Success")
				b.statusFile("CleanupJob", inst, "Failed")
			}},
		{name: "a job log without any status is unknown", status: klsql.StatusUnknown, text: "no status known",
			logs: func(b *bundle) {
				// job_prev_log.txt rotated away the start; the current log holds only console lines
				b.kudu(act).every(at("1m"), at("30m"), 5*time.Minute, progress)
			}},
	},
	"job-restarts": append(thresholdCases(2, time.Hour, func(b *bundle, i int, t time.Time) {
		k := b.kudu(act)
		if i == 0 {
			k.start(t.Add(-2 * time.Minute)).activityStartup(t.Add(-time.Minute))
		}
		k.crash(t, efCrash).start(t.Add(time.Minute)).activityStartup(t.Add(time.Minute + time.Second))
	}),
		checkCase{name: "a crash loop fails with the exit lines as evidence", status: klsql.StatusFail, count: n(3), evidence: "exit",
			logs: func(b *bundle) {
				k := b.kudu(act).start(t0).activityStartup(at("1s")).stderr(at("3s"), "\nUnhandled Exception: "+efCrash).
					sysErr(at("3s"), "Job failed due to exit code -532462766").mark("exit").
					sys(at("3s"), "Process went down, waiting for 60 seconds").sys(at("3s"), "Status changed to PendingRestart")
				k.start(at("1m3s")).activityStartup(at("1m4s")).crash(at("1m6s"), efCrash)
				k.start(at("2m6s")).activityStartup(at("2m7s")).crash(at("2m9s"), efCrash)
			}},
		checkCase{name: "clean exits count with the went-down line as evidence", status: klsql.StatusFail, count: n(3), evidence: "down",
			logs: func(b *bundle) {
				k := b.kudu(ai).start(t0).aiStartup(at("1s")).
					log(at("1m"), "Got uncaught exception importing & saving data from Application Insights: One or more errors occurred.").
					sys(at("1m"), "Status changed to Success").sys(at("1m"), "Process went down, waiting for 60 seconds").mark("down").
					sys(at("1m"), "Status changed to PendingRestart")
				for _, t := range []time.Time{at("2m"), at("4m")} {
					k.start(t).aiStartup(t.Add(time.Second)).
						log(t.Add(time.Minute), "Got uncaught exception importing & saving data from Application Insights: One or more errors occurred.").
						exit(t.Add(time.Minute), 0)
				}
			}},
		checkCase{name: "a site restart is not a job restart", status: klsql.StatusPass, count: n(0),
			logs: func(b *bundle) {
				k := b.kudu(act)
				for i := range 3 {
					t := t0.Add(time.Duration(i) * 10 * time.Minute)
					k.start(t).activityStartup(t.Add(time.Second)).sys(t.Add(5*time.Minute), "WebJob is stopping due to website shutting down").
						sys(t.Add(5*time.Minute), "Status changed to Stopping").sys(t.Add(5*time.Minute), "WebJob process was aborted").
						sys(t.Add(5*time.Minute), "Status changed to Stopped")
				}
			}},
		checkCase{name: "a healthy run passes", status: klsql.StatusPass, count: n(0), logs: healthyActivity},
		checkCase{name: "a loose job log that names no job is judged as an unnamed job", status: klsql.StatusFail, count: n(3),
			logs: func(b *bundle) {
				k := b.looseKudu("job_log.txt", "")
				for i := range 3 {
					t := t0.Add(time.Duration(i) * 75 * time.Second)
					k.startBare(t).genericLines(t.Add(time.Second)).crash(t.Add(3*time.Second), efCrash)
				}
			}},
	),
	"keyvault-certificate-missing": {
		{name: "the certificate not in the key vault fails", status: klsql.StatusFail, count: n(1), evidence: "missing",
			logs: func(b *bundle) {
				b.kudu(act).start(t0).activityStartup(at("1s")).log(at("1m"), "Starting activity import for 3 url filters").
					print(at("1m1s"), "Generating new OAuth token...").
					log(at("1m1s"), "Retrieving certificate O365AdvancedAnalytics from KeyVault https://contoso-analytics-kv.vault.azure.net/").
					print(at("1m2s"), "Got exception on DownloadActivityData: "+keyVaultMissing)
				b.marks["missing"] = "data/jobs/continuous/Office365ActivityImporter/job_log.txt:20"
			}},
		{name: "the job's own not-found message fails", status: klsql.StatusFail, count: n(1),
			logs: func(b *bundle) {
				b.kudu(ai).start(t0).log(at("1s"), "Retrieving certificate O365AdvancedAnalytics from KeyVault https://contoso-analytics-kv.vault.azure.net/").
					log(at("2s"), "Certificate O365AdvancedAnalytics not found in KeyVault https://contoso-analytics-kv.vault.azure.net/")
			}},
		{name: "a certificate found passes", status: klsql.StatusPass, count: n(0),
			logs: func(b *bundle) {
				healthyActivity(b)
				b.kudu(act).print(at("10m"), "Generating new OAuth token...").
					log(at("10m"), "Retrieving certificate O365AdvancedAnalytics from KeyVault https://contoso-analytics-kv.vault.azure.net/").
					log(at("10m1s"), "OAuth token succesfully created from Azure AD.")
			}},
	},
	"org-urls-missing": {
		{name: "no org URLs fails", status: klsql.StatusFail, count: n(1), evidence: "fatal",
			logs: func(b *bundle) {
				b.kudu(act).start(t0).activityStartup(at("1s")).log(at("1m"), "Finished Graph API import tasks.").
					log(at("1m1s"), orgURLsMissing).mark("fatal").cycle(at("1m2s"))
			}},
		{name: "org URLs configured pass", status: klsql.StatusPass, count: n(0), logs: healthyActivity},
	},
	"out-of-memory": {
		{name: "an out-of-memory crash fails once", status: klsql.StatusFail, count: n(1), evidence: "crash",
			logs: func(b *bundle) {
				header, frames, _ := strings.Cut(oomCrash, "\n")
				b.kudu(act).start(t0).activityStartup(at("1s")).every(at("1m"), at("30m"), 5*time.Minute, progress).
					stderr(at("31m"), "").stderr(at("31m"), "Unhandled Exception: "+header).mark("crash").stderr(at("31m"), frames).
					exit(at("31m"), -532462766)
			}},
		{name: "out of memory inside an AggregateException fails once", status: klsql.StatusFail, count: n(1),
			logs: func(b *bundle) {
				b.kudu(ai).start(t0).aiStartup(at("1s")).crash(at("2m"), oomAggregate)
			}},
		{name: "a handled out-of-memory exception fails", status: klsql.StatusFail, count: n(1),
			logs: func(b *bundle) {
				b.kudu(act).start(t0).print(at("1m"), "Got exception on DownloadActivityData: Exception of type 'System.OutOfMemoryException' was thrown.")
			}},
		{name: "the SQL server out of memory is not the web-job", status: klsql.StatusPass, count: n(0),
			logs: func(b *bundle) {
				b.kudu(ai).start(t0).aiStartup(at("1s")).
					log(at("1m"), "Got SQL error: There is insufficient system memory in resource pool 'default' to run this query.").
					log(at("2m"), "Got SQL error: There is insufficient memory available in the buffer pool.")
			}},
		{name: "a healthy run passes", status: klsql.StatusPass, count: n(0), logs: healthyActivity},
	},
	"sql-database-read-only": append(thresholdCases(2, 10*time.Minute, func(b *bundle, i int, t time.Time) {
		b.kudu(ai).log(t, "Got SQL error: "+sqlReadOnly)
	}),
		checkCase{name: "page updates and inserts refused count", status: klsql.StatusFail, count: n(3), evidence: "first",
			logs: func(b *bundle) {
				b.kudu(ai).start(t0).aiStartup(at("1s")).
					log(at("1m"), "SQL exception '"+sqlReadOnly+"' when saving page updates for this chunk.").mark("first").
					log(at("1m1s"), "Inserting 1,234 records into #hits_temp, across 4 thread(s)...").
					log(at("1m2s"), "Failed to insert record into #hits_temp - INSERT INTO #hits_temp (url, hit_timestamp) VALUES (@p0, @p1): "+sqlReadOnly).
					log(at("1m3s"), "Got SQL error: "+sqlReadOnly)
			}},
		checkCase{name: "other SQL errors do not count", status: klsql.StatusPass, count: n(0),
			logs: func(b *bundle) {
				k := b.kudu(ai).start(t0)
				for i := range 5 {
					k.log(at("1m").Add(time.Duration(i)*time.Minute), "Got SQL error: "+sqlTimeout)
				}
			}},
	),
	"sql-exceptions": append(thresholdCases(10, time.Hour, func(b *bundle, i int, t time.Time) {
		b.kudu(ai).log(t, "Got SQL error: "+sqlTimeout)
	}),
		checkCase{name: "SQL errors of both jobs count together", status: klsql.StatusFail, count: n(11),
			logs: func(b *bundle) {
				for i := range 6 {
					b.kudu(ai).log(at("1h").Add(time.Duration(i)*5*time.Minute), "Got SQL error: "+sqlTimeout)
				}
				for i := range 5 {
					b.kudu(act).log(at("1h").Add(time.Duration(i)*5*time.Minute), "Got SQL exception saving Team: "+sqlTimeout+". Will try again next cycle.")
				}
			}},
		checkCase{name: "other errors do not count", status: klsql.StatusPass, count: n(0),
			logs: func(b *bundle) {
				k := b.kudu(act).start(t0)
				for i := range 20 {
					k.log(at("1m").Add(time.Duration(i)*time.Minute), "Got exception on GetGraphTeamsAndUserData: Response status code does not indicate success: 503 (Service Unavailable).")
				}
			}},
	),
	"sql-public-access-denied": {
		{name: "public access denied at start-up fails", status: klsql.StatusFail, count: n(1), evidence: "denied",
			logs: func(b *bundle) {
				b.kudu(act).start(t0).log(at("1s"), "Testing SQL configuration...").
					log(at("3s"), "Got a SQL error: "+sqlDenyPublic).mark("denied").exit(at("3s"), -1)
			}},
		{name: "a healthy start passes", status: klsql.StatusPass, count: n(0), logs: healthyActivity},
	},
	"yammer-auth-code-missing": append(thresholdCases(2, 10*time.Minute, func(b *bundle, i int, t time.Time) {
		b.kudu(act).print(t, "No auth code found for Yammer")
	}),
		checkCase{name: "Yammer usage reports are not Yammer errors", status: klsql.StatusPass, count: n(0),
			logs: func(b *bundle) {
				b.kudu(act).start(t0).log(at("1m"), "Importing Yammer user activity reports...").
					log(at("1m1s"), "GraphImporter read 87 Yammer user activity records from Graph API").
					log(at("1m2s"), "Imported 87 Yammer user activity reports.")
			}},
	),
	"yammer-export-error": append(thresholdCases(2, 10*time.Minute, func(b *bundle, i int, t time.Time) {
		b.kudu(act).print(t, "Error requesting Yammer export")
	}),
		checkCase{name: "Yammer usage reports are not Yammer errors", status: klsql.StatusPass, count: n(0),
			logs: func(b *bundle) {
				b.kudu(act).start(t0).log(at("1m"), "Importing Yammer group activity reports...").
					log(at("1m2s"), "Imported 12 Yammer group activity reports.")
			}},
	),
}

// Every built-in check has cases, and among them at least one that passes and one that
// fails; at-least-one-per checks also one the logs cannot judge (unknown).
func TestEveryCheckHasCases(t *testing.T) {
	checks, err := builtin()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, c := range checks {
		ids[c.ID] = true
		has := map[klsql.Status]bool{}
		for _, cc := range checkCases[c.ID] {
			has[cc.status] = true
		}
		want := []klsql.Status{klsql.StatusPass, klsql.StatusFail}
		if c.Rule.Kind == klsql.RuleAtLeastOnePer {
			want = append(want, klsql.StatusUnknown)
		}
		for _, st := range want {
			if !has[st] {
				t.Errorf("check %s has no case whose status is %s", c.ID, st)
			}
		}
	}
	for id := range checkCases {
		if !ids[id] {
			t.Errorf("cases for %s, which is not a built-in check", id)
		}
	}
}

// section-import-missing writes out the skip templates of its sections a second time, for
// DuckDB to filter them in the scan (last_skip): the two lists must stay the same.
func TestSectionSkipTemplatesWrittenOutAlike(t *testing.T) {
	checks, err := builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if c.ID != "section-import-missing" {
			continue
		}
		var sections, written []string
		for _, m := range regexp.MustCompile(`\('[^']*', '[^']*', '([a-z-]+)', '\d+h', `).FindAllStringSubmatch(c.Query, -1) {
			sections = append(sections, m[1])
		}
		i := strings.Index(c.Query, "last_skip AS (")
		list := regexp.MustCompile(`\(template IN \(([^)]*)\)\) IS TRUE`).FindStringSubmatch(c.Query[i:])
		if i < 0 || list == nil {
			t.Fatal("no last_skip with a written-out template list in section-import-missing")
		}
		for _, lit := range strings.Split(list[1], ",") {
			written = append(written, strings.Trim(strings.TrimSpace(lit), "'"))
		}
		sort.Strings(sections)
		sort.Strings(written)
		if len(sections) != 6 || strings.Join(sections, ",") != strings.Join(written, ",") {
			t.Errorf("sections' skip templates %v, written out in last_skip %v", sections, written)
		}
		return
	}
	t.Fatal("no check section-import-missing")
}

// The JSON report lists every catalogue check exactly once, whatever the logs.
func TestReportListsEveryCheckOnce(t *testing.T) {
	checks, err := builtin()
	if err != nil {
		t.Fatal(err)
	}
	b := newBundle(t)
	healthyActivity(b)
	b.kudu(ai).start(t0).aiStartup(at("1s")).aiCycle(at("1m"), 3)
	rep := b.runChecks(checks)
	var buf strings.Builder
	if err := report.JSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Checks []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(buf.String()), &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, c := range doc.Checks {
		seen[c.ID]++
		if c.Status == "" {
			t.Errorf("check %s has no status", c.ID)
		}
	}
	for _, c := range checks {
		if seen[c.ID] != 1 {
			t.Errorf("check %s appears %d times in the JSON report", c.ID, seen[c.ID])
		}
	}
	if len(doc.Checks) != len(checks) {
		t.Errorf("%d checks in the report, %d in the catalogue", len(doc.Checks), len(checks))
	}
}

// A user check directory with a bad header is an error that names the file and line; the
// good checks beside it still load.
func TestLoadChecksBadHeader(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("good.sql", "-- id: my-good\n-- title: Good\n-- severity: info\n-- rule: any\nSELECT timestamp FROM traces WHERE false\n")
	write("bad-rule.sql", "-- id: my-bad-rule\n-- title: Bad rule\n-- rule: more-than two in 10m\n-- severity: error\nSELECT 1\n")
	write("bad-key.sql", "-- id: my-bad-key\r\n-- title: Bad key\r\n-- severity: error\r\n-- rule: any\r\n-- owner: me\r\nSELECT 1\r\n")
	checks, err := klsql.LoadChecks(dir)
	if err == nil {
		t.Fatal("no error for bad headers")
	}
	for _, want := range []string{
		filepath.Join(dir, "bad-rule.sql") + ":3: bad rule",
		filepath.Join(dir, "bad-key.sql") + `:5: unknown key "owner"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	var ce *klsql.CheckError
	if !errors.As(err, &ce) || ce.Line == 0 {
		t.Errorf("error %v is not a CheckError with a line", err)
	}
	if len(checks) != 1 || checks[0].ID != "my-good" {
		t.Errorf("loaded %d checks, want my-good alone", len(checks))
	}
}

// A check whose query fails is unknown with the error; the other checks still run.
func TestFailingQueryIsUnknown(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"no-table.sql":  "-- id: no-table\n-- title: Reads a table that does not exist\n-- severity: error\n-- rule: any\nSELECT timestamp FROM no_such_table\n",
		"no-status.sql": "-- id: no-status\n-- title: Rows without status\n-- severity: error\n-- rule: rows\nSELECT 'x' AS message\n",
		"no-time.sql":   "-- id: no-time\n-- title: More-than without timestamp\n-- severity: error\n-- rule: more-than 2 in 10m\nSELECT message FROM traces\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	user, err := klsql.LoadChecks(dir)
	if err != nil {
		t.Fatal(err)
	}
	checks, err := builtin()
	if err != nil {
		t.Fatal(err)
	}
	all := klsql.MergeChecks(checks, user)
	b := newBundle(t)
	b.kudu(act).start(t0).print(at("1s"), "WARNING: No AppInsights connection string provided. AppInsights logging disabled.").
		activityStartup(at("1s")).activityCycle(at("1m"))
	rep := b.runChecks(all)
	got := map[string]klsql.Result{}
	for _, r := range rep.Checks {
		got[r.ID] = r
	}
	for id, want := range map[string]string{
		"no-table":  "no_such_table",
		"no-status": "must return a status column",
		"no-time":   "must return a timestamp column",
	} {
		r := got[id]
		if r.Status != klsql.StatusUnknown || !strings.Contains(r.Reason, "the check's query failed") || !strings.Contains(r.Reason, want) {
			t.Errorf("%s: want unknown with %q in the reason, got %s: %s", id, want, r.Status, r.Reason)
		}
	}
	if len(rep.Checks) != len(all) {
		t.Errorf("%d results for %d checks", len(rep.Checks), len(all))
	}
	if r := got["appinsights-logging-disabled"]; r.Status != klsql.StatusFail {
		t.Errorf("appinsights-logging-disabled after the broken checks: %s, want fail", r.Status)
	}
	if r := got["call-webhook-subscription"]; r.Status != klsql.StatusPass {
		t.Errorf("call-webhook-subscription after the broken checks: %s, want pass", r.Status)
	}
}
