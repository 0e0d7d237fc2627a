package source

import (
	"bytes"
	"encoding/json"
	"path"
	"strings"

	"github.com/kudulens/kudulens/parse"
)

// Kind is what a file holds.
type Kind string

const (
	KindKuduLog    Kind = "kudu-log"    // data/jobs/continuous/<job>/job_log.txt, job_prev_log.txt
	KindAppLogCSV  Kind = "app-log-csv" // blob application log: <site>/<yyyy>/<MM>/<dd>/<HH>/<inst>-<pid>.applicationLog.csv
	KindAppLogText Kind = "app-log-txt" // file-system application log: LogFiles/Application/*.txt
	KindKuduStatus Kind = "kudu-status" // data/jobs/continuous/<job>/status_<instance>
	KindUnknown    Kind = "unknown"     // skipped, with the reason
)

// HasRows reports whether files of kind k hold log lines (and so are identified by their
// content alone).
func (k Kind) HasRows() bool {
	return k == KindKuduLog || k == KindAppLogCSV || k == KindAppLogText
}

// Classification is the result of looking at a file's name and first bytes.
type Classification struct {
	Kind      Kind
	Job       string          // web-job name, for Kudu logs and status files
	JobSource parse.JobSource // how Job was found
	Instance  string          // for status files
	CSV       *parse.CSVLayout
	Reason    string // for KindUnknown: why it was skipped
}

// SniffLen is how much of a file classification looks at.
const SniffLen = 64 << 10

// Classify decides what a file is from its name (the entry name inside its container, '/'
// separators) and head (its first bytes, at most SniffLen, BOM already removed). Content
// decides the kind — a Kudu log outside its folder is still a Kudu log — and the path gives
// the job name.
func Classify(name string, head []byte) Classification {
	base := path.Base(name)
	lower := strings.ToLower(base)
	job := JobFromPath(name)

	// Kudu status file: tiny JSON, recognised by name.
	if strings.HasPrefix(lower, "status_") && !strings.Contains(lower, ".") {
		var st struct{ Status string }
		if json.Unmarshal(bytes.TrimSpace(head), &st) == nil && st.Status != "" {
			return Classification{Kind: KindKuduStatus, Job: job, JobSource: parse.JobByPath, Instance: base[len("status_"):]}
		}
	}
	switch {
	case parse.LooksLikeKuduLog(head):
		c := Classification{Kind: KindKuduLog, Job: job, JobSource: parse.JobByPath}
		if c.Job == "" {
			c.JobSource = parse.JobUnknown // inferred from content after parsing
		}
		return c
	case parse.LooksLikeAppLogCSV(head):
		lay, _ := parse.NewCSVLayout(FirstLine(head))
		return Classification{Kind: KindAppLogCSV, CSV: lay}
	case parse.LooksLikeAppLogText(head):
		return Classification{Kind: KindAppLogText}
	}
	// Empty job logs are still job logs: a job that printed nothing is worth knowing about.
	if len(bytes.TrimSpace(head)) == 0 && (lower == "job_log.txt" || lower == "job_prev_log.txt") {
		return Classification{Kind: KindKuduLog, Job: job, JobSource: parse.JobByPath}
	}
	return Classification{Kind: KindUnknown, Reason: unknownReason(lower, head)}
}

func unknownReason(lower string, head []byte) string {
	switch {
	case len(head) == 0:
		return "empty file of no known kind"
	case bytes.HasPrefix(head, []byte("7z\xbc\xaf\x27\x1c")):
		return "7-Zip archive: kudulens does not read 7z; extract it first and give the folder (or zip it)"
	case bytes.HasPrefix(head, []byte("Rar!\x1a\x07")):
		return "RAR archive: kudulens does not read RAR; extract it first and give the folder (or zip it)"
	case bytes.IndexByte(head[:min(len(head), 512)], 0) >= 0:
		return "binary file (not a log, archive or compressed stream kudulens reads)"
	case lower == "job_log.txt" || lower == "job_prev_log.txt":
		return "named like a Kudu job log but no line has the Kudu prefix '[MM/dd/yyyy HH:mm:ss > instance: LEVEL]'"
	case strings.HasSuffix(lower, ".applicationlog.csv"):
		return "named like an application-log CSV but the header is not 'date,level,...,message'"
	}
	return "not a Kudu job log, application-log CSV or file-system application log (first line: " + quoteHead(head) + ")"
}

// quoteHead is the first line of head in quotes, as text: a person reads it in the skip
// reason (JSON escapes such as \u003c or \" would hide what the line says). It is at most
// one line; every output escapes it for its medium (terminal, Markdown, HTML).
func quoteHead(head []byte) string {
	l := FirstLine(head)
	if len(l) > 80 {
		l = append(l[:80:80], "..."...)
	}
	return `"` + string(bytes.ToValidUTF8(l, []byte("?"))) + `"`
}

func FirstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return bytes.TrimSuffix(b, []byte{'\r'})
}

// JobFromPath returns the web-job name a path implies: the folder after jobs/continuous/ (or
// jobs/triggered/), else the folder holding a job_log.txt, else a known job name in the file
// name. "" if none.
func JobFromPath(name string) string {
	parts := strings.Split(strings.Trim(name, "/"), "/")
	for i := 0; i+2 < len(parts); i++ {
		if strings.EqualFold(parts[i], "jobs") && (strings.EqualFold(parts[i+1], "continuous") || strings.EqualFold(parts[i+1], "triggered")) {
			return parts[i+2]
		}
	}
	base := strings.ToLower(parts[len(parts)-1])
	if (base == "job_log.txt" || base == "job_prev_log.txt" || strings.HasPrefix(base, "status_")) && len(parts) >= 2 {
		if j := parts[len(parts)-2]; parse.JobOf(j) != parse.NoJob {
			return j
		}
	}
	if j := parse.JobOf(parts[len(parts)-1]); j != parse.NoJob {
		return j.String()
	}
	return ""
}
