package parse

import "bytes"

// Logs carry secrets: connection strings in SQL errors, SAS signatures in storage URLs,
// access tokens in HTTP traces, keys printed with the configuration. Redact replaces their
// values with [REDACTED] before a line is stored, so they reach neither the database nor any
// report. It looks at two things only, so that a clean line costs two byte scans:
//
//   - key=value pairs whose key names a secret (Password=, AccountKey=, SharedAccessKey=,
//     SharedAccessSignature=, sig=, client_secret=, ClientSecret=, ApiKey=, access_token=, ...),
//     the value running to the next ';', '&', quote or space (or the closing quote when quoted);
//   - JSON Web Tokens (bearer tokens, "eyJ….….…").
const Redacted = "[REDACTED]"

// secretKeys are the key names (lower-case, without '_', '-' and spaces) whose values are secrets.
var secretKeys = map[string]bool{
	"password": true, "pwd": true, "accountkey": true, "sharedaccesskey": true,
	"sharedaccesssignature": true, "sig": true, "clientsecret": true, "secret": true,
	"apikey": true, "appinsightsapikey": true, "cognitivekey": true, "statsapisecret": true,
	"accesstoken": true, "refreshtoken": true, "idtoken": true, "token": true,
	"primarykey": true, "secondarykey": true, "storagekey": true, "authorization": true,
	"clientassertion": true,
}

// maxKeyLen bounds the key looked at before '='.
const maxKeyLen = 32

// Redact returns line with secret values replaced, and whether it changed anything. When it
// changes the line it returns a new slice (appended to dst[:0]); otherwise line itself.
func Redact(dst, line []byte) ([]byte, bool) {
	// Fast path: no '=' and no 'J' means neither a key=value pair nor a JWT. Otherwise find the
	// first secret before copying anything: most lines with '=' hold none.
	if bytes.IndexByte(line, '=') < 0 && bytes.IndexByte(line, 'J') < 0 {
		return line, false
	}
	first := nextSecret(line, 0)
	if first < 0 {
		return line, false
	}
	out := append(dst[:0], line[:first]...)
	i := first
	for i < len(line) {
		c := line[i]
		if c == '=' {
			if vs, ve, ok := secretValue(line, i); ok && ve > vs {
				out = append(out, line[i:vs]...)
				out = append(out, Redacted...)
				i = ve
				continue
			}
		} else if c == 'e' && isJWTStart(line, i) {
			if end, ok := jwtEnd(line, i); ok {
				out = append(out, Redacted...)
				i = end
				continue
			}
		}
		out = append(out, c)
		i++
	}
	return out, true
}

// nextSecret returns the offset of the first '=' with a secret value or JWT at or after from,
// or -1.
func nextSecret(line []byte, from int) int {
	for i := from; i < len(line); {
		eq := bytes.IndexByte(line[i:], '=')
		j := bytes.IndexByte(line[i:], 'J')
		switch {
		case eq < 0 && j < 0:
			return -1
		case eq >= 0 && (j < 0 || eq < j):
			if vs, ve, ok := secretValue(line, i+eq); ok && ve > vs {
				return i + eq
			}
			i += eq + 1
		default:
			if p := i + j - 2; p >= 0 && isJWTStart(line, p) {
				if _, ok := jwtEnd(line, p); ok {
					return p
				}
			}
			i += j + 1
		}
	}
	return -1
}

func isJWTStart(line []byte, i int) bool {
	return i+2 < len(line) && line[i] == 'e' && line[i+1] == 'y' && line[i+2] == 'J' && (i == 0 || !isB64URL(line[i-1]))
}

// secretValue looks at the key before line[eq] == '='; when it names a secret it returns the
// value's span [vs, ve).
func secretValue(line []byte, eq int) (vs, ve int, ok bool) {
	// the key: letters, digits, '_', '-', '.', spaces (as in "Account Key"), ending at eq
	k := eq
	for k > 0 && eq-k < maxKeyLen {
		c := line[k-1]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == ' ') {
			break
		}
		k--
	}
	var norm [maxKeyLen]byte
	n := 0
	// The key is the last word (or words joined without separators) before '='.
	for _, c := range bytes.TrimSpace(line[k:eq]) {
		switch {
		case c >= 'A' && c <= 'Z':
			norm[n] = c + 32
			n++
		case c == '_' || c == '-' || c == ' ':
		default:
			norm[n] = c
			n++
		}
	}
	if !secretKeys[string(norm[:n])] && !endsWithSecretWord(norm[:n]) {
		return 0, 0, false
	}
	vs = eq + 1
	for vs < len(line) && line[vs] == ' ' {
		vs++
	}
	if vs < len(line) && (line[vs] == '\'' || line[vs] == '"') {
		q := line[vs]
		vs++
		ve = vs
		for ve < len(line) && line[ve] != q {
			ve++
		}
		return vs, ve, true
	}
	// In a connection string a value may hold spaces and runs to the next ';'; elsewhere it
	// ends at a space. (Cutting too much is the safe side.)
	connString := bytes.IndexByte(line[vs:], ';') >= 0
	ve = vs
	for ve < len(line) {
		c := line[ve]
		if c == ';' || c == '&' || c == '\'' || c == '"' || (!connString && (c == ' ' || c == ',' || c == '\t' || c == '<' || c == ')')) {
			break
		}
		ve++
	}
	return vs, ve, true
}

// endsWithSecretWord catches prefixed keys such as AzureWebJobsStorageAccountKey or
// AppInsightsApiKey and a key named like "...Password".
func endsWithSecretWord(k []byte) bool {
	for _, w := range []string{"password", "accountkey", "accesskey", "apikey", "secret", "sharedaccesssignature"} {
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
		case isB64URL(c) || c == '=':
			segLen++
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

// byteFinder answers "does data[start:end] hold c?" for the lines of a chunk in order with
// about one bytes.IndexByte call per occurrence of c instead of one per line: it remembers
// where the next c is. Redact's fast path needs two scans of every line ('=' and 'J'); most
// lines have neither, and the chunk has few of them.
type byteFinder struct {
	data []byte
	c    byte
	at   int // offset of the first c at or after the last start asked about; len(data) if none
}

func (f *byteFinder) reset(data []byte, c byte) { f.data, f.c, f.at = data, c, -1 }

// in reports whether data[start:end] holds c. start must not decrease between calls.
func (f *byteFinder) in(start, end int) bool {
	if f.at < start {
		if i := bytes.IndexByte(f.data[start:], f.c); i >= 0 {
			f.at = start + i
		} else {
			f.at = len(f.data)
		}
	}
	return f.at < end
}
