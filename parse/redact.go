package parse

import (
	"bytes"
	"encoding/binary"
)

// Logs carry secrets: connection strings in SQL errors, SAS signatures in storage URLs,
// access tokens in HTTP traces, keys printed with the configuration. Redact replaces their
// values with [REDACTED] before a line is stored, so they reach neither the database nor any
// report. What it recognises is the table secretShapes: each shape is found from an anchor
// byte ('=' of key=value, ':' of key: value, '%' of key%3Dvalue, '<' of <Password>, ...), and
// a line is scanned for the anchor bytes eight at a time, so a clean line costs a few word
// operations per eight bytes and a look at the bytes around each anchor.
//
// A value that only says what state a secret is in ("Connection string: missing", "Token:
// expired", "password=not set") is kept: it is the diagnosis, not a secret (statusWord).
const Redacted = "[REDACTED]"

// secretShape is one way a secret is written in a log line.
type secretShape struct {
	name    string // the name the tests use (TestRedactShapes has cases for every shape)
	anchors string // the bytes the shape is recognised at
	// at looks at the anchor line[i]; when the shape is there it returns the span [vs, ve)
	// to replace. vs may lie before i (a JWT is anchored at the J of its "eyJ").
	at func(line []byte, i int) (vs, ve int, ok bool)
}

// secretShapes is every shape of secret the redactor knows.
var secretShapes = []secretShape{
	// Password=x, AccountKey=x;, sig=x&, AZURE_STORAGE_KEY=x, Password = x; the value runs to
	// the next ';', '&', quote or space (to the closing quote when quoted; to the next ';' in a
	// connection string).
	{"key=value", "=", keyEquals},
	// ClientSecret: x, Client Secret : x, "password" : "x", Authorization: Bearer x; the key is
	// the word before the colon or the two words before it together.
	{"key: value", ":", keyColon},
	// sig%3Dx, AccountKey%3Dx%3B: a URL-encoded SAS or connection string (in a query string).
	{"key%3Dvalue", "%", keyEncoded},
	// https://user:password@host: the password of a URL's user information.
	{"URL user:password@", ":", urlPassword},
	// <add key="ClientSecret" value="x"/> (.NET appSettings).
	{"<add key=... value=...>", "=", addKeyValue},
	// <Password>x</Password>, <ClientSecret>x</ClientSecret>.
	{"<Secret>value</Secret>", "<", xmlElement},
	// eyJ….….… wherever it is.
	{"JSON Web Token", "J", jwt},
	// Bearer or bearer followed by a token of 16 characters or more.
	{"bearer token", "Bb", bearer},
}

// isAnchor marks the anchor bytes of secretShapes; nextAnchor finds exactly these bytes.
var isAnchor = func() (is [256]bool) {
	for _, s := range secretShapes {
		for _, c := range []byte(s.anchors) {
			is[c] = true
		}
	}
	return is
}()

// secretKeys are the key names (lower-case, without '_', '-', '.' and spaces) whose values are
// secrets.
var secretKeys = map[string]bool{
	"password": true, "pwd": true, "accountkey": true, "sharedaccesskey": true,
	"sharedaccesssignature": true, "sig": true, "clientsecret": true, "secret": true,
	"apikey": true, "appinsightsapikey": true, "cognitivekey": true, "statsapisecret": true,
	"accesstoken": true, "refreshtoken": true, "idtoken": true, "token": true,
	"primarykey": true, "secondarykey": true, "storagekey": true, "authorization": true,
	"clientassertion": true, "accesskey": true, "subscriptionkey": true, "masterkey": true,
	"connectionstring": true, "passwd": true, "privatekey": true, "secretkey": true,
}

// secretSuffixes catch prefixed keys: AzureWebJobsStorageAccountKey, AppInsightsApiKey,
// AZURE_STORAGE_KEY, WEBSITE_AUTH_ENCRYPTION_KEY, MACHINEKEY_DecryptionKey, ...Password.
var secretSuffixes = []string{"password", "accountkey", "accesskey", "apikey", "secret", "sharedaccesssignature",
	"connectionstring", "storagekey", "secretkey", "encryptionkey", "decryptionkey", "validationkey", "signingkey",
	"privatekey", "masterkey", "subscriptionkey", "sharedaccesskey", "accesstoken", "refreshtoken", "sastoken", "authtoken"}

// maxKeyLen bounds the key looked at before '=' or ':'.
const maxKeyLen = 32

// Redact returns line with secret values replaced, and whether it changed anything. When it
// changes the line it returns a new slice (appended to dst[:0]); otherwise line itself.
func Redact(dst, line []byte) ([]byte, bool) {
	// Find the first secret before copying anything: most lines hold none.
	vs, ve, ok := nextSecret(line, 0, 0)
	if !ok {
		return line, false
	}
	out := dst[:0]
	copied := 0 // line[:copied] is in out
	for ok {
		// A value may swallow the key of a secret whose value runs further ("Pwd=
		// ClientSecret: x"): the redaction then runs to the end of that one.
		for j := vs; j < ve; j++ {
			if isAnchor[line[j]] {
				if _, e, found := secretAt(line, j); found && e > ve {
					ve = e
				}
			}
		}
		out = append(out, line[copied:vs]...)
		out = append(out, Redacted...)
		copied = ve
		vs, ve, ok = nextSecret(line, ve, ve)
	}
	return append(out, line[copied:]...), true
}

// nextSecret returns the span of the first secret anchored at or after from that starts at or
// after min. It runs on every line: eight bytes at a time are tested for all anchors at once
// (the "has a zero byte" trick on the word XOR each anchor; '<' and '=' in one test as they
// differ in the lowest bit only, 'B' and 'b' in one as they differ in 0x20), and only the
// anchors are looked at. TestAnchors keeps these tests and the table in step.
func nextSecret(line []byte, from, min int) (vs, ve int, ok bool) {
	i := from
	for ; i+8 <= len(line); i += 8 {
		if !hasAnchor(binary.LittleEndian.Uint64(line[i:])) {
			continue
		}
		for j := i; j < i+8; j++ {
			if isAnchor[line[j]] {
				if vs, ve, ok := secretAt(line, j); ok && vs >= min && ve > vs {
					return vs, ve, true
				}
			}
		}
	}
	for ; i < len(line); i++ {
		if isAnchor[line[i]] {
			if vs, ve, ok := secretAt(line, i); ok && vs >= min && ve > vs {
				return vs, ve, true
			}
		}
	}
	return 0, 0, false
}

// hasAnchor reports whether one of the eight bytes of v is an anchor byte.
func hasAnchor(v uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	a, b, c := (v|ones)^(ones*'='), v^(ones*':'), v^(ones*'J')
	d, e := (v|ones*0x20)^(ones*'b'), v^(ones*'%')
	return ((a-ones)&^a|(b-ones)&^b|(c-ones)&^c|(d-ones)&^d|(e-ones)&^e)&highs != 0
}

// secretAt tries the shapes anchored at line[i], in the order of secretShapes. It is
// secretShapes written out as direct calls, each behind its cheapest test, because it runs at
// every ':' of every line (TestRedactShapes checks that it finds every shape of the table).
func secretAt(line []byte, i int) (vs, ve int, ok bool) {
	switch line[i] {
	case '=':
		if vs, ve, ok = keyEquals(line, i); ok {
			return
		}
		return addKeyValue(line, i)
	case ':':
		if i+2 < len(line) && line[i+1] == '/' && line[i+2] == '/' {
			return urlPassword(line, i)
		}
		// Most colons in a log are in times ("21-40-07:12:") and after prose: look at the
		// three letters before it first.
		if i >= 3 && !secretKeyEnding(line[i-3], line[i-2], line[i-1]) && line[i-1] != ' ' && line[i-1] != '"' && line[i-1] != '\'' {
			return 0, 0, false
		}
		return keyColon(line, i)
	case '%':
		return keyEncoded(line, i)
	case '<':
		return xmlElement(line, i)
	case 'J':
		return jwt(line, i)
	case 'B', 'b':
		return bearer(line, i)
	}
	return 0, 0, false
}

// ---- key=value, key: value, key%3Dvalue ----

func keyEquals(line []byte, i int) (int, int, bool) {
	var key keyBuf
	if !secretKeyBefore(line, i, false, &key) {
		return 0, 0, false
	}
	return secretValue(line, i+1, &key, false, false)
}

func keyColon(line []byte, i int) (int, int, bool) {
	if i+2 < len(line) && line[i+1] == '/' && line[i+2] == '/' {
		return 0, 0, false // a URL's scheme
	}
	var key keyBuf
	if !secretKeyBefore(line, i, true, &key) {
		return 0, 0, false
	}
	return secretValue(line, i+1, &key, true, false)
}

func keyEncoded(line []byte, i int) (int, int, bool) {
	if i+3 > len(line) || line[i+1] != '3' || line[i+2]|0x20 != 'd' {
		return 0, 0, false
	}
	var key keyBuf
	if !secretKeyBefore(line, i, false, &key) {
		return 0, 0, false
	}
	return secretValue(line, i+3, &key, false, true)
}

// keyBuf holds a normalised key; it lives on the caller's stack.
type keyBuf struct {
	b [maxKeyLen]byte
	n int
}

func (k *keyBuf) is(s string) bool { return string(k.b[:k.n]) == s }

// secretKeyBefore looks at the key that ends before line[sep] (the '=', ':' or '%' of "%3D");
// it reports whether it names a secret, and leaves it normalised in key.
func secretKeyBefore(line []byte, sep int, colon bool, key *keyBuf) bool {
	end := sep
	for end > 0 && line[end-1] == ' ' { // "Password = x", "Client Secret : x", "password" : "x"
		end--
	}
	quoted := false // "password": ..., 'AccountKey': ...
	if colon && end > 0 && (line[end-1] == '"' || line[end-1] == '\'') {
		end--
		quoted = true
	}
	// Every secret key ends in one of these: a cheap test that rejects most places before
	// the key is looked at ("07:12:", "import:", "sv=").
	if end < 3 {
		return false
	}
	if !secretKeyEnding(line[end-3], line[end-2], line[end-1]) {
		return false
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
		return false
	}
	if k > 0 && line[k-1] == '%' && end-k > 2 && isHex(line[k]) && isHex(line[k+1]) { // "%26sig=", "%3BAccountKey%3D": not the hex digits
		k += 2
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
	switch {
	case !colon:
		// key=value: the words joined ("Account Key"), or the last word alone ("... sig=").
		if key.norm(line[k:end]); key.secret() {
			return true
		}
		key.norm(line[last:end])
		return secretKeys[string(key.b[:key.n])]
	case quoted || last == k:
		key.norm(line[k:end])
		return key.secret()
	default:
		// key: value after other words: the last word names the secret ("user password: x"),
		// or the last two do together ("Client secret: x"). (Cutting too much is the safe
		// side: "Retrieving secret: name" loses the name.)
		if key.norm(line[last:end]); key.secret() {
			return true
		}
		key.norm(line[prev:end])
		return secretKeys[string(key.b[:key.n])]
	}
}

// secretKeyEnding reports whether a key ending in the letters a, b, c may name a secret: every
// secret key ends in -ord -pwd -swd -key -sig -ret -ken -ion -ure or -ing.
func secretKeyEnding(a, b, c byte) bool {
	switch uint32(a|0x20)<<16 | uint32(b|0x20)<<8 | uint32(c|0x20) {
	case 'o'<<16 | 'r'<<8 | 'd', 'p'<<16 | 'w'<<8 | 'd', 's'<<16 | 'w'<<8 | 'd', 'k'<<16 | 'e'<<8 | 'y',
		's'<<16 | 'i'<<8 | 'g', 'r'<<16 | 'e'<<8 | 't', 'k'<<16 | 'e'<<8 | 'n', 'i'<<16 | 'o'<<8 | 'n',
		'u'<<16 | 'r'<<8 | 'e', 'i'<<16 | 'n'<<8 | 'g':
		return true
	}
	return false
}

// norm sets k to w lower-cased, without '_', '-', '.' and spaces (at most maxKeyLen bytes).
func (k *keyBuf) norm(w []byte) {
	k.n = 0
	for _, c := range w {
		if k.n == maxKeyLen {
			break
		}
		switch {
		case c >= 'A' && c <= 'Z':
			k.b[k.n] = c + 32
		case c == '_' || c == '-' || c == '.' || c == ' ':
			continue
		default:
			k.b[k.n] = c
		}
		k.n++
	}
}

// secret reports whether the key names a secret, by itself or by how it ends.
func (k *keyBuf) secret() bool {
	s := k.b[:k.n]
	if secretKeys[string(s)] {
		return true
	}
	for _, w := range secretSuffixes {
		if bytes.HasSuffix(s, []byte(w)) {
			return true
		}
	}
	return false
}

// secretValue returns the span of the value that starts at vs, after a secret key.
func secretValue(line []byte, vs int, key *keyBuf, colon, encoded bool) (int, int, bool) {
	for vs < len(line) && line[vs] == ' ' {
		vs++
	}
	if bytes.HasPrefix(line[vs:], []byte(Redacted)) {
		return 0, 0, false // redacted before
	}
	if vs < len(line) && (line[vs] == '\'' || line[vs] == '"') {
		q := line[vs]
		vs++
		ve := vs
		for ve < len(line) && line[ve] != q {
			ve++
		}
		return credential(line, vs, ve, key)
	}
	// In a connection string a value may hold spaces and runs to the next ';'; elsewhere it
	// ends at a space. (Cutting too much is the safe side.)
	connString := !colon && !encoded && bytes.IndexByte(line[vs:], ';') >= 0
	ve := vs
	for ve < len(line) {
		c := line[ve]
		if c == ';' || c == '&' || c == '\'' || c == '"' || (!connString && (c == ' ' || c == ',' || c == '\t' || c == '<' || c == ')' || c == ']' || c == '}')) {
			break
		}
		if encoded && c == '%' && isEncodedSeparator(line, ve) {
			break
		}
		ve++
	}
	if key.is("authorization") {
		// "Authorization: Bearer <token>": the value so far is the scheme.
		if isAuthScheme(line[vs:ve]) && ve < len(line) && line[ve] == ' ' {
			ce := ve + 1
			for ce < len(line) && line[ce] != ' ' && line[ce] != '\t' && line[ce] != '"' && line[ce] != '\'' && line[ce] != ',' && line[ce] != ';' {
				ce++
			}
			return keepStatus(line, ve+1, ce)
		}
	}
	return credential(line, vs, ve, key)
}

// isEncodedSeparator reports whether line[i:] starts with a URL-encoded '&', ';', ' ', '"' or
// a single quote, where an encoded value ends.
func isEncodedSeparator(line []byte, i int) bool {
	if i+3 > len(line) {
		return false
	}
	switch string([]byte{line[i+1], line[i+2] | 0x20}) {
	case "26", "3b", "20", "22", "27", "2c":
		return true
	}
	return false
}

// credential keeps the scheme of an Authorization value ("Bearer abc" → "Bearer [REDACTED]")
// and a value that is a status word.
func credential(line []byte, vs, ve int, key *keyBuf) (int, int, bool) {
	if key.is("authorization") {
		if sp := bytes.IndexByte(line[vs:ve], ' '); sp > 0 && isAuthScheme(line[vs:vs+sp]) {
			vs += sp + 1
		}
	}
	return keepStatus(line, vs, ve)
}

// keepStatus returns the span [vs, ve) to redact, unless it is empty or a status word.
func keepStatus(line []byte, vs, ve int) (int, int, bool) {
	if ve <= vs || statusWord(line, vs, ve) {
		return 0, 0, false
	}
	return vs, ve, true
}

// statusWords are values that say what state a secret is in, not the secret: "Connection
// string: missing", "Token: expired", "password=<empty>". "not" counts when one of notWords
// follows ("Secret: not set").
var statusWords = map[string]bool{
	"missing": true, "empty": true, "blank": true, "null": true, "nil": true, "none": true, "unset": true,
	"undefined": true, "invalid": true, "expired": true, "revoked": true, "required": true, "n/a": true,
	"(null)": true, "(none)": true, "(empty)": true, "<null>": true, "<none>": true, "<empty>": true,
	"***": true, "****": true, "*****": true, "********": true,
}

var notWords = map[string]bool{
	"set": true, "found": true, "configured": true, "provided": true, "specified": true, "available": true,
	"valid": true, "present": true, "defined": true, "given": true,
}

// statusWord reports whether line[vs:ve] (a value after a secret key) is a status word; for
// "not" it looks at the word after it, which may lie past ve.
func statusWord(line []byte, vs, ve int) bool {
	w := bytes.TrimRight(line[vs:ve], ".,;:!")
	if len(w) > 12 {
		return false
	}
	var buf [12]byte
	lw := buf[:len(w)]
	for i, c := range w {
		if c >= 'A' && c <= 'Z' {
			c += 32
		}
		lw[i] = c
	}
	if statusWords[string(lw)] {
		return true
	}
	// "not set": in a connection string the value holds both words; elsewhere "not" alone.
	rest := line[ve:]
	if sp := bytes.IndexByte(lw, ' '); sp > 0 {
		rest, lw = w[sp:], lw[:sp]
	}
	if string(lw) != "not" {
		return false
	}
	rest = bytes.TrimLeft(rest, " ")
	n := 0
	for n < len(rest) && n < 12 && (rest[n]|0x20 >= 'a' && rest[n]|0x20 <= 'z') {
		n++
	}
	if n == len(rest) || n < 12 && !isKeyChar(rest[n]) {
		var nb [12]byte
		for i := 0; i < n; i++ {
			nb[i] = rest[i] | 0x20
		}
		return notWords[string(nb[:n])]
	}
	return false
}

func isAuthScheme(w []byte) bool {
	for _, s := range []string{"bearer", "basic", "sharedkey", "sharedkeylite", "sharedaccesssignature", "digest", "negotiate", "ntlm"} {
		if bytes.EqualFold(w, []byte(s)) {
			return true
		}
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f'
}

func isKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// ---- URL user information ----

// urlPassword finds the password in "scheme://user:password@host" (the ':' of "://" is the
// anchor); the user name is kept.
func urlPassword(line []byte, i int) (int, int, bool) {
	if i+3 > len(line) || line[i+1] != '/' || line[i+2] != '/' || i == 0 || !isKeyChar(line[i-1]) {
		return 0, 0, false
	}
	colon, at := -1, -1
	for j := i + 3; j < len(line) && j < i+3+512; j++ {
		switch c := line[j]; c {
		case '/', '?', '#', ' ', '\t', '"', '\'', '<', '>', '\\':
			j = len(line) // the authority ends here
		case ':':
			if colon < 0 {
				colon = j
			}
		case '@':
			at = j // the last '@' before the path ends the user information
		}
	}
	if colon < 0 || at < colon {
		return 0, 0, false
	}
	if bytes.HasPrefix(line[colon+1:], []byte(Redacted)) {
		return 0, 0, false
	}
	return keepStatus(line, colon+1, at)
}

// ---- .NET configuration ----

// addKeyValue finds the value of an appSettings entry named like a secret: <add
// key="ClientSecret" value="x"/>. The anchor is the '=' after "value".
func addKeyValue(line []byte, i int) (int, int, bool) {
	if i < 5 || !bytes.EqualFold(line[i-5:i], []byte("value")) || i+1 >= len(line) || (line[i+1] != '"' && line[i+1] != '\'') {
		return 0, 0, false
	}
	lt := bytes.LastIndexByte(line[max(0, i-256):i], '<')
	if lt < 0 {
		return 0, 0, false
	}
	tag := line[max(0, i-256)+lt : i]
	var name []byte
	for _, attr := range []string{"key=", "name="} {
		for off := 0; ; {
			j := indexFold(tag[off:], attr)
			if j < 0 {
				break
			}
			j += off
			off = j + len(attr)
			if j > 0 && isKeyChar(tag[j-1]) || off >= len(tag) || (tag[off] != '"' && tag[off] != '\'') {
				continue
			}
			if e := bytes.IndexByte(tag[off+1:], tag[off]); e >= 0 {
				name = tag[off+1 : off+1+e]
			}
			break
		}
		if name != nil {
			break
		}
	}
	if name == nil || len(name) > maxKeyLen {
		return 0, 0, false
	}
	var key keyBuf
	if key.norm(name); !key.secret() {
		return 0, 0, false
	}
	return secretValue(line, i+1, &key, false, false)
}

// indexFold is bytes.Index ignoring ASCII case, for a lower-case needle.
func indexFold(s []byte, needle string) int {
	for i := 0; i+len(needle) <= len(s); i++ {
		if bytes.EqualFold(s[i:i+len(needle)], []byte(needle)) {
			return i
		}
	}
	return -1
}

// ---- XML elements ----

// xmlElement finds the text of an element named like a secret: <Password>x</Password>,
// <ClientSecret>x</ClientSecret> (attributes allowed). The anchor is the '<'.
func xmlElement(line []byte, i int) (int, int, bool) {
	j := i + 1
	for j < len(line) && j-i <= maxKeyLen && (isKeyChar(line[j]) || line[j] == '.') {
		j++
	}
	if j == i+1 || j >= len(line) || j-i > maxKeyLen {
		return 0, 0, false
	}
	name := line[i+1 : j]
	var key keyBuf
	if key.norm(name); !key.secret() {
		return 0, 0, false
	}
	if line[j] != '>' {
		if line[j] != ' ' {
			return 0, 0, false
		}
		gt := bytes.IndexByte(line[j:min(len(line), j+256)], '>')
		if gt < 0 || line[j+gt-1] == '/' {
			return 0, 0, false
		}
		j += gt
	}
	vs := j + 1
	if bytes.HasPrefix(line[vs:], []byte(Redacted)) {
		return 0, 0, false
	}
	ve := vs
	for ve < len(line) && line[ve] != '<' {
		ve++
	}
	// Only an element closed on the same line: "Task<AccessToken> GetTokenAsync(...)" in a
	// stack frame is a generic type, not an element.
	if end := line[ve:]; len(end) < len(name)+3 || end[1] != '/' || !bytes.EqualFold(end[2:2+len(name)], name) || end[2+len(name)] != '>' {
		return 0, 0, false
	}
	return keepStatus(line, vs, ve)
}

// ---- tokens ----

// jwt finds a JSON Web Token ("eyJ" header, two dots); the anchor is the J.
func jwt(line []byte, i int) (int, int, bool) {
	s := i - 2
	if s < 0 || line[s] != 'e' || line[s+1] != 'y' || s > 0 && isB64URL(line[s-1]) {
		return 0, 0, false
	}
	if end, ok := jwtEnd(line, s); ok {
		return s, end, true
	}
	return 0, 0, false
}

// bearer finds the token after "Bearer " or "bearer " (16 characters or more).
func bearer(line []byte, i int) (int, int, bool) {
	if i+7 > len(line) || (i > 0 && isTokenChar(line[i-1])) || string(line[i+1:i+7]) != "earer " {
		return 0, 0, false
	}
	if ve := tokenEnd(line, i+7); ve-(i+7) >= 16 {
		return i + 7, ve, true
	}
	return 0, 0, false
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
