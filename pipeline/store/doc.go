// Package store is the kudulens database: embedded DuckDB holding the tables of
// sql/schema.sql. It opens and migrates the file, turns parsed batches into Arrow records,
// loads each file in a transaction of its own (or small files together, Group), knows which
// contents are in already (Claim), merges the copies of lines that several files hold (Merge),
// and exports to and imports from a Parquet lake.
//
// It is, with sql, the only package that imports go-duckdb. It must not import pipeline,
// pipeline/blob or cmd: it is told what to store, not where it comes from (internal/layers
// checks this).
package store
