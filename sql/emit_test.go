package sql_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kudulens/kudulens/internal/emittest"
	"github.com/kudulens/kudulens/pipeline/store"
	klsql "github.com/kudulens/kudulens/sql"
	"github.com/kudulens/kudulens/sql/kql"
)

// TestEmittedChecksOnCheckCases: every scenario of TestChecks (the boundary cases of each rule:
// windows one second short, coverage cut by Kudu's cap, skipped sections, ...) is one site of a
// lake; the emitted DuckDB script must give each site, for every check, the status, count,
// first and last seen that diagnose's runner gives it.
func TestEmittedChecksOnCheckCases(t *testing.T) {
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
	// Each case is ingested and exported in a subtest of its own, in parallel, into a lake
	// folder of its own (exports into one folder at once would race on its commit markers);
	// the folders are then moved into one lake: every file name carries its export id.
	var sites []string
	var mu sync.Mutex
	parts := t.TempDir()
	started := time.Now()
	t.Run("cases", func(t *testing.T) {
		n, k := 0, 0
		for _, id := range ids {
			for _, c := range checkCases[id] {
				if !c.at.IsZero() {
					continue // an evaluation time in the past: the emitted views judge at each site's latest line
				}
				// Every third case (all of them took a minute of make test's six): each case
				// is still one check's scenario, and every site is judged by all the checks.
				if k++; k%3 != 1 {
					continue
				}
				site, part := id+"/"+c.name, filepath.Join(parts, fmt.Sprint(n))
				n++
				t.Run(site, func(t *testing.T) {
					t.Parallel()
					b := newBundle(t)
					c.logs(b)
					database := b.ingest()
					rep, err := klsql.Run(ctx, database.DB(), checks, klsql.Options{KQL: translateKQL})
					if err != nil {
						t.Fatal(err)
					}
					results := map[string]klsql.Result{}
					for _, r := range rep.Checks {
						results[r.ID] = r
					}
					if _, err := database.ExportParquet(ctx, part, store.ExportOptions{Site: site}); err != nil {
						t.Fatal(err)
					}
					mu.Lock()
					want[site] = results
					sites = append(sites, site)
					mu.Unlock()
				})
			}
		}
	})
	t.Logf("cases ingested and exported in %s", time.Since(started).Round(time.Millisecond))
	sort.Strings(sites)
	if !t.Failed() {
		if err := mergeLakes(parts, lake); err != nil {
			t.Fatal(err)
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
	got := emittest.Run(t, database.DB(), em.SQL)
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
			ws := emittest.Show(string(w.Status), w.Count, w.FirstSeen, w.LastSeen)
			gs := g.String()
			if ws != gs {
				t.Errorf("site %s: %s: emitted SQL says %s, the runner %s", site, id, gs, ws)
			}
		}
	}
	t.Logf("%d sites × %d checks compared: %v (%s)", len(sites), len(em.Emitted), byStatus, time.Since(started).Round(time.Millisecond))

	// The Spark SQL script, run by DuckDB: its lake views (USING parquet) replaced by the
	// DuckDB script's, its string literals' escapes undone, and the few Spark functions DuckDB
	// lacks defined as macros of DuckDB's.
	o.Dialect, o.Files = klsql.DialectSparkSQL, nil
	spark, err := klsql.EmitChecks(checks, o)
	if err != nil {
		t.Fatal(err)
	}
	for id, why := range spark.NotEmitted {
		if !strings.Contains(spark.SQL, "--   "+id+": ") {
			t.Errorf("Spark: %s is not emitted (%s) but the script does not say so", id, why)
		}
	}
	if len(spark.Emitted) < 18 {
		t.Errorf("Spark: only %d checks emitted: %v", len(spark.Emitted), spark.NotEmitted)
	}
	var lakeViews []string
	for _, stmt := range strings.Split(em.SQL, ";\n") {
		if s := emittest.WithoutComments(stmt); strings.HasPrefix(s, "CREATE OR REPLACE VIEW kl_lake_") {
			lakeViews = append(lakeViews, s)
		}
	}
	if len(lakeViews) != 6 {
		t.Fatalf("%d lake views in the DuckDB script", len(lakeViews))
	}
	var sparkStmts []string
	for _, stmt := range strings.Split(spark.SQL, ";\n") {
		s := emittest.WithoutComments(stmt)
		if strings.HasPrefix(s, "CREATE OR REPLACE TEMPORARY VIEW kl_raw_") || strings.HasPrefix(s, "CREATE OR REPLACE TEMPORARY VIEW kl_lake_") {
			if !strings.Contains(s, "USING parquet OPTIONS (path '"+lake+"/table=") && !strings.Contains(s, " FROM kl_raw_") {
				t.Errorf("Spark lake view: %s", s)
			}
			continue
		}
		// DuckDB's string literals take no backslash escapes: undo Spark's \' and \\; and
		// DuckDB keeps the coverage and each result, as its own script does (views all the
		// way down run out of memory in one query here, where Spark would plan them in stages)
		stmt = strings.ReplaceAll(strings.ReplaceAll(stmt, `\'`, "''"), `\\`, `\`)
		// Spark's transform(l, e -> e.v) is DuckDB's list_transform(l, lambda e: e.v)
		stmt = strings.ReplaceAll(strings.ReplaceAll(stmt, "transform(array_sort(", "list_transform(array_sort("), "e -> e.v)", "lambda e: e.v)")
		for _, kept := range []string{"kl_sites", "kl_eval", "kl_cov_app", "kl_capped_us", "kl_capped", "kl_cov_joblog", "kl_result_"} {
			stmt = strings.Replace(stmt, "CREATE OR REPLACE TEMPORARY VIEW "+kept, "CREATE OR REPLACE TEMP TABLE "+kept, 1)
		}
		sparkStmts = append(sparkStmts, stmt)
	}
	shims := []string{
		"CREATE MACRO unix_micros(x) AS epoch_us(x)",
		"CREATE MACRO timestamp_micros(x) AS make_timestamp(x)",
		"CREATE MACRO explode(l) AS unnest(l)",
		"CREATE MACRO regexp_like(s, p) AS regexp_matches(s, p)",
		"CREATE MACRO startswith(a, b) AS starts_with(a, b)",
		"CREATE MACRO array_join(a, b) AS array_to_string(a, b)",
		"CREATE MACRO struct(a, b) AS row(a, b), (a, b, c) AS row(a, b, c)",
		`CREATE MACRO date_format(t, f) AS CASE WHEN f = 'yyyy-MM-dd''T''HH:mm:ss''Z''' THEN strftime(t, '%Y-%m-%dT%H:%M:%SZ') END`,
		"CREATE MACRO format_string(f, a) AS printf(f, a), (f, a, b) AS printf(f, a, b)",
		// Spark's collect_list skips NULLs and gives an empty array over no rows
		"CREATE MACRO collect_list(x) AS coalesce(list(x) FILTER (WHERE x IS NOT NULL), [])",
		"CREATE MACRO named_struct(v, vv) AS {'v': vv}, (k, kv, v, vv) AS {'k': kv, 'v': vv}",
		// the three formats the checks parse with (sql/spark.go strftimeToSpark)
		`CREATE MACRO try_to_timestamp(x, f) AS CASE f WHEN 'yyyy-M-d H:mm:ss' THEN try_strptime(x, '%Y-%m-%d %H:%M:%S')
			WHEN 'M/d/yyyy h:mm:ss a' THEN try_strptime(x, '%m/%d/%Y %I:%M:%S %p') WHEN 'd/M/yyyy H:mm:ss' THEN try_strptime(x, '%d/%m/%Y %H:%M:%S') END`,
	}
	sdb, err := store.Open(ctx, "", store.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	gotSpark := emittest.Run(t, sdb.DB(), strings.Join(append(append(shims, lakeViews...), sparkStmts...), ";\n"))
	for _, site := range sites {
		for _, id := range spark.Emitted {
			w, g := want[site][id], gotSpark[site][id]
			ws := emittest.Show(string(w.Status), w.Count, w.FirstSeen, w.LastSeen)
			gs := g.String()
			if ws != gs {
				t.Errorf("Spark SQL on site %s: %s: %s, the runner %s", site, id, gs, ws)
			}
		}
	}
	t.Logf("Spark SQL: %d checks compared; not emitted: %v", len(spark.Emitted), spark.NotEmitted)
	// KQL: the functions' structure, and each check's matches translated back to DuckDB SQL
	// (sql/kql) and counted per site against the emitted SQL's rows of the same check.
	kq, err := klsql.EmitKQL(checks, o)
	if err != nil {
		t.Fatal(err)
	}
	checkKQLStructure(t, kq)
	if len(kq.Emitted) < 12 {
		t.Errorf("KQL: only %d checks emitted: %v", len(kq.Emitted), kq.NotEmitted)
	}
	conn, err := database.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, id := range kq.Emitted {
		for _, q := range kqlMatchQueries(t, kq.SQL, id) {
			sqlText, err := kql.Translate(q.kql, kql.Options{Tables: map[string]string{q.table: "kl_lake_" + q.table}})
			if err != nil {
				t.Errorf("KQL %s: %v\n%s", id, err, q.kql)
				continue
			}
			cmp := `SELECT count(*) FROM (
				SELECT export_site, count(*) AS n FROM (` + sqlText + `) GROUP BY export_site) k
				FULL JOIN (SELECT export_site, count(*) AS n FROM kl_rows_` + strings.ReplaceAll(id, "-", "_") + ` GROUP BY export_site) s USING (export_site)
				WHERE k.n IS DISTINCT FROM s.n`
			if len(kqlMatchQueries(t, kq.SQL, id)) > 1 {
				t.Logf("KQL %s: a union; its parts are compared in sum", id)
				break
			}
			var differ int
			if err := conn.QueryRowContext(ctx, cmp).Scan(&differ); err != nil {
				t.Errorf("KQL %s: %v\n%s", id, err, sqlText)
				continue
			}
			if differ > 0 {
				t.Errorf("KQL %s: the translated matches differ from the SQL's on %d sites\n%s", id, differ, q.kql)
			}
		}
	}
	t.Logf("KQL: %d checks compared; not emitted: %v", len(kq.Emitted), kq.NotEmitted)
}

// checkKQLStructure checks the emitted ADX commands: one .create-or-alter function per lake
// table, check and kl_check_results, braces balanced outside strings, every check of
// kl_check_results defined, every check not emitted named.
func checkKQLStructure(t *testing.T, em *klsql.Emitted) {
	t.Helper()
	defined := map[string]bool{}
	for _, block := range strings.Split(em.SQL, "\n\n") {
		block = strings.TrimSpace(block)
		if block == "" || strings.HasPrefix(block, "//") {
			continue
		}
		if strings.HasPrefix(block, ".create-or-alter external table kudulens_") {
			if !strings.Contains(block, "\nkind = storage\ndataformat = parquet\n(h@'") || !strings.Contains(block, "['timestamp']:datetime") && !strings.Contains(block, "kudulens_rejects") && !strings.Contains(block, "kudulens_job_status") && !strings.Contains(block, "kudulens_files") {
				t.Errorf("KQL: external table:\n%s", block)
			}
			defined[strings.Fields(block)[3]] = true
			continue
		}
		if !strings.HasPrefix(block, ".create-or-alter function with (folder = \"kudulens\", docstring = ") || !strings.HasSuffix(block, "\n}") {
			t.Errorf("KQL: not a function definition:\n%s", block)
			continue
		}
		open := strings.Index(block, ") kl_")
		name := block[open+2:]
		name = name[:strings.Index(name, "()")]
		defined[name] = true
		depth, inStr := 0, false
		for i := 0; i < len(block); i++ {
			switch c := block[i]; {
			case inStr && c == '\\':
				i++
			case c == '"':
				inStr = !inStr
			case !inStr && (c == '{' || c == '('):
				depth++
			case !inStr && (c == '}' || c == ')'):
				depth--
				if depth < 0 {
					t.Errorf("KQL %s: unbalanced", name)
				}
			}
		}
		if depth != 0 || inStr {
			t.Errorf("KQL %s: unbalanced braces or quotes", name)
		}
	}
	for _, tb := range []string{"traces", "exceptions", "customEvents", "rejects", "job_status", "files"} {
		if !defined["kl_lake_"+tb] || !defined["kudulens_"+tb] {
			t.Errorf("KQL: no kl_lake_%s or external table kudulens_%s", tb, tb)
		}
	}
	for _, id := range em.Emitted {
		name := "kl_check_" + strings.ReplaceAll(id, "-", "_")
		if !defined[name] || !strings.Contains(em.SQL, name+"()") {
			t.Errorf("KQL: %s not defined or not in kl_check_results", name)
		}
	}
	for id := range em.NotEmitted {
		if !strings.Contains(em.SQL, "//   "+id+": ") {
			t.Errorf("KQL: %s is not emitted but the script does not say so", id)
		}
	}
	if !defined["kl_check_results"] || !defined["kl_sites"] || !defined["kl_eval"] {
		t.Errorf("KQL: kl_check_results, kl_sites or kl_eval missing")
	}
}

type kqlMatch struct{ table, kql string }

// kqlMatchQueries returns the match queries of an emitted check function as plain KQL over a
// table ("traces | where ..."), for the translator.
func kqlMatchQueries(t *testing.T, script, id string) []kqlMatch {
	t.Helper()
	name := "kl_check_" + strings.ReplaceAll(id, "-", "_") + "() {\n"
	i := strings.Index(script, name)
	if i < 0 {
		t.Fatalf("no function for %s", id)
	}
	body := script[i+len(name):]
	body = body[:strings.Index(body, "\n    | join kind=inner kl_eval()")]
	body = strings.TrimPrefix(body, "let r = materialize(")
	union := strings.HasPrefix(body, "union ")
	body = strings.TrimPrefix(body, "union ")
	var out []kqlMatch
	for _, part := range strings.Split(body, ",\n    ") {
		part = strings.TrimSpace(part)
		if union { // each operand in parentheses
			if !strings.HasPrefix(part, "(") || !strings.HasSuffix(part, ")") {
				t.Fatalf("%s: union operand %q is not parenthesized", id, part)
			}
			part = part[1 : len(part)-1]
		}
		part = strings.TrimSuffix(part, "| project site = export_site, t = ['timestamp']")
		part = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part), "\n"))
		table, rest, ok := strings.Cut(strings.TrimPrefix(part, "kl_lake_"), "()")
		if !ok {
			t.Fatalf("%s: match query %q", id, part)
		}
		out = append(out, kqlMatch{table, table + rest})
	}
	return out
}

// mergeLakes moves the files of every lake folder under parts into lake (their names, export
// ids in them, do not collide).
func mergeLakes(parts, lake string) error {
	ents, err := os.ReadDir(parts)
	if err != nil {
		return err
	}
	for _, e := range ents {
		root := filepath.Join(parts, e.Name())
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			dst := filepath.Join(lake, rel)
			if _, err := os.Stat(dst); err == nil {
				return fmt.Errorf("%s is in two lakes", rel)
			}
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			return os.Rename(p, dst)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
