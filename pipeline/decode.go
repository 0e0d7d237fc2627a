package pipeline

import (
	"bufio"
	"bytes"
	"io"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// textReader prepares a file's bytes for the parsers, which read UTF-8 with LF or CRLF line
// ends: it strips a UTF-8 byte-order mark, decodes UTF-16 (LE or BE, with a BOM, as Windows
// editors save it) and turns old-Mac CR-only line ends into LF. note says what was done, for
// the files table; it is "" for plain UTF-8.
func textReader(br *bufio.Reader) (r io.Reader, note string) {
	head, _ := br.Peek(4096)
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
		head = head[3:]
		r, note = br, "UTF-8 BOM removed"
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		return transform.NewReader(br, dec), "decoded from UTF-16LE"
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
		return transform.NewReader(br, dec), "decoded from UTF-16BE"
	default:
		r = br
	}
	if bytes.IndexByte(head, '\r') >= 0 && bytes.IndexByte(head, '\n') < 0 && len(head) > 0 {
		if note != "" {
			note += "; "
		}
		return &crToLF{r: r}, note + "CR line ends read as LF"
	}
	return r, note
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
