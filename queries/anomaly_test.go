package queries

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// anomalyNow is the clock of anomalyFixture.
var anomalyNow = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// bucketRow is one bucket of an anomaly test's result, as Elementary's on-run-end writes it (agate_to_dicts: keys
// lower-cased, times in isoformat, decimals as numbers), with the extra columns a real row carries.
func bucketRow(end time.Time, value, low, high float64, anomalous bool) string {
	b, err := json.Marshal(map[string]any{"value": value, "average": 1000.0, "min_value": low, "max_value": high,
		"start_time": end.Add(-24 * time.Hour).Format("2006-01-02T15:04:05"), "end_time": end.Format("2006-01-02T15:04:05"),
		"metric_value": value, "bucket_end": end.Format("2006-01-02T15:04:05"), "is_anomalous": anomalous,
		"anomaly_score": 0.4, "metric_name": "row_count", "full_table_name": "DW.PROD.ORDERS"})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// anomalyFixture has orders with three tests:
//   - volume_anomalies_orders (row_count): its latest result's 22 daily buckets in test_result_rows, written in
//     a shuffled order, ending Dec 6; the one ending Dec 4 is anomalous (400 rows where 900–1100 were expected,
//     the band being the previous bucket's, as Elementary writes it);
//   - freshness_anomalies_orders: an older install's result, its 3 buckets inline in result_rows, keys upper case
//     and numbers as text (as a Snowflake warehouse may hold them), none anomalous;
//   - not_null_orders_id, a dbt test whose failing rows (samples of data) are in both places: never mirrored;
//   - column_anomalies_orders_amount (null_count of amount): a result without rows, whose monitor's history
//     (data_monitoring_metrics) holds three buckets of DW.PROD.ORDERS.AMOUNT — one computed twice, the newer kept —
//     beside a dimension's and another column's, which are not its.
func anomalyFixture() Fixture {
	m := "model.shop.orders"
	test := func(name, short, ns string) Row {
		return Row{"unique_id": "test.shop." + name, "name": name, "short_name": short, "test_namespace": ns,
			"severity": "ERROR", "package_name": "shop", "depends_on_nodes": `["` + m + `"]`,
			"parent_model_unique_id": m}
	}
	f := Fixture{
		"dbt_models": {{"unique_id": m, "name": "orders", "alias": "orders", "package_name": "shop", "owner": `["@ana"]`,
			"meta": "{}", "tags": "[]", "depends_on_nodes": "[]", "generated_at": "2026-11-01 00:00:00",
			"database_name": "dw", "schema_name": "prod"}},
		"dbt_tests": {test("volume_anomalies_orders", "volume_anomalies", "elementary"),
			test("freshness_anomalies_orders", "freshness_anomalies", "elementary"),
			test("not_null_orders_id", "not_null", ""), test("column_anomalies_orders_amount", "column_anomalies", "elementary")},
	}
	metric := func(id, column, dim string, end time.Time, value float64, updated time.Time) Row {
		r := Row{"id": id, "full_table_name": "DW.PROD.ORDERS", "column_name": column, "metric_name": "null_count",
			"metric_value": value, "bucket_start": end.Add(-24 * time.Hour), "bucket_end": end, "updated_at": updated,
			"created_at": updated}
		if dim != "" {
			r["dimension"], r["dimension_value"] = "country", dim
		}
		return r
	}
	day := func(d int) time.Time { return time.Date(2026, 12, d, 0, 0, 0, 0, time.UTC) }
	f["data_monitoring_metrics"] = []Row{
		metric("m4", "AMOUNT", "", day(4), 3, day(4)), metric("m5", "AMOUNT", "", day(5), 4, day(5)),
		metric("m6", "AMOUNT", "", day(6), 9, day(6)), metric("m6", "AMOUNT", "", day(6), 40, day(6).Add(time.Hour)),
		metric("x6", "AMOUNT", "JP", day(6), 1000, day(6)), metric("y6", "STATUS", "", day(6), 7, day(6)),
	}
	at := anomalyNow.Add(-time.Hour)
	f["elementary_test_results"] = []Row{
		result("r-vol", "test.shop.volume_anomalies_orders", m, "inv-1", "fail", at,
			Row{"test_type": "anomaly_detection", "test_sub_type": "row_count", "failures": 1}),
		result("r-fresh", "test.shop.freshness_anomalies_orders", m, "inv-1", "pass", at,
			Row{"test_type": "anomaly_detection", "test_sub_type": "freshness", "result_rows": `[
				{"END_TIME": "2026-12-04 00:00:00", "VALUE": "3600", "MIN_VALUE": "0", "MAX_VALUE": "7200", "IS_ANOMALOUS": "false"},
				{"END_TIME": "2026-12-05 00:00:00", "VALUE": "4000", "MIN_VALUE": "0", "MAX_VALUE": "7200", "IS_ANOMALOUS": "false"},
				{"END_TIME": "2026-12-06 00:00:00", "VALUE": "3000", "MIN_VALUE": "0", "MAX_VALUE": "7200", "IS_ANOMALOUS": "false"}]`}),
		result("r-nn", "test.shop.not_null_orders_id", m, "inv-1", "fail", at,
			Row{"test_type": "dbt_test", "result_rows": `[{"ID": null, "EMAIL": "jane@example.com"}]`}),
		result("r-col", "test.shop.column_anomalies_orders_amount", m, "inv-1", "fail", at,
			Row{"test_type": "anomaly_detection", "test_sub_type": "null_count", "column_name": "amount"}),
	}
	rows := []Row{{"elementary_test_results_id": "r-nn", "row_index": 1, "test_type": "dbt_test",
		"result_row": `{"id": null, "email": "jane@example.com"}`, "detected_at": at, "created_at": at}}
	for _, k := range []int{5, 0, 21, 3, 1, 2, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20} {
		end := time.Date(2026, 11, 15+k, 0, 0, 0, 0, time.UTC) // Nov 15 … Dec 6
		value, low, high, bad := 1000.0+float64(k), 900.0, 1100.0, false
		if k == 19 { // Dec 4
			value, low, high, bad = 400, 910, 1090, true
		}
		rows = append(rows, Row{"elementary_test_results_id": "r-vol", "row_index": k + 1,
			"test_type": "anomaly_detection", "result_row": bucketRow(end, value, low, high, bad),
			"detected_at": at, "created_at": at})
	}
	f["test_result_rows"] = rows
	return f
}

// TestAnomalyCharts: an anomaly test's status shows its last 20 buckets in order against the band, the anomalous
// one marked; an older install's inline rows are read whatever their keys' case; a dbt test's failing rows never
// reach the mirror — on the mirror loaded directly and synced from SQLite and PostgreSQL.
func TestAnomalyCharts(t *testing.T) {
	opts := ReaderOptions{Now: func() time.Time { return anomalyNow }}
	forEachFixture(t, anomalyFixture(), opts, func(t *testing.T, r *Reader, db *localdb.DB) {
		ctx := context.Background()
		st, err := r.Status(ctx, "volume_anomalies_orders")
		if err != nil {
			t.Fatal(err)
		}
		c := st.Chart
		if c == nil || c.Subject != ChartAnomaly || c.Metric != "row_count" || c.Unit != UnitRows || c.Kind != ChartLine {
			t.Fatalf("chart %+v, want the row count's buckets", c)
		}
		if len(c.Categories) != MaxChartPoints || c.Categories[0].Format("01-02") != "11-17" ||
			c.Categories[19].Format("01-02") != "12-06" {
			t.Fatalf("%d buckets from %s to %s, want the last 20, Nov 17 to Dec 6", len(c.Categories),
				c.Categories[0], c.Categories[len(c.Categories)-1])
		}
		if fmt.Sprint(c.Anomalous) != "[17]" || c.Categories[17].Format("01-02") != "12-04" {
			t.Errorf("anomalous %v, want [17] (Dec 4)", c.Anomalous)
		}
		v, _ := c.Of(SeriesValue)
		if *v.Values[17] != 400 || *c.Band.Low[17] != 910 || *c.Band.High[17] != 1090 || *v.Values[0] != 1002 ||
			*c.Band.Low[0] != 900 {
			t.Errorf("Dec 4: %v in %v–%v; Nov 17: %v in %v", *v.Values[17], *c.Band.Low[17], *c.Band.High[17],
				*v.Values[0], *c.Band.Low[0])
		}
		for _, ask := range []func() (*Chart, error){
			func() (*Chart, error) { a, err := r.Why(ctx, "volume_anomalies_orders"); return a.Chart, err },
			func() (*Chart, error) { a, err := r.Urgency(ctx, "volume_anomalies_orders"); return a.Chart, err },
			func() (*Chart, error) { a, err := r.LastRuns(ctx, "volume_anomalies_orders", 3); return a.Chart, err },
		} {
			if got, err := ask(); err != nil || got == nil || got.Subject != ChartAnomaly || len(got.Anomalous) != 1 {
				t.Errorf("why, urgent and last-run carry the same chart: %+v, %v", got, err)
			}
		}

		fr, err := r.Status(ctx, "freshness_anomalies_orders")
		if err != nil {
			t.Fatal(err)
		}
		if c := fr.Chart; c == nil || len(c.Categories) != 3 || c.Unit != UnitSeconds || len(c.Anomalous) != 0 ||
			*c.Series[0].Values[2] != 3000 || *c.Band.High[1] != 7200 {
			t.Errorf("inline rows: %+v", fr.Chart)
		}

		col, err := r.Status(ctx, "column_anomalies_orders_amount")
		if err != nil {
			t.Fatal(err)
		}
		if c := col.Chart; c == nil || c.Band != nil || len(c.Categories) != 3 || *c.Series[0].Values[2] != 40 ||
			*c.Series[0].Values[0] != 3 || c.Categories[0].Day() != 4 {
			t.Errorf("the monitor's history of amount's null count, Dec 4–6, the newer Dec 6: %+v", col.Chart)
		}

		nn, err := r.Status(ctx, "not_null_orders_id")
		if err != nil {
			t.Fatal(err)
		}
		if nn.Chart == nil || nn.Chart.Subject != ChartTestHistory {
			t.Errorf("a dbt test's status shows its history, got %+v", nn.Chart)
		}
		var samples int
		var inline *string
		if err := db.Read.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM test_result_rows
			WHERE elementary_test_results_id = 'r-nn'), (SELECT result_rows FROM elementary_test_results
			WHERE id = 'r-nn')`).Scan(&samples, &inline); err != nil {
			t.Fatal(err)
		}
		if samples != 0 || inline != nil {
			t.Errorf("a dbt test's failing rows reached the mirror: %d rows, inline %v", samples, inline)
		}
	})
}
