package gen

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Kudu constants (Kudu.Core/Jobs/FilePerJobLogger.cs, Resources.resx).
const (
	// KuduMaxConsoleLines is how many stdout+stderr lines of one process run reach job_log.txt.
	KuduMaxConsoleLines = 200
	// KuduMaxLogFileSize: job_log.txt is rolled to job_prev_log.txt when it is larger than
	// this before a write.
	KuduMaxLogFileSize = 1 << 20
	// KuduCapMessage is the WARN line Kudu writes once a run has reached the cap.
	KuduCapMessage = "Reached maximum allowed output lines for this run, to see all of the job's logs you can enable App Service Logs option in the Portal."
	// Kudu file names in D:\home\data\jobs\continuous\<job>\.
	JobLogName     = "job_log.txt"
	JobPrevLogName = "job_prev_log.txt"
)

// AppendKuduLine appends one job_log.txt line for e:
// "[MM/dd/yyyy HH:mm:ss > iiiiii: (SYS )?LEVL] text\r\n".
func AppendKuduLine(b []byte, e *Event) []byte {
	b = append(b, '[')
	b = appendKuduTime(b, e.Time)
	b = append(b, " > "...)
	b = append(b, e.Instance...)
	b = append(b, ": "...)
	if e.Stream == KuduSystem {
		b = append(b, "SYS "...)
	}
	b = append(b, e.Level.kuduToken()...)
	b = append(b, "] "...)
	b = append(b, e.Text...)
	return append(b, '\r', '\n')
}

// JobLogFiles is the pair of files Kudu keeps per job: writes append to the current
// job_log.txt; Rotate moves it to job_prev_log.txt (replacing any older one) and starts an
// empty job_log.txt.
type JobLogFiles interface {
	io.Writer
	Rotate() error
}

// KuduOptions controls the Kudu renderer.
type KuduOptions struct {
	// Cap applies Kudu's console cap: after MaxConsoleLines stdout/stderr lines of a process
	// run, one WARN line and nothing more from that run (SYS lines are never capped).
	Cap bool
	// MaxConsoleLines defaults to KuduMaxConsoleLines.
	MaxConsoleLines int
	// RotateBytes > 0 rolls job_log.txt when it is larger than this before a write (Kudu:
	// KuduMaxLogFileSize). The writer must then be a JobLogFiles. 0 disables rotation.
	RotateBytes int64
	// OnLine, if set, is called for every line written, with the file it went to
	// (JobLogName) and its 1-based line number there; the cap WARN line is reported with a
	// synthetic event whose Mark is "console-output-capped". OnRotate is called after a rotation.
	OnLine   func(e *Event, line int64)
	OnRotate func()
}

// MarkConsoleCapped marks the synthetic event reported for Kudu's cap WARN line.
const MarkConsoleCapped = "console-output-capped"

// KuduLog renders the events of one job (all instances) as Kudu's job_log.txt. Events of
// other jobs must not be passed to it.
type KuduLog struct {
	w     io.Writer
	files JobLogFiles
	opt   KuduOptions
	size  int64
	lines int64
	runs  map[string]*runCount // per job and instance (each instance's Kudu counts its own runs)
	buf   []byte
}

type runCount struct {
	run   int
	lines int
}

// NewKuduLog returns a renderer writing to w. With opt.RotateBytes > 0, w must implement
// JobLogFiles.
func NewKuduLog(w io.Writer, opt KuduOptions) (*KuduLog, error) {
	k := &KuduLog{w: w, opt: opt, runs: map[string]*runCount{}, buf: make([]byte, 0, 512)}
	if k.opt.MaxConsoleLines <= 0 {
		k.opt.MaxConsoleLines = KuduMaxConsoleLines
	}
	if opt.RotateBytes > 0 {
		f, ok := w.(JobLogFiles)
		if !ok {
			return nil, errors.New("gen: rotation needs a JobLogFiles writer")
		}
		k.files = f
	}
	return k, nil
}

// Size is the size of the current job_log.txt.
func (k *KuduLog) Size() int64 { return k.size }

// Write renders e.
func (k *KuduLog) Write(e *Event) error {
	if e.Stream != KuduSystem && k.opt.Cap {
		key := e.Job + "/" + e.Instance
		rc := k.runs[key]
		if rc == nil {
			rc = &runCount{}
			k.runs[key] = rc
		}
		if rc.run != e.Run {
			rc.run, rc.lines = e.Run, 0
		}
		switch {
		case rc.lines < k.opt.MaxConsoleLines:
			rc.lines++
		case rc.lines == k.opt.MaxConsoleLines:
			rc.lines++
			w := *e
			w.Stream, w.Level, w.Text, w.Mark = Stdout, Warn, KuduCapMessage, MarkConsoleCapped
			return k.write(&w)
		default:
			return nil
		}
	}
	return k.write(e)
}

func (k *KuduLog) write(e *Event) error {
	if k.files != nil && k.size > k.opt.RotateBytes {
		if err := k.files.Rotate(); err != nil {
			return err
		}
		k.size, k.lines = 0, 0
		if k.opt.OnRotate != nil {
			k.opt.OnRotate()
		}
	}
	k.buf = AppendKuduLine(k.buf[:0], e)
	n, err := k.w.Write(k.buf)
	k.size += int64(n)
	k.lines++
	if k.opt.OnLine != nil {
		k.opt.OnLine(e, k.lines)
	}
	return err
}

// MemJobLog keeps job_log.txt and job_prev_log.txt in memory (for small bundles and tests).
type MemJobLog struct {
	Log, Prev bytes.Buffer
	HasPrev   bool
}

func (m *MemJobLog) Write(p []byte) (int, error) { return m.Log.Write(p) }

// Rotate implements JobLogFiles.
func (m *MemJobLog) Rotate() error {
	m.Prev.Reset()
	m.Prev.Write(m.Log.Bytes())
	m.Log.Reset()
	m.HasPrev = true
	return nil
}

// DirJobLog writes job_log.txt / job_prev_log.txt in a directory, as Kudu does.
type DirJobLog struct {
	dir string
	f   *os.File
	bw  *bufio.Writer
}

// NewDirJobLog creates dir and an empty job_log.txt in it (an existing one is truncated).
func NewDirJobLog(dir string) (*DirJobLog, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	d := &DirJobLog{dir: dir}
	return d, d.open()
}

func (d *DirJobLog) open() error {
	f, err := os.Create(filepath.Join(d.dir, JobLogName))
	if err != nil {
		return err
	}
	d.f = f
	d.bw = bufio.NewWriterSize(f, 256<<10)
	return nil
}

func (d *DirJobLog) Write(p []byte) (int, error) { return d.bw.Write(p) }

// Rotate implements JobLogFiles.
func (d *DirJobLog) Rotate() error {
	if err := d.Close(); err != nil {
		return err
	}
	cur, prev := filepath.Join(d.dir, JobLogName), filepath.Join(d.dir, JobPrevLogName)
	if err := os.Remove(prev); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(cur, prev); err != nil {
		return err
	}
	return d.open()
}

// Close flushes and closes job_log.txt.
func (d *DirJobLog) Close() error {
	if d.f == nil {
		return nil
	}
	err := d.bw.Flush()
	if cerr := d.f.Close(); err == nil {
		err = cerr
	}
	d.f = nil
	return err
}

// ---- status files ----

// StatusTracker follows Kudu's "Status changed to X" lines and reports each job's status per
// instance, which is what Kudu keeps in data/jobs/continuous/<job>/status_<instance>.
type StatusTracker struct {
	status map[[2]string]statusAt
}

type statusAt struct {
	status string
	at     time.Time
}

// Observe updates the tracker with e.
func (s *StatusTracker) Observe(e *Event) {
	if e.Stream != KuduSystem {
		return
	}
	const p = "Status changed to "
	if len(e.Text) <= len(p) || e.Text[:len(p)] != p {
		return
	}
	if s.status == nil {
		s.status = map[[2]string]statusAt{}
	}
	s.status[[2]string{e.Job, e.Instance}] = statusAt{e.Text[len(p):], e.Time}
}

// Status returns the last status of job on instance ("" if none was seen).
func (s *StatusTracker) Status(job, instance string) string {
	return s.status[[2]string{job, instance}].status
}

// StatusFileName is the name of a job's status file for an instance.
func StatusFileName(instance string) string { return "status_" + instance }

// StatusFile returns the content of a Kudu status file: the ContinuousJobStatus object as
// Json.NET serialises it.
func StatusFile(status string) []byte {
	return []byte(`{"Status":"` + status + `"}`)
}
