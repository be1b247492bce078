package bot

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/todai-dev/todai/bot/slacktest"
	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/demo"
	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
	"github.com/todai-dev/todai/queries/mirror"
	"github.com/todai-dev/todai/queries/source"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// shopMirror is a warehouse holding the nodes edr's real payloads are about (package shop: orders, its tests, its
// snapshot, the stripe.payments source loaded as RAW.STRIPE_V2.PAYMENTS_V2, a long-named finance model), with the
// failures those alerts report, synced into a mirror.
func shopMirror(t testing.TB) *localdb.DB {
	t.Helper()
	now := time.Date(2026, 7, 1, 13, 0, 0, 0, time.UTC)
	f := demo.NewFixture("shop")
	orders := f.Model("orders", demo.Values{"database_name": "analytics", "schema_name": "prod",
		"owner": `["jane@acme.com"]`})
	ltv := f.Model("fct_customer_lifetime_value_daily", demo.Values{"database_name": "analytics_prod",
		"schema_name": "dbt_marts_finance", "depends_on_nodes": `["` + orders + `"]`})
	f.Row("dbt_snapshots", demo.Values{"unique_id": "snapshot.shop.orders_snapshot", "name": "orders_snapshot",
		"alias": "orders_snapshot", "package_name": "shop", "materialization": "snapshot", "tags": "[]", "meta": "{}",
		"owner": "[]", "database_name": "analytics", "schema_name": "snapshots", "depends_on_nodes": `["` + orders + `"]`,
		"path": "orders_snapshot.sql", "original_path": "snapshots/orders_snapshot.sql",
		"generated_at": "2024-01-01 00:00:00"}, nil)
	payments := f.Source("stripe", "payments", demo.Values{"identifier": "PAYMENTS_V2", "schema_name": "STRIPE_V2"})
	tests := map[string]string{
		"not_null_orders_order_id":               "test.shop.not_null_orders_order_id.abc1234567",
		"unique_orders_order_id":                 "test.shop.unique_orders_order_id.def7654321",
		"elementary_volume_anomalies_orders_":    "test.shop.elementary_volume_anomalies_orders_.9a8b7c6d5e",
		"elementary_schema_changes_orders_":      "test.shop.elementary_schema_changes_orders_.1a2b3c4d5e",
		"expect_column_values_to_match_regex_lt": "test.shop.expect_column_values_to_match_regex_lt.0f0f0f0f0f",
	}
	inv := f.Invocation("build", now, nil)
	for name, id := range tests {
		parent := orders
		if strings.HasPrefix(name, "expect") {
			parent = ltv
		}
		f.Test(name, strings.SplitN(name, "_", 2)[0], parent, demo.Values{"unique_id": id})
		if !strings.Contains(name, "volume_anomalies") {
			f.TestResult(inv, id, parent, "fail", now, nil)
			continue
		}
		// The volume anomaly: 20 hourly buckets of orders' row count, the last but one a drop to 412 rows where
		// 950–1,450 were expected.
		result := f.TestResult(inv, id, parent, "fail", now, demo.Values{"test_type": "anomaly_detection",
			"test_sub_type": "row_count", "failures": 1})
		anomalyBuckets(f, result, now, 18)
	}
	f.RunResult(inv, orders, "error", now, demo.Values{"message": "Database Error in model orders"})
	f.RunResult(inv, "snapshot.shop.orders_snapshot", "error", now, nil)
	f.FreshnessResult(inv, payments, "error", now.Add(-30*time.Hour), now, nil)

	return syncFixture(t, f, now)
}

// anomalyBuckets writes an anomaly result's 20 hourly buckets of orders' row count, the last ending at the hour of
// at; the bucket at index anomalous (−1 for none) is a drop to 412 rows where 950–1,450 were expected.
func anomalyBuckets(f *demo.Fixture, result string, at time.Time, anomalous int) {
	for i := range 20 {
		end := at.Truncate(time.Hour).Add(-time.Duration(19-i) * time.Hour)
		value := 1180.0 + float64(i%5)*20
		if i == anomalous {
			value = 412
		}
		row, _ := json.Marshal(map[string]any{"value": value, "min_value": 950.0, "max_value": 1450.0,
			"end_time": end.Format("2006-01-02T15:04:05"), "is_anomalous": i == anomalous, "metric_name": "row_count"})
		f.Row("test_result_rows", demo.Values{"elementary_test_results_id": result, "result_row": string(row),
			"row_index": int64(i + 1), "test_type": "anomaly_detection", "detected_at": at, "created_at": at}, nil)
	}
}

// syncFixture writes f to a SQLite warehouse and syncs it into a mirror at now.
func syncFixture(t testing.TB, f *demo.Fixture, now time.Time) *localdb.DB {
	t.Helper()
	dir := t.TempDir()
	whPath := filepath.Join(dir, "warehouse.db")
	wh, err := sql.Open("sqlite3", "file:"+whPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Write(context.Background(), wh, elementary.SQLite, "", f); err != nil {
		t.Fatal(err)
	}
	wh.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	src, err := source.Open(context.Background(), "sqlite://"+whPath, source.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	db := localdbtest.Open(t, filepath.Join(dir, "state.db"))
	if _, err := mirror.New(db, src, mirror.Options{Now: func() time.Time { return now }, BackfillDays: 3650,
		Logger: quiet, Deriver: &queries.Derived{}}).Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestUrgentUnderEveryRealEdrAlert: for every message edr monitor really posts, `@todai is this urgent?` in its
// thread is answered about the node the alert is about.
func TestUrgentUnderEveryRealEdrAlert(t *testing.T) {
	msgs := slacktest.EdrMessages(t)
	h := startBot(t, harnessOpts{mirror: shopMirror})
	h.fake.AddChannel(slacktest.Channel{ID: "C9", Name: "data-alerts"})
	for payload, about := range map[string]string{
		"test_dbt":                       "not_null_orders_order_id",
		"test_dbt_no_report_url":         "orders",
		"test_anomaly":                   "elementary_volume_anomalies_orders_",
		"test_schema_change":             "elementary_schema_changes_orders_",
		"test_long_header":               "fct_customer_lifetime_value_daily",
		"model":                          "orders",
		"snapshot":                       "orders_snapshot",
		"model_no_materialization":       "orders",
		"source_freshness":               "stripe.payments",
		"source_freshness_runtime_error": "stripe.payments",
		"group_by_table_tests_only":      "orders",
		"group_by_table_with_model":      "orders",
		"group_all":                      "orders",
	} {
		t.Run(payload, func(t *testing.T) {
			p, _ := askUrgentUnder(t, h, msgs[payload])
			all := p.AllText()
			if !strings.Contains(all, about) || !strings.Contains(all, "Urgency") {
				t.Errorf("reply is not the urgency of %s:\n%s", about, all)
			}
			for _, bad := range []string{"Which model", "could not find", "matches"} {
				if strings.Contains(all, bad) {
					t.Errorf("reply says %q:\n%s", bad, all)
				}
			}
		})
	}
}

// TestIncidentNoticeNamesTheDiagnosedCause: an incident's notice carries the diagnosis' cause, with its confidence:
// the not_null test on orders fails in the build where orders itself errored.
func TestIncidentNoticeNamesTheDiagnosedCause(t *testing.T) {
	h := startBot(t, harnessOpts{mirror: shopMirror})
	msg := h.bot.incidentMessage(testCtx(t), h.reader, []escalation.Incident{{ID: 7, Kind: escalation.KindTest, Team: "finance",
		NodeID: "model.shop.orders", TestID: "test.shop.not_null_orders_order_id.abc1234567", Status: escalation.StatusOpen}}, nil, false)
	all := msg.Text
	for _, b := range msg.Blocks {
		raw, _ := json.Marshal(b)
		all += string(raw)
	}
	if !strings.Contains(all, "Cause: an upstream run errored: *orders*") || !strings.Contains(all, "(likely)") {
		t.Errorf("notice lacks the diagnosed cause:\n%s", all)
	}
	// What to do next, with whom to ask: the third part of every diagnosis.
	if !strings.Contains(all, "Next: ") {
		t.Errorf("notice lacks what to do next:\n%s", all)
	}
}

// TestAnomalyIncidentNoticeDrawsItsChart: Todai's own notice of an anomaly test's incident carries the anomaly's
// chart and the words that say it; a dbt test's notice carries none.
func TestAnomalyIncidentNoticeDrawsItsChart(t *testing.T) {
	h := startBot(t, harnessOpts{mirror: shopMirror})
	notice := func(testID string) slackui.Message {
		return h.bot.incidentMessage(testCtx(t), h.reader, []escalation.Incident{{ID: 7, Kind: escalation.KindTest,
			Team: "finance", NodeID: "model.shop.orders", TestID: testID, Status: escalation.StatusOpen}}, nil, false)
	}
	msg := notice("test.shop.elementary_volume_anomalies_orders_.9a8b7c6d5e")
	charts := 0
	for _, b := range msg.Blocks {
		if b.BlockType() == slack.MBTDataVisualization {
			charts++
		}
	}
	if charts != 1 || msg.Chart == nil || msg.Picture || !strings.Contains(msg.Text, "Anomalous") {
		t.Errorf("the anomaly's notice: %d charts, words %q", charts, msg.Text)
	}
	if msg := notice("test.shop.not_null_orders_order_id.abc1234567"); msg.Chart != nil {
		t.Errorf("a dbt test's notice has a chart")
	}
}
