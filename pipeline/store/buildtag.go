//go:build !duckdb_arrow

package store

// The store loads Arrow batches through duckdb-go's Arrow interface, which is compiled only with
// the build tag duckdb_arrow. Build and test with it (the Makefile sets GOFLAGS for you):
//
//	go build -tags duckdb_arrow ./...
//	GOFLAGS=-tags=duckdb_arrow go test ./...
var _ = build_kudulens_with_tag_duckdb_arrow
