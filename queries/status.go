package queries

import (
	"context"
	"fmt"
)

// Status answers "status NODE": its health, last run, the latest result of each of its tests, and the latest
// freshness of the source (or of the sources directly feeding a model). Source freshness makes only sources stale.
func (r *Reader) Status(ctx context.Context, name string) (StatusAnswer, error) {
	return inSnapshot(ctx, r, func(r *Reader) (StatusAnswer, error) {
		c, n, err := r.resolveNode(ctx, name)
		if err != nil {
			return StatusAnswer{}, err
		}
		a := StatusAnswer{Node: n.Node}
		if a.Health, err = r.health(ctx, n); err != nil {
			return a, err
		}
		runs, err := r.runsOf(n)(ctx, n.UniqueID, 1, nil, nil)
		if err != nil {
			return a, err
		}
		if len(runs) > 0 {
			a.LastRun = &runs[0]
		}
		if a.Tests, err = r.nodeTests(ctx, n); err != nil {
			return a, err
		}
		now := r.now()
		if a.Overdue, _, err = r.overdue(ctx, n, now); err != nil {
			return a, err
		}
		if a.Pipeline, err = r.pipeline(ctx, now); err != nil {
			return a, err
		}
		sources := []string{n.UniqueID}
		if n.ResourceType != "source" {
			sources, err = r.directSourceParents(ctx, c, n.UniqueID)
			if err != nil {
				return a, err
			}
		}
		if len(sources) > 0 {
			fr, err := r.freshnessOf(ctx, c, sources, n.ResourceType == "source")
			if err != nil {
				return a, err
			}
			a.Freshness = fr
		}
		return a, nil
	})
}

func (r *Reader) directSourceParents(ctx context.Context, c *catalog, id string) ([]string, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT parent FROM node_edges WHERE child = ? ORDER BY parent`, id)
	if err != nil {
		return nil, fmt.Errorf("parents of %s: %w", id, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, fmt.Errorf("parents of %s: %w", id, err)
		}
		if n := c.byID[p]; n != nil && n.ResourceType == "source" {
			out = append(out, p)
		}
	}
	return out, rows.Err()
}
