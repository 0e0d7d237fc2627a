// Package pipeline is the ingest: it walks the sources (pipeline/source, with Azure Blob
// Storage plugged in from pipeline/blob), reads each file on a file worker, cuts it into
// chunks of whole lines, parses the chunks on a pool of parse workers (parse), and loads the
// rows into the database (pipeline/store), one transaction per file or per group of small
// files. It accounts for every input (files rows, notes on damage and limits) and reports
// progress; ParseOnly runs the same stages without the database, for measuring.
//
// It wires the three rooms and owns none of their work: reading bytes belongs to source,
// Azure to blob, SQL and DuckDB to store. It must not import cmd or bench (internal/layers
// checks this).
package pipeline
