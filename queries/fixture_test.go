package queries

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
)

// Row is one warehouse row of a fixture, by column name, as Elementary would have written it (times as text in
// Elementary's or dbt's forms, or time.Time for real timestamps; statuses in any case; JSON as text).
type Row map[string]any

// Fixture is a small Elementary warehouse: rows per table. The same rows can be loaded into a SQLite or PostgreSQL
// warehouse and synced; loadMirror inserts them straight into the mirror, normalising as the sync does.
type Fixture map[string][]Row

// fixtureNow is the clock of the fixture's expectations.
var fixtureNow = time.Date(2024, 5, 10, 12, 0, 0, 0, time.UTC)

const (
	inv1 = "11111111-0000-0000-0000-000000000001"
	inv2 = "22222222-0000-0000-0000-000000000002"
	inv3 = "33333333-0000-0000-0000-000000000003"
)

func run(inv, id, status string, completed any, generated string, extra Row) Row {
	r := Row{"model_execution_id": inv + "." + id, "unique_id": id, "invocation_id": inv, "status": status,
		"execute_completed_at": completed, "generated_at": generated, "created_at": generated,
		"execution_time": 1.5, "resource_type": strings.SplitN(id, ".", 2)[0], "name": id[strings.LastIndex(id, ".")+1:]}
	for k, v := range extra {
		r[k] = v
	}
	return r
}

func result(id, test, model, inv, status string, detected time.Time, extra Row) Row {
	r := Row{"id": id, "test_unique_id": test, "model_unique_id": model, "invocation_id": inv, "status": status,
		"detected_at": detected, "created_at": detected.Add(time.Minute), "severity": "error",
		"test_execution_id": inv + "." + test}
	for k, v := range extra {
		r[k] = v
	}
	return r
}

func day(d, h, m int) time.Time { return time.Date(2024, 5, d, h, m, 0, 0, time.UTC) }

// fixture is the shared small mirror; its known answers are in reader_test.go. It covers every pitfall of
// elementary-schema.md §5.3: duplicate rows, several rows per test per invocation, multi-parent and source tests,
// mixed case, text vs timestamp times, run generated_at (upload time) vs execute_completed_at, skipped rows,
// Elementary's own models, version drift (NULL columns, plain-string owner) and malformed meta/tags JSON.
func fixture() Fixture {
	const (
		stg      = "model.shop.stg_orders"
		orders   = "model.shop.orders"
		cust     = "model.shop.customers"
		revenue  = "model.shop.revenue"
		elem     = "model.elementary.dbt_run_results"
		payments = "source.shop.stripe.payments"
		sOrders  = "source.shop.stripe.orders"
		accounts = "source.shop.crm.accounts"
		snap     = "snapshot.shop.orders_snapshot"
		t1       = "test.shop.not_null_orders_id.aaa"
		t2       = "test.shop.relationships_orders_customer_id.bbb"
		t3       = "test.shop.elementary_volume_anomalies_stg_orders.ccc"
		t4       = "test.shop.source_not_null_stripe_payments_id.ddd"
		t5       = "test.elementary.not_null_dbt_run_results_id.eee"
		t6       = "test.shop.unique_revenue_day.fff"
	)
	model := func(id, name string, extra Row) Row {
		r := Row{"unique_id": id, "name": name, "alias": name, "package_name": strings.Split(id, ".")[1],
			"database_name": "ANALYTICS", "schema_name": "prod", "materialization": "TABLE", "owner": "[]",
			"meta": "{}", "tags": "[]", "depends_on_nodes": "[]", "generated_at": "2024-01-01 00:00:00",
			"path": "marts/" + name + ".sql", "original_path": "models/marts/" + name + ".sql"}
		for k, v := range extra {
			r[k] = v
		}
		return r
	}
	return Fixture{
		"dbt_models": {
			model(stg, "stg_orders", Row{"alias": "stg_orders_v", "schema_name": "Staging", "owner": `["@alice"]`,
				"meta": `{"owner": "bob@acme.com, @Alice"}`, "depends_on_nodes": `["` + payments + `"]`,
				"path": "staging/stg_orders.sql", "original_path": "models/staging/stg_orders.sql"}),
			// version drift: owner is a plain string; malformed meta and tags JSON.
			model(orders, "orders", Row{"owner": "carol", "meta": "{not json", "tags": "finance",
				"group_name": "finance", "description": "One row per order.", "depends_on_nodes": `["` + stg + `"]`}),
			model(cust, "customers", Row{"meta": `{"team": "growth", "criticality": "high"}`, "group_name": "finance",
				"depends_on_nodes": `["` + stg + `"]`, "tags": `["core","pii"]`}),
			// version drift: NULL owner, group and access.
			model(revenue, "revenue", Row{"owner": nil, "group_name": nil, "access": nil,
				"meta": `{"priority": "P3", "alerts_config": {"priority": "P1"}}`, "path": "marts/finance/revenue.sql",
				"depends_on_nodes": `["` + orders + `","` + cust + `"]`}),
			model(elem, "dbt_run_results", Row{"package_name": "elementary", "depends_on_nodes": `["` + orders + `"]`}),
			model("model.shop.dup", "dup", nil),
			model("model.ext.dup", "dup", Row{"schema_name": "ext"}),
			model("model.shop.cyc_a", "cyc_a", Row{"depends_on_nodes": `["model.shop.cyc_b"]`}),
			model("model.shop.cyc_b", "cyc_b", Row{"depends_on_nodes": `["model.shop.cyc_a"]`}),
		},
		"dbt_snapshots": {model(snap, "orders_snapshot", Row{"materialization": "snapshot",
			"depends_on_nodes": `["` + orders + `"]`})},
		"dbt_seeds": {{"unique_id": "seed.shop.country_codes", "name": "country_codes", "package_name": "shop",
			"schema_name": "prod", "owner": `["@seedy"]`}},
		"dbt_sources": {
			{"unique_id": payments, "source_name": "stripe", "name": "payments", "identifier": "PAYMENTS",
				"schema_name": "stripe", "database_name": "RAW", "owner": `["@dave"]`, "package_name": "shop",
				"freshness_warn_after": `{"count": 12, "period": "hour"}`},
			{"unique_id": sOrders, "source_name": "stripe", "name": "orders", "schema_name": "stripe",
				"package_name": "shop"},
			{"unique_id": accounts, "source_name": "crm", "name": "accounts", "schema_name": "crm",
				"package_name": "shop"},
		},
		"dbt_exposures": {{"unique_id": "exposure.shop.weekly_kpis", "name": "weekly_kpis", "label": "Weekly KPIs",
			"type": "dashboard", "maturity": "high", "url": "https://bi.acme.com/kpis", "owner_email": "kpi@acme.com",
			"owner_name": "KPI team", "package_name": "shop", "depends_on_nodes": `["` + revenue + `"]`}},
		"dbt_groups": {{"unique_id": "group.shop.finance", "name": "finance", "owner_email": "finance-lead@acme.com",
			"owner_name": "Fin"}},
		"dbt_tests": {
			{"unique_id": t1, "name": "not_null_orders_id", "short_name": "not_null", "severity": "error",
				"test_column_name": "id", "depends_on_nodes": `["` + orders + `"]`, "parent_model_unique_id": orders,
				"model_owners": `["carol"]`, "package_name": "shop"},
			// multi-parent test with its own meta owner.
			{"unique_id": t2, "name": "relationships_orders_customer_id", "short_name": "relationships",
				"severity": "WARN", "depends_on_nodes": `["` + orders + `","` + cust + `"]`,
				"parent_model_unique_id": orders, "model_owners": `["carol"]`, "meta": `{"owner": ["@erin"]}`,
				"package_name": "shop"},
			{"unique_id": t3, "name": "elementary_volume_anomalies_stg_orders", "short_name": "volume_anomalies",
				"severity": "WARN", "depends_on_nodes": `["` + stg + `"]`, "parent_model_unique_id": stg,
				"package_name": "shop"},
			// source test.
			{"unique_id": t4, "name": "source_not_null_stripe_payments_id", "short_name": "not_null",
				"depends_on_nodes": `["` + payments + `"]`, "parent_model_unique_id": payments, "package_name": "shop"},
			{"unique_id": t5, "name": "not_null_dbt_run_results_id", "depends_on_nodes": `["` + elem + `"]`,
				"parent_model_unique_id": elem, "package_name": "elementary"},
			{"unique_id": t6, "name": "unique_revenue_day", "depends_on_nodes": `["` + revenue + `"]`,
				"parent_model_unique_id": revenue, "package_name": "shop"},
		},
		"dbt_invocations": {
			{"invocation_id": inv1, "created_at": day(8, 6, 30), "command": "build", "job_name": "nightly"},
			{"invocation_id": inv2, "created_at": day(9, 6, 30), "command": "BUILD", "job_name": "nightly"},
			{"invocation_id": inv3, "created_at": day(10, 6, 30), "command": "build", "job_name": "nightly",
				"orchestrator": "airflow", "target_name": "prod", "job_run_url": "https://airflow/run/3"},
		},
		"dbt_run_results": {
			run(inv1, stg, "success", "2024-05-08T06:01:00.000000Z", "2024-05-08 06:30:00", nil),
			run(inv2, stg, "success", "2024-05-09T06:01:00+00:00", "2024-05-09 06:30:00", nil),
			run(inv3, stg, "SUCCESS", "2024-05-10T06:01:00.123456Z", "2024-05-10 06:30:00", nil),
			run(inv3, stg, "success", "2024-05-10T06:01:00.123456Z", "2024-05-10 06:30:00", nil), // duplicate
			run(inv1, orders, "success", "2024-05-08T06:05:00Z", "2024-05-08 06:30:00", nil),
			// uploaded late: generated_at is newest but it ran before inv3's run.
			run(inv2, orders, "success", "2024-05-09T06:05:00Z", "2024-05-10 09:00:00", nil),
			run(inv3, orders, "success", "2024-05-10T06:05:00Z", "2024-05-10 06:30:00", Row{"message": "SELECT 42"}),
			run(inv2, cust, "success", "2024-05-09T06:06:00Z", "2024-05-09 06:30:00", nil),
			run(inv3, cust, "skipped", nil, "2024-05-10 06:30:00", nil), // skipped: no timing, generated_at orders it
			run(inv1, revenue, "success", "2024-05-08T06:10:00Z", "2024-05-08 06:30:00", nil),
			run(inv2, revenue, "error", "2024-05-09T06:10:00Z", "2024-05-09 06:30:00",
				Row{"message": "Database Error in model revenue\nobject does not exist"}),
			run(inv3, revenue, "error", "2024-05-10T06:10:00Z", "2024-05-10 06:30:00",
				Row{"message": "Database Error in model revenue\nobject does not exist"}),
			run(inv3, snap, "success", "2024-05-10T06:12:00Z", "2024-05-10 06:30:00", nil),
			run(inv3, elem, "error", "2024-05-10T06:13:00Z", "2024-05-10 06:30:00", nil),
			run(inv3, t1, "fail", "2024-05-10T06:20:00Z", "2024-05-10 06:30:00", nil),
			run(inv3, payments, "error", "2024-05-10T05:00:00Z", "2024-05-10 05:00:00", nil),
		},
		"elementary_test_results": {
			result("r1a", t1, orders, inv1, "pass", day(8, 6, 20), nil),
			result("r1b", t1, orders, inv2, "fail", day(9, 6, 20), Row{"failures": 3}),
			result("r1c", t1, orders, inv3, "FAIL", day(10, 6, 20), Row{"failures": 7,
				"test_results_description": "Got 7 results, configured to fail if != 0"}),
			// duplicate: a re-inserted copy (the status case aside), so which copy the sync keeps does not matter.
			result("r1c", t1, orders, inv3, "fail", day(10, 6, 20), Row{"failures": 7,
				"test_results_description": "Got 7 results, configured to fail if != 0"}),
			result("r2a", t2, orders, inv2, "pass", day(9, 6, 21), Row{"severity": "warn"}),
			result("r2b", t2, orders, inv3, "warn", day(10, 6, 21), Row{"severity": "warn", "failures": 2}),
			// anomaly test: several rows per invocation.
			result("r3a", t3, stg, inv2, "fail", day(9, 6, 22), Row{"severity": "WARN", "column_name": "amount"}),
			result("r3b", t3, stg, inv2, "fail", day(9, 6, 22), Row{"severity": "WARN", "column_name": "count"}),
			result("r3c", t3, stg, inv3, "pass", day(10, 6, 22), Row{"severity": "WARN", "column_name": "amount"}),
			result("r3d", t3, stg, inv3, "warn", day(10, 6, 22), Row{"severity": "WARN", "column_name": "count"}),
			result("r4a", t4, payments, inv2, "error", day(9, 6, 23), nil),
			result("r4b", t4, payments, inv3, "pass", day(10, 6, 23), nil),
			result("r5a", t5, elem, inv3, "fail", day(10, 6, 24), nil),
			result("r6a", t6, revenue, inv3, "skipped", day(10, 6, 25), nil),
		},
		"dbt_source_freshness_results": {
			{"source_freshness_execution_id": inv1 + "." + payments, "unique_id": payments, "status": "pass",
				"generated_at": "2024-05-08 05:00:00", "created_at": day(8, 5, 0), "invocation_id": inv1},
			{"source_freshness_execution_id": inv3 + "." + payments, "unique_id": payments, "status": "error",
				"generated_at": "2024-05-10 05:00:00", "created_at": day(10, 5, 0), "invocation_id": inv3,
				"max_loaded_at": "2024-05-08T23:00:00.000000+00:00", "snapshotted_at": "2024-05-10T05:00:00Z",
				"max_loaded_at_time_ago_in_s": 108000.0, "warn_after": `{"count": 12, "period": "hour"}`,
				"error_after": `{"count": 1, "period": "day"}`},
			{"source_freshness_execution_id": inv3 + "." + sOrders, "unique_id": sOrders, "status": "WARN",
				"generated_at": "2024-05-10 05:00:00", "created_at": day(10, 5, 0), "invocation_id": inv3},
			{"source_freshness_execution_id": inv3 + "." + accounts, "unique_id": accounts, "status": "runtime error",
				"generated_at": "2024-05-10 05:00:00", "created_at": day(10, 5, 0), "invocation_id": inv3,
				"error": "Database Error\npermission denied"},
		},
	}
}

// normalise converts a fixture value to the mirror's form for column c, as the sync does.
func normalise(c elementary.Column, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		return localdb.FormatTime(x)
	case string:
		switch {
		case c.Type == elementary.Timestamp || c.Type == elementary.TimeText:
			if t, ok := elementary.ParseTimestamp(x); ok { // as the sync reads a warehouse's text
				return localdb.FormatTime(t)
			}
			return x
		case c.Case == elementary.Lower:
			return strings.ToLower(x)
		case c.Case == elementary.Upper:
			return strings.ToUpper(x)
		}
		return x
	case bool:
		if x {
			return 1
		}
		return 0
	}
	return v
}

// openMirror opens a new mirror database in a temporary directory.
func openMirror(tb testing.TB) *localdb.DB {
	tb.Helper()
	db := localdbtest.Open(tb, filepath.Join(tb.TempDir(), "todai.db"))
	return db
}

// loadMirror inserts the fixture's rows into the mirror (duplicates collapse on the natural key, as in the sync),
// records a successful sync and refreshes the derived tables.
func loadMirror(tb testing.TB, db *localdb.DB, f Fixture) {
	tb.Helper()
	ctx := context.Background()
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for table, rows := range f {
		spec, ok := elementary.Lookup(table)
		if !ok {
			tb.Fatalf("unknown table %s", table)
		}
		for _, r := range rows {
			if spec.Only != nil && !spec.Only.Holds(r[spec.Only.Column]) {
				continue // the warehouse does not send it
			}
			cols := make([]string, 0, len(r))
			for k := range r {
				c, ok := spec.Column(k)
				if !ok {
					tb.Fatalf("%s has no column %s", table, k)
				}
				if !c.WarehouseOnly { // the sync does not mirror it either
					cols = append(cols, k)
				}
			}
			sort.Strings(cols)
			args := make([]any, len(cols))
			for i, k := range cols {
				c, _ := spec.Column(k)
				if args[i] = normalise(c, r[k]); c.KeepWhen != nil && !c.KeepWhen.Holds(r[c.KeepWhen.Column]) {
					args[i] = nil
				}
			}
			verb := "INSERT OR IGNORE"
			if spec.Kind == elementary.History && spec.Watermark != "created_at" {
				verb = "INSERT OR REPLACE" // rows changed in place: the newest wins (rows sorted by it below)
			}
			q := fmt.Sprintf("%s INTO %s (%s) VALUES (%s)", verb, table, strings.Join(cols, ", "),
				strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", "))
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				tb.Fatalf("insert into %s: %v", table, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sync_runs (started_at, finished_at, ok) VALUES (?, ?, 1)`,
		localdb.FormatTime(fixtureNow.Add(-61*time.Minute)), localdb.FormatTime(fixtureNow.Add(-time.Hour))); err != nil {
		tb.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	if err := RefreshAll(ctx, db); err != nil {
		tb.Fatal(err)
	}
}
