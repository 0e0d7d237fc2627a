package gen

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// This file holds the small formatting helpers that reproduce .NET Framework output
// (en-US / invariant culture) without fmt, so that generation stays fast.

const hexDigits = "0123456789abcdef"

// ticksAtUnixEpoch is DateTime(1970-01-01).Ticks: .NET ticks are 100 ns since 0001-01-01.
const ticksAtUnixEpoch = 621355968000000000

// Ticks returns the .NET DateTime.Ticks value of t (UTC), as App Service writes in the
// eventTickCount column of a blob application log.
func Ticks(t time.Time) int64 {
	return t.UnixNano()/100 + ticksAtUnixEpoch
}

// TicksTime is the inverse of Ticks.
func TicksTime(ticks int64) time.Time {
	return time.Unix(0, (ticks-ticksAtUnixEpoch)*100).UTC()
}

func append2(b []byte, v int) []byte {
	return append(b, byte('0'+v/10%10), byte('0'+v%10))
}

func append4(b []byte, v int) []byte {
	return append(b, byte('0'+v/1000%10), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// appendAppPrefix appends the current build's console prefix, DateTime.Now.ToString("HH-mm-ss:ff")
// followed by ": " (AnalyticsLogger.TrackTrace).
func appendAppPrefix(b []byte, t time.Time) []byte {
	h, m, s := t.Clock()
	b = append2(b, h)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, s)
	b = append(b, ':')
	b = append2(b, t.Nanosecond()/10_000_000)
	return append(b, ':', ' ')
}

// appendKuduTime appends DateTime.UtcNow formatted with the invariant culture's general
// pattern: MM/dd/yyyy HH:mm:ss.
func appendKuduTime(b []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	h, m, s := t.Clock()
	b = append2(b, int(mo))
	b = append(b, '/')
	b = append2(b, d)
	b = append(b, '/')
	b = append4(b, y)
	b = append(b, ' ')
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, m)
	b = append(b, ':')
	return append2(b, s)
}

// appendISOSecond appends yyyy-MM-ddTHH:mm:ss (application-log date column).
func appendISOSecond(b []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	h, m, s := t.Clock()
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, int(mo))
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, m)
	b = append(b, ':')
	return append2(b, s)
}

// n0 formats v like .NET v.ToString("n0") in en-US: thousands separators, no decimals.
func n0(v int) string {
	return string(appendN0(nil, v))
}

func appendN0(b []byte, v int) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	var tmp [24]byte
	s := strconv.AppendInt(tmp[:0], int64(v), 10)
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, c)
	}
	return b
}

// itoa is strconv.Itoa.
func itoa(v int) string { return strconv.Itoa(v) }

// n2 formats a float like .NET ToString("N2") in en-US.
func n2(v float64) string {
	cents := int(v*100 + 0.5)
	return n0(cents/100) + "." + string([]byte{byte('0' + cents/10%10), byte('0' + cents%10)})
}

// dotnetDateTime formats t like DateTime.ToString() in en-US: M/d/yyyy h:mm:ss tt.
func dotnetDateTime(t time.Time) string {
	y, mo, d := t.Date()
	b := make([]byte, 0, 24)
	b = strconv.AppendInt(b, int64(mo), 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(d), 10)
	b = append(b, '/')
	b = append4(b, y)
	b = append(b, ' ')
	b = appendShortTime(b, t, true)
	return string(b)
}

// shortTime formats t like DateTime.ToShortTimeString() in en-US: h:mm tt.
func shortTime(t time.Time) string {
	return string(appendShortTime(nil, t, false))
}

func appendShortTime(b []byte, t time.Time, seconds bool) []byte {
	h, m, s := t.Clock()
	h12 := h % 12
	if h12 == 0 {
		h12 = 12
	}
	b = strconv.AppendInt(b, int64(h12), 10)
	b = append(b, ':')
	b = append2(b, m)
	if seconds {
		b = append(b, ':')
		b = append2(b, s)
	}
	if h < 12 {
		return append(b, " AM"...)
	}
	return append(b, " PM"...)
}

// hundredths formats t as yyyy-MM-dd HH:mm:ss.ff.
func hundredths(t time.Time) string {
	b := appendISOSecond(make([]byte, 0, 22), t)
	b[10] = ' '
	b = append(b, '.')
	return string(append2(b, t.Nanosecond()/10_000_000))
}

// guid returns a random lower-case GUID string.
func guid(r *rand.Rand) string {
	var b [36]byte
	x, y := r.Uint64(), r.Uint64()
	j := 0
	for i := range 36 {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
			continue
		}
		var nib uint64
		if j < 16 {
			nib = x >> (4 * j) & 0xf
		} else {
			nib = y >> (4 * (j - 16)) & 0xf
		}
		switch i {
		case 14:
			nib = 4 // version 4
		case 19:
			nib = 8 | nib&3 // RFC 4122 variant
		}
		b[i] = hexDigits[nib]
		j++
	}
	return string(b[:])
}

// hexID returns n random lower-case hex digits.
func hexID(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = hexDigits[r.IntN(16)]
	}
	return string(b)
}

// timerText is JobTimer.ToString(): "<op>: H hours, M mins, and S seconds." where H is the
// hours component of the TimeSpan (days are dropped).
func timerText(op string, d time.Duration) string {
	if d < 0 {
		d = 0
	}
	sec := int(d / time.Second)
	return op + ": " + itoa(sec/3600%24) + " hours, " + itoa(sec/60%60) + " mins, and " + itoa(sec%60) + " seconds."
}

// between returns a random duration in [lo, hi).
func between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.Int64N(int64(hi-lo)))
}

// ms returns n milliseconds.
func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }
