package store

import (
	"context"
	gosql "database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/kudulens/kudulens/parse"
	"github.com/kudulens/kudulens/pipeline/source"
	klsql "github.com/kudulens/kudulens/sql"
)

// SchemaVersion is stored in meta; a database written by an incompatible version is refused.
const SchemaVersion = "1"

// Store is a kudulens database: embedded DuckDB holding the tables of sql/schema.sql.
type Store struct {
	db     *gosql.DB
	path   string
	nextID atomic.Int32
	runID  int32
	dicts  *staticDicts
	// threads is the DuckDB thread count for queries; loads run with one (see LoadThreads).
	threads int

	mu      sync.Mutex
	claimed map[string]string // sha256 → path of files in the database or being committed
	sizes   map[int64]bool    // bytes of the files with rows in claimed (see mayHave)
	loaded  bool              // claimed holds the database's files (read once: the file is locked to us)

	// pumps are the Arrow views each driver connection loads batches through (pump.go);
	// releases frees their streams when the database is closed.
	pumps    map[driver.Conn]*pumpSet
	nextPump atomic.Int64
	releases []func()

	privateTemp string // DuckDB's spill folder of an in-memory database, removed on Close
	maxRatio    int64  // expansion bound of Parquet sources (Options.MaxRatio)
	opts        Options

	// checkTemplates tells, by template number, the templates the built-in checks read (see
	// FileTx.checkRows): worked out from the checks' SQL (~1 ms) at the first file that loads
	// through a FileTx, not at every Open (a fleet opens a database per site).
	checkTemplates func() ([]bool, error)

	// lean: this load keeps progress lines as lean rows (Options.Lean, lean.go) until
	// FinishLean; leanTemplates tells their templates by number, combos are the committed
	// files' kl_combos rows, nextCombo numbers them across files.
	lean          bool
	leanTemplates func() ([]bool, error)
	combos        []comboRow
	nextCombo     atomic.Int32
}

// Options configure DuckDB.
type Options struct {
	Threads     int    // DuckDB worker threads; 0 means GOMAXPROCS
	MemoryLimit string // DuckDB memory_limit, e.g. "1GB"; "" means DefaultMemoryLimit
	TempDir     string // where DuckDB spills; "" means next to the database (or DuckDB's default in memory)
	ReadOnly    bool
	// Temporary (with path "") makes the database a file in a private folder of the system's
	// temp folder, removed on Close: bounded memory where an in-memory database would grow
	// with the input.
	Temporary bool
	// MaxRatio bounds what a Parquet folder may expand to once read, as --max-ratio bounds a
	// compressed stream: rows × columns × 8 bytes at most MaxRatio times the files' size on
	// disk (past 64 MiB). 0 means DefaultMaxRatio.
	MaxRatio int64
	// Lean keeps the progress lines of job logs (sql.LeanTemplates) without their text, for a
	// database read by the report only (diagnose without --db or --checks): see lean.go. Only
	// for an in-memory or Temporary database; FinishLean ends the load.
	Lean bool
	// reopened is set by Reopen on a temporary database: the file is still ours, removed on
	// Close.
	reopened bool
}

// DefaultMaxRatio is the expansion bound of Parquet sources when Options.MaxRatio is 0 (the
// default of --max-ratio).
const DefaultMaxRatio = 1000

// DefaultMemoryLimit keeps DuckDB's share of a laptop modest; larger loads spill to disk. With
// 512 MB, Go's heap and what DuckDB keeps outside its pool, ingest stays under 1 GB of RSS at 4 GB
// of input (1 GB gave 1.3 GB; bench/RESULTS.md).
const DefaultMemoryLimit = "512MB"

// ErrDatabaseInUse means another process holds the database file.
var ErrDatabaseInUse = errors.New("database is in use by another process")

var lockPID = regexp.MustCompile(`\(PID (\d+)\)`)

// Open opens (creating if needed) the database at path; "" or ":memory:" is an in-memory
// database.
func Open(ctx context.Context, path string, o Options) (*Store, error) {
	if path == ":memory:" {
		path = ""
	}
	var privateTemp string // removed on Close
	scratch := o.reopened  // a database file of ours, removed on Close
	if path == "" && o.Temporary {
		d, err := os.MkdirTemp("", "kudulens-duckdb-")
		if err != nil {
			return nil, fmt.Errorf("open a temporary database: %w", err)
		}
		// DuckDB spills beside the file, inside the private folder.
		path, privateTemp, scratch = filepath.Join(d, "run.duckdb"), d, true
	}
	threads := o.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	mem := o.MemoryLimit
	if mem == "" {
		mem = DefaultMemoryLimit
	}
	dsn := path
	if o.ReadOnly && path != "" {
		dsn += "?access_mode=read_only"
	}
	settings := []string{
		fmt.Sprintf("SET threads = %d", threads),
		fmt.Sprintf("SET memory_limit = '%s'", strings.ReplaceAll(mem, "'", "")),
		// No network: extensions that are not built in must fail, not download.
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		// A bulk load writes each row group to the file as it fills, not five at a time
		// (DuckDB's default): what a lane buffered was compressed and written in its COMMIT,
		// one lane after the other, after the parsing had ended. 200 MB bench log, alternated
		// runs: ingest 2.19 -> 2.08 s, RSS 438 -> 414 MB; 1 GB: ingest 10.4 -> 9.6 s, RSS
		// 740 -> 700 MB.
		"SET write_buffer_row_group_count = 1",
	}
	if scratch {
		// diagnose's temporary database is removed on Close: nothing in it needs to reach
		// stable storage, and waiting for it to (the sync at each COMMIT and checkpoint) only
		// made the run longer. A database the user names (--db) keeps DuckDB's default.
		// diagnose on the 200 MB bench log with the buffer above: 2.88 -> 2.51 s; 1 GB:
		// 13.7 -> 11.5 s, RSS 748 -> 684 MB.
		settings = append(settings, "SET fsync_mode = 'NONE'")
	}
	if o.reopened {
		// Reopened for the checks, which write nothing that outlives them: a checkpoint on
		// Close would only write the file that is removed next (diagnose on the 200 MB bench
		// log: close 73 -> 27 ms). The loading instance does checkpoint on its Close, so that
		// the checks read compressed row groups, not a WAL replayed into memory.
		settings = append(settings, "PRAGMA disable_checkpoint_on_shutdown")
	}
	tempDir := o.TempDir
	if tempDir == "" && path == "" {
		// An in-memory database spills past memory_limit into DuckDB's default temp_directory,
		// ".tmp" in the current folder: a report run from a customer's folder or a read-only
		// one would write there. Spill into a private folder of the system's temp instead,
		// removed on Close.
		d, err := os.MkdirTemp("", "kudulens-duckdb-")
		if err != nil {
			return nil, fmt.Errorf("open in-memory database: %w", err)
		}
		tempDir, privateTemp = d, d
	}
	if tempDir != "" {
		settings = append(settings, fmt.Sprintf("SET temp_directory = '%s'", strings.ReplaceAll(tempDir, "'", "''")))
	}
	// What DuckDB spills may use half the free space where it spills, not DuckDB's default 90%:
	// a small crafted input must not fill the disk of the laptop it is read on (issue 18,
	// item 14b). A run past the bound fails with DuckDB's "out of temp space" message.
	spillDir := tempDir
	if spillDir == "" && path != "" {
		spillDir = filepath.Dir(path)
	}
	if free, ok := freeBytes(spillDir); ok && spillDir != "" {
		settings = append(settings, fmt.Sprintf("SET max_temp_directory_size = '%dB'", max(free/2, 1<<20)))
	}
	// The settings are the database's, not a connection's: they are set on the first
	// connection only. Set again on each new one, they failed once DuckDB had spilled ("Cannot
	// switch temporary directory after the current one has been used": diagnose --db :memory:
	// of a 200 MB log ended with exit 4 when the checks opened their connections), and a file
	// opened during a load would have set threads back from LoadThreads' one.
	var settingsMu sync.Mutex
	settingsDone := false
	connector, err := duckdb.NewConnector(dsn, func(ex driver.ExecerContext) error {
		settingsMu.Lock()
		defer settingsMu.Unlock()
		if settingsDone {
			return nil
		}
		for _, s := range settings {
			if _, err := ex.ExecContext(ctx, s, nil); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		settingsDone = true
		return nil
	})
	if err != nil {
		if privateTemp != "" {
			os.RemoveAll(privateTemp)
		}
		return nil, openError(path, err)
	}
	db := gosql.OpenDB(connector)
	s := &Store{db: db, path: path, dicts: newStaticDicts(), claimed: map[string]string{}, threads: threads,
		pumps: map[driver.Conn]*pumpSet{}, privateTemp: privateTemp, maxRatio: o.MaxRatio, opts: o}
	if s.maxRatio <= 0 {
		s.maxRatio = DefaultMaxRatio
	}
	s.checkTemplates = sync.OnceValues(checkTemplateMask)
	s.leanTemplates = sync.OnceValues(func() ([]bool, error) {
		check, err := s.checkTemplates()
		if err != nil {
			return nil, err
		}
		return leanTemplateMask(check), nil
	})
	s.lean = o.Lean && (path == "" || scratch) // a database of the run's own only
	// A connection keeps its Arrow views (pump.go) for its lifetime: keep connections open
	// instead of closing and re-opening them between files.
	db.SetMaxIdleConns(4*threads + 4)
	// A reopened database of ours has the schema: this process wrote it (and traces may be
	// the view of a lean load, which the schema's ALTER TABLE would refuse).
	if err := s.init(ctx, o.ReadOnly || o.reopened); err != nil {
		s.Close()
		return nil, openError(path, err)
	}
	if s.lean {
		if _, err := db.ExecContext(ctx, createBulkSQL); err != nil {
			s.Close()
			return nil, openError(path, err)
		}
	}
	// The catalog of the Arrow views (pump.go), attached once for every connection: attached
	// per connection, two loads starting together raced ("database with name kl_mem already
	// exists") and one run ended with exit 4.
	if _, err := db.ExecContext(ctx, "ATTACH IF NOT EXISTS ':memory:' AS "+pumpCatalog); err != nil {
		s.Close()
		return nil, openError(path, err)
	}
	return s, nil
}

func openError(path string, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "Could not set lock on file") || strings.Contains(msg, "Conflicting lock") {
		who := "another process"
		if m := lockPID.FindStringSubmatch(msg); m != nil {
			who = "process " + m[1]
		}
		return fmt.Errorf("open %s: %w (%s holds it; wait for it to finish or use another --db)", path, ErrDatabaseInUse, who)
	}
	if path == "" {
		path = "in-memory database"
	}
	return fmt.Errorf("open %s: %w", path, err)
}

func (s *Store) init(ctx context.Context, readOnly bool) error {
	if !readOnly {
		if _, err := s.db.ExecContext(ctx, klsql.Schema); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
		// A database written before traces.signals existed: tag its rows as the parser would.
		if _, err := s.db.ExecContext(ctx, klsql.FillSignals); err != nil {
			return fmt.Errorf("compute traces.signals: %w", err)
		}
		var v gosql.NullString
		err := s.db.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'schema_version'").Scan(&v)
		switch {
		case errors.Is(err, gosql.ErrNoRows):
			if _, err := s.db.ExecContext(ctx, "INSERT INTO meta VALUES ('schema_version', ?)", SchemaVersion); err != nil {
				return err
			}
		case err != nil:
			return err
		case v.String != SchemaVersion:
			return fmt.Errorf("schema version %s, this kudulens writes %s: use a new --db file", v.String, SchemaVersion)
		}
		if err := s.dropUnfinishedLoads(ctx); err != nil {
			return err
		}
	}
	var maxID, maxRun gosql.NullInt64
	if err := s.db.QueryRowContext(ctx, "SELECT max(file_id), max(run_id) FROM files").Scan(&maxID, &maxRun); err != nil {
		return err
	}
	s.nextID.Store(int32(maxID.Int64))
	s.runID = int32(maxRun.Int64) + 1
	return nil
}

// LoadThreads switches DuckDB to one thread while files load, and back to the configured
// count for the queries after (Merge, checks). An INSERT from one Arrow stream is a single
// pipeline that one thread runs; in DuckDB 1.1 the calling thread then polls for tasks
// (PendingQueryResult::ExecuteTask: a mutex lock/unlock loop) while a worker thread runs it.
// The poll costs a whole core, which the parse workers need: loading a 200 MB Kudu log took
// 8.6 s of CPU with 2 threads and 4.5 s with 1, in less wall time. Concurrent files still load
// in parallel, each on its own connection's thread. threads is a global setting.
func (s *Store) LoadThreads(ctx context.Context, loading bool) error {
	n := s.threads
	if loading {
		n = 1
	}
	_, err := s.db.ExecContext(ctx, fmt.Sprintf("SET threads = %d", n))
	return err
}

// DB returns the database handle, for queries.
func (s *Store) DB() *gosql.DB { return s.db }

// Close closes the database (checkpointing it).
func (s *Store) Close() error {
	// The INSERTs prepared on the connections first: a prepared statement keeps its
	// connection, and so the database, open.
	s.mu.Lock()
	for _, set := range s.pumps {
		for q, st := range set.stmts {
			st.Close()
			delete(set.stmts, q)
		}
	}
	s.mu.Unlock()
	err := s.db.Close()
	// The views went with the database; their streams can be freed now (never before a view
	// is gone: stack-notes A3).
	for _, release := range s.releases {
		release()
	}
	s.releases = nil
	if s.privateTemp != "" {
		os.RemoveAll(s.privateTemp)
	}
	return err
}

// checkTemplateMask is sql.CheckTemplates by template number.
func checkTemplateMask() ([]bool, error) {
	ids, err := klsql.CheckTemplates()
	if err != nil {
		return nil, fmt.Errorf("the checks' templates: %w", err)
	}
	mask := make([]bool, len(parse.TemplateIDs()))
	for _, id := range ids {
		mask[parse.TemplateNumber(id)] = true
	}
	return mask, nil
}

// Reopen closes a database file and opens it again, for the queries that follow a large
// load: DuckDB ran the checks of the 200 MB bench log ~0.15 s slower in the instance that had
// loaded the rows than in a new one on the same file (0.73-0.81 against 0.56-0.70 s, with
// ~0.05 s for closing and opening), whether checkpointed or not. s is closed, also on error;
// an in-memory database (no file) is returned as it is.
func (s *Store) Reopen(ctx context.Context) (*Store, error) {
	if s.path == "" {
		return s, nil
	}
	private := s.privateTemp
	s.privateTemp = "" // the file in it stays
	if err := s.Close(); err != nil {
		os.RemoveAll(private)
		return nil, fmt.Errorf("reopen %s: %w", s.path, err)
	}
	o := s.opts
	o.Temporary, o.reopened, o.Lean = false, private != "", false
	n, err := Open(ctx, s.path, o)
	if err != nil {
		os.RemoveAll(private)
		return nil, err
	}
	n.privateTemp = private
	return n, nil
}

// RunID is the id this process gives the files it ingests.
func (s *Store) RunID() int32 { return s.runID }

// FileRow is a files table row.
type FileRow struct {
	ID          int32
	Path        string
	Container   string
	Kind        source.Kind
	Compression string
	Bytes       int64
	SHA256      string
	Job         string
	Site        string
	Stats       parse.Stats
	Merged      int64
	Traces      int64
	Exceptions  int64
	Events      int64
	Status      string // ok | partial | failed | skipped
	Error       string
	// Modified is the file's modification time from its source (zero if unknown): for a
	// status file, when Kudu wrote the status (the lake partitions job_status by it).
	Modified time.Time
}

// NewFileID returns the next files.file_id.
func (s *Store) NewFileID() int32 { return s.nextID.Add(1) }

// Claim records that sha is being committed for path; it returns the path that claimed it
// first ("" if none), in this process or in the database. The database's files are read
// once: no other process can write to the file while this one has it open.
//
// Logs are identified by content alone: the same job_log.txt in two bundles is one file. Files
// without rows of their own (status files, skipped files) are identified by content and where
// they sit in the site (the last folders of the path, see siteTail): two jobs' status files
// often hold the same bytes ({"Status":"Running"}) and both count, while the same bundle read
// as a zip and then as its extracted folder holds each status file once (else a job shows its
// PendingRestart twice). So are empty files: an empty job_log.txt says something about its
// job, however many there are.
func (s *Store) Claim(ctx context.Context, r *FileRow) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadClaims(ctx); err != nil {
		return "", err
	}
	key := claimKey(r.SHA256, r.Path, r.Kind)
	if p, ok := s.claimed[key]; ok {
		return p, nil
	}
	s.claimed[key] = r.Path
	if r.Kind.HasRows() {
		s.sizes[r.Bytes] = true
	}
	return "", nil
}

// loadClaims reads the database's files into claimed, once. s.mu is held.
func (s *Store) loadClaims(ctx context.Context) error {
	if s.loaded {
		return nil
	}
	s.sizes = map[int64]bool{}
	rows, err := s.db.QueryContext(ctx, "SELECT sha256, path, kind, coalesce(bytes, -1) FROM files WHERE sha256 IS NOT NULL ORDER BY file_id")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var h, p, k string
		var n int64
		if err := rows.Scan(&h, &p, &k, &n); err != nil {
			return err
		}
		if key := claimKey(h, p, source.Kind(k)); s.claimed[key] == "" {
			s.claimed[key] = p
		}
		if source.Kind(k).HasRows() {
			s.sizes[n] = true
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.loaded = true
	return nil
}

// MayHave reports whether a file with rows of this many bytes is in the database or being
// committed: only then is hashing a big file before parsing it worth a second read.
func (s *Store) MayHave(ctx context.Context, bytes int64) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadClaims(ctx); err != nil {
		return false, err
	}
	return s.sizes[bytes], nil
}

// Seen returns the path that claimed r's content ("" if none), without claiming it.
func (s *Store) Seen(r *FileRow) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.claimed[claimKey(r.SHA256, r.Path, r.Kind)]
}

// emptySHA256 is the SHA-256 of no bytes.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// claimKey is what identifies a file (see claim).
func claimKey(sha, path string, k source.Kind) string {
	if !k.HasRows() || sha == emptySHA256 {
		return sha + "\x00" + siteTail(path)
	}
	return sha
}

// siteTail is the last four elements of a display path ('/', '\\' and the archive separator
// '!' all separate): where a file sits in a site's folders (jobs/continuous/<job>/status_<instance>),
// the same whether it was read from a bundle or from the bundle's extracted folder.
func siteTail(path string) string {
	const keep = 4
	n := 0
	for i := len(path) - 1; i >= 0; i-- {
		switch path[i] {
		case '/', '\\', '!':
			n++
			if n == keep {
				return sameSeparators(path[i+1:])
			}
		}
	}
	return sameSeparators(path)
}

func sameSeparators(p string) string {
	return strings.Map(func(r rune) rune {
		if r == '\\' || r == '!' {
			return '/'
		}
		return r
	}, p)
}

func (s *Store) unclaim(r *FileRow) {
	s.mu.Lock()
	delete(s.claimed, claimKey(r.SHA256, r.Path, r.Kind))
	s.mu.Unlock()
}

// FileTx loads one file inside one transaction on its own connection, so an interrupted run
// leaves no half-loaded file behind.
//
// A large file may load on more lanes (AddLane): DuckDB appends the rows of one statement on
// one thread, and the rows of a 200 MB log kept that thread busy for most of the ingest while
// the other core waited. Each lane is a connection with a transaction of its own. At Commit the
// lanes commit first, each marking the file as loading in meta; the file's own transaction
// then commits its files row, and the marks go. A run that dies between the two leaves rows
// of a file without a files row, under a mark: Open deletes them (dropUnfinishedLoads).
type FileTx struct {
	s      *Store
	conn   *gosql.Conn
	row    *FileRow
	source string // traces.source: job-log | app-log
	open   bool

	// Inferring: a Kudu log outside its job folder, whose content will name its job when the
	// whole file is read. The guess (SetGuess) is the job the lines loaded so far name; the
	// rows without a job are inserted with it, so that commit has only the rows loaded before
	// the guess to set (or, rarely, a wrong guess to take back) instead of every such row.
	Inferring bool

	mu    sync.Mutex // guards guess, lanes and checkRows: the lanes load concurrently
	guess string
	lanes []*Lane

	// checkRows gathers the file's rows that the built-in checks read (a signal, or a template
	// a check names: sql.CheckTemplates), loaded together when checkRowsBatch of them are in
	// and at Commit. Left among the others, the few hundred rows of a check lie in most of the
	// table's vectors, and a check's query read its columns nearly as if it read every row:
	// diagnose --db of the 200 MB bench log 0.48 -> 0.40 s with the same rows gathered.
	checkRows     *parse.Batch
	checkTemplate []bool // Store.checkTemplates

	combos map[comboKey]int32 // the file's lean-row combos (lean.go), under mu
}

// checkRowsBatch is how many gathered check rows are loaded at once.
const checkRowsBatch = 32 << 10

// Lane loads batches of a FileTx's file on a connection and in a transaction of its own.
type Lane struct {
	ft        *FileTx
	conn      *gosql.Conn
	open      bool
	committed bool // its rows are in, under its loading mark
}

// SetGuess gives the rows without a job inserted from now on the job guessed from the lines
// loaded so far.
func (ft *FileTx) SetGuess(job string) {
	ft.mu.Lock()
	ft.guess = job
	ft.mu.Unlock()
}

// Guess returns the job set by SetGuess, "" before.
func (ft *FileTx) Guess() string {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return ft.guess
}

// BeginFile starts the transaction of one file on conn.
func (s *Store) BeginFile(ctx context.Context, conn *gosql.Conn, row *FileRow) (*FileTx, error) {
	checkTemplate, err := s.checkTemplates()
	if err != nil {
		return nil, err
	}
	if err := s.preparePumps(ctx, conn); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	ft := &FileTx{s: s, conn: conn, row: row, open: true, source: "job-log", checkTemplate: checkTemplate}
	if row.Kind == source.KindAppLogCSV || row.Kind == source.KindAppLogText {
		ft.source = "app-log"
	}
	return ft, nil
}

// AddBatch inserts the rows of b in the file's transaction.
func (ft *FileTx) AddBatch(ctx context.Context, b *parse.Batch) error {
	return ft.addBatch(ctx, ft.conn, b)
}

// AddLane opens one more lane for the file's batches: a connection of the pool, in a
// transaction of its own. Lanes may load concurrently with each other and with the FileTx.
func (ft *FileTx) AddLane(ctx context.Context) (*Lane, error) {
	conn, err := ft.s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if err := ft.s.preparePumps(ctx, conn); err != nil {
		conn.Close()
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("begin: %w", err)
	}
	l := &Lane{ft: ft, conn: conn, open: true}
	ft.mu.Lock()
	ft.lanes = append(ft.lanes, l)
	ft.mu.Unlock()
	return l, nil
}

// AddBatch inserts the rows of b in the lane's transaction.
func (l *Lane) AddBatch(ctx context.Context, b *parse.Batch) error {
	return l.ft.addBatch(ctx, l.conn, b)
}

func (ft *FileTx) addBatch(ctx context.Context, conn *gosql.Conn, b *parse.Batch) error {
	if full := ft.gatherCheckRows(b); full != nil {
		if err := ft.insertTraces(ctx, conn, full); err != nil {
			return err
		}
	}
	lean, err := ft.takeLean(b)
	if err != nil {
		return err
	}
	if lean != nil {
		if err := ft.insertLean(ctx, conn, lean); err != nil {
			return err
		}
	}
	if err := ft.insertTraces(ctx, conn, b); err != nil {
		return err
	}
	if b.Events.Len() > 0 {
		if err := ft.insertRecord(ctx, conn, eventsRecord(b), insertEventsSQL, ft.row.ID, ft.row.Path); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
	}
	if b.Exceptions.Len() > 0 {
		if err := ft.insertRecord(ctx, conn, exceptionsRecord(b), insertExceptionsSQL, ft.row.ID, ft.row.Path); err != nil {
			return fmt.Errorf("insert exceptions: %w", err)
		}
	}
	if len(b.Rejects) == 0 {
		return nil
	}
	return conn.Raw(func(dc any) error {
		c := dc.(driver.Conn)
		if len(b.Rejects) > 0 {
			if err := appendRows(c, "rejects", len(b.Rejects), func(i int) []driver.Value {
				r := &b.Rejects[i]
				return []driver.Value{ft.row.ID, ft.row.Path, r.LineNo, r.Reason, r.Raw}
			}); err != nil {
				return err
			}
		}
		return nil
	})
}

// gatherCheckRows moves the rows of b that the checks read into ft.checkRows, and returns
// the gathered rows once there are checkRowsBatch of them, to be loaded (nil until then).
func (ft *FileTx) gatherCheckRows(b *parse.Batch) *parse.Batch {
	t := &b.Traces
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if ft.checkRows == nil {
		ft.checkRows = parse.NewBatch(checkRowsBatch)
	}
	t.MoveRows(&ft.checkRows.Traces, func(i int) bool {
		return t.Signals[i] != 0 || ft.checkTemplate[t.Template[i]]
	})
	if ft.checkRows.Traces.Len() < checkRowsBatch {
		return nil
	}
	full := ft.checkRows
	ft.checkRows = nil
	return full
}

// insertTraces inserts the traces rows of b.
func (ft *FileTx) insertTraces(ctx context.Context, conn *gosql.Conn, b *parse.Batch) error {
	if b.Traces.Len() == 0 {
		return nil
	}
	var err error
	if guess := ft.Guess(); guess != "" {
		err = ft.insertRecord(ctx, conn, tracesRecord(b, ft.s.dicts), insertTracesGuessSQL,
			parse.OperationName(guess), guess, ft.source, ft.row.ID, ft.row.Path)
	} else {
		err = ft.insertRecord(ctx, conn, tracesRecord(b, ft.s.dicts), insertTracesSQL, ft.source, ft.row.ID, ft.row.Path)
	}
	if err != nil {
		return fmt.Errorf("insert traces: %w", err)
	}
	return nil
}

const insertTracesSQL = `INSERT INTO traces (timestamp, operation_Name, job, job_source, instance, level, is_system,
    severityLevel, message, app_time, template, source, pid, truncated, msg_hash, file_id, source_file, line_no, line_count, signals)
SELECT ts, operation, job, job_source, instance, level, is_system, severity, message, app_time, template,
    ?, pid, truncated, msg_hash, ?, ?, line_no, line_count, signals FROM `

// insertTracesGuessSQL is insertTracesSQL giving rows without a job the guessed job (the
// parameters before the others: its operation, the job), as fixInferredJob would.
const insertTracesGuessSQL = `INSERT INTO traces (timestamp, operation_Name, job, job_source, instance, level, is_system,
    severityLevel, message, app_time, template, source, pid, truncated, msg_hash, file_id, source_file, line_no, line_count, signals)
SELECT ts, CASE WHEN job IS NULL THEN coalesce(operation, ?::VARCHAR) ELSE operation END, coalesce(job, ?::VARCHAR),
    CASE WHEN job IS NULL THEN 'content' ELSE job_source END, instance, level, is_system, severity, message, app_time,
    template, ?, pid, truncated, msg_hash, ?, ?, line_no, line_count, signals FROM `

const insertExceptionsSQL = `INSERT INTO exceptions (timestamp, operation_Name, job, instance, origin, inferred_by,
    outerType, outerMessage, innermostType, innermostMessage, details, frames, severityLevel, file_id, source_file,
    line_no, line_count)
SELECT ts, operation, job, instance, origin, inferred_by, outer_type, outer_message, innermost_type, innermost_message,
    details, frames, severity, ?, ?, line_no, line_count FROM `

const insertEventsSQL = `INSERT INTO customEvents (timestamp, operation_Name, job, instance, name, section, duration_s,
    properties, file_id, source_file, line_no)
SELECT ts, operation, job, instance, name, section, duration_s, properties, ?, ?, line_no FROM `

// insertRecord runs insert (which ends in FROM) on rec through conn's registered Arrow view,
// and releases rec.
func (ft *FileTx) insertRecord(ctx context.Context, conn *gosql.Conn, rec arrow.Record, insert string, args ...any) error {
	defer rec.Release()
	return ft.s.insertRecord(ctx, conn, rec, insert, args...)
}

// Commit writes the files row and commits, or rolls back when the content was ingested
// before (dup is then the path it was ingested from). The lanes commit first (see FileTx).
func (ft *FileTx) Commit(ctx context.Context) (dup string, err error) {
	row := ft.row
	if row.SHA256 != "" {
		if dup, err = ft.s.Claim(ctx, row); err != nil {
			ft.Rollback()
			return "", err
		}
		if dup != "" {
			ft.Rollback()
			return dup, nil
		}
	}
	fail := func(err error) (string, error) {
		ft.Rollback()
		ft.s.unclaim(row)
		if ft.lanesCommitted() {
			// Rows of committed lanes: taken out now, or by the next Open (their mark stays
			// if this fails too).
			if derr := ft.s.dropLoad(context.Background(), row.ID); derr != nil {
				err = fmt.Errorf("%w (and removing its rows: %v)", err, derr)
			}
		}
		return "", err
	}
	// the check rows gathered last, in the file's own transaction (the lanes are done)
	if rest := ft.checkRows; rest != nil {
		ft.checkRows = nil
		if err := ft.insertTraces(ctx, ft.conn, rest); err != nil {
			return fail(err)
		}
	}
	for i, l := range ft.lanes {
		if err := ft.fixInferredJob(ctx, l.conn); err != nil {
			return fail(err)
		}
		if _, err := l.conn.ExecContext(ctx, "INSERT INTO meta VALUES (?, ?)", loadingKey(row.ID, i), row.Path); err != nil {
			return fail(fmt.Errorf("mark %s as loading: %w", row.Path, err))
		}
		l.open = false
		if _, err := l.conn.ExecContext(ctx, "COMMIT"); err != nil {
			return fail(fmt.Errorf("commit %s: %w", row.Path, err))
		}
		l.committed = true
	}
	if err := ft.s.insertFileRow(ctx, ft.conn, row); err != nil {
		return fail(err)
	}
	if err := ft.fixInferredJob(ctx, ft.conn); err != nil {
		return fail(err)
	}
	ft.open = false
	if _, err := ft.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fail(fmt.Errorf("commit %s: %w", row.Path, err))
	}
	ft.keepCombos()
	if len(ft.lanes) > 0 {
		// The file's rows are all in: its marks go (a mark left here by a failure is taken
		// by the next Open, which finds the files row and keeps the rows).
		if _, err := ft.conn.ExecContext(ctx, "DELETE FROM meta WHERE key LIKE ?", loadingPrefix(row.ID)+"%"); err != nil {
			return "", fmt.Errorf("commit %s: %w", row.Path, err)
		}
	}
	return "", nil
}

// loadingKey is the meta key a lane marks its file's rows with until the file's own commit.
func loadingKey(fileID int32, lane int) string {
	return fmt.Sprintf("%s%d", loadingPrefix(fileID), lane)
}

func loadingPrefix(fileID int32) string { return fmt.Sprintf("loading %d lane ", fileID) }

// loadingMarks matches every loading mark (LIKE).
const loadingMarks = "loading % lane %"

func (ft *FileTx) lanesCommitted() bool {
	for _, l := range ft.lanes {
		if l.committed {
			return true
		}
	}
	return false
}

// fixInferredJob sets the job of a Kudu log whose folder did not name it, once its content
// has (the rows were inserted with no job), in the transaction on conn: the file's own or a
// lane's, each holding its own rows.
func (ft *FileTx) fixInferredJob(ctx context.Context, conn *gosql.Conn) error {
	row := ft.row
	guess := ft.Guess()
	if (row.Job == "" && guess == "") || row.Kind != source.KindKuduLog || row.Status == "failed" {
		return nil
	}
	if guess != "" && guess != row.Job {
		// The whole file names another job than its first lines did (rare): take back what
		// the guess set. Those rows had neither job nor operation.
		var job, op, src any // NULL when no job is inferred
		if row.Job != "" {
			job, op, src = row.Job, parse.OperationName(row.Job), "content"
		}
		if _, err := conn.ExecContext(ctx, "UPDATE traces SET job = ?, operation_Name = ?, job_source = ? WHERE file_id = ? AND job_source = 'content'",
			job, op, src, row.ID); err != nil {
			return fmt.Errorf("set inferred job: %w", err)
		}
	}
	if row.Job == "" {
		return nil
	}
	// Rows that had no job: still without one, or given the (right) guess.
	var n int64
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM traces WHERE file_id = ? AND (job IS NULL OR job_source = 'content')",
		row.ID).Scan(&n); err != nil || n == 0 {
		return err
	}
	job, op, id := row.Job, parse.OperationName(row.Job), row.ID
	for _, st := range []struct {
		q    string
		args []any
	}{
		// Only the rows loaded before the guess (or all of a file too short for one) are
		// left here. An UPDATE of VARCHAR columns keeps the new values in DuckDB's in-memory
		// update segments, outside memory_limit (about 500 bytes per row: +370 MB RSS at the
		// commit of a 1 GB log when all its 700 k unattributed rows were set here).
		{"UPDATE traces SET job = ?, operation_Name = coalesce(operation_Name, ?), job_source = 'content' WHERE file_id = ? AND job IS NULL",
			[]any{job, op, id}},
		{"UPDATE exceptions SET job = ?, operation_Name = coalesce(operation_Name, ?) WHERE file_id = ? AND job IS NULL", []any{job, op, id}},
		{"UPDATE customEvents SET job = ?, operation_Name = coalesce(operation_Name, ?) WHERE file_id = ? AND job IS NULL", []any{job, op, id}},
	} {
		if _, err := conn.ExecContext(ctx, st.q, st.args...); err != nil {
			return fmt.Errorf("set inferred job: %w", err)
		}
	}
	return nil
}

// Rollback rolls back the transactions not committed, the lanes' and the file's, and gives
// the lanes' connections back.
func (ft *FileTx) Rollback() {
	for _, l := range ft.lanes {
		if l.open {
			l.open = false
			l.conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}
	if ft.open {
		ft.open = false
		ft.conn.ExecContext(context.Background(), "ROLLBACK")
	}
}

// Close gives the lanes' connections back to the pool (after Commit or Rollback).
func (ft *FileTx) Close() {
	ft.Rollback()
	for _, l := range ft.lanes {
		l.conn.Close()
	}
	ft.lanes = nil
}

// dropLoad deletes the rows of a file whose lanes committed but whose own transaction did
// not, and its loading marks.
func (s *Store) dropLoad(ctx context.Context, fileID int32) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tables := loadTables
	if s.lean {
		tables = append(tables[:len(tables):len(tables)], "kl_bulk")
	}
	return dropLoads(ctx, conn, tables, "= "+strconv.Itoa(int(fileID)), loadingPrefix(fileID)+"%")
}

// dropUnfinishedLoads deletes what an earlier run left of files it did not finish: rows that
// lanes committed under a loading mark in meta, for a file that has no files row. A mark of a
// file that has one only goes.
func (s *Store) dropUnfinishedLoads(ctx context.Context) error {
	var marks int64
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM meta WHERE key LIKE ?", loadingMarks).Scan(&marks); err != nil || marks == 0 {
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return dropLoads(ctx, conn, loadTables, `IN (SELECT CAST(split_part(key, ' ', 2) AS INTEGER) FROM meta WHERE key LIKE '`+loadingMarks+`'
		EXCEPT SELECT file_id FROM files)`, loadingMarks)
}

// loadTables are the tables a file's load puts rows in (and kl_bulk in a lean load).
var loadTables = []string{"traces", "exceptions", "customEvents", "rejects"}

// dropLoads deletes, in one transaction, the rows in tables of the files whose file_id
// matches idCondition, and the meta keys LIKE marks.
func dropLoads(ctx context.Context, conn *gosql.Conn, tables []string, idCondition, marks string) error {
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	for _, table := range tables {
		if _, err := conn.ExecContext(ctx, "DELETE FROM "+table+" WHERE file_id "+idCondition); err != nil {
			conn.ExecContext(context.Background(), "ROLLBACK")
			return fmt.Errorf("remove the rows of an unfinished load from %s: %w", table, err)
		}
	}
	if _, err := conn.ExecContext(ctx, "DELETE FROM meta WHERE key LIKE ?", marks); err != nil {
		conn.ExecContext(context.Background(), "ROLLBACK")
		return err
	}
	_, err := conn.ExecContext(ctx, "COMMIT")
	return err
}

// insertFilesSQL inserts files rows; fileRowValues gives the values of one, in this order.
const insertFilesSQL = `INSERT INTO files (file_id, path, container, kind, compression, bytes, sha256, job, site,
        lines, parsed, rejected, merged, traces, exceptions, events, first_ts, last_ts, status, error, run_id, ingested_at, modified)
        VALUES `

func (s *Store) fileRowValues(r *FileRow, now time.Time) []any {
	st := &r.Stats
	return []any{r.ID, r.Path, nullStr(r.Container), string(r.Kind), nullStr(r.Compression), r.Bytes, nullStr(r.SHA256),
		nullStr(r.Job), nullStr(r.Site), st.Lines, st.Parsed, st.Rejected, r.Merged, r.Traces, r.Exceptions, r.Events,
		nullTime(st.FirstTime), nullTime(st.LastTime), r.Status, nullStr(r.Error), s.runID, now, nullGoTime(r.Modified)}
}

// insertFileRow writes a files row on conn (inside the caller's transaction, if any).
func (s *Store) insertFileRow(ctx context.Context, conn *gosql.Conn, r *FileRow) error {
	vals := s.fileRowValues(r, time.Now().UTC())
	_, err := conn.ExecContext(ctx, insertFilesSQL+"("+strings.Repeat("?, ", len(vals)-1)+"?)", vals...)
	if err != nil {
		return fmt.Errorf("record file %s: %w", r.Path, err)
	}
	return nil
}

// InsertStandalone writes a files row (and job_status row) in its own transaction: skipped
// files, failed files, containers and status files.
func (s *Store) InsertStandalone(ctx context.Context, r *FileRow, status *JobStatus) (dup string, err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if r.SHA256 != "" {
		dup, err := s.Claim(ctx, r)
		if err != nil || dup != "" {
			return dup, err
		}
	} else {
		// Rows without content identity (failed inputs): once per path and outcome.
		var n int64
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM files WHERE path = ? AND status = ? AND error IS NOT DISTINCT FROM ?",
			r.Path, r.Status, nullStr(r.Error)).Scan(&n); err != nil {
			return "", err
		}
		if n > 0 {
			return r.Path, nil
		}
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return "", err
	}
	if err := s.insertFileRow(ctx, conn, r); err != nil {
		conn.ExecContext(ctx, "ROLLBACK")
		return "", err
	}
	if status != nil {
		if _, err := conn.ExecContext(ctx, "INSERT INTO job_status VALUES (?, ?, ?, ?, ?)",
			nullStr(status.Job), status.Instance, status.Status, r.ID, r.Path); err != nil {
			conn.ExecContext(ctx, "ROLLBACK")
			return "", fmt.Errorf("record status %s: %w", r.Path, err)
		}
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return "", err
}

// JobStatus is a job_status row: the status file of a continuous job on one instance.
type JobStatus struct{ Job, Instance, Status string }

// appendRows appends n rows to table through a DuckDB appender on c.
func appendRows(c driver.Conn, table string, n int, row func(int) []driver.Value) error {
	ap, err := duckdb.NewAppenderFromConn(c, "", table)
	if err != nil {
		return fmt.Errorf("appender %s: %w", table, err)
	}
	for i := 0; i < n; i++ {
		if err := ap.AppendRow(row(i)...); err != nil {
			ap.Close()
			return fmt.Errorf("append %s: %w", table, err)
		}
	}
	if err := ap.Close(); err != nil {
		return fmt.Errorf("append %s: %w", table, err)
	}
	return nil
}

func usTime(us int64) time.Time { return time.UnixMicro(us).UTC() }

func nullTime(us int64) any {
	if us == 0 {
		return nil
	}
	return usTime(us)
}

func nullGoTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullSev(v int8) driver.Value {
	if v == parse.NullSeverity {
		return nil
	}
	return int32(v)
}
