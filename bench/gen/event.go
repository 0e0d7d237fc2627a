// Package gen is a deterministic, seeded simulator of the two continuous web-jobs of the
// Office 365 Advanced Analytics Engine (AppInsightsImporter and Office365ActivityImporter)
// running under Kudu on Azure App Service, and a set of renderers that write what the
// simulation produced in the real on-disk formats:
//
//   - Kudu continuous-job logs (job_log.txt / job_prev_log.txt), with Kudu's 200-console-lines
//     per run cap and its 1 MiB rotation (both can be turned off for benchmarks);
//   - App Service application logs: blob CSV (one blob per hour per instance) and the
//     file-system text format;
//   - Kudu status_<instance> files.
//
// A Simulator produces an ordered stream of Events (one per console or Kudu line). The same
// Config (including Seed) always produces the same stream, and the renderers are pure
// functions of the stream, so output is byte-identical from run to run.
//
// Entry points:
//
//   - New(Config) / Simulator.Next / Simulator.Run: the event stream;
//   - NewKuduLog, NewCSVLog, NewBlobLogs, NewFSLog: renderers (one event at a time,
//     bounded memory); AppendKuduLine, AppendCSVRow, AppendFSLine format single lines;
//   - Generate: one big file of a kind, stopped at a size (benchmarks);
//   - WriteBundle: a customer-style bundle (job logs with cap and rotation, status files,
//     hourly blobs) into a Sink (MemSink, DirSink), with the Evidence of marked events;
//   - BenchConfig: the randomised, unbounded configuration used for benchmark data;
//   - SampleConfig / SampleFiles: the fixed scenario of fixtures/ (the sample bundle).
//
// The message texts, their order and the lifecycle lines follow
// docs/formats.md (§2–§4, §6), which was read from the application's and Kudu's
// source code.
package gen

import "time"

// The two web-jobs, by their Kudu job (folder) names.
const (
	AppInsightsImporter       = "AppInsightsImporter"
	Office365ActivityImporter = "Office365ActivityImporter"
)

// Jobs lists both web-jobs in a fixed order.
var Jobs = []string{AppInsightsImporter, Office365ActivityImporter}

// ProcessName returns the process name (assembly name) of a job; it is also the section name
// of the job's FinishedImportCycle event.
func ProcessName(job string) string {
	switch job {
	case AppInsightsImporter:
		return "SPOInsights.WebJob.AppInsightsImporter"
	case Office365ActivityImporter:
		return "SPOInsights.WebJob.Office365ActivityImport"
	}
	return job
}

// Stream says where a line came from.
type Stream uint8

const (
	// Stdout is the web-job's standard output (Kudu INFO, application log Information).
	Stdout Stream = iota
	// Stderr is the web-job's standard error (Kudu ERR, application log Error).
	Stderr
	// KuduSystem is one of Kudu's own lifecycle lines ("SYS" in job_log.txt); these never reach
	// the application log.
	KuduSystem
)

func (s Stream) String() string {
	switch s {
	case Stdout:
		return "stdout"
	case Stderr:
		return "stderr"
	case KuduSystem:
		return "kudu-system"
	}
	return "?"
}

// Level is the Kudu log level of a line.
type Level uint8

const (
	Info Level = iota
	Warn
	Err
)

// kuduToken is the level as Kudu prints it ({2,-4}: "ERR" is padded to "ERR ").
func (l Level) kuduToken() string {
	switch l {
	case Warn:
		return "WARN"
	case Err:
		return "ERR "
	}
	return "INFO"
}

func (l Level) String() string {
	switch l {
	case Warn:
		return "WARN"
	case Err:
		return "ERR"
	}
	return "INFO"
}

// Event is one console line of a web-job or one Kudu lifecycle line.
type Event struct {
	// Time is when Kudu received (and wrote) the line, UTC, with sub-second precision.
	Time time.Time
	// Instance is the short App Service instance id (6 lower-case hex digits).
	Instance string
	// Job is the Kudu job name (AppInsightsImporter or Office365ActivityImporter).
	Job string
	// Stream is stdout, stderr or kudu-system.
	Stream Stream
	// Level is the Kudu level: INFO for stdout, ERR for stderr, any for kudu-system lines.
	Level Level
	// Text is the line without any Kudu prefix, exactly as the process (or Kudu) printed it,
	// including the application's own "HH-mm-ss:ff: " prefix where it has one. It never
	// contains a newline: multi-line messages are split into several events.
	Text string
	// Run numbers the process runs of this job on this instance (1 = first process started
	// by the simulation). Kudu's 200-line console cap counts lines per run.
	Run int
	// PID is the process id of the Kudu (SCM) worker process on the instance, which App
	// Service writes into the application log's pid column. It changes when the site restarts.
	PID int
	// TID is the managed thread id that traced the line (application log tid column).
	TID int
	// Mark tags lines that are evidence of a planted condition (see the Mark* constants);
	// empty for ordinary lines.
	Mark string
}

// Marks put on events. A diagnostic tool never sees them; they let fixture builders and tests
// locate the evidence of what the scenario planted.
const (
	MarkAADSecret        = "aad-client-secret-invalid" // a line carrying AADSTS7000215
	MarkSQLReadOnly      = "sql-database-read-only"    // a SQL error line about a read-only database
	MarkActivityFinished = "activity-import-finished"  // "Finished activity import. ..." (success)
	MarkSectionPrefix    = "section:"                  // + section name: a FinishedSectionImport event line
	MarkCycleFinished    = "cycle-finished"            // a FinishedImportCycle event line
	MarkEFModel          = "ef-model-changed"          // "Unhandled Exception: ... The model backing ..."
	MarkCrash            = "crash"                     // first line of any other unhandled-exception crash
	MarkJobFailed        = "job-failed"                // Kudu "Job failed due to exit code N"
	MarkOOM              = "out-of-memory"             // System.OutOfMemoryException crash header
	MarkThrottleExceeded = "throttle-exhausted"        // "Throttle error. Maximum retry attempts ..."
	MarkWebhookFailed    = "webhook-failed"            // "Couldn't create webhook ..."
	MarkSQLError         = "sql-error"                 // other SQL errors
	MarkNoOrgURLs        = "no-org-urls"               // "FATAL ERROR: No org URLs found in database! ..."
	MarkHandledError     = "handled-error"             // other error-severity template messages
	MarkThrottleRetry    = "throttle-retry"            // benign: a throttled call that was retried
	MarkRedisToken       = "redis-token-missing"       // benign: "Couldn't find token entry in redis ..."
)
