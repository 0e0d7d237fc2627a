package gen

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	kflate "github.com/klauspost/compress/flate"
)

// The sample customer bundle (fixtures/): one instance of site contoso-analytics, captured on
// 2026-11-20 at 09:30 UTC, with four planted problems (see SampleConfig).
var (
	SampleCapture    = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	SampleAppLogFrom = time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC)
	SampleSecretFrom = time.Date(2026, 11, 19, 2, 0, 0, 0, time.UTC)
	SampleReadOnly   = time.Date(2026, 11, 19, 21, 40, 0, 0, time.UTC)
	SampleRedeploy   = time.Date(2026, 11, 20, 7, 45, 0, 0, time.UTC)
	SampleRestart    = time.Date(2026, 11, 19, 3, 12, 0, 0, time.UTC)
	SamplePrevRun    = time.Date(2026, 11, 17, 6, 24, 37, 0, time.UTC)
	sampleHistory    = time.Date(2026, 9, 14, 7, 2, 11, 0, time.UTC)
)

const (
	SampleSite     = "contoso-analytics"
	SampleInstance = "5b7e2d"
	// SampleRotateBytes is the job_log.txt rotation size used for the sample: half of Kudu's
	// 1 MiB, so that both jobs have a job_prev_log.txt while the committed fixture stays small
	// (with 1 MiB the history would have to be twice as long and the zip would exceed 400 KB).
	SampleRotateBytes = KuduMaxLogFileSize / 2
	sampleSeed        = 20261120
	sampleJobsDir     = "data/jobs/continuous/"
	sampleBlobDir     = "applogs/"
)

// SampleConfig is the scenario of the sample bundle:
//
//   - the site runs since 2026-09-14 with a site restart every few days (history that fills
//     the Kudu logs), the last ones on 2026-11-17 06:21 and 2026-11-19 03:12 UTC;
//   - the AAD app's client secret is invalid from 2026-11-19 02:00 UTC;
//   - the database is read-only for three AppInsightsImporter cycles from 2026-11-19 21:40;
//   - the Office365ActivityImporter is redeployed at 2026-11-20 07:45 with binaries newer than
//     the database schema, and crash-loops until the capture at 09:30;
//   - the Redis cache lost its data at 2026-11-19 00:00 (so the usage reports are imported
//     once between 00:00 and 02:00);
//   - nothing random fails (Chaos 0); benign noise is on.
func SampleConfig() Config {
	r := rand.New(rand.NewPCG(sampleSeed, 1))
	var inc []Incident
	// History: site restarts every 1.5 to 3.5 days (configuration changes, platform updates).
	for t := sampleHistory.Add(between(r, 30*time.Hour, 80*time.Hour)); t.Before(time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)); t = t.Add(between(r, 36*time.Hour, 84*time.Hour)) {
		inc = append(inc, Incident{Kind: SiteRestart, At: t.Truncate(time.Second), Down: between(r, 25*time.Second, 90*time.Second).Truncate(time.Second)})
	}
	inc = append(inc,
		Incident{Kind: SiteRestart, At: SamplePrevRun, Down: 52 * time.Second},
		Incident{Kind: RedisFlushed, At: SampleAppLogFrom},
		Incident{Kind: SecretExpired, At: SampleSecretFrom},
		Incident{Kind: SiteRestart, At: SampleRestart, Down: 41 * time.Second},
		Incident{Kind: SQLReadOnly, At: SampleReadOnly, Cycles: 3},
		Incident{Kind: Redeploy, Job: Office365ActivityImporter, At: SampleRedeploy},
		Incident{Kind: SchemaMismatch, Job: Office365ActivityImporter, At: SampleRedeploy},
	)
	return Config{
		Seed:      sampleSeed,
		Start:     sampleHistory,
		End:       SampleCapture,
		Site:      SampleSite,
		Instances: []string{SampleInstance},
		Build:     "Build 1312",
		Incidents: inc,
	}
}

// SampleBundleOptions are the bundle options of the sample.
func SampleBundleOptions() BundleOptions {
	return BundleOptions{
		Config:     SampleConfig(),
		JobsDir:    sampleJobsDir,
		BlobDir:    sampleBlobDir,
		AppLogFrom: SampleAppLogFrom,
		Kudu:       KuduOptions{Cap: true, RotateBytes: SampleRotateBytes},
	}
}

// SampleFiles builds everything kudugen --scenario sample writes, keyed by path relative to
// the output directory (fixtures/): sample/<bundle files>, sample-bundle.zip,
// sample-expected.json and README.md.
func SampleFiles() (map[string][]byte, error) {
	var ms MemSink
	opt := SampleBundleOptions()
	res, err := WriteBundle(&ms, opt)
	if err != nil {
		return nil, err
	}
	bundle := map[string][]byte{}
	for name, b := range ms.Files {
		bundle[name] = b.Bytes()
	}
	exp, err := sampleExpected(opt, res, bundle)
	if err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(exp, "", "  ")
	if err != nil {
		return nil, err
	}
	js = append(js, '\n')
	zipped, err := BundleZip(bundle, SampleCapture)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{
		"sample-bundle.zip":    zipped,
		"sample-expected.json": js,
		"README.md":            sampleReadme(exp, int64(len(zipped))),
	}
	for name, b := range bundle {
		out["sample/"+name] = b
	}
	return out, nil
}

// ZipName is the name a bundle file gets in the zip: the Kudu part (data/...) with Windows
// backslashes, as a zip made on the App Service (Windows) has them; blob downloads keep "/".
func ZipName(name string) string {
	if strings.HasPrefix(name, "data/") {
		return strings.ReplaceAll(name, "/", `\`)
	}
	return name
}

// BundleZip zips bundle files deterministically: entries sorted by name, every entry
// modified at mod, Deflate with a pinned compressor (klauspost/compress/flate level 9).
func BundleZip(files map[string][]byte, mod time.Time) ([]byte, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return ZipName(names[i]) < ZipName(names[j]) })
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return kflate.NewWriter(w, kflate.BestCompression)
	})
	for _, n := range names {
		h := &zip.FileHeader{Name: ZipName(n), Method: zip.Deflate, Modified: mod}
		h.ExternalAttrs = 0x20 // FILE_ATTRIBUTE_ARCHIVE, as Windows tools set it
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(files[n]); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteFiles writes files (as returned by SampleFiles) under dir, replacing dir/sample.
func WriteFiles(dir string, files map[string][]byte) error {
	if err := os.RemoveAll(filepath.Join(dir, "sample")); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, files[n], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ---- expected results ----

// SampleExpected is fixtures/sample-expected.json: what the sample contains and where each
// planted problem shows. Line numbers are 1-based physical lines of the files as committed.
type SampleExpected struct {
	Scenario          string            `json:"scenario"`
	Site              string            `json:"site"`
	Instance          string            `json:"instance"`
	Capture           time.Time         `json:"capture"`
	ImportJobSettings string            `json:"import_job_settings"`
	AppLogFrom        time.Time         `json:"application_log_from"`
	KuduRotateBytes   int               `json:"kudu_rotate_bytes"`
	KuduMaxLines      int               `json:"kudu_max_console_lines"`
	Status            map[string]string `json:"status_at_capture"`
	Files             []ExpectedFile    `json:"files"`
	Crashes           []ExpectedCount   `json:"unhandled_exceptions"`
	Problems          []ExpectedProblem `json:"problems"`
	Noise             []ExpectedProblem `json:"benign_noise"`
	Healthy           []string          `json:"healthy"`
	MaxSQLErrorsHour  int               `json:"max_sql_errors_in_any_hour"`
}

// ExpectedFile is one file of the bundle.
type ExpectedFile struct {
	Path  string `json:"path"`
	Bytes int    `json:"bytes"`
	Lines int    `json:"lines"`
}

// ExpectedCount counts something per job and file.
type ExpectedCount struct {
	Job   string `json:"job"`
	File  string `json:"file"`
	Count int    `json:"count"`
}

// ExpectedProblem is one planted problem (or benign noise) and its evidence.
type ExpectedProblem struct {
	Check    string             `json:"check"`
	Job      string             `json:"job"`
	First    time.Time          `json:"first"`
	Last     time.Time          `json:"last"`
	Summary  string             `json:"summary"`
	Evidence []ExpectedEvidence `json:"evidence"`
}

// ExpectedEvidence is where a problem shows in one file: its first (or, for a problem that
// is the absence of something, the last good) line there, and how many lines show it.
type ExpectedEvidence struct {
	File     string    `json:"file"`
	Line     int64     `json:"line"`
	Time     time.Time `json:"time"`
	Text     string    `json:"text"`
	Count    int       `json:"count"`
	LastLine int64     `json:"last_line,omitempty"`
	Section  string    `json:"section,omitempty"`
}

func evidenceOf(occ []*Occurrences, last bool) []ExpectedEvidence {
	var out []ExpectedEvidence
	for _, o := range occ {
		loc := o.First
		if last {
			loc = o.Last
		}
		e := ExpectedEvidence{File: o.File, Line: loc.Line, Time: loc.Time.Truncate(time.Second), Text: loc.Text, Count: o.Count}
		if !last && o.Count > 1 {
			e.LastLine = o.Last.Line
		}
		out = append(out, e)
	}
	return out
}

func span(occ []*Occurrences) (first, last time.Time) {
	for _, o := range occ {
		if first.IsZero() || o.First.Time.Before(first) {
			first = o.First.Time
		}
		if o.Last.Time.After(last) {
			last = o.Last.Time
		}
	}
	return first.Truncate(time.Second), last.Truncate(time.Second)
}

func sampleExpected(opt BundleOptions, res *BundleResult, bundle map[string][]byte) (*SampleExpected, error) {
	cfg := opt.Config.Defaults()
	ev := res.Evidence
	exp := &SampleExpected{
		Scenario:          "sample",
		Site:              cfg.Site,
		Instance:          SampleInstance,
		Capture:           SampleCapture,
		ImportJobSettings: cfg.Settings.String(),
		AppLogFrom:        SampleAppLogFrom,
		KuduRotateBytes:   SampleRotateBytes,
		KuduMaxLines:      KuduMaxConsoleLines,
		Status:            map[string]string{},
	}
	for _, job := range cfg.Jobs {
		exp.Status[job] = res.Status[job][SampleInstance]
	}
	names := make([]string, 0, len(bundle))
	for n := range bundle {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		exp.Files = append(exp.Files, ExpectedFile{Path: n, Bytes: len(bundle[n]), Lines: bytes.Count(bundle[n], []byte("\n"))})
	}
	for _, o := range ev.Find(MarkUnhandled, "") {
		exp.Crashes = append(exp.Crashes, ExpectedCount{Job: o.Job, File: o.File, Count: o.Count})
	}

	add := func(check, job string, occ []*Occurrences, summary string) error {
		if len(occ) == 0 {
			return errors.New("gen: sample: no evidence for " + check + " of " + job)
		}
		first, last := span(occ)
		exp.Problems = append(exp.Problems, ExpectedProblem{Check: check, Job: job, First: first, Last: last, Summary: summary, Evidence: evidenceOf(occ, false)})
		return nil
	}
	act, ai := Office365ActivityImporter, AppInsightsImporter
	aad := ev.Find(MarkAADSecret, act)
	if err := add("aad-client-secret-invalid", act, aad,
		"AADSTS7000215 (invalid client secret) on every Office365ActivityImporter cycle: ProcessCallQueueAndWebhook, GetGraphTeamsAndUserData and DownloadActivityData fail"); err != nil {
		return nil, err
	}
	ro := ev.Find(MarkSQLReadOnly, ai)
	if err := add("sql-database-read-only", ai, ro,
		"database read-only in three consecutive AppInsightsImporter cycles (1 'Got SQL error' + 2 page-update chunk errors each); visible only in the application log"); err != nil {
		return nil, err
	}

	// activity-import-finished: the last "Finished activity import" is older than 24 h.
	fin := ev.Find(MarkActivityFinished, act)
	if len(fin) == 0 {
		return nil, errors.New("gen: sample: no Finished activity import at all")
	}
	var lastFin time.Time
	for _, o := range fin {
		if o.Last.Time.After(lastFin) {
			lastFin = o.Last.Time
		}
	}
	if SampleCapture.Sub(lastFin) <= 24*time.Hour {
		return nil, errors.New("gen: sample: Finished activity import within 24 h of capture")
	}
	var finLast []*Occurrences
	for _, o := range fin {
		if o.Last.Time.Equal(lastFin) {
			finLast = append(finLast, o)
		}
	}
	exp.Problems = append(exp.Problems, ExpectedProblem{Check: "activity-import-finished", Job: act, First: lastFin.Truncate(time.Second), Last: SampleCapture,
		Summary:  "no 'Finished activity import' in the 24 h before capture; evidence is the last one",
		Evidence: evidenceOf(finLast, true)})

	// section-import-missing: sections of the Activity importer not finished in the last 24 h.
	var missing []ExpectedEvidence
	var firstMissing time.Time
	for _, m := range ev.Marks() {
		if !strings.HasPrefix(m, MarkSectionPrefix) {
			continue
		}
		for _, job := range cfg.Jobs {
			occ := ev.Find(m, job)
			if len(occ) == 0 {
				continue
			}
			var lastAt time.Time
			var lastOcc *Occurrences
			for _, o := range occ {
				if !o.Last.Time.Before(lastAt) {
					lastAt, lastOcc = o.Last.Time, o
				}
			}
			if SampleCapture.Sub(lastAt) <= 24*time.Hour {
				continue
			}
			if job != act {
				return nil, errors.New("gen: sample: section " + m + " of " + job + " missing")
			}
			e := evidenceOf([]*Occurrences{lastOcc}, true)[0]
			e.Section = strings.TrimPrefix(m, MarkSectionPrefix)
			missing = append(missing, e)
			if firstMissing.IsZero() || lastAt.Before(firstMissing) {
				firstMissing = lastAt
			}
		}
	}
	sort.Slice(missing, func(i, j int) bool { return missing[i].Time.Before(missing[j].Time) })
	exp.Problems = append(exp.Problems, ExpectedProblem{Check: "section-import-missing", Job: act, First: firstMissing.Truncate(time.Second), Last: SampleCapture,
		Summary:  "no FinishedSectionImport in the 24 h before capture for these Office365ActivityImporter sections; evidence is the last one of each",
		Evidence: missing})

	if err := add("ef-model-changed", act, ev.Find(MarkEFModel, act),
		"start-up crash: System.InvalidOperationException 'The model backing the 'AnalyticsEntitiesContext' context has changed since the database was created' after the redeploy"); err != nil {
		return nil, err
	}
	if err := add("job-restarts", act, ev.Find(MarkJobFailed, act),
		"crash loop: 'Job failed due to exit code -532462766', 'Process went down, waiting for 60 seconds', 'Status changed to PendingRestart' after every start"); err != nil {
		return nil, err
	}
	stat := ev.Find(MarkStatusPrefix+"PendingRestart", act)
	if len(stat) != 1 {
		return nil, errors.New("gen: sample: Office365ActivityImporter is not PendingRestart at capture")
	}
	exp.Problems = append(exp.Problems, ExpectedProblem{Check: "job-not-running", Job: act, First: SampleCapture, Last: SampleCapture,
		Summary:  "status file says PendingRestart at capture",
		Evidence: []ExpectedEvidence{{File: stat[0].File, Line: 1, Time: SampleCapture, Text: string(StatusFile("PendingRestart")), Count: 1}}})
	if other := ev.Find(MarkStatusPrefix+"Running", ai); len(other) != 1 {
		return nil, errors.New("gen: sample: AppInsightsImporter is not Running at capture")
	}
	for _, job := range cfg.Jobs {
		if err := add("console-output-capped", job, ev.Find(MarkConsoleCapped, job),
			"job_log.txt holds only the first 200 console lines of each process run; the application log has everything"); err != nil {
			return nil, err
		}
	}

	for _, n := range []struct{ mark, what string }{
		{MarkThrottleRetry, "a throttled Graph call that was retried and succeeded (Information)"},
		{MarkRedisToken, "Teams without a token in Redis (Information)"},
	} {
		occ := ev.Find(n.mark, act)
		if len(occ) == 0 {
			return nil, errors.New("gen: sample: no benign noise " + n.mark)
		}
		first, last := span(occ)
		exp.Noise = append(exp.Noise, ExpectedProblem{Check: n.mark, Job: act, First: first, Last: last, Summary: n.what, Evidence: evidenceOf(occ, false)})
	}
	for _, m := range []string{MarkCrash, MarkOOM, MarkThrottleExceeded, MarkWebhookFailed, MarkSQLError, MarkNoOrgURLs, MarkHandledError} {
		if occ := ev.Find(m, ""); len(occ) > 0 {
			return nil, errors.New("gen: sample: unplanned " + m + " in " + occ[0].File)
		}
	}
	exp.Healthy = []string{
		"AppInsightsImporter imports hits every cycle with traffic (Hits import, Hit updates, Searches, Page updates, Clicks sections) and runs since the site restart of 2026-11-19 03:12 UTC; status Running",
		"App Insights connection string present (no 'WARNING: No AppInsights connection string provided')",
		"org URLs present (no 'FATAL ERROR: No org URLs found in database!')",
		"call webhook subscription updated every healthy cycle (no 'Couldn't create webhook')",
		"no Yammer errors, no throttling exhaustion, no OutOfMemoryException, no other SQL errors",
		"the 'SqlException > 10 in 1 h' rule does not fire (see max_sql_errors_in_any_hour)",
	}
	exp.MaxSQLErrorsHour = maxSQLErrorsPerHour(bundle)
	if exp.MaxSQLErrorsHour > 10 {
		return nil, errors.New("gen: sample: more than 10 SQL errors in an hour")
	}
	return exp, nil
}

// maxSQLErrorsPerHour is the largest number of application-log rows with a SQL error
// message ("Got SQL error: ", "Got a SQL error: ", "SQL exception '") within any 60 minutes.
func maxSQLErrorsPerHour(bundle map[string][]byte) int {
	var ts []time.Time
	for name, b := range bundle {
		if !strings.HasSuffix(name, ".applicationLog.csv") {
			continue
		}
		for _, line := range strings.Split(string(b), "\r\n") {
			if !strings.Contains(line, "Got SQL error: ") && !strings.Contains(line, "Got a SQL error: ") && !strings.Contains(line, "SQL exception '") {
				continue
			}
			f := strings.SplitN(line, ",", 6)
			if len(f) < 6 {
				continue
			}
			var ticks int64
			for _, c := range f[4] {
				ticks = ticks*10 + int64(c-'0')
			}
			ts = append(ts, TicksTime(ticks))
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	best := 0
	for i := range ts {
		n := 0
		for j := i; j < len(ts) && ts[j].Sub(ts[i]) < time.Hour; j++ {
			n++
		}
		best = max(best, n)
	}
	return best
}
