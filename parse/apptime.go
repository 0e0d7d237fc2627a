package parse

// splitAppPrefix recognises the app's own time prefix at the start of a console message
// (docs/formats.md §1.3–1.4) and returns it without its punctuation, and the rest:
//
//	"10-15-32:45: Waiting 10 mins..."  → "10-15-32:45", "Waiting 10 mins..."   (builds since 2024)
//	"10-09-29:45: "                     → "10-09-29:45", ""                    (a message that began with "\n")
//	"[10:08 PM] Testing SQL config..."  → "10:08 PM", "Testing SQL config..." (2018 builds)
//
// The 2024 prefix is DateTime.Now.ToString("HH-mm-ss:ff"): the ':' before the hundredths is
// the culture's time separator, so '.' is accepted too. Without a prefix, prefix is nil and
// rest is msg.
func splitAppPrefix(msg []byte) (prefix, rest []byte) {
	if len(msg) >= 12 && msg[2] == '-' && msg[5] == '-' && (msg[8] == ':' || msg[8] == '.') && msg[11] == ':' &&
		isDigits2(msg[0:]) && isDigits2(msg[3:]) && isDigits2(msg[6:]) && isDigits2(msg[9:]) {
		switch {
		case len(msg) == 12:
			return msg[:11], msg[12:]
		case msg[12] == ' ':
			return msg[:11], msg[13:]
		}
		return nil, msg
	}
	if len(msg) >= 10 && msg[0] == '[' {
		// "[h:mm AM] " or "[hh:mm PM] "
		i := 1
		if isDigit(msg[1]) && isDigit(msg[2]) {
			i = 3
		} else if isDigit(msg[1]) {
			i = 2
		} else {
			return nil, msg
		}
		if len(msg) >= i+9 && msg[i] == ':' && isDigits2(msg[i+1:]) && msg[i+3] == ' ' &&
			(msg[i+4] == 'A' || msg[i+4] == 'P') && msg[i+5] == 'M' && msg[i+6] == ']' && msg[i+7] == ' ' {
			return msg[1 : i+6], msg[i+8:]
		}
	}
	return nil, msg
}

// shortTimeLen returns the length of a leading "h:mm AM " / "hh:mm PM " (DateTime.ToShortTimeString
// in en-US, used inside some messages such as "10:15 AM User import - start"), or 0.
func shortTimeLen(msg []byte) int {
	i := 0
	switch {
	case len(msg) >= 9 && isDigit(msg[0]) && isDigit(msg[1]) && msg[2] == ':':
		i = 2
	case len(msg) >= 8 && isDigit(msg[0]) && msg[1] == ':':
		i = 1
	default:
		return 0
	}
	if len(msg) >= i+7 && isDigits2(msg[i+1:]) && msg[i+3] == ' ' && (msg[i+4] == 'A' || msg[i+4] == 'P') &&
		msg[i+5] == 'M' && msg[i+6] == ' ' {
		return i + 7
	}
	return 0
}

func isDigit(c byte) bool { return c-'0' <= 9 }

func isDigits2(b []byte) bool { return b[0]-'0' <= 9 && b[1]-'0' <= 9 }
