package parse

import (
	"bytes"
	"sort"
	"strings"
)

// Template describes one message template of the catalogue.
type Template struct {
	ID       string
	Text     string // console text, "{}" for each hole
	Job      Job    // NoJob: printed by both importers (or by Kudu)
	Severity int8   // App Insights severityLevel, NullSeverity if never an App Insights trace
}

// Templates returns the catalogue; index i+1 is template number i+1 as stored in
// Traces.Template (0 means no template).
func Templates() []Template {
	out := make([]Template, len(templateDefs))
	for i, d := range templateDefs {
		out[i] = Template{ID: d.ID, Text: d.Text, Job: d.Job, Severity: d.Sev}
	}
	return out
}

// TemplateIDs returns the template IDs indexed by template number; entry 0 is "".
func TemplateIDs() []string { return theMatcher.ids }

// TemplateNumber returns the number of the template with the given ID, or 0.
func TemplateNumber(id string) int16 {
	for i, s := range theMatcher.ids {
		if s == id {
			return int16(i)
		}
	}
	return 0
}

// compiledTemplate is a template split into its literal parts.
type compiledTemplate struct {
	num          int16
	parts        [][]byte // literal parts, in order
	leadingHole  bool
	trailingHole bool
}

// matcher finds the template of a message. Templates are bucketed by the first two bytes of
// their leading literal, so a message is compared with a handful of candidates, most specific
// (longest leading literal) first.
type matcher struct {
	ids       []string
	defs      []templateDef
	bucket    [1 << 16]uint16 // first two bytes → index into buckets (0 = empty)
	buckets   [][]compiledTemplate
	timer     int16 // number of the section-timer template
	event     int16
	runScript int16
	exHole    []int8              // by template number: hole holding an exception message, 0 if none
	byNum     []*compiledTemplate // by template number (nil for the timer)
}

// theMatcher is built once from the constant catalogue and never modified.
var theMatcher = newMatcher(templateDefs)

func newMatcher(defs []templateDef) *matcher {
	m := &matcher{defs: defs, ids: make([]string, len(defs)+1), buckets: [][]compiledTemplate{nil},
		exHole: make([]int8, len(defs)+1), byNum: make([]*compiledTemplate, len(defs)+1)}
	byKey := map[uint16][]compiledTemplate{}
	for i, d := range defs {
		num := int16(i + 1)
		m.ids[num] = d.ID
		m.exHole[num] = int8(exceptionHoles[d.ID])
		switch d.ID {
		case TemplateSectionTimer:
			m.timer = num
			continue // matched by parseTimer: it starts with a hole
		case TemplateEvent:
			m.event = num
		case "kudu-run-script":
			m.runScript = num
		}
		ct := compiledTemplate{num: num}
		pieces := strings.Split(d.Text, "{}")
		ct.leadingHole = pieces[0] == ""
		ct.trailingHole = pieces[len(pieces)-1] == ""
		for _, p := range pieces {
			if p != "" {
				ct.parts = append(ct.parts, []byte(p))
			}
		}
		if ct.leadingHole {
			panic("parse: template " + d.ID + " starts with a hole") // a catalogue bug, found by the tests
		}
		m.byNum[num] = &ct
		first := ct.parts[0]
		if len(first) == 1 {
			for c := 0; c < 256; c++ {
				k := uint16(first[0])<<8 | uint16(c)
				byKey[k] = append(byKey[k], ct)
			}
			continue
		}
		k := uint16(first[0])<<8 | uint16(first[1])
		byKey[k] = append(byKey[k], ct)
	}
	keys := make([]int, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, int(k))
	}
	sort.Ints(keys)
	for _, k := range keys {
		cands := byKey[uint16(k)]
		sort.SliceStable(cands, func(i, j int) bool { return len(cands[i].parts[0]) > len(cands[j].parts[0]) })
		m.bucket[k] = uint16(len(m.buckets))
		m.buckets = append(m.buckets, cands)
	}
	return m
}

// match returns the template number of msg, 0 if none.
func (m *matcher) match(msg []byte) int16 {
	if len(msg) == 0 {
		return 0
	}
	if n := m.matchBucket(msg); n != 0 {
		return n
	}
	// "10:15 AM User import - start": a short time inside the message, before the template.
	if k := shortTimeLen(msg); k > 0 {
		if k == len(msg) {
			return 0 // "10:15 AM " and nothing after it (matchBucket needs a byte)
		}
		return m.matchBucket(msg[k:])
	}
	if bytes.HasSuffix(msg, []byte(" seconds.")) {
		if _, _, ok := parseTimer(msg); ok {
			return m.timer
		}
	}
	return 0
}

// matchBucket tries the templates whose leading literal starts like msg. Precondition: len(msg) > 0.
func (m *matcher) matchBucket(msg []byte) int16 {
	k := uint16(msg[0]) << 8
	if len(msg) > 1 {
		k |= uint16(msg[1])
	}
	b := m.bucket[k]
	if b == 0 {
		return 0
	}
	for i := range m.buckets[b] {
		if ct := &m.buckets[b][i]; ct.matches(msg) {
			return ct.num
		}
	}
	return 0
}

// matches reports whether msg fits the template: the first literal is a prefix, the last a
// suffix (unless a hole ends the template), and the others occur in order in between.
func (ct *compiledTemplate) matches(msg []byte) bool {
	first := ct.parts[0]
	if !bytes.HasPrefix(msg, first) {
		return false
	}
	rest := msg[len(first):]
	n := len(ct.parts)
	if n == 1 {
		return ct.trailingHole || len(rest) == 0
	}
	last := ct.parts[n-1]
	if !ct.trailingHole {
		if !bytes.HasSuffix(rest, last) {
			return false
		}
		rest = rest[:len(rest)-len(last)]
		n--
	}
	for _, p := range ct.parts[1:n] {
		i := bytes.Index(rest, p)
		if i < 0 {
			return false
		}
		rest = rest[i+len(p):]
	}
	return true
}

// hole returns the text of hole i (1-based) of msg, which matches ct.
func (ct *compiledTemplate) hole(msg []byte, i int) []byte {
	rest := msg[len(ct.parts[0]):]
	n := len(ct.parts)
	if !ct.trailingHole {
		rest = rest[:len(rest)-len(ct.parts[n-1])]
		n--
	}
	for k := 1; k < n; k++ {
		j := bytes.Index(rest, ct.parts[k])
		if j < 0 {
			return nil
		}
		if k == i {
			return rest[:j]
		}
		rest = rest[j+len(ct.parts[k]):]
	}
	if i == n {
		return rest
	}
	return nil
}

// parseTimer parses "<Section>: H hours, M mins, and S seconds." (JobTimer.ToString) and the
// older "<Section> taken so far: H hours, ...". It returns the section and the duration in
// seconds (days are lost: TimeSpan.Hours is the hours component).
func parseTimer(msg []byte) (section []byte, seconds int32, ok bool) {
	h := bytes.Index(msg, []byte(" hours, "))
	if h < 0 {
		return nil, 0, false
	}
	i := bytes.LastIndex(msg[:h], []byte(": "))
	if i <= 0 {
		return nil, 0, false
	}
	section, rest := msg[:i], msg[i+2:]
	section = bytes.TrimSuffix(section, []byte(" taken so far"))
	h, rest, ok1 := leadingInt(rest, " hours, ")
	m, rest, ok2 := leadingInt(rest, " mins, and ")
	s, rest, ok3 := leadingInt(rest, " seconds.")
	if !(ok1 && ok2 && ok3) || len(rest) != 0 || len(section) == 0 {
		return nil, 0, false
	}
	return section, int32(h*3600 + m*60 + s), true
}

// leadingInt parses the decimal digits at the start of b, which must be followed by sep.
func leadingInt(b []byte, sep string) (int, []byte, bool) {
	n, i := 0, 0
	for i < len(b) && isDigit(b[i]) && i < 9 {
		n = n*10 + int(b[i]-'0')
		i++
	}
	if i == 0 || !bytes.HasPrefix(b[i:], []byte(sep)) {
		return 0, b, false
	}
	return n, b[i+len(sep):], true
}

// MatchTemplate returns the ID of the template msg (a console message without Kudu or app
// prefix) fits, or "".
func MatchTemplate(msg []byte) string { return theMatcher.ids[theMatcher.match(msg)] }

// templateJob returns the job implied by template num on msg: the template's own job, or for
// section timers and events the job of the section they name.
func (m *matcher) templateJob(num int16, msg []byte) Job {
	if num == 0 {
		return NoJob
	}
	switch num {
	case m.runScript:
		return JobOf(yoloString(msg)) // "Run script 'SPOInsights.WebJob.AppInsightsImporter.exe' ..."
	case m.timer:
		if sec, _, ok := parseTimer(msg); ok {
			return sectionJobBytes(sec)
		}
	}
	return m.defs[num-1].Job
}

// severity returns the App Insights severity of template num.
func (m *matcher) severity(num int16) int8 {
	if num == 0 {
		return NullSeverity
	}
	return m.defs[num-1].Sev
}
