package queries

import (
	"context"
)

// Status answers "status NODE": its health, last run, the latest result of each of its tests, and the latest
// freshness of the source (or of the sources directly feeding a model). Source freshness makes only sources stale.
func (r *Reader) Status(ctx context.Context, name string) (StatusAnswer, error) {
	return aboutNode(ctx, r, name, func(r *Reader, c *catalog, n *nodeInfo) (_ StatusAnswer, err error) {
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
		if a.Data, err = r.nodeData(ctx, c, n, a.Overdue, now); err != nil {
			return a, err
		}
		sources := []string{n.UniqueID}
		if n.ResourceType != "source" {
			sources = directSourceParents(c, n.UniqueID)
		}
		if len(sources) > 0 {
			fr, err := r.freshnessOf(ctx, c, sources, n.ResourceType == "source")
			if err != nil {
				return a, err
			}
			a.Freshness = fr
		}
		a.Chart, err = r.chartOf(ctx, n, false)
		return a, err
	})
}

// directSourceParents are the sources among a node's parents, sorted.
func directSourceParents(c *catalog, id string) []string {
	var out []string
	for _, p := range c.parents[id] {
		if n := c.byID[p]; n != nil && n.ResourceType == "source" {
			out = append(out, p)
		}
	}
	return out
}
