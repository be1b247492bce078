package queries

import (
	"cmp"
	"context"
	"database/sql"
	"maps"
	"slices"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// maxLineageDepth bounds the lineage walks: it keeps them finite on cyclic or very deep graphs.
const maxLineageDepth = 64

// testedNodes lists, at depth 1, the nodes a test (?1) touches: a test's parents. It is empty for other nodes.
const testedNodes = `SELECT node_unique_id, 1 FROM test_nodes WHERE test_unique_id = ?1`

// ancestors walks node_edges up from id (and, for a test, from the nodes it touches) with a recursive query,
// bounded by maxLineageDepth so that cycles end, keeping each node's smallest depth. Nodes are ordered by depth then
// name. (What is downstream is walked in memory: catalog.descendants.)
func (r *Reader) ancestors(ctx context.Context, id string) ([]LineageNode, error) {
	return localdb.Collect(ctx, r.q, "upstream of "+id, `WITH RECURSIVE walk(id, depth) AS (
			SELECT parent, 1 FROM node_edges WHERE child = ?1 UNION `+testedNodes+`
			UNION SELECT e.parent, w.depth + 1 FROM walk w JOIN node_edges e ON e.child = w.id WHERE w.depth < ?2)
		SELECT n.unique_id, n.name, n.resource_type, n.health, min(w.depth) AS d
		FROM walk w JOIN nodes n ON n.unique_id = w.id
		WHERE w.id <> ?1
		GROUP BY n.unique_id
		ORDER BY d, n.name, n.unique_id`, []any{id, maxLineageDepth}, func(rows *sql.Rows) (LineageNode, error) {
		var l LineageNode
		err := rows.Scan(&l.UniqueID, &l.Name, &l.ResourceType, &l.Health, &l.Depth)
		return l, err
	})
}

// exposures returns the exposures among ids, by name.
func (r *Reader) exposures(ctx context.Context, ids []string) ([]Exposure, error) {
	out := []Exposure{}
	if len(ids) == 0 {
		return out, nil
	}
	return localdb.Collect(ctx, r.q, "exposures", `SELECT unique_id, name, label, type, maturity, url, owner_name,
		owner_email, meta FROM dbt_exposures WHERE unique_id IN (SELECT value FROM json_each(?)) ORDER BY name, unique_id`,
		[]any{jsonList(ids)}, func(rows *sql.Rows) (Exposure, error) {
			var e Exposure
			var label, typ, mat, url, on, oe, meta *string
			err := rows.Scan(&e.UniqueID, &e.Name, &label, &typ, &mat, &url, &on, &oe, &meta)
			e.Label, e.Type, e.Maturity, e.URL, e.OwnerName, e.OwnerEmail = str(label), str(typ), str(mat), str(url),
				str(on), str(oe)
			e.Channel = metaString(parseMeta(str(meta)), "channel")
			return e, err
		})
}

// downstream splits the transitive children of id into non-exposure nodes and exposures.
func (r *Reader) downstream(ctx context.Context, id string) ([]LineageNode, []Exposure, error) {
	gen, err := r.dataGeneration(ctx)
	if err != nil {
		return nil, nil, err
	}
	if d, ok := recallFor(r.shared, &r.shared.downstream, gen, id, time.Time{}); ok {
		return slices.Clone(d.nodes), slices.Clone(d.exposures), nil
	}
	nodes, exps, err := r.readDownstream(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	rememberFor(r.shared, &r.shared.downstream, gen, id, downstreamOf{nodes: nodes, exposures: exps}, time.Time{})
	return slices.Clone(nodes), slices.Clone(exps), nil
}

// downstreamOf is what is downstream of a node: its nodes and its exposures.
type downstreamOf struct {
	nodes     []LineageNode
	exposures []Exposure
}

// readDownstream reads what is downstream of id: the catalog's lineage walked in memory, then the nodes' names and
// health (the data's) from the mirror, nearest first.
func (r *Reader) readDownstream(ctx context.Context, id string) ([]LineageNode, []Exposure, error) {
	c, err := r.catalog(ctx)
	if err != nil {
		return nil, nil, err
	}
	depth := c.descendants(id)
	all, err := localdb.Collect(ctx, r.q, "downstream of "+id, `SELECT unique_id, name, resource_type, health
		FROM nodes WHERE unique_id IN (SELECT value FROM json_each(?1))`, []any{jsonList(slices.Collect(maps.Keys(depth)))},
		func(rows *sql.Rows) (LineageNode, error) {
			var l LineageNode
			err := rows.Scan(&l.UniqueID, &l.Name, &l.ResourceType, &l.Health)
			l.Depth = depth[l.UniqueID]
			return l, err
		})
	if err != nil {
		return nil, nil, err
	}
	slices.SortFunc(all, func(a, b LineageNode) int {
		return cmp.Or(cmp.Compare(a.Depth, b.Depth), cmp.Compare(a.Name, b.Name), cmp.Compare(a.UniqueID, b.UniqueID))
	})
	nodes := []LineageNode{}
	var expIDs []string
	for _, l := range all {
		if l.ResourceType == "exposure" {
			expIDs = append(expIDs, l.UniqueID)
		} else {
			nodes = append(nodes, l)
		}
	}
	exps, err := r.exposures(ctx, expIDs)
	return nodes, exps, err
}

// impact is what a node's failure reaches: its downstream nodes and exposures; for a test, the nodes it tests (at
// depth 1) and theirs.
func (r *Reader) impact(ctx context.Context, c *catalog, n *nodeInfo) ([]LineageNode, []Exposure, error) {
	if n.test == nil {
		return r.downstream(ctx, n.UniqueID)
	}
	var nodes []LineageNode
	var exps []Exposure
	seen := map[string]bool{}
	for _, id := range n.test.tested {
		t := c.byID[id]
		if t == nil || seen[id] {
			continue
		}
		seen[id] = true
		h, err := r.health(ctx, t)
		if err != nil {
			return nil, nil, err
		}
		nodes = append(nodes, LineageNode{UniqueID: id, Name: t.Name, ResourceType: t.ResourceType, Health: h, Depth: 1})
		down, e, err := r.downstream(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		for _, d := range down {
			if !seen[d.UniqueID] {
				seen[d.UniqueID] = true
				d.Depth++
				nodes = append(nodes, d)
			}
		}
		for _, x := range e {
			if !seen[x.UniqueID] {
				seen[x.UniqueID] = true
				exps = append(exps, x)
			}
		}
	}
	slices.SortStableFunc(nodes, func(a, b LineageNode) int { return cmp.Compare(a.Depth, b.Depth) })
	if nodes == nil {
		nodes = []LineageNode{}
	}
	if exps == nil {
		exps = []Exposure{}
	}
	return nodes, exps, nil
}

// withData says how current each node's data is (DataAsOf).
func (r *Reader) withData(ctx context.Context, c *catalog, nodes []LineageNode) error {
	g, err := r.dataGraph(ctx, c)
	if err != nil {
		return err
	}
	now := r.now()
	for i := range nodes {
		nodes[i].Data = g.answer(c, nodes[i].UniqueID, now)
	}
	return nil
}

// Upstream answers "upstream NODE": every node it depends on, transitively, with depth, health and how current its
// data is.
func (r *Reader) Upstream(ctx context.Context, name string) (LineageAnswer, error) {
	return aboutNode(ctx, r, name, func(r *Reader, c *catalog, n *nodeInfo) (_ LineageAnswer, err error) {
		up, err := r.ancestors(ctx, n.UniqueID)
		if err != nil {
			return LineageAnswer{}, err
		}
		return LineageAnswer{Node: n.Node, Upstream: up}, r.withData(ctx, c, up)
	})
}

// Downstream answers "downstream NODE": every node depending on it, transitively, with depth, health and how
// current its data is ("what depends on a stale source" shows who is affected); the exposures reached are listed
// apart in Exposures.
func (r *Reader) Downstream(ctx context.Context, name string) (LineageAnswer, error) {
	return aboutNode(ctx, r, name, func(r *Reader, c *catalog, n *nodeInfo) (_ LineageAnswer, err error) {
		down, exps, err := r.downstream(ctx, n.UniqueID)
		if err != nil {
			return LineageAnswer{}, err
		}
		return LineageAnswer{Node: n.Node, Downstream: down, Exposures: exps}, r.withData(ctx, c, down)
	})
}
