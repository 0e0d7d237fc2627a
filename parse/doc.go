// Package parse turns the text of web-job logs into rows. It does no I/O and knows nothing of
// DuckDB: callers hand it whole lines (or chunks of whole lines) and it appends rows to a
// column-oriented Batch that the pipeline passes to Arrow without copying.
//
// A Kudu continuous-job log line looks like this (docs/formats.md §4.2):
//
//	[11/19/2026 21:40:07 > 5e1c2a: INFO] 21-40-07:12: Got SQL error: Failed to update database "AnalyticsDB" because the database is read-only.
//
// and parses into
//
//	Time     2026-11-19T21:40:07Z (UTC, second resolution)
//	Instance "5e1c2a"
//	Level    INFO, System false
//	AppTime  "21-40-07:12"             (the app's own prefix, local time, stripped from the message)
//	Message  `Got SQL error: Failed to update database "AnalyticsDB" because the database is read-only.`
//	Template "sql-error"               (the message template of the app's code, docs/formats.md §3)
//
// The hot path (KuduLog.Parse) scans bytes by hand, parses timestamps from fixed digit
// positions and appends into reused column buffers: it does not allocate per line in steady
// state. Lines it cannot read are rejected with a reason, never dropped: for every chunk,
// lines = parsed + rejected.
package parse
