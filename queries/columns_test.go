package queries

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/demo"
)

// columnsFixture is a small project whose dbt_columns rows exercise Describe's Columns: a model with documented
// columns stored out of order and in mixed case, a source's columns, a column row with no description or type (a
// tagged-only column), a model without column rows, and column rows of another node and of a node that is gone.
func columnsFixture() Fixture {
	const (
		orders   = "model.shop.orders"
		payments = "source.shop.stripe.payments"
	)
	col := func(parent, name, typ, desc, rtype string) Row {
		r := Row{"unique_id": "column." + parent + "." + name, "parent_unique_id": parent, "name": name,
			"resource_type": rtype, "database_name": "ANALYTICS", "schema_name": "prod", "tags": "[]", "meta": "{}",
			"generated_at": "2024-05-01 10:00:00", "metadata_hash": "h-" + name}
		if typ != "" {
			r["data_type"] = typ
		}
		if desc != "" {
			r["description"] = desc
		}
		return r
	}
	model := func(id, name string) Row {
		return Row{"unique_id": id, "name": name, "alias": name, "package_name": "shop", "schema_name": "prod",
			"database_name": "ANALYTICS", "owner": "[]", "meta": "{}", "tags": "[]", "depends_on_nodes": "[]",
			"generated_at": "2024-05-01 10:00:00"}
	}
	return Fixture{
		"dbt_models": {model(orders, "orders"), model("model.shop.customers", "customers")},
		"dbt_sources": {{"unique_id": payments, "source_name": "stripe", "name": "payments", "schema_name": "stripe",
			"package_name": "shop"}},
		"dbt_columns": {
			col(orders, "status", "varchar", "Order status: placed, shipped or returned.", "MODEL"),
			col(orders, "Amount", "numeric", "  Total in cents.  ", "model"),
			col(orders, "order_id", "integer", "Primary key.", "model"),
			col(orders, "customer_id", "", "", "model"), // tagged only: no type or description
			col(payments, "payment_id", "text", "Stripe payment id.", "source"),
			col("model.shop.gone", "id", "integer", "A column of a removed model.", "model"),
		},
		"dbt_invocations": {{"invocation_id": inv1, "created_at": day(9, 1, 0), "command": "build"}},
	}
}

// TestDescribeColumns checks Describe's Columns over each warehouse: the node's own dbt_columns rows only,
// ordered by name case-insensitively, descriptions trimmed, missing types and descriptions empty, and an empty
// (non-nil) list for a node without column rows.
func TestDescribeColumns(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db := openMirror(t)
			b.load(t, db, columnsFixture())
			r := NewReader(db, ReaderOptions{Now: func() time.Time { return fixtureNow }})
			cases := []struct {
				name string
				want []ColumnDoc
			}{
				{"orders", []ColumnDoc{
					{Name: "Amount", DataType: "numeric", Description: "Total in cents."},
					{Name: "customer_id"},
					{Name: "order_id", DataType: "integer", Description: "Primary key."},
					{Name: "status", DataType: "varchar", Description: "Order status: placed, shipped or returned."},
				}},
				{"stripe.payments", []ColumnDoc{{Name: "payment_id", DataType: "text", Description: "Stripe payment id."}}},
				{"customers", []ColumnDoc{}},
			}
			for _, c := range cases {
				a, err := r.Describe(context.Background(), c.name)
				if err != nil {
					t.Fatalf("Describe(%s): %v", c.name, err)
				}
				eq(t, "columns of "+c.name, a.Columns, c.want)
			}
		})
	}
}

// TestColumnsMirror checks the mirror side of dbt_columns: resource types are lower-cased like every other
// resource type, and the parent index serves Describe's lookup.
func TestColumnsMirror(t *testing.T) {
	db := openMirror(t)
	loadMirror(t, db, columnsFixture())
	ctx := context.Background()
	var upper int
	if err := db.Read.QueryRowContext(ctx, `SELECT count(*) FROM dbt_columns WHERE resource_type <> lower(resource_type)`).Scan(&upper); err != nil {
		t.Fatal(err)
	}
	eq(t, "upper-case resource types", upper, 0)
	rows, err := db.Read.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT name, data_type, description FROM dbt_columns
		WHERE parent_unique_id = ? ORDER BY lower(name), name, unique_id`, "model.shop.orders")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "dbt_columns_parent") {
		t.Errorf("Describe's column lookup does not use the parent index: %s", p)
	}
}

// TestDescribeColumnsFollowSync checks that a re-sync which changes dbt_columns (a definition table, re-read
// whole) replaces the columns Describe lists.
func TestDescribeColumnsFollowSync(t *testing.T) {
	db := openMirror(t)
	f := columnsFixture()
	syncFromSQLite(t, db, f)
	r := NewReader(db, ReaderOptions{Now: func() time.Time { return fixtureNow }})
	ctx := context.Background()
	a, err := r.Describe(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "columns before", len(a.Columns), 4)
	// A second warehouse where only order_id stays documented: the sync replaces the definition table whole.
	var kept []Row
	for _, c := range f["dbt_columns"] {
		if c["name"] == "order_id" {
			c["description"], c["metadata_hash"] = "The order's key.", "h2"
			kept = append(kept, c)
		}
	}
	f["dbt_columns"] = kept
	syncFromSQLite(t, db, f)
	a, err = r.Describe(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "columns after", a.Columns, []ColumnDoc{{Name: "order_id", DataType: "integer", Description: "The order's key."}})
}

// TestDemoColumns checks the demo warehouse's dbt_columns through the real sync: the story model documents the
// column its failing test checks, a share of the project's nodes (sources included) have documented columns,
// Elementary's own models have none, and two generations with the same options agree.
func TestDemoColumns(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 13, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "warehouse.db")
	if err := demo.Build(ctx, path, demo.Options{Now: now, Models: 60, Sources: 10, Days: 2}); err != nil {
		t.Fatal(err)
	}
	db := openMirror(t)
	syncFrom(t, db, "sqlite://"+path)
	r := NewReader(db, ReaderOptions{Now: func() time.Time { return now }})
	a, err := r.Describe(ctx, demo.StoryFailingModel)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range a.Columns {
		names = append(names, c.Name)
		if c.Description == "" {
			t.Errorf("column %s of %s has no description", c.Name, demo.StoryFailingModel)
		}
	}
	if !slices.Contains(names, "order_id") || !slices.IsSortedFunc(names, func(x, y string) int {
		return strings.Compare(strings.ToLower(x), strings.ToLower(y))
	}) {
		t.Errorf("columns of %s = %v, want order_id among them, sorted", demo.StoryFailingModel, names)
	}
	checks := []struct {
		name     string
		q        string
		min, max int
	}{
		{"documented models", `SELECT count(DISTINCT parent_unique_id) FROM dbt_columns WHERE resource_type = 'model'`, 20, 50},
		{"documented sources", `SELECT count(DISTINCT parent_unique_id) FROM dbt_columns WHERE resource_type = 'source'`, 1, 10},
		{"undocumented models", `SELECT count(*) FROM dbt_models m WHERE package_name = 'kumo'
			AND NOT EXISTS (SELECT 1 FROM dbt_columns c WHERE c.parent_unique_id = m.unique_id)`, 1, 50},
		{"elementary models", `SELECT count(*) FROM dbt_columns WHERE parent_unique_id LIKE 'model.elementary.%'`, 0, 0},
		{"orphans", `SELECT count(*) FROM dbt_columns c WHERE NOT EXISTS (SELECT 1 FROM nodes n
			WHERE n.unique_id = c.parent_unique_id)`, 0, 0},
		{"unique ids", `SELECT count(*) FROM dbt_columns WHERE unique_id <> 'column.' || parent_unique_id || '.' || name`, 0, 0},
	}
	for _, c := range checks {
		var n int
		if err := db.Read.QueryRowContext(ctx, c.q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if n < c.min || n > c.max {
			t.Errorf("%s = %d, want %d..%d", c.name, n, c.min, c.max)
		}
	}
}

// TestFailuresDefinitionCache checks the per-catalog cache of test definitions behind Failures: a cold and a warm
// call answer the same, concurrent calls agree (run with -race), and a definition change (a new meta.owner on a
// test, a new generation) is seen by the next call.
func TestFailuresDefinitionCache(t *testing.T) {
	r, db := fixtureReader(t, Teams{})
	ctx := context.Background()
	q := FailuresQuery{Since: fixtureNow.Add(-72 * time.Hour)}
	cold, err := r.Failures(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(cold.Failures) == 0 {
		t.Fatal("fixture has no failures")
	}
	errs := make(chan error, 4)
	answers := make(chan FailuresAnswer, 4)
	for range 4 {
		go func() {
			a, err := r.Failures(ctx, q)
			errs <- err
			answers <- a
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		eq(t, "warm failures", <-answers, cold)
	}
	const test = "test.shop.not_null_orders_id.aaa"
	if _, err := db.Write.ExecContext(ctx, `UPDATE dbt_tests SET meta = '{"owner": "@dana"}' WHERE unique_id = ?`,
		test); err != nil {
		t.Fatal(err)
	}
	if err := RefreshAll(ctx, db); err != nil {
		t.Fatal(err)
	}
	after, err := r.Failures(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range after.Failures {
		if f.TestUniqueID == test {
			eq(t, "owners after the definition changed", f.Owners, []string{"carol", "@dana"})
			return
		}
	}
	t.Fatalf("%s missing from %+v", test, after.Failures)
}

// levenshtein is the plain edit distance, the reference for suggest's bounded one.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// TestSuggestMatchesReference checks the pruned suggestion search against a plain one (every key of every node,
// full edit distance) on a catalog of similar names, for misspellings, prefixes, substrings and misses.
func TestSuggestMatchesReference(t *testing.T) {
	c := &catalog{}
	for i := range 400 {
		name := fmt.Sprintf("model_%04d", i*7)
		alias := name
		if i%5 == 0 {
			alias = fmt.Sprintf("mdl_%04d", i*7)
		}
		c.nodes = append(c.nodes, &nodeInfo{Node: Node{UniqueID: "model.p." + name}, nameKey: name,
			aliasKey: alias, qualifiedKey: "prod." + name})
	}
	c.nodes = append(c.nodes, &nodeInfo{Node: Node{UniqueID: "source.p.crm.accounts"}, nameKey: "accounts",
		qualifiedKey: "crm.accounts"}, &nodeInfo{Node: Node{UniqueID: "model.p.orders"}, nameKey: "orders",
		aliasKey: "orders"})
	reference := func(key string) []string {
		maxDist := min(1+len(key)/4, 3)
		type cand struct {
			id    string
			score int
		}
		var cands []cand
		// score ranks one key: 0 a prefix either way, 1 a substring either way, 1+d within maxDist edits, else -1.
		score := func(k string) int {
			if k == "" {
				return -1
			}
			if strings.HasPrefix(k, key) || strings.HasPrefix(key, k) {
				return 0
			}
			if strings.Contains(k, key) || (len(k) > 3 && strings.Contains(key, k)) {
				return 1
			}
			if d := levenshtein(key, k); d <= maxDist {
				return 1 + d
			}
			return -1
		}
		for _, n := range c.nodes {
			best := -1
			for _, k := range []string{n.nameKey, n.qualifiedKey, n.aliasKey} {
				if s := score(k); s >= 0 && (best < 0 || s < best) {
					best = s
				}
			}
			if best >= 0 {
				cands = append(cands, cand{n.UniqueID, best})
			}
		}
		slices.SortFunc(cands, func(x, y cand) int {
			if x.score != y.score {
				return x.score - y.score
			}
			return strings.Compare(x.id, y.id)
		})
		var out []string
		for i := 0; i < len(cands) && i < 3; i++ {
			out = append(out, cands[i].id)
		}
		return out
	}
	keys := []string{"modl_0500x", "model_0700", "model_07", "mdl_0035", "odel_0014", "model_1z34", "acounts",
		"crm.acounts", "ordres", "orders_x", "zzzz", "m", "prod.model_0021", "model_0021_v2", "accounts"}
	for _, key := range keys {
		t.Run(key, func(t *testing.T) {
			eq(t, "suggest("+key+")", suggest(key, c.nodes, nil), reference(key))
		})
	}
}
