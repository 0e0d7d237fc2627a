package parse

import (
	"bytes"
	"encoding/binary"
)

// Logs carry secrets: connection strings in SQL errors, SAS signatures in storage URLs,
// access tokens in HTTP traces, keys printed with the configuration. Redact replaces their
// values with [REDACTED] before a line is stored, so they reach neither the database nor any
// report. It looks for:
//
//   - key=value and key: value pairs whose key names a secret (Password=, AccountKey=,
//     SharedAccessKey=, SharedAccessSignature=, sig=, client_secret=, ClientSecret:, ApiKey=,
//     access_token=, "password": "...", ...). The value runs to the next ';', '&', quote or
//     space (to the closing quote when quoted; to the next ';' in a connection string). After
//     Authorization the scheme (Bearer, Basic, SharedKey, ...) is kept and the credential
//     that follows it is redacted. In the key: value form the key is the last word, or the
//     last two words together ("Client secret: ...");
//   - JSON Web Tokens ("eyJ….….…"), wherever they are;
//   - bearer tokens: "Bearer " followed by a token of 16 characters or more.
//
// A clean line costs a few byte scans and a look at the word before each '=' and ':'.
const Redacted = "[REDACTED]"

// secretKeys are the key names (lower-case, without '_', '-', '.' and spaces) whose values are
// secrets.
var secretKeys = map[string]bool{
	"password": true, "pwd": true, "accountkey": true, "sharedaccesskey": true,
	"sharedaccesssignature": true, "sig": true, "clientsecret": true, "secret": true,
	"apikey": true, "appinsightsapikey": true, "cognitivekey": true, "statsapisecret": true,
	"accesstoken": true, "refreshtoken": true, "idtoken": true, "token": true,
	"primarykey": true, "secondarykey": true, "storagekey": true, "authorization": true,
	"clientassertion": true, "accesskey": true, "subscriptionkey": true, "masterkey": true,
	"connectionstring": true, "passwd": true, "privatekey": true,
}

// maxKeyLen bounds the key looked at before '=' or ':'.
const maxKeyLen = 32

// Redact returns line with secret values replaced, and whether it changed anything. When it
// changes the line it returns a new slice (appended to dst[:0]); otherwise line itself.
func Redact(dst, line []byte) ([]byte, bool) {
	// Find the first secret before copying anything: most lines hold none.
	first := nextSecret(line, 0)
	if first < 0 {
		return line, false
	}
	out := append(dst[:0], line[:first]...)
	for i := first; i < len(line); {
		if vs, ve, ok := secretAt(line, i); ok {
			// A value may swallow the key of a secret whose value runs further ("Pwd=
			// ClientSecret: x"): the redaction then runs to the end of that one.
			for j := vs; j < ve; j++ {
				if candidate[line[j]] {
					if at := secretNear(line, j, vs); at >= 0 {
						if _, e, _ := secretAt(line, at); e > ve {
							ve = e
						}
					}
				}
			}
			out = append(out, line[i:vs]...)
			out = append(out, Redacted...)
			i = ve
			continue
		}
		out = append(out, line[i])
		i++
	}
	return out, true
}

// candidate marks the bytes where secretAt may find something: a pair's '=' or ':', the 'J'
// of a JWT's "eyJ", the 'B' of "Bearer ".
var candidate = [256]bool{'=': true, ':': true, 'J': true, 'B': true}

// nextSecret returns the offset of the first place at or after from where secretAt finds a
// secret, or -1. It runs on every line: eight bytes at a time are tested for a candidate
// byte at once (the "has a zero byte" trick on the word XOR each candidate).
func nextSecret(line []byte, from int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := from
	for ; i+8 <= len(line); i += 8 {
		v := binary.LittleEndian.Uint64(line[i:])
		a, b, c, d := v^(ones*'='), v^(ones*':'), v^(ones*'J'), v^(ones*'B')
		if ((a-ones)&^a|(b-ones)&^b|(c-ones)&^c|(d-ones)&^d)&highs == 0 {
			continue
		}
		for j := i; j < i+8; j++ {
			if candidate[line[j]] {
				if at := secretNear(line, j, from); at >= 0 {
					return at
				}
			}
		}
	}
	for ; i < len(line); i++ {
		if candidate[line[i]] {
			if at := secretNear(line, i, from); at >= 0 {
				return at
			}
		}
	}
	return -1
}

// secretNear checks the candidate byte line[i]; it returns where the secret starts, or -1.
func secretNear(line []byte, i, from int) int {
	if line[i] == 'J' {
		if i -= 2; i < from {
			return -1
		}
	}
	if _, _, ok := secretAt(line, i); ok {
		return i
	}
	return -1
}

// secretAt reports whether a secret is found at line[i] — a '=' or ':' after a secret key,
// the start of a JWT, or a "Bearer " — and returns the span [vs, ve) to replace.
func secretAt(line []byte, i int) (vs, ve int, ok bool) {
	switch c := line[i]; c {
	case '=', ':':
		vs, ve, ok = secretValue(line, i)
		return vs, ve, ok && ve > vs
	case 'e':
		if isJWTStart(line, i) {
			if end, ok := jwtEnd(line, i); ok {
				return i, end, true
			}
		}
	case 'B':
		if i+7 <= len(line) && (i == 0 || !isTokenChar(line[i-1])) && string(line[i+1:i+7]) == "earer " {
			if ve := tokenEnd(line, i+7); ve-(i+7) >= 16 {
				return i + 7, ve, true
			}
		}
	}
	return 0, 0, false
}

func isJWTStart(line []byte, i int) bool {
	return i+2 < len(line) && line[i] == 'e' && line[i+1] == 'y' && line[i+2] == 'J' && (i == 0 || !isB64URL(line[i-1]))
}

// secretValue looks at the key before line[sep] ('=' or ':'); when it names a secret it
// returns the value's span [vs, ve).
func secretValue(line []byte, sep int) (vs, ve int, ok bool) {
	colon := line[sep] == ':'
	end := sep // the key ends here, or before the closing quote of a quoted key ("password": ...)
	quoted := false
	if colon && end > 0 && (line[end-1] == '"' || line[end-1] == '\'') {
		end--
		quoted = true
	}
	for !colon && end > 0 && line[end-1] == ' ' { // "Password = x"
		end--
	}
	// Every secret key ends in one of these: a cheap test that rejects most places before
	// the key is looked at ("07:12:", "import:", "sv=").
	if end < 3 {
		return 0, 0, false
	}
	switch uint32(line[end-3]|0x20)<<16 | uint32(line[end-2]|0x20)<<8 | uint32(line[end-1]|0x20) {
	case 'o'<<16 | 'r'<<8 | 'd', 'p'<<16 | 'w'<<8 | 'd', 's'<<16 | 'w'<<8 | 'd', 'k'<<16 | 'e'<<8 | 'y',
		's'<<16 | 'i'<<8 | 'g', 'r'<<16 | 'e'<<8 | 't', 'k'<<16 | 'e'<<8 | 'n', 'i'<<16 | 'o'<<8 | 'n',
		'u'<<16 | 'r'<<8 | 'e', 'i'<<16 | 'n'<<8 | 'g': // -ord -pwd -swd -key -sig -ret -ken -ion -ure -ing
	default:
		return 0, 0, false
	}
	// The key: letters, digits, '_', '-', and spaces between words ("Account Key"), ending at end.
	k := end
	for k > 0 && end-k < maxKeyLen {
		if c := line[k-1]; !(isKeyChar(c) || c == ' ' || quoted && c == '.') {
			break
		}
		k--
	}
	if quoted && (k == 0 || line[k-1] != line[end]) {
		return 0, 0, false
	}
	// Where the last and the second-last words start.
	last := end
	for last > k && line[last-1] != ' ' {
		last--
	}
	prev := last
	for prev > k && line[prev-1] == ' ' {
		prev--
	}
	for prev > k && line[prev-1] != ' ' {
		prev--
	}
	var buf [maxKeyLen]byte
	var key []byte
	switch {
	case !colon:
		// key=value: the words joined ("Account Key"), or the last word alone ("... sig=").
		key = normKey(buf[:0], line[k:end])
		if !secretKeys[string(key)] && !endsWithSecretWord(key) {
			if key = normKey(buf[:0], line[last:end]); !secretKeys[string(key)] {
				return 0, 0, false
			}
		}
	case quoted || last == k:
		key = normKey(buf[:0], line[k:end])
		if !secretKeys[string(key)] && !endsWithSecretWord(key) {
			return 0, 0, false
		}
	default:
		// key: value after other words: the last word names the secret ("user password: x"),
		// or the last two do together ("Client secret: x"). (Cutting too much is the safe
		// side: "Retrieving secret: name" loses the name.)
		key = normKey(buf[:0], line[last:end])
		if !secretKeys[string(key)] && !endsWithSecretWord(key) {
			if key = normKey(buf[:0], line[prev:end]); !secretKeys[string(key)] {
				return 0, 0, false
			}
		}
	}
	vs = sep + 1
	for vs < len(line) && line[vs] == ' ' {
		vs++
	}
	if bytes.HasPrefix(line[vs:], []byte(Redacted)) {
		return 0, 0, false // redacted before
	}
	if vs < len(line) && (line[vs] == '\'' || line[vs] == '"') {
		q := line[vs]
		vs++
		ve = vs
		for ve < len(line) && line[ve] != q {
			ve++
		}
		return schemeSkip(line, vs, ve, key)
	}
	// In a connection string a value may hold spaces and runs to the next ';'; elsewhere it
	// ends at a space. (Cutting too much is the safe side.)
	connString := !colon && bytes.IndexByte(line[vs:], ';') >= 0
	ve = vs
	for ve < len(line) {
		c := line[ve]
		if c == ';' || c == '&' || c == '\'' || c == '"' || (!connString && (c == ' ' || c == ',' || c == '\t' || c == '<' || c == ')' || c == ']' || c == '}')) {
			break
		}
		ve++
	}
	if string(key) == "authorization" {
		// "Authorization: Bearer <token>": the value so far is the scheme.
		if isAuthScheme(line[vs:ve]) && ve < len(line) && line[ve] == ' ' {
			ce := ve + 1
			for ce < len(line) && line[ce] != ' ' && line[ce] != '\t' && line[ce] != '"' && line[ce] != '\'' && line[ce] != ',' && line[ce] != ';' {
				ce++
			}
			return ve + 1, ce, true
		}
	}
	return schemeSkip(line, vs, ve, key)
}

// normKey appends k to dst lower-cased, without '_', '-', '.' and spaces (at most maxKeyLen
// bytes).
func normKey(dst, k []byte) []byte {
	for _, c := range k {
		if len(dst) == maxKeyLen {
			break
		}
		switch {
		case c >= 'A' && c <= 'Z':
			dst = append(dst, c+32)
		case c == '_' || c == '-' || c == '.' || c == ' ':
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// schemeSkip keeps the scheme of a quoted Authorization value ("Bearer abc" → "Bearer [REDACTED]").
func schemeSkip(line []byte, vs, ve int, key []byte) (int, int, bool) {
	if string(key) == "authorization" {
		if sp := bytes.IndexByte(line[vs:ve], ' '); sp > 0 && isAuthScheme(line[vs:vs+sp]) {
			return vs + sp + 1, ve, true
		}
	}
	return vs, ve, true
}

func isAuthScheme(w []byte) bool {
	for _, s := range []string{"bearer", "basic", "sharedkey", "sharedkeylite", "sharedaccesssignature", "digest", "negotiate", "ntlm"} {
		if bytes.EqualFold(w, []byte(s)) {
			return true
		}
	}
	return false
}

func isKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// isTokenChar reports the characters of a bearer token (base64, base64url, JWT dots).
func isTokenChar(c byte) bool {
	return isB64URL(c) || c == '.' || c == '~' || c == '+' || c == '/' || c == '='
}

// tokenEnd returns the end of the token starting at i.
func tokenEnd(line []byte, i int) int {
	for i < len(line) && isTokenChar(line[i]) {
		i++
	}
	return i
}

// endsWithSecretWord catches prefixed keys such as AzureWebJobsStorageAccountKey or
// AppInsightsApiKey and a key named like "...Password".
func endsWithSecretWord(k []byte) bool {
	for _, w := range []string{"password", "accountkey", "accesskey", "apikey", "secret", "sharedaccesssignature", "connectionstring"} {
		if bytes.HasSuffix(k, []byte(w)) {
			return true
		}
	}
	return false
}

func isB64URL(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// jwtEnd returns the end of a JSON Web Token starting at line[i] ("eyJ" header, two dots).
func jwtEnd(line []byte, i int) (int, bool) {
	dots, j := 0, i
	segLen := 0
	for j < len(line) {
		c := line[j]
		switch {
		case isB64URL(c):
			segLen++
		case c == '=' && (j+1 == len(line) || !isB64URL(line[j+1])):
			// padding, at the end of a segment only (not counted)
		case c == '.' && segLen >= 4:
			dots++
			segLen = 0
		default:
			return j, dots == 2 && segLen >= 4
		}
		j++
	}
	return j, dots == 2 && segLen >= 4
}
