package kql

import (
	"regexp"
	"strings"

	klsql "github.com/kudulens/kudulens/sql"
)

// kqlType is a KQL scalar type.
type kqlType uint8

const (
	typeNull     kqlType = iota // an untyped null, fits any type
	typeBool                    // BOOLEAN
	typeInt                     // INTEGER (32 bits)
	typeLong                    // BIGINT
	typeReal                    // DOUBLE
	typeString                  // VARCHAR; SQL NULL reads as "" (KQL strings are never null)
	typeDatetime                // TIMESTAMP, UTC
	typeTimespan                // INTERVAL, whole microseconds
	typeDynamic                 // JSON, or a LIST from split()
)

func (t kqlType) String() string {
	return [...]string{"null", "bool", "int", "long", "real", "string", "datetime", "timespan", "dynamic"}[t]
}

func (t kqlType) numeric() bool  { return t == typeInt || t == typeLong || t == typeReal }
func (t kqlType) integral() bool { return t == typeInt || t == typeLong }

// sqlTypeName is the DuckDB type for t.
func (t kqlType) sqlTypeName() string {
	return [...]string{"VARCHAR", "BOOLEAN", "INTEGER", "BIGINT", "DOUBLE", "VARCHAR", "TIMESTAMP", "INTERVAL", "JSON"}[t]
}

// column is a column of a relation: its KQL name (case-sensitive) and the name it has in
// the SQL of the stage that produces it. The two differ when DuckDB, whose names are
// case-insensitive, would confuse it with another column (message and Message), and for
// customEvents.properties, which KQL calls customDimensions.
type column struct {
	name string
	sql  string
	typ  kqlType
	list bool    // a dynamic array held as a DuckDB LIST (split(), make_list()), not JSON
	elem kqlType // the type of a LIST's elements
}

// tableSchema is a kudulens table as KQL sees it.
type tableSchema struct {
	name string
	cols []column
}

// kqlTables are the tables a query may name, in sql/schema.sql order.
var kqlTables = map[string]bool{"traces": true, "exceptions": true, "customEvents": true, "files": true, "rejects": true, "job_status": true}

// kqlNames renames SQL columns to their App Insights twins.
var kqlNames = map[string]string{"customEvents.properties": "customDimensions"}

var (
	createTable = regexp.MustCompile(`(?m)^CREATE TABLE IF NOT EXISTS (\w+) \(\s*$`)
	columnDef   = regexp.MustCompile(`^\s+(\w+)\s+([A-Z]+)`)
)

// schemas are read from sql/schema.sql, so the translator and the database never disagree.
var schemas = loadSchemas(klsql.Schema)

func loadSchemas(ddl string) map[string]*tableSchema {
	out := map[string]*tableSchema{}
	lines := strings.Split(ddl, "\n")
	var cur *tableSchema
	for _, line := range lines {
		if m := createTable.FindStringSubmatch(line); m != nil {
			cur = nil
			if kqlTables[m[1]] {
				cur = &tableSchema{name: m[1]}
				out[m[1]] = cur
			}
			continue
		}
		if strings.HasPrefix(line, ");") {
			cur = nil
			continue
		}
		if cur == nil {
			continue
		}
		m := columnDef.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		typ, ok := map[string]kqlType{
			"VARCHAR": typeString, "INTEGER": typeInt, "BIGINT": typeLong, "UINTEGER": typeLong, "DOUBLE": typeReal,
			"BOOLEAN": typeBool, "TIMESTAMP": typeDatetime, "JSON": typeDynamic, "INTERVAL": typeTimespan,
		}[m[2]]
		if !ok {
			panic("kql: schema.sql: column " + cur.name + "." + m[1] + " has type " + m[2] + " with no KQL twin")
		}
		name := m[1]
		if n, ok := kqlNames[cur.name+"."+m[1]]; ok {
			name = n
		}
		cur.cols = append(cur.cols, column{name: name, sql: m[1], typ: typ})
	}
	for t := range kqlTables {
		if out[t] == nil || len(out[t].cols) == 0 {
			panic("kql: schema.sql has no table " + t)
		}
	}
	return out
}

// quoteIdent quotes a SQL identifier. Every identifier the translator writes is quoted:
// DuckDB keywords (level, see stack-notes G5) and case stay as the user wrote them.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// quoteString writes a SQL string literal (DuckDB does not treat backslashes specially).
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
