package queries

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// healthNow is the clock of healthFixture: Sunday Dec 6 2026, 12:00 UTC.
var healthNow = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// healthFixture is two teams' project, its scores worked out by hand in TestHealthScores:
//
//	sales: orders (owned, described, tested; reads customers and source orders_raw), customers (no owner, no
//	description; reads source customers_raw, never checked for freshness), old_report (owned, untested, last built
//	Oct 1), the sources orders_raw (its latest check warns) and customers_raw, and sales_board, an exposure of
//	orders without an owner.
//	ops: shipments (owned, described, tested).
//
// Tests, each with how it is classified and scored over the last 7 days:
//
//	not_null_orders_id            dbt not_null                      completeness  pass   100 (and pass Nov 28)
//	unique_orders_id              dbt unique                        uniqueness    fail     0 (and pass Nov 28)
//	accepted_values_orders_status dbt accepted_values, meta: accuracy accuracy    warn    50
//	relationships_orders_customer dbt relationships, recorded validity validity   pass   100
//	expression_is_true_orders     dbt_utils expression_is_true      accuracy      pass   100
//	freshness_anomalies_orders    elementary freshness_anomalies    freshness     pass   100
//	dimension_anomalies_orders    elementary dimension_anomalies    completeness  pass and fail rows of one
//	                                                                               run: its worst, fail, 0
//	column_anomalies_orders       elementary column_anomalies       unclassified  fail, not scored
//	assert_orders_positive        singular                          unclassified
//	not_null_customers_id         dbt not_null                      completeness  skipped today, pass Dec 5: 100
//	unique_customers_id           dbt unique                        uniqueness    pass Nov 25: out of the window
//	not_null_shipments_id (ops)   dbt not_null                      completeness  pass   100
//	source orders_raw             freshness                         freshness     warn    50
func healthFixture() Fixture {
	model := func(name, team, owner, desc string, parents ...string) Row {
		return Row{"unique_id": "model.shop." + name, "name": name, "alias": name, "package_name": "shop",
			"owner": owner, "meta": "{}", "tags": "[]", "depends_on_nodes": jsonList(parents), "group_name": team,
			"description": desc, "generated_at": "2026-11-01 00:00:00", "database_name": "dw", "schema_name": "prod"}
	}
	source := func(name string) Row {
		return Row{"unique_id": "source.shop.raw." + name, "source_name": "raw", "name": name, "package_name": "shop",
			"owner": `["@ana"]`, "meta": `{"team": "sales"}`, "freshness_error_after": `{"count": 1, "period": "day"}`}
	}
	test := func(name, parent string, extra Row) Row {
		r := Row{"unique_id": "test.shop." + name, "name": name, "short_name": name, "severity": "ERROR",
			"package_name": "shop", "depends_on_nodes": jsonList([]string{"model.shop." + parent}),
			"parent_model_unique_id": "model.shop." + parent, "meta": "{}"}
		for k, v := range extra {
			r[k] = v
		}
		return r
	}
	generic := func(ns, original string) Row { return Row{"test_namespace": ns, "test_original_name": original} }
	f := Fixture{
		"dbt_models": {
			model("orders", "sales", `["@ana"]`, "Orders", "model.shop.customers", "source.shop.raw.orders_raw"),
			model("customers", "sales", `[]`, "", "source.shop.raw.customers_raw"),
			model("old_report", "sales", `["@ana"]`, ""),
			model("shipments", "ops", `["@ken"]`, "Shipments"),
		},
		"dbt_sources": {source("orders_raw"), source("customers_raw")},
		"dbt_exposures": {{"unique_id": "exposure.shop.sales_board", "name": "sales_board", "type": "dashboard",
			"package_name": "shop", "meta": `{"team": "sales"}`, "depends_on_nodes": `["model.shop.orders"]`}},
		"dbt_tests": {
			test("not_null_orders_id", "orders", generic("", "not_null")),
			test("unique_orders_id", "orders", generic("dbt", "unique")),
			test("accepted_values_orders_status", "orders", Row{"test_original_name": "accepted_values",
				"meta": `{"quality_dimension": "Accuracy"}`, "quality_dimension": "validity"}),
			test("relationships_orders_customer", "orders", Row{"test_namespace": "dbt",
				"test_original_name": "relationships", "quality_dimension": "validity"}),
			test("expression_is_true_orders", "orders", generic("dbt_utils", "expression_is_true")),
			test("freshness_anomalies_orders", "orders", generic("elementary", "freshness_anomalies")),
			test("dimension_anomalies_orders", "orders", generic("elementary", "dimension_anomalies")),
			test("column_anomalies_orders", "orders", generic("elementary", "column_anomalies")),
			test("assert_orders_positive", "orders", nil),
			test("not_null_customers_id", "customers", generic("dbt", "not_null")),
			test("unique_customers_id", "customers", generic("dbt", "unique")),
			test("not_null_shipments_id", "shipments", generic("dbt", "not_null")),
		},
	}
	today, dec5 := healthNow.Add(-2*time.Hour), time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	nov28, nov25 := time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC), time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	res := func(id, test, model, inv, status string, at time.Time) Row {
		return result(id, "test.shop."+test, "model.shop."+model, inv, status, at, nil)
	}
	f["elementary_test_results"] = []Row{
		res("r1", "not_null_orders_id", "orders", "inv-t", "pass", today),
		res("r1o", "not_null_orders_id", "orders", "inv-o", "pass", nov28),
		res("r2", "unique_orders_id", "orders", "inv-t", "fail", today),
		res("r2o", "unique_orders_id", "orders", "inv-o", "pass", nov28),
		res("r3", "accepted_values_orders_status", "orders", "inv-t", "warn", today),
		res("r4", "relationships_orders_customer", "orders", "inv-t", "pass", today),
		res("r5", "expression_is_true_orders", "orders", "inv-t", "pass", today),
		res("r6", "freshness_anomalies_orders", "orders", "inv-t", "pass", today),
		res("r7a", "dimension_anomalies_orders", "orders", "inv-t", "fail", today),
		res("r7b", "dimension_anomalies_orders", "orders", "inv-t", "pass", today), // one run, detected at once
		res("r8", "column_anomalies_orders", "orders", "inv-t", "fail", today),
		res("r9", "assert_orders_positive", "orders", "inv-t", "pass", today),
		res("r10", "not_null_customers_id", "customers", "inv-t", "skipped", today),
		res("r10p", "not_null_customers_id", "customers", "inv-d5", "pass", dec5),
		res("r11", "unique_customers_id", "customers", "inv-n25", "pass", nov25),
		res("r12", "not_null_shipments_id", "shipments", "inv-t", "pass", today),
	}
	for id, at := range map[string]time.Time{"orders": today, "customers": dec5, "shipments": today,
		"old_report": time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)} {
		f["dbt_run_results"] = append(f["dbt_run_results"], run("inv-run-"+id, "model.shop."+id, "success",
			at.Format(time.RFC3339), at.Format("2006-01-02 15:04:05"), nil))
	}
	f["dbt_source_freshness_results"] = []Row{{"source_freshness_execution_id": "fr-1",
		"unique_id": "source.shop.raw.orders_raw", "status": "warn",
		"max_loaded_at": today.Add(-20 * time.Hour).Format(time.RFC3339), "snapshotted_at": today.Format(time.RFC3339), "generated_at": today.Format("2006-01-02 15:04:05"), "created_at": today,
		"error_after": `{"count": 1, "period": "day"}`}}
	return f
}

// TestHealthScores: the scores, totals, changes and coverage of healthFixture, worked out by hand, on the mirror
// loaded directly and synced from SQLite and PostgreSQL; the weights change the total; a node's verdict names why.
func TestHealthScores(t *testing.T) {
	opts := ReaderOptions{Now: func() time.Time { return healthNow }, Teams: Teams{Rules: []TeamRule{
		{Name: "sales", Groups: []string{"sales"}, MetaTeam: []string{"sales"}}, {Name: "ops", Groups: []string{"ops"}}}}}
	forEachFixture(t, healthFixture(), opts, func(t *testing.T, r *Reader, db *localdb.DB) {
		ctx := context.Background()
		scores := func(a HealthAnswer) string {
			s := ""
			for _, d := range a.Dimensions {
				v := "-"
				if d.Score != nil {
					v = fmt.Sprint(*d.Score)
				}
				s += fmt.Sprintf("%s=%s/%d ", d.Dimension, v, d.Tests)
			}
			return s
		}
		ptr := func(p *float64) string {
			if p == nil {
				return "nil"
			}
			return fmt.Sprint(*p)
		}
		sales, err := r.Health(ctx, HealthQuery{Team: "Sales"})
		if err != nil {
			t.Fatal(err)
		}
		want := "freshness=75/2 completeness=66.7/3 uniqueness=0/1 validity=100/1 accuracy=75/2 consistency=-/0 "
		if got := scores(sales); got != want {
			t.Errorf("sales scores\n got %s\nwant %s", got, want)
		}
		if ptr(sales.Total) != "63.3" || ptr(sales.TotalBefore) != "100" || ptr(sales.Change) != "-36.7" ||
			sales.Unclassified != 2 || sales.Team != "sales" || sales.Scope != "team" {
			t.Errorf("sales total %s, before %s, change %s, unclassified %d", ptr(sales.Total), ptr(sales.TotalBefore),
				ptr(sales.Change), sales.Unclassified)
		}
		if l := sales.Dimensions[2].Lowest; l == nil || l.UniqueID != "test.shop.unique_orders_id" || l.Score != 0 {
			t.Errorf("uniqueness' lowest test: %+v", l)
		}
		if l := sales.Dimensions[1].Lowest; l == nil || l.UniqueID != "test.shop.dimension_anomalies_orders" {
			t.Errorf("completeness' lowest test: %+v (the dimension test's worst row fails)", l)
		}
		cv := sales.Coverage
		if got := fmt.Sprintf("%+v", cv.Counts); got != "{Models:3 ModelsNoTests:1 ModelsNoOwner:1 ModelsNoDesc:2 "+
			"ModelsNotBuilt:1 Sources:2 SourcesNoFreshness:1 Exposures:1 ExposuresNoOwner:1}" {
			t.Errorf("sales coverage %s", got)
		}
		ids := func(gs []GapNode) []string {
			var out []string
			for _, g := range gs {
				out = append(out, fmt.Sprintf("%s:%d", g.Node.Name, g.Downstream))
			}
			return out
		}
		if got := ids(cv.NoDescription); !slices.Equal(got, []string{"customers:2", "old_report:0"}) {
			t.Errorf("models without a description, most depended on first: %v", got)
		}
		if got := ids(cv.NotBuilt); !slices.Equal(got, []string{"old_report:0"}) {
			t.Errorf("not built in 30 days: %v", got)
		}
		if got := ids(cv.NoFreshness); !slices.Equal(got, []string{"raw.customers_raw:3"}) {
			t.Errorf("sources without freshness: %v", got)
		}

		ops, err := r.Health(ctx, HealthQuery{Team: "ops"})
		if err != nil {
			t.Fatal(err)
		}
		if ptr(ops.Total) != "100" || ops.Dimensions[1].Tests != 1 {
			t.Errorf("ops: %s total %s", scores(ops), ptr(ops.Total))
		}
		project, err := r.Health(ctx, HealthQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if ptr(project.Total) != "65" || project.Scope != "project" {
			t.Errorf("project: %s total %s", scores(project), ptr(project.Total))
		}

		weighted := NewReader(db, ReaderOptions{Now: opts.Now, Teams: opts.Teams,
			HealthWeights: map[QualityDimension]float64{DimUniqueness: 0}})
		w, err := weighted.Health(ctx, HealthQuery{Team: "sales"})
		if err != nil {
			t.Fatal(err)
		}
		if ptr(w.Total) != "79.2" {
			t.Errorf("sales with uniqueness weighed 0: %s, want 79.2", ptr(w.Total))
		}

		for node, want := range map[string]string{
			"orders":    "degraded [tests_failing tests_warning data_unknown]", // it reads customers_raw, never checked
			"shipments": "healthy []",
			"customers": "caution [data_unknown no_owner no_description]",
		} {
			a, err := r.Health(ctx, HealthQuery{Node: node})
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(a.Verdict, " ", a.Reasons); got != want {
				t.Errorf("%s: %s, want %s", node, got, want)
			}
		}
		// A day before (Dec 5 12:00, over the 7 days before it) only not_null_customers_id had run: 100. What fell
		// since: the failing tests and the warning source, the largest fall first.
		m, err := r.HealthMove(ctx, "sales")
		if err != nil {
			t.Fatal(err)
		}
		var movers []string
		for _, mv := range m.Movers {
			movers = append(movers, fmt.Sprintf("%s:%g", mv.Name, mv.Score))
		}
		if ptr(m.Total) != "63.3" || ptr(m.DayBefore) != "100" || fmt.Sprint(movers) !=
			"[dimension_anomalies_orders:0 unique_orders_id:0 raw.orders_raw:50 accepted_values_orders_status:50]" {
			t.Errorf("sales moved %s → %s: %v", ptr(m.DayBefore), ptr(m.Total), movers)
		}
		if _, err := r.Health(ctx, HealthQuery{Team: "nobody"}); err == nil {
			t.Error("an unknown team is not found")
		}
	})
}
