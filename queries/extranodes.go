package queries

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The catalog's nodes are what Todai lists: models, sources, seeds, snapshots and exposures of the user's project.
// Two more kinds can still be asked about, and are indexed apart so that lists, teams, lineage and health stay as
// they are: dbt tests (by unique_id and by name, with suggestions) and Elementary's own nodes (by exact unique_id
// only: never listed, never suggested). The index is read on the first question that needs it and lives as long
// as the catalog's generation.

// testFacts are what a test node carries beyond Node.
type testFacts struct {
	parent    string // parent_model_unique_id: the primary node
	shortName string
	column    string
	severity  string
	tested    []string // every node it touches (test_nodes), sorted
	// dimension is the quality dimension it counts in ("" when unclassified); elementary says it is one of
	// Elementary's own tests (anomalies, schema changes), which write several rows per invocation.
	dimension  QualityDimension
	elementary bool
	// index is its place in extraIndex.tests.
	index int
}

// extraIndex holds the tests and Elementary's own nodes of one catalog.
type extraIndex struct {
	byIDLower   map[string]*nodeInfo
	testsByName map[string][]*nodeInfo
	tests       []*nodeInfo
	testsByTeam map[string][]*nodeInfo // lower(team) → its tests
	testsOf     map[string][]*nodeInfo // node → the tests that touch it
	testIndex   *testIndex
}

// testIndex finds tests whose name is near a key without comparing it to every test (a project has several tests
// per model): names sorted for prefix matches, and grouped by length for edit distances.
type testIndex struct {
	sorted []*nodeInfo         // by nameKey
	byLen  map[int][]*nodeInfo // nameKey length → tests
}

func newTestIndex(tests []*nodeInfo) *testIndex {
	x := &testIndex{sorted: slices.Clone(tests), byLen: map[int][]*nodeInfo{}}
	slices.SortFunc(x.sorted, func(a, b *nodeInfo) int { return strings.Compare(a.nameKey, b.nameKey) })
	for _, t := range tests {
		x.byLen[len(t.nameKey)] = append(x.byLen[len(t.nameKey)], t)
	}
	return x
}

// near returns the tests whose name starts with key (score 0), or is within maxDist edits of it (1 + the distance).
func (x *testIndex) near(key string, ed *editDistance, maxDist int) []scoredID {
	var out []scoredID
	i, _ := slices.BinarySearchFunc(x.sorted, key, func(n *nodeInfo, k string) int { return strings.Compare(n.nameKey, k) })
	for ; i < len(x.sorted) && strings.HasPrefix(x.sorted[i].nameKey, key); i++ {
		out = append(out, scoredID{x.sorted[i].UniqueID, 0})
		if len(out) >= 3 {
			return out
		}
	}
	for l := max(1, len(key)-maxDist); l <= len(key)+maxDist; l++ {
		for _, t := range x.byLen[l] {
			if d := ed.to(t.nameKey); d >= 0 && !strings.HasPrefix(t.nameKey, key) {
				out = append(out, scoredID{t.UniqueID, 1 + d})
			}
		}
	}
	return out
}

// extras returns c's index of tests and Elementary's nodes, reading it on first use.
func (r *Reader) extras(ctx context.Context, c *catalog) (*extraIndex, error) {
	c.extraMu.Lock()
	defer c.extraMu.Unlock()
	if c.extra != nil {
		return c.extra, nil
	}
	x := &extraIndex{byIDLower: map[string]*nodeInfo{}, testsByName: map[string][]*nodeInfo{},
		testsByTeam: map[string][]*nodeInfo{}, testsOf: map[string][]*nodeInfo{}}
	if err := r.loadTestNodes(ctx, c, x); err != nil {
		return nil, err
	}
	if err := r.loadElementaryNodes(ctx, x); err != nil {
		return nil, err
	}
	x.testIndex = newTestIndex(x.tests)
	c.extra = x
	return x, nil
}

// loadTestNodes reads every test of dbt_tests. A test's owners are its primary node's owners ∪ model_owners ∪ its
// own meta.owner, as Elementary's alerts merge them; its team is its primary node's.
func (r *Reader) loadTestNodes(ctx context.Context, c *catalog, x *extraIndex) error {
	rows, err := r.q.QueryContext(ctx, `SELECT t.unique_id, t.name, t.short_name, t.test_column_name,
			t.severity, t.parent_model_unique_id, t.model_owners, t.meta, t.tags, t.package_name, t.description,
			t.path, t.original_path, t.group_name, t.quality_dimension, t.test_namespace, t.test_original_name,
			(SELECT json_group_array(node_unique_id) FROM test_nodes tn WHERE tn.test_unique_id = t.unique_id)
		FROM dbt_tests t ORDER BY t.unique_id`)
	if err != nil {
		return fmt.Errorf("load tests: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		n := &nodeInfo{test: &testFacts{}}
		var short, col, sev, parent, modelOwners, meta, tags, pkg, desc, path, origPath, group *string
		var dim, namespace, original *string
		var tested string
		if err := rows.Scan(&n.UniqueID, &n.Name, &short, &col, &sev, &parent, &modelOwners, &meta, &tags, &pkg,
			&desc, &path, &origPath, &group, &dim, &namespace, &original, &tested); err != nil {
			return fmt.Errorf("load tests: %w", err)
		}
		n.ResourceType = "test"
		n.test.parent, n.test.shortName, n.test.column, n.test.severity = str(parent), str(short), str(col), str(sev)
		n.test.tested = decodeJSONList(tested)
		n.nameKey, n.pkg, n.description, n.path, n.originalPath = strings.ToLower(n.Name), str(pkg), str(desc),
			str(path), str(origPath)
		n.group, n.meta = str(group), str(meta)
		n.tags = parseList(str(tags))
		m := parseMeta(n.meta)
		n.criticality, _ = metaCriticality(m)
		n.test.dimension = qualityDimension(m, str(dim), str(namespace), str(original), n.test.shortName)
		n.test.elementary = strings.EqualFold(str(namespace), "elementary")
		primary := c.byID[n.test.parent]
		if primary == nil && len(n.test.tested) > 0 {
			primary = c.byID[n.test.tested[0]]
		}
		var primaryOwners []string
		if primary != nil {
			primaryOwners, n.Team = primary.Owners, primary.Team
		}
		n.Owners = mergeOwners(primaryOwners, parseList(str(modelOwners)), metaOwners(m))
		if primary == nil && isElementary(n.test.parent, "") {
			continue // a test of Elementary's own models
		}
		x.byIDLower[strings.ToLower(n.UniqueID)] = n
		x.testsByName[n.nameKey] = append(x.testsByName[n.nameKey], n)
		n.test.index = len(x.tests)
		x.tests = append(x.tests, n)
		team := strings.ToLower(n.Team)
		x.testsByTeam[team] = append(x.testsByTeam[team], n)
		for _, id := range n.test.tested {
			x.testsOf[id] = append(x.testsOf[id], n)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load tests: %w", err)
	}
	return nil
}

// loadElementaryNodes reads Elementary's own models (package elementary), reachable by exact unique_id only.
func (r *Reader) loadElementaryNodes(ctx context.Context, x *extraIndex) error {
	rows, err := r.q.QueryContext(ctx, `SELECT unique_id, name, alias, schema_name, database_name,
			package_name, description, path, original_path, materialization, tags, meta
		FROM dbt_models WHERE lower(package_name) = 'elementary' OR lower(unique_id) LIKE 'model.elementary.%'`)
	if err != nil {
		return fmt.Errorf("load Elementary's models: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		n := &nodeInfo{Node: Node{ResourceType: "model", Owners: []string{}}}
		var alias, schema, database, pkg, desc, path, origPath, mat, tags, meta *string
		if err := rows.Scan(&n.UniqueID, &n.Name, &alias, &schema, &database, &pkg, &desc, &path, &origPath, &mat,
			&tags, &meta); err != nil {
			return fmt.Errorf("load Elementary's models: %w", err)
		}
		n.nameKey, n.alias, n.schema, n.database, n.pkg = strings.ToLower(n.Name), str(alias), str(schema),
			str(database), str(pkg)
		n.description, n.path, n.originalPath, n.materialization = str(desc), str(path), str(origPath), str(mat)
		n.tags, n.meta = parseList(str(tags)), str(meta)
		x.byIDLower[strings.ToLower(n.UniqueID)] = n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load Elementary's models: %w", err)
	}
	return nil
}

// resolve finds the node a user means, as Resolve documents: the listed nodes first; then a test or one of
// Elementary's nodes by exact unique_id; then tests by name. A miss suggests near listed nodes and tests.
func (r *Reader) resolve(ctx context.Context, c *catalog, name string) (*nodeInfo, error) {
	n, err := c.resolve(name)
	var nf *NotFoundError
	if err == nil || !errors.As(err, &nf) {
		return n, err
	}
	x, xerr := r.extras(ctx, c)
	if xerr != nil {
		return nil, xerr
	}
	key := strings.Trim(strings.ToLower(strings.TrimSpace(name)), "`")
	if n, ok := x.byIDLower[key]; ok {
		return n, nil
	}
	switch tests := x.testsByName[key]; len(tests) {
	case 0:
	case 1:
		return tests[0], nil
	default:
		ids := make([]string, len(tests))
		for i, t := range tests {
			ids[i] = t.UniqueID
		}
		return nil, &AmbiguousError{Name: name, Candidates: ids}
	}
	if key != "" {
		nf.Suggestions = suggest(key, c.nodes, x.testIndex)
	}
	return nil, nf
}
