package kql

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Timespans are kept in ticks (100 ns, KQL's unit) while parsing and must come out as whole
// microseconds, the resolution of DuckDB's INTERVAL and TIMESTAMP.
const (
	tick        = 1
	microsecond = 10 * tick
	millisecond = 1000 * microsecond
	second      = 1000 * millisecond
	minute      = 60 * second
	hour        = 60 * minute
	day         = 24 * hour
)

// timespanUnits are the unit suffixes of KQL timespan literals, in ticks.
var timespanUnits = map[string]int64{
	"d": day, "day": day, "days": day,
	"h": hour, "hr": hour, "hrs": hour, "hour": hour, "hours": hour,
	"m": minute, "min": minute, "minute": minute, "minutes": minute,
	"s": second, "sec": second, "second": second, "seconds": second,
	"ms": millisecond, "milli": millisecond, "millis": millisecond, "millisecond": millisecond, "milliseconds": millisecond,
	"microsecond": microsecond, "microseconds": microsecond,
	"tick": tick, "ticks": tick,
}

// parseTimespanLiteral parses 10m, 1.5h, 100ms (number and unit, no blank between).
func parseTimespanLiteral(text string) (int64, error) {
	i := 0
	for i < len(text) && (isDigit(text[i]) || text[i] == '.') {
		i++
	}
	return scaleTicks(text[:i], text[i:])
}

// scaleTicks returns number×unit in ticks, rounded to the nearest tick.
func scaleTicks(number, unit string) (int64, error) {
	u, ok := timespanUnits[unit]
	if !ok {
		return 0, fmt.Errorf("unknown timespan unit %q", unit)
	}
	r, ok := new(big.Rat).SetString(number)
	if !ok || number == "" {
		return 0, fmt.Errorf("invalid timespan number %q", number)
	}
	r.Mul(r, new(big.Rat).SetInt64(u))
	// Round half away from zero.
	num, den := r.Num(), r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).CmpAbs(den) >= 0 {
		q.Add(q, big.NewInt(int64(num.Sign())))
	}
	if !q.IsInt64() || q.Int64() > maxTimespanTicks || q.Int64() < -maxTimespanTicks {
		return 0, fmt.Errorf("timespan %s%s is out of range", number, unit)
	}
	return q.Int64(), nil
}

// maxTimespanTicks keeps timespans within what DuckDB's INTERVAL holds as microseconds
// (and what datetime arithmetic can use): ±10,000 years.
const maxTimespanTicks = 10000 * 366 * day

var clockSpan = regexp.MustCompile(`^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?$`)
var wordSpan = regexp.MustCompile(`^(-)?(\d+(?:\.\d+)?)\s*([a-z]+)$`)
var bareNumber = regexp.MustCompile(`^(-)?(\d+(?:\.\d+)?)$`)

// parseTimespanContent parses the text inside timespan(...) or time(...): "2" (days),
// "15 seconds", "10m", "1.12:34:56.7" ([d.]hh:mm[:ss[.fffffff]]). ok is false for "null".
func parseTimespanContent(text string) (ticks int64, ok bool, err error) {
	if text == "null" {
		return 0, false, nil
	}
	if m := bareNumber.FindStringSubmatch(text); m != nil {
		t, err := scaleTicks(m[2], "d")
		return neg(m[1], t), true, err
	}
	if m := wordSpan.FindStringSubmatch(text); m != nil {
		t, err := scaleTicks(m[2], m[3])
		return neg(m[1], t), true, err
	}
	if m := clockSpan.FindStringSubmatch(text); m != nil {
		var t int64
		atoi := func(s string) int64 { v, _ := strconv.ParseInt(s, 10, 64); return v }
		if m[2] != "" {
			if len(m[2]) > 7 {
				return 0, true, fmt.Errorf("timespan(%s) is out of range", text)
			}
			t += atoi(m[2]) * day
		}
		h, mi, s := atoi(m[3]), atoi(m[4]), atoi(m[5])
		if h > 23 || mi > 59 || s > 59 {
			return 0, true, fmt.Errorf("invalid timespan(%s)", text)
		}
		t += h*hour + mi*minute + s*second
		if m[6] != "" {
			frac := m[6] + strings.Repeat("0", 7-len(m[6]))
			t += atoi(frac)
		}
		return neg(m[1], t), true, nil
	}
	return 0, true, fmt.Errorf("invalid timespan(%s): write timespan(2d), timespan(15 seconds) or timespan(1.12:34:56)", text)
}

func neg(sign string, t int64) int64 {
	if sign == "-" {
		return -t
	}
	return t
}

var isoDatetime = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?\s*(Z|[+-]\d{2}:\d{2})?$`)

// parseDatetimeContent parses the text inside datetime(...): the ISO 8601 forms KQL
// documents (2026-11-19, 2026-11-19 10:00, 2026-11-19T10:00:00.1234567Z). A numeric
// offset is converted to UTC. ok is false for "null".
func parseDatetimeContent(text string) (t time.Time, ok bool, err error) {
	if text == "null" {
		return time.Time{}, false, nil
	}
	m := isoDatetime.FindStringSubmatch(text)
	if m == nil {
		if t, ok := parseRFCDatetime(text); ok {
			return t, true, nil
		}
		return time.Time{}, true, fmt.Errorf("datetime format %q is not supported by kudulens (write ISO 8601, as datetime(2026-11-19) or datetime(2026-11-19T10:00:00Z))", text)
	}
	atoi := func(s string) int { v, _ := strconv.Atoi(s); return v }
	y, mo, d := atoi(m[1]), atoi(m[2]), atoi(m[3])
	h, mi, s := atoi(m[4]), atoi(m[5]), atoi(m[6])
	var ticks int
	if m[7] != "" {
		ticks = atoi(m[7] + strings.Repeat("0", 7-len(m[7])))
	}
	if ticks%microsecond != 0 {
		return time.Time{}, true, fmt.Errorf("datetime(%s) is finer than a microsecond, which DuckDB cannot hold", text)
	}
	if y < 1 || mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59 {
		return time.Time{}, true, fmt.Errorf("invalid datetime(%s)", text)
	}
	t = time.Date(y, time.Month(mo), d, h, mi, s, ticks*100, time.UTC)
	if t.Day() != d {
		return time.Time{}, true, fmt.Errorf("invalid datetime(%s)", text)
	}
	if off := m[8]; off != "" && off != "Z" {
		oh, om := atoi(off[1:3]), atoi(off[4:6])
		delta := time.Duration(oh)*time.Hour + time.Duration(om)*time.Minute
		if off[0] == '+' {
			t = t.Add(-delta)
		} else {
			t = t.Add(delta)
		}
	}
	return t, true, nil
}

// sqlTimestamp renders t as a DuckDB TIMESTAMP literal (UTC, microseconds).
func sqlTimestamp(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02 15:04:05.999999")
	return "TIMESTAMP '" + s + "'"
}

// sqlInterval renders a timespan in ticks as a DuckDB INTERVAL literal in its largest exact
// unit (INTERVAL 90 MINUTE). Intervals are kept to microseconds (no day or month parts),
// like the difference of two TIMESTAMPs, so arithmetic and comparison stay exact.
func sqlInterval(ticks int64) (string, error) {
	if ticks%microsecond != 0 {
		return "", fmt.Errorf("timespan finer than a microsecond cannot be represented in DuckDB")
	}
	us := ticks / microsecond
	sign := ""
	if us < 0 {
		sign, us = "-", -us
	}
	units := []struct {
		n    int64
		name string
	}{{3600_000_000, "HOUR"}, {60_000_000, "MINUTE"}, {1_000_000, "SECOND"}, {1000, "MILLISECOND"}, {1, "MICROSECOND"}}
	for _, u := range units {
		if us%u.n == 0 {
			return fmt.Sprintf("%sINTERVAL %d %s", sign, us/u.n, u.name), nil
		}
	}
	panic("unreachable")
}

// formatTimespan renders ticks the way KQL prints a timespan: [-][d.]hh:mm:ss[.fffffff].
func formatTimespan(ticks int64) string {
	var b strings.Builder
	if ticks < 0 {
		b.WriteByte('-')
		ticks = -ticks
	}
	d := ticks / day
	ticks %= day
	if d > 0 {
		fmt.Fprintf(&b, "%d.", d)
	}
	fmt.Fprintf(&b, "%02d:%02d:%02d", ticks/hour, ticks%hour/minute, ticks%minute/second)
	if f := ticks % second; f != 0 {
		fmt.Fprintf(&b, ".%07d", f)
	}
	return b.String()
}

// FormatTimespan prints a duration of us microseconds as KQL prints a timespan:
// [-][d.]hh:mm:ss[.fffffff].
func FormatTimespan(us int64) string {
	var b strings.Builder
	if us < 0 {
		b.WriteByte('-')
		us = -us
	}
	const day = 86_400_000_000
	if us >= day {
		fmt.Fprintf(&b, "%d.", us/day)
		us %= day
	}
	fmt.Fprintf(&b, "%02d:%02d:%02d", us/3_600_000_000, us%3_600_000_000/60_000_000, us%60_000_000/1_000_000)
	if f := us % 1_000_000; f != 0 {
		fmt.Fprintf(&b, ".%06d0", f)
	}
	return b.String()
}

// rfcLayouts are the RFC 822, RFC 850 and "sortable" forms KQL's datetime literals accept
// besides ISO 8601 (scalar-data-types/datetime in the KQL documentation), after the
// weekday and the GMT zone are taken off.
var rfcLayouts = []string{
	"2 Jan 06 15:04:05", "2 Jan 06 15:04", "2-Jan-06 15:04:05", "2-Jan-06 15:04",
	"2006-1-2 15:04:05", "2006-1-2 15:04", "2006-1-2T15:04:05", "2006-1-2T15:04",
}

var rfcWeekday = regexp.MustCompile(`^[A-Za-z]+,\s*`)

// parseRFCDatetime reads the non-ISO datetime literal forms, all in UTC.
func parseRFCDatetime(text string) (time.Time, bool) {
	s := rfcWeekday.ReplaceAllString(strings.TrimSpace(text), "")
	s = strings.TrimSpace(strings.TrimSuffix(s, "GMT"))
	for _, layout := range rfcLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
