package elementary

import (
	"fmt"
	"strings"
)

// Dialect is a warehouse SQL dialect.
type Dialect string

// Dialects Todai reads.
const (
	SQLite    Dialect = "sqlite"
	Postgres  Dialect = "postgres"
	Snowflake Dialect = "snowflake"
)

// SQLType is the column type Elementary creates for a logical type on a dialect (DR:macros/utils/data_types).
func SQLType(d Dialect, t Type) string {
	switch d {
	case Postgres:
		return map[Type]string{String: "varchar(4096)", Text: "text", Timestamp: "timestamp without time zone",
			TimeText: "varchar(4096)", Bool: "boolean", Int: "bigint", Float: "float"}[t]
	case Snowflake:
		return map[Type]string{String: "VARCHAR", Text: "VARCHAR", Timestamp: "TIMESTAMP_NTZ",
			TimeText: "VARCHAR", Bool: "BOOLEAN", Int: "NUMBER(38,0)", Float: "FLOAT"}[t]
	default:
		// SQLite: the declared types make go-sqlite3 return time.Time for TIMESTAMP and bool for BOOLEAN.
		return map[Type]string{String: "TEXT", Text: "TEXT", Timestamp: "TIMESTAMP", TimeText: "TEXT",
			Bool: "BOOLEAN", Int: "INTEGER", Float: "REAL"}[t]
	}
}

// CreateTableSQL returns the CREATE TABLE statement Elementary would have produced for t on dialect d, restricted
// to the columns Todai reads (or to the given columns, when any are named: older Elementary versions lack some).
// There is no primary key: the real tables have none, and their history tables hold duplicates.
// It is used to build demo and test warehouses, never against a user's warehouse.
func CreateTableSQL(d Dialect, schema string, t Table, only ...string) string {
	keep := map[string]bool{}
	for _, c := range only {
		keep[c] = true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (", QualifiedName(d, schema, t.Name))
	first := true
	for _, c := range t.Columns {
		if len(keep) > 0 && !keep[c.Name] {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		fmt.Fprintf(&b, "%s %s", c.Name, SQLType(d, c.Type))
	}
	b.WriteString(")")
	return b.String()
}

// QualifiedName returns schema.table, or table when schema is empty. Both must be plain identifiers (checked by
// ValidIdentifier before they reach here).
func QualifiedName(_ Dialect, schema, table string) string {
	if schema == "" {
		return table
	}
	return schema + "." + table
}

// ValidIdentifier reports whether s is a plain SQL identifier (letters, digits, underscore, optionally dotted
// database.schema), safe to place in SQL text where parameters cannot go (schema names in FROM, SHOW TABLES).
func ValidIdentifier(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			return false
		}
		for i, r := range part {
			switch {
			case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			case r >= '0' && r <= '9' && i > 0, r == '$' && i > 0:
			default:
				return false
			}
		}
	}
	return true
}
