package main

import (
	"bytes"
	gosql "database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	klsql "github.com/kudulens/kudulens/sql"
)

// input is one generated file.
type input struct {
	path  string
	size  int64 // uncompressed bytes
	label string
}

// inputs of one size: the plain log and its .gz and .zst twins (same content).
type inputSet struct {
	name           string // "200MB"
	plain, gz, zst input
}

// result is one measured row.
type result struct {
	id, what   string
	in         input
	procs      int     // GOMAXPROCS (and DuckDB threads), 0 = not set
	wall, cpu  float64 // cpu: of the timed part for in-process rows, of the process otherwise
	rssKB      int64
	lines      int64
	cmd        string
	runs       int
	err        error
	inProcTime bool // wall is the child's own measurement of the timed part
	memRow     bool // a row of the memory-in-input-size table
	sites      int  // the fleet row: sites in the fleet
}

func (r *result) mbps() float64 {
	if r.wall == 0 {
		return 0
	}
	return float64(r.in.size) / 1e6 / r.wall
}

type bench struct {
	c       config
	self    string
	main    inputSet
	small   inputSet   // a quarter of the main size: the second point of the memory rows
	big     []inputSet // --full: 1 GB and 4 GB
	results []*result
	loadAvg [2]string // before, after
	started time.Time
	memRows bool   // rows being added now belong to the memory table
	before  func() // runs before each run of the rows being added now
}

func newBench(c config) (*bench, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	b := &bench{c: c, self: self, started: time.Now()}
	if err := os.MkdirAll(c.dataDir, 0o755); err != nil {
		return nil, err
	}
	size, err := parseSize(c.size)
	if err != nil {
		return nil, err
	}
	if b.main, err = b.generate(c.size, size, true); err != nil {
		return nil, err
	}
	small := fmt.Sprintf("%dMB", size/4/1e6)
	if b.small, err = b.generate(small, size/4, false); err != nil {
		return nil, err
	}
	if c.full {
		for _, s := range []string{"1GB", "4GB"} {
			n, _ := parseSize(s)
			set, err := b.generate(s, n, false)
			if err != nil {
				return nil, err
			}
			b.big = append(b.big, set)
		}
	}
	return b, nil
}

// generate writes kudu-NAME.log (and with compressed, .gz and .zst twins) with kudugen unless
// they exist. kudugen is deterministic: the same seed and size give the same bytes.
func (b *bench) generate(name string, size int64, compressed bool) (inputSet, error) {
	set := inputSet{name: name}
	base := filepath.Join(b.c.dataDir, fmt.Sprintf("kudu-%s-seed%d.log", name, b.c.seed))
	exts := []string{""}
	if compressed {
		exts = append(exts, ".gz", ".zst")
	}
	for _, ext := range exts {
		path := base + ext
		if _, err := os.Stat(path); err != nil {
			fmt.Fprintf(os.Stderr, "generating %s\n", path)
			// A fresh temporary name (not a fixed path.tmp), renamed into place when whole.
			tmp, err := os.CreateTemp(b.c.dataDir, "."+filepath.Base(path)+".tmp-*")
			if err != nil {
				return set, err
			}
			tmp.Close()
			cmd := exec.Command(b.c.kudugen, "--kind", "kudu", "--size", strconv.FormatInt(size, 10),
				"--seed", strconv.FormatUint(b.c.seed, 10), "--quiet", "--out", tmp.Name())
			if ext != "" {
				cmd.Args = append(cmd.Args, "--compress", map[string]string{".gz": "gzip", ".zst": "zstd"}[ext])
			}
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			if err := cmd.Run(); err != nil {
				os.Remove(tmp.Name())
				return set, fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), err)
			}
			if err := os.Rename(tmp.Name(), path); err != nil {
				return set, err
			}
		}
	}
	st, err := os.Stat(base)
	if err != nil {
		return set, err
	}
	set.plain = input{path: base, size: st.Size(), label: name}
	if compressed {
		set.gz = input{path: base + ".gz", size: st.Size(), label: name + " .gz"}
		set.zst = input{path: base + ".zst", size: st.Size(), label: name + " .zst"}
	}
	return set, nil
}

func (b *bench) db(name string) string { return filepath.Join(b.c.dataDir, name+".duckdb") }

// measure runs every row.
func (b *bench) measure() error {
	b.loadAvg[0] = loadAvg()
	m, s := b.main, b.small
	runs := b.c.runs
	lnavHome, lnavErr := b.lnavSetup()

	b.inProc("scan", "floor: Go 1 MiB reads + bytes.IndexByte line count", m.plain, 0, runs, "scan", m.plain.path)
	b.inProc("sha256", "floor: sha256 of the content (Ingest hashes every file on its read path)", m.plain, 0, runs, "sha256", m.plain.path)
	b.inProc("gunzip", "floor: gzip decompression alone (klauspost, as the pipeline)", m.gz, 0, runs, "gunzip", m.gz.path)
	b.inProc("unzstd", "floor: zstd decompression alone (klauspost, concurrency 1)", m.zst, 0, runs, "unzstd", m.zst.path)
	for _, p := range []int{1, 2} {
		b.inProc(fmt.Sprintf("parse-p%d", p), fmt.Sprintf("kudulens parse only, %d core(s)", p), m.plain, p, runs, "parse", m.plain.path)
	}
	for _, p := range []int{1, 2} {
		b.inProc(fmt.Sprintf("arrow-p%d", p), fmt.Sprintf("kudulens parse → Arrow batches, %d core(s)", p), m.plain, p, runs, "arrow", m.plain.path)
	}
	b.inProc("arrow-gz", "kudulens parse → Arrow batches, .gz input", m.gz, 2, runs, "arrow", m.gz.path)
	b.inProc("arrow-zst", "kudulens parse → Arrow batches, .zst input", m.zst, 2, runs, "arrow", m.zst.path)
	for _, t := range []string{"1", "2"} {
		b.inProc("load-floor-t"+t, "DuckDB load floor: one INSERT from the same rows as ready Arrow batches (db file), DuckDB threads = "+t,
			m.plain, 2, runs, "load-floor", b.db("floor"), m.plain.path, t, "full", "1")
	}
	// Two lanes: the batches dealt to two connections, loading at once with a DuckDB thread
	// each (as ingest loads a large file): the least of the load floors on two cores.
	b.inProc("load-floor-l2", "DuckDB load floor: the same batches on two lanes (two INSERTs at once, one DuckDB thread each), db file",
		m.plain, 2, runs, "load-floor", b.db("floor"), m.plain.path, "1", "full", "2")
	b.inProc("load-floor-compact", "DuckDB load floor of the compact record (every traces column as integer codes: floors.go) from ready Arrow batches (db file), two lanes",
		m.plain, 2, runs, "load-floor", b.db("floor"), m.plain.path, "1", "compact", "2")
	b.inProc("store-floor", "DuckDB store floor: only the time, text and line of every row from ready Arrow batches (db file), two lanes",
		m.plain, 2, runs, "load-floor", b.db("floor"), m.plain.path, "1", "min", "2")
	// The floors of ingest itself: parse and load overlapped, nothing else (floors.go).
	b.inProc("ingest-floor", "ingest floor: read, parse (2 cores) and load the full record on two lanes (two Arrow streams, one DuckDB thread each, as ingest), overlapped; nothing else",
		m.plain, 2, runs, "ingest-floor", b.db("floor"), m.plain.path, "full", "1", "2")
	b.inProc("ingest-floor-compact", "ingest floor of the compact record (every column as codes)",
		m.plain, 2, runs, "ingest-floor", b.db("floor"), m.plain.path, "compact", "1", "2")
	b.inProc("ingest-floor-min", "ingest floor storing only the time, text and line of every row",
		m.plain, 2, runs, "ingest-floor", b.db("floor"), m.plain.path, "min", "1", "2")
	b.inProc("duckdb-sql", "baseline: DuckDB SQL read_csv + regexp_extract + strptime into a table (db file)", m.plain, 2, runs, "duckdb-sql", b.db("sql"), m.plain.path)
	b.ingest("ingest", "kudulens ingest into a database file (default settings)", m.plain, runs)
	b.ingest("ingest-gz", "kudulens ingest, .gz input", m.gz, runs)
	b.external("diagnose", "kudulens diagnose end to end (ingest + every check + JSON report)", m.plain, runs, nil,
		b.c.kudulens, "diagnose", "--quiet", "--format", "json", "--fail-on", "never", "--out", os.DevNull, m.plain.path)
	// What the lean rows bought (store.Options.Lean): the same diagnosis keeping every line
	// whole, as a run with checks of the user's does (--checks of an empty folder adds none).
	noChecks := filepath.Join(b.c.dataDir, "no-checks")
	if err := os.MkdirAll(noChecks, 0o755); err != nil {
		return err
	}
	b.external("diagnose-whole", "kudulens diagnose keeping every line whole (no lean rows: --checks of an empty folder)", m.plain, runs, nil,
		b.c.kudulens, "diagnose", "--quiet", "--format", "json", "--fail-on", "never", "--out", os.DevNull, "--checks", noChecks, m.plain.path)
	b.checksRows(m.plain, runs)
	if lnavErr != nil {
		fmt.Fprintln(os.Stderr, "lnav rows skipped:", lnavErr)
	} else {
		env := []string{"HOME=" + lnavHome}
		b.external("lnav-count", "peer: lnav index + count (headless)", m.plain, runs, env,
			b.c.lnav, "-n", "-c", ";SELECT count(*) FROM kudu_log", m.plain.path)
		b.external("lnav-query", "peer: lnav index + one message query (headless)", m.plain, runs, env,
			b.c.lnav, "-n", "-c", ";SELECT count(*) FROM kudu_log WHERE log_body LIKE '%Got SQL error%'", m.plain.path)
	}
	// Memory in input size: a second, smaller input (and with --full, 1 GB and 4 GB), ingest and
	// diagnose with the settings a user gets.
	b.memRows = true
	sets := append([]inputSet{s}, b.big...)
	for _, set := range sets {
		b.inProc("parse-"+set.name, "kudulens parse only, 2 cores (memory in input size)", set.plain, 2, 1, "parse", set.plain.path)
	}
	for _, set := range append([]inputSet{m}, sets...) {
		b.ingest("ingest-"+set.name, "kudulens ingest, default settings (memory in input size)", set.plain, 1)
		b.external("diagnose-"+set.name, "kudulens diagnose, default settings (memory in input size)", set.plain, 1, nil,
			b.c.kudulens, "diagnose", "--quiet", "--format", "json", "--fail-on", "never", "--out", os.DevNull, set.plain.path)
	}
	if err := b.fleetRow(); err != nil {
		return err
	}
	b.loadAvg[1] = loadAvg()
	return nil
}

// fleetRow measures diagnose --fleet over generated sites (issue 17): SITES bundles of SIZE
// each, kudugen --kind bundle with seeds seed+1..seed+SITES (kept between runs like the other
// inputs), one run with --parallel 1. The rusage of the run covers its worker processes (one per
// site): CPU is all of them, peak RSS the largest of the run and its workers.
func (b *bench) fleetRow() error {
	if b.c.fleet == "" || !b.c.wants("fleet") {
		return nil
	}
	n, size, ok := strings.Cut(b.c.fleet, "x")
	sites, err := strconv.Atoi(n)
	if !ok || err != nil || sites < 1 {
		return fmt.Errorf("--fleet %q: want SITESxSIZE, e.g. 20x50MB", b.c.fleet)
	}
	bytesPer, err := parseSize(size)
	if err != nil {
		return fmt.Errorf("--fleet %q: %w", b.c.fleet, err)
	}
	dir := filepath.Join(b.c.dataDir, fmt.Sprintf("fleet-%dx%s-seed%d", sites, size, b.c.seed))
	var total int64
	for i := 1; i <= sites; i++ {
		site := filepath.Join(dir, fmt.Sprintf("site%03d", i))
		if _, err := os.Stat(site); err != nil {
			fmt.Fprintf(os.Stderr, "generating %s\n", site)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			// A fresh temporary folder, renamed into place when whole.
			tmp, err := os.MkdirTemp(dir, ".site-tmp-*")
			if err != nil {
				return err
			}
			cmd := exec.Command(b.c.kudugen, "--kind", "bundle", "--size", strconv.FormatInt(bytesPer, 10),
				"--seed", strconv.FormatUint(b.c.seed+uint64(i), 10), "--quiet", "--out", tmp)
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			if err := cmd.Run(); err != nil {
				os.RemoveAll(tmp)
				return fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), err)
			}
			if err := os.Rename(tmp, site); err != nil {
				return err
			}
		}
		err := filepath.WalkDir(site, func(_ string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				fi, err := d.Info()
				if err == nil {
					total += fi.Size()
				}
				return err
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	in := input{path: dir, size: total, label: fmt.Sprintf("%d sites × %s", sites, size)}
	b.external("fleet", "kudulens diagnose --fleet: every site diagnosed (each in a worker process), one summary", in, 1, nil,
		b.c.kudulens, "diagnose", "--fleet", dir, "--parallel", "1", "--quiet", "--format", "json", "--fail-on", "never", "--out", os.DevNull)
	if r := b.get("fleet"); r != nil {
		r.sites = sites
	}
	return nil
}

// checksRows measure the checks alone: diagnose --db on a database that holds the input, against
// one LIKE query over traces.message on the same database, both as the processes a user runs.
func (b *bench) checksRows(in input, runs int) {
	if !b.c.wants("diagnose-db") && !b.c.wants("like-query") && !b.c.wants("checks-queries") && !b.c.wants("diagnose-db-checkrows") {
		return
	}
	db := b.db("checks")
	os.Remove(db)
	os.Remove(db + ".wal")
	defer func() { os.Remove(db); os.Remove(db + ".wal") }()
	if out, err := exec.Command(b.c.kudulens, "ingest", "--quiet", "--db", db, in.path).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "checks rows skipped: ingest: %v: %s\n", err, out)
		return
	}
	// These rows take well under a second: on a shared machine, the fastest of three was often
	// a run slowed by other jobs (diagnose-db 0.38-0.45 s in make bench against 0.33-0.36 s in
	// alternated runs). Nine runs each cost a few seconds and give both sides of target 2 the
	// same chance.
	runs = max(runs, 9)
	b.external("like-query", "one LIKE query over traces.message on the ingested database (kudulens query --db)", in, runs, nil,
		b.c.kudulens, "query", "--db", db, "--format", "csv", "--sql", "select count(*) from traces where message like '%Got SQL error%'")
	b.external("diagnose-db", "kudulens diagnose --db: every check on the ingested database (JSON report)", in, runs, nil,
		b.c.kudulens, "diagnose", "--quiet", "--format", "json", "--fail-on", "never", "--out", os.DevNull, "--db", db)
	b.inProc("checks-queries", "the check files' queries alone: open the ingested database, each SQL check's query once (rows kept in DuckDB), the coverage and temp tables they read; no rule, health or report",
		in, 0, runs, "checks-queries", db)
	if !b.c.wants("diagnose-db-checkrows") {
		return
	}
	// The same diagnose on a copy whose traces holds only the lines the built-in checks read:
	// what the checks take if each read its rows alone (the coverage and health read fewer
	// rows too; job-not-running's unnamed jobs may differ). Not a floor: it tells how much of
	// diagnose-db is reading rows and how much is the rest.
	small := b.db("checkrows")
	os.Remove(small)
	os.Remove(small + ".wal")
	defer func() { os.Remove(small); os.Remove(small + ".wal") }()
	if err := copyCheckRows(db, small); err != nil {
		fmt.Fprintf(os.Stderr, "diagnose-db-checkrows skipped: %v\n", err)
		return
	}
	b.external("diagnose-db-checkrows", "diagnose --db on a copy of that database whose traces holds only the lines the built-in checks read (a signal, or a template a check names: 6% of them)", in, runs, nil,
		b.c.kudulens, "diagnose", "--quiet", "--format", "json", "--fail-on", "never", "--out", os.DevNull, "--db", small)
}

// copyCheckRows writes to dst a copy of the database src whose traces holds only the rows the
// built-in checks read (sql.CheckTemplates, or a signal); the other tables are whole.
func copyCheckRows(src, dst string) error {
	checkRows, err := klsql.CheckRowsFilter()
	if err != nil {
		return err
	}
	db, err := gosql.Open("duckdb", dst)
	if err != nil {
		return err
	}
	defer db.Close()
	stmts := []string{
		"ATTACH '" + strings.ReplaceAll(src, "'", "''") + "' AS src (READ_ONLY)",
		"COPY FROM DATABASE src TO " + strings.TrimSuffix(filepath.Base(dst), ".duckdb") + " (SCHEMA)",
	}
	for _, t := range []string{"meta", "files", "exceptions", "customEvents", "rejects", "job_status"} {
		stmts = append(stmts, "INSERT INTO "+t+" SELECT * FROM src."+t)
	}
	stmts = append(stmts, "INSERT INTO traces SELECT * FROM src.traces WHERE "+checkRows, "DETACH src", "CHECKPOINT")
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			return fmt.Errorf("%.60s: %w", q, err)
		}
	}
	return nil
}

// ingest runs kudulens ingest into a database file that each run starts without (a file seen
// before is only hashed: a second run into the same database measures nothing of the load).
func (b *bench) ingest(id, what string, in input, runs int, flags ...string) {
	db := b.db(id)
	removeDB := func() {
		os.Remove(db)
		os.Remove(db + ".wal")
	}
	args := append([]string{"ingest", "--quiet", "--db", db}, flags...)
	b.before = removeDB
	b.external(id, what, in, runs, nil, b.c.kudulens, append(args, in.path)...)
	b.before = nil
	if id == "ingest" && b.c.wants("reingest") {
		// The nightly case: the same file again, into the database that has it.
		b.external("reingest", "kudulens ingest of the same file again (into the database that has it: nothing new)", in, runs, nil, b.c.kudulens, append(args, in.path)...)
	}
	removeDB()
}

// inProc runs kudubench row ARGS in a child with GOMAXPROCS=procs (0: unset) runs times.
func (b *bench) inProc(id, what string, in input, procs, runs int, args ...string) {
	if !b.c.wants(id) {
		return
	}
	var env []string
	if procs > 0 {
		env = append(env, fmt.Sprintf("GOMAXPROCS=%d", procs))
	}
	r := &result{id: id, what: what, in: in, procs: procs, inProcTime: true}
	r.cmd = strings.TrimSpace(strings.Join(env, " ") + " kudubench row " + strings.Join(args, " "))
	b.repeat(r, runs, env, b.self, append([]string{"row"}, args...)...)
}

// external runs a program (kudulens, lnav) runs times; its wall time is the child's lifetime.
func (b *bench) external(id, what string, in input, runs int, env []string, prog string, args ...string) {
	if !b.c.wants(id) {
		return
	}
	r := &result{id: id, what: what, in: in}
	r.cmd = strings.TrimSpace(strings.Join(env, " ") + " " + filepath.Base(prog) + " " + quoteArgs(args))
	b.repeat(r, runs, env, prog, args...)
}

func (b *bench) repeat(r *result, runs int, env []string, prog string, args ...string) {
	r.memRow = b.memRows
	b.results = append(b.results, r)
	for i := 0; i < runs; i++ {
		if b.before != nil {
			b.before()
		}
		wall, cpu, rss, lines, err := b.child(r.inProcTime, env, prog, args...)
		if err != nil {
			r.err = err
			fmt.Fprintf(os.Stderr, "%-14s error: %v\n", r.id, err)
			return
		}
		if r.runs == 0 || wall < r.wall {
			r.wall, r.cpu, r.lines = wall, cpu, lines
		}
		if rss > r.rssKB {
			r.rssKB = rss
		}
		r.runs++
		fmt.Fprintf(os.Stderr, "%-14s %8.3f s %8.0f MB/s  cpu %6.2f s  rss %5d MB\n", r.id, wall, float64(r.in.size)/1e6/wall, cpu, rss/1024)
	}
}

// child runs one process and returns its wall time (the child's own for in-process rows),
// CPU time and peak RSS from wait4.
func (b *bench) child(inProcTime bool, env []string, prog string, args ...string) (wall, cpu float64, rssKB, lines int64, err error) {
	cmd := exec.Command(prog, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err = cmd.Run()
	wall = time.Since(start).Seconds()
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("%v: %s", err, lastLines(errb.String(), 5))
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu = tv(ru.Utime) + tv(ru.Stime)
	rssKB = ru.Maxrss
	if inProcTime {
		var rr rowResult
		if err := json.Unmarshal(out.Bytes(), &rr); err != nil {
			return 0, 0, 0, 0, fmt.Errorf("row output %q: %w", out.String(), err)
		}
		wall, cpu, lines = rr.Seconds, rr.CPU, rr.Lines
	}
	return wall, cpu, rssKB, lines, nil
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " ;'%*") {
			q[i] = `"` + a + `"`
		} else {
			q[i] = a
		}
	}
	return strings.Join(q, " ")
}

// lnavSetup installs our Kudu log format into a private lnav home under the data folder.
func (b *bench) lnavSetup() (string, error) {
	if b.c.lnav == "" {
		return "", fmt.Errorf("--lnav is empty")
	}
	if _, err := exec.LookPath(b.c.lnav); err != nil {
		return "", err
	}
	home, err := filepath.Abs(filepath.Join(b.c.dataDir, "lnav-home"))
	if err != nil {
		return "", err
	}
	os.MkdirAll(home, 0o755)
	cmd := exec.Command(b.c.lnav, "-i", "bench/lnav/kudu_log.json")
	cmd.Env = append(os.Environ(), "HOME="+home)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("lnav -i: %v: %s", err, out)
	}
	return home, nil
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// parseSize parses "200MB", "1GB" (powers of 1000), "64MiB" and plain byte counts.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}} {
		if strings.HasSuffix(s, u.suf) {
			mult, s = u.m, strings.TrimSuffix(s, u.suf)
			break
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return int64(v * float64(mult)), nil
}

var _ = runtime.NumCPU
