package blob

// Incremental reading of blob sources (kudulens ingest SOURCE --db FILE --state FILE).
//
// The state file remembers, for every blob read into the database, its ETag, length, type
// and creation time, and the SHA-256 of what the database holds of it. The next run skips a
// blob whose ETag and length are unchanged, reads a new blob whole, and reads only the
// appended tail of an append blob that grew (same creation time, longer). A blob that changed
// any other way (a block blob overwritten, a blob deleted and created again) is read whole
// again: identical content is then recognised by its SHA-256 as usual, and rows it shares
// with the earlier version are merged (Store.Merge).
//
// # Tails, line numbers and the files table
//
// A text log (Kudu log, application-log CSV or text) read from a blob in incremental mode is
// read through a recordReader, which delivers bytes only up to a record boundary: a line end,
// or for CSV a line end outside quotes. An append blob's unfinished last line (and, after a
// broken download, anything after the last boundary) is held back. So the part that is loaded
// and committed, [0, offset), always ends at a boundary; the state stores offset (the
// committed length), the number of lines in it, the CSV header, and the SHA-256 state at the
// last multiple of 64 bytes before offset (a state there buffers no input, so the state file
// holds no log content, see prefixHash). The next run downloads from that multiple of 64,
// hashes the few bytes up to offset, and reads the tail [offset, length) as an Entry whose
// lines are numbered from lines+1 (so traces.line_no keeps counting the blob's physical
// lines), parsed with the stored kind and CSV header (the tail has no header line), and
// hashed by continuing the SHA-256.
//
// Each piece of a growing blob is one files row, all with the same path (the blob's URL), so
// source_file and line_no read as one file. A piece's bytes and lines are those of the piece;
// its sha256 is the hash of the blob from byte 0 to the end of the piece: the identity of
// "this blob as far as it is loaded". It is unique to the piece (no false duplicate with
// another file) and it equals the sha256 of the same bytes read any other way (a download of
// the blob that ends there is recognised as already in the database).
//
// # Crash safety
//
// Rows are committed one file (piece) per transaction; the state file is written afterwards,
// atomically (temporary file, fsync, rename). A state entry is trusted only if its sha256 is
// in the database, so a state file ahead of the database (a database restored from a backup,
// another database) makes those blobs be read again rather than lost. A database ahead of the
// state file (a crash between a commit and the state write) is found at load: files rows of
// blob paths from runs after the one that wrote the state. Before such a blob is read, each of
// these pieces is verified by reading exactly its bytes from the blob at the stored offset and
// comparing SHA-256; a verified piece advances the state as if the run had finished, so its
// rows are neither lost nor loaded twice. A piece that does not verify is ignored (the blob
// was replaced: it is read whole). Whole-blob reads need no recovery: their content hash
// makes a re-read a duplicate.

import (
	"bytes"
	"context"
	gosql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kudulens/kudulens/internal/outfile"
	"github.com/kudulens/kudulens/parse"
	"github.com/kudulens/kudulens/pipeline/source"
)

// stateVersion is the version of the state file format.
const stateVersion = 1

// stateFile is the JSON of a state file.
type stateFile struct {
	Version  int                   `json:"version"`
	Database string                `json:"database,omitempty"` // the database it belongs to (informative)
	Run      int32                 `json:"run"`                // files.run_id of the run that wrote it
	Updated  time.Time             `json:"updated"`
	Blobs    map[string]*blobEntry `json:"blobs"` // by blob path (URL without query)
}

// blobEntry is what the state remembers of one blob.
type blobEntry struct {
	ETag     string      `json:"etag"`
	Length   int64       `json:"length"`           // content length when it was read
	Type     string      `json:"type"`             // BlockBlob | AppendBlob | PageBlob
	Created  time.Time   `json:"created,omitzero"` // creation time: a recreated blob is a new blob
	SHA256   string      `json:"sha256,omitempty"` // of what the database holds (text log: of [0, tail.offset))
	Complete bool        `json:"complete"`         // read to Length (held-back unfinished last line aside)
	Tail     *tailMark   `json:"tail,omitempty"`   // text logs: where the next piece starts
	Kind     source.Kind `json:"kind,omitempty"`   // files.kind of the blob (zip, tar for archives)
	Lines    int64       `json:"lines,omitempty"`  // informative: lines in the database
	Pieces   int         `json:"pieces,omitempty"` // files rows (pieces) loaded from this blob
	ReadAt   time.Time   `json:"read_at,omitzero"` // when the last piece was read
}

// tailMark is where a text log's committed part ends.
type tailMark struct {
	Offset int64       `json:"offset"`           // committed length: bytes [0, offset) are in the database; a record boundary
	Lines  int64       `json:"lines"`            // physical lines in [0, offset); the next piece starts at line lines+1
	Kind   source.Kind `json:"kind"`             // kudu-log | app-log-csv | app-log-txt
	Header string      `json:"header,omitempty"` // the CSV header line: the columns of the next piece
	// Hash is the SHA-256 state after [0, hash_at) (base64), where hash_at is offset rounded
	// down to a multiple of 64: a state there holds no bytes of the blob (see prefixHash).
	HashAt int64  `json:"hash_at"`
	Hash   []byte `json:"hash"`
}

// pendingPiece is a files row of a blob path committed by a run after the state was written.
type pendingPiece struct {
	sha   string
	bytes int64
	kind  source.Kind
}

// State is the incremental state of blob sources, loaded from and saved to a file. Load it
// with LoadState before Ingest, pass it in Options.State, and Save it after.
type State struct {
	path    string
	db      string
	runID   int32
	file    stateFile
	pending map[string][]pendingPiece

	mu    sync.Mutex
	reads []*blobRead
	notes []string
	stats StateStats
}

// StateStats counts what an incremental run did with the blobs it listed.
type StateStats struct {
	Unchanged int // skipped: read before as they are
	New       int // read whole for the first time (or again: replaced, or the state was stale)
	Tails     int // appended tails read
	Recovered int // pieces committed by an interrupted run, verified and taken into the state
	Forgotten int // state entries dropped: the blob is gone, or the database lacks its rows
}

// Database is what the state asks of the database the blobs are read into (a
// pipeline/store.Store): the run's id and its files table.
type Database interface {
	RunID() int32
	DB() *gosql.DB
}

// LoadState reads the state file at path (a missing file is an empty state) and checks it
// against the database: entries whose rows are not in it are dropped, and pieces the database
// has but the state lacks (an interrupted run) are noted for verification. dbPath is recorded
// in the file for people reading it.
func LoadState(ctx context.Context, path string, s Database, dbPath string) (*State, error) {
	st := &State{path: path, runID: s.RunID(), pending: map[string][]pendingPiece{}}
	if abs, err := filepath.Abs(dbPath); err == nil && dbPath != "" {
		st.db = abs
	}
	st.file = stateFile{Version: stateVersion, Blobs: map[string]*blobEntry{}}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("state %s: %w", path, err)
	default:
		var f stateFile
		if err := json.Unmarshal(data, &f); err != nil {
			return nil, fmt.Errorf("state %s: not a kudulens state file (%v); remove it to read everything again", path, err)
		}
		if f.Version != stateVersion {
			return nil, fmt.Errorf("state %s: version %d, this kudulens reads version %d", path, f.Version, stateVersion)
		}
		if f.Blobs == nil {
			f.Blobs = map[string]*blobEntry{}
		}
		st.file = f
	}
	if st.file.Database != "" && st.db != "" && st.file.Database != st.db {
		st.note("state %s was written for database %s, not %s: blobs whose rows this database lacks are read again", path, st.file.Database, st.db)
	}

	// Trust an entry only if the database has its rows.
	known := map[string]bool{}
	rows, err := s.DB().QueryContext(ctx, "SELECT DISTINCT sha256 FROM files WHERE sha256 IS NOT NULL AND status <> 'failed'")
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			rows.Close()
			return nil, err
		}
		known[sha] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	stale := 0
	for p, e := range st.file.Blobs {
		if e.SHA256 != "" && !known[e.SHA256] {
			delete(st.file.Blobs, p)
			stale++
		}
	}
	if stale > 0 {
		st.stats.Forgotten += stale
		st.note("%d blobs in the state have no rows in this database: they are read again", stale)
	}

	// Pieces committed after the state was written: an interrupted run.
	rows, err = s.DB().QueryContext(ctx, `SELECT path, sha256, bytes, kind FROM files
		WHERE run_id > ? AND status IN ('ok', 'partial') AND sha256 IS NOT NULL AND container IS NULL
		  AND kind IN ('kudu-log', 'app-log-csv', 'app-log-txt')
		  AND (path LIKE 'http://%' OR path LIKE 'https://%')
		ORDER BY file_id`, st.file.Run)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p pendingPiece
		var path, kind string
		if err := rows.Scan(&path, &p.sha, &p.bytes, &kind); err != nil {
			return nil, err
		}
		p.kind = source.Kind(kind)
		if e := st.file.Blobs[path]; e != nil && e.SHA256 == p.sha {
			continue
		}
		st.pending[path] = append(st.pending[path], p)
	}
	return st, rows.Err()
}

func (st *State) note(format string, args ...any) {
	st.notes = append(st.notes, sanitize(fmt.Sprintf(format, args...)))
}

// Notes are things worth telling the user about the state (stale entries, recoveries).
func (st *State) Notes() []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]string(nil), st.notes...)
}

// Stats says what the run did with the listed blobs.
func (st *State) Stats() StateStats {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.stats
}

// forgetMissing drops the entries of blobs under the source's prefix that the listing no
// longer has (deleted, e.g. by a retention policy).
func (st *State) forgetMissing(src *blobSource, present map[string]bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.file.Blobs) == 0 {
		return
	}
	prefixPath := src.blobPath(src.prefix)
	dir := strings.TrimSuffix(prefixPath, "/") + "/"
	for p := range st.file.Blobs {
		if (p == prefixPath || strings.HasPrefix(p, dir)) && !present[p] {
			delete(st.file.Blobs, p)
			st.stats.Forgotten++
		}
	}
}

// planBlob decides what to read of a listed blob: nothing (skip), the tail, or all of it.
// It first verifies pieces an interrupted run committed (reading them with read).
func (st *State) planBlob(ctx context.Context, p *blobPlan, read func(p *blobPlan, off, end int64) *blobReader) (skip bool, err error) {
	st.mu.Lock()
	e := st.file.Blobs[p.path]
	pend := st.pending[p.path]
	delete(st.pending, p.path)
	st.mu.Unlock()
	if len(pend) > 0 {
		if e, err = st.recover(ctx, p, e, pend, read); err != nil {
			return false, err
		}
	}
	in := &p.info
	r := &blobRead{plan: p, old: e}
	p.read = r
	switch {
	case e == nil:
		st.count(func(s *StateStats) { s.New++ })
	case e.Complete && e.ETag == string(in.etag) && e.Length == in.size:
		st.count(func(s *StateStats) { s.Unchanged++ })
		return true, nil
	case e.Tail != nil && e.Tail.Offset <= in.size &&
		(e.ETag == string(in.etag) && e.Length == in.size || // a read that broke off: go on
			in.isAppend() && e.Type == in.typ && e.Created.Equal(in.created)): // an append blob that grew
		if e.Tail.Offset == in.size {
			st.count(func(s *StateStats) { s.Unchanged++ })
			return true, nil
		}
		cls, err := tailClassification(in.name, e.Tail.Kind, e.Tail.Header)
		if err != nil {
			st.count(func(s *StateStats) { s.New++ })
			return false, nil // read whole
		}
		if e.Tail.HashAt > e.Tail.Offset || e.Tail.Offset-e.Tail.HashAt >= 64 {
			st.count(func(s *StateStats) { s.New++ })
			return false, nil // unusable: read whole
		}
		p.start, p.skip, p.mark = e.Tail.HashAt, e.Tail.Offset-e.Tail.HashAt, e.Tail
		p.tail = &source.Tail{Class: cls, FirstLine: e.Tail.Lines + 1}
		r.tail = e.Tail
		st.count(func(s *StateStats) { s.Tails++ })
	default:
		st.count(func(s *StateStats) { s.New++ })
	}
	st.mu.Lock()
	st.reads = append(st.reads, r)
	st.mu.Unlock()
	return false, nil
}

func (st *State) count(f func(*StateStats)) {
	st.mu.Lock()
	f(&st.stats)
	st.mu.Unlock()
}

// recover verifies the pieces of p committed after the state was written, in order from the
// entry's committed offset (0 without an entry): each must be exactly the next bytes of the
// blob (same SHA-256 from byte 0) and end at a line end. Verified pieces advance the entry.
func (st *State) recover(ctx context.Context, p *blobPlan, e *blobEntry, pend []pendingPiece, read func(p *blobPlan, off, end int64) *blobReader) (*blobEntry, error) {
	var (
		off, lines int64
		kind       source.Kind
		header     string
		ph         *prefixHash
		err        error
	)
	if e != nil {
		if e.Tail == nil {
			return e, nil // not a text log: re-reading it is a duplicate
		}
		off, lines, kind, header = e.Tail.Offset, e.Tail.Lines, e.Tail.Kind, e.Tail.Header
		ph, err = newPrefixHash(e.Tail.Hash, e.Tail.HashAt)
	} else {
		ph, err = newPrefixHash(nil, 0)
	}
	if err != nil {
		return e, nil
	}
	var good *blobEntry // the entry after the last verified piece
	done := 0
	for _, pc := range pend {
		if pc.bytes <= 0 || off+pc.bytes > p.info.size {
			break
		}
		r := read(p, ph.n, off+pc.bytes) // [ph.n, off) is only hashed
		n, nl, last, first, err := hashPiece(r, ph, off-ph.n, off == 0)
		r.Close()
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			break
		}
		if n != pc.bytes || last != '\n' || ph.sum() != pc.sha {
			break
		}
		if off == 0 {
			kind = pc.kind
			header = string(bytes.TrimRight(bytes.TrimPrefix(first, []byte{0xEF, 0xBB, 0xBF}), "\r"))
		}
		off += n
		lines += nl
		done++
		good = &blobEntry{Type: p.info.typ, Created: p.info.created, SHA256: pc.sha, Kind: kind, Lines: lines,
			Tail: &tailMark{Offset: off, Lines: lines, Kind: kind, Header: header, HashAt: ph.at, Hash: ph.saved}}
	}
	if good == nil {
		return e, nil
	}
	if e != nil {
		good.Pieces = e.Pieces
	}
	good.Pieces += done
	if off == p.info.size {
		good.ETag, good.Length, good.Complete = string(p.info.etag), p.info.size, true
	}
	st.mu.Lock()
	st.file.Blobs[p.path] = good
	st.stats.Recovered += done
	st.mu.Unlock()
	st.note("%s: %d piece(s) loaded by an interrupted run were verified and taken into the state (committed up to byte %d)", p.path, done, off)
	return good, nil
}

// hashPiece reads r to the end into h. The first skip bytes are only hashed; of the rest it
// returns the count, the line ends, the last byte and, if wantFirst, the first line.
func hashPiece(r io.Reader, h *prefixHash, skip int64, wantFirst bool) (n, lines int64, last byte, first []byte, err error) {
	buf := make([]byte, 64<<10)
	for {
		k, err := r.Read(buf)
		if k > 0 {
			b := buf[:k]
			h.Write(b)
			if skip > 0 {
				d := min(skip, int64(len(b)))
				b, skip = b[d:], skip-d
			}
			if len(b) > 0 {
				if wantFirst && len(first) < 1<<20 {
					if i := bytes.IndexByte(b, '\n'); i >= 0 {
						first = append(first, b[:i]...)
						wantFirst = false
					} else {
						first = append(first, b...)
					}
				}
				n += int64(len(b))
				lines += int64(bytes.Count(b, []byte{'\n'}))
				last = b[len(b)-1]
			}
		}
		if err == io.EOF {
			return n, lines, last, first, nil
		}
		if err != nil {
			return n, lines, last, first, err
		}
	}
}

// tailClassification rebuilds the classification of a text log's tail from the state.
func tailClassification(name string, kind source.Kind, header string) (source.Classification, error) {
	switch kind {
	case source.KindKuduLog:
		c := source.Classification{Kind: source.KindKuduLog, Job: source.JobFromPath(name), JobSource: parse.JobByPath}
		if c.Job == "" {
			c.JobSource = parse.JobUnknown
		}
		return c, nil
	case source.KindAppLogCSV:
		lay, err := parse.NewCSVLayout([]byte(header))
		if err != nil {
			return source.Classification{}, err
		}
		return source.Classification{Kind: source.KindAppLogCSV, CSV: lay}, nil
	case source.KindAppLogText:
		return source.Classification{Kind: source.KindAppLogText}, nil
	}
	return source.Classification{}, fmt.Errorf("kind %q cannot be read in pieces", kind)
}

// blobRead is one blob read in an incremental run: what the plan was and what came of it.
type blobRead struct {
	plan *blobPlan
	old  *blobEntry // the entry before the run (nil for a new blob)
	tail *tailMark  // where a tail started (nil for a whole read)

	mu        sync.Mutex
	rr        *recordReader         // set when a text log is opened
	cls       source.Classification // text log read whole: its classification
	header    string
	container *source.ContainerInfo // an archive: its info, once walked
}

func (r *blobRead) setReader(rr *recordReader) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.rr = rr
	r.mu.Unlock()
}

func (r *blobRead) setText(cls source.Classification, head []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cls = cls
	if cls.Kind == source.KindAppLogCSV {
		r.header = string(source.FirstLine(bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF})))
	}
}

func (r *blobRead) setContainer(c source.ContainerInfo) {
	r.mu.Lock()
	r.container = &c
	r.mu.Unlock()
}

// Outcome is what became of one file of the run, as far as the state needs to know
// (pipeline.Summary.BlobOutcomes).
type Outcome struct {
	Path      string      // files.path
	Status    string      // files.status: ok | partial | failed | skipped
	Kind      source.Kind // files.kind
	SHA256    string      // files.sha256
	Lines     int64       // lines read
	Duplicate string      // the path the same content was ingested from before ("" if new)
}

// Save records what the run committed and writes the state file atomically. files are the
// outcomes of Ingest's files (none if it returned no summary); runErr its error: archives are
// recorded only after a run without error (their files row is written at the end).
func (st *State) Save(files []Outcome, runErr error) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	results := map[string]*Outcome{}
	for i := range files {
		f := &files[i]
		if prev := results[f.Path]; prev == nil || prev.Status == "failed" {
			results[f.Path] = f
		}
	}
	now := time.Now().UTC()
	for _, r := range st.reads {
		if e := st.outcome(r, results[r.plan.path], runErr); e != nil {
			e.ReadAt = now
			st.file.Blobs[r.plan.path] = e
		}
	}
	st.reads = nil
	st.file.Version = stateVersion
	st.file.Run = st.runID
	st.file.Updated = now
	if st.db != "" {
		st.file.Database = st.db
	}
	data, err := json.MarshalIndent(&st.file, "", "  ")
	if err != nil {
		return err
	}
	return outfile.Write(st.path, append(data, '\n'), 0o600)
}

// outcome is the new entry for a blob read in this run, or nil if nothing of it was committed.
func (st *State) outcome(r *blobRead, res *Outcome, runErr error) *blobEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	in := &r.plan.info
	e := &blobEntry{ETag: string(in.etag), Length: in.size, Type: in.typ, Created: in.created, Complete: true}
	if r.old != nil {
		e.Pieces = r.old.Pieces
	}
	if r.container != nil {
		if runErr != nil || r.container.SHA256 == "" {
			return nil
		}
		e.SHA256, e.Kind = r.container.SHA256, source.Kind(r.container.Kind)
		e.Pieces++
		return e
	}
	if res == nil {
		return nil
	}
	row := res
	committed := res.Duplicate != "" || row.Status == "ok" || row.Status == "partial" || row.Status == "skipped"
	if !committed {
		return nil
	}
	e.Kind = row.Kind
	if rr := r.rr; rr != nil {
		// A text log read through a recordReader: the state goes on where the delivered part ends.
		sum := rr.sum()
		if res.Duplicate == "" && row.SHA256 != sum {
			return nil // cannot happen: the database hashed what the reader delivered
		}
		kind := row.Kind
		if _, err := tailClassification(r.plan.info.name, kind, r.header); err != nil {
			kind = r.cls.Kind // nothing whole was delivered yet (an empty file is "unknown")
		}
		mark := &tailMark{Offset: r.plan.start + r.plan.skip + rr.delivered, Kind: kind, HashAt: rr.h.at, Hash: rr.h.saved}
		if r.tail != nil {
			mark.Lines = r.tail.Lines + rr.lines
			mark.Header = r.tail.Header
			mark.Kind = r.tail.Kind
		} else {
			mark.Lines = rr.lines
			mark.Header = r.header
		}
		e.SHA256, e.Tail, e.Lines = sum, mark, mark.Lines
		e.Complete = rr.complete
		if rr.delivered > 0 || r.tail == nil {
			e.Pieces++
		}
		return e
	}
	e.SHA256 = row.SHA256
	e.Lines = row.Lines
	e.Complete = row.Status != "partial"
	e.Pieces++
	return e
}
