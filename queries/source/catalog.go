package source

import (
	"fmt"
	"sort"
	"strings"

	"github.com/todai-dev/todai/queries/elementary"
)

// MissingColumn names a Required column that a present Elementary table lacks.
type MissingColumn struct {
	Table  string
	Column string
}

// SchemaError reports an Elementary schema Todai can only partly read: tables lacking a Required column (they are
// left out of the Catalog returned with the error) and non-optional tables that are absent. Discover returns it
// together with a usable Catalog of the remaining tables; callers that can live with that test for it with
// errors.As and carry on.
type SchemaError struct {
	// Missing lists the Required columns absent from present tables, sorted by table then column.
	Missing []MissingColumn
	// AbsentTables lists the non-optional Elementary tables not found, sorted.
	AbsentTables []string
	// NoTables is true when no Elementary table at all was found: most likely the wrong database or schema.
	NoTables bool
}

// Error reads like "dbt_models lacks unique_id; tables not found: dbt_exposures".
func (e *SchemaError) Error() string {
	var parts []string
	if e.NoTables {
		parts = append(parts, "no Elementary tables found (is this the Elementary schema?)")
	}
	for _, m := range e.Missing {
		parts = append(parts, fmt.Sprintf("%s lacks %s", m.Table, m.Column))
	}
	if len(e.AbsentTables) > 0 && !e.NoTables {
		parts = append(parts, "tables not found: "+strings.Join(e.AbsentTables, ", "))
	}
	return "source: incomplete Elementary schema: " + strings.Join(parts, "; ")
}

// CheckCatalog keeps the Elementary tables of c that have all their Required columns and reports the rest. The
// returned Catalog is always usable; the error, when not nil, is a *SchemaError. c is not modified.
func CheckCatalog(c Catalog) (Catalog, error) {
	out := Catalog{}
	var se SchemaError
	for _, t := range elementary.Tables() {
		cols, ok := c[t.Name]
		if !ok {
			if !t.Optional {
				se.AbsentTables = append(se.AbsentTables, t.Name)
			}
			continue
		}
		complete := true
		for _, col := range t.Columns {
			if col.Required && !cols[col.Name] {
				se.Missing = append(se.Missing, MissingColumn{Table: t.Name, Column: col.Name})
				complete = false
			}
		}
		if complete {
			kept := make(map[string]bool, len(cols))
			for k, v := range cols {
				kept[k] = v
			}
			out[t.Name] = kept
		}
	}
	se.NoTables = len(se.AbsentTables) > 0 && len(out) == 0 && len(se.Missing) == 0
	sort.Strings(se.AbsentTables)
	sort.Slice(se.Missing, func(i, j int) bool {
		if se.Missing[i].Table != se.Missing[j].Table {
			return se.Missing[i].Table < se.Missing[j].Table
		}
		return se.Missing[i].Column < se.Missing[j].Column
	})
	if len(se.Missing) > 0 || len(se.AbsentTables) > 0 {
		return out, &se
	}
	return out, nil
}

// addColumn records a (table, column) pair from a discovery query, lower-casing both and keeping only the tables
// Todai reads.
func (c Catalog) addColumn(known map[string]bool, table, column string) {
	table, column = strings.ToLower(table), strings.ToLower(column)
	if !known[table] {
		return
	}
	if c[table] == nil {
		c[table] = map[string]bool{}
	}
	c[table][column] = true
}

// knownTables is the set of Elementary table names Todai reads.
func knownTables() map[string]bool {
	m := map[string]bool{}
	for _, t := range elementary.Tables() {
		m[t.Name] = true
	}
	return m
}
