package store

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
)

// Internals that the external tests (package store_test, which ingest through pipeline and so
// cannot be in package store) check the lake with.
var (
	QuoteIdent   = quoteIdent
	QuoteStr     = quoteStr
	TableColumns = tableColumns
)

// LakeGlob is every Parquet file of a table in dir, for parquet_metadata.
func LakeGlob(dir, table string) string {
	return filepath.ToSlash(filepath.Join(dir, "table="+table)) + "/**/*.parquet"
}

// HasParquet reports whether dir holds a .parquet file.
func HasParquet(dir string) bool {
	found := false
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// LakeSource is the read_parquet call over the committed files of table in dir, as the
// loader reads them ("" when there are none), and a func to clean up after.
func (s *Store) LakeSource(ctx context.Context, dir, table string) (string, func(), error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close()
	l, err := readLake(ctx, conn, dir, false)
	if err != nil {
		return "", nil, err
	}
	if len(l.files[table]) == 0 {
		return "", l.close, nil
	}
	src, err := l.source(l.files[table])
	return src, l.close, err
}
