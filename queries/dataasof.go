package queries

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// DataVerdict says whether a node's data is current.
type DataVerdict string

// Data verdicts.
const (
	// DataFresh: everything it reads arrived as expected, and it was built from it.
	DataFresh DataVerdict = "fresh"
	// DataStale: something it reads stopped: a source past its freshness error threshold, or a node upstream (or
	// itself) whose latest run did not build it.
	DataStale DataVerdict = "stale"
	// DataUnknown: how current it is cannot be told: a source it reads has no freshness check (or the check
	// failed), or it was never built.
	DataUnknown DataVerdict = "unknown"
)

// DataVerdicts lists every data verdict.
func DataVerdicts() []DataVerdict { return []DataVerdict{DataFresh, DataStale, DataUnknown} }

// DataLimitKind says what limits how current a node's data is.
type DataLimitKind string

// What limits a node's data.
const (
	// LimitLoaded: a source's last load, as its latest freshness check saw it.
	LimitLoaded DataLimitKind = "loaded"
	// LimitStoppedLoading: a source past its freshness error threshold: its data stopped arriving.
	LimitStoppedLoading DataLimitKind = "stopped_loading"
	// LimitNotChecked: a source without a freshness check, or whose check failed: its last load is unknown.
	LimitNotChecked DataLimitKind = "not_checked"
	// LimitBuilt: a node's last successful build.
	LimitBuilt DataLimitKind = "built"
	// LimitNotUpdated: a node whose latest run errored or was skipped: its data stops at its last success.
	LimitNotUpdated DataLimitKind = "not_updated"
	// LimitNeverBuilt: a node that never built successfully.
	LimitNeverBuilt DataLimitKind = "never_built"
	// LimitOverdue: the node itself missed its usual build (its cadence says so): its data stops at its last one.
	LimitOverdue DataLimitKind = "overdue"
)

// DataLimitKinds lists every kind of limit.
func DataLimitKinds() []DataLimitKind {
	return []DataLimitKind{LimitLoaded, LimitStoppedLoading, LimitNotChecked, LimitBuilt, LimitNotUpdated,
		LimitNeverBuilt, LimitOverdue}
}

// DataAsOf is how current a node's data is: the time it stops at — the oldest of its own last successful build and
// the data of everything it reads, transitively (a source's last load, from its latest freshness check) — the node
// that limits it, the chain from that node down to this one, and the verdict.
//
// When something upstream is stale, the oldest stale input is the limit, whatever fresher-looking inputs say; else the
// oldest input is. Seeds are reference data and do not limit. Tests and Elementary's own nodes have no data as of.
type DataAsOf struct {
	// AsOf is when its data stops, nil when unknown; AgeSeconds is how old that is at the answer's now.
	AsOf       *time.Time `json:"as_of"`
	AgeSeconds *float64   `json:"age_seconds"`
	// LimitedBy is the node whose time AsOf is, and what about it limits (nil when nothing is known).
	LimitedBy *DataLimit `json:"limited_by"`
	// Chain runs from LimitedBy to the node, unique_ids (the node alone when it limits itself).
	Chain   []string    `json:"chain"`
	Verdict DataVerdict `json:"verdict"`
}

// DataLimit is the node that limits how current another node's data is.
type DataLimit struct {
	UniqueID string        `json:"unique_id"`
	Name     string        `json:"name"`
	Kind     DataLimitKind `json:"kind"`
}

// dataState is one node's data-as-of in the graph's pass: the time and the limit it inherits, and the parent it
// inherits them through ("" when it limits itself).
type dataState struct {
	asOf    time.Time
	known   bool
	limit   string
	kind    DataLimitKind
	via     string
	verdict DataVerdict
}

// lastBuild is a node's latest run's status and its last successful build.
type lastBuild struct {
	id, status string
	success    *time.Time
}

// dataGraph is the data-as-of of every node of one data generation.
type dataGraph map[string]dataState

// dataAsOf is n's data-as-of at now (nil for a test or a node the graph does not know).
func (r *Reader) dataAsOf(ctx context.Context, c *catalog, id string, now time.Time) (*DataAsOf, error) {
	g, err := r.dataGraph(ctx, c)
	if err != nil {
		return nil, err
	}
	return g.answer(c, id, now), nil
}

// nodeData is n's data-as-of at now, as a node's own answers give it: with its own overdue build (o, which only a
// node's own answer computes), the build it missed makes its data stale when nothing else did.
func (r *Reader) nodeData(ctx context.Context, c *catalog, n *nodeInfo, o *Overdue, now time.Time) (*DataAsOf, error) {
	d, err := r.dataAsOf(ctx, c, n.UniqueID, now)
	if err != nil || d == nil || o == nil || d.Verdict == DataStale || d.LimitedBy == nil ||
		d.LimitedBy.UniqueID != n.UniqueID {
		return d, err
	}
	d.Verdict, d.LimitedBy.Kind = DataStale, LimitOverdue
	return d, nil
}

// answer renders the graph's state of id as a DataAsOf at now.
func (g dataGraph) answer(c *catalog, id string, now time.Time) *DataAsOf {
	s, ok := g[id]
	if !ok {
		return nil
	}
	d := &DataAsOf{Verdict: s.verdict, Chain: []string{}}
	if s.limit == "" {
		return d
	}
	d.LimitedBy = &DataLimit{UniqueID: s.limit, Name: c.nameOf(s.limit), Kind: s.kind}
	if s.known {
		at := s.asOf
		age := now.Sub(at).Round(time.Second).Seconds()
		d.AsOf, d.AgeSeconds = &at, &age
	}
	for hop := id; ; hop = g[hop].via {
		d.Chain = append(d.Chain, hop)
		if g[hop].via == "" || len(d.Chain) > maxLineageDepth {
			break
		}
	}
	slices.Reverse(d.Chain)
	return d
}

// dataGraph computes the data-as-of of every node, once per data generation: one read of the sources' latest
// freshness and the nodes' last runs, then one pass over the lineage in memory.
func (r *Reader) dataGraph(ctx context.Context, c *catalog) (dataGraph, error) {
	gen, err := r.dataGeneration(ctx)
	if err != nil {
		return nil, err
	}
	if g, ok := recall(r.shared, &r.shared.data, gen, nil); ok {
		return g, nil
	}
	builds, err := localdb.Collect(ctx, r.q, "last builds", `SELECT unique_id, status, success_at FROM node_last_run`,
		nil, func(rows *sql.Rows) (lastBuild, error) {
			var b lastBuild
			var success *string
			err := rows.Scan(&b.id, &b.status, &success)
			b.success = timePtr(success)
			return b, err
		})
	if err != nil {
		return nil, err
	}
	built := make(map[string]lastBuild, len(builds))
	for _, b := range builds {
		built[b.id] = b
	}
	loads, err := localdb.Collect(ctx, r.q, "last loads", `SELECT sf.unique_id, sf.status, f.max_loaded_at
		FROM source_freshness_latest sf
		LEFT JOIN dbt_source_freshness_results f ON f.source_freshness_execution_id = sf.execution_id`, nil,
		func(rows *sql.Rows) (dataState, error) {
			var s dataState
			var status string
			var loaded *string
			err := rows.Scan(&s.limit, &status, &loaded)
			at := timePtr(loaded)
			switch {
			case status == "runtime error" || at == nil:
				s.kind, s.verdict = LimitNotChecked, DataUnknown
			case status == "error":
				s.kind, s.verdict, s.asOf, s.known = LimitStoppedLoading, DataStale, *at, true
			default:
				s.kind, s.verdict, s.asOf, s.known = LimitLoaded, DataFresh, *at, true
			}
			return s, err
		})
	if err != nil {
		return nil, err
	}
	g := dataGraph{}
	for _, s := range loads {
		g[s.limit] = s
	}
	visiting := map[string]bool{}
	var visit func(id string) (dataState, bool)
	visit = func(id string) (dataState, bool) {
		if s, done := g[id]; done {
			return s, true
		}
		n := c.byID[id]
		if n == nil || visiting[id] {
			return dataState{}, false // not a node of the lineage, or a cycle: no input through it
		}
		if n.ResourceType == "source" {
			s := dataState{limit: id, kind: LimitNotChecked, verdict: DataUnknown} // never checked
			g[id] = s
			return s, true
		}
		visiting[id] = true
		var inputs []dataState
		if n.ResourceType != "exposure" {
			b, ran := built[id]
			switch {
			case !ran || b.success == nil:
				inputs = append(inputs, dataState{limit: id, kind: LimitNeverBuilt, verdict: DataUnknown})
			case b.status == "error" || b.status == "skipped":
				inputs = append(inputs, dataState{limit: id, kind: LimitNotUpdated, verdict: DataStale,
					asOf: *b.success, known: true})
			default:
				inputs = append(inputs, dataState{limit: id, kind: LimitBuilt, verdict: DataFresh, asOf: *b.success,
					known: true})
			}
		}
		for _, p := range c.parents[id] {
			if pn := c.byID[p]; pn != nil && pn.ResourceType == "seed" {
				continue // reference data: as old as it is meant to be
			}
			if ps, ok := visit(p); ok {
				ps.via = p
				inputs = append(inputs, ps)
			}
		}
		delete(visiting, id)
		s := combine(inputs)
		g[id] = s
		return s, true
	}
	for _, n := range c.nodes {
		visit(n.UniqueID)
	}
	remember(r.shared, &r.shared.data, gen, time.Time{}, g)
	return g, nil
}

// combine is a node's state from its inputs (its own build first, then its parents'): stale when any input is,
// limited by the oldest stale one; else unknown when any input is, limited by that input (the first), with no time
// (how current it is cannot be told); else fresh, limited by the oldest input.
func combine(inputs []dataState) dataState {
	verdict := DataFresh
	for _, in := range inputs {
		switch {
		case in.verdict == DataStale:
			verdict = DataStale
		case in.verdict == DataUnknown && verdict == DataFresh:
			verdict = DataUnknown
		}
	}
	var best dataState
	found := false
	for _, in := range inputs {
		switch {
		case verdict == DataUnknown:
			if in.verdict == DataUnknown && !found {
				best, found = in, true
			}
		case in.verdict != verdict || !in.known:
		case !found || in.asOf.Before(best.asOf):
			best, found = in, true
		}
	}
	if !found {
		return dataState{verdict: DataUnknown}
	}
	// The limit's time and kind travel down; the verdict is the node's own, and unknown has no time.
	s := dataState{asOf: best.asOf, known: best.known, limit: best.limit, kind: best.kind, via: best.via,
		verdict: verdict}
	if verdict == DataUnknown {
		s.asOf, s.known = time.Time{}, false
	}
	return s
}
