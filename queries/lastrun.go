package queries

import (
	"context"
)

// DefaultRunLimit is how many runs LastRuns returns when asked for none; MaxRunLimit caps any request.
const (
	DefaultRunLimit = 5
	MaxRunLimit     = 100
)

// LastRuns answers "last-run NODE": its newest runs (limit, DefaultRunLimit when ≤ 0, at most MaxRunLimit),
// deduplicated on model_execution_id, ordered by execute_completed_at else generated_at, with invocation context.
// Skipped runs are included.
func (r *Reader) LastRuns(ctx context.Context, name string, limit int) (LastRunAnswer, error) {
	return aboutNode(ctx, r, name, func(r *Reader, c *catalog, n *nodeInfo) (_ LastRunAnswer, err error) {
		if limit <= 0 {
			limit = DefaultRunLimit
		}
		limit = min(limit, MaxRunLimit)
		list, err := r.runsOf(n)(ctx, n.UniqueID, limit, nil, nil)
		if err != nil {
			return LastRunAnswer{}, err
		}
		a := LastRunAnswer{Node: n.Node, Runs: list}
		a.Chart, err = r.chartOf(ctx, n, true)
		return a, err
	})
}

// LastSuccess answers "when was NODE updated?" for a node that dbt builds: its newest successful run (a test's
// newest pass), or no run when it never succeeded. A source's answer is its freshness (Freshness).
func (r *Reader) LastSuccess(ctx context.Context, name string) (LastRunAnswer, error) {
	return aboutNode(ctx, r, name, func(r *Reader, c *catalog, n *nodeInfo) (_ LastRunAnswer, err error) {
		runs, err := r.runsOf(n)(ctx, n.UniqueID, 1, successStatuses, nil)
		if err != nil {
			return LastRunAnswer{}, err
		}
		return LastRunAnswer{Node: n.Node, Runs: runs, SuccessfulOnly: true}, nil
	})
}
