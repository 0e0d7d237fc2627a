package parse

import (
	"bytes"
)

// Signal is a bit of Traces.Signals: a pattern of the guide's checks that a message carries.
// The parser matches them once per record, so a check reads the few rows that carry its
// signal by an integer column instead of lower-casing every message. Each signal is defined
// as the SQL predicate on the message that a database written without the column is
// backfilled with (sql.SignalSQL); both must find the same rows (a test compares them).
type Signal uint32

const (
	// contains(lower(message), 'finished activity import')
	SignalActivityImportFinished Signal = 1 << iota
	// contains(lower(message), 'couldn''t create webhook')
	SignalWebhookCreateFailed
	// ('#ext#' or 'external user') and ('not found' or 'does not exist' or
	// 'request_resourcenotfound'), each as contains(lower(message), ...)
	SignalExternalUserNotFound
	// 'authorization_requestdenied' or 'insufficient privileges to complete the operation'
	SignalGraphDenied
	// 'was not found in this key vault'
	SignalKeyVaultNotFound
	// 'outofmemoryexception' or 'insufficient memory' or 'insufficient system memory'
	SignalOutOfMemory
	// 'deny public network access is set to yes'
	SignalPublicAccessDenied
	// 'no auth code found for yammer'
	SignalYammerAuthCode
	// 'error requesting yammer export'
	SignalYammerExport
	// contains(message, 'The model backing the ''') (case-sensitive)
	SignalEFModel
	// starts_with(message, 'FATAL ERROR: No org URLs found in database!')
	SignalOrgURLsMissing
	// regexp_matches(message, '^Waiting \d+ mins\.\.\.$')
	SignalWaitingMins
)

// SignalNames names the signals by bit number (the names the checks use).
var signalNames = []string{
	"activity-import-finished", "webhook-create-failed", "external-user-not-found", "graph-denied",
	"keyvault-not-found", "out-of-memory", "public-access-denied", "yammer-auth-code", "yammer-export",
	"ef-model", "org-urls-missing", "waiting-mins",
}

// SignalNames returns the signal names; name i is bit 1<<i.
func SignalNames() []string { return append([]string(nil), signalNames...) }

// SignalLiteral returns the signal that is exactly "the message contains lit, ignoring case"
// (lit in lower case), for translating such a predicate to the signal.
func SignalLiteral(lit string) (Signal, bool) {
	for _, p := range literalSignals {
		if p.lit == lit {
			return p.sig, true
		}
	}
	return 0, false
}

// literalSignals are the signals that are one case-insensitive literal each.
var literalSignals = []struct {
	lit string
	sig Signal
}{
	{"finished activity import", SignalActivityImportFinished},
	{"couldn't create webhook", SignalWebhookCreateFailed},
	{"was not found in this key vault", SignalKeyVaultNotFound},
	{"deny public network access is set to yes", SignalPublicAccessDenied},
	{"no auth code found for yammer", SignalYammerAuthCode},
	{"error requesting yammer export", SignalYammerExport},
}

// Primary literals: found by one scan of the message (case-insensitive). Each sets a bit of
// a provisional mask that the signals are computed from.
const (
	litActivityFinished = iota
	litWebhook
	litExternalUser
	litAuthDenied
	litInsufficientPrivileges
	litKeyVault
	litOOMException
	litInsufficientMemory
	litInsufficientSystemMemory
	litPublicAccess
	litYammerAuth
	litYammerExport
	litModelBacking
)

var scanLiterals = [...]string{
	litActivityFinished:         "finished activity import",
	litWebhook:                  "couldn't create webhook",
	litExternalUser:             "external user",
	litAuthDenied:               "authorization_requestdenied",
	litInsufficientPrivileges:   "insufficient privileges to complete the operation",
	litKeyVault:                 "was not found in this key vault",
	litOOMException:             "outofmemoryexception",
	litInsufficientMemory:       "insufficient memory",
	litInsufficientSystemMemory: "insufficient system memory",
	litPublicAccess:             "deny public network access is set to yes",
	litYammerAuth:               "no auth code found for yammer",
	litYammerExport:             "error requesting yammer export",
	litModelBacking:             "the model backing the '",
}

// signalScanner finds the scan literals in one pass (Wu-Manber: a window of the shortest
// literal's length slides over the message by the shift its last three bytes allow, so
// most bytes are never looked at). Built once from the constants and never modified.
type signalScanner struct {
	m     int         // window: the shortest literal's length
	shift [4096]uint8 // by blockKey of the window's last three bytes
	// cand: by the same key, for shift 0, an index into cands: the literals whose first m
	// bytes end in such three bytes
	cand  [4096]uint8
	cands [][]uint8
	lits  [][]byte
}

var theSignalScanner = newSignalScanner()

func newSignalScanner() *signalScanner {
	s := &signalScanner{m: 1 << 30, cands: [][]uint8{nil}}
	for _, l := range scanLiterals {
		s.lits = append(s.lits, []byte(l))
		s.m = min(s.m, len(l))
	}
	def := uint8(s.m - 2)
	for i := range s.shift {
		s.shift[i] = def
	}
	for li, l := range s.lits {
		for j := 0; j+2 < s.m; j++ {
			k := blockKey(l[j], l[j+1], l[j+2])
			sh := uint8(s.m - 3 - j)
			if sh < s.shift[k] {
				s.shift[k] = sh
			}
			if sh == 0 {
				if s.cand[k] == 0 {
					s.cand[k] = uint8(len(s.cands))
					s.cands = append(s.cands, nil)
				}
				s.cands[s.cand[k]] = append(s.cands[s.cand[k]], uint8(li))
			}
		}
	}
	return s
}

// blockKey hashes three bytes into a table index by their low five bits: both cases of a
// letter give the same key, and a collision only makes a shift smaller.
func blockKey(a, b, c byte) uint16 { return (uint16(a&31)<<7 ^ uint16(b&31)<<3 ^ uint16(c&31)) & 4095 }

// foldTable maps ASCII upper-case letters to lower case and every other byte to itself.
var foldTable = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return
}()

// equalFold reports whether b equals the lower-case ASCII lit, ignoring ASCII case.
func equalFold(b, lit []byte) bool {
	if len(b) != len(lit) {
		return false
	}
	for i, c := range lit {
		if foldTable[b[i]] != c {
			return false
		}
	}
	return true
}

// containsFold reports whether msg contains the lower-case ASCII lit, ignoring ASCII case.
func containsFold(msg []byte, lit string) bool {
	n := len(lit)
	for i := 0; i+n <= len(msg); i++ {
		if foldTable[msg[i]] == lit[0] && equalFold(msg[i:i+n], []byte(lit)) {
			return true
		}
	}
	return false
}

// scan returns the mask of scan literals msg contains, ignoring ASCII case.
func (s *signalScanner) scan(msg []byte) uint32 {
	var found uint32
	m := s.m
	for pos := m - 1; pos < len(msg); {
		// blockKey keeps the low five bits, the same for both cases of a letter: no folding
		k := blockKey(msg[pos-2], msg[pos-1], msg[pos])
		if sh := s.shift[k]; sh > 0 {
			pos += int(sh)
			continue
		}
		start := pos - m + 1
		for _, li := range s.cands[s.cand[k]] {
			l := s.lits[li]
			if start+len(l) <= len(msg) && equalFold(msg[start:start+len(l)], l) {
				found |= 1 << li
			}
		}
		pos++
	}
	return found
}

// Bytes that DuckDB's lower() (and Go's unicode.ToLower) turn into ASCII letters: U+0130
// LATIN CAPITAL LETTER I WITH DOT ABOVE → 'i', U+212A KELVIN SIGN → 'k'. No other code point
// lowers to ASCII, so elsewhere folding ASCII letters finds what contains(lower(message), ...)
// finds.
var (
	capitalIDot = []byte("\u0130")
	kelvinSign  = []byte("\u212a")
)

// messageSignals returns the signals of msg. scratch is reused for a message holding one of
// the two characters that lower to ASCII; it returns the (possibly grown) scratch.
func messageSignals(msg []byte, ascii bool, scratch []byte) (Signal, []byte) {
	var sig Signal
	if len(msg) >= 8 && msg[0] == 'W' && isWaitingMins(msg) {
		sig |= SignalWaitingMins
	}
	if msg0 := "FATAL ERROR: No org URLs found in database!"; len(msg) >= len(msg0) && msg[0] == 'F' && string(msg[:len(msg0)]) == msg0 {
		sig |= SignalOrgURLsMissing
	}
	folded := msg
	if !ascii && (bytes.Contains(msg, capitalIDot) || bytes.Contains(msg, kelvinSign)) {
		scratch = foldSpecial(scratch[:0], msg)
		folded = scratch
	}
	found := theSignalScanner.scan(folded)
	if bytes.IndexByte(folded, '#') >= 0 && containsFold(folded, "#ext#") {
		found |= 1 << litExternalUser
	}
	if found == 0 {
		return sig, scratch
	}
	has := func(l int) bool { return found&(1<<l) != 0 }
	if has(litActivityFinished) {
		sig |= SignalActivityImportFinished
	}
	if has(litWebhook) {
		sig |= SignalWebhookCreateFailed
	}
	if has(litExternalUser) && (containsFold(folded, "not found") || containsFold(folded, "does not exist") ||
		containsFold(folded, "request_resourcenotfound")) {
		sig |= SignalExternalUserNotFound
	}
	if has(litAuthDenied) || has(litInsufficientPrivileges) {
		sig |= SignalGraphDenied
	}
	if has(litKeyVault) {
		sig |= SignalKeyVaultNotFound
	}
	if has(litOOMException) || has(litInsufficientMemory) || has(litInsufficientSystemMemory) {
		sig |= SignalOutOfMemory
	}
	if has(litPublicAccess) {
		sig |= SignalPublicAccessDenied
	}
	if has(litYammerAuth) {
		sig |= SignalYammerAuthCode
	}
	if has(litYammerExport) {
		sig |= SignalYammerExport
	}
	if has(litModelBacking) && bytes.Contains(msg, []byte("The model backing the '")) {
		sig |= SignalEFModel
	}
	return sig, scratch
}

// foldSpecial appends msg to dst with U+0130 and U+212A replaced by the ASCII letters DuckDB
// lowers them to.
func foldSpecial(dst, msg []byte) []byte {
	for len(msg) > 0 {
		switch {
		case bytes.HasPrefix(msg, capitalIDot):
			dst = append(dst, 'i')
			msg = msg[len(capitalIDot):]
		case bytes.HasPrefix(msg, kelvinSign):
			dst = append(dst, 'k')
			msg = msg[len(kelvinSign):]
		default:
			dst = append(dst, msg[0])
			msg = msg[1:]
		}
	}
	return dst
}

// isWaitingMins reports whether msg is "Waiting <digits> mins..." and nothing else.
func isWaitingMins(msg []byte) bool {
	const head, tail = "Waiting ", " mins..."
	if len(msg) < len(head)+1+len(tail) || string(msg[:len(head)]) != head || string(msg[len(msg)-len(tail):]) != tail {
		return false
	}
	digits := msg[len(head) : len(msg)-len(tail)]
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(digits) > 0
}

// MessageSignals returns the signals of a message as the parser tags its row.
func MessageSignals(msg string) Signal {
	sig, _ := messageSignals([]byte(msg), false, nil)
	return sig
}
