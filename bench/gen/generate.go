package gen

import (
	"bufio"
	"errors"
	"io"
	"sort"
	"strings"
	"time"
)

// Kinds of single-file output written by Generate.
const (
	KindKudu       = "kudu"       // one job_log.txt-format file
	KindAppLogCSV  = "applog-csv" // one blob application-log CSV (header once)
	KindAppLogText = "applog-txt" // one file-system application-log text file
)

// GenerateOptions configures Generate.
type GenerateOptions struct {
	Config Config
	// Kind is KindKudu, KindAppLogCSV or KindAppLogText.
	Kind string
	// Size stops generation at the end of the first line that reaches Size bytes of
	// (uncompressed) output. 0 runs until Config.End, which must then be set.
	Size int64
	// Kudu configures KindKudu output. The zero value (no cap, no rotation) gives one
	// uninterrupted Kudu-format file, as benchmarks want; rotation is not available here
	// (use WriteBundle).
	Kudu KuduOptions
	// Job restricts the simulation to one job ("" = every job in Config.Jobs; for KindKudu
	// their lines interleave in one file).
	Job string
}

// Generate writes one output file of opt.Kind to w and returns the number of (uncompressed)
// bytes written. Memory use does not depend on the size.
func Generate(w io.Writer, opt GenerateOptions) (int64, error) {
	cfg := opt.Config
	if opt.Job != "" {
		cfg.Jobs = []string{opt.Job}
	}
	if opt.Size <= 0 && cfg.End.IsZero() {
		return 0, errors.New("gen: Generate needs a Size or a Config.End")
	}
	sim, err := New(cfg)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	cw := &countingWriter{w: bw}
	var render func(*Event) error
	switch opt.Kind {
	case KindKudu:
		ko := opt.Kudu
		ko.RotateBytes = 0
		k, err := NewKuduLog(cw, ko)
		if err != nil {
			return 0, err
		}
		render = k.Write
	case KindAppLogCSV:
		render = NewCSVLog(cw, sim.cfg.Site).Write
	case KindAppLogText:
		render = NewFSLog(cw).Write
	default:
		return 0, errors.New("gen: unknown kind " + opt.Kind)
	}
	err = sim.Run(func(e *Event) error {
		if err := render(e); err != nil {
			return err
		}
		if opt.Size > 0 && cw.n >= opt.Size {
			return ErrStop
		}
		return nil
	})
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return cw.n, err
}

// BundleOptions configures WriteBundle.
type BundleOptions struct {
	Config Config
	// JobsDir is where the Kudu job folders go (default "data/jobs/continuous/").
	JobsDir string
	// BlobDir is the folder (blob container) under which the hourly application-log blobs
	// go, as <BlobDir><site>/<yyyy>/<MM>/<dd>/<HH>/<instance>-<pid>.applicationLog.csv
	// (default "applogs/"). "-" disables blob application logs.
	BlobDir string
	// AppLogFrom is when application logging was switched on (zero: Config.Start).
	AppLogFrom time.Time
	// FSDir, if set, also writes file-system application logs there
	// (e.g. "LogFiles/Application/"), one file per instance and SCM process.
	FSDir string
	// Kudu configures the job logs. Cap is what Kudu does; RotateBytes 0 means Kudu's
	// 1 MiB, a negative value disables rotation.
	Kudu KuduOptions
	// Size stops at the first event after which Size bytes (all files) were written;
	// 0 runs until Config.End.
	Size int64
}

// BundleResult describes what WriteBundle wrote.
type BundleResult struct {
	Bytes  int64
	Events int64
	// Status is each job's status per instance at the end (job -> instance -> status),
	// as written to the status files.
	Status map[string]map[string]string
	// Evidence locates marked events in the files (see Evidence).
	Evidence *Evidence
}

// WriteBundle simulates opt.Config and writes what a customer bundle holds: for each job
// <JobsDir><job>/job_log.txt (+ job_prev_log.txt after a rotation) and status_<instance>,
// and the blob (and optionally file-system) application logs.
func WriteBundle(sink Sink, opt BundleOptions) (*BundleResult, error) {
	cfg := opt.Config
	if opt.Size <= 0 && cfg.End.IsZero() {
		return nil, errors.New("gen: WriteBundle needs a Size or a Config.End")
	}
	if opt.JobsDir == "" {
		opt.JobsDir = "data/jobs/continuous/"
	}
	if opt.BlobDir == "" {
		opt.BlobDir = "applogs/"
	}
	sim, err := New(cfg)
	if err != nil {
		return nil, err
	}
	cfg = sim.cfg
	ev := &Evidence{}
	res := &BundleResult{Evidence: ev}
	var total int64
	counting := &countingSink{sink: sink, n: &total}

	type jobOut struct {
		files *sinkJobLog
		log   *KuduLog
	}
	jobs := map[string]*jobOut{}
	for _, job := range cfg.Jobs {
		dir := opt.JobsDir + job + "/"
		f, err := newSinkJobLog(counting, dir)
		if err != nil {
			return nil, err
		}
		ko := opt.Kudu
		switch {
		case ko.RotateBytes == 0:
			ko.RotateBytes = KuduMaxLogFileSize
		case ko.RotateBytes < 0:
			ko.RotateBytes = 0
		}
		file := dir + JobLogName
		ko.OnLine = func(e *Event, line int64) { ev.add(e, file, line) }
		ko.OnRotate = func() { ev.rename(dir+JobLogName, dir+JobPrevLogName) }
		k, err := NewKuduLog(f, ko)
		if err != nil {
			return nil, err
		}
		jobs[job] = &jobOut{files: f, log: k}
	}
	var blobs *BlobLogs
	if opt.BlobDir != "-" {
		blobs = NewBlobLogs(prefixSink{counting, opt.BlobDir}, cfg.Site)
		blobs.OnRow = func(e *Event, blob string, line int64) { ev.add(e, opt.BlobDir+blob, line) }
	}
	var fs *BlobLogs
	if opt.FSDir != "" {
		fs = newFSLogs(prefixSink{counting, opt.FSDir})
		fs.OnRow = func(e *Event, name string, line int64) { ev.add(e, opt.FSDir+name, line) }
	}
	appFrom := opt.AppLogFrom
	if appFrom.IsZero() {
		appFrom = cfg.Start
	}
	var st StatusTracker
	err = sim.Run(func(e *Event) error {
		res.Events++
		st.Observe(e)
		if err := jobs[e.Job].log.Write(e); err != nil {
			return err
		}
		if !e.Time.Before(appFrom) {
			if blobs != nil {
				if err := blobs.Write(e); err != nil {
					return err
				}
			}
			if fs != nil {
				if err := fs.Write(e); err != nil {
					return err
				}
			}
		}
		if opt.Size > 0 && total >= opt.Size {
			return ErrStop
		}
		return nil
	})
	for _, job := range cfg.Jobs {
		if cerr := jobs[job].files.Close(); err == nil {
			err = cerr
		}
	}
	for _, b := range []*BlobLogs{blobs, fs} {
		if b != nil {
			if cerr := b.Close(); err == nil {
				err = cerr
			}
		}
	}
	res.Status = map[string]map[string]string{}
	for _, job := range cfg.Jobs {
		for _, inst := range cfg.Instances {
			s := st.Status(job, inst)
			if s == "" {
				continue
			}
			if res.Status[job] == nil {
				res.Status[job] = map[string]string{}
			}
			res.Status[job][inst] = s
			name := opt.JobsDir + job + "/" + StatusFileName(inst)
			w, cerr := counting.Create(name)
			if cerr == nil {
				_, cerr = w.Write(StatusFile(s))
				ev.addFile(MarkStatusPrefix+s, job, name)
				if c2 := w.Close(); cerr == nil {
					cerr = c2
				}
			}
			if err == nil {
				err = cerr
			}
		}
	}
	res.Bytes = total
	return res, err
}

// MarkStatusPrefix + status is the evidence key of a status file.
const MarkStatusPrefix = "status:"

// newFSLogs writes file-system application logs: one file per instance and SCM process,
// named <instance>-<pid>.txt (Kudu's reader expects *-*.txt).
func newFSLogs(sink BlobSink) *BlobLogs {
	b := NewBlobLogs(sink, "")
	b.fs = true
	return b
}

type countingSink struct {
	sink Sink
	n    *int64
}

func (c *countingSink) Create(name string) (io.WriteCloser, error) {
	w, err := c.sink.Create(name)
	if err != nil {
		return nil, err
	}
	return countingCloser{w, c.n}, nil
}

func (c *countingSink) Rename(o, n string) error { return c.sink.Rename(o, n) }

type countingCloser struct {
	io.WriteCloser
	n *int64
}

func (c countingCloser) Write(p []byte) (int, error) {
	n, err := c.WriteCloser.Write(p)
	*c.n += int64(n)
	return n, err
}

type prefixSink struct {
	sink   Sink
	prefix string
}

func (p prefixSink) Create(name string) (io.WriteCloser, error) {
	return p.sink.Create(p.prefix + name)
}

// Evidence records where marked events (and every unhandled-exception header) ended up:
// per mark, job and file, the first and last line and the count. Kudu rotation is
// followed: what was in job_log.txt moves to job_prev_log.txt, and what was in the old
// job_prev_log.txt is forgotten.
type Evidence struct {
	m map[evKey]*Occurrences
}

type evKey struct{ mark, job, file string }

// Occurrences of one mark of one job in one file.
type Occurrences struct {
	Mark, Job, File string
	Count           int
	First, Last     Location
}

// Location is one line of a file.
type Location struct {
	Line int64 // 1-based physical line
	Time time.Time
	Text string
}

// MarkUnhandled is recorded for every "Unhandled Exception: " line, whatever its Mark.
const MarkUnhandled = "unhandled-exception"

func (ev *Evidence) add(e *Event, file string, line int64) {
	if e.Mark != "" {
		ev.addLoc(e.Mark, e, file, line)
	}
	if e.Stream == Stderr && strings.HasPrefix(e.Text, "Unhandled Exception: ") {
		ev.addLoc(MarkUnhandled, e, file, line)
	}
}

func (ev *Evidence) addLoc(mark string, e *Event, file string, line int64) {
	if ev.m == nil {
		ev.m = map[evKey]*Occurrences{}
	}
	k := evKey{mark, e.Job, file}
	o := ev.m[k]
	loc := Location{Line: line, Time: e.Time, Text: e.Text}
	if o == nil {
		o = &Occurrences{Mark: mark, Job: e.Job, File: file, First: loc}
		ev.m[k] = o
	}
	o.Count++
	o.Last = loc
}

func (ev *Evidence) addFile(mark, job, file string) {
	if ev.m == nil {
		ev.m = map[evKey]*Occurrences{}
	}
	ev.m[evKey{mark, job, file}] = &Occurrences{Mark: mark, Job: job, File: file, Count: 1, First: Location{Line: 1}, Last: Location{Line: 1}}
}

func (ev *Evidence) rename(from, to string) {
	for k := range ev.m {
		if k.file == to {
			delete(ev.m, k)
		}
	}
	for k, o := range ev.m {
		if k.file == from {
			delete(ev.m, k)
			k.file = to
			o.File = to
			ev.m[k] = o
		}
	}
}

// Find returns the occurrences of mark (for job, or any job if job is ""), ordered by the
// time of their first occurrence, then file name.
func (ev *Evidence) Find(mark, job string) []*Occurrences {
	var out []*Occurrences
	for k, o := range ev.m {
		if k.mark == mark && (job == "" || k.job == job) {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].First.Time.Equal(out[j].First.Time) {
			return out[i].First.Time.Before(out[j].First.Time)
		}
		return out[i].File < out[j].File
	})
	return out
}

// Marks returns every mark recorded, sorted.
func (ev *Evidence) Marks() []string {
	seen := map[string]bool{}
	for k := range ev.m {
		seen[k.mark] = true
	}
	out := make([]string, 0, len(seen))
	for m := range seen {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}
