package queries

import (
	"context"
	"database/sql"
	"strings"

	"github.com/todai-dev/todai/queries/localdb"
)

// Describe answers "describe NODE" from its definition. Columns are its rows of dbt_columns (by default only the
// documented, tagged or meta-carrying columns), ordered by name case-insensitively; empty when the warehouse has no
// dbt_columns. Exposures are those reached downstream, transitively.
func (r *Reader) Describe(ctx context.Context, name string) (DescribeAnswer, error) {
	return aboutNode(ctx, r, name, func(r *Reader, c *catalog, n *nodeInfo) (_ DescribeAnswer, err error) {
		desc, meta, err := r.nodeTexts(ctx, n)
		if err != nil {
			return DescribeAnswer{}, err
		}
		a := DescribeAnswer{Node: n.Node, Description: desc, Path: n.originalPath,
			Materialization: n.materialization, Tags: n.tags, Group: n.group, Columns: []ColumnDoc{}, Meta: meta}
		if a.Path == "" {
			a.Path = n.path
		}
		if a.Tags == nil {
			a.Tags = []string{}
		}
		var rel []string
		for _, p := range []string{n.database, n.schema} {
			if p != "" {
				rel = append(rel, p)
			}
		}
		if len(rel) > 0 && n.ResourceType != "exposure" {
			last := n.alias
			if last == "" {
				last = n.nameKey
				if n.ResourceType != "source" {
					last = n.Name
				}
			}
			a.Relation = strings.Join(append(rel, last), ".")
		}
		if n.test != nil {
			a.Test = &TestDefinition{ShortName: n.test.shortName, Column: n.test.column, Severity: n.test.severity,
				ModelUniqueID: n.test.parent, Tested: n.test.tested}
			if a.Test.Tested == nil {
				a.Test.Tested = []string{}
			}
		}
		if a.Columns, err = r.columns(ctx, n.UniqueID); err != nil {
			return a, err
		}
		if _, a.Exposures, err = r.downstream(ctx, n.UniqueID); err != nil {
			return a, err
		}
		return a, nil
	})
}

// columns returns the dbt_columns rows of a node, by name (case-insensitively, then exactly).
func (r *Reader) columns(ctx context.Context, id string) ([]ColumnDoc, error) {
	return localdb.Collect(ctx, r.q, "columns of "+id, `SELECT name, data_type, description FROM dbt_columns
		WHERE parent_unique_id = ? ORDER BY lower(name), name, unique_id`, []any{id},
		func(rows *sql.Rows) (ColumnDoc, error) {
			var c ColumnDoc
			var typ, desc *string
			err := rows.Scan(&c.Name, &typ, &desc)
			c.DataType, c.Description = str(typ), strings.TrimSpace(str(desc))
			return c, err
		})
}
