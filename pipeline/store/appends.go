package store

import (
	"context"
	gosql "database/sql"
	"fmt"
	"sort"
	"strings"
)

// Logs that grew between exports. Kudu appends to job_log.txt; tonight's copy has a new
// sha256, so by content alone it is a new file, and writing it whole would give external
// engines its old lines twice. An export therefore recognises a log whose start is a piece the
// lake already holds, and writes only the rows past it.
//
// Every exported log's files row carries three lake columns: export_from_line, the first line
// whose rows the lake holds for it (1, or past an earlier piece); export_extends, the sha256 of
// the piece it continues (the one that ends at line export_from_line-1), NULL for a log written
// whole; and export_digest, a digest
// of those rows: their count and the XOR of an MD5 of (table, line_no, content) per row —
// msg_hash for traces (kudulens' own xxh3 of level and message), the text as stored for the
// other tables — so that it does not depend on the DuckDB version. A log F to export extends
// the committed pieces P of the same export_site, kind and place in the site (the last four
// path elements, as store.siteTail: jobs/continuous/<job>/job_log.txt, whichever bundle or
// folder it came in) that have fewer lines than F and whose digest equals the digest of F's
// rows over P's lines [P.export_from_line, P.lines]. When such pieces cover lines 1..L without
// a gap, F is exported from line L+1: its rows with line_no > L, and its files row whole (its
// counts describe the file as read) with export_from_line = L+1. Reading the lake back
// (LoadParquet) joins the pieces of a log into one file again.
//
// Anything else is exported whole, as before: a log that was rotated or rewritten (its first
// rows differ), one whose last record was cut while it was being written and has grown since
// (that record's text differs), or one some of whose rows tonight's ingest merged into
// another file's copies (rows missing from F). A record that started before line L+1 and got
// more continuation lines since is not written again: it keeps the lines it had.

// rowHashSQL gives (file_id, line_no, h) for every row of the line tables of the logs being
// exported (kl_export).
const rowHashSQL = `CREATE OR REPLACE TEMP TABLE kl_rowh AS
	SELECT file_id, line_no, h FROM (
		SELECT file_id, line_no, md5_number_lower('t' || coalesce(line_no, -1) || ':' || coalesce(msg_hash, 0)) AS h FROM traces
		UNION ALL SELECT file_id, line_no, md5_number_lower('x' || coalesce(line_no, -1) || ':' || coalesce(details, '')) FROM exceptions
		UNION ALL SELECT file_id, line_no, md5_number_lower('e' || coalesce(line_no, -1) || ':' || coalesce(name, '') || ':' || coalesce(properties::VARCHAR, '')) FROM customEvents
		UNION ALL SELECT file_id, line_no, md5_number_lower('r' || coalesce(line_no, -1) || ':' || coalesce(raw, '')) FROM rejects
	) WHERE file_id IN (SELECT e.file_id FROM kl_export e JOIN files f USING (file_id) WHERE f.kind IN ` + logKinds + `)`

// digestOf is the digest of the kl_rowh rows r of a group.
const digestOf = `count(r.h) || '-' || coalesce(bit_xor(r.h), 0)`

// tailSQL is store.siteTail of a path column, in SQL.
func tailSQL(col string) string {
	return `array_to_string(string_split(regexp_replace(` + col + `, '[\\!]', '/', 'g'), '/')[-4:], '/')`
}

// planAppends fills kl_from (file_id, from_line) with the exported logs that extend pieces
// the lake holds for site, and kl_logs (file_id, from_line, digest) with every exported log.
// It returns how many logs are appended.
func planAppends(ctx context.Context, conn *gosql.Conn, l *lake, site string) (int64, error) {
	for _, q := range []string{"CREATE OR REPLACE TEMP TABLE kl_from (file_id INTEGER, from_line BIGINT, extends VARCHAR)", rowHashSQL} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return 0, err
		}
	}
	var appended int64
	if files := l.filesOfSite("files", site); len(files) > 0 {
		src, err := l.source(files)
		if err != nil {
			return 0, err
		}
		var hasDigest bool // lakes written before export_digest have no pieces to extend
		if err := conn.QueryRowContext(ctx, "SELECT count(*) > 0 FROM (DESCRIBE SELECT * FROM "+src+") WHERE column_name = 'export_digest'").Scan(&hasDigest); err != nil {
			return 0, err
		}
		if hasDigest {
			if appended, err = matchPieces(ctx, conn, src, site); err != nil {
				return 0, err
			}
		}
	}
	_, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE kl_logs AS
		SELECT e.file_id, coalesce(a.from_line, 1) AS from_line, a.extends, `+digestOf+` AS digest
		FROM kl_export e JOIN files f ON f.file_id = e.file_id LEFT JOIN kl_from a ON a.file_id = e.file_id
		LEFT JOIN kl_rowh r ON r.file_id = e.file_id AND r.line_no >= coalesce(a.from_line, 1)
		WHERE f.kind IN `+logKinds+` GROUP BY e.file_id, a.from_line, a.extends`)
	return appended, err
}

// matchPieces compares the exported logs with the committed pieces in src (the lake's files
// table) and records in kl_from where each log that extends them starts.
func matchPieces(ctx context.Context, conn *gosql.Conn, src, site string) (int64, error) {
	q := fmt.Sprintf(`WITH p AS (
			SELECT DISTINCT %s AS tail, kind, sha256, coalesce(export_from_line, 1) AS from_line, lines, export_digest AS digest
			FROM %s WHERE export_site IS NOT DISTINCT FROM nullif(%s, '') AND export_digest IS NOT NULL AND kind IN %s)
		SELECT f.file_id, p.from_line, p.lines, p.sha256
		FROM kl_export e JOIN files f ON f.file_id = e.file_id
		JOIN p ON p.tail = %s AND p.kind = f.kind AND p.lines < f.lines AND p.sha256 IS DISTINCT FROM f.sha256
		WHERE f.kind IN %s AND p.digest = (SELECT %s FROM kl_rowh r WHERE r.file_id = f.file_id AND r.line_no BETWEEN p.from_line AND p.lines)
		ORDER BY f.file_id, p.from_line, p.lines`,
		tailSQL("path"), src, quoteStr(site), logKinds, tailSQL("f.path"), logKinds, digestOf)
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return 0, err
	}
	type span struct {
		from, to int64
		sha      string
	}
	spans := map[int32][]span{}
	for rows.Next() {
		var id int32
		var sp span
		if err := rows.Scan(&id, &sp.from, &sp.to, &sp.sha); err != nil {
			rows.Close()
			return 0, err
		}
		spans[id] = append(spans[id], sp)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var values []string
	for id, ss := range spans {
		sort.Slice(ss, func(i, j int) bool { return ss[i].from < ss[j].from })
		var covered int64 // lines 1..covered are in the lake
		var last string   // the piece that ends there
		for _, sp := range ss {
			if sp.from > covered+1 {
				break // a gap: the lines after it are not known to be there
			}
			if sp.to > covered {
				covered, last = sp.to, sp.sha
			}
		}
		if covered > 0 {
			values = append(values, fmt.Sprintf("(%d, %d, %s)", id, covered+1, quoteStr(last)))
		}
	}
	if len(values) == 0 {
		return 0, nil
	}
	sort.Strings(values)
	if _, err := conn.ExecContext(ctx, "INSERT INTO kl_from VALUES "+strings.Join(values, ", ")); err != nil {
		return 0, err
	}
	return int64(len(values)), nil
}

// joinPieces makes the pieces of a log that grew (export_extends) one file again in a store
// loaded from a lake: their rows take the file_id of the chain's first piece, and only the
// files row of the last piece (the whole file as last read) stays, under that id. filesSrc
// reads the lake's files table; kl_idmap maps each export_id to its file_id shift.
func joinPieces(ctx context.Context, conn *gosql.Conn, filesSrc string) error {
	var hasExtends bool
	if err := conn.QueryRowContext(ctx, "SELECT count(*) > 0 FROM (DESCRIBE SELECT * FROM "+filesSrc+") WHERE column_name = 'export_extends'").Scan(&hasExtends); err != nil {
		return err
	}
	if !hasExtends {
		return nil
	}
	rows, err := conn.QueryContext(ctx, `SELECT export_id, file_id, coalesce(export_site, ''), sha256, export_extends FROM `+filesSrc+`
		WHERE kind IN `+logKinds+` AND sha256 IS NOT NULL AND (export_extends IS NOT NULL
			OR sha256 IN (SELECT export_extends FROM `+filesSrc+` WHERE export_extends IS NOT NULL))`)
	if err != nil {
		return err
	}
	type piece struct {
		exportID, site, sha string
		fileID              int64
		extends             gosql.NullString
		child               bool
	}
	bySha := map[[2]string]*piece{}
	var pieces []*piece
	for rows.Next() {
		p := &piece{}
		if err := rows.Scan(&p.exportID, &p.fileID, &p.site, &p.sha, &p.extends); err != nil {
			rows.Close()
			return err
		}
		pieces = append(pieces, p)
		bySha[[2]string{p.site, p.sha}] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	parent := func(p *piece) *piece {
		if !p.extends.Valid {
			return nil
		}
		return bySha[[2]string{p.site, p.extends.String}]
	}
	for _, p := range pieces {
		if q := parent(p); q != nil {
			q.child = true
		}
	}
	var values []string
	for _, p := range pieces {
		root := p
		for i := 0; i <= len(pieces); i++ { // a chain is at most all pieces long (no cycle can hold us)
			q := parent(root)
			if q == nil {
				break
			}
			root = q
		}
		if root == p && !p.child {
			continue
		}
		values = append(values, fmt.Sprintf("(%s, %d, %s, %d, %v)", quoteStr(p.exportID), p.fileID, quoteStr(root.exportID), root.fileID, !p.child))
	}
	if len(values) == 0 {
		return nil
	}
	stmts := []string{
		"CREATE OR REPLACE TEMP TABLE kl_chain (export_id VARCHAR, file_id BIGINT, root_export_id VARCHAR, root_file_id BIGINT, last BOOLEAN)",
		"INSERT INTO kl_chain VALUES " + strings.Join(values, ", "),
		`CREATE OR REPLACE TEMP TABLE kl_chain_ids AS SELECT (c.file_id + m.shift)::INTEGER AS id, (c.root_file_id + r.shift)::INTEGER AS root, c.last
			FROM kl_chain c JOIN kl_idmap m ON m.export_id = c.export_id JOIN kl_idmap r ON r.export_id = c.root_export_id`,
	}
	for _, t := range []string{"traces", "exceptions", "customEvents", "rejects"} {
		stmts = append(stmts, "UPDATE "+quoteIdent(t)+" SET file_id = c.root FROM kl_chain_ids c WHERE "+quoteIdent(t)+".file_id = c.id AND c.id <> c.root")
	}
	stmts = append(stmts,
		"DELETE FROM files WHERE file_id IN (SELECT id FROM kl_chain_ids WHERE NOT last)",
		"UPDATE files SET file_id = c.root FROM kl_chain_ids c WHERE files.file_id = c.id AND c.last",
		"DROP TABLE kl_chain", "DROP TABLE kl_chain_ids")
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("join the pieces of logs that grew: %w", err)
		}
	}
	return nil
}
