package queries

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"sync"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// NotBuiltDays is how long a model may go without a successful build before coverage lists it.
const NotBuiltDays = 30

// coverageIndex is what coverage needs of the definitions, read once per catalog: the nodes a test touches, the
// models with a description, and how many nodes depend on each (counted when first asked).
type coverageIndex struct {
	tested, described map[string]bool
	c                 *catalog

	mu         sync.Mutex
	downstream map[string]int
}

// coverageOf returns c's coverage index, reading it on first use.
func (r *Reader) coverageOf(ctx context.Context, c *catalog, x *extraIndex) (*coverageIndex, error) {
	c.coverageMu.Lock()
	defer c.coverageMu.Unlock()
	if c.coverage != nil {
		return c.coverage, nil
	}
	described, err := localdb.Collect(ctx, r.q, "described models", `SELECT unique_id FROM dbt_models
		WHERE trim(coalesce(description, '')) != ''`, nil, func(rows *sql.Rows) (string, error) {
		var id string
		return id, rows.Scan(&id)
	})
	if err != nil {
		return nil, err
	}
	ci := &coverageIndex{tested: map[string]bool{}, described: map[string]bool{}, c: c, downstream: map[string]int{}}
	for _, id := range described {
		ci.described[id] = true
	}
	for _, t := range x.tests {
		for _, id := range t.test.tested {
			ci.tested[id] = true
		}
	}
	c.coverage = ci
	return ci, nil
}

// downstreamOf counts the nodes that depend on id, transitively.
func (ci *coverageIndex) downstreamOf(id string) int {
	ci.mu.Lock()
	defer ci.mu.Unlock()
	if n, ok := ci.downstream[id]; ok {
		return n
	}
	ci.downstream[id] = len(ci.c.descendants(id))
	return ci.downstream[id]
}

// lastSuccesses are when each node was last built successfully (node_last_run), read once per data generation.
func (r *Reader) lastSuccesses(ctx context.Context) (map[string]time.Time, error) {
	gen, err := r.dataGeneration(ctx)
	if err != nil {
		return nil, err
	}
	r.shared.mu.Lock()
	if m := r.shared.healthFor(gen).successes; m != nil {
		r.shared.mu.Unlock()
		return m, nil
	}
	r.shared.mu.Unlock()
	type success struct {
		id string
		at *time.Time
	}
	rows, err := localdb.Collect(ctx, r.q, "last successes", `SELECT unique_id, success_at FROM node_last_run
		WHERE success_at IS NOT NULL`, nil, func(rows *sql.Rows) (success, error) {
		var x success
		var at *string
		err := rows.Scan(&x.id, &at)
		x.at = timePtr(at)
		return x, err
	})
	if err != nil {
		return nil, err
	}
	m := make(map[string]time.Time, len(rows))
	for _, x := range rows {
		if x.at != nil {
			m[x.id] = *x.at
		}
	}
	r.shared.mu.Lock()
	defer r.shared.mu.Unlock()
	r.shared.healthFor(gen).successes = m
	return m, nil
}

// coverage fills a's coverage for the scope's nodes.
func (r *Reader) coverage(ctx context.Context, c *catalog, x *extraIndex, a *HealthAnswer, nodes []*nodeInfo) error {
	ci, err := r.coverageOf(ctx, c, x)
	if err != nil {
		return err
	}
	built, err := r.lastSuccesses(ctx)
	if err != nil {
		return err
	}
	results, err := r.latestResults(ctx, c)
	if err != nil {
		return err
	}
	staleBefore := r.now().AddDate(0, 0, -NotBuiltDays)
	var noTests, noOwner, noDesc, notBuilt, noFresh, expNoOwner []*nodeInfo
	cnt := &a.Coverage.Counts
	for _, n := range nodes {
		switch n.ResourceType {
		case "model":
			cnt.Models++
			if !ci.tested[n.UniqueID] {
				noTests = append(noTests, n)
			}
			if len(n.Owners) == 0 {
				noOwner = append(noOwner, n)
			}
			if !ci.described[n.UniqueID] {
				noDesc = append(noDesc, n)
			}
			if at, ok := built[n.UniqueID]; !ok || at.Before(staleBefore) {
				notBuilt = append(notBuilt, n)
			}
		case "source":
			cnt.Sources++
			if _, checked := results.sources[n.UniqueID]; !checked {
				noFresh = append(noFresh, n)
			}
		case "exposure":
			cnt.Exposures++
			if len(n.Owners) == 0 {
				expNoOwner = append(expNoOwner, n)
			}
		}
	}
	cnt.ModelsNoTests, cnt.ModelsNoOwner, cnt.ModelsNoDesc, cnt.ModelsNotBuilt = len(noTests), len(noOwner),
		len(noDesc), len(notBuilt)
	cnt.SourcesNoFreshness, cnt.ExposuresNoOwner = len(noFresh), len(expNoOwner)
	gaps := func(ns []*nodeInfo) []GapNode {
		out := make([]GapNode, len(ns))
		for i, n := range ns {
			out[i] = GapNode{Node: n.Node, Downstream: ci.downstreamOf(n.UniqueID)}
		}
		slices.SortFunc(out, func(p, q GapNode) int {
			return cmp.Or(cmp.Compare(q.Downstream, p.Downstream), cmp.Compare(p.Node.UniqueID, q.Node.UniqueID))
		})
		return out[:min(len(out), healthListCap)]
	}
	cv := &a.Coverage
	cv.NoTests, cv.NoOwner, cv.NoDescription, cv.NotBuilt = gaps(noTests), gaps(noOwner), gaps(noDesc), gaps(notBuilt)
	cv.NoFreshness, cv.ExposuresNoOwner = gaps(noFresh), gaps(expNoOwner)
	return nil
}
