// Package sql holds what kudulens runs inside DuckDB: the table schema, the diagnostic checks
// (one .sql file each, embedded), the check runner and the KQL translation.
//
// The package does not import the DuckDB driver; it works through database/sql so that only
// the binaries that open a database pay for linking DuckDB.
package sql

import _ "embed"

// Schema creates the kudulens tables. Every statement is idempotent.
//
//go:embed schema.sql
var Schema string
