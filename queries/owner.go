package queries

import (
	"context"
	"database/sql"
	"fmt"
)

// Owner answers "owner NODE": the node's owners (owner column ∪ meta.owner, else its dbt group's owner), its team,
// and its dbt group.
func (r *Reader) Owner(ctx context.Context, name string) (OwnerAnswer, error) {
	return aboutNode(ctx, r, name, func(r *Reader, c *catalog, n *nodeInfo) (_ OwnerAnswer, err error) {
		a := OwnerAnswer{Node: n.Node, Owners: n.Owners, Team: n.Team}
		if n.group != "" {
			g := &Group{Name: n.group}
			var email, owner *string
			err := r.q.QueryRowContext(ctx, `SELECT owner_email, owner_name FROM dbt_groups WHERE lower(name) = lower(?)
				ORDER BY (lower(unique_id) = lower('group.' || ? || '.' || name)) DESC, unique_id LIMIT 1`,
				n.group, n.pkg).Scan(&email, &owner)
			if err != nil && err != sql.ErrNoRows {
				return a, fmt.Errorf("group of %s: %w", n.UniqueID, err)
			}
			g.OwnerEmail, g.OwnerName = str(email), str(owner)
			a.Group = g
		}
		return a, nil
	})
}
