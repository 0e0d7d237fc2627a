package main

// The runs of hostileCases that are more than one ingest: signals, two processes, two
// bundles, 30,000 files, planted secrets. Subprocesses are this test binary run as kudulens
// (TestMain), so no build is needed.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/kudulens/kudulens/bench/gen"
	"github.com/kudulens/kudulens/internal/azuritetest"
	"github.com/kudulens/kudulens/pipeline/store"
)

func TestMain(m *testing.M) {
	if os.Getenv("KUDULENS_TEST_MAIN") == "1" {
		main()
		return
	}
	code := m.Run()
	cleanupBigInput()
	os.Exit(code)
}

// kudulensCmd returns a command running kudulens with args in a process of its own.
func kudulensCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "KUDULENS_TEST_MAIN=1")
	return cmd
}

type procResult struct {
	code           int
	signaled       bool
	stdout, stderr string
	elapsed        time.Duration
}

func runProc(t *testing.T, cmd *exec.Cmd) procResult {
	t.Helper()
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatal(err)
		}
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	return procResult{code: cmd.ProcessState.ExitCode(), signaled: ws.Signaled(), stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
}

// genJobLogs writes n Kudu job logs of about size bytes each, with the log generator
// (different seeds: different instances, no line in common), each in a job folder of its own
// so that the merge at the end of an ingest has nothing to compare and the files are most of
// the run.
func genJobLogs(t *testing.T, dir string, n int, size int64) {
	t.Helper()
	for i := 0; i < n; i++ {
		p := filepath.Join(dir, fmt.Sprintf("data/jobs/continuous/Job%d/job_log.txt", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		cfg := gen.BenchConfig(uint64(100+i), time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC), 2)
		if _, err := gen.Generate(w, gen.GenerateOptions{Config: cfg, Kind: gen.KindKudu, Size: size, Job: "AppInsightsImporter"}); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}

// bigInput is the input of the runs that are interrupted: written once per test binary.
var bigInput struct {
	dir, refDB string
	ref        procResult
}

// refIngest writes bigInput and ingests it once, uninterrupted, into a reference database:
// how long it takes and what it holds.
func refIngest(t *testing.T) {
	t.Helper()
	if bigInput.dir != "" {
		return
	}
	dir, err := os.MkdirTemp("", "kudulens-hostile-")
	if err != nil {
		t.Fatal(err)
	}
	// The files are removed when the test binary ends (TestMain cannot see them; a leftover
	// folder under the temp dir is all a crash could leave).
	genJobLogs(t, filepath.Join(dir, "in"), 8, 6<<20)
	bigInput.dir, bigInput.refDB = dir, filepath.Join(dir, "ref.duckdb")
	bigInput.ref = runProc(t, kudulensCmd("ingest", "--quiet", "--db", bigInput.refDB, filepath.Join(dir, "in")))
	if bigInput.ref.code != 0 {
		t.Fatalf("reference ingest: exit %d\n%s%s", bigInput.ref.code, bigInput.ref.stdout, bigInput.ref.stderr)
	}
	t.Logf("reference ingest of 8 x 6 MB: %s", bigInput.ref.elapsed.Round(time.Millisecond))
}

func cleanupBigInput() {
	if bigInput.dir != "" {
		os.RemoveAll(bigInput.dir)
	}
}

// checkConsistent opens db and checks that every file in it is there whole: no row without
// its files row, and every files row with all its rows (before any merge ran).
func checkConsistent(t *testing.T, db string, merged bool) {
	t.Helper()
	s, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatalf("the database does not open: %v", err)
	}
	defer s.Close()
	for _, tbl := range []string{"traces", "exceptions", "customEvents", "rejects", "job_status"} {
		if n := queryRows(t, s.DB(), "SELECT count(*) FROM "+tbl+" WHERE file_id NOT IN (SELECT file_id FROM files)"); n != "0" {
			t.Errorf("%s: %s rows of files that are not in files", tbl, n)
		}
	}
	q := `SELECT count(*) FROM files f WHERE kind NOT IN ('zip', 'tar') AND (lines <> parsed + rejected
		OR rejected < (SELECT count(*) FROM rejects r WHERE r.file_id = f.file_id)`
	if !merged {
		q += ` OR traces <> (SELECT count(*) FROM traces t WHERE t.file_id = f.file_id)
		OR exceptions <> (SELECT count(*) FROM exceptions x WHERE x.file_id = f.file_id)`
	}
	if n := queryRows(t, s.DB(), q+")"); n != "0" {
		t.Errorf("%s files are in the database in part", n)
	}
	if n := queryRows(t, s.DB(), "SELECT count(sha256) - count(DISTINCT sha256) FROM files"); n != "0" {
		t.Errorf("%s files are in the database twice", n)
	}
}

// contentCounts is what a database holds, for comparing runs.
func contentCounts(t *testing.T, db string) string {
	t.Helper()
	s, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return queryRows(t, s.DB(), `SELECT (SELECT count(*) FROM files WHERE status = 'ok'), (SELECT sum(lines) FROM files),
		(SELECT count(*) FROM traces), (SELECT count(DISTINCT (file_id, line_no)) FROM traces), (SELECT count(*) FROM exceptions),
		(SELECT count(*) FROM customEvents), (SELECT count(*) FROM rejects)`)
}

// interrupted runs ingest on the big input, sends sig while files are being loaded, and
// checks that the database is whole and that running again completes it without duplicates.
// The signal goes once the database file has grown to 4 MB (rows are going in), not after a
// time: on a busy machine a run is slower or faster than any delay measured before it. When
// that proves too late (every file was in), the run is repeated with a quarter of the size.
func interrupted(sig os.Signal) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		refIngest(t)
		size := int64(4 << 20)
		for attempt := 1; ; attempt++ {
			db := filepath.Join(dir, fmt.Sprintf("k%d.duckdb", attempt))
			kept := interruptOnce(t, sig, db, size)
			if kept < 8 || attempt == 3 {
				break
			}
			size /= 4
		}
	}
}

// waitForGrowth waits until the file at path holds at least size bytes (or a minute passed:
// the caller's checks then tell what happened).
func waitForGrowth(path string, size int64) {
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		if fi, err := os.Stat(path); err == nil && fi.Size() >= size {
			return
		}
		time.Sleep(5 * time.Millisecond) // polling the file, not a guess of the run's time
	}
}

// interruptOnce is one interrupted run; it returns how many of the 8 files were in when it
// stopped.
func interruptOnce(t *testing.T, sig os.Signal, db string, size int64) int {
	t.Helper()
	cmd := kudulensCmd("ingest", "--quiet", "--db", db, filepath.Join(bigInput.dir, "in"))
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForGrowth(db, size)
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch sig {
	case os.Interrupt:
		if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
			t.Fatalf("SIGINT: exit %d (signaled %v), want %d\n%s%s", code, ws.Signaled(), exitInterrupted, out.String(), errb.String())
		}
		// The run winds down, or, past its grace of 2 s on a busy machine, ends without
		// waiting; either way what was committed is whole (checked below).
		if !strings.Contains(errb.String(), "kudulens: interrupted: every file in "+db+" was read whole, none in part; run the same command again") &&
			!strings.Contains(errb.String(), "kudulens: interrupted: the run did not wind down within 2s and was ended; every committed file is whole") {
			t.Errorf("SIGINT message:\n%s", errb.String())
		}
	default:
		if !ws.Signaled() {
			t.Fatalf("the run ended before it was killed: exit %d\n%s", cmd.ProcessState.ExitCode(), out.String())
		}
	}
	checkConsistent(t, db, false)
	again := runProc(t, kudulensCmd("ingest", "--quiet", "--db", db, filepath.Join(bigInput.dir, "in")))
	if again.code != 0 {
		t.Fatalf("re-run: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}
	kept := 0
	if m := regexp.MustCompile(`already in the database: (\d+) files`).FindStringSubmatch(again.stdout); m != nil {
		fmt.Sscan(m[1], &kept)
	}
	t.Logf("%v at %d bytes of database: %d of 8 files were in; the re-run took %s", sig, size, kept, again.elapsed.Round(time.Millisecond))
	checkConsistent(t, db, true)
	if got, want := contentCounts(t, db), contentCounts(t, bigInput.refDB); got != want {
		t.Errorf("after the re-run the database holds\n %s\nan uninterrupted run\n %s", got, want)
	}
	return kept
}

// twoProcesses runs a second kudulens on the database of a running one.
func twoProcesses(t *testing.T, dir string) {
	refIngest(t)
	db := filepath.Join(dir, "k.duckdb")
	first := kudulensCmd("ingest", "--quiet", "--db", db, filepath.Join(bigInput.dir, "in"))
	var out, errb strings.Builder
	first.Stdout, first.Stderr = &out, &errb
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	waitForGrowth(db, 1<<20) // rows are going in: the first run holds the database
	small := writeInput(t, dir, "small/job_log.txt", []byte(kuduLog(3)))
	inUse := regexp.MustCompile(`^kudulens: open .*k\.duckdb: database is in use by another process \(process (\d+) holds it; wait for it to finish or use another --db\)\n$`)
	for _, args := range [][]string{
		{"ingest", "--db", db, small},
		{"query", "--db", db, "--sql", "select count(*) from files"},
		{"diagnose", "--db", db},
	} {
		second := runProc(t, kudulensCmd(args...))
		if second.code != exitFatal || !inUse.MatchString(second.stderr) {
			t.Errorf("%s while another ingest runs: exit %d, want %d\n%s", args[0], second.code, exitFatal, second.stderr)
		} else if pid := inUse.FindStringSubmatch(second.stderr)[1]; pid != fmt.Sprint(first.Process.Pid) {
			t.Errorf("the message names process %s, the first is %d", pid, first.Process.Pid)
		}
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("the first ingest: %v\n%s%s", err, out.String(), errb.String())
	}
	checkConsistent(t, db, true)
	if got, want := contentCounts(t, db), contentCounts(t, bigInput.refDB); got != want {
		t.Errorf("the first ingest's database holds\n %s\nwant\n %s", got, want)
	}
}

// manySmallFiles ingests a folder of 30,000 files (two Kudu lines each). It was 100,000:
// 30,000 tells the same (one transaction per file took 21 minutes for 100,000, over 6 for
// 30,000; groups take seconds) for a third of make test's time.
func manySmallFiles(t *testing.T, dir string) {
	const n = 30_000
	in := filepath.Join(dir, "in")
	for i := 0; i < n; i++ {
		if i%1000 == 0 {
			if err := os.MkdirAll(filepath.Join(in, fmt.Sprint(i/1000)), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		data := fmt.Sprintf("[11/19/2026 21:40:07 > 5e1c2a: INFO] line one of %d\r\n[11/19/2026 21:40:08 > 5e1c2a: INFO] line two of %d\r\n", i, i)
		if err := os.WriteFile(filepath.Join(in, fmt.Sprint(i/1000), fmt.Sprintf("job_log_%d.txt", i)), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(dir, "k.duckdb")
	start := time.Now()
	code, stdout, stderr := runCLI(t, "ingest", "--db", db, in)
	first := time.Since(start)
	if code != exitOK || !regexp.MustCompile(`(?m)^\s+total\s+30000\s+60000\s+60000\s+`).MatchString(stdout) {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	start = time.Now()
	code, stdout, _ = runCLI(t, "ingest", "--db", db, in)
	second := time.Since(start)
	if code != exitOK || !strings.Contains(stdout, "already in the database: 30000 files") {
		t.Errorf("re-ingest: exit %d\n%s", code, stdout)
	}
	t.Logf("30,000 files: ingest %s, again %s", first.Round(time.Millisecond), second.Round(time.Millisecond))
	// One transaction per file takes over 6 minutes here; groups take seconds. A bound that
	// catches that and no more: on a 2-core machine busy with other tests (these run in
	// parallel) 100,000 files took close to 2.5 minutes.
	if first > 3*time.Minute {
		t.Errorf("30,000 small files took %s", first)
	}
	checkConsistent(t, db, true)
}

// overlappingBundles ingests two bundles of one site captured a day apart: the job log of
// the first is the job_prev_log of the second, the second's job_log goes on, and both hold
// the application log of the same hour (the second one grown). Every console line must end
// up once.
func overlappingBundles(t *testing.T, dir string) {
	lines := make([]string, 3000)
	for i := range lines {
		lines[i] = kuduLine(i, fmt.Sprintf("Imported %d hits of page views in chunk %d.", i*7, i))
	}
	join := func(from, to int) []byte { return []byte(strings.Join(lines[from:to], "")) }
	csv := func(from, to int) []byte {
		var b strings.Builder
		b.WriteString("date,level,applicationName,instanceId,eventTickCount,eventId,pid,tid,message,activityId\n")
		for i := from; i < to; i++ {
			ts := buildTime.Add(time.Duration(i) * time.Second)
			fmt.Fprintf(&b, "%s,Information,contoso,5e1c2a,%d,0,4312,1,%s: Imported %d hits of page views in chunk %d.,\n",
				ts.Format("2006-01-02T15:04:05"), gen.Ticks(ts), ts.Format("15-04-05")+":12", i*7, i)
		}
		return []byte(b.String())
	}
	const jobDir = "data/jobs/continuous/AppInsightsImporter/"
	blob := "applogs/contoso/2026/11/19/21/5e1c2a-4312.applicationLog.csv"
	a := zipOf(t, member{name: jobDir + "job_prev_log.txt", data: string(join(0, 1000))},
		member{name: jobDir + "job_log.txt", data: string(join(1000, 2000))},
		member{name: blob, data: string(csv(1500, 2500))})
	b := zipOf(t, member{name: jobDir + "job_prev_log.txt", data: string(join(1000, 2000))},
		member{name: jobDir + "job_log.txt", data: string(join(1800, 3000))},
		member{name: blob, data: string(csv(1500, 2800))})
	pa, pb := writeInput(t, dir, "monday.zip", a), writeInput(t, dir, "tuesday.zip", b)
	db := filepath.Join(dir, "k.duckdb")
	for round := 0; round < 2; round++ {
		code, stdout, stderr := runCLI(t, "ingest", "--db", db, pa, pb)
		if code != exitOK {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		if round == 1 && !strings.Contains(stdout, "already in the database: 6 files") {
			t.Errorf("the second time:\n%s", stdout)
		}
	}
	s, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []sqlWant{
		// Every console line once, from a job log, where it was seen also noted.
		{"SELECT count(*), count(DISTINCT message), count(DISTINCT timestamp), min(source), max(source) FROM traces", "3000|3000|3000|job-log|job-log"},
		// tuesday's job_prev_log.txt is monday's job_log.txt: the same content, one file.
		{"SELECT count(*) FROM files WHERE kind = 'kudu-log'", "3"},
		// Lines kept = lines read - lines merged into another file's row.
		{"SELECT sum(lines) - sum(merged) - count(*) FILTER (WHERE kind = 'app-log-csv') FROM files WHERE kind <> 'zip'", "3000"},
		// Where the copy was is noted once per row: lines 1800-1999 note tuesday's job log.
		{"SELECT count(*) FROM traces WHERE also_file LIKE '%applicationLog.csv'", "1100"},
		{"SELECT count(*) FROM traces WHERE also_file LIKE '%tuesday.zip!%job_log.txt'", "200"},
	} {
		if got := queryRows(t, s.DB(), c.query); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.query, got, c.want)
		}
	}
}

// plantedSecrets are secrets as logs print them, with the line that plants each. Every value
// is distinct text that appears nowhere else.
var plantedSecrets = []struct{ line, secret string }{
	{"Configured values:", ""},
	{"Destination SQL Server='contoso.database.windows.net', DB='analytics', User='sqladmin', Password='Pw-Conf1g-91'.", "Pw-Conf1g-91"},
	{"Azure AD tenant='contoso.onmicrosoft.com', client ID='700df66e', Client secret='Cs-Conf1g-92'.", "Cs-Conf1g-92"},
	{"ClientSecret: Cs-Colon-93", "Cs-Colon-93"},
	{"AppInsightsApiKey=AiKey-Conf1g-94", "AiKey-Conf1g-94"},
	{"StorageConnectionString=DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey=AccKey+Conf1g/95==;EndpointSuffix=core.windows.net", "AccKey+Conf1g/95=="},
	{"Got SQL error: Login failed. Data Source=tcp:x.database.windows.net;User ID=sa;Password=Pw-Sql-96;Encrypt=True", "Pw-Sql-96"},
	{"Uploading to https://contoso.blob.core.windows.net/logs?sv=2022-11-02&ss=b&srt=co&sp=rwl&se=2026-12-01&sig=SasSig%2B97xyz%3D failed", "SasSig%2B97xyz%3D"},
	{"Service Bus: Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=SbKey+98abc=", "SbKey+98abc="},
	{"POST /token body: client_secret=Cs-Form-99&grant_type=client_credentials", "Cs-Form-99"},
	{"Calling Graph: Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.SigJwt100abcdEFGH", "SigJwt100abcdEFGH"},
	{"Calling Graph with Bearer EwBwA8l6BAAUOpaque101TokenValue and retry", "EwBwA8l6BAAUOpaque101TokenValue"},
	{`Settings: {"clientSecret":"Cs-Json-102","password": "Pw-Json-103"}`, "Cs-Json-102"},
	{`Settings again: {"password": "Pw-Json-103"}`, "Pw-Json-103"},
	{"New event 'FinishedImportCycle'; 'context=import;Password=Pw-Event-104'.", "Pw-Event-104"},
	// issue 18: shapes the first redactor let through.
	{`Settings: {"password" : "Pw-Json-181"}`, "Pw-Json-181"},
	{"Client Secret : Cs-Spaced-182 (from Key Vault)", "Cs-Spaced-182"},
	{"env AZURE_STORAGE_KEY=StKey-Env-183 WEBSITE_AUTH_ENCRYPTION_KEY=Enc-Key-184 MACHINEKEY_DecryptionKey=Dec-Key-185", "StKey-Env-183"},
	{"env again WEBSITE_AUTH_ENCRYPTION_KEY=Enc-Key-184", "Enc-Key-184"},
	{"env again MACHINEKEY_DecryptionKey=Dec-Key-185", "Dec-Key-185"},
	{"SecretKey=Sk-186 secret-key=Sk-Dash-187", "Sk-186"},
	{"again secret-key=Sk-Dash-187", "Sk-Dash-187"},
	{`web.config: <add key="ClientSecret" value="Cs-Add-188"/> <Password>Pw-Xml-189</Password>`, "Cs-Add-188"},
	{"again <Password>Pw-Xml-189</Password>", "Pw-Xml-189"},
	{"redirect=https%3A%2F%2Fcontoso.blob.core.windows.net%2Flogs%3Fsv%3D2022-11-02%26sig%3DSasEnc190xyz%26se%3D2026", "SasEnc190xyz"},
	{"cs=DefaultEndpointsProtocol%3Dhttps%3BAccountName%3Dcontoso%3BAccountKey%3DAccEnc191%3BEndpointSuffix%3Dcore.windows.net", "AccEnc191"},
	{"git clone https://deploy:Pw-Url-192@contoso.scm.azurewebsites.net/contoso.git failed", "Pw-Url-192"},
	{"retrying with bearer EwBwA8l6BAAUOpaqueLower193Token", "EwBwA8l6BAAUOpaqueLower193Token"},
	// Not secrets: what state a secret is in (checked to be kept).
	{"Connection string: missing", ""},
	{"Token: expired, renewing", ""},
}

// secretsCase plants secrets everywhere a log line can end up — trace messages, a crash
// stack, an event, a rejected line, a line cut by damage, an application-log CSV and text
// log, the first line of a file of no known kind, a symlink target — and checks that none
// reaches any table, any report format, or any message; and that --no-redact keeps them.
func secretsCase(t *testing.T, dir string) {
	in := filepath.Join(dir, "in")
	var log strings.Builder
	for i, p := range plantedSecrets {
		log.WriteString(kuduLine(i, p.line))
	}
	crash := "[11/19/2026 21:41:00 > 5e1c2a: ERR ] Unhandled Exception: System.Data.SqlClient.SqlException: Login failed; Server=x;Password=Pw-Crash-105;\r\n" +
		"[11/19/2026 21:41:00 > 5e1c2a: ERR ]    at System.Data.SqlClient.SqlConnection.Open()\r\n" +
		"[11/19/2026 21:41:00 > 5e1c2a: SYS ERR ] Job failed due to exit code -532462766\r\n"
	rejected := "[13/19/2026 21:41:01 > 5e1c2a: INFO] AccountKey=AccKey-Reject-106\r\n"
	writeInput(t, in, jobLog, []byte(log.String()+crash+rejected))
	// A line cut by damage: the stream is flushed in the middle of the line, and cut there.
	writeInput(t, in, "other/job_log.txt.gz", gzCutAfter(t, kuduLog(20)+"[11/19/2026 21:50:00 > 5e1c2a: INFO] SharedAccessKey=SbKey-Cut-107", " and so on\r\n"))
	writeInput(t, in, "applogs/contoso/2026/11/19/21/5e1c2a-4312.applicationLog.csv", []byte(
		"date,level,applicationName,instanceId,eventTickCount,eventId,pid,tid,message,activityId\n"+
			"2026-11-19T21:40:07,Information,contoso,5e1c2a,638678412071234567,0,4312,1,\"21-40-07:12: connect Pwd=Pw-Csv-108;\",\n"))
	writeInput(t, in, "LogFiles/Application/app.txt", []byte(
		"2026-11-19T21:40:07  PID[4312] Information 21-40-07:12: token=Tok-Text-109 sent\r\n"))
	writeInput(t, in, "notes.ini", []byte("Password=Pw-Unknown-110\nother\n"))
	writeInput(t, in, "links.tar", tarOf(t, member{name: "l", typeflag: '2', linkname: "https://x.blob.core.windows.net/c?sig=SasSig-Link-111"}))
	// Secrets in names (issue 18, item 7): a blob saved with wget "<URL>?<SAS>" keeps the
	// SAS in its file name; a member named after a connection string; a failed file too.
	writeInput(t, in, "applogs/contoso/2026/11/19/22/5e1c2a-4312.applicationLog.csv?sv=2024-11-04&sp=rl&se=2026-12-01T00:00:00Z&sig=SasSig-Name-112%2Bx%3D", []byte(
		"date,level,applicationName,instanceId,eventTickCount,eventId,pid,tid,message,activityId\n"+
			"2026-11-19T22:40:07,Information,contoso,5e1c2a,638678772071234567,0,4312,1,\"22-40-07:12: hello\",\n"))
	writeInput(t, in, "named.zip", zipOf(t, member{name: "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=AccKey-Member-113/job_log.txt", data: kuduLog(2)}))
	writeInput(t, in, "broken.gz?sig=SasSig-Failed-114", []byte{0x1f, 0x8b, 8, 0, 0, 0})
	secrets := []string{"Pw-Crash-105", "AccKey-Reject-106", "SbKey-Cut-107", "Pw-Csv-108", "Tok-Text-109", "Pw-Unknown-110", "SasSig-Link-111",
		"SasSig-Name-112", "AccKey-Member-113", "SasSig-Failed-114"}
	for _, p := range plantedSecrets {
		if p.secret != "" {
			secrets = append(secrets, p.secret)
		}
	}

	db := filepath.Join(dir, "k.duckdb")
	var shown strings.Builder // everything kudulens printed or wrote
	code, stdout, stderr := runCLI(t, "ingest", "--db", db, in)
	shown.WriteString(stdout + stderr)
	if code != exitInputFailed { // the cut .gz
		t.Fatalf("ingest: exit %d\n%s%s", code, stdout, stderr)
	}
	formats := 0
	for _, f := range []string{"text", "md", "json", "html"} {
		code, stdout, stderr := runCLI(t, "diagnose", "--db", db, "--format", f, "--fail-on", "never")
		if code == exitUsage {
			continue // a format this build does not have
		}
		formats++
		shown.WriteString(stdout + stderr)
	}
	if formats < 3 {
		t.Errorf("only %d report formats", formats)
	}
	for _, q := range []string{"select * from files", "select * from rejects", "select * from exceptions", "select * from customEvents"} {
		_, stdout, stderr := runCLI(t, "query", "--db", db, "--format", "json", "--sql", q)
		shown.WriteString(stdout + stderr)
	}
	stored := dumpAll(t, db)
	for _, s := range secrets {
		if strings.Contains(stored, s) {
			t.Errorf("secret %q is in the database:\n%s", s, excerpt(stored, s))
		}
		if strings.Contains(shown.String(), s) {
			t.Errorf("secret %q was shown:\n%s", s, excerpt(shown.String(), s))
		}
	}
	if !strings.Contains(stored, "[REDACTED]") || !strings.Contains(stored, "contoso.database.windows.net") {
		t.Error("nothing redacted, or too much")
	}
	for _, kept := range []string{"Connection string: missing", "Token: expired, renewing"} {
		if !strings.Contains(stored, kept) {
			t.Errorf("the diagnosis %q was redacted", kept)
		}
	}

	// --no-redact keeps them (the user's own eyes only).
	db2 := filepath.Join(dir, "clear.duckdb")
	runCLI(t, "ingest", "--no-redact", "--db", db2, in)
	clear := dumpAll(t, db2)
	for _, s := range secrets {
		if !strings.Contains(clear, s) {
			t.Errorf("--no-redact: secret %q is not in the database", s)
		}
	}
}

// dumpAll renders every value of every table of db.
func dumpAll(t *testing.T, db string) string {
	t.Helper()
	s, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var b strings.Builder
	for _, tbl := range strings.Split(queryRows(t, s.DB(), "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"), "\n") {
		b.WriteString(queryRows(t, s.DB(), "SELECT * FROM "+tbl))
		b.WriteString("\n")
	}
	return b.String()
}

func excerpt(s, sub string) string {
	i := strings.Index(s, sub)
	return s[max(0, i-200):min(len(s), i+len(sub)+50)]
}

// gzCutAfter returns a gzip stream of head+tail that is cut just after head: head is
// delivered whole, then the stream breaks.
func gzCutAfter(t *testing.T, head, tail string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	io.WriteString(zw, head)
	if err := zw.Flush(); err != nil {
		t.Fatal(err)
	}
	n := buf.Len()
	io.WriteString(zw, tail)
	zw.Close()
	return buf.Bytes()[:n]
}

// noNewlineMemory ingests a 256 MB file without any newline in a process of its own and
// checks how much memory that process took at most.
func noNewlineMemory(t *testing.T, dir string) {
	p := filepath.Join(dir, "in", jobLog)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "[11/19/2026 21:40:07 > 5e1c2a: INFO] ")
	mb := bytes.Repeat([]byte("z"), 1<<20)
	for i := 0; i < 256; i++ {
		f.Write(mb)
	}
	f.Close()
	cmd := kudulensCmd("ingest", "--quiet", "--db", filepath.Join(dir, "k.duckdb"), filepath.Join(dir, "in"))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The peak resident memory of the process since it started kudulens (VmHWM; the rusage
	// of a child counts the parent's memory it shared before exec).
	var maxRSS int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
			if err != nil {
				return
			}
			if m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(b); m != nil {
				var kb int64
				fmt.Sscan(string(m[1]), &kb)
				maxRSS = max(maxRSS, kb>>10)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	err = cmd.Wait()
	<-done
	if err != nil || !strings.Contains(out.String(), "1 line longer than 1048576 bytes cut (traces.truncated)") {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Logf("256 MB in one line: %s, at most %d MB of memory", time.Since(start).Round(time.Millisecond), maxRSS)
	if maxRSS == 0 {
		t.Skip("no /proc to measure memory with")
	}
	if maxRSS > 200 {
		t.Errorf("ingesting a 256 MB line took %d MB of memory", maxRSS)
	}
}

// killedBlobIngest kills an incremental ingest of blob sources (--state) halfway through:
// the database is whole, and the next run (with the state file the killed run never wrote)
// completes it without duplicates; the run after that finds every blob unchanged.
func killedBlobIngest(t *testing.T, dir string) {
	refIngest(t)
	az := azuritetest.Start(t)
	c := az.Client(t)
	ctx := context.Background()
	if _, err := c.CreateContainer(ctx, "big", nil); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(bigInput.dir, "in")
	err := filepath.WalkDir(in, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		rel, _ := filepath.Rel(in, p)
		_, err = c.UploadFile(ctx, "big", filepath.ToSlash(rel), f, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	src := az.URL + "/big?" + az.ContainerSAS(t, "big")
	ingest := func(db, state string) *exec.Cmd {
		return kudulensCmd("ingest", "--quiet", "--db", db, "--state", state, src)
	}
	ref := runProc(t, ingest(filepath.Join(dir, "ref.duckdb"), filepath.Join(dir, "ref.json")))
	if ref.code != 0 {
		t.Fatalf("reference: exit %d\n%s%s", ref.code, ref.stdout, ref.stderr)
	}
	db, state := filepath.Join(dir, "k.duckdb"), filepath.Join(dir, "state.json")
	cmd := ingest(db, state)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForGrowth(db, 2<<20) // rows are going in
	cmd.Process.Kill()
	cmd.Wait()
	if !cmd.ProcessState.Sys().(syscall.WaitStatus).Signaled() {
		t.Fatalf("the run ended before it was killed (exit %d)", cmd.ProcessState.ExitCode())
	}
	checkConsistent(t, db, false)
	again := runProc(t, ingest(db, state))
	if again.code != 0 {
		t.Fatalf("re-run: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}
	t.Logf("killed at 2 MB of database (an uninterrupted run took %s); the re-run said: %s", ref.elapsed.Round(time.Millisecond),
		regexp.MustCompile(`\d+ blobs unchanged, \d+ new, \d+ appended tails|already in the database: \d+ files`).FindAllString(again.stdout, -1))
	checkConsistent(t, db, true)
	if got, want := contentCounts(t, db), contentCounts(t, filepath.Join(dir, "ref.duckdb")); got != want {
		t.Errorf("after the re-run the database holds\n %s\nan uninterrupted run\n %s", got, want)
	}
	third := runProc(t, ingest(db, state))
	if third.code != 0 || !strings.Contains(third.stdout, "8 blobs unchanged, 0 new, 0 appended tails") {
		t.Errorf("third run: exit %d\n%s%s", third.code, third.stdout, third.stderr)
	}
}

// pipesAndSignals: a named pipe given on the command line with no writer waits for one (as
// any reader of a pipe does), and SIGTERM ends that wait within seconds (issue 18, item 9);
// in a fleet folder a pipe and a symlink are sites listed as skipped, and the run ends.
func pipesAndSignals(t *testing.T, dir string) {
	fifo := filepath.Join(dir, "pipe")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		cmd := kudulensCmd("ingest", "--quiet", "--db", filepath.Join(dir, "k.duckdb"), fifo)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		sent := time.Now()
		cmd.Process.Signal(sig)
		waited := make(chan struct{})
		go func() { cmd.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-waited
			t.Fatalf("%v did not end a run waiting on a named pipe\n%s", sig, out.String())
		}
		// The bound that matters is the process's own grace (stopGrace, 2 s); this one
		// leaves room for a machine busy with other tests.
		if el := time.Since(sent); el > 10*time.Second || cmd.ProcessState.ExitCode() != exitInterrupted {
			t.Errorf("%v: exit %d after %s, want %d at once\n%s", sig, cmd.ProcessState.ExitCode(), el.Round(time.Millisecond), exitInterrupted, out.String())
		}
	}

	fleet := filepath.Join(dir, "fleet")
	writeInput(t, fleet, "contoso/"+jobLog, []byte(kuduLog(5)))
	if err := mkfifo(filepath.Join(fleet, "pipe")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", filepath.Join(fleet, "etc")); err != nil {
		t.Fatal(err)
	}
	// A site saved by wget "<URL>?<SAS>" (item 7): its name is shown without the signature.
	writeInput(t, fleet, "acme.zip?sv=2024-11-04&sig=SasSig-Site-115", zipOf(t, member{name: jobLog, data: kuduLog(3)}))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "diagnose", "--fleet", fleet, "--format", "json")
	cmd.Env = append(os.Environ(), "KUDULENS_TEST_MAIN=1")
	res := runProc(t, cmd)
	if ctx.Err() != nil {
		t.Fatalf("diagnose --fleet over a folder holding a named pipe did not end")
	}
	if strings.Contains(res.stdout+res.stderr, "SasSig-Site-115") {
		t.Errorf("a SAS signature in a site's file name was shown:\n%s", res.stdout)
	}
	for _, want := range []string{`"site": "pipe"`, `sig=[REDACTED]`, `named pipe skipped: not a regular file`, `symlink to /etc skipped: links in a fleet folder are not followed`, `"site": "contoso"`} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("fleet summary lacks %q (exit %d)\n%s%s", want, res.code, res.stdout, res.stderr)
		}
	}
}

// hostileLakes (issue 18, items 6 and 15): Parquet exports in site folders whose names
// read_parquet would expand ('*' matched every other site), with a job folder named NULL and
// one whose name does not fit in a folder name; each site reads back exactly its own rows.
func hostileLakes(t *testing.T, dir string) {
	long := strings.Repeat("Job:%", 40) // 200 bytes, 360 once Hive-escaped (: and % are %3A, %25)
	sites := map[string]string{
		"a":    "data/jobs/continuous/NULL/job_log.txt",
		"*":    "data/jobs/continuous/" + long + "/job_log.txt",
		"[ab]": "data/jobs/continuous/Other/job_log.txt",
	}
	want := map[string]string{"a": "NULL|20", "*": long + "|21", "[ab]": "Other|22"}
	fleet := filepath.Join(dir, "fleet")
	n := 20
	for _, site := range []string{"a", "*", "[ab]"} {
		in := filepath.Join(dir, "in-"+inName(site))
		writeInput(t, in, sites[site], []byte(kuduLog(n)))
		n++
		db := filepath.Join(dir, inName(site)+".duckdb")
		if code, out, errs := runCLI(t, "ingest", "--db", db, in); code != exitOK {
			t.Fatalf("ingest %s: exit %d\n%s%s", site, code, out, errs)
		}
		if code, out, errs := runCLI(t, "export", "--parquet", filepath.Join(fleet, site), "--db", db); code != exitOK {
			t.Fatalf("export %s: exit %d\n%s%s", site, code, out, errs)
		}
	}
	for site, w := range want {
		code, out, errs := runCLI(t, "query", "--format", "csv", "--csv-raw", "--sql", "select job, count(*) from traces group by all", filepath.Join(fleet, site))
		if got := strings.TrimSpace(strings.ReplaceAll(out, ",", "|")); code != exitOK || !strings.HasSuffix(got, w) || strings.Count(got, "\n") != 1 {
			t.Errorf("site %q read back:\n%s%s\nwant the one row %s", site, out, errs, w)
		}
	}
}
