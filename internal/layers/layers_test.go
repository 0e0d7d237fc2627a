package layers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const (
	module = "github.com/kudulens/kudulens"
	duckdb = "github.com/duckdb/duckdb-go/v2"
	azure  = "github.com/Azure/"
)

// pkg is what go list -json says of a package.
type pkg struct {
	ImportPath string
	Imports    []string
}

// rule forbids the packages matching from (and what they import, transitively) to reach a
// package matching one of to.
type rule struct {
	from string   // a package path below the module, or a prefix ending in "/..."
	to   []string // full paths, or prefixes ending in "/..."
	why  string
}

var rules = []rule{
	{"parse", []string{module + "/...", duckdb + "/..."},
		"parse turns text into rows: no I/O, nothing of ours, no DuckDB"},
	{"pipeline/source", []string{module + "/pipeline", module + "/pipeline/blob", module + "/pipeline/store", duckdb + "/...", azure + "..."},
		"pipeline/source reads bytes: it knows nothing of Azure nor of the database"},
	{"pipeline/blob", []string{module + "/pipeline", module + "/pipeline/store", duckdb + "/..."},
		"pipeline/blob is a source: it knows nothing of the database"},
	{"pipeline/store", []string{module + "/pipeline", module + "/pipeline/blob"},
		"pipeline/store is told what to store, not where it comes from"},
	{"...", []string{module + "/cmd/...", module + "/bench/..."},
		"commands and benchmarks are ends: nothing imports them"},
}

// duckdbOwners may import go-duckdb directly; any other package reaches DuckDB through them.
// cmd/kudulens reads DuckDB's error types and intervals for `query`; bench measures DuckDB
// itself.
var duckdbOwners = []string{"pipeline/store", "sql/...", "cmd/kudulens", "bench/..."}

func match(path, pattern string) bool {
	if p, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == p || strings.HasPrefix(path, p+"/")
	}
	if pattern == "..." {
		return true
	}
	return path == pattern
}

// load lists every package of the module and what it depends on (tests excluded: a test may
// import what its package must not, e.g. pipeline/store's tests ingest through pipeline).
func load(t *testing.T) map[string]*pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]*pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs[p.ImportPath] = &p
	}
	if len(pkgs) == 0 || pkgs[module+"/parse"] == nil {
		t.Fatalf("go list found no packages of %s", module)
	}
	return pkgs
}

// path returns a chain of imports from `from` to a package matching one of to, or nil.
func path(pkgs map[string]*pkg, from string, to []string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		p := pkgs[cur]
		if p == nil {
			continue
		}
		for _, imp := range p.Imports {
			if _, seen := prev[imp]; seen {
				continue
			}
			prev[imp] = cur
			for _, pat := range to {
				if match(imp, pat) {
					chain := []string{imp}
					for c := cur; c != ""; c = prev[c] {
						chain = append([]string{c}, chain...)
					}
					return chain
				}
			}
			queue = append(queue, imp)
		}
	}
	return nil
}

func own(path string) (string, bool) {
	if path == module {
		return "", true
	}
	return strings.CutPrefix(path, module+"/")
}

func TestImportRules(t *testing.T) {
	pkgs := load(t)
	for _, r := range rules {
		for ip := range pkgs {
			rel, ok := own(ip)
			if !ok || !match(rel, r.from) {
				continue
			}
			to := r.to
			if r.from == "..." {
				// A command or benchmark may import its own tree's packages (bench/gen).
				to = nil
				for _, pat := range r.to {
					if !match(ip, pat) {
						to = append(to, pat)
					}
				}
			}
			if chain := path(pkgs, ip, to); chain != nil {
				t.Errorf("%s: %s", r.why, strings.Join(chain, " -> "))
			}
		}
	}
}

func TestDuckDBOwners(t *testing.T) {
	for ip, p := range load(t) {
		rel, ok := own(ip)
		if !ok {
			continue
		}
		owner := false
		for _, o := range duckdbOwners {
			owner = owner || match(rel, o)
		}
		if owner {
			continue
		}
		for _, imp := range p.Imports {
			if match(imp, duckdb+"/...") {
				t.Errorf("%s imports %s: DuckDB belongs to pipeline/store and sql", rel, imp)
			}
		}
	}
}
