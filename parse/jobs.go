package parse

import "strings"

// Job identifies one of the Analytics Engine's programs, as App Insights names them in
// operation_Name (docs/formats.md §0.10).
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
	has := func(lower string) bool { return containsFoldASCII(name, lower) }
	if !isASCII(name) {
		// Unicode case folding (rare in job names): lower-case a copy.
		l := strings.ToLower(name)
		has = func(lower string) bool { return strings.Contains(l, lower) }
	}
	switch {
	case has("appinsightsimport"):
		return AppInsightsImporter
	case has("office365activityimport"), has("activityimport"):
		return Office365ActivityImporter
	case has("callrecordwebhook"):
		return CallRecordWebhookController
	}
	return NoJob
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// OperationName returns the App Insights operation_Name for a Kudu job folder name: the
// canonical name when the job is one of the engine's, else the folder name itself.
func OperationName(job string) string {
	if j := JobOf(job); j != NoJob {
		return j.String()
	}
	return job
}

// containsFoldASCII reports whether s contains lower (lower-case ASCII) ignoring ASCII case,
// without allocating.
func containsFoldASCII(s, lower string) bool {
	for i := 0; i+len(lower) <= len(s); i++ {
		j := 0
		for ; j < len(lower); j++ {
			c := s[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[j] {
				break
			}
		}
		if j == len(lower) {
			return true
		}
	}
	return false
}
