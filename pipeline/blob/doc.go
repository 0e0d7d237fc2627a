// Package blob reads Azure Blob Storage containers as a source of the walk (source.Remote):
// it parses the source URL and chooses the credential, lists the container (prefix), prunes by
// date, fetches blobs ahead with ranged and resumed reads and retries, explains failures
// without leaking secrets, keeps the incremental state file (what was read of each blob, so
// that the next run reads only what is new), and lists the sites of a fleet.
//
// It imports pipeline/source for the entry and the walk; it must not import pipeline/store,
// pipeline or DuckDB: what it needs of the database is the small Database interface, and what
// it needs of a run's outcome is []Outcome (internal/layers checks this).
package blob
