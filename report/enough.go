package report

import (
	"fmt"
	"strings"
	"time"

	klsql "github.com/kudulens/kudulens/sql"
)

// judgedSpan is how much log the guide's daily checks ("at least once a day") need before a
// bundle with nothing wrong in it says anything about the site.
const judgedSpan = 24 * time.Hour

// engineJobs are the web-jobs of the Advanced Analytics Engine; a bundle without one of them
// cannot show what that job does.
var engineJobs = []string{"AppInsightsImporter", "Office365ActivityImporter"}

// NotEnoughLogs reports what the logs lack when a diagnosis with no failing check rests on too
// little to call the site OK: most checks cannot be judged, or some cannot and the logs cover
// less than a day. missing says what was missing, for the verdict ("no Kudu job log", ...).
// A diagnosis with a failure is never "not enough": a failure is a finding.
func NotEnoughLogs(r *klsql.Report) (missing []string, notEnough bool) {
	if r.Ingest.Traces == 0 || len(Failing(r)) > 0 {
		return nil, false
	}
	unknown, considered := 0, 0
	for _, c := range r.Checks {
		switch c.Status {
		case klsql.StatusUnknown:
			unknown++
			considered++
		case klsql.StatusPass:
			considered++
		}
	}
	var longest time.Duration
	if r.Coverage != nil {
		for _, ivs := range r.Coverage.ByJob {
			for _, iv := range ivs {
				longest = max(longest, iv.Duration())
			}
		}
		for _, iv := range r.Coverage.AppLog {
			longest = max(longest, iv.Duration())
		}
	}
	short := r.Coverage != nil && longest < judgedSpan
	if !(2*unknown > considered || (unknown > 0 && short)) {
		return nil, false
	}
	if r.Coverage != nil {
		if len(r.Coverage.JobLog) == 0 {
			missing = append(missing, "no Kudu job log (data/jobs/continuous/<job>/job_log.txt)")
		}
		if len(r.Coverage.AppLog) == 0 {
			missing = append(missing, "no application log (applogs/<site>/…/*.applicationLog.csv)")
		}
	}
	seen := map[string]bool{}
	for _, j := range r.Jobs {
		if j.Lines > 0 {
			seen[j.Job] = true
		}
	}
	var absent []string
	for _, j := range engineJobs {
		if !seen[j] {
			absent = append(absent, j)
		}
	}
	if len(absent) > 0 {
		missing = append(missing, "no lines of "+strings.Join(absent, " or "))
	}
	if short {
		missing = append(missing, fmt.Sprintf("the logs cover %s at most (the daily checks need a day)", ago(longest)))
	}
	return missing, true
}

// notEnoughVerdict is the verdict of a diagnosis that NotEnoughLogs flags.
func notEnoughVerdict(r *klsql.Report, missing []string) string {
	unknown := len(byStatus(r, klsql.StatusUnknown))
	v := fmt.Sprintf("NOT ENOUGH LOGS: %d of %d checks cannot be judged, none failed in what there is", unknown, len(r.Checks))
	if len(missing) > 0 {
		v += "; missing: " + strings.Join(missing, "; ")
	}
	return v
}
