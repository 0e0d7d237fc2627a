// Package source reads the bytes of the inputs: files and folders on disk, stdin, zip and tar
// archives (nested), gzip and zstd layers, under a decompression budget; it classifies each
// file by its content (Kudu log, application-log CSV or text, status file), decodes text to
// UTF-8 with LF line ends and hashes what is read. Walk visits every leaf as an Entry (name,
// reader, size, kind); sources that are not paths (Azure Blob Storage) plug in as a Remote.
//
// It must not import pipeline/blob, pipeline/store, pipeline or DuckDB: it knows nothing of
// Azure nor of where the rows go (internal/layers checks this).
package source
