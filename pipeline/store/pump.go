package store

import (
	"context"
	gosql "database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/duckdb/duckdb-go/v2"
)

// Arrow batches reach DuckDB through "pumps": one Arrow stream view per schema and driver
// connection, registered once, outside any transaction, in an attached in-memory catalog
// (pumpCatalog). Each INSERT ... SELECT FROM the view drains the batches handed to its pump
// and sees the end of the stream; the next INSERT reads the next batches.
//
// Why not a view per batch, as before: DuckDB 2.0 makes the view of an Arrow scan a
// persistent catalog entry, and a transaction that creates one in a database file fails at
// commit ("Cannot serialize a table function with process-local bind input"); outside a
// transaction the registration itself fails. A view in an in-memory catalog is never
// serialized, but a transaction may write to one database only, so the views must exist before
// the file's transaction begins. Registering once per connection also drops two catalog
// changes (CREATE VIEW, DROP VIEW) per batch.
const pumpCatalog = "kl_mem"

// pump is an array.RecordReader that yields the records put in it, then reports the end of
// the stream; it starts over with the next records. DuckDB calls it from the thread running
// the INSERT, which the connection serialises.
type pump struct {
	schema *arrow.Schema
	recs   []arrow.Record
	cur    arrow.Record
	refs   atomic.Int64
}

func (p *pump) Retain()                        { p.refs.Add(1) }
func (p *pump) Release()                       { p.refs.Add(-1) }
func (p *pump) Schema() *arrow.Schema          { return p.schema }
func (p *pump) Record() arrow.Record           { return p.cur }
func (p *pump) RecordBatch() arrow.RecordBatch { return p.cur }
func (p *pump) Err() error                     { return nil }

func (p *pump) Next() bool {
	if len(p.recs) == 0 {
		p.cur = nil
		return false
	}
	p.cur, p.recs = p.recs[0], p.recs[1:]
	return true
}

// pumpSet holds the pumps of one driver connection: the view name of each schema, and the
// INSERTs prepared on the connection, by their text.
type pumpSet struct {
	pumps map[*arrow.Schema]*pump
	views map[*arrow.Schema]string
	stmts map[string]driver.Stmt
}

// loadSchemas are the schemas batches are inserted with.
var loadSchemas = []*arrow.Schema{tracesSchema, groupTracesSchema, eventsSchema, exceptionsSchema, bulkSchema}

// preparePumps registers the pumps of conn's driver connection when it has none yet. Call it
// before the connection begins a transaction.
func (s *Store) preparePumps(ctx context.Context, conn *gosql.Conn) error {
	key, err := driverConn(conn)
	if err != nil {
		return err
	}
	s.mu.Lock()
	_, ok := s.pumps[key]
	s.mu.Unlock()
	if ok {
		return nil
	}
	var current string
	if err := conn.QueryRowContext(ctx, "SELECT current_database()").Scan(&current); err != nil {
		return fmt.Errorf("register Arrow views: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "USE "+pumpCatalog); err != nil {
		return fmt.Errorf("register Arrow views: %w", err)
	}
	id := s.nextPump.Add(1)
	set := &pumpSet{pumps: map[*arrow.Schema]*pump{}, views: map[*arrow.Schema]string{}, stmts: map[string]driver.Stmt{}}
	var releases []func()
	err = conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		for i, sc := range loadSchemas {
			p := &pump{schema: sc}
			name := fmt.Sprintf("kl_pump_%d_%d", id, i)
			release, err := ar.RegisterView(p, name)
			if err != nil {
				return err
			}
			releases = append(releases, release)
			set.pumps[sc], set.views[sc] = p, pumpCatalog+"."+name
		}
		return nil
	})
	// Back to the database, whatever happened since: a connection left in the pump catalog
	// goes back to the pool, and the next file's INSERT INTO traces on it fails ("Table with
	// name traces does not exist"). So not with ctx, which a canceled run has ended (the
	// race run of TestIngestCanceledThenAgain met that), and a connection that cannot go
	// back is dropped from the pool.
	if _, uerr := conn.ExecContext(context.Background(), "USE "+quoteIdent(current)); uerr != nil {
		conn.Raw(func(any) error { return driver.ErrBadConn })
		if err == nil {
			err = uerr
		}
	}
	// Connections prepare their pumps concurrently: the shared lists change under s.mu.
	s.mu.Lock()
	s.releases = append(s.releases, releases...)
	if err == nil {
		s.pumps[key] = set
	}
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("register Arrow views: %w", err)
	}
	return nil
}

// insertRecord runs insertSQL (which ends in FROM) on rec through conn's pump for rec's
// schema; preparePumps must have run on conn.
func (s *Store) insertRecord(ctx context.Context, conn *gosql.Conn, rec arrow.Record, insertSQL string, args ...any) error {
	key, err := driverConn(conn)
	if err != nil {
		return err
	}
	s.mu.Lock()
	set := s.pumps[key]
	s.mu.Unlock()
	if set == nil {
		return errors.New("insert batch: no Arrow views on this connection (preparePumps not called)")
	}
	p, view := set.pumps[rec.Schema()], set.views[rec.Schema()]
	if p == nil {
		return fmt.Errorf("insert batch: no Arrow view for schema %v", rec.Schema())
	}
	p.recs = append(p.recs[:0], rec)
	defer func() { p.recs, p.cur = p.recs[:0], nil }()
	// The INSERT is prepared once per connection and text, and run for each batch: a
	// prepare parses and plans the statement, and DuckDB 2.0 plans it again when it runs
	// (bench/RESULTS.md), so a statement run from its text was planned twice per batch.
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return conn.Raw(func(dc any) error {
		q := insertSQL + view
		st := set.stmts[q]
		if st == nil {
			if st, err = dc.(driver.ConnPrepareContext).PrepareContext(ctx, q); err != nil {
				return err
			}
			set.stmts[q] = st
		}
		_, err := st.(driver.StmtExecContext).ExecContext(ctx, named)
		return err
	})
}

// driverConn returns the driver connection under conn: the pumps are registered on it.
func driverConn(conn *gosql.Conn) (driver.Conn, error) {
	var dc driver.Conn
	err := conn.Raw(func(c any) error {
		dc = c.(driver.Conn)
		return nil
	})
	return dc, err
}
