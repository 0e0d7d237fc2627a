package parse

// daysFromCivil returns the number of days since 1970-01-01 of the proleptic Gregorian date
// y-m-d. It is Howard Hinnant's algorithm (http://howardhinnant.github.io/date_algorithms.html),
// exact for every date and branch-light, so the hot path need not call time.Date.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// daysIn returns the number of days in month m of year y.
func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// validDate reports whether y-m-d is a real calendar date in the years a log can carry.
func validDate(y, m, d int) bool {
	return y >= 1970 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m)
}

// digit2 parses two ASCII digits at b[0:2]. ok is false if either is not a digit.
// Precondition: len(b) >= 2.
func digit2(b []byte) (int, bool) {
	d0, d1 := b[0]-'0', b[1]-'0'
	return int(d0)*10 + int(d1), d0 <= 9 && d1 <= 9
}

// digit4 parses four ASCII digits at b[0:4]. Precondition: len(b) >= 4.
func digit4(b []byte) (int, bool) {
	hi, ok1 := digit2(b)
	lo, ok2 := digit2(b[2:])
	return hi*100 + lo, ok1 && ok2
}

// Microseconds per unit, for the int64 UTC timestamps kept in batches.
const (
	usPerSecond = int64(1_000_000)
	usPerDay    = 86_400 * usPerSecond
)

// dayCache remembers the last date string parsed, because consecutive lines almost always
// share it; a hit costs one 10-byte comparison instead of a date parse.
type dayCache struct {
	key  [10]byte
	day  int64 // days since epoch of key
	have bool
}

// lookup returns the days since epoch of the date at b[0:10] in layout, parsing it when it
// differs from the cached one. ok is false for an impossible date.
func (c *dayCache) lookup(b []byte, parse func([]byte) (y, m, d int, ok bool)) (int64, bool) {
	if c.have && string(b[:10]) == string(c.key[:]) {
		return c.day, true
	}
	y, m, d, ok := parse(b)
	if !ok || !validDate(y, m, d) {
		return 0, false
	}
	copy(c.key[:], b[:10])
	c.day = daysFromCivil(y, m, d)
	c.have = true
	return c.day, true
}

// usOfDay returns microseconds since midnight for HH:mm:ss at b[0:8] with any separator at
// b[2] and b[5] (the caller checks the separators). ok is false for digits out of range.
func usOfDay(b []byte) (int64, bool) {
	h, ok1 := digit2(b)
	m, ok2 := digit2(b[3:])
	s, ok3 := digit2(b[6:])
	if !(ok1 && ok2 && ok3) || h > 23 || m > 59 || s > 59 {
		return 0, false
	}
	return int64(h*3600+m*60+s) * usPerSecond, true
}
