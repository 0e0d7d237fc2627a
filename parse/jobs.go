package parse

import "strings"

// Job identifies one of the Analytics Engine's programs, as App Insights names them in
// operation_Name (log-formats.md §0.10).
type Job uint8

const (
	NoJob Job = iota
	AppInsightsImporter
	Office365ActivityImporter
	CallRecordWebhookController // runs in the web app, never in a Kudu job log
	numJobs
)

var jobNames = [numJobs]string{"", "AppInsightsImporter", "Office365ActivityImporter", "CallRecordWebhookController"}

// String returns the canonical name (the Kudu folder name the installer uses, which is also the
// App Insights operation_Name).
func (j Job) String() string { return jobNames[j] }

// JobOf maps a Kudu job folder name, an exe/process name or an operation name to a Job.
// Folder names vary between installs ("Office365ActivityImport", "AppInsightsImporter-dev"), so
// this matches by the distinctive part, case-insensitively.
func JobOf(name string) Job {
	l := strings.ToLower(name)
	switch {
	case strings.Contains(l, "appinsightsimport"):
		return AppInsightsImporter
	case strings.Contains(l, "office365activityimport"), strings.Contains(l, "activityimport"):
		return Office365ActivityImporter
	case strings.Contains(l, "callrecordwebhook"):
		return CallRecordWebhookController
	}
	return NoJob
}

// OperationName returns the App Insights operation_Name for a Kudu job folder name: the
// canonical name when the job is one of the engine's, else the folder name itself.
func OperationName(job string) string {
	if j := JobOf(job); j != NoJob {
		return j.String()
	}
	return job
}
