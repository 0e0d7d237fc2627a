package source

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/kudulens/kudulens/internal/testinput"
)

func TestTextReader(t *testing.T) {
	long := strings.Repeat("x", 5000) // the CR-only decision is taken on the first 4 KiB
	for _, c := range []struct {
		name string
		in   []byte
		out  string
		note string
	}{
		{"plain", []byte("a\r\nb\n"), "a\r\nb\n", ""},
		{"empty", nil, "", ""},
		{"UTF-8 BOM", []byte("\xEF\xBB\xBFa\r\nb"), "a\r\nb", "UTF-8 BOM removed"},
		{"UTF-8 BOM only", []byte("\xEF\xBB\xBF"), "", "UTF-8 BOM removed"},
		{"UTF-16LE", testinput.UTF16("a\r\nü✓\r\n", false), "a\r\nü✓\r\n", "decoded from UTF-16LE"},
		{"UTF-16BE", testinput.UTF16("a\r\nü✓\r\n", true), "a\r\nü✓\r\n", "decoded from UTF-16BE"},
		{"UTF-16LE odd length", append(testinput.UTF16("ab", false), 'c'), "ab\uFFFD", "decoded from UTF-16LE"},
		{"UTF-16LE unpaired surrogate", append(testinput.UTF16("a", false), 0x00, 0xD8, 'b', 0), "a\uFFFDb", "decoded from UTF-16LE"},
		{"CR only", []byte("a\rb\rc"), "a\nb\nc", "CR line ends read as LF"},
		{"CR only after a BOM", []byte("\xEF\xBB\xBFa\rb\r"), "a\nb\n", "UTF-8 BOM removed; CR line ends read as LF"},
		{"CR only in UTF-16", testinput.UTF16("a\rb\r", false), "a\nb\n", "decoded from UTF-16LE; CR line ends read as LF"},
		{"mixed CRLF and LF", []byte("a\r\nb\nc\r\n"), "a\r\nb\nc\r\n", ""},
		{"CR-only judged on the head", []byte(long + "\r" + "b\n"), long + "\r" + "b\n", ""},
		{"invalid UTF-8 and NUL left to the parsers", []byte("a\xff\x00b"), "a\xff\x00b", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, note := TextReader(bufio.NewReader(bytes.NewReader(c.in)))
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.out || note != c.note {
				t.Errorf("got %q, note %q\nwant %q, note %q", got, note, c.out, c.note)
			}
		})
	}
}
