package store

// Internals that the external tests (package store_test, which ingest through pipeline and so
// cannot be in package store) check the lake with.
var (
	HasParquet   = hasParquet
	LakeGlob     = lakeGlob
	QuoteIdent   = quoteIdent
	QuoteStr     = quoteStr
	TableColumns = tableColumns
)
