package queries

import (
	"context"
	"fmt"
	"sync"
)

// testDef is what Failures needs of a test's definition (dbt_tests and test_nodes), parsed once per catalog: the
// definitions only change with the catalog's generation. Nullable columns stay pointers so that the answers keep
// SQL's coalesce semantics. A testDef is never changed once cached.
type testDef struct {
	name, shortName, severity, column *string
	parent, firstNode                 string // parent_model_unique_id; the smallest node of test_nodes
	modelOwners, metaOwners           []string
	// primary is the parent's node when it is in the catalog; owners (its owners ∪ model_owners ∪ meta.owner)
	// are then fixed. Otherwise the primary node depends on the result row and owners are merged per row.
	primary *nodeInfo
	owners  []string
}

// testDefCache holds the testDefs of one catalog, loaded on demand.
type testDefCache struct {
	mu   sync.Mutex
	defs map[string]*testDef
}

// testDefs returns the definitions of the given tests, from c's cache, reading the missing ones in one query. A
// test without a dbt_tests row gets an empty testDef.
func (r *Reader) testDefs(ctx context.Context, c *catalog, ids []string) (map[string]*testDef, error) {
	out := make(map[string]*testDef, len(ids))
	var missing []string
	c.tests.mu.Lock()
	for _, id := range ids {
		if d, ok := c.tests.defs[id]; ok {
			out[id] = d
		} else if _, dup := out[id]; !dup {
			out[id] = nil
			missing = append(missing, id)
		}
	}
	c.tests.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	loaded, err := r.loadTestDefs(ctx, c, missing)
	if err != nil {
		return nil, err
	}
	c.tests.mu.Lock()
	defer c.tests.mu.Unlock()
	if c.tests.defs == nil {
		c.tests.defs = make(map[string]*testDef, len(loaded))
	}
	for id, d := range loaded {
		if cached, ok := c.tests.defs[id]; ok {
			d = cached // another caller loaded it meanwhile: keep one copy
		} else {
			c.tests.defs[id] = d
		}
		out[id] = d
	}
	return out, nil
}

// loadTestDefs reads the definitions of ids (each listed once) from dbt_tests and test_nodes.
func (r *Reader) loadTestDefs(ctx context.Context, c *catalog, ids []string) (map[string]*testDef, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT j.value, t.name, t.short_name, t.severity, t.test_column_name,
			t.parent_model_unique_id, t.model_owners, t.meta,
			(SELECT min(node_unique_id) FROM test_nodes tn WHERE tn.test_unique_id = j.value)
		FROM json_each(?) j LEFT JOIN dbt_tests t ON t.unique_id = j.value`, jsonList(ids))
	if err != nil {
		return nil, fmt.Errorf("test definitions: %w", err)
	}
	defer rows.Close()
	out := make(map[string]*testDef, len(ids))
	for rows.Next() {
		d := &testDef{}
		var id string
		var parent, modelOwners, meta, first *string
		if err := rows.Scan(&id, &d.name, &d.shortName, &d.severity, &d.column, &parent, &modelOwners, &meta,
			&first); err != nil {
			return nil, fmt.Errorf("test definitions: %w", err)
		}
		d.parent, d.firstNode = str(parent), str(first)
		d.modelOwners, d.metaOwners = parseList(str(modelOwners)), metaOwners(parseMeta(str(meta)))
		if p := c.byID[d.parent]; p != nil {
			d.primary = p
			d.owners = mergeOwners(p.Owners, d.modelOwners, d.metaOwners)
		}
		out[id] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("test definitions: %w", err)
	}
	for _, id := range ids {
		if out[id] == nil {
			out[id] = &testDef{} // json_each yields every id; this only guards a short read
		}
	}
	return out, nil
}
