package sql_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kudulens/kudulens/pipeline"
	"github.com/kudulens/kudulens/pipeline/store"
	"github.com/kudulens/kudulens/report"
	klsql "github.com/kudulens/kudulens/sql"
	"github.com/kudulens/kudulens/sql/kql"
)

var update = flag.Bool("update", false, "rewrite golden files")

// sampleSource is the bundled sample, as a customer sends it.
const sampleSource = "../fixtures/sample-bundle.zip"

type expected struct {
	Capture  string `json:"capture"`
	Problems []struct {
		Check    string `json:"check"`
		Job      string `json:"job"`
		Evidence []struct {
			File string `json:"file"`
			Line int64  `json:"line"`
		} `json:"evidence"`
	} `json:"problems"`
}

// sampleStore is an in-memory database with the sample bundle ingested, closed when the test
// ends.
func sampleStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	database, err := store.Open(ctx, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close() })
	sum, err := pipeline.Ingest(ctx, database, []string{sampleSource}, pipeline.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed() {
		t.Fatalf("some sample files failed: %+v", sum.Files)
	}
	return database
}

func diagnoseSample(t *testing.T) *klsql.Report {
	t.Helper()
	ctx := context.Background()
	database := sampleStore(t)
	checks, err := klsql.BuiltinChecks()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := klsql.Run(ctx, database.DB(), checks, klsql.Options{KQL: translateKQL})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// The sample bundle's planted problems are found, and nothing else, with evidence at the
// right file and line (fixtures/sample-expected.json is written by the generator).
func TestSampleDiagnosis(t *testing.T) {
	rep := diagnoseSample(t)
	b, err := os.ReadFile("../fixtures/sample-expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var exp expected
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]bool{} // check → "file:line" of its expected evidence
	for _, p := range exp.Problems {
		if want[p.Check] == nil {
			want[p.Check] = map[string]bool{}
		}
		for _, e := range p.Evidence {
			want[p.Check][e.File+":"+itoa(e.Line)] = true
		}
	}
	var got []string
	for _, c := range rep.Checks {
		if c.Status != klsql.StatusFail {
			continue
		}
		got = append(got, c.ID)
		exps, planted := want[c.ID]
		if !planted {
			t.Errorf("check %s failed but nothing was planted for it: %s", c.ID, c.Detail)
			continue
		}
		found := false
		for _, e := range c.Evidence {
			if exps[memberPath(e.File)+":"+itoa(e.Line)] {
				found = true
			}
		}
		if !found && len(exps) > 0 {
			var ev []string
			for _, e := range c.Evidence {
				ev = append(ev, memberPath(e.File)+":"+itoa(e.Line))
			}
			t.Errorf("check %s: no evidence at an expected place; got %v, want one of %v", c.ID, ev, keys(exps))
		}
	}
	for id := range want {
		if !contains(got, id) {
			t.Errorf("planted problem %s not found", id)
		}
	}
	if len(rep.Checks) == 0 {
		t.Fatal("no checks ran")
	}
}

// The JSON report of the sample is stable: scripts rely on its shape and content.
func TestSampleJSONGolden(t *testing.T) {
	rep := diagnoseSample(t)
	var b strings.Builder
	if err := report.JSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	path := filepath.Join("testdata", "sample-report.golden.json")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./sql -run Golden -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("the sample's JSON report changed (go test ./sql -run Golden -update rewrites %s); diff:\n%s", path, firstDiff(string(want), got))
	}
	// Every catalogue check is present once.
	checks, _ := klsql.BuiltinChecks()
	seen := map[string]int{}
	for _, c := range rep.Checks {
		seen[c.ID]++
	}
	for _, c := range checks {
		if seen[c.ID] != 1 {
			t.Errorf("check %s appears %d times in the report", c.ID, seen[c.ID])
		}
	}
}

func translateKQL(q string, now time.Time) (string, error) {
	return kql.Translate(q, kql.Options{Now: now})
}

// memberPath returns the path of a file inside the sample, however it was read.
func memberPath(p string) string {
	p = filepath.ToSlash(p)
	for _, prefix := range []string{"sample-bundle.zip!", "fixtures/sample/"} {
		if i := strings.Index(p, prefix); i >= 0 {
			return p[i+len(prefix):]
		}
	}
	return p
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return "line " + itoa(int64(i+1)) + ":\n- " + al[i] + "\n+ " + bl[i]
		}
	}
	return "lengths differ"
}

func itoa(n int64) string { return strings.TrimSpace(strings.Replace(jsonNum(n), "\n", "", -1)) }

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// RunQueries (the bench's checks-queries row) runs every SQL check's query on the sample, and
// a query that fails fails the row, naming the check.
func TestRunQueriesOnSample(t *testing.T) {
	ctx := context.Background()
	database := sampleStore(t)
	checks, err := klsql.BuiltinChecks()
	if err != nil {
		t.Fatal(err)
	}
	// A query that fails is an error of the row, never a silent gap in it.
	broken := *checks[0]
	broken.ID, broken.Query = "broken", "SELECT no_such_column FROM traces"
	if err := klsql.RunQueries(ctx, database.DB(), append(checks, &broken)); err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("a failing query: %v", err)
	}
	if err := klsql.RunQueries(ctx, database.DB(), checks); err != nil {
		t.Fatal(err)
	}
}
