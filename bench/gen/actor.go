package gen

import (
	"math/rand/v2"
	"strings"
	"time"
)

// actor simulates one job on one instance: Kudu's continuous-job runner and the job's processes.
// It generates its events one segment at a time (start-up, one import cycle, a crash, ...)
// into a small queue; Simulator.Next merges the actors' queues by time.
type actor struct {
	sim  *Simulator
	idx  int
	job  string
	inst *instance
	r    *rand.Rand

	q  []Event
	qh int

	t         time.Time // generation cursor (the application's clock)
	last      time.Time // time of the last event produced (events never go back in time)
	st        actorState
	run       int       // process runs so far
	runStart  time.Time // start of the current process run
	nextStill time.Time // next "WebJob is still running" of the current run (zero: none)
	procEnd   time.Time // when the current process exited (zero while it runs)
	alive     bool      // a process is running (or was, until procEnd)
	tidOut    int
	tidErr    int
	mark      string // Mark for the events emitted now

	newRunner  bool // the next Starting logs "WebJob singleton setting is False"
	binChanged bool // the next start logs "Job directory change detected"

	cycle int // import cycles in the current run

	// job state that survives restarts (it lives in SQL/Redis in the real system)
	ai  aiState
	act activityState

	buf []byte // scratch

	pid               int // SCM process id, valid for [pidFrom, pidUntil)
	pidFrom, pidUntil time.Time
}

type actorState uint8

const (
	stBoot   actorState = iota // Kudu job runner starts the job: "Status changed to Starting"
	stLaunch                   // Kudu starts a process: "Run script ...", "Status changed to Running", app start-up
	stCycle                    // one import cycle, then the 10 minute wait
	stDown                     // site is down
	stDone                     // past Config.End
)

func newActor(s *Simulator, idx int, job string, in *instance) *actor {
	a := &actor{
		sim:       s,
		idx:       idx,
		job:       job,
		inst:      in,
		r:         rand.New(rand.NewPCG(s.cfg.Seed, uint64(idx)*0x9e3779b97f4a7c15+1)),
		st:        stBoot,
		newRunner: true,
	}
	// Jobs do not start in the same millisecond; Kudu starts them one after the other.
	a.t = s.cfg.Start.Add(time.Duration(idx)*1700*time.Millisecond + ms(a.r.IntN(900)))
	a.last = a.t
	a.initJobState()
	return a
}

// head returns the actor's next event, generating segments as needed; nil when it is done.
func (a *actor) head() *Event {
	for a.qh >= len(a.q) {
		if a.st == stDone {
			return nil
		}
		a.q = a.q[:0]
		a.qh = 0
		a.generate()
	}
	return &a.q[a.qh]
}

// generate produces the next segment.
func (a *actor) generate() {
	t0 := a.t
	switch a.st {
	case stBoot:
		a.boot()
	case stLaunch:
		a.launch()
	case stCycle:
		a.cycleSegment()
	case stDown:
		a.st = stBoot
		a.newRunner = true
		return
	}
	a.interrupt(t0)
	a.stillRunning()
	if end := a.sim.cfg.End; !end.IsZero() {
		for i := range a.q {
			if !a.q[i].Time.Before(end) {
				a.q = a.q[:i]
				a.st = stDone
				break
			}
		}
		if !a.t.Before(end) {
			a.st = stDone
		}
	}
}

// ---- Kudu lifecycle ----

func (a *actor) boot() {
	a.sys(Info, "Status changed to Starting")
	if a.newRunner {
		a.sys(Info, "WebJob singleton setting is False")
		a.newRunner = false
	}
	a.st = stLaunch
}

func (a *actor) launch() {
	if a.binChanged {
		a.sys(Info, "Job directory change detected: Job file '"+ProcessName(a.job)+".exe' timestamp differs between source and working directories.")
		a.binChanged = false
		a.adv(ms(300 + a.r.IntN(900)))
	}
	a.adv(ms(20 + a.r.IntN(60)))
	a.sys(Info, "Run script '"+ProcessName(a.job)+".exe' with script host - 'WindowsScriptHost'")
	a.adv(ms(5 + a.r.IntN(40)))
	a.sys(Info, "Status changed to Running")
	a.run++
	a.runStart = a.t
	a.procEnd = time.Time{}
	a.nextStill = a.runStart.Add(time.Hour)
	a.alive = true
	a.cycle = 0
	a.tidOut = 5 + a.r.IntN(40)
	a.tidErr = a.tidOut + 1 + a.r.IntN(6)
	a.adv(between(a.r, 900*time.Millisecond, 2600*time.Millisecond)) // CLR start, config load
	if a.sim.cfg.AppInsightsConnectionMissing {
		a.raw("WARNING: No AppInsights connection string provided. AppInsights logging disabled.")
	}
	var ok bool
	switch a.job {
	case AppInsightsImporter:
		ok = a.aiStartup()
	default:
		ok = a.activityStartup()
	}
	if ok {
		a.st = stCycle
	}
}

func (a *actor) cycleSegment() {
	a.cycle++
	switch a.job {
	case AppInsightsImporter:
		a.aiCycle()
	default:
		a.activityCycle()
	}
}

// exit ends the current process with code; Kudu logs the failure and schedules the restart.
func (a *actor) exit(code int) {
	a.adv(ms(30 + a.r.IntN(200)))
	a.procEnd = a.t
	if code != 0 {
		a.mark = MarkJobFailed
		a.sys(Err, "Job failed due to exit code "+itoa(code))
		a.mark = ""
	} else {
		a.sys(Info, "Status changed to Success")
	}
	wait := 60 * time.Second // WEBJOBS_RESTART_TIME default; only when the run was shorter than 2 minutes
	if a.t.Sub(a.runStart) >= 2*time.Minute {
		wait = 0
	}
	a.adv(ms(1 + a.r.IntN(5)))
	a.sys(Info, "Process went down, waiting for "+itoa(int(wait/time.Second))+" seconds")
	a.sys(Info, "Status changed to PendingRestart")
	a.adv(wait + ms(200+a.r.IntN(200)))
	a.st = stLaunch
}

// interrupt applies the first site restart or redeploy that falls in this segment: the
// segment's events from then on are dropped and Kudu's stop lines take their place.
func (a *actor) interrupt(t0 time.Time) {
	cfg := &a.sim.cfg
	var at time.Time
	var kind IncidentKind
	var down time.Duration
	if in, _, ok := a.sim.site.next(t0, a.inst.idx); ok && in.At.Before(a.t) {
		at, kind, down = in.At, SiteRestart, in.Down
	}
	for _, in := range cfg.Incidents {
		if in.Kind == Redeploy && in.Job == a.job && !in.At.Before(t0) && in.At.Before(a.t) {
			if at.IsZero() || in.At.Before(at) {
				at, kind = in.At.Add(time.Duration(a.inst.idx)*3*time.Second), Redeploy
			}
		}
	}
	if at.IsZero() {
		return
	}
	for i := range a.q {
		if !a.q[i].Time.Before(at) {
			a.q = a.q[:i]
			break
		}
	}
	running := a.alive && (a.procEnd.IsZero() || a.procEnd.After(at))
	if a.procEnd.IsZero() || a.procEnd.After(at) {
		a.procEnd = at
	}
	a.t = at
	if a.last.After(a.t) {
		a.last = a.t
	}
	a.mark = ""
	if kind == SiteRestart {
		a.sys(Info, "WebJob is stopping due to website shutting down")
	} else {
		a.sys(Info, "Detected WebJob file/s were updated, refreshing WebJob")
	}
	a.sys(Info, "Status changed to Stopping")
	if running {
		a.adv(5*time.Second + ms(a.r.IntN(60)))
		a.sys(Info, "WebJob process was aborted")
	} else {
		a.adv(ms(10 + a.r.IntN(50)))
	}
	a.sys(Info, "Status changed to Stopped")
	a.alive = false
	if kind == SiteRestart {
		a.t = at.Add(down + ms(a.r.IntN(4000)))
		a.st = stDown
	} else {
		a.binChanged = true
		a.adv(ms(200 + a.r.IntN(800)))
		a.st = stBoot
	}
}

// stillRunning inserts Kudu's "WebJob is still running" lines (1 h after a process started,
// then every 12 h; the timer lives as long as the process) that fall in this segment.
func (a *actor) stillRunning() {
	if a.nextStill.IsZero() {
		return
	}
	end := a.t
	if !a.procEnd.IsZero() && a.procEnd.Before(end) {
		end = a.procEnd
	}
	for a.nextStill.Before(end) {
		at := a.nextStill
		a.nextStill = at.Add(12 * time.Hour)
		e := a.makeEvent(at, KuduSystem, Info, "WebJob is still running")
		e.Mark = ""
		i := len(a.q)
		for i > 0 && a.q[i-1].Time.After(at) {
			i--
		}
		a.q = append(a.q, Event{})
		copy(a.q[i+1:], a.q[i:])
		a.q[i] = e
	}
	if !a.procEnd.IsZero() && !a.procEnd.After(a.t) {
		a.nextStill = time.Time{}
	}
}

// ---- emission helpers ----

func (a *actor) makeEvent(t time.Time, s Stream, l Level, text string) Event {
	if t.Before(a.pidFrom) || !t.Before(a.pidUntil) {
		in, k, ok := a.sim.site.next(t, a.inst.idx)
		a.pid = a.inst.pid(k)
		a.pidFrom = t
		a.pidUntil = in.At
		if !ok {
			a.pidUntil = t.Add(time.Hour)
		}
	}
	pid := a.pid
	tid := a.tidOut
	if s == Stderr {
		tid = a.tidErr
	}
	return Event{Time: t, Instance: a.inst.id, Job: a.job, Stream: s, Level: l, Text: text, Run: a.run, PID: pid, TID: tid, Mark: a.mark}
}

// adv advances the application clock.
func (a *actor) adv(d time.Duration) { a.t = a.t.Add(d) }

// emit queues a line at the current time; Kudu receives it a few milliseconds later.
func (a *actor) emit(s Stream, l Level, text string) {
	t := a.t.Add(time.Duration(150+a.r.IntN(2500)) * time.Microsecond)
	if !t.After(a.last) {
		// Kudu reads the lines one after the other: a few microseconds apart at least.
		t = a.last.Add(time.Duration(2+a.r.IntN(60)) * time.Microsecond)
	}
	a.last = t
	a.q = append(a.q, a.makeEvent(t, s, l, text))
	a.t = a.t.Add(time.Duration(30+a.r.IntN(400)) * time.Microsecond)
}

func (a *actor) sys(l Level, text string) { a.emit(KuduSystem, l, text) }

// trace prints msg the way AnalyticsLogger does: "HH-mm-ss:ff: " + msg; embedded newlines
// give further lines without the prefix.
func (a *actor) trace(msg string) {
	first, rest, more := strings.Cut(msg, "\n")
	a.buf = appendAppPrefix(a.buf[:0], a.t)
	a.buf = append(a.buf, first...)
	a.emit(Stdout, Info, string(a.buf))
	a.continuation(Stdout, Info, rest, more)
}

// continuation emits the further lines of a multi-line message; only the first line of a
// message carries the current mark.
func (a *actor) continuation(s Stream, l Level, rest string, more bool) {
	if !more {
		return
	}
	mark := a.mark
	a.mark = ""
	for more {
		var first string
		first, rest, more = strings.Cut(rest, "\n")
		a.emit(s, l, first)
	}
	a.mark = mark
}

// raw prints msg with Console.WriteLine (no prefix).
func (a *actor) raw(msg string) {
	first, rest, more := strings.Cut(msg, "\n")
	a.emit(Stdout, Info, first)
	a.continuation(Stdout, Info, rest, more)
}

// stderr prints the lines of text on standard error (only unhandled-exception crashes do).
func (a *actor) stderr(text string) {
	first, rest, more := strings.Cut(text, "\n")
	a.emit(Stderr, Err, first)
	a.continuation(Stderr, Err, rest, more)
}

// event prints a custom event the way AnalyticsLogger.TrackEvent does.
func (a *actor) event(name, context string) {
	a.raw("New event '" + name + "'; 'context=" + context + "'.")
}

// finished prints a JobTimer's StopAndPrintElapsed line and its custom event.
func (a *actor) finished(eventName, op string, d time.Duration) {
	s := timerText(op, d)
	a.trace(s)
	old := a.mark
	if eventName == "FinishedSectionImport" {
		a.mark = MarkSectionPrefix + op
	} else {
		a.mark = MarkCycleFinished
	}
	a.event(eventName, s)
	a.mark = old
}

// marked runs fn with the given mark on its events.
func (a *actor) marked(mark string, fn func()) {
	old := a.mark
	a.mark = mark
	fn()
	a.mark = old
}

// chance returns true with probability p × Config.Chaos.
func (a *actor) chance(p float64) bool {
	c := a.sim.cfg.Chaos
	if c <= 0 {
		return false
	}
	return a.r.Float64() < p*c
}

// wait10 is ConsoleApp.WebjobWait: "Waiting 10 mins..." then Thread.Sleep(600000).
func (a *actor) wait10() {
	a.trace("Waiting 10 mins...")
	a.adv(10*time.Minute + ms(a.r.IntN(40)))
}

// ---- scenario queries ----

func (a *actor) secretInvalid(t time.Time) bool {
	for _, in := range a.sim.cfg.Incidents {
		if in.Kind == SecretExpired && !t.Before(in.At) && (in.Until.IsZero() || t.Before(in.Until)) {
			return true
		}
	}
	return false
}

func (a *actor) noOrgURLs(t time.Time) bool {
	for _, in := range a.sim.cfg.Incidents {
		if in.Kind == NoOrgURLs && !t.Before(in.At) && (in.Until.IsZero() || t.Before(in.Until)) {
			return true
		}
	}
	return false
}

func (a *actor) schemaBroken(t time.Time) bool {
	for _, in := range a.sim.cfg.Incidents {
		if in.Kind == SchemaMismatch && in.Job == a.job && !t.Before(in.At) && (in.Until.IsZero() || t.Before(in.Until)) {
			return true
		}
	}
	return false
}

// sqlReadOnly reports whether the AppInsights cycle starting now hits the read-only database,
// counting down the incident's cycles.
func (a *actor) sqlReadOnly(t time.Time) bool {
	for i, in := range a.sim.cfg.Incidents {
		if in.Kind != SQLReadOnly || t.Before(in.At) {
			continue
		}
		n := in.Cycles
		if n <= 0 {
			n = 3
		}
		if a.ai.readOnlyUsed == nil {
			a.ai.readOnlyUsed = map[int]int{}
		}
		if a.ai.readOnlyUsed[i] < n {
			a.ai.readOnlyUsed[i]++
			return true
		}
	}
	return false
}
