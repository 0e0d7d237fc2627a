package kql

import (
	"strings"
	"testing"
	"time"
)

func TestLex(t *testing.T) {
	f := func(q, want string) {
		t.Helper()
		toks, err := lex(q)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		var got []string
		for _, tk := range toks[:len(toks)-1] {
			s := tk.val
			switch tk.kind {
			case tokString:
				s = "s:" + s
			case tokTimespan:
				s = "ts:" + s
			case tokRawLit:
				s = tk.lit + ":" + s
			case tokReal:
				s = "r:" + s
			}
			got = append(got, s)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%q:\ngot  %s\nwant %s", q, strings.Join(got, " "), want)
		}
	}
	f(`traces | where x == "a" // comment`, `traces | where x == s:a`)
	f("traces\n\n   | where a=~'b'", "traces | where a =~ s:b")
	f(`x between (1..5)`, `x between ( 1 .. 5 )`)
	f(`x between(1.5 .. 2)`, `x between ( r:1.5 .. 2 )`)
	f(`ago(10m) 1.5h 100ms 2d 30s 1tick 3microseconds`, `ago ( ts:10m ) ts:1.5h ts:100ms ts:2d ts:30s ts:1tick ts:3microseconds`)
	f(`datetime(2026-11-19T10:00:00Z) datetime( 2026-11-19 ) timespan(1.12:34:56) time(2)`, `datetime:2026-11-19T10:00:00Z datetime:2026-11-19 timespan:1.12:34:56 time:2`)
	f(`@"C:\x" @'it''s' h"hidden" 'a\'b' "\u00e9"`, `s:C:\x s:it's s:hidden s:a'b s:é`)
	f(`x !contains "a" and y !in~ ("b")`, `x ! contains s:a and y ! in ~ ( s:b )`)
	f(`project-away $left.a`, `project - away $left . a`)
	f(`1e3 2.5E-1`, `r:1e3 r:2.5E-1`)
}

func TestLexErrors(t *testing.T) {
	f := func(q, want string) {
		t.Helper()
		_, err := lex(q)
		if err == nil || strings.SplitN(err.Error(), "\n", 2)[0] != want {
			t.Errorf("%q: got %v, want %s", q, err, want)
		}
	}
	f(`"abc`, "kql: 1:1: unterminated string literal")
	f("'a\nb'", "kql: 1:1: unterminated string literal")
	f(`"a\qb"`, `kql: 1:3: escape "\\q" in a string literal is not supported by kudulens`)
	f(`"\u0000"`, `kql: 1:2: invalid escape "\\u0000" in string literal`)
	f(`10 5x`, `kql: 1:4: invalid number or timespan literal "5x" (timespan units: d, h, m, s, ms, microsecond, tick, ...)`)
	f(`99999999999999999999`, "kql: 1:1: integer literal 99999999999999999999 is out of range")
	f("a \xff", "kql: 1:3: invalid UTF-8 in the query")
	f("a # b", "kql: 1:3: unexpected character '#'")
}

func TestTimespanLiterals(t *testing.T) {
	f := func(text string, want time.Duration) {
		t.Helper()
		got, err := parseTimespanLiteral(text)
		if err != nil || time.Duration(got)*100 != want {
			t.Errorf("%s: got %v %v, want %v", text, time.Duration(got)*100, err, want)
		}
	}
	f("10m", 10*time.Minute)
	f("1.5h", 90*time.Minute)
	f("2d", 48*time.Hour)
	f("100ms", 100*time.Millisecond)
	f("0.1s", 100*time.Millisecond)
	f("3microseconds", 3*time.Microsecond)
	f("1tick", 100*time.Nanosecond)
	g := func(text string, want time.Duration) {
		t.Helper()
		got, ok, err := parseTimespanContent(text)
		if err != nil || !ok || time.Duration(got)*100 != want {
			t.Errorf("timespan(%s): got %v %v %v, want %v", text, time.Duration(got)*100, ok, err, want)
		}
	}
	g("2", 48*time.Hour)
	g("15 seconds", 15*time.Second)
	g("1.5 hours", 90*time.Minute)
	g("10m", 10*time.Minute)
	g("1.12:34:56.7", 36*time.Hour+34*time.Minute+56*time.Second+700*time.Millisecond)
	g("12:34", 12*time.Hour+34*time.Minute)
	g("-00:00:01", -time.Second)
	if _, ok, err := parseTimespanContent("null"); ok || err != nil {
		t.Error("timespan(null)")
	}
	for _, bad := range []string{"1x", "25:00:00", "a", "1.2.3"} {
		if _, _, err := parseTimespanContent(bad); err == nil {
			t.Errorf("timespan(%s) accepted", bad)
		}
	}
	for ticks, want := range map[int64]string{
		0: "00:00:00", 90 * minute: "01:30:00", day + second: "1.00:00:01", -1500 * millisecond: "-00:00:01.5000000", 10: "00:00:00.0000010",
	} {
		if got := formatTimespan(ticks); got != want {
			t.Errorf("formatTimespan(%d) = %s, want %s", ticks, got, want)
		}
	}
	for ticks, want := range map[int64]string{90 * minute: "INTERVAL 90 MINUTE", -2 * day: "-INTERVAL 48 HOUR", 1500 * millisecond: "INTERVAL 1500 MILLISECOND", 30: "INTERVAL 3 MICROSECOND"} {
		if got, _ := sqlInterval(ticks); got != want {
			t.Errorf("sqlInterval(%d) = %s, want %s", ticks, got, want)
		}
	}
}

func TestDatetimeLiterals(t *testing.T) {
	f := func(text, want string) {
		t.Helper()
		got, ok, err := parseDatetimeContent(text)
		if err != nil || !ok || got.Format(time.RFC3339Nano) != want {
			t.Errorf("datetime(%s): got %v %v %v, want %s", text, got, ok, err, want)
		}
	}
	f("2026-11-19", "2026-11-19T00:00:00Z")
	f("2026-11-19T10:00:00Z", "2026-11-19T10:00:00Z")
	f("2026-11-19 10:00", "2026-11-19T10:00:00Z")
	f("2015-12-31 23:59:59.9", "2015-12-31T23:59:59.9Z")
	f("2026-11-19T10:00:00.123456Z", "2026-11-19T10:00:00.123456Z")
	f("2026-11-19T10:00:00+02:00", "2026-11-19T08:00:00Z")
	// The RFC 822 / RFC 850 forms of the datetime data type's documentation.
	f("Sat, 8 Nov 14 15:05:02 GMT", "2014-11-08T15:05:02Z")
	f("8 Nov 14 15:05", "2014-11-08T15:05:00Z")
	f("Saturday, 08-Nov-14 15:05:02 GMT", "2014-11-08T15:05:02Z")
	f("2014-11-8 15:05:25 GMT", "2014-11-08T15:05:25Z")
	for _, bad := range []string{"2026-02-30", "11/19/2026", "2026-11-19T10:00:00.1234567Z", "2026-13-01", "Sat, 32 Nov 14 15:05:02 GMT"} {
		if _, _, err := parseDatetimeContent(bad); err == nil {
			t.Errorf("datetime(%s) accepted", bad)
		}
	}
	if got := sqlTimestamp(time.Date(2026, 11, 19, 10, 0, 0, 500000000, time.UTC)); got != "TIMESTAMP '2026-11-19 10:00:00.5'" {
		t.Error(got)
	}
}
