package store

import (
	"context"
	gosql "database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kudulens/kudulens/parse"
	"github.com/kudulens/kudulens/pipeline/source"
	klsql "github.com/kudulens/kudulens/sql"
)

// A lean load (Options.Lean) is for a database nobody reads after the report: diagnose
// without --db. Most of a job log's lines (88% of the 200 MB bench log) are progress and
// routine lines (sql.LeanTemplates) whose rows the report reads only through their time, job,
// instance and template, never their text; storing them whole was most of diagnose's time
// (bench/RESULTS.md). Their rows go to kl_bulk instead, five integer columns each, with the
// rest of a row's values (the same for thousands of rows) once in kl_combos. At the end of the
// load (FinishLean) traces becomes a view of the rows kept whole and those, with a NULL
// message: every query of the report reads the same rows with the same values. When Merge
// would have work (application logs, overlapping job logs), the lean rows are put back into
// traces instead, whole but for their text, and Merge runs as always.

// bulkSchema is the lean row as DuckDB sees it (file_id comes as a parameter).
var bulkSchema = arrow.NewSchema([]arrow.Field{
	{Name: "combo", Type: arrow.PrimitiveTypes.Int32},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
	{Name: "line_no", Type: arrow.PrimitiveTypes.Int64},
	{Name: "msg_hash", Type: arrow.PrimitiveTypes.Int64},
}, nil)

const insertBulkSQL = `INSERT INTO kl_bulk (file_id, combo, timestamp, line_no, msg_hash)
SELECT ?, combo, ts, line_no, msg_hash FROM `

const createBulkSQL = `CREATE TABLE kl_bulk (file_id INTEGER, combo INTEGER, timestamp TIMESTAMP, line_no BIGINT, msg_hash BIGINT)`

const createCombosSQL = `CREATE TABLE kl_combos (combo INTEGER, operation_Name VARCHAR, job VARCHAR, job_source VARCHAR,
    instance VARCHAR, severityLevel INTEGER, template VARCHAR, source_file VARCHAR)`

// bulkRowsSQL is the lean rows as traces rows, in the columns of traces (sql/schema.sql).
// A lean row is an INFO line of a job log, not Kudu's own, one line long, not cut, with no
// check signal and no copy noted: those columns are constants, which also lets DuckDB drop
// this side of the view for a filter they fail. combo is unique across files, so the join is
// on one small integer.
const bulkRowsSQL = `SELECT b.timestamp, c.operation_Name, c.job, c.job_source, c.instance, 'INFO' AS level,
    false AS is_system, c.severityLevel, NULL::VARCHAR AS message, NULL::VARCHAR AS app_time, c.template,
    'job-log' AS source, NULL::INTEGER AS pid, false AS truncated, b.msg_hash, b.file_id, c.source_file, b.line_no,
    1 AS line_count, NULL::VARCHAR AS also_file, NULL::BIGINT AS also_line, 0::UINTEGER AS signals
FROM kl_bulk b JOIN kl_combos c ON b.combo = c.combo`

// comboKey is what a lean row has besides its time, line and hash.
type comboKey struct {
	operation, job, instance string
	jobSource                parse.JobSource
	severity                 int8
	template                 int16
}

// leanRows gathers the lean rows of one batch.
type leanRows struct {
	combo  []int32
	time   []int64
	lineNo []int64
	hash   []int64
}

// leanTemplateMask is sql.LeanTemplates by template number, without any a check reads
// (check: Store.checkTemplates).
func leanTemplateMask(check []bool) []bool {
	mask := make([]bool, len(parse.TemplateIDs()))
	for _, id := range klsql.LeanTemplates() {
		if n := parse.TemplateNumber(id); n > 0 && !check[n] {
			mask[n] = true
		}
	}
	return mask
}

// takeLean moves the lean rows out of b (rows of a job log only) and returns them, nil when
// there are none.
func (ft *FileTx) takeLean(b *parse.Batch) (*leanRows, error) {
	if !ft.s.lean || ft.source != "job-log" {
		return nil, nil
	}
	mask, err := ft.s.leanTemplates()
	if err != nil {
		return nil, err
	}
	t := &b.Traces
	var lr *leanRows
	var at []int32
	// The combo of a row by its values' numbers in this batch's dictionaries: a lookup by
	// strings for each of a million rows cost more than loading them.
	type local struct {
		op, job, inst int32
		jobSource     parse.JobSource
		severity      int8
		template      int16
	}
	ids := map[local]int32{}
	var last local
	id := int32(-1)
	ft.mu.Lock()
	defer ft.mu.Unlock()
	guess := ft.guess
	for i := range t.Len() {
		if !mask[t.Template[i]] || t.Level[i] != parse.Info || t.System[i] || t.Signals[i] != 0 ||
			t.Truncated[i] || t.LineCount[i] != 1 || t.PID[i] != parse.NullPID {
			continue
		}
		if lr == nil {
			n := t.Len() - i
			lr = &leanRows{combo: make([]int32, 0, n), time: make([]int64, 0, n), lineNo: make([]int64, 0, n),
				hash: make([]int64, 0, n)}
			at = make([]int32, 0, n)
		}
		// neighbouring rows mostly share their combo: the map only where it changes
		if lk := (local{t.Operation.Index[i], t.Job.Index[i], t.Instance.Index[i], t.JobSource[i], t.Severity[i], t.Template[i]}); id < 0 || lk != last {
			var ok bool
			if id, ok = ids[lk]; !ok {
				id = ft.combo(comboKey{operation: t.Operation.Value(i), job: t.Job.Value(i), instance: t.Instance.Value(i),
					jobSource: t.JobSource[i], severity: t.Severity[i], template: t.Template[i]}, guess)
				ids[lk] = id
			}
			last = lk
		}
		at = append(at, int32(i))
		lr.combo = append(lr.combo, id)
		lr.time = append(lr.time, t.Time[i])
		lr.lineNo = append(lr.lineNo, t.LineNo[i])
		lr.hash = append(lr.hash, t.Hash[i])
	}
	t.RemoveAt(at)
	return lr, nil
}

// combo returns the number of the file's combo k, the job guessed so far given to a row
// without one (as insertTracesGuessSQL). ft.mu is held.
func (ft *FileTx) combo(k comboKey, guess string) int32 {
	if k.job == "" && guess != "" {
		if k.operation == "" {
			k.operation = parse.OperationName(guess)
		}
		k.job, k.jobSource = guess, parse.JobByContent
	}
	id, ok := ft.combos[k]
	if !ok {
		id = ft.s.nextCombo.Add(1)
		if ft.combos == nil {
			ft.combos = map[comboKey]int32{}
		}
		ft.combos[k] = id
	}
	return id
}

// insertLean loads lr into kl_bulk on conn.
func (ft *FileTx) insertLean(ctx context.Context, conn *gosql.Conn, lr *leanRows) error {
	n := len(lr.combo)
	rec := newRecord(bulkSchema, []arrow.Array{
		fixed(arrow.PrimitiveTypes.Int32, n, nil, arrow.Int32Traits.CastToBytes(lr.combo)),
		fixed(&arrow.TimestampType{Unit: arrow.Microsecond}, n, nil, arrow.Int64Traits.CastToBytes(lr.time)),
		fixed(arrow.PrimitiveTypes.Int64, n, nil, arrow.Int64Traits.CastToBytes(lr.lineNo)),
		fixed(arrow.PrimitiveTypes.Int64, n, nil, arrow.Int64Traits.CastToBytes(lr.hash)),
	}, n)
	if err := ft.insertRecord(ctx, conn, rec, insertBulkSQL, ft.row.ID); err != nil {
		return fmt.Errorf("insert lean rows: %w", err)
	}
	return nil
}

// comboRow is a kl_combos row.
type comboRow struct {
	id   int32
	key  comboKey
	file string // source_file
}

// keepCombos hands the file's combos to the store once the file is committed, with the job
// its content named set as fixInferredJob set it on the file's rows.
func (ft *FileTx) keepCombos() {
	if len(ft.combos) == 0 {
		return
	}
	row, guess := ft.row, ft.Guess()
	fix := row.Kind == source.KindKuduLog && row.Status != "failed" && (row.Job != "" || guess != "")
	rows := make([]comboRow, 0, len(ft.combos))
	for k, id := range ft.combos {
		if fix {
			if guess != "" && guess != row.Job && k.jobSource == parse.JobByContent {
				k.job, k.operation, k.jobSource = "", "", parse.JobUnknown
				if row.Job != "" {
					k.job, k.operation, k.jobSource = row.Job, parse.OperationName(row.Job), parse.JobByContent
				}
			}
			if row.Job != "" && k.job == "" {
				if k.operation == "" {
					k.operation = parse.OperationName(row.Job)
				}
				k.job, k.jobSource = row.Job, parse.JobByContent
			}
		}
		rows = append(rows, comboRow{id, k, row.Path})
	}
	ft.s.mu.Lock()
	ft.s.combos = append(ft.s.combos, rows...)
	ft.s.mu.Unlock()
}

// FinishLean ends a lean load, before Merge. It returns true when traces is now the view of
// the lean rows and the others: Merge has nothing to do then (no application logs, no job
// logs that overlap) and must not run. Otherwise the lean rows, if any, are back in traces
// (without their text) and Merge runs as after any load.
func (s *Store) FinishLean(ctx context.Context) (bool, error) {
	if !s.lean {
		return false, nil
	}
	s.lean = false // no more lean rows: the load is over
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, createCombosSQL); err != nil {
		return false, fmt.Errorf("lean rows: %w", err)
	}
	s.mu.Lock()
	combos := s.combos
	s.combos = nil
	s.mu.Unlock()
	names, templates := parse.JobSourceNames(), parse.TemplateIDs()
	err = conn.Raw(func(dc any) error {
		return appendRows(dc.(driver.Conn), "kl_combos", len(combos), func(i int) []driver.Value {
			k := &combos[i].key
			var src driver.Value
			if k.jobSource != parse.JobUnknown {
				src = names[k.jobSource]
			}
			return []driver.Value{combos[i].id, nullStr(k.operation), nullStr(k.job), src, nullStr(k.instance),
				nullSev(k.severity), templates[k.template], combos[i].file}
		})
	})
	if err != nil {
		return false, fmt.Errorf("lean rows: %w", err)
	}
	var bulk, appLogs int64
	if err := conn.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM kl_bulk),
		(SELECT count(*) FROM files WHERE kind IN ('app-log-csv', 'app-log-txt'))`).Scan(&bulk, &appLogs); err != nil {
		return false, fmt.Errorf("lean rows: %w", err)
	}
	overlap := false
	if bulk > 0 && appLogs == 0 {
		// Merge's first step, job-log lines in two job logs (merge.go)
		var lo, hi gosql.NullTime
		q := overlapSpanSQL("kind = 'kudu-log' AND status IN ('ok', 'partial')", "PARTITION BY job")
		if err := conn.QueryRowContext(ctx, q).Scan(&lo, &hi); err != nil {
			return false, fmt.Errorf("lean rows: %w", err)
		}
		overlap = lo.Valid && hi.Valid && !lo.Time.After(hi.Time)
	}
	view := bulk > 0 && appLogs == 0 && !overlap
	var steps []string
	switch {
	case view:
		steps = []string{"ALTER TABLE traces RENAME TO kl_traces_kept",
			"CREATE VIEW traces AS SELECT * FROM kl_traces_kept UNION ALL " + bulkRowsSQL}
	case bulk > 0:
		steps = []string{"INSERT INTO traces " + bulkRowsSQL, "DROP TABLE kl_bulk", "DROP TABLE kl_combos"}
	default:
		steps = []string{"DROP TABLE kl_bulk", "DROP TABLE kl_combos"}
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return false, err
	}
	for _, q := range steps {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			conn.ExecContext(context.Background(), "ROLLBACK")
			return false, fmt.Errorf("lean rows: %w", err)
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return false, fmt.Errorf("lean rows: %w", err)
	}
	return view, nil
}
