package demo

import (
	"fmt"
	"slices"
	"strings"
)

// documented tells whether node i of the dataset has documented columns in dbt_columns. Elementary's default
// columns_upload_strategy (enriched_only) stores only documented, tagged or meta-carrying columns, so nodes
// without column docs have no rows at all. About two nodes in three of the project (never Elementary's own
// models) are documented, the story models always.
func (d *Dataset) documented(i int) bool {
	n := &d.nodes[i]
	if n.pkg == "elementary" {
		return false
	}
	switch n.id {
	case StoryFailingModelID, StoryHealthyModelID:
		return true
	}
	return i%3 != 2
}

// columnDoc is one documented column of a node.
type columnDoc struct {
	name, dataType, description string
	tags                        []string
}

// columnDocs returns the documented columns of node i: its key column, the columns its tests check, and a
// few layer-dependent ones, each once, in a stable order. tested holds the node's tested columns, sorted.
func (d *Dataset) columnDocs(i int, tested []string) []columnDoc {
	n := &d.nodes[i]
	base := n.name
	if n.kind == "source" {
		base = n.table
	}
	names := []string{keyColumn(base)}
	names = append(names, tested...)
	switch {
	case n.kind == "source":
		names = append(names, "_fivetran_synced")
	case n.kind == "snapshot":
		names = append(names, "dbt_valid_from", "dbt_valid_to")
	case n.layer == "marts":
		names = append(names, "updated_at")
		if i%2 == 0 {
			names = append(names, "amount_usd")
		}
	case n.layer == "staging":
		names = append(names, "loaded_at")
	}
	out := make([]columnDoc, 0, len(names))
	seen := make(map[string]bool, len(names))
	for k, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		c := columnDoc{name: name}
		switch {
		case strings.HasSuffix(name, "_id"):
			c.dataType, c.description = "VARCHAR", fmt.Sprintf("Identifier of the %s.", strings.TrimSuffix(name, "_id"))
			if k == 0 {
				c.description = fmt.Sprintf("Primary key of %s.", n.name)
			}
		case strings.HasSuffix(name, "_at") || strings.HasPrefix(name, "dbt_valid_") || name == "_fivetran_synced":
			c.dataType, c.description = "TIMESTAMP_NTZ", "When the row was "+strings.TrimPrefix(strings.TrimSuffix(
				strings.TrimSuffix(name, "_at"), "_synced"), "_")+" (UTC)."
		case strings.HasPrefix(name, "amount"):
			c.dataType, c.description = "NUMBER(18,2)", "Amount in US dollars."
			c.tags = []string{"finance"}
		case strings.HasSuffix(name, "_date"):
			c.dataType, c.description = "DATE", "Calendar day of the row."
		default:
			c.dataType, c.description = "VARCHAR", "The "+strings.ReplaceAll(name, "_", " ")+"."
		}
		if (i+k)%5 == 4 {
			c.dataType = "" // dbt knows a column's type only when the YAML declares it
		}
		out = append(out, c)
	}
	return out
}

// streamColumns emits the dbt_columns rows of the documented nodes, in node order.
func (d *Dataset) streamColumns(fn func(string, []any) error) error {
	tested := map[int][]string{}
	for _, t := range d.tests {
		if t.column != "" && !slices.Contains(tested[t.parent], t.column) {
			tested[t.parent] = append(tested[t.parent], t.column)
		}
	}
	for i := range d.nodes {
		if !d.documented(i) {
			continue
		}
		n := &d.nodes[i]
		cols := tested[i]
		slices.Sort(cols)
		database, table := "ANALYTICS", n.alias
		if n.kind == "source" {
			database, table = "RAW", strings.ToUpper(n.table)
		}
		for k, c := range d.columnDocs(i, cols) {
			r, set := d.row("dbt_columns")
			set("unique_id", "column."+n.id+"."+c.name)
			set("parent_unique_id", n.id)
			set("name", c.name)
			set("data_type", nullable(c.dataType))
			tags := c.tags
			if tags == nil {
				tags = []string{}
			}
			set("tags", jsonText(tags))
			set("meta", "{}")
			set("database_name", database)
			set("schema_name", n.schema)
			set("table_name", table)
			set("description", c.description)
			set("resource_type", n.kind)
			set("generated_at", d.defTime(i+k))
			set("metadata_hash", md5hex("column", n.id, c.name, c.description))
			if err := fn("dbt_columns", r); err != nil {
				return err
			}
		}
	}
	return nil
}
