package parse

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// exceptionsOf returns the exceptions rows of b keyed by their first line.
func exceptionsOf(b *Batch) map[int64]Exception {
	out := map[int64]Exception{}
	for i := 0; i < b.Exceptions.Len(); i++ {
		e := b.Exceptions.Row(i)
		out[e.LineNo] = e
	}
	return out
}

func wantException(t *testing.T, got map[int64]Exception, line int64, origin, outerT, outerM, innerT, innerM string, frames, lines int32) {
	t.Helper()
	e, ok := got[line]
	if !ok {
		t.Errorf("no exception at line %d (have %v)", line, keysOf(got))
		return
	}
	if e.Origin != origin || e.OuterType != outerT || e.OuterMessage != outerM || e.InnermostType != innerT ||
		e.InnermostMessage != innerM || e.Frames != frames || e.LineCount != lines {
		t.Errorf("line %d:\n got %s %s: %q → %s: %q frames=%d lines=%d\nwant %s %s: %q → %s: %q frames=%d lines=%d", line,
			e.Origin, e.OuterType, e.OuterMessage, e.InnermostType, e.InnermostMessage, e.Frames, e.LineCount,
			origin, outerT, outerM, innerT, innerM, frames, lines)
	}
}

func keysOf(m map[int64]Exception) []int64 {
	var out []int64
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A WebJobs SDK function failure is printed on stdout, one Kudu INFO line per console line,
// without "Unhandled Exception:"; it is an exception all the same (the shapes are those of
// public WebJobs SDK reports: Azure/azure-webjobs-sdk issues, AzureUsageAndBillingPortal #69
// and #82). The same text printed on stdout and stderr interleaved gives one row per stream,
// and a Kudu SYS WARN keeps the type of the exception on its second line.
func TestPrintedExceptionsKuduLog(t *testing.T) {
	fi := &FileInfo{Job: "WebJobBillingData", JobSource: JobByPath}
	b, _ := parseFile(t, &KuduLog{}, "printed_job_log.txt", fi)
	got := exceptionsOf(b)
	if len(got) != 5 {
		t.Errorf("%d exceptions, want 5:\n%s", len(got), render(b))
	}
	wantException(t, got, 4, "stdout",
		"Microsoft.Azure.WebJobs.Host.FunctionInvocationException", "Exception while executing function: Functions.ProcessQueueMessage",
		"System.NullReferenceException", "Object reference not set to an instance of an object.", 7, 10)
	// a namespace-qualified exception printed alone is one; "Error: retrying" is not
	wantException(t, got, 16, "stdout", "System.Net.WebException", "The remote name could not be resolved: 'billingstore.queue.core.windows.net'",
		"System.Net.WebException", "The remote name could not be resolved: 'billingstore.queue.core.windows.net'", 0, 1)
	indexing, unsupported := "Error indexing method 'Functions.ProcessQueueMessage'",
		"Storage account 'billingstore' is of unsupported type 'Blob-Only/ZRS'. Supported types are 'General Purpose'"
	wantException(t, got, 19, "crash", "Microsoft.Azure.WebJobs.Host.Indexers.FunctionIndexingException", indexing,
		"System.InvalidOperationException", unsupported, 3, 11)
	wantException(t, got, 20, "stdout", "Microsoft.Azure.WebJobs.Host.Indexers.FunctionIndexingException", indexing,
		"System.InvalidOperationException", unsupported, 3, 11)
	ioMsg := `The process cannot access the file 'D:\local\Temp\jobs\continuous\WebJobBillingData\nc5ya1bp.xyz\WebJobBillingData.exe' because it is being used by another process.`
	wantException(t, got, 34, "kudu", "System.IO.IOException", ioMsg, "System.IO.IOException", ioMsg, 3, 5)
	for _, e := range got {
		if e.Job != "WebJobBillingData" {
			t.Errorf("line %d: job %q", e.LineNo, e.Job)
		}
	}
	// Every console line is still a trace row of its own.
	if n := b.Traces.Len(); n != 35 {
		t.Errorf("%d traces, want 35", n)
	}
}

// The application log carries the same text as rows: one row per console line (blob CSV and
// file-system text), or one row holding the whole text (a quoted CSV field; continuation lines
// of a file-system entry). Each becomes one exception, attributed to its first line.
func TestPrintedExceptionsAppLog(t *testing.T) {
	csv := strings.Join([]string{
		"date,level,applicationName,instanceId,eventTickCount,eventId,pid,tid,message,activityId",
		"2017-06-01T14:35:25,Information,billing,85aa8c,636319485250000000,0,4312,9,Exception while executing function: Functions.ProcessQueueMessage,",
		"2017-06-01T14:35:25,Information,billing,85aa8c,636319485250010000,0,4312,9,Microsoft.Azure.WebJobs.Host.FunctionInvocationException: Exception while executing function: Functions.ProcessQueueMessage ---> System.NullReferenceException: Object reference not set to an instance of an object.,",
		"2017-06-01T14:35:25,Information,billing,85aa8c,636319485250020000,0,4312,9,   at WebJobBillingData.Functions.ProcessQueueMessage(BillingRequest billingRequest, TextWriter logWriter),",
		"2017-06-01T14:35:25,Information,billing,85aa8c,636319485250030000,0,4312,9,   --- End of inner exception stack trace ---,",
		"2017-06-01T14:35:25,Information,billing,85aa8c,636319485250040000,0,4312,9,   at Microsoft.Azure.WebJobs.Host.Executors.FunctionExecutor.<ExecuteWithWatchersAsync>d__31.MoveNext(),",
		"2017-06-01T14:35:26,Information,billing,85aa8c,636319485260000000,0,4312,9,Executed: 'Functions.ProcessQueueMessage' (Failed),",
		`2017-06-01T14:36:00,Information,billing,85aa8c,636319485600000000,0,4312,9,"System.TimeoutException: The operation has timed out.`,
		`   at Microsoft.WindowsAzure.Storage.Core.Executor.Executor.ExecuteSync[T](RESTCommand` + "`" + `1 cmd, IRetryPolicy policy, OperationContext operationContext)`,
		`   at Microsoft.WindowsAzure.Storage.Queue.CloudQueue.AddMessage(CloudQueueMessage message)",`,
		"2017-06-01T14:36:01,Information,billing,85aa8c,636319485610000000,0,4312,9,Waiting for the next queue message,",
		"",
	}, "\n")
	lay, err := NewCSVLayout([]byte(firstLine([]byte(csv))))
	if err != nil {
		t.Fatal(err)
	}
	b := NewBatch(16)
	(&AppLogCSV{}).Parse(&Chunk{Data: []byte(csv), FirstLine: 1, File: &FileInfo{CSV: lay}}, b)
	checkAccounting(t, b, []byte(csv))
	got := exceptionsOf(b)
	if len(got) != 2 {
		t.Errorf("%d exceptions, want 2:\n%s", len(got), render(b))
	}
	wantException(t, got, 3, "stdout",
		"Microsoft.Azure.WebJobs.Host.FunctionInvocationException", "Exception while executing function: Functions.ProcessQueueMessage",
		"System.NullReferenceException", "Object reference not set to an instance of an object.", 2, 4)
	wantException(t, got, 8, "stdout", "System.TimeoutException", "The operation has timed out.",
		"System.TimeoutException", "The operation has timed out.", 2, 3)

	txt := strings.Join([]string{
		"2017-06-01T14:35:25  PID[4312] Information Microsoft.Azure.WebJobs.Host.FunctionInvocationException: Exception while executing function: Functions.ProcessQueueMessage ---> System.NullReferenceException: Object reference not set to an instance of an object.",
		"   at WebJobBillingData.Functions.ProcessQueueMessage(BillingRequest billingRequest, TextWriter logWriter)",
		"   --- End of inner exception stack trace ---",
		"   at Microsoft.Azure.WebJobs.Host.Executors.FunctionExecutor.<ExecuteWithWatchersAsync>d__31.MoveNext()",
		"2017-06-01T14:35:26  PID[4312] Information Executed: 'Functions.ProcessQueueMessage' (Failed)",
		"2017-06-01T14:35:27  PID[4312] Error       System.IO.IOException: There is not enough space on the disk.",
		"2017-06-01T14:35:27  PID[4312] Error          at System.IO.__Error.WinIOError(Int32 errorCode, String maybeFullPath)",
		"2017-06-01T14:35:28  PID[4312] Information Waiting for the next queue message",
		"",
	}, "\n")
	b = NewBatch(16)
	(&AppLogText{}).Parse(&Chunk{Data: []byte(txt), FirstLine: 1, File: &FileInfo{}}, b)
	checkAccounting(t, b, []byte(txt))
	got = exceptionsOf(b)
	if len(got) != 2 {
		t.Errorf("%d exceptions, want 2:\n%s", len(got), render(b))
	}
	wantException(t, got, 1, "stdout",
		"Microsoft.Azure.WebJobs.Host.FunctionInvocationException", "Exception while executing function: Functions.ProcessQueueMessage",
		"System.NullReferenceException", "Object reference not set to an instance of an object.", 2, 4)
	wantException(t, got, 6, "stderr", "System.IO.IOException", "There is not enough space on the disk.",
		"System.IO.IOException", "There is not enough space on the disk.", 1, 2)
}

// Exception text is not split by chunk cuts: KuduSafeCut never cuts before a stack line, so
// the rows are those of the whole file however it is cut.
func TestPrintedExceptionsChunked(t *testing.T) {
	data, err := os.ReadFile("testdata/printed_job_log.txt")
	if err != nil {
		t.Fatal(err)
	}
	fi := &FileInfo{Job: "WebJobBillingData", JobSource: JobByPath}
	whole := NewBatch(64)
	(&KuduLog{}).Parse(&Chunk{Data: data, FirstLine: 1, File: fi}, whole)
	for size := 60; size < len(data); size += 131 {
		n, line, rest := 0, int64(1), data
		for len(rest) > 0 {
			cut := len(rest)
			for w := size; w < len(rest); w += size {
				if c := KuduSafeCut(rest[:w]); c > 0 {
					cut = c
					break
				}
			}
			b := NewBatch(16)
			(&KuduLog{}).Parse(&Chunk{Data: rest[:cut], FirstLine: line, File: fi}, b)
			n += b.Exceptions.Len()
			line += int64(strings.Count(string(rest[:cut]), "\n"))
			rest = rest[cut:]
		}
		if n != whole.Exceptions.Len() {
			t.Fatalf("chunk size %d: %d exceptions, whole file %d", size, n, whole.Exceptions.Len())
		}
	}
}

// Old Kudu triggered-job output lines carry only a time, "[01/08/2014 03:12:28] text": each is
// a record of its own (stdout, no instance), not glued onto the record before it.
func TestOldTriggeredJobLines(t *testing.T) {
	data := []byte("[01/08/2014 03:12:27 > 2b6a34: SYS INFO] Status changed to Initializing\r\n" +
		"[01/08/2014 03:12:27 > 2b6a34: SYS INFO] Run script 'run.cmd' with script host - 'WindowsScriptHost'\r\n" +
		"[01/08/2014 03:12:27 > 2b6a34: SYS INFO] Status changed to Running\r\n" +
		"[01/08/2014 03:12:28] Copying 12 files to the archive\r\n" +
		"[01/08/2014 03:12:28] 12 file(s) copied.\r\n" +
		"[01/08/2014 03:12:29 > 2b6a34: SYS INFO] Status changed to Success\r\n" +
		"[13/08/2014 03:12:30] not a date\r\n")
	if !LooksLikeKuduLog(data[bytes.Index(data, []byte("[01/08/2014 03:12:28]")):]) {
		t.Error("a file of old lines is not taken for a Kudu log")
	}
	b := NewBatch(8)
	(&KuduLog{}).Parse(&Chunk{Data: data, FirstLine: 1, File: &FileInfo{Job: "archive", JobSource: JobByPath}}, b)
	checkAccounting(t, b, data)
	tr := &b.Traces
	if tr.Len() != 6 {
		t.Fatalf("%d traces, want 6:\n%s", tr.Len(), render(b))
	}
	for i, want := range []string{"Copying 12 files to the archive", "12 file(s) copied."} {
		r := 3 + i
		if got := string(tr.Message.Value(r)); got != want || tr.Level[r] != Info || tr.System[r] || tr.Instance.Value(r) != "" ||
			tr.LineNo[r] != int64(4+i) || tr.LineCount[r] != 1 {
			t.Errorf("row %d: %q level %v sys %v instance %q line %d+%d", r, got, tr.Level[r], tr.System[r], tr.Instance.Value(r), tr.LineNo[r], tr.LineCount[r])
		}
	}
	if got := time.UnixMicro(tr.Time[4]).UTC(); got != time.Date(2014, 1, 8, 3, 12, 28, 0, time.UTC) {
		t.Errorf("time %s", got)
	}
	if len(b.Rejects) != 1 || b.Rejects[0].LineNo != 7 {
		t.Errorf("rejects %+v, want line 7 (month 13)", b.Rejects)
	}
}
