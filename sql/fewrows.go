package sql

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// Most checks match a few lines. Their rules are applied in Go, to the rows of the check's
// query as it returns them: the rules in SQL (rows.go) cost DuckDB 3-20 ms of planning and
// set-up per check whatever the rows (~0.13 s of the checks of a diagnosis on a database of 50
// lines), and the DESCRIBE they need ~1-5 ms more. A result of more than goRowsMax rows, or
// more than goBytesMax of text, is left to the rules in SQL (the rows read are dropped), so
// what a check holds in Go stays bounded however many lines it matches; and heartbeat checks
// (at-least-one-per) are always judged in SQL (readFew).
//
// Both ways give the same results: TestRulesInSQLMatchReference holds each to the reference.
const (
	goRowsMax  = 16 << 10
	goBytesMax = 8 << 20
)

// goRow is a row of a check's result as the rules in Go read it: kl_rows (rows.go) in Go.
type goRow struct {
	row
	status Status // lower case
}

// readFew returns the columns of the check's query, and its rows when there are few enough to
// judge in Go (ok). A heartbeat check is judged in SQL without reading its rows: it has a row
// per heartbeat, thousands a day (section-import-missing on the 200 MB bench log: 60 k), of
// which the SQL reads the few the rule needs.
func (e *evaluator) readFew(c *Check, q string) (rc resultCols, rows []goRow, ok bool, err error) {
	maxRows := goRowsMax
	if e.goRows != 0 {
		maxRows = e.goRows
	}
	if maxRows < 0 || c.Rule.Kind == RuleAtLeastOnePer {
		if rc, err = e.describe(q); err == nil {
			err = rc.check(c)
		}
		return rc, nil, false, err
	}
	pq, args := planOnce(q, nil)
	rs, err := e.conn.QueryContext(e.ctx, pq, args...)
	if err != nil {
		return rc, nil, false, err
	}
	defer rs.Close()
	if rc, err = newResultCols(rs); err != nil {
		return rc, nil, false, err
	}
	if err := rc.check(c); err != nil {
		return rc, nil, false, err
	}
	rd, ok := rc.goReader()
	if !ok {
		return rc, nil, false, nil
	}
	vals := make([]any, len(rc.names))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	rows = []goRow{}
	size := 0
	for rs.Next() {
		if len(rows) == maxRows {
			return rc, nil, false, nil
		}
		if err := rs.Scan(ptrs...); err != nil {
			return rc, nil, false, err
		}
		x := rd.read(vals)
		if size += 64 + len(x.grp) + len(x.job) + len(x.file) + len(x.message) + len(x.status); size > goBytesMax {
			return rc, nil, false, nil
		}
		rows = append(rows, x)
	}
	if err := rs.Err(); err != nil {
		return rc, nil, false, err
	}
	return rc, rows, true, nil
}

// goReader reads a result's columns into goRows as kl_rows casts them in SQL: the places of
// the columns the rules read, -1 for none (and for a timestamp that is not a time, or a line
// that is not an integer: NULL in SQL).
type goReader struct {
	ts, line, grp, job, file, message, status int
}

// goReader is not ok for a result with a column whose cast Go would not give exactly (a time
// zone, nanoseconds, a double, a list...): the rules in SQL judge it.
func (rc resultCols) goReader() (goReader, bool) {
	ok := true
	place := func(name string, read func(colType) (bool, bool)) int {
		ct, found := rc.col(name)
		if !found {
			return -1
		}
		use, exact := read(ct)
		ok = ok && exact
		if !use {
			return -1
		}
		return ct.idx
	}
	text := func(ct colType) (bool, bool) {
		return true, ct.typ == "VARCHAR" || ct.typ == "SQLNULL" || ct.typ == "BOOLEAN" || smallInteger(ct)
	}
	rd := goReader{
		ts: place("timestamp", func(ct colType) (bool, bool) {
			switch ct.typ {
			case "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "DATE":
				return true, true
			}
			// TIMESTAMP WITH TIME ZONE and TIMESTAMP_NS are cast by DuckDB's rules
			return false, !ct.isTime()
		}),
		line: place("line", func(ct colType) (bool, bool) {
			return ct.isInteger(), !ct.isInteger() || smallInteger(ct)
		}),
		grp: place("grp", text), job: place("job", text), file: place("file", text),
		message: place("message", text), status: place("status", text),
	}
	return rd, ok
}

// smallInteger: an integer type whose values fit an int64 (a BIGINT cast never fails).
func smallInteger(ct colType) bool {
	return ct.isInteger() && ct.typ != "UBIGINT" && ct.typ != "HUGEINT" && ct.typ != "UHUGEINT"
}

// text is a value as CAST(value AS VARCHAR) gives it, empty for NULL (kl_rows' coalesce), for
// the types goReader reads as text.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	}
	return strconv.FormatInt(toInt64(v), 10)
}

func toInt64(v any) int64 {
	switch v := v.(type) {
	case int8:
		return int64(v)
	case int16:
		return int64(v)
	case int32:
		return int64(v)
	case int64:
		return v
	case uint8:
		return int64(v)
	case uint16:
		return int64(v)
	case uint32:
		return int64(v)
	}
	return 0
}

func (rd goReader) read(vals []any) goRow {
	at := func(i int) any {
		if i < 0 {
			return nil
		}
		return vals[i]
	}
	var x goRow
	if t, ok := at(rd.ts).(time.Time); ok {
		t = t.UTC()
		x.time = &t
	}
	x.line = toInt64(at(rd.line))
	x.grp, x.job, x.file, x.message = text(at(rd.grp)), text(at(rd.job)), text(at(rd.file)), text(at(rd.message))
	x.status = Status(strings.ToLower(text(at(rd.status))))
	return x
}

// judgeFew applies the check's rule to its rows in Go: what the SQL of rows.go computes.
func (e *evaluator) judgeFew(c *Check, all []goRow, r *Result) {
	// kl_rows' filter: none after the evaluation time or before --since (to the microsecond,
	// as timeLiteral writes them)
	at, since := e.at.Truncate(time.Microsecond), e.sinceOrMin().Truncate(time.Microsecond)
	rows := all[:0:0]
	for _, x := range all {
		if x.time == nil || (!x.time.After(at) && !x.time.Before(since)) {
			rows = append(rows, x)
		}
	}
	switch c.Rule.Kind {
	case RuleAny:
		ms := timed(rows)
		for _, m := range ms[:min(len(ms), e.maxEvidence)] {
			r.Evidence = append(r.Evidence, e.evidence(m))
		}
		var first, last *time.Time
		if len(ms) > 0 {
			first, last = ms[0].time, ms[len(ms)-1].time
		}
		e.judgeAny(c, r, int64(len(ms)), first, last)
	case RuleMoreThan:
		e.judgeMoreThan(c, r, fireGroups(rows, c.Rule.Threshold, c.Rule.Window, e.maxEvidence), c.Rule.Threshold, c.Rule.Window)
	case RuleRows:
		e.goKinds(rows, r)
	}
}

// timed returns the rows with a time in the order the rules of time read them: by time, then
// file and line, then the query's order.
func timed(rows []goRow) []row {
	var ms []row
	for _, x := range rows {
		if x.time != nil {
			ms = append(ms, x.row)
		}
	}
	sortByTime(ms)
	return ms
}

// fireGroups is moreThanRows' query in Go: per group (by name) the count of each row's window
// (the rows from the first of its ties on, less than w after it: the SQL's RANGE frame).
func fireGroups(rows []goRow, n int64, w time.Duration, maxEvidence int) []*fireGroup {
	var names []string
	byName := map[string][]goRow{}
	for _, x := range rows {
		if _, ok := byName[x.grp]; !ok {
			names = append(names, x.grp)
		}
		byName[x.grp] = append(byName[x.grp], x)
	}
	sort.Strings(names)
	wus := w.Microseconds()
	groups := make([]*fireGroup, 0, len(names))
	for _, name := range names {
		ms := timed(byName[name])
		g := &fireGroup{name: name, n: int64(len(ms))}
		groups = append(groups, g)
		if len(ms) == 0 {
			continue
		}
		g.first, g.last = ms[0].time, ms[len(ms)-1].time
		cnt := make([]int64, len(ms))
		tie, end := 0, 0
		for i := range ms {
			if !ms[i].time.Equal(*ms[tie].time) {
				tie = i
			}
			end = max(end, tie)
			for end < len(ms) && ms[end].time.Sub(*ms[tie].time).Microseconds() < wus {
				end++
			}
			if cnt[i] = int64(end - tie); cnt[i] <= 0 {
				cnt[i] = 0 // a window under a microsecond: an empty frame
				continue
			}
			g.best = max(g.best, cnt[i])
			if cnt[i] > n {
				if g.fire == 0 {
					g.fire = int64(i + 1)
				}
				g.lastFire = ms[end-1].time
			}
		}
		from := max(g.fire, 1)
		for i := range ms {
			if idx := int64(i + 1); (idx >= from && idx < from+int64(maxEvidence)) || (g.fire > 0 && idx == g.fire+n) {
				g.rows, g.idx, g.cnt = append(g.rows, ms[i]), append(g.idx, idx), append(g.cnt, cnt[i])
			}
		}
	}
	return groups
}

// goKinds is judgeRows' query in Go.
func (e *evaluator) goKinds(rows []goRow, r *Result) {
	byKind := map[Status][]goRow{}
	for _, x := range rows {
		kind := x.status
		switch kind {
		case StatusFail, StatusUnknown, StatusSkipped:
		default:
			kind = StatusPass
		}
		byKind[kind] = append(byKind[kind], x)
	}
	kinds := map[Status]*kindRows{}
	for kind, xs := range byKind {
		k := &kindRows{n: int64(len(xs))}
		kinds[kind] = k
		for i, x := range xs {
			if i < rowsKeep || i >= len(xs)-rowsKeep { // what judgeKinds shows
				k.msgs = append(k.msgs, x.message)
			}
		}
		if kind != StatusFail {
			continue
		}
		r.Count = k.n
		for i, x := range xs {
			if i < e.maxEvidence {
				r.Evidence = append(r.Evidence, e.evidence(x.row))
			}
			if x.time != nil {
				if r.FirstSeen == nil || x.time.Before(*r.FirstSeen) {
					r.FirstSeen = x.time
				}
				if r.LastSeen == nil || x.time.After(*r.LastSeen) {
					r.LastSeen = x.time
				}
			}
		}
	}
	judgeKinds(r, kinds)
}
