package sql_test

import (
	"os"
	"strings"
	"testing"

	klsql "github.com/kudulens/kudulens/sql"
)

// docs/checks.md lists every built-in check, linked to its file: a check added without a line
// there fails here.
func TestChecksDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/checks.md")
	if err != nil {
		t.Fatal(err)
	}
	checks, err := klsql.BuiltinChecks()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		name := c.File[strings.LastIndex(c.File, "/")+1:]
		if want := "| [`" + c.ID + "`](../sql/checks/" + name + ") |"; !strings.Contains(string(doc), want) {
			t.Errorf("docs/checks.md has no line for %s (want %q)", c.ID, want)
		}
	}
}
