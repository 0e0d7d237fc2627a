package sql_test

import (
	"context"
	gosql "database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kudulens/kudulens/pipeline/store"
	klsql "github.com/kudulens/kudulens/sql"
)

// emittedRow is one row of kl_check_results.
type emittedRow struct {
	status      string
	count       int64
	first, last gosql.NullTime
}

// runEmittedScript runs an emitted DuckDB script on db and reads kl_check_results by site and
// check.
func runEmittedScript(t *testing.T, db *gosql.DB, script string) map[string]map[string]emittedRow {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, stmt := range strings.Split(script, ";\n") {
		body := strings.TrimSpace(stmt)
		for strings.HasPrefix(body, "--") {
			_, body, _ = strings.Cut(body, "\n")
			body = strings.TrimSpace(body)
		}
		if body == "" {
			continue
		}
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%v\n%s", err, stmt)
		}
	}
	rows, err := conn.QueryContext(ctx, `SELECT site, "check", status, "count", first_seen, last_seen FROM kl_check_results`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]map[string]emittedRow{}
	for rows.Next() {
		var site, check string
		var r emittedRow
		if err := rows.Scan(&site, &check, &r.status, &r.count, &r.first, &r.last); err != nil {
			t.Fatal(err)
		}
		if out[site] == nil {
			out[site] = map[string]emittedRow{}
		}
		if _, dup := out[site][check]; dup {
			t.Errorf("%s %s: two rows in kl_check_results", site, check)
		}
		out[site][check] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func showResult(status string, count int64, first, last *time.Time) string {
	f := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("%s %d %s %s", status, count, f(first), f(last))
}

func nullTime(t gosql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// TestEmittedChecksOnEveryCase: every scenario of TestChecks (the boundary cases of each rule:
// windows one second short, coverage cut by Kudu's cap, skipped sections, ...) is one site of a
// lake; the emitted DuckDB script must give each site, for every check, the status, count,
// first and last seen that diagnose's runner gives it.
func TestEmittedChecksOnEveryCase(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests every check case")
	}
	ctx := context.Background()
	checks, err := klsql.BuiltinChecks()
	if err != nil {
		t.Fatal(err)
	}
	lake := filepath.Join(t.TempDir(), "lake")
	if d := os.Getenv("KEEP_LAKE"); d != "" {
		lake = d
	}
	want := map[string]map[string]klsql.Result{}
	ids := make([]string, 0, len(checkCases))
	for id := range checkCases {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var sites []string
	for _, id := range ids {
		for _, c := range checkCases[id] {
			if !c.at.IsZero() {
				continue // an evaluation time in the past: the emitted views judge at each site's latest line
			}
			site := id + "/" + c.name
			t.Run(site, func(t *testing.T) {
				b := newBundle(t)
				c.logs(b)
				database := b.ingest()
				rep, err := klsql.Run(ctx, database.DB(), checks, klsql.Options{KQL: translateKQL})
				if err != nil {
					t.Fatal(err)
				}
				want[site] = map[string]klsql.Result{}
				for _, r := range rep.Checks {
					want[site][r.ID] = r
				}
				if _, err := database.ExportParquet(ctx, lake, store.ExportOptions{Site: site}); err != nil {
					t.Fatal(err)
				}
				sites = append(sites, site)
			})
		}
	}
	if t.Failed() {
		return
	}
	database, err := store.Open(ctx, "", store.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close()
	o := klsql.EmitOptions{Dialect: klsql.DialectDuckDB, Lake: lake, KQL: translateKQL}
	if o.Schema, err = database.LakeSchema(ctx); err != nil {
		t.Fatal(err)
	}
	if o.Files, err = database.LakeFiles(ctx, lake); err != nil {
		t.Fatal(err)
	}
	em, err := klsql.EmitChecks(checks, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(em.NotEmitted) > 0 {
		t.Errorf("not emitted: %v", em.NotEmitted)
	}
	got := runEmittedScript(t, database.DB(), em.SQL)
	if len(got) != len(sites) {
		t.Errorf("%d sites in kl_check_results, want %d", len(got), len(sites))
	}
	byStatus := map[string]int{}
	for _, site := range sites {
		for _, id := range em.Emitted {
			w := want[site][id]
			g, ok := got[site][id]
			if !ok {
				t.Errorf("%s: %s: no result row", site, id)
				continue
			}
			byStatus[string(w.Status)]++
			ws := showResult(string(w.Status), w.Count, w.FirstSeen, w.LastSeen)
			gs := showResult(g.status, g.count, nullTime(g.first), nullTime(g.last))
			if ws != gs {
				t.Errorf("site %s: %s: emitted SQL says %s, the runner %s", site, id, gs, ws)
			}
		}
	}
	t.Logf("%d sites × %d checks compared: %v", len(sites), len(em.Emitted), byStatus)
}
