package main

// Issue 7: hostile and broken input. Every case of the issue is one row of hostileCases with the
// message and the outcome it must get; the README's "Guarantees" section states the same.

import (
	"bytes"
	"context"
	gosql "database/sql"
	"fmt"
	"github.com/kudulens/kudulens/internal/testinput"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/kudulens/kudulens/pipeline/store"
)

// hostileCase is one input and what `kudulens ingest` must make of it.
type hostileCase struct {
	name string
	// input writes the input under dir and returns the SOURCE arguments; nil means dir itself.
	input func(t *testing.T, dir string) []string
	flags []string // extra ingest flags
	code  int      // ingest exit code
	out   string   // regexp the ingest output (stdout+stderr) must match; "" means not checked
	files []fileWant
	// sql: further queries on the database after the ingest, and their answer (rows of
	// values joined with "|", one per line).
	sql []sqlWant
	// run replaces the single ingest for runs that need more (signals, two processes, two
	// ingests); it does its own checks.
	run func(t *testing.T, dir string)
	// serial keeps a run out of the parallel ones: it times itself against a reference run
	// (a signal at 40% of it), which other runs at once would skew. big starts a long run
	// first, so that it overlaps the serial ones.
	serial, big bool
}

// fileWant is a files row: path relative to the input folder (archive members after '!').
type fileWant struct {
	path, kind, status string
	err                string // regexp files.error must match; "" means it must be empty
	lines, rejected    int64  // -1: not checked (parsed = lines - rejected is always checked)
}

type sqlWant struct{ query, want string }

func ok(path string, lines int64) fileWant {
	return fileWant{path: path, kind: "kudu-log", status: "ok", lines: lines}
}

func hostileCases() []hostileCase {
	log20 := kuduLog(20)
	big := kuduLog(4000) // ~360 KB: bigger than a compression window, so damage is mid-stream
	return []hostileCase{
		// ---- damaged archives and compressed streams ----
		{
			name: "gzip truncated mid-stream",
			input: func(t *testing.T, dir string) []string {
				gz := testinput.Gzip(t, []byte(big))
				p := writeInput(t, dir, "job_log.txt.gz", cut(gz, len(gz)/2))
				return []string{p}
			},
			code: exitInputFailed,
			out:  `(?m)^partial: .*/job_log.txt.gz: read stopped after line \d+ `,
			files: []fileWant{{path: "job_log.txt.gz", kind: "kudu-log", status: "partial", lines: -1, rejected: 1,
				err: `^read stopped after line \d+ \(byte offset \d+\): read .*job_log.txt.gz at offset \d+: gzip data broken at compressed offset \d+ \(output offset \d+\): unexpected EOF; lines 1-\d+ were kept, line \d+ \(cut short\) is in rejects$`}},
			sql: []sqlWant{{"select reason from rejects", "incomplete line: the input stops here (damaged, or cut at a size limit)"}},
		},
		{
			name: "zstd truncated mid-stream",
			input: func(t *testing.T, dir string) []string {
				z := zstOf(t, []byte(big))
				return []string{writeInput(t, dir, "job_log.txt.zst", cut(z, len(z)/3))}
			},
			code: exitInputFailed,
			files: []fileWant{{path: "job_log.txt.zst", kind: "kudu-log", status: "partial", lines: -1, rejected: -1,
				err: `^read stopped after line \d+ \(byte offset \d+\): .*zstd data broken at compressed offset \d+ .*; lines 1-\d+ were kept`}},
		},
		{
			name: "zstd corrupt byte mid-stream",
			input: func(t *testing.T, dir string) []string {
				z := zstOf(t, []byte(big))
				return []string{writeInput(t, dir, "job_log.txt.zst", flip(z, len(z)/2))}
			},
			code: exitInputFailed,
			files: []fileWant{{path: "job_log.txt.zst", kind: "kudu-log", status: "partial", lines: -1, rejected: -1,
				err: `zstd data broken at compressed offset \d+`}},
		},
		{
			name: "gzip with a bad checksum: every line kept, the damage named",
			input: func(t *testing.T, dir string) []string {
				g := testinput.Gzip(t, []byte(log20))
				return []string{writeInput(t, dir, "job_log.txt.gz", flip(g, len(g)-6))}
			},
			code: exitInputFailed,
			files: []fileWant{{path: "job_log.txt.gz", kind: "kudu-log", status: "partial", lines: 20, rejected: 0,
				err: `^read stopped after line 20 \(byte offset \d+\): .*gzip: invalid checksum; lines 1-20 were kept$`}},
		},
		{
			name: "zip truncated: central directory lost, members salvaged",
			input: func(t *testing.T, dir string) []string {
				z := zipOf(t, member{name: "a/" + jobLog, data: log20}, member{name: "b/" + jobLog, data: big})
				return []string{writeInput(t, dir, "bundle.zip", z[:len(z)*3/4])}
			},
			code: exitInputFailed,
			files: []fileWant{
				{path: "bundle.zip", kind: "zip", status: "partial", lines: 0, rejected: 0,
					err: `^zip: central directory unreadable \(zip: not a valid zip file\); reading members from their local headers; zip: member "b/data/jobs/continuous/AppInsightsImporter/job_log.txt" broken at offset \d+ \(its data starts at \d+\): deflate data broken at compressed offset \d+ \(output offset \d+\): unexpected EOF$`},
				ok("bundle.zip!a/"+jobLog, 20),
				{path: "bundle.zip!b/" + jobLog, kind: "kudu-log", status: "partial", lines: -1, rejected: -1,
					err: `^read stopped after line \d+ \(byte offset \d+\): .*deflate data broken at compressed offset \d+`},
			},
		},
		{
			name: "zip member with corrupt data: the CRC says so",
			input: func(t *testing.T, dir string) []string {
				z := zipOf(t, member{name: jobLog, data: big})
				return []string{writeInput(t, dir, "bundle.zip", flip(z, 2000))}
			},
			code: exitInputFailed,
			files: []fileWant{{path: "bundle.zip!" + jobLog, kind: "kudu-log", status: "partial", lines: -1, rejected: -1,
				err: `^read stopped after line 4000 \(byte offset \d+\): read .*bundle.zip!data/jobs/continuous/AppInsightsImporter/job_log.txt at offset \d+: zip: checksum error; lines 1-4000 were kept$`}},
		},
		{
			name: "encrypted zip member",
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, "bundle.zip", zipOf(t, member{name: jobLog, data: log20, flags: 1}, member{name: "b/" + jobLog, data: log20 + "x\r\n"}))}
			},
			code: exitInputFailed,
			out:  `(?m)^failed: .*/bundle.zip!data/jobs/continuous/AppInsightsImporter/job_log.txt: encrypted zip member skipped$`,
			files: []fileWant{
				{path: "bundle.zip!" + jobLog, kind: "unknown", status: "failed", err: `^encrypted zip member skipped$`},
				ok("bundle.zip!b/"+jobLog, 21),
			},
		},
		{
			name: "zip member declaring fewer bytes than it holds",
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, "bundle.zip", zipOf(t, member{name: jobLog, data: log20, declared: int64(len(log20) - 30)}))}
			},
			code: exitInputFailed,
			files: []fileWant{{path: "bundle.zip!" + jobLog, kind: "kudu-log", status: "partial", lines: 20, rejected: 1,
				err: `^read stopped after line 19 \(byte offset \d+\): .*zip: member holds more than its declared \d+ bytes; lines 1-19 were kept, line 20 \(cut short\) is in rejects$`}},
		},
		{
			name: "zip member declaring more bytes than it holds",
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, "bundle.zip", zipOf(t, member{name: jobLog, data: log20, declared: int64(len(log20) + 100)}))}
			},
			code: exitInputFailed,
			files: []fileWant{{path: "bundle.zip!" + jobLog, kind: "kudu-log", status: "partial", lines: 20, rejected: 0,
				err: `zip: member data ends after \d+ of its declared \d+ bytes: unexpected EOF; lines 1-20 were kept$`}},
		},
		{
			name: "tar truncated inside a member",
			input: func(t *testing.T, dir string) []string {
				tr := tarOf(t, member{name: "a/" + jobLog, data: log20}, member{name: "b/" + jobLog, data: big})
				return []string{writeInput(t, dir, "bundle.tar", tr[:len(tr)-len(big)/2])}
			},
			code: exitInputFailed,
			files: []fileWant{
				ok("bundle.tar!a/"+jobLog, 20),
				{path: "bundle.tar!b/" + jobLog, kind: "kudu-log", status: "partial", lines: -1, rejected: 1,
					err: `^read stopped after line \d+ \(byte offset \d+\): .*unexpected EOF; lines 1-\d+ were kept, line \d+ \(cut short\) is in rejects$`},
			},
		},
		{
			name: "tar with a corrupt header after the first member",
			input: func(t *testing.T, dir string) []string {
				tr := tarOf(t, member{name: "a/" + jobLog, data: log20}, member{name: "b/" + jobLog, data: log20})
				off := 512 + (len(log20)+511)&^511 // the second header
				return []string{writeInput(t, dir, "bundle.tar", flip(tr, off+100))}
			},
			code: exitInputFailed,
			files: []fileWant{
				ok("bundle.tar!a/"+jobLog, 20),
				{path: "bundle.tar", kind: "tar", status: "partial", err: `^tar: broken after member "a/data/jobs/continuous/AppInsightsImporter/job_log.txt", at offset 2560: archive/tar: invalid tar header$`},
			},
		},
		{
			name: "tar.gz truncated",
			input: func(t *testing.T, dir string) []string {
				g := testinput.Gzip(t, tarOf(t, member{name: jobLog, data: big}))
				return []string{writeInput(t, dir, "bundle.tgz", g[:len(g)/2])}
			},
			code: exitInputFailed,
			files: []fileWant{{path: "bundle.tgz!" + jobLog, kind: "kudu-log", status: "partial", lines: -1, rejected: -1,
				err: `gzip data broken at compressed offset \d+`}},
		},

		// ---- limits ----
		{
			name: "zstd bomb: decompression ratio over the limit",
			input: func(t *testing.T, dir string) []string {
				bomb := kuduLine(1, "start") + kuduLine(2, strings.Repeat("x", 64<<20))
				return []string{writeInput(t, dir, "job_log.txt.zst", zstOf(t, []byte(bomb)))}
			},
			code: exitInputFailed,
			files: []fileWant{{path: "job_log.txt.zst", kind: "kudu-log", status: "partial", lines: 2, rejected: 1,
				err: `limit exceeded: zstd decompression ratio above 1000:1 \(MaxRatio\): \d+ bytes out of \d+; raise it with --max-ratio; lines 1-1 were kept, line 2 \(cut short\) is in rejects`}},
		},
		{
			name:  "zstd bomb read whole with --max-ratio raised",
			flags: []string{"--max-ratio", "100000"},
			input: func(t *testing.T, dir string) []string {
				bomb := kuduLine(1, "start") + kuduLine(2, strings.Repeat("x", 64<<20))
				return []string{writeInput(t, dir, "job_log.txt.zst", zstOf(t, []byte(bomb)))}
			},
			code: exitOK,
			files: []fileWant{{path: "job_log.txt.zst", kind: "kudu-log", status: "ok", lines: 2, rejected: 0,
				err: `^1 line longer than 1048576 bytes cut \(traces.truncated\)$`}},
			// The line is cut at --max-line bytes, Kudu and app prefixes included.
			sql: []sqlWant{{"select line_no, truncated, length(message) from traces order by 1", "1|false|5\n2|true|1048526"}},
		},
		{
			name: "gzip in gzip bomb",
			input: func(t *testing.T, dir string) []string {
				zeros := make([]byte, 256<<20)
				copy(zeros, kuduLine(1, "hello"))
				return []string{writeInput(t, dir, "job_log.txt.gz.gz", testinput.Gzip(t, testinput.Gzip(t, zeros)))}
			},
			code: exitInputFailed,
			files: []fileWant{{path: "job_log.txt.gz.gz", kind: "kudu-log", status: "partial", lines: 2, rejected: 1,
				err: `decompression ratio above 1000:1 \(MaxRatio\)`}},
		},
		{
			name: "zip member that is a zstd bomb",
			input: func(t *testing.T, dir string) []string {
				bomb := kuduLine(1, "start") + kuduLine(2, strings.Repeat("x", 64<<20))
				return []string{writeInput(t, dir, "bundle.zip", zipOf(t, member{name: jobLog, data: bomb, method: zstd.ZipMethodWinZip}))}
			},
			code: exitInputFailed,
			files: []fileWant{{path: "bundle.zip!" + jobLog, kind: "kudu-log", status: "partial", lines: 2, rejected: 1,
				err: `^read stopped after line 1 \(byte offset \d+\): read .*bundle.zip!data/jobs/continuous/AppInsightsImporter/job_log.txt at offset \d+: limit exceeded: zstd decompression ratio above 1000:1 \(MaxRatio\): \d+ bytes out of \d+; raise it with --max-ratio; lines 1-1 were kept, line 2 \(cut short\) is in rejects$`}},
		},
		{
			// Every leaf is within its own limits; the input's total budget stops it (about
			// MaxRatio times its 15 KB, against the 32 GiB its members claim).
			name: "nested zip bomb (zips of zips of zips, as 42.zip)",
			input: func(t *testing.T, dir string) []string {
				zeros := string(make([]byte, 8<<20))
				level := func(prefix, data string) []byte {
					ms := make([]member, 16)
					for i := range ms {
						ms[i] = member{name: fmt.Sprintf("%s-%02d", prefix, i), data: data}
					}
					return zipOf(t, ms...)
				}
				bomb := level("b.zip", string(level("a.zip", string(level("zeros.bin", zeros)))))
				return []string{writeInput(t, dir, "42.zip", bomb)}
			},
			code: exitInputFailed,
			sql: []sqlWant{{`select count(*) filter (where error like '%expand above 1000:1 in all, nested archives counted together (MaxRatio)%raise it with --max-ratio%') > 0,
				count(*) < 16*16*16, sum(bytes) filter (where kind = 'unknown') < 200 << 20 from files`, "true|true|true"}},
		},
		{
			name:  "leaf over --max-entry-bytes",
			flags: []string{"--max-entry-bytes", "100000"},
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, "job_log.txt.gz", testinput.Gzip(t, []byte(big)))}
			},
			code: exitInputFailed,
			files: []fileWant{{path: "job_log.txt.gz", kind: "kudu-log", status: "partial", lines: -1, rejected: 1,
				err: `^read stopped after line \d+ \(byte offset \d+\): read .*job_log.txt.gz at offset 100000: limit exceeded: gzip output over 100000 bytes \(MaxEntryBytes\); raise it with --max-entry-bytes; lines 1-\d+ were kept, line \d+ \(cut short\) is in rejects$`}},
		},
		{
			name: "archives nested deeper than the limit",
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, "deep.zip", nested(t, 10, log20))}
			},
			code: exitInputFailed,
			files: []fileWant{{path: "deep.zip" + strings.Repeat("!in.zip", 8), kind: "unknown", status: "failed",
				err: `^limit exceeded: zip layer not opened, nesting deeper than 8 \(MaxDepth\); raise it with --max-depth$`}},
		},
		{
			name:  "archives nested deep, read with --max-depth raised",
			flags: []string{"--max-depth", "12"},
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, "deep.zip", nested(t, 10, log20))}
			},
			code:  exitOK,
			files: []fileWant{ok("deep.zip"+strings.Repeat("!in.zip", 9)+"!"+jobLog, 20)},
		},
		{
			name:  "very many tiny entries",
			flags: []string{"--max-entries", "100"},
			input: func(t *testing.T, dir string) []string {
				var ms []member
				for i := 0; i < 300; i++ {
					ms = append(ms, member{name: fmt.Sprintf("d/%03d/job_log.txt", i), data: kuduLine(i, "tiny")})
				}
				return []string{writeInput(t, dir, "many.zip", zipOf(t, ms...))}
			},
			code: exitInputFailed,
			files: []fileWant{
				{path: "many.zip", kind: "zip", status: "partial", err: `^limit exceeded: 300 members, more than 100 \(MaxEntries\); the rest skipped; raise it with --max-entries$`},
				ok("many.zip!d/099/job_log.txt", 1),
			},
			sql: []sqlWant{{"select count(*) from files where path like '%many.zip!%'", "100"}},
		},

		{
			// Item 13 of issue 18: a million empty members cost a row, CPU and memory each.
			name: "many empty members: counted on the archive's row, no row each",
			input: func(t *testing.T, dir string) []string {
				ms := []member{{name: jobLog, data: log20}}
				for i := 0; i < 20000; i++ {
					ms = append(ms, member{name: fmt.Sprintf("e/%05d.txt", i)})
				}
				writeInput(t, dir, "empty.tar.gz", testinput.Gzip(t, tarOf(t, ms...)))
				writeInput(t, dir, "empty.zip", zipOf(t, member{name: "a.txt"}, member{name: "b.txt"}, member{name: "c/job_log.txt", data: log20 + "x\r\n"}))
				return nil
			},
			files: []fileWant{
				ok("empty.tar.gz!"+jobLog, 20),
				{path: "empty.tar.gz", kind: "tar", status: "ok",
					err: `^20000 empty members of no known kind, not listed one by one \("e/00000.txt", "e/00001.txt", "e/00002.txt", "e/00003.txt", "e/00004.txt", …\)$`},
				{path: "empty.zip", kind: "zip", status: "ok", err: `^2 empty members of no known kind, not listed one by one \("a.txt", "b.txt"\)$`},
			},
			out: `(?m)^note: .*/empty.tar.gz: 20000 empty members of no known kind`,
			sql: []sqlWant{{"select count(*) from files", "4"}},
		},

		// ---- names and links ----
		{
			name: "path traversal, absolute and drive-letter names in a zip: read in place, nothing written",
			input: func(t *testing.T, dir string) []string {
				z := zipOf(t, member{name: "../../escape.txt", data: log20}, member{name: "/etc/cron.d/x", data: log20 + "y\r\n"},
					member{name: `C:\Windows\System32\evil.txt`, data: log20 + "z\r\n"})
				return []string{writeInput(t, dir, "in/bundle.zip", z)}
			},
			code: exitOK,
			files: []fileWant{
				{path: "in/bundle.zip!../../escape.txt", kind: "kudu-log", status: "ok", lines: 20,
					err: `^member name points outside the archive \(absolute or \.\./\): read in place, nothing extracted$`},
				{path: "in/bundle.zip!/etc/cron.d/x", kind: "kudu-log", status: "ok", lines: 21, err: `^member name points outside the archive`},
				// Windows zips (Kudu's downloads) name members D:\home\...: a label like any other.
				ok("in/bundle.zip!C:/Windows/System32/evil.txt", 21),
			},
		},
		{
			name: "symlinks, hard links and traversal in a tar: never followed, never written",
			input: func(t *testing.T, dir string) []string {
				tr := tarOf(t, member{name: "etc", typeflag: '2', linkname: "/etc"}, member{name: "passwd", typeflag: '1', linkname: "/etc/passwd"},
					member{name: "../up/job_log.txt", data: log20})
				return []string{writeInput(t, dir, "in/bundle.tar", tr)}
			},
			code: exitOK,
			files: []fileWant{
				{path: "in/bundle.tar!etc", kind: "unknown", status: "skipped", err: `^symlink to /etc skipped$`},
				{path: "in/bundle.tar!passwd", kind: "unknown", status: "skipped", err: `^hard link to /etc/passwd skipped$`},
				{path: "in/bundle.tar!../up/job_log.txt", kind: "kudu-log", status: "ok", lines: 20, err: `^member name points outside the archive`},
			},
		},

		{
			// Item 5 of issue 18: a bundle unpacked with tar may hold symlinks to another
			// customer's logs, ~/.netrc or /etc. Inside a folder they are skipped and listed.
			name: "symlinks inside a folder source: skipped and listed, never followed",
			input: func(t *testing.T, dir string) []string {
				other := t.TempDir()
				theirs := writeInput(t, other, "job_log.txt", []byte(kuduLine(1, "OTHER-CUSTOMER line")))
				netrc := writeInput(t, other, ".netrc", []byte("machine example.com login me password OTHER-CUSTOMER\n"))
				writeInput(t, dir, "real/"+jobLog, []byte(log20))
				os.MkdirAll(filepath.Join(dir, filepath.Dir(jobLog)), 0o755)
				for link, target := range map[string]string{jobLog: theirs, "netrc.txt": netrc, "etc": other} {
					if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
						t.Skipf("no symlinks here: %v", err)
					}
				}
				return nil
			},
			files: []fileWant{
				ok("real/"+jobLog, 20),
				{path: jobLog, kind: "unknown", status: "skipped", err: `^symlink to /.*/job_log.txt skipped$`},
				{path: "netrc.txt", kind: "unknown", status: "skipped", err: `^symlink to /.*/\.netrc skipped$`},
				{path: "etc", kind: "unknown", status: "skipped", err: `^symlink to directory /.* not followed$`},
			},
			sql: []sqlWant{{"select count(*) from traces where message like '%OTHER-CUSTOMER%'", "0"}},
		},
		{
			name: "a symlink named on the command line is followed",
			input: func(t *testing.T, dir string) []string {
				target := writeInput(t, t.TempDir(), "job_log.txt", []byte(log20))
				link := filepath.Join(dir, "chosen.txt")
				if err := os.Symlink(target, link); err != nil {
					t.Skipf("no symlinks here: %v", err)
				}
				return []string{link}
			},
			files: []fileWant{ok("chosen.txt", 20)},
		},
		{
			// Item 9: a named pipe without a writer blocked the open for ever.
			name: "a named pipe inside a folder: skipped, never opened",
			input: func(t *testing.T, dir string) []string {
				writeInput(t, dir, jobLog, []byte(log20))
				if err := mkfifo(filepath.Join(dir, "pipe.log")); err != nil {
					t.Skipf("no named pipes here: %v", err)
				}
				return nil
			},
			files: []fileWant{ok(jobLog, 20), {path: "pipe.log", kind: "unknown", status: "skipped", err: `^named pipe skipped$`}},
		},
		{name: "Parquet site folders named '*' and '[ab]' beside others, a job named NULL and one of 360 bytes escaped", run: hostileLakes},
		{name: "SIGTERM ends a run waiting on a named pipe; a fleet with a pipe and a symlink does not hang", run: pipesAndSignals},

		// ---- encodings and line ends ----
		{
			name: "UTF-8 with BOM",
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, jobLog, []byte("\xEF\xBB\xBF"+log20))}
			},
			files: []fileWant{{path: jobLog, kind: "kudu-log", status: "ok", lines: 20, err: `^UTF-8 BOM removed$`}},
			sql:   []sqlWant{{"select message from traces where line_no = 1", "Imported 7 hits of page views in chunk 1."}},
		},
		{
			name: "UTF-16LE with BOM",
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, jobLog, utf16Of(log20+kuduLine(30, "Ünïcødé ✓"), false))}
			},
			files: []fileWant{{path: jobLog, kind: "kudu-log", status: "ok", lines: 21, err: `^decoded from UTF-16LE$`}},
			sql:   []sqlWant{{"select message from traces where line_no = 21", "Ünïcødé ✓"}},
		},
		{
			name: "UTF-16BE with BOM",
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, jobLog, utf16Of(log20, true))}
			},
			files: []fileWant{{path: jobLog, kind: "kudu-log", status: "ok", lines: 20, err: `^decoded from UTF-16BE$`}},
		},
		{
			name: "invalid UTF-8: bytes replaced, lines counted",
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, jobLog, []byte(log20+kuduLine(30, "bad \xff\xfe bytes")+kuduLine(31, "Latin-1 caf\xe9")))}
			},
			files: []fileWant{{path: jobLog, kind: "kudu-log", status: "ok", lines: 22, err: `^2 lines with invalid UTF-8 \(bytes replaced by U\+FFFD\)$`}},
			sql:   []sqlWant{{"select message from traces where line_no = 21", "bad \uFFFD bytes"}},
		},
		{
			name: "invalid UTF-8 outside the message (CSV instance and site columns)",
			input: func(t *testing.T, dir string) []string {
				csv := "date,level,applicationName,instanceId,eventTickCount,eventId,pid,tid,message,activityId\n" +
					"2026-11-19T21:40:07,Information,si\xfete,5e\x83c2a,638678412071234567,0,4312,1,21-40-07:12: hello,\n"
				return []string{writeInput(t, dir, "x.applicationLog.csv", []byte(csv))}
			},
			files: []fileWant{{path: "x.applicationLog.csv", kind: "app-log-csv", status: "ok", lines: 2}},
			sql:   []sqlWant{{"select f.site, t.instance from files f join traces t using (file_id)", "si\uFFFDte|5e\uFFFDc2a"}},
		},
		{
			name: "file and member names that are not UTF-8",
			input: func(t *testing.T, dir string) []string {
				writeInput(t, dir, "job_log_\xff.txt", []byte(log20))
				z := zipOf(t, member{name: "\x9aberblick/job_log.txt", data: log20 + "cp437\r\n"}) // "Überblick" in code page 437
				writeInput(t, dir, "bundle.zip", z)
				return nil
			},
			files: []fileWant{ok(`job_log_\xff.txt`, 20), ok(`bundle.zip!\x9aberblick/job_log.txt`, 21)},
		},
		{
			name: "NUL bytes",
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, jobLog, []byte(log20+kuduLine(30, "nul\x00here")))}
			},
			files: []fileWant{{path: jobLog, kind: "kudu-log", status: "ok", lines: 21, err: `^1 line with NUL bytes \(replaced by U\+FFFD\)$`}},
			sql:   []sqlWant{{"select message from traces where line_no = 21", "nul\uFFFDhere"}},
		},
		{
			name: "NUL padding at the end (a log preallocated by a crashed writer)",
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, jobLog, append([]byte(log20), make([]byte, 8192)...))}
			},
			files: []fileWant{{path: jobLog, kind: "kudu-log", status: "ok", lines: 21, rejected: 1,
				err: `^1 line with NUL bytes \(replaced by U\+FFFD\); 1 line rejected \(first: line 21, no text: only NUL or undecodable bytes \(padding of a file cut short\?\)\)$`}},
			sql: []sqlWant{{"select message from traces where line_no = 20", "Imported 140 hits of page views in chunk 20."}},
		},
		{
			name: "CR-only line ends",
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, jobLog, []byte(strings.ReplaceAll(log20, "\r\n", "\r")))}
			},
			files: []fileWant{{path: jobLog, kind: "kudu-log", status: "ok", lines: 20, err: `^CR line ends read as LF$`}},
		},
		{
			name: "mixed CRLF and LF",
			input: func(t *testing.T, dir string) []string {
				mixed := strings.Replace(log20, "\r\n", "\n", 7)
				return []string{writeInput(t, dir, jobLog, []byte(mixed))}
			},
			files: []fileWant{ok(jobLog, 20)},
			sql:   []sqlWant{{"select count(*) from traces where message like '%\r%'", "0"}},
		},

		// ---- long lines ----
		{
			name: "a 10 MB line: cut at --max-line, flagged truncated",
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, jobLog, []byte(log20+kuduLine(30, strings.Repeat("y", 10<<20))+kuduLine(31, "after")))}
			},
			files: []fileWant{{path: jobLog, kind: "kudu-log", status: "ok", lines: 22, err: `^1 line longer than 1048576 bytes cut \(traces.truncated\)$`}},
			sql: []sqlWant{{"select line_no, truncated, length(message) from traces where line_no > 20 order by 1",
				"21|true|1048526\n22|false|5"}},
		},
		{
			name: "a file without any newline",
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, jobLog, []byte(strings.TrimSuffix(kuduLine(1, strings.Repeat("z", 3<<20)), "\r\n")))}
			},
			files: []fileWant{{path: jobLog, kind: "kudu-log", status: "ok", lines: 1, err: `^1 line longer than 1048576 bytes cut`}},
			sql:   []sqlWant{{"select truncated, length(message) from traces", "true|1048526"}},
		},
		{name: "a 256 MB file without any newline: memory stays bounded", run: noNewlineMemory},
		{
			name: "text without any newline, not a log",
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, "blob.bin", bytes.Repeat([]byte("abcdefgh"), 1<<20))}
			},
			code: exitInputFailed, // nothing at all could be read
			files: []fileWant{{path: "blob.bin", kind: "unknown", status: "skipped",
				err: `^not a Kudu job log, application-log CSV or file-system application log \(first line: "abcdefgh.*\.\.\."\)$`}},
		},

		// ---- timestamps ----
		{
			name: "impossible timestamps (month 13, hour 25)",
			input: func(t *testing.T, dir string) []string {
				bad := "[13/19/2026 21:40:30 > 5e1c2a: INFO] month 13\r\n[11/19/2026 25:40:31 > 5e1c2a: INFO] hour 25\r\n"
				return []string{writeInput(t, dir, jobLog, []byte(log20+bad+kuduLine(40, "fine")))}
			},
			out: `(?m)^\s+kudu-log\s+1\s+23\s+21\s+2\s+0\s+21\s+.*\n(.*\n)*note: .*/job_log.txt: 2 lines rejected \(first: line 21, invalid timestamp in Kudu prefix\)$`,
			files: []fileWant{{path: jobLog, kind: "kudu-log", status: "ok", lines: 23, rejected: 2,
				err: `^2 lines rejected \(first: line 21, invalid timestamp in Kudu prefix\)$`}},
			sql: []sqlWant{{"select line_no, reason from rejects order by 1",
				"21|invalid timestamp in Kudu prefix\n22|invalid timestamp in Kudu prefix"}},
		},
		{
			name: "timestamps out of order",
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, jobLog, []byte(kuduLine(10, "a")+kuduLine(20, "b")+kuduLine(5, "c")+kuduLine(30, "d")))}
			},
			files: []fileWant{{path: jobLog, kind: "kudu-log", status: "ok", lines: 4,
				err: `^time goes back at 1 line \(the largest step: 15s back at line 3\); rows kept as logged$`}},
			sql: []sqlWant{{"select line_no, timestamp from traces order by 1",
				"1|2026-11-19 21:40:10\n2|2026-11-19 21:40:20\n3|2026-11-19 21:40:05\n4|2026-11-19 21:40:30"}},
		},
		{
			name: "DST-like jump: an hour back, then on",
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, jobLog, []byte(kuduLine(3600, "a")+kuduLine(3660, "b")+kuduLine(70, "c")+kuduLine(130, "d")))}
			},
			files: []fileWant{{path: jobLog, kind: "kudu-log", status: "ok", lines: 4,
				err: `^time goes back at 1 line \(the largest step: 59m50s back at line 3\); rows kept as logged$`}},
		},

		// ---- kinds ----
		{
			name: "file of an unknown kind",
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, "notes.md", []byte("# notes\nnothing here\n"))}
			},
			code:  exitInputFailed, // nothing at all could be read
			files: []fileWant{{path: "notes.md", kind: "unknown", status: "skipped", err: `^not a Kudu job log, application-log CSV or file-system application log \(first line: "# notes"\)$`}},
		},
		{
			name: "empty files",
			input: func(t *testing.T, dir string) []string {
				writeInput(t, dir, "empty.txt", nil)
				writeInput(t, dir, jobLog, nil)
				return nil
			},
			files: []fileWant{
				{path: "empty.txt", kind: "unknown", status: "skipped", err: `^empty file of no known kind$`},
				ok(jobLog, 0),
			},
		},
		// ---- runs that must survive (hostile_runs_test.go) ----
		{name: "a directory with 30,000 files", run: manySmallFiles, big: true},
		{name: "overlapping job_prev_log/job_log and application-log copies from two bundles of one site, ingested twice", run: overlappingBundles},
		{name: "SIGINT in the middle of ingest", run: interrupted(os.Interrupt), serial: true},
		{name: "SIGKILL in the middle of ingest", run: interrupted(os.Kill), serial: true},
		{name: "SIGKILL in the middle of an incremental blob ingest (--state)", run: killedBlobIngest, serial: true},
		{name: "two kudulens processes on one database", run: twoProcesses, serial: true},
		{name: "secrets planted everywhere reach no table, report or message", run: secretsCase},
		{
			name: "binary file",
			input: func(t *testing.T, dir string) []string {
				return []string{writeInput(t, dir, "core.dmp", append([]byte("MDMP\x93\xa7\x00\x00"), make([]byte, 1000)...))}
			},
			code:  exitInputFailed, // nothing at all could be read
			files: []fileWant{{path: "core.dmp", kind: "unknown", status: "skipped", err: `^binary file`}},
		},
	}
}

// TestHostileInputs runs the cases in parallel subtests, each in folders of its own with its
// own TMPDIR given through the command's environment. The serial runs (they time a signal
// against a reference run) go one after another inside one subtest of their own, which runs
// beside the others; it and the biggest run are started first. One after the other the table
// took over 7 minutes on a busy 2-core machine, near Go's 10-minute limit per package.
func TestHostileInputs(t *testing.T) {
	var serial, rest []hostileCase
	for _, c := range hostileCases() {
		switch {
		case c.serial:
			serial = append(serial, c)
		case c.big:
			rest = append([]hostileCase{c}, rest...)
		default:
			rest = append(rest, c)
		}
	}
	t.Run("serial runs", func(t *testing.T) {
		t.Parallel()
		for _, c := range serial {
			t.Run(c.name, func(t *testing.T) { runHostileCase(t, c) })
		}
	})
	for _, c := range rest {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runHostileCase(t, c)
		})
	}
}

// runHostileCase runs one case: its own run, or an ingest (twice) and the checks of the table.
func runHostileCase(t *testing.T, c hostileCase) {
	dir := t.TempDir()
	if c.run != nil {
		c.run(t, dir)
		return
	}
	in := filepath.Join(dir, "in")
	os.Mkdir(in, 0o755)
	tmp := filepath.Join(dir, "tmp")
	os.Mkdir(tmp, 0o755)
	env := map[string]string{"TMPDIR": tmp}
	sources := c.input(t, in)
	if sources == nil {
		sources = []string{in}
	}
	db := filepath.Join(dir, "k.duckdb")
	args := append([]string{"ingest", "--db", db}, c.flags...)
	code, stdout, stderr := runCLIEnv(t, env, append(args, sources...)...)
	if code != c.code {
		t.Errorf("exit code %d, want %d\n%s%s", code, c.code, stdout, stderr)
	}
	if c.out != "" && !regexp.MustCompile(c.out).MatchString(stdout+stderr) {
		t.Errorf("output does not match %q:\n%s%s", c.out, stdout, stderr)
	}
	checkDB(t, db, in, c)
	checkNothingWritten(t, dir)

	// Re-ingesting the same input adds nothing and says the same.
	before := tableCounts(t, db)
	code2, stdout2, stderr2 := runCLIEnv(t, env, append(args, sources...)...)
	if code2 != code {
		t.Errorf("re-ingest: exit code %d, first time %d\n%s%s", code2, code, stdout2, stderr2)
	}
	if after := tableCounts(t, db); after != before {
		t.Errorf("re-ingest added rows:\n before %s\n after  %s", before, after)
	}
}

// tableCounts renders the row count of every table.
func tableCounts(t *testing.T, db string) string {
	t.Helper()
	s, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return queryRows(t, s.DB(), `SELECT (SELECT count(*) FROM files), (SELECT count(*) FROM traces), (SELECT count(*) FROM exceptions),
		(SELECT count(*) FROM customEvents), (SELECT count(*) FROM rejects), (SELECT count(*) FROM job_status)`)
}

// checkDB compares the files rows and the queries of c, and checks the accounting of every file.
func checkDB(t *testing.T, db, in string, c hostileCase) {
	t.Helper()
	s, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.DB().Query(`SELECT path, kind, status, coalesce(error, ''), lines, parsed, rejected,
		(SELECT count(*) FROM rejects r WHERE r.file_id = f.file_id) FROM files f ORDER BY path`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]fileWant{} // by path and status
	var listing strings.Builder
	for rows.Next() {
		var f fileWant
		var parsed, nrej int64
		if err := rows.Scan(&f.path, &f.kind, &f.status, &f.err, &f.lines, &parsed, &f.rejected, &nrej); err != nil {
			t.Fatal(err)
		}
		f.path = strings.TrimPrefix(filepath.ToSlash(f.path), filepath.ToSlash(in)+"/")
		fmt.Fprintf(&listing, "  %s %s %s lines=%d parsed=%d rejected=%d: %s\n", f.path, f.kind, f.status, f.lines, parsed, f.rejected, f.err)
		if f.kind != "zip" && f.kind != "tar" && f.lines != parsed+f.rejected {
			t.Errorf("%s: lines %d != parsed %d + rejected %d", f.path, f.lines, parsed, f.rejected)
		}
		if nrej > f.rejected {
			t.Errorf("%s: %d rejects rows but %d rejected lines", f.path, nrej, f.rejected)
		}
		for _, o := range got[f.path+"|"+f.status] {
			if o.err == f.err {
				t.Errorf("%s listed twice with status %s and the same message", f.path, f.status)
			}
		}
		got[f.path+"|"+f.status] = append(got[f.path+"|"+f.status], f)
	}
	rows.Close()
	for _, w := range c.files {
		var g fileWant
		found := false
		for _, f := range got[w.path+"|"+w.status] {
			if g, found = f, true; w.err != "" && regexp.MustCompile(w.err).MatchString(f.err) {
				break
			}
		}
		if !found {
			t.Errorf("no files row %s with status %s", w.path, w.status)
			continue
		}
		if g.kind != w.kind {
			t.Errorf("%s: kind %s, want %s", w.path, g.kind, w.kind)
		}
		if w.err == "" && g.err != "" || w.err != "" && !regexp.MustCompile(w.err).MatchString(g.err) {
			t.Errorf("%s: error\n  %q\nwant match for\n  %q", w.path, g.err, w.err)
		}
		if w.lines >= 0 && g.lines != w.lines {
			t.Errorf("%s: %d lines, want %d", w.path, g.lines, w.lines)
		}
		if w.rejected >= 0 && g.rejected != w.rejected {
			t.Errorf("%s: %d rejected, want %d", w.path, g.rejected, w.rejected)
		}
	}
	for _, q := range c.sql {
		if got := queryRows(t, s.DB(), q.query); got != q.want {
			t.Errorf("%s:\n got %q\nwant %q", q.query, got, q.want)
		}
	}
	if t.Failed() {
		t.Logf("files:\n%s", listing.String())
	}
}

// queryRows runs q and renders its rows as values joined with "|", one row per line.
func queryRows(t *testing.T, db *gosql.DB, q string) string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, v := range vals {
			s := text(v)
			if tm, isTime := v.(interface{ Format(string) string }); isTime {
				s = tm.Format("2006-01-02 15:04:05")
			}
			parts = append(parts, s)
		}
		lines = append(lines, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// checkNothingWritten checks that the run wrote nothing but its database: no member was
// extracted, nothing escaped the folder, no temporary file was left.
func checkNothingWritten(t *testing.T, dir string) {
	t.Helper()
	for _, p := range []string{filepath.Join(dir, "escape.txt"), filepath.Join(filepath.Dir(dir), "escape.txt"), filepath.Join(dir, "up")} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if n := e.Name(); n != "in" && n != "tmp" && !strings.HasPrefix(n, "k.duckdb") {
			t.Errorf("unexpected file %s left in the run's folder", n)
		}
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}
