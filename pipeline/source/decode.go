package source

import (
	"bufio"
	"bytes"
	"io"
	"strings"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// TextReader prepares a file's bytes for the parsers, which read UTF-8 with LF or CRLF line
// ends: it strips a UTF-8 byte-order mark, decodes UTF-16 (LE or BE, with a BOM, as Windows
// editors save it; unpaired surrogates and a final odd byte become U+FFFD) and turns old-Mac
// CR-only line ends into LF. note says what was done, for the files table; it is "" for
// plain UTF-8. Invalid UTF-8 and NUL bytes are left to the parsers, which replace and count
// them per line.
//
// Line ends are judged on the first 4 KiB of text: CR-only when it holds a CR and no LF.
func TextReader(br *bufio.Reader) (r io.Reader, note string) {
	head, _ := br.Peek(4096)
	var notes []string
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
		r, notes = br, append(notes, "UTF-8 BOM removed")
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		r, notes = transform.NewReader(br, dec), append(notes, "decoded from UTF-16LE")
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
		r, notes = transform.NewReader(br, dec), append(notes, "decoded from UTF-16BE")
	default:
		r = br
	}
	if r != io.Reader(br) {
		// Look at the decoded text.
		dbr := bufio.NewReaderSize(r, 4096)
		r = dbr
		head, _ = dbr.Peek(4096)
	} else if len(notes) > 0 {
		head = head[3:]
	}
	if bytes.IndexByte(head, '\r') >= 0 && bytes.IndexByte(head, '\n') < 0 {
		r, notes = &crToLF{r: r}, append(notes, "CR line ends read as LF")
	}
	return r, strings.Join(notes, "; ")
}

// crToLF turns every CR into LF.
type crToLF struct{ r io.Reader }

func (c *crToLF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\r')
		if j < 0 {
			break
		}
		p[i+j] = '\n'
		i += j + 1
	}
	return n, err
}
