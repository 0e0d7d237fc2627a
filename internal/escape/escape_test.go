package escape

import "testing"

func TestTerminal(t *testing.T) {
	for _, c := range []struct{ in, want, lines string }{
		// What an attacker sends: an OSC title change, a screen clear and a green line, an OSC 8
		// hyperlink, 8-bit CSI (C1), a bidi override, bytes that are not UTF-8.
		{"job\x1b]0;pwned\x07", `job\x1b]0;pwned\x07`, ""},
		{"\x1b[2J\x1b[H\x1b[32mOK: none of 25 checks failed\x1b[0m", `\x1b[2J\x1b[H\x1b[32mOK: none of 25 checks failed\x1b[0m`, ""},
		{"\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\", `\x1b]8;;https://evil.example/\x1b\click\x1b]8;;\x1b\`, ""},
		{"a\u009b31mred", `a\u009b31mred`, ""},
		{"invoice\u202egnp.exe", `invoice\u202egnp.exe`, ""},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`, ""},
		{"fake\nline\r\tcol\x7f", `fake\x0aline\x0d\x09col\x7f`, "fake\nline\\x0d\tcol\\x7f"},
		{"nul\x00", `nul\x00`, ""},
		// What must stay as it is: text, Windows paths, other scripts, emoji.
		{`D:\home\data\jobs\continuous\Job ünïcödé 日本 ⏎ 🙂`, `D:\home\data\jobs\continuous\Job ünïcödé 日本 ⏎ 🙂`, ""},
		{"", "", ""},
	} {
		if got := Terminal(c.in); got != c.want {
			t.Errorf("Terminal(%q) = %q, want %q", c.in, got, c.want)
		}
		wantLines := c.lines
		if wantLines == "" {
			wantLines = c.want
		}
		if got := TerminalLines(c.in); got != wantLines {
			t.Errorf("TerminalLines(%q) = %q, want %q", c.in, got, wantLines)
		}
		for _, got := range []string{Terminal(c.in), TerminalLines(c.in)} {
			for _, r := range got {
				if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0x1b {
					t.Errorf("%q: control character %U left in %q", c.in, r, got)
				}
			}
		}
	}
}

func TestMarkdown(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Job | injected | cell", `Job \| injected \| cell`},
		{"[click](https://evil.example)", `\[click\]\(https://evil.example\)`},
		{"![img](https://evil.example/x.png)", `\!\[img\]\(https://evil.example/x.png\)`},
		{"<img src=x onerror=alert(1)><script>alert(2)</script>", `&lt;img src=x onerror=alert\(1\)&gt;&lt;script&gt;alert\(2\)&lt;/script&gt;`},
		{"<https://evil.example>", `&lt;https://evil.example&gt;`},
		{"&lt;b&gt;", `&amp;lt;b&amp;gt;`},
		{"**bold** _it_ `code` ~~x~~ # h", `\*\*bold\*\* \_it\_ \` + "`" + `code\` + "`" + ` \~\~x\~\~ \# h`},
		{"two\nlines\r\nhere", "two lines here"},
		{"esc\x1b[2J", `esc\\x1b\[2J`},
		{`C:\path`, `C:\\path`},
		{"plain words, stay 1.5", "plain words, stay 1.5"},
	} {
		if got := Markdown(c.in); got != c.want {
			t.Errorf("Markdown(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCSVCell(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`=HYPERLINK("https://evil.example","x")`, `'=HYPERLINK("https://evil.example","x")`},
		{"+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(1)", "'@SUM(1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"Waiting 10 mins...", "Waiting 10 mins..."},
		{"a=b", "a=b"},
		{"", ""},
	} {
		if got := CSVCell(c.in); got != c.want {
			t.Errorf("CSVCell(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
